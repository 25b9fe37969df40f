/* handoff.c - the human handoff service (see handoff.h): when a citizen is
 * passed to a person (the engine's before/after hooks), what they are told
 * on the way, the queue events for consoles, the audit trail, and the
 * service's lifecycle. The agents' actions live in handoff_agent.c, the
 * background thread in handoff_watch.c.
 */
#include "handoff/handoff_int.h"

#include "core/clock.h"
#include "core/mem.h"
#include "handoff/handoff_hours.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

const char *ho_bot_of(const struct handoff *h)
{
	return bot_id(h->bot);
}

int handoff_is_supervisor(const struct store_agent *a)
{
	return !strcmp(a->role, "supervisor") || !strcmp(a->role, "admin");
}

/* The teams filter of an agent for the store: NULL (all) for supervisors. */
const char *ho_teams_filter(const struct store_agent *a)
{
	return handoff_is_supervisor(a) ? NULL : (a->teams ? a->teams : "[]");
}

/* The team's name; its id for a team no longer in bot.yaml (a handoff
 * queued before the configuration changed). */
const char *ho_team_name(const struct handoff *h, const char *team, const char *lang)
{
	const char *name = handoff_team_name(h->cfg, team, lang);

	return name ? name : team;
}

/* Whether the account lists the team (supervisors see every team). */
int ho_lists_team(const struct store_agent *a, const char *team)
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

int ho_agent_has_team(const struct store_agent *a, const char *team)
{
	return handoff_is_supervisor(a) || ho_lists_team(a, team);
}

void ho_mark_dirty(struct handoff *h, const char *team)
{
	int i = handoff_team_index(h->cfg, team);

	if (i < 0)
		return;
	pthread_mutex_lock(&h->mu);
	h->dirty[i] = 1;
	pthread_mutex_unlock(&h->mu);
}

int ho_online_in_team(struct handoff *h, const char *team)
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
	a.at_ms = lk_now_ms();
	snprintf(a.actor, sizeof(a.actor), "%s", actor);
	snprintf(a.action, sizeof(a.action), "%s", action);
	snprintf(a.conv_id, sizeof(a.conv_id), "%s", conv_id ? conv_id : "");
	snprintf(a.team, sizeof(a.team), "%s", team ? team : "");
	snprintf(a.detail, sizeof(a.detail), "%s", detail ? detail : "");
	if (store_audit_add(h->st, ho_bot_of(h), &a, &err))
		fprintf(stderr, "loket: handoff: audit row not written: %s\n", err.msg);
}

/* Tells the consoles that see `team` (and supervisors') that the queue changed. */
void ho_publish_queue(struct handoff *h, const char *action, const char *conv_id,
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

		if (ho_agent_has_team(a, team))
			snprintf(keys[n++], 48, "q:%s", team);
	}
	return n;
}

/* ------------------------------------------------------------------ */
/* what the citizen is told                                            */

json_t *ho_notice(struct handoff *h, const char *lang, const char *key,
		      const char *const *vars, json_t *state)
{
	struct buf text;
	json_t *msg;

	buf_init(&text, 8192);
	bot_message_vars(h->bot, lang, key, vars, &text);
	msg = json_pack("{s:s, s:s, s:s, s:[], s:[]}", "role", "bot", "kind", "handoff", "text",
			text.ptr, "sources", "quick_replies");
	buf_release(&text);
	if (state)
		json_object_set_new(msg, "handoff", state);
	return msg;
}

void ho_add_button(struct handoff *h, const char *lang, json_t *msg, const char *label_key,
		       const char *payload)
{
	struct buf label;

	buf_init(&label, 1024);
	bot_message(h->bot, lang, label_key, &label);
	json_array_append_new(json_object_get(msg, "quick_replies"),
			      json_pack("{s:s, s:s}", "label", label.ptr, "payload", payload));
	buf_release(&label);
}

int ho_wait_minutes(struct handoff *h, const char *team, int64_t pos)
{
	int64_t agents = ho_online_in_team(h, team);
	int64_t m = (pos * handoff_minutes_per_conversation(h->cfg) + (agents ? agents : 1) - 1) /
		    (agents ? agents : 1);

	return m < 1 ? 1 : (int)m;
}

/* state.handoff as the citizen sees it. */
json_t *ho_citizen_state(struct handoff *h, const struct store_handoff *r, const char *lang,
			     int64_t pos, const char *agent_name)
{
	json_t *s = json_pack("{s:s, s:s, s:s}", "status", r->status, "team", r->team, "team_name",
			      ho_team_name(h, r->team, lang));

	if (!strcmp(r->status, "waiting") && pos > 0) {
		json_object_set_new(s, "position", json_integer(pos));
		json_object_set_new(s, "wait_minutes", json_integer(ho_wait_minutes(h, r->team, pos)));
	}
	if (agent_name)
		json_object_set_new(s, "agent", json_string(agent_name));
	return s;
}

int64_t ho_position_of(struct handoff *h, const char *conv_id)
{
	int64_t pos = 0;

	store_handoff_position(h->st, ho_bot_of(h), conv_id, &pos, NULL);
	return pos;
}

/* The "you are number N" message of a waiting conversation. */
json_t *ho_queued_notice(struct handoff *h, const struct store_handoff *r, const char *lang,
			     const char *key)
{
	int64_t pos = ho_position_of(h, r->conv_id);
	char p[24], m[24];
	const char *vars[] = {"team", ho_team_name(h, r->team, lang), "position", p,
			      "minutes", m, NULL};
	json_t *msg;

	snprintf(p, sizeof(p), "%lld", (long long)(pos > 0 ? pos : 1));
	snprintf(m, sizeof(m), "%d", ho_wait_minutes(h, r->team, pos > 0 ? pos : 1));
	msg = ho_notice(h, lang, key, vars, ho_citizen_state(h, r, lang, pos, NULL));
	ho_add_button(h, lang, msg, "handoff_cancel_button", "handoff:cancel");
	return msg;
}

/* "op maandag vanaf 08:30 uur" */
static void format_next_open(struct handoff *h, const char *lang, int64_t at, struct buf *out)
{
	struct handoff_local lt;
	struct buf day;
	char hm[8];

	if (!at) {
		bot_message_vars(h->bot, lang, "handoff_never_open", NULL, out);
		return;
	}
	handoff_local_time(at, &lt);
	snprintf(hm, sizeof(hm), "%02d:%02d", lt.hour, lt.min);
	buf_init(&day, 1024);
	bot_message_item(h->bot, lang, "date_days", (size_t)lt.wday, &day);
	{
		const char *vars[] = {"day", day.ptr, "time", hm, NULL};

		bot_message_vars(h->bot, lang, "handoff_next_open_format", vars, out);
	}
	buf_release(&day);
}

/* Tells the citizen, as a stored turn (and on WhatsApp/Telegram). */
void ho_tell_citizen(struct handoff *h, const char *conv_id, json_t *msg, const char *state)
{
	json_t *msgs = json_array();
	struct lk_err err = {0};

	json_array_append_new(msgs, msg);
	if (conv_append(h->engine, conv_id, msgs, state, NULL, &err))
		fprintf(stderr, "loket: handoff: could not tell the citizen: %s\n", err.msg);
	json_decref(msgs);
}

const char *ho_conv_lang(struct handoff *h, const char *conv_id, struct store_conv *c)
{
	if (store_conv_get(h->st, conv_id, c, NULL))
		snprintf(c->lang, sizeof(c->lang), "%s", bot_default_lang(h->bot));
	return c->lang;
}

void ho_tell_assigned(struct handoff *h, const struct store_handoff *r, const char *agent_name)
{
	struct store_conv c;
	const char *lang = ho_conv_lang(h, r->conv_id, &c);
	const char *vars[] = {"agent", agent_name, "team", ho_team_name(h, r->team, lang),
			      NULL};

	ho_tell_citizen(h, r->conv_id,
		     ho_notice(h, lang, "handoff_assigned", vars, ho_citizen_state(h, r, lang, 0, agent_name)),
		     NULL);
}

void ho_tell_queued(struct handoff *h, const struct store_handoff *r, const char *key)
{
	struct store_conv c;
	const char *lang = ho_conv_lang(h, r->conv_id, &c);

	ho_tell_citizen(h, r->conv_id, ho_queued_notice(h, r, lang, key), NULL);
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
	int64_t now = lk_now_ms();
	int rc;

	if (notice_key)
		json_array_append_new(t->msgs, ho_notice(h, c->lang, notice_key, NULL, NULL));
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
		if ((rc = store_handoff_open(h->st, ho_bot_of(h), &r, err)) && rc != LK_EEXIST)
			return rc;
		buf_init(&when, 1024);
		format_next_open(h, c->lang, handoff_team_next_open(h->cfg, team, lk_now()), &when);
		{
			const char *vars[] = {"team", ho_team_name(h, team, c->lang),
					      "next_open", when.ptr, NULL};

			msg = ho_notice(h, c->lang, "handoff_closed_hours", vars,
				     json_pack("{s:s, s:s, s:s, s:b}", "status", "closed", "team", team,
					       "team_name", ho_team_name(h, team, c->lang),
					       "after_hours", 1));
		}
		buf_release(&when);
		ho_add_button(h, c->lang, msg, "handoff_ticket_button", "flow:vraag-achterlaten");
		ho_add_button(h, c->lang, msg, "handoff_no_button", "handoff:decline");
		json_array_append_new(t->msgs, msg);
		atomic_fetch_add(&h->after_hours, 1);
		return 0;
	}
	snprintf(r.status, sizeof(r.status), "waiting");
	rc = store_handoff_open(h->st, ho_bot_of(h), &r, err);
	if (rc == LK_EEXIST) {
		store_handoff_release(&r);
		memset(&r, 0, sizeof(r));
		if ((rc = store_handoff_active(h->st, ho_bot_of(h), c->id, &r, err)))
			return rc;
	} else if (rc) {
		return rc;
	} else {
		handoff_audit(h, actor_of_reason(reason), "handoff", c->id, team, reason);
		ho_publish_queue(h, "waiting", c->id, team, NULL);
		atomic_fetch_add(&h->started_n, 1);
	}
	json_array_append_new(t->msgs, ho_queued_notice(h, &r, c->lang, "handoff_queued"));
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

		rc = store_handoff_close(h->st, ho_bot_of(h), r->conv_id, NULL, "cancelled", NULL,
					 lk_now_ms(), &closed, err);
		store_handoff_release(&closed);
		if (rc)
			return rc;
		handoff_audit(h, "citizen", "cancel", r->conv_id, r->team, r->status);
		ho_publish_queue(h, "cancelled", r->conv_id, r->team, r->agent);
		ho_mark_dirty(h, r->team);
		json_array_append_new(t->msgs, ho_notice(h, lang, "handoff_cancelled", NULL,
						      json_pack("{s:s, s:s}", "status", "closed",
								"team", r->team)));
		t->handoff = json_pack("{s:s, s:s}", "status", "closed", "team", r->team);
		return CONV_HANDOFF_TAKEN;
	}
	if (t->action && !strcmp(t->action, "handoff:request") && !strcmp(r->status, "waiting")) {
		json_array_append_new(t->msgs, ho_queued_notice(h, r, lang, "handoff_still_waiting"));
		t->handoff = ho_citizen_state(h, r, lang, ho_position_of(h, r->conv_id), NULL);
		return CONV_HANDOFF_TAKEN;
	}
	/* Stored without a reply; the agent sees it on the conversation's stream. */
	ho_publish_queue(h, "message", r->conv_id, r->team, r->agent);
	t->handoff = ho_citizen_state(h, r, lang,
				   !strcmp(r->status, "waiting") ? ho_position_of(h, r->conv_id) : 0,
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
	rc = store_handoff_active(h->st, ho_bot_of(h), t->conv->id, &r, err);
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
			json_array_append_new(t->msgs, ho_notice(h, t->conv->lang, "handoff_declined",
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
	if (store_handoff_active(h->st, ho_bot_of(h), conv_id, &r, NULL))
		return NULL;
	if (!store_conv_get(h->st, conv_id, &c, NULL)) {
		struct store_agent a;

		memset(&a, 0, sizeof(a));
		if (*r.agent && !store_agent_get(h->st, ho_bot_of(h), r.agent, &a, NULL)) {
			out = ho_citizen_state(h, &r, c.lang, 0, a.name);
			store_agent_release(&a);
		} else {
			out = ho_citizen_state(h, &r, c.lang, ho_position_of(h, conv_id), NULL);
		}
	}
	store_handoff_release(&r);
	return out;
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
	ho_count_online(h, lk_now_ms());
	if (pthread_create(&h->thread, NULL, ho_watch_main, h)) {
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
	if (store_handoff_list(h->st, ho_bot_of(h), NULL, NULL, NULL, LIST_MAX, &l, NULL))
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
