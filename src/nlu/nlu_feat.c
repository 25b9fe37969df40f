/* nlu_feat.c - feature extraction for the intent classifier (see
 * nlu_feat.h): fold, tokenise, stem, hash. */
#include "nlu/nlu_feat.h"

#include "core/err.h"
#include "text/text_norm.h"
#include "text/text_stopwords.h"
#include "text/text_token.h"

#include <math.h>
#include <string.h>

/* The folded form may be longer than its source (ligatures, NFKC); what
 * does not fit is dropped. */
#define NLU_FEAT_FOLDED_MAX (4 * NLU_MAX_INPUT)

/* One seed per kind of feature, so "<ab" as an n-gram and "<ab" as a stem
 * land in different buckets. */
enum nlu_feat_kind {
	NLU_FEAT_CHAR = 0x63,
	NLU_FEAT_WORD = 0x77,
	NLU_FEAT_BIGRAM = 0x62,
	NLU_FEAT_NUMBER = 0x6e,
};

int nlu_feat_scratch_init(struct nlu_feat_scratch *s)
{
	buf_init(&s->folded, NLU_FEAT_FOLDED_MAX);
	s->ntoks = 0;
	s->nchars = 0;
	s->st = text_stemmer_new();
	if (!s->st)
		return LK_EUNSUPPORTED;
	return 0;
}

void nlu_feat_scratch_release(struct nlu_feat_scratch *s)
{
	buf_release(&s->folded);
	text_stemmer_free(s->st);
	s->st = NULL;
}

/* FNV-1a over the bytes, then a 64-bit finaliser (murmur3's fmix64) so the
 * low bits, which pick the bucket, depend on every byte. */
static uint64_t nlu_feat_hash(unsigned kind, const char *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ULL ^ kind;

	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)p[i];
		h *= 0x100000001b3ULL;
	}
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return h;
}

static uint64_t nlu_feat_mix(uint64_t a, uint64_t b)
{
	uint64_t h = a * 0x9e3779b97f4a7c15ULL ^ (b + 0x632be59bd9b4e019ULL);

	h ^= h >> 31;
	h *= 0xbf58476d1ce4e5b9ULL;
	h ^= h >> 29;
	return h;
}

struct nlu_feat_out {
	struct nlu_feat *v;
	size_t n;
};

static void nlu_feat_add(struct nlu_feat_out *o, uint64_t h, float val)
{
	if (o->n >= NLU_MAX_FEATURES || val == 0.0f)
		return;
	o->v[o->n].idx = (uint32_t)(h & (NLU_DIM - 1));
	o->v[o->n].val = val;
	o->n++;
}

static void nlu_feat_token_cb(void *ctx, const struct text_token *tok)
{
	struct nlu_feat_scratch *s = ctx;
	struct nlu_feat_tok *t;

	if (s->ntoks >= NLU_FEAT_MAX_TOKENS || tok->len > NLU_FEAT_TOKEN_BYTES - s->nchars)
		return;
	t = &s->toks[s->ntoks++];
	t->off = (uint16_t)s->nchars;
	t->len = (uint8_t)tok->len;
	t->flags = (uint8_t)tok->flags;
	memcpy(s->chars + s->nchars, tok->s, tok->len);
	s->nchars += tok->len;
}

/* The character n-grams of "<w>", n = 3..5. */
static void nlu_feat_chars(struct nlu_feat_out *o, const char *w, size_t len, float val)
{
	char b[TEXT_TOKEN_MAX + 2];
	size_t blen = len + 2;

	b[0] = '<';
	memcpy(b + 1, w, len);
	b[len + 1] = '>';
	for (size_t n = 3; n <= 5; n++) {
		for (size_t i = 0; i + n <= blen; i++)
			nlu_feat_add(o, nlu_feat_hash(NLU_FEAT_CHAR, b + i, n), val);
	}
}

size_t nlu_feat_extract(struct nlu_feat_scratch *s, const char *text, size_t len,
			const struct nlu_feat_weights *w)
{
	struct nlu_feat_out o = { s->feats, 0 };
	uint64_t prev = nlu_feat_hash(NLU_FEAT_WORD, "^", 1); /* the message start */
	char stem[TEXT_STEM_MAX];
	double norm = 0.0;

	if (len > NLU_MAX_INPUT) {
		/* Cut at a character boundary so the cut leaves no stray byte. */
		len = NLU_MAX_INPUT;
		while (len > 0 && ((unsigned char)text[len] & 0xc0) == 0x80)
			len--;
	}
	buf_reset(&s->folded);
	/* On LK_ETOOBIG the buffer holds a prefix of the folded text: use it. */
	(void)text_norm_fold(text, len, &s->folded);
	s->ntoks = 0;
	s->nchars = 0;
	text_token_each(s->folded.ptr, s->folded.len, nlu_feat_token_cb, s);

	for (size_t i = 0; i < s->ntoks; i++) {
		const struct nlu_feat_tok *t = &s->toks[i];
		const char *word = s->chars + t->off;
		uint64_t h;
		size_t slen;

		if (t->flags & TEXT_TOKEN_NUMBER) {
			char shape[3] = { '#', (char)('0' + (t->len < 9 ? t->len : 9)), 0 };

			h = nlu_feat_hash(NLU_FEAT_NUMBER, shape, 2);
			nlu_feat_add(&o, h, w->w_word);
		} else {
			float k = text_stopword_is(word, t->len) ? w->w_stop : 1.0f;

			nlu_feat_chars(&o, word, t->len, k * w->w_char);
			slen = text_stem(s->st, word, t->len, stem);
			h = nlu_feat_hash(NLU_FEAT_WORD, stem, slen);
			nlu_feat_add(&o, h, k * w->w_word);
		}
		/* "id-kaart" also gives "idkaart" at the position of "id": a
		 * bigram with it would repeat the one with "id". */
		if (t->flags & TEXT_TOKEN_JOINED)
			continue;
		nlu_feat_add(&o, nlu_feat_mix(prev, h ^ NLU_FEAT_BIGRAM), w->w_bigram);
		prev = h;
	}

	for (size_t i = 0; i < o.n; i++)
		norm += (double)o.v[i].val * o.v[i].val;
	if (norm > 0.0) {
		float inv = (float)(1.0 / sqrt(norm));

		for (size_t i = 0; i < o.n; i++)
			o.v[i].val *= inv;
	}
	return o.n;
}
