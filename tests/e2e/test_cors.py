"""test_cors.py - which web sites may call the API from a browser (CORS), per bot.

The bot's channels.web.allowed_origins lists exact origins. A page from one of them gets
Access-Control-Allow-Origin on every answer (JSON, deferred replies, the event stream) and a
204 to its preflight; any other origin gets no CORS headers and a 403 preflight, so the browser
refuses. Standard library only; 127.0.0.1 only.
"""

import os
import shutil
import tempfile
import unittest

from harness import REPO_ROOT, LoketServer, bearer

ALLOWED = "https://www.gemeente-demo.nl"
OTHER = "https://evil.example"


class CorsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="loket-cors-")
        bot = os.path.join(cls.tmp, "bot")
        shutil.copytree(os.path.join(REPO_ROOT, "bots", "gemeente-demo"), bot)
        with open(os.path.join(bot, "bot.yaml"), "a") as f:
            f.write('channels:\n  web:\n    allowed_origins: ["%s", "http://127.0.0.1:9"]\n' % ALLOWED)
        cls.server = LoketServer(bot=bot).start()

    @classmethod
    def tearDownClass(cls):
        cls.server.cleanup()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def test_preflight(self):
        response = self.server.request("OPTIONS", "/api/v1/conversations", headers={
            "Origin": ALLOWED, "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type"})
        self.assertEqual(response.status, 204, response)
        self.assertEqual(response.headers.get("access-control-allow-origin"), ALLOWED)
        self.assertIn("Authorization", response.headers.get("access-control-allow-headers", ""))
        self.assertIn("POST", response.headers.get("access-control-allow-methods", ""))
        response = self.server.request("OPTIONS", "/api/v1/conversations", headers={"Origin": OTHER})
        self.assertEqual(response.status, 403, response)
        self.assertNotIn("access-control-allow-origin", response.headers)

    def test_answers_carry_the_origin(self):
        response = self.server.request("POST", "/api/v1/conversations", {"lang": "nl"},
                                       headers={"Origin": ALLOWED})
        self.assertEqual(response.status, 201)
        self.assertEqual(response.headers.get("access-control-allow-origin"), ALLOWED)
        self.assertIn("Origin", response.headers.get("vary", ""))
        conv = response.json()
        response = self.server.request("POST", "/api/v1/conversations/%s/messages" % conv["id"],
                                       {"text": "Wat kost een paspoort?"},
                                       headers=dict(bearer(conv["token"]), Origin=ALLOWED))
        self.assertEqual(response.status, 200)
        self.assertEqual(response.headers.get("access-control-allow-origin"), ALLOWED)
        response = self.server.request("GET", "/healthz", headers={"Origin": OTHER})
        self.assertEqual(response.status, 200)
        self.assertNotIn("access-control-allow-origin", response.headers)

    def test_event_stream_carries_the_origin(self):
        conv = self.server.create_conversation(lang="nl")
        import http.client
        conn = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=10)
        try:
            conn.request("GET", "/api/v1/conversations/%s/events?token=%s" % (conv["id"], conv["token"]),
                         headers={"Origin": ALLOWED})
            response = conn.getresponse()
            self.assertEqual(response.status, 200)
            self.assertEqual(response.getheader("Access-Control-Allow-Origin"), ALLOWED)
            self.assertTrue(response.getheader("Content-Type").startswith("text/event-stream"))
        finally:
            conn.close()

    def test_bad_origin_in_config_is_refused(self):
        tmp = tempfile.mkdtemp(prefix="loket-cors-")
        try:
            bot = os.path.join(tmp, "bot")
            shutil.copytree(os.path.join(REPO_ROOT, "bots", "gemeente-demo"), bot)
            with open(os.path.join(bot, "bot.yaml"), "a") as f:
                f.write('channels:\n  web:\n    allowed_origins: ["https://www.gemeente.nl/chat"]\n')
            import subprocess
            binary = os.environ.get("LOKET_BIN", "build/loket")
            binary = binary if os.path.isabs(binary) else os.path.join(REPO_ROOT, binary)
            result = subprocess.run([binary, "check", "--bot", bot], capture_output=True, text=True,
                                    timeout=60, cwd=REPO_ROOT)
            self.assertNotEqual(result.returncode, 0)
            self.assertIn("allowed_origins[0]", result.stderr)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    unittest.main()
