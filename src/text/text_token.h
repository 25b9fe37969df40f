/* text_token.h - splitting folded text (see text_norm.h) into words and
 * numbers for indexing and querying.
 *
 * Rules: a token is a run of letters and digits. Digit groups joined by "."
 * or "," form one number ("1.000" -> "1000"). A hyphenated word gives its
 * parts and the parts joined ("id-kaart" -> "id", "kaart" and "idkaart").
 * A trailing "'s" is dropped ("auto's" -> "auto"); any other apostrophe
 * splits. Tokens longer than TEXT_TOKEN_MAX bytes are skipped (they still
 * take a position). Never fails; never reads outside s[0..len).
 */
#ifndef LK_TEXT_TOKEN_H
#define LK_TEXT_TOKEN_H

#include <stddef.h>
#include <stdint.h>

#define TEXT_TOKEN_MAX 64

enum text_token_flag {
	TEXT_TOKEN_NUMBER = 1, /* digits only */
	TEXT_TOKEN_PART = 2,   /* a part of a hyphenated word */
	TEXT_TOKEN_JOINED = 4, /* the parts joined; same position as the first part */
};

struct text_token {
	const char *s;  /* borrowed, valid during the callback only; not NUL-terminated */
	size_t len;     /* 1..TEXT_TOKEN_MAX */
	uint32_t pos;   /* word position, counting from 0 */
	unsigned flags; /* enum text_token_flag */
};

typedef void (*text_token_fn)(void *ctx, const struct text_token *tok);

/* Calls fn for each token of s[0..len) in order; returns the number of
 * positions used (the position after the last token). */
uint32_t text_token_each(const char *s, size_t len, text_token_fn fn, void *ctx);

#endif
