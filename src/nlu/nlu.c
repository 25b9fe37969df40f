/* nlu.c - training and scoring of the intent classifier (see nlu.h):
 * logistic regression by SGD (or an averaged perceptron) over the hashed
 * vectors of nlu_feat.c, class weights against imbalance, and a softmax
 * temperature fitted on k-fold predictions. */
#include "nlu/nlu.h"

#include "core/mem.h"
#include "nlu/nlu_feat.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* All training vectors together stay below this many features (128 MiB). */
#define NLU_MAX_TRAIN_FEATURES ((size_t)1 << 24)

struct nlu_model {
	size_t nclass;
	char **names;       /* nclass intent names, owned */
	float *w;           /* NLU_DIM rows of nclass weights; NULL below 2 classes */
	double *bias;       /* nclass; NULL below 2 classes */
	double temperature; /* probabilities are softmax(scores / temperature) */
	struct nlu_feat_weights fw;
};

/* The training set as feature vectors. Buckets are renumbered densely
 * (0..nrow) for training, so the weights being trained fit in the cache
 * instead of spreading over the whole hashed space; bucket[] maps back. */
struct nlu_data {
	size_t n;
	size_t nclass;
	size_t *start;          /* n + 1 offsets into feats */
	struct nlu_feat *feats; /* idx: dense row number */
	size_t nrow;            /* distinct buckets in the training set */
	uint32_t *bucket;       /* nrow: the bucket of each dense row */
	uint32_t *y;            /* class of each example */
	double *cw;             /* weight of each class */
};

void nlu_params_default(struct nlu_params *p)
{
	/* Chosen by 5-fold cross-validation on the training split of
	 * bench/nlu/utterances.jsonl (bench_nlu --tune), never on its test
	 * split; see bench/nlu/README.md. */
	p->algo = NLU_ALGO_LOGREG;
	p->epochs = 30;
	p->learning_rate = 0.5;
	p->l2 = 1e-5;
	p->class_balance = 1.0;
	p->calib_folds = 5;
	p->w_char = 0.5f;
	p->w_word = 2.0f;
	p->w_bigram = 2.0f;
	p->w_stop = 0.5f;
	p->seed = 0x4c6f6b6574ULL; /* "Loket" */
}

void nlu_free(struct nlu_model *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->nclass; i++)
		free(m->names[i]);
	free(m->names);
	free(m->w);
	free(m->bias);
	free(m);
}

static void nlu_data_release(struct nlu_data *d)
{
	free(d->start);
	free(d->feats);
	free(d->bucket);
	free(d->y);
	free(d->cw);
	memset(d, 0, sizeof(*d));
}

static int nlu_params_check(const struct nlu_params *p, struct lk_err *err)
{
	if (p->algo != NLU_ALGO_LOGREG && p->algo != NLU_ALGO_PERCEPTRON)
		return lk_err_set(err, LK_EINVAL, "nlu: unknown algorithm %d", (int)p->algo);
	if (p->epochs < 1 || p->epochs > 1000)
		return lk_err_set(err, LK_EINVAL, "nlu: epochs must be 1..1000, not %u", p->epochs);
	if (!(p->learning_rate > 0.0 && p->learning_rate <= 100.0))
		return lk_err_set(err, LK_EINVAL, "nlu: learning rate must be in (0, 100]");
	/* The SGD shrink factor 1 - rate * l2 must stay positive. */
	if (!(p->l2 >= 0.0 && p->l2 * p->learning_rate < 0.5))
		return lk_err_set(err, LK_EINVAL, "nlu: l2 must be >= 0 and l2 * rate < 0.5");
	if (!(p->class_balance >= 0.0 && p->class_balance <= 1.0))
		return lk_err_set(err, LK_EINVAL, "nlu: class_balance must be in [0, 1]");
	if (p->calib_folds > 20)
		return lk_err_set(err, LK_EINVAL, "nlu: calib_folds must be at most 20");
	if (!(p->w_char >= 0.0f && p->w_word >= 0.0f && p->w_bigram >= 0.0f &&
	      p->w_stop >= 0.0f && p->w_char <= 100.0f && p->w_word <= 100.0f &&
	      p->w_bigram <= 100.0f && p->w_stop <= 1.0f))
		return lk_err_set(err, LK_EINVAL,
				  "nlu: feature weights must be in [0, 100], w_stop in [0, 1]");
	return 0;
}

/* Finds or adds the class of each example (in order of first appearance). */
static int nlu_collect_classes(struct nlu_model *m, struct nlu_data *d,
			       const struct nlu_example *ex, size_t n, struct lk_err *err)
{
	size_t alloc = 0;

	d->n = n;
	d->y = xcalloc(n ? n : 1, sizeof(*d->y));
	for (size_t i = 0; i < n; i++) {
		size_t c, len;

		if (!ex[i].intent || !ex[i].intent[0] || !ex[i].text)
			return lk_err_set(err, LK_EINVAL, "nlu: example %zu lacks %s", i,
					  ex[i].text ? "an intent" : "a text");
		len = strnlen(ex[i].intent, NLU_MAX_INTENT + 1);
		if (len > NLU_MAX_INTENT)
			return lk_err_set(err, LK_ETOOBIG,
					  "nlu: example %zu: intent longer than %d bytes", i,
					  NLU_MAX_INTENT);
		for (c = 0; c < m->nclass; c++) {
			if (!strcmp(m->names[c], ex[i].intent))
				break;
		}
		if (c == m->nclass) {
			if (m->nclass == NLU_MAX_CLASSES)
				return lk_err_set(err, LK_ETOOBIG, "nlu: more than %d intents",
						  NLU_MAX_CLASSES);
			if (m->nclass == alloc) {
				alloc = alloc ? alloc * 2 : 8;
				m->names = xreallocarray(m->names, alloc, sizeof(*m->names));
			}
			m->names[m->nclass++] = xstrndup(ex[i].intent, len);
		}
		d->y[i] = (uint32_t)c;
	}
	d->nclass = m->nclass;
	return 0;
}

/* Renumbers the buckets of d->feats[0..used) densely, in order of first
 * appearance. */
static void nlu_data_renumber(struct nlu_data *d, size_t used)
{
	uint32_t *row = xmalloc(NLU_DIM * sizeof(*row));

	memset(row, 0xff, NLU_DIM * sizeof(*row));
	d->bucket = xmalloc((used ? used : 1) * sizeof(*d->bucket));
	d->nrow = 0;
	for (size_t i = 0; i < used; i++) {
		uint32_t b = d->feats[i].idx;

		if (row[b] == UINT32_MAX) {
			row[b] = (uint32_t)d->nrow;
			d->bucket[d->nrow++] = b;
		}
		d->feats[i].idx = row[b];
	}
	free(row);
}

/* Extracts every example's vector into d and sets the class weights
 * (n / (classes * n_class)) ^ balance. */
static int nlu_data_features(struct nlu_data *d, const struct nlu_example *ex,
			     const struct nlu_params *p, const struct nlu_feat_weights *fw,
			     struct nlu_feat_scratch *s, struct lk_err *err)
{
	size_t used = 0, alloc = 0;
	size_t *count;

	d->start = xcalloc(d->n + 1, sizeof(*d->start));
	for (size_t i = 0; i < d->n; i++) {
		size_t nf = nlu_feat_extract(s, ex[i].text, strlen(ex[i].text), fw);

		if (nf > NLU_MAX_TRAIN_FEATURES - used)
			return lk_err_set(err, LK_ETOOBIG,
					  "nlu: the examples are too long together (%zu features)",
					  used + nf);
		if (used + nf > alloc) {
			while (alloc < used + nf)
				alloc = alloc ? alloc * 2 : 4096;
			d->feats = xreallocarray(d->feats, alloc, sizeof(*d->feats));
		}
		if (nf)
			memcpy(d->feats + used, s->feats, nf * sizeof(*s->feats));
		d->start[i] = used;
		used += nf;
	}
	d->start[d->n] = used;
	if (!d->feats) /* no example has a feature: keep d->feats + 0 valid */
		d->feats = xmalloc(sizeof(*d->feats));
	nlu_data_renumber(d, used);

	count = xcalloc(d->nclass, sizeof(*count));
	for (size_t i = 0; i < d->n; i++)
		count[d->y[i]]++;
	d->cw = xcalloc(d->nclass, sizeof(*d->cw));
	for (size_t c = 0; c < d->nclass; c++)
		d->cw[c] = pow((double)d->n / ((double)d->nclass * (double)count[c]),
			       p->class_balance);
	free(count);
	return 0;
}

/* --- scoring --- */

/* z[c] = scale * (w_c . f) + bias[c] */
static void nlu_scores(const float *w, const double *bias, size_t nclass,
		       const struct nlu_feat *f, size_t nf, double scale, double *z)
{
	for (size_t c = 0; c < nclass; c++)
		z[c] = 0.0;
	for (size_t i = 0; i < nf; i++) {
		const float *row = w + (size_t)f[i].idx * nclass;
		double v = f[i].val;

		for (size_t c = 0; c < nclass; c++)
			z[c] += row[c] * v;
	}
	for (size_t c = 0; c < nclass; c++)
		z[c] = z[c] * scale + bias[c];
}

/* In place: z becomes softmax(z * beta). */
static void nlu_softmax(double *z, size_t nclass, double beta)
{
	double max = z[0], sum = 0.0;

	for (size_t c = 1; c < nclass; c++) {
		if (z[c] > max)
			max = z[c];
	}
	for (size_t c = 0; c < nclass; c++) {
		z[c] = exp((z[c] - max) * beta);
		sum += z[c];
	}
	for (size_t c = 0; c < nclass; c++)
		z[c] /= sum;
}

/* --- training --- */

/* splitmix64: a tiny, good, fixed-seed generator. */
static uint64_t nlu_rand(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static void nlu_shuffle(size_t *v, size_t n, uint64_t *rng)
{
	for (size_t i = n; i > 1; i--) {
		size_t j = (size_t)(nlu_rand(rng) % i);
		size_t t = v[i - 1];

		v[i - 1] = v[j];
		v[j] = t;
	}
}

/* Multinomial logistic regression, SGD on the class-weighted log loss with
 * L2. The weights are kept as scale * w so the L2 shrink of every weight at
 * every step is one multiplication (Bottou's trick); the step size decays as
 * rate / (1 + rate * l2 * t). */
static void nlu_fit_logreg(const struct nlu_data *d, size_t *order, size_t nrows,
			   const struct nlu_params *p, float *w, double *bias)
{
	const size_t nclass = d->nclass, nw = d->nrow * nclass;
	double *g = xmalloc(nclass * sizeof(*g));
	uint64_t rng = p->seed;
	double scale = 1.0, t = 0.0;

	for (unsigned e = 0; e < p->epochs; e++) {
		nlu_shuffle(order, nrows, &rng);
		for (size_t k = 0; k < nrows; k++) {
			size_t i = order[k];
			const struct nlu_feat *f = d->feats + d->start[i];
			size_t nf = d->start[i + 1] - d->start[i];
			double eta = p->learning_rate / (1.0 + p->learning_rate * p->l2 * t);
			double cw = d->cw[d->y[i]], step;

			nlu_scores(w, bias, nclass, f, nf, scale, g);
			nlu_softmax(g, nclass, 1.0);
			for (size_t c = 0; c < nclass; c++)
				g[c] = cw * (g[c] - (c == d->y[i] ? 1.0 : 0.0));
			scale *= 1.0 - eta * p->l2;
			if (scale < 1e-6) {
				for (size_t j = 0; j < nw; j++)
					w[j] = (float)(w[j] * scale);
				scale = 1.0;
			}
			step = eta / scale;
			for (size_t j = 0; j < nf; j++) {
				float *row = w + (size_t)f[j].idx * nclass;
				double v = f[j].val * step;

				for (size_t c = 0; c < nclass; c++)
					row[c] -= (float)(g[c] * v);
			}
			for (size_t c = 0; c < nclass; c++)
				bias[c] -= eta * g[c];
			t += 1.0;
		}
	}
	if (scale != 1.0) {
		for (size_t j = 0; j < nw; j++)
			w[j] = (float)(w[j] * scale);
	}
	free(g);
}

/* Averaged perceptron (Collins 2002) with class-weighted updates; the
 * average is kept as w - u / c, where u sums each update times its step. */
static void nlu_fit_perceptron(const struct nlu_data *d, size_t *order, size_t nrows,
			       const struct nlu_params *p, float *w, double *bias)
{
	const size_t nclass = d->nclass, nw = d->nrow * nclass;
	float *u = xcalloc(nw, sizeof(*u));
	double *ub = xcalloc(nclass, sizeof(*ub));
	double *z = xmalloc(nclass * sizeof(*z));
	uint64_t rng = p->seed;
	double c = 1.0;

	for (unsigned e = 0; e < p->epochs; e++) {
		nlu_shuffle(order, nrows, &rng);
		for (size_t k = 0; k < nrows; k++, c += 1.0) {
			size_t i = order[k], pred = 0, y = d->y[i];
			const struct nlu_feat *f = d->feats + d->start[i];
			size_t nf = d->start[i + 1] - d->start[i];
			double upd = d->cw[y];

			nlu_scores(w, bias, nclass, f, nf, 1.0, z);
			for (size_t j = 1; j < nclass; j++) {
				if (z[j] > z[pred])
					pred = j;
			}
			if (pred == y)
				continue;
			for (size_t j = 0; j < nf; j++) {
				size_t base = (size_t)f[j].idx * nclass;
				double v = upd * f[j].val;

				w[base + y] += (float)v;
				w[base + pred] -= (float)v;
				u[base + y] += (float)(c * v);
				u[base + pred] -= (float)(c * v);
			}
			bias[y] += upd;
			bias[pred] -= upd;
			ub[y] += c * upd;
			ub[pred] -= c * upd;
		}
	}
	for (size_t j = 0; j < nw; j++)
		w[j] -= (float)(u[j] / c);
	for (size_t j = 0; j < nclass; j++)
		bias[j] -= ub[j] / c;
	free(u);
	free(ub);
	free(z);
}

/* Fits w (d->nrow dense rows of nclass) and bias, both overwritten, on the
 * examples rows[0..nrows). */
static void nlu_fit(const struct nlu_data *d, const size_t *rows, size_t nrows,
		    const struct nlu_params *p, float *w, double *bias)
{
	size_t *order = xmalloc((nrows ? nrows : 1) * sizeof(*order));

	memcpy(order, rows, nrows * sizeof(*order));
	memset(w, 0, d->nrow * d->nclass * sizeof(*w));
	memset(bias, 0, d->nclass * sizeof(*bias));
	if (p->algo == NLU_ALGO_PERCEPTRON)
		nlu_fit_perceptron(d, order, nrows, p, w, bias);
	else
		nlu_fit_logreg(d, order, nrows, p, w, bias);
	free(order);
}

/* Log loss of softmax(beta * z) over the held-out rows. */
static double nlu_nll(const struct nlu_data *d, const double *z, const unsigned char *held,
		      double beta)
{
	const size_t nclass = d->nclass;
	double nll = 0.0;

	for (size_t i = 0; i < d->n; i++) {
		const double *zi = z + i * nclass;
		double max = zi[0], sum = 0.0;

		if (!held[i])
			continue;
		for (size_t c = 1; c < nclass; c++) {
			if (zi[c] > max)
				max = zi[c];
		}
		for (size_t c = 0; c < nclass; c++)
			sum += exp((zi[c] - max) * beta);
		nll += log(sum) - (zi[d->y[i]] - max) * beta;
	}
	return nll;
}

/* Temperature scaling (Guo et al. 2017): scores of each example from a
 * model trained without its fold (folds stratified by class), then the
 * inverse temperature beta minimising their log loss. The loss is convex in
 * beta, so a golden-section search finds it. Returns the temperature.
 * Usually it comes out below 1 (sharper): held-out utterances are mostly
 * right but spread their probability. Limiting it to 1 or above gives
 * unrelated messages a little less confidence but a clearly worse log loss
 * on the benchmark's cross-validation (bench/nlu/README.md). */
static double nlu_calibrate(const struct nlu_data *d, const struct nlu_params *p, float *w,
			    double *bias)
{
	const size_t nclass = d->nclass, k = p->calib_folds;
	const double phi = (sqrt(5.0) - 1.0) / 2.0;
	size_t *fold = xmalloc(d->n * sizeof(*fold));
	size_t *seen = xcalloc(nclass, sizeof(*seen));
	size_t *rows = xmalloc(d->n * sizeof(*rows));
	unsigned char *held = xcalloc(d->n, 1);
	double *z = xmalloc(d->n * nclass * sizeof(*z));
	double lo = 0.02, hi = 50.0, a, b, fa, fb, beta;
	size_t nheld = 0;

	for (size_t i = 0; i < d->n; i++)
		fold[i] = seen[d->y[i]]++ % k;
	for (size_t f = 0; f < k; f++) {
		size_t nrows = 0;

		for (size_t i = 0; i < d->n; i++) {
			if (fold[i] != f)
				rows[nrows++] = i;
		}
		if (nrows == 0 || nrows == d->n)
			continue;
		nlu_fit(d, rows, nrows, p, w, bias);
		for (size_t i = 0; i < d->n; i++) {
			if (fold[i] != f)
				continue;
			nlu_scores(w, bias, nclass, d->feats + d->start[i],
				   d->start[i + 1] - d->start[i], 1.0, z + i * nclass);
			held[i] = 1;
			nheld++;
		}
	}
	beta = 1.0;
	if (nheld) {
		a = hi - phi * (hi - lo);
		b = lo + phi * (hi - lo);
		fa = nlu_nll(d, z, held, a);
		fb = nlu_nll(d, z, held, b);
		for (int it = 0; it < 80; it++) {
			if (fa <= fb) {
				hi = b;
				b = a;
				fb = fa;
				a = hi - phi * (hi - lo);
				fa = nlu_nll(d, z, held, a);
			} else {
				lo = a;
				a = b;
				fa = fb;
				b = lo + phi * (hi - lo);
				fb = nlu_nll(d, z, held, b);
			}
		}
		beta = (lo + hi) / 2.0;
	}
	free(fold);
	free(seen);
	free(rows);
	free(held);
	free(z);
	return 1.0 / beta;
}

int nlu_train_params(struct nlu_model **out, const struct nlu_example *ex, size_t n,
		     const struct nlu_params *p, struct lk_err *err)
{
	struct nlu_params def;
	struct nlu_model *m = NULL;
	struct nlu_data d = { 0 };
	struct nlu_feat_scratch *s = NULL;
	size_t *rows = NULL;
	float *dense = NULL;
	int rc;

	if (!out)
		return lk_err_set(err, LK_EINVAL, "nlu: no place for the model");
	*out = NULL;
	if (!p) {
		nlu_params_default(&def);
		p = &def;
	}
	rc = nlu_params_check(p, err);
	if (rc)
		return rc;
	if (n && !ex)
		return lk_err_set(err, LK_EINVAL, "nlu: %zu examples but no array", n);
	if (n > NLU_MAX_EXAMPLES)
		return lk_err_set(err, LK_ETOOBIG, "nlu: %zu examples, at most %d", n,
				  NLU_MAX_EXAMPLES);

	m = xcalloc(1, sizeof(*m));
	m->temperature = 1.0;
	m->fw.w_char = p->w_char;
	m->fw.w_word = p->w_word;
	m->fw.w_bigram = p->w_bigram;
	m->fw.w_stop = p->w_stop;
	rc = nlu_collect_classes(m, &d, ex, n, err);
	if (rc)
		goto out;
	if (m->nclass >= 2) {
		s = xmalloc(sizeof(*s));
		rc = nlu_feat_scratch_init(s);
		if (rc) {
			lk_err_set(err, rc, "nlu: libstemmer has no Dutch stemmer");
			goto out;
		}
		rc = nlu_data_features(&d, ex, p, &m->fw, s, err);
		if (rc)
			goto out;
		dense = xmalloc((d.nrow ? d.nrow : 1) * m->nclass * sizeof(*dense));
		m->bias = xcalloc(m->nclass, sizeof(*m->bias));
		if (p->calib_folds >= 2)
			m->temperature = nlu_calibrate(&d, p, dense, m->bias);
		rows = xmalloc(n * sizeof(*rows));
		for (size_t i = 0; i < n; i++)
			rows[i] = i;
		nlu_fit(&d, rows, n, p, dense, m->bias);
		/* Back to the hashed space, where classifying looks rows up. */
		m->w = xcalloc(NLU_DIM * m->nclass, sizeof(*m->w));
		for (size_t r = 0; r < d.nrow; r++)
			memcpy(m->w + (size_t)d.bucket[r] * m->nclass, dense + r * m->nclass,
			       m->nclass * sizeof(*m->w));
	}
	*out = m;
	m = NULL;
	rc = 0;
out:
	if (s) {
		nlu_feat_scratch_release(s);
		free(s);
	}
	free(rows);
	free(dense);
	nlu_data_release(&d);
	nlu_free(m);
	return rc;
}

int nlu_train(struct nlu_model **out, const struct nlu_example *ex, size_t n, struct lk_err *err)
{
	return nlu_train_params(out, ex, n, NULL, err);
}

/* --- classifying --- */

/* Writes the probabilities of a model with at least 2 classes to z. */
static void nlu_predict(const struct nlu_model *m, const char *text, double *z)
{
	struct nlu_feat_scratch *s = xmalloc(sizeof(*s));
	size_t nf = 0;

	/* Training succeeded, so the stemmer exists; if it somehow does not,
	 * the message gets the prior. */
	if (nlu_feat_scratch_init(s) == 0)
		nf = nlu_feat_extract(s, text ? text : "", text ? strlen(text) : 0, &m->fw);
	nlu_scores(m->w, m->bias, m->nclass, s->feats, nf, 1.0, z);
	nlu_softmax(z, m->nclass, 1.0 / m->temperature);
	nlu_feat_scratch_release(s);
	free(s);
}

void nlu_classify(const struct nlu_model *m, const char *text, const char *lang,
		  struct nlu_result *out)
{
	double z[NLU_MAX_CLASSES];
	size_t best = 0, second = 1;

	memset(out, 0, sizeof(*out));
	if (!m || m->nclass == 0)
		return;
	if (m->nclass == 1) {
		out->intent = m->names[0];
		out->confidence = 1.0;
		return;
	}
	nlu_predict(m, text, z);
	if (z[1] > z[0]) {
		best = 1;
		second = 0;
	}
	for (size_t c = 2; c < m->nclass; c++) {
		if (z[c] > z[best]) {
			second = best;
			best = c;
		} else if (z[c] > z[second]) {
			second = c;
		}
	}
	out->intent = m->names[best];
	out->confidence = z[best];
	out->second = m->names[second];
	out->second_confidence = z[second];
}

void nlu_classify_all(const struct nlu_model *m, const char *text, const char *lang,
		      double *probs)
{
	if (!m || m->nclass == 0)
		return;
	if (m->nclass == 1) {
		probs[0] = 1.0;
		return;
	}
	nlu_predict(m, text, probs);
}

size_t nlu_classes(const struct nlu_model *m)
{
	return m ? m->nclass : 0;
}

const char *nlu_class_name(const struct nlu_model *m, size_t i)
{
	return m && i < m->nclass ? m->names[i] : NULL;
}

double nlu_temperature(const struct nlu_model *m)
{
	return m ? m->temperature : 1.0;
}
