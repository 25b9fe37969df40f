/* kb_synonyms.c - loading synonym groups from a text file (see
 * kb_synonyms.h). Members are folded here once, so the index compares
 * folded text only. */
#include "kb/kb_synonyms.h"

#include "core/buf.h"
#include "core/mem.h"
#include "text/text_norm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

struct kb_synonym_group {
	char **members;
	size_t n;
};

struct kb_synonyms {
	struct kb_synonym_group *groups;
	size_t n;
	size_t alloc;
};

static void kb_synonyms_group_release(struct kb_synonym_group *g)
{
	for (size_t i = 0; i < g->n; i++)
		free(g->members[i]);
	free(g->members);
	g->members = NULL;
	g->n = 0;
}

void kb_synonyms_free(struct kb_synonyms *syn)
{
	if (!syn)
		return;
	for (size_t i = 0; i < syn->n; i++)
		kb_synonyms_group_release(&syn->groups[i]);
	free(syn->groups);
	free(syn);
}

static int kb_synonyms_is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

static int kb_synonyms_valid_utf8(const char *s, size_t len)
{
	size_t i = 0;

	while (i < len) {
		utf8proc_int32_t cp;
		utf8proc_ssize_t n = utf8proc_iterate((const utf8proc_uint8_t *)s + i,
						      (utf8proc_ssize_t)(len - i), &cp);

		if (n <= 0 || cp == 0)
			return 0;
		i += (size_t)n;
	}
	return 1;
}

/* Folds one member s[0..len) (already trimmed) into a new string; collapses
 * runs of white space to one space. */
static char *kb_synonyms_fold_member(const char *s, size_t len)
{
	struct buf folded, out;
	int space = 0;

	buf_init(&folded, 4 * KB_SYNONYMS_MAX_MEMBER + 16);
	buf_init(&out, 4 * KB_SYNONYMS_MAX_MEMBER + 16);
	/* Cannot overflow: the member is at most KB_SYNONYMS_MAX_MEMBER bytes. */
	(void)text_norm_fold(s, len, &folded);
	for (size_t i = 0; i < folded.len; i++) {
		char c = folded.ptr[i];

		if (kb_synonyms_is_space(c)) {
			space = 1;
			continue;
		}
		if (space && out.len)
			(void)buf_addc(&out, ' ');
		space = 0;
		(void)buf_addc(&out, c);
	}
	buf_release(&folded);
	return buf_detach(&out, NULL);
}

static void kb_synonyms_push_member(struct kb_synonym_group *g, char *m)
{
	g->members = xreallocarray(g->members, g->n + 1, sizeof(*g->members));
	g->members[g->n++] = m;
}

static void kb_synonyms_push_group(struct kb_synonyms *syn, struct kb_synonym_group *g)
{
	if (syn->n == syn->alloc) {
		syn->alloc = syn->alloc ? syn->alloc * 2 : 16;
		syn->groups = xreallocarray(syn->groups, syn->alloc, sizeof(*syn->groups));
	}
	syn->groups[syn->n++] = *g;
	g->members = NULL;
	g->n = 0;
}

/* Parses one line (without its newline) into syn. */
static int kb_synonyms_parse_line(struct kb_synonyms *syn, const char *name, size_t lineno,
				  const char *line, size_t len, struct lk_err *err)
{
	struct kb_synonym_group g = { NULL, 0 };
	const char *hash = memchr(line, '#', len);
	size_t i = 0;
	int rc = 0;

	if (hash)
		len = (size_t)(hash - line);
	while (len && kb_synonyms_is_space(line[len - 1]))
		len--;
	while (i < len && kb_synonyms_is_space(line[i]))
		i++;
	if (i == len)
		return 0;
	if (!kb_synonyms_valid_utf8(line, len))
		return lk_err_set(err, LK_EPARSE, "%s:%zu: invalid UTF-8", name, lineno);
	while (i <= len) {
		const char *comma = memchr(line + i, ',', len - i);
		size_t end = comma ? (size_t)(comma - line) : len, s = i, e = end;

		while (s < e && kb_synonyms_is_space(line[s]))
			s++;
		while (e > s && kb_synonyms_is_space(line[e - 1]))
			e--;
		if (s == e) {
			rc = lk_err_set(err, LK_EPARSE, "%s:%zu: empty term in synonym group", name,
					lineno);
			goto fail;
		}
		if (e - s > KB_SYNONYMS_MAX_MEMBER) {
			rc = lk_err_set(err, LK_EPARSE, "%s:%zu: term longer than %d bytes", name,
					lineno, (int)KB_SYNONYMS_MAX_MEMBER);
			goto fail;
		}
		kb_synonyms_push_member(&g, kb_synonyms_fold_member(line + s, e - s));
		i = end + 1;
	}
	if (g.n < 2) {
		rc = lk_err_set(err, LK_EPARSE,
				"%s:%zu: a synonym group needs at least two comma-separated terms",
				name, lineno);
		goto fail;
	}
	kb_synonyms_push_group(syn, &g);
	return 0;
fail:
	kb_synonyms_group_release(&g);
	return rc;
}

int kb_synonyms_parse(struct kb_synonyms **out, const char *name, const char *data, size_t len,
		      struct lk_err *err)
{
	struct kb_synonyms *syn = xcalloc(1, sizeof(*syn));
	size_t pos = 0, lineno = 0;
	int rc = 0;

	*out = NULL;
	if (len > KB_SYNONYMS_MAX_FILE) {
		rc = lk_err_set(err, LK_ETOOBIG, "%s: larger than %zu bytes", name,
				KB_SYNONYMS_MAX_FILE);
		goto fail;
	}
	while (pos < len) {
		const char *nl = memchr(data + pos, '\n', len - pos);
		size_t end = nl ? (size_t)(nl - data) : len;

		lineno++;
		rc = kb_synonyms_parse_line(syn, name, lineno, data + pos, end - pos, err);
		if (rc)
			goto fail;
		pos = end + 1;
	}
	*out = syn;
	return 0;
fail:
	kb_synonyms_free(syn);
	return rc;
}


int kb_synonyms_load(struct kb_synonyms **out, const char *path, struct lk_err *err)
{
	struct buf data;
	int rc;

	*out = NULL;
	buf_init(&data, KB_SYNONYMS_MAX_FILE);
	rc = buf_read_file(&data, path, err);
	if (!rc)
		rc = kb_synonyms_parse(out, path, data.ptr, data.len, err);
	buf_release(&data);
	return rc;
}

size_t kb_synonyms_count(const struct kb_synonyms *syn)
{
	return syn ? syn->n : 0;
}

size_t kb_synonyms_group_size(const struct kb_synonyms *syn, size_t group)
{
	return syn && group < syn->n ? syn->groups[group].n : 0;
}

const char *kb_synonyms_member(const struct kb_synonyms *syn, size_t group, size_t i)
{
	if (!syn || group >= syn->n || i >= syn->groups[group].n)
		return NULL;
	return syn->groups[group].members[i];
}
