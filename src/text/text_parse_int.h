/* text_parse_int.h - private to the text_parse*.c files (the public API is
 * text_parse.h): the folded view of a message with a map back to the caller's
 * bytes, its tokens, and small helpers the parsers share.
 *
 * A view folds each code point on its own, so every folded byte knows which
 * bytes of the original gave it. Tokens are runs of letters (TP_WORD: a-z and
 * any non-ASCII byte), of digits (TP_NUM) or one other byte (TP_SYM); white
 * space separates tokens and is counted in `gap`.
 */
#ifndef LK_TEXT_PARSE_INT_H
#define LK_TEXT_PARSE_INT_H

#include <stddef.h>
#include <stdint.h>

enum tp_kind { TP_WORD, TP_NUM, TP_SYM };

#define TP_NUM_BIG UINT32_MAX /* value of a digit run of more than 9 digits */

struct tp_tok {
	uint32_t a, b;   /* folded bytes [a, b) */
	uint32_t num;    /* TP_NUM: the value, or TP_NUM_BIG */
	uint8_t kind;    /* enum tp_kind */
	uint8_t gap;     /* white-space bytes before the token, at most 255 */
};

struct tp_view {
	const char *text; /* the caller's text, borrowed */
	size_t text_len;
	char *s;          /* folded, NUL-terminated; owned */
	size_t len;
	uint32_t *from;   /* from[i]: offset in text of the code point that gave s[i] */
	uint32_t *to;     /* to[i]: offset just past that code point */
	struct tp_tok *tok;
	size_t ntok;
};

/* --- lifecycle --- */
/* Folds and tokenises text. Returns 0, or LK_EINVAL when text is NULL or
 * longer than TEXT_PARSE_MAX_INPUT (v is then empty but safe to release). */
int text_parse_view_init(struct tp_view *v, const char *text);
/* Frees what init allocated. */
void text_parse_view_release(struct tp_view *v);

/* --- tokens --- */
/* Length in folded bytes of token i; 0 when i is out of range. */
size_t text_parse_tok_len(const struct tp_view *v, size_t i);
/* True when token i exists, is a TP_WORD and equals w. */
int text_parse_tok_is(const struct tp_view *v, size_t i, const char *w);
/* True when token i exists and is the one-byte symbol c. */
int text_parse_tok_sym(const struct tp_view *v, size_t i, char c);
/* The index in the NULL-terminated list of the word token i, or -1. */
int text_parse_tok_in(const struct tp_view *v, size_t i, const char *const *list);
/* True when token i exists and follows token i-1 without white space. */
int text_parse_tok_glued(const struct tp_view *v, size_t i);
/* The value 1..20 of a written number (een/een/one .. twaalf/twelve, dertien,
 * veertien, twintig, thirteen, fourteen, twenty) at token i, or 0. */
unsigned text_parse_tok_numword(const struct tp_view *v, size_t i);
/* True when NUM token i starts a number: not glued to a letter or digit
 * before it, nor to a symbol that follows a number ("1.000" and "2026-03" do
 * not start at "000" and "03"). */
int text_parse_num_starts(const struct tp_view *v, size_t i);
/* True when nothing glued that would continue token i follows it: no letter
 * or digit, and no symbol with a digit after it ("12,5", "15:30"). */
int text_parse_num_ends(const struct tp_view *v, size_t i);
/* Sets [*start, *end) to the original bytes of tokens first..last; either
 * pointer may be NULL. */
void text_parse_span(const struct tp_view *v, size_t first, size_t last, size_t *start,
		     size_t *end);

/* --- words (for whole-message parsers) --- */
#define TP_WORDS_MAX 64
#define TP_WORD_MAX 48

/* The message as words: runs of glued letters and digits, an apostrophe
 * inside a word dropped ("don't" -> "dont", "'s" -> "s"); words longer than
 * TP_WORD_MAX are cut; at most TP_WORDS_MAX words, `more` set when cut off. */
struct tp_words {
	char w[TP_WORDS_MAX][TP_WORD_MAX + 1];
	size_t n;
	int more;
};

void text_parse_words(const struct tp_view *v, struct tp_words *out);
/* The index of w in the NULL-terminated list, or -1. */
int text_parse_word_in(const char *w, const char *const *list);

/* --- output --- */
/* Copies s to out[size] when it fits with its NUL; returns 1, else writes ""
 * (when size > 0) and returns 0. */
int text_parse_put(char *out, size_t size, const char *s);

#endif
