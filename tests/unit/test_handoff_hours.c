/* test_handoff_hours.c - unit tests for office hours (src/handoff/handoff_hours)
 * and the Amsterdam UTC offset (src/core/clock): open and closed across a
 * week, a lunch break, 24:00, holidays, the summer-time switch days, and the
 * next opening. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/clock.h"
#include "core/err.h"
#include "handoff/handoff_config.h"
#include "handoff/handoff_hours.h"

static const char *const langs[] = {"nl", "en"};

#define NAME(x) "\"name\": {\"nl\": \"" x "\", \"en\": \"" x "\"}"

static const char *const hours_json =
	"{\"holidays\": [\"2026-12-25\", \"2026-12-26\", \"2027-01-01\"],"
	" \"teams\": ["
	"  {\"id\": \"office\", " NAME("Office") ","
	"   \"hours\": {\"mon\": \"08:30-17:00\", \"tue\": \"08:30-12:00,13:00-17:00\","
	"    \"wed\": \"08:30-17:00\", \"thu\": \"08:30-20:00\", \"fri\": \"08:30-17:00\","
	"    \"sat\": \"closed\"},"
	"   \"holidays\": [\"2026-12-24\"]},"
	"  {\"id\": \"nacht\", " NAME("Nacht") ","
	"   \"hours\": {\"sun\": \"00:00-24:00\", \"mon\": \"22:00-24:00\"}},"
	"  {\"id\": \"altijd\", " NAME("Altijd") "},"
	"  {\"id\": \"nooit\", " NAME("Nooit") ", \"hours\": {}},"
	"  {\"id\": \"vroeg\", " NAME("Vroeg") ", \"hours\": {\"sun\": \"02:30-04:00\"}},"
	"  {\"id\": \"zelden\", " NAME("Zelden") ", \"hours\": {\"wed\": \"10:00-11:00\"},"
	"   \"holidays\": [\"2026-03-04\", \"2026-03-11\"]}"
	" ]}";

static struct handoff_config *cfg;

static int setup(void **state)
{
	struct lk_err err = {0};
	json_t *j = json_loads(hours_json, 0, NULL);
	int rc;

	(void)state;
	if (!j)
		return -1;
	rc = handoff_config_load(&cfg, j, "bot.yaml", langs, 2, &err);
	if (rc)
		fprintf(stderr, "%s\n", err.msg);
	json_decref(j);
	return rc;
}

static int teardown(void **state)
{
	(void)state;
	handoff_config_free(cfg);
	cfg = NULL;
	return 0;
}

/* Unix seconds of a local wall-clock time with the given UTC offset (hours). */
static int64_t at(int y, int mo, int d, int h, int mi, int off_h)
{
	struct tm tm = {0};

	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	return (int64_t)timegm(&tm) - off_h * 3600;
}

/* Winter (CET, +1) and summer (CEST, +2) local times. */
#define CET(y, mo, d, h, mi) at(y, mo, d, h, mi, 1)
#define CEST(y, mo, d, h, mi) at(y, mo, d, h, mi, 2)
#define UTC(y, mo, d, h, mi) at(y, mo, d, h, mi, 0)

static int open_(const char *team, int64_t t)
{
	return handoff_team_open(cfg, team, t);
}

static void test_amsterdam_offset(void **state)
{
	(void)state;
	assert_int_equal(lk_amsterdam_offset(UTC(2026, 1, 15, 12, 0)), 3600);
	assert_int_equal(lk_amsterdam_offset(UTC(2026, 7, 15, 12, 0)), 7200);
	/* last Sunday of March 2026 (29th), 01:00 UTC */
	assert_int_equal(lk_amsterdam_offset(UTC(2026, 3, 29, 1, 0) - 1), 3600);
	assert_int_equal(lk_amsterdam_offset(UTC(2026, 3, 29, 1, 0)), 7200);
	/* last Sunday of October 2026 (25th), 01:00 UTC */
	assert_int_equal(lk_amsterdam_offset(UTC(2026, 10, 25, 1, 0) - 1), 7200);
	assert_int_equal(lk_amsterdam_offset(UTC(2026, 10, 25, 1, 0)), 3600);
	/* 2027: 28 March and 31 October */
	assert_int_equal(lk_amsterdam_offset(UTC(2027, 3, 28, 1, 0)), 7200);
	assert_int_equal(lk_amsterdam_offset(UTC(2027, 3, 27, 12, 0)), 3600);
	assert_int_equal(lk_amsterdam_offset(UTC(2027, 10, 31, 0, 59)), 7200);
	assert_int_equal(lk_amsterdam_offset(UTC(2027, 10, 31, 1, 0)), 3600);
}

static void test_week(void **state)
{
	(void)state;
	/* Monday 2 March 2026 (winter time) */
	assert_false(open_("office", CET(2026, 3, 2, 8, 29)));
	assert_true(open_("office", CET(2026, 3, 2, 8, 30)));
	assert_true(open_("office", CET(2026, 3, 2, 16, 59)));
	assert_false(open_("office", CET(2026, 3, 2, 17, 0)));
	/* Tuesday: lunch break */
	assert_true(open_("office", CET(2026, 3, 3, 11, 59)));
	assert_false(open_("office", CET(2026, 3, 3, 12, 0)));
	assert_false(open_("office", CET(2026, 3, 3, 12, 59)));
	assert_true(open_("office", CET(2026, 3, 3, 13, 0)));
	/* Wednesday; Thursday until 20:00 */
	assert_true(open_("office", CET(2026, 3, 4, 10, 0)));
	assert_true(open_("office", CET(2026, 3, 5, 19, 59)));
	assert_false(open_("office", CET(2026, 3, 5, 20, 0)));
	/* Friday; Saturday closed; Sunday not listed */
	assert_true(open_("office", CET(2026, 3, 6, 16, 0)));
	assert_false(open_("office", CET(2026, 3, 6, 17, 30)));
	assert_false(open_("office", CET(2026, 3, 7, 10, 0)));
	assert_false(open_("office", CET(2026, 3, 8, 10, 0)));
	/* unknown team, no config */
	assert_false(open_("nope", CET(2026, 3, 2, 10, 0)));
	assert_false(open_(NULL, CET(2026, 3, 2, 10, 0)));
	assert_false(handoff_team_open(NULL, "office", CET(2026, 3, 2, 10, 0)));
	/* out of range moments are closed, and do not overflow */
	assert_false(open_("altijd", INT64_MAX));
	assert_false(open_("altijd", INT64_MIN));
	assert_int_equal(handoff_team_next_open(cfg, "altijd", INT64_MAX), 0);
	assert_int_equal(handoff_team_next_open(cfg, "altijd", INT64_MIN), 0);
}

static void test_24_00(void **state)
{
	(void)state;
	/* Sunday 00:00-24:00; Monday 22:00-24:00 */
	assert_false(open_("nacht", CET(2026, 3, 7, 23, 59)));
	assert_true(open_("nacht", CET(2026, 3, 8, 0, 0)));
	assert_true(open_("nacht", CET(2026, 3, 8, 23, 59) + 59));
	assert_false(open_("nacht", CET(2026, 3, 9, 0, 0)));
	assert_false(open_("nacht", CET(2026, 3, 9, 21, 59)));
	assert_true(open_("nacht", CET(2026, 3, 9, 22, 0)));
	assert_true(open_("nacht", CET(2026, 3, 9, 23, 59) + 59));
	assert_false(open_("nacht", CET(2026, 3, 10, 0, 0)));
	/* no hours: always */
	assert_true(open_("altijd", CET(2026, 3, 10, 3, 17)));
	/* hours {}: never */
	assert_false(open_("nooit", CET(2026, 3, 2, 10, 0)));
}

static void test_holidays(void **state)
{
	(void)state;
	/* 24 December 2026 (Thursday): the office's own holiday */
	assert_false(open_("office", CET(2026, 12, 24, 10, 0)));
	assert_true(open_("altijd", CET(2026, 12, 24, 10, 0)));
	/* 25 December (Friday): every team; the day is local */
	assert_false(open_("office", CET(2026, 12, 25, 10, 0)));
	assert_true(open_("altijd", CET(2026, 12, 24, 23, 59)));
	assert_false(open_("altijd", CET(2026, 12, 25, 0, 0)));
	assert_false(open_("altijd", CET(2026, 12, 26, 23, 59)));
	assert_true(open_("altijd", CET(2026, 12, 27, 0, 0)));
	/* a Friday that is no holiday */
	assert_true(open_("office", CET(2026, 12, 18, 10, 0)));
}

static void test_dst_days(void **state)
{
	(void)state;
	/* Friday 27 March 2026, winter time: 08:30 is 07:30 UTC */
	assert_false(open_("office", UTC(2026, 3, 27, 7, 29)));
	assert_true(open_("office", UTC(2026, 3, 27, 7, 30)));
	/* Monday 30 March 2026, summer time: 08:30 is 06:30 UTC */
	assert_false(open_("office", UTC(2026, 3, 30, 6, 29)));
	assert_true(open_("office", UTC(2026, 3, 30, 6, 30)));
	assert_true(open_("office", UTC(2026, 3, 30, 14, 59)));
	assert_false(open_("office", UTC(2026, 3, 30, 15, 0)));
	/* Friday 23 October, summer; Monday 26 October, winter */
	assert_true(open_("office", CEST(2026, 10, 23, 8, 30)));
	assert_false(open_("office", CEST(2026, 10, 23, 8, 29)));
	assert_false(open_("office", UTC(2026, 10, 26, 7, 0)));
	assert_true(open_("office", UTC(2026, 10, 26, 7, 30)));
	/* the switch nights themselves (Sunday 02:30-04:00 local) */
	assert_false(open_("vroeg", UTC(2026, 3, 29, 0, 59)));  /* 01:59 CET */
	assert_true(open_("vroeg", UTC(2026, 3, 29, 1, 0)));    /* 03:00 CEST */
	assert_false(open_("vroeg", UTC(2026, 3, 29, 2, 0)));   /* 04:00 CEST */
	assert_true(open_("vroeg", UTC(2026, 10, 25, 0, 30)));  /* 02:30 CEST */
	assert_false(open_("vroeg", UTC(2026, 10, 25, 1, 10))); /* 02:10 CET */
	assert_true(open_("vroeg", UTC(2026, 10, 25, 1, 30)));  /* 02:30 CET */
	assert_false(open_("vroeg", UTC(2026, 10, 25, 3, 0)));  /* 04:00 CET */
	/* a whole Sunday of 23 and of 25 hours */
	assert_false(open_("nacht", UTC(2026, 3, 28, 22, 59)));
	assert_true(open_("nacht", UTC(2026, 3, 28, 23, 0)));
	assert_true(open_("nacht", UTC(2026, 3, 29, 21, 59)));
	assert_false(open_("nacht", UTC(2026, 3, 29, 22, 0)));
	assert_true(open_("nacht", UTC(2026, 10, 24, 22, 0)));
	assert_true(open_("nacht", UTC(2026, 10, 25, 22, 59)));
	assert_false(open_("nacht", UTC(2026, 10, 25, 23, 0)));
}

static void test_next_open(void **state)
{
	int64_t t;

	(void)state;
	/* open now: now */
	t = CET(2026, 3, 2, 10, 0);
	assert_int_equal(handoff_team_next_open(cfg, "office", t), t);
	/* before opening: the same morning */
	assert_int_equal(handoff_team_next_open(cfg, "office", CET(2026, 3, 2, 7, 0)),
			 CET(2026, 3, 2, 8, 30));
	/* lunch break: after lunch */
	assert_int_equal(handoff_team_next_open(cfg, "office", CET(2026, 3, 3, 12, 15)),
			 CET(2026, 3, 3, 13, 0));
	/* Friday evening -> Monday morning */
	assert_int_equal(handoff_team_next_open(cfg, "office", CET(2026, 3, 6, 18, 0)),
			 CET(2026, 3, 9, 8, 30));
	/* ... across the switch to summer time */
	assert_int_equal(handoff_team_next_open(cfg, "office", CET(2026, 3, 27, 18, 0)),
			 CEST(2026, 3, 30, 8, 30));
	/* ... and back to winter time */
	assert_int_equal(handoff_team_next_open(cfg, "office", CEST(2026, 10, 23, 17, 0)),
			 CET(2026, 10, 26, 8, 30));
	/* from a holiday (Thu 24 Dec; Fri 25 and Sat 26 holidays, Sun closed) */
	assert_int_equal(handoff_team_next_open(cfg, "office", CET(2026, 12, 24, 9, 0)),
			 CET(2026, 12, 28, 8, 30));
	assert_int_equal(handoff_team_next_open(cfg, "altijd", CET(2026, 12, 25, 9, 0)),
			 CET(2026, 12, 27, 0, 0));
	/* 24:00 ranges: from Tuesday to the next Sunday 00:00 */
	assert_int_equal(handoff_team_next_open(cfg, "nacht", CET(2026, 3, 10, 0, 0)),
			 CET(2026, 3, 15, 0, 0));
	/* the switch nights */
	assert_int_equal(handoff_team_next_open(cfg, "vroeg", UTC(2026, 3, 28, 12, 0)),
			 UTC(2026, 3, 29, 1, 0)); /* 02:30 does not exist: 03:00 CEST */
	assert_int_equal(handoff_team_next_open(cfg, "vroeg", UTC(2026, 10, 24, 12, 0)),
			 UTC(2026, 10, 25, 0, 30));
	assert_int_equal(handoff_team_next_open(cfg, "vroeg", UTC(2026, 10, 25, 1, 10)),
			 UTC(2026, 10, 25, 1, 30)); /* 02:30 the second time */
	/* holidays on the next two Wednesdays: the third, 15 days on, is too far */
	assert_int_equal(handoff_team_next_open(cfg, "zelden", CET(2026, 3, 3, 10, 0)), 0);
	assert_int_equal(handoff_team_next_open(cfg, "zelden", CET(2026, 3, 5, 10, 0)),
			 CET(2026, 3, 18, 10, 0));
	/* never open; unknown team */
	assert_int_equal(handoff_team_next_open(cfg, "nooit", CET(2026, 3, 2, 10, 0)), 0);
	assert_int_equal(handoff_team_next_open(cfg, "nope", CET(2026, 3, 2, 10, 0)), 0);
	assert_int_equal(handoff_team_next_open(NULL, "office", CET(2026, 3, 2, 10, 0)), 0);
}

static void test_local_time(void **state)
{
	struct handoff_local l;

	(void)state;
	handoff_local_time(UTC(2026, 3, 30, 6, 30), &l);
	assert_int_equal(l.year, 2026);
	assert_int_equal(l.month, 3);
	assert_int_equal(l.day, 30);
	assert_int_equal(l.wday, 1);
	assert_int_equal(l.hour, 8);
	assert_int_equal(l.min, 30);
	handoff_local_time(UTC(2026, 12, 31, 23, 30), &l);
	assert_int_equal(l.year, 2027);
	assert_int_equal(l.month, 1);
	assert_int_equal(l.day, 1);
	assert_int_equal(l.wday, 5);
	assert_int_equal(l.hour, 0);
	assert_int_equal(l.min, 30);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_amsterdam_offset),
		cmocka_unit_test(test_week),
		cmocka_unit_test(test_24_00),
		cmocka_unit_test(test_holidays),
		cmocka_unit_test(test_dst_days),
		cmocka_unit_test(test_next_open),
		cmocka_unit_test(test_local_time),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
