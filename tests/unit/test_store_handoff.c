/* test_store_handoff.c - unit tests for the human handoff part of the store
 * (SQLite): handoffs (open, claim, claim_next with a thread race, assign,
 * requeue, close, position, list, stale), agents, sessions, the audit trail,
 * tickets, erasing a conversation and the channel-link reverse lookup.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/mem.h"
#include "store/store.h"

#define BOT "gemeente-demo"
#define T0 ((int64_t)1772434800000) /* 2 March 2026 07:00 UTC, in ms */

struct fixture {
	char path[64];
	struct store *st;
};

static int setup_file(void **state)
{
	struct fixture *f = xcalloc(1, sizeof(*f));
	char url[96];
	int fd;

	snprintf(f->path, sizeof(f->path), "/tmp/loket-test-handoff-XXXXXX");
	fd = mkstemp(f->path);
	assert_true(fd >= 0);
	close(fd);
	snprintf(url, sizeof(url), "sqlite:%s", f->path);
	assert_int_equal(store_open(&f->st, url, NULL), 0);
	*state = f;
	return 0;
}

static int setup_mem(void **state)
{
	struct fixture *f = xcalloc(1, sizeof(*f));

	assert_int_equal(store_open(&f->st, "sqlite::memory:", NULL), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char side[96];

	store_close(f->st);
	if (f->path[0]) {
		unlink(f->path);
		snprintf(side, sizeof(side), "%s-wal", f->path);
		unlink(side);
		snprintf(side, sizeof(side), "%s-shm", f->path);
		unlink(side);
	}
	free(f);
	return 0;
}

static void conv_id(int i, char out[STORE_ID_LEN + 1])
{
	snprintf(out, STORE_ID_LEN + 1, "%032x", i);
}

/* Opens a waiting handoff of conversation i for team at requested_ms. */
static int64_t open_waiting(struct store *st, int i, const char *team, int64_t requested_ms)
{
	struct store_handoff h;
	struct lk_err err = {0};

	memset(&h, 0, sizeof(h));
	conv_id(i, h.conv_id);
	snprintf(h.team, sizeof(h.team), "%s", team);
	snprintf(h.status, sizeof(h.status), "waiting");
	snprintf(h.reason, sizeof(h.reason), "asked");
	h.requested_ms = requested_ms;
	if (store_handoff_open(st, BOT, &h, &err))
		fail_msg("open handoff %d: %s", i, err.msg);
	assert_true(h.id > 0);
	return h.id;
}

static void add_agent(struct store *st, const char *id, const char *username, const char *teams,
		      int64_t last_seen_ms)
{
	struct store_agent a;
	struct lk_err err = {0};

	memset(&a, 0, sizeof(a));
	snprintf(a.id, sizeof(a.id), "%s", id);
	snprintf(a.username, sizeof(a.username), "%s", username);
	snprintf(a.name, sizeof(a.name), "Agent %s", username);
	snprintf(a.role, sizeof(a.role), "agent");
	a.teams = (char *)teams;
	a.pw_hash = (char *)"$argon2id$v=19$m=65536,t=3,p=1$c2FsdA$aGFzaA";
	a.created_ms = T0;
	a.last_seen_ms = last_seen_ms;
	if (store_agent_add(st, BOT, &a, &err))
		fail_msg("add agent %s: %s", id, err.msg);
}

static void test_open_active_unique(void **state)
{
	struct fixture *f = *state;
	struct store_handoff h, got;
	char c1[STORE_ID_LEN + 1];
	int64_t id;

	conv_id(1, c1);
	assert_int_equal(store_handoff_active(f->st, BOT, c1, &got, NULL), LK_ENOTFOUND);
	assert_int_equal(store_handoff_latest(f->st, BOT, c1, &got, NULL), LK_ENOTFOUND);
	id = open_waiting(f->st, 1, "burgerzaken", T0);

	/* A second active handoff for the same conversation is refused. */
	memset(&h, 0, sizeof(h));
	snprintf(h.conv_id, sizeof(h.conv_id), "%s", c1);
	snprintf(h.team, sizeof(h.team), "zorg");
	snprintf(h.status, sizeof(h.status), "waiting");
	h.requested_ms = T0 + 5;
	assert_int_equal(store_handoff_open(f->st, BOT, &h, NULL), LK_EEXIST);
	/* ... but another bot's is its own. */
	assert_int_equal(store_handoff_open(f->st, "other-bot", &h, NULL), 0);
	/* A bad status is refused before the store. */
	snprintf(h.status, sizeof(h.status), "assigned");
	assert_int_equal(store_handoff_open(f->st, BOT, &h, NULL), LK_EINVAL);

	assert_int_equal(store_handoff_active(f->st, BOT, c1, &got, NULL), 0);
	assert_int_equal(got.id, id);
	assert_string_equal(got.team, "burgerzaken");
	assert_string_equal(got.status, "waiting");
	assert_string_equal(got.reason, "asked");
	assert_string_equal(got.agent, "");
	assert_int_equal(got.requested_ms, T0);
	assert_null(got.summary);
	store_handoff_release(&got);

	/* A closed after-hours record does not block a new active one. */
	memset(&h, 0, sizeof(h));
	conv_id(2, h.conv_id);
	snprintf(h.team, sizeof(h.team), "zorg");
	snprintf(h.status, sizeof(h.status), "closed");
	snprintf(h.reason, sizeof(h.reason), "after_hours");
	snprintf(h.outcome, sizeof(h.outcome), "after_hours");
	h.requested_ms = T0;
	h.data = (char *)"{\"flow\":\"afspraak\"}";
	assert_int_equal(store_handoff_open(f->st, BOT, &h, NULL), 0);
	assert_int_equal(store_handoff_active(f->st, BOT, h.conv_id, &got, NULL), LK_ENOTFOUND);
	assert_int_equal(store_handoff_latest(f->st, BOT, h.conv_id, &got, NULL), 0);
	assert_string_equal(got.status, "closed");
	assert_string_equal(got.outcome, "after_hours");
	assert_int_equal(got.closed_ms, T0);
	assert_string_equal(got.data, "{\"flow\":\"afspraak\"}");
	store_handoff_release(&got);
	open_waiting(f->st, 2, "zorg", T0 + 10);
	assert_int_equal(store_handoff_latest(f->st, BOT, h.conv_id, &got, NULL), 0);
	assert_string_equal(got.status, "waiting");
	store_handoff_release(&got);
}

static void test_claim(void **state)
{
	struct fixture *f = *state;
	struct store_handoff got;
	struct lk_err err = {0};
	char c1[STORE_ID_LEN + 1], c9[STORE_ID_LEN + 1];

	conv_id(1, c1);
	conv_id(9, c9);
	open_waiting(f->st, 1, "burgerzaken", T0);
	/* Wrong team: forbidden, and it stays waiting. */
	assert_int_equal(store_handoff_claim(f->st, BOT, c1, "a2", "[\"zorg\"]", T0 + 1, NULL,
					     &err), LK_EPERM);
	assert_int_equal(store_handoff_claim(f->st, BOT, c1, "a1", "[\"zorg\",\"burgerzaken\"]",
					     T0 + 2, &got, NULL), 0);
	assert_string_equal(got.status, "assigned");
	assert_string_equal(got.agent, "a1");
	assert_int_equal(got.claimed_ms, T0 + 2);
	store_handoff_release(&got);
	/* The second claim loses. */
	assert_int_equal(store_handoff_claim(f->st, BOT, c1, "a2", NULL, T0 + 3, &got, NULL),
			 LK_EBUSY);
	assert_int_equal(store_handoff_claim(f->st, BOT, c9, "a2", NULL, T0 + 3, NULL, NULL),
			 LK_ENOTFOUND);
	/* Malformed teams are refused. */
	assert_int_equal(store_handoff_claim(f->st, BOT, c1, "a2", "zorg", T0, NULL, NULL),
			 LK_EINVAL);
	assert_int_equal(store_handoff_claim(f->st, BOT, c1, "a2", "[1]", T0, NULL, NULL),
			 LK_EINVAL);
	assert_int_equal(store_handoff_active(f->st, BOT, c1, &got, NULL), 0);
	assert_string_equal(got.agent, "a1");
	store_handoff_release(&got);
}

static void test_claim_next_order(void **state)
{
	struct fixture *f = *state;
	struct store_handoff got;
	int64_t a, b, c, d;

	/* Same requested_ms: the lower id first. */
	b = open_waiting(f->st, 2, "burgerzaken", T0 + 100);
	a = open_waiting(f->st, 1, "burgerzaken", T0 + 50);
	c = open_waiting(f->st, 3, "burgerzaken", T0 + 100);
	d = open_waiting(f->st, 4, "zorg", T0);

	assert_int_equal(store_handoff_claim_next(f->st, BOT, "a1", "[\"burgerzaken\"]", T0 + 200,
						  &got, NULL), 0);
	assert_int_equal(got.id, a);
	store_handoff_release(&got);
	assert_int_equal(store_handoff_claim_next(f->st, BOT, "a1", "[\"burgerzaken\"]", T0 + 200,
						  &got, NULL), 0);
	assert_int_equal(got.id, b);
	store_handoff_release(&got);
	/* Every team (NULL): the zorg one is oldest. */
	assert_int_equal(store_handoff_claim_next(f->st, BOT, "a2", NULL, T0 + 200, &got, NULL),
			 0);
	assert_int_equal(got.id, d);
	assert_string_equal(got.agent, "a2");
	store_handoff_release(&got);
	assert_int_equal(store_handoff_claim_next(f->st, BOT, "a1", "[\"zorg\"]", T0 + 200, &got,
						  NULL), LK_ENOTFOUND);
	assert_int_equal(store_handoff_claim_next(f->st, BOT, "a1", "[]", T0 + 200, &got, NULL),
			 LK_ENOTFOUND);
	assert_int_equal(store_handoff_claim_next(f->st, BOT, "a1", "[\"burgerzaken\"]", T0 + 200,
						  &got, NULL), 0);
	assert_int_equal(got.id, c);
	store_handoff_release(&got);
	assert_int_equal(store_handoff_claim_next(f->st, BOT, "a1", NULL, T0 + 200, NULL, NULL),
			 LK_ENOTFOUND);
}

#define RACE_THREADS 8
#define RACE_HANDOFFS 200

struct racer {
	struct store *st;
	char agent[16];
	int64_t ids[RACE_HANDOFFS];
	size_t n;
	int failed;
};

static void *race(void *arg)
{
	struct racer *r = arg;

	for (;;) {
		struct store_handoff h;
		struct lk_err err = {0};
		int rc = store_handoff_claim_next(r->st, BOT, r->agent, "[\"burgerzaken\"]",
						  T0 + 1000, &h, &err);

		if (rc == LK_ENOTFOUND)
			break;
		if (rc || r->n >= RACE_HANDOFFS || strcmp(h.agent, r->agent)) {
			r->failed = 1;
			if (!rc)
				store_handoff_release(&h);
			break;
		}
		r->ids[r->n++] = h.id;
		store_handoff_release(&h);
	}
	return NULL;
}

static void test_claim_next_race(void **state)
{
	struct fixture *f = *state;
	struct racer *r = xcalloc(RACE_THREADS, sizeof(*r));
	pthread_t th[RACE_THREADS];
	int64_t first = 0, id;
	char *seen;
	size_t total = 0;
	struct store_handoffs left;

	for (int i = 0; i < RACE_HANDOFFS; i++) {
		id = open_waiting(f->st, 1000 + i, "burgerzaken", T0 + i % 7);
		if (!first)
			first = id;
	}
	for (int t = 0; t < RACE_THREADS; t++) {
		r[t].st = f->st;
		snprintf(r[t].agent, sizeof(r[t].agent), "agent-%d", t);
		assert_int_equal(pthread_create(&th[t], NULL, race, &r[t]), 0);
	}
	for (int t = 0; t < RACE_THREADS; t++)
		pthread_join(th[t], NULL);
	seen = xcalloc(RACE_HANDOFFS, 1);
	for (int t = 0; t < RACE_THREADS; t++) {
		assert_false(r[t].failed);
		for (size_t k = 0; k < r[t].n; k++) {
			int64_t idx = r[t].ids[k] - first;

			assert_true(idx >= 0 && idx < RACE_HANDOFFS);
			assert_int_equal(seen[idx], 0); /* claimed exactly once */
			seen[idx] = 1;
			total++;
		}
	}
	assert_int_equal(total, RACE_HANDOFFS);
	assert_int_equal(store_handoff_list(f->st, BOT, "waiting", NULL, NULL, 10000, &left, NULL),
			 0);
	assert_int_equal(left.n, 0);
	store_handoffs_release(&left);
	assert_int_equal(store_handoff_list(f->st, BOT, "assigned", NULL, NULL, 10000, &left, NULL),
			 0);
	assert_int_equal(left.n, RACE_HANDOFFS);
	store_handoffs_release(&left);
	free(seen);
	free(r);
}

#define CLAIM_CONVS 50

struct claimer {
	struct store *st;
	char agent[16];
	int won[CLAIM_CONVS];
	int other; /* results other than 0 and LK_EBUSY */
};

static void *claim_all(void *arg)
{
	struct claimer *r = arg;

	for (int i = 0; i < CLAIM_CONVS; i++) {
		char id[STORE_ID_LEN + 1];
		int rc;

		conv_id(2000 + i, id);
		rc = store_handoff_claim(r->st, BOT, id, r->agent, "[\"burgerzaken\"]", T0 + 1, NULL,
					 NULL);
		if (!rc)
			r->won[i] = 1;
		else if (rc != LK_EBUSY)
			r->other++;
	}
	return NULL;
}

/* Many agents click "claim" on the same conversations: one wins each. */
static void test_claim_race(void **state)
{
	struct fixture *f = *state;
	struct claimer *r = xcalloc(RACE_THREADS, sizeof(*r));
	pthread_t th[RACE_THREADS];

	for (int i = 0; i < CLAIM_CONVS; i++)
		open_waiting(f->st, 2000 + i, "burgerzaken", T0);
	for (int t = 0; t < RACE_THREADS; t++) {
		r[t].st = f->st;
		snprintf(r[t].agent, sizeof(r[t].agent), "agent-%d", t);
		assert_int_equal(pthread_create(&th[t], NULL, claim_all, &r[t]), 0);
	}
	for (int t = 0; t < RACE_THREADS; t++)
		pthread_join(th[t], NULL);
	for (int i = 0; i < CLAIM_CONVS; i++) {
		struct store_handoff h;
		char id[STORE_ID_LEN + 1];
		int winners = 0, winner = -1;

		for (int t = 0; t < RACE_THREADS; t++) {
			winners += r[t].won[i];
			if (r[t].won[i])
				winner = t;
		}
		assert_int_equal(winners, 1);
		conv_id(2000 + i, id);
		assert_int_equal(store_handoff_active(f->st, BOT, id, &h, NULL), 0);
		assert_string_equal(h.agent, r[winner].agent);
		store_handoff_release(&h);
	}
	for (int t = 0; t < RACE_THREADS; t++)
		assert_int_equal(r[t].other, 0);
	free(r);
}

static void test_assign_requeue_close(void **state)
{
	struct fixture *f = *state;
	struct store_handoff got;
	char c1[STORE_ID_LEN + 1], c9[STORE_ID_LEN + 1];
	int64_t pos;

	conv_id(1, c1);
	conv_id(9, c9);
	open_waiting(f->st, 1, "burgerzaken", T0);
	assert_int_equal(store_handoff_assign(f->st, BOT, c9, "a1", T0, NULL, NULL), LK_ENOTFOUND);
	assert_int_equal(store_handoff_assign(f->st, BOT, c1, "a1", T0 + 10, NULL, NULL), 0);
	/* A supervisor may take it from a1 for a2. */
	assert_int_equal(store_handoff_assign(f->st, BOT, c1, "a2", T0 + 20, &got, NULL), 0);
	assert_string_equal(got.agent, "a2");
	assert_string_equal(got.status, "assigned");
	store_handoff_release(&got);

	/* Only the holder may requeue it. */
	assert_int_equal(store_handoff_requeue(f->st, BOT, c1, "a1", NULL, NULL, NULL), LK_EBUSY);
	assert_int_equal(store_handoff_requeue(f->st, BOT, c1, "a2", NULL, &got, NULL), 0);
	assert_string_equal(got.status, "waiting");
	assert_string_equal(got.agent, "");
	assert_string_equal(got.team, "burgerzaken");
	assert_int_equal(got.requested_ms, T0); /* keeps their place */
	store_handoff_release(&got);
	/* Waiting: a holder-checked requeue fails; an unchecked one moves team. */
	assert_int_equal(store_handoff_requeue(f->st, BOT, c1, "a2", NULL, NULL, NULL), LK_EBUSY);
	assert_int_equal(store_handoff_requeue(f->st, BOT, c1, NULL, "zorg", &got, NULL), 0);
	assert_string_equal(got.team, "zorg");
	assert_int_equal(got.requested_ms, T0);
	store_handoff_release(&got);
	assert_int_equal(store_handoff_requeue(f->st, BOT, c9, NULL, NULL, NULL, NULL),
			 LK_ENOTFOUND);

	assert_int_equal(store_handoff_claim(f->st, BOT, c1, "a3", "[\"zorg\"]", T0 + 30, NULL,
					     NULL), 0);
	assert_int_equal(store_handoff_close(f->st, BOT, c1, "a1", "closed", NULL, T0 + 40, NULL,
					     NULL), LK_EBUSY);
	assert_int_equal(store_handoff_close(f->st, BOT, c1, "a3", "closed", "Paspoort aangevraagd.",
					     T0 + 50, &got, NULL), 0);
	assert_string_equal(got.status, "closed");
	assert_string_equal(got.outcome, "closed");
	assert_string_equal(got.summary, "Paspoort aangevraagd.");
	assert_string_equal(got.agent, "a3");
	assert_int_equal(got.closed_ms, T0 + 50);
	store_handoff_release(&got);
	assert_int_equal(store_handoff_close(f->st, BOT, c1, NULL, "cancelled", NULL, T0 + 60, NULL,
					     NULL), LK_ENOTFOUND);
	assert_int_equal(store_handoff_position(f->st, BOT, c1, &pos, NULL), 0);
	assert_int_equal(pos, 0);
	/* A new handoff may start after closing; a waiting one can be cancelled. */
	open_waiting(f->st, 1, "burgerzaken", T0 + 70);
	assert_int_equal(store_handoff_close(f->st, BOT, c1, NULL, "cancelled", NULL, T0 + 80, NULL,
					     NULL), 0);
	assert_int_equal(store_handoff_latest(f->st, BOT, c1, &got, NULL), 0);
	assert_string_equal(got.outcome, "cancelled");
	assert_int_equal(got.requested_ms, T0 + 70);
	store_handoff_release(&got);
}

static void test_position_and_list(void **state)
{
	struct fixture *f = *state;
	struct store_handoffs l;
	char c[6][STORE_ID_LEN + 1];
	int64_t pos;

	for (int i = 0; i < 6; i++)
		conv_id(i + 1, c[i]);
	open_waiting(f->st, 1, "burgerzaken", T0 + 30);
	open_waiting(f->st, 2, "burgerzaken", T0 + 10);
	open_waiting(f->st, 3, "zorg", T0 + 5);
	open_waiting(f->st, 4, "burgerzaken", T0 + 10);
	open_waiting(f->st, 5, "burgerzaken", T0 + 40);
	assert_int_equal(store_handoff_claim(f->st, BOT, c[4], "a1", NULL, T0 + 50, NULL, NULL), 0);

	assert_int_equal(store_handoff_position(f->st, BOT, c[1], &pos, NULL), 0);
	assert_int_equal(pos, 1);
	assert_int_equal(store_handoff_position(f->st, BOT, c[3], &pos, NULL), 0);
	assert_int_equal(pos, 2);
	assert_int_equal(store_handoff_position(f->st, BOT, c[0], &pos, NULL), 0);
	assert_int_equal(pos, 3);
	assert_int_equal(store_handoff_position(f->st, BOT, c[2], &pos, NULL), 0);
	assert_int_equal(pos, 1); /* first of its own team */
	assert_int_equal(store_handoff_position(f->st, BOT, c[4], &pos, NULL), 0);
	assert_int_equal(pos, 0); /* assigned */
	assert_int_equal(store_handoff_position(f->st, BOT, c[5], &pos, NULL), 0);
	assert_int_equal(pos, 0); /* none */

	assert_int_equal(store_handoff_list(f->st, BOT, NULL, NULL, NULL, 100, &l, NULL), 0);
	assert_int_equal(l.n, 5);
	assert_string_equal(l.v[0].conv_id, c[2]);
	assert_string_equal(l.v[1].conv_id, c[1]);
	assert_string_equal(l.v[2].conv_id, c[3]);
	assert_string_equal(l.v[3].conv_id, c[0]);
	assert_string_equal(l.v[4].conv_id, c[4]);
	store_handoffs_release(&l);
	assert_int_equal(store_handoff_list(f->st, BOT, "waiting", "[\"burgerzaken\"]", NULL, 100,
					    &l, NULL), 0);
	assert_int_equal(l.n, 3);
	store_handoffs_release(&l);
	assert_int_equal(store_handoff_list(f->st, BOT, "assigned", NULL, "a1", 100, &l, NULL), 0);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.v[0].conv_id, c[4]);
	store_handoffs_release(&l);
	assert_int_equal(store_handoff_list(f->st, BOT, NULL, NULL, "a2", 100, &l, NULL), 0);
	assert_int_equal(l.n, 0);
	store_handoffs_release(&l);
	assert_int_equal(store_handoff_list(f->st, BOT, NULL, "[\"zorg\"]", NULL, 100, &l, NULL),
			 0);
	assert_int_equal(l.n, 1);
	store_handoffs_release(&l);
	assert_int_equal(store_handoff_list(f->st, BOT, NULL, NULL, NULL, 2, &l, NULL), 0);
	assert_int_equal(l.n, 2);
	store_handoffs_release(&l);
	assert_int_equal(store_handoff_list(f->st, "other-bot", NULL, NULL, NULL, 100, &l, NULL), 0);
	assert_int_equal(l.n, 0);
	store_handoffs_release(&l);
	assert_int_equal(store_handoff_list(f->st, BOT, "bogus", NULL, NULL, 100, &l, NULL),
			 LK_EINVAL);
}

static void test_stale(void **state)
{
	struct fixture *f = *state;
	struct store_handoffs l;
	struct store_agent a;
	char c[4][STORE_ID_LEN + 1];

	for (int i = 0; i < 4; i++) {
		conv_id(i + 1, c[i]);
		open_waiting(f->st, i + 1, "burgerzaken", T0 + i);
	}
	add_agent(f->st, "fresh", "fresh", "[\"burgerzaken\"]", T0 + 100000);
	add_agent(f->st, "old", "old", "[\"burgerzaken\"]", T0);
	add_agent(f->st, "off", "off", "[\"burgerzaken\"]", T0 + 100000);
	assert_int_equal(store_handoff_claim(f->st, BOT, c[0], "fresh", NULL, T0, NULL, NULL), 0);
	assert_int_equal(store_handoff_claim(f->st, BOT, c[1], "old", NULL, T0, NULL, NULL), 0);
	assert_int_equal(store_handoff_claim(f->st, BOT, c[2], "gone", NULL, T0, NULL, NULL), 0);
	assert_int_equal(store_handoff_claim(f->st, BOT, c[3], "off", NULL, T0, NULL, NULL), 0);
	assert_int_equal(store_agent_get(f->st, BOT, "off", &a, NULL), 0);
	a.disabled = 1;
	assert_int_equal(store_agent_update(f->st, BOT, &a, NULL), 0);
	store_agent_release(&a);

	assert_int_equal(store_handoff_stale(f->st, BOT, T0 + 50000, &l, NULL), 0);
	assert_int_equal(l.n, 3);
	assert_string_equal(l.v[0].agent, "old");
	assert_string_equal(l.v[1].agent, "gone");
	assert_string_equal(l.v[2].agent, "off");
	store_handoffs_release(&l);
	/* Seen again: no longer stale. */
	assert_int_equal(store_agent_seen(f->st, BOT, "old", T0 + 60000, NULL), 0);
	assert_int_equal(store_handoff_stale(f->st, BOT, T0 + 50000, &l, NULL), 0);
	assert_int_equal(l.n, 2);
	store_handoffs_release(&l);
}

static void test_agents(void **state)
{
	struct fixture *f = *state;
	struct store_agent a, b;
	struct store_agents l;

	add_agent(f->st, "id-anna", "anna", "[\"burgerzaken\"]", 0);
	add_agent(f->st, "id-bert", "bert", "[\"zorg\",\"burgerzaken\"]", 0);
	memset(&a, 0, sizeof(a));
	snprintf(a.id, sizeof(a.id), "id-x");
	snprintf(a.username, sizeof(a.username), "anna");
	snprintf(a.role, sizeof(a.role), "agent");
	a.teams = (char *)"[]";
	a.pw_hash = (char *)"h";
	assert_int_equal(store_agent_add(f->st, BOT, &a, NULL), LK_EEXIST); /* username */
	snprintf(a.id, sizeof(a.id), "id-anna");
	snprintf(a.username, sizeof(a.username), "anna2");
	assert_int_equal(store_agent_add(f->st, BOT, &a, NULL), LK_EEXIST); /* id */
	snprintf(a.role, sizeof(a.role), "boss");
	assert_int_equal(store_agent_add(f->st, BOT, &a, NULL), LK_EINVAL);

	assert_int_equal(store_agent_get(f->st, BOT, "id-anna", &a, NULL), 0);
	assert_string_equal(a.username, "anna");
	assert_string_equal(a.name, "Agent anna");
	assert_string_equal(a.role, "agent");
	assert_string_equal(a.teams, "[\"burgerzaken\"]");
	assert_non_null(a.pw_hash);
	assert_int_equal(a.created_ms, T0);
	assert_int_equal(store_agent_get(f->st, "other-bot", "id-anna", &b, NULL), LK_ENOTFOUND);
	assert_int_equal(store_agent_by_username(f->st, BOT, "bert", &b, NULL), 0);
	assert_string_equal(b.id, "id-bert");
	store_agent_release(&b);
	assert_int_equal(store_agent_by_username(f->st, BOT, "nobody", &b, NULL), LK_ENOTFOUND);

	/* Update: pw_hash NULL keeps the hash. */
	snprintf(a.name, sizeof(a.name), "Anna de Vries");
	snprintf(a.role, sizeof(a.role), "supervisor");
	free(a.teams);
	a.teams = xstrdup("[\"zorg\"]");
	free(a.pw_hash);
	a.pw_hash = NULL;
	assert_int_equal(store_agent_update(f->st, BOT, &a, NULL), 0);
	store_agent_release(&a);
	assert_int_equal(store_agent_get(f->st, BOT, "id-anna", &a, NULL), 0);
	assert_string_equal(a.name, "Anna de Vries");
	assert_string_equal(a.role, "supervisor");
	assert_string_equal(a.teams, "[\"zorg\"]");
	assert_non_null(a.pw_hash);
	assert_true(strncmp(a.pw_hash, "$argon2id$", 10) == 0);
	snprintf(a.id, sizeof(a.id), "id-nobody");
	assert_int_equal(store_agent_update(f->st, BOT, &a, NULL), LK_ENOTFOUND);
	store_agent_release(&a);

	assert_int_equal(store_agent_seen(f->st, BOT, "id-bert", T0 + 5, NULL), 0);
	assert_int_equal(store_agent_seen(f->st, BOT, "id-bert", T0 + 1, NULL), 0); /* never back */
	assert_int_equal(store_agent_seen(f->st, BOT, "id-nobody", T0, NULL), LK_ENOTFOUND);
	assert_int_equal(store_agent_get(f->st, BOT, "id-bert", &b, NULL), 0);
	assert_int_equal(b.last_seen_ms, T0 + 5);
	store_agent_release(&b);

	assert_int_equal(store_agent_list(f->st, BOT, &l, NULL), 0);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.v[0].username, "anna");
	assert_string_equal(l.v[1].username, "bert");
	store_agents_release(&l);
}

static void test_login_locking(void **state)
{
	struct fixture *f = *state;
	struct store_agent a;

	add_agent(f->st, "id-anna", "anna", "[]", 0);
	for (int i = 0; i < 4; i++)
		assert_int_equal(store_agent_login_result(f->st, BOT, "id-anna", 0, 5, 60000,
							  T0 + i, NULL), 0);
	assert_int_equal(store_agent_get(f->st, BOT, "id-anna", &a, NULL), 0);
	assert_int_equal(a.failed_logins, 4);
	assert_int_equal(a.locked_until_ms, 0);
	store_agent_release(&a);
	/* The fifth failure locks and resets the count. */
	assert_int_equal(store_agent_login_result(f->st, BOT, "id-anna", 0, 5, 60000, T0 + 10,
						  NULL), 0);
	assert_int_equal(store_agent_get(f->st, BOT, "id-anna", &a, NULL), 0);
	assert_int_equal(a.failed_logins, 0);
	assert_int_equal(a.locked_until_ms, T0 + 10 + 60000);
	store_agent_release(&a);
	/* A success resets the count. */
	assert_int_equal(store_agent_login_result(f->st, BOT, "id-anna", 0, 5, 60000, T0 + 20,
						  NULL), 0);
	assert_int_equal(store_agent_login_result(f->st, BOT, "id-anna", 1, 5, 60000, T0 + 70000,
						  NULL), 0);
	assert_int_equal(store_agent_get(f->st, BOT, "id-anna", &a, NULL), 0);
	assert_int_equal(a.failed_logins, 0);
	store_agent_release(&a);
	assert_int_equal(store_agent_login_result(f->st, BOT, "id-nobody", 0, 5, 60000, T0, NULL),
			 LK_ENOTFOUND);
}

static void hash_of(int i, unsigned char h[32])
{
	for (int k = 0; k < 32; k++)
		h[k] = (unsigned char)(i * 31 + k);
}

static void add_session(struct store *st, int i, const char *agent, int64_t expires_ms)
{
	struct store_session s;

	memset(&s, 0, sizeof(s));
	hash_of(i, s.token_hash);
	snprintf(s.agent_id, sizeof(s.agent_id), "%s", agent);
	for (int k = 0; k < 64; k++)
		s.csrf[k] = "0123456789abcdef"[(i + k) % 16];
	s.created_ms = T0;
	s.expires_ms = expires_ms;
	assert_int_equal(store_session_add(st, BOT, &s, NULL), 0);
}

static void test_sessions(void **state)
{
	struct fixture *f = *state;
	struct store_session s;
	unsigned char h[32];

	add_session(f->st, 1, "a1", T0 + 1000);
	add_session(f->st, 2, "a1", T0 + 5000);
	add_session(f->st, 3, "a2", T0 + 5000);
	add_session(f->st, 4, "a3", T0 + 500);
	hash_of(1, h);
	assert_int_equal(store_session_get(f->st, BOT, h, &s, NULL), 0);
	assert_string_equal(s.agent_id, "a1");
	assert_int_equal(strlen(s.csrf), 64);
	assert_int_equal(s.expires_ms, T0 + 1000);
	assert_memory_equal(s.token_hash, h, 32);
	assert_int_equal(store_session_get(f->st, "other-bot", h, &s, NULL), LK_ENOTFOUND);

	assert_int_equal(store_session_touch(f->st, BOT, h, T0 + 9000, NULL), 0);
	assert_int_equal(store_session_get(f->st, BOT, h, &s, NULL), 0);
	assert_int_equal(s.expires_ms, T0 + 9000);
	hash_of(99, h);
	assert_int_equal(store_session_touch(f->st, BOT, h, T0, NULL), LK_ENOTFOUND);

	/* Prune at T0 + 1000 removes only session 4. */
	assert_int_equal(store_session_prune(f->st, BOT, T0 + 1000, NULL), 0);
	hash_of(4, h);
	assert_int_equal(store_session_get(f->st, BOT, h, &s, NULL), LK_ENOTFOUND);
	hash_of(3, h);
	assert_int_equal(store_session_get(f->st, BOT, h, &s, NULL), 0);
	assert_int_equal(store_session_delete(f->st, BOT, h, NULL), 0);
	assert_int_equal(store_session_get(f->st, BOT, h, &s, NULL), LK_ENOTFOUND);

	assert_int_equal(store_session_delete_agent(f->st, BOT, "a1", NULL), 0);
	hash_of(1, h);
	assert_int_equal(store_session_get(f->st, BOT, h, &s, NULL), LK_ENOTFOUND);
	hash_of(2, h);
	assert_int_equal(store_session_get(f->st, BOT, h, &s, NULL), LK_ENOTFOUND);
}

static void audit(struct store *st, const char *action, const char *conv, int64_t at)
{
	struct store_audit a;

	memset(&a, 0, sizeof(a));
	a.at_ms = at;
	snprintf(a.actor, sizeof(a.actor), "a1");
	snprintf(a.action, sizeof(a.action), "%s", action);
	snprintf(a.conv_id, sizeof(a.conv_id), "%s", conv);
	snprintf(a.team, sizeof(a.team), "burgerzaken");
	snprintf(a.detail, sizeof(a.detail), "detail %s", action);
	assert_int_equal(store_audit_add(st, BOT, &a, NULL), 0);
}

static void test_audit(void **state)
{
	struct fixture *f = *state;
	struct store_audits l;
	char c1[STORE_ID_LEN + 1], c2[STORE_ID_LEN + 1];

	conv_id(1, c1);
	conv_id(2, c2);
	audit(f->st, "handoff", c1, T0);
	audit(f->st, "claim", c1, T0 + 1);
	audit(f->st, "login", "", T0 + 2);
	audit(f->st, "close", c1, T0 + 3);
	audit(f->st, "handoff", c2, T0 + 4);

	assert_int_equal(store_audit_list(f->st, BOT, NULL, 0, 100, &l, NULL), 0);
	assert_int_equal(l.n, 5);
	assert_string_equal(l.v[0].action, "handoff");
	assert_string_equal(l.v[0].conv_id, c2);
	assert_string_equal(l.v[4].action, "handoff");
	assert_true(l.v[0].id > l.v[1].id);
	assert_int_equal(l.v[2].at_ms, T0 + 2);
	assert_string_equal(l.v[2].conv_id, "");
	assert_string_equal(l.v[2].detail, "detail login");
	store_audits_release(&l);

	assert_int_equal(store_audit_list(f->st, BOT, c1, 0, 2, &l, NULL), 0);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.v[0].action, "close");
	assert_string_equal(l.v[1].action, "claim");
	/* The next page: before the last id seen. */
	{
		int64_t before = l.v[1].id;

		store_audits_release(&l);
		assert_int_equal(store_audit_list(f->st, BOT, c1, before, 100, &l, NULL), 0);
	}
	assert_int_equal(l.n, 1);
	assert_string_equal(l.v[0].action, "handoff");
	store_audits_release(&l);
	assert_int_equal(store_audit_list(f->st, "other-bot", NULL, 0, 100, &l, NULL), 0);
	assert_int_equal(l.n, 0);
	store_audits_release(&l);
}

static void add_ticket(struct store *st, const char *ref, const char *team, int conv,
		       int64_t created_ms, int expect)
{
	struct store_ticket t;

	memset(&t, 0, sizeof(t));
	snprintf(t.ref, sizeof(t.ref), "%s", ref);
	snprintf(t.team, sizeof(t.team), "%s", team);
	conv_id(conv, t.conv_id);
	snprintf(t.lang, sizeof(t.lang), "nl");
	t.question = (char *)"Wanneer is mijn paspoort klaar?";
	t.name = (char *)"Jan de Vries";
	t.contact = (char *)"jan@example.nl";
	t.created_ms = created_ms;
	assert_int_equal(store_ticket_add(st, BOT, &t, NULL), expect);
}

static void test_tickets(void **state)
{
	struct fixture *f = *state;
	struct store_tickets l;
	struct store_ticket t;

	add_ticket(f->st, "VR-AAAAAA", "burgerzaken", 1, T0 + 2, 0);
	add_ticket(f->st, "VR-BBBBBB", "", 2, T0 + 1, 0);
	add_ticket(f->st, "VR-CCCCCC", "zorg", 3, T0 + 3, 0);
	add_ticket(f->st, "VR-AAAAAA", "zorg", 4, T0, LK_EBUSY);

	assert_int_equal(store_ticket_list(f->st, BOT, NULL, NULL, 100, &l, NULL), 0);
	assert_int_equal(l.n, 3);
	assert_string_equal(l.v[0].ref, "VR-BBBBBB"); /* oldest first */
	assert_string_equal(l.v[1].ref, "VR-AAAAAA");
	assert_string_equal(l.v[2].ref, "VR-CCCCCC");
	assert_string_equal(l.v[1].status, "open");
	assert_string_equal(l.v[1].name, "Jan de Vries");
	store_tickets_release(&l);
	/* A ticket without team shows for every filter. */
	assert_int_equal(store_ticket_list(f->st, BOT, "[\"zorg\"]", NULL, 100, &l, NULL), 0);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.v[0].ref, "VR-BBBBBB");
	assert_string_equal(l.v[1].ref, "VR-CCCCCC");
	store_tickets_release(&l);
	assert_int_equal(store_ticket_list(f->st, BOT, "[]", NULL, 100, &l, NULL), 0);
	assert_int_equal(l.n, 1);
	store_tickets_release(&l);

	assert_int_equal(store_ticket_done(f->st, BOT, "VR-AAAAAA", "a1", T0 + 100, NULL), 0);
	assert_int_equal(store_ticket_done(f->st, BOT, "VR-AAAAAA", "a2", T0 + 200, NULL),
			 LK_EBUSY);
	assert_int_equal(store_ticket_done(f->st, BOT, "VR-ZZZZZZ", "a2", T0, NULL), LK_ENOTFOUND);
	assert_int_equal(store_ticket_get(f->st, BOT, "VR-AAAAAA", &t, NULL), 0);
	assert_string_equal(t.status, "done");
	assert_string_equal(t.done_by, "a1");
	assert_int_equal(t.done_ms, T0 + 100);
	assert_string_equal(t.contact, "jan@example.nl");
	assert_string_equal(t.question, "Wanneer is mijn paspoort klaar?");
	store_ticket_release(&t);
	assert_int_equal(store_ticket_get(f->st, "other-bot", "VR-AAAAAA", &t, NULL), LK_ENOTFOUND);

	assert_int_equal(store_ticket_list(f->st, BOT, NULL, "open", 100, &l, NULL), 0);
	assert_int_equal(l.n, 2);
	store_tickets_release(&l);
	assert_int_equal(store_ticket_list(f->st, BOT, NULL, "done", 100, &l, NULL), 0);
	assert_int_equal(l.n, 1);
	store_tickets_release(&l);
	assert_int_equal(store_ticket_list(f->st, BOT, NULL, NULL, 1, &l, NULL), 0);
	assert_int_equal(l.n, 1);
	store_tickets_release(&l);
}

static void make_conv(struct store *st, int i)
{
	struct store_conv c;

	memset(&c, 0, sizeof(c));
	conv_id(i, c.id);
	snprintf(c.bot, sizeof(c.bot), BOT);
	snprintf(c.lang, sizeof(c.lang), "nl");
	snprintf(c.channel, sizeof(c.channel), "web");
	c.created_at = T0 / 1000;
	assert_int_equal(store_conv_create(st, &c, NULL), 0);
}

static void test_conv_delete(void **state)
{
	struct fixture *f = *state;
	struct store_handoff got;
	struct store_ticket t;
	struct store_audits l;
	char c1[STORE_ID_LEN + 1], c2[STORE_ID_LEN + 1];

	conv_id(1, c1);
	conv_id(2, c2);
	make_conv(f->st, 1);
	make_conv(f->st, 2);
	open_waiting(f->st, 1, "burgerzaken", T0);
	assert_int_equal(store_handoff_close(f->st, BOT, c1, NULL, "closed", "samenvatting", T0 + 1,
					     NULL, NULL), 0);
	open_waiting(f->st, 1, "burgerzaken", T0 + 2);
	open_waiting(f->st, 2, "burgerzaken", T0 + 3);
	add_ticket(f->st, "VR-AAAAAA", "burgerzaken", 1, T0, 0);
	add_ticket(f->st, "VR-BBBBBB", "burgerzaken", 2, T0, 0);
	audit(f->st, "handoff", c1, T0);

	assert_int_equal(store_conv_delete(f->st, c1, NULL), 0);
	assert_int_equal(store_handoff_latest(f->st, BOT, c1, &got, NULL), LK_ENOTFOUND);
	assert_int_equal(store_ticket_get(f->st, BOT, "VR-AAAAAA", &t, NULL), LK_ENOTFOUND);
	/* The other conversation's rows stay, and so do audit rows. */
	assert_int_equal(store_handoff_active(f->st, BOT, c2, &got, NULL), 0);
	store_handoff_release(&got);
	assert_int_equal(store_ticket_get(f->st, BOT, "VR-BBBBBB", &t, NULL), 0);
	store_ticket_release(&t);
	assert_int_equal(store_audit_list(f->st, BOT, c1, 0, 10, &l, NULL), 0);
	assert_int_equal(l.n, 1);
	store_audits_release(&l);
	assert_int_equal(store_conv_delete(f->st, c1, NULL), LK_ENOTFOUND);
}

static void test_link_by_conv(void **state)
{
	struct fixture *f = *state;
	char c1[STORE_ID_LEN + 1], c2[STORE_ID_LEN + 1], channel[16], user[128];
	int64_t last = 0;

	conv_id(1, c1);
	conv_id(2, c2);
	make_conv(f->st, 1);
	make_conv(f->st, 2);
	assert_int_equal(store_link_put(f->st, BOT, "telegram", "12345", c1, T0 / 1000, NULL), 0);
	assert_int_equal(store_link_by_conv(f->st, BOT, c1, channel, sizeof(channel), user,
					    sizeof(user), &last, NULL), 0);
	assert_string_equal(channel, "telegram");
	assert_string_equal(user, "12345");
	assert_int_equal(last, T0 / 1000);
	assert_int_equal(store_link_by_conv(f->st, BOT, c2, channel, sizeof(channel), user,
					    sizeof(user), NULL, NULL), LK_ENOTFOUND);
	assert_string_equal(channel, "");
	assert_int_equal(store_link_by_conv(f->st, "other-bot", c1, channel, sizeof(channel), user,
					    sizeof(user), NULL, NULL), LK_ENOTFOUND);
	/* Erasing the conversation erases the link. */
	assert_int_equal(store_conv_delete(f->st, c1, NULL), 0);
	assert_int_equal(store_link_by_conv(f->st, BOT, c1, channel, sizeof(channel), user,
					    sizeof(user), NULL, NULL), LK_ENOTFOUND);
}

/* A database made before the handoff tables existed opens and gets them. */
static void test_upgrade(void **state)
{
	struct fixture *f = *state;
	struct store_handoffs l;
	struct store_conv cv;
	struct store *old = NULL;
	sqlite3 *db = NULL;
	char url[96], c1[STORE_ID_LEN + 1];

	/* The fixture's file is empty: give it the first release's table only. */
	store_close(f->st);
	f->st = NULL;
	unlink(f->path);
	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "CREATE TABLE conversations(id TEXT PRIMARY KEY,"
				      " bot TEXT NOT NULL, lang TEXT NOT NULL, channel TEXT NOT NULL,"
				      " token_hash BLOB NOT NULL, created_at INTEGER NOT NULL,"
				      " turns INTEGER NOT NULL DEFAULT 0);"
				      "INSERT INTO conversations VALUES('00000000000000000000000000000001',"
				      " 'gemeente-demo', 'nl', 'web', x'00', 1, 0);", NULL, NULL, NULL),
			 SQLITE_OK);
	sqlite3_close(db);
	snprintf(url, sizeof(url), "sqlite:%s", f->path);
	assert_int_equal(store_open(&old, url, NULL), 0);
	f->st = old;
	conv_id(1, c1);
	assert_int_equal(store_conv_get(f->st, c1, &cv, NULL), 0);
	assert_int_equal(store_handoff_list(f->st, BOT, NULL, NULL, NULL, 10, &l, NULL), 0);
	assert_int_equal(l.n, 0);
	store_handoffs_release(&l);
	open_waiting(f->st, 1, "burgerzaken", T0);
	assert_int_equal(store_handoff_list(f->st, BOT, NULL, NULL, NULL, 10, &l, NULL), 0);
	assert_int_equal(l.n, 1);
	store_handoffs_release(&l);
	assert_int_equal(store_conv_delete(f->st, c1, NULL), 0);
	assert_int_equal(store_handoff_list(f->st, BOT, NULL, NULL, NULL, 10, &l, NULL), 0);
	assert_int_equal(l.n, 0);
	store_handoffs_release(&l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_open_active_unique, setup_mem, teardown),
		cmocka_unit_test_setup_teardown(test_claim, setup_mem, teardown),
		cmocka_unit_test_setup_teardown(test_claim_next_order, setup_mem, teardown),
		cmocka_unit_test_setup_teardown(test_claim_next_race, setup_file, teardown),
		cmocka_unit_test_setup_teardown(test_claim_race, setup_file, teardown),
		cmocka_unit_test_setup_teardown(test_assign_requeue_close, setup_mem, teardown),
		cmocka_unit_test_setup_teardown(test_position_and_list, setup_mem, teardown),
		cmocka_unit_test_setup_teardown(test_stale, setup_mem, teardown),
		cmocka_unit_test_setup_teardown(test_agents, setup_mem, teardown),
		cmocka_unit_test_setup_teardown(test_login_locking, setup_mem, teardown),
		cmocka_unit_test_setup_teardown(test_sessions, setup_mem, teardown),
		cmocka_unit_test_setup_teardown(test_audit, setup_mem, teardown),
		cmocka_unit_test_setup_teardown(test_tickets, setup_mem, teardown),
		cmocka_unit_test_setup_teardown(test_conv_delete, setup_file, teardown),
		cmocka_unit_test_setup_teardown(test_link_by_conv, setup_mem, teardown),
		cmocka_unit_test_setup_teardown(test_upgrade, setup_file, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
