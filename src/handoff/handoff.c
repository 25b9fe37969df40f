/* handoff.c - the human handoff service (see handoff.h): triggers and what
 * the citizen is told, the agents' actions on the queue, the audit trail,
 * and the background thread for liveness, timeouts and queue places.
 */
#include "handoff/handoff.h"

#include "core/buf.h"
#include "core/clock.h"
#include "core/mem.h"
#include "handoff/handoff_config.h"
#include "handoff/handoff_hours.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <utf8proc.h>

#define TICK_MS 500
#define QUEUE_SHOWN 100      /* waiting conversations listed to an agent at once */
#define LIST_MAX 10000       /* handoffs read at once */
#define PREVIEW_MAX 140      /* bytes of a citizen's message shown in the queue */
#define SUMMARY_QUOTE_MAX 200
#define SEEN_EVERY_MS 1000   /* an agent's requests refresh last_seen at most this often */
#define PRUNE_EVERY_MS (10 * 60 * 1000)
#define ONLINE_EVERY_MS 2000 /* agents online per team, for the wait estimate */

struct online {
	char id[STORE_AGENT_ID_MAX];
	int streams;
};

struct handoff {
	const struct bot *bot;
	const struct handoff_config *cfg;
	struct store *st;
	struct conv_engine *engine;
	struct conv_handoff ops;
	pthread_t thread;
	int started;
	pthread_mutex_t mu;
	pthread_cond_t cond;
	/* under mu */
	int stopping;
	struct online *online;
	size_t n_online, cap_online;
	unsigned char dirty[HANDOFF_TEAMS_MAX]; /* queue places moved */
	int team_online[HANDOFF_TEAMS_MAX];     /* agents seen within the timeout */
	/* counters */
	atomic_uint_fast64_t started_n, after_hours, claims, timeouts, closed, agent_messages;
	atomic_size_t streams;
};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static const char *bot_of(const struct handoff *h)
{
	return bot_id(h->bot);
}

int handoff_is_supervisor(const struct store_agent *a)
{
	return !strcmp(a->role, "supervisor") || !strcmp(a->role, "admin");
}

/* The teams filter of an agent for the store: NULL (all) for supervisors. */
static const char *teams_filter(const struct store_agent *a)
{
	return handoff_is_supervisor(a) ? NULL : (a->teams ? a->teams : "[]");
}

/* The team's name; its id for a team no longer in bot.yaml (a handoff
 * queued before the configuration changed). */
static const char *team_name(const struct handoff *h, const char *team, const char *lang)
{
	const char *name = handoff_team_name(h->cfg, team, lang);

	return name ? name : team;
}

/* Whether the account lists the team (supervisors see every team). */
static int lists_team(const struct store_agent *a, const char *team)
{
	json_t *arr, *v;
	size_t i;
	int found = 0;

	arr = a->teams ? json_loads(a->teams, 0, NULL) : NULL;
	json_array_foreach(arr, i, v) {
		if (json_is_string(v) && !strcmp(json_string_value(v), team))
			found = 1;
	}
	json_decref(arr);
	return found;
}

static int agent_has_team(const struct store_agent *a, const char *team)
{
	return handoff_is_supervisor(a) || lists_team(a, team);
}

static void mark_dirty(struct handoff *h, const char *team)
{
	int i = handoff_team_index(h->cfg, team);

	if (i < 0)
		return;
	pthread_mutex_lock(&h->mu);
	h->dirty[i] = 1;
	pthread_mutex_unlock(&h->mu);
}

static int online_in_team(struct handoff *h, const char *team)
{
	int i = handoff_team_index(h->cfg, team), n;

	if (i < 0)
		return 0;
	pthread_mutex_lock(&h->mu);
	n = h->team_online[i];
	pthread_mutex_unlock(&h->mu);
	return n;
}

/* ------------------------------------------------------------------ */
/* audit and events                                                    */

void handoff_audit(struct handoff *h, const char *actor, const char *action, const char *conv_id,
		   const char *team, const char *detail)
{
	struct store_audit a;
	struct lk_err err = {0};

	memset(&a, 0, sizeof(a));
	a.at_ms = now_ms();
	snprintf(a.actor, sizeof(a.actor), "%s", actor);
	snprintf(a.action, sizeof(a.action), "%s", action);
	snprintf(a.conv_id, sizeof(a.conv_id), "%s", conv_id ? conv_id : "");
	snprintf(a.team, sizeof(a.team), "%s", team ? team : "");
	snprintf(a.detail, sizeof(a.detail), "%s", detail ? detail : "");
	if (store_audit_add(h->st, bot_of(h), &a, &err))
		fprintf(stderr, "loket: handoff: audit row not written: %s\n", err.msg);
}

/* Tells the consoles that see `team` (and supervisors') that the queue changed. */
static void publish_queue(struct handoff *h, const char *action, const char *conv_id,
			  const char *team, const char *agent_id)
{
	json_t *ev = json_pack("{s:s, s:s, s:s}", "action", action, "conv_id", conv_id, "team", team);
	char key[48], *text;

	if (agent_id && *agent_id)
		json_object_set_new(ev, "agent_id", json_string(agent_id));
	text = json_dumps(ev, JSON_COMPACT);
	json_decref(ev);
	if (!text)
		return;
	snprintf(key, sizeof(key), "q:%s", team);
	conv_events_publish(conv_engine_events(h->engine), key, "queue", 0, text);
	conv_events_publish(conv_engine_events(h->engine), "q:*", "queue", 0, text);
	free(text);
}

size_t handoff_event_keys(struct handoff *h, const struct store_agent *a, char keys[][48],
			  size_t max)
{
	size_t n = 0;

	if (!max)
		return 0;
	if (handoff_is_supervisor(a)) {
		snprintf(keys[0], 48, "q:*");
		return 1;
	}
	for (size_t i = 0; i < handoff_team_count(h->cfg) && n < max; i++) {
		const char *team = handoff_team_id(h->cfg, i);

		if (agent_has_team(a, team))
			snprintf(keys[n++], 48, "q:%s", team);
	}
	return n;
}

/* ------------------------------------------------------------------ */
/* what the citizen is told                                            */

/* Catalogue message `key` with {name} placeholders from vars (pairs of
 * name, value; NULL-terminated) filled in. */
static void say(struct handoff *h, const char *lang, const char *key, const char *const *vars,
		struct buf *out)
{
	struct buf tmpl;
	const char *p;

	buf_init(&tmpl, 8192);
	bot_message(h->bot, lang, key, &tmpl);
	for (p = tmpl.ptr; *p;) {
		const char *close = *p == '{' ? strchr(p, '}') : NULL;
		int done = 0;

		if (close) {
			for (const char *const *v = vars; v && *v; v += 2) {
				size_t n = strlen(v[0]);

				if ((size_t)(close - p - 1) == n && !strncmp(p + 1, v[0], n)) {
					buf_adds(out, v[1] ? v[1] : "");
					p = close + 1;
					done = 1;
					break;
				}
			}
		}
		if (!done)
			buf_addc(out, *p++);
	}
	buf_release(&tmpl);
}

static json_t *notice(struct handoff *h, const char *lang, const char *key,
		      const char *const *vars, json_t *state)
{
	struct buf text;
	json_t *msg;

	buf_init(&text, 8192);
	say(h, lang, key, vars, &text);
	msg = json_pack("{s:s, s:s, s:s, s:[], s:[]}", "role", "bot", "kind", "handoff", "text",
			text.ptr, "sources", "quick_replies");
	buf_release(&text);
	if (state)
		json_object_set_new(msg, "handoff", state);
	return msg;
}

static void add_button(struct handoff *h, const char *lang, json_t *msg, const char *label_key,
		       const char *payload)
{
	struct buf label;

	buf_init(&label, 1024);
	bot_message(h->bot, lang, label_key, &label);
	json_array_append_new(json_object_get(msg, "quick_replies"),
			      json_pack("{s:s, s:s}", "label", label.ptr, "payload", payload));
	buf_release(&label);
}

static int wait_minutes(struct handoff *h, const char *team, int64_t pos)
{
	int64_t agents = online_in_team(h, team);
	int64_t m = (pos * handoff_minutes_per_conversation(h->cfg) + (agents ? agents : 1) - 1) /
		    (agents ? agents : 1);

	return m < 1 ? 1 : (int)m;
}

/* state.handoff as the citizen sees it. */
static json_t *citizen_state(struct handoff *h, const struct store_handoff *r, const char *lang,
			     int64_t pos, const char *agent_name)
{
	json_t *s = json_pack("{s:s, s:s, s:s}", "status", r->status, "team", r->team, "team_name",
			      team_name(h, r->team, lang));

	if (!strcmp(r->status, "waiting") && pos > 0) {
		json_object_set_new(s, "position", json_integer(pos));
		json_object_set_new(s, "wait_minutes", json_integer(wait_minutes(h, r->team, pos)));
	}
	if (agent_name)
		json_object_set_new(s, "agent", json_string(agent_name));
	return s;
}

static int64_t position_of(struct handoff *h, const char *conv_id)
{
	int64_t pos = 0;

	store_handoff_position(h->st, bot_of(h), conv_id, &pos, NULL);
	return pos;
}

/* The "you are number N" message of a waiting conversation. */
static json_t *queued_notice(struct handoff *h, const struct store_handoff *r, const char *lang,
			     const char *key)
{
	int64_t pos = position_of(h, r->conv_id);
	char p[24], m[24];
	const char *vars[] = {"team", team_name(h, r->team, lang), "position", p,
			      "minutes", m, NULL};
	json_t *msg;

	snprintf(p, sizeof(p), "%lld", (long long)(pos > 0 ? pos : 1));
	snprintf(m, sizeof(m), "%d", wait_minutes(h, r->team, pos > 0 ? pos : 1));
	msg = notice(h, lang, key, vars, citizen_state(h, r, lang, pos, NULL));
	add_button(h, lang, msg, "handoff_cancel_button", "handoff:cancel");
	return msg;
}

/* "op maandag vanaf 08:30 uur" */
static void format_next_open(struct handoff *h, const char *lang, int64_t at, struct buf *out)
{
	struct buf days;
	time_t local;
	struct tm tm;
	char hm[8], day[64] = "";
	const char *p;
	int i = 0;

	if (!at) {
		say(h, lang, "handoff_never_open", NULL, out);
		return;
	}
	local = (time_t)(at + lk_amsterdam_offset(at));
	gmtime_r(&local, &tm);
	snprintf(hm, sizeof(hm), "%02d:%02d", tm.tm_hour, tm.tm_min);
	buf_init(&days, 1024);
	bot_message(h->bot, lang, "date_days", &days);
	for (p = days.ptr; *p && i < tm.tm_wday; p++)
		if (*p == ',')
			i++;
	snprintf(day, sizeof(day), "%.*s", (int)strcspn(p, ","), p);
	buf_release(&days);
	{
		const char *vars[] = {"day", day, "time", hm, NULL};

		say(h, lang, "handoff_next_open_format", vars, out);
	}
}

/* ------------------------------------------------------------------ */
/* starting a handoff (under the conversation's lock: never conv_append) */

/* The team a handoff goes to: a hint (topic), the flow the citizen is in,
 * keywords in what they wrote, or the default team. */
static const char *pick_team(struct handoff *h, const struct store_conv *c, const char *hint,
			     const char *text)
{
	const char *team = hint;
	char *state = NULL;

	if (!team && !store_conv_state_get(h->st, c->id, &state, NULL) && state) {
		json_t *s = json_loads(state, 0, NULL);
		const char *flow = json_string_value(json_object_get(s, "flow"));

		if (flow)
			team = handoff_flow_team(h->cfg, flow);
		json_decref(s);
	}
	free(state);
	if (!team && text)
		team = handoff_keyword_team(h->cfg, text);
	if (!team) {
		struct store_turns turns;

		/* the citizen's recent messages, newest first */
		if (!store_turns_list(h->st, c->id, &turns, NULL)) {
			int seen = 0;

			for (size_t i = turns.n; i > 0 && !team && seen < 5; i--) {
				const struct store_turn *t = &turns.v[i - 1];

				if (strcmp(t->role, "user") || strcmp(t->kind, "text") || !t->text)
					continue;
				seen++;
				team = handoff_keyword_team(h->cfg, t->text);
			}
			store_turns_release(&turns);
		}
	}
	return team ? team : handoff_default_team(h->cfg);
}

static const char *actor_of_reason(const char *reason)
{
	return !strcmp(reason, "asked") ? "citizen" : "bot";
}

/* Queues the conversation (or, after hours, offers to leave a question);
 * appends what the citizen is told to t->msgs. */
static int start(struct handoff *h, struct conv_handoff_turn *t, const char *reason,
		 const char *team_hint, const char *notice_key, struct lk_err *err)
{
	const struct store_conv *c = t->conv;
	const char *team = pick_team(h, c, team_hint, t->text);
	struct store_handoff r;
	int64_t now = now_ms();
	int rc;

	if (notice_key)
		json_array_append_new(t->msgs, notice(h, c->lang, notice_key, NULL, NULL));
	memset(&r, 0, sizeof(r));
	snprintf(r.conv_id, sizeof(r.conv_id), "%s", c->id);
	snprintf(r.team, sizeof(r.team), "%s", team);
	snprintf(r.reason, sizeof(r.reason), "%s", reason);
	r.requested_ms = now;
	if (!handoff_team_open(h->cfg, team, lk_now())) {
		struct buf when;
		json_t *msg;

		snprintf(r.status, sizeof(r.status), "closed");
		snprintf(r.outcome, sizeof(r.outcome), "after_hours");
		r.closed_ms = now;
		if ((rc = store_handoff_open(h->st, bot_of(h), &r, err)) && rc != LK_EEXIST)
			return rc;
		buf_init(&when, 1024);
		format_next_open(h, c->lang, handoff_team_next_open(h->cfg, team, lk_now()), &when);
		{
			const char *vars[] = {"team", team_name(h, team, c->lang),
					      "next_open", when.ptr, NULL};

			msg = notice(h, c->lang, "handoff_closed_hours", vars,
				     json_pack("{s:s, s:s, s:s, s:b}", "status", "closed", "team", team,
					       "team_name", team_name(h, team, c->lang),
					       "after_hours", 1));
		}
		buf_release(&when);
		add_button(h, c->lang, msg, "handoff_ticket_button", "flow:vraag-achterlaten");
		add_button(h, c->lang, msg, "handoff_no_button", "handoff:decline");
		json_array_append_new(t->msgs, msg);
		atomic_fetch_add(&h->after_hours, 1);
		return 0;
	}
	snprintf(r.status, sizeof(r.status), "waiting");
	rc = store_handoff_open(h->st, bot_of(h), &r, err);
	if (rc == LK_EEXIST) {
		store_handoff_release(&r);
		memset(&r, 0, sizeof(r));
		if ((rc = store_handoff_active(h->st, bot_of(h), c->id, &r, err)))
			return rc;
	} else if (rc) {
		return rc;
	} else {
		handoff_audit(h, actor_of_reason(reason), "handoff", c->id, team, reason);
		publish_queue(h, "waiting", c->id, team, NULL);
		atomic_fetch_add(&h->started_n, 1);
	}
	json_array_append_new(t->msgs, queued_notice(h, &r, c->lang, "handoff_queued"));
	t->handoff = json_incref(json_object_get(json_array_get(t->msgs, json_array_size(t->msgs) - 1),
						 "handoff"));
	store_handoff_release(&r);
	return 0;
}

/* Did the citizen ask for a person? Also after a greeting ("hallo, ik wil
 * een medewerker spreken"). */
static int asks_for_person(struct handoff *h, const char *lang, const char *text)
{
	struct buf rest;
	enum bot_intent in;

	buf_init(&rest, 8192);
	in = bot_intent_match(h->bot, lang, text, &rest);
	if (in == BOT_INTENT_GREETING && rest.len) {
		char *again = xstrdup(rest.ptr);

		buf_reset(&rest);
		in = bot_intent_match(h->bot, lang, again, &rest);
		free(again);
	}
	buf_release(&rest);
	return in == BOT_INTENT_HUMAN;
}

/* A message while a person has (or is about to have) the conversation. */
static int during(struct handoff *h, struct conv_handoff_turn *t, struct store_handoff *r,
		  struct lk_err *err)
{
	const char *lang = t->conv->lang;
	int rc;

	if (t->action && !strcmp(t->action, "handoff:cancel")) {
		struct store_handoff closed = {0};

		rc = store_handoff_close(h->st, bot_of(h), r->conv_id, NULL, "cancelled", NULL,
					 now_ms(), &closed, err);
		store_handoff_release(&closed);
		if (rc)
			return rc;
		handoff_audit(h, "citizen", "cancel", r->conv_id, r->team, r->status);
		publish_queue(h, "cancelled", r->conv_id, r->team, r->agent);
		mark_dirty(h, r->team);
		json_array_append_new(t->msgs, notice(h, lang, "handoff_cancelled", NULL,
						      json_pack("{s:s, s:s}", "status", "closed",
								"team", r->team)));
		t->handoff = json_pack("{s:s, s:s}", "status", "closed", "team", r->team);
		return CONV_HANDOFF_TAKEN;
	}
	if (t->action && !strcmp(t->action, "handoff:request") && !strcmp(r->status, "waiting")) {
		json_array_append_new(t->msgs, queued_notice(h, r, lang, "handoff_still_waiting"));
		t->handoff = citizen_state(h, r, lang, position_of(h, r->conv_id), NULL);
		return CONV_HANDOFF_TAKEN;
	}
	/* Stored without a reply; the agent sees it on the conversation's stream. */
	publish_queue(h, "message", r->conv_id, r->team, r->agent);
	t->handoff = citizen_state(h, r, lang,
				   !strcmp(r->status, "waiting") ? position_of(h, r->conv_id) : 0,
				   NULL);
	return CONV_HANDOFF_TAKEN;
}

static int hook_before(void *impl, struct conv_handoff_turn *t, struct lk_err *err)
{
	struct handoff *h = impl;
	struct store_handoff r;
	const char *team, *notice_key = NULL;
	int rc;

	memset(&r, 0, sizeof(r));
	rc = store_handoff_active(h->st, bot_of(h), t->conv->id, &r, err);
	if (!rc) {
		rc = during(h, t, &r, err);
		store_handoff_release(&r);
		return rc;
	}
	if (rc != LK_ENOTFOUND)
		return rc;
	if (t->action) {
		if (!strcmp(t->action, "handoff:request")) {
			rc = start(h, t, "asked", NULL, NULL, err);
			return rc ? rc : CONV_HANDOFF_TAKEN;
		}
		if (!strcmp(t->action, "handoff:decline")) {
			json_array_append_new(t->msgs, notice(h, t->conv->lang, "handoff_declined",
							      NULL, NULL));
			return CONV_HANDOFF_TAKEN;
		}
		if (!strcmp(t->action, "handoff:cancel"))
			return CONV_HANDOFF_TAKEN; /* an old button: nothing waits any more */
		return CONV_HANDOFF_PASS;
	}
	team = handoff_topic_team(h->cfg, t->text, &notice_key);
	if (team) {
		rc = start(h, t, "topic", team, notice_key, err);
		return rc ? rc : CONV_HANDOFF_TAKEN;
	}
	if (asks_for_person(h, t->conv->lang, t->text)) {
		rc = start(h, t, "asked", NULL, NULL, err);
		return rc ? rc : CONV_HANDOFF_TAKEN;
	}
	return CONV_HANDOFF_PASS;
}

/* Bot turns at the end of the conversation that were fallbacks. */
static int trailing_fallbacks(struct handoff *h, const char *conv_id)
{
	struct store_turns turns;
	int n = 0;

	if (store_turns_list(h->st, conv_id, &turns, NULL))
		return 0;
	for (size_t i = turns.n; i > 0; i--) {
		const struct store_turn *t = &turns.v[i - 1];

		if (!strcmp(t->role, "user"))
			continue;
		if (strcmp(t->kind, "fallback"))
			break;
		n++;
	}
	store_turns_release(&turns);
	return n;
}

static int is_kind(json_t *msg, const char *kind)
{
	const char *k = json_string_value(json_object_get(msg, "kind"));

	return k && !strcmp(k, kind);
}

static int hook_after(void *impl, struct conv_handoff_turn *t, struct lk_err *err)
{
	struct handoff *h = impl;
	size_t n = json_array_size(t->msgs);
	int need = handoff_fallbacks(h->cfg);

	/* a flow's third failed answer: a person takes over from here */
	for (size_t i = 0; i < n; i++) {
		if (is_kind(json_array_get(t->msgs, i), "handoff")) {
			while (json_array_size(t->msgs) > i)
				json_array_remove(t->msgs, i);
			return start(h, t, "flow_fails", NULL, NULL, err);
		}
	}
	if (need > 0 && n && is_kind(json_array_get(t->msgs, n - 1), "fallback") &&
	    trailing_fallbacks(h, t->conv->id) + 1 >= need) {
		/* the "I don't know" stays; its button is what happens now */
		json_array_clear(json_object_get(json_array_get(t->msgs, n - 1), "quick_replies"));
		return start(h, t, "fallbacks", NULL, NULL, err);
	}
	return 0;
}

static json_t *hook_describe(void *impl, const char *conv_id)
{
	struct handoff *h = impl;
	struct store_handoff r;
	struct store_conv c;
	json_t *out = NULL;

	memset(&r, 0, sizeof(r));
	if (store_handoff_active(h->st, bot_of(h), conv_id, &r, NULL))
		return NULL;
	if (!store_conv_get(h->st, conv_id, &c, NULL)) {
		struct store_agent a;

		memset(&a, 0, sizeof(a));
		if (*r.agent && !store_agent_get(h->st, bot_of(h), r.agent, &a, NULL)) {
			out = citizen_state(h, &r, c.lang, 0, a.name);
			store_agent_release(&a);
		} else {
			out = citizen_state(h, &r, c.lang, position_of(h, conv_id), NULL);
		}
	}
	store_handoff_release(&r);
	return out;
}

/* ------------------------------------------------------------------ */
/* agents                                                              */

void handoff_agent_seen(struct handoff *h, const struct store_agent *a)
{
	int64_t now = now_ms();

	if (now - a->last_seen_ms >= SEEN_EVERY_MS)
		store_agent_seen(h->st, bot_of(h), a->id, now, NULL);
}

int handoff_agent_online(struct handoff *h, const struct store_agent *a)
{
	return !a->disabled &&
	       now_ms() - a->last_seen_ms <= (int64_t)handoff_agent_timeout_s(h->cfg) * 1000;
}

void handoff_agent_stream_open(struct handoff *h, const char *agent_id)
{
	size_t i;

	store_agent_seen(h->st, bot_of(h), agent_id, now_ms(), NULL);
	pthread_mutex_lock(&h->mu);
	for (i = 0; i < h->n_online; i++)
		if (!strcmp(h->online[i].id, agent_id))
			break;
	if (i == h->n_online) {
		if (h->n_online == h->cap_online) {
			h->cap_online = h->cap_online ? 2 * h->cap_online : 16;
			h->online = xrealloc(h->online, h->cap_online * sizeof(*h->online));
		}
		memset(&h->online[i], 0, sizeof(h->online[i]));
		snprintf(h->online[i].id, sizeof(h->online[i].id), "%s", agent_id);
		h->n_online++;
	}
	h->online[i].streams++;
	pthread_mutex_unlock(&h->mu);
	atomic_fetch_add(&h->streams, 1);
}

void handoff_agent_stream_close(struct handoff *h, const char *agent_id)
{
	pthread_mutex_lock(&h->mu);
	for (size_t i = 0; i < h->n_online; i++) {
		if (strcmp(h->online[i].id, agent_id))
			continue;
		if (--h->online[i].streams <= 0)
			h->online[i] = h->online[--h->n_online];
		break;
	}
	pthread_mutex_unlock(&h->mu);
	atomic_fetch_sub(&h->streams, 1);
}

static void iso_ms(int64_t ms, char out[32])
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Agent names by id, for listings. */
static json_t *agent_names(struct handoff *h)
{
	struct store_agents l;
	json_t *names = json_object();

	if (store_agent_list(h->st, bot_of(h), &l, NULL))
		return names;
	for (size_t i = 0; i < l.n; i++)
		json_object_set_new(names, l.v[i].id, json_string(l.v[i].name));
	store_agents_release(&l);
	return names;
}

/* The citizen's last text message, cut to PREVIEW_MAX bytes on a character
 * boundary. */
static json_t *preview_of(const struct store_turns *turns)
{
	for (size_t i = turns->n; i > 0; i--) {
		const struct store_turn *t = &turns->v[i - 1];
		size_t n;

		if (strcmp(t->role, "user") || strcmp(t->kind, "text") || !t->text)
			continue;
		n = strlen(t->text);
		if (n > PREVIEW_MAX) {
			n = PREVIEW_MAX;
			while (n > 0 && ((unsigned char)t->text[n] & 0xC0) == 0x80)
				n--;
		}
		return json_stringn(t->text, n);
	}
	return json_string("");
}

/* H: a handoff as the console shows it. */
static json_t *handoff_json(struct handoff *h, const struct store_handoff *r, int64_t pos,
			    json_t *names, int with_preview)
{
	char when[32];
	struct store_conv c;
	json_t *o;
	int64_t now = now_ms();

	iso_ms(r->requested_ms, when);
	o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:I}", "conv_id", r->conv_id, "team", r->team,
		      "team_name", team_name(h, r->team, bot_default_lang(h->bot)),
		      "status", r->status, "reason", r->reason, "requested_at", when, "waited_s",
		      (json_int_t)((now - r->requested_ms) / 1000));
	json_object_set_new(o, "agent_id", *r->agent ? json_string(r->agent) : json_null());
	json_object_set(o, "agent_name",
			*r->agent && json_object_get(names, r->agent) ? json_object_get(names, r->agent)
								      : json_null());
	json_object_set_new(o, "position", pos > 0 ? json_integer(pos) : json_null());
	if (!store_conv_get(h->st, r->conv_id, &c, NULL)) {
		json_object_set_new(o, "lang", json_string(c.lang));
		json_object_set_new(o, "channel", json_string(c.channel));
	}
	if (with_preview) {
		struct store_turns turns;

		if (!store_turns_list(h->st, r->conv_id, &turns, NULL)) {
			json_object_set_new(o, "preview", preview_of(&turns));
			store_turns_release(&turns);
		}
	}
	return o;
}

json_t *handoff_overview(struct handoff *h, const struct store_agent *a)
{
	struct store_handoffs l = {0};
	json_t *teams = json_array(), *canned = json_object();
	const char *langs[BOT_MAX_LANGS];
	size_t nl = bot_languages(h->bot, langs, BOT_MAX_LANGS);

	store_handoff_list(h->st, bot_of(h), NULL, teams_filter(a), NULL, LIST_MAX, &l, NULL);
	for (size_t i = 0; i < handoff_team_count(h->cfg); i++) {
		const char *team = handoff_team_id(h->cfg, i);
		json_int_t waiting = 0, assigned = 0;

		if (!agent_has_team(a, team))
			continue;
		for (size_t k = 0; k < l.n; k++) {
			if (strcmp(l.v[k].team, team))
				continue;
			if (!strcmp(l.v[k].status, "waiting"))
				waiting++;
			else
				assigned++;
		}
		json_array_append_new(teams, json_pack("{s:s, s:s, s:b, s:I, s:I}", "id", team, "name",
						       team_name(h, team,
									 bot_default_lang(h->bot)),
						       "open", handoff_team_open(h->cfg, team, lk_now()),
						       "waiting", waiting, "assigned", assigned));
	}
	store_handoffs_release(&l);
	for (size_t i = 0; i < nl; i++) {
		json_t *list = json_array();

		for (const char *const *c = handoff_canned(h->cfg, langs[i]); *c; c++)
			json_array_append_new(list, json_string(*c));
		json_object_set_new(canned, langs[i], list);
	}
	return json_pack("{s:o, s:o, s:i}", "teams", teams, "canned", canned, "agent_timeout_s",
			 handoff_agent_timeout_s(h->cfg));
}

int handoff_queue(struct handoff *h, const struct store_agent *a, json_t **out,
		  struct lk_err *err)
{
	struct store_handoffs l = {0};
	json_t *waiting = json_array(), *mine = json_array(), *others = json_array();
	json_t *names = agent_names(h);
	int64_t place[HANDOFF_TEAMS_MAX] = {0};
	size_t total = 0;
	int rc;

	*out = NULL;
	rc = store_handoff_list(h->st, bot_of(h), NULL, teams_filter(a), NULL, LIST_MAX, &l, err);
	if (rc)
		goto out;
	for (size_t i = 0; i < l.n; i++) {
		const struct store_handoff *r = &l.v[i];
		int ti = handoff_team_index(h->cfg, r->team);

		if (!strcmp(r->status, "waiting")) {
			int64_t pos = ti >= 0 ? ++place[ti] : 0;

			total++;
			if (json_array_size(waiting) < QUEUE_SHOWN)
				json_array_append_new(waiting, handoff_json(h, r, pos, names, 1));
		} else if (!strcmp(r->agent, a->id)) {
			json_array_append_new(mine, handoff_json(h, r, 0, names, 1));
		} else {
			json_array_append_new(others, handoff_json(h, r, 0, names, 0));
		}
	}
	*out = json_pack("{s:O, s:I, s:O, s:O}", "waiting", waiting, "waiting_total",
			 (json_int_t)total, "mine", mine, "assigned", others);
out:
	store_handoffs_release(&l);
	json_decref(waiting);
	json_decref(mine);
	json_decref(others);
	json_decref(names);
	return rc;
}

/* The conversation's current (or last) handoff, checked against the agent's
 * teams. Caller releases r. */
static int load_visible(struct handoff *h, const struct store_agent *a, const char *conv_id,
			struct store_handoff *r, struct lk_err *err)
{
	int rc;

	memset(r, 0, sizeof(*r));
	rc = store_handoff_active(h->st, bot_of(h), conv_id, r, err);
	if (rc == LK_ENOTFOUND) {
		memset(r, 0, sizeof(*r));
		rc = store_handoff_latest(h->st, bot_of(h), conv_id, r, err);
	}
	if (rc == LK_ENOTFOUND)
		return lk_err_setr(err, LK_ENOTFOUND, "not_found",
				   "this conversation was never handed to a person");
	if (rc)
		return rc;
	if (!agent_has_team(a, r->team)) {
		store_handoff_release(r);
		memset(r, 0, sizeof(*r));
		return lk_err_setr(err, LK_EPERM, "forbidden",
				   "this conversation belongs to another team");
	}
	return 0;
}

int handoff_can_see(struct handoff *h, const struct store_agent *a, const char *conv_id,
		    struct lk_err *err)
{
	struct store_handoff r;
	int rc = load_visible(h, a, conv_id, &r, err);

	store_handoff_release(&r);
	return rc;
}

/* Tells the citizen, as a stored turn (and on WhatsApp/Telegram). */
static void tell_citizen(struct handoff *h, const char *conv_id, json_t *msg, const char *state)
{
	json_t *msgs = json_array();
	struct lk_err err = {0};

	json_array_append_new(msgs, msg);
	if (conv_append(h->engine, conv_id, msgs, state, NULL, &err))
		fprintf(stderr, "loket: handoff: could not tell the citizen: %s\n", err.msg);
	json_decref(msgs);
}

static const char *conv_lang(struct handoff *h, const char *conv_id, struct store_conv *c)
{
	if (store_conv_get(h->st, conv_id, c, NULL))
		snprintf(c->lang, sizeof(c->lang), "%s", bot_default_lang(h->bot));
	return c->lang;
}

static void tell_assigned(struct handoff *h, const struct store_handoff *r, const char *agent_name)
{
	struct store_conv c;
	const char *lang = conv_lang(h, r->conv_id, &c);
	const char *vars[] = {"agent", agent_name, "team", team_name(h, r->team, lang),
			      NULL};

	tell_citizen(h, r->conv_id,
		     notice(h, lang, "handoff_assigned", vars, citizen_state(h, r, lang, 0, agent_name)),
		     NULL);
}

static void tell_queued(struct handoff *h, const struct store_handoff *r, const char *key)
{
	struct store_conv c;
	const char *lang = conv_lang(h, r->conv_id, &c);

	tell_citizen(h, r->conv_id, queued_notice(h, r, lang, key), NULL);
}

int handoff_claim(struct handoff *h, const struct store_agent *a, const char *conv_id,
		  json_t **out, struct lk_err *err)
{
	struct store_handoff r;
	json_t *names;
	int rc;

	*out = NULL;
	memset(&r, 0, sizeof(r));
	if (conv_id)
		rc = store_handoff_claim(h->st, bot_of(h), conv_id, a->id, teams_filter(a), now_ms(),
					 &r, err);
	else
		rc = store_handoff_claim_next(h->st, bot_of(h), a->id, teams_filter(a), now_ms(), &r,
					      err);
	if (rc == LK_EBUSY)
		return lk_err_setr(err, LK_EEXIST, "already_claimed",
				   "another colleague already took this conversation");
	if (rc == LK_EPERM)
		return lk_err_setr(err, LK_EPERM, "forbidden",
				   "this conversation belongs to another team");
	if (rc == LK_ENOTFOUND)
		return lk_err_setr(err, LK_ENOTFOUND, conv_id ? "not_found" : "queue_empty",
				   conv_id ? "nobody is waiting in this conversation"
					   : "nobody is waiting in your teams");
	if (rc)
		return rc;
	atomic_fetch_add(&h->claims, 1);
	store_agent_seen(h->st, bot_of(h), a->id, now_ms(), NULL);
	handoff_audit(h, a->id, "claim", r.conv_id, r.team, NULL);
	publish_queue(h, "claimed", r.conv_id, r.team, a->id);
	mark_dirty(h, r.team);
	tell_assigned(h, &r, a->name);
	names = json_pack("{s:s}", a->id, a->name);
	*out = json_pack("{s:o}", "handoff", handoff_json(h, &r, 0, names, 1));
	json_decref(names);
	store_handoff_release(&r);
	return 0;
}

/* A short note of what happened, for the record and the next colleague. */
static char *summary_draft(struct handoff *h, const struct store_handoff *r,
			   const char *agent_name)
{
	static const struct {
		const char *reason, *nl;
	} reasons[] = {
		{"asked", "de inwoner vroeg om een medewerker"},
		{"fallbacks", "de digitale assistent kon de vraag niet beantwoorden"},
		{"flow_fails", "het lukte niet om de vragen van het formulier te beantwoorden"},
		{"topic", "een onderwerp dat altijd door een medewerker wordt behandeld"},
	};
	const char *why = r->reason;
	struct store_turns turns;
	struct buf b;
	const char *first = NULL;
	size_t citizen = 0, agent = 0;
	char *state = NULL;

	for (size_t i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++)
		if (!strcmp(reasons[i].reason, r->reason))
			why = reasons[i].nl;
	buf_init(&b, 4096);
	buf_addf(&b, "Team %s. Reden: %s.", team_name(h, r->team, "nl"), why);
	if (!store_turns_list(h->st, r->conv_id, &turns, NULL)) {
		for (size_t i = 0; i < turns.n; i++) {
			const struct store_turn *t = &turns.v[i];

			if (!strcmp(t->role, "user") && !strcmp(t->kind, "text") && t->text) {
				if (!first)
					first = t->text;
				if (t->created_at * 1000 >= r->requested_ms - 999)
					citizen++;
			} else if (!strcmp(t->role, "agent")) {
				agent++;
			}
		}
		if (first) {
			size_t n = strlen(first);

			if (n > SUMMARY_QUOTE_MAX) {
				n = SUMMARY_QUOTE_MAX;
				while (n > 0 && ((unsigned char)first[n] & 0xC0) == 0x80)
					n--;
			}
			buf_addf(&b, " Eerste vraag: \"%.*s%s\".", (int)n, first,
				 n < strlen(first) ? "..." : "");
		}
		store_turns_release(&turns);
	}
	if (!store_conv_state_get(h->st, r->conv_id, &state, NULL) && state) {
		json_t *s = json_loads(state, 0, NULL), *v;
		const char *flow = json_string_value(json_object_get(s, "flow")), *k;

		if (flow) {
			int n = 0;

			buf_addf(&b, " Ingevuld in '%s':", flow);
			json_object_foreach(json_object_get(s, "slots"), k, v) {
				char *val = json_is_string(v) ? NULL : json_dumps(v, JSON_ENCODE_ANY);

				buf_addf(&b, "%s %s = %.80s", n++ ? ";" : "", k,
					 val ? val : json_string_value(v));
				free(val);
			}
			buf_adds(&b, n ? "." : " nog niets.");
		}
		json_decref(s);
	}
	free(state);
	buf_addf(&b, " Berichten tijdens de overdracht: %zu van de inwoner, %zu van de medewerker.",
		 citizen, agent);
	if (agent_name && r->claimed_ms)
		buf_addf(&b, " Behandeld door %s in %lld min.", agent_name,
			 (long long)((now_ms() - r->claimed_ms + 59999) / 60000));
	return buf_detach(&b, NULL);
}

int handoff_conversation(struct handoff *h, const struct store_agent *a, const char *conv_id,
			 json_t **out, struct lk_err *err)
{
	struct store_handoff r;
	json_t *t = NULL, *names;
	char *draft;
	int rc;

	*out = NULL;
	if ((rc = load_visible(h, a, conv_id, &r, err)))
		return rc;
	rc = conv_transcript_trusted(h->engine, conv_id, &t, err);
	if (rc)
		goto out;
	names = agent_names(h);
	draft = summary_draft(h, &r, *r.agent && json_object_get(names, r.agent)
					     ? json_string_value(json_object_get(names, r.agent))
					     : NULL);
	*out = json_pack("{s:{s:O, s:O, s:O, s:O}, s:O, s:O, s:o, s:s}", "conversation", "id",
			 json_object_get(t, "id"), "lang", json_object_get(t, "lang"), "channel",
			 json_object_get(t, "channel"), "created_at", json_object_get(t, "created_at"),
			 "messages", json_object_get(t, "messages"), "flow",
			 json_object_get(t, "flow") ? json_object_get(t, "flow") : json_null(),
			 "handoff", handoff_json(h, &r, !strcmp(r.status, "waiting")
							? position_of(h, conv_id) : 0, names, 0),
			 "summary_draft", draft);
	if (r.summary)
		json_object_set_new(*out, "summary", json_string(r.summary));
	free(draft);
	json_decref(names);
out:
	json_decref(t);
	store_handoff_release(&r);
	return rc;
}

/* The active handoff, which the agent must hold. Only the holder talks to
 * the citizen; a supervisor may also transfer, release, return or close a
 * conversation someone else holds (override). Caller releases r. */
static int load_held_as(struct handoff *h, const struct store_agent *a, const char *conv_id,
			int override, struct store_handoff *r, struct lk_err *err)
{
	int rc = load_visible(h, a, conv_id, r, err);

	if (rc)
		return rc;
	if (!strcmp(r->status, "closed") ||
	    (strcmp(r->agent, a->id) &&
	     !(override && handoff_is_supervisor(a) && !strcmp(r->status, "assigned")))) {
		store_handoff_release(r);
		memset(r, 0, sizeof(*r));
		return lk_err_setr(err, LK_EEXIST, "not_holder",
				   "take this conversation first: it is not with you");
	}
	return 0;
}

static int load_held(struct handoff *h, const struct store_agent *a, const char *conv_id,
		     struct store_handoff *r, struct lk_err *err)
{
	return load_held_as(h, a, conv_id, 1, r, err);
}

static int valid_text(const char *text, size_t max, struct lk_err *err)
{
	size_t n = text ? strlen(text) : 0;
	int blank = 1;

	for (size_t i = 0; i < n && blank; i++)
		blank = text[i] == ' ' || text[i] == '\t' || text[i] == '\n' || text[i] == '\r';
	if (blank)
		return lk_err_setr(err, LK_EINVAL, "empty_text", "the message is empty");
	if (n > max)
		return lk_err_setr(err, LK_EINVAL, "text_too_long", "the message is longer than %zu bytes",
				   max);
	if (utf8proc_decompose((const utf8proc_uint8_t *)text, (utf8proc_ssize_t)n, NULL, 0, 0) < 0)
		return lk_err_setr(err, LK_EINVAL, "invalid_utf8", "the message is not valid UTF-8");
	return 0;
}

int handoff_send(struct handoff *h, const struct store_agent *a, const char *conv_id,
		 const char *text, json_t **out, struct lk_err *err)
{
	struct store_handoff r;
	json_t *msgs, *stored = NULL;
	int rc;

	*out = NULL;
	if ((rc = valid_text(text, CONV_TEXT_MAX, err)))
		return rc;
	if ((rc = load_held_as(h, a, conv_id, 0, &r, err)))
		return rc;
	msgs = json_pack("[{s:s, s:s, s:s, s:{s:s}, s:[], s:[]}]", "role", "agent", "kind", "agent",
			 "text", text, "agent", "name", a->name, "sources", "quick_replies");
	rc = conv_append(h->engine, conv_id, msgs, NULL, &stored, err);
	json_decref(msgs);
	if (!rc) {
		atomic_fetch_add(&h->agent_messages, 1);
		*out = json_pack("{s:O}", "message", json_array_get(stored, 0));
	}
	json_decref(stored);
	store_handoff_release(&r);
	return rc;
}

int handoff_typing(struct handoff *h, const struct store_agent *a, const char *conv_id,
		   struct lk_err *err)
{
	struct store_handoff r;
	json_t *ev;
	char *text;
	int rc;

	if ((rc = load_held_as(h, a, conv_id, 0, &r, err)))
		return rc;
	ev = json_pack("{s:s, s:s}", "role", "agent", "name", a->name);
	text = json_dumps(ev, JSON_COMPACT);
	if (text)
		conv_events_publish(conv_engine_events(h->engine), conv_id, "typing", 0, text);
	free(text);
	json_decref(ev);
	store_handoff_release(&r);
	return 0;
}

int handoff_transfer(struct handoff *h, const struct store_agent *a, const char *conv_id,
		     const char *team, json_t **out, struct lk_err *err)
{
	struct store_handoff r, moved;
	char detail[80];
	json_t *names;
	int rc;

	*out = NULL;
	if (!team || handoff_team_index(h->cfg, team) < 0)
		return lk_err_setr(err, LK_EINVAL, "unknown_team", "there is no such team");
	if ((rc = load_held(h, a, conv_id, &r, err)))
		return rc;
	memset(&moved, 0, sizeof(moved));
	rc = store_handoff_requeue(h->st, bot_of(h), conv_id,
				   handoff_is_supervisor(a) ? NULL : a->id, team, &moved, err);
	if (rc == LK_EBUSY)
		rc = lk_err_setr(err, LK_EEXIST, "not_holder", "this conversation is no longer with you");
	if (!rc) {
		snprintf(detail, sizeof(detail), "%s -> %s", r.team, team);
		handoff_audit(h, a->id, "transfer", conv_id, team, detail);
		publish_queue(h, "transferred", conv_id, r.team, a->id);
		if (strcmp(r.team, team))
			publish_queue(h, "transferred", conv_id, team, NULL);
		mark_dirty(h, r.team);
		mark_dirty(h, team);
		tell_queued(h, &moved, "handoff_transferred");
		names = json_object();
		*out = json_pack("{s:o}", "handoff",
				 handoff_json(h, &moved, position_of(h, conv_id), names, 0));
		json_decref(names);
	}
	store_handoff_release(&moved);
	store_handoff_release(&r);
	return rc;
}

int handoff_release(struct handoff *h, const struct store_agent *a, const char *conv_id,
		    struct lk_err *err)
{
	struct store_handoff r, moved;
	int rc;

	if ((rc = load_held(h, a, conv_id, &r, err)))
		return rc;
	memset(&moved, 0, sizeof(moved));
	rc = store_handoff_requeue(h->st, bot_of(h), conv_id,
				   handoff_is_supervisor(a) ? NULL : a->id, NULL, &moved, err);
	if (rc == LK_EBUSY)
		rc = lk_err_setr(err, LK_EEXIST, "not_holder", "this conversation is no longer with you");
	if (!rc) {
		handoff_audit(h, a->id, "release", conv_id, r.team, NULL);
		publish_queue(h, "released", conv_id, r.team, a->id);
		mark_dirty(h, r.team);
		tell_queued(h, &moved, "handoff_requeued");
	}
	store_handoff_release(&moved);
	store_handoff_release(&r);
	return rc;
}

/* Ends the handoff: back to the bot (outcome "returned") or closed. */
static int finish(struct handoff *h, const struct store_agent *a, const char *conv_id,
		  const char *outcome, const char *summary, json_t **out, struct lk_err *err)
{
	struct store_handoff r;
	struct store_conv c;
	char *draft = NULL;
	const char *lang;
	int rc, closing = !strcmp(outcome, "closed");

	if ((rc = load_held(h, a, conv_id, &r, err)))
		return rc;
	if (summary && summary[strspn(summary, " \t\r\n")] == '\0')
		summary = NULL; /* blank: the service writes one */
	if (summary && (rc = valid_text(summary, 4000, err)))
		goto out;
	if (!summary)
		summary = draft = summary_draft(h, &r, a->name);
	rc = store_handoff_close(h->st, bot_of(h), conv_id, handoff_is_supervisor(a) ? NULL : a->id,
				 outcome, summary, now_ms(), NULL, err);
	if (rc == LK_EBUSY)
		rc = lk_err_setr(err, LK_EEXIST, "not_holder", "this conversation is no longer with you");
	if (rc)
		goto out;
	atomic_fetch_add(&h->closed, 1);
	handoff_audit(h, a->id, closing ? "close" : "return", conv_id, r.team, NULL);
	publish_queue(h, closing ? "closed" : "returned", conv_id, r.team, a->id);
	lang = conv_lang(h, conv_id, &c);
	{
		const char *vars[] = {"agent", a->name, NULL};

		/* the flow the bot was in is over: the citizen starts afresh */
		tell_citizen(h, conv_id,
			     notice(h, lang, closing ? "handoff_closed" : "handoff_returned", vars,
				    json_pack("{s:s, s:s}", "status", "closed", "team", r.team)),
			     "");
	}
	if (out)
		*out = json_pack("{s:s}", "summary", summary);
out:
	free(draft);
	store_handoff_release(&r);
	return rc;
}

int handoff_return(struct handoff *h, const struct store_agent *a, const char *conv_id,
		   struct lk_err *err)
{
	return finish(h, a, conv_id, "returned", NULL, NULL, err);
}

int handoff_close(struct handoff *h, const struct store_agent *a, const char *conv_id,
		  const char *summary, json_t **out, struct lk_err *err)
{
	*out = NULL;
	return finish(h, a, conv_id, "closed", summary, out, err);
}

int handoff_assign(struct handoff *h, const struct store_agent *a, const char *conv_id,
		   const char *agent_id, json_t **out, struct lk_err *err)
{
	struct store_handoff r, given;
	struct store_agent to;
	json_t *names;
	int rc;

	*out = NULL;
	if (!handoff_is_supervisor(a))
		return lk_err_setr(err, LK_EPERM, "forbidden", "only supervisors assign conversations");
	memset(&to, 0, sizeof(to));
	if (!agent_id || store_agent_get(h->st, bot_of(h), agent_id, &to, NULL) || to.disabled) {
		store_agent_release(&to);
		return lk_err_setr(err, LK_EINVAL, "unknown_agent", "there is no such active colleague");
	}
	if ((rc = load_visible(h, a, conv_id, &r, err)))
		goto out_agent;
	if (strcmp(r.status, "waiting") && strcmp(r.status, "assigned")) {
		rc = lk_err_setr(err, LK_ENOTFOUND, "not_found", "nobody is waiting in this conversation");
		goto out;
	}
	if (!agent_has_team(&to, r.team)) {
		rc = lk_err_setr(err, LK_EINVAL, "wrong_team",
				 "that colleague is not in the team of this conversation");
		goto out;
	}
	memset(&given, 0, sizeof(given));
	rc = store_handoff_assign(h->st, bot_of(h), conv_id, to.id, now_ms(), &given, err);
	if (!rc) {
		handoff_audit(h, a->id, "assign", conv_id, r.team, to.id);
		publish_queue(h, "assigned", conv_id, r.team, to.id);
		mark_dirty(h, r.team);
		tell_assigned(h, &given, to.name);
		names = json_pack("{s:s}", to.id, to.name);
		*out = json_pack("{s:o}", "handoff", handoff_json(h, &given, 0, names, 0));
		json_decref(names);
	}
	store_handoff_release(&given);
out:
	store_handoff_release(&r);
out_agent:
	store_agent_release(&to);
	return rc;
}

/* ------------------------------------------------------------------ */
/* tickets and audit                                                   */

int handoff_tickets(struct handoff *h, const struct store_agent *a, const char *status,
		    json_t **out, struct lk_err *err)
{
	struct store_tickets l = {0};
	json_t *list, *names;
	int rc;

	*out = NULL;
	if (status && strcmp(status, "open") && strcmp(status, "done"))
		return lk_err_setr(err, LK_EINVAL, "invalid_status", "status is open or done");
	rc = store_ticket_list(h->st, bot_of(h), teams_filter(a), status, 1000, &l, err);
	if (rc)
		return rc;
	list = json_array();
	names = agent_names(h);
	for (size_t i = 0; i < l.n; i++) {
		const struct store_ticket *t = &l.v[i];
		char created[32], done[32];

		iso_ms(t->created_ms, created);
		iso_ms(t->done_ms, done);
		json_array_append_new(
			list, json_pack("{s:s, s:s, s:s?, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s?, s:s?}",
					"ref", t->ref, "team", t->team, "team_name",
					*t->team ? team_name(h, t->team,
								     bot_default_lang(h->bot))
						 : NULL,
					"conv_id", t->conv_id, "lang", t->lang, "question",
					t->question ? t->question : "", "name", t->name ? t->name : "",
					"contact", t->contact ? t->contact : "", "status", t->status,
					"created_at", created, "done_at", t->done_ms ? done : NULL,
					"done_by", *t->done_by ? t->done_by : NULL));
		json_object_set(json_array_get(list, i), "done_by_name",
				*t->done_by && json_object_get(names, t->done_by)
					? json_object_get(names, t->done_by) : json_null());
	}
	json_decref(names);
	store_tickets_release(&l);
	*out = json_pack("{s:o}", "tickets", list);
	return 0;
}

int handoff_ticket_done(struct handoff *h, const struct store_agent *a, const char *ref,
			struct lk_err *err)
{
	struct store_ticket t;
	int rc;

	memset(&t, 0, sizeof(t));
	rc = store_ticket_get(h->st, bot_of(h), ref, &t, err);
	if (rc == LK_ENOTFOUND)
		return lk_err_setr(err, LK_ENOTFOUND, "not_found", "there is no such ticket");
	if (rc)
		return rc;
	if (*t.team && !agent_has_team(a, t.team)) {
		rc = lk_err_setr(err, LK_EPERM, "forbidden", "this ticket belongs to another team");
		goto out;
	}
	rc = store_ticket_done(h->st, bot_of(h), ref, a->id, now_ms(), err);
	if (rc == LK_EBUSY)
		rc = lk_err_setr(err, LK_EEXIST, "already_done", "this ticket is already done");
	if (!rc)
		handoff_audit(h, a->id, "ticket_done", t.conv_id, t.team, t.ref);
out:
	store_ticket_release(&t);
	return rc;
}

int handoff_audit_list(struct handoff *h, const struct store_agent *a, const char *conv_id,
		       int64_t before_id, size_t limit, json_t **out, struct lk_err *err)
{
	struct store_audits l = {0};
	json_t *list, *names;
	int rc;

	*out = NULL;
	if (!handoff_is_supervisor(a))
		return lk_err_setr(err, LK_EPERM, "forbidden", "only supervisors read the audit log");
	rc = store_audit_list(h->st, bot_of(h), conv_id, before_id, limit ? limit : 100, &l, err);
	if (rc)
		return rc;
	names = agent_names(h);
	list = json_array();
	for (size_t i = 0; i < l.n; i++) {
		const struct store_audit *e = &l.v[i];
		char when[32];

		iso_ms(e->at_ms, when);
		json_array_append_new(list, json_pack("{s:I, s:s, s:s, s:O?, s:s, s:s, s:s, s:s}", "id",
						      (json_int_t)e->id, "at", when, "actor", e->actor,
						      "actor_name", json_object_get(names, e->actor),
						      "action", e->action, "conv_id", e->conv_id,
						      "team", e->team, "detail", e->detail));
	}
	json_decref(names);
	store_audits_release(&l);
	*out = json_pack("{s:o}", "entries", list);
	return 0;
}

/* ------------------------------------------------------------------ */
/* the background thread                                               */

/* Agents with an open console are alive: their last_seen moves on. */
static void refresh_online(struct handoff *h, int64_t now)
{
	char (*ids)[STORE_AGENT_ID_MAX] = NULL;
	size_t n;

	pthread_mutex_lock(&h->mu);
	n = h->n_online;
	if (n) {
		ids = xcalloc(n, sizeof(*ids));
		for (size_t i = 0; i < n; i++)
			memcpy(ids[i], h->online[i].id, STORE_AGENT_ID_MAX);
	}
	pthread_mutex_unlock(&h->mu);
	for (size_t i = 0; i < n; i++)
		store_agent_seen(h->st, bot_of(h), ids[i], now, NULL);
	free(ids);
}

/* How many agents of each team were seen within the timeout. */
static void count_online(struct handoff *h, int64_t now)
{
	struct store_agents l;
	int counts[HANDOFF_TEAMS_MAX] = {0};
	int64_t cutoff = now - (int64_t)handoff_agent_timeout_s(h->cfg) * 1000;

	if (store_agent_list(h->st, bot_of(h), &l, NULL))
		return;
	for (size_t i = 0; i < l.n; i++) {
		if (l.v[i].disabled || l.v[i].last_seen_ms < cutoff)
			continue;
		for (size_t t = 0; t < handoff_team_count(h->cfg) && t < HANDOFF_TEAMS_MAX; t++)
			if (lists_team(&l.v[i], handoff_team_id(h->cfg, t)))
				counts[t]++;
	}
	store_agents_release(&l);
	pthread_mutex_lock(&h->mu);
	memcpy(h->team_online, counts, sizeof(counts));
	pthread_mutex_unlock(&h->mu);
}

/* Conversations of agents who vanished go back to the queue. */
static void requeue_stale(struct handoff *h, int64_t now)
{
	struct store_handoffs l = {0};
	int64_t cutoff = now - (int64_t)handoff_agent_timeout_s(h->cfg) * 1000;

	if (store_handoff_stale(h->st, bot_of(h), cutoff, &l, NULL))
		return;
	for (size_t i = 0; i < l.n; i++) {
		struct store_handoff moved;

		memset(&moved, 0, sizeof(moved));
		if (!store_handoff_requeue(h->st, bot_of(h), l.v[i].conv_id, l.v[i].agent, NULL,
					   &moved, NULL)) {
			atomic_fetch_add(&h->timeouts, 1);
			handoff_audit(h, "system", "timeout", l.v[i].conv_id, l.v[i].team, l.v[i].agent);
			publish_queue(h, "timeout", l.v[i].conv_id, l.v[i].team, l.v[i].agent);
			mark_dirty(h, l.v[i].team);
			tell_queued(h, &moved, "handoff_requeued");
		}
		store_handoff_release(&moved);
	}
	store_handoffs_release(&l);
}

/* Consoles hear of questions left after hours (made by the flow's
 * tickets.create, on any instance) within a second or two. */
static void announce_tickets(struct handoff *h, int64_t *since_ms)
{
	struct store_tickets l = {0};
	int64_t newest = *since_ms;

	if (store_ticket_since(h->st, bot_of(h), *since_ms, 1000, &l, NULL))
		return;
	for (size_t i = 0; i < l.n; i++) {
		const struct store_ticket *t = &l.v[i];
		json_t *ev;
		char *text, key[48];

		if (t->created_ms <= *since_ms)
			continue;
		if (t->created_ms > newest)
			newest = t->created_ms;
		ev = json_pack("{s:s, s:s}", "ref", t->ref, "team", t->team);
		text = json_dumps(ev, JSON_COMPACT);
		json_decref(ev);
		if (!text)
			continue;
		if (*t->team) {
			snprintf(key, sizeof(key), "q:%s", t->team);
			conv_events_publish(conv_engine_events(h->engine), key, "ticket", 0, text);
		} else {
			for (size_t k = 0; k < handoff_team_count(h->cfg); k++) {
				snprintf(key, sizeof(key), "q:%s", handoff_team_id(h->cfg, k));
				conv_events_publish(conv_engine_events(h->engine), key, "ticket", 0, text);
			}
		}
		conv_events_publish(conv_engine_events(h->engine), "q:*", "ticket", 0, text);
		free(text);
	}
	*since_ms = newest;
	store_tickets_release(&l);
}

/* Waiting citizens of teams whose queue moved learn their new place. */
static void publish_places(struct handoff *h)
{
	unsigned char dirty[HANDOFF_TEAMS_MAX];

	pthread_mutex_lock(&h->mu);
	memcpy(dirty, h->dirty, sizeof(dirty));
	memset(h->dirty, 0, sizeof(h->dirty));
	pthread_mutex_unlock(&h->mu);
	for (size_t t = 0; t < handoff_team_count(h->cfg) && t < HANDOFF_TEAMS_MAX; t++) {
		struct store_handoffs l = {0};
		char teams[64];

		if (!dirty[t])
			continue;
		snprintf(teams, sizeof(teams), "[\"%s\"]", handoff_team_id(h->cfg, t));
		if (store_handoff_list(h->st, bot_of(h), "waiting", teams, NULL, LIST_MAX, &l, NULL))
			continue;
		for (size_t i = 0; i < l.n; i++) {
			json_t *ev = json_pack("{s:s, s:s, s:I, s:i}", "status", "waiting", "team",
					       l.v[i].team, "position", (json_int_t)(i + 1),
					       "wait_minutes",
					       wait_minutes(h, l.v[i].team, (int64_t)i + 1));
			char *text = json_dumps(ev, JSON_COMPACT);

			if (text)
				conv_events_publish(conv_engine_events(h->engine), l.v[i].conv_id,
						    "handoff", 0, text);
			free(text);
			json_decref(ev);
		}
		store_handoffs_release(&l);
	}
}

static void *background(void *arg)
{
	struct handoff *h = arg;
	int64_t timeout_ms = (int64_t)handoff_agent_timeout_s(h->cfg) * 1000;
	int64_t seen_every = timeout_ms / 3 < 1000 ? 500 : timeout_ms / 3;
	int64_t last_seen = 0, last_count = 0, last_prune = 0;
	/* tickets carry whole seconds (the flows' clock): from the start of this one */
	int64_t tickets_since = now_ms() / 1000 * 1000 - 1;

	pthread_mutex_lock(&h->mu);
	while (!h->stopping) {
		struct timespec until;
		int64_t now;

		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += (long)TICK_MS * 1000000;
		if (until.tv_nsec >= 1000000000) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000;
		}
		pthread_cond_timedwait(&h->cond, &h->mu, &until);
		if (h->stopping)
			break;
		pthread_mutex_unlock(&h->mu);
		now = now_ms();
		if (now - last_seen >= seen_every) {
			refresh_online(h, now);
			last_seen = now;
		}
		if (now - last_count >= ONLINE_EVERY_MS) {
			count_online(h, now);
			last_count = now;
		}
		requeue_stale(h, now);
		publish_places(h);
		announce_tickets(h, &tickets_since);
		if (now - last_prune >= PRUNE_EVERY_MS) {
			store_session_prune(h->st, bot_of(h), now, NULL);
			last_prune = now;
		}
		pthread_mutex_lock(&h->mu);
	}
	pthread_mutex_unlock(&h->mu);
	return NULL;
}

/* ------------------------------------------------------------------ */
/* lifecycle                                                           */

int handoff_new(struct handoff **out, const struct bot *bot, struct store *st,
		struct conv_engine *engine, struct lk_err *err)
{
	struct handoff *h;

	*out = NULL;
	if (!bot_handoff(bot))
		return lk_err_set(err, LK_ECONFIG, "the bot has no handoff section");
	h = xcalloc(1, sizeof(*h));
	h->bot = bot;
	h->cfg = bot_handoff(bot);
	h->st = st;
	h->engine = engine;
	h->ops = (struct conv_handoff){h, hook_before, hook_after, hook_describe};
	pthread_mutex_init(&h->mu, NULL);
	pthread_cond_init(&h->cond, NULL);
	count_online(h, now_ms());
	if (pthread_create(&h->thread, NULL, background, h)) {
		handoff_free(h);
		return lk_err_set(err, LK_EIO, "could not start the handoff thread");
	}
	h->started = 1;
	conv_engine_use_handoff(engine, &h->ops);
	*out = h;
	return 0;
}

void handoff_free(struct handoff *h)
{
	if (!h)
		return;
	if (h->started) {
		pthread_mutex_lock(&h->mu);
		h->stopping = 1;
		pthread_cond_signal(&h->cond);
		pthread_mutex_unlock(&h->mu);
		pthread_join(h->thread, NULL);
	}
	conv_engine_use_handoff(h->engine, NULL);
	pthread_mutex_destroy(&h->mu);
	pthread_cond_destroy(&h->cond);
	free(h->online);
	free(h);
}

void handoff_stats(struct handoff *h, struct handoff_stats *out)
{
	memset(out, 0, sizeof(*out));
	out->started = atomic_load(&h->started_n);
	out->after_hours = atomic_load(&h->after_hours);
	out->claims = atomic_load(&h->claims);
	out->timeouts = atomic_load(&h->timeouts);
	out->closed = atomic_load(&h->closed);
	out->agent_messages = atomic_load(&h->agent_messages);
	out->streams = atomic_load(&h->streams);
}

void handoff_metrics(struct handoff *h, struct buf *b)
{
	struct handoff_stats hs;
	struct store_handoffs l = {0};

	handoff_stats(h, &hs);
	buf_addf(b, "# HELP loket_handoffs_total Citizens passed to a person, by what happened.\n"
		    "# TYPE loket_handoffs_total counter\n");
	buf_addf(b, "loket_handoffs_total{event=\"queued\"} %llu\n", (unsigned long long)hs.started);
	buf_addf(b, "loket_handoffs_total{event=\"after_hours\"} %llu\n",
		 (unsigned long long)hs.after_hours);
	buf_addf(b, "loket_handoffs_total{event=\"claimed\"} %llu\n", (unsigned long long)hs.claims);
	buf_addf(b, "loket_handoffs_total{event=\"timeout\"} %llu\n", (unsigned long long)hs.timeouts);
	buf_addf(b, "loket_handoffs_total{event=\"closed\"} %llu\n", (unsigned long long)hs.closed);
	buf_addf(b, "# HELP loket_agent_messages_total Messages agents sent to citizens.\n"
		    "# TYPE loket_agent_messages_total counter\nloket_agent_messages_total %llu\n",
		 (unsigned long long)hs.agent_messages);
	buf_addf(b, "# HELP loket_agent_streams Open agent console streams.\n"
		    "# TYPE loket_agent_streams gauge\nloket_agent_streams %zu\n", hs.streams);
	if (store_handoff_list(h->st, bot_of(h), NULL, NULL, NULL, LIST_MAX, &l, NULL))
		return;
	buf_addf(b, "# HELP loket_handoff_queue Conversations with a person now, by team and status.\n"
		    "# TYPE loket_handoff_queue gauge\n");
	for (size_t t = 0; t < handoff_team_count(h->cfg); t++) {
		const char *team = handoff_team_id(h->cfg, t);
		unsigned long long waiting = 0, assigned = 0;

		for (size_t i = 0; i < l.n; i++) {
			if (strcmp(l.v[i].team, team))
				continue;
			if (!strcmp(l.v[i].status, "waiting"))
				waiting++;
			else
				assigned++;
		}
		buf_addf(b, "loket_handoff_queue{team=\"%s\",status=\"waiting\"} %llu\n", team, waiting);
		buf_addf(b, "loket_handoff_queue{team=\"%s\",status=\"assigned\"} %llu\n", team,
			 assigned);
	}
	store_handoffs_release(&l);
}
