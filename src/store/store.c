/* store.c - picks a back end by URL scheme and forwards every call to it. */
#include "store/store.h"

#include "core/mem.h"
#include "store/store_backend.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

struct store {
	const struct store_ops *ops;
	void *impl;
};

static const struct store_ops *const backends[] = {
	&store_sqlite_ops,
};

int store_open(struct store **out, const char *url, struct lk_err *err)
{
	const char *colon = strchr(url, ':');
	size_t scheme_len;
	void *impl = NULL;
	int rc;

	*out = NULL;
	if (!colon)
		return lk_err_set(err, LK_EINVAL, "store URL '%s' has no scheme (expected sqlite:PATH)", url);
	scheme_len = (size_t)(colon - url);
	for (size_t i = 0; i < sizeof(backends) / sizeof(backends[0]); i++) {
		const struct store_ops *ops = backends[i];

		if (strlen(ops->scheme) != scheme_len || strncmp(ops->scheme, url, scheme_len))
			continue;
		rc = ops->open(&impl, colon + 1, err);
		if (rc)
			return rc;
		*out = xmalloc(sizeof(**out));
		(*out)->ops = ops;
		(*out)->impl = impl;
		return 0;
	}
	return lk_err_set(err, LK_EUNSUPPORTED, "store scheme '%.*s' is not supported (use sqlite:PATH)",
			  (int)scheme_len, url);
}

void store_close(struct store *st)
{
	if (!st)
		return;
	st->ops->close(st->impl);
	free(st);
}

int store_conv_create(struct store *st, const struct store_conv *c, struct lk_err *err)
{
	return st->ops->conv_create(st->impl, c, err);
}

int store_conv_get(struct store *st, const char *id, struct store_conv *out, struct lk_err *err)
{
	return st->ops->conv_get(st->impl, id, out, err);
}

int store_conv_delete(struct store *st, const char *id, struct lk_err *err)
{
	return st->ops->conv_delete(st->impl, id, err);
}

int store_turns_append_state(struct store *st, const char *conv_id, struct store_turn *turns,
			     size_t n, const char *state, struct lk_err *err)
{
	return st->ops->turns_append_state(st->impl, conv_id, turns, n, state, err);
}

int store_conv_state_get(struct store *st, const char *conv_id, char **out, struct lk_err *err)
{
	return st->ops->conv_state_get(st->impl, conv_id, out, err);
}

int store_turns_append(struct store *st, const char *conv_id, struct store_turn *turns, size_t n,
		       struct lk_err *err)
{
	return st->ops->turns_append(st->impl, conv_id, turns, n, err);
}

int store_turns_list(struct store *st, const char *conv_id, struct store_turns *out,
		     struct lk_err *err)
{
	out->v = NULL;
	out->n = 0;
	return st->ops->turns_list(st->impl, conv_id, out, err);
}

void store_turn_release(struct store_turn *t)
{
	free(t->text);
	free(t->data);
	t->text = NULL;
	t->data = NULL;
}

void store_turns_release(struct store_turns *t)
{
	for (size_t i = 0; i < t->n; i++)
		store_turn_release(&t->v[i]);
	free(t->v);
	t->v = NULL;
	t->n = 0;
}

int store_feedback_add(struct store *st, const char *conv_id, int64_t seq, int helpful,
		       struct lk_err *err)
{
	return st->ops->feedback_add(st->impl, conv_id, seq, helpful, err);
}

int store_kb_upsert(struct store *st, const char *bot, const struct kb_entries *entries,
		    struct lk_err *err)
{
	return st->ops->kb_upsert(st->impl, bot, entries, err);
}

int store_kb_load(struct store *st, const char *bot, struct kb_entries *out, int64_t *generation,
		  struct lk_err *err)
{
	return st->ops->kb_load(st->impl, bot, out, generation, err);
}

int store_kb_generation(struct store *st, const char *bot, int64_t *generation, struct lk_err *err)
{
	return st->ops->kb_generation(st->impl, bot, generation, err);
}

int store_kb_vectors_put(struct store *st, const char *bot, const char *model,
			 const struct store_vec *v, size_t n, struct lk_err *err)
{
	if (!model || !*model || strlen(model) > STORE_VEC_MODEL_MAX)
		return lk_err_set(err, LK_EINVAL, "embedding model name is empty or too long");
	for (size_t i = 0; i < n; i++) {
		if (!v[i].entry_id || !*v[i].entry_id || !v[i].v)
			return lk_err_set(err, LK_EINVAL, "vector %zu has no entry id or no values",
					  i);
		if (v[i].dim < 1 || v[i].dim > STORE_VEC_DIM_MAX)
			return lk_err_set(err, LK_EINVAL,
					  "vector of '%s' has dimension %zu (1..%d)",
					  v[i].entry_id, v[i].dim, STORE_VEC_DIM_MAX);
	}
	if (!n)
		return 0;
	if (!st->ops->kb_vectors_put)
		return lk_err_set(err, LK_EUNSUPPORTED, "store '%s' keeps no vectors",
				  st->ops->scheme);
	return st->ops->kb_vectors_put(st->impl, bot, model, v, n, err);
}

int store_kb_vectors_load(struct store *st, const char *bot, const char *model,
			  struct store_vecs *out, struct lk_err *err)
{
	out->v = NULL;
	out->n = 0;
	if (!model || !*model)
		return lk_err_set(err, LK_EINVAL, "embedding model name is empty");
	if (!st->ops->kb_vectors_load)
		return lk_err_set(err, LK_EUNSUPPORTED, "store '%s' keeps no vectors",
				  st->ops->scheme);
	return st->ops->kb_vectors_load(st->impl, bot, model, out, err);
}

void store_vecs_release(struct store_vecs *v)
{
	if (!v)
		return;
	for (size_t i = 0; i < v->n; i++) {
		free(v->v[i].entry_id);
		free(v->v[i].v);
	}
	free(v->v);
	v->v = NULL;
	v->n = 0;
}

/* --- built-in backends (src/integrations) --- */

#define STORE_NEED_OP(st, op)                                                              \
	do {                                                                               \
		if (!(st)->ops->op)                                                        \
			return lk_err_set(err, LK_EUNSUPPORTED,                            \
					  "store '%s' has no built-in backend tables",    \
					  (st)->ops->scheme);                              \
	} while (0)

int store_idata_seed(struct store *st, const char *bot, const char *version,
		     const struct store_idata *v, size_t n, int *seeded, struct lk_err *err)
{
	if (seeded)
		*seeded = 0;
	if (!bot || !*bot || !version || !*version)
		return lk_err_set(err, LK_EINVAL, "seeding needs a bot and a version");
	for (size_t i = 0; i < n; i++) {
		if (!v[i].kind || !*v[i].kind || !v[i].key || !*v[i].key || !v[i].value)
			return lk_err_set(err, LK_EINVAL, "reference item %zu has no kind, key or value",
					  i);
	}
	STORE_NEED_OP(st, idata_seed);
	return st->ops->idata_seed(st->impl, bot, version, v, n, seeded, err);
}

int store_idata_get(struct store *st, const char *bot, const char *kind, const char *key,
		    char **value, struct lk_err *err)
{
	*value = NULL;
	STORE_NEED_OP(st, idata_get);
	return st->ops->idata_get(st->impl, bot, kind, key, value, err);
}

int store_idata_list(struct store *st, const char *bot, const char *kind,
		     struct store_idatas *out, struct lk_err *err)
{
	out->v = NULL;
	out->n = 0;
	STORE_NEED_OP(st, idata_list);
	return st->ops->idata_list(st->impl, bot, kind, out, err);
}

void store_idatas_release(struct store_idatas *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].kind);
		free(l->v[i].key);
		free(l->v[i].value);
	}
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

int store_appt_book(struct store *st, const char *bot, const struct store_appt *a, int capacity,
		    struct lk_err *err)
{
	if (!a->ref[0] || a->start_min < 0 || a->end_min <= a->start_min || a->end_min > 24 * 60)
		return lk_err_set(err, LK_EINVAL, "appointment has no reference or an empty span");
	STORE_NEED_OP(st, appt_book);
	return st->ops->appt_book(st->impl, bot, a, capacity, err);
}

int store_appt_get(struct store *st, const char *bot, const char *ref, struct store_appt *out,
		   struct lk_err *err)
{
	STORE_NEED_OP(st, appt_get);
	return st->ops->appt_get(st->impl, bot, ref, out, err);
}

int store_appt_cancel(struct store *st, const char *bot, const char *ref, int64_t now,
		      struct lk_err *err)
{
	STORE_NEED_OP(st, appt_cancel);
	return st->ops->appt_cancel(st->impl, bot, ref, now, err);
}

int store_appt_move(struct store *st, const char *bot, const char *ref, const char *day,
		    int start_min, int end_min, int capacity, int64_t now, struct lk_err *err)
{
	if (start_min < 0 || end_min <= start_min || end_min > 24 * 60)
		return lk_err_set(err, LK_EINVAL, "appointment span is empty");
	STORE_NEED_OP(st, appt_move);
	return st->ops->appt_move(st->impl, bot, ref, day, start_min, end_min, capacity, now, err);
}

int store_appt_spans(struct store *st, const char *bot, const char *location, const char *from,
		     const char *to, struct store_appt_spans *out, struct lk_err *err)
{
	out->v = NULL;
	out->n = 0;
	STORE_NEED_OP(st, appt_spans);
	return st->ops->appt_spans(st->impl, bot, location, from, to, out, err);
}

void store_appt_spans_release(struct store_appt_spans *s)
{
	if (!s)
		return;
	free(s->v);
	s->v = NULL;
	s->n = 0;
}

int store_record_add(struct store *st, const char *bot, const struct store_record *r,
		     const char *uniq, struct lk_err *err)
{
	if (!r->ref[0] || !r->kind[0])
		return lk_err_set(err, LK_EINVAL, "record has no reference or kind");
	STORE_NEED_OP(st, record_add);
	return st->ops->record_add(st->impl, bot, r, uniq, err);
}

int store_record_get(struct store *st, const char *bot, const char *ref,
		     struct store_record *out, struct lk_err *err)
{
	memset(out, 0, sizeof(*out));
	STORE_NEED_OP(st, record_get);
	return st->ops->record_get(st->impl, bot, ref, out, err);
}

void store_record_release(struct store_record *r)
{
	if (!r)
		return;
	free(r->data);
	r->data = NULL;
}

int store_records_in_box(struct store *st, const char *bot, const char *kind, const char *key,
			 const char *status, double lat0, double lat1, double lon0, double lon1,
			 size_t max, struct store_records *out, struct lk_err *err)
{
	out->v = NULL;
	out->n = 0;
	if (!max)
		return 0;
	STORE_NEED_OP(st, records_in_box);
	return st->ops->records_in_box(st->impl, bot, kind, key, status, lat0, lat1, lon0, lon1,
				       max, out, err);
}

void store_records_release(struct store_records *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->n; i++)
		store_record_release(&l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

int store_records_count(struct store *st, const char *bot, const char *kind, int64_t lo,
			int64_t hi, int64_t *counts, struct lk_err *err)
{
	if (hi < lo || hi - lo > 1000)
		return lk_err_set(err, LK_EINVAL, "count range %lld..%lld is not 1..1001 numbers",
				  (long long)lo, (long long)hi);
	memset(counts, 0, (size_t)(hi - lo + 1) * sizeof(*counts));
	STORE_NEED_OP(st, records_count);
	return st->ops->records_count(st->impl, bot, kind, lo, hi, counts, err);
}

int store_attachment_put(struct store *st, const char *bot, const struct store_attachment *a,
			 struct lk_err *err)
{
	if (!a->id[0] || !a->data || a->size < 1 || a->size > STORE_ATTACHMENT_MAX)
		return lk_err_set(err, LK_EINVAL, "attachment has no id or a size outside 1..%zu",
				  STORE_ATTACHMENT_MAX);
	STORE_NEED_OP(st, attachment_put);
	return st->ops->attachment_put(st->impl, bot, a, err);
}

int store_attachment_get(struct store *st, const char *bot, const char *id, int with_data,
			 struct store_attachment *out, struct lk_err *err)
{
	memset(out, 0, sizeof(*out));
	STORE_NEED_OP(st, attachment_get);
	return st->ops->attachment_get(st->impl, bot, id, with_data, out, err);
}
/* --- end of built-in backends --- */

/* --- messaging channels --- */

int store_inbox_add(struct store *st, const char *bot, const struct store_inbox_event *ev,
		    struct lk_err *err)
{
	return st->ops->inbox_add(st->impl, bot, ev, err);
}

int store_inbox_done(struct store *st, const char *bot, const char *channel, const char *event_id,
		     struct lk_err *err)
{
	return st->ops->inbox_done(st->impl, bot, channel, event_id, err);
}

int store_inbox_pending(struct store *st, const char *bot, struct store_inbox_event **out,
			size_t *n, size_t max, size_t offset, struct lk_err *err)
{
	return st->ops->inbox_pending(st->impl, bot, out, n, max, offset, err);
}

void store_inbox_release(struct store_inbox_event *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		free(v[i].text);
	free(v);
}

int store_link_get(struct store *st, const char *bot, const char *channel, const char *user,
		   char conv_id[STORE_ID_LEN + 1], int64_t *last_inbound, struct lk_err *err)
{
	return st->ops->link_get(st->impl, bot, channel, user, conv_id, last_inbound, err);
}

int store_link_put(struct store *st, const char *bot, const char *channel, const char *user,
		   const char *conv_id, int64_t last_inbound, struct lk_err *err)
{
	return st->ops->link_put(st->impl, bot, channel, user, conv_id, last_inbound, err);
}

/* --- human handoff --- */

#define STORE_TEAMS_JSON_MAX 8192 /* bytes of a "teams" JSON array text */
#define STORE_HANDOFF_LIST_MAX 10000
#define STORE_AUDIT_LIST_MAX 1000
#define STORE_TICKET_LIST_MAX 1000

#define STORE_NEED_HANDOFF(st)                                                             \
	do {                                                                               \
		if (!(st)->ops->handoff)                                                   \
			return lk_err_set(err, LK_EUNSUPPORTED,                            \
					  "store '%s' has no human handoff tables",       \
					  (st)->ops->scheme);                              \
	} while (0)

/* A non-empty string of at most max - 1 bytes (it must fit a char[max]). */
static bool word_ok(const char *s, size_t max)
{
	return s && *s && strnlen(s, max) < max;
}

/* NULL (every team) or a JSON array of strings. */
static bool teams_ok(const char *teams)
{
	json_t *j;
	json_t *v;
	size_t i;
	bool ok;

	if (!teams)
		return true;
	if (strnlen(teams, STORE_TEAMS_JSON_MAX + 1) > STORE_TEAMS_JSON_MAX)
		return false;
	j = json_loads(teams, JSON_REJECT_DUPLICATES, NULL);
	ok = json_is_array(j);
	json_array_foreach(j, i, v) {
		if (!json_is_string(v))
			ok = false;
	}
	json_decref(j);
	return ok;
}

static int need(bool ok, const char *what, struct lk_err *err)
{
	return ok ? 0 : lk_err_set(err, LK_EINVAL, "handoff store: %s is missing or malformed", what);
}

#define NEED(cond, what)                                                                   \
	do {                                                                               \
		int rc_ = need((cond), (what), err);                                       \
		if (rc_)                                                                   \
			return rc_;                                                        \
	} while (0)

static void handoff_clear(struct store_handoff *h)
{
	if (h)
		memset(h, 0, sizeof(*h));
}

void store_handoff_release(struct store_handoff *h)
{
	if (!h)
		return;
	free(h->summary);
	free(h->data);
	h->summary = NULL;
	h->data = NULL;
}

void store_handoffs_release(struct store_handoffs *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->n; i++)
		store_handoff_release(&l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

int store_handoff_open(struct store *st, const char *bot, struct store_handoff *h,
		       struct lk_err *err)
{
	NEED(word_ok(bot, 64), "bot");
	NEED(word_ok(h->conv_id, sizeof(h->conv_id)), "conversation id");
	NEED(strnlen(h->team, sizeof(h->team)) < sizeof(h->team), "team");
	NEED(!strcmp(h->status, "waiting") || !strcmp(h->status, "closed"), "status");
	NEED(strnlen(h->reason, sizeof(h->reason)) < sizeof(h->reason) &&
	     strnlen(h->outcome, sizeof(h->outcome)) < sizeof(h->outcome) &&
	     strnlen(h->agent, sizeof(h->agent)) < sizeof(h->agent), "reason, outcome or agent");
	STORE_NEED_HANDOFF(st);
	return st->ops->handoff->handoff_open(st->impl, bot, h, err);
}

int store_handoff_active(struct store *st, const char *bot, const char *conv_id,
			 struct store_handoff *out, struct lk_err *err)
{
	handoff_clear(out);
	NEED(word_ok(bot, 64) && word_ok(conv_id, STORE_ID_LEN + 1), "bot or conversation id");
	STORE_NEED_HANDOFF(st);
	return st->ops->handoff->handoff_active(st->impl, bot, conv_id, out, err);
}

int store_handoff_latest(struct store *st, const char *bot, const char *conv_id,
			 struct store_handoff *out, struct lk_err *err)
{
	handoff_clear(out);
	NEED(word_ok(bot, 64) && word_ok(conv_id, STORE_ID_LEN + 1), "bot or conversation id");
	STORE_NEED_HANDOFF(st);
	return st->ops->handoff->handoff_latest(st->impl, bot, conv_id, out, err);
}

int store_handoff_claim(struct store *st, const char *bot, const char *conv_id, const char *agent,
			const char *teams, int64_t now_ms, struct store_handoff *out,
			struct lk_err *err)
{
	handoff_clear(out);
	NEED(word_ok(bot, 64) && word_ok(conv_id, STORE_ID_LEN + 1), "bot or conversation id");
	NEED(word_ok(agent, STORE_AGENT_ID_MAX), "agent id");
	NEED(teams_ok(teams), "teams");
	STORE_NEED_HANDOFF(st);
	return st->ops->handoff->handoff_claim(st->impl, bot, conv_id, agent, teams, now_ms, out,
					       err);
}

int store_handoff_claim_next(struct store *st, const char *bot, const char *agent,
			     const char *teams, int64_t now_ms, struct store_handoff *out,
			     struct lk_err *err)
{
	handoff_clear(out);
	NEED(word_ok(bot, 64) && word_ok(agent, STORE_AGENT_ID_MAX), "bot or agent id");
	NEED(teams_ok(teams), "teams");
	STORE_NEED_HANDOFF(st);
	return st->ops->handoff->handoff_claim_next(st->impl, bot, agent, teams, now_ms, out, err);
}

int store_handoff_assign(struct store *st, const char *bot, const char *conv_id, const char *agent,
			 int64_t now_ms, struct store_handoff *out, struct lk_err *err)
{
	handoff_clear(out);
	NEED(word_ok(bot, 64) && word_ok(conv_id, STORE_ID_LEN + 1), "bot or conversation id");
	NEED(word_ok(agent, STORE_AGENT_ID_MAX), "agent id");
	STORE_NEED_HANDOFF(st);
	return st->ops->handoff->handoff_assign(st->impl, bot, conv_id, agent, now_ms, out, err);
}

int store_handoff_requeue(struct store *st, const char *bot, const char *conv_id,
			  const char *holder, const char *team, struct store_handoff *out,
			  struct lk_err *err)
{
	handoff_clear(out);
	NEED(word_ok(bot, 64) && word_ok(conv_id, STORE_ID_LEN + 1), "bot or conversation id");
	NEED(!holder || word_ok(holder, STORE_AGENT_ID_MAX), "holder");
	NEED(!team || strnlen(team, STORE_TEAM_MAX) < STORE_TEAM_MAX, "team");
	STORE_NEED_HANDOFF(st);
	return st->ops->handoff->handoff_requeue(st->impl, bot, conv_id, holder, team, out, err);
}

int store_handoff_close(struct store *st, const char *bot, const char *conv_id, const char *holder,
			const char *outcome, const char *summary, int64_t now_ms,
			struct store_handoff *out, struct lk_err *err)
{
	handoff_clear(out);
	NEED(word_ok(bot, 64) && word_ok(conv_id, STORE_ID_LEN + 1), "bot or conversation id");
	NEED(!holder || word_ok(holder, STORE_AGENT_ID_MAX), "holder");
	NEED(word_ok(outcome, sizeof(out->outcome)), "outcome");
	STORE_NEED_HANDOFF(st);
	return st->ops->handoff->handoff_close(st->impl, bot, conv_id, holder, outcome, summary,
					       now_ms, out, err);
}

int store_handoff_position(struct store *st, const char *bot, const char *conv_id, int64_t *pos,
			   struct lk_err *err)
{
	*pos = 0;
	NEED(word_ok(bot, 64) && word_ok(conv_id, STORE_ID_LEN + 1), "bot or conversation id");
	STORE_NEED_HANDOFF(st);
	return st->ops->handoff->handoff_position(st->impl, bot, conv_id, pos, err);
}

int store_handoff_list(struct store *st, const char *bot, const char *status, const char *teams,
		       const char *agent, size_t limit, struct store_handoffs *out,
		       struct lk_err *err)
{
	out->v = NULL;
	out->n = 0;
	NEED(word_ok(bot, 64), "bot");
	NEED(!status || !strcmp(status, "waiting") || !strcmp(status, "assigned") ||
	     !strcmp(status, "closed"), "status");
	NEED(teams_ok(teams), "teams");
	if (limit > STORE_HANDOFF_LIST_MAX)
		limit = STORE_HANDOFF_LIST_MAX;
	if (!limit)
		return 0;
	STORE_NEED_HANDOFF(st);
	return st->ops->handoff->handoff_list(st->impl, bot, status, teams, agent, limit, out, err);
}

int store_handoff_stale(struct store *st, const char *bot, int64_t cutoff_ms,
			struct store_handoffs *out, struct lk_err *err)
{
	out->v = NULL;
	out->n = 0;
	NEED(word_ok(bot, 64), "bot");
	STORE_NEED_HANDOFF(st);
	return st->ops->handoff->handoff_stale(st->impl, bot, cutoff_ms, out, err);
}

void store_agent_release(struct store_agent *a)
{
	if (!a)
		return;
	free(a->teams);
	free(a->pw_hash);
	a->teams = NULL;
	a->pw_hash = NULL;
}

void store_agents_release(struct store_agents *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->n; i++)
		store_agent_release(&l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

static bool role_ok(const char *role)
{
	return !strcmp(role, "agent") || !strcmp(role, "supervisor") || !strcmp(role, "admin");
}

int store_agent_add(struct store *st, const char *bot, const struct store_agent *a,
		    struct lk_err *err)
{
	NEED(word_ok(bot, 64) && word_ok(a->id, sizeof(a->id)), "bot or agent id");
	NEED(word_ok(a->username, sizeof(a->username)), "username");
	NEED(strnlen(a->name, sizeof(a->name)) < sizeof(a->name), "name");
	NEED(strnlen(a->role, sizeof(a->role)) < sizeof(a->role) && role_ok(a->role), "role");
	NEED(a->teams && teams_ok(a->teams), "teams");
	NEED(a->pw_hash && *a->pw_hash, "password hash");
	STORE_NEED_HANDOFF(st);
	return st->ops->handoff->agent_add(st->impl, bot, a, err);
}

int store_agent_get(struct store *st, const char *bot, const char *id, struct store_agent *out,
		    struct lk_err *err)
{
	memset(out, 0, sizeof(*out));
	NEED(word_ok(bot, 64) && word_ok(id, STORE_AGENT_ID_MAX), "bot or agent id");
	STORE_NEED_HANDOFF(st);
	return st->ops->handoff->agent_get(st->impl, bot, id, 0, out, err);
}

int store_agent_by_username(struct store *st, const char *bot, const char *username,
			    struct store_agent *out, struct lk_err *err)
{
	memset(out, 0, sizeof(*out));
	NEED(word_ok(bot, 64) && word_ok(username, sizeof(out->username)), "bot or username");
	STORE_NEED_HANDOFF(st);
	return st->ops->handoff->agent_get(st->impl, bot, username, 1, out, err);
}

int store_agent_list(struct store *st, const char *bot, struct store_agents *out,
		     struct lk_err *err)
{
	out->v = NULL;
	out->n = 0;
	NEED(word_ok(bot, 64), "bot");
	STORE_NEED_HANDOFF(st);
	return st->ops->handoff->agent_list(st->impl, bot, out, err);
}

int store_agent_update(struct store *st, const char *bot, const struct store_agent *a,
		       struct lk_err *err)
{
	NEED(word_ok(bot, 64) && word_ok(a->id, sizeof(a->id)), "bot or agent id");
	NEED(strnlen(a->name, sizeof(a->name)) < sizeof(a->name), "name");
	NEED(strnlen(a->role, sizeof(a->role)) < sizeof(a->role) && role_ok(a->role), "role");
	NEED(teams_ok(a->teams), "teams");
	NEED(!a->pw_hash || *a->pw_hash, "password hash");
	STORE_NEED_HANDOFF(st);
	return st->ops->handoff->agent_update(st->impl, bot, a, err);
}

int store_agent_seen(struct store *st, const char *bot, const char *id, int64_t now_ms,
		     struct lk_err *err)
{
	NEED(word_ok(bot, 64) && word_ok(id, STORE_AGENT_ID_MAX), "bot or agent id");
	STORE_NEED_HANDOFF(st);
	return st->ops->handoff->agent_seen(st->impl, bot, id, now_ms, err);
}

int store_agent_login_result(struct store *st, const char *bot, const char *id, int ok,
			     int lock_after, int64_t lock_ms, int64_t now_ms, struct lk_err *err)
{
	NEED(word_ok(bot, 64) && word_ok(id, STORE_AGENT_ID_MAX), "bot or agent id");
	NEED(lock_ms >= 0, "lock time");
	STORE_NEED_HANDOFF(st);
	return st->ops->handoff->agent_login_result(st->impl, bot, id, ok, lock_after, lock_ms,
						    now_ms, err);
}

int store_session_add(struct store *st, const char *bot, const struct store_session *s,
		      struct lk_err *err)
{
	NEED(word_ok(bot, 64) && word_ok(s->agent_id, sizeof(s->agent_id)), "bot or agent id");
	NEED(strnlen(s->csrf, sizeof(s->csrf)) < sizeof(s->csrf), "csrf token");
	STORE_NEED_HANDOFF(st);
	return st->ops->handoff->session_add(st->impl, bot, s, err);
}

int store_session_get(struct store *st, const char *bot, const unsigned char hash[32],
		      struct store_session *out, struct lk_err *err)
{
	memset(out, 0, sizeof(*out));
	NEED(word_ok(bot, 64), "bot");
	STORE_NEED_HANDOFF(st);
	return st->ops->handoff->session_get(st->impl, bot, hash, out, err);
}

int store_session_touch(struct store *st, const char *bot, const unsigned char hash[32],
			int64_t expires_ms, struct lk_err *err)
{
	NEED(word_ok(bot, 64), "bot");
	STORE_NEED_HANDOFF(st);
	return st->ops->handoff->session_touch(st->impl, bot, hash, expires_ms, err);
}

int store_session_delete(struct store *st, const char *bot, const unsigned char hash[32],
			 struct lk_err *err)
{
	NEED(word_ok(bot, 64), "bot");
	STORE_NEED_HANDOFF(st);
	return st->ops->handoff->session_delete(st->impl, bot, hash, err);
}

int store_session_delete_agent(struct store *st, const char *bot, const char *agent_id,
			       struct lk_err *err)
{
	NEED(word_ok(bot, 64) && word_ok(agent_id, STORE_AGENT_ID_MAX), "bot or agent id");
	STORE_NEED_HANDOFF(st);
	return st->ops->handoff->session_delete_agent(st->impl, bot, agent_id, err);
}

int store_session_prune(struct store *st, const char *bot, int64_t now_ms, struct lk_err *err)
{
	NEED(word_ok(bot, 64), "bot");
	STORE_NEED_HANDOFF(st);
	return st->ops->handoff->session_prune(st->impl, bot, now_ms, err);
}

void store_audits_release(struct store_audits *l)
{
	if (!l)
		return;
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

int store_audit_add(struct store *st, const char *bot, const struct store_audit *a,
		    struct lk_err *err)
{
	NEED(word_ok(bot, 64), "bot");
	NEED(word_ok(a->actor, sizeof(a->actor)) && word_ok(a->action, sizeof(a->action)),
	     "actor or action");
	NEED(strnlen(a->conv_id, sizeof(a->conv_id)) < sizeof(a->conv_id) &&
	     strnlen(a->team, sizeof(a->team)) < sizeof(a->team) &&
	     strnlen(a->detail, sizeof(a->detail)) < sizeof(a->detail),
	     "conversation, team or detail");
	STORE_NEED_HANDOFF(st);
	return st->ops->handoff->audit_add(st->impl, bot, a, err);
}

int store_audit_list(struct store *st, const char *bot, const char *conv_id, int64_t before_id,
		     size_t limit, struct store_audits *out, struct lk_err *err)
{
	out->v = NULL;
	out->n = 0;
	NEED(word_ok(bot, 64), "bot");
	NEED(before_id >= 0, "before id");
	if (limit > STORE_AUDIT_LIST_MAX)
		limit = STORE_AUDIT_LIST_MAX;
	if (!limit)
		return 0;
	STORE_NEED_HANDOFF(st);
	return st->ops->handoff->audit_list(st->impl, bot, conv_id, before_id, limit, out, err);
}

void store_ticket_release(struct store_ticket *t)
{
	if (!t)
		return;
	free(t->question);
	free(t->name);
	free(t->contact);
	t->question = NULL;
	t->name = NULL;
	t->contact = NULL;
}

void store_tickets_release(struct store_tickets *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->n; i++)
		store_ticket_release(&l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

int store_ticket_add(struct store *st, const char *bot, const struct store_ticket *t,
		     struct lk_err *err)
{
	NEED(word_ok(bot, 64) && word_ok(t->ref, sizeof(t->ref)), "bot or reference");
	NEED(strnlen(t->team, sizeof(t->team)) < sizeof(t->team) &&
	     strnlen(t->conv_id, sizeof(t->conv_id)) < sizeof(t->conv_id) &&
	     strnlen(t->lang, sizeof(t->lang)) < sizeof(t->lang), "team, conversation or language");
	NEED(t->question && t->name && t->contact, "question, name or contact");
	STORE_NEED_HANDOFF(st);
	return st->ops->handoff->ticket_add(st->impl, bot, t, err);
}

int store_ticket_since(struct store *st, const char *bot, int64_t after_ms, size_t limit,
		       struct store_tickets *out, struct lk_err *err)
{
	out->v = NULL;
	out->n = 0;
	NEED(word_ok(bot, 64), "bot");
	if (limit > STORE_TICKET_LIST_MAX)
		limit = STORE_TICKET_LIST_MAX;
	if (!limit)
		return 0;
	STORE_NEED_HANDOFF(st);
	return st->ops->handoff->ticket_since(st->impl, bot, after_ms, limit, out, err);
}

int store_ticket_list(struct store *st, const char *bot, const char *teams, const char *status,
		      size_t limit, struct store_tickets *out, struct lk_err *err)
{
	out->v = NULL;
	out->n = 0;
	NEED(word_ok(bot, 64), "bot");
	NEED(teams_ok(teams), "teams");
	if (limit > STORE_TICKET_LIST_MAX)
		limit = STORE_TICKET_LIST_MAX;
	if (!limit)
		return 0;
	STORE_NEED_HANDOFF(st);
	return st->ops->handoff->ticket_list(st->impl, bot, teams, status, limit, out, err);
}

int store_ticket_get(struct store *st, const char *bot, const char *ref, struct store_ticket *out,
		     struct lk_err *err)
{
	memset(out, 0, sizeof(*out));
	NEED(word_ok(bot, 64) && word_ok(ref, STORE_REF_MAX), "bot or reference");
	STORE_NEED_HANDOFF(st);
	return st->ops->handoff->ticket_get(st->impl, bot, ref, out, err);
}

int store_ticket_done(struct store *st, const char *bot, const char *ref, const char *agent,
		      int64_t now_ms, struct lk_err *err)
{
	NEED(word_ok(bot, 64) && word_ok(ref, STORE_REF_MAX), "bot or reference");
	NEED(word_ok(agent, STORE_AGENT_ID_MAX), "agent id");
	STORE_NEED_HANDOFF(st);
	return st->ops->handoff->ticket_done(st->impl, bot, ref, agent, now_ms, err);
}

int store_link_by_conv(struct store *st, const char *bot, const char *conv_id, char *channel,
		       size_t channel_size, char *user, size_t user_size, int64_t *last_inbound,
		       struct lk_err *err)
{
	if (channel_size)
		channel[0] = '\0';
	if (user_size)
		user[0] = '\0';
	NEED(word_ok(bot, 64) && word_ok(conv_id, STORE_ID_LEN + 1), "bot or conversation id");
	NEED(channel_size > 0 && user_size > 0, "output buffers");
	STORE_NEED_HANDOFF(st);
	return st->ops->handoff->link_by_conv(st->impl, bot, conv_id, channel, channel_size, user,
					      user_size, last_inbound, err);
}
/* --- end of human handoff --- */
