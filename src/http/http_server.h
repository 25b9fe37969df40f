/* http_server.h - Loket's HTTP server on libmicrohttpd: a route table, body
 * size limits, content-type checks and JSON error bodies, all in one place
 * before any handler runs.
 *
 * Handlers are plain functions over a parsed request and a response to fill;
 * they never see libmicrohttpd. A handler may run on any of the server's
 * threads at the same time as others.
 */
#ifndef LK_HTTP_SERVER_H
#define LK_HTTP_SERVER_H

#include "core/err.h"

#include <jansson.h>
#include <stddef.h>

#define HTTP_BODY_MAX ((size_t)16 * 1024) /* bytes; larger bodies get 413 */
#define HTTP_UPLOAD_MAX ((size_t)5 << 20)  /* bytes of an upload route's body */
#define HTTP_WEBHOOK_MAX ((size_t)1 << 20) /* bytes of a webhook's body */
#define HTTP_MAX_PARAMS 4
#define HTTP_PATH_MAX 1024
#define HTTP_PATH_SEGMENTS 16

/* A path split into segments (the router's scratch space). */
struct path_segs {
	char buf[HTTP_PATH_MAX + 1];
	const char *seg[HTTP_PATH_SEGMENTS];
	size_t n;
};

struct http_request {
	const char *method;
	const char *path;
	const char *bearer;       /* token from "Authorization: Bearer ...", or NULL */
	const char *last_event_id; /* "Last-Event-ID" header of an event stream, or NULL */
	const char *(*query)(const struct http_request *req, const char *key); /* query argument or NULL */
	const char *(*header)(const struct http_request *req, const char *name); /* header or NULL */
	void *conn;               /* the server's connection (for query) */
	json_t *json;             /* parsed body for HTTP_ROUTE_JSON routes (borrowed) */
	const void *body;         /* raw body for HTTP_ROUTE_UPLOAD/RAW routes (borrowed) */
	size_t body_len;
	const char *content_type; /* the request's Content-Type, or NULL */
	const char *params[HTTP_MAX_PARAMS]; /* ":name" segments of the route, in order */
	size_t n_params;
	struct path_segs scratch; /* storage the params point into */
};

/* --- responses written later or over time --- */

/* A response body produced over time (Server-Sent Events). The server pulls
 * from it whenever the connection can take bytes; when the source has nothing
 * the connection sleeps (costing no thread) until http_stream_wake(). */
struct http_stream;

struct http_stream_source {
	/* Called once, before the first read, with the stream to wake. */
	void (*attach)(void *src, struct http_stream *s);
	/* Copies at most max bytes of pending output to buf and returns the
	 * count; 0 when nothing is pending now; -1 when the stream is over.
	 * Never blocks. */
	long (*read)(void *src, char *buf, size_t max);
	/* Called once when the connection is gone. After it returns the source
	 * never calls http_stream_wake() again; it frees src. */
	void (*close)(void *src);
	void *src;
};

/* Wakes a sleeping stream so the server reads from its source again. Any
 * thread, any time before the source's close() has returned. */
void http_stream_wake(struct http_stream *s);

/* A response that another thread completes later (a reply that waits on the
 * language model). The connection sleeps meanwhile; no thread waits. */
struct http_deferred;

/* Completes the response: status and body (taken over). Exactly once; any
 * thread. Then drop the completer's reference with http_deferred_release(). */
void http_deferred_complete(struct http_deferred *d, int status, json_t *body);
void http_deferred_release(struct http_deferred *d);

struct http_response {
	int status;
	json_t *json;             /* owned by the response; sent as application/json */
	const void *body;         /* or a static body (not freed) */
	char *owned_body;         /* or a body the server frees (length body_len) */
	size_t body_len;
	const char *content_type; /* for `body` */
	int cacheable;            /* static assets may be cached for a while */
	char set_cookie[256];     /* a Set-Cookie header value, or "" */
	struct http_stream_source stream;  /* set stream.read for an event stream */
	struct http_deferred *deferred;    /* set by http_response_defer() */
};

/* For callers that run a handler without a server (tests, fuzzing): when
 * res->deferred is complete, moves its status and body into res and drops
 * the server's reference. 0, or LK_EBUSY while it is not complete. */
int http_deferred_take(struct http_response *res);

/* Turns res into a deferred response. The returned handle belongs to the
 * caller, who must call http_deferred_complete() and then
 * http_deferred_release() exactly once each, from any thread. */
struct http_deferred *http_response_defer(struct http_response *res);

typedef void (*http_handler_fn)(void *ctx, const struct http_request *req,
				struct http_response *res);

enum http_route_flags {
	HTTP_ROUTE_JSON = 1,   /* body must be a JSON object with Content-Type application/json */
	HTTP_ROUTE_UPLOAD = 2, /* raw body up to HTTP_UPLOAD_MAX (a photo) */
	HTTP_ROUTE_RAW = 4,    /* raw body up to HTTP_WEBHOOK_MAX, any type (a signed webhook) */
};

struct http_route {
	const char *method;  /* "GET", "POST", "DELETE" */
	const char *pattern; /* "/api/v1/conversations/:id/messages" */
	http_handler_fn fn;
	unsigned flags;
};

struct http_server;

struct http_server_opts {
	const char *listen;  /* "127.0.0.1:8080" or "[::1]:8080" */
	unsigned threads;    /* worker threads; 0 picks a default */
	int access_log;      /* one line per request on stderr */
	/* Web sites whose pages may call the API (CORS), exact origins such as
	 * "https://www.gemeente.nl"; NULL-terminated, borrowed; NULL: none. */
	const char *const *allowed_origins;
	unsigned max_connections; /* open connections (event streams count); 0: default */
	unsigned ping_s;          /* keep-alive comment on idle event streams; 0: 15 s. A
				   * vanished client is noticed at the second ping. */
};

/* Starts listening; `routes` ends with a zeroed entry and must outlive the
 * server, like ctx. Caller stops it with http_server_stop(). */
int http_server_start(struct http_server **out, const struct http_server_opts *opts,
		      const struct http_route *routes, void *ctx, struct lk_err *err);
/* The port actually bound (useful with port 0). */
unsigned http_server_port(const struct http_server *srv);
void http_server_stop(struct http_server *srv);

/* Fills res with {"error":{"code","message"}}. */
void http_error(struct http_response *res, int status, const char *code, const char *message);
/* Maps an lk_err from the engine to a status and error body. */
void http_error_from(struct http_response *res, const struct lk_err *err);

#endif
