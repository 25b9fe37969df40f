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
