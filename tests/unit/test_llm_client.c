/* test_llm_client.c - client-level tests of the OpenAI-compatible LLM client
 * (src/llm/llm_client) against the fake server tests/fake/fake_llm.py, once
 * per dialect the fake speaks (llama-server, vLLM, old vLLM, Ollama).
 *
 * Each group starts the fake (python3, fork/exec, --port 0 --port-file) and
 * stops it at the end; tests steer it through its control endpoints
 * (POST /_control, POST /_reset, GET /_requests) with libcurl's easy
 * interface. Calls are waited for with a mutex and a condition variable,
 * since the client calls back on its own thread. Without python3 the tests
 * that need the fake are skipped.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/mem.h"
#include "llm/llm_client.h"

#define WAIT_MS 10000    /* longest any one call may take before the test fails */
#define START_MS 15000   /* longest the fake may take to start */
#define CHAT_PATH "/v1/chat/completions"
#define MODEL "fake-model"
#define KEY "secret-test-key-7f3a"

/* The question carries one passage; the fake answers with its first two
 * sentences and " [1]", word by word. */
#define PROMPT                                                                                   \
	"<bronnen>\n<bron nummer=\"1\" titel=\"Paspoort aanvragen\">\n"                          \
	"U vraagt een paspoort aan bij de gemeente waar u woont. Neem een recente pasfoto mee. "  \
	"Het kost geld.\n</bron>\n</bronnen>\n<vraag>\nWaar vraag ik een paspoort aan?\n</vraag>"
#define ANSWER                                                                                   \
	"U vraagt een paspoort aan bij de gemeente waar u woont. Neem een recente pasfoto mee. [1]"
#define ANSWER_WORDS 17

/* ------------------------------------------------------------------------- */
/* the fake server                                                           */

struct fake {
	pid_t pid;
	int port;
	char dir[64];
	char port_file[96];
};

/* One group per dialect: a fake, and one that wants an API key; `skip`
 * when python3 is missing. */
struct suite {
	const char *dialect;
	struct fake fake;
	struct fake keyed;
	int skip;
};

static uint64_t now_ms(void)
{
	return llm_now_ms();
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* 1 when an executable python3 is on PATH. */
static int have_python(void)
{
	const char *path = getenv("PATH");
	char dir[512], file[600];

	while (path && *path) {
		size_t n = strcspn(path, ":");

		if (n && n < sizeof(dir)) {
			memcpy(dir, path, n);
			dir[n] = '\0';
			snprintf(file, sizeof(file), "%s/python3", dir);
			if (!access(file, X_OK))
				return 1;
		}
		path += n;
		if (*path == ':')
			path++;
	}
	return 0;
}

static void fake_script(char *out, size_t size)
{
	const char *src = getenv("LOKET_SRC");

	snprintf(out, size, "%s/tests/fake/fake_llm.py", src && *src ? src : ".");
}

static int read_port(const char *file)
{
	char text[32] = "";
	FILE *f = fopen(file, "r");
	long port;

	if (!f)
		return 0;
	if (!fgets(text, sizeof(text), f))
		text[0] = '\0';
	fclose(f);
	port = strtol(text, NULL, 10);
	return port > 0 && port < 65536 ? (int)port : 0;
}

static void fake_reap(struct fake *f)
{
	if (f->pid > 0) {
		uint64_t until = now_ms() + 5000;

		kill(f->pid, SIGTERM);
		while (waitpid(f->pid, NULL, WNOHANG) == 0) {
			if (now_ms() > until) {
				kill(f->pid, SIGKILL);
				waitpid(f->pid, NULL, 0);
				break;
			}
			sleep_ms(10);
		}
	}
	f->pid = 0;
	if (f->port_file[0])
		unlink(f->port_file);
	if (f->dir[0])
		rmdir(f->dir);
	f->port_file[0] = f->dir[0] = '\0';
	f->port = 0;
}

/* Starts the fake without waiting for it; 0 or -1. api_key may be NULL. */
static int fake_spawn(struct fake *f, const char *dialect, const char *api_key)
{
	char script[512];
	const char *argv[12];
	int argc = 0;

	memset(f, 0, sizeof(*f));
	fake_script(script, sizeof(script));
	if (access(script, R_OK))
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/loket-fake-llm-XXXXXX");
	if (!mkdtemp(f->dir)) {
		f->dir[0] = '\0';
		return -1;
	}
	snprintf(f->port_file, sizeof(f->port_file), "%s/port", f->dir);
	argv[argc++] = "python3";
	argv[argc++] = script;
	argv[argc++] = "--port";
	argv[argc++] = "0";
	argv[argc++] = "--port-file";
	argv[argc++] = f->port_file;
	argv[argc++] = "--dialect";
	argv[argc++] = dialect;
	if (api_key) {
		argv[argc++] = "--api-key";
		argv[argc++] = api_key;
	}
	argv[argc] = NULL;
	f->pid = fork();
	if (f->pid < 0) {
		f->pid = 0;
		fake_reap(f);
		return -1;
	}
	if (f->pid == 0) {
		int null = open("/dev/null", O_WRONLY);

		if (null >= 0)
			dup2(null, STDOUT_FILENO);
		execvp("python3", (char *const *)argv);
		_exit(127);
	}
	return 0;
}

/* Waits until a spawned fake listens (f->port); 0, or -1 after reaping it. */
static int fake_wait(struct fake *f)
{
	uint64_t until = now_ms() + START_MS;
	int status;

	while (f->pid && now_ms() < until) {
		f->port = read_port(f->port_file);
		if (f->port)
			return 0;
		if (waitpid(f->pid, &status, WNOHANG) == f->pid) {
			f->pid = 0; /* it died */
			break;
		}
		sleep_ms(20);
	}
	fake_reap(f);
	return -1;
}

/* ------------------------------------------------------------------------- */
/* a tiny blocking HTTP client for the control endpoints                     */

static size_t collect(char *p, size_t size, size_t nmemb, void *ud)
{
	struct buf *b = ud;

	return buf_add(b, p, size * nmemb) ? 0 : size * nmemb;
}

/* method "GET" or "POST"; returns the HTTP status (0 on a transfer failure)
 * and the body in out (a JSON value or NULL; caller json_decref). */
static long fake_http(const struct fake *f, const char *method, const char *path,
		      const char *body, json_t **out)
{
	CURL *e = curl_easy_init();
	struct curl_slist *hdrs = NULL;
	struct buf b;
	char url[256];
	long status = 0;

	if (out)
		*out = NULL;
	if (!e)
		return 0;
	buf_init(&b, (size_t)64 << 20);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", f->port, path);
	hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, 5000L);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, &b);
	if (!strcmp(method, "POST")) {
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, body ? body : "");
		curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, (long)(body ? strlen(body) : 0));
	}
	if (curl_easy_perform(e) == CURLE_OK)
		curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
	if (out && b.len)
		*out = json_loadb(b.ptr, b.len, 0, NULL);
	buf_release(&b);
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(e);
	return status;
}

static void fake_control(const struct fake *f, const char *json)
{
	assert_int_equal(fake_http(f, "POST", "/_control", json, NULL), 200);
}

static void fake_reset(const struct fake *f)
{
	assert_int_equal(fake_http(f, "POST", "/_reset", "", NULL), 200);
}

/* The requests the fake logged (a new array; caller json_decref). */
static json_t *fake_requests(const struct fake *f)
{
	json_t *obj, *reqs;

	assert_int_equal(fake_http(f, "GET", "/_requests", NULL, &obj), 200);
	assert_non_null(obj);
	reqs = json_incref(json_object_get(obj, "requests"));
	json_decref(obj);
	assert_true(json_is_array(reqs));
	return reqs;
}

/* How many requests to `path` the fake has seen since its last reset. */
static size_t fake_count(const struct fake *f, const char *path)
{
	json_t *reqs = fake_requests(f), *r;
	size_t i, n = 0;

	json_array_foreach(reqs, i, r) {
		const char *p = json_string_value(json_object_get(r, "path"));

		if (p && !strcmp(p, path))
			n++;
	}
	json_decref(reqs);
	return n;
}

/* ------------------------------------------------------------------------- */
/* clients and waiting for them                                              */

/* The configuration of the brief: small timeouts, 2 retries, breaker 3/500. */
static struct llm_client *client_new(int port, const char *model, const char *key,
				     unsigned retries, unsigned breaker_failures)
{
	char url[64], model_buf[64], key_buf[64];
	struct llm_config cfg;
	struct llm_client *c = NULL;
	struct lk_err err = { 0 };

	snprintf(url, sizeof(url), "http://127.0.0.1:%d/v1", port);
	snprintf(model_buf, sizeof(model_buf), "%s", model);
	snprintf(key_buf, sizeof(key_buf), "%s", key ? key : "");
	memset(&cfg, 0, sizeof(cfg));
	cfg.base_url = url;
	cfg.model = model_buf;
	cfg.api_key = key ? key_buf : NULL;
	cfg.timeout_ms = 3000;
	cfg.first_token_ms = 1000;
	cfg.connect_timeout_ms = 500;
	cfg.retries = retries;
	cfg.breaker_failures = breaker_failures;
	cfg.breaker_cooldown_ms = 500;
	assert_int_equal(llm_client_new(&c, &cfg, &err), 0);
	assert_non_null(c);
	return c;
}

/* The client of the brief. */
static struct llm_client *client_default(const struct fake *f)
{
	return client_new(f->port, MODEL, NULL, 2, 3);
}

/* No retries and a breaker that does not open: one request per call. */
static struct llm_client *client_once(const struct fake *f)
{
	return client_new(f->port, MODEL, NULL, 0, 1000);
}

/* What one call delivered, copied on the client's thread. */
struct waiter {
	pthread_mutex_t mu;
	pthread_cond_t cond;
	int calls;              /* on_done calls */
	int rc;
	struct llm_error lerr;
	char *content;
	char finish[24];
	long prompt_tokens, completion_tokens;
	json_t *tool_calls;     /* a copy, or NULL */
	struct buf deltas;
	size_t n_deltas;
	float *vec;             /* embeddings */
	size_t dim;
};

static void waiter_init(struct waiter *w)
{
	pthread_condattr_t attr;

	memset(w, 0, sizeof(*w));
	pthread_mutex_init(&w->mu, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&w->cond, &attr);
	pthread_condattr_destroy(&attr);
	buf_init(&w->deltas, (size_t)1 << 20);
	w->prompt_tokens = w->completion_tokens = -2;
}

static void waiter_release(struct waiter *w)
{
	free(w->content);
	json_decref(w->tool_calls);
	buf_release(&w->deltas);
	free(w->vec);
	pthread_mutex_destroy(&w->mu);
	pthread_cond_destroy(&w->cond);
}

static void on_delta(void *ud, const char *text, size_t len)
{
	struct waiter *w = ud;

	pthread_mutex_lock(&w->mu);
	buf_add(&w->deltas, text, len);
	w->n_deltas++;
	pthread_mutex_unlock(&w->mu);
}

static void on_done(void *ud, int rc, const struct llm_completion *res,
		    const struct llm_error *lerr)
{
	struct waiter *w = ud;

	pthread_mutex_lock(&w->mu);
	w->calls++;
	w->rc = rc;
	if (lerr)
		w->lerr = *lerr;
	if (res) {
		free(w->content);
		w->content = xstrndup(res->content.ptr, res->content.len);
		snprintf(w->finish, sizeof(w->finish), "%s", res->finish_reason);
		w->prompt_tokens = res->prompt_tokens;
		w->completion_tokens = res->completion_tokens;
		json_decref(w->tool_calls);
		w->tool_calls = res->tool_calls ? json_deep_copy(res->tool_calls) : NULL;
	}
	pthread_cond_signal(&w->cond);
	pthread_mutex_unlock(&w->mu);
}

static void on_embed(void *ud, int rc, const float *vec, size_t dim, const struct llm_error *lerr)
{
	struct waiter *w = ud;

	pthread_mutex_lock(&w->mu);
	w->calls++;
	w->rc = rc;
	if (lerr)
		w->lerr = *lerr;
	if (vec && dim) {
		w->vec = xcalloc(dim, sizeof(float));
		memcpy(w->vec, vec, dim * sizeof(float));
		w->dim = dim;
	}
	pthread_cond_signal(&w->cond);
	pthread_mutex_unlock(&w->mu);
}

/* 0 once on_done ran, -1 after ms. */
static int waiter_wait(struct waiter *w, unsigned ms)
{
	struct timespec ts;
	int ok;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&w->mu);
	while (!w->calls) {
		if (pthread_cond_timedwait(&w->cond, &w->mu, &ts) == ETIMEDOUT)
			break;
	}
	ok = w->calls > 0;
	pthread_mutex_unlock(&w->mu);
	return ok ? 0 : -1;
}

static int waiter_calls(struct waiter *w)
{
	int n;

	pthread_mutex_lock(&w->mu);
	n = w->calls;
	pthread_mutex_unlock(&w->mu);
	return n;
}

/* {"messages":[{"role":"user","content":PROMPT}]} */
static json_t *question(void)
{
	return json_pack("{s:[{s:s, s:s}]}", "messages", "role", "user", "content", PROMPT);
}

/* The same with two tools to choose from. */
static json_t *question_with_tools(void)
{
	json_t *body = question();

	json_object_set_new(body, "tools", json_pack(
		"[{s:s, s:{s:s, s:s, s:{s:s, s:{s:{s:s}}, s:[s]}}},"
		" {s:s, s:{s:s, s:s, s:{s:s, s:{s:{s:s}}, s:[s]}}}]",
		"type", "function", "function", "name", "zoek_product", "description",
		"Zoekt een product van de gemeente", "parameters", "type", "object",
		"properties", "query", "type", "string", "required", "query",
		"type", "function", "function", "name", "openingstijden", "description",
		"Geeft de openingstijden", "parameters", "type", "object",
		"properties", "gemeente", "type", "string", "required", "gemeente"));
	return body;
}

/* Starts a chat call with a budget (0: the configured one) and waits for
 * it; returns on_done's rc. */
static int chat_budget(struct llm_client *c, json_t *body, int stream, unsigned budget_ms,
		       struct waiter *w)
{
	struct llm_chat_cb cb = { on_delta, on_done, w };
	struct llm_error lerr;
	struct lk_err err = { 0 };

	waiter_init(w);
	assert_int_equal(llm_chat_start(c, body, stream, budget_ms, &cb, &lerr, &err), 0);
	assert_int_equal(waiter_wait(w, WAIT_MS), 0);
	assert_int_equal(w->calls, 1);
	return w->rc;
}

static int chat(struct llm_client *c, json_t *body, int stream, struct waiter *w)
{
	return chat_budget(c, body, stream, 0, w);
}

/* ------------------------------------------------------------------------- */
/* groups                                                                    */

static const char *group_dialect;

static int group_setup(void **state)
{
	struct suite *s = xcalloc(1, sizeof(*s));

	s->dialect = group_dialect;
	if (!have_python()) {
		fprintf(stderr, "python3 not found: skipping the %s tests\n", s->dialect);
		s->skip = 1;
	} else {
		/* both start at once: python takes a while */
		int rc = fake_spawn(&s->fake, s->dialect, NULL);

		rc |= fake_spawn(&s->keyed, s->dialect, KEY);
		rc |= fake_wait(&s->fake);
		rc |= fake_wait(&s->keyed);
		if (rc) {
			fprintf(stderr, "the fake LLM server (%s) did not start\n", s->dialect);
			fake_reap(&s->fake);
			fake_reap(&s->keyed);
			free(s);
			return -1;
		}
	}
	*state = s;
	return 0;
}

static int group_teardown(void **state)
{
	struct suite *s = *state;

	if (s) {
		fake_reap(&s->fake);
		fake_reap(&s->keyed);
		free(s);
	}
	return 0;
}

/* The suite of a test, its fake reset to "echo" with an empty log. */
static struct suite *begin(void **state)
{
	struct suite *s = *state;

	if (s->skip)
		skip();
	fake_reset(&s->fake);
	return s;
}

/* ------------------------------------------------------------------------- */
/* answers                                                                   */

static void test_streamed_answer(void **state)
{
	struct suite *s = begin(state);
	struct llm_client *c = client_default(&s->fake);
	struct waiter w;
	json_t *reqs, *body;
	struct llm_stats st;

	assert_int_equal(chat(c, question(), 1, &w), 0);
	assert_string_equal(w.content, ANSWER);
	assert_string_equal(w.deltas.ptr, w.content); /* the deltas make the answer */
	assert_true(w.n_deltas > 1);                  /* and came word by word */
	assert_string_equal(w.finish, "stop");
	assert_true(w.prompt_tokens > 0);             /* usage: include_usage is asked */
	assert_int_equal(w.completion_tokens, ANSWER_WORDS);
	assert_null(w.tool_calls);
	assert_int_equal(w.lerr.kind, LLM_ERR_NONE);
	waiter_release(&w);

	/* what the client sent */
	reqs = fake_requests(&s->fake);
	assert_int_equal(json_array_size(reqs), 1);
	body = json_object_get(json_array_get(reqs, 0), "body");
	assert_string_equal(json_string_value(json_object_get(body, "model")), MODEL);
	assert_true(json_is_true(json_object_get(body, "stream")));
	assert_true(json_is_true(json_object_get(json_object_get(body, "stream_options"),
						 "include_usage")));
	assert_int_equal(json_integer_value(json_object_get(body, "max_tokens")),
			 LLM_DEFAULT_MAX_TOKENS);
	assert_true(json_is_number(json_object_get(body, "temperature")));
	assert_string_equal(json_string_value(json_object_get(
		json_array_get(json_object_get(body, "messages"), 0), "content")), PROMPT);
	json_decref(reqs);

	/* the caller's own stream_options win: no usage asked, none given */
	body = question();
	json_object_set_new(body, "stream_options", json_pack("{s:b}", "include_usage", 0));
	json_object_set_new(body, "max_tokens", json_integer(5));
	assert_int_equal(chat(c, body, 1, &w), 0);
	assert_string_equal(w.content, "U vraagt een paspoort aan ");
	assert_string_equal(w.finish, "length");
	assert_int_equal(w.prompt_tokens, -1);
	assert_int_equal(w.completion_tokens, -1);
	waiter_release(&w);

	llm_client_stats(c, &st);
	assert_int_equal(st.calls, 2);
	assert_int_equal(st.ok, 2);
	assert_int_equal(st.retries, 0);
	assert_int_equal(st.in_flight, 0);
	assert_int_equal(st.breaker, LLM_BREAKER_CLOSED);
	llm_client_free(c);
}

static void test_nonstreamed_answer(void **state)
{
	struct suite *s = begin(state);
	struct llm_client *c = client_default(&s->fake);
	struct waiter w;
	json_t *reqs, *body;

	assert_int_equal(chat(c, question(), 0, &w), 0);
	assert_string_equal(w.content, ANSWER);
	assert_string_equal(w.finish, "stop");
	assert_true(w.prompt_tokens > 0);
	assert_int_equal(w.completion_tokens, ANSWER_WORDS);
	/* the whole text is passed on once */
	assert_int_equal(w.n_deltas, 1);
	assert_string_equal(w.deltas.ptr, ANSWER);
	waiter_release(&w);

	reqs = fake_requests(&s->fake);
	assert_int_equal(json_array_size(reqs), 1);
	body = json_object_get(json_array_get(reqs, 0), "body");
	assert_true(json_is_false(json_object_get(body, "stream")));
	assert_null(json_object_get(body, "stream_options"));
	json_decref(reqs);
	llm_client_free(c);
}

/* Checks one entry of res->tool_calls: name and an object with `key`. */
static void expect_tool_call(const json_t *call, const char *name, const char *key)
{
	const json_t *fn = json_object_get(call, "function");
	const char *args = json_string_value(json_object_get(fn, "arguments"));
	const char *id = json_string_value(json_object_get(call, "id"));
	json_t *obj;

	assert_non_null(id);
	assert_true(strlen(id) > 0);
	assert_string_equal(json_string_value(json_object_get(call, "type")), "function");
	assert_string_equal(json_string_value(json_object_get(fn, "name")), name);
	assert_non_null(args);
	obj = json_loads(args, 0, NULL);
	assert_true(json_is_object(obj));
	assert_true(json_is_string(json_object_get(obj, key)));
	json_decref(obj);
}

static void test_tool_calls(void **state)
{
	struct suite *s = begin(state);
	struct llm_client *c = client_default(&s->fake);
	struct waiter w;
	const char *id0, *id1;

	/* one call, streamed in fragments */
	fake_control(&s->fake, "{\"scenario\":\"tool_call\",\"fragments\":4}");
	assert_int_equal(chat(c, question_with_tools(), 1, &w), 0);
	assert_string_equal(w.finish, "tool_calls");
	assert_true(json_is_array(w.tool_calls));
	assert_int_equal(json_array_size(w.tool_calls), 1);
	expect_tool_call(json_array_get(w.tool_calls, 0), "zoek_product", "query");
	waiter_release(&w);

	/* two in parallel (Ollama: both at index 0, told apart by their ids) */
	fake_control(&s->fake, "{\"scenario\":\"tool_call\",\"parallel\":true}");
	assert_int_equal(chat(c, question_with_tools(), 1, &w), 0);
	assert_string_equal(w.finish, "tool_calls");
	assert_int_equal(json_array_size(w.tool_calls), 2);
	expect_tool_call(json_array_get(w.tool_calls, 0), "zoek_product", "query");
	expect_tool_call(json_array_get(w.tool_calls, 1), "openingstijden", "gemeente");
	id0 = json_string_value(json_object_get(json_array_get(w.tool_calls, 0), "id"));
	id1 = json_string_value(json_object_get(json_array_get(w.tool_calls, 1), "id"));
	assert_string_not_equal(id0, id1);
	waiter_release(&w);

	/* Ollama sending its calls in fragments too */
	fake_control(&s->fake, "{\"scenario\":\"tool_call\",\"parallel\":true,\"split\":true}");
	assert_int_equal(chat(c, question_with_tools(), 1, &w), 0);
	assert_int_equal(json_array_size(w.tool_calls), 2);
	expect_tool_call(json_array_get(w.tool_calls, 0), "zoek_product", "query");
	expect_tool_call(json_array_get(w.tool_calls, 1), "openingstijden", "gemeente");
	waiter_release(&w);

	/* and whole */
	fake_control(&s->fake, "{\"scenario\":\"tool_call\",\"parallel\":true}");
	assert_int_equal(chat(c, question_with_tools(), 0, &w), 0);
	assert_string_equal(w.finish, "tool_calls");
	assert_int_equal(json_array_size(w.tool_calls), 2);
	expect_tool_call(json_array_get(w.tool_calls, 0), "zoek_product", "query");
	expect_tool_call(json_array_get(w.tool_calls, 1), "openingstijden", "gemeente");
	waiter_release(&w);
	llm_client_free(c);
}

/* ------------------------------------------------------------------------- */
/* errors                                                                    */

static void test_http_errors(void **state)
{
	static const struct {
		long status;
		enum llm_error_kind kind;
	} cases[] = {
		{ 400, LLM_ERR_BAD_REQUEST }, { 401, LLM_ERR_AUTH },   { 404, LLM_ERR_NOT_FOUND },
		{ 429, LLM_ERR_RATE_LIMIT },  { 500, LLM_ERR_SERVER }, { 503, LLM_ERR_UNAVAILABLE },
	};
	struct suite *s = begin(state);
	struct llm_client *c = client_once(&s->fake);
	struct waiter w;
	char ctl[128];
	struct llm_stats st;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		for (int stream = 0; stream < 2; stream++) {
			snprintf(ctl, sizeof(ctl), "{\"scenario\":\"http_error\",\"status\":%ld}",
				 cases[i].status);
			fake_control(&s->fake, ctl);
			assert_int_equal(chat(c, question(), stream, &w), LK_EREMOTE);
			if (w.lerr.kind != cases[i].kind)
				fail_msg("%s: HTTP %ld (stream %d) gave %s", s->dialect,
					 cases[i].status, stream, llm_error_kind_name(w.lerr.kind));
			assert_int_equal(w.lerr.http_status, cases[i].status);
			assert_int_equal(w.lerr.retryable, llm_error_kind_retryable(cases[i].kind));
			assert_true(strlen(w.lerr.message) > 0);
			assert_int_equal(w.n_deltas, 0);
			waiter_release(&w);
		}
	}

	fake_control(&s->fake, "{\"scenario\":\"context_overflow\"}");
	for (int stream = 0; stream < 2; stream++) {
		assert_int_equal(chat(c, question(), stream, &w), LK_EREMOTE);
		assert_int_equal(w.lerr.kind, LLM_ERR_CONTEXT_LENGTH);
		assert_int_equal(w.lerr.http_status, 400);
		assert_int_equal(w.lerr.retryable, 0);
		waiter_release(&w);
	}

	llm_client_stats(c, &st);
	assert_int_equal(st.calls, 14);
	assert_int_equal(st.ok, 0);
	assert_int_equal(st.failed[LLM_ERR_BAD_REQUEST], 2);
	assert_int_equal(st.failed[LLM_ERR_SERVER], 2);
	assert_int_equal(st.failed[LLM_ERR_CONTEXT_LENGTH], 2);
	assert_int_equal(st.retries, 0);
	assert_int_equal(fake_count(&s->fake, CHAT_PATH), 14);
	llm_client_free(c);
}

/* An error object inside a 200 stream, after some text. */
static void test_stream_error(void **state)
{
	struct suite *s = begin(state);
	struct llm_client *c = client_default(&s->fake);
	struct waiter w;

	fake_control(&s->fake, "{\"scenario\":\"stream_error\",\"chunks\":3,"
			       "\"message\":\"generation failed\"}");
	assert_int_equal(chat(c, question(), 1, &w), LK_EREMOTE);
	assert_int_equal(w.lerr.kind, LLM_ERR_SERVER);
	assert_string_equal(w.lerr.message, "generation failed");
	/* the text so far is there, and was passed on */
	assert_string_equal(w.content, "U vraagt een ");
	assert_string_equal(w.deltas.ptr, w.content);
	assert_true(strcmp(w.finish, "stop") != 0);
	waiter_release(&w);
	/* text was passed on: no retry, though 500 is retryable */
	assert_int_equal(fake_count(&s->fake, CHAT_PATH), 1);

	/* a status of its own inside the stream */
	fake_reset(&s->fake);
	fake_control(&s->fake, "{\"scenario\":\"stream_error\",\"chunks\":1,\"status\":503}");
	assert_int_equal(chat(c, question(), 1, &w), LK_EREMOTE);
	if (!strcmp(s->dialect, "ollama"))
		assert_int_equal(w.lerr.kind, LLM_ERR_SERVER); /* its error has no code */
	else
		assert_int_equal(w.lerr.kind, LLM_ERR_UNAVAILABLE);
	waiter_release(&w);
	llm_client_free(c);
}

static void test_retry(void **state)
{
	struct suite *s = begin(state);
	struct llm_client *c = client_default(&s->fake);
	struct waiter w;
	struct llm_stats st;
	uint64_t t0;

	/* 503 once, then an answer */
	fake_control(&s->fake, "{\"scenario\":\"http_error\",\"status\":503,\"times\":1}");
	assert_int_equal(chat(c, question(), 1, &w), 0);
	assert_string_equal(w.content, ANSWER);
	assert_string_equal(w.deltas.ptr, ANSWER); /* nothing of the failed try leaks in */
	waiter_release(&w);
	llm_client_stats(c, &st);
	assert_true(st.retries >= 1);
	assert_int_equal(st.ok, 1);
	assert_int_equal(st.failed[LLM_ERR_UNAVAILABLE], 0);
	assert_int_equal(fake_count(&s->fake, CHAT_PATH), 2);

	/* 400 is our fault: not retried */
	fake_reset(&s->fake);
	fake_control(&s->fake, "{\"scenario\":\"http_error\",\"status\":400}");
	assert_int_equal(chat(c, question(), 1, &w), LK_EREMOTE);
	assert_int_equal(w.lerr.kind, LLM_ERR_BAD_REQUEST);
	waiter_release(&w);
	assert_int_equal(fake_count(&s->fake, CHAT_PATH), 1);
	llm_client_stats(c, &st);
	assert_int_equal(st.retries, 1);

	/* the backoff costs time, and does not depend on the dialect */
	if (strcmp(s->dialect, "llama")) {
		llm_client_free(c);
		return;
	}

	/* 500 twice, then an answer: both retries used */
	fake_reset(&s->fake);
	fake_control(&s->fake, "{\"scenario\":\"http_error\",\"status\":500,\"times\":2}");
	assert_int_equal(chat(c, question(), 0, &w), 0);
	assert_string_equal(w.content, ANSWER);
	waiter_release(&w);
	assert_int_equal(fake_count(&s->fake, CHAT_PATH), 3);

	/* 500 always: three tries, then the error */
	fake_reset(&s->fake);
	fake_control(&s->fake, "{\"scenario\":\"http_error\",\"status\":500}");
	assert_int_equal(chat(c, question(), 1, &w), LK_EREMOTE);
	assert_int_equal(w.lerr.kind, LLM_ERR_SERVER);
	waiter_release(&w);
	assert_int_equal(fake_count(&s->fake, CHAT_PATH), 3);
	llm_client_stats(c, &st);
	assert_int_equal(st.retries, 1 + 2 + 2);
	assert_int_equal(st.failed[LLM_ERR_SERVER], 1);

	/* 429 with Retry-After: 1 is retried after that second */
	fake_reset(&s->fake);
	fake_control(&s->fake, "{\"scenario\":\"http_error\",\"status\":429,\"times\":1}");
	t0 = now_ms();
	assert_int_equal(chat(c, question(), 1, &w), 0);
	assert_true(now_ms() - t0 >= 900); /* a lower bound only: the client must wait */
	assert_string_equal(w.content, ANSWER);
	waiter_release(&w);
	assert_int_equal(fake_count(&s->fake, CHAT_PATH), 2);
	llm_client_free(c);
}

static void test_cut_stream(void **state)
{
	struct suite *s = begin(state);
	struct llm_client *c = client_default(&s->fake);
	struct waiter w;

	for (int rst = 0; rst < 2; rst++) {
		fake_reset(&s->fake);
		fake_control(&s->fake, rst ? "{\"scenario\":\"cut\",\"chunks\":4,\"rst\":true}"
					   : "{\"scenario\":\"cut\",\"chunks\":4}");
		assert_int_equal(chat(c, question(), 1, &w), LK_EIO);
		assert_int_equal(w.lerr.kind, LLM_ERR_NETWORK);
		assert_string_equal(w.deltas.ptr, w.content);
		if (!rst) {
			/* the partial text is in res; text given: no retry */
			assert_string_equal(w.content, "U vraagt een paspoort ");
			assert_int_equal(fake_count(&s->fake, CHAT_PATH), 1);
		} else {
			/* a reset may cost data still in flight */
			assert_int_equal(strncmp(w.content, ANSWER, strlen(w.content)), 0);
			assert_true(strlen(w.content) < strlen(ANSWER));
		}
		waiter_release(&w);
	}
	llm_client_free(c);

	/* a cut whole body: nothing was passed on, so it fails as network */
	c = client_once(&s->fake);
	fake_reset(&s->fake);
	fake_control(&s->fake, "{\"scenario\":\"cut\"}");
	assert_int_equal(chat(c, question(), 0, &w), LK_EIO);
	assert_int_equal(w.lerr.kind, LLM_ERR_NETWORK);
	assert_int_equal(w.n_deltas, 0);
	waiter_release(&w);
	llm_client_free(c);
}

static void test_stall(void **state)
{
	struct suite *s = begin(state);
	struct llm_client *c = client_once(&s->fake);
	struct waiter w;
	uint64_t t0;

	fake_control(&s->fake, "{\"scenario\":\"stall\",\"seconds\":5}");
	t0 = now_ms();
	/* a budget past 4 s: only the first-token limit can end it sooner */
	assert_int_equal(chat_budget(c, question(), 1, 4500, &w), LK_ETIMEOUT);
	/* given up at first_token_ms, far from the fake's 5 s */
	assert_true(now_ms() - t0 < 4000);
	assert_int_equal(w.lerr.kind, LLM_ERR_TIMEOUT);
	assert_int_equal(w.n_deltas, 0);
	waiter_release(&w);
	llm_client_free(c);
}

static void test_circuit_breaker(void **state)
{
	struct suite *s = begin(state);
	struct llm_client *c = client_new(s->fake.port, MODEL, NULL, 0, 3);
	struct llm_chat_cb cb;
	struct waiter w, refused;
	struct llm_error lerr;
	struct lk_err err = { 0 };
	struct llm_stats st;

	fake_control(&s->fake, "{\"scenario\":\"http_error\",\"status\":500}");
	for (int i = 0; i < 3; i++) {
		assert_int_equal(chat(c, question(), 1, &w), LK_EREMOTE);
		assert_int_equal(w.lerr.kind, LLM_ERR_SERVER);
		waiter_release(&w);
	}
	llm_client_stats(c, &st);
	assert_int_equal(st.breaker, LLM_BREAKER_OPEN);
	assert_int_equal(st.breaker_opened, 1);
	assert_int_equal(fake_count(&s->fake, CHAT_PATH), 3);

	/* open: refused at once, on_done never called, nothing sent */
	waiter_init(&refused);
	cb = (struct llm_chat_cb){ on_delta, on_done, &refused };
	llm_error_clear(&lerr);
	assert_int_equal(llm_chat_start(c, question(), 1, 0, &cb, &lerr, &err), LK_EUNAVAIL);
	assert_int_equal(lerr.kind, LLM_ERR_CIRCUIT_OPEN);
	assert_int_equal(err.code, LK_EUNAVAIL);
	llm_client_stats(c, &st);
	assert_int_equal(st.refused, 1);
	assert_int_equal(st.calls, 3);
	assert_int_equal(fake_count(&s->fake, CHAT_PATH), 3);

	/* after the cooldown, with the backend healthy again, the trial call
	 * goes through and closes the circuit */
	sleep_ms(600);
	fake_control(&s->fake, "{\"scenario\":\"echo\"}");
	assert_int_equal(chat(c, question(), 1, &w), 0);
	assert_string_equal(w.content, ANSWER);
	waiter_release(&w);
	llm_client_stats(c, &st);
	assert_int_equal(st.breaker, LLM_BREAKER_CLOSED);
	assert_int_equal(fake_count(&s->fake, CHAT_PATH), 4);
	assert_int_equal(chat(c, question(), 0, &w), 0);
	waiter_release(&w);

	assert_int_equal(waiter_calls(&refused), 0);
	waiter_release(&refused);

	/* errors that are our own fault do not open it */
	fake_control(&s->fake, "{\"scenario\":\"http_error\",\"status\":400}");
	for (int i = 0; i < 4; i++) {
		assert_int_equal(chat(c, question(), 1, &w), LK_EREMOTE);
		waiter_release(&w);
	}
	llm_client_stats(c, &st);
	assert_int_equal(st.breaker, LLM_BREAKER_CLOSED);
	llm_client_free(c);
}

/* ------------------------------------------------------------------------- */
/* embeddings, models, keys                                                  */

static void test_embeddings(void **state)
{
	static const char *const texts[] = {
		"Hoe vraag ik een paspoort aan?",
		"Openingstijden van het gemeentehuis",
		"Afval scheiden en de milieustraat",
	};
	struct suite *s = begin(state);
	struct llm_client *c = client_default(&s->fake);
	float *vecs = NULL;
	size_t dim = 0;
	struct llm_error lerr;
	struct lk_err err = { 0 };
	struct waiter w;
	json_t *reqs, *body;

	assert_int_equal(llm_embed(c, texts, 3, &vecs, &dim, &lerr, &err), 0);
	assert_non_null(vecs);
	assert_int_equal(dim, 64);
	for (size_t i = 0; i < 3; i++) {
		double norm = 0;

		for (size_t k = 0; k < dim; k++) {
			assert_true(isfinite(vecs[i * dim + k]));
			norm += (double)vecs[i * dim + k] * vecs[i * dim + k];
		}
		assert_true(fabs(sqrt(norm) - 1.0) < 1e-4);
	}
	/* rows are the texts, in order: each differs from the others */
	assert_true(memcmp(vecs, vecs + dim, dim * sizeof(float)) != 0);
	assert_true(memcmp(vecs + dim, vecs + 2 * dim, dim * sizeof(float)) != 0);

	reqs = fake_requests(&s->fake);
	assert_int_equal(json_array_size(reqs), 1);
	body = json_object_get(json_array_get(reqs, 0), "body");
	assert_string_equal(json_string_value(json_object_get(json_array_get(reqs, 0), "path")),
			    "/v1/embeddings");
	assert_string_equal(json_string_value(json_object_get(body, "model")), MODEL);
	assert_int_equal(json_array_size(json_object_get(body, "input")), 3);
	json_decref(reqs);

	/* one text, asynchronously: the same vector as row 1 */
	waiter_init(&w);
	assert_int_equal(llm_embed_start(c, texts[1], 0, on_embed, &w, &lerr, &err), 0);
	assert_int_equal(waiter_wait(&w, WAIT_MS), 0);
	assert_int_equal(w.rc, 0);
	assert_int_equal(w.dim, 64);
	for (size_t k = 0; k < dim; k++)
		assert_true(fabsf(w.vec[k] - vecs[dim + k]) < 1e-6f);
	waiter_release(&w);
	free(vecs);

	/* nothing to embed: the server says no, the client does not crash */
	vecs = NULL;
	assert_int_not_equal(llm_embed(c, texts, 0, &vecs, &dim, &lerr, &err), 0);
	assert_null(vecs);
	assert_int_equal(dim, 0);
	llm_client_free(c);
}

static void test_models_and_probe(void **state)
{
	struct suite *s = begin(state);
	struct llm_client *c = client_default(&s->fake);
	struct llm_error lerr;
	struct lk_err err = { 0 };
	json_t *ids = NULL, *id;
	char line[256];
	size_t i;
	int found = 0;

	assert_int_equal(llm_models(c, &ids, &lerr, &err), 0);
	assert_true(json_is_array(ids));
	json_array_foreach(ids, i, id) {
		if (!strcmp(json_string_value(id), MODEL))
			found = 1;
	}
	assert_true(found);
	json_decref(ids);

	assert_int_equal(llm_probe(c, line, sizeof(line)), 0);
	assert_non_null(strstr(line, MODEL));
	assert_non_null(strstr(line, "answers"));
	llm_client_free(c);

	c = client_new(s->fake.port, "other", NULL, 2, 3);
	assert_int_equal(llm_probe(c, line, sizeof(line)), LK_ENOTFOUND);
	assert_non_null(strstr(line, "'other'"));
	llm_client_free(c);

	/* a short buffer is cut, not overrun */
	c = client_default(&s->fake);
	assert_int_equal(llm_probe(c, line, 8), 0);
	assert_int_equal(strlen(line), 7);
	llm_client_free(c);
}

/* Fails if any recorded header other than Authorization, or any body,
 * holds the key. */
static void expect_key_only_in_authorization(const json_t *reqs)
{
	const json_t *r, *v;
	const char *name;
	size_t i;

	json_array_foreach(reqs, i, r) {
		char *body = json_dumps(json_object_get(r, "body"), JSON_ENCODE_ANY);

		assert_non_null(body);
		assert_null(strstr(body, KEY));
		free(body);
		json_object_foreach((json_t *)json_object_get(r, "headers"), name, v) {
			if (strcmp(name, "authorization"))
				assert_null(strstr(json_string_value(v), KEY));
		}
	}
}

static void test_api_key(void **state)
{
	struct suite *s = begin(state);
	struct fake *keyed = &s->keyed;
	struct llm_client *c;
	struct waiter w;
	json_t *reqs, *hdrs;
	char line[256];

	fake_reset(keyed);

	c = client_new(keyed->port, MODEL, NULL, 2, 3);
	assert_int_equal(chat(c, question(), 1, &w), LK_EREMOTE);
	assert_int_equal(w.lerr.kind, LLM_ERR_AUTH);
	assert_int_equal(w.lerr.http_status, 401);
	waiter_release(&w);
	llm_client_free(c);

	c = client_new(keyed->port, MODEL, "wrong-key", 2, 3);
	assert_int_equal(chat(c, question(), 0, &w), LK_EREMOTE);
	assert_int_equal(w.lerr.kind, LLM_ERR_AUTH);
	waiter_release(&w);
	llm_client_free(c);

	c = client_new(keyed->port, MODEL, KEY, 2, 3);
	assert_int_equal(chat(c, question(), 1, &w), 0);
	assert_string_equal(w.content, ANSWER);
	assert_null(strstr(w.lerr.message, KEY));
	waiter_release(&w);
	assert_int_equal(llm_probe(c, line, sizeof(line)), 0);
	assert_null(strstr(line, KEY));
	assert_null(strstr(llm_client_config(c)->base_url, KEY));
	llm_client_free(c);

	reqs = fake_requests(keyed);
	assert_true(json_array_size(reqs) >= 3);
	/* no key, a wrong one, then the right one as a Bearer token */
	hdrs = json_object_get(json_array_get(reqs, 0), "headers");
	assert_null(json_object_get(hdrs, "authorization"));
	assert_null(json_object_get(hdrs, "x-api-key"));
	hdrs = json_object_get(json_array_get(reqs, 1), "headers");
	assert_string_equal(json_string_value(json_object_get(hdrs, "authorization")),
			    "Bearer wrong-key");
	hdrs = json_object_get(json_array_get(reqs, 2), "headers");
	assert_string_equal(json_string_value(json_object_get(hdrs, "authorization")),
			    "Bearer " KEY);
	expect_key_only_in_authorization(reqs);
	json_decref(reqs);
}

/* Freeing the client ends what runs: on_done gets an error, nothing hangs. */
static void test_free_while_stalled(void **state)
{
	struct suite *s = begin(state);
	struct llm_client *c = client_once(&s->fake);
	struct llm_chat_cb cb;
	struct waiter w, w2;
	struct llm_error lerr;
	struct lk_err err = { 0 };
	uint64_t until;

	fake_control(&s->fake, "{\"scenario\":\"stall\",\"seconds\":5}");
	waiter_init(&w);
	cb = (struct llm_chat_cb){ on_delta, on_done, &w };
	/* not streamed: no first-token limit, only the 3 s budget could end it */
	assert_int_equal(llm_chat_start(c, question(), 0, 0, &cb, &lerr, &err), 0);
	/* wait until the request is at the server */
	until = now_ms() + 1000;
	while (fake_count(&s->fake, CHAT_PATH) < 1 && now_ms() < until)
		sleep_ms(10);
	assert_int_equal(waiter_calls(&w), 0);
	llm_client_free(c);
	assert_int_equal(waiter_calls(&w), 1);
	assert_int_not_equal(w.rc, 0);
	assert_int_not_equal(w.lerr.kind, LLM_ERR_NONE);
	waiter_release(&w);

	/* and a call that waits for its retry, and one just queued */
	c = client_default(&s->fake);
	fake_control(&s->fake, "{\"scenario\":\"http_error\",\"status\":503}");
	waiter_init(&w);
	waiter_init(&w2);
	cb = (struct llm_chat_cb){ on_delta, on_done, &w };
	assert_int_equal(llm_chat_start(c, question(), 1, 0, &cb, &lerr, &err), 0);
	sleep_ms(50);
	cb.ud = &w2;
	assert_int_equal(llm_chat_start(c, question(), 0, 0, &cb, &lerr, &err), 0);
	llm_client_free(c);
	assert_int_equal(waiter_calls(&w), 1);
	assert_int_equal(waiter_calls(&w2), 1);
	assert_int_not_equal(w.rc, 0);
	assert_int_not_equal(w2.rc, 0);
	waiter_release(&w);
	waiter_release(&w2);
}

/* ------------------------------------------------------------------------- */
/* no server at all                                                          */

/* A port nobody listens on (bound, then closed). */
static int closed_port(void)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port;

	assert_true(fd >= 0);
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	port = ntohs(a.sin_port);
	close(fd);
	return port;
}

static void test_unreachable_server(void **state)
{
	struct llm_client *c = client_new(closed_port(), MODEL, NULL, 2, 3);
	struct waiter w;
	struct llm_error lerr;
	struct lk_err err = { 0 };
	json_t *ids = (json_t *)1;
	float *vecs = (float *)1;
	size_t dim = 1;
	const char *text = "paspoort";
	char line[256];
	uint64_t t0 = now_ms();

	assert_int_equal(chat(c, question(), 1, &w), LK_EIO);
	assert_int_equal(w.lerr.kind, LLM_ERR_NETWORK);
	assert_true(now_ms() - t0 < 3000);
	waiter_release(&w);
	llm_client_free(c);

	c = client_new(closed_port(), MODEL, NULL, 0, 100);
	assert_int_not_equal(llm_models(c, &ids, &lerr, &err), 0);
	assert_null(ids);
	assert_int_equal(lerr.kind, LLM_ERR_NETWORK);
	assert_int_not_equal(llm_embed(c, &text, 1, &vecs, &dim, &lerr, &err), 0);
	assert_null(vecs);
	assert_int_equal(dim, 0);
	assert_int_not_equal(llm_probe(c, line, sizeof(line)), 0);
	assert_non_null(strstr(line, "does not answer"));
	llm_client_free(c);
}

static void test_bad_config(void **state)
{
	struct llm_config cfg;
	struct llm_client *c = (struct llm_client *)1;
	struct lk_err err = { 0 };
	char model[] = MODEL;

	memset(&cfg, 0, sizeof(cfg));
	cfg.model = model;
	assert_int_equal(llm_client_new(&c, &cfg, &err), LK_ECONFIG);
	assert_null(c);
	llm_client_free(NULL);
}

int main(void)
{
	static const char *const dialects[] = { "llama", "vllm", "vllm-old", "ollama" };
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_streamed_answer),
		cmocka_unit_test(test_nonstreamed_answer),
		cmocka_unit_test(test_tool_calls),
		cmocka_unit_test(test_http_errors),
		cmocka_unit_test(test_stream_error),
		cmocka_unit_test(test_retry),
		cmocka_unit_test(test_cut_stream),
		cmocka_unit_test(test_stall),
		cmocka_unit_test(test_circuit_breaker),
		cmocka_unit_test(test_embeddings),
		cmocka_unit_test(test_models_and_probe),
		cmocka_unit_test(test_api_key),
		cmocka_unit_test(test_free_while_stalled),
	};
	const struct CMUnitTest plain[] = {
		cmocka_unit_test(test_unreachable_server),
		cmocka_unit_test(test_bad_config),
	};
	int failed = 0;
	char name[64];

	signal(SIGPIPE, SIG_IGN);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	failed += cmocka_run_group_tests_name("llm/llm_client without a server", plain, NULL, NULL);
	for (size_t i = 0; i < sizeof(dialects) / sizeof(dialects[0]); i++) {
		group_dialect = dialects[i];
		snprintf(name, sizeof(name), "llm/llm_client %s", dialects[i]);
		failed += cmocka_run_group_tests_name(name, tests, group_setup, group_teardown);
	}
	curl_global_cleanup();
	return failed;
}
