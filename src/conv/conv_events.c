/* conv_events.c - per-conversation event fan-out with bounded queues of
 * ready-made SSE text (see conv_events.h).
 *
 * Subscribers hang in 256 buckets keyed by a hash of the conversation id,
 * each bucket with its own lock. notify() runs under the bucket lock, which
 * is what makes "after conv_sub_close() returns, notify is never called"
 * true.
 */
#include "conv/conv_events.h"

#include "core/buf.h"
#include "core/mem.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BUCKETS 256
#define CONV_ID_MAX 64

/* An event held back while its subscriber replays stored turns. */
struct held {
	struct held *next;
	int64_t id;
	char *text; /* formatted SSE */
};

struct conv_sub {
	struct conv_events *hub;
	size_t bucket;
	char conv_id[CONV_ID_MAX + 1];
	conv_events_notify_fn notify;
	void *ud;
	pthread_mutex_t mu;  /* queue, held, high_id, flags */
	struct buf queue;    /* SSE text not yet read */
	size_t head;         /* bytes of queue already read */
	int64_t high_id;     /* highest event id queued */
	int replaying;
	int overflow;
	struct held *held, **held_tail;
	size_t held_bytes;
	struct conv_sub *prev, *next;
};

struct bucket {
	pthread_mutex_t mu;
	struct conv_sub *subs;
};

struct conv_events {
	struct bucket buckets[BUCKETS];
	atomic_size_t count;
};

static size_t bucket_of(const char *id)
{
	uint32_t h = 2166136261u;

	for (const unsigned char *p = (const unsigned char *)id; *p; p++)
		h = (h ^ *p) * 16777619u;
	return h % BUCKETS;
}

struct conv_events *conv_events_new(void)
{
	struct conv_events *h = xcalloc(1, sizeof(*h));

	for (size_t i = 0; i < BUCKETS; i++)
		pthread_mutex_init(&h->buckets[i].mu, NULL);
	atomic_init(&h->count, 0);
	return h;
}

void conv_events_free(struct conv_events *h)
{
	if (!h)
		return;
	for (size_t i = 0; i < BUCKETS; i++)
		pthread_mutex_destroy(&h->buckets[i].mu);
	free(h);
}

/* "event: T\nid: N\ndata: ...\n\n"; a data text with newlines becomes
 * several data lines, as SSE requires. */
static void format_event(struct buf *out, const char *type, int64_t id, const char *data)
{
	buf_addf(out, "event: %s\n", type);
	if (id > 0)
		buf_addf(out, "id: %lld\n", (long long)id);
	for (;;) {
		size_t n = strcspn(data, "\r\n");

		buf_adds(out, "data: ");
		buf_add(out, data, n);
		buf_addc(out, '\n');
		data += n;
		if (!*data)
			break;
		data += (data[0] == '\r' && data[1] == '\n') ? 2 : 1;
	}
	buf_addc(out, '\n');
}

/* Caller holds s->mu. Appends ready SSE text unless it is a repeat. */
static void enqueue(struct conv_sub *s, int64_t id, const char *text, size_t len)
{
	if (s->overflow)
		return;
	if (id > 0) {
		if (id <= s->high_id)
			return;
		s->high_id = id;
	}
	if (s->head && s->queue.len + len > CONV_EVENTS_QUEUE_MAX) {
		/* drop what was read already before deciding it does not fit */
		size_t rest = s->queue.len - s->head;

		memmove(s->queue.ptr, s->queue.ptr + s->head, rest);
		buf_truncate(&s->queue, rest);
		s->head = 0;
	}
	if (buf_add(&s->queue, text, len))
		s->overflow = 1;
}

static void hold(struct conv_sub *s, int64_t id, const char *text, size_t len)
{
	struct held *h;

	if (s->held_bytes + len > CONV_EVENTS_QUEUE_MAX) {
		s->overflow = 1;
		return;
	}
	h = xcalloc(1, sizeof(*h));
	h->id = id;
	h->text = xstrndup(text, len);
	*s->held_tail = h;
	s->held_tail = &h->next;
	s->held_bytes += len;
}

void conv_events_publish(struct conv_events *h, const char *conv_id, const char *type,
			 int64_t id, const char *data)
{
	size_t b = bucket_of(conv_id);
	struct bucket *bk = &h->buckets[b];
	struct buf text;
	int formatted = 0;

	buf_init(&text, CONV_EVENTS_QUEUE_MAX);
	pthread_mutex_lock(&bk->mu);
	for (struct conv_sub *s = bk->subs; s; s = s->next) {
		if (strcmp(s->conv_id, conv_id))
			continue;
		if (!formatted) {
			format_event(&text, type, id, data);
			formatted = 1;
		}
		pthread_mutex_lock(&s->mu);
		if (s->replaying)
			hold(s, id, text.ptr, text.len);
		else
			enqueue(s, id, text.ptr, text.len);
		pthread_mutex_unlock(&s->mu);
		if (s->notify)
			s->notify(s->ud);
	}
	pthread_mutex_unlock(&bk->mu);
	buf_release(&text);
}

struct conv_sub *conv_events_subscribe(struct conv_events *h, const char *conv_id,
				       conv_events_notify_fn notify, void *ud)
{
	struct conv_sub *s = xcalloc(1, sizeof(*s));
	struct bucket *bk;

	s->hub = h;
	snprintf(s->conv_id, sizeof(s->conv_id), "%s", conv_id);
	s->bucket = bucket_of(s->conv_id);
	s->notify = notify;
	s->ud = ud;
	s->replaying = 1;
	s->held_tail = &s->held;
	pthread_mutex_init(&s->mu, NULL);
	buf_init(&s->queue, CONV_EVENTS_QUEUE_MAX);
	bk = &h->buckets[s->bucket];
	pthread_mutex_lock(&bk->mu);
	s->next = bk->subs;
	if (bk->subs)
		bk->subs->prev = s;
	bk->subs = s;
	pthread_mutex_unlock(&bk->mu);
	atomic_fetch_add(&h->count, 1);
	return s;
}

void conv_sub_push(struct conv_sub *s, const char *type, int64_t id, const char *data)
{
	struct buf text;

	buf_init(&text, CONV_EVENTS_QUEUE_MAX);
	format_event(&text, type, id, data);
	pthread_mutex_lock(&s->mu);
	enqueue(s, id, text.ptr, text.len);
	pthread_mutex_unlock(&s->mu);
	buf_release(&text);
}

void conv_sub_replay_done(struct conv_sub *s)
{
	struct held *h, *next;

	pthread_mutex_lock(&s->mu);
	for (h = s->held; h; h = next) {
		next = h->next;
		enqueue(s, h->id, h->text, strlen(h->text));
		free(h->text);
		free(h);
	}
	s->held = NULL;
	s->held_tail = &s->held;
	s->held_bytes = 0;
	s->replaying = 0;
	pthread_mutex_unlock(&s->mu);
}

long conv_sub_read(struct conv_sub *s, char *buf, size_t max)
{
	size_t avail, n;

	pthread_mutex_lock(&s->mu);
	avail = s->queue.len - s->head;
	if (!avail && s->overflow) {
		pthread_mutex_unlock(&s->mu);
		return -1;
	}
	n = avail < max ? avail : max;
	memcpy(buf, s->queue.ptr + s->head, n);
	s->head += n;
	if (s->head == s->queue.len) {
		buf_reset(&s->queue);
		s->head = 0;
	}
	pthread_mutex_unlock(&s->mu);
	return (long)n;
}

void conv_sub_close(struct conv_sub *s)
{
	struct bucket *bk;
	struct held *h, *next;

	if (!s)
		return;
	bk = &s->hub->buckets[s->bucket];
	pthread_mutex_lock(&bk->mu);
	if (s->prev)
		s->prev->next = s->next;
	else
		bk->subs = s->next;
	if (s->next)
		s->next->prev = s->prev;
	pthread_mutex_unlock(&bk->mu);
	atomic_fetch_sub(&s->hub->count, 1);
	for (h = s->held; h; h = next) {
		next = h->next;
		free(h->text);
		free(h);
	}
	buf_release(&s->queue);
	pthread_mutex_destroy(&s->mu);
	free(s);
}

size_t conv_events_count(struct conv_events *h)
{
	return atomic_load(&h->count);
}
