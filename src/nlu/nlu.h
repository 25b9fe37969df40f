/* nlu.h - the intent classifier: which guided flow (or "faq") a citizen's
 * message is about, trained at start-up from example utterances.
 *
 * Model: multinomial logistic regression over hashed sparse features of the
 * folded text (text_norm_fold): character 3- to 5-grams of each word with
 * word boundaries, Dutch word stems (text_stem) and stem bigrams, hashed into
 * a fixed space of 2^NLU_DIM_BITS buckets, so a model takes 4 * 2^NLU_DIM_BITS
 * bytes (1 MiB) per class whatever the training set. Trained with
 * SGD and L2 regularisation, classes weighted by inverse frequency (so a big
 * "faq" class does not swamp the flows), then calibrated: one softmax
 * temperature fitted on cross-validated predictions, so `confidence` is a
 * probability one can put a threshold on. bench/nlu/ holds the benchmark that
 * chose these settings (and an averaged perceptron, the alternative).
 *
 * What it cannot do: tell "none of these". It picks among the trained
 * intents only, so a message about something else gets whichever intent its
 * words resemble, sometimes with high confidence (on the benchmark 8 of 30
 * unrelated messages got a flow at 0.5 or more; nlp.js: 13). Callers should
 * want a margin over the runner-up as well as a threshold, and a bot can add a
 * class of small-talk and off-topic examples.
 *
 * Invariants: training is deterministic (a fixed seed, one thread): the same
 * examples in the same order give bit-identical models from one build. A trained model is
 * read-only, so nlu_classify() may run from any number of threads at once.
 * Only the first NLU_MAX_INPUT bytes of a message are looked at; any bytes,
 * invalid UTF-8 included, are safe.
 */
#ifndef LK_NLU_H
#define LK_NLU_H

#include "core/err.h"

#include <stddef.h>

#define NLU_DIM_BITS 18        /* feature space: 2^18 hashed buckets */
#define NLU_MAX_INPUT 1024     /* bytes of a message (or example) that count */
#define NLU_MAX_CLASSES 64     /* distinct intents in one model (1 MiB of weights each) */
#define NLU_MAX_EXAMPLES 100000
#define NLU_MAX_INTENT 128     /* bytes in an intent name */

struct nlu_model;

struct nlu_example {
	const char *intent; /* class name, 1..NLU_MAX_INTENT bytes */
	const char *text;   /* the utterance (may be empty: it then teaches only the prior) */
	const char *lang;   /* "nl", "en", ... or NULL; not used as a feature (see nlu_classify) */
};

enum nlu_algo {
	NLU_ALGO_LOGREG = 0,     /* multinomial logistic regression, SGD + L2 (default) */
	NLU_ALGO_PERCEPTRON = 1, /* averaged perceptron; calibration makes scores probabilities */
};

/* Training settings; nlu_params_default() gives the ones the benchmark chose.
 * Exposed for the benchmark and tests; applications use nlu_train(). */
struct nlu_params {
	enum nlu_algo algo;
	unsigned epochs;       /* passes over the examples (1..1000) */
	double learning_rate;  /* logreg: initial SGD step */
	double l2;             /* logreg: L2 regularisation per example (lambda) */
	double class_balance;  /* 0: no class weights, 1: weights n / (classes * n_class) */
	unsigned calib_folds;  /* temperature fitted on k-fold predictions; 0 or 1: none */
	float w_char;          /* weight of each character n-gram feature */
	float w_word;          /* weight of each stem feature */
	float w_bigram;        /* weight of each stem bigram feature */
	float w_stop;          /* factor on a stopword's n-gram and stem weights */
	unsigned long long seed;
};

/* --- lifecycle --- */
void nlu_params_default(struct nlu_params *p);

/* Trains on n examples. The model keeps no pointer into ex (intent names are
 * copied). Deterministic. n == 0 gives a model with no classes. Fails with
 * LK_EINVAL for a NULL or empty intent or NULL text, LK_ETOOBIG for more than
 * NLU_MAX_EXAMPLES examples, NLU_MAX_CLASSES classes or a too long intent.
 * Caller frees *out with nlu_free(); *out is NULL on failure. */
int nlu_train(struct nlu_model **out, const struct nlu_example *ex, size_t n, struct lk_err *err);
/* Same, with explicit settings (p NULL means the defaults); LK_EINVAL for
 * settings out of range. */
int nlu_train_params(struct nlu_model **out, const struct nlu_example *ex, size_t n,
		     const struct nlu_params *p, struct lk_err *err);
void nlu_free(struct nlu_model *m);

/* --- classifying --- */
struct nlu_result {
	const char *intent;   /* borrowed from the model; NULL when the model has no classes */
	double confidence;    /* 0..1, calibrated probability of `intent` */
	const char *second;   /* runner-up or NULL */
	double second_confidence;
};

/* Classifies text (NUL-terminated; NULL counts as empty). Thread-safe; the
 * model is not modified. Allocates only bounded per-call scratch (the
 * feature list, the folded text and a stemmer, all freed before it returns).
 * `lang` is accepted for the API's sake and not used: the features are the
 * same for Dutch and English, so a message without a known language
 * classifies the same. Text without any known feature gives the class prior,
 * i.e. a low confidence spread over the classes. */
void nlu_classify(const struct nlu_model *m, const char *text, const char *lang,
		  struct nlu_result *out);

/* Writes the calibrated probability of every class, in class order (see
 * nlu_class_name), to probs[0..nlu_classes(m)). */
void nlu_classify_all(const struct nlu_model *m, const char *text, const char *lang,
		      double *probs);

/* --- inspecting --- */
size_t nlu_classes(const struct nlu_model *m);
/* Name of class i (order of first appearance in training), borrowed from the
 * model; NULL if i is out of range. */
const char *nlu_class_name(const struct nlu_model *m, size_t i);
/* The softmax temperature calibration chose (1.0 if none). */
double nlu_temperature(const struct nlu_model *m);

#endif
