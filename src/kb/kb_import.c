/* kb_import.c - knowledge-base import: format dispatch, file reading with the
 * size limit, the all-or-nothing rule, and the checks every entry passes
 * before it is kept. The formats themselves live in kb_import_<fmt>.c.
 */
#include "kb/kb_import.h"

#include "core/buf.h"
#include "core/mem.h"
#include "kb/kb_import_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <utf8proc.h>

typedef int (*kb_parse_fn)(struct kb_import_ctx *c, const char *data, size_t len);

/* One row per format: its name, the extensions it is read from, its parser. */
static const struct kb_format_row {
	enum kb_format fmt;
	const char *name;
	const char *ext[3];
	kb_parse_fn parse;
} kb_formats[] = {
	{ KB_FORMAT_JSONL, "jsonl", { ".jsonl", ".ndjson", NULL }, kb_import_jsonl },
	{ KB_FORMAT_CSV, "csv", { ".csv", NULL, NULL }, kb_import_csv },
	{ KB_FORMAT_MARKDOWN, "markdown", { ".md", ".markdown", NULL }, kb_import_md },
	{ KB_FORMAT_HTML, "html", { ".html", ".htm", NULL }, kb_import_html },
};

#define KB_NFORMATS (sizeof(kb_formats) / sizeof(kb_formats[0]))

static const struct kb_format_row *format_row(enum kb_format fmt)
{
	for (size_t i = 0; i < KB_NFORMATS; i++)
		if (kb_formats[i].fmt == fmt)
			return &kb_formats[i];
	return NULL;
}

static int has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcasecmp(s + n - m, suffix) == 0;
}

enum kb_format kb_format_from_path(const char *path)
{
	if (!path)
		return KB_FORMAT_UNKNOWN;
	for (size_t i = 0; i < KB_NFORMATS; i++)
		for (size_t j = 0; j < 3 && kb_formats[i].ext[j]; j++)
			if (has_suffix(path, kb_formats[i].ext[j]))
				return kb_formats[i].fmt;
	return KB_FORMAT_UNKNOWN;
}

const char *kb_format_name(enum kb_format fmt)
{
	const struct kb_format_row *row = format_row(fmt);

	return row ? row->name : "unknown";
}

/* --- reading files --- */

int kb_import_file(const char *path, struct kb_entries *out, struct lk_err *err)
{
	enum kb_format fmt = kb_format_from_path(path);
	struct buf b;
	int rc;

	buf_init(&b, KB_IMPORT_MAX_FILE);
	if (!path || !out) {
		rc = lk_err_set(err, LK_EINVAL, "kb import: no file or no list");
		goto out;
	}
	if (fmt == KB_FORMAT_UNKNOWN) {
		rc = lk_err_set(err, LK_EUNSUPPORTED,
				"%s: unknown format (expected .jsonl, .csv, .md, .html)", path);
		goto out;
	}
	rc = buf_read_file(&b, path, err);
	if (rc)
		goto out;
	rc = kb_import_buffer(path, fmt, b.ptr, b.len, out, err);
out:
	buf_release(&b);
	return rc;
}

/* --- the all-or-nothing driver --- */

static const char *path_base(const char *name)
{
	const char *slash = strrchr(name, '/');

	return slash ? slash + 1 : name;
}

/* Moves every entry of `from` to the end of `to`; `from` ends up empty. */
static void entries_move(struct kb_entries *to, struct kb_entries *from)
{
	for (size_t i = 0; i < from->n; i++)
		kb_entries_push(to, &from->v[i]);
	kb_entries_release(from);
}

int kb_import_buffer(const char *name, enum kb_format fmt, const char *data,
		     size_t len, struct kb_entries *out, struct lk_err *err)
{
	const struct kb_format_row *row = format_row(fmt);
	struct kb_entries tmp;
	struct kb_import_ctx c;
	char *copy = NULL;
	int rc;

	kb_entries_init(&tmp);
	if (!name)
		name = "<input>";
	memset(&c, 0, sizeof(c));
	c.name = name;
	c.base = path_base(name);
	c.out = &tmp;
	c.err = err;
	if (!out || (!data && len)) {
		rc = lk_err_set(err, LK_EINVAL, "%s: no data or no list", name);
		goto out;
	}
	if (!row) {
		rc = lk_err_set(err, LK_EUNSUPPORTED, "%s: unknown format", name);
		goto out;
	}
	if (len > KB_IMPORT_MAX_FILE) {
		rc = lk_err_set(err, LK_ETOOBIG, "%s: file larger than %zu bytes", name,
				KB_IMPORT_MAX_FILE);
		goto out;
	}
	/* The parsers may rely on a terminating NUL. */
	copy = xmalloc(len + 1);
	if (len)
		memcpy(copy, data, len);
	copy[len] = '\0';
	rc = row->parse(&c, copy, len);
	if (rc == 0)
		entries_move(out, &tmp);
out:
	kb_entries_release(&tmp);
	kb_import_idset_free(c.ids);
	free(copy);
	return rc;
}

/* --- errors and checks shared by the parsers --- */

int kb_import_fail(struct kb_import_ctx *c, int code, long line, const char *fmt, ...)
{
	char msg[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (line > 0)
		return lk_err_set(c->err, code, "%s:%ld: %s", c->name, line, msg);
	return lk_err_set(c->err, code, "%s: %s", c->name, msg);
}

/* Length of the valid UTF-8 prefix of s[0..len); *nul is set when it stops at
 * a NUL byte. */
static size_t utf8_valid_prefix(const char *s, size_t len, int *nul)
{
	const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)s;
	size_t i = 0;

	*nul = 0;
	while (i < len) {
		utf8proc_int32_t cp;
		utf8proc_ssize_t n;

		if (p[i] >= 0x01 && p[i] < 0x80) {
			i++;
			continue;
		}
		if (p[i] == 0) {
			*nul = 1;
			return i;
		}
		n = utf8proc_iterate(p + i, (utf8proc_ssize_t)(len - i), &cp);
		if (n <= 0)
			return i;
		i += (size_t)n;
	}
	return i;
}

static long line_of(const char *s, size_t off, long first_line)
{
	long line = first_line;

	for (size_t i = 0; i < off; i++)
		if (s[i] == '\n')
			line++;
	return line;
}

int kb_import_check_text(struct kb_import_ctx *c, const char *data, size_t len,
			 long first_line)
{
	int nul;
	size_t ok = utf8_valid_prefix(data, len, &nul);

	if (ok == len)
		return 0;
	return kb_import_fail(c, LK_EPARSE, line_of(data, ok, first_line),
			      nul ? "NUL byte in text" : "invalid UTF-8");
}

static int check_field(struct kb_import_ctx *c, long line, const char *what, const char *s)
{
	size_t n, ok;
	int nul;

	if (!s)
		return 0;
	n = strlen(s);
	if (n > KB_IMPORT_MAX_FIELD)
		return kb_import_fail(c, LK_ETOOBIG, line, "%s longer than %zu bytes", what,
				      KB_IMPORT_MAX_FIELD);
	ok = utf8_valid_prefix(s, n, &nul);
	if (ok != n)
		return kb_import_fail(c, LK_EPARSE, line, "invalid UTF-8 in %s", what);
	return 0;
}

static int is_blank(const char *s)
{
	for (; *s; s++)
		if (*s != ' ' && *s != '\t' && *s != '\n' && *s != '\r')
			return 0;
	return 1;
}

static int check_id(struct kb_import_ctx *c, long line, const char *id)
{
	if (!id || !*id)
		return kb_import_fail(c, LK_EPARSE, line, "missing id");
	if (strlen(id) > KB_IMPORT_MAX_ID)
		return kb_import_fail(c, LK_EPARSE, line, "id longer than %zu bytes",
				      KB_IMPORT_MAX_ID);
	for (const unsigned char *p = (const unsigned char *)id; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return kb_import_fail(c, LK_EPARSE, line, "control character in id");
	return check_field(c, line, "id", id);
}

int kb_import_add(struct kb_import_ctx *c, long line, struct kb_entry *e)
{
	const struct {
		const char *what;
		const char *s;
	} fields[] = {
		{ "question", e->question }, { "title", e->title }, { "answer", e->answer },
		{ "url", e->url },           { "lang", e->lang },   { "tags", e->tags },
	};
	int rc;

	rc = check_id(c, line, e->id);
	if (rc)
		goto out;
	if (!e->answer || is_blank(e->answer)) {
		rc = kb_import_fail(c, LK_EPARSE, line, "missing or empty answer");
		goto out;
	}
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		rc = check_field(c, line, fields[i].what, fields[i].s);
		if (rc)
			goto out;
	}
	kb_entries_push(c->out, e);
out:
	kb_entry_release(e);
	return rc;
}
