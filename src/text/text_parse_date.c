/* text_parse_date.c - dates and times of day in Dutch and English messages
 * (see text_parse.h for the forms understood and how ambiguity is decided).
 * Both scan the token stream of a folded view (text_parse_int.h) from the
 * left and take the first place where one of their forms matches. */
#include "text/text_parse.h"
#include "text/text_parse_int.h"

#include "core/clock.h"

#include <string.h>

#define TP_YEAR_MIN 1900
#define TP_YEAR_MAX 2199
#define TP_REL_MAX 999 /* "over 999 dagen" at most */

/* --- calendar arithmetic --- */

static int tp_valid(int y, int m, int d)
{
	return y >= 1 && y <= 9999 && m >= 1 && m <= 12 && d >= 1 && d <= lk_month_days(y, m);
}

static int tp_weekday_of(long days)
{
	long w = (days + 3) % 7;

	return (int)(w < 0 ? w + 7 : w);
}

struct tp_date {
	int y, m, d;
};

struct tp_dctx {
	const struct tp_view *v;
	struct tp_date today;
	long today_days;
};

static void tp_date_from_days(long days, struct tp_date *out)
{
	int64_t y;

	lk_civil_from_days(days, &y, &out->m, &out->d);
	out->y = (int)y;
}

/* Day and month without a year: this year, or the next year in which the
 * date exists and is not before today. */
static int tp_date_infer_year(const struct tp_dctx *c, int m, int d, struct tp_date *out)
{
	for (int y = c->today.y; y <= c->today.y + 8; y++) {
		if (tp_valid(y, m, d) && (long)lk_days_from_civil(y, m, d) >= c->today_days) {
			out->y = y;
			out->m = m;
			out->d = d;
			return 1;
		}
	}
	return 0;
}

/* A two-digit year in the century that puts it within 80 years before and 20
 * after today. */
static int tp_century(const struct tp_dctx *c, int yy)
{
	int y = c->today.y / 100 * 100 + yy;

	if (y > c->today.y + 20)
		y -= 100;
	else if (y <= c->today.y - 80)
		y += 100;
	return y;
}

static int tp_set(int y, int m, int d, struct tp_date *out)
{
	if (y < TP_YEAR_MIN || y > TP_YEAR_MAX || !tp_valid(y, m, d))
		return 0;
	out->y = y;
	out->m = m;
	out->d = d;
	return 1;
}

/* --- vocabulary --- */

static const char *const tp_months_nl[] = {
	"januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus",
	"september", "oktober", "november", "december", NULL,
};
static const char *const tp_months_en[] = {
	"january", "february", "march", "april", "may", "june", "july", "august",
	"september", "october", "november", "december", NULL,
};
/* Abbreviations: { word, month }. */
static const struct {
	const char *w;
	int m;
} tp_month_abbr[] = {
	{ "jan", 1 }, { "feb", 2 }, { "mrt", 3 }, { "mar", 3 }, { "apr", 4 }, { "jun", 6 },
	{ "jul", 7 }, { "aug", 8 }, { "sep", 9 }, { "sept", 9 }, { "okt", 10 }, { "oct", 10 },
	{ "nov", 11 }, { "dec", 12 },
};

/* The month 1..12 at token i, or 0; *english says whether the word is English
 * (or shared), which allows month-first dates. */
static int tp_month_at(const struct tp_view *v, size_t i, int *english)
{
	int k;

	*english = 0;
	k = text_parse_tok_in(v, i, tp_months_en);
	if (k >= 0) {
		*english = 1;
		return k + 1;
	}
	k = text_parse_tok_in(v, i, tp_months_nl);
	if (k >= 0)
		return k + 1;
	for (size_t j = 0; j < sizeof(tp_month_abbr) / sizeof(tp_month_abbr[0]); j++) {
		if (text_parse_tok_is(v, i, tp_month_abbr[j].w)) {
			*english = 1;
			return tp_month_abbr[j].m;
		}
	}
	return 0;
}

static const char *const tp_weekdays_nl[] = {
	"maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag", NULL,
};
static const char *const tp_weekdays_en[] = {
	"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", NULL,
};
/* A weekday word may carry a part of the day: "dinsdagmiddag". */
static const char *const tp_dayparts[] = {
	"", "ochtend", "morgen", "middag", "avond", "nacht", NULL,
};

static int tp_weekday_at(const struct tp_view *v, size_t i)
{
	const char *w;
	size_t len;
	int k = text_parse_tok_in(v, i, tp_weekdays_en);

	if (k >= 0)
		return k;
	if (i >= v->ntok || v->tok[i].kind != TP_WORD)
		return -1;
	w = v->s + v->tok[i].a;
	len = text_parse_tok_len(v, i);
	for (k = 0; tp_weekdays_nl[k]; k++) {
		size_t wl = strlen(tp_weekdays_nl[k]);

		if (len < wl || memcmp(w, tp_weekdays_nl[k], wl) != 0)
			continue;
		for (size_t p = 0; tp_dayparts[p]; p++) {
			size_t pl = strlen(tp_dayparts[p]);

			if (wl + pl == len && memcmp(w + wl, tp_dayparts[p], pl) == 0)
				return k;
		}
	}
	return -1;
}

/* --- dates --- */

/* A numeric date at token i: "3-3", "3/3", "03-03-2026", "3/3/26", "3.3.2026",
 * "2026-03-03". */
static int tp_date_numeric(const struct tp_dctx *c, size_t i, struct tp_date *out, size_t *last)
{
	const struct tp_view *v = c->v;
	uint32_t num[3];
	size_t len[3], j = i, n = 0;
	char sep = 0;

	if (!text_parse_num_starts(v, i))
		return 0;
	for (;;) {
		if (n == 3)
			return 0;
		num[n] = v->tok[j].num;
		len[n] = text_parse_tok_len(v, j);
		n++;
		if (j + 2 < v->ntok && text_parse_tok_glued(v, j + 1) &&
		    v->tok[j + 1].kind == TP_SYM && strchr("-/.", v->s[v->tok[j + 1].a]) &&
		    text_parse_tok_glued(v, j + 2) && v->tok[j + 2].kind == TP_NUM) {
			char s = v->s[v->tok[j + 1].a];

			if (sep && s != sep)
				return 0;
			sep = s;
			j += 2;
			continue;
		}
		break;
	}
	if (!text_parse_num_ends(v, j) || n < 2)
		return 0;
	*last = j;
	if (n == 3 && len[0] == 4 && len[1] <= 2 && len[2] <= 2)
		return tp_set((int)num[0], (int)num[1], (int)num[2], out);
	if (len[0] > 2 || len[1] > 2)
		return 0;
	if (n == 3 && len[2] == 4)
		return tp_set((int)num[2], (int)num[1], (int)num[0], out);
	if (n == 3 && len[2] == 2)
		return tp_set(tp_century(c, (int)num[2]), (int)num[1], (int)num[0], out);
	if (n == 2 && sep != '.') {
		if (!tp_valid(2000, (int)num[1], (int)num[0]))
			return 0;
		return tp_date_infer_year(c, (int)num[1], (int)num[0], out);
	}
	return 0;
}

static const char *const tp_ordinal_suffix[] = { "st", "nd", "rd", "th", "e", "de", "ste", NULL };

/* A day of the month at token i: "3", "3rd", "3e", or a written number two..
 * twelve when a month name follows directly. Returns 1..31 or 0 and sets
 * *last to its last token. */
static int tp_day_at(const struct tp_view *v, size_t i, size_t *last)
{
	unsigned w;

	if (i < v->ntok && v->tok[i].kind == TP_NUM) {
		if (!text_parse_num_starts(v, i) || text_parse_tok_len(v, i) > 2 || v->tok[i].num < 1 ||
		    v->tok[i].num > 31)
			return 0;
		*last = i;
		if (text_parse_tok_glued(v, i + 1) &&
		    text_parse_tok_in(v, i + 1, tp_ordinal_suffix) >= 0)
			*last = i + 1;
		if (!text_parse_num_ends(v, *last))
			return 0;
		return (int)v->tok[i].num;
	}
	w = text_parse_tok_numword(v, i);
	if (w >= 2 && w <= 12) {
		int english;

		if (!tp_month_at(v, i + 1, &english))
			return 0;
		*last = i;
		return (int)w;
	}
	return 0;
}

/* An optional year after token j: [","] NNNN. Returns the year or 0 and
 * moves *last past it. */
static int tp_year_after(const struct tp_view *v, size_t j, size_t *last)
{
	size_t k = j + 1;

	if (text_parse_tok_sym(v, k, ','))
		k++;
	if (k < v->ntok && v->tok[k].kind == TP_NUM && text_parse_tok_len(v, k) == 4 &&
	    !text_parse_tok_glued(v, k) && text_parse_num_ends(v, k) &&
	    !text_parse_tok_sym(v, k + 1, ':') && v->tok[k].num >= TP_YEAR_MIN &&
	    v->tok[k].num <= TP_YEAR_MAX) {
		*last = k;
		return (int)v->tok[k].num;
	}
	return 0;
}

static int tp_date_dm(const struct tp_dctx *c, int y, int m, int d, struct tp_date *out)
{
	if (y)
		return tp_set(y, m, d, out);
	if (!tp_valid(2000, m, d))
		return 0;
	return tp_date_infer_year(c, m, d, out);
}

/* "3 maart [2027]", "3rd of March", "drie maart", and English month first:
 * "March 3[rd][,] [2027]". */
static int tp_date_named(const struct tp_dctx *c, size_t i, struct tp_date *out, size_t *last)
{
	const struct tp_view *v = c->v;
	size_t j;
	int d, m, y, english;

	d = tp_day_at(v, i, &j);
	if (d) {
		if (text_parse_tok_is(v, j + 1, "of") || text_parse_tok_is(v, j + 1, "van"))
			j++;
		m = tp_month_at(v, j + 1, &english);
		if (!m)
			return 0;
		*last = j + 1;
		y = tp_year_after(v, j + 1, last);
		return tp_date_dm(c, y, m, d, out);
	}
	m = tp_month_at(v, i, &english);
	if (!m || !english || i + 1 >= v->ntok || v->tok[i + 1].kind != TP_NUM)
		return 0;
	d = tp_day_at(v, i + 1, &j);
	if (!d)
		return 0;
	*last = j;
	y = tp_year_after(v, j, last);
	return tp_date_dm(c, y, m, d, out);
}

static int tp_date_explicit(const struct tp_dctx *c, size_t i, struct tp_date *out, size_t *last)
{
	return tp_date_named(c, i, out, last) || tp_date_numeric(c, i, out, last);
}

/* The first weekday wd after today, or (next_week) wd in the next week. */
static void tp_date_weekday(const struct tp_dctx *c, int wd, int next_week, struct tp_date *out)
{
	int today_wd = tp_weekday_of(c->today_days);
	long days;

	if (next_week) {
		days = c->today_days - today_wd + 7 + wd;
	} else {
		int delta = (wd - today_wd + 7) % 7;

		days = c->today_days + (delta ? delta : 7);
	}
	tp_date_from_days(days, out);
}

static int tp_next_week_at(const struct tp_view *v, size_t i)
{
	return (text_parse_tok_is(v, i, "volgende") || text_parse_tok_is(v, i, "next")) &&
	       text_parse_tok_is(v, i + 1, "week");
}

static const char *const tp_weekday_prefix[] = {
	"aanstaande", "komende", "deze", "volgende", "next", "this", "coming", NULL,
};

/* "dinsdag", "volgende dinsdag", "volgende week dinsdag", "dinsdag volgende
 * week", "maandag 3 maart". */
static int tp_date_weekday_form(const struct tp_dctx *c, size_t i, struct tp_date *out,
				size_t *last)
{
	const struct tp_view *v = c->v;
	int wd, next_week = 0;
	size_t j = i;

	if (tp_next_week_at(v, i)) {
		next_week = 1;
		j = i + 2;
	} else if (text_parse_tok_in(v, i, tp_weekday_prefix) >= 0) {
		j = i + 1;
	}
	wd = tp_weekday_at(v, j);
	if (wd < 0)
		return 0;
	if (j == i) {
		size_t k = j + 1;

		if (text_parse_tok_sym(v, k, ','))
			k++;
		if (text_parse_tok_is(v, k, "de") || text_parse_tok_is(v, k, "the"))
			k++;
		if (tp_date_explicit(c, k, out, last))
			return 1;
		if (tp_next_week_at(v, j + 1)) {
			tp_date_weekday(c, wd, 1, out);
			*last = j + 2;
			return 1;
		}
	}
	tp_date_weekday(c, wd, next_week, out);
	*last = j;
	return 1;
}

/* "over 3 dagen", "over twee weken", "in a month": adds to base. */
static int tp_date_relative(const struct tp_dctx *c, size_t i, long base, struct tp_date *out,
			    size_t *last)
{
	static const char *const units[] = {
		"dag", "dagen", "day", "days", "week", "weken", "weeks", "maand", "maanden",
		"month", "months", "jaar", "jaren", "year", "years", NULL,
	};
	static const int unit_kind[] = { 0, 0, 0, 0, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3 };
	const struct tp_view *v = c->v;
	unsigned n;
	int u, y, m, d;

	if (!text_parse_tok_is(v, i, "over") && !text_parse_tok_is(v, i, "in"))
		return 0;
	if (i + 1 < v->ntok && v->tok[i + 1].kind == TP_NUM) {
		if (!text_parse_num_starts(v, i + 1) || !text_parse_num_ends(v, i + 1) ||
		    v->tok[i + 1].num > TP_REL_MAX)
			return 0;
		n = v->tok[i + 1].num;
	} else if (text_parse_tok_is(v, i + 1, "a") || text_parse_tok_is(v, i + 1, "an")) {
		n = 1;
	} else {
		n = text_parse_tok_numword(v, i + 1);
		if (!n)
			return 0;
	}
	u = text_parse_tok_in(v, i + 2, units);
	if (u < 0)
		return 0;
	*last = i + 2;
	switch (unit_kind[u]) {
	case 0:
		tp_date_from_days(base + n, out);
		return out->y <= TP_YEAR_MAX;
	case 1:
		tp_date_from_days(base + 7L * n, out);
		return out->y <= TP_YEAR_MAX;
	default:
		tp_date_from_days(base, out);
		y = out->y;
		m = out->m - 1 + (int)(unit_kind[u] == 2 ? n : 12 * n);
		y += m / 12;
		m = m % 12 + 1;
		d = out->d > lk_month_days(y, m) ? lk_month_days(y, m) : out->d;
		return tp_set(y, m, d, out);
	}
}

/* vandaag, morgen, overmorgen, gisteren ... and "vandaag over een week". */
static int tp_date_day_word(const struct tp_dctx *c, size_t i, struct tp_date *out, size_t *last)
{
	static const struct {
		const char *w;
		int delta;
	} words[] = {
		{ "vandaag", 0 }, { "today", 0 }, { "vanochtend", 0 }, { "vanmorgen", 0 },
		{ "vanmiddag", 0 }, { "vanavond", 0 }, { "vannacht", 0 }, { "tonight", 0 },
		{ "morgen", 1 }, { "morgenochtend", 1 }, { "morgenvroeg", 1 },
		{ "morgenmiddag", 1 }, { "morgenavond", 1 }, { "tomorrow", 1 },
		{ "overmorgen", 2 }, { "gisteren", -1 }, { "gisterochtend", -1 },
		{ "gistermiddag", -1 }, { "gisteravond", -1 }, { "yesterday", -1 },
		{ "eergisteren", -2 },
	};
	/* Before these, "morgen" is the morning, not tomorrow. */
	static const char *const morning[] = {
		"goede", "goeie", "good", "de", "deze", "die", "elke", "iedere", "volgende",
		"hele", NULL,
	};
	const struct tp_view *v = c->v;
	long base;
	int delta = 0, found = 0;

	for (size_t k = 0; k < sizeof(words) / sizeof(words[0]); k++) {
		if (text_parse_tok_is(v, i, words[k].w)) {
			delta = words[k].delta;
			found = 1;
			break;
		}
	}
	if (found && text_parse_tok_is(v, i, "morgen") && i > 0 &&
	    text_parse_tok_in(v, i - 1, morning) >= 0)
		return 0;
	*last = i;
	if (!found && text_parse_tok_is(v, i, "day") && text_parse_tok_is(v, i + 2, "tomorrow") &&
	    text_parse_tok_is(v, i + 1, "after")) {
		delta = 2;
		*last = i + 2;
	} else if (!found && text_parse_tok_is(v, i, "day") &&
		   text_parse_tok_is(v, i + 1, "before") &&
		   text_parse_tok_is(v, i + 2, "yesterday")) {
		delta = -2;
		*last = i + 2;
	} else if (!found) {
		return 0;
	}
	base = c->today_days + delta;
	if (tp_date_relative(c, *last + 1, base, out, last))
		return 1;
	tp_date_from_days(base, out);
	return 1;
}

static int tp_date_at(const struct tp_dctx *c, size_t i, struct tp_date *out, size_t *last)
{
	return tp_date_explicit(c, i, out, last) || tp_date_weekday_form(c, i, out, last) ||
	       tp_date_day_word(c, i, out, last) ||
	       tp_date_relative(c, i, c->today_days, out, last);
}

static void tp_put_digits(char *p, int value, int width)
{
	for (int k = width - 1; k >= 0; k--) {
		p[k] = (char)('0' + value % 10);
		value /= 10;
	}
}

/* No match yet: an empty out and an empty span. */
static void tp_reset(char *out, size_t *start, size_t *end)
{
	if (out)
		out[0] = '\0';
	if (start)
		*start = 0;
	if (end)
		*end = 0;
}

int text_parse_date(const char *text, int today_y, int today_m, int today_d, char *out,
		    size_t *start, size_t *end)
{
	struct tp_view v;
	struct tp_dctx c;
	struct tp_date d = { 0, 0, 0 };
	size_t last = 0, i;
	int found = 0;

	tp_reset(out, start, end);
	if (!tp_valid(today_y, today_m, today_d) || today_y < TP_YEAR_MIN || today_y > TP_YEAR_MAX)
		return 0;
	if (text_parse_view_init(&v, text))
		goto out;
	c.v = &v;
	c.today.y = today_y;
	c.today.m = today_m;
	c.today.d = today_d;
	c.today_days = (long)lk_days_from_civil(today_y, today_m, today_d);
	for (i = 0; i < v.ntok && !found; i++)
		found = tp_date_at(&c, i, &d, &last);
	if (!found)
		goto out;
	i--;
	text_parse_span(&v, i, last, start, end);
	if (out) {
		tp_put_digits(out, d.y, 4);
		out[4] = '-';
		tp_put_digits(out + 5, d.m, 2);
		out[7] = '-';
		tp_put_digits(out + 8, d.d, 2);
		out[10] = '\0';
	}
out:
	text_parse_view_release(&v);
	return found;
}

/* --- times --- */

enum tp_part { TP_PART_NONE, TP_PART_AM, TP_PART_PM, TP_PART_EVENING, TP_PART_NIGHT };

struct tp_time {
	int h, m;
	int ambiguous; /* an hour 1..12 that does not say morning or afternoon */
};

/* An hour written as a word (een..twaalf, one..twelve) or a number 0..23 at
 * token i, for the word forms ("half vier", "kwart over 3"). Returns the hour
 * or -1; sets t->ambiguous. */
static int tp_hour_at(const struct tp_view *v, size_t i, struct tp_time *t)
{
	unsigned w = text_parse_tok_numword(v, i);

	if (w >= 1 && w <= 12) {
		t->ambiguous = 1;
		return (int)w;
	}
	if (i < v->ntok && v->tok[i].kind == TP_NUM && text_parse_num_starts(v, i) && text_parse_num_ends(v, i) &&
	    text_parse_tok_len(v, i) <= 2 && v->tok[i].num <= 23) {
		t->ambiguous = v->tok[i].num >= 1 && v->tok[i].num <= 12 &&
			       text_parse_tok_len(v, i) == 1;
		return (int)v->tok[i].num;
	}
	return -1;
}

/* Minutes as a word or a number 1..max, or "kwart" (15) when quarter is set. */
static int tp_minutes_at(const struct tp_view *v, size_t i, int max)
{
	unsigned w = text_parse_tok_numword(v, i);

	if (text_parse_tok_is(v, i, "kwart") || text_parse_tok_is(v, i, "quarter"))
		return 15;
	if (w >= 1 && (int)w <= max)
		return (int)w;
	if (i < v->ntok && v->tok[i].kind == TP_NUM && text_parse_num_starts(v, i) && text_parse_num_ends(v, i) &&
	    v->tok[i].num >= 1 && (int)v->tok[i].num <= max)
		return (int)v->tok[i].num;
	return -1;
}

/* The hour before h on a 12-hour clock: "half een" is 12:30. */
static int tp_hour_before(int h)
{
	return h == 1 ? 12 : h == 0 ? 23 : h - 1;
}

/* Dutch and English word forms: "half vier", "kwart over drie", "tien voor
 * half vier", "half past three", "quarter to four", "noon". */
static int tp_time_words(const struct tp_view *v, size_t i, struct tp_time *t, size_t *last)
{
	int h, mins;
	size_t j = i;

	if (text_parse_tok_is(v, i, "noon") || text_parse_tok_is(v, i, "midday")) {
		t->h = 12;
		t->m = 0;
		*last = i;
		return 1;
	}
	if (text_parse_tok_is(v, i, "midnight") || text_parse_tok_is(v, i, "middernacht")) {
		t->h = 0;
		t->m = 0;
		*last = i;
		return 1;
	}
	if (text_parse_tok_is(v, i, "a") && text_parse_tok_is(v, i + 1, "quarter"))
		j = i + 1;
	if (text_parse_tok_is(v, j, "half")) {
		if (text_parse_tok_is(v, j + 1, "past")) {
			h = tp_hour_at(v, j + 2, t);
			if (h < 0)
				return 0;
			t->h = h;
			t->m = 30;
			*last = j + 2;
			return 1;
		}
		h = tp_hour_at(v, j + 1, t);
		if (h < 1 || h > 12)
			return 0;
		t->h = tp_hour_before(h);
		t->m = 30;
		*last = j + 1;
		return 1;
	}
	mins = tp_minutes_at(v, j, 29);
	if (mins < 0)
		return 0;
	if (text_parse_tok_is(v, j + 1, "minuten") || text_parse_tok_is(v, j + 1, "minutes"))
		j++;
	if (text_parse_tok_is(v, j + 1, "over") || text_parse_tok_is(v, j + 1, "voor")) {
		int after = text_parse_tok_is(v, j + 1, "over");

		if (mins > 20 && mins != 15)
			return 0;
		if (text_parse_tok_is(v, j + 2, "half")) {
			h = tp_hour_at(v, j + 3, t);
			if (h < 1 || h > 12 || mins > 14)
				return 0;
			t->h = tp_hour_before(h);
			t->m = after ? 30 + mins : 30 - mins;
			*last = j + 3;
			return 1;
		}
		h = tp_hour_at(v, j + 2, t);
		if (h < 0)
			return 0;
		t->h = after ? h : tp_hour_before(h);
		t->m = after ? mins : 60 - mins;
		*last = j + 2;
		return 1;
	}
	if (text_parse_tok_is(v, j + 1, "past") || text_parse_tok_is(v, j + 1, "to")) {
		int after = text_parse_tok_is(v, j + 1, "past");

		h = tp_hour_at(v, j + 2, t);
		if (h < 0)
			return 0;
		t->h = after ? h : tp_hour_before(h);
		t->m = after ? mins : 60 - mins;
		*last = j + 2;
		return 1;
	}
	return 0;
}

static int tp_is_currency(const struct tp_view *v, size_t i)
{
	static const char *const cur[] = { "eur", "euro", "euros", "\xe2\x82\xac", NULL };

	return text_parse_tok_in(v, i, cur) >= 0 || text_parse_tok_sym(v, i, '$');
}

/* Glued "am"/"pm" or "a.m."/"p.m." at token i. Returns TP_PART_AM/PM or NONE. */
static int tp_ampm_at(const struct tp_view *v, size_t i, size_t *last)
{
	if (text_parse_tok_is(v, i, "am") || text_parse_tok_is(v, i, "pm")) {
		*last = i;
		return v->s[v->tok[i].a] == 'a' ? TP_PART_AM : TP_PART_PM;
	}
	if ((text_parse_tok_is(v, i, "a") || text_parse_tok_is(v, i, "p")) &&
	    text_parse_tok_sym(v, i + 1, '.') && text_parse_tok_is(v, i + 2, "m") &&
	    text_parse_tok_glued(v, i + 1) && text_parse_tok_glued(v, i + 2)) {
		*last = i + 2;
		if (text_parse_tok_sym(v, i + 3, '.') && text_parse_tok_glued(v, i + 3))
			*last = i + 3;
		return v->s[v->tok[i].a] == 'a' ? TP_PART_AM : TP_PART_PM;
	}
	return TP_PART_NONE;
}

/* A part of the day after token j: "'s middags", "smiddags", "in de avond",
 * "in the morning", "at night", "am", "p.m.". */
static int tp_part_after(const struct tp_view *v, size_t j, size_t *last)
{
	static const char *const s_words[] = {
		"ochtends", "morgens", "middags", "avonds", "nachts", NULL,
	};
	static const char *const glued[] = {
		"sochtends", "smorgens", "smiddags", "savonds", "snachts", NULL,
	};
	static const char *const de_words[] = {
		"ochtend", "morgen", "middag", "avond", "nacht", NULL,
	};
	static const char *const the_words[] = {
		"morning", "afternoon", "evening", "night", NULL,
	};
	static const int parts[] = { TP_PART_AM, TP_PART_AM, TP_PART_PM, TP_PART_EVENING,
				     TP_PART_NIGHT };
	static const int en_parts[] = { TP_PART_AM, TP_PART_PM, TP_PART_EVENING, TP_PART_NIGHT };
	size_t k = j + 1;
	int p;

	p = tp_ampm_at(v, k, last);
	if (p != TP_PART_NONE)
		return p;
	p = text_parse_tok_in(v, k, glued);
	if (p >= 0) {
		*last = k;
		return parts[p];
	}
	if (text_parse_tok_sym(v, k, '\''))
		k++;
	if (text_parse_tok_is(v, k, "s")) {
		p = text_parse_tok_in(v, k + 1, s_words);
		if (p >= 0) {
			*last = k + 1;
			return parts[p];
		}
	}
	k = j + 1;
	if (text_parse_tok_is(v, k, "in") &&
	    (text_parse_tok_is(v, k + 1, "de") || text_parse_tok_is(v, k + 1, "the"))) {
		p = text_parse_tok_in(v, k + 2, de_words);
		if (p >= 0) {
			*last = k + 2;
			return parts[p];
		}
		p = text_parse_tok_in(v, k + 2, the_words);
		if (p >= 0) {
			*last = k + 2;
			return en_parts[p];
		}
	}
	if (text_parse_tok_is(v, k, "at") && text_parse_tok_is(v, k + 1, "night")) {
		*last = k + 1;
		return TP_PART_NIGHT;
	}
	return TP_PART_NONE;
}

/* Words before "N uur" that make it a duration, and words after it. */
static const char *const tp_duration_before[] = {
	"over", "binnen", "in", "within", "for", "gedurende", "duurt", "duren", NULL,
};
static const char *const tp_duration_after[] = {
	"lang", "later", "geleden", "per", "extra", "long", "ago", NULL,
};

/* What may follow an hour at token i without minutes: "uur" (not in a
 * duration), "o'clock", or nothing when bare (after "om"/"at"). */
static int tp_time_hour_tail(const struct tp_view *v, size_t i, int bare, size_t *last)
{
	if (text_parse_tok_is(v, i + 1, "uur")) {
		if (i > 0 && text_parse_tok_in(v, i - 1, tp_duration_before) >= 0 && !bare)
			return 0;
		if (text_parse_tok_in(v, i + 2, tp_duration_after) >= 0)
			return 0;
		*last = i + 1;
		return 1;
	}
	if (text_parse_tok_is(v, i + 1, "o") && text_parse_tok_sym(v, i + 2, '\'') &&
	    text_parse_tok_is(v, i + 3, "clock")) {
		*last = i + 3;
		return 1;
	}
	if (!bare)
		return 0;
	*last = i;
	return 1;
}

/* Digit forms at token i: "15:30", "15.30", "15u30", "15u", "15 uur", "3 pm",
 * "3 o'clock"; bare "3" only when bare is set (after "om"/"at"). */
static int tp_time_digits(const struct tp_view *v, size_t i, int bare, struct tp_time *t,
			  size_t *last, int *part)
{
	size_t j = i;
	int h;

	if (!text_parse_num_starts(v, i) || text_parse_tok_len(v, i) > 2 ||
	    (i > 0 && tp_is_currency(v, i - 1)))
		return 0;
	h = (int)v->tok[i].num;
	t->ambiguous = h >= 1 && h <= 12 && text_parse_tok_len(v, i) == 1;
	t->h = h;
	t->m = 0;
	if ((text_parse_tok_sym(v, i + 1, ':') || text_parse_tok_sym(v, i + 1, '.') ||
	     text_parse_tok_is(v, i + 1, "u") || text_parse_tok_is(v, i + 1, "h")) &&
	    text_parse_tok_glued(v, i + 1) && i + 2 < v->ntok && v->tok[i + 2].kind == TP_NUM &&
	    text_parse_tok_glued(v, i + 2)) {
		char sep = v->s[v->tok[i + 1].a];

		if (text_parse_tok_len(v, i + 2) != 2)
			return 0;
		t->m = (int)v->tok[i + 2].num;
		j = i + 2;
		if (sep == ':' && text_parse_tok_sym(v, j + 1, ':') &&
		    text_parse_tok_glued(v, j + 1) && j + 2 < v->ntok &&
		    v->tok[j + 2].kind == TP_NUM && text_parse_tok_glued(v, j + 2) &&
		    text_parse_tok_len(v, j + 2) == 2)
			j += 2;
		if (!text_parse_num_ends(v, j) && !tp_ampm_at(v, j + 1, last))
			return 0;
		if (text_parse_tok_glued(v, j + 1) && v->tok[j + 1].kind == TP_SYM &&
		    strchr("-/.:", v->s[v->tok[j + 1].a]) && j + 2 < v->ntok &&
		    v->tok[j + 2].kind == TP_NUM && text_parse_tok_glued(v, j + 2))
			return 0;
		if (sep == '.' && tp_is_currency(v, j + 1))
			return 0;
		*last = j;
		if (text_parse_tok_is(v, j + 1, "uur"))
			*last = j + 1;
		return 1;
	}
	if ((text_parse_tok_is(v, i + 1, "u") || text_parse_tok_is(v, i + 1, "h") ||
	     text_parse_tok_is(v, i + 1, "uur")) &&
	    text_parse_tok_glued(v, i + 1) && text_parse_num_ends(v, i + 1)) {
		*last = i + 1;
		return 1;
	}
	*part = tp_ampm_at(v, i + 1, last);
	if (*part != TP_PART_NONE)
		return 1;
	if (!text_parse_num_ends(v, i))
		return 0;
	return tp_time_hour_tail(v, i, bare, last);
}

/* A written hour with "uur" or "o'clock": "drie uur", "three o'clock"; bare
 * "drie" after "om". */
static int tp_time_hour_word(const struct tp_view *v, size_t i, int bare, struct tp_time *t,
			     size_t *last)
{
	unsigned w = text_parse_tok_numword(v, i);

	if (w < 1 || w > 12)
		return 0;
	/* "een uur" is mostly "an hour"; "om een uur" is a time. */
	if (w == 1 && text_parse_tok_is(v, i, "een") && !bare)
		return 0;
	t->h = (int)w;
	t->m = 0;
	t->ambiguous = 1;
	return tp_time_hour_tail(v, i, bare, last);
}

/* Applies a part of the day or the office-hours rule; returns 0 when the
 * result is not a time of day. */
static int tp_time_finish(struct tp_time *t, int part, int office_hours)
{
	if (t->h < 0 || t->h > 23 || t->m < 0 || t->m > 59)
		return 0;
	if (part != TP_PART_NONE && t->h <= 12) {
		switch (part) {
		case TP_PART_AM:
			if (t->h == 12)
				t->h = 0;
			break;
		case TP_PART_PM:
			if (t->h < 12)
				t->h += 12;
			break;
		case TP_PART_EVENING:
			t->h = t->h == 12 ? 0 : t->h + 12;
			break;
		case TP_PART_NIGHT:
			if (t->h == 12)
				t->h = 0;
			else if (t->h >= 7)
				t->h += 12;
			break;
		default:
			break;
		}
		if (t->h > 23)
			t->h -= 24;
		return 1;
	}
	if (part == TP_PART_NONE && office_hours && t->ambiguous && t->h >= 1 && t->h <= 7)
		t->h += 12;
	return 1;
}

/* Nouns that make a bare number after "om"/"at" a count, not an hour. */
static const char *const tp_counted[] = {
	"dag", "dagen", "week", "weken", "maand", "maanden", "jaar", "jaren", "keer", "euro",
	"kinderen", "personen", "mensen", "minuten", "uren", "stuks", "procent", "days",
	"weeks", "months", "years", "times", "people", "persons", "children", "minutes",
	"hours", "percent", NULL,
};

static int tp_time_at(const struct tp_view *v, size_t i, int office_hours, struct tp_time *t,
		      size_t *last)
{
	static const char *const at[] = { "om", "at", "rond", "around", "omstreeks", NULL };
	int part = TP_PART_NONE, bare = 0, ok;
	size_t j = i;

	memset(t, 0, sizeof(*t));
	if (text_parse_tok_in(v, i, at) >= 0) {
		bare = 1;
		j = i + 1;
	}
	ok = tp_time_words(v, j, t, last);
	if (!ok)
		ok = tp_time_digits(v, j, bare, t, last, &part);
	if (!ok)
		ok = tp_time_hour_word(v, j, bare, t, last);
	if (!ok)
		return 0;
	/* "om 3 dagen" counts days; "ik kom om 3 langs" is a time. */
	if (bare && *last == j && text_parse_tok_in(v, j + 1, tp_counted) >= 0)
		return 0;
	if (part == TP_PART_NONE)
		part = tp_part_after(v, *last, last);
	return tp_time_finish(t, part, office_hours);
}

int text_parse_time(const char *text, int office_hours, char *out, size_t *start, size_t *end)
{
	struct tp_view v;
	struct tp_time t = { 0, 0, 0 };
	size_t last = 0, i;
	int found = 0;

	tp_reset(out, start, end);
	if (text_parse_view_init(&v, text))
		goto out;
	for (i = 0; i < v.ntok && !found; i++)
		found = tp_time_at(&v, i, office_hours, &t, &last);
	if (!found)
		goto out;
	text_parse_span(&v, i - 1, last, start, end);
	if (out) {
		tp_put_digits(out, t.h, 2);
		out[2] = ':';
		tp_put_digits(out + 3, t.m, 2);
		out[5] = '\0';
	}
out:
	text_parse_view_release(&v);
	return found;
}
