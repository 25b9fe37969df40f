"""fakehttp.py - the HTTP/1.1 plumbing shared by the fake servers in tests/fake.

fake_llm.py and fake_channels.py imitate real services; what they write (status lines, header
order and case, JSON shapes, chunking, timing) is theirs. This module only carries what both
need underneath: a threading keep-alive server on 127.0.0.1, a request handler that reads
bounded bodies (Content-Length or chunked), writes status lines, plain and chunked bodies and
can drop the connection, the test-control endpoints (/_control, /_reset, /_requests), the
scenario state behind them, and the start-up (free port, atomic port file, SIGTERM).

A fake subclasses State, Handler and Server and fills in the hooks each names. Standard library
only; the fakes import it from their own directory (they run as scripts).
"""

import email.utils
import http
import http.server
import json
import os
import signal
import socket
import struct
import threading

HOST = "127.0.0.1"
KEEPALIVE_S = 5            # llama-server, uvicorn and the fakes close idle keep-alive at 5 s
MAX_LOG = 20000            # requests kept for GET /_requests


def http_date():
    """The Date header value: RFC 7231 IMF-fixdate in GMT."""
    return email.utils.formatdate(usegmt=True)


def write_port_file(path, port):
    """Writes "PORT\\n" to path through a temporary file and a rename."""
    tmp = "%s.tmp.%d" % (path, os.getpid())
    with open(tmp, "w", encoding="ascii") as f:
        f.write("%d\n" % port)
    os.replace(tmp, path)


def status_head(status, headers):
    """The status line and the headers, in the order given, as bytes ready to send."""
    try:
        phrase = http.HTTPStatus(status).phrase
    except ValueError:
        phrase = "Unknown"
    lines = ["HTTP/1.1 %d %s\r\n" % (status, phrase)]
    for name, value in headers:
        lines.append("%s: %s\r\n" % (name, value))
    lines.append("\r\n")
    return "".join(lines).encode("latin-1")


class ClientGone(Exception):
    """The client closed the connection while we wrote to it."""


class BodyError(Exception):
    """The request body could not be read. reason is one of:
    "closed" (the input ended early), "bad_chunk" (a malformed or negative chunk size),
    "bad_length" (Content-Length not a number), "negative_length" (Content-Length below 0),
    "too_large" (more than the handler's max_body)."""

    def __init__(self, reason):
        super().__init__(reason)
        self.reason = reason


# ---------------------------------------------------------------------------------------------
# State behind the control endpoints
# ---------------------------------------------------------------------------------------------

class State:
    """The scenario config, how often a "times"-limited scenario has failed, and the request log.
    One lock guards all of it. Subclasses add their own fields in _clear()."""

    default_scenario = "ok"

    def __init__(self):
        self.lock = threading.Lock()
        self._clear()

    def _clear(self):
        """Back to the start. Runs under the lock (or before anyone else can see self)."""
        self.config = {"scenario": self.default_scenario}
        self.failures = 0
        self.requests = []

    def reset(self):
        with self.lock:
            self._clear()

    def set_config(self, config):
        with self.lock:
            self.config = dict(config)
            self.failures = 0

    def log_request(self, entry):
        with self.lock:
            self.requests.append(entry)
            if len(self.requests) > MAX_LOG:
                del self.requests[: len(self.requests) - MAX_LOG]


# ---------------------------------------------------------------------------------------------
# The request handler
# ---------------------------------------------------------------------------------------------

class Handler(http.server.BaseHTTPRequestHandler):
    """Keep-alive HTTP/1.1 handler. Subclasses set server_version, max_body (and drain_max) and
    define:
      api(method, path, query, raw)   a request to any path not starting with "/_"
      body_error(reason)              answer (or not) a body that raised BodyError; the
                                      connection closes afterwards
      check_control(cfg)              None if a /_control body is usable, else what is wrong
      control_dumps(obj)              str: how the control endpoints write JSON
      logged_requests(query)          the list GET /_requests returns (called under the lock)
      control_extra(method, path, query)  other /_ endpoints; True if it answered"""

    protocol_version = "HTTP/1.1"
    timeout = KEEPALIVE_S
    max_body = 1024 * 1024      # bytes of one request body
    drain_max = 0               # read and drop an over-long Content-Length body up to this size
    scenarios = ()              # listed in a 400 answer to a bad /_control body

    def log_message(self, fmt, *args):      # quiet
        pass

    # ---- writing ----

    def _raw(self, data):
        try:
            self.wfile.write(data)
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError, ConnectionAbortedError, OSError):
            raise ClientGone()

    def send_head(self, status, headers, body=b""):
        """The status line, headers (as given: the caller writes any Content-Length or
        Transfer-Encoding) and body, in one write."""
        self._raw(status_head(status, headers) + body)

    def send_with_length(self, status, headers, body):
        """headers, then Content-Length last, then body, in one write."""
        self.send_head(status, list(headers) + [("Content-Length", str(len(body)))], body)

    def send_plain(self, status, body):
        """The control endpoints' answer: Content-Type: application/json and Content-Length."""
        self.send_with_length(status, [("Content-Type", "application/json")], body)

    def chunk(self, data):
        """One chunk of a chunked body; empty data writes nothing (it would end the body)."""
        if data:
            self._raw(b"%x\r\n" % len(data) + data + b"\r\n")

    def end_chunks(self):
        self._raw(b"0\r\n\r\n")

    def abort_connection(self, rst=False):
        """Closes the TCP connection now: no terminating chunk, nothing more. rst: as an RST."""
        self.close_connection = True
        try:
            if rst:
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                           struct.pack("ii", 1, 0))
            else:
                self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    # ---- reading ----

    def read_body(self):
        """The request body as bytes (b"" when there is none). Raises BodyError."""
        te = self.headers.get("Transfer-Encoding", "")
        if "chunked" in te.lower():
            return self._read_chunked()
        length = self.headers.get("Content-Length")
        if length is None:
            return b""
        try:
            n = int(length)
        except ValueError:
            raise BodyError("bad_length")
        if n < 0:
            raise BodyError("negative_length")
        if n > self.max_body:
            left = n if n <= self.drain_max else 0
            while left > 0:
                dropped = self.rfile.read(min(left, 65536))
                if not dropped:
                    break
                left -= len(dropped)
            raise BodyError("too_large")
        data = self.rfile.read(n)
        if len(data) != n:
            raise BodyError("closed")
        return data

    def _read_chunked(self):
        data = bytearray()
        while True:
            line = self.rfile.readline(1024)
            if not line:
                raise BodyError("closed")
            try:
                size = int(line.split(b";")[0].strip(), 16)
            except ValueError:
                raise BodyError("bad_chunk")
            if size < 0:
                raise BodyError("bad_chunk")
            if size == 0:
                while True:
                    trailer = self.rfile.readline(1024)
                    if trailer in (b"\r\n", b"\n", b""):
                        break
                return bytes(data)
            if len(data) + size > self.max_body:
                raise BodyError("too_large")
            piece = self.rfile.read(size)
            if len(piece) != size:
                raise BodyError("closed")
            data += piece
            self.rfile.readline(16)

    # ---- dispatch ----

    def do_GET(self):
        self._dispatch("GET")

    def do_POST(self):
        self._dispatch("POST")

    def do_PUT(self):
        self._dispatch("PUT")

    def do_DELETE(self):
        self._dispatch("DELETE")

    def _dispatch(self, method):
        try:
            self._dispatch_inner(method)
        except ClientGone:
            self.close_connection = True

    def _dispatch_inner(self, method):
        path, _, query = self.path.partition("?")
        try:
            raw = self.read_body()
        except BodyError as e:
            self.close_connection = True
            self.body_error(e.reason)
            return
        if path.startswith("/_"):
            self.control(method, path, query, raw)
            return
        self.api(method, path, query, raw)

    # ---- control endpoints ----

    def control(self, method, path, query, raw):
        state = self.server.state
        if method == "POST" and path == "/_control":
            try:
                cfg = json.loads(raw.decode("utf-8")) if raw else {}
            except (ValueError, UnicodeDecodeError, RecursionError):
                cfg = None
            problem = self.check_control(cfg)
            if problem:
                self.send_plain(400, self.control_dumps({"ok": False, "error": problem,
                                                         "scenarios": list(self.scenarios)})
                                .encode("utf-8"))
                return
            cfg.setdefault("scenario", state.default_scenario)
            state.set_config(cfg)
            self.send_plain(200, self.control_dumps({"ok": True, "config": cfg})
                            .encode("utf-8"))
            return
        if method == "POST" and path == "/_reset":
            state.reset()
            self.send_plain(200, b'{"ok":true}')
            return
        if method == "GET" and path == "/_requests":
            with state.lock:
                body = self.control_dumps({"requests": self.logged_requests(query)})
            self.send_plain(200, body.encode("utf-8"))
            return
        if self.control_extra(method, path, query):
            return
        self.send_plain(404, b'{"ok":false,"error":"unknown control path"}')

    def logged_requests(self, query):
        return list(self.server.state.requests)

    def control_extra(self, method, path, query):
        return False


# ---------------------------------------------------------------------------------------------
# The server and its start-up
# ---------------------------------------------------------------------------------------------

class Server(http.server.ThreadingHTTPServer):
    """A threading server on 127.0.0.1:port (0: a free one) with a State in .state."""

    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 2048

    def __init__(self, port, handler, state):
        self.state = state
        super().__init__((HOST, port), handler)

    def handle_error(self, request, client_address):   # a broken client is not our problem
        pass


def add_listen_args(ap):
    """--port (0: a free one) and --port-file on an argparse parser."""
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file")


def serve(name, make_server, port_file):
    """Builds the server with make_server(), writes its port to port_file (if any), prints
    "NAME listening on 127.0.0.1:PORT" and serves until SIGTERM/SIGINT. Returns 0."""
    threading.stack_size(512 * 1024)      # many streams at once; keep threads small
    server = make_server()
    port = server.server_address[1]

    def stop(signum, frame):
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    if port_file:
        write_port_file(port_file, port)
    print("%s listening on %s:%d" % (name, HOST, port), flush=True)
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        server.server_close()
    return 0
