/* bench_cite.c - the citation check (llm_cite) on the dev set with a fake
 * model that echoes the top passage.
 *
 * For every dev question: retrieve the top passages, build the real prompt
 * (llm_prompt_rag, as conv_answer.c does), let a fake model answer from the
 * prompt text exactly as tests/fake/fake_llm.py's grounded_answer() does
 * (the first two sentences of <bron nummer="1">, then " [1]"), and check
 * that answer (must pass) and invented variants of it (must fail): citations
 * out of range, one valid and one invented citation, no citation, the right
 * text cited as the wrong passage, and an invented fact.
 *
 * Usage: bench_cite KB.jsonl QUERIES.jsonl
 * Prints the rates and the time per check; "FAIL" lines name each valid
 * answer rejected and each invented one accepted, with the check's reason.
 * A measurement, not a test: exits 0 whenever it could run.
 */
#include "core/buf.h"
#include "core/mem.h"
#include "kb/kb_import.h"
#include "kb/kb_index.h"
#include "llm/llm_cite.h"
#include "llm/llm_prompt.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BENCH_PASSAGES 4          /* passages given to the model */
#define BENCH_PASSAGE_TEXT 2400   /* as conv_answer.c's PASSAGE_TEXT_MAX */
#define BENCH_ANSWER_MAX 65536    /* bytes of one fake answer */
#define BENCH_LINE_MAX 65536      /* bytes of one question line */
#define BENCH_SYSTEM "Je bent Loket. Beantwoord de vraag alleen met de bronnen en noem ze als [n]."
#define BENCH_INVENTED_FACT " De kosten zijn 12345 euro. [1]"

/* --- what is counted --- */

enum bench_kind {
	K_VALID,
	K_RANGE5,
	K_RANGE9,
	K_RANGE0,
	K_MIXED,
	K_NONE,
	K_WRONG,
	K_FACT,
	K_COUNT
};

static const char *const bench_kind_name[K_COUNT] = {
	"valid (echo of [1])",
	"out of range [5]",
	"out of range [9]",
	"out of range [0]",
	"mixed [1] [7]",
	"no citation",
	"wrong passage [2]",
	"invented fact",
};

struct bench_stats {
	size_t tried[K_COUNT];
	size_t right[K_COUNT];    /* valid: accepted; invented: rejected */
	size_t checks;
	double check_us;          /* summed time of all checks */
	double max_us;
	size_t fails;
};

static double bench_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

/* Prints a prefix of s on one line (newlines shown as spaces). */
static void bench_print_short(const char *s, size_t max)
{
	size_t n = strlen(s);

	for (size_t i = 0; i < n && i < max; i++)
		putchar(s[i] == '\n' || s[i] == '\t' ? ' ' : s[i]);
	if (n > max)
		fputs("...", stdout);
}

/* Runs one check, counts it and prints a FAIL line when it went the wrong way. */
static void bench_check(struct bench_stats *st, enum bench_kind kind, const char *query,
			const char *answer, const char *const *texts, size_t n)
{
	struct llm_cite c;
	double t0 = bench_now_us(), us;
	int right;

	llm_cite_check(answer, texts, n, &c);
	us = bench_now_us() - t0;
	st->checks++;
	st->check_us += us;
	if (us > st->max_us)
		st->max_us = us;
	st->tried[kind]++;
	right = kind == K_VALID ? c.ok : !c.ok;
	if (right) {
		st->right[kind]++;
		return;
	}
	st->fails++;
	printf("FAIL %s %s: q=\"", bench_kind_name[kind],
	       kind == K_VALID ? "rejected" : "accepted");
	bench_print_short(query, 120);
	printf("\" verdict=%s (%s; sentences %u, unsupported %u, foreign %u, invalid %u)\n",
	       llm_cite_verdict(&c), kind == K_VALID ? c.reason : "accepted", c.sentences,
	       c.unsupported, c.foreign, c.invalid);
	printf("     answer=\"");
	bench_print_short(answer, 300);
	puts("\"");
}

/* --- the fake model: tests/fake/fake_llm.py grounded_answer() in C --- */

/* Length of the character at s if Python's str.isspace() holds for it (what
 * the regex \s and str.split() use), else 0. s is NUL-terminated. */
static size_t py_space(const char *s)
{
	const unsigned char *u = (const unsigned char *)s;

	if ((u[0] >= 0x09 && u[0] <= 0x0D) || (u[0] >= 0x1C && u[0] <= 0x20))
		return 1;
	if (u[0] == 0xC2 && (u[1] == 0x85 || u[1] == 0xA0))
		return 2;
	if (u[0] == 0xE1 && u[1] == 0x9A && u[2] == 0x80) /* U+1680 */
		return 3;
	if (u[0] == 0xE2 && u[1] == 0x80 &&
	    ((u[2] >= 0x80 && u[2] <= 0x8A) || u[2] == 0xA8 || u[2] == 0xA9 || u[2] == 0xAF))
		return 3; /* U+2000..200A, U+2028, U+2029, U+202F */
	if (u[0] == 0xE2 && u[1] == 0x81 && u[2] == 0x9F) /* U+205F */
		return 3;
	if (u[0] == 0xE3 && u[1] == 0x80 && u[2] == 0x80) /* U+3000 */
		return 3;
	return 0;
}

static const char *py_skip_space(const char *p)
{
	size_t k;

	while ((k = py_space(p)))
		p += k;
	return p;
}

/* One match of BRON_RE = <bron\s+nummer="(\d+)"[^>]*>\s*(.*?)\s*</bron>
 * (re.S) starting exactly at p: fills the number and the text's bounds and
 * returns the end of the match, or NULL. */
static const char *bron_match_at(const char *p, const char **num, size_t *num_len,
				 const char **text, size_t *text_len)
{
	const char *q, *end, *t;

	if (strncmp(p, "<bron", 5))
		return NULL;
	q = p + 5;
	if (!py_space(q))
		return NULL;
	q = py_skip_space(q);
	if (strncmp(q, "nummer=\"", 8))
		return NULL;
	q += 8;
	*num = q;
	while (*q >= '0' && *q <= '9')
		q++;
	if (q == *num || *q != '"')
		return NULL;
	*num_len = (size_t)(q - *num);
	q = strchr(q + 1, '>');
	if (!q)
		return NULL;
	t = py_skip_space(q + 1);
	end = strstr(t, "</bron>");
	if (!end)
		return NULL;
	/* (.*?)\s* before the first </bron>: the text ends where the run of
	 * whitespace just before it begins */
	*text = t;
	*text_len = 0;
	for (const char *r = t; r < end;) {
		size_t k = py_space(r);

		if (k) {
			r += k;
			continue;
		}
		r++;
		while (r < end && ((unsigned char)*r & 0xC0) == 0x80)
			r++;
		*text_len = (size_t)(r - t);
	}
	return end + 7;
}

/* The fake model's answer to a prompt's final user message (caller frees
 * with free()): findall(BRON_RE), the source numbered "1" (else the first),
 * whitespace collapsed, the first two sentences, then " [1]"; "NO_ANSWER"
 * when there is no source or nothing in it. */
static char *fake_grounded_answer(const char *user_text)
{
	const char *p = user_text, *passage = NULL, *first = NULL;
	size_t passage_len = 0, first_len = 0, sentences = 0;
	struct buf out;

	while ((p = strstr(p, "<bron"))) {
		const char *num, *text, *end;
		size_t num_len, text_len;

		end = bron_match_at(p, &num, &num_len, &text, &text_len);
		if (!end) {
			p++;
			continue;
		}
		if (!first) {
			first = text;
			first_len = text_len;
		}
		if (num_len == 1 && *num == '1') {
			passage = text;
			passage_len = text_len;
			break;
		}
		p = end;
	}
	if (!passage) {
		passage = first;
		passage_len = first_len;
	}
	buf_init(&out, BENCH_ANSWER_MAX);
	/* " ".join(passage.split()), cut after the second sentence: a split
	 * point of (?<=[.!?])\s+ is a space right after . ! or ? */
	for (size_t i = 0; passage && i < passage_len && sentences < 2;) {
		size_t k = py_space(passage + i);

		if (!k) {
			buf_addc(&out, passage[i++]);
			continue;
		}
		while (i < passage_len && (k = py_space(passage + i)))
			i += k;
		if (i >= passage_len || !out.len)
			continue;
		if (strchr(".!?", out.ptr[out.len - 1]) && ++sentences == 2)
			break;
		buf_addc(&out, ' ');
	}
	if (!out.len || buf_adds(&out, " [1]")) {
		buf_release(&out);
		return xstrdup(LLM_NO_ANSWER);
	}
	return buf_detach(&out, NULL);
}

/* The content of the last user message of a messages array (borrowed). */
static const char *last_user_text(const json_t *msgs)
{
	for (size_t i = json_array_size(msgs); i > 0; i--) {
		const json_t *m = json_array_get(msgs, i - 1);
		const char *role = json_string_value(json_object_get(m, "role"));

		if (role && !strcmp(role, "user"))
			return json_string_value(json_object_get(m, "content")) ?: "";
	}
	return "";
}

/* --- one question --- */

static const char *entry_title(const struct kb_entry *e)
{
	return e->question && *e->question ? e->question : e->title ? e->title : "";
}

/* As conv_answer.c's passage_text(): title, newline, the text as the model
 * got it. Caller frees with free(). */
static char *passage_text(const struct kb_entry *e)
{
	size_t n = strlen(e->answer);
	struct buf b;

	buf_init(&b, BENCH_PASSAGE_TEXT + 1024);
	buf_addf(&b, "%s\n", entry_title(e));
	buf_add(&b, e->answer, n > BENCH_PASSAGE_TEXT ? BENCH_PASSAGE_TEXT : n);
	return buf_detach(&b, NULL);
}

/* answer with `tail` appended; caller frees with free(). */
static char *with_tail(const char *answer, const char *tail)
{
	size_t a = strlen(answer), t = strlen(tail);
	char *s = xmalloc(a + t + 1);

	memcpy(s, answer, a);
	memcpy(s + a, tail, t + 1);
	return s;
}

/* The echo without its final " [1]" (caller frees with free()), or NULL
 * when the fake model gave no cited answer. */
static char *echo_body(const char *answer)
{
	size_t n = strlen(answer);

	if (n < 4 || strcmp(answer + n - 4, " [1]"))
		return NULL;
	return xstrndup(answer, n - 4);
}

static void bench_query(struct bench_stats *st, const struct kb_index *ix, const char *query)
{
	struct llm_passage passages[BENCH_PASSAGES];
	char *texts[BENCH_PASSAGES];
	const char *ctexts[BENCH_PASSAGES];
	struct kb_result res;
	size_t n = 0;
	json_t *msgs;
	char *answer, *body, *s;

	/* as conv_answer.c: the top hits, entries that address a model left out */
	kb_index_search(ix, query, NULL, KB_MAX_HITS, &res);
	for (size_t i = 0; i < res.n && n < BENCH_PASSAGES; i++) {
		const struct kb_entry *e = kb_index_entry(ix, res.hits[i].doc);

		if (!e || llm_prompt_injection(e->answer) || llm_prompt_injection(entry_title(e)))
			continue;
		passages[n] = (struct llm_passage){entry_title(e), e->answer};
		texts[n] = passage_text(e);
		ctexts[n] = texts[n];
		n++;
	}
	msgs = llm_prompt_rag(BENCH_SYSTEM, NULL, 0, passages, n, query);
	answer = fake_grounded_answer(last_user_text(msgs));
	json_decref(msgs);

	bench_check(st, K_VALID, query, answer, ctexts, n);
	body = echo_body(answer);
	if (body) {
		static const struct {
			enum bench_kind kind;
			const char *tail;
		} tails[] = {
			{K_RANGE5, " [5]"}, {K_RANGE9, " [9]"}, {K_RANGE0, " [0]"},
			{K_MIXED, " [1] [7]"}, {K_NONE, ""},
		};

		for (size_t i = 0; i < sizeof(tails) / sizeof(tails[0]); i++) {
			s = with_tail(body, tails[i].tail);
			bench_check(st, tails[i].kind, query, s, ctexts, n);
			free(s);
		}
		if (n >= 2 && strcmp(texts[0], texts[1])) {
			s = with_tail(body, " [2]");
			bench_check(st, K_WRONG, query, s, ctexts, n);
			free(s);
		}
		s = with_tail(answer, BENCH_INVENTED_FACT);
		bench_check(st, K_FACT, query, s, ctexts, n);
		free(s);
		free(body);
	} else {
		printf("NOTE no echo for q=\"");
		bench_print_short(query, 120);
		printf("\" (fake model said \"%s\"); invented variants skipped\n", answer);
	}
	free(answer);
	for (size_t i = 0; i < n; i++)
		free(texts[i]);
}

/* --- main --- */

static size_t bench_load_queries(const char *path, char ***out)
{
	FILE *f = fopen(path, "r");
	char *line = xmalloc(BENCH_LINE_MAX);
	size_t n = 0;

	*out = NULL;
	while (f && fgets(line, BENCH_LINE_MAX, f)) {
		json_t *o = json_loads(line, 0, NULL);
		const char *q = o ? json_string_value(json_object_get(o, "query")) : NULL;

		if (q) {
			*out = xreallocarray(*out, n + 1, sizeof(**out));
			(*out)[n++] = xstrdup(q);
		}
		json_decref(o);
	}
	if (f)
		fclose(f);
	free(line);
	return n;
}

static void bench_print_rate(const char *label, size_t right, size_t tried)
{
	printf("  %-24s %4zu/%-4zu (%5.1f%%)\n", label, right, tried,
	       tried ? 100.0 * (double)right / (double)tried : 0.0);
}

int main(int argc, char **argv)
{
	struct bench_stats st;
	struct kb_entries entries;
	struct kb_index *ix = NULL;
	struct lk_err err = {0};
	char **queries = NULL;
	size_t nq;

	if (argc < 3) {
		fprintf(stderr, "usage: bench_cite KB.jsonl QUERIES.jsonl\n");
		return 2;
	}
	memset(&st, 0, sizeof(st));
	kb_entries_init(&entries);
	if (kb_import_file(argv[1], &entries, &err) || kb_index_build(&ix, &entries, NULL, &err)) {
		fprintf(stderr, "bench_cite: %s\n", err.msg);
		kb_entries_release(&entries);
		return 1;
	}
	nq = bench_load_queries(argv[2], &queries);
	if (!nq) {
		fprintf(stderr, "bench_cite: %s: no questions\n", argv[2]);
		kb_index_free(ix);
		return 1;
	}
	for (size_t i = 0; i < nq; i++)
		bench_query(&st, ix, queries[i]);

	printf("queries: %zu (passages %zu, top %d given to the fake model)\n", nq,
	       kb_index_count(ix), BENCH_PASSAGES);
	printf("valid answers accepted:\n");
	bench_print_rate(bench_kind_name[K_VALID], st.right[K_VALID], st.tried[K_VALID]);
	printf("invented citations rejected:\n");
	for (int k = K_RANGE5; k < K_COUNT; k++)
		bench_print_rate(bench_kind_name[k], st.right[k], st.tried[k]);
	printf("check time (informal): %zu checks, mean %.1f µs, max %.1f µs\n", st.checks,
	       st.checks ? st.check_us / (double)st.checks : 0.0, st.max_us);
	printf("FAIL lines: %zu\n", st.fails);

	for (size_t i = 0; i < nq; i++)
		free(queries[i]);
	free(queries);
	kb_index_free(ix);
	kb_entries_release(&entries);
	return 0;
}
