/* bench_sse.c - many open event streams on one `loket serve` (bench/sse/run.sh runs it).
 * One epoll loop, non-blocking sockets, no threads. It creates N conversations over a few
 * keep-alive connections, reads Loket's VmRSS, opens N event streams (GET
 * /api/v1/conversations/{id}/events, one socket each, kept open), reads VmRSS again (the
 * difference over N is the memory one open stream costs), then posts a short text to every
 * conversation over P keep-alive connections and times, per conversation, the way from sending
 * the POST to the `event: message` carrying the bot's reply on that conversation's stream. The
 * reply's seq on the stream must be the one the POST answered with. Then, with that load gone,
 * it posts a second message to some conversations one at a time (the latency without queueing)
 * and at last closes every stream and waits for Loket to notice. Prints counts, RSS and latency
 * percentiles; exits 3 when a stream did not open or did not get its message.
 * Needs libc and jansson only (sockets, HTTP and SSE: bench/common/bench_net.c); timings are
 * printed, never judged.
 */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "bench_net.h"

#define MAX_STREAMS 100000
#define MAX_CTL 512			/* keep-alive connections for creating and posting */
#define ID_MAX 64			/* a conversation id (Loket: 32 hex digits) */
#define TOKEN_MAX 160			/* its token (Loket: 64 hex digits) */
#define WBUF_MAX 768			/* one request */
#define RAW_MAX (1024 * 1024)		/* bytes received and not decoded yet, per connection */
#define BODY_MAX (1024 * 1024)		/* one JSON answer or the metrics page */
#define SSE_MAX (256 * 1024)		/* one SSE line or one event's data */
#define READ_CHUNK 65536
#define SETTLE_S 1.0			/* quiet time before RSS is read */
#define OPEN_TIMEOUT_S 30.0		/* one stream's response headers */
#define TEXT_MAX 1000
#define CLOSE_WAIT_S 45.0		/* for Loket to notice closed streams */

/* ---- options ---- */

struct options {
	char host[64];
	int port;
	long pid;
	int streams;
	int creators;		/* connections creating conversations */
	int posters;		/* connections posting the messages */
	int opening;		/* streams being opened at once */
	double timeout_s;	/* for the deliveries after the last POST was answered */
	int one_by_one;		/* conversations that get a second message, one at a time */
	char text[TEXT_MAX];
	bool verbose;
};

static struct options g_opt = {
	.host = "127.0.0.1", .port = 8080, .pid = 0, .streams = 1000, .creators = 8,
	.posters = 64, .opening = 128, .timeout_s = 30.0, .one_by_one = 1000, .text = "hallo",
};

static void usage(void)
{
	fprintf(stderr,
		"usage: bench_sse --loket HOST:PORT [--pid PID] [-n STREAMS] [--posters P]\n"
		"                 [--creators C] [--opening K] [--timeout-s S] [--one-by-one M]\n"
		"                 [--text TEXT] [-v]\n"
		"  -n STREAMS     conversations and event streams (default 1000)\n"
		"  --pid PID      loket serve's process, for its RSS and CPU time\n"
		"  --posters P    keep-alive connections posting the messages (default 64)\n"
		"  --creators C   keep-alive connections creating the conversations (default 8)\n"
		"  --opening K    streams being opened at once (default 128)\n"
		"  --timeout-s S  wait for deliveries after the last POST was answered (default 30)\n"
		"  --one-by-one M then post a second message to M of the conversations (spread\n"
		"                 over all), one at a time, for the latency without queueing\n"
		"                 (default 1000; 0: skip)\n"
		"  --text TEXT    the message posted to every conversation (default \"hallo\";\n"
		"                 plain text, no quotes or backslashes)\n");
	exit(2);
}

static void parse_options(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"loket", required_argument, NULL, 'l'},
		{"pid", required_argument, NULL, 'p'},
		{"posters", required_argument, NULL, 'P'},
		{"creators", required_argument, NULL, 'C'},
		{"opening", required_argument, NULL, 'K'},
		{"timeout-s", required_argument, NULL, 't'},
		{"text", required_argument, NULL, 'T'},
		{"one-by-one", required_argument, NULL, 'O'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	bool have_loket = false;
	int opt;

	while ((opt = getopt_long(argc, argv, "n:vh", longopts, NULL)) != -1) {
		switch (opt) {
		case 'l':
			bench_parse_hostport(optarg, g_opt.host, sizeof(g_opt.host), &g_opt.port,
					     "--loket");
			have_loket = true;
			break;
		case 'p': g_opt.pid = bench_parse_long(optarg, 1, 1L << 30, "--pid"); break;
		case 'n': g_opt.streams = (int)bench_parse_long(optarg, 1, MAX_STREAMS, "-n"); break;
		case 'P': g_opt.posters = (int)bench_parse_long(optarg, 1, MAX_CTL, "--posters"); break;
		case 'C': g_opt.creators = (int)bench_parse_long(optarg, 1, MAX_CTL, "--creators"); break;
		case 'K': g_opt.opening = (int)bench_parse_long(optarg, 1, MAX_STREAMS, "--opening"); break;
		case 't': g_opt.timeout_s = (double)bench_parse_long(optarg, 1, 3600, "--timeout-s"); break;
		case 'T':
			if (strlen(optarg) >= sizeof(g_opt.text) || !*optarg || strpbrk(optarg, "\"\\"))
				bench_die("--text must be 1 to %d bytes without quotes or backslashes", TEXT_MAX - 1);
			snprintf(g_opt.text, sizeof(g_opt.text), "%s", optarg);
			break;
		case 'O':
			g_opt.one_by_one = (int)bench_parse_long(optarg, 0, MAX_STREAMS, "--one-by-one");
			break;
		case 'v': g_opt.verbose = true; break;
		default: usage();
		}
	}
	if (!have_loket || optind != argc)
		usage();
}

/* ---- state ---- */

enum job { JOB_NONE, JOB_CREATE, JOB_POST, JOB_METRICS };
enum phase { PH_CREATE, PH_OPEN, PH_POST, PH_IDLE };

struct conv;

/* One HTTP/1.1 connection: a keep-alive control connection, or an event stream. */
struct conn {
	bool is_stream;
	int fd;
	bool connecting;
	char wbuf[WBUF_MAX];
	size_t wlen, woff;
	struct bench_buf raw;	/* received, not decoded yet */
	size_t got;		/* bytes received for the current request */
	int resends;		/* of the current request (the server closed an idle connection) */
	double read_at;		/* when the bytes being decoded were read */
	struct bench_http_resp resp;	/* the response being decoded */
	struct bench_buf body;	/* control connections */
	/* control connections */
	enum job job;
	struct conv *conv;	/* the conversation of JOB_CREATE / JOB_POST */
	double sent_at;
	struct bench_sse sse;	/* event streams */
};

struct conv {
	char id[ID_MAX];
	char token[TOKEN_MAX];
	struct conn *stream;
	bool open, failed, lost;
	double post_at, acked_at, delivered_at;
	int post_status;
	long delivered_seq;	/* of the bot's first message on the stream after the POST */
	long reply_seq;		/* of the first bot message in the POST's answer, or -1 */
	unsigned early;		/* bot messages on the stream before the POST */
};

static struct {
	enum phase phase;
	struct conv *convs;
	int n;
	struct conn ctl[MAX_CTL];
	struct conn metrics;
	long metrics_streams;	/* loket_event_streams from the last metrics page */
	bool metrics_done;
	int next_create, created;
	int next_open, opening, opened, open_failed, lost;
	int *post_list, post_count;	/* the conversations of this posting round */
	int next_post, posted, acked, non_200, delivered, mismatched, post_failed;
	double last_ack;
	unsigned long early, pings;
	int errors_shown;
} g;

static int g_epoll = -1;

static void note(const char *fmt, ...)
{
	va_list ap;

	if (g.errors_shown++ >= 10 && !g_opt.verbose)
		return;
	fputs("bench_sse: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* ---- connections ---- */

static void conn_init(struct conn *c, bool is_stream)
{
	c->fd = -1;
	c->is_stream = is_stream;
	bench_buf_init(&c->raw, RAW_MAX);
	bench_buf_init(&c->body, BODY_MAX);
	bench_sse_init(&c->sse, SSE_MAX);
}

static void watch(struct conn *c, uint32_t events, int op)
{
	bench_watch(g_epoll, c->fd, c, events, op);
}

static int conn_connect(struct conn *c)
{
	const char *what = "connect";

	c->fd = bench_connect(g_opt.host, g_opt.port, &what);
	if (c->fd < 0) {
		note("%s: %s", what, strerror(errno));
		return -1;
	}
	c->connecting = true;
	watch(c, EPOLLOUT, EPOLL_CTL_ADD);
	return 0;
}

static void conn_close(struct conn *c)
{
	if (c->fd >= 0)
		close(c->fd);	/* (leaves the epoll set with it) */
	c->fd = -1;
	c->connecting = false;
	bench_buf_free(&c->raw);
	bench_buf_free(&c->body);
	bench_sse_free(&c->sse);
}

/* Queues one request, connecting first when needed. body NULL: a GET. */
static int conn_request(struct conn *c, const char *method, const char *path, const char *token,
			const char *body)
{
	int n = bench_http_format(c->wbuf, sizeof(c->wbuf), method, path, g_opt.host, g_opt.port,
				  token, c->is_stream ? "Accept: text/event-stream\r\n" : NULL, body);

	if (n < 0)
		bench_die("a request does not fit %d bytes", WBUF_MAX);
	c->wlen = (size_t)n;
	c->woff = 0;
	c->got = 0;
	c->resends = 0;
	bench_http_reset(&c->resp);
	bench_buf_free(&c->body);
	c->sent_at = bench_now();
	if (c->fd < 0)
		return conn_connect(c);
	if (c->connecting)
		return 0;
	/* Connected: write at once rather than after another epoll_wait; what does not fit
	 * (or fails) is left to the loop. */
	bench_write_some(c->fd, c->wbuf, c->wlen, &c->woff);
	watch(c, c->woff < c->wlen ? EPOLLOUT : EPOLLIN | EPOLLRDHUP, EPOLL_CTL_MOD);
	return 0;
}

/* ---- SSE ---- */

static void on_stream_message(struct conn *s, const char *data, size_t len)
{
	struct conv *cv = s->conv;
	json_error_t jerr;
	json_t *m = json_loadb(data, len, 0, &jerr);
	const char *role = json_string_value(json_object_get(m, "role"));
	json_int_t seq = json_integer_value(json_object_get(m, "seq"));

	if (!m || !role) {
		note("conversation %s: an event: message that is not a message: %.200s", cv->id,
		     data);
		json_decref(m);
		return;
	}
	if (!strcmp(role, "bot")) {
		if (cv->post_at <= 0.0) {
			cv->early++;
			g.early++;
		} else if (cv->delivered_at <= 0.0) {
			cv->delivered_at = s->read_at;
			cv->delivered_seq = (long)seq;
			g.delivered++;
			if (cv->reply_seq >= 0 && cv->reply_seq != cv->delivered_seq)
				g.mismatched++;
		}
	}
	json_decref(m);
}

static int on_stream_event(void *ctx, const char *event, const char *data, size_t len)
{
	if (!strcmp(event, "message"))
		on_stream_message(ctx, data, len);
	return 0;
}

static void on_stream_comment(void *ctx)
{
	(void)ctx;
	g.pings++;
}

/* ---- HTTP responses ---- */

/* The body bytes of a response: to the SSE parser (streams) or c->body. */
static int conn_sink(void *ctx, const char *p, size_t len)
{
	struct conn *c = ctx;

	if (c->is_stream)
		return bench_sse_feed(&c->sse, p, len, on_stream_event, on_stream_comment, c) < 0
			       ? -1 : 0;
	return bench_buf_append(&c->body, p, len);
}

/* Decodes c->raw. Body bytes go to the SSE parser (streams) or c->body. Returns 0 (maybe
 * needing more), 1 when a control response is complete, 2 when a stream's headers arrived
 * (the rest stays in c->raw for the next call), -1 when the bytes cannot be understood. */
static int conn_decode(struct conn *c, bool eof)
{
	size_t used = 0;
	int rc;

	if (!c->resp.headers_done) {
		rc = bench_http_resp_head(&c->resp, c->raw.ptr, c->raw.len, 64 * 1024, BODY_MAX, eof,
					  &used);
		if (rc <= 0)
			return rc;
		bench_buf_consume(&c->raw, used);
		if (c->is_stream)
			return 2;
	}
	rc = bench_http_resp_body(&c->resp, c->raw.ptr, c->raw.len, RAW_MAX, eof, &used, conn_sink,
				  c);
	if (rc >= 0)
		bench_buf_consume(&c->raw, used);
	return rc;
}

/* ---- the work ---- */

static void pump(void);
static void ctl_next(struct conn *c);

static void stream_failed(struct conn *s, const char *why)
{
	struct conv *cv = s->conv;

	if (cv->open) {
		cv->lost = true;
		g.lost++;
		note("conversation %s: its event stream ended: %s", cv->id, why);
	} else if (!cv->failed) {
		cv->failed = true;
		g.open_failed++;
		g.opening--;
		note("conversation %s: the event stream did not open: %s", cv->id, why);
	}
	conn_close(s);
	pump();
}

static void stream_open(struct conv *cv)
{
	char path[160];
	struct conn *s = bench_calloc(1, sizeof(*s));

	conn_init(s, true);
	s->conv = cv;
	cv->stream = s;
	snprintf(path, sizeof(path), "/api/v1/conversations/%s/events", cv->id);
	g.opening++;
	if (conn_request(s, "GET", path, cv->token, NULL) != 0) {
		cv->failed = true;
		g.open_failed++;
		g.opening--;
	}
}

/* The headers of a stream's response arrived. */
static void stream_headers(struct conn *s)
{
	struct conv *cv = s->conv;

	if (s->resp.status != 200) {
		char why[64];

		snprintf(why, sizeof(why), "status %d", s->resp.status);
		stream_failed(s, why);
		return;
	}
	cv->open = true;
	g.opening--;
	g.opened++;
	pump();
}

static void on_created(struct conn *c)
{
	struct conv *cv = c->conv;
	json_error_t jerr;
	json_t *o = c->resp.status == 201 ? json_loadb(c->body.ptr ? c->body.ptr : "", c->body.len, 0, &jerr)
				     : NULL;
	const char *id = json_string_value(json_object_get(o, "id"));
	const char *token = json_string_value(json_object_get(o, "token"));

	if (!id || !token || strlen(id) >= sizeof(cv->id) || strlen(token) >= sizeof(cv->token) ||
	    strspn(id, "0123456789abcdefABCDEF-_") != strlen(id))
		bench_die("creating a conversation failed (status %d): %.300s", c->resp.status,
		    c->body.ptr ? c->body.ptr : "");
	snprintf(cv->id, sizeof(cv->id), "%s", id);
	snprintf(cv->token, sizeof(cv->token), "%s", token);
	json_decref(o);
	g.created++;
}

static void on_posted(struct conn *c)
{
	struct conv *cv = c->conv;
	json_error_t jerr;
	json_t *o, *m;
	size_t i;

	cv->acked_at = c->read_at;
	cv->post_status = c->resp.status;
	g.acked++;
	g.last_ack = c->read_at;
	if (c->resp.status != 200) {
		g.non_200++;
		note("conversation %s: the POST got status %d: %.200s", cv->id, c->resp.status,
		     c->body.ptr ? c->body.ptr : "");
		return;
	}
	o = json_loadb(c->body.ptr ? c->body.ptr : "", c->body.len, 0, &jerr);
	json_array_foreach(json_object_get(o, "messages"), i, m) {
		const char *role = json_string_value(json_object_get(m, "role"));

		if (role && !strcmp(role, "bot")) {
			cv->reply_seq = (long)json_integer_value(json_object_get(m, "seq"));
			break;
		}
	}
	json_decref(o);
	if (cv->reply_seq < 0)
		note("conversation %s: the POST's answer has no bot message", cv->id);
	else if (cv->delivered_at > 0.0 && cv->delivered_seq != cv->reply_seq)
		g.mismatched++;
}

static void on_metrics(struct conn *c)
{
	const char *p = c->body.ptr;

	g.metrics_streams = -1;
	while (p && *p) {
		if (!strncmp(p, "loket_event_streams ", 20)) {
			g.metrics_streams = strtol(p + 20, NULL, 10);
			break;
		}
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	g.metrics_done = true;
}

/* A control connection's response is complete. */
static void ctl_response(struct conn *c)
{
	enum job job = c->job;

	c->job = JOB_NONE;
	if (job == JOB_CREATE)
		on_created(c);
	else if (job == JOB_POST)
		on_posted(c);
	else if (job == JOB_METRICS)
		on_metrics(c);
	c->conv = NULL;
	if (c->resp.framing == BENCH_FR_CLOSE)
		conn_close(c);
	if (c != &g.metrics)
		ctl_next(c);
}

/* The server closed a control connection. A request it had not answered at all is sent again
 * once on a new connection (the idle keep-alive timeout can meet a new request). */
static void ctl_failed(struct conn *c, const char *why)
{
	bool retry = c->job != JOB_NONE && c->got == 0 && c->resends == 0;

	conn_close(c);
	if (c->job == JOB_NONE)
		return;
	if (retry) {
		c->resends = 1;
		c->woff = 0;
		if (conn_connect(c) == 0)
			return;
	}
	note("a request on a control connection failed: %s", why);
	if (c->job == JOB_CREATE)
		bench_die("creating a conversation failed");
	if (c->job == JOB_POST) {
		c->conv->post_status = -1;
		g.acked++;
		g.post_failed++;
	}
	if (c->job == JOB_METRICS)
		g.metrics_done = true;
	c->job = JOB_NONE;
	c->conv = NULL;
	if (c != &g.metrics)
		ctl_next(c);
}

/* Gives an idle control connection its next request for the current phase. */
static void ctl_next(struct conn *c)
{
	char path[160], body[TEXT_MAX + 32];

	if (g.phase == PH_CREATE && g.next_create < g.n) {
		c->job = JOB_CREATE;
		c->conv = &g.convs[g.next_create++];
		if (conn_request(c, "POST", "/api/v1/conversations", NULL,
				 "{\"lang\":\"nl\",\"channel\":\"web\"}"))
			bench_die("cannot connect to loket");
		return;
	}
	while (g.phase == PH_POST && g.next_post < g.post_count) {
		struct conv *cv = &g.convs[g.post_list[g.next_post++]];

		if (!cv->open || cv->lost)
			continue;
		c->job = JOB_POST;
		c->conv = cv;
		snprintf(path, sizeof(path), "/api/v1/conversations/%s/messages", cv->id);
		snprintf(body, sizeof(body), "{\"text\":\"%s\"}", g_opt.text);
		if (conn_request(c, "POST", path, cv->token, body))
			bench_die("cannot connect to loket");
		cv->post_at = c->sent_at;
		g.posted++;
		return;
	}
}

/* Starts work that waits for room: streams to open. */
static void pump(void)
{
	while (g.phase == PH_OPEN && g.opening < g_opt.opening && g.next_open < g.n)
		stream_open(&g.convs[g.next_open++]);
}

static void on_readable(struct conn *c)
{
	static char chunk[READ_CHUNK];
	bool eof = false;
	int rc;

	for (;;) {
		ssize_t n = read(c->fd, chunk, sizeof(chunk));

		if (n > 0) {
			c->got += (size_t)n;
			if (bench_buf_append(&c->raw, chunk, (size_t)n)) {
				if (c->is_stream)
					stream_failed(c, "too many undecoded bytes");
				else
					ctl_failed(c, "too many undecoded bytes");
				return;
			}
			if ((size_t)n < sizeof(chunk))
				break;
			continue;
		}
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n < 0 && errno == EINTR)
			continue;
		eof = true;
		break;
	}
	c->read_at = bench_now();
	rc = conn_decode(c, eof);
	if (rc == 2) {		/* a stream's headers */
		stream_headers(c);
		if (c->fd < 0)
			return;
		rc = conn_decode(c, eof);
	}
	if (rc < 0) {
		if (c->is_stream)
			stream_failed(c, "a response that cannot be decoded");
		else
			ctl_failed(c, "a response that cannot be decoded");
		return;
	}
	if (rc == 1 && c->is_stream) {
		stream_failed(c, "the server ended the stream");
		return;
	}
	if (rc == 1) {
		bool was_eof = eof && c->resp.framing == BENCH_FR_CLOSE;

		ctl_response(c);
		if (was_eof)
			return;
	}
	if (eof && c->fd >= 0) {
		if (c->is_stream)
			stream_failed(c, c->resp.headers_done ? "the server closed it"
							 : "closed before the headers");
		else
			ctl_failed(c, "the server closed the connection");
	}
}

static void on_writable(struct conn *c)
{
	int rc = bench_write_some(c->fd, c->wbuf, c->wlen, &c->woff);

	if (rc == 0)
		return;
	if (rc < 0) {
		if (c->is_stream)
			stream_failed(c, strerror(errno));
		else
			ctl_failed(c, strerror(errno));
		return;
	}
	watch(c, EPOLLIN | EPOLLRDHUP, EPOLL_CTL_MOD);
}

static void on_event(struct conn *c, uint32_t events)
{
	if (c->connecting) {
		int err = bench_connect_error(c->fd);

		if (err) {
			if (c->is_stream)
				stream_failed(c, strerror(err));
			else
				ctl_failed(c, strerror(err));
			return;
		}
		c->connecting = false;
	}
	if (events & (EPOLLIN | EPOLLHUP | EPOLLERR | EPOLLRDHUP)) {
		on_readable(c);
		if (c->fd < 0)
			return;
	}
	if ((events & EPOLLOUT) && c->woff < c->wlen)
		on_writable(c);
}

/* Streams whose headers never came: failed after OPEN_TIMEOUT_S. */
static void expire_opening(void)
{
	double now = bench_now();

	for (int i = 0; i < g.next_open; i++) {
		struct conv *cv = &g.convs[i];

		if (!cv->open && !cv->failed && cv->stream && cv->stream->fd >= 0 &&
		    now - cv->stream->sent_at > OPEN_TIMEOUT_S)
			stream_failed(cv->stream, "no response headers in time");
	}
}

/* Runs the event loop until done() or the deadline. Returns true when done. */
static bool run_until(bool (*done)(void), double deadline)
{
	static struct epoll_event evs[1024];
	double last_expire = bench_now();

	for (;;) {
		double now = bench_now();
		int n, ms;

		if (done && done())
			return true;
		if (now >= deadline)
			return false;
		ms = (int)((deadline - now) * 1000.0) + 1;
		if (ms > 100)
			ms = 100;
		n = epoll_wait(g_epoll, evs, 1024, ms);
		if (n < 0 && errno != EINTR)
			bench_die("epoll_wait: %s", strerror(errno));
		for (int i = 0; i < n; i++)
			on_event(evs[i].data.ptr, evs[i].events);
		if (g.phase == PH_OPEN && bench_now() - last_expire > 1.0) {
			expire_opening();
			last_expire = bench_now();
		}
	}
}

static bool all_created(void)
{
	return g.created == g.n;
}

static bool all_opened(void)
{
	return g.next_open == g.n && g.opening == 0;
}

static bool all_delivered(void)
{
	return g.next_post == g.post_count && g.acked == g.posted &&
	       g.delivered >= g.posted - g.post_failed - g.non_200;
}

static bool metrics_answered(void)
{
	return g.metrics_done;
}

/* loket_event_streams from /metrics, or -1. */
static long read_metrics(void)
{
	g.metrics_done = false;
	g.metrics_streams = -1;
	g.metrics.job = JOB_METRICS;
	if (conn_request(&g.metrics, "GET", "/metrics", NULL, NULL))
		bench_die("cannot connect to loket");
	run_until(metrics_answered, bench_now() + 10.0);
	return g.metrics_done ? g.metrics_streams : -1;
}

/* ---- report ---- */

static void print_pcts(const char *label, double *v, size_t n, const char *how)
{
	bench_sort_doubles(v, n);
	printf("%-26sp50 %.2f ms, p90 %.2f ms, p99 %.2f ms, max %.2f ms (%zu samples; %s)\n", label,
	       bench_pct(v, n, 50) * 1e3, bench_pct(v, n, 90) * 1e3, bench_pct(v, n, 99) * 1e3,
	       bench_pct(v, n, 100) * 1e3, n, how);
}

static double mb(long kb)
{
	return kb < 0 ? -1.0 : (double)kb / 1024.0;
}

static void raise_fd_limit(int need)
{
	unsigned long long limit = bench_raise_nofile();

	if (limit && limit < (unsigned long long)need)
		bench_die("%d streams need about %d descriptors; the limit is %llu (raise it with ulimit -n)",
			  g.n, need, limit);
}

/* Posts the text to the conversations in list over `connections` connections and prints the
 * deliveries and latencies, labels prefixed with label. True when every open stream in the
 * list got its reply, with the seq the POST answered with. */
static bool post_round(const char *label, int *list, int count, int connections)
{
	double t0, t1, cpu_l0, cpu_b0, *lat, *ack;
	size_t n_lat = 0, n_ack = 0;
	char name[64];
	int want = 0;

	for (int i = 0; i < count; i++) {
		struct conv *cv = &g.convs[list[i]];

		cv->post_at = cv->acked_at = cv->delivered_at = 0.0;
		cv->post_status = 0;
		cv->reply_seq = cv->delivered_seq = -1;
		want += cv->open && !cv->lost;
	}
	g.post_list = list;
	g.post_count = count;
	g.next_post = g.posted = g.acked = g.non_200 = g.delivered = g.mismatched = g.post_failed = 0;
	cpu_l0 = bench_proc_cpu_s(g_opt.pid);
	cpu_b0 = bench_proc_cpu_s(0);
	t0 = bench_now();
	g.phase = PH_POST;
	for (int i = 0; i < connections; i++)
		ctl_next(&g.ctl[i]);
	/* Gives up timeout_s after the last progress: the last POST answered. */
	g.last_ack = t0;
	while (!all_delivered()) {
		double deadline = g.last_ack + g_opt.timeout_s;

		if (bench_now() >= deadline)
			break;
		run_until(all_delivered, bench_now() + 1.0 < deadline ? bench_now() + 1.0 : deadline);
	}
	t1 = bench_now();
	g.phase = PH_IDLE;

	lat = bench_calloc((size_t)count, sizeof(*lat));
	ack = bench_calloc((size_t)count, sizeof(*ack));
	for (int i = 0; i < count; i++) {
		struct conv *cv = &g.convs[list[i]];

		if (cv->post_at > 0.0 && cv->delivered_at > 0.0)
			lat[n_lat++] = cv->delivered_at - cv->post_at;
		if (cv->post_at > 0.0 && cv->acked_at > 0.0 && cv->post_status == 200)
			ack[n_ack++] = cv->acked_at - cv->post_at;
	}
	snprintf(name, sizeof(name), "%sdelivered:", label);
	printf("%-26s%d of %d streams got the bot's reply as event: message (%d posted, %d non-200, "
	       "%d failed, %d wrong seq, %d streams lost, %lu early bot messages)\n", name,
	       g.delivered, count, g.posted, g.non_200, g.post_failed, g.mismatched, g.lost, g.early);
	snprintf(name, sizeof(name), "%sdelivery time:", label);
	printf("%-26s%d messages in %.2f s (%.0f/s) over %d connection%s\n", name, g.posted, t1 - t0,
	       g.posted / (t1 - t0), connections, connections == 1 ? "" : "s");
	snprintf(name, sizeof(name), "%sdelivery latency:", label);
	print_pcts(name, lat, n_lat, "POST sent -> reply event read on its stream");
	snprintf(name, sizeof(name), "%sPOST latency:", label);
	print_pcts(name, ack, n_ack, "POST sent -> 200 read");
	if (cpu_l0 >= 0)
		printf("%-26sloket %.2f s, bench_sse %.2f s\n", label[0] ? "cpu:" : "cpu while posting:",
		       bench_proc_cpu_s(g_opt.pid) - cpu_l0, bench_proc_cpu_s(0) - cpu_b0);
	fflush(stdout);
	free(lat);
	free(ack);
	return g.delivered == want && want == count && g.mismatched == 0;
}

int main(int argc, char **argv)
{
	double t0, t_created, t_opened;
	long rss_before, rss_open, rss_after, hwm, streams_before, streams_open, streams_closed = -1;
	long rss_closed = -1;
	int n_ctl, *order;
	bool ok;

	bench_prog = "bench_sse";
	parse_options(argc, argv);
	g.n = g_opt.streams;
	raise_fd_limit(g.n + g_opt.posters + g_opt.creators + 64);
	g_epoll = epoll_create1(EPOLL_CLOEXEC);
	if (g_epoll < 0)
		bench_die("epoll_create1: %s", strerror(errno));
	g.convs = bench_calloc((size_t)g.n, sizeof(*g.convs));
	order = bench_calloc((size_t)g.n, sizeof(*order));
	for (int i = 0; i < g.n; i++)
		g.convs[i].reply_seq = -1;
	n_ctl = g_opt.posters > g_opt.creators ? g_opt.posters : g_opt.creators;
	for (int i = 0; i < n_ctl; i++)
		conn_init(&g.ctl[i], false);
	conn_init(&g.metrics, false);

	printf("== %d event streams on loket serve at %s:%d (pid %ld), %ld cores; posting \"%s\" over %d "
	       "connections\n", g.n, g_opt.host, g_opt.port, g_opt.pid, sysconf(_SC_NPROCESSORS_ONLN),
	       g_opt.text, g_opt.posters);
	fflush(stdout);

	/* 1. conversations */
	t0 = bench_now();
	g.phase = PH_CREATE;
	for (int i = 0; i < g_opt.creators && i < g.n; i++)
		ctl_next(&g.ctl[i]);
	if (!run_until(all_created, t0 + 600.0))
		bench_die("only %d of %d conversations were created in 600 s", g.created, g.n);
	t_created = bench_now();
	g.phase = PH_IDLE;
	printf("created:                  %d conversations in %.2f s (%.0f/s)\n", g.created, t_created - t0,
	       g.created / (t_created - t0));

	/* 2. RSS before, then all streams open, then RSS again */
	run_until(NULL, bench_now() + SETTLE_S);
	streams_before = read_metrics();
	rss_before = bench_proc_status(g_opt.pid, "VmRSS");
	t0 = bench_now();
	g.phase = PH_OPEN;
	pump();
	run_until(all_opened, t0 + 600.0);
	t_opened = bench_now();
	g.phase = PH_IDLE;
	run_until(NULL, bench_now() + SETTLE_S);
	streams_open = read_metrics();
	rss_open = bench_proc_status(g_opt.pid, "VmRSS");
	printf("opened:                   %d of %d streams in %.2f s (%d failed; loket_event_streams %ld before, "
	       "%ld now)\n", g.opened, g.n, t_opened - t0, g.open_failed, streams_before, streams_open);
	if (rss_before > 0 && rss_open > 0 && g.opened > 0)
		printf("loket RSS:                %.1f MB before, %.1f MB with %d streams open: %.2f KB per open "
		       "stream\n", mb(rss_before), mb(rss_open), g.opened,
		       (double)(rss_open - rss_before) / g.opened);
	else
		printf("loket RSS:                unknown (no --pid, or /proc unreadable)\n");
	fflush(stdout);

	/* 3. a message to every conversation over P connections, then (with the load gone) a
	 * second message to some of them, one at a time */
	for (int i = 0; i < g.n; i++)
		order[i] = i;
	ok = post_round("", order, g.n, g_opt.posters);
	if (g_opt.one_by_one > 0) {
		int m = g_opt.one_by_one < g.n ? g_opt.one_by_one : g.n;

		for (int i = 0; i < m; i++)
			order[i] = (int)((long)i * g.n / m);
		printf("-- a second message to %d of the conversations, one at a time\n", m);
		post_round("1-by-1 ", order, m, 1);
	}
	rss_after = bench_proc_status(g_opt.pid, "VmRSS");
	hwm = bench_proc_status(g_opt.pid, "VmHWM");
	if (rss_after > 0)
		printf("loket RSS after:          %.1f MB (peak VmHWM %.1f MB, %ld threads); bench_sse %.1f MB\n",
		       mb(rss_after), mb(hwm), bench_proc_status(g_opt.pid, "Threads"),
		       mb(bench_proc_status((long)getpid(), "VmRSS")));
	fflush(stdout);

	/* 4. close every stream: does Loket notice and give the memory back? A suspended stream
	 * is only written to by the 15 s ping, and the second write after the close fails. */
	for (int i = 0; i < g.n; i++)
		if (g.convs[i].stream && g.convs[i].stream->fd >= 0)
			conn_close(g.convs[i].stream);
	t0 = bench_now();
	while (bench_now() - t0 < CLOSE_WAIT_S) {
		run_until(NULL, bench_now() + 0.5);
		streams_closed = read_metrics();
		if (streams_closed == 0)
			break;
	}
	rss_closed = bench_proc_status(g_opt.pid, "VmRSS");
	printf("streams closed:           by the client; loket_event_streams %ld after %.1f s, loket RSS %.1f MB\n",
	       streams_closed, bench_now() - t0, mb(rss_closed));

	for (int i = 0; i < g.n; i++) {
		if (g.convs[i].stream) {
			conn_close(g.convs[i].stream);
			free(g.convs[i].stream);
		}
	}
	for (int i = 0; i < n_ctl; i++)
		conn_close(&g.ctl[i]);
	conn_close(&g.metrics);
	free(order);
	free(g.convs);
	close(g_epoll);
	return g.opened == g.n && ok ? 0 : 3;
}
