/* channels.c - the WhatsApp and Telegram runtime (see channels.h): webhook
 * checks, the inbox, per-user ordered workers, and sending with libcurl.
 */
#include "channels/channels.h"

#include "channels/channel.h"
#include "channels/telegram.h"
#include "channels/whatsapp.h"
#include "core/buf.h"
#include "core/clock.h"
#include "core/mem.h"
#include "core/workq.h"

#include <curl/curl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define LANES 4                 /* events of one user always take the same lane */
#define SEND_TRIES 3
#define SEND_TIMEOUT_MS 10000
#define RETRY_WAIT_MAX_S 10
#define RECOVER_PAGE 1000
#define QUEUE_MAX 20000         /* events waiting for a worker; beyond: 503, the platform retries */
#define REFUSED_LOG_EVERY 100   /* log the 1st refused webhook, then every 100th */
#define RESPONSE_MAX ((size_t)256 << 10)

enum { WA = 0, TG = 1 };

static const char *const channel_names[2] = {"whatsapp", "telegram"};

struct platform {
	int on;
	char *api_base;
	char *token;            /* access token / bot token (secret) */
	char *secret;           /* app secret / webhook secret token (secret) */
	char *verify_token;     /* WhatsApp webhook verification (secret) */
	char *phone_number_id;  /* WhatsApp */
};

struct channels {
	const struct bot *bot;
	struct store *st;
	struct conv_engine *engine;
	struct platform p[2];
	struct workq *lanes[LANES];
	CURL *handles[LANES];   /* one per lane (one thread each): connections are reused */
	atomic_uint_fast64_t received[2], duplicates[2], refused[2], sent[2], send_failed[2];
	atomic_uint_fast64_t outside_window, statuses[5];
	atomic_long queued;     /* events enqueued and not yet handled */
	atomic_uint_fast64_t refused_logged;
};

/* One event for a worker, or messages to push (an agent's reply). */
struct job {
	struct channels *c;
	int which;
	unsigned lane;
	struct store_inbox_event ev;
	json_t *push;           /* or messages to send to ev.user in ev.lang, whose last
				 * message was at ev.received_at; NULL for an event */
};

/* ------------------------------------------------------------------ */
/* configuration                                                       */

static int secret_from_env(const json_t *sec, const char *key, const char *section,
			   char **out, struct lk_err *err)
{
	const char *name = json_string_value(json_object_get(sec, key)), *val;

	if (!name)
		return lk_err_set(err, LK_ECONFIG, "bot.yaml: channels.%s.%s must name an environment variable",
				  section, key);
	val = getenv(name);
	if (!val || !*val)
		return lk_err_set(err, LK_ECONFIG,
				  "bot.yaml: channels.%s.%s names %s, but that environment variable is not set",
				  section, key, name);
	*out = xstrdup(val);
	return 0;
}

static char *config_or(const json_t *sec, const char *key, const char *dflt)
{
	const char *v = json_string_value(json_object_get(sec, key));

	return xstrdup(v && *v ? v : dflt);
}

static int load_platforms(struct channels *c, struct lk_err *err)
{
	const json_t *wa = bot_channel(c->bot, "whatsapp"), *tg = bot_channel(c->bot, "telegram");
	int rc;

	if (wa) {
		struct platform *p = &c->p[WA];

		p->on = 1;
		p->api_base = config_or(wa, "api_base", "https://graph.facebook.com/v21.0");
		p->phone_number_id = config_or(wa, "phone_number_id", "");
		if (!*p->phone_number_id)
			return lk_err_set(err, LK_ECONFIG, "bot.yaml: channels.whatsapp.phone_number_id is required");
		if ((rc = secret_from_env(wa, "access_token_env", "whatsapp", &p->token, err)) ||
		    (rc = secret_from_env(wa, "app_secret_env", "whatsapp", &p->secret, err)) ||
		    (rc = secret_from_env(wa, "verify_token_env", "whatsapp", &p->verify_token, err)))
			return rc;
	}
	if (tg) {
		struct platform *p = &c->p[TG];

		p->on = 1;
		p->api_base = config_or(tg, "api_base", "https://api.telegram.org");
		if ((rc = secret_from_env(tg, "bot_token_env", "telegram", &p->token, err)) ||
		    (rc = secret_from_env(tg, "secret_token_env", "telegram", &p->secret, err)))
			return rc;
	}
	return 0;
}

static void wipe_free(char *s)
{
	if (s)
		mem_wipe(s, strlen(s));
	free(s);
}

static void platform_release(struct platform *p)
{
	free(p->api_base);
	free(p->phone_number_id);
	wipe_free(p->token);
	wipe_free(p->secret);
	wipe_free(p->verify_token);
	memset(p, 0, sizeof(*p));
}

/* ------------------------------------------------------------------ */
/* sending                                                             */

static size_t collect(char *p, size_t size, size_t n, void *ud)
{
	struct buf *b = ud;

	return buf_add(b, p, size * n) ? 0 : size * n;
}

/* POSTs one JSON body; retries on 429 and 5xx (waiting what the platform
 * asks, at most RETRY_WAIT_MAX_S). 0 when accepted. */
static int post_json(struct channels *c, CURL *e, int which, const char *url, const char *auth,
		     json_t *body, struct lk_err *err)
{
	char *text = json_dumps(body, JSON_COMPACT);
	int rc = LK_EIO;

	for (int attempt = 0; text && attempt < SEND_TRIES; attempt++) {
		struct curl_slist *h = NULL;
		struct buf resp;
		unsigned retry = 0;
		long status = 0;
		CURLcode cc;

		if (!e)
			break;
		curl_easy_reset(e); /* keeps the connection cache */
		buf_init(&resp, RESPONSE_MAX);
		h = curl_slist_append(h, "Content-Type: application/json");
		if (auth)
			h = curl_slist_append(h, auth);
		curl_easy_setopt(e, CURLOPT_URL, url);
		curl_easy_setopt(e, CURLOPT_HTTPHEADER, h);
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, text);
		curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, collect);
		curl_easy_setopt(e, CURLOPT_WRITEDATA, &resp);
		curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)SEND_TIMEOUT_MS);
		curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
		curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
		cc = curl_easy_perform(e);
		curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
		curl_slist_free_all(h);
		if (cc != CURLE_OK) {
			rc = lk_err_set(err, LK_EIO, "%s: %s", channel_names[which], curl_easy_strerror(cc));
			retry = 1;
		} else if (which == WA) {
			char id[160];

			rc = wa_parse_send_response(status, resp.ptr, resp.len, id, sizeof(id), &retry, err);
		} else {
			rc = tg_parse_response(status, resp.ptr, resp.len, &retry, err);
		}
		buf_release(&resp);
		if (!rc)
			break;
		if (!retry && status && status != 429 && status < 500)
			break; /* refused for good */
		if (attempt + 1 < SEND_TRIES) {
			struct timespec ts = {retry > RETRY_WAIT_MAX_S ? RETRY_WAIT_MAX_S : retry ? retry : 1, 0};

			nanosleep(&ts, NULL);
		}
	}
	free(text);
	return rc;
}

static void message_label(struct channels *c, const char *lang, const char *key, struct buf *b)
{
	buf_reset(b);
	bot_message(c->bot, lang, key, b);
}

/* Sends the bot's messages to the user on their platform. */
static void send_messages(struct channels *c, CURL *e, int which, const char *user,
			  const char *lang, json_t *msgs, int64_t last_inbound)
{
	struct platform *p = &c->p[which];
	struct buf source, choose, menu, url, auth;
	size_t i, k;
	json_t *m, *body;

	if (which == WA && lk_now() - last_inbound > CHANNELS_WINDOW_S) {
		atomic_fetch_add(&c->outside_window, 1);
		return;
	}
	buf_init(&source, 1024);
	buf_init(&choose, 1024);
	buf_init(&menu, 1024);
	buf_init(&url, 4096);
	buf_init(&auth, 4096);
	message_label(c, lang, "answer_source", &source);
	message_label(c, lang, "channel_choose", &choose);
	message_label(c, lang, "channel_menu", &menu);
	if (which == WA) {
		buf_addf(&url, "%s/%s/messages", p->api_base, p->phone_number_id);
		buf_addf(&auth, "Authorization: Bearer %s", p->token);
	} else {
		buf_addf(&url, "%s/bot%s/sendMessage", p->api_base, p->token);
	}
	json_array_foreach(msgs, i, m) {
		json_t *bodies = which == WA ? wa_format_message(user, m, source.ptr, choose.ptr, menu.ptr)
					     : tg_format_message(user, m, source.ptr);

		json_array_foreach(bodies, k, body) {
			struct lk_err err = {0};

			if (post_json(c, e, which, url.ptr, which == WA ? auth.ptr : NULL, body, &err)) {
				atomic_fetch_add(&c->send_failed[which], 1);
				fprintf(stderr, "loket: %s: a reply was not delivered: %s\n",
					channel_names[which], err.msg);
			} else {
				atomic_fetch_add(&c->sent[which], 1);
			}
		}
		json_decref(bodies);
	}
	mem_wipe(auth.ptr, auth.len);
	mem_wipe(url.ptr, url.len);
	buf_release(&source);
	buf_release(&choose);
	buf_release(&menu);
	buf_release(&url);
	buf_release(&auth);
}

/* Telegram shows a spinner on a pressed button until this. */
static void answer_callback(struct channels *c, CURL *e, const char *callback_id)
{
	struct buf url;
	json_t *body;
	struct lk_err err = {0};

	if (!*callback_id)
		return;
	buf_init(&url, 4096);
	buf_addf(&url, "%s/bot%s/answerCallbackQuery", c->p[TG].api_base, c->p[TG].token);
	body = json_pack("{s:s}", "callback_query_id", callback_id);
	post_json(c, e, TG, url.ptr, NULL, body, &err);
	json_decref(body);
	mem_wipe(url.ptr, url.len);
	buf_release(&url);
}

/* ------------------------------------------------------------------ */
/* handling one event                                                  */

/* The user's conversation, made (with its AI notice sent first) when new. */
static int conversation_of(struct channels *c, CURL *e, int which,
			   const struct store_inbox_event *ev, char id[STORE_ID_LEN + 1],
			   struct lk_err *err)
{
	int64_t last = 0;
	json_t *out = NULL;
	struct store_conv conv;
	int rc;

	rc = store_link_get(c->st, bot_id(c->bot), channel_names[which], ev->user, id, &last, err);
	if (!rc && store_conv_get(c->st, id, &conv, NULL) == 0)
		return 0; /* (a conversation the user erased is started anew) */
	rc = conv_create(c->engine, ev->lang[0] && bot_has_lang(c->bot, ev->lang) ? ev->lang : NULL,
			 channel_names[which], &out, err);
	if (rc)
		return rc;
	snprintf(id, STORE_ID_LEN + 1, "%s", json_string_value(json_object_get(out, "id")));
	rc = store_link_put(c->st, bot_id(c->bot), channel_names[which], ev->user, id,
			    ev->received_at, err);
	if (!rc)
		send_messages(c, e, which, ev->user, json_string_value(json_object_get(out, "lang")),
			      json_object_get(out, "messages"), ev->received_at);
	json_decref(out);
	return rc;
}

static void handle_event(struct channels *c, CURL *e, int which,
			 const struct store_inbox_event *ev)
{
	char id[STORE_ID_LEN + 1];
	struct store_conv conv;
	struct lk_err err = {0};
	json_t *out = NULL;
	int rc;

	if (which == TG)
		answer_callback(c, e, ev->callback_id);
	rc = conversation_of(c, e, which, ev, id, &err);
	if (!rc)
		rc = store_link_put(c->st, bot_id(c->bot), channel_names[which], ev->user, id,
				    ev->received_at, &err);
	if (!rc && store_conv_get(c->st, id, &conv, &err) == 0) {
		if (!strcmp(ev->kind, "other")) {
			json_t *msgs = json_array();
			struct buf t;

			buf_init(&t, 4096);
			bot_message(c->bot, conv.lang, "channel_unsupported", &t);
			json_array_append_new(msgs, json_pack("{s:s, s:s, s:s, s:[], s:[]}", "role", "bot",
							      "kind", "fallback", "text", t.ptr, "sources",
							      "quick_replies"));
			buf_release(&t);
			send_messages(c, e, which, ev->user, conv.lang, msgs, ev->received_at);
			json_decref(msgs);
		} else {
			int action = !strcmp(ev->kind, "action");

			rc = conv_post_trusted(c->engine, id, action ? NULL : ev->text,
					       action ? ev->text : NULL, &out, &err);
			if (rc && action && err.reason && !strcmp(err.reason, "unknown_action"))
				rc = 0; /* an old button: nothing to answer */
			else if (!rc)
				send_messages(c, e, which, ev->user, conv.lang,
					      json_object_get(out, "messages"), ev->received_at);
			json_decref(out);
		}
	}
	if (rc)
		fprintf(stderr, "loket: %s: event not handled: %s\n", channel_names[which], err.msg);
	store_inbox_done(c->st, bot_id(c->bot), channel_names[which], ev->event_id, NULL);
}

static void run_job(void *arg)
{
	struct job *j = arg;

	if (j->push) {
		/* what nobody's message asked for: an agent's reply, a handoff notice */
		send_messages(j->c, j->c->handles[j->lane], j->which, j->ev.user, j->ev.lang, j->push,
			      j->ev.received_at);
		json_decref(j->push);
		atomic_fetch_sub(&j->c->queued, 1);
		free(j);
		return;
	}
	handle_event(j->c, j->c->handles[j->lane], j->which, &j->ev);
	atomic_fetch_sub(&j->c->queued, 1);
	free(j->ev.text);
	free(j);
}

static unsigned lane_of(const char *user)
{
	uint32_t h = 2166136261u;

	for (const unsigned char *p = (const unsigned char *)user; *p; p++)
		h = (h ^ *p) * 16777619u;
	return h % LANES;
}

static void enqueue(struct channels *c, int which, const struct store_inbox_event *ev)
{
	struct job *j = xcalloc(1, sizeof(*j));

	j->c = c;
	j->which = which;
	j->lane = lane_of(ev->user);
	j->ev = *ev;
	j->ev.text = xstrdup(ev->text);
	atomic_fetch_add(&c->queued, 1);
	workq_push(c->lanes[j->lane], run_job, j);
}

void channels_push(void *ud, const struct store_conv *conv, json_t *msgs)
{
	struct channels *c = ud;
	char chan[16], user[128];
	int64_t last = 0;
	struct job *j;
	int which = !strcmp(conv->channel, "whatsapp") ? WA
		    : !strcmp(conv->channel, "telegram") ? TG
							: -1;

	if (which < 0 || !c->p[which].on ||
	    store_link_by_conv(c->st, bot_id(c->bot), conv->id, chan, sizeof(chan), user,
			       sizeof(user), &last, NULL) ||
	    strlen(user) >= sizeof(j->ev.user))
		return; /* no user on that platform (any more) */
	j = xcalloc(1, sizeof(*j));
	j->c = c;
	j->which = which;
	j->lane = lane_of(user);
	memcpy(j->ev.user, user, strlen(user) + 1); /* fits: checked above */
	snprintf(j->ev.lang, sizeof(j->ev.lang), "%s", conv->lang);
	j->ev.received_at = last; /* the WhatsApp window counts from it */
	j->push = json_incref(msgs);
	atomic_fetch_add(&c->queued, 1);
	workq_push(c->lanes[j->lane], run_job, j);
}

/* Records the parsed events (dropping duplicates) and queues the new ones. */
static void accept_batch(struct channels *c, int which, struct channel_batch *b)
{
	static const char *const kinds[] = {"text", "action", "other"};

	for (size_t i = 0; i < b->n; i++) {
		const struct channel_event *e = &b->events[i];
		struct store_inbox_event ev;
		struct lk_err err = {0};
		int rc;

		memset(&ev, 0, sizeof(ev));
		snprintf(ev.channel, sizeof(ev.channel), "%s", channel_names[which]);
		snprintf(ev.event_id, sizeof(ev.event_id), "%s", e->id);
		snprintf(ev.user, sizeof(ev.user), "%s", e->user);
		snprintf(ev.kind, sizeof(ev.kind), "%s", kinds[e->kind <= CHANNEL_EVENT_OTHER ? e->kind : 2]);
		snprintf(ev.callback_id, sizeof(ev.callback_id), "%s", e->callback_id);
		snprintf(ev.lang, sizeof(ev.lang), "%s", e->lang);
		ev.text = e->text;
		ev.received_at = e->timestamp > 0 && e->timestamp <= lk_now() + 300 ? e->timestamp
										   : lk_now();
		rc = store_inbox_add(c->st, bot_id(c->bot), &ev, &err);
		if (rc == LK_EEXIST) {
			atomic_fetch_add(&c->duplicates[which], 1);
			continue;
		}
		if (rc) {
			fprintf(stderr, "loket: %s: event not recorded: %s\n", channel_names[which], err.msg);
			continue;
		}
		atomic_fetch_add(&c->received[which], 1);
		enqueue(c, which, &ev);
	}
}

/* ------------------------------------------------------------------ */
/* webhooks                                                            */

static void reply_error(struct channels_reply *r, int status, const char *code, const char *msg)
{
	r->status = status;
	r->json = json_pack("{s:{s:s, s:s}}", "error", "code", code, "message", msg);
	r->text = NULL;
}

/* Why a webhook was refused, without flooding the log when someone keeps
 * sending bad ones (all are counted in /metrics). */
static void log_refused(struct channels *c, const char *name, const char *why)
{
	uint64_t n = atomic_fetch_add(&c->refused_logged, 1);

	if (n % REFUSED_LOG_EVERY == 0)
		fprintf(stderr, "loket: %s: webhook refused: %s (%llu refused so far)\n", name, why,
			(unsigned long long)n + 1);
}

/* Too much waiting already: the platform should deliver again later. */
static int overloaded(struct channels *c, struct channels_reply *r)
{
	if (atomic_load(&c->queued) < QUEUE_MAX)
		return 0;
	reply_error(r, 503, "busy", "too many messages waiting; deliver again later");
	return 1;
}

void channels_whatsapp_verify(struct channels *c, const char *mode, const char *token,
			      const char *challenge, struct channels_reply *r)
{
	const char *ok;

	memset(r, 0, sizeof(*r));
	if (!c->p[WA].on) {
		reply_error(r, 404, "channel_off", "WhatsApp is not configured for this bot");
		return;
	}
	ok = wa_verify(mode, token, challenge, c->p[WA].verify_token);
	if (!ok) {
		fprintf(stderr, "loket: whatsapp: webhook verification refused (wrong mode or token)\n");
		reply_error(r, 403, "forbidden", "verification refused");
		return;
	}
	r->status = 200;
	r->text = ok;
}

void channels_whatsapp_webhook(struct channels *c, const char *signature, const void *body,
			       size_t len, struct channels_reply *r)
{
	struct channel_batch b;
	struct lk_err err = {0};

	memset(r, 0, sizeof(*r));
	if (!c->p[WA].on) {
		reply_error(r, 404, "channel_off", "WhatsApp is not configured for this bot");
		return;
	}
	if (wa_signature_check(c->p[WA].secret, signature, body, len, &err)) {
		atomic_fetch_add(&c->refused[WA], 1);
		log_refused(c, "whatsapp", err.msg);
		reply_error(r, 403, "forbidden", "bad or missing signature");
		return;
	}
	if (overloaded(c, r))
		return;
	channel_batch_init(&b);
	if (wa_parse_webhook(body, len, c->p[WA].phone_number_id, &b, &err)) {
		channel_batch_release(&b);
		reply_error(r, 400, "invalid_payload", err.msg);
		return;
	}
	for (int k = 0; k < CHANNEL_STATUS_COUNT && k < 5; k++)
		atomic_fetch_add(&c->statuses[k], b.statuses[k]);
	accept_batch(c, WA, &b);
	channel_batch_release(&b);
	r->status = 200;
	r->json = json_pack("{s:b}", "ok", 1);
}

void channels_telegram_webhook(struct channels *c, const char *secret, const void *body,
			       size_t len, struct channels_reply *r)
{
	struct channel_batch b;
	struct lk_err err = {0};

	memset(r, 0, sizeof(*r));
	if (!c->p[TG].on) {
		reply_error(r, 404, "channel_off", "Telegram is not configured for this bot");
		return;
	}
	if (tg_secret_check(c->p[TG].secret, secret, &err)) {
		atomic_fetch_add(&c->refused[TG], 1);
		log_refused(c, "telegram", err.msg);
		reply_error(r, 403, "forbidden", "bad or missing secret token");
		return;
	}
	if (overloaded(c, r))
		return;
	channel_batch_init(&b);
	if (tg_parse_update(body, len, &b, &err)) {
		channel_batch_release(&b);
		reply_error(r, 400, "invalid_payload", err.msg);
		return;
	}
	accept_batch(c, TG, &b);
	channel_batch_release(&b);
	r->status = 200;
	r->json = json_pack("{s:b}", "ok", 1);
}

/* ------------------------------------------------------------------ */
/* lifecycle                                                           */

/* Events acknowledged before a crash but never answered: all of them,
 * read a page at a time BEFORE any is queued (a worker marking one done
 * would shift the pages), then queued in order. */
static int recover(struct channels *c, struct lk_err *err)
{
	struct store_inbox_event *all = NULL;
	size_t total = 0;
	int rc = 0;

	for (;;) {
		struct store_inbox_event *v = NULL;
		size_t n = 0;

		rc = store_inbox_pending(c->st, bot_id(c->bot), &v, &n, RECOVER_PAGE, total, err);
		if (!rc && n) {
			all = xreallocarray(all, total + n, sizeof(*all));
			memcpy(all + total, v, n * sizeof(*v));
			total += n;
			free(v); /* the texts moved to `all` */
		} else {
			store_inbox_release(v, n);
		}
		if (rc || n < RECOVER_PAGE)
			break;
	}
	for (size_t i = 0; !rc && i < total; i++) {
		int which = !strcmp(all[i].channel, "telegram") ? TG : WA;

		if (c->p[which].on)
			enqueue(c, which, &all[i]);
	}
	if (total)
		fprintf(stderr, "loket: channels: %zu event(s) recovered after a restart\n", total);
	store_inbox_release(all, total);
	return rc;
}

int channels_new(struct channels **out, const struct bot *bot, struct store *st,
		 struct conv_engine *engine, struct lk_err *err)
{
	struct channels *c = xcalloc(1, sizeof(*c));
	int rc;

	*out = NULL;
	c->bot = bot;
	c->st = st;
	c->engine = engine;
	rc = load_platforms(c, err);
	if (!rc) {
		curl_global_init(CURL_GLOBAL_DEFAULT);
		for (int i = 0; i < LANES; i++) {
			c->handles[i] = curl_easy_init();
			c->lanes[i] = workq_new(1);
		}
		if (c->p[WA].on || c->p[TG].on)
			rc = recover(c, err);
	}
	if (rc) {
		channels_free(c);
		return rc;
	}
	*out = c;
	return 0;
}

void channels_drain(struct channels *c)
{
	for (int i = 0; c && i < LANES; i++)
		if (c->lanes[i])
			workq_drain(c->lanes[i]);
}

void channels_free(struct channels *c)
{
	if (!c)
		return;
	for (int i = 0; i < LANES; i++) {
		workq_free(c->lanes[i]);
		if (c->handles[i])
			curl_easy_cleanup(c->handles[i]);
	}
	platform_release(&c->p[WA]);
	platform_release(&c->p[TG]);
	free(c);
}

int channels_has(const struct channels *c, const char *name)
{
	for (int i = 0; c && i < 2; i++)
		if (!strcmp(channel_names[i], name))
			return c->p[i].on;
	return 0;
}

void channels_stats(struct channels *c, struct channels_stats *out)
{
	memset(out, 0, sizeof(*out));
	for (int i = 0; c && i < 2; i++) {
		out->received[i] = atomic_load(&c->received[i]);
		out->duplicates[i] = atomic_load(&c->duplicates[i]);
		out->refused[i] = atomic_load(&c->refused[i]);
		out->sent[i] = atomic_load(&c->sent[i]);
		out->send_failed[i] = atomic_load(&c->send_failed[i]);
	}
	if (!c)
		return;
	out->outside_window = atomic_load(&c->outside_window);
	for (int k = 0; k < 5; k++)
		out->statuses[k] = atomic_load(&c->statuses[k]);
}
