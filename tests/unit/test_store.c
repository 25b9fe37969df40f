/* test_store.c - unit tests for the store interface on the SQLite back end:
 * conversations, turns in order, optimistic appends, erasure, knowledge base,
 * knowledge-base vectors, and opening a database of an older schema.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <sqlite3.h>
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

static void vec(struct store_vec *v, const char *id, float *x, size_t dim, unsigned char mark)
{
	memset(v, 0, sizeof(*v));
	v->entry_id = (char *)id;
	memset(v->text_hash, mark, sizeof(v->text_hash));
	v->v = x;
	v->dim = dim;
}

static void test_kb_vectors_round_trip_and_replace(void **state)
{
	struct fixture *f = *state;
	struct kb_entries in;
	struct store_vec v[3];
	struct store_vecs out;
	float a[3] = { 0.5f, -1.25f, 3e-8f }, b[2] = { 1.0f, 2.0f }, c[5] = { 1, 2, 3, 4, 5 };
	int64_t g1, g2;

	kb_entries_init(&in);
	entry(&in, "a", "eerste");
	entry(&in, "b", "tweede");
	assert_int_equal(store_kb_upsert(f->st, "demo", &in, NULL), 0);
	kb_entries_release(&in);
	assert_int_equal(store_kb_generation(f->st, "demo", &g1, NULL), 0);
	/* b is put first but loads in import order */
	vec(&v[0], "b", b, 2, 0xbb);
	vec(&v[1], "a", a, 3, 0xaa);
	assert_int_equal(store_kb_vectors_put(f->st, "demo", "m1", v, 2, NULL), 0);
	assert_int_equal(store_kb_generation(f->st, "demo", &g2, NULL), 0);
	assert_int_equal(g2, g1 + 1);
	assert_int_equal(store_kb_vectors_load(f->st, "demo", "m1", &out, NULL), 0);
	assert_int_equal(out.n, 2);
	assert_string_equal(out.v[0].entry_id, "a");
	assert_int_equal(out.v[0].dim, 3);
	assert_memory_equal(out.v[0].v, a, sizeof(a)); /* bit-exact float32 */
	assert_int_equal(out.v[0].text_hash[31], 0xaa);
	assert_string_equal(out.v[1].entry_id, "b");
	assert_int_equal(out.v[1].dim, 2);
	assert_memory_equal(out.v[1].v, b, sizeof(b));
	store_vecs_release(&out);
	assert_null(out.v);
	/* replacing a's vector, with another dimension */
	vec(&v[0], "a", c, 5, 0xcc);
	assert_int_equal(store_kb_vectors_put(f->st, "demo", "m1", v, 1, NULL), 0);
	assert_int_equal(store_kb_vectors_load(f->st, "demo", "m1", &out, NULL), 0);
	assert_int_equal(out.n, 2);
	assert_int_equal(out.v[0].dim, 5);
	assert_memory_equal(out.v[0].v, c, sizeof(c));
	assert_int_equal(out.v[0].text_hash[0], 0xcc);
	store_vecs_release(&out);
	/* another model, another bot: none */
	assert_int_equal(store_kb_vectors_load(f->st, "demo", "m2", &out, NULL), 0);
	assert_int_equal(out.n, 0);
	store_vecs_release(&out);
	assert_int_equal(store_kb_vectors_load(f->st, "other", "m1", &out, NULL), 0);
	assert_int_equal(out.n, 0);
	store_vecs_release(&out);
}

static void test_kb_vectors_without_entry_are_dropped(void **state)
{
	struct fixture *f = *state;
	struct kb_entries in;
	struct store_vec v[2];
	struct store_vecs out;
	float a[2] = { 1, 2 };

	kb_entries_init(&in);
	entry(&in, "a", "eerste");
	assert_int_equal(store_kb_upsert(f->st, "demo", &in, NULL), 0);
	kb_entries_release(&in);
	vec(&v[0], "a", a, 2, 1);
	vec(&v[1], "weg", a, 2, 1); /* no such entry */
	assert_int_equal(store_kb_vectors_put(f->st, "demo", "m", v, 2, NULL), 0);
	assert_int_equal(store_kb_vectors_load(f->st, "demo", "m", &out, NULL), 0);
	assert_int_equal(out.n, 1);
	assert_string_equal(out.v[0].entry_id, "a");
	store_vecs_release(&out);
	/* the same entry id of another bot has no vector */
	kb_entries_init(&in);
	entry(&in, "a", "ander");
	assert_int_equal(store_kb_upsert(f->st, "other", &in, NULL), 0);
	kb_entries_release(&in);
	assert_int_equal(store_kb_vectors_load(f->st, "other", "m", &out, NULL), 0);
	assert_int_equal(out.n, 0);
	store_vecs_release(&out);
}

static void test_kb_vectors_bad_input_stores_nothing(void **state)
{
	struct fixture *f = *state;
	struct kb_entries in;
	struct store_vec v[2];
	struct store_vecs out;
	struct lk_err err = {0};
	float a[2] = { 1, 2 };
	char model[STORE_VEC_MODEL_MAX + 2];
	int64_t g1, g2;

	kb_entries_init(&in);
	entry(&in, "a", "eerste");
	entry(&in, "b", "tweede");
	assert_int_equal(store_kb_upsert(f->st, "demo", &in, NULL), 0);
	kb_entries_release(&in);
	assert_int_equal(store_kb_generation(f->st, "demo", &g1, NULL), 0);
	vec(&v[0], "a", a, 2, 1);
	vec(&v[1], "b", a, 0, 1); /* dimension 0 */
	assert_int_equal(store_kb_vectors_put(f->st, "demo", "m", v, 2, &err), LK_EINVAL);
	assert_non_null(strstr(err.msg, "dimension"));
	v[1].dim = STORE_VEC_DIM_MAX + 1;
	assert_int_equal(store_kb_vectors_put(f->st, "demo", "m", v, 2, NULL), LK_EINVAL);
	vec(&v[1], "", a, 2, 1);
	assert_int_equal(store_kb_vectors_put(f->st, "demo", "m", v, 2, NULL), LK_EINVAL);
	assert_int_equal(store_kb_vectors_put(f->st, "demo", "", v, 1, NULL), LK_EINVAL);
	memset(model, 'x', sizeof(model) - 1);
	model[sizeof(model) - 1] = '\0';
	assert_int_equal(store_kb_vectors_put(f->st, "demo", model, v, 1, NULL), LK_EINVAL);
	assert_int_equal(store_kb_vectors_load(f->st, "demo", "", &out, NULL), LK_EINVAL);
	/* n == 0 is a no-op */
	assert_int_equal(store_kb_vectors_put(f->st, "demo", "m", v, 0, NULL), 0);
	assert_int_equal(store_kb_vectors_load(f->st, "demo", "m", &out, NULL), 0);
	assert_int_equal(out.n, 0);
	store_vecs_release(&out);
	assert_int_equal(store_kb_generation(f->st, "demo", &g2, NULL), 0);
	assert_int_equal(g1, g2);
}

/* A database written before kb_vectors existed opens, keeps its data, and
 * takes vectors. */
static void test_old_schema_is_upgraded(void **state)
{
	static const char old_schema[] =
		"CREATE TABLE conversations("
		" id TEXT PRIMARY KEY, bot TEXT NOT NULL, lang TEXT NOT NULL, channel TEXT NOT NULL,"
		" token_hash BLOB NOT NULL, created_at INTEGER NOT NULL, turns INTEGER NOT NULL DEFAULT 0);"
		"CREATE TABLE turns("
		" conv_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,"
		" seq INTEGER NOT NULL, role TEXT NOT NULL, kind TEXT NOT NULL, text TEXT NOT NULL,"
		" data TEXT, created_at INTEGER NOT NULL, PRIMARY KEY(conv_id, seq)) WITHOUT ROWID;"
		"CREATE TABLE feedback("
		" conv_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,"
		" seq INTEGER NOT NULL, helpful INTEGER NOT NULL, created_at INTEGER NOT NULL);"
		"CREATE INDEX feedback_by_conv ON feedback(conv_id);"
		"CREATE TABLE kb_entries("
		" bot TEXT NOT NULL, id TEXT NOT NULL, ord INTEGER NOT NULL, question TEXT, title TEXT,"
		" answer TEXT NOT NULL, url TEXT, lang TEXT, tags TEXT, updated_at INTEGER NOT NULL,"
		" PRIMARY KEY(bot, id));"
		"CREATE TABLE kb_meta(bot TEXT PRIMARY KEY, generation INTEGER NOT NULL);"
		"INSERT INTO kb_entries VALUES('demo', 'oud', 1, NULL, NULL, 'uit 2024', NULL,"
		" NULL, NULL, 1700000000);"
		"INSERT INTO kb_meta VALUES('demo', 7);";
	char path[64], url[80], side[80];
	struct store *st;
	struct store_vec v;
	struct store_vecs out;
	struct kb_entries l;
	sqlite3 *db;
	float a[2] = { 3, 4 };
	int64_t gen;
	int fd;

	snprintf(path, sizeof(path), "/tmp/loket-test-oldschema-XXXXXX");
	fd = mkstemp(path);
	close(fd);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, old_schema, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	snprintf(url, sizeof(url), "sqlite:%s", path);
	assert_int_equal(store_open(&st, url, NULL), 0);
	kb_entries_init(&l);
	assert_int_equal(store_kb_load(st, "demo", &l, &gen, NULL), 0);
	assert_int_equal(gen, 7);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.v[0].answer, "uit 2024");
	kb_entries_release(&l);
	vec(&v, "oud", a, 2, 9);
	assert_int_equal(store_kb_vectors_put(st, "demo", "m", &v, 1, NULL), 0);
	assert_int_equal(store_kb_vectors_load(st, "demo", "m", &out, NULL), 0);
	assert_int_equal(out.n, 1);
	assert_memory_equal(out.v[0].v, a, sizeof(a));
	store_vecs_release(&out);
	assert_int_equal(store_kb_generation(st, "demo", &gen, NULL), 0);
	assert_int_equal(gen, 8);
	store_close(st);
	/* and once more, now that the table exists */
	assert_int_equal(store_open(&st, url, NULL), 0);
	assert_int_equal(store_kb_vectors_load(st, "demo", "m", &out, NULL), 0);
	assert_int_equal(out.n, 1);
	store_vecs_release(&out);
	store_close(st);
	unlink(path);
	snprintf(side, sizeof(side), "%s-wal", path);
	unlink(side);
	snprintf(side, sizeof(side), "%s-shm", path);
	unlink(side);
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
		cmocka_unit_test_setup_teardown(test_kb_vectors_round_trip_and_replace, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kb_vectors_without_entry_are_dropped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kb_vectors_bad_input_stores_nothing, setup, teardown),
		cmocka_unit_test(test_old_schema_is_upgraded),
	};
	return cmocka_run_group_tests_name("store", tests, NULL, NULL);
}
