/* http_agent.c - the agent console's API under /api/v1/agent/ (see
 * README.md): login with a session cookie, CSRF on every change, the live
 * queue and conversation streams, and the actions of src/handoff. Also the
 * citizen's "I am typing" signal.
 *
 * Every handler checks the session first; access to a conversation is
 * decided by the handoff service (teams, roles).
 */
#include "http/http_agent.h"

#include "core/clock.h"
#include "core/mem.h"
#include "handoff/agent_auth.h"
#include "handoff/handoff.h"
#include "handoff/handoff_config.h"

#include <stdlib.h>
#include <string.h>

/* The logged-in agent, or an error response (401 / 403 csrf / 404 when
 * the bot has no handoff). changes: the request changes something, so it
 * must carry the session's CSRF token. Caller releases s->agent on 0. */
static int session(struct api_ctx *ctx, const struct http_request *req, struct http_response *res,
		   int changes, struct agent_session_info *s)
{
	struct lk_err err = {0};

	memset(s, 0, sizeof(*s));
	if (!ctx->handoff) {
		http_error(res, 404, "route_not_found", "no such address");
		return -1;
	}
	if (agent_session_check(ctx->st, bot_id(ctx->bot), req->header(req, "Cookie"), lk_now_ms(), s,
				&err)) {
		http_error(res, 401, "not_logged_in", "log in first");
		return -1;
	}
	if (changes && !agent_csrf_ok(s, req->header(req, "X-CSRF-Token"))) {
		store_agent_release(&s->agent);
		http_error(res, 403, "csrf", "the request lacks this session's X-CSRF-Token header");
		return -1;
	}
	handoff_agent_seen(ctx->handoff, &s->agent);
	return 0;
}

static json_t *agent_json(const struct store_agent *a)
{
	json_t *teams = a->teams ? json_loads(a->teams, 0, NULL) : NULL;

	return json_pack("{s:s, s:s, s:s, s:s, s:o}", "id", a->id, "username", a->username, "name",
			 a->name, "role", a->role, "teams", json_is_array(teams) ? teams : json_array());
}

static void reply(struct http_response *res, int rc, const struct lk_err *err, int status,
		  json_t *body)
{
	if (rc) {
		json_decref(body);
		http_error_from(res, err);
		return;
	}
	res->status = status;
	res->json = body ? body : json_object();
}

static const char *member(const json_t *obj, const char *key)
{
	return json_string_value(json_object_get(obj, key));
}

/* --- login --- */

static void agent_login_route(void *vctx, const struct http_request *req, struct http_response *res)
{
	struct api_ctx *ctx = vctx;
	const char *user = member(req->json, "username"), *pw = member(req->json, "password");
	struct agent_session_info s;
	struct lk_err err = {0};
	char token[65];
	int rc;

	if (!ctx->handoff) {
		http_error(res, 404, "route_not_found", "no such address");
		return;
	}
	if (!user || !pw) {
		http_error(res, 400, "invalid_request", "send {\"username\": \"...\", \"password\": \"...\"}");
		return;
	}
	memset(&s, 0, sizeof(s));
	rc = agent_login(ctx->st, bot_id(ctx->bot), user, pw, lk_now_ms(), token, &s, &err);
	if (rc == LK_EBUSY) {
		http_error(res, 429, "locked", err.msg);
		return;
	}
	if (rc == LK_EAUTH) {
		http_error(res, 401, "invalid_login",
			   "Gebruikersnaam of wachtwoord klopt niet. / Wrong username or password.");
		return;
	}
	if (rc) {
		http_error_from(res, &err);
		return;
	}
	agent_cookie_set(res->set_cookie, sizeof(res->set_cookie), token);
	memset(token, 0, sizeof(token));
	res->status = 200;
	res->json = json_pack("{s:o, s:s}", "agent", agent_json(&s.agent), "csrf", s.csrf);
	store_agent_release(&s.agent);
}

static void agent_logout_route(void *vctx, const struct http_request *req, struct http_response *res)
{
	struct api_ctx *ctx = vctx;
	struct agent_session_info s;

	if (session(ctx, req, res, 1, &s))
		return;
	agent_logout(ctx->st, bot_id(ctx->bot), req->header(req, "Cookie"), NULL);
	store_agent_release(&s.agent);
	agent_cookie_clear(res->set_cookie, sizeof(res->set_cookie));
	res->status = 200;
	res->json = json_object();
}

static void agent_me(void *vctx, const struct http_request *req, struct http_response *res)
{
	struct api_ctx *ctx = vctx;
	struct agent_session_info s;
	json_t *o;

	if (session(ctx, req, res, 0, &s))
		return;
	o = handoff_overview(ctx->handoff, &s.agent);
	json_object_set_new(o, "agent", agent_json(&s.agent));
	json_object_set_new(o, "csrf", json_string(s.csrf));
	store_agent_release(&s.agent);
	res->status = 200;
	res->json = o;
}

/* One agent action: the session (and its CSRF token when the action
 * changes something), then fn with the agent, then fn's result as the
 * answer. fn reports bad input as LK_EINVAL with a reason (400). */
typedef int (*action_fn)(struct api_ctx *ctx, const struct http_request *req,
			 const struct store_agent *a, json_t **out, struct lk_err *err);

static void act(void *vctx, const struct http_request *req, struct http_response *res,
		int changes, int status, action_fn fn)
{
	struct api_ctx *ctx = vctx;
	struct agent_session_info s;
	struct lk_err err = {0};
	json_t *out = NULL;
	int rc;

	if (session(ctx, req, res, changes, &s))
		return;
	rc = fn(ctx, req, &s.agent, &out, &err);
	store_agent_release(&s.agent);
	if (!rc && status == 204) {
		json_decref(out);
		res->status = 204;
		return;
	}
	reply(res, rc, &err, status, out);
}

#define ACTION_ROUTE(name, changes, status, fn)                                               \
	static void name(void *ctx, const struct http_request *req, struct http_response *res) \
	{                                                                                      \
		act(ctx, req, res, changes, status, fn);                                           \
	}

static int queue(struct api_ctx *ctx, const struct http_request *req, const struct store_agent *a,
		 json_t **out, struct lk_err *err)
{
	return handoff_queue(ctx->handoff, a, out, err);
}

static int claim(struct api_ctx *ctx, const struct http_request *req, const struct store_agent *a,
		 json_t **out, struct lk_err *err)
{
	json_t *id = json_object_get(req->json, "conv_id");

	if (id && !json_is_null(id) && !json_is_string(id))
		return lk_err_setr(err, LK_EINVAL, "invalid_request", "conv_id must be text");
	return handoff_claim(ctx->handoff, a, json_string_value(id), out, err);
}

static int conversation(struct api_ctx *ctx, const struct http_request *req,
			const struct store_agent *a, json_t **out, struct lk_err *err)
{
	return handoff_conversation(ctx->handoff, a, req->params[0], out, err);
}

static int send_text(struct api_ctx *ctx, const struct http_request *req,
		     const struct store_agent *a, json_t **out, struct lk_err *err)
{
	json_t *text = json_object_get(req->json, "text");

	if (!json_is_string(text) || strlen(json_string_value(text)) != json_string_length(text))
		return lk_err_setr(err, LK_EINVAL, "missing_text", "send {\"text\": \"...\"}");
	return handoff_send(ctx->handoff, a, req->params[0], json_string_value(text), out, err);
}

static int typing(struct api_ctx *ctx, const struct http_request *req, const struct store_agent *a,
		  json_t **out, struct lk_err *err)
{
	return handoff_typing(ctx->handoff, a, req->params[0], err);
}

static int transfer(struct api_ctx *ctx, const struct http_request *req,
		    const struct store_agent *a, json_t **out, struct lk_err *err)
{
	return handoff_transfer(ctx->handoff, a, req->params[0], member(req->json, "team"), out,
				err);
}

static int release(struct api_ctx *ctx, const struct http_request *req,
		   const struct store_agent *a, json_t **out, struct lk_err *err)
{
	return handoff_release(ctx->handoff, a, req->params[0], err);
}

static int give_back(struct api_ctx *ctx, const struct http_request *req,
		     const struct store_agent *a, json_t **out, struct lk_err *err)
{
	return handoff_return(ctx->handoff, a, req->params[0], err);
}

static int close_conv(struct api_ctx *ctx, const struct http_request *req,
		      const struct store_agent *a, json_t **out, struct lk_err *err)
{
	json_t *summary = json_object_get(req->json, "summary");

	if (summary && !json_is_null(summary) &&
	    (!json_is_string(summary) || json_string_length(summary) > HANDOFF_SUMMARY_MAX))
		return lk_err_setr(err, LK_EINVAL, "invalid_summary",
				   "summary must be text of at most 4000 bytes");
	return handoff_close(ctx->handoff, a, req->params[0], json_string_value(summary), out, err);
}

static int assign(struct api_ctx *ctx, const struct http_request *req, const struct store_agent *a,
		  json_t **out, struct lk_err *err)
{
	return handoff_assign(ctx->handoff, a, req->params[0], member(req->json, "agent_id"), out,
			      err);
}

static int tickets(struct api_ctx *ctx, const struct http_request *req,
		   const struct store_agent *a, json_t **out, struct lk_err *err)
{
	return handoff_tickets(ctx->handoff, a, req->query(req, "status"), out, err);
}

static int ticket_done(struct api_ctx *ctx, const struct http_request *req,
		       const struct store_agent *a, json_t **out, struct lk_err *err)
{
	return handoff_ticket_done(ctx->handoff, a, req->params[0], err);
}

/* "17" -> 17; absent -> dflt; anything else -> -1. */
static int64_t query_number(const struct http_request *req, const char *key, int64_t dflt)
{
	const char *v = req->query(req, key);

	return v ? http_parse_seq(v) : dflt;
}

static int audit(struct api_ctx *ctx, const struct http_request *req, const struct store_agent *a,
		 json_t **out, struct lk_err *err)
{
	int64_t before = query_number(req, "before", 0), limit = query_number(req, "limit", 100);

	if (before < 0 || limit < 1 || limit > 1000)
		return lk_err_setr(err, LK_EINVAL, "invalid_request",
				   "before and limit (1..1000) must be numbers");
	return handoff_audit_list(ctx->handoff, a, req->query(req, "conv_id"), before,
				  (size_t)limit, out, err);
}

ACTION_ROUTE(agent_queue, 0, 200, queue)
ACTION_ROUTE(agent_claim, 1, 200, claim)
ACTION_ROUTE(agent_conversation, 0, 200, conversation)
ACTION_ROUTE(agent_send, 1, 200, send_text)
ACTION_ROUTE(agent_typing, 1, 204, typing)
ACTION_ROUTE(agent_transfer, 1, 200, transfer)
ACTION_ROUTE(agent_release, 1, 200, release)
ACTION_ROUTE(agent_return, 1, 200, give_back)
ACTION_ROUTE(agent_close, 1, 200, close_conv)
ACTION_ROUTE(agent_assign, 1, 200, assign)
ACTION_ROUTE(agent_tickets, 0, 200, tickets)
ACTION_ROUTE(agent_ticket_done, 1, 200, ticket_done)
ACTION_ROUTE(agent_audit, 0, 200, audit)

/* --- accounts --- */

static json_t *account_json(struct api_ctx *ctx, const struct store_agent *a)
{
	json_t *o = agent_json(a);

	json_object_set_new(o, "disabled", json_boolean(a->disabled));
	json_object_set_new(o, "online", json_boolean(handoff_agent_online(ctx->handoff, a)));
	return o;
}

static void agent_accounts(void *vctx, const struct http_request *req, struct http_response *res)
{
	struct api_ctx *ctx = vctx;
	struct agent_session_info s;
	struct store_agents l;
	struct lk_err err = {0};
	json_t *list;

	if (session(ctx, req, res, 0, &s))
		return;
	if (!handoff_is_supervisor(&s.agent)) {
		store_agent_release(&s.agent);
		http_error(res, 403, "forbidden", "only supervisors and admins see the accounts");
		return;
	}
	store_agent_release(&s.agent);
	if (store_agent_list(ctx->st, bot_id(ctx->bot), &l, &err)) {
		http_error_from(res, &err);
		return;
	}
	list = json_array();
	for (size_t i = 0; i < l.n; i++)
		json_array_append_new(list, account_json(ctx, &l.v[i]));
	store_agents_release(&l);
	res->status = 200;
	res->json = json_pack("{s:o}", "accounts", list);
}

/* Teams named in an account must exist; *out: the compact JSON text or NULL
 * when absent. 0, or -1 after an error response. */
static int account_teams(struct api_ctx *ctx, const json_t *body, struct http_response *res,
			 char **out)
{
	json_t *teams = json_object_get(body, "teams"), *v;
	size_t i;

	*out = NULL;
	if (!teams || json_is_null(teams))
		return 0;
	if (!json_is_array(teams)) {
		http_error(res, 400, "invalid_teams", "teams must be a list of team ids");
		return -1;
	}
	json_array_foreach(teams, i, v) {
		if (!json_is_string(v) ||
		    handoff_team_index(bot_handoff(ctx->bot), json_string_value(v)) < 0) {
			http_error(res, 400, "invalid_teams", "teams must name teams of this bot");
			return -1;
		}
	}
	*out = json_dumps(teams, JSON_COMPACT);
	return 0;
}

static int require_admin(struct agent_session_info *s, struct http_response *res)
{
	if (!strcmp(s->agent.role, "admin"))
		return 0;
	store_agent_release(&s->agent);
	http_error(res, 403, "forbidden", "only admins manage accounts");
	return -1;
}

static void agent_account_add(void *vctx, const struct http_request *req, struct http_response *res)
{
	struct api_ctx *ctx = vctx;
	struct agent_session_info s;
	struct store_agent made;
	struct lk_err err = {0};
	char id[STORE_AGENT_ID_MAX], *teams = NULL;
	int rc;

	if (session(ctx, req, res, 1, &s) || require_admin(&s, res))
		return;
	if (account_teams(ctx, req->json, res, &teams))
		goto out;
	rc = agent_account_create(ctx->st, bot_id(ctx->bot), member(req->json, "username"),
				  member(req->json, "name"), member(req->json, "role"),
				  teams ? teams : "[]", member(req->json, "password"), id, &err);
	if (rc) {
		http_error_from(res, &err);
		goto out;
	}
	handoff_audit(ctx->handoff, s.agent.id, "account_add", NULL, NULL, id);
	memset(&made, 0, sizeof(made));
	if (store_agent_get(ctx->st, bot_id(ctx->bot), id, &made, &err)) {
		http_error_from(res, &err);
		goto out;
	}
	res->status = 201;
	res->json = json_pack("{s:o}", "account", account_json(ctx, &made));
	store_agent_release(&made);
out:
	free(teams);
	store_agent_release(&s.agent);
}

static void agent_account_change(void *vctx, const struct http_request *req,
				 struct http_response *res)
{
	struct api_ctx *ctx = vctx;
	struct agent_session_info s;
	struct agent_account_change c = {0};
	struct lk_err err = {0};
	json_t *disabled = json_object_get(req->json, "disabled");
	char *teams = NULL;

	if (session(ctx, req, res, 1, &s) || require_admin(&s, res))
		return;
	if (account_teams(ctx, req->json, res, &teams))
		goto out;
	if (disabled && !json_is_boolean(disabled)) {
		http_error(res, 400, "invalid_request", "disabled must be true or false");
		goto out;
	}
	c.name = member(req->json, "name");
	c.role = member(req->json, "role");
	c.teams_json = teams;
	c.password = member(req->json, "password");
	c.disabled = disabled ? json_is_true(disabled) : -1;
	if (agent_account_update(ctx->st, bot_id(ctx->bot), req->params[0], &c, &err)) {
		http_error_from(res, &err);
		goto out;
	}
	handoff_audit(ctx->handoff, s.agent.id, "account_update", NULL, NULL, req->params[0]);
	res->status = 200;
	res->json = json_object();
out:
	free(teams);
	store_agent_release(&s.agent);
}

/* --- event streams --- */

/* An agent's console stream keeps them online until it ends. */
struct online {
	struct handoff *h;
	char agent_id[STORE_AGENT_ID_MAX];
};

static void console_closed(void *arg)
{
	struct online *o = arg;

	handoff_agent_stream_close(o->h, o->agent_id);
	free(o);
}

/* The console's stream: the queue events of every team the agent sees. */
static void agent_events(void *vctx, const struct http_request *req, struct http_response *res)
{
	struct api_ctx *ctx = vctx;
	struct agent_session_info s;
	struct online *o;
	struct http_subs *src;
	char keys[HTTP_SUBS_MAX][48];
	size_t n;

	if (session(ctx, req, res, 0, &s))
		return;
	n = handoff_event_keys(ctx->handoff, &s.agent, keys, HTTP_SUBS_MAX);
	if (!n) {
		store_agent_release(&s.agent);
		http_error(res, 403, "forbidden", "this account is in no team");
		return;
	}
	o = xcalloc(1, sizeof(*o));
	o->h = ctx->handoff;
	snprintf(o->agent_id, sizeof(o->agent_id), "%s", s.agent.id);
	src = http_subs_new(console_closed, o);
	for (size_t i = 0; i < n; i++) {
		struct conv_sub *sub = conv_events_subscribe(conv_engine_events(ctx->engine), keys[i],
							     http_subs_notify, src);

		conv_sub_replay_done(sub);
		http_subs_add(src, sub);
	}
	handoff_agent_stream_open(ctx->handoff, s.agent.id);
	store_agent_release(&s.agent);
	http_subs_respond(src, res);
}

/* One conversation, for an agent who may see it. */
static void agent_conversation_events(void *vctx, const struct http_request *req,
				      struct http_response *res)
{
	struct api_ctx *ctx = vctx;
	struct agent_session_info s;
	struct http_subs *src;
	struct conv_sub *sub;
	struct lk_err err = {0};
	const char *last = req->last_event_id ? req->last_event_id : req->query(req, "after");
	int64_t after = http_parse_seq(last);
	int rc;

	if (session(ctx, req, res, 0, &s))
		return;
	rc = handoff_can_see(ctx->handoff, &s.agent, req->params[0], &err);
	store_agent_release(&s.agent);
	if (rc) {
		http_error_from(res, &err);
		return;
	}
	if (last && after < 0) {
		http_error(res, 400, "invalid_request", "Last-Event-ID must be a number");
		return;
	}
	src = http_subs_new(NULL, NULL);
	if (conv_subscribe_trusted(ctx->engine, req->params[0], after, http_subs_notify, src, &sub,
				   &err)) {
		http_subs_free(src);
		http_error_from(res, &err);
		return;
	}
	http_subs_add(src, sub);
	http_subs_respond(src, res);
}

/* --- the citizen's side --- */

void http_citizen_typing(void *vctx, const struct http_request *req, struct http_response *res)
{
	struct api_ctx *ctx = vctx;
	struct lk_err err = {0};

	if (conv_authorize(ctx->engine, req->params[0], req->bearer, &err)) {
		http_error_from(res, &err);
		return;
	}
	conv_events_publish(conv_engine_events(ctx->engine), req->params[0], "typing", 0,
			    "{\"role\":\"user\"}");
	res->status = 204;
}

const struct http_route agent_routes[] = {
	{"POST", "/api/v1/agent/login", agent_login_route, HTTP_ROUTE_JSON},
	{"POST", "/api/v1/agent/logout", agent_logout_route, 0},
	{"GET", "/api/v1/agent/me", agent_me, 0},
	{"GET", "/api/v1/agent/queue", agent_queue, 0},
	{"GET", "/api/v1/agent/events", agent_events, 0},
	{"POST", "/api/v1/agent/claim", agent_claim, HTTP_ROUTE_JSON},
	{"GET", "/api/v1/agent/conversations/:id", agent_conversation, 0},
	{"GET", "/api/v1/agent/conversations/:id/events", agent_conversation_events, 0},
	{"POST", "/api/v1/agent/conversations/:id/messages", agent_send, HTTP_ROUTE_JSON},
	{"POST", "/api/v1/agent/conversations/:id/typing", agent_typing, 0},
	{"POST", "/api/v1/agent/conversations/:id/transfer", agent_transfer, HTTP_ROUTE_JSON},
	{"POST", "/api/v1/agent/conversations/:id/release", agent_release, 0},
	{"POST", "/api/v1/agent/conversations/:id/return", agent_return, 0},
	{"POST", "/api/v1/agent/conversations/:id/close", agent_close, HTTP_ROUTE_JSON},
	{"POST", "/api/v1/agent/conversations/:id/assign", agent_assign, HTTP_ROUTE_JSON},
	{"GET", "/api/v1/agent/tickets", agent_tickets, 0},
	{"POST", "/api/v1/agent/tickets/:ref/done", agent_ticket_done, 0},
	{"GET", "/api/v1/agent/audit", agent_audit, 0},
	{"GET", "/api/v1/agent/accounts", agent_accounts, 0},
	{"POST", "/api/v1/agent/accounts", agent_account_add, HTTP_ROUTE_JSON},
	{"POST", "/api/v1/agent/accounts/:id", agent_account_change, HTTP_ROUTE_JSON},
	{0, 0, 0, 0},
};
