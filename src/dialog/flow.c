/* flow.c - loading and checking flow files (see flow.h). */
#include "dialog/flow.h"

#include "core/buf.h"
#include "core/mem.h"
#include "core/yaml_json.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


static const char *const type_names[FLOW_TYPE_COUNT] = {
	[FLOW_TEXT] = "text",         [FLOW_CHOICE] = "choice",     [FLOW_DATE] = "date",
	[FLOW_TIME] = "time",         [FLOW_POSTCODE] = "postcode", [FLOW_HOUSE_NUMBER] = "house_number",
	[FLOW_ADDRESS] = "address",   [FLOW_BSN] = "bsn",           [FLOW_EMAIL] = "email",
	[FLOW_PHONE] = "phone",       [FLOW_IBAN] = "iban",         [FLOW_KENTEKEN] = "kenteken",
	[FLOW_YES_NO] = "yes_no",     [FLOW_NUMBER] = "number",     [FLOW_RATING] = "rating",
	[FLOW_PHOTO] = "photo",       [FLOW_REFERENCE] = "reference",
};

/* Every key a flow file may use; anything else is a typo. */
static const char *const flow_keys[] = {
	"id", "title", "title.*", "description", "description.*",
	"triggers", "triggers.payloads", "triggers.examples", "triggers.examples.*",
	"steps", "steps.slot", "steps.type", "steps.label", "steps.label.*", "steps.ask", "steps.ask.*",
	"steps.reask", "steps.reask.*", "steps.options", "steps.options.value", "steps.options.label",
	"steps.options.label.*", "steps.options.synonyms", "steps.options_from", "steps.options_args",
	"steps.options_args.*", "steps.optional", "steps.when", "steps.when.slot", "steps.when.equals",
	"steps.when.not", "steps.when.filled", "steps.min", "steps.max", "steps.max_length",
	"steps.extract", "steps.call", "steps.args", "steps.args.*", "steps.say_if", "steps.say",
	"steps.say.*", "steps.refuse_if", "steps.refuse_if.field", "steps.refuse_if.equals",
	"steps.refuse_if.reason", "steps.errors", "steps.errors.*", "steps.errors.*.say", "steps.errors.*.say.*",
	"steps.errors.*.goto", "steps.quick_replies", "steps.quick_replies.label",
	"steps.quick_replies.label.*", "steps.quick_replies.payload",
	"confirm", "confirm.*", "action", "action.op", "action.args", "action.args.*", "action.done",
	"action.done.*", "action.errors", "action.errors.*", "action.errors.*.say",
	"action.errors.*.say.*", "action.errors.*.goto", "done", "done.*",
	NULL,
};

struct flow_set {
	json_t *flows[FLOW_MAX];
	size_t n;
};

int flow_type_parse(const char *name)
{
	for (int i = 0; name && i < FLOW_TYPE_COUNT; i++)
		if (!strcmp(type_names[i], name))
			return i;
	return -1;
}

const char *flow_type_name(enum flow_slot_type t)
{
	return (unsigned)t < FLOW_TYPE_COUNT ? type_names[t] : "unknown";
}

/* The line a mapping started on, for messages. */
static long line_of(const json_t *obj)
{
	return (long)json_integer_value(json_object_get(obj, YAML_JSON_LINE_KEY));
}

int flow_id_valid(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (!n || n > FLOW_ID_MAX)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_' ||
		      s[i] == '-'))
			return 0;
	return 1;
}

struct check {
	const char *path;
	const char *const *langs;
	size_t n_langs;
	struct lk_err *err;
};

/* A text per language: {nl: "...", en: "..."} with every bot language. */
static int check_text(const struct check *c, const json_t *parent, const char *key, int required)
{
	const json_t *t = json_object_get(parent, key);

	if (!t)
		return required ? lk_err_set(c->err, LK_ECONFIG, "%s:%ld: '%s' is missing", c->path,
					     line_of(parent), key)
				: 0;
	if (!json_is_object(t))
		return lk_err_set(c->err, LK_ECONFIG, "%s:%ld: '%s' must give a text per language (nl: ..., en: ...)",
				  c->path, line_of(parent), key);
	for (size_t i = 0; i < c->n_langs; i++) {
		const char *s = json_string_value(json_object_get(t, c->langs[i]));

		if (!s || !*s)
			return lk_err_set(c->err, LK_ECONFIG, "%s:%ld: '%s' has no text for language '%s'",
					  c->path, line_of(t), key, c->langs[i]);
	}
	return 0;
}

static int check_options(const struct check *c, const json_t *step)
{
	const json_t *opts = json_object_get(step, "options"), *o;
	size_t i;

	if (!json_is_array(opts) || !json_array_size(opts))
		return lk_err_set(c->err, LK_ECONFIG, "%s:%ld: 'options' must list at least one option",
				  c->path, line_of(step));
	json_array_foreach(opts, i, o) {
		const json_t *syn = json_object_get(o, "synonyms");
		int rc;

		if (!json_is_object(o) || !json_string_value(json_object_get(o, "value")))
			return lk_err_set(c->err, LK_ECONFIG, "%s:%ld: option %zu needs a 'value'", c->path,
					  line_of(step), i + 1);
		if ((rc = check_text(c, o, "label", 1)))
			return rc;
		if (syn && !json_is_array(syn))
			return lk_err_set(c->err, LK_ECONFIG, "%s:%ld: 'synonyms' must be a list", c->path,
					  line_of(o));
	}
	return 0;
}

static int check_number_field(const struct check *c, const json_t *step, const char *key,
			      double min, double max)
{
	json_t *v = json_object_get(step, key);
	char what[128];
	double d;

	if (!v)
		return 0;
	snprintf(what, sizeof(what), "%s:%ld: %s", c->path, line_of(step), key);
	return yaml_json_number(v, min, max, what, &d, c->err);
}

static int check_bool_field(const struct check *c, const json_t *step, const char *key)
{
	const char *s = json_string_value(json_object_get(step, key));

	if (!json_object_get(step, key))
		return 0;
	if (!s || (strcmp(s, "true") && strcmp(s, "false") && strcmp(s, "yes") && strcmp(s, "no")))
		return lk_err_set(c->err, LK_ECONFIG, "%s:%ld: '%s' must be true or false", c->path,
				  line_of(step), key);
	return 0;
}

/* A condition refers to an earlier slot. */
static int check_when(const struct check *c, const json_t *step, const json_t *seen)
{
	const json_t *w = json_object_get(step, "when");
	const char *slot;

	if (!w)
		return 0;
	slot = json_string_value(json_object_get(w, "slot"));
	if (!json_is_object(w) || !slot)
		return lk_err_set(c->err, LK_ECONFIG, "%s:%ld: 'when' needs a 'slot' (and 'equals', 'not' or 'filled')",
				  c->path, line_of(step));
	if (!json_object_get(seen, slot))
		return lk_err_set(c->err, LK_ECONFIG, "%s:%ld: 'when' refers to slot '%s', which is not asked before this step",
				  c->path, line_of(w), slot);
	return 0;
}

static int check_slot_step(const struct check *c, const json_t *step, json_t *seen)
{
	const char *name = json_string_value(json_object_get(step, "slot"));
	const char *type = json_string_value(json_object_get(step, "type"));
	int t = flow_type_parse(type), rc;

	if (!flow_id_valid(name))
		return lk_err_set(c->err, LK_ECONFIG, "%s:%ld: a slot name must be a short word (a-z, 0-9, _ or -)",
				  c->path, line_of(step));
	if (json_object_get(seen, name))
		return lk_err_set(c->err, LK_ECONFIG, "%s:%ld: slot '%s' is asked twice", c->path,
				  line_of(step), name);
	if (t < 0)
		return lk_err_set(c->err, LK_ECONFIG, "%s:%ld: slot '%s' has unknown type '%s' (one of: text, choice, date, time, postcode, house_number, address, bsn, email, phone, iban, kenteken, yes_no, number, rating, photo, reference)",
				  c->path, line_of(step), name, type ? type : "(none)");
	if ((rc = check_text(c, step, "ask", 1)) || (rc = check_text(c, step, "reask", 1)) ||
	    (rc = check_text(c, step, "label", 0)) || (rc = check_when(c, step, seen)) ||
	    (rc = check_bool_field(c, step, "optional")) || (rc = check_bool_field(c, step, "extract")) ||
	    (rc = check_number_field(c, step, "min", -1e9, 1e9)) ||
	    (rc = check_number_field(c, step, "max", -1e9, 1e9)) ||
	    (rc = check_number_field(c, step, "max_length", 1, 4000)))
		return rc;
	if (t == FLOW_CHOICE) {
		if (json_object_get(step, "options") && json_object_get(step, "options_from"))
			return lk_err_set(c->err, LK_ECONFIG, "%s:%ld: give 'options' or 'options_from', not both",
					  c->path, line_of(step));
		if (!json_object_get(step, "options_from") && (rc = check_options(c, step)))
			return rc;
	} else if (json_object_get(step, "options")) {
		return lk_err_set(c->err, LK_ECONFIG, "%s:%ld: 'options' belong to a slot of type choice",
				  c->path, line_of(step));
	}
	if (json_object_get(step, "options_from") &&
	    !json_string_value(json_object_get(step, "options_from")))
		return lk_err_set(c->err, LK_ECONFIG, "%s:%ld: 'options_from' names an operation",
				  c->path, line_of(step));
	json_object_set_new(seen, name, json_integer(t));
	return 0;
}

/* errors: {reason: {say: {...}, goto: slot}} */
static int check_errors(const struct check *c, const json_t *errs, const json_t *seen)
{
	const char *reason;
	json_t *e;
	int rc;

	json_object_foreach((json_t *)errs, reason, e) {
		const char *go;

		if (!strcmp(reason, YAML_JSON_LINE_KEY))
			continue;
		if ((rc = check_text(c, e, "say", 1)))
			return rc;
		go = json_string_value(json_object_get(e, "goto"));
		if (go && !json_object_get(seen, go))
			return lk_err_set(c->err, LK_ECONFIG, "%s:%ld: 'goto: %s' names no slot asked before",
					  c->path, line_of(e), go);
	}
	return 0;
}

static int check_call_step(const struct check *c, const json_t *step, const json_t *seen)
{
	const char *op = json_string_value(json_object_get(step, "call"));
	int rc;

	if (!op || !*op)
		return lk_err_set(c->err, LK_ECONFIG, "%s:%ld: 'call' names an operation", c->path,
				  line_of(step));
	if (json_object_get(step, "slot") || json_object_get(step, "type"))
		return lk_err_set(c->err, LK_ECONFIG, "%s:%ld: a step either asks a slot or calls an operation",
				  c->path, line_of(step));
	if ((rc = check_text(c, step, "say", json_object_get(step, "say_if") != NULL)) ||
	    (rc = check_when(c, step, seen)))
		return rc;
	return check_errors(c, json_object_get(step, "errors"), seen);
}

static int check_triggers(const struct check *c, const json_t *flow)
{
	const json_t *tr = json_object_get(flow, "triggers"), *ex, *pl, *v;
	const char *lang;
	size_t i;

	if (!json_is_object(tr))
		return lk_err_set(c->err, LK_ECONFIG, "%s:%ld: 'triggers' (examples per language) is missing",
				  c->path, line_of(flow));
	ex = json_object_get(tr, "examples");
	pl = json_object_get(tr, "payloads");
	if (pl && !json_is_array(pl))
		return lk_err_set(c->err, LK_ECONFIG, "%s:%ld: 'payloads' must be a list", c->path,
				  line_of(tr));
	json_array_foreach(pl, i, v) {
		if (!flow_id_valid(json_string_value(v)))
			return lk_err_set(c->err, LK_ECONFIG, "%s:%ld: payload %zu must be a short word",
					  c->path, line_of(tr), i + 1);
	}
	if (!json_is_object(ex))
		return lk_err_set(c->err, LK_ECONFIG, "%s:%ld: 'examples' must give utterances per language",
				  c->path, line_of(tr));
	json_object_foreach((json_t *)ex, lang, v) {
		if (!strcmp(lang, YAML_JSON_LINE_KEY))
			continue;
		if (!json_is_array(v) || json_array_size(v) < 3)
			return lk_err_set(c->err, LK_ECONFIG, "%s:%ld: give at least 3 examples for '%s'",
					  c->path, line_of(ex), lang);
	}
	for (size_t k = 0; k < c->n_langs; k++)
		if (!json_object_get(ex, c->langs[k]))
			return lk_err_set(c->err, LK_ECONFIG, "%s:%ld: no examples for language '%s'",
					  c->path, line_of(ex), c->langs[k]);
	return 0;
}

static int check_action(const struct check *c, const json_t *flow, const json_t *seen)
{
	const json_t *a = json_object_get(flow, "action"), *errs;
	int rc;

	if (!a)
		return check_text(c, flow, "done", 1);
	if (!json_is_object(a) || !json_string_value(json_object_get(a, "op")))
		return lk_err_set(c->err, LK_ECONFIG, "%s:%ld: 'action' needs an 'op'", c->path,
				  line_of(flow));
	if ((rc = check_text(c, a, "done", 1)))
		return rc;
	errs = json_object_get(a, "errors");
	return check_errors(c, errs, seen);
}

static int check_flow(const struct check *c, json_t *flow)
{
	const char *id = json_string_value(json_object_get(flow, "id"));
	const json_t *steps = json_object_get(flow, "steps"), *st;
	json_t *seen = json_object();
	size_t i;
	int rc = 0;

	if (!flow_id_valid(id)) {
		rc = lk_err_set(c->err, LK_ECONFIG, "%s:%ld: 'id' must be a short word (a-z, 0-9, _ or -)",
				c->path, line_of(flow));
		goto out;
	}
	if ((rc = check_text(c, flow, "title", 1)) || (rc = check_triggers(c, flow)))
		goto out;
	if (!json_is_array(steps) || !json_array_size(steps) ||
	    json_array_size(steps) > FLOW_MAX_STEPS) {
		rc = lk_err_set(c->err, LK_ECONFIG, "%s:%ld: 'steps' must list 1 to %d steps", c->path,
				line_of(flow), FLOW_MAX_STEPS);
		goto out;
	}
	json_array_foreach(steps, i, st) {
		if (!json_is_object(st)) {
			rc = lk_err_set(c->err, LK_ECONFIG, "%s:%ld: step %zu must be a mapping", c->path,
					line_of(flow), i + 1);
			goto out;
		}
		rc = json_object_get(st, "call") ? check_call_step(c, st, seen)
						  : check_slot_step(c, st, seen);
		if (rc)
			goto out;
	}
	if ((rc = check_text(c, flow, "confirm", 0)) || (rc = check_action(c, flow, seen)))
		goto out;
out:
	json_decref(seen);
	return rc;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The .yaml files of dir, sorted. Caller frees the names and the array. */
static size_t list_yaml(const char *dir, char ***out)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char **names = NULL;
	size_t n = 0;

	*out = NULL;
	if (!d)
		return 0;
	while ((de = readdir(d))) {
		size_t len = strlen(de->d_name);

		if (de->d_name[0] == '.' || len < 6 || strcmp(de->d_name + len - 5, ".yaml"))
			continue;
		names = xreallocarray(names, n + 1, sizeof(char *));
		names[n++] = xstrdup(de->d_name);
	}
	closedir(d);
	qsort(names, n, sizeof(char *), by_name);
	*out = names;
	return n;
}

int flow_set_load(struct flow_set **out, const char *bot_dir, const char *const *langs,
		  size_t n_langs, struct lk_err *err)
{
	struct flow_set *fs = xcalloc(1, sizeof(*fs));
	struct buf dir, path;
	char **names;
	size_t n;
	int rc = 0;

	*out = NULL;
	buf_init(&dir, 4096);
	buf_init(&path, 4096);
	buf_addf(&dir, "%s/flows", bot_dir);
	n = list_yaml(dir.ptr, &names);
	if (n > FLOW_MAX)
		rc = lk_err_set(err, LK_ECONFIG, "%s: at most %d flows", dir.ptr, FLOW_MAX);
	for (size_t i = 0; i < n && !rc; i++) {
		struct check c = {NULL, langs, n_langs, err};
		json_t *flow = NULL;

		buf_reset(&path);
		buf_addf(&path, "%s/%s", dir.ptr, names[i]);
		c.path = path.ptr;
		rc = yaml_json_load_flags(path.ptr, flow_keys, YAML_JSON_LINES, &flow, err);
		if (!rc)
			rc = check_flow(&c, flow);
		if (!rc && flow_find(fs, json_string_value(json_object_get(flow, "id"))))
			rc = lk_err_set(err, LK_ECONFIG, "%s:%ld: another flow already has id '%s'",
					path.ptr, line_of(flow),
					json_string_value(json_object_get(flow, "id")));
		if (rc) {
			json_decref(flow);
			break;
		}
		fs->flows[fs->n++] = flow;
	}
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	buf_release(&dir);
	buf_release(&path);
	if (rc) {
		flow_set_free(fs);
		return rc;
	}
	*out = fs;
	return 0;
}

void flow_set_free(struct flow_set *fs)
{
	if (!fs)
		return;
	for (size_t i = 0; i < fs->n; i++)
		json_decref(fs->flows[i]);
	free(fs);
}

size_t flow_count(const struct flow_set *fs)
{
	return fs ? fs->n : 0;
}

const json_t *flow_at(const struct flow_set *fs, size_t i)
{
	return fs && i < fs->n ? fs->flows[i] : NULL;
}

const json_t *flow_find(const struct flow_set *fs, const char *id)
{
	for (size_t i = 0; fs && id && i < fs->n; i++)
		if (!strcmp(json_string_value(json_object_get(fs->flows[i], "id")), id))
			return fs->flows[i];
	return NULL;
}

const json_t *flow_for_payload(const struct flow_set *fs, const char *payload)
{
	if (!payload)
		return NULL;
	if (!strncmp(payload, "flow:", 5))
		return flow_find(fs, payload + 5);
	for (size_t i = 0; fs && i < fs->n; i++) {
		const json_t *pl = json_object_get(json_object_get(fs->flows[i], "triggers"), "payloads"), *v;
		size_t k;

		json_array_foreach(pl, k, v)
			if (!strcmp(json_string_value(v), payload))
				return fs->flows[i];
	}
	return NULL;
}
