/* bench_net.c - the HTTP client pieces the C benchmarks share (see bench_net.h): clock, fatal
 * errors, /proc figures, a bounded buffer, non-blocking sockets, HTTP/1.1 request formatting and
 * response decoding, an SSE parser and latency percentiles.
 */
#include "bench_net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

const char *bench_prog = "bench";

/* ---- small helpers ---- */

double bench_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void bench_die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", bench_prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(2);
}

void *bench_calloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (!p)
		bench_die("out of memory");
	return p;
}

long bench_parse_long(const char *text, long min, long max, const char *name)
{
	char *end = NULL;
	long v;

	errno = 0;
	v = strtol(text, &end, 10);
	if (errno || end == text || *end || v < min || v > max)
		bench_die("%s must be a number from %ld to %ld", name, min, max);
	return v;
}

void bench_parse_hostport(const char *text, char *host, size_t host_size, int *port,
			  const char *name)
{
	const char *colon = strrchr(text, ':');
	struct in_addr a;

	if (!colon || colon == text || (size_t)(colon - text) >= host_size)
		bench_die("%s must be HOST:PORT", name);
	snprintf(host, host_size, "%.*s", (int)(colon - text), text);
	if (!strcmp(host, "localhost"))
		snprintf(host, host_size, "127.0.0.1");
	if (inet_pton(AF_INET, host, &a) != 1)
		bench_die("%s: the host must be an IPv4 address", name);
	*port = (int)bench_parse_long(colon + 1, 1, 65535, name);
}

long bench_proc_status(long pid, const char *field)
{
	char path[64], line[256];
	size_t flen = strlen(field);
	long v = -1;
	FILE *f;

	if (pid <= 0)
		return -1;
	snprintf(path, sizeof(path), "/proc/%ld/status", pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, field, flen) && line[flen] == ':') {
			v = strtol(line + flen + 1, NULL, 10);
			break;
		}
	}
	fclose(f);
	return v;
}

double bench_proc_cpu_s(long pid)
{
	char path[64], line[1024];
	unsigned long utime = 0, stime = 0;
	const char *p;
	int field = 2;		/* the field that ends with the ')' of the name */
	FILE *f;

	if (pid < 0)
		return -1.0;
	if (pid == 0)
		snprintf(path, sizeof(path), "/proc/self/stat");
	else
		snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	f = fopen(path, "r");
	if (!f)
		return -1.0;
	p = fgets(line, sizeof(line), f) ? strrchr(line, ')') : NULL;
	fclose(f);
	if (!p)
		return -1.0;
	for (p++; *p && field < 14; p++)	/* fields 14 and 15: utime, stime */
		if (*p == ' ')
			field++;
	if (sscanf(p, "%lu %lu", &utime, &stime) != 2)
		return -1.0;
	return (double)(utime + stime) / (double)sysconf(_SC_CLK_TCK);
}

unsigned long long bench_raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return 0;
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
		if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
			return 0;
	}
	return (unsigned long long)rl.rlim_cur;
}

/* ---- buffer ---- */

void bench_buf_init(struct bench_buf *b, size_t max)
{
	memset(b, 0, sizeof(*b));
	b->max = max;
}

/* Makes room for len more bytes and the NUL; -1 past the max. */
static int buf_reserve(struct bench_buf *b, size_t len)
{
	size_t cap;
	char *grown;

	if (len > b->max - b->len || b->len > b->max) {
		b->truncated = true;
		return -1;
	}
	if (b->len + len + 1 <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 256;
	while (cap < b->len + len + 1)
		cap *= 2;
	grown = realloc(b->ptr, cap);
	if (!grown)
		bench_die("out of memory");
	b->ptr = grown;
	b->cap = cap;
	return 0;
}

int bench_buf_append(struct bench_buf *b, const void *data, size_t len)
{
	if (buf_reserve(b, len))
		return -1;
	if (len)
		memcpy(b->ptr + b->len, data, len);
	b->len += len;
	b->ptr[b->len] = '\0';
	return 0;
}

void bench_buf_consume(struct bench_buf *b, size_t n)
{
	if (n >= b->len) {
		bench_buf_free(b);
		return;
	}
	memmove(b->ptr, b->ptr + n, b->len - n);
	b->len -= n;
	b->ptr[b->len] = '\0';
}

void bench_buf_free(struct bench_buf *b)
{
	free(b->ptr);
	b->ptr = NULL;
	b->len = b->cap = 0;
}

/* ---- sockets ---- */

int bench_connect(const char *host, int port, const char **failed)
{
	struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	const char *what = "connect";
	int one = 1, fd = -1;

	if (inet_pton(AF_INET, host, &addr.sin_addr) != 1) {
		errno = EINVAL;
		goto fail;
	}
	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		what = "socket";
		goto fail;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) != 0 && errno != EINPROGRESS) {
		int saved = errno;

		close(fd);
		errno = saved;
		goto fail;
	}
	return fd;
fail:
	if (failed)
		*failed = what;
	return -1;
}

int bench_connect_error(int fd)
{
	int err = 0;
	socklen_t len = sizeof(err);

	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0)
		return errno;
	return err;
}

void bench_watch(int epfd, int fd, void *ptr, uint32_t events, int op)
{
	struct epoll_event ev = {.events = events, .data.ptr = ptr};

	if (epoll_ctl(epfd, op, fd, &ev) != 0)
		bench_die("epoll_ctl: %s", strerror(errno));
}

int bench_write_some(int fd, const char *buf, size_t len, size_t *off)
{
	while (*off < len) {
		ssize_t n = send(fd, buf + *off, len - *off, MSG_NOSIGNAL);

		if (n > 0) {
			*off += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		if (n == 0)
			errno = EPIPE;
		return -1;
	}
	return 1;
}

int bench_send_all(int fd, const char *data, size_t len)
{
	while (len > 0) {
		ssize_t n = send(fd, data, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

int bench_listen(int port, int backlog, bool nonblock, int *bound)
{
	struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	socklen_t alen = sizeof(addr);
	int one = 1, saved;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | (nonblock ? SOCK_NONBLOCK : 0), 0);

	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) || listen(fd, backlog) ||
	    getsockname(fd, (struct sockaddr *)&addr, &alen))
		goto fail;
	*bound = ntohs(addr.sin_port);
	return fd;
fail:
	saved = errno;
	close(fd);
	errno = saved;
	return -1;
}

int bench_read_avail(int fd, struct bench_buf *b)
{
	for (;;) {
		size_t room = b->max - b->len < 4096 ? b->max - b->len : 4096;
		ssize_t n;

		if (room == 0)
			return -1;
		if (buf_reserve(b, room))
			return -1;
		/* all the room there is, up to the max */
		room = b->cap - b->len - 1;
		if (room > b->max - b->len)
			room = b->max - b->len;
		n = recv(fd, b->ptr + b->len, room, 0);
		if (n > 0) {
			b->len += (size_t)n;
			b->ptr[b->len] = '\0';
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		return 1;
	}
}

/* ---- HTTP/1.1 ---- */

int bench_http_format(char *buf, size_t size, const char *method, const char *path,
		      const char *host, int port, const char *token, const char *extra,
		      const char *body)
{
	char auth[600] = "";
	int n;

	if (token && snprintf(auth, sizeof(auth), "Authorization: Bearer %s\r\n", token) >=
			     (int)sizeof(auth))
		return -1;
	if (!extra)
		extra = "";
	if (body)
		n = snprintf(buf, size,
			     "%s %s HTTP/1.1\r\nHost: %s:%d\r\n%s%s"
			     "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
			     method, path, host, port, auth, extra, strlen(body), body);
	else
		n = snprintf(buf, size, "%s %s HTTP/1.1\r\nHost: %s:%d\r\n%s%s\r\n", method, path,
			     host, port, auth, extra);
	if (n < 0 || (size_t)n >= size)
		return -1;
	return n;
}

/* The value of a header line that starts with name (case-insensitive), or NULL. */
static const char *header_value(const char *line, size_t len, const char *name)
{
	size_t nlen = strlen(name);

	if (len < nlen || strncasecmp(line, name, nlen))
		return NULL;
	return line + nlen;
}

int bench_http_head(const char *raw, size_t len, size_t head_max, bool eof,
		    struct bench_http_head *h)
{
	size_t start = 0;

	memset(h, 0, sizeof(*h));
	for (;;) {
		const char *p = raw + start;
		size_t avail = len - start;
		const char *end = raw ? memmem(p, avail, "\r\n\r\n", 4) : NULL;
		size_t head;

		if (!end)
			return len >= head_max || eof ? -1 : 0;
		head = (size_t)(end - p) + 4;
		if (head < 12 || memcmp(p, "HTTP/1.", 7))
			return -1;
		h->status = (int)strtol(p + 9, NULL, 10);
		h->content_length = -1;
		h->chunked = h->close = false;
		if (h->status == 100) {	/* 100 Continue: the real answer follows */
			start += head;
			continue;
		}
		for (const char *line = memchr(p, '\n', head); line && line < end;) {
			const char *next, *v;
			size_t llen;

			line++;
			next = memchr(line, '\n', (size_t)(end + 2 - line));
			llen = next ? (size_t)(next - line) : (size_t)(end - line);
			if ((v = header_value(line, llen, "content-length:")) != NULL) {
				h->content_length = strtol(v, NULL, 10);
			} else if ((v = header_value(line, llen, "transfer-encoding:")) != NULL) {
				char val[64];

				snprintf(val, sizeof(val), "%.*s", (int)(llen - 18), v);
				if (strcasestr(val, "chunked"))
					h->chunked = true;
			} else if ((v = header_value(line, llen, "connection:")) != NULL) {
				while (*v == ' ' || *v == '\t')
					v++;
				h->close = !strncasecmp(v, "close", 5);
			}
			line = next;
		}
		h->head_len = start + head;
		return 1;
	}
}

void bench_http_reset(struct bench_http_resp *r)
{
	r->headers_done = r->complete = false;
	r->status = 0;
	r->framing = BENCH_FR_CLOSE;
	r->chunk = BENCH_CH_SIZE;
	r->remaining = 0;
}

int bench_http_resp_head(struct bench_http_resp *r, const char *raw, size_t len, size_t head_max,
			 size_t body_max, bool eof, size_t *used)
{
	struct bench_http_head h;
	int rc = bench_http_head(raw, len, head_max, eof, &h);

	if (rc <= 0)
		return rc;
	r->status = h.status;
	r->framing = BENCH_FR_CLOSE;
	if (h.chunked) {
		r->framing = BENCH_FR_CHUNKED;
	} else if (h.content_length >= 0) {
		if ((unsigned long)h.content_length > body_max)
			return -1;
		r->framing = BENCH_FR_LENGTH;
		r->remaining = (size_t)h.content_length;
	}
	if (r->status == 204 || r->status == 304) {
		r->framing = BENCH_FR_LENGTH;
		r->remaining = 0;
	}
	r->chunk = BENCH_CH_SIZE;
	r->headers_done = true;
	*used = h.head_len;
	return 1;
}

int bench_http_resp_body(struct bench_http_resp *r, const char *raw, size_t len, size_t body_max,
			 bool eof, size_t *used, bench_sink_fn sink, void *ctx)
{
	size_t off = 0;

	while (off < len && !r->complete) {
		size_t avail = len - off;
		const char *p = raw + off;
		size_t take = avail;
		int rc;

		if (r->framing == BENCH_FR_CHUNKED && r->chunk != BENCH_CH_DATA) {
			const char *nl = memmem(p, avail, "\r\n", 2);
			size_t llen;

			if (!nl) {
				if (avail > 64)
					return -1;
				break;
			}
			llen = (size_t)(nl - p);
			off += llen + 2;
			if (r->chunk == BENCH_CH_SIZE) {
				char *e = NULL;
				unsigned long long sz = strtoull(p, &e, 16);

				if (e == p || sz > body_max)
					return -1;
				r->remaining = (size_t)sz;
				r->chunk = sz ? BENCH_CH_DATA : BENCH_CH_TRAILER;
			} else if (r->chunk == BENCH_CH_DATA_END) {
				if (llen != 0)
					return -1;
				r->chunk = BENCH_CH_SIZE;
			} else if (llen == 0) {	/* BENCH_CH_TRAILER: a blank line ends it */
				r->complete = true;
			}
			continue;
		}
		if (r->framing != BENCH_FR_CLOSE && take > r->remaining)
			take = r->remaining;
		rc = sink(ctx, p, take);
		if (rc < 0)
			return -1;
		off += take;
		if (r->framing != BENCH_FR_CLOSE) {
			r->remaining -= take;
			if (r->remaining == 0) {
				if (r->framing == BENCH_FR_LENGTH)
					r->complete = true;
				else
					r->chunk = BENCH_CH_DATA_END;
			}
		}
		if (rc > 0) {
			*used = off;
			return 0;
		}
	}
	if (r->framing == BENCH_FR_LENGTH && r->remaining == 0)
		r->complete = true;
	if (eof && r->framing == BENCH_FR_CLOSE)
		r->complete = true;
	*used = off;
	return r->complete ? 1 : 0;
}

/* ---- server-sent events ---- */

void bench_sse_init(struct bench_sse *s, size_t max)
{
	memset(s, 0, sizeof(*s));
	bench_buf_init(&s->line, max);
	bench_buf_init(&s->data, max);
}

void bench_sse_free(struct bench_sse *s)
{
	bench_buf_free(&s->line);
	bench_buf_free(&s->data);
	s->event[0] = '\0';
	s->skip_lf = false;
}

int bench_sse_feed(struct bench_sse *s, const char *p, size_t len, bench_sse_event_fn on_event,
		   void (*on_comment)(void *ctx), void *ctx)
{
	for (size_t i = 0; i < len; i++) {
		char ch = p[i];

		if (s->skip_lf) {
			s->skip_lf = false;
			if (ch == '\n')
				continue;
		}
		if (ch != '\r' && ch != '\n') {
			size_t run = 1;

			while (i + run < len && p[i + run] != '\r' && p[i + run] != '\n')
				run++;
			if (bench_buf_append(&s->line, p + i, run))
				return -1;
			i += run - 1;
			continue;
		}
		s->skip_lf = ch == '\r';
		if (s->line.len == 0) {	/* a blank line ends the event */
			int rc = 0;

			if (s->data.len || s->event[0])
				rc = on_event(ctx, s->event, s->data.ptr ? s->data.ptr : "",
					      s->data.len);
			s->event[0] = '\0';
			bench_buf_free(&s->data);
			if (rc > 0)
				return 1;
			continue;
		}
		if (s->line.ptr[0] == ':') {
			if (on_comment)
				on_comment(ctx);
		} else {
			char *colon = memchr(s->line.ptr, ':', s->line.len);
			size_t flen = colon ? (size_t)(colon - s->line.ptr) : s->line.len;
			const char *value = colon ? colon + 1 : "";
			size_t vlen = colon ? s->line.len - flen - 1 : 0;

			if (vlen && *value == ' ') {
				value++;
				vlen--;
			}
			if (flen == 5 && !memcmp(s->line.ptr, "event", 5)) {
				snprintf(s->event, sizeof(s->event), "%.*s", (int)vlen, value);
			} else if (flen == 4 && !memcmp(s->line.ptr, "data", 4)) {
				if ((s->data.len && bench_buf_append(&s->data, "\n", 1)) ||
				    bench_buf_append(&s->data, value, vlen))
					return -1;
			}
		}
		bench_buf_free(&s->line);
	}
	return 0;
}

/* ---- latency ---- */

void bench_lat_add(struct bench_lat *l, double seconds)
{
	double us = seconds * 1e6;

	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 65536;
		uint32_t *grown;

		if (l->cap >= l->max)
			return;
		grown = realloc(l->us, cap * sizeof(*grown));
		if (!grown)
			bench_die("out of memory");
		l->us = grown;
		l->cap = cap;
	}
	l->us[l->n++] = us > 4e9 ? UINT32_MAX : (uint32_t)us;
}

static int compare_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

void bench_lat_sort(struct bench_lat *l)
{
	if (l->n)
		qsort(l->us, l->n, sizeof(*l->us), compare_u32);
}

double bench_lat_ms(const struct bench_lat *l, double p)
{
	if (!l->n)
		return 0.0;
	return l->us[(size_t)(p / 100.0 * (double)(l->n - 1) + 0.5)] / 1000.0;
}

void bench_lat_free(struct bench_lat *l)
{
	free(l->us);
	memset(l, 0, sizeof(*l));
}

static int compare_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

void bench_sort_doubles(double *v, size_t n)
{
	if (n)
		qsort(v, n, sizeof(*v), compare_double);
}

double bench_pct(const double *v, size_t n, double p)
{
	if (!n)
		return 0.0;
	return v[(size_t)(p / 100.0 * (double)(n - 1) + 0.5)];
}
