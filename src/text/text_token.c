/* text_token.c - the tokeniser (see text_token.h): a single forward scan
 * over UTF-8 that groups hyphenated words before emitting them. */
#include "text/text_token.h"

#include <string.h>
#include <utf8proc.h>

#define TEXT_TOKEN_MAX_PARTS 8

struct text_span {
	size_t start, end;
	int digits_only;
};

/* Length of the code point at s[i] if it is a letter or digit, else 0. */
static size_t text_token_word_char(const char *s, size_t len, size_t i)
{
	unsigned char c = (unsigned char)s[i];
	utf8proc_int32_t cp;
	utf8proc_ssize_t n;
	utf8proc_category_t cat;

	if (c < 0x80) {
		if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z'))
			return 1;
		return 0;
	}
	n = utf8proc_iterate((const utf8proc_uint8_t *)s + i, (utf8proc_ssize_t)(len - i), &cp);
	if (n <= 0)
		return 0;
	cat = utf8proc_category(cp);
	if ((cat >= UTF8PROC_CATEGORY_LU && cat <= UTF8PROC_CATEGORY_LO) ||
	    (cat >= UTF8PROC_CATEGORY_MN && cat <= UTF8PROC_CATEGORY_ME) ||
	    (cat >= UTF8PROC_CATEGORY_ND && cat <= UTF8PROC_CATEGORY_NO))
		return (size_t)n;
	return 0;
}

static size_t text_token_skip(const char *s, size_t len, size_t i)
{
	utf8proc_int32_t cp;
	utf8proc_ssize_t n;

	if ((unsigned char)s[i] < 0x80)
		return 1;
	n = utf8proc_iterate((const utf8proc_uint8_t *)s + i, (utf8proc_ssize_t)(len - i), &cp);
	return n > 0 ? (size_t)n : 1;
}

static int text_token_is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Scans one run of word characters from i; digit groups may continue over
 * a single "." or ",". */
static struct text_span text_token_run(const char *s, size_t len, size_t i)
{
	struct text_span sp = { i, i, 1 };
	size_t n;

	while (sp.end < len) {
		n = text_token_word_char(s, len, sp.end);
		if (n) {
			if (!text_token_is_digit(s[sp.end]))
				sp.digits_only = 0;
			sp.end += n;
			continue;
		}
		if (sp.digits_only && sp.end > sp.start && (s[sp.end] == '.' || s[sp.end] == ',') &&
		    sp.end + 1 < len && text_token_is_digit(s[sp.end + 1])) {
			sp.end++;
			continue;
		}
		break;
	}
	return sp;
}

/* Copies the span without number separators into out; returns its length
 * or 0 if it does not fit. */
static size_t text_token_copy(const char *s, const struct text_span *sp, char *out, size_t cap,
			      size_t used)
{
	size_t n = used;

	for (size_t i = sp->start; i < sp->end; i++) {
		if (sp->digits_only && (s[i] == '.' || s[i] == ','))
			continue;
		if (n >= cap)
			return 0;
		out[n++] = s[i];
	}
	return n;
}

static void text_token_emit(const char *s, const struct text_span *sp, uint32_t pos,
			    unsigned flags, text_token_fn fn, void *ctx)
{
	char word[TEXT_TOKEN_MAX];
	struct text_token tok;
	size_t n = text_token_copy(s, sp, word, sizeof(word), 0);

	if (!n)
		return;
	tok.s = word;
	tok.len = n;
	tok.pos = pos;
	tok.flags = flags | (sp->digits_only ? TEXT_TOKEN_NUMBER : 0);
	fn(ctx, &tok);
}

static void text_token_emit_joined(const char *s, const struct text_span *parts, size_t np,
				   uint32_t pos, text_token_fn fn, void *ctx)
{
	char word[TEXT_TOKEN_MAX];
	struct text_token tok;
	size_t n = 0;
	int any_letter = 0;

	for (size_t i = 0; i < np; i++) {
		n = text_token_copy(s, &parts[i], word, sizeof(word), n);
		if (!n)
			return;
		any_letter |= !parts[i].digits_only;
	}
	if (!any_letter)
		return;
	tok.s = word;
	tok.len = n;
	tok.pos = pos;
	tok.flags = TEXT_TOKEN_JOINED;
	fn(ctx, &tok);
}

/* Reads a hyphen group starting at *i into parts; advances *i past it. */
static size_t text_token_group(const char *s, size_t len, size_t *i, struct text_span *parts)
{
	size_t np = 0, j = *i;

	for (;;) {
		struct text_span sp = text_token_run(s, len, j);

		parts[np++] = sp;
		j = sp.end;
		if (j + 1 < len && s[j] == '\'' && s[j + 1] == 's' &&
		    (j + 2 == len || !text_token_word_char(s, len, j + 2))) {
			j += 2;
			break;
		}
		if (np < TEXT_TOKEN_MAX_PARTS && j + 1 < len && s[j] == '-' &&
		    text_token_word_char(s, len, j + 1)) {
			j++;
			continue;
		}
		break;
	}
	*i = j;
	return np;
}

uint32_t text_token_each(const char *s, size_t len, text_token_fn fn, void *ctx)
{
	struct text_span parts[TEXT_TOKEN_MAX_PARTS];
	uint32_t pos = 0;
	size_t i = 0;

	while (i < len) {
		size_t np;

		if (!text_token_word_char(s, len, i)) {
			i += text_token_skip(s, len, i);
			continue;
		}
		np = text_token_group(s, len, &i, parts);
		if (np > 1)
			text_token_emit_joined(s, parts, np, pos, fn, ctx);
		for (size_t k = 0; k < np; k++)
			text_token_emit(s, &parts[k], pos++, np > 1 ? TEXT_TOKEN_PART : 0, fn, ctx);
	}
	return pos;
}
