/* nlu_feat.h - internal to src/nlu: turning a message into the hashed,
 * L2-normalised sparse feature vector the classifier scores.
 *
 * Features of the folded text (text_norm_fold), each word as text_token
 * gives it: the character 3-, 4- and 5-grams of "<word>" ('<' and '>' mark the
 * word's boundaries, so "<pas" and "ort>" differ from inner n-grams), the
 * word's Dutch stem (text_stem), the bigram of consecutive stems (and of the
 * message start with the first stem, which tells "hoe ..." from "ik wil ...").
 * A stopword's own features weigh less (w_stop): "de" and "een" say little
 * alone and, in a small training set, would otherwise tie unrelated text to
 * whichever intent used them most; in bigrams they keep their full weight.
 * Numbers give one feature for their length instead ("#5"), not their digits.
 * Every feature is hashed into 2^NLU_DIM_BITS buckets; collisions are rare
 * and harmless. The vector may hold the same bucket twice (a repeated word):
 * scoring adds them up, so nothing needs merging.
 */
#ifndef LK_NLU_FEAT_H
#define LK_NLU_FEAT_H

#include "core/buf.h"
#include "nlu/nlu.h"
#include "text/text_stem.h"

#include <stddef.h>
#include <stdint.h>

#define NLU_DIM ((size_t)1 << NLU_DIM_BITS)
#define NLU_MAX_FEATURES 4096 /* per message; more are dropped */
#define NLU_FEAT_MAX_TOKENS 512
#define NLU_FEAT_TOKEN_BYTES 16384

struct nlu_feat {
	uint32_t idx; /* bucket, < NLU_DIM */
	float val;
};

struct nlu_feat_weights {
	float w_char;
	float w_word;
	float w_bigram;
	float w_stop; /* multiplies w_char and w_word for stopwords (text_stopwords) */
};

struct nlu_feat_tok {
	uint16_t off; /* into nlu_feat_scratch.chars */
	uint8_t len;
	uint8_t flags; /* enum text_token_flag */
};

/* Per-call working memory (about 50 KiB): allocate it (or one per thread),
 * nlu_feat_scratch_init() it, use it for any number of messages one at a
 * time, nlu_feat_scratch_release() it. Not shared between threads. */
struct nlu_feat_scratch {
	struct buf folded;
	struct text_stemmer *st;
	struct nlu_feat_tok toks[NLU_FEAT_MAX_TOKENS];
	size_t ntoks;
	size_t nchars;
	char chars[NLU_FEAT_TOKEN_BYTES];
	struct nlu_feat feats[NLU_MAX_FEATURES];
};

/* Returns 0, or LK_EUNSUPPORTED if libstemmer lacks Dutch. */
int nlu_feat_scratch_init(struct nlu_feat_scratch *s);
void nlu_feat_scratch_release(struct nlu_feat_scratch *s);

/* Extracts the features of text[0..len) (only the first NLU_MAX_INPUT bytes
 * count) into s->feats and returns how many there are (0 for text without
 * words). The vector has unit L2 norm unless it is empty. */
size_t nlu_feat_extract(struct nlu_feat_scratch *s, const char *text, size_t len,
			const struct nlu_feat_weights *w);

#endif
