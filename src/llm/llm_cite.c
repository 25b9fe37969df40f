/* llm_cite.c - the grounding check of generated answers (see llm_cite.h).
 *
 * Words are compared the way retrieval compares them: folded (text_norm),
 * tokenised (text_token) and stemmed (text_stem), stopwords left out.
 */
#include "llm/llm_cite.h"

#include "core/buf.h"
#include "core/mem.h"
#include "text/text_norm.h"
#include "text/text_stem.h"
#include "text/text_stopwords.h"
#include "text/text_token.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ANSWER_MAX ((size_t)64 << 10)
#define URL_MAX 512

/* --- a small set of strings (open addressing) --- */

struct strset {
	char **slot;
	size_t cap, n;
};

static uint32_t hash_str(const char *s, size_t n)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 16777619u;
	return h;
}

static void set_init(struct strset *s)
{
	s->cap = 64;
	s->n = 0;
	s->slot = xcalloc(s->cap, sizeof(char *));
}

static void set_release(struct strset *s)
{
	for (size_t i = 0; i < s->cap; i++)
		free(s->slot[i]);
	free(s->slot);
	memset(s, 0, sizeof(*s));
}

static int set_has(const struct strset *s, const char *w, size_t n)
{
	for (size_t i = hash_str(w, n) & (s->cap - 1);; i = (i + 1) & (s->cap - 1)) {
		if (!s->slot[i])
			return 0;
		if (strlen(s->slot[i]) == n && !memcmp(s->slot[i], w, n))
			return 1;
	}
}

static void set_add(struct strset *s, const char *w, size_t n);

static void set_grow(struct strset *s)
{
	struct strset bigger;

	bigger.cap = s->cap * 2;
	bigger.n = 0;
	bigger.slot = xcalloc(bigger.cap, sizeof(char *));
	for (size_t i = 0; i < s->cap; i++) {
		if (s->slot[i]) {
			set_add(&bigger, s->slot[i], strlen(s->slot[i]));
			free(s->slot[i]);
		}
	}
	free(s->slot);
	*s = bigger;
}

static void set_add(struct strset *s, const char *w, size_t n)
{
	size_t i;

	if (set_has(s, w, n))
		return;
	if ((s->n + 1) * 2 > s->cap)
		set_grow(s);
	for (i = hash_str(w, n) & (s->cap - 1); s->slot[i]; i = (i + 1) & (s->cap - 1))
		;
	s->slot[i] = xstrndup(w, n);
	s->n++;
}

static void set_merge(struct strset *into, const struct strset *from)
{
	for (size_t k = 0; k < from->cap; k++)
		if (from->slot[k])
			set_add(into, from->slot[k], strlen(from->slot[k]));
}

/* --- words of a text --- */

struct words_ctx {
	struct text_stemmer *stemmer;
	struct strset *words;   /* stems of content words */
	struct strset *numbers; /* number tokens */
	/* judging mode: a sentence's words against the passages it cites */
	const struct strset *against;     /* stems of the cited passages */
	const struct strset *passages;    /* stems of each passage given */
	size_t n_passages;
	size_t content;                   /* content words of the sentence */
	double w_total, w_found;          /* their weights; of those found in `against` */
};

/* How much a word says about which passage a sentence rests on: words that
 * every passage shares (the topic) weigh little, words only one passage has
 * weigh much, and words no passage has weigh most. */
static double word_weight(const struct words_ctx *c, const char *stem, size_t n)
{
	size_t df = 0;

	for (size_t i = 0; i < c->n_passages; i++)
		df += set_has(&c->passages[i], stem, n);
	return log(((double)c->n_passages + 1.0) / ((double)df + 0.5));
}

static void on_token(void *vctx, const struct text_token *tok)
{
	struct words_ctx *c = vctx;
	char stem[TEXT_STEM_MAX];
	size_t n;

	if (tok->flags & TEXT_TOKEN_JOINED)
		return;
	if (tok->flags & TEXT_TOKEN_NUMBER) {
		if (c->numbers)
			set_add(c->numbers, tok->s, tok->len);
		return;
	}
	if (tok->len < 2 || text_stopword_is(tok->s, tok->len))
		return;
	n = text_stem(c->stemmer, tok->s, tok->len, stem);
	if (!n)
		return;
	if (c->words)
		set_add(c->words, stem, n);
	if (c->against) {
		double w = word_weight(c, stem, n);

		c->content++;
		c->w_total += w;
		if (set_has(c->against, stem, n))
			c->w_found += w;
	}
}

static void tokens_of(struct words_ctx *c, const char *s, size_t len)
{
	struct buf folded;

	buf_init(&folded, ANSWER_MAX * 2);
	text_norm_fold(s, len, &folded);
	text_token_each(folded.ptr, folded.len, on_token, c);
	buf_release(&folded);
}

/* --- citation markers --- */

/* If s starts a marker "[1]", "[1, 2]", "[1,2,3]", returns its length and
 * fills nums (at most 8); else 0. */
static size_t parse_marker(const char *s, int *nums, size_t *n_nums)
{
	const char *p = s + 1;

	*n_nums = 0;
	if (*s != '[')
		return 0;
	for (;;) {
		long v = 0;
		int digits = 0;

		while (*p == ' ')
			p++;
		while (isdigit((unsigned char)*p) && digits < 4) {
			v = v * 10 + (*p++ - '0');
			digits++;
		}
		if (!digits || isdigit((unsigned char)*p))
			return 0;
		if (*n_nums < 8)
			nums[(*n_nums)++] = (int)v;
		while (*p == ' ')
			p++;
		if (*p == ']')
			return (size_t)(p + 1 - s);
		if (*p != ',')
			return 0;
		p++;
	}
}

/* --- sentences --- */

struct sentence {
	size_t start, end;              /* bytes of the answer, markers removed later */
	unsigned char cites[LLM_CITE_MAX_PASSAGES];
	int has_cite;
};

static int ends_sentence(const char *s, size_t i)
{
	char ch = s[i];

	if (ch == '\n')
		return 1;
	if (ch != '.' && ch != '!' && ch != '?')
		return 0;
	return s[i + 1] == '\0' || s[i + 1] == ' ' || s[i + 1] == '\n' || s[i + 1] == '[';
}

/* Text of a sentence without its markers. */
static void sentence_text(const char *answer, const struct sentence *st, struct buf *out)
{
	int nums[8];
	size_t n_nums;

	for (size_t i = st->start; i < st->end;) {
		size_t m = parse_marker(answer + i, nums, &n_nums);

		if (m) {
			buf_addc(out, ' ');
			i += m;
		} else {
			buf_addc(out, answer[i++]);
		}
	}
}

/* --- the check --- */

static void fail(struct llm_cite *out, const char *verdict, const char *why)
{
	if (out->ok) {
		out->ok = 0;
		out->verdict = verdict;
		snprintf(out->reason, sizeof(out->reason), "%s", why);
	}
}

/* Web addresses of the answer must appear in some passage. */
static void check_urls(const char *answer, const char *const *passages, size_t n,
		       struct llm_cite *out)
{
	for (const char *p = answer; *p; p++) {
		char url[URL_MAX];
		size_t len = 0;
		int found = 0;

		if (strncmp(p, "http://", 7) && strncmp(p, "https://", 8) && strncmp(p, "www.", 4))
			continue;
		if (p > answer && (isalnum((unsigned char)p[-1]) || p[-1] == '/' || p[-1] == '.'))
			continue;
		while (p[len] && !isspace((unsigned char)p[len]) && p[len] != ')' && p[len] != ']' &&
		       p[len] != '"' && len < URL_MAX - 1)
			len++;
		while (len && (p[len - 1] == '.' || p[len - 1] == ',' || p[len - 1] == ';' ||
			       p[len - 1] == ':' || p[len - 1] == '!' || p[len - 1] == '?'))
			len--;
		memcpy(url, p, len);
		url[len] = '\0';
		for (size_t i = 0; i < n && !found; i++)
			found = passages[i] && strstr(passages[i], url) != NULL;
		if (!found) {
			out->foreign++;
			fail(out, "foreign_fact", "the answer names a web address that no passage gives");
		}
		p += len ? len - 1 : 0;
	}
}

/* Splits the answer into sentences and collects the citations of each; a
 * marker right after a sentence's end belongs to that sentence. */
static size_t split_sentences(const char *answer, size_t n_passages, struct sentence *sv,
			      size_t max, struct llm_cite *out)
{
	size_t n = 0, len = strlen(answer), i = 0;

	memset(sv, 0, sizeof(*sv) * max);
	while (i < len && n < max) {
		struct sentence *st = &sv[n];
		int nums[8];
		size_t n_nums, m;

		st->start = i;
		while (i < len) {
			m = parse_marker(answer + i, nums, &n_nums);
			if (m) {
				for (size_t k = 0; k < n_nums; k++) {
					if (nums[k] < 1 || (size_t)nums[k] > n_passages) {
						out->invalid++;
						continue;
					}
					st->cites[nums[k] - 1] = 1;
					st->has_cite = 1;
					if (!out->cited[nums[k] - 1])
						out->n_cited++;
					out->cited[nums[k] - 1] = 1;
				}
				i += m;
				continue;
			}
			if (ends_sentence(answer, i)) {
				i++;
				/* markers after the full stop: " [1]" */
				for (;;) {
					size_t j = i;

					while (answer[j] == ' ')
						j++;
					if (!parse_marker(answer + j, nums, &n_nums))
						break;
					i = j;
					m = parse_marker(answer + i, nums, &n_nums);
					for (size_t k = 0; k < n_nums; k++) {
						if (nums[k] < 1 || (size_t)nums[k] > n_passages) {
							out->invalid++;
							continue;
						}
						st->cites[nums[k] - 1] = 1;
						st->has_cite = 1;
						if (!out->cited[nums[k] - 1])
							out->n_cited++;
						out->cited[nums[k] - 1] = 1;
					}
					i += m;
				}
				break;
			}
			i++;
		}
		st->end = i;
		n++;
	}
	return n;
}

void llm_cite_check(const char *answer, const char *const *passages, size_t n,
		    struct llm_cite *out)
{
	enum { MAX_SENTENCES = 64 };
	struct strset words[LLM_CITE_MAX_PASSAGES], numbers[LLM_CITE_MAX_PASSAGES];
	struct sentence sv[MAX_SENTENCES];
	struct words_ctx wc;
	size_t ns, i, alen;
	struct buf text;

	memset(out, 0, sizeof(*out));
	out->ok = 1;
	out->verdict = "ok";
	if (n > LLM_CITE_MAX_PASSAGES)
		n = LLM_CITE_MAX_PASSAGES;
	alen = answer ? strlen(answer) : 0;
	while (alen && isspace((unsigned char)answer[alen - 1]))
		alen--;
	if (!alen) {
		fail(out, "empty", "empty answer");
		return;
	}
	if (alen > ANSWER_MAX) {
		fail(out, "empty", "answer too long");
		return;
	}
	if (strstr(answer, LLM_NO_ANSWER)) {
		out->no_answer = 1;
		fail(out, "no_answer", "the model found no answer in the passages");
		return;
	}
	ns = split_sentences(answer, n, sv, MAX_SENTENCES, out);
	/* text past the last sentence we can hold would go unchecked */
	if (ns == MAX_SENTENCES && sv[ns - 1].end < alen)
		fail(out, "unsupported", "the answer has more sentences than can be checked");
	if (out->invalid)
		fail(out, "invalid_citation", "a citation points at no given passage");
	if (!out->n_cited)
		fail(out, "no_citation", "the answer cites no passage");
	check_urls(answer, passages, n, out);

	memset(&wc, 0, sizeof(wc));
	wc.stemmer = text_stemmer_new();
	for (i = 0; i < n; i++) {
		set_init(&words[i]);
		set_init(&numbers[i]);
		wc.words = &words[i];
		wc.numbers = &numbers[i];
		if (passages[i])
			tokens_of(&wc, passages[i], strlen(passages[i]));
	}
	buf_init(&text, ANSWER_MAX);
	for (size_t s = 0; s < ns && wc.stemmer; s++) {
		struct strset cited, cited_numbers, sentence_numbers;
		const unsigned char *use = sv[s].has_cite ? sv[s].cites : out->cited;

		set_init(&cited);
		set_init(&cited_numbers);
		set_init(&sentence_numbers);
		for (i = 0; i < n; i++) {
			if (!use[i])
				continue;
			set_merge(&cited, &words[i]);
			set_merge(&cited_numbers, &numbers[i]);
		}
		buf_reset(&text);
		sentence_text(answer, &sv[s], &text);
		wc.words = NULL;
		wc.numbers = &sentence_numbers;
		wc.against = &cited;
		wc.passages = words;
		wc.n_passages = n;
		wc.content = 0;
		wc.w_total = wc.w_found = 0;
		tokens_of(&wc, text.ptr, text.len);
		/* a number must come from the passages the sentence cites */
		for (size_t k = 0; k < sentence_numbers.cap; k++) {
			const char *num = sentence_numbers.slot[k];

			if (num && !set_has(&cited_numbers, num, strlen(num))) {
				out->foreign++;
				fail(out, "foreign_fact", "the answer gives a number its passages do not give");
			}
		}
		if (wc.content >= LLM_CITE_MIN_WORDS) {
			out->sentences++;
			if (wc.w_found < LLM_CITE_MIN_SUPPORT * wc.w_total) {
				out->unsupported++;
				fail(out, "unsupported", "a sentence says what its passages do not say");
			}
		}
		set_release(&cited);
		set_release(&cited_numbers);
		set_release(&sentence_numbers);
	}
	if (!wc.stemmer)
		fail(out, "empty", "no stemmer available");
	buf_release(&text);
	for (i = 0; i < n; i++) {
		set_release(&words[i]);
		set_release(&numbers[i]);
	}
	text_stemmer_free(wc.stemmer);
}

const char *llm_cite_verdict(const struct llm_cite *c)
{
	return c->verdict ? c->verdict : "ok";
}
