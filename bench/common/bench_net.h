/* bench_net.h - what the C benchmarks' HTTP clients share (bench/http/loadgen.c,
 * bench/llm/bench_llm.c, bench/sse/bench_sse.c, bench/webhook/bench_webhook.c): the clock, fatal
 * errors, option numbers, /proc figures, a bounded byte buffer, non-blocking loopback sockets,
 * HTTP/1.1 requests and responses (Content-Length, chunked or to the close), an SSE line parser
 * and latency percentiles. libc only; a benchmark dies (bench_die) rather than return errors.
 */
#ifndef BENCH_NET_H
#define BENCH_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- small helpers ---- */

/* The program's name, the prefix of bench_die's messages; main sets it first. */
extern const char *bench_prog;

/* CLOCK_MONOTONIC in seconds. */
double bench_now(void);

/* Prints "PROG: message" on stderr and exits 2. */
void bench_die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

/* calloc that dies when out of memory (0 items: one). Caller frees with free(). */
void *bench_calloc(size_t n, size_t size);

/* A decimal number from min to max, or bench_die("NAME must be a number from MIN to MAX"). */
long bench_parse_long(const char *text, long min, long max, const char *name);

/* "HOST:PORT" into host (an IPv4 address; "localhost" becomes 127.0.0.1) and port; dies with
 * NAME in the message when text is not that. */
void bench_parse_hostport(const char *text, char *host, size_t host_size, int *port,
			  const char *name);

/* A field of /proc/PID/status as a number (VmRSS, VmHWM: kB; Threads: a count), or -1. */
long bench_proc_status(long pid, const char *field);

/* User + system CPU seconds of pid (0: this process) from /proc/PID/stat, or -1. */
double bench_proc_cpu_s(long pid);

/* Raises the soft descriptor limit to the hard one; returns the soft limit now (0: unknown). */
unsigned long long bench_raise_nofile(void);

/* ---- a growable byte string with a maximum ---- */

/* NUL-terminated once it holds anything; all zero (or bench_buf_init) is empty. */
struct bench_buf {
	char *ptr;
	size_t len, cap, max;
	bool truncated;		/* an append did not fit */
};

void bench_buf_init(struct bench_buf *b, size_t max);
/* Appends all of data, or nothing and -1 when b would grow past its max. */
int bench_buf_append(struct bench_buf *b, const void *data, size_t len);
/* Drops the first n bytes; frees the memory when nothing is left (idle connections hold none). */
void bench_buf_consume(struct bench_buf *b, size_t n);
/* Frees the memory; the max stays. */
void bench_buf_free(struct bench_buf *b);

/* ---- sockets ---- */

/* Starts a non-blocking connect to host:port (IPv4) with TCP_NODELAY. Returns the socket, or -1
 * with errno set and *failed (when not NULL) naming the call that failed. */
int bench_connect(const char *host, int port, const char **failed);

/* The error of a connect that has finished (0: connected), or an errno. */
int bench_connect_error(int fd);

/* epoll_ctl(op) of fd with events and ptr as its data; dies when that fails. */
void bench_watch(int epfd, int fd, void *ptr, uint32_t events, int op);

/* Writes buf[*off..len) to a non-blocking socket, advancing *off. Returns 1 when all is written,
 * 0 when the socket is full, -1 on an error (errno set). Never raises SIGPIPE. */
int bench_write_some(int fd, const char *buf, size_t len, size_t *off);

/* Sends all of data on a blocking socket (a non-blocking one that is full fails). 0, or -1. */
int bench_send_all(int fd, const char *data, size_t len);

/* A listening socket on 127.0.0.1:port (0: any free port) with SO_REUSEADDR, non-blocking when
 * asked; *bound is the port it got. Returns the socket, or -1 with errno set. */
int bench_listen(int port, int backlog, bool nonblock, int *bound);

/* Reads all a non-blocking socket has into b. Returns 0 when it would block, 1 at the end of the
 * stream or on an error, -1 when b reached its max with more to read. */
int bench_read_avail(int fd, struct bench_buf *b);

/* ---- HTTP/1.1 ---- */

/* Formats a request into buf: "METHOD PATH HTTP/1.1", Host, "Authorization: Bearer TOKEN" when
 * token is not NULL, the header lines in extra (each ending in CRLF; may be NULL), and with a
 * body "Content-Type: application/json", Content-Length and the body. Returns its length, or -1
 * when it does not fit size bytes. */
int bench_http_format(char *buf, size_t size, const char *method, const char *path,
		      const char *host, int port, const char *token, const char *extra,
		      const char *body);

/* The head of a response; a "100 Continue" before it is skipped (counted in head_len). */
struct bench_http_head {
	int status;
	size_t head_len;	/* bytes up to and with the blank line */
	long content_length;	/* -1: none */
	bool chunked;		/* Transfer-Encoding: chunked */
	bool close;		/* Connection: close */
};

/* Parses the head at raw[0..len). Returns 1 with h filled, 0 when more bytes are needed, -1 when
 * raw is no HTTP response or no head ends within head_max bytes (or by eof). */
int bench_http_head(const char *raw, size_t len, size_t head_max, bool eof,
		    struct bench_http_head *h);

enum bench_framing { BENCH_FR_LENGTH, BENCH_FR_CHUNKED, BENCH_FR_CLOSE };
enum bench_chunk { BENCH_CH_SIZE, BENCH_CH_DATA, BENCH_CH_DATA_END, BENCH_CH_TRAILER };

/* The decoder of one response: its head's status, how its body is framed, where it is. */
struct bench_http_resp {
	bool headers_done, complete;
	int status;
	enum bench_framing framing;
	enum bench_chunk chunk;
	size_t remaining;
};

/* Forgets the previous response (before a request is sent). */
void bench_http_reset(struct bench_http_resp *r);

/* Decodes the head at raw[0..len) into r, as bench_http_head. With 1, *used is the head's length
 * and r->headers_done is set; -1 also when Content-Length or a chunk passes body_max. */
int bench_http_resp_head(struct bench_http_resp *r, const char *raw, size_t len, size_t head_max,
			 size_t body_max, bool eof, size_t *used);

/* Gets the body bytes of a response: < 0 to fail, > 0 to stop decoding, else 0. */
typedef int (*bench_sink_fn)(void *ctx, const char *data, size_t len);

/* Decodes body bytes at raw[0..len) after the head, passing the body to sink; *used is what was
 * consumed. Returns 1 when the response is complete, 0 when it is not (or sink said stop), -1
 * when the bytes cannot be understood or sink failed. A body framed by the close completes at
 * eof. */
int bench_http_resp_body(struct bench_http_resp *r, const char *raw, size_t len, size_t body_max,
			 bool eof, size_t *used, bench_sink_fn sink, void *ctx);

/* ---- server-sent events ---- */

struct bench_sse {
	struct bench_buf line, data;
	char event[32];
	bool skip_lf;
};

/* An event: its name ("" when none) and its data lines joined by "\n". > 0 stops the feed. */
typedef int (*bench_sse_event_fn)(void *ctx, const char *event, const char *data, size_t len);

/* Lines and data longer than max fail the feed. */
void bench_sse_init(struct bench_sse *s, size_t max);
void bench_sse_free(struct bench_sse *s);

/* Feeds bytes of an event stream (lines end in CR, LF or CRLF); a blank line dispatches the event
 * when it has data or a name; comment lines (":...") go to on_comment (may be NULL). Returns 0,
 * 1 when on_event said stop, -1 when a line or an event's data is too long. Line and data memory
 * is freed between lines and events, so an idle stream holds none. */
int bench_sse_feed(struct bench_sse *s, const char *p, size_t len, bench_sse_event_fn on_event,
		   void (*on_comment)(void *ctx), void *ctx);

/* ---- latency ---- */

/* Latency samples in microseconds; all zero is empty. Keeps at most max samples. */
struct bench_lat {
	uint32_t *us;
	size_t n, cap, max;
};

void bench_lat_add(struct bench_lat *l, double seconds);
void bench_lat_sort(struct bench_lat *l);
/* Percentile p (0 to 100) of the sorted samples in ms; 0 when there are none. */
double bench_lat_ms(const struct bench_lat *l, double p);
void bench_lat_free(struct bench_lat *l);

/* Sorts v ascending; bench_pct is percentile p (0 to 100) of the sorted v, 0 when n is 0. */
void bench_sort_doubles(double *v, size_t n);
double bench_pct(const double *v, size_t n, double p);

#endif
