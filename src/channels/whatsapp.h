/* whatsapp.h - the WhatsApp Cloud API (Meta Graph) adapter: checking and
 * reading webhook calls, building the request bodies of POST
 * /{phone-number-id}/messages and reading its answers. Pure parsing and
 * formatting: the runtime (channels.c) does the HTTP.
 *
 * Limits the adapter keeps (Cloud API reference): a text body holds at most
 * 4096 characters; an interactive body 1024; at most 3 reply buttons with
 * titles of 20 characters and ids of 256; a list has a button label of 20,
 * at most 10 rows in all, row titles of 24, descriptions of 72, row ids of
 * 200 and section titles of 24. Characters are counted as in channel.h.
 */
#ifndef LK_WHATSAPP_H
#define LK_WHATSAPP_H

#include "channels/channel.h"
#include "core/err.h"

#include <jansson.h>
#include <stddef.h>

#define WA_BODY_MAX ((size_t)1 << 20)  /* bytes of a webhook or response body parsed */
#define WA_BODY_CHARS 1024              /* characters of an interactive message body */
#define WA_BUTTONS_MAX 3
#define WA_BUTTON_TITLE_CHARS 20
#define WA_BUTTON_ID_CHARS 256
#define WA_LIST_ROWS_MAX 10
#define WA_LIST_BUTTON_CHARS 20
#define WA_ROW_TITLE_CHARS 24
#define WA_ROW_DESCRIPTION_CHARS 72
#define WA_ROW_ID_CHARS 200
#define WA_SECTION_TITLE_CHARS 24
#define WA_CHALLENGE_MAX 128

/* ---- Webhook calls ---- */

/* Constant-time check of the "X-Hub-Signature-256" header value
 * ("sha256=<64 hex digits>", hex in either case) against HMAC-SHA256(app
 * secret, raw body). 0 when valid; LK_EAUTH (err says why, never showing the
 * secret or the expected digest) for a missing or malformed header or a wrong
 * signature; LK_ECONFIG when app_secret is NULL or empty; LK_EINVAL for a NULL
 * body with len > 0. body may be NULL when len is 0. */
int wa_signature_check(const char *app_secret, const char *header, const void *body, size_t len,
		       struct lk_err *err);

/* Webhook verification GET (hub.mode, hub.verify_token, hub.challenge):
 * returns challenge (borrowed from the argument, to be sent as the whole
 * 200 body) when mode is "subscribe", token equals expected (constant time;
 * an empty expected never matches) and challenge is 1..128 printable ASCII
 * characters; else NULL (answer 403). */
const char *wa_verify(const char *mode, const char *token, const char *challenge,
		      const char *expected);

/* Reads a webhook POST body into out (which it empties first; any texts it
 * held must have been released). object must be "whatsapp_business_account";
 * each entry[].changes[] with field "messages" gives:
 *   - value.messages[]: type "text" -> TEXT (text.body); "interactive" with
 *     button_reply or list_reply -> ACTION (its id); "button" (template quick
 *     reply) -> ACTION (button.payload); anything else -> OTHER. id is the
 *     wamid, user the sender ("from"), timestamp from "timestamp", lang "".
 *   - value.statuses[]: counted in out->statuses by status.
 * Changes with other fields are skipped. When phone_number_id is not NULL a
 * change whose value.metadata.phone_number_id differs is skipped and counted
 * once in out->dropped. A message without a usable id or sender (empty, over
 * CHANNEL_EVENT_ID_MAX / CHANNEL_USER_MAX bytes, not printable ASCII) and
 * messages past CHANNEL_MAX_EVENTS are counted in out->dropped. Texts and
 * payloads over CHANNEL_TEXT_MAX bytes are cut at a character boundary.
 * 0, or LK_EPARSE (err says why; out left empty) for malformed JSON or a
 * wrong shape (not an object, wrong object, entry/changes/messages/statuses
 * not arrays), LK_ETOOBIG over WA_BODY_MAX. Release out with
 * channel_batch_release(). */
int wa_parse_webhook(const char *body, size_t len, const char *phone_number_id,
		     struct channel_batch *out, struct lk_err *err);

/* ---- Sending ---- */

/* The request bodies, in order, for one bot message in the v1 API shape
 * {"text","sources":[{"title","url"}],"quick_replies":[{"label","payload"}]}
 * to WhatsApp user `to`:
 *   - the text and one "<source_label>: <title> - <url>" line per source
 *     (channel_compose_text()) as "type":"text" messages
 *     ({"messaging_product":"whatsapp","recipient_type":"individual","to":..,
 *     "type":"text","text":{"preview_url":false,"body":..}}), split into parts
 *     of at most 4096 characters by channel_split(); parts of only
 *     whitespace are not sent;
 *   - the quick replies, when any is usable (a non-empty label and a payload
 *     of 1..256 characters, payloads not repeated; at most 10 taken): 1-3 give
 *     an interactive "button" message, 4-10 an interactive "list" message
 *     (button `menu_label`, one section titled `menu_label`, rows with
 *     payloads of at most 200 characters; when fewer than 4 such rows remain
 *     it is buttons again, the first 3). Button titles are the labels cut to
 *     20 characters with "\u2026" (a title repeating an earlier one is left
 *     out); row titles are cut to 24, and a row whose label was cut carries
 *     the label cut to 72 as its description. The interactive body is the
 *     last text part when that holds at most 1024 characters (the part is
 *     then not sent on its own), else `choose_text` cut to 1024.
 * choose_text NULL or "": "Kies een optie / Choose an option"; menu_label
 * NULL or "": "Opties / Options". A message with nothing to send gives an
 * empty array. NULL when message is not an object or to is not 1..64 bytes
 * of printable ASCII.
 * Caller frees with json_decref(). */
json_t *wa_format_message(const char *to, const json_t *message, const char *source_label,
			  const char *choose_text, const char *menu_label);

/* Reads the answer to POST /{phone-number-id}/messages. 0 when status is 2xx
 * and the body holds messages[0].id: the id is copied to id (size bytes;
 * LK_ETOOBIG when it does not fit; id may be NULL when size is 0).
 * LK_EPARSE for a 2xx answer without a message id. LK_EREMOTE otherwise,
 * with err->msg from the Graph error body
 * {"error":{"message","type","code","error_subcode","error_data":{"details"},
 * "fbtrace_id"}} (or the status and the start of the body) and err->reason
 * one of "rate_limited" (codes 4, 80007, 130429, 131048, 131056, or HTTP 429
 * without a known code), "auth" (190, or HTTP 401 without a known code), "window_closed" (131047:
 * the 24-hour window ended; only a template may be sent), "undeliverable"
 * (131026), "remote". *retry_after_s (may be NULL) is set to the seconds to
 * wait for throttling (4, 80007: 60; 130429: 5; 131048: 600; 131056: 10;
 * HTTP 429 without a known code: 60), else 0. */
int wa_parse_send_response(long status, const char *body, size_t len, char *id, size_t size,
			   unsigned *retry_after_s, struct lk_err *err);

#endif
