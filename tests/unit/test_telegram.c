/* test_telegram.c - unit tests for the Telegram Bot API adapter
 * (src/channels/telegram): the secret-token check, Updates as the Bot API
 * sends them, sendMessage bodies with inline keyboards, and Bot API answers. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "channels/channel.h"
#include "channels/telegram.h"
#include "core/buf.h"

/* ---- helpers ---- */

static int parse(const char *body, struct channel_batch *b, struct lk_err *err)
{
	return tg_parse_update(body, strlen(body), b, err);
}

static int answer(long status, const char *body, unsigned *retry, struct lk_err *err)
{
	return tg_parse_response(status, body, body ? strlen(body) : 0, retry, err);
}

static struct channel_batch *new_batch(void)
{
	struct channel_batch *b = malloc(sizeof(*b));

	assert_non_null(b);
	memset(b, 0x5a, sizeof(*b));
	return b;
}

static char *repeat(const char *unit, size_t times)
{
	size_t n = strlen(unit);
	char *s = malloc(n * times + 1);

	assert_non_null(s);
	for (size_t i = 0; i < times; i++)
		memcpy(s + i * n, unit, n);
	s[n * times] = '\0';
	return s;
}

static json_t *msg(const char *json)
{
	json_error_t e;
	json_t *j = json_loads(json, 0, &e);

	if (!j)
		fail_msg("bad test JSON: %s", e.text);
	return j;
}

static void assert_json(const json_t *got, const char *want)
{
	json_t *w = msg(want);

	if (!json_equal(got, w)) {
		char *g = json_dumps(got, JSON_SORT_KEYS);

		fail_msg("got %s", g);
	}
	json_decref(w);
}

/* ---- secret token ---- */

static void test_secret_check(void **state)
{
	struct lk_err err = { 0 };

	assert_int_equal(tg_secret_check("Geheim_Token-123", "Geheim_Token-123", &err), 0);
	assert_int_equal(tg_secret_check("Geheim_Token-123", "Geheim_Token-124", &err), LK_EAUTH);
	assert_string_equal(err.reason, "bad_secret_token");
	assert_null(strstr(err.msg, "Geheim"));
	assert_int_equal(tg_secret_check("Geheim_Token-123", "Geheim_Token-12", NULL), LK_EAUTH);
	assert_int_equal(tg_secret_check("Geheim_Token-123", "Geheim_Token-1234", NULL), LK_EAUTH);
	assert_int_equal(tg_secret_check("Geheim_Token-123", "geheim_token-123", NULL), LK_EAUTH);
	assert_int_equal(tg_secret_check("Geheim_Token-123", "", NULL), LK_EAUTH);
	assert_int_equal(tg_secret_check("Geheim_Token-123", NULL, &err), LK_EAUTH);
	assert_string_equal(err.reason, "no_secret_token");
	assert_int_equal(tg_secret_check("", "", NULL), LK_ECONFIG);
	assert_int_equal(tg_secret_check(NULL, "x", NULL), LK_ECONFIG);
}

/* ---- updates ---- */

static void test_text_message(void **state)
{
	struct channel_batch *b = new_batch();
	struct lk_err err = { 0 };

	assert_int_equal(parse("{\"update_id\":10000,\"message\":{\"message_id\":1365,\"from\":"
			       "{\"id\":1111111,\"is_bot\":false,\"first_name\":\"Sanne\","
			       "\"username\":\"sanne\",\"language_code\":\"nl\"},\"chat\":{\"id\":"
			       "1111111,\"first_name\":\"Sanne\",\"username\":\"sanne\",\"type\":"
			       "\"private\"},\"date\":1441645532,\"text\":\"Wat kost een paspoort?\"}}",
			       b, &err),
			 0);
	assert_int_equal(b->n, 1);
	assert_int_equal(b->dropped, 0);
	assert_int_equal(b->events[0].kind, CHANNEL_EVENT_TEXT);
	assert_string_equal(b->events[0].id, "10000");
	assert_string_equal(b->events[0].user, "1111111");
	assert_string_equal(b->events[0].lang, "nl");
	assert_string_equal(b->events[0].text, "Wat kost een paspoort?");
	assert_string_equal(b->events[0].callback_id, "");
	assert_int_equal(b->events[0].timestamp, 1441645532);
	channel_batch_release(b);
	assert_int_equal(b->n, 0);
	free(b);
}

static void test_language_codes(void **state)
{
	static const struct {
		const char *from;
		const char *lang;
	} cases[] = {
		{ "\"language_code\":\"en-GB\"", "en" }, { "\"language_code\":\"NL\"", "nl" },
		{ "\"language_code\":\"pt-br\"", "pt" }, { "\"language_code\":\"1a\"", "" },
		{ "\"language_code\":\"e\"", "" },      { "\"language_code\":\"\"", "" },
		{ "\"language_code\":5", "" },          { "\"first_name\":\"X\"", "" },
		{ "\"language_code\":\"\\u00e9n\"", "" },
	};
	struct channel_batch *b = new_batch();
	char body[512];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(body, sizeof(body),
			 "{\"update_id\":1,\"message\":{\"message_id\":2,\"from\":{\"id\":3,%s},"
			 "\"chat\":{\"id\":3,\"type\":\"private\"},\"date\":4,\"text\":\"hoi\"}}",
			 cases[i].from);
		assert_int_equal(parse(body, b, NULL), 0);
		assert_int_equal(b->n, 1);
		assert_string_equal(b->events[0].lang, cases[i].lang);
		channel_batch_release(b);
	}
	free(b);
}

static void test_message_without_text_is_other(void **state)
{
	struct channel_batch *b = new_batch();

	assert_int_equal(parse("{\"update_id\":7,\"message\":{\"message_id\":9,\"from\":{\"id\":42,"
			       "\"is_bot\":false,\"first_name\":\"A\"},\"chat\":{\"id\":42,\"type\":"
			       "\"private\"},\"date\":1700000000,\"photo\":[{\"file_id\":\"AgAD\","
			       "\"file_unique_id\":\"u\",\"width\":90,\"height\":90}],\"caption\":"
			       "\"mijn paspoort\"}}",
			       b, NULL),
			 0);
	assert_int_equal(b->n, 1);
	assert_int_equal(b->events[0].kind, CHANNEL_EVENT_OTHER);
	assert_null(b->events[0].text);
	assert_string_equal(b->events[0].user, "42");
	channel_batch_release(b);
	/* Empty text is no text. */
	assert_int_equal(parse("{\"update_id\":8,\"message\":{\"chat\":{\"id\":42,\"type\":"
			       "\"private\"},\"text\":\"\"}}",
			       b, NULL),
			 0);
	assert_int_equal(b->events[0].kind, CHANNEL_EVENT_OTHER);
	assert_int_equal(b->events[0].timestamp, 0);
	channel_batch_release(b);
	free(b);
}

static void test_callback_query(void **state)
{
	struct channel_batch *b = new_batch();

	assert_int_equal(parse("{\"update_id\":10001,\"callback_query\":{\"id\":"
			       "\"4382bfdwdsb323b2d9\",\"from\":{\"id\":1111111,\"is_bot\":false,"
			       "\"first_name\":\"Sanne\",\"language_code\":\"en\"},\"message\":"
			       "{\"message_id\":1366,\"from\":{\"id\":999,\"is_bot\":true,"
			       "\"first_name\":\"Loket\"},\"chat\":{\"id\":2222222,\"type\":"
			       "\"private\"},\"date\":1441645532,\"text\":\"Kies\"},"
			       "\"chat_instance\":\"-7098\",\"data\":\"afspraak_maken\"}}",
			       b, NULL),
			 0);
	assert_int_equal(b->n, 1);
	assert_int_equal(b->events[0].kind, CHANNEL_EVENT_ACTION);
	assert_string_equal(b->events[0].id, "10001");
	assert_string_equal(b->events[0].text, "afspraak_maken");
	assert_string_equal(b->events[0].callback_id, "4382bfdwdsb323b2d9");
	assert_string_equal(b->events[0].user, "2222222");
	assert_string_equal(b->events[0].lang, "en");
	assert_int_equal(b->events[0].timestamp, 0);
	channel_batch_release(b);

	/* Without the message (too old, or inline): the sender's id. */
	assert_int_equal(parse("{\"update_id\":10002,\"callback_query\":{\"id\":\"77\",\"from\":"
			       "{\"id\":1111111,\"is_bot\":false,\"first_name\":\"S\"},"
			       "\"inline_message_id\":\"abc\",\"chat_instance\":\"1\",\"data\":\"x\"}}",
			       b, NULL),
			 0);
	assert_int_equal(b->n, 1);
	assert_string_equal(b->events[0].user, "1111111");
	assert_string_equal(b->events[0].lang, "");
	channel_batch_release(b);
	free(b);
}

static void test_dropped_updates(void **state)
{
	static const char *const dropped[] = {
		/* edited messages, channel posts and other update kinds */
		"{\"update_id\":1,\"edited_message\":{\"message_id\":1,\"chat\":{\"id\":1,\"type\":"
		"\"private\"},\"date\":1,\"edit_date\":2,\"text\":\"x\"}}",
		"{\"update_id\":2,\"channel_post\":{\"message_id\":1,\"chat\":{\"id\":-100123,"
		"\"type\":\"channel\"},\"date\":1,\"text\":\"x\"}}",
		"{\"update_id\":3,\"my_chat_member\":{\"chat\":{\"id\":1,\"type\":\"private\"}}}",
		"{\"update_id\":4}",
		"{\"update_id\":5,\"message\":\"x\"}",
		/* chats that are not private */
		"{\"update_id\":6,\"message\":{\"message_id\":1,\"from\":{\"id\":5},\"chat\":{\"id\":"
		"-100200,\"type\":\"supergroup\",\"title\":\"G\"},\"date\":1,\"text\":\"hoi\"}}",
		"{\"update_id\":7,\"message\":{\"message_id\":1,\"chat\":{\"id\":-5,\"type\":"
		"\"group\"},\"text\":\"hoi\"}}",
		"{\"update_id\":8,\"callback_query\":{\"id\":\"1\",\"from\":{\"id\":5},\"message\":"
		"{\"message_id\":1,\"chat\":{\"id\":-5,\"type\":\"group\"}},\"data\":\"x\"}}",
		/* unusable shapes */
		"{\"update_id\":9,\"message\":{\"message_id\":1,\"text\":\"hoi\"}}",
		"{\"update_id\":10,\"message\":{\"chat\":{\"id\":\"5\",\"type\":\"private\"},"
		"\"text\":\"hoi\"}}",
		"{\"update_id\":11,\"message\":{\"chat\":{\"id\":5},\"text\":\"hoi\"}}",
		"{\"update_id\":12,\"callback_query\":{\"id\":\"1\",\"from\":{\"id\":5},"
		"\"game_short_name\":\"g\"}}",
		"{\"update_id\":13,\"callback_query\":{\"id\":\"1\",\"from\":{\"id\":5},\"data\":\"\"}}",
		"{\"update_id\":14,\"callback_query\":{\"from\":{\"id\":5},\"data\":\"x\"}}",
		"{\"update_id\":15,\"callback_query\":{\"id\":\"1\",\"data\":\"x\"}}",
		"{\"update_id\":16,\"callback_query\":{\"id\":\"1 2\",\"from\":{\"id\":5},\"data\":"
		"\"x\"}}",
	};
	struct channel_batch *b = new_batch();

	for (size_t i = 0; i < sizeof(dropped) / sizeof(dropped[0]); i++) {
		assert_int_equal(parse(dropped[i], b, NULL), 0);
		assert_int_equal(b->n, 0);
		assert_int_equal(b->dropped, 1);
		channel_batch_release(b);
	}
	free(b);
}

static void test_malformed_updates(void **state)
{
	static const char *const bad[] = {
		"",
		"{",
		"[]",
		"null",
		"{\"message\":{\"chat\":{\"id\":1,\"type\":\"private\"},\"text\":\"x\"}}",
		"{\"update_id\":\"10000\"}",
		"{\"update_id\":-1}",
		"{\"update_id\":1.5}",
		"{\"update_id\":1,\"update_id\":2}",
		"{\"update_id\":1,\"message\":{\"chat\":{\"id\":99999999999999999999,\"type\":"
		"\"private\"}}}",
		"{\"update_id\":1} x",
	};
	struct channel_batch *b = new_batch();
	struct lk_err err;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&err, 0, sizeof(err));
		assert_int_equal(parse(bad[i], b, &err), LK_EPARSE);
		assert_int_equal(err.code, LK_EPARSE);
		assert_true(strlen(err.msg) > 0);
		assert_int_equal(b->n, 0);
	}
	assert_int_equal(tg_parse_update(NULL, 0, b, NULL), LK_EPARSE);
	assert_int_equal(tg_parse_update(NULL, 3, b, NULL), LK_EINVAL);
	free(b);
}

static void test_limits(void **state)
{
	char *big = malloc(TG_BODY_MAX + 2), *long_id = repeat("c", CHANNEL_EVENT_ID_MAX + 1);
	char *ok_id = repeat("c", CHANNEL_EVENT_ID_MAX), *text = repeat("\xe2\x82\xac", 3000);
	struct channel_batch *b = new_batch();
	struct buf body;
	size_t n;

	assert_non_null(big);
	memset(big, ' ', TG_BODY_MAX + 1);
	big[TG_BODY_MAX + 1] = '\0';
	assert_int_equal(tg_parse_update(big, TG_BODY_MAX + 1, b, NULL), LK_ETOOBIG);
	free(big);

	buf_init(&body, 0);
	buf_addf(&body, "{\"update_id\":1,\"callback_query\":{\"id\":\"%s\",\"from\":{\"id\":5},"
			"\"data\":\"x\"}}", long_id);
	assert_int_equal(parse(body.ptr, b, NULL), 0);
	assert_int_equal(b->n, 0);
	assert_int_equal(b->dropped, 1);
	buf_reset(&body);
	buf_addf(&body, "{\"update_id\":1,\"callback_query\":{\"id\":\"%s\",\"from\":{\"id\":5},"
			"\"data\":\"x\"}}", ok_id);
	assert_int_equal(parse(body.ptr, b, NULL), 0);
	assert_int_equal(b->n, 1);
	assert_string_equal(b->events[0].callback_id, ok_id);
	channel_batch_release(b);

	/* Largest ids Telegram uses (52 bits), and update_id as text. */
	assert_int_equal(parse("{\"update_id\":9007199254740991,\"message\":{\"chat\":{\"id\":"
			       "4503599627370495,\"type\":\"private\"},\"text\":\"x\"}}",
			       b, NULL),
			 0);
	assert_string_equal(b->events[0].id, "9007199254740991");
	assert_string_equal(b->events[0].user, "4503599627370495");
	channel_batch_release(b);

	/* A long text is cut at a character. */
	buf_reset(&body);
	buf_addf(&body, "{\"update_id\":1,\"message\":{\"chat\":{\"id\":5,\"type\":\"private\"},"
			"\"text\":\"%s\"}}", text);
	assert_int_equal(parse(body.ptr, b, NULL), 0);
	n = strlen(b->events[0].text);
	assert_int_equal(n, CHANNEL_TEXT_MAX - 1);
	assert_memory_equal(b->events[0].text, text, n);
	channel_batch_release(b);
	buf_release(&body);
	free(long_id);
	free(ok_id);
	free(text);
	free(b);
}

/* ---- sendMessage bodies ---- */

static void test_format_plain(void **state)
{
	json_t *m = msg("{\"role\":\"bot\",\"text\":\"Een paspoort kost 84 euro.\",\"sources\":"
			"[{\"title\":\"Tarieven\",\"url\":\"https://example.nl/t\"}],\"kind\":"
			"\"answer\"}");
	json_t *out = tg_format_message("1111111", m, "Bron");

	assert_json(out, "[{\"chat_id\":1111111,\"text\":\"Een paspoort kost 84 euro.\\n\\nBron: "
			 "Tarieven - https://example.nl/t\",\"link_preview_options\":"
			 "{\"is_disabled\":true}}]");
	assert_null(json_object_get(json_array_get(out, 0), "parse_mode"));
	json_decref(out);
	/* Characters HTML or Markdown would need escaped go as they are. */
	json_decref(m);
	m = msg("{\"text\":\"<b>*vet*</b> & _schuin_ [link](x)\"}");
	out = tg_format_message("-100123", m, NULL);
	assert_json(out, "[{\"chat_id\":-100123,\"text\":\"<b>*vet*</b> & _schuin_ [link](x)\","
			 "\"link_preview_options\":{\"is_disabled\":true}}]");
	json_decref(out);
	json_decref(m);
}

static void test_format_keyboard(void **state)
{
	json_t *m = msg("{\"text\":\"Wilt u een afspraak maken?\",\"quick_replies\":["
			"{\"label\":\"Ja\",\"payload\":\"yes\"},"
			"{\"label\":\"Nee\",\"payload\":\"no\"}]}");
	json_t *out = tg_format_message("42", m, NULL);

	assert_json(out, "[{\"chat_id\":42,\"text\":\"Wilt u een afspraak maken?\","
			 "\"link_preview_options\":{\"is_disabled\":true},\"reply_markup\":"
			 "{\"inline_keyboard\":[[{\"text\":\"Ja\",\"callback_data\":\"yes\"}],"
			 "[{\"text\":\"Nee\",\"callback_data\":\"no\"}]]}}]");
	json_decref(out);
	json_decref(m);

	/* Only buttons: a default text carries them. */
	m = msg("{\"quick_replies\":[{\"label\":\"A\",\"payload\":\"a\"}]}");
	out = tg_format_message("42", m, NULL);
	assert_json(out, "[{\"chat_id\":42,\"text\":\"Kies een optie / Choose an option\","
			 "\"link_preview_options\":{\"is_disabled\":true},\"reply_markup\":"
			 "{\"inline_keyboard\":[[{\"text\":\"A\",\"callback_data\":\"a\"}]]}}]");
	json_decref(out);
	json_decref(m);
}

static void test_format_payload_limits(void **state)
{
	char *p64 = repeat("p", TG_CALLBACK_DATA_MAX), *p65 = repeat("q", TG_CALLBACK_DATA_MAX + 1);
	char *e33 = repeat("\xc3\xa9", 33); /* 33 characters, 66 bytes */
	char *e32 = repeat("\xc3\xa9", 32); /* 64 bytes */
	char *label = repeat("Heel lange knop ", 10);
	json_t *m = json_pack("{s:s, s:[{s:s, s:s}, {s:s, s:s}, {s:s, s:s}, {s:s, s:s}, {s:s, s:s},"
			      " {s:s, s:s}, {s:s, s:s}]}",
			      "text", "Kies", "quick_replies", "label", "64", "payload", p64, "label",
			      "65", "payload", p65, "label", "e33", "payload", e33, "label", "e32",
			      "payload", e32, "label", "", "payload", "leeg", "label", "dubbel",
			      "payload", p64, "label", label, "payload", "lang");
	json_t *out = tg_format_message("42", m, NULL);
	json_t *kb = json_object_get(json_object_get(json_array_get(out, 0), "reply_markup"),
				     "inline_keyboard");
	const char *t;

	assert_int_equal(json_array_size(kb), 3);
	assert_string_equal(json_string_value(json_object_get(
				    json_array_get(json_array_get(kb, 0), 0), "callback_data")),
			    p64);
	assert_string_equal(json_string_value(json_object_get(
				    json_array_get(json_array_get(kb, 1), 0), "callback_data")),
			    e32);
	t = json_string_value(json_object_get(json_array_get(json_array_get(kb, 2), 0), "text"));
	assert_true(channel_text_chars(t, strlen(t)) <= TG_BUTTON_TEXT_CHARS);
	assert_string_equal(t + strlen(t) - 3, "\xe2\x80\xa6");
	json_decref(out);
	json_decref(m);

	/* At most TG_BUTTONS_MAX buttons. */
	m = json_pack("{s:s, s:[]}", "text", "Kies", "quick_replies");
	for (int i = 0; i < 15; i++) {
		char p[8];

		snprintf(p, sizeof(p), "p%d", i);
		json_array_append_new(json_object_get(m, "quick_replies"),
				      json_pack("{s:s, s:s}", "label", p, "payload", p));
	}
	out = tg_format_message("42", m, NULL);
	kb = json_object_get(json_object_get(json_array_get(out, 0), "reply_markup"),
			     "inline_keyboard");
	assert_int_equal(json_array_size(kb), TG_BUTTONS_MAX);
	json_decref(out);
	json_decref(m);
	free(p64);
	free(p65);
	free(e33);
	free(e32);
	free(label);
}

static void test_format_split(void **state)
{
	struct buf t, joined;
	json_t *m, *out;
	size_t n;

	buf_init(&t, 0);
	for (int i = 0; t.len < 11000; i++)
		buf_addf(&t, "Zin %d over de \xf0\x9f\x9a\x97 parkeervergunning. ", i);
	m = json_pack("{s:s, s:[{s:s, s:s}]}", "text", t.ptr, "quick_replies", "label", "Meer",
		      "payload", "more");
	out = tg_format_message("42", m, NULL);
	n = json_array_size(out);
	assert_true(n >= 3);
	buf_init(&joined, 0);
	for (size_t i = 0; i < n; i++) {
		const json_t *part = json_array_get(out, i);
		const char *p = json_string_value(json_object_get(part, "text"));

		assert_true(channel_text_chars(p, strlen(p)) <= CHANNEL_OUT_TEXT_MAX);
		assert_int_equal(json_integer_value(json_object_get(part, "chat_id")), 42);
		/* The keyboard goes under the last part only. */
		if (i + 1 < n) {
			assert_null(json_object_get(part, "reply_markup"));
			assert_string_equal(p + strlen(p) - 2, ". ");
		} else {
			assert_non_null(json_object_get(part, "reply_markup"));
		}
		buf_adds(&joined, p);
	}
	assert_string_equal(joined.ptr, t.ptr);
	buf_release(&joined);
	buf_release(&t);
	json_decref(out);
	json_decref(m);
}

static void test_format_bad_arguments(void **state)
{
	json_t *m = msg("{\"text\":\"hoi\"}");
	json_t *empty = msg("{\"text\":\" \\n \",\"quick_replies\":[{\"label\":\"x\"}]}");
	json_t *out;

	assert_null(tg_format_message(NULL, m, NULL));
	assert_null(tg_format_message("", m, NULL));
	assert_null(tg_format_message("abc", m, NULL));
	assert_null(tg_format_message("12a", m, NULL));
	assert_null(tg_format_message("1 2", m, NULL));
	assert_null(tg_format_message(" 12", m, NULL));
	assert_null(tg_format_message("+12", m, NULL));
	assert_null(tg_format_message("-", m, NULL));
	assert_null(tg_format_message("99999999999999999999", m, NULL));
	assert_null(tg_format_message("42", NULL, NULL));
	out = tg_format_message("42", empty, NULL);
	assert_non_null(out);
	assert_int_equal(json_array_size(out), 0);
	json_decref(out);
	json_decref(empty);
	json_decref(m);
}

/* ---- answers ---- */

static void test_responses(void **state)
{
	struct lk_err err;
	unsigned retry = 99;

	memset(&err, 0, sizeof(err));
	assert_int_equal(answer(200, "{\"ok\":true,\"result\":{\"message_id\":1,\"chat\":{\"id\":42,"
				     "\"type\":\"private\"},\"date\":1,\"text\":\"hoi\"}}",
				&retry, &err),
			 0);
	assert_int_equal(retry, 0);
	assert_int_equal(answer(200, "{\"ok\":true,\"result\":true}", NULL, NULL), 0);

	assert_int_equal(answer(429, "{\"ok\":false,\"error_code\":429,\"description\":\"Too Many "
				     "Requests: retry after 17\",\"parameters\":{\"retry_after\":17}}",
				&retry, &err),
			 LK_EREMOTE);
	assert_int_equal(retry, 17);
	assert_string_equal(err.reason, "rate_limited");
	assert_non_null(strstr(err.msg, "Too Many Requests: retry after 17"));

	assert_int_equal(answer(429, "{\"ok\":false,\"error_code\":429,\"description\":\"x\","
				     "\"parameters\":{\"retry_after\":9999999}}",
				&retry, &err),
			 LK_EREMOTE);
	assert_int_equal(retry, 86400);
	assert_int_equal(answer(429, "{\"ok\":false,\"error_code\":429,\"description\":\"x\"}",
				&retry, &err),
			 LK_EREMOTE);
	assert_int_equal(retry, 5);

	assert_int_equal(answer(403, "{\"ok\":false,\"error_code\":403,\"description\":\"Forbidden: "
				     "bot was blocked by the user\"}",
				&retry, &err),
			 LK_EREMOTE);
	assert_string_equal(err.reason, "forbidden");
	assert_int_equal(retry, 0);
	assert_non_null(strstr(err.msg, "blocked by the user"));
	assert_int_equal(answer(400, "{\"ok\":false,\"error_code\":400,\"description\":\"Bad Request: "
				     "chat not found\"}",
				&retry, &err),
			 LK_EREMOTE);
	assert_string_equal(err.reason, "bad_request");
	assert_int_equal(answer(401, "{\"ok\":false,\"error_code\":401,\"description\":"
				     "\"Unauthorized\"}",
				NULL, &err),
			 LK_EREMOTE);
	assert_string_equal(err.reason, "auth");
	assert_int_equal(answer(404, "{\"ok\":false,\"error_code\":404,\"description\":\"Not Found\"}",
				NULL, &err),
			 LK_EREMOTE);
	assert_string_equal(err.reason, "auth");
	assert_int_equal(answer(500, "{\"ok\":false,\"error_code\":500,\"description\":\"Internal "
				     "Server Error\"}",
				&retry, &err),
			 LK_EREMOTE);
	assert_string_equal(err.reason, "remote");
	assert_int_equal(retry, 0);

	/* Not a Bot API answer. */
	assert_int_equal(answer(502, "<html>\r\n<h1>502 Bad Gateway</h1></html>", &retry, &err),
			 LK_EREMOTE);
	assert_non_null(strstr(err.msg, "502 Bad Gateway"));
	assert_null(strchr(err.msg, '\n'));
	assert_int_equal(answer(502, NULL, &retry, &err), LK_EREMOTE);
	assert_int_equal(answer(200, "OK", &retry, &err), LK_EPARSE);
	assert_int_equal(answer(200, "{\"result\":true}", &retry, &err), LK_EPARSE);
	assert_int_equal(answer(200, "{\"ok\":\"true\"}", &retry, &err), LK_EPARSE);
	assert_int_equal(answer(200, "{\"ok\":false}", &retry, &err), LK_EREMOTE);
	assert_int_equal(answer(400, "{\"ok\":false,\"error_code\":\"x\",\"description\":7,"
				     "\"parameters\":{\"retry_after\":-3}}",
				&retry, &err),
			 LK_EREMOTE);
	assert_int_equal(retry, 0);
	assert_string_equal(err.reason, "bad_request");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_secret_check),
		cmocka_unit_test(test_text_message),
		cmocka_unit_test(test_language_codes),
		cmocka_unit_test(test_message_without_text_is_other),
		cmocka_unit_test(test_callback_query),
		cmocka_unit_test(test_dropped_updates),
		cmocka_unit_test(test_malformed_updates),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_format_plain),
		cmocka_unit_test(test_format_keyboard),
		cmocka_unit_test(test_format_payload_limits),
		cmocka_unit_test(test_format_split),
		cmocka_unit_test(test_format_bad_arguments),
		cmocka_unit_test(test_responses),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
