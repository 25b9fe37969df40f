/* fuzz_channel_webhook.c - libFuzzer target for what the WhatsApp and
 * Telegram adapters read from outside: the bytes are a WhatsApp webhook
 * body (with and without a phone number id), a Telegram Update, a signed
 * body, a Graph API answer and a Bot API answer. When they are a JSON object
 * they are also formatted as a bot message for both channels, and they are
 * split as text. Invariants the runtime relies on are checked with abort().
 * Not built by meson:
 * fuzz-sources: src/channels/channel.c src/channels/whatsapp.c src/channels/telegram.c src/core/buf.c src/core/err.c src/core/mem.c
 *
 *   sh tests/fuzz/run.sh 60 channel_webhook
 */
#include "channels/channel.h"
#include "channels/telegram.h"
#include "channels/whatsapp.h"
#include "core/err.h"

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_PNID "106540352242922"

static void fuzz_check_string(const char *s, size_t max)
{
	if (strnlen(s, max + 1) > max)
		abort();
}

static void fuzz_check_batch(const struct channel_batch *b, int rc)
{
	if (b->n > CHANNEL_MAX_EVENTS || (rc && b->n))
		abort();
	for (size_t i = 0; i < b->n; i++) {
		const struct channel_event *e = &b->events[i];

		fuzz_check_string(e->id, CHANNEL_EVENT_ID_MAX);
		fuzz_check_string(e->user, CHANNEL_USER_MAX);
		fuzz_check_string(e->callback_id, CHANNEL_EVENT_ID_MAX);
		if (!e->id[0] || !e->user[0] || strnlen(e->lang, sizeof(e->lang)) > 2)
			abort();
		if ((e->kind == CHANNEL_EVENT_OTHER) != (e->text == NULL))
			abort();
		if (e->text && strlen(e->text) > CHANNEL_TEXT_MAX)
			abort();
	}
}

/* Every text part within the limit; with buttons only on the last. */
static void fuzz_check_parts(const json_t *out, const char *object, const char *field)
{
	size_t i;
	const json_t *m;

	json_array_foreach(out, i, m) {
		const json_t *t = json_object_get(m, object);
		const char *s = json_string_value(field ? json_object_get(t, field) : t);

		if (s && channel_text_chars(s, strlen(s)) > CHANNEL_OUT_TEXT_MAX)
			abort();
	}
}

static void fuzz_split(const char *s, size_t len, size_t max)
{
	size_t off = 0;

	while (off < len) {
		size_t cut = channel_split(s + off, len - off, max);

		if (cut == 0 || cut > len - off)
			abort();
		if (cut < len - off && channel_text_chars(s + off, cut) > max)
			abort();
		off += cut;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *body = (const char *)data;
	struct channel_batch b;
	struct lk_err err;
	char id[64], *label;
	unsigned retry;
	json_t *msg, *out;
	int rc;

	rc = wa_parse_webhook(body, size, FUZZ_PNID, &b, &err);
	fuzz_check_batch(&b, rc);
	channel_batch_release(&b);
	rc = wa_parse_webhook(body, size, NULL, &b, NULL);
	fuzz_check_batch(&b, rc);
	channel_batch_release(&b);
	rc = tg_parse_update(body, size, &b, &err);
	fuzz_check_batch(&b, rc);
	if (b.n > 1)
		abort();
	channel_batch_release(&b);

	if (wa_signature_check("app-secret", "sha256=0000000000000000000000000000000000000000000000"
					     "000000000000000000",
			       body, size, &err) != LK_EAUTH)
		abort();

	rc = wa_parse_send_response(size ? 200 + (data[0] % 4) * 100 : 200, body, size, id,
				    sizeof(id), &retry, &err);
	if (rc == 0 && strnlen(id, sizeof(id)) >= sizeof(id))
		abort();
	if (retry > 600)
		abort();
	rc = tg_parse_response(size ? 200 + (data[0] % 4) * 100 : 200, body, size, &retry, &err);
	if (rc == 0 && retry != 0)
		abort();
	if (retry > 86400)
		abort();

	fuzz_split(body, size, CHANNEL_OUT_TEXT_MAX);
	fuzz_split(body, size, 7);
	if (size < 256) {
		char *s = malloc(size + 1);

		memcpy(s, data, size);
		s[size] = '\0';
		label = channel_label(s, 20);
		if (channel_text_chars(label, strlen(label)) > 20)
			abort();
		free(label);
		free(s);
	}

	msg = json_loadb(body, size, 0, NULL);
	if (json_is_object(msg)) {
		out = wa_format_message("31612345678", msg, "Bron", NULL, NULL);
		if (!json_is_array(out))
			abort();
		fuzz_check_parts(out, "text", "body");
		json_decref(out);
		out = tg_format_message("42", msg, "Bron");
		if (!json_is_array(out))
			abort();
		fuzz_check_parts(out, "text", NULL);
		json_decref(out);
	}
	json_decref(msg);
	return 0;
}
