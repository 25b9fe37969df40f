/* kb_import.h - turning knowledge-base files into entries.
 *
 * Formats: JSONL ({"id","question"?,"answer","title"?,"url"?,"lang"?,"tags"?}
 * per line), the Rijksoverheid VAC CSV export (question, reference_answer,
 * canonical, subjects, ...), Markdown (one entry per heading section) and an
 * HTML FAQ page (one entry per question heading, <dt> or <details>).
 *
 * A file is imported whole or not at all: on error `out` is left exactly as it
 * was and err names the file and line ("faq.jsonl:7: invalid JSON: ...").
 */
#ifndef LK_KB_IMPORT_H
#define LK_KB_IMPORT_H

#include "core/err.h"
#include "kb/kb_entry.h"

#include <stddef.h>

enum kb_format {
	KB_FORMAT_UNKNOWN = 0,
	KB_FORMAT_JSONL,
	KB_FORMAT_CSV,
	KB_FORMAT_MARKDOWN,
	KB_FORMAT_HTML,
};

/* Input files larger than this are refused with LK_ETOOBIG. */
#define KB_IMPORT_MAX_FILE ((size_t)64 << 20)

/* From the file name's extension (.jsonl .csv .md .markdown .html .htm). */
enum kb_format kb_format_from_path(const char *path);
const char *kb_format_name(enum kb_format fmt);

/* Reads and parses one file, appending its entries to `out`. */
int kb_import_file(const char *path, struct kb_entries *out, struct lk_err *err);

/* Parses bytes already in memory. `name` is used in error messages and to
 * derive ids where the format has none (e.g. "faq.md#rijbewijs-aanvragen"). */
int kb_import_buffer(const char *name, enum kb_format fmt, const char *data,
		     size_t len, struct kb_entries *out, struct lk_err *err);

#endif
