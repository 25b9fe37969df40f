/* store.c - picks a back end by URL scheme and forwards every call to it. */
#include "store/store.h"

#include "core/mem.h"
#include "store/store_backend.h"

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
