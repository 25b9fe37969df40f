/* dialog.h - the engine of guided conversations: it decides whether a
 * message starts a flow (intent classifier trained from the flows' example
 * utterances and the knowledge base), fills typed slots (also several from
 * one sentence), handles "stop", "terug", corrections, questions in the
 * middle of a flow (answered from the knowledge base, then the flow
 * resumes), three failed answers (a person is offered), the confirmation
 * and the action, whose result the bot reports.
 *
 * The engine keeps no state between messages: the caller passes the
 * conversation's stored state in and stores the new state together with
 * the turns (store_turns_append_state), so a restart or another instance
 * continues at the same step. Thread-safe: a struct dialog is read-only
 * after dialog_new().
 *
 * Quick-reply payloads it understands: flow:<id> (or a flow's own trigger
 * payloads) starts a flow; choose:<value>, skip, cancel, back,
 * confirm:yes, confirm:no, edit:<slot>, attachment:<id> answer the current
 * step; clarify:no answers the held question from the knowledge base.
 */
#ifndef LK_DIALOG_H
#define LK_DIALOG_H

#include "conv/bot.h"
#include "conv/reply.h"
#include "core/err.h"
#include "kb/kb_index.h"
#include "store/store.h"

#include <jansson.h>
#include <stdint.h>

#define DIALOG_START_CONFIDENCE 0.55   /* a flow starts at this classifier confidence */
#define DIALOG_CLARIFY_CONFIDENCE 0.30 /* between the two: "Do you mean ...?" */
#define DIALOG_START_MARGIN 0.20       /* ... and this far ahead of the runner-up */
#define DIALOG_MAX_FAILS 3             /* failed answers before a person is offered */

struct dialog;

/* Loads the bot's flows (the YAML files in flows/) and trains the intent classifier on
 * their examples and on the knowledge base's questions (ix may be NULL).
 * A bot without flows gets an engine that passes every message on.
 * Caller frees with dialog_free(). */
int dialog_new(struct dialog **out, const struct bot *bot, const struct kb_index *ix,
	       struct lk_err *err);
void dialog_free(struct dialog *d);
size_t dialog_flow_count(const struct dialog *d);

/* One message, as the engine sees it. */
struct dialog_turn {
	/* in */
	const struct reply_ctx *reply;  /* bot, index, language, next seq (for KB answers) */
	struct store *st;               /* for the built-in backends */
	const char *conv_id;
	const char *text;               /* exactly one of text and action */
	const char *action;
	const char *state;              /* the stored state (JSON text) or NULL */
	int64_t now;                    /* unix seconds */
	int utc_offset_s;               /* local time = now + offset; 0: Europe/Amsterdam's */
	/* out */
	json_t *msgs;                   /* bot messages are appended here */
	char *new_state;                /* NULL: unchanged; "": cleared; else JSON (caller frees) */
	const char *intent;             /* what the classifier chose, for analytics (borrowed) */
};

enum dialog_result {
	DIALOG_PASS = 0,    /* not for a flow: the caller answers as usual */
	DIALOG_HANDLED = 1, /* messages appended, maybe a new state */
};

/* Handles one message. LK_EINVAL (reason "unknown_action") for a payload
 * that belongs to no flow step; other errors are internal. */
int dialog_handle(const struct dialog *d, struct dialog_turn *t, struct lk_err *err);

/* dialog_handle and dialog_describe as the engine's plug-in (conv.h);
 * the dialog must outlive the engine. */
struct conv_flows;
void dialog_plug(const struct dialog *d, struct conv_flows *ops);

/* The state's flow, step (slot being asked) and slots, for tests and
 * transcripts: {"flow","step","slots":{...}} or NULL when no flow is
 * active. Caller decrefs. */
json_t *dialog_describe(const char *state);

/* Local calendar date of `now` shifted by utc_offset_s. */
void dialog_today(int64_t now, int utc_offset_s, int *y, int *m, int *d);

#endif
