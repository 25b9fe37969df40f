/* handoff_config.c - parsing and checking the `handoff:` section of
 * bot.yaml, and matching topics and keywords in citizen text (see
 * handoff_config.h). */
#include "handoff/handoff_config.h"

#include "core/buf.h"
#include "core/clock.h"
#include "core/mem.h"
#include "core/yaml_json.h"
#include "dialog/flow.h"
#include "text/text_norm.h"
#include "text/text_stem.h"
#include "text/text_token.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NOTICE_KEY_MAX 63

/* One way of writing a keyword or topic: the stems of its words in a row. */
struct phrase {
	char *words[HANDOFF_PHRASE_WORDS];
	size_t n;
	int owner; /* team index (keywords) or always_human index (topics) */
};

struct phrases {
	struct phrase *v;
	size_t n;
};

struct team {
	char *id;
	char **name_langs; /* parallel to names */
	char **names;
	size_t n_names;
	char **flows; /* NULL-terminated */
	size_t n_flows;
	struct handoff_range days[7][HANDOFF_RANGES_MAX]; /* by wday, 0 = Sunday */
	size_t n_ranges[7];
	int64_t *holidays; /* local dates, days since 1970-01-01 */
	size_t n_holidays;
};

struct always_human {
	int team;
	const char *notice; /* borrowed from notices, or NULL */
};

struct canned {
	char *lang;
	char **texts; /* NULL-terminated */
};

struct handoff_config {
	int agent_timeout_s;
	int fallbacks;
	int minutes_per_conversation;
	int default_team;
	char *default_lang;
	struct team *teams;
	size_t n_teams;
	int64_t *holidays;
	size_t n_holidays;
	struct always_human *always;
	size_t n_always;
	struct phrases topics;   /* owner: always_human index; in bot.yaml order */
	struct phrases keywords; /* owner: team index; in bot.yaml order */
	struct canned *canned;
	size_t n_canned;
	char **notices;
	size_t n_notices;
	int stemmed; /* phrases hold stems (0: the folded words, no stemmer) */
};

/* What the loader carries around. */
struct load {
	struct handoff_config *c;
	const char *path;
	const char *const *langs;
	size_t n_langs;
	struct text_stemmer *stemmer;
	struct lk_err *err;
};

static const char *const empty_list[] = {NULL};

static const char *const day_keys[8] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat", NULL};

/* ------------------------------------------------------------------ */
/* lifecycle                                                           */

static void phrases_release(struct phrases *p)
{
	for (size_t i = 0; i < p->n; i++)
		for (size_t k = 0; k < p->v[i].n; k++)
			free(p->v[i].words[k]);
	free(p->v);
	p->v = NULL;
	p->n = 0;
}

static void free_strv(char **v)
{
	for (char **s = v; s && *s; s++)
		free(*s);
	free(v);
}

static void team_release(struct team *t)
{
	free(t->id);
	for (size_t i = 0; i < t->n_names; i++) {
		free(t->name_langs[i]);
		free(t->names[i]);
	}
	free(t->name_langs);
	free(t->names);
	free_strv(t->flows);
	free(t->holidays);
}

void handoff_config_free(struct handoff_config *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n_teams; i++)
		team_release(&c->teams[i]);
	free(c->teams);
	free(c->holidays);
	free(c->always);
	phrases_release(&c->topics);
	phrases_release(&c->keywords);
	for (size_t i = 0; i < c->n_canned; i++) {
		free(c->canned[i].lang);
		free_strv(c->canned[i].texts);
	}
	free(c->canned);
	for (size_t i = 0; i < c->n_notices; i++)
		free(c->notices[i]);
	free(c->notices);
	free(c->default_lang);
	free(c);
}

/* ------------------------------------------------------------------ */
/* messages                                                            */

/* "PATH: WHERE: message"; returns LK_ECONFIG. */
static int bad(const struct load *l, const char *where, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int bad(const struct load *l, const char *where, const char *fmt, ...)
{
	char msg[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return lk_err_set(l->err, LK_ECONFIG, "%s: %s: %s", l->path, where, msg);
}

/* Refuses a key of obj that is not in allowed (NULL-terminated); keys
 * starting with '@' (yaml_json's line numbers) are skipped. */
static int check_keys(const struct load *l, const json_t *obj, const char *where,
		      const char *const *allowed)
{
	const char *key;
	json_t *v;

	json_object_foreach((json_t *)obj, key, v) {
		const char *const *a;

		(void)v;
		if (key[0] == '@')
			continue;
		for (a = allowed; *a && strcmp(*a, key); a++)
			;
		if (!*a)
			return bad(l, where, "unknown key '%.60s'", key);
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* scalars                                                             */

/* A whole number in [min, max] at obj.key; def when absent. */
static int get_int(const struct load *l, const json_t *obj, const char *key, int min, int max,
		   int def, int *out)
{
	json_t *v = json_object_get(obj, key);
	char what[300];
	double d;
	int rc;

	*out = def;
	if (!v)
		return 0;
	snprintf(what, sizeof(what), "%s: handoff.%s", l->path, key);
	if (json_is_integer(v)) {
		json_int_t i = json_integer_value(v);

		if (i < min || i > max)
			return lk_err_set(l->err, LK_ECONFIG, "%s must be a number from %d to %d", what,
					  min, max);
		*out = (int)i;
		return 0;
	}
	if ((rc = yaml_json_number(v, min, max, what, &d, l->err)))
		return rc;
	if (d != floor(d))
		return lk_err_set(l->err, LK_ECONFIG, "%s must be a whole number, not '%s'", what,
				  json_string_value(v));
	*out = (int)d;
	return 0;
}

static int two_digits(const char *s)
{
	return (s[0] >= '0' && s[0] <= '9' && s[1] >= '0' && s[1] <= '9') ? (s[0] - '0') * 10 +
										 (s[1] - '0')
									       : -1;
}

/* "2026-12-25" -> days since 1970-01-01; -1 when it is not a valid
 * YYYY-MM-DD date from 1970 to 2199. */
static int64_t parse_date(const char *s)
{
	int64_t day;

	if (!lk_day_parse(s, &day) || day >= lk_days_from_civil(2200, 1, 1))
		return -1;
	return day;
}

/* A list of dates at obj.key (optional) into a new array. */
static int get_dates(const struct load *l, const json_t *obj, const char *key, const char *where,
		     int64_t **out, size_t *n_out)
{
	json_t *list = json_object_get(obj, key);
	size_t n = json_array_size(list);

	*out = NULL;
	*n_out = 0;
	if (!list)
		return 0;
	if (!json_is_array(list))
		return bad(l, where, "must be a list of dates like \"2026-12-25\"");
	if (n > HANDOFF_HOLIDAYS_MAX)
		return bad(l, where, "at most %d dates", HANDOFF_HOLIDAYS_MAX);
	*out = xcalloc(n ? n : 1, sizeof(int64_t));
	for (size_t i = 0; i < n; i++) {
		const char *s = json_string_value(json_array_get(list, i));
		int64_t day = parse_date(s);

		if (day < 0)
			return bad(l, where, "'%.40s' is not a date YYYY-MM-DD", s ? s : "(not text)");
		(*out)[i] = day;
		(*n_out)++;
	}
	return 0;
}

int handoff_team_id_valid(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (!n || n > HANDOFF_TEAM_ID_MAX)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
			return 0;
	return 1;
}

/* A catalogue key: [a-z0-9_], 1..63. */
static int valid_notice_key(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (!n || n > NOTICE_KEY_MAX)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			return 0;
	return 1;
}

/* ------------------------------------------------------------------ */
/* phrases: keywords and topics                                        */

/* The comparison key of one folded word: its stem, or the word itself when
 * there is no stemmer. Writes TEXT_STEM_MAX bytes at most. */
static size_t word_key(struct text_stemmer *st, const char *w, size_t len, char *out)
{
	if (st)
		return text_stem(st, w, len, out);
	if (len >= TEXT_STEM_MAX)
		len = TEXT_STEM_MAX - 1;
	memcpy(out, w, len);
	out[len] = '\0';
	return len;
}

/* The tokens of a folded phrase, as text_token_each gives them. */
struct phrase_toks {
	struct text_stemmer *st;
	char *keys[2 * HANDOFF_PHRASE_WORDS + 2];
	unsigned flags[2 * HANDOFF_PHRASE_WORDS + 2];
	size_t n;
	size_t words; /* tokens that are not JOINED */
	int too_many;
};

static void phrase_tok(void *ctx, const struct text_token *tok)
{
	struct phrase_toks *p = ctx;
	char key[TEXT_STEM_MAX];

	if (!(tok->flags & TEXT_TOKEN_JOINED))
		p->words++;
	if (p->n == sizeof(p->keys) / sizeof(p->keys[0])) {
		p->too_many = 1;
		return;
	}
	word_key(p->st, tok->s, tok->len, key);
	p->keys[p->n] = xstrdup(key);
	p->flags[p->n++] = tok->flags;
}

static void phrases_add(struct phrases *ps, const struct phrase *p)
{
	ps->v = xreallocarray(ps->v, ps->n + 1, sizeof(*ps->v));
	ps->v[ps->n++] = *p;
}

/* Compiles `s` into ps: its words in a row, and, when it has hyphenated
 * words, a second way with each of those written as one word. */
static int phrase_compile(const struct load *l, const char *s, const char *where, int owner,
			  struct phrases *ps)
{
	struct phrase_toks t = {.st = l->stemmer};
	struct phrase split = {.owner = owner}, joined = {.owner = owner};
	int has_joined = 0, in_group = 0, rc = 0;
	struct buf fold;
	uint32_t positions;

	if (!s || !*s)
		return bad(l, where, "must be a word or phrase");
	if (strlen(s) > HANDOFF_PHRASE_MAX)
		return bad(l, where, "'%.40s...' is longer than %d bytes", s, HANDOFF_PHRASE_MAX);
	buf_init(&fold, 4 * HANDOFF_PHRASE_MAX + 16);
	(void)text_norm_fold(s, strlen(s), &fold);
	positions = text_token_each(fold.ptr, fold.len, phrase_tok, &t);
	buf_release(&fold);
	if (t.too_many || positions > HANDOFF_PHRASE_WORDS) {
		rc = bad(l, where, "'%s' has more than %d words", s, HANDOFF_PHRASE_WORDS);
		goto out;
	}
	if (!t.words) {
		rc = bad(l, where, "'%s' has no words", s);
		goto out;
	}
	if (t.words != positions) {
		rc = bad(l, where, "'%s' has a word longer than %d bytes", s, TEXT_TOKEN_MAX);
		goto out;
	}
	for (size_t i = 0; i < t.n; i++) {
		if (t.flags[i] & TEXT_TOKEN_JOINED) {
			has_joined = 1;
			in_group = 1;
			joined.words[joined.n++] = xstrdup(t.keys[i]);
			continue;
		}
		split.words[split.n++] = xstrdup(t.keys[i]);
		if (!(t.flags[i] & TEXT_TOKEN_PART))
			in_group = 0;
		if (!in_group)
			joined.words[joined.n++] = xstrdup(t.keys[i]);
	}
	phrases_add(ps, &split);
	if (has_joined)
		phrases_add(ps, &joined);
	else
		for (size_t k = 0; k < joined.n; k++)
			free(joined.words[k]);
out:
	for (size_t i = 0; i < t.n; i++)
		free(t.keys[i]);
	return rc;
}

/* A list of phrases at obj.key; required says whether it must be there and
 * not be empty. */
static int get_phrases(const struct load *l, const json_t *obj, const char *key, const char *where,
		       int required, int owner, struct phrases *ps)
{
	json_t *list = json_object_get(obj, key);
	size_t n = json_array_size(list);
	char item[160];
	int rc;

	if (!list && !required)
		return 0;
	if (!json_is_array(list) || (required && !n))
		return bad(l, where, "must be a list of words or phrases");
	if (n > HANDOFF_PHRASES_MAX)
		return bad(l, where, "at most %d words or phrases", HANDOFF_PHRASES_MAX);
	for (size_t i = 0; i < n; i++) {
		snprintf(item, sizeof(item), "%s[%zu]", where, i);
		if ((rc = phrase_compile(l, json_string_value(json_array_get(list, i)), item, owner,
					 ps)))
			return rc;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* hours                                                               */

/* "HH:MM" at s -> minutes; allow_24: "24:00" is accepted. -1 when bad. */
static int parse_hhmm(const char *s, int allow_24)
{
	int h = two_digits(s), m;

	if (h < 0 || s[2] != ':')
		return -1;
	m = two_digits(s + 3);
	if (m < 0 || m > 59 || h > 24 || (h == 24 && (!allow_24 || m)))
		return -1;
	return h * 60 + m;
}

/* "08:30-12:00,13:00-17:00" or "closed" into t->days[wday]. */
static int parse_day(const struct load *l, const char *v, const char *where, struct team *t,
		     int wday)
{
	const char *p = v;
	size_t n = 0;

	if (!v)
		return bad(l, where, "must be text like \"08:30-17:00\" or \"closed\"");
	if (!strcmp(v, "closed")) {
		t->n_ranges[wday] = 0;
		return 0;
	}
	for (;;) {
		int start, end;

		while (*p == ' ')
			p++;
		if (strlen(p) < 11 || p[5] != '-' || (start = parse_hhmm(p, 0)) < 0 ||
		    (end = parse_hhmm(p + 6, 1)) < 0)
			return bad(l, where, "'%.60s' is not HH:MM-HH:MM", v);
		if (end <= start)
			return bad(l, where, "'%.60s': %.11s must end after it starts", v, p);
		if (n && start < t->days[wday][n - 1].end)
			return bad(l, where, "'%.60s': the ranges must be in order and must not overlap",
				   v);
		if (n == HANDOFF_RANGES_MAX)
			return bad(l, where, "'%.60s': at most %d ranges a day", v, HANDOFF_RANGES_MAX);
		t->days[wday][n].start = start;
		t->days[wday][n].end = end;
		t->n_ranges[wday] = ++n;
		p += 11;
		while (*p == ' ')
			p++;
		if (!*p)
			return 0;
		if (*p != ',')
			return bad(l, where, "'%.60s' is not HH:MM-HH:MM", v);
		p++;
	}
}

static int get_hours(const struct load *l, const json_t *team, const char *where, struct team *t)
{
	json_t *hours = json_object_get(team, "hours");
	char item[160];
	int rc;

	if (!hours) {
		/* open around the clock */
		for (int d = 0; d < 7; d++) {
			t->days[d][0].start = 0;
			t->days[d][0].end = 24 * 60;
			t->n_ranges[d] = 1;
		}
		return 0;
	}
	snprintf(item, sizeof(item), "%s.hours", where);
	if (!json_is_object(hours))
		return bad(l, item, "must be a mapping of days (mon..sun) to hours like \"08:30-17:00\"");
	if ((rc = check_keys(l, hours, item, day_keys)))
		return rc;
	for (int d = 0; d < 7; d++) {
		json_t *v = json_object_get(hours, day_keys[d]);

		if (!v)
			continue;
		snprintf(item, sizeof(item), "%s.hours.%s", where, day_keys[d]);
		if ((rc = parse_day(l, json_string_value(v), item, t, d)))
			return rc;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* sections                                                            */

static int get_names(const struct load *l, const json_t *team, const char *where, struct team *t)
{
	json_t *names = json_object_get(team, "name");
	char item[160];
	const char *lang;
	json_t *v;
	size_t n = 0;

	snprintf(item, sizeof(item), "%s.name", where);
	if (!json_is_object(names))
		return bad(l, item,
			   "must be a mapping of language to name, like {nl: Burgerzaken, en: Civil affairs}");
	t->name_langs = xcalloc(json_object_size(names) + 1, sizeof(char *));
	t->names = xcalloc(json_object_size(names) + 1, sizeof(char *));
	json_object_foreach(names, lang, v) {
		const char *s = json_string_value(v);

		if (lang[0] == '@')
			continue;
		if (!s || !*s || strlen(s) > HANDOFF_NAME_MAX)
			return bad(l, item, "the name in '%.8s' must be text of 1 to %d bytes", lang,
				   HANDOFF_NAME_MAX);
		t->name_langs[n] = xstrdup(lang);
		t->names[n] = xstrdup(s);
		t->n_names = ++n;
	}
	for (size_t i = 0; i < l->n_langs; i++) {
		if (!json_string_value(json_object_get(names, l->langs[i])))
			return bad(l, item, "no name in '%s'", l->langs[i]);
	}
	return 0;
}

static int get_flows(const struct load *l, const json_t *team, const char *where, struct team *t)
{
	json_t *list = json_object_get(team, "flows");
	size_t n = json_array_size(list);
	char item[160];

	t->flows = xcalloc(n + 1, sizeof(char *));
	if (!list)
		return 0;
	snprintf(item, sizeof(item), "%s.flows", where);
	if (!json_is_array(list))
		return bad(l, item, "must be a list of flow ids");
	if (n > HANDOFF_FLOWS_MAX)
		return bad(l, item, "at most %d flows", HANDOFF_FLOWS_MAX);
	for (size_t i = 0; i < n; i++) {
		const char *f = json_string_value(json_array_get(list, i));
		const char *owner;

		if (!flow_id_valid(f))
			return bad(l, item, "'%.60s' is not a flow id", f ? f : "(not text)");
		if ((owner = handoff_flow_team(l->c, f)))
			return bad(l, item, "flow '%s' is already in team '%s'", f, owner);
		t->flows[i] = xstrdup(f);
		t->n_flows = i + 1;
	}
	return 0;
}

static const char *const team_keys[] = {"id", "name", "keywords", "flows", "hours", "holidays",
					NULL};

/* Team i of the list; l->c->n_teams counts the teams loaded so far, so the
 * earlier ones can be consulted (unique ids, flows). */
static int get_team(const struct load *l, const json_t *team, size_t i)
{
	struct handoff_config *c = l->c;
	struct team *t = &c->teams[i];
	const char *id = json_string_value(json_object_get(team, "id"));
	char where[64], item[96];
	int rc;

	snprintf(where, sizeof(where), "handoff.teams[%zu]", i);
	if (!json_is_object(team))
		return bad(l, where, "must be a mapping with id, name and the optional keywords, flows, hours, holidays");
	c->n_teams = i + 1; /* so handoff_config_free releases what follows */
	if ((rc = check_keys(l, team, where, team_keys)))
		return rc;
	snprintf(item, sizeof(item), "%s.id", where);
	if (!handoff_team_id_valid(id))
		return bad(l, item, "'%.40s' is not a team id (a-z, 0-9 and '-', at most %d)",
			   id ? id : "", HANDOFF_TEAM_ID_MAX);
	for (size_t k = 0; k < i; k++)
		if (!strcmp(c->teams[k].id, id))
			return bad(l, item, "team '%s' is listed twice", id);
	t->id = xstrdup(id);
	if ((rc = get_names(l, team, where, t)) || (rc = get_flows(l, team, where, t)) ||
	    (rc = get_hours(l, team, where, t)))
		return rc;
	snprintf(item, sizeof(item), "%s.keywords", where);
	if ((rc = get_phrases(l, team, "keywords", item, 0, (int)i, &c->keywords)))
		return rc;
	snprintf(item, sizeof(item), "%s.holidays", where);
	return get_dates(l, team, "holidays", item, &t->holidays, &t->n_holidays);
}

static int get_teams(const struct load *l, const json_t *section)
{
	json_t *teams = json_object_get(section, "teams");
	size_t n = json_array_size(teams);
	int rc;

	if (!json_is_array(teams) || !n)
		return bad(l, "handoff.teams", "must be a list of at least one team");
	if (n > HANDOFF_TEAMS_MAX)
		return bad(l, "handoff.teams", "at most %d teams", HANDOFF_TEAMS_MAX);
	l->c->teams = xcalloc(n, sizeof(struct team));
	for (size_t i = 0; i < n; i++)
		if ((rc = get_team(l, json_array_get(teams, i), i)))
			return rc;
	return 0;
}

/* Interns a notice key; returns the config's copy. */
static const char *add_notice(struct handoff_config *c, const char *key)
{
	for (size_t i = 0; i < c->n_notices; i++)
		if (!strcmp(c->notices[i], key))
			return c->notices[i];
	c->notices = xreallocarray(c->notices, c->n_notices + 1, sizeof(char *));
	c->notices[c->n_notices] = xstrdup(key);
	return c->notices[c->n_notices++];
}

static const char *const always_keys[] = {"topics", "team", "notice", NULL};

static int get_always_human(const struct load *l, const json_t *section)
{
	struct handoff_config *c = l->c;
	json_t *list = json_object_get(section, "always_human");
	size_t n = json_array_size(list);
	char where[64], item[96];
	int rc;

	if (!list)
		return 0;
	if (!json_is_array(list))
		return bad(l, "handoff.always_human", "must be a list of {topics, team, notice}");
	if (n > HANDOFF_ALWAYS_HUMAN_MAX)
		return bad(l, "handoff.always_human", "at most %d entries", HANDOFF_ALWAYS_HUMAN_MAX);
	c->always = xcalloc(n ? n : 1, sizeof(*c->always));
	for (size_t i = 0; i < n; i++) {
		json_t *e = json_array_get(list, i);
		const char *team = json_string_value(json_object_get(e, "team"));
		json_t *notice = json_object_get(e, "notice");

		snprintf(where, sizeof(where), "handoff.always_human[%zu]", i);
		if (!json_is_object(e))
			return bad(l, where, "must be a mapping with topics, team and an optional notice");
		if ((rc = check_keys(l, e, where, always_keys)))
			return rc;
		snprintf(item, sizeof(item), "%s.team", where);
		if (!team)
			return bad(l, item, "a team is required");
		if ((c->always[i].team = handoff_team_index(c, team)) < 0)
			return bad(l, item, "no team '%.40s'", team);
		if (notice) {
			snprintf(item, sizeof(item), "%s.notice", where);
			if (!valid_notice_key(json_string_value(notice)))
				return bad(l, item, "'%.60s' is not a message key (a-z, 0-9, '_')",
					   json_string_value(notice) ? json_string_value(notice) : "");
			c->always[i].notice = add_notice(c, json_string_value(notice));
		}
		c->n_always = i + 1;
		snprintf(item, sizeof(item), "%s.topics", where);
		if ((rc = get_phrases(l, e, "topics", item, 1, (int)i, &c->topics)))
			return rc;
	}
	return 0;
}

static int get_canned(const struct load *l, const json_t *section)
{
	struct handoff_config *c = l->c;
	json_t *canned = json_object_get(section, "canned");
	const char *lang;
	json_t *list;
	char where[64];

	if (!canned)
		return 0;
	if (!json_is_object(canned))
		return bad(l, "handoff.canned", "must be a mapping of language to a list of texts");
	c->canned = xcalloc(json_object_size(canned) + 1, sizeof(*c->canned));
	json_object_foreach(canned, lang, list) {
		struct canned *cd = &c->canned[c->n_canned];
		size_t n = json_array_size(list), k;

		if (lang[0] == '@')
			continue;
		snprintf(where, sizeof(where), "handoff.canned.%.8s", lang);
		for (k = 0; k < l->n_langs && strcmp(l->langs[k], lang); k++)
			;
		if (k == l->n_langs)
			return bad(l, where, "'%.8s' is not a language of this bot", lang);
		if (!json_is_array(list))
			return bad(l, where, "must be a list of texts");
		if (n > HANDOFF_CANNED_MAX)
			return bad(l, where, "at most %d texts", HANDOFF_CANNED_MAX);
		cd->lang = xstrdup(lang);
		cd->texts = xcalloc(n + 1, sizeof(char *));
		c->n_canned++;
		for (size_t i = 0; i < n; i++) {
			const char *s = json_string_value(json_array_get(list, i));

			if (!s || !*s || strlen(s) > HANDOFF_CANNED_LEN_MAX)
				return bad(l, where, "text %zu must be 1 to %d bytes", i,
					   HANDOFF_CANNED_LEN_MAX);
			cd->texts[i] = xstrdup(s);
		}
	}
	return 0;
}

static const char *const section_keys[] = {
	"agent_timeout_s", "fallbacks", "minutes_per_conversation", "default_team", "holidays",
	"teams", "always_human", "canned", NULL,
};

int handoff_config_load(struct handoff_config **out, const json_t *section, const char *path,
			const char *const *langs, size_t n_langs, struct lk_err *err)
{
	struct load l = {NULL, path ? path : "bot.yaml", langs, n_langs, NULL, err};
	struct handoff_config *c;
	json_t *def;
	int rc;

	if (!out)
		return lk_err_set(err, LK_EINVAL, "handoff_config_load: no out");
	*out = NULL;
	if (!langs || !n_langs)
		return lk_err_set(err, LK_EINVAL, "handoff_config_load: no languages");
	for (size_t i = 0; i < n_langs; i++)
		if (!langs[i] || !*langs[i])
			return lk_err_set(err, LK_EINVAL, "handoff_config_load: empty language");
	if (!json_is_object(section))
		return lk_err_set(err, LK_ECONFIG, "%s: handoff must be a mapping", l.path);
	c = l.c = xcalloc(1, sizeof(*c));
	c->default_lang = xstrdup(langs[0]);
	l.stemmer = text_stemmer_new();
	c->stemmed = l.stemmer != NULL;
	if ((rc = check_keys(&l, section, "handoff", section_keys)) ||
	    (rc = get_int(&l, section, "agent_timeout_s", 1, 3600, 60, &c->agent_timeout_s)) ||
	    (rc = get_int(&l, section, "fallbacks", 0, 10, 2, &c->fallbacks)) ||
	    (rc = get_int(&l, section, "minutes_per_conversation", 1, 120, 4,
			  &c->minutes_per_conversation)) ||
	    (rc = get_dates(&l, section, "holidays", "handoff.holidays", &c->holidays,
			    &c->n_holidays)) ||
	    (rc = get_teams(&l, section)) || (rc = get_always_human(&l, section)) ||
	    (rc = get_canned(&l, section)))
		goto fail;
	def = json_object_get(section, "default_team");
	if (def) {
		const char *id = json_string_value(def);

		if ((c->default_team = handoff_team_index(c, id)) < 0) {
			rc = bad(&l, "handoff.default_team", "no team '%.40s'", id ? id : "(not text)");
			goto fail;
		}
	}
	text_stemmer_free(l.stemmer);
	*out = c;
	return 0;
fail:
	text_stemmer_free(l.stemmer);
	handoff_config_free(c);
	return rc;
}

/* ------------------------------------------------------------------ */
/* getters                                                             */

int handoff_agent_timeout_s(const struct handoff_config *c) { return c->agent_timeout_s; }
int handoff_fallbacks(const struct handoff_config *c) { return c->fallbacks; }
int handoff_minutes_per_conversation(const struct handoff_config *c)
{
	return c->minutes_per_conversation;
}

size_t handoff_team_count(const struct handoff_config *c)
{
	return c ? c->n_teams : 0;
}

const char *handoff_team_id(const struct handoff_config *c, size_t i)
{
	return c && i < c->n_teams ? c->teams[i].id : NULL;
}

int handoff_team_index(const struct handoff_config *c, const char *team)
{
	if (!c || !team)
		return -1;
	for (size_t i = 0; i < c->n_teams; i++)
		if (c->teams[i].id && !strcmp(c->teams[i].id, team))
			return (int)i;
	return -1;
}

const char *handoff_team_name(const struct handoff_config *c, const char *team, const char *lang)
{
	int i = handoff_team_index(c, team);
	const struct team *t;

	if (i < 0)
		return NULL;
	t = &c->teams[i];
	for (size_t k = 0; lang && k < t->n_names; k++)
		if (!strcmp(t->name_langs[k], lang))
			return t->names[k];
	for (size_t k = 0; k < t->n_names; k++)
		if (!strcmp(t->name_langs[k], c->default_lang))
			return t->names[k];
	return t->n_names ? t->names[0] : t->id;
}

const char *handoff_default_team(const struct handoff_config *c)
{
	return c->teams[c->default_team].id;
}

const char *const *handoff_team_flows(const struct handoff_config *c, const char *team)
{
	int i = handoff_team_index(c, team);

	return i < 0 ? empty_list : (const char *const *)c->teams[i].flows;
}

const char *handoff_flow_team(const struct handoff_config *c, const char *flow_id)
{
	if (!c || !flow_id)
		return NULL;
	for (size_t i = 0; i < c->n_teams; i++)
		for (size_t k = 0; k < c->teams[i].n_flows; k++)
			if (!strcmp(c->teams[i].flows[k], flow_id))
				return c->teams[i].id;
	return NULL;
}

const char *const *handoff_canned(const struct handoff_config *c, const char *lang)
{
	for (size_t i = 0; c && lang && i < c->n_canned; i++)
		if (!strcmp(c->canned[i].lang, lang))
			return (const char *const *)c->canned[i].texts;
	return empty_list;
}

size_t handoff_notice_count(const struct handoff_config *c)
{
	return c ? c->n_notices : 0;
}

const char *handoff_notice_key(const struct handoff_config *c, size_t i)
{
	return c && i < c->n_notices ? c->notices[i] : NULL;
}

size_t handoff_team_day(const struct handoff_config *c, int team, int wday,
			const struct handoff_range **ranges)
{
	*ranges = NULL;
	if (!c || team < 0 || (size_t)team >= c->n_teams || wday < 0 || wday > 6)
		return 0;
	*ranges = c->teams[team].days[wday];
	return c->teams[team].n_ranges[wday];
}

static int has_day(const int64_t *days, size_t n, int64_t day)
{
	for (size_t i = 0; i < n; i++)
		if (days[i] == day)
			return 1;
	return 0;
}

int handoff_team_holiday(const struct handoff_config *c, int team, int64_t day)
{
	if (!c || team < 0 || (size_t)team >= c->n_teams)
		return 0;
	return has_day(c->holidays, c->n_holidays, day) ||
	       has_day(c->teams[team].holidays, c->teams[team].n_holidays, day);
}

/* ------------------------------------------------------------------ */
/* matching                                                            */

struct text_tok {
	uint32_t pos;
	size_t off; /* of its NUL-terminated key in the arena */
};

struct text_toks {
	struct text_stemmer *st;
	struct text_tok *v;
	size_t n, alloc;
	struct buf arena;
};

static void text_tok(void *ctx, const struct text_token *tok)
{
	struct text_toks *t = ctx;
	char key[TEXT_STEM_MAX];
	size_t len = word_key(t->st, tok->s, tok->len, key);
	size_t off = t->arena.len;

	if (buf_add(&t->arena, key, len + 1))
		return; /* bounded: the rest of the text is not searched */
	if (t->n == t->alloc) {
		t->alloc = t->alloc ? 2 * t->alloc : 64;
		t->v = xreallocarray(t->v, t->alloc, sizeof(*t->v));
	}
	t->v[t->n].pos = tok->pos;
	t->v[t->n++].off = off;
}

/* Does phrase p occur in t: its words at consecutive positions? Tokens come
 * in order of position (a joined hyphenated word shares its first part's). */
static int phrase_in(const struct phrase *p, const struct text_toks *t)
{
	for (size_t i = 0; i < t->n; i++) {
		size_t j = i + 1, k;

		if (strcmp(t->arena.ptr + t->v[i].off, p->words[0]))
			continue;
		for (k = 1; k < p->n; k++) {
			uint32_t want = t->v[i].pos + (uint32_t)k;
			int found = 0;

			while (j < t->n && t->v[j].pos < want)
				j++;
			for (size_t m = j; m < t->n && t->v[m].pos == want; m++)
				if (!strcmp(t->arena.ptr + t->v[m].off, p->words[k])) {
					found = 1;
					break;
				}
			if (!found)
				break;
		}
		if (k == p->n)
			return 1;
	}
	return 0;
}

/* The owner of the first phrase of ps that occurs in text; -1 when none. */
static int match(const struct handoff_config *c, const struct phrases *ps, const char *text)
{
	struct text_toks t = {0};
	struct buf fold;
	size_t len;
	int owner = -1;

	if (!c || !text || !ps->n)
		return -1;
	len = strnlen(text, HANDOFF_MATCH_MAX_BYTES);
	buf_init(&fold, 4 * HANDOFF_MATCH_MAX_BYTES + 16);
	(void)text_norm_fold(text, len, &fold); /* a prefix when too long */
	if (c->stemmed && !(t.st = text_stemmer_new()))
		goto out; /* cannot compare with stemmed phrases */
	buf_init(&t.arena, 8 * HANDOFF_MATCH_MAX_BYTES + 64);
	text_token_each(fold.ptr, fold.len, text_tok, &t);
	for (size_t i = 0; i < ps->n && owner < 0; i++)
		if (phrase_in(&ps->v[i], &t))
			owner = ps->v[i].owner;
	buf_release(&t.arena);
	free(t.v);
	text_stemmer_free(t.st);
out:
	buf_release(&fold);
	return owner;
}

const char *handoff_topic_team(const struct handoff_config *c, const char *text,
			       const char **notice)
{
	int i = match(c, c ? &c->topics : NULL, text);

	if (notice)
		*notice = i >= 0 ? c->always[i].notice : NULL;
	return i >= 0 ? c->teams[c->always[i].team].id : NULL;
}

const char *handoff_keyword_team(const struct handoff_config *c, const char *text)
{
	int i = match(c, c ? &c->keywords : NULL, text);

	return i >= 0 ? c->teams[i].id : NULL;
}
