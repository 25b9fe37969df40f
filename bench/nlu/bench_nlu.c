/* bench_nlu.c - intent classifier benchmark (src/nlu): trains on the train
 * split of bench/nlu/utterances.jsonl plus the knowledge base's questions
 * (class "faq"), then prints accuracy, macro-F1, per-intent recall, the
 * confusion of flows and faq, calibration, and single-thread latency
 * (p50/p99 over ITERS classifications).
 *
 * The split is fixed: utterances in file order, then the knowledge base's
 * questions (files in name order, entries in file order); within each intent
 * every 5th item (the 5th, 10th, ...) is test, never trained on.
 *
 * Usage:
 *   bench_nlu UTTERANCES.jsonl KB_DIR [options]
 *     --iters N          classifications for the latency figures (default 100000)
 *     --algo NAME        logreg (default) or perceptron
 *     --dump-split FILE  write the split as JSONL {"split","intent","lang","text"}
 *     --tune             5-fold cross-validation on the TRAIN split over a small
 *                        grid of settings (how the defaults were chosen); no test
 *   bench_nlu --score PREDICTIONS.jsonl
 *     the same quality report for another classifier's predictions on the test
 *     split, one {"intent","predicted","confidence"} per line (nlpjs.mjs).
 * Every report ends with one "SUMMARY key=value ..." line for run.sh.
 */
#include "core/mem.h"
#include "kb/kb_import.h"
#include "nlu/nlu.h"

#include <dirent.h>
#include <jansson.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BENCH_FAQ "faq"
#define BENCH_MAX_LINE 8192
#define BENCH_BINS 10

struct bench_item {
	char *intent;
	char *lang;
	char *text;
	int test;
};

struct bench_set {
	struct bench_item *v;
	size_t n, alloc;
	char *intents[NLU_MAX_CLASSES]; /* in order of first appearance */
	size_t nintents;
};

/* Unrelated messages: the flow confidence they get is what a threshold must
 * stay above. */
struct bench_ood_msg {
	const char *lang;
	const char *text;
};

static const struct bench_ood_msg bench_ood_msgs[] = {
	{ "nl", "Wat is de hoofdstad van Frankrijk?" },
	{ "nl", "Ik hou van pannenkoeken met stroop" },
	{ "nl", "Hoe laat begint de voetbalwedstrijd vanavond?" },
	{ "nl", "Vertel eens een mop" },
	{ "nl", "asdfghjkl qwerty" },
	{ "en", "What is the weather like tomorrow?" },
	{ "en", "Who won the world cup in 2010?" },
	{ "nl", "Mijn kat heeft vlooien, welke druppels zijn goed?" },
	{ "nl", "Recept voor appeltaart" },
	{ "nl", "hallo" },
	{ "nl", "De zon schijnt en de vogels fluiten" },
	{ "nl", "De trein heeft vertraging" },
	{ "nl", "Mijn buurman is aardig" },
	{ "nl", "Ik ga op vakantie naar Spanje" },
	{ "nl", "Kun je me helpen?" },
	{ "nl", "Waar is de dichtstbijzijnde supermarkt?" },
	{ "en", "I like trains" },
	{ "nl", "Het regent al de hele dag" },
	{ "nl", "Wat vind jij van de nieuwe film?" },
	{ "nl", "Ik heb honger" },
	{ "nl", "Mijn telefoon is leeg" },
	{ "nl", "Hoeveel is 12 keer 13?" },
	{ "en", "Can you write me a poem?" },
	{ "nl", "Ben jij een robot?" },
	{ "nl", "Mijn dochter heeft morgen een verjaardagsfeestje" },
	{ "nl", "Welke wijn past bij vis?" },
	{ "nl", "Is Ajax goed dit seizoen?" },
	{ "nl", "Ik zoek een nieuwe baan als kok" },
	{ "en", "The cat sat on the mat" },
	{ "nl", "ok" },
};

static double bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static size_t bench_intent_index(struct bench_set *s, const char *intent)
{
	for (size_t i = 0; i < s->nintents; i++) {
		if (!strcmp(s->intents[i], intent))
			return i;
	}
	if (s->nintents == NLU_MAX_CLASSES) {
		fprintf(stderr, "bench_nlu: too many intents\n");
		exit(1);
	}
	s->intents[s->nintents] = xstrdup(intent);
	return s->nintents++;
}

static void bench_add(struct bench_set *s, const char *intent, const char *lang, const char *text)
{
	if (s->n == s->alloc) {
		s->alloc = s->alloc ? s->alloc * 2 : 512;
		s->v = xreallocarray(s->v, s->alloc, sizeof(*s->v));
	}
	bench_intent_index(s, intent);
	s->v[s->n].intent = xstrdup(intent);
	s->v[s->n].lang = xstrdup(lang ? lang : "nl");
	s->v[s->n].text = xstrdup(text);
	s->v[s->n].test = 0;
	s->n++;
}

static void bench_set_release(struct bench_set *s)
{
	for (size_t i = 0; i < s->n; i++) {
		free(s->v[i].intent);
		free(s->v[i].lang);
		free(s->v[i].text);
	}
	for (size_t i = 0; i < s->nintents; i++)
		free(s->intents[i]);
	free(s->v);
}

/* Reads JSONL lines; calls fn(ctx, object) for each. */
static void bench_read_jsonl(const char *path, void (*fn)(void *, json_t *), void *ctx)
{
	FILE *f = fopen(path, "r");
	char line[BENCH_MAX_LINE];
	int no = 0;

	if (!f) {
		perror(path);
		exit(1);
	}
	while (fgets(line, sizeof(line), f)) {
		json_error_t jerr;
		json_t *o;

		no++;
		if (line[strspn(line, " \t\r\n")] == '\0')
			continue;
		o = json_loads(line, 0, &jerr);
		if (!json_is_object(o)) {
			fprintf(stderr, "%s:%d: %s\n", path, no, o ? "not an object" : jerr.text);
			exit(1);
		}
		fn(ctx, o);
		json_decref(o);
	}
	fclose(f);
}

static void bench_utterance_cb(void *ctx, json_t *o)
{
	const char *intent = json_string_value(json_object_get(o, "intent"));
	const char *text = json_string_value(json_object_get(o, "text"));

	if (!intent || !text) {
		fprintf(stderr, "bench_nlu: utterance without intent or text\n");
		exit(1);
	}
	bench_add(ctx, intent, json_string_value(json_object_get(o, "lang")), text);
}

static int bench_cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The knowledge base's questions, files (.jsonl, .csv) in name order. */
static size_t bench_load_kb(struct bench_set *s, const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char **names = NULL;
	size_t n = 0, alloc = 0, added = 0;

	if (!d) {
		perror(dir);
		exit(1);
	}
	while ((de = readdir(d))) {
		enum kb_format fmt = kb_format_from_path(de->d_name);

		if (fmt != KB_FORMAT_JSONL && fmt != KB_FORMAT_CSV)
			continue;
		if (n == alloc) {
			alloc = alloc ? alloc * 2 : 16;
			names = xreallocarray(names, alloc, sizeof(*names));
		}
		names[n++] = xstrdup(de->d_name);
	}
	closedir(d);
	qsort(names, n, sizeof(*names), bench_cmp_str);
	for (size_t i = 0; i < n; i++) {
		struct kb_entries e;
		struct lk_err err = { 0 };
		size_t plen = strlen(dir) + strlen(names[i]) + 2;
		char *path = xmalloc(plen);

		snprintf(path, plen, "%s/%s", dir, names[i]);
		kb_entries_init(&e);
		if (kb_import_file(path, &e, &err)) {
			fprintf(stderr, "bench_nlu: %s\n", err.msg);
			exit(1);
		}
		for (size_t j = 0; j < e.n; j++) {
			if (e.v[j].question && e.v[j].question[0]) {
				bench_add(s, BENCH_FAQ, e.v[j].lang, e.v[j].question);
				added++;
			}
		}
		kb_entries_release(&e);
		free(path);
		free(names[i]);
	}
	free(names);
	return added;
}

/* Every 5th item of each intent is test. */
static void bench_split(struct bench_set *s)
{
	size_t seen[NLU_MAX_CLASSES] = { 0 };

	for (size_t i = 0; i < s->n; i++) {
		size_t c = bench_intent_index(s, s->v[i].intent);

		s->v[i].test = (++seen[c] % 5) == 0;
	}
}

static void bench_dump_split(const struct bench_set *s, const char *path)
{
	FILE *f = fopen(path, "w");

	if (!f) {
		perror(path);
		exit(1);
	}
	for (size_t i = 0; i < s->n; i++) {
		json_t *o = json_pack("{s:s, s:s, s:s, s:s}", "split",
				      s->v[i].test ? "test" : "train", "intent", s->v[i].intent,
				      "lang", s->v[i].lang, "text", s->v[i].text);
		char *line = json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII);

		fprintf(f, "%s\n", line);
		free(line);
		json_decref(o);
	}
	/* The unrelated messages, for the peer's "unrelated->flow" figure. */
	for (size_t i = 0; i < sizeof(bench_ood_msgs) / sizeof(bench_ood_msgs[0]); i++) {
		json_t *o = json_pack("{s:s, s:s, s:s}", "split", "unrelated", "lang",
				      bench_ood_msgs[i].lang, "text", bench_ood_msgs[i].text);
		char *line = json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII);

		fprintf(f, "%s\n", line);
		free(line);
		json_decref(o);
	}
	fclose(f);
}

/* --- quality report, shared by our classifier and --score --- */

struct bench_pred {
	size_t gold;
	size_t pred; /* == nintents: not one of the intents (e.g. "None") */
	double conf;
};

static int bench_is_flow(const struct bench_set *s, size_t c)
{
	return c < s->nintents && strcmp(s->intents[c], BENCH_FAQ) != 0;
}

static void bench_report(const char *who, const struct bench_set *s, const struct bench_pred *p,
			 size_t n, char *summary, size_t summary_len)
{
	size_t k = s->nintents;
	size_t *conf = xcalloc((k + 1) * (k + 1), sizeof(*conf));
	size_t correct = 0, flow_faq = 0, flow_flow = 0, faq_flow = 0, nflow = 0, nfaq = 0;
	size_t bin_n[BENCH_BINS] = { 0 }, bin_ok[BENCH_BINS] = { 0 };
	double bin_conf[BENCH_BINS] = { 0 }, macro_f1 = 0.0, ece = 0.0;
	size_t hi_n = 0, hi_ok = 0;

	for (size_t i = 0; i < n; i++) {
		size_t b = p[i].conf >= 1.0 ? BENCH_BINS - 1 : (size_t)(p[i].conf * BENCH_BINS);

		conf[p[i].gold * (k + 1) + p[i].pred]++;
		correct += p[i].gold == p[i].pred;
		bin_n[b]++;
		bin_ok[b] += p[i].gold == p[i].pred;
		bin_conf[b] += p[i].conf;
		if (p[i].conf >= 0.5) {
			hi_n++;
			hi_ok += p[i].gold == p[i].pred;
		}
		if (bench_is_flow(s, p[i].gold)) {
			nflow++;
			if (p[i].pred == p[i].gold)
				continue;
			if (bench_is_flow(s, p[i].pred))
				flow_flow++;
			else
				flow_faq++;
		} else {
			nfaq++;
			faq_flow += bench_is_flow(s, p[i].pred);
		}
	}
	printf("== %s: %zu test utterances\n", who, n);
	printf("%-20s %7s %7s %7s %6s\n", "intent", "recall", "prec", "F1", "n");
	for (size_t c = 0; c < k; c++) {
		size_t tp = conf[c * (k + 1) + c], gold = 0, pred = 0;
		double rec, prec, f1;

		for (size_t j = 0; j <= k; j++) {
			gold += conf[c * (k + 1) + j];
			pred += conf[j * (k + 1) + c];
		}
		rec = gold ? (double)tp / (double)gold : 0.0;
		prec = pred ? (double)tp / (double)pred : 0.0;
		f1 = rec + prec > 0.0 ? 2.0 * rec * prec / (rec + prec) : 0.0;
		macro_f1 += f1 / (double)k;
		printf("%-20s %7.3f %7.3f %7.3f %6zu\n", s->intents[c], rec, prec, f1, gold);
	}
	printf("confusion (rows: true, columns: predicted; '-' = no intent)\n%-20s", "");
	for (size_t c = 0; c < k; c++)
		printf(" %6.6s", s->intents[c]);
	printf(" %6s\n", "-");
	for (size_t r = 0; r < k; r++) {
		printf("%-20s", s->intents[r]);
		for (size_t c = 0; c <= k; c++)
			printf(" %6zu", conf[r * (k + 1) + c]);
		printf("\n");
	}
	printf("flows vs faq: flow->faq %zu/%zu, flow->other flow %zu/%zu, faq->flow %zu/%zu\n",
	       flow_faq, nflow, flow_flow, nflow, faq_flow, nfaq);
	for (size_t b = 0; b < BENCH_BINS; b++) {
		if (bin_n[b])
			ece += fabs(bin_conf[b] - (double)bin_ok[b]) / (double)n;
	}
	printf("calibration: ECE %.3f (10 bins); confidence >= 0.5 on %.1f%% of messages, "
	       "%.1f%% of those right\n",
	       ece, n ? 100.0 * (double)hi_n / (double)n : 0.0,
	       hi_n ? 100.0 * (double)hi_ok / (double)hi_n : 0.0);
	printf("accuracy %.3f  macro-F1 %.3f\n", n ? (double)correct / (double)n : 0.0, macro_f1);
	snprintf(summary, summary_len, "accuracy=%.3f macro_f1=%.3f flow_to_faq=%zu/%zu "
		 "faq_to_flow=%zu/%zu ece=%.3f",
		 n ? (double)correct / (double)n : 0.0, macro_f1, flow_faq, nflow, faq_flow, nfaq,
		 ece);
	free(conf);
}

/* --- our classifier --- */

static struct nlu_example *bench_examples(const struct bench_set *s, int want_test, size_t *n)
{
	struct nlu_example *ex = xcalloc(s->n ? s->n : 1, sizeof(*ex));

	*n = 0;
	for (size_t i = 0; i < s->n; i++) {
		if (s->v[i].test != want_test)
			continue;
		ex[*n].intent = s->v[i].intent;
		ex[*n].text = s->v[i].text;
		ex[*n].lang = s->v[i].lang;
		(*n)++;
	}
	return ex;
}

static size_t bench_pred_index(const struct bench_set *s, const char *intent)
{
	for (size_t c = 0; intent && c < s->nintents; c++) {
		if (!strcmp(s->intents[c], intent))
			return c;
	}
	return s->nintents;
}

static int bench_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}



/* Mean of the top flow probability the unrelated messages get; *max is the
 * highest, *over how many have one of 0.5 or more. */
static double bench_ood(const struct nlu_model *m, double *max, size_t *over)
{
	size_t k = nlu_classes(m), nood = sizeof(bench_ood_msgs) / sizeof(bench_ood_msgs[0]);
	double *probs = xcalloc(k ? k : 1, sizeof(*probs)), sum = 0.0;

	*max = 0.0;
	*over = 0;
	for (size_t i = 0; i < nood; i++) {
		double flow = 0.0;

		nlu_classify_all(m, bench_ood_msgs[i].text, bench_ood_msgs[i].lang, probs);
		for (size_t c = 0; c < k; c++) {
			if (strcmp(nlu_class_name(m, c), BENCH_FAQ) != 0 && probs[c] > flow)
				flow = probs[c];
		}
		sum += flow;
		*over += flow >= 0.5;
		if (flow > *max)
			*max = flow;
	}
	free(probs);
	return sum / (double)nood;
}

static void bench_ours(struct bench_set *s, const struct nlu_params *params, long iters)
{
	struct nlu_model *m = NULL;
	struct lk_err err = { 0 };
	struct nlu_example *train, *test;
	struct bench_pred *pred;
	size_t ntrain, ntest;
	double t0, train_ms, *lat, sum = 0.0, ood, ood_max;
	size_t ood_over;
	char summary[512];
	volatile double sink = 0.0;

	train = bench_examples(s, 0, &ntrain);
	test = bench_examples(s, 1, &ntest);
	t0 = bench_now_ns();
	if (nlu_train_params(&m, train, ntrain, params, &err)) {
		fprintf(stderr, "bench_nlu: training failed: %s\n", err.msg);
		exit(1);
	}
	train_ms = (bench_now_ns() - t0) / 1e6;
	printf("trained on %zu utterances, %zu intents, in %.0f ms (temperature %.3f)\n", ntrain,
	       nlu_classes(m), train_ms, nlu_temperature(m));

	pred = xcalloc(ntest ? ntest : 1, sizeof(*pred));
	for (size_t i = 0; i < ntest; i++) {
		struct nlu_result r;

		nlu_classify(m, test[i].text, test[i].lang, &r);
		pred[i].gold = bench_pred_index(s, test[i].intent);
		pred[i].pred = bench_pred_index(s, r.intent);
		pred[i].conf = r.confidence;
	}
	bench_report("Loket nlu", s, pred, ntest, summary, sizeof(summary));
	ood = bench_ood(m, &ood_max, &ood_over);
	printf("unrelated messages (%zu): top flow probability mean %.3f, max %.3f; "
	       "%zu of them have a flow at 0.5 or more\n",
	       sizeof(bench_ood_msgs) / sizeof(bench_ood_msgs[0]), ood, ood_max, ood_over);

	lat = xcalloc(iters > 0 ? (size_t)iters : 1, sizeof(*lat));
	for (long i = 0; i < iters && ntest; i++) {
		const struct nlu_example *e = &test[(size_t)i % ntest];
		struct nlu_result r;
		double a = bench_now_ns();

		nlu_classify(m, e->text, e->lang, &r);
		lat[i] = bench_now_ns() - a;
		sum += lat[i];
		sink += r.confidence;
	}
	if (iters > 0 && ntest) {
		qsort(lat, (size_t)iters, sizeof(*lat), bench_cmp_double);
		printf("latency over %ld classifications (one thread): p50 %.1f us, p99 %.1f us, "
		       "mean %.1f us\n",
		       iters, lat[iters / 2] / 1e3, lat[(size_t)((double)iters * 0.99)] / 1e3,
		       sum / (double)iters / 1e3);
		printf("SUMMARY %s unrelated_to_flow=%zu/%zu train_ms=%.0f p50_us=%.1f "
		       "p99_us=%.1f\n",
		       summary, ood_over, sizeof(bench_ood_msgs) / sizeof(bench_ood_msgs[0]),
		       train_ms, lat[iters / 2] / 1e3, lat[(size_t)((double)iters * 0.99)] / 1e3);
	} else {
		printf("SUMMARY %s unrelated_to_flow=%zu/%zu train_ms=%.0f\n", summary, ood_over,
		       sizeof(bench_ood_msgs) / sizeof(bench_ood_msgs[0]), train_ms);
	}
	(void)sink;
	free(lat);
	free(pred);
	free(train);
	free(test);
	nlu_free(m);
}

/* --- --tune: k-fold cross-validation on the train split only --- */

static void bench_cv(const struct bench_set *s, const struct nlu_params *p, const char *label)
{
	enum { FOLDS = 5 };
	size_t ntrain, correct = 0, total = 0;
	struct nlu_example *all = bench_examples(s, 0, &ntrain);
	struct nlu_example *tr = xcalloc(ntrain, sizeof(*tr));
	size_t k = s->nintents;
	size_t *tp = xcalloc(k, sizeof(*tp)), *gold = xcalloc(k, sizeof(*gold));
	size_t *npred = xcalloc(k, sizeof(*npred));
	double nll = 0.0, f1 = 0.0, ood = 0.0, ood_max, *probs = xcalloc(k, sizeof(*probs));
	size_t ood_over;

	for (size_t f = 0; f < FOLDS; f++) {
		struct nlu_model *m = NULL;
		struct lk_err err = { 0 };
		size_t n = 0;

		for (size_t i = 0; i < ntrain; i++) {
			if (i % FOLDS != f)
				tr[n++] = all[i];
		}
		if (nlu_train_params(&m, tr, n, p, &err)) {
			fprintf(stderr, "bench_nlu: %s\n", err.msg);
			exit(1);
		}
		for (size_t i = f; i < ntrain; i += FOLDS) {
			size_t g = bench_pred_index(s, all[i].intent), best = 0, mc;

			nlu_classify_all(m, all[i].text, all[i].lang, probs);
			mc = nlu_classes(m);
			for (size_t c = 1; c < mc; c++) {
				if (probs[c] > probs[best])
					best = c;
			}
			for (size_t c = 0; c < mc; c++) {
				if (bench_pred_index(s, nlu_class_name(m, c)) == g)
					nll -= log(probs[c] > 1e-12 ? probs[c] : 1e-12);
			}
			best = bench_pred_index(s, nlu_class_name(m, best));
			total++;
			gold[g]++;
			if (best < k)
				npred[best]++;
			if (best == g) {
				correct++;
				tp[g]++;
			}
		}
		ood += bench_ood(m, &ood_max, &ood_over) / FOLDS;
		nlu_free(m);
	}
	for (size_t c = 0; c < k; c++) {
		double r = gold[c] ? (double)tp[c] / (double)gold[c] : 0.0;
		double pr = npred[c] ? (double)tp[c] / (double)npred[c] : 0.0;

		f1 += r + pr > 0.0 ? 2.0 * r * pr / (r + pr) / (double)k : 0.0;
	}
	printf("%-36s accuracy %.3f  macro-F1 %.3f  log-loss %.3f  unrelated->flow %.3f\n",
	       label, (double)correct / (double)total, f1, nll / (double)total, ood);
	free(all);
	free(tr);
	free(tp);
	free(gold);
	free(npred);
	free(probs);
}

/* One row of the tuning table: a label and a change to the defaults. */
struct bench_variant {
	const char *label;
	void (*apply)(struct nlu_params *p);
};

static void bench_v_none(struct nlu_params *p)
{
	(void)p;
}

static void bench_v_perceptron(struct nlu_params *p)
{
	p->algo = NLU_ALGO_PERCEPTRON;
}

static void bench_v_perceptron10(struct nlu_params *p)
{
	p->algo = NLU_ALGO_PERCEPTRON;
	p->epochs = 10;
}

#define BENCH_V(name, stmt)                              \
	static void bench_v_##name(struct nlu_params *p) \
	{                                                \
		stmt;                                    \
	}
BENCH_V(epochs10, p->epochs = 10)
BENCH_V(epochs60, p->epochs = 60)
BENCH_V(l2_1e4, p->l2 = 1e-4)
BENCH_V(l2_1e3, p->l2 = 1e-3)
BENCH_V(rate02, p->learning_rate = 0.2)
BENCH_V(rate1, p->learning_rate = 1.0)
BENCH_V(nobalance, p->class_balance = 0.0)
BENCH_V(halfbalance, p->class_balance = 0.5)
BENCH_V(nocalib, p->calib_folds = 0)
BENCH_V(nobigram, p->w_bigram = 0.0f)
BENCH_V(bigram1, p->w_bigram = 1.0f)
BENCH_V(bigram3, p->w_bigram = 3.0f)
BENCH_V(charonly, (p->w_word = 0.0f, p->w_bigram = 0.0f))
BENCH_V(nochar, p->w_char = 0.0f)
BENCH_V(char1, p->w_char = 1.0f)
BENCH_V(word1, p->w_word = 1.0f)
BENCH_V(word4, p->w_word = 4.0f)
BENCH_V(stop0, p->w_stop = 0.0f)
BENCH_V(stop025, p->w_stop = 0.25f)
BENCH_V(stop1, p->w_stop = 1.0f)
#undef BENCH_V

static void bench_tune(const struct bench_set *s)
{
	static const struct bench_variant v[] = {
		{ "defaults (logreg)", bench_v_none },
		{ "averaged perceptron", bench_v_perceptron },
		{ "averaged perceptron, 10 epochs", bench_v_perceptron10 },
		{ "epochs 10", bench_v_epochs10 },
		{ "epochs 60", bench_v_epochs60 },
		{ "l2 1e-4", bench_v_l2_1e4 },
		{ "l2 1e-3", bench_v_l2_1e3 },
		{ "learning rate 0.2", bench_v_rate02 },
		{ "learning rate 1.0", bench_v_rate1 },
		{ "no class weights", bench_v_nobalance },
		{ "class weights ^0.5", bench_v_halfbalance },
		{ "no calibration (temperature 1)", bench_v_nocalib },
		{ "no bigrams", bench_v_nobigram },
		{ "w_bigram 1", bench_v_bigram1 },
		{ "w_bigram 3", bench_v_bigram3 },
		{ "character n-grams only", bench_v_charonly },
		{ "no character n-grams", bench_v_nochar },
		{ "w_char 1", bench_v_char1 },
		{ "w_word 1", bench_v_word1 },
		{ "w_word 4", bench_v_word4 },
		{ "w_stop 0", bench_v_stop0 },
		{ "w_stop 0.25", bench_v_stop025 },
		{ "w_stop 1", bench_v_stop1 },
	};

	printf("== 5-fold cross-validation on the train split (the test split is not used);\n"
	       "   unrelated->flow: mean top flow probability of the %zu unrelated messages\n",
	       sizeof(bench_ood_msgs) / sizeof(bench_ood_msgs[0]));
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		struct nlu_params p;

		nlu_params_default(&p);
		v[i].apply(&p);
		bench_cv(s, &p, v[i].label);
	}
}

/* --- --score: another classifier's predictions --- */

struct bench_score_ctx {
	struct bench_set *s;
	struct bench_pred *p;
	size_t n, alloc;
};

static void bench_score_cb(void *ctx, json_t *o)
{
	struct bench_score_ctx *sc = ctx;
	const char *gold = json_string_value(json_object_get(o, "intent"));
	const char *pred = json_string_value(json_object_get(o, "predicted"));

	if (!gold) {
		fprintf(stderr, "bench_nlu: prediction without intent\n");
		exit(1);
	}
	if (sc->n == sc->alloc) {
		sc->alloc = sc->alloc ? sc->alloc * 2 : 256;
		sc->p = xreallocarray(sc->p, sc->alloc, sizeof(*sc->p));
	}
	sc->p[sc->n].gold = bench_intent_index(sc->s, gold);
	sc->p[sc->n].pred = bench_pred_index(sc->s, pred);
	sc->p[sc->n].conf = json_number_value(json_object_get(o, "confidence"));
	sc->n++;
}

static void bench_score(const char *path, const char *who)
{
	struct bench_set s = { 0 };
	struct bench_score_ctx sc = { &s, NULL, 0, 0 };
	char summary[512];

	/* Intents in the same order as our own report. */
	const char *order[] = { "afspraak", "melding", "parkeervergunning", "zaakstatus",
				"feedback", BENCH_FAQ };

	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++)
		bench_intent_index(&s, order[i]);
	bench_read_jsonl(path, bench_score_cb, &sc);
	bench_report(who, &s, sc.p, sc.n, summary, sizeof(summary));
	printf("SUMMARY %s\n", summary);
	free(sc.p);
	bench_set_release(&s);
}

static void bench_usage(void)
{
	fprintf(stderr, "usage: bench_nlu UTTERANCES.jsonl KB_DIR [--iters N]"
			" [--algo logreg|perceptron] [--dump-split FILE] [--tune]\n"
			"       bench_nlu --score PREDICTIONS.jsonl [NAME]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	struct bench_set s = { 0 };
	struct nlu_params params;
	const char *dump = NULL;
	long iters = 100000;
	int tune = 0;
	size_t nkb;

	if (argc >= 3 && !strcmp(argv[1], "--score")) {
		bench_score(argv[2], argc >= 4 ? argv[3] : "other");
		return 0;
	}
	if (argc < 3)
		bench_usage();
	nlu_params_default(&params);
	for (int i = 3; i < argc; i++) {
		if (!strcmp(argv[i], "--iters") && i + 1 < argc) {
			iters = strtol(argv[++i], NULL, 10);
		} else if (!strcmp(argv[i], "--algo") && i + 1 < argc) {
			i++;
			if (!strcmp(argv[i], "perceptron"))
				params.algo = NLU_ALGO_PERCEPTRON;
			else if (strcmp(argv[i], "logreg"))
				bench_usage();
		} else if (!strcmp(argv[i], "--dump-split") && i + 1 < argc) {
			dump = argv[++i];
		} else if (!strcmp(argv[i], "--tune")) {
			tune = 1;
		} else {
			bench_usage();
		}
	}
	bench_read_jsonl(argv[1], bench_utterance_cb, &s);
	nkb = bench_load_kb(&s, argv[2]);
	bench_split(&s);
	printf("data: %zu utterances (%zu from %s, %zu knowledge-base questions from %s)\n", s.n,
	       s.n - nkb, argv[1], nkb, argv[2]);
	if (dump)
		bench_dump_split(&s, dump);
	if (tune)
		bench_tune(&s);
	else
		bench_ours(&s, &params, iters);
	bench_set_release(&s);
	return 0;
}
