/* llm_error.h - one internal error for everything an OpenAI-compatible LLM
 * server (llama-server, vLLM, Ollama) can answer when something goes wrong.
 *
 * The servers disagree on the shape of an error body; this module reads all
 * of them and sorts each error into one enum llm_error_kind, which the client
 * uses to decide whether to retry, open its circuit breaker or tell the user.
 * A struct llm_error is plain data: no allocation, nothing to release.
 * Invariants: `type` and `message` are always NUL-terminated, valid UTF-8,
 * free of control characters; `retryable` follows from `kind` alone.
 */
#ifndef LK_LLM_ERROR_H
#define LK_LLM_ERROR_H

#include <jansson.h>
#include <stddef.h>

enum llm_error_kind {
	LLM_ERR_NONE = 0,
	LLM_ERR_BAD_REQUEST,    /* 400 and other 4xx: our request is wrong; do not retry */
	LLM_ERR_CONTEXT_LENGTH, /* the prompt does not fit the model's context window */
	LLM_ERR_AUTH,           /* 401/403: API key missing or wrong */
	LLM_ERR_NOT_FOUND,      /* 404: unknown model or endpoint */
	LLM_ERR_RATE_LIMIT,     /* 429 */
	LLM_ERR_UNAVAILABLE,    /* 503: e.g. llama-server still loading its model */
	LLM_ERR_SERVER,         /* other 5xx, or an unclassified error from the server */
	LLM_ERR_UNSUPPORTED,    /* 501: the server lacks the feature (tools, embeddings) */
	LLM_ERR_TIMEOUT,        /* 408/504, or the client's own deadline */
	LLM_ERR_NETWORK,        /* made by the client: connect/read failures */
	LLM_ERR_PROTOCOL,       /* made by the client: the server spoke nonsense */
	LLM_ERR_CIRCUIT_OPEN,   /* made by the client: not tried, the breaker is open */
	LLM_ERR_KIND_COUNT
};

struct llm_error {
	enum llm_error_kind kind;
	long http_status; /* 0 when not from an HTTP status */
	/* the server's own type string ("invalid_request_error", "BadRequestError") */
	char type[48];
	/* the server's message, truncated at a UTF-8 boundary, control chars removed */
	char message[256];
	int retryable; /* 1 for RATE_LIMIT, UNAVAILABLE, SERVER, TIMEOUT, NETWORK */
};

/* --- filling one --- */

/* From an HTTP error response (status >= 400) and its body (any shape, or not
 * JSON at all, or empty; body may be NULL when len is 0). Always fills e.
 * When the body is no known error shape, the message is the body's text (for
 * an HTML page, its <title>), or "HTTP <status>" when there is none. */
void llm_error_from_http(struct llm_error *e, long status, const char *body, size_t len);

/* If `obj` is an error object in any known shape, fills e and returns 1; else
 * returns 0 and leaves e untouched. Shapes:
 *   llama-server {"error":{"code":400,"message":..,"type":"invalid_request_error"}}
 *   vLLM >= 0.10.1 {"error":{"message","type":"BadRequestError","param":null,"code":400}}
 *   old vLLM flat {"object":"error","message":..,"type":..,"param":..,"code":..}
 *   Ollama {"error":"message text"}
 *   OpenAI {"error":{"message","type","param","code":"context_length_exceeded"}}
 *   FastAPI {"detail":"Not Found"} or {"detail":[{"msg":..},..]} (only when status >= 400)
 * status: the HTTP status when known (0 inside a 200 stream: then a numeric
 * error.code from 400 to 599 stands in for it). */
int llm_error_from_json(struct llm_error *e, const json_t *obj, long status);

/* Like llm_error_from_json, for an object that is itself the inner error
 * ({"code","message","type"}): old llama-server sent that after an SSE
 * "error:" field. Returns 1 when obj is an object with a string "message"
 * or "type", else 0 (e untouched). */
int llm_error_from_inner_json(struct llm_error *e, const json_t *obj, long status);

/* For TIMEOUT/NETWORK/PROTOCOL/CIRCUIT_OPEN made by the client: kind and a
 * printf-style message; http_status 0, type "". */
void llm_error_set(struct llm_error *e, enum llm_error_kind kind, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Sets e to LLM_ERR_NONE with empty strings. */
void llm_error_clear(struct llm_error *e);

/* --- names and properties --- */

/* Stable lower_snake words used as metrics labels: "none", "bad_request",
 * "context_length", "auth", "not_found", "rate_limit", "unavailable",
 * "server", "unsupported", "timeout", "network", "protocol", "circuit_open";
 * "unknown" for a value outside the enum. Static strings. */
const char *llm_error_kind_name(enum llm_error_kind k);

/* 1 for RATE_LIMIT, UNAVAILABLE, SERVER, TIMEOUT, NETWORK; else 0. */
int llm_error_kind_retryable(enum llm_error_kind k);

/* --- text helper --- */

/* Copies src[0..len) into dst (size bytes, size >= 1, always NUL-terminated):
 * invalid UTF-8, NUL and other control characters (C0, DEL, C1) are dropped,
 * tab/CR/LF become one space, runs of spaces collapse, leading and trailing
 * space is trimmed, and the text is cut at a character boundary.
 * Returns the length written. */
size_t llm_error_copy_text(char *dst, size_t size, const char *src, size_t len);

#endif
