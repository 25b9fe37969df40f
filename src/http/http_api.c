/* http_api.c - handlers of the v1 API: create a conversation, post a
 * message, read and erase a transcript, health; and the embedded chat page.
 */
#include "http/http_api.h"

#include "http/web_assets.h"

#include <string.h>

/* Optional string member: NULL when absent; -1 when present but not a string. */
static int optional_string(json_t *obj, const char *key, const char **out)
{
	json_t *v = json_object_get(obj, key);

	*out = NULL;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return -1;
	*out = json_string_value(v);
	return 0;
}

static void reply_json(struct http_response *res, int status, json_t *body)
{
	res->status = status;
	res->json = body;
}

static void create_conversation(void *vctx, const struct http_request *req,
				struct http_response *res)
{
	struct api_ctx *ctx = vctx;
	const char *lang, *channel, *bot;
	struct lk_err err = {0};
	json_t *out;

	if (optional_string(req->json, "lang", &lang) || optional_string(req->json, "channel", &channel) ||
	    optional_string(req->json, "bot", &bot)) {
		http_error(res, 400, "invalid_request", "lang, channel and bot must be text");
		return;
	}
	if (bot && strcmp(bot, bot_id(ctx->bot))) {
		http_error(res, 404, "unknown_bot", "this server does not run that bot");
		return;
	}
	if (conv_create(ctx->engine, lang, channel, &out, &err)) {
		http_error_from(res, &err);
		return;
	}
	reply_json(res, 201, out);
}

static void post_message(void *vctx, const struct http_request *req, struct http_response *res)
{
	struct api_ctx *ctx = vctx;
	json_t *text = json_object_get(req->json, "text");
	json_t *action = json_object_get(req->json, "action");
	struct lk_err err = {0};
	json_t *out;

	/* null counts as absent; any other non-string is no usable text */
	if (json_is_null(text))
		text = NULL;
	if (json_is_null(action))
		action = NULL;
	if ((text && !json_is_string(text)) || (action && !json_is_string(action))) {
		http_error(res, 400, "missing_text", "text and action must be strings");
		return;
	}
	if (!text == !action) {
		http_error(res, 400, "missing_text", "send {\"text\": \"...\"} or {\"action\": \"...\"}");
		return;
	}
	if ((text && strlen(json_string_value(text)) != json_string_length(text)) ||
	    (action && strlen(json_string_value(action)) != json_string_length(action))) {
		http_error(res, 400, "invalid_request", "text must not contain NUL characters");
		return;
	}
	if (conv_post(ctx->engine, req->params[0], req->bearer, json_string_value(text),
		      json_string_value(action), &out, &err)) {
		http_error_from(res, &err);
		return;
	}
	reply_json(res, 200, out);
}

static void get_transcript(void *vctx, const struct http_request *req, struct http_response *res)
{
	struct api_ctx *ctx = vctx;
	struct lk_err err = {0};
	json_t *out;

	if (conv_transcript(ctx->engine, req->params[0], req->bearer, &out, &err)) {
		http_error_from(res, &err);
		return;
	}
	reply_json(res, 200, out);
}

static void delete_conversation(void *vctx, const struct http_request *req,
				struct http_response *res)
{
	struct api_ctx *ctx = vctx;
	struct lk_err err = {0};

	if (conv_delete(ctx->engine, req->params[0], req->bearer, &err)) {
		http_error_from(res, &err);
		return;
	}
	res->status = 204;
	res->body = "";
	res->body_len = 0;
}

static void health(void *vctx, const struct http_request *req, struct http_response *res)
{
	struct api_ctx *ctx = vctx;
	struct kb_snap *snap = kb_live_acquire(ctx->kb);

	reply_json(res, 200, json_pack("{s:s, s:s, s:I}", "status", "ok", "bot", bot_id(ctx->bot),
				       "kb_entries", (json_int_t)kb_index_count(kb_snap_index(snap))));
	kb_snap_release(snap);
}

static void static_asset(void *vctx, const struct http_request *req, struct http_response *res)
{
	const char *path = strcmp(req->path, "/") ? req->path : "/index.html";

	for (const struct web_asset *a = web_assets; a->path; a++) {
		if (!strcmp(a->path, path)) {
			res->status = 200;
			res->body = a->data;
			res->body_len = a->len;
			res->content_type = a->content_type;
			res->cacheable = strcmp(path, "/index.html") != 0;
			return;
		}
	}
	http_error(res, 404, "route_not_found", "no such address");
}

const struct http_route api_routes[] = {
	{"POST", "/api/v1/conversations", create_conversation, HTTP_ROUTE_JSON},
	{"POST", "/api/v1/conversations/:id/messages", post_message, HTTP_ROUTE_JSON},
	{"GET", "/api/v1/conversations/:id", get_transcript, 0},
	{"DELETE", "/api/v1/conversations/:id", delete_conversation, 0},
	{"GET", "/healthz", health, 0},
	{"GET", "/", static_asset, 0},
	{"GET", "/static/:file", static_asset, 0},
	{0, 0, 0, 0},
};
