/* kb_index.h - the retrieval engine: an immutable inverted index over a
 * snapshot of knowledge-base entries, ranked with BM25F.
 *
 * Invariants: a built index never changes, so any number of threads may
 * search it at once without locks. To change the knowledge base, build a new
 * index and swap it in (see kb.h); the old one is freed when its last reader
 * is done. The index owns its entries.
 */
#ifndef LK_KB_INDEX_H
#define LK_KB_INDEX_H

#include "core/buf.h"
#include "core/err.h"
#include "kb/kb_entry.h"

#include <stddef.h>

struct kb_index;
struct kb_synonyms;

#define KB_MAX_HITS 10

struct kb_hit {
	size_t doc;   /* position of the entry in the index (kb_index_entry) */
	double score; /* raw BM25F score, only comparable within one query */
};

struct kb_result {
	struct kb_hit hits[KB_MAX_HITS];
	size_t n;
	/* Calibrated 0..1: how likely hits[0] answers the query. The bot answers
	 * at >= KB_CONF_ANSWER, offers suggestions at >= KB_CONF_SUGGEST, and
	 * otherwise says it does not know. */
	double confidence;
};

/* Defaults; a bot may override them in bot.yaml (retrieval.answer_threshold,
 * retrieval.suggest_threshold). */
#define KB_CONF_ANSWER 0.5
#define KB_CONF_SUGGEST 0.2

/* --- lifecycle --- */
/* Builds an index over `entries`, taking ownership of them (the list is
 * re-initialised). `syn` may be NULL; it is borrowed during the call only.
 * On success *out is set; caller frees with kb_index_free(). */
int kb_index_build(struct kb_index **out, struct kb_entries *entries,
		   const struct kb_synonyms *syn, struct lk_err *err);
void kb_index_free(struct kb_index *ix);

/* --- reading --- */
size_t kb_index_count(const struct kb_index *ix);
/* Borrowed; valid while the index lives. NULL if doc is out of range. */
const struct kb_entry *kb_index_entry(const struct kb_index *ix, size_t doc);
/* Position of the entry with this id, or -1. */
long kb_index_find(const struct kb_index *ix, const char *id);

/* --- searching --- */
/* Ranks at most k (<= KB_MAX_HITS) entries for `query`. `lang` (may be NULL)
 * prefers entries in that language (entries with lang NULL match any).
 * Never fails on odd input: empty or stopword-only queries give n == 0. */
void kb_index_search(const struct kb_index *ix, const char *query,
		     const char *lang, size_t k, struct kb_result *res);

/* Appends to `out` the most relevant paragraph(s) of entry `doc` for `query`,
 * at most about max_chars characters, never cut mid-sentence (a single
 * sentence longer than max_chars is cut at a word boundary with an ellipsis).
 * Returns 0 or LK_ETOOBIG if `out` is full. */
int kb_index_snippet(const struct kb_index *ix, size_t doc, const char *query,
		     size_t max_chars, struct buf *out);

/* --- diagnostics --- */
/* What the confidence of a search was computed from (for calibration tools
 * and `loket eval`; the bot needs only kb_result.confidence). */
struct kb_explain {
	size_t concepts;  /* query words and phrases left after stopwords */
	size_t unknown;   /* of those, matched nowhere in the index */
	double coverage;  /* 0..1: share of the query's IDF weight found in hits[0] */
	double margin;    /* 0..1: (score1 - score2) / score1 */
	double strength;  /* 0..1: score1 relative to the best score the query allows */
};

/* As kb_index_search(), also filling `ex` (never NULL). */
void kb_index_search_explain(const struct kb_index *ix, const char *query, const char *lang,
			     size_t k, struct kb_result *res, struct kb_explain *ex);

#endif
