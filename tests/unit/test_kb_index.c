/* test_kb_index.c - unit tests for the retrieval engine (src/kb/kb_index*):
 * ranking on a small knowledge base, Dutch matching (stems, participles,
 * compounds, typos, synonyms), confidence, snippets, odd input, threads. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/mem.h"
#include "kb/kb_index.h"
#include "kb/kb_synonyms.h"

struct fixture_entry {
	const char *id, *question, *title, *answer, *lang;
};

static const struct fixture_entry fixture[] = {
	{ "rijbewijs", "Hoe vraag ik een rijbewijs aan?", NULL,
	  "U vraagt een rijbewijs aan bij de gemeente waar u woont. Neem een pasfoto mee.", NULL },
	{ "paspoort", "Hoe vraag ik een paspoort aan?", "Paspoort",
	  "Een paspoort vraagt u aan bij uw gemeente. U maakt eerst een afspraak.\n\n"
	  "Kosten\n\n"
	  "Een paspoort voor volwassenen kost 84 euro. Voor kinderen betaalt u minder.\n\n"
	  "Meenemen\n\n"
	  "Neem uw oude paspoort en een recente pasfoto mee naar de balie.", NULL },
	{ "identiteitskaart", NULL, "Identiteitskaart",
	  "De identiteitskaart is 10 jaar geldig voor volwassenen. Voor kinderen is zij 5 jaar "
	  "geldig.", NULL },
	{ "grofvuil", NULL, "Grofvuil laten ophalen",
	  "U kunt grofvuil gratis laten ophalen. Maak online een afspraak; de vuilniswagen komt "
	  "op maandag.", NULL },
	{ "verhuizen", NULL, "Verhuizing doorgeven",
	  "Als u verhuist, geeft u uw nieuwe adres door aan de gemeente. Dat kan tot 4 weken "
	  "vooraf.", NULL },
	{ "berichtenbox", NULL, NULL,
	  "Overheidspost ontvangt u digitaal in de Berichtenbox van MijnOverheid.", NULL },
	{ "parkeren", NULL, "Parkeervergunning",
	  "Een parkeervergunning voor bewoners kunt u online aanvragen. Na betaling is de "
	  "vergunning direct geldig.", NULL },
	{ "auto", NULL, "Auto verkopen",
	  "Als u uw auto verkoopt, schrijft u het kenteken over bij een RDW-loket.", NULL },
	{ "english", NULL, "Parking permit",
	  "Residents can apply for a parking permit online.", "en" },
	{ "afspraak", NULL, "Afspraak maken",
	  "Voor de meeste producten van de gemeente maakt u eerst een afspraak. Dat kan online "
	  "of via de telefoon. Financiën en andere zaken van de overheid regelt u op het "
	  "stadhuis.", NULL },
};

#define NFIX (sizeof(fixture) / sizeof(fixture[0]))

static struct kb_index *build(const struct kb_synonyms *syn)
{
	struct kb_entries l;
	struct kb_index *ix = NULL;
	struct lk_err err = { 0 };

	kb_entries_init(&l);
	for (size_t i = 0; i < NFIX; i++) {
		struct kb_entry e;

		kb_entry_init(&e);
		e.id = xstrdup(fixture[i].id);
		e.question = xstrdup(fixture[i].question);
		e.title = xstrdup(fixture[i].title);
		e.answer = xstrdup(fixture[i].answer);
		e.lang = xstrdup(fixture[i].lang);
		kb_entries_push(&l, &e);
	}
	assert_int_equal(kb_index_build(&ix, &l, syn, &err), 0);
	assert_int_equal(l.n, 0);
	assert_non_null(ix);
	return ix;
}

static int setup(void **state)
{
	*state = build(NULL);
	return 0;
}

static int teardown(void **state)
{
	kb_index_free(*state);
	return 0;
}

static const char *top_id(const struct kb_index *ix, const char *query, struct kb_result *r)
{
	kb_index_search(ix, query, NULL, KB_MAX_HITS, r);
	return r->n ? kb_index_entry(ix, r->hits[0].doc)->id : "(none)";
}

static void assert_top(const struct kb_index *ix, const char *query, const char *want)
{
	struct kb_result r;
	const char *got = top_id(ix, query, &r);

	if (strcmp(got, want))
		fail_msg("\"%s\": expected %s first, got %s", query, want, got);
}

static void test_count_entry_find(void **state)
{
	const struct kb_index *ix = *state;
	long d = kb_index_find(ix, "grofvuil");

	assert_int_equal(kb_index_count(ix), NFIX);
	assert_true(d >= 0);
	assert_string_equal(kb_index_entry(ix, (size_t)d)->id, "grofvuil");
	assert_int_equal(kb_index_find(ix, "bestaat-niet"), -1);
	assert_int_equal(kb_index_find(ix, NULL), -1);
	assert_null(kb_index_entry(ix, NFIX));
	for (size_t i = 0; i < NFIX; i++)
		assert_int_equal(kb_index_find(ix, fixture[i].id), (long)i);
}

static void test_ranking_basic(void **state)
{
	const struct kb_index *ix = *state;
	struct kb_result r;

	assert_top(ix, "Hoe vraag ik een rijbewijs aan?", "rijbewijs");
	assert_top(ix, "paspoort aanvragen", "paspoort");
	assert_top(ix, "Hoe lang is mijn identiteitskaart geldig?", "identiteitskaart");
	assert_top(ix, "GROFVUIL", "grofvuil");
	kb_index_search(ix, "paspoort", NULL, 3, &r);
	assert_int_equal(r.n, 1);
	for (size_t i = 1; i < r.n; i++)
		assert_true(r.hits[i - 1].score >= r.hits[i].score);
}

static void test_stems_match_inflections(void **state)
{
	const struct kb_index *ix = *state;

	/* The document says "verkoopt"; the question "verkocht" / "verkopen". */
	assert_top(ix, "Ik heb mijn auto verkocht", "auto");
	assert_top(ix, "auto verkopen", "auto");
	/* "verhuist" / "verhuizen", "aangevraagd" / "aanvragen". */
	assert_top(ix, "ik ga verhuizen", "verhuizen");
	assert_top(ix, "parkeervergunning aangevraagd", "parkeren");
	assert_top(ix, "Financiën afspraken", "afspraak");
	assert_top(ix, "AFSPRAAK MAKEN", "afspraak");
}

static void test_compounds(void **state)
{
	const struct kb_index *ix = *state;

	/* Query compound not in the index: split into known parts. */
	assert_top(ix, "rijbewijsaanvraag", "rijbewijs");
	assert_top(ix, "paspoortkosten", "paspoort");
	/* Document compound "overheidspost" found by its parts. */
	assert_top(ix, "post van de overheid", "berichtenbox");
}

static void test_typos(void **state)
{
	const struct kb_index *ix = *state;
	struct kb_result r;

	assert_top(ix, "parkeervergunnign", "parkeren");   /* transposition */
	assert_top(ix, "grofvul ophalen", "grofvuil");      /* deletion */
	assert_top(ix, "paspoorrt", "paspoort");            /* insertion */
	assert_top(ix, "identiteitskaark", "identiteitskaart"); /* substitution */
	/* Short words are not corrected: "auot" is nothing. */
	kb_index_search(ix, "auot", NULL, 5, &r);
	assert_int_equal(r.n, 0);
}

static void test_synonyms(void **state)
{
	const char *text = "id-kaart, identiteitskaart, idkaart\n"
			   "vuilnis ophalen, grofvuil\n";
	struct kb_synonyms *syn = NULL;
	struct kb_index *ix;
	struct kb_result r;

	assert_int_equal(kb_synonyms_parse(&syn, "syn.txt", text, strlen(text), NULL), 0);
	/* Without the synonyms, "ID-kaart" does not find the identiteitskaart. */
	kb_index_search(*state, "Is mijn ID-kaart geldig?", NULL, 5, &r);
	assert_true(r.n == 0 ||
		    strcmp(kb_index_entry(*state, r.hits[0].doc)->id, "identiteitskaart") != 0 ||
		    r.confidence < KB_CONF_ANSWER);
	ix = build(syn);
	kb_synonyms_free(syn);
	assert_top(ix, "Is mijn ID-kaart geldig?", "identiteitskaart");
	assert_top(ix, "idkaart", "identiteitskaart");
	assert_top(ix, "wanneer komen ze vuilnis ophalen", "grofvuil");
	kb_index_free(ix);
}

static void test_language_preference(void **state)
{
	const struct kb_index *ix = *state;
	struct kb_result r;

	/* No Dutch entry matches at all: the English one fills in. */
	kb_index_search(ix, "parking permit", "nl", 5, &r);
	assert_true(r.n >= 1);
	assert_string_equal(kb_index_entry(ix, r.hits[0].doc)->id, "english");
	/* Words both languages share: a Dutch conversation gets Dutch only. */
	kb_index_search(ix, "parking permit online", "nl", 5, &r);
	for (size_t i = 0; i < r.n; i++)
		assert_string_not_equal(kb_index_entry(ix, r.hits[i].doc)->id, "english");
	kb_index_search(ix, "parking permit online", "en", 5, &r);
	assert_string_equal(kb_index_entry(ix, r.hits[0].doc)->id, "english");
}

static void test_confidence(void **state)
{
	const struct kb_index *ix = *state;
	const char *ood[] = { "hoe laat vertrekt de trein naar Parijs", "wat is de hoofdstad van Peru",
			      "recept voor appeltaart", "asdfgh", "hoeveel poten heeft een spin" };
	struct kb_result r;

	for (size_t i = 0; i < sizeof(ood) / sizeof(ood[0]); i++) {
		kb_index_search(ix, ood[i], NULL, 5, &r);
		if (r.confidence >= KB_CONF_SUGGEST)
			fail_msg("\"%s\": confidence %.3f", ood[i], r.confidence);
		assert_true(r.confidence >= 0.0);
	}
	kb_index_search(ix, "Hoe vraag ik een rijbewijs aan?", NULL, 5, &r);
	assert_true(r.confidence >= KB_CONF_ANSWER);
	assert_true(r.confidence <= 1.0);
	kb_index_search(ix, "Wat kost een paspoort voor kinderen?", NULL, 5, &r);
	assert_true(r.confidence >= KB_CONF_ANSWER);
}

static void test_odd_queries(void **state)
{
	const struct kb_index *ix = *state;
	const char invalid[] = "pas\xff\xfepoort \xc3 gemeente \xed\xa0\x80";
	struct kb_result r;
	char *big = xmalloc(10 * 1024 + 1);

	kb_index_search(ix, "", NULL, 5, &r);
	assert_int_equal(r.n, 0);
	assert_true(r.confidence == 0.0);
	kb_index_search(ix, "?!... ,,, ---", NULL, 5, &r);
	assert_int_equal(r.n, 0);
	kb_index_search(ix, "hoe wat de het een", NULL, 5, &r);
	assert_int_equal(r.n, 0);
	kb_index_search(ix, NULL, NULL, 5, &r);
	assert_int_equal(r.n, 0);
	kb_index_search(ix, "paspoort", NULL, 0, &r);
	assert_int_equal(r.n, 0);
	kb_index_search(ix, invalid, NULL, 5, &r);
	assert_true(r.n >= 1);
	kb_index_search(ix, "gemeente", NULL, 1000, &r);
	assert_true(r.n <= KB_MAX_HITS);
	static const char pattern[] = "paspoort gemeente xqzw-abc 'x' \xc3\xab ";

	for (size_t i = 0; i < 10 * 1024; i++)
		big[i] = pattern[i % (sizeof(pattern) - 1)];
	big[10 * 1024] = '\0';
	kb_index_search(ix, big, NULL, 5, &r);
	assert_true(r.n >= 1);
	memset(big, 'a', 10 * 1024);
	kb_index_search(ix, big, NULL, 5, &r);
	assert_int_equal(r.n, 0);
	free(big);
}

static void test_empty_index(void **state)
{
	struct kb_entries l;
	struct kb_index *ix = NULL;
	struct kb_result r;
	struct buf b;

	kb_entries_init(&l);
	assert_int_equal(kb_index_build(&ix, &l, NULL, NULL), 0);
	kb_index_search(ix, "paspoort", NULL, 5, &r);
	assert_int_equal(r.n, 0);
	buf_init(&b, 0);
	assert_int_equal(kb_index_snippet(ix, 0, "x", 100, &b), 0);
	assert_int_equal(b.len, 0);
	kb_index_free(ix);
}

static void test_build_rejects_entry_without_answer(void **state)
{
	struct kb_entries l;
	struct kb_entry e;
	struct kb_index *ix = NULL;
	struct lk_err err = { 0 };

	kb_entries_init(&l);
	kb_entry_init(&e);
	e.id = xstrdup("x");
	kb_entries_push(&l, &e);
	assert_int_equal(kb_index_build(&ix, &l, NULL, &err), LK_EINVAL);
	assert_null(ix);
	assert_int_equal(l.n, 1);
	kb_entries_release(&l);
}

static int ends_sentence_or_ellipsis(const char *s, size_t len)
{
	if (len >= 3 && !memcmp(s + len - 3, "\xe2\x80\xa6", 3))
		return 1;
	return len && (s[len - 1] == '.' || s[len - 1] == '!' || s[len - 1] == '?');
}

static void test_snippet_picks_relevant_paragraph(void **state)
{
	const struct kb_index *ix = *state;
	size_t d = (size_t)kb_index_find(ix, "paspoort");
	struct buf b;

	buf_init(&b, 0);
	assert_int_equal(kb_index_snippet(ix, d, "Wat kost een paspoort voor kinderen?", 120, &b), 0);
	assert_non_null(strstr(b.ptr, "84 euro"));
	assert_null(strstr(b.ptr, "balie"));
	assert_true(ends_sentence_or_ellipsis(b.ptr, b.len));
	buf_reset(&b);
	assert_int_equal(kb_index_snippet(ix, d, "pasfoto meenemen", 200, &b), 0);
	assert_non_null(strstr(b.ptr, "pasfoto"));
	buf_release(&b);
}

static void test_snippet_never_cuts_mid_sentence(void **state)
{
	const struct kb_index *ix = *state;
	struct buf b;

	buf_init(&b, 0);
	for (size_t d = 0; d < NFIX; d++) {
		for (size_t max = 10; max < 300; max += 7) {
			size_t chars = 0;

			buf_reset(&b);
			assert_int_equal(kb_index_snippet(ix, d, "gemeente afspraak kosten", max, &b), 0);
			assert_true(b.len > 0);
			if (!ends_sentence_or_ellipsis(b.ptr, b.len) &&
			    !strchr(".!?", fixture[d].answer[strlen(fixture[d].answer) - 1]))
				continue;
			if (!ends_sentence_or_ellipsis(b.ptr, b.len))
				fail_msg("doc %zu max %zu: \"%s\"", d, max, b.ptr);
			for (size_t i = 0; i < b.len; i++)
				chars += ((unsigned char)b.ptr[i] & 0xc0) != 0x80;
			if (chars > max)
				fail_msg("doc %zu max %zu: %zu chars", d, max, chars);
		}
	}
	buf_release(&b);
}

static void test_snippet_whole_sentences(void **state)
{
	const struct kb_index *ix = *state;
	size_t d = (size_t)kb_index_find(ix, "identiteitskaart");
	struct buf b;

	buf_init(&b, 0);
	/* Room for the first sentence only: exactly that sentence. */
	assert_int_equal(kb_index_snippet(ix, d, "identiteitskaart volwassenen", 60, &b), 0);
	assert_string_equal(b.ptr, "De identiteitskaart is 10 jaar geldig voor volwassenen.");
	buf_reset(&b);
	assert_int_equal(kb_index_snippet(ix, d, "kinderen", 60, &b), 0);
	assert_string_equal(b.ptr, "Voor kinderen is zij 5 jaar geldig.");
	buf_release(&b);
}

static void test_snippet_full_buffer(void **state)
{
	const struct kb_index *ix = *state;
	struct buf b;

	buf_init(&b, 8);
	assert_int_equal(kb_index_snippet(ix, 1, "paspoort", 500, &b), LK_ETOOBIG);
	buf_release(&b);
}

struct thread_arg {
	const struct kb_index *ix;
	int failures;
};

static void *search_thread(void *p)
{
	struct thread_arg *a = p;
	const char *q[] = { "auto verkocht", "rijbewijsaanvraag", "parkeervergunnign", "grofvuil" };
	const char *want[] = { "auto", "rijbewijs", "parkeren", "grofvuil" };

	for (int i = 0; i < 400; i++) {
		struct kb_result r;

		kb_index_search(a->ix, q[i % 4], NULL, 5, &r);
		if (!r.n || strcmp(kb_index_entry(a->ix, r.hits[0].doc)->id, want[i % 4]))
			a->failures++;
	}
	return NULL;
}

static void test_concurrent_searches(void **state)
{
	pthread_t t[4];
	struct thread_arg a[4];

	for (int i = 0; i < 4; i++) {
		a[i].ix = *state;
		a[i].failures = 0;
		assert_int_equal(pthread_create(&t[i], NULL, search_thread, &a[i]), 0);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		assert_int_equal(a[i].failures, 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_count_entry_find),
		cmocka_unit_test(test_ranking_basic),
		cmocka_unit_test(test_stems_match_inflections),
		cmocka_unit_test(test_compounds),
		cmocka_unit_test(test_typos),
		cmocka_unit_test(test_synonyms),
		cmocka_unit_test(test_language_preference),
		cmocka_unit_test(test_confidence),
		cmocka_unit_test(test_odd_queries),
		cmocka_unit_test(test_empty_index),
		cmocka_unit_test(test_build_rejects_entry_without_answer),
		cmocka_unit_test(test_snippet_picks_relevant_paragraph),
		cmocka_unit_test(test_snippet_never_cuts_mid_sentence),
		cmocka_unit_test(test_snippet_whole_sentences),
		cmocka_unit_test(test_snippet_full_buffer),
		cmocka_unit_test(test_concurrent_searches),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
