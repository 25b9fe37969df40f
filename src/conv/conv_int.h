/* conv_int.h - what conv.c and conv_answer.c share: the engine's insides.
 * Not for other modules.
 */
#ifndef LK_CONV_INT_H
#define LK_CONV_INT_H

#include "conv/conv.h"
#include "conv/reply.h"

#include <pthread.h>
#include <stdatomic.h>

#define LOCK_STRIPES 256

/* Conversations whose answer is being written, per stripe. */
struct pending {
	struct pending *next;
	char id[STORE_ID_LEN + 1];
};

struct stripe {
	pthread_mutex_t mu;
	struct pending *pending; /* under mu */
};

struct conv_engine {
	const struct bot *bot;
	struct store *st;
	struct kb_live *kb;
	struct llm_client *chat;   /* may be NULL */
	struct llm_client *embed;  /* may be NULL */
	struct conv_events *events;
	struct workq *work;
	const struct conv_flows *flows;  /* may be NULL */
	const struct conv_handoff *handoff; /* may be NULL */
	conv_append_fn on_append;        /* may be NULL */
	void *on_append_ud;        /* finishes answers off the model client's thread */
	struct stripe stripes[LOCK_STRIPES];
	atomic_uint_fast64_t messages, answers, generated, pending, flow_turns;
	atomic_uint_fast64_t fallback_llm[16], fallback_check[CONV_CHECK_COUNT];
	atomic_uint_fast64_t first_token_ms_sum, first_token_n;
};

/* What the answer job needs to know about the message that started it. */
struct answer_req {
	char conv_id[STORE_ID_LEN + 1];
	char lang[8];
	int64_t bot_seq;          /* seq the answer will be stored under */
	const char *question;     /* borrowed during conv_answer_start */
	struct kb_snap *snap;     /* taken over */
	struct reply_plan plan;
	json_t *fallback;         /* extractive messages; taken over */
	json_t *history;          /* [{"role","text"}] earlier turns; taken over */
	conv_done_fn done;
	void *ud;
};

struct stripe *conv_stripe(struct conv_engine *e, const char *id);
/* Caller holds the stripe's lock. */
int conv_pending_has(struct stripe *s, const char *id);
void conv_pending_add(struct stripe *s, const char *id);
void conv_pending_remove(struct stripe *s, const char *id);

/* Stores bot messages (no user turn) under the stripe lock, publishes them,
 * clears the pending mark; *out gets the stored messages as the API shows
 * them. */
int conv_store_answer(struct conv_engine *e, const char *id, int64_t expect_seq, json_t *msgs,
		      json_t **out, struct lk_err *err);

/* Starts writing the answer; always ends in req->done. Call without holding
 * the conversation's stripe lock (a quick failure finishes at once). */
void conv_answer_start(struct conv_engine *e, struct answer_req *req);

#endif
