/* fuzz_nlu.c - libFuzzer target for the intent classifier (src/nlu): arbitrary
 * bytes are classified by a small fixed model; inputs starting with 'T' are
 * also read as training examples ("intent<TAB>text" lines) for a model of
 * their own. Checks that results are well-formed probabilities.
 * Not built by meson; build and run from the repo root: sh tests/fuzz/run.sh 60 nlu
 */
// fuzz-sources: src/core/buf.c src/core/clock.c src/core/err.c src/core/mem.c src/text/*.c src/nlu/*.c
#include "core/mem.h"
#include "nlu/nlu.h"

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct nlu_example fuzz_ex[] = {
	{ "afspraak", "Ik wil een afspraak maken voor mijn paspoort", "nl" },
	{ "afspraak", "afspraak verzetten", "nl" },
	{ "melding", "Er zit een gat in de weg", "nl" },
	{ "melding", "lantaarnpaal kapot", "nl" },
	{ "faq", "Hoeveel kost een ID-kaart?", "nl" },
	{ "faq", "When is the town hall open?", "en" },
};

static struct nlu_model *fuzz_model;

static void fuzz_check(const struct nlu_model *m, const char *text)
{
	struct nlu_result r;
	double p[NLU_MAX_CLASSES], sum = 0.0;
	size_t k = nlu_classes(m);

	nlu_classify(m, text, NULL, &r);
	if (k == 0) {
		if (r.intent)
			abort();
		return;
	}
	if (!r.intent || !(r.confidence >= 0.0 && r.confidence <= 1.0))
		abort();
	if (k > 1 && (!r.second || r.second_confidence > r.confidence))
		abort();
	nlu_classify_all(m, text, "nl", p);
	for (size_t c = 0; c < k; c++)
		sum += p[c];
	if (fabs(sum - 1.0) > 1e-6)
		abort();
}

/* Lines "intent<TAB>text" of a small input become a model of their own. */
static void fuzz_train(const char *s)
{
	struct nlu_example ex[8];
	struct nlu_model *m = NULL;
	struct nlu_params p;
	char *copy = xstrdup(s), *line = copy, *next;
	size_t n = 0;

	nlu_params_default(&p);
	p.epochs = 2; /* fuzzing the code paths, not the model */
	p.calib_folds = 2;
	while (line && n < sizeof(ex) / sizeof(ex[0])) {
		char *tab;

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		tab = strchr(line, '\t');
		if (tab) {
			*tab = '\0';
			ex[n].intent = line;
			ex[n].text = tab + 1;
			ex[n].lang = NULL;
			n++;
		}
		line = next;
	}
	if (nlu_train_params(&m, ex, n, &p, NULL) == 0) {
		fuzz_check(m, s);
		nlu_free(m);
	} else if (m) {
		abort();
	}
	free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text;

	if (!fuzz_model && nlu_train(&fuzz_model, fuzz_ex, sizeof(fuzz_ex) / sizeof(fuzz_ex[0]),
				     NULL))
		abort();
	if (size > 65536)
		return 0;
	text = xstrndup((const char *)data, size);
	fuzz_check(fuzz_model, text);
	if (size > 1 && size <= 512 && data[0] == 'T')
		fuzz_train(text + 1);
	free(text);
	return 0;
}
