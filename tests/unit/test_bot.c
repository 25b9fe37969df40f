/* test_bot.c - unit tests for bot loading (strict bot.yaml, catalogues),
 * message placeholders and small-talk intent matching; and core/yaml_json.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conv/bot.h"
#include "core/yaml_json.h"

#define DEMO "bots/gemeente-demo"

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void test_demo_bot_loads(void **state)
{
	struct lk_err err = {0};
	struct bot *b = NULL;

	assert_int_equal(bot_load(&b, DEMO, &err), 0);
	assert_string_equal(bot_id(b), "gemeente-demo");
	assert_true(bot_has_lang(b, "nl"));
	assert_true(bot_has_lang(b, "en"));
	assert_false(bot_has_lang(b, "xx"));
	assert_true(bot_answer_threshold(b) >= bot_suggest_threshold(b));
	bot_free(b);
}

static void test_ai_notice_says_ai_in_both_languages(void **state)
{
	struct bot *b = NULL;
	struct buf out;

	assert_int_equal(bot_load(&b, DEMO, NULL), 0);
	buf_init(&out, 0);
	bot_message(b, "nl", "ai_notice", &out);
	assert_non_null(strstr(out.ptr, "AI-assistent"));
	assert_non_null(strstr(out.ptr, "Gemeente Demo")); /* {bot_name} filled in */
	assert_null(strstr(out.ptr, "{"));
	buf_reset(&out);
	bot_message(b, "en", "ai_notice", &out);
	assert_non_null(strstr(out.ptr, "AI assistant"));
	buf_reset(&out);
	bot_message(b, "xx", "fallback", &out); /* unknown language: default language */
	assert_non_null(strstr(out.ptr, "14 0123"));
	buf_release(&out);
	bot_free(b);
}

static void test_message_vars_and_list_items(void **state)
{
	const char *vars[] = {"team", "Burgerzaken", "position", "3", "minutes", "12", NULL};
	struct bot *b = NULL;
	struct buf out;

	assert_int_equal(bot_load(&b, DEMO, NULL), 0);
	buf_init(&out, 0);
	bot_message_vars(b, "nl", "handoff_queued", vars, &out);
	assert_non_null(strstr(out.ptr, "Burgerzaken"));
	assert_non_null(strstr(out.ptr, "nummer 3"));
	assert_non_null(strstr(out.ptr, "12 min"));
	assert_null(strstr(out.ptr, "{"));
	buf_reset(&out);
	/* without vars an unknown placeholder stays; the bot's own are filled in */
	bot_message_vars(b, "nl", "handoff_queued", NULL, &out);
	assert_non_null(strstr(out.ptr, "{team}"));
	buf_reset(&out);
	bot_message_vars(b, "nl", "handoff_declined", vars, &out);
	assert_non_null(strstr(out.ptr, "14 0123"));
	buf_reset(&out);
	assert_int_equal(bot_message_item(b, "nl", "date_days", 0, &out), 1);
	assert_string_equal(out.ptr, "zondag");
	buf_reset(&out);
	assert_int_equal(bot_message_item(b, "en", "date_days", 6, &out), 1);
	assert_string_equal(out.ptr, "Saturday");
	buf_reset(&out);
	assert_int_equal(bot_message_item(b, "nl", "date_months", 11, &out), 1);
	assert_string_equal(out.ptr, "december");
	buf_reset(&out);
	assert_int_equal(bot_message_item(b, "nl", "date_days", 7, &out), 0);
	assert_string_equal(out.ptr, "");
	assert_int_equal(bot_message_item(b, "nl", "no_such_key", 0, &out), 0);
	buf_release(&out);
	bot_free(b);
}

static void test_intents(void **state)
{
	struct bot *b = NULL;
	struct buf rest;

	assert_int_equal(bot_load(&b, DEMO, NULL), 0);
	buf_init(&rest, 0);
	assert_int_equal(bot_intent_match(b, "nl", "Hallo!", &rest), BOT_INTENT_GREETING);
	assert_int_equal(rest.len, 0);
	assert_int_equal(bot_intent_match(b, "nl", "Dank u wel", &rest), BOT_INTENT_THANKS);
	assert_int_equal(bot_intent_match(b, "nl", "Wie ben jij?", &rest), BOT_INTENT_WHO);
	assert_int_equal(bot_intent_match(b, "nl", "ik wil een medewerker spreken", &rest), BOT_INTENT_HUMAN);
	assert_int_equal(bot_intent_match(b, "nl", "thank you", &rest), BOT_INTENT_THANKS); /* other language */
	assert_int_equal(bot_intent_match(b, "en", "Goodbye", &rest), BOT_INTENT_GOODBYE);
	assert_int_equal(bot_intent_match(b, "nl", "Hoe vraag ik een paspoort aan?", &rest), BOT_INTENT_NONE);
	assert_int_equal(bot_intent_match(b, "nl", "Hallo, hoe vraag ik een paspoort aan?", &rest),
			 BOT_INTENT_GREETING);
	assert_string_equal(rest.ptr, "hoe vraag ik een paspoort aan");
	buf_release(&rest);
	bot_free(b);
}

static void make_bot_dir(char *dir, size_t n, const char *bot_yaml)
{
	char path[256], cmd[600];

	snprintf(dir, n, "/tmp/loket-test-bot-XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/messages", dir);
	mkdir(path, 0700);
	snprintf(cmd, sizeof(cmd), "cp " DEMO "/messages/*.yaml %s/messages/", dir);
	assert_int_equal(system(cmd), 0);
	snprintf(path, sizeof(path), "%s/bot.yaml", dir);
	write_file(path, bot_yaml);
}

static void remove_dir(const char *dir)
{
	char cmd[300];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

static void test_unknown_key_names_file_and_line(void **state)
{
	struct lk_err err = {0};
	struct bot *b = NULL;
	char dir[64];

	make_bot_dir(dir, sizeof(dir), "id: x\nname: X\nlanguages: [nl]\nretrieval:\n  answer_treshold: 0.4\n");
	assert_int_equal(bot_load(&b, dir, &err), LK_ECONFIG);
	assert_null(b);
	assert_non_null(strstr(err.msg, "bot.yaml:5"));
	assert_non_null(strstr(err.msg, "retrieval.answer_treshold"));
	remove_dir(dir);
}

static void test_bad_values_are_errors(void **state)
{
	struct lk_err err = {0};
	struct bot *b = NULL;
	char dir[64];

	make_bot_dir(dir, sizeof(dir), "id: x\nname: X\nlanguages: [nl]\nretrieval:\n  answer_threshold: veel\n");
	assert_int_equal(bot_load(&b, dir, &err), LK_ECONFIG);
	assert_non_null(strstr(err.msg, "answer_threshold"));
	remove_dir(dir);
	make_bot_dir(dir, sizeof(dir), "id: x\nname: X\nlanguages: [de]\n");
	assert_int_not_equal(bot_load(&b, dir, &err), 0); /* no messages/de.yaml */
	assert_non_null(strstr(err.msg, "de.yaml"));
	remove_dir(dir);
	make_bot_dir(dir, sizeof(dir), "id: x\nname: X\nlanguages: [nl]\ndefault_lang: en\n");
	assert_int_equal(bot_load(&b, dir, &err), LK_ECONFIG);
	assert_non_null(strstr(err.msg, "default_lang"));
	remove_dir(dir);
	make_bot_dir(dir, sizeof(dir), "id: x\nname: [unclosed\n");
	assert_int_equal(bot_load(&b, dir, &err), LK_EPARSE);
	assert_non_null(strstr(err.msg, "bot.yaml:"));
	remove_dir(dir);
}

static void test_yaml_json_rejects_duplicates_and_aliases(void **state)
{
	const char *const allowed[] = {"a", "b", "b.*", NULL};
	struct lk_err err = {0};
	char path[] = "/tmp/loket-test-yaml-XXXXXX";
	json_t *root = NULL;
	int fd = mkstemp(path);

	close(fd);
	write_file(path, "a: 1\na: 2\n");
	assert_int_equal(yaml_json_load(path, allowed, &root, &err), LK_ECONFIG);
	assert_non_null(strstr(err.msg, "twice"));
	write_file(path, "a: &x 1\nb: *x\n");
	assert_int_not_equal(yaml_json_load(path, allowed, &root, &err), 0);
	write_file(path, "a: hoi\nb:\n  anything: [1, 2]\n");
	assert_int_equal(yaml_json_load(path, allowed, &root, &err), 0);
	assert_string_equal(json_string_value(json_object_get(root, "a")), "hoi");
	assert_int_equal(json_array_size(json_object_get(json_object_get(root, "b"), "anything")), 2);
	json_decref(root);
	assert_int_equal(yaml_json_load("/nonexistent/x.yaml", allowed, &root, &err), LK_EIO);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_demo_bot_loads),
		cmocka_unit_test(test_ai_notice_says_ai_in_both_languages),
		cmocka_unit_test(test_message_vars_and_list_items),
		cmocka_unit_test(test_intents),
		cmocka_unit_test(test_unknown_key_names_file_and_line),
		cmocka_unit_test(test_bad_values_are_errors),
		cmocka_unit_test(test_yaml_json_rejects_duplicates_and_aliases),
	};
	return cmocka_run_group_tests_name("conv/bot", tests, NULL, NULL);
}
