#!/usr/bin/env python3
"""bench_handoff.py - the human handoff under load, against a running `loket serve`
(bench/handoff/run.sh starts one per scenario and runs this).

Scenario "deliver": CONVS conversations each ask for a person (handoff:request) and keep their
citizen event stream open (one socket each, all read by one selector thread); AGENTS agents log
in, keep their console stream open and take CONVS/AGENTS conversations each with claim-next;
then every agent sends ROUNDS messages to each of its conversations, one POST at a time per
agent (AGENTS in flight). For each send: the time from just before the agent's POST to the
`event: message` with that text (role "agent") on the citizen's stream; p50/p99/max, and how
many never arrived (lost).

Scenario "claim": AGENTS agents and CONVS waiting conversations; all agents call claim-next at
once (one thread and one keep-alive connection each) until the queue is empty: the latency of a
claim, claims/s, and double assignments, checked three ways: the claims the agents got back are
disjoint and cover every conversation; each agent's /queue "mine" is exactly what it claimed;
the supervisor view of every conversation names the agent that claimed it; and, when the
database file is given, the handoffs table itself (one active row per conversation).

Setup (accounts, logins, conversations) is timed separately. Prints figures; never judges
timings. The client is Python (threads, the GIL) on the same cores as Loket: its own overhead is
part of every latency printed. Exit status 3 when messages were lost or a conversation was
assigned twice.
Standard library only; uses tests/e2e/harness.py for the event-stream parser.
"""

import argparse
import http.client
import json
import os
import selectors
import socket
import sqlite3
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests", "e2e"))
from harness import SSEStream  # noqa: E402

HOST = "127.0.0.1"
AGENT = "/api/v1/agent"
PASSWORD = "bench-password-0123456789"


def now():
    return time.perf_counter()


def pct(values, p):
    if not values:
        return float("nan")
    s = sorted(values)
    k = min(len(s) - 1, max(0, int(round(p / 100.0 * (len(s) - 1)))))
    return s[k]


def ms(v):
    return "%.1f ms" % (v * 1000.0)


def rss_kib(pid):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return -1


class Client:
    """One keep-alive connection; cookie and CSRF of an agent when logged in."""

    def __init__(self, port):
        self.port = port
        self.conn = None
        self.cookie = None
        self.csrf = None
        self.id = None

    def request(self, method, path, body=None, headers=None):
        hdrs = dict(headers or {})
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            hdrs["Content-Type"] = "application/json"
        if self.cookie:
            hdrs["Cookie"] = "loket_agent=" + self.cookie
        if self.csrf and method != "GET":
            hdrs["X-CSRF-Token"] = self.csrf
        for attempt in (0, 1):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(HOST, self.port, timeout=120)
            try:
                self.conn.request(method, path, body=data, headers=hdrs)
                resp = self.conn.getresponse()
                raw = resp.read()
                if resp.getheader("Connection", "").lower() == "close":
                    self.conn.close()
                    self.conn = None
                return resp.status, resp.getheader("Set-Cookie"), raw
            except (OSError, http.client.HTTPException):
                if self.conn is not None:
                    self.conn.close()
                self.conn = None
                if attempt:
                    raise
        raise RuntimeError("unreachable")

    def json(self, method, path, body=None, headers=None, want=200):
        status, _, raw = self.request(method, path, body, headers)
        if status != want:
            raise RuntimeError("%s %s -> %d %s" % (method, path, status, raw[:300]))
        return json.loads(raw) if raw else {}

    def login(self, username, password):
        status, cookie, raw = self.request("POST", AGENT + "/login",
                                           {"username": username, "password": password})
        if status != 200:
            raise RuntimeError("login %s -> %d %s" % (username, status, raw[:200]))
        body = json.loads(raw)
        self.cookie = cookie.split(";")[0].split("=", 1)[1]
        self.csrf = body["csrf"]
        self.id = body["agent"]["id"]
        return self


def parallel(n_threads, items, fn):
    """Runs fn(item) for every item on n_threads threads; returns the results in order."""
    out = [None] * len(items)
    errors = []
    lock = threading.Lock()
    nxt = [0]

    def worker():
        while True:
            with lock:
                i = nxt[0]
                nxt[0] += 1
            if i >= len(items) or errors:
                return
            try:
                out[i] = fn(items[i])
            except Exception as exc:  # noqa: BLE001 - reported below
                errors.append(exc)
                return

    threads = [threading.Thread(target=worker) for _ in range(n_threads)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
    return out


_tls = threading.local()


def thread_client(port):
    c = getattr(_tls, "client", None)
    if c is None or c.port != port:
        c = _tls.client = Client(port)
    return c


def make_agents(port, admin, n, prefix, teams, threads):
    """Adds n agent accounts through the admin API and logs each in; returns the clients."""
    def add(i):
        c = thread_client(port)
        hdrs = {"Cookie": "loket_agent=" + admin.cookie, "X-CSRF-Token": admin.csrf}
        status, _, raw = c.request("POST", AGENT + "/accounts",
                                   {"username": "%s%03d" % (prefix, i), "name": "Agent %d" % i,
                                    "role": "agent", "teams": teams, "password": PASSWORD},
                                   headers=hdrs)
        if status != 201:
            raise RuntimeError("add account -> %d %s" % (status, raw[:200]))

    t0 = now()
    parallel(threads, list(range(n)), add)
    t1 = now()
    agents = parallel(threads, list(range(n)),
                      lambda i: Client(port).login("%s%03d" % (prefix, i), PASSWORD))
    t2 = now()
    print("setup: %d accounts added in %.1f s (%.0f ms each, %d at once), logged in in %.1f s"
          % (n, t1 - t0, (t1 - t0) * 1000 * threads / max(1, n), threads, t2 - t1))
    return agents


def make_waiting(port, n, threads):
    """n conversations, each asking for a person; returns [(id, token)]."""
    def one(_):
        c = thread_client(port)
        body = c.json("POST", "/api/v1/conversations", {"channel": "api", "lang": "nl"}, want=201)
        c.json("POST", "/api/v1/conversations/%s/messages" % body["id"], {"action": "handoff:request"},
               headers={"Authorization": "Bearer " + body["token"]})
        return body["id"], body["token"]

    t0 = now()
    convs = parallel(threads, list(range(n)), one)
    t1 = now()
    print("setup: %d conversations created and queued in %.1f s (%.0f/s, %d threads)"
          % (n, t1 - t0, n / max(1e-9, t1 - t0), threads))
    return convs


class StreamHub(threading.Thread):
    """Reads many event streams on one selector thread; calls on_event(key, event, id, data, t)."""

    def __init__(self, on_event):
        super().__init__(daemon=True)
        self.sel = selectors.DefaultSelector()
        self.on_event = on_event
        self.stop_flag = False
        self.closed = 0

    def add(self, port, path, headers, key):
        """Opens one stream; call before start()."""
        s = SSEStream(port, path, headers)
        first = s.connect()
        if s.status != 200:
            raise RuntimeError("stream %s -> %d %s" % (path, s.status, s.body[:200]))
        t = now()
        for e, i, d in first:
            self.on_event(key, e, i, d, t)
        s.sock.setblocking(False)
        self.sel.register(s.sock, selectors.EVENT_READ, (s, key))
        return s

    def run(self):
        while not self.stop_flag and self.sel.get_map():
            ready = self.sel.select(timeout=0.1)
            t = now()
            for skey, _ in ready:
                s, key = skey.data
                try:
                    events = s.feed_socket()
                except BlockingIOError:
                    continue
                except OSError:
                    events = []
                    s.closed = True
                for e, i, d in events:
                    self.on_event(key, e, i, d, t)
                if s.closed:
                    self.sel.unregister(s.sock)
                    self.closed += 1

    def close_all(self):
        self.stop_flag = True
        self.join(2)
        for skey in list(self.sel.get_map().values()):
            skey.data[0].close()


def scenario_deliver(args):
    admin = Client(args.port).login(args.admin, args.admin_password)
    agents = make_agents(args.port, admin, args.agents, "deliver", ["burgerzaken"], args.setup_threads)
    convs = make_waiting(args.port, args.convs, args.setup_threads)
    arrived = {}
    unexpected = [0]
    lock = threading.Lock()

    def on_event(key, event, ident, data, t):
        if event == "message" and isinstance(data, dict) and data.get("role") == "agent":
            text = data.get("text", "")
            with lock:
                if text in arrived:
                    unexpected[0] += 1  # a duplicate delivery
                else:
                    arrived[text] = (t, key)

    hub = StreamHub(on_event)
    r0 = rss_kib(args.pid)
    t0 = now()
    for cid, token in convs:
        hub.add(args.port, "/api/v1/conversations/%s/events" % cid, {"Authorization": "Bearer " + token}, cid)
    for a in agents:
        hub.add(args.port, AGENT + "/events", {"Cookie": "loket_agent=" + a.cookie}, "console:" + a.id)
    hub.start()
    t1 = now()
    print("setup: %d citizen streams + %d console streams opened in %.1f s; loket RSS %.1f -> %.1f MiB"
          % (len(convs), len(agents), t1 - t0, r0 / 1024.0, rss_kib(args.pid) / 1024.0))

    held = {}

    def claim_all(a):
        mine = []
        while len(mine) < args.convs // args.agents:
            body = a.json("POST", AGENT + "/claim", {})
            mine.append(body["handoff"]["conv_id"])
        held[a.id] = mine

    t0 = now()
    parallel(len(agents), agents, claim_all)
    print("setup: %d agents claimed %d conversations in %.1f s"
          % (len(agents), sum(len(v) for v in held.values()), now() - t0))
    time.sleep(0.5)

    sent = {}
    post_lat = []
    failed = []

    def send_all(a):
        for r in range(args.rounds):
            for cid in held[a.id]:
                text = "bench %s r%d %s" % (a.id[-6:], r, cid)
                t = now()
                status, _, raw = a.request("POST", AGENT + "/conversations/%s/messages" % cid,
                                           {"text": text})
                t2 = now()
                with lock:
                    if status == 200:
                        sent[text] = (t, cid)
                        post_lat.append(t2 - t)
                    else:
                        failed.append((status, raw[:120]))

    t0 = now()
    parallel(len(agents), agents, send_all)
    t_send = now() - t0
    deadline = now() + args.drain_s
    while now() < deadline:
        with lock:
            if all(text in arrived for text in sent):
                break
        time.sleep(0.05)
    with lock:
        lat = [arrived[text][0] - t for text, (t, _) in sent.items() if text in arrived]
        wrong = sum(1 for text, (_, cid) in sent.items() if text in arrived and arrived[text][1] != cid)
        lost = sum(1 for text in sent if text not in arrived)
    print("sends: %d POSTs answered 200 in %.1f s (%.0f/s, %d agents, one in flight each); %d failed %s"
          % (len(sent), t_send, len(sent) / max(1e-9, t_send), len(agents), len(failed), failed[:3]))
    print("agent POST latency: p50 %s  p99 %s  max %s" % (ms(pct(post_lat, 50)), ms(pct(post_lat, 99)),
                                                           ms(max(post_lat) if post_lat else 0)))
    print("delivery latency (POST sent -> event on the citizen's stream): p50 %s  p99 %s  max %s  (n=%d)"
          % (ms(pct(lat, 50)), ms(pct(lat, 99)), ms(max(lat) if lat else 0), len(lat)))
    print("lost: %d   wrong stream: %d   duplicate deliveries: %d   streams closed by loket: %d"
          % (lost, wrong, unexpected[0], hub.closed))
    print("loket RSS at the end: %.1f MiB" % (rss_kib(args.pid) / 1024.0))
    hub.close_all()
    return 3 if (lost or wrong or failed) else 0


def scenario_claim(args):
    admin = Client(args.port).login(args.admin, args.admin_password)
    agents = make_agents(args.port, admin, args.agents, "claim", ["burgerzaken"], args.setup_threads)
    convs = make_waiting(args.port, args.convs, args.setup_threads)
    all_ids = {cid for cid, _ in convs}
    claims = {a.id: [] for a in agents}
    lat = []
    errors = []
    lock = threading.Lock()
    barrier = threading.Barrier(len(agents) + 1)

    def run(a):
        mine, my_lat = [], []
        barrier.wait()
        while True:
            t = now()
            status, _, raw = a.request("POST", AGENT + "/claim", {})
            my_lat.append(now() - t)
            if status == 200:
                mine.append(json.loads(raw)["handoff"]["conv_id"])
            elif status == 404:
                break
            else:
                with lock:
                    errors.append((status, raw[:120]))
                if len(errors) > 100:
                    break
        with lock:
            claims[a.id] = mine
            lat.extend(my_lat)

    threads = [threading.Thread(target=run, args=(a,)) for a in agents]
    for t in threads:
        t.start()
    barrier.wait()
    t0 = now()
    for t in threads:
        t.join()
    wall = now() - t0
    got = [c for lst in claims.values() for c in lst]
    per = sorted(len(v) for v in claims.values())
    print("claims: %d in %.2f s = %.0f claims/s by %d agents at once (per agent min %d, median %d, max %d);"
          " %d other answers %s" % (len(got), wall, len(got) / max(1e-9, wall), len(agents), per[0],
                                    per[len(per) // 2], per[-1], len(errors), errors[:3]))
    print("claim latency (incl. the final 404s): p50 %s  p99 %s  max %s  (n=%d)"
          % (ms(pct(lat, 50)), ms(pct(lat, 99)), ms(max(lat) if lat else 0), len(lat)))

    # 1. what the agents got back
    dup_client = len(got) - len(set(got))
    missing = len(all_ids - set(got))
    stray = len(set(got) - all_ids)
    # 2. each agent's own view ("mine")
    owner = {}
    for a in agents:
        for c in claims[a.id]:
            owner[c] = a.id

    def mine_view(a):
        q = a.json("GET", AGENT + "/queue")
        return a.id, {h["conv_id"] for h in q.get("mine") or []}

    t0 = now()
    mismatch_mine = 0
    for aid, ids in parallel(args.setup_threads, agents, mine_view):
        if ids != set(claims[aid]):
            mismatch_mine += 1
    # 3. every conversation read back by the admin (who sees every team)
    hdrs = {"Cookie": "loket_agent=" + admin.cookie}

    def holder(cid):
        c = thread_client(args.port)
        body = c.json("GET", AGENT + "/conversations/%s" % cid, headers=hdrs)
        h = body.get("handoff") or {}
        return cid, h.get("status"), h.get("agent_id")

    wrong_holder = 0
    not_assigned = 0
    for cid, status, aid in parallel(args.setup_threads, sorted(all_ids), holder):
        if status != "assigned":
            not_assigned += 1
        elif owner.get(cid) != aid:
            wrong_holder += 1
    print("read back in %.1f s: every agent's /queue 'mine' (%d agents differ from their claims);"
          " every conversation as admin (%d not assigned, %d held by another agent than claimed it)"
          % (now() - t0, mismatch_mine, not_assigned, wrong_holder))
    # 4. the table itself
    dup_db = 0
    if args.db and os.path.exists(args.db):
        db = sqlite3.connect("file:%s?mode=ro" % args.db, uri=True, timeout=30)
        rows = db.execute("SELECT conv_id, count(*) FROM handoffs WHERE status IN ('waiting','assigned')"
                          " GROUP BY conv_id HAVING count(*) > 1").fetchall()
        dup_db = len(rows)
        total = db.execute("SELECT status, count(*) FROM handoffs GROUP BY status").fetchall()
        by_agent = db.execute("SELECT agent, conv_id FROM handoffs WHERE status = 'assigned'").fetchall()
        db.close()
        differ = sum(1 for aid, cid in by_agent if owner.get(cid) != aid)
        print("handoffs table: %s; conversations with more than one active handoff: %d;"
              " assigned rows whose agent is not the claimant: %d" % (dict(total), dup_db, differ))
        dup_db += differ
    doubles = dup_client + wrong_holder + dup_db + mismatch_mine
    print("double assignments: %d   (claimed twice by the clients: %d; unclaimed: %d; unknown: %d)"
          % (doubles, dup_client, missing, stray))
    print("loket RSS at the end: %.1f MiB" % (rss_kib(args.pid) / 1024.0))
    return 3 if (doubles or missing or not_assigned) else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("scenario", choices=("deliver", "claim"))
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--pid", type=int, default=0, help="loket's pid, for its RSS")
    ap.add_argument("--db", help="loket's SQLite file (claim: checks the table too)")
    ap.add_argument("--admin", default="admin")
    ap.add_argument("--admin-password", default=os.environ.get("LOKET_BENCH_ADMIN_PASSWORD", ""))
    ap.add_argument("--agents", type=int)
    ap.add_argument("--convs", type=int)
    ap.add_argument("--rounds", type=int, default=5, help="deliver: messages per conversation")
    ap.add_argument("--drain-s", type=float, default=30.0)
    ap.add_argument("--setup-threads", type=int, default=16)
    args = ap.parse_args()
    if args.scenario == "deliver":
        args.agents = args.agents or 10
        args.convs = args.convs or 500
        return scenario_deliver(args)
    args.agents = args.agents or 200
    args.convs = args.convs or 5000
    return scenario_claim(args)


if __name__ == "__main__":
    sys.exit(main())
