/* test_clock.c - unit tests for src/core/clock: the real clock in
 * milliseconds, deadlines, the Amsterdam offset and calendar arithmetic. */
#include "core/clock.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

static void test_days_round_trip(void **state)
{
	int64_t y;
	int m, d;

	(void)state;
	assert_int_equal(lk_days_from_civil(1970, 1, 1), 0);
	assert_int_equal(lk_days_from_civil(1969, 12, 31), -1);
	assert_int_equal(lk_days_from_civil(2000, 3, 1), 11017);
	for (int64_t day = -800000; day <= 800000; day += 997) {
		lk_civil_from_days(day, &y, &m, &d);
		assert_int_equal(lk_days_from_civil(y, m, d), day);
		assert_true(d >= 1 && d <= lk_month_days(y, m));
	}
}

static void test_leap_years_and_month_days(void **state)
{
	(void)state;
	assert_true(lk_leap_year(2024));
	assert_true(lk_leap_year(2000));
	assert_false(lk_leap_year(1900));
	assert_false(lk_leap_year(2026));
	assert_int_equal(lk_month_days(2024, 2), 29);
	assert_int_equal(lk_month_days(2026, 2), 28);
	assert_int_equal(lk_month_days(2026, 4), 30);
	assert_int_equal(lk_month_days(2026, 12), 31);
}

static void test_floor_div(void **state)
{
	(void)state;
	assert_int_equal(lk_floor_div(7, 2), 3);
	assert_int_equal(lk_floor_div(-7, 2), -4);
	assert_int_equal(lk_floor_div(-8, 2), -4);
	assert_int_equal(lk_floor_div(-1, 86400), -1);
	assert_int_equal(lk_floor_div(0, 86400), 0);
}

static void test_day_parse(void **state)
{
	int64_t day = 42;

	(void)state;
	assert_int_equal(lk_day_parse("2026-12-25", &day), 1);
	assert_int_equal(day, lk_days_from_civil(2026, 12, 25));
	assert_int_equal(lk_day_parse("2024-02-29", &day), 1);
	assert_int_equal(lk_day_parse("1970-01-01", &day), 1);
	assert_int_equal(day, 0);
	day = 42;
	assert_int_equal(lk_day_parse("2026-02-29", &day), 0); /* not a leap year */
	assert_int_equal(lk_day_parse("2026-02-30", &day), 0);
	assert_int_equal(lk_day_parse("2026-13-01", &day), 0);
	assert_int_equal(lk_day_parse("2026-00-10", &day), 0);
	assert_int_equal(lk_day_parse("1969-12-31", &day), 0);
	assert_int_equal(lk_day_parse("2026-1-01", &day), 0);
	assert_int_equal(lk_day_parse("2026/12/25", &day), 0);
	assert_int_equal(lk_day_parse("2026-12-2x", &day), 0);
	assert_int_equal(lk_day_parse("2026-12-251", &day), 0);
	assert_int_equal(lk_day_parse(NULL, &day), 0);
	assert_int_equal(day, 42); /* untouched on failure */
}

static void test_now_ms_and_deadline(void **state)
{
	struct timespec ts;
	int64_t a = lk_now_ms(), b, at;

	(void)state;
	lk_deadline_ms(&ts, 1999);
	b = lk_now_ms();
	assert_true(b >= a);
	assert_true(ts.tv_nsec >= 0 && ts.tv_nsec < 1000000000L);
	at = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	assert_true(at >= a + 1999 && at <= b + 1999 + 1);
	/* the real clock is not the fixed one */
	lk_clock_fix(86400);
	assert_int_equal(lk_now(), 86400);
	assert_true(lk_now_ms() >= b);
	lk_clock_fix(0);
}

static void test_amsterdam_offset(void **state)
{
	(void)state;
	/* 2026: summer time from 29 March 01:00 UTC to 25 October 01:00 UTC */
	assert_int_equal(lk_amsterdam_offset(lk_days_from_civil(2026, 3, 29) * 86400 + 3599), 3600);
	assert_int_equal(lk_amsterdam_offset(lk_days_from_civil(2026, 3, 29) * 86400 + 3600), 7200);
	assert_int_equal(lk_amsterdam_offset(lk_days_from_civil(2026, 10, 25) * 86400 + 3599), 7200);
	assert_int_equal(lk_amsterdam_offset(lk_days_from_civil(2026, 10, 25) * 86400 + 3600), 3600);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_days_round_trip),
		cmocka_unit_test(test_leap_years_and_month_days),
		cmocka_unit_test(test_floor_div),
		cmocka_unit_test(test_day_parse),
		cmocka_unit_test(test_now_ms_and_deadline),
		cmocka_unit_test(test_amsterdam_offset),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
