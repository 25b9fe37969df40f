/* whatsapp.c - the WhatsApp Cloud API adapter (see whatsapp.h): webhook
 * signature and verification checks, webhook payloads into channel events,
 * bot messages into Graph API request bodies, and Graph answers read back.
 * Message kinds, status kinds and error codes are tables. */
#include "channels/whatsapp.h"

#include "core/mem.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define WA_SIG_PREFIX "sha256="
#define WA_SIG_BYTES 32

static const char wa_default_choose[] = "Kies een optie / Choose an option";
static const char wa_default_menu[] = "Opties / Options";

/* ---- Webhook calls ---- */

static int wa_hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int wa_signature_check(const char *app_secret, const char *header, const void *body, size_t len,
		       struct lk_err *err)
{
	unsigned char given[WA_SIG_BYTES], want[EVP_MAX_MD_SIZE];
	unsigned int want_len = 0;
	const char *hex;
	size_t secret_len;
	int rc = 0;

	if (!app_secret || !*app_secret)
		return lk_err_setr(err, LK_ECONFIG, "no_secret",
				   "whatsapp: no app secret configured");
	if (!body && len)
		return lk_err_setr(err, LK_EINVAL, "no_body", "whatsapp: no body to check");
	if (!header || !*header)
		return lk_err_setr(err, LK_EAUTH, "no_signature",
				   "whatsapp: missing X-Hub-Signature-256 header");
	if (strncasecmp(header, WA_SIG_PREFIX, strlen(WA_SIG_PREFIX)) != 0)
		return lk_err_setr(err, LK_EAUTH, "bad_signature",
				   "whatsapp: X-Hub-Signature-256 does not start with \"sha256=\"");
	hex = header + strlen(WA_SIG_PREFIX);
	if (strnlen(hex, 2 * WA_SIG_BYTES + 1) != 2 * WA_SIG_BYTES)
		return lk_err_setr(err, LK_EAUTH, "bad_signature",
				   "whatsapp: X-Hub-Signature-256 is not 64 hex digits");
	for (size_t i = 0; i < WA_SIG_BYTES; i++) {
		int hi = wa_hex_value(hex[2 * i]), lo = wa_hex_value(hex[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return lk_err_setr(err, LK_EAUTH, "bad_signature",
					   "whatsapp: X-Hub-Signature-256 is not 64 hex digits");
		given[i] = (unsigned char)(hi << 4 | lo);
	}
	secret_len = strlen(app_secret);
	if (secret_len > INT32_MAX ||
	    !HMAC(EVP_sha256(), app_secret, (int)secret_len, body ? body : (const void *)"", len,
		  want, &want_len) ||
	    want_len != WA_SIG_BYTES) {
		rc = lk_err_setr(err, LK_EAUTH, "bad_signature", "whatsapp: cannot compute HMAC");
		goto out;
	}
	if (CRYPTO_memcmp(given, want, WA_SIG_BYTES) != 0)
		rc = lk_err_setr(err, LK_EAUTH, "bad_signature",
				 "whatsapp: X-Hub-Signature-256 does not match the body");
out:
	mem_wipe(want, sizeof(want));
	return rc;
}

const char *wa_verify(const char *mode, const char *token, const char *challenge,
		      const char *expected)
{
	size_t n;

	if (!mode || strcmp(mode, "subscribe") != 0 || !challenge)
		return NULL;
	/* Compared even when the challenge is bad, so timing says nothing. */
	if (!channel_secret_equal(expected, token))
		return NULL;
	n = strnlen(challenge, WA_CHALLENGE_MAX + 1);
	if (n == 0 || n > WA_CHALLENGE_MAX)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		if (challenge[i] < 0x20 || challenge[i] > 0x7e)
			return NULL;
	}
	return challenge;
}

/* How a message type becomes an event: the text or payload is
 * m[object] (or m[object][sub] when m[object].type is sub) [field]. */
static const struct {
	const char *type;
	const char *object;
	const char *sub;
	const char *field;
	enum channel_event_kind kind;
} wa_message_kinds[] = {
	{ "text", "text", NULL, "body", CHANNEL_EVENT_TEXT },
	{ "interactive", "interactive", "button_reply", "id", CHANNEL_EVENT_ACTION },
	{ "interactive", "interactive", "list_reply", "id", CHANNEL_EVENT_ACTION },
	{ "button", "button", NULL, "payload", CHANNEL_EVENT_ACTION },
};

static const struct {
	const char *status;
	enum channel_status_kind kind;
} wa_status_kinds[] = {
	{ "sent", CHANNEL_STATUS_SENT },
	{ "delivered", CHANNEL_STATUS_DELIVERED },
	{ "read", CHANNEL_STATUS_READ },
	{ "failed", CHANNEL_STATUS_FAILED },
};

/* Unix seconds from "1686848831" (or a number); 0 when absent or odd. */
static int64_t wa_timestamp(const json_t *v)
{
	const char *s = json_string_value(v);
	int64_t t = 0;

	if (json_is_integer(v))
		return json_integer_value(v) > 0 ? (int64_t)json_integer_value(v) : 0;
	if (!s || !*s || strlen(s) > 15)
		return 0;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return 0;
		t = t * 10 + (*s - '0');
	}
	return t;
}

/* The text or payload of message m and its kind; NULL text means OTHER. */
static const json_t *wa_message_text(const json_t *m, enum channel_event_kind *kind)
{
	const char *type = json_string_value(json_object_get(m, "type"));

	*kind = CHANNEL_EVENT_OTHER;
	if (!type)
		return NULL;
	for (size_t i = 0; i < sizeof(wa_message_kinds) / sizeof(wa_message_kinds[0]); i++) {
		const json_t *o, *v;

		if (strcmp(type, wa_message_kinds[i].type) != 0)
			continue;
		o = json_object_get(m, wa_message_kinds[i].object);
		if (wa_message_kinds[i].sub) {
			const char *sub = json_string_value(json_object_get(o, "type"));

			if (!sub || strcmp(sub, wa_message_kinds[i].sub) != 0)
				continue;
			o = json_object_get(o, wa_message_kinds[i].sub);
		}
		v = json_object_get(o, wa_message_kinds[i].field);
		if (!json_is_string(v) || json_string_length(v) == 0)
			return NULL;
		*kind = wa_message_kinds[i].kind;
		return v;
	}
	return NULL;
}

static void wa_add_message(const json_t *m, struct channel_batch *out)
{
	struct channel_event ev, *e;
	const json_t *text;

	memset(&ev, 0, sizeof(ev));
	if (channel_copy_id(ev.id, sizeof(ev.id), json_string_value(json_object_get(m, "id"))) ||
	    channel_copy_id(ev.user, sizeof(ev.user),
			    json_string_value(json_object_get(m, "from")))) {
		out->dropped++;
		return;
	}
	e = channel_batch_add(out);
	if (!e)
		return;
	*e = ev;
	e->timestamp = wa_timestamp(json_object_get(m, "timestamp"));
	text = wa_message_text(m, &e->kind);
	if (text)
		e->text = channel_text_dup(json_string_value(text), json_string_length(text));
}

static void wa_add_status(const json_t *s, struct channel_batch *out)
{
	const char *status = json_string_value(json_object_get(s, "status"));

	for (size_t i = 0; status && i < sizeof(wa_status_kinds) / sizeof(wa_status_kinds[0]);
	     i++) {
		if (strcmp(status, wa_status_kinds[i].status) == 0) {
			out->statuses[wa_status_kinds[i].kind]++;
			return;
		}
	}
	out->statuses[CHANNEL_STATUS_OTHER]++;
}

/* One change of field "messages". */
static int wa_parse_value(const json_t *value, const char *phone_number_id,
			  struct channel_batch *out, struct lk_err *err)
{
	const json_t *messages = json_object_get(value, "messages");
	const json_t *statuses = json_object_get(value, "statuses");
	const json_t *v;
	size_t i;

	if (!json_is_object(value))
		return lk_err_set(err, LK_EPARSE,
				  "whatsapp webhook: change value is not an object");
	if ((messages && !json_is_array(messages)) || (statuses && !json_is_array(statuses)))
		return lk_err_set(err, LK_EPARSE,
				  "whatsapp webhook: messages or statuses is not an array");
	if (phone_number_id) {
		const char *id = json_string_value(
			json_object_get(json_object_get(value, "metadata"), "phone_number_id"));

		if (!id || strcmp(id, phone_number_id) != 0) {
			out->dropped++;
			return 0;
		}
	}
	json_array_foreach(messages, i, v) {
		if (json_is_object(v))
			wa_add_message(v, out);
		else
			out->dropped++;
	}
	json_array_foreach(statuses, i, v)
		wa_add_status(v, out);
	return 0;
}

int wa_parse_webhook(const char *body, size_t len, const char *phone_number_id,
		     struct channel_batch *out, struct lk_err *err)
{
	const json_t *entries, *entry, *changes, *change;
	const char *object;
	json_error_t jerr;
	json_t *root = NULL;
	size_t i, j;
	int rc = 0;

	channel_batch_init(out);
	if (!body && len)
		return lk_err_set(err, LK_EINVAL, "whatsapp webhook: no body");
	if (len > WA_BODY_MAX)
		return lk_err_set(err, LK_ETOOBIG,
				  "whatsapp webhook: body of %zu bytes is too large", len);
	root = json_loadb(body ? body : "", len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root) {
		char why[sizeof(jerr.text)];

		channel_copy_clean(why, sizeof(why), jerr.text, strlen(jerr.text));
		rc = lk_err_set(err, LK_EPARSE, "whatsapp webhook: invalid JSON at line %d: %s",
				jerr.line, why);
		goto out;
	}
	object = json_string_value(json_object_get(root, "object"));
	if (!json_is_object(root) || !object || strcmp(object, "whatsapp_business_account") != 0) {
		rc = lk_err_set(err, LK_EPARSE,
				"whatsapp webhook: object is not \"whatsapp_business_account\"");
		goto out;
	}
	entries = json_object_get(root, "entry");
	if (!json_is_array(entries)) {
		rc = lk_err_set(err, LK_EPARSE, "whatsapp webhook: entry is not an array");
		goto out;
	}
	json_array_foreach(entries, i, entry) {
		changes = json_object_get(entry, "changes");
		if (!json_is_array(changes)) {
			rc = lk_err_set(err, LK_EPARSE,
					"whatsapp webhook: entry %zu has no changes array", i);
			goto out;
		}
		json_array_foreach(changes, j, change) {
			const char *field = json_string_value(json_object_get(change, "field"));

			if (!json_is_object(change)) {
				rc = lk_err_set(err, LK_EPARSE,
						"whatsapp webhook: change is not an object");
				goto out;
			}
			if (!field || strcmp(field, "messages") != 0)
				continue;
			rc = wa_parse_value(json_object_get(change, "value"), phone_number_id, out,
					    err);
			if (rc)
				goto out;
		}
	}
out:
	json_decref(root);
	if (rc)
		channel_batch_release(out);
	return rc;
}

/* ---- Sending ---- */

struct wa_reply {
	const char *label;
	const char *payload;
};

/* Usable quick replies of message into r (at most max): a non-empty label
 * and a payload of 1..id_chars characters not seen before. */
static size_t wa_collect_replies(const json_t *message, size_t id_chars, struct wa_reply *r,
				 size_t max)
{
	const json_t *replies = json_object_get(message, "quick_replies");
	const json_t *q;
	size_t i, n = 0;

	json_array_foreach(replies, i, q) {
		const json_t *pj = json_object_get(q, "payload");
		const char *label = json_string_value(json_object_get(q, "label"));
		const char *payload = json_string_value(pj);
		int seen = 0;

		if (i >= CHANNEL_OUT_REPLIES_SCAN || n >= max)
			break;
		if (!label || channel_is_blank(label, strlen(label)) || !payload || !*payload ||
		    channel_text_chars(payload, json_string_length(pj)) > id_chars)
			continue;
		for (size_t k = 0; k < n && !seen; k++)
			seen = strcmp(r[k].payload, payload) == 0;
		if (seen)
			continue;
		r[n].label = label;
		r[n].payload = payload;
		n++;
	}
	return n;
}

static json_t *wa_envelope(const char *to, const char *type)
{
	return json_pack("{s:s, s:s, s:s, s:s}", "messaging_product", "whatsapp", "recipient_type",
			 "individual", "to", to, "type", type);
}

static json_t *wa_text_message(const char *to, const char *text, size_t len)
{
	json_t *m = wa_envelope(to, "text");

	json_object_set_new(m, "text", json_pack("{s:b, s:s%}", "preview_url", 0, "body", text,
						 len));
	return m;
}

/* {"type":"reply","reply":{"id","title"}} buttons; titles must differ. */
static json_t *wa_buttons(const struct wa_reply *r, size_t n)
{
	json_t *buttons = json_array();
	char *titles[WA_BUTTONS_MAX] = { NULL };
	size_t taken = 0;

	for (size_t i = 0; i < n && taken < WA_BUTTONS_MAX; i++) {
		char *title = channel_label(r[i].label, WA_BUTTON_TITLE_CHARS);
		int seen = 0;

		for (size_t k = 0; k < taken && !seen; k++)
			seen = strcmp(titles[k], title) == 0;
		if (seen) {
			free(title);
			continue;
		}
		json_array_append_new(buttons, json_pack("{s:s, s:{s:s, s:s}}", "type", "reply",
							 "reply", "id", r[i].payload, "title",
							 title));
		titles[taken++] = title;
	}
	for (size_t k = 0; k < taken; k++)
		free(titles[k]);
	return buttons;
}

static json_t *wa_list_action(const struct wa_reply *r, size_t n, const char *menu_label)
{
	char *button = channel_label(menu_label, WA_LIST_BUTTON_CHARS);
	char *section = channel_label(menu_label, WA_SECTION_TITLE_CHARS);
	json_t *rows = json_array(), *action;

	for (size_t i = 0; i < n && i < WA_LIST_ROWS_MAX; i++) {
		char *title = channel_label(r[i].label, WA_ROW_TITLE_CHARS);
		json_t *row = json_pack("{s:s, s:s}", "id", r[i].payload, "title", title);

		if (channel_text_chars(r[i].label, strlen(r[i].label)) > WA_ROW_TITLE_CHARS) {
			char *desc = channel_label(r[i].label, WA_ROW_DESCRIPTION_CHARS);

			json_object_set_new(row, "description", json_string(desc));
			free(desc);
		}
		json_array_append_new(rows, row);
		free(title);
	}
	action = json_pack("{s:s, s:[{s:s, s:o}]}", "button", button, "sections", "title", section,
			   "rows", rows);
	free(button);
	free(section);
	return action;
}

/* The interactive message for the quick replies, or NULL when none is usable. */
static json_t *wa_interactive(const char *to, const json_t *message, const char *body,
			      const char *menu_label)
{
	struct wa_reply wide[WA_LIST_ROWS_MAX], rows[WA_LIST_ROWS_MAX];
	size_t n_wide, n_rows = 0;
	json_t *m, *inter;

	n_wide = wa_collect_replies(message, WA_BUTTON_ID_CHARS, wide, WA_LIST_ROWS_MAX);
	if (n_wide == 0)
		return NULL;
	if (n_wide > WA_BUTTONS_MAX)
		n_rows = wa_collect_replies(message, WA_ROW_ID_CHARS, rows, WA_LIST_ROWS_MAX);
	if (n_rows > WA_BUTTONS_MAX) {
		inter = json_pack("{s:s, s:{s:s}, s:o}", "type", "list", "body", "text", body,
				  "action", wa_list_action(rows, n_rows, menu_label));
	} else {
		inter = json_pack("{s:s, s:{s:s}, s:{s:o}}", "type", "button", "body", "text", body,
				  "action", "buttons", wa_buttons(wide, n_wide));
	}
	m = wa_envelope(to, "interactive");
	json_object_set_new(m, "interactive", inter);
	return m;
}

struct wa_part {
	size_t off;
	size_t len;
};

json_t *wa_format_message(const char *to, const json_t *message, const char *source_label,
			  const char *choose_text, const char *menu_label)
{
	struct wa_part *parts = NULL;
	size_t n = 0, alloc = 0, off = 0, len, send;
	char *text, *body = NULL;
	char addr[CHANNEL_USER_MAX + 1];
	json_t *out, *inter;

	if (channel_copy_id(addr, sizeof(addr), to) || !json_is_object(message))
		return NULL;
	if (!choose_text || channel_is_blank(choose_text, strlen(choose_text)))
		choose_text = wa_default_choose;
	if (!menu_label || channel_is_blank(menu_label, strlen(menu_label)))
		menu_label = wa_default_menu;
	text = channel_compose_text(message, source_label);
	len = strlen(text);
	while (off < len) {
		size_t cut = channel_split(text + off, len - off, CHANNEL_OUT_TEXT_MAX);

		if (!channel_is_blank(text + off, cut)) {
			if (n == alloc) {
				alloc = alloc ? 2 * alloc : 4;
				parts = xreallocarray(parts, alloc, sizeof(*parts));
			}
			parts[n].off = off;
			parts[n].len = cut;
			n++;
		}
		off += cut;
	}
	/* The last part becomes the body of the buttons or list when it fits. */
	send = n;
	if (n && channel_text_chars(text + parts[n - 1].off, parts[n - 1].len) <= WA_BODY_CHARS) {
		body = xstrndup(text + parts[n - 1].off, parts[n - 1].len);
		send = n - 1;
	} else {
		body = channel_label(choose_text, WA_BODY_CHARS);
	}
	inter = wa_interactive(to, message, body, menu_label);
	if (!inter)
		send = n;
	out = json_array();
	for (size_t i = 0; i < send; i++)
		json_array_append_new(out, wa_text_message(to, text + parts[i].off, parts[i].len));
	if (inter)
		json_array_append_new(out, inter);
	free(body);
	free(parts);
	free(text);
	return out;
}

/* ---- Answers ---- */

/* Graph error codes the runtime acts on. */
static const struct {
	long long code;
	const char *reason;
	unsigned retry_after_s;
} wa_error_codes[] = {
	{ 4, "rate_limited", 60 },         /* app: too many API calls */
	{ 80007, "rate_limited", 60 },     /* business account rate limit */
	{ 130429, "rate_limited", 5 },     /* throughput of the phone number */
	{ 131048, "rate_limited", 600 },   /* spam rate limit */
	{ 131056, "rate_limited", 10 },    /* too many messages to one user */
	{ 190, "auth", 0 },                /* access token expired or invalid */
	{ 131047, "window_closed", 0 },    /* 24 hours since the user wrote */
	{ 131026, "undeliverable", 0 },
};

/* A cleaned copy of a string from an error body ("" for NULL). */
static void wa_clean(char *dst, size_t size, const char *s)
{
	channel_copy_clean(dst, size, s, s ? strlen(s) : 0);
}

int wa_parse_send_response(long status, const char *body, size_t len, char *id, size_t size,
			   unsigned *retry_after_s, struct lk_err *err)
{
	const json_t *error, *mid;
	const char *reason = "remote";
	json_t *root = NULL;
	unsigned retry = 0;
	int rc;

	if (retry_after_s)
		*retry_after_s = 0;
	if (id && size)
		id[0] = '\0';
	if (body && len && len <= WA_BODY_MAX)
		root = json_loadb(body, len, 0, NULL);
	error = json_object_get(root, "error");
	if (status >= 200 && status < 300 && !json_is_object(error)) {
		mid = json_object_get(json_array_get(json_object_get(root, "messages"), 0), "id");
		if (!json_is_string(mid) || json_string_length(mid) == 0) {
			rc = lk_err_set(err, LK_EPARSE,
					"whatsapp: HTTP %ld answer has no message id", status);
		} else if (id && size && json_string_length(mid) >= size) {
			rc = lk_err_set(err, LK_ETOOBIG,
					"whatsapp: message id of %zu bytes is too long",
					json_string_length(mid));
		} else {
			if (id && size)
				memcpy(id, json_string_value(mid), json_string_length(mid) + 1);
			rc = 0;
		}
		goto out;
	}
	if (json_is_object(error)) {
		const json_t *jcode = json_object_get(error, "code");
		long long code = json_integer_value(jcode);
		const char *type = json_string_value(json_object_get(error, "type"));
		const char *msg = json_string_value(json_object_get(error, "message"));
		const char *details = json_string_value(
			json_object_get(json_object_get(error, "error_data"), "details"));
		const char *trace = json_string_value(json_object_get(error, "fbtrace_id"));
		char cmsg[200], cdetails[160], ctype[48], ctrace[48];

		for (size_t i = 0; json_is_integer(jcode) &&
				   i < sizeof(wa_error_codes) / sizeof(wa_error_codes[0]); i++) {
			if (wa_error_codes[i].code == code) {
				reason = wa_error_codes[i].reason;
				retry = wa_error_codes[i].retry_after_s;
				break;
			}
		}
		wa_clean(cmsg, sizeof(cmsg), msg);
		wa_clean(cdetails, sizeof(cdetails), details);
		wa_clean(ctype, sizeof(ctype), type);
		wa_clean(ctrace, sizeof(ctrace), trace);
		if (!strcmp(reason, "remote") && status == 429) {
			reason = "rate_limited";
			retry = 60;
		} else if (!strcmp(reason, "remote") && status == 401) {
			reason = "auth";
		}
		rc = lk_err_setr(err, LK_EREMOTE, reason,
				 "whatsapp: HTTP %ld, error %lld/%lld (%s): %s%s%s%s%s", status,
				 code, json_integer_value(json_object_get(error, "error_subcode")),
				 *ctype ? ctype : "?", *cmsg ? cmsg : "no message",
				 *cdetails ? " - " : "", cdetails, *ctrace ? " fbtrace_id " : "",
				 ctrace);
	} else {
		char snippet[160];

		channel_copy_clean(snippet, sizeof(snippet), body, body ? len : 0);
		if (status == 429) {
			reason = "rate_limited";
			retry = 60;
		} else if (status == 401) {
			reason = "auth";
		}
		rc = lk_err_setr(err, LK_EREMOTE, reason, "whatsapp: HTTP %ld: %s", status,
				 *snippet ? snippet : "no body");
	}
	if (retry_after_s)
		*retry_after_s = retry;
out:
	json_decref(root);
	return rc;
}
