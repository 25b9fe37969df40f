/* handoff_hours.h - whether a team is open, and when it opens next, from
 * its office hours and holidays (see handoff_config.h) in Europe/Amsterdam
 * local time, summer time included (lk_amsterdam_offset).
 *
 * A range such as "08:30-17:00" is local wall-clock time on every day,
 * also on the days summer time starts or ends. On the night summer time
 * starts, local 02:00-03:00 does not exist: a range starting in that hour
 * opens at 03:00. On the night it ends, 02:00-03:00 happens twice: the team
 * is open in both.
 */
#ifndef LK_HANDOFF_HOURS_H
#define LK_HANDOFF_HOURS_H

#include "handoff/handoff_config.h"

#include <stdint.h>

/* How far handoff_team_next_open() looks ahead. */
#define HANDOFF_NEXT_OPEN_DAYS 14

/* 1 when team is open at now_s (unix seconds), 0 when closed or unknown. */
int handoff_team_open(const struct handoff_config *c, const char *team, int64_t now_s);

/* now_s when team is open at now_s; else the first moment (unix seconds)
 * after now_s at which it opens, looking HANDOFF_NEXT_OPEN_DAYS days ahead;
 * 0 when it does not open in that time (or team is unknown). */
int64_t handoff_team_next_open(const struct handoff_config *c, const char *team, int64_t now_s);

/* A moment in Amsterdam local time, for messages ("op maandag vanaf 08:30"). */
struct handoff_local {
	int year, month, day; /* month 1..12, day 1..31 */
	int wday;             /* 0 Sunday .. 6 Saturday */
	int hour, min;
};
void handoff_local_time(int64_t t_s, struct handoff_local *out);

#endif
