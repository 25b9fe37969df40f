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

/* api_routes and the agent console's routes (http_agent.h) in one table
 * for http_server_start(). Built on the first call: call it once before
 * starting threads. */
const struct http_route *api_all_routes(void);

#endif
