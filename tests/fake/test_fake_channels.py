"""test_fake_channels.py - self-test of the fake WhatsApp Cloud API and Telegram Bot API server
(tests/fake/fake_channels.py).

Starts the fake once on a free 127.0.0.1 port and checks: the success bodies of both APIs,
auth, every validation rule, the Telegram HTML and MarkdownV2 checks, the control scenarios
(rate_limit, server_error, stall, "times", "api"), /_requests and /_reset, keep-alive and
200 concurrent requests. Standard library only. Run from the repository root:

    python3 -m unittest tests/fake/test_fake_channels.py -v
"""

import base64
import http.client
import json
import os
import socket as socketlib
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.parse

HOST = "127.0.0.1"
FAKE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fake_channels.py")
WA_TOKEN = "wa-test-token"
TG_TOKEN = "987654321:AAtestTOKENfor-loket_self_test"
WA_PATH = "/v21.0/1098765432/messages"
TO = "31612345678"

PROC = None
PORT = None


def setUpModule():
    global PROC, PORT
    tmp = tempfile.mkdtemp(prefix="fake-channels-test-")
    port_file = os.path.join(tmp, "port")
    PROC = subprocess.Popen([sys.executable, FAKE, "--port", "0", "--port-file", port_file,
                             "--wa-token", WA_TOKEN, "--tg-token", TG_TOKEN],
                            stdout=subprocess.PIPE)
    line = PROC.stdout.readline().decode().strip()
    deadline = time.time() + 10
    while not os.path.exists(port_file):
        if time.time() > deadline:
            raise RuntimeError("fake_channels did not start")
        time.sleep(0.02)
    with open(port_file) as f:
        PORT = int(f.read().strip())
    os.unlink(port_file)
    os.rmdir(tmp)
    assert line == "fake_channels listening on 127.0.0.1:%d" % PORT, line


def tearDownModule():
    PROC.send_signal(15)
    try:
        PROC.wait(5)
    except subprocess.TimeoutExpired:
        PROC.kill()
        PROC.wait()
    PROC.stdout.close()


class Resp:
    def __init__(self, r):
        self.status = r.status
        self.headers = r.getheaders()
        self.raw = r.read()
        self.json = json.loads(self.raw.decode("ascii")) if self.raw else None

    def header(self, name):
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return None


def request(method, path, body=None, headers=None, conn=None, form=False):
    own = conn is None
    if own:
        conn = http.client.HTTPConnection(HOST, PORT, timeout=10)
    hdrs = dict(headers or {})
    data = None
    if body is not None:
        if form:
            data = urllib.parse.urlencode(body).encode("utf-8")
            hdrs.setdefault("Content-Type", "application/x-www-form-urlencoded")
        elif isinstance(body, (bytes, str)):
            data = body.encode("utf-8") if isinstance(body, str) else body
            hdrs.setdefault("Content-Type", "application/json")
        else:
            data = json.dumps(body).encode("utf-8")
            hdrs.setdefault("Content-Type", "application/json")
    try:
        conn.request(method, path, body=data, headers=hdrs)
        return Resp(conn.getresponse())
    finally:
        if own:
            conn.close()


def wa(body, token=WA_TOKEN, path=WA_PATH, conn=None):
    headers = {"Authorization": "Bearer " + token} if token is not None else {}
    return request("POST", path, body, headers, conn)


def wa_text(text, **kw):
    return wa({"messaging_product": "whatsapp", "recipient_type": "individual", "to": TO,
               "type": "text", "text": {"preview_url": False, "body": text}}, **kw)


def wa_buttons(buttons, body_text="Kies een onderwerp", **extra):
    inter = {"type": "button", "body": {"text": body_text},
             "action": {"buttons": [{"type": "reply", "reply": {"id": i, "title": t}}
                                    for i, t in buttons]}}
    inter.update(extra)
    return wa({"messaging_product": "whatsapp", "to": TO, "type": "interactive",
               "interactive": inter})


def wa_list(sections, button="Onderwerpen"):
    return wa({"messaging_product": "whatsapp", "to": TO, "type": "interactive",
               "interactive": {"type": "list", "body": {"text": "Waarmee kan ik helpen?"},
                               "action": {"button": button, "sections": sections}}})


def rows(n, prefix="r"):
    return [{"id": "%s%d" % (prefix, i), "title": "Optie %d" % i} for i in range(n)]


def tg(method, body=None, token=TG_TOKEN, form=False, conn=None):
    return request("POST", "/bot%s/%s" % (token, method), body, None, conn, form)


def control(**cfg):
    r = request("POST", "/_control", cfg)
    assert r.status == 200, r.raw
    return r


def logged(api=None):
    r = request("GET", "/_requests" + ("?api=" + api if api else ""))
    return r.json["requests"]


class Base(unittest.TestCase):
    def setUp(self):
        self.assertEqual(request("POST", "/_reset").status, 200)

    def assertGraphError(self, r, status, code, message, details=None):
        self.assertEqual(r.status, status, r.raw)
        err = r.json["error"]
        self.assertEqual(err["code"], code)
        self.assertEqual(err["message"], message)
        self.assertIn(err["type"], ("OAuthException", "GraphMethodException"))
        self.assertRegex(err["fbtrace_id"], r"^A[A-Za-z0-9_-]{22}$")
        self.assertEqual(list(err)[-1], "fbtrace_id")
        if details is None:
            self.assertNotIn("error_data", err)
        else:
            self.assertEqual(err["error_data"], {"messaging_product": "whatsapp",
                                                 "details": details})

    def assertTgError(self, r, status, description):
        self.assertEqual(r.status, status, r.raw)
        self.assertEqual(r.json["ok"], False)
        self.assertEqual(r.json["error_code"], status)
        self.assertEqual(r.json["description"], description)
        self.assertEqual(list(r.json)[:3], ["ok", "error_code", "description"])


# ---------------------------------------------------------------------------------------------
# WhatsApp
# ---------------------------------------------------------------------------------------------

class TestWhatsAppSuccess(Base):
    def test_text_message_shape(self):
        r = wa_text("Goedemiddag! Een paspoort kost € 80.")
        self.assertEqual(r.status, 200, r.raw)
        self.assertEqual(list(r.json), ["messaging_product", "contacts", "messages"])
        self.assertEqual(r.json["messaging_product"], "whatsapp")
        self.assertEqual(r.json["contacts"], [{"input": TO, "wa_id": TO}])
        self.assertEqual(len(r.json["messages"]), 1)
        self.assertTrue(r.header("Content-Type").startswith("application/json"))
        self.assertEqual(r.header("facebook-api-version"), "v21.0")

    def test_wamid_decodes_like_a_real_one(self):
        mid = wa_text("hallo").json["messages"][0]["id"]
        self.assertTrue(mid.startswith("wamid."))
        raw = base64.b64decode(mid[len("wamid."):])
        self.assertEqual(raw[:3], b"\x1c\x18\x0b")
        self.assertEqual(raw[3:14], TO.encode())
        self.assertEqual(raw[14:20], b"\x15\x02\x00\x11\x18\x12")
        self.assertRegex(raw[20:38].decode(), r"^[0-9A-F]{18}$")
        self.assertEqual(raw[38:], b"\x00")

    def test_ids_are_unique(self):
        ids = {wa_text("x").json["messages"][0]["id"] for _ in range(20)}
        self.assertEqual(len(ids), 20)

    def test_plus_prefixed_number_keeps_input(self):
        r = wa({"messaging_product": "whatsapp", "to": "+" + TO, "type": "text",
                "text": {"body": "hoi"}})
        self.assertEqual(r.json["contacts"], [{"input": "+" + TO, "wa_id": TO}])

    def test_4096_characters_is_accepted_4097_is_not(self):
        self.assertEqual(wa_text("é" * 4096).status, 200)
        self.assertGraphError(wa_text("é" * 4097), 400, 100,
                              "(#100) Param text['body'] must be at most 4096 characters long.")

    def test_graph_escapes_slash_and_non_ascii(self):
        r = wa_text("x" * 4097)
        self.assertNotIn(b"/", r.raw.replace(b"\\/", b""))
        r = wa({"messaging_product": "whatsapp", "to": TO, "type": "sticker/é"})
        self.assertIn(b'got \\"sticker\\/\\u00e9\\".', r.raw)

    def test_unversioned_path_and_mark_as_read(self):
        r = wa({"messaging_product": "whatsapp", "status": "read",
                "message_id": "wamid.HBgLMzE2MTIzNDU2NzgVAgA="}, path="/1098765432/messages")
        self.assertEqual(r.status, 200, r.raw)
        self.assertEqual(r.json, {"success": True})

    def test_valid_buttons_and_list(self):
        self.assertEqual(wa_buttons([("a", "Ja"), ("b", "Nee"), ("c", "x" * 20)],
                                    footer={"text": "Gemeente"}).status, 200)
        self.assertEqual(wa_list([{"title": "Burgerzaken", "rows": rows(5)},
                                  {"title": "Afval", "rows": rows(5, "s")}]).status, 200)

    def test_form_encoded_body_with_json_fields(self):
        r = request("POST", WA_PATH, {"messaging_product": "whatsapp", "to": TO,
                                      "type": "template",
                                      "template": json.dumps({"name": "hello_world",
                                                              "language": {"code": "nl"}})},
                    {"Authorization": "Bearer " + WA_TOKEN}, form=True)
        # Graph decodes JSON-encoded form values.
        self.assertEqual(r.status, 200, r.raw)
        self.assertEqual(logged()[0]["body"]["template"]["language"], {"code": "nl"})


class TestWhatsAppAuth(Base):
    def test_wrong_token_is_401_code_190(self):
        r = wa_text("hoi", token="wrong")
        self.assertGraphError(r, 401, 190, "Invalid OAuth access token - Cannot parse access "
                                           "token")
        self.assertEqual(r.json["error"]["type"], "OAuthException")
        self.assertIn('"invalid_token"', r.header("WWW-Authenticate"))

    def test_missing_token_is_code_104(self):
        self.assertGraphError(wa_text("hoi", token=None), 400, 104,
                              "An access token is required to request this resource.")

    def test_access_token_query_parameter_works(self):
        r = request("POST", WA_PATH + "?access_token=" + WA_TOKEN,
                    {"messaging_product": "whatsapp", "to": TO, "text": {"body": "hoi"}})
        self.assertEqual(r.status, 200, r.raw)

    def test_non_numeric_phone_id_and_unknown_path(self):
        r = wa_text("hoi", path="/v21.0/abc/messages")
        self.assertGraphError(r, 400, 100, r.json["error"]["message"])
        self.assertEqual(r.json["error"]["error_subcode"], 33)
        self.assertEqual(r.json["error"]["type"], "GraphMethodException")
        self.assertTrue(r.json["error"]["message"].startswith(
            "Unsupported post request. Object with ID 'abc' does not exist"))
        self.assertGraphError(wa_text("hoi", path="/v21.0/123/foo"), 400, 2500,
                              "Unknown path components: /foo")


class TestWhatsAppValidation(Base):
    def test_envelope_rules(self):
        cases = [
            ({"to": TO, "text": {"body": "x"}},
             "(#100) The parameter messaging_product is required."),
            ({"messaging_product": "sms", "to": TO, "text": {"body": "x"}},
             '(#100) Param messaging_product must be one of {WHATSAPP} - got "sms".'),
            ({"messaging_product": "whatsapp", "text": {"body": "x"}},
             "(#100) The parameter to is required."),
            ({"messaging_product": "whatsapp", "to": TO, "type": "fax"},
             "(#100) Param type must be one of {AUDIO, CONTACTS, DOCUMENT, IMAGE, INTERACTIVE, "
             'LOCATION, REACTION, STICKER, TEMPLATE, TEXT, VIDEO} - got "fax".'),
            ({"messaging_product": "whatsapp", "to": TO, "type": "text"},
             "(#100) The parameter text['body'] is required."),
            ({"messaging_product": "whatsapp", "to": TO, "text": {"body": ""}},
             "(#100) The parameter text['body'] is required."),
            ({"messaging_product": "whatsapp", "to": TO, "text": "hoi"},
             "(#100) Param text must be a JSON object."),
            ({"messaging_product": "whatsapp", "to": TO, "text": {"body": 5}},
             "(#100) Param text['body'] must be a string."),
        ]
        for body, message in cases:
            with self.subTest(body=body):
                self.assertGraphError(wa(body), 400, 100, message)

    def test_invalid_json_body(self):
        self.assertGraphError(wa("{not json"), 400, 100,
                              "(#100) The parameter messaging_product is required.")

    def test_button_rules(self):
        bad = "(#131009) Parameter value is not valid"
        cases = [
            (wa_buttons([]), "Invalid buttons count. Min allowed buttons: 1, Max allowed "
                             "buttons: 3"),
            (wa_buttons([("a", "1"), ("b", "2"), ("c", "3"), ("d", "4")]),
             "Invalid buttons count. Min allowed buttons: 1, Max allowed buttons: 3"),
            (wa_buttons([("a", "x" * 21)]),
             "Button title length invalid. Min length: 1, Max length: 20"),
            (wa_buttons([("a", "")]),
             "Button title length invalid. Min length: 1, Max length: 20"),
            (wa_buttons([("a" * 257, "Ja")]),
             "Button id length invalid. Min length: 1, Max length: 256"),
            (wa_buttons([("a", "Ja")], body_text="x" * 1025),
             "Body text length invalid. Min length: 1, Max length: 1024"),
            (wa_buttons([("a", "Ja")], body_text=""),
             "Body text length invalid. Min length: 1, Max length: 1024"),
            (wa_buttons([("a", "Ja")], footer={"text": "x" * 61}),
             "Footer text length invalid. Min length: 1, Max length: 60"),
        ]
        for r, details in cases:
            with self.subTest(details=details):
                self.assertGraphError(r, 400, 131009, bad, details)
        self.assertEqual(wa_buttons([("a" * 256, "Ja")], body_text="x" * 1024).status, 200)

    def test_list_rules(self):
        bad = "(#131009) Parameter value is not valid"
        cases = [
            (wa_list([{"rows": rows(3)}], button="x" * 21),
             "Button title length invalid. Min length: 1, Max length: 20"),
            (wa_list([{"title": "A", "rows": rows(6)}, {"title": "B", "rows": rows(5)}]),
             "Total row count exceed max allowed count: 10"),
            (wa_list([{"rows": [{"id": "a", "title": "x" * 25}]}]),
             "Row title is too long. Max length is 24"),
            (wa_list([{"rows": [{"id": "a", "title": "Ja", "description": "x" * 73}]}]),
             "Row description is too long. Max length is 72"),
            (wa_list([{"rows": [{"id": "a" * 201, "title": "Ja"}]}]),
             "Row id is too long. Max length is 200"),
            (wa_list([{"rows": []}]), "Total row count should be at least 1"),
            (wa_list([]), "Invalid sections count. Min allowed sections: 1, Max allowed "
                          "sections: 10"),
            (wa_list([{"title": "A", "rows": rows(2)}, {"rows": rows(2)}]),
             "Section title is required"),
            (wa_list([{"title": "x" * 25, "rows": rows(2)}]),
             "Section title is too long. Max length is 24"),
        ]
        for r, details in cases:
            with self.subTest(details=details):
                self.assertGraphError(r, 400, 131009, bad, details)
        ok = wa_list([{"rows": [{"id": "a" * 200, "title": "x" * 24, "description": "d" * 72}]
                       + rows(9)}], button="x" * 20)
        self.assertEqual(ok.status, 200, ok.raw)


# ---------------------------------------------------------------------------------------------
# Telegram
# ---------------------------------------------------------------------------------------------

class TestTelegramSendMessage(Base):
    def test_success_shape(self):
        r = tg("sendMessage", {"chat_id": 4242, "text": "Goedemiddag"})
        self.assertEqual(r.status, 200, r.raw)
        self.assertEqual(list(r.json), ["ok", "result"])
        res = r.json["result"]
        self.assertEqual(list(res), ["message_id", "from", "chat", "date", "text"])
        self.assertEqual(res["message_id"], 1)
        self.assertEqual(res["from"]["id"], 987654321)
        self.assertIs(res["from"]["is_bot"], True)
        self.assertEqual(res["chat"]["id"], 4242)
        self.assertEqual(res["chat"]["type"], "private")
        self.assertLess(abs(res["date"] - time.time()), 5)
        self.assertEqual(res["text"], "Goedemiddag")
        self.assertEqual(r.header("Content-Type"), "application/json")

    def test_message_ids_count_per_chat(self):
        ids = [tg("sendMessage", {"chat_id": 7, "text": "a"}).json["result"]["message_id"]
               for _ in range(3)]
        self.assertEqual(ids, [1, 2, 3])
        self.assertEqual(tg("sendMessage", {"chat_id": "8", "text": "a"})
                         .json["result"]["message_id"], 1)

    def test_non_ascii_written_as_escapes(self):
        r = tg("sendMessage", {"chat_id": 1, "text": "café 😀"})
        self.assertIn(b'"text":"caf\\u00e9 \\ud83d\\ude00"', r.raw)
        self.assertEqual(r.json["result"]["text"], "café 😀")

    def test_form_encoded_and_query_string(self):
        r = tg("sendMessage", {"chat_id": "5", "text": "via form",
                               "reply_markup": json.dumps({"inline_keyboard": [[
                                   {"text": "Ja", "callback_data": "ja"}]]})}, form=True)
        self.assertEqual(r.status, 200, r.raw)
        self.assertEqual(r.json["result"]["reply_markup"],
                         {"inline_keyboard": [[{"text": "Ja", "callback_data": "ja"}]]})
        r = request("GET", "/bot%s/sendmessage?chat_id=5&text=hoi" % TG_TOKEN)
        self.assertEqual(r.json["result"]["text"], "hoi")

    def test_length_rules(self):
        self.assertEqual(tg("sendMessage", {"chat_id": 1, "text": "x" * 4096}).status, 200)
        self.assertEqual(tg("sendMessage", {"chat_id": 1, "text": "😀" * 4096}).status, 200)
        self.assertTgError(tg("sendMessage", {"chat_id": 1, "text": "x" * 4097}), 400,
                           "Bad Request: message is too long")
        self.assertTgError(tg("sendMessage", {"chat_id": 1, "text": ""}), 400,
                           "Bad Request: message text is empty")
        self.assertTgError(tg("sendMessage", {"chat_id": 1}), 400,
                           "Bad Request: message text is empty")
        self.assertTgError(tg("sendMessage", {"chat_id": 1, "text": " \n "}), 400,
                           "Bad Request: message must be non-empty")
        # Length counts after entity parsing: tags do not count.
        r = tg("sendMessage", {"chat_id": 1, "parse_mode": "HTML",
                               "text": "<b>" + "x" * 4096 + "</b>"})
        self.assertEqual(r.status, 200, r.raw)

    def test_chat_id_rules(self):
        self.assertTgError(tg("sendMessage", {"text": "hoi"}), 400,
                           "Bad Request: chat_id is empty")
        self.assertTgError(tg("sendMessage", {"chat_id": "abc", "text": "hoi"}), 400,
                           "Bad Request: chat not found")

    def test_inline_keyboard_rules(self):
        def send(buttons):
            return tg("sendMessage", {"chat_id": 1, "text": "Kies",
                                      "reply_markup": {"inline_keyboard": [buttons]}})
        ok = send([{"text": "Ja", "callback_data": "x" * 64},
                   {"text": "Site", "url": "https://www.gemeente.nl"}])
        self.assertEqual(ok.status, 200, ok.raw)
        self.assertEqual(ok.json["result"]["reply_markup"]["inline_keyboard"][0][0],
                         {"text": "Ja", "callback_data": "x" * 64})
        # 64 BYTES, not characters: 22 euro signs are 66 bytes.
        self.assertTgError(send([{"text": "Ja", "callback_data": "€" * 22}]), 400,
                           "Bad Request: BUTTON_DATA_INVALID")
        self.assertEqual(send([{"text": "Ja", "callback_data": "€" * 21}]).status, 200)
        self.assertTgError(send([{"text": "Ja", "callback_data": "x" * 65}]), 400,
                           "Bad Request: BUTTON_DATA_INVALID")
        self.assertTgError(send([{"text": "Ja", "callback_data": ""}]), 400,
                           "Bad Request: BUTTON_DATA_INVALID")
        self.assertTgError(send([{"text": "Ja"}]), 400,
                           "Bad Request: can't parse inline keyboard button: Text buttons are "
                           "unallowed in the inline keyboard")
        self.assertTgError(send([{"callback_data": "a"}]), 400,
                           "Bad Request: can't parse inline keyboard button: Field \"text\" must "
                           "be of type String")
        self.assertTgError(send([{"text": "x", "url": "javascript:alert(1)"}]), 400,
                           "Bad Request: BUTTON_URL_INVALID")
        self.assertTgError(tg("sendMessage", {"chat_id": 1, "text": "x", "reply_markup": "{"}),
                           400, "Bad Request: can't parse reply keyboard markup JSON object")
        many = tg("sendMessage", {"chat_id": 1, "text": "x", "reply_markup": {
            "inline_keyboard": [[{"text": "b", "callback_data": "c"}]] * 101}})
        self.assertTgError(many, 400, "Bad Request: REPLY_MARKUP_TOO_LONG")

    def test_html_entities(self):
        r = tg("sendMessage", {"chat_id": 1, "parse_mode": "HTML",
                               "text": "<b>Paspoort</b> kost &lt;80&gt; 😀<i>euro</i> "
                                       "<a href=\"https://www.gemeente.nl/paspoort\">info</a>"})
        self.assertEqual(r.status, 200, r.raw)
        res = r.json["result"]
        self.assertEqual(res["text"], "Paspoort kost <80> 😀euro info")
        self.assertEqual(res["entities"], [
            {"offset": 0, "length": 8, "type": "bold"},
            {"offset": 21, "length": 4, "type": "italic"},
            {"offset": 26, "length": 4, "type": "text_link",
             "url": "https://www.gemeente.nl/paspoort"}])

    def test_html_errors(self):
        cases = [
            ("<b>vet", 'Can\'t find end tag corresponding to start tag "b"'),
            ("<div>x</div>", 'Unsupported start tag "div" at byte offset 0'),
            ("<b>x</i>", 'Unmatched end tag at byte offset 4, expected "</b>", found "</i>"'),
            ("x</b>", "Unexpected end tag at byte offset 1"),
            ("a <b", "Unclosed start tag at byte offset 2"),
            ("é <p>", 'Unsupported start tag "p" at byte offset 3'),
        ]
        for text, err in cases:
            with self.subTest(text=text):
                self.assertTgError(tg("sendMessage", {"chat_id": 1, "text": text,
                                                      "parse_mode": "HTML"}), 400,
                                   "Bad Request: can't parse entities: " + err)

    def test_markdown_v2_and_parse_mode(self):
        self.assertTgError(tg("sendMessage", {"chat_id": 1, "text": "Klaar.",
                                              "parse_mode": "MarkdownV2"}), 400,
                           "Bad Request: can't parse entities: Character '.' is reserved and "
                           "must be escaped with the preceding '\\'")
        r = tg("sendMessage", {"chat_id": 1, "text": "*Klaar*\\.", "parse_mode": "MarkdownV2"})
        self.assertEqual(r.json["result"]["text"], "Klaar.")
        self.assertTgError(tg("sendMessage", {"chat_id": 1, "text": "x", "parse_mode": "BBCode"}),
                           400, "Bad Request: unsupported parse_mode")


class TestTelegramOther(Base):
    def test_wrong_token_and_unknown_method(self):
        self.assertTgError(tg("sendMessage", {"chat_id": 1, "text": "x"}, token="1:wrong"), 401,
                           "Unauthorized")
        self.assertTgError(tg("sendPigeon", {"chat_id": 1}), 404, "Not Found")
        self.assertTgError(request("GET", "/bot"), 404, "Not Found")

    def test_answer_callback_query(self):
        r = tg("answerCallbackQuery", {"callback_query_id": "4382936492378462382"})
        self.assertEqual(r.status, 200, r.raw)
        self.assertEqual(r.json, {"ok": True, "result": True})
        self.assertTgError(tg("answerCallbackQuery", {}), 400,
                           "Bad Request: query is too old and response timeout expired or "
                           "query ID is invalid")
        self.assertTgError(tg("answerCallbackQuery", {"callback_query_id": "cbq-1"}), 400,
                           "Bad Request: query is too old and response timeout expired or "
                           "query ID is invalid")


# ---------------------------------------------------------------------------------------------
# Control
# ---------------------------------------------------------------------------------------------

class TestScenarios(Base):
    def test_rate_limit_both_apis(self):
        control(scenario="rate_limit")
        r = wa_text("hoi")
        self.assertGraphError(r, 429, 130429, "(#130429) Rate limit hit",
                              "Cloud API message throughput has been reached.")
        r = tg("sendMessage", {"chat_id": 1, "text": "x"})
        self.assertTgError(r, 429, "Too Many Requests: retry after 1")
        self.assertEqual(r.json["parameters"], {"retry_after": 1})
        self.assertEqual(r.header("Retry-After"), "1")

    def test_rate_limit_options(self):
        control(scenario="rate_limit", wa_status=400, wa_code=131056, retry_after=7)
        r = wa_text("hoi")
        self.assertEqual(r.status, 400)
        self.assertEqual(r.json["error"]["code"], 131056)
        r = tg("sendMessage", {"chat_id": 1, "text": "x"})
        self.assertEqual(r.json["parameters"], {"retry_after": 7})

    def test_times_then_ok(self):
        control(scenario="server_error", times=2)
        first = wa_text("a")
        self.assertGraphError(first, 500, 131000, "(#131000) Something went wrong",
                              "Something went wrong")
        self.assertTgError(tg("sendMessage", {"chat_id": 1, "text": "x"}), 500,
                           "Internal Server Error")
        self.assertEqual(wa_text("c").status, 200)
        self.assertEqual(tg("sendMessage", {"chat_id": 1, "text": "x"}).status, 200)

    def test_api_filter(self):
        control(scenario="server_error", api="telegram")
        self.assertEqual(wa_text("a").status, 200)
        self.assertEqual(tg("sendMessage", {"chat_id": 1, "text": "x"}).status, 500)

    def test_auth_is_checked_before_the_scenario(self):
        control(scenario="rate_limit", times=1)
        self.assertEqual(wa_text("a", token="bad").status, 401)
        self.assertEqual(wa_text("a").status, 429)
        self.assertEqual(wa_text("a").status, 200)

    def test_stall_closes_without_answer(self):
        control(scenario="stall", seconds=0.3, times=2)
        for send in (lambda: wa_text("a"), lambda: tg("sendMessage", {"chat_id": 1,
                                                                     "text": "x"})):
            t0 = time.monotonic()
            with self.assertRaises((http.client.RemoteDisconnected, ConnectionError)):
                send()
            self.assertGreaterEqual(time.monotonic() - t0, 0.28)
        self.assertEqual(wa_text("a").status, 200)
        self.assertEqual([e["status"] for e in logged()], ["stalled", "stalled", 200])

    def test_bad_control_bodies(self):
        for body in ({"scenario": "flood"}, {"scenario": "ok", "api": "sms"},
                     {"scenario": "rate_limit", "times": -1}, {"scenario": "rate_limit",
                                                                "wa_code": 99}, [1]):
            with self.subTest(body=body):
                self.assertEqual(request("POST", "/_control", body).status, 400)
        self.assertEqual(request("GET", "/_nothing").status, 404)


class TestRequestLog(Base):
    def test_log_contents_and_reset(self):
        wa_text("hoi")
        tg("sendMessage", {"chat_id": 3, "text": "hallo"})
        request("GET", "/_requests")
        reqs = logged()
        self.assertEqual([e["api"] for e in reqs], ["whatsapp", "telegram"])
        w = reqs[0]
        self.assertEqual(w["path"], WA_PATH)
        self.assertEqual(w["method"], "POST")
        self.assertEqual(w["headers"]["authorization"], "Bearer " + WA_TOKEN)
        self.assertEqual(w["body"]["text"]["body"], "hoi")
        self.assertEqual(w["status"], 200)
        self.assertTrue(w["response"]["messages"][0]["id"].startswith("wamid."))
        self.assertLess(abs(w["t"] - time.time()), 5)
        self.assertEqual(reqs[1]["body"], {"chat_id": 3, "text": "hallo"})
        self.assertEqual([e["api"] for e in logged("telegram")], ["telegram"])
        request("POST", "/_reset")
        self.assertEqual(logged(), [])
        self.assertEqual(tg("sendMessage", {"chat_id": 3, "text": "x"})
                         .json["result"]["message_id"], 1)


class TestHttp(Base):
    def test_keep_alive_many_requests_one_connection(self):
        conn = http.client.HTTPConnection(HOST, PORT, timeout=10)
        try:
            for i in range(20):
                r = wa_text("n%d" % i, conn=conn) if i % 2 else \
                    tg("sendMessage", {"chat_id": 9, "text": "n%d" % i}, conn=conn)
                self.assertEqual(r.status, 200)
        finally:
            conn.close()

    def test_200_concurrent_requests(self):
        results = [None] * 200
        barrier = threading.Barrier(50)

        def worker(k):
            try:
                if k < 50:
                    barrier.wait(5)
                if k % 2:
                    r = wa_text("gelijktijdig %d" % k)
                    results[k] = ("wa", r.status, r.json["messages"][0]["id"])
                else:
                    r = tg("sendMessage", {"chat_id": 77, "text": "gelijktijdig %d" % k})
                    results[k] = ("tg", r.status, r.json["result"]["message_id"])
            except Exception as e:          # recorded and asserted below
                results[k] = ("error", repr(e), None)

        threads = [threading.Thread(target=worker, args=(k,)) for k in range(200)]
        t0 = time.monotonic()
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        errors = [r for r in results if r is None or r[0] == "error" or r[1] != 200]
        self.assertEqual(errors, [])
        wamids = {r[2] for r in results if r[0] == "wa"}
        tg_ids = sorted(r[2] for r in results if r[0] == "tg")
        self.assertEqual(len(wamids), 100)
        self.assertEqual(tg_ids, list(range(1, 101)))
        self.assertEqual(len(logged()), 200)
        self.assertLess(time.monotonic() - t0, 8)

    def test_malformed_requests_get_answers(self):
        many = "&".join("a%d=1" % i for i in range(300))
        self.assertTgError(request("GET", "/bot%s/sendMessage?%s" % (TG_TOKEN, many)), 400,
                           "Bad Request: chat_id is empty")
        self.assertTgError(tg("sendMessage", "[1,2]"), 400,
                           "Bad Request: can't parse JSON object")
        deep = "[" * 100000 + "]" * 100000
        self.assertGraphError(wa(deep), 400, 100,
                              "(#100) The parameter messaging_product is required.")
        with socketlib.create_connection((HOST, PORT), timeout=5) as s:
            s.sendall(b"\x16\x03\x01garbage\r\n\r\n")
            self.assertIn(b"400", s.recv(1000))
        with socketlib.create_connection((HOST, PORT), timeout=5) as s:
            s.sendall(b"BREW /pot HTTP/1.1\r\n\r\n")
            self.assertTrue(s.recv(100).startswith(b"HTTP/1.1 501"))
        self.assertEqual(wa_text("still alive").status, 200)

    def test_oversized_body_is_refused(self):
        r = request("POST", WA_PATH, b"x" * (1024 * 1024 + 1),
                    {"Authorization": "Bearer " + WA_TOKEN})
        self.assertEqual(r.status, 413)


if __name__ == "__main__":
    unittest.main()
