/* kb_index_int.h - the inside of the retrieval index, shared by its three
 * source files: kb_index.c (build, search, confidence), kb_index_query.c
 * (turning a query into weighted terms: stems, synonyms, compounds, typos)
 * and kb_index_snippet.c. Not for use outside src/kb/kb_index*.c.
 *
 * Vocabulary: a "raw" word is a folded token as it appears in text
 * ("aangevraagd"); a "term" is the key the index ranks on ("anvrag"). Each
 * raw word of the documents maps to one or more terms with weights (its own
 * key, plus the parts of a compound at a lower weight).
 */
#ifndef LK_KB_INDEX_INT_H
#define LK_KB_INDEX_INT_H

#include "kb/kb_index.h"
#include "text/text_dict.h"
#include "text/text_stem.h"
#include "text/text_token.h"

#include <stdint.h>

/* A term with a weight: in a raw word's mapping, or inside a query alternative. */
struct kb_tw {
	uint32_t term;
	float w;
};

#define KB_ALT_TERMS 6

/* One way to match a query concept: terms that add up (a word and the parts
 * of a compound, or the words of a phrase), scaled by w. */
struct kb_alt {
	struct kb_tw t[KB_ALT_TERMS];
	uint8_t n;
	float w;
};

/* A synonym member resolved against the index: its raw words (ids in
 * kb_index.syn_words) for matching queries, and its terms for scoring. */
struct kb_syn_member {
	uint32_t words[8];
	uint8_t nwords;
	uint32_t group;
	struct kb_alt alt;
};

struct kb_id_pos {
	const char *id; /* borrowed from the entry */
	size_t doc;
};

struct kb_index {
	struct kb_entries entries;
	size_t ndocs;
	struct kb_id_pos *by_id; /* sorted by id */

	struct text_dict raws;  /* raw words of the documents */
	uint32_t *raw_freq;     /* raw id -> occurrences in the documents */
	uint32_t *raw_primary;  /* raw id -> its own term (key) */
	uint32_t *rmap_off;     /* raw id -> its first kb_tw in rmap; nraws + 1 entries */
	struct kb_tw *rmap;

	struct text_dict terms; /* keys */
	uint32_t *post_off;     /* term -> its first posting; nterms + 1 entries */
	uint32_t *post_doc;     /* postings: doc positions, ascending per term */
	float *post_sat;        /* postings: saturated BM25F term frequency, 0..1 */
	float *idf;             /* term -> inverse document frequency */
	float idf_unknown;      /* what a word found nowhere would weigh */

	uint32_t *typo_head;    /* raw ids of length >= 4, by (length, first two bytes) */
	uint32_t *typo_tail;    /* the same, by (length, last two bytes) */
	size_t ntypo;

	struct text_dict syn_words;
	struct kb_syn_member *syn;
	size_t nsyn;
};

/* Limits that keep one query's work bounded whatever its length. */
#define KB_QUERY_MAX_BYTES 4096
#define KB_QUERY_MAX_CONCEPTS 32
#define KB_CONCEPT_MAX_ALTS 8

/* A query word or phrase with its ways to match. nalt == 0: found nowhere. */
struct kb_concept {
	struct kb_alt alt[KB_CONCEPT_MAX_ALTS];
	uint8_t nalt;
	float w;   /* weight in the query */
	float idf; /* its rarity, for coverage */
};

struct kb_query {
	struct kb_concept c[KB_QUERY_MAX_CONCEPTS];
	size_t n;
};

/* Analyses `query` (raw user text) against the index. `st` is created on
 * demand and left for the caller to free with text_stemmer_free(). */
void kb_index_query_analyse(const struct kb_index *ix, const char *query,
			    struct text_stemmer **st, struct kb_query *q);

/* Resolves one folded word to an alternative the way a query word would be:
 * exact raw word, stem key, participle. Returns 0 if the index knows none. */
int kb_index_resolve_word(const struct kb_index *ix, struct text_stemmer **st, const char *w,
			  size_t len, struct kb_alt *alt);

/* Postings lookup: the saturated frequency of term in doc, or 0. */
float kb_index_term_in_doc(const struct kb_index *ix, uint32_t term, size_t doc);

/* Splits a compound into known parts ("rijbewijsaanvraag" -> "rijbewijs" +
 * "aanvraag", also over a linking -s-, -e- or -en-): the modifier must be a
 * raw word of the documents, the head a raw word or a known key, or itself
 * such a compound. Writes up to max part terms; returns how many (>= 2), or
 * 0 if w is no such compound. `primary` maps raw ids to their terms. */
size_t kb_index_split_compound(const struct kb_index *ix, const uint32_t *primary,
			       struct text_stemmer *st, const char *w, size_t len,
			       uint32_t *parts, size_t max);

/* Build steps in kb_index_query.c, called once by kb_index_build. */
void kb_index_typo_build(struct kb_index *ix);
void kb_index_synonyms_build(struct kb_index *ix, const struct kb_synonyms *syn,
			     struct text_stemmer *st);

#endif
