/* test_llm_breaker.c - unit tests for the circuit breaker of the LLM client
 * (src/llm/llm_breaker): closed -> open after N failures in a row -> half-open
 * after the cooldown with exactly one trial -> closed or open again. Time is
 * passed in, so nothing here sleeps. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <pthread.h>
#include <string.h>

#include "llm/llm_breaker.h"

#define T0 1000000u /* an arbitrary monotonic start time (ms) */

/* Opens b (threshold 3) at time `now` with three failures. */
static void open_it(struct llm_breaker *b, uint64_t now)
{
	for (int i = 0; i < 3; i++) {
		assert_int_equal(llm_breaker_allow(b, now), 1);
		llm_breaker_failure(b, now);
	}
	assert_int_equal(llm_breaker_state(b, now), LLM_BREAKER_OPEN);
}

static void test_opens_after_n_failures(void **state)
{
	struct llm_breaker b;

	llm_breaker_init(&b, 3, 500);
	assert_int_equal(llm_breaker_state(&b, T0), LLM_BREAKER_CLOSED);
	assert_int_equal(llm_breaker_allow(&b, T0), 1);
	llm_breaker_failure(&b, T0);
	assert_int_equal(llm_breaker_state(&b, T0), LLM_BREAKER_CLOSED);
	assert_int_equal(llm_breaker_allow(&b, T0 + 1), 1);
	llm_breaker_failure(&b, T0 + 1);
	assert_int_equal(llm_breaker_state(&b, T0 + 1), LLM_BREAKER_CLOSED);
	assert_int_equal(b.opened, 0);
	assert_int_equal(llm_breaker_allow(&b, T0 + 2), 1);
	llm_breaker_failure(&b, T0 + 2);
	assert_int_equal(llm_breaker_state(&b, T0 + 2), LLM_BREAKER_OPEN);
	assert_int_equal(b.opened, 1);
	llm_breaker_destroy(&b);
}

static void test_success_resets_the_count(void **state)
{
	struct llm_breaker b;

	llm_breaker_init(&b, 3, 500);
	llm_breaker_failure(&b, T0);
	llm_breaker_failure(&b, T0);
	llm_breaker_success(&b);
	llm_breaker_failure(&b, T0);
	llm_breaker_failure(&b, T0);
	/* two in a row, not four: still closed */
	assert_int_equal(llm_breaker_state(&b, T0), LLM_BREAKER_CLOSED);
	assert_int_equal(llm_breaker_allow(&b, T0), 1);
	llm_breaker_failure(&b, T0);
	assert_int_equal(llm_breaker_state(&b, T0), LLM_BREAKER_OPEN);
	llm_breaker_destroy(&b);
}

static void test_refuses_while_open(void **state)
{
	struct llm_breaker b;

	llm_breaker_init(&b, 3, 500);
	open_it(&b, T0);
	assert_int_equal(llm_breaker_allow(&b, T0), 0);
	assert_int_equal(llm_breaker_allow(&b, T0 + 250), 0);
	assert_int_equal(llm_breaker_allow(&b, T0 + 499), 0);
	assert_int_equal(llm_breaker_state(&b, T0 + 499), LLM_BREAKER_OPEN);
	/* more failures while open (calls that were already running) do not
	 * count as another opening */
	llm_breaker_failure(&b, T0 + 100);
	assert_int_equal(b.opened, 1);
	llm_breaker_destroy(&b);
}

static void test_half_open_lets_one_trial_through(void **state)
{
	struct llm_breaker b;

	llm_breaker_init(&b, 3, 500);
	open_it(&b, T0);
	assert_int_equal(llm_breaker_state(&b, T0 + 500), LLM_BREAKER_HALF_OPEN);
	assert_int_equal(llm_breaker_allow(&b, T0 + 500), 1);
	assert_int_equal(llm_breaker_allow(&b, T0 + 501), 0);
	assert_int_equal(llm_breaker_allow(&b, T0 + 10000), 0);
	assert_int_equal(llm_breaker_state(&b, T0 + 10000), LLM_BREAKER_HALF_OPEN);
	llm_breaker_destroy(&b);
}

static void test_success_in_half_open_closes(void **state)
{
	struct llm_breaker b;

	llm_breaker_init(&b, 3, 500);
	open_it(&b, T0);
	assert_int_equal(llm_breaker_allow(&b, T0 + 600), 1);
	llm_breaker_success(&b);
	assert_int_equal(llm_breaker_state(&b, T0 + 600), LLM_BREAKER_CLOSED);
	for (int i = 0; i < 5; i++)
		assert_int_equal(llm_breaker_allow(&b, T0 + 600), 1);
	/* the count starts again from zero */
	llm_breaker_failure(&b, T0 + 601);
	llm_breaker_failure(&b, T0 + 601);
	assert_int_equal(llm_breaker_state(&b, T0 + 601), LLM_BREAKER_CLOSED);
	assert_int_equal(b.opened, 1);
	llm_breaker_destroy(&b);
}

static void test_failure_in_half_open_reopens(void **state)
{
	struct llm_breaker b;
	uint64_t t = T0 + 700;

	llm_breaker_init(&b, 3, 500);
	open_it(&b, T0);
	assert_int_equal(llm_breaker_allow(&b, t), 1);
	llm_breaker_failure(&b, t); /* one failure is enough in half-open */
	assert_int_equal(llm_breaker_state(&b, t), LLM_BREAKER_OPEN);
	assert_int_equal(b.opened, 2);
	/* a whole new cooldown from the trial's failure */
	assert_int_equal(llm_breaker_allow(&b, t + 499), 0);
	assert_int_equal(llm_breaker_state(&b, t + 500), LLM_BREAKER_HALF_OPEN);
	assert_int_equal(llm_breaker_allow(&b, t + 500), 1);
	assert_int_equal(llm_breaker_allow(&b, t + 500), 0);
	llm_breaker_success(&b);
	assert_int_equal(llm_breaker_state(&b, t + 500), LLM_BREAKER_CLOSED);
	llm_breaker_destroy(&b);
}

static void test_threshold_zero_means_one(void **state)
{
	struct llm_breaker b;

	llm_breaker_init(&b, 0, 100);
	assert_int_equal(llm_breaker_allow(&b, T0), 1);
	llm_breaker_failure(&b, T0);
	assert_int_equal(llm_breaker_state(&b, T0), LLM_BREAKER_OPEN);
	assert_int_equal(llm_breaker_allow(&b, T0 + 50), 0);
	llm_breaker_destroy(&b);
}

struct race {
	struct llm_breaker *b;
	uint64_t now;
	int allowed;
};

static void *try_allow(void *arg)
{
	struct race *r = arg;

	r->allowed = llm_breaker_allow(r->b, r->now);
	return NULL;
}

/* Many threads ask at once in half-open: exactly one gets the trial. */
static void test_half_open_one_trial_across_threads(void **state)
{
	enum { N = 8 };
	struct llm_breaker b;
	pthread_t th[N];
	struct race r[N];
	int allowed = 0;

	llm_breaker_init(&b, 3, 500);
	open_it(&b, T0);
	for (int i = 0; i < N; i++) {
		r[i].b = &b;
		r[i].now = T0 + 1000;
		r[i].allowed = -1;
		assert_int_equal(pthread_create(&th[i], NULL, try_allow, &r[i]), 0);
	}
	for (int i = 0; i < N; i++) {
		pthread_join(th[i], NULL);
		assert_true(r[i].allowed == 0 || r[i].allowed == 1);
		allowed += r[i].allowed;
	}
	assert_int_equal(allowed, 1);
	llm_breaker_destroy(&b);
}

static void test_state_names(void **state)
{
	assert_string_equal(llm_breaker_state_name(LLM_BREAKER_CLOSED), "closed");
	assert_string_equal(llm_breaker_state_name(LLM_BREAKER_OPEN), "open");
	assert_string_equal(llm_breaker_state_name(LLM_BREAKER_HALF_OPEN), "half_open");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_opens_after_n_failures),
		cmocka_unit_test(test_success_resets_the_count),
		cmocka_unit_test(test_refuses_while_open),
		cmocka_unit_test(test_half_open_lets_one_trial_through),
		cmocka_unit_test(test_success_in_half_open_closes),
		cmocka_unit_test(test_failure_in_half_open_reopens),
		cmocka_unit_test(test_threshold_zero_means_one),
		cmocka_unit_test(test_half_open_one_trial_across_threads),
		cmocka_unit_test(test_state_names),
	};

	return cmocka_run_group_tests_name("llm/llm_breaker", tests, NULL, NULL);
}
