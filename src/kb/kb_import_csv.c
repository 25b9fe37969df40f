/* kb_import_csv.c - CSV knowledge bases (RFC 4180: quoted fields with commas,
 * doubled quotes and line breaks; LF or CRLF). A header row names the
 * columns: the Rijksoverheid VAC export (id, question, reference_answer,
 * canonical, subjects, language) or a generic id,question,answer,url,title,
 * lang,tags. Other columns are ignored.
 */
#include "core/buf.h"
#include "core/mem.h"
#include "kb/kb_import_int.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define CSV_MAX_COLUMNS 1024

enum csv_target { T_NONE = -1, T_ID, T_QUESTION, T_ANSWER, T_TITLE, T_URL, T_LANG, T_TAGS, T_N };

/* Header names and the entry field each fills; the first column found for a
 * field wins. */
static const struct {
	const char *name;
	enum csv_target target;
} csv_columns[] = {
	{ "id", T_ID },         { "question", T_QUESTION }, { "answer", T_ANSWER },
	{ "reference_answer", T_ANSWER }, { "title", T_TITLE }, { "url", T_URL },
	{ "canonical", T_URL }, { "lang", T_LANG },         { "language", T_LANG },
	{ "tags", T_TAGS },     { "subjects", T_TAGS },
};

/* The reader: a cursor over the bytes and the fields of the last record. */
struct csv {
	struct kb_import_ctx *c;
	const char *p;
	size_t len, pos;
	long line;       /* line of p[pos] */
	long rec_line;   /* line where the last record started */
	struct buf *f;   /* fields of the last record */
	size_t nf, af;   /* fields used, allocated */
	int quoted;      /* whether the last record's first field was quoted */
};

static struct buf *csv_next_field(struct csv *r)
{
	if (r->nf == CSV_MAX_COLUMNS)
		return NULL;
	if (r->nf == r->af) {
		r->af = r->af ? r->af * 2 : 16;
		r->f = xreallocarray(r->f, r->af, sizeof(*r->f));
		for (size_t i = r->nf; i < r->af; i++)
			buf_init(&r->f[i], KB_IMPORT_MAX_FIELD);
	}
	buf_reset(&r->f[r->nf]);
	return &r->f[r->nf++];
}

static void csv_release(struct csv *r)
{
	for (size_t i = 0; i < r->af; i++)
		buf_release(&r->f[i]);
	free(r->f);
}

static int csv_too_long(struct csv *r)
{
	return kb_import_fail(r->c, LK_ETOOBIG, r->rec_line, "field %zu longer than %zu bytes",
			      r->nf, KB_IMPORT_MAX_FIELD);
}

/* At a line break (LF or CRLF) at pos: its length, else 0. */
static size_t csv_eol(const struct csv *r, size_t pos)
{
	if (pos < r->len && r->p[pos] == '\n')
		return 1;
	if (pos + 1 < r->len && r->p[pos] == '\r' && r->p[pos + 1] == '\n')
		return 2;
	return 0;
}

/* A quoted field, pos just past the opening quote. Line breaks inside become
 * "\n". */
static int csv_quoted(struct csv *r, struct buf *b)
{
	for (;;) {
		size_t eol, start = r->pos;

		while (r->pos < r->len && r->p[r->pos] != '"' && r->p[r->pos] != '\r' &&
		       r->p[r->pos] != '\n')
			r->pos++;
		if (buf_add(b, r->p + start, r->pos - start))
			return csv_too_long(r);
		if (r->pos >= r->len)
			return kb_import_fail(r->c, LK_EPARSE, r->rec_line,
					      "unterminated quoted field");
		eol = csv_eol(r, r->pos);
		if (eol) {
			r->pos += eol;
			r->line++;
			if (buf_addc(b, '\n'))
				return csv_too_long(r);
		} else if (r->p[r->pos] == '\r') {
			r->pos++;
			if (buf_addc(b, '\r'))
				return csv_too_long(r);
		} else if (r->pos + 1 < r->len && r->p[r->pos + 1] == '"') {
			r->pos += 2;
			if (buf_addc(b, '"'))
				return csv_too_long(r);
		} else {
			r->pos++;
			return 0;
		}
	}
}

/* An unquoted field: up to a comma, a line break or the end. */
static int csv_plain(struct csv *r, struct buf *b)
{
	size_t start = r->pos;

	while (r->pos < r->len && r->p[r->pos] != ',' && !csv_eol(r, r->pos))
		r->pos++;
	if (buf_add(b, r->p + start, r->pos - start))
		return csv_too_long(r);
	return 0;
}

/* Reads one record: 1 when one was read, 0 at the end, or an error. */
static int csv_record(struct csv *r)
{
	r->nf = 0;
	r->rec_line = r->line;
	if (r->pos >= r->len)
		return 0;
	for (;;) {
		struct buf *b = csv_next_field(r);
		size_t eol;
		int rc, quoted = r->pos < r->len && r->p[r->pos] == '"';

		if (!b)
			return kb_import_fail(r->c, LK_EPARSE, r->rec_line,
					      "more than %d fields", CSV_MAX_COLUMNS);
		if (r->nf == 1)
			r->quoted = quoted;
		if (quoted)
			r->pos++;
		rc = quoted ? csv_quoted(r, b) : csv_plain(r, b);
		if (rc)
			return rc;
		if (r->pos >= r->len)
			return 1;
		if (r->p[r->pos] == ',') {
			r->pos++;
			continue;
		}
		eol = csv_eol(r, r->pos);
		if (!eol)
			return kb_import_fail(r->c, LK_EPARSE, r->line,
					      "unexpected character after closing quote");
		r->pos += eol;
		r->line++;
		return 1;
	}
}

static int csv_blank_record(const struct csv *r)
{
	return r->nf == 1 && r->f[0].len == 0 && !r->quoted;
}

/* Maps header columns to targets: col[target] = column index or -1. */
static int csv_header(struct csv *r, int col[T_N])
{
	for (int t = 0; t < T_N; t++)
		col[t] = -1;
	for (size_t i = 0; i < r->nf; i++) {
		char *name = kb_import_strip(r->f[i].ptr, r->f[i].len);

		for (size_t k = 0; name && k < sizeof(csv_columns) / sizeof(csv_columns[0]); k++)
			if (strcasecmp(name, csv_columns[k].name) == 0 &&
			    col[csv_columns[k].target] < 0)
				col[csv_columns[k].target] = (int)i;
		free(name);
	}
	if (col[T_ID] < 0 || col[T_ANSWER] < 0)
		return kb_import_fail(r->c, LK_EPARSE, r->rec_line,
				      "missing required column \"%s\" in header",
				      col[T_ID] < 0 ? "id" : "answer\" or \"reference_answer");
	return 0;
}

/* "Bouwregelgeving|De Omgevingswet" or "a, b" -> "Bouwregelgeving,De Omgevingswet". */
static char *csv_tags(const char *s, size_t len)
{
	struct buf b;
	size_t i = 0;

	buf_init(&b, KB_IMPORT_MAX_FIELD);
	while (i < len) {
		size_t j = i;
		char *tag;

		while (j < len && s[j] != '|' && s[j] != ',')
			j++;
		tag = kb_import_strip(s + i, j - i);
		if (tag && b.len)
			buf_addc(&b, ',');
		if (tag)
			buf_adds(&b, tag);
		free(tag);
		i = j + 1;
	}
	if (!b.len)
		return NULL;
	return buf_detach(&b, NULL);
}

static char *csv_get(const struct csv *r, const int col[T_N], enum csv_target t)
{
	const struct buf *b;

	if (col[t] < 0)
		return NULL;
	b = &r->f[col[t]];
	if (t == T_LANG)
		return kb_import_lang(b->ptr, b->len);
	if (t == T_TAGS)
		return csv_tags(b->ptr, b->len);
	return kb_import_strip(b->ptr, b->len);
}

static int csv_entry(struct csv *r, const int col[T_N], size_t ncols)
{
	struct kb_entry e;

	if (r->nf != ncols)
		return kb_import_fail(r->c, LK_EPARSE, r->rec_line,
				      "expected %zu fields as in the header, found %zu", ncols,
				      r->nf);
	kb_entry_init(&e);
	e.id = csv_get(r, col, T_ID);
	e.question = csv_get(r, col, T_QUESTION);
	e.answer = csv_get(r, col, T_ANSWER);
	e.title = csv_get(r, col, T_TITLE);
	if (!e.title)
		e.title = xstrdup(e.question);
	e.url = csv_get(r, col, T_URL);
	e.lang = csv_get(r, col, T_LANG);
	e.tags = csv_get(r, col, T_TAGS);
	return kb_import_add(r->c, r->rec_line, &e);
}

int kb_import_csv(struct kb_import_ctx *c, const char *data, size_t len)
{
	struct csv r = { .c = c, .p = data, .len = len, .line = 1 };
	int col[T_N], rc;
	size_t ncols;

	rc = kb_import_check_text(c, data, len, 1);
	if (rc)
		goto out;
	if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0)
		r.pos = 3; /* a byte-order mark */
	rc = csv_record(&r);
	if (rc == 0)
		rc = kb_import_fail(c, LK_EPARSE, 1, "empty file: a header row is required");
	if (rc < 0)
		goto out;
	rc = csv_header(&r, col);
	if (rc)
		goto out;
	ncols = r.nf;
	for (;;) {
		rc = csv_record(&r);
		if (rc <= 0)
			break;
		if (csv_blank_record(&r))
			continue;
		rc = csv_entry(&r, col, ncols);
		if (rc)
			break;
	}
out:
	csv_release(&r);
	return rc;
}
