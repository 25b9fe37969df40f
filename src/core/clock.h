/* clock.h - the wall clock Loket reads for dates in conversations
 * (appointments, "tomorrow"). Normally time(NULL); `loket test --now` fixes
 * it so conversation scripts give the same dates every day. Also the
 * Europe/Amsterdam UTC offset, for local dates and office hours.
 */
#ifndef LK_CLOCK_H
#define LK_CLOCK_H

#include <stdint.h>

/* Unix seconds. */
int64_t lk_now(void);
/* From now on lk_now() returns t (0: the real clock again). Call before
 * any thread reads the clock. */
void lk_clock_fix(int64_t t);

/* The Europe/Amsterdam offset from UTC at unix second now_s (3600 or 7200):
 * the EU rule, summer time from the last Sunday of March 01:00 UTC up to the
 * last Sunday of October 01:00 UTC. Pure. */
int lk_amsterdam_offset(int64_t now_s);

#endif
