/* integ_seed.c - reads a bot's data/ folder (see integ.h and the folder's
 * README.md) into reference data for the built-in backends, checks every
 * file strictly (unknown keys, malformed dates, postcodes and coordinates
 * fail with file and line) and hands it to the store in one transaction,
 * only when it differs from what was seeded before (a SHA-256 of the files).
 */
#include "integrations/integ_int.h"

#include "core/buf.h"
#include "core/clock.h"
#include "core/mem.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SEED_FILE_MAX ((size_t)16 << 20) /* bytes of one data file */
#define SEED_FIELD_MAX 4096              /* bytes of one CSV field */
#define SEED_COLUMNS_MAX 64
/* Bump when the conversion below changes, so stores are seeded again. */
#define SEED_FORMAT "loket-integ-seed-1"

static const char *const seed_files[] = {
	"afspraken.json", "vergunningen.json", "categories.json", "melding-keywords.json",
	"adressen.csv",   "zaken.csv",
};
#define SEED_NFILES (sizeof(seed_files) / sizeof(seed_files[0]))

struct seed {
	const char *dir;
	struct store_idatas items; /* owned strings */
	size_t alloc;
	struct buf data[SEED_NFILES];
	bool have[SEED_NFILES];
	char path[PATH_MAX];       /* of the file being read, for messages */
};

/* "FILE:LINE: message" (LINE 0: "FILE: message"). */
static int seed_fail(struct seed *s, long line, struct lk_err *err, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int seed_fail(struct seed *s, long line, struct lk_err *err, const char *fmt, ...)
{
	char msg[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (line > 0)
		return lk_err_set(err, LK_EPARSE, "%s:%ld: %s", s->path, line, msg);
	return lk_err_set(err, LK_EPARSE, "%s: %s", s->path, msg);
}

/* Adds one item; takes the reference to value and sets its "id" to key. */
static void seed_add(struct seed *s, const char *kind, const char *key, json_t *value)
{
	struct store_idata *d;

	json_object_set_new(value, "id", json_string(key));
	if (s->items.n == s->alloc) {
		s->alloc = s->alloc ? s->alloc * 2 : 256;
		s->items.v = xreallocarray(s->items.v, s->alloc, sizeof(*s->items.v));
	}
	d = &s->items.v[s->items.n++];
	d->kind = xstrdup(kind);
	d->key = xstrdup(key);
	d->value = json_dumps(value, JSON_COMPACT);
	json_decref(value);
}

static int seed_read(struct seed *s, size_t i, struct lk_err *err)
{
	int rc;

	snprintf(s->path, sizeof(s->path), "%s/%s", s->dir, seed_files[i]);
	buf_init(&s->data[i], SEED_FILE_MAX);
	rc = buf_read_file(&s->data[i], s->path, err);
	if (rc == LK_EIO && errno == ENOENT)
		return 0; /* a data file the bot does not have */
	if (rc == LK_ETOOBIG)
		rc = seed_fail(s, 0, err, "larger than %zu MiB", SEED_FILE_MAX >> 20);
	s->have[i] = !rc;
	return rc;
}

/* SHA-256 over the format and every file (name, size, bytes), as hex. */
static void seed_version(const struct seed *s, char out[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();

	if (!ctx)
		abort(); /* out of memory, as xmalloc would */
	EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
	EVP_DigestUpdate(ctx, SEED_FORMAT, sizeof(SEED_FORMAT));
	for (size_t i = 0; i < SEED_NFILES; i++) {
		char head[128];
		int n = snprintf(head, sizeof(head), "%s:%d:%zu:", seed_files[i], s->have[i],
				 s->data[i].len);

		EVP_DigestUpdate(ctx, head, (size_t)n);
		EVP_DigestUpdate(ctx, s->data[i].ptr, s->data[i].len);
	}
	EVP_DigestFinal_ex(ctx, md, &mdlen);
	EVP_MD_CTX_free(ctx);
	for (unsigned int i = 0; i < mdlen && i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

/* --- JSON files --- */

static int seed_json(struct seed *s, size_t i, json_t **out, struct lk_err *err)
{
	json_error_t jerr;

	snprintf(s->path, sizeof(s->path), "%s/%s", s->dir, seed_files[i]);
	*out = json_loadb(s->data[i].ptr, s->data[i].len, JSON_REJECT_DUPLICATES, &jerr);
	if (!*out)
		return seed_fail(s, jerr.line, err, "%s", jerr.text);
	if (!json_is_object(*out)) {
		json_decref(*out);
		*out = NULL;
		return seed_fail(s, 0, err, "the top level is not an object");
	}
	return 0;
}

/* Fails on a key of obj not in allowed (NULL-terminated). */
static int seed_keys(struct seed *s, const json_t *obj, const char *what,
		     const char *const *allowed, struct lk_err *err)
{
	const char *key;
	json_t *v;

	if (!json_is_object(obj))
		return seed_fail(s, 0, err, "%s is not an object", what);
	json_object_foreach((json_t *)obj, key, v) {
		size_t k = 0;

		while (allowed[k] && strcmp(allowed[k], key))
			k++;
		if (!allowed[k])
			return seed_fail(s, 0, err, "%s: unknown key '%s'", what, key);
	}
	return 0;
}

/* An id: 1..63 of [a-z0-9-]. */
static bool seed_id_ok(const char *id)
{
	size_t n = id ? strlen(id) : 0;

	if (!n || n >= INTEG_WORD_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)id[i];

		if (!islower(ch) && !isdigit(ch) && ch != '-')
			return false;
	}
	return true;
}

/* A labelled item {"id", "nl", "en"?, ...}: checks id and labels. */
static int seed_labelled(struct seed *s, const json_t *o, const char *what, struct lk_err *err)
{
	const char *id = json_string_value(json_object_get(o, "id"));
	json_t *en = json_object_get(o, "en");

	if (!seed_id_ok(id))
		return seed_fail(s, 0, err, "%s: 'id' must be 1..63 of a-z, 0-9 and '-'", what);
	if (!json_is_string(json_object_get(o, "nl")) ||
	    !json_string_length(json_object_get(o, "nl")))
		return seed_fail(s, 0, err, "%s '%s': 'nl' (the Dutch label) is missing", what, id);
	if (en && !json_is_string(en))
		return seed_fail(s, 0, err, "%s '%s': 'en' is not a string", what, id);
	return 0;
}

static int seed_int(struct seed *s, const json_t *o, const char *key, int min, int max, int def,
		    const char *what, int *out, struct lk_err *err)
{
	json_t *v = json_object_get(o, key);

	*out = def;
	if (!v)
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max)
		return seed_fail(s, 0, err, "%s: '%s' must be a whole number %d..%d", what, key,
				 min, max);
	*out = (int)json_integer_value(v);
	return 0;
}

static bool seed_in_list(const json_t *list, const char *id)
{
	json_t *v;
	size_t i;

	json_array_foreach(list, i, v) {
		if (!strcmp(json_string_value(json_object_get(v, "id")), id))
			return true;
	}
	return false;
}

/* "09:00-17:00" -> [540, 1020]. */
static json_t *seed_period(const char *s)
{
	char a[8], b[8];
	const char *dash = strchr(s, '-');
	int x, y;

	if (!dash || dash - s >= (long)sizeof(a) || strlen(dash + 1) >= sizeof(b))
		return NULL;
	memcpy(a, s, (size_t)(dash - s));
	a[dash - s] = '\0';
	snprintf(b, sizeof(b), "%s", dash + 1);
	if (!strcmp(b, "24:00"))
		y = 24 * 60;
	else if (!integ_hhmm_parse(b, &y))
		return NULL;
	if (!integ_hhmm_parse(a, &x) || x >= y)
		return NULL;
	return json_pack("[i, i]", x, y);
}

/* "hours": {"ma": ["09:00-17:00", ...], ...} -> [[[540, 1020], ...] x 7]. */
static int seed_hours(struct seed *s, const json_t *hours, const char *id, json_t **out,
		      struct lk_err *err)
{
	static const char *const days[] = {"ma", "di", "wo", "do", "vr", "za", "zo", NULL};
	char what[128];
	int rc;

	*out = NULL;
	snprintf(what, sizeof(what), "location '%s' hours", id);
	rc = seed_keys(s, hours, what, days, err);
	if (rc)
		return rc;
	*out = json_array();
	for (int d = 0; d < 7 && !rc; d++) {
		json_t *list = json_object_get(hours, days[d]), *day = json_array(), *p;
		size_t i;

		if (list && !json_is_array(list))
			rc = seed_fail(s, 0, err, "%s: '%s' is not a list", what, days[d]);
		json_array_foreach(list, i, p) {
			json_t *per = json_is_string(p) ? seed_period(json_string_value(p)) : NULL;

			if (!per || i >= 8) {
				json_decref(per);
				rc = seed_fail(s, 0, err, "%s: '%s' needs up to 8 periods like"
					       " \"09:00-12:30\"", what, days[d]);
				break;
			}
			json_array_append_new(day, per);
		}
		json_array_append_new(*out, day);
	}
	if (rc) {
		json_decref(*out);
		*out = NULL;
	}
	return rc;
}

static int seed_appointments(struct seed *s, struct lk_err *err)
{
	static const char *const top[] = {"slot_minutes", "horizon_days", "products", "locations",
					  "closed", "comment", NULL};
	static const char *const prod_keys[] = {"id", "nl", "en", "minutes", NULL};
	static const char *const loc_keys[] = {"id", "nl", "en", "address", "counters",
					       "products", "hours", NULL};
	static const char *const closed_keys[] = {"date", "nl", "en", "locations", NULL};
	json_t *doc = NULL, *products, *locations, *closed, *v;
	int slot, horizon, rc;
	size_t i;

	rc = seed_json(s, 0, &doc, err);
	if (!rc)
		rc = seed_keys(s, doc, "afspraken", top, err);
	if (!rc)
		rc = seed_int(s, doc, "slot_minutes", 5, 120, 15, "afspraken", &slot, err);
	if (!rc)
		rc = seed_int(s, doc, "horizon_days", 1, 366, 30, "afspraken", &horizon, err);
	if (rc)
		goto out;
	products = json_object_get(doc, "products");
	locations = json_object_get(doc, "locations");
	closed = json_object_get(doc, "closed");
	if (!json_is_array(products) || !json_is_array(locations) ||
	    (closed && !json_is_array(closed))) {
		rc = seed_fail(s, 0, err, "'products', 'locations' and 'closed' must be lists");
		goto out;
	}
	seed_add(s, INTEG_KIND_CONFIG, "appointments",
		 json_pack("{s:i, s:i}", "slot_minutes", slot, "horizon_days", horizon));
	json_array_foreach(products, i, v) {
		int minutes;

		rc = seed_keys(s, v, "product", prod_keys, err);
		if (!rc)
			rc = seed_labelled(s, v, "product", err);
		if (!rc)
			rc = seed_int(s, v, "minutes", 1, 480, slot, "product", &minutes, err);
		if (rc)
			goto out;
		seed_add(s, INTEG_KIND_PRODUCT, json_string_value(json_object_get(v, "id")),
			 json_pack("{s:O, s:O*, s:i}", "nl", json_object_get(v, "nl"), "en",
				   json_object_get(v, "en"), "minutes", minutes));
	}
	json_array_foreach(locations, i, v) {
		const char *id;
		json_t *hours = NULL, *offers, *o;
		int counters;
		size_t k;

		rc = seed_keys(s, v, "location", loc_keys, err);
		if (!rc)
			rc = seed_labelled(s, v, "location", err);
		if (!rc)
			rc = seed_int(s, v, "counters", 0, 1000, 1, "location", &counters, err);
		if (rc)
			goto out;
		id = json_string_value(json_object_get(v, "id"));
		offers = json_object_get(v, "products");
		if (offers && !json_is_array(offers)) {
			rc = seed_fail(s, 0, err, "location '%s': 'products' is not a list", id);
			goto out;
		}
		json_array_foreach(offers, k, o) {
			if (!json_is_string(o) || !seed_in_list(products, json_string_value(o))) {
				rc = seed_fail(s, 0, err,
					       "location '%s': unknown product in 'products'", id);
				goto out;
			}
		}
		rc = seed_hours(s, json_object_get(v, "hours"), id, &hours, err);
		if (rc)
			goto out;
		o = json_object_get(v, "address");
		if (o && !json_is_string(o)) {
			json_decref(hours);
			rc = seed_fail(s, 0, err, "location '%s': 'address' is not a string", id);
			goto out;
		}
		seed_add(s, INTEG_KIND_LOCATION, id,
			 json_pack("{s:O, s:O*, s:O*, s:i, s:O*, s:o}", "nl",
				   json_object_get(v, "nl"), "en", json_object_get(v, "en"),
				   "address", json_object_get(v, "address"), "counters", counters,
				   "products", offers, "hours", hours));
	}
	json_array_foreach(closed, i, v) {
		const char *date = json_string_value(json_object_get(v, "date"));
		json_t *only = json_object_get(v, "locations"), *o;
		int64_t day;
		size_t k;

		rc = seed_keys(s, v, "closed day", closed_keys, err);
		if (rc)
			goto out;
		if (!date || !lk_day_parse(date, &day)) {
			rc = seed_fail(s, 0, err, "closed day %zu: 'date' is not YYYY-MM-DD",
				       i + 1);
			goto out;
		}
		if (only && !json_is_array(only)) {
			rc = seed_fail(s, 0, err, "closed day %s: 'locations' is not a list", date);
			goto out;
		}
		json_array_foreach(only, k, o) {
			if (!json_is_string(o) || !seed_in_list(locations, json_string_value(o))) {
				rc = seed_fail(s, 0, err, "closed day %s: unknown location", date);
				goto out;
			}
		}
		seed_add(s, INTEG_KIND_CLOSED, date,
			 json_pack("{s:O*, s:O*, s:O*}", "nl", json_object_get(v, "nl"), "en",
				   json_object_get(v, "en"), "locations", only));
	}
out:
	json_decref(doc);
	return rc;
}

static int seed_permits(struct seed *s, struct lk_err *err)
{
	static const char *const top[] = {"types", "comment", NULL};
	static const char *const keys[] = {"id", "nl", "en", NULL};
	json_t *doc = NULL, *types, *v;
	size_t i;
	int rc;

	rc = seed_json(s, 1, &doc, err);
	if (!rc)
		rc = seed_keys(s, doc, "vergunningen", top, err);
	if (rc)
		goto out;
	types = json_object_get(doc, "types");
	if (!json_is_array(types)) {
		rc = seed_fail(s, 0, err, "'types' must be a list");
		goto out;
	}
	json_array_foreach(types, i, v) {
		rc = seed_keys(s, v, "permit type", keys, err);
		if (!rc)
			rc = seed_labelled(s, v, "permit type", err);
		if (rc)
			goto out;
		seed_add(s, INTEG_KIND_PERMIT, json_string_value(json_object_get(v, "id")),
			 json_pack("{s:O, s:O*}", "nl", json_object_get(v, "nl"), "en",
				   json_object_get(v, "en")));
	}
out:
	json_decref(doc);
	return rc;
}

/* --- the Signalen taxonomy (a Django fixture) and our keywords --- */

static const char *seed_cat_name(const json_t *fields)
{
	const char *pub = json_string_value(json_object_get(fields, "public_name"));

	return pub && *pub ? pub : json_string_value(json_object_get(fields, "name"));
}

static const json_t *seed_cat_by_pk(const json_t *list, json_int_t pk)
{
	json_t *v;
	size_t i;

	json_array_foreach(list, i, v) {
		if (json_integer_value(json_object_get(v, "pk")) == pk)
			return json_object_get(v, "fields");
	}
	return NULL;
}

static int seed_keywords(struct seed *s, const json_t *fixture, json_t **out, struct lk_err *err)
{
	static const char *const top[] = {"keywords", "comment", NULL};
	json_t *doc = NULL, *kw, *list, *w;
	const char *slug;
	int rc;

	*out = NULL;
	if (!s->have[3])
		return 0;
	rc = seed_json(s, 3, &doc, err);
	if (!rc)
		rc = seed_keys(s, doc, "melding-keywords", top, err);
	if (rc)
		goto out;
	kw = json_object_get(doc, "keywords");
	if (!json_is_object(kw)) {
		rc = seed_fail(s, 0, err, "'keywords' must map category slugs to lists of words");
		goto out;
	}
	json_object_foreach(kw, slug, list) {
		bool known = false;
		json_t *v;
		size_t i;

		json_array_foreach(fixture, i, v) {
			json_t *f = json_object_get(v, "fields");

			if (!json_is_null(json_object_get(f, "parent")) &&
			    !strcmp(integ_str(f, "slug"), slug))
				known = true;
		}
		if (!known) {
			rc = seed_fail(s, 0, err, "unknown sub-category '%s'", slug);
			goto out;
		}
		if (!json_is_array(list)) {
			rc = seed_fail(s, 0, err, "'%s' is not a list of words", slug);
			goto out;
		}
		json_array_foreach(list, i, w) {
			if (!json_is_string(w) || !json_string_length(w) ||
			    json_string_length(w) > 100) {
				rc = seed_fail(s, 0, err, "'%s': keyword %zu is empty or too long",
					       slug, i + 1);
				goto out;
			}
		}
	}
	*out = json_incref(kw);
out:
	json_decref(doc);
	return rc;
}

static int seed_categories(struct seed *s, struct lk_err *err)
{
	json_error_t jerr;
	json_t *fixture, *keywords = NULL, *v;
	size_t i;
	int rc = 0;

	snprintf(s->path, sizeof(s->path), "%s/%s", s->dir, seed_files[2]);
	fixture = json_loadb(s->data[2].ptr, s->data[2].len, 0, &jerr);
	if (!fixture)
		return seed_fail(s, jerr.line, err, "%s", jerr.text);
	if (!json_is_array(fixture)) {
		rc = seed_fail(s, 0, err, "not a Django fixture (a list of objects)");
		goto out;
	}
	rc = seed_keywords(s, fixture, &keywords, err);
	if (rc)
		goto out;
	snprintf(s->path, sizeof(s->path), "%s/%s", s->dir, seed_files[2]);
	json_array_foreach(fixture, i, v) {
		json_t *f = json_object_get(v, "fields"), *parent = json_object_get(f, "parent");
		const json_t *main;
		const char *slug = json_string_value(json_object_get(f, "slug"));
		json_t *words;

		if (!json_is_object(f) || !slug || !seed_cat_name(f)) {
			rc = seed_fail(s, 0, err, "item %zu has no fields, slug or name", i + 1);
			goto out;
		}
		if (!json_is_integer(parent) || !json_is_true(json_object_get(f, "is_active")))
			continue; /* a main category, or not in use */
		main = seed_cat_by_pk(fixture, json_integer_value(parent));
		if (!main || !json_is_true(json_object_get(main, "is_active")) ||
		    !json_string_value(json_object_get(main, "slug")))
			continue;
		words = json_object_get(keywords, slug);
		seed_add(s, INTEG_KIND_CATEGORY, slug,
			 json_pack("{s:s, s:O, s:s, s:o}", "name", seed_cat_name(f), "main",
				   json_object_get(main, "slug"), "main_name", seed_cat_name(main),
				   "keywords", words ? json_incref(words) : json_array()));
	}
out:
	json_decref(keywords);
	json_decref(fixture);
	return rc;
}

/* --- CSV files --- */

struct seed_csv {
	const char *p, *end;
	long line;
};

/* Reads one record into a new array of strings (*row NULL at the end);
 * *line is where it starts. RFC 4180: quotes, "" inside quotes, CRLF. */
static int seed_csv_next(struct seed *s, struct seed_csv *r, json_t **row, long *line,
			 struct lk_err *err)
{
	struct buf f;
	int rc = 0;

	*row = NULL;
	if (r->p >= r->end)
		return 0;
	*line = r->line;
	*row = json_array();
	buf_init(&f, SEED_FIELD_MAX);
	for (;;) {
		bool quoted = r->p < r->end && *r->p == '"';
		json_t *str;

		buf_reset(&f);
		if (quoted) {
			r->p++;
			for (;;) {
				if (r->p >= r->end) {
					rc = seed_fail(s, *line, err, "unterminated quoted field");
					goto out;
				}
				if (*r->p == '"') {
					if (r->p + 1 < r->end && r->p[1] == '"') {
						r->p++;
					} else {
						r->p++;
						break;
					}
				}
				if (*r->p == '\n')
					r->line++;
				if (buf_addc(&f, *r->p++)) {
					rc = seed_fail(s, *line, err, "field longer than %d bytes",
						       SEED_FIELD_MAX);
					goto out;
				}
			}
		}
		while (r->p < r->end && *r->p != ',' && *r->p != '\n' && *r->p != '\r') {
			if (quoted || buf_addc(&f, *r->p)) {
				rc = seed_fail(s, r->line, err, "%s",
					       quoted ? "text after a closing quote"
						      : "field too long");
				goto out;
			}
			r->p++;
		}
		str = json_stringn(f.ptr, f.len);
		if (!str || json_array_size(*row) >= SEED_COLUMNS_MAX) {
			json_decref(str);
			rc = seed_fail(s, r->line, err, "not UTF-8, or more than %d columns",
				       SEED_COLUMNS_MAX);
			goto out;
		}
		json_array_append_new(*row, str);
		if (r->p < r->end && *r->p == ',') {
			r->p++;
			continue;
		}
		if (r->p < r->end && *r->p == '\r')
			r->p++;
		if (r->p < r->end && *r->p == '\n')
			r->p++;
		r->line++;
		break;
	}
out:
	buf_release(&f);
	if (rc) {
		json_decref(*row);
		*row = NULL;
	}
	return rc;
}

/* Opens a CSV file and maps the wanted column names to their index. */
static int seed_csv_open(struct seed *s, size_t i, const char *const *cols, int *idx,
			 struct seed_csv *r, struct lk_err *err)
{
	json_t *head = NULL;
	long line = 0;
	int rc;

	snprintf(s->path, sizeof(s->path), "%s/%s", s->dir, seed_files[i]);
	r->p = s->data[i].ptr;
	r->end = s->data[i].ptr + s->data[i].len;
	r->line = 1;
	if (r->end - r->p >= 3 && !memcmp(r->p, "\xef\xbb\xbf", 3))
		r->p += 3; /* a byte-order mark */
	rc = seed_csv_next(s, r, &head, &line, err);
	if (rc)
		return rc;
	for (size_t k = 0; cols[k]; k++) {
		json_t *v;
		size_t j;

		idx[k] = -1;
		json_array_foreach(head, j, v) {
			if (!strcmp(json_string_value(v), cols[k]))
				idx[k] = (int)j;
		}
		if (idx[k] < 0) {
			json_decref(head);
			return seed_fail(s, 1, err, "no column '%s'", cols[k]);
		}
	}
	json_decref(head);
	return 0;
}

static const char *seed_col(const json_t *row, const int *idx, int k)
{
	const char *v = json_string_value(json_array_get(row, (size_t)idx[k]));

	return v ? v : "";
}

static bool seed_row_blank(const json_t *row)
{
	return json_array_size(row) == 1 && !*json_string_value(json_array_get(row, 0));
}

static bool seed_coord(const char *s, double min, double max, double *out)
{
	char *end;

	errno = 0;
	*out = strtod(s, &end);
	return *s && !errno && !*end && *out >= min && *out <= max;
}

enum { A_PC, A_NUM, A_LETTER, A_ADD, A_STREET, A_CITY, A_LAT, A_LON, A_N };

static int seed_addresses(struct seed *s, struct lk_err *err)
{
	static const char *const cols[] = {"postcode", "huisnummer", "huisletter",
					   "huisnummertoevoeging", "straatnaam", "woonplaatsnaam",
					   "lat", "lon", NULL};
	struct seed_csv r;
	int idx[A_N];
	json_t *row = NULL;
	long line = 0;
	int rc;

	rc = seed_csv_open(s, 4, cols, idx, &r, err);
	while (!rc && !(rc = seed_csv_next(s, &r, &row, &line, err)) && row) {
		char postcode[7], key[96], addr[512], skey[256], ckey[256];
		const char *letter = seed_col(row, idx, A_LETTER), *add = seed_col(row, idx, A_ADD);
		const char *street = seed_col(row, idx, A_STREET);
		const char *city = seed_col(row, idx, A_CITY);
		double lat = 0, lon = 0;
		char *end;
		long num;

		if (seed_row_blank(row)) {
			json_decref(row);
			continue;
		}
		errno = 0;
		num = strtol(seed_col(row, idx, A_NUM), &end, 10);
		if (!integ_postcode_norm(seed_col(row, idx, A_PC), postcode))
			rc = seed_fail(s, line, err, "'postcode' is not a Dutch postcode");
		else if (errno || *end || num < 1 || num > 99999)
			rc = seed_fail(s, line, err, "'huisnummer' is not 1..99999");
		else if (strlen(letter) > 1 || (*letter && !isalpha((unsigned char)*letter)) ||
			 strlen(add) > 4)
			rc = seed_fail(s, line, err, "bad 'huisletter' or 'huisnummertoevoeging'");
		else if (!*street || strlen(street) > 120 || !*city || strlen(city) > 120)
			rc = seed_fail(s, line, err, "'straatnaam' and 'woonplaatsnaam' needed");
		else if (!seed_coord(seed_col(row, idx, A_LAT), -90, 90, &lat) ||
			 !seed_coord(seed_col(row, idx, A_LON), -180, 180, &lon))
			rc = seed_fail(s, line, err, "'lat' and 'lon' must be WGS84 degrees");
		if (rc) {
			json_decref(row);
			break;
		}
		integ_address_key(postcode, num, letter, add, key, sizeof(key));
		snprintf(addr, sizeof(addr), "%s %ld%s%s%s, %.4s %s %s", street, num, letter,
			 *add ? "-" : "", add, postcode, postcode + 4, city);
		integ_geo_key(street, skey, sizeof(skey));
		integ_geo_key(city, ckey, sizeof(ckey));
		seed_add(s, INTEG_KIND_ADDRESS, key,
			 json_pack("{s:s, s:s, s:s, s:i, s:s, s:s, s:s, s:s, s:s, s:f, s:f}",
				   "address", addr, "street", street, "postcode", postcode,
				   "number", (int)num, "letter", letter, "addition", add, "city",
				   city, "street_key", skey, "city_key", ckey, "lat", lat, "lon",
				   lon));
		json_decref(row);
	}
	return rc;
}

enum { Z_REF, Z_TITLE, Z_TITLE_EN, Z_STATUS, Z_STATUS_EN, Z_DATE, Z_NEXT, Z_NEXT_EN, Z_N };

static int seed_cases(struct seed *s, struct lk_err *err)
{
	static const char *const cols[] = {"zaaknummer", "titel", "titel_en", "status",
					   "status_en", "datum", "volgende_stap",
					   "volgende_stap_en", NULL};
	struct seed_csv r;
	int idx[Z_N];
	json_t *row = NULL;
	long line = 0;
	int rc;

	rc = seed_csv_open(s, 5, cols, idx, &r, err);
	while (!rc && !(rc = seed_csv_next(s, &r, &row, &line, err)) && row) {
		char ref[STORE_REF_MAX];
		int64_t day;

		if (seed_row_blank(row)) {
			json_decref(row);
			continue;
		}
		if (!integ_ref_norm(seed_col(row, idx, Z_REF), ref))
			rc = seed_fail(s, line, err, "'zaaknummer' must be 3..23 of A-Z, 0-9, '-'");
		else if (!*seed_col(row, idx, Z_TITLE) || !*seed_col(row, idx, Z_STATUS))
			rc = seed_fail(s, line, err, "'titel' and 'status' are needed");
		else if (!lk_day_parse(seed_col(row, idx, Z_DATE), &day))
			rc = seed_fail(s, line, err, "'datum' is not YYYY-MM-DD");
		if (rc) {
			json_decref(row);
			break;
		}
		seed_add(s, INTEG_KIND_CASE, ref,
			 json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "nl",
				   seed_col(row, idx, Z_TITLE), "en",
				   seed_col(row, idx, Z_TITLE_EN), "status_nl",
				   seed_col(row, idx, Z_STATUS), "status_en",
				   seed_col(row, idx, Z_STATUS_EN), "date",
				   seed_col(row, idx, Z_DATE), "next_nl",
				   seed_col(row, idx, Z_NEXT), "next_en",
				   seed_col(row, idx, Z_NEXT_EN)));
		json_decref(row);
	}
	return rc;
}

int integ_seed(struct store *st, const char *bot, const char *data_dir, struct lk_err *err)
{
	struct seed s;
	char version[65];
	int rc = 0;

	if (!st || !bot || !*bot || !data_dir)
		return lk_err_set(err, LK_EINVAL, "seeding needs a store, a bot and a folder");
	memset(&s, 0, sizeof(s));
	s.dir = data_dir;
	for (size_t i = 0; i < SEED_NFILES && !rc; i++)
		rc = seed_read(&s, i, err);
	if (!rc && s.have[0])
		rc = seed_appointments(&s, err);
	if (!rc && s.have[1])
		rc = seed_permits(&s, err);
	if (!rc && s.have[2])
		rc = seed_categories(&s, err);
	if (!rc && s.have[4])
		rc = seed_addresses(&s, err);
	if (!rc && s.have[5])
		rc = seed_cases(&s, err);
	if (!rc) {
		seed_version(&s, version);
		rc = store_idata_seed(st, bot, version, s.items.v, s.items.n, NULL, err);
	}
	for (size_t i = 0; i < SEED_NFILES; i++)
		buf_release(&s.data[i]);
	store_idatas_release(&s.items);
	return rc;
}
