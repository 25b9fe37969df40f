/* clock.h - the wall clock Loket reads for dates in conversations
 * (appointments, "tomorrow"). Normally time(NULL); `loket test --now` fixes
 * it so conversation scripts give the same dates every day.
 */
#ifndef LK_CLOCK_H
#define LK_CLOCK_H

#include <stdint.h>

/* Unix seconds. */
int64_t lk_now(void);
/* From now on lk_now() returns t (0: the real clock again). Call before
 * any thread reads the clock. */
void lk_clock_fix(int64_t t);

#endif
