/* clock.c - the wall clock, fixable for tests (see clock.h). */
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
