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

/* New conversation. lang NULL means the bot's default; channel NULL "api".
 * *out: {"id","token","lang","messages":[AI notice ...]}. The token is
 * shown only here; the store keeps its SHA-256. */
int conv_create(struct conv_engine *e, const char *lang, const char *channel, json_t **out,
		struct lk_err *err);

/* One user message: exactly one of text and action is non-NULL.
 * *out: {"messages":[bot messages],"state":{"lang","turns"}}.
 * Errors: LK_ENOTFOUND (no such conversation), LK_EAUTH (token), LK_EINVAL
 * with err->reason "empty_text", "text_too_long", "invalid_utf8",
 * "unknown_action". */
int conv_post(struct conv_engine *e, const char *id, const char *token, const char *text,
	      const char *action, json_t **out, struct lk_err *err);

/* *out: {"id","lang","created_at","messages":[every turn in order]}. */
int conv_transcript(struct conv_engine *e, const char *id, const char *token, json_t **out,
		    struct lk_err *err);

/* Erases the conversation and everything stored with it. */
int conv_delete(struct conv_engine *e, const char *id, const char *token, struct lk_err *err);

#endif
