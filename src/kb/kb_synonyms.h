/* kb_synonyms.h - a bot's synonym groups: terms and phrases the retrieval
 * engine treats as equivalent ("id-kaart, identiteitskaart, idkaart").
 *
 * File format (UTF-8 text): one group per line, members separated by commas,
 * at least two members per group; "#" starts a comment that runs to the end
 * of the line; blank lines are ignored. Members may be phrases ("bewijs van
 * identiteit") and are stored folded (text_norm_fold): lower case, no
 * accents. Errors name the file and line ("synonyms.txt:4: ...").
 *
 * Invariants: a loaded set never changes; it may be read from many threads.
 */
#ifndef LK_KB_SYNONYMS_H
#define LK_KB_SYNONYMS_H

#include "core/err.h"

#include <stddef.h>

struct kb_synonyms;

/* Files larger than this are refused with LK_ETOOBIG. */
#define KB_SYNONYMS_MAX_FILE ((size_t)4 << 20)
/* Longer members are refused with LK_EPARSE. */
#define KB_SYNONYMS_MAX_MEMBER 200

/* --- lifecycle --- */
/* Reads and parses `path`. On success *out is set; caller frees with
 * kb_synonyms_free(). On error *out is NULL and err says why. */
int kb_synonyms_load(struct kb_synonyms **out, const char *path, struct lk_err *err);
/* Parses bytes already in memory; `name` is used in error messages. */
int kb_synonyms_parse(struct kb_synonyms **out, const char *name, const char *data, size_t len,
		      struct lk_err *err);
void kb_synonyms_free(struct kb_synonyms *syn);

/* --- reading --- */
size_t kb_synonyms_count(const struct kb_synonyms *syn);
size_t kb_synonyms_group_size(const struct kb_synonyms *syn, size_t group);
/* Folded member text, borrowed while syn lives; NULL if out of range. */
const char *kb_synonyms_member(const struct kb_synonyms *syn, size_t group, size_t i);

#endif
