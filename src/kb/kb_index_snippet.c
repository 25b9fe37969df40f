/* kb_index_snippet.c - choosing the part of an answer to show (see
 * kb_index_snippet() in kb_index.h): paragraphs are scored by the query
 * terms they hold, the best one is shown with the heading or list that
 * belongs to it; a paragraph too long is cut between sentences, a sentence
 * too long between words with an ellipsis. */
#include "kb/kb_index_int.h"

#include "core/err.h"
#include "core/mem.h"
#include "text/text_norm.h"
#include "text/text_stopwords.h"

#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#define KB_SNIPPET_MAX_SPANS 256
#define KB_SNIPPET_MAX_QTERMS 128
/* Paragraphs up to this long without closing punctuation are headings. */
#define KB_SNIPPET_HEADING_MAX 100

struct kb_span {
	size_t start, end; /* bytes of the answer */
	double score;
};

struct kb_qterms {
	uint32_t term[KB_SNIPPET_MAX_QTERMS];
	float idf[KB_SNIPPET_MAX_QTERMS];
	size_t n;
};

struct kb_span_score {
	const struct kb_index *ix;
	const struct kb_qterms *qt;
	unsigned char seen[KB_SNIPPET_MAX_QTERMS];
	double score;
};

static void kb_qterms_from_query(const struct kb_index *ix, const struct kb_query *q,
				 struct kb_qterms *qt)
{
	qt->n = 0;
	for (size_t c = 0; c < q->n; c++) {
		for (size_t a = 0; a < q->c[c].nalt; a++) {
			const struct kb_alt *alt = &q->c[c].alt[a];

			for (size_t i = 0; i < alt->n && qt->n < KB_SNIPPET_MAX_QTERMS; i++) {
				qt->term[qt->n] = alt->t[i].term;
				qt->idf[qt->n++] = alt->w * alt->t[i].w * ix->idf[alt->t[i].term];
			}
		}
	}
}

static void kb_span_token(void *ctx, const struct text_token *tok)
{
	struct kb_span_score *s = ctx;
	uint32_t raw;

	if (text_stopword_is(tok->s, tok->len))
		return;
	raw = text_dict_find(&s->ix->raws, tok->s, tok->len);
	if (raw == TEXT_DICT_NONE)
		return;
	for (uint32_t m = s->ix->rmap_off[raw]; m < s->ix->rmap_off[raw + 1]; m++) {
		for (size_t i = 0; i < s->qt->n; i++) {
			if (s->qt->term[i] == s->ix->rmap[m].term && !s->seen[i]) {
				s->seen[i] = 1;
				s->score += s->qt->idf[i] * s->ix->rmap[m].w;
			}
		}
	}
}

/* Sum of the weights of the distinct query terms in text[0..len). */
static double kb_span_score(const struct kb_index *ix, const struct kb_qterms *qt,
			    const char *text, size_t len)
{
	struct kb_span_score s = { .ix = ix, .qt = qt, .score = 0.0 };
	struct buf fold;

	if (!qt->n)
		return 0.0;
	memset(s.seen, 0, sizeof(s.seen));
	buf_init(&fold, 0);
	(void)text_norm_fold(text, len, &fold);
	text_token_each(fold.ptr, fold.len, kb_span_token, &s);
	buf_release(&fold);
	return s.score;
}

static int kb_is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

static void kb_span_trim(const char *s, struct kb_span *sp)
{
	while (sp->start < sp->end && kb_is_space(s[sp->start]))
		sp->start++;
	while (sp->end > sp->start && kb_is_space(s[sp->end - 1]))
		sp->end--;
}

/* Splits text into paragraphs at blank lines. */
static size_t kb_split_paragraphs(const char *s, size_t len, struct kb_span *out, size_t max)
{
	size_t n = 0, start = 0, i = 0;

	while (i <= len && n < max) {
		size_t j = i;
		int blank = 0;

		if (i < len && s[i] == '\n') {
			for (j = i + 1; j < len && (s[j] == ' ' || s[j] == '\t' || s[j] == '\r'); j++)
				;
			blank = j < len && s[j] == '\n';
		}
		if (i == len || blank) {
			struct kb_span sp = { start, i, 0.0 };

			kb_span_trim(s, &sp);
			if (sp.end > sp.start)
				out[n++] = sp;
			if (i == len)
				break;
			start = j + 1;
			i = j + 1;
			continue;
		}
		i++;
	}
	if (n == max && start < len) {
		/* The rest stays with the last paragraph. */
		out[n - 1].end = len;
		kb_span_trim(s, &out[n - 1]);
	}
	return n;
}

static int kb_starts_sentence(const char *s, size_t len, size_t i)
{
	utf8proc_int32_t cp;
	unsigned char c;

	while (i < len && kb_is_space(s[i]))
		i++;
	if (i == len)
		return 1;
	c = (unsigned char)s[i];
	if ((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '"' || c == '(' || c == '-')
		return 1;
	if (c < 0x80)
		return 0;
	if (utf8proc_iterate((const utf8proc_uint8_t *)s + i, (utf8proc_ssize_t)(len - i), &cp) <= 0)
		return 0;
	return utf8proc_category(cp) == UTF8PROC_CATEGORY_LU ||
	       utf8proc_category(cp) == UTF8PROC_CATEGORY_PI;
}

/* Splits a paragraph into sentences: after . ! ? followed by space and a
 * capital (so "bijv. een" stays whole), and at line ends. */
static size_t kb_split_sentences(const char *s, const struct kb_span *para, struct kb_span *out,
				 size_t max)
{
	size_t n = 0, start = para->start;

	for (size_t i = para->start; i < para->end && n + 1 < max; i++) {
		int end = 0;

		if (s[i] == '\n')
			end = 1;
		else if ((s[i] == '.' || s[i] == '!' || s[i] == '?') && i + 1 < para->end &&
			 kb_is_space(s[i + 1]) && kb_starts_sentence(s, para->end, i + 1))
			end = 1;
		if (end) {
			struct kb_span sp = { start, i + 1, 0.0 };

			kb_span_trim(s, &sp);
			if (sp.end > sp.start)
				out[n++] = sp;
			start = i + 1;
		}
	}
	if (start < para->end) {
		struct kb_span sp = { start, para->end, 0.0 };

		kb_span_trim(s, &sp);
		if (sp.end > sp.start)
			out[n++] = sp;
	}
	return n;
}

static size_t kb_utf8_chars(const char *s, size_t len)
{
	size_t n = 0;

	for (size_t i = 0; i < len; i++) {
		if (((unsigned char)s[i] & 0xc0) != 0x80)
			n++;
	}
	return n;
}

static size_t kb_span_chars(const char *s, const struct kb_span *sp)
{
	return kb_utf8_chars(s + sp->start, sp->end - sp->start);
}

static int kb_is_heading(const char *s, const struct kb_span *sp)
{
	char last = s[sp->end - 1];

	return sp->end - sp->start <= KB_SNIPPET_HEADING_MAX && last != '.' && last != '!' &&
	       last != '?' && last != ':' && last != ';' && s[sp->start] != '-';
}

static int kb_is_list_item(const char *s, const struct kb_span *sp)
{
	char c = s[sp->start];

	return c == '-' || c == '*' || (unsigned char)c == 0xe2; /* "-", "*", "•" */
}

static size_t kb_best_span(const struct kb_span *v, size_t n)
{
	size_t best = 0;

	for (size_t i = 1; i < n; i++) {
		if (v[i].score > v[best].score)
			best = i;
	}
	return best;
}

/* Cuts one sentence at a word boundary to fit max_chars, with an ellipsis. */
static int kb_emit_cut(const char *s, const struct kb_span *sp, size_t max_chars, struct buf *out)
{
	size_t chars = 0, i = sp->start, last_space = sp->start;

	if (max_chars < 2)
		max_chars = 2;
	while (i < sp->end) {
		if (((unsigned char)s[i] & 0xc0) != 0x80) {
			if (chars == max_chars - 1)
				break;
			chars++;
		}
		if (s[i] == ' ')
			last_space = i;
		i++;
	}
	if (last_space == sp->start)
		last_space = i;
	while (((unsigned char)s[last_space] & 0xc0) == 0x80 && last_space > sp->start)
		last_space--;
	while (last_space > sp->start && kb_is_space(s[last_space - 1]))
		last_space--;
	if (buf_add(out, s + sp->start, last_space - sp->start) || buf_adds(out, "\xe2\x80\xa6"))
		return LK_ETOOBIG;
	return 0;
}

/* Whole sentences of one long paragraph around the best one. */
static int kb_emit_sentences(const struct kb_index *ix, const struct kb_qterms *qt,
			     const char *s, const struct kb_span *para, size_t max_chars,
			     struct buf *out)
{
	struct kb_span *sent = xcalloc(KB_SNIPPET_MAX_SPANS, sizeof(*sent));
	size_t n = kb_split_sentences(s, para, sent, KB_SNIPPET_MAX_SPANS), best, lo, hi, used;
	int rc = 0;

	for (size_t i = 0; i < n; i++)
		sent[i].score = kb_span_score(ix, qt, s + sent[i].start, sent[i].end - sent[i].start);
	best = kb_best_span(sent, n);
	used = kb_span_chars(s, &sent[best]);
	if (used > max_chars) {
		rc = kb_emit_cut(s, &sent[best], max_chars, out);
		goto out;
	}
	lo = best;
	hi = best + 1;
	/* Grow forward first (what follows explains), then backward. */
	while (hi < n && used + 1 + kb_span_chars(s, &sent[hi]) <= max_chars)
		used += 1 + kb_span_chars(s, &sent[hi++]);
	while (lo > 0 && used + 1 + kb_span_chars(s, &sent[lo - 1]) <= max_chars)
		used += 1 + kb_span_chars(s, &sent[--lo]);
	if (buf_add(out, s + sent[lo].start, sent[hi - 1].end - sent[lo].start))
		rc = LK_ETOOBIG;
out:
	free(sent);
	return rc;
}

/* Which paragraphs go with the best one: its heading's body, the intro of
 * its list, the items of its list, and further matching paragraphs, as far
 * as max_chars allows. Marks them in `take`. */
static void kb_choose_paragraphs(const char *s, const struct kb_span *p, size_t n, size_t best,
				 size_t max_chars, unsigned char *take)
{
	size_t used = kb_span_chars(s, &p[best]), last;
	int in_list = s[p[best].end - 1] == ':' || kb_is_list_item(s, &p[best]);

	take[best] = 1;
	if (kb_is_list_item(s, &p[best]) && best > 0 && s[p[best - 1].end - 1] == ':' &&
	    used + 2 + kb_span_chars(s, &p[best - 1]) <= max_chars) {
		take[best - 1] = 1;
		used += 2 + kb_span_chars(s, &p[best - 1]);
	}
	for (size_t i = best + 1; i < n; i++) {
		size_t c = kb_span_chars(s, &p[i]);
		int wanted = (i == best + 1 && kb_is_heading(s, &p[best])) ||
			     (in_list && kb_is_list_item(s, &p[i])) || p[i].score > 0.0;

		if (!wanted || used + 2 + c > max_chars)
			break;
		take[i] = 1;
		used += 2 + c;
		in_list = s[p[i].end - 1] == ':' || (in_list && kb_is_list_item(s, &p[i]));
	}
	/* A heading or list intro at the end would announce what is not
	 * shown. The paragraphs taken after best are consecutive. */
	last = best;
	while (last + 1 < n && take[last + 1])
		last++;
	while (last > best && (kb_is_heading(s, &p[last]) || s[p[last].end - 1] == ':'))
		take[last--] = 0;
}

static int kb_emit_paragraphs(const char *s, const struct kb_span *p, size_t n,
			      const unsigned char *take, struct buf *out)
{
	int first = 1;

	for (size_t i = 0; i < n; i++) {
		if (!take[i])
			continue;
		if ((!first && buf_adds(out, "\n\n")) || buf_add(out, s + p[i].start, p[i].end - p[i].start))
			return LK_ETOOBIG;
		first = 0;
	}
	return 0;
}

int kb_index_snippet(const struct kb_index *ix, size_t doc, const char *query,
		     size_t max_chars, struct buf *out)
{
	const struct kb_entry *e = kb_index_entry(ix, doc);
	struct text_stemmer *st = NULL;
	struct kb_query *q = NULL;
	struct kb_qterms *qt = NULL;
	struct kb_span *para = NULL;
	unsigned char *take = NULL;
	size_t n, best;
	int rc = 0;

	if (!e || !e->answer)
		return 0;
	q = xcalloc(1, sizeof(*q));
	qt = xcalloc(1, sizeof(*qt));
	if (query)
		kb_index_query_analyse(ix, query, &st, q);
	kb_qterms_from_query(ix, q, qt);
	para = xcalloc(KB_SNIPPET_MAX_SPANS, sizeof(*para));
	n = kb_split_paragraphs(e->answer, strlen(e->answer), para, KB_SNIPPET_MAX_SPANS);
	if (!n)
		goto out;
	for (size_t i = 0; i < n; i++)
		para[i].score = kb_span_score(ix, qt, e->answer + para[i].start,
					      para[i].end - para[i].start);
	best = kb_best_span(para, n);
	/* A heading alone says little: prefer the paragraph it introduces. */
	if (kb_is_heading(e->answer, &para[best]) && best + 1 < n &&
	    kb_span_chars(e->answer, &para[best]) + 2 + kb_span_chars(e->answer, &para[best + 1]) >
		    max_chars)
		best++;
	if (kb_span_chars(e->answer, &para[best]) > max_chars) {
		rc = kb_emit_sentences(ix, qt, e->answer, &para[best], max_chars, out);
		goto out;
	}
	take = xcalloc(n, 1);
	kb_choose_paragraphs(e->answer, para, n, best, max_chars, take);
	rc = kb_emit_paragraphs(e->answer, para, n, take, out);
out:
	text_stemmer_free(st);
	free(q);
	free(qt);
	free(para);
	free(take);
	return rc;
}
