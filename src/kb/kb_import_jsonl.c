/* kb_import_jsonl.c - JSON Lines knowledge bases: one object per line,
 * {"id","question"?,"answer","title"?,"url"?,"lang"?,"tags"?}, parsed with
 * jansson. Blank lines are skipped; keys not listed here are ignored, so
 * exports may carry extra metadata.
 */
#include "core/buf.h"
#include "core/mem.h"
#include "kb/kb_import_int.h"

#include <jansson.h>
#include <string.h>

/* The optional string members and where they go. */
static const struct {
	const char *key;
	size_t off;
} jsonl_strings[] = {
	{ "question", offsetof(struct kb_entry, question) },
	{ "title", offsetof(struct kb_entry, title) },
	{ "answer", offsetof(struct kb_entry, answer) },
	{ "url", offsetof(struct kb_entry, url) },
	{ "lang", offsetof(struct kb_entry, lang) },
};

/* Sets *dst to a copy of the string member `key` (NULL when absent or null). */
static int get_string(struct kb_import_ctx *c, long line, json_t *obj, const char *key,
		      char **dst)
{
	json_t *v = json_object_get(obj, key);

	if (!v || json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return kb_import_fail(c, LK_EPARSE, line, "\"%s\" must be a string", key);
	*dst = xstrndup(json_string_value(v), json_string_length(v));
	return 0;
}

/* The id: a string, or an integer for convenience. */
static int get_id(struct kb_import_ctx *c, long line, json_t *obj, char **dst)
{
	json_t *v = json_object_get(obj, "id");
	struct buf b;

	if (json_is_integer(v)) {
		buf_init(&b, 64);
		buf_addf(&b, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		*dst = buf_detach(&b, NULL);
		return 0;
	}
	if (!v || json_is_null(v))
		return kb_import_fail(c, LK_EPARSE, line, "missing \"id\"");
	return get_string(c, line, obj, "id", dst);
}

/* "tags": a string, or an array of strings joined with ",". */
static int get_tags(struct kb_import_ctx *c, long line, json_t *obj, char **dst)
{
	json_t *v = json_object_get(obj, "tags"), *tag;
	struct buf b;
	size_t i;
	int rc = 0;

	if (!v || json_is_null(v) || json_is_string(v))
		return get_string(c, line, obj, "tags", dst);
	if (!json_is_array(v))
		return kb_import_fail(c, LK_EPARSE, line,
				      "\"tags\" must be a string or an array of strings");
	buf_init(&b, KB_IMPORT_MAX_FIELD + 1);
	json_array_foreach(v, i, tag) {
		if (!json_is_string(tag)) {
			rc = kb_import_fail(c, LK_EPARSE, line, "\"tags\" must hold only strings");
			goto out;
		}
		if ((b.len && buf_addc(&b, ',')) ||
		    buf_add(&b, json_string_value(tag), json_string_length(tag))) {
			rc = kb_import_fail(c, LK_ETOOBIG, line, "tags longer than %zu bytes",
					    KB_IMPORT_MAX_FIELD);
			goto out;
		}
	}
	*dst = b.len ? buf_detach(&b, NULL) : NULL;
out:
	buf_release(&b);
	return rc;
}

static int parse_object(struct kb_import_ctx *c, long line, json_t *obj)
{
	struct kb_entry e;
	int rc;

	kb_entry_init(&e);
	if (!json_is_object(obj)) {
		rc = kb_import_fail(c, LK_EPARSE, line, "expected a JSON object");
		goto fail;
	}
	rc = get_id(c, line, obj, &e.id);
	if (rc)
		goto fail;
	for (size_t i = 0; i < sizeof(jsonl_strings) / sizeof(jsonl_strings[0]); i++) {
		rc = get_string(c, line, obj, jsonl_strings[i].key,
				(char **)((char *)&e + jsonl_strings[i].off));
		if (rc)
			goto fail;
	}
	rc = get_tags(c, line, obj, &e.tags);
	if (rc)
		goto fail;
	if (!e.answer) {
		rc = kb_import_fail(c, LK_EPARSE, line, "missing \"answer\"");
		goto fail;
	}
	return kb_import_add(c, line, &e);
fail:
	kb_entry_release(&e);
	return rc;
}

static int is_blank(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
			return 0;
	return 1;
}

static int parse_line(struct kb_import_ctx *c, long line, const char *s, size_t n)
{
	json_error_t jerr;
	json_t *obj;
	int rc;

	if (is_blank(s, n))
		return 0;
	obj = json_loadb(s, n, JSON_REJECT_DUPLICATES, &jerr);
	if (!obj)
		return kb_import_fail(c, LK_EPARSE, line, "invalid JSON: %s (column %d)",
				      jerr.text, jerr.column);
	rc = parse_object(c, line, obj);
	json_decref(obj);
	return rc;
}

int kb_import_jsonl(struct kb_import_ctx *c, const char *data, size_t len)
{
	size_t pos = 0;
	long line = 1;
	int rc = 0;

	if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0)
		pos = 3; /* a byte-order mark */
	while (pos < len && rc == 0) {
		const char *nl = memchr(data + pos, '\n', len - pos);
		size_t end = nl ? (size_t)(nl - data) : len;

		rc = parse_line(c, line, data + pos, end - pos);
		pos = end + 1;
		line++;
	}
	return rc;
}
