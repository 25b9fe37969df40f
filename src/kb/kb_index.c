/* kb_index.c - building the inverted index and ranking with BM25F (see
 * kb_index.h). Query analysis lives in kb_index_query.c, snippets in
 * kb_index_snippet.c; the shared layout is in kb_index_int.h.
 *
 * Fields and their BM25F weights: question and title above the answer's
 * first paragraph ("lead", a bonus field), which is above the whole answer;
 * tags lightly. Each posting stores the saturated term frequency, so a
 * search only multiplies and adds. */
#include "kb/kb_index.h"

#include "core/mem.h"
#include "kb/kb_index_int.h"
#include "text/text_norm.h"
#include "text/text_stopwords.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum kb_field {
	KB_FIELD_QUESTION,
	KB_FIELD_TITLE,
	KB_FIELD_LEAD,
	KB_FIELD_ANSWER,
	KB_FIELD_TAGS,
	KB_NFIELDS
};

/* BM25F parameters: k1 saturation, per-field weight and length
 * normalisation. Round values chosen for the field roles, not fitted: the
 * lead (first paragraph, where FAQ answers restate the question) counts
 * twice on top of its weight in the whole answer. */
static const struct {
	float k1;
	float w[KB_NFIELDS];
	float b[KB_NFIELDS];
} kb_bm25f = {
	.k1 = 1.2f,
	.w = { 3.0f, 2.0f, 2.0f, 1.0f, 0.7f },
	.b = { 0.5f, 0.5f, 0.5f, 0.75f, 0.3f },
};

/* Weight of a compound's parts, relative to the compound itself. */
#define KB_PART_WEIGHT 0.5f
/* Score factor for entries in another language than the one asked for. */
#define KB_OTHER_LANG 0.5

/* ---------------------------------------------------------------- build */

struct kb_build {
	struct kb_index *ix;
	uint32_t *occ;      /* (raw id << 3) | field, document after document */
	size_t nocc, aocc;
	size_t *doc_occ;    /* doc -> first occurrence; ndocs + 1 entries */
	float *flen;        /* doc * KB_NFIELDS + field -> length in words */
	double flen_sum[KB_NFIELDS];
	int field;
	size_t cur_doc;
	struct buf fold;
};

static void kb_build_token(void *ctx, const struct text_token *tok)
{
	struct kb_build *b = ctx;
	uint32_t raw;

	if (text_stopword_is(tok->s, tok->len))
		return;
	if (!(tok->flags & TEXT_TOKEN_JOINED))
		b->flen[b->cur_doc * KB_NFIELDS + (size_t)b->field] += 1.0f;
	raw = text_dict_intern(&b->ix->raws, tok->s, tok->len);
	if (b->nocc == b->aocc) {
		b->aocc = b->aocc ? b->aocc * 2 : 4096;
		b->occ = xreallocarray(b->occ, b->aocc, sizeof(*b->occ));
	}
	b->occ[b->nocc++] = raw << 3 | (uint32_t)b->field;
}

static void kb_build_field(struct kb_build *b, int field, const char *text, size_t len)
{
	if (!text || !len)
		return;
	buf_reset(&b->fold);
	/* A field larger than the fold buffer is indexed as far as it fits. */
	(void)text_norm_fold(text, len, &b->fold);
	b->field = field;
	text_token_each(b->fold.ptr, b->fold.len, kb_build_token, b);
}

static size_t kb_lead_length(const char *answer)
{
	const char *p = strstr(answer, "\n\n");

	return p ? (size_t)(p - answer) : strlen(answer);
}

static void kb_build_collect(struct kb_build *b)
{
	struct kb_index *ix = b->ix;

	b->doc_occ = xcalloc(ix->ndocs + 1, sizeof(*b->doc_occ));
	b->flen = xcalloc(ix->ndocs * KB_NFIELDS + 1, sizeof(*b->flen));
	for (size_t d = 0; d < ix->ndocs; d++) {
		const struct kb_entry *e = &ix->entries.v[d];
		const char *ans = e->answer ? e->answer : "";

		b->cur_doc = d;
		b->doc_occ[d] = b->nocc;
		kb_build_field(b, KB_FIELD_QUESTION, e->question, e->question ? strlen(e->question) : 0);
		kb_build_field(b, KB_FIELD_TITLE, e->title, e->title ? strlen(e->title) : 0);
		kb_build_field(b, KB_FIELD_LEAD, ans, kb_lead_length(ans));
		kb_build_field(b, KB_FIELD_ANSWER, ans, strlen(ans));
		kb_build_field(b, KB_FIELD_TAGS, e->tags, e->tags ? strlen(e->tags) : 0);
		for (int f = 0; f < KB_NFIELDS; f++)
			b->flen_sum[f] += b->flen[d * KB_NFIELDS + (size_t)f];
	}
	b->doc_occ[ix->ndocs] = b->nocc;
}

/* Gives every raw word its own key; participles take the key of their verb
 * when the documents know it ("aangevraagd" -> the key of "aanvragen"). */
static void kb_build_keys(struct kb_build *b, struct text_stemmer *st)
{
	struct kb_index *ix = b->ix;
	size_t nraws = text_dict_count(&ix->raws);
	char key[TEXT_STEM_MAX];

	ix->raw_primary = xcalloc(nraws + 1, sizeof(*ix->raw_primary));
	for (size_t r = 0; r < nraws; r++) {
		const char *w = text_dict_str(&ix->raws, (uint32_t)r);
		size_t n = text_stem(st, w, strlen(w), key);

		ix->raw_primary[r] = text_dict_intern(&ix->terms, key, n);
	}
	for (size_t r = 0; r < nraws; r++) {
		const char *w = text_dict_str(&ix->raws, (uint32_t)r);
		size_t n = text_stem_participle(st, w, strlen(w), key);
		uint32_t t;

		if (!n)
			continue;
		t = text_dict_find(&ix->terms, key, n);
		if (t != TEXT_DICT_NONE)
			ix->raw_primary[r] = t;
	}
}

/* Maps every raw word to its key plus, for a compound, its parts. */
static void kb_build_raw_map(struct kb_build *b, struct text_stemmer *st)
{
	struct kb_index *ix = b->ix;
	size_t nraws = text_dict_count(&ix->raws), n = 0, alloc = nraws + 64;

	ix->rmap_off = xcalloc(nraws + 1, sizeof(*ix->rmap_off));
	ix->rmap = xcalloc(alloc, sizeof(*ix->rmap));
	for (size_t r = 0; r < nraws; r++) {
		const char *w = text_dict_str(&ix->raws, (uint32_t)r);
		uint32_t parts[KB_ALT_TERMS - 1];
		size_t np = kb_index_split_compound(ix, ix->raw_primary, st, w, strlen(w), parts,
						    KB_ALT_TERMS - 1);

		if (n + 1 + np > alloc) {
			alloc = alloc * 2 + np + 1;
			ix->rmap = xreallocarray(ix->rmap, alloc, sizeof(*ix->rmap));
		}
		ix->rmap_off[r] = (uint32_t)n;
		ix->rmap[n].term = ix->raw_primary[r];
		ix->rmap[n++].w = 1.0f;
		for (size_t i = 0; i < np; i++) {
			if (parts[i] == ix->raw_primary[r])
				continue;
			ix->rmap[n].term = parts[i];
			ix->rmap[n++].w = KB_PART_WEIGHT;
		}
	}
	ix->rmap_off[nraws] = (uint32_t)n;
}

/* Per-document term frequencies, gathered through a term-indexed slot table. */
struct kb_doc_terms {
	uint32_t *stamp; /* term -> doc + 1 when it has a slot in this doc */
	uint32_t *slot;  /* term -> index into tf */
	uint32_t *term;  /* slot -> term */
	float (*tf)[KB_NFIELDS];
	size_t n, alloc;
};

static void kb_doc_terms_add(struct kb_doc_terms *dt, size_t doc, uint32_t term, int field,
			     float w)
{
	uint32_t s;

	if (dt->stamp[term] != doc + 1) {
		if (dt->n == dt->alloc) {
			dt->alloc = dt->alloc ? dt->alloc * 2 : 256;
			dt->term = xreallocarray(dt->term, dt->alloc, sizeof(*dt->term));
			dt->tf = xreallocarray(dt->tf, dt->alloc, sizeof(*dt->tf));
		}
		dt->stamp[term] = (uint32_t)doc + 1;
		dt->slot[term] = (uint32_t)dt->n;
		dt->term[dt->n] = term;
		memset(dt->tf[dt->n], 0, sizeof(dt->tf[dt->n]));
		dt->n++;
	}
	s = dt->slot[term];
	dt->tf[s][field] += w;
}

static float kb_bm25f_sat(const float tf[KB_NFIELDS], const float *len, const float *avg)
{
	float t = 0.0f;

	for (int f = 0; f < KB_NFIELDS; f++) {
		if (tf[f] <= 0.0f || avg[f] <= 0.0f)
			continue;
		t += kb_bm25f.w[f] * tf[f] /
		     (1.0f - kb_bm25f.b[f] + kb_bm25f.b[f] * len[f] / avg[f]);
	}
	return t / (kb_bm25f.k1 + t);
}

/* Turns occurrences into postings: term -> (doc, saturated tf). */
static void kb_build_postings(struct kb_build *b)
{
	struct kb_index *ix = b->ix;
	size_t nterms = text_dict_count(&ix->terms), total = 0;
	struct kb_doc_terms dt = { 0 };
	float avg[KB_NFIELDS];
	uint32_t *ptmp_term = NULL, *fill;
	float *ptmp_sat = NULL;
	size_t palloc = 0;
	size_t *doc_post = xcalloc(ix->ndocs + 1, sizeof(*doc_post));

	for (int f = 0; f < KB_NFIELDS; f++)
		avg[f] = ix->ndocs ? (float)(b->flen_sum[f] / (double)ix->ndocs) : 0.0f;
	dt.stamp = xcalloc(nterms + 1, sizeof(*dt.stamp));
	dt.slot = xcalloc(nterms + 1, sizeof(*dt.slot));
	ix->post_off = xcalloc(nterms + 1, sizeof(*ix->post_off));
	for (size_t d = 0; d < ix->ndocs; d++) {
		dt.n = 0;
		for (size_t o = b->doc_occ[d]; o < b->doc_occ[d + 1]; o++) {
			uint32_t raw = b->occ[o] >> 3;
			int field = (int)(b->occ[o] & 7);

			for (uint32_t m = ix->rmap_off[raw]; m < ix->rmap_off[raw + 1]; m++)
				kb_doc_terms_add(&dt, d, ix->rmap[m].term, field, ix->rmap[m].w);
		}
		if (total + dt.n > palloc) {
			palloc = (total + dt.n) * 2;
			ptmp_term = xreallocarray(ptmp_term, palloc, sizeof(*ptmp_term));
			ptmp_sat = xreallocarray(ptmp_sat, palloc, sizeof(*ptmp_sat));
		}
		doc_post[d] = total;
		for (size_t i = 0; i < dt.n; i++) {
			ptmp_term[total] = dt.term[i];
			ptmp_sat[total++] = kb_bm25f_sat(dt.tf[i], &b->flen[d * KB_NFIELDS], avg);
			ix->post_off[dt.term[i] + 1]++;
		}
	}
	doc_post[ix->ndocs] = total;
	for (size_t t = 0; t < nterms; t++)
		ix->post_off[t + 1] += ix->post_off[t];
	ix->post_doc = xcalloc(total + 1, sizeof(*ix->post_doc));
	ix->post_sat = xcalloc(total + 1, sizeof(*ix->post_sat));
	fill = xcalloc(nterms + 1, sizeof(*fill));
	memcpy(fill, ix->post_off, nterms * sizeof(*fill));
	for (size_t d = 0; d < ix->ndocs; d++) {
		for (size_t p = doc_post[d]; p < doc_post[d + 1]; p++) {
			uint32_t at = fill[ptmp_term[p]]++;

			ix->post_doc[at] = (uint32_t)d;
			ix->post_sat[at] = ptmp_sat[p];
		}
	}
	ix->idf = xcalloc(nterms + 1, sizeof(*ix->idf));
	for (size_t t = 0; t < nterms; t++) {
		double df = ix->post_off[t + 1] - ix->post_off[t];

		ix->idf[t] = (float)log(1.0 + ((double)ix->ndocs - df + 0.5) / (df + 0.5));
	}
	ix->idf_unknown = (float)log(1.0 + ((double)ix->ndocs + 0.5) / 0.5);
	free(fill);
	free(doc_post);
	free(ptmp_term);
	free(ptmp_sat);
	free(dt.stamp);
	free(dt.slot);
	free(dt.term);
	free(dt.tf);
}

static void kb_build_raw_freq(struct kb_build *b)
{
	struct kb_index *ix = b->ix;

	ix->raw_freq = xcalloc(text_dict_count(&ix->raws) + 1, sizeof(*ix->raw_freq));
	for (size_t o = 0; o < b->nocc; o++)
		ix->raw_freq[b->occ[o] >> 3]++;
}

static int kb_by_id_cmp(const void *a, const void *b)
{
	const struct kb_id_pos *x = a, *y = b;

	return strcmp(x->id, y->id);
}

static int kb_build_check_entries(const struct kb_entries *entries, struct lk_err *err)
{
	for (size_t i = 0; i < entries->n; i++) {
		if (!entries->v[i].id || !entries->v[i].answer)
			return lk_err_set(err, LK_EINVAL, "kb entry %zu has no %s", i,
					  entries->v[i].id ? "answer" : "id");
	}
	if (entries->n >= UINT32_MAX / 2)
		return lk_err_set(err, LK_ETOOBIG, "too many kb entries (%zu)", entries->n);
	return 0;
}

static void kb_build_by_id(struct kb_index *ix)
{
	ix->by_id = xcalloc(ix->ndocs + 1, sizeof(*ix->by_id));
	for (size_t d = 0; d < ix->ndocs; d++) {
		ix->by_id[d].id = ix->entries.v[d].id;
		ix->by_id[d].doc = d;
	}
	qsort(ix->by_id, ix->ndocs, sizeof(*ix->by_id), kb_by_id_cmp);
}

int kb_index_build(struct kb_index **out, struct kb_entries *entries,
		   const struct kb_synonyms *syn, struct lk_err *err)
{
	struct kb_index *ix;
	struct kb_build b = { 0 };
	struct text_stemmer *st;
	int rc;

	*out = NULL;
	rc = kb_build_check_entries(entries, err);
	if (rc)
		return rc;
	st = text_stemmer_new();
	if (!st)
		return lk_err_set(err, LK_EUNSUPPORTED, "libstemmer has no Dutch stemmer");
	ix = xcalloc(1, sizeof(*ix));
	ix->entries = *entries;
	kb_entries_init(entries);
	ix->ndocs = ix->entries.n;
	text_dict_init(&ix->raws);
	text_dict_init(&ix->terms);
	text_dict_init(&ix->syn_words);
	b.ix = ix;
	buf_init(&b.fold, (size_t)16 << 20);
	kb_build_collect(&b);
	kb_build_raw_freq(&b);
	kb_build_keys(&b, st);
	kb_build_raw_map(&b, st);
	kb_build_postings(&b);
	kb_index_typo_build(ix);
	kb_index_synonyms_build(ix, syn, st);
	kb_build_by_id(ix);
	buf_release(&b.fold);
	free(b.occ);
	free(b.doc_occ);
	free(b.flen);
	text_stemmer_free(st);
	*out = ix;
	return 0;
}

void kb_index_free(struct kb_index *ix)
{
	if (!ix)
		return;
	kb_entries_release(&ix->entries);
	free(ix->by_id);
	text_dict_release(&ix->raws);
	free(ix->raw_freq);
	free(ix->raw_primary);
	free(ix->rmap_off);
	free(ix->rmap);
	text_dict_release(&ix->terms);
	free(ix->post_off);
	free(ix->post_doc);
	free(ix->post_sat);
	free(ix->idf);
	free(ix->typo_head);
	free(ix->typo_tail);
	text_dict_release(&ix->syn_words);
	free(ix->syn);
	free(ix);
}

/* -------------------------------------------------------------- reading */

size_t kb_index_count(const struct kb_index *ix)
{
	return ix ? ix->ndocs : 0;
}

const struct kb_entry *kb_index_entry(const struct kb_index *ix, size_t doc)
{
	return ix && doc < ix->ndocs ? &ix->entries.v[doc] : NULL;
}

long kb_index_find(const struct kb_index *ix, const char *id)
{
	size_t lo = 0, hi;

	if (!ix || !id)
		return -1;
	hi = ix->ndocs;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(ix->by_id[mid].id, id);

		if (!c)
			return (long)ix->by_id[mid].doc;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

float kb_index_term_in_doc(const struct kb_index *ix, uint32_t term, size_t doc)
{
	uint32_t lo = ix->post_off[term], hi = ix->post_off[term + 1];

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (ix->post_doc[mid] == doc)
			return ix->post_sat[mid];
		if (ix->post_doc[mid] < doc)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0.0f;
}

/* ------------------------------------------------------------ searching */

/* Dense per-document score arrays with the list of documents touched, so
 * only touched entries are visited and reset. */
struct kb_acc {
	float *v;
	uint32_t *touched;
	size_t n;
};

static void kb_acc_init(struct kb_acc *a, size_t ndocs)
{
	a->v = xcalloc(ndocs + 1, sizeof(*a->v));
	a->touched = xcalloc(ndocs + 1, sizeof(*a->touched));
	a->n = 0;
}

static void kb_acc_release(struct kb_acc *a)
{
	free(a->v);
	free(a->touched);
	memset(a, 0, sizeof(*a));
}

/* Only positive amounts are added, so 0 means "not touched yet". */
static void kb_acc_add(struct kb_acc *a, uint32_t doc, float x)
{
	if (!(x > 0.0f))
		return;
	if (a->v[doc] == 0.0f)
		a->touched[a->n++] = doc;
	a->v[doc] += x;
}

static void kb_acc_max(struct kb_acc *a, uint32_t doc, float x)
{
	if (!(x > 0.0f))
		return;
	if (a->v[doc] == 0.0f)
		a->touched[a->n++] = doc;
	if (x > a->v[doc])
		a->v[doc] = x;
}

static void kb_acc_clear(struct kb_acc *a)
{
	for (size_t i = 0; i < a->n; i++)
		a->v[a->touched[i]] = 0.0f;
	a->n = 0;
}

/* Adds w * idf * sat of every term of alt into acc. */
static void kb_score_alt(const struct kb_index *ix, const struct kb_alt *alt, float w,
			 struct kb_acc *acc)
{
	for (size_t i = 0; i < alt->n; i++) {
		uint32_t t = alt->t[i].term;
		float f = w * alt->w * alt->t[i].w * ix->idf[t];

		for (uint32_t p = ix->post_off[t]; p < ix->post_off[t + 1]; p++)
			kb_acc_add(acc, ix->post_doc[p], f * ix->post_sat[p]);
	}
}

/* A concept with several alternatives scores the best one per document. */
static void kb_score_concept(const struct kb_index *ix, const struct kb_concept *c,
			     struct kb_acc *acc, struct kb_acc *best, struct kb_acc *one)
{
	if (c->nalt == 1) {
		kb_score_alt(ix, &c->alt[0], c->w, acc);
		return;
	}
	for (size_t a = 0; a < c->nalt; a++) {
		kb_score_alt(ix, &c->alt[a], c->w, one);
		for (size_t i = 0; i < one->n; i++)
			kb_acc_max(best, one->touched[i], one->v[one->touched[i]]);
		kb_acc_clear(one);
	}
	for (size_t i = 0; i < best->n; i++)
		kb_acc_add(acc, best->touched[i], best->v[best->touched[i]]);
	kb_acc_clear(best);
}

static int kb_lang_differs(const struct kb_entry *e, const char *lang)
{
	return lang && *lang && e->lang && strcasecmp(e->lang, lang) != 0;
}

/* Keeps the k best (score, doc) of acc in res, best first; ties go to the
 * earlier document so results are stable. */
static void kb_select_top(const struct kb_index *ix, const struct kb_acc *acc, const char *lang,
			  size_t k, struct kb_result *res)
{
	int have_own_lang = 0;

	/* Entries in the asked language win outright when the query touches
	 * any; other languages only fill in when it touches none. */
	for (size_t i = 0; i < acc->n && !have_own_lang; i++)
		have_own_lang = !kb_lang_differs(&ix->entries.v[acc->touched[i]], lang);
	res->n = 0;
	for (size_t i = 0; i < acc->n; i++) {
		uint32_t d = acc->touched[i];
		double s = acc->v[d];
		size_t j;

		if (kb_lang_differs(&ix->entries.v[d], lang)) {
			if (have_own_lang)
				continue;
			s *= KB_OTHER_LANG;
		}
		if (res->n == k && (s < res->hits[k - 1].score ||
				    (s == res->hits[k - 1].score && d > res->hits[k - 1].doc)))
			continue;
		j = res->n < k ? res->n++ : k - 1;
		while (j > 0 && (res->hits[j - 1].score < s ||
				 (res->hits[j - 1].score == s && res->hits[j - 1].doc > d))) {
			res->hits[j] = res->hits[j - 1];
			j--;
		}
		res->hits[j].doc = d;
		res->hits[j].score = s;
	}
}

/* 0..1: how much of concept c's weight document doc carries. */
static double kb_concept_match(const struct kb_index *ix, const struct kb_concept *c, size_t doc)
{
	double best = 0.0;

	for (size_t a = 0; a < c->nalt; a++) {
		const struct kb_alt *alt = &c->alt[a];
		double have = 0.0, all = 0.0;

		for (size_t i = 0; i < alt->n; i++) {
			double x = alt->t[i].w * ix->idf[alt->t[i].term];

			all += x;
			if (kb_index_term_in_doc(ix, alt->t[i].term, doc) > 0.0f)
				have += x;
		}
		if (all > 0.0 && alt->w * have / all > best)
			best = alt->w * have / all;
	}
	return best;
}

/* Confidence: a logistic function of general features of the ranking
 * (query coverage by the top hit, its margin over the second, its score
 * relative to the query's best possible, the share of query words unknown
 * to the index). Coefficients: a logistic fit on the dev questions plus
 * out-of-domain questions (bench/retrieval/ood-queries.txt), rounded. */
static double kb_confidence(const struct kb_explain *ex)
{
	double z, unknown;

	if (!ex->concepts)
		return 0.0;
	unknown = (double)ex->unknown / (double)ex->concepts;
	z = -5.0 + 4.0 * ex->coverage + 5.5 * ex->margin + 2.0 * ex->strength - 6.0 * unknown;
	return 1.0 / (1.0 + exp(-z));
}

static void kb_explain_fill(const struct kb_index *ix, const struct kb_query *q,
			    const struct kb_result *res, struct kb_explain *ex)
{
	double total = 0.0, have = 0.0;

	memset(ex, 0, sizeof(*ex));
	ex->concepts = q->n;
	for (size_t i = 0; i < q->n; i++) {
		const struct kb_concept *c = &q->c[i];

		total += c->w * c->idf;
		if (!c->nalt)
			ex->unknown++;
		else if (res->n)
			have += c->w * c->idf * kb_concept_match(ix, c, res->hits[0].doc);
	}
	if (!res->n || total <= 0.0)
		return;
	ex->coverage = have / total;
	ex->margin = res->n > 1 ? (res->hits[0].score - res->hits[1].score) / res->hits[0].score
				: 1.0;
	ex->strength = res->hits[0].score / total;
	if (ex->strength > 1.0)
		ex->strength = 1.0;
}

void kb_index_search_explain(const struct kb_index *ix, const char *query, const char *lang,
			     size_t k, struct kb_result *res, struct kb_explain *ex)
{
	struct text_stemmer *st = NULL;
	struct kb_query *q;
	struct kb_acc acc = { 0 }, best = { 0 }, one = { 0 };

	memset(res, 0, sizeof(*res));
	memset(ex, 0, sizeof(*ex));
	if (!ix || !query || !ix->ndocs || !k)
		return;
	if (k > KB_MAX_HITS)
		k = KB_MAX_HITS;
	q = xcalloc(1, sizeof(*q));
	kb_index_query_analyse(ix, query, &st, q);
	if (!q->n)
		goto out;
	kb_acc_init(&acc, ix->ndocs);
	for (size_t i = 0; i < q->n; i++) {
		if (q->c[i].nalt > 1 && !best.v) {
			kb_acc_init(&best, ix->ndocs);
			kb_acc_init(&one, ix->ndocs);
		}
		kb_score_concept(ix, &q->c[i], &acc, &best, &one);
	}
	kb_select_top(ix, &acc, lang, k, res);
	kb_explain_fill(ix, q, res, ex);
	res->confidence = res->n ? kb_confidence(ex) : 0.0;
out:
	kb_acc_release(&acc);
	kb_acc_release(&best);
	kb_acc_release(&one);
	text_stemmer_free(st);
	free(q);
}

void kb_index_search(const struct kb_index *ix, const char *query, const char *lang, size_t k,
		     struct kb_result *res)
{
	struct kb_explain ex;

	kb_index_search_explain(ix, query, lang, k, res, &ex);
}
