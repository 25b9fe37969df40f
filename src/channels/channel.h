/* channel.h - what every messaging channel (WhatsApp, Telegram) turns its
 * webhook payloads into, and what Loket sends back: plain data shared by the
 * channel adapters (pure parsing and formatting, no I/O) and the channel
 * runtime (src/channels/channels.c: inbox, conversations, sending).
 */
#ifndef LK_CHANNEL_H
#define LK_CHANNEL_H

#include <stddef.h>
#include <stdint.h>

#define CHANNEL_EVENT_ID_MAX 160  /* bytes of a message or update id */
#define CHANNEL_USER_MAX 64       /* bytes of a user or chat id */
#define CHANNEL_TEXT_MAX 4096     /* bytes of one inbound text (longer is cut at a character) */
#define CHANNEL_MAX_EVENTS 64     /* events taken from one webhook payload */

enum channel_event_kind {
	CHANNEL_EVENT_TEXT,   /* the user wrote text */
	CHANNEL_EVENT_ACTION, /* the user pressed a button (quick reply): payload in `text` */
	CHANNEL_EVENT_OTHER,  /* a message Loket cannot read (image, sticker, location...) */
};

struct channel_event {
	enum channel_event_kind kind;
	char id[CHANNEL_EVENT_ID_MAX + 1];   /* dedupe key: "wamid..." / "<update_id>" */
	char user[CHANNEL_USER_MAX + 1];     /* reply address: wa_id / chat id */
	char lang[8];                        /* language hint ("nl", "en") or "" */
	int64_t timestamp;                   /* unix seconds the user sent it; 0 unknown */
	char *text;                          /* owned: text or action payload; NULL for OTHER */
	char callback_id[CHANNEL_EVENT_ID_MAX + 1]; /* Telegram callback_query id to answer, or "" */
};

/* Delivery reports (WhatsApp "statuses"). */
enum channel_status_kind {
	CHANNEL_STATUS_SENT, CHANNEL_STATUS_DELIVERED, CHANNEL_STATUS_READ, CHANNEL_STATUS_FAILED,
	CHANNEL_STATUS_OTHER, CHANNEL_STATUS_COUNT
};

struct channel_batch {
	struct channel_event events[CHANNEL_MAX_EVENTS];
	size_t n;
	size_t statuses[CHANNEL_STATUS_COUNT]; /* counts by kind */
	size_t dropped;                        /* events beyond CHANNEL_MAX_EVENTS, or unusable */
};

/* Frees the texts; the batch can be reused. */
void channel_batch_release(struct channel_batch *b);

/* ---- Shared by the adapters (channel.c); no I/O ----
 *
 * "Characters" below are what the WhatsApp and Telegram servers count:
 * UTF-16 code units, so a character outside the Basic Multilingual Plane
 * (most emoji) counts 2. That is never less than the number of code points,
 * so a text within a limit by this count is within it by either count.
 * Cuts never fall inside a UTF-8 character, and avoid falling inside a
 * grapheme cluster (a flag, an emoji with a skin tone, a letter with a
 * combining accent) wherever a cluster fits. */

struct json_t;

#define CHANNEL_OUT_TEXT_MAX 4096                /* characters of one outgoing text part */
#define CHANNEL_OUT_INPUT_MAX ((size_t)64 << 10) /* bytes of text + sources taken per message */
#define CHANNEL_OUT_SOURCES_MAX 16               /* source lines taken per bot message */
#define CHANNEL_OUT_REPLIES_SCAN 64              /* quick replies looked at per bot message */

/* Empties b without freeing anything (for a fresh, uninitialised batch). */
void channel_batch_init(struct channel_batch *b);

/* The next free event of b, zeroed; NULL (and b->dropped counted) when b
 * already holds CHANNEL_MAX_EVENTS. Borrowed from b. */
struct channel_event *channel_batch_add(struct channel_batch *b);

/* 1 when given equals expected, 0 otherwise (also for a NULL or empty
 * expected, or a NULL given). Takes time independent of where the two differ
 * and of expected's length: both are hashed, the digests compared with
 * CRYPTO_memcmp. */
int channel_secret_equal(const char *expected, const char *given);

/* Copies an id or user (1..size-1 bytes of printable ASCII, no space) into
 * dst. 0, or -1 (dst "") when src is NULL, empty, too long or has other bytes. */
int channel_copy_id(char *dst, size_t size, const char *src);

/* Copies src[0..len) into dst (size bytes, always NUL-terminated) for log
 * and error messages: control characters and invalid UTF-8 become spaces,
 * the copy is cut at a character boundary. */
void channel_copy_clean(char *dst, size_t size, const char *src, size_t len);

/* An owned copy of s[0..len) cut to at most CHANNEL_TEXT_MAX bytes at a
 * character boundary. Caller frees with free(). */
char *channel_text_dup(const char *s, size_t len);

/* Characters (UTF-16 code units) in s[0..len); an invalid byte counts 1. */
size_t channel_text_chars(const char *s, size_t len);

/* Byte length of the first part when s[0..len) is cut into parts of at most
 * max_chars characters: len when all of it fits. Otherwise the cut follows
 * the last blank line, else line break, else sentence end (". ", "! ", "? ")
 * in the second half of the part; else the last whitespace; else the last
 * grapheme boundary; else the last character boundary. The whitespace stays
 * at the end of the first part, so the parts joined give s back. Never 0 when
 * len > 0 and max_chars >= 2. */
size_t channel_split(const char *s, size_t len, size_t max_chars);

/* A one-line label of at most max_chars characters (max_chars >= 2): leading
 * and trailing blanks dropped, other control characters become spaces; a
 * longer label is cut (after a word in its second half, else at a grapheme
 * boundary) and ends in "\u2026" (one character). Caller frees with free(). */
char *channel_label(const char *s, size_t max_chars);

/* The text to send for a bot message {"text","sources":[{"title","url"}],...}:
 * the text (an agent's message {"agent":{"name"}} starts with "<name>: "),
 * then (after a blank line) one "<source_label>: <title> - <url>"
 * line per source (source_label NULL: "Bron"). At most CHANNEL_OUT_INPUT_MAX
 * bytes and CHANNEL_OUT_SOURCES_MAX sources are taken. Caller frees with
 * free(); never NULL. */
char *channel_compose_text(const struct json_t *message, const char *source_label);

/* 1 when s[0..len) holds only whitespace and ASCII control characters (or
 * nothing). */
int channel_is_blank(const char *s, size_t len);

#endif
