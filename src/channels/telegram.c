/* telegram.c - the Telegram Bot API adapter (see telegram.h): secret-token
 * check, one webhook Update into channel events, bot messages into
 * sendMessage bodies with inline keyboards, and Bot API answers read back. */
#include "channels/telegram.h"

#include "core/mem.h"

#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char tg_default_choose[] = "Kies een optie / Choose an option";

/* ---- Webhook calls ---- */

int tg_secret_check(const char *expected, const char *header, struct lk_err *err)
{
	if (!expected || !*expected)
		return lk_err_setr(err, LK_ECONFIG, "no_secret",
				   "telegram: no secret token configured");
	if (!header)
		return lk_err_setr(err, LK_EAUTH, "no_secret_token",
				   "telegram: missing X-Telegram-Bot-Api-Secret-Token header");
	if (!channel_secret_equal(expected, header))
		return lk_err_setr(err, LK_EAUTH, "bad_secret_token",
				   "telegram: X-Telegram-Bot-Api-Secret-Token does not match");
	return 0;
}

/* "nl" from "nl", "en" from "en-GB"; "" unless two ASCII letters. */
static void tg_lang(char *dst, size_t size, const json_t *from)
{
	const char *code = json_string_value(json_object_get(from, "language_code"));

	dst[0] = '\0';
	if (!code || size < 3)
		return;
	for (int i = 0; i < 2; i++) {
		char c = code[i];

		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (c < 'a' || c > 'z') {
			dst[0] = '\0';
			return;
		}
		dst[i] = c;
	}
	dst[2] = '\0';
}

/* Writes the integer v as decimal text into dst; -1 when v is no integer. */
static int tg_decimal(char *dst, size_t size, const json_t *v)
{
	int n;

	if (!json_is_integer(v))
		return -1;
	n = snprintf(dst, size, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
	return n > 0 && (size_t)n < size ? 0 : -1;
}

/* A message in a private chat; -1 when it is unusable. */
static int tg_read_message(const json_t *msg, struct channel_event *ev)
{
	const json_t *chat = json_object_get(msg, "chat");
	const char *type = json_string_value(json_object_get(chat, "type"));
	const json_t *text = json_object_get(msg, "text");
	const json_t *date = json_object_get(msg, "date");

	if (!type || strcmp(type, "private") != 0 ||
	    tg_decimal(ev->user, sizeof(ev->user), json_object_get(chat, "id")))
		return -1;
	tg_lang(ev->lang, sizeof(ev->lang), json_object_get(msg, "from"));
	ev->timestamp = json_integer_value(date) > 0 ? (int64_t)json_integer_value(date) : 0;
	if (json_is_string(text) && json_string_length(text) > 0) {
		ev->kind = CHANNEL_EVENT_TEXT;
		ev->text = channel_text_dup(json_string_value(text), json_string_length(text));
	} else {
		ev->kind = CHANNEL_EVENT_OTHER;
	}
	return 0;
}

/* A button press; -1 when it is unusable. */
static int tg_read_callback(const json_t *cq, struct channel_event *ev)
{
	const json_t *msg = json_object_get(cq, "message");
	const json_t *from = json_object_get(cq, "from");
	const json_t *data = json_object_get(cq, "data");

	if (!json_is_string(data) || json_string_length(data) == 0 ||
	    channel_copy_id(ev->callback_id, sizeof(ev->callback_id),
			    json_string_value(json_object_get(cq, "id"))))
		return -1;
	if (json_is_object(msg)) {
		const json_t *chat = json_object_get(msg, "chat");
		const char *type = json_string_value(json_object_get(chat, "type"));

		if (!type || strcmp(type, "private") != 0 ||
		    tg_decimal(ev->user, sizeof(ev->user), json_object_get(chat, "id")))
			return -1;
	} else if (tg_decimal(ev->user, sizeof(ev->user), json_object_get(from, "id"))) {
		return -1;
	}
	tg_lang(ev->lang, sizeof(ev->lang), from);
	ev->kind = CHANNEL_EVENT_ACTION;
	ev->text = channel_text_dup(json_string_value(data), json_string_length(data));
	return 0;
}

int tg_parse_update(const char *body, size_t len, struct channel_batch *out, struct lk_err *err)
{
	const json_t *uid, *msg, *cq;
	struct channel_event ev, *e;
	json_error_t jerr;
	json_t *root = NULL;
	int rc = 0, bad;

	channel_batch_init(out);
	memset(&ev, 0, sizeof(ev));
	if (!body && len)
		return lk_err_set(err, LK_EINVAL, "telegram update: no body");
	if (len > TG_BODY_MAX)
		return lk_err_set(err, LK_ETOOBIG,
				  "telegram update: body of %zu bytes is too large", len);
	root = json_loadb(body ? body : "", len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root) {
		char why[sizeof(jerr.text)];

		channel_copy_clean(why, sizeof(why), jerr.text, strlen(jerr.text));
		rc = lk_err_set(err, LK_EPARSE, "telegram update: invalid JSON at line %d: %s",
				jerr.line, why);
		goto out;
	}
	uid = json_object_get(root, "update_id");
	if (!json_is_object(root) || !json_is_integer(uid) || json_integer_value(uid) < 0) {
		rc = lk_err_set(err, LK_EPARSE, "telegram update: no update_id");
		goto out;
	}
	tg_decimal(ev.id, sizeof(ev.id), uid);
	msg = json_object_get(root, "message");
	cq = json_object_get(root, "callback_query");
	if (json_is_object(msg))
		bad = tg_read_message(msg, &ev);
	else if (json_is_object(cq))
		bad = tg_read_callback(cq, &ev);
	else
		bad = -1;
	if (bad) {
		free(ev.text);
		out->dropped++;
		goto out;
	}
	e = channel_batch_add(out);
	if (e)
		*e = ev;
out:
	json_decref(root);
	if (rc)
		channel_batch_release(out);
	return rc;
}

/* ---- Sending ---- */

static int tg_chat_id(const char *s, json_int_t *id)
{
	char *end;
	long long v;

	if (!s || !*s || strlen(s) > 24)
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || *end || end == s || (s[0] != '-' && (s[0] < '0' || s[0] > '9')))
		return -1;
	*id = (json_int_t)v;
	return 0;
}

static json_t *tg_message(json_int_t chat, const char *text, size_t len)
{
	return json_pack("{s:I, s:s%, s:{s:b}}", "chat_id", chat, "text", text, len,
			 "link_preview_options", "is_disabled", 1);
}

/* The inline keyboard for the quick replies, or NULL when none is usable. */
static json_t *tg_keyboard(const json_t *message)
{
	const json_t *replies = json_object_get(message, "quick_replies");
	const char *payloads[TG_BUTTONS_MAX];
	json_t *rows = json_array(), *q;
	size_t i, n = 0;

	json_array_foreach(replies, i, q) {
		const char *label = json_string_value(json_object_get(q, "label"));
		const char *payload = json_string_value(json_object_get(q, "payload"));
		size_t plen = payload ? strlen(payload) : 0;
		char *text;
		int seen = 0;

		if (i >= CHANNEL_OUT_REPLIES_SCAN || n >= TG_BUTTONS_MAX)
			break;
		if (!label || channel_is_blank(label, strlen(label)) || plen == 0 ||
		    plen > TG_CALLBACK_DATA_MAX)
			continue;
		for (size_t k = 0; k < n && !seen; k++)
			seen = strcmp(payloads[k], payload) == 0;
		if (seen)
			continue;
		text = channel_label(label, TG_BUTTON_TEXT_CHARS);
		json_array_append_new(rows, json_pack("[{s:s, s:s}]", "text", text, "callback_data",
						      payload));
		free(text);
		payloads[n++] = payload;
	}
	if (!n) {
		json_decref(rows);
		return NULL;
	}
	return json_pack("{s:o}", "inline_keyboard", rows);
}

json_t *tg_format_message(const char *chat_id, const json_t *message, const char *source_label)
{
	json_t *out, *keyboard, *last = NULL;
	size_t off = 0, len;
	json_int_t chat;
	char *text;

	if (tg_chat_id(chat_id, &chat) || !json_is_object(message))
		return NULL;
	text = channel_compose_text(message, source_label);
	len = strlen(text);
	out = json_array();
	while (off < len) {
		size_t cut = channel_split(text + off, len - off, CHANNEL_OUT_TEXT_MAX);

		if (!channel_is_blank(text + off, cut)) {
			last = tg_message(chat, text + off, cut);
			json_array_append_new(out, last);
		}
		off += cut;
	}
	keyboard = tg_keyboard(message);
	if (keyboard && !last) {
		last = tg_message(chat, tg_default_choose, strlen(tg_default_choose));
		json_array_append_new(out, last);
	}
	if (keyboard)
		json_object_set_new(last, "reply_markup", keyboard);
	free(text);
	return out;
}

/* ---- Answers ---- */

static const struct {
	long long code;
	const char *reason;
} tg_error_codes[] = {
	{ 400, "bad_request" },
	{ 401, "auth" },
	{ 403, "forbidden" },
	{ 404, "auth" }, /* the token in the URL is unknown */
	{ 429, "rate_limited" },
};

#define TG_RETRY_MAX 86400

int tg_parse_response(long status, const char *body, size_t len, unsigned *retry_after_s,
		      struct lk_err *err)
{
	const char *reason = "remote", *desc;
	const json_t *ok, *jretry;
	json_t *root = NULL;
	unsigned retry = 0;
	long long code;
	char cdesc[240];
	int rc;

	if (retry_after_s)
		*retry_after_s = 0;
	if (body && len && len <= TG_BODY_MAX)
		root = json_loadb(body, len, 0, NULL);
	ok = json_object_get(root, "ok");
	if (json_is_true(ok)) {
		rc = 0;
		goto out;
	}
	if (!json_is_false(ok)) {
		channel_copy_clean(cdesc, sizeof(cdesc), body, body ? len : 0);
		if (status >= 200 && status < 300) {
			rc = lk_err_set(err, LK_EPARSE,
					"telegram: HTTP %ld answer is not a Bot API answer: %s",
					status, cdesc);
			goto out;
		}
		code = status;
		desc = cdesc;
	} else {
		const json_t *jcode = json_object_get(root, "error_code");
		const char *d = json_string_value(json_object_get(root, "description"));

		code = json_is_integer(jcode) ? json_integer_value(jcode) : status;
		channel_copy_clean(cdesc, sizeof(cdesc), d, d ? strlen(d) : 0);
		desc = cdesc;
	}
	for (size_t i = 0; i < sizeof(tg_error_codes) / sizeof(tg_error_codes[0]); i++) {
		if (tg_error_codes[i].code == code) {
			reason = tg_error_codes[i].reason;
			break;
		}
	}
	jretry = json_object_get(json_object_get(root, "parameters"), "retry_after");
	if (json_is_integer(jretry) && json_integer_value(jretry) > TG_RETRY_MAX)
		retry = TG_RETRY_MAX;
	else if (json_is_integer(jretry) && json_integer_value(jretry) > 0)
		retry = (unsigned)json_integer_value(jretry);
	else if (code == 429)
		retry = 5;
	if (retry)
		reason = "rate_limited";
	if (retry_after_s)
		*retry_after_s = retry;
	rc = lk_err_setr(err, LK_EREMOTE, reason, "telegram: HTTP %ld, error %lld: %s", status,
			 code, *desc ? desc : "no description");
out:
	json_decref(root);
	return rc;
}
