/* integ_util.c - helpers the built-in backends share (see integ_int.h):
 * refusals with a reason word, argument getters that bound and check every
 * value, random references, local calendar arithmetic and reference data.
 */
#include "integrations/integ_int.h"

#include "core/clock.h"
#include "core/mem.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>
#include <utf8proc.h>

/* --- refusals --- */

int integ_refuse(struct lk_err *err, const char *reason, const char *fmt, ...)
{
	va_list ap;

	if (err) {
		err->code = LK_EINVAL;
		err->reason = reason;
		va_start(ap, fmt);
		vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
		va_end(ap);
	}
	return LK_EINVAL;
}

int integ_not_found(struct lk_err *err, const char *fmt, ...)
{
	va_list ap;

	if (err) {
		err->code = LK_ENOTFOUND;
		err->reason = "not_found";
		va_start(ap, fmt);
		vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
		va_end(ap);
	}
	return LK_ENOTFOUND;
}

/* --- arguments --- */

static json_t *integ_arg(json_t *args, const char *key)
{
	json_t *v = json_object_get(args, key);

	return json_is_null(v) ? NULL : v;
}

static int integ_space(int ch)
{
	return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' || ch == '\v' || ch == '\f';
}

/* s[0..len) without leading and trailing ASCII whitespace. */
static const char *integ_trim(const char *s, size_t *len)
{
	while (*len && integ_space((unsigned char)*s)) {
		s++;
		(*len)--;
	}
	while (*len && integ_space((unsigned char)s[*len - 1]))
		(*len)--;
	return s;
}

/* Control characters (C0, DEL, C1) other than tab and newline when multiline. */
static bool integ_has_controls(const char *s, size_t len, bool multiline)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (multiline && (ch == '\n' || ch == '\t' || ch == '\r'))
			continue;
		if (ch < 0x20 || ch == 0x7f)
			return true;
		/* U+0080..U+009F are C2 80..C2 9F in UTF-8. */
		if (ch == 0xc2 && i + 1 < len && (unsigned char)s[i + 1] < 0xa0)
			return true;
	}
	return false;
}

int integ_arg_word(json_t *args, const char *key, bool required, char *out, size_t size,
		   bool *present, struct lk_err *err)
{
	json_t *v = integ_arg(args, key);
	const char *s;
	size_t len;

	out[0] = '\0';
	if (present)
		*present = false;
	if (!v) {
		if (required)
			return integ_refuse(err, "invalid", "'%s' is missing", key);
		return 0;
	}
	if (json_is_integer(v)) {
		snprintf(out, size, "%lld", (long long)json_integer_value(v));
		if (present)
			*present = true;
		return 0;
	}
	if (!json_is_string(v))
		return integ_refuse(err, "invalid", "'%s' is not a string", key);
	len = json_string_length(v);
	s = integ_trim(json_string_value(v), &len);
	if (len >= size || memchr(s, '\0', len) || integ_has_controls(s, len, false))
		return integ_refuse(err, "invalid", "'%s' is too long or holds control characters",
				    key);
	if (!len) {
		if (required)
			return integ_refuse(err, "invalid", "'%s' is empty", key);
		return 0;
	}
	memcpy(out, s, len);
	out[len] = '\0';
	if (integ_utf8_chars(out) == SIZE_MAX) {
		out[0] = '\0';
		return integ_refuse(err, "invalid", "'%s' is not UTF-8", key);
	}
	if (present)
		*present = true;
	return 0;
}

int integ_arg_text(json_t *args, const char *key, bool required, size_t min_chars,
		   size_t max_chars, bool multiline, char **out, struct lk_err *err)
{
	json_t *v = integ_arg(args, key);
	const char *s;
	size_t len, chars;
	char *copy;

	*out = NULL;
	if (!v) {
		if (required)
			return integ_refuse(err, "invalid", "'%s' is missing", key);
		return 0;
	}
	if (!json_is_string(v))
		return integ_refuse(err, "invalid", "'%s' is not a string", key);
	len = json_string_length(v);
	/* A UTF-8 character is at most 4 bytes: longer input cannot fit. */
	if (len > max_chars * 4 + 64)
		return integ_refuse(err, "invalid", "'%s' is longer than %zu characters", key,
				    max_chars);
	s = integ_trim(json_string_value(v), &len);
	if (!len && !required)
		return 0;
	if (memchr(s, '\0', len) || integ_has_controls(s, len, multiline))
		return integ_refuse(err, "invalid", "'%s' holds control characters", key);
	copy = xstrndup(s, len);
	chars = integ_utf8_chars(copy);
	if (chars < min_chars || chars > max_chars) {
		free(copy);
		return integ_refuse(err, "invalid", "'%s' must be %zu to %zu characters", key,
				    min_chars, max_chars);
	}
	*out = copy;
	return 0;
}

int integ_arg_int(json_t *args, const char *key, bool required, int64_t min, int64_t max,
		  int64_t *out, bool *present, struct lk_err *err)
{
	json_t *v = integ_arg(args, key);
	long long n;

	*out = 0;
	if (present)
		*present = false;
	if (!v) {
		if (required)
			return integ_refuse(err, "invalid", "'%s' is missing", key);
		return 0;
	}
	if (json_is_integer(v)) {
		n = json_integer_value(v);
	} else if (json_is_string(v)) {
		size_t len = json_string_length(v);
		const char *s = integ_trim(json_string_value(v), &len);

		if (!len || len > 18)
			return integ_refuse(err, "invalid", "'%s' is not a whole number", key);
		n = 0;
		for (size_t i = 0; i < len; i++) {
			if (!isdigit((unsigned char)s[i]))
				return integ_refuse(err, "invalid", "'%s' is not a whole number",
						    key);
			n = n * 10 + (s[i] - '0');
		}
	} else {
		return integ_refuse(err, "invalid", "'%s' is not a whole number", key);
	}
	if (n < min || n > max)
		return integ_refuse(err, "invalid", "'%s' must be %lld to %lld", key,
				    (long long)min, (long long)max);
	*out = n;
	if (present)
		*present = true;
	return 0;
}

int integ_arg_real(json_t *args, const char *key, double min, double max, double *out,
		   struct lk_err *err)
{
	json_t *v = integ_arg(args, key);
	double d;

	*out = 0;
	if (!v)
		return integ_refuse(err, "invalid", "'%s' is missing", key);
	if (json_is_number(v)) {
		d = json_number_value(v);
	} else if (json_is_string(v) && json_string_length(v) > 0 && json_string_length(v) < 40) {
		char buf[40], *end;

		snprintf(buf, sizeof(buf), "%s", json_string_value(v));
		errno = 0;
		d = strtod(buf, &end);
		if (errno || end == buf || *end)
			return integ_refuse(err, "invalid", "'%s' is not a number", key);
	} else {
		return integ_refuse(err, "invalid", "'%s' is not a number", key);
	}
	if (!isfinite(d) || d < min || d > max)
		return integ_refuse(err, "invalid", "'%s' must be %g to %g", key, min, max);
	*out = d;
	return 0;
}

int integ_arg_bool(json_t *args, const char *key, bool *out, struct lk_err *err)
{
	static const char *const yes[] = {"ja", "yes", "true", "1", "j", "y"};
	static const char *const no[] = {"nee", "no", "false", "0", "n"};
	json_t *v = integ_arg(args, key);
	const char *s;

	*out = false;
	if (!v)
		return 0;
	if (json_is_boolean(v)) {
		*out = json_is_true(v);
		return 0;
	}
	if (json_is_string(v)) {
		s = json_string_value(v);
		for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
			if (!strcasecmp(s, yes[i])) {
				*out = true;
				return 0;
			}
		}
		for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
			if (!strcasecmp(s, no[i]))
				return 0;
		}
	}
	return integ_refuse(err, "invalid", "'%s' is not yes or no", key);
}

/* --- formats --- */

size_t integ_utf8_chars(const char *s)
{
	size_t len = strlen(s), n = 0, i = 0;

	while (i < len) {
		utf8proc_int32_t cp;
		utf8proc_ssize_t k = utf8proc_iterate((const utf8proc_uint8_t *)s + i,
						      (utf8proc_ssize_t)(len - i), &cp);

		if (k <= 0)
			return SIZE_MAX;
		i += (size_t)k;
		n++;
	}
	return n;
}

bool integ_email_ok(const char *s)
{
	size_t len = strlen(s);
	const char *at = strchr(s, '@'), *dot;

	if (len < 5 || len > INTEG_EMAIL_MAX || !at || at == s || strchr(at + 1, '@'))
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch <= 0x20 || ch == 0x7f || ch == ',' || ch == ';' || ch == '<' || ch == '>')
			return false;
	}
	dot = strrchr(at + 1, '.');
	/* A dot after the "@" with something on both sides of it. */
	return dot && dot > at + 1 && dot[1] != '\0';
}

bool integ_postcode_norm(const char *in, char out[7])
{
	char buf[8];
	size_t n = 0;

	for (const char *p = in; *p; p++) {
		if (*p == ' ')
			continue;
		if (n == 6)
			return false;
		buf[n++] = (char)toupper((unsigned char)*p);
	}
	if (n != 6 || buf[0] < '1' || buf[0] > '9')
		return false;
	for (int i = 1; i < 4; i++) {
		if (!isdigit((unsigned char)buf[i]))
			return false;
	}
	if (buf[4] < 'A' || buf[4] > 'Z' || buf[5] < 'A' || buf[5] > 'Z')
		return false;
	if (buf[4] == 'S' && (buf[5] == 'A' || buf[5] == 'D' || buf[5] == 'S'))
		return false;
	memcpy(out, buf, 6);
	out[6] = '\0';
	return true;
}

void integ_address_key(const char *postcode, int64_t number, const char *letter,
		       const char *addition, char *out, size_t size)
{
	char l[8] = "", a[16] = "";

	snprintf(l, sizeof(l), "%s", letter ? letter : "");
	snprintf(a, sizeof(a), "%s", addition ? addition : "");
	for (char *p = l; *p; p++)
		*p = (char)toupper((unsigned char)*p);
	for (char *p = a; *p; p++)
		*p = (char)toupper((unsigned char)*p);
	snprintf(out, size, "%s|%lld|%s|%s", postcode, (long long)number, l, a);
}

/* --- references --- */

/* No 0/O, 1/I/L, 2/Z, 5/S, 8/B: nothing to mix up when read aloud or typed. */
static const char integ_alphabet[] = "ACDEFGHJKMNPQRTUVWXY34679";

static void integ_random(void *buf, size_t len)
{
	unsigned char *p = buf;
	size_t got = 0;
	int fd;

	while (got < len) {
		ssize_t n = getrandom(p + got, len - got, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	if (got == len)
		return;
	fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
	while (fd >= 0 && got < len) {
		ssize_t n = read(fd, p + got, len - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	if (fd >= 0)
		close(fd);
	if (got < len) {
		/* As with running out of memory: nothing sensible is left to do. */
		fprintf(stderr, "loket: no random numbers from the kernel\n");
		abort();
	}
}

void integ_ref_new(const char *prefix, char out[STORE_REF_MAX])
{
	const size_t n = sizeof(integ_alphabet) - 1; /* 25 */
	char code[7];
	size_t i = 0;

	while (i < 6) {
		unsigned char bytes[16];

		integ_random(bytes, sizeof(bytes));
		for (size_t k = 0; k < sizeof(bytes) && i < 6; k++) {
			/* Reject 250..255 so every symbol is equally likely. */
			if (bytes[k] < 250)
				code[i++] = integ_alphabet[bytes[k] % n];
		}
	}
	code[6] = '\0';
	snprintf(out, STORE_REF_MAX, "%s-%s", prefix, code);
}

bool integ_ref_norm(const char *in, char out[STORE_REF_MAX])
{
	size_t len = strlen(in);
	const char *s = integ_trim(in, &len);

	if (len < 3 || len >= STORE_REF_MAX)
		return false;
	for (size_t i = 0; i < len; i++) {
		char ch = (char)toupper((unsigned char)s[i]);

		if (!(ch >= 'A' && ch <= 'Z') && !isdigit((unsigned char)ch) && ch != '-')
			return false;
		out[i] = ch;
	}
	out[len] = '\0';
	return true;
}

void integ_random_hex(char out[STORE_ATTACHMENT_ID_LEN + 1])
{
	unsigned char bytes[STORE_ATTACHMENT_ID_LEN / 2];

	integ_random(bytes, sizeof(bytes));
	for (size_t i = 0; i < sizeof(bytes); i++)
		snprintf(out + 2 * i, 3, "%02x", bytes[i]);
}

/* --- dates and times --- */

int64_t integ_today(const struct integ_ctx *c)
{
	return lk_floor_div(c->now + c->utc_offset_s, 86400);
}

int integ_minute_now(const struct integ_ctx *c)
{
	int64_t local = c->now + c->utc_offset_s;

	return (int)((local - lk_floor_div(local, 86400) * 86400) / 60);
}

void integ_day_format(int64_t day, char out[11])
{
	int64_t y;
	int m, d;

	lk_civil_from_days(day, &y, &m, &d);
	snprintf(out, 11, "%04u-%02u-%02u", (unsigned)((y % 10000 + 10000) % 10000),
		 (unsigned)m % 100u, (unsigned)d % 100u);
}

int integ_weekday(int64_t day)
{
	/* 1970-01-01 was a Thursday (3 when Monday is 0). */
	return (int)((day % 7 + 7 + 3) % 7);
}

bool integ_hhmm_parse(const char *s, int *min)
{
	int h = 0, m = 0, i = 0;

	if (!isdigit((unsigned char)s[i]))
		return false;
	h = s[i++] - '0';
	if (isdigit((unsigned char)s[i]))
		h = h * 10 + (s[i++] - '0');
	if (s[i] != ':' && s[i] != '.')
		return false;
	i++;
	if (!isdigit((unsigned char)s[i]) || !isdigit((unsigned char)s[i + 1]) || s[i + 2])
		return false;
	m = (s[i] - '0') * 10 + (s[i + 1] - '0');
	if (h > 23 || m > 59)
		return false;
	*min = h * 60 + m;
	return true;
}

void integ_hhmm_format(int min, char out[6])
{
	snprintf(out, 6, "%02u:%02u", (unsigned)(min / 60) % 100u, (unsigned)(min % 60) % 100u);
}

void integ_time_format(const struct integ_ctx *c, int64_t t, char out[32])
{
	int64_t local = t + c->utc_offset_s, day = lk_floor_div(local, 86400);
	int sec = (int)(local - day * 86400), off = c->utc_offset_s;
	char date[11];

	integ_day_format(day, date);
	snprintf(out, 32, "%sT%02u:%02u:%02u%c%02u:%02u", date, (unsigned)(sec / 3600) % 100u,
		 (unsigned)(sec / 60 % 60) % 100u, (unsigned)(sec % 60) % 100u, off < 0 ? '-' : '+',
		 (unsigned)(abs(off) / 3600) % 100u, (unsigned)(abs(off) / 60 % 60) % 100u);
}

/* --- labels and reference data --- */

bool integ_lang_en(const struct integ_ctx *c)
{
	return c->lang && !strcmp(c->lang, "en");
}

const char *integ_str(const json_t *obj, const char *key)
{
	const char *s = json_string_value(json_object_get(obj, key));

	return s ? s : "";
}

const char *integ_label(const struct integ_ctx *c, const json_t *obj)
{
	const char *s = NULL;

	if (integ_lang_en(c))
		s = json_string_value(json_object_get(obj, "en"));
	if (!s)
		s = json_string_value(json_object_get(obj, "nl"));
	if (!s)
		s = json_string_value(json_object_get(obj, "id"));
	return s ? s : "";
}

int integ_data_get(const struct integ_ctx *c, const char *kind, const char *key, json_t **out,
		   struct lk_err *err)
{
	char *text = NULL;
	int rc;

	*out = NULL;
	rc = store_idata_get(c->st, c->bot, kind, key, &text, err);
	if (rc)
		return rc;
	*out = json_loads(text, 0, NULL);
	free(text);
	if (!json_is_object(*out)) {
		json_decref(*out);
		*out = NULL;
		return lk_err_set(err, LK_EDB, "stored %s '%s' is not a JSON object", kind, key);
	}
	return 0;
}

int integ_data_list(const struct integ_ctx *c, const char *kind, json_t **out,
		    struct lk_err *err)
{
	struct store_idatas l;
	int rc;

	*out = NULL;
	rc = store_idata_list(c->st, c->bot, kind, &l, err);
	if (rc)
		return rc;
	*out = json_array();
	for (size_t i = 0; i < l.n; i++) {
		json_t *v = json_loads(l.v[i].value, 0, NULL);

		/* A row this code did not write is skipped. */
		if (json_is_object(v))
			json_array_append_new(*out, v);
		else
			json_decref(v);
	}
	store_idatas_release(&l);
	return 0;
}

int integ_options(const struct integ_ctx *c, const char *kind, json_t **out, struct lk_err *err)
{
	json_t *all, *opts, *v;
	size_t i;
	int rc;

	rc = integ_data_list(c, kind, &all, err);
	if (rc)
		return rc;
	opts = json_array();
	json_array_foreach(all, i, v) {
		const char *id = json_string_value(json_object_get(v, "id"));

		if (id)
			json_array_append_new(opts, json_pack("{s:s, s:s}", "value", id, "label",
							      integ_label(c, v)));
	}
	json_decref(all);
	*out = json_pack("{s:o}", "options", opts);
	return 0;
}
