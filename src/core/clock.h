/* clock.h - the wall clock Loket reads for dates in conversations
 * (appointments, "tomorrow"). Normally time(NULL); `loket test --now` fixes
 * it so conversation scripts give the same dates every day. Also the real
 * clock in milliseconds, deadlines for timed waits, the Europe/Amsterdam UTC
 * offset, and calendar arithmetic on days since 1970-01-01.
 */
#ifndef LK_CLOCK_H
#define LK_CLOCK_H

#include <stdint.h>
#include <time.h>

/* Unix seconds. */
int64_t lk_now(void);
/* From now on lk_now() returns t (0: the real clock again). Call before
 * any thread reads the clock. */
void lk_clock_fix(int64_t t);

/* Unix milliseconds of the real clock (never fixed): for queues, sessions,
 * audit rows and timeouts. */
int64_t lk_now_ms(void);
/* The CLOCK_REALTIME moment ms milliseconds from now, for
 * pthread_cond_timedwait(). */
void lk_deadline_ms(struct timespec *ts, int64_t ms);

/* The Europe/Amsterdam offset from UTC at unix second now_s (3600 or 7200):
 * the EU rule, summer time from the last Sunday of March 01:00 UTC up to the
 * last Sunday of October 01:00 UTC. Pure. */
int lk_amsterdam_offset(int64_t now_s);

/* --- calendar arithmetic: the proleptic Gregorian calendar, days counted
 * from 1970-01-01 (after Howard Hinnant's days_from_civil). Pure. --- */
int64_t lk_floor_div(int64_t a, int64_t b);
int lk_leap_year(int64_t y);
/* Days of month m (1..12) of year y. */
int lk_month_days(int64_t y, int m);
int64_t lk_days_from_civil(int64_t y, int m, int d);
void lk_civil_from_days(int64_t days, int64_t *y, int *m, int *d);
/* "YYYY-MM-DD" of a real date from 1970 on -> *day; 1, or 0 when it is not. */
int lk_day_parse(const char *s, int64_t *day);

#endif
