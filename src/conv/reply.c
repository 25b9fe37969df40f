/* reply.c - what the bot says: small talk, knowledge-base answers with their
 * source, suggestions at medium confidence, an honest "I don't know" with a
 * way to a person, and quick-reply actions (see reply.h).
 */
#include "conv/reply.h"

#include "core/buf.h"
#include "core/mem.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#define MAX_SUGGESTIONS 3
#define LABEL_MAX 90

static json_t *message_new(const char *kind, const char *text)
{
	return json_pack("{s:s, s:s, s:s, s:[], s:[]}", "role", "bot", "kind", kind, "text", text,
			 "sources", "quick_replies");
}

static int catalog_text(const struct reply_ctx *c, const char *key, struct buf *out)
{
	return bot_message(c->bot, c->lang, key, out);
}

static void add_quick_reply(const struct reply_ctx *c, json_t *msg, const char *label_key,
			    const char *payload)
{
	struct buf label;

	buf_init(&label, 1024);
	catalog_text(c, label_key, &label);
	json_array_append_new(json_object_get(msg, "quick_replies"),
			      json_pack("{s:s, s:s}", "label", label.ptr, "payload", payload));
	buf_release(&label);
}

static void add_handoff_button(const struct reply_ctx *c, json_t *msg)
{
	add_quick_reply(c, msg, "handoff_button", "handoff:request");
}

static int push_catalog_message(const struct reply_ctx *c, const char *kind, const char *key,
				json_t *msgs, json_t **made)
{
	struct buf text;
	json_t *msg;
	int rc;

	buf_init(&text, 8192);
	rc = catalog_text(c, key, &text);
	msg = message_new(kind, text.ptr);
	buf_release(&text);
	json_array_append_new(msgs, msg);
	if (made)
		*made = msg;
	return rc;
}

/* Cuts a label to at most LABEL_MAX bytes at a word boundary. */
static void short_label(const char *s, struct buf *out)
{
	size_t n = strlen(s), cut;

	if (n <= LABEL_MAX) {
		buf_adds(out, s);
		return;
	}
	cut = LABEL_MAX - 3;
	while (cut > 0 && s[cut] != ' ')
		cut--;
	if (cut == 0)
		for (cut = LABEL_MAX - 3; cut > 0 && ((unsigned char)s[cut] & 0xC0) == 0x80; cut--)
			;
	buf_add(out, s, cut);
	buf_adds(out, "...");
}

static const char *entry_label(const struct kb_entry *e)
{
	if (e->question && *e->question)
		return e->question;
	if (e->title && *e->title)
		return e->title;
	return e->id;
}

static int push_answer(const struct reply_ctx *c, size_t doc, const char *query, json_t *msgs)
{
	const struct kb_entry *e = kb_index_entry(c->ix, doc);
	char payload[64];
	struct buf text;
	json_t *msg;
	int64_t seq = c->next_seq + (int64_t)json_array_size(msgs);

	buf_init(&text, 16384);
	kb_index_snippet(c->ix, doc, query ? query : "", bot_snippet_chars(c->bot), &text);
	msg = message_new("answer", text.ptr);
	buf_release(&text);
	json_object_set_new(msg, "kb_id", json_string(e->id));
	json_array_append_new(json_object_get(msg, "sources"),
			      json_pack("{s:s, s:s?, s:s}", "title", entry_label(e), "url", e->url,
					"kb_id", e->id));
	snprintf(payload, sizeof(payload), "feedback:helped:%" PRId64, seq);
	add_quick_reply(c, msg, "feedback_helped", payload);
	snprintf(payload, sizeof(payload), "feedback:not_helped:%" PRId64, seq);
	add_quick_reply(c, msg, "feedback_not_helped", payload);
	json_array_append_new(msgs, msg);
	return 0;
}

static int push_suggestions(const struct reply_ctx *c, const struct kb_result *res, json_t *msgs)
{
	json_t *msg;
	size_t shown = 0;

	push_catalog_message(c, "suggestions", "suggestions_intro", msgs, &msg);
	for (size_t i = 0; i < res->n && shown < MAX_SUGGESTIONS; i++) {
		const struct kb_entry *e = kb_index_entry(c->ix, res->hits[i].doc);
		struct buf label, payload;

		buf_init(&label, 1024);
		buf_init(&payload, 1024);
		short_label(entry_label(e), &label);
		buf_addf(&payload, "kb:%s", e->id);
		json_array_append_new(json_object_get(msg, "quick_replies"),
				      json_pack("{s:s, s:s}", "label", label.ptr, "payload", payload.ptr));
		buf_release(&label);
		buf_release(&payload);
		shown++;
	}
	add_handoff_button(c, msg);
	return 0;
}

static int push_fallback(const struct reply_ctx *c, json_t *msgs)
{
	json_t *msg;
	int rc = push_catalog_message(c, "fallback", "fallback", msgs, &msg);

	add_handoff_button(c, msg);
	return rc;
}

int reply_from_result(const struct reply_ctx *c, const struct kb_result *res, const char *query,
		      json_t *msgs)
{
	if (res->n && res->confidence >= bot_answer_threshold(c->bot))
		return push_answer(c, res->hits[0].doc, query, msgs);
	if (res->n && res->confidence >= bot_suggest_threshold(c->bot))
		return push_suggestions(c, res, msgs);
	return push_fallback(c, msgs);
}

static int answer_question(const struct reply_ctx *c, const char *text, json_t *msgs,
			   struct reply_plan *plan)
{
	struct kb_result res;

	memset(&res, 0, sizeof(res));
	kb_index_search(c->ix, text, c->lang, KB_MAX_HITS, &res);
	if (plan) {
		plan->question = 1;
		plan->res = res;
	}
	return reply_from_result(c, &res, text, msgs);
}

int reply_generated(const struct reply_ctx *c, const char *text, const size_t *docs,
		    const unsigned *numbers, size_t n, json_t *msgs)
{
	json_t *msg = message_new("answer", text);
	int64_t seq = c->next_seq + (int64_t)json_array_size(msgs);
	char payload[64];

	json_object_set_new(msg, "generated", json_true());
	for (size_t i = 0; i < n; i++) {
		const struct kb_entry *e = kb_index_entry(c->ix, docs[i]);

		if (!e)
			continue;
		json_array_append_new(json_object_get(msg, "sources"),
				      json_pack("{s:s, s:s?, s:s, s:i}", "title", entry_label(e), "url",
						e->url, "kb_id", e->id, "n", (int)numbers[i]));
	}
	snprintf(payload, sizeof(payload), "feedback:helped:%" PRId64, seq);
	add_quick_reply(c, msg, "feedback_helped", payload);
	snprintf(payload, sizeof(payload), "feedback:not_helped:%" PRId64, seq);
	add_quick_reply(c, msg, "feedback_not_helped", payload);
	json_array_append_new(msgs, msg);
	return 0;
}

int reply_to_text(const struct reply_ctx *c, const char *text, json_t *msgs,
		  struct reply_plan *plan, struct lk_err *err)
{
	static const char *const smalltalk_key[BOT_INTENT_COUNT] = {
		[BOT_INTENT_GREETING] = "smalltalk_greeting", [BOT_INTENT_THANKS] = "smalltalk_thanks",
		[BOT_INTENT_GOODBYE] = "smalltalk_goodbye",   [BOT_INTENT_WHO] = "smalltalk_who",
	};
	enum bot_intent intent;
	struct buf rest;
	int rc;

	if (plan)
		memset(plan, 0, sizeof(*plan));
	buf_init(&rest, 8192);
	intent = bot_intent_match(c->bot, c->lang, text, &rest);
	if (intent == BOT_INTENT_HUMAN) {
		json_t *msg;

		rc = push_catalog_message(c, "handoff", "handoff_offer", msgs, &msg);
	} else if (intent != BOT_INTENT_NONE && !rest.len) {
		rc = push_catalog_message(c, "smalltalk", smalltalk_key[intent], msgs, NULL);
	} else {
		rc = answer_question(c, rest.len ? rest.ptr : text, msgs, plan);
	}
	buf_release(&rest);
	if (rc)
		return lk_err_set(err, rc, "could not compose the reply");
	return 0;
}

/* "feedback:helped:12" -> helpful 1, seq 12. */
static int parse_feedback(const char *action, struct reply_feedback *fb)
{
	const char *num;
	char *end;
	long long seq;

	if (!strncmp(action, "feedback:helped:", 16)) {
		fb->helpful = 1;
		num = action + 16;
	} else if (!strncmp(action, "feedback:not_helped:", 20)) {
		fb->helpful = 0;
		num = action + 20;
	} else {
		return 0;
	}
	if (*num < '1' || *num > '9')
		return 0;
	seq = strtoll(num, &end, 10);
	if (*end || seq <= 0)
		return 0;
	fb->present = 1;
	fb->seq = seq;
	return 1;
}

int reply_to_action(const struct reply_ctx *c, const char *action, json_t *msgs,
		    struct reply_feedback *fb, struct lk_err *err)
{
	memset(fb, 0, sizeof(*fb));
	if (parse_feedback(action, fb)) {
		json_t *msg;

		if (fb->helpful)
			return push_catalog_message(c, "feedback", "feedback_thanks", msgs, NULL);
		push_catalog_message(c, "feedback", "feedback_sorry", msgs, &msg);
		add_handoff_button(c, msg);
		return 0;
	}
	if (!strncmp(action, "kb:", 3) && action[3]) {
		/* An id that is gone (the knowledge base changed since the
		 * suggestion was shown) gets the honest fallback, not an error. */
		long doc = kb_index_find(c->ix, action + 3);

		if (doc < 0)
			return push_fallback(c, msgs);
		return push_answer(c, (size_t)doc, NULL, msgs);
	}
	if (!strcmp(action, "handoff:request"))
		return push_catalog_message(c, "handoff", "handoff_offer", msgs, NULL);
	return lk_err_setr(err, LK_EINVAL, "unknown_action", "unknown action '%.64s'", action);
}

int reply_welcome(const struct reply_ctx *c, json_t *msgs, struct lk_err *err)
{
	return push_catalog_message(c, "system", "ai_notice", msgs, NULL);
}
