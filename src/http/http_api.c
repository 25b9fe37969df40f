/* http_api.c - handlers of the v1 API: create a conversation, post a
 * message (answered at once, after the model finished, or streamed), the
 * conversation's event stream, read and erase a transcript, health and
 * metrics; and the embedded chat page.
 */
#include "http/http_api.h"

#include "channels/channels.h"
#include "core/buf.h"
#include "core/mem.h"
#include "handoff/handoff.h"
#include "http/http_agent.h"
#include "http/web_assets.h"
#include "integrations/integ.h"
#include "llm/llm_client.h"

#include <stdatomic.h>
#include <stdlib.h>
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

/* A non-streaming client waits (without holding a thread) for the final
 * reply of a message the model is answering. */
static void complete_deferred(void *ud, int rc, json_t *out, const struct lk_err *err)
{
	struct http_deferred *d = ud;

	if (rc) {
		struct http_response res = {0};

		http_error_from(&res, err);
		http_deferred_complete(d, res.status, res.json);
	} else {
		http_deferred_complete(d, 200, out);
	}
	http_deferred_release(d);
}

/* A streaming client gets the reply as events; nothing to do here. */
static void drop_reply(void *ud, int rc, json_t *out, const struct lk_err *err)
{
	json_decref(out);
}

static void post_message(void *vctx, const struct http_request *req, struct http_response *res)
{
	struct api_ctx *ctx = vctx;
	json_t *text = json_object_get(req->json, "text");
	json_t *action = json_object_get(req->json, "action");
	json_t *stream = json_object_get(req->json, "stream");
	struct http_deferred *d = NULL;
	struct lk_err err = {0};
	json_t *out;
	int rc;

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
	if (stream && !json_is_boolean(stream)) {
		http_error(res, 400, "invalid_request", "stream must be true or false");
		return;
	}
	if (json_is_true(stream)) {
		rc = conv_post_async(ctx->engine, req->params[0], req->bearer, json_string_value(text),
				     json_string_value(action), drop_reply, NULL, &out, &err);
	} else {
		d = http_response_defer(res);
		rc = conv_post_async(ctx->engine, req->params[0], req->bearer, json_string_value(text),
				     json_string_value(action), complete_deferred, d, &out, &err);
	}
	if (rc == CONV_PENDING) {
		if (!d)
			reply_json(res, 202, out);
		else
			json_decref(out); /* complete_deferred answers */
		return;
	}
	if (d) {
		/* answered at once: complete the deferred response now */
		complete_deferred(d, rc, out, &err);
		return;
	}
	if (rc) {
		http_error_from(res, &err);
		return;
	}
	reply_json(res, 200, out);
}

/* A photo for a flow step: the raw image as the body. Answers the id and
 * the quick-reply payload that hands it to the flow. */
static void upload_attachment(void *vctx, const struct http_request *req,
			      struct http_response *res)
{
	struct api_ctx *ctx = vctx;
	char id[STORE_ATTACHMENT_ID_LEN + 1], action[STORE_ATTACHMENT_ID_LEN + 16];
	struct lk_err err = {0};
	const char *type = req->content_type;
	char plain[32];

	if (conv_authorize(ctx->engine, req->params[0], req->bearer, &err)) {
		http_error_from(res, &err);
		return;
	}
	if (type) { /* "image/png; charset=..." -> "image/png" */
		snprintf(plain, sizeof(plain), "%.*s", (int)strcspn(type, "; "), type);
		type = plain;
	}
	if (!type || (strcmp(type, "image/jpeg") && strcmp(type, "image/png") &&
		      strcmp(type, "image/webp"))) {
		http_error(res, 415, "unsupported_media_type",
			   "send the photo as image/jpeg, image/png or image/webp");
		return;
	}
	if (!req->body_len) {
		http_error(res, 400, "empty_body", "the photo is empty");
		return;
	}
	if (integ_attachment_put(ctx->st, bot_id(ctx->bot), req->params[0], type, req->body,
				 req->body_len, id, &err)) {
		http_error_from(res, &err);
		return;
	}
	snprintf(action, sizeof(action), "attachment:%s", id);
	reply_json(res, 201, json_pack("{s:s, s:s, s:I}", "id", id, "action", action, "bytes",
				       (json_int_t)req->body_len));
}

/* --- WhatsApp and Telegram webhooks --- */

static void channel_reply(const struct channels_reply *r, struct http_response *res)
{
	res->status = r->status;
	if (r->json) {
		res->json = r->json;
		return;
	}
	res->owned_body = xstrdup(r->text ? r->text : "");
	res->body_len = strlen(res->owned_body);
	res->content_type = "text/plain; charset=utf-8";
}

static void whatsapp_verify(void *vctx, const struct http_request *req, struct http_response *res)
{
	struct api_ctx *ctx = vctx;
	struct channels_reply r;

	if (!ctx->channels) {
		http_error(res, 404, "route_not_found", "no such address");
		return;
	}
	channels_whatsapp_verify(ctx->channels, req->query(req, "hub.mode"),
				 req->query(req, "hub.verify_token"), req->query(req, "hub.challenge"),
				 &r);
	channel_reply(&r, res);
}

static void whatsapp_webhook(void *vctx, const struct http_request *req, struct http_response *res)
{
	struct api_ctx *ctx = vctx;
	struct channels_reply r;

	if (!ctx->channels) {
		http_error(res, 404, "route_not_found", "no such address");
		return;
	}
	channels_whatsapp_webhook(ctx->channels, req->header(req, "X-Hub-Signature-256"), req->body,
				  req->body_len, &r);
	channel_reply(&r, res);
}

static void telegram_webhook(void *vctx, const struct http_request *req, struct http_response *res)
{
	struct api_ctx *ctx = vctx;
	struct channels_reply r;

	if (!ctx->channels) {
		http_error(res, 404, "route_not_found", "no such address");
		return;
	}
	channels_telegram_webhook(ctx->channels, req->header(req, "X-Telegram-Bot-Api-Secret-Token"),
				  req->body, req->body_len, &r);
	channel_reply(&r, res);
}

/* --- event streams: conversation subscriptions as an HTTP stream source --- */

struct http_subs {
	struct conv_sub *subs[HTTP_SUBS_MAX];
	size_t n, next;
	_Atomic(struct http_stream *) stream;
	void (*closed)(void *arg);
	void *arg;
};

struct http_subs *http_subs_new(void (*closed)(void *arg), void *arg)
{
	struct http_subs *s = xcalloc(1, sizeof(*s));

	atomic_init(&s->stream, NULL);
	s->closed = closed;
	s->arg = arg;
	return s;
}

void http_subs_notify(void *ud)
{
	struct http_subs *src = ud;
	struct http_stream *s = atomic_load(&src->stream);

	if (s)
		http_stream_wake(s);
}

void http_subs_add(struct http_subs *s, struct conv_sub *sub)
{
	if (s->n < HTTP_SUBS_MAX)
		s->subs[s->n++] = sub;
	else
		conv_sub_close(sub);
}

static void subs_attach(void *ud, struct http_stream *st)
{
	struct http_subs *s = ud;

	atomic_store(&s->stream, st);
}

/* Takes from each subscription in turn, so no team starves another. */
static long subs_read(void *ud, char *buf, size_t max)
{
	struct http_subs *s = ud;

	for (size_t k = 0; k < s->n; k++) {
		size_t i = (s->next + k) % s->n;
		long n = conv_sub_read(s->subs[i], buf, max);

		if (n != 0) {
			s->next = (i + 1) % s->n;
			return n;
		}
	}
	return 0;
}

void http_subs_free(struct http_subs *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++)
		conv_sub_close(s->subs[i]);
	free(s);
}

static void subs_close(void *ud)
{
	struct http_subs *s = ud;
	void (*closed)(void *arg) = s->closed;
	void *arg = s->arg;

	http_subs_free(s);
	if (closed)
		closed(arg);
}

void http_subs_respond(struct http_subs *s, struct http_response *res)
{
	res->status = 200;
	res->stream = (struct http_stream_source){subs_attach, subs_read, subs_close, s};
}

int64_t http_parse_seq(const char *s)
{
	char *end;
	long long v;

	if (!s || *s < '0' || *s > '9' || strlen(s) > 18)
		return -1;
	v = strtoll(s, &end, 10);
	return *end ? -1 : (int64_t)v;
}

static void conversation_events(void *vctx, const struct http_request *req,
				struct http_response *res)
{
	struct api_ctx *ctx = vctx;
	struct http_subs *src = http_subs_new(NULL, NULL);
	const char *token = req->bearer ? req->bearer : req->query(req, "token");
	int64_t after = http_parse_seq(req->last_event_id);
	struct conv_sub *sub;
	struct lk_err err = {0};

	if (after < 0)
		after = http_parse_seq(req->query(req, "after"));
	if (token && strlen(token) > 256)
		token = NULL;
	if (conv_subscribe(ctx->engine, req->params[0], token, after, http_subs_notify, src, &sub,
			   &err)) {
		http_subs_free(src);
		http_error_from(res, &err);
		return;
	}
	http_subs_add(src, sub);
	http_subs_respond(src, res);
}

/* --- metrics (Prometheus text format) --- */

static void metric(struct buf *b, const char *name, const char *type, const char *help)
{
	buf_addf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void llm_metrics(struct buf *b, const char *which, struct llm_client *c)
{
	struct llm_stats st;

	llm_client_stats(c, &st);
	buf_addf(b, "loket_llm_calls_total{backend=\"%s\"} %llu\n", which,
		 (unsigned long long)st.calls);
	buf_addf(b, "loket_llm_calls_ok_total{backend=\"%s\"} %llu\n", which,
		 (unsigned long long)st.ok);
	for (int k = 1; k < LLM_ERR_KIND_COUNT; k++)
		buf_addf(b, "loket_llm_calls_failed_total{backend=\"%s\",reason=\"%s\"} %llu\n", which,
			 llm_error_kind_name((enum llm_error_kind)k), (unsigned long long)st.failed[k]);
	buf_addf(b, "loket_llm_retries_total{backend=\"%s\"} %llu\n", which,
		 (unsigned long long)st.retries);
	buf_addf(b, "loket_llm_refused_total{backend=\"%s\"} %llu\n", which,
		 (unsigned long long)st.refused);
	buf_addf(b, "loket_llm_in_flight{backend=\"%s\"} %llu\n", which,
		 (unsigned long long)st.in_flight);
	buf_addf(b, "loket_llm_circuit_open{backend=\"%s\"} %d\n", which,
		 st.breaker == LLM_BREAKER_OPEN);
	buf_addf(b, "loket_llm_circuit_opened_total{backend=\"%s\"} %llu\n", which,
		 (unsigned long long)st.breaker_opened);
}

static void metrics(void *vctx, const struct http_request *req, struct http_response *res)
{
	struct api_ctx *ctx = vctx;
	struct conv_stats cs;
	struct buf b;

	conv_engine_stats(ctx->engine, &cs);
	buf_init(&b, (size_t)1 << 20);
	metric(&b, "loket_messages_total", "counter", "User messages handled.");
	buf_addf(&b, "loket_messages_total %llu\n", (unsigned long long)cs.messages);
	metric(&b, "loket_answers_total", "counter", "Knowledge-base answers given, by how they were written.");
	buf_addf(&b, "loket_answers_total{how=\"extractive\"} %llu\n",
		 (unsigned long long)(cs.answers - cs.generated));
	buf_addf(&b, "loket_answers_total{how=\"generated\"} %llu\n", (unsigned long long)cs.generated);
	metric(&b, "loket_llm_fallbacks_total", "counter",
	       "Replies where the model was asked but the extractive reply was given, by reason.");
	for (int k = 1; k < LLM_ERR_KIND_COUNT; k++)
		buf_addf(&b, "loket_llm_fallbacks_total{reason=\"%s\"} %llu\n",
			 llm_error_kind_name((enum llm_error_kind)k), (unsigned long long)cs.fallback_llm[k]);
	for (int k = 0; k < CONV_CHECK_COUNT; k++)
		buf_addf(&b, "loket_llm_fallbacks_total{reason=\"check_%s\"} %llu\n",
			 conv_check_name((enum conv_fallback_check)k), (unsigned long long)cs.fallback_check[k]);
	metric(&b, "loket_answers_pending", "gauge", "Answers being written by the model now.");
	buf_addf(&b, "loket_answers_pending %llu\n", (unsigned long long)cs.pending);
	metric(&b, "loket_llm_first_token_ms_sum", "counter", "Sum of the model's times to first token (ms).");
	buf_addf(&b, "loket_llm_first_token_ms_sum %llu\nloket_llm_first_token_count %llu\n",
		 (unsigned long long)cs.first_token_ms_sum, (unsigned long long)cs.first_token_n);
	metric(&b, "loket_event_streams", "gauge", "Open event streams.");
	buf_addf(&b, "loket_event_streams %zu\n", cs.subscribers);
	if (ctx->chat || ctx->embed)
		metric(&b, "loket_llm_calls_total", "counter", "Calls to the model servers, by outcome.");
	if (ctx->handoff)
		handoff_metrics(ctx->handoff, &b);
	if (ctx->channels) {
		static const char *const names[2] = {"whatsapp", "telegram"};
		static const char *const st[5] = {"sent", "delivered", "read", "failed", "other"};
		struct channels_stats chs;

		channels_stats(ctx->channels, &chs);
		metric(&b, "loket_channel_events_total", "counter",
		       "Webhook events by channel and outcome (accepted, duplicate, refused).");
		for (int i = 0; i < 2; i++) {
			if (!channels_has(ctx->channels, names[i]))
				continue;
			buf_addf(&b, "loket_channel_events_total{channel=\"%s\",outcome=\"accepted\"} %llu\n",
				 names[i], (unsigned long long)chs.received[i]);
			buf_addf(&b, "loket_channel_events_total{channel=\"%s\",outcome=\"duplicate\"} %llu\n",
				 names[i], (unsigned long long)chs.duplicates[i]);
			buf_addf(&b, "loket_channel_events_total{channel=\"%s\",outcome=\"refused\"} %llu\n",
				 names[i], (unsigned long long)chs.refused[i]);
			buf_addf(&b, "loket_channel_sends_total{channel=\"%s\",result=\"ok\"} %llu\n",
				 names[i], (unsigned long long)chs.sent[i]);
			buf_addf(&b, "loket_channel_sends_total{channel=\"%s\",result=\"failed\"} %llu\n",
				 names[i], (unsigned long long)chs.send_failed[i]);
		}
		buf_addf(&b, "loket_channel_sends_total{channel=\"whatsapp\",result=\"outside_window\"} %llu\n",
			 (unsigned long long)chs.outside_window);
		for (int k = 0; k < 5; k++)
			buf_addf(&b, "loket_whatsapp_statuses_total{status=\"%s\"} %llu\n", st[k],
				 (unsigned long long)chs.statuses[k]);
	}
	if (ctx->chat)
		llm_metrics(&b, "chat", ctx->chat);
	if (ctx->embed)
		llm_metrics(&b, "embeddings", ctx->embed);
	res->status = 200;
	res->owned_body = buf_detach(&b, &res->body_len);
	res->content_type = "text/plain; version=0.0.4; charset=utf-8";
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
			/* pages are fetched anew; their scripts and styles may be cached */
			res->cacheable = strncmp(a->content_type, "text/html", 9) != 0;
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
	{"GET", "/api/v1/conversations/:id/events", conversation_events, 0},
	{"POST", "/api/v1/conversations/:id/attachments", upload_attachment, HTTP_ROUTE_UPLOAD},
	{"GET", "/channels/whatsapp/webhook", whatsapp_verify, 0},
	{"POST", "/channels/whatsapp/webhook", whatsapp_webhook, HTTP_ROUTE_RAW},
	{"POST", "/channels/telegram/webhook", telegram_webhook, HTTP_ROUTE_RAW},
	{"GET", "/healthz", health, 0},
	{"GET", "/metrics", metrics, 0},
	{"GET", "/", static_asset, 0},
	{"GET", "/static/:file", static_asset, 0},
	{"GET", "/widget/:file", static_asset, 0},
	{"GET", "/agent", static_asset, 0},
	{"GET", "/agent/:file", static_asset, 0},
	{"POST", "/api/v1/conversations/:id/typing", http_citizen_typing, 0},
	{0, 0, 0, 0},
};

const struct http_route *api_all_routes(void)
{
	static struct http_route *all;
	size_t n = 0, m = 0;

	if (all)
		return all;
	while (api_routes[n].method)
		n++;
	while (agent_routes[m].method)
		m++;
	all = xcalloc(n + m + 1, sizeof(*all));
	memcpy(all, api_routes, n * sizeof(*all));
	memcpy(all + n, agent_routes, m * sizeof(*all));
	return all;
}
