/* test_text_parse.c - unit tests for the slot parsers (src/text/text_parse*):
 * each parser's forms, its refusals, spans inside sentences, dates against
 * fixed "today"s (year rollover, leap years), odd input and threads. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "text/text_parse.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* A text and what a parser should make of it; want NULL means no match. */
struct kase {
	const char *text;
	const char *want;
};

/* --- dates --- */

/* Today in most date tests: Tuesday 10 March 2026. */
#define TY 2026
#define TM 3
#define TD 10

static void check_date(int y, int m, int d, const struct kase *k, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char out[11];
		int r = text_parse_date(k[i].text, y, m, d, out, NULL, NULL);

		if (!k[i].want) {
			if (r != 0)
				fail_msg("\"%s\": want no date, got %s", k[i].text, out);
			assert_string_equal(out, "");
			continue;
		}
		if (r != 1)
			fail_msg("\"%s\": want %s, got no date", k[i].text, k[i].want);
		if (strcmp(out, k[i].want) != 0)
			fail_msg("\"%s\": want %s, got %s", k[i].text, k[i].want, out);
	}
}

static void test_date_relative_words(void **state)
{
	static const struct kase k[] = {
		{ "vandaag", "2026-03-10" },
		{ "Morgen", "2026-03-11" },
		{ "morgenochtend graag", "2026-03-11" },
		{ "overmorgen", "2026-03-12" },
		{ "gisteren", "2026-03-09" },
		{ "eergisteren", "2026-03-08" },
		{ "vanavond", "2026-03-10" },
		{ "today", "2026-03-10" },
		{ "tomorrow", "2026-03-11" },
		{ "the day after tomorrow", "2026-03-12" },
		{ "yesterday", "2026-03-09" },
		{ "vandaag over een week", "2026-03-17" },
		{ "tot morgen!", "2026-03-11" },
		/* "morgen" as the morning is no date. */
		{ "Goede morgen", NULL },
		{ "in de morgen", NULL },
		{ "goedemorgen", NULL },
	};

	check_date(TY, TM, TD, k, N(k));
}

static void test_date_weekdays(void **state)
{
	/* 10 March 2026 is a Tuesday. */
	static const struct kase k[] = {
		{ "dinsdag", "2026-03-17" }, /* today excluded */
		{ "woensdag", "2026-03-11" },
		{ "maandag", "2026-03-16" },
		{ "zondag", "2026-03-15" },
		{ "volgende dinsdag", "2026-03-17" },
		{ "aanstaande vrijdag", "2026-03-13" },
		{ "komende zaterdag", "2026-03-14" },
		{ "volgende week dinsdag", "2026-03-17" },
		{ "volgende week woensdag", "2026-03-18" },
		{ "dinsdag volgende week", "2026-03-17" },
		{ "volgende week maandag", "2026-03-16" },
		{ "volgende week zondag", "2026-03-22" },
		{ "DONDERDAG", "2026-03-12" },
		{ "vrijdagmiddag", "2026-03-13" },
		{ "next tuesday", "2026-03-17" },
		{ "on friday", "2026-03-13" },
		{ "next week wednesday", "2026-03-18" },
		{ "this thursday", "2026-03-12" },
		{ "volgende week", NULL },
		{ "dinsdagen", NULL },
	};

	check_date(TY, TM, TD, k, N(k));
}

static void test_date_offsets(void **state)
{
	static const struct kase k[] = {
		{ "over 3 dagen", "2026-03-13" },
		{ "over twee weken", "2026-03-24" },
		{ "over een week", "2026-03-17" },
		{ "over één week", "2026-03-17" },
		{ "over een maand", "2026-04-10" },
		{ "over 1 jaar", "2027-03-10" },
		{ "in 3 days", "2026-03-13" },
		{ "in two weeks", "2026-03-24" },
		{ "in a week", "2026-03-17" },
		{ "in de week", NULL },
		{ "over de dagen", NULL },
		{ "over 1000 dagen", NULL },
	};

	check_date(TY, TM, TD, k, N(k));
}

static void test_date_explicit(void **state)
{
	static const struct kase k[] = {
		{ "3 maart", "2027-03-03" }, /* passed this year: next year */
		{ "10 maart", "2026-03-10" }, /* today stays this year */
		{ "11 maart", "2026-03-11" },
		{ "3 maart 2027", "2027-03-03" },
		{ "3 maart 2025", "2025-03-03" },
		{ "maandag 3 maart", "2027-03-03" },
		{ "woensdag, 1 april", "2026-04-01" },
		{ "drie mei", "2026-05-03" },
		{ "3 mrt", "2027-03-03" },
		{ "12 okt.", "2026-10-12" },
		{ "3-3", "2027-03-03" },
		{ "3/4", "2026-04-03" }, /* day first, also in English */
		{ "03-03-2026", "2026-03-03" },
		{ "3/3/26", "2026-03-03" },
		{ "3/3/61", "1961-03-03" },
		{ "3.3.2026", "2026-03-03" },
		{ "2026-03-03", "2026-03-03" },
		{ "March 3", "2027-03-03" },
		{ "March 3rd, 2027", "2027-03-03" },
		{ "3 March", "2027-03-03" },
		{ "the 3rd of March", "2027-03-03" },
		{ "on 20 April 2026", "2026-04-20" },
		{ "3/3", "2027-03-03" },
		{ "1e april", "2026-04-01" },
	};

	check_date(TY, TM, TD, k, N(k));
}

static void test_date_refusals(void **state)
{
	static const struct kase k[] = {
		{ "31 februari", NULL },
		{ "30-02-2026", NULL },
		{ "31/4", NULL },
		{ "29-02-2027", NULL },
		{ "29/2/2100", NULL }, /* 2100 is no leap year */
		{ "32 maart", NULL },
		{ "0 maart", NULL },
		{ "3-13", NULL },
		{ "15.30", NULL }, /* a time */
		{ "3.3", NULL },
		{ "06-12345678", NULL },
		{ "1-2-3-4", NULL },
		{ "2026-13-01", NULL },
		{ "3 maart 1800", "2027-03-03" }, /* the year is out of range, the date is not */
		{ "maart 3", NULL }, /* month first only in English */
		{ "een paspoort", NULL },
		{ "", NULL },
	};

	check_date(TY, TM, TD, k, N(k));
}

static void test_date_rollover_and_leap(void **state)
{
	static const struct kase dec30[] = {
		{ "3 januari", "2027-01-03" },
		{ "over 3 dagen", "2027-01-02" },
		{ "morgen", "2026-12-31" },
		{ "overmorgen", "2027-01-01" },
		{ "maandag", "2027-01-04" }, /* 30 Dec 2026 is a Wednesday */
		{ "volgende week vrijdag", "2027-01-08" },
		{ "31 december", "2026-12-31" },
		{ "30-12", "2026-12-30" },
		{ "29-12", "2027-12-29" },
		{ "over een maand", "2027-01-30" },
	};
	static const struct kase leap[] = {
		{ "29 februari", "2028-02-29" }, /* the next one that exists */
		{ "29-02-2028", "2028-02-29" },
		{ "29/2/2000", "2000-02-29" },
	};
	static const struct kase feb28[] = {
		{ "morgen", "2028-02-29" },
		{ "overmorgen", "2028-03-01" },
		{ "29 februari", "2028-02-29" },
	};
	static const struct kase jan31[] = {
		{ "over een maand", "2026-02-28" }, /* clamped to the month's end */
		{ "over 2 maanden", "2026-03-31" },
	};

	check_date(2026, 12, 30, dec30, N(dec30));
	check_date(2027, 3, 1, leap, N(leap));
	check_date(2028, 2, 28, feb28, N(feb28));
	check_date(2026, 1, 31, jan31, N(jan31));
}

static void assert_span(const char *text, size_t start, size_t end, const char *want)
{
	const char *at = strstr(text, want);

	assert_non_null(at);
	assert_int_equal(start, (size_t)(at - text));
	assert_int_equal(end, start + strlen(want));
}

static void test_date_spans(void **state)
{
	const char *t1 = "ik wil volgende dinsdag om half vier komen";
	const char *t2 = "Één afspraak op 3 maart graag";
	const char *t3 = "\xff\xfe op 3-3 \xc3";
	const char *t4 = "kan het maandag 3 maart of dinsdag?";
	char out[11];
	size_t s = 99, e = 99;

	assert_int_equal(text_parse_date(t1, TY, TM, TD, out, &s, &e), 1);
	assert_string_equal(out, "2026-03-17");
	assert_span(t1, s, e, "volgende dinsdag");
	assert_int_equal(text_parse_date(t2, TY, TM, TD, out, &s, &e), 1);
	assert_span(t2, s, e, "3 maart");
	assert_int_equal(text_parse_date(t3, TY, TM, TD, out, &s, &e), 1);
	assert_span(t3, s, e, "3-3");
	assert_int_equal(text_parse_date(t4, TY, TM, TD, out, &s, &e), 1);
	assert_span(t4, s, e, "maandag 3 maart");
	/* Either pointer may be NULL, and out too. */
	assert_int_equal(text_parse_date(t1, TY, TM, TD, NULL, NULL, &e), 1);
	assert_int_equal(e, strstr(t1, " om") - t1);
	/* No match resets the span. */
	assert_int_equal(text_parse_date("geen datum", TY, TM, TD, out, &s, &e), 0);
	assert_int_equal(s, 0);
	assert_int_equal(e, 0);
	/* An invalid today is refused. */
	assert_int_equal(text_parse_date("morgen", 2026, 2, 30, out, NULL, NULL), 0);
	assert_int_equal(text_parse_date("morgen", 2026, 13, 1, out, NULL, NULL), 0);
}

/* --- times --- */

static void check_time(int office, const struct kase *k, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char out[6];
		int r = text_parse_time(k[i].text, office, out, NULL, NULL);

		if (!k[i].want) {
			if (r != 0)
				fail_msg("\"%s\": want no time, got %s", k[i].text, out);
			continue;
		}
		if (r != 1)
			fail_msg("\"%s\": want %s, got no time", k[i].text, k[i].want);
		if (strcmp(out, k[i].want) != 0)
			fail_msg("\"%s\": want %s, got %s", k[i].text, k[i].want, out);
	}
}

static void test_time_digits(void **state)
{
	static const struct kase k[] = {
		{ "15:30", "15:30" },
		{ "15.30", "15:30" },
		{ "15u30", "15:30" },
		{ "15h30", "15:30" },
		{ "15u", "15:00" },
		{ "15 uur", "15:00" },
		{ "om 9:00", "09:00" },
		{ "03:30", "03:30" }, /* a leading zero is taken as written */
		{ "3:30", "15:30" },
		{ "0:15", "00:15" },
		{ "12:30:45", "12:30" },
		{ "om 3 uur", "15:00" },
		{ "om 8 uur", "08:00" },
		{ "om 3", "15:00" },
		{ "om 7", "19:00" },
		{ "om 8", "08:00" },
		{ "ik kom om 3 langs", "15:00" },
		{ "at 3 o'clock", "15:00" },
		{ "12 uur", "12:00" },
	};

	check_time(1, k, N(k));
}

static void test_time_words(void **state)
{
	static const struct kase k[] = {
		{ "half vier", "15:30" },
		{ "half 4", "15:30" },
		{ "half een", "12:30" },
		{ "half tien", "09:30" },
		{ "kwart over drie", "15:15" },
		{ "kwart voor vier", "15:45" },
		{ "tien over half vier", "15:40" },
		{ "vijf voor half vier", "15:25" },
		{ "twintig over drie", "15:20" },
		{ "om drie uur", "15:00" },
		{ "om een uur", "13:00" },
		{ "kwart over 15", "15:15" },
		{ "half past three", "15:30" },
		{ "quarter past three", "15:15" },
		{ "a quarter to four", "15:45" },
		{ "ten past three", "15:10" },
		{ "noon", "12:00" },
		{ "middernacht", "00:00" },
	};

	check_time(1, k, N(k));
}

static void test_time_parts_of_day(void **state)
{
	static const struct kase k[] = {
		{ "om 3 uur 's middags", "15:00" },
		{ "om 3 uur \xe2\x80\x99s middags", "15:00" },
		{ "om 8 uur 's avonds", "20:00" },
		{ "9 uur s ochtends", "09:00" },
		{ "om 10 uur 's ochtends", "10:00" },
		{ "12 uur 's nachts", "00:00" },
		{ "11 uur 's avonds", "23:00" },
		{ "3 uur smiddags", "15:00" },
		{ "half drie in de middag", "14:30" },
		{ "3 pm", "15:00" },
		{ "3pm", "15:00" },
		{ "3:30 pm", "15:30" },
		{ "3 p.m.", "15:00" },
		{ "7:45 am", "07:45" },
		{ "12 am", "00:00" },
		{ "12 pm", "12:00" },
		{ "at 8 in the evening", "20:00" },
	};

	check_time(0, k, N(k));
}

static void test_time_office_hours_off(void **state)
{
	static const struct kase k[] = {
		{ "om 3 uur", "03:00" },
		{ "half vier", "03:30" },
		{ "3:30", "03:30" },
		{ "15:30", "15:30" },
	};

	check_time(0, k, N(k));
}

static void test_time_refusals(void **state)
{
	static const struct kase k[] = {
		{ "25:00", NULL },
		{ "24:00", NULL },
		{ "12:60", NULL },
		{ "15:3", NULL },
		{ "over 3 uur", NULL }, /* a duration */
		{ "het duurt 2 uur", NULL },
		{ "ik heb een uur", NULL }, /* an hour */
		{ "om 3 dagen", NULL },
		{ "\xe2\x82\xac 15.30", NULL },
		{ "15.30 euro", NULL },
		{ "03.03.2026", NULL },
		{ "1.000", NULL },
		{ "'s middags", NULL },
		{ "half", NULL },
		{ "kwart", NULL },
		{ "3 maart", NULL },
		{ "", NULL },
	};

	check_time(1, k, N(k));
}

static void test_time_spans(void **state)
{
	const char *t1 = "ik wil volgende dinsdag om half vier komen";
	const char *t2 = "2026-03-03 10:00 graag";
	const char *t3 = "Kan het om 3 uur 's middags?";
	char out[6];
	size_t s, e;

	assert_int_equal(text_parse_time(t1, 1, out, &s, &e), 1);
	assert_string_equal(out, "15:30");
	assert_span(t1, s, e, "om half vier");
	assert_int_equal(text_parse_time(t2, 1, out, &s, &e), 1);
	assert_string_equal(out, "10:00");
	assert_span(t2, s, e, "10:00");
	assert_int_equal(text_parse_time(t3, 1, out, &s, &e), 1);
	assert_span(t3, s, e, "om 3 uur 's middags");
	assert_int_equal(text_parse_time(t1, 1, NULL, NULL, NULL), 1);
}

/* --- postcode and house number --- */

static void test_postcode(void **state)
{
	static const struct kase k[] = {
		{ "1234AB", "1234AB" },
		{ "1234 ab", "1234AB" },
		{ "mijn postcode is 1234 AB.", "1234AB" },
		{ "2511 CV Den Haag", "2511CV" },
		{ "in 1990 EN", "1990EN" },
		{ "1234in", "1234IN" },
		{ "9999 zz", "9999ZZ" },
		/* fullwidth digits */
		{ "\xef\xbc\x91\xef\xbc\x92\xef\xbc\x93\xef\xbc\x94" "AB", "1234AB" },
		{ "1234SA", NULL },
		{ "1234 sd", NULL },
		{ "1234ss", NULL },
		{ "0123AB", NULL },
		{ "12345AB", NULL },
		{ "1234ABC", NULL },
		{ "123AB", NULL },
		{ "in 1990 en 2000", NULL },
		{ "1234 in", NULL },
		{ "1234  AB", NULL },
		{ "1.234 AB", NULL },
		{ "", NULL },
	};

	for (size_t i = 0; i < N(k); i++) {
		char out[7] = "xxxxxx";
		int r = text_parse_postcode(k[i].text, out);

		if (!k[i].want) {
			if (r)
				fail_msg("\"%s\": want no postcode, got %s", k[i].text, out);
			assert_string_equal(out, "");
			continue;
		}
		if (!r || strcmp(out, k[i].want) != 0)
			fail_msg("\"%s\": want %s, got %d %s", k[i].text, k[i].want, r, out);
	}
	assert_int_equal(text_parse_postcode("1234AB", NULL), 1);
}

struct house_kase {
	const char *text;
	unsigned number; /* 0: no match */
	const char *letter, *addition;
};

static void test_house_number(void **state)
{
	static const struct house_kase k[] = {
		{ "12", 12, "", "" },
		{ "12a", 12, "A", "" },
		{ "12 A", 12, "A", "" },
		{ "12-2", 12, "", "2" },
		{ "12-hs", 12, "", "HS" },
		{ "12 bis", 12, "", "BIS" },
		{ "12 II", 12, "", "II" },
		{ "nr 12", 12, "", "" },
		{ "nr.12", 12, "", "" },
		{ "#12", 12, "", "" },
		{ "12a-1", 12, "A", "1" },
		{ "12-1hg", 12, "", "1HG" },
		{ "99999", 99999, "", "" },
		{ "huisnummer: 4b", 4, "B", "" },
		{ "1234 AB 12", 12, "", "" },
		{ "1234AB, nr 12", 12, "", "" },
		{ "Kerkstraat 12a, 1234 AB Utrecht", 12, "A", "" },
		{ "ik ben 45 jaar en woon op Kerkstraat 12", 12, "", "" },
		{ "het is 7 hoor", 7, "", "" },
		{ "12 a, dank u", 12, "A", "" },
		{ "het is 12 a in utrecht", 12, "", "" },
		{ "12 - dank u", 12, "", "" },
		{ "012", 0, NULL, NULL },
		{ "100000", 0, NULL, NULL },
		{ "0", 0, NULL, NULL },
		{ "om 15:30", 0, NULL, NULL },
		{ "3-3-2026", 0, NULL, NULL },
		{ "1234AB", 0, NULL, NULL },
		{ "12-12345", 0, NULL, NULL },
		{ "\xe2\x82\xac 12", 0, NULL, NULL },
		{ "ik ben 45 jaar", 0, NULL, NULL },
		{ "geen nummer", 0, NULL, NULL },
		{ "", 0, NULL, NULL },
	};

	for (size_t i = 0; i < N(k); i++) {
		struct text_house_number h;
		int r = text_parse_house_number(k[i].text, &h);

		if (!k[i].number) {
			if (r)
				fail_msg("\"%s\": want none, got %u", k[i].text, h.number);
			assert_int_equal(h.number, 0);
			assert_string_equal(h.letter, "");
			assert_string_equal(h.addition, "");
			continue;
		}
		if (!r)
			fail_msg("\"%s\": want %u, got none", k[i].text, k[i].number);
		assert_int_equal(h.number, k[i].number);
		assert_string_equal(h.letter, k[i].letter);
		assert_string_equal(h.addition, k[i].addition);
	}
	assert_int_equal(text_parse_house_number("12", NULL), 1);
}

/* --- identifiers --- */

static void check_str(int (*fn)(const char *, char *, size_t), const struct kase *k, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char out[300];
		int r = fn(k[i].text, out, sizeof(out));

		if (!k[i].want) {
			if (r)
				fail_msg("\"%s\": want none, got %s", k[i].text, out);
			assert_string_equal(out, "");
			continue;
		}
		if (!r || strcmp(out, k[i].want) != 0)
			fail_msg("\"%s\": want %s, got %d \"%s\"", k[i].text, k[i].want, r, out);
	}
}

static int bsn(const char *text, char *out, size_t size)
{
	assert_true(size >= 10);
	return text_parse_bsn(text, out);
}

static void test_bsn(void **state)
{
	static const struct kase k[] = {
		{ "123456782", "123456782" },
		{ "111222333", "111222333" },
		{ "123 456 782", "123456782" },
		{ "123.456.782", "123456782" },
		{ "bsn: 1234-56-782", "123456782" },
		{ "mijn BSN is 111 222 333, klopt dat?", "111222333" },
		{ "12345672", "012345672" }, /* eight digits get a leading 0 */
		{ "ik ben 45 123456782", "123456782" },
		{ "123456783", NULL }, /* elfproef */
		{ "123456781", NULL },
		{ "000000000", NULL },
		{ "12345678", NULL },
		{ "1234 5672", NULL }, /* eight digits only when written together */
		{ "1234567820", NULL },
		{ "12345678 2", "123456782" }, /* groups of any size */
		{ "06 12345678", NULL },
		{ "+31 612345678", NULL },
		{ "NL91ABNA0417164300", NULL },
		{ "a123456782", NULL },
		{ "123456782b", NULL },
		{ "123456782,5", NULL },
		{ "03-03-2026", NULL },
		{ "", NULL },
	};

	check_str(bsn, k, N(k));
}

static void test_email(void **state)
{
	static const struct kase k[] = {
		{ "jan@example.nl", "jan@example.nl" },
		{ "Mail: Jan.Jansen@Example.NL.", "Jan.Jansen@example.nl" },
		{ "'jan@x.nl'", "jan@x.nl" },
		{ "<jan@x.nl>", "jan@x.nl" },
		{ "(jan@x.nl)", "jan@x.nl" },
		{ "user+tag@gmail.com, bedankt", "user+tag@gmail.com" },
		{ "jan@sub.domain.co.uk", "jan@sub.domain.co.uk" },
		{ "o'brien@x.ie", "o'brien@x.ie" },
		{ "a!#$%&*+/=?^_`{|}~-@x.nl", "a!#$%&*+/=?^_`{|}~-@x.nl" },
		{ "jan@xn--bcher-kva.de", "jan@xn--bcher-kva.de" },
		{ "a@b", NULL },
		{ "jan@localhost", NULL },
		{ "jan..x@y.nl", NULL },
		{ "jan.@y.nl", NULL },
		{ "jan@-x.nl", NULL },
		{ "jan@x-.nl", NULL },
		{ "jan@x..nl", NULL },
		{ "jan@x.n", NULL },
		{ "jan@x.12", NULL },
		{ "jan@x.nl-", NULL },
		{ "a@b@c.nl", NULL },
		{ "jos\xc3\xa9@x.nl", NULL },
		{ "jan@x.nl_", NULL },
		{ "@x.nl", NULL },
		{ "jan @x.nl", NULL },
		{ "", NULL },
	};
	char local[80], addr[400], out[16];

	check_str(text_parse_email, k, N(k));
	/* Local part: 64 characters at most; labels 63; the whole 254. */
	memset(local, 'a', 65);
	local[65] = '\0';
	snprintf(addr, sizeof(addr), "%s@x.nl", local);
	assert_int_equal(text_parse_email(addr, NULL, 0), 0);
	snprintf(addr, sizeof(addr), "%s@x.nl", local + 1);
	assert_int_equal(text_parse_email(addr, NULL, 0), 1);
	memcpy(addr, "j@", 2);
	memset(addr + 2, 'b', 63);
	memcpy(addr + 65, ".nl", 4);
	assert_int_equal(text_parse_email(addr, NULL, 0), 1);
	memset(addr + 2, 'b', 64);
	memcpy(addr + 66, ".nl", 4);
	assert_int_equal(text_parse_email(addr, NULL, 0), 0);
	/* An address that does not fit is no match, and out stays a string. */
	assert_int_equal(text_parse_email("jan.jansen@example.nl", out, sizeof(out)), 0);
	assert_string_equal(out, "");
	assert_int_equal(text_parse_email("jan@x.nl", out, 9), 1);
	assert_string_equal(out, "jan@x.nl");
	assert_int_equal(text_parse_email("jan@x.nl", out, 8), 0);
}

static void test_email_total_length(void **state)
{
	char addr[300];
	size_t n = 0;

	/* 64 + 1 + 189 = 254: accepted; one more label character is too long. */
	memset(addr, 'a', 64);
	n = 64;
	addr[n++] = '@';
	for (int l = 0; l < 3; l++) {
		memset(addr + n, 'b', 60);
		n += 60;
		addr[n++] = '.';
	}
	memcpy(addr + n, "abcdef", 6);
	n += 6;
	addr[n] = '\0';
	assert_int_equal(n, 254);
	assert_int_equal(text_parse_email(addr, NULL, 0), 1);
	memcpy(addr + n, "g", 2);
	assert_int_equal(text_parse_email(addr, NULL, 0), 0);
}

static void test_phone(void **state)
{
	static const struct kase k[] = {
		{ "06-12345678", "+31612345678" },
		{ "06 1234 5678", "+31612345678" },
		{ "06 12 34 56 78", "+31612345678" },
		{ "+31 6 12345678", "+31612345678" },
		{ "+31612345678", "+31612345678" },
		{ "0031612345678", "+31612345678" },
		{ "+31 (0)6 12345678", "+31612345678" },
		{ "tel:+31612345678", "+31612345678" },
		{ "0612345678", "+31612345678" },
		{ "010-1234567", "+31101234567" },
		{ "020 123 4567", "+31201234567" },
		{ "(020) 123 4567", "+31201234567" },
		{ "0111-123456", "+31111123456" },
		{ "0031 20 123 4567", "+31201234567" },
		{ "085-1234567", "+31851234567" },
		{ "088 123 4567", "+31881234567" },
		{ "0800-1234", "+318001234" },
		{ "0800-1234567", "+318001234567" },
		{ "0900 1234567", "+319001234567" },
		{ "bel me op 06-12345678 na 5 uur", "+31612345678" },
		{ "bel 06 12345678 om 12:00", "+31612345678" },
		{ "ik ben 45 06 12345678", "+31612345678" },
		{ "06 12345678 9", "+31612345678" },
		{ "06-1234567", NULL }, /* nine digits */
		{ "06-123456789", NULL },
		{ "020-123456", NULL },
		{ "0800-123", NULL },
		{ "0800-12345678", NULL },
		{ "+32 2 123 45 67", NULL },
		{ "612345678", NULL },
		{ "06-61234567", NULL },
		{ "097 123456789", NULL },
		{ "00612345678", NULL },
		{ "0612345678abc", NULL },
		{ "123456782", NULL },
		{ "", NULL },
	};
	char out[12];

	check_str(text_parse_phone_nl, k, N(k));
	assert_int_equal(text_parse_phone_nl("06-12345678", out, sizeof(out)), 0);
	assert_string_equal(out, "");
	assert_int_equal(text_parse_phone_nl("06-12345678", NULL, 0), 1);
}

static void test_iban(void **state)
{
	static const struct kase k[] = {
		{ "NL91ABNA0417164300", "NL91ABNA0417164300" },
		{ "nl91 abna 0417 1643 00", "NL91ABNA0417164300" },
		{ "mijn rekening is NL91 ABNA 0417 1643 00 en verder niets",
		  "NL91ABNA0417164300" },
		{ "IBAN: NL91ABNA0417164300.", "NL91ABNA0417164300" },
		{ "DE89370400440532013000", "DE89370400440532013000" },
		{ "DE89 3704 0044 0532 0130 00", "DE89370400440532013000" },
		{ "BE68539007547034", "BE68539007547034" },
		{ "GB29NWBK60161331926819", "GB29NWBK60161331926819" },
		{ "FR1420041010050500013M02606", "FR1420041010050500013M02606" },
		{ "NO9386011117947", "NO9386011117947" },
		{ "MT84MALT011000012345MTLCAST001S", "MT84MALT011000012345MTLCAST001S" },
		{ "NL92ABNA0417164300", NULL }, /* check digits */
		{ "NL91ABNA0417164301", NULL },
		{ "NL91ABNA04171643001", NULL }, /* too long */
		{ "NL91ABNA041716430", NULL },   /* too short */
		{ "XX91ABNA0417164300", NULL },  /* unknown country */
		{ "NL91 1234 0417 1643 00", NULL },
		{ "ikNL91ABNA0417164300", NULL },
		{ "NL91ABNA0417164300x", NULL },
		{ "NL91  ABNA0417164300", NULL },
		{ "", NULL },
	};
	char out[18];

	check_str(text_parse_iban, k, N(k));
	assert_int_equal(text_parse_iban("NL91ABNA0417164300", out, sizeof(out)), 0);
	assert_string_equal(out, "");
}

static void test_kenteken(void **state)
{
	static const struct kase k[] = {
		{ "AB-12-34", "AB-12-34" },  /* 1 */
		{ "12-34-AB", "12-34-AB" },  /* 2 */
		{ "12-AB-34", "12-AB-34" },  /* 3 */
		{ "AB-12-CD", "AB-12-CD" },  /* 4 */
		{ "AB-CD-12", "AB-CD-12" },  /* 5 */
		{ "12-AB-CD", "12-AB-CD" },  /* 6 */
		{ "12-ABC-3", "12-ABC-3" },  /* 7 */
		{ "1-ABC-23", "1-ABC-23" },  /* 8 */
		{ "AB-123-C", "AB-123-C" },  /* 9 */
		{ "A-123-BC", "A-123-BC" },  /* 10 */
		{ "ABC-12-D", "ABC-12-D" },  /* 11 */
		{ "A-12-BCD", "A-12-BCD" },  /* 12 */
		{ "1-AB-234", "1-AB-234" },  /* 13 */
		{ "123-AB-4", "123-AB-4" },  /* 14 */
		{ "ab12cd", "AB-12-CD" },
		{ "12abc3", "12-ABC-3" },
		{ "mijn kenteken is 12-abc-3.", "12-ABC-3" },
		{ "1234AB", "12-34-AB" }, /* reads as sidecode 2 */
		{ "AB-1234", NULL },
		{ "AB12-CD", NULL },
		{ "AB--12CD", NULL },
		{ "AB-12-CD-34", NULL },
		{ "ABC123", NULL },
		{ "12-34-56", NULL },
		{ "AB-12-C", NULL },
		{ "xAB-12-CD", NULL },
		{ "AB-12-CD-", NULL },
		{ "", NULL },
	};

	check_str(text_parse_kenteken, k, N(k));
}

/* --- answers --- */

struct int_kase {
	const char *text;
	int want;
};

static void test_yes_no(void **state)
{
	static const struct int_kase k[] = {
		{ "ja", 1 },
		{ "Ja!", 1 },
		{ "jazeker", 1 },
		{ "klopt", 1 },
		{ "dat klopt", 1 },
		{ "prima", 1 },
		{ "goed", 1 },
		{ "is goed", 1 },
		{ "oké", 1 },
		{ "OK", 1 },
		{ "yes", 1 },
		{ "yep", 1 },
		{ "sure", 1 },
		{ "correct", 1 },
		{ "ja dat klopt", 1 },
		{ "ja, graag", 1 },
		{ "Yes please", 1 },
		{ "geen probleem", 1 },
		{ "doe maar", 1 },
		{ "ik denk het wel", 1 },
		{ "that's right", 1 },
		{ "\xf0\x9f\x91\x8d", 1 },
		{ "ja, en ik wil ook weten hoe laat jullie open zijn", 1 },
		{ "nee", 0 },
		{ "neen", 0 },
		{ "Nee.", 0 },
		{ "niet", 0 },
		{ "klopt niet", 0 },
		{ "nee dat klopt niet", 0 },
		{ "niet goed", 0 },
		{ "niet helemaal juist", 0 },
		{ "liever niet", 0 },
		{ "no", 0 },
		{ "nope", 0 },
		{ "no thanks", 0 },
		{ "not really", 0 },
		{ "I don't think so", 0 },
		{ "ik denk het niet", 0 },
		{ "fout", 0 },
		{ "\xf0\x9f\x91\x8e\xf0\x9f\x8f\xbd", 0 },
		{ "ja nee", -1 },
		{ "ja, dat klopt niet", -1 },
		{ "misschien", -1 },
		{ "ik weet het niet", -1 },
		{ "geen idee", -1 },
		{ "not sure", -1 },
		{ "ik wil graag een paspoort", -1 },
		{ "goedemorgen", -1 },
		{ "wat kost een paspoort?", -1 },
		{ "", -1 },
		{ "   ", -1 },
		{ "?!", -1 },
	};

	for (size_t i = 0; i < N(k); i++) {
		int r = text_parse_yes_no(k[i].text);

		if (r != k[i].want)
			fail_msg("\"%s\": want %d, got %d", k[i].text, k[i].want, r);
	}
	assert_int_equal(text_parse_yes_no(NULL), -1);
}

static void test_command(void **state)
{
	static const struct int_kase k[] = {
		{ "stop", TEXT_CMD_CANCEL },
		{ "Stop!", TEXT_CMD_CANCEL },
		{ "annuleer", TEXT_CMD_CANCEL },
		{ "annuleren", TEXT_CMD_CANCEL },
		{ "Ik wil stoppen.", TEXT_CMD_CANCEL },
		{ "cancel", TEXT_CMD_CANCEL },
		{ "QUIT", TEXT_CMD_CANCEL },
		{ "stop maar", TEXT_CMD_CANCEL },
		{ "nee, stop", TEXT_CMD_CANCEL },
		{ "laat maar", TEXT_CMD_CANCEL },
		{ "terug", TEXT_CMD_BACK },
		{ "vorige", TEXT_CMD_BACK },
		{ "ga terug", TEXT_CMD_BACK },
		{ "back", TEXT_CMD_BACK },
		{ "go back please", TEXT_CMD_BACK },
		{ "terug graag", TEXT_CMD_BACK },
		{ "opnieuw", TEXT_CMD_RESTART },
		{ "Opnieuw beginnen alsjeblieft", TEXT_CMD_RESTART },
		{ "start over", TEXT_CMD_RESTART },
		{ "restart", TEXT_CMD_RESTART },
		{ "ik wil terug naar Nederland", TEXT_CMD_NONE },
		{ "hoe stop ik mijn abonnement", TEXT_CMD_NONE },
		{ "stopcontact", TEXT_CMD_NONE },
		{ "ok", TEXT_CMD_NONE },
		{ "graag", TEXT_CMD_NONE },
		{ "", TEXT_CMD_NONE },
	};

	for (size_t i = 0; i < N(k); i++) {
		enum text_cmd r = text_parse_command(k[i].text);

		if ((int)r != k[i].want)
			fail_msg("\"%s\": want %d, got %d", k[i].text, k[i].want, (int)r);
	}
	assert_int_equal(text_parse_command(NULL), TEXT_CMD_NONE);
}

static const char *const opt0[] = { "Paspoort", "passport" };
static const char *const opt1[] = { "Rijbewijs", "driving licence", "rijbewijs aanvragen" };
static const char *const opt2[] = { "Rijbewijs verlengen", "id-kaart", "identiteitskaart" };
static const struct text_choice opts[] = {
	{ "paspoort", opt0, N(opt0) },
	{ "rijbewijs", opt1, N(opt1) },
	{ "verlengen", opt2, N(opt2) },
};

static void test_choice(void **state)
{
	static const struct int_kase k[] = {
		{ "2", 1 },
		{ "2.", 1 },
		{ "twee", 1 },
		{ "de tweede", 1 },
		{ "de 2e graag", 1 },
		{ "second", 1 },
		{ "the 2nd one", 1 },
		{ "nummer 2", 1 },
		{ "optie drie", 2 },
		{ "de laatste", 2 },
		{ "paspoort", 0 },
		{ "PASPOORT", 0 },
		{ "ik wil een paspoort aanvragen", 0 },
		{ "Passport please", 0 },
		{ "DRIVING LICENCE", 1 },
		{ "rijbewijs verlengen", 2 }, /* the longer label wins */
		{ "mijn rijbewijs verlengen aub", 2 },
		{ "id kaart", 2 },
		{ "id-kaart", 2 },
		{ "identiteitskaart", 2 },
		{ "verlengen", 2 }, /* the value */
		{ "paspo", 0 },     /* unique prefix */
		{ "identiteit", 2 },
		{ "pasport", 0 },   /* one typo */
		{ "paspoort of rijbewijs", -1 },
		{ "rijbewjis", -1 }, /* a typo of a word in two options */
		{ "rijb", -1 },     /* a prefix of two */
		{ "4", -1 },
		{ "de vijfde", -1 },
		{ "pas", -1 },      /* under four characters */
		{ "voor", -1 },     /* a stopword */
		{ "niks", -1 },
		{ "", -1 },
	};
	static const char *const ja_labels[] = { "Ja, graag" };
	static const struct text_choice odd[] = {
		{ NULL, ja_labels, 1 },
		{ "", NULL, 0 },
	};

	for (size_t i = 0; i < N(k); i++) {
		int r = text_parse_choice(k[i].text, opts, N(opts));

		if (r != k[i].want)
			fail_msg("\"%s\": want %d, got %d", k[i].text, k[i].want, r);
	}
	assert_int_equal(text_parse_choice("2", opts, 0), -1);
	assert_int_equal(text_parse_choice("2", NULL, 3), -1);
	assert_int_equal(text_parse_choice("2", opts, TEXT_CHOICE_MAX + 1), -1);
	assert_int_equal(text_parse_choice(NULL, opts, N(opts)), -1);
	assert_int_equal(text_parse_choice("ja graag", odd, N(odd)), 0);
	assert_int_equal(text_parse_choice("2", odd, N(odd)), 1);
}

/* --- odd input --- */

static void test_odd_input(void **state)
{
	char *big = malloc(TEXT_PARSE_MAX_INPUT + 2);
	char out[300];
	struct text_house_number h;
	size_t s, e;

	assert_non_null(big);
	/* 4 KB of digits: examined, no match anywhere. */
	memset(big, '1', TEXT_PARSE_MAX_INPUT);
	big[TEXT_PARSE_MAX_INPUT] = '\0';
	assert_int_equal(text_parse_date(big, TY, TM, TD, out, &s, &e), 0);
	assert_int_equal(text_parse_time(big, 1, out, &s, &e), 0);
	assert_int_equal(text_parse_postcode(big, out), 0);
	assert_int_equal(text_parse_house_number(big, &h), 0);
	assert_int_equal(text_parse_bsn(big, out), 0);
	assert_int_equal(text_parse_phone_nl(big, out, sizeof(out)), 0);
	assert_int_equal(text_parse_iban(big, out, sizeof(out)), 0);
	assert_int_equal(text_parse_kenteken(big, out, sizeof(out)), 0);
	assert_int_equal(text_parse_yes_no(big), -1);
	assert_int_equal(text_parse_choice(big, opts, N(opts)), -1);
	/* 4096 bytes with a date at the end are read; one byte more is refused. */
	memset(big, ' ', TEXT_PARSE_MAX_INPUT);
	memcpy(big + TEXT_PARSE_MAX_INPUT - 6, "morgen", 6);
	assert_int_equal(text_parse_date(big, TY, TM, TD, out, &s, &e), 1);
	assert_int_equal(s, TEXT_PARSE_MAX_INPUT - 6);
	assert_int_equal(e, TEXT_PARSE_MAX_INPUT);
	big[TEXT_PARSE_MAX_INPUT] = ' ';
	big[TEXT_PARSE_MAX_INPUT + 1] = '\0';
	assert_int_equal(text_parse_date(big, TY, TM, TD, out, &s, &e), 0);
	assert_int_equal(text_parse_yes_no("ja"), 1);
	free(big);

	/* NULL, empty and invalid UTF-8. */
	assert_int_equal(text_parse_date(NULL, TY, TM, TD, out, &s, &e), 0);
	assert_int_equal(text_parse_time(NULL, 1, out, &s, &e), 0);
	assert_int_equal(text_parse_postcode(NULL, out), 0);
	assert_int_equal(text_parse_house_number(NULL, &h), 0);
	assert_int_equal(text_parse_bsn(NULL, out), 0);
	assert_int_equal(text_parse_email(NULL, out, sizeof(out)), 0);
	assert_int_equal(text_parse_phone_nl(NULL, out, sizeof(out)), 0);
	assert_int_equal(text_parse_iban(NULL, out, sizeof(out)), 0);
	assert_int_equal(text_parse_kenteken(NULL, out, sizeof(out)), 0);
	assert_int_equal(text_parse_email("", out, sizeof(out)), 0);
	assert_int_equal(text_parse_postcode("\xff\xfe\xc0\xaf", out), 0);
	assert_int_equal(text_parse_postcode("\xc0\xaf" "1234AB\xed\xa0\x80", out), 1);
	assert_string_equal(out, "1234AB");
	assert_int_equal(text_parse_time("\xe2\x80 om 3 uur", 1, out, &s, &e), 1);
	assert_int_equal(s, 3);
	assert_int_equal(text_parse_yes_no("\xff" "ja" "\xff"), 1);
	/* Outputs of size 0 or 1 stay valid. */
	assert_int_equal(text_parse_iban("NL91ABNA0417164300", out, 0), 0);
	out[0] = 'x';
	assert_int_equal(text_parse_kenteken("AB-12-CD", out, 1), 0);
	assert_int_equal(out[0], '\0');
}

/* A code point that folds to many (U+FDFA) must not overrun anything. */
static void test_long_expansions(void **state)
{
	char text[TEXT_PARSE_MAX_INPUT + 1];
	size_t n = 0;

	while (n + 3 <= TEXT_PARSE_MAX_INPUT - 8) {
		memcpy(text + n, "\xef\xb7\xba", 3);
		n += 3;
	}
	memcpy(text + n, " morgen", 7);
	text[n + 7] = '\0';
	/* The fold is cut at a bound, so the date at the end may be lost; it
	 * must just not crash or read out of bounds. */
	(void)text_parse_date(text, TY, TM, TD, NULL, NULL, NULL);
	assert_int_equal(text_parse_bsn(text, NULL), 0);
	assert_int_equal(text_parse_yes_no(text), -1);
}

/* --- threads --- */

static void *parse_thread(void *arg)
{
	int *bad = arg;

	for (int i = 0; i < 300; i++) {
		char out[64];

		if (!text_parse_date("volgende week dinsdag", TY, TM, TD, out, NULL, NULL) ||
		    strcmp(out, "2026-03-17") != 0)
			(*bad)++;
		if (!text_parse_time("kwart over drie", 1, out, NULL, NULL) ||
		    strcmp(out, "15:15") != 0)
			(*bad)++;
		if (!text_parse_iban("NL91 ABNA 0417 1643 00", out, sizeof(out)))
			(*bad)++;
		if (text_parse_choice("pasport", opts, N(opts)) != 0)
			(*bad)++;
	}
	return NULL;
}

static void test_threads(void **state)
{
	pthread_t t[4];
	int bad[4] = { 0, 0, 0, 0 };

	for (int i = 0; i < 4; i++)
		assert_int_equal(pthread_create(&t[i], NULL, parse_thread, &bad[i]), 0);
	for (int i = 0; i < 4; i++) {
		assert_int_equal(pthread_join(t[i], NULL), 0);
		assert_int_equal(bad[i], 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_date_relative_words),
		cmocka_unit_test(test_date_weekdays),
		cmocka_unit_test(test_date_offsets),
		cmocka_unit_test(test_date_explicit),
		cmocka_unit_test(test_date_refusals),
		cmocka_unit_test(test_date_rollover_and_leap),
		cmocka_unit_test(test_date_spans),
		cmocka_unit_test(test_time_digits),
		cmocka_unit_test(test_time_words),
		cmocka_unit_test(test_time_parts_of_day),
		cmocka_unit_test(test_time_office_hours_off),
		cmocka_unit_test(test_time_refusals),
		cmocka_unit_test(test_time_spans),
		cmocka_unit_test(test_postcode),
		cmocka_unit_test(test_house_number),
		cmocka_unit_test(test_bsn),
		cmocka_unit_test(test_email),
		cmocka_unit_test(test_email_total_length),
		cmocka_unit_test(test_phone),
		cmocka_unit_test(test_iban),
		cmocka_unit_test(test_kenteken),
		cmocka_unit_test(test_yes_no),
		cmocka_unit_test(test_command),
		cmocka_unit_test(test_choice),
		cmocka_unit_test(test_odd_input),
		cmocka_unit_test(test_long_expansions),
		cmocka_unit_test(test_threads),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
