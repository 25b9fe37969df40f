/* conv.c - the conversation engine (see conv.h): ids and tokens, per
 * conversation ordering, validation of user input, and storing every turn
 * before a reply is returned.
 */
#include "conv/conv.h"

#include "conv/reply.h"
#include "core/buf.h"
#include "core/mem.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <utf8proc.h>

#define LOCK_STRIPES 256
#define TOKEN_BYTES 32
#define APPEND_RETRIES 5

struct conv_engine {
	const struct bot *bot;
	struct store *st;
	struct kb_live *kb;
	pthread_mutex_t stripes[LOCK_STRIPES];
};

int conv_engine_new(struct conv_engine **out, const struct bot *bot, struct store *st,
		    struct kb_live *kb, struct lk_err *err)
{
	struct conv_engine *e = xcalloc(1, sizeof(*e));

	e->bot = bot;
	e->st = st;
	e->kb = kb;
	for (int i = 0; i < LOCK_STRIPES; i++)
		pthread_mutex_init(&e->stripes[i], NULL);
	*out = e;
	return 0;
}

void conv_engine_free(struct conv_engine *e)
{
	if (!e)
		return;
	for (int i = 0; i < LOCK_STRIPES; i++)
		pthread_mutex_destroy(&e->stripes[i]);
	free(e);
}

/* The same conversation always maps to the same mutex (FNV-1a). */
static pthread_mutex_t *stripe_for(struct conv_engine *e, const char *id)
{
	uint32_t h = 2166136261u;

	for (const unsigned char *p = (const unsigned char *)id; *p; p++)
		h = (h ^ *p) * 16777619u;
	return &e->stripes[h % LOCK_STRIPES];
}

static void hex_encode(const unsigned char *in, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * n] = '\0';
}

static int random_hex(char *out, size_t bytes, struct lk_err *err)
{
	unsigned char raw[64];

	if (bytes > sizeof(raw) || RAND_bytes(raw, (int)bytes) != 1)
		return lk_err_set(err, LK_EIO, "no random bytes available");
	hex_encode(raw, bytes, out);
	mem_wipe(raw, sizeof(raw));
	return 0;
}

static void token_hash(const char *token, unsigned char hash[STORE_TOKEN_HASH_LEN])
{
	SHA256((const unsigned char *)token, strlen(token), hash);
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
	token_hash(token, hash);
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

/* A message as the API shows it, from a stored turn. Caller owns it. */
static json_t *turn_to_json(const struct store_turn *t)
{
	json_t *data = t->data ? json_loads(t->data, 0, NULL) : NULL;
	json_t *msg, *src, *qr;
	char when[32];

	iso_time(t->created_at, when);
	msg = json_pack("{s:I, s:s, s:s, s:s, s:s}", "seq", (json_int_t)t->seq, "role", t->role,
			"kind", t->kind, "text", t->text ? t->text : "", "created_at", when);
	src = json_is_object(data) ? json_object_get(data, "sources") : NULL;
	qr = json_is_object(data) ? json_object_get(data, "quick_replies") : NULL;
	json_object_set_new(msg, "sources", json_is_array(src) ? json_incref(src) : json_array());
	json_object_set_new(msg, "quick_replies", json_is_array(qr) ? json_incref(qr) : json_array());
	json_decref(data);
	return msg;
}

/* Fills stored turns from bot messages (role, kind, text, data). */
static void turns_from_messages(json_t *msgs, struct store_turn *turns)
{
	size_t i;
	json_t *m;

	json_array_foreach(msgs, i, m) {
		json_t *data = json_pack("{s:O, s:O}", "sources", json_object_get(m, "sources"),
					 "quick_replies", json_object_get(m, "quick_replies"));

		memset(&turns[i], 0, sizeof(turns[i]));
		snprintf(turns[i].role, sizeof(turns[i].role), "bot");
		snprintf(turns[i].kind, sizeof(turns[i].kind), "%s",
			 json_string_value(json_object_get(m, "kind")));
		turns[i].text = xstrdup(json_string_value(json_object_get(m, "text")));
		turns[i].data = json_dumps(data, JSON_COMPACT);
		json_decref(data);
	}
}

/* Stores user turn (may be NULL) + bot messages; returns the bot messages
 * as the API shows them in *out (new reference). */
static int store_exchange(struct conv_engine *e, const char *id, struct store_turn *user,
			  json_t *msgs, int64_t expect_seq, json_t **out, struct lk_err *err)
{
	size_t nbot = json_array_size(msgs), n = nbot + (user ? 1 : 0);
	struct store_turn *turns = xcalloc(n, sizeof(*turns));
	int rc;

	if (user)
		turns[0] = *user;
	turns_from_messages(msgs, turns + (user ? 1 : 0));
	turns[0].seq = expect_seq;
	rc = store_turns_append(e->st, id, turns, n, err);
	if (!rc) {
		*out = json_array();
		for (size_t i = user ? 1 : 0; i < n; i++)
			json_array_append_new(*out, turn_to_json(&turns[i]));
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
	if ((rc = random_hex(c.id, STORE_ID_LEN / 2, err)) || (rc = random_hex(token, TOKEN_BYTES, err)))
		return rc;
	snprintf(c.bot, sizeof(c.bot), "%s", bot_id(e->bot));
	snprintf(c.lang, sizeof(c.lang), "%s", lang);
	snprintf(c.channel, sizeof(c.channel), "%s", channel);
	token_hash(token, c.token_hash);
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

static int check_text(const char *text, struct lk_err *err)
{
	size_t n = strlen(text);
	int only_space = 1;

	if (n > CONV_TEXT_MAX)
		return lk_err_setr(err, LK_EINVAL, "text_too_long",
				   "the message is longer than %d bytes", CONV_TEXT_MAX);
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

/* One attempt at handling a message; LK_EBUSY means "another writer came
 * first", which only happens with several server instances. */
static int post_once(struct conv_engine *e, const char *id, const char *token, const char *text,
		     const char *action, json_t **out, struct lk_err *err)
{
	struct reply_feedback fb = {0};
	struct kb_snap *snap = NULL;
	struct store_turn user;
	struct store_conv c;
	struct reply_ctx rctx;
	json_t *msgs = json_array(), *stored = NULL;
	int rc;

	rc = open_conv(e, id, token, &c, err);
	if (rc)
		goto out;
	snap = kb_live_acquire(e->kb);
	rctx = (struct reply_ctx){e->bot, kb_snap_index(snap), c.lang, c.turns + 2};
	if (text)
		rc = reply_to_text(&rctx, text, msgs, err);
	else
		rc = reply_to_action(&rctx, action, msgs, &fb, err);
	if (rc)
		goto out;
	if (fb.present && (fb.seq > c.turns))
		fb.present = 0; /* feedback on a turn that does not exist is ignored */
	memset(&user, 0, sizeof(user));
	snprintf(user.role, sizeof(user.role), "user");
	snprintf(user.kind, sizeof(user.kind), "%s", text ? "text" : "action");
	user.text = (char *)(text ? text : action);
	rc = store_exchange(e, id, &user, msgs, c.turns + 1, &stored, err);
	if (rc)
		goto out;
	if (fb.present)
		store_feedback_add(e->st, id, fb.seq, fb.helpful, NULL);
	*out = json_pack("{s:o, s:{s:s, s:I}}", "messages", stored, "state", "lang", c.lang, "turns",
			 (json_int_t)(c.turns + 1 + (int64_t)json_array_size(msgs)));
out:
	kb_snap_release(snap);
	json_decref(msgs);
	return rc;
}

int conv_post(struct conv_engine *e, const char *id, const char *token, const char *text,
	      const char *action, json_t **out, struct lk_err *err)
{
	pthread_mutex_t *m;
	int rc;

	*out = NULL;
	if (!text == !action)
		return lk_err_setr(err, LK_EINVAL, "missing_text", "send either text or an action");
	rc = text ? check_text(text, err) : check_action(action, err);
	if (rc)
		return rc;
	m = stripe_for(e, id);
	pthread_mutex_lock(m);
	for (int i = 0; i < APPEND_RETRIES; i++) {
		rc = post_once(e, id, token, text, action, out, err);
		if (rc != LK_EBUSY)
			break;
	}
	pthread_mutex_unlock(m);
	return rc;
}

int conv_transcript(struct conv_engine *e, const char *id, const char *token, json_t **out,
		    struct lk_err *err)
{
	struct store_turns turns;
	struct store_conv c;
	json_t *msgs;
	char when[32];
	int rc;

	*out = NULL;
	rc = open_conv(e, id, token, &c, err);
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
	return 0;
}

int conv_delete(struct conv_engine *e, const char *id, const char *token, struct lk_err *err)
{
	struct store_conv c;
	pthread_mutex_t *m = stripe_for(e, id);
	int rc;

	pthread_mutex_lock(m);
	rc = open_conv(e, id, token, &c, err);
	if (!rc)
		rc = store_conv_delete(e->st, id, err);
	pthread_mutex_unlock(m);
	return rc;
}
