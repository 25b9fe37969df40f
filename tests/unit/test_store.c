/* test_store.c - unit tests for the store interface on the SQLite back end:
 * conversations, turns in order, optimistic appends, erasure, knowledge base.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/mem.h"
#include "store/store.h"

struct fixture {
	char path[64];
	struct store *st;
};

static int setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof(*f));
	char url[80];
	int fd;

	snprintf(f->path, sizeof(f->path), "/tmp/loket-test-store-XXXXXX");
	fd = mkstemp(f->path);
	close(fd);
	snprintf(url, sizeof(url), "sqlite:%s", f->path);
	assert_int_equal(store_open(&f->st, url, NULL), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char side[80];

	store_close(f->st);
	unlink(f->path);
	snprintf(side, sizeof(side), "%s-wal", f->path);
	unlink(side);
	snprintf(side, sizeof(side), "%s-shm", f->path);
	unlink(side);
	free(f);
	return 0;
}

static void make_conv(struct store *st, const char *id)
{
	struct store_conv c;

	memset(&c, 0, sizeof(c));
	snprintf(c.id, sizeof(c.id), "%s", id);
	snprintf(c.bot, sizeof(c.bot), "demo");
	snprintf(c.lang, sizeof(c.lang), "nl");
	snprintf(c.channel, sizeof(c.channel), "api");
	memset(c.token_hash, 7, sizeof(c.token_hash));
	assert_int_equal(store_conv_create(st, &c, NULL), 0);
}

static void turn(struct store_turn *t, const char *role, const char *text)
{
	memset(t, 0, sizeof(*t));
	snprintf(t->role, sizeof(t->role), "%s", role);
	snprintf(t->kind, sizeof(t->kind), "text");
	t->text = xstrdup(text);
}

static const char *ID1 = "0123456789abcdef0123456789abcdef";

static void test_unknown_url_scheme_is_an_error(void **state)
{
	struct lk_err err = {0};
	struct store *st;

	assert_int_equal(store_open(&st, "mysql://x", &err), LK_EUNSUPPORTED);
	assert_non_null(strstr(err.msg, "mysql"));
	assert_int_equal(store_open(&st, "no-scheme", &err), LK_EINVAL);
}

static void test_conversation_round_trip(void **state)
{
	struct fixture *f = *state;
	struct store_conv c;
	struct lk_err err = {0};

	make_conv(f->st, ID1);
	assert_int_equal(store_conv_get(f->st, ID1, &c, NULL), 0);
	assert_string_equal(c.lang, "nl");
	assert_int_equal(c.token_hash[5], 7);
	assert_int_equal(c.turns, 0);
	assert_int_equal(store_conv_get(f->st, "ffffffffffffffffffffffffffffffff", &c, &err), LK_ENOTFOUND);
	/* the same id twice is refused, never overwritten */
	{
		struct store_conv dup;

		memset(&dup, 0, sizeof(dup));
		snprintf(dup.id, sizeof(dup.id), "%s", ID1);
		assert_int_equal(store_conv_create(f->st, &dup, NULL), LK_EDB);
	}
}

static void test_turns_get_increasing_sequence_numbers(void **state)
{
	struct fixture *f = *state;
	struct store_turn t[2];
	struct store_turns list;

	make_conv(f->st, ID1);
	turn(&t[0], "user", "hallo");
	turn(&t[1], "bot", "Hallo! Waar kan ik u mee helpen?");
	assert_int_equal(store_turns_append(f->st, ID1, t, 2, NULL), 0);
	assert_int_equal(t[0].seq, 1);
	assert_int_equal(t[1].seq, 2);
	store_turn_release(&t[0]);
	store_turn_release(&t[1]);
	turn(&t[0], "user", "paspoort");
	assert_int_equal(store_turns_append(f->st, ID1, t, 1, NULL), 0);
	assert_int_equal(t[0].seq, 3);
	store_turn_release(&t[0]);
	assert_int_equal(store_turns_list(f->st, ID1, &list, NULL), 0);
	assert_int_equal(list.n, 3);
	assert_string_equal(list.v[0].text, "hallo");
	assert_string_equal(list.v[1].role, "bot");
	assert_string_equal(list.v[2].text, "paspoort");
	assert_true(list.v[2].created_at > 0);
	store_turns_release(&list);
}

static void test_stale_expected_sequence_stores_nothing(void **state)
{
	struct fixture *f = *state;
	struct store_turn t[1];
	struct store_turns list;

	make_conv(f->st, ID1);
	turn(&t[0], "user", "eerste");
	t[0].seq = 1;
	assert_int_equal(store_turns_append(f->st, ID1, t, 1, NULL), 0);
	store_turn_release(&t[0]);
	turn(&t[0], "user", "te laat");
	t[0].seq = 1; /* someone else already took 1 */
	assert_int_equal(store_turns_append(f->st, ID1, t, 1, NULL), LK_EBUSY);
	store_turn_release(&t[0]);
	assert_int_equal(store_turns_list(f->st, ID1, &list, NULL), 0);
	assert_int_equal(list.n, 1);
	store_turns_release(&list);
}

static void test_append_to_unknown_conversation_fails(void **state)
{
	struct fixture *f = *state;
	struct store_turn t[1];

	turn(&t[0], "user", "hallo");
	assert_int_equal(store_turns_append(f->st, ID1, t, 1, NULL), LK_ENOTFOUND);
	store_turn_release(&t[0]);
}

static void test_delete_erases_turns_and_feedback(void **state)
{
	struct fixture *f = *state;
	struct store_turn t[1];
	struct store_turns list;
	struct store_conv c;

	make_conv(f->st, ID1);
	turn(&t[0], "user", "mijn BSN is 123456782");
	assert_int_equal(store_turns_append(f->st, ID1, t, 1, NULL), 0);
	store_turn_release(&t[0]);
	assert_int_equal(store_feedback_add(f->st, ID1, 1, 1, NULL), 0);
	assert_int_equal(store_conv_delete(f->st, ID1, NULL), 0);
	assert_int_equal(store_conv_get(f->st, ID1, &c, NULL), LK_ENOTFOUND);
	assert_int_equal(store_turns_list(f->st, ID1, &list, NULL), 0);
	assert_int_equal(list.n, 0);
	store_turns_release(&list);
	assert_int_equal(store_conv_delete(f->st, ID1, NULL), LK_ENOTFOUND);
	assert_int_equal(store_feedback_add(f->st, ID1, 1, 1, NULL), LK_ENOTFOUND);
}

static void entry(struct kb_entries *l, const char *id, const char *answer)
{
	struct kb_entry e;

	kb_entry_init(&e);
	e.id = xstrdup(id);
	e.answer = xstrdup(answer);
	e.url = xstrdup("https://example.org/");
	kb_entries_push(l, &e);
}

static void test_kb_upsert_replaces_by_id_and_bumps_generation(void **state)
{
	struct fixture *f = *state;
	struct kb_entries in, out;
	int64_t gen = -1;

	assert_int_equal(store_kb_generation(f->st, "demo", &gen, NULL), 0);
	assert_int_equal(gen, 0);
	kb_entries_init(&in);
	entry(&in, "a", "eerste versie");
	entry(&in, "b", "tweede");
	assert_int_equal(store_kb_upsert(f->st, "demo", &in, NULL), 0);
	kb_entries_release(&in);
	entry(&in, "a", "nieuwe versie");
	assert_int_equal(store_kb_upsert(f->st, "demo", &in, NULL), 0);
	kb_entries_release(&in);
	kb_entries_init(&out);
	assert_int_equal(store_kb_load(f->st, "demo", &out, &gen, NULL), 0);
	assert_int_equal(gen, 2);
	assert_int_equal(out.n, 2);
	assert_string_equal(out.v[0].id, "a"); /* keeps its place */
	assert_string_equal(out.v[0].answer, "nieuwe versie");
	assert_string_equal(out.v[1].id, "b");
	kb_entries_release(&out);
	/* another bot sees nothing */
	assert_int_equal(store_kb_load(f->st, "other", &out, &gen, NULL), 0);
	assert_int_equal(out.n, 0);
	assert_int_equal(gen, 0);
	kb_entries_release(&out);
}

static void test_entries_dedupe_keeps_last_version_in_first_place(void **state)
{
	struct kb_entries l;

	kb_entries_init(&l);
	entry(&l, "x", "1");
	entry(&l, "y", "2");
	entry(&l, "x", "3");
	kb_entries_dedupe(&l);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.v[0].id, "x");
	assert_string_equal(l.v[0].answer, "3");
	assert_string_equal(l.v[1].id, "y");
	kb_entries_release(&l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_unknown_url_scheme_is_an_error),
		cmocka_unit_test_setup_teardown(test_conversation_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_turns_get_increasing_sequence_numbers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stale_expected_sequence_stores_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_append_to_unknown_conversation_fails, setup, teardown),
		cmocka_unit_test_setup_teardown(test_delete_erases_turns_and_feedback, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kb_upsert_replaces_by_id_and_bumps_generation, setup, teardown),
		cmocka_unit_test(test_entries_dedupe_keeps_last_version_in_first_place),
	};
	return cmocka_run_group_tests_name("store", tests, NULL, NULL);
}
