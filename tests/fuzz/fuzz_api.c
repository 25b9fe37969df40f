// fuzz_api.c - libFuzzer target for the API handlers behind the HTTP server:
// the first byte picks the route (create / message / transcript / delete),
// the rest is the JSON body, parsed exactly as the server parses it, and
// handled by the real engine on the demo bot with an in-memory store.
// Checks: every response is a valid status, errors carry a code.
// fuzz-sources: src/core/*.c src/text/*.c src/kb/*.c src/store/*.c src/conv/*.c src/llm/*.c src/integrations/*.c src/channels/*.c src/handoff/*.c src/dialog/flow.c src/http/http_api.c src/http/http_agent.c src/http/http_server.c src/http/http_router.c
// Run: tests/fuzz/run.sh 60 api   (needs libmicrohttpd, linked by run.sh)
#include "http/http_api.h"
#include "http/web_assets.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The pages are not under test here. */
const struct web_asset web_assets[] = {{0, 0, 0, 0}};

static struct api_ctx ctx;
static char conv_id[64], conv_token[128];

static void init_once(void)
{
	static struct bot *bot;
	static struct store *st;
	static struct kb_live *kb;
	static struct conv_engine *engine;
	json_t *out = NULL;

	if (engine)
		return;
	/* run.sh runs targets from build-fuzz/<name>/ */
	if (bot_load(&bot, "../../bots/gemeente-demo", NULL) ||
	    store_open(&st, "sqlite::memory:", NULL) ||
	    kb_live_import_dir(st, bot_id(bot), "../../bots/gemeente-demo/kb", NULL, NULL) ||
	    kb_live_open(&kb, st, bot_id(bot), bot_synonyms_path(bot), NULL) ||
	    conv_engine_new(&engine, bot, st, kb, NULL) || conv_create(engine, NULL, NULL, &out, NULL))
		abort();
	snprintf(conv_id, sizeof(conv_id), "%s", json_string_value(json_object_get(out, "id")));
	snprintf(conv_token, sizeof(conv_token), "%s", json_string_value(json_object_get(out, "token")));
	json_decref(out);
	ctx = (struct api_ctx){engine, st, kb, bot, NULL, NULL, NULL, NULL};
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t route_of[] = {0, 1, 2, 3};
	struct http_response res = {.status = 200};
	struct http_request req;
	const struct http_route *route;

	if (size < 1 || size > HTTP_BODY_MAX)
		return 0;
	init_once();
	route = &api_routes[route_of[data[0] % 4]];
	memset(&req, 0, sizeof(req));
	req.method = route->method;
	req.path = route->pattern;
	req.params[0] = conv_id;
	req.n_params = 1;
	req.bearer = (data[0] & 0x10) ? "wrong-token" : conv_token;
	if (route->flags & HTTP_ROUTE_JSON) {
		req.json = json_loadb((const char *)data + 1, size - 1, JSON_REJECT_DUPLICATES, NULL);
		if (!json_is_object(req.json)) {
			json_decref(req.json);
			return 0;
		}
	}
	if (route->fn == api_routes[3].fn && !(data[0] & 0x10))
		req.bearer = "wrong-token"; /* keep the conversation for later inputs */
	route->fn(&ctx, &req, &res);
	if (res.deferred && http_deferred_take(&res))
		abort(); /* without a model every reply is complete at once */
	if (res.status < 200 || res.status > 599)
		abort();
	if (res.status >= 400 && !json_object_get(json_object_get(res.json, "error"), "code"))
		abort();
	json_decref(res.json);
	json_decref(req.json);
	return 0;
}
