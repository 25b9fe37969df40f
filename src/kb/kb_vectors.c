/* kb_vectors.c - entry vectors: computing them through an embed callback and
 * keeping them in the store (kb_vectors_sync), loading them next to an index
 * (kb_vectors_build), and fusing cosine similarity with BM25F by reciprocal
 * rank fusion (kb_vectors_hybrid). See kb_vectors.h.
 */
#include "kb/kb_vectors.h"

#include "core/mem.h"

#include <math.h>
#include <openssl/sha.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct kb_vectors {
	const struct kb_index *ix; /* the index the rows belong to (borrowed) */
	size_t ndocs;
	size_t dim;
	size_t n;             /* rows: docs that have a vector */
	float *m;             /* n * dim, L2-normalised, rows in doc order */
	uint32_t *doc_of_row; /* n */
	uint32_t *row_of_doc; /* ndocs; NO_ROW when the doc has no vector */
};

#define NO_ROW UINT32_MAX

/* ------------------------------------------------------------ entry text */

/* The longest prefix of s[0..len) of at most max bytes that ends on a
 * character boundary. */
static size_t utf8_cut(const char *s, size_t len, size_t max)
{
	size_t n = len < max ? len : max;

	while (n > 0 && n < len && ((unsigned char)s[n] & 0xC0) == 0x80)
		n--;
	return n;
}

/* Appends at most *room bytes of s, cut at a character boundary. */
static void add_cut(struct buf *out, const char *s, size_t *room)
{
	size_t n = utf8_cut(s, strlen(s), *room);

	if (n && buf_add(out, s, n) == 0)
		*room -= n;
}

void kb_vectors_entry_text(const struct kb_entry *e, struct buf *out)
{
	const char *head = e->question && *e->question ? e->question : e->title;
	const char *answer = e->answer ? e->answer : "";
	size_t room = out->max > out->len ? out->max - out->len : 0;

	if (room > KB_VEC_TEXT_MAX)
		room = KB_VEC_TEXT_MAX;
	if (head && *head) {
		add_cut(out, head, &room);
		if (*answer && room >= 2)
			add_cut(out, "\n\n", &room);
	}
	add_cut(out, answer, &room);
}

static int entry_has_text(const struct kb_entry *e)
{
	return (e->question && *e->question) || (e->title && *e->title) ||
	       (e->answer && *e->answer);
}

void kb_vectors_entry_hash(const struct kb_entry *e, unsigned char hash[STORE_VEC_HASH_LEN])
{
	struct buf t;

	buf_init(&t, KB_VEC_TEXT_MAX);
	kb_vectors_entry_text(e, &t);
	SHA256((const unsigned char *)t.ptr, t.len, hash);
	buf_release(&t);
}

/* ---------------------------------------------------------------- helpers */

static int cmp_vec_id(const void *a, const void *b)
{
	return strcmp(((const struct store_vec *)a)->entry_id,
		      ((const struct store_vec *)b)->entry_id);
}

static int cmp_size(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;

	return x < y ? -1 : x > y;
}

/* The most common of dims[0..n) (the smallest on a tie), or 0 if n == 0.
 * Sorts dims. */
static size_t mode_dim(size_t *dims, size_t n)
{
	size_t best = 0, best_n = 0;

	qsort(dims, n, sizeof(*dims), cmp_size);
	for (size_t i = 0; i < n;) {
		size_t j = i;

		while (j < n && dims[j] == dims[i])
			j++;
		if (j - i > best_n) {
			best = dims[i];
			best_n = j - i;
		}
		i = j;
	}
	return best;
}

static size_t vecs_mode_dim(const struct store_vecs *vs)
{
	size_t *dims = xcalloc(vs->n ? vs->n : 1, sizeof(*dims));
	size_t d;

	for (size_t i = 0; i < vs->n; i++)
		dims[i] = vs->v[i].dim;
	d = mode_dim(dims, vs->n);
	free(dims);
	return d;
}

static int all_finite(const float *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (!isfinite(v[i]))
			return 0;
	}
	return 1;
}

/* Dot product with independent partial sums, so the compiler may use SIMD
 * without reassociating one long chain. */
static float dot(const float *a, const float *b, size_t n)
{
	float s[8] = { 0 };
	size_t i = 0;

	for (; i + 8 <= n; i += 8) {
		for (size_t j = 0; j < 8; j++)
			s[j] += a[i + j] * b[i + j];
	}
	for (; i < n; i++)
		s[0] += a[i] * b[i];
	return ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]));
}

/* Scales v to unit length; returns 0 if it is zero or not finite. */
static int normalise(float *v, size_t n)
{
	double ss = 0.0, inv;

	for (size_t i = 0; i < n; i++)
		ss += (double)v[i] * v[i];
	if (!isfinite(ss) || ss <= 0.0)
		return 0;
	inv = 1.0 / sqrt(ss);
	for (size_t i = 0; i < n; i++)
		v[i] = (float)(v[i] * inv);
	return 1;
}

/* ------------------------------------------------------------------ sync */

struct sync_state {
	struct kb_entries entries;
	struct store_vecs old;  /* sorted by entry id */
	unsigned char (*hash)[STORE_VEC_HASH_LEN];
	unsigned char *need;    /* per entry: to compute */
	unsigned char *done;    /* per entry: computed in this sync */
	struct store_vec *fresh; /* computed; entry ids borrowed from entries */
	size_t nfresh;
	size_t dim;             /* of this backend, once the first batch is back */
};

static void sync_release(struct sync_state *s)
{
	for (size_t i = 0; i < s->nfresh; i++)
		free(s->fresh[i].v);
	free(s->fresh);
	free(s->hash);
	free(s->need);
	free(s->done);
	store_vecs_release(&s->old);
	kb_entries_release(&s->entries);
}

/* Calls fn on the entries pending[0..n) and keeps the vectors in s->fresh. */
static int sync_batch(struct sync_state *s, const size_t *pending, size_t n, kb_embed_fn fn,
		      void *ud, struct lk_err *err)
{
	struct buf texts[KB_VEC_BATCH];
	const char *ptrs[KB_VEC_BATCH];
	float *vecs = NULL;
	size_t dim = 0;
	int rc;

	for (size_t i = 0; i < n; i++) {
		buf_init(&texts[i], KB_VEC_TEXT_MAX);
		kb_vectors_entry_text(&s->entries.v[pending[i]], &texts[i]);
		ptrs[i] = texts[i].ptr;
	}
	rc = fn(ud, ptrs, n, &vecs, &dim, err);
	if (rc) {
		if (rc > 0)
			rc = lk_err_set(err, LK_EREMOTE, "embeddings backend failed");
		goto out;
	}
	if (!vecs || dim < 1 || dim > KB_VEC_DIM_MAX) {
		rc = lk_err_set(err, LK_EREMOTE, "embeddings backend returned %s of dimension %zu",
				vecs ? "vectors" : "no vectors", dim);
		goto out;
	}
	if (s->dim && dim != s->dim) {
		rc = lk_err_set(err, LK_EREMOTE,
				"embeddings backend changed dimension from %zu to %zu",
				s->dim, dim);
		goto out;
	}
	if (!all_finite(vecs, n * dim)) {
		rc = lk_err_set(err, LK_EREMOTE,
				"embeddings backend returned a value that is not a number");
		goto out;
	}
	s->dim = dim;
	s->fresh = xreallocarray(s->fresh, s->nfresh + n, sizeof(*s->fresh));
	for (size_t i = 0; i < n; i++) {
		struct store_vec *v = &s->fresh[s->nfresh++];

		v->entry_id = s->entries.v[pending[i]].id;
		memcpy(v->text_hash, s->hash[pending[i]], STORE_VEC_HASH_LEN);
		v->dim = dim;
		v->v = xmalloc(dim * sizeof(float));
		memcpy(v->v, vecs + i * dim, dim * sizeof(float));
		s->done[pending[i]] = 1;
	}
out:
	free(vecs);
	for (size_t i = 0; i < n; i++)
		buf_release(&texts[i]);
	return rc;
}

int kb_vectors_sync(struct store *st, const char *bot, const char *model, kb_embed_fn fn,
		    void *ud, size_t *computed, struct lk_err *err)
{
	struct sync_state s;
	size_t old_dim, cursor = 0, nentries;
	int64_t gen = 0;
	int widened = 0, rc;

	memset(&s, 0, sizeof(s));
	kb_entries_init(&s.entries);
	if (computed)
		*computed = 0;
	if (!fn)
		return lk_err_set(err, LK_EINVAL, "no embeddings backend");
	rc = store_kb_load(st, bot, &s.entries, &gen, err);
	if (!rc)
		rc = store_kb_vectors_load(st, bot, model, &s.old, err);
	if (rc)
		goto out;
	if (s.old.n)
		qsort(s.old.v, s.old.n, sizeof(*s.old.v), cmp_vec_id);
	/* Vectors of a minority dimension are stale, like those of changed text. */
	old_dim = vecs_mode_dim(&s.old);
	nentries = s.entries.n;
	s.hash = xcalloc(nentries ? nentries : 1, sizeof(*s.hash));
	s.need = xcalloc(nentries ? nentries : 1, 1);
	s.done = xcalloc(nentries ? nentries : 1, 1);
	for (size_t i = 0; i < nentries; i++) {
		const struct kb_entry *e = &s.entries.v[i];
		struct store_vec key = { .entry_id = e->id };
		const struct store_vec *have;

		if (!entry_has_text(e))
			continue;
		kb_vectors_entry_hash(e, s.hash[i]);
		have = NULL;
		if (s.old.n)
			have = bsearch(&key, s.old.v, s.old.n, sizeof(*s.old.v), cmp_vec_id);
		s.need[i] = !have || have->dim != old_dim ||
			    memcmp(have->text_hash, s.hash[i], STORE_VEC_HASH_LEN) != 0;
	}
	for (;;) {
		size_t pending[KB_VEC_BATCH], n = 0;

		while (cursor < nentries && n < KB_VEC_BATCH) {
			if (s.need[cursor] && !s.done[cursor])
				pending[n++] = cursor;
			cursor++;
		}
		if (!n)
			break;
		rc = sync_batch(&s, pending, n, fn, ud, err);
		if (rc)
			goto out;
		/* Another dimension than what is stored: the model behind the
		 * name changed, so no stored vector is comparable any more. */
		if (!widened && old_dim && s.dim != old_dim) {
			widened = 1;
			for (size_t i = 0; i < nentries; i++)
				s.need[i] = entry_has_text(&s.entries.v[i]);
			cursor = 0;
		}
	}
	if (s.nfresh)
		rc = store_kb_vectors_put(st, bot, model, s.fresh, s.nfresh, err);
	if (!rc && computed)
		*computed = s.nfresh;
out:
	sync_release(&s);
	return rc;
}

/* ----------------------------------------------------------------- build */

struct build_cand {
	size_t doc;
	const struct store_vec *v;
};

static int cmp_cand(const void *a, const void *b)
{
	size_t x = ((const struct build_cand *)a)->doc, y = ((const struct build_cand *)b)->doc;

	return x < y ? -1 : x > y;
}

int kb_vectors_build(struct kb_vectors **out, struct store *st, const char *bot,
		     const char *model, const struct kb_index *ix, struct lk_err *err)
{
	struct store_vecs vs;
	struct build_cand *cand = NULL;
	struct kb_vectors *kv;
	size_t ncand = 0, *dims = NULL;
	int rc;

	*out = NULL;
	rc = store_kb_vectors_load(st, bot, model, &vs, err);
	if (rc)
		return rc;
	kv = xcalloc(1, sizeof(*kv));
	kv->ix = ix;
	kv->ndocs = kb_index_count(ix);
	kv->row_of_doc = xmalloc((kv->ndocs ? kv->ndocs : 1) * sizeof(*kv->row_of_doc));
	for (size_t d = 0; d < kv->ndocs; d++)
		kv->row_of_doc[d] = NO_ROW;
	cand = xcalloc(vs.n ? vs.n : 1, sizeof(*cand));
	dims = xcalloc(vs.n ? vs.n : 1, sizeof(*dims));
	for (size_t i = 0; i < vs.n; i++) {
		const struct store_vec *v = &vs.v[i];
		long doc = kb_index_find(ix, v->entry_id);
		unsigned char hash[STORE_VEC_HASH_LEN];

		if (doc < 0 || !all_finite(v->v, v->dim))
			continue;
		kb_vectors_entry_hash(kb_index_entry(ix, (size_t)doc), hash);
		if (memcmp(hash, v->text_hash, STORE_VEC_HASH_LEN) != 0)
			continue; /* stale: the entry changed since it was embedded */
		cand[ncand].doc = (size_t)doc;
		cand[ncand].v = v;
		dims[ncand++] = v->dim;
	}
	kv->dim = mode_dim(dims, ncand);
	if (ncand)
		qsort(cand, ncand, sizeof(*cand), cmp_cand);
	kv->m = xcalloc(ncand ? ncand * kv->dim : 1, sizeof(float));
	kv->doc_of_row = xcalloc(ncand ? ncand : 1, sizeof(*kv->doc_of_row));
	for (size_t i = 0; i < ncand; i++) {
		float *row = kv->m + kv->n * kv->dim;

		if (cand[i].v->dim != kv->dim || kv->row_of_doc[cand[i].doc] != NO_ROW)
			continue;
		memcpy(row, cand[i].v->v, kv->dim * sizeof(float));
		if (!normalise(row, kv->dim))
			continue;
		kv->row_of_doc[cand[i].doc] = (uint32_t)kv->n;
		kv->doc_of_row[kv->n++] = (uint32_t)cand[i].doc;
	}
	if (!kv->n)
		kv->dim = 0;
	free(cand);
	free(dims);
	store_vecs_release(&vs);
	*out = kv;
	return 0;
}

void kb_vectors_free(struct kb_vectors *kv)
{
	if (!kv)
		return;
	free(kv->m);
	free(kv->doc_of_row);
	free(kv->row_of_doc);
	free(kv);
}

size_t kb_vectors_count(const struct kb_vectors *kv)
{
	return kv ? kv->n : 0;
}

size_t kb_vectors_dim(const struct kb_vectors *kv)
{
	return kv ? kv->dim : 0;
}

const float *kb_vectors_get(const struct kb_vectors *kv, size_t doc)
{
	if (!kv || doc >= kv->ndocs || kv->row_of_doc[doc] == NO_ROW)
		return NULL;
	return kv->m + (size_t)kv->row_of_doc[doc] * kv->dim;
}

/* --------------------------------------------------------------- ranking */

static int lang_differs(const struct kb_entry *e, const char *lang)
{
	return lang && *lang && e->lang && strcasecmp(e->lang, lang) != 0;
}

/* 0 below min_similarity, rising linearly to 1 at similarity 1. */
static double calibrate(double sim, double min_similarity)
{
	double c;

	if (!(sim >= min_similarity))
		return 0.0;
	if (min_similarity >= 1.0)
		return 1.0;
	c = (sim - min_similarity) / (1.0 - min_similarity);
	return c < 0.0 ? 0.0 : c > 1.0 ? 1.0 : c;
}

struct sim_hit {
	size_t doc;
	float sim;
};

/* The KB_VEC_DEPTH docs most similar to q (unit length), at least
 * min_similarity, best first (ties: earlier doc). As in kb_index_search,
 * docs in another language than `lang` take part only when no doc in
 * `lang` is similar enough. Returns how many. */
static size_t cosine_top(const struct kb_vectors *kv, const struct kb_index *ix, const float *q,
			 const char *lang, double min_similarity, struct sim_hit *top)
{
	float *sim = xmalloc(kv->n * sizeof(float));
	int own_lang = 0;
	size_t n = 0;

	for (size_t r = 0; r < kv->n; r++) {
		sim[r] = dot(q, kv->m + r * kv->dim, kv->dim);
		if (!own_lang && sim[r] >= min_similarity)
			own_lang = !lang_differs(kb_index_entry(ix, kv->doc_of_row[r]), lang);
	}
	for (size_t r = 0; r < kv->n; r++) {
		size_t doc = kv->doc_of_row[r], j;

		if (!(sim[r] >= min_similarity))
			continue;
		if (own_lang && lang_differs(kb_index_entry(ix, doc), lang))
			continue;
		/* Rows are in doc order, so an equal similarity stays behind. */
		if (n == KB_VEC_DEPTH && sim[r] <= top[n - 1].sim)
			continue;
		j = n < KB_VEC_DEPTH ? n++ : n - 1;
		while (j > 0 && top[j - 1].sim < sim[r]) {
			top[j] = top[j - 1];
			j--;
		}
		top[j].doc = doc;
		top[j].sim = sim[r];
	}
	free(sim);
	return n;
}

struct fused {
	size_t doc;
	double score;
	size_t rank_lex; /* 1-based; 0: not in that ranking */
	size_t rank_vec;
	size_t rank_pref; /* the rank in the preferred ranking, or SIZE_MAX */
};

static int cmp_fused(const void *a, const void *b)
{
	const struct fused *x = a, *y = b;

	if (x->score != y->score)
		return x->score > y->score ? -1 : 1;
	if (x->rank_pref != y->rank_pref)
		return x->rank_pref < y->rank_pref ? -1 : 1;
	return x->doc < y->doc ? -1 : x->doc > y->doc;
}

static struct fused *fused_slot(struct fused *f, size_t *n, size_t doc)
{
	for (size_t i = 0; i < *n; i++) {
		if (f[i].doc == doc)
			return &f[i];
	}
	memset(&f[*n], 0, sizeof(f[*n]));
	f[*n].doc = doc;
	return &f[(*n)++];
}

void kb_vectors_hybrid(const struct kb_vectors *kv, const struct kb_index *ix, const float *qvec,
		       size_t dim, const char *lang, const struct kb_result *bm25,
		       double min_similarity, struct kb_result *out)
{
	struct kb_result lex = *bm25;
	struct sim_hit top[KB_VEC_DEPTH];
	struct fused f[KB_MAX_HITS + KB_VEC_DEPTH];
	size_t ntop, nf = 0;
	int prefer_vec;
	double conf;
	float *q;

	*out = lex;
	if (!kv || !kv->n || !ix || kv->ix != ix || kv->ndocs != kb_index_count(ix) || !qvec ||
	    dim != kv->dim)
		return;
	q = xmalloc(dim * sizeof(float));
	memcpy(q, qvec, dim * sizeof(float));
	if (!all_finite(q, dim) || !normalise(q, dim))
		goto out;
	ntop = cosine_top(kv, ix, q, lang, min_similarity, top);
	if (!ntop)
		goto out; /* no doc is similar enough: BM25 alone */
	if (lex.n > KB_MAX_HITS)
		lex.n = KB_MAX_HITS;
	prefer_vec = calibrate(top[0].sim, min_similarity) > lex.confidence;
	for (size_t r = 0; r < lex.n; r++)
		fused_slot(f, &nf, lex.hits[r].doc)->rank_lex = r + 1;
	for (size_t r = 0; r < ntop; r++)
		fused_slot(f, &nf, top[r].doc)->rank_vec = r + 1;
	for (size_t i = 0; i < nf; i++) {
		size_t pref = prefer_vec ? f[i].rank_vec : f[i].rank_lex;

		if (f[i].rank_lex)
			f[i].score += 1.0 / (double)(KB_VEC_RRF_K + f[i].rank_lex);
		if (f[i].rank_vec)
			f[i].score += 1.0 / (double)(KB_VEC_RRF_K + f[i].rank_vec);
		f[i].rank_pref = pref ? pref : SIZE_MAX;
	}
	qsort(f, nf, sizeof(*f), cmp_fused);
	/* The first hit is the one the more confident ranking puts first, so
	 * fusion never answers worse than words alone (a weak embedding model
	 * cannot turn a confident word match into "I don't know"), and the
	 * confidence always belongs to the hit it is about. */
	{
		size_t lead = prefer_vec || !lex.n ? top[0].doc : lex.hits[0].doc;

		for (size_t i = 0; i < nf; i++) {
			if (f[i].doc == lead) {
				struct fused keep = f[i];

				memmove(&f[1], &f[0], i * sizeof(*f));
				f[0] = keep;
				break;
			}
		}
		conf = prefer_vec || !lex.n ? calibrate(top[0].sim, min_similarity) : lex.confidence;
	}
	out->n = nf < KB_MAX_HITS ? nf : KB_MAX_HITS;
	for (size_t i = 0; i < out->n; i++) {
		out->hits[i].doc = f[i].doc;
		out->hits[i].score = f[i].score;
	}
	out->confidence = conf;
out:
	free(q);
}
