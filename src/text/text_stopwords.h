/* text_stopwords.h - words too common to help ranking ("de", "het", "hoe",
 * "the"), dropped from both documents and queries.
 *
 * Input must be folded (text_norm_fold): lower case, no accents.
 */
#ifndef LK_TEXT_STOPWORDS_H
#define LK_TEXT_STOPWORDS_H

#include <stdbool.h>
#include <stddef.h>

/* True if w[0..len) is a stopword; the empty word counts as one. */
bool text_stopword_is(const char *w, size_t len);

#endif
