/* test_kb_vectors.c - unit tests for entry vectors (src/kb/kb_vectors) and
 * their use in live snapshots (kb_live): the embedded text, sync computing
 * only missing or stale vectors through a fake embed callback, all-or-nothing
 * failures, building against an index, and hybrid ranking. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "core/buf.h"
#include "core/mem.h"
#include "kb/kb_index.h"
#include "kb/kb_live.h"
#include "kb/kb_vectors.h"
#include "store/store.h"

/* ------------------------------------------------------------ fake embedder */

/* Topic axes: a text gets 1 on each axis one of whose keywords it contains,
 * so paraphrases can be written as vectors by hand. */
static const char *const topics[][4] = {
	{ "paspoort", "reisdocument", NULL },
	{ "verhuiz", "adres", NULL },
	{ "grofvuil", "afval", NULL },
	{ "parkeer", "parking", NULL },
};
#define NTOPICS 4
#define TOPIC_DIM 8

struct fake {
	size_t dim;          /* returned dimension */
	int topic;           /* 1: topic vectors, 0: pseudo-random from the text */
	size_t calls, texts, max_batch;
	size_t fail_at;      /* 1-based call that fails; 0: none */
	size_t change_dim_at; /* 1-based call that returns dim + 1 */
	int nan;             /* return a NaN */
};

static uint64_t fnv(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

static int fake_embed(void *ud, const char *const *texts, size_t n, float **vecs, size_t *dim,
		      struct lk_err *err)
{
	struct fake *f = ud;
	size_t d = f->dim;
	float *v;

	f->calls++;
	f->texts += n;
	if (n > f->max_batch)
		f->max_batch = n;
	*vecs = NULL;
	if (f->fail_at && f->calls == f->fail_at)
		return lk_err_set(err, LK_EUNAVAIL, "fake backend is down");
	if (f->change_dim_at && f->calls == f->change_dim_at)
		d++;
	v = calloc(n * d, sizeof(float));
	assert_non_null(v);
	for (size_t i = 0; i < n; i++) {
		float *row = v + i * d;

		assert_non_null(texts[i]);
		assert_true(strlen(texts[i]) > 0);
		if (f->topic) {
			int any = 0;

			for (size_t t = 0; t < NTOPICS && t < d; t++) {
				for (size_t k = 0; topics[t][k]; k++) {
					if (strcasestr(texts[i], topics[t][k])) {
						row[t] = 1.0f;
						any = 1;
						break;
					}
				}
			}
			if (!any)
				row[d - 1] = 1.0f;
		} else {
			uint64_t h = fnv(texts[i]);

			for (size_t j = 0; j < d; j++) {
				h = h * 6364136223846793005ULL + 1442695040888963407ULL;
				row[j] = (float)((double)(h >> 11) / 9007199254740992.0) - 0.5f;
			}
		}
	}
	if (f->nan)
		v[0] = NAN;
	*vecs = v;
	*dim = d;
	return 0;
}

/* ------------------------------------------------------------------ helpers */

static struct store *open_store(void)
{
	struct store *st = NULL;

	assert_int_equal(store_open(&st, "sqlite::memory:", NULL), 0);
	return st;
}

static void add_entry(struct kb_entries *l, const char *id, const char *question,
		      const char *answer, const char *lang)
{
	struct kb_entry e;

	kb_entry_init(&e);
	e.id = xstrdup(id);
	e.question = xstrdup(question);
	e.answer = xstrdup(answer);
	e.lang = xstrdup(lang);
	kb_entries_push(l, &e);
}

/* Stores n generated entries "e0".."e<n-1>". */
static void put_numbered(struct store *st, size_t n)
{
	struct kb_entries l;

	kb_entries_init(&l);
	for (size_t i = 0; i < n; i++) {
		char id[32], q[64], a[96];

		snprintf(id, sizeof(id), "e%zu", i);
		snprintf(q, sizeof(q), "Vraag nummer %zu?", i);
		snprintf(a, sizeof(a), "Antwoord %zu over onderwerp %zu.", i, i * 7 % 13);
		add_entry(&l, id, q, a, NULL);
	}
	assert_int_equal(store_kb_upsert(st, "demo", &l, NULL), 0);
	kb_entries_release(&l);
}

static const struct {
	const char *id, *question, *answer, *lang;
} kb[] = {
	{ "paspoort", "Hoe vraag ik een paspoort aan?",
	  "U vraagt een paspoort aan bij de gemeente. Maak eerst een afspraak.", NULL },
	{ "verhuizen", "Verhuizing doorgeven",
	  "Geef uw nieuwe adres binnen 5 dagen door via het digitale loket.", NULL },
	{ "grofvuil", "Grofvuil laten ophalen",
	  "Grofvuil halen wij gratis op. Zet het op de afgesproken dag buiten.", NULL },
	{ "parkeren", "Parkeervergunning aanvragen",
	  "Een parkeervergunning vraagt u online aan.", "nl" },
	{ "parking", "Parking permit", "Residents apply for a parking permit online.", "en" },
};
#define NKB (sizeof(kb) / sizeof(kb[0]))

/* The demo knowledge base, with topic vectors for model "m", and its index. */
static struct store *kb_store(struct kb_index **ix, struct kb_vectors **kv)
{
	struct store *st = open_store();
	struct fake f = { .dim = TOPIC_DIM, .topic = 1 };
	struct kb_entries l;
	size_t n = 0;
	int64_t gen;

	kb_entries_init(&l);
	for (size_t i = 0; i < NKB; i++)
		add_entry(&l, kb[i].id, kb[i].question, kb[i].answer, kb[i].lang);
	assert_int_equal(store_kb_upsert(st, "demo", &l, NULL), 0);
	kb_entries_release(&l);
	assert_int_equal(kb_vectors_sync(st, "demo", "m", fake_embed, &f, &n, NULL), 0);
	assert_int_equal(n, NKB);
	assert_int_equal(store_kb_load(st, "demo", &l, &gen, NULL), 0);
	assert_int_equal(kb_index_build(ix, &l, NULL, NULL), 0);
	kb_entries_release(&l);
	assert_int_equal(kb_vectors_build(kv, st, "demo", "m", *ix, NULL), 0);
	assert_int_equal(kb_vectors_count(*kv), NKB);
	return st;
}

static size_t doc_of(const struct kb_index *ix, const char *id)
{
	long d = kb_index_find(ix, id);

	assert_true(d >= 0);
	return (size_t)d;
}

static void assert_same_result(const struct kb_result *a, const struct kb_result *b)
{
	assert_int_equal(a->n, b->n);
	for (size_t i = 0; i < a->n; i++) {
		assert_int_equal(a->hits[i].doc, b->hits[i].doc);
		assert_true(a->hits[i].score == b->hits[i].score);
	}
	assert_true(a->confidence == b->confidence);
}

/* ---------------------------------------------------------------- the text */

static void test_entry_text_is_question_then_answer(void **state)
{
	struct kb_entry e;
	struct buf b;

	kb_entry_init(&e);
	e.id = "x";
	e.question = "Hoe vraag ik een paspoort aan?";
	e.title = "Paspoort";
	e.answer = "Bij de gemeente.";
	buf_init(&b, 4096);
	kb_vectors_entry_text(&e, &b);
	assert_string_equal(b.ptr, "Hoe vraag ik een paspoort aan?\n\nBij de gemeente.");
	/* no question: the title leads */
	buf_reset(&b);
	e.question = "";
	kb_vectors_entry_text(&e, &b);
	assert_string_equal(b.ptr, "Paspoort\n\nBij de gemeente.");
	/* neither: the answer alone */
	buf_reset(&b);
	e.title = NULL;
	kb_vectors_entry_text(&e, &b);
	assert_string_equal(b.ptr, "Bij de gemeente.");
	buf_release(&b);
}

static void test_entry_text_is_cut_at_a_character_boundary(void **state)
{
	struct kb_entry e;
	struct buf b, long_answer;

	buf_init(&long_answer, 1 << 16);
	assert_int_equal(buf_adds(&long_answer, "x"), 0); /* odd offset for the 2-byte chars */
	for (int i = 0; i < 2000; i++)
		assert_int_equal(buf_adds(&long_answer, "\xc3\xa9"), 0); /* é */
	kb_entry_init(&e);
	e.id = "x";
	e.question = "Vraag?";
	e.answer = long_answer.ptr;
	buf_init(&b, 1 << 16);
	kb_vectors_entry_text(&e, &b);
	assert_true(b.len <= KB_VEC_TEXT_MAX);
	assert_true(b.len >= KB_VEC_TEXT_MAX - 3);
	/* "Vraag?\n\nx" is 9 bytes; the rest must be whole é's */
	assert_int_equal((b.len - 9) % 2, 0);
	assert_int_equal((unsigned char)b.ptr[b.len - 1], 0xa9);
	/* a nearly full buffer gets what fits, still whole characters */
	buf_release(&b);
	buf_init(&b, 12);
	kb_vectors_entry_text(&e, &b);
	assert_true(b.len <= 12);
	assert_int_equal((b.len - 9) % 2, 0);
	buf_release(&b);
	buf_release(&long_answer);
}

/* -------------------------------------------------------------------- sync */

static void test_sync_computes_only_missing_and_stale_vectors(void **state)
{
	struct store *st = open_store();
	struct fake f = { .dim = 16 };
	struct kb_entries l;
	struct store_vecs vs;
	size_t n = 99;
	int64_t g1, g2;

	put_numbered(st, 40);
	assert_int_equal(kb_vectors_sync(st, "demo", "m", fake_embed, &f, &n, NULL), 0);
	assert_int_equal(n, 40);
	assert_int_equal(f.calls, 2); /* 32 + 8 */
	assert_int_equal(f.texts, 40);
	assert_int_equal(f.max_batch, KB_VEC_BATCH);
	assert_int_equal(store_kb_vectors_load(st, "demo", "m", &vs, NULL), 0);
	assert_int_equal(vs.n, 40);
	assert_int_equal(vs.v[0].dim, 16);
	store_vecs_release(&vs);

	/* nothing changed: nothing computed, nothing written */
	assert_int_equal(store_kb_generation(st, "demo", &g1, NULL), 0);
	f.calls = f.texts = 0;
	assert_int_equal(kb_vectors_sync(st, "demo", "m", fake_embed, &f, &n, NULL), 0);
	assert_int_equal(n, 0);
	assert_int_equal(f.calls, 0);
	assert_int_equal(store_kb_generation(st, "demo", &g2, NULL), 0);
	assert_int_equal(g1, g2);

	/* one entry edited, one added: two texts in one call */
	kb_entries_init(&l);
	add_entry(&l, "e3", "Vraag nummer 3?", "Een nieuw antwoord.", NULL);
	add_entry(&l, "nieuw", "Nieuwe vraag?", "Nieuw.", NULL);
	assert_int_equal(store_kb_upsert(st, "demo", &l, NULL), 0);
	kb_entries_release(&l);
	assert_int_equal(kb_vectors_sync(st, "demo", "m", fake_embed, &f, &n, NULL), 0);
	assert_int_equal(n, 2);
	assert_int_equal(f.calls, 1);
	assert_int_equal(f.texts, 2);
	/* storing vectors bumps the generation, so servers rebuild */
	assert_int_equal(store_kb_generation(st, "demo", &g2, NULL), 0);
	assert_true(g2 > g1 + 1);

	/* another model has none yet */
	f.calls = 0;
	assert_int_equal(kb_vectors_sync(st, "demo", "other", fake_embed, &f, NULL, NULL), 0);
	assert_int_equal(f.calls, 2);
	store_close(st);
}

static void test_sync_failure_stores_nothing_and_returns_the_error(void **state)
{
	struct store *st = open_store();
	struct fake f = { .dim = 8, .fail_at = 2 };
	struct lk_err err = {0};
	struct store_vecs vs;
	size_t n = 99;
	int64_t g1, g2;

	put_numbered(st, 40);
	assert_int_equal(store_kb_generation(st, "demo", &g1, NULL), 0);
	assert_int_equal(kb_vectors_sync(st, "demo", "m", fake_embed, &f, &n, &err), LK_EUNAVAIL);
	assert_string_equal(err.msg, "fake backend is down");
	assert_int_equal(n, 0);
	assert_int_equal(store_kb_vectors_load(st, "demo", "m", &vs, NULL), 0);
	assert_int_equal(vs.n, 0);
	store_vecs_release(&vs);
	assert_int_equal(store_kb_generation(st, "demo", &g2, NULL), 0);
	assert_int_equal(g1, g2);

	/* a backend that changes dimension between batches */
	f = (struct fake){ .dim = 8, .change_dim_at = 2 };
	assert_int_equal(kb_vectors_sync(st, "demo", "m", fake_embed, &f, &n, &err), LK_EREMOTE);
	assert_non_null(strstr(err.msg, "dimension"));
	/* a backend that returns NaN */
	f = (struct fake){ .dim = 8, .nan = 1 };
	assert_int_equal(kb_vectors_sync(st, "demo", "m", fake_embed, &f, &n, &err), LK_EREMOTE);
	/* a backend with an absurd dimension */
	f = (struct fake){ .dim = KB_VEC_DIM_MAX + 1 };
	assert_int_equal(kb_vectors_sync(st, "demo", "m", fake_embed, &f, &n, &err), LK_EREMOTE);
	assert_int_equal(store_kb_vectors_load(st, "demo", "m", &vs, NULL), 0);
	assert_int_equal(vs.n, 0);
	store_vecs_release(&vs);
	store_close(st);
}

static void test_sync_recomputes_everything_when_the_dimension_changes(void **state)
{
	struct store *st = open_store();
	struct fake f = { .dim = 8 };
	struct store_vecs vs;
	struct kb_entries l;
	size_t n = 0;

	put_numbered(st, 40);
	assert_int_equal(kb_vectors_sync(st, "demo", "m", fake_embed, &f, &n, NULL), 0);
	/* one entry edited; the model behind the name now gives 4 dimensions */
	kb_entries_init(&l);
	add_entry(&l, "e39", "Vraag nummer 39?", "Anders.", NULL);
	assert_int_equal(store_kb_upsert(st, "demo", &l, NULL), 0);
	kb_entries_release(&l);
	f = (struct fake){ .dim = 4 };
	assert_int_equal(kb_vectors_sync(st, "demo", "m", fake_embed, &f, &n, NULL), 0);
	assert_int_equal(n, 40);
	assert_int_equal(f.texts, 40);
	assert_int_equal(store_kb_vectors_load(st, "demo", "m", &vs, NULL), 0);
	assert_int_equal(vs.n, 40);
	for (size_t i = 0; i < vs.n; i++)
		assert_int_equal(vs.v[i].dim, 4);
	store_vecs_release(&vs);
	store_close(st);
}

/* ------------------------------------------------------------------- build */

static void test_build_skips_stale_vectors_until_the_next_sync(void **state)
{
	struct kb_index *ix;
	struct kb_vectors *kv;
	struct store *st = kb_store(&ix, &kv);
	struct fake f = { .dim = TOPIC_DIM, .topic = 1 };
	struct kb_entries l;
	const float *v;
	size_t n = 0;
	int64_t gen;

	assert_int_equal(kb_vectors_dim(kv), TOPIC_DIM);
	v = kb_vectors_get(kv, doc_of(ix, "verhuizen"));
	assert_non_null(v);
	assert_float_equal(v[1], 1.0, 1e-6); /* normalised topic axis */
	assert_null(kb_vectors_get(kv, 999));
	kb_vectors_free(kv);
	kb_index_free(ix);

	kb_entries_init(&l);
	add_entry(&l, "grofvuil", "Grofvuil laten ophalen", "Bel het servicenummer.", NULL);
	assert_int_equal(store_kb_upsert(st, "demo", &l, NULL), 0);
	assert_int_equal(store_kb_load(st, "demo", &l, &gen, NULL), 0);
	assert_int_equal(kb_index_build(&ix, &l, NULL, NULL), 0);
	kb_entries_release(&l);
	assert_int_equal(kb_vectors_build(&kv, st, "demo", "m", ix, NULL), 0);
	assert_int_equal(kb_vectors_count(kv), NKB - 1);
	assert_null(kb_vectors_get(kv, doc_of(ix, "grofvuil")));
	kb_vectors_free(kv);
	assert_int_equal(kb_vectors_sync(st, "demo", "m", fake_embed, &f, &n, NULL), 0);
	assert_int_equal(n, 1);
	assert_int_equal(kb_vectors_build(&kv, st, "demo", "m", ix, NULL), 0);
	assert_int_equal(kb_vectors_count(kv), NKB);
	kb_vectors_free(kv);
	/* a model with nothing stored */
	assert_int_equal(kb_vectors_build(&kv, st, "demo", "none", ix, NULL), 0);
	assert_int_equal(kb_vectors_count(kv), 0);
	assert_int_equal(kb_vectors_dim(kv), 0);
	kb_vectors_free(kv);
	kb_index_free(ix);
	store_close(st);
}

static void test_build_keeps_the_most_common_dimension(void **state)
{
	struct store *st = open_store();
	struct kb_index *ix;
	struct kb_vectors *kv;
	struct kb_entries l;
	struct store_vec v[4];
	float a[6] = { 1, 2, 3, 4, 5, 6 }, zero[4] = { 0 };
	int64_t gen;

	put_numbered(st, 5);
	kb_entries_init(&l);
	assert_int_equal(store_kb_load(st, "demo", &l, &gen, NULL), 0);
	for (size_t i = 0; i < 4; i++) {
		v[i].entry_id = l.v[i].id;
		kb_vectors_entry_hash(&l.v[i], v[i].text_hash);
		v[i].v = a;
		v[i].dim = i == 2 ? 6 : 4;
	}
	v[3].v = zero; /* a zero vector is useless for cosine */
	assert_int_equal(store_kb_vectors_put(st, "demo", "m", v, 4, NULL), 0);
	assert_int_equal(kb_index_build(&ix, &l, NULL, NULL), 0);
	kb_entries_release(&l);
	assert_int_equal(kb_vectors_build(&kv, st, "demo", "m", ix, NULL), 0);
	assert_int_equal(kb_vectors_dim(kv), 4);
	assert_int_equal(kb_vectors_count(kv), 2);
	assert_non_null(kb_vectors_get(kv, 0));
	assert_null(kb_vectors_get(kv, 2));
	assert_null(kb_vectors_get(kv, 3));
	assert_null(kb_vectors_get(kv, 4));
	assert_float_equal(kb_vectors_get(kv, 1)[3], 4.0 / sqrt(30.0), 1e-6);
	kb_vectors_free(kv);
	kb_index_free(ix);
	store_close(st);
}

/* ------------------------------------------------------------------ hybrid */

static void test_hybrid_answers_a_paraphrase_without_shared_words(void **state)
{
	struct kb_index *ix;
	struct kb_vectors *kv;
	struct store *st = kb_store(&ix, &kv);
	/* "I am moving to another town": about moving (axis 1), no word of it */
	const char *query = "Welke gemeente moet ik inlichten als ik naar een andere stad trek?";
	const float q[TOPIC_DIM] = { 0.15f, 1.0f, 0, 0, 0, 0, 0, 0.1f };
	struct kb_result bm25, out;
	size_t verhuizen = doc_of(ix, "verhuizen");

	kb_index_search(ix, query, "nl", KB_MAX_HITS, &bm25);
	/* BM25 alone does not find it (it matches "gemeente" elsewhere) */
	assert_true(bm25.n == 0 || bm25.hits[0].doc != verhuizen);
	assert_true(bm25.confidence < KB_CONF_SUGGEST);
	kb_vectors_hybrid(kv, ix, q, TOPIC_DIM, "nl", &bm25, 0.5, &out);
	assert_true(out.n >= 1);
	assert_int_equal(out.hits[0].doc, verhuizen);
	assert_true(out.confidence >= KB_CONF_ANSWER);
	assert_true(out.hits[0].score > 0.0);
	/* BM25's hit is kept behind it */
	if (bm25.n) {
		assert_true(out.n >= 2);
		assert_int_equal(out.hits[1].doc, bm25.hits[0].doc);
	}
	kb_vectors_free(kv);
	kb_index_free(ix);
	store_close(st);
}

static void test_hybrid_agreeing_rankings_keep_bm25_confidence(void **state)
{
	struct kb_index *ix;
	struct kb_vectors *kv;
	struct store *st = kb_store(&ix, &kv);
	const float q[TOPIC_DIM] = { 1.0f, 0, 0, 0, 0, 0, 0, 0.2f };
	struct kb_result bm25, out;

	kb_index_search(ix, "paspoort aanvragen", "nl", KB_MAX_HITS, &bm25);
	assert_true(bm25.n >= 1);
	assert_int_equal(bm25.hits[0].doc, doc_of(ix, "paspoort"));
	kb_vectors_hybrid(kv, ix, q, TOPIC_DIM, "nl", &bm25, 0.5, &out);
	assert_int_equal(out.hits[0].doc, doc_of(ix, "paspoort"));
	assert_true(out.confidence >= bm25.confidence);
	/* fused scores are reciprocal ranks: first in both = 2 / 61 */
	assert_float_equal(out.hits[0].score, 2.0 / (KB_VEC_RRF_K + 1), 1e-12);
	/* a similarity below min_similarity adds nothing: BM25 unchanged */
	kb_vectors_hybrid(kv, ix, q, TOPIC_DIM, "nl", &bm25, 0.999, &out);
	assert_same_result(&out, &bm25);
	kb_vectors_free(kv);
	kb_index_free(ix);
	store_close(st);
}

static void test_hybrid_without_vectors_is_bm25(void **state)
{
	struct kb_index *ix;
	struct kb_vectors *kv, *none;
	struct store *st = kb_store(&ix, &kv);
	const float q[TOPIC_DIM] = { 0, 1.0f, 0, 0, 0, 0, 0, 0 };
	const float nan_q[TOPIC_DIM] = { NAN, 1.0f, 0, 0, 0, 0, 0, 0 };
	const float zero_q[TOPIC_DIM] = { 0 };
	struct kb_result bm25, out;

	kb_index_search(ix, "grofvuil ophalen", "nl", KB_MAX_HITS, &bm25);
	assert_true(bm25.n >= 1);
	assert_int_equal(kb_vectors_build(&none, st, "demo", "none", ix, NULL), 0);
	kb_vectors_hybrid(none, ix, q, TOPIC_DIM, "nl", &bm25, 0.5, &out);
	assert_same_result(&out, &bm25);
	kb_vectors_hybrid(NULL, ix, q, TOPIC_DIM, "nl", &bm25, 0.5, &out);
	assert_same_result(&out, &bm25);
	/* dimension mismatch, no query vector, NaN, zero: BM25 unchanged */
	kb_vectors_hybrid(kv, ix, q, 3, "nl", &bm25, 0.5, &out);
	assert_same_result(&out, &bm25);
	kb_vectors_hybrid(kv, ix, NULL, TOPIC_DIM, "nl", &bm25, 0.5, &out);
	assert_same_result(&out, &bm25);
	kb_vectors_hybrid(kv, ix, nan_q, TOPIC_DIM, "nl", &bm25, 0.5, &out);
	assert_same_result(&out, &bm25);
	kb_vectors_hybrid(kv, ix, zero_q, TOPIC_DIM, "nl", &bm25, 0.5, &out);
	assert_same_result(&out, &bm25);
	/* vectors of another index */
	kb_vectors_hybrid(kv, (const struct kb_index *)&bm25, q, TOPIC_DIM, "nl", &bm25, 0.5, &out);
	assert_same_result(&out, &bm25);
	/* out may be the BM25 result itself */
	out = bm25;
	kb_vectors_hybrid(kv, ix, q, TOPIC_DIM, "nl", &out, 0.5, &out);
	assert_int_equal(out.hits[0].doc, doc_of(ix, "verhuizen"));
	kb_vectors_free(none);
	kb_vectors_free(kv);
	kb_index_free(ix);
	store_close(st);
}

static void test_hybrid_prefers_the_asked_language(void **state)
{
	struct kb_index *ix;
	struct kb_vectors *kv;
	struct store *st = kb_store(&ix, &kv);
	const float q[TOPIC_DIM] = { 0, 0, 0, 1.0f, 0, 0, 0, 0 };
	struct kb_result empty, out;

	memset(&empty, 0, sizeof(empty));
	kb_vectors_hybrid(kv, ix, q, TOPIC_DIM, "en", &empty, 0.5, &out);
	assert_int_equal(out.n, 1);
	assert_int_equal(out.hits[0].doc, doc_of(ix, "parking"));
	kb_vectors_hybrid(kv, ix, q, TOPIC_DIM, "nl", &empty, 0.5, &out);
	assert_int_equal(out.n, 1);
	assert_int_equal(out.hits[0].doc, doc_of(ix, "parkeren"));
	assert_true(out.confidence > 0.99);
	/* no language asked: both */
	kb_vectors_hybrid(kv, ix, q, TOPIC_DIM, NULL, &empty, 0.5, &out);
	assert_int_equal(out.n, 2);
	/* a language no entry has: all languages take part */
	kb_vectors_hybrid(kv, ix, q, TOPIC_DIM, "fy", &empty, 0.5, &out);
	assert_int_equal(out.n, 2);
	kb_vectors_free(kv);
	kb_index_free(ix);
	store_close(st);
}

/* ----------------------------------------------------------------- kb_live */

static void test_live_snapshots_carry_vectors_and_pick_up_syncs(void **state)
{
	struct store *st = open_store();
	struct fake f = { .dim = TOPIC_DIM, .topic = 1 };
	struct kb_live *kl;
	struct kb_snap *s;
	struct kb_entries l;

	kb_entries_init(&l);
	for (size_t i = 0; i < NKB; i++)
		add_entry(&l, kb[i].id, kb[i].question, kb[i].answer, kb[i].lang);
	assert_int_equal(store_kb_upsert(st, "demo", &l, NULL), 0);
	kb_entries_release(&l);
	assert_int_equal(kb_live_open(&kl, st, "demo", NULL, NULL), 0);
	s = kb_live_acquire(kl);
	assert_null(kb_snap_vectors(s)); /* not configured */
	kb_snap_release(s);
	assert_int_equal(kb_live_use_vectors(kl, "m", NULL), 0);
	s = kb_live_acquire(kl);
	assert_null(kb_snap_vectors(s)); /* configured, none stored */
	kb_snap_release(s);
	assert_int_equal(kb_vectors_sync(st, "demo", "m", fake_embed, &f, NULL, NULL), 0);
	assert_int_equal(kb_live_refresh(kl, NULL), 0);
	s = kb_live_acquire(kl);
	assert_non_null(kb_snap_vectors(s));
	assert_int_equal(kb_vectors_count(kb_snap_vectors(s)), NKB);
	assert_int_equal(kb_vectors_get(kb_snap_vectors(s), 0) != NULL, 1);
	/* the old snapshot stays valid for its reader across a switch-off */
	assert_int_equal(kb_live_use_vectors(kl, NULL, NULL), 0);
	assert_int_equal(kb_vectors_dim(kb_snap_vectors(s)), TOPIC_DIM);
	kb_snap_release(s);
	s = kb_live_acquire(kl);
	assert_null(kb_snap_vectors(s));
	kb_snap_release(s);
	kb_live_free(kl);
	store_close(st);
}

/* ------------------------------------------------------------- performance */

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* Informal: prints the cost of brute force; asserts only correctness. */
static void test_brute_force_cost_is_reported(void **state)
{
	enum { NDOCS = 5000, DIM = 768, QUERIES = 20 };
	struct store *st = open_store();
	struct fake f = { .dim = DIM };
	struct kb_entries l;
	struct kb_index *ix;
	struct kb_vectors *kv;
	struct kb_result empty, out;
	float *q = xmalloc(DIM * sizeof(float));
	double t0, t1;
	int64_t gen;

	put_numbered(st, NDOCS);
	t0 = now_ms();
	assert_int_equal(kb_vectors_sync(st, "demo", "m", fake_embed, &f, NULL, NULL), 0);
	t1 = now_ms();
	kb_entries_init(&l);
	assert_int_equal(store_kb_load(st, "demo", &l, &gen, NULL), 0);
	assert_int_equal(kb_index_build(&ix, &l, NULL, NULL), 0);
	kb_entries_release(&l);
	assert_int_equal(kb_vectors_build(&kv, st, "demo", "m", ix, NULL), 0);
	assert_int_equal(kb_vectors_count(kv), NDOCS);
	memcpy(q, kb_vectors_get(kv, 1234), DIM * sizeof(float));
	memset(&empty, 0, sizeof(empty));
	{
		double h0 = now_ms(), h1;

		for (int i = 0; i < QUERIES; i++)
			kb_vectors_hybrid(kv, ix, q, DIM, NULL, &empty, 0.3, &out);
		h1 = now_ms();
		print_message("brute force: %d docs x %d dims: %.2f ms per query"
			      " (sync incl. fake embedder and store: %.0f ms; this build may be"
			      " unoptimised and sanitised)\n",
			      NDOCS, DIM, (h1 - h0) / QUERIES, t1 - t0);
	}
	assert_int_equal(out.hits[0].doc, 1234);
	assert_true(out.confidence > 0.99);
	free(q);
	kb_vectors_free(kv);
	kb_index_free(ix);
	store_close(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_entry_text_is_question_then_answer),
		cmocka_unit_test(test_entry_text_is_cut_at_a_character_boundary),
		cmocka_unit_test(test_sync_computes_only_missing_and_stale_vectors),
		cmocka_unit_test(test_sync_failure_stores_nothing_and_returns_the_error),
		cmocka_unit_test(test_sync_recomputes_everything_when_the_dimension_changes),
		cmocka_unit_test(test_build_skips_stale_vectors_until_the_next_sync),
		cmocka_unit_test(test_build_keeps_the_most_common_dimension),
		cmocka_unit_test(test_hybrid_answers_a_paraphrase_without_shared_words),
		cmocka_unit_test(test_hybrid_agreeing_rankings_keep_bm25_confidence),
		cmocka_unit_test(test_hybrid_without_vectors_is_bm25),
		cmocka_unit_test(test_hybrid_prefers_the_asked_language),
		cmocka_unit_test(test_live_snapshots_carry_vectors_and_pick_up_syncs),
		cmocka_unit_test(test_brute_force_cost_is_reported),
	};
	return cmocka_run_group_tests_name("kb_vectors", tests, NULL, NULL);
}
