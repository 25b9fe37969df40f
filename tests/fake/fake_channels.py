#!/usr/bin/env python3
"""fake_channels.py - a faithful fake of the two messaging APIs Loket sends through: the WhatsApp
Cloud API (Meta Graph, POST /v{ver}/{phone-number-id}/messages) and the Telegram Bot API
(POST /bot<token>/sendMessage, /bot<token>/answerCallbackQuery), both on one port.

Where the shapes come from (each place below names its source):

  Telegram   tdlib/telegram-bot-api  Query.h (JsonQueryOk / JsonQueryError: {"ok","result"} and
             {"ok","error_code","description","parameters"}), Query.cpp (429 "Too Many
             Requests: retry after N" with parameters.retry_after), HttpConnection.cpp
             (Content-Type application/json, Retry-After header, 404 "Not Found" for a path
             that is not /bot<token>/<method>; the method name is matched case-insensitively)
             tdlib/td  td/utils/JsonBuilder (compact JSON, every non-ASCII character written as
             a lower-case \\uXXXX escape, surrogate pairs above U+FFFF; "/" is not escaped),
             td/telegram/MessageEntity.cpp parse_html (ported below, 2024 version, error texts
             verbatim), and live error texts collected from client code and issue threads:
             "Bad Request: message text is empty", "message is too long", "chat_id is empty",
             "chat not found", "BUTTON_DATA_INVALID", "can't parse inline keyboard button:
             Text buttons are unallowed in the inline keyboard", "REPLY_MARKUP_TOO_LONG",
             "query is too old and response timeout expired or query ID is invalid".
             Length: 4096 Unicode code points after entity parsing (measured live by
             FerroxLabs/wayland#934: 4096 astral characters accepted, 4097 refused).
  WhatsApp   Meta's Graph error envelope {"error":{"message","type","code","error_data":
             {"messaging_product","details"},"error_subcode","fbtrace_id"}} (Cloud API
             "Error codes" page); 130429 "Rate limit hit" (HTTP 429 in that page's table),
             131000 "Something went wrong" (HTTP 500), 190 "Invalid OAuth access token -
             Cannot parse access token" (HTTP 401), 104 "An access token is required to
             request this resource." (no token at all, HTTP 400). Validation texts are real
             responses quoted in client code and bug reports: "(#100) Param text['body'] must
             be at most 4096 characters long.", "(#100) The parameter text['body'] is
             required.", "(#131009) Parameter value is not valid" with details "Button title
             length invalid. Min length: 1, Max length: 20", "Invalid buttons count. Min allowed
             buttons: 1, Max allowed buttons: 3", "Body text length invalid. Min length: 1, Max
             length: 1024", "Row title is too long. Max length is 24", "Row description is too
             long. Max length is 72", "Row id is too long. Max length is 200", "Total row count
             exceed max allowed count: 10". Texts marked [unverified] below follow the same
             pattern but no real response was found for them.
             Message ids: "wamid." + base64 of 1c 18 <len> <wa_id digits> 15 02 00 11 18 12
             <18 upper-case hex chars> 00, which is what real wamids decode to.

Usage:
  python3 tests/fake/fake_channels.py [--port 0] [--port-file PATH] [--wa-token TOKEN]
      [--tg-token TOKEN] [--wa-phone-id ID]

Binds 127.0.0.1 only, writes the bound port to --port-file (atomically), prints
"fake_channels listening on 127.0.0.1:PORT" and serves until SIGTERM/SIGINT. Test control:
POST /_control {"scenario": NAME, ...}, POST /_reset, GET /_requests. See tests/fake/README.md.
Standard library only; the HTTP plumbing (server, body reading, control endpoints, start-up) is
in fakehttp.py next to this file.
"""

import argparse
import base64
import json
import random
import re
import string
import sys
import time
import urllib.parse

import fakehttp
from fakehttp import http_date

MAX_BODY = 1024 * 1024               # bytes of one request body
DEFAULT_WA_TOKEN = "fake-wa-token"
DEFAULT_TG_TOKEN = "123456789:AAFakeTelegramBotTokenForLoketTests0"
DEFAULT_GRAPH_VERSION = "v21.0"
SCENARIOS = ("ok", "rate_limit", "server_error", "stall")
APIS = ("whatsapp", "telegram", "both")

# WhatsApp limits (Cloud API reference for text and interactive messages).
WA_TEXT_MAX = 4096
WA_BODY_MAX = 1024
WA_HEADER_MAX = 60
WA_FOOTER_MAX = 60
WA_BUTTON_TITLE_MAX = 20
WA_BUTTON_ID_MAX = 256
WA_LIST_BUTTON_MAX = 20
WA_ROW_TITLE_MAX = 24
WA_ROW_DESC_MAX = 72
WA_ROW_ID_MAX = 200
WA_SECTION_TITLE_MAX = 24
WA_ROWS_MAX = 10
WA_SECTIONS_MAX = 10
WA_TYPES = ("AUDIO", "CONTACTS", "DOCUMENT", "IMAGE", "INTERACTIVE", "LOCATION", "REACTION",
            "STICKER", "TEMPLATE", "TEXT", "VIDEO")

# Telegram limits (Bot API documentation).
TG_TEXT_MAX = 4096                   # code points after entity parsing
TG_CALLBACK_DATA_MAX = 64            # bytes
TG_MAX_BUTTONS = 100
TG_BOT_FIRST_NAME = "Loket (test)"
TG_BOT_USERNAME = "loket_test_bot"


# ---------------------------------------------------------------------------------------------
# JSON writers
# ---------------------------------------------------------------------------------------------

def dumps_telegram(obj):
    """td::JsonBuilder: compact, non-ASCII as lower-case \\uXXXX (surrogate pairs), "/" as is.
    Python's ensure_ascii output is the same byte for byte."""
    return json.dumps(obj, ensure_ascii=True, separators=(",", ":"), allow_nan=False)


def dumps_graph(obj):
    """Graph API: compact, non-ASCII escaped and "/" written as "\\/" (PHP json_encode style,
    as Graph responses show it). Any JSON parser reads it the same."""
    return dumps_telegram(obj).replace("/", "\\/")


def dumps_plain(obj):
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


def got(value):
    """The value as Graph quotes it in "... - got X." (bounded)."""
    try:
        text = dumps_plain(value)
    except (ValueError, TypeError, RecursionError):
        text = "?"
    return text if len(text) <= 200 else text[:200] + "..."


def query_args(query):
    """The query string as a dict; a malformed or huge one counts as empty."""
    try:
        return dict(urllib.parse.parse_qsl(query, keep_blank_values=True, max_num_fields=100))
    except ValueError:
        return {}


def rand_token(n, alphabet=string.ascii_letters + string.digits + "-_"):
    return "".join(random.choice(alphabet) for _ in range(n))


def fbtrace_id():
    return "A" + rand_token(22)


def wamid_for(wa_id):
    """A message id shaped like the real ones: base64 of a small protobuf-like record."""
    digits = wa_id.encode("ascii")[:255]
    tail = "".join(random.choice("0123456789ABCDEF") for _ in range(18)).encode("ascii")
    raw = (b"\x1c\x18" + bytes([len(digits)]) + digits + b"\x15\x02\x00\x11\x18\x12" + tail
           + b"\x00")
    return "wamid." + base64.b64encode(raw).decode("ascii")


# ---------------------------------------------------------------------------------------------
# Shared state
# ---------------------------------------------------------------------------------------------

class State(fakehttp.State):
    """The scenario, the request log and the counters. One lock guards all of it."""

    default_scenario = "ok"

    def _clear(self):
        super()._clear()
        self.tg_message_ids = {}     # chat id -> last message_id
        self.wa_sent = 0

    def failure_for(self, api):
        """The scenario config this request must fail with, or None. "times" limits how many
        requests fail; "api" limits which API the scenario applies to."""
        with self.lock:
            cfg = self.config
            scenario = cfg.get("scenario", "ok")
            if scenario == "ok":
                return None
            target = cfg.get("api", "both")
            if target != "both" and target != api:
                return None
            times = cfg.get("times")
            if times is not None:
                if self.failures >= times:
                    return None
                self.failures += 1
            return dict(cfg)

    def next_tg_message_id(self, chat_id):
        with self.lock:
            n = self.tg_message_ids.get(chat_id, 0) + 1
            self.tg_message_ids[chat_id] = n
            return n

    def count_wa(self):
        with self.lock:
            self.wa_sent += 1


# ---------------------------------------------------------------------------------------------
# WhatsApp (Graph API)
# ---------------------------------------------------------------------------------------------

class GraphError(Exception):
    """One Graph error response: HTTP status and the {"error": ...} body fields."""

    def __init__(self, status, message, etype="OAuthException", code=100, details=None,
                 subcode=None, headers=()):
        super().__init__(message)
        self.status = status
        self.message = message
        self.etype = etype
        self.code = code
        self.details = details
        self.subcode = subcode
        self.headers = list(headers)

    def body(self, trace):
        err = {"message": self.message, "type": self.etype, "code": self.code}
        if self.details is not None:
            err["error_data"] = {"messaging_product": "whatsapp", "details": self.details}
        if self.subcode is not None:
            err["error_subcode"] = self.subcode
        err["fbtrace_id"] = trace
        return {"error": err}


def param_error(message):
    """A Graph parameter-validation error: HTTP 400, code 100, no error_data."""
    return GraphError(400, message, code=100)


def invalid_value(details):
    """WhatsApp's own validation error: HTTP 400, code 131009 with error_data.details."""
    return GraphError(400, "(#131009) Parameter value is not valid", code=131009,
                      details=details)


WA_RATE_LIMITS = {
    130429: ("(#130429) Rate limit hit", "Cloud API message throughput has been reached."),
    131056: ("(#131056) (Business Account, Consumer Account) pair rate limit hit",
             "Message failed to send because there were too many messages sent from this "
             "phone number to the same phone number in a short period of time."),
    80007: ("(#80007) Rate limit issues",                       # [unverified] message text
            "The WhatsApp Business Account has reached its rate limit."),
    4: ("(#4) Application request limit reached", None),
}


def wa_scenario_error(cfg):
    if cfg["scenario"] == "rate_limit":
        code = cfg.get("wa_code", 130429)
        message, details = WA_RATE_LIMITS[code]
        status = cfg.get("wa_status", 429)
        return GraphError(status, message, code=code, details=details)
    return GraphError(500, "(#131000) Something went wrong", code=131000,
                      details="Something went wrong")


def _str_len_ok(value, low, high):
    return isinstance(value, str) and low <= len(value) <= high


def validate_wa_text(body):
    text = body.get("text")
    if text is None:
        raise param_error("(#100) The parameter text['body'] is required.")
    if not isinstance(text, dict):
        raise param_error("(#100) Param text must be a JSON object.")
    value = text.get("body")
    if value is None or value == "":
        raise param_error("(#100) The parameter text['body'] is required.")
    if not isinstance(value, str):
        raise param_error("(#100) Param text['body'] must be a string.")
    if len(value) > WA_TEXT_MAX:
        raise param_error("(#100) Param text['body'] must be at most %d characters long."
                          % WA_TEXT_MAX)
    preview = text.get("preview_url")
    if preview is not None and not isinstance(preview, bool):
        raise param_error("(#100) Param text['preview_url'] must be a boolean.")  # [unverified]


def validate_wa_interactive(body):
    inter = body.get("interactive")
    if inter is None:
        raise param_error("(#100) The parameter interactive is required.")        # [unverified]
    if not isinstance(inter, dict):
        raise param_error("(#100) Param interactive must be a JSON object.")      # [unverified]
    itype = inter.get("type")
    if itype is None:
        raise param_error("(#100) The parameter interactive['type'] is required.")  # [unverified]
    if itype not in ("button", "list"):
        # The fake checks the two kinds Loket sends; others get this [unverified] refusal.
        raise param_error("(#100) Param interactive['type'] must be one of {BUTTON, LIST} - "
                          "got %s." % got(itype))
    ibody = inter.get("body")
    text = ibody.get("text") if isinstance(ibody, dict) else None
    if not _str_len_ok(text, 1, WA_BODY_MAX):
        raise invalid_value("Body text length invalid. Min length: 1, Max length: %d"
                            % WA_BODY_MAX)
    header = inter.get("header")
    if header is not None:
        if not isinstance(header, dict) or (header.get("type", "text") == "text" and
                                            not _str_len_ok(header.get("text"), 1,
                                                            WA_HEADER_MAX)):
            raise invalid_value("Header text length invalid. Min length: 1, Max length: %d"
                                % WA_HEADER_MAX)                                # [unverified]
    footer = inter.get("footer")
    if footer is not None:
        if not isinstance(footer, dict) or not _str_len_ok(footer.get("text"), 1,
                                                          WA_FOOTER_MAX):
            raise invalid_value("Footer text length invalid. Min length: 1, Max length: %d"
                                % WA_FOOTER_MAX)                                # [unverified]
    action = inter.get("action")
    if not isinstance(action, dict):
        raise param_error("(#100) The parameter interactive['action'] is required.")  # [unv.]
    if itype == "button":
        validate_wa_buttons(action)
    else:
        validate_wa_list(action)


def validate_wa_buttons(action):
    buttons = action.get("buttons")
    if not isinstance(buttons, list) or not 1 <= len(buttons) <= 3:
        raise invalid_value("Invalid buttons count. Min allowed buttons: 1, Max allowed "
                            "buttons: 3")
    for button in buttons:
        if not isinstance(button, dict) or button.get("type") != "reply":
            raise invalid_value("Invalid button type. Allowed button types: reply")  # [unv.]
        reply = button.get("reply")
        reply = reply if isinstance(reply, dict) else {}
        if not _str_len_ok(reply.get("title"), 1, WA_BUTTON_TITLE_MAX):
            raise invalid_value("Button title length invalid. Min length: 1, Max length: %d"
                                % WA_BUTTON_TITLE_MAX)
        if not _str_len_ok(reply.get("id"), 1, WA_BUTTON_ID_MAX):
            raise invalid_value("Button id length invalid. Min length: 1, Max length: %d"
                                % WA_BUTTON_ID_MAX)                             # [unverified]


def validate_wa_list(action):
    if not _str_len_ok(action.get("button"), 1, WA_LIST_BUTTON_MAX):
        raise invalid_value("Button title length invalid. Min length: 1, Max length: %d"
                            % WA_LIST_BUTTON_MAX)   # [unverified] for action.button
    sections = action.get("sections")
    if not isinstance(sections, list) or not 1 <= len(sections) <= WA_SECTIONS_MAX:
        raise invalid_value("Invalid sections count. Min allowed sections: 1, Max allowed "
                            "sections: %d" % WA_SECTIONS_MAX)                   # [unverified]
    total = 0
    for section in sections:
        rows = section.get("rows") if isinstance(section, dict) else None
        if not isinstance(rows, list):
            raise invalid_value("Section rows are required")                   # [unverified]
        total += len(rows)
    if total > WA_ROWS_MAX:
        raise invalid_value("Total row count exceed max allowed count: %d" % WA_ROWS_MAX)
    if total < 1:
        raise invalid_value("Total row count should be at least 1")            # [unverified]
    for section in sections:
        title = section.get("title")
        if title is not None or len(sections) > 1:
            if not isinstance(title, str) or not title:
                raise invalid_value("Section title is required")               # [unverified]
            if len(title) > WA_SECTION_TITLE_MAX:
                raise invalid_value("Section title is too long. Max length is %d"
                                    % WA_SECTION_TITLE_MAX)                     # [unverified]
        for row in section["rows"]:
            row = row if isinstance(row, dict) else {}
            title = row.get("title")
            if not isinstance(title, str) or not title:
                raise invalid_value("Row title is required")                   # [unverified]
            if len(title) > WA_ROW_TITLE_MAX:
                raise invalid_value("Row title is too long. Max length is %d"
                                    % WA_ROW_TITLE_MAX)
            desc = row.get("description")
            if desc is not None and (not isinstance(desc, str) or len(desc) > WA_ROW_DESC_MAX):
                raise invalid_value("Row description is too long. Max length is %d"
                                    % WA_ROW_DESC_MAX)
            rid = row.get("id")
            if not isinstance(rid, str) or not rid:
                raise invalid_value("Row id is required")                      # [unverified]
            if len(rid) > WA_ROW_ID_MAX:
                raise invalid_value("Row id is too long. Max length is %d" % WA_ROW_ID_MAX)


def validate_wa_message(body):
    """Checks a POST .../messages body like Graph does for what Loket sends. Returns "read"
    for a mark-as-read request, else the recipient's "to". Raises GraphError."""
    if not isinstance(body, dict) or "messaging_product" not in body:
        raise param_error("(#100) The parameter messaging_product is required.")
    mp = body.get("messaging_product")
    if not isinstance(mp, str) or mp.lower() != "whatsapp":
        raise param_error("(#100) Param messaging_product must be one of {WHATSAPP} - got %s."
                          % got(mp))
    if body.get("status") == "read":
        if not isinstance(body.get("message_id"), str) or not body["message_id"]:
            raise param_error("(#100) The parameter message_id is required.")
        return "read"
    to = body.get("to")
    if not isinstance(to, str) or not to.strip():
        raise param_error("(#100) The parameter to is required.")
    rtype = body.get("recipient_type")
    if rtype is not None and rtype not in ("individual", "group"):
        raise param_error("(#100) Param recipient_type must be one of {GROUP, INDIVIDUAL} - "
                          "got %s." % got(rtype))                        # [unverified]
    mtype = body.get("type", "text")
    if not isinstance(mtype, str) or mtype.upper() not in WA_TYPES:
        raise param_error("(#100) Param type must be one of {%s} - got %s."
                          % (", ".join(WA_TYPES), got(mtype)))
    mtype = mtype.lower()
    if mtype == "text":
        validate_wa_text(body)
    elif mtype == "interactive":
        validate_wa_interactive(body)
    elif mtype == "template":
        tpl = body.get("template")
        if not isinstance(tpl, dict) or not isinstance(tpl.get("name"), str):
            raise param_error("(#100) The parameter template['name'] is required.")
        lang = tpl.get("language")
        if not isinstance(lang, dict) or not isinstance(lang.get("code"), str):
            raise param_error("(#100) The parameter template['language'] is required.")
    return to


# ---------------------------------------------------------------------------------------------
# Telegram Bot API
# ---------------------------------------------------------------------------------------------

class TgError(Exception):
    def __init__(self, status, description, parameters=None, headers=()):
        super().__init__(description)
        self.status = status
        self.description = description
        self.parameters = parameters
        self.headers = list(headers)

    def body(self):
        # JsonQueryError: ok, error_code, description, then parameters if any.
        obj = {"ok": False, "error_code": self.status, "description": self.description}
        if self.parameters:
            obj["parameters"] = self.parameters
        return obj


def bad_request(text):
    return TgError(400, "Bad Request: " + text)


def tg_scenario_error(cfg):
    if cfg["scenario"] == "rate_limit":
        retry = cfg.get("retry_after", 1)
        return TgError(429, "Too Many Requests: retry after %d" % retry,
                       {"retry_after": retry}, [("Retry-After", str(retry))])
    return TgError(500, "Internal Server Error")


# ---- HTML entities: a port of td/telegram/MessageEntity.cpp parse_html (2024) ----

class EntityParseError(Exception):
    pass


_TG_SPACE = b" \t\r\n\0\x0b\x0c"          # td::is_space() counts the terminating NUL too
_TG_HTML_TAGS = ("a", "b", "strong", "i", "em", "s", "strike", "del", "u", "ins", "tg-spoiler",
                 "tg-emoji", "span", "pre", "code", "blockquote")
_TG_PRIORITY = {"bold": 90, "italic": 91, "code": 20, "pre": 11, "text_link": 49,
                "underline": 92, "strikethrough": 93, "blockquote": 0, "spoiler": 94,
                "custom_emoji": 99, "expandable_blockquote": 0}


def _is_space(b):
    return b in _TG_SPACE


def _is_alnum(b):
    return 48 <= b <= 57 or 65 <= b <= 90 or 97 <= b <= 122


def _decode_html_entity(data, pos):
    """(code point, new pos) or (0, pos): only &lt; &gt; &amp; &quot; and numeric ones."""
    end = pos + 1
    res = 0
    if data[pos + 1] == 0x23:                                   # '#'
        end += 1
        if data[pos + 2] == 0x78:                               # 'x'
            end += 1
            while chr(data[end]) in string.hexdigits and data[end] != 0:
                res = res * 16 + int(chr(data[end]), 16)
                end += 1
        else:
            while 48 <= data[end] <= 57:
                res = res * 10 + data[end] - 48
                end += 1
        if res == 0 or res >= 0x10FFFF or end - pos >= 10:
            return 0, pos
    else:
        while 65 <= data[end] <= 90 or 97 <= data[end] <= 122:
            end += 1
        name = bytes(data[pos + 1:end])
        res = {b"lt": 0x3C, b"gt": 0x3E, b"amp": 0x26, b"quot": 0x22}.get(name, 0)
        if not res:
            return 0, pos
    if data[end] == 0x3B:                                       # ';'
        end += 1
    return res, end


def _checked_link(url):
    """A rough LinkManager::get_checked_link: http(s)/tg/ton links kept, bare hosts get
    http://, anything else dropped ("" )."""
    url = url.strip()
    if not url or any(c.isspace() for c in url):
        return ""
    m = re.match(r"^([A-Za-z][A-Za-z0-9+.-]*)://", url)
    if m:
        if m.group(1).lower() not in ("http", "https", "tg", "ton"):
            return ""
    elif "." in url:
        url = "http://" + url
    else:
        return ""
    if re.match(r"^https?://[^/?#]+$", url, re.I):
        url += "/"
    return url


def parse_html(text):
    """(plain text, entities) for parse_mode HTML, or EntityParseError with TDLib's text."""
    data = bytearray(text.encode("utf-8", "surrogatepass")) + b"\0\0\0"
    size = len(data) - 3
    out = bytearray()
    utf16 = 0
    need_recheck = False
    stack = []                      # [tag, argument, utf16 offset, out position]
    entities = []
    i = 0
    while i < size:
        c = data[i]
        if c == 0x26:
            code, new_i = _decode_html_entity(data, i)
            if code:
                utf16 += 1 + (code > 0xFFFF)
                if 0xD800 <= code <= 0xDFFF:
                    need_recheck = True
                out += chr(code).encode("utf-8", "surrogatepass")
                i = new_i
                continue
        if c != 0x3C:
            if (c & 0xC0) != 0x80:
                utf16 += 1 + (c >= 0xF0)
            out.append(c)
            i += 1
            continue
        begin = i
        i += 1
        if data[i] != 0x2F:
            while not _is_space(data[i]) and data[i] != 0x3E:
                i += 1
            if data[i] == 0:
                raise EntityParseError("Unclosed start tag at byte offset %d" % begin)
            tag = data[begin + 1:i].decode("utf-8", "replace").lower()
            if tag not in _TG_HTML_TAGS:
                raise EntityParseError('Unsupported start tag "%s" at byte offset %d'
                                       % (tag, begin))
            argument = ""
            while data[i] != 0x3E:
                while data[i] != 0 and _is_space(data[i]):
                    i += 1
                if data[i] == 0x3E:
                    break
                attr_begin = i
                while (not _is_space(data[i]) and data[i] not in b"=>/\"'"):
                    i += 1
                attr = data[attr_begin:i].decode("utf-8", "replace")
                if not attr:
                    raise EntityParseError('Empty attribute name in the tag "%s" at byte '
                                           'offset %d' % (tag, begin))
                while data[i] != 0 and _is_space(data[i]):
                    i += 1
                if data[i] != 0x3D:
                    if data[i] == 0:
                        raise EntityParseError('Unclosed start tag "%s" at byte offset %d'
                                               % (tag, begin))
                    if tag == "blockquote" and attr == "expandable":
                        argument = "1"
                    continue
                i += 1
                while data[i] != 0 and _is_space(data[i]):
                    i += 1
                if data[i] == 0:
                    raise EntityParseError('Unclosed start tag "%s" at byte offset %d'
                                           % (tag, begin))
                if data[i] not in b"'\"":
                    token_begin = i
                    while _is_alnum(data[i]) or data[i] in b".-":
                        i += 1
                    value = data[token_begin:i].decode("ascii").lower()
                    if not _is_space(data[i]) and data[i] != 0x3E:
                        raise EntityParseError("Unexpected end of name token at byte offset %d"
                                               % token_begin)
                else:
                    quote = data[i]
                    i += 1
                    val = bytearray()
                    while data[i] != quote and data[i] != 0:
                        if data[i] == 0x26:
                            code, new_i = _decode_html_entity(data, i)
                            if code:
                                val += chr(code).encode("utf-8", "surrogatepass")
                                i = new_i
                                continue
                        val.append(data[i])
                        i += 1
                    if data[i] == quote:
                        i += 1
                    value = val.decode("utf-8", "replace")
                if data[i] == 0:
                    raise EntityParseError("Unclosed start tag at byte offset %d" % begin)
                if tag == "a" and attr == "href":
                    argument = value
                elif tag == "code" and attr == "class" and value.startswith("language-"):
                    argument = value[9:]
                elif tag == "span" and attr == "class" and value.startswith("tg-"):
                    argument = value[3:]
                elif tag == "tg-emoji" and attr == "emoji-id":
                    argument = value
                elif tag == "blockquote" and attr == "expandable":
                    argument = "1"
            if tag == "span" and argument != "spoiler":
                raise EntityParseError('Tag "span" must have class "tg-spoiler" at byte offset %d'
                                       % begin)
            stack.append([tag, argument, utf16, len(out)])
            i += 1
            continue
        # an end tag
        if not stack:
            raise EntityParseError("Unexpected end tag at byte offset %d" % begin)
        while not _is_space(data[i]) and data[i] != 0x3E:
            i += 1
        end_tag = data[begin + 2:i].decode("utf-8", "replace").lower()
        while _is_space(data[i]) and data[i] != 0:
            i += 1
        if data[i] != 0x3E:
            raise EntityParseError("Unclosed end tag at byte offset %d" % begin)
        tag, argument, offset, out_pos = stack[-1]
        if end_tag and end_tag != tag:
            raise EntityParseError('Unmatched end tag at byte offset %d, expected "</%s>", '
                                   'found "</%s>"' % (begin, tag, end_tag))
        if utf16 > offset:
            length = utf16 - offset
            ent = None
            if tag in ("i", "em"):
                ent = {"offset": offset, "length": length, "type": "italic"}
            elif tag in ("b", "strong"):
                ent = {"offset": offset, "length": length, "type": "bold"}
            elif tag in ("s", "strike", "del"):
                ent = {"offset": offset, "length": length, "type": "strikethrough"}
            elif tag in ("u", "ins"):
                ent = {"offset": offset, "length": length, "type": "underline"}
            elif tag in ("tg-spoiler", "span"):
                ent = {"offset": offset, "length": length, "type": "spoiler"}
            elif tag == "tg-emoji":
                if not re.fullmatch(r"-?\d{1,19}", argument) or int(argument) == 0:
                    raise EntityParseError("Invalid custom emoji identifier specified")
                ent = {"offset": offset, "length": length, "type": "custom_emoji",
                       "custom_emoji_id": argument}
            elif tag == "a":
                url = argument or out[out_pos:].decode("utf-8", "replace")
                url = _checked_link(url)
                if url:
                    ent = {"offset": offset, "length": length, "type": "text_link", "url": url}
            elif tag == "pre":
                last = entities[-1] if entities else None
                if (last and last["type"] == "code" and last["offset"] == offset
                        and last["length"] == length and last.get("_lang")):
                    last["type"] = "pre"
                    last["language"] = last.pop("_lang")
                else:
                    ent = {"offset": offset, "length": length, "type": "pre"}
            elif tag == "code":
                last = entities[-1] if entities else None
                if (last and last["type"] == "pre" and last["offset"] == offset
                        and last["length"] == length and argument):
                    last["language"] = argument
                else:
                    ent = {"offset": offset, "length": length, "type": "code"}
                    if argument:
                        ent["_lang"] = argument
            elif tag == "blockquote":
                ent = {"offset": offset, "length": length,
                       "type": "expandable_blockquote" if argument else "blockquote"}
            if ent:
                entities.append(ent)
        stack.pop()
        i += 1
    if stack:
        raise EntityParseError('Can\'t find end tag corresponding to start tag "%s"'
                               % stack[-1][0])
    for ent in entities:
        ent.pop("_lang", None)
    entities.sort(key=lambda e: (e["offset"], -e["length"], _TG_PRIORITY.get(e["type"], 50)))
    try:
        result = bytes(out).decode("utf-8")
    except UnicodeDecodeError:
        if need_recheck:
            raise EntityParseError("Text contains invalid Unicode characters after decoding "
                                   "HTML entities, check for unmatched surrogate code units")
        result = bytes(out).decode("utf-8", "replace")
    return result, entities


# ---- MarkdownV2: reserved characters and unclosed entities (approximate) ----

_MDV2_RESERVED = "_*[]()~`>#+-=|{}.!"


def parse_markdown_v2(text):
    """The plain text of a MarkdownV2 message; raises EntityParseError for an unescaped
    reserved character or an entity that is never closed. Not a full port: no entities are
    returned and nesting rules are not checked."""
    out = []
    stack = []                      # (marker, byte offset)
    i = 0
    n = len(text)
    byte_off = 0

    def advance(k):
        nonlocal i, byte_off
        byte_off += len(text[i:i + k].encode("utf-8"))
        i += k

    at_line_start = True
    while i < n:
        c = text[i]
        in_code = bool(stack) and stack[-1][0] in ("`", "```")
        if c == "\\" and i + 1 < n and 0 < ord(text[i + 1]) <= 126:
            out.append(text[i + 1])
            advance(2)
            at_line_start = False
            continue
        if in_code:
            marker = stack[-1][0]
            if text.startswith(marker, i):
                stack.pop()
                advance(len(marker))
            else:
                out.append(c)
                advance(1)
            continue
        if c == "`":
            marker = "```" if text.startswith("```", i) else "`"
            stack.append((marker, byte_off))
            advance(len(marker))
            continue
        if c in "*~_|":
            marker = c
            if c == "_" and text.startswith("__", i):
                marker = "__"
            if c == "|":
                if not text.startswith("||", i):
                    raise EntityParseError("Character '|' is reserved and must be escaped "
                                           "with the preceding '\\'")
                marker = "||"
            if stack and stack[-1][0] == marker:
                stack.pop()
            else:
                stack.append((marker, byte_off))
            advance(len(marker))
            at_line_start = False
            continue
        if c == "[":
            stack.append(("[", byte_off))
            advance(1)
            continue
        if c == "]" and stack and stack[-1][0] == "[":
            stack.pop()
            advance(1)
            if i < n and text[i] == "(":
                advance(1)
                while i < n and text[i] != ")":
                    if text[i] == "\\" and i + 1 < n:
                        advance(1)
                    advance(1)
                if i >= n:
                    raise EntityParseError("Can't find end of a URL at byte offset %d" % byte_off)
                advance(1)
            continue
        if c == ">" and at_line_start:
            advance(1)
            at_line_start = False
            continue
        if c in _MDV2_RESERVED:
            raise EntityParseError("Character '%s' is reserved and must be escaped with the "
                                   "preceding '\\'" % c)
        out.append(c)
        at_line_start = c == "\n"
        advance(1)
    if stack:
        names = {"*": "Bold", "_": "Italic", "__": "Underline", "~": "Strikethrough",
                 "||": "Spoiler", "`": "Code", "```": "Pre", "[": "TextUrl"}
        marker, off = stack[-1]
        raise EntityParseError("Can't find end of %s entity at byte offset %d"
                               % (names.get(marker, "Bold"), off))
    return "".join(out), []


def _trim_text(text, entities):
    """TDLib trims leading and trailing white space; entity offsets follow (UTF-16 units)."""
    stripped_left = text[: len(text) - len(text.lstrip(" \t\r\n"))]
    cut = len(stripped_left.encode("utf-16-le")) // 2
    text = text.strip(" \t\r\n")
    total = len(text.encode("utf-16-le")) // 2
    kept = []
    for ent in entities:
        start = max(ent["offset"] - cut, 0)
        end = min(ent["offset"] + ent["length"] - cut, total)
        if end > start:
            ent = dict(ent, offset=start, length=end - start)
            kept.append(ent)
    return text, kept


def tg_chat_id(value):
    """The numeric chat id, or a TgError like the Bot API gives."""
    if isinstance(value, bool):
        value = ""
    text = str(value).strip() if value is not None else ""
    if not text:
        raise bad_request("chat_id is empty")
    if not re.fullmatch(r"-?\d{1,19}", text) or int(text) == 0:
        raise bad_request("chat not found")
    return int(text)


def tg_chat_object(chat_id):
    if chat_id > 0:
        return {"id": chat_id, "first_name": "Inwoner", "type": "private"}
    if str(chat_id).startswith("-100"):
        return {"id": chat_id, "title": "Loket test", "type": "supergroup"}
    return {"id": chat_id, "title": "Loket test", "type": "group"}


def tg_reply_markup(value):
    """The inline keyboard as the Bot API echoes it, or None; raises TgError."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except (ValueError, RecursionError):
            raise bad_request("can't parse reply keyboard markup JSON object")
    if not isinstance(value, dict):
        raise bad_request("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" not in value:
        # Reply keyboards, remove_keyboard and force_reply are accepted without checks.
        return value
    rows = value["inline_keyboard"]
    if not isinstance(rows, list):
        raise bad_request('field "inline_keyboard" must be of type Array')
    echoed = []
    count = 0
    for row in rows:
        if not isinstance(row, list):
            raise bad_request('field "inline_keyboard" must be of type Array of Arrays')  # [u]
        out_row = []
        for button in row:
            count += 1
            if not isinstance(button, dict):
                raise bad_request("can't parse inline keyboard button: InlineKeyboardButton "
                                  "must be an Object")                         # [unverified]
            text = button.get("text")
            if not isinstance(text, str):
                raise bad_request("can't parse inline keyboard button: Field \"text\" must be "
                                  "of type String")                            # [unverified]
            if not text.strip():
                raise bad_request("BUTTON_TEXT_INVALID")                       # [unverified]
            if "callback_data" in button:
                data = button["callback_data"]
                if not isinstance(data, str):
                    raise bad_request("can't parse inline keyboard button: Field "
                                      "\"callback_data\" must be of type String")  # [unv.]
                if not 1 <= len(data.encode("utf-8")) <= TG_CALLBACK_DATA_MAX:
                    raise bad_request("BUTTON_DATA_INVALID")
                out_row.append({"text": text, "callback_data": data})
            elif "url" in button:
                url = button["url"]
                if not isinstance(url, str) or not re.match(r"^(https?|tg)://\S+$", url):
                    raise bad_request("BUTTON_URL_INVALID")
                out_row.append({"text": text, "url": url})
            else:
                raise bad_request("can't parse inline keyboard button: Text buttons are "
                                  "unallowed in the inline keyboard")
        echoed.append(out_row)
    if count > TG_MAX_BUTTONS:
        raise bad_request("REPLY_MARKUP_TOO_LONG")
    return {"inline_keyboard": echoed}


def tg_send_message(args, bot, state):
    chat_id = tg_chat_id(args.get("chat_id"))
    raw = args.get("text")
    if raw is None:
        raw = ""
    if not isinstance(raw, str):
        raw = dumps_plain(raw)
    if raw == "":
        raise bad_request("message text is empty")
    mode = args.get("parse_mode") or ""
    if not isinstance(mode, str):
        raise bad_request("unsupported parse_mode")
    mode_l = mode.lower()
    try:
        if mode_l == "html":
            text, entities = parse_html(raw)
        elif mode_l == "markdownv2":
            text, entities = parse_markdown_v2(raw)
        elif mode_l == "markdown":
            text, entities = re.sub(r"[*_`\[\]]", "", raw), []
        elif mode_l in ("", "none"):
            text, entities = raw, []
        else:
            raise bad_request("unsupported parse_mode")
    except EntityParseError as e:
        raise bad_request("can't parse entities: %s" % e)
    text, entities = _trim_text(text, entities)
    if not text:
        raise bad_request("message must be non-empty")
    if len(text) > TG_TEXT_MAX:
        raise bad_request("message is too long")
    markup = tg_reply_markup(args.get("reply_markup"))
    msg = {"message_id": state.next_tg_message_id(chat_id), "from": bot,
           "chat": tg_chat_object(chat_id), "date": int(time.time()), "text": text}
    if entities:
        msg["entities"] = entities
    if markup and "inline_keyboard" in markup:
        msg["reply_markup"] = markup
    return msg


def tg_answer_callback_query(args):
    qid = args.get("callback_query_id")
    qid = str(qid).strip() if qid is not None and not isinstance(qid, bool) else ""
    # The Bot API reads the id as an integer; anything else is an unknown query.
    if not re.fullmatch(r"-?\d{1,19}", qid) or int(qid) == 0:
        raise bad_request("query is too old and response timeout expired or query ID is invalid")
    return True


# ---------------------------------------------------------------------------------------------
# HTTP
# ---------------------------------------------------------------------------------------------

class Handler(fakehttp.Handler):
    server_version = "fake_channels"
    max_body = MAX_BODY
    drain_max = 16 * MAX_BODY            # read and drop a moderately oversized body: 413 arrives
    scenarios = SCENARIOS
    control_dumps = staticmethod(dumps_plain)

    # ---- request reading ----

    def body_error(self, reason):
        # Neither API has a JSON shape for this (their front ends answer in HTML).
        self.send_with_length(413 if reason == "too_large" else 400,
                              [("Content-Type", "application/json"), ("Connection", "close")],
                              b'{"error":"request body unreadable or too large"}')

    def parse_body(self, raw):
        """JSON object, form fields, or None."""
        if not raw:
            return None
        ctype = self.headers.get("Content-Type", "").split(";")[0].strip().lower()
        if ctype != "application/x-www-form-urlencoded":
            try:
                return json.loads(raw.decode("utf-8"))
            except (ValueError, UnicodeDecodeError, RecursionError):
                if ctype == "application/json":
                    return None
        try:
            pairs = urllib.parse.parse_qsl(raw.decode("utf-8"), keep_blank_values=True,
                                           max_num_fields=1000)
        except (ValueError, UnicodeDecodeError):
            return None
        return dict(pairs)

    # ---- dispatch ----

    def api(self, method, path, query, raw):
        body = self.parse_body(raw)
        api = "telegram" if path.startswith("/bot") else "whatsapp"
        entry = {"api": api, "method": method, "path": self.path,
                 "headers": {k.lower(): v for k, v in self.headers.items()},
                 "body": body, "t": time.time(), "status": None, "response": None}
        self.server.state.log_request(entry)
        if api == "telegram":
            self.telegram(method, path, query, body, entry)
        else:
            self.whatsapp(method, path, query, body, entry)

    def scenario_failure(self, api, entry, make_error):
        """Applies the control scenario to this request of api: raises make_error(cfg) for a
        failing one; for "stall" sleeps, closes the connection and returns True; else False."""
        cfg = self.server.state.failure_for(api)
        if cfg is None:
            return False
        if cfg["scenario"] != "stall":
            raise make_error(cfg)
        entry["status"] = "stalled"
        seconds = cfg.get("seconds", 30)
        time.sleep(min(max(float(seconds), 0.0), 3600.0))
        self.abort_connection()
        return True

    # ---- WhatsApp ----

    def graph_headers(self, version, trace, extra=()):
        # Headers like the ones Graph sends (written from memory of real responses, not
        # checked against a source; Loket must not depend on any of them).
        return ([("Content-Type", "application/json; charset=UTF-8"), ("Vary", "Origin"),
                 ("Access-Control-Allow-Origin", "*"), ("facebook-api-version", version),
                 ("Strict-Transport-Security", "max-age=15552000; preload"),
                 ("Pragma", "no-cache"),
                 ("Cache-Control", "private, no-cache, no-store, must-revalidate"),
                 ("Expires", "Sat, 01 Jan 2000 00:00:00 GMT"),
                 ("x-fb-request-id", "A" + rand_token(22)), ("x-fb-trace-id", trace)]
                + list(extra) + [("Date", http_date()), ("Connection", "keep-alive")])

    def send_graph(self, status, obj, version, trace, entry, extra=()):
        entry["status"] = status
        entry["response"] = obj
        self.send_with_length(status, self.graph_headers(version, trace, extra),
                              dumps_graph(obj).encode("ascii"))

    def graph_token(self, query, body):
        auth = self.headers.get("Authorization", "")
        for scheme in ("Bearer ", "OAuth "):
            if auth[: len(scheme)].lower() == scheme.lower():
                return auth[len(scheme):].strip()
        qs = query_args(query)
        if qs.get("access_token"):
            return qs["access_token"]
        if isinstance(body, dict) and isinstance(body.get("access_token"), str):
            return body["access_token"]
        return None

    def whatsapp(self, method, path, query, body, entry):
        trace = fbtrace_id()
        ctype = self.headers.get("Content-Type", "").split(";")[0].strip().lower()
        if ctype == "application/x-www-form-urlencoded" and isinstance(body, dict):
            # Graph reads JSON-encoded values of form fields (text={"body":...}).
            for key, value in list(body.items()):
                if value[:1] in ("{", "["):
                    try:
                        body[key] = json.loads(value)
                    except (ValueError, RecursionError):
                        pass
        parts = [p for p in path.split("/") if p]
        version = DEFAULT_GRAPH_VERSION
        if parts and re.fullmatch(r"v\d{1,3}\.\d{1,2}", parts[0]):
            version = parts[0]
            parts = parts[1:]
        try:
            token = self.graph_token(query, body)
            if not token:
                raise GraphError(400, "An access token is required to request this resource.",
                                 code=104)
            if token != self.server.wa_token:
                raise GraphError(401, "Invalid OAuth access token - Cannot parse access token",
                                 code=190, headers=[("WWW-Authenticate", 'OAuth "Facebook '
                                                     'Platform" "invalid_token" "Invalid OAuth '
                                                     'access token - Cannot parse access '
                                                     'token"')])
            if len(parts) != 2 or parts[1] != "messages":
                raise GraphError(400, "Unknown path components: /" + "/".join(parts[1:]),
                                 code=2500)
            phone_id = parts[0]
            wanted = self.server.wa_phone_id
            if (method != "POST" or not phone_id.isdigit()
                    or (wanted is not None and phone_id != wanted)):
                raise GraphError(400, "Unsupported %s request. Object with ID '%s' does not "
                                 "exist, cannot be loaded due to missing permissions, or does "
                                 "not support this operation. Please read the Graph API "
                                 "documentation at https://developers.facebook.com/docs/"
                                 "graph-api" % (method.lower(), phone_id),
                                 etype="GraphMethodException", code=100, subcode=33)
            if self.scenario_failure("whatsapp", entry, wa_scenario_error):
                return
            to = validate_wa_message(body)
        except GraphError as e:
            self.send_graph(e.status, e.body(trace), version, trace, entry, e.headers)
            return
        if to == "read":
            self.send_graph(200, {"success": True}, version, trace, entry)
            return
        wa_id = re.sub(r"\D", "", to) or to
        self.server.state.count_wa()
        self.send_graph(200, {"messaging_product": "whatsapp",
                              "contacts": [{"input": to, "wa_id": wa_id}],
                              "messages": [{"id": wamid_for(wa_id)}]}, version, trace, entry)

    # ---- Telegram ----

    def send_telegram(self, status, obj, entry, extra=()):
        entry["status"] = status
        entry["response"] = obj
        # api.telegram.org is nginx in front of telegram-bot-api. HttpConnection.cpp sets
        # keep-alive, application/json and Retry-After; the nginx headers are from memory.
        headers = [("Server", "nginx/1.18.0"), ("Date", http_date()),
                   ("Content-Type", "application/json"), ("Connection", "keep-alive"),
                   ("Strict-Transport-Security",
                    "max-age=31536000; includeSubDomains; preload"),
                   ("Access-Control-Allow-Origin", "*"),
                   ("Access-Control-Expose-Headers",
                    "Content-Length,Content-Type,Date,Server,Connection")] + list(extra)
        self.send_with_length(status, headers, dumps_telegram(obj).encode("ascii"))

    def telegram(self, method, path, query, body, entry):
        m = re.fullmatch(r"/bot([^/]*)/([A-Za-z]+)/?", path)
        try:
            if not m:
                raise TgError(404, "Not Found")
            token, tg_method = m.group(1), m.group(2).lower()
            if token != self.server.tg_token:
                raise TgError(401, "Unauthorized")
            if tg_method not in ("sendmessage", "answercallbackquery"):
                raise TgError(404, "Not Found")
            args = query_args(query)
            if isinstance(body, dict):
                args.update(body)
            elif body is not None:
                raise bad_request("can't parse JSON object")                   # [unverified]
            if self.scenario_failure("telegram", entry, tg_scenario_error):
                return
            if tg_method == "sendmessage":
                result = tg_send_message(args, self.server.tg_bot, self.server.state)
            else:
                result = tg_answer_callback_query(args)
        except TgError as e:
            self.send_telegram(e.status, e.body(), entry, e.headers)
            return
        self.send_telegram(200, {"ok": True, "result": result}, entry)

    # ---- control endpoints (POST /_control, POST /_reset, GET /_requests in fakehttp) ----

    def check_control(self, cfg):
        return check_control(cfg)

    def logged_requests(self, query):
        want = query_args(query).get("api")
        return [dict(r) for r in self.server.state.requests if want in (None, r["api"])]


def check_control(cfg):
    """None if the /_control body is usable, else what is wrong with it."""
    if not isinstance(cfg, dict):
        return "body must be a JSON object"
    if cfg.get("scenario", "ok") not in SCENARIOS:
        return "unknown scenario"
    if cfg.get("api", "both") not in APIS:
        return "api must be whatsapp, telegram or both"
    for key in ("times", "retry_after"):
        v = cfg.get(key)
        if v is not None and (not isinstance(v, int) or isinstance(v, bool) or v < 0):
            return "%s must be a non-negative integer" % key
    if cfg.get("wa_code", 130429) not in WA_RATE_LIMITS:
        return "wa_code must be one of %s" % sorted(WA_RATE_LIMITS)
    v = cfg.get("wa_status")
    if v is not None and (not isinstance(v, int) or isinstance(v, bool) or not 400 <= v <= 599):
        return "wa_status must be an HTTP error status"
    v = cfg.get("seconds")
    if v is not None and (not isinstance(v, (int, float)) or isinstance(v, bool) or v < 0):
        return "seconds must be a non-negative number"
    return None


class Server(fakehttp.Server):
    def __init__(self, port, wa_token, tg_token, wa_phone_id):
        self.wa_token = wa_token
        self.tg_token = tg_token
        self.wa_phone_id = wa_phone_id
        bot_id = tg_token.split(":", 1)[0]
        self.tg_bot = {"id": int(bot_id) if bot_id.isdigit() else 1, "is_bot": True,
                       "first_name": TG_BOT_FIRST_NAME, "username": TG_BOT_USERNAME}
        super().__init__(port, Handler, State())


def main(argv=None):
    ap = argparse.ArgumentParser(description="Fake WhatsApp Cloud API + Telegram Bot API "
                                             "server (tests only).")
    fakehttp.add_listen_args(ap)
    ap.add_argument("--wa-token", default=DEFAULT_WA_TOKEN)
    ap.add_argument("--tg-token", default=DEFAULT_TG_TOKEN)
    ap.add_argument("--wa-phone-id", help="accept only this phone-number id (default: any)")
    args = ap.parse_args(argv)
    return fakehttp.serve("fake_channels", lambda: Server(args.port, args.wa_token,
                                                          args.tg_token, args.wa_phone_id),
                          args.port_file)


if __name__ == "__main__":
    sys.exit(main())
