/* text_parse.c - what the slot parsers share (see text_parse_int.h): the
 * folded view of a message with its map back to the caller's bytes, the
 * tokeniser, written numbers and words. The parsers themselves live in
 * text_parse_date.c, text_parse_ids.c and text_parse_answer.c. */
#include "text/text_parse.h"
#include "text/text_parse_int.h"

#include "core/err.h"
#include "core/mem.h"

#include <string.h>
#include <utf8proc.h>

/* Folded text never grows past this; the rest of an (absurd) message whose
 * code points all expand a lot is dropped. */
#define TP_FOLD_MAX (4 * TEXT_PARSE_MAX_INPUT)
/* The longest expansion of one code point (U+FDFA gives 18). */
#define TP_DECOMP_MAX 32

struct tp_fold {
	struct tp_view *v;
	size_t cap;
};

/* Appends one folded byte c that came from text[from, to). Returns 0, or -1
 * when the folded text is full. */
static int tp_fold_add(struct tp_fold *f, char c, size_t from, size_t to)
{
	struct tp_view *v = f->v;

	if (v->len == f->cap) {
		size_t cap = f->cap * 2;

		if (f->cap >= TP_FOLD_MAX)
			return -1;
		if (cap > TP_FOLD_MAX)
			cap = TP_FOLD_MAX;
		v->s = xrealloc(v->s, cap + 1);
		v->from = xreallocarray(v->from, cap, sizeof(*v->from));
		v->to = xreallocarray(v->to, cap, sizeof(*v->to));
		f->cap = cap;
	}
	v->s[v->len] = c;
	v->from[v->len] = (uint32_t)from;
	v->to[v->len] = (uint32_t)to;
	v->len++;
	return 0;
}

/* Folds the code point cp, which is text[from, to). */
static int tp_fold_cp(struct tp_fold *f, utf8proc_int32_t cp, size_t from, size_t to)
{
	const utf8proc_option_t opts = UTF8PROC_DECOMPOSE | UTF8PROC_COMPAT | UTF8PROC_CASEFOLD |
				       UTF8PROC_STRIPMARK | UTF8PROC_LUMP | UTF8PROC_IGNORE;
	utf8proc_int32_t dst[TP_DECOMP_MAX];
	utf8proc_ssize_t m;
	int boundclass = 0;

	if (cp < 0x80) {
		char c = (char)cp;

		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		return tp_fold_add(f, c, from, to);
	}
	m = utf8proc_decompose_char(cp, dst, TP_DECOMP_MAX, opts, &boundclass);
	if (m < 0 || m > TP_DECOMP_MAX)
		return tp_fold_add(f, ' ', from, to);
	for (utf8proc_ssize_t j = 0; j < m; j++) {
		utf8proc_uint8_t bytes[4];
		utf8proc_ssize_t nb = utf8proc_encode_char(dst[j], bytes);

		for (utf8proc_ssize_t k = 0; k < nb; k++) {
			if (tp_fold_add(f, (char)bytes[k], from, to))
				return -1;
		}
	}
	return 0;
}

static int tp_is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

static int tp_is_letter(char c)
{
	return (c >= 'a' && c <= 'z') || (unsigned char)c >= 0x80;
}

static int tp_is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static void tp_tokenise(struct tp_view *v)
{
	size_t i = 0;
	unsigned gap = 0;

	v->tok = xcalloc(v->len + 1, sizeof(*v->tok));
	while (i < v->len) {
		struct tp_tok *t;
		char c = v->s[i];

		if (tp_is_space(c)) {
			if (gap < 255)
				gap++;
			i++;
			continue;
		}
		t = &v->tok[v->ntok++];
		t->a = (uint32_t)i;
		t->gap = (uint8_t)gap;
		gap = 0;
		if (tp_is_letter(c)) {
			t->kind = TP_WORD;
			while (i < v->len && tp_is_letter(v->s[i]))
				i++;
		} else if (tp_is_digit(c)) {
			uint32_t num = 0;
			size_t nd = 0;

			t->kind = TP_NUM;
			while (i < v->len && tp_is_digit(v->s[i])) {
				if (nd < 9)
					num = num * 10 + (uint32_t)(v->s[i] - '0');
				nd++;
				i++;
			}
			t->num = nd > 9 ? TP_NUM_BIG : num;
		} else {
			t->kind = TP_SYM;
			i++;
		}
		t->b = (uint32_t)i;
	}
}

int text_parse_view_init(struct tp_view *v, const char *text)
{
	const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)text;
	struct tp_fold f = { .v = v };
	size_t n, i = 0;

	memset(v, 0, sizeof(*v));
	if (!text)
		return LK_EINVAL;
	n = strnlen(text, TEXT_PARSE_MAX_INPUT + 1);
	if (n > TEXT_PARSE_MAX_INPUT)
		return LK_EINVAL;
	v->text = text;
	v->text_len = n;
	f.cap = n + 16;
	v->s = xmalloc(f.cap + 1);
	v->from = xreallocarray(NULL, f.cap, sizeof(*v->from));
	v->to = xreallocarray(NULL, f.cap, sizeof(*v->to));
	while (i < n) {
		utf8proc_int32_t cp;
		utf8proc_ssize_t k = utf8proc_iterate(p + i, (utf8proc_ssize_t)(n - i), &cp);
		int full;

		if (k <= 0) {
			full = tp_fold_add(&f, ' ', i, i + 1);
			k = 1;
		} else {
			full = tp_fold_cp(&f, cp, i, i + (size_t)k);
		}
		if (full)
			break;
		i += (size_t)k;
	}
	v->s[v->len] = '\0';
	tp_tokenise(v);
	return 0;
}

void text_parse_view_release(struct tp_view *v)
{
	free(v->s);
	free(v->from);
	free(v->to);
	free(v->tok);
	memset(v, 0, sizeof(*v));
}

size_t text_parse_tok_len(const struct tp_view *v, size_t i)
{
	return i < v->ntok ? v->tok[i].b - v->tok[i].a : 0;
}

int text_parse_tok_is(const struct tp_view *v, size_t i, const char *w)
{
	size_t n = strlen(w);

	return i < v->ntok && v->tok[i].kind == TP_WORD && text_parse_tok_len(v, i) == n &&
	       memcmp(v->s + v->tok[i].a, w, n) == 0;
}

int text_parse_tok_sym(const struct tp_view *v, size_t i, char c)
{
	return i < v->ntok && v->tok[i].kind == TP_SYM && v->s[v->tok[i].a] == c;
}

int text_parse_tok_in(const struct tp_view *v, size_t i, const char *const *list)
{
	if (i >= v->ntok || v->tok[i].kind != TP_WORD)
		return -1;
	for (int k = 0; list[k]; k++) {
		if (text_parse_tok_is(v, i, list[k]))
			return k;
	}
	return -1;
}

int text_parse_tok_glued(const struct tp_view *v, size_t i)
{
	return i > 0 && i < v->ntok && v->tok[i].gap == 0;
}

/* Written numbers; index = value. "een" also covers "één" after folding. */
static const char *const tp_numwords_nl[] = {
	"nul", "een", "twee", "drie", "vier", "vijf", "zes", "zeven", "acht", "negen", "tien",
	"elf", "twaalf", "dertien", "veertien", "vijftien", "zestien", "zeventien", "achttien",
	"negentien", "twintig", NULL,
};

static const char *const tp_numwords_en[] = {
	"zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
	"eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen",
	"eighteen", "nineteen", "twenty", NULL,
};

unsigned text_parse_tok_numword(const struct tp_view *v, size_t i)
{
	int k = text_parse_tok_in(v, i, tp_numwords_nl);

	if (k < 0)
		k = text_parse_tok_in(v, i, tp_numwords_en);
	return k > 0 ? (unsigned)k : 0;
}

int text_parse_num_starts(const struct tp_view *v, size_t i)
{
	if (i >= v->ntok || v->tok[i].kind != TP_NUM)
		return 0;
	if (!text_parse_tok_glued(v, i))
		return 1;
	if (v->tok[i - 1].kind != TP_SYM)
		return 0;
	return !(text_parse_tok_glued(v, i - 1) && v->tok[i - 2].kind == TP_NUM);
}

int text_parse_num_ends(const struct tp_view *v, size_t i)
{
	size_t j = i + 1;

	if (j >= v->ntok || !text_parse_tok_glued(v, j))
		return 1;
	if (v->tok[j].kind != TP_SYM)
		return 0;
	return !(text_parse_tok_glued(v, j + 1) && v->tok[j + 1].kind == TP_NUM);
}

void text_parse_span(const struct tp_view *v, size_t first, size_t last, size_t *start,
		     size_t *end)
{
	if (start)
		*start = v->from[v->tok[first].a];
	if (end)
		*end = v->to[v->tok[last].b - 1];
}

static int tp_tok_wordish(const struct tp_view *v, size_t i)
{
	return i < v->ntok && (v->tok[i].kind == TP_WORD || v->tok[i].kind == TP_NUM);
}

void text_parse_words(const struct tp_view *v, struct tp_words *out)
{
	size_t i = 0;

	out->n = 0;
	out->more = 0;
	while (i < v->ntok) {
		char *w;
		size_t len = 0;

		if (!tp_tok_wordish(v, i)) {
			i++;
			continue;
		}
		if (out->n == TP_WORDS_MAX) {
			out->more = 1;
			return;
		}
		w = out->w[out->n++];
		for (;;) {
			size_t tl = text_parse_tok_len(v, i);

			if (tl > TP_WORD_MAX - len)
				tl = TP_WORD_MAX - len;
			memcpy(w + len, v->s + v->tok[i].a, tl);
			len += tl;
			i++;
			if (tp_tok_wordish(v, i) && text_parse_tok_glued(v, i))
				continue;
			if (text_parse_tok_sym(v, i, '\'') && text_parse_tok_glued(v, i) &&
			    tp_tok_wordish(v, i + 1) && text_parse_tok_glued(v, i + 1)) {
				i++;
				continue;
			}
			break;
		}
		w[len] = '\0';
	}
}

int text_parse_word_in(const char *w, const char *const *list)
{
	for (int k = 0; list[k]; k++) {
		if (strcmp(w, list[k]) == 0)
			return k;
	}
	return -1;
}

int text_parse_put(char *out, size_t size, const char *s)
{
	size_t n = strlen(s);

	if (!out)
		return 1;
	if (n >= size) {
		if (size)
			out[0] = '\0';
		return 0;
	}
	memcpy(out, s, n + 1);
	return 1;
}
