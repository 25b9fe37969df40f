/* test_kb_import.c - unit tests for knowledge-base import (kb/kb_import*):
 * every format's good files, each bad case (the message names file and line,
 * the list is left untouched), the limits, and the demo bot's real files.
 * Fixtures live in tests/data/kb/; tests run from the repository root.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/mem.h"
#include "kb/kb_entry.h"
#include "kb/kb_import.h"

#define DATA "tests/data/kb/"
/* A string literal and its length, for kb_import_buffer(). */
#define LIT(s) s, sizeof(s) - 1

/* A list holding one sentinel entry, to show that failed imports leave it. */
static void sentinel_list(struct kb_entries *l)
{
	struct kb_entry e;

	kb_entries_init(l);
	kb_entry_init(&e);
	e.id = xstrdup("sentinel");
	e.answer = xstrdup("unchanged");
	kb_entries_push(l, &e);
}

static void assert_sentinel_only(const struct kb_entries *l)
{
	assert_int_equal(l->n, 1);
	assert_string_equal(l->v[0].id, "sentinel");
	assert_string_equal(l->v[0].answer, "unchanged");
}

/* Imports a fixture that must parse; returns the entries (after the
 * sentinel, which is dropped). */
static void import_ok(const char *path, struct kb_entries *out)
{
	struct lk_err err = { 0 };
	int rc;

	kb_entries_init(out);
	rc = kb_import_file(path, out, &err);
	if (rc)
		fail_msg("%s: %s", path, err.msg);
}

/* Imports a fixture that must fail with `code` and a message containing
 * every one of the NULL-terminated fragments. */
static void import_fails(const char *path, int code, ...)
{
	struct lk_err err = { 0 };
	struct kb_entries l;
	const char *want;
	va_list ap;
	int rc;

	sentinel_list(&l);
	rc = kb_import_file(path, &l, &err);
	if (rc != code)
		fail_msg("%s: rc %d (want %d): %s", path, rc, code, err.msg);
	va_start(ap, code);
	while ((want = va_arg(ap, const char *)) != NULL)
		if (!strstr(err.msg, want))
			fail_msg("%s: message \"%s\" lacks \"%s\"", path, err.msg, want);
	va_end(ap);
	assert_sentinel_only(&l);
	kb_entries_release(&l);
}

/* Same for bytes in memory. */
static void buffer_fails(const char *name, enum kb_format fmt, const char *data,
			 size_t len, const char *want)
{
	struct lk_err err = { 0 };
	struct kb_entries l;
	int rc;

	sentinel_list(&l);
	rc = kb_import_buffer(name, fmt, data, len, &l, &err);
	assert_true(rc < 0);
	if (!strstr(err.msg, want))
		fail_msg("message \"%s\" lacks \"%s\"", err.msg, want);
	assert_sentinel_only(&l);
	kb_entries_release(&l);
}

static const struct kb_entry *find_id(const struct kb_entries *l, const char *id)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->v[i].id, id) == 0)
			return &l->v[i];
	fail_msg("no entry with id \"%s\"", id);
	return NULL;
}

/* ------------------------------------------------------------------ */
/* formats and dispatch                                                */

static void test_format_from_path(void **state)
{
	assert_int_equal(kb_format_from_path("a/faq.jsonl"), KB_FORMAT_JSONL);
	assert_int_equal(kb_format_from_path("faq.CSV"), KB_FORMAT_CSV);
	assert_int_equal(kb_format_from_path("x.md"), KB_FORMAT_MARKDOWN);
	assert_int_equal(kb_format_from_path("x.markdown"), KB_FORMAT_MARKDOWN);
	assert_int_equal(kb_format_from_path("x.htm"), KB_FORMAT_HTML);
	assert_int_equal(kb_format_from_path("x.html"), KB_FORMAT_HTML);
	assert_int_equal(kb_format_from_path("x.txt"), KB_FORMAT_UNKNOWN);
	assert_int_equal(kb_format_from_path(NULL), KB_FORMAT_UNKNOWN);
	assert_string_equal(kb_format_name(KB_FORMAT_CSV), "csv");
	assert_string_equal(kb_format_name(KB_FORMAT_UNKNOWN), "unknown");
}

static void test_missing_and_unknown_files(void **state)
{
	import_fails(DATA "does-not-exist.jsonl", LK_EIO, "does-not-exist.jsonl", NULL);
	import_fails(DATA "README.txt", LK_EUNSUPPORTED, "unknown format", NULL);
	buffer_fails("x", KB_FORMAT_UNKNOWN, "a", 1, "unknown format");
}

static void test_too_big_is_refused(void **state)
{
	struct lk_err err = { 0 };
	struct kb_entries l;

	sentinel_list(&l);
	/* the size is checked before the data is looked at */
	assert_int_equal(kb_import_buffer("big.jsonl", KB_FORMAT_JSONL, "",
					  KB_IMPORT_MAX_FILE + 1, &l, &err),
			 LK_ETOOBIG);
	assert_non_null(strstr(err.msg, "big.jsonl"));
	assert_sentinel_only(&l);
	kb_entries_release(&l);
}

/* ------------------------------------------------------------------ */
/* JSONL                                                               */

static void test_jsonl_good(void **state)
{
	struct kb_entries l;
	const struct kb_entry *e;

	import_ok(DATA "good.jsonl", &l);
	assert_int_equal(l.n, 4);
	e = find_id(&l, "gd-1");
	assert_string_equal(e->question, "Hoe vraag ik een rijbewijs aan?");
	assert_string_equal(e->answer, "Maak een afspraak.\n\nNeem een pasfoto mee.");
	assert_string_equal(e->title, "Rijbewijs aanvragen");
	assert_string_equal(e->url, "https://example.nl/rijbewijs");
	assert_string_equal(e->lang, "nl");
	assert_string_equal(e->tags, "rijbewijs,afspraak");
	e = find_id(&l, "gd-2");
	assert_null(e->question);
	assert_string_equal(e->tags, "openingstijden");
	e = find_id(&l, "42");
	assert_null(e->lang);
	e = find_id(&l, "gd-é");
	assert_string_equal(e->question, "Café’s en terrassen");
	kb_entries_release(&l);

	import_ok(DATA "good-crlf.jsonl", &l);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.v[1].answer, "crlf");
	kb_entries_release(&l);
}

static void test_jsonl_appends_to_existing(void **state)
{
	struct lk_err err = { 0 };
	struct kb_entries l;

	sentinel_list(&l);
	assert_int_equal(kb_import_file(DATA "good.jsonl", &l, &err), 0);
	assert_int_equal(l.n, 5);
	assert_string_equal(l.v[0].id, "sentinel");
	assert_string_equal(l.v[1].id, "gd-1");
	kb_entries_release(&l);
}

static void test_jsonl_bad(void **state)
{
	import_fails(DATA "bad-json.jsonl", LK_EPARSE, "bad-json.jsonl:3: invalid JSON: ",
		     NULL);
	import_fails(DATA "bad-noanswer.jsonl", LK_EPARSE, "bad-noanswer.jsonl:2:", "answer",
		     NULL);
	import_fails(DATA "bad-noid.jsonl", LK_EPARSE, "bad-noid.jsonl:1:", "id", NULL);
	import_fails(DATA "bad-type.jsonl", LK_EPARSE, "bad-type.jsonl:3:", "tags", NULL);
	import_fails(DATA "bad-array.jsonl", LK_EPARSE, "bad-array.jsonl:1:", "object", NULL);
	import_fails(DATA "bad-utf8.jsonl", LK_EPARSE, "bad-utf8.jsonl:2:", NULL);
	import_fails(DATA "bad-longid.jsonl", LK_EPARSE, "bad-longid.jsonl:1:", "256", NULL);
}

static void test_jsonl_field_limit(void **state)
{
	struct buf b;

	buf_init(&b, 0);
	buf_adds(&b, "{\"id\":\"a\",\"answer\":\"ok\"}\n{\"id\":\"b\",\"answer\":\"");
	for (int i = 0; i < 70000; i++)
		buf_addc(&b, 'x');
	buf_adds(&b, "\"}\n");
	buffer_fails("long.jsonl", KB_FORMAT_JSONL, b.ptr, b.len, "long.jsonl:2: answer longer");
	buf_release(&b);
	buffer_fails("nul.jsonl", KB_FORMAT_JSONL, LIT("{\"id\":\"a\",\"answer\":\"a\\u0000b\"}"),
		     "nul.jsonl:1: invalid JSON");
	buffer_fails("ctl.jsonl", KB_FORMAT_JSONL, LIT("{\"id\":\"a\\nb\",\"answer\":\"x\"}"),
		     "ctl.jsonl:1: control character in id");
	buffer_fails("dup.jsonl", KB_FORMAT_JSONL, LIT("{\"id\":\"a\",\"id\":\"b\",\"answer\":\"x\"}"), "dup.jsonl:1: invalid JSON");
}

/* ------------------------------------------------------------------ */
/* CSV                                                                 */

static void test_csv_vac_head(void **state)
{
	struct kb_entries l;
	const struct kb_entry *e;

	import_ok(DATA "vac-head.csv", &l);
	assert_int_equal(l.n, 3);
	e = find_id(&l, "79122ced-6f10-4974-8205-2c43a40fdf7b");
	assert_string_equal(e->question,
			    "Bevat mijn paspoortnummer het cijfer ‘0’ of de letter ’O’?");
	assert_string_equal(e->title, e->question);
	assert_non_null(strstr(e->answer, "komt in het Nederlandse paspoortnummer niet voor."));
	assert_non_null(strstr(e->answer, "\n\nPaspoortnummer invullen\n\n"));
	assert_null(strstr(e->answer, "<p>")); /* not the HTML column */
	assert_string_equal(e->url, "https://www.rijksoverheid.nl/onderwerpen/"
				    "paspoort-en-identiteitskaart/vraag-en-antwoord/"
				    "bevat-mijn-paspoortnummer-het-cijfer-0-of-de-letter-o");
	assert_string_equal(e->lang, "nl");
	assert_string_equal(e->tags, "Paspoort en identiteitskaart");
	kb_entries_release(&l);
}

static void test_csv_quoting_and_crlf(void **state)
{
	struct kb_entries l;
	const struct kb_entry *e;

	import_ok(DATA "good-multiline.csv", &l);
	assert_int_equal(l.n, 3);
	e = find_id(&l, "c-1");
	assert_string_equal(e->answer, "Maak een afspraak.\n\nNeem een pasfoto mee, en uw oude paspoort.");
	assert_string_equal(e->title, "Hoe vraag ik een paspoort aan?");
	assert_string_equal(e->lang, "nl");
	assert_string_equal(e->tags, "paspoort,reizen");
	e = find_id(&l, "c-2");
	assert_string_equal(e->question, "Waar staat \"BRP\" voor?");
	assert_string_equal(e->answer, "De \"Basisregistratie Personen\".");
	assert_string_equal(e->title, "BRP");
	assert_string_equal(e->lang, "nl");
	assert_null(e->url);
	e = find_id(&l, "c-3");
	assert_null(e->question);
	assert_null(e->title);
	assert_null(e->tags);
	kb_entries_release(&l);

	import_ok(DATA "good-generic.csv", &l);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.v[1].answer, "Geen nieuwe regel op het einde");
	kb_entries_release(&l);
}

static void test_csv_bad(void **state)
{
	import_fails(DATA "bad-unterminated.csv", LK_EPARSE,
		     "bad-unterminated.csv:3: unterminated quoted field", NULL);
	import_fails(DATA "bad-nocolumn.csv", LK_EPARSE, "bad-nocolumn.csv:1:",
		     "missing required column", NULL);
	import_fails(DATA "bad-fieldcount.csv", LK_EPARSE, "bad-fieldcount.csv:4:",
		     "expected 3 fields", NULL);
	import_fails(DATA "bad-afterquote.csv", LK_EPARSE, "bad-afterquote.csv:2:", "quote",
		     NULL);
	import_fails(DATA "bad-utf8.csv", LK_EPARSE, "bad-utf8.csv:3: invalid UTF-8", NULL);
	import_fails(DATA "bad-empty.csv", LK_EPARSE, "bad-empty.csv:1:", "header", NULL);
	import_fails(DATA "bad-emptyanswer.csv", LK_EPARSE, "bad-emptyanswer.csv:3:", "answer",
		     NULL);
}

static void test_csv_field_limit(void **state)
{
	struct buf b;

	buf_init(&b, 0);
	buf_adds(&b, "id,answer,notes\na,ok,\nb,ok,\"");
	for (int i = 0; i < 70000; i++)
		buf_adds(&b, i % 100 ? "x" : "\n");
	buf_adds(&b, "\"\n");
	buffer_fails("long.csv", KB_FORMAT_CSV, b.ptr, b.len, "long.csv:3: field 3 longer");
	buf_release(&b);
	buffer_fails("nul.csv", KB_FORMAT_CSV, LIT("id,answer\na,b\0c\n"), "nul.csv:2: NUL");
}

/* ------------------------------------------------------------------ */
/* Markdown                                                            */

static void test_md_good(void **state)
{
	struct kb_entries l;
	const struct kb_entry *e;

	import_ok(DATA "good.md", &l);
	assert_int_equal(l.n, 3);
	e = &l.v[0];
	assert_string_equal(e->id, "good.md#rijbewijs-aanvragen");
	assert_string_equal(e->question, "Rijbewijs aanvragen");
	assert_string_equal(e->title, "Rijbewijs aanvragen");
	assert_string_equal(e->url, "https://www.gemeente-demo.nl/rijbewijs");
	assert_string_equal(e->lang, "nl");
	assert_string_equal(e->answer,
			    "U vraagt een nieuw rijbewijs aan bij de gemeente waar u woont. "
			    "Lees eerst de voorwaarden.\n\n"
			    "Neem mee:\n\n"
			    "- uw oude rijbewijs\n"
			    "- een pasfoto die niet ouder is dan 6 maanden\n"
			    "1. het bewijs van foto\n\n"
			    "Kosten\n\n"
			    "Kijk op https://www.gemeente-demo.nl/kosten voor de kosten van een "
			    "rijbewijs_aanvraag.");
	e = &l.v[1];
	assert_string_equal(e->id, "good.md#rijbewijs-aanvragen-2");
	assert_string_equal(e->answer, "Een tweede sectie met dezelfde kop krijgt een ander id."
				       "\n\ncode_blok  blijft   zoals het is");
	e = &l.v[2];
	assert_string_equal(e->id, "good.md#ca-va-een-cafe");
	assert_string_equal(e->question, "Ça va? Één café");
	assert_string_equal(e->answer, "Tekst *met* een escape.");
	kb_entries_release(&l);

	import_ok(DATA "good-crlf.md", &l);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.v[0].id, "good-crlf.md#een-kop");
	assert_string_equal(l.v[0].answer, "Windows-regels.");
	assert_null(l.v[0].url);
	kb_entries_release(&l);
}

static void test_md_bad(void **state)
{
	struct buf b;

	import_fails(DATA "bad-noheading.md", LK_EPARSE, "bad-noheading.md:", "no sections",
		     NULL);
	import_fails(DATA "bad-frontmatter.md", LK_EPARSE, "bad-frontmatter.md:1:",
		     "front matter", NULL);
	import_fails(DATA "bad-utf8.md", LK_EPARSE, "bad-utf8.md:7: invalid UTF-8", NULL);
	buf_init(&b, 0);
	buf_adds(&b, "# Kort\n\nGoed.\n\n## Lang\n\n");
	for (int i = 0; i < 14000; i++)
		buf_adds(&b, i % 10 ? "woord " : "woord\n");
	buffer_fails("long.md", KB_FORMAT_MARKDOWN, b.ptr, b.len, "long.md:5: section longer");
	buf_release(&b);
}

/* ------------------------------------------------------------------ */
/* HTML                                                                */

static void test_html_faq_page(void **state)
{
	static const char *const ids[] = {
		"faq-page.html#hoe-vraag-ik-een-paspoort-aan",
		"faq-page.html#wat-kost-een-paspoort",
		"faq-page.html#afval",
		"faq-page.html#wanneer-wordt-mijn-container-geleegd",
		"faq-page.html#kan-ik-mijn-verhuizing-online-doorgeven",
		"faq-page.html#hoe-vraag-ik-een-uittreksel-brp-aan",
		"faq-page.html#waar-kan-ik-parkeren",
	};
	struct kb_entries l;
	const struct kb_entry *e;

	import_ok(DATA "faq-page.html", &l);
	assert_int_equal(l.n, sizeof(ids) / sizeof(ids[0]));
	for (size_t i = 0; i < l.n; i++) {
		assert_string_equal(l.v[i].id, ids[i]);
		assert_string_equal(l.v[i].url, "https://www.gemeente-demo.nl/veelgestelde-vragen");
		assert_string_equal(l.v[i].lang, "nl");
		/* nothing from script, style, nav, header, form, aside or footer */
		assert_null(strstr(l.v[i].answer, "dataLayer"));
		assert_null(strstr(l.v[i].answer, "color"));
		assert_null(strstr(l.v[i].answer, "Nieuws"));
		assert_null(strstr(l.v[i].answer, "14 0000"));
	}
	e = &l.v[0];
	assert_string_equal(e->question, "Hoe vraag ik een paspoort aan?");
	assert_string_equal(e->title, e->question);
	assert_string_equal(e->answer, "Maak eerst een afspraak. Neem een pasfoto mee.\n\n"
				       "Lees meer over het paspoort.\n\n"
				       "- Uw oude paspoort\n"
				       "- Een pasfoto\n\n"
				       "U krijgt een sms als het klaar is.");
	/* a section holds its sub-sections, which are entries too */
	assert_string_equal(l.v[2].answer, "Informatie over afval in de gemeente.\n\n"
					   "Wanneer wordt mijn container geleegd?\n\n"
					   "Dat staat in de afvalkalender.");
	assert_string_equal(l.v[4].answer,
			    "Ja, met DigiD.\n\nDat kan tot 4 weken voor de verhuisdatum.");
	assert_string_equal(l.v[6].question, "Waar kan ik parkeren?");
	assert_string_equal(l.v[6].answer, "In de parkeergarage naast het gemeentehuis.\n\n"
					   "- Rijd de garage in.\n- Betaal bij de automaat.");
	kb_entries_release(&l);
}

static void test_html_broken_markup(void **state)
{
	struct kb_entries l;

	import_ok(DATA "good-broken.html", &l);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.v[0].question, "Is deze pagina kapot?");
	assert_string_equal(l.v[0].url, "https://example.nl/kapot");
	assert_null(l.v[0].lang);
	assert_non_null(strstr(l.v[0].answer, "Ja, de tags sluiten niet goed.\n\nToch lukt het."));
	assert_string_equal(l.v[1].answer, "Met een onbekende tag & een entiteit: € 5.");
	kb_entries_release(&l);
}

static void test_html_bad(void **state)
{
	struct buf b;

	import_fails(DATA "bad-noquestions.html", LK_EPARSE, "bad-noquestions.html:",
		     "no questions found", NULL);
	import_fails(DATA "bad-empty.html", LK_EPARSE, "bad-empty.html:", "empty", NULL);
	import_fails(DATA "bad-binary.html", LK_EPARSE, "bad-binary.html:", "binary", NULL);
	buf_init(&b, 0);
	buf_adds(&b, "<html>\n<body>\n<h2>Kort</h2><p>Goed.</p>\n<h3>Lang</h3>\n");
	for (int i = 0; i < 14000; i++)
		buf_adds(&b, "<p>woord</p>\n");
	buffer_fails("long.html", KB_FORMAT_HTML, b.ptr, b.len, "long.html:4:");
	buf_release(&b);
}

/* ------------------------------------------------------------------ */
/* the demo bot's knowledge base                                       */

/* Every knowledge-base file of bots/gemeente-demo/kb imports cleanly (the
 * license note is documentation, not knowledge). */
static void test_demo_bot_kb(void **state)
{
	const char *dir = "bots/gemeente-demo/kb";
	struct dirent *de;
	size_t files = 0;
	DIR *d = opendir(dir);

	assert_non_null(d);
	while ((de = readdir(d)) != NULL) {
		struct lk_err err = { 0 };
		struct kb_entries l;
		struct buf path;

		if (de->d_name[0] == '.' || strncmp(de->d_name, "LICENSE", 7) == 0 ||
		    kb_format_from_path(de->d_name) == KB_FORMAT_UNKNOWN)
			continue;
		buf_init(&path, 4096);
		buf_addf(&path, "%s/%s", dir, de->d_name);
		kb_entries_init(&l);
		if (kb_import_file(path.ptr, &l, &err))
			fail_msg("%s", err.msg);
		assert_true(l.n > 0);
		if (strcmp(de->d_name, "gemeente.jsonl") == 0)
			assert_true(l.n >= 30);
		if (strcmp(de->d_name, "gemeente-en.jsonl") == 0)
			assert_true(l.n >= 10);
		if (strcmp(de->d_name, "rijksoverheid_vacs_bzk.csv") == 0)
			assert_int_equal(l.n, 175);
		for (size_t i = 0; i < l.n; i++) {
			assert_non_null(l.v[i].question);
			assert_non_null(l.v[i].url);
			assert_non_null(l.v[i].lang);
		}
		kb_entries_release(&l);
		buf_release(&path);
		files++;
	}
	closedir(d);
	assert_int_equal(files, 4);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format_from_path),
		cmocka_unit_test(test_missing_and_unknown_files),
		cmocka_unit_test(test_too_big_is_refused),
		cmocka_unit_test(test_jsonl_good),
		cmocka_unit_test(test_jsonl_appends_to_existing),
		cmocka_unit_test(test_jsonl_bad),
		cmocka_unit_test(test_jsonl_field_limit),
		cmocka_unit_test(test_csv_vac_head),
		cmocka_unit_test(test_csv_quoting_and_crlf),
		cmocka_unit_test(test_csv_bad),
		cmocka_unit_test(test_csv_field_limit),
		cmocka_unit_test(test_md_good),
		cmocka_unit_test(test_md_bad),
		cmocka_unit_test(test_html_faq_page),
		cmocka_unit_test(test_html_broken_markup),
		cmocka_unit_test(test_html_bad),
		cmocka_unit_test(test_demo_bot_kb),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
