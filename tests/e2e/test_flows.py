"""test_flows.py - end-to-end tests of guided flows through the real `loket serve`.

What the conversation scripts (tests/conversations, `loket test`) cannot see: the HTTP API
around flows. A booking held over HTTP with quick replies, the transcript's "flow" field, a
server restart in the middle of a flow (the state is in the database), photo uploads (types,
sizes, tokens), and `loket check` / `loket serve` refusing a broken flow file with file, line and
reason. Standard library only; everything on 127.0.0.1.
"""

import os
import shutil
import socket
import subprocess
import tempfile
import unittest

from harness import REPO_ROOT, LoketServer, bearer

DEMO_BOT = os.path.join(REPO_ROOT, "bots", "gemeente-demo")
PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
       b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00"
       b"\x00\x00IEND\xaeB`\x82")


def loket_bin():
    path = os.environ.get("LOKET_BIN", "build/loket")
    return path if os.path.isabs(path) else os.path.join(REPO_ROOT, path)


class FlowApiTest(unittest.TestCase):
    server = None

    @classmethod
    def setUpClass(cls):
        cls.server = LoketServer().start()

    @classmethod
    def tearDownClass(cls):
        cls.server.cleanup()

    def say(self, conv, text=None, action=None):
        response = self.server.post_message(conv, text=text, action=action)
        self.assertEqual(response.status, 200, response)
        return response.json()["messages"]

    def flow(self, conv):
        body = self.server.transcript(conv).json()
        self.assertIn("flow", body)
        return body["flow"]

    def press(self, conv, messages, prefix="choose:", index=0):
        """Presses the index-th quick reply of the last message whose payload starts with prefix."""
        payloads = [q["payload"] for q in messages[-1]["quick_replies"]
                    if q["payload"].startswith(prefix)]
        self.assertGreater(len(payloads), index, messages[-1])
        return self.say(conv, action=payloads[index])

    def test_booking_over_http(self):
        conv = self.server.create_conversation(lang="nl")
        messages = self.say(conv, "Ik wil een afspraak maken voor mijn paspoort")
        self.assertEqual(messages[-1]["kind"], "flow", messages)
        self.assertEqual(messages[-1]["flow"], "afspraak")
        self.assertEqual(messages[-1]["step"], "location")
        self.assertEqual(messages[-1]["input"]["type"], "choice")
        self.assertEqual(self.flow(conv)["slots"], {"product": "paspoort"})
        messages = self.press(conv, messages)            # a location
        self.assertEqual(messages[-1]["step"], "date")
        self.assertEqual(messages[-1]["input"]["type"], "date")
        messages = self.press(conv, messages)            # the first free day
        self.assertEqual(messages[-1]["step"], "time")
        messages = self.press(conv, messages)            # the first free time
        self.assertEqual(messages[-1]["step"], "name")
        messages = self.say(conv, "Fatima el Amrani")
        messages = self.say(conv, "dit is geen adres")
        self.assertEqual(messages[-1]["step"], "email", messages)   # asked again
        messages = self.say(conv, "fatima@example.nl")
        self.assertEqual(messages[-1]["step"], "confirm")
        self.assertIn("Fatima el Amrani", messages[-1]["text"])
        messages = self.press(conv, messages, "confirm:yes")
        self.assertRegex(messages[-1]["text"], r"AF-[A-Z0-9]+")
        self.assertIsNone(self.flow(conv))

    def test_restart_continues_at_the_same_step(self):
        conv = self.server.create_conversation(lang="nl")
        self.say(conv, "ik wil feedback geven")
        self.assertEqual(self.flow(conv)["step"], "rating")
        self.server.restart()
        messages = self.say(conv, "4")
        self.assertEqual(messages[-1]["step"], "comment", messages)
        messages = self.say(conv, action="skip")
        self.assertIn("Dank u wel", messages[-1]["text"])
        self.assertIsNone(self.flow(conv))

    def test_stale_button_is_refused_kindly(self):
        conv = self.server.create_conversation(lang="nl")
        messages = self.say(conv, action="confirm:yes")
        self.assertEqual(messages[-1]["kind"], "flow")
        self.assertIsNone(self.flow(conv))

    def test_photo_upload(self):
        conv = self.server.create_conversation(lang="nl")
        path = "/api/v1/conversations/%s/attachments" % conv["id"]
        headers = dict(bearer(conv["token"]), **{"Content-Type": "image/png"})
        response = self.server.request("POST", path, PNG, headers=headers)
        self.assertEqual(response.status, 201, response)
        self.assertRegex(response.json()["id"], r"^[0-9a-f]{32}$")
        self.assertEqual(response.json()["action"], "attachment:" + response.json()["id"])
        # not an image, a lie about the type, the wrong token, too big
        bad = dict(headers, **{"Content-Type": "text/plain"})
        self.assertEqual(self.server.request("POST", path, b"hello", headers=bad).status, 415)
        response = self.server.request("POST", path, b"GIF89a....", headers=headers)
        self.assertEqual(response.status, 400, response)
        wrong = dict(headers, Authorization="Bearer " + "ab" * 32)
        self.assertEqual(self.server.request("POST", path, PNG, headers=wrong).status, 401)
        self.assertEqual(self.declared_too_big(path, conv), 413)
        self.assertEqual(self.server.healthz().status, 200)

    def declared_too_big(self, path, conv):
        """A 6 MiB upload is refused from its Content-Length, before the body is sent."""
        with socket.create_connection(("127.0.0.1", self.server.port), timeout=10) as sock:
            sock.sendall(("POST %s HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"
                          "Content-Type: image/png\r\nContent-Length: %d\r\n\r\n"
                          % (path, conv["token"], 6 << 20)).encode())
            status = sock.recv(64).split(b" ")[1]
        return int(status)

    def test_photo_in_a_melding(self):
        conv = self.server.create_conversation(lang="nl")
        messages = self.say(conv, "De lantaarnpaal bij ons voor de deur is kapot")
        self.assertEqual(self.flow(conv)["flow"], "melding", messages)
        guard = 0
        while self.flow(conv) and self.flow(conv)["step"] != "photo" and guard < 8:
            guard += 1
            step = self.flow(conv)["step"]
            if step == "description":
                messages = self.say(conv, "De lantaarnpaal is kapot en het is erg donker")
            elif step == "category":
                messages = self.press(conv, messages)
            elif step == "location":
                messages = self.say(conv, "Kerkstraat 1")
                if self.flow(conv)["step"] == "location":
                    row = open(os.path.join(DEMO_BOT, "data", "adressen.csv")).read().splitlines()[1]
                    messages = self.say(conv, " ".join(row.split(",")[:2]))
        self.assertEqual(self.flow(conv)["step"], "photo", messages)
        self.assertTrue(messages[-1]["input"].get("optional"))
        upload = self.server.request("POST", "/api/v1/conversations/%s/attachments" % conv["id"],
                                     PNG, headers=dict(bearer(conv["token"]),
                                                       **{"Content-Type": "image/png"}))
        messages = self.say(conv, action=upload.json()["action"])
        self.assertEqual(self.flow(conv)["step"], "contact", messages)
        self.assertTrue(self.flow(conv)["slots"]["photo"])


class BrokenFlowTest(unittest.TestCase):
    def test_broken_flow_names_file_and_line(self):
        tmp = tempfile.mkdtemp(prefix="loket-flow-")
        try:
            bot = os.path.join(tmp, "bot")
            shutil.copytree(DEMO_BOT, bot)
            with open(os.path.join(bot, "flows", "zz-kapot.yaml"), "w") as f:
                f.write("id: kapot\ntitle: {nl: Kapot, en: Broken}\n"
                        "triggers:\n  examples:\n    nl: [a, b, c]\n    en: [a, b, c]\n"
                        "steps:\n  - slot: wanneer\n    type: datum\n"
                        "    ask: {nl: Wanneer?, en: When?}\n    reask: {nl: Wanneer?, en: When?}\n"
                        "done: {nl: Klaar, en: Done}\n")
            for command in (["check", "--bot", bot],
                            ["serve", "--bot", bot, "--listen", "127.0.0.1:0",
                             "--db", "sqlite:" + os.path.join(tmp, "x.db")]):
                result = subprocess.run([loket_bin()] + command, capture_output=True, text=True,
                                        timeout=60, cwd=REPO_ROOT)
                self.assertNotEqual(result.returncode, 0, result)
                self.assertIn("zz-kapot.yaml:8:", result.stderr)
                self.assertIn("unknown type 'datum'", result.stderr)
            with open(os.path.join(bot, "flows", "zz-kapot.yaml"), "w") as f:
                f.write("id: kapot\nmystery: 1\n")
            result = subprocess.run([loket_bin(), "check", "--bot", bot], capture_output=True,
                                    text=True, timeout=60, cwd=REPO_ROOT)
            self.assertIn("zz-kapot.yaml:2: unknown key 'mystery'", result.stderr)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    def test_demo_bot_checks(self):
        result = subprocess.run([loket_bin(), "check", "--bot", DEMO_BOT], capture_output=True,
                                text=True, timeout=60, cwd=REPO_ROOT)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertRegex(result.stdout, r"[1-9][0-9]* flows")


if __name__ == "__main__":
    unittest.main()
