/* test_handoff_config.c - unit tests for the `handoff:` section of bot.yaml
 * (src/handoff/handoff_config): a valid section, each refusal with its
 * message, and routing by topic, keyword and flow. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/yaml_json.h"
#include "handoff/handoff_config.h"

static const char *const langs[] = {"nl", "en"};

/* Numbers are strings, as yaml_json_load gives them. */
static const char *const valid_json =
	"{\"agent_timeout_s\": \"90\", \"fallbacks\": \"3\", \"minutes_per_conversation\": \"5\","
	" \"default_team\": \"afval\", \"holidays\": [\"2026-12-25\", \"2027-01-01\"],"
	" \"teams\": ["
	"  {\"id\": \"burgerzaken\", \"name\": {\"nl\": \"Burgerzaken\", \"en\": \"Civil affairs\"},"
	"   \"keywords\": [\"paspoort\", \"id-kaart\", \"uittreksel brp\"],"
	"   \"flows\": [\"afspraak\", \"afspraak-annuleren\"],"
	"   \"hours\": {\"mon\": \"08:30-17:00\", \"tue\": \"08:30-12:00, 13:00-17:00\","
	"              \"sat\": \"closed\"},"
	"   \"holidays\": [\"2026-12-24\"], \"@line\": 12},"
	"  {\"id\": \"afval\", \"name\": {\"nl\": \"Afval\", \"en\": \"Waste\", \"de\": \"Abfall\"},"
	"   \"keywords\": [\"container\", \"grofvuil\"], \"flows\": [\"melding\"]},"
	"  {\"id\": \"zorg\", \"name\": {\"nl\": \"Zorg\", \"en\": \"Care\"},"
	"   \"keywords\": [\"schuldhulp\", \"paspoort\"]}"
	" ],"
	" \"always_human\": ["
	"  {\"topics\": [\"huiselijk geweld\", \"geweld thuis\", \"domestic violence\"],"
	"   \"team\": \"zorg\", \"notice\": \"handoff_safety\"},"
	"  {\"topics\": [\"schuldhulp\", \"schulden\"], \"team\": \"zorg\"},"
	"  {\"topics\": [\"kindermishandeling\"], \"team\": \"zorg\", \"notice\": \"handoff_safety\"}"
	" ],"
	" \"canned\": {\"nl\": [\"Een moment.\", \"Dank u wel.\"], \"en\": [\"One moment.\"]}}";

static struct handoff_config *load_json(const char *text)
{
	struct handoff_config *c = NULL;
	struct lk_err err = {0};
	json_t *j = json_loads(text, 0, NULL);
	int rc;

	assert_non_null(j);
	rc = handoff_config_load(&c, j, "bot.yaml", langs, 2, &err);
	if (rc)
		fprintf(stderr, "unexpected: %s\n", err.msg);
	assert_int_equal(rc, 0);
	assert_non_null(c);
	json_decref(j);
	return c;
}

static void test_valid(void **state)
{
	struct handoff_config *c = load_json(valid_json);
	const char *const *canned;

	(void)state;
	assert_int_equal(handoff_agent_timeout_s(c), 90);
	assert_int_equal(handoff_fallbacks(c), 3);
	assert_int_equal(handoff_minutes_per_conversation(c), 5);
	assert_int_equal(handoff_team_count(c), 3);
	assert_string_equal(handoff_team_id(c, 0), "burgerzaken");
	assert_string_equal(handoff_team_id(c, 2), "zorg");
	assert_null(handoff_team_id(c, 3));
	assert_int_equal(handoff_team_index(c, "afval"), 1);
	assert_int_equal(handoff_team_index(c, "nope"), -1);
	assert_int_equal(handoff_team_index(c, NULL), -1);
	assert_string_equal(handoff_default_team(c), "afval");
	assert_string_equal(handoff_team_name(c, "burgerzaken", "en"), "Civil affairs");
	assert_string_equal(handoff_team_name(c, "burgerzaken", "nl"), "Burgerzaken");
	assert_string_equal(handoff_team_name(c, "afval", "de"), "Abfall");
	/* an unknown language: the default (first) language */
	assert_string_equal(handoff_team_name(c, "burgerzaken", "fr"), "Burgerzaken");
	assert_string_equal(handoff_team_name(c, "burgerzaken", NULL), "Burgerzaken");
	assert_null(handoff_team_name(c, "nope", "nl"));

	canned = handoff_canned(c, "nl");
	assert_string_equal(canned[0], "Een moment.");
	assert_string_equal(canned[1], "Dank u wel.");
	assert_null(canned[2]);
	assert_string_equal(handoff_canned(c, "en")[0], "One moment.");
	assert_null(handoff_canned(c, "en")[1]);
	assert_null(handoff_canned(c, "fr")[0]);
	assert_null(handoff_canned(c, NULL)[0]);

	/* notice keys, each once */
	assert_int_equal(handoff_notice_count(c), 1);
	assert_string_equal(handoff_notice_key(c, 0), "handoff_safety");
	assert_null(handoff_notice_key(c, 1));

	assert_string_equal(handoff_team_flows(c, "burgerzaken")[1], "afspraak-annuleren");
	assert_null(handoff_team_flows(c, "burgerzaken")[2]);
	assert_null(handoff_team_flows(c, "zorg")[0]);
	assert_null(handoff_team_flows(c, "nope")[0]);
	handoff_config_free(c);
}

static void test_defaults(void **state)
{
	struct handoff_config *c =
		load_json("{\"teams\": [{\"id\": \"a\", \"name\": {\"nl\": \"A\", \"en\": \"A\"}},"
			  " {\"id\": \"b-2\", \"name\": {\"nl\": \"B\", \"en\": \"B\"}}]}");

	(void)state;
	assert_int_equal(handoff_agent_timeout_s(c), 60);
	assert_int_equal(handoff_fallbacks(c), 2);
	assert_int_equal(handoff_minutes_per_conversation(c), 4);
	assert_string_equal(handoff_default_team(c), "a");
	assert_int_equal(handoff_notice_count(c), 0);
	assert_null(handoff_canned(c, "nl")[0]);
	assert_null(handoff_topic_team(c, "huiselijk geweld", NULL));
	assert_null(handoff_keyword_team(c, "paspoort"));
	assert_null(handoff_flow_team(c, "afspraak"));
	handoff_config_free(c);
}

static void test_hours_table(void **state)
{
	struct handoff_config *c = load_json(valid_json);
	const struct handoff_range *r;

	(void)state;
	assert_int_equal(handoff_team_day(c, 0, 1, &r), 1); /* mon */
	assert_int_equal(r[0].start, 8 * 60 + 30);
	assert_int_equal(r[0].end, 17 * 60);
	assert_int_equal(handoff_team_day(c, 0, 2, &r), 2); /* tue, with a space after the comma */
	assert_int_equal(r[0].end, 12 * 60);
	assert_int_equal(r[1].start, 13 * 60);
	assert_int_equal(handoff_team_day(c, 0, 3, &r), 0); /* wed: not listed */
	assert_int_equal(handoff_team_day(c, 0, 6, &r), 0); /* sat: closed */
	/* no hours: open all day */
	assert_int_equal(handoff_team_day(c, 1, 0, &r), 1);
	assert_int_equal(r[0].start, 0);
	assert_int_equal(r[0].end, 1440);
	assert_int_equal(handoff_team_day(c, 9, 0, &r), 0);
	assert_null(r);
	assert_int_equal(handoff_team_day(c, 0, 7, &r), 0);
	handoff_config_free(c);
}

/* ------------------------------------------------------------------ */
/* refusals                                                            */

static void expect_refusal(const char *text, const char *msg)
{
	struct handoff_config *c = (struct handoff_config *)1;
	struct lk_err err = {0};
	json_t *j = json_loads(text, 0, NULL);

	if (!j)
		fprintf(stderr, "bad test json: %s\n", text);
	assert_non_null(j);
	assert_int_equal(handoff_config_load(&c, j, "bot.yaml", langs, 2, &err), LK_ECONFIG);
	assert_null(c);
	if (strcmp(err.msg, msg))
		fprintf(stderr, "got:  %s\nwant: %s\n", err.msg, msg);
	assert_string_equal(err.msg, msg);
	json_decref(j);
}

#define T_A "{\"id\": \"a\", \"name\": {\"nl\": \"A\", \"en\": \"A\"}"
#define TEAMS_A "\"teams\": [" T_A "}]"

static void test_refusals_section(void **state)
{
	(void)state;
	expect_refusal("[]", "bot.yaml: handoff must be a mapping");
	expect_refusal("{}", "bot.yaml: handoff.teams: must be a list of at least one team");
	expect_refusal("{\"teams\": []}", "bot.yaml: handoff.teams: must be a list of at least one team");
	expect_refusal("{\"teams\": {}}", "bot.yaml: handoff.teams: must be a list of at least one team");
	expect_refusal("{\"team\": [], " TEAMS_A "}", "bot.yaml: handoff: unknown key 'team'");
	expect_refusal("{\"fallbacks\": \"11\", " TEAMS_A "}",
		       "bot.yaml: handoff.fallbacks must be a number from 0 to 10, not '11'");
	expect_refusal("{\"fallbacks\": \"1.5\", " TEAMS_A "}",
		       "bot.yaml: handoff.fallbacks must be a whole number, not '1.5'");
	expect_refusal("{\"agent_timeout_s\": \"0\", " TEAMS_A "}",
		       "bot.yaml: handoff.agent_timeout_s must be a number from 1 to 3600, not '0'");
	expect_refusal("{\"agent_timeout_s\": 4000, " TEAMS_A "}",
		       "bot.yaml: handoff.agent_timeout_s must be a number from 1 to 3600");
	expect_refusal("{\"minutes_per_conversation\": \"x\", " TEAMS_A "}",
		       "bot.yaml: handoff.minutes_per_conversation must be a number from 1 to 120, not 'x'");
	expect_refusal("{\"default_team\": \"b\", " TEAMS_A "}",
		       "bot.yaml: handoff.default_team: no team 'b'");
	expect_refusal("{\"holidays\": [\"2026-02-29\"], " TEAMS_A "}",
		       "bot.yaml: handoff.holidays: '2026-02-29' is not a date YYYY-MM-DD");
	expect_refusal("{\"holidays\": [\"25-12-2026\"], " TEAMS_A "}",
		       "bot.yaml: handoff.holidays: '25-12-2026' is not a date YYYY-MM-DD");
	expect_refusal("{\"holidays\": [\"2026-13-01\"], " TEAMS_A "}",
		       "bot.yaml: handoff.holidays: '2026-13-01' is not a date YYYY-MM-DD");
	expect_refusal("{\"holidays\": \"2026-12-25\", " TEAMS_A "}",
		       "bot.yaml: handoff.holidays: must be a list of dates like \"2026-12-25\"");
}

static void test_refusals_teams(void **state)
{
	(void)state;
	expect_refusal("{\"teams\": [\"a\"]}",
		       "bot.yaml: handoff.teams[0]: must be a mapping with id, name and the optional keywords, flows, hours, holidays");
	expect_refusal("{\"teams\": [" T_A "}, {\"id\": \"Burger Zaken\", \"name\": {\"nl\": \"B\", \"en\": \"B\"}}]}",
		       "bot.yaml: handoff.teams[1].id: 'Burger Zaken' is not a team id (a-z, 0-9 and '-', at most 31)");
	expect_refusal("{\"teams\": [{\"name\": {\"nl\": \"B\", \"en\": \"B\"}}]}",
		       "bot.yaml: handoff.teams[0].id: '' is not a team id (a-z, 0-9 and '-', at most 31)");
	expect_refusal("{\"teams\": [{\"id\": \"abcdefghijabcdefghijabcdefghijab\", \"name\": {}}]}",
		       "bot.yaml: handoff.teams[0].id: 'abcdefghijabcdefghijabcdefghijab' is not a team id (a-z, 0-9 and '-', at most 31)");
	expect_refusal("{\"teams\": [" T_A "}, " T_A "}]}",
		       "bot.yaml: handoff.teams[1].id: team 'a' is listed twice");
	expect_refusal("{\"teams\": [{\"id\": \"a\", \"name\": {\"nl\": \"A\"}}]}",
		       "bot.yaml: handoff.teams[0].name: no name in 'en'");
	expect_refusal("{\"teams\": [{\"id\": \"a\", \"name\": \"A\"}]}",
		       "bot.yaml: handoff.teams[0].name: must be a mapping of language to name, like {nl: Burgerzaken, en: Civil affairs}");
	expect_refusal("{\"teams\": [{\"id\": \"a\", \"name\": {\"nl\": \"\", \"en\": \"A\"}}]}",
		       "bot.yaml: handoff.teams[0].name: the name in 'nl' must be text of 1 to 100 bytes");
	expect_refusal("{\"teams\": [" T_A ", \"colour\": \"red\"}]}",
		       "bot.yaml: handoff.teams[0]: unknown key 'colour'");
	expect_refusal("{\"teams\": [" T_A ", \"flows\": [\"Afspraak!\"]}]}",
		       "bot.yaml: handoff.teams[0].flows: 'Afspraak!' is not a flow id");
	expect_refusal("{\"teams\": [" T_A ", \"flows\": [\"x\"]}, {\"id\": \"b\", \"name\": {\"nl\": \"B\", \"en\": \"B\"}, \"flows\": [\"x\"]}]}",
		       "bot.yaml: handoff.teams[1].flows: flow 'x' is already in team 'a'");
	expect_refusal("{\"teams\": [" T_A ", \"keywords\": \"paspoort\"}]}",
		       "bot.yaml: handoff.teams[0].keywords: must be a list of words or phrases");
	expect_refusal("{\"teams\": [" T_A ", \"keywords\": [\"...\"]}]}",
		       "bot.yaml: handoff.teams[0].keywords[0]: '...' has no words");
	expect_refusal("{\"teams\": [" T_A ", \"keywords\": [\"a b c d e f g h i\"]}]}",
		       "bot.yaml: handoff.teams[0].keywords[0]: 'a b c d e f g h i' has more than 8 words");
	expect_refusal("{\"teams\": [" T_A ", \"keywords\": [\"\"]}]}",
		       "bot.yaml: handoff.teams[0].keywords[0]: must be a word or phrase");
	expect_refusal("{\"teams\": [" T_A ", \"holidays\": [\"2026-04-31\"]}]}",
		       "bot.yaml: handoff.teams[0].holidays: '2026-04-31' is not a date YYYY-MM-DD");
}

static void test_refusals_hours(void **state)
{
	(void)state;
	expect_refusal("{\"teams\": [" T_A "}, {\"id\": \"b\", \"name\": {\"nl\": \"B\", \"en\": \"B\"}}, {\"id\": \"c\", \"name\": {\"nl\": \"C\", \"en\": \"C\"},"
		       " \"hours\": {\"mon\": \"8-17\"}}]}",
		       "bot.yaml: handoff.teams[2].hours.mon: '8-17' is not HH:MM-HH:MM");
	expect_refusal("{\"teams\": [" T_A ", \"hours\": {\"tue\": \"17:00-08:30\"}}]}",
		       "bot.yaml: handoff.teams[0].hours.tue: '17:00-08:30': 17:00-08:30 must end after it starts");
	expect_refusal("{\"teams\": [" T_A ", \"hours\": {\"tue\": \"08:30-08:30\"}}]}",
		       "bot.yaml: handoff.teams[0].hours.tue: '08:30-08:30': 08:30-08:30 must end after it starts");
	expect_refusal("{\"teams\": [" T_A ", \"hours\": {\"wed\": \"24:00-24:00\"}}]}",
		       "bot.yaml: handoff.teams[0].hours.wed: '24:00-24:00' is not HH:MM-HH:MM");
	expect_refusal("{\"teams\": [" T_A ", \"hours\": {\"wed\": \"08:00-24:30\"}}]}",
		       "bot.yaml: handoff.teams[0].hours.wed: '08:00-24:30' is not HH:MM-HH:MM");
	expect_refusal("{\"teams\": [" T_A ", \"hours\": {\"wed\": \"08:60-12:00\"}}]}",
		       "bot.yaml: handoff.teams[0].hours.wed: '08:60-12:00' is not HH:MM-HH:MM");
	expect_refusal("{\"teams\": [" T_A ", \"hours\": {\"wed\": \"08:00-12:00,\"}}]}",
		       "bot.yaml: handoff.teams[0].hours.wed: '08:00-12:00,' is not HH:MM-HH:MM");
	expect_refusal("{\"teams\": [" T_A ", \"hours\": {\"wed\": \"08:00-12:00;13:00-14:00\"}}]}",
		       "bot.yaml: handoff.teams[0].hours.wed: '08:00-12:00;13:00-14:00' is not HH:MM-HH:MM");
	expect_refusal("{\"teams\": [" T_A ", \"hours\": {\"wed\": \"Closed\"}}]}",
		       "bot.yaml: handoff.teams[0].hours.wed: 'Closed' is not HH:MM-HH:MM");
	expect_refusal("{\"teams\": [" T_A ", \"hours\": {\"thu\": \"08:00-12:00,11:00-13:00\"}}]}",
		       "bot.yaml: handoff.teams[0].hours.thu: '08:00-12:00,11:00-13:00': the ranges must be in order and must not overlap");
	expect_refusal("{\"teams\": [" T_A ", \"hours\": {\"thu\": \"13:00-14:00,08:00-12:00\"}}]}",
		       "bot.yaml: handoff.teams[0].hours.thu: '13:00-14:00,08:00-12:00': the ranges must be in order and must not overlap");
	expect_refusal("{\"teams\": [" T_A ", \"hours\": {\"fri\": \"01:00-02:00,03:00-04:00,05:00-06:00,07:00-08:00,"
		       "09:00-10:00,11:00-12:00,13:00-14:00,15:00-16:00,17:00-18:00\"}}]}",
		       "bot.yaml: handoff.teams[0].hours.fri: '01:00-02:00,03:00-04:00,05:00-06:00,07:00-08:00,09:00-10:00,': at most 8 ranges a day");
	expect_refusal("{\"teams\": [" T_A ", \"hours\": {\"fri\": \"\"}}]}",
		       "bot.yaml: handoff.teams[0].hours.fri: '' is not HH:MM-HH:MM");
	expect_refusal("{\"teams\": [" T_A ", \"hours\": {\"fri\": [\"08:00-12:00\"]}}]}",
		       "bot.yaml: handoff.teams[0].hours.fri: must be text like \"08:30-17:00\" or \"closed\"");
	expect_refusal("{\"teams\": [" T_A ", \"hours\": {\"monday\": \"08:00-12:00\"}}]}",
		       "bot.yaml: handoff.teams[0].hours: unknown key 'monday'");
	expect_refusal("{\"teams\": [" T_A ", \"hours\": \"08:00-12:00\"}]}",
		       "bot.yaml: handoff.teams[0].hours: must be a mapping of days (mon..sun) to hours like \"08:30-17:00\"");
}

static void test_refusals_always_human_canned(void **state)
{
	(void)state;
	expect_refusal("{" TEAMS_A ", \"always_human\": {\"topics\": [\"x\"]}}",
		       "bot.yaml: handoff.always_human: must be a list of {topics, team, notice}");
	expect_refusal("{" TEAMS_A ", \"always_human\": [\"x\"]}",
		       "bot.yaml: handoff.always_human[0]: must be a mapping with topics, team and an optional notice");
	expect_refusal("{" TEAMS_A ", \"always_human\": [{\"topics\": [\"x\"], \"team\": \"zorg\"}]}",
		       "bot.yaml: handoff.always_human[0].team: no team 'zorg'");
	expect_refusal("{" TEAMS_A ", \"always_human\": [{\"topics\": [\"x\"]}]}",
		       "bot.yaml: handoff.always_human[0].team: a team is required");
	expect_refusal("{" TEAMS_A ", \"always_human\": [{\"topics\": [], \"team\": \"a\"}]}",
		       "bot.yaml: handoff.always_human[0].topics: must be a list of words or phrases");
	expect_refusal("{" TEAMS_A ", \"always_human\": [{\"team\": \"a\"}]}",
		       "bot.yaml: handoff.always_human[0].topics: must be a list of words or phrases");
	expect_refusal("{" TEAMS_A ", \"always_human\": [{\"topics\": [\"x\"], \"team\": \"a\", \"notice\": \"Handoff Safety\"}]}",
		       "bot.yaml: handoff.always_human[0].notice: 'Handoff Safety' is not a message key (a-z, 0-9, '_')");
	expect_refusal("{" TEAMS_A ", \"always_human\": [{\"topics\": [\"x\"], \"team\": \"a\", \"tema\": \"a\"}]}",
		       "bot.yaml: handoff.always_human[0]: unknown key 'tema'");
	expect_refusal("{" TEAMS_A ", \"canned\": [\"Een moment.\"]}",
		       "bot.yaml: handoff.canned: must be a mapping of language to a list of texts");
	expect_refusal("{" TEAMS_A ", \"canned\": {\"fr\": [\"Un moment.\"]}}",
		       "bot.yaml: handoff.canned.fr: 'fr' is not a language of this bot");
	expect_refusal("{" TEAMS_A ", \"canned\": {\"nl\": \"Een moment.\"}}",
		       "bot.yaml: handoff.canned.nl: must be a list of texts");
	expect_refusal("{" TEAMS_A ", \"canned\": {\"nl\": [\"Een moment.\", \"\"]}}",
		       "bot.yaml: handoff.canned.nl: text 1 must be 1 to 1000 bytes");
}

static void test_bad_arguments(void **state)
{
	struct handoff_config *c = NULL;
	struct lk_err err = {0};
	json_t *j = json_loads("{" TEAMS_A "}", 0, NULL);

	(void)state;
	assert_int_equal(handoff_config_load(&c, j, "bot.yaml", langs, 0, &err), LK_EINVAL);
	assert_null(c);
	assert_int_equal(handoff_config_load(NULL, j, "bot.yaml", langs, 2, &err), LK_EINVAL);
	assert_int_equal(handoff_config_load(&c, NULL, "bot.yaml", langs, 2, &err), LK_ECONFIG);
	/* err may be NULL; a single language needs a name in that one only */
	assert_int_equal(handoff_config_load(&c, j, NULL, langs, 1, NULL), 0);
	assert_string_equal(handoff_team_name(c, "a", "en"), "A");
	handoff_config_free(c);
	handoff_config_free(NULL);
	json_decref(j);
}

/* ------------------------------------------------------------------ */
/* routing                                                             */

static void test_topic_matching(void **state)
{
	struct handoff_config *c = load_json(valid_json);
	const char *notice = "x";

	(void)state;
	/* case, spacing, punctuation between the words of a phrase */
	assert_string_equal(handoff_topic_team(c, "Ik heb last van Huiselijk  geweld!", &notice), "zorg");
	assert_string_equal(notice, "handoff_safety");
	assert_string_equal(handoff_topic_team(c, "HUISELIJK, GEWELD", &notice), "zorg");
	assert_string_equal(handoff_topic_team(c, "er is geweld\nthuis", &notice), "zorg");
	/* the words must be in a row */
	assert_null(handoff_topic_team(c, "huiselijk en geweld", &notice));
	assert_null(notice);
	assert_null(handoff_topic_team(c, "geweld huiselijk", &notice));
	/* a stem: "schulden" listed, "schuld" written; a topic without notice */
	notice = "x";
	assert_string_equal(handoff_topic_team(c, "Ik heb een schuld", &notice), "zorg");
	assert_null(notice);
	assert_string_equal(handoff_topic_team(c, "Mijn SCHULDEN groeien", NULL), "zorg");
	/* accents */
	assert_string_equal(handoff_topic_team(c, "Kindermishandéling", &notice), "zorg");
	assert_string_equal(notice, "handoff_safety");
	/* plural by stem */
	assert_string_equal(handoff_topic_team(c, "Ik vermoed kindermishandelingen", NULL), "zorg");
	/* English topic */
	assert_string_equal(handoff_topic_team(c, "I am a victim of domestic violence.", NULL), "zorg");
	/* no part of a compound: "schuldhulpverlening" is not "schuldhulp" */
	assert_null(handoff_topic_team(c, "Wat doet schuldhulpverlening?", &notice));
	assert_null(handoff_topic_team(c, "geweldig thuisfront", &notice));
	assert_null(handoff_topic_team(c, "", &notice));
	assert_null(handoff_topic_team(c, NULL, &notice));
	assert_null(handoff_topic_team(NULL, "huiselijk geweld", &notice));
	assert_null(notice);
	/* invalid UTF-8 does not stop the match */
	assert_string_equal(handoff_topic_team(c, "\xff\xfe huiselijk \xc3 geweld", NULL), "zorg");
	handoff_config_free(c);
}

static void test_keyword_matching(void **state)
{
	struct handoff_config *c = load_json(valid_json);

	(void)state;
	assert_string_equal(handoff_keyword_team(c, "Mijn PASPOORT is verlopen"), "burgerzaken");
	/* plural by stem */
	assert_string_equal(handoff_keyword_team(c, "paspoorten"), "burgerzaken");
	/* a keyword of two teams: the first team in bot.yaml order */
	assert_string_equal(handoff_keyword_team(c, "zorg over mijn paspoort"), "burgerzaken");
	assert_string_equal(handoff_keyword_team(c, "Waar laat ik mijn containers?"), "afval");
	assert_string_equal(handoff_keyword_team(c, "ik zoek schuldhulp"), "zorg");
	/* a hyphenated keyword, with or without the hyphen */
	assert_string_equal(handoff_keyword_team(c, "Mijn ID-kaart kwijt"), "burgerzaken");
	assert_string_equal(handoff_keyword_team(c, "mijn id kaart"), "burgerzaken");
	assert_string_equal(handoff_keyword_team(c, "mijn idkaart"), "burgerzaken");
	assert_null(handoff_keyword_team(c, "mijn id of kaart"));
	/* a phrase keyword */
	assert_string_equal(handoff_keyword_team(c, "een uittreksel (BRP) aanvragen"), "burgerzaken");
	assert_null(handoff_keyword_team(c, "een uittreksel"));
	/* whole words only */
	assert_null(handoff_keyword_team(c, "paspoortfoto"));
	assert_null(handoff_keyword_team(c, "schuldhulpverlening"));
	assert_null(handoff_keyword_team(c, "grofvuilophaaldienst"));
	assert_null(handoff_keyword_team(c, "hallo"));
	handoff_config_free(c);
}

static void test_keyword_bounded(void **state)
{
	struct handoff_config *c = load_json(valid_json);
	size_t n = 3 * HANDOFF_MATCH_MAX_BYTES;
	char *text = malloc(n + 32);

	(void)state;
	assert_non_null(text);
	/* a keyword past HANDOFF_MATCH_MAX_BYTES is not searched */
	memset(text, 'a', n);
	for (size_t i = 5; i < n; i += 6)
		text[i] = ' ';
	strcpy(text + n, " paspoort");
	assert_null(handoff_keyword_team(c, text));
	memcpy(text, "grofvuil ", 9);
	assert_string_equal(handoff_keyword_team(c, text), "afval");
	free(text);
	handoff_config_free(c);
}

static void test_flow_matching(void **state)
{
	struct handoff_config *c = load_json(valid_json);

	(void)state;
	assert_string_equal(handoff_flow_team(c, "afspraak"), "burgerzaken");
	assert_string_equal(handoff_flow_team(c, "afspraak-annuleren"), "burgerzaken");
	assert_string_equal(handoff_flow_team(c, "melding"), "afval");
	assert_null(handoff_flow_team(c, "afspraak-verzetten"));
	assert_null(handoff_flow_team(c, "Afspraak"));
	assert_null(handoff_flow_team(c, NULL));
	handoff_config_free(c);
}

/* The demo bot's section loads (read as loket reads bot.yaml). */
static void test_demo_bot(void **state)
{
	const char *src = getenv("LOKET_SRC");
	const char *dlangs[] = {"nl", "en"};
	struct handoff_config *c = NULL;
	struct lk_err err = {0};
	json_t *root = NULL;
	char path[4096];
	const char *notice = NULL;

	(void)state;
	snprintf(path, sizeof(path), "%s/bots/gemeente-demo/bot.yaml", src ? src : ".");
	assert_int_equal(yaml_json_load(path, NULL, &root, &err), 0);
	if (handoff_config_load(&c, json_object_get(root, "handoff"), path, dlangs, 2, &err))
		fprintf(stderr, "%s\n", err.msg);
	assert_non_null(c);
	assert_int_equal(handoff_team_count(c), 4);
	assert_string_equal(handoff_default_team(c), "burgerzaken");
	assert_string_equal(handoff_flow_team(c, "parkeervergunning"), "belastingen");
	assert_string_equal(handoff_flow_team(c, "afspraak-verzetten"), "burgerzaken");
	assert_string_equal(handoff_flow_team(c, "melding"), "afval");
	assert_string_equal(handoff_keyword_team(c, "Mijn rijbewijs is verlopen"), "burgerzaken");
	assert_string_equal(handoff_keyword_team(c, "vraag over de OZB-aanslag"), "belastingen");
	assert_string_equal(handoff_keyword_team(c, "de container is niet geleegd"), "afval");
	assert_string_equal(handoff_keyword_team(c, "Ik wil mantelzorg aanvragen"), "zorg");
	assert_string_equal(handoff_topic_team(c, "Er is huiselijk geweld bij ons", &notice), "zorg");
	assert_string_equal(notice, "handoff_safety");
	assert_string_equal(handoff_topic_team(c, "I need debt help", &notice), "zorg");
	assert_null(handoff_topic_team(c, "Ik wil een paspoort", &notice));
	assert_true(handoff_canned(c, "nl")[4] != NULL);
	assert_true(handoff_canned(c, "en")[4] != NULL);
	assert_int_equal(handoff_notice_count(c), 1);
	handoff_config_free(c);
	json_decref(root);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_hours_table),
		cmocka_unit_test(test_refusals_section),
		cmocka_unit_test(test_refusals_teams),
		cmocka_unit_test(test_refusals_hours),
		cmocka_unit_test(test_refusals_always_human_canned),
		cmocka_unit_test(test_bad_arguments),
		cmocka_unit_test(test_topic_matching),
		cmocka_unit_test(test_keyword_matching),
		cmocka_unit_test(test_keyword_bounded),
		cmocka_unit_test(test_flow_matching),
		cmocka_unit_test(test_demo_bot),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
