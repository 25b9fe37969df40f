/* kb_index_query.c - turning query text into weighted concepts for the
 * ranker (see kb_index_int.h): each word resolves through the documents'
 * own words, then its stem, then compound parts, then one typo; synonym
 * groups add alternatives. Also the build steps these need (typo tables,
 * resolved synonym members). */
#include "kb/kb_index_int.h"

#include "core/mem.h"
#include "kb/kb_synonyms.h"
#include "text/text_norm.h"
#include "text/text_stopwords.h"

#include <stdlib.h>
#include <string.h>

#define KB_QUERY_MAX_TOKENS 128
/* Minimum length of a compound's modifier and head. */
#define KB_SPLIT_MIN_LEFT 3
#define KB_SPLIT_MIN_RIGHT 4
/* Words shorter than this are not corrected for typos. */
#define KB_TYPO_MIN_LEN 5
/* Query weights of the ways to match that are guesses. */
#define KB_TYPO_WEIGHT 0.7f
#define KB_SYNONYM_WEIGHT 0.9f
#define KB_COMPOUND_WEIGHT 0.9f
#define KB_JOINED_WEIGHT 0.5f
/* How far apart (in words after stopwords) two query words may stand to be
 * tried as one compound. */
#define KB_JOIN_WINDOW 2

struct kb_qtok {
	char s[TEXT_TOKEN_MAX + 1];
	uint8_t len;
	uint8_t flags;
	uint32_t key;     /* id in syn_words of its key, or TEXT_DICT_NONE */
	uint32_t join[2]; /* raw ids of compounds it forms with a neighbour */
};

struct kb_qtoks {
	struct kb_qtok v[KB_QUERY_MAX_TOKENS];
	size_t n;
};

static struct text_stemmer *kb_stemmer(struct text_stemmer **st)
{
	if (!*st)
		*st = text_stemmer_new();
	return *st;
}

static int kb_term_has_postings(const struct kb_index *ix, uint32_t t)
{
	return t != TEXT_DICT_NONE && ix->post_off[t + 1] > ix->post_off[t];
}

static void kb_alt_add(struct kb_alt *alt, uint32_t term, float w)
{
	for (size_t i = 0; i < alt->n; i++) {
		if (alt->t[i].term == term) {
			if (w > alt->t[i].w)
				alt->t[i].w = w;
			return;
		}
	}
	if (alt->n < KB_ALT_TERMS) {
		alt->t[alt->n].term = term;
		alt->t[alt->n++].w = w;
	}
}

static void kb_alt_from_raw(const struct kb_index *ix, uint32_t raw, struct kb_alt *alt)
{
	memset(alt, 0, sizeof(*alt));
	alt->w = 1.0f;
	for (uint32_t m = ix->rmap_off[raw]; m < ix->rmap_off[raw + 1]; m++)
		kb_alt_add(alt, ix->rmap[m].term, ix->rmap[m].w);
}

/* The term a word's key or participle key names, if it has postings. */
static uint32_t kb_key_term(const struct kb_index *ix, struct text_stemmer *st, const char *w,
			    size_t len)
{
	char key[TEXT_STEM_MAX];
	size_t n = text_stem_participle(st, w, len, key);
	uint32_t t = n ? text_dict_find(&ix->terms, key, n) : TEXT_DICT_NONE;

	if (kb_term_has_postings(ix, t))
		return t;
	n = text_stem(st, w, len, key);
	t = text_dict_find(&ix->terms, key, n);
	return kb_term_has_postings(ix, t) ? t : TEXT_DICT_NONE;
}

int kb_index_resolve_word(const struct kb_index *ix, struct text_stemmer **st, const char *w,
			  size_t len, struct kb_alt *alt)
{
	uint32_t raw = text_dict_find(&ix->raws, w, len), t;

	if (raw != TEXT_DICT_NONE) {
		kb_alt_from_raw(ix, raw, alt);
		return 1;
	}
	if (!kb_stemmer(st))
		return 0;
	t = kb_key_term(ix, *st, w, len);
	if (t == TEXT_DICT_NONE)
		return 0;
	memset(alt, 0, sizeof(*alt));
	alt->w = 1.0f;
	kb_alt_add(alt, t, 1.0f);
	return 1;
}

/* ------------------------------------------------------------ compounds */

struct kb_split {
	uint32_t parts[KB_ALT_TERMS];
	size_t n;
	double score;
};

static double kb_term_df(const struct kb_index *ix, uint32_t t)
{
	return ix->post_off ? (double)(ix->post_off[t + 1] - ix->post_off[t]) : 1.0;
}

static int kb_has_digit(const char *w, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (w[i] >= '0' && w[i] <= '9')
			return 1;
	}
	return 0;
}

/* A compound's head: a raw word, or a known key. Sets *freq. */
static uint32_t kb_split_head(const struct kb_index *ix, const uint32_t *primary,
			      struct text_stemmer *st, const char *w, size_t len, double *freq)
{
	uint32_t raw = text_dict_find(&ix->raws, w, len);
	char key[TEXT_STEM_MAX];
	size_t n;
	uint32_t t;

	if (raw != TEXT_DICT_NONE) {
		*freq = ix->raw_freq[raw];
		return primary[raw];
	}
	if (!st || text_stopword_is(w, len))
		return TEXT_DICT_NONE;
	n = text_stem(st, w, len, key);
	t = text_dict_find(&ix->terms, key, n);
	if (t == TEXT_DICT_NONE)
		return t;
	*freq = kb_term_df(ix, t);
	return *freq > 0 ? t : TEXT_DICT_NONE;
}

static void kb_split_find(const struct kb_index *ix, const uint32_t *primary,
			  struct text_stemmer *st, const char *w, size_t len, int depth,
			  struct kb_split *best)
{
	static const char *const linkers[] = { "", "s", "e", "en" };

	for (size_t i = KB_SPLIT_MIN_LEFT; i + KB_SPLIT_MIN_RIGHT <= len; i++) {
		uint32_t left = text_dict_find(&ix->raws, w, i);

		if (left == TEXT_DICT_NONE || text_stopword_is(w, i))
			continue;
		for (size_t l = 0; l < sizeof(linkers) / sizeof(linkers[0]); l++) {
			size_t ll = strlen(linkers[l]), rs = i + ll;
			double freq = 0.0, score;
			uint32_t head;
			struct kb_split sub = { .n = 0 };

			if (len - i < ll + KB_SPLIT_MIN_RIGHT || memcmp(w + i, linkers[l], ll))
				continue;
			head = kb_split_head(ix, primary, st, w + rs, len - rs, &freq);
			if (head != TEXT_DICT_NONE) {
				score = (double)ix->raw_freq[left] * freq;
				/* Two parts beat three; then the more frequent parts. */
				score = 1e12 + score;
				if (score > best->score) {
					best->parts[0] = primary[left];
					best->parts[1] = head;
					best->n = 2;
					best->score = score;
				}
				continue;
			}
			if (depth > 0 || len - rs < 2 * KB_SPLIT_MIN_RIGHT)
				continue;
			kb_split_find(ix, primary, st, w + rs, len - rs, depth + 1, &sub);
			if (sub.n && sub.n < KB_ALT_TERMS && sub.score - 1e12 > best->score - 2e12) {
				best->parts[0] = primary[left];
				memcpy(best->parts + 1, sub.parts, sub.n * sizeof(sub.parts[0]));
				best->n = sub.n + 1;
				best->score = sub.score - 1e12;
			}
		}
	}
}

size_t kb_index_split_compound(const struct kb_index *ix, const uint32_t *primary,
			       struct text_stemmer *st, const char *w, size_t len,
			       uint32_t *parts, size_t max)
{
	struct kb_split best = { .n = 0, .score = 0.0 };

	if (len < KB_SPLIT_MIN_LEFT + KB_SPLIT_MIN_RIGHT || kb_has_digit(w, len))
		return 0;
	kb_split_find(ix, primary, st, w, len, 0, &best);
	if (best.n < 2)
		return 0;
	if (best.n > max)
		best.n = max;
	memcpy(parts, best.parts, best.n * sizeof(*parts));
	return best.n;
}

/* ---------------------------------------------------------------- typos */

static uint32_t kb_typo_head_key(const char *w, size_t len)
{
	return (uint32_t)len << 16 | (uint32_t)(unsigned char)w[0] << 8 | (unsigned char)w[1];
}

static uint32_t kb_typo_tail_key(const char *w, size_t len)
{
	return (uint32_t)len << 16 | (uint32_t)(unsigned char)w[len - 2] << 8 |
	       (unsigned char)w[len - 1];
}

struct kb_typo_sort {
	uint32_t key;
	uint32_t raw;
};

static int kb_typo_sort_cmp(const void *a, const void *b)
{
	const struct kb_typo_sort *x = a, *y = b;

	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	return x->raw < y->raw ? -1 : x->raw > y->raw;
}

static uint32_t *kb_typo_table(const struct kb_index *ix, const struct kb_typo_sort *tmpl,
			       size_t n, int tail)
{
	struct kb_typo_sort *v = xcalloc(n + 1, sizeof(*v));
	uint32_t *out = xcalloc(n + 1, sizeof(*out));

	for (size_t i = 0; i < n; i++) {
		const char *w = text_dict_str(&ix->raws, tmpl[i].raw);
		size_t len = strlen(w);

		v[i].raw = tmpl[i].raw;
		v[i].key = tail ? kb_typo_tail_key(w, len) : kb_typo_head_key(w, len);
	}
	qsort(v, n, sizeof(*v), kb_typo_sort_cmp);
	for (size_t i = 0; i < n; i++)
		out[i] = v[i].raw;
	free(v);
	return out;
}

void kb_index_typo_build(struct kb_index *ix)
{
	size_t nraws = text_dict_count(&ix->raws), n = 0;
	struct kb_typo_sort *cand = xcalloc(nraws + 1, sizeof(*cand));

	for (size_t r = 0; r < nraws; r++) {
		const char *w = text_dict_str(&ix->raws, (uint32_t)r);
		size_t len = strlen(w);

		if (len >= KB_TYPO_MIN_LEN - 1 && len < 0xffff && !kb_has_digit(w, len))
			cand[n++].raw = (uint32_t)r;
	}
	ix->ntypo = n;
	ix->typo_head = kb_typo_table(ix, cand, n, 0);
	ix->typo_tail = kb_typo_table(ix, cand, n, 1);
	free(cand);
}

/* True if a and b are at Damerau-Levenshtein distance exactly one. */
static int kb_dl1(const char *a, size_t na, const char *b, size_t nb)
{
	size_t i = 0;

	if (na < nb) {
		const char *t = a;
		size_t tn = na;

		a = b;
		na = nb;
		b = t;
		nb = tn;
	}
	if (na - nb > 1)
		return 0;
	while (i < nb && a[i] == b[i])
		i++;
	if (i == nb)
		return na != nb;
	if (na != nb)
		return !memcmp(a + i + 1, b + i, nb - i);
	if (!memcmp(a + i + 1, b + i + 1, nb - i - 1))
		return 1;
	return i + 1 < nb && a[i] == b[i + 1] && a[i + 1] == b[i] &&
	       !memcmp(a + i + 2, b + i + 2, nb - i - 2);
}

static size_t kb_typo_lower(const struct kb_index *ix, const uint32_t *table, uint32_t key,
			    int tail)
{
	size_t lo = 0, hi = ix->ntypo;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const char *w = text_dict_str(&ix->raws, table[mid]);
		size_t len = strlen(w);
		uint32_t k = tail ? kb_typo_tail_key(w, len) : kb_typo_head_key(w, len);

		if (k < key)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Scans one bucket of a typo table for the most frequent word at distance
 * one from w; updates *best. */
static void kb_typo_bucket(const struct kb_index *ix, const uint32_t *table, uint32_t key,
			   int tail, const char *w, size_t len, uint32_t *best)
{
	for (size_t i = kb_typo_lower(ix, table, key, tail); i < ix->ntypo; i++) {
		const char *c = text_dict_str(&ix->raws, table[i]);
		size_t clen = strlen(c);
		uint32_t k = tail ? kb_typo_tail_key(c, clen) : kb_typo_head_key(c, clen);

		if (k != key)
			break;
		if (!kb_dl1(w, len, c, clen))
			continue;
		if (*best == TEXT_DICT_NONE || ix->raw_freq[table[i]] > ix->raw_freq[*best] ||
		    (ix->raw_freq[table[i]] == ix->raw_freq[*best] && table[i] < *best))
			*best = table[i];
	}
}

/* The most frequent raw word one edit away from w, or TEXT_DICT_NONE. */
static uint32_t kb_typo_find(const struct kb_index *ix, const char *w, size_t len)
{
	uint32_t best = TEXT_DICT_NONE;

	if (len < KB_TYPO_MIN_LEN || kb_has_digit(w, len))
		return best;
	for (size_t l = len - 1; l <= len + 1; l++) {
		uint32_t hk = (uint32_t)l << 16 | (uint32_t)(unsigned char)w[0] << 8 |
			      (unsigned char)w[1];
		uint32_t tk = (uint32_t)l << 16 | (uint32_t)(unsigned char)w[len - 2] << 8 |
			      (unsigned char)w[len - 1];

		kb_typo_bucket(ix, ix->typo_head, hk, 0, w, len, &best);
		kb_typo_bucket(ix, ix->typo_tail, tk, 1, w, len, &best);
	}
	return best;
}

/* ------------------------------------------------------------- synonyms */

static void kb_collect_token(void *ctx, const struct text_token *tok)
{
	struct kb_qtoks *t = ctx;
	struct kb_qtok *q;

	if (t->n == KB_QUERY_MAX_TOKENS || text_stopword_is(tok->s, tok->len))
		return;
	q = &t->v[t->n++];
	memcpy(q->s, tok->s, tok->len);
	q->s[tok->len] = '\0';
	q->len = (uint8_t)tok->len;
	q->flags = (uint8_t)tok->flags;
	q->key = TEXT_DICT_NONE;
	q->join[0] = q->join[1] = TEXT_DICT_NONE;
}

static void kb_tokens_collect(const char *text, size_t len, struct kb_qtoks *toks)
{
	struct buf fold;

	toks->n = 0;
	buf_init(&fold, 4 * KB_QUERY_MAX_BYTES);
	/* Text beyond the limit is ignored, not an error. */
	(void)text_norm_fold(text, len < KB_QUERY_MAX_BYTES ? len : KB_QUERY_MAX_BYTES, &fold);
	text_token_each(fold.ptr, fold.len, kb_collect_token, toks);
	buf_release(&fold);
}

static uint32_t kb_token_key(struct text_stemmer *st, const struct text_dict *words,
			     struct text_dict *add, const struct kb_qtok *tok)
{
	char key[TEXT_STEM_MAX];
	size_t n = text_stem(st, tok->s, tok->len, key);

	return add ? text_dict_intern(add, key, n) : text_dict_find(words, key, n);
}

/* Resolves a token the way a member or query word resolves, without typo
 * correction: word, key, or compound parts. */
static int kb_resolve_plain(const struct kb_index *ix, struct text_stemmer **st, const char *w,
			    size_t len, struct kb_alt *alt)
{
	uint32_t parts[KB_ALT_TERMS];
	size_t np;

	if (kb_index_resolve_word(ix, st, w, len, alt))
		return 1;
	np = kb_index_split_compound(ix, ix->raw_primary, kb_stemmer(st), w, len, parts,
				     KB_ALT_TERMS);
	if (!np)
		return 0;
	memset(alt, 0, sizeof(*alt));
	alt->w = KB_COMPOUND_WEIGHT;
	for (size_t i = 0; i < np; i++)
		kb_alt_add(alt, parts[i], 1.0f);
	return 1;
}

static void kb_alt_merge(struct kb_alt *dst, const struct kb_alt *src, float w)
{
	for (size_t i = 0; i < src->n; i++)
		kb_alt_add(dst, src->t[i].term, w * src->t[i].w);
}

static void kb_syn_member_build(struct kb_index *ix, struct text_stemmer **st, const char *text,
				uint32_t group, struct kb_syn_member *m)
{
	struct kb_qtoks *toks = xcalloc(1, sizeof(*toks));
	size_t nwords = 0;

	memset(m, 0, sizeof(*m));
	m->group = group;
	m->alt.w = 1.0f;
	kb_tokens_collect(text, strlen(text), toks);
	for (size_t i = 0; i < toks->n; i++) {
		if (!(toks->v[i].flags & TEXT_TOKEN_PART))
			nwords++;
	}
	for (size_t i = 0; i < toks->n && m->nwords < 8; i++) {
		const struct kb_qtok *tok = &toks->v[i];
		struct kb_alt a;

		if (tok->flags & TEXT_TOKEN_PART)
			continue;
		m->words[m->nwords++] = kb_token_key(*st, NULL, &ix->syn_words, tok);
		if (kb_resolve_plain(ix, st, tok->s, tok->len, &a))
			kb_alt_merge(&m->alt, &a, 1.0f / (float)nwords);
	}
	free(toks);
}

void kb_index_synonyms_build(struct kb_index *ix, const struct kb_synonyms *syn,
			     struct text_stemmer *st)
{
	size_t total = 0, n = 0;

	for (size_t g = 0; g < kb_synonyms_count(syn); g++)
		total += kb_synonyms_group_size(syn, g);
	if (!total)
		return;
	ix->syn = xcalloc(total, sizeof(*ix->syn));
	for (size_t g = 0; g < kb_synonyms_count(syn); g++) {
		for (size_t i = 0; i < kb_synonyms_group_size(syn, g); i++) {
			struct kb_syn_member *m = &ix->syn[n];

			kb_syn_member_build(ix, &st, kb_synonyms_member(syn, g, i), (uint32_t)g, m);
			if (m->nwords)
				n++;
		}
	}
	ix->nsyn = n;
}

/* The longest synonym member matching the words at toks[i..]; sets *used to
 * the number of tokens it covers. */
static const struct kb_syn_member *kb_syn_match(const struct kb_index *ix,
						const struct kb_qtoks *toks, size_t i, size_t *used)
{
	const struct kb_syn_member *best = NULL;

	for (size_t s = 0; s < ix->nsyn; s++) {
		const struct kb_syn_member *m = &ix->syn[s];
		size_t j = i, w = 0;

		while (w < m->nwords && j < toks->n) {
			if (toks->v[j].flags & TEXT_TOKEN_PART) {
				j++;
				continue;
			}
			if (toks->v[j].key != m->words[w])
				break;
			j++;
			w++;
		}
		if (w == m->nwords && (!best || m->nwords > best->nwords)) {
			best = m;
			*used = j - i;
		}
	}
	return best;
}

/* ------------------------------------------------- words joined in text */

/* The raw word the documents use for `left` + linker + `right`, if any. */
static uint32_t kb_join_lookup(const struct kb_index *ix, const struct kb_qtok *left,
			       const struct kb_qtok *right)
{
	static const char *const linkers[] = { "", "s", "e", "en" };
	char w[2 * TEXT_TOKEN_MAX + 4];

	for (size_t l = 0; l < sizeof(linkers) / sizeof(linkers[0]); l++) {
		size_t ll = strlen(linkers[l]);
		uint32_t raw;

		memcpy(w, left->s, left->len);
		memcpy(w + left->len, linkers[l], ll);
		memcpy(w + left->len + ll, right->s, right->len);
		raw = text_dict_find(&ix->raws, w, left->len + ll + right->len);
		if (raw != TEXT_DICT_NONE)
			return raw;
	}
	return TEXT_DICT_NONE;
}

static void kb_join_note(struct kb_qtok *t, uint32_t raw)
{
	if (t->join[0] == TEXT_DICT_NONE)
		t->join[0] = raw;
	else if (t->join[1] == TEXT_DICT_NONE && t->join[0] != raw)
		t->join[1] = raw;
}

static int kb_join_candidate(const struct kb_qtok *t)
{
	return !(t->flags & (TEXT_TOKEN_PART | TEXT_TOKEN_NUMBER)) && t->len >= KB_SPLIT_MIN_LEFT;
}

/* Finds query words the documents write as one compound ("post van de
 * overheid" -> "overheidspost"), in either order, and notes it on both. */
static void kb_join_find(const struct kb_index *ix, struct kb_qtoks *toks)
{
	for (size_t i = 0; i < toks->n; i++) {
		size_t seen = 0;

		if (!kb_join_candidate(&toks->v[i]))
			continue;
		for (size_t j = i + 1; j < toks->n && seen < KB_JOIN_WINDOW; j++) {
			uint32_t raw;

			if (toks->v[j].flags & TEXT_TOKEN_PART)
				continue;
			seen++;
			if (!kb_join_candidate(&toks->v[j]))
				continue;
			raw = kb_join_lookup(ix, &toks->v[i], &toks->v[j]);
			if (raw == TEXT_DICT_NONE)
				raw = kb_join_lookup(ix, &toks->v[j], &toks->v[i]);
			if (raw == TEXT_DICT_NONE)
				continue;
			kb_join_note(&toks->v[i], raw);
			kb_join_note(&toks->v[j], raw);
		}
	}
}

static void kb_concept_add_joined(const struct kb_index *ix, const struct kb_qtok *tok,
				  struct kb_concept *c)
{
	for (size_t i = 0; i < 2 && tok->join[i] != TEXT_DICT_NONE; i++) {
		if (c->nalt == KB_CONCEPT_MAX_ALTS)
			return;
		kb_alt_from_raw(ix, tok->join[i], &c->alt[c->nalt]);
		c->alt[c->nalt++].w = KB_JOINED_WEIGHT;
	}
}

/* ---------------------------------------------------------------- query */

static float kb_alt_idf(const struct kb_index *ix, const struct kb_alt *alt)
{
	float sum = 0.0f, w = 0.0f;

	for (size_t i = 0; i < alt->n; i++) {
		sum += alt->t[i].w * ix->idf[alt->t[i].term];
		w += alt->t[i].w;
	}
	return w > 0.0f ? sum / w : ix->idf_unknown;
}

static int kb_query_has_term(const struct kb_query *q, uint32_t term)
{
	for (size_t i = 0; i < q->n; i++) {
		if (q->c[i].nalt && q->c[i].alt[0].t[0].term == term)
			return 1;
	}
	return 0;
}

static void kb_query_push(const struct kb_index *ix, struct kb_query *q,
			  const struct kb_concept *c)
{
	if (q->n == KB_QUERY_MAX_CONCEPTS)
		return;
	if (c->nalt && kb_query_has_term(q, c->alt[0].t[0].term))
		return;
	q->c[q->n] = *c;
	q->c[q->n].idf = c->nalt ? kb_alt_idf(ix, &c->alt[0]) : ix->idf_unknown;
	q->n++;
}

static void kb_concept_from_group(const struct kb_index *ix, const struct kb_syn_member *hit,
				  struct kb_concept *c)
{
	memset(c, 0, sizeof(*c));
	c->w = 1.0f;
	if (hit->alt.n)
		c->alt[c->nalt++] = hit->alt;
	for (size_t s = 0; s < ix->nsyn && c->nalt < KB_CONCEPT_MAX_ALTS; s++) {
		const struct kb_syn_member *m = &ix->syn[s];

		if (m->group != hit->group || m == hit || !m->alt.n)
			continue;
		c->alt[c->nalt] = m->alt;
		c->alt[c->nalt++].w = KB_SYNONYM_WEIGHT;
	}
}

/* One word: as written, else with a typo corrected; nalt stays 0 if the
 * index knows neither. */
static void kb_concept_from_word(const struct kb_index *ix, struct text_stemmer **st,
				 const struct kb_qtok *tok, struct kb_concept *c)
{
	uint32_t raw;

	memset(c, 0, sizeof(*c));
	c->w = 1.0f;
	if (kb_resolve_plain(ix, st, tok->s, tok->len, &c->alt[0])) {
		c->nalt = 1;
		return;
	}
	raw = kb_typo_find(ix, tok->s, tok->len);
	if (raw == TEXT_DICT_NONE)
		return;
	kb_alt_from_raw(ix, raw, &c->alt[0]);
	c->alt[0].w = KB_TYPO_WEIGHT;
	c->nalt = 1;
}

/* A hyphenated word the index does not know as a whole counts as its parts. */
static size_t kb_query_add_parts(const struct kb_index *ix, struct text_stemmer **st,
				 const struct kb_qtoks *toks, size_t i, struct kb_query *q)
{
	struct kb_concept c;
	size_t j = i + 1;

	for (; j < toks->n && (toks->v[j].flags & TEXT_TOKEN_PART); j++) {
		kb_concept_from_word(ix, st, &toks->v[j], &c);
		kb_query_push(ix, q, &c);
	}
	return j;
}

void kb_index_query_analyse(const struct kb_index *ix, const char *query,
			    struct text_stemmer **st, struct kb_query *q)
{
	struct kb_qtoks *toks = xcalloc(1, sizeof(*toks));
	struct kb_concept c;
	size_t i = 0;

	q->n = 0;
	kb_tokens_collect(query, strlen(query), toks);
	if (!toks->n || !kb_stemmer(st))
		goto out;
	kb_join_find(ix, toks);
	if (ix->nsyn) {
		for (size_t j = 0; j < toks->n; j++)
			toks->v[j].key = kb_token_key(*st, &ix->syn_words, NULL, &toks->v[j]);
	}
	while (i < toks->n) {
		const struct kb_qtok *tok = &toks->v[i];
		const struct kb_syn_member *hit;
		size_t used = 0;

		if (tok->flags & TEXT_TOKEN_PART) {
			i++;
			continue;
		}
		hit = ix->nsyn ? kb_syn_match(ix, toks, i, &used) : NULL;
		if (hit) {
			kb_concept_from_group(ix, hit, &c);
			if (c.nalt)
				kb_query_push(ix, q, &c);
			i += used;
			continue;
		}
		kb_concept_from_word(ix, st, tok, &c);
		if (!c.nalt && (tok->flags & TEXT_TOKEN_JOINED)) {
			i = kb_query_add_parts(ix, st, toks, i, q);
			continue;
		}
		kb_concept_add_joined(ix, tok, &c);
		kb_query_push(ix, q, &c);
		i++;
	}
out:
	free(toks);
}
