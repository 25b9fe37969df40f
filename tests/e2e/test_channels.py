"""test_channels.py - WhatsApp and Telegram through the real `loket serve`.

Loket's webhooks get payloads in the platforms' documented formats, signed (WhatsApp:
X-Hub-Signature-256, HMAC-SHA256 over the raw body with the app secret) or carrying the secret
token (Telegram), and Loket replies through tests/fake/fake_channels.py, a fake Graph API and
Bot API on loopback. Covered: webhook verification, the AI notice first on every channel, answers,
quick replies as buttons and their presses, a flow held on WhatsApp, bad and missing signatures
and secrets (403, nothing handled), duplicate deliveries (answered once), status callbacks
counted, and an acknowledged event answered after a crash. Standard library only.
"""

import hashlib
import hmac
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

from harness import HOST, REPO_ROOT, LoketServer

FAKE = os.path.join(REPO_ROOT, "tests", "fake", "fake_channels.py")
APP_SECRET = "test-app-secret-0123"
VERIFY = "verify-me-42"
WA_TOKEN = "wa-access-token-xyz"
TG_TOKEN = "123456:ABCdefGhIJKlmNoPQRsTUVwxyz"
TG_SECRET = "tg_secret_token-99"
PHONE_ID = "106540352242922"


class FakeChannels:
    def __init__(self):
        self.tmp = tempfile.mkdtemp(prefix="loket-fakech-")
        port_file = os.path.join(self.tmp, "port")
        self.proc = subprocess.Popen([sys.executable, FAKE, "--port", "0", "--port-file", port_file,
                                      "--wa-token", WA_TOKEN, "--tg-token", TG_TOKEN],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                     start_new_session=True)
        deadline = time.monotonic() + 15
        while not self._read(port_file):
            if time.monotonic() > deadline:
                raise RuntimeError("fake_channels did not start")
            time.sleep(0.05)
        self.port = int(self._read(port_file))

    @staticmethod
    def _read(path):
        try:
            with open(path) as f:
                return f.read().strip()
        except OSError:
            return ""

    def call(self, method, path, body=None):
        import http.client
        conn = http.client.HTTPConnection(HOST, self.port, timeout=10)
        try:
            conn.request(method, path, body=json.dumps(body) if body is not None else None,
                         headers={"Content-Type": "application/json"})
            return json.loads(conn.getresponse().read() or b"null")
        finally:
            conn.close()

    def sent(self, api):
        return [r for r in self.call("GET", "/_requests")["requests"] if r["api"] == api]

    def wait_sent(self, api, count, timeout=20):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            got = self.sent(api)
            if len(got) >= count:
                return got
            time.sleep(0.05)
        return self.sent(api)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(timeout=5)
        shutil.rmtree(self.tmp, ignore_errors=True)


def wa_payload(msg_id, text=None, button=None, sender="31612345678", statuses=()):
    message = {"from": sender, "id": msg_id, "timestamp": str(int(time.time()))}
    if button:
        message.update({"type": "interactive", "interactive": {
            "type": "button_reply", "button_reply": {"id": button, "title": "x"}}})
    else:
        message.update({"type": "text", "text": {"body": text}})
    value = {"messaging_product": "whatsapp",
             "metadata": {"display_phone_number": "31850001234", "phone_number_id": PHONE_ID},
             "contacts": [{"profile": {"name": "Test"}, "wa_id": sender}],
             "messages": [message] if (text or button) else []}
    if statuses:
        value["statuses"] = [{"id": "wamid.S%d" % i, "status": s, "timestamp": "1",
                              "recipient_id": sender} for i, s in enumerate(statuses)]
    return json.dumps({"object": "whatsapp_business_account",
                       "entry": [{"id": "WABA1", "changes": [{"field": "messages", "value": value}]}]})


def sign(body):
    return "sha256=" + hmac.new(APP_SECRET.encode(), body.encode(), hashlib.sha256).hexdigest()


def metrics(server):
    out = {}
    for line in server.request("GET", "/metrics").body.decode().splitlines():
        if line and not line.startswith("#"):
            name, value = line.rsplit(" ", 1)
            out[name] = float(value)
    return out


class ChannelTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.fake = FakeChannels()
        cls.tmp = tempfile.mkdtemp(prefix="loket-ch-")
        bot = os.path.join(cls.tmp, "bot")
        shutil.copytree(os.path.join(REPO_ROOT, "bots", "gemeente-demo"), bot)
        with open(os.path.join(bot, "bot.yaml"), "a") as f:
            f.write("channels:\n  whatsapp:\n    phone_number_id: \"%s\"\n"
                    "    api_base: http://127.0.0.1:%d/v21.0\n"
                    "    access_token_env: T_WA_TOKEN\n    app_secret_env: T_WA_SECRET\n"
                    "    verify_token_env: T_WA_VERIFY\n"
                    "  telegram:\n    api_base: http://127.0.0.1:%d\n"
                    "    bot_token_env: T_TG_TOKEN\n    secret_token_env: T_TG_SECRET\n"
                    % (PHONE_ID, cls.fake.port, cls.fake.port))
        os.environ.update({"T_WA_TOKEN": WA_TOKEN, "T_WA_SECRET": APP_SECRET, "T_WA_VERIFY": VERIFY,
                           "T_TG_TOKEN": TG_TOKEN, "T_TG_SECRET": TG_SECRET})
        cls.server = LoketServer(bot=bot).start()

    @classmethod
    def tearDownClass(cls):
        cls.server.cleanup()
        cls.fake.stop()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def setUp(self):
        self.fake.call("POST", "/_reset", {})

    def wa_post(self, body, signature="auto"):
        headers = {"Content-Type": "application/json"}
        if signature == "auto":
            headers["X-Hub-Signature-256"] = sign(body)
        elif signature:
            headers["X-Hub-Signature-256"] = signature
        return self.server.request("POST", "/channels/whatsapp/webhook", body, headers=headers)

    def test_verification(self):
        ok = self.server.request("GET", "/channels/whatsapp/webhook?hub.mode=subscribe"
                                 "&hub.verify_token=%s&hub.challenge=1158201444" % VERIFY)
        self.assertEqual(ok.status, 200, ok)
        self.assertEqual(ok.body, b"1158201444")
        bad = self.server.request("GET", "/channels/whatsapp/webhook?hub.mode=subscribe"
                                  "&hub.verify_token=nope&hub.challenge=1")
        self.assertEqual(bad.status, 403)

    def test_text_gets_notice_then_answer(self):
        user = "31611110001"
        response = self.wa_post(wa_payload("wamid.A1", "Wat kost een paspoort?", sender=user))
        self.assertEqual(response.status, 200, response)
        sent = [r for r in self.fake.wait_sent("whatsapp", 2) if r["body"]["to"] == user]
        self.assertGreaterEqual(len(sent), 2, sent)
        self.assertIn("AI-assistent", sent[0]["body"]["text"]["body"])
        self.assertEqual(sent[0]["headers"]["authorization"], "Bearer " + WA_TOKEN)
        self.assertIn("/v21.0/%s/messages" % PHONE_ID, sent[0]["path"])

    def test_bad_and_missing_signature(self):
        body = wa_payload("wamid.B1", "hallo", sender="31611110002")
        self.assertEqual(self.wa_post(body, signature="sha256=" + "0" * 64).status, 403)
        self.assertEqual(self.wa_post(body, signature=None).status, 403)
        tampered = body.replace("hallo", "hallO")
        self.assertEqual(self.wa_post(tampered, signature=sign(body)).status, 403)
        time.sleep(0.5)
        self.assertEqual(self.fake.sent("whatsapp"), [])
        self.assertNotIn(APP_SECRET, self.server.stderr_tail(100000))
        self.assertGreaterEqual(metrics(self.server)['loket_channel_events_total{channel="whatsapp",outcome="refused"}'], 3)

    def test_duplicate_delivery_is_answered_once(self):
        user = "31611110003"
        body = wa_payload("wamid.C1", "hallo", sender=user)
        self.assertEqual(self.wa_post(body).status, 200)
        self.assertEqual(self.wa_post(body).status, 200)
        self.fake.wait_sent("whatsapp", 2)
        time.sleep(0.5)
        sent = [r for r in self.fake.sent("whatsapp") if r["body"]["to"] == user]
        self.assertEqual(len(sent), 2, sent)  # the AI notice and one greeting back
        self.assertGreaterEqual(metrics(self.server)['loket_channel_events_total{channel="whatsapp",outcome="duplicate"}'], 1)

    def test_flow_with_buttons(self):
        user = "31611110004"
        self.assertEqual(self.wa_post(wa_payload("wamid.D1", button="flow:feedback", sender=user)).status, 200)
        sent = [r for r in self.fake.wait_sent("whatsapp", 2) if r["body"]["to"] == user]
        interactive = [r["body"] for r in sent if r["body"]["type"] == "interactive"]
        self.assertTrue(interactive, sent)
        self.assertEqual(interactive[-1]["interactive"]["type"], "list")  # 5 ratings + stop
        self.assertEqual(self.wa_post(wa_payload("wamid.D2", button="choose:5", sender=user)).status, 200)
        self.assertEqual(self.wa_post(wa_payload("wamid.D3", button="skip", sender=user)).status, 200)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            texts = [json.dumps(r["body"]) for r in self.fake.sent("whatsapp") if r["body"]["to"] == user]
            if any("Dank u wel voor uw feedback" in t for t in texts):
                break
            time.sleep(0.1)
        self.assertTrue(any("Dank u wel voor uw feedback" in t for t in texts), texts)

    def test_statuses_are_counted(self):
        before = metrics(self.server).get('loket_whatsapp_statuses_total{status="read"}', 0)
        body = wa_payload("unused", statuses=("delivered", "read"))
        self.assertEqual(self.wa_post(body).status, 200)
        self.assertEqual(metrics(self.server)['loket_whatsapp_statuses_total{status="read"}'], before + 1)

    def test_malformed_payload(self):
        body = '{"object":"whatsapp_business_account","entry":[{'
        self.assertEqual(self.wa_post(body).status, 400)
        self.assertEqual(self.server.healthz().status, 200)

    def test_telegram(self):
        update = {"update_id": 900001, "message": {
            "message_id": 1, "from": {"id": 4242, "is_bot": False, "first_name": "T", "language_code": "nl"},
            "chat": {"id": 4242, "type": "private"}, "date": int(time.time()), "text": "Wat kost een paspoort?"}}
        body = json.dumps(update)
        wrong = self.server.request("POST", "/channels/telegram/webhook", body, headers={
            "Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": "wrong"})
        self.assertEqual(wrong.status, 403)
        ok = self.server.request("POST", "/channels/telegram/webhook", body, headers={
            "Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": TG_SECRET})
        self.assertEqual(ok.status, 200, ok)
        sent = self.fake.wait_sent("telegram", 2)
        self.assertTrue(all(r["body"]["chat_id"] == 4242 for r in sent), sent)
        self.assertIn("AI-assistent", sent[0]["body"]["text"])
        self.assertIn("/bot%s/sendMessage" % TG_TOKEN, sent[0]["path"])
        keyboards = [r["body"] for r in sent if "reply_markup" in r["body"]]
        self.assertTrue(keyboards, sent)
        payload = keyboards[-1]["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
        press = {"update_id": 900002, "callback_query": {
            "id": "cbq-1", "from": {"id": 4242, "is_bot": False, "first_name": "T"},
            "message": {"message_id": 2, "chat": {"id": 4242, "type": "private"}, "date": 1},
            "data": payload}}
        ok = self.server.request("POST", "/channels/telegram/webhook", json.dumps(press), headers={
            "Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": TG_SECRET})
        self.assertEqual(ok.status, 200)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not any(
                r["path"].endswith("/answerCallbackQuery") for r in self.fake.sent("telegram")):
            time.sleep(0.05)
        self.assertTrue(any(r["path"].endswith("/answerCallbackQuery") for r in self.fake.sent("telegram")))

    def test_acknowledged_event_survives_a_crash(self):
        user = "31611110009"
        self.fake.call("POST", "/_control", {"scenario": "stall", "seconds": 3, "times": 1})
        self.assertEqual(self.wa_post(wa_payload("wamid.E1", "Wat kost een paspoort?", sender=user)).status, 200)
        time.sleep(0.3)  # the worker is now stuck sending
        self.server.kill9()
        self.fake.call("POST", "/_reset", {})
        self.server.restart()
        self.assertIn("recovered after a restart", self.server.stderr_tail(4000))
        sent = [r for r in self.fake.wait_sent("whatsapp", 1) if r["body"]["to"] == user]
        self.assertTrue(sent, "the acknowledged message was never answered")


if __name__ == "__main__":
    unittest.main()
