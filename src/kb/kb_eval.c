/* kb_eval.c - hit@1 / hit@3 / MRR@10 of the retrieval engine on a labelled
 * question set (see kb_eval.h); behind `loket eval retrieval`. */
#include "kb/kb_eval.h"

#include "core/buf.h"
#include "core/mem.h"
#include "kb/kb_import.h"
#include "kb/kb_index.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double kb_eval_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* 1-based rank of the first hit whose id is in `expected`, or 0. */
static size_t kb_eval_rank(const struct kb_index *ix, const struct kb_result *r,
			   json_t *expected)
{
	for (size_t i = 0; i < r->n; i++) {
		const char *id = kb_index_entry(ix, r->hits[i].doc)->id;
		size_t j;
		json_t *v;

		json_array_foreach(expected, j, v) {
			if (json_is_string(v) && !strcmp(json_string_value(v), id))
				return i + 1;
		}
	}
	return 0;
}

static void kb_eval_count(struct kb_eval_result *res, const struct kb_result *r, size_t rank)
{
	res->queries++;
	res->hit1 += rank == 1;
	res->hit3 += rank >= 1 && rank <= 3;
	res->mrr10 += rank ? 1.0 / (double)rank : 0.0;
	if (r->n && r->confidence >= KB_CONF_ANSWER) {
		res->answered++;
		res->answered_right += rank == 1;
	}
}

/* Ranks one question line; blank lines are skipped. */
static int kb_eval_line(const struct kb_index *ix, const char *name, size_t lineno,
			const char *line, size_t len, struct kb_eval_result *res,
			struct lk_err *err)
{
	json_error_t jerr;
	json_t *obj, *query, *expected;
	struct kb_result r;
	double t0;
	int rc = 0;

	while (len && (line[len - 1] == '\r' || line[len - 1] == ' ' || line[len - 1] == '\t'))
		len--;
	if (!len)
		return 0;
	obj = json_loadb(line, len, 0, &jerr);
	if (!obj)
		return lk_err_set(err, LK_EPARSE, "%s:%zu: invalid JSON: %s", name, lineno,
				  jerr.text);
	query = json_object_get(obj, "query");
	expected = json_object_get(obj, "expected");
	if (!json_is_string(query) || !json_is_array(expected)) {
		rc = lk_err_set(err, LK_EPARSE,
				"%s:%zu: need \"query\" (string) and \"expected\" (array of ids)",
				name, lineno);
		goto out;
	}
	t0 = kb_eval_now_ms();
	kb_index_search(ix, json_string_value(query), NULL, 10, &r);
	res->search_ms += kb_eval_now_ms() - t0;
	kb_eval_count(res, &r, kb_eval_rank(ix, &r, expected));
out:
	json_decref(obj);
	return rc;
}

static int kb_eval_queries(const struct kb_index *ix, const char *path, const struct buf *data,
			   struct kb_eval_result *res, struct lk_err *err)
{
	size_t pos = 0, lineno = 0;
	int rc;

	while (pos < data->len) {
		const char *nl = memchr(data->ptr + pos, '\n', data->len - pos);
		size_t end = nl ? (size_t)(nl - data->ptr) : data->len;

		rc = kb_eval_line(ix, path, ++lineno, data->ptr + pos, end - pos, res, err);
		if (rc)
			return rc;
		pos = end + 1;
	}
	if (!res->queries)
		return lk_err_set(err, LK_EPARSE, "%s: no questions", path);
	res->hit1 /= (double)res->queries;
	res->hit3 /= (double)res->queries;
	res->mrr10 /= (double)res->queries;
	return 0;
}

int kb_eval_retrieval(const char *kb_path, const char *queries_path,
		      struct kb_eval_result *res, struct lk_err *err)
{
	struct kb_entries entries;
	struct kb_index *ix = NULL;
	struct buf qdata;
	double t0;
	int rc;

	memset(res, 0, sizeof(*res));
	kb_entries_init(&entries);
	buf_init(&qdata, KB_EVAL_MAX_FILE);
	rc = kb_import_file(kb_path, &entries, err);
	if (rc)
		goto out;
	rc = buf_read_file(&qdata, queries_path, err);
	if (rc)
		goto out;
	t0 = kb_eval_now_ms();
	rc = kb_index_build(&ix, &entries, NULL, err);
	res->build_ms = kb_eval_now_ms() - t0;
	if (rc)
		goto out;
	rc = kb_eval_queries(ix, queries_path, &qdata, res, err);
out:
	kb_index_free(ix);
	kb_entries_release(&entries);
	buf_release(&qdata);
	return rc;
}

void kb_eval_print(const struct kb_eval_result *res, FILE *f)
{
	fprintf(f, "hit@1 %.3f  hit@3 %.3f  mrr@10 %.3f  queries %zu\n", res->hit1, res->hit3,
		res->mrr10, res->queries);
}
