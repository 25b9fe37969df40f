/* test_whatsapp.c - unit tests for the WhatsApp Cloud API adapter
 * (src/channels/whatsapp) and the channel helpers it uses (channel.c):
 * signatures, verification, webhook payloads as Meta documents them,
 * request bodies and their limits, and Graph API answers. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "channels/channel.h"
#include "channels/whatsapp.h"
#include "core/buf.h"

#define SECRET "d2f1e8c7b6a5_app_secret"
#define PNID "106540352242922"

/* ---- helpers ---- */

/* "sha256=<hex>" of body under secret, in upper case when upper. */
static void sign(const char *secret, const char *body, size_t len, int upper, char *out,
		 size_t size)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	size_t o;

	HMAC(EVP_sha256(), secret, (int)strlen(secret), (const unsigned char *)body, len, md, &n);
	assert_int_equal(n, 32);
	o = (size_t)snprintf(out, size, "sha256=");
	for (unsigned int i = 0; i < n; i++)
		o += (size_t)snprintf(out + o, size - o, upper ? "%02X" : "%02x", md[i]);
}

/* 1 when s[0..len) is valid UTF-8. */
static int valid_utf8(const char *s, size_t len)
{
	json_t *j = json_stringn(s, len);
	int ok = j != NULL;

	json_decref(j);
	return ok;
}

/* Code points in s[0..len) (valid UTF-8). */
static size_t code_points(const char *s, size_t len)
{
	size_t n = 0;

	for (size_t i = 0; i < len; i++)
		n += ((unsigned char)s[i] & 0xc0) != 0x80;
	return n;
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

static int parse(const char *body, const char *pnid, struct channel_batch *b, struct lk_err *err)
{
	return wa_parse_webhook(body, strlen(body), pnid, b, err);
}

static int send_answer(long status, const char *body, char *id, size_t size, unsigned *retry,
		       struct lk_err *err)
{
	return wa_parse_send_response(status, body, body ? strlen(body) : 0, id, size, retry, err);
}

/* A webhook body with one change holding `messages` (a JSON array text). */
static char *webhook_with(const char *pnid, const char *messages_or_statuses)
{
	struct buf b;

	buf_init(&b, 0);
	buf_addf(&b, "{\"object\":\"whatsapp_business_account\",\"entry\":[{\"id\":\"102290129340398\","
		     "\"changes\":[{\"value\":{\"messaging_product\":\"whatsapp\",\"metadata\":"
		     "{\"display_phone_number\":\"15550783881\",\"phone_number_id\":\"%s\"},"
		     "\"contacts\":[{\"profile\":{\"name\":\"Sanne\"},\"wa_id\":\"31612345678\"}],"
		     "%s},\"field\":\"messages\"}]}]}",
		 pnid, messages_or_statuses);
	return buf_detach(&b, NULL);
}

static struct channel_batch *new_batch(void)
{
	struct channel_batch *b = malloc(sizeof(*b));

	assert_non_null(b);
	memset(b, 0x5a, sizeof(*b));
	return b;
}

/* ---- signature ---- */

static void test_signature_valid_and_uppercase(void **state)
{
	const char *body = "{\"object\":\"whatsapp_business_account\",\"entry\":[]}";
	char hdr[80];
	struct lk_err err = { 0 };

	sign(SECRET, body, strlen(body), 0, hdr, sizeof(hdr));
	assert_int_equal(wa_signature_check(SECRET, hdr, body, strlen(body), &err), 0);
	sign(SECRET, body, strlen(body), 1, hdr, sizeof(hdr));
	assert_int_equal(wa_signature_check(SECRET, hdr, body, strlen(body), &err), 0);
	/* The raw bytes count, including a trailing newline. */
	sign(SECRET, "x\n", 2, 0, hdr, sizeof(hdr));
	assert_int_equal(wa_signature_check(SECRET, hdr, "x\n", 2, NULL), 0);
	assert_int_equal(wa_signature_check(SECRET, hdr, "x", 1, NULL), LK_EAUTH);
	/* Empty body. */
	sign(SECRET, "", 0, 0, hdr, sizeof(hdr));
	assert_int_equal(wa_signature_check(SECRET, hdr, NULL, 0, NULL), 0);
}

static void test_signature_wrong_secret_and_tampered_body(void **state)
{
	char body[] = "{\"object\":\"whatsapp_business_account\",\"entry\":[]}";
	char hdr[80];
	struct lk_err err = { 0 };

	sign("another-secret", body, strlen(body), 0, hdr, sizeof(hdr));
	assert_int_equal(wa_signature_check(SECRET, hdr, body, strlen(body), &err), LK_EAUTH);
	assert_null(strstr(err.msg, SECRET));
	assert_non_null(strstr(err.msg, "does not match"));
	assert_string_equal(err.reason, "bad_signature");

	sign(SECRET, body, strlen(body), 0, hdr, sizeof(hdr));
	for (size_t i = 0; i < strlen(body); i += 7) {
		body[i] ^= 1;
		assert_int_equal(wa_signature_check(SECRET, hdr, body, strlen(body), NULL), LK_EAUTH);
		body[i] ^= 1;
	}
	assert_int_equal(wa_signature_check(SECRET, hdr, body, strlen(body), NULL), 0);
	/* One hex digit changed. */
	hdr[10] = hdr[10] == '0' ? '1' : '0';
	assert_int_equal(wa_signature_check(SECRET, hdr, body, strlen(body), &err), LK_EAUTH);
	assert_null(strstr(err.msg, SECRET));
}

static void test_signature_malformed_headers(void **state)
{
	const char *body = "{}";
	char hdr[80], bad[160];
	struct lk_err err = { 0 };

	sign(SECRET, body, 2, 0, hdr, sizeof(hdr));
	/* No prefix, other prefixes. */
	assert_int_equal(wa_signature_check(SECRET, hdr + 7, body, 2, &err), LK_EAUTH);
	assert_non_null(strstr(err.msg, "sha256="));
	snprintf(bad, sizeof(bad), "sha1=%s", hdr + 7);
	assert_int_equal(wa_signature_check(SECRET, bad, body, 2, NULL), LK_EAUTH);
	snprintf(bad, sizeof(bad), "sha256 =%s", hdr + 7);
	assert_int_equal(wa_signature_check(SECRET, bad, body, 2, NULL), LK_EAUTH);
	/* Odd and wrong lengths. */
	snprintf(bad, sizeof(bad), "%.70s", hdr);
	assert_int_equal(wa_signature_check(SECRET, bad, body, 2, &err), LK_EAUTH);
	assert_non_null(strstr(err.msg, "64 hex"));
	snprintf(bad, sizeof(bad), "%.69s", hdr);
	assert_int_equal(wa_signature_check(SECRET, bad, body, 2, NULL), LK_EAUTH);
	snprintf(bad, sizeof(bad), "%s0", hdr);
	assert_int_equal(wa_signature_check(SECRET, bad, body, 2, NULL), LK_EAUTH);
	snprintf(bad, sizeof(bad), "%s%s", hdr, hdr + 7);
	assert_int_equal(wa_signature_check(SECRET, bad, body, 2, NULL), LK_EAUTH);
	snprintf(bad, sizeof(bad), "%s ", hdr);
	assert_int_equal(wa_signature_check(SECRET, bad, body, 2, NULL), LK_EAUTH);
	/* Not hex. */
	snprintf(bad, sizeof(bad), "%s", hdr);
	bad[20] = 'g';
	assert_int_equal(wa_signature_check(SECRET, bad, body, 2, NULL), LK_EAUTH);
	/* Empty, missing. */
	assert_int_equal(wa_signature_check(SECRET, "", body, 2, &err), LK_EAUTH);
	assert_string_equal(err.reason, "no_signature");
	assert_int_equal(wa_signature_check(SECRET, NULL, body, 2, NULL), LK_EAUTH);
	assert_int_equal(wa_signature_check(SECRET, "sha256=", body, 2, NULL), LK_EAUTH);
	/* No secret configured: never valid. */
	assert_int_equal(wa_signature_check("", hdr, body, 2, NULL), LK_ECONFIG);
	assert_int_equal(wa_signature_check(NULL, hdr, body, 2, NULL), LK_ECONFIG);
	assert_int_equal(wa_signature_check(SECRET, hdr, NULL, 2, NULL), LK_EINVAL);
}

/* ---- verification ---- */

static void test_verify(void **state)
{
	const char *challenge = "1158201444";
	char long_challenge[WA_CHALLENGE_MAX + 2];

	assert_ptr_equal(wa_verify("subscribe", "meatyhamhock", challenge, "meatyhamhock"), challenge);
	assert_null(wa_verify("subscribe", "meatyhamhocks", challenge, "meatyhamhock"));
	assert_null(wa_verify("subscribe", "meatyhamhoc", challenge, "meatyhamhock"));
	assert_null(wa_verify("subscribe", "MEATYHAMHOCK", challenge, "meatyhamhock"));
	assert_null(wa_verify("subscribe", NULL, challenge, "meatyhamhock"));
	assert_null(wa_verify("unsubscribe", "meatyhamhock", challenge, "meatyhamhock"));
	assert_null(wa_verify("Subscribe", "meatyhamhock", challenge, "meatyhamhock"));
	assert_null(wa_verify(NULL, "meatyhamhock", challenge, "meatyhamhock"));
	/* An empty configured token never matches. */
	assert_null(wa_verify("subscribe", "", challenge, ""));
	assert_null(wa_verify("subscribe", "", challenge, NULL));
	/* Challenge: 1..128 printable ASCII. */
	memset(long_challenge, '7', WA_CHALLENGE_MAX);
	long_challenge[WA_CHALLENGE_MAX] = '\0';
	assert_ptr_equal(wa_verify("subscribe", "t", long_challenge, "t"), long_challenge);
	long_challenge[WA_CHALLENGE_MAX] = '7';
	long_challenge[WA_CHALLENGE_MAX + 1] = '\0';
	assert_null(wa_verify("subscribe", "t", long_challenge, "t"));
	assert_null(wa_verify("subscribe", "t", "", "t"));
	assert_null(wa_verify("subscribe", "t", NULL, "t"));
	assert_null(wa_verify("subscribe", "t", "12\r\n34", "t"));
	assert_null(wa_verify("subscribe", "t", "12\xc3\xa9", "t"));
}

/* ---- webhook payloads ---- */

static void test_text_message(void **state)
{
	char *body = webhook_with(PNID, "\"messages\":[{\"from\":\"31612345678\",\"id\":"
					"\"wamid.HBgLMzE2MTIzNDU2NzgVAgASGBQzQTdCRjg2\",\"timestamp\":"
					"\"1700000000\",\"text\":{\"body\":\"Hoe vraag ik een "
					"paspoort aan?\"},\"type\":\"text\"}]");
	struct channel_batch *b = new_batch();
	struct lk_err err = { 0 };

	assert_int_equal(parse(body, PNID, b, &err), 0);
	assert_int_equal(b->n, 1);
	assert_int_equal(b->dropped, 0);
	assert_int_equal(b->events[0].kind, CHANNEL_EVENT_TEXT);
	assert_string_equal(b->events[0].id, "wamid.HBgLMzE2MTIzNDU2NzgVAgASGBQzQTdCRjg2");
	assert_string_equal(b->events[0].user, "31612345678");
	assert_string_equal(b->events[0].text, "Hoe vraag ik een paspoort aan?");
	assert_string_equal(b->events[0].lang, "");
	assert_string_equal(b->events[0].callback_id, "");
	assert_int_equal(b->events[0].timestamp, 1700000000);
	for (int k = 0; k < CHANNEL_STATUS_COUNT; k++)
		assert_int_equal(b->statuses[k], 0);
	channel_batch_release(b);
	assert_int_equal(b->n, 0);
	/* Without a phone number id to check, the change is taken as well. */
	assert_int_equal(parse(body, NULL, b, &err), 0);
	assert_int_equal(b->n, 1);
	channel_batch_release(b);
	free(body);
	free(b);
}

static void test_interactive_and_template_replies(void **state)
{
	char *body = webhook_with(
		PNID,
		"\"messages\":["
		"{\"context\":{\"from\":\"15550783881\",\"id\":\"wamid.CTX1\"},\"from\":\"31612345678\","
		"\"id\":\"wamid.B1\",\"timestamp\":\"1686848831\",\"type\":\"interactive\","
		"\"interactive\":{\"type\":\"button_reply\",\"button_reply\":{\"id\":"
		"\"unique-postback-id-1\",\"title\":\"Ja\"}}},"
		"{\"from\":\"31612345678\",\"id\":\"wamid.L1\",\"timestamp\":\"1686848832\","
		"\"type\":\"interactive\",\"interactive\":{\"type\":\"list_reply\",\"list_reply\":"
		"{\"id\":\"priority_express\",\"title\":\"Priority Mail Express\",\"description\":"
		"\"Next Day to 2 Days\"}}},"
		"{\"context\":{\"from\":\"15550783881\",\"id\":\"wamid.CTX2\"},\"from\":\"31612345678\","
		"\"id\":\"wamid.T1\",\"timestamp\":\"1686848833\",\"type\":\"button\",\"button\":"
		"{\"payload\":\"afspraak_maken\",\"text\":\"Afspraak maken\"}},"
		"{\"from\":\"31612345678\",\"id\":\"wamid.N1\",\"timestamp\":\"1686848834\","
		"\"type\":\"interactive\",\"interactive\":{\"type\":\"nfm_reply\",\"nfm_reply\":"
		"{\"response_json\":\"{}\",\"body\":\"Sent\",\"name\":\"flow\"}}}"
		"]");
	struct channel_batch *b = new_batch();

	assert_int_equal(parse(body, PNID, b, NULL), 0);
	assert_int_equal(b->n, 4);
	assert_int_equal(b->events[0].kind, CHANNEL_EVENT_ACTION);
	assert_string_equal(b->events[0].text, "unique-postback-id-1");
	assert_string_equal(b->events[0].id, "wamid.B1");
	assert_int_equal(b->events[1].kind, CHANNEL_EVENT_ACTION);
	assert_string_equal(b->events[1].text, "priority_express");
	assert_int_equal(b->events[2].kind, CHANNEL_EVENT_ACTION);
	assert_string_equal(b->events[2].text, "afspraak_maken");
	assert_int_equal(b->events[2].timestamp, 1686848833);
	assert_int_equal(b->events[3].kind, CHANNEL_EVENT_OTHER);
	assert_null(b->events[3].text);
	channel_batch_release(b);
	free(body);
	free(b);
}

static void test_media_and_unsupported_are_other(void **state)
{
	char *body = webhook_with(
		PNID,
		"\"messages\":["
		"{\"from\":\"31612345678\",\"id\":\"wamid.I1\",\"timestamp\":\"1700000001\","
		"\"type\":\"image\",\"image\":{\"caption\":\"mijn paspoort\",\"mime_type\":"
		"\"image/jpeg\",\"sha256\":\"HASH\",\"id\":\"1234567890\"}},"
		"{\"from\":\"31612345678\",\"id\":\"wamid.U1\",\"timestamp\":\"1700000002\","
		"\"type\":\"unsupported\",\"errors\":[{\"code\":131051,\"title\":"
		"\"Message type unknown\",\"message\":\"Message type unknown\"}]},"
		"{\"from\":\"31612345678\",\"id\":\"wamid.R1\",\"timestamp\":\"1700000003\","
		"\"type\":\"reaction\",\"reaction\":{\"message_id\":\"wamid.X\",\"emoji\":"
		"\"\\ud83d\\udc4d\"}},"
		"{\"from\":\"31612345678\",\"id\":\"wamid.E1\",\"timestamp\":\"x\",\"type\":\"text\"},"
		"{\"from\":\"31612345678\",\"id\":\"wamid.E2\",\"type\":\"button\",\"button\":{}},"
		"{\"from\":\"31612345678\",\"id\":\"wamid.E3\",\"type\":\"interactive\","
		"\"interactive\":{\"type\":\"button_reply\",\"button_reply\":{\"id\":\"\"}}},"
		"{\"from\":\"31612345678\",\"id\":\"wamid.E4\"}"
		"]");
	struct channel_batch *b = new_batch();

	assert_int_equal(parse(body, PNID, b, NULL), 0);
	assert_int_equal(b->n, 7);
	for (size_t i = 0; i < b->n; i++) {
		assert_int_equal(b->events[i].kind, CHANNEL_EVENT_OTHER);
		assert_null(b->events[i].text);
	}
	assert_int_equal(b->events[0].timestamp, 1700000001);
	assert_int_equal(b->events[3].timestamp, 0);
	assert_int_equal(b->events[4].timestamp, 0);
	channel_batch_release(b);
	free(body);
	free(b);
}

static void test_statuses_counted(void **state)
{
	char *body = webhook_with(
		PNID,
		"\"statuses\":["
		"{\"id\":\"wamid.S1\",\"status\":\"sent\",\"timestamp\":\"1700000000\",\"recipient_id\":"
		"\"31612345678\",\"conversation\":{\"id\":\"c1\",\"origin\":{\"type\":\"service\"}},"
		"\"pricing\":{\"billable\":false,\"pricing_model\":\"PMP\",\"category\":\"service\"}},"
		"{\"id\":\"wamid.S1\",\"status\":\"delivered\",\"timestamp\":\"1700000001\","
		"\"recipient_id\":\"31612345678\"},"
		"{\"id\":\"wamid.S1\",\"status\":\"read\",\"timestamp\":\"1700000002\","
		"\"recipient_id\":\"31612345678\"},"
		"{\"id\":\"wamid.S2\",\"status\":\"failed\",\"timestamp\":\"1700000003\","
		"\"recipient_id\":\"31612345678\",\"errors\":[{\"code\":131047,\"title\":"
		"\"Re-engagement message\",\"message\":\"Re-engagement message\",\"error_data\":"
		"{\"details\":\"Message failed to send because more than 24 hours have passed\"}}]},"
		"{\"id\":\"wamid.S3\",\"status\":\"failed\"},"
		"{\"id\":\"wamid.S4\",\"status\":\"deleted\"},"
		"{\"id\":\"wamid.S5\"}, 17"
		"]");
	struct channel_batch *b = new_batch();

	assert_int_equal(parse(body, PNID, b, NULL), 0);
	assert_int_equal(b->n, 0);
	assert_int_equal(b->statuses[CHANNEL_STATUS_SENT], 1);
	assert_int_equal(b->statuses[CHANNEL_STATUS_DELIVERED], 1);
	assert_int_equal(b->statuses[CHANNEL_STATUS_READ], 1);
	assert_int_equal(b->statuses[CHANNEL_STATUS_FAILED], 2);
	assert_int_equal(b->statuses[CHANNEL_STATUS_OTHER], 3);
	assert_int_equal(b->dropped, 0);
	channel_batch_release(b);
	free(body);
	free(b);
}

static void test_several_entries_and_changes(void **state)
{
	const char *body =
		"{\"object\":\"whatsapp_business_account\",\"entry\":["
		"{\"id\":\"WABA1\",\"changes\":["
		"{\"field\":\"messages\",\"value\":{\"messaging_product\":\"whatsapp\",\"metadata\":"
		"{\"phone_number_id\":\"" PNID "\"},\"messages\":[{\"from\":\"31600000001\",\"id\":"
		"\"wamid.A\",\"type\":\"text\",\"text\":{\"body\":\"een\"}}]}},"
		"{\"field\":\"account_update\",\"value\":{\"event\":\"VERIFIED_ACCOUNT\"}},"
		"{\"field\":\"messages\",\"value\":{\"metadata\":{\"phone_number_id\":\"" PNID "\"},"
		"\"statuses\":[{\"id\":\"wamid.Z\",\"status\":\"read\"}],"
		"\"messages\":[{\"from\":\"31600000002\",\"id\":\"wamid.B\",\"type\":\"text\","
		"\"text\":{\"body\":\"twee\"}}]}}]},"
		"{\"id\":\"WABA2\",\"changes\":["
		"{\"field\":\"messages\",\"value\":{\"metadata\":{\"phone_number_id\":\"999\"},"
		"\"messages\":[{\"from\":\"31600000003\",\"id\":\"wamid.C\",\"type\":\"text\","
		"\"text\":{\"body\":\"ander nummer\"}}]}},"
		"{\"field\":\"messages\",\"value\":{\"metadata\":{\"phone_number_id\":\"" PNID "\"},"
		"\"messages\":[{\"from\":\"31600000004\",\"id\":\"wamid.D\",\"type\":\"text\","
		"\"text\":{\"body\":\"drie\"}}]}}]}]}";
	struct channel_batch *b = new_batch();

	assert_int_equal(parse(body, PNID, b, NULL), 0);
	assert_int_equal(b->n, 3);
	assert_string_equal(b->events[0].text, "een");
	assert_string_equal(b->events[1].text, "twee");
	assert_string_equal(b->events[2].text, "drie");
	assert_string_equal(b->events[2].user, "31600000004");
	assert_int_equal(b->statuses[CHANNEL_STATUS_READ], 1);
	assert_int_equal(b->dropped, 1); /* the change for phone number 999 */
	channel_batch_release(b);

	assert_int_equal(parse(body, NULL, b, NULL), 0);
	assert_int_equal(b->n, 4);
	assert_int_equal(b->dropped, 0);
	channel_batch_release(b);

	assert_int_equal(parse(body, "999", b, NULL), 0);
	assert_int_equal(b->n, 1);
	assert_string_equal(b->events[0].text, "ander nummer");
	assert_int_equal(b->dropped, 3);
	channel_batch_release(b);
	free(b);
}

static void test_wrong_phone_number_id(void **state)
{
	char *body = webhook_with("123456789", "\"messages\":[{\"from\":\"31612345678\",\"id\":"
					       "\"wamid.X\",\"type\":\"text\",\"text\":{\"body\":"
					       "\"hallo\"}}]");
	struct channel_batch *b = new_batch();

	assert_int_equal(parse(body, PNID, b, NULL), 0);
	assert_int_equal(b->n, 0);
	assert_int_equal(b->dropped, 1);
	channel_batch_release(b);
	/* A prefix or a longer id is not the same id. */
	assert_int_equal(parse(body, "12345678", b, NULL), 0);
	assert_int_equal(b->n, 0);
	assert_int_equal(parse(body, "1234567890", b, NULL), 0);
	assert_int_equal(b->n, 0);
	channel_batch_release(b);
	free(body);
	free(b);
}

static void test_malformed_payloads(void **state)
{
	static const char *const bad[] = {
		"",
		"{",
		"not json",
		"[]",
		"\"whatsapp_business_account\"",
		"{\"object\":\"page\",\"entry\":[]}",
		"{\"object\":\"instagram\",\"entry\":[]}",
		"{\"entry\":[]}",
		"{\"object\":\"whatsapp_business_account\"}",
		"{\"object\":\"whatsapp_business_account\",\"entry\":{}}",
		"{\"object\":\"whatsapp_business_account\",\"entry\":[1]}",
		"{\"object\":\"whatsapp_business_account\",\"entry\":[{\"id\":\"1\"}]}",
		"{\"object\":\"whatsapp_business_account\",\"entry\":[{\"changes\":{}}]}",
		"{\"object\":\"whatsapp_business_account\",\"entry\":[{\"changes\":[7]}]}",
		"{\"object\":\"whatsapp_business_account\",\"entry\":[{\"changes\":[{\"field\":"
		"\"messages\"}]}]}",
		"{\"object\":\"whatsapp_business_account\",\"entry\":[{\"changes\":[{\"field\":"
		"\"messages\",\"value\":{\"messages\":{}}}]}]}",
		"{\"object\":\"whatsapp_business_account\",\"entry\":[{\"changes\":[{\"field\":"
		"\"messages\",\"value\":{\"statuses\":\"read\"}}]}]}",
		"{\"object\":\"whatsapp_business_account\",\"object\":\"whatsapp_business_account\","
		"\"entry\":[]}",
		"{\"object\":\"whatsapp_business_account\",\"entry\":[]} trailing",
	};
	struct channel_batch *b = new_batch();
	struct lk_err err;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&err, 0, sizeof(err));
		assert_int_equal(parse(bad[i], PNID, b, &err), LK_EPARSE);
		assert_int_equal(err.code, LK_EPARSE);
		assert_true(strlen(err.msg) > 0);
		assert_int_equal(b->n, 0);
	}
	/* A good change before a bad one: nothing is kept. */
	memset(&err, 0, sizeof(err));
	assert_int_equal(parse("{\"object\":\"whatsapp_business_account\",\"entry\":[{\"changes\":["
			       "{\"field\":\"messages\",\"value\":{\"messages\":[{\"from\":\"1\","
			       "\"id\":\"w\",\"type\":\"text\",\"text\":{\"body\":\"hoi\"}}]}}]},"
			       "{\"changes\":null}]}",
			       NULL, b, &err),
			 LK_EPARSE);
	assert_int_equal(b->n, 0);
	assert_non_null(strstr(err.msg, "entry 1"));
	/* No body at all. */
	assert_int_equal(wa_parse_webhook(NULL, 0, NULL, b, NULL), LK_EPARSE);
	assert_int_equal(wa_parse_webhook(NULL, 5, NULL, b, NULL), LK_EINVAL);
	/* Empty entry: fine, nothing in it. */
	assert_int_equal(parse("{\"object\":\"whatsapp_business_account\",\"entry\":[]}", PNID, b,
			       NULL),
			 0);
	assert_int_equal(b->n, 0);
	free(b);
}

static void test_too_large_body(void **state)
{
	char *big = malloc(WA_BODY_MAX + 2);
	struct channel_batch *b = new_batch();
	struct lk_err err = { 0 };

	assert_non_null(big);
	memset(big, ' ', WA_BODY_MAX + 1);
	big[WA_BODY_MAX + 1] = '\0';
	assert_int_equal(wa_parse_webhook(big, WA_BODY_MAX + 1, NULL, b, &err), LK_ETOOBIG);
	assert_int_equal(b->n, 0);
	free(big);
	free(b);
}

static void test_ids_and_users_over_limits(void **state)
{
	char id_ok[CHANNEL_EVENT_ID_MAX + 1], id_long[CHANNEL_EVENT_ID_MAX + 2];
	char user_ok[CHANNEL_USER_MAX + 1], user_long[CHANNEL_USER_MAX + 2];
	struct channel_batch *b = new_batch();
	struct buf m;
	char *body;

	memset(id_ok, 'a', CHANNEL_EVENT_ID_MAX);
	id_ok[CHANNEL_EVENT_ID_MAX] = '\0';
	memset(id_long, 'b', CHANNEL_EVENT_ID_MAX + 1);
	id_long[CHANNEL_EVENT_ID_MAX + 1] = '\0';
	memset(user_ok, '3', CHANNEL_USER_MAX);
	user_ok[CHANNEL_USER_MAX] = '\0';
	memset(user_long, '4', CHANNEL_USER_MAX + 1);
	user_long[CHANNEL_USER_MAX + 1] = '\0';
	buf_init(&m, 0);
	buf_addf(&m, "\"messages\":["
		     "{\"from\":\"%s\",\"id\":\"%s\",\"type\":\"text\",\"text\":{\"body\":\"ok\"}},"
		     "{\"from\":\"316\",\"id\":\"%s\",\"type\":\"text\",\"text\":{\"body\":\"x\"}},"
		     "{\"from\":\"%s\",\"id\":\"wamid.1\",\"type\":\"text\",\"text\":{\"body\":\"x\"}},"
		     "{\"from\":\"316\",\"id\":\"wamid 2\",\"type\":\"text\",\"text\":{\"body\":\"x\"}},"
		     "{\"from\":\"\",\"id\":\"wamid.3\",\"type\":\"text\",\"text\":{\"body\":\"x\"}},"
		     "{\"from\":316,\"id\":\"wamid.4\",\"type\":\"text\",\"text\":{\"body\":\"x\"}},"
		     "{\"from\":\"316\",\"id\":\"wamid.\\u00e9\",\"type\":\"text\"},"
		     "{\"from\":\"316\",\"type\":\"text\",\"text\":{\"body\":\"x\"}},"
		     "\"not an object\"]",
		 user_ok, id_ok, id_long, user_long);
	body = webhook_with(PNID, m.ptr);
	assert_int_equal(parse(body, PNID, b, NULL), 0);
	assert_int_equal(b->n, 1);
	assert_string_equal(b->events[0].id, id_ok);
	assert_string_equal(b->events[0].user, user_ok);
	assert_int_equal(b->dropped, 8);
	channel_batch_release(b);
	buf_release(&m);
	free(body);
	free(b);
}

static void test_long_texts_cut_at_a_character(void **state)
{
	static const char *const units[] = { "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80", "ab" };
	struct channel_batch *b = new_batch();

	for (size_t u = 0; u < sizeof(units) / sizeof(units[0]); u++) {
		char *text = repeat(units[u], 3000);
		struct buf m;
		char *body;
		size_t n;

		buf_init(&m, 0);
		buf_addf(&m, "\"messages\":[{\"from\":\"316\",\"id\":\"w%zu\",\"type\":\"text\","
			     "\"text\":{\"body\":\"%s\"}}]", u, text);
		body = webhook_with(PNID, m.ptr);
		assert_int_equal(parse(body, PNID, b, NULL), 0);
		assert_int_equal(b->n, 1);
		n = strlen(b->events[0].text);
		assert_true(n <= CHANNEL_TEXT_MAX);
		assert_true(n > CHANNEL_TEXT_MAX - 4);
		assert_int_equal(n % strlen(units[u]), 0);
		assert_true(valid_utf8(b->events[0].text, n));
		assert_memory_equal(b->events[0].text, text, n);
		channel_batch_release(b);
		buf_release(&m);
		free(body);
		free(text);
	}
	free(b);
}

static void test_more_events_than_a_batch_holds(void **state)
{
	struct channel_batch *b = new_batch();
	struct buf m;
	char *body;

	buf_init(&m, 0);
	buf_adds(&m, "\"messages\":[");
	for (int i = 0; i < CHANNEL_MAX_EVENTS + 6; i++)
		buf_addf(&m, "%s{\"from\":\"316\",\"id\":\"wamid.%d\",\"type\":\"text\",\"text\":"
			     "{\"body\":\"bericht %d\"}}", i ? "," : "", i, i);
	buf_adds(&m, "]");
	body = webhook_with(PNID, m.ptr);
	assert_int_equal(parse(body, PNID, b, NULL), 0);
	assert_int_equal(b->n, CHANNEL_MAX_EVENTS);
	assert_int_equal(b->dropped, 6);
	assert_string_equal(b->events[CHANNEL_MAX_EVENTS - 1].text, "bericht 63");
	channel_batch_release(b);
	buf_release(&m);
	free(body);
	free(b);
}

/* ---- request bodies ---- */

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

/* The body text of text message i. */
static const char *body_of(const json_t *out, size_t i)
{
	return json_string_value(json_object_get(json_object_get(json_array_get(out, i), "text"),
						 "body"));
}

static void test_format_plain_text(void **state)
{
	json_t *m = msg("{\"role\":\"bot\",\"text\":\"U vraagt een paspoort aan bij de gemeente.\","
			"\"kind\":\"answer\"}");
	json_t *out = wa_format_message("31612345678", m, "Bron", NULL, NULL);

	assert_json(out, "[{\"messaging_product\":\"whatsapp\",\"recipient_type\":\"individual\","
			 "\"to\":\"31612345678\",\"type\":\"text\",\"text\":{\"preview_url\":false,"
			 "\"body\":\"U vraagt een paspoort aan bij de gemeente.\"}}]");
	json_decref(out);
	json_decref(m);
}

static void test_format_sources(void **state)
{
	json_t *m = msg("{\"text\":\"Een paspoort kost 84 euro.\",\"sources\":["
			"{\"title\":\"Paspoort aanvragen\",\"url\":\"https://www.rijksoverheid.nl/p\","
			"\"kb_id\":\"faq-1\"},"
			"{\"title\":\"Tarieven\\n2025\"},"
			"{\"url\":\"https://example.nl/t\"},"
			"{\"kb_id\":\"x\"}, 5]}");
	json_t *out = wa_format_message("31612345678", m, "Bron / Source", NULL, NULL);

	assert_int_equal(json_array_size(out), 1);
	assert_string_equal(body_of(out, 0),
			    "Een paspoort kost 84 euro.\n\n"
			    "Bron / Source: Paspoort aanvragen - https://www.rijksoverheid.nl/p\n"
			    "Bron / Source: Tarieven 2025\n"
			    "Bron / Source: https://example.nl/t");
	json_decref(out);
	out = wa_format_message("31612345678", m, NULL, NULL, NULL);
	assert_non_null(strstr(body_of(out, 0), "\n\nBron: Paspoort aanvragen - https://"));
	json_decref(out);
	json_decref(m);

	/* Sources without text. */
	m = msg("{\"sources\":[{\"title\":\"T\",\"url\":\"u\"}]}");
	out = wa_format_message("316", m, "Bron", NULL, NULL);
	assert_string_equal(body_of(out, 0), "Bron: T - u");
	json_decref(out);
	json_decref(m);
}

/* Checks the parts of a split text: each within the limit, on boundaries,
 * never inside a character, and together the text. Returns the count. */
static size_t check_parts(const json_t *out, size_t n, const char *text)
{
	struct buf joined;

	buf_init(&joined, 0);
	for (size_t i = 0; i < n; i++) {
		const char *p = body_of(out, i);
		size_t len;

		assert_non_null(p);
		len = strlen(p);
		assert_true(len > 0);
		assert_true(valid_utf8(p, len));
		assert_true(channel_text_chars(p, len) <= CHANNEL_OUT_TEXT_MAX);
		assert_true(code_points(p, len) <= CHANNEL_OUT_TEXT_MAX);
		buf_add(&joined, p, len);
	}
	assert_string_equal(joined.ptr, text);
	buf_release(&joined);
	return n;
}

static void test_format_split_on_paragraphs_and_sentences(void **state)
{
	struct buf t;
	json_t *m, *out;
	const char *p0;

	/* Paragraphs of sentences, 12000 characters in all. */
	buf_init(&t, 0);
	for (int i = 0; t.len < 12000; i++) {
		buf_addf(&t, "Dit is zin nummer %d over het aanvragen van een paspoort. ", i);
		if (i % 9 == 8) {
			buf_rtrim(&t);
			buf_adds(&t, "\n\n");
		}
	}
	buf_rtrim(&t);
	m = json_pack("{s:s}", "text", t.ptr);
	out = wa_format_message("316", m, NULL, NULL, NULL);
	assert_int_equal(check_parts(out, json_array_size(out), t.ptr), json_array_size(out));
	assert_true(json_array_size(out) >= 3);
	for (size_t i = 0; i + 1 < json_array_size(out); i++) {
		const char *p = body_of(out, i);
		size_t len = strlen(p);

		/* Each part but the last ends after a blank line, and is not short. */
		assert_true(len >= 2 && p[len - 1] == '\n' && p[len - 2] == '\n');
		assert_true(len > CHANNEL_OUT_TEXT_MAX / 2);
	}
	json_decref(out);
	json_decref(m);

	/* One paragraph: sentences. */
	buf_reset(&t);
	for (int i = 0; t.len < 9000; i++)
		buf_addf(&t, "Zin %d eindigt hier! ", i);
	m = json_pack("{s:s}", "text", t.ptr);
	out = wa_format_message("316", m, NULL, NULL, NULL);
	check_parts(out, json_array_size(out), t.ptr);
	p0 = body_of(out, 0);
	assert_int_equal(json_array_size(out), 3);
	assert_string_equal(p0 + strlen(p0) - 2, "! ");
	json_decref(out);
	json_decref(m);

	/* Words without sentence ends. */
	buf_reset(&t);
	for (int i = 0; t.len < 9000; i++)
		buf_addf(&t, "woord%d ", i);
	m = json_pack("{s:s}", "text", t.ptr);
	out = wa_format_message("316", m, NULL, NULL, NULL);
	check_parts(out, json_array_size(out), t.ptr);
	p0 = body_of(out, 0);
	assert_int_equal(p0[strlen(p0) - 1], ' ');
	assert_true(channel_text_chars(p0, strlen(p0)) > CHANNEL_OUT_TEXT_MAX - 12);
	json_decref(out);
	json_decref(m);
	buf_release(&t);
}

static void test_format_split_without_spaces(void **state)
{
	char *x = repeat("x", 10000);
	json_t *m = json_pack("{s:s}", "text", x);
	json_t *out = wa_format_message("316", m, NULL, NULL, NULL);

	assert_int_equal(json_array_size(out), 3);
	check_parts(out, 3, x);
	assert_int_equal(strlen(body_of(out, 0)), 4096);
	assert_int_equal(strlen(body_of(out, 1)), 4096);
	assert_int_equal(strlen(body_of(out, 2)), 10000 - 8192);
	json_decref(out);
	json_decref(m);
	free(x);

	/* Exactly 4096 is one message; 4097 two. */
	x = repeat("y", 4096);
	m = json_pack("{s:s}", "text", x);
	out = wa_format_message("316", m, NULL, NULL, NULL);
	assert_int_equal(json_array_size(out), 1);
	json_decref(out);
	json_decref(m);
	free(x);
	x = repeat("y", 4097);
	m = json_pack("{s:s}", "text", x);
	out = wa_format_message("316", m, NULL, NULL, NULL);
	assert_int_equal(json_array_size(out), 2);
	json_decref(out);
	json_decref(m);
	free(x);
}

static void test_format_split_never_breaks_characters(void **state)
{
	/* Emoji (2 UTF-16 units each), flags (two regional indicators), a letter
	 * with a combining accent, a family (ZWJ sequence) and a skin tone. */
	static const struct {
		const char *unit;
		size_t chars;
	} units[] = {
		{ "\xf0\x9f\x98\x80", 2 },
		{ "\xf0\x9f\x87\xb3\xf0\x9f\x87\xb1", 4 },
		{ "e\xcc\x81", 2 },
		{ "\xf0\x9f\x91\xa8\xe2\x80\x8d\xf0\x9f\x91\xa9\xe2\x80\x8d\xf0\x9f\x91\xa7", 8 },
		{ "\xf0\x9f\x91\x8d\xf0\x9f\x8f\xbd", 4 },
		{ "\xe2\x82\xac", 1 },
	};

	for (size_t u = 0; u < sizeof(units) / sizeof(units[0]); u++) {
		char *r = repeat(units[u].unit, 9000 / units[u].chars + 3);
		char *x = malloc(strlen(r) + 2);
		json_t *m, *out;
		size_t n;

		/* One ASCII letter first, so that 4096 falls inside a cluster. */
		assert_non_null(x);
		x[0] = 'x';
		memcpy(x + 1, r, strlen(r) + 1);
		m = json_pack("{s:s}", "text", x);
		out = wa_format_message("316", m, NULL, NULL, NULL);
		n = json_array_size(out);
		assert_true(n >= 3);
		check_parts(out, n, x);
		/* Whole clusters in every part. */
		for (size_t i = 0; i < n; i++)
			assert_int_equal((strlen(body_of(out, i)) - (i == 0)) % strlen(units[u].unit),
					 0);
		json_decref(out);
		json_decref(m);
		free(x);
		free(r);
	}
}

static void test_format_buttons(void **state)
{
	json_t *m = msg("{\"text\":\"Wilt u een afspraak maken?\",\"quick_replies\":["
			"{\"label\":\"Ja\",\"payload\":\"yes\"},"
			"{\"label\":\"Nee, dank u wel voor de informatie\",\"payload\":\"no\"}]}");
	json_t *out = wa_format_message("31612345678", m, NULL, "Kies", NULL);
	const char *title;

	assert_json(out, "[{\"messaging_product\":\"whatsapp\",\"recipient_type\":\"individual\","
			 "\"to\":\"31612345678\",\"type\":\"interactive\",\"interactive\":{"
			 "\"type\":\"button\",\"body\":{\"text\":\"Wilt u een afspraak maken?\"},"
			 "\"action\":{\"buttons\":["
			 "{\"type\":\"reply\",\"reply\":{\"id\":\"yes\",\"title\":\"Ja\"}},"
			 "{\"type\":\"reply\",\"reply\":{\"id\":\"no\",\"title\":"
			 "\"Nee, dank u wel\xe2\x80\xa6\"}}]}}}]");
	title = json_string_value(json_object_get(
		json_object_get(json_array_get(json_object_get(json_object_get(json_object_get(
						       json_array_get(out, 0), "interactive"),
						       "action"), "buttons"), 1), "reply"),
		"title"));
	assert_true(channel_text_chars(title, strlen(title)) <= WA_BUTTON_TITLE_CHARS);
	json_decref(out);
	json_decref(m);
}

static void test_format_button_body_too_long(void **state)
{
	char *x = repeat("lang ", 300); /* 1500 characters */
	json_t *m = json_pack("{s:s, s:[{s:s, s:s}]}", "text", x, "quick_replies", "label", "Verder",
			      "payload", "next");
	json_t *out = wa_format_message("316", m, NULL, "Maak een keuze", NULL);
	json_t *inter;

	assert_int_equal(json_array_size(out), 2);
	assert_string_equal(body_of(out, 0), x);
	inter = json_object_get(json_array_get(out, 1), "interactive");
	assert_string_equal(json_string_value(json_object_get(json_object_get(inter, "body"), "text")),
			    "Maak een keuze");
	json_decref(out);
	/* Default choose text. */
	out = wa_format_message("316", m, NULL, NULL, NULL);
	inter = json_object_get(json_array_get(out, 1), "interactive");
	assert_string_equal(json_string_value(json_object_get(json_object_get(inter, "body"), "text")),
			    "Kies een optie / Choose an option");
	json_decref(out);
	json_decref(m);
	free(x);

	/* A long text: the last part becomes the body when it fits. */
	x = repeat("woord ", 800); /* 4800 characters: 4096 + 704 */
	m = json_pack("{s:s, s:[{s:s, s:s}]}", "text", x, "quick_replies", "label", "Verder",
		      "payload", "next");
	out = wa_format_message("316", m, NULL, NULL, NULL);
	assert_int_equal(json_array_size(out), 2);
	inter = json_object_get(json_array_get(out, 1), "interactive");
	{
		struct buf j;

		buf_init(&j, 0);
		buf_adds(&j, body_of(out, 0));
		buf_adds(&j, json_string_value(
				     json_object_get(json_object_get(inter, "body"), "text")));
		assert_string_equal(j.ptr, x);
		buf_release(&j);
	}
	json_decref(out);
	json_decref(m);
	free(x);

	/* Only quick replies. */
	m = msg("{\"quick_replies\":[{\"label\":\"A\",\"payload\":\"a\"}]}");
	out = wa_format_message("316", m, NULL, "Kies", NULL);
	assert_int_equal(json_array_size(out), 1);
	inter = json_object_get(json_array_get(out, 0), "interactive");
	assert_string_equal(json_string_value(json_object_get(json_object_get(inter, "body"), "text")),
			    "Kies");
	json_decref(out);
	json_decref(m);
}

static void test_format_list(void **state)
{
	json_t *m = msg("{\"text\":\"Waarover gaat uw vraag?\",\"quick_replies\":["
			"{\"label\":\"Paspoort\",\"payload\":\"p1\"},"
			"{\"label\":\"Rijbewijs\",\"payload\":\"p2\"},"
			"{\"label\":\"Verhuizing doorgeven aan de gemeente\",\"payload\":\"p3\"},"
			"{\"label\":\"Parkeervergunning\",\"payload\":\"p4\"}]}");
	json_t *out = wa_format_message("316", m, NULL, NULL, "Onderwerpen");

	assert_json(out, "[{\"messaging_product\":\"whatsapp\",\"recipient_type\":\"individual\","
			 "\"to\":\"316\",\"type\":\"interactive\",\"interactive\":{\"type\":\"list\","
			 "\"body\":{\"text\":\"Waarover gaat uw vraag?\"},\"action\":{\"button\":"
			 "\"Onderwerpen\",\"sections\":[{\"title\":\"Onderwerpen\",\"rows\":["
			 "{\"id\":\"p1\",\"title\":\"Paspoort\"},"
			 "{\"id\":\"p2\",\"title\":\"Rijbewijs\"},"
			 "{\"id\":\"p3\",\"title\":\"Verhuizing doorgeven\xe2\x80\xa6\","
			 "\"description\":\"Verhuizing doorgeven aan de gemeente\"},"
			 "{\"id\":\"p4\",\"title\":\"Parkeervergunning\"}]}]}}}]");
	json_decref(out);
	json_decref(m);
}

static void test_format_list_limits(void **state)
{
	json_t *m = json_pack("{s:s, s:[]}", "text", "Kies", "quick_replies");
	json_t *qr = json_object_get(m, "quick_replies");
	char *long_label = repeat("Lange omschrijving ", 8);
	json_t *out, *action, *rows;
	const char *button;

	for (int i = 0; i < 14; i++) {
		char payload[16];

		snprintf(payload, sizeof(payload), "opt%d", i);
		json_array_append_new(qr, json_pack("{s:s, s:s}", "label", long_label, "payload",
						    payload));
	}
	out = wa_format_message("316", m, NULL, NULL,
				"Een veel te lang menu-label voor WhatsApp");
	assert_int_equal(json_array_size(out), 1);
	action = json_object_get(json_object_get(json_array_get(out, 0), "interactive"), "action");
	button = json_string_value(json_object_get(action, "button"));
	assert_true(channel_text_chars(button, strlen(button)) <= WA_LIST_BUTTON_CHARS);
	rows = json_object_get(json_array_get(json_object_get(action, "sections"), 0), "rows");
	assert_int_equal(json_array_size(rows), WA_LIST_ROWS_MAX);
	for (size_t i = 0; i < json_array_size(rows); i++) {
		const json_t *row = json_array_get(rows, i);
		const char *t = json_string_value(json_object_get(row, "title"));
		const char *d = json_string_value(json_object_get(row, "description"));

		assert_true(channel_text_chars(t, strlen(t)) <= WA_ROW_TITLE_CHARS);
		assert_non_null(d);
		assert_true(channel_text_chars(d, strlen(d)) <= WA_ROW_DESCRIPTION_CHARS);
		assert_string_equal(d + strlen(d) - 3, "\xe2\x80\xa6");
	}
	assert_string_equal(json_string_value(json_object_get(json_array_get(rows, 9), "id")),
			    "opt9");
	json_decref(out);
	/* Default menu label. */
	out = wa_format_message("316", m, NULL, NULL, NULL);
	action = json_object_get(json_object_get(json_array_get(out, 0), "interactive"), "action");
	assert_string_equal(json_string_value(json_object_get(action, "button")),
			    "Opties / Options");
	json_decref(out);
	json_decref(m);
	free(long_label);
}

static void test_format_payload_limits(void **state)
{
	char *p256 = repeat("i", WA_BUTTON_ID_CHARS), *p257 = repeat("i", WA_BUTTON_ID_CHARS + 1);
	char *p201 = repeat("r", WA_ROW_ID_CHARS + 1);
	json_t *m, *out, *inter, *buttons;

	/* Over 256: left out; 256: kept. Empty payloads, labels, duplicates: left out. */
	m = json_pack("{s:s, s:[{s:s, s:s}, {s:s, s:s}, {s:s, s:s}, {s:s, s:s}, {s:s, s:s},"
		      " {s:s, s:i}, {s:s}, {s:s, s:s}]}",
		      "text", "Kies", "quick_replies", "label", "Te lang", "payload", p257, "label",
		      "Precies", "payload", p256, "label", "Leeg", "payload", "", "label", "  ",
		      "payload", "blank", "label", "Dubbel", "payload", p256, "label", "Getal",
		      "payload", 5, "label", "Geen payload", "label", "Goed", "payload", "ok");
	out = wa_format_message("316", m, NULL, NULL, NULL);
	assert_int_equal(json_array_size(out), 1);
	inter = json_object_get(json_array_get(out, 0), "interactive");
	assert_string_equal(json_string_value(json_object_get(inter, "type")), "button");
	buttons = json_object_get(json_object_get(inter, "action"), "buttons");
	assert_int_equal(json_array_size(buttons), 2);
	assert_string_equal(json_string_value(json_object_get(
				    json_object_get(json_array_get(buttons, 0), "reply"), "id")),
			    p256);
	assert_string_equal(json_string_value(json_object_get(
				    json_object_get(json_array_get(buttons, 1), "reply"), "title")),
			    "Goed");
	json_decref(out);
	json_decref(m);

	/* Four replies, one with a 201-character payload: too few rows for a
	 * list, so the first three become buttons. */
	m = json_pack("{s:s, s:[{s:s, s:s}, {s:s, s:s}, {s:s, s:s}, {s:s, s:s}]}", "text", "Kies",
		      "quick_replies", "label", "A", "payload", "a", "label", "B", "payload", p201,
		      "label", "C", "payload", "c", "label", "D", "payload", "d");
	out = wa_format_message("316", m, NULL, NULL, NULL);
	inter = json_object_get(json_array_get(out, 0), "interactive");
	assert_string_equal(json_string_value(json_object_get(inter, "type")), "button");
	buttons = json_object_get(json_object_get(inter, "action"), "buttons");
	assert_int_equal(json_array_size(buttons), 3);
	json_decref(out);
	json_decref(m);

	/* Button titles that end up the same after cutting: the later is left out. */
	m = msg("{\"text\":\"Kies\",\"quick_replies\":["
		"{\"label\":\"Informatie over paspoort\",\"payload\":\"a\"},"
		"{\"label\":\"Informatie over paspoorten\",\"payload\":\"b\"}]}");
	out = wa_format_message("316", m, NULL, NULL, NULL);
	buttons = json_object_get(
		json_object_get(json_object_get(json_array_get(out, 0), "interactive"), "action"),
		"buttons");
	assert_int_equal(json_array_size(buttons), 1);
	json_decref(out);
	json_decref(m);
	free(p256);
	free(p257);
	free(p201);
}

static void test_format_nothing_and_bad_arguments(void **state)
{
	json_t *m = msg("{\"text\":\"  \\n\\n \",\"quick_replies\":\"no\",\"sources\":{}}");
	json_t *out = wa_format_message("316", m, NULL, NULL, NULL);

	assert_non_null(out);
	assert_int_equal(json_array_size(out), 0);
	json_decref(out);
	assert_null(wa_format_message(NULL, m, NULL, NULL, NULL));
	assert_null(wa_format_message("", m, NULL, NULL, NULL));
	assert_null(wa_format_message("31 6", m, NULL, NULL, NULL));
	json_decref(m);
	m = json_string("tekst");
	assert_null(wa_format_message("316", m, NULL, NULL, NULL));
	assert_null(wa_format_message("316", NULL, NULL, NULL, NULL));
	json_decref(m);
}

/* ---- answers ---- */

static void test_send_response_success(void **state)
{
	const char *ok = "{\"messaging_product\":\"whatsapp\",\"contacts\":[{\"input\":"
			 "\"48123456789\",\"wa_id\":\"48123456789\"}],\"messages\":[{\"id\":"
			 "\"wamid.gBGGSFcCNEOPAgkO_KJ55r4w_ww\"}]}";
	char id[64], small[8];
	unsigned retry = 99;
	struct lk_err err = { 0 };

	assert_int_equal(wa_parse_send_response(200, ok, strlen(ok), id, sizeof(id), &retry, &err),
			 0);
	assert_string_equal(id, "wamid.gBGGSFcCNEOPAgkO_KJ55r4w_ww");
	assert_int_equal(retry, 0);
	assert_int_equal(wa_parse_send_response(200, ok, strlen(ok), NULL, 0, NULL, NULL), 0);
	assert_int_equal(wa_parse_send_response(200, ok, strlen(ok), small, sizeof(small), NULL,
						&err),
			 LK_ETOOBIG);
	assert_string_equal(small, "");
	assert_int_equal(wa_parse_send_response(200, "{}", 2, id, sizeof(id), NULL, &err), LK_EPARSE);
	assert_int_equal(send_answer(200, "{\"messages\":[]}", id, sizeof(id), NULL, NULL),
			 LK_EPARSE);
	assert_int_equal(wa_parse_send_response(200, "", 0, id, sizeof(id), NULL, NULL), LK_EPARSE);
	assert_int_equal(wa_parse_send_response(200, NULL, 0, id, sizeof(id), NULL, NULL), LK_EPARSE);
}

static void test_send_response_errors(void **state)
{
	static const struct {
		long status;
		long long code;
		const char *reason;
		unsigned retry;
	} cases[] = {
		{ 400, 130429, "rate_limited", 5 }, { 400, 4, "rate_limited", 60 },
		{ 400, 80007, "rate_limited", 60 }, { 400, 131048, "rate_limited", 600 },
		{ 400, 131056, "rate_limited", 10 }, { 401, 190, "auth", 0 },
		{ 400, 131047, "window_closed", 0 }, { 400, 131026, "undeliverable", 0 },
		{ 400, 100, "remote", 0 },          { 500, 1, "remote", 0 },
		{ 429, 99999, "rate_limited", 60 }, { 401, 99999, "auth", 0 },
	};
	char id[32], body[512];
	struct lk_err err;
	unsigned retry;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(body, sizeof(body),
			 "{\"error\":{\"message\":\"(#%lld) Rate limit hit\",\"type\":"
			 "\"OAuthException\",\"code\":%lld,\"error_data\":{\"messaging_product\":"
			 "\"whatsapp\",\"details\":\"Message failed to send\"},\"error_subcode\":"
			 "2494055,\"fbtrace_id\":\"Az8or2yhqkZfEZ-_4Qn_Bam\"}}",
			 cases[i].code, cases[i].code);
		memset(&err, 0, sizeof(err));
		retry = 12345;
		assert_int_equal(wa_parse_send_response(cases[i].status, body, strlen(body), id,
							sizeof(id), &retry, &err),
				 LK_EREMOTE);
		assert_string_equal(err.reason, cases[i].reason);
		assert_int_equal(retry, cases[i].retry);
		assert_non_null(strstr(err.msg, "Rate limit hit"));
		assert_non_null(strstr(err.msg, "Message failed to send"));
		assert_non_null(strstr(err.msg, "OAuthException"));
		assert_non_null(strstr(err.msg, "Az8or2yhqkZfEZ-_4Qn_Bam"));
		assert_string_equal(id, "");
	}
	/* An error body with a 200 status is still an error. */
	snprintf(body, sizeof(body), "{\"error\":{\"message\":\"x\",\"code\":131056}}");
	assert_int_equal(wa_parse_send_response(200, body, strlen(body), id, sizeof(id), &retry,
						&err),
			 LK_EREMOTE);
	assert_int_equal(retry, 10);
	/* Not JSON: status and the start of the body, cleaned. */
	memset(&err, 0, sizeof(err));
	assert_int_equal(send_answer(502, "<html>\r\nBad Gateway</html>", id, sizeof(id), &retry,
					     &err),
			 LK_EREMOTE);
	assert_string_equal(err.reason, "remote");
	assert_non_null(strstr(err.msg, "HTTP 502"));
	assert_non_null(strstr(err.msg, "Bad Gateway"));
	assert_null(strchr(err.msg, '\r'));
	assert_int_equal(retry, 0);
	assert_int_equal(wa_parse_send_response(429, NULL, 0, id, sizeof(id), &retry, &err),
			 LK_EREMOTE);
	assert_string_equal(err.reason, "rate_limited");
	assert_int_equal(retry, 60);
	/* Odd error shapes. */
	assert_int_equal(send_answer(400, "{\"error\":{}}", id, sizeof(id), &retry, &err),
			 LK_EREMOTE);
	assert_int_equal(retry, 0);
	assert_int_equal(send_answer(400, "{\"error\":\"bad\"}", NULL, 0, NULL, NULL),
			 LK_EREMOTE);
	assert_int_equal(send_answer(400, "{\"error\":{\"code\":\"4\",\"message\":7}}", id,
					     sizeof(id), &retry, &err),
			 LK_EREMOTE);
	assert_int_equal(retry, 0);
}

/* ---- helpers in channel.c ---- */

static void test_channel_helpers(void **state)
{
	char dst[8], *l;

	assert_int_equal(channel_text_chars("a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", 10), 5);
	assert_int_equal(channel_split("abc def", 7, 4), 4);
	assert_int_equal(channel_split("abc", 3, 4), 3);
	assert_int_equal(channel_split("", 0, 4), 0);
	assert_true(channel_is_blank(" \n\t", 3));
	assert_false(channel_is_blank(" x ", 3));
	assert_int_equal(channel_copy_id(dst, sizeof(dst), "abc"), 0);
	assert_string_equal(dst, "abc");
	assert_int_equal(channel_copy_id(dst, sizeof(dst), "abcdefgh"), -1);
	assert_string_equal(dst, "");
	assert_int_equal(channel_copy_id(dst, sizeof(dst), "a\tb"), -1);
	channel_copy_clean(dst, sizeof(dst), "a\nb\xff\xc3\xa9xyz", 9);
	assert_string_equal(dst, "a b \xc3\xa9x");
	channel_copy_clean(dst, 4, "ab\xc3\xa9", 4);
	assert_string_equal(dst, "ab");
	l = channel_label("Kort", 20);
	assert_string_equal(l, "Kort");
	free(l);
	l = channel_label("Een\nregel", 20);
	assert_string_equal(l, "Een regel");
	free(l);
	l = channel_label(" \t Ja \n", 20);
	assert_string_equal(l, "Ja");
	free(l);
	l = channel_label("abcdefghijklmnopqrstuvwxyz", 10);
	assert_string_equal(l, "abcdefghi\xe2\x80\xa6");
	free(l);
	l = channel_label(NULL, 10);
	assert_string_equal(l, "");
	free(l);
	assert_int_equal(channel_secret_equal("geheim", "geheim"), 1);
	assert_int_equal(channel_secret_equal("geheim", "geheim "), 0);
	assert_int_equal(channel_secret_equal("geheim", "Geheim"), 0);
	assert_int_equal(channel_secret_equal("", ""), 0);
	assert_int_equal(channel_secret_equal("geheim", NULL), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_signature_valid_and_uppercase),
		cmocka_unit_test(test_signature_wrong_secret_and_tampered_body),
		cmocka_unit_test(test_signature_malformed_headers),
		cmocka_unit_test(test_verify),
		cmocka_unit_test(test_text_message),
		cmocka_unit_test(test_interactive_and_template_replies),
		cmocka_unit_test(test_media_and_unsupported_are_other),
		cmocka_unit_test(test_statuses_counted),
		cmocka_unit_test(test_several_entries_and_changes),
		cmocka_unit_test(test_wrong_phone_number_id),
		cmocka_unit_test(test_malformed_payloads),
		cmocka_unit_test(test_too_large_body),
		cmocka_unit_test(test_ids_and_users_over_limits),
		cmocka_unit_test(test_long_texts_cut_at_a_character),
		cmocka_unit_test(test_more_events_than_a_batch_holds),
		cmocka_unit_test(test_format_plain_text),
		cmocka_unit_test(test_format_sources),
		cmocka_unit_test(test_format_split_on_paragraphs_and_sentences),
		cmocka_unit_test(test_format_split_without_spaces),
		cmocka_unit_test(test_format_split_never_breaks_characters),
		cmocka_unit_test(test_format_buttons),
		cmocka_unit_test(test_format_button_body_too_long),
		cmocka_unit_test(test_format_list),
		cmocka_unit_test(test_format_list_limits),
		cmocka_unit_test(test_format_payload_limits),
		cmocka_unit_test(test_format_nothing_and_bad_arguments),
		cmocka_unit_test(test_send_response_success),
		cmocka_unit_test(test_send_response_errors),
		cmocka_unit_test(test_channel_helpers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
