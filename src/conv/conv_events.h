/* conv_events.h - the live events of conversations, for whoever listens: the
 * Server-Sent Events endpoint today, the agent console and other server
 * instances later.
 *
 * A publisher queues an event ("message" with the turn's seq as its id, or
 * "token" with a piece of an answer being written) for every subscriber of
 * one conversation; a subscriber drains its queue as SSE text. Subscribers
 * are told that something arrived through a callback, which must be cheap
 * (it wakes a sleeping connection). Each subscriber's queue is bounded: a
 * client that does not read is cut off, and reconnects with Last-Event-ID
 * to get the stored turns it missed.
 *
 * All functions are safe from any thread.
 */
#ifndef LK_CONV_EVENTS_H
#define LK_CONV_EVENTS_H

#include <stddef.h>
#include <stdint.h>

#define CONV_EVENTS_QUEUE_MAX ((size_t)256 * 1024) /* bytes queued per subscriber */

struct conv_events;
struct conv_sub;

typedef void (*conv_events_notify_fn)(void *ud);

/* Caller frees with conv_events_free() after every subscriber is closed. */
struct conv_events *conv_events_new(void);
void conv_events_free(struct conv_events *h);

/* Queues one event for every subscriber of conv_id. `type` is a short word
 * ("message", "token", "state"), `data` one line of JSON. id > 0 is sent as
 * the event's id (the seq of a stored turn) and is what Last-Event-ID
 * replays from; events with an id reach a subscriber at most once and in
 * increasing order. */
void conv_events_publish(struct conv_events *h, const char *conv_id, const char *type,
			 int64_t id, const char *data);

/* Subscribes to conv_id. The subscriber starts in replay mode: live events
 * are held back until conv_sub_replay_done(), so the caller can first push
 * the stored turns the client missed (conv_sub_push) without losing or
 * doubling any. notify(ud) is called, from the publisher's thread, after
 * each queued event. Caller closes with conv_sub_close(). */
struct conv_sub *conv_events_subscribe(struct conv_events *h, const char *conv_id,
				       conv_events_notify_fn notify, void *ud);
/* Queues an event for this subscriber only (replay of a stored turn). */
void conv_sub_push(struct conv_sub *s, const char *type, int64_t id, const char *data);
/* Ends replay mode: live events held meanwhile follow, minus those already
 * replayed. */
void conv_sub_replay_done(struct conv_sub *s);
/* Moves at most max bytes of queued SSE text to buf. Returns the count, 0
 * when the queue is empty, -1 when the subscriber fell too far behind (its
 * queue overflowed) and the stream should end. */
long conv_sub_read(struct conv_sub *s, char *buf, size_t max);
/* Unsubscribes and frees. After it returns, notify is never called again. */
void conv_sub_close(struct conv_sub *s);

/* Number of open subscriptions (for /metrics). */
size_t conv_events_count(struct conv_events *h);

#endif
