/* bench_webhook.c - WhatsApp webhook throughput of `loket serve` (bench/webhook/run.sh runs it).
 * One epoll loop, non-blocking sockets, no threads. For D seconds, C keep-alive connections each
 * post one WhatsApp Cloud API webhook at a time to /channels/whatsapp/webhook: a text message
 * with a unique id from one of U users, in the documented payload shape, signed like Meta signs
 * it (X-Hub-Signature-256: "sha256=" + hex HMAC-SHA256 of the raw body with the app secret,
 * read from an environment variable). Counts the 200s and prints POSTs/s and the latency of the
 * acknowledgement. Loket answers the messages later through the Graph API; run.sh counts those.
 *
 * With --probe-fake HOST:PORT it instead measures the fake Graph API the way Loket uses it:
 * C lanes, each sending one reply at a time on a new connection (Loket's channel workers open
 * one per reply), for D seconds; replies/s and latency show how fast the fake can take them.
 *
 * With --serve-fake PORT it is a fast fake Graph API instead (one epoll loop in C): every POST
 * .../messages with the right bearer token gets Graph's 200 answer at once. run.sh points a
 * second Loket at it to see what Loket's reply path does when the Python fake is not the limit.
 * On SIGTERM it prints how many replies it took and exits.
 * Needs libc, jansson and libcrypto (sockets and HTTP: bench/common/bench_net.c); timings are
 * printed, never judged.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "bench_net.h"
#include "bench_texts.h"

#define MAX_CONNECTIONS 4096
#define REQ_MAX (16 * 1024)		/* one request: headers and body */
#define RESP_MAX (256 * 1024)		/* one response */
#define SECRET_MAX 512
#define ID_MAX 64
#define DRAIN_S 10.0			/* wait this long for answers in flight at the end */
#define MAX_SAMPLES (16u * 1024 * 1024)

/* ---- options ---- */

static struct {
	char host[64];
	int port;
	bool probe;		/* --probe-fake: measure the fake Graph API instead */
	bool serve;		/* --serve-fake: be a fast fake Graph API */
	char port_file[256];
	int connections;
	double duration;
	long users;
	char secret_env[128];
	char phone_id[ID_MAX];
	char fake_token_env[128];
	char id_prefix[ID_MAX];
	bool verbose;
} g_opt = {
	.host = "127.0.0.1", .port = 8080, .connections = 64, .duration = 10.0, .users = 1000,
	.secret_env = "LOKET_BENCH_WA_SECRET", .phone_id = "106540352242922",
	.fake_token_env = "LOKET_BENCH_WA_TOKEN",
};

static void usage(void)
{
	fprintf(stderr,
		"usage: bench_webhook --loket HOST:PORT [-c CONNECTIONS] [-d SECONDS] [--users U]\n"
		"                     [--secret-env NAME] [--phone-id ID] [--id-prefix P] [-v]\n"
		"       bench_webhook --probe-fake HOST:PORT [-c LANES] [-d SECONDS]\n"
		"                     [--token-env NAME] [--phone-id ID]\n"
		"       bench_webhook --serve-fake PORT [--port-file PATH] [--token-env NAME]\n"
		"  -c             keep-alive connections (default 64); with --probe-fake: lanes (4)\n"
		"  -d             seconds of load (default 10)\n"
		"  --users U      distinct senders; message k comes from user k mod U (default 1000)\n"
		"  --secret-env   the environment variable holding the app secret\n"
		"                 (default LOKET_BENCH_WA_SECRET)\n"
		"  --phone-id     the business phone number id Loket is configured with\n"
		"  --id-prefix    message ids are wamid.<prefix><k> (default: from the pid and clock)\n"
		"  --token-env    the environment variable holding the fake's access token\n"
		"                 (default LOKET_BENCH_WA_TOKEN)\n"
		"  --serve-fake   listen on 127.0.0.1:PORT (0: any free port, written to --port-file)\n");
	exit(2);
}

static void copy_opt(char *out, size_t size, const char *value, const char *name)
{
	if (strlen(value) >= size || !*value || strpbrk(value, "\"\\\r\n /?"))
		bench_die("%s must be 1 to %zu plain characters", name, size - 1);
	snprintf(out, size, "%s", value);
}

static void parse_options(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"loket", required_argument, NULL, 'l'},
		{"probe-fake", required_argument, NULL, 'f'},
		{"users", required_argument, NULL, 'u'},
		{"secret-env", required_argument, NULL, 's'},
		{"phone-id", required_argument, NULL, 'i'},
		{"id-prefix", required_argument, NULL, 'x'},
		{"token-env", required_argument, NULL, 't'},
		{"serve-fake", required_argument, NULL, 'S'},
		{"port-file", required_argument, NULL, 'F'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	bool have_target = false, have_c = false;
	int opt;

	while ((opt = getopt_long(argc, argv, "c:d:vh", longopts, NULL)) != -1) {
		switch (opt) {
		case 'l':
		case 'f':
			if (have_target)
				bench_die("give --loket, --probe-fake or --serve-fake, once");
			bench_parse_hostport(optarg, g_opt.host, sizeof(g_opt.host), &g_opt.port,
					     opt == 'l' ? "--loket" : "--probe-fake");
			g_opt.probe = opt == 'f';
			have_target = true;
			break;
		case 'c':
			g_opt.connections = (int)bench_parse_long(optarg, 1, MAX_CONNECTIONS, "-c");
			have_c = true;
			break;
		case 'd': g_opt.duration = (double)bench_parse_long(optarg, 1, 3600, "-d"); break;
		case 'u': g_opt.users = bench_parse_long(optarg, 1, 100000000, "--users"); break;
		case 's':
			copy_opt(g_opt.secret_env, sizeof(g_opt.secret_env), optarg, "--secret-env");
			break;
		case 'i':
			copy_opt(g_opt.phone_id, sizeof(g_opt.phone_id), optarg, "--phone-id");
			if (strspn(g_opt.phone_id, "0123456789") != strlen(g_opt.phone_id))
				bench_die("--phone-id must be digits");
			break;
		case 'x':
			copy_opt(g_opt.id_prefix, sizeof(g_opt.id_prefix), optarg, "--id-prefix");
			break;
		case 't':
			copy_opt(g_opt.fake_token_env, sizeof(g_opt.fake_token_env), optarg, "--token-env");
			break;
		case 'S':
			if (have_target)
				bench_die("give --loket, --probe-fake or --serve-fake, once");
			g_opt.port = (int)bench_parse_long(optarg, 0, 65535, "--serve-fake");
			g_opt.serve = true;
			have_target = true;
			break;
		case 'F':
			if (strlen(optarg) >= sizeof(g_opt.port_file))
				bench_die("--port-file is too long");
			snprintf(g_opt.port_file, sizeof(g_opt.port_file), "%s", optarg);
			break;
		case 'v': g_opt.verbose = true; break;
		default: usage();
		}
	}
	if (!have_target || optind != argc)
		usage();
	if (g_opt.probe && !have_c)
		g_opt.connections = 4;
	if (!g_opt.id_prefix[0])
		snprintf(g_opt.id_prefix, sizeof(g_opt.id_prefix), "bench%ld-%ld-", (long)getpid(),
			 (long)time(NULL));
}

/* ---- requests ---- */

static char g_secret[SECRET_MAX];	/* the app secret (load) or the access token (probe) */
static size_t g_secret_len;
static unsigned long g_next_message;

static void read_secret(const char *env)
{
	const char *v = getenv(env);

	if (!v || !*v || strlen(v) >= sizeof(g_secret))
		bench_die("set the environment variable %s (1 to %d bytes)", env, SECRET_MAX - 1);
	snprintf(g_secret, sizeof(g_secret), "%s", v);
	g_secret_len = strlen(g_secret);
}

/* The webhook Meta sends for one text message (Cloud API "messages" notification). Caller
 * frees with free(). */
static char *webhook_body(unsigned long k)
{
	char from[32], id[2 * ID_MAX], ts[32];
	json_t *o;
	char *text;

	snprintf(from, sizeof(from), "316%08lu", (unsigned long)(k % (unsigned long)g_opt.users));
	snprintf(id, sizeof(id), "wamid.%s%lu", g_opt.id_prefix, k);
	snprintf(ts, sizeof(ts), "%ld", (long)time(NULL));
	o = json_pack("{s:s, s:[{s:s, s:[{s:s, s:{s:s, s:{s:s, s:s}, s:[{s:{s:s}, s:s}],"
		      " s:[{s:s, s:s, s:s, s:s, s:{s:s}}]}}]}]}",
		      "object", "whatsapp_business_account",
		      "entry", "id", "102290129340398",
		      "changes", "field", "messages",
		      "value", "messaging_product", "whatsapp",
		      "metadata", "display_phone_number", "31850001234", "phone_number_id", g_opt.phone_id,
		      "contacts", "profile", "name", "Bench", "wa_id", from,
		      "messages", "from", from, "id", id, "timestamp", ts, "type", "text",
		      "text", "body", bench_questions[k % bench_n_questions]);
	if (!o)
		bench_die("cannot build a webhook body");
	text = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	if (!text)
		bench_die("out of memory");
	return text;
}

/* A reply like the ones Loket sends through the Graph API. Caller frees with free(). */
static char *graph_body(unsigned long k)
{
	char to[32];
	json_t *o;
	char *text;

	snprintf(to, sizeof(to), "316%08lu", k % 1000ul);
	o = json_pack("{s:s, s:s, s:s, s:s, s:{s:s, s:b}}", "messaging_product", "whatsapp",
		      "recipient_type", "individual", "to", to, "type", "text",
		      "text", "body", "Hallo! Waar kan ik u mee helpen? Stel uw vraag in een paar woorden.",
		      "preview_url", 0);
	if (!o)
		bench_die("cannot build a Graph body");
	text = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	if (!text)
		bench_die("out of memory");
	return text;
}

/* ---- connections ---- */

struct conn {
	int fd;
	bool connecting, busy;
	char wbuf[REQ_MAX];
	size_t wlen, woff;
	struct bench_buf rbuf;
	double sent_at;
	int resends;
};

static struct {
	struct conn *conns;
	struct bench_lat lat;
	unsigned long sent, ok, non_200, status_403, status_400, status_5xx, conn_errors;
	double start, end_at;
	int shown;
} g = {.lat = {.max = MAX_SAMPLES}};

static int g_epoll = -1;

static void note(const char *fmt, ...)
{
	va_list ap;

	if (g.shown++ >= 5 && !g_opt.verbose)
		return;
	fputs("bench_webhook: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void watch(struct conn *c, uint32_t events, int op)
{
	bench_watch(g_epoll, c->fd, c, events, op);
}

static int conn_connect(struct conn *c)
{
	c->fd = bench_connect(g_opt.host, g_opt.port, NULL);
	if (c->fd < 0)
		return -1;
	c->connecting = true;
	watch(c, EPOLLOUT, EPOLL_CTL_ADD);
	return 0;
}

static void conn_close(struct conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	c->connecting = false;
	bench_buf_free(&c->rbuf);
}

/* Queues the next request on c; false when the load is over. */
static bool send_next(struct conn *c)
{
	unsigned long k;
	char *body, path[ID_MAX + 32];
	int n;

	if (bench_now() >= g.end_at)
		return false;
	k = g_next_message++;
	if (g_opt.probe) {
		body = graph_body(k);
		snprintf(path, sizeof(path), "/v21.0/%s/messages", g_opt.phone_id);
		n = bench_http_format(c->wbuf, sizeof(c->wbuf), "POST", path, g_opt.host, g_opt.port,
				      g_secret, NULL, body);
	} else {
		unsigned char mac[EVP_MAX_MD_SIZE];
		unsigned int mac_len = 0;
		char hex[2 * EVP_MAX_MD_SIZE + 1], extra[2 * EVP_MAX_MD_SIZE + 96];

		body = webhook_body(k);
		if (!HMAC(EVP_sha256(), g_secret, (int)g_secret_len, (const unsigned char *)body,
			  strlen(body), mac, &mac_len))
			bench_die("HMAC failed");
		for (unsigned int i = 0; i < mac_len; i++)
			snprintf(hex + 2 * i, 3, "%02x", mac[i]);
		snprintf(extra, sizeof(extra),
			 "User-Agent: facebookexternalua\r\nX-Hub-Signature-256: sha256=%s\r\n", hex);
		n = bench_http_format(c->wbuf, sizeof(c->wbuf), "POST", "/channels/whatsapp/webhook",
				      g_opt.host, g_opt.port, NULL, extra, body);
	}
	free(body);
	if (n < 0)
		bench_die("a request does not fit %d bytes", REQ_MAX);
	c->wlen = (size_t)n;
	c->woff = 0;
	bench_buf_free(&c->rbuf);
	c->resends = 0;
	c->busy = true;
	c->sent_at = bench_now();
	g.sent++;
	if (c->fd < 0) {
		if (conn_connect(c) != 0)
			bench_die("cannot connect to %s:%d: %s", g_opt.host, g_opt.port, strerror(errno));
	} else {
		watch(c, EPOLLOUT, EPOLL_CTL_MOD);
	}
	return true;
}

/* 1 and the response's status and length when rbuf holds a whole response, 0 when more is
 * needed, -1 when it cannot be understood (only Content-Length bodies are expected). */
static int parse_response(struct conn *c, int *status, size_t *total, bool *closing)
{
	struct bench_http_head h;
	int rc = bench_http_head(c->rbuf.ptr, c->rbuf.len, RESP_MAX, false, &h);
	long clen;

	if (rc <= 0)
		return rc;
	*status = h.status;
	*closing = h.close;
	clen = h.content_length;
	if (h.chunked)
		return -1;
	if (clen < 0 && (*status == 204 || *status == 304))
		clen = 0;
	if (clen < 0 || clen > RESP_MAX)
		return -1;
	if (c->rbuf.len < h.head_len + (size_t)clen)
		return 0;
	*total = h.head_len + (size_t)clen;
	return 1;
}

static void failed(struct conn *c, const char *why)
{
	bool retry = c->busy && c->rbuf.len == 0 && c->resends == 0 && !g_opt.probe;

	conn_close(c);
	if (!c->busy)
		return;
	if (retry) {	/* an idle keep-alive connection closed by the server as we wrote */
		c->resends = 1;
		c->woff = 0;
		if (conn_connect(c) == 0)
			return;
	}
	g.conn_errors++;
	note("a request failed: %s", why);
	c->busy = false;
	if (!send_next(c))
		return;
}

static void on_response(struct conn *c, int status, size_t total, bool closing)
{
	double done = bench_now();

	bench_lat_add(&g.lat, done - c->sent_at);
	if (status == 200 || (g_opt.probe && status / 100 == 2)) {
		g.ok++;
	} else {
		g.non_200++;
		if (status == 403)
			g.status_403++;
		else if (status == 400)
			g.status_400++;
		else if (status >= 500)
			g.status_5xx++;
		note("status %d: %.*s", status, (int)(c->rbuf.len > 300 ? 300 : c->rbuf.len),
		     c->rbuf.ptr);
	}
	bench_buf_consume(&c->rbuf, total);
	c->busy = false;
	/* Loket's channel workers use a new connection for every reply: so does the probe. */
	if (closing || g_opt.probe)
		conn_close(c);
	if (!send_next(c) && c->fd >= 0)
		watch(c, EPOLLIN | EPOLLRDHUP, EPOLL_CTL_MOD);
}

static void on_readable(struct conn *c)
{
	int status = 0;
	size_t total = 0;
	bool closing = false, eof = false;
	int rc = bench_read_avail(c->fd, &c->rbuf);

	if (rc < 0) {
		failed(c, "response too large");
		return;
	}
	eof = rc == 1;
	rc = c->busy ? parse_response(c, &status, &total, &closing) : 0;
	if (rc < 0) {
		failed(c, "a response that cannot be understood");
		return;
	}
	if (rc == 1) {
		on_response(c, status, total, closing || eof);
		return;
	}
	if (eof)
		failed(c, c->busy ? "the server closed the connection" : "closed while idle");
}

static void on_writable(struct conn *c)
{
	int rc = bench_write_some(c->fd, c->wbuf, c->wlen, &c->woff);

	if (rc == 0)
		return;
	if (rc < 0) {
		failed(c, strerror(errno));
		return;
	}
	watch(c, EPOLLIN | EPOLLRDHUP, EPOLL_CTL_MOD);
}

static void on_event(struct conn *c, uint32_t events)
{
	if (c->connecting) {
		int err = bench_connect_error(c->fd);

		if (err) {
			failed(c, strerror(err));
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

/* ---- a fast fake Graph API (--serve-fake) ---- */

#define FAKE_HEAD_MAX (64 * 1024)
#define FAKE_BODY_MAX (1024 * 1024)

struct fake_conn {
	struct fake_conn *prev, *next;	/* every open connection, freed at the end */
	int fd;
	struct bench_buf buf;
	bool continued;		/* "100 Continue" sent for the request being read */
};

static volatile sig_atomic_t g_stop;
static struct fake_conn *g_fake_conns;
static struct {
	unsigned long requests, ok, refused, bad;
} g_fake;

static void on_signal(int sig)
{
	(void)sig;
	g_stop = 1;
}

static void fake_drop(struct fake_conn *fc)
{
	if (fc->prev)
		fc->prev->next = fc->next;
	else
		g_fake_conns = fc->next;
	if (fc->next)
		fc->next->prev = fc->prev;
	close(fc->fd);
	bench_buf_free(&fc->buf);
	free(fc);
}

static int fake_answer(int fd, int status, const char *reason, const char *body, bool close_after)
{
	char head[256];
	int n = snprintf(head, sizeof(head),
			 "HTTP/1.1 %d %s\r\nContent-Type: application/json; charset=UTF-8\r\n"
			 "Content-Length: %zu\r\nConnection: %s\r\n\r\n",
			 status, reason, strlen(body), close_after ? "close" : "keep-alive");

	if (n < 0 || (size_t)n >= sizeof(head))
		return -1;
	return bench_send_all(fd, head, (size_t)n) || bench_send_all(fd, body, strlen(body)) ? -1 : 0;
}

/* One complete request: head (NUL-terminated) and body. */
static int fake_handle(struct fake_conn *fc, char *head, const char *body, size_t body_len,
		       bool close_after)
{
	char answer[512];
	const char *auth = strcasestr(head, "\r\nAuthorization:");
	json_t *req;
	const char *to;
	int rc;

	g_fake.requests++;
	if (auth) {
		auth += 16;
		while (*auth == ' ')
			auth++;
	}
	/* "Bearer <token>" up to the end of the line (or of the head: its last line) */
	if (!auth || strncmp(auth, "Bearer ", 7) || strncmp(auth + 7, g_secret, g_secret_len) ||
	    (auth[7 + g_secret_len] != '\r' && auth[7 + g_secret_len] != '\0')) {
		g_fake.refused++;
		return fake_answer(fc->fd, 401, "Unauthorized",
				   "{\"error\":{\"message\":\"Invalid OAuth access token - Cannot parse access "
				   "token\",\"type\":\"OAuthException\",\"code\":190,\"fbtrace_id\":\"Abench\"}}",
				   close_after);
	}
	req = strncmp(head, "POST ", 5) == 0 && strstr(head, "/messages ")
		      ? json_loadb(body, body_len, 0, NULL) : NULL;
	to = json_string_value(json_object_get(req, "to"));
	if (!to || !*to || strlen(to) > 32 || strpbrk(to, "\"\\")) {
		json_decref(req);
		g_fake.bad++;
		return fake_answer(fc->fd, 400, "Bad Request",
				   "{\"error\":{\"message\":\"(#100) The parameter to is required.\","
				   "\"type\":\"OAuthException\",\"code\":100,\"fbtrace_id\":\"Abench\"}}",
				   close_after);
	}
	snprintf(answer, sizeof(answer),
		 "{\"messaging_product\":\"whatsapp\",\"contacts\":[{\"input\":\"%s\",\"wa_id\":\"%s\"}],"
		 "\"messages\":[{\"id\":\"wamid.bench%lu\"}]}", to, to, g_fake.requests);
	json_decref(req);
	g_fake.ok++;
	rc = fake_answer(fc->fd, 200, "OK", answer, close_after);
	return rc;
}

/* Answers every complete request in fc->buf. -1 when the connection must close. */
static int fake_serve(struct fake_conn *fc)
{
	for (;;) {
		char *end = fc->buf.ptr ? memmem(fc->buf.ptr, fc->buf.len, "\r\n\r\n", 4) : NULL;
		size_t head_len, total;
		long clen = 0;
		bool expect = false, close_after = false;
		const char *line;

		if (!end)
			return fc->buf.len > FAKE_HEAD_MAX ? -1 : 0;
		*end = '\0';
		head_len = (size_t)(end - fc->buf.ptr) + 4;
		for (line = strstr(fc->buf.ptr, "\r\n"); line; line = strstr(line, "\r\n")) {
			line += 2;
			if (!strncasecmp(line, "content-length:", 15))
				clen = strtol(line + 15, NULL, 10);
			else if (!strncasecmp(line, "expect:", 7) && strcasestr(line, "100-continue"))
				expect = true;
			else if (!strncasecmp(line, "connection:", 11) &&
				 !strncasecmp(line + 11, " close", 6))
				close_after = true;
			else if (!strncasecmp(line, "transfer-encoding:", 18))
				return -1;
		}
		if (clen < 0 || clen > FAKE_BODY_MAX)
			return -1;
		if (fc->buf.len < head_len + (size_t)clen) {
			*end = '\r';
			if (expect && !fc->continued) {
				static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";

				fc->continued = true;
				if (bench_send_all(fc->fd, cont, sizeof(cont) - 1))
					return -1;
			}
			return 0;
		}
		fc->continued = false;
		total = head_len + (size_t)clen;
		if (fake_handle(fc, fc->buf.ptr, fc->buf.ptr + head_len, (size_t)clen, close_after) ||
		    close_after)
			return -1;
		bench_buf_consume(&fc->buf, total);
	}
}

static void fake_readable(struct fake_conn *fc)
{
	int rc = bench_read_avail(fc->fd, &fc->buf);

	if (rc < 0 || fake_serve(fc) || rc == 1)
		fake_drop(fc);
}

static void write_port_file(int port)
{
	char tmp[300];
	FILE *f;

	if (!g_opt.port_file[0])
		return;
	snprintf(tmp, sizeof(tmp), "%s.tmp", g_opt.port_file);
	f = fopen(tmp, "w");
	if (!f || fprintf(f, "%d\n", port) < 0 || fclose(f) != 0 || rename(tmp, g_opt.port_file))
		bench_die("cannot write %s", g_opt.port_file);
}

static int serve_fake(void)
{
	struct sigaction sa;
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL}, evs[256];
	int one = 1, lfd, port;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;	/* no SA_RESTART: epoll_wait returns */
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	lfd = bench_listen(g_opt.port, 1024, true, &port);
	if (lfd < 0)
		bench_die("cannot listen on 127.0.0.1:%d: %s", g_opt.port, strerror(errno));
	if (epoll_ctl(g_epoll, EPOLL_CTL_ADD, lfd, &ev))
		bench_die("epoll_ctl: %s", strerror(errno));
	write_port_file(port);
	printf("fake Graph API (C) listening on 127.0.0.1:%d\n", port);
	fflush(stdout);
	while (!g_stop) {
		int n = epoll_wait(g_epoll, evs, 256, 500);

		if (n < 0 && errno != EINTR)
			bench_die("epoll_wait: %s", strerror(errno));
		for (int i = 0; i < n; i++) {
			struct fake_conn *fc = evs[i].data.ptr;

			if (fc) {
				fake_readable(fc);
				continue;
			}
			for (;;) {
				int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
				struct epoll_event cev = {.events = EPOLLIN | EPOLLRDHUP};

				if (fd < 0)
					break;
				setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
				fc = bench_calloc(1, sizeof(*fc));
				fc->fd = fd;
				bench_buf_init(&fc->buf, FAKE_HEAD_MAX + FAKE_BODY_MAX + 8192);
				fc->next = g_fake_conns;
				if (fc->next)
					fc->next->prev = fc;
				g_fake_conns = fc;
				cev.data.ptr = fc;
				if (epoll_ctl(g_epoll, EPOLL_CTL_ADD, fd, &cev))
					bench_die("epoll_ctl: %s", strerror(errno));
			}
		}
	}
	printf("fake Graph API (C): %lu requests, %lu answered 200, %lu refused (401), %lu bad (400)\n",
	       g_fake.requests, g_fake.ok, g_fake.refused, g_fake.bad);
	printf("result: requests=%lu ok=%lu refused=%lu bad=%lu\n", g_fake.requests, g_fake.ok,
	       g_fake.refused, g_fake.bad);
	fflush(stdout);
	while (g_fake_conns)
		fake_drop(g_fake_conns);
	close(lfd);
	close(g_epoll);
	return 0;
}

/* ---- report ---- */

static bool busy_any(void)
{
	for (int i = 0; i < g_opt.connections; i++)
		if (g.conns[i].busy)
			return true;
	return false;
}

int main(int argc, char **argv)
{
	struct epoll_event evs[256];
	double elapsed, last_done;
	unsigned long users_used;

	bench_prog = "bench_webhook";
	parse_options(argc, argv);
	read_secret(g_opt.probe || g_opt.serve ? g_opt.fake_token_env : g_opt.secret_env);
	g_epoll = epoll_create1(EPOLL_CLOEXEC);
	if (g_epoll < 0)
		bench_die("epoll_create1: %s", strerror(errno));
	if (g_opt.serve)
		return serve_fake();
	g.conns = bench_calloc((size_t)g_opt.connections, sizeof(*g.conns));
	for (int i = 0; i < g_opt.connections; i++) {
		g.conns[i].fd = -1;
		bench_buf_init(&g.conns[i].rbuf, RESP_MAX + 8192);
	}

	if (g_opt.probe)
		printf("== fake Graph API at %s:%d: %d lanes, one reply at a time each on a new connection, "
		       "%.0f s\n", g_opt.host, g_opt.port, g_opt.connections, g_opt.duration);
	else
		printf("== WhatsApp webhooks to %s:%d: %d keep-alive connections, %.0f s, %ld users, %zu "
		       "different texts, signed with HMAC-SHA256\n", g_opt.host, g_opt.port,
		       g_opt.connections, g_opt.duration, g_opt.users, bench_n_questions);
	fflush(stdout);
	g.start = bench_now();
	g.end_at = g.start + g_opt.duration;
	for (int i = 0; i < g_opt.connections; i++)
		send_next(&g.conns[i]);
	last_done = g.start;
	while (busy_any() && bench_now() < g.end_at + DRAIN_S) {
		int n = epoll_wait(g_epoll, evs, 256, 100);

		if (n < 0 && errno != EINTR)
			bench_die("epoll_wait: %s", strerror(errno));
		for (int i = 0; i < n; i++)
			on_event(evs[i].data.ptr, evs[i].events);
		if (n > 0)
			last_done = bench_now();
	}
	elapsed = (last_done > g.end_at ? last_done : g.end_at) - g.start;
	bench_lat_sort(&g.lat);
	users_used = g_next_message < (unsigned long)g_opt.users ? g_next_message
								 : (unsigned long)g_opt.users;

	if (g_opt.probe) {
		printf("replies:            %lu sent, %lu answered 2xx, %lu not, %lu connection errors\n",
		       g.sent, g.ok, g.non_200, g.conn_errors);
		printf("fake throughput:    %.0f replies/s\n", g.ok / elapsed);
	} else {
		printf("webhooks:           %lu sent, %lu acknowledged with 200, %lu not (403: %lu, 400: %lu, "
		       "5xx: %lu), %lu connection errors\n", g.sent, g.ok, g.non_200, g.status_403,
		       g.status_400, g.status_5xx, g.conn_errors);
		printf("throughput:         %.0f POSTs/s verified and acknowledged (%.2f s)\n",
		       g.ok / elapsed, elapsed);
		printf("senders:            %lu users, about %lu messages each\n", users_used,
		       users_used ? g.sent / users_used : 0);
	}
	printf("latency:            p50 %.2f ms, p90 %.2f ms, p99 %.2f ms, max %.2f ms (%zu samples; "
	       "request sent -> response read)\n", bench_lat_ms(&g.lat, 50), bench_lat_ms(&g.lat, 90),
	       bench_lat_ms(&g.lat, 99), bench_lat_ms(&g.lat, 100), g.lat.n);
	/* For run.sh. */
	printf("result: sent=%lu ok=%lu non_200=%lu conn_errors=%lu users=%lu\n", g.sent, g.ok,
	       g.non_200, g.conn_errors, users_used);
	for (int i = 0; i < g_opt.connections; i++)
		conn_close(&g.conns[i]);
	free(g.conns);
	bench_lat_free(&g.lat);
	close(g_epoll);
	return g.non_200 || g.conn_errors ? 3 : 0;
}
