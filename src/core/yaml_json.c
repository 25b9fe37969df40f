/* yaml_json.c - YAML to jansson conversion with a key whitelist (libyaml's
 * event parser; see yaml_json.h).
 */
#include "core/yaml_json.h"

#include "core/buf.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#define MAX_DEPTH 16

struct parse {
	yaml_parser_t parser;
	const char *path;
	const char *const *allowed;
	unsigned flags;
	struct lk_err *err;
};

static int next_event(struct parse *p, yaml_event_t *ev)
{
	if (!yaml_parser_parse(&p->parser, ev))
		return lk_err_set(p->err, LK_EPARSE, "%s:%zu: %s", p->path,
				  p->parser.problem_mark.line + 1,
				  p->parser.problem ? p->parser.problem : "invalid YAML");
	return 0;
}

/* Does `key_path` match one of the allowed patterns? */
static int key_allowed(const char *const *allowed, const char *key_path)
{
	if (!allowed)
		return 1;
	for (; *allowed; allowed++) {
		const char *a = *allowed, *k = key_path;

		while (*a && *k) {
			if (*a == '*') {
				while (*k && *k != '.')
					k++;
				a++;
			} else if (*a == *k) {
				a++;
				k++;
			} else {
				break;
			}
		}
		if (!*a && !*k)
			return 1;
	}
	return 0;
}

static int parse_node(struct parse *p, yaml_event_t *first, const char *key_path, int depth,
		      json_t **out);

static int parse_mapping(struct parse *p, const char *key_path, int depth, size_t at,
			 json_t **out)
{
	json_t *obj = json_object();
	yaml_event_t ev;
	int rc;

	if (p->flags & YAML_JSON_LINES)
		json_object_set_new(obj, YAML_JSON_LINE_KEY, json_integer((json_int_t)at));

	for (;;) {
		struct buf kp;
		json_t *val = NULL;
		size_t line;

		if ((rc = next_event(p, &ev)))
			goto fail;
		if (ev.type == YAML_MAPPING_END_EVENT) {
			yaml_event_delete(&ev);
			break;
		}
		line = ev.start_mark.line + 1;
		if (ev.type != YAML_SCALAR_EVENT) {
			yaml_event_delete(&ev);
			rc = lk_err_set(p->err, LK_EPARSE, "%s:%zu: a key must be a plain word", p->path, line);
			goto fail;
		}
		buf_init(&kp, 1024);
		if (*key_path)
			buf_addf(&kp, "%s.", key_path);
		buf_adds(&kp, (const char *)ev.data.scalar.value);
		yaml_event_delete(&ev);
		if (!key_allowed(p->allowed, kp.ptr)) {
			rc = lk_err_set(p->err, LK_ECONFIG, "%s:%zu: unknown key '%s'", p->path, line, kp.ptr);
			buf_release(&kp);
			goto fail;
		}
		if (json_object_get(obj, strrchr(kp.ptr, '.') ? strrchr(kp.ptr, '.') + 1 : kp.ptr)) {
			rc = lk_err_set(p->err, LK_ECONFIG, "%s:%zu: key '%s' appears twice", p->path, line, kp.ptr);
			buf_release(&kp);
			goto fail;
		}
		if ((rc = next_event(p, &ev)) || (rc = parse_node(p, &ev, kp.ptr, depth + 1, &val))) {
			buf_release(&kp);
			goto fail;
		}
		json_object_set_new(obj, strrchr(kp.ptr, '.') ? strrchr(kp.ptr, '.') + 1 : kp.ptr, val);
		buf_release(&kp);
	}
	*out = obj;
	return 0;
fail:
	json_decref(obj);
	return rc;
}

static int parse_sequence(struct parse *p, const char *key_path, int depth, json_t **out)
{
	json_t *arr = json_array();
	yaml_event_t ev;
	int rc;

	for (;;) {
		json_t *val = NULL;

		if ((rc = next_event(p, &ev)))
			goto fail;
		if (ev.type == YAML_SEQUENCE_END_EVENT) {
			yaml_event_delete(&ev);
			break;
		}
		if ((rc = parse_node(p, &ev, key_path, depth + 1, &val)))
			goto fail;
		json_array_append_new(arr, val);
	}
	*out = arr;
	return 0;
fail:
	json_decref(arr);
	return rc;
}

/* Consumes `first` (deletes it). */
static int parse_node(struct parse *p, yaml_event_t *first, const char *key_path, int depth,
		      json_t **out)
{
	size_t line = first->start_mark.line + 1;
	yaml_event_type_t type = first->type;
	int rc = 0;

	if (depth > MAX_DEPTH) {
		yaml_event_delete(first);
		return lk_err_set(p->err, LK_EPARSE, "%s:%zu: nested too deeply", p->path, line);
	}
	switch (type) {
	case YAML_SCALAR_EVENT:
		*out = json_stringn((const char *)first->data.scalar.value, first->data.scalar.length);
		if (!*out)
			rc = lk_err_set(p->err, LK_EPARSE, "%s:%zu: text is not valid UTF-8", p->path, line);
		yaml_event_delete(first);
		return rc;
	case YAML_MAPPING_START_EVENT:
		yaml_event_delete(first);
		return parse_mapping(p, key_path, depth, line, out);
	case YAML_SEQUENCE_START_EVENT:
		yaml_event_delete(first);
		return parse_sequence(p, key_path, depth, out);
	default:
		yaml_event_delete(first);
		return lk_err_set(p->err, LK_EPARSE, "%s:%zu: anchors and aliases are not supported",
				  p->path, line);
	}
}

int yaml_json_load(const char *path, const char *const *allowed, json_t **out,
		   struct lk_err *err)
{
	return yaml_json_load_flags(path, allowed, 0, out, err);
}

int yaml_json_load_flags(const char *path, const char *const *allowed, unsigned flags,
			 json_t **out, struct lk_err *err)
{
	struct parse p = {.path = path, .allowed = allowed, .flags = flags, .err = err};
	yaml_event_t ev;
	FILE *f;
	int rc;

	*out = NULL;
	f = fopen(path, "rb");
	if (!f)
		return lk_err_set(err, LK_EIO, "%s: %s", path, strerror(errno));
	yaml_parser_initialize(&p.parser);
	yaml_parser_set_input_file(&p.parser, f);
	/* stream start, document start, then the root node */
	if ((rc = next_event(&p, &ev)))
		goto out;
	yaml_event_delete(&ev);
	if ((rc = next_event(&p, &ev)))
		goto out;
	if (ev.type == YAML_STREAM_END_EVENT) {
		yaml_event_delete(&ev);
		*out = json_object();
		goto out;
	}
	yaml_event_delete(&ev);
	if ((rc = next_event(&p, &ev)))
		goto out;
	if (ev.type != YAML_MAPPING_START_EVENT) {
		rc = lk_err_set(err, LK_ECONFIG, "%s:%zu: the file must be a mapping of keys to values",
				path, ev.start_mark.line + 1);
		yaml_event_delete(&ev);
		goto out;
	}
	rc = parse_node(&p, &ev, "", 0, out);
	if (rc)
		goto out;
	if ((rc = next_event(&p, &ev)))
		goto out;
	yaml_event_delete(&ev);
	if ((rc = next_event(&p, &ev)))
		goto out;
	if (ev.type != YAML_STREAM_END_EVENT)
		rc = lk_err_set(err, LK_ECONFIG, "%s:%zu: only one YAML document is allowed", path,
				ev.start_mark.line + 1);
	yaml_event_delete(&ev);
out:
	if (rc) {
		json_decref(*out);
		*out = NULL;
	}
	yaml_parser_delete(&p.parser);
	fclose(f);
	return rc;
}

int yaml_json_number(json_t *v, double min, double max, const char *what, double *out,
		     struct lk_err *err)
{
	const char *s = json_string_value(v);
	char *end;
	double d;

	if (!s)
		return lk_err_set(err, LK_ECONFIG, "%s must be a number", what);
	errno = 0;
	d = strtod(s, &end);
	if (errno || end == s || *end || isnan(d) || d < min || d > max)
		return lk_err_set(err, LK_ECONFIG, "%s must be a number from %g to %g, not '%s'", what,
				  min, max, s);
	*out = d;
	return 0;
}
