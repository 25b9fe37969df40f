/* integ_int.h - what the built-in backends (builtin_*.c) share: the
 * operation signature, refusals, argument checking, references, local dates
 * and times, labels and the seeded reference data. Private to
 * src/integrations; the public contract is integ.h.
 */
#ifndef LK_INTEG_INT_H
#define LK_INTEG_INT_H

#include "integrations/integ.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One operation: args is a JSON object (never NULL), *out a new object. */
typedef int (*integ_op_fn)(const struct integ_ctx *c, json_t *args, json_t **out,
			   struct lk_err *err);

/* Kinds of seeded reference data (store_idata kinds); every value is a JSON
 * object with at least "id" (its key). */
#define INTEG_KIND_CONFIG "config"     /* key "appointments": slot, horizon */
#define INTEG_KIND_PRODUCT "product"
#define INTEG_KIND_LOCATION "location"
#define INTEG_KIND_CLOSED "closed"     /* key YYYY-MM-DD */
#define INTEG_KIND_PERMIT "permit_type"
#define INTEG_KIND_CATEGORY "category" /* key: sub-category slug */
#define INTEG_KIND_ADDRESS "address"   /* key: see integ_address_key() */
#define INTEG_KIND_CASE "case"         /* key: zaaknummer, upper case */

/* Bounds on what operations accept. */
#define INTEG_NAME_MAX 100          /* characters of a person's name */
#define INTEG_EMAIL_MAX 254         /* bytes */
#define INTEG_DESC_MIN 10           /* characters of a melding's description */
#define INTEG_DESC_MAX 1000
#define INTEG_COMMENT_MAX 1000      /* characters of a feedback comment */
#define INTEG_TEXT_MAX 2000         /* characters of text to match (suggest, search) */
#define INTEG_WORD_MAX 64           /* bytes of an id, slug or reference argument */

/* --- the operations (builtin_*.c) --- */
int integ_appt_products(const struct integ_ctx *c, json_t *args, json_t **out,
			struct lk_err *err);
int integ_appt_locations(const struct integ_ctx *c, json_t *args, json_t **out,
			 struct lk_err *err);
int integ_appt_days(const struct integ_ctx *c, json_t *args, json_t **out, struct lk_err *err);
int integ_appt_times(const struct integ_ctx *c, json_t *args, json_t **out, struct lk_err *err);
int integ_appt_book(const struct integ_ctx *c, json_t *args, json_t **out, struct lk_err *err);
int integ_appt_get(const struct integ_ctx *c, json_t *args, json_t **out, struct lk_err *err);
int integ_appt_cancel(const struct integ_ctx *c, json_t *args, json_t **out, struct lk_err *err);
int integ_appt_move(const struct integ_ctx *c, json_t *args, json_t **out, struct lk_err *err);
int integ_meld_suggest(const struct integ_ctx *c, json_t *args, json_t **out, struct lk_err *err);
int integ_meld_nearby(const struct integ_ctx *c, json_t *args, json_t **out, struct lk_err *err);
int integ_meld_create(const struct integ_ctx *c, json_t *args, json_t **out, struct lk_err *err);
int integ_geo_lookup(const struct integ_ctx *c, json_t *args, json_t **out, struct lk_err *err);
int integ_geo_search(const struct integ_ctx *c, json_t *args, json_t **out, struct lk_err *err);
int integ_permit_types(const struct integ_ctx *c, json_t *args, json_t **out, struct lk_err *err);
int integ_permit_register(const struct integ_ctx *c, json_t *args, json_t **out,
			  struct lk_err *err);
int integ_case_status(const struct integ_ctx *c, json_t *args, json_t **out, struct lk_err *err);
int integ_feedback_store(const struct integ_ctx *c, json_t *args, json_t **out,
			 struct lk_err *err);
int integ_feedback_summary(const struct integ_ctx *c, json_t *args, json_t **out,
			   struct lk_err *err);
int integ_attach_put(const struct integ_ctx *c, json_t *args, json_t **out, struct lk_err *err);
int integ_ticket_create(const struct integ_ctx *c, json_t *args, json_t **out,
			struct lk_err *err);

/* The status of an appointment or record reference for cases.status, or
 * LK_ENOTFOUND. Fills a new object with "title","status","date","next_step". */
int integ_appt_case(const struct integ_ctx *c, const char *ref, json_t **out,
		    struct lk_err *err);
int integ_record_case(const struct integ_ctx *c, const char *ref, json_t **out,
		      struct lk_err *err);

/* --- refusals --- */
/* LK_EINVAL with err->reason = reason (a static word). */
int integ_refuse(struct lk_err *err, const char *reason, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* LK_ENOTFOUND with err->reason "not_found". */
int integ_not_found(struct lk_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* --- arguments ---
 * Every getter fails with integ_refuse(err, "invalid", ...) naming the key.
 * A JSON null counts as absent. */
/* A one-line string, trimmed, copied to out (at most size - 1 bytes).
 * Absent and optional: out = "" and *present = false (present may be NULL). */
int integ_arg_word(json_t *args, const char *key, bool required, char *out, size_t size,
		   bool *present, struct lk_err *err);
/* A trimmed text of min_chars..max_chars characters without control
 * characters (tab and newline allowed when multiline). *out: a copy the
 * caller frees, or NULL when absent and optional. */
int integ_arg_text(json_t *args, const char *key, bool required, size_t min_chars,
		   size_t max_chars, bool multiline, char **out, struct lk_err *err);
/* An integer (JSON integer or a string of digits) in [min, max]. */
int integ_arg_int(json_t *args, const char *key, bool required, int64_t min, int64_t max,
		  int64_t *out, bool *present, struct lk_err *err);
/* A finite number (JSON number or numeric string) in [min, max]. */
int integ_arg_real(json_t *args, const char *key, double min, double max, double *out,
		   struct lk_err *err);
/* true/false, or the strings ja/nee/yes/no/true/false/1/0; absent: false. */
int integ_arg_bool(json_t *args, const char *key, bool *out, struct lk_err *err);

/* --- formats --- */
/* Characters (code points) of valid UTF-8 s; SIZE_MAX when not UTF-8. */
size_t integ_utf8_chars(const char *s);
/* Loose e-mail check: something@something.tld, no spaces or controls. */
bool integ_email_ok(const char *s);
/* "1234 ab" -> "1234AB" (out: 7 bytes); false for a malformed postcode (the
 * pairs SA, SD and SS are never issued). */
bool integ_postcode_norm(const char *in, char out[7]);
/* The key of an address: "1234AB|12|A|2" (letter and addition upper case,
 * empty when absent). */
void integ_address_key(const char *postcode, int64_t number, const char *letter,
		       const char *addition, char *out, size_t size);

/* Folds a street or place name for matching: "Kerkstraat" and "KERKSTRAAT."
 * give "kerkstraat" (builtin_geo.c). */
void integ_geo_key(const char *s, char *out, size_t size);

/* --- references --- */
/* A new random reference "PREFIX-XXXXXX" from an unambiguous alphabet. */
void integ_ref_new(const char *prefix, char out[STORE_REF_MAX]);
/* Upper-cases and trims in; false unless it is 3..23 of [A-Z0-9-]. */
bool integ_ref_norm(const char *in, char out[STORE_REF_MAX]);
/* 32 random lowercase hex characters. */
void integ_random_hex(char out[STORE_ATTACHMENT_ID_LEN + 1]);

/* --- dates and times (local, from ctx->now + utc_offset_s) --- */
int64_t integ_today(const struct integ_ctx *c);       /* days since 1970-01-01 */
int integ_minute_now(const struct integ_ctx *c);      /* minutes since local midnight */
/* Strict "YYYY-MM-DD" dates are parsed with lk_day_parse() (core/clock.h). */
void integ_day_format(int64_t day, char out[11]);
/* 0 = Monday .. 6 = Sunday. */
int integ_weekday(int64_t day);
/* "9:30", "09:30" or "09.30" -> 570. */
bool integ_hhmm_parse(const char *s, int *min);
void integ_hhmm_format(int min, char out[6]);
/* Unix seconds as local ISO 8601 with offset: "2026-03-02T10:15:00+01:00". */
void integ_time_format(const struct integ_ctx *c, int64_t t, char out[32]);

/* --- labels and reference data --- */
bool integ_lang_en(const struct integ_ctx *c);
/* obj[key] when it is a string, else "" (obj may be NULL). */
const char *integ_str(const json_t *obj, const char *key);
/* obj's "en" (English contexts) or "nl" label, else its "id", else "". */
const char *integ_label(const struct integ_ctx *c, const json_t *obj);
/* One seeded value as a new JSON object; LK_ENOTFOUND when absent. */
int integ_data_get(const struct integ_ctx *c, const char *kind, const char *key, json_t **out,
		   struct lk_err *err);
/* All seeded values of kind as a new JSON array, in seeding order. */
int integ_data_list(const struct integ_ctx *c, const char *kind, json_t **out,
		    struct lk_err *err);
/* {"options":[{"value": id, "label": label}, ...]} of every value of kind. */
int integ_options(const struct integ_ctx *c, const char *kind, json_t **out, struct lk_err *err);

#endif
