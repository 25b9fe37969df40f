/* conv.c - the conversation engine (see conv.h): ids and tokens, per
 * conversation ordering, validation of user input, storing every turn
 * before a reply is returned, and publishing stored turns as events.
 * Answers written by a language model run in conv_answer.c.
 */
#include "conv/conv.h"

#include "conv/conv_int.h"
#include "conv/reply.h"
#include "core/buf.h"
#include "core/clock.h"
#include "core/mem.h"
#include "core/token.h"
#include "core/workq.h"
#include "dialog/dialog.h"
#include "llm/llm_config.h"
#include "llm/llm_error.h"

#include <openssl/crypto.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <utf8proc.h>

#define TOKEN_BYTES 32
#define APPEND_RETRIES 5

_Static_assert(LLM_ERR_KIND_COUNT <= 16, "conv_stats.fallback_llm is too small");
_Static_assert(STORE_TOKEN_HASH_LEN == TOKEN_HASH_LEN, "the store keeps a token's SHA-256");

int conv_engine_new(struct conv_engine **out, const struct bot *bot, struct store *st,
		    struct kb_live *kb, struct lk_err *err)
{
	struct conv_engine *e = xcalloc(1, sizeof(*e));

	e->bot = bot;
	e->st = st;
	e->kb = kb;
	e->events = conv_events_new();
	e->work = workq_new(2);
	for (int i = 0; i < LOCK_STRIPES; i++)
		pthread_mutex_init(&e->stripes[i].mu, NULL);
	*out = e;
	return 0;
}

void conv_engine_free(struct conv_engine *e)
{
	if (!e)
		return;
	workq_free(e->work); /* finishes every answer still queued */
	for (int i = 0; i < LOCK_STRIPES; i++) {
		struct pending *p, *next;

		for (p = e->stripes[i].pending; p; p = next) {
			next = p->next;
			free(p);
		}
		pthread_mutex_destroy(&e->stripes[i].mu);
	}
	conv_events_free(e->events);
	free(e);
}

void conv_engine_use_llm(struct conv_engine *e, struct llm_client *chat,
			 struct llm_client *embed)
{
	e->chat = chat;
	e->embed = embed;
}

void conv_engine_use_flows(struct conv_engine *e, const struct conv_flows *ops)
{
	e->flows = ops;
}

void conv_engine_use_handoff(struct conv_engine *e, const struct conv_handoff *ops)
{
	e->handoff = ops;
}

void conv_engine_on_append(struct conv_engine *e, conv_append_fn fn, void *ud)
{
	e->on_append = fn;
	e->on_append_ud = ud;
}

void conv_engine_drain(struct conv_engine *e)
{
	if (e)
		workq_drain(e->work);
}

struct conv_events *conv_engine_events(struct conv_engine *e)
{
	return e->events;
}

/* The same conversation always maps to the same stripe (FNV-1a). */
struct stripe *conv_stripe(struct conv_engine *e, const char *id)
{
	uint32_t h = 2166136261u;

	for (const unsigned char *p = (const unsigned char *)id; *p; p++)
		h = (h ^ *p) * 16777619u;
	return &e->stripes[h % LOCK_STRIPES];
}

int conv_pending_has(struct stripe *s, const char *id)
{
	for (struct pending *p = s->pending; p; p = p->next)
		if (!strcmp(p->id, id))
			return 1;
	return 0;
}

void conv_pending_add(struct stripe *s, const char *id)
{
	struct pending *p = xcalloc(1, sizeof(*p));

	snprintf(p->id, sizeof(p->id), "%s", id);
	p->next = s->pending;
	s->pending = p;
}

void conv_pending_remove(struct stripe *s, const char *id)
{
	for (struct pending **pp = &s->pending; *pp; pp = &(*pp)->next) {
		if (!strcmp((*pp)->id, id)) {
			struct pending *p = *pp;

			*pp = p->next;
			free(p);
			return;
		}
	}
}

static int valid_id(const char *id)
{
	size_t n = strlen(id);

	if (n != STORE_ID_LEN)
		return 0;
	for (size_t i = 0; i < n; i++) {
		if (!((id[i] >= '0' && id[i] <= '9') || (id[i] >= 'a' && id[i] <= 'f')))
			return 0;
	}
	return 1;
}

/* Loads the conversation and checks the token in constant time. */
static int open_conv(struct conv_engine *e, const char *id, const char *token,
		     struct store_conv *c, struct lk_err *err)
{
	unsigned char hash[STORE_TOKEN_HASH_LEN];
	int rc;

	if (!valid_id(id))
		return lk_err_set(err, LK_ENOTFOUND, "conversation not found");
	rc = store_conv_get(e->st, id, c, err);
	if (rc)
		return rc;
	if (!token)
		return lk_err_set(err, LK_EAUTH, "this conversation needs its token");
	token_sha256(token, hash);
	if (CRYPTO_memcmp(hash, c->token_hash, sizeof(hash)))
		return lk_err_set(err, LK_EAUTH, "wrong token for this conversation");
	return 0;
}

static void iso_time(int64_t t, char out[32])
{
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* A message as the API shows it, from a stored turn. Caller owns it. The
 * stored data holds every field of the message but role, kind and text
 * (sources, quick replies, "generated", a flow's step and input). */
static json_t *turn_to_json(const struct store_turn *t)
{
	json_t *data = t->data ? json_loads(t->data, 0, NULL) : NULL;
	json_t *msg, *v;
	const char *k;
	char when[32];

	iso_time(t->created_at, when);
	msg = json_pack("{s:I, s:s, s:s, s:s, s:s}", "seq", (json_int_t)t->seq, "role", t->role,
			"kind", t->kind, "text", t->text ? t->text : "", "created_at", when);
	json_object_foreach(data, k, v) {
		if (!json_object_get(msg, k))
			json_object_set(msg, k, v);
	}
	if (!json_is_array(json_object_get(msg, "sources")))
		json_object_set_new(msg, "sources", json_array());
	if (!json_is_array(json_object_get(msg, "quick_replies")))
		json_object_set_new(msg, "quick_replies", json_array());
	json_decref(data);
	return msg;
}

/* Sends stored turns to the conversation's listeners. */
static void publish_turns(struct conv_engine *e, const char *id, json_t *msgs)
{
	size_t i;
	json_t *m;

	json_array_foreach(msgs, i, m) {
		char *text = json_dumps(m, JSON_COMPACT);

		if (text)
			conv_events_publish(e->events, id, "message",
					    (int64_t)json_integer_value(json_object_get(m, "seq")), text);
		free(text);
	}
}

/* Fills stored turns from bot messages (role, kind, text, data). */
static void turns_from_messages(json_t *msgs, struct store_turn *turns)
{
	size_t i;
	json_t *m;

	json_array_foreach(msgs, i, m) {
		json_t *data = json_deep_copy(m);
		const char *role = json_string_value(json_object_get(m, "role"));

		json_object_del(data, "role");
		json_object_del(data, "kind");
		json_object_del(data, "text");
		json_object_del(data, "seq");
		json_object_del(data, "created_at");
		memset(&turns[i], 0, sizeof(turns[i]));
		snprintf(turns[i].role, sizeof(turns[i].role), "%s",
			 role && !strcmp(role, "agent") ? "agent" : "bot");
		snprintf(turns[i].kind, sizeof(turns[i].kind), "%s",
			 json_string_value(json_object_get(m, "kind")));
		turns[i].text = xstrdup(json_string_value(json_object_get(m, "text")));
		turns[i].data = json_dumps(data, JSON_COMPACT);
		json_decref(data);
	}
}

static int store_exchange_state(struct conv_engine *e, const char *id, struct store_turn *user,
				json_t *msgs, int64_t expect_seq, const char *state, json_t **out,
				struct lk_err *err);

/* Stores user turn (may be NULL) + bot messages; returns the bot messages
 * as the API shows them in *out (new reference). */

static int store_exchange(struct conv_engine *e, const char *id, struct store_turn *user,
			  json_t *msgs, int64_t expect_seq, json_t **out, struct lk_err *err)
{
	return store_exchange_state(e, id, user, msgs, expect_seq, NULL, out, err);
}

/* Stores user turn (may be NULL) + bot messages, and the dialog state
 * (NULL: unchanged) in one transaction; returns the bot messages as the
 * API shows them in *out (new reference). */
static int store_exchange_state(struct conv_engine *e, const char *id, struct store_turn *user,
				json_t *msgs, int64_t expect_seq, const char *state, json_t **out,
				struct lk_err *err)
{
	size_t nbot = json_array_size(msgs), n = nbot + (user ? 1 : 0);
	struct store_turn *turns = xcalloc(n, sizeof(*turns));
	int rc;

	if (user)
		turns[0] = *user;
	turns_from_messages(msgs, turns + (user ? 1 : 0));
	turns[0].seq = expect_seq;
	rc = store_turns_append_state(e->st, id, turns, n, state, err);
	if (!rc) {
		json_t *all = json_array();

		for (size_t i = 0; i < n; i++)
			json_array_append_new(all, turn_to_json(&turns[i]));
		publish_turns(e, id, all);
		*out = json_array();
		for (size_t i = user ? 1 : 0; i < n; i++)
			json_array_append(*out, json_array_get(all, i));
		json_decref(all);
	}
	if (user) {
		/* the caller owns the user turn's strings */
		turns[0].text = NULL;
		turns[0].data = NULL;
	}
	for (size_t i = 0; i < n; i++)
		store_turn_release(&turns[i]);
	free(turns);
	return rc;
}

static int valid_channel(const char *s)
{
	size_t n = strlen(s);

	if (!n || n > 15)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!(s[i] >= 'a' && s[i] <= 'z'))
			return 0;
	return 1;
}

int conv_create(struct conv_engine *e, const char *lang, const char *channel, json_t **out,
		struct lk_err *err)
{
	struct kb_snap *snap = NULL;
	struct store_conv c;
	char token[2 * TOKEN_BYTES + 1];
	json_t *msgs = NULL, *stored = NULL;
	struct reply_ctx rctx;
	int rc;

	*out = NULL;
	if (!lang)
		lang = bot_default_lang(e->bot);
	if (!bot_has_lang(e->bot, lang))
		return lk_err_setr(err, LK_EINVAL, "unsupported_lang", "language '%.16s' is not offered",
				   lang);
	if (!channel)
		channel = "api";
	if (!valid_channel(channel))
		return lk_err_setr(err, LK_EINVAL, "invalid_channel",
				   "channel must be a short lowercase word such as 'web'");
	memset(&c, 0, sizeof(c));
	if ((rc = token_random_hex(c.id, STORE_ID_LEN / 2, err)) ||
	    (rc = token_random_hex(token, TOKEN_BYTES, err)))
		return rc;
	snprintf(c.bot, sizeof(c.bot), "%s", bot_id(e->bot));
	snprintf(c.lang, sizeof(c.lang), "%s", lang);
	snprintf(c.channel, sizeof(c.channel), "%s", channel);
	token_sha256(token, c.token_hash);
	c.created_at = (int64_t)time(NULL);
	rc = store_conv_create(e->st, &c, err);
	if (rc)
		goto out;
	snap = kb_live_acquire(e->kb);
	rctx = (struct reply_ctx){e->bot, kb_snap_index(snap), c.lang, 1};
	msgs = json_array();
	if ((rc = reply_welcome(&rctx, msgs, err)))
		goto out;
	if ((rc = store_exchange(e, c.id, NULL, msgs, 1, &stored, err)))
		goto out;
	*out = json_pack("{s:s, s:s, s:s, s:o}", "id", c.id, "token", token, "lang", c.lang,
			 "messages", stored);
out:
	kb_snap_release(snap);
	json_decref(msgs);
	mem_wipe(token, sizeof(token));
	return rc;
}

int conv_text_check(const char *text, size_t max, struct lk_err *err)
{
	size_t n;
	int only_space = 1;

	if (!text)
		text = "";
	n = strlen(text);
	if (n > max)
		return lk_err_setr(err, LK_EINVAL, "text_too_long",
				   "the message is longer than %zu bytes", max);
	if (utf8proc_decompose((const utf8proc_uint8_t *)text, (utf8proc_ssize_t)n, NULL, 0, 0) < 0)
		return lk_err_setr(err, LK_EINVAL, "invalid_utf8", "the message is not valid UTF-8");
	for (size_t i = 0; i < n && only_space; i++)
		only_space = text[i] == ' ' || text[i] == '\t' || text[i] == '\n' || text[i] == '\r';
	if (only_space)
		return lk_err_setr(err, LK_EINVAL, "empty_text", "the message is empty");
	return 0;
}

static int check_action(const char *action, struct lk_err *err)
{
	size_t n = strlen(action);

	if (!n || n > CONV_ACTION_MAX)
		return lk_err_setr(err, LK_EINVAL, "unknown_action", "unknown action");
	if (utf8proc_decompose((const utf8proc_uint8_t *)action, (utf8proc_ssize_t)n, NULL, 0, 0) < 0)
		return lk_err_setr(err, LK_EINVAL, "invalid_utf8", "the action is not valid UTF-8");
	return 0;
}

/* The last earlier turns, as the model should see them. */
static json_t *load_history(struct conv_engine *e, const char *id, size_t max)
{
	struct store_turns turns;
	json_t *h = json_array();
	size_t start, kept = 0;

	if (!max || store_turns_list(e->st, id, &turns, NULL))
		return h;
	start = turns.n;
	while (start > 0 && kept < max) {
		const struct store_turn *t = &turns.v[start - 1];

		if (strcmp(t->kind, "system") && strcmp(t->kind, "action"))
			kept++;
		start--;
	}
	for (size_t i = start; i < turns.n; i++) {
		const struct store_turn *t = &turns.v[i];

		if (!strcmp(t->kind, "system") || !strcmp(t->kind, "action") || !t->text)
			continue;
		json_array_append_new(h, json_pack("{s:s, s:s}", "role",
						   strcmp(t->role, "user") ? "assistant" : "user",
						   "text", t->text));
	}
	store_turns_release(&turns);
	return h;
}

/* Should a model (or embeddings) improve this reply? */
static int wants_answer_job(const struct conv_engine *e, const struct reply_plan *plan)
{
	if (!plan->question)
		return 0;
	if (e->embed)
		return 1; /* a paraphrase may be found even when words are not */
	return e->chat && plan->res.n &&
	       plan->res.confidence >= bot_suggest_threshold(e->bot);
}

struct post_args {
	const char *id, *token, *text, *action;
	conv_done_fn done;
	void *ud;
	int trusted; /* the channel authenticated the sender: no token */
};

/* Gives the message to the flow engine with the stored state. Returns
 * DIALOG_HANDLED (msgs filled, *new_state set), DIALOG_PASS, or an error. */
static int dialog_turn(struct conv_engine *e, const struct reply_ctx *rctx,
		       const struct post_args *a, const struct store_conv *c, json_t *msgs,
		       char **new_state, struct lk_err *err)
{
	struct dialog_turn t;
	char *state = NULL;
	int rc;

	*new_state = NULL;
	if ((rc = store_conv_state_get(e->st, a->id, &state, err)))
		return rc;
	memset(&t, 0, sizeof(t));
	t.reply = rctx;
	t.st = e->st;
	t.conv_id = c->id;
	t.text = a->text;
	t.action = a->action;
	t.state = state;
	t.now = lk_now();
	t.msgs = msgs;
	rc = e->flows->handle(e->flows->impl, &t, err);
	free(state);
	if (rc < 0) {
		free(t.new_state);
		return rc;
	}
	if (rc == DIALOG_HANDLED)
		atomic_fetch_add(&e->flow_turns, 1);
	*new_state = t.new_state;
	return rc;
}

/* One attempt at handling a message; LK_EBUSY means "another writer came
 * first", which only happens with several server instances. Caller holds
 * the stripe lock. */
static int post_once(struct conv_engine *e, struct stripe *stripe, const struct post_args *a,
		     struct answer_req *req, json_t **out, struct lk_err *err)
{
	struct reply_feedback fb = {0};
	struct reply_plan plan;
	struct kb_snap *snap = NULL;
	struct store_turn user;
	struct store_conv c;
	struct reply_ctx rctx;
	struct conv_handoff_turn ht = {0};
	json_t *msgs = json_array(), *stored = NULL;
	char *dstate = NULL;
	int rc, job;

	memset(&plan, 0, sizeof(plan));
	if (a->trusted) {
		rc = valid_id(a->id) ? store_conv_get(e->st, a->id, &c, err)
				     : lk_err_set(err, LK_ENOTFOUND, "conversation not found");
	} else {
		rc = open_conv(e, a->id, a->token, &c, err);
	}
	if (rc)
		goto out;
	if (conv_pending_has(stripe, a->id)) {
		rc = lk_err_setr(err, LK_EEXIST, "reply_pending",
				 "the answer to the previous message is still being written");
		goto out;
	}
	snap = kb_live_acquire(e->kb);
	rctx = (struct reply_ctx){e->bot, kb_snap_index(snap), c.lang, c.turns + 2};
	ht = (struct conv_handoff_turn){&c, a->text, a->action, msgs, NULL};
	if (e->handoff) {
		rc = e->handoff->before(e->handoff->impl, &ht, err);
		if (rc < 0)
			goto out;
		if (rc == CONV_HANDOFF_TAKEN) {
			rc = 0;
			goto store;
		}
		rc = 0;
	}
	if (e->flows) {
		rc = dialog_turn(e, &rctx, a, &c, msgs, &dstate, err);
		if (rc < 0)
			goto out;
		if (rc == DIALOG_HANDLED) {
			rc = 0;
			goto decided;
		}
		rc = 0;
	}
	if (a->text)
		rc = reply_to_text(&rctx, a->text, msgs, &plan, err);
	else
		rc = reply_to_action(&rctx, a->action, msgs, &fb, err);
	if (rc)
		goto out;
	if (fb.present && (fb.seq > c.turns))
		fb.present = 0; /* feedback on a turn that does not exist is ignored */
	job = a->text && a->done && wants_answer_job(e, &plan);
	memset(&user, 0, sizeof(user));
	snprintf(user.role, sizeof(user.role), "user");
	snprintf(user.kind, sizeof(user.kind), "%s", a->text ? "text" : "action");
	user.text = (char *)(a->text ? a->text : a->action);
	if (job) {
		const struct llm_config *lc = bot_llm(e->bot);
		json_t *none = json_array();

		rc = store_exchange(e, a->id, &user, none, c.turns + 1, &stored, err);
		json_decref(none);
		if (rc)
			goto out;
		json_decref(stored);
		memset(req, 0, sizeof(*req));
		snprintf(req->conv_id, sizeof(req->conv_id), "%s", a->id);
		snprintf(req->lang, sizeof(req->lang), "%s", c.lang);
		req->bot_seq = c.turns + 2;
		req->question = a->text;
		req->snap = snap;
		req->plan = plan;
		req->fallback = msgs;
		req->done = a->done;
		req->ud = a->ud;
		req->history = e->chat ? load_history(e, a->id, lc ? lc->history_turns : 0)
				       : json_array();
		/* the user's own turn is the question, not history */
		if (json_array_size(req->history))
			json_array_remove(req->history, json_array_size(req->history) - 1);
		conv_pending_add(stripe, a->id);
		atomic_fetch_add(&e->messages, 1);
		atomic_fetch_add(&e->pending, 1);
		*out = json_pack("{s:{s:I}, s:[], s:{s:s, s:I}}", "pending", "seq",
				 (json_int_t)req->bot_seq, "messages", "state", "lang", c.lang,
				 "turns", (json_int_t)(c.turns + 1));
		return CONV_PENDING; /* the caller starts the job after unlocking */
	}
decided:
	if (e->handoff && (rc = e->handoff->after(e->handoff->impl, &ht, err)) < 0)
		goto out;
	rc = 0;
store:
	memset(&user, 0, sizeof(user));
	snprintf(user.role, sizeof(user.role), "user");
	snprintf(user.kind, sizeof(user.kind), "%s", a->text ? "text" : "action");
	user.text = (char *)(a->text ? a->text : a->action);
	rc = store_exchange_state(e, a->id, &user, msgs, c.turns + 1, dstate, &stored, err);
	if (rc)
		goto out;
	if (fb.present)
		store_feedback_add(e->st, a->id, fb.seq, fb.helpful, NULL);
	atomic_fetch_add(&e->messages, 1);
	if (plan.question && plan.res.n && plan.res.confidence >= bot_answer_threshold(e->bot))
		atomic_fetch_add(&e->answers, 1);
	*out = json_pack("{s:o, s:{s:s, s:I}}", "messages", stored, "state", "lang", c.lang, "turns",
			 (json_int_t)(c.turns + 1 + (int64_t)json_array_size(msgs)));
	if (ht.handoff) {
		json_object_set_new(json_object_get(*out, "state"), "handoff", ht.handoff);
		ht.handoff = NULL;
	}
out:
	json_decref(ht.handoff);
	kb_snap_release(snap);
	json_decref(msgs);
	free(dstate);
	return rc;
}

static int post_common(struct conv_engine *e, const struct post_args *a, json_t **out,
		       struct lk_err *err)
{
	struct answer_req req;
	struct stripe *s;
	int rc;

	*out = NULL;
	if (!a->text == !a->action)
		return lk_err_setr(err, LK_EINVAL, "missing_text", "send either text or an action");
	rc = a->text ? conv_text_check(a->text, CONV_TEXT_MAX, err) : check_action(a->action, err);
	if (rc)
		return rc;
	s = conv_stripe(e, a->id);
	pthread_mutex_lock(&s->mu);
	for (int i = 0; i < APPEND_RETRIES; i++) {
		rc = post_once(e, s, a, &req, out, err);
		if (rc != LK_EBUSY)
			break;
	}
	pthread_mutex_unlock(&s->mu);
	if (rc == CONV_PENDING)
		conv_answer_start(e, &req);
	return rc;
}

int conv_post_async(struct conv_engine *e, const char *id, const char *token, const char *text,
		    const char *action, conv_done_fn done, void *ud, json_t **out,
		    struct lk_err *err)
{
	struct post_args a = {id, token, text, action, done, ud, 0};

	return post_common(e, &a, out, err);
}

/* conv_post() waits here for a pending answer. */
struct waiter {
	pthread_mutex_t mu;
	pthread_cond_t cond;
	int done, rc;
	json_t *out;
	struct lk_err err;
};

static void wake_waiter(void *ud, int rc, json_t *out, const struct lk_err *err)
{
	struct waiter *w = ud;

	pthread_mutex_lock(&w->mu);
	w->rc = rc;
	w->out = out;
	if (err)
		w->err = *err;
	w->done = 1;
	pthread_cond_signal(&w->cond);
	pthread_mutex_unlock(&w->mu);
}

static int post_and_wait(struct conv_engine *e, struct post_args *a, json_t **out,
			 struct lk_err *err);

int conv_post(struct conv_engine *e, const char *id, const char *token, const char *text,
	      const char *action, json_t **out, struct lk_err *err)
{
	struct post_args a = {id, token, text, action, NULL, NULL, 0};

	return post_and_wait(e, &a, out, err);
}

int conv_post_trusted(struct conv_engine *e, const char *id, const char *text, const char *action,
		      json_t **out, struct lk_err *err)
{
	struct post_args a = {id, NULL, text, action, NULL, NULL, 1};

	return post_and_wait(e, &a, out, err);
}

static int post_and_wait(struct conv_engine *e, struct post_args *a, json_t **out,
			 struct lk_err *err)
{
	struct waiter w;
	int rc;

	memset(&w, 0, sizeof(w));
	pthread_mutex_init(&w.mu, NULL);
	pthread_cond_init(&w.cond, NULL);
	a->done = wake_waiter;
	a->ud = &w;
	rc = post_common(e, a, out, err);
	if (rc == CONV_PENDING) {
		json_decref(*out);
		pthread_mutex_lock(&w.mu);
		while (!w.done)
			pthread_cond_wait(&w.cond, &w.mu);
		pthread_mutex_unlock(&w.mu);
		*out = w.out;
		rc = w.rc;
		if (rc && err)
			*err = w.err;
	}
	pthread_mutex_destroy(&w.mu);
	pthread_cond_destroy(&w.cond);
	return rc;
}

int conv_store_answer(struct conv_engine *e, const char *id, int64_t expect_seq, json_t *msgs,
		      json_t **out, struct lk_err *err)
{
	struct stripe *s = conv_stripe(e, id);
	int rc;

	pthread_mutex_lock(&s->mu);
	rc = store_exchange(e, id, NULL, msgs, expect_seq, out, err);
	if (rc == LK_EBUSY) /* another instance wrote meanwhile: take the next seq */
		rc = store_exchange(e, id, NULL, msgs, 0, out, err);
	conv_pending_remove(s, id);
	pthread_mutex_unlock(&s->mu);
	atomic_fetch_sub(&e->pending, 1);
	return rc;
}

/* Loads the conversation; trusted callers (who checked access themselves)
 * need no token. */
static int open_conv_as(struct conv_engine *e, const char *id, const char *token, int trusted,
			struct store_conv *c, struct lk_err *err)
{
	if (!trusted)
		return open_conv(e, id, token, c, err);
	if (!valid_id(id))
		return lk_err_set(err, LK_ENOTFOUND, "conversation not found");
	return store_conv_get(e->st, id, c, err);
}

static int subscribe(struct conv_engine *e, const char *id, const char *token, int trusted,
		     int64_t after, conv_events_notify_fn notify, void *ud, struct conv_sub **out,
		     struct lk_err *err)
{
	struct store_turns turns;
	struct store_conv c;
	struct conv_sub *sub;
	int rc;

	*out = NULL;
	rc = open_conv_as(e, id, token, trusted, &c, err);
	if (rc)
		return rc;
	/* subscribe first, so nothing stored from now on is missed */
	sub = conv_events_subscribe(e->events, id, notify, ud);
	if (after >= 0 && after < c.turns) {
		rc = store_turns_list(e->st, id, &turns, err);
		if (rc) {
			conv_sub_close(sub);
			return rc;
		}
		for (size_t i = 0; i < turns.n; i++) {
			json_t *m;
			char *text;

			if (turns.v[i].seq <= after)
				continue;
			m = turn_to_json(&turns.v[i]);
			text = json_dumps(m, JSON_COMPACT);
			if (text)
				conv_sub_push(sub, "message", turns.v[i].seq, text);
			free(text);
			json_decref(m);
		}
		store_turns_release(&turns);
	}
	conv_sub_replay_done(sub);
	*out = sub;
	return 0;
}

int conv_subscribe(struct conv_engine *e, const char *id, const char *token, int64_t after,
		   conv_events_notify_fn notify, void *ud, struct conv_sub **out,
		   struct lk_err *err)
{
	return subscribe(e, id, token, 0, after, notify, ud, out, err);
}

int conv_subscribe_trusted(struct conv_engine *e, const char *id, int64_t after,
			   conv_events_notify_fn notify, void *ud, struct conv_sub **out,
			   struct lk_err *err)
{
	return subscribe(e, id, NULL, 1, after, notify, ud, out, err);
}

void conv_engine_stats(struct conv_engine *e, struct conv_stats *out)
{
	memset(out, 0, sizeof(*out));
	out->messages = atomic_load(&e->messages);
	out->answers = atomic_load(&e->answers);
	out->generated = atomic_load(&e->generated);
	out->pending = atomic_load(&e->pending);
	for (int i = 0; i < 16; i++)
		out->fallback_llm[i] = atomic_load(&e->fallback_llm[i]);
	for (int i = 0; i < CONV_CHECK_COUNT; i++)
		out->fallback_check[i] = atomic_load(&e->fallback_check[i]);
	out->flow_turns = atomic_load(&e->flow_turns);
	out->first_token_ms_sum = atomic_load(&e->first_token_ms_sum);
	out->first_token_n = atomic_load(&e->first_token_n);
	out->subscribers = conv_events_count(e->events);
}

const char *conv_check_name(enum conv_fallback_check c)
{
	static const char *const names[CONV_CHECK_COUNT] = {
		"no_answer", "no_citation", "invalid_citation", "unsupported", "foreign_fact", "empty",
	};

	return c < CONV_CHECK_COUNT ? names[c] : "unknown";
}

static int transcript(struct conv_engine *e, const char *id, const char *token, int trusted,
		      json_t **out, struct lk_err *err)
{
	struct store_turns turns;
	struct store_conv c;
	json_t *msgs;
	char when[32];
	int rc;

	*out = NULL;
	rc = open_conv_as(e, id, token, trusted, &c, err);
	if (rc)
		return rc;
	rc = store_turns_list(e->st, id, &turns, err);
	if (rc)
		return rc;
	msgs = json_array();
	for (size_t i = 0; i < turns.n; i++)
		json_array_append_new(msgs, turn_to_json(&turns.v[i]));
	store_turns_release(&turns);
	iso_time(c.created_at, when);
	*out = json_pack("{s:s, s:s, s:s, s:s, s:o}", "id", c.id, "lang", c.lang, "channel", c.channel,
			 "created_at", when, "messages", msgs);
	if (e->flows) {
		char *state = NULL;
		json_t *flow;

		store_conv_state_get(e->st, id, &state, NULL);
		flow = e->flows->describe(state);
		free(state);
		json_object_set_new(*out, "flow", flow ? flow : json_null());
	}
	if (e->handoff) {
		json_t *h = e->handoff->describe(e->handoff->impl, id);

		json_object_set_new(*out, "handoff", h ? h : json_null());
	}
	return 0;
}

int conv_transcript(struct conv_engine *e, const char *id, const char *token, json_t **out,
		    struct lk_err *err)
{
	return transcript(e, id, token, 0, out, err);
}

int conv_transcript_trusted(struct conv_engine *e, const char *id, json_t **out,
			    struct lk_err *err)
{
	return transcript(e, id, NULL, 1, out, err);
}

int conv_append(struct conv_engine *e, const char *id, json_t *msgs, const char *state,
		json_t **out, struct lk_err *err)
{
	struct stripe *s = conv_stripe(e, id);
	struct store_conv c;
	json_t *stored = NULL;
	int rc;

	if (out)
		*out = NULL;
	if (!json_array_size(msgs))
		return lk_err_set(err, LK_EINVAL, "nothing to append");
	if (!valid_id(id))
		return lk_err_set(err, LK_ENOTFOUND, "conversation not found");
	pthread_mutex_lock(&s->mu);
	rc = store_conv_get(e->st, id, &c, err);
	for (int i = 0; !rc && i < APPEND_RETRIES; i++) {
		rc = store_exchange_state(e, id, NULL, msgs, 0, state, &stored, err);
		if (rc != LK_EBUSY)
			break;
	}
	pthread_mutex_unlock(&s->mu);
	if (rc)
		return rc;
	if (e->on_append)
		e->on_append(e->on_append_ud, &c, stored);
	if (out)
		*out = stored;
	else
		json_decref(stored);
	return 0;
}

int conv_authorize(struct conv_engine *e, const char *id, const char *token, struct lk_err *err)
{
	struct store_conv c;

	return open_conv(e, id, token, &c, err);
}

int conv_delete(struct conv_engine *e, const char *id, const char *token, struct lk_err *err)
{
	struct store_conv c;
	struct stripe *s = conv_stripe(e, id);
	int rc;

	pthread_mutex_lock(&s->mu);
	rc = open_conv(e, id, token, &c, err);
	if (!rc)
		rc = store_conv_delete(e->st, id, err);
	pthread_mutex_unlock(&s->mu);
	return rc;
}
