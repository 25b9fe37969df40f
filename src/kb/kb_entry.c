/* kb_entry.c - knowledge-base entry lifecycle and entry lists. */
#include "kb/kb_entry.h"

#include "core/mem.h"

#include <stdlib.h>
#include <string.h>

void kb_entry_init(struct kb_entry *e)
{
	memset(e, 0, sizeof(*e));
}

void kb_entry_release(struct kb_entry *e)
{
	free(e->id);
	free(e->question);
	free(e->title);
	free(e->answer);
	free(e->url);
	free(e->lang);
	free(e->tags);
	kb_entry_init(e);
}

void kb_entry_copy(struct kb_entry *dst, const struct kb_entry *src)
{
	dst->id = xstrdup(src->id);
	dst->question = xstrdup(src->question);
	dst->title = xstrdup(src->title);
	dst->answer = xstrdup(src->answer);
	dst->url = xstrdup(src->url);
	dst->lang = xstrdup(src->lang);
	dst->tags = xstrdup(src->tags);
}

void kb_entries_init(struct kb_entries *l)
{
	memset(l, 0, sizeof(*l));
}

void kb_entries_release(struct kb_entries *l)
{
	for (size_t i = 0; i < l->n; i++)
		kb_entry_release(&l->v[i]);
	free(l->v);
	kb_entries_init(l);
}

void kb_entries_push(struct kb_entries *l, struct kb_entry *e)
{
	if (l->n == l->alloc) {
		l->alloc = l->alloc ? l->alloc * 2 : 16;
		l->v = xreallocarray(l->v, l->alloc, sizeof(*l->v));
	}
	l->v[l->n++] = *e;
	kb_entry_init(e);
}

struct id_pos {
	const char *id;
	size_t pos;
};

static int id_pos_cmp(const void *a, const void *b)
{
	const struct id_pos *x = a, *y = b;
	int c = strcmp(x->id, y->id);

	if (c)
		return c;
	return x->pos < y->pos ? -1 : x->pos > y->pos;
}

void kb_entries_dedupe(struct kb_entries *l)
{
	struct id_pos *ix;
	unsigned char *drop;
	size_t i, j, first;

	if (l->n < 2)
		return;
	ix = xcalloc(l->n, sizeof(*ix));
	drop = xcalloc(l->n, 1);
	for (i = 0; i < l->n; i++) {
		ix[i].id = l->v[i].id ? l->v[i].id : "";
		ix[i].pos = i;
	}
	qsort(ix, l->n, sizeof(*ix), id_pos_cmp);
	for (i = 0; i < l->n; i = j) {
		for (j = i + 1; j < l->n && !strcmp(ix[j].id, ix[i].id); j++)
			;
		if (j - i < 2)
			continue;
		/* The last version wins but takes the place of the first. */
		first = ix[i].pos;
		kb_entry_release(&l->v[first]);
		l->v[first] = l->v[ix[j - 1].pos];
		kb_entry_init(&l->v[ix[j - 1].pos]);
		for (size_t k = i + 1; k < j; k++)
			drop[ix[k].pos] = 1;
	}
	for (i = 0, j = 0; i < l->n; i++) {
		if (drop[i]) {
			kb_entry_release(&l->v[i]);
			continue;
		}
		l->v[j++] = l->v[i];
	}
	l->n = j;
	free(ix);
	free(drop);
}
