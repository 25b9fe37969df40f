/* llm_breaker.h - a circuit breaker for one backend: after `failures`
 * failures in a row it opens and refuses calls at once for `cooldown_ms`;
 * then it lets one trial call through (half-open): success closes it,
 * failure opens it again. So a dead model costs users nothing but the
 * extractive answer, and a recovered one is noticed within one cooldown.
 * Thread-safe.
 */
#ifndef LK_LLM_BREAKER_H
#define LK_LLM_BREAKER_H

#include <pthread.h>
#include <stdint.h>

enum llm_breaker_state { LLM_BREAKER_CLOSED, LLM_BREAKER_OPEN, LLM_BREAKER_HALF_OPEN };

struct llm_breaker {
	pthread_mutex_t mu;
	enum llm_breaker_state state;
	unsigned failures;     /* in a row */
	unsigned threshold;
	uint64_t cooldown_ms;
	uint64_t open_until;   /* monotonic ms */
	int trial_running;
	uint64_t opened;       /* times it opened (metrics) */
};

void llm_breaker_init(struct llm_breaker *b, unsigned threshold, unsigned cooldown_ms);
void llm_breaker_destroy(struct llm_breaker *b);
/* 1: the call may go ahead (and must report its outcome); 0: refused. */
int llm_breaker_allow(struct llm_breaker *b, uint64_t now_ms);
void llm_breaker_success(struct llm_breaker *b);
void llm_breaker_failure(struct llm_breaker *b, uint64_t now_ms);
enum llm_breaker_state llm_breaker_state(struct llm_breaker *b, uint64_t now_ms);
const char *llm_breaker_state_name(enum llm_breaker_state s);

#endif
