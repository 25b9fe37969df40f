/* handoff_config.h - the `handoff:` section of bot.yaml: teams with their
 * names, keywords, flows, office hours and holidays; always-human topics;
 * canned responses for agents; and the numbers of the queue.
 *
 * The section arrives as read by yaml_json_load() (numbers are strings).
 * Everything is checked at load, so the getters never fail; a config is
 * read-only after loading and may be shared between threads.
 *
 * Text matching (topics and keywords) is case- and accent-insensitive
 * (text_norm_fold), on whole words, with a phrase matching its words in a
 * row whatever the punctuation or spacing between them ("huiselijk geweld"
 * matches "Huiselijk  geweld!"). Words compare by their Dutch stem
 * (text_stem), so "schulden" matches "schuld" and "containers" matches
 * "container"; a part of a compound does not match ("schuldhulp" does not
 * match "schuldhulpverlening": list both when both are meant). A hyphenated
 * keyword matches written with or without the hyphen ("id-kaart": also
 * "id kaart" and "idkaart").
 */
#ifndef LK_HANDOFF_CONFIG_H
#define LK_HANDOFF_CONFIG_H

#include "core/err.h"

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

/* Limits, checked at load. */
#define HANDOFF_TEAMS_MAX 64
#define HANDOFF_TEAM_ID_MAX 31         /* [a-z0-9-], 1..31 characters */
#define HANDOFF_NAME_MAX 100           /* bytes of a team name */
#define HANDOFF_PHRASES_MAX 200        /* keywords of a team; topics of an always_human entry */
#define HANDOFF_PHRASE_MAX 100         /* bytes of a keyword or topic */
#define HANDOFF_PHRASE_WORDS 8         /* words of a keyword or topic */
#define HANDOFF_FLOWS_MAX 100          /* flows of a team */
#define HANDOFF_HOLIDAYS_MAX 1000      /* global, and per team */
#define HANDOFF_RANGES_MAX 8           /* opening ranges of one day */
#define HANDOFF_ALWAYS_HUMAN_MAX 32    /* entries of always_human */
#define HANDOFF_CANNED_MAX 100         /* canned responses per language */
#define HANDOFF_CANNED_LEN_MAX 1000    /* bytes of a canned response */
#define HANDOFF_MATCH_MAX_BYTES 4096   /* only this much of a text is searched for topics/keywords */

struct handoff_config;

/* --- lifecycle --- */
/* Parses and checks `section` (the value of the `handoff` key; must be a
 * mapping). `path` names the file in messages; `langs` are the bot's
 * languages (n_langs >= 1; langs[0] is the default): every team needs a name
 * in each, and canned responses are accepted for these only.
 *
 * Defaults: agent_timeout_s 60 (1..3600), fallbacks 2 (0..10),
 * minutes_per_conversation 4 (1..120), default_team the first team. `teams`
 * is required (1..HANDOFF_TEAMS_MAX). A team without `hours` is open around
 * the clock except on holidays; with `hours`, a day not listed or "closed"
 * is closed ("hours: {}" is never open).
 *
 * Returns 0, or LK_ECONFIG with a message such as
 * "PATH: handoff.teams[2].hours.mon: '8-17' is not HH:MM-HH:MM"
 * (LK_EINVAL for bad arguments). On success *out is new; caller frees with
 * handoff_config_free(). On failure *out is NULL. */
int handoff_config_load(struct handoff_config **out, const json_t *section, const char *path,
			const char *const *langs, size_t n_langs, struct lk_err *err);
void handoff_config_free(struct handoff_config *c);

/* --- numbers --- */
int handoff_agent_timeout_s(const struct handoff_config *c);
int handoff_fallbacks(const struct handoff_config *c);              /* 0: never */
int handoff_minutes_per_conversation(const struct handoff_config *c);

/* 1 when s is a team id: [a-z0-9-], 1..HANDOFF_TEAM_ID_MAX bytes. */
int handoff_team_id_valid(const char *s);

/* --- teams (all strings borrowed from c) --- */
size_t handoff_team_count(const struct handoff_config *c);
/* The id of team i (in bot.yaml order); NULL when i is out of range. */
const char *handoff_team_id(const struct handoff_config *c, size_t i);
/* 0-based index of team id; -1 when unknown (or team NULL). */
int handoff_team_index(const struct handoff_config *c, const char *team);
/* The team's name in lang, else in the default language; NULL for an
 * unknown team. */
const char *handoff_team_name(const struct handoff_config *c, const char *team, const char *lang);
const char *handoff_default_team(const struct handoff_config *c);
/* The flow ids listed for team (NULL-terminated, never NULL; empty for an
 * unknown team). A flow belongs to at most one team. */
const char *const *handoff_team_flows(const struct handoff_config *c, const char *team);

/* --- routing --- */
/* The team of the first always_human entry one of whose topics occurs in
 * text, and (notice may be NULL) that entry's notice catalogue key or NULL;
 * NULL (and *notice NULL) when none occurs. */
const char *handoff_topic_team(const struct handoff_config *c, const char *text,
			       const char **notice);
/* The first team (in bot.yaml order) one of whose keywords occurs in text;
 * NULL when none. */
const char *handoff_keyword_team(const struct handoff_config *c, const char *text);
/* The team whose flows list holds flow_id; NULL when none. */
const char *handoff_flow_team(const struct handoff_config *c, const char *flow_id);

/* --- canned responses --- */
/* The canned responses for lang, exactly that language (borrowed,
 * NULL-terminated, never NULL; empty when none). */
const char *const *handoff_canned(const struct handoff_config *c, const char *lang);

/* --- catalogue keys --- */
/* The distinct notice keys of always_human (so bot loading can check that
 * the catalogue has them): count, and key i (NULL when out of range). */
size_t handoff_notice_count(const struct handoff_config *c);
const char *handoff_notice_key(const struct handoff_config *c, size_t i);

/* --- office hours (used by handoff_hours.c) --- */
/* An opening range in minutes after local midnight: open in [start, end);
 * 0 <= start < end <= 1440. */
struct handoff_range {
	int start;
	int end;
};
/* The opening ranges of team index `team` on weekday wday (0 Sunday ..
 * 6 Saturday), in order and not overlapping; sets *ranges (borrowed) and
 * returns how many (0: closed all day; unknown team or wday: 0). */
size_t handoff_team_day(const struct handoff_config *c, int team, int wday,
			const struct handoff_range **ranges);
/* 1 when local date `day` (days since 1970-01-01) is a holiday of every
 * team or of team index `team`; else 0. */
int handoff_team_holiday(const struct handoff_config *c, int team, int64_t day);

#endif
