/* test_text.c - unit tests for text processing (src/text): folding,
 * tokenising, stopwords, Dutch stemming and the interning table. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "text/text_dict.h"
#include "text/text_norm.h"
#include "text/text_stem.h"
#include "text/text_stopwords.h"
#include "text/text_token.h"

static char *fold(const char *s, size_t len)
{
	struct buf b;

	buf_init(&b, 0);
	assert_int_equal(text_norm_fold(s, len, &b), 0);
	return buf_detach(&b, NULL);
}

static void test_fold_case_and_accents(void **state)
{
	const char *in[] = { "Financiën", "FINANCIËN", "café", "ÉÉN", "Ĳsselmeer", "Straße" };
	const char *want[] = { "financien", "financien", "cafe", "een", "ijsselmeer", "strasse" };

	for (size_t i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
		char *f = fold(in[i], strlen(in[i]));

		assert_string_equal(f, want[i]);
		free(f);
	}
}

static void test_fold_invalid_utf8_becomes_space(void **state)
{
	const char in[] = "ab\xff\xfe" "cd\xc3";
	char *f = fold(in, sizeof(in) - 1);

	assert_string_equal(f, "ab  cd ");
	free(f);
}

static void test_fold_quotes_and_soft_hyphen(void **state)
{
	char *f = fold("auto\xe2\x80\x99s ge\xc2\xadmeente", strlen("auto\xe2\x80\x99s ge\xc2\xadmeente"));

	assert_string_equal(f, "auto's gemeente");
	free(f);
}

struct toks {
	char words[32][TEXT_TOKEN_MAX + 1];
	unsigned flags[32];
	uint32_t pos[32];
	size_t n;
};

static void collect(void *ctx, const struct text_token *t)
{
	struct toks *k = ctx;

	if (k->n == 32)
		return;
	memcpy(k->words[k->n], t->s, t->len);
	k->words[k->n][t->len] = '\0';
	k->flags[k->n] = t->flags;
	k->pos[k->n++] = t->pos;
}

static struct toks tokenise(const char *s)
{
	struct toks k;

	memset(&k, 0, sizeof(k));
	text_token_each(s, strlen(s), collect, &k);
	return k;
}

static void test_token_hyphen_gives_parts_and_joined(void **state)
{
	struct toks k = tokenise("mijn id-kaart kwijt");

	assert_int_equal(k.n, 5);
	assert_string_equal(k.words[0], "mijn");
	assert_string_equal(k.words[1], "idkaart");
	assert_true(k.flags[1] & TEXT_TOKEN_JOINED);
	assert_string_equal(k.words[2], "id");
	assert_true(k.flags[2] & TEXT_TOKEN_PART);
	assert_string_equal(k.words[3], "kaart");
	assert_int_equal(k.pos[1], k.pos[2]);
	assert_string_equal(k.words[4], "kwijt");
	assert_int_equal(k.pos[4], 3);
}

static void test_token_apostrophe_s_and_numbers(void **state)
{
	struct toks k = tokenise("twee auto's voor 1.000,50 euro; d'r");

	assert_string_equal(k.words[0], "twee");
	assert_string_equal(k.words[1], "auto");
	assert_string_equal(k.words[2], "voor");
	assert_string_equal(k.words[3], "100050");
	assert_true(k.flags[3] & TEXT_TOKEN_NUMBER);
	assert_string_equal(k.words[4], "euro");
	assert_string_equal(k.words[5], "d");
	assert_string_equal(k.words[6], "r");
	assert_int_equal(k.n, 7);
}

static void test_token_odd_input(void **state)
{
	char big[300];
	struct toks k = tokenise("");

	assert_int_equal(k.n, 0);
	k = tokenise("?!... --- ''' ");
	assert_int_equal(k.n, 0);
	k = tokenise("-a- 'b' a-");
	assert_int_equal(k.n, 3);
	/* A token longer than TEXT_TOKEN_MAX is skipped, not cut. */
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	k = tokenise(big);
	assert_int_equal(k.n, 0);
}

static void test_stopwords(void **state)
{
	assert_true(text_stopword_is("de", 2));
	assert_true(text_stopword_is("het", 3));
	assert_true(text_stopword_is("hoe", 3));
	assert_true(text_stopword_is("the", 3));
	assert_true(text_stopword_is("", 0));
	assert_false(text_stopword_is("paspoort", 8));
	assert_false(text_stopword_is("gemeente", 8));
	assert_false(text_stopword_is("d", 1));
}

static void stem(struct text_stemmer *st, const char *w, char *out)
{
	text_stem(st, w, strlen(w), out);
}

static void assert_same_stem(struct text_stemmer *st, const char *a, const char *b)
{
	char x[TEXT_STEM_MAX], y[TEXT_STEM_MAX];

	stem(st, a, x);
	stem(st, b, y);
	if (strcmp(x, y))
		fail_msg("%s -> %s but %s -> %s", a, x, b, y);
}

static void assert_other_stem(struct text_stemmer *st, const char *a, const char *b)
{
	char x[TEXT_STEM_MAX], y[TEXT_STEM_MAX];

	stem(st, a, x);
	stem(st, b, y);
	if (!strcmp(x, y))
		fail_msg("%s and %s both -> %s", a, b, x);
}

static void test_stem_dutch_inflection(void **state)
{
	struct text_stemmer *st = text_stemmer_new();

	assert_non_null(st);
	assert_same_stem(st, "verkoopt", "verkopen");
	assert_same_stem(st, "verkocht", "verkopen");
	assert_same_stem(st, "aanvraag", "aanvragen");
	assert_same_stem(st, "vraagt", "vragen");
	assert_same_stem(st, "reist", "reizen");
	assert_same_stem(st, "geeft", "geven");
	assert_same_stem(st, "woont", "wonen");
	assert_same_stem(st, "betaald", "betalen");
	assert_same_stem(st, "vult", "vullen");
	assert_same_stem(st, "werkte", "werken");
	assert_same_stem(st, "aangeboden", "aanbieden");
	assert_same_stem(st, "gemeente", "gemeenten");
	/* A noun plural is not a strong verb behind a prefix. */
	assert_same_stem(st, "afspraken", "afspraak");
	assert_same_stem(st, "verkiezingen", "verkiezing");
	assert_other_stem(st, "paspoort", "gemeente");
	assert_other_stem(st, "kopen", "koken");
	text_stemmer_free(st);
}

static void test_stem_participles(void **state)
{
	struct text_stemmer *st = text_stemmer_new();
	char a[TEXT_STEM_MAX], b[TEXT_STEM_MAX];

	assert_true(text_stem_participle(st, "aangevraagd", 11, a) > 0);
	stem(st, "aanvragen", b);
	assert_string_equal(a, b);
	assert_true(text_stem_participle(st, "gevraagd", 8, a) > 0);
	stem(st, "vragen", b);
	assert_string_equal(a, b);
	assert_true(text_stem_participle(st, "ingevuld", 8, a) > 0);
	stem(st, "invullen", b);
	assert_string_equal(a, b);
	/* Not participles: no "ge", wrong ending, inseparable prefix. */
	assert_int_equal(text_stem_participle(st, "gemeente", 8, a), 0);
	assert_int_equal(text_stem_participle(st, "verkocht", 8, a), 0);
	assert_int_equal(text_stem_participle(st, "begeleid", 8, a), 0);
	text_stemmer_free(st);
}

static void test_stem_keeps_numbers_and_short_words(void **state)
{
	struct text_stemmer *st = text_stemmer_new();
	char out[TEXT_STEM_MAX];

	stem(st, "2026", out);
	assert_string_equal(out, "2026");
	stem(st, "id", out);
	assert_string_equal(out, "id");
	assert_int_equal(text_stem(st, "", 0, out), 0);
	text_stemmer_free(st);
}

static void test_stem_normalise_rules(void **state)
{
	char out[TEXT_STEM_MAX];

	text_stem_normalise("verkoopt", 8, out);
	assert_string_equal(out, "verkop");
	text_stem_normalise("invull", 6, out);
	assert_string_equal(out, "invul");
	text_stem_normalise("reiz", 4, out);
	assert_string_equal(out, "reis");
	text_stem_normalise("wet", 3, out);
	assert_string_equal(out, "wet");
}

static void test_dict_interning(void **state)
{
	struct text_dict d;
	char w[16];

	text_dict_init(&d);
	assert_int_equal(text_dict_find(&d, "x", 1), TEXT_DICT_NONE);
	for (int i = 0; i < 5000; i++) {
		int n = snprintf(w, sizeof(w), "w%d", i);

		assert_int_equal(text_dict_intern(&d, w, (size_t)n), (uint32_t)i);
	}
	assert_int_equal(text_dict_count(&d), 5000);
	assert_int_equal(text_dict_intern(&d, "w42", 3), 42);
	assert_int_equal(text_dict_find(&d, "w4999", 5), 4999);
	assert_int_equal(text_dict_find(&d, "w5000", 5), TEXT_DICT_NONE);
	/* A prefix of a stored string is a different string. */
	assert_int_equal(text_dict_find(&d, "w4", 1), TEXT_DICT_NONE);
	assert_string_equal(text_dict_str(&d, 7), "w7");
	assert_null(text_dict_str(&d, 5000));
	text_dict_release(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fold_case_and_accents),
		cmocka_unit_test(test_fold_invalid_utf8_becomes_space),
		cmocka_unit_test(test_fold_quotes_and_soft_hyphen),
		cmocka_unit_test(test_token_hyphen_gives_parts_and_joined),
		cmocka_unit_test(test_token_apostrophe_s_and_numbers),
		cmocka_unit_test(test_token_odd_input),
		cmocka_unit_test(test_stopwords),
		cmocka_unit_test(test_stem_dutch_inflection),
		cmocka_unit_test(test_stem_participles),
		cmocka_unit_test(test_stem_keeps_numbers_and_short_words),
		cmocka_unit_test(test_stem_normalise_rules),
		cmocka_unit_test(test_dict_interning),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
