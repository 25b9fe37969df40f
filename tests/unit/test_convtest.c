/* test_convtest.c - unit tests for the conversation-script runner's own
 * logic (src/dialog/convtest.c): loading and refusing scripts, times,
 * {name} substitution, which payload a step sends, and the expectations of
 * a turn checked against hand-made bot messages. No bot is opened here; the
 * scripts in tests/conversations/ run against the demo bot.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/yaml_json.h"
#include "dialog/convtest.h"

static char dir[] = "/tmp/test_convtest_XXXXXX";

static int setup(void **state)
{
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) ? -1 : 0;
}

/* Writes text to DIR/name and returns the path (static buffer). */
static const char *script(const char *name, const char *text)
{
	static char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	return path;
}

static void load_fails(const char *text, const char *needle)
{
	struct lk_err err = {0};
	json_t *s = NULL;

	assert_true(convtest_load(script("bad.yaml", text), &s, &err) < 0);
	assert_null(s);
	if (!strstr(err.msg, needle))
		fail_msg("error '%s' does not mention '%s'", err.msg, needle);
}

static void test_load_valid(void **state)
{
	struct lk_err err = {0};
	json_t *s = NULL, *steps;

	assert_int_equal(convtest_load(script("ok.yaml",
		"name: Afspraak\n"
		"lang: nl\n"
		"steps:\n"
		"  - user: \"Ik wil een afspraak\"\n"
		"    expect:\n"
		"      kind: flow\n"
		"      flow: afspraak\n"
		"      slots: {product: rijbewijs}\n"
		"      says: locatie\n"
		"      buttons: [Stadhuis]\n"
		"      sources: false\n"
		"    capture: {ref: \"AF-[A-Z0-9]+\"}\n"
		"  - press: 1\n"
		"  - press: Ja\n"
		"  - restart: true\n"
		"    expect: {flow: null}\n"
		"  - action: \"confirm:yes\"\n"), &s, &err), 0);
	steps = json_object_get(s, "steps");
	assert_int_equal(json_array_size(steps), 5);
	/* each step knows its line, for failure messages */
	assert_int_equal(json_integer_value(json_object_get(json_array_get(steps, 0), YAML_JSON_LINE_KEY)), 4);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(steps, 3), YAML_JSON_LINE_KEY)), 15);
	assert_string_equal(json_string_value(json_object_get(json_array_get(steps, 1), "press")), "1");
	json_decref(s);
}

static void test_load_refusals(void **state)
{
	load_fails("name: x\nsteps:\n  - user: hoi\n    expct: {kind: flow}\n", "bad.yaml:4: unknown key 'steps.expct'");
	load_fails("name: x\nsteps:\n  - user: hoi\n    expect: {kind: flow, sayz: [a]}\n", "unknown key 'steps.expect.sayz'");
	load_fails("name: x\nsteps:\n  - user: hoi\n    press: 1\n", "not both");
	load_fails("name: x\nsteps:\n  - expect: {kind: flow}\n", "needs user:, press:, action: or restart:");
	load_fails("name: x\nsteps:\n  - press: 0\n", "button number");
	load_fails("name: x\nsteps:\n  - press: 100\n", "button number");
	load_fails("name: x\nsteps:\n  - restart: yes\n", "restart: true");
	load_fails("name: x\nsteps:\n  - restart: true\n    expect: {says: [a]}\n", "cannot be checked");
	load_fails("name: x\nsteps:\n  - user: a\n    capture: {ref: \"AF-[\"}\n", "capture 'ref'");
	load_fails("name: x\nsteps:\n  - user: a\n    capture: {Ref: \"AF\"}\n", "capture name");
	load_fails("name: x\nsteps:\n  - user: a\n    expect: {sources: maybe}\n", "true or false");
	load_fails("name: x\nsteps:\n  - user: a\n    expect: {slots: [a]}\n", "'slots' must be");
	load_fails("name: x\nsteps: []\n", "needs steps");
	load_fails("steps:\n  - user: a\n", "needs a name");
	load_fails("name: x\nnow: gisteren\nsteps:\n  - user: a\n", "bad.yaml:1: now:");
	load_fails("name: x\nsteps:\n  - user: [a, b]\n", "non-empty text");
}

static void test_parse_time(void **state)
{
	int64_t t = 0;

	assert_int_equal(convtest_parse_time("2026-11-24T09:00:00+01:00", &t, NULL), 0);
	assert_int_equal(t, 1795507200);
	assert_int_equal(convtest_parse_time("2026-11-24T08:00:00Z", &t, NULL), 0);
	assert_int_equal(t, 1795507200);
	assert_int_equal(convtest_parse_time("2026-11-24 09:00", &t, NULL), 0); /* Amsterdam, winter */
	assert_int_equal(t, 1795507200);
	assert_int_equal(convtest_parse_time("2026-11-24", &t, NULL), 0);       /* 09:00 local */
	assert_int_equal(t, 1795507200);
	assert_int_equal(convtest_parse_time("2026-07-01T10:00", &t, NULL), 0); /* summer: +02:00 */
	assert_int_equal(t, 1782892800);
	assert_int_equal(convtest_parse_time("2026-07-01T08:00:00-00:00", &t, NULL), 0);
	assert_int_equal(t, 1782892800);
	assert_true(convtest_parse_time("2026-02-31T09:00", &t, NULL) < 0);
	assert_true(convtest_parse_time("2026-11-24T25:00", &t, NULL) < 0);
	assert_true(convtest_parse_time("2026-11-24T09:00+1", &t, NULL) < 0);
	assert_true(convtest_parse_time("morgen", &t, NULL) < 0);
	assert_true(convtest_parse_time("", &t, NULL) < 0);
	assert_true(convtest_parse_time(NULL, &t, NULL) < 0);
}

static void test_expand(void **state)
{
	json_t *vars = json_pack("{s:s}", "ref", "AF-7K3Q9M");
	struct lk_err err = {0};
	struct buf b;

	buf_init(&b, 0);
	assert_int_equal(convtest_expand("annuleer {ref} graag", vars, &b, &err), 0);
	assert_string_equal(b.ptr, "annuleer AF-7K3Q9M graag");
	buf_reset(&b);
	assert_int_equal(convtest_expand("{ref}{ref}", vars, &b, &err), 0);
	assert_string_equal(b.ptr, "AF-7K3Q9MAF-7K3Q9M");
	buf_reset(&b);
	/* braces around something that is not a name are text */
	assert_int_equal(convtest_expand("{Geen naam} { } {", vars, &b, &err), 0);
	assert_string_equal(b.ptr, "{Geen naam} { } {");
	buf_reset(&b);
	assert_int_equal(convtest_expand("nummer {zaak}", vars, &b, &err), LK_ENOTFOUND);
	assert_non_null(strstr(err.msg, "{zaak}"));
	buf_release(&b);
	json_decref(vars);
}

/* Two bot messages: a handoff offer with one button, then a question. */
static json_t *turn(void)
{
	return json_pack("[{s:s, s:s, s:[], s:[{s:s, s:s}]},"
			 " {s:s, s:s, s:s, s:[{s:s, s:s}], s:[{s:s, s:s}, {s:s, s:s}, {s:s, s:s}]}]",
			 "kind", "handoff", "text", "Het lukt niet zo goed. Wilt u een medewerker spreken?",
			 "sources", "quick_replies", "label", "Ik wil een medewerker spreken", "payload",
			 "handoff:request",
			 "kind", "flow", "text", "Op welke locatie wilt u komen?", "step", "location",
			 "sources", "title", "Paspoort", "url", "https://example.org/paspoort",
			 "quick_replies", "label", "Stadhuis", "payload", "choose:stadhuis", "label",
			 "Stadswinkel Noord", "payload", "choose:stadswinkel-noord", "label", "Stoppen",
			 "payload", "cancel");
}

static json_t *step_of(const char *yaml)
{
	struct lk_err err = {0};
	json_t *s = NULL, *st;

	if (convtest_load(script("step.yaml", yaml), &s, &err))
		fail_msg("%s", err.msg);
	st = json_incref(json_array_get(json_object_get(s, "steps"), 0));
	json_decref(s);
	return st;
}

static void payload_is(const char *yaml, const json_t *prev, const json_t *vars, const char *want)
{
	json_t *st = step_of(yaml);
	struct lk_err err = {0};
	struct buf b;
	int rc;

	buf_init(&b, 0);
	rc = convtest_payload(st, prev, vars, &b, &err);
	if (want) {
		if (rc)
			fail_msg("%s", err.msg);
		assert_string_equal(b.ptr, want);
	} else {
		assert_int_equal(rc, LK_ENOTFOUND);
		assert_true(err.msg[0] != '\0');
	}
	buf_release(&b);
	json_decref(st);
}

static void test_payload(void **state)
{
	json_t *prev = turn(), *vars = json_pack("{s:s}", "ref", "AF-ABC123");
	json_t *times = json_pack("[{s:s, s:[{s:s, s:s}, {s:s, s:s}]}]", "kind", "flow",
				  "quick_replies", "label", "10:15", "payload", "choose:10:15",
				  "label", "10:30", "payload", "choose:10:30");

	payload_is("name: x\nsteps:\n  - press: 1\n", prev, vars, "choose:stadhuis");
	payload_is("name: x\nsteps:\n  - press: 3\n", prev, vars, "cancel");
	payload_is("name: x\nsteps:\n  - press: 4\n", prev, vars, NULL);
	payload_is("name: x\nsteps:\n  - press: stadswinkel noord\n", prev, vars,
		   "choose:stadswinkel-noord");
	/* a label of an earlier message of the same turn */
	payload_is("name: x\nsteps:\n  - press: Ik wil een medewerker spreken\n", prev, vars,
		   "handoff:request");
	payload_is("name: x\nsteps:\n  - press: Stadhuis Oost\n", prev, vars, NULL);
	payload_is("name: x\nsteps:\n  - press: \"{ref}\"\n", prev, vars, NULL);
	payload_is("name: x\nsteps:\n  - action: \"flow:afspraak\"\n", prev, vars, "flow:afspraak");
	payload_is("name: x\nsteps:\n  - action: \"choose:{ref}\"\n", prev, vars, "choose:AF-ABC123");
	payload_is("name: x\nsteps:\n  - press: 1\n", NULL, vars, NULL); /* nothing to press */
	/* only digits are a number: "10:30" is a label */
	payload_is("name: x\nsteps:\n  - press: \"10:30\"\n", times, vars, "choose:10:30");
	payload_is("name: x\nsteps:\n  - press: 2\n", times, vars, "choose:10:30");
	json_decref(times);
	json_decref(prev);
	json_decref(vars);
}

/* Checks the expect of a one-step script against msgs/flow; want_ok or the
 * error mentions needle. */
static void check(const char *expect, const json_t *msgs, const json_t *flow, const char *error,
		  json_t *vars, const char *needle)
{
	char yaml[2048];
	struct lk_err err = {0};
	json_t *st;
	int rc;

	snprintf(yaml, sizeof(yaml), "name: x\nsteps:\n  - user: hoi\n%s", expect);
	st = step_of(yaml);
	rc = convtest_check(st, msgs, flow, error, vars, &err);
	if (!needle && rc)
		fail_msg("unexpected failure: %s", err.msg);
	if (needle && !rc)
		fail_msg("expected a failure mentioning '%s'", needle);
	if (needle && !strstr(err.msg, needle))
		fail_msg("error '%s' does not mention '%s'", err.msg, needle);
	json_decref(st);
}

static void test_check_messages(void **state)
{
	json_t *msgs = turn(), *vars = json_object(), *none = json_array();

	check("    expect: {kind: flow}\n", msgs, NULL, NULL, vars, NULL);
	check("    expect: {kind: handoff}\n", msgs, NULL, NULL, vars, "kind 'handoff', got [handoff, flow]");
	check("    expect: {kind: flow}\n", none, NULL, NULL, vars, "got []");
	check("    expect: {kinds: [handoff, flow]}\n", msgs, NULL, NULL, vars, NULL);
	check("    expect: {kinds: [flow]}\n", msgs, NULL, NULL, vars, NULL);
	check("    expect: {kinds: [flow, handoff]}\n", msgs, NULL, NULL, vars,
	      "kinds [flow, handoff] in this order, got [handoff, flow]");
	check("    expect: {kinds: [flow, flow]}\n", msgs, NULL, NULL, vars, "in this order");
	check("    expect: {says: [MEDEWERKER, \"welke locatie\"]}\n", msgs, NULL, NULL, vars, NULL);
	check("    expect: {says: datum}\n", msgs, NULL, NULL, vars, "to say 'datum'");
	check("    expect: {not_says: [fout]}\n", msgs, NULL, NULL, vars, NULL);
	check("    expect: {not_says: [Locatie]}\n", msgs, NULL, NULL, vars, "not to say 'Locatie'");
	check("    expect: {buttons: [stadhuis, Ik wil een medewerker spreken]}\n", msgs, NULL, NULL, vars, NULL);
	check("    expect: {buttons: [Stad]}\n", msgs, NULL, NULL, vars, "button 'Stad' (buttons: Ik wil");
	check("    expect: {sources: true}\n", msgs, NULL, NULL, vars, NULL);
	check("    expect: {sources: false}\n", msgs, NULL, NULL, vars, "no source links, got 1");
	check("    expect: {sources: true}\n", none, NULL, NULL, vars, "a source link");
	/* refusals by the engine */
	check("    expect: {error: unknown_action}\n", none, NULL, "unknown_action", vars, NULL);
	check("    expect: {kind: flow}\n", none, NULL, "unknown_action", vars, "refused");
	check("    expect: {error: unknown_action}\n", msgs, NULL, NULL, vars, "but it answered");
	json_decref(msgs);
	json_decref(none);
	json_decref(vars);
}

static void test_check_flow(void **state)
{
	json_t *msgs = turn(), *vars = json_pack("{s:s}", "p", "rijbewijs");
	json_t *flow = json_pack("{s:s, s:s, s:s, s:i, s:{s:s, s:s, s:i}}", "flow", "afspraak",
				 "phase", "ask", "step", "location", "idx", 1, "slots", "product",
				 "rijbewijs", "photo", "", "n", 3);
	json_t *null = json_null();

	check("    expect: {flow: afspraak, step: location, phase: ask}\n", msgs, flow, NULL, vars, NULL);
	check("    expect: {flow: melding}\n", msgs, flow, NULL, vars, "expected flow 'melding', got 'afspraak'");
	check("    expect: {flow: null}\n", msgs, flow, NULL, vars, "no active flow, got flow 'afspraak' at step 'location'");
	check("    expect: {flow: null}\n", msgs, NULL, NULL, vars, NULL);
	check("    expect: {flow: null}\n", msgs, null, NULL, vars, NULL);
	check("    expect: {flow: afspraak}\n", msgs, null, NULL, vars, "got no active flow");
	check("    expect: {step: date}\n", msgs, flow, NULL, vars, "expected flow step 'date', got 'location'");
	check("    expect: {step: date}\n", msgs, NULL, NULL, vars, "no flow is active");
	check("    expect: {slots: {product: rijbewijs}}\n", msgs, flow, NULL, vars, NULL);
	check("    expect: {slots: {product: \"{p}\", photo: \"\", n: \"3\"}}\n", msgs, flow, NULL, vars, NULL);
	check("    expect: {slots: {product: paspoort}}\n", msgs, flow, NULL, vars,
	      "slot product = 'paspoort', got 'rijbewijs'");
	check("    expect: {slots: {date: \"2026-12-01\"}}\n", msgs, flow, NULL, vars, "not filled");
	check("    expect: {slots: {date: null}}\n", msgs, flow, NULL, vars, NULL);
	check("    expect: {slots: {product: null}}\n", msgs, flow, NULL, vars, "to be empty");
	check("    expect: {slots: {product: \"{q}\"}}\n", msgs, flow, NULL, vars, "{q} was not captured");
	json_decref(msgs);
	json_decref(vars);
	json_decref(flow);
}

static void test_capture(void **state)
{
	json_t *msgs = json_pack("[{s:s, s:s}, {s:s, s:s}]", "kind", "flow", "text",
				 "Uw afspraak staat.", "kind", "flow", "text",
				 "Uw afspraaknummer is AF-7K3Q9M. Neem een identiteitsbewijs mee.");
	json_t *vars = json_object();

	check("    capture: {ref: \"AF-[A-Z0-9]+\", num: \"afspraaknummer is ([A-Z]+)-\"}\n", msgs, NULL,
	      NULL, vars, NULL);
	assert_string_equal(json_string_value(json_object_get(vars, "ref")), "AF-7K3Q9M");
	assert_string_equal(json_string_value(json_object_get(vars, "num")), "AF"); /* group 1 */
	check("    capture: {zaak: \"Z-[0-9]{4}\"}\n", msgs, NULL, NULL, vars, "nothing matching");
	assert_null(json_object_get(vars, "zaak"));
	/* expectations come first: a failed one captures nothing */
	check("    expect: {kind: answer}\n    capture: {other: \"AF-[A-Z0-9]+\"}\n", msgs, NULL,
	      NULL, vars, "kind 'answer'");
	assert_null(json_object_get(vars, "other"));
	json_decref(msgs);
	json_decref(vars);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_load_valid),
		cmocka_unit_test(test_load_refusals),
		cmocka_unit_test(test_parse_time),
		cmocka_unit_test(test_expand),
		cmocka_unit_test(test_payload),
		cmocka_unit_test(test_check_messages),
		cmocka_unit_test(test_check_flow),
		cmocka_unit_test(test_capture),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
