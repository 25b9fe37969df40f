/* reply.h - deciding what the bot says to one user message: small talk, an
 * answer from the knowledge base, suggestions, "I don't know", or the
 * result of a quick-reply action. Pure decision logic: no store, no I/O.
 */
#ifndef LK_REPLY_H
#define LK_REPLY_H

#include "conv/bot.h"
#include "core/err.h"
#include "kb/kb_index.h"

#include <jansson.h>
#include <stdint.h>

struct reply_ctx {
	const struct bot *bot;
	const struct kb_index *ix;
	const char *lang;
	int64_t next_seq; /* sequence number the first bot message will get */
};

/* Feedback an action carries, for the caller to store. */
struct reply_feedback {
	int present;
	int64_t seq;
	int helpful;
};

/* What a question to the knowledge base found, for a caller that may improve
 * the extractive reply with embeddings or a language model. */
struct reply_plan {
	int question;          /* the text went to the knowledge base */
	struct kb_result res;  /* what retrieval found */
};

/* Appends bot messages ({"role","kind","text","sources","quick_replies"})
 * to `msgs`. plan may be NULL. */
int reply_to_text(const struct reply_ctx *c, const char *text, json_t *msgs,
		  struct reply_plan *plan, struct lk_err *err);

/* The extractive reply for a retrieval result: an answer, suggestions or
 * the honest "I don't know". */
int reply_from_result(const struct reply_ctx *c, const struct kb_result *res, const char *query,
		      json_t *msgs);

/* A generated answer: `text` as the model wrote it (checked by llm_cite),
 * with the cited entries as sources (sources[i] is cited as [numbers[i]])
 * and the feedback buttons. The message is marked "generated": true, the
 * machine-readable marking of AI output (EU AI Act art. 50(2)). */
int reply_generated(const struct reply_ctx *c, const char *text, const size_t *docs,
		    const unsigned *numbers, size_t n, json_t *msgs);
/* LK_EINVAL with reason "unknown_action" for a payload it does not know. */
int reply_to_action(const struct reply_ctx *c, const char *action, json_t *msgs,
		    struct reply_feedback *fb, struct lk_err *err);
/* The first message of every conversation: it says this is an AI assistant. */
int reply_welcome(const struct reply_ctx *c, json_t *msgs, struct lk_err *err);

#endif
