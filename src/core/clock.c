/* clock.c - the wall clock, fixable for tests, the real clock in
 * milliseconds, the Amsterdam UTC offset and calendar arithmetic (see
 * clock.h). */
#include "core/clock.h"

#include <string.h>
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

int64_t lk_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void lk_deadline_ms(struct timespec *ts, int64_t ms)
{
	clock_gettime(CLOCK_REALTIME, ts);
	ts->tv_sec += (time_t)(ms / 1000);
	ts->tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

int64_t lk_floor_div(int64_t a, int64_t b)
{
	return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

int lk_leap_year(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int lk_month_days(int64_t y, int m)
{
	static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

	return m == 2 && lk_leap_year(y) ? 29 : days[m - 1];
}

int64_t lk_days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = lk_floor_div(y, 400);
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

void lk_civil_from_days(int64_t days, int64_t *y, int *m, int *d)
{
	int64_t era, doe, yoe, doy, mp, z = days + 719468;

	era = lk_floor_div(z, 146097);
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

int lk_day_parse(const char *s, int64_t *day)
{
	int64_t y = 0;
	int m, d;

	if (!s || strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return 0;
	for (int i = 0; i < 10; i++)
		if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
			return 0;
	for (int i = 0; i < 4; i++)
		y = y * 10 + (s[i] - '0');
	m = (s[5] - '0') * 10 + (s[6] - '0');
	d = (s[8] - '0') * 10 + (s[9] - '0');
	if (y < 1970 || m < 1 || m > 12 || d < 1 || d > lk_month_days(y, m))
		return 0;
	*day = lk_days_from_civil(y, m, d);
	return 1;
}

/* Unix seconds of the last Sunday of month m (3 or 10) of year y, 01:00 UTC. */
static int64_t last_sunday_0100(int y, int m)
{
	struct tm tm = {0};
	time_t t;

	tm.tm_year = y - 1900;
	tm.tm_mon = m - 1;
	tm.tm_mday = lk_month_days(y, m);
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
