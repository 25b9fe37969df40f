/* convtest.c - conversation scripts: loading and checking a script, the
 * payload of a step, the expectations of a turn, and the runner behind
 * `loket test` (see convtest.h; the format is in tests/conversations/README.md).
 */
#include "dialog/convtest.h"

#include "core/clock.h"
#include "core/mem.h"
#include "core/yaml_json.h"
#include "dialog/dialog.h"

#include <ctype.h>
#include <errno.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define SAID_MAX 600   /* bytes of "bot said" in a failure line */
#define NAME_MAX_LEN 32 /* bytes of a capture name */
#define PRESS_MAX 99   /* highest button number */

static const char *const script_keys[] = {
	"name", "lang", "now", "steps",
	"steps.user", "steps.press", "steps.action", "steps.restart",
	"steps.capture", "steps.capture.*",
	"steps.expect", "steps.expect.kind", "steps.expect.kinds", "steps.expect.flow",
	"steps.expect.step", "steps.expect.phase", "steps.expect.slots", "steps.expect.slots.*",
	"steps.expect.says", "steps.expect.not_says", "steps.expect.buttons",
	"steps.expect.sources", "steps.expect.error",
	NULL,
};

/* ------------------------------------------------------------------ */
/* small helpers                                                       */

static long line_of(const json_t *obj)
{
	return (long)json_integer_value(json_object_get(obj, YAML_JSON_LINE_KEY));
}

static int is_none(const char *s)
{
	return s && (!strcmp(s, "null") || !strcmp(s, "~") || !strcmp(s, "none") || !*s);
}

/* "3": a button number; anything else is a label. */
static int all_digits(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s))
			return 0;
	return 1;
}

static int is_name(const char *s, size_t n)
{
	if (!n || n > NAME_MAX_LEN || !(islower((unsigned char)s[0]) || s[0] == '_'))
		return 0;
	for (size_t i = 1; i < n; i++)
		if (!(islower((unsigned char)s[i]) || isdigit((unsigned char)s[i]) || s[i] == '_'))
			return 0;
	return 1;
}

/* A string, or each string of a list, as a new array; NULL when v is
 * neither. */
static json_t *string_list(const json_t *v)
{
	json_t *out, *x;
	size_t i;

	if (json_is_string(v))
		return json_pack("[O]", v);
	if (!json_is_array(v))
		return NULL;
	out = json_array();
	json_array_foreach(v, i, x) {
		if (!json_is_string(x)) {
			json_decref(out);
			return NULL;
		}
		json_array_append(out, x);
	}
	return out;
}

/* Case-insensitive (ASCII) substring test. */
static int contains(const char *hay, const char *needle)
{
	return strcasestr(hay, needle) != NULL;
}

/* Every text of msgs, joined with sep. */
static void texts_of(const json_t *msgs, const char *sep, struct buf *out)
{
	size_t i;
	json_t *m;

	json_array_foreach(msgs, i, m) {
		if (i)
			buf_adds(out, sep);
		buf_adds(out, json_string_value(json_object_get(m, "text")) ?: "");
	}
}

/* ------------------------------------------------------------------ */
/* loading                                                             */

static int check_list(const char *path, const json_t *parent, const char *key, struct lk_err *err)
{
	const json_t *v = json_object_get(parent, key);
	json_t *l;

	if (!v)
		return 0;
	l = string_list(v);
	if (!l)
		return lk_err_set(err, LK_ECONFIG, "%s:%ld: '%s' must be a text or a list of texts",
				  path, line_of(parent), key);
	json_decref(l);
	return 0;
}

static int check_text(const char *path, const json_t *parent, const char *key, struct lk_err *err)
{
	const json_t *v = json_object_get(parent, key);

	if (v && !json_is_string(v))
		return lk_err_set(err, LK_ECONFIG, "%s:%ld: '%s' must be a text", path,
				  line_of(parent), key);
	return 0;
}

static int check_bool(const char *path, const json_t *parent, const char *key, struct lk_err *err)
{
	const char *s = json_string_value(json_object_get(parent, key));

	if (json_object_get(parent, key) &&
	    (!s || (strcmp(s, "true") && strcmp(s, "false"))))
		return lk_err_set(err, LK_ECONFIG, "%s:%ld: '%s' must be true or false", path,
				  line_of(parent), key);
	return 0;
}

static int check_expect(const char *path, long line, const json_t *ex, int restart,
			struct lk_err *err)
{
	static const char *const texts[] = {"kind", "flow", "step", "phase", "error", NULL};
	static const char *const lists[] = {"kinds", "says", "not_says", "buttons", NULL};
	const json_t *slots = json_object_get(ex, "slots"), *v;
	const char *k;
	int rc;

	if (!json_is_object(ex))
		return lk_err_set(err, LK_ECONFIG, "%s:%ld: 'expect' must be a mapping", path, line);
	for (const char *const *t = texts; *t; t++)
		if ((rc = check_text(path, ex, *t, err)))
			return rc;
	for (const char *const *t = lists; *t; t++)
		if ((rc = check_list(path, ex, *t, err)))
			return rc;
	if ((rc = check_bool(path, ex, "sources", err)))
		return rc;
	if (slots && !json_is_object(slots))
		return lk_err_set(err, LK_ECONFIG, "%s:%ld: 'slots' must be a mapping of slot: value",
				  path, line_of(ex));
	json_object_foreach((json_t *)slots, k, v)
		if (strcmp(k, YAML_JSON_LINE_KEY) && !json_is_string(v))
			return lk_err_set(err, LK_ECONFIG, "%s:%ld: slot '%s' must be a text", path,
					  line_of(slots), k);
	if (restart) {
		static const char *const msg_keys[] = {"kind", "kinds", "says", "not_says", "buttons",
						       "sources", "error", NULL};

		for (const char *const *t = msg_keys; *t; t++)
			if (json_object_get(ex, *t))
				return lk_err_set(err, LK_ECONFIG,
						  "%s:%ld: a restart has no bot messages: '%s' cannot be checked",
						  path, line_of(ex), *t);
	}
	return 0;
}

static int check_capture(const char *path, long line, const json_t *cap, struct lk_err *err)
{
	const char *k;
	json_t *v;

	if (!json_is_object(cap))
		return lk_err_set(err, LK_ECONFIG, "%s:%ld: 'capture' must be a mapping of name: pattern",
				  path, line);
	json_object_foreach((json_t *)cap, k, v) {
		regex_t re;
		int rc;

		if (!strcmp(k, YAML_JSON_LINE_KEY))
			continue;
		if (!is_name(k, strlen(k)))
			return lk_err_set(err, LK_ECONFIG,
					  "%s:%ld: capture name '%s' must be lower case letters, digits or _",
					  path, line_of(cap), k);
		if (!json_is_string(v))
			return lk_err_set(err, LK_ECONFIG, "%s:%ld: capture '%s' must be a pattern", path,
					  line_of(cap), k);
		rc = regcomp(&re, json_string_value(v), REG_EXTENDED);
		if (rc) {
			char why[128];

			regerror(rc, &re, why, sizeof(why));
			return lk_err_set(err, LK_ECONFIG, "%s:%ld: capture '%s': %s", path, line_of(cap),
					  k, why);
		}
		regfree(&re);
	}
	return 0;
}

static int check_step(const char *path, size_t i, const json_t *st, struct lk_err *err)
{
	static const char *const kinds[] = {"user", "press", "action", "restart", NULL};
	const char *kind = NULL;
	long line = line_of(st);
	int rc;

	if (!json_is_object(st))
		return lk_err_set(err, LK_ECONFIG, "%s: step %zu must be a mapping (user:, press:, action: or restart:)",
				  path, i + 1);
	for (const char *const *k = kinds; *k; k++) {
		if (!json_object_get(st, *k))
			continue;
		if (kind)
			return lk_err_set(err, LK_ECONFIG, "%s:%ld: a step has one of user, press, action, restart; not both '%s' and '%s'",
					  path, line, kind, *k);
		kind = *k;
		if (!json_is_string(json_object_get(st, *k)) || !*json_string_value(json_object_get(st, *k)))
			return lk_err_set(err, LK_ECONFIG, "%s:%ld: '%s' must be a non-empty text", path,
					  line, *k);
	}
	if (!kind)
		return lk_err_set(err, LK_ECONFIG, "%s:%ld: a step needs user:, press:, action: or restart:",
				  path, line);
	if (!strcmp(kind, "restart") && strcmp(json_string_value(json_object_get(st, kind)), "true"))
		return lk_err_set(err, LK_ECONFIG, "%s:%ld: write 'restart: true'", path, line);
	if (!strcmp(kind, "press")) {
		const char *p = json_string_value(json_object_get(st, kind));

		if (all_digits(p) && (strlen(p) > 2 || atoi(p) < 1))
			return lk_err_set(err, LK_ECONFIG, "%s:%ld: press: a button number from 1 to %d, or its label",
					  path, line, PRESS_MAX);
	}
	if (json_object_get(st, "expect") &&
	    (rc = check_expect(path, line, json_object_get(st, "expect"), !strcmp(kind, "restart"),
			       err)))
		return rc;
	if (json_object_get(st, "capture")) {
		if (!strcmp(kind, "restart"))
			return lk_err_set(err, LK_ECONFIG, "%s:%ld: a restart has no bot messages to capture from",
					  path, line);
		if ((rc = check_capture(path, line, json_object_get(st, "capture"), err)))
			return rc;
	}
	return 0;
}

int convtest_load(const char *path, json_t **out, struct lk_err *err)
{
	struct stat sb;
	json_t *s = NULL, *steps, *st;
	size_t i;
	int64_t t;
	int rc;

	*out = NULL;
	if (stat(path, &sb))
		return lk_err_set(err, LK_EIO, "%s: %s", path, strerror(errno));
	if (!S_ISREG(sb.st_mode) || sb.st_size > CONVTEST_MAX_FILE)
		return lk_err_set(err, LK_ETOOBIG, "%s: not a file of at most %d bytes", path,
				  CONVTEST_MAX_FILE);
	if ((rc = yaml_json_load_flags(path, script_keys, YAML_JSON_LINES, &s, err)))
		return rc;
	if (!json_is_string(json_object_get(s, "name")) || !*json_string_value(json_object_get(s, "name"))) {
		rc = lk_err_set(err, LK_ECONFIG, "%s: a script needs a name:", path);
		goto fail;
	}
	if ((rc = check_text(path, s, "lang", err)) || (rc = check_text(path, s, "now", err)))
		goto fail;
	if (json_object_get(s, "now") &&
	    (rc = convtest_parse_time(json_string_value(json_object_get(s, "now")), &t, err))) {
		char why[sizeof(err->msg)];

		snprintf(why, sizeof(why), "%s", err ? err->msg : "");
		rc = lk_err_set(err, LK_ECONFIG, "%s:%ld: now: %s", path, line_of(s), why);
		goto fail;
	}
	steps = json_object_get(s, "steps");
	if (!json_is_array(steps) || !json_array_size(steps)) {
		rc = lk_err_set(err, LK_ECONFIG, "%s: a script needs steps: (a list)", path);
		goto fail;
	}
	if (json_array_size(steps) > CONVTEST_MAX_STEPS) {
		rc = lk_err_set(err, LK_ETOOBIG, "%s: more than %d steps", path, CONVTEST_MAX_STEPS);
		goto fail;
	}
	json_array_foreach(steps, i, st)
		if ((rc = check_step(path, i, st, err)))
			goto fail;
	*out = s;
	return 0;
fail:
	json_decref(s);
	return rc;
}

int convtest_parse_time(const char *s, int64_t *out, struct lk_err *err)
{
	struct tm tm = {0};
	int y, mo, d, h = 9, mi = 0, sec = 0, n = 0, oh, om, local = 1;
	long off = 0;
	const char *p;
	time_t t;

	if (!s || sscanf(s, "%4d-%2d-%2d%n", &y, &mo, &d, &n) != 3 || n != 10)
		goto bad;
	p = s + n;
	if (*p == 'T' || *p == ' ') {
		int m = 0;

		if (sscanf(p + 1, "%2d:%2d%n", &h, &mi, &m) != 2 || m != 5)
			goto bad;
		p += 1 + m;
		if (*p == ':') {
			if (sscanf(p + 1, "%2d%n", &sec, &m) != 1 || m != 2)
				goto bad;
			p += 3;
		}
		if (*p == 'Z') {
			local = 0;
			p++;
		} else if (*p == '+' || *p == '-') {
			if (sscanf(p + 1, "%2d:%2d%n", &oh, &om, &m) != 2 || m != 5 || oh > 14 || om > 59)
				goto bad;
			off = (*p == '-' ? -1 : 1) * (oh * 3600L + om * 60L);
			local = 0;
			p += 1 + m;
		}
	}
	if (*p || y < 1970 || y > 2199 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 ||
	    sec > 60)
		goto bad;
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	t = timegm(&tm);
	gmtime_r(&t, &tm);
	if (tm.tm_mday != d) /* 31 February */
		goto bad;
	if (local)
		off = lk_amsterdam_offset((int64_t)t - 3600);
	*out = (int64_t)t - off;
	return 0;
bad:
	return lk_err_set(err, LK_EINVAL,
			  "'%.40s' is not a time like 2026-11-24T09:00:00+01:00", s ? s : "");
}

/* ------------------------------------------------------------------ */
/* one step                                                            */

int convtest_expand(const char *tmpl, const json_t *vars, struct buf *out, struct lk_err *err)
{
	while (tmpl && *tmpl) {
		const char *open = strchr(tmpl, '{'), *close;
		const char *v;
		char name[NAME_MAX_LEN + 1];
		size_t n;

		if (!open) {
			buf_adds(out, tmpl);
			break;
		}
		buf_add(out, tmpl, (size_t)(open - tmpl));
		close = strchr(open + 1, '}');
		n = close ? (size_t)(close - open - 1) : 0;
		if (!close || !is_name(open + 1, n)) {
			buf_addc(out, '{');
			tmpl = open + 1;
			continue;
		}
		memcpy(name, open + 1, n);
		name[n] = '\0';
		v = json_string_value(json_object_get(vars, name));
		if (!v)
			return lk_err_set(err, LK_ENOTFOUND, "{%s} was not captured by an earlier step",
					  name);
		buf_adds(out, v);
		tmpl = close + 1;
	}
	return 0;
}

/* The labels of one message's quick replies, for failure messages. */
static void labels_of_msg(const json_t *m, struct buf *out)
{
	size_t j;
	json_t *q;

	json_array_foreach(json_object_get(m, "quick_replies"), j, q) {
		if (out->len)
			buf_adds(out, " | ");
		buf_adds(out, json_string_value(json_object_get(q, "label")) ?: "");
	}
}

/* The labels of every quick reply in msgs. */
static void labels_of(const json_t *msgs, struct buf *out)
{
	size_t i;
	json_t *m;

	json_array_foreach(msgs, i, m)
		labels_of_msg(m, out);
}

int convtest_payload(const json_t *step, const json_t *prev, const json_t *vars,
		     struct buf *payload, struct lk_err *err)
{
	const char *press = json_string_value(json_object_get(step, "press"));
	size_t n = json_array_size(prev);
	json_t *last = n ? json_array_get(prev, n - 1) : NULL;
	struct buf label;
	int rc = 0;

	if (!press)
		return convtest_expand(json_string_value(json_object_get(step, "action")), vars,
				       payload, err);
	if (all_digits(press)) {
		size_t k = (size_t)strtol(press, NULL, 10);
		json_t *q = json_array_get(json_object_get(last, "quick_replies"), k - 1);

		if (!json_string_value(json_object_get(q, "payload")))
			return lk_err_set(err, LK_ENOTFOUND,
					  "press %zu: the last bot message has %zu button(s)", k,
					  json_array_size(json_object_get(last, "quick_replies")));
		buf_adds(payload, json_string_value(json_object_get(q, "payload")));
		return 0;
	}
	buf_init(&label, 4096);
	if ((rc = convtest_expand(press, vars, &label, err)))
		goto out;
	/* the last message first, then the ones before it */
	for (size_t i = n; i-- > 0;) {
		json_t *q;
		size_t j;

		json_array_foreach(json_object_get(json_array_get(prev, i), "quick_replies"), j, q) {
			const char *l = json_string_value(json_object_get(q, "label"));
			const char *p = json_string_value(json_object_get(q, "payload"));

			if (l && p && !strcasecmp(l, label.ptr)) {
				buf_adds(payload, p);
				goto out;
			}
		}
	}
	{
		struct buf all;

		buf_init(&all, 2048);
		labels_of(prev, &all);
		rc = lk_err_set(err, LK_ENOTFOUND, "press '%.100s': no such button (buttons: %.300s)",
				label.ptr, all.len ? all.ptr : "none");
		buf_release(&all);
	}
out:
	buf_release(&label);
	return rc;
}

static const char *flow_field(const json_t *flow, const char *key)
{
	return json_is_object(flow) ? json_string_value(json_object_get(flow, key)) : NULL;
}

/* A slot's value as text (slots are strings; numbers are printed). */
static void slot_text(const json_t *v, char *out, size_t size)
{
	if (json_is_string(v))
		snprintf(out, size, "%s", json_string_value(v));
	else if (json_is_integer(v))
		snprintf(out, size, "%lld", (long long)json_integer_value(v));
	else if (json_is_real(v))
		snprintf(out, size, "%g", json_real_value(v));
	else if (json_is_true(v) || json_is_false(v))
		snprintf(out, size, "%s", json_is_true(v) ? "true" : "false");
	else
		snprintf(out, size, "%s", v ? "(not a text)" : "");
}

static int check_flow(const json_t *ex, const json_t *flow, const json_t *vars, struct lk_err *err)
{
	static const char *const fields[] = {"step", "phase", NULL};
	const char *want = json_string_value(json_object_get(ex, "flow"));
	const char *got = flow_field(flow, "flow");
	const json_t *slots = json_object_get(ex, "slots"), *v;
	const char *k;

	if (want && is_none(want) && got)
		return lk_err_set(err, LK_EINVAL, "expected no active flow, got flow '%s' at step '%s'",
				  got, flow_field(flow, "step") ?: "?");
	if (want && !is_none(want) && (!got || strcmp(got, want)))
		return lk_err_set(err, LK_EINVAL, "expected flow '%s', got %s%s%s", want,
				  got ? "'" : "no active flow", got ?: "", got ? "'" : "");
	for (const char *const *f = fields; *f; f++) {
		const char *w = json_string_value(json_object_get(ex, *f)), *g;

		if (!w)
			continue;
		if (!got)
			return lk_err_set(err, LK_EINVAL, "expected flow %s '%s', but no flow is active",
					  *f, w);
		g = flow_field(flow, *f);
		if (!g || strcmp(g, w))
			return lk_err_set(err, LK_EINVAL, "expected flow %s '%s', got '%s'", *f, w,
					  g ?: "(none)");
	}
	json_object_foreach((json_t *)slots, k, v) {
		const json_t *have;
		char text[CONVTEST_VALUE_MAX];
		struct buf wv;
		int rc = 0;

		if (!strcmp(k, YAML_JSON_LINE_KEY))
			continue;
		if (!got)
			return lk_err_set(err, LK_EINVAL, "expected slot '%s', but no flow is active", k);
		have = json_object_get(json_object_get(flow, "slots"), k);
		if (!strcmp(json_string_value(v), "null") || !strcmp(json_string_value(v), "~")) {
			if (have && !json_is_null(have))
				return lk_err_set(err, LK_EINVAL, "expected slot '%s' to be empty, got '%.200s'",
						  k, json_string_value(have) ?: "(not a text)");
			continue;
		}
		buf_init(&wv, CONVTEST_VALUE_MAX * 4);
		if ((rc = convtest_expand(json_string_value(v), vars, &wv, err))) {
			buf_release(&wv);
			return rc;
		}
		slot_text(have, text, sizeof(text));
		if (!have || json_is_null(have))
			rc = lk_err_set(err, LK_EINVAL, "expected slot %s = '%.200s', but it is not filled",
					k, wv.ptr);
		else if (strcmp(text, wv.ptr))
			rc = lk_err_set(err, LK_EINVAL, "expected slot %s = '%.200s', got '%.200s'", k,
					wv.ptr, text);
		buf_release(&wv);
		if (rc)
			return rc;
	}
	return 0;
}

static int check_kinds(const json_t *ex, const json_t *msgs, struct lk_err *err)
{
	const char *kind = json_string_value(json_object_get(ex, "kind"));
	size_t n = json_array_size(msgs);
	json_t *kinds = string_list(json_object_get(ex, "kinds")), *k;
	struct buf got;
	size_t i, at = 0;
	int rc = 0;

	buf_init(&got, 2048);
	for (i = 0; i < n; i++) {
		if (i)
			buf_adds(&got, ", ");
		buf_adds(&got, json_string_value(json_object_get(json_array_get(msgs, i), "kind")) ?: "?");
	}
	if (kind) {
		const char *last = n ? json_string_value(json_object_get(json_array_get(msgs, n - 1), "kind")) : NULL;

		if (!last || strcmp(last, kind))
			rc = lk_err_set(err, LK_EINVAL, "expected a last message of kind '%s', got [%.200s]",
					kind, got.ptr);
	}
	json_array_foreach(kinds, i, k) {
		if (rc)
			break;
		while (at < n && strcmp(json_string_value(json_object_get(json_array_get(msgs, at), "kind")) ?: "",
					json_string_value(k)))
			at++;
		if (at == n) {
			struct buf want;
			size_t j;

			buf_init(&want, 2048);
			json_array_foreach(kinds, j, k)
				buf_addf(&want, "%s%s", j ? ", " : "", json_string_value(k));
			rc = lk_err_set(err, LK_EINVAL,
					"expected messages of kinds [%.200s] in this order, got [%.200s]",
					want.ptr, got.ptr);
			buf_release(&want);
			break;
		}
		at++;
	}
	json_decref(kinds);
	buf_release(&got);
	return rc;
}

static int check_texts(const json_t *ex, const json_t *msgs, const json_t *vars, struct lk_err *err)
{
	json_t *says = string_list(json_object_get(ex, "says"));
	json_t *not_says = string_list(json_object_get(ex, "not_says"));
	json_t *buttons = string_list(json_object_get(ex, "buttons"));
	const char *sources = json_string_value(json_object_get(ex, "sources"));
	struct buf all, want;
	json_t *x;
	size_t i;
	int rc = 0;

	buf_init(&all, 0);
	buf_init(&want, 8192);
	texts_of(msgs, "\n", &all);
	json_array_foreach(says, i, x) {
		buf_reset(&want);
		if ((rc = convtest_expand(json_string_value(x), vars, &want, err)))
			goto out;
		if (!contains(all.ptr, want.ptr)) {
			rc = lk_err_set(err, LK_EINVAL, "expected the bot to say '%.200s'", want.ptr);
			goto out;
		}
	}
	json_array_foreach(not_says, i, x) {
		buf_reset(&want);
		if ((rc = convtest_expand(json_string_value(x), vars, &want, err)))
			goto out;
		if (contains(all.ptr, want.ptr)) {
			rc = lk_err_set(err, LK_EINVAL, "expected the bot not to say '%.200s'", want.ptr);
			goto out;
		}
	}
	json_array_foreach(buttons, i, x) {
		size_t j, q;
		json_t *m, *b;
		int found = 0;

		buf_reset(&want);
		if ((rc = convtest_expand(json_string_value(x), vars, &want, err)))
			goto out;
		json_array_foreach(msgs, j, m)
			json_array_foreach(json_object_get(m, "quick_replies"), q, b)
				if (!strcasecmp(json_string_value(json_object_get(b, "label")) ?: "", want.ptr))
					found = 1;
		if (!found) {
			struct buf labels;

			buf_init(&labels, 2048);
			labels_of(msgs, &labels);
			rc = lk_err_set(err, LK_EINVAL, "expected a button '%.100s' (buttons: %.300s)",
					want.ptr, labels.len ? labels.ptr : "none");
			buf_release(&labels);
			goto out;
		}
	}
	if (sources) {
		size_t j, count = 0;
		json_t *m;

		json_array_foreach(msgs, j, m)
			count += json_array_size(json_object_get(m, "sources"));
		if (!strcmp(sources, "true") && !count)
			rc = lk_err_set(err, LK_EINVAL, "expected a source link, got none");
		else if (!strcmp(sources, "false") && count)
			rc = lk_err_set(err, LK_EINVAL, "expected no source links, got %zu", count);
	}
out:
	json_decref(says);
	json_decref(not_says);
	json_decref(buttons);
	buf_release(&all);
	buf_release(&want);
	return rc;
}

static int take_captures(const json_t *cap, const json_t *msgs, json_t *vars, struct lk_err *err)
{
	struct buf all;
	const char *k;
	json_t *v;
	int rc = 0;

	buf_init(&all, 0);
	texts_of(msgs, "\n", &all);
	json_object_foreach((json_t *)cap, k, v) {
		regmatch_t m[2];
		regex_t re;
		size_t at, len;

		if (!strcmp(k, YAML_JSON_LINE_KEY))
			continue;
		if (regcomp(&re, json_string_value(v), REG_EXTENDED)) {
			rc = lk_err_set(err, LK_EINVAL, "capture '%s': bad pattern", k);
			break;
		}
		if (regexec(&re, all.ptr, 2, m, 0)) {
			regfree(&re);
			rc = lk_err_set(err, LK_EINVAL, "capture '%s': the bot said nothing matching /%.100s/",
					k, json_string_value(v));
			break;
		}
		at = (size_t)(re.re_nsub >= 1 && m[1].rm_so >= 0 ? m[1].rm_so : m[0].rm_so);
		len = (size_t)(re.re_nsub >= 1 && m[1].rm_so >= 0 ? m[1].rm_eo : m[0].rm_eo) - at;
		regfree(&re);
		if (len >= CONVTEST_VALUE_MAX ||
		    (!json_object_get(vars, k) && json_object_size(vars) >= CONVTEST_MAX_VARS)) {
			rc = lk_err_set(err, LK_ETOOBIG, "capture '%s': too long, or too many captures", k);
			break;
		}
		json_object_set_new(vars, k, json_stringn(all.ptr + at, len));
	}
	buf_release(&all);
	return rc;
}

int convtest_check(const json_t *step, const json_t *msgs, const json_t *flow,
		   const char *error, json_t *vars, struct lk_err *err)
{
	const json_t *ex = json_object_get(step, "expect");
	const char *want_error = json_string_value(json_object_get(ex, "error"));
	int rc;

	if (json_is_null(flow))
		flow = NULL;
	if (want_error && !error)
		return lk_err_set(err, LK_EINVAL, "expected the engine to refuse with '%s', but it answered",
				  want_error);
	if (error && (!want_error || strcmp(error, want_error)))
		return lk_err_set(err, LK_EINVAL, "the engine refused the message: %s", error);
	if ((rc = check_kinds(ex, msgs, err)) || (rc = check_flow(ex, flow, vars, err)) ||
	    (rc = check_texts(ex, msgs, vars, err)))
		return rc;
	if (json_object_get(step, "capture"))
		return take_captures(json_object_get(step, "capture"), msgs, vars, err);
	return 0;
}

/* ------------------------------------------------------------------ */
/* running                                                             */

/* What the bot said this turn, on one line, bounded. */
static void said(const json_t *msgs, struct buf *out)
{
	struct buf all, labels;
	size_t n;

	buf_init(&all, 0);
	buf_init(&labels, 2048);
	texts_of(msgs, " / ", &all);
	if (json_array_size(msgs))
		labels_of_msg(json_array_get(msgs, json_array_size(msgs) - 1), &labels);
	for (char *p = all.ptr; *p; p++)
		if (*p == '\n' || *p == '\r' || *p == '\t')
			*p = ' ';
	n = all.len;
	if (n > SAID_MAX) {
		n = SAID_MAX;
		while (n && ((unsigned char)all.ptr[n] & 0xC0) == 0x80)
			n--;
	}
	buf_add(out, all.ptr, n);
	if (n < all.len)
		buf_adds(out, "...");
	if (!all.len)
		buf_adds(out, "(nothing)");
	if (labels.len)
		buf_addf(out, " [buttons: %s]", labels.ptr);
	buf_release(&all);
	buf_release(&labels);
}

/* With o->trace: what was sent, what the bot said and where the flow is. */
static void trace_turn(FILE *f, size_t n, const json_t *step, const char *sent,
		       const json_t *msgs, const json_t *flow)
{
	size_t i;
	json_t *m;
	char *fl = json_is_object(flow) ? json_dumps(flow, JSON_COMPACT) : NULL;

	if (json_object_get(step, "restart"))
		fprintf(f, "  %zu. (restart)\n", n);
	else
		fprintf(f, "  %zu. %s: %s\n", n, json_object_get(step, "user") ? "user" : "action",
			sent);
	json_array_foreach(msgs, i, m) {
		struct buf labels;

		buf_init(&labels, 2048);
		labels_of_msg(m, &labels);
		fprintf(f, "     %s: %s%s%s%s\n", json_string_value(json_object_get(m, "kind")) ?: "?",
			json_string_value(json_object_get(m, "text")) ?: "", labels.len ? " [" : "",
			labels.ptr, labels.len ? "]" : "");
		buf_release(&labels);
	}
	fprintf(f, "     flow: %s\n", fl ? fl : "null");
	free(fl);
}

/* One script's run: its database, its conversation, its captures. */
struct script_run {
	const struct convtest_opts *o;
	const char *db;
	struct conv_engine *engine;
	int open;
	char id[STORE_ID_LEN + 1];
	char token[128];
	json_t *prev;  /* the last turn's bot messages (for press) */
	json_t *vars;  /* captured values */
};

/* Sends a step's text or payload (written to text); the turn's bot
 * messages go to *msgs, a refusal's reason to refused. */
static int post_step(struct script_run *s, const json_t *step, struct buf *text, json_t **msgs,
		     char *refused, size_t refused_size, struct lk_err *err)
{
	const char *user = json_string_value(json_object_get(step, "user"));
	struct lk_err perr = {0};
	json_t *out = NULL;
	int rc;

	*msgs = NULL;
	refused[0] = '\0';
	if (user)
		rc = convtest_expand(user, s->vars, text, err);
	else
		rc = convtest_payload(step, s->prev, s->vars, text, err);
	if (rc)
		return rc;
	if (conv_post(s->engine, s->id, s->token, user ? text->ptr : NULL, user ? NULL : text->ptr,
		      &out, &perr)) {
		/* a refusal is a result the script may expect */
		snprintf(refused, refused_size, "%s", perr.reason ? perr.reason : lk_err_name(perr.code));
		if (!json_object_get(json_object_get(step, "expect"), "error"))
			return lk_err_set(err, LK_EINVAL, "the engine refused %s '%.100s': %s",
					  user ? "the text" : "the action", text->ptr, perr.msg);
		*msgs = json_array();
		return 0;
	}
	*msgs = json_incref(json_object_get(out, "messages"));
	if (!*msgs)
		*msgs = json_array();
	json_decref(out);
	return 0;
}

static int reopen(struct script_run *s, struct lk_err *err)
{
	int rc;

	if (s->open)
		s->o->rt.close(s->o->rt.ud);
	s->open = 0;
	s->engine = NULL;
	rc = s->o->rt.open(s->o->rt.ud, s->db, &s->engine, err);
	if (!rc)
		s->open = 1;
	return rc;
}

/* Runs the steps of a loaded script; on failure why holds the line. */
static int run_steps(struct script_run *s, const json_t *script, struct buf *why)
{
	const char *lang = json_string_value(json_object_get(script, "lang"));
	struct lk_err err = {0};
	json_t *out = NULL, *st;
	size_t i;
	int rc;

	if ((rc = reopen(s, &err))) {
		buf_addf(why, "could not open the bot: %s", err.msg);
		return rc;
	}
	if ((rc = conv_create(s->engine, lang, "test", &out, &err))) {
		buf_addf(why, "could not start a conversation: %s", err.msg);
		return rc;
	}
	snprintf(s->id, sizeof(s->id), "%s", json_string_value(json_object_get(out, "id")));
	snprintf(s->token, sizeof(s->token), "%s", json_string_value(json_object_get(out, "token")));
	s->prev = json_incref(json_object_get(out, "messages"));
	json_decref(out);
	json_array_foreach(json_object_get(script, "steps"), i, st) {
		json_t *msgs = NULL, *tr = NULL;
		char refused[64];
		struct buf text;

		memset(&err, 0, sizeof(err));
		buf_init(&text, CONV_TEXT_MAX * 2);
		if (json_object_get(st, "restart")) {
			rc = reopen(s, &err);
			msgs = json_array();
			refused[0] = '\0';
		} else {
			rc = post_step(s, st, &text, &msgs, refused, sizeof(refused), &err);
		}
		if (!rc)
			rc = conv_transcript(s->engine, s->id, s->token, &tr, &err);
		if (!rc && s->o->trace)
			trace_turn(s->o->out, i + 1, st, text.ptr, msgs, json_object_get(tr, "flow"));
		buf_release(&text);
		if (!rc)
			rc = convtest_check(st, msgs, json_object_get(tr, "flow"),
					    refused[0] ? refused : NULL, s->vars, &err);
		json_decref(tr);
		if (rc) {
			buf_addf(why, "step %zu (line %ld): %s", i + 1, line_of(st), err.msg);
			if (msgs && !json_object_get(st, "restart")) {
				buf_adds(why, "; bot said: ");
				said(msgs, why);
			}
			json_decref(msgs);
			return rc;
		}
		if (json_array_size(msgs)) {
			json_decref(s->prev);
			s->prev = msgs;
		} else {
			json_decref(msgs);
		}
	}
	return 0;
}

static void remove_db(const char *path)
{
	static const char *const ext[] = {"", "-wal", "-shm", "-journal", NULL};
	char p[4096];

	for (const char *const *e = ext; *e; e++) {
		snprintf(p, sizeof(p), "%s%s", path, *e);
		unlink(p);
	}
}

/* One script: 1 passed, 0 failed, negative when no database could be made. */
static int run_script(const struct convtest_opts *o, const char *file, struct lk_err *err)
{
	const char *dir = o->tmp_dir ? o->tmp_dir : getenv("TMPDIR");
	struct script_run s = {.o = o};
	struct lk_err lerr = {0};
	json_t *script = NULL;
	struct buf why, path, url;
	int64_t now = o->now;
	int fd, ok = 0;

	buf_init(&why, 0);
	buf_init(&path, 4096);
	buf_init(&url, 4200);
	if (convtest_load(file, &script, &lerr)) {
		buf_adds(&why, lerr.msg);
		goto report;
	}
	if (json_object_get(script, "now"))
		convtest_parse_time(json_string_value(json_object_get(script, "now")), &now, NULL);
	buf_addf(&path, "%s/loket-convtest-XXXXXX", dir && *dir ? dir : "/tmp");
	fd = mkstemp(path.ptr);
	if (fd < 0) {
		int e = errno;

		json_decref(script);
		buf_release(&why);
		buf_release(&url);
		lk_err_set(err, LK_EIO, "%s: %s", path.ptr, strerror(e));
		buf_release(&path);
		return LK_EIO;
	}
	close(fd);
	buf_addf(&url, "sqlite:%s", path.ptr);
	s.db = url.ptr;
	s.vars = json_object();
	lk_clock_fix(now);
	ok = !run_steps(&s, script, &why);
	if (s.open)
		o->rt.close(o->rt.ud);
	remove_db(path.ptr);
	json_decref(s.prev);
	json_decref(s.vars);
report:
	if (ok)
		fprintf(o->out, "ok  %s\n", file);
	else
		fprintf(o->out, "FAIL %s: %s\n", file, why.ptr);
	fflush(o->out);
	json_decref(script);
	buf_release(&why);
	buf_release(&path);
	buf_release(&url);
	return ok;
}

int convtest_run(const struct convtest_opts *o, const char *const *files, size_t n,
		 struct convtest_summary *sum, struct lk_err *err)
{
	int rc = 0;

	memset(sum, 0, sizeof(*sum));
	for (size_t i = 0; i < n; i++) {
		rc = run_script(o, files[i], err);
		if (rc < 0)
			break;
		if (rc)
			sum->passed++;
		else
			sum->failed++;
		rc = 0;
	}
	lk_clock_fix(0);
	if (!rc)
		fprintf(o->out, "conversation scripts: %zu passed, %zu failed\n", sum->passed,
			sum->failed);
	fflush(o->out);
	return rc;
}
