/* handoff_agent.c - what agents do (see handoff.h): the queue as they see
 * it, claims, the conversation with a summary draft, replies, typing,
 * transfers, giving back, closing, assigning; tickets and the audit log.
 * Every action checks the agent's teams and role, writes its audit row,
 * tells the consoles and tells the citizen.
 */
#include "handoff/handoff_int.h"

#include "core/clock.h"
#include "core/mem.h"
#include "handoff/handoff_hours.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ------------------------------------------------------------------ */
/* agents                                                              */

void handoff_agent_seen(struct handoff *h, const struct store_agent *a)
{
	int64_t now = lk_now_ms();

	if (now - a->last_seen_ms >= SEEN_EVERY_MS)
		store_agent_seen(h->st, ho_bot_of(h), a->id, now, NULL);
}

int handoff_agent_online(struct handoff *h, const struct store_agent *a)
{
	return !a->disabled &&
	       lk_now_ms() - a->last_seen_ms <= (int64_t)handoff_agent_timeout_s(h->cfg) * 1000;
}

void handoff_agent_stream_open(struct handoff *h, const char *agent_id)
{
	size_t i;

	store_agent_seen(h->st, ho_bot_of(h), agent_id, lk_now_ms(), NULL);
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

static void ho_iso_ms(int64_t ms, char out[32])
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

	if (store_agent_list(h->st, ho_bot_of(h), &l, NULL))
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
	int64_t now = lk_now_ms();

	ho_iso_ms(r->requested_ms, when);
	o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:I}", "conv_id", r->conv_id, "team", r->team,
		      "team_name", ho_team_name(h, r->team, bot_default_lang(h->bot)),
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

	store_handoff_list(h->st, ho_bot_of(h), NULL, ho_teams_filter(a), NULL, LIST_MAX, &l, NULL);
	for (size_t i = 0; i < handoff_team_count(h->cfg); i++) {
		const char *team = handoff_team_id(h->cfg, i);
		json_int_t waiting = 0, assigned = 0;

		if (!ho_agent_has_team(a, team))
			continue;
		for (size_t k = 0; k < l.n; k++) {
			if (strcmp(l.v[k].team, team))
				continue;
			if (!strcmp(l.v[k].status, "waiting"))
				waiting++;
			else
				assigned++;
		}
		json_t *names = json_object();

		for (size_t k = 0; k < nl; k++)
			json_object_set_new(names, langs[k], json_string(ho_team_name(h, team, langs[k])));
		json_array_append_new(teams, json_pack("{s:s, s:s, s:o, s:b, s:I, s:I}", "id", team,
						       "name",
						       ho_team_name(h, team, bot_default_lang(h->bot)),
						       "names", names, "open",
						       handoff_team_open(h->cfg, team, lk_now()),
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
	rc = store_handoff_list(h->st, ho_bot_of(h), NULL, ho_teams_filter(a), NULL, LIST_MAX, &l, err);
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
	rc = store_handoff_active(h->st, ho_bot_of(h), conv_id, r, err);
	if (rc == LK_ENOTFOUND) {
		memset(r, 0, sizeof(*r));
		rc = store_handoff_latest(h->st, ho_bot_of(h), conv_id, r, err);
	}
	if (rc == LK_ENOTFOUND)
		return lk_err_setr(err, LK_ENOTFOUND, "not_found",
				   "this conversation was never handed to a person");
	if (rc)
		return rc;
	if (!ho_agent_has_team(a, r->team)) {
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





int handoff_claim(struct handoff *h, const struct store_agent *a, const char *conv_id,
		  json_t **out, struct lk_err *err)
{
	struct store_handoff r;
	json_t *names;
	int rc;

	*out = NULL;
	memset(&r, 0, sizeof(r));
	if (conv_id)
		rc = store_handoff_claim(h->st, ho_bot_of(h), conv_id, a->id, ho_teams_filter(a), lk_now_ms(),
					 &r, err);
	else
		rc = store_handoff_claim_next(h->st, ho_bot_of(h), a->id, ho_teams_filter(a), lk_now_ms(), &r,
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
	store_agent_seen(h->st, ho_bot_of(h), a->id, lk_now_ms(), NULL);
	handoff_audit(h, a->id, "claim", r.conv_id, r.team, NULL);
	ho_publish_queue(h, "claimed", r.conv_id, r.team, a->id);
	ho_mark_dirty(h, r.team);
	ho_tell_assigned(h, &r, a->name);
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
	buf_addf(&b, "Team %s. Reden: %s.", ho_team_name(h, r->team, "nl"), why);
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
			 (long long)((lk_now_ms() - r->claimed_ms + 59999) / 60000));
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
							? ho_position_of(h, conv_id) : 0, names, 0),
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

int handoff_send(struct handoff *h, const struct store_agent *a, const char *conv_id,
		 const char *text, json_t **out, struct lk_err *err)
{
	struct store_handoff r;
	json_t *msgs, *stored = NULL;
	int rc;

	*out = NULL;
	if ((rc = conv_text_check(text, CONV_TEXT_MAX, err)))
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
	rc = store_handoff_requeue(h->st, ho_bot_of(h), conv_id,
				   handoff_is_supervisor(a) ? NULL : a->id, team, &moved, err);
	if (rc == LK_EBUSY)
		rc = lk_err_setr(err, LK_EEXIST, "not_holder", "this conversation is no longer with you");
	if (!rc) {
		snprintf(detail, sizeof(detail), "%s -> %s", r.team, team);
		handoff_audit(h, a->id, "transfer", conv_id, team, detail);
		ho_publish_queue(h, "transferred", conv_id, r.team, a->id);
		if (strcmp(r.team, team))
			ho_publish_queue(h, "transferred", conv_id, team, NULL);
		ho_mark_dirty(h, r.team);
		ho_mark_dirty(h, team);
		ho_tell_queued(h, &moved, "handoff_transferred");
		names = json_object();
		*out = json_pack("{s:o}", "handoff",
				 handoff_json(h, &moved, ho_position_of(h, conv_id), names, 0));
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
	rc = store_handoff_requeue(h->st, ho_bot_of(h), conv_id,
				   handoff_is_supervisor(a) ? NULL : a->id, NULL, &moved, err);
	if (rc == LK_EBUSY)
		rc = lk_err_setr(err, LK_EEXIST, "not_holder", "this conversation is no longer with you");
	if (!rc) {
		handoff_audit(h, a->id, "release", conv_id, r.team, NULL);
		ho_publish_queue(h, "released", conv_id, r.team, a->id);
		ho_mark_dirty(h, r.team);
		ho_tell_queued(h, &moved, "handoff_requeued");
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
	if (summary && (rc = conv_text_check(summary, HANDOFF_SUMMARY_MAX, err)))
		goto out;
	if (!summary)
		summary = draft = summary_draft(h, &r, a->name);
	rc = store_handoff_close(h->st, ho_bot_of(h), conv_id, handoff_is_supervisor(a) ? NULL : a->id,
				 outcome, summary, lk_now_ms(), NULL, err);
	if (rc == LK_EBUSY)
		rc = lk_err_setr(err, LK_EEXIST, "not_holder", "this conversation is no longer with you");
	if (rc)
		goto out;
	atomic_fetch_add(&h->closed, 1);
	handoff_audit(h, a->id, closing ? "close" : "return", conv_id, r.team, NULL);
	ho_publish_queue(h, closing ? "closed" : "returned", conv_id, r.team, a->id);
	lang = ho_conv_lang(h, conv_id, &c);
	{
		const char *vars[] = {"agent", a->name, NULL};

		/* the flow the bot was in is over: the citizen starts afresh */
		ho_tell_citizen(h, conv_id,
			     ho_notice(h, lang, closing ? "handoff_closed" : "handoff_returned", vars,
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
	if (!agent_id || store_agent_get(h->st, ho_bot_of(h), agent_id, &to, NULL) || to.disabled) {
		store_agent_release(&to);
		return lk_err_setr(err, LK_EINVAL, "unknown_agent", "there is no such active colleague");
	}
	if ((rc = load_visible(h, a, conv_id, &r, err)))
		goto out_agent;
	if (strcmp(r.status, "waiting") && strcmp(r.status, "assigned")) {
		rc = lk_err_setr(err, LK_ENOTFOUND, "not_found", "nobody is waiting in this conversation");
		goto out;
	}
	if (!ho_agent_has_team(&to, r.team)) {
		rc = lk_err_setr(err, LK_EINVAL, "wrong_team",
				 "that colleague is not in the team of this conversation");
		goto out;
	}
	memset(&given, 0, sizeof(given));
	rc = store_handoff_assign(h->st, ho_bot_of(h), conv_id, to.id, lk_now_ms(), &given, err);
	if (!rc) {
		handoff_audit(h, a->id, "assign", conv_id, r.team, to.id);
		ho_publish_queue(h, "assigned", conv_id, r.team, to.id);
		ho_mark_dirty(h, r.team);
		ho_tell_assigned(h, &given, to.name);
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
	rc = store_ticket_list(h->st, ho_bot_of(h), ho_teams_filter(a), status, 1000, &l, err);
	if (rc)
		return rc;
	list = json_array();
	names = agent_names(h);
	for (size_t i = 0; i < l.n; i++) {
		const struct store_ticket *t = &l.v[i];
		char created[32], done[32];

		ho_iso_ms(t->created_ms, created);
		ho_iso_ms(t->done_ms, done);
		json_array_append_new(
			list, json_pack("{s:s, s:s, s:s?, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s?, s:s?}",
					"ref", t->ref, "team", t->team, "team_name",
					*t->team ? ho_team_name(h, t->team,
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
	rc = store_ticket_get(h->st, ho_bot_of(h), ref, &t, err);
	if (rc == LK_ENOTFOUND)
		return lk_err_setr(err, LK_ENOTFOUND, "not_found", "there is no such ticket");
	if (rc)
		return rc;
	if (*t.team && !ho_agent_has_team(a, t.team)) {
		rc = lk_err_setr(err, LK_EPERM, "forbidden", "this ticket belongs to another team");
		goto out;
	}
	rc = store_ticket_done(h->st, ho_bot_of(h), ref, a->id, lk_now_ms(), err);
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
	rc = store_audit_list(h->st, ho_bot_of(h), conv_id, before_id, limit ? limit : 100, &l, err);
	if (rc)
		return rc;
	names = agent_names(h);
	list = json_array();
	for (size_t i = 0; i < l.n; i++) {
		const struct store_audit *e = &l.v[i];
		char when[32];

		ho_iso_ms(e->at_ms, when);
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
