/* bench_retrieval.c - retrieval engine benchmark: index build time and
 * single-thread query latency (p50/p99) on the dev knowledge base and on a
 * generated 100,000-passage knowledge base of Dutch-like text drawn from
 * the dev set's own words (fixed seed, so runs compare).
 *
 * Usage: bench_retrieval KB.jsonl QUERIES.jsonl [PASSAGES]   (default 100000)
 * PASSAGES 0 skips the generated knowledge base. First prints the quality
 * line of `loket eval retrieval` for KB and QUERIES.
 */
#include "core/mem.h"
#include "kb/kb_eval.h"
#include "kb/kb_import.h"
#include "kb/kb_index.h"

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BENCH_GEN_QUERIES 5000

static double bench_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* xorshift64*: small, fast and the same everywhere. */
static uint64_t bench_rng = 0x9e3779b97f4a7c15ull;

static uint64_t bench_rand(void)
{
	bench_rng ^= bench_rng >> 12;
	bench_rng ^= bench_rng << 25;
	bench_rng ^= bench_rng >> 27;
	return bench_rng * 2685821657736338717ull;
}

static size_t bench_pick(size_t n)
{
	return n ? (size_t)(bench_rand() % n) : 0;
}

/* The dev set's words in running order (with repeats, so drawing from it
 * follows their frequencies) and its passage lengths in words. */
struct bench_words {
	char **w;
	size_t n, alloc;
	size_t *plen;
	size_t np;
};

static void bench_words_add(struct bench_words *bw, const char *s, size_t len)
{
	if (bw->n == bw->alloc) {
		bw->alloc = bw->alloc ? bw->alloc * 2 : 4096;
		bw->w = xreallocarray(bw->w, bw->alloc, sizeof(*bw->w));
	}
	bw->w[bw->n++] = xstrndup(s, len);
}

static void bench_words_from(struct bench_words *bw, const struct kb_entries *e)
{
	bw->plen = xcalloc(e->n + 1, sizeof(*bw->plen));
	for (size_t i = 0; i < e->n; i++) {
		const char *s = e->v[i].answer;
		size_t before = bw->n;

		while (*s) {
			size_t n = strcspn(s, " \n\t");

			if (n)
				bench_words_add(bw, s, n);
			s += n;
			s += strspn(s, " \n\t");
		}
		bw->plen[bw->np++] = bw->n - before;
	}
}

static void bench_words_release(struct bench_words *bw)
{
	for (size_t i = 0; i < bw->n; i++)
		free(bw->w[i]);
	free(bw->w);
	free(bw->plen);
}

/* A passage: runs of consecutive dev words from random places (so local
 * word order looks Dutch), as long as a random dev passage, in paragraphs. */
static char *bench_passage(const struct bench_words *bw)
{
	size_t words = bw->plen[bench_pick(bw->np)], done = 0;
	struct buf b;

	buf_init(&b, 0);
	while (done < words) {
		size_t at = bench_pick(bw->n), run = 3 + bench_pick(10);

		for (size_t k = 0; k < run && done < words && at + k < bw->n; k++, done++) {
			(void)buf_adds(&b, bw->w[at + k]);
			(void)buf_adds(&b, done % 60 == 59 ? "\n\n" : " ");
		}
	}
	return buf_detach(&b, NULL);
}

static void bench_generate(const struct bench_words *bw, size_t n, struct kb_entries *out)
{
	for (size_t i = 0; i < n; i++) {
		struct kb_entry e;
		char id[32];

		kb_entry_init(&e);
		snprintf(id, sizeof(id), "gen-%zu", i);
		e.id = xstrdup(id);
		e.answer = bench_passage(bw);
		kb_entries_push(out, &e);
	}
}

/* A query: 3 to 8 consecutive words of a generated passage, lightly mixed. */
static char *bench_query(const struct kb_index *ix)
{
	const char *ans = kb_index_entry(ix, bench_pick(kb_index_count(ix)))->answer;
	size_t len = strlen(ans), start = bench_pick(len / 2), words = 3 + bench_pick(6);
	struct buf b;

	buf_init(&b, 0);
	while (start > 0 && ans[start - 1] != ' ')
		start--;
	for (size_t i = start; i < len && words; i++) {
		(void)buf_addc(&b, ans[i] == '\n' ? ' ' : ans[i]);
		if (ans[i] == ' ')
			words--;
	}
	(void)buf_addc(&b, '?');
	return buf_detach(&b, NULL);
}

static int bench_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void bench_latency(const char *label, const struct kb_index *ix, char **queries,
			  size_t nq, double build_ms)
{
	double *lat = xcalloc(nq + 1, sizeof(*lat)), total = 0.0;
	struct kb_result r;

	/* One warm-up pass so page faults of a fresh index do not count. */
	for (size_t i = 0; i < nq && i < 200; i++)
		kb_index_search(ix, queries[i], NULL, 10, &r);
	for (size_t i = 0; i < nq; i++) {
		double t0 = bench_now_ms();

		kb_index_search(ix, queries[i], NULL, 10, &r);
		lat[i] = bench_now_ms() - t0;
		total += lat[i];
	}
	qsort(lat, nq, sizeof(*lat), bench_cmp_double);
	printf("%-28s passages %7zu  build %8.1f ms  queries %5zu  p50 %.3f ms  p99 %.3f ms  "
	       "mean %.3f ms\n",
	       label, kb_index_count(ix), build_ms, nq, lat[nq / 2], lat[(nq * 99) / 100],
	       total / (double)nq);
	free(lat);
}

static size_t bench_load_queries(const char *path, char ***out)
{
	FILE *f = fopen(path, "r");
	char line[65536];
	size_t n = 0;

	*out = NULL;
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		json_t *o = json_loads(line, 0, NULL);
		const char *q = o ? json_string_value(json_object_get(o, "query")) : NULL;

		if (q) {
			*out = xreallocarray(*out, n + 1, sizeof(**out));
			(*out)[n++] = xstrdup(q);
		}
		json_decref(o);
	}
	fclose(f);
	return n;
}

static void bench_free_strings(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static int bench_build(struct kb_entries *e, struct kb_index **ix, double *ms)
{
	struct lk_err err = { 0 };
	double t0 = bench_now_ms();
	int rc = kb_index_build(ix, e, NULL, &err);

	*ms = bench_now_ms() - t0;
	if (rc)
		fprintf(stderr, "bench_retrieval: %s\n", err.msg);
	return rc;
}

int main(int argc, char **argv)
{
	struct kb_entries dev, gen;
	struct bench_words bw = { 0 };
	struct kb_index *ix = NULL;
	struct lk_err err = { 0 };
	char **queries = NULL;
	size_t nq, npass = argc > 3 ? strtoul(argv[3], NULL, 10) : 100000;
	double ms;

	if (argc < 3) {
		fprintf(stderr, "usage: bench_retrieval KB.jsonl QUERIES.jsonl [PASSAGES]\n");
		return 2;
	}
	kb_entries_init(&dev);
	kb_entries_init(&gen);
	if (kb_import_file(argv[1], &dev, &err)) {
		fprintf(stderr, "bench_retrieval: %s\n", err.msg);
		return 1;
	}
	{
		struct kb_eval_result res;

		if (kb_eval_retrieval(argv[1], argv[2], &res, &err)) {
			fprintf(stderr, "bench_retrieval: %s\n", err.msg);
			return 1;
		}
		printf("loket: ");
		kb_eval_print(&res, stdout);
	}
	bench_words_from(&bw, &dev);
	bench_generate(&bw, npass, &gen);
	nq = bench_load_queries(argv[2], &queries);
	if (bench_build(&dev, &ix, &ms))
		return 1;
	/* The dev questions, repeated to have enough samples for a p99. */
	{
		size_t rep = nq ? (2000 + nq - 1) / nq : 0;
		char **many = xcalloc(rep * nq + 1, sizeof(*many));

		for (size_t i = 0; i < rep * nq; i++)
			many[i] = queries[i % nq];
		bench_latency("dev set", ix, many, rep * nq, ms);
		free(many);
	}
	kb_index_free(ix);
	bench_free_strings(queries, nq);
	if (!npass)
		goto out;
	if (bench_build(&gen, &ix, &ms))
		return 1;
	queries = xcalloc(BENCH_GEN_QUERIES, sizeof(*queries));
	for (size_t i = 0; i < BENCH_GEN_QUERIES; i++)
		queries[i] = bench_query(ix);
	bench_latency("generated", ix, queries, BENCH_GEN_QUERIES, ms);
	bench_free_strings(queries, BENCH_GEN_QUERIES);
	kb_index_free(ix);
out:
	kb_entries_release(&dev);
	kb_entries_release(&gen);
	bench_words_release(&bw);
	return 0;
}
