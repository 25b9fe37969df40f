/* test_llm_cite.c - unit tests for the grounding check of generated answers
 * (src/llm/llm_cite): citations, support by the cited passages (stemmed
 * Dutch words), numbers and web addresses that must come from a passage. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "llm/llm_cite.h"

static const char *const passages[] = {
	"U vraagt een paspoort aan bij de gemeente waar u woont. Neem een recente pasfoto "
	"mee naar de balie. Een paspoort kost 77,85 euro voor volwassenen. Kijk voor de "
	"openingstijden op https://www.gemeente.nl/paspoort.",
	"Een rijbewijs verlengt u bij de gemeente. De aanvraag van een rijbewijs duurt "
	"ongeveer vijf werkdagen. Bel 14 020 voor een afspraak.",
};

/* Checks answer against the two passages above. */
static void check(const char *answer, struct llm_cite *c)
{
	memset(c, 0x5a, sizeof(*c));
	llm_cite_check(answer, passages, 2, c);
}

static void test_grounded_answer_passes(void **state)
{
	struct llm_cite c;

	check("U vraagt een paspoort aan bij de gemeente waar u woont [1].", &c);
	assert_int_equal(c.ok, 1);
	assert_int_equal(c.no_answer, 0);
	assert_string_equal(llm_cite_verdict(&c), "ok");
	assert_int_equal(c.n_cited, 1);
	assert_int_equal(c.cited[0], 1);
	assert_int_equal(c.cited[1], 0);
	assert_int_equal(c.invalid, 0);
	assert_int_equal(c.sentences, 1);
	assert_int_equal(c.unsupported, 0);
	assert_int_equal(c.foreign, 0);

	/* several sentences; a number and an address the passage gives */
	check("U vraagt een paspoort aan bij de gemeente waar u woont. Een paspoort kost "
	      "77,85 euro voor volwassenen. Kijk op https://www.gemeente.nl/paspoort. [1]", &c);
	assert_int_equal(c.ok, 1);
	assert_string_equal(llm_cite_verdict(&c), "ok");
	assert_int_equal(c.foreign, 0);
}

static void test_citation_to_a_missing_passage_fails(void **state)
{
	struct llm_cite c;

	check("U vraagt een paspoort aan bij de gemeente waar u woont [3].", &c);
	assert_int_equal(c.ok, 0);
	assert_string_equal(llm_cite_verdict(&c), "invalid_citation");
	assert_int_equal(c.invalid, 1);

	/* one good marker does not excuse a bad one */
	check("U vraagt een paspoort aan bij de gemeente waar u woont [1][3].", &c);
	assert_int_equal(c.ok, 0);
	assert_string_equal(llm_cite_verdict(&c), "invalid_citation");
	assert_int_equal(c.n_cited, 1);

	check("U vraagt een paspoort aan bij de gemeente [0].", &c);
	assert_int_equal(c.ok, 0);
	assert_string_equal(llm_cite_verdict(&c), "invalid_citation");
}

static void test_no_marker_fails(void **state)
{
	struct llm_cite c;

	check("U vraagt een paspoort aan bij de gemeente waar u woont.", &c);
	assert_int_equal(c.ok, 0);
	assert_string_equal(llm_cite_verdict(&c), "no_citation");
	assert_int_equal(c.n_cited, 0);
	assert_true(strlen(c.reason) > 0);

	/* brackets that are no marker */
	check("U vraagt een paspoort aan bij de gemeente [a] [] [1 2].", &c);
	assert_int_equal(c.ok, 0);
	assert_string_equal(llm_cite_verdict(&c), "no_citation");
}

static void test_no_answer(void **state)
{
	struct llm_cite c;

	check("NO_ANSWER", &c);
	assert_int_equal(c.ok, 0);
	assert_int_equal(c.no_answer, 1);
	assert_string_equal(llm_cite_verdict(&c), "no_answer");

	check("Dat staat niet in de bronnen. NO_ANSWER\n", &c);
	assert_int_equal(c.ok, 0);
	assert_int_equal(c.no_answer, 1);
	assert_string_equal(llm_cite_verdict(&c), "no_answer");
}

static void test_unsupported_sentence_fails(void **state)
{
	struct llm_cite c;

	check("De burgemeester organiseert jaarlijks een groot zomerfeest op het plein [1].", &c);
	assert_int_equal(c.ok, 0);
	assert_string_equal(llm_cite_verdict(&c), "unsupported");
	assert_int_equal(c.unsupported, 1);

	/* one good sentence, one made up */
	check("U vraagt een paspoort aan bij de gemeente waar u woont. De burgemeester "
	      "organiseert jaarlijks een groot zomerfeest. [1]", &c);
	assert_int_equal(c.ok, 0);
	assert_string_equal(llm_cite_verdict(&c), "unsupported");
	assert_int_equal(c.sentences, 2);
	assert_int_equal(c.unsupported, 1);

	/* supported, but by the other passage than the one cited */
	check("De aanvraag van een rijbewijs duurt ongeveer vijf werkdagen [1].", &c);
	assert_int_equal(c.ok, 0);
	assert_string_equal(llm_cite_verdict(&c), "unsupported");
}

static void test_foreign_number_or_url_fails(void **state)
{
	struct llm_cite c;

	check("Een paspoort kost 99,95 euro voor volwassenen [1].", &c);
	assert_int_equal(c.ok, 0);
	assert_string_equal(llm_cite_verdict(&c), "foreign_fact");
	assert_true(c.foreign >= 1);

	check("Bel 0800 1234 voor een afspraak over een rijbewijs [2].", &c);
	assert_int_equal(c.ok, 0);
	assert_string_equal(llm_cite_verdict(&c), "foreign_fact");

	check("Kijk voor de openingstijden op https://www.voorbeeld.nl/paspoort [1].", &c);
	assert_int_equal(c.ok, 0);
	assert_string_equal(llm_cite_verdict(&c), "foreign_fact");
	assert_true(c.foreign >= 1);

	check("Kijk voor de openingstijden op www.elders.nl [1].", &c);
	assert_int_equal(c.ok, 0);
	assert_string_equal(llm_cite_verdict(&c), "foreign_fact");

	/* the number the passage gives is fine */
	check("Bel 14 020 voor een afspraak over een rijbewijs [2].", &c);
	assert_int_equal(c.ok, 1);
	assert_int_equal(c.foreign, 0);
}

static void test_marker_forms_are_read(void **state)
{
	struct llm_cite c;
	const char *both = "U vraagt een paspoort of rijbewijs aan bij de gemeente";
	char answer[256];

	snprintf(answer, sizeof(answer), "%s [1, 2].", both);
	check(answer, &c);
	assert_int_equal(c.ok, 1);
	assert_int_equal(c.n_cited, 2);
	assert_int_equal(c.cited[0], 1);
	assert_int_equal(c.cited[1], 1);

	snprintf(answer, sizeof(answer), "%s [1][2].", both);
	check(answer, &c);
	assert_int_equal(c.ok, 1);
	assert_int_equal(c.n_cited, 2);

	snprintf(answer, sizeof(answer), "%s [1,2]", both);
	check(answer, &c);
	assert_int_equal(c.ok, 1);
	assert_int_equal(c.n_cited, 2);

	/* markers after the full stop belong to that sentence */
	snprintf(answer, sizeof(answer), "%s. [1] [2]", both);
	check(answer, &c);
	assert_int_equal(c.ok, 1);
	assert_int_equal(c.n_cited, 2);

	check("Een rijbewijs verlengt u bij de gemeente. [2]", &c);
	assert_int_equal(c.ok, 1);
	assert_int_equal(c.cited[0], 0);
	assert_int_equal(c.cited[1], 1);

	/* each sentence is judged by its own marker: swap them and it fails */
	check("Neem een recente pasfoto mee naar de balie. [1] De aanvraag van een rijbewijs "
	      "duurt ongeveer vijf werkdagen. [2]", &c);
	assert_int_equal(c.ok, 1);
	assert_int_equal(c.sentences, 2);
	check("Neem een recente pasfoto mee naar de balie. [2] De aanvraag van een rijbewijs "
	      "duurt ongeveer vijf werkdagen. [1]", &c);
	assert_int_equal(c.ok, 0);
	assert_string_equal(llm_cite_verdict(&c), "unsupported");
	assert_int_equal(c.unsupported, 2);
}

static void test_inflected_paraphrase_passes(void **state)
{
	struct llm_cite c;

	/* paspoort -> paspoorten, gemeente -> gemeenten, woont -> woonde,
	 * vraagt -> vroeg, rijbewijs -> rijbewijzen, aanvraag -> aanvragen */
	check("Paspoorten vraagt u bij de gemeenten aan waar u woonde [1].", &c);
	assert_int_equal(c.ok, 1);
	assert_string_equal(llm_cite_verdict(&c), "ok");
	assert_int_equal(c.unsupported, 0);

	check("U vroeg uw paspoort aan bij de gemeente waar u woonde [1].", &c);
	assert_int_equal(c.ok, 1);
	assert_string_equal(llm_cite_verdict(&c), "ok");

	check("Rijbewijzen verlengt u bij de gemeenten; aanvragen duren ongeveer vijf "
	      "werkdagen [2].", &c);
	assert_int_equal(c.ok, 1);
	assert_string_equal(llm_cite_verdict(&c), "ok");
}

static void test_empty_answer_fails(void **state)
{
	struct llm_cite c;

	check("", &c);
	assert_int_equal(c.ok, 0);
	assert_string_equal(llm_cite_verdict(&c), "empty");

	check(" \n\t ", &c);
	assert_int_equal(c.ok, 0);
	assert_string_equal(llm_cite_verdict(&c), "empty");

	check(NULL, &c);
	assert_int_equal(c.ok, 0);
	assert_string_equal(llm_cite_verdict(&c), "empty");
}

static void test_odd_input_is_safe(void **state)
{
	struct llm_cite c;
	size_t n = (size_t)70 << 10;
	char *big = malloc(n + 1);
	const char *none[1] = { NULL };

	assert_non_null(big);
	/* longer than the check reads */
	memset(big, 'a', n);
	big[n] = '\0';
	check(big, &c);
	assert_int_equal(c.ok, 0);

	/* many short sentences, many markers */
	for (size_t i = 0; i + 8 < n; i += 8)
		memcpy(big + i, "Ja [1]. ", 8);
	big[(size_t)60 << 10] = '\0';
	check(big, &c);
	assert_int_equal(c.n_cited, 1);
	free(big);

	/* past the sentences the check can hold nothing may slip through */
	{
		char answer[4096] = "";

		for (int i = 0; i < 64; i++)
			strcat(answer, "Ja [1]. ");
		strcat(answer, "Bel 0900 1234 en betaal 500 euro [1].");
		check(answer, &c);
		assert_int_equal(c.ok, 0);
	}

	/* unterminated and huge markers, invalid UTF-8 */
	check("[ [1 [99999999] [1, [\xff\xfe [1]", &c);
	assert_int_equal(c.ok, 0);

	/* a NULL passage and no passages at all */
	llm_cite_check("U vraagt een paspoort aan bij de gemeente [1].", none, 1, &c);
	assert_int_equal(c.ok, 0);
	llm_cite_check("U vraagt een paspoort aan bij de gemeente [1].", NULL, 0, &c);
	assert_int_equal(c.ok, 0);
	assert_string_equal(llm_cite_verdict(&c), "invalid_citation");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_grounded_answer_passes),
		cmocka_unit_test(test_citation_to_a_missing_passage_fails),
		cmocka_unit_test(test_no_marker_fails),
		cmocka_unit_test(test_no_answer),
		cmocka_unit_test(test_unsupported_sentence_fails),
		cmocka_unit_test(test_foreign_number_or_url_fails),
		cmocka_unit_test(test_marker_forms_are_read),
		cmocka_unit_test(test_inflected_paraphrase_passes),
		cmocka_unit_test(test_empty_answer_fails),
		cmocka_unit_test(test_odd_input_is_safe),
	};

	return cmocka_run_group_tests_name("llm/llm_cite", tests, NULL, NULL);
}
