/* handoff_hours.c - office hours: open now, and the next opening (see
 * handoff_hours.h). */
#include "handoff/handoff_hours.h"

#include "core/clock.h"

#include <time.h>

#define DAY 86400
/* Moments outside this range (about +-34,000 years) are never open, so the
 * arithmetic below cannot overflow. */
#define T_LIMIT ((int64_t)1 << 40)

/* The local day (days since 1970-01-01) and minute of the day of t_s. */
static void local_day(int64_t t_s, int64_t *day, int *minute)
{
	int64_t local = t_s + lk_amsterdam_offset(t_s);

	*day = lk_floor_div(local, DAY);
	*minute = (int)((local - *day * DAY) / 60);
}

static int wday_of(int64_t day)
{
	return (int)(((day % 7) + 7 + 4) % 7); /* 1970-01-01 was a Thursday */
}

static int open_at(const struct handoff_config *c, int team, int64_t t_s)
{
	const struct handoff_range *r;
	int64_t day;
	int minute;
	size_t n;

	if (t_s < -T_LIMIT || t_s > T_LIMIT)
		return 0;
	local_day(t_s, &day, &minute);
	if (handoff_team_holiday(c, team, day))
		return 0;
	n = handoff_team_day(c, team, wday_of(day), &r);
	for (size_t i = 0; i < n; i++)
		if (minute >= r[i].start && minute < r[i].end)
			return 1;
	return 0;
}

int handoff_team_open(const struct handoff_config *c, const char *team, int64_t now_s)
{
	int i = handoff_team_index(c, team);

	return i >= 0 && open_at(c, i, now_s);
}

/* The first second in (a, b] at which the UTC offset differs from a's;
 * called when it differs at b. */
static int64_t offset_change(int64_t a, int64_t b)
{
	int off = lk_amsterdam_offset(a);

	while (b - a > 1) {
		int64_t m = a + (b - a) / 2;

		if (lk_amsterdam_offset(m) == off)
			a = m;
		else
			b = m;
	}
	return b;
}

/* Keeps the earliest candidate in (now_s, limit] at which the team is open. */
static void consider(const struct handoff_config *c, int team, int64_t now_s, int64_t limit,
		     int64_t u, int64_t *best)
{
	if (u > now_s && u <= limit && (!*best || u < *best) && open_at(c, team, u))
		*best = u;
}

/* Openness changes only at the start of a range (local time, converted with
 * either offset) or when the offset itself changes; so the first of those
 * moments at which the team is open is the next opening. */
int64_t handoff_team_next_open(const struct handoff_config *c, const char *team, int64_t now_s)
{
	int i = handoff_team_index(c, team);
	int64_t limit, best = 0, today;
	int minute;

	if (i < 0 || now_s < -T_LIMIT || now_s > T_LIMIT)
		return 0;
	limit = now_s + (int64_t)HANDOFF_NEXT_OPEN_DAYS * DAY;
	if (open_at(c, i, now_s))
		return now_s;
	local_day(now_s, &today, &minute);
	for (int64_t d = today - 1; d <= today + HANDOFF_NEXT_OPEN_DAYS + 1; d++) {
		const struct handoff_range *r;
		size_t n = handoff_team_day(c, i, wday_of(d), &r);

		if (lk_amsterdam_offset(d * DAY) != lk_amsterdam_offset((d + 1) * DAY))
			consider(c, i, now_s, limit, offset_change(d * DAY, (d + 1) * DAY), &best);
		if (handoff_team_holiday(c, i, d))
			continue;
		for (size_t k = 0; k < n; k++) {
			int64_t local = d * DAY + (int64_t)r[k].start * 60;

			consider(c, i, now_s, limit, local - 7200, &best);
			consider(c, i, now_s, limit, local - 3600, &best);
		}
	}
	return best;
}

void handoff_local_time(int64_t t_s, struct handoff_local *out)
{
	time_t tt;
	struct tm tm = {0};

	if (t_s < -T_LIMIT || t_s > T_LIMIT)
		t_s = 0;
	tt = (time_t)(t_s + lk_amsterdam_offset(t_s));
	gmtime_r(&tt, &tm);
	out->year = tm.tm_year + 1900;
	out->month = tm.tm_mon + 1;
	out->day = tm.tm_mday;
	out->wday = tm.tm_wday;
	out->hour = tm.tm_hour;
	out->min = tm.tm_min;
}
