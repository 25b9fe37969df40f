/* bench_llm.c - benchmark of Loket's LLM streaming (bench/llm/run.sh runs it).
 * One process plays both ends around `loket serve`: an embedded fake OpenAI-compatible server
 * (a thread per connection) that streams a known answer word by word in llama-server's SSE chunk
 * format, and N clients of Loket (one epoll loop) that each create a conversation, open its
 * events stream, post a question carrying a unique "#tag<id>" and collect the streamed tokens and
 * the final bot message. Both ends stamp CLOCK_MONOTONIC, so their difference is the latency
 * Loket adds around the model. Prints completed/lost/mixed counts, latency percentiles and,
 * given Loket's pid, its RSS. Needs libc, pthreads and jansson only (client sockets, HTTP and
 * SSE: bench/common/bench_net.c); never judges timings.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "bench_net.h"

#define MAX_CONVERSATIONS 100000	/* over all phases */
#define MAX_PHASES 8
/* A conversation's tag: "#tag", "lk", its index in TAG_LETTERS letters (base 26), then 'z'
 * padding up to TAG_ID_LEN letters. Letters only: Loket refuses an answer with a number that is
 * not in the passages. One run of more than 64 letters with no colon: retrieval skips a word
 * that long (text_token.h), whereas any unknown word, "tag" included, makes the demo bot
 * answer "I don't know" without asking the model. */
#define TAG_PREFIX "#tag"
#define TAG_ID_PREFIX "lk"
#define TAG_LETTERS 5
#define TAG_ID_LEN 66			/* with "tag": 69 letters */
#define TAG_ID_MAX 96

#define FAKE_HEAD_MAX (16 * 1024)	/* request line + headers */
#define FAKE_BODY_MAX (4 * 1024 * 1024)
#define FAKE_MAX_WORDS 4096
#define FAKE_PASSAGE_MAX 4000		/* bytes of source 1 looked at */
#define FAKE_STACK (256 * 1024)
#define FAKE_IDLE_S 120			/* an idle keep-alive connection is closed after this */

#define CLIENT_RBUF (16 * 1024)		/* raw bytes not yet decoded, per connection */
#define CLIENT_WBUF 8192
#define CLIENT_BODY_MAX (1024 * 1024)	/* one JSON answer of Loket */
#define TEXT_MAX (64 * 1024)		/* streamed tokens / final text kept per conversation */
#define SSE_EVENT_MAX (256 * 1024)
#define QUESTION_MAX 2000
#define RSS_SAMPLE_S 0.1

/* ---- small helpers ---- */

static void sleep_until(double when)
{
	struct timespec ts;

	if (when <= 0.0)
		return;
	ts.tv_sec = (time_t)when;
	ts.tv_nsec = (long)((when - (double)ts.tv_sec) * 1e9);
	if (ts.tv_nsec >= 1000000000L)
		ts.tv_nsec = 999999999L;
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

/* Finds the next "#tag<id>" in text[0..len); copies the id (letters and digits) to id and
 * returns the position after it, or NULL when there is none. */
static const char *next_tag(const char *text, size_t len, char *id, size_t id_size)
{
	const char *end = text + len;
	size_t plen = strlen(TAG_PREFIX);

	while (text && (size_t)(end - text) >= plen) {
		const char *hit = memmem(text, (size_t)(end - text), TAG_PREFIX, plen);
		const char *p;
		size_t n = 0;

		if (!hit)
			return NULL;
		p = hit + plen;
		while (p + n < end && ((p[n] >= '0' && p[n] <= '9') || (p[n] >= 'a' && p[n] <= 'z') ||
				       (p[n] >= 'A' && p[n] <= 'Z')))
			n++;
		if (n > 0 && n < id_size) {
			memcpy(id, p, n);
			id[n] = '\0';
			return p + n;
		}
		text = p + n;
	}
	return NULL;
}

/* The tag id of conversation index (see TAG_PREFIX), e.g. 27 -> "lkaaabbzzz...z". */
static void tag_id(long index, char *out, size_t size)
{
	char id[TAG_ID_LEN + 1];
	size_t plen = strlen(TAG_ID_PREFIX);

	memcpy(id, TAG_ID_PREFIX, plen);
	for (int i = TAG_LETTERS - 1; i >= 0; i--) {
		id[plen + (size_t)i] = (char)('a' + index % 26);
		index /= 26;
	}
	memset(id + plen + TAG_LETTERS, 'z', TAG_ID_LEN - plen - TAG_LETTERS);
	id[TAG_ID_LEN] = '\0';
	snprintf(out, size, "%s", id);
}

/* The conversation index of a tag id made by tag_id(), or -1. */
static long tag_index(const char *id)
{
	size_t plen = strlen(TAG_ID_PREFIX);
	long v = 0;

	if (strncmp(id, TAG_ID_PREFIX, plen) != 0 || strlen(id) != TAG_ID_LEN)
		return -1;
	for (size_t i = plen; i < TAG_ID_LEN; i++) {
		if (id[i] < 'a' || id[i] > 'z' || (i >= plen + TAG_LETTERS && id[i] != 'z'))
			return -1;
		if (i < plen + TAG_LETTERS)
			v = v * 26 + (id[i] - 'a');
	}
	return v < MAX_CONVERSATIONS ? v : -1;
}

/* ---- options ---- */

struct options {
	char loket_host[64];
	int loket_port;
	bool have_loket;
	int fake_port;
	int n_phases;
	int conversations[MAX_PHASES];
	int concurrency[MAX_PHASES];
	int tokens;			/* content chunks; 0: the words of source 1's first sentence */
	double token_delay_ms;
	double first_token_ms;		/* < 0: same as token_delay_ms */
	const char *question;
	const char *model;
	double timeout_s;
	double wait_s;
	long loket_pid;
	const char *loket_pid_file;
	bool serve_only;
	bool verbose;
};

static struct options g_opt = {
	.loket_host = "127.0.0.1",
	.fake_port = 0,
	.tokens = 0,
	.token_delay_ms = 10.0,
	.first_token_ms = -1.0,
	.question = "Hoe vraag ik een paspoort aan?",
	.model = "fake-model",
	.timeout_s = 30.0,
	.wait_s = 30.0,
};

static double parse_number(const char *text, double min, double max, const char *name)
{
	char *end = NULL;
	double v;

	errno = 0;
	v = strtod(text, &end);
	if (errno || end == text || *end || v < min || v > max)
		bench_die("%s must be a number from %g to %g", name, min, max);
	return v;
}

/* "200,500" -> {200, 500}; returns the count. */
static int parse_list(const char *text, int *out, int max_items, int min, int max, const char *name)
{
	char copy[256];
	char *save = NULL;
	int n = 0;

	if (strlen(text) >= sizeof(copy))
		bench_die("%s: list too long", name);
	snprintf(copy, sizeof(copy), "%s", text);
	for (char *item = strtok_r(copy, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
		if (n == max_items)
			bench_die("%s: at most %d values", name, max_items);
		out[n++] = (int)parse_number(item, min, max, name);
	}
	if (n == 0)
		bench_die("%s: no value", name);
	return n;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: bench_llm --fake-port P [--serve-only]\n"
		"       bench_llm --fake-port P --loket HOST:PORT [options]\n"
		"  --fake-port P          the fake LLM server listens on 127.0.0.1:P (0: any free port)\n"
		"  --serve-only           only run the fake server, until SIGINT/SIGTERM\n"
		"  --loket HOST:PORT      `loket serve` to load (IPv4)\n"
		"  --conversations N[,N]  conversations per phase (default 200)\n"
		"  --concurrency C[,C]    conversations in flight per phase (default 1)\n"
		"  --tokens K             content chunks per answer (default 0: source 1's first\n"
		"                         sentence, then the tag and \"[1]\")\n"
		"  --token-delay-ms D     delay between chunks (default 10)\n"
		"  --first-token-ms T     fake's time to first token (default: D)\n"
		"  --question TEXT        question asked; \" #tag<id>\" is appended\n"
		"  --model NAME           model id the fake reports (default fake-model)\n"
		"  --timeout-s S          a conversation with no final message after S is lost (30)\n"
		"  --wait-s S             wait up to S for Loket's /healthz (30)\n"
		"  --loket-pid PID | --loket-pid-file FILE   report Loket's RSS (/proc)\n"
		"  --verbose              print unexpected events and mixed streams\n");
	exit(2);
}

static void parse_options(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"loket", required_argument, NULL, 'l'},
		{"fake-port", required_argument, NULL, 'f'},
		{"conversations", required_argument, NULL, 'n'},
		{"concurrency", required_argument, NULL, 'c'},
		{"tokens", required_argument, NULL, 'k'},
		{"token-delay-ms", required_argument, NULL, 'd'},
		{"first-token-ms", required_argument, NULL, 't'},
		{"question", required_argument, NULL, 'q'},
		{"model", required_argument, NULL, 'm'},
		{"timeout-s", required_argument, NULL, 'T'},
		{"wait-s", required_argument, NULL, 'w'},
		{"loket-pid", required_argument, NULL, 'p'},
		{"loket-pid-file", required_argument, NULL, 'P'},
		{"serve-only", no_argument, NULL, 's'},
		{"verbose", no_argument, NULL, 'v'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int n_conc = 0, opt;
	bool have_port = false;

	g_opt.n_phases = 1;
	g_opt.conversations[0] = 200;
	g_opt.concurrency[0] = 1;
	while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (opt) {
		case 'l':
			bench_parse_hostport(optarg, g_opt.loket_host, sizeof(g_opt.loket_host),
					     &g_opt.loket_port, "--loket");
			g_opt.have_loket = true;
			break;
		case 'f':
			g_opt.fake_port = (int)parse_number(optarg, 0, 65535, "--fake-port");
			have_port = true;
			break;
		case 'n':
			g_opt.n_phases = parse_list(optarg, g_opt.conversations, MAX_PHASES, 1,
						    MAX_CONVERSATIONS, "--conversations");
			break;
		case 'c':
			n_conc = parse_list(optarg, g_opt.concurrency, MAX_PHASES, 1, 10000,
					    "--concurrency");
			break;
		case 'k':
			g_opt.tokens = (int)parse_number(optarg, 0, FAKE_MAX_WORDS, "--tokens");
			if (g_opt.tokens > 0 && g_opt.tokens < 3)
				bench_die("--tokens must be 0 or at least 3 (words, tag, \"[1]\")");
			break;
		case 'd':
			g_opt.token_delay_ms = parse_number(optarg, 0, 60000, "--token-delay-ms");
			break;
		case 't':
			g_opt.first_token_ms = parse_number(optarg, 0, 60000, "--first-token-ms");
			break;
		case 'q':
			if (strlen(optarg) > QUESTION_MAX)
				bench_die("--question: at most %d bytes", QUESTION_MAX);
			g_opt.question = optarg;
			break;
		case 'm':
			g_opt.model = optarg;
			break;
		case 'T':
			g_opt.timeout_s = parse_number(optarg, 0.1, 3600, "--timeout-s");
			break;
		case 'w':
			g_opt.wait_s = parse_number(optarg, 0, 3600, "--wait-s");
			break;
		case 'p':
			g_opt.loket_pid = (long)parse_number(optarg, 1, 1e9, "--loket-pid");
			break;
		case 'P':
			g_opt.loket_pid_file = optarg;
			break;
		case 's':
			g_opt.serve_only = true;
			break;
		case 'v':
			g_opt.verbose = true;
			break;
		default:
			usage();
		}
	}
	if (optind != argc || !have_port || (!g_opt.serve_only && !g_opt.have_loket))
		usage();
	if (n_conc == 0)
		n_conc = 1;
	if (n_conc == 1) {
		for (int i = 1; i < g_opt.n_phases; i++)
			g_opt.concurrency[i] = g_opt.concurrency[0];
	} else if (n_conc != g_opt.n_phases) {
		bench_die("--concurrency needs one value or one per --conversations value");
	}
	if (g_opt.first_token_ms < 0)
		g_opt.first_token_ms = g_opt.token_delay_ms;
	{
		long total = 0;

		for (int i = 0; i < g_opt.n_phases; i++)
			total += g_opt.conversations[i];
		if (total > MAX_CONVERSATIONS)
			bench_die("at most %d conversations over all phases", MAX_CONVERSATIONS);
	}
}

/* ================= the fake OpenAI-compatible server ================= */

/* What the fake saw of one tagged conversation; written by fake threads, read by the client
 * after the conversation ended, both under g_timing_lock. */
struct fake_timing {
	double request_at;	/* the chat request was read completely */
	double first_token_at;	/* just before send() of the first content chunk */
	double first_token_sent_at; /* that send() returned */
	unsigned requests;
};

static struct fake_timing *g_timing;
static pthread_mutex_t g_timing_lock = PTHREAD_MUTEX_INITIALIZER;

static struct {
	atomic_ulong connections, requests, chat, streamed, untagged, sourceless, aborted, bad;
	atomic_ulong thread_failures;
} g_fake;

struct fake_request {
	char method[16];
	char path[256];
	size_t head_len;	/* bytes of request line and headers, blank line included */
	size_t body_len;
	const char *body;
	bool close;
	double received_at;
};

struct answer {
	struct bench_buf storage;	/* the words, each NUL-terminated */
	const char *words[FAKE_MAX_WORDS];
	int n;
	long tag;		/* conversation index, or -1 */
};

static void answer_add(struct answer *a, const char *word, size_t len)
{
	size_t at = a->storage.len;

	if (a->n == FAKE_MAX_WORDS || len == 0)
		return;
	if (bench_buf_append(&a->storage, word, len) || bench_buf_append(&a->storage, "", 1))
		return;
	a->words[a->n++] = (const char *)(uintptr_t)at;	/* an offset until answer_fix() */
}

/* Turns the stored offsets into pointers once storage stops moving. */
static void answer_fix(struct answer *a)
{
	for (int i = 0; i < a->n; i++)
		a->words[i] = a->storage.ptr + (uintptr_t)a->words[i];
}

/* Splits text[0..len) into words (runs of non-space) and adds them, up to limit (<0: all). */
static int add_words(struct answer *a, const char *text, size_t len, int limit)
{
	size_t i = 0;
	int added = 0;

	while (i < len && (limit < 0 || added < limit)) {
		size_t start;

		while (i < len && (text[i] == ' ' || text[i] == '\n' || text[i] == '\t' || text[i] == '\r'))
			i++;
		start = i;
		while (i < len && !(text[i] == ' ' || text[i] == '\n' || text[i] == '\t' || text[i] == '\r'))
			i++;
		if (i > start) {
			answer_add(a, text + start, i - start);
			added++;
		}
	}
	return added;
}

/* The text of the last user message (string content or text parts); NULL when none.
 * Caller frees with free(). */
static char *last_user_content(json_t *messages)
{
	json_t *last = NULL;
	json_t *content;
	size_t i;
	json_t *m;
	struct bench_buf t;

	json_array_foreach(messages, i, m) {
		if (json_is_string(json_object_get(m, "role")) &&
		    !strcmp(json_string_value(json_object_get(m, "role")), "user"))
			last = m;
	}
	if (!last)
		return NULL;
	content = json_object_get(last, "content");
	if (json_is_string(content))
		return strdup(json_string_value(content));
	if (!json_is_array(content))
		return NULL;
	bench_buf_init(&t, FAKE_BODY_MAX);
	json_array_foreach(content, i, m) {
		json_t *part = json_object_get(m, "text");

		if (json_is_string(part))
			bench_buf_append(&t, json_string_value(part), json_string_length(part));
	}
	if (!t.ptr)
		bench_buf_append(&t, "", 0);
	return t.ptr;
}

/* Builds the answer: the first sentence of source 1 (or, with --tokens K, K-2 words of its
 * passage, repeated as needed), then "#tag<id>" when the prompt has one, then "[1]". */
static void build_answer(struct answer *a, json_t *req, const char *raw, size_t raw_len)
{
	char *content = last_user_content(json_object_get(req, "messages"));
	const char *passage = NULL;
	size_t plen = 0;
	char tag_id[TAG_ID_MAX];
	const char *src = content ? content : "";

	memset(a, 0, sizeof(*a));
	bench_buf_init(&a->storage, 1024 * 1024);
	a->tag = -1;

	/* The opening tag takes one line (Loket turns newlines in titles into spaces). */
	const char *bron = strstr(src, "<bron nummer=\"1\"");
	if (bron && (bron = strchr(bron, '\n')) != NULL) {
		const char *end;

		passage = bron + 1;
		end = strstr(passage, "</bron>");
		plen = end ? (size_t)(end - passage) : strlen(passage);
		if (plen > FAKE_PASSAGE_MAX)
			plen = FAKE_PASSAGE_MAX;
		while (plen > 0 && (*passage == '\n' || *passage == ' ' || *passage == '\r')) {
			passage++;
			plen--;
		}
	}
	if (!passage || plen == 0) {
		atomic_fetch_add(&g_fake.sourceless, 1);
		passage = "Er stond geen bron in de vraag aan het model.";
		plen = strlen(passage);
	}

	if (g_opt.tokens == 0) {
		size_t end = 0;

		/* The first sentence: up to the first . ! or ? followed by a space or the end. */
		while (end < plen) {
			char ch = passage[end++];

			if ((ch == '.' || ch == '!' || ch == '?') &&
			    (end == plen || passage[end] == ' ' || passage[end] == '\n'))
				break;
		}
		add_words(a, passage, end, -1);
	} else {
		int want = g_opt.tokens - 2;

		while (want > 0) {
			int got = add_words(a, passage, plen, want);

			if (got == 0)
				break;
			want -= got;
		}
	}

	if (next_tag(src, strlen(src), tag_id, sizeof(tag_id)) ||
	    next_tag(raw, raw_len, tag_id, sizeof(tag_id))) {
		char word[TAG_ID_MAX + 8];
		int n = snprintf(word, sizeof(word), "%s%s", TAG_PREFIX, tag_id);

		answer_add(a, word, (size_t)n);
		a->tag = tag_index(tag_id);
	}
	if (a->tag < 0)
		atomic_fetch_add(&g_fake.untagged, 1);
	answer_add(a, "[1]", 3);
	answer_fix(a);
	free(content);
}

static int send_response(int fd, int status, const char *reason, const char *type, const char *body,
			 bool close_after)
{
	char head[512];
	size_t blen = strlen(body);
	int n = snprintf(head, sizeof(head),
			 "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
			 "Connection: %s\r\n\r\n",
			 status, reason, type, blen, close_after ? "close" : "keep-alive");

	if (bench_send_all(fd, head, (size_t)n) || bench_send_all(fd, body, blen))
		return -1;
	return 0;
}

static int send_json(int fd, int status, const char *reason, json_t *obj, bool close_after)
{
	char *body = json_dumps(obj, JSON_COMPACT);
	int rc;

	json_decref(obj);
	if (!body)
		bench_die("out of memory");
	rc = send_response(fd, status, reason, "application/json", body, close_after);
	free(body);
	return rc;
}

static int send_error(int fd, int status, const char *reason, const char *message)
{
	json_t *obj = json_pack("{s:{s:i, s:s, s:s}}", "error", "code", status, "message", message,
				"type", status == 404 ? "not_found_error" : "invalid_request_error");

	atomic_fetch_add(&g_fake.bad, 1);
	return send_json(fd, status, reason, obj, false);
}

/* Sends "data: <payload>\n\n" as one HTTP chunk. */
static int send_sse(int fd, const char *payload)
{
	size_t plen = strlen(payload);
	char *frame = bench_calloc(plen + 64, 1);
	int n = snprintf(frame, plen + 64, "%zx\r\ndata: %s\n\n\r\n", plen + 8, payload);
	int rc = bench_send_all(fd, frame, (size_t)n);

	free(frame);
	return rc;
}

static char *chunk_json(const char *id, json_t *delta, const char *finish)
{
	json_t *obj = json_pack("{s:[{s:o, s:i, s:o}], s:I, s:s, s:s, s:s, s:s}",
				"choices", "finish_reason", finish ? json_string(finish) : json_null(),
				"index", 0, "delta", delta, "created", (json_int_t)time(NULL), "id", id,
				"model", g_opt.model, "system_fingerprint", "b0-bench-fake",
				"object", "chat.completion.chunk");
	char *s = json_dumps(obj, JSON_COMPACT);

	json_decref(obj);
	if (!s)
		bench_die("out of memory");
	return s;
}

static void note_first_token(long tag, double before_send, double after_send)
{
	if (tag < 0)
		return;
	pthread_mutex_lock(&g_timing_lock);
	if (g_timing[tag].first_token_at == 0.0) {
		g_timing[tag].first_token_at = before_send;
		g_timing[tag].first_token_sent_at = after_send;
	}
	pthread_mutex_unlock(&g_timing_lock);
}

static int fake_stream(int fd, const struct answer *a, double start, bool usage, size_t prompt_len)
{
	static atomic_ulong next_id;
	char id[64];
	char *s;
	int rc;
	static const char head[] = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
				   "Cache-Control: no-cache\r\nTransfer-Encoding: chunked\r\n"
				   "Connection: keep-alive\r\n\r\n";

	snprintf(id, sizeof(id), "chatcmpl-bench%lu", atomic_fetch_add(&next_id, 1) + 1);
	if (bench_send_all(fd, head, sizeof(head) - 1))
		return -1;
	s = chunk_json(id, json_pack("{s:s, s:n}", "role", "assistant", "content"), NULL);
	rc = send_sse(fd, s);
	free(s);
	if (rc)
		return -1;
	for (int i = 0; i < a->n; i++) {
		char word[1024];
		double before;

		snprintf(word, sizeof(word), "%s%s", i ? " " : "", a->words[i]);
		s = chunk_json(id, json_pack("{s:s}", "content", word), NULL);
		sleep_until(start + (g_opt.first_token_ms + i * g_opt.token_delay_ms) / 1000.0);
		before = bench_now();
		rc = send_sse(fd, s);
		free(s);
		if (rc)
			return -1;
		if (i == 0)
			note_first_token(a->tag, before, bench_now());
	}
	s = chunk_json(id, json_object(), "stop");
	rc = send_sse(fd, s);
	free(s);
	if (rc)
		return -1;
	if (usage) {
		json_t *obj = json_pack("{s:[], s:I, s:s, s:s, s:s, s:{s:i, s:I, s:I}}", "choices",
					"created", (json_int_t)time(NULL), "id", id, "model", g_opt.model,
					"object", "chat.completion.chunk", "usage",
					"completion_tokens", a->n, "prompt_tokens", (json_int_t)(prompt_len / 4),
					"total_tokens", (json_int_t)(prompt_len / 4 + (size_t)a->n));

		s = json_dumps(obj, JSON_COMPACT);
		json_decref(obj);
		rc = s ? send_sse(fd, s) : -1;
		free(s);
		if (rc)
			return -1;
	}
	if (send_sse(fd, "[DONE]") || bench_send_all(fd, "0\r\n\r\n", 5))
		return -1;
	return 0;
}

static int fake_chat(int fd, const struct fake_request *r)
{
	json_error_t jerr;
	json_t *req = json_loadb(r->body, r->body_len, 0, &jerr);
	struct answer a;
	int rc;

	atomic_fetch_add(&g_fake.chat, 1);
	if (!json_is_object(req) || !json_is_array(json_object_get(req, "messages"))) {
		json_decref(req);
		return send_error(fd, 400, "Bad Request", "body must be a JSON object with messages");
	}
	build_answer(&a, req, r->body, r->body_len);
	if (a.tag >= 0) {
		pthread_mutex_lock(&g_timing_lock);
		if (g_timing[a.tag].requests++ == 0)
			g_timing[a.tag].request_at = r->received_at;
		pthread_mutex_unlock(&g_timing_lock);
	}
	if (json_is_true(json_object_get(req, "stream"))) {
		bool usage = json_is_true(json_object_get(json_object_get(req, "stream_options"),
							  "include_usage"));

		atomic_fetch_add(&g_fake.streamed, 1);
		rc = fake_stream(fd, &a, r->received_at, usage, r->body_len);
		if (rc)
			atomic_fetch_add(&g_fake.aborted, 1);
	} else {
		struct bench_buf all;
		json_t *obj;

		bench_buf_init(&all, 1024 * 1024);
		for (int i = 0; i < a.n; i++) {
			if (i)
				bench_buf_append(&all, " ", 1);
			bench_buf_append(&all, a.words[i], strlen(a.words[i]));
		}
		sleep_until(r->received_at +
			    (g_opt.first_token_ms + (a.n ? a.n - 1 : 0) * g_opt.token_delay_ms) / 1000.0);
		obj = json_pack("{s:[{s:s, s:i, s:{s:s, s:s}}], s:I, s:s, s:s, s:s, s:{s:i, s:I, s:I}}",
				"choices", "finish_reason", "stop", "index", 0, "message", "role",
				"assistant", "content", all.ptr ? all.ptr : "", "created",
				(json_int_t)time(NULL), "id", "chatcmpl-bench", "model", g_opt.model,
				"object", "chat.completion", "usage", "completion_tokens", a.n,
				"prompt_tokens", (json_int_t)(r->body_len / 4), "total_tokens",
				(json_int_t)(r->body_len / 4 + (size_t)a.n));
		rc = send_json(fd, 200, "OK", obj, false);
		bench_buf_free(&all);
	}
	bench_buf_free(&a.storage);
	json_decref(req);
	return rc;
}

static int fake_route(int fd, const struct fake_request *r)
{
	char path[256];
	char *q;

	atomic_fetch_add(&g_fake.requests, 1);
	snprintf(path, sizeof(path), "%s", r->path);
	q = strchr(path, '?');
	if (q)
		*q = '\0';
	if (!strcmp(r->method, "GET") && (!strcmp(path, "/v1/models") || !strcmp(path, "/models"))) {
		json_t *obj = json_pack("{s:s, s:[{s:s, s:s, s:I, s:s}]}", "object", "list", "data",
					"id", g_opt.model, "object", "model", "created",
					(json_int_t)time(NULL), "owned_by", "bench_llm");

		return send_json(fd, 200, "OK", obj, r->close);
	}
	if (!strcmp(r->method, "GET") && !strcmp(path, "/health"))
		return send_json(fd, 200, "OK", json_pack("{s:s}", "status", "ok"), r->close);
	if (!strcmp(r->method, "POST") &&
	    (!strcmp(path, "/v1/chat/completions") || !strcmp(path, "/chat/completions")))
		return fake_chat(fd, r);
	return send_error(fd, 404, "Not Found", "no such endpoint on the fake server");
}

/* Reads one request into rb (which may already hold pipelined bytes). Returns 1 with r filled,
 * 0 on a clean close, -1 on an error (after answering it when possible). */
static int fake_read_request(int fd, struct bench_buf *rb, struct fake_request *r)
{
	char *end;
	long content_length = 0;
	bool sent_continue = false, chunked = false;

	memset(r, 0, sizeof(*r));
	for (;;) {
		char tmp[16384];
		ssize_t n;

		end = rb->len ? memmem(rb->ptr, rb->len, "\r\n\r\n", 4) : NULL;
		if (end) {
			const char *line;

			if (r->head_len == 0) {
				r->head_len = (size_t)(end - rb->ptr) + 4;
				if (sscanf(rb->ptr, "%15s %255s", r->method, r->path) != 2) {
					send_error(fd, 400, "Bad Request", "bad request line");
					return -1;
				}
				for (line = strstr(rb->ptr, "\r\n"); line && line < end; line = strstr(line, "\r\n")) {
					line += 2;
					if (!strncasecmp(line, "content-length:", 15)) {
						content_length = strtol(line + 15, NULL, 10);
					} else if (!strncasecmp(line, "transfer-encoding:", 18)) {
						chunked = true;
					} else if (!strncasecmp(line, "connection:", 11)) {
						const char *v = line + 11;

						while (*v == ' ')
							v++;
						r->close = !strncasecmp(v, "close", 5);
					} else if (!strncasecmp(line, "expect:", 7) && !sent_continue) {
						sent_continue = true;
						if (bench_send_all(fd, "HTTP/1.1 100 Continue\r\n\r\n", 25))
							return -1;
					}
				}
				if (chunked) {
					send_error(fd, 411, "Length Required",
						   "the fake server needs Content-Length");
					return -1;
				}
				if (content_length < 0 || content_length > FAKE_BODY_MAX) {
					send_error(fd, 413, "Payload Too Large", "body too large");
					return -1;
				}
			}
			if (rb->len >= r->head_len + (size_t)content_length) {
				r->body = rb->ptr + r->head_len;
				r->body_len = (size_t)content_length;
				r->received_at = bench_now();
				return 1;
			}
		} else if (rb->len > FAKE_HEAD_MAX) {
			send_error(fd, 431, "Request Header Fields Too Large", "headers too large");
			return -1;
		}
		n = recv(fd, tmp, sizeof(tmp), 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return rb->len == 0 ? 0 : -1;
		if (bench_buf_append(rb, tmp, (size_t)n))
			return -1;
	}
}

static void *fake_conn_main(void *arg)
{
	int fd = (int)(intptr_t)arg;
	struct bench_buf rb;
	struct timeval idle = {FAKE_IDLE_S, 0};

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &idle, sizeof(idle));
	bench_buf_init(&rb, FAKE_HEAD_MAX + FAKE_BODY_MAX);
	for (;;) {
		struct fake_request r;
		size_t used;

		if (fake_read_request(fd, &rb, &r) <= 0)
			break;
		if (fake_route(fd, &r) || r.close)
			break;
		used = r.head_len + r.body_len;
		memmove(rb.ptr, rb.ptr + used, rb.len - used);
		rb.len -= used;
	}
	bench_buf_free(&rb);
	close(fd);
	return NULL;
}

static void *fake_accept_main(void *arg)
{
	int lfd = (int)(intptr_t)arg;
	pthread_attr_t attr;

	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, FAKE_STACK);
	for (;;) {
		int one = 1;
		pthread_t th;
		int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno == EMFILE || errno == ENFILE) {
				usleep(10000);
				continue;
			}
			perror("bench_llm: accept");
			break;
		}
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		atomic_fetch_add(&g_fake.connections, 1);
		if (pthread_create(&th, &attr, fake_conn_main, (void *)(intptr_t)fd) != 0) {
			atomic_fetch_add(&g_fake.thread_failures, 1);
			close(fd);
		}
	}
	pthread_attr_destroy(&attr);
	return NULL;
}

/* Listens on 127.0.0.1:port (0: any) and starts the accept thread; returns the port. */
static int fake_start(int port)
{
	pthread_t th;
	int bound = 0;
	int lfd = bench_listen(port, 4096, false, &bound);

	if (lfd < 0)
		bench_die("fake server cannot listen on 127.0.0.1:%d: %s", port, strerror(errno));
	if (pthread_create(&th, NULL, fake_accept_main, (void *)(intptr_t)lfd))
		bench_die("cannot start the fake server thread");
	pthread_detach(th);
	return bound;
}

static void fake_print_stats(void)
{
	printf("fake server: %lu connections, %lu requests, %lu chat (%lu streamed), untagged %lu, "
	       "without <bron nummer=\"1\"> %lu, aborted streams %lu, errors answered %lu\n",
	       atomic_load(&g_fake.connections), atomic_load(&g_fake.requests),
	       atomic_load(&g_fake.chat), atomic_load(&g_fake.streamed),
	       atomic_load(&g_fake.untagged), atomic_load(&g_fake.sourceless),
	       atomic_load(&g_fake.aborted), atomic_load(&g_fake.bad));
	if (atomic_load(&g_fake.thread_failures))
		printf("fake server: %lu connections refused (no thread)\n",
		       atomic_load(&g_fake.thread_failures));
}

/* ================= the clients of Loket ================= */

/* CS_HELD: the outcome is known, the control connection closed, the events stream kept open
 * until the phase ends (phases that start every conversation at once), so Loket's RSS can be
 * read with all streams open. */
enum conv_state { CS_CREATING, CS_OPENING, CS_POSTING, CS_WAITING, CS_HELD, CS_DONE };
enum outcome { OUT_NONE, OUT_COMPLETED, OUT_NO_LLM, OUT_TIMEOUT, OUT_FAILED };

struct conv;

/* One HTTP/1.1 connection to Loket and the decoder of its current response. */
struct hconn {
	struct conv *conv;
	bool is_events;
	int fd;
	bool connecting;
	char wbuf[CLIENT_WBUF];
	size_t wlen, woff;
	char rbuf[CLIENT_RBUF];
	size_t rlen;
	struct bench_http_resp resp;	/* the response being decoded */
	struct bench_buf body;	/* decoded body of a plain answer */
};

/* The I/O state of a conversation in flight; freed when it ends. */
struct conv_io {
	struct hconn ctl;	/* create and post */
	struct hconn ev;	/* the events stream */
	struct bench_sse sse;
	struct bench_buf tokens;
	struct bench_buf final;
	double read_at;		/* when the bytes being parsed were read */
};

struct conv {
	int index;		/* global: the tag is "#tag<id>", see tag_id() */
	enum conv_state state;
	enum outcome outcome;
	struct conv_io *io;
	char id[128];
	char token[512];
	long base_seq;		/* highest seq known before the question */
	long pending_seq;	/* from the 202 answer, or -1 */
	bool post_answered, final_seen, stream_open;
	unsigned n_tokens;
	double started_at, post_at, first_token_at, final_at, deadline;
	bool mixed, own_tag_in_final, final_differs, no_tokens;
	const char *why;	/* for OUT_FAILED */
};

struct phase {
	int n, concurrency;
	struct conv *convs;
	int next, active, open_streams, max_open;
	bool hold;		/* keep completed conversations' streams open (see CS_HELD) */
	int held;
	long rss_at_max_kb;	/* VmRSS when the most streams were open */
	int rss_at_max_open;	/* streams open at that sample */
	double last_max_sample;
	long rss_max_kb;	/* largest VmRSS sampled */
	double last_sample;
	int failures_shown, mixed_shown;
	struct conv **dead;	/* ended; their conv_io is freed after the current epoll batch */
	int n_dead;
};

static int g_epoll = -1;
static int g_next_index;
static int g_target_open;

/* User + system CPU seconds of Loket, or -1 (no pid). */
static double loket_cpu_s(void)
{
	return g_opt.loket_pid > 0 ? bench_proc_cpu_s(g_opt.loket_pid) : -1.0;
}

static double self_cpu_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
	       ru.ru_stime.tv_usec / 1e6;
}

static void sample_rss(struct phase *ph, bool at_max_open)
{
	long kb = bench_proc_status(g_opt.loket_pid, "VmRSS");

	ph->last_sample = bench_now();
	if (kb < 0)
		return;
	if (kb > ph->rss_max_kb)
		ph->rss_max_kb = kb;
	if (at_max_open) {
		ph->rss_at_max_kb = kb;
		ph->rss_at_max_open = ph->open_streams;
		ph->last_max_sample = ph->last_sample;
	}
}

static bool ended(const struct conv *c)
{
	return c->state >= CS_HELD;
}

static void watch(struct hconn *h, uint32_t events, int op)
{
	bench_watch(g_epoll, h->fd, h, events, op);
}

static int hconn_connect(struct hconn *h)
{
	h->fd = bench_connect(g_opt.loket_host, g_opt.loket_port, NULL);
	if (h->fd < 0)
		return -1;
	h->connecting = true;
	h->rlen = 0;
	watch(h, EPOLLOUT, EPOLL_CTL_ADD);
	return 0;
}

static void hconn_close(struct hconn *h)
{
	if (h->fd >= 0) {
		epoll_ctl(g_epoll, EPOLL_CTL_DEL, h->fd, NULL);
		close(h->fd);
	}
	h->fd = -1;
	h->connecting = false;
}

/* Queues a request (connecting first when needed); without a body, the GET of an events
 * stream. Returns -1 when it does not fit. */
static int hconn_request(struct hconn *h, const char *method, const char *path, const char *token,
			 const char *body)
{
	int n = bench_http_format(h->wbuf, sizeof(h->wbuf), method, path, g_opt.loket_host,
				  g_opt.loket_port, token,
				  body ? NULL : "Accept: text/event-stream\r\n", body);

	if (n < 0)
		return -1;
	h->wlen = (size_t)n;
	h->woff = 0;
	bench_http_reset(&h->resp);
	h->body.len = 0;
	if (h->fd < 0)
		return hconn_connect(h);
	if (!h->connecting)
		watch(h, EPOLLOUT, EPOLL_CTL_MOD);
	return 0;
}

static void bury(struct phase *ph);

static void show(const struct conv *c, const char *what, const char *data, size_t len)
{
	if (g_opt.verbose)
		fprintf(stderr, "bench_llm: conversation %d: %s: %.*s\n", c->index, what,
			(int)(len > 400 ? 400 : len), data);
}

static int on_sse_event(void *ctx, const char *event, const char *data, size_t len);

/* The body bytes of a response: the SSE parser (events; stops once the conversation ended) or
 * h->body. */
static int hconn_sink(void *ctx, const char *p, size_t len)
{
	struct hconn *h = ctx;

	if (!h->is_events)
		return bench_buf_append(&h->body, p, len);
	if (bench_sse_feed(&h->conv->io->sse, p, len, on_sse_event, NULL, h->conv) < 0)
		return -1;
	return ended(h->conv) ? 1 : 0;
}

/* Decodes what is in h->rbuf; body bytes go to the SSE parser (events) or h->body. Returns 0
 * (maybe needing more), 1 when the response is complete (or the conversation ended), 2 when an
 * events stream opened with this call, -1 when it cannot be understood. */
static int hconn_decode(struct hconn *h, bool eof)
{
	size_t off = 0, used = 0;
	int rc = 0;

	if (!h->resp.headers_done) {
		rc = bench_http_resp_head(&h->resp, h->rbuf, h->rlen, sizeof(h->rbuf),
					  SSE_EVENT_MAX * 16, eof, &off);
		if (rc <= 0)
			return rc;
		/* An events stream is open: make the conversation post its question. */
		rc = h->is_events && h->resp.status == 200 ? 2 : 0;
	}
	if (bench_http_resp_body(&h->resp, h->rbuf + off, h->rlen - off, SSE_EVENT_MAX * 16, eof,
				 &used, hconn_sink, h) < 0)
		return -1;
	if (ended(h->conv))
		return 1;
	off += used;
	memmove(h->rbuf, h->rbuf + off, h->rlen - off);
	h->rlen -= off;
	if (h->resp.complete)
		return 1;
	return rc;
}

/* ---- conversation flow ---- */

static void conv_finish(struct phase *ph, struct conv *c, enum outcome outcome, const char *why);

static long max_seq(json_t *messages)
{
	long best = -1;
	size_t i;
	json_t *m;

	json_array_foreach(messages, i, m) {
		json_t *seq = json_object_get(m, "seq");

		if (json_is_integer(seq) && json_integer_value(seq) > best)
			best = (long)json_integer_value(seq);
	}
	return best;
}

static void conv_start(struct phase *ph, struct conv *c)
{
	c->io = bench_calloc(1, sizeof(*c->io));
	c->io->ctl.conv = c->io->ev.conv = c;
	c->io->ev.is_events = true;
	c->io->ctl.fd = c->io->ev.fd = -1;
	bench_buf_init(&c->io->ctl.body, CLIENT_BODY_MAX);
	bench_buf_init(&c->io->ev.body, 0);
	bench_sse_init(&c->io->sse, SSE_EVENT_MAX);
	bench_buf_init(&c->io->tokens, TEXT_MAX);
	bench_buf_init(&c->io->final, TEXT_MAX);
	c->pending_seq = -1;
	c->base_seq = -1;
	c->started_at = bench_now();
	c->deadline = c->started_at + g_opt.timeout_s;
	c->state = CS_CREATING;
	ph->active++;
	if (hconn_request(&c->io->ctl, "POST", "/api/v1/conversations", NULL,
			  "{\"lang\":\"nl\",\"channel\":\"api\"}"))
		conv_finish(ph, c, OUT_FAILED, "cannot connect to Loket");
}

static void conv_post(struct phase *ph, struct conv *c)
{
	char path[256], question[QUESTION_MAX + 64], id[TAG_ID_MAX];
	json_t *obj;
	char *body;

	tag_id(c->index, id, sizeof(id));
	snprintf(question, sizeof(question), "%s %s%s", g_opt.question, TAG_PREFIX, id);
	obj = json_pack("{s:s, s:b}", "text", question, "stream", 1);
	body = json_dumps(obj, JSON_COMPACT);
	json_decref(obj);
	snprintf(path, sizeof(path), "/api/v1/conversations/%s/messages", c->id);
	c->state = CS_POSTING;
	c->post_at = bench_now();
	if (!body || hconn_request(&c->io->ctl, "POST", path, c->token, body))
		conv_finish(ph, c, OUT_FAILED, "posting the question failed");
	free(body);
}

static void conv_check_done(struct phase *ph, struct conv *c)
{
	if (c->post_answered && c->final_seen)
		conv_finish(ph, c, OUT_COMPLETED, NULL);
}

/* One complete answer on the control connection. */
static void on_ctl_answer(struct phase *ph, struct conv *c)
{
	struct hconn *h = &c->io->ctl;
	json_error_t jerr;
	json_t *obj = json_loadb(h->body.ptr ? h->body.ptr : "", h->body.len, 0, &jerr);

	if (c->state == CS_CREATING) {
		json_t *id = json_object_get(obj, "id"), *tok = json_object_get(obj, "token");
		char path[256];

		if (h->resp.status != 201 || !json_is_string(id) || !json_is_string(tok) ||
		    json_string_length(id) >= sizeof(c->id) || json_string_length(tok) >= sizeof(c->token)) {
			show(c, "create answer", h->body.ptr ? h->body.ptr : "", h->body.len);
			conv_finish(ph, c, OUT_FAILED, "creating the conversation failed");
			goto out;
		}
		snprintf(c->id, sizeof(c->id), "%s", json_string_value(id));
		snprintf(c->token, sizeof(c->token), "%s", json_string_value(tok));
		c->base_seq = max_seq(json_object_get(obj, "messages"));
		snprintf(path, sizeof(path), "/api/v1/conversations/%s/events", c->id);
		c->state = CS_OPENING;
		if (hconn_request(&c->io->ev, "GET", path, c->token, NULL))
			conv_finish(ph, c, OUT_FAILED, "cannot open the events stream");
		goto out;
	}
	if (c->state != CS_POSTING && c->state != CS_WAITING) {
		conv_finish(ph, c, OUT_FAILED, "unexpected answer");
		goto out;
	}
	if (h->resp.status == 202) {
		json_t *seq = json_object_get(json_object_get(obj, "pending"), "seq");

		if (json_is_integer(seq))
			c->pending_seq = (long)json_integer_value(seq);
		c->post_answered = true;
		c->state = CS_WAITING;
		conv_check_done(ph, c);
	} else if (h->resp.status == 200) {
		show(c, "200 instead of 202", h->body.ptr ? h->body.ptr : "", h->body.len);
		conv_finish(ph, c, OUT_NO_LLM, NULL);
	} else {
		show(c, "post answer", h->body.ptr ? h->body.ptr : "", h->body.len);
		conv_finish(ph, c, OUT_FAILED, "posting the question was refused");
	}
out:
	json_decref(obj);
}

static void on_token(struct conv *c, json_t *obj)
{
	json_t *text = json_object_get(obj, "text");

	if (c->n_tokens++ == 0)
		c->first_token_at = c->io->read_at;
	if (json_is_string(text))
		bench_buf_append(&c->io->tokens, json_string_value(text), json_string_length(text));
}

static void on_message(struct phase *ph, struct conv *c, json_t *obj)
{
	json_t *msg = json_is_object(json_object_get(obj, "message")) ? json_object_get(obj, "message")
								       : obj;
	json_t *role = json_object_get(msg, "role"), *seq = json_object_get(msg, "seq");
	json_t *text = json_object_get(msg, "text");
	long s = json_is_integer(seq) ? (long)json_integer_value(seq) : -1;

	if (!json_is_string(role) || (strcmp(json_string_value(role), "bot") &&
				      strcmp(json_string_value(role), "assistant")))
		return;
	if (s <= c->base_seq || (c->pending_seq >= 0 && s < c->pending_seq))
		return;
	c->final_seen = true;
	c->final_at = c->io->read_at;
	c->io->final.len = 0;
	if (json_is_string(text))
		bench_buf_append(&c->io->final, json_string_value(text), json_string_length(text));
	conv_check_done(ph, c);
}

static struct phase *g_phase;

/* One event of the events stream; 1 once the conversation ended (stop reading it). */
static int on_sse_event(void *ctx, const char *event, const char *data, size_t len)
{
	struct conv *c = ctx;
	json_error_t jerr;
	json_t *obj;

	if (!strcmp(event, "token") || !strcmp(event, "message")) {
		obj = json_loadb(data, len, 0, &jerr);
		if (!json_is_object(obj)) {
			show(c, "event with bad JSON", data, len);
		} else if (!strcmp(event, "token")) {
			on_token(c, obj);
		} else {
			on_message(g_phase, c, obj);
		}
		json_decref(obj);
	} else {
		show(c, event[0] ? event : "event without name", data, len);
	}
	return ended(c) ? 1 : 0;
}

/* Checks tags: mixed when another conversation's tag shows up in tokens or final text, or the
 * tokens lack the conversation's own tag. */
static void check_tags(struct conv *c)
{
	char own[TAG_ID_MAX], id[TAG_ID_MAX];
	const struct bench_buf *parts[2] = {&c->io->tokens, &c->io->final};

	tag_id(c->index, own, sizeof(own));
	for (int k = 0; k < 2; k++) {
		const char *p = parts[k]->ptr;
		const char *end = p ? p + parts[k]->len : NULL;
		bool found = false;

		while (p && (p = next_tag(p, (size_t)(end - p), id, sizeof(id))) != NULL) {
			if (!strcmp(id, own))
				found = true;
			else
				c->mixed = true;
		}
		if (k == 0 && !found && c->n_tokens > 0)
			c->mixed = true;
		if (k == 1)
			c->own_tag_in_final = found;
	}
	c->no_tokens = c->n_tokens == 0;
	c->final_differs = c->io->tokens.len != c->io->final.len ||
			   (c->io->tokens.len && memcmp(c->io->tokens.ptr, c->io->final.ptr, c->io->tokens.len));
}

static void conv_finish(struct phase *ph, struct conv *c, enum outcome outcome, const char *why)
{
	bool hold = ph->hold && outcome == OUT_COMPLETED && c->stream_open && c->io->ev.fd >= 0;

	if (ended(c))
		return;
	c->outcome = outcome;
	c->why = why;
	if (outcome == OUT_COMPLETED) {
		check_tags(c);
		if (c->mixed && ph->mixed_shown++ < 3)
			fprintf(stderr, "bench_llm: conversation %d mixed: tokens \"%.300s\" final \"%.300s\"\n",
				c->index, c->io->tokens.ptr ? c->io->tokens.ptr : "",
				c->io->final.ptr ? c->io->final.ptr : "");
	} else if ((outcome == OUT_FAILED || outcome == OUT_TIMEOUT) && ph->failures_shown++ < 5) {
		fprintf(stderr, "bench_llm: conversation %d lost: %s (state %d, post answered %d, "
			"tokens %u, final %d, ctl status %d, events status %d)\n",
			c->index, why ? why : "no final message before the timeout", (int)c->state,
			c->post_answered, c->n_tokens, c->final_seen, c->io->ctl.resp.status,
			c->io->ev.resp.status);
	}
	hconn_close(&c->io->ctl);
	if (hold) {
		c->state = CS_HELD;
		ph->held++;
	} else {
		if (c->stream_open)
			ph->open_streams--;
		c->stream_open = false;
		c->state = CS_DONE;
		hconn_close(&c->io->ev);
		ph->dead[ph->n_dead++] = c;
	}
	bench_buf_free(&c->io->ctl.body);
	bench_sse_free(&c->io->sse);
	bench_buf_free(&c->io->tokens);
	bench_buf_free(&c->io->final);
	ph->active--;
}

/* Ends a held stream (see CS_HELD). */
static void release_held(struct phase *ph, struct conv *c)
{
	hconn_close(&c->io->ev);
	c->stream_open = false;
	ph->open_streams--;
	ph->held--;
	c->state = CS_DONE;
	ph->dead[ph->n_dead++] = c;
}

/* A held stream is readable: discard pings and the like; its end releases it. */
static void drain_held(struct phase *ph, struct hconn *h)
{
	char sink[4096];

	for (;;) {
		ssize_t n = recv(h->fd, sink, sizeof(sink), 0);

		if (n > 0)
			continue;
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		release_held(ph, h->conv);
		return;
	}
}

static void bury(struct phase *ph)
{
	for (int i = 0; i < ph->n_dead; i++) {
		free(ph->dead[i]->io);
		ph->dead[i]->io = NULL;
	}
	ph->n_dead = 0;
}

/* The events stream ended: fine once the final message is in (the 202 may still be on its way),
 * a loss otherwise. */
static void events_ended(struct phase *ph, struct conv *c, const char *why)
{
	if (!c->final_seen) {
		conv_finish(ph, c, OUT_FAILED, why);
		return;
	}
	if (c->stream_open) {
		c->stream_open = false;
		ph->open_streams--;
	}
	hconn_close(&c->io->ev);
}

static void on_readable(struct phase *ph, struct hconn *h)
{
	struct conv *c = h->conv;
	bool eof = false;
	int rc;

	for (;;) {
		ssize_t n;

		if (h->rlen == sizeof(h->rbuf))
			break;
		n = recv(h->fd, h->rbuf + h->rlen, sizeof(h->rbuf) - h->rlen, 0);
		if (n > 0) {
			h->rlen += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		eof = true;
		break;
	}
	c->io->read_at = bench_now();
	do {
		rc = hconn_decode(h, eof);
		if (rc < 0) {
			conv_finish(ph, c, OUT_FAILED, h->is_events ? "events stream not understood"
								  : "answer not understood");
			return;
		}
		if (ended(c))
			return;
		if (rc == 2) {	/* events stream opened */
			c->stream_open = true;
			ph->open_streams++;
			if (ph->open_streams > ph->max_open) {
				ph->max_open = ph->open_streams;
				if (ph->open_streams == g_target_open ||
				    bench_now() - ph->last_max_sample >= 0.02)
					sample_rss(ph, true);
			}
			conv_post(ph, c);
			if (ended(c))
				return;
			continue;
		}
		if (rc == 1) {
			if (h->is_events) {
				events_ended(ph, c, h->resp.status == 200 ? "events stream ended"
								     : "events stream refused");
				return;
			}
			on_ctl_answer(ph, c);
			if (ended(c))
				return;
		}
	} while (rc == 2);
	if (eof && !ended(c)) {
		if (h->is_events) {
			events_ended(ph, c, "events stream closed by Loket");
		} else if (!h->resp.complete && h->wlen) {
			conv_finish(ph, c, OUT_FAILED, "connection closed by Loket");
		} else {
			hconn_close(h);	/* a keep-alive connection closed between requests */
		}
	}
}

static void on_writable(struct phase *ph, struct hconn *h)
{
	struct conv *c = h->conv;

	int rc;

	if (h->connecting) {
		if (bench_connect_error(h->fd) != 0) {
			conv_finish(ph, c, OUT_FAILED, "cannot connect to Loket");
			return;
		}
		h->connecting = false;
	}
	rc = bench_write_some(h->fd, h->wbuf, h->wlen, &h->woff);
	if (rc == 0)
		return;
	if (rc < 0) {
		conv_finish(ph, c, OUT_FAILED, "sending to Loket failed");
		return;
	}
	watch(h, EPOLLIN, EPOLL_CTL_MOD);
}

static void on_event(struct phase *ph, struct hconn *h, uint32_t events)
{
	if (h->conv->state == CS_DONE)
		return;
	if (h->conv->state == CS_HELD) {
		if (h->is_events && h->fd >= 0)
			drain_held(ph, h);
		return;
	}
	if (h->connecting || (events & EPOLLOUT)) {
		if (events & (EPOLLOUT | EPOLLERR | EPOLLHUP))
			on_writable(ph, h);
		return;
	}
	if (events & (EPOLLIN | EPOLLERR | EPOLLHUP))
		on_readable(ph, h);
}

static void print_pcts(const char *label, double *v, size_t n)
{
	bench_sort_doubles(v, n);
	if (n == 0) {
		printf("%s: no samples\n", label);
		return;
	}
	printf("%s: p50 %.2f p90 %.2f p99 %.2f max %.2f (n=%zu, min %.2f)\n", label,
	       bench_pct(v, n, 50), bench_pct(v, n, 90), bench_pct(v, n, 99), v[n - 1], n, v[0]);
}

static void resolve_pid(double until)
{
	while (g_opt.loket_pid <= 0 && g_opt.loket_pid_file) {
		FILE *f = fopen(g_opt.loket_pid_file, "r");
		long pid = 0;

		if (f) {
			if (fscanf(f, "%ld", &pid) == 1 && pid > 0)
				g_opt.loket_pid = pid;
			fclose(f);
		}
		if (g_opt.loket_pid > 0 || bench_now() > until)
			break;
		usleep(50000);
	}
}

/* A blocking GET; returns the status or -1. */
static int http_status(const char *path)
{
	struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)g_opt.loket_port)};
	struct timeval tv = {2, 0};
	char req[256], resp[64];
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int status = -1;
	ssize_t n;

	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (inet_pton(AF_INET, g_opt.loket_host, &addr.sin_addr) != 1 ||
	    connect(fd, (struct sockaddr *)&addr, sizeof(addr)) != 0)
		goto out;
	n = snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: %s:%d\r\nConnection: close\r\n\r\n", path,
		     g_opt.loket_host, g_opt.loket_port);
	if (bench_send_all(fd, req, (size_t)n))
		goto out;
	n = recv(fd, resp, sizeof(resp) - 1, 0);
	if (n >= 12) {
		char rest[4096];

		resp[n] = '\0';
		if (!strncmp(resp, "HTTP/1.", 7))
			status = (int)strtol(resp + 9, NULL, 10);
		for (int i = 0; i < 16 && recv(fd, rest, sizeof(rest), 0) > 0; i++)
			;	/* drain, so closing does not reset the connection */
	}
out:
	close(fd);
	return status;
}

/* Runs one phase; returns the number of conversations lost or mixed. */
static int run_phase(int number, int n, int concurrency)
{
	struct phase ph = {.n = n, .concurrency = concurrency};
	struct epoll_event events[512];
	size_t n_added = 0, n_added_after = 0, n_fake = 0, n_ttft = 0, n_before = 0, n_whole = 0;
	double *added, *added_after, *fake_ttft, *ttft, *before, *whole;
	double loket_cpu0 = loket_cpu_s(), self_cpu0 = self_cpu_s();
	int completed = 0, no_llm = 0, timeouts = 0, failed = 0, mixed = 0, no_tokens = 0;
	int final_untagged = 0, final_differs = 0;
	double began, took, loket_cpu, self_cpu;
	int held_at_end;
	char shape[64];

	ph.convs = bench_calloc((size_t)n, sizeof(*ph.convs));
	ph.dead = bench_calloc((size_t)n, sizeof(*ph.dead));
	for (int i = 0; i < n; i++)
		ph.convs[i].index = g_next_index++;
	g_phase = &ph;
	g_target_open = concurrency < n ? concurrency : n;
	ph.hold = concurrency >= n && n > 1;
	if (g_opt.tokens)
		snprintf(shape, sizeof(shape), "%d chunks", g_opt.tokens);
	else
		snprintf(shape, sizeof(shape), "a chunk per word of one sentence");
	printf("== phase %d: %d conversations, %d at a time; the fake streams %s, the first after "
	       "%.1f ms, then every %.1f ms\n",
	       number, n, concurrency, shape, g_opt.first_token_ms, g_opt.token_delay_ms);
	fflush(stdout);
	began = bench_now();
	sample_rss(&ph, false);
	while (ph.next < n || ph.active > 0) {
		double t;
		int ready;

		while (ph.active < concurrency && ph.next < n)
			conv_start(&ph, &ph.convs[ph.next++]);
		ready = epoll_wait(g_epoll, events, 512, 20);
		if (ready < 0 && errno != EINTR)
			bench_die("epoll_wait: %s", strerror(errno));
		for (int i = 0; i < ready; i++) {
			struct hconn *h = events[i].data.ptr;

			/* A conversation that ended earlier in this batch keeps its hconns until
			 * bury() below, so on_event() can look at it and skip it. */
			on_event(&ph, h, events[i].events);
		}
		t = bench_now();
		for (int i = 0; i < ph.next; i++)
			if (!ended(&ph.convs[i]) && t > ph.convs[i].deadline)
				conv_finish(&ph, &ph.convs[i], OUT_TIMEOUT, NULL);
		bury(&ph);
		if (t - ph.last_sample >= RSS_SAMPLE_S)
			sample_rss(&ph, false);
	}
	took = bench_now() - began;
	loket_cpu = loket_cpu_s() - loket_cpu0;
	self_cpu = self_cpu_s() - self_cpu0;
	sample_rss(&ph, ph.open_streams >= ph.max_open);
	held_at_end = ph.held;
	for (int i = 0; i < n; i++)
		if (ph.convs[i].state == CS_HELD)
			release_held(&ph, &ph.convs[i]);
	bury(&ph);

	added = bench_calloc((size_t)n, sizeof(double));
	added_after = bench_calloc((size_t)n, sizeof(double));
	fake_ttft = bench_calloc((size_t)n, sizeof(double));
	ttft = bench_calloc((size_t)n, sizeof(double));
	before = bench_calloc((size_t)n, sizeof(double));
	whole = bench_calloc((size_t)n, sizeof(double));
	for (int i = 0; i < n; i++) {
		struct conv *c = &ph.convs[i];
		struct fake_timing ft;

		pthread_mutex_lock(&g_timing_lock);
		ft = g_timing[c->index];
		pthread_mutex_unlock(&g_timing_lock);
		switch (c->outcome) {
		case OUT_COMPLETED: completed++; break;
		case OUT_NO_LLM: no_llm++; break;
		case OUT_TIMEOUT: timeouts++; break;
		default: failed++; break;
		}
		if (c->outcome != OUT_COMPLETED)
			continue;
		mixed += c->mixed;
		no_tokens += c->no_tokens;
		final_untagged += !c->own_tag_in_final;
		final_differs += c->final_differs;
		if (c->n_tokens && ft.first_token_at > 0.0) {
			added[n_added++] = (c->first_token_at - ft.first_token_at) * 1000.0;
			added_after[n_added_after++] = (c->first_token_at - ft.first_token_sent_at) * 1000.0;
		}
		if (ft.first_token_at > 0.0 && ft.request_at > 0.0)
			fake_ttft[n_fake++] = (ft.first_token_at - ft.request_at) * 1000.0;
		if (c->n_tokens)
			ttft[n_ttft++] = (c->first_token_at - c->post_at) * 1000.0;
		if (ft.request_at > 0.0)
			before[n_before++] = (ft.request_at - c->post_at) * 1000.0;
		whole[n_whole++] = (c->final_at - c->post_at) * 1000.0;
	}

	printf("conversations %d in %.2f s: completed %d, lost %d (timeout %d, failed %d), mixed %d; "
	       "answered without LLM (200) %d\n",
	       n, took, completed, timeouts + failed, timeouts, failed, mixed, no_llm);
	printf("completed without any token event %d; final text without its own tag %d; "
	       "final text != streamed tokens %d\n",
	       no_tokens, final_untagged, final_differs);
	print_pcts("llm added latency (ms)", added, n_added);
	print_pcts("  the same from the fake's stamp after send() returned (ms)", added_after,
		   n_added_after);
	print_pcts("fake server TTFT (ms)", fake_ttft, n_fake);
	print_pcts("client TTFT, POST to first token (ms)", ttft, n_ttft);
	print_pcts("Loket before the model, POST to fake request (ms)", before, n_before);
	print_pcts("whole answer, POST to final message (ms)", whole, n_whole);
	if (loket_cpu0 >= 0)
		printf("cpu: loket %.2f s, bench_llm (fake server and clients) %.2f s, in %.2f s on %ld "
		       "cores\n", loket_cpu, self_cpu, took, sysconf(_SC_NPROCESSORS_ONLN));
	else
		printf("cpu: bench_llm (fake server and clients) %.2f s, in %.2f s on %ld cores\n",
		       self_cpu, took, sysconf(_SC_NPROCESSORS_ONLN));
	if (g_opt.loket_pid > 0) {
		long hwm = bench_proc_status(g_opt.loket_pid, "VmHWM");

		printf("loket RSS: %.1f MB with %d streams open; max sampled %.1f MB; peak (VmHWM) %.1f MB\n",
		       ph.rss_at_max_kb / 1024.0, ph.rss_at_max_open, ph.rss_max_kb / 1024.0,
		       hwm / 1024.0);
		if (concurrency > 1)
			printf("%d concurrent streams: completed %d, lost %d, mixed %d; loket RSS peak %.1f MB\n",
			       g_target_open, completed, timeouts + failed, mixed, hwm / 1024.0);
	} else if (concurrency > 1) {
		printf("%d concurrent streams: completed %d, lost %d, mixed %d (most streams open at once %d)\n",
		       g_target_open, completed, timeouts + failed, mixed, ph.max_open);
	}
	if (ph.hold)
		printf("events streams still open when the last conversation ended: %d of %d\n",
		       held_at_end, n);
	fflush(stdout);
	free(added);
	free(added_after);
	free(fake_ttft);
	free(ttft);
	free(before);
	free(whole);
	free(ph.convs);
	free(ph.dead);
	g_phase = NULL;
	return timeouts + failed + mixed + no_llm;
}

int main(int argc, char **argv)
{
	int port, bad = 0;

	bench_prog = "bench_llm";
	parse_options(argc, argv);
	signal(SIGPIPE, SIG_IGN);
	bench_raise_nofile();
	g_timing = bench_calloc(MAX_CONVERSATIONS, sizeof(*g_timing));

	if (g_opt.serve_only) {
		sigset_t set;
		int sig;

		sigemptyset(&set);
		sigaddset(&set, SIGINT);
		sigaddset(&set, SIGTERM);
		pthread_sigmask(SIG_BLOCK, &set, NULL);
		port = fake_start(g_opt.fake_port);
		printf("fake LLM server on http://127.0.0.1:%d/v1 (model %s); stop with SIGINT or SIGTERM\n",
		       port, g_opt.model);
		fflush(stdout);
		sigwait(&set, &sig);
		fake_print_stats();
		return 0;
	}

	port = fake_start(g_opt.fake_port);
	printf("fake LLM server on http://127.0.0.1:%d/v1; Loket at http://%s:%d\n", port,
	       g_opt.loket_host, g_opt.loket_port);
	fflush(stdout);
	{
		double until = bench_now() + g_opt.wait_s;

		while (http_status("/healthz") != 200) {
			if (bench_now() > until)
				bench_die("Loket did not answer GET /healthz with 200 within %.0f s", g_opt.wait_s);
			usleep(100000);
		}
		resolve_pid(until);
	}
	g_epoll = epoll_create1(EPOLL_CLOEXEC);
	if (g_epoll < 0)
		bench_die("epoll_create1: %s", strerror(errno));
	for (int i = 0; i < g_opt.n_phases; i++)
		bad += run_phase(i + 1, g_opt.conversations[i], g_opt.concurrency[i]);
	fake_print_stats();
	close(g_epoll);
	free(g_timing);
	return bad ? 3 : 0;
}
