/* kb_vectors.h - embeddings of knowledge-base entries and hybrid ranking.
 *
 * When a bot has an embeddings backend, every entry gets a vector: computed at
 * import by kb_vectors_sync() through a callback (this module knows no HTTP),
 * kept in the store per (bot, model, entry), and loaded next to each index
 * by kb_vectors_build(). A question is then ranked twice, by BM25F
 * (kb_index_search) and by cosine similarity of its embedding, and the two
 * rankings are fused (kb_vectors_hybrid), so a paraphrase that shares no word
 * with the entry can still be answered.
 *
 * Invariants: a built struct kb_vectors never changes and belongs to exactly
 * one kb_index (same documents, same order), so any number of threads may
 * use it at once; its vectors are L2-normalised and all of one dimension. A
 * stored vector is used only while the entry's text still hashes to the
 * stored text_hash: an edited entry has no vector until the next sync.
 */
#ifndef LK_KB_VECTORS_H
#define LK_KB_VECTORS_H

#include "core/buf.h"
#include "core/err.h"
#include "kb/kb_entry.h"
#include "kb/kb_index.h"
#include "store/store.h"

#include <stddef.h>

struct kb_vectors;

/* Bytes of an entry's text that are embedded: about 400 tokens of Dutch,
 * within the 512-token input of small embedding models. */
#define KB_VEC_TEXT_MAX 1536
/* Texts per call of the embed callback. */
#define KB_VEC_BATCH 32
#define KB_VEC_DIM_MAX STORE_VEC_DIM_MAX
/* Reciprocal rank fusion constant (Cormack et al. 2009). */
#define KB_VEC_RRF_K 60
/* How many of the most similar entries take part in the fusion. */
#define KB_VEC_DEPTH 50

/* --- the text of an entry --- */
/* Appends the text embedded for an entry: its question (or else title), a
 * blank line, and the start of its answer; at most KB_VEC_TEXT_MAX bytes
 * (less if `out` is fuller), cut at a UTF-8 character boundary. */
void kb_vectors_entry_text(const struct kb_entry *e, struct buf *out);
/* SHA-256 of that text: what store_vec.text_hash holds. */
void kb_vectors_entry_hash(const struct kb_entry *e, unsigned char hash[STORE_VEC_HASH_LEN]);

/* --- computing vectors --- */
/* Embeds texts[0..n-1] (1 <= n <= KB_VEC_BATCH). On success returns 0 and sets
 * *vecs to n * *dim floats, row i for texts[i], allocated with malloc: the
 * caller of the callback frees them with free(). On failure returns a
 * negative LK_E* code, fills err and leaves *vecs NULL. */
typedef int (*kb_embed_fn)(void *ud, const char *const *texts, size_t n, float **vecs,
			   size_t *dim, struct lk_err *err);

/* Computes vectors for the bot's entries that have none for `model` or whose
 * text changed (SHA-256 of the embedded text differs), in batches of at most
 * KB_VEC_BATCH texts, and stores them with one store_kb_vectors_put() (which
 * bumps the knowledge-base generation so running servers pick them up).
 * Entries with an empty text get no vector. If the backend now returns
 * another dimension than the stored vectors have (the model behind the name
 * changed), every entry is recomputed. All or nothing: when fn fails, or
 * returns a dimension outside 1..KB_VEC_DIM_MAX, another dimension than an
 * earlier batch, or a value that is not finite, nothing is stored and fn's
 * error (or LK_EREMOTE) is returned. *computed (may be NULL) receives the
 * number of vectors stored. */
int kb_vectors_sync(struct store *st, const char *bot, const char *model, kb_embed_fn fn,
		    void *ud, size_t *computed, struct lk_err *err);

/* --- lifecycle --- */
/* Loads the vectors of `model` for the entries of `ix` from the store: row
 * of doc i for entry i of ix. Skips vectors that are stale (text changed),
 * zero or not finite, and those whose dimension is not the one most vectors
 * have. A store without vectors gives a struct with count 0. `ix` must
 * outlive the result. Caller frees with kb_vectors_free(). */
int kb_vectors_build(struct kb_vectors **out, struct store *st, const char *bot,
		     const char *model, const struct kb_index *ix, struct lk_err *err);
void kb_vectors_free(struct kb_vectors *kv);

/* --- reading --- */
size_t kb_vectors_count(const struct kb_vectors *kv); /* docs that have a vector */
size_t kb_vectors_dim(const struct kb_vectors *kv);   /* 0 when count is 0 */
/* The normalised vector of doc (kb_vectors_dim floats), or NULL when the
 * doc has none. Borrowed; valid while kv lives. */
const float *kb_vectors_get(const struct kb_vectors *kv, size_t doc);

/* --- ranking --- */
/* Hybrid ranking. bm25: the result of kb_index_search for the query; qvec:
 * the query's embedding, dim floats (normalised here). Cosine similarity
 * against every doc with a vector (brute force), preferring docs in `lang`
 * as kb_index_search does (entries with lang NULL match any; docs in other
 * languages count only when no doc in `lang` is similar enough). The docs
 * with a similarity of at least min_similarity, best KB_VEC_DEPTH of them,
 * form the second ranking (none: *bm25 is returned unchanged); the two are
 * fused by reciprocal rank fusion (k = 60) into out->hits (at most
 * KB_MAX_HITS, score = fused score, ties going to the better rank in the
 * ranking that is more confident, then the earlier doc).
 *
 * out->confidence is the confidence in out->hits[0]: the larger of
 * bm25->confidence (when hits[0] is also BM25's first hit) and the cosine
 * similarity s of hits[0], calibrated as 0 below min_similarity rising
 * linearly to 1 at s = 1. When the rankings agree on the first hit this is
 * max(bm25 confidence, calibrated top cosine).
 *
 * Falls back to a copy of *bm25 when kv is NULL or has no vectors, does not
 * belong to ix, or qvec is NULL, of another dimension, zero or not finite.
 * Never fails; out may be bm25.
 *
 * Cost: one dot product per doc with a vector, e.g. 10,000 docs x 768 dims
 * = 7.7 M multiply-adds and 30 MiB of vectors read per query. Measured
 * (test_kb_vectors, -O3, one core of the dev machine): 2 ms for 5,000 x 768,
 * so about 4 ms for 10,000; fine to some 100,000 docs, beyond that an
 * approximate nearest-neighbour index is due. */
void kb_vectors_hybrid(const struct kb_vectors *kv, const struct kb_index *ix, const float *qvec,
		       size_t dim, const char *lang, const struct kb_result *bm25,
		       double min_similarity, struct kb_result *out);

#endif
