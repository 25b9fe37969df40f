/* llm_cite.h - checking a generated answer against the passages it was
 * given, before anyone sees it.
 *
 * An answer passes only when
 *   - it cites at least one passage as [n] (also [1, 2] and [1][2]) and
 *     every number it cites is a passage it was given (1..n);
 *   - each sentence is supported by the passages it cites (or, without a
 *     marker of its own, by the passages the answer cites): at least half of
 *     the weight of its content words (stemmed, stopwords left out) occurs
 *     there, a word weighing more the fewer of the given passages have it,
 *     so the words all passages share cannot carry a sentence to the wrong
 *     passage;
 *   - every number (amounts, dates, phone numbers) in a sentence occurs in
 *     the passages it cites, and every web address in some passage.
 * The model says it cannot answer from the passages with the word
 * NO_ANSWER; that is reported apart, so the bot can say "I don't know" and
 * offer a person instead of falling back to a passage.
 * Pure functions; safe from any thread.
 */
#ifndef LK_LLM_CITE_H
#define LK_LLM_CITE_H

#include <stddef.h>

#define LLM_CITE_MAX_PASSAGES 16
#define LLM_CITE_MIN_SUPPORT 0.5  /* share of a sentence's content words found */
#define LLM_CITE_MIN_WORDS 2      /* shorter sentences are not judged */
#define LLM_NO_ANSWER "NO_ANSWER"

struct llm_cite {
	int ok;                 /* the answer may be shown */
	int no_answer;          /* the model said the passages do not answer */
	unsigned char cited[LLM_CITE_MAX_PASSAGES]; /* 1: passage i+1 is cited */
	unsigned n_cited;       /* distinct passages cited */
	unsigned invalid;       /* citation numbers that point at no passage */
	unsigned sentences;     /* sentences judged */
	unsigned unsupported;   /* of those, not supported by their passages */
	unsigned foreign;       /* numbers and web addresses found in no passage */
	const char *verdict;    /* first failure (llm_cite_verdict words) or "ok" */
	char reason[160];       /* why it failed, for logs */
};

/* Checks `answer` against passages[0..n) (n <= LLM_CITE_MAX_PASSAGES). */
void llm_cite_check(const char *answer, const char *const *passages, size_t n,
		    struct llm_cite *out);

/* Short word for why an answer failed (metrics label): "ok", "no_answer",
 * "empty", "no_citation", "invalid_citation", "unsupported", "foreign_fact". */
const char *llm_cite_verdict(const struct llm_cite *c);

#endif
