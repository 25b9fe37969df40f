// fuzz_agent_api.c - libFuzzer target for the agent console's API
// (src/http/http_agent.c over src/handoff): the first byte picks the route
// and whether the request carries a valid session cookie and CSRF token or
// the fuzzer's own bytes as the Cookie header; the rest is the JSON body.
// Real engine, handoff service and in-memory store on the demo bot, with one
// citizen waiting for a person. Checks: every response has a valid status,
// errors carry a code, a forged cookie never gets past the session check.
// fuzz-sources: src/core/*.c src/text/*.c src/kb/*.c src/store/*.c src/conv/*.c src/llm/*.c src/integrations/*.c src/channels/*.c src/handoff/*.c src/dialog/flow.c src/http/http_api.c src/http/http_agent.c src/http/http_server.c src/http/http_router.c
// Run: tests/fuzz/run.sh 60 agent_api
#include "handoff/agent_auth.h"
#include "handoff/handoff.h"
#include "http/http_agent.h"
#include "http/web_assets.h"

#include <openssl/sha.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The pages are not under test here. */
const struct web_asset web_assets[] = {{0, 0, 0, 0}};

#define TOKEN "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
#define CSRF "ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100"

static struct api_ctx ctx;
static char conv_id[64], cookie[128];

static const char *header_of(const struct http_request *req, const char *name);
static const char *fuzz_cookie;

static const char *no_query(const struct http_request *req, const char *key)
{
	return NULL;
}

static void init_once(void)
{
	static struct bot *bot;
	static struct store *st;
	static struct kb_live *kb;
	static struct conv_engine *engine;
	static struct handoff *h;
	struct store_session s;
	char id[STORE_AGENT_ID_MAX];
	json_t *out = NULL;

	if (engine)
		return;
	agent_auth_set_cost(1, 8);
	/* run.sh runs targets from build-fuzz/<name>/ */
	if (bot_load(&bot, "../../bots/gemeente-demo", NULL) ||
	    store_open(&st, "sqlite::memory:", NULL) ||
	    kb_live_import_dir(st, bot_id(bot), "../../bots/gemeente-demo/kb", NULL, NULL) ||
	    kb_live_open(&kb, st, bot_id(bot), bot_synonyms_path(bot), NULL) ||
	    conv_engine_new(&engine, bot, st, kb, NULL) ||
	    handoff_new(&h, bot, st, engine, NULL) ||
	    agent_account_create(st, bot_id(bot), "anna", "Anna", "supervisor", "[\"burgerzaken\"]",
				 "a long enough password", id, NULL) ||
	    conv_create(engine, NULL, NULL, &out, NULL))
		abort();
	memset(&s, 0, sizeof(s));
	SHA256((const unsigned char *)TOKEN, strlen(TOKEN), s.token_hash);
	snprintf(s.agent_id, sizeof(s.agent_id), "%s", id);
	snprintf(s.csrf, sizeof(s.csrf), "%s", CSRF);
	s.created_ms = (int64_t)time(NULL) * 1000;
	s.expires_ms = s.created_ms + (int64_t)365 * 24 * 3600 * 1000;
	if (store_session_add(st, bot_id(bot), &s, NULL))
		abort();
	snprintf(cookie, sizeof(cookie), "theme=dark; %s=%s", AGENT_COOKIE, TOKEN);
	snprintf(conv_id, sizeof(conv_id), "%s", json_string_value(json_object_get(out, "id")));
	json_decref(out);
	ctx = (struct api_ctx){engine, st, kb, bot, NULL, NULL, NULL, h};
}

static const char *header_of(const struct http_request *req, const char *name)
{
	if (!strcmp(name, "Cookie"))
		return fuzz_cookie;
	if (!strcmp(name, "X-CSRF-Token"))
		return CSRF;
	return NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct http_response res = {.status = 200};
	struct http_request req;
	const struct http_route *route;
	size_t n_routes = 0;
	char *raw = NULL;
	int forged;

	if (size < 2 || size > HTTP_BODY_MAX)
		return 0;
	init_once();
	while (agent_routes[n_routes].method)
		n_routes++;
	route = &agent_routes[data[0] % n_routes];
	/* streams are not driven here; logging in is argon2 (slow) */
	if (!strcmp(route->pattern, "/api/v1/agent/events") ||
	    strstr(route->pattern, "/events") || !strcmp(route->pattern, "/api/v1/agent/login"))
		return 0;
	forged = data[1] & 1;
	if (forged) {
		raw = strndup((const char *)data + 2, size - 2);
		fuzz_cookie = raw;
	} else {
		fuzz_cookie = cookie;
	}
	memset(&req, 0, sizeof(req));
	req.method = route->method;
	req.path = route->pattern;
	req.params[0] = (data[1] & 2) ? "VR-AAAAAA" : conv_id;
	req.n_params = 1;
	req.header = header_of;
	req.query = no_query;
	if (!forged && (route->flags & HTTP_ROUTE_JSON)) {
		req.json = json_loadb((const char *)data + 2, size - 2, JSON_REJECT_DUPLICATES, NULL);
		if (!json_is_object(req.json)) {
			json_decref(req.json);
			return 0;
		}
	} else if (route->flags & HTTP_ROUTE_JSON) {
		req.json = json_object();
	}
	route->fn(&ctx, &req, &res);
	if (res.status < 200 || res.status > 599)
		abort();
	if (res.status >= 400 && !json_object_get(json_object_get(res.json, "error"), "code"))
		abort();
	/* bytes that are not exactly our cookie never log in */
	if (forged && res.status != 401 && !strstr(raw, TOKEN))
		abort();
	json_decref(res.json);
	json_decref(req.json);
	free(raw);
	return 0;
}
