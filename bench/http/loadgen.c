/* loadgen.c - HTTP load generator for `loket serve` (bench/http/run.sh runs it).
 * Opens N keep-alive connections to 127.0.0.1, creates one conversation per connection, then for
 * D seconds has every connection post one message at a time to its own conversation (rotating
 * through realistic Dutch municipal questions and a few greetings). Prints messages/s, latency
 * percentiles and the number of non-200 answers. Plain POSIX sockets + epoll, HTTP/1.1 with
 * Content-Length bodies only (chunked answers count as errors), no external libraries. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
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

#define MAX_CONNECTIONS 4096
#define READ_BUF_MAX (1024 * 1024)     /* one response larger than this is an error */
#define WRITE_BUF_MAX 2048
#define DRAIN_SECONDS 10.0             /* wait this long for in-flight answers after the end */
#define MAX_SAMPLES (64u * 1024 * 1024) /* latency samples kept at most */

static const char *const QUESTIONS[] = {
    "Hoe vraag ik een rijbewijs aan?",
    "Wat kost een nieuw paspoort?",
    "Hoe lang is mijn identiteitskaart geldig?",
    "Ik ga verhuizen, hoe geef ik mijn nieuwe adres door?",
    "Wanneer wordt het grofvuil opgehaald?",
    "Hoe vraag ik een parkeervergunning aan?",
    "Waar kan ik een uittreksel uit de basisregistratie personen krijgen?",
    "Hoe meld ik een kapotte lantaarnpaal?",
    "Hoe vraag ik bijstand aan?",
    "Moet ik een vergunning hebben voor een dakkapel?",
    "Hoe betaal ik de gemeentelijke belastingen?",
    "Kan ik kwijtschelding krijgen van de afvalstoffenheffing?",
    "Hoe geef ik de geboorte van mijn kind aan?",
    "Hoe trouwen wij bij de gemeente?",
    "Waar meld ik overlast van buren?",
    "Hoe vraag ik een gehandicaptenparkeerkaart aan?",
    "Wat moet ik doen als mijn paspoort gestolen is?",
    "Hoe krijg ik een Verklaring Omtrent het Gedrag?",
    "Wanneer is het gemeentehuis open?",
    "Hoe vraag ik hulp uit de Wmo aan?",
    "hallo",
    "dank je wel",
    "wie ben jij",
    "doei",
};
#define N_QUESTIONS (sizeof QUESTIONS / sizeof QUESTIONS[0])

enum conn_phase { PHASE_CONNECTING, PHASE_CREATING, PHASE_READY, PHASE_POSTING, PHASE_DONE };

struct conn {
    int fd;
    enum conn_phase phase;
    char conv_id[64];
    char token[160];
    char wbuf[WRITE_BUF_MAX];
    size_t wlen, woff;
    char *rbuf;
    size_t rlen, rcap;
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
    uint32_t *latency_us;
    size_t n_samples, cap_samples;
    unsigned long non_200, conn_errors, created;
    double start, last_done;
};

static int g_epoll = -1;
static struct options g_opt = { "127.0.0.1", 8080, 64, 10.0 };
static struct stats g_stats;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
    perror(what);
    exit(2);
}

/* ---- options ---- */

static long parse_long(const char *text, long min, long max, const char *name)
{
    char *end = NULL;
    errno = 0;
    long value = strtol(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || value < min || value > max) {
        fprintf(stderr, "loadgen: %s must be a number from %ld to %ld\n", name, min, max);
        exit(2);
    }
    return value;
}

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
        case 'p': g_opt.port = (int)parse_long(optarg, 1, 65535, "port"); break;
        case 'c': g_opt.connections = (int)parse_long(optarg, 1, MAX_CONNECTIONS, "connections"); break;
        case 'd': g_opt.duration = (double)parse_long(optarg, 1, 3600, "seconds"); break;
        default: usage();
        }
    }
    if (optind != argc)
        usage();
}

/* ---- latency samples ---- */

static void record_latency(double seconds)
{
    if (g_stats.n_samples == g_stats.cap_samples) {
        if (g_stats.cap_samples >= MAX_SAMPLES)
            return;
        size_t cap = g_stats.cap_samples ? g_stats.cap_samples * 2 : 65536;
        uint32_t *grown = realloc(g_stats.latency_us, cap * sizeof *grown);
        if (grown == NULL)
            die("realloc");
        g_stats.latency_us = grown;
        g_stats.cap_samples = cap;
    }
    double us = seconds * 1e6;
    g_stats.latency_us[g_stats.n_samples++] = us > 4e9 ? UINT32_MAX : (uint32_t)us;
}

static int compare_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

static double percentile_ms(double p)
{
    if (g_stats.n_samples == 0)
        return 0.0;
    size_t index = (size_t)(p / 100.0 * (double)(g_stats.n_samples - 1) + 0.5);
    return g_stats.latency_us[index] / 1000.0;
}

/* ---- connections ---- */

static void watch(struct conn *c, uint32_t events, int op)
{
    struct epoll_event ev = { .events = events, .data.ptr = c };
    if (epoll_ctl(g_epoll, op, c->fd, &ev) != 0)
        die("epoll_ctl");
}

static int open_connection(struct conn *c)
{
    struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons((uint16_t)g_opt.port) };
    if (inet_pton(AF_INET, g_opt.host, &addr.sin_addr) != 1) {
        fprintf(stderr, "loadgen: host must be an IPv4 address: %s\n", g_opt.host);
        exit(2);
    }
    c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c->fd < 0)
        die("socket");
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(c->fd, (struct sockaddr *)&addr, sizeof addr) != 0 && errno != EINPROGRESS) {
        close(c->fd);
        c->fd = -1;
        return -1;
    }
    c->rlen = 0;
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
    size_t body_len = body ? strlen(body) : 0;
    int n;
    if (c->token[0] != '\0')
        n = snprintf(c->wbuf, sizeof c->wbuf,
                     "%s %s HTTP/1.1\r\nHost: %s:%d\r\nAuthorization: Bearer %s\r\n"
                     "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
                     method, path, g_opt.host, g_opt.port, c->token, body_len, body ? body : "");
    else
        n = snprintf(c->wbuf, sizeof c->wbuf,
                     "%s %s HTTP/1.1\r\nHost: %s:%d\r\n"
                     "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
                     method, path, g_opt.host, g_opt.port, body_len, body ? body : "");
    if (n < 0 || (size_t)n >= sizeof c->wbuf)
        return -1;
    c->wlen = (size_t)n;
    c->woff = 0;
    c->sent_at = now_s();
    watch(c, EPOLLOUT, EPOLL_CTL_MOD);
    return 0;
}

static void send_create(struct conn *c)
{
    c->phase = PHASE_CREATING;
    c->token[0] = '\0';
    if (queue_request(c, "POST", "/api/v1/conversations", "{\"lang\":\"nl\",\"channel\":\"api\"}") != 0)
        die("request too large");
}

static void send_message(struct conn *c)
{
    char path[128], body[512];
    snprintf(path, sizeof path, "/api/v1/conversations/%s/messages", c->conv_id);
    snprintf(body, sizeof body, "{\"text\":\"%s\"}", QUESTIONS[c->next_question % N_QUESTIONS]);
    c->next_question++;
    c->phase = PHASE_POSTING;
    if (queue_request(c, "POST", path, body) != 0)
        die("request too large");
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
    char *end = memmem(c->rbuf, c->rlen, "\r\n\r\n", 4);
    if (end == NULL)
        return c->rlen >= READ_BUF_MAX ? -1 : 0;
    size_t header_len = (size_t)(end - c->rbuf) + 4;
    if (c->rlen < 12 || memcmp(c->rbuf, "HTTP/1.", 7) != 0)
        return -1;
    *status = (int)strtol(c->rbuf + 9, NULL, 10);

    long content_length = -1;
    const char *line = memchr(c->rbuf, '\n', header_len);
    while (line != NULL && (size_t)(line - c->rbuf) < header_len - 2) {
        line++;
        if (strncasecmp(line, "content-length:", 15) == 0)
            content_length = strtol(line + 15, NULL, 10);
        else if (strncasecmp(line, "transfer-encoding:", 18) == 0)
            return -1;
        line = memchr(line, '\n', header_len - (size_t)(line - c->rbuf));
    }
    if (content_length < 0)
        content_length = (*status == 204 || *status == 304) ? 0 : -1;
    if (content_length < 0 || content_length > READ_BUF_MAX)
        return -1;
    if (c->rlen < header_len + (size_t)content_length)
        return 0;
    *body = c->rbuf + header_len;
    *body_len = (size_t)content_length;
    *total = header_len + (size_t)content_length;
    return 1;
}

static bool measuring(void)
{
    return g_stats.start > 0.0;
}

static void handle_response(struct conn *c, int status, const char *body, size_t body_len)
{
    double done = now_s();
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
    record_latency(done - c->sent_at);
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
        die("reconnect");
}

static void on_readable(struct conn *c)
{
    for (;;) {
        if (c->rcap - c->rlen < 4096) {
            size_t cap = c->rcap * 2;
            if (cap > READ_BUF_MAX + 4096) {
                connection_failed(c);
                return;
            }
            char *grown = realloc(c->rbuf, cap);
            if (grown == NULL)
                die("realloc");
            c->rbuf = grown;
            c->rcap = cap;
        }
        ssize_t n = read(c->fd, c->rbuf + c->rlen, c->rcap - c->rlen);
        if (n > 0) {
            c->rlen += (size_t)n;
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            break;
        if (n < 0 && errno == EINTR)
            continue;
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
    memmove(c->rbuf, c->rbuf + total, c->rlen - total);
    c->rlen -= total;
}

static void on_writable(struct conn *c)
{
    if (c->phase == PHASE_CONNECTING) {
        int err = 0;
        socklen_t len = sizeof err;
        if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err != 0) {
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
    while (c->woff < c->wlen) {
        ssize_t n = write(c->fd, c->wbuf + c->woff, c->wlen - c->woff);
        if (n > 0) {
            c->woff += (size_t)n;
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
            return;
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
            die("epoll_wait");
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
    double elapsed = now_s() - g_stats.start;
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
    qsort(g_stats.latency_us, g_stats.n_samples, sizeof *g_stats.latency_us, compare_u32);
    printf("loadgen: %d connections, %.0f s, http://%s:%d\n", n, g_opt.duration, g_opt.host, g_opt.port);
    printf("messages:   %zu in %.2f s = %.0f messages/s\n", g_stats.n_samples, elapsed,
           (double)g_stats.n_samples / elapsed);
    printf("latency ms: p50 %.2f  p90 %.2f  p99 %.2f  max %.2f\n", percentile_ms(50), percentile_ms(90),
           percentile_ms(99), g_stats.n_samples ? g_stats.latency_us[g_stats.n_samples - 1] / 1000.0 : 0.0);
    printf("non-200:    %lu\n", g_stats.non_200);
    printf("conn errors: %lu\n", g_stats.conn_errors);
}

int main(int argc, char **argv)
{
    parse_options(argc, argv);
    g_epoll = epoll_create1(EPOLL_CLOEXEC);
    if (g_epoll < 0)
        die("epoll_create1");

    struct conn *conns = calloc((size_t)g_opt.connections, sizeof *conns);
    if (conns == NULL)
        die("calloc");
    for (int i = 0; i < g_opt.connections; i++) {
        conns[i].rcap = 16384;
        conns[i].rbuf = malloc(conns[i].rcap);
        conns[i].next_question = (unsigned)i;
        if (conns[i].rbuf == NULL)
            die("malloc");
        conns[i].phase = PHASE_CONNECTING;
        if (open_connection(&conns[i]) != 0) {
            fprintf(stderr, "loadgen: cannot connect to %s:%d\n", g_opt.host, g_opt.port);
            return 1;
        }
    }
    run_loop(conns, g_opt.connections, all_created);

    g_stats.start = now_s();
    for (int i = 0; i < g_opt.connections; i++)
        send_message(&conns[i]);
    run_loop(conns, g_opt.connections, all_done);

    print_report(g_opt.connections);
    for (int i = 0; i < g_opt.connections; i++) {
        close_connection(&conns[i]);
        free(conns[i].rbuf);
    }
    free(conns);
    free(g_stats.latency_us);
    close(g_epoll);
    return g_stats.n_samples == 0 ? 1 : 0;
}
