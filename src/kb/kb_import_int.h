/* kb_import_int.h - what the per-format importers (kb_import_<fmt>.c) share:
 * the import context, checked entry adding, error messages with file and
 * line, ids from headings, and a plain-text builder for Markdown and HTML.
 * Private to src/kb; the public contract is kb_import.h.
 */
#ifndef LK_KB_IMPORT_INT_H
#define LK_KB_IMPORT_INT_H

#include "core/buf.h"
#include "core/err.h"
#include "kb/kb_entry.h"

#include <stddef.h>

/* Per-field and per-id limits, in bytes. */
#define KB_IMPORT_MAX_FIELD ((size_t)64 << 10)
#define KB_IMPORT_MAX_ID ((size_t)256)

struct kb_idset; /* ids handed out by kb_import_make_id(), for de-duplication */

/* One import in progress. `out` is a private list: kb_import_buffer() moves
 * it into the caller's list only when the whole file parsed, which is what
 * makes an import all-or-nothing. */
struct kb_import_ctx {
	const char *name;        /* file name for messages; borrowed */
	const char *base;        /* its last path component, for ids; borrowed */
	struct kb_entries *out;  /* entries parsed so far; owned by the caller */
	struct lk_err *err;      /* may be NULL */
	struct kb_idset *ids;    /* lazily created; freed by kb_import_buffer() */
};

/* The per-format parsers: append to c->out, or fail with a message. The data
 * is NUL-terminated at data[len] for convenience but may hold NUL bytes. */
int kb_import_jsonl(struct kb_import_ctx *c, const char *data, size_t len);
int kb_import_csv(struct kb_import_ctx *c, const char *data, size_t len);
int kb_import_md(struct kb_import_ctx *c, const char *data, size_t len);
int kb_import_html(struct kb_import_ctx *c, const char *data, size_t len);

/* --- errors --- */
/* Sets "NAME:LINE: message" (or "NAME: message" when line is 0) and returns
 * code. */
int kb_import_fail(struct kb_import_ctx *c, int code, long line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Checks that data[0..len) is UTF-8 without NUL bytes; fails naming the line
 * of the first bad byte, counting lines from first_line. */
int kb_import_check_text(struct kb_import_ctx *c, const char *data, size_t len,
			 long first_line);

/* --- entries --- */
/* Validates e (id present, <= KB_IMPORT_MAX_ID, answer present and not blank,
 * every field <= KB_IMPORT_MAX_FIELD and valid UTF-8) and appends it to c->out.
 * Takes ownership of e's strings either way (e is re-initialised); `line` is
 * where the entry starts, for the message. */
int kb_import_add(struct kb_import_ctx *c, long line, struct kb_entry *e);

/* An id "BASE#slug-of-text", made unique within this import with "-2", "-3",
 * ... Caller frees. */
char *kb_import_make_id(struct kb_import_ctx *c, const char *text);
/* Frees the set behind kb_import_make_id(); NULL is fine. */
void kb_import_idset_free(struct kb_idset *s);

/* Appends the slug of UTF-8 `text` to b: lowercase ASCII letters and digits,
 * accents stripped, every other run of characters one dash, at most `max`
 * bytes, never a leading or trailing dash. */
void kb_import_slug(struct buf *b, const char *text, size_t max);

/* Normalised language tag: "nl-NL", "nl_NL", "Nederlands", "Dutch" -> "nl";
 * "English", "en-GB" -> "en"; other tags lowercased. NULL for blank input.
 * Caller frees. */
char *kb_import_lang(const char *s, size_t len);

/* Copy of s[0..len) without leading and trailing ASCII whitespace, or NULL
 * when nothing is left. Caller frees. */
char *kb_import_strip(const char *s, size_t len);

/* --- plain text --- */
/* Builds plain text from pieces: runs of whitespace become one space, and
 * breaks are written lazily, only between two pieces of text, so the result
 * never starts or ends with whitespace. Paragraphs are split by "\n\n", lines
 * (list items) by "\n". Bounded by KB_IMPORT_MAX_FIELD + 1, so an overlong
 * text is seen as too long rather than silently cut. */
struct kb_text {
	struct buf b;
	int brk;  /* 0 none, 1 space, 2 line, 3 paragraph: strongest pending break */
	int over; /* an append passed the limit */
};

void kb_text_init(struct kb_text *t);
void kb_text_release(struct kb_text *t);
/* Appends text, collapsing whitespace. */
void kb_text_add(struct kb_text *t, const char *s, size_t n);
/* Appends text as is, except for the pending break (code blocks). */
void kb_text_add_raw(struct kb_text *t, const char *s, size_t n);
void kb_text_space(struct kb_text *t);
void kb_text_line(struct kb_text *t);
void kb_text_para(struct kb_text *t);
/* 1 once the text has passed the field limit. */
int kb_text_too_long(const struct kb_text *t);
/* The text, or NULL when empty; the builder is re-initialised. Caller frees. */
char *kb_text_detach(struct kb_text *t);

#endif
