/* workq.c - the worker pool (see workq.h): a FIFO under one mutex. */
#include "core/workq.h"

#include "core/mem.h"

#include <pthread.h>
#include <stdlib.h>

struct job {
	struct job *next;
	workq_fn fn;
	void *arg;
};

struct workq {
	pthread_mutex_t mu;
	pthread_cond_t cond;
	struct job *head, **tail;
	pthread_cond_t idle;
	int stopping;
	unsigned running;
	unsigned n;
	pthread_t *threads;
};

static void *worker_main(void *vq)
{
	struct workq *q = vq;

	for (;;) {
		struct job *j;

		pthread_mutex_lock(&q->mu);
		while (!q->head && !q->stopping)
			pthread_cond_wait(&q->cond, &q->mu);
		j = q->head;
		if (!j) { /* stopping and drained */
			pthread_mutex_unlock(&q->mu);
			return NULL;
		}
		q->head = j->next;
		if (!q->head)
			q->tail = &q->head;
		q->running++;
		pthread_mutex_unlock(&q->mu);
		j->fn(j->arg);
		free(j);
		pthread_mutex_lock(&q->mu);
		if (--q->running == 0 && !q->head)
			pthread_cond_broadcast(&q->idle);
		pthread_mutex_unlock(&q->mu);
	}
}

struct workq *workq_new(unsigned threads)
{
	struct workq *q = xcalloc(1, sizeof(*q));

	if (!threads)
		threads = 1;
	pthread_mutex_init(&q->mu, NULL);
	pthread_cond_init(&q->cond, NULL);
	pthread_cond_init(&q->idle, NULL);
	q->tail = &q->head;
	q->threads = xcalloc(threads, sizeof(pthread_t));
	for (unsigned i = 0; i < threads; i++)
		if (pthread_create(&q->threads[q->n], NULL, worker_main, q) == 0)
			q->n++;
	if (!q->n)
		abort(); /* no thread at all: nothing could ever finish */
	return q;
}

void workq_push(struct workq *q, workq_fn fn, void *arg)
{
	struct job *j = xcalloc(1, sizeof(*j));

	j->fn = fn;
	j->arg = arg;
	pthread_mutex_lock(&q->mu);
	*q->tail = j;
	q->tail = &j->next;
	pthread_cond_signal(&q->cond);
	pthread_mutex_unlock(&q->mu);
}

void workq_drain(struct workq *q)
{
	pthread_mutex_lock(&q->mu);
	while (q->head || q->running)
		pthread_cond_wait(&q->idle, &q->mu);
	pthread_mutex_unlock(&q->mu);
}

void workq_free(struct workq *q)
{
	if (!q)
		return;
	pthread_mutex_lock(&q->mu);
	q->stopping = 1;
	pthread_cond_broadcast(&q->cond);
	pthread_mutex_unlock(&q->mu);
	for (unsigned i = 0; i < q->n; i++)
		pthread_join(q->threads[i], NULL);
	pthread_mutex_destroy(&q->mu);
	pthread_cond_destroy(&q->cond);
	pthread_cond_destroy(&q->idle);
	free(q->threads);
	free(q);
}
