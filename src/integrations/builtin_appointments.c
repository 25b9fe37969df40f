/* builtin_appointments.c - the built-in appointment calendar: products with a
 * duration, locations with opening hours and a number of counters, closed
 * days, 15-minute slots; free days and times, booking, cancelling and moving
 * with the capacity check in one store transaction (store_appt_*).
 *
 * Capacity: at any moment a location serves at most `counters` appointments
 * at once; an appointment of 30 minutes needs a free counter for both of its
 * slots. The lists of free days and times are advice; the store checks again
 * when booking, so two people racing for the last counter never both get it.
 */
#include "integrations/integ_int.h"

#include "core/clock.h"
#include "core/mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define APPT_PERIODS_MAX 8    /* opening periods per weekday */
#define APPT_BOOK_TRIES 5     /* new references tried when one is taken */

/* What one question about a product at a location needs, loaded from the
 * seeded reference data. */
struct appt_plan {
	json_t *product;   /* owned */
	json_t *location;  /* owned; NULL when no location was asked for */
	int slot;          /* minutes */
	int horizon;       /* days, today included */
	int minutes;       /* the product's duration */
	int counters;
	int periods[7][APPT_PERIODS_MAX][2]; /* per weekday (0 = Monday): [start, end) */
	int nperiods[7];
	int64_t *closed;   /* days the location is closed; owned */
	size_t nclosed;
};

static void appt_plan_release(struct appt_plan *p)
{
	json_decref(p->product);
	json_decref(p->location);
	free(p->closed);
	memset(p, 0, sizeof(*p));
}

static int appt_int(const json_t *obj, const char *key, int min, int max, int def)
{
	json_t *v = json_object_get(obj, key);
	json_int_t n;

	if (!json_is_integer(v))
		return def;
	n = json_integer_value(v);
	return n < min || n > max ? def : (int)n;
}

/* Whether the location's "products" list (if any) holds product. */
static bool appt_offers(const json_t *location, const char *product)
{
	json_t *list = json_object_get(location, "products"), *v;
	size_t i;

	if (!json_is_array(list))
		return true;
	json_array_foreach(list, i, v) {
		if (json_is_string(v) && !strcmp(json_string_value(v), product))
			return true;
	}
	return false;
}

static int appt_load_closed(const struct integ_ctx *c, struct appt_plan *p, const char *location,
			    struct lk_err *err)
{
	json_t *all, *v;
	size_t i;
	int rc;

	rc = integ_data_list(c, INTEG_KIND_CLOSED, &all, err);
	if (rc)
		return rc;
	p->closed = xreallocarray(NULL, json_array_size(all) + 1, sizeof(*p->closed));
	json_array_foreach(all, i, v) {
		json_t *only = json_object_get(v, "locations"), *w;
		const char *date = json_string_value(json_object_get(v, "id"));
		bool applies = !json_is_array(only);
		size_t k;
		int64_t day;

		json_array_foreach(only, k, w) {
			if (json_is_string(w) && !strcmp(json_string_value(w), location))
				applies = true;
		}
		if (applies && date && lk_day_parse(date, &day))
			p->closed[p->nclosed++] = day;
	}
	json_decref(all);
	return 0;
}

/* Loads product and (when location is not NULL) location; unknown ones are
 * refused as invalid. */
static int appt_load(const struct integ_ctx *c, const char *product, const char *location,
		     struct appt_plan *p, struct lk_err *err)
{
	json_t *config = NULL, *hours;
	int rc;

	memset(p, 0, sizeof(*p));
	rc = integ_data_get(c, INTEG_KIND_PRODUCT, product, &p->product, err);
	if (rc == LK_ENOTFOUND)
		return integ_refuse(err, "invalid", "unknown product '%s'", product);
	if (rc)
		return rc;
	p->minutes = appt_int(p->product, "minutes", 1, 8 * 60, 15);
	p->slot = 15;
	p->horizon = 30;
	if (!integ_data_get(c, INTEG_KIND_CONFIG, "appointments", &config, NULL)) {
		p->slot = appt_int(config, "slot_minutes", 5, 120, 15);
		p->horizon = appt_int(config, "horizon_days", 1, 366, 30);
		json_decref(config);
	}
	if (!location)
		return 0;
	rc = integ_data_get(c, INTEG_KIND_LOCATION, location, &p->location, err);
	if (rc == LK_ENOTFOUND)
		rc = integ_refuse(err, "invalid", "unknown location '%s'", location);
	else if (!rc && !appt_offers(p->location, product))
		rc = integ_refuse(err, "invalid", "location '%s' does not offer '%s'", location,
				  product);
	if (rc)
		goto fail;
	p->counters = appt_int(p->location, "counters", 0, 1000, 1);
	/* Seeded as "hours": [[[start, end], ...] x 7], Monday first. */
	hours = json_object_get(p->location, "hours");
	for (int wd = 0; wd < 7; wd++) {
		json_t *day = json_array_get(hours, (size_t)wd), *per;
		size_t i;

		json_array_foreach(day, i, per) {
			int a = (int)json_integer_value(json_array_get(per, 0));
			int b = (int)json_integer_value(json_array_get(per, 1));

			if (p->nperiods[wd] < APPT_PERIODS_MAX && a >= 0 && a < b && b <= 24 * 60) {
				p->periods[wd][p->nperiods[wd]][0] = a;
				p->periods[wd][p->nperiods[wd]][1] = b;
				p->nperiods[wd]++;
			}
		}
	}
	rc = appt_load_closed(c, p, location, err);
	if (rc)
		goto fail;
	return 0;
fail:
	appt_plan_release(p);
	return rc;
}

static bool appt_is_closed(const struct appt_plan *p, int64_t day)
{
	for (size_t i = 0; i < p->nclosed; i++) {
		if (p->closed[i] == day)
			return true;
	}
	return false;
}

/* Whether [start, start + minutes) has a free counter given the booked spans
 * sp[0..n) of that day (see appt_fits in store_sqlite.c). */
static bool appt_free(const struct store_appt_span *sp, size_t n, int start, int end, int cap)
{
	if (cap <= 0)
		return false;
	for (size_t i = 0; i <= n; i++) {
		int at = i == n ? start : sp[i].start_min;
		int busy = 0;

		if (at < start || at >= end)
			continue;
		for (size_t j = 0; j < n; j++)
			busy += sp[j].start_min <= at && at < sp[j].end_min;
		if (busy >= cap)
			return false;
	}
	return true;
}

/* Calls fn for every free starting time on `day`, given that day's spans;
 * stops when fn returns true. Returns whether it was stopped. */
static bool appt_each_free(const struct integ_ctx *c, const struct appt_plan *p, int64_t day,
			   const struct store_appt_span *sp, size_t n,
			   bool (*fn)(void *ctx, int start), void *ctx)
{
	int wd = integ_weekday(day);
	int after = day == integ_today(c) ? integ_minute_now(c) : -1;

	if (appt_is_closed(p, day))
		return false;
	for (int k = 0; k < p->nperiods[wd]; k++) {
		for (int s = p->periods[wd][k][0]; s + p->minutes <= p->periods[wd][k][1];
		     s += p->slot) {
			if (s <= after)
				continue;
			if (appt_free(sp, n, s, s + p->minutes, p->counters) && fn(ctx, s))
				return true;
		}
	}
	return false;
}

static bool appt_stop(void *ctx, int start)
{
	(void)ctx;
	(void)start;
	return true;
}

static bool appt_add_time(void *ctx, int start)
{
	char hhmm[6];

	integ_hhmm_format(start, hhmm);
	json_array_append_new(ctx, json_string(hhmm));
	return false;
}

/* Why a booking at (day, start) is impossible regardless of capacity, or 0. */
static int appt_check_slot(const struct integ_ctx *c, const struct appt_plan *p, int64_t day,
			   int start, struct lk_err *err)
{
	int64_t today = integ_today(c);
	int wd = integ_weekday(day);

	if (day < today || (day == today && start <= integ_minute_now(c)))
		return integ_refuse(err, "past", "that moment has passed");
	if (day >= today + p->horizon)
		return integ_refuse(err, "closed", "the agenda is open %d days ahead", p->horizon);
	if (appt_is_closed(p, day))
		return integ_refuse(err, "closed", "the location is closed that day");
	for (int k = 0; k < p->nperiods[wd]; k++) {
		int a = p->periods[wd][k][0], b = p->periods[wd][k][1];

		if (start < a || start + p->minutes > b)
			continue;
		if ((start - a) % p->slot)
			return integ_refuse(err, "invalid", "appointments start every %d minutes",
					    p->slot);
		return 0;
	}
	return integ_refuse(err, "closed", "the location is not open then");
}

static int appt_args_place(json_t *args, char *product, char *location, struct lk_err *err)
{
	int rc = integ_arg_word(args, "product", true, product, INTEG_WORD_MAX, NULL, err);

	if (!rc && location)
		rc = integ_arg_word(args, "location", true, location, INTEG_WORD_MAX, NULL, err);
	return rc;
}

static int appt_arg_day(json_t *args, const char *key, bool required, int64_t *day,
			bool *present, struct lk_err *err)
{
	char s[INTEG_WORD_MAX];
	int rc = integ_arg_word(args, key, required, s, sizeof(s), present, err);

	if (!rc && s[0] && !lk_day_parse(s, day))
		rc = integ_refuse(err, "invalid", "'%s' is not a date (YYYY-MM-DD)", key);
	return rc;
}

static int appt_arg_time(json_t *args, int *start, struct lk_err *err)
{
	char s[INTEG_WORD_MAX];
	int rc = integ_arg_word(args, "time", true, s, sizeof(s), NULL, err);

	if (!rc && !integ_hhmm_parse(s, start))
		rc = integ_refuse(err, "invalid", "'time' is not a time (HH:MM)");
	return rc;
}

int integ_appt_products(const struct integ_ctx *c, json_t *args, json_t **out,
			struct lk_err *err)
{
	return integ_options(c, INTEG_KIND_PRODUCT, out, err);
}

int integ_appt_locations(const struct integ_ctx *c, json_t *args, json_t **out,
			 struct lk_err *err)
{
	char product[INTEG_WORD_MAX];
	struct appt_plan p;
	json_t *all, *opts, *v;
	size_t i;
	int rc;

	rc = appt_args_place(args, product, NULL, err);
	if (!rc)
		rc = appt_load(c, product, NULL, &p, err);
	if (rc)
		return rc;
	appt_plan_release(&p);
	rc = integ_data_list(c, INTEG_KIND_LOCATION, &all, err);
	if (rc)
		return rc;
	opts = json_array();
	json_array_foreach(all, i, v) {
		const char *id = json_string_value(json_object_get(v, "id"));

		if (id && appt_offers(v, product))
			json_array_append_new(opts, json_pack("{s:s, s:s, s:s}", "value", id,
							      "label", integ_label(c, v), "address",
							      integ_str(v, "address")));
	}
	json_decref(all);
	*out = json_pack("{s:o}", "options", opts);
	return 0;
}

/* Loads the plan and the booked spans of days [from, to] at the location. */
static int appt_load_spans(const struct integ_ctx *c, const char *location, int64_t from,
			   int64_t to, struct store_appt_spans *spans, struct lk_err *err)
{
	char a[11], b[11];

	integ_day_format(from, a);
	integ_day_format(to, b);
	return store_appt_spans(c->st, c->bot, location, a, b, spans, err);
}

/* The spans of `day` within the sorted list: sets *first and returns the count. */
static size_t appt_day_spans(const struct store_appt_spans *spans, int64_t day, size_t *first)
{
	char d[11];
	size_t i = 0, n = 0;

	integ_day_format(day, d);
	while (i < spans->n && strcmp(spans->v[i].day, d) < 0)
		i++;
	*first = i;
	while (i + n < spans->n && !strcmp(spans->v[i + n].day, d))
		n++;
	return n;
}

int integ_appt_days(const struct integ_ctx *c, json_t *args, json_t **out, struct lk_err *err)
{
	char product[INTEG_WORD_MAX], location[INTEG_WORD_MAX];
	struct store_appt_spans spans = {0};
	struct appt_plan p;
	int64_t today = integ_today(c), from = today, last;
	json_t *days;
	int rc;

	rc = appt_args_place(args, product, location, err);
	if (!rc)
		rc = appt_arg_day(args, "from", false, &from, NULL, err);
	if (!rc)
		rc = appt_load(c, product, location, &p, err);
	if (rc)
		return rc;
	if (from < today)
		from = today;
	last = today + p.horizon - 1;
	days = json_array();
	if (from <= last)
		rc = appt_load_spans(c, location, from, last, &spans, err);
	for (int64_t d = from; d <= last && !rc; d++) {
		size_t first, n = appt_day_spans(&spans, d, &first);

		if (appt_each_free(c, &p, d, spans.v + first, n, appt_stop, NULL)) {
			char s[11];

			integ_day_format(d, s);
			json_array_append_new(days, json_string(s));
		}
	}
	store_appt_spans_release(&spans);
	appt_plan_release(&p);
	if (rc) {
		json_decref(days);
		return rc;
	}
	*out = json_pack("{s:o}", "days", days);
	return 0;
}

int integ_appt_times(const struct integ_ctx *c, json_t *args, json_t **out, struct lk_err *err)
{
	char product[INTEG_WORD_MAX], location[INTEG_WORD_MAX];
	struct store_appt_spans spans = {0};
	struct appt_plan p;
	int64_t day = 0, today = integ_today(c);
	json_t *times;
	int rc;

	rc = appt_args_place(args, product, location, err);
	if (!rc)
		rc = appt_arg_day(args, "date", true, &day, NULL, err);
	if (!rc)
		rc = appt_load(c, product, location, &p, err);
	if (rc)
		return rc;
	if (day < today)
		rc = integ_refuse(err, "past", "that day has passed");
	else if (day >= today + p.horizon)
		rc = integ_refuse(err, "closed", "the agenda is open %d days ahead", p.horizon);
	else if (appt_is_closed(&p, day) || !p.nperiods[integ_weekday(day)])
		rc = integ_refuse(err, "closed", "the location is closed that day");
	if (!rc)
		rc = appt_load_spans(c, location, day, day, &spans, err);
	if (rc) {
		appt_plan_release(&p);
		return rc;
	}
	times = json_array();
	appt_each_free(c, &p, day, spans.v, spans.n, appt_add_time, times);
	store_appt_spans_release(&spans);
	appt_plan_release(&p);
	*out = json_pack("{s:o}", "times", times);
	return 0;
}

/* The details of a stored appointment, as book, get and move return them. */
static json_t *appt_details(const struct integ_ctx *c, const struct store_appt *a)
{
	json_t *product = NULL, *location = NULL, *o;
	char start[6], end[6];

	integ_data_get(c, INTEG_KIND_PRODUCT, a->product, &product, NULL);
	integ_data_get(c, INTEG_KIND_LOCATION, a->location, &location, NULL);
	integ_hhmm_format(a->start_min, start);
	integ_hhmm_format(a->end_min, end);
	o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "reference", a->ref,
		      "date", a->day, "time", start, "end_time", end, "product", a->product,
		      "product_label", product ? integ_label(c, product) : a->product, "location",
		      a->location, "location_label",
		      location ? integ_label(c, location) : a->location, "address",
		      integ_str(location, "address"), "status",
		      a->status);
	json_decref(product);
	json_decref(location);
	return o;
}

int integ_appt_book(const struct integ_ctx *c, json_t *args, json_t **out, struct lk_err *err)
{
	char product[INTEG_WORD_MAX], location[INTEG_WORD_MAX];
	char *name = NULL, *email = NULL;
	struct store_appt a;
	struct appt_plan p;
	int64_t day = 0;
	int start = 0, rc;
	bool loaded = false;

	memset(&a, 0, sizeof(a));
	rc = appt_args_place(args, product, location, err);
	if (!rc)
		rc = appt_arg_day(args, "date", true, &day, NULL, err);
	if (!rc)
		rc = appt_arg_time(args, &start, err);
	if (!rc)
		rc = integ_arg_text(args, "name", true, 1, INTEG_NAME_MAX, false, &name, err);
	if (!rc)
		rc = integ_arg_text(args, "email", true, 5, INTEG_EMAIL_MAX, false, &email, err);
	if (!rc && !integ_email_ok(email))
		rc = integ_refuse(err, "invalid", "'email' is not an e-mail address");
	if (!rc) {
		rc = appt_load(c, product, location, &p, err);
		loaded = !rc;
	}
	if (!rc)
		rc = appt_check_slot(c, &p, day, start, err);
	if (rc)
		goto out;
	snprintf(a.product, sizeof(a.product), "%s", product);
	snprintf(a.location, sizeof(a.location), "%s", location);
	integ_day_format(day, a.day);
	a.start_min = start;
	a.end_min = start + p.minutes;
	snprintf(a.status, sizeof(a.status), "booked");
	snprintf(a.name, sizeof(a.name), "%s", name);
	snprintf(a.email, sizeof(a.email), "%s", email);
	a.created_at = c->now;
	a.updated_at = c->now;
	for (int i = 0; i < APPT_BOOK_TRIES; i++) {
		integ_ref_new("AF", a.ref);
		rc = store_appt_book(c->st, c->bot, &a, p.counters, err);
		if (rc != LK_EEXIST)
			break;
	}
	if (rc == LK_EBUSY)
		rc = integ_refuse(err, "full", "no counter is free at %s %s", a.day, a.location);
	if (!rc)
		*out = appt_details(c, &a);
out:
	if (loaded)
		appt_plan_release(&p);
	free(name);
	free(email);
	return rc;
}

/* Reads the appointment named by args' "reference". */
static int appt_arg_ref(const struct integ_ctx *c, json_t *args, struct store_appt *a,
			struct lk_err *err)
{
	char raw[INTEG_WORD_MAX], ref[STORE_REF_MAX];
	int rc = integ_arg_word(args, "reference", true, raw, sizeof(raw), NULL, err);

	if (rc)
		return rc;
	if (!integ_ref_norm(raw, ref))
		return integ_not_found(err, "no appointment '%s'", raw);
	rc = store_appt_get(c->st, c->bot, ref, a, err);
	if (rc == LK_ENOTFOUND)
		return integ_not_found(err, "no appointment %s", ref);
	return rc;
}

int integ_appt_get(const struct integ_ctx *c, json_t *args, json_t **out, struct lk_err *err)
{
	struct store_appt a;
	int rc = appt_arg_ref(c, args, &a, err);

	if (!rc)
		*out = appt_details(c, &a);
	return rc;
}

/* Refuses changing an appointment that is cancelled or has begun. */
static int appt_changeable(const struct integ_ctx *c, const struct store_appt *a,
			   struct lk_err *err)
{
	int64_t day = 0;

	if (strcmp(a->status, "booked"))
		return integ_refuse(err, "cancelled", "appointment %s is cancelled", a->ref);
	if (!lk_day_parse(a->day, &day) || day < integ_today(c) ||
	    (day == integ_today(c) && a->start_min <= integ_minute_now(c)))
		return integ_refuse(err, "past", "appointment %s has passed", a->ref);
	return 0;
}

int integ_appt_cancel(const struct integ_ctx *c, json_t *args, json_t **out, struct lk_err *err)
{
	struct store_appt a;
	int rc = appt_arg_ref(c, args, &a, err);

	if (!rc)
		rc = appt_changeable(c, &a, err);
	if (rc)
		return rc;
	rc = store_appt_cancel(c->st, c->bot, a.ref, c->now, err);
	if (rc == LK_ENOTFOUND) /* cancelled meanwhile */
		rc = integ_refuse(err, "cancelled", "appointment %s is cancelled", a.ref);
	if (!rc)
		*out = json_pack("{s:b, s:s}", "cancelled", 1, "reference", a.ref);
	return rc;
}

int integ_appt_move(const struct integ_ctx *c, json_t *args, json_t **out, struct lk_err *err)
{
	struct store_appt a;
	struct appt_plan p;
	int64_t day = 0;
	int start = 0, rc;

	rc = appt_arg_ref(c, args, &a, err);
	if (!rc)
		rc = appt_changeable(c, &a, err);
	if (!rc)
		rc = appt_arg_day(args, "date", true, &day, NULL, err);
	if (!rc)
		rc = appt_arg_time(args, &start, err);
	if (rc)
		return rc;
	rc = appt_load(c, a.product, a.location, &p, err);
	if (rc)
		return rc;
	rc = appt_check_slot(c, &p, day, start, err);
	if (!rc) {
		integ_day_format(day, a.day);
		a.start_min = start;
		a.end_min = start + p.minutes;
		rc = store_appt_move(c->st, c->bot, a.ref, a.day, a.start_min, a.end_min,
				     p.counters, c->now, err);
	}
	if (rc == LK_EBUSY)
		rc = integ_refuse(err, "full", "no counter is free at %s %s", a.day, a.location);
	else if (rc == LK_ENOTFOUND)
		rc = integ_refuse(err, "cancelled", "appointment %s is cancelled", a.ref);
	if (!rc)
		*out = appt_details(c, &a);
	appt_plan_release(&p);
	return rc;
}

int integ_appt_case(const struct integ_ctx *c, const char *ref, json_t **out,
		    struct lk_err *err)
{
	bool en = integ_lang_en(c);
	json_t *product = NULL, *location = NULL;
	const char *status, *where;
	char next[512], start[6];
	struct store_appt a;
	int64_t day = 0;
	int rc;

	rc = store_appt_get(c->st, c->bot, ref, &a, err);
	if (rc)
		return rc;
	integ_data_get(c, INTEG_KIND_PRODUCT, a.product, &product, NULL);
	integ_data_get(c, INTEG_KIND_LOCATION, a.location, &location, NULL);
	where = location ? integ_label(c, location) : a.location;
	integ_hhmm_format(a.start_min, start);
	lk_day_parse(a.day, &day);
	if (strcmp(a.status, "booked")) {
		status = en ? "Cancelled" : "Geannuleerd";
		snprintf(next, sizeof(next), "%s", en ? "You can make a new appointment."
						       : "U kunt een nieuwe afspraak maken.");
	} else if (day < integ_today(c) ||
		   (day == integ_today(c) && a.start_min < integ_minute_now(c))) {
		status = en ? "Appointment has taken place" : "Afspraak geweest";
		snprintf(next, sizeof(next), "%s", en ? "There is nothing left for you to do."
						       : "U hoeft niets meer te doen.");
	} else {
		status = en ? "Appointment scheduled" : "Afspraak gepland";
		snprintf(next, sizeof(next),
			 en ? "Come to %s on %s at %s. Bring a valid proof of identity."
			    : "Kom op %2$s om %3$s naar %1$s."
			      " Neem een geldig identiteitsbewijs mee.",
			 where, a.day, start);
	}
	*out = json_pack("{s:s, s:s, s:s, s:s}", "title",
			 product ? integ_label(c, product) : a.product, "status", status, "date",
			 a.day, "next_step", next);
	json_decref(product);
	json_decref(location);
	return 0;
}
