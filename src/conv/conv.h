/* conv.h - the conversation engine: the one entry point every channel (HTTP
 * API, terminal chat, later WhatsApp and Telegram) calls.
 *
 * It loads a conversation from the store, checks its token, decides the
 * reply (reply.h), and stores the user turn and the bot's turns together in
 * one transaction before anything is returned, so an acknowledged turn is a
 * stored turn. Messages to one conversation are handled one after the other;
 * different conversations run in parallel.
 *
 * Results are jansson objects in the shape of the HTTP API v1 (README.md);
 * the caller owns them (json_decref).
 */
#ifndef LK_CONV_H
#define LK_CONV_H

#include "conv/bot.h"
#include "conv/conv_events.h"
#include "core/err.h"
#include "kb/kb_live.h"
#include "store/store.h"

#include <jansson.h>

#define CONV_TEXT_MAX 4096   /* bytes of one user message */
#define CONV_ACTION_MAX 300  /* bytes of one quick-reply payload */

struct conv_engine;

/* All three are borrowed and must outlive the engine. Caller frees with
 * conv_engine_free(). */
int conv_engine_new(struct conv_engine **out, const struct bot *bot, struct store *st,
		    struct kb_live *kb, struct lk_err *err);
void conv_engine_free(struct conv_engine *e);

struct llm_client;

/* Lets the engine write answers with a language model (chat) and rank with
 * embeddings (embed); either may be NULL. Both are borrowed and must outlive
 * the engine. Call before the first message. */
void conv_engine_use_llm(struct conv_engine *e, struct llm_client *chat,
			 struct llm_client *embed);

/* Waits until no answer is being finished on the engine's workers (call
 * after freeing the embeddings client and before freeing the chat client:
 * a finishing answer may still ask the model). */
void conv_engine_drain(struct conv_engine *e);

/* Guided flows (src/dialog) plug in here, so the engine does not depend
 * on them: handle() takes a message first (DIALOG_HANDLED or DIALOG_PASS,
 * see dialog.h), describe() tells a transcript the current flow step. */
struct dialog_turn;
struct conv_flows {
	const void *impl;
	int (*handle)(const void *impl, struct dialog_turn *t, struct lk_err *err);
	json_t *(*describe)(const char *state);
};
/* ops (borrowed, outlives the engine) or NULL for none. */
void conv_engine_use_flows(struct conv_engine *e, const struct conv_flows *ops);

/* Human handoff (src/handoff) plugs in here, so the engine does not depend
 * on it. For each citizen message, under the conversation's lock:
 * before() sees it first and may take it (CONV_HANDOFF_TAKEN: the
 * conversation is with a person, the citizen asked for one, or the topic is
 * always for a person), filling t->msgs (possibly with nothing: the
 * citizen's turn is stored without a reply); otherwise after() sees the
 * reply the bot composed and may start a handoff (a flow's third failed
 * answer, fallbacks in a row). Both may set t->handoff (a new reference),
 * shown as state.handoff. describe() gives a transcript's "handoff". */
#define CONV_HANDOFF_PASS 0
#define CONV_HANDOFF_TAKEN 1
struct store_conv;
struct conv_handoff_turn {
	const struct store_conv *conv;
	const char *text, *action;  /* exactly one is non-NULL */
	json_t *msgs;               /* the bot's reply being composed */
	json_t *handoff;            /* out: state.handoff (new reference) or NULL */
};
struct conv_handoff {
	void *impl;
	int (*before)(void *impl, struct conv_handoff_turn *t, struct lk_err *err);
	int (*after)(void *impl, struct conv_handoff_turn *t, struct lk_err *err);
	json_t *(*describe)(void *impl, const char *conv_id);
};
/* ops (borrowed, outlives the engine) or NULL for none. */
void conv_engine_use_handoff(struct conv_engine *e, const struct conv_handoff *ops);

/* Messages that do not answer a citizen's message (an agent's reply, a
 * handoff notice) reach channels that push (WhatsApp, Telegram) through
 * this hook: called after they are stored, with the conversation (its
 * channel and language) and the stored messages (both borrowed). */
typedef void (*conv_append_fn)(void *ud, const struct store_conv *c, json_t *msgs);
void conv_engine_on_append(struct conv_engine *e, conv_append_fn fn, void *ud);

/* The engine's live events (conv_events.h); borrowed. */
struct conv_events *conv_engine_events(struct conv_engine *e);

/* New conversation. lang NULL means the bot's default; channel NULL "api".
 * *out: {"id","token","lang","messages":[AI notice ...]}. The token is
 * shown only here; the store keeps its SHA-256. */
int conv_create(struct conv_engine *e, const char *lang, const char *channel, json_t **out,
		struct lk_err *err);

/* One user message: exactly one of text and action is non-NULL. Waits
 * for a language model when one writes the answer (for the terminal chat
 * and tests; the HTTP API uses conv_post_async).
 * *out: {"messages":[bot messages],"state":{"lang","turns"}}.
 * Errors: LK_ENOTFOUND (no such conversation), LK_EAUTH (token), LK_EINVAL
 * with err->reason "empty_text", "text_too_long", "invalid_utf8",
 * "unknown_action". */
int conv_post(struct conv_engine *e, const char *id, const char *token, const char *text,
	      const char *action, json_t **out, struct lk_err *err);

/* conv_post_async() returns this when a language model is writing the
 * answer. */
#define CONV_PENDING 1

/* The final reply of a pending message, on some other thread: rc 0 and
 * *out {"messages","state"} (the callee owns out), or an error. */
typedef void (*conv_done_fn)(void *ud, int rc, json_t *out, const struct lk_err *err);

/* Like conv_post(), but never waits for a language model: when one is
 * writing the answer it returns CONV_PENDING at once with
 * *out = {"pending":{"seq"},"messages":[],"state"} (the user's turn is
 * stored), streams the answer as "token" events, and later calls done
 * exactly once with the final reply, which is then also stored and sent as
 * "message" events. Otherwise it returns 0 and never calls done. While an
 * answer is being written, another message to the same conversation fails
 * with LK_EEXIST, reason "reply_pending". */
int conv_post_async(struct conv_engine *e, const char *id, const char *token, const char *text,
		    const char *action, conv_done_fn done, void *ud, json_t **out,
		    struct lk_err *err);

/* For channels that authenticate the sender themselves (a signed webhook):
 * conv_post() without the token; it waits for a language model like
 * conv_post(). Never reachable from the public API. */
int conv_post_trusted(struct conv_engine *e, const char *id, const char *text, const char *action,
		      json_t **out, struct lk_err *err);

/* Subscribes to a conversation's events after checking its token. Stored
 * turns with seq > after are queued first (a reconnecting client passes its
 * Last-Event-ID), then live events follow. Caller closes with
 * conv_sub_close(). */
int conv_subscribe(struct conv_engine *e, const char *id, const char *token, int64_t after,
		   conv_events_notify_fn notify, void *ud, struct conv_sub **out,
		   struct lk_err *err);

/* A message text anyone sends (a citizen, an agent): 0, or LK_EINVAL with
 * reason "text_too_long" (over max bytes), "invalid_utf8" or "empty_text"
 * (NULL or only blanks). */
int conv_text_check(const char *text, size_t max, struct lk_err *err);

/* Appends messages to a conversation outside a citizen's message (an
 * agent's reply, a handoff notice): each message's "role" is "bot" or
 * "agent". Stored under the conversation's lock with the next seqs, sent as
 * "message" events and to the append hook. state: the dialog state to set
 * in the same transaction ("" clears it, NULL keeps it). *out (may be NULL)
 * gets the stored messages (caller owns). LK_ENOTFOUND for no such
 * conversation. */
int conv_append(struct conv_engine *e, const char *id, json_t *msgs, const char *state,
		json_t **out, struct lk_err *err);

/* For trusted callers (the agent console, after its own access check):
 * conv_subscribe() and conv_transcript() without the token. */
int conv_subscribe_trusted(struct conv_engine *e, const char *id, int64_t after,
			   conv_events_notify_fn notify, void *ud, struct conv_sub **out,
			   struct lk_err *err);
int conv_transcript_trusted(struct conv_engine *e, const char *id, json_t **out,
			    struct lk_err *err);

/* --- counters (for /metrics) --- */
enum conv_fallback_check {
	CONV_CHECK_NO_ANSWER, CONV_CHECK_NO_CITATION, CONV_CHECK_INVALID_CITATION,
	CONV_CHECK_UNSUPPORTED, CONV_CHECK_FOREIGN_FACT, CONV_CHECK_EMPTY, CONV_CHECK_COUNT
};
struct conv_stats {
	uint64_t messages;           /* user messages handled */
	uint64_t answers;            /* knowledge-base answers given */
	uint64_t generated;          /* of those, written by the language model */
	uint64_t fallback_llm[16];   /* model asked, extractive reply given: by llm_error_kind */
	uint64_t fallback_check[CONV_CHECK_COUNT]; /* model answered, check refused it */
	uint64_t pending;            /* answers being written now */
	uint64_t flow_turns;         /* messages handled by a guided flow */
	uint64_t first_token_ms_sum, first_token_n; /* model's time to first token */
	size_t subscribers;          /* open event streams */
};
void conv_engine_stats(struct conv_engine *e, struct conv_stats *out);
const char *conv_check_name(enum conv_fallback_check c);

/* *out: {"id","lang","created_at","messages":[every turn in order]}. */
int conv_transcript(struct conv_engine *e, const char *id, const char *token, json_t **out,
		    struct lk_err *err);

/* Checks that the conversation exists and the token is its own (for
 * requests about a conversation that the engine does not handle itself,
 * such as uploading a photo). */
int conv_authorize(struct conv_engine *e, const char *id, const char *token, struct lk_err *err);

/* Erases the conversation and everything stored with it. */
int conv_delete(struct conv_engine *e, const char *id, const char *token, struct lk_err *err);

#endif
