/* llm_error.c - reading the error bodies of llama-server, vLLM and Ollama
 * into one struct llm_error, and sorting them into kinds (see llm_error.h).
 * Classification is table-driven: HTTP status first, then the server's type
 * or code string, with the message text deciding "context length". */
#include "llm/llm_error.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Bodies larger than this are not parsed as JSON; their text still is used. */
#define LLM_ERROR_MAX_JSON_BODY ((size_t)1 << 20)

static const char *const llm_error_names[LLM_ERR_KIND_COUNT] = {
	[LLM_ERR_NONE] = "none",
	[LLM_ERR_BAD_REQUEST] = "bad_request",
	[LLM_ERR_CONTEXT_LENGTH] = "context_length",
	[LLM_ERR_AUTH] = "auth",
	[LLM_ERR_NOT_FOUND] = "not_found",
	[LLM_ERR_RATE_LIMIT] = "rate_limit",
	[LLM_ERR_UNAVAILABLE] = "unavailable",
	[LLM_ERR_SERVER] = "server",
	[LLM_ERR_UNSUPPORTED] = "unsupported",
	[LLM_ERR_TIMEOUT] = "timeout",
	[LLM_ERR_NETWORK] = "network",
	[LLM_ERR_PROTOCOL] = "protocol",
	[LLM_ERR_CIRCUIT_OPEN] = "circuit_open",
};

/* Type strings (error.type) and code strings (OpenAI's error.code) the
 * servers send, compared without regard to case. */
static const struct {
	const char *word;
	enum llm_error_kind kind;
} llm_error_words[] = {
	/* llama-server (format_error_response) and OpenAI */
	{ "invalid_request_error", LLM_ERR_BAD_REQUEST },
	{ "authentication_error", LLM_ERR_AUTH },
	{ "permission_error", LLM_ERR_AUTH },
	{ "not_found_error", LLM_ERR_NOT_FOUND },
	{ "server_error", LLM_ERR_SERVER },
	{ "not_supported_error", LLM_ERR_UNSUPPORTED },
	{ "unavailable_error", LLM_ERR_UNAVAILABLE },
	{ "exceed_context_size_error", LLM_ERR_CONTEXT_LENGTH },
	{ "rate_limit_error", LLM_ERR_RATE_LIMIT },
	{ "timeout_error", LLM_ERR_TIMEOUT },
	{ "overloaded_error", LLM_ERR_UNAVAILABLE },
	{ "api_error", LLM_ERR_SERVER }, /* Ollama /v1 for anything but 400/404 */
	/* OpenAI error.code strings */
	{ "context_length_exceeded", LLM_ERR_CONTEXT_LENGTH },
	{ "invalid_api_key", LLM_ERR_AUTH },
	{ "model_not_found", LLM_ERR_NOT_FOUND },
	{ "rate_limit_exceeded", LLM_ERR_RATE_LIMIT },
	/* vLLM >= 0.10.1 uses Python exception names */
	{ "BadRequestError", LLM_ERR_BAD_REQUEST },
	{ "AuthenticationError", LLM_ERR_AUTH },
	{ "PermissionDeniedError", LLM_ERR_AUTH },
	{ "NotFoundError", LLM_ERR_NOT_FOUND },
	{ "RateLimitError", LLM_ERR_RATE_LIMIT },
	{ "NotImplementedError", LLM_ERR_UNSUPPORTED },
	{ "ServiceUnavailableError", LLM_ERR_UNAVAILABLE },
	{ "InternalServerError", LLM_ERR_SERVER },
	{ "TimeoutError", LLM_ERR_TIMEOUT },
};

/* Phrases in a message (or type) that mean the prompt did not fit. */
static const char *const llm_error_context_phrases[] = {
	"context length",      /* vLLM/OpenAI: "maximum context length is 4096 tokens" */
	"context_length",      /* "context_length_exceeded" */
	"exceed_context_size", /* llama-server type since PR #16486 */
	"context size",        /* llama-server: "exceeds the available context size" */
	"context window",
	"maximum model length", /* vLLM: "longer than the maximum model length of 4096" */
	"too many tokens",
};

const char *llm_error_kind_name(enum llm_error_kind k)
{
	if ((int)k < 0 || k >= LLM_ERR_KIND_COUNT)
		return "unknown";
	return llm_error_names[k];
}

int llm_error_kind_retryable(enum llm_error_kind k)
{
	switch (k) {
	case LLM_ERR_RATE_LIMIT:
	case LLM_ERR_UNAVAILABLE:
	case LLM_ERR_SERVER:
	case LLM_ERR_TIMEOUT:
	case LLM_ERR_NETWORK:
		return 1;
	default:
		return 0;
	}
}

void llm_error_clear(struct llm_error *e)
{
	memset(e, 0, sizeof(*e));
	e->kind = LLM_ERR_NONE;
}

/* Length of the valid UTF-8 sequence at s[0..n) (storing its code point),
 * or 0 when it is not one: overlong forms, surrogates and values past
 * U+10FFFF are invalid. */
static size_t llm_error_utf8(const unsigned char *s, size_t n, unsigned long *cp)
{
	unsigned long c;
	size_t len;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		len = 2;
		c = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3;
		c = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4;
		c = s[0] & 0x07;
	} else {
		return 0;
	}
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	if ((len == 3 && c < 0x800) || (len == 4 && (c < 0x10000 || c > 0x10ffff)) ||
	    (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return len;
}

size_t llm_error_copy_text(char *dst, size_t size, const char *src, size_t len)
{
	const unsigned char *s = (const unsigned char *)src;
	size_t i = 0, out = 0;
	int space = 0;

	if (!size)
		return 0;
	while (i < len) {
		unsigned long cp;
		size_t n = llm_error_utf8(s + i, len - i, &cp);

		if (!n) {
			i++;
			continue;
		}
		i += n;
		if (cp == ' ' || cp == '\t' || cp == '\n' || cp == '\r') {
			space = out > 0;
			continue;
		}
		if (cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp < 0xa0))
			continue;
		if (out + n + (size_t)space >= size)
			break;
		if (space)
			dst[out++] = ' ';
		space = 0;
		memcpy(dst + out, s + i - n, n);
		out += n;
	}
	dst[out] = '\0';
	return out;
}

static enum llm_error_kind llm_error_status_kind(long status)
{
	switch (status) {
	case 400:
		return LLM_ERR_BAD_REQUEST;
	case 401:
	case 403:
		return LLM_ERR_AUTH;
	case 404:
		return LLM_ERR_NOT_FOUND;
	case 408:
	case 504:
		return LLM_ERR_TIMEOUT;
	case 429:
		return LLM_ERR_RATE_LIMIT;
	case 501:
		return LLM_ERR_UNSUPPORTED;
	case 503:
		return LLM_ERR_UNAVAILABLE;
	default:
		break;
	}
	if (status >= 500 && status <= 599)
		return LLM_ERR_SERVER;
	if (status >= 400 && status <= 499)
		return LLM_ERR_BAD_REQUEST;
	return LLM_ERR_NONE;
}

static enum llm_error_kind llm_error_word_kind(const char *word)
{
	if (!word || !*word)
		return LLM_ERR_NONE;
	for (size_t i = 0; i < sizeof(llm_error_words) / sizeof(llm_error_words[0]); i++) {
		if (!strcasecmp(word, llm_error_words[i].word))
			return llm_error_words[i].kind;
	}
	return LLM_ERR_NONE;
}

static int llm_error_mentions_context(const char *text)
{
	if (!text)
		return 0;
	for (size_t i = 0;
	     i < sizeof(llm_error_context_phrases) / sizeof(llm_error_context_phrases[0]); i++) {
		if (strcasestr(text, llm_error_context_phrases[i]))
			return 1;
	}
	return 0;
}

/* Sorts e (type and message already filled) into a kind. `status` is the
 * effective status (the HTTP one, or a numeric error.code in a stream);
 * `code` is a string error.code, or NULL. */
static void llm_error_classify(struct llm_error *e, long status, const char *code)
{
	enum llm_error_kind by_status = llm_error_status_kind(status);
	enum llm_error_kind by_word = llm_error_word_kind(e->type);
	enum llm_error_kind kind;

	if (by_word == LLM_ERR_NONE)
		by_word = llm_error_word_kind(code);
	/* A context overflow is reported as 400, as 413, as a 500 (old
	 * llama-server) or inside a 200 stream; never under auth or 404. */
	if ((by_status == LLM_ERR_NONE || by_status == LLM_ERR_BAD_REQUEST ||
	     by_status == LLM_ERR_SERVER) &&
	    (by_word == LLM_ERR_CONTEXT_LENGTH ||
	     ((by_word == LLM_ERR_NONE || by_word == LLM_ERR_BAD_REQUEST ||
	       by_word == LLM_ERR_SERVER) &&
	      (llm_error_mentions_context(e->message) || llm_error_mentions_context(code)))))
		kind = LLM_ERR_CONTEXT_LENGTH;
	else if (by_status != LLM_ERR_NONE)
		kind = by_status;
	else if (by_word != LLM_ERR_NONE)
		kind = by_word;
	else
		kind = LLM_ERR_SERVER;
	e->kind = kind;
	e->retryable = llm_error_kind_retryable(kind);
}

static void llm_error_default_message(struct llm_error *e, long status)
{
	if (e->message[0])
		return;
	if (e->type[0])
		snprintf(e->message, sizeof(e->message), "%s", e->type);
	else if (status)
		snprintf(e->message, sizeof(e->message), "HTTP %ld", status);
	else
		snprintf(e->message, sizeof(e->message), "unknown error");
}

static void llm_error_copy_json_string(char *dst, size_t size, const json_t *v)
{
	if (json_is_string(v))
		llm_error_copy_text(dst, size, json_string_value(v), json_string_length(v));
}

/* A message that is not a string (an object, an array of FastAPI validation
 * errors) is kept as compact JSON text. */
static void llm_error_copy_message(struct llm_error *e, const json_t *v)
{
	char *text;

	if (!v || json_is_null(v))
		return;
	if (json_is_string(v)) {
		llm_error_copy_json_string(e->message, sizeof(e->message), v);
		return;
	}
	text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	if (text) {
		llm_error_copy_text(e->message, sizeof(e->message), text, strlen(text));
		free(text);
	}
}

/* Fills e from an inner error object {"message","type","code",...}. */
static void llm_error_fill(struct llm_error *e, const json_t *inner, long status)
{
	const json_t *code = json_object_get(inner, "code");
	const char *code_str = NULL;
	long eff = status;

	llm_error_clear(e);
	e->http_status = status;
	llm_error_copy_json_string(e->type, sizeof(e->type), json_object_get(inner, "type"));
	llm_error_copy_message(e, json_object_get(inner, "message"));
	if (json_is_integer(code)) {
		json_int_t c = json_integer_value(code);

		if (!status && c >= 400 && c <= 599)
			eff = (long)c;
	} else if (json_is_string(code)) {
		code_str = json_string_value(code);
	}
	llm_error_classify(e, eff, code_str);
	llm_error_default_message(e, eff);
}

int llm_error_from_inner_json(struct llm_error *e, const json_t *obj, long status)
{
	if (!json_is_object(obj) || (!json_is_string(json_object_get(obj, "message")) &&
				     !json_is_string(json_object_get(obj, "type"))))
		return 0;
	llm_error_fill(e, obj, status);
	return 1;
}

int llm_error_from_json(struct llm_error *e, const json_t *obj, long status)
{
	const json_t *err, *object, *detail;

	if (!json_is_object(obj))
		return 0;
	err = json_object_get(obj, "error");
	if (json_is_object(err)) {
		llm_error_fill(e, err, status);
		return 1;
	}
	if (json_is_string(err)) {
		/* Ollama's native API: {"error":"model 'x' not found"} */
		llm_error_clear(e);
		e->http_status = status;
		llm_error_copy_json_string(e->message, sizeof(e->message), err);
		llm_error_classify(e, status, NULL);
		llm_error_default_message(e, status);
		return 1;
	}
	object = json_object_get(obj, "object");
	if (json_is_string(object) && !strcmp(json_string_value(object), "error")) {
		llm_error_fill(e, obj, status);
		return 1;
	}
	detail = json_object_get(obj, "detail");
	if (status >= 400 && detail && !json_is_null(detail)) {
		/* FastAPI's own answers (vLLM behind it): unknown route, validation. */
		llm_error_clear(e);
		e->http_status = status;
		llm_error_copy_message(e, detail);
		llm_error_classify(e, status, NULL);
		llm_error_default_message(e, status);
		return 1;
	}
	return 0;
}

/* The text of <title>...</title> in an HTML page (proxies answer 502/504
 * with one), or NULL. */
static const char *llm_error_html_title(const char *body, size_t len, size_t *tlen)
{
	const char *open = NULL, *close;

	for (size_t i = 0; i + 7 <= len; i++) {
		if (!strncasecmp(body + i, "<title>", 7)) {
			open = body + i + 7;
			break;
		}
	}
	if (!open)
		return NULL;
	for (close = open; close + 8 <= body + len; close++) {
		if (!strncasecmp(close, "</title>", 8)) {
			*tlen = (size_t)(close - open);
			return open;
		}
	}
	return NULL;
}

void llm_error_from_http(struct llm_error *e, long status, const char *body, size_t len)
{
	const char *title;
	size_t tlen = 0;

	if (!body)
		len = 0;
	if (len && len <= LLM_ERROR_MAX_JSON_BODY) {
		json_error_t jerr;
		json_t *root = json_loadb(body, len, 0, &jerr);
		int found = root && llm_error_from_json(e, root, status);

		json_decref(root);
		if (found)
			return;
	}
	llm_error_clear(e);
	e->http_status = status;
	title = len ? llm_error_html_title(body, len, &tlen) : NULL;
	if (title)
		llm_error_copy_text(e->message, sizeof(e->message), title, tlen);
	else if (len)
		llm_error_copy_text(e->message, sizeof(e->message), body, len);
	llm_error_classify(e, status, NULL);
	llm_error_default_message(e, status);
}

void llm_error_set(struct llm_error *e, enum llm_error_kind kind, const char *fmt, ...)
{
	char text[sizeof(e->message)];
	va_list ap;
	int n;

	llm_error_clear(e);
	if ((int)kind < 0 || kind >= LLM_ERR_KIND_COUNT)
		kind = LLM_ERR_PROTOCOL;
	e->kind = kind;
	e->retryable = llm_error_kind_retryable(kind);
	va_start(ap, fmt);
	n = vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	llm_error_copy_text(e->message, sizeof(e->message), text,
			    (size_t)n < sizeof(text) ? (size_t)n : sizeof(text) - 1);
}
