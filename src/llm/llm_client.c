/* llm_client.c - the OpenAI-compatible client on libcurl's multi interface
 * (see llm_client.h).
 *
 * Threads: callers put calls on `incoming` under c->mu and wake the client
 * thread with curl_multi_wakeup(); everything else (the multi handle, the
 * lists of waiting and active calls, the parsers) belongs to the client
 * thread alone. A call moves incoming -> (waiting ->) active -> finished,
 * and back to waiting for a retry.
 */
#include "llm/llm_client.h"

#include "core/buf.h"
#include "core/mem.h"
#include "llm/llm_sse.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define SSE_EVENT_MAX ((size_t)1 << 20)
#define POLL_MAX_MS 1000
#define BACKOFF_BASE_MS 200
#define RETRY_AFTER_MAX_MS 10000
#define URL_MAX 2048

enum call_kind { CALL_CHAT, CALL_EMBED_ONE, CALL_EMBED_SYNC, CALL_MODELS };

/* A blocking caller waits on this. */
struct sync_wait {
	pthread_mutex_t mu;
	pthread_cond_t cond;
	int done;
	int rc;
	struct llm_error lerr;
	json_t *ids;
	float *vecs;
	size_t dim;
	size_t n_expected;
};

struct llm_call {
	struct llm_client *c;
	enum call_kind kind;
	char *url;
	char *body;                 /* request JSON; NULL for GET */
	int stream;
	uint64_t deadline;          /* monotonic ms: the whole call */
	uint64_t first_token_by;    /* monotonic ms; 0: no such limit */
	uint64_t due;               /* a retry starts at */
	unsigned attempts;
	CURL *easy;
	struct curl_slist *hdrs;
	int headers_seen;
	long status;
	int is_sse;
	uint64_t retry_after_ms;
	struct llm_sse sse;
	struct llm_completion comp;
	struct buf raw;             /* non-streamed body, or an error body */
	int got_token;
	int stream_rc;              /* error found while reading the body */
	struct llm_error stream_err;
	struct llm_chat_cb chat;
	llm_embed_done_fn embed_done;
	void *embed_ud;
	struct sync_wait *sync;
	struct llm_call *next;
};

struct llm_client {
	struct llm_config cfg;
	char *auth_header;          /* "Authorization: Bearer ..."; wiped at free */
	CURLM *multi;
	pthread_t thread;
	pthread_mutex_t mu;         /* incoming, stopping */
	struct llm_call *incoming;
	int stopping;
	struct llm_call *waiting;   /* client thread only */
	struct llm_call *active;    /* client thread only */
	struct llm_breaker breaker;
	atomic_uint_fast64_t calls, ok, retries, refused, in_flight;
	atomic_uint_fast64_t failed[LLM_ERR_KIND_COUNT];
	unsigned rand_state;
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

static void curl_init_once(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

uint64_t llm_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

void llm_config_release(struct llm_config *c)
{
	if (c->api_key)
		mem_wipe(c->api_key, strlen(c->api_key));
	free(c->base_url);
	free(c->model);
	free(c->api_key);
	free(c->api_key_env);
	memset(c, 0, sizeof(*c));
}

static void copy_config(struct llm_config *dst, const struct llm_config *src)
{
	*dst = *src;
	dst->base_url = xstrdup(src->base_url);
	dst->model = xstrdup(src->model);
	dst->api_key = xstrdup(src->api_key);
	dst->api_key_env = xstrdup(src->api_key_env);
	if (!dst->timeout_ms)
		dst->timeout_ms = LLM_DEFAULT_TIMEOUT_MS;
	if (!dst->connect_timeout_ms)
		dst->connect_timeout_ms = LLM_DEFAULT_CONNECT_TIMEOUT_MS;
	if (!dst->first_token_ms)
		dst->first_token_ms = LLM_DEFAULT_FIRST_TOKEN_MS;
	if (!dst->max_tokens)
		dst->max_tokens = LLM_DEFAULT_MAX_TOKENS;
	if (!dst->breaker_failures)
		dst->breaker_failures = LLM_DEFAULT_BREAKER_FAILURES;
	if (!dst->breaker_cooldown_ms)
		dst->breaker_cooldown_ms = LLM_DEFAULT_BREAKER_COOLDOWN_MS;
}

/* --- one call --- */

static struct llm_call *call_new(struct llm_client *c, enum call_kind kind, const char *path,
				 char *body, int stream, unsigned budget_ms)
{
	struct llm_call *k = xcalloc(1, sizeof(*k));
	size_t n = strlen(c->cfg.base_url) + strlen(path) + 1;

	k->c = c;
	k->kind = kind;
	k->url = xmalloc(n);
	snprintf(k->url, n, "%s%s", c->cfg.base_url, path);
	k->body = body;
	k->stream = stream;
	k->deadline = llm_now_ms() + (budget_ms ? budget_ms : c->cfg.timeout_ms);
	llm_sse_init(&k->sse, SSE_EVENT_MAX);
	llm_completion_init(&k->comp, LLM_CONTENT_MAX);
	buf_init(&k->raw, LLM_BODY_MAX);
	llm_error_clear(&k->stream_err);
	return k;
}

static void call_reset_transfer(struct llm_call *k)
{
	if (k->easy) {
		curl_multi_remove_handle(k->c->multi, k->easy);
		curl_easy_cleanup(k->easy);
		k->easy = NULL;
	}
	curl_slist_free_all(k->hdrs);
	k->hdrs = NULL;
	llm_sse_release(&k->sse);
	llm_sse_init(&k->sse, SSE_EVENT_MAX);
	llm_completion_release(&k->comp);
	llm_completion_init(&k->comp, LLM_CONTENT_MAX);
	buf_release(&k->raw);
	k->headers_seen = 0;
	k->status = 0;
	k->is_sse = 0;
	k->retry_after_ms = 0;
	k->stream_rc = 0;
	llm_error_clear(&k->stream_err);
}

static void call_free(struct llm_call *k)
{
	call_reset_transfer(k);
	llm_sse_release(&k->sse);
	llm_completion_release(&k->comp);
	buf_release(&k->raw);
	free(k->url);
	free(k->body);
	free(k);
}

static void deliver_delta(void *ud, const char *text, size_t len)
{
	struct llm_call *k = ud;

	if (!len)
		return;
	k->got_token = 1;
	k->first_token_by = 0;
	if (k->chat.on_delta)
		k->chat.on_delta(k->chat.ud, text, len);
}

static int on_sse_event(void *ud, const char *event, const char *data, size_t len)
{
	struct llm_call *k = ud;
	struct lk_err err = {0};
	int rc;

	rc = llm_completion_feed_event(&k->comp, event, data, len, deliver_delta, k, &k->stream_err,
				       &err);
	if (rc) {
		if (rc != LK_EREMOTE)
			llm_error_set(&k->stream_err, LLM_ERR_PROTOCOL, "%s", err.msg);
		k->stream_rc = rc;
	}
	return rc;
}

static void see_headers(struct llm_call *k)
{
	char *ct = NULL;

	if (k->headers_seen)
		return;
	k->headers_seen = 1;
	curl_easy_getinfo(k->easy, CURLINFO_RESPONSE_CODE, &k->status);
	curl_easy_getinfo(k->easy, CURLINFO_CONTENT_TYPE, &ct);
	k->is_sse = ct && strcasestr(ct, "text/event-stream") != NULL;
}

static size_t on_body(char *p, size_t size, size_t nmemb, void *ud)
{
	struct llm_call *k = ud;
	size_t n = size * nmemb;
	struct lk_err err = {0};

	see_headers(k);
	if (k->stream && k->status == 200 && k->is_sse) {
		int rc = llm_sse_feed(&k->sse, p, n, on_sse_event, k, &err);

		if (rc) {
			if (!k->stream_rc) {
				k->stream_rc = rc;
				llm_error_set(&k->stream_err, LLM_ERR_PROTOCOL, "%s", err.msg);
			}
			return 0;
		}
		return n;
	}
	if (buf_add(&k->raw, p, n)) {
		k->stream_rc = LK_ETOOBIG;
		llm_error_set(&k->stream_err, LLM_ERR_PROTOCOL, "response larger than %zu bytes",
			      LLM_BODY_MAX);
		return 0;
	}
	return n;
}

/* Reads Retry-After (seconds) for 429/503. */
static size_t on_header(char *p, size_t size, size_t nmemb, void *ud)
{
	struct llm_call *k = ud;
	size_t n = size * nmemb;

	if (n > 12 && !strncasecmp(p, "retry-after:", 12)) {
		long s = strtol(p + 12, NULL, 10);

		if (s > 0)
			k->retry_after_ms = (uint64_t)s * 1000u;
	}
	return n;
}

static int start_transfer(struct llm_call *k)
{
	struct llm_client *c = k->c;
	uint64_t now = llm_now_ms();
	long left = k->deadline > now ? (long)(k->deadline - now) : 1;
	CURL *e = curl_easy_init();

	if (!e)
		return LK_ENOMEM;
	k->easy = e;
	k->attempts++;
	k->hdrs = curl_slist_append(k->hdrs, "Content-Type: application/json");
	k->hdrs = curl_slist_append(k->hdrs, k->stream ? "Accept: text/event-stream"
						      : "Accept: application/json");
	if (c->auth_header)
		k->hdrs = curl_slist_append(k->hdrs, c->auth_header);
	curl_easy_setopt(e, CURLOPT_URL, k->url);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, k->hdrs);
	if (k->body) {
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, k->body);
		curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, (long)strlen(k->body));
	} else {
		curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
	}
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, k);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, k);
	curl_easy_setopt(e, CURLOPT_PRIVATE, k);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, (long)c->cfg.connect_timeout_ms);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, left);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(e, CURLOPT_TCP_NODELAY, 1L);
	curl_easy_setopt(e, CURLOPT_USERAGENT, "loket/0.1");
	if (k->kind == CALL_CHAT && k->stream)
		k->first_token_by = now + c->cfg.first_token_ms;
	if (curl_multi_add_handle(c->multi, e) != CURLM_OK)
		return LK_EIO;
	return 0;
}

/* --- finishing --- */

static int counts_against_backend(enum llm_error_kind kind)
{
	return llm_error_kind_retryable(kind) || kind == LLM_ERR_PROTOCOL;
}

static void notify_sync(struct sync_wait *w, int rc, const struct llm_error *lerr)
{
	pthread_mutex_lock(&w->mu);
	w->rc = rc;
	if (lerr)
		w->lerr = *lerr;
	w->done = 1;
	pthread_cond_signal(&w->cond);
	pthread_mutex_unlock(&w->mu);
}

/* Gives the outcome to whoever waits, then frees the call. */
static void finish(struct llm_call *k, int rc, struct llm_error *lerr)
{
	struct llm_client *c = k->c;
	struct lk_err err = {0};

	if (!rc) {
		/* parse what only a finished body can tell */
		if (k->kind == CALL_CHAT) {
			if (!k->is_sse || !k->stream)
				rc = llm_completion_parse_body(&k->comp, k->raw.ptr, k->raw.len, lerr, &err);
			if (!rc)
				rc = llm_completion_finish(&k->comp, &err);
			if (!rc && (!k->is_sse || !k->stream) && k->comp.content.len)
				deliver_delta(k, k->comp.content.ptr, k->comp.content.len);
		} else if (k->kind == CALL_MODELS) {
			rc = llm_parse_models(k->raw.ptr, k->raw.len, &k->sync->ids, lerr, &err);
		} else {
			size_t n = k->kind == CALL_EMBED_SYNC ? k->sync->n_expected : 1;
			float *vecs = NULL;
			size_t dim = 0;

			rc = llm_parse_embeddings(k->raw.ptr, k->raw.len, n, &vecs, &dim, lerr, &err);
			if (!rc && k->kind == CALL_EMBED_SYNC) {
				k->sync->vecs = vecs;
				k->sync->dim = dim;
				vecs = NULL;
			} else if (!rc) {
				k->embed_done(k->embed_ud, 0, vecs, dim, lerr);
				k->embed_done = NULL;
			}
			free(vecs);
		}
		if (rc && lerr->kind == LLM_ERR_NONE)
			llm_error_set(lerr, LLM_ERR_PROTOCOL, "%s", err.msg);
	}
	if (rc) {
		if (counts_against_backend(lerr->kind))
			llm_breaker_failure(&c->breaker, llm_now_ms());
		else
			llm_breaker_success(&c->breaker); /* it answered, we erred */
		atomic_fetch_add(&c->failed[lerr->kind < LLM_ERR_KIND_COUNT ? lerr->kind : LLM_ERR_SERVER], 1);
	} else {
		llm_breaker_success(&c->breaker);
		atomic_fetch_add(&c->ok, 1);
	}
	atomic_fetch_sub(&c->in_flight, 1);
	switch (k->kind) {
	case CALL_CHAT:
		k->chat.on_done(k->chat.ud, rc, &k->comp, lerr);
		break;
	case CALL_EMBED_ONE:
		if (k->embed_done)
			k->embed_done(k->embed_ud, rc, NULL, 0, lerr);
		break;
	default:
		notify_sync(k->sync, rc, lerr);
		break;
	}
	call_free(k);
}

/* Jittered exponential backoff, or the server's Retry-After. */
static uint64_t backoff_ms(struct llm_call *k)
{
	uint64_t base = (uint64_t)BACKOFF_BASE_MS << (k->attempts > 6 ? 6 : k->attempts - 1);
	uint64_t jitter = (uint64_t)rand_r(&k->c->rand_state) % (base + 1);

	if (k->retry_after_ms)
		return k->retry_after_ms > RETRY_AFTER_MAX_MS ? RETRY_AFTER_MAX_MS : k->retry_after_ms;
	return base / 2 + jitter;
}

/* Retry when the error allows, nothing was passed on yet, and the deadline
 * leaves room; else finish. */
static void retry_or_finish(struct llm_call *k, int rc, struct llm_error *lerr)
{
	uint64_t now = llm_now_ms(), wait;

	if (rc && lerr->retryable && !k->got_token && k->attempts <= k->c->cfg.retries) {
		wait = backoff_ms(k);
		if (now + wait + 50 < k->deadline) {
			call_reset_transfer(k);
			k->due = now + wait;
			k->next = k->c->waiting;
			k->c->waiting = k;
			atomic_fetch_add(&k->c->retries, 1);
			return;
		}
	}
	finish(k, rc, lerr);
}

static void unlink_active(struct llm_client *c, struct llm_call *k)
{
	for (struct llm_call **pp = &c->active; *pp; pp = &(*pp)->next) {
		if (*pp == k) {
			*pp = k->next;
			k->next = NULL;
			return;
		}
	}
}

/* A transfer ended (curl says how). */
static void on_transfer_done(struct llm_call *k, CURLcode res)
{
	struct llm_error lerr;
	int rc = 0;

	llm_error_clear(&lerr);
	see_headers(k);
	unlink_active(k->c, k);
	if (res == CURLE_OK && k->status >= 400) {
		llm_error_from_http(&lerr, k->status, k->raw.ptr, k->raw.len);
		rc = LK_EREMOTE;
	} else if (k->stream_rc) {
		lerr = k->stream_err;
		rc = k->stream_rc;
	} else if (res == CURLE_OPERATION_TIMEDOUT) {
		llm_error_set(&lerr, LLM_ERR_TIMEOUT, "no complete answer within the time budget");
		rc = LK_ETIMEOUT;
	} else if (res != CURLE_OK) {
		llm_error_set(&lerr, LLM_ERR_NETWORK, "%s", curl_easy_strerror(res));
		rc = LK_EIO;
	} else if (k->status < 200 || k->status >= 300) {
		llm_error_set(&lerr, LLM_ERR_PROTOCOL, "unexpected HTTP status %ld", k->status);
		rc = LK_EREMOTE;
	} else if (k->stream && k->is_sse) {
		llm_sse_finish(&k->sse);
		if (!k->comp.done && !k->comp.finish_reason[0]) {
			llm_error_set(&lerr, LLM_ERR_NETWORK, "the stream ended before the answer was complete");
			rc = LK_EIO;
		}
	}
	if (k->easy) {
		curl_multi_remove_handle(k->c->multi, k->easy);
		curl_easy_cleanup(k->easy);
		k->easy = NULL;
	}
	retry_or_finish(k, rc, &lerr);
}

/* --- the client thread --- */

static void fail_list(struct llm_call *list, const char *why)
{
	while (list) {
		struct llm_call *next = list->next;
		struct llm_error lerr;

		llm_error_set(&lerr, LLM_ERR_NETWORK, "%s", why);
		finish(list, LK_EUNAVAIL, &lerr);
		list = next;
	}
}

static void start_or_fail(struct llm_client *c, struct llm_call *k)
{
	if (start_transfer(k)) {
		struct llm_error lerr;

		llm_error_set(&lerr, LLM_ERR_NETWORK, "could not start the request");
		finish(k, LK_EIO, &lerr);
		return;
	}
	k->next = c->active;
	c->active = k;
}

/* Starts the retries that are due; returns ms until the next one. */
static uint64_t run_waiting(struct llm_client *c, uint64_t now)
{
	struct llm_call **pp = &c->waiting;
	uint64_t next = POLL_MAX_MS;

	while (*pp) {
		struct llm_call *k = *pp;

		if (k->due <= now) {
			*pp = k->next;
			start_or_fail(c, k);
		} else {
			if (k->due - now < next)
				next = k->due - now;
			pp = &k->next;
		}
	}
	return next;
}

/* Streams that gave no first token in time are given up. */
static uint64_t check_first_token(struct llm_client *c, uint64_t now, uint64_t next)
{
	struct llm_call **pp = &c->active;

	while (*pp) {
		struct llm_call *k = *pp;

		if (k->first_token_by && !k->got_token && now >= k->first_token_by) {
			struct llm_error lerr;

			*pp = k->next;
			k->next = NULL;
			curl_multi_remove_handle(c->multi, k->easy);
			curl_easy_cleanup(k->easy);
			k->easy = NULL;
			llm_error_set(&lerr, LLM_ERR_TIMEOUT, "no first token within %u ms",
				      c->cfg.first_token_ms);
			retry_or_finish(k, LK_ETIMEOUT, &lerr);
			continue;
		}
		if (k->first_token_by && k->first_token_by - now < next)
			next = k->first_token_by - now;
		pp = &k->next;
	}
	return next;
}

static void *client_main(void *arg)
{
	struct llm_client *c = arg;

	for (;;) {
		struct llm_call *in, *next;
		CURLMsg *msg;
		int running, left;
		uint64_t now, wait;

		pthread_mutex_lock(&c->mu);
		in = c->incoming;
		c->incoming = NULL;
		if (c->stopping) {
			pthread_mutex_unlock(&c->mu);
			fail_list(in, "the client is shutting down");
			break;
		}
		pthread_mutex_unlock(&c->mu);
		for (; in; in = next) {
			next = in->next;
			start_or_fail(c, in);
		}
		curl_multi_perform(c->multi, &running);
		while ((msg = curl_multi_info_read(c->multi, &left))) {
			struct llm_call *k = NULL;

			if (msg->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&k);
			on_transfer_done(k, msg->data.result);
		}
		now = llm_now_ms();
		wait = run_waiting(c, now);
		wait = check_first_token(c, now, wait);
		curl_multi_poll(c->multi, NULL, 0, (int)wait, NULL);
	}
	{
		/* stopping: end what is running and what waits */
		struct llm_call *list = c->active;

		c->active = NULL;
		fail_list(list, "the client is shutting down");
		list = c->waiting;
		c->waiting = NULL;
		fail_list(list, "the client is shutting down");
	}
	return NULL;
}

/* --- public API --- */

int llm_client_new(struct llm_client **out, const struct llm_config *cfg, struct lk_err *err)
{
	struct llm_client *c;
	size_t n;

	*out = NULL;
	if (!cfg->base_url || !cfg->model)
		return lk_err_set(err, LK_ECONFIG, "llm: base_url and model are required");
	if (strlen(cfg->base_url) > URL_MAX / 2)
		return lk_err_set(err, LK_ECONFIG, "llm: base_url is too long");
	pthread_once(&curl_once, curl_init_once);
	c = xcalloc(1, sizeof(*c));
	copy_config(&c->cfg, cfg);
	n = strlen(c->cfg.base_url);
	while (n && c->cfg.base_url[n - 1] == '/')
		c->cfg.base_url[--n] = '\0';
	if (c->cfg.api_key && *c->cfg.api_key) {
		n = strlen(c->cfg.api_key) + 32;
		c->auth_header = xmalloc(n);
		snprintf(c->auth_header, n, "Authorization: Bearer %s", c->cfg.api_key);
	}
	c->multi = curl_multi_init();
	c->rand_state = (unsigned)llm_now_ms() ^ (unsigned)(uintptr_t)c;
	pthread_mutex_init(&c->mu, NULL);
	llm_breaker_init(&c->breaker, c->cfg.breaker_failures, c->cfg.breaker_cooldown_ms);
	if (!c->multi || pthread_create(&c->thread, NULL, client_main, c)) {
		if (c->multi)
			curl_multi_cleanup(c->multi);
		llm_breaker_destroy(&c->breaker);
		pthread_mutex_destroy(&c->mu);
		llm_config_release(&c->cfg);
		free(c->auth_header);
		free(c);
		return lk_err_set(err, LK_EIO, "llm: cannot start the client");
	}
	*out = c;
	return 0;
}

void llm_client_free(struct llm_client *c)
{
	if (!c)
		return;
	pthread_mutex_lock(&c->mu);
	c->stopping = 1;
	pthread_mutex_unlock(&c->mu);
	curl_multi_wakeup(c->multi);
	pthread_join(c->thread, NULL);
	curl_multi_cleanup(c->multi);
	llm_breaker_destroy(&c->breaker);
	pthread_mutex_destroy(&c->mu);
	if (c->auth_header)
		mem_wipe(c->auth_header, strlen(c->auth_header));
	free(c->auth_header);
	llm_config_release(&c->cfg);
	free(c);
}

const struct llm_config *llm_client_config(const struct llm_client *c)
{
	return &c->cfg;
}

/* Queues a call for the client thread; LK_EUNAVAIL when the circuit is open. */
static int submit(struct llm_client *c, struct llm_call *k, struct llm_error *lerr,
		  struct lk_err *err)
{
	if (!llm_breaker_allow(&c->breaker, llm_now_ms())) {
		atomic_fetch_add(&c->refused, 1);
		if (lerr)
			llm_error_set(lerr, LLM_ERR_CIRCUIT_OPEN,
				      "the model failed repeatedly; not asking it for a while");
		call_free(k);
		return lk_err_set(err, LK_EUNAVAIL, "llm: circuit open");
	}
	atomic_fetch_add(&c->calls, 1);
	atomic_fetch_add(&c->in_flight, 1);
	pthread_mutex_lock(&c->mu);
	if (c->stopping) {
		pthread_mutex_unlock(&c->mu);
		atomic_fetch_sub(&c->in_flight, 1);
		call_free(k);
		return lk_err_set(err, LK_EUNAVAIL, "llm: the client is shutting down");
	}
	k->next = c->incoming;
	c->incoming = k;
	pthread_mutex_unlock(&c->mu);
	curl_multi_wakeup(c->multi);
	return 0;
}

int llm_chat_start(struct llm_client *c, json_t *body, int stream, unsigned budget_ms,
		   const struct llm_chat_cb *cb, struct llm_error *lerr, struct lk_err *err)
{
	struct llm_call *k;
	char *text;

	if (!json_object_get(body, "model"))
		json_object_set_new(body, "model", json_string(c->cfg.model));
	json_object_set_new(body, "stream", json_boolean(stream));
	if (stream && !json_object_get(body, "stream_options"))
		json_object_set_new(body, "stream_options", json_pack("{s:b}", "include_usage", 1));
	if (!json_object_get(body, "max_tokens"))
		json_object_set_new(body, "max_tokens", json_integer(c->cfg.max_tokens));
	if (!json_object_get(body, "temperature"))
		json_object_set_new(body, "temperature", json_real(c->cfg.temperature));
	text = json_dumps(body, JSON_COMPACT);
	json_decref(body);
	if (!text)
		return lk_err_set(err, LK_EINVAL, "llm: the request could not be encoded");
	k = call_new(c, CALL_CHAT, "/chat/completions", text, stream, budget_ms);
	k->chat = *cb;
	return submit(c, k, lerr, err);
}

json_t *llm_response_format_json_schema(const char *name, json_t *schema)
{
	return json_pack("{s:s, s:{s:s, s:o, s:b}}", "type", "json_schema", "json_schema", "name",
			 name, "schema", schema, "strict", 1);
}

static char *embeddings_body(struct llm_client *c, json_t *input)
{
	json_t *body = json_pack("{s:s, s:o, s:s}", "model", c->cfg.model, "input", input,
				 "encoding_format", "float");
	char *text = json_dumps(body, JSON_COMPACT);

	json_decref(body);
	return text;
}

int llm_embed_start(struct llm_client *c, const char *text, unsigned budget_ms,
		    llm_embed_done_fn on_done, void *ud, struct llm_error *lerr,
		    struct lk_err *err)
{
	struct llm_call *k;

	k = call_new(c, CALL_EMBED_ONE, "/embeddings", embeddings_body(c, json_string(text)), 0,
		     budget_ms);
	k->embed_done = on_done;
	k->embed_ud = ud;
	return submit(c, k, lerr, err);
}

/* Runs a call and waits for it. */
static int run_sync(struct llm_client *c, struct llm_call *k, struct sync_wait *w,
		    struct llm_error *lerr, struct lk_err *err)
{
	int rc;

	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cond, NULL);
	llm_error_clear(&w->lerr);
	k->sync = w;
	rc = submit(c, k, lerr, err);
	if (!rc) {
		pthread_mutex_lock(&w->mu);
		while (!w->done)
			pthread_cond_wait(&w->cond, &w->mu);
		pthread_mutex_unlock(&w->mu);
		rc = w->rc;
		if (lerr)
			*lerr = w->lerr;
		if (rc)
			lk_err_set(err, rc, "llm: %s", w->lerr.message);
	}
	pthread_mutex_destroy(&w->mu);
	pthread_cond_destroy(&w->cond);
	return rc;
}

int llm_embed(struct llm_client *c, const char *const *texts, size_t n, float **vecs,
	      size_t *dim, struct llm_error *lerr, struct lk_err *err)
{
	struct sync_wait w;
	json_t *input;
	struct llm_call *k;
	int rc;

	memset(&w, 0, sizeof(w));
	*vecs = NULL;
	*dim = 0;
	if (!n)
		return lk_err_set(err, LK_EINVAL, "llm: nothing to embed");
	input = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(input, json_string(texts[i]));
	w.n_expected = n;
	k = call_new(c, CALL_EMBED_SYNC, "/embeddings", embeddings_body(c, input), 0, 0);
	rc = run_sync(c, k, &w, lerr, err);
	if (!rc) {
		*vecs = w.vecs;
		*dim = w.dim;
	} else {
		free(w.vecs);
	}
	return rc;
}

int llm_models(struct llm_client *c, json_t **ids, struct llm_error *lerr, struct lk_err *err)
{
	struct sync_wait w;
	struct llm_call *k;
	int rc;

	memset(&w, 0, sizeof(w));
	*ids = NULL;
	k = call_new(c, CALL_MODELS, "/models", NULL, 0, 0);
	rc = run_sync(c, k, &w, lerr, err);
	if (!rc)
		*ids = w.ids;
	else
		json_decref(w.ids);
	return rc;
}

int llm_probe(struct llm_client *c, char *line, size_t size)
{
	struct llm_error lerr;
	struct lk_err err = {0};
	json_t *ids = NULL, *id;
	size_t i;
	int rc, found = 0;

	rc = llm_models(c, &ids, &lerr, &err);
	if (rc) {
		snprintf(line, size, "%s does not answer (%s: %s)", c->cfg.base_url,
			 llm_error_kind_name(lerr.kind), lerr.message);
		return rc;
	}
	json_array_foreach(ids, i, id) {
		if (json_is_string(id) && !strcmp(json_string_value(id), c->cfg.model))
			found = 1;
	}
	if (found)
		snprintf(line, size, "%s answers and serves model '%s'", c->cfg.base_url,
			 c->cfg.model);
	else
		snprintf(line, size, "%s answers but does not list model '%s' (%zu other model(s))",
			 c->cfg.base_url, c->cfg.model, json_array_size(ids));
	json_decref(ids);
	return found ? 0 : LK_ENOTFOUND;
}

void llm_client_stats(struct llm_client *c, struct llm_stats *out)
{
	memset(out, 0, sizeof(*out));
	out->calls = atomic_load(&c->calls);
	out->ok = atomic_load(&c->ok);
	out->retries = atomic_load(&c->retries);
	out->refused = atomic_load(&c->refused);
	out->in_flight = atomic_load(&c->in_flight);
	for (int i = 0; i < LLM_ERR_KIND_COUNT; i++)
		out->failed[i] = atomic_load(&c->failed[i]);
	out->breaker = llm_breaker_state(&c->breaker, llm_now_ms());
	pthread_mutex_lock(&c->breaker.mu);
	out->breaker_opened = c->breaker.opened;
	pthread_mutex_unlock(&c->breaker.mu);
}
