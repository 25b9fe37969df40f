/* telegram.h - the Telegram Bot API adapter: checking and reading webhook
 * updates, building sendMessage request bodies and reading Bot API answers.
 * Pure parsing and formatting: the runtime (channels.c) does the HTTP,
 * including answerCallbackQuery with an event's callback_id.
 *
 * Limits the adapter keeps (Bot API reference): sendMessage text holds 1..4096
 * characters (counted as in channel.h); callback_data 1..64 bytes.
 */
#ifndef LK_TELEGRAM_H
#define LK_TELEGRAM_H

#include "channels/channel.h"
#include "core/err.h"

#include <jansson.h>
#include <stddef.h>

#define TG_BODY_MAX ((size_t)1 << 20)   /* bytes of an update or answer parsed */
#define TG_CALLBACK_DATA_MAX 64          /* bytes of callback_data */
#define TG_BUTTONS_MAX 10                /* inline buttons under one message */
#define TG_BUTTON_TEXT_CHARS 64          /* characters of a button label (longer is cut) */

/* ---- Webhook calls ---- */

/* Compares the X-Telegram-Bot-Api-Secret-Token header with the secret given
 * to setWebhook, in time independent of where they differ (lengths included).
 * 0 when equal; LK_EAUTH for a missing or different header; LK_ECONFIG when
 * expected is NULL or empty. */
int tg_secret_check(const char *expected, const char *header, struct lk_err *err);

/* Reads one Update into out (which it empties first; any texts it held must
 * have been released). event id = update_id as decimal text.
 *   - message in a chat of type "private": with text -> TEXT, without -> OTHER;
 *     user = chat.id as decimal text, timestamp = date;
 *   - callback_query with data -> ACTION: text = data, callback_id = id, user =
 *     message.chat.id (the chat must be private) or else from.id, timestamp 0;
 * lang = the first two letters of from.language_code, lower case, when they
 * are letters, else "". Anything else (edited_message, channel_post, other
 * chats, a callback without data, ids over their limits) gives no event and
 * counts 1 in out->dropped. 0, or LK_EPARSE (err says why; out left empty) for
 * malformed JSON, a body that is not an object, or no integer update_id >= 0;
 * LK_ETOOBIG over TG_BODY_MAX. Release out with channel_batch_release(). */
int tg_parse_update(const char *body, size_t len, struct channel_batch *out, struct lk_err *err);

/* ---- Sending ---- */

/* The sendMessage request bodies, in order, for one bot message in the v1
 * API shape {"text","sources":[{"title","url"}],"quick_replies":[{"label",
 * "payload"}]}: {"chat_id":<number>,"text":..,"link_preview_options":
 * {"is_disabled":true}} per part of the text and its source lines
 * (channel_compose_text(), split by channel_split() at 4096 characters; parts
 * of only whitespace are not sent), the LAST carrying "reply_markup":
 * {"inline_keyboard":[[{"text":label,"callback_data":payload}],...]}, one button
 * per row, for up to 10 quick replies with a non-empty label (cut to 64
 * characters) and a payload of 1..64 bytes not seen before (others are left
 * out). No parse_mode: the text is plain, nothing is escaped. Buttons without
 * any text go under "Kies een optie / Choose an option". A message with
 * nothing to send gives an empty array. NULL when chat_id is not a decimal
 * integer or message is not an object. Caller frees with json_decref(). */
json_t *tg_format_message(const char *chat_id, const json_t *message, const char *source_label);

/* Reads a Bot API answer. {"ok":true,...} -> 0. {"ok":false,"error_code",
 * "description","parameters":{"retry_after"}} (or a body that is not JSON
 * with a non-2xx status) -> LK_EREMOTE with err->msg from description and
 * err->reason "rate_limited" (429), "auth" (401, 404: bad token), "forbidden"
 * (403: the user blocked the bot), "bad_request" (400) or "remote";
 * *retry_after_s (may be NULL) = parameters.retry_after (at most 86400), or 5
 * for a 429 without it, else 0. A 2xx answer that is not {"ok":true} ->
 * LK_EPARSE. */
int tg_parse_response(long status, const char *body, size_t len, unsigned *retry_after_s,
		      struct lk_err *err);

#endif
