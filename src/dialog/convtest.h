/* convtest.h - conversation scripts: YAML files that talk to a bot step by
 * step and check what it says, which flow step it is at and which slots it
 * filled (`loket test --bot DIR FILE...`; the format is described in
 * tests/conversations/README.md).
 *
 * A script is loaded and checked once (unknown keys, missing values and bad
 * regular expressions are errors naming the file and line) and kept as its
 * checked JSON tree. The runner gives every script a fresh SQLite database
 * in a temporary file and a fixed clock, opens the runtime through the
 * caller's callbacks (so it is opened exactly as `loket chat` opens it), and
 * stops a script at its first failing step.
 *
 * The pieces the runner is made of (payload of a step, expectations of a
 * turn, {name} substitution) are public so they can be tested without a
 * bot.
 */
#ifndef LK_CONVTEST_H
#define LK_CONVTEST_H

#include "conv/conv.h"
#include "core/buf.h"
#include "core/err.h"

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>

#define CONVTEST_MAX_STEPS 300    /* steps per script */
#define CONVTEST_MAX_FILE (1 << 20) /* bytes per script file */
#define CONVTEST_MAX_VARS 32      /* captured values per script */
#define CONVTEST_VALUE_MAX 512    /* bytes of one captured value */

/* --- scripts --- */

/* Loads and checks a script. *out is its tree: {"name","lang"?,"now"?,
 * "steps":[{"@line", "user"|"press"|"action"|"restart", "expect"?,
 * "capture"?}]}. Caller releases it with json_decref(). */
int convtest_load(const char *path, json_t **out, struct lk_err *err);

/* Reads "2026-11-24T09:00:00+01:00" (also "...Z", without seconds, with a
 * space instead of T, or without an offset: Europe/Amsterdam time; a date
 * alone is 09:00 local) into unix seconds. */
int convtest_parse_time(const char *s, int64_t *out, struct lk_err *err);

/* --- one step --- */

/* Replaces each {name} in tmpl by vars[name] (an object of strings).
 * LK_ENOTFOUND when a name was never captured; braces around anything that
 * is not a name ([a-z_][a-z0-9_]*) are copied as they are. */
int convtest_expand(const char *tmpl, const json_t *vars, struct buf *out, struct lk_err *err);

/* The payload a step sends: its `action` (expanded), or the quick reply its
 * `press` picks from the previous turn's bot messages `prev` (digits only: the
 * n-th quick reply of the last message; else a label: the last message's quick
 * reply with that label, else the nearest earlier message's). LK_ENOTFOUND
 * with a message for people when there is no such button. */
int convtest_payload(const json_t *step, const json_t *prev, const json_t *vars,
		     struct buf *payload, struct lk_err *err);

/* Checks a turn against the step's `expect`, then takes its `capture`s into
 * vars. msgs: the turn's bot messages; flow: the transcript's "flow" (an
 * object, or NULL / JSON null when no flow runs); error: the reason the
 * engine refused the message (NULL when it did not). 0 when everything
 * holds; else LK_EINVAL and err says the first thing that did not. */
int convtest_check(const json_t *step, const json_t *msgs, const json_t *flow,
		   const char *error, json_t *vars, struct lk_err *err);

/* --- running --- */

/* How the runner opens and closes everything a bot needs. open() opens the
 * bot with the store at `db` ("sqlite:PATH") and hands back its engine
 * (borrowed until close()). */
struct convtest_runtime {
	void *ud;
	int (*open)(void *ud, const char *db, struct conv_engine **engine, struct lk_err *err);
	void (*close)(void *ud);
};

struct convtest_opts {
	struct convtest_runtime rt;
	int64_t now;         /* the fixed clock (unix seconds) unless a script sets its own */
	const char *tmp_dir; /* where the databases go; NULL: $TMPDIR or /tmp */
	FILE *out;           /* one line per script, then the summary line */
	int trace;           /* also print every turn (for writing scripts) */
};

struct convtest_summary {
	size_t passed;
	size_t failed;
};

/* Runs the scripts in order and prints "ok  FILE" or "FAIL FILE: step N
 * (line L): why; bot said: ..." for each, then "conversation scripts: N
 * passed, M failed". A script that does not load counts as failed. Returns
 * 0 (see sum), or an error that stopped the run (no temporary file). */
int convtest_run(const struct convtest_opts *o, const char *const *files, size_t n,
		 struct convtest_summary *sum, struct lk_err *err);

#endif
