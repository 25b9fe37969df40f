/* test_conv.c - unit tests for the conversation engine over the demo bot:
 * AI notice first, answers with sources, honest fallback, small talk,
 * feedback actions, input validation, tokens, transcript and erasure.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "conv/conv.h"
#include "core/mem.h"

#define DEMO "bots/gemeente-demo"

struct fixture {
	struct bot *bot;
	struct store *st;
	struct kb_live *kb;
	struct conv_engine *e;
	char id[64], token[128];
};

static int setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof(*f));
	struct lk_err err = {0};
	json_t *out = NULL;

	assert_int_equal(bot_load(&f->bot, DEMO, &err), 0);
	assert_int_equal(store_open(&f->st, "sqlite::memory:", &err), 0);
	assert_int_equal(kb_live_import_dir(f->st, bot_id(f->bot), DEMO "/kb", NULL, &err), 0);
	assert_int_equal(kb_live_open(&f->kb, f->st, bot_id(f->bot), bot_synonyms_path(f->bot), &err), 0);
	assert_int_equal(conv_engine_new(&f->e, f->bot, f->st, f->kb, &err), 0);
	assert_int_equal(conv_create(f->e, NULL, "web", &out, &err), 0);
	snprintf(f->id, sizeof(f->id), "%s", json_string_value(json_object_get(out, "id")));
	snprintf(f->token, sizeof(f->token), "%s", json_string_value(json_object_get(out, "token")));
	json_decref(out);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	conv_engine_free(f->e);
	kb_live_free(f->kb);
	store_close(f->st);
	bot_free(f->bot);
	free(f);
	return 0;
}

/* Posts text and returns the first bot message's kind (static copy). */
static const char *post_kind(struct fixture *f, const char *text, json_t **keep)
{
	static char kind[32];
	struct lk_err err = {0};
	json_t *out = NULL, *m;

	assert_int_equal(conv_post(f->e, f->id, f->token, text, NULL, &out, &err), 0);
	m = json_array_get(json_object_get(out, "messages"), 0);
	assert_non_null(m);
	snprintf(kind, sizeof(kind), "%s", json_string_value(json_object_get(m, "kind")));
	if (keep)
		*keep = out;
	else
		json_decref(out);
	return kind;
}

static void test_first_message_says_ai(void **state)
{
	struct fixture *f = *state;
	struct lk_err err = {0};
	json_t *out = NULL, *m;

	assert_int_equal(conv_create(f->e, "en", NULL, &out, &err), 0);
	assert_int_equal(strlen(json_string_value(json_object_get(out, "id"))), 32);
	assert_int_equal(strlen(json_string_value(json_object_get(out, "token"))), 64);
	m = json_array_get(json_object_get(out, "messages"), 0);
	assert_string_equal(json_string_value(json_object_get(m, "kind")), "system");
	assert_non_null(strstr(json_string_value(json_object_get(m, "text")), "AI assistant"));
	assert_int_equal(json_integer_value(json_object_get(m, "seq")), 1);
	json_decref(out);
	assert_int_equal(conv_create(f->e, "xx", NULL, &out, &err), LK_EINVAL);
	assert_string_equal(err.reason, "unsupported_lang");
	assert_int_equal(conv_create(f->e, NULL, "Web Site!", &out, &err), LK_EINVAL);
}

static void test_question_gets_answer_with_source(void **state)
{
	struct fixture *f = *state;
	json_t *out = NULL, *m, *src;

	assert_string_equal(post_kind(f, "Hoe vraag ik een paspoort aan?", &out), "answer");
	m = json_array_get(json_object_get(out, "messages"), 0);
	src = json_array_get(json_object_get(m, "sources"), 0);
	assert_non_null(src);
	assert_non_null(json_string_value(json_object_get(src, "url")));
	assert_true(strlen(json_string_value(json_object_get(m, "text"))) > 20);
	assert_int_equal(json_array_size(json_object_get(m, "quick_replies")), 2);
	assert_int_equal(json_integer_value(json_object_get(m, "seq")), 3);
	assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(m, "quick_replies"), 0), "payload")),
			    "feedback:helped:3");
	json_decref(out);
}

static void test_unknown_topic_gets_honest_fallback(void **state)
{
	struct fixture *f = *state;
	const char *kind = post_kind(f, "Wat is het recept voor appeltaart met rozijnen?", NULL);

	assert_true(!strcmp(kind, "fallback") || !strcmp(kind, "suggestions"));
	assert_string_equal(post_kind(f, "qwxz vbnmk plofter", NULL), "fallback");
}

static void test_small_talk(void **state)
{
	struct fixture *f = *state;

	assert_string_equal(post_kind(f, "hallo", NULL), "smalltalk");
	assert_string_equal(post_kind(f, "Bedankt!", NULL), "smalltalk");
	assert_string_equal(post_kind(f, "wie ben jij?", NULL), "smalltalk");
	assert_string_equal(post_kind(f, "tot ziens", NULL), "smalltalk");
	assert_string_equal(post_kind(f, "ik wil een medewerker spreken", NULL), "handoff");
}

static void test_feedback_action(void **state)
{
	struct fixture *f = *state;
	struct lk_err err = {0};
	json_t *out = NULL;

	json_decref(NULL);
	post_kind(f, "Hoe vraag ik een paspoort aan?", NULL);
	assert_int_equal(conv_post(f->e, f->id, f->token, NULL, "feedback:helped:3", &out, &err), 0);
	assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(out, "messages"), 0), "kind")),
			    "feedback");
	json_decref(out);
	assert_int_equal(conv_post(f->e, f->id, f->token, NULL, "launch:missiles", &out, &err), LK_EINVAL);
	assert_string_equal(err.reason, "unknown_action");
	assert_int_equal(conv_post(f->e, f->id, f->token, NULL, "handoff:request", &out, &err), 0);
	json_decref(out);
}

static void test_bad_input(void **state)
{
	struct fixture *f = *state;
	struct lk_err err = {0};
	json_t *out = NULL;
	char *big = xmalloc(CONV_TEXT_MAX + 2);

	assert_int_equal(conv_post(f->e, f->id, f->token, "   ", NULL, &out, &err), LK_EINVAL);
	assert_string_equal(err.reason, "empty_text");
	memset(big, 'a', CONV_TEXT_MAX + 1);
	big[CONV_TEXT_MAX + 1] = '\0';
	assert_int_equal(conv_post(f->e, f->id, f->token, big, NULL, &out, &err), LK_EINVAL);
	assert_string_equal(err.reason, "text_too_long");
	free(big);
	assert_int_equal(conv_post(f->e, f->id, f->token, "caf\xc3(", NULL, &out, &err), LK_EINVAL);
	assert_string_equal(err.reason, "invalid_utf8");
	assert_int_equal(conv_post(f->e, f->id, "wrong", "hallo", NULL, &out, &err), LK_EAUTH);
	assert_int_equal(conv_post(f->e, f->id, NULL, "hallo", NULL, &out, &err), LK_EAUTH);
	assert_int_equal(conv_post(f->e, "ffffffffffffffffffffffffffffffff", f->token, "hallo", NULL, &out, &err),
			 LK_ENOTFOUND);
	assert_int_equal(conv_post(f->e, "../../etc/passwd", f->token, "hallo", NULL, &out, &err), LK_ENOTFOUND);
	assert_int_equal(conv_post(f->e, f->id, f->token, NULL, NULL, &out, &err), LK_EINVAL);
}

static void test_transcript_and_delete(void **state)
{
	struct fixture *f = *state;
	struct lk_err err = {0};
	json_t *out = NULL, *msgs;

	post_kind(f, "hallo", NULL);
	post_kind(f, "Hoe vraag ik een paspoort aan?", NULL);
	assert_int_equal(conv_transcript(f->e, f->id, f->token, &out, &err), 0);
	msgs = json_object_get(out, "messages");
	assert_int_equal(json_array_size(msgs), 5);
	for (size_t i = 0; i < 5; i++)
		assert_int_equal(json_integer_value(json_object_get(json_array_get(msgs, i), "seq")), (json_int_t)i + 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(msgs, 1), "role")), "user");
	assert_string_equal(json_string_value(json_object_get(json_array_get(msgs, 1), "text")), "hallo");
	json_decref(out);
	assert_int_equal(conv_delete(f->e, f->id, "wrong", &err), LK_EAUTH);
	assert_int_equal(conv_delete(f->e, f->id, f->token, &err), 0);
	assert_int_equal(conv_transcript(f->e, f->id, f->token, &out, &err), LK_ENOTFOUND);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_first_message_says_ai, setup, teardown),
		cmocka_unit_test_setup_teardown(test_question_gets_answer_with_source, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unknown_topic_gets_honest_fallback, setup, teardown),
		cmocka_unit_test_setup_teardown(test_small_talk, setup, teardown),
		cmocka_unit_test_setup_teardown(test_feedback_action, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_input, setup, teardown),
		cmocka_unit_test_setup_teardown(test_transcript_and_delete, setup, teardown),
	};
	return cmocka_run_group_tests_name("conv", tests, NULL, NULL);
}
