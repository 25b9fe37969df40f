/* workq.h - a small pool of worker threads running queued jobs in order of
 * arrival. The language-model client hands finished answers here, so the
 * check and the database write never hold up the tokens of other streams.
 */
#ifndef LK_WORKQ_H
#define LK_WORKQ_H

#include <stddef.h>

struct workq;

typedef void (*workq_fn)(void *arg);

/* Starts `threads` workers (at least 1). Caller frees with workq_free(),
 * which runs every job still queued before it returns. */
struct workq *workq_new(unsigned threads);
void workq_free(struct workq *q);

/* Waits until no job is queued or running. Jobs may queue more jobs. */
void workq_drain(struct workq *q);

/* Queues fn(arg); any thread. Never fails (out of memory is fatal). */
void workq_push(struct workq *q, workq_fn fn, void *arg);

#endif
