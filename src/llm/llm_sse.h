/* llm_sse.h - incremental parser of a text/event-stream (Server-Sent Events)
 * byte stream, as an OpenAI-compatible server streams a chat completion.
 *
 * Bytes arrive from the network in any split (mid-line, mid-UTF-8 character,
 * between "\r" and "\n"); the parser keeps what it needs between calls and
 * calls back once per complete event. It follows the WHATWG rules: lines end
 * in "\n", "\r\n" or "\r"; "field:value" with one optional space after the
 * colon stripped; a line starting with ':' is a comment (keep-alive pings);
 * "data" lines are joined with '\n'; "event" sets the type; "id", "retry" and
 * unknown fields are ignored; a line without a colon is a field with an empty
 * value; a blank line dispatches the event if it had a data line; a leading
 * UTF-8 BOM is skipped.
 * One deliberate extension: an "error" field (old llama-server wrote
 * "error: {json}\n\n" instead of a data line) is taken as a data line and
 * gives the event the type "error" when it has no "event" field.
 * Every line and every event is bounded by max_event bytes.
 */
#ifndef LK_LLM_SSE_H
#define LK_LLM_SSE_H

#include "core/buf.h"
#include "core/err.h"

#include <stddef.h>

/* Used when llm_sse_init() is given 0. */
#define LLM_SSE_DEFAULT_MAX ((size_t)1 << 20)

struct llm_sse {          /* not opaque: lives inside other structs; treat fields as private */
	struct buf line;  /* current line */
	struct buf data;  /* data of the event being built (lines joined with '\n') */
	char event[32];   /* "event:" field of the event being built ("" if none) */
	int cr;           /* last byte was '\r' (so a following '\n' is skipped) */
	size_t max_event; /* bytes */
	size_t ndata;     /* data lines in the event being built */
	int bom;          /* BOM bytes matched at the stream start; 3 once past it */
	int failed;       /* sticky LK_ETOOBIG after an oversize line or event */
};

/* Called once per complete event (a blank line ends it) with at least one
 * data line. `event` is "" when the event had no "event:" field. data is
 * NUL-terminated (len excludes NUL; data may itself contain NUL bytes) and
 * borrowed until the callback returns. A non-zero return stops parsing and
 * is returned by llm_sse_feed. */
typedef int (*llm_sse_event_fn)(void *ud, const char *event, const char *data, size_t len);

/* --- lifecycle --- */

/* max_event_bytes bounds one line and one event's data (0: LLM_SSE_DEFAULT_MAX).
 * Allocates nothing until bytes arrive. */
void llm_sse_init(struct llm_sse *p, size_t max_event_bytes);
/* Frees the buffers; p is left initialised (same bound), ready for a new stream. */
void llm_sse_release(struct llm_sse *p);

/* --- parsing --- */

/* Feeds n bytes (any split: mid-line, mid-UTF-8, mid-"\r\n"). Returns 0, the
 * callback's non-zero value, or LK_ETOOBIG (err set) when a line or an event
 * exceeds max_event_bytes. After the callback stops parsing, the rest of
 * these n bytes is dropped. After LK_ETOOBIG every later feed fails the same
 * way until llm_sse_finish() or llm_sse_release(). fn may be NULL. */
int llm_sse_feed(struct llm_sse *p, const char *bytes, size_t n, llm_sse_event_fn fn, void *ud,
		 struct lk_err *err);

/* End of stream. Per the SSE spec an event without its terminating blank line
 * is discarded; returns 1 if such an incomplete event (or partial line) was
 * pending, else 0. Resets the parser for a new stream (keeping its memory). */
int llm_sse_finish(struct llm_sse *p);

#endif
