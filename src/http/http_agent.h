/* http_agent.h - the agent console's API (/api/v1/agent/...) and the
 * citizen's typing signal; handlers over struct api_ctx (http_api.h).
 */
#ifndef LK_HTTP_AGENT_H
#define LK_HTTP_AGENT_H

#include "http/http_api.h"

/* Ends with a zeroed row. */
extern const struct http_route agent_routes[];

/* POST /api/v1/conversations/:id/typing (the citizen's token). */
void http_citizen_typing(void *ctx, const struct http_request *req, struct http_response *res);

#endif
