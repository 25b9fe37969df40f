#!/usr/bin/env python3
"""fake_llm.py - a faithful fake OpenAI-compatible LLM server for Loket's tests.

It speaks the /v1 API of three real servers, byte for byte where it matters to a client:
llama-server (llama.cpp), vLLM (>= 0.10.1, and "vllm-old" before that) and Ollama. The
shapes below were taken from the servers' own sources; each place names the file it follows:

  llama.cpp  tools/server/server-common.cpp   format_error_response, random_string,
                                               format_oai_sse ("data: " + dump + "\\n\\n")
             tools/server/server-task.cpp     to_json_oaicompat_chat[_stream] (partial + final)
             tools/server/server-chat.cpp     server_chat_msg_diff_to_json_oaicompat
             tools/server/server-http.cpp     headers, middlewares (401, 503 loading, 404)
             tools/server/server-context.cpp  stream loop: error event ends the stream without
                                               [DONE]; models/embeddings bodies
             common/chat.cpp                  common_chat_msg::to_json_oaicompat
             PR #24013 (sse_ping_interval)    the ping is a colon-only comment ":\\n\\n"
  vLLM       vllm/entrypoints/openai/chat_completion/serving.py  stream generator
             (model_dump_json(exclude_unset=True) per chunk; usage chunk with exclude_none;
             errors inside the stream are json.dumps(...) WITH spaces, then [DONE])
             vllm/entrypoints/openai/.../protocol.py  field order of the pydantic models
             vllm/entrypoints/openai/server_utils.py  401 body {"error":"Unauthorized"}
             PR #51034 (--sse-keep-alive-interval)    comment ": keep-alive\\n\\n"
  Ollama     openai/openai.go, middleware/openai.go  chunk/completion structs, NewError,
             ids "chatcmpl-%d" (rand.Intn(999)), json.Encoder (trailing "\\n", HTML escaping)

nlohmann::ordered_json, pydantic and Go all write compact JSON (no spaces); llama.cpp keeps
insertion order, pydantic declaration order, Go struct order. Python dicts keep insertion
order, so every body below is built in the order its server writes it.

Usage:
  python3 tests/fake/fake_llm.py [--port 0] [--port-file PATH]
      [--dialect llama|vllm|vllm-old|ollama] [--api-key KEY] [--model NAME]

Binds 127.0.0.1 only, writes the bound port to --port-file (atomically), prints
"fake_llm listening on 127.0.0.1:PORT" and serves until SIGTERM/SIGINT. Test control:
POST /_control {"scenario": NAME, ...params}, POST /_reset, GET /_requests, GET /_timings.
See tests/fake/README.md for the scenarios. Standard library only; the HTTP plumbing (server,
body reading, control endpoints, start-up) is in fakehttp.py next to this file.
"""

import argparse
import hashlib
import http
import json
import math
import random
import re
import string
import struct
import sys
import time
import uuid

import fakehttp
from fakehttp import http_date

DIALECTS = ("llama", "vllm", "vllm-old", "ollama")
MAX_BODY = 16 * 1024 * 1024          # bytes of one request body
MAX_TIMINGS = 100000
MAX_EMBED_INPUTS = 4096
EMBED_DIM = 64
KEEPALIVE_S = fakehttp.KEEPALIVE_S   # llama-server and uvicorn both close idle keep-alive at 5 s
LLAMA_FINGERPRINT = "b6915-3d4e86bbe"  # "b<build>-<commit>" as llama_build_info() writes it
TAG_RE = re.compile(r"#tag:([A-Za-z0-9_-]{1,40})")
BRON_RE = re.compile(r'<bron\s+nummer="(\d+)"[^>]*>\s*(.*?)\s*</bron>', re.S)
SENTENCE_END_RE = re.compile(r"(?<=[.!?])\s+")
CITATION_TAIL_RE = re.compile(r"(\s*\[\d+\])+\s*$")
INJECTION_RE = re.compile(
    r"ignore previous instructions|negeer alle vorige instructies|negeer de vorige instructies",
    re.I)
SAY_RE = re.compile(r"(?:say|zeg):", re.I)
ERROR_SCENARIOS = ("http_error", "context_overflow", "stream_error", "cut", "stall",
                   "stall_after_headers")
SCENARIOS = ("echo", "fixed", "obey_injection", "pings", "tool_call", "loading", "slow") \
    + ERROR_SCENARIOS


# ---------------------------------------------------------------------------------------------
# JSON writers, one per server family
# ---------------------------------------------------------------------------------------------

def dumps_compact(obj):
    """nlohmann dump(-1) / pydantic model_dump_json / Starlette JSONResponse: no spaces, UTF-8."""
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def dumps_go(obj):
    """Go encoding/json: compact, and <, >, &, U+2028, U+2029 escaped (HTML-safe by default)."""
    text = dumps_compact(obj)
    return (text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


def dumps_python(obj):
    """Plain json.dumps as vLLM's create_streaming_error_response uses it: ", " and ": "."""
    return json.dumps(obj)


def dumps_for(dialect, obj):
    if dialect == "ollama":
        return dumps_go(obj)
    return dumps_compact(obj)


def rand_alnum(n):
    """llama.cpp random_string(): [0-9A-Za-z]."""
    alphabet = string.digits + string.ascii_uppercase + string.ascii_lowercase
    return "".join(random.choice(alphabet) for _ in range(n))


# ---------------------------------------------------------------------------------------------
# Shared state: the scenario, the request log and the timings
# ---------------------------------------------------------------------------------------------

class State(fakehttp.State):
    """Everything the control endpoints change, and the first-token timings. One lock guards
    all of it."""

    default_scenario = "echo"

    def _clear(self):
        super()._clear()
        self.timings = []

    def snapshot(self):
        with self.lock:
            return dict(self.config)

    def take_failure(self, config):
        """True if this request must fail: "times" not given, or fewer than that failed yet."""
        times = config.get("times")
        with self.lock:
            if times is None:
                return True
            try:
                limit = int(times)
            except (TypeError, ValueError):
                return True
            if self.failures < limit:
                self.failures += 1
                return True
            return False

    def add_timing(self, tag, t_ns):
        with self.lock:
            if len(self.timings) < MAX_TIMINGS:
                self.timings.append({"tag": tag, "t_mono_ns": t_ns})


# ---------------------------------------------------------------------------------------------
# The "model": what to answer
# ---------------------------------------------------------------------------------------------

def message_text(msg):
    """The text of one chat message: a string, or the text parts of a parts array."""
    if not isinstance(msg, dict):
        return ""
    content = msg.get("content")
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = []
        for part in content:
            if isinstance(part, dict) and isinstance(part.get("text"), str):
                parts.append(part["text"])
        return "\n".join(parts)
    return ""


def last_user_text(messages):
    for msg in reversed(messages):
        if isinstance(msg, dict) and msg.get("role") == "user":
            return message_text(msg)
    return ""


def count_words(text):
    return len(text.split())


def grounded_answer(user_text):
    """Loket's prompt carries <bron nummer="n" titel="..."> blocks. Answer: the first two
    sentences of source 1, then " [1]"; with no source, "NO_ANSWER"."""
    sources = BRON_RE.findall(user_text)
    if not sources:
        return "NO_ANSWER"
    passage = None
    for number, text in sources:
        if number == "1":
            passage = text
            break
    if passage is None:
        passage = sources[0][1]
    passage = " ".join(passage.split())
    sentences = [s for s in SENTENCE_END_RE.split(passage) if s]
    answer = " ".join(sentences[:2]).strip()
    if not answer:
        return "NO_ANSWER"
    return answer + " [1]"


def injected_answer(messages):
    """The naive model: the text after the next "say:"/"zeg:" that follows the injection
    phrase, up to the end of that line; None if no message carries both."""
    for msg in messages:
        text = message_text(msg)
        trigger = INJECTION_RE.search(text)
        if not trigger:
            continue
        say = SAY_RE.search(text, trigger.end())
        if not say:
            continue
        rest = text[say.end():]
        line = rest.split("\n", 1)[0].strip()
        if line:
            return line
    return None


def add_tag(answer, tag):
    """Puts the benchmark tag as the last word before a trailing citation."""
    if not tag:
        return answer
    m = CITATION_TAIL_RE.search(answer)
    if m and m.start() > 0:
        return answer[: m.start()].rstrip() + " " + tag + answer[m.start():]
    return (answer.rstrip() + " " + tag).strip()


def schema_instance(schema, state, depth=0):
    """A small JSON value that satisfies a simple JSON Schema (structured-output answers).
    The first string gets the model's text answer; $ref and the like give {}."""
    if depth > 16 or not isinstance(schema, dict):
        return {}
    if "const" in schema:
        return schema["const"]
    if isinstance(schema.get("enum"), list) and schema["enum"]:
        return schema["enum"][0]
    for key in ("anyOf", "oneOf", "allOf"):
        if isinstance(schema.get(key), list) and schema[key]:
            return schema_instance(schema[key][0], state, depth + 1)
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), kind[0] if kind else "object")
    if kind == "object" or (kind is None and isinstance(schema.get("properties"), dict)):
        out = {}
        props = schema.get("properties") if isinstance(schema.get("properties"), dict) else {}
        for name, sub in props.items():
            out[name] = schema_instance(sub, state, depth + 1)
        return out
    if kind == "array":
        n = schema.get("minItems", 1)
        n = n if isinstance(n, int) and 0 <= n <= 8 else 1
        return [schema_instance(schema.get("items", {}), state, depth + 1) for _ in range(n)]
    if kind == "string":
        if not state["used_text"]:
            state["used_text"] = True
            return state["text"]
        return "tekst"
    if kind == "integer":
        low = schema.get("minimum", 0)
        return int(low) if isinstance(low, (int, float)) else 0
    if kind == "number":
        low = schema.get("minimum", 0)
        return low if isinstance(low, (int, float)) else 0
    if kind == "boolean":
        return False
    if kind == "null":
        return None
    return {}


def json_schema_nesting(body):
    """True if response_format is {"type":"json_schema","json_schema":{"schema":{...}}} as
    OpenAI nests it; False for json_schema without that nesting (llama.cpp silently ignores
    the flat form); None when no json_schema response_format was asked for."""
    rf = body.get("response_format")
    if not isinstance(rf, dict) or rf.get("type") != "json_schema":
        return None
    inner = rf.get("json_schema")
    return isinstance(inner, dict) and isinstance(inner.get("schema"), dict)


def structured_schema(body):
    """The schema the server would enforce, or None (flat form: ignored, as llama.cpp does)."""
    rf = body.get("response_format")
    if not isinstance(rf, dict):
        return None
    if rf.get("type") == "json_schema" and json_schema_nesting(body):
        return rf["json_schema"]["schema"]
    if rf.get("type") == "json_object":
        schema = rf.get("schema")
        if isinstance(schema, dict):
            return schema
        return {"type": "object", "properties": {"answer": {"type": "string"}}}
    return None


def split_pieces(text):
    """Tokens as the fake counts them: a word plus the whitespace after it."""
    return re.findall(r"\S+\s*|\s+", text)


def tool_calls_for(body, config, dialect):
    """The tool calls of the "tool_call" scenario: [(id, name, arguments-json-string)]."""
    tools = body.get("tools") if isinstance(body.get("tools"), list) else []
    funcs = [t.get("function") for t in tools
             if isinstance(t, dict) and isinstance(t.get("function"), dict)]
    count = 2 if config.get("parallel") else 1
    calls = []
    for i in range(count):
        suffix = "" if i == 0 else str(i + 1)
        func = funcs[i] if i < len(funcs) else (funcs[0] if funcs else {})
        name = config.get("name" + suffix) or func.get("name") or ("lookup" if i == 0
                                                                   else "lookup2")
        if "arguments" + suffix in config:
            args = config["arguments" + suffix]
        else:
            params = func.get("parameters") if isinstance(func.get("parameters"), dict) else {
                "type": "object", "properties": {"query": {"type": "string"}}}
            args = schema_instance(params, {"used_text": False, "text": "tekst"})
            if not isinstance(args, dict):
                args = {"query": "tekst"}
        if isinstance(args, str):
            arg_text = args
        elif dialect == "ollama":
            # Go marshals the arguments map: compact, keys sorted.
            arg_text = dumps_go(dict(sorted(args.items()))) if isinstance(args, dict) \
                else dumps_go(args)
        else:
            # llama.cpp and vLLM pass the model's own text through, which models write
            # with ", " and ": ".
            arg_text = json.dumps(args, ensure_ascii=False)
        if dialect == "llama":
            call_id = rand_alnum(32)                            # gen_tool_call_id()
        elif dialect in ("vllm", "vllm-old"):
            call_id = "chatcmpl-tool-" + uuid.uuid4().hex       # make_tool_call_id()
        else:
            call_id = "call_" + "".join(random.choice(string.ascii_lowercase + string.digits)
                                        for _ in range(8))
        calls.append((call_id, name, arg_text))
    return calls


def split_fragments(text, n):
    """`text` in exactly min(n, len(text)) non-empty pieces of near-equal length."""
    if not text:
        return [""]
    n = max(1, min(n, len(text)))
    bounds = [i * len(text) // n for i in range(n + 1)]
    return [text[bounds[i]:bounds[i + 1]] for i in range(n)]


# ---------------------------------------------------------------------------------------------
# Embeddings
# ---------------------------------------------------------------------------------------------

def _bucket(feature):
    digest = hashlib.blake2b(feature.encode("utf-8"), digest_size=8).digest()
    value = struct.unpack("<Q", digest)[0]
    return value % EMBED_DIM, (1.0 if (value >> 32) & 1 else -1.0)


def embed(text):
    """Deterministic 64-d embedding: signed hashed bag of lower-cased words and character
    trigrams, L2-normalised. Similar texts share most features, so their cosine is near 1."""
    vec = [0.0] * EMBED_DIM
    low = " ".join(text.lower().split())
    for word in re.findall(r"\w+", low):
        idx, sign = _bucket("w:" + word)
        vec[idx] += sign
    padded = " " + low + " "
    for i in range(len(padded) - 2):
        idx, sign = _bucket("t:" + padded[i:i + 3])
        vec[idx] += 0.5 * sign
    norm = math.sqrt(sum(v * v for v in vec))
    if norm == 0.0:
        return vec
    return [round(v / norm, 8) for v in vec]


# ---------------------------------------------------------------------------------------------
# Error bodies per dialect
# ---------------------------------------------------------------------------------------------

LLAMA_TYPES = {400: "invalid_request_error", 401: "authentication_error", 403: "permission_error",
               404: "not_found_error", 500: "server_error", 501: "not_supported_error",
               503: "unavailable_error"}
VLLM_TYPES = {400: "BadRequestError", 404: "NotFoundError", 500: "InternalServerError"}
DEFAULT_MESSAGES = {400: "Invalid request", 401: "Invalid API Key", 403: "Forbidden",
                    404: "Model not found", 429: "Too many requests",
                    500: "Internal server error", 503: "Service unavailable"}


def vllm_type(status):
    if status in VLLM_TYPES:
        return VLLM_TYPES[status]
    try:
        return http.HTTPStatus(status).phrase    # http_exception_handler: HTTPStatus.phrase
    except ValueError:
        return "InternalServerError"


def error_object(dialect, status, message, etype=None, extra=None):
    """The JSON error body a server returns with HTTP status `status`."""
    if dialect == "llama":
        # format_error_response(): code, message, type (then n_prompt_tokens, n_ctx for
        # exceed_context_size_error), wrapped in {"error": ...} by res_err().
        err = {"code": status, "message": message,
               "type": etype or LLAMA_TYPES.get(status, "server_error")}
        if extra:
            err.update(extra)
        return {"error": err}
    if dialect == "vllm":
        if status == 401:
            return {"error": "Unauthorized"}     # AuthenticationMiddleware
        return {"error": {"message": message, "type": etype or vllm_type(status),
                          "param": None, "code": status}}
    if dialect == "vllm-old":
        if status == 401:
            return {"error": "Unauthorized"}
        return {"object": "error", "message": message, "type": etype or vllm_type(status),
                "param": None, "code": status}
    # Ollama openai.NewError(): Error{Message, Type, Param any, Code *string}.
    if etype is None:
        etype = {400: "invalid_request_error", 404: "not_found_error"}.get(status, "api_error")
    return {"error": {"message": message, "type": etype, "param": None, "code": None}}


def stream_error_text(dialect, status, message):
    """The JSON of an error event inside a 200 stream."""
    if dialect == "llama":
        return dumps_compact(error_object("llama", status, message))
    if dialect == "vllm":
        # json.dumps(ErrorResponse(error=ErrorInfo(...)).model_dump()): default separators.
        return dumps_python({"error": {"message": message, "type": vllm_type(status),
                                       "param": None, "code": status}})
    if dialect == "vllm-old":
        return dumps_python({"error": {"object": "error", "message": message,
                                       "type": vllm_type(status), "param": None,
                                       "code": status}})
    # [verify] Ollama has no documented /v1 mid-stream error event; this is NewError's shape.
    return dumps_go(error_object("ollama", status, message))


def context_overflow_error(dialect, n_prompt, n_ctx, max_tokens):
    if dialect == "llama":
        return error_object("llama", 400,
                            "the request exceeds the available context size, try increasing it",
                            etype="exceed_context_size_error",
                            extra={"n_prompt_tokens": n_prompt, "n_ctx": n_ctx})
    if dialect in ("vllm", "vllm-old"):
        if max_tokens:
            msg = ("This model's maximum context length is %d tokens. However, you requested "
                   "%d tokens (%d in the messages, %d in the completion). Please reduce the "
                   "length of the messages or completion." % (n_ctx, n_prompt + max_tokens,
                                                             n_prompt, max_tokens))
        else:
            msg = ("This model's maximum context length is %d tokens. However, your request "
                   "has %d input tokens. Please reduce the length of the input messages."
                   % (n_ctx, n_prompt))
        return error_object(dialect, 400, msg)
    # [verify] Ollama normally truncates; newer versions refuse with this message.
    return error_object("ollama", 400, "the input length exceeds the context length")


# ---------------------------------------------------------------------------------------------
# Chat bodies per dialect
# ---------------------------------------------------------------------------------------------

class Reply:
    """What one chat request gets: text or tool calls, and the numbers around them."""

    def __init__(self, dialect, model):
        self.dialect = dialect
        self.model = model
        self.created = int(time.time())
        if dialect == "llama":
            self.id = "chatcmpl-" + rand_alnum(32)
        elif dialect in ("vllm", "vllm-old"):
            self.id = "chatcmpl-" + uuid.uuid4().hex
        else:
            self.id = "chatcmpl-%d" % random.randrange(999)
        self.pieces = []
        self.finish = "stop"
        self.tool_calls = []
        self.prompt_tokens = 0
        self.include_usage = False

    @property
    def text(self):
        return "".join(self.pieces)

    @property
    def completion_tokens(self):
        if self.tool_calls:
            return sum(count_words(c[2]) + 1 for c in self.tool_calls)
        return len(self.pieces)

    # ---- llama.cpp ----

    def _llama_chunk(self, delta, finish=None, choices=None):
        return {"choices": choices if choices is not None else
                [{"finish_reason": finish, "index": 0, "delta": delta}],
                "created": self.created, "id": self.id, "model": self.model,
                "system_fingerprint": LLAMA_FINGERPRINT, "object": "chat.completion.chunk"}

    def _llama_usage(self):
        return {"completion_tokens": self.completion_tokens,
                "prompt_tokens": self.prompt_tokens,
                "total_tokens": self.completion_tokens + self.prompt_tokens,
                "prompt_tokens_details": {"cached_tokens": 0}}

    def _llama_timings(self):
        n = max(self.completion_tokens, 1)
        return {"cache_n": 0, "prompt_n": self.prompt_tokens, "prompt_ms": 1.0,
                "prompt_per_token_ms": 1.0 / max(self.prompt_tokens, 1),
                "prompt_per_second": 1000.0 * max(self.prompt_tokens, 1),
                "predicted_n": self.completion_tokens, "predicted_ms": 1.0 * n,
                "predicted_per_token_ms": 1.0, "predicted_per_second": 1000.0}

    # ---- vLLM ----

    def _vllm_chunk(self, choice, extra=None):
        chunk = {"id": self.id, "object": "chat.completion.chunk", "created": self.created,
                 "model": self.model, "choices": [choice] if choice is not None else []}
        if extra:
            chunk.update(extra)
        return chunk

    def _vllm_choice(self, delta, finish=None, final=False):
        choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
        if final:
            choice["stop_reason"] = None
        if self.dialect == "vllm":
            choice["token_ids"] = None
        return choice

    # ---- Ollama ----

    def _ollama_chunk(self, delta, finish=None, usage=None):
        chunk = {"id": self.id, "object": "chat.completion.chunk", "created": self.created,
                 "model": self.model, "system_fingerprint": "fp_ollama",
                 "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}
        if usage is not None:
            chunk["choices"] = []
            chunk["usage"] = usage
        return chunk

    def _ollama_usage(self):
        return {"prompt_tokens": self.prompt_tokens,
                "completion_tokens": self.completion_tokens,
                "total_tokens": self.prompt_tokens + self.completion_tokens}

    # ---- SSE events ----

    def sse(self, obj):
        return ("data: " + dumps_for(self.dialect, obj) + "\n\n").encode("utf-8")

    def role_events(self):
        """Events sent before the first content, as one write (llama: none on their own)."""
        if self.dialect in ("vllm", "vllm-old"):
            extra = {"prompt_token_ids": None} if self.dialect == "vllm" else None
            return [self.sse(self._vllm_chunk(
                self._vllm_choice({"role": "assistant", "content": ""}), extra))]
        return []

    def content_event(self, piece, first):
        d = self.dialect
        if d == "llama":
            out = b""
            if first:   # "We have to send an initial update to conform to openai behavior"
                out += self.sse(self._llama_chunk({"role": "assistant", "content": None}))
            return out + self.sse(self._llama_chunk({"content": piece}))
        if d in ("vllm", "vllm-old"):
            return self.sse(self._vllm_chunk(self._vllm_choice({"content": piece})))
        return self.sse(self._ollama_chunk({"role": "assistant", "content": piece}))

    def tool_events(self, fragments, split_ollama):
        """The writes of a streamed tool call: [bytes]. `fragments` is the minimum number of
        argument fragments (llama, vLLM, or Ollama with split_ollama)."""
        d = self.dialect
        writes = []
        for index, (call_id, name, args) in enumerate(self.tool_calls):
            if d == "ollama" and not split_ollama:
                # Ollama sends each call whole; parallel calls all carry index 0.
                delta = {"role": "assistant", "content": "",
                         "tool_calls": [{"id": call_id, "index": 0, "type": "function",
                                         "function": {"name": name, "arguments": args}}]}
                writes.append(self.sse(self._ollama_chunk(delta)))
                continue
            parts = split_fragments(args, fragments)
            if d == "llama":
                first = {"tool_calls": [{"index": index, "id": call_id, "type": "function",
                                         "function": {"name": name}}]}
                out = b""
                if index == 0:
                    out += self.sse(self._llama_chunk({"role": "assistant", "content": None}))
                writes.append(out + self.sse(self._llama_chunk(first)))
                for part in parts:
                    writes.append(self.sse(self._llama_chunk(
                        {"tool_calls": [{"index": index, "function": {"arguments": part}}]})))
            elif d in ("vllm", "vllm-old"):
                first = {"tool_calls": [{"id": call_id, "type": "function", "index": index,
                                         "function": {"name": name}}]}
                writes.append(self.sse(self._vllm_chunk(self._vllm_choice(first))))
                for part in parts:
                    writes.append(self.sse(self._vllm_chunk(self._vllm_choice(
                        {"tool_calls": [{"index": index, "function": {"arguments": part}}]}))))
            else:
                first = {"role": "assistant", "content": "",
                         "tool_calls": [{"id": call_id, "index": 0, "type": "function",
                                         "function": {"name": name, "arguments": ""}}]}
                writes.append(self.sse(self._ollama_chunk(first)))
                for part in parts:
                    writes.append(self.sse(self._ollama_chunk(
                        {"role": "assistant", "content": "",
                         "tool_calls": [{"id": "", "index": 0, "type": "",
                                         "function": {"name": "", "arguments": part}}]})))
        return writes

    def final_events(self):
        """The writes after the last content: [bytes], ending with data: [DONE]."""
        d = self.dialect
        finish = "tool_calls" if self.tool_calls else self.finish
        if d == "llama":
            objs = [self._llama_chunk({}, finish)]
            if self.include_usage:
                objs.append({"choices": [], "created": self.created, "id": self.id,
                             "model": self.model, "system_fingerprint": LLAMA_FINGERPRINT,
                             "object": "chat.completion.chunk", "usage": self._llama_usage()})
            objs[-1]["timings"] = self._llama_timings()
            return [b"".join(self.sse(o) for o in objs), b"data: [DONE]\n\n"]
        if d in ("vllm", "vllm-old"):
            delta = {} if self.tool_calls else {"content": ""}
            writes = [self.sse(self._vllm_chunk(self._vllm_choice(delta, finish, final=True)))]
            if self.include_usage:
                usage = {"prompt_tokens": self.prompt_tokens,
                         "total_tokens": self.prompt_tokens + self.completion_tokens,
                         "completion_tokens": self.completion_tokens}
                writes.append(self.sse(self._vllm_chunk(None, {"usage": usage})))
            writes.append(b"data: [DONE]\n\n")
            return writes
        writes = [self.sse(self._ollama_chunk({"role": "assistant", "content": ""}, finish))]
        if self.include_usage:
            writes.append(self.sse(self._ollama_chunk(None, usage=self._ollama_usage())))
        writes.append(b"data: [DONE]\n\n")
        return writes

    # ---- non-stream ----

    def completion(self):
        """The non-stream body (bytes)."""
        d = self.dialect
        finish = "tool_calls" if self.tool_calls else self.finish
        if d == "llama":
            message = {"role": "assistant", "content": self.text}
            if self.tool_calls:
                message["content"] = ""   # newer chat.cpp; older versions wrote null here
                message["tool_calls"] = [
                    {"type": "function", "function": {"name": n, "arguments": a}, "id": i}
                    for (i, n, a) in self.tool_calls]
            body = {"choices": [{"finish_reason": finish, "index": 0, "message": message}],
                    "created": self.created, "model": self.model,
                    "system_fingerprint": LLAMA_FINGERPRINT, "object": "chat.completion",
                    "usage": self._llama_usage(), "id": self.id,
                    "timings": self._llama_timings()}
            return dumps_compact(body).encode("utf-8")
        if d in ("vllm", "vllm-old"):
            message = {"role": "assistant", "content": None if self.tool_calls else self.text,
                       "refusal": None, "annotations": None, "audio": None,
                       "function_call": None,
                       "tool_calls": [{"id": i, "type": "function",
                                       "function": {"name": n, "arguments": a}}
                                      for (i, n, a) in self.tool_calls],
                       "reasoning_content": None}
            body = {"id": self.id, "object": "chat.completion", "created": self.created,
                    "model": self.model,
                    "choices": [{"index": 0, "message": message, "logprobs": None,
                                 "finish_reason": finish, "stop_reason": None}],
                    "service_tier": None, "system_fingerprint": None,
                    "usage": {"prompt_tokens": self.prompt_tokens,
                              "total_tokens": self.prompt_tokens + self.completion_tokens,
                              "completion_tokens": self.completion_tokens,
                              "prompt_tokens_details": None},
                    "prompt_logprobs": None}
            if d == "vllm":
                body["prompt_token_ids"] = None
                body["kv_transfer_params"] = None
            return dumps_compact(body).encode("utf-8")
        message = {"role": "assistant", "content": self.text}
        if self.tool_calls:
            message["content"] = ""
            message["tool_calls"] = [{"id": i, "index": 0, "type": "function",
                                      "function": {"name": n, "arguments": a}}
                                     for (i, n, a) in self.tool_calls]
        body = {"id": self.id, "object": "chat.completion", "created": self.created,
                "model": self.model, "system_fingerprint": "fp_ollama",
                "choices": [{"index": 0, "message": message, "finish_reason": finish}],
                "usage": self._ollama_usage()}
        return (dumps_go(body) + "\n").encode("utf-8")


# ---------------------------------------------------------------------------------------------
# HTTP
# ---------------------------------------------------------------------------------------------

class Handler(fakehttp.Handler):
    server_version = "fake_llm"
    max_body = MAX_BODY
    scenarios = SCENARIOS
    control_dumps = staticmethod(dumps_compact)

    # The server object carries: state, dialect, model, api_key.

    # ---- writing: headers and bodies as each server writes them ----

    def _headers_for(self, status, content_type, length=None, extra=()):
        """Response headers in the order and case each server writes them."""
        d = self.server.dialect
        if d == "llama":
            # cpp-httplib keeps headers in a case-insensitive sorted multimap.
            hdrs = [("Access-Control-Allow-Origin", self.headers.get("Origin", ""))]
            if length is not None:
                hdrs.append(("Content-Length", str(length)))
            hdrs.append(("Content-Type", content_type))
            hdrs.append(("Keep-Alive", "timeout=%d, max=100" % KEEPALIVE_S))
            hdrs.extend(extra)
            hdrs.append(("Server", "llama.cpp"))
            if length is None:
                hdrs.append(("Transfer-Encoding", "chunked"))
                hdrs.append(("X-Accel-Buffering", "no"))
            return sorted(hdrs, key=lambda h: h[0].lower())
        if d in ("vllm", "vllm-old"):
            # uvicorn: date and server first, lower-case names from Starlette.
            hdrs = [("date", http_date()), ("server", "uvicorn")]
            if length is not None:
                hdrs.append(("content-length", str(length)))
            hdrs.append(("content-type", content_type))
            hdrs.extend((k.lower(), v) for k, v in extra)
            if length is None:
                hdrs.append(("transfer-encoding", "chunked"))
            return hdrs
        # Go net/http: the handler's header map sorted, then Date, Content-Length /
        # Transfer-Encoding.
        hdrs = sorted([("Content-Type", content_type)] + list(extra), key=lambda h: h[0])
        hdrs.append(("Date", http_date()))
        if length is not None:
            hdrs.append(("Content-Length", str(length)))
        else:
            hdrs.append(("Transfer-Encoding", "chunked"))
        return hdrs

    def send_body(self, status, body, content_type, extra=()):
        self.send_head(status, self._headers_for(status, content_type, len(body), extra), body)

    def json_content_type(self, error=False):
        d = self.server.dialect
        if d == "llama":
            return "application/json; charset=utf-8"
        if d in ("vllm", "vllm-old"):
            return "application/json"
        return "application/json; charset=utf-8" if error else "application/json"

    def send_json(self, status, obj, extra=(), error=False):
        d = self.server.dialect
        if d == "ollama":
            body = (dumps_go(obj) + "\n").encode("utf-8")   # json.NewEncoder adds "\n"
        else:
            body = dumps_compact(obj).encode("utf-8")
        self.send_body(status, body, self.json_content_type(error), extra)

    def send_error_json(self, status, message=None, etype=None, extra_headers=()):
        message = message or DEFAULT_MESSAGES.get(status, "Error")
        self.send_json(status, error_object(self.server.dialect, status, message, etype),
                       extra_headers, error=True)

    def send_llama_middleware_error(self, status, message, etype):
        """llama-server's middlewares (loading, API key, 404) write message, type, code; not
        format_error_response's order."""
        self.send_body(status, dumps_compact({"error": {"message": message, "type": etype,
                                                        "code": status}}).encode("utf-8"),
                       "application/json; charset=utf-8")

    def start_stream(self):
        self.send_head(200, self._headers_for(200, self.sse_content_type()))

    def sse_content_type(self):
        if self.server.dialect in ("vllm", "vllm-old"):
            return "text/event-stream; charset=utf-8"   # Starlette appends the charset
        return "text/event-stream"

    # ---- request reading ----

    def body_error(self, reason):
        """An unreadable body: 400/413 in the dialect's error shape; nothing when it ended
        early (the connection closes either way)."""
        if reason == "bad_chunk":
            self.send_error_json(400, "bad chunked body")
        elif reason == "bad_length":
            self.send_error_json(400, "bad Content-Length")
        elif reason in ("negative_length", "too_large"):
            self.send_error_json(413, "request body too large")

    def record(self, body_obj):
        body_dict = body_obj if isinstance(body_obj, dict) else {}
        entry = {"path": self.path, "method": self.command,
                 "headers": {k.lower(): v for k, v in self.headers.items()},
                 "body": body_obj, "t_received": time.time(),
                 "json_schema_nested": json_schema_nesting(body_dict)}
        self.server.state.log_request(entry)

    # ---- dispatch ----

    def api(self, method, path, query, raw):
        body_obj = None
        if raw:
            try:
                body_obj = json.loads(raw.decode("utf-8"))
            except (ValueError, UnicodeDecodeError):
                body_obj = None
        self.record(body_obj)
        config = self.server.state.snapshot()
        dialect = self.server.dialect

        if config.get("scenario") == "loading":
            # llama-server's middleware_server_state answers every path this way while loading.
            self.send_llama_middleware_error(503, "Loading model", "unavailable_error")
            return
        if not self.authorised(path):
            self.unauthorised()
            return

        if method == "GET" and path == "/health":
            if dialect == "llama":
                self.send_json(200, {"status": "ok"})
            elif dialect in ("vllm", "vllm-old"):
                self.send_body(200, b"", "application/json")     # vLLM: 200, empty body
            else:
                self.not_found()                                  # Ollama has no /health
            return
        if method == "GET" and path == "/" and dialect == "ollama":
            self.send_body(200, b"Ollama is running", "text/plain; charset=utf-8")
            return
        if method == "GET" and path in ("/v1/models", "/models"):
            if path == "/models" and dialect != "llama":
                self.not_found()
                return
            self.send_json(200, self.models_body())
            return
        if method == "POST" and path in ("/v1/embeddings", "/embeddings"):
            self.embeddings(body_obj, raw)
            return
        if method == "POST" and path in ("/v1/chat/completions", "/chat/completions"):
            self.chat(body_obj, raw, config)
            return
        self.not_found()

    def authorised(self, path):
        key = self.server.api_key
        if not key:
            return True
        dialect = self.server.dialect
        if dialect == "llama" and path in ("/health", "/v1/health", "/models", "/v1/models", "/"):
            return True                           # get_public_endpoints
        if dialect in ("vllm", "vllm-old") and not path.startswith("/v1"):
            return True                           # only /v1 paths are checked
        value = self.headers.get("Authorization", "")
        if dialect == "llama" and not value:
            value = self.headers.get("X-Api-Key", "")
        if value.startswith("Bearer "):
            value = value[len("Bearer "):]
        elif dialect != "llama":
            return False
        return value == key

    def unauthorised(self):
        d = self.server.dialect
        if d == "llama":
            self.send_llama_middleware_error(401, "Invalid API Key", "authentication_error")
        elif d in ("vllm", "vllm-old"):
            self.send_json(401, {"error": "Unauthorized"})
        else:
            self.send_error_json(401, "unauthorized")

    def not_found(self):
        d = self.server.dialect
        if d == "llama":
            self.send_llama_middleware_error(404, "File Not Found", "not_found_error")
        elif d in ("vllm", "vllm-old"):
            self.send_json(404, {"detail": "Not Found"})        # FastAPI default
        else:
            self.send_body(404, b"404 page not found", "text/plain")  # gin default

    # ---- control endpoints (POST /_control, POST /_reset, GET /_requests in fakehttp) ----

    def check_control(self, cfg):
        if not isinstance(cfg, dict) or cfg.get("scenario", "echo") not in SCENARIOS:
            return "bad control body"
        return None

    def control_extra(self, method, path, query):
        if method == "GET" and path == "/_timings":
            state = self.server.state
            with state.lock:
                body = dumps_compact({"first_token": list(state.timings)})
            self.send_plain(200, body.encode("utf-8"))
            return True
        return False

    # ---- /v1/models ----

    def models_body(self):
        d = self.server.dialect
        m = self.server.model
        now = int(time.time())
        if d == "llama":
            return {"models": [{"name": m, "model": m, "modified_at": "", "size": "",
                                "digest": "", "type": "model", "description": "",
                                "tags": [""], "capabilities": ["completion"],
                                "parameters": "",
                                "details": {"parent_model": "", "format": "gguf", "family": "",
                                            "families": [""], "parameter_size": "",
                                            "quantization_level": ""}}],
                    "object": "list",
                    "data": [{"id": m, "aliases": [], "tags": [], "object": "model",
                              "created": now, "owned_by": "llamacpp",
                              "meta": {"vocab_type": 2, "n_vocab": 151936, "n_ctx": 4096,
                                       "n_ctx_train": 32768, "n_embd": EMBED_DIM,
                                       "n_params": 494032768, "size": 531067904}}]}
        if d in ("vllm", "vllm-old"):
            return {"object": "list",
                    "data": [{"id": m, "object": "model", "created": now, "owned_by": "vllm",
                              "root": m, "parent": None, "max_model_len": 4096,
                              "permission": [{"id": "modelperm-" + uuid.uuid4().hex,
                                              "object": "model_permission", "created": now,
                                              "allow_create_engine": False,
                                              "allow_sampling": True, "allow_logprobs": True,
                                              "allow_search_indices": False,
                                              "allow_view": True, "allow_fine_tuning": False,
                                              "organization": "*", "group": None,
                                              "is_blocking": False}]}]}
        return {"object": "list",
                "data": [{"id": m, "object": "model", "created": now, "owned_by": "library"}]}

    # ---- /v1/embeddings ----

    def embeddings(self, body, raw):
        if not isinstance(body, dict):
            self.send_error_json(400, "invalid JSON body")
            return
        inp = body.get("input")
        if isinstance(inp, str):
            texts = [inp]
        elif (isinstance(inp, list) and 0 < len(inp) <= MAX_EMBED_INPUTS
              and all(isinstance(t, str) for t in inp)):
            texts = inp
        else:
            self.send_error_json(400, "'input' must be a string or a list of strings")
            return
        model = body.get("model") if isinstance(body.get("model"), str) else self.server.model
        vectors = [embed(t) for t in texts]
        n = sum(count_words(t) for t in texts)
        d = self.server.dialect
        if d == "llama":
            obj = {"model": model, "object": "list",
                   "usage": {"prompt_tokens": n, "total_tokens": n},
                   "data": [{"embedding": v, "index": i, "object": "embedding"}
                            for i, v in enumerate(vectors)]}
        elif d in ("vllm", "vllm-old"):
            obj = {"id": "embd-" + uuid.uuid4().hex, "object": "list",
                   "created": int(time.time()), "model": model,
                   "data": [{"index": i, "object": "embedding", "embedding": v}
                            for i, v in enumerate(vectors)],
                   "usage": {"prompt_tokens": n, "total_tokens": n, "completion_tokens": 0,
                             "prompt_tokens_details": None}}
        else:
            obj = {"object": "list",
                   "data": [{"object": "embedding", "embedding": v, "index": i}
                            for i, v in enumerate(vectors)],
                   "model": model, "usage": {"prompt_tokens": n, "total_tokens": n}}
        self.send_json(200, obj)

    # ---- /v1/chat/completions ----

    def chat(self, body, raw, config):
        d = self.server.dialect
        if not isinstance(body, dict):
            self.send_error_json(400, "invalid JSON body")
            return
        messages = body.get("messages")
        if not isinstance(messages, list) or not messages:
            self.send_error_json(400, "'messages' must be a non-empty array")
            return
        stream = body.get("stream") is True
        scenario = config.get("scenario", "echo")
        if scenario in ERROR_SCENARIOS and not self.server.state.take_failure(config):
            scenario = "echo"

        user_text = last_user_text(messages)
        prompt_tokens = sum(count_words(message_text(m)) for m in messages)
        max_tokens = body.get("max_tokens", body.get("max_completion_tokens"))
        if not isinstance(max_tokens, int) or isinstance(max_tokens, bool) or max_tokens < 1:
            max_tokens = None

        if scenario == "http_error":
            status = config.get("status", 500)
            if not isinstance(status, int) or not 400 <= status <= 599:
                status = 500
            extra = [("Retry-After", "1")] if status == 429 else []
            if status == 401 and d in ("vllm", "vllm-old"):
                self.send_json(401, {"error": "Unauthorized"}, extra)
                return
            self.send_error_json(status, config.get("message"), extra_headers=extra)
            return
        if scenario == "context_overflow":
            n_ctx = config.get("n_ctx", 4096)
            n_ctx = n_ctx if isinstance(n_ctx, int) else 4096
            n_prompt = max(prompt_tokens, n_ctx + 1)
            self.send_json(400, context_overflow_error(d, n_prompt, n_ctx, max_tokens),
                           error=True)
            return
        if scenario == "stall":
            time.sleep(self.seconds(config, 30))
            self.abort_connection()
            return

        reply = Reply(d, body.get("model") if isinstance(body.get("model"), str)
                      else self.server.model)
        reply.prompt_tokens = prompt_tokens
        so = body.get("stream_options")
        reply.include_usage = isinstance(so, dict) and so.get("include_usage") is True
        tag_m = TAG_RE.search(user_text)
        tag = tag_m.group(1) if tag_m else None

        if scenario == "tool_call":
            reply.tool_calls = tool_calls_for(body, config, d)
        else:
            if scenario == "fixed":
                text = config.get("text", "")
                text = text if isinstance(text, str) else json.dumps(text)
            elif scenario == "obey_injection":
                text = injected_answer(messages) or grounded_answer(user_text)
            else:
                text = grounded_answer(user_text)
            text = add_tag(text, tag)
            if "json" in config:
                text = dumps_compact(config["json"])
            else:
                schema = structured_schema(body)
                if schema is not None:
                    text = json.dumps(schema_instance(schema, {"used_text": False,
                                                               "text": text}),
                                      ensure_ascii=False)
            pieces = split_pieces(text)
            if max_tokens is not None and len(pieces) > max_tokens:
                pieces = pieces[:max_tokens]
                reply.finish = "length"
            reply.pieces = pieces

        if not stream:
            self.chat_nonstream(reply, scenario, config)
            return
        self.chat_stream(reply, scenario, config, tag)

    @staticmethod
    def seconds(config, default):
        value = config.get("seconds", default)
        if not isinstance(value, (int, float)) or value < 0:
            return default
        return min(float(value), 3600.0)

    @staticmethod
    def millis(config, key, default=0):
        value = config.get(key, default)
        if not isinstance(value, (int, float)) or value < 0:
            return default / 1000.0
        return min(float(value), 600000.0) / 1000.0

    def chat_nonstream(self, reply, scenario, config):
        first_delay = self.millis(config, "first_token_delay_ms")
        if scenario == "slow":
            first_delay = self.millis(config, "ms")
        if scenario == "stream_error":
            self.send_error_json(500, config.get("message", "generation failed"))
            return
        if first_delay:
            time.sleep(first_delay)
        body = reply.completion()
        ctype = self.json_content_type()
        if scenario == "cut":
            self.send_head(200, self._headers_for(200, ctype, len(body)), body[: len(body) // 2])
            self.abort_connection(rst=bool(config.get("rst")))
            return
        if scenario == "stall_after_headers":
            self.send_head(200, self._headers_for(200, ctype, len(body)))
            time.sleep(self.seconds(config, 30))
            self.abort_connection()
            return
        self.send_body(200, body, ctype)

    def chat_stream(self, reply, scenario, config, tag):
        d = self.server.dialect
        state = self.server.state
        token_delay = self.millis(config, "token_delay_ms")
        first_delay = self.millis(config, "first_token_delay_ms")
        if scenario == "slow":
            first_delay = self.millis(config, "ms")
        pings = scenario == "pings"
        ping = {"llama": b":\n\n", "vllm": b": keep-alive\n\n",
                "vllm-old": b": keep-alive\n\n"}.get(d, b": ping\n\n")
        cut_after = config.get("chunks", 3)
        cut_after = cut_after if isinstance(cut_after, int) and cut_after >= 0 else 3

        # llama-server and uvicorn send the status line before the first token; Go writes it
        # with the first body bytes.
        headers_sent = False
        if d != "ollama":
            self.start_stream()
            headers_sent = True
        if pings and headers_sent:
            self.chunk(ping)
        if first_delay:
            time.sleep(first_delay)
        if not headers_sent:
            self.start_stream()
            if pings:
                self.chunk(ping)

        if reply.tool_calls:
            fragments = config.get("fragments", 3)
            fragments = fragments if isinstance(fragments, int) and fragments >= 3 else 3
            for w in reply.role_events():
                self.chunk(w)
            for i, w in enumerate(reply.tool_events(fragments, bool(config.get("split")))):
                if i and token_delay:
                    time.sleep(token_delay)
                if pings and i:
                    self.chunk(ping)
                self.chunk(w)
            for w in reply.final_events():
                self.chunk(w)
            self.end_chunks()
            return

        for w in reply.role_events():
            self.chunk(w)
        sent = 0
        for i, piece in enumerate(reply.pieces):
            if i:
                if token_delay:
                    time.sleep(token_delay)
                if pings:
                    self.chunk(ping)
            if scenario in ("cut", "stream_error") and sent >= cut_after:
                break
            data = reply.content_event(piece, first=(i == 0))
            if i == 0:
                t_ns = time.monotonic_ns()
                self.chunk(data)
                if tag:
                    state.add_timing(tag, t_ns)
            else:
                self.chunk(data)
            sent += 1
            if scenario == "stall_after_headers":
                time.sleep(self.seconds(config, 30))
                self.abort_connection()
                return
        if scenario == "stall_after_headers":       # nothing to send: stall anyway
            time.sleep(self.seconds(config, 30))
            self.abort_connection()
            return
        if scenario == "cut":
            self.abort_connection(rst=bool(config.get("rst")))
            return
        if scenario == "stream_error":
            status = config.get("status", 500)
            status = status if isinstance(status, int) and 400 <= status <= 599 else 500
            msg = config.get("message", "generation failed")
            self.chunk(("data: " + stream_error_text(d, status, msg) + "\n\n").encode("utf-8"))
            if d in ("vllm", "vllm-old"):
                self.chunk(b"data: [DONE]\n\n")    # vLLM always ends with [DONE]
            self.end_chunks()
            return
        if pings:
            self.chunk(ping)
        for w in reply.final_events():
            self.chunk(w)
        self.end_chunks()


class Server(fakehttp.Server):
    def __init__(self, port, dialect, model, api_key):
        self.dialect = dialect
        self.model = model
        self.api_key = api_key
        super().__init__(port, Handler, State())


def main(argv=None):
    ap = argparse.ArgumentParser(description="Fake OpenAI-compatible LLM server (tests only).")
    fakehttp.add_listen_args(ap)
    ap.add_argument("--dialect", choices=DIALECTS, default="llama")
    ap.add_argument("--api-key")
    ap.add_argument("--model", default="fake-model")
    args = ap.parse_args(argv)
    return fakehttp.serve("fake_llm", lambda: Server(args.port, args.dialect, args.model,
                                                     args.api_key), args.port_file)


if __name__ == "__main__":
    sys.exit(main())
