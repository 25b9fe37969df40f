"""harness.py - starts and stops the real `loket serve` for the end-to-end tests.

LoketServer runs the binary (env LOKET_BIN, default build/loket) with the demo bot on a free
127.0.0.1 port and a SQLite database in its own temporary folder, waits for /healthz, and can
stop it politely (SIGTERM, then SIGKILL), kill -9 it and start it again on the same database.
Small helpers talk to the v1 API with http.client. Standard library only; nothing here ever
connects to an address other than 127.0.0.1.
"""

import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

HOST = "127.0.0.1"
REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEFAULT_BOT = "bots/gemeente-demo"
STARTUP_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 10.0
REQUEST_TIMEOUT_S = 30.0


def loket_bin():
    """Path of the binary under test: $LOKET_BIN (relative to the repo root) or build/loket."""
    path = os.environ.get("LOKET_BIN", "build/loket")
    return path if os.path.isabs(path) else os.path.join(REPO_ROOT, path)


def free_port():
    """A port on 127.0.0.1 that nobody listened on a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


class Response:
    """One HTTP response: status, headers (lower-case names), raw body and parsed JSON."""

    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    def json(self):
        return json.loads(self.body.decode("utf-8"))

    def error_code(self):
        """The code of an error body {"error":{"code":...}}, or None if it is not one."""
        try:
            return self.json()["error"]["code"]
        except (ValueError, KeyError, TypeError):
            return None

    def __repr__(self):
        return "Response(%d, %r)" % (self.status, self.body[:300])


class LoketServer:
    """The real server on a temporary database. Use start()/stop() or a with-block."""

    def __init__(self, bot=DEFAULT_BOT):
        self.bot = bot
        self.tmpdir = tempfile.mkdtemp(prefix="loket-e2e-")
        self.db_path = os.path.join(self.tmpdir, "loket.db")
        self.port = None
        self.proc = None
        self.stderr_path = os.path.join(self.tmpdir, "server.stderr")
        self._stderr_file = None

    # ---- life cycle ----

    def start(self):
        """Starts the server (on a new free port) and waits until /healthz answers 200."""
        binary = loket_bin()
        if not os.path.exists(binary):
            raise RuntimeError("loket binary not found at %s (set LOKET_BIN)" % binary)
        self.port = free_port()
        self._stderr_file = open(self.stderr_path, "ab")
        argv = [binary, "serve", "--bot", self.bot,
                "--listen", "%s:%d" % (HOST, self.port), "--db", "sqlite:" + self.db_path]
        self.proc = subprocess.Popen(argv, cwd=REPO_ROOT, stdin=subprocess.DEVNULL,
                                     stdout=self._stderr_file, stderr=self._stderr_file,
                                     start_new_session=True)
        self._wait_healthy()
        return self

    def _wait_healthy(self):
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        last_error = None
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("loket exited with %s during start-up; stderr:\n%s"
                                   % (self.proc.returncode, self.stderr_tail()))
            try:
                response = self.request("GET", "/healthz", timeout=2)
                if response.status == 200:
                    return
                last_error = "healthz answered %d" % response.status
            except (OSError, http.client.HTTPException) as exc:
                last_error = repr(exc)
            time.sleep(0.05)
        self._kill_quietly()
        raise RuntimeError("loket did not become healthy within %.0f s (%s); stderr:\n%s"
                           % (STARTUP_TIMEOUT_S, last_error, self.stderr_tail()))

    def stop(self):
        """SIGTERM, then SIGKILL after a grace period. Returns the exit status (or None)."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        status = self.proc.returncode
        self._close_stderr()
        self.proc = None
        return status

    def kill9(self):
        """Kills the server with SIGKILL, as a crash or power cut would."""
        if self.proc is not None and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        self._close_stderr()
        self.proc = None

    def restart(self):
        """Starts again on the same database (after stop() or kill9())."""
        if self.proc is not None:
            self.stop()
        return self.start()

    def cleanup(self):
        self.stop()
        shutil.rmtree(self.tmpdir, ignore_errors=True)

    def is_running(self):
        return self.proc is not None and self.proc.poll() is None

    def _kill_quietly(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def _close_stderr(self):
        if self._stderr_file is not None:
            self._stderr_file.close()
            self._stderr_file = None

    def stderr_tail(self, limit=4000):
        try:
            with open(self.stderr_path, "rb") as f:
                data = f.read()
        except OSError:
            return "(no stderr)"
        return data[-limit:].decode("utf-8", "replace")

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.cleanup()

    # ---- HTTP ----

    def request(self, method, path, body=None, headers=None, timeout=REQUEST_TIMEOUT_S):
        """One request on a fresh connection. body: dict/list (sent as JSON), str or bytes.
        A dict/list body gets Content-Type application/json unless headers say otherwise."""
        headers = dict(headers or {})
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode("utf-8")
            headers.setdefault("Content-Type", "application/json")
        elif isinstance(body, str):
            body = body.encode("utf-8")
        conn = http.client.HTTPConnection(HOST, self.port, timeout=timeout)
        try:
            conn.request(method, path, body=body, headers=headers)
            resp = conn.getresponse()
            data = resp.read()
            return Response(resp.status, {k.lower(): v for k, v in resp.getheaders()}, data)
        finally:
            conn.close()

    def healthz(self):
        return self.request("GET", "/healthz")

    def create_conversation(self, lang=None, channel="api"):
        """Creates a conversation; returns the 201 body (id, token, lang, messages)."""
        body = {"channel": channel}
        if lang is not None:
            body["lang"] = lang
        response = self.request("POST", "/api/v1/conversations", body)
        if response.status != 201:
            raise AssertionError("create conversation failed: %r" % (response,))
        return response.json()

    def post_message(self, conv, text=None, action=None, token=None):
        """Posts a text or quick-reply action to conv (a create body); returns the Response."""
        body = {"text": text} if action is None else {"action": action}
        return self.request("POST", "/api/v1/conversations/%s/messages" % conv["id"], body,
                            headers=bearer(token if token is not None else conv["token"]))

    def transcript(self, conv):
        return self.request("GET", "/api/v1/conversations/%s" % conv["id"],
                            headers=bearer(conv["token"]))

    def delete(self, conv):
        return self.request("DELETE", "/api/v1/conversations/%s" % conv["id"],
                            headers=bearer(conv["token"]))


def bearer(token):
    return {"Authorization": "Bearer " + token}


def messages_path(conv_id):
    return "/api/v1/conversations/%s/messages" % conv_id
