/* http_api.h - the HTTP API v1 (README.md "API") and the chat page, as a
 * route table for http_server. Handlers only translate between HTTP and the
 * conversation engine; all decisions live in the engine.
 */
#ifndef LK_HTTP_API_H
#define LK_HTTP_API_H

#include "conv/bot.h"
#include "conv/conv.h"
#include "http/http_server.h"
#include "kb/kb_live.h"

/* What every handler gets as its ctx; all borrowed. */
struct llm_client;
struct channels;

struct api_ctx {
	struct conv_engine *engine;
	struct store *st;          /* for attachments */
	struct kb_live *kb;
	const struct bot *bot;
	struct llm_client *chat;   /* may be NULL: for /metrics */
	struct llm_client *embed;  /* may be NULL */
	struct channels *channels; /* WhatsApp / Telegram; may be NULL */
	struct handoff *handoff;   /* human handoff; may be NULL (the agent API answers 404) */
};

/* Ends with a zeroed row. */
extern const struct http_route api_routes[];

/* --- event streams over conversation subscriptions (conv_events.h) ---
 * Make one with http_subs_new(), subscribe with (http_subs_notify, it) as
 * callback and ud, add each subscription, then http_subs_respond() hands it
 * to the connection, which closes the subscriptions when it ends and then
 * calls closed(arg) (may be NULL). Before responding, http_subs_free()
 * undoes it (without calling closed). */
#define HTTP_SUBS_MAX 65
struct http_subs;
struct conv_sub;
struct http_subs *http_subs_new(void (*closed)(void *arg), void *arg);
void http_subs_notify(void *ud);
void http_subs_add(struct http_subs *s, struct conv_sub *sub);
void http_subs_respond(struct http_subs *s, struct http_response *res);
void http_subs_free(struct http_subs *s);
/* "17" -> 17; anything else (also NULL) -> -1: a Last-Event-ID or ?after=. */
int64_t http_parse_seq(const char *s);

/* api_routes and the agent console's routes (http_agent.h) in one table
 * for http_server_start(). Built on the first call: call it once before
 * starting threads. */
const struct http_route *api_all_routes(void);

#endif
