/* yaml_json.h - reads a YAML file written by people into a jansson tree, and
 * checks its keys against a table so a typo is an error, not a silent default.
 *
 * Mappings become objects, sequences arrays, scalars strings (numbers are
 * converted by the caller with yaml_json_number()). Anchors, aliases and
 * multiple documents are refused.
 */
#ifndef LK_YAML_JSON_H
#define LK_YAML_JSON_H

#include "core/err.h"

#include <jansson.h>

/* `allowed` is a NULL-terminated list of dotted key paths that may appear,
 * e.g. {"name", "retrieval", "retrieval.answer_threshold", "intents.*", NULL};
 * a "*" segment matches any one key. allowed == NULL accepts every key.
 * An unknown key fails with "FILE:LINE: unknown key 'a.b'".
 * On success *out is a new reference the caller releases with json_decref(). */
int yaml_json_load(const char *path, const char *const *allowed, json_t **out,
		   struct lk_err *err);

/* Like yaml_json_load(); with YAML_JSON_LINES every mapping also gets a
 * member YAML_JSON_LINE_KEY (an integer: the line it starts on), so later
 * checks can name the line of what they refuse. */
#define YAML_JSON_LINES 1u
#define YAML_JSON_LINE_KEY "@line"
int yaml_json_load_flags(const char *path, const char *const *allowed, unsigned flags,
			 json_t **out, struct lk_err *err);

/* Reads a string scalar as a number in [min, max]; `what` names it in errors. */
int yaml_json_number(json_t *v, double min, double max, const char *what, double *out,
		     struct lk_err *err);

#endif
