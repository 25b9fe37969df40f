/* kb_eval.h - measuring retrieval quality on a labelled question set, the
 * format of shared/data/eval: a knowledge base (any format kb_import reads,
 * e.g. JSONL {"id","answer",...}) and a JSONL file of questions
 * {"query": "...", "expected": ["id", ...]}.
 *
 * Metrics, averaged over all questions: hit@1 (an expected id ranked first),
 * hit@3 (within the first three), mrr@10 (1 / rank of the first expected id
 * within ten, else 0).
 */
#ifndef LK_KB_EVAL_H
#define LK_KB_EVAL_H

#include "core/err.h"

#include <stddef.h>
#include <stdio.h>

/* Question files larger than this are refused with LK_ETOOBIG. */
#define KB_EVAL_MAX_FILE ((size_t)64 << 20)

struct kb_eval_result {
	size_t queries;
	double hit1, hit3, mrr10;
	/* How the confidence fared: questions answered outright
	 * (confidence >= KB_CONF_ANSWER) and how many of those were right. */
	size_t answered, answered_right;
	double build_ms;  /* index build time */
	double search_ms; /* total search time over all questions */
};

/* Imports kb_path, builds an index and ranks every question of
 * queries_path. Errors name the file and line ("q.jsonl:3: ..."). */
int kb_eval_retrieval(const char *kb_path, const char *queries_path,
		      struct kb_eval_result *res, struct lk_err *err);

/* Prints "hit@1 H1  hit@3 H3  mrr@10 MRR  queries N" (three decimals each) and a newline. */
void kb_eval_print(const struct kb_eval_result *res, FILE *f);

#endif
