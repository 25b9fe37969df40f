/* kb_import_util.c - small tools the importers share: heading slugs and
 * unique ids, language tag normalisation, trimming, and the plain-text
 * builder that turns Markdown and HTML into paragraphs and list lines.
 */
#include "core/mem.h"
#include "kb/kb_import_int.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <utf8proc.h>

#define KB_SLUG_MAX 96  /* bytes of slug in an id */
#define KB_BASE_MAX 128 /* bytes of file name in an id */

/* --- the id set: open addressing, ids owned by the set --- */

struct kb_id_slot {
	char *id;       /* NULL when the slot is free */
	unsigned next;  /* next suffix to try when this id is asked for again */
};

struct kb_idset {
	struct kb_id_slot *v;
	size_t n, cap; /* cap is a power of two */
};

static uint64_t hash_str(const char *s)
{
	uint64_t h = 1469598103934665603ULL; /* FNV-1a */

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

static struct kb_id_slot *idset_find(struct kb_idset *s, const char *id)
{
	size_t i = (size_t)hash_str(id) & (s->cap - 1);

	while (s->v[i].id && strcmp(s->v[i].id, id) != 0)
		i = (i + 1) & (s->cap - 1);
	return &s->v[i];
}

static void idset_grow(struct kb_idset *s)
{
	struct kb_idset bigger = { NULL, s->n, s->cap ? s->cap * 2 : 64 };

	bigger.v = xcalloc(bigger.cap, sizeof(*bigger.v));
	for (size_t i = 0; i < s->cap; i++)
		if (s->v[i].id)
			*idset_find(&bigger, s->v[i].id) = s->v[i];
	free(s->v);
	*s = bigger;
}

/* The slot for id, inserted (with a copy of id) when missing; *added says
 * which. */
static struct kb_id_slot *idset_get(struct kb_idset *s, const char *id, int *added)
{
	struct kb_id_slot *slot;

	if ((s->n + 1) * 2 > s->cap)
		idset_grow(s);
	slot = idset_find(s, id);
	*added = slot->id == NULL;
	if (*added) {
		slot->id = xstrdup(id);
		slot->next = 2;
		s->n++;
	}
	return slot;
}

void kb_import_idset_free(struct kb_idset *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->cap; i++)
		free(s->v[i].id);
	free(s->v);
	free(s);
}

/* Appends at most max bytes of s to b, cutting at a character boundary. */
static void add_prefix(struct buf *b, const char *s, size_t max)
{
	size_t n = strlen(s);

	if (n > max) {
		n = max;
		while (n && ((unsigned char)s[n] & 0xC0) == 0x80)
			n--;
	}
	buf_add(b, s, n);
}

char *kb_import_make_id(struct kb_import_ctx *c, const char *text)
{
	struct buf id;
	char *stem;
	size_t n;
	int added;

	if (!c->ids)
		c->ids = xcalloc(1, sizeof(*c->ids));
	buf_init(&id, KB_IMPORT_MAX_ID);
	add_prefix(&id, c->base, KB_BASE_MAX);
	buf_addc(&id, '#');
	n = id.len;
	kb_import_slug(&id, text, KB_SLUG_MAX);
	if (id.len == n)
		buf_adds(&id, "section");
	idset_get(c->ids, id.ptr, &added);
	if (added)
		return buf_detach(&id, NULL);
	/* A duplicate: try stem-2, stem-3, ... starting where the last duplicate
	 * of this stem left off, so n equal headings cost O(n), not O(n^2). The
	 * stem is looked up again each time because inserting may rehash. */
	n = id.len;
	stem = xstrdup(id.ptr);
	while (!added) {
		unsigned k = idset_find(c->ids, stem)->next++;

		buf_truncate(&id, n);
		buf_addf(&id, "-%u", k);
		idset_get(c->ids, id.ptr, &added);
	}
	free(stem);
	return buf_detach(&id, NULL);
}

/* --- slugs --- */

/* The input case-folded, decomposed and stripped of accents ("Überweg" ->
 * "uberweg"); NULL when it is not valid UTF-8. Caller frees. */
static char *fold_ascii(const char *text)
{
	utf8proc_uint8_t *folded = NULL;
	utf8proc_ssize_t n;

	n = utf8proc_map((const utf8proc_uint8_t *)text, 0, &folded,
			 UTF8PROC_NULLTERM | UTF8PROC_DECOMPOSE | UTF8PROC_COMPAT |
				 UTF8PROC_STRIPMARK | UTF8PROC_CASEFOLD);
	if (n < 0)
		return NULL;
	return (char *)folded;
}

void kb_import_slug(struct buf *b, const char *text, size_t max)
{
	char *folded = fold_ascii(text);
	const char *p = folded ? folded : text;
	size_t start = b->len;
	int dash = 0;

	for (; *p && b->len - start < max; p++) {
		char ch = *p;

		if (ch >= 'A' && ch <= 'Z')
			ch = (char)(ch - 'A' + 'a');
		if ((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9')) {
			if (dash && b->len > start && b->len - start + 1 < max)
				buf_addc(b, '-');
			dash = 0;
			buf_addc(b, ch);
		} else if (ch != '\'') {
			/* an ASCII apostrophe joins ("d'r" -> "dr"); all else separates */
			dash = 1;
		}
	}
	free(folded);
}

/* --- language tags --- */

static const struct {
	const char *name;
	const char *tag;
} kb_lang_names[] = {
	{ "nederlands", "nl" }, { "dutch", "nl" },  { "vlaams", "nl" },
	{ "english", "en" },    { "engels", "en" }, { "deutsch", "de" },
	{ "duits", "de" },      { "german", "de" }, { "frans", "fr" },
	{ "french", "fr" },     { "francais", "fr" },
};

char *kb_import_lang(const char *s, size_t len)
{
	char *t = kb_import_strip(s, len);
	size_t n;

	if (!t)
		return NULL;
	for (char *p = t; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	for (size_t i = 0; i < sizeof(kb_lang_names) / sizeof(kb_lang_names[0]); i++) {
		if (strcmp(t, kb_lang_names[i].name) == 0) {
			free(t);
			return xstrdup(kb_lang_names[i].tag);
		}
	}
	/* "nl-NL", "nl_BE" -> the primary subtag when it looks like one */
	n = strcspn(t, "-_");
	if (t[n] && (n == 2 || n == 3))
		t[n] = '\0';
	return t;
}

char *kb_import_strip(const char *s, size_t len)
{
	while (len && (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')) {
		s++;
		len--;
	}
	while (len && (s[len - 1] == ' ' || s[len - 1] == '\t' || s[len - 1] == '\n' ||
		       s[len - 1] == '\r'))
		len--;
	return len ? xstrndup(s, len) : NULL;
}

/* --- the plain-text builder --- */

void kb_text_init(struct kb_text *t)
{
	buf_init(&t->b, KB_IMPORT_MAX_FIELD + 1);
	t->brk = 0;
	t->over = 0;
}

void kb_text_release(struct kb_text *t)
{
	buf_release(&t->b);
	kb_text_init(t);
}

static void text_put(struct kb_text *t, const char *s, size_t n)
{
	if (t->over || buf_add(&t->b, s, n))
		t->over = 1;
}

/* Writes the pending break, if any text came before it. */
static void text_flush_break(struct kb_text *t)
{
	static const char *const brk[] = { "", " ", "\n", "\n\n" };

	if (t->b.len && t->brk)
		text_put(t, brk[t->brk], strlen(brk[t->brk]));
	t->brk = 0;
}

static void text_break(struct kb_text *t, int kind)
{
	if (t->brk < kind)
		t->brk = kind;
}

static int is_space(unsigned char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' || ch == '\f' || ch == '\v';
}

/* Bytes of whitespace at s[0..n): ASCII or U+00A0 (no-break space). */
static size_t space_len(const char *s, size_t n)
{
	if (is_space((unsigned char)s[0]))
		return 1;
	if (n >= 2 && (unsigned char)s[0] == 0xC2 && (unsigned char)s[1] == 0xA0)
		return 2;
	return 0;
}

void kb_text_add(struct kb_text *t, const char *s, size_t n)
{
	size_t i = 0;

	while (i < n && !t->over) {
		size_t sp = space_len(s + i, n - i), j;

		if (sp) {
			text_break(t, 1);
			i += sp;
			continue;
		}
		for (j = i + 1; j < n && !space_len(s + j, n - j); j++)
			;
		text_flush_break(t);
		text_put(t, s + i, j - i);
		i = j;
	}
}

void kb_text_add_raw(struct kb_text *t, const char *s, size_t n)
{
	if (!n)
		return;
	text_flush_break(t);
	text_put(t, s, n);
}

void kb_text_space(struct kb_text *t)
{
	text_break(t, 1);
}

void kb_text_line(struct kb_text *t)
{
	text_break(t, 2);
}

void kb_text_para(struct kb_text *t)
{
	text_break(t, 3);
}

int kb_text_too_long(const struct kb_text *t)
{
	return t->over || t->b.len > KB_IMPORT_MAX_FIELD;
}

char *kb_text_detach(struct kb_text *t)
{
	char *s = NULL;

	if (t->b.len)
		s = buf_detach(&t->b, NULL);
	kb_text_release(t);
	return s;
}
