/* channels.h - WhatsApp and Telegram on the same engine as the web: the
 * runtime around the pure adapters (whatsapp.h, telegram.h).
 *
 * A webhook is checked (signature or secret token, constant time), parsed,
 * and every event is recorded in the store before the platform gets its
 * fast 200: the record is the duplicate check (platforms deliver again)
 * and lets a restarted server answer what it had acknowledged. Workers
 * then give each event to the conversation engine (one conversation per
 * platform user, which starts with the AI notice) and send the replies
 * with the platform's API, in order per user, with retries on 429 and 5xx.
 * WhatsApp free-form replies are only sent within 24 hours of the user's
 * last message (the customer-service window).
 *
 * Secrets come from environment variables named in bot.yaml
 * (channels.whatsapp.*_env, channels.telegram.*_env); they are never logged.
 */
#ifndef LK_CHANNELS_H
#define LK_CHANNELS_H

#include "conv/bot.h"
#include "conv/conv.h"
#include "core/err.h"
#include "store/store.h"

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#define CHANNELS_WEBHOOK_MAX ((size_t)1 << 20) /* bytes of one webhook body */
#define CHANNELS_WINDOW_S (24 * 3600)         /* WhatsApp customer-service window */

struct channels;

/* Reads channels.whatsapp and channels.telegram of the bot (either may be
 * absent) and resolves their secrets; a named variable that is not set is
 * a configuration error naming it. Recovers events recorded but not
 * handled. Borrowed arguments must outlive it. Caller frees with
 * channels_free(), which finishes the queued events first. */
int channels_new(struct channels **out, const struct bot *bot, struct store *st,
		 struct conv_engine *engine, struct lk_err *err);
void channels_free(struct channels *c);
/* 1 when channel "whatsapp" / "telegram" is configured. */
int channels_has(const struct channels *c, const char *name);

/* The answer to a webhook request: an HTTP status and either a JSON body
 * (json, taken over by the caller) or a plain text (text, static or
 * pointing into the request). */
struct channels_reply {
	int status;
	json_t *json;
	const char *text;
};

/* GET ?hub.mode=subscribe&hub.verify_token=..&hub.challenge=.. */
void channels_whatsapp_verify(struct channels *c, const char *mode, const char *token,
			      const char *challenge, struct channels_reply *r);
/* POST with X-Hub-Signature-256 over the raw body. */
void channels_whatsapp_webhook(struct channels *c, const char *signature, const void *body,
			       size_t len, struct channels_reply *r);
/* POST with X-Telegram-Bot-Api-Secret-Token. */
void channels_telegram_webhook(struct channels *c, const char *secret, const void *body,
			       size_t len, struct channels_reply *r);

/* The engine's append hook (conv_engine_on_append, ud = the channels):
 * messages added to a WhatsApp or Telegram conversation outside a reply
 * (an agent's message, a handoff notice) are sent to its user, in order
 * with their other messages. Other channels are ignored. */
void channels_push(void *ud, const struct store_conv *conv, json_t *msgs);

/* Waits until every recorded event is handled (tests, shutdown). */
void channels_drain(struct channels *c);

struct channels_stats {
	uint64_t received[2];        /* events accepted: [0] whatsapp, [1] telegram */
	uint64_t duplicates[2];      /* deliveries seen before */
	uint64_t refused[2];         /* bad signature or secret */
	uint64_t sent[2], send_failed[2];
	uint64_t outside_window;     /* WhatsApp replies not sent: 24 h passed */
	uint64_t statuses[5];        /* WhatsApp delivery reports: sent, delivered, read, failed, other */
};
void channels_stats(struct channels *c, struct channels_stats *out);

#endif
