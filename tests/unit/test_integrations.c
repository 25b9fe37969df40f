/* test_integrations.c - unit tests for the built-in backends of the guided
 * flows (src/integrations) on the SQLite store, seeded from the demo bot's
 * data folder: every operation's happy path and refusals, capacity (with two
 * threads racing for the last counter), cancel and move, meldingen nearby
 * and the quality of category suggestions, addresses, permits, case status,
 * feedback, attachments, seeding and unknown operations.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/mem.h"
#include "integrations/integ.h"
#include "store/store.h"

/* Monday 2 March 2026, 08:00 in Amsterdam (CET, UTC+1). */
#define MON_0800 ((int64_t)1772434800)
#define HOUR 3600
#define DAY (24 * HOUR)
#define BOT "gemeente-demo"

struct fixture {
	char path[64];
	struct store *st;
	struct integ_ctx c;
};

static void data_dir(char *out, size_t size)
{
	const char *src = getenv("LOKET_SRC");

	snprintf(out, size, "%s/bots/gemeente-demo/data", src ? src : ".");
}

static int setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof(*f));
	struct lk_err err = {0};
	char url[80], dir[512];
	int fd;

	snprintf(f->path, sizeof(f->path), "/tmp/loket-test-integ-XXXXXX");
	fd = mkstemp(f->path);
	close(fd);
	snprintf(url, sizeof(url), "sqlite:%s", f->path);
	assert_int_equal(store_open(&f->st, url, NULL), 0);
	data_dir(dir, sizeof(dir));
	if (integ_seed(f->st, BOT, dir, &err))
		fail_msg("seeding failed: %s", err.msg);
	f->c = (struct integ_ctx){f->st, BOT, "nl", MON_0800, HOUR};
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char side[80];

	store_close(f->st);
	unlink(f->path);
	snprintf(side, sizeof(side), "%s-wal", f->path);
	unlink(side);
	snprintf(side, sizeof(side), "%s-shm", f->path);
	unlink(side);
	free(f);
	return 0;
}

/* Calls op with args given as JSON text; *out may be NULL to drop it. */
static int call(const struct integ_ctx *c, const char *op, const char *args, json_t **out,
		struct lk_err *err)
{
	json_error_t jerr;
	json_t *a = args ? json_loads(args, 0, &jerr) : NULL, *res = NULL;
	int rc;

	if (args && !a)
		fail_msg("bad test JSON: %s: %s", args, jerr.text);
	if (err)
		memset(err, 0, sizeof(*err));
	rc = integ_call(c, op, a, &res, err);
	json_decref(a);
	if (rc)
		assert_null(res);
	else
		assert_true(json_is_object(res));
	if (out)
		*out = res;
	else
		json_decref(res);
	return rc;
}

/* Asserts a refusal with the given code and reason. */
static void refused(const struct integ_ctx *c, const char *op, const char *args, int code,
		    const char *reason)
{
	struct lk_err err;
	int rc = call(c, op, args, NULL, &err);

	if (rc != code || !err.reason || strcmp(err.reason, reason))
		fail_msg("%s %s: expected %d/%s, got %d/%s (%s)", op, args, code, reason, rc,
			 err.reason ? err.reason : "-", err.msg);
}

static const char *str(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	assert_non_null(s);
	return s;
}

/* Books and returns the reference (in ref, STORE_REF_MAX bytes). */
static void book(const struct integ_ctx *c, const char *product, const char *location,
		 const char *date, const char *time, char *ref)
{
	char args[512];
	struct lk_err err;
	json_t *out = NULL;

	snprintf(args, sizeof(args), "{\"product\":\"%s\",\"location\":\"%s\",\"date\":\"%s\","
		 "\"time\":\"%s\",\"name\":\"Jan de Vries\",\"email\":\"jan@example.nl\"}",
		 product, location, date, time);
	if (call(c, "appointments.book", args, &out, &err))
		fail_msg("booking %s failed: %s", args, err.msg);
	snprintf(ref, STORE_REF_MAX, "%s", str(out, "reference"));
	json_decref(out);
}

static bool has_string(const json_t *arr, const char *s)
{
	const json_t *v;
	size_t i;

	json_array_foreach(arr, i, v) {
		if (!strcmp(json_string_value(v), s))
			return true;
	}
	return false;
}

/* --- dispatch and arguments --- */

static void test_unknown_op(void **state)
{
	struct fixture *f = *state;
	struct lk_err err;

	assert_int_equal(call(&f->c, "appointments.teleport", "{}", NULL, &err), LK_EUNSUPPORTED);
	assert_string_equal(err.reason, "unknown_op");
	assert_int_equal(call(&f->c, NULL, "{}", NULL, &err), LK_EUNSUPPORTED);
	assert_true(integ_op_known("appointments.book"));
	assert_true(integ_op_known("attachments.put"));
	assert_false(integ_op_known("appointments.teleport"));
	assert_false(integ_op_known(NULL));
}

static void test_arguments_checked(void **state)
{
	struct fixture *f = *state;
	json_t *out = NULL, *notobj = json_string("x");
	struct lk_err err = {0};

	/* NULL arguments count as {}; anything but an object is refused. */
	assert_int_equal(integ_call(&f->c, "appointments.products", NULL, &out, &err), 0);
	assert_int_equal(json_array_size(json_object_get(out, "options")), 4);
	json_decref(out);
	assert_int_equal(integ_call(&f->c, "appointments.products", notobj, &out, &err),
			 LK_EINVAL);
	assert_null(out);
	json_decref(notobj);
	refused(&f->c, "appointments.locations", "{}", LK_EINVAL, "invalid");
	refused(&f->c, "appointments.locations", "{\"product\":[1]}", LK_EINVAL, "invalid");
	{
		json_t *nul = json_object();

		json_object_set_new(nul, "product", json_stringn("pas\0poort", 9));
		assert_int_equal(integ_call(&f->c, "appointments.locations", nul, &out, &err),
				 LK_EINVAL);
		json_decref(nul);
	}
	refused(&f->c, "appointments.locations", "{\"product\":\"pas\\u0007poort\"}", LK_EINVAL,
		"invalid");
	refused(&f->c, "appointments.locations", "{\"product\":\"broodje\"}", LK_EINVAL,
		"invalid");
	/* A clock before 1970 or an absurd offset is a caller's error. */
	f->c.utc_offset_s = 20 * HOUR;
	refused(&f->c, "appointments.products", "{}", LK_EINVAL, "invalid");
}

/* --- appointments --- */

static void test_products_and_locations(void **state)
{
	struct fixture *f = *state;
	json_t *out = NULL, *opts;

	assert_int_equal(call(&f->c, "appointments.products", "{}", &out, NULL), 0);
	opts = json_object_get(out, "options");
	assert_int_equal(json_array_size(opts), 4);
	assert_string_equal(str(json_array_get(opts, 0), "value"), "paspoort");
	assert_string_equal(str(json_array_get(opts, 0), "label"), "Paspoort aanvragen");
	json_decref(out);
	f->c.lang = "en";
	assert_int_equal(call(&f->c, "appointments.products", "{}", &out, NULL), 0);
	assert_string_equal(str(json_array_get(json_object_get(out, "options"), 0), "label"),
			    "Apply for a passport");
	json_decref(out);
	/* Driving licences only at City Hall. */
	assert_int_equal(call(&f->c, "appointments.locations", "{\"product\":\"rijbewijs\"}", &out,
			      NULL), 0);
	opts = json_object_get(out, "options");
	assert_int_equal(json_array_size(opts), 1);
	assert_string_equal(str(json_array_get(opts, 0), "value"), "stadhuis");
	assert_string_equal(str(json_array_get(opts, 0), "label"), "City Hall");
	json_decref(out);
	assert_int_equal(call(&f->c, "appointments.locations", "{\"product\":\"paspoort\"}", &out,
			      NULL), 0);
	assert_int_equal(json_array_size(json_object_get(out, "options")), 2);
	json_decref(out);
}

static void test_days(void **state)
{
	struct fixture *f = *state;
	json_t *out = NULL, *days;

	assert_int_equal(call(&f->c, "appointments.days",
			      "{\"product\":\"id-kaart\",\"location\":\"stadhuis\"}", &out, NULL), 0);
	days = json_object_get(out, "days");
	/* Today (it opens at 9, it is 8) through 31 March: weekdays only. */
	assert_string_equal(json_string_value(json_array_get(days, 0)), "2026-03-02");
	assert_int_equal(json_array_size(days), 22);
	assert_false(has_string(days, "2026-03-07")); /* Saturday */
	assert_false(has_string(days, "2026-03-08")); /* Sunday */
	assert_false(has_string(days, "2026-04-01")); /* beyond 30 days */
	json_decref(out);
	/* Stadswinkel Noord: Tuesday, Thursday and Saturday. */
	assert_int_equal(call(&f->c, "appointments.days",
			      "{\"product\":\"id-kaart\",\"location\":\"stadswinkel-noord\"}", &out,
			      NULL), 0);
	days = json_object_get(out, "days");
	assert_string_equal(json_string_value(json_array_get(days, 0)), "2026-03-03");
	assert_true(has_string(days, "2026-03-07"));
	assert_false(has_string(days, "2026-03-02"));
	json_decref(out);
	/* After closing time today is not offered; a "from" in the past means today. */
	f->c.now = MON_0800 + 9 * HOUR + 30 * 60; /* 17:30 */
	assert_int_equal(call(&f->c, "appointments.days",
			      "{\"product\":\"id-kaart\",\"location\":\"stadhuis\","
			      "\"from\":\"2020-01-01\"}", &out, NULL), 0);
	assert_string_equal(json_string_value(json_array_get(json_object_get(out, "days"), 0)),
			    "2026-03-03");
	json_decref(out);
	assert_int_equal(call(&f->c, "appointments.days",
			      "{\"product\":\"id-kaart\",\"location\":\"stadhuis\","
			      "\"from\":\"2026-03-10\"}", &out, NULL), 0);
	assert_string_equal(json_string_value(json_array_get(json_object_get(out, "days"), 0)),
			    "2026-03-10");
	json_decref(out);
	/* Closed on King's Day (Monday 27 April 2026), summer time. */
	f->c.now = 1776664800; /* Monday 20 April 08:00 CEST */
	f->c.utc_offset_s = 2 * HOUR;
	assert_int_equal(call(&f->c, "appointments.days",
			      "{\"product\":\"id-kaart\",\"location\":\"stadhuis\"}", &out, NULL), 0);
	days = json_object_get(out, "days");
	assert_true(has_string(days, "2026-04-24"));
	assert_false(has_string(days, "2026-04-27"));
	assert_true(has_string(days, "2026-04-28"));
	json_decref(out);
	refused(&f->c, "appointments.days", "{\"product\":\"id-kaart\",\"location\":\"mars\"}",
		LK_EINVAL, "invalid");
	refused(&f->c, "appointments.days",
		"{\"product\":\"rijbewijs\",\"location\":\"stadswinkel-noord\"}", LK_EINVAL,
		"invalid");
	refused(&f->c, "appointments.days",
		"{\"product\":\"id-kaart\",\"location\":\"stadhuis\",\"from\":\"morgen\"}",
		LK_EINVAL, "invalid");
}

static void test_times(void **state)
{
	struct fixture *f = *state;
	json_t *out = NULL, *times;

	assert_int_equal(call(&f->c, "appointments.times",
			      "{\"product\":\"id-kaart\",\"location\":\"stadhuis\","
			      "\"date\":\"2026-03-03\"}", &out, NULL), 0);
	times = json_object_get(out, "times");
	assert_int_equal(json_array_size(times), 32); /* 09:00 .. 16:45 */
	assert_string_equal(json_string_value(json_array_get(times, 0)), "09:00");
	assert_string_equal(json_string_value(json_array_get(times, 31)), "16:45");
	json_decref(out);
	/* A passport takes 30 minutes: the last start is 16:30. */
	assert_int_equal(call(&f->c, "appointments.times",
			      "{\"product\":\"paspoort\",\"location\":\"stadhuis\","
			      "\"date\":\"2026-03-03\"}", &out, NULL), 0);
	times = json_object_get(out, "times");
	assert_int_equal(json_array_size(times), 31);
	assert_false(has_string(times, "16:45"));
	json_decref(out);
	/* Thursday has an evening; Friday only a morning. */
	assert_int_equal(call(&f->c, "appointments.times",
			      "{\"product\":\"id-kaart\",\"location\":\"stadhuis\","
			      "\"date\":\"2026-03-05\"}", &out, NULL), 0);
	assert_true(has_string(json_object_get(out, "times"), "19:45"));
	assert_false(has_string(json_object_get(out, "times"), "17:30"));
	json_decref(out);
	assert_int_equal(call(&f->c, "appointments.times",
			      "{\"product\":\"id-kaart\",\"location\":\"stadhuis\","
			      "\"date\":\"2026-03-06\"}", &out, NULL), 0);
	assert_int_equal(json_array_size(json_object_get(out, "times")), 14);
	json_decref(out);
	/* Today at 10:05 the first time left is 10:15. */
	f->c.now = MON_0800 + 2 * HOUR + 5 * 60;
	assert_int_equal(call(&f->c, "appointments.times",
			      "{\"product\":\"id-kaart\",\"location\":\"stadhuis\","
			      "\"date\":\"2026-03-02\"}", &out, NULL), 0);
	assert_string_equal(json_string_value(json_array_get(json_object_get(out, "times"), 0)),
			    "10:15");
	json_decref(out);
	refused(&f->c, "appointments.times",
		"{\"product\":\"id-kaart\",\"location\":\"stadhuis\",\"date\":\"2026-03-01\"}",
		LK_EINVAL, "past");
	refused(&f->c, "appointments.times",
		"{\"product\":\"id-kaart\",\"location\":\"stadhuis\",\"date\":\"2026-03-08\"}",
		LK_EINVAL, "closed");
	refused(&f->c, "appointments.times",
		"{\"product\":\"id-kaart\",\"location\":\"stadhuis\",\"date\":\"2026-04-06\"}",
		LK_EINVAL, "closed");
	refused(&f->c, "appointments.times",
		"{\"product\":\"id-kaart\",\"location\":\"stadhuis\",\"date\":\"2026-02-30\"}",
		LK_EINVAL, "invalid");
}

static void test_book_and_get(void **state)
{
	struct fixture *f = *state;
	json_t *out = NULL;
	char ref[STORE_REF_MAX], args[128];

	assert_int_equal(call(&f->c, "appointments.book",
			      "{\"product\":\"paspoort\",\"location\":\"stadhuis\","
			      "\"date\":\"2026-03-03\",\"time\":\"9:30\",\"name\":\" Fatima El Amrani \","
			      "\"email\":\"fatima@example.nl\"}", &out, NULL), 0);
	snprintf(ref, sizeof(ref), "%s", str(out, "reference"));
	/* AF- and six characters from the unambiguous alphabet. */
	assert_int_equal(strlen(ref), 9);
	assert_memory_equal(ref, "AF-", 3);
	assert_int_equal(strspn(ref + 3, "ACDEFGHJKMNPQRTUVWXY34679"), 6);
	assert_string_equal(str(out, "date"), "2026-03-03");
	assert_string_equal(str(out, "time"), "09:30");
	assert_string_equal(str(out, "end_time"), "10:00");
	assert_string_equal(str(out, "location_label"), "Stadhuis");
	assert_string_equal(str(out, "product_label"), "Paspoort aanvragen");
	json_decref(out);
	/* Looked up in lower case with spaces around it. */
	for (char *p = ref; *p; p++)
		*p = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
	snprintf(args, sizeof(args), "{\"reference\":\"  %s \"}", ref);
	assert_int_equal(call(&f->c, "appointments.get", args, &out, NULL), 0);
	assert_string_equal(str(out, "status"), "booked");
	assert_string_equal(str(out, "time"), "09:30");
	assert_null(json_object_get(out, "email")); /* personal data stays in */
	json_decref(out);
	refused(&f->c, "appointments.get", "{\"reference\":\"AF-XXXXXX\"}", LK_ENOTFOUND,
		"not_found");
	refused(&f->c, "appointments.get", "{\"reference\":\"'; DROP TABLE x\"}", LK_ENOTFOUND,
		"not_found");
}

static void test_book_refusals(void **state)
{
	struct fixture *f = *state;
	char args[1024], name[128];

#define BOOK(date, time, nm, email)                                                          \
	(snprintf(args, sizeof(args), "{\"product\":\"id-kaart\",\"location\":\"stadhuis\","  \
		  "\"date\":\"%s\",\"time\":\"%s\",\"name\":\"%s\",\"email\":\"%s\"}", date, time, \
		  nm, email), args)
	f->c.now = MON_0800 + 2 * HOUR; /* 10:00 */
	refused(&f->c, "appointments.book", BOOK("2026-03-02", "09:45", "Jan", "j@x.nl"),
		LK_EINVAL, "past");
	refused(&f->c, "appointments.book", BOOK("2026-03-02", "10:00", "Jan", "j@x.nl"),
		LK_EINVAL, "past");
	refused(&f->c, "appointments.book", BOOK("2026-02-27", "11:00", "Jan", "j@x.nl"),
		LK_EINVAL, "past");
	refused(&f->c, "appointments.book", BOOK("2026-03-07", "11:00", "Jan", "j@x.nl"),
		LK_EINVAL, "closed");
	refused(&f->c, "appointments.book", BOOK("2026-03-03", "17:00", "Jan", "j@x.nl"),
		LK_EINVAL, "closed");
	refused(&f->c, "appointments.book", BOOK("2026-03-03", "08:45", "Jan", "j@x.nl"),
		LK_EINVAL, "closed");
	refused(&f->c, "appointments.book", BOOK("2026-04-06", "10:00", "Jan", "j@x.nl"),
		LK_EINVAL, "closed");
	refused(&f->c, "appointments.book", BOOK("2026-05-04", "10:00", "Jan", "j@x.nl"),
		LK_EINVAL, "closed"); /* beyond the 30 days of the agenda */
	refused(&f->c, "appointments.book", BOOK("2026-03-03", "10:07", "Jan", "j@x.nl"),
		LK_EINVAL, "invalid");
	refused(&f->c, "appointments.book", BOOK("2026-03-03", "25:00", "Jan", "j@x.nl"),
		LK_EINVAL, "invalid");
	refused(&f->c, "appointments.book", BOOK("2026-03-03", "10:00", "", "j@x.nl"),
		LK_EINVAL, "invalid");
	memset(name, 'a', 101);
	name[101] = '\0';
	refused(&f->c, "appointments.book", BOOK("2026-03-03", "10:00", name, "j@x.nl"),
		LK_EINVAL, "invalid");
	name[100] = '\0'; /* exactly 100 is fine */
	assert_int_equal(call(&f->c, "appointments.book", BOOK("2026-03-03", "10:00", name,
							     "j@x.nl"), NULL, NULL), 0);
	refused(&f->c, "appointments.book", BOOK("2026-03-03", "10:00", "Jan", "jan.example.nl"),
		LK_EINVAL, "invalid");
	refused(&f->c, "appointments.book", BOOK("2026-03-03", "10:00", "Jan", "jan@example"),
		LK_EINVAL, "invalid");
	refused(&f->c, "appointments.book", BOOK("2026-03-03", "10:00", "Jan", "j an@x.nl"),
		LK_EINVAL, "invalid");
	refused(&f->c, "appointments.book",
		"{\"product\":\"id-kaart\",\"location\":\"stadhuis\",\"date\":\"2026-03-03\","
		"\"time\":\"10:00\",\"name\":\"Jan\"}", LK_EINVAL, "invalid");
#undef BOOK
}

static void test_capacity(void **state)
{
	struct fixture *f = *state;
	json_t *out = NULL;
	char ref[STORE_REF_MAX];

	/* Stadswinkel Noord has one counter. */
	book(&f->c, "id-kaart", "stadswinkel-noord", "2026-03-03", "09:00", ref);
	refused(&f->c, "appointments.book",
		"{\"product\":\"id-kaart\",\"location\":\"stadswinkel-noord\",\"date\":\"2026-03-03\","
		"\"time\":\"09:00\",\"name\":\"Piet\",\"email\":\"p@x.nl\"}", LK_EINVAL, "full");
	assert_int_equal(call(&f->c, "appointments.times",
			      "{\"product\":\"id-kaart\",\"location\":\"stadswinkel-noord\","
			      "\"date\":\"2026-03-03\"}", &out, NULL), 0);
	assert_false(has_string(json_object_get(out, "times"), "09:00"));
	assert_true(has_string(json_object_get(out, "times"), "09:15"));
	json_decref(out);
	/* A passport (30 minutes) at 09:15 holds 09:15 and 09:30. */
	book(&f->c, "paspoort", "stadswinkel-noord", "2026-03-03", "09:15", ref);
	refused(&f->c, "appointments.book",
		"{\"product\":\"id-kaart\",\"location\":\"stadswinkel-noord\",\"date\":\"2026-03-03\","
		"\"time\":\"09:30\",\"name\":\"Piet\",\"email\":\"p@x.nl\"}", LK_EINVAL, "full");
	assert_int_equal(call(&f->c, "appointments.times",
			      "{\"product\":\"paspoort\",\"location\":\"stadswinkel-noord\","
			      "\"date\":\"2026-03-03\"}", &out, NULL), 0);
	/* 09:45 is the first start with 30 free minutes. */
	assert_string_equal(json_string_value(json_array_get(json_object_get(out, "times"), 0)),
			    "09:45");
	json_decref(out);
	/* City Hall has three counters. */
	for (int i = 0; i < 3; i++)
		book(&f->c, "id-kaart", "stadhuis", "2026-03-04", "11:00", ref);
	refused(&f->c, "appointments.book",
		"{\"product\":\"uittreksel\",\"location\":\"stadhuis\",\"date\":\"2026-03-04\","
		"\"time\":\"11:00\",\"name\":\"Piet\",\"email\":\"p@x.nl\"}", LK_EINVAL, "full");
	refused(&f->c, "appointments.book",
		"{\"product\":\"paspoort\",\"location\":\"stadhuis\",\"date\":\"2026-03-04\","
		"\"time\":\"10:45\",\"name\":\"Piet\",\"email\":\"p@x.nl\"}", LK_EINVAL, "full");
	book(&f->c, "id-kaart", "stadhuis", "2026-03-04", "11:15", ref);
	/* A day whose every slot is taken disappears from the days. */
	for (int m = 0; m < 180; m += 15) {
		char hhmm[6];

		snprintf(hhmm, sizeof(hhmm), "%02d:%02d", 10 + m / 60, m % 60);
		book(&f->c, "id-kaart", "stadswinkel-noord", "2026-03-07", hhmm, ref);
	}
	assert_int_equal(call(&f->c, "appointments.days",
			      "{\"product\":\"id-kaart\",\"location\":\"stadswinkel-noord\"}", &out,
			      NULL), 0);
	assert_false(has_string(json_object_get(out, "days"), "2026-03-07"));
	assert_true(has_string(json_object_get(out, "days"), "2026-03-05"));
	json_decref(out);
}

struct racer {
	const struct integ_ctx *c;
	pthread_barrier_t *go;
	const char *time;
	int rc;
	const char *reason;
};

static void *race(void *arg)
{
	struct racer *r = arg;
	struct lk_err err = {0};
	char args[256];
	json_t *a, *out = NULL;

	snprintf(args, sizeof(args), "{\"product\":\"id-kaart\",\"location\":\"stadswinkel-noord\","
		 "\"date\":\"2026-03-10\",\"time\":\"%s\",\"name\":\"R\",\"email\":\"r@x.nl\"}",
		 r->time);
	a = json_loads(args, 0, NULL);
	pthread_barrier_wait(r->go);
	r->rc = integ_call(r->c, "appointments.book", a, &out, &err);
	r->reason = err.reason;
	json_decref(out);
	json_decref(a);
	return NULL;
}

static void test_capacity_race(void **state)
{
	struct fixture *f = *state;
	static const char *const times[] = {"09:00", "09:15", "09:30", "09:45", "10:00",
					    "10:15", "10:30", "10:45", "11:00", "11:15"};

	/* Two people at once for the one counter: exactly one gets it, every time. */
	for (size_t k = 0; k < sizeof(times) / sizeof(times[0]); k++) {
		pthread_barrier_t go;
		struct racer r[2];
		pthread_t th[2];
		int wins = 0;

		pthread_barrier_init(&go, NULL, 2);
		for (int i = 0; i < 2; i++) {
			r[i] = (struct racer){&f->c, &go, times[k], 0, NULL};
			assert_int_equal(pthread_create(&th[i], NULL, race, &r[i]), 0);
		}
		for (int i = 0; i < 2; i++)
			pthread_join(th[i], NULL);
		pthread_barrier_destroy(&go);
		for (int i = 0; i < 2; i++) {
			if (!r[i].rc) {
				wins++;
			} else {
				assert_int_equal(r[i].rc, LK_EINVAL);
				assert_string_equal(r[i].reason, "full");
			}
		}
		assert_int_equal(wins, 1);
	}
}

static void test_cancel_frees_capacity(void **state)
{
	struct fixture *f = *state;
	const char *second = "{\"product\":\"uittreksel\",\"location\":\"stadswinkel-noord\","
			     "\"date\":\"2026-03-03\",\"time\":\"10:00\",\"name\":\"Piet\","
			     "\"email\":\"p@x.nl\"}";
	char ref[STORE_REF_MAX], args[128];
	json_t *out = NULL;

	book(&f->c, "id-kaart", "stadswinkel-noord", "2026-03-03", "10:00", ref);
	refused(&f->c, "appointments.book", second, LK_EINVAL, "full");
	snprintf(args, sizeof(args), "{\"reference\":\"%s\"}", ref);
	assert_int_equal(call(&f->c, "appointments.cancel", args, &out, NULL), 0);
	assert_true(json_is_true(json_object_get(out, "cancelled")));
	json_decref(out);
	assert_int_equal(call(&f->c, "appointments.book", second, NULL, NULL), 0);
	refused(&f->c, "appointments.cancel", args, LK_EINVAL, "cancelled");
	assert_int_equal(call(&f->c, "appointments.get", args, &out, NULL), 0);
	assert_string_equal(str(out, "status"), "cancelled");
	json_decref(out);
	refused(&f->c, "appointments.cancel", "{\"reference\":\"AF-777777\"}", LK_ENOTFOUND,
		"not_found");
	refused(&f->c, "appointments.cancel", "{}", LK_EINVAL, "invalid");
	/* An appointment that has begun cannot be cancelled any more. */
	book(&f->c, "id-kaart", "stadhuis", "2026-03-02", "11:00", ref);
	snprintf(args, sizeof(args), "{\"reference\":\"%s\"}", ref);
	f->c.now = MON_0800 + 3 * HOUR + 5 * 60;
	refused(&f->c, "appointments.cancel", args, LK_EINVAL, "past");
}

static void test_move(void **state)
{
	struct fixture *f = *state;
	char a[STORE_REF_MAX], b[STORE_REF_MAX], c[STORE_REF_MAX], args[256];
	json_t *out = NULL;

	book(&f->c, "paspoort", "stadswinkel-noord", "2026-03-03", "09:00", a);
	book(&f->c, "id-kaart", "stadswinkel-noord", "2026-03-05", "10:00", b);
	snprintf(args, sizeof(args), "{\"reference\":\"%s\",\"date\":\"2026-03-05\","
		 "\"time\":\"09:45\"}", a);
	refused(&f->c, "appointments.move", args, LK_EINVAL, "full"); /* 09:45-10:15 hits b */
	snprintf(args, sizeof(args), "{\"reference\":\"%s\",\"date\":\"2026-03-05\","
		 "\"time\":\"11:00\"}", a);
	assert_int_equal(call(&f->c, "appointments.move", args, &out, NULL), 0);
	assert_string_equal(str(out, "reference"), a);
	assert_string_equal(str(out, "date"), "2026-03-05");
	assert_string_equal(str(out, "time"), "11:00");
	assert_string_equal(str(out, "end_time"), "11:30");
	assert_string_equal(str(out, "location"), "stadswinkel-noord");
	json_decref(out);
	/* Its old place is free again; its new one is taken. */
	book(&f->c, "paspoort", "stadswinkel-noord", "2026-03-03", "09:00", c);
	refused(&f->c, "appointments.book",
		"{\"product\":\"id-kaart\",\"location\":\"stadswinkel-noord\",\"date\":\"2026-03-05\","
		"\"time\":\"11:15\",\"name\":\"Piet\",\"email\":\"p@x.nl\"}", LK_EINVAL, "full");
	/* Moving within its own time (09:00 -> 09:15 overlaps itself) is fine. */
	snprintf(args, sizeof(args), "{\"reference\":\"%s\",\"date\":\"2026-03-03\","
		 "\"time\":\"09:15\"}", c);
	assert_int_equal(call(&f->c, "appointments.move", args, NULL, NULL), 0);
	snprintf(args, sizeof(args), "{\"reference\":\"%s\",\"date\":\"2026-03-01\","
		 "\"time\":\"09:15\"}", c);
	refused(&f->c, "appointments.move", args, LK_EINVAL, "past");
	snprintf(args, sizeof(args), "{\"reference\":\"%s\",\"date\":\"2026-03-04\","
		 "\"time\":\"09:15\"}", c);
	refused(&f->c, "appointments.move", args, LK_EINVAL, "closed"); /* Wednesday */
	snprintf(args, sizeof(args), "{\"reference\":\"%s\"}", b);
	assert_int_equal(call(&f->c, "appointments.cancel", args, NULL, NULL), 0);
	snprintf(args, sizeof(args), "{\"reference\":\"%s\",\"date\":\"2026-03-10\","
		 "\"time\":\"09:15\"}", b);
	refused(&f->c, "appointments.move", args, LK_EINVAL, "cancelled");
	refused(&f->c, "appointments.move",
		"{\"reference\":\"AF-999999\",\"date\":\"2026-03-10\",\"time\":\"09:15\"}",
		LK_ENOTFOUND, "not_found");
}

/* --- meldingen --- */

struct complaint {
	const char *text;
	const char *expected;
};

static const struct complaint complaints[] = {
	{"Er zit een groot gat in de weg voor mijn huis", "onderhoud-stoep-straat-en-fietspad"},
	{"De lantaarnpaal in onze straat doet het niet", "straatverlichting-openbare-klok"},
	{"Er ligt overal zwerfvuil in het park", "veeg-zwerfvuil"},
	{"Iemand heeft een oud bankstel naast de container gezet", "grofvuil"},
	{"Graffiti op de muur van de school", "graffiti-wildplak"},
	{"Veel hondenpoep op het grasveld", "hondenpoep"},
	{"Een boom is omgewaaid en ligt over het fietspad", "boom"},
	{"De ondergrondse container is vol", "container-is-vol"},
	{"De prullenbak bij de bushalte puilt uit", "prullenbak-is-vol"},
	{"Losliggende stoeptegels, gevaarlijk voor ouderen", "onderhoud-stoep-straat-en-fietspad"},
	{"Het stoplicht bij de kruising staat steeds op rood", "verkeerslicht"},
	{"Ik zag ratten bij de vuilcontainers", "ratten"},
	{"De putten zijn verstopt, het water blijft staan", "put-riolering-verstopt"},
	{"Een fietswrak staat al maanden tegen het hek", "fietswrak"},
	{"De schommel in de speeltuin is kapot", "speelplaats"},
	{"Het is erg glad op de brug, er is niet gestrooid", "gladheid"},
	{"Er ligt een dode kat op straat", "dode-dieren"},
	{"Het gras in het plantsoen is veel te hoog, graag maaien", "maaien-snoeien"},
	{"Een auto staat fout geparkeerd op de stoep", "parkeeroverlast"},
	{"Iemand heeft vuilniszakken naast de container gezet", "huisafval"},
	{"Er is asbest gedumpt in de berm", "asbest-accu"},
	{"Het verkeersbord op de hoek is omgereden", "verkeersbord-verkeersafzetting"},
	{"Jongeren maken elke avond lawaai bij het winkelcentrum", "jongerenoverlast"},
	{"Wespennest in de boom bij de speeltuin", "wespen"},
	{"Harde muziek van de buren tot diep in de nacht", "geluidsoverlast-muziek"},
	{"Drijfvuil in de gracht bij de brug", "drijfvuil"},
	{"There is a pothole in the road", "onderhoud-stoep-straat-en-fietspad"},
	{"The street light outside my house is broken", "straatverlichting-openbare-klok"},
	{"Straatlantaarn knippert de hele nacht", "straatverlichting-openbare-klok"},
	{"Er staat een kapotte koelkast op de stoep", "grofvuil"},
};

static void test_suggest_quality(void **state)
{
	struct fixture *f = *state;
	size_t n = sizeof(complaints) / sizeof(complaints[0]), hits = 0, first = 0;

	for (size_t i = 0; i < n; i++) {
		json_t *args = json_pack("{s:s}", "text", complaints[i].text), *out = NULL, *opts, *o;
		bool hit = false;
		size_t k;

		assert_int_equal(integ_call(&f->c, "meldingen.suggest", args, &out, NULL), 0);
		opts = json_object_get(out, "options");
		assert_true(json_array_size(opts) <= 3);
		json_array_foreach(opts, k, o) {
			assert_non_null(json_string_value(json_object_get(o, "main")));
			if (!strcmp(str(o, "value"), complaints[i].expected)) {
				hit = true;
				first += k == 0;
			}
		}
		if (!hit)
			print_message("  miss: '%s' -> %s (want %s)\n", complaints[i].text,
				      json_array_size(opts)
					      ? str(json_array_get(opts, 0), "value")
					      : "(none)",
				      complaints[i].expected);
		hits += hit;
		json_decref(out);
		json_decref(args);
	}
	print_message("  meldingen.suggest: expected category in top 3 for %zu of %zu (%.0f%%),"
		      " first for %zu\n", hits, n, 100.0 * (double)hits / (double)n, first);
	assert_true(hits * 100 >= n * 85);
}

static void test_suggest_edges(void **state)
{
	struct fixture *f = *state;
	json_t *out = NULL;
	char *big;

	/* Nothing recognisable: no options rather than noise. */
	assert_int_equal(call(&f->c, "meldingen.suggest", "{\"text\":\"xyzzy qwerty\"}", &out,
			      NULL), 0);
	assert_int_equal(json_array_size(json_object_get(out, "options")), 0);
	json_decref(out);
	refused(&f->c, "meldingen.suggest", "{\"text\":\"\"}", LK_EINVAL, "invalid");
	big = xmalloc(5000);
	memset(big, 'a', 4999);
	big[4999] = '\0';
	{
		json_t *args = json_pack("{s:s}", "text", big);
		struct lk_err err = {0};

		assert_int_equal(integ_call(&f->c, "meldingen.suggest", args, &out, &err),
				 LK_EINVAL);
		json_decref(args);
	}
	free(big);
	/* Only active categories, each with its main category. */
	assert_int_equal(call(&f->c, "meldingen.suggest", "{\"text\":\"kapotte lantaarnpaal\"}",
			      &out, NULL), 0);
	assert_string_equal(str(json_array_get(json_object_get(out, "options"), 0), "main"),
			    "wegen-verkeer-straatmeubilair");
	json_decref(out);
}

#define KERK12_LAT 52.090508
#define KERK12_LON 5.646225
#define M_LAT (1.0 / 111195.0) /* one metre north, in degrees */

static void create_melding(const struct integ_ctx *c, const char *cat, double lat, double lon,
			   char *ref)
{
	json_t *args = json_pack("{s:s, s:s, s:f, s:f, s:s}", "description",
				 "De lamp brandt al een week niet meer", "category", cat, "lat", lat,
				 "lon", lon, "address", "Kerkstraat 12, 4321 BA Demostad");
	json_t *out = NULL;
	struct lk_err err = {0};

	if (integ_call(c, "meldingen.create", args, &out, &err))
		fail_msg("meldingen.create: %s", err.msg);
	snprintf(ref, STORE_REF_MAX, "%s", str(out, "reference"));
	json_decref(out);
	json_decref(args);
}

static json_t *nearby(const struct integ_ctx *c, const char *cat, double lat, double lon)
{
	json_t *args = json_pack("{s:s, s:f, s:f}", "category", cat, "lat", lat, "lon", lon);
	json_t *out = NULL;

	assert_int_equal(integ_call(c, "meldingen.nearby", args, &out, NULL), 0);
	json_decref(args);
	return out;
}

static void test_nearby(void **state)
{
	struct fixture *f = *state;
	const char *light = "straatverlichting-openbare-klok";
	char first[STORE_REF_MAX], second[STORE_REF_MAX], ref[STORE_REF_MAX];
	json_t *out, *reports;
	long d;

	create_melding(&f->c, light, KERK12_LAT, KERK12_LON, first);
	assert_memory_equal(first, "ME-", 3);
	f->c.now += 60;
	create_melding(&f->c, light, KERK12_LAT + 10 * M_LAT, KERK12_LON, second);
	/* 30 m north: both, newest first. */
	out = nearby(&f->c, light, KERK12_LAT + 30 * M_LAT, KERK12_LON);
	reports = json_object_get(out, "reports");
	assert_int_equal(json_array_size(reports), 2);
	assert_string_equal(str(json_array_get(reports, 0), "reference"), second);
	assert_string_equal(str(json_array_get(reports, 1), "reference"), first);
	d = (long)json_integer_value(json_object_get(json_array_get(reports, 1), "distance_m"));
	assert_in_range(d, 29, 31);
	assert_string_equal(str(json_array_get(reports, 0), "category"),
			    "Straatverlichting / openbare klok");
	assert_string_equal(str(json_array_get(reports, 1), "created"), "2026-03-02T08:00:00+01:00");
	json_decref(out);
	/* 45 m south of the first: within 50 m of it only. */
	out = nearby(&f->c, light, KERK12_LAT - 45 * M_LAT, KERK12_LON); /* 55 m from the second */
	reports = json_object_get(out, "reports");
	assert_int_equal(json_array_size(reports), 1);
	assert_string_equal(str(json_array_get(reports, 0), "reference"), first);
	json_decref(out);
	/* 80 m away, or another category: none. */
	out = nearby(&f->c, light, KERK12_LAT - 80 * M_LAT, KERK12_LON);
	assert_int_equal(json_array_size(json_object_get(out, "reports")), 0);
	json_decref(out);
	out = nearby(&f->c, "hondenpoep", KERK12_LAT, KERK12_LON);
	assert_int_equal(json_array_size(json_object_get(out, "reports")), 0);
	json_decref(out);
	/* At most five. */
	for (int i = 0; i < 6; i++)
		create_melding(&f->c, light, KERK12_LAT + i * M_LAT, KERK12_LON, ref);
	out = nearby(&f->c, light, KERK12_LAT, KERK12_LON);
	assert_int_equal(json_array_size(json_object_get(out, "reports")), 5);
	json_decref(out);
	refused(&f->c, "meldingen.nearby", "{\"category\":\"boom\",\"lat\":\"x\",\"lon\":5}",
		LK_EINVAL, "invalid");
	refused(&f->c, "meldingen.nearby", "{\"category\":\"boom\",\"lat\":91,\"lon\":5}",
		LK_EINVAL, "invalid");
	refused(&f->c, "meldingen.nearby", "{\"category\":\"ufo\",\"lat\":52,\"lon\":5}",
		LK_EINVAL, "invalid");
	/* Numbers as strings, as flows pass slots. */
	out = NULL;
	assert_int_equal(call(&f->c, "meldingen.nearby",
			      "{\"category\":\"boom\",\"lat\":\"52.09\",\"lon\":\"5.64\"}", &out,
			      NULL), 0);
	json_decref(out);
}

static void test_melding_create(void **state)
{
	struct fixture *f = *state;
	struct store_record r;
	json_t *out = NULL;

	assert_int_equal(call(&f->c, "meldingen.create",
			      "{\"description\":\"Kapotte lantaarnpaal bij nummer 12\","
			      "\"category\":\"straatverlichting-openbare-klok\",\"lat\":52.0905,"
			      "\"lon\":5.6462,\"address\":\"Kerkstraat 12\",\"email\":\"a@b.nl\","
			      "\"phone\":\"06 12345678\",\"anonymous\":\"ja\"}", &out, NULL), 0);
	assert_string_equal(str(out, "status"), "open");
	assert_int_equal(store_record_get(f->st, BOT, str(out, "reference"), &r, NULL), 0);
	assert_string_equal(r.kind, "melding");
	assert_string_equal(r.key, "straatverlichting-openbare-klok");
	/* Anonymous: the contact details given anyway are not kept. */
	assert_null(strstr(r.data, "a@b.nl"));
	assert_null(strstr(r.data, "0612345678"));
	assert_null(strstr(r.data, "06 12345678"));
	assert_non_null(strstr(r.data, "Kapotte lantaarnpaal"));
	store_record_release(&r);
	json_decref(out);
	refused(&f->c, "meldingen.create",
		"{\"description\":\"Te kort\",\"category\":\"boom\",\"lat\":52,\"lon\":5}",
		LK_EINVAL, "invalid");
	refused(&f->c, "meldingen.create",
		"{\"description\":\"Een boom is omgevallen\",\"category\":\"bomen\",\"lat\":52,"
		"\"lon\":5}", LK_EINVAL, "invalid");
	refused(&f->c, "meldingen.create",
		"{\"description\":\"Een boom is omgevallen\",\"category\":\"boom\",\"lat\":52}",
		LK_EINVAL, "invalid");
	refused(&f->c, "meldingen.create",
		"{\"description\":\"Een boom is omgevallen\",\"category\":\"boom\",\"lat\":52,"
		"\"lon\":5,\"email\":\"nee\"}", LK_EINVAL, "invalid");
	refused(&f->c, "meldingen.create",
		"{\"description\":\"Een boom is omgevallen\",\"category\":\"boom\",\"lat\":52,"
		"\"lon\":5,\"phone\":\"bel me\"}", LK_EINVAL, "invalid");
	refused(&f->c, "meldingen.create",
		"{\"description\":\"Een boom is omgevallen\",\"category\":\"boom\",\"lat\":52,"
		"\"lon\":5,\"photo\":\"0123456789abcdef0123456789abcdef\"}", LK_EINVAL, "invalid");
}

/* --- addresses --- */

static void test_geo_lookup(void **state)
{
	struct fixture *f = *state;
	json_t *out = NULL;

	assert_int_equal(call(&f->c, "geo.lookup", "{\"postcode\":\"4321 ba\",\"number\":12}",
			      &out, NULL), 0);
	assert_string_equal(str(out, "address"), "Kerkstraat 12, 4321 BA Demostad");
	assert_true(json_real_value(json_object_get(out, "lat")) > 52.0905 &&
		    json_real_value(json_object_get(out, "lat")) < 52.0906);
	assert_true(json_is_number(json_object_get(out, "lon")));
	json_decref(out);
	assert_int_equal(call(&f->c, "geo.lookup",
			      "{\"postcode\":\"4321BA\",\"number\":\"12\",\"letter\":\"a\"}", &out,
			      NULL), 0);
	assert_string_equal(str(out, "address"), "Kerkstraat 12A, 4321 BA Demostad");
	json_decref(out);
	assert_int_equal(call(&f->c, "geo.lookup", "{\"postcode\":\"4321BA\",\"number\":\"14-2\"}",
			      &out, NULL), 0);
	assert_string_equal(str(out, "address"), "Kerkstraat 14-2, 4321 BA Demostad");
	json_decref(out);
	assert_int_equal(call(&f->c, "geo.lookup",
			      "{\"postcode\":\"4321BA\",\"number\":14,\"letter\":\"\","
			      "\"addition\":\"3\"}", &out, NULL), 0);
	assert_string_equal(str(out, "addition"), "3");
	json_decref(out);
	refused(&f->c, "geo.lookup", "{\"postcode\":\"4321BA\",\"number\":999}", LK_ENOTFOUND,
		"not_found");
	refused(&f->c, "geo.lookup", "{\"postcode\":\"1234SA\",\"number\":1}", LK_EINVAL,
		"invalid");
	refused(&f->c, "geo.lookup", "{\"postcode\":\"0123AB\",\"number\":1}", LK_EINVAL,
		"invalid");
	refused(&f->c, "geo.lookup", "{\"postcode\":\"4321BA\",\"number\":\"twaalf\"}", LK_EINVAL,
		"invalid");
	refused(&f->c, "geo.lookup", "{\"postcode\":\"4321BA\",\"number\":0}", LK_EINVAL,
		"invalid");
}

static void test_geo_search(void **state)
{
	struct fixture *f = *state;
	static const struct {
		const char *text, *address;
	} ok[] = {
		{"Kerkstraat 12", "Kerkstraat 12, 4321 BA Demostad"},
		{"kerkstraat 12a", "Kerkstraat 12A, 4321 BA Demostad"},
		{"KERKSTRAAT 12 B, Demostad", "Kerkstraat 12B, 4321 BA Demostad"},
		{"kerkstr. 14-2", "Kerkstraat 14-2, 4321 BA Demostad"},
		{"Kerkstraat 14 2 demostad", "Kerkstraat 14-2, 4321 BA Demostad"},
		{"4321 BA 12", "Kerkstraat 12, 4321 BA Demostad"},
		{"Dorpsstraat 3, Noorddorp", "Dorpsstraat 3, 4325 PA Noorddorp"},
		{"Dorpsstraat 3 Nergenshuizen", "Dorpsstraat 3, 4325 PA Noorddorp"},
	};
	json_t *out = NULL;

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		json_t *args = json_pack("{s:s}", "text", ok[i].text);
		struct lk_err err = {0};

		if (integ_call(&f->c, "geo.search", args, &out, &err))
			fail_msg("geo.search '%s': %s", ok[i].text, err.msg);
		assert_string_equal(str(out, "address"), ok[i].address);
		json_decref(out);
		json_decref(args);
	}
	refused(&f->c, "geo.search", "{\"text\":\"Nergensstraat 1\"}", LK_ENOTFOUND, "not_found");
	refused(&f->c, "geo.search", "{\"text\":\"Kerkstraat 999\"}", LK_ENOTFOUND, "not_found");
	refused(&f->c, "geo.search", "{\"text\":\"Kerkstraat\"}", LK_EINVAL, "invalid");
	refused(&f->c, "geo.search", "{\"text\":\"12\"}", LK_EINVAL, "invalid");
}

/* --- permits --- */

static void test_permits(void **state)
{
	struct fixture *f = *state;
	json_t *out = NULL;
	const char *ok = "{\"type\":\"bewonersvergunning\",\"name\":\"Jan\",\"postcode\":\"4321 BA\","
			 "\"number\":\"12a\",\"kenteken\":\"ab-123-c\",\"email\":\"jan@x.nl\","
			 "\"iban\":\"NL91 ABNA 0417 1643 00\"}";

	assert_int_equal(call(&f->c, "permits.types", "{}", &out, NULL), 0);
	assert_int_equal(json_array_size(json_object_get(out, "options")), 4);
	json_decref(out);
	assert_int_equal(call(&f->c, "permits.register", ok, &out, NULL), 0);
	assert_memory_equal(str(out, "reference"), "PV-", 3);
	assert_string_equal(str(out, "kenteken"), "AB123C");
	assert_string_equal(str(out, "type_label"), "Bewonersvergunning parkeren");
	json_decref(out);
	/* One per plate per type, however the plate is written. */
	refused(&f->c, "permits.register",
		"{\"type\":\"bewonersvergunning\",\"name\":\"Piet\",\"postcode\":\"4321BB\","
		"\"number\":\"3\",\"kenteken\":\"AB 123 C\",\"email\":\"p@x.nl\"}", LK_EINVAL,
		"exists");
	assert_int_equal(call(&f->c, "permits.register",
			      "{\"type\":\"bezoekersvergunning\",\"name\":\"Jan\","
			      "\"postcode\":\"4321BA\",\"number\":12,\"kenteken\":\"AB-123-C\","
			      "\"email\":\"jan@x.nl\"}", NULL, NULL), 0);
	refused(&f->c, "permits.register",
		"{\"type\":\"bewonersvergunning\",\"name\":\"Jan\",\"postcode\":\"4321BA\","
		"\"number\":\"12\",\"kenteken\":\"ABC-DEF\",\"email\":\"jan@x.nl\"}", LK_EINVAL,
		"invalid");
	refused(&f->c, "permits.register",
		"{\"type\":\"bewonersvergunning\",\"name\":\"Jan\",\"postcode\":\"4321BA\","
		"\"number\":\"12\",\"kenteken\":\"XX-999-X\",\"email\":\"jan@x.nl\","
		"\"iban\":\"NL91ABNA0417164301\"}", LK_EINVAL, "invalid");
	refused(&f->c, "permits.register",
		"{\"type\":\"jachtvergunning\",\"name\":\"Jan\",\"postcode\":\"4321BA\","
		"\"number\":\"12\",\"kenteken\":\"XX-999-X\",\"email\":\"jan@x.nl\"}", LK_EINVAL,
		"invalid");
	refused(&f->c, "permits.register",
		"{\"type\":\"bewonersvergunning\",\"name\":\"Jan\",\"postcode\":\"12345\","
		"\"number\":\"12\",\"kenteken\":\"XX-999-X\",\"email\":\"jan@x.nl\"}", LK_EINVAL,
		"invalid");
}

/* --- case status --- */

static void test_case_status(void **state)
{
	struct fixture *f = *state;
	char ref[STORE_REF_MAX], args[128];
	json_t *out = NULL;

	assert_int_equal(call(&f->c, "cases.status", "{\"reference\":\"Z-2026-000123\"}", &out,
			      NULL), 0);
	assert_string_equal(str(out, "reference"), "Z-2026-000123");
	assert_string_equal(str(out, "title"), "Aanvraag parkeervergunning bedrijven");
	assert_string_equal(str(out, "status"), "In behandeling");
	assert_string_equal(str(out, "date"), "2026-03-13");
	assert_non_null(strstr(str(out, "next_step"), "KvK"));
	json_decref(out);
	f->c.lang = "en";
	assert_int_equal(call(&f->c, "cases.status", "{\"reference\":\" z-2026-000101 \"}", &out,
			      NULL), 0);
	assert_string_equal(str(out, "status"), "Being processed");
	assert_string_equal(str(out, "title"), "Environmental permit for a dormer");
	json_decref(out);
	f->c.lang = "nl";
	/* References the backends handed out have a status too. */
	book(&f->c, "rijbewijs", "stadhuis", "2026-03-04", "14:00", ref);
	snprintf(args, sizeof(args), "{\"reference\":\"%s\"}", ref);
	assert_int_equal(call(&f->c, "cases.status", args, &out, NULL), 0);
	assert_string_equal(str(out, "status"), "Afspraak gepland");
	assert_string_equal(str(out, "date"), "2026-03-04");
	assert_non_null(strstr(str(out, "next_step"), "14:00"));
	json_decref(out);
	create_melding(&f->c, "boom", KERK12_LAT, KERK12_LON, ref);
	snprintf(args, sizeof(args), "{\"reference\":\"%s\"}", ref);
	assert_int_equal(call(&f->c, "cases.status", args, &out, NULL), 0);
	assert_string_equal(str(out, "status"), "Ontvangen");
	assert_string_equal(str(out, "title"), "Melding openbare ruimte: Boom");
	assert_string_equal(str(out, "date"), "2026-03-02");
	json_decref(out);
	assert_int_equal(call(&f->c, "permits.register",
			      "{\"type\":\"gehandicaptenparkeerkaart\",\"name\":\"Jan\","
			      "\"postcode\":\"4321BA\",\"number\":12,\"kenteken\":\"12-ABC-3\","
			      "\"email\":\"jan@x.nl\"}", &out, NULL), 0);
	snprintf(args, sizeof(args), "{\"reference\":\"%s\"}", str(out, "reference"));
	json_decref(out);
	assert_int_equal(call(&f->c, "cases.status", args, &out, NULL), 0);
	assert_string_equal(str(out, "status"), "Aanvraag ontvangen");
	json_decref(out);
	refused(&f->c, "cases.status", "{\"reference\":\"Z-2026-999999\"}", LK_ENOTFOUND,
		"not_found");
	refused(&f->c, "cases.status", "{\"reference\":\"<script>\"}", LK_ENOTFOUND, "not_found");
	refused(&f->c, "cases.status", "{}", LK_EINVAL, "invalid");
}

/* --- feedback --- */

static void test_feedback(void **state)
{
	struct fixture *f = *state;
	json_t *out = NULL, *by;
	char *big, args[1200];

	assert_int_equal(call(&f->c, "feedback.summary", "{}", &out, NULL), 0);
	assert_int_equal(json_integer_value(json_object_get(out, "count")), 0);
	assert_true(json_is_null(json_object_get(out, "average")));
	json_decref(out);
	assert_int_equal(call(&f->c, "feedback.store", "{\"rating\":5}", &out, NULL), 0);
	assert_true(json_is_true(json_object_get(out, "stored")));
	json_decref(out);
	assert_int_equal(call(&f->c, "feedback.store", "{\"rating\":\"4\",\"comment\":\"Snel!\"}",
			      NULL, NULL), 0);
	assert_int_equal(call(&f->c, "feedback.store", "{\"rating\":4,\"comment\":\"\"}", NULL,
			      NULL), 0);
	assert_int_equal(call(&f->c, "feedback.summary", "{}", &out, NULL), 0);
	assert_int_equal(json_integer_value(json_object_get(out, "count")), 3);
	assert_true(json_real_value(json_object_get(out, "average")) > 4.32 &&
		    json_real_value(json_object_get(out, "average")) < 4.34);
	by = json_object_get(out, "by_rating");
	assert_int_equal(json_array_size(by), 5);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(by, 3), "rating")), 4);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(by, 3), "count")), 2);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(by, 0), "count")), 0);
	json_decref(out);
	refused(&f->c, "feedback.store", "{\"rating\":0}", LK_EINVAL, "invalid");
	refused(&f->c, "feedback.store", "{\"rating\":6}", LK_EINVAL, "invalid");
	refused(&f->c, "feedback.store", "{\"rating\":\"goed\"}", LK_EINVAL, "invalid");
	refused(&f->c, "feedback.store", "{}", LK_EINVAL, "invalid");
	big = xmalloc(1002);
	memset(big, 'x', 1001);
	big[1001] = '\0';
	snprintf(args, sizeof(args), "{\"rating\":3,\"comment\":\"%s\"}", big);
	refused(&f->c, "feedback.store", args, LK_EINVAL, "invalid");
	free(big);
	/* Feedback of another bot is not counted. */
	f->c.bot = "andere-bot";
	assert_int_equal(call(&f->c, "feedback.summary", "{}", &out, NULL), 0);
	assert_int_equal(json_integer_value(json_object_get(out, "count")), 0);
	json_decref(out);
}

/* --- attachments --- */

static const unsigned char png[] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0, 13,
				    'I', 'H', 'D', 'R', 0, 0, 0, 1, 0, 0, 0, 1, 8, 2, 0, 0, 0};

static void make_conv(struct store *st, const char *id, const char *bot)
{
	struct store_conv c;

	memset(&c, 0, sizeof(c));
	snprintf(c.id, sizeof(c.id), "%s", id);
	snprintf(c.bot, sizeof(c.bot), "%s", bot);
	snprintf(c.lang, sizeof(c.lang), "nl");
	snprintf(c.channel, sizeof(c.channel), "web");
	assert_int_equal(store_conv_create(st, &c, NULL), 0);
}

static const char *CONV = "0123456789abcdef0123456789abcdef";

static void test_attachments(void **state)
{
	struct fixture *f = *state;
	static const unsigned char gif[] = "GIF89a\x01\x00\x01\x00";
	static const unsigned char jpeg[] = {0xff, 0xd8, 0xff, 0xe0, 0, 0x10, 'J', 'F', 'I', 'F'};
	static const unsigned char webp[] = "RIFF\x10\0\0\0WEBPVP8 ";
	char id[STORE_ATTACHMENT_ID_LEN + 1], id2[STORE_ATTACHMENT_ID_LEN + 1], args[512];
	struct store_attachment a;
	struct lk_err err = {0};
	unsigned char *big;
	json_t *out = NULL;

	make_conv(f->st, CONV, BOT);
	make_conv(f->st, "fedcba9876543210fedcba9876543210", "andere-bot");
	assert_int_equal(integ_attachment_put(f->st, BOT, CONV, "image/png", png, sizeof(png), id,
					      &err), 0);
	assert_int_equal(strlen(id), 32);
	assert_int_equal(store_attachment_get(f->st, BOT, id, 1, &a, NULL), 0);
	assert_string_equal(a.content_type, "image/png");
	assert_int_equal(a.size, sizeof(png));
	assert_memory_equal(a.data, png, sizeof(png));
	free(a.data);
	assert_int_equal(integ_attachment_put(f->st, BOT, CONV, NULL, jpeg, sizeof(jpeg), id2,
					      NULL), 0);
	assert_int_equal(integ_attachment_put(f->st, BOT, CONV, "image/webp", webp,
					      sizeof(webp) - 1, id2, NULL), 0);
	assert_int_equal(integ_attachment_put(f->st, BOT, CONV, NULL, gif, sizeof(gif) - 1, id2,
					      &err), LK_EINVAL);
	assert_string_equal(err.reason, "invalid");
	assert_int_equal(integ_attachment_put(f->st, BOT, CONV, "image/jpeg", png, sizeof(png),
					      id2, &err), LK_EINVAL);
	assert_int_equal(integ_attachment_put(f->st, BOT, "ffffffffffffffffffffffffffffffff",
					      NULL, png, sizeof(png), id2, &err), LK_ENOTFOUND);
	assert_string_equal(err.reason, "not_found");
	/* Another bot's conversation is as good as none. */
	assert_int_equal(integ_attachment_put(f->st, BOT, "fedcba9876543210fedcba9876543210",
					      NULL, png, sizeof(png), id2, &err), LK_ENOTFOUND);
	big = xcalloc(1, INTEG_ATTACHMENT_MAX + 1);
	memcpy(big, png, sizeof(png));
	assert_int_equal(integ_attachment_put(f->st, BOT, CONV, NULL, big, INTEG_ATTACHMENT_MAX + 1,
					      id2, &err), LK_EINVAL);
	assert_int_equal(integ_attachment_put(f->st, BOT, CONV, NULL, big, INTEG_ATTACHMENT_MAX,
					      id2, &err), 0);
	free(big);
	/* Through the operation, base64 or a data: URL. */
	snprintf(args, sizeof(args), "{\"conv_id\":\"%s\",\"content_type\":\"image/png\","
		 "\"data\":\"iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAAA=\"}", CONV);
	assert_int_equal(call(&f->c, "attachments.put", args, &out, NULL), 0);
	assert_string_equal(str(out, "content_type"), "image/png");
	assert_int_equal(json_integer_value(json_object_get(out, "size")), 29);
	json_decref(out);
	snprintf(args, sizeof(args), "{\"conv_id\":\"%s\",\"data\":\"data:image/png;base64,"
		 "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAAA=\"}", CONV);
	assert_int_equal(call(&f->c, "attachments.put", args, NULL, NULL), 0);
	snprintf(args, sizeof(args), "{\"conv_id\":\"%s\",\"data\":\"iVBOR*w0KG\"}", CONV);
	refused(&f->c, "attachments.put", args, LK_EINVAL, "invalid");
	snprintf(args, sizeof(args), "{\"conv_id\":\"%s\",\"data\":\"R0lGODlhAQABAAAAACw=\"}", CONV);
	refused(&f->c, "attachments.put", args, LK_EINVAL, "invalid"); /* a GIF */
	/* A melding with the photo, as channels name it. */
	snprintf(args, sizeof(args), "{\"description\":\"Graffiti op de muur\","
		 "\"category\":\"graffiti-wildplak\",\"lat\":52.09,\"lon\":5.65,"
		 "\"photo\":\"attachment:%s\"}", id);
	assert_int_equal(call(&f->c, "meldingen.create", args, NULL, NULL), 0);
	/* Erasing the conversation erases its photos. */
	assert_int_equal(store_conv_delete(f->st, CONV, NULL), 0);
	assert_int_equal(store_attachment_get(f->st, BOT, id, 0, &a, NULL), LK_ENOTFOUND);
}

/* --- seeding --- */

static size_t count_kind(struct store *st, const char *kind)
{
	struct store_idatas l;
	size_t n;

	assert_int_equal(store_idata_list(st, BOT, kind, &l, NULL), 0);
	n = l.n;
	store_idatas_release(&l);
	return n;
}

static void write_file(const char *dir, const char *name, const char *text)
{
	char path[600];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
}

static void test_seed_idempotent(void **state)
{
	struct fixture *f = *state;
	char dir[512], tmp[] = "/tmp/loket-test-seed-XXXXXX", ref[STORE_REF_MAX], path[600];
	size_t all, addresses;
	struct lk_err err = {0};
	json_t *out = NULL;
	int seeded = -1;

	data_dir(dir, sizeof(dir));
	all = count_kind(f->st, NULL);
	addresses = count_kind(f->st, "address");
	assert_true(addresses >= 300);
	assert_int_equal(count_kind(f->st, "case"), 21);
	assert_int_equal(count_kind(f->st, "product"), 4);
	assert_true(count_kind(f->st, "category") >= 70);
	book(&f->c, "id-kaart", "stadhuis", "2026-03-03", "09:00", ref);
	/* The same data again changes nothing. */
	assert_int_equal(integ_seed(f->st, BOT, dir, &err), 0);
	assert_int_equal(count_kind(f->st, NULL), all);
	assert_int_equal(store_idata_seed(f->st, BOT, "v-test", NULL, 0, &seeded, NULL), 0);
	assert_int_equal(seeded, 1);
	assert_int_equal(store_idata_seed(f->st, BOT, "v-test", NULL, 0, &seeded, NULL), 0);
	assert_int_equal(seeded, 0);
	assert_int_equal(count_kind(f->st, NULL), 0);
	/* Changed data replaces the reference data, bookings stay. */
	assert_non_null(mkdtemp(tmp));
	write_file(tmp, "afspraken.json",
		   "{\"products\":[{\"id\":\"trouwen\",\"nl\":\"Trouwen\",\"minutes\":60}],"
		   "\"locations\":[{\"id\":\"stadhuis\",\"nl\":\"Stadhuis\",\"counters\":1,"
		   "\"hours\":{\"za\":[\"10:00-16:00\"]}}]}");
	assert_int_equal(integ_seed(f->st, BOT, tmp, &err), 0);
	assert_int_equal(count_kind(f->st, "product"), 1);
	assert_int_equal(count_kind(f->st, "address"), 0);
	snprintf(path, sizeof(path), "{\"reference\":\"%s\"}", ref);
	assert_int_equal(call(&f->c, "appointments.get", path, &out, NULL), 0);
	json_decref(out);
	/* A malformed file fails with its name and line, and seeds nothing. */
	write_file(tmp, "afspraken.json", "{\"products\": [\n  {\"id\": \"x\",\n  }\n]}");
	assert_int_equal(integ_seed(f->st, BOT, tmp, &err), LK_EPARSE);
	assert_non_null(strstr(err.msg, "afspraken.json:3"));
	assert_int_equal(count_kind(f->st, "product"), 1);
	write_file(tmp, "afspraken.json", "{\"products\":[], \"locations\":[], \"colour\":1}");
	assert_int_equal(integ_seed(f->st, BOT, tmp, &err), LK_EPARSE);
	assert_non_null(strstr(err.msg, "colour"));
	write_file(tmp, "afspraken.json", "{\"products\":[],\"locations\":[{\"id\":\"a\",\"nl\":"
		   "\"A\",\"hours\":{\"ma\":[\"17:00-09:00\"]}}]}");
	assert_int_equal(integ_seed(f->st, BOT, tmp, &err), LK_EPARSE);
	snprintf(path, sizeof(path), "%s/afspraken.json", tmp);
	unlink(path);
	write_file(tmp, "adressen.csv", "postcode,huisnummer,huisletter,huisnummertoevoeging,"
		   "straatnaam,woonplaatsnaam,lat,lon\n4321AA,1,,,Plein,Demostad,52.1,5.6\n"
		   "4321AA,2,,,Plein,Demostad,52.1,east\n");
	assert_int_equal(integ_seed(f->st, BOT, tmp, &err), LK_EPARSE);
	assert_non_null(strstr(err.msg, "adressen.csv:3"));
	write_file(tmp, "adressen.csv", "postcode,huisnummer,huisletter,huisnummertoevoeging,"
		   "straatnaam,woonplaatsnaam,lat,lon\n\"4321AA,1,,,Plein\n");
	assert_int_equal(integ_seed(f->st, BOT, tmp, &err), LK_EPARSE);
	unlink(path);
	snprintf(path, sizeof(path), "%s/adressen.csv", tmp);
	unlink(path);
	rmdir(tmp);
	/* And the original data back. */
	assert_int_equal(integ_seed(f->st, BOT, dir, &err), 0);
	assert_int_equal(count_kind(f->st, NULL), all);
}

static void test_tickets_create(void **state)
{
	struct fixture *f = *state;
	const char *conv = "0123456789abcdef0123456789abcdef";
	struct integ_ctx en = f->c;
	struct store_handoff h;
	struct store_ticket t;
	struct lk_err err;
	char args[3000], big[2100], ref[STORE_REF_MAX];
	json_t *out = NULL;

	/* No handoff yet: the ticket is for every team (""). */
	assert_int_equal(call(&f->c, "tickets.create", "{\"conv_id\":\"0123456789abcdef0123456789"
			      "abcdef\",\"question\":\"Wanneer is mijn paspoort klaar?\",\"name\":"
			      "\" Jan de Vries \",\"phone\":\"06 12345678\"}", &out, &err), 0);
	snprintf(ref, sizeof(ref), "%s", str(out, "reference"));
	json_decref(out);
	assert_int_equal(strlen(ref), 9);
	assert_memory_equal(ref, "VR-", 3);
	assert_int_equal(store_ticket_get(f->st, BOT, ref, &t, NULL), 0);
	assert_string_equal(t.team, "");
	assert_string_equal(t.conv_id, conv);
	assert_string_equal(t.lang, "nl");
	assert_string_equal(t.status, "open");
	assert_string_equal(t.name, "Jan de Vries");
	assert_string_equal(t.contact, "06 12345678");
	assert_int_equal(t.created_ms, MON_0800 * 1000);
	store_ticket_release(&t);

	/* After a handoff for zorg: the ticket goes to zorg; e-mail wins over phone. */
	memset(&h, 0, sizeof(h));
	snprintf(h.conv_id, sizeof(h.conv_id), "%s", conv);
	snprintf(h.team, sizeof(h.team), "zorg");
	snprintf(h.status, sizeof(h.status), "closed");
	snprintf(h.reason, sizeof(h.reason), "after_hours");
	snprintf(h.outcome, sizeof(h.outcome), "after_hours");
	h.requested_ms = MON_0800 * 1000;
	assert_int_equal(store_handoff_open(f->st, BOT, &h, NULL), 0);
	en.lang = "en";
	assert_int_equal(call(&en, "tickets.create", "{\"conv_id\":\"0123456789abcdef0123456789"
			      "abcdef\",\"question\":\"Help\\nplease\",\"name\":\"Jan\",\"email\":"
			      "\"jan@example.nl\",\"phone\":\"0612345678\"}", &out, &err), 0);
	assert_int_equal(store_ticket_get(f->st, BOT, str(out, "reference"), &t, NULL), 0);
	json_decref(out);
	assert_string_equal(t.team, "zorg");
	assert_string_equal(t.lang, "en");
	assert_string_equal(t.contact, "jan@example.nl");
	assert_string_equal(t.question, "Help\nplease");
	store_ticket_release(&t);

	/* Refusals. */
	refused(&f->c, "tickets.create", "{\"question\":\"q\",\"name\":\"n\",\"phone\":\"061\"}",
		LK_EINVAL, "invalid");
	refused(&f->c, "tickets.create", "{\"conv_id\":\"abc\",\"question\":\"q\",\"name\":\"n\"}",
		LK_EINVAL, "invalid"); /* no contact */
	refused(&f->c, "tickets.create", "{\"conv_id\":\"abc\",\"name\":\"n\",\"phone\":\"06\"}",
		LK_EINVAL, "invalid"); /* no question */
	refused(&f->c, "tickets.create", "{\"conv_id\":\"abc\",\"question\":\"q\",\"phone\":\"06\"}",
		LK_EINVAL, "invalid"); /* no name */
	refused(&f->c, "tickets.create", "{\"conv_id\":\"abc\",\"question\":\"q\",\"name\":\"n\","
		"\"email\":\"not-an-address\"}", LK_EINVAL, "invalid");
	refused(&f->c, "tickets.create", "{\"conv_id\":\"abc\",\"question\":\"q\",\"name\":\"n\","
		"\"email\":\"\",\"phone\":\"\"}", LK_EINVAL, "invalid");
	refused(&f->c, "tickets.create", "{\"conv_id\":\"0123456789abcdef0123456789abcdef0\","
		"\"question\":\"q\",\"name\":\"n\",\"phone\":\"06\"}", LK_EINVAL, "invalid");
	refused(&f->c, "tickets.create", "{\"conv_id\":\"abc\",\"question\":\"q\\u0001\","
		"\"name\":\"n\",\"phone\":\"06\"}", LK_EINVAL, "invalid");
	/* 2000 bytes is the most: 1000 two-byte characters pass, 1001 do not. */
	memset(big, 0, sizeof(big));
	for (int i = 0; i < 1000; i++)
		memcpy(big + 2 * i, "\xc3\xa9", 2);
	snprintf(args, sizeof(args), "{\"conv_id\":\"abc\",\"question\":\"%s\",\"name\":\"n\","
		 "\"phone\":\"06\"}", big);
	assert_int_equal(call(&f->c, "tickets.create", args, NULL, &err), 0);
	memcpy(big + 2000, "\xc3\xa9", 2);
	snprintf(args, sizeof(args), "{\"conv_id\":\"abc\",\"question\":\"%s\",\"name\":\"n\","
		 "\"phone\":\"06\"}", big);
	refused(&f->c, "tickets.create", args, LK_EINVAL, "invalid");
	memset(big, 'a', 201);
	big[201] = '\0';
	snprintf(args, sizeof(args), "{\"conv_id\":\"abc\",\"question\":\"q\",\"name\":\"%s\","
		 "\"phone\":\"06\"}", big);
	refused(&f->c, "tickets.create", args, LK_EINVAL, "invalid");
	memset(big, '1', 257);
	big[257] = '\0';
	snprintf(args, sizeof(args), "{\"conv_id\":\"abc\",\"question\":\"q\",\"name\":\"n\","
		 "\"phone\":\"%s\"}", big);
	refused(&f->c, "tickets.create", args, LK_EINVAL, "invalid");
	assert_true(integ_op_known("tickets.create"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_unknown_op, setup, teardown),
		cmocka_unit_test_setup_teardown(test_arguments_checked, setup, teardown),
		cmocka_unit_test_setup_teardown(test_products_and_locations, setup, teardown),
		cmocka_unit_test_setup_teardown(test_days, setup, teardown),
		cmocka_unit_test_setup_teardown(test_times, setup, teardown),
		cmocka_unit_test_setup_teardown(test_book_and_get, setup, teardown),
		cmocka_unit_test_setup_teardown(test_book_refusals, setup, teardown),
		cmocka_unit_test_setup_teardown(test_capacity, setup, teardown),
		cmocka_unit_test_setup_teardown(test_capacity_race, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cancel_frees_capacity, setup, teardown),
		cmocka_unit_test_setup_teardown(test_move, setup, teardown),
		cmocka_unit_test_setup_teardown(test_suggest_quality, setup, teardown),
		cmocka_unit_test_setup_teardown(test_suggest_edges, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nearby, setup, teardown),
		cmocka_unit_test_setup_teardown(test_melding_create, setup, teardown),
		cmocka_unit_test_setup_teardown(test_geo_lookup, setup, teardown),
		cmocka_unit_test_setup_teardown(test_geo_search, setup, teardown),
		cmocka_unit_test_setup_teardown(test_permits, setup, teardown),
		cmocka_unit_test_setup_teardown(test_case_status, setup, teardown),
		cmocka_unit_test_setup_teardown(test_feedback, setup, teardown),
		cmocka_unit_test_setup_teardown(test_attachments, setup, teardown),
		cmocka_unit_test_setup_teardown(test_seed_idempotent, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tickets_create, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
