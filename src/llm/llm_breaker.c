/* llm_breaker.c - the circuit breaker (see llm_breaker.h). */
#include "llm/llm_breaker.h"

void llm_breaker_init(struct llm_breaker *b, unsigned threshold, unsigned cooldown_ms)
{
	pthread_mutex_init(&b->mu, NULL);
	b->state = LLM_BREAKER_CLOSED;
	b->failures = 0;
	b->threshold = threshold ? threshold : 1;
	b->cooldown_ms = cooldown_ms;
	b->open_until = 0;
	b->trial_running = 0;
	b->opened = 0;
}

void llm_breaker_destroy(struct llm_breaker *b)
{
	pthread_mutex_destroy(&b->mu);
}

/* Caller holds b->mu. An open breaker whose cooldown is over is half-open. */
static void refresh(struct llm_breaker *b, uint64_t now_ms)
{
	if (b->state == LLM_BREAKER_OPEN && now_ms >= b->open_until) {
		b->state = LLM_BREAKER_HALF_OPEN;
		b->trial_running = 0;
	}
}

int llm_breaker_allow(struct llm_breaker *b, uint64_t now_ms)
{
	int ok;

	pthread_mutex_lock(&b->mu);
	refresh(b, now_ms);
	switch (b->state) {
	case LLM_BREAKER_CLOSED:
		ok = 1;
		break;
	case LLM_BREAKER_HALF_OPEN:
		ok = !b->trial_running;
		b->trial_running = 1;
		break;
	default:
		ok = 0;
		break;
	}
	pthread_mutex_unlock(&b->mu);
	return ok;
}

void llm_breaker_success(struct llm_breaker *b)
{
	pthread_mutex_lock(&b->mu);
	b->state = LLM_BREAKER_CLOSED;
	b->failures = 0;
	b->trial_running = 0;
	pthread_mutex_unlock(&b->mu);
}

void llm_breaker_failure(struct llm_breaker *b, uint64_t now_ms)
{
	pthread_mutex_lock(&b->mu);
	refresh(b, now_ms);
	b->failures++;
	if (b->state == LLM_BREAKER_HALF_OPEN || b->failures >= b->threshold) {
		if (b->state != LLM_BREAKER_OPEN)
			b->opened++;
		b->state = LLM_BREAKER_OPEN;
		b->open_until = now_ms + b->cooldown_ms;
		b->trial_running = 0;
	}
	pthread_mutex_unlock(&b->mu);
}

enum llm_breaker_state llm_breaker_state(struct llm_breaker *b, uint64_t now_ms)
{
	enum llm_breaker_state s;

	pthread_mutex_lock(&b->mu);
	refresh(b, now_ms);
	s = b->state;
	pthread_mutex_unlock(&b->mu);
	return s;
}

const char *llm_breaker_state_name(enum llm_breaker_state s)
{
	switch (s) {
	case LLM_BREAKER_CLOSED: return "closed";
	case LLM_BREAKER_OPEN: return "open";
	default: return "half_open";
	}
}
