/* http_server.c - libmicrohttpd glue: collects bounded request bodies, finds
 * the route, checks method, content type and JSON once for every handler,
 * and sends JSON responses with safe default headers (see http_server.h).
 */
#include "http/http_server.h"

#include "http/http_router.h"

#include "core/buf.h"
#include "core/clock.h"
#include "core/mem.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define DECLARED_BODY_REFUSE ((unsigned long long)1 << 20)
#define TOKEN_MAX_LEN 256
#define EVENT_ID_MAX_LEN 32
#define STREAM_BLOCK 4096
#define PING_INTERVAL_S 15
#define STOP_GRACE_MS 200

/* A connection that may sleep: an event stream or a deferred response. */
struct parked {
	struct http_server *srv;
	struct MHD_Connection *conn;
	pthread_mutex_t mu;
	int suspended;          /* MHD_suspend_connection() called, not yet resumed */
	int is_stream;          /* struct http_stream, else struct http_deferred */
	struct parked *prev, *next; /* the server's registry (srv->mu) */
};

struct http_stream {
	struct parked p;
	int woken;              /* a wake came since the last read attempt */
	int ended;              /* the server is stopping: end the stream */
	int ping_due;           /* send a keep-alive comment when idle */
	struct http_stream_source src;
};

struct http_deferred {
	struct parked p;
	int refs;               /* server + completer */
	int done;
	int status;
	json_t *body;
};

struct http_server {
	struct MHD_Daemon *daemon;
	const struct http_route *routes;
	void *ctx;
	int access_log;
	unsigned port;
	const char *const *origins; /* CORS: allowed origins */
	pthread_mutex_t mu;     /* registry of parked connections */
	pthread_cond_t tick;    /* the pinger's sleep */
	struct parked *parked;
	int stopping;
	pthread_t pinger;
	int pinger_started;
	unsigned ping_s;        /* seconds between keep-alive comments */
};

/* Per-request state, from the first callback to the completion callback. */
struct request_state {
	struct buf body;
	int too_big;
	struct timespec start;
	struct http_deferred *deferred; /* a deferred response waiting to be sent */
	const char *origin;     /* the request's Origin when it is allowed (CORS), else NULL */
};

/* The request's Origin if the server allows it, else NULL. */
static const char *allowed_origin(struct http_server *srv, struct MHD_Connection *conn)
{
	const char *o = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Origin");

	for (const char *const *a = srv->origins; o && a && *a; a++)
		if (!strcmp(*a, o))
			return o;
	return NULL;
}

static void add_cors(struct MHD_Response *r, const char *origin)
{
	MHD_add_response_header(r, "Vary", "Origin");
	if (!origin)
		return;
	MHD_add_response_header(r, "Access-Control-Allow-Origin", origin);
	MHD_add_response_header(r, "Access-Control-Expose-Headers", "Content-Type");
}

/* --- the registry of parked connections --- */

static void park_register(struct http_server *srv, struct parked *p, struct MHD_Connection *conn)
{
	p->srv = srv;
	p->conn = conn;
	pthread_mutex_lock(&srv->mu);
	p->prev = NULL;
	p->next = srv->parked;
	if (srv->parked)
		srv->parked->prev = p;
	srv->parked = p;
	pthread_mutex_unlock(&srv->mu);
}

static void park_unregister(struct parked *p)
{
	struct http_server *srv = p->srv;

	if (!srv)
		return;
	pthread_mutex_lock(&srv->mu);
	if (p->prev)
		p->prev->next = p->next;
	else
		srv->parked = p->next;
	if (p->next)
		p->next->prev = p->prev;
	pthread_mutex_unlock(&srv->mu);
	p->srv = NULL;
}

/* Caller holds p->mu. */
static void park_resume(struct parked *p)
{
	if (p->suspended) {
		p->suspended = 0;
		MHD_resume_connection(p->conn);
	}
}

/* --- event streams --- */

void http_stream_wake(struct http_stream *s)
{
	pthread_mutex_lock(&s->p.mu);
	s->woken = 1;
	park_resume(&s->p);
	pthread_mutex_unlock(&s->p.mu);
}

/* libmicrohttpd asks for the next bytes of an event stream. */
static ssize_t stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	static const char ping[] = ": ping\n\n";
	struct http_stream *s = cls;
	long n;

	for (;;) {
		pthread_mutex_lock(&s->p.mu);
		if (s->ended) {
			pthread_mutex_unlock(&s->p.mu);
			return MHD_CONTENT_READER_END_OF_STREAM;
		}
		s->woken = 0;
		pthread_mutex_unlock(&s->p.mu);
		n = s->src.read(s->src.src, buf, max);
		if (n < 0)
			return MHD_CONTENT_READER_END_OF_STREAM;
		if (n > 0)
			return (ssize_t)n;
		pthread_mutex_lock(&s->p.mu);
		if (s->woken || s->ended) {
			pthread_mutex_unlock(&s->p.mu);
			continue;
		}
		if (s->ping_due && max >= sizeof(ping) - 1) {
			s->ping_due = 0;
			pthread_mutex_unlock(&s->p.mu);
			memcpy(buf, ping, sizeof(ping) - 1);
			return (ssize_t)(sizeof(ping) - 1);
		}
		/* Nothing to send: sleep until a wake (documented as allowed
		 * from inside the content reader). */
		s->p.suspended = 1;
		MHD_suspend_connection(s->p.conn);
		pthread_mutex_unlock(&s->p.mu);
		return 0;
	}
}

static void stream_free(void *cls)
{
	struct http_stream *s = cls;

	s->src.close(s->src.src);
	park_unregister(&s->p);
	pthread_mutex_destroy(&s->p.mu);
	free(s);
}

/* Every ping_s seconds (PING_INTERVAL_S by default), idle streams send a
 * comment line: proxies keep the connection open and a vanished client is
 * noticed. */
static void *pinger_main(void *arg)
{
	struct http_server *srv = arg;
	struct timespec until;

	pthread_mutex_lock(&srv->mu);
	while (!srv->stopping) {
		lk_deadline_ms(&until, (int64_t)srv->ping_s * 1000);
		pthread_cond_timedwait(&srv->tick, &srv->mu, &until);
		if (srv->stopping)
			break;
		for (struct parked *p = srv->parked; p; p = p->next) {
			struct http_stream *s = (struct http_stream *)p;

			if (!p->is_stream)
				continue;
			pthread_mutex_lock(&p->mu);
			s->ping_due = 1;
			s->woken = 1;
			park_resume(p);
			pthread_mutex_unlock(&p->mu);
		}
	}
	pthread_mutex_unlock(&srv->mu);
	return NULL;
}

static void add_cors(struct MHD_Response *r, const char *origin);

static enum MHD_Result start_stream(struct http_server *srv, struct MHD_Connection *conn,
				    struct http_response *res, const char *origin)
{
	struct http_stream *s = xcalloc(1, sizeof(*s));
	struct MHD_Response *r;
	enum MHD_Result ok;

	pthread_mutex_init(&s->p.mu, NULL);
	s->p.is_stream = 1;
	s->src = res->stream;
	memset(&res->stream, 0, sizeof(res->stream));
	park_register(srv, &s->p, conn);
	if (s->src.attach)
		s->src.attach(s->src.src, s);
	r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, STREAM_BLOCK, stream_read, s,
					      stream_free);
	if (!r) {
		stream_free(s);
		return MHD_NO;
	}
	MHD_add_response_header(r, "Content-Type", "text/event-stream; charset=utf-8");
	MHD_add_response_header(r, "Cache-Control", "no-store");
	MHD_add_response_header(r, "X-Accel-Buffering", "no");
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	add_cors(r, origin);
	ok = MHD_queue_response(conn, (unsigned)res->status, r);
	MHD_destroy_response(r);
	return ok;
}

/* --- deferred responses --- */

struct http_deferred *http_response_defer(struct http_response *res)
{
	struct http_deferred *d = xcalloc(1, sizeof(*d));

	pthread_mutex_init(&d->p.mu, NULL);
	d->refs = 2;
	res->deferred = d;
	return d;
}

void http_deferred_complete(struct http_deferred *d, int status, json_t *body)
{
	pthread_mutex_lock(&d->p.mu);
	if (d->done) {
		pthread_mutex_unlock(&d->p.mu);
		json_decref(body);
		return;
	}
	d->done = 1;
	d->status = status;
	d->body = body;
	if (d->p.conn)
		park_resume(&d->p);
	pthread_mutex_unlock(&d->p.mu);
}

int http_deferred_take(struct http_response *res)
{
	struct http_deferred *d = res->deferred;

	pthread_mutex_lock(&d->p.mu);
	if (!d->done) {
		pthread_mutex_unlock(&d->p.mu);
		return LK_EBUSY;
	}
	res->status = d->status;
	res->json = d->body;
	d->body = NULL;
	pthread_mutex_unlock(&d->p.mu);
	res->deferred = NULL;
	http_deferred_release(d);
	return 0;
}

void http_deferred_release(struct http_deferred *d)
{
	int last;

	if (!d)
		return;
	pthread_mutex_lock(&d->p.mu);
	last = --d->refs == 0;
	pthread_mutex_unlock(&d->p.mu);
	if (!last)
		return;
	park_unregister(&d->p);
	json_decref(d->body);
	pthread_mutex_destroy(&d->p.mu);
	free(d);
}

void http_error(struct http_response *res, int status, const char *code, const char *message)
{
	json_decref(res->json);
	res->status = status;
	res->json = json_pack("{s:{s:s, s:s}}", "error", "code", code, "message", message);
}

void http_error_from(struct http_response *res, const struct lk_err *err)
{
	int status;
	const char *code;

	switch (err->code) {
	case LK_ENOTFOUND: status = 404; code = "not_found"; break;
	case LK_EAUTH: status = 401; code = "unauthorized"; break;
	case LK_EINVAL: status = 400; code = "invalid_request"; break;
	case LK_ETOOBIG: status = 413; code = "payload_too_large"; break;
	case LK_EBUSY: status = 503; code = "busy"; break;
	case LK_EEXIST: status = 409; code = "conflict"; break;
	case LK_ETIMEOUT: status = 504; code = "timeout"; break;
	case LK_EUNAVAIL: status = 503; code = "unavailable"; break;
	case LK_EREMOTE: status = 502; code = "bad_gateway"; break;
	case LK_EPERM: status = 403; code = "forbidden"; break;
	default: status = 500; code = "internal_error"; break;
	}
	if (err->reason)
		code = err->reason;
	/* Internal details (database messages) stay in the log, not the body. */
	if (status >= 500) {
		fprintf(stderr, "loket: error: %s\n", err->msg);
		http_error(res, status, code, "Er ging iets mis aan onze kant. / Something went wrong on our side.");
		return;
	}
	http_error(res, status, code, err->msg);
}

/* --- request handling --- */

static const char *bearer_token(struct MHD_Connection *conn)
{
	const char *auth = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Authorization");

	if (!auth || strncasecmp(auth, "Bearer ", 7))
		return NULL;
	auth += 7;
	while (*auth == ' ')
		auth++;
	if (!*auth || strlen(auth) > TOKEN_MAX_LEN)
		return NULL;
	return auth;
}

static const char *query_arg(const struct http_request *req, const char *key)
{
	return MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, key);
}

static const char *header_value(const struct http_request *req, const char *name)
{
	return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

static const char *last_event_id(struct MHD_Connection *conn)
{
	const char *v = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Last-Event-ID");

	return v && strlen(v) <= EVENT_ID_MAX_LEN ? v : NULL;
}

static int is_json_type(const char *ct)
{
	if (!ct || strncasecmp(ct, "application/json", 16))
		return 0;
	return ct[16] == '\0' || ct[16] == ';' || ct[16] == ' ';
}

/* Parses the body of a JSON route; fills res with an error if it cannot. */
static int parse_json_body(struct MHD_Connection *conn, struct request_state *rs,
			   struct http_request *req, struct http_response *res)
{
	const char *ct = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Type");
	json_error_t jerr;

	if (!is_json_type(ct)) {
		http_error(res, 415, "unsupported_media_type", "send the body as application/json");
		return -1;
	}
	req->json = json_loadb(rs->body.ptr, rs->body.len, JSON_REJECT_DUPLICATES, &jerr);
	if (!req->json) {
		if (json_error_code(&jerr) == json_error_invalid_utf8)
			http_error(res, 400, "invalid_utf8", "the body is not valid UTF-8");
		else
			http_error(res, 400, "invalid_json", jerr.text);
		return -1;
	}
	if (!json_is_object(req->json)) {
		http_error(res, 400, "invalid_json", "the body must be a JSON object");
		return -1;
	}
	return 0;
}

static void dispatch(struct http_server *srv, struct MHD_Connection *conn, const char *url,
		     const char *method, struct request_state *rs, struct http_response *res,
		     const char **allow_out, struct buf *allow)
{
	struct http_request req;
	const struct http_route *route;
	int found;

	memset(&req, 0, sizeof(req));
	req.method = method;
	req.path = url;
	found = http_router_find(srv->routes, method, url, &req, &route, allow);
	if (found == HTTP_ROUTER_BAD_METHOD) {
		http_error(res, 405, "method_not_allowed", "this address does not accept that method");
		*allow_out = allow->ptr;
		return;
	}
	if (found != HTTP_ROUTER_FOUND) {
		http_error(res, 404, "route_not_found", "no such address");
		return;
	}
	if (rs->too_big) {
		http_error(res, 413, "payload_too_large", (route->flags & HTTP_ROUTE_UPLOAD)
								  ? "the upload is larger than 5 MiB"
								  : "the body is larger than 16 KiB");
		return;
	}
	req.content_type = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Type");
	if (route->flags & (HTTP_ROUTE_UPLOAD | HTTP_ROUTE_RAW)) {
		req.body = rs->body.ptr;
		req.body_len = rs->body.len;
	}
	req.bearer = bearer_token(conn);
	req.last_event_id = last_event_id(conn);
	req.query = query_arg;
	req.header = header_value;
	req.conn = conn;
	if ((route->flags & HTTP_ROUTE_JSON) && parse_json_body(conn, rs, &req, res)) {
		json_decref(req.json);
		return;
	}
	route->fn(srv->ctx, &req, res);
	json_decref(req.json);
}

static void add_common_headers(struct MHD_Response *r, const struct http_response *res)
{
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(r, "Content-Security-Policy",
				"default-src 'self'; img-src 'self' data:; frame-ancestors 'self'; base-uri 'none'");
	MHD_add_response_header(r, "Cache-Control", res->cacheable ? "public, max-age=300" : "no-store");
}

static enum MHD_Result send_response(struct MHD_Connection *conn, struct http_response *res,
				     const char *allow, const char *origin)
{
	struct MHD_Response *r;
	enum MHD_Result ok;

	if (res->json) {
		char *text = json_dumps(res->json, JSON_COMPACT);
		size_t n = text ? strlen(text) : 0;

		r = MHD_create_response_from_buffer(n, text, MHD_RESPMEM_MUST_FREE);
		MHD_add_response_header(r, "Content-Type", "application/json; charset=utf-8");
	} else if (res->owned_body) {
		r = MHD_create_response_from_buffer(res->body_len, res->owned_body, MHD_RESPMEM_MUST_FREE);
		res->owned_body = NULL;
		if (r && res->content_type)
			MHD_add_response_header(r, "Content-Type", res->content_type);
	} else {
		r = MHD_create_response_from_buffer(res->body_len, (void *)res->body, MHD_RESPMEM_PERSISTENT);
		if (res->content_type)
			MHD_add_response_header(r, "Content-Type", res->content_type);
	}
	if (!r)
		return MHD_NO;
	add_common_headers(r, res);
	add_cors(r, origin);
	if (res->set_cookie[0])
		MHD_add_response_header(r, "Set-Cookie", res->set_cookie);
	if (allow)
		MHD_add_response_header(r, "Allow", allow);
	ok = MHD_queue_response(conn, (unsigned)res->status, r);
	MHD_destroy_response(r);
	return ok;
}

static void log_access(const char *method, int status, const struct timespec *start)
{
	struct timespec now;
	double ms;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (double)(now.tv_sec - start->tv_sec) * 1e3 + (double)(now.tv_nsec - start->tv_nsec) / 1e6;
	/* Paths carry conversation ids; method and status are enough here. */
	fprintf(stderr, "loket: http %s %d %.2fms\n", method, status, ms);
}

/* Sends a completed deferred response (the handler's second call). */
static enum MHD_Result send_deferred(struct http_server *srv, struct MHD_Connection *conn,
				     const char *method, struct request_state *rs)
{
	struct http_response res = {.status = 500};
	struct http_deferred *d = rs->deferred;
	enum MHD_Result ok;

	pthread_mutex_lock(&d->p.mu);
	if (!d->done) {
		/* woken before completion (cannot happen; be safe): sleep again */
		d->p.suspended = 1;
		MHD_suspend_connection(conn);
		pthread_mutex_unlock(&d->p.mu);
		return MHD_YES;
	}
	res.status = d->status;
	res.json = d->body;
	d->body = NULL;
	pthread_mutex_unlock(&d->p.mu);
	if (!res.json)
		http_error(&res, 500, "internal_error", "no response was produced");
	ok = send_response(conn, &res, NULL, rs->origin);
	if (srv->access_log)
		log_access(method, res.status, &rs->start);
	json_decref(res.json);
	return ok;
}

/* After the handler deferred its response: sleep until it is completed, or
 * send it at once when it already is. */
static enum MHD_Result park_deferred(struct http_server *srv, struct MHD_Connection *conn,
				     const char *method, struct request_state *rs)
{
	struct http_deferred *d = rs->deferred;
	int done;

	park_register(srv, &d->p, conn);
	pthread_mutex_lock(&d->p.mu);
	done = d->done;
	if (!done) {
		d->p.suspended = 1;
		MHD_suspend_connection(conn);
	}
	pthread_mutex_unlock(&d->p.mu);
	if (done)
		return send_deferred(srv, conn, method, rs);
	return MHD_YES;
}

/* A browser asks whether a page of another site may call us (CORS). */
static enum MHD_Result preflight(struct http_server *srv, struct MHD_Connection *conn,
				 struct request_state *rs)
{
	struct http_response res = {.status = 204, .body = "", .body_len = 0};
	struct MHD_Response *r;
	enum MHD_Result ok;

	if (!rs->origin) {
		http_error(&res, 403, "origin_not_allowed",
			   "this web site may not call the API (see channels.web.allowed_origins)");
		ok = send_response(conn, &res, NULL, NULL);
		json_decref(res.json);
		return ok;
	}
	r = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
	if (!r)
		return MHD_NO;
	add_cors(r, rs->origin);
	MHD_add_response_header(r, "Access-Control-Allow-Methods", "GET, POST, DELETE");
	MHD_add_response_header(r, "Access-Control-Allow-Headers",
				"Authorization, Content-Type, Last-Event-ID");
	MHD_add_response_header(r, "Access-Control-Max-Age", "600");
	MHD_add_response_header(r, "Cache-Control", "no-store");
	ok = MHD_queue_response(conn, 204, r);
	MHD_destroy_response(r);
	return ok;
}

/* How large a body the request's route takes. */
static size_t route_body_max(struct http_server *srv, const char *method, const char *url)
{
	struct http_request req;
	const struct http_route *route = NULL;
	struct buf allow;
	size_t max = HTTP_BODY_MAX;

	memset(&req, 0, sizeof(req));
	buf_init(&allow, 256);
	if (http_router_find(srv->routes, method, url, &req, &route, &allow) == HTTP_ROUTER_FOUND) {
		if (route->flags & HTTP_ROUTE_UPLOAD)
			max = HTTP_UPLOAD_MAX;
		else if (route->flags & HTTP_ROUTE_RAW)
			max = HTTP_WEBHOOK_MAX;
	}
	buf_release(&allow);
	return max;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version, const char *upload_data,
				  size_t *upload_data_size, void **con_cls)
{
	struct http_server *srv = cls;
	struct request_state *rs = *con_cls;
	struct http_response res = {.status = 200};
	const char *allow = NULL;
	struct buf allow_buf;
	enum MHD_Result ok;

	if (!rs) {
		const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Length");
		size_t max = route_body_max(srv, method, url);

		rs = xcalloc(1, sizeof(*rs));
		buf_init(&rs->body, max);
		clock_gettime(CLOCK_MONOTONIC, &rs->start);
		rs->origin = allowed_origin(srv, conn);
		*con_cls = rs;
		if (!strcmp(method, "OPTIONS"))
			return preflight(srv, conn, rs);
		if (cl && strtoull(cl, NULL, 10) > (max > DECLARED_BODY_REFUSE ? max : DECLARED_BODY_REFUSE)) {
			/* Refuse at once instead of reading a huge body. */
			http_error(&res, 413, "payload_too_large", "the body is too large");
			ok = send_response(conn, &res, NULL, NULL);
			json_decref(res.json);
			return ok;
		}
		return MHD_YES;
	}
	if (rs->deferred)
		return send_deferred(srv, conn, method, rs);
	if (*upload_data_size) {
		if (!rs->too_big && buf_add(&rs->body, upload_data, *upload_data_size))
			rs->too_big = 1;
		*upload_data_size = 0;
		return MHD_YES;
	}
	buf_init(&allow_buf, 256);
	dispatch(srv, conn, url, method, rs, &res, &allow, &allow_buf);
	if (res.deferred) {
		json_decref(res.json);
		buf_release(&allow_buf);
		rs->deferred = res.deferred;
		return park_deferred(srv, conn, method, rs);
	}
	if (res.stream.read) {
		json_decref(res.json);
		buf_release(&allow_buf);
		if (srv->access_log)
			log_access(method, res.status, &rs->start);
		return start_stream(srv, conn, &res, rs->origin);
	}
	ok = send_response(conn, &res, allow, rs->origin);
	if (srv->access_log)
		log_access(method, res.status, &rs->start);
	json_decref(res.json);
	buf_release(&allow_buf);
	return ok;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct request_state *rs = *con_cls;

	if (!rs)
		return;
	if (rs->deferred) {
		/* the connection is gone: a late completion must not touch it */
		pthread_mutex_lock(&rs->deferred->p.mu);
		rs->deferred->p.conn = NULL;
		rs->deferred->p.suspended = 0;
		pthread_mutex_unlock(&rs->deferred->p.mu);
		/* the registry is the server's: leave it while the server lives */
		park_unregister(&rs->deferred->p);
	}
	http_deferred_release(rs->deferred);
	buf_release(&rs->body);
	free(rs);
	*con_cls = NULL;
}

/* --- lifecycle --- */

static int parse_listen(const char *listen, struct sockaddr_storage *ss, socklen_t *len,
			struct lk_err *err)
{
	char host[128];
	const char *colon = strrchr(listen, ':');
	char *end;
	long port;
	size_t hlen;

	if (!colon)
		return lk_err_set(err, LK_EINVAL, "listen address '%s' must be HOST:PORT", listen);
	port = strtol(colon + 1, &end, 10);
	hlen = (size_t)(colon - listen);
	if (*end || port < 0 || port > 65535 || hlen == 0 || hlen >= sizeof(host))
		return lk_err_set(err, LK_EINVAL, "listen address '%s' must be HOST:PORT", listen);
	memcpy(host, listen, hlen);
	host[hlen] = '\0';
	memset(ss, 0, sizeof(*ss));
	if (host[0] == '[' && host[hlen - 1] == ']') {
		struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;

		host[hlen - 1] = '\0';
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons((uint16_t)port);
		if (inet_pton(AF_INET6, host + 1, &a6->sin6_addr) != 1)
			return lk_err_set(err, LK_EINVAL, "'%s' is not an IPv6 address", host + 1);
		*len = sizeof(*a6);
	} else {
		struct sockaddr_in *a4 = (struct sockaddr_in *)ss;

		a4->sin_family = AF_INET;
		a4->sin_port = htons((uint16_t)port);
		if (!strcmp(host, "localhost"))
			snprintf(host, sizeof(host), "127.0.0.1");
		if (inet_pton(AF_INET, host, &a4->sin_addr) != 1)
			return lk_err_set(err, LK_EINVAL, "'%s' is not an IPv4 address", host);
		*len = sizeof(*a4);
	}
	return 0;
}

int http_server_start(struct http_server **out, const struct http_server_opts *opts,
		      const struct http_route *routes, void *ctx, struct lk_err *err)
{
	struct http_server *srv;
	struct sockaddr_storage ss;
	socklen_t sslen;
	const union MHD_DaemonInfo *info;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME;
	unsigned threads = opts->threads ? opts->threads : 8;
	int rc;

	*out = NULL;
	rc = parse_listen(opts->listen, &ss, &sslen, err);
	if (rc)
		return rc;
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	srv = xcalloc(1, sizeof(*srv));
	pthread_mutex_init(&srv->mu, NULL);
	pthread_cond_init(&srv->tick, NULL);
	srv->routes = routes;
	srv->ctx = ctx;
	srv->origins = opts->allowed_origins;
	srv->access_log = opts->access_log;
	srv->ping_s = opts->ping_s ? opts->ping_s : PING_INTERVAL_S;
	srv->daemon = MHD_start_daemon(flags, 0, NULL, NULL, on_request, srv,
				       MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
				       MHD_OPTION_THREAD_POOL_SIZE, threads,
				       MHD_OPTION_CONNECTION_LIMIT,
				       opts->max_connections ? opts->max_connections : 16384u,
				       MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30,
				       MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)64 * 1024,
				       MHD_OPTION_LISTEN_BACKLOG_SIZE, (unsigned)1024,
				       MHD_OPTION_NOTIFY_COMPLETED, on_completed, srv,
				       MHD_OPTION_END);
	if (!srv->daemon) {
		pthread_mutex_destroy(&srv->mu);
		pthread_cond_destroy(&srv->tick);
		free(srv);
		return lk_err_set(err, LK_EIO, "cannot listen on %s (address in use, or not allowed?)",
				  opts->listen);
	}
	info = MHD_get_daemon_info(srv->daemon, MHD_DAEMON_INFO_LISTEN_FD);
	if (info) {
		struct sockaddr_storage bound;
		socklen_t blen = sizeof(bound);

		if (!getsockname(info->listen_fd, (struct sockaddr *)&bound, &blen))
			srv->port = ntohs(bound.ss_family == AF_INET6
						  ? ((struct sockaddr_in6 *)&bound)->sin6_port
						  : ((struct sockaddr_in *)&bound)->sin_port);
	}
	if (pthread_create(&srv->pinger, NULL, pinger_main, srv) == 0)
		srv->pinger_started = 1;
	*out = srv;
	return 0;
}

unsigned http_server_port(const struct http_server *srv)
{
	return srv->port;
}

/* Ends every stream and answers every deferred response with 503, so no
 * connection is suspended when the daemon stops. */
static void wake_all_parked(struct http_server *srv)
{
	pthread_mutex_lock(&srv->mu);
	for (struct parked *p = srv->parked; p; p = p->next) {
		pthread_mutex_lock(&p->mu);
		if (p->suspended) {
			p->suspended = 0;
			MHD_resume_connection(p->conn);
		}
		pthread_mutex_unlock(&p->mu);
	}
	pthread_mutex_unlock(&srv->mu);
}

static void end_all_parked(struct http_server *srv)
{
	pthread_mutex_lock(&srv->mu);
	for (struct parked *p = srv->parked; p; p = p->next) {
		pthread_mutex_lock(&p->mu);
		if (p->is_stream) {
			((struct http_stream *)p)->ended = 1;
		} else {
			struct http_deferred *d = (struct http_deferred *)p;

			if (!d->done) {
				struct http_response res = {0};

				http_error(&res, 503, "shutting_down",
					   "De server stopt. Probeer het zo opnieuw. / The server is stopping; try again shortly.");
				d->done = 1;
				d->status = 503;
				d->body = res.json;
			}
		}
		pthread_mutex_unlock(&p->mu);
	}
	pthread_mutex_unlock(&srv->mu);
}

void http_server_stop(struct http_server *srv)
{
	struct timespec grace = {0, STOP_GRACE_MS * 1000000L};

	if (!srv)
		return;
	pthread_mutex_lock(&srv->mu);
	srv->stopping = 1;
	pthread_cond_broadcast(&srv->tick);
	pthread_mutex_unlock(&srv->mu);
	if (srv->pinger_started)
		pthread_join(srv->pinger, NULL);
	{
		MHD_socket fd = MHD_quiesce_daemon(srv->daemon);

		if (fd != MHD_INVALID_SOCKET)
			close(fd);
	}
	end_all_parked(srv);
	wake_all_parked(srv);
	nanosleep(&grace, NULL);
	wake_all_parked(srv);
	MHD_stop_daemon(srv->daemon);
	pthread_mutex_destroy(&srv->mu);
	pthread_cond_destroy(&srv->tick);
	free(srv);
}
