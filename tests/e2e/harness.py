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
import re
import shutil
import signal
import socket
import struct
import subprocess
import tempfile
import threading
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

    def __init__(self, bot=DEFAULT_BOT, env=None, args=()):
        self.bot = bot
        self.env = env          # extra environment variables for the server (dict) or None
        self.args = list(args)  # extra command-line arguments for `loket serve`
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
        argv += self.args
        env = None
        if self.env:
            env = dict(os.environ)
            env.update(self.env)
        self.proc = subprocess.Popen(argv, cwd=REPO_ROOT, stdin=subprocess.DEVNULL,
                                     stdout=self._stderr_file, stderr=self._stderr_file,
                                     start_new_session=True, env=env)
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


# ---- handoff: test bots, agent accounts, a cookie-aware agent client, event streams ----

AGENT_API = "/api/v1/agent"
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
OPEN_HOURS = {d: "00:00-24:00" for d in DAYS}
CLOSED_HOURS = {d: "closed" for d in DAYS}

# Used only when the bot has no handoff section of its own (older demo bot).
FALLBACK_HANDOFF = """
handoff:
  agent_timeout_s: 60
  fallbacks: 2
  minutes_per_conversation: 4
  default_team: burgerzaken
  teams:
    - id: burgerzaken
      name: {nl: Burgerzaken, en: Civil affairs}
      keywords: [paspoort, rijbewijs, verhuizen]
      flows: [afspraak, afspraak-annuleren, afspraak-verzetten]
    - id: afval
      name: {nl: Afval, en: Waste}
      keywords: [afval, container, grofvuil]
    - id: zorg
      name: {nl: Zorg en welzijn, en: Care}
  always_human:
    - topics: ["huiselijk geweld", "geweld thuis", "schuldhulp", "schulden"]
      team: zorg
"""


def _indent(line):
    return len(line) - len(line.lstrip(" "))


def _flow_map(values):
    return "{" + ", ".join('%s: "%s"' % (k, v) for k, v in values.items()) + "}"


def patch_handoff(text, hours=None, agent_timeout_s=None, fallbacks=None, drop_holidays=True):
    """bot.yaml text with its top-level `handoff:` section patched: every team gets `hours`
    (a dict day -> "HH:MM-HH:MM" or "closed"; None keeps them), holidays are dropped (global and
    per team), agent_timeout_s and fallbacks are set when given. A bot without a handoff section
    gets FALLBACK_HANDOFF first. Works on the text by indentation (the section is block style)."""
    if not re.search(r"(?m)^handoff:", text):
        text = text.rstrip("\n") + "\n" + FALLBACK_HANDOFF
    lines = text.split("\n")
    start = next(i for i, line in enumerate(lines) if re.match(r"^handoff:\s*(#.*)?$", line))
    end = start + 1
    while end < len(lines):
        line = lines[end]
        if line.strip() and not line.startswith((" ", "#")):
            break
        end += 1
    block = lines[start + 1:end]
    child = min((_indent(line) for line in block if line.strip() and not line.lstrip().startswith("#")),
                default=2)
    out = []
    drop_deeper = None     # indentation of a dropped key: deeper lines go with it
    teams_indent = None    # indentation of `teams:` while inside it
    item_indent = None     # indentation of its "- " items
    seen = set()
    for line in block:
        stripped = line.strip()
        ind = _indent(line)
        if drop_deeper is not None:
            if not stripped or ind > drop_deeper or (stripped.startswith("- ") and ind == drop_deeper
                                                     and not re.match(r"-\s+\w+:", stripped)):
                continue
            drop_deeper = None
        if not stripped or stripped.startswith("#"):
            out.append(line)
            continue
        key = re.match(r"^(?:-\s+)?([A-Za-z_]+):", stripped)
        key = key.group(1) if key else None
        if teams_indent is not None and ind <= teams_indent and not (
                ind == teams_indent and stripped.startswith("- ")):
            teams_indent = None
        if ind == child and key == "teams":
            teams_indent, item_indent = ind, None
        if key in ("hours",) and hours is not None and not stripped.startswith("- "):
            drop_deeper = ind
            continue
        if key == "holidays" and drop_holidays and not stripped.startswith("- "):
            drop_deeper = ind
            continue
        if ind == child and key == "agent_timeout_s" and agent_timeout_s is not None:
            line = " " * ind + "agent_timeout_s: %d" % agent_timeout_s
            seen.add(key)
        if ind == child and key == "fallbacks" and fallbacks is not None:
            line = " " * ind + "fallbacks: %d" % fallbacks
            seen.add(key)
        out.append(line)
        if teams_indent is not None and stripped.startswith("- ") and item_indent is None:
            item_indent = ind
        if teams_indent is not None and stripped.startswith("- ") and ind == item_indent and \
                hours is not None:
            col = ind + 1 + (len(stripped) - 1 - len(stripped[1:].lstrip()))
            out.append(" " * col + "hours: " + _flow_map(hours))
    head = []
    if agent_timeout_s is not None and "agent_timeout_s" not in seen:
        head.append(" " * child + "agent_timeout_s: %d" % agent_timeout_s)
    if fallbacks is not None and "fallbacks" not in seen:
        head.append(" " * child + "fallbacks: %d" % fallbacks)
    return "\n".join(lines[:start + 1] + head + out + lines[end:])


def make_bot(parent, hours=OPEN_HOURS, agent_timeout_s=2, fallbacks=2, extra="", name="bot"):
    """Copies the demo bot to parent/name, patches its handoff section (patch_handoff) and
    appends `extra` (more top-level YAML, e.g. a channels section). Returns the bot folder."""
    bot = os.path.join(parent, name)
    shutil.copytree(os.path.join(REPO_ROOT, DEFAULT_BOT), bot)
    path = os.path.join(bot, "bot.yaml")
    with open(path, encoding="utf-8") as f:
        text = f.read()
    text = patch_handoff(text, hours=hours, agent_timeout_s=agent_timeout_s, fallbacks=fallbacks)
    if extra:
        text = text.rstrip("\n") + "\n" + extra.strip("\n") + "\n"
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    return bot


def agent_add(server, username, name, role="agent", teams=("burgerzaken",), password=None):
    """Adds an agent account with the CLI on the server's bot and database (best before the
    server starts). Returns the password. Raises AssertionError with the CLI's output on failure."""
    password = password or ("pw-%s-0123456789" % username)
    env = dict(os.environ)
    env["LOKET_AGENT_PASSWORD"] = password
    argv = [loket_bin(), "agent", "add", "--bot", server.bot, "--db", "sqlite:" + server.db_path,
            "--username", username, "--name", name, "--role", role, "--teams", ",".join(teams)]
    result = subprocess.run(argv, cwd=REPO_ROOT, env=env, capture_output=True, text=True,
                            timeout=120, stdin=subprocess.DEVNULL)
    if result.returncode != 0:
        raise AssertionError("loket agent add %s failed (%d): %s%s"
                             % (username, result.returncode, result.stdout, result.stderr))
    return password


def wait_until(predicate, timeout=10.0, interval=0.05):
    """Calls predicate until it returns something true (returned) or timeout (returns None)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            return None
        time.sleep(interval)


class AgentClient:
    """An agent's browser: keeps the loket_agent cookie and the CSRF token of its login and
    sends them with every request (csrf=False leaves the header out, a string sends that)."""

    def __init__(self, server):
        self.server = server
        self.cookie = None
        self.csrf = None
        self.agent = None
        self.set_cookie = None
        self.streams = []

    def login(self, username, password):
        response = self.server.request("POST", AGENT_API + "/login",
                                       {"username": username, "password": password})
        if response.status == 200:
            self.set_cookie = response.headers.get("set-cookie", "")
            m = re.search(r"loket_agent=([^;]*)", self.set_cookie)
            self.cookie = m.group(1) if m else None
            body = response.json()
            self.csrf = body.get("csrf")
            self.agent = body.get("agent")
        return response

    @property
    def id(self):
        return self.agent["id"] if self.agent else None

    def auth_headers(self, csrf=True, cookie=True):
        headers = {}
        if cookie and self.cookie is not None:
            headers["Cookie"] = "loket_agent=" + self.cookie
        if csrf is True and self.csrf is not None:
            headers["X-CSRF-Token"] = self.csrf
        elif isinstance(csrf, str):
            headers["X-CSRF-Token"] = csrf
        return headers

    def request(self, method, path, body=None, csrf=True, cookie=True, headers=None, timeout=30):
        if not path.startswith("/"):
            path = AGENT_API + "/" + path
        all_headers = self.auth_headers(csrf, cookie)
        all_headers.update(headers or {})
        if method in ("POST", "PUT") and body is None:
            body = {}
        return self.server.request(method, path, body, headers=all_headers, timeout=timeout)

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, body=None, **kw):
        return self.request("POST", path, body, **kw)

    def stream(self, path):
        """Opens an event stream with this agent's cookie (SSEReader; closed by close())."""
        if not path.startswith("/"):
            path = AGENT_API + "/" + path
        reader = SSEReader(self.server.port, path, self.auth_headers(csrf=False)).start()
        self.streams.append(reader)
        return reader

    def online(self):
        """Opens the console stream /api/v1/agent/events, which keeps the agent online."""
        return self.stream("events")

    def close(self):
        for reader in self.streams:
            reader.close()
        self.streams = []


class ChunkedDecoder:
    """Incremental decoder of HTTP/1.1 chunked transfer coding."""

    def __init__(self):
        self.buf = b""
        self.left = 0          # bytes of the current chunk still to come
        self.state = "size"    # size | data | crlf | done
        self.done = False

    def feed(self, data):
        self.buf += data
        out = []
        while True:
            if self.state == "size":
                i = self.buf.find(b"\r\n")
                if i < 0:
                    break
                size = int(self.buf[:i].split(b";")[0].strip() or b"0", 16)
                self.buf = self.buf[i + 2:]
                if size == 0:
                    self.state = "done"
                    self.done = True
                    break
                self.left = size
                self.state = "data"
            elif self.state == "data":
                if not self.buf:
                    break
                take = self.buf[:self.left]
                out.append(take)
                self.buf = self.buf[len(take):]
                self.left -= len(take)
                if self.left == 0:
                    self.state = "crlf"
            elif self.state == "crlf":
                if len(self.buf) < 2:
                    break
                self.buf = self.buf[2:]
                self.state = "size"
            else:
                break
        return b"".join(out)


class SSEParser:
    """Incremental text/event-stream parser: feed(bytes) returns [(event, id, data)], data parsed
    as JSON when it is JSON, else the text; id an int when numeric, else None."""

    def __init__(self):
        self.pending = b""
        self.event, self.ident, self.data = None, None, []

    def feed(self, data):
        self.pending += data
        events = []
        while True:
            i = self.pending.find(b"\n")
            if i < 0:
                break
            line = self.pending[:i].rstrip(b"\r").decode("utf-8", "replace")
            self.pending = self.pending[i + 1:]
            if line == "":
                if self.data:
                    text = "\n".join(self.data)
                    try:
                        value = json.loads(text)
                    except ValueError:
                        value = text
                    events.append((self.event or "message", self.ident, value))
                self.event, self.ident, self.data = None, None, []
                continue
            if line.startswith(":"):
                continue
            field, _, value = line.partition(":")
            if value.startswith(" "):
                value = value[1:]
            if field == "event":
                self.event = value
            elif field == "id":
                self.ident = int(value) if value.isdigit() else None
            elif field == "data":
                self.data.append(value)
        return events


class SSEStream:
    """One event stream on a raw socket: connect() sends the GET and reads the response head
    (status, headers); feed_socket() reads what is there and returns the new events."""

    def __init__(self, port, path, headers=None, host=HOST):
        self.port, self.path, self.host = port, path, host
        self.req_headers = dict(headers or {})
        self.sock = None
        self.status = None
        self.headers = {}
        self.body = b""        # the body of a non-200 answer
        self.parser = SSEParser()
        self.chunked = None
        self.closed = False

    def connect(self, timeout=10.0):
        self.sock = socket.create_connection((self.host, self.port), timeout=timeout)
        head = ["GET %s HTTP/1.1" % self.path, "Host: %s:%d" % (self.host, self.port),
                "Accept: text/event-stream"]
        head += ["%s: %s" % kv for kv in self.req_headers.items()]
        self.sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode("utf-8"))
        data = b""
        deadline = time.monotonic() + timeout
        while b"\r\n\r\n" not in data:
            if time.monotonic() > deadline:
                raise OSError("no response head for %s" % self.path)
            more = self.sock.recv(65536)
            if not more:
                raise OSError("connection closed before the response head (%s)" % self.path)
            data += more
        head, _, rest = data.partition(b"\r\n\r\n")
        lines = head.decode("iso-8859-1").split("\r\n")
        self.status = int(lines[0].split()[1])
        for line in lines[1:]:
            name, _, value = line.partition(":")
            self.headers[name.strip().lower()] = value.strip()
        self.chunked = "chunked" in self.headers.get("transfer-encoding", "").lower()
        if self.chunked:
            self.chunked = ChunkedDecoder()
        if self.status != 200:
            self.body = rest
            length = int(self.headers.get("content-length", "-1") or -1)
            while length >= 0 and len(self.body) < length and not self.chunked:
                more = self.sock.recv(65536)
                if not more:
                    break
                self.body += more
            return []
        return self._body(rest)

    def _body(self, data):
        if self.chunked:
            data = self.chunked.feed(data)
        return self.parser.feed(data) if data else []

    def feed_socket(self):
        """Reads once (the socket's own timeout/blocking mode applies); [] and closed=True at EOF."""
        data = self.sock.recv(65536)
        if not data:
            self.closed = True
            return []
        return self._body(data)

    def close(self, abrupt=False):
        if self.sock is None:
            return
        if abrupt:  # RST instead of FIN, like a browser tab that is killed or a cable pulled
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        try:
            self.sock.close()
        except OSError:
            pass
        self.sock = None


class SSEReader(threading.Thread):
    """An event stream read on its own thread into self.events: (event, id, data, arrived),
    arrived = time.monotonic(). start() returns self once the response head is in (check
    .status). wait_for(predicate) waits until predicate(events) holds."""

    def __init__(self, port, path, headers=None):
        super().__init__(daemon=True)
        self.stream = SSEStream(port, path, headers)
        self.events = []
        self.cond = threading.Condition()
        self._stopping = False

    @property
    def status(self):
        return self.stream.status

    @property
    def headers(self):
        return self.stream.headers

    def start(self):
        first = self.stream.connect()
        self._add(first)
        if self.stream.status == 200:
            self.stream.sock.settimeout(0.2)
            super().start()
        return self

    def _add(self, events):
        if events:
            now = time.monotonic()
            with self.cond:
                self.events.extend((e, i, d, now) for e, i, d in events)
                self.cond.notify_all()

    def run(self):
        while not self._stopping:
            try:
                self._add(self.stream.feed_socket())
            except socket.timeout:
                continue
            except OSError:
                break
            if self.stream.closed:
                break
        with self.cond:
            self.cond.notify_all()

    def wait_for(self, predicate, timeout=10.0):
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                found = predicate(self.events)
                if found:
                    return found
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self.cond.wait(min(left, 0.2))

    def of(self, kind):
        """The data of every event named kind so far."""
        with self.cond:
            return [e[2] for e in self.events if e[0] == kind]

    def close(self, abrupt=False):
        self._stopping = True
        if self.is_alive():
            self.join(2)
        self.stream.close(abrupt=abrupt)
