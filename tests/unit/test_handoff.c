/* test_handoff.c - unit tests for the human handoff service (src/handoff/
 * handoff.c) over a small bot written to a temporary folder: the citizen's
 * side (asking for a person, places in the queue, waiting, cancelling,
 * always-human topics, fallbacks in a row, closed hours) and the agents'
 * side (claims, replies, transfer, release, return, close, assign, audit,
 * the queue per agent, the timeout of a vanished agent, live events).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "conv/conv.h"
#include "core/clock.h"
#include "core/mem.h"
#include "handoff/agent_auth.h"
#include "handoff/handoff.h"

#define PASSWORD "een-lang-wachtwoord-42"

/* ------------------------------------------------------------------ */
/* the test bot                                                        */

static const char bot_yaml[] =
	"id: test-handoff\n"
	"name: Gemeente Test\n"
	"default_lang: nl\n"
	"languages: [nl, en]\n"
	"contact:\n"
	"  phone: \"14 0999\"\n"
	"  url: https://www.example.nl/contact\n"
	"  hours: \"maandag tot en met vrijdag\"\n"
	"retrieval:\n"
	"  answer_threshold: 0.5\n"
	"  suggest_threshold: 0.2\n"
	"handoff:\n"
	"  agent_timeout_s: %d\n"
	"  fallbacks: 2\n"
	"  minutes_per_conversation: 3\n"
	"  default_team: loket\n"
	"  teams:\n"
	"    - id: loket\n"
	"      name: {nl: Publiekszaken, en: Public affairs}\n"
	"      keywords: [paspoort]\n"
	"    - id: zorg\n"
	"      name: {nl: Zorg, en: Care}\n"
	"      keywords: [wmo]\n"
	"    - id: nacht\n"
	"      name: {nl: Nachtdienst, en: Night desk}\n"
	"      keywords: [nachtdienst]\n"
	"      hours: {}\n"
	"    - id: dag\n"
	"      name: {nl: Dagbalie, en: Day desk}\n"
	"      keywords: [dagbalie]\n"
	"      hours:\n"
	"        mon: \"08:30-17:00\"\n"
	"        tue: \"08:30-12:00,13:00-17:00\"\n"
	"      holidays: [\"2026-11-23\"]\n"
	"  always_human:\n"
	"    - topics: [schuldhulp, schulden]\n"
	"      team: zorg\n"
	"      notice: handoff_safety\n"
	"  canned:\n"
	"    nl: [\"Een moment, ik zoek het voor u uit.\"]\n"
	"    en: [\"One moment, I will look it up.\"]\n";

static const char nl_yaml[] =
	"messages:\n"
	"  ai_notice: \"Welkom. U praat met een AI-assistent.\"\n"
	"  answer_source: \"Bron\"\n"
	"  feedback_helped: \"Dit heeft me geholpen\"\n"
	"  feedback_not_helped: \"Dit heeft me niet geholpen\"\n"
	"  feedback_thanks: \"Dank u wel.\"\n"
	"  feedback_sorry: \"Jammer.\"\n"
	"  suggestions_intro: \"Bedoelt u een van deze onderwerpen?\"\n"
	"  fallback: \"Dat weet ik helaas niet.\"\n"
	"  handoff_offer: \"Bel {contact_phone}.\"\n"
	"  handoff_button: \"Ik wil een medewerker spreken\"\n"
	"  smalltalk_greeting: \"Hallo!\"\n"
	"  smalltalk_thanks: \"Graag gedaan!\"\n"
	"  smalltalk_goodbye: \"Tot ziens!\"\n"
	"  smalltalk_who: \"Ik ben een AI-assistent.\"\n"
	"  more_button: \"Meer informatie\"\n"
	"  handoff_queued: \"U bent nummer {position} voor {team}. Wachttijd ongeveer {minutes} minuten.\"\n"
	"  handoff_cancel_button: \"Stop met wachten\"\n"
	"  handoff_cancelled: \"U wacht niet meer op een medewerker.\"\n"
	"  handoff_assigned: \"{agent} van {team} helpt u nu.\"\n"
	"  handoff_transferred: \"Uw vraag is doorgezet naar {team}. U bent nummer {position}.\"\n"
	"  handoff_requeued: \"U staat weer in de wachtrij van {team}: nummer {position}.\"\n"
	"  handoff_returned: \"{agent} geeft u terug aan de digitale assistent.\"\n"
	"  handoff_closed: \"{agent} heeft het gesprek afgesloten.\"\n"
	"  handoff_closed_hours: \"{team} is nu gesloten. Wij zijn er weer {next_open}.\"\n"
	"  handoff_next_open_format: \"op {day} vanaf {time} uur\"\n"
	"  handoff_never_open: \"later\"\n"
	"  handoff_ticket_button: \"Vraag achterlaten\"\n"
	"  handoff_no_button: \"Nee, bedankt\"\n"
	"  handoff_declined: \"Goed. Waar kan ik u nog mee helpen?\"\n"
	"  handoff_still_waiting: \"U wacht nog: nummer {position}.\"\n"
	"  handoff_safety: \"Bent u in direct gevaar? Bel 112.\"\n"
	"  date_days: \"zondag,maandag,dinsdag,woensdag,donderdag,vrijdag,zaterdag\"\n"
	"intents:\n"
	"  greeting: [hallo, hoi]\n"
	"  thanks: [bedankt]\n"
	"  goodbye: [\"tot ziens\"]\n"
	"  who: [\"wie ben jij\"]\n"
	"  human: [medewerker, \"een medewerker\", \"ik wil een medewerker spreken\", \"een mens\"]\n";

static const char en_yaml[] =
	"messages:\n"
	"  ai_notice: \"Welcome. You are talking to an AI assistant.\"\n"
	"  answer_source: \"Source\"\n"
	"  feedback_helped: \"This helped\"\n"
	"  feedback_not_helped: \"This did not help\"\n"
	"  feedback_thanks: \"Thank you.\"\n"
	"  feedback_sorry: \"Sorry.\"\n"
	"  suggestions_intro: \"Do you mean one of these topics?\"\n"
	"  fallback: \"I do not know that.\"\n"
	"  handoff_offer: \"Call {contact_phone}.\"\n"
	"  handoff_button: \"I want to talk to a person\"\n"
	"  smalltalk_greeting: \"Hello!\"\n"
	"  smalltalk_thanks: \"You are welcome!\"\n"
	"  smalltalk_goodbye: \"Goodbye!\"\n"
	"  smalltalk_who: \"I am an AI assistant.\"\n"
	"  more_button: \"More information\"\n"
	"  handoff_queued: \"You are number {position} for {team}. About {minutes} minutes.\"\n"
	"  handoff_cancel_button: \"Stop waiting\"\n"
	"  handoff_cancelled: \"You are no longer waiting.\"\n"
	"  handoff_assigned: \"{agent} of {team} is helping you now.\"\n"
	"  handoff_transferred: \"Your question went to {team}. You are number {position}.\"\n"
	"  handoff_requeued: \"You are back in the queue of {team}: number {position}.\"\n"
	"  handoff_returned: \"{agent} hands you back to the digital assistant.\"\n"
	"  handoff_closed: \"{agent} closed the conversation.\"\n"
	"  handoff_closed_hours: \"{team} is closed now. We are back {next_open}.\"\n"
	"  handoff_next_open_format: \"on {day} from {time}\"\n"
	"  handoff_never_open: \"later\"\n"
	"  handoff_ticket_button: \"Leave a question\"\n"
	"  handoff_no_button: \"No, thanks\"\n"
	"  handoff_declined: \"Fine. How else can I help?\"\n"
	"  handoff_still_waiting: \"You are still waiting: number {position}.\"\n"
	"  handoff_safety: \"In direct danger? Call 112.\"\n"
	"  date_days: \"Sunday,Monday,Tuesday,Wednesday,Thursday,Friday,Saturday\"\n"
	"intents:\n"
	"  greeting: [hello, hi]\n"
	"  thanks: [thanks]\n"
	"  goodbye: [goodbye]\n"
	"  who: [\"who are you\"]\n"
	"  human: [\"a person\", \"talk to a person\", \"an employee\"]\n";

static const char kb_jsonl[] =
	"{\"id\": \"t-paspoort\", \"question\": \"Hoe vraag ik een paspoort aan?\", \"title\":"
	" \"Paspoort aanvragen\", \"answer\": \"U vraagt een paspoort aan bij de gemeente waar u"
	" staat ingeschreven. Maak eerst een afspraak. Neem een pasfoto mee.\", \"url\":"
	" \"https://www.example.nl/paspoort\", \"lang\": \"nl\", \"tags\": \"paspoort,aanvragen\"}\n"
	"{\"id\": \"t-schuldhulp\", \"question\": \"Hoe krijg ik schuldhulp?\", \"title\":"
	" \"Schuldhulp\", \"answer\": \"Heeft u schulden? De gemeente helpt u met schuldhulp."
	" Meld u aan bij het team Zorg.\", \"url\": \"https://www.example.nl/schuldhulp\","
	" \"lang\": \"nl\", \"tags\": \"schuldhulp,schulden\"}\n"
	"{\"id\": \"t-afval\", \"question\": \"Wanneer wordt het grofvuil opgehaald?\", \"title\":"
	" \"Grofvuil\", \"answer\": \"Grofvuil halen wij op afspraak op. Maak een afspraak op de"
	" website.\", \"url\": \"https://www.example.nl/grofvuil\", \"lang\": \"nl\","
	" \"tags\": \"grofvuil,afval\"}\n";

static void write_file(const char *dir, const char *name, const char *text)
{
	char path[512];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fp = fopen(path, "w");
	assert_non_null(fp);
	assert_int_equal(fputs(text, fp) >= 0, 1);
	assert_int_equal(fclose(fp), 0);
}

static void remove_file(const char *dir, const char *name)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	unlink(path);
}

/* ------------------------------------------------------------------ */
/* fixture                                                             */

enum { ANNA, BERT, ZOE, SAM, N_AGENTS };

struct fixture {
	char dir[64];
	struct bot *bot;
	struct store *st;
	struct kb_live *kb;
	struct conv_engine *e;
	struct handoff *h;
	struct store_agent ag[N_AGENTS];
};

static void make_agent(struct fixture *f, int who, const char *username, const char *name,
		       const char *role, const char *teams)
{
	char id[STORE_AGENT_ID_MAX];
	struct lk_err err = {0};

	assert_int_equal(agent_account_create(f->st, bot_id(f->bot), username, name, role, teams,
					      PASSWORD, id, &err),
			 0);
	memset(&f->ag[who], 0, sizeof(f->ag[who]));
	assert_int_equal(store_agent_get(f->st, bot_id(f->bot), id, &f->ag[who], &err), 0);
	assert_string_equal(f->ag[who].id, id);
}

static int setup_at_db(void **state, int timeout_s, int64_t fixed_now, int file_db)
{
	struct fixture *f = xcalloc(1, sizeof(*f));
	struct lk_err err = {0};
	char path[512], yaml[sizeof(bot_yaml) + 16];
	int rc;

	lk_clock_fix(fixed_now); /* before any thread starts */
	snprintf(f->dir, sizeof(f->dir), "/tmp/loket-test-handoff-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(path, sizeof(path), "%s/messages", f->dir);
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/kb", f->dir);
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(yaml, sizeof(yaml), bot_yaml, timeout_s);
	write_file(f->dir, "bot.yaml", yaml);
	write_file(f->dir, "messages/nl.yaml", nl_yaml);
	write_file(f->dir, "messages/en.yaml", en_yaml);
	write_file(f->dir, "kb/kb.jsonl", kb_jsonl);

	rc = bot_load(&f->bot, f->dir, &err);
	if (rc)
		fprintf(stderr, "bot_load: %s\n", err.msg);
	assert_int_equal(rc, 0);
	assert_non_null(bot_handoff(f->bot));
	if (file_db) {
		/* a real pool of connections, for races */
		snprintf(path, sizeof(path), "sqlite:%s/loket.db", f->dir);
		assert_int_equal(store_open(&f->st, path, &err), 0);
	} else {
		assert_int_equal(store_open(&f->st, "sqlite::memory:", &err), 0);
	}
	snprintf(path, sizeof(path), "%s/kb", f->dir);
	assert_int_equal(kb_live_import_dir(f->st, bot_id(f->bot), path, NULL, &err), 0);
	assert_int_equal(kb_live_open(&f->kb, f->st, bot_id(f->bot), NULL, &err), 0);
	assert_int_equal(conv_engine_new(&f->e, f->bot, f->st, f->kb, &err), 0);
	assert_int_equal(handoff_new(&f->h, f->bot, f->st, f->e, &err), 0);
	make_agent(f, ANNA, "anna", "Anna", "agent", "[\"loket\"]");
	make_agent(f, BERT, "bert", "Bert", "agent", "[\"loket\"]");
	make_agent(f, ZOE, "zoe", "Zoë", "agent", "[\"zorg\"]");
	make_agent(f, SAM, "sam", "Sam", "supervisor", "[]");
	*state = f;
	return 0;
}

static int setup_at(void **state, int timeout_s, int64_t fixed_now)
{
	return setup_at_db(state, timeout_s, fixed_now, 0);
}

static int setup_file_db(void **state)
{
	return setup_at_db(state, 60, 0, 1);
}

static int setup(void **state)
{
	return setup_at(state, 60, 0);
}

static int setup_fast_timeout(void **state)
{
	return setup_at(state, 1, 0);
}

/* Saturday 21 November 2026, 12:00 in Amsterdam (winter time). */
static int setup_saturday(void **state)
{
	return setup_at(state, 60, 1795258800);
}

/* Saturday 4 July 2026, 12:00 in Amsterdam (summer time). */
static int setup_summer_saturday(void **state)
{
	return setup_at(state, 60, 1783159200);
}

/* Tuesday 24 November 2026, 10:00 and 12:30 in Amsterdam. */
static int setup_tuesday_morning(void **state)
{
	return setup_at(state, 60, 1795510800);
}

static int setup_tuesday_lunch(void **state)
{
	return setup_at(state, 60, 1795510800 + 150 * 60);
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char path[512];

	handoff_free(f->h);
	conv_engine_free(f->e);
	kb_live_free(f->kb);
	store_close(f->st);
	bot_free(f->bot);
	for (int i = 0; i < N_AGENTS; i++)
		store_agent_release(&f->ag[i]);
	remove_file(f->dir, "bot.yaml");
	remove_file(f->dir, "messages/nl.yaml");
	remove_file(f->dir, "messages/en.yaml");
	remove_file(f->dir, "kb/kb.jsonl");
	remove_file(f->dir, "loket.db");
	remove_file(f->dir, "loket.db-wal");
	remove_file(f->dir, "loket.db-shm");
	remove_file(f->dir, "loket.db-journal");
	snprintf(path, sizeof(path), "%s/messages", f->dir);
	rmdir(path);
	snprintf(path, sizeof(path), "%s/kb", f->dir);
	rmdir(path);
	rmdir(f->dir);
	free(f);
	lk_clock_fix(0); /* every thread is gone */
	return 0;
}

/* ------------------------------------------------------------------ */
/* helpers                                                             */

struct conv {
	char id[64], token[128];
};

static void new_conv(struct fixture *f, struct conv *c)
{
	struct lk_err err = {0};
	json_t *out = NULL;

	assert_int_equal(conv_create(f->e, NULL, "web", &out, &err), 0);
	snprintf(c->id, sizeof(c->id), "%s", json_string_value(json_object_get(out, "id")));
	snprintf(c->token, sizeof(c->token), "%s", json_string_value(json_object_get(out, "token")));
	json_decref(out);
}

/* Posts text or action; returns the reply (caller owns). */
static json_t *post(struct fixture *f, const struct conv *c, const char *text, const char *action)
{
	struct lk_err err = {0};
	json_t *out = NULL;
	int rc = conv_post(f->e, c->id, c->token, text, action, &out, &err);

	if (rc)
		fprintf(stderr, "conv_post: %s\n", err.msg);
	assert_int_equal(rc, 0);
	assert_non_null(out);
	return out;
}

static json_t *msg_at(json_t *out, size_t i)
{
	return json_array_get(json_object_get(out, "messages"), i);
}

static const char *str(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : "";
}

static json_int_t num(json_t *o, const char *key)
{
	return json_integer_value(json_object_get(o, key));
}

static json_t *state_handoff(json_t *out)
{
	return json_object_get(json_object_get(out, "state"), "handoff");
}

/* A new conversation whose citizen asked for a person (queued). */
static void queued_conv(struct fixture *f, struct conv *c)
{
	json_t *out;

	new_conv(f, c);
	out = post(f, c, NULL, "handoff:request");
	assert_string_equal(str(state_handoff(out), "status"), "waiting");
	json_decref(out);
}

static void claim(struct fixture *f, int who, const struct conv *c)
{
	struct lk_err err = {0};
	json_t *out = NULL;
	int rc = handoff_claim(f->h, &f->ag[who], c->id, &out, &err);

	if (rc)
		fprintf(stderr, "handoff_claim: %s\n", err.msg);
	assert_int_equal(rc, 0);
	assert_string_equal(str(json_object_get(out, "handoff"), "status"), "assigned");
	json_decref(out);
}

static void expect_err(int rc, const struct lk_err *err, int code, const char *reason)
{
	assert_int_equal(rc, code);
	assert_int_equal(err->code, code);
	if (reason) {
		assert_non_null(err->reason);
		assert_string_equal(err->reason, reason);
	}
}

/* The conversation's active handoff (status "" when none). */
static void active(struct fixture *f, const struct conv *c, struct store_handoff *r)
{
	memset(r, 0, sizeof(*r));
	if (store_handoff_active(f->st, bot_id(f->bot), c->id, r, NULL))
		memset(r, 0, sizeof(*r));
}

static void latest(struct fixture *f, const struct conv *c, struct store_handoff *r)
{
	memset(r, 0, sizeof(*r));
	assert_int_equal(store_handoff_latest(f->st, bot_id(f->bot), c->id, r, NULL), 0);
}

/* The conversation as the agent console reads it (caller owns). */
static json_t *transcript(struct fixture *f, const struct conv *c)
{
	struct lk_err err = {0};
	json_t *out = NULL;

	assert_int_equal(conv_transcript_trusted(f->e, c->id, &out, &err), 0);
	return out;
}

static json_t *last_message(json_t *transcript_json)
{
	json_t *msgs = json_object_get(transcript_json, "messages");

	return json_array_get(msgs, json_array_size(msgs) - 1);
}

static int list_has_conv(json_t *list, const struct conv *c)
{
	size_t i;
	json_t *v;

	json_array_foreach(list, i, v) {
		if (!strcmp(str(v, "conv_id"), c->id))
			return 1;
	}
	return 0;
}

static int audit_has(json_t *entries, const char *action, const char *actor, const struct conv *c)
{
	size_t i;
	json_t *v;

	json_array_foreach(entries, i, v) {
		if (!strcmp(str(v, "action"), action) && !strcmp(str(v, "actor"), actor) &&
		    !strcmp(str(v, "conv_id"), c->id))
			return 1;
	}
	return 0;
}

static json_t *quick_reply(json_t *msg, size_t i)
{
	return json_array_get(json_object_get(msg, "quick_replies"), i);
}

/* ------------------------------------------------------------------ */
/* the citizen's side                                                  */

static int64_t ms_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void test_ask_by_text_and_action(void **state)
{
	struct fixture *f = *state;
	struct conv a, b;
	struct store_handoff r;
	json_t *out, *m, *hs;

	new_conv(f, &a);
	out = post(f, &a, "Ik wil een medewerker spreken", NULL);
	assert_int_equal(json_array_size(json_object_get(out, "messages")), 1);
	m = msg_at(out, 0);
	assert_string_equal(str(m, "kind"), "handoff");
	assert_string_equal(str(m, "role"), "bot");
	hs = json_object_get(m, "handoff");
	assert_string_equal(str(hs, "status"), "waiting");
	assert_string_equal(str(hs, "team"), "loket");
	assert_string_equal(str(hs, "team_name"), "Publiekszaken");
	assert_int_equal(json_integer_value(json_object_get(hs, "position")), 1);
	/* nobody online: one conversation takes minutes_per_conversation */
	assert_int_equal(json_integer_value(json_object_get(hs, "wait_minutes")), 3);
	assert_string_equal(str(m, "text"),
			    "U bent nummer 1 voor Publiekszaken. Wachttijd ongeveer 3 minuten.");
	assert_string_equal(str(quick_reply(m, 0), "payload"), "handoff:cancel");
	assert_string_equal(str(quick_reply(m, 0), "label"), "Stop met wachten");
	assert_string_equal(str(state_handoff(out), "status"), "waiting");
	assert_int_equal(json_integer_value(json_object_get(state_handoff(out), "position")), 1);
	json_decref(out);
	active(f, &a, &r);
	assert_string_equal(r.status, "waiting");
	assert_string_equal(r.reason, "asked");
	assert_string_equal(r.team, "loket");
	store_handoff_release(&r);

	/* a second conversation, by the quick reply, is number 2 */
	new_conv(f, &b);
	out = post(f, &b, NULL, "handoff:request");
	m = msg_at(out, 0);
	assert_string_equal(str(m, "kind"), "handoff");
	hs = json_object_get(m, "handoff");
	assert_string_equal(str(hs, "status"), "waiting");
	assert_int_equal(json_integer_value(json_object_get(hs, "position")), 2);
	assert_int_equal(json_integer_value(json_object_get(hs, "wait_minutes")), 6);
	assert_non_null(strstr(str(m, "text"), "nummer 2"));
	assert_int_equal(json_integer_value(json_object_get(state_handoff(out), "position")), 2);
	json_decref(out);

	/* asking again while waiting: still number 2, no second handoff */
	out = post(f, &b, NULL, "handoff:request");
	assert_int_equal(num(json_object_get(msg_at(out, 0), "handoff"), "position"), 2);
	assert_string_equal(str(msg_at(out, 0), "text"), "U wacht nog: nummer 2.");
	json_decref(out);

	/* the citizen's transcript shows the handoff */
	out = transcript(f, &b);
	assert_string_equal(str(json_object_get(out, "handoff"), "status"), "waiting");
	assert_int_equal(num(json_object_get(out, "handoff"), "position"), 2);
	json_decref(out);
}

static void test_ask_variants(void **state)
{
	struct fixture *f = *state;
	struct conv a, e;
	struct lk_err err = {0};
	json_t *out = NULL;

	/* after a greeting */
	new_conv(f, &a);
	out = post(f, &a, "Hallo, ik wil een medewerker spreken!", NULL);
	assert_string_equal(str(msg_at(out, 0), "kind"), "handoff");
	assert_string_equal(str(state_handoff(out), "status"), "waiting");
	json_decref(out);
	/* in English: the English team name and text */
	assert_int_equal(conv_create(f->e, "en", "web", &out, &err), 0);
	snprintf(e.id, sizeof(e.id), "%s", str(out, "id"));
	snprintf(e.token, sizeof(e.token), "%s", str(out, "token"));
	json_decref(out);
	out = post(f, &e, "Talk to a person?", NULL);
	assert_string_equal(str(msg_at(out, 0), "kind"), "handoff");
	assert_string_equal(str(state_handoff(out), "team_name"), "Public affairs");
	assert_string_equal(str(msg_at(out, 0), "text"),
			    "You are number 2 for Public affairs. About 6 minutes.");
	assert_string_equal(str(quick_reply(msg_at(out, 0), 0), "label"), "Stop waiting");
	json_decref(out);
	/* an ordinary question is not a request for a person */
	new_conv(f, &a);
	out = post(f, &a, "Hoe vraag ik een paspoort aan?", NULL);
	assert_string_equal(str(msg_at(out, 0), "kind"), "answer");
	assert_null(state_handoff(out));
	json_decref(out);
}

static void test_waiting_text_is_stored_without_reply(void **state)
{
	struct fixture *f = *state;
	struct conv a;
	json_t *out, *last;

	queued_conv(f, &a);
	out = post(f, &a, "Hoe vraag ik een paspoort aan?", NULL);
	assert_int_equal(json_array_size(json_object_get(out, "messages")), 0);
	assert_string_equal(str(state_handoff(out), "status"), "waiting");
	json_decref(out);
	out = transcript(f, &a);
	last = last_message(out);
	assert_string_equal(str(last, "role"), "user");
	assert_string_equal(str(last, "text"), "Hoe vraag ik een paspoort aan?");
	json_decref(out);

	/* also while an agent has it */
	claim(f, ANNA, &a);
	out = post(f, &a, "Bent u er nog?", NULL);
	assert_int_equal(json_array_size(json_object_get(out, "messages")), 0);
	assert_string_equal(str(state_handoff(out), "status"), "assigned");
	json_decref(out);
	out = transcript(f, &a);
	assert_string_equal(str(last_message(out), "text"), "Bent u er nog?");
	assert_string_equal(str(json_object_get(out, "handoff"), "agent"), "Anna");
	json_decref(out);
}

static void test_cancel_then_bot_answers(void **state)
{
	struct fixture *f = *state;
	struct conv a;
	struct store_handoff r;
	json_t *out;

	queued_conv(f, &a);
	out = post(f, &a, NULL, "handoff:cancel");
	assert_string_equal(str(msg_at(out, 0), "kind"), "handoff");
	assert_string_equal(str(msg_at(out, 0), "text"), "U wacht niet meer op een medewerker.");
	assert_string_equal(str(state_handoff(out), "status"), "closed");
	json_decref(out);
	active(f, &a, &r);
	assert_string_equal(r.status, "");
	latest(f, &a, &r);
	assert_string_equal(r.status, "closed");
	assert_string_equal(r.outcome, "cancelled");
	store_handoff_release(&r);

	/* the bot answers again */
	out = post(f, &a, "Hoe vraag ik een paspoort aan?", NULL);
	assert_string_equal(str(msg_at(out, 0), "kind"), "answer");
	assert_null(state_handoff(out));
	json_decref(out);
	/* an old cancel button does nothing harmful */
	out = post(f, &a, NULL, "handoff:cancel");
	assert_int_equal(json_array_size(json_object_get(out, "messages")), 0);
	json_decref(out);
}

static void test_cancel_while_assigned(void **state)
{
	struct fixture *f = *state;
	struct conv a;
	struct store_handoff r;
	struct lk_err err = {0};
	json_t *out = NULL;
	int rc;

	queued_conv(f, &a);
	claim(f, ANNA, &a);
	out = post(f, &a, NULL, "handoff:cancel");
	assert_string_equal(str(state_handoff(out), "status"), "closed");
	json_decref(out);
	latest(f, &a, &r);
	assert_string_equal(r.outcome, "cancelled");
	store_handoff_release(&r);
	/* the agent no longer holds it */
	rc = handoff_send(f->h, &f->ag[ANNA], a.id, "Hallo?", &out, &err);
	expect_err(rc, &err, LK_EEXIST, "not_holder");
}

static void test_always_human_topic(void **state)
{
	struct fixture *f = *state;
	struct conv a;
	struct store_handoff r;
	json_t *out, *m;
	size_t i;

	new_conv(f, &a);
	/* the knowledge base has this very question; the bot must not answer it */
	out = post(f, &a, "Hoe krijg ik schuldhulp?", NULL);
	assert_int_equal(json_array_size(json_object_get(out, "messages")), 2);
	m = msg_at(out, 0);
	assert_string_equal(str(m, "kind"), "handoff");
	assert_string_equal(str(m, "text"), "Bent u in direct gevaar? Bel 112.");
	assert_null(json_object_get(m, "handoff"));
	m = msg_at(out, 1);
	assert_string_equal(str(m, "kind"), "handoff");
	assert_string_equal(str(json_object_get(m, "handoff"), "team"), "zorg");
	assert_string_equal(str(json_object_get(m, "handoff"), "status"), "waiting");
	json_array_foreach(json_object_get(out, "messages"), i, m) {
		assert_string_not_equal(str(m, "kind"), "answer");
		assert_int_equal(json_array_size(json_object_get(m, "sources")), 0);
	}
	assert_string_equal(str(state_handoff(out), "team"), "zorg");
	json_decref(out);
	active(f, &a, &r);
	assert_string_equal(r.team, "zorg");
	assert_string_equal(r.reason, "topic");
	store_handoff_release(&r);
}

static void test_fallbacks_in_a_row(void **state)
{
	struct fixture *f = *state;
	struct conv a;
	struct store_handoff r;
	json_t *out;

	new_conv(f, &a);
	out = post(f, &a, "qwxz vbnmk plofter", NULL);
	assert_int_equal(json_array_size(json_object_get(out, "messages")), 1);
	assert_string_equal(str(msg_at(out, 0), "kind"), "fallback");
	assert_null(state_handoff(out));
	json_decref(out);
	active(f, &a, &r);
	assert_string_equal(r.status, "");

	out = post(f, &a, "zorbleplax quintifoo", NULL);
	assert_int_equal(json_array_size(json_object_get(out, "messages")), 2);
	assert_string_equal(str(msg_at(out, 0), "kind"), "fallback");
	/* the fallback's own "talk to a person" button is gone: it happens now */
	assert_int_equal(json_array_size(json_object_get(msg_at(out, 0), "quick_replies")), 0);
	assert_string_equal(str(msg_at(out, 1), "kind"), "handoff");
	assert_string_equal(str(json_object_get(msg_at(out, 1), "handoff"), "status"), "waiting");
	assert_string_equal(str(state_handoff(out), "status"), "waiting");
	json_decref(out);
	active(f, &a, &r);
	assert_string_equal(r.status, "waiting");
	assert_string_equal(r.reason, "fallbacks");
	assert_string_equal(r.team, "loket");
	store_handoff_release(&r);
}

static void test_closed_hours_and_decline(void **state)
{
	struct fixture *f = *state;
	struct conv a;
	struct store_handoff r;
	json_t *out, *m, *hs;

	new_conv(f, &a);
	/* the keyword routes the handoff to the night desk, which is never open */
	out = post(f, &a, "Een vraag over de nachtdienst", NULL);
	json_decref(out);
	out = post(f, &a, NULL, "handoff:request");
	assert_int_equal(json_array_size(json_object_get(out, "messages")), 1);
	m = msg_at(out, 0);
	assert_string_equal(str(m, "kind"), "handoff");
	hs = json_object_get(m, "handoff");
	assert_string_equal(str(hs, "status"), "closed");
	assert_string_equal(str(hs, "team"), "nacht");
	assert_true(json_is_true(json_object_get(hs, "after_hours")));
	assert_string_equal(str(m, "text"), "Nachtdienst is nu gesloten. Wij zijn er weer later.");
	assert_int_equal(json_array_size(json_object_get(m, "quick_replies")), 2);
	assert_string_equal(str(quick_reply(m, 0), "payload"), "flow:vraag-achterlaten");
	assert_string_equal(str(quick_reply(m, 0), "label"), "Vraag achterlaten");
	assert_string_equal(str(quick_reply(m, 1), "payload"), "handoff:decline");
	assert_string_equal(str(quick_reply(m, 1), "label"), "Nee, bedankt");
	json_decref(out);
	active(f, &a, &r);
	assert_string_equal(r.status, "");
	latest(f, &a, &r);
	assert_string_equal(r.status, "closed");
	assert_string_equal(r.outcome, "after_hours");
	assert_string_equal(r.team, "nacht");
	store_handoff_release(&r);

	out = post(f, &a, NULL, "handoff:decline");
	assert_int_equal(json_array_size(json_object_get(out, "messages")), 1);
	assert_string_equal(str(msg_at(out, 0), "kind"), "handoff");
	assert_string_equal(str(msg_at(out, 0), "text"), "Goed. Waar kan ik u nog mee helpen?");
	json_decref(out);
	/* and the bot is the bot again */
	out = post(f, &a, "Hoe vraag ik een paspoort aan?", NULL);
	assert_string_equal(str(msg_at(out, 0), "kind"), "answer");
	json_decref(out);
}

/* ------------------------------------------------------------------ */
/* the agents' side                                                    */

static void test_claim_by_id(void **state)
{
	struct fixture *f = *state;
	struct conv a, z;
	struct lk_err err = {0};
	json_t *out = NULL, *hj, *t;
	int rc;

	queued_conv(f, &a);
	rc = handoff_claim(f->h, &f->ag[ANNA], a.id, &out, &err);
	assert_int_equal(rc, 0);
	hj = json_object_get(out, "handoff");
	assert_string_equal(str(hj, "conv_id"), a.id);
	assert_string_equal(str(hj, "status"), "assigned");
	assert_string_equal(str(hj, "agent_id"), f->ag[ANNA].id);
	assert_string_equal(str(hj, "agent_name"), "Anna");
	json_decref(out);

	/* one wins: the second claim is refused */
	memset(&err, 0, sizeof(err));
	rc = handoff_claim(f->h, &f->ag[BERT], a.id, &out, &err);
	expect_err(rc, &err, LK_EEXIST, "already_claimed");
	assert_null(out);

	/* the citizen is told who helps them */
	t = transcript(f, &a);
	assert_string_equal(str(last_message(t), "kind"), "handoff");
	assert_string_equal(str(last_message(t), "text"), "Anna van Publiekszaken helpt u nu.");
	json_decref(t);

	/* another team's conversation */
	new_conv(f, &z);
	out = post(f, &z, "Ik heb schulden", NULL);
	json_decref(out);
	memset(&err, 0, sizeof(err));
	rc = handoff_claim(f->h, &f->ag[ANNA], z.id, &out, &err);
	expect_err(rc, &err, LK_EPERM, "forbidden");
	assert_null(out);
	/* a conversation nobody waits in */
	new_conv(f, &a);
	memset(&err, 0, sizeof(err));
	rc = handoff_claim(f->h, &f->ag[ANNA], a.id, &out, &err);
	expect_err(rc, &err, LK_ENOTFOUND, "not_found");
	/* zorg's own agent may */
	claim(f, ZOE, &z);
}

static void test_claim_next_oldest_first(void **state)
{
	struct fixture *f = *state;
	struct conv a, b, z;
	struct lk_err err = {0};
	json_t *out = NULL;
	int rc;

	queued_conv(f, &a);
	queued_conv(f, &b);
	new_conv(f, &z);
	json_decref(post(f, &z, "Hoe krijg ik schuldhulp?", NULL));

	assert_int_equal(handoff_claim(f->h, &f->ag[BERT], NULL, &out, &err), 0);
	assert_string_equal(str(json_object_get(out, "handoff"), "conv_id"), a.id);
	json_decref(out);
	assert_int_equal(handoff_claim(f->h, &f->ag[ANNA], NULL, &out, &err), 0);
	assert_string_equal(str(json_object_get(out, "handoff"), "conv_id"), b.id);
	json_decref(out);
	/* the zorg conversation is not for loket */
	memset(&err, 0, sizeof(err));
	rc = handoff_claim(f->h, &f->ag[ANNA], NULL, &out, &err);
	expect_err(rc, &err, LK_ENOTFOUND, "queue_empty");
	assert_int_equal(handoff_claim(f->h, &f->ag[ZOE], NULL, &out, &err), 0);
	assert_string_equal(str(json_object_get(out, "handoff"), "conv_id"), z.id);
	json_decref(out);
}

/* Many claims at once, from many threads (a file database: several
 * connections): exactly one wins each conversation. */
struct racer {
	struct fixture *f;
	const struct store_agent *a;
	const char *conv_id; /* NULL: claim the next */
	pthread_barrier_t *start;
	int rc;
	const char *reason;
	char got[64];
};

static void *race(void *arg)
{
	struct racer *r = arg;
	struct lk_err err = {0};
	json_t *out = NULL;

	pthread_barrier_wait(r->start);
	r->rc = handoff_claim(r->f->h, r->a, r->conv_id, &out, &err);
	r->reason = err.reason;
	if (!r->rc)
		snprintf(r->got, sizeof(r->got), "%s",
			 str(json_object_get(out, "handoff"), "conv_id"));
	json_decref(out);
	return NULL;
}

static void run_race(struct fixture *f, struct racer *r, size_t n)
{
	pthread_t th[16];
	pthread_barrier_t start;

	assert_true(n <= 16);
	pthread_barrier_init(&start, NULL, (unsigned)n);
	for (size_t i = 0; i < n; i++) {
		r[i].f = f;
		r[i].a = &f->ag[i % 2 ? BERT : ANNA];
		r[i].start = &start;
		assert_int_equal(pthread_create(&th[i], NULL, race, &r[i]), 0);
	}
	for (size_t i = 0; i < n; i++)
		pthread_join(th[i], NULL);
	pthread_barrier_destroy(&start);
}

static void test_claim_race(void **state)
{
	struct fixture *f = *state;
	struct racer r[8];
	struct conv c[3];
	struct store_handoff h;
	int won = 0;

	queued_conv(f, &c[0]);
	memset(r, 0, sizeof(r));
	for (int i = 0; i < 8; i++)
		r[i].conv_id = c[0].id;
	run_race(f, r, 8);
	for (int i = 0; i < 8; i++) {
		if (!r[i].rc) {
			won++;
			continue;
		}
		assert_int_equal(r[i].rc, LK_EEXIST);
		assert_string_equal(r[i].reason, "already_claimed");
	}
	assert_int_equal(won, 1);
	active(f, &c[0], &h);
	assert_string_equal(h.status, "assigned");
	store_handoff_release(&h);

	/* claim-next: three waiting, six agents' clicks: three distinct winners */
	for (int i = 0; i < 3; i++)
		queued_conv(f, &c[i]);
	memset(r, 0, sizeof(r));
	run_race(f, r, 6);
	won = 0;
	for (int i = 0; i < 6; i++) {
		if (r[i].rc) {
			assert_int_equal(r[i].rc, LK_ENOTFOUND);
			assert_string_equal(r[i].reason, "queue_empty");
			continue;
		}
		won++;
		for (int k = 0; k < i; k++)
			assert_false(!r[k].rc && !strcmp(r[k].got, r[i].got));
	}
	assert_int_equal(won, 3);
	for (int i = 0; i < 3; i++) {
		active(f, &c[i], &h);
		assert_string_equal(h.status, "assigned");
		store_handoff_release(&h);
	}
}

static void test_send(void **state)
{
	struct fixture *f = *state;
	struct conv a;
	struct lk_err err = {0};
	json_t *out = NULL, *t, *last;
	char *big;
	int rc;

	queued_conv(f, &a);
	/* not yet claimed: nobody holds it */
	rc = handoff_send(f->h, &f->ag[ANNA], a.id, "Hallo", &out, &err);
	expect_err(rc, &err, LK_EEXIST, "not_holder");
	claim(f, ANNA, &a);

	memset(&err, 0, sizeof(err));
	assert_int_equal(handoff_send(f->h, &f->ag[ANNA], a.id, "Goedemiddag, ik help u verder.",
				      &out, &err),
			 0);
	assert_string_equal(str(json_object_get(out, "message"), "role"), "agent");
	assert_true(num(json_object_get(out, "message"), "seq") > 0);
	json_decref(out);
	t = transcript(f, &a);
	last = last_message(t);
	assert_string_equal(str(last, "role"), "agent");
	assert_string_equal(str(last, "kind"), "agent");
	assert_string_equal(str(last, "text"), "Goedemiddag, ik help u verder.");
	assert_string_equal(str(json_object_get(last, "agent"), "name"), "Anna");
	json_decref(t);
	/* the citizen sees it too (with their token) */
	assert_int_equal(conv_transcript(f->e, a.id, a.token, &t, &err), 0);
	assert_string_equal(str(last_message(t), "role"), "agent");
	json_decref(t);

	/* a colleague who does not hold it */
	memset(&err, 0, sizeof(err));
	rc = handoff_send(f->h, &f->ag[BERT], a.id, "Ik ook", &out, &err);
	expect_err(rc, &err, LK_EEXIST, "not_holder");
	assert_null(out);
	/* another team */
	memset(&err, 0, sizeof(err));
	rc = handoff_send(f->h, &f->ag[ZOE], a.id, "Ik ook", &out, &err);
	expect_err(rc, &err, LK_EPERM, "forbidden");

	/* bad text */
	memset(&err, 0, sizeof(err));
	rc = handoff_send(f->h, &f->ag[ANNA], a.id, "", &out, &err);
	expect_err(rc, &err, LK_EINVAL, "empty_text");
	memset(&err, 0, sizeof(err));
	rc = handoff_send(f->h, &f->ag[ANNA], a.id, " \n\t ", &out, &err);
	expect_err(rc, &err, LK_EINVAL, "empty_text");
	memset(&err, 0, sizeof(err));
	rc = handoff_send(f->h, &f->ag[ANNA], a.id, NULL, &out, &err);
	expect_err(rc, &err, LK_EINVAL, "empty_text");
	big = xmalloc(CONV_TEXT_MAX + 2);
	memset(big, 'a', CONV_TEXT_MAX + 1);
	big[CONV_TEXT_MAX + 1] = '\0';
	memset(&err, 0, sizeof(err));
	rc = handoff_send(f->h, &f->ag[ANNA], a.id, big, &out, &err);
	expect_err(rc, &err, LK_EINVAL, "text_too_long");
	big[CONV_TEXT_MAX] = '\0'; /* exactly the maximum is fine */
	assert_int_equal(handoff_send(f->h, &f->ag[ANNA], a.id, big, &out, &err), 0);
	json_decref(out);
	free(big);
	memset(&err, 0, sizeof(err));
	rc = handoff_send(f->h, &f->ag[ANNA], a.id, "caf\xc3(", &out, &err);
	expect_err(rc, &err, LK_EINVAL, "invalid_utf8");
	memset(&err, 0, sizeof(err));
	rc = handoff_send(f->h, &f->ag[ANNA], a.id, "\xed\xa0\x80 surrogaat", &out, &err);
	expect_err(rc, &err, LK_EINVAL, "invalid_utf8");
	assert_null(out);
	/* an unknown conversation */
	memset(&err, 0, sizeof(err));
	rc = handoff_send(f->h, &f->ag[ANNA], "ffffffffffffffffffffffffffffffff", "Hallo", &out, &err);
	expect_err(rc, &err, LK_ENOTFOUND, NULL);
}

static void test_transfer(void **state)
{
	struct fixture *f = *state;
	struct conv a;
	struct store_handoff r;
	struct lk_err err = {0};
	json_t *out = NULL, *t;
	int rc;

	queued_conv(f, &a);
	claim(f, ANNA, &a);
	rc = handoff_transfer(f->h, &f->ag[ANNA], a.id, "nope", &out, &err);
	expect_err(rc, &err, LK_EINVAL, "unknown_team");
	assert_null(out);
	memset(&err, 0, sizeof(err));
	rc = handoff_transfer(f->h, &f->ag[ANNA], a.id, NULL, &out, &err);
	expect_err(rc, &err, LK_EINVAL, "unknown_team");
	active(f, &a, &r);
	assert_string_equal(r.status, "assigned");
	store_handoff_release(&r);

	/* a colleague who does not hold it cannot move it */
	memset(&err, 0, sizeof(err));
	rc = handoff_transfer(f->h, &f->ag[BERT], a.id, "zorg", &out, &err);
	expect_err(rc, &err, LK_EEXIST, "not_holder");

	assert_int_equal(handoff_transfer(f->h, &f->ag[ANNA], a.id, "zorg", &out, &err), 0);
	assert_string_equal(str(json_object_get(out, "handoff"), "status"), "waiting");
	assert_string_equal(str(json_object_get(out, "handoff"), "team"), "zorg");
	assert_int_equal(json_integer_value(json_object_get(json_object_get(out, "handoff"),
							    "position")),
			 1);
	json_decref(out);
	active(f, &a, &r);
	assert_string_equal(r.status, "waiting");
	assert_string_equal(r.team, "zorg");
	assert_string_equal(r.agent, "");
	store_handoff_release(&r);
	t = transcript(f, &a);
	assert_string_equal(str(last_message(t), "text"),
			    "Uw vraag is doorgezet naar Zorg. U bent nummer 1.");
	json_decref(t);

	/* now it is zorg's: anna no longer sees it, zoe may take it */
	memset(&err, 0, sizeof(err));
	rc = handoff_can_see(f->h, &f->ag[ANNA], a.id, &err);
	expect_err(rc, &err, LK_EPERM, "forbidden");
	memset(&err, 0, sizeof(err));
	rc = handoff_claim(f->h, &f->ag[ANNA], a.id, &out, &err);
	expect_err(rc, &err, LK_EPERM, "forbidden");
	assert_int_equal(handoff_can_see(f->h, &f->ag[ZOE], a.id, &err), 0);
	claim(f, ZOE, &a);
}

static void test_release(void **state)
{
	struct fixture *f = *state;
	struct conv a;
	struct store_handoff before, r;
	struct lk_err err = {0};
	json_t *t;
	int rc;

	queued_conv(f, &a);
	active(f, &a, &before);
	claim(f, ANNA, &a);
	rc = handoff_release(f->h, &f->ag[BERT], a.id, &err);
	expect_err(rc, &err, LK_EEXIST, "not_holder");
	assert_int_equal(handoff_release(f->h, &f->ag[ANNA], a.id, &err), 0);
	active(f, &a, &r);
	assert_string_equal(r.status, "waiting");
	assert_string_equal(r.team, "loket");
	assert_string_equal(r.agent, "");
	/* the citizen keeps their place */
	assert_int_equal(r.requested_ms, before.requested_ms);
	store_handoff_release(&r);
	store_handoff_release(&before);
	t = transcript(f, &a);
	assert_string_equal(str(last_message(t), "text"),
			    "U staat weer in de wachtrij van Publiekszaken: nummer 1.");
	json_decref(t);
	/* a released conversation can be claimed again, by anyone of the team */
	claim(f, BERT, &a);
}

static void test_return_to_bot(void **state)
{
	struct fixture *f = *state;
	struct conv a;
	struct store_handoff r;
	struct lk_err err = {0};
	json_t *t, *out;
	int rc;

	queued_conv(f, &a);
	claim(f, ANNA, &a);
	rc = handoff_return(f->h, &f->ag[BERT], a.id, &err);
	expect_err(rc, &err, LK_EEXIST, "not_holder");
	assert_int_equal(handoff_return(f->h, &f->ag[ANNA], a.id, &err), 0);
	active(f, &a, &r);
	assert_string_equal(r.status, "");
	latest(f, &a, &r);
	assert_string_equal(r.status, "closed");
	assert_string_equal(r.outcome, "returned");
	store_handoff_release(&r);
	t = transcript(f, &a);
	assert_string_equal(str(last_message(t), "kind"), "handoff");
	assert_string_equal(str(last_message(t), "text"),
			    "Anna geeft u terug aan de digitale assistent.");
	assert_true(json_is_null(json_object_get(t, "handoff")));
	json_decref(t);
	/* the bot answers again */
	out = post(f, &a, "Hoe vraag ik een paspoort aan?", NULL);
	assert_string_equal(str(msg_at(out, 0), "kind"), "answer");
	json_decref(out);
	/* nothing to return any more */
	memset(&err, 0, sizeof(err));
	rc = handoff_return(f->h, &f->ag[ANNA], a.id, &err);
	expect_err(rc, &err, LK_EEXIST, "not_holder");
}

static void test_close_with_and_without_summary(void **state)
{
	struct fixture *f = *state;
	struct conv a, b;
	struct store_handoff r;
	struct lk_err err = {0};
	json_t *out = NULL, *t;
	const char *summary;
	int rc;

	new_conv(f, &a);
	json_decref(post(f, &a, "Ik wil een medewerker spreken", NULL));
	claim(f, ANNA, &a);
	json_decref(post(f, &a, "Mijn paspoort is kwijt", NULL));
	assert_int_equal(handoff_send(f->h, &f->ag[ANNA], a.id, "Dat regelen we.", &out, &err), 0);
	json_decref(out);
	/* the draft the console shows */
	assert_int_equal(handoff_conversation(f->h, &f->ag[ANNA], a.id, &out, &err), 0);
	assert_true(!strncmp(str(out, "summary_draft"), "Team ", 5));
	assert_true(json_array_size(json_object_get(out, "messages")) >= 4);
	assert_string_equal(str(json_object_get(out, "handoff"), "status"), "assigned");
	json_decref(out);

	rc = handoff_close(f->h, &f->ag[ANNA], a.id, NULL, &out, &err);
	assert_int_equal(rc, 0);
	summary = str(out, "summary");
	assert_true(strlen(summary) > 5);
	assert_true(!strncmp(summary, "Team Publiekszaken", 18));
	latest(f, &a, &r);
	assert_string_equal(r.status, "closed");
	assert_string_equal(r.outcome, "closed");
	assert_non_null(r.summary);
	assert_string_equal(r.summary, summary);
	store_handoff_release(&r);
	json_decref(out);
	t = transcript(f, &a);
	assert_string_equal(str(last_message(t), "text"), "Anna heeft het gesprek afgesloten.");
	json_decref(t);

	/* with the agent's own summary; an empty one means "write one" */
	queued_conv(f, &b);
	claim(f, BERT, &b);
	memset(&err, 0, sizeof(err));
	rc = handoff_close(f->h, &f->ag[ANNA], b.id, "Niet van mij", &out, &err);
	expect_err(rc, &err, LK_EEXIST, "not_holder");
	memset(&err, 0, sizeof(err));
	rc = handoff_close(f->h, &f->ag[BERT], b.id, "caf\xc3(", &out, &err);
	expect_err(rc, &err, LK_EINVAL, "invalid_utf8");
	assert_int_equal(handoff_close(f->h, &f->ag[BERT], b.id, "Uitgelegd hoe een paspoort werkt.",
				       &out, &err),
			 0);
	assert_string_equal(str(out, "summary"), "Uitgelegd hoe een paspoort werkt.");
	json_decref(out);
	latest(f, &b, &r);
	assert_string_equal(r.summary, "Uitgelegd hoe een paspoort werkt.");
	assert_string_equal(r.outcome, "closed");
	store_handoff_release(&r);
}

static void test_assign(void **state)
{
	struct fixture *f = *state;
	struct conv a, b;
	struct store_handoff r;
	struct lk_err err = {0};
	json_t *out = NULL, *t;
	int rc;

	queued_conv(f, &a);
	rc = handoff_assign(f->h, &f->ag[ANNA], a.id, f->ag[BERT].id, &out, &err);
	expect_err(rc, &err, LK_EPERM, "forbidden");
	assert_null(out);
	active(f, &a, &r);
	assert_string_equal(r.status, "waiting");
	store_handoff_release(&r);

	/* a waiting conversation */
	assert_int_equal(handoff_assign(f->h, &f->ag[SAM], a.id, f->ag[BERT].id, &out, &err), 0);
	assert_string_equal(str(json_object_get(out, "handoff"), "agent_id"), f->ag[BERT].id);
	assert_string_equal(str(json_object_get(out, "handoff"), "agent_name"), "Bert");
	json_decref(out);
	active(f, &a, &r);
	assert_string_equal(r.status, "assigned");
	assert_string_equal(r.agent, f->ag[BERT].id);
	store_handoff_release(&r);
	t = transcript(f, &a);
	assert_string_equal(str(last_message(t), "text"), "Bert van Publiekszaken helpt u nu.");
	json_decref(t);

	/* one another colleague holds */
	queued_conv(f, &b);
	claim(f, ANNA, &b);
	assert_int_equal(handoff_assign(f->h, &f->ag[SAM], b.id, f->ag[BERT].id, &out, &err), 0);
	json_decref(out);
	active(f, &b, &r);
	assert_string_equal(r.agent, f->ag[BERT].id);
	store_handoff_release(&r);
	memset(&err, 0, sizeof(err));
	rc = handoff_send(f->h, &f->ag[ANNA], b.id, "Nog steeds van mij?", &out, &err);
	expect_err(rc, &err, LK_EEXIST, "not_holder");

	/* to someone outside the team, or nobody */
	memset(&err, 0, sizeof(err));
	rc = handoff_assign(f->h, &f->ag[SAM], b.id, f->ag[ZOE].id, &out, &err);
	expect_err(rc, &err, LK_EINVAL, "wrong_team");
	memset(&err, 0, sizeof(err));
	rc = handoff_assign(f->h, &f->ag[SAM], b.id, "ag-0000000000000000", &out, &err);
	expect_err(rc, &err, LK_EINVAL, "unknown_agent");
}

static void test_audit(void **state)
{
	struct fixture *f = *state;
	struct conv a, other;
	struct lk_err err = {0};
	json_t *out = NULL, *entries;
	int rc;

	queued_conv(f, &a);
	queued_conv(f, &other);
	claim(f, ANNA, &a);
	assert_int_equal(handoff_transfer(f->h, &f->ag[ANNA], a.id, "zorg", &out, &err), 0);
	json_decref(out);
	claim(f, ZOE, &a);
	assert_int_equal(handoff_close(f->h, &f->ag[ZOE], a.id, NULL, &out, &err), 0);
	json_decref(out);

	rc = handoff_audit_list(f->h, &f->ag[ANNA], NULL, 0, 100, &out, &err);
	expect_err(rc, &err, LK_EPERM, "forbidden");
	assert_null(out);

	assert_int_equal(handoff_audit_list(f->h, &f->ag[SAM], a.id, 0, 100, &out, &err), 0);
	entries = json_object_get(out, "entries");
	assert_true(audit_has(entries, "handoff", "citizen", &a));
	assert_true(audit_has(entries, "claim", f->ag[ANNA].id, &a));
	assert_true(audit_has(entries, "transfer", f->ag[ANNA].id, &a));
	assert_true(audit_has(entries, "claim", f->ag[ZOE].id, &a));
	assert_true(audit_has(entries, "close", f->ag[ZOE].id, &a));
	/* filtered to the one conversation, newest first */
	assert_false(audit_has(entries, "handoff", "citizen", &other));
	assert_string_equal(str(json_array_get(entries, 0), "action"), "close");
	assert_string_equal(str(json_array_get(entries, 0), "actor_name"), "Zoë");
	{
		size_t i;
		json_t *v;

		json_array_foreach(entries, i, v) {
			if (!strcmp(str(v, "action"), "transfer")) {
				assert_string_equal(str(v, "team"), "zorg");
				assert_non_null(strstr(str(v, "detail"), "loket"));
			}
		}
	}
	json_decref(out);
	/* all conversations, at most 2 */
	assert_int_equal(handoff_audit_list(f->h, &f->ag[SAM], NULL, 0, 2, &out, &err), 0);
	assert_int_equal(json_array_size(json_object_get(out, "entries")), 2);
	json_decref(out);
}

static void test_queue_per_agent(void **state)
{
	struct fixture *f = *state;
	struct conv w, mine_a, mine_b, z;
	struct lk_err err = {0};
	json_t *q = NULL, *waiting;

	queued_conv(f, &mine_a);
	queued_conv(f, &w);
	queued_conv(f, &mine_b);
	new_conv(f, &z);
	json_decref(post(f, &z, "Ik heb schulden", NULL));
	claim(f, ANNA, &mine_a);
	claim(f, BERT, &mine_b);
	json_decref(post(f, &w, "Mijn paspoort is verlopen", NULL));

	assert_int_equal(handoff_queue(f->h, &f->ag[ANNA], &q, &err), 0);
	waiting = json_object_get(q, "waiting");
	assert_int_equal(json_array_size(waiting), 1);
	assert_true(list_has_conv(waiting, &w));
	assert_int_equal(json_integer_value(json_object_get(q, "waiting_total")), 1);
	assert_int_equal(num(json_array_get(waiting, 0), "position"), 1);
	assert_string_equal(str(json_array_get(waiting, 0), "preview"), "Mijn paspoort is verlopen");
	assert_int_equal(json_array_size(json_object_get(q, "mine")), 1);
	assert_true(list_has_conv(json_object_get(q, "mine"), &mine_a));
	assert_int_equal(json_array_size(json_object_get(q, "assigned")), 1);
	assert_true(list_has_conv(json_object_get(q, "assigned"), &mine_b));
	assert_string_equal(str(json_array_get(json_object_get(q, "assigned"), 0), "agent_name"),
			    "Bert");
	json_decref(q);

	assert_int_equal(handoff_queue(f->h, &f->ag[BERT], &q, &err), 0);
	assert_true(list_has_conv(json_object_get(q, "waiting"), &w));
	assert_true(list_has_conv(json_object_get(q, "mine"), &mine_b));
	assert_true(list_has_conv(json_object_get(q, "assigned"), &mine_a));
	assert_int_equal(json_array_size(json_object_get(q, "mine")), 1);
	json_decref(q);

	assert_int_equal(handoff_queue(f->h, &f->ag[ZOE], &q, &err), 0);
	assert_int_equal(json_array_size(json_object_get(q, "waiting")), 1);
	assert_true(list_has_conv(json_object_get(q, "waiting"), &z));
	assert_int_equal(json_array_size(json_object_get(q, "mine")), 0);
	assert_int_equal(json_array_size(json_object_get(q, "assigned")), 0);
	json_decref(q);

	/* a supervisor sees every team */
	assert_int_equal(handoff_queue(f->h, &f->ag[SAM], &q, &err), 0);
	assert_int_equal(json_array_size(json_object_get(q, "waiting")), 2);
	assert_true(list_has_conv(json_object_get(q, "waiting"), &w));
	assert_true(list_has_conv(json_object_get(q, "waiting"), &z));
	assert_int_equal(json_array_size(json_object_get(q, "mine")), 0);
	assert_int_equal(json_array_size(json_object_get(q, "assigned")), 2);
	json_decref(q);

	/* the overview counts per team */
	q = handoff_overview(f->h, &f->ag[ANNA]);
	assert_int_equal(json_array_size(json_object_get(q, "teams")), 1);
	assert_string_equal(str(json_array_get(json_object_get(q, "teams"), 0), "id"), "loket");
	assert_int_equal(num(json_array_get(json_object_get(q, "teams"), 0), "waiting"), 1);
	assert_int_equal(num(json_array_get(json_object_get(q, "teams"), 0), "assigned"), 2);
	assert_string_equal(json_string_value(json_array_get(
				    json_object_get(json_object_get(q, "canned"), "nl"), 0)),
			    "Een moment, ik zoek het voor u uit.");
	json_decref(q);
}

static void test_timeout_requeues(void **state)
{
	struct fixture *f = *state;
	struct conv a;
	struct store_handoff r;
	struct lk_err err = {0};
	json_t *out = NULL, *t;
	struct handoff_stats hs;
	int64_t t0 = ms_now(), waited_ms;

	queued_conv(f, &a);
	claim(f, ANNA, &a);
	active(f, &a, &r);
	assert_string_equal(r.status, "assigned");
	store_handoff_release(&r);
	/* anna was last seen now (the claim); agent_timeout_s is 1 and she
	 * sends nothing and keeps no console open */
	for (;;) {
		struct timespec ts = {0, 50 * 1000000L};

		active(f, &a, &r);
		waited_ms = ms_now() - t0;
		if (!strcmp(r.status, "waiting") || waited_ms > 15000) {
			store_handoff_release(&r);
			break;
		}
		store_handoff_release(&r);
		nanosleep(&ts, NULL);
	}
	assert_true(waited_ms <= 15000);
	assert_true(waited_ms >= 1000); /* not before the timeout */
	active(f, &a, &r);
	assert_string_equal(r.status, "waiting");
	assert_string_equal(r.team, "loket");
	assert_string_equal(r.agent, "");
	store_handoff_release(&r);

	assert_int_equal(handoff_audit_list(f->h, &f->ag[SAM], a.id, 0, 100, &out, &err), 0);
	assert_true(audit_has(json_object_get(out, "entries"), "timeout", "system", &a));
	json_decref(out);
	handoff_stats(f->h, &hs);
	assert_true(hs.timeouts >= 1);
	assert_true(hs.claims >= 1);
	t = transcript(f, &a);
	assert_string_equal(str(last_message(t), "text"),
			    "U staat weer in de wachtrij van Publiekszaken: nummer 1.");
	json_decref(t);
	/* anna can no longer write in it */
	memset(&err, 0, sizeof(err));
	expect_err(handoff_send(f->h, &f->ag[ANNA], a.id, "Hallo?", &out, &err), &err, LK_EEXIST,
		   "not_holder");
}

static void test_open_console_keeps_agent_online(void **state)
{
	struct fixture *f = *state;
	struct conv a;
	struct store_handoff r;
	struct timespec ts = {2, 500 * 1000000L};

	handoff_agent_stream_open(f->h, f->ag[ANNA].id);
	queued_conv(f, &a);
	claim(f, ANNA, &a);
	nanosleep(&ts, NULL);
	active(f, &a, &r);
	assert_string_equal(r.status, "assigned");
	assert_string_equal(r.agent, f->ag[ANNA].id);
	store_handoff_release(&r);
	handoff_agent_stream_close(f->h, f->ag[ANNA].id);
}

/* After hours: the message says when the team opens (Amsterdam time; the
 * Monday is the team's own holiday). */
static void after_hours_text(struct fixture *f, const char *lang, const char *want)
{
	struct conv a;
	struct lk_err err = {0};
	json_t *out = NULL, *m;

	assert_int_equal(conv_create(f->e, lang, "web", &out, &err), 0);
	snprintf(a.id, sizeof(a.id), "%s", str(out, "id"));
	snprintf(a.token, sizeof(a.token), "%s", str(out, "token"));
	json_decref(out);
	json_decref(post(f, &a, "dagbalie", NULL));
	out = post(f, &a, NULL, "handoff:request");
	m = msg_at(out, 0);
	assert_string_equal(str(json_object_get(m, "handoff"), "team"), "dag");
	assert_true(json_is_true(json_object_get(json_object_get(m, "handoff"), "after_hours")));
	assert_string_equal(str(m, "text"), want);
	json_decref(out);
}

static void test_after_hours_next_opening(void **state)
{
	struct fixture *f = *state;

	after_hours_text(f, "nl",
			 "Dagbalie is nu gesloten. Wij zijn er weer op dinsdag vanaf 08:30 uur.");
	after_hours_text(f, "en", "Day desk is closed now. We are back on Tuesday from 08:30.");
}

static void test_after_hours_summer_time(void **state)
{
	struct fixture *f = *state;

	/* no holiday that week: Monday, and 08:30 local (not 07:30 or 09:30) */
	after_hours_text(f, "nl",
			 "Dagbalie is nu gesloten. Wij zijn er weer op maandag vanaf 08:30 uur.");
}

static void test_open_hours_queue(void **state)
{
	struct fixture *f = *state;
	struct conv a;
	json_t *out;

	new_conv(f, &a);
	json_decref(post(f, &a, "dagbalie", NULL));
	out = post(f, &a, NULL, "handoff:request");
	assert_string_equal(str(json_object_get(msg_at(out, 0), "handoff"), "team"), "dag");
	assert_string_equal(str(json_object_get(msg_at(out, 0), "handoff"), "status"), "waiting");
	json_decref(out);
	/* the overview of a supervisor says which teams are open now */
	out = handoff_overview(f->h, &f->ag[SAM]);
	{
		size_t i;
		json_t *t;
		int seen = 0;

		json_array_foreach(json_object_get(out, "teams"), i, t) {
			if (!strcmp(str(t, "id"), "dag")) {
				assert_true(json_is_true(json_object_get(t, "open")));
				assert_int_equal(num(t, "waiting"), 1);
				seen++;
			} else if (!strcmp(str(t, "id"), "nacht")) {
				assert_true(json_is_false(json_object_get(t, "open")));
				seen++;
			}
		}
		assert_int_equal(seen, 2);
	}
	json_decref(out);
}

static void test_lunch_break_is_closed(void **state)
{
	struct fixture *f = *state;

	after_hours_text(f, "nl",
			 "Dagbalie is nu gesloten. Wij zijn er weer op dinsdag vanaf 13:00 uur.");
}

static void test_wait_estimate_uses_agents_online(void **state)
{
	struct fixture *f = *state;
	struct conv a, b;
	json_t *out;
	int64_t t0 = ms_now();
	json_int_t minutes = 0;

	/* two loket agents with their console open; agents online are
	 * counted every 2 s, so ask (and stop waiting) until they are */
	handoff_agent_stream_open(f->h, f->ag[ANNA].id);
	handoff_agent_stream_open(f->h, f->ag[BERT].id);
	while (ms_now() - t0 < 15000) {
		struct timespec ts = {0, 200 * 1000000L};

		new_conv(f, &a);
		out = post(f, &a, NULL, "handoff:request");
		minutes = json_integer_value(json_object_get(state_handoff(out), "wait_minutes"));
		json_decref(out);
		if (minutes != 3)
			break;
		json_decref(post(f, &a, NULL, "handoff:cancel"));
		nanosleep(&ts, NULL);
	}
	/* ceil(1 * 3 / 2) */
	assert_int_equal(minutes, 2);
	new_conv(f, &b);
	out = post(f, &b, NULL, "handoff:request");
	/* ceil(2 * 3 / 2) */
	assert_int_equal(num(state_handoff(out), "wait_minutes"), 3);
	json_decref(out);
	handoff_agent_stream_close(f->h, f->ag[ANNA].id);
	handoff_agent_stream_close(f->h, f->ag[BERT].id);
}

static void test_tickets(void **state)
{
	struct fixture *f = *state;
	struct store_ticket t;
	struct lk_err err = {0};
	json_t *out = NULL, *list;
	int rc;

	memset(&t, 0, sizeof(t));
	snprintf(t.ref, sizeof(t.ref), "VR-ABC123");
	snprintf(t.team, sizeof(t.team), "zorg");
	snprintf(t.lang, sizeof(t.lang), "nl");
	snprintf(t.status, sizeof(t.status), "open");
	t.question = "Kan ik hulp krijgen bij mijn administratie?";
	t.name = "J. Jansen";
	t.contact = "j.jansen@example.nl";
	t.created_ms = 1700000000000;
	assert_int_equal(store_ticket_add(f->st, bot_id(f->bot), &t, &err), 0);

	assert_int_equal(handoff_tickets(f->h, &f->ag[ANNA], NULL, &out, &err), 0);
	assert_int_equal(json_array_size(json_object_get(out, "tickets")), 0);
	json_decref(out);
	assert_int_equal(handoff_tickets(f->h, &f->ag[ZOE], "open", &out, &err), 0);
	list = json_object_get(out, "tickets");
	assert_int_equal(json_array_size(list), 1);
	assert_string_equal(str(json_array_get(list, 0), "ref"), "VR-ABC123");
	assert_string_equal(str(json_array_get(list, 0), "team_name"), "Zorg");
	assert_string_equal(str(json_array_get(list, 0), "contact"), "j.jansen@example.nl");
	json_decref(out);
	memset(&err, 0, sizeof(err));
	rc = handoff_tickets(f->h, &f->ag[ZOE], "bogus", &out, &err);
	expect_err(rc, &err, LK_EINVAL, "invalid_status");

	memset(&err, 0, sizeof(err));
	rc = handoff_ticket_done(f->h, &f->ag[ANNA], "VR-ABC123", &err);
	expect_err(rc, &err, LK_EPERM, "forbidden");
	assert_int_equal(handoff_ticket_done(f->h, &f->ag[ZOE], "VR-ABC123", &err), 0);
	memset(&err, 0, sizeof(err));
	rc = handoff_ticket_done(f->h, &f->ag[ZOE], "VR-ABC123", &err);
	expect_err(rc, &err, LK_EEXIST, "already_done");
	memset(&err, 0, sizeof(err));
	rc = handoff_ticket_done(f->h, &f->ag[ZOE], "VR-NOPE00", &err);
	expect_err(rc, &err, LK_ENOTFOUND, "not_found");
	assert_int_equal(handoff_tickets(f->h, &f->ag[SAM], "done", &out, &err), 0);
	list = json_object_get(out, "tickets");
	assert_int_equal(json_array_size(list), 1);
	assert_string_equal(str(json_array_get(list, 0), "done_by"), f->ag[ZOE].id);
	assert_string_equal(str(json_array_get(list, 0), "done_by_name"), "Zoë");
	assert_string_equal(str(json_array_get(list, 0), "status"), "done");
	json_decref(out);
}

/* ------------------------------------------------------------------ */
/* live events                                                         */

static atomic_int notified;

static void on_event(void *ud)
{
	(void)ud;
	atomic_fetch_add(&notified, 1);
}

/* Everything queued for the subscriber, as SSE text (caller frees). */
static char *drain(struct conv_sub *sub)
{
	size_t cap = 65536, len = 0;
	char *all = xmalloc(cap + 1);
	long n;

	while ((n = conv_sub_read(sub, all + len, cap - len)) > 0)
		len += (size_t)n;
	assert_true(n == 0);
	all[len] = '\0';
	return all;
}

static int64_t last_seq(struct fixture *f, const struct conv *c)
{
	json_t *t = transcript(f, c);
	int64_t seq = json_integer_value(json_object_get(last_message(t), "seq"));

	json_decref(t);
	return seq;
}

static void test_subscriber_gets_agent_message(void **state)
{
	struct fixture *f = *state;
	struct conv a;
	struct conv_sub *sub = NULL;
	struct lk_err err = {0};
	json_t *out = NULL;
	char *text, *ev;
	int64_t seq;

	queued_conv(f, &a);
	claim(f, ANNA, &a);
	seq = last_seq(f, &a);
	atomic_store(&notified, 0);
	assert_int_equal(conv_subscribe_trusted(f->e, a.id, seq, on_event, NULL, &sub, &err), 0);
	text = drain(sub);
	assert_string_equal(text, ""); /* nothing after seq to replay */
	free(text);
	assert_int_equal(handoff_send(f->h, &f->ag[ANNA], a.id, "Ik kijk even mee.", &out, &err), 0);
	json_decref(out);
	assert_true(atomic_load(&notified) >= 1);
	text = drain(sub);
	ev = strstr(text, "event: message\n");
	assert_non_null(ev);
	assert_non_null(strstr(ev, "\"role\":\"agent\""));
	assert_non_null(strstr(ev, "Ik kijk even mee."));
	assert_non_null(strstr(ev, "\"name\":\"Anna\""));
	{
		char want[32];

		snprintf(want, sizeof(want), "id: %lld\n", (long long)seq + 1);
		assert_non_null(strstr(text, want));
	}
	free(text);
	conv_sub_close(sub);

	/* a reconnecting console replays it from the store */
	assert_int_equal(conv_subscribe_trusted(f->e, a.id, seq, on_event, NULL, &sub, &err), 0);
	text = drain(sub);
	assert_non_null(strstr(text, "Ik kijk even mee."));
	free(text);
	conv_sub_close(sub);
}

static void test_typing_event(void **state)
{
	struct fixture *f = *state;
	struct conv a;
	struct conv_sub *sub = NULL;
	struct lk_err err = {0};
	char *text;
	int rc;

	queued_conv(f, &a);
	rc = handoff_typing(f->h, &f->ag[ANNA], a.id, &err);
	expect_err(rc, &err, LK_EEXIST, "not_holder");
	claim(f, ANNA, &a);
	assert_int_equal(conv_subscribe_trusted(f->e, a.id, last_seq(f, &a), on_event, NULL, &sub,
						&err),
			 0);
	free(drain(sub));
	assert_int_equal(handoff_typing(f->h, &f->ag[ANNA], a.id, &err), 0);
	text = drain(sub);
	assert_non_null(strstr(text, "event: typing\n"));
	assert_non_null(strstr(text, "\"role\":\"agent\""));
	assert_non_null(strstr(text, "\"name\":\"Anna\""));
	assert_null(strstr(text, "id: ")); /* ephemeral: no id */
	free(text);
	/* nobody else may type in it */
	memset(&err, 0, sizeof(err));
	rc = handoff_typing(f->h, &f->ag[BERT], a.id, &err);
	expect_err(rc, &err, LK_EEXIST, "not_holder");
	text = drain(sub);
	assert_string_equal(text, "");
	free(text);
	conv_sub_close(sub);
}

static void test_waiting_citizen_hears_new_place(void **state)
{
	struct fixture *f = *state;
	struct conv a, b;
	struct conv_sub *sub = NULL;
	struct lk_err err = {0};
	char *text = NULL;

	queued_conv(f, &a);
	queued_conv(f, &b);
	assert_int_equal(conv_subscribe(f->e, b.id, b.token, last_seq(f, &b), on_event, NULL, &sub,
					&err),
			 0);
	free(drain(sub));
	claim(f, ANNA, &a);
	/* the background thread tells b within a tick or two */
	for (int i = 0; i < 100; i++) {
		struct timespec ts = {0, 100 * 1000000L};

		text = drain(sub);
		if (strstr(text, "event: handoff\n"))
			break;
		free(text);
		text = NULL;
		nanosleep(&ts, NULL);
	}
	assert_non_null(text);
	assert_non_null(strstr(text, "\"status\":\"waiting\""));
	assert_non_null(strstr(text, "\"position\":1"));
	free(text);
	conv_sub_close(sub);
}

static void test_console_events_on_queue(void **state)
{
	struct fixture *f = *state;
	struct conv a;
	struct conv_sub *sub = NULL;
	char keys[4][48];
	char *text;

	assert_int_equal(handoff_event_keys(f->h, &f->ag[ANNA], keys, 4), 1);
	assert_string_equal(keys[0], "q:loket");
	assert_int_equal(handoff_event_keys(f->h, &f->ag[SAM], keys, 4), 1);
	assert_string_equal(keys[0], "q:*");
	sub = conv_events_subscribe(conv_engine_events(f->e), "q:loket", on_event, NULL);
	conv_sub_replay_done(sub);
	queued_conv(f, &a);
	text = drain(sub);
	assert_non_null(strstr(text, "event: queue\n"));
	assert_non_null(strstr(text, "\"action\":\"waiting\""));
	assert_non_null(strstr(text, a.id));
	free(text);
	claim(f, ANNA, &a);
	text = drain(sub);
	assert_non_null(strstr(text, "\"action\":\"claimed\""));
	assert_non_null(strstr(text, f->ag[ANNA].id));
	free(text);
	assert_int_equal(handoff_return(f->h, &f->ag[ANNA], a.id, NULL), 0);
	text = drain(sub);
	assert_non_null(strstr(text, "\"action\":\"returned\""));
	free(text);
	conv_sub_close(sub);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_ask_by_text_and_action, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ask_variants, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cancel_while_assigned, setup, teardown),
		cmocka_unit_test_setup_teardown(test_waiting_text_is_stored_without_reply, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_cancel_then_bot_answers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_always_human_topic, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fallbacks_in_a_row, setup, teardown),
		cmocka_unit_test_setup_teardown(test_closed_hours_and_decline, setup, teardown),
		cmocka_unit_test_setup_teardown(test_claim_by_id, setup, teardown),
		cmocka_unit_test_setup_teardown(test_claim_next_oldest_first, setup, teardown),
		cmocka_unit_test_setup_teardown(test_claim_race, setup_file_db, teardown),
		cmocka_unit_test_setup_teardown(test_send, setup, teardown),
		cmocka_unit_test_setup_teardown(test_transfer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_release, setup, teardown),
		cmocka_unit_test_setup_teardown(test_return_to_bot, setup, teardown),
		cmocka_unit_test_setup_teardown(test_close_with_and_without_summary, setup, teardown),
		cmocka_unit_test_setup_teardown(test_assign, setup, teardown),
		cmocka_unit_test_setup_teardown(test_audit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_queue_per_agent, setup, teardown),
		cmocka_unit_test_setup_teardown(test_timeout_requeues, setup_fast_timeout, teardown),
		cmocka_unit_test_setup_teardown(test_open_console_keeps_agent_online,
						setup_fast_timeout, teardown),
		cmocka_unit_test_setup_teardown(test_subscriber_gets_agent_message, setup, teardown),
		cmocka_unit_test_setup_teardown(test_typing_event, setup, teardown),
		cmocka_unit_test_setup_teardown(test_console_events_on_queue, setup, teardown),
		cmocka_unit_test_setup_teardown(test_waiting_citizen_hears_new_place, setup, teardown),
		cmocka_unit_test_setup_teardown(test_after_hours_next_opening, setup_saturday, teardown),
		cmocka_unit_test_setup_teardown(test_after_hours_summer_time, setup_summer_saturday,
						teardown),
		cmocka_unit_test_setup_teardown(test_open_hours_queue, setup_tuesday_morning, teardown),
		cmocka_unit_test_setup_teardown(test_lunch_break_is_closed, setup_tuesday_lunch,
						teardown),
		cmocka_unit_test_setup_teardown(test_wait_estimate_uses_agents_online, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tickets, setup, teardown),
	};

	agent_auth_set_cost(1, 8);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
