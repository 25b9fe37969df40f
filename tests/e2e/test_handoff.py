"""test_handoff.py - the human handoff through the real `loket serve` (issue 7).

A copy of the demo bot with every team open around the clock (or, for the after-hours tests,
open only on a day some days ahead), no holidays, agent_timeout_s 2 and fallbacks 2; agent
accounts are added with `loket agent add` before the server starts. Covered: the four triggers
(asked, quick reply, always-human topic, fallbacks in a row, three failed answers in a flow),
the citizen's messages while waiting, login (wrong password, unknown user, lockout, cookie
attributes, CSRF, logout), two agents claiming at once and claim-next by many agents, what an
agent of another team or a plain agent may not do, an agent whose connection drops (the
conversation goes back to the queue after agent_timeout_s), messages and typing both ways,
transfer, release, return to the bot, close with and without summary, the audit log, after
hours (closed message, ticket flow, the ticket list), WhatsApp and Telegram (the agent's reply
reaches the fake platform API), and bad input. Standard library only.
"""

import datetime
import json
import os
import re
import shutil
import sys
import tempfile
import threading
import time
import unittest

from harness import (AGENT_API, CLOSED_HOURS, DAYS, OPEN_HOURS, AgentClient, LoketServer,
                     SSEReader, agent_add, bearer, make_bot, wait_until)

HEX64 = re.compile(r"^[0-9a-f]{64}$")
UNKNOWN_ID = "0123456789abcdef0123456789abcdef"
ASK_PERSON = "Ik wil een medewerker spreken"
NONSENSE = ("Hoe laat vertrekt de trein naar Parijs?", "Wat is de hoofdstad van Mongolie?")
REPORT = {}  # figures the report quotes (printed at the end of the module's tests)


def log(msg):
    sys.stderr.write("[handoff] %s\n" % msg)
    sys.stderr.flush()


def handoffs(messages):
    return [m for m in messages if m.get("kind") == "handoff"]


def agent_name(handoff):
    """The agent's name in a handoff notice ("agent": "Anna" or {"name": "Anna"})."""
    agent = handoff.get("agent")
    return agent.get("name") if isinstance(agent, dict) else agent


def payloads(message):
    return [q.get("payload") for q in message.get("quick_replies") or []]


class HandoffBase(unittest.TestCase):
    """One server per class on a patched copy of the demo bot, with the accounts in ACCOUNTS
    (username, name, role, teams) added before it starts."""

    hours = OPEN_HOURS
    agent_timeout_s = 2
    extra_yaml = ""
    env = None
    ACCOUNTS = ()
    ONLINE = ()  # usernames logged in and kept online (console stream open) for the whole class

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="loket-handoff-")
        bot = make_bot(cls.tmp, hours=cls.hours, agent_timeout_s=cls.agent_timeout_s,
                       fallbacks=2, extra=cls.extra_yaml)
        cls.server = LoketServer(bot=bot, env=cls.env)
        cls.passwords = {}
        cls.agents = {}
        try:
            for username, name, role, teams in cls.ACCOUNTS:
                cls.passwords[username] = agent_add(cls.server, username, name, role, teams)
            cls.server.start()
            for username in cls.ONLINE:
                client = cls.login(username)
                client.online()
                cls.agents[username] = client
        except Exception:
            cls.tearDownClass()  # unittest does not call it when setUpClass fails
            raise

    @classmethod
    def tearDownClass(cls):
        try:
            for client in cls.agents.values():
                client.close()
        finally:
            cls.agents = {}
            cls.server.stop()
            tail = cls.server.stderr_tail(200000)
            cls.server.cleanup()
            shutil.rmtree(cls.tmp, ignore_errors=True)
        bad = [line for line in tail.splitlines()
               if re.search(r"Sanitizer|runtime error:|SUMMARY:", line)]
        if bad:  # an ASan/UBSan build said something: that is a failure of the class
            raise AssertionError("sanitizer output from loket serve:\n" + "\n".join(bad[:20]))

    @classmethod
    def login(cls, username):
        client = AgentClient(cls.server)
        response = client.login(username, cls.passwords[username])
        if response.status != 200:
            raise AssertionError("login %s: %r" % (username, response))
        return client

    def tearDown(self):
        self.assertTrue(self.server.is_running(), "server died; stderr:\n" + self.server.stderr_tail())

    # ---- citizen side ----

    def ask(self, conv, text=None, action=None):
        response = self.server.post_message(conv, text=text, action=action)
        self.assertEqual(response.status, 200, response)
        return response.json()

    def request_handoff(self, conv=None, text=ASK_PERSON, team="burgerzaken"):
        """A conversation (new unless given) that asks for a person; returns (conv, handoff
        message)."""
        conv = conv or self.server.create_conversation(lang="nl")
        body = self.ask(conv, text=text)
        found = handoffs(body["messages"])
        self.assertTrue(found, body)
        self.assertEqual(found[-1]["handoff"]["status"], "waiting", found[-1])
        if team:
            self.assertEqual(found[-1]["handoff"]["team"], team, found[-1])
        return conv, found[-1]

    def citizen_stream(self, conv):
        reader = SSEReader(self.server.port, "/api/v1/conversations/%s/events" % conv["id"],
                           bearer(conv["token"])).start()
        self.addCleanup(reader.close)
        self.assertEqual(reader.status, 200)
        return reader

    def citizen_handoff(self, conv):
        response = self.server.transcript(conv)
        self.assertEqual(response.status, 200, response)
        return response.json().get("handoff")

    # ---- agent side ----

    def queue(self, client):
        response = client.get("queue")
        self.assertEqual(response.status, 200, response)
        return response.json()

    def queue_entry(self, client, conv_id, lists=("waiting", "mine", "assigned")):
        q = self.queue(client)
        for name in lists:
            for h in q.get(name) or []:
                if h.get("conv_id") == conv_id:
                    return name, h
        return None, None

    def waiting_in(self, client, team):
        return len([h for h in self.queue(client).get("waiting") or [] if h.get("team") == team])

    def claim(self, client, conv_id, status=200):
        response = client.post("claim", {"conv_id": conv_id})
        self.assertEqual(response.status, status, response)
        return response.json()

    def conv_path(self, conv_id, what=""):
        return "conversations/%s%s" % (conv_id, "/" + what if what else "")

    def audit(self, client, conv_id):
        response = client.get("audit?conv_id=%s&limit=100" % conv_id)
        self.assertEqual(response.status, 200, response)
        return response.json()["entries"]

    def assertError(self, response, status, code=None):
        self.assertEqual(response.status, status, response)
        if code is not None:
            self.assertEqual(response.error_code(), code, response)
        body = response.json()
        self.assertIsInstance(body["error"].get("message"), str, body)


BURGER = ("burgerzaken",)
CONSOLE_ACCOUNTS = (
    ("anna", "Anna", "agent", BURGER),
    ("bert", "Bert", "agent", BURGER),
    ("carla", "Carla", "agent", ("afval",)),
    ("dora", "Dora", "agent", BURGER),
    ("sanne", "Sanne", "supervisor", ("burgerzaken", "afval", "zorg")),
    ("admin", "Ad Min", "admin", BURGER),
    ("locky", "Lock", "agent", BURGER),
    ("loggy", "Log", "agent", BURGER),
)


class TriggerTest(HandoffBase):
    """The ways a handoff starts, and the citizen's messages while waiting."""

    ACCOUNTS = CONSOLE_ACCOUNTS
    ONLINE = ("anna", "sanne")

    def cancel(self, conv):
        """The citizen stops waiting ("Stop met wachten"): the handoff is over."""
        body = self.ask(conv, action="handoff:cancel")
        self.assertTrue(body["messages"], body)
        handoff = self.citizen_handoff(conv)
        self.assertTrue(handoff is None or handoff.get("status") == "closed", handoff)

    def test_asked_phrase_queues_with_position_and_wait(self):
        sanne = self.agents["sanne"]
        console = self.agents["anna"].streams[0]
        before = self.waiting_in(sanne, "burgerzaken")
        conv = self.server.create_conversation(lang="nl")
        body = self.ask(conv, ASK_PERSON)
        found = handoffs(body["messages"])
        self.assertTrue(found, body)
        h = found[-1]["handoff"]
        self.assertEqual(h["status"], "waiting", h)
        self.assertEqual(h["team"], "burgerzaken", h)
        self.assertTrue(h.get("team_name"), h)
        self.assertEqual(h.get("position"), before + 1, h)
        self.assertIsInstance(h.get("wait_minutes"), int, h)
        self.assertGreaterEqual(h["wait_minutes"], 1, h)
        self.assertIn("handoff:cancel", payloads(found[-1]), found[-1])
        self.assertEqual(found[-1].get("role"), "bot")
        self.assertEqual(((body.get("state") or {}).get("handoff") or {}).get("status"), "waiting", body)
        self.assertEqual(self.citizen_handoff(conv).get("status"), "waiting")
        where, entry = self.queue_entry(sanne, conv["id"])
        self.assertEqual(where, "waiting")
        self.assertEqual(entry["reason"], "asked", entry)
        self.assertEqual(entry["team"], "burgerzaken", entry)
        self.assertEqual(entry["position"], before + 1, entry)
        self.assertEqual(entry.get("channel"), "api", entry)
        for key in ("conv_id", "team", "team_name", "status", "reason", "agent_id", "agent_name",
                    "requested_at", "waited_s", "position", "lang", "channel", "preview"):
            self.assertIn(key, entry)
        self.assertRegex(entry["requested_at"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d")
        self.assertEqual(entry["lang"], "nl")
        self.assertLessEqual(len(entry["preview"]), 140)
        # the console stream of an agent of the team hears about it
        heard = console.wait_for(lambda ev: [e for e in ev if e[0] == "queue" and e[2].get("conv_id") == conv["id"]
                                             and e[2].get("action") == "waiting"])
        self.assertTrue(heard, console.events[-5:])
        self.assertEqual(heard[0][2]["team"], "burgerzaken")
        self.assertIsNone(heard[0][1])  # no ids on the console stream
        self.cancel(conv)
        self.assertEqual(self.queue_entry(sanne, conv["id"]), (None, None))
        self.assertTrue(console.wait_for(lambda ev: [e for e in ev if e[0] == "queue" and e[2].get("conv_id") == conv["id"]
                                                     and e[2].get("action") == "cancelled"]), console.events[-5:])

    def test_request_quick_reply(self):
        conv = self.server.create_conversation(lang="nl")
        body = self.ask(conv, action="handoff:request")
        found = handoffs(body["messages"])
        self.assertTrue(found, body)
        self.assertEqual(found[-1]["handoff"]["status"], "waiting")
        _, entry = self.queue_entry(self.agents["sanne"], conv["id"])
        self.assertIsNotNone(entry)
        self.assertEqual(entry["reason"], "asked", entry)
        self.cancel(conv)

    def test_always_human_topic(self):
        conv = self.server.create_conversation(lang="nl")
        body = self.ask(conv, "ik heb te maken met huiselijk geweld")
        kinds = [m.get("kind") for m in body["messages"]]
        self.assertNotIn("answer", kinds, body)
        self.assertNotIn("suggestions", kinds, body)
        for m in body["messages"]:
            self.assertEqual(m.get("sources") or [], [], m)
        found = handoffs(body["messages"])
        self.assertTrue(found, body)
        self.assertEqual(found[-1]["handoff"]["team"], "zorg", found[-1])
        self.assertEqual(found[-1]["handoff"]["status"], "waiting", found[-1])
        # the safety notice (handoff_safety) comes first and names the emergency number
        text = " ".join(m.get("text", "") for m in body["messages"])
        self.assertIn("112", text, body)
        first_notice = min(i for i, m in enumerate(body["messages"]) if "112" in m.get("text", ""))
        self.assertLessEqual(first_notice, body["messages"].index(found[-1]), body)
        _, entry = self.queue_entry(self.agents["sanne"], conv["id"])
        self.assertEqual(entry["reason"], "topic", entry)
        self.assertEqual(entry["team"], "zorg", entry)
        # an agent of burgerzaken does not see it
        self.assertEqual(self.queue_entry(self.agents["anna"], conv["id"]), (None, None))
        self.cancel(conv)

    def test_two_fallbacks_in_a_row(self):
        conv = self.server.create_conversation(lang="nl")
        first = self.ask(conv, NONSENSE[0])
        self.assertIn("fallback", [m.get("kind") for m in first["messages"]], first)
        self.assertFalse(handoffs(first["messages"]), first)
        second = self.ask(conv, NONSENSE[1])
        found = handoffs(second["messages"])
        self.assertTrue(found, second)
        self.assertEqual(found[-1]["handoff"]["status"], "waiting")
        _, entry = self.queue_entry(self.agents["sanne"], conv["id"])
        self.assertEqual(entry["reason"], "fallbacks", entry)
        self.cancel(conv)

    def test_three_failed_answers_in_a_flow(self):
        conv = self.server.create_conversation(lang="nl")
        body = self.ask(conv, action="flow:afspraak")
        self.assertIn("flow", [m.get("kind") for m in body["messages"]], body)
        for i, text in enumerate(("blabla", "qwerty", "zzzz")):
            body = self.ask(conv, text)
            if i < 2:
                self.assertFalse(handoffs(body["messages"]), body)
        found = handoffs(body["messages"])
        self.assertTrue(found, body)
        self.assertEqual(found[-1]["handoff"]["team"], "burgerzaken", found[-1])
        self.assertEqual(found[-1]["handoff"]["status"], "waiting", found[-1])
        _, entry = self.queue_entry(self.agents["sanne"], conv["id"])
        self.assertEqual(entry["reason"], "flow_fails", entry)
        self.cancel(conv)

    def test_messages_while_waiting_get_no_bot_reply_and_reach_the_agent(self):
        conv, _ = self.request_handoff()
        anna = self.agents["anna"]
        stream = anna.stream(self.conv_path(conv["id"], "events"))
        self.assertEqual(stream.status, 200)
        text = "Mijn paspoort is gestolen in Spanje, wat moet ik doen?"
        body = self.ask(conv, text)
        self.assertEqual(body["messages"], [], body)
        self.assertEqual(body["state"]["handoff"]["status"], "waiting", body)
        got = stream.wait_for(lambda ev: [e for e in ev if e[0] == "message"
                                          and isinstance(e[2], dict) and e[2].get("text") == text])
        self.assertTrue(got, stream.events)
        self.assertEqual(got[0][2].get("role"), "user", got[0])
        view = anna.get(self.conv_path(conv["id"]))
        self.assertEqual(view.status, 200, view)
        view = view.json()
        users = [m for m in view["messages"] if m.get("role") == "user"]
        self.assertIn(text, [m.get("text") for m in users], view["messages"])
        self.assertEqual(view["handoff"]["status"], "waiting", view["handoff"])
        self.assertEqual(view["conversation"]["id"], conv["id"])
        self.assertIn("summary_draft", view)
        _, entry = self.queue_entry(anna, conv["id"])
        self.assertTrue(text.startswith(entry["preview"][:40]) or entry["preview"] in text, entry)
        transcript = self.server.transcript(conv).json()
        self.assertFalse([m for m in transcript["messages"] if m.get("role") == "bot"
                          and m["seq"] > users[-1]["seq"]], transcript)
        self.cancel(conv)


class AuthTest(HandoffBase):
    """Login, lockout, the cookie, CSRF, logout, and who may call what."""

    ACCOUNTS = CONSOLE_ACCOUNTS
    ONLINE = ("anna", "carla", "sanne", "admin")

    def test_wrong_password_and_unknown_user_look_alike(self):
        client = AgentClient(self.server)
        wrong = client.login("bert", "not-the-password-at-all")
        self.assertError(wrong, 401, "invalid_login")
        unknown = client.login("nobody-here", "not-the-password-at-all")
        self.assertError(unknown, 401, "invalid_login")
        self.assertEqual(wrong.json()["error"]["message"], unknown.json()["error"]["message"])
        self.assertNotIn("set-cookie", wrong.headers)
        self.assertIsNone(client.cookie)

    def test_lockout_after_five_failures(self):
        client = AgentClient(self.server)
        statuses = [client.login("locky", "wrong-password-%d-xx" % i).status for i in range(5)]
        log("lockout: statuses of 5 wrong logins %s" % statuses)
        REPORT["lockout statuses"] = statuses
        self.assertEqual(statuses[:4], [401] * 4)
        self.assertIn(statuses[4], (401, 429))
        right = client.login("locky", self.passwords["locky"])
        self.assertError(right, 429, "locked")
        self.assertIsNone(client.cookie)

    def test_cookie_attributes_and_me(self):
        client = AgentClient(self.server)
        response = client.login("bert", self.passwords["bert"])
        self.assertEqual(response.status, 200, response)
        cookie = client.set_cookie
        self.assertRegex(client.cookie or "", HEX64, cookie)
        parts = [p.strip().lower() for p in cookie.split(";")]
        for attr in ("httponly", "secure", "samesite=strict", "path=/", "max-age=43200"):
            self.assertIn(attr, parts, cookie)
        body = response.json()
        self.assertRegex(body.get("csrf", ""), HEX64, body)
        agent = body["agent"]
        self.assertEqual(agent["username"], "bert")
        self.assertEqual(agent["name"], "Bert")
        self.assertEqual(agent["role"], "agent")
        self.assertEqual(agent["teams"], ["burgerzaken"])
        self.assertNotIn("pw_hash", json.dumps(body))
        me = client.get("me")
        self.assertEqual(me.status, 200, me)
        me = me.json()
        self.assertEqual(me["agent"]["id"], agent["id"])
        self.assertEqual(me["csrf"], body["csrf"])
        self.assertEqual(me["agent_timeout_s"], 2)
        self.assertEqual([t["id"] for t in me["teams"]], ["burgerzaken"], me["teams"])
        for team in me["teams"]:
            self.assertIsInstance(team["open"], bool)
            self.assertTrue(team["open"], team)
            self.assertIsInstance(team["waiting"], int)
            self.assertIsInstance(team["assigned"], int)
            self.assertTrue(team["name"])
        self.assertIsInstance(me["canned"].get("nl"), list, me["canned"])
        self.assertIsInstance(me["canned"].get("en"), list, me["canned"])

    def test_csrf_missing_or_wrong(self):
        conv, _ = self.request_handoff()
        anna = self.agents["anna"]
        self.assertError(anna.post("claim", {"conv_id": conv["id"]}, csrf=False), 403, "csrf")
        self.assertError(anna.post("claim", {"conv_id": conv["id"]}, csrf="0" * 64), 403, "csrf")
        self.assertError(anna.post(self.conv_path(conv["id"], "messages"), {"text": "x"},
                                   csrf=False), 403, "csrf")
        self.assertError(anna.post("logout", csrf=False), 403, "csrf")
        # none of these claimed it
        self.assertEqual(self.citizen_handoff(conv)["status"], "waiting")
        self.assertEqual(anna.get("me").status, 200)  # a GET needs no CSRF token
        self.ask(conv, action="handoff:cancel")

    def test_no_cookie(self):
        anon = AgentClient(self.server)
        for path in ("me", "queue", "tickets", "audit", "accounts", self.conv_path(UNKNOWN_ID)):
            self.assertError(anon.get(path), 401, "not_logged_in")
        self.assertError(anon.post("claim", {}, csrf="0" * 64), 401, "not_logged_in")
        garbage = anon.get("me", headers={"Cookie": "loket_agent=" + "ab" * 32})
        self.assertError(garbage, 401, "not_logged_in")
        garbage = anon.get("me", headers={"Cookie": "loket_agent=\x01;;==;" + "x" * 300})
        self.assertEqual(garbage.status, 401, garbage)
        neither = anon.post("claim", {})
        REPORT["POST without cookie and without CSRF"] = neither.status
        self.assertEqual(neither.status, 401, neither)
        stream = SSEReader(self.server.port, AGENT_API + "/events").start()
        self.addCleanup(stream.close)
        self.assertEqual(stream.status, 401)

    def test_logout(self):
        client = self.login("loggy")
        self.assertEqual(client.get("me").status, 200)
        response = client.post("logout")
        self.assertEqual(response.status, 200, response)
        cleared = response.headers.get("set-cookie", "")
        self.assertIn("loket_agent=", cleared)
        self.assertIn("max-age=0", cleared.lower().replace(" ", ""), cleared)
        self.assertError(client.get("me"), 401, "not_logged_in")
        self.assertError(client.post("claim", {}), 401, "not_logged_in")
        again = self.login("loggy")
        self.assertNotEqual(again.cookie, client.cookie)
        self.assertEqual(again.get("me").status, 200)

    def test_other_team_is_forbidden(self):
        conv, _ = self.request_handoff()
        carla, anna = self.agents["carla"], self.agents["anna"]
        self.assertEqual(self.queue_entry(carla, conv["id"]), (None, None))
        self.assertError(carla.get(self.conv_path(conv["id"])), 403)
        self.assertError(carla.post("claim", {"conv_id": conv["id"]}), 403, "forbidden")
        stream = SSEReader(self.server.port, AGENT_API + "/" + self.conv_path(conv["id"], "events"),
                           carla.auth_headers(csrf=False)).start()
        self.addCleanup(stream.close)
        self.assertEqual(stream.status, 403)
        self.claim(anna, conv["id"])
        self.assertError(carla.post(self.conv_path(conv["id"], "messages"), {"text": "hoi"}), 403)
        self.assertError(carla.post(self.conv_path(conv["id"], "typing")), 403)
        for action in ("transfer", "release", "return", "close"):
            body = {"team": "afval"} if action == "transfer" else {}
            self.assertError(carla.post(self.conv_path(conv["id"], action), body), 403)
        self.assertEqual(self.citizen_handoff(conv)["status"], "assigned")
        self.assertEqual(anna.post(self.conv_path(conv["id"], "close"), {"summary": "test"}).status, 200)

    def test_plain_agent_cannot_supervise(self):
        conv, _ = self.request_handoff()
        anna = self.agents["anna"]
        self.assertError(anna.post(self.conv_path(conv["id"], "assign"), {"agent_id": anna.id}), 403)
        self.assertError(anna.get("audit"), 403)
        self.assertError(anna.get("accounts"), 403)
        self.assertError(anna.post("accounts", {"username": "evil", "name": "Evil", "role": "admin",
                                                "teams": ["burgerzaken"],
                                                "password": "long-enough-password"}), 403)
        self.assertError(anna.post("accounts/" + anna.id, {"role": "admin"}), 403)
        # a supervisor may assign, read the audit log and the accounts, but not add accounts
        sanne = self.agents["sanne"]
        response = sanne.post(self.conv_path(conv["id"], "assign"), {"agent_id": anna.id})
        self.assertEqual(response.status, 200, response)
        self.assertEqual(self.citizen_handoff(conv)["status"], "assigned")
        self.assertEqual(sanne.get("audit").status, 200)
        accounts = sanne.get("accounts")
        self.assertEqual(accounts.status, 200, accounts)
        names = {a["username"]: a for a in accounts.json()["accounts"]}
        self.assertIn("anna", names)
        self.assertNotIn("pw_hash", accounts.body.decode())
        self.assertTrue(names["anna"]["online"], names["anna"])
        self.assertError(sanne.post("accounts", {"username": "evil2", "name": "Evil", "role": "agent",
                                                 "teams": ["burgerzaken"],
                                                 "password": "long-enough-password"}), 403)
        admin = self.agents["admin"]
        created = admin.post("accounts", {"username": "nieuw", "name": "Nieuw", "role": "agent",
                                          "teams": ["afval"], "password": "long-enough-password"})
        self.assertEqual(created.status, 201, created)
        self.assertEqual(created.json()["account"]["teams"], ["afval"])
        fresh = AgentClient(self.server)
        self.assertEqual(fresh.login("nieuw", "long-enough-password").status, 200)
        new_id = created.json()["account"]["id"]
        self.assertError(sanne.post("accounts/" + new_id, {"disabled": True}), 403)
        self.assertEqual(admin.post("accounts/" + new_id, {"disabled": True}).status, 200)
        self.assertError(fresh.get("me"), 401, "not_logged_in")  # its sessions are gone
        self.assertError(AgentClient(self.server).login("nieuw", "long-enough-password"), 401, "invalid_login")
        self.assertEqual(anna.post(self.conv_path(conv["id"], "close")).status, 200)

    def test_console_pages(self):
        page = self.server.request("GET", "/agent")
        self.assertEqual(page.status, 200, page)
        self.assertIn("text/html", page.headers.get("content-type", ""))
        for name, kind in (("agent.js", "javascript"), ("agent.css", "text/css")):
            asset = self.server.request("GET", "/agent/" + name)
            self.assertEqual(asset.status, 200, asset)
            self.assertIn(kind, asset.headers.get("content-type", ""), name)
        self.assertEqual(self.server.request("GET", "/agent/../bot.yaml").status, 404)
        self.assertEqual(self.server.request("GET", "/agent/nope.js").status, 404)

    def test_citizen_token_cannot_call_agent_routes(self):
        conv = self.server.create_conversation(lang="nl")
        for method, path in (("GET", "/me"), ("GET", "/queue"), ("POST", "/claim"),
                             ("GET", "/conversations/%s" % conv["id"])):
            response = self.server.request(method, AGENT_API + path, {} if method == "POST" else None,
                                           headers=bearer(conv["token"]))
            self.assertError(response, 401, "not_logged_in")
            response = self.server.request(method, AGENT_API + path, {} if method == "POST" else None,
                                           headers={"Cookie": "loket_agent=" + conv["token"],
                                                    "X-CSRF-Token": conv["token"]})
            self.assertError(response, 401, "not_logged_in")


class RaceTest(HandoffBase):
    """Claims at the same moment: one wins; claim-next never hands one conversation twice."""

    ACCOUNTS = tuple(("r%d" % i, "Racer %d" % i, "agent", BURGER) for i in range(8)) + (
        ("sanne", "Sanne", "supervisor", ("burgerzaken", "afval", "zorg")),)
    ONLINE = tuple("r%d" % i for i in range(8)) + ("sanne",)
    agent_timeout_s = 30   # the claimed conversations must not go back to the queue mid-test

    def make_waiting(self, n):
        convs = [None] * n

        def one(i):
            conv = self.server.create_conversation(lang="nl")
            response = self.server.post_message(conv, action="handoff:request")
            assert response.status == 200, response
            convs[i] = conv

        threads = [threading.Thread(target=lambda k=k: [one(i) for i in range(k, n, 4)])
                   for k in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertTrue(all(convs))
        return convs

    def drain(self):
        """Empties the queue: the supervisor claims every waiting conversation and closes it."""
        sanne = self.agents["sanne"]
        while True:
            response = sanne.post("claim", {})
            if response.status == 404:
                return
            self.assertEqual(response.status, 200, response)
            conv_id = response.json()["handoff"]["conv_id"]
            self.assertEqual(sanne.post(self.conv_path(conv_id, "close")).status, 200)

    def test_two_agents_claim_the_same_conversation(self):
        self.drain()
        convs = self.make_waiting(30)
        a, b = self.agents["r0"], self.agents["r1"]
        for conv in convs:
            barrier = threading.Barrier(2)
            results = {}

            def go(client, key):
                barrier.wait()
                results[key] = client.post("claim", {"conv_id": conv["id"]})

            threads = [threading.Thread(target=go, args=(a, "a")), threading.Thread(target=go, args=(b, "b"))]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            statuses = sorted(r.status for r in results.values())
            self.assertEqual(statuses, [200, 409], results)
            loser = [r for r in results.values() if r.status == 409][0]
            self.assertEqual(loser.error_code(), "already_claimed", loser)
            winner_key = [k for k, r in results.items() if r.status == 200][0]
            winner = a if winner_key == "a" else b
            handoff = results[winner_key].json()["handoff"]
            self.assertEqual(handoff["agent_id"], winner.id, handoff)
            self.assertEqual(handoff["status"], "assigned", handoff)
            _, entry = self.queue_entry(self.agents["sanne"], conv["id"])
            self.assertEqual(entry["agent_id"], winner.id, entry)
        for conv in convs:
            view = self.agents["sanne"].get(self.conv_path(conv["id"])).json()["handoff"]
            holder = self.agents["r0"] if view["agent_id"] == self.agents["r0"].id else self.agents["r1"]
            self.assertEqual(holder.post(self.conv_path(conv["id"], "close")).status, 200)

    def test_positions_and_wait_estimate(self):
        """8 agents of burgerzaken online (9 with the supervisor, who has the team too),
        minutes_per_conversation 4: the estimate is ceil(position * 4 / 8 or 9) = 1, 1, 2;
        when the queue moves, the others hear their new place."""
        self.drain()
        time.sleep(2.5)  # the server counts the agents online every 2 s
        me = self.agents["r0"].get("me").json()
        minutes = 4
        convs, notices = [], []
        for _ in range(3):
            conv, msg = self.request_handoff(text=ASK_PERSON)
            convs.append(conv)
            notices.append(msg["handoff"])
        self.assertEqual([h["position"] for h in notices], [1, 2, 3], notices)
        online = [t for t in me["teams"] if t["id"] == "burgerzaken"]
        self.assertTrue(online)
        want = [-(-p * minutes // 8) for p in (1, 2, 3)]
        REPORT["wait_minutes for positions 1..3 with 8 agents online"] = [h["wait_minutes"] for h in notices]
        self.assertEqual([h["wait_minutes"] for h in notices], want, notices)
        streams = [self.citizen_stream(c) for c in convs[1:]]
        self.claim(self.agents["r0"], convs[0]["id"])
        for stream, place in zip(streams, (1, 2)):
            moved = stream.wait_for(lambda ev, place=place: [e for e in ev if e[0] == "handoff"
                                                             and e[2].get("position") == place])
            self.assertTrue(moved, stream.events)
            self.assertEqual(moved[0][2]["status"], "waiting")
            self.assertIsNone(moved[0][1])  # ephemeral: no id
        self.assertEqual(self.citizen_handoff(convs[2])["position"], 2)
        self.assertEqual(self.agents["r0"].post(self.conv_path(convs[0]["id"], "close")).status, 200)
        self.drain()

    def test_claim_next_by_eight_agents(self):
        self.drain()
        convs = self.make_waiting(50)
        ids = {c["id"] for c in convs}
        barrier = threading.Barrier(8)
        claimed = {}
        errors = []

        def go(name):
            client = self.agents[name]
            mine = claimed.setdefault(name, [])
            barrier.wait()
            while True:
                response = client.post("claim", {})
                if response.status == 404:
                    if response.error_code() != "queue_empty":
                        errors.append(response)
                    return
                if response.status != 200:
                    errors.append(response)
                    continue
                mine.append(response.json()["handoff"]["conv_id"])

        names = ["r%d" % i for i in range(8)]
        threads = [threading.Thread(target=go, args=(n,)) for n in names]
        t0 = time.monotonic()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.monotonic() - t0
        everything = [c for lst in claimed.values() for c in lst]
        log("claim-next: 8 agents took 50 in %.2f s; per agent %s; errors %r"
            % (elapsed, sorted(len(v) for v in claimed.values()), errors[:3]))
        self.assertEqual(errors, [])
        self.assertEqual(len(everything), len(set(everything)), "a conversation was claimed twice")
        self.assertEqual(set(everything), ids)
        sanne = self.agents["sanne"]
        q = self.queue(sanne)
        held = {h["conv_id"]: h["agent_id"] for h in (q.get("assigned") or []) + (q.get("mine") or [])}
        for name, lst in claimed.items():
            for conv_id in lst:
                self.assertEqual(held.get(conv_id), self.agents[name].id, conv_id)
        for name, lst in claimed.items():
            for conv_id in lst:
                self.assertEqual(self.agents[name].post(self.conv_path(conv_id, "close")).status, 200)


class ConsoleTest(HandoffBase):
    """The agent's work on one conversation, and what the citizen sees of it."""

    ACCOUNTS = CONSOLE_ACCOUNTS
    ONLINE = ("anna", "carla", "sanne")

    def test_dropped_agent_connection_requeues(self):
        conv, _ = self.request_handoff()
        citizen = self.citizen_stream(conv)
        sanne = self.agents["sanne"]
        dora = self.login("dora")
        console = dora.online()
        self.assertEqual(console.status, 200)
        self.claim(dora, conv["id"])
        assigned = citizen.wait_for(lambda ev: [e for e in ev if e[0] == "message" and isinstance(e[2], dict)
                                                and e[2].get("kind") == "handoff"
                                                and e[2]["handoff"].get("status") == "assigned"])
        self.assertTrue(assigned, citizen.events)
        self.assertEqual(agent_name(assigned[0][2]["handoff"]), "Dora", assigned[0][2])
        time.sleep(3)  # still online: the open stream keeps her (agent_timeout_s is 2)
        self.assertEqual(self.queue_entry(sanne, conv["id"])[0], "assigned",
                         "requeued while the agent's stream was open")
        mark = len(citizen.events)
        t0 = time.monotonic()
        console.close(abrupt=True)
        back = wait_until(lambda: self.queue_entry(sanne, conv["id"])[0] == "waiting", timeout=40,
                          interval=0.1)
        took = time.monotonic() - t0
        REPORT["dropped agent: back in the queue after"] = "%.1f s" % took
        log("dropped agent connection: back in the queue after %.1f s (agent_timeout_s 2)" % took)
        self.assertTrue(back, "not back in the queue within 40 s")
        notice = citizen.wait_for(lambda ev: [e for e in ev[mark:]
                                              if (e[0] == "message" and isinstance(e[2], dict)
                                                  and e[2].get("kind") == "handoff")
                                              or e[0] == "handoff"], timeout=5)
        self.assertTrue(notice, citizen.events[mark:])
        self.assertEqual(self.citizen_handoff(conv)["status"], "waiting")
        actions = [(e["action"], e["actor"], e["conv_id"]) for e in self.audit(sanne, conv["id"])]
        self.assertIn("timeout", [a[0] for a in actions], actions)
        self.assertIn(("claim", dora.id, conv["id"]), actions)
        self.ask(conv, action="handoff:cancel")

    def test_reply_and_typing_both_ways(self):
        conv, _ = self.request_handoff()
        citizen = self.citizen_stream(conv)
        anna = self.agents["anna"]
        self.claim(anna, conv["id"])
        agent_view = anna.stream(self.conv_path(conv["id"], "events"))
        self.assertEqual(agent_view.status, 200)
        text = "Goedemiddag, u spreekt met Anna van Burgerzaken."
        response = anna.post(self.conv_path(conv["id"], "messages"), {"text": text})
        self.assertEqual(response.status, 200, response)
        message = response.json()["message"]
        self.assertEqual(message["role"], "agent", message)
        self.assertEqual(message["text"], text)
        got = citizen.wait_for(lambda ev: [e for e in ev if e[0] == "message" and isinstance(e[2], dict)
                                           and e[2].get("text") == text])
        self.assertTrue(got, citizen.events)
        event = got[0][2]
        self.assertEqual(event["role"], "agent", event)
        self.assertEqual(event["kind"], "agent", event)
        self.assertEqual(event["agent"]["name"], "Anna", event)
        self.assertEqual(got[0][1], event["seq"], got[0])
        self.assertEqual(event.get("sources"), [], event)
        transcript = self.server.transcript(conv).json()
        mine = [m for m in transcript["messages"] if m.get("text") == text]
        self.assertEqual(len(mine), 1, transcript["messages"])
        self.assertEqual(mine[0]["role"], "agent")
        self.assertEqual(mine[0]["agent"]["name"], "Anna")
        self.assertEqual(transcript["handoff"]["status"], "assigned")
        # the citizen types: the agent sees "typing"
        response = self.server.request("POST", "/api/v1/conversations/%s/typing" % conv["id"], {},
                                       headers=bearer(conv["token"]))
        self.assertEqual(response.status, 204, response)
        typing = agent_view.wait_for(lambda ev: [e for e in ev if e[0] == "typing"])
        self.assertTrue(typing, agent_view.events)
        self.assertEqual(typing[0][2].get("role"), "user", typing)
        self.assertIsNone(typing[0][1])
        # the agent types: the citizen sees it with the agent's name
        self.assertEqual(anna.post(self.conv_path(conv["id"], "typing")).status, 204)
        typing = citizen.wait_for(lambda ev: [e for e in ev if e[0] == "typing"
                                              and e[2].get("role") == "agent"])
        self.assertTrue(typing, citizen.events)
        self.assertEqual(typing[0][2], {"role": "agent", "name": "Anna"})
        # the citizen answers: no bot reply, the agent sees it live
        body = self.ask(conv, "Ik ben mijn paspoort kwijt.")
        self.assertEqual(body["messages"], [])
        self.assertTrue(agent_view.wait_for(lambda ev: [e for e in ev if e[0] == "message" and isinstance(
            e[2], dict) and e[2].get("text") == "Ik ben mijn paspoort kwijt."]), agent_view.events)
        # the agent's conversation stream replays from Last-Event-ID / ?after= like the citizen's
        replay = anna.stream(self.conv_path(conv["id"], "events?after=1"))
        self.assertEqual(replay.status, 200)
        got = replay.wait_for(lambda ev: [e for e in ev if e[0] == "message" and isinstance(e[2], dict)
                                          and e[2].get("text") == text])
        self.assertTrue(got, replay.events)
        ids = [e[1] for e in replay.events if e[0] == "message"]
        self.assertTrue(ids and min(ids) == 2 and ids == sorted(ids), ids)
        # bad typing token
        response = self.server.request("POST", "/api/v1/conversations/%s/typing" % conv["id"], {},
                                       headers=bearer("ab" * 32))
        self.assertIn(response.status, (401, 403, 404), response)
        self.assertEqual(anna.post(self.conv_path(conv["id"], "close"), {"summary": "x"}).status, 200)

    def test_transfer_release_and_audit(self):
        conv, _ = self.request_handoff()
        anna, carla, sanne = self.agents["anna"], self.agents["carla"], self.agents["sanne"]
        bert = self.login("bert")
        self.claim(anna, conv["id"])
        # another agent of the same team cannot take it over
        self.assertError(bert.post("claim", {"conv_id": conv["id"]}), 409, "already_claimed")
        self.assertError(bert.post(self.conv_path(conv["id"], "messages"), {"text": "hoi"}), 409,
                         "not_holder")
        self.assertError(anna.post(self.conv_path(conv["id"], "transfer"), {"team": "nope"}), 400,
                         "unknown_team")
        before = self.waiting_in(sanne, "afval")
        response = anna.post(self.conv_path(conv["id"], "transfer"), {"team": "afval"})
        self.assertEqual(response.status, 200, response)
        h = response.json()["handoff"]
        self.assertEqual((h["team"], h["status"]), ("afval", "waiting"), h)
        self.assertEqual(h["position"], before + 1, h)
        self.assertFalse(h.get("agent_id"), h)
        where, entry = self.queue_entry(carla, conv["id"])
        self.assertEqual(where, "waiting", self.queue(carla))
        self.assertEqual(entry["position"], before + 1)
        self.assertEqual(self.queue_entry(anna, conv["id"]), (None, None))
        self.assertError(anna.get(self.conv_path(conv["id"])), 403)
        self.assertError(anna.post(self.conv_path(conv["id"], "messages"), {"text": "nog iets"}), 403)
        self.assertError(anna.post("claim", {"conv_id": conv["id"]}), 403, "forbidden")
        # the citizen is told (a handoff notice with the new team)
        transcript = self.server.transcript(conv).json()
        self.assertEqual(transcript["handoff"]["team"], "afval", transcript["handoff"])
        self.assertEqual(transcript["handoff"]["status"], "waiting")
        # carla claims, releases (back to the queue, same team), claims again, closes
        self.claim(carla, conv["id"])
        response = carla.post(self.conv_path(conv["id"], "release"))
        self.assertEqual(response.status, 200, response)
        where, entry = self.queue_entry(sanne, conv["id"])
        self.assertEqual((where, entry["team"], entry["status"]), ("waiting", "afval", "waiting"), entry)
        self.assertFalse(entry.get("agent_id"), entry)
        self.claim(carla, conv["id"])
        response = carla.post(self.conv_path(conv["id"], "close"), {"summary": "Grofvuil opgehaald."})
        self.assertEqual(response.status, 200, response)
        self.assertEqual(response.json()["summary"], "Grofvuil opgehaald.")
        entries = self.audit(sanne, conv["id"])
        for e in entries:
            self.assertEqual(e["conv_id"], conv["id"], e)
            self.assertTrue(e["at"], e)
        actions = [(e["action"], e["actor"]) for e in entries]
        for want in (("handoff", None), ("claim", anna.id), ("transfer", anna.id), ("claim", carla.id),
                     ("release", carla.id), ("close", carla.id)):
            if want[1] is None:
                self.assertIn(want[0], [a[0] for a in actions], actions)
            else:
                self.assertIn(want, actions)
        names = {e["actor"]: e.get("actor_name") for e in entries}
        self.assertEqual(names.get(anna.id), "Anna", entries)
        ids = [e["id"] for e in entries]
        self.assertEqual(ids, sorted(ids, reverse=True), "audit not newest first")
        bert.close()

    def test_return_to_bot(self):
        conv, _ = self.request_handoff()
        anna = self.agents["anna"]
        self.claim(anna, conv["id"])
        response = anna.post(self.conv_path(conv["id"], "return"))
        self.assertEqual(response.status, 200, response)
        handoff = self.citizen_handoff(conv)
        self.assertTrue(handoff is None or handoff["status"] == "closed", handoff)
        body = self.ask(conv, "Wat kost een paspoort?")
        self.assertIn("answer", [m.get("kind") for m in body["messages"]], body)
        self.assertEqual(self.queue_entry(self.agents["sanne"], conv["id"]), (None, None))
        actions = [e["action"] for e in self.audit(self.agents["sanne"], conv["id"])]
        self.assertIn("return", actions)
        self.assertError(anna.post(self.conv_path(conv["id"], "messages"), {"text": "te laat"}), 409,
                         "not_holder")

    def test_close_with_and_without_summary(self):
        anna = self.agents["anna"]
        conv, _ = self.request_handoff()
        self.ask(conv, "Ik wil weten wanneer mijn rijbewijs klaar is.")
        self.claim(anna, conv["id"])
        self.assertEqual(anna.post(self.conv_path(conv["id"], "messages"),
                                   {"text": "Uw rijbewijs ligt donderdag klaar."}).status, 200)
        response = anna.post(self.conv_path(conv["id"], "close"))
        self.assertEqual(response.status, 200, response)
        summary = response.json().get("summary")
        REPORT["server summary"] = summary
        self.assertIsInstance(summary, str)
        self.assertTrue(summary.strip(), response)
        handoff = self.citizen_handoff(conv)
        self.assertTrue(handoff is None or handoff["status"] == "closed", handoff)
        notices = handoffs(self.server.transcript(conv).json()["messages"])
        self.assertEqual(notices[-1]["handoff"]["status"], "closed", notices[-1])  # the citizen is told
        body = self.ask(conv, "Wat kost een paspoort?")
        self.assertTrue(body["messages"], body)  # the bot answers again

        conv, _ = self.request_handoff()
        self.claim(anna, conv["id"])
        response = anna.post(self.conv_path(conv["id"], "close"), {"summary": "Vraag over paspoort beantwoord."})
        self.assertEqual(response.status, 200, response)
        self.assertEqual(response.json()["summary"], "Vraag over paspoort beantwoord.")
        entries = self.audit(self.agents["sanne"], conv["id"])
        self.assertIn(("close", anna.id, conv["id"]), [(e["action"], e["actor"], e["conv_id"]) for e in entries])
        self.assertError(anna.post(self.conv_path(conv["id"], "close")), 409)

    def test_bad_input(self):
        conv, _ = self.request_handoff()
        anna = self.agents["anna"]
        self.claim(anna, conv["id"])
        path = self.conv_path(conv["id"], "messages")
        big = anna.post(path, {"text": "a" * 100000})
        self.assertIn(big.status, (400, 413), big)
        REPORT["agent reply of 100000 chars"] = "%d %s" % (big.status, big.error_code())
        try:
            huge = anna.post(path, {"text": "b" * 3000000})
        except (ConnectionResetError, BrokenPipeError):
            huge = None  # closing the connection early on a huge body is allowed
        if huge is not None:
            self.assertIn(huge.status, (400, 413), huge)
        self.assertEqual(self.server.healthz().status, 200)
        almost = anna.post(path, {"text": "c" * 3000})
        REPORT["agent reply of 3000 chars"] = almost.status
        self.assertError(anna.post(path, {"text": ""}), 400)
        self.assertError(anna.post(path, {"text": "   \n\t "}), 400)
        self.assertError(anna.post(path, {"tekst": "hallo"}), 400)
        self.assertError(anna.post(path, {"text": 42}), 400)
        self.assertError(anna.post(path, b"{\"text\": \"unterminated", headers={"Content-Type": "application/json"}), 400)
        self.assertError(anna.post(path, b"[1,2,3]", headers={"Content-Type": "application/json"}), 400)
        self.assertError(anna.post("claim", b"not json", headers={"Content-Type": "application/json"}), 400)
        self.assertIn(anna.post("claim", b"not json").status, (400, 415))  # no Content-Type
        self.assertError(anna.post(self.conv_path(conv["id"], "transfer"), {"team": 7}), 400)
        self.assertError(anna.get(self.conv_path(UNKNOWN_ID)), 404)
        self.assertError(anna.post("claim", {"conv_id": UNKNOWN_ID}), 404, "not_found")
        self.assertError(anna.post(self.conv_path(UNKNOWN_ID, "messages"), {"text": "hallo"}), 404)
        bad_id = anna.get(self.conv_path("../../etc/passwd"))
        self.assertIn(bad_id.status, (400, 404), bad_id)
        self.assertError(self.server.request("POST", AGENT_API + "/login", b"{oops",
                                            headers={"Content-Type": "application/json"}), 400)
        long_user = AgentClient(self.server).login("x" * 10000, "y" * 10000)
        self.assertIn(long_user.status, (400, 401, 413), long_user)
        self.assertEqual(anna.get("tickets?status=bogus").status, 400)
        # none of that stored anything
        transcript = self.server.transcript(conv).json()
        self.assertEqual([m["text"] for m in transcript["messages"] if m.get("role") == "agent"], ["c" * 3000])
        self.assertEqual(anna.post(self.conv_path(conv["id"], "close")).status, 200)
        self.assertEqual(self.server.healthz().status, 200)


def open_day(days_ahead=3):
    """The three-letter day, `days_ahead` days from today in Amsterdam, and that date."""
    try:
        import zoneinfo
        now = datetime.datetime.now(zoneinfo.ZoneInfo("Europe/Amsterdam"))
    except Exception:  # no tz database: UTC is close enough three days ahead
        now = datetime.datetime.now(datetime.timezone.utc)
    day = now + datetime.timedelta(days=days_ahead)
    return DAYS[day.weekday()], day.date()


OPEN_DAY, OPEN_DATE = open_day()
DUTCH_DAYS = ("maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag")


class AfterHoursTest(HandoffBase):
    """Every team open only on one day three days ahead, 09:00-17:00."""

    hours = dict(CLOSED_HOURS, **{OPEN_DAY: "09:00-17:00"})
    ACCOUNTS = (("anna", "Anna", "agent", BURGER), ("carla", "Carla", "agent", ("afval",)),
                ("sanne", "Sanne", "supervisor", ("burgerzaken", "afval", "zorg")))
    ONLINE = ("anna", "carla", "sanne")

    def closed_message(self, conv):
        body = self.ask(conv, ASK_PERSON)
        found = handoffs(body["messages"])
        self.assertTrue(found, body)
        return found[-1]

    def test_closed_message_names_the_next_opening(self):
        conv = self.server.create_conversation(lang="nl")
        msg = self.closed_message(conv)
        self.assertEqual(msg["handoff"]["status"], "closed", msg)
        self.assertIn("flow:vraag-achterlaten", payloads(msg), msg)
        self.assertIn("handoff:decline", payloads(msg), msg)
        text = msg["text"]
        REPORT["after-hours text"] = text
        self.assertTrue(any(t in text for t in ("09:00", "9:00", "09.00", "9.00")), text)
        day_name = DUTCH_DAYS[OPEN_DATE.weekday()]
        self.assertTrue(day_name in text.lower() or str(OPEN_DATE.day) in text, text)
        self.assertEqual(self.queue_entry(self.agents["sanne"], conv["id"]), (None, None))
        me = self.agents["sanne"].get("me").json()
        self.assertTrue(all(t["open"] is False for t in me["teams"]), me["teams"])
        declined = self.ask(conv, action="handoff:decline")
        self.assertTrue(declined["messages"], declined)
        self.assertFalse([m for m in declined["messages"] if "VR-" in m.get("text", "")], declined)

    def leave_question(self, conv, question):
        """Runs the vraag-achterlaten flow to its end; returns the ticket reference."""
        body = self.ask(conv, action="flow:vraag-achterlaten")
        seen = []
        for _ in range(12):
            msgs = body["messages"]
            seen.extend(msgs)
            text = " ".join(m.get("text", "") for m in msgs)
            ref = re.search(r"VR-[A-Z0-9]{6}", text)
            if ref:
                return ref.group(0), seen
            last = msgs[-1] if msgs else {}
            lower = last.get("text", "").lower()
            qr = last.get("quick_replies") or []
            if "klopt dit" in lower:
                yes = [q for q in qr if q.get("label", "").lower() in ("ja", "ja, klopt", "klopt")]
                self.assertTrue(yes, last)
                body = self.ask(conv, action=yes[0]["payload"])
            elif "e-mailadres" in lower:
                body = self.ask(conv, "jan.devries@example.nl")
            elif "contact met u opnemen" in lower:
                mail = [q for q in qr if "mail" in q.get("label", "").lower()]
                self.assertTrue(mail, last)
                body = self.ask(conv, action=mail[0]["payload"])
            elif "uw naam" in lower:
                body = self.ask(conv, "Jan de Vries")
            elif "uw vraag" in lower:
                body = self.ask(conv, question)
            else:
                self.fail("do not know how to answer %r (so far: %r)" % (last, seen))
        self.fail("no ticket reference after 12 turns: %r" % seen)

    def test_ticket_flow_and_ticket_list(self):
        conv = self.server.create_conversation(lang="nl")
        self.closed_message(conv)
        question = "Wanneer kan ik mijn nieuwe paspoort ophalen bij het stadhuis?"
        ref, seen = self.leave_question(conv, question)
        REPORT["ticket flow turns"] = len(seen)
        sanne, anna, carla = self.agents["sanne"], self.agents["anna"], self.agents["carla"]
        listed = sanne.get("tickets?status=open")
        self.assertEqual(listed.status, 200, listed)
        mine = [t for t in listed.json()["tickets"] if t["ref"] == ref]
        self.assertEqual(len(mine), 1, listed.json())
        ticket = mine[0]
        self.assertEqual(ticket["question"], question, ticket)
        self.assertEqual(ticket["status"], "open")
        self.assertEqual(ticket["conv_id"], conv["id"])
        self.assertEqual(ticket["lang"], "nl")
        self.assertEqual(ticket["name"], "Jan de Vries")
        self.assertEqual(ticket["contact"], "jan.devries@example.nl")
        team = ticket["team"]
        self.assertIn(team, ("", "burgerzaken"), ticket)
        self.assertTrue([t for t in anna.get("tickets").json()["tickets"] if t["ref"] == ref])
        if team:
            self.assertFalse([t for t in carla.get("tickets").json()["tickets"] if t["ref"] == ref])
        done = anna.post("tickets/%s/done" % ref)
        self.assertEqual(done.status, 200, done)
        self.assertFalse([t for t in sanne.get("tickets?status=open").json()["tickets"] if t["ref"] == ref])
        closed = [t for t in sanne.get("tickets?status=done").json()["tickets"] if t["ref"] == ref]
        self.assertEqual(len(closed), 1)
        self.assertEqual(closed[0]["done_by"] in (anna.id, "Anna"), True, closed[0])
        self.assertTrue(closed[0]["done_at"])
        again = anna.post("tickets/%s/done" % ref)
        self.assertIn(again.status, (409, 400), again)
        self.assertError(anna.post("tickets/VR-ZZZZZZ/done"), 404)
        actions = [e["action"] for e in self.audit(sanne, conv["id"])]
        self.assertIn("ticket_done", actions)
        # the consoles of the team heard of the new ticket: event "ticket" {"ref","team"}
        heard = anna.streams[0].wait_for(lambda ev: [e for e in ev if e[0] == "ticket"
                                                     and e[2].get("ref") == ref], timeout=2)
        self.assertTrue(heard, "no 'ticket' event on the console stream; it got %r" % anna.streams[0].events[-5:])
        self.assertEqual(heard[0][2].get("team"), team)


# ---- WhatsApp and Telegram ----

import test_channels as tc  # noqa: E402  (module import: its test classes are not run twice)

CHANNELS_YAML = """
channels:
  whatsapp:
    phone_number_id: "%s"
    api_base: http://127.0.0.1:{port}/v21.0
    access_token_env: T_WA_TOKEN
    app_secret_env: T_WA_SECRET
    verify_token_env: T_WA_VERIFY
  telegram:
    api_base: http://127.0.0.1:{port}
    bot_token_env: T_TG_TOKEN
    secret_token_env: T_TG_SECRET
""" % tc.PHONE_ID


class ChannelHandoffTest(HandoffBase):
    ACCOUNTS = (("anna", "Anna", "agent", BURGER),
                ("sanne", "Sanne", "supervisor", ("burgerzaken", "afval", "zorg")))
    ONLINE = ("anna", "sanne")
    env = {"T_WA_TOKEN": tc.WA_TOKEN, "T_WA_SECRET": tc.APP_SECRET, "T_WA_VERIFY": tc.VERIFY,
           "T_TG_TOKEN": tc.TG_TOKEN, "T_TG_SECRET": tc.TG_SECRET}

    @classmethod
    def setUpClass(cls):
        cls.fake = tc.FakeChannels()
        cls.extra_yaml = CHANNELS_YAML.replace("{port}", str(cls.fake.port))
        try:
            super().setUpClass()
        except Exception:
            cls.fake.stop()
            raise

    @classmethod
    def tearDownClass(cls):
        try:
            super().tearDownClass()
        finally:
            cls.fake.stop()

    def find_conv(self, channel):
        sanne = self.agents["sanne"]
        entry = wait_until(lambda: [h for h in self.queue(sanne).get("waiting") or []
                                    if h.get("channel") == channel], timeout=20, interval=0.1)
        self.assertTrue(entry, "no waiting %s conversation" % channel)
        self.assertEqual(len(entry), 1, entry)
        return entry[0]

    def test_whatsapp_agent_reply_reaches_the_user(self):
        self.fake.call("POST", "/_reset", {})
        user = "31611119999"
        body = tc.wa_payload("wamid.H1", ASK_PERSON, sender=user)
        response = self.server.request("POST", "/channels/whatsapp/webhook", body, headers={
            "Content-Type": "application/json", "X-Hub-Signature-256": tc.sign(body)})
        self.assertEqual(response.status, 200, response)
        entry = self.find_conv("whatsapp")
        self.assertEqual(entry["team"], "burgerzaken")
        anna = self.agents["anna"]
        self.claim(anna, entry["conv_id"])
        text = "Goedemiddag, u spreekt met Anna van de gemeente."
        response = anna.post(self.conv_path(entry["conv_id"], "messages"), {"text": text})
        self.assertEqual(response.status, 200, response)

        def delivered():
            return [r for r in self.fake.sent("whatsapp") if r["body"].get("to") == user
                    and text in json.dumps(r["body"], ensure_ascii=False)]

        got = wait_until(delivered, timeout=20, interval=0.1)
        self.assertTrue(got, [r["body"] for r in self.fake.sent("whatsapp")])
        # the user's answer reaches the agent and gets no bot reply
        sent_before = len([r for r in self.fake.sent("whatsapp") if r["body"].get("to") == user])
        body = tc.wa_payload("wamid.H2", "Ik wil mijn adres wijzigen.", sender=user)
        self.assertEqual(self.server.request("POST", "/channels/whatsapp/webhook", body, headers={
            "Content-Type": "application/json", "X-Hub-Signature-256": tc.sign(body)}).status, 200)
        seen = wait_until(lambda: [m for m in anna.get(self.conv_path(entry["conv_id"])).json()["messages"]
                                   if m.get("text") == "Ik wil mijn adres wijzigen."], timeout=20)
        self.assertTrue(seen)
        time.sleep(0.5)
        sent_after = len([r for r in self.fake.sent("whatsapp") if r["body"].get("to") == user])
        self.assertEqual(sent_after, sent_before, "the bot answered while an agent held the conversation")
        self.assertEqual(anna.post(self.conv_path(entry["conv_id"], "close")).status, 200)

    def test_telegram_agent_reply_reaches_the_user(self):
        self.fake.call("POST", "/_reset", {})
        update = {"update_id": 910001, "message": {
            "message_id": 1, "from": {"id": 5151, "is_bot": False, "first_name": "T", "language_code": "nl"},
            "chat": {"id": 5151, "type": "private"}, "date": int(time.time()), "text": ASK_PERSON}}
        response = self.server.request("POST", "/channels/telegram/webhook", json.dumps(update), headers={
            "Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": tc.TG_SECRET})
        self.assertEqual(response.status, 200, response)
        entry = self.find_conv("telegram")
        anna = self.agents["anna"]
        self.claim(anna, entry["conv_id"])
        text = "Hallo, met Anna. Waarmee kan ik u helpen?"
        self.assertEqual(anna.post(self.conv_path(entry["conv_id"], "messages"), {"text": text}).status, 200)
        got = wait_until(lambda: [r for r in self.fake.sent("telegram") if r["body"].get("chat_id") == 5151
                                  and text in json.dumps(r["body"], ensure_ascii=False)], timeout=20,
                         interval=0.1)
        self.assertTrue(got, [r["body"] for r in self.fake.sent("telegram")])
        self.assertEqual(anna.post(self.conv_path(entry["conv_id"], "close")).status, 200)


def tearDownModule():
    if REPORT:
        log("figures: " + json.dumps(REPORT, ensure_ascii=False))


if __name__ == "__main__":
    unittest.main()
