/* loadgen.c - HTTP load generator for `loket serve` (bench/http/run.sh runs it).
 * Opens N keep-alive connections to 127.0.0.1, creates one conversation per connection, then for
 * D seconds has every connection post one message at a time to its own conversation (rotating
 * through realistic Dutch municipal questions and a few greetings). Prints messages/s, latency
 * percentiles and the number of non-200 answers. Plain POSIX sockets + epoll, HTTP/1.1 with
 * Content-Length bodies only (chunked answers count as errors), no external libraries (the
 * socket and HTTP pieces are bench/common/bench_net.c). */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "bench_net.h"
#include "bench_texts.h"

#define MAX_CONNECTIONS 4096
#define READ_BUF_MAX (1024 * 1024)     /* one response larger than this is an error */
#define WRITE_BUF_MAX 2048
#define DRAIN_SECONDS 10.0             /* wait this long for in-flight answers after the end */
#define MAX_SAMPLES (64u * 1024 * 1024) /* latency samples kept at most */

enum conn_phase { PHASE_CONNECTING, PHASE_CREATING, PHASE_READY, PHASE_POSTING, PHASE_DONE };

struct conn {
    int fd;
    enum conn_phase phase;
    char conv_id[64];
    char token[160];
    char wbuf[WRITE_BUF_MAX];
    size_t wlen, woff;
    struct bench_buf rbuf;
    double sent_at;
    unsigned next_question;
};

struct options {
    const char *host;
    int port;
    int connections;
    double duration;
};

struct stats {
    struct bench_lat latency;
    unsigned long non_200, conn_errors, created;
    double start, last_done;
};

static int g_epoll = -1;
static struct options g_opt = { "127.0.0.1", 8080, 64, 10.0 };
static struct stats g_stats = { .latency = { .max = MAX_SAMPLES } };

/* ---- options ---- */

static void usage(void)
{
    fprintf(stderr, "usage: loadgen [-H host] [-p port] [-c connections] [-d seconds]\n"
                    "  host must be an IPv4 address (default 127.0.0.1); port default 8080;\n"
                    "  64 connections and 10 seconds by default.\n");
    exit(2);
}

static void parse_options(int argc, char **argv)
{
    int opt;
    while ((opt = getopt(argc, argv, "H:p:c:d:h")) != -1) {
        switch (opt) {
        case 'H': g_opt.host = optarg; break;
        case 'p': g_opt.port = (int)bench_parse_long(optarg, 1, 65535, "port"); break;
        case 'c':
            g_opt.connections = (int)bench_parse_long(optarg, 1, MAX_CONNECTIONS, "connections");
            break;
        case 'd': g_opt.duration = (double)bench_parse_long(optarg, 1, 3600, "seconds"); break;
        default: usage();
        }
    }
    if (optind != argc)
        usage();
    struct in_addr addr;
    if (inet_pton(AF_INET, g_opt.host, &addr) != 1)
        bench_die("host must be an IPv4 address: %s", g_opt.host);
}

/* ---- connections ---- */

static void watch(struct conn *c, uint32_t events, int op)
{
    bench_watch(g_epoll, c->fd, c, events, op);
}

static int open_connection(struct conn *c)
{
    const char *failed = NULL;
    c->fd = bench_connect(g_opt.host, g_opt.port, &failed);
    if (c->fd < 0) {
        if (!strcmp(failed, "socket"))
            bench_die("socket: %s", strerror(errno));
        return -1;
    }
    bench_buf_consume(&c->rbuf, c->rbuf.len);
    watch(c, EPOLLOUT, EPOLL_CTL_ADD);
    return 0;
}

static void close_connection(struct conn *c)
{
    if (c->fd >= 0) {
        epoll_ctl(g_epoll, EPOLL_CTL_DEL, c->fd, NULL);
        close(c->fd);
    }
    c->fd = -1;
}

/* Queues one request; body may be NULL. Returns -1 if it does not fit the write buffer. */
static int queue_request(struct conn *c, const char *method, const char *path, const char *body)
{
    int n = bench_http_format(c->wbuf, sizeof c->wbuf, method, path, g_opt.host, g_opt.port,
                              c->token[0] != '\0' ? c->token : NULL, NULL, body ? body : "");
    if (n < 0)
        return -1;
    c->wlen = (size_t)n;
    c->woff = 0;
    c->sent_at = bench_now();
    watch(c, EPOLLOUT, EPOLL_CTL_MOD);
    return 0;
}

static void send_create(struct conn *c)
{
    c->phase = PHASE_CREATING;
    c->token[0] = '\0';
    if (queue_request(c, "POST", "/api/v1/conversations", "{\"lang\":\"nl\",\"channel\":\"api\"}") != 0)
        bench_die("request too large");
}

static void send_message(struct conn *c)
{
    char path[128], body[512];
    snprintf(path, sizeof path, "/api/v1/conversations/%s/messages", c->conv_id);
    snprintf(body, sizeof body, "{\"text\":\"%s\"}",
             bench_questions[c->next_question % bench_n_questions]);
    c->next_question++;
    c->phase = PHASE_POSTING;
    if (queue_request(c, "POST", path, body) != 0)
        bench_die("request too large");
}

/* Copies the JSON string value of "key" in json into out; returns 0 when found. Enough for the
 * flat hex strings id and token (whitespace around the colon allowed); not a JSON parser. */
static int json_string_field(const char *json, size_t len, const char *key, char *out, size_t out_size)
{
    char needle[64];
    snprintf(needle, sizeof needle, "\"%s\"", key);
    size_t needle_len = strlen(needle);
    for (size_t i = 0; i + needle_len <= len; i++) {
        if (memcmp(json + i, needle, needle_len) != 0)
            continue;
        size_t p = i + needle_len;
        while (p < len && (json[p] == ' ' || json[p] == '\t' || json[p] == '\n' || json[p] == '\r'))
            p++;
        if (p >= len || json[p] != ':')
            continue;
        p++;
        while (p < len && (json[p] == ' ' || json[p] == '\t' || json[p] == '\n' || json[p] == '\r'))
            p++;
        if (p >= len || json[p] != '"')
            continue;
        size_t start = p + 1, end = start;
        while (end < len && json[end] != '"')
            end++;
        if (end >= len || end - start >= out_size)
            return -1;
        memcpy(out, json + start, end - start);
        out[end - start] = '\0';
        return 0;
    }
    return -1;
}

/* Looks for one complete response in the read buffer. Returns 1 and sets status and
 * body/body_len/total when complete, 0 when more bytes are needed, -1 when unparseable. */
static int parse_response(struct conn *c, int *status, const char **body, size_t *body_len, size_t *total)
{
    struct bench_http_head h;
    int rc = bench_http_head(c->rbuf.ptr, c->rbuf.len, READ_BUF_MAX, false, &h);
    if (rc <= 0)
        return rc;
    *status = h.status;
    long content_length = h.content_length;
    if (h.chunked)
        return -1;
    if (content_length < 0)
        content_length = (*status == 204 || *status == 304) ? 0 : -1;
    if (content_length < 0 || content_length > READ_BUF_MAX)
        return -1;
    if (c->rbuf.len < h.head_len + (size_t)content_length)
        return 0;
    *body = c->rbuf.ptr + h.head_len;
    *body_len = (size_t)content_length;
    *total = h.head_len + (size_t)content_length;
    return 1;
}

static bool measuring(void)
{
    return g_stats.start > 0.0;
}

static void handle_response(struct conn *c, int status, const char *body, size_t body_len)
{
    double done = bench_now();
    if (c->phase == PHASE_CREATING) {
        if (status != 201 || json_string_field(body, body_len, "id", c->conv_id, sizeof c->conv_id) != 0
            || json_string_field(body, body_len, "token", c->token, sizeof c->token) != 0) {
            fprintf(stderr, "loadgen: creating a conversation failed (status %d): %.*s\n", status,
                    (int)(body_len > 300 ? 300 : body_len), body);
            exit(1);
        }
        c->phase = PHASE_READY;
        g_stats.created++;
        watch(c, EPOLLIN, EPOLL_CTL_MOD);
        return;
    }
    bench_lat_add(&g_stats.latency, done - c->sent_at);
    g_stats.last_done = done;
    if (status != 200) {
        if (g_stats.non_200 < 5)
            fprintf(stderr, "loadgen: status %d: %.*s\n", status, (int)(body_len > 200 ? 200 : body_len), body);
        g_stats.non_200++;
    }
    if (done - g_stats.start < g_opt.duration)
        send_message(c);
    else {
        c->phase = PHASE_DONE;
        watch(c, EPOLLIN, EPOLL_CTL_MOD);
    }
}

/* The server closed or broke the connection: count it, reconnect, carry on where it was. A
 * message in flight on the broken connection is lost and not counted as a latency sample. */
static void connection_failed(struct conn *c)
{
    g_stats.conn_errors++;
    close_connection(c);
    c->wlen = c->woff = 0;
    if (c->phase == PHASE_DONE)
        return;
    c->phase = PHASE_CONNECTING;
    if (open_connection(c) != 0)
        bench_die("reconnect: %s", strerror(errno));
}

static void on_readable(struct conn *c)
{
    if (bench_read_avail(c->fd, &c->rbuf) != 0) {
        connection_failed(c);
        return;
    }
    int status = 0;
    const char *body = NULL;
    size_t body_len = 0, total = 0;
    int parsed = parse_response(c, &status, &body, &body_len, &total);
    if (parsed < 0) {
        connection_failed(c);
        return;
    }
    if (parsed == 0)
        return;
    handle_response(c, status, body, body_len);
    bench_buf_consume(&c->rbuf, total);
}

static void on_writable(struct conn *c)
{
    if (c->phase == PHASE_CONNECTING) {
        int err = bench_connect_error(c->fd);
        if (err != 0) {
            fprintf(stderr, "loadgen: cannot connect to %s:%d: %s\n", g_opt.host, g_opt.port, strerror(err));
            exit(1);
        }
        if (c->conv_id[0] == '\0') {
            send_create(c);
        } else if (measuring()) {
            send_message(c);   /* reconnected in the middle of the run */
        } else {
            c->phase = PHASE_READY;
            watch(c, EPOLLIN, EPOLL_CTL_MOD);
            return;
        }
    }
    int rc = bench_write_some(c->fd, c->wbuf, c->wlen, &c->woff);
    if (rc == 0)
        return;
    if (rc < 0) {
        connection_failed(c);
        return;
    }
    watch(c, EPOLLIN, EPOLL_CTL_MOD);
}

static void on_event(struct conn *c, uint32_t events)
{
    if (events & (EPOLLERR | EPOLLHUP)) {
        if (c->phase == PHASE_CONNECTING) {
            fprintf(stderr, "loadgen: cannot connect to %s:%d\n", g_opt.host, g_opt.port);
            exit(1);
        }
        if (!(events & EPOLLIN)) {
            connection_failed(c);
            return;
        }
    }
    if (events & EPOLLOUT)
        on_writable(c);
    else if (events & EPOLLIN)
        on_readable(c);
}

/* ---- the run ---- */

static void run_loop(struct conn *conns, int n, bool (*finished)(const struct conn *, int))
{
    struct epoll_event events[256];
    while (!finished(conns, n)) {
        int ready = epoll_wait(g_epoll, events, 256, 100);
        if (ready < 0 && errno != EINTR)
            bench_die("epoll_wait: %s", strerror(errno));
        for (int i = 0; i < ready; i++)
            on_event(events[i].data.ptr, events[i].events);
    }
}

static bool all_created(const struct conn *conns, int n)
{
    (void)conns;
    return g_stats.created == (unsigned long)n;
}

static bool all_done(const struct conn *conns, int n)
{
    double elapsed = bench_now() - g_stats.start;
    if (elapsed >= g_opt.duration + DRAIN_SECONDS)
        return true;
    for (int i = 0; i < n; i++)
        if (conns[i].phase != PHASE_DONE && conns[i].fd >= 0)
            return false;
    return true;
}

static void print_report(int n)
{
    double elapsed = g_stats.last_done - g_stats.start;
    if (elapsed <= 0.0)
        elapsed = g_opt.duration;
    struct bench_lat *lat = &g_stats.latency;
    bench_lat_sort(lat);
    printf("loadgen: %d connections, %.0f s, http://%s:%d\n", n, g_opt.duration, g_opt.host, g_opt.port);
    printf("messages:   %zu in %.2f s = %.0f messages/s\n", lat->n, elapsed,
           (double)lat->n / elapsed);
    printf("latency ms: p50 %.2f  p90 %.2f  p99 %.2f  max %.2f\n", bench_lat_ms(lat, 50),
           bench_lat_ms(lat, 90), bench_lat_ms(lat, 99), bench_lat_ms(lat, 100));
    printf("non-200:    %lu\n", g_stats.non_200);
    printf("conn errors: %lu\n", g_stats.conn_errors);
}

int main(int argc, char **argv)
{
    bench_prog = "loadgen";
    parse_options(argc, argv);
    g_epoll = epoll_create1(EPOLL_CLOEXEC);
    if (g_epoll < 0)
        bench_die("epoll_create1: %s", strerror(errno));

    struct conn *conns = bench_calloc((size_t)g_opt.connections, sizeof *conns);
    for (int i = 0; i < g_opt.connections; i++) {
        bench_buf_init(&conns[i].rbuf, READ_BUF_MAX + 4096);
        conns[i].next_question = (unsigned)i;
        conns[i].phase = PHASE_CONNECTING;
        if (open_connection(&conns[i]) != 0) {
            fprintf(stderr, "loadgen: cannot connect to %s:%d\n", g_opt.host, g_opt.port);
            return 1;
        }
    }
    run_loop(conns, g_opt.connections, all_created);

    g_stats.start = bench_now();
    for (int i = 0; i < g_opt.connections; i++)
        send_message(&conns[i]);
    run_loop(conns, g_opt.connections, all_done);

    print_report(g_opt.connections);
    for (int i = 0; i < g_opt.connections; i++) {
        close_connection(&conns[i]);
        bench_buf_free(&conns[i].rbuf);
    }
    free(conns);
    size_t samples = g_stats.latency.n;
    bench_lat_free(&g_stats.latency);
    close(g_epoll);
    return samples == 0 ? 1 : 0;
}
