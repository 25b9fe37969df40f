/* text_norm.h - Unicode normalisation for matching: NFKC, case folding and
 * accent stripping with utf8proc, so "Financiën", "FINANCIEN" and
 * "financien" compare equal.
 *
 * Invariants: the output is valid UTF-8 whatever the input; bytes that are
 * not valid UTF-8 become a space. Curly quotes become "'" and the Unicode
 * hyphens become "-" (utf8proc's LUMP), soft hyphens disappear.
 */
#ifndef LK_TEXT_NORM_H
#define LK_TEXT_NORM_H

#include "core/buf.h"

#include <stddef.h>

/* Appends the folded form of s[0..len) to out. Returns 0, or LK_ETOOBIG if
 * out is full (out then holds a prefix of the folded text). */
int text_norm_fold(const char *s, size_t len, struct buf *out);

#endif
