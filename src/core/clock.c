/* clock.c - the wall clock, fixable for tests, and the Amsterdam UTC
 * offset (see clock.h). */
#include "core/clock.h"

#include <time.h>

static int64_t fixed;

int64_t lk_now(void)
{
	return fixed ? fixed : (int64_t)time(NULL);
}

void lk_clock_fix(int64_t t)
{
	fixed = t;
}

static int is_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Unix seconds of the last Sunday of month m (3 or 10) of year y, 01:00 UTC. */
static int64_t last_sunday_0100(int y, int m)
{
	static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	struct tm tm = {0};
	time_t t;

	tm.tm_year = y - 1900;
	tm.tm_mon = m - 1;
	tm.tm_mday = mdays[m - 1] + (m == 2 && is_leap(y));
	tm.tm_hour = 1;
	t = timegm(&tm);
	gmtime_r(&t, &tm);
	return (int64_t)t - (int64_t)tm.tm_wday * 86400;
}

int lk_amsterdam_offset(int64_t now_s)
{
	time_t tt = (time_t)now_s;
	struct tm tm;

	if (!gmtime_r(&tt, &tm))
		return 3600;
	if (now_s >= last_sunday_0100(tm.tm_year + 1900, 3) &&
	    now_s < last_sunday_0100(tm.tm_year + 1900, 10))
		return 7200;
	return 3600;
}
