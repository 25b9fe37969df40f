/* store_sqlite.c - the embedded SQLite back end of the store (WAL mode).
 *
 * A small pool of connections serves many threads; each connection keeps its
 * prepared statements. Writers are serialised by SQLite itself (BEGIN
 * IMMEDIATE + busy timeout), readers run in parallel thanks to WAL.
 */
#include "store/store_sqlite_int.h"

#include "core/mem.h"

#include <pthread.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define POOL_SIZE 8
#define BUSY_TIMEOUT_MS 10000

enum stmt_id {
	ST_BEGIN,
	ST_COMMIT,
	ST_ROLLBACK,
	ST_CONV_INSERT,
	ST_CONV_GET,
	ST_CONV_DELETE,
	ST_CONV_TURNS,
	ST_CONV_BUMP,
	ST_TURN_INSERT,
	ST_TURN_LIST,
	ST_FEEDBACK_INSERT,
	ST_KB_MAX_ORD,
	ST_KB_UPSERT,
	ST_KB_LIST,
	ST_KB_GEN_GET,
	ST_KB_GEN_BUMP,
	ST_VEC_UPSERT,
	ST_VEC_PRUNE,
	ST_VEC_LIST,
	ST_COUNT
};

static const char *const stmt_sql[ST_COUNT] = {
	[ST_BEGIN] = "BEGIN IMMEDIATE",
	[ST_COMMIT] = "COMMIT",
	[ST_ROLLBACK] = "ROLLBACK",
	[ST_CONV_INSERT] = "INSERT INTO conversations(id, bot, lang, channel, token_hash, created_at, turns)"
			   " VALUES(?1, ?2, ?3, ?4, ?5, ?6, 0)",
	[ST_CONV_GET] = "SELECT id, bot, lang, channel, token_hash, created_at, turns"
			" FROM conversations WHERE id = ?1",
	[ST_CONV_DELETE] = "DELETE FROM conversations WHERE id = ?1",
	[ST_CONV_TURNS] = "SELECT turns FROM conversations WHERE id = ?1",
	[ST_CONV_BUMP] = "UPDATE conversations SET turns = turns + ?2 WHERE id = ?1",
	[ST_TURN_INSERT] = "INSERT INTO turns(conv_id, seq, role, kind, text, data, created_at)"
			   " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)",
	[ST_TURN_LIST] = "SELECT seq, role, kind, text, data, created_at FROM turns"
			 " WHERE conv_id = ?1 ORDER BY seq",
	[ST_FEEDBACK_INSERT] = "INSERT INTO feedback(conv_id, seq, helpful, created_at)"
			       " SELECT ?1, ?2, ?3, ?4 WHERE EXISTS"
			       " (SELECT 1 FROM conversations WHERE id = ?1)",
	[ST_KB_MAX_ORD] = "SELECT coalesce(max(ord), 0) FROM kb_entries WHERE bot = ?1",
	[ST_KB_UPSERT] = "INSERT INTO kb_entries(bot, id, ord, question, title, answer, url, lang, tags, updated_at)"
			 " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"
			 " ON CONFLICT(bot, id) DO UPDATE SET question = excluded.question,"
			 " title = excluded.title, answer = excluded.answer, url = excluded.url,"
			 " lang = excluded.lang, tags = excluded.tags, updated_at = excluded.updated_at",
	[ST_KB_LIST] = "SELECT id, question, title, answer, url, lang, tags FROM kb_entries"
		       " WHERE bot = ?1 ORDER BY ord",
	[ST_KB_GEN_GET] = "SELECT generation FROM kb_meta WHERE bot = ?1",
	[ST_KB_GEN_BUMP] = "INSERT INTO kb_meta(bot, generation) VALUES(?1, 1)"
			   " ON CONFLICT(bot) DO UPDATE SET generation = generation + 1",
	[ST_VEC_UPSERT] = "INSERT INTO kb_vectors(bot, model, entry_id, text_hash, dim, vec,"
			  " updated_at) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)"
			  " ON CONFLICT(bot, model, entry_id) DO UPDATE SET"
			  " text_hash = excluded.text_hash, dim = excluded.dim, vec = excluded.vec,"
			  " updated_at = excluded.updated_at",
	[ST_VEC_PRUNE] = "DELETE FROM kb_vectors WHERE bot = ?1 AND NOT EXISTS"
			 " (SELECT 1 FROM kb_entries e WHERE e.bot = kb_vectors.bot"
			 " AND e.id = kb_vectors.entry_id)",
	[ST_VEC_LIST] = "SELECT v.entry_id, v.text_hash, v.dim, v.vec FROM kb_vectors v"
			" JOIN kb_entries e ON e.bot = v.bot AND e.id = v.entry_id"
			" WHERE v.bot = ?1 AND v.model = ?2 ORDER BY e.ord",
};

static const char schema_sql[] =
	"CREATE TABLE IF NOT EXISTS conversations("
	" id TEXT PRIMARY KEY, bot TEXT NOT NULL, lang TEXT NOT NULL, channel TEXT NOT NULL,"
	" token_hash BLOB NOT NULL, created_at INTEGER NOT NULL, turns INTEGER NOT NULL DEFAULT 0);"
	"CREATE TABLE IF NOT EXISTS turns("
	" conv_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,"
	" seq INTEGER NOT NULL, role TEXT NOT NULL, kind TEXT NOT NULL, text TEXT NOT NULL,"
	" data TEXT, created_at INTEGER NOT NULL, PRIMARY KEY(conv_id, seq)) WITHOUT ROWID;"
	"CREATE TABLE IF NOT EXISTS feedback("
	" conv_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,"
	" seq INTEGER NOT NULL, helpful INTEGER NOT NULL, created_at INTEGER NOT NULL);"
	"CREATE INDEX IF NOT EXISTS feedback_by_conv ON feedback(conv_id);"
	"CREATE TABLE IF NOT EXISTS kb_entries("
	" bot TEXT NOT NULL, id TEXT NOT NULL, ord INTEGER NOT NULL, question TEXT, title TEXT,"
	" answer TEXT NOT NULL, url TEXT, lang TEXT, tags TEXT, updated_at INTEGER NOT NULL,"
	" PRIMARY KEY(bot, id));"
	"CREATE TABLE IF NOT EXISTS kb_meta(bot TEXT PRIMARY KEY, generation INTEGER NOT NULL);"
	/* Added after the first release; IF NOT EXISTS upgrades older files. */
	"CREATE TABLE IF NOT EXISTS kb_vectors("
	" bot TEXT NOT NULL, model TEXT NOT NULL, entry_id TEXT NOT NULL, text_hash BLOB NOT NULL,"
	" dim INTEGER NOT NULL, vec BLOB NOT NULL, updated_at INTEGER NOT NULL,"
	" PRIMARY KEY(bot, model, entry_id)) WITHOUT ROWID;"
	/* --- dialog state of a conversation (guided flows) --- */
	"CREATE TABLE IF NOT EXISTS conv_state("
	" conv_id TEXT PRIMARY KEY REFERENCES conversations(id) ON DELETE CASCADE,"
	" state TEXT NOT NULL, updated_at INTEGER NOT NULL) WITHOUT ROWID;"
	/* --- built-in backends (src/integrations) --- */
	"CREATE TABLE IF NOT EXISTS integ_seed(bot TEXT PRIMARY KEY, version TEXT NOT NULL,"
	" seeded_at INTEGER NOT NULL) WITHOUT ROWID;"
	"CREATE TABLE IF NOT EXISTS integ_data(bot TEXT NOT NULL, kind TEXT NOT NULL, key TEXT NOT NULL,"
	" ord INTEGER NOT NULL, value TEXT NOT NULL, PRIMARY KEY(bot, kind, key)) WITHOUT ROWID;"
	"CREATE INDEX IF NOT EXISTS integ_data_by_ord ON integ_data(bot, kind, ord);"
	"CREATE TABLE IF NOT EXISTS integ_appointments(ref TEXT PRIMARY KEY, bot TEXT NOT NULL,"
	" product TEXT NOT NULL, location TEXT NOT NULL, day TEXT NOT NULL, start_min INTEGER NOT NULL,"
	" end_min INTEGER NOT NULL, status TEXT NOT NULL, name TEXT NOT NULL, email TEXT NOT NULL,"
	" created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL);"
	"CREATE INDEX IF NOT EXISTS integ_appointments_by_day ON integ_appointments(bot, location, day);"
	"CREATE TABLE IF NOT EXISTS integ_records(ref TEXT PRIMARY KEY, bot TEXT NOT NULL,"
	" kind TEXT NOT NULL, status TEXT NOT NULL, key TEXT NOT NULL, uniq TEXT, lat REAL, lon REAL,"
	" num INTEGER NOT NULL DEFAULT 0, data TEXT, created_at INTEGER NOT NULL);"
	"CREATE UNIQUE INDEX IF NOT EXISTS integ_records_uniq ON integ_records(bot, kind, uniq);"
	"CREATE INDEX IF NOT EXISTS integ_records_by_pos ON integ_records(bot, kind, key, lat);"
	"CREATE TABLE IF NOT EXISTS integ_attachments(id TEXT PRIMARY KEY, bot TEXT NOT NULL,"
	" conv_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,"
	" content_type TEXT NOT NULL, size INTEGER NOT NULL, data BLOB NOT NULL,"
	" created_at INTEGER NOT NULL);"
	"CREATE INDEX IF NOT EXISTS integ_attachments_by_conv ON integ_attachments(conv_id);"
	/* --- messaging channels: inbound events (dedupe + crash recovery), users' conversations --- */
	"CREATE TABLE IF NOT EXISTS channel_inbox(bot TEXT NOT NULL, channel TEXT NOT NULL,"
	" event_id TEXT NOT NULL, user TEXT NOT NULL, kind TEXT NOT NULL, text TEXT,"
	" callback_id TEXT, lang TEXT, received_at INTEGER NOT NULL, done INTEGER NOT NULL DEFAULT 0,"
	" PRIMARY KEY(bot, channel, event_id)) WITHOUT ROWID;"
	"CREATE INDEX IF NOT EXISTS channel_inbox_open ON channel_inbox(bot, done, received_at);"
	"CREATE TABLE IF NOT EXISTS channel_links(bot TEXT NOT NULL, channel TEXT NOT NULL,"
	" user TEXT NOT NULL, conv_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,"
	" last_inbound INTEGER NOT NULL, PRIMARY KEY(bot, channel, user)) WITHOUT ROWID;"
	"CREATE INDEX IF NOT EXISTS channel_links_by_conv ON channel_links(conv_id);";

struct conn {
	sqlite3 *db;
	sqlite3_stmt *stmt[ST_COUNT];
	int in_use;
};

struct sqlite_store {
	struct conn pool[POOL_SIZE];
	size_t n;
	pthread_mutex_t lock;
	pthread_cond_t freed;
};

int sq_db_error(struct lk_err *err, sqlite3 *db, const char *what)
{
	return lk_err_set(err, LK_EDB, "sqlite: %s: %s", what, db ? sqlite3_errmsg(db) : "no connection");
}

/* SQLite's own busy timeout sleeps up to 100 ms between tries, which is
 * what a writer waiting behind another writer of this process then waits
 * (a long tail under many concurrent writes). Writers here hold the lock
 * for well under a millisecond, so retry soon: 50 us, growing to 2 ms,
 * for at most BUSY_TIMEOUT_MS in all. */
static int busy_wait(void *ud, int tries)
{
	/* sleeps: 50, 100, 200, 400, 800, 1600 us, then 2000 us each */
	int64_t step = tries < 6 ? (int64_t)50 << tries : 2000;
	int64_t waited = tries <= 6 ? 50 * (((int64_t)1 << tries) - 1)
				    : 3150 + (int64_t)(tries - 6) * 2000;
	struct timespec ts;

	if (waited >= (int64_t)BUSY_TIMEOUT_MS * 1000)
		return 0; /* give up: SQLITE_BUSY */
	ts.tv_sec = 0;
	ts.tv_nsec = (long)step * 1000;
	nanosleep(&ts, NULL);
	return 1;
}

static int conn_open(struct conn *c, const char *path, int first, struct lk_err *err)
{
	int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
	char *msg = NULL;

	memset(c, 0, sizeof(*c));
	if (sqlite3_open_v2(path, &c->db, flags, NULL) != SQLITE_OK)
		goto fail;
	sqlite3_busy_handler(c->db, busy_wait, NULL);
	if (sqlite3_exec(c->db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
			 " PRAGMA foreign_keys=ON;", NULL, NULL, &msg) != SQLITE_OK)
		goto fail;
	if (first && sqlite3_exec(c->db, schema_sql, NULL, NULL, &msg) != SQLITE_OK)
		goto fail;
	if (first && sqlite3_exec(c->db, sq_handoff_schema, NULL, NULL, &msg) != SQLITE_OK)
		goto fail;
	for (int i = 0; i < ST_COUNT; i++) {
		if (sqlite3_prepare_v3(c->db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT,
				       &c->stmt[i], NULL) != SQLITE_OK)
			goto fail;
	}
	return 0;
fail:
	lk_err_set(err, LK_EDB, "sqlite: cannot open %s: %s", path,
		   msg ? msg : (c->db ? sqlite3_errmsg(c->db) : "out of memory"));
	sqlite3_free(msg);
	for (int i = 0; i < ST_COUNT; i++)
		sqlite3_finalize(c->stmt[i]);
	sqlite3_close(c->db);
	c->db = NULL;
	return LK_EDB;
}

static void conn_close(struct conn *c)
{
	for (int i = 0; i < ST_COUNT; i++)
		sqlite3_finalize(c->stmt[i]);
	sqlite3_close(c->db);
}

static void sqlite_close(void *impl)
{
	struct sqlite_store *s = impl;

	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++)
		conn_close(&s->pool[i]);
	pthread_mutex_destroy(&s->lock);
	pthread_cond_destroy(&s->freed);
	free(s);
}

static int sqlite_open(void **impl, const char *path, struct lk_err *err)
{
	struct sqlite_store *s;
	size_t want = POOL_SIZE;
	int rc;

	if (!*path)
		return lk_err_set(err, LK_EINVAL, "sqlite: empty database path");
	/* Every connection to ":memory:" would be a different database. */
	if (!strcmp(path, ":memory:"))
		want = 1;
	s = xcalloc(1, sizeof(*s));
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->freed, NULL);
	for (size_t i = 0; i < want; i++) {
		rc = conn_open(&s->pool[i], path, i == 0, err);
		if (rc) {
			sqlite_close(s);
			return rc;
		}
		s->n++;
	}
	*impl = s;
	return 0;
}

/* Borrows a free connection; blocks until one is free. */
struct conn *sq_conn_get(struct sqlite_store *s)
{
	struct conn *c = NULL;

	pthread_mutex_lock(&s->lock);
	for (;;) {
		for (size_t i = 0; i < s->n && !c; i++) {
			if (!s->pool[i].in_use)
				c = &s->pool[i];
		}
		if (c)
			break;
		pthread_cond_wait(&s->freed, &s->lock);
	}
	c->in_use = 1;
	pthread_mutex_unlock(&s->lock);
	return c;
}

sqlite3 *sq_conn_db(struct conn *c)
{
	return c->db;
}

void sq_conn_put(struct sqlite_store *s, struct conn *c)
{
	pthread_mutex_lock(&s->lock);
	c->in_use = 0;
	pthread_cond_signal(&s->freed);
	pthread_mutex_unlock(&s->lock);
}

static sqlite3_stmt *stmt(struct conn *c, enum stmt_id id)
{
	sqlite3_reset(c->stmt[id]);
	sqlite3_clear_bindings(c->stmt[id]);
	return c->stmt[id];
}

static int step_done(struct conn *c, sqlite3_stmt *st, const char *what, struct lk_err *err)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return sq_db_error(err, c->db, what);
	return 0;
}

int sq_txn_begin(struct conn *c, struct lk_err *err)
{
	return step_done(c, stmt(c, ST_BEGIN), "begin", err);
}

int sq_txn_commit(struct conn *c, struct lk_err *err)
{
	return step_done(c, stmt(c, ST_COMMIT), "commit", err);
}

void sq_txn_rollback(struct conn *c)
{
	if (!sqlite3_get_autocommit(c->db))
		step_done(c, stmt(c, ST_ROLLBACK), "rollback", NULL);
}

int sq_txn_end(struct conn *c, int rc, struct lk_err *err)
{
	if (!rc)
		rc = sq_txn_commit(c, err);
	if (rc)
		sq_txn_rollback(c);
	return rc;
}

void sq_bind_text(sqlite3_stmt *st, int i, const char *s)
{
	if (s)
		sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, i);
}

void sq_copy_column(char *dst, size_t size, sqlite3_stmt *st, int col)
{
	const unsigned char *s = sqlite3_column_text(st, col);
	size_t n = s ? strnlen((const char *)s, size - 1) : 0;

	memcpy(dst, s ? (const char *)s : "", n);
	dst[n] = '\0';
}

char *sq_dup_column(sqlite3_stmt *st, int col)
{
	const unsigned char *s = sqlite3_column_text(st, col);

	return s ? xstrdup((const char *)s) : NULL;
}

/* --- running statements: the SQL, its parameters, what a row becomes --- */

/* The error of a failed step: LK_EEXIST on a constraint, else LK_EDB. */
static int sq_exec_error(struct conn *c, const char *what, struct lk_err *err)
{
	if ((sqlite3_extended_errcode(c->db) & 0xff) == SQLITE_CONSTRAINT)
		return lk_err_set(err, LK_EEXIST, "sqlite: %s: %s", what, sqlite3_errmsg(c->db));
	return sq_db_error(err, c->db, what);
}

int sq_prepare(struct conn *c, const char *sql, sqlite3_stmt **st, struct lk_err *err)
{
	*st = NULL;
	if (sqlite3_prepare_v2(c->db, sql, -1, st, NULL) != SQLITE_OK)
		return sq_db_error(err, c->db, "prepare");
	return 0;
}

/* Runs a statement that returns no rows; the caller finalizes it. */
int sq_exec(struct conn *c, sqlite3_stmt *st, const char *what, struct lk_err *err)
{
	if (sqlite3_step(st) == SQLITE_DONE)
		return 0;
	return sq_exec_error(c, what, err);
}

void sq_bind_args(sqlite3_stmt *st, const struct sq_arg *args, size_t n)
{
	size_t last = (size_t)sqlite3_bind_parameter_count(st);

	for (size_t i = 0; i < n && i < last; i++) {
		const struct sq_arg *a = &args[i];

		switch (a->kind) {
		case SQ_ARG_TEXT:
			sq_bind_text(st, (int)i + 1, a->p);
			break;
		case SQ_ARG_INT:
			sqlite3_bind_int64(st, (int)i + 1, a->i);
			break;
		case SQ_ARG_BLOB:
			sqlite3_bind_blob(st, (int)i + 1, a->p, (int)a->i, SQLITE_STATIC);
			break;
		case SQ_ARG_REAL:
			sqlite3_bind_double(st, (int)i + 1, a->d);
			break;
		}
	}
}

int sq_prepare_args(struct conn *c, const char *sql, const struct sq_arg *args, size_t n,
		    sqlite3_stmt **st, struct lk_err *err)
{
	int rc = sq_prepare(c, sql, st, err);

	if (!rc)
		sq_bind_args(*st, args, n);
	return rc;
}

/* Steps st until its end or rows->max rows, handing each row to rows->row. */
static int step_rows(struct conn *c, sqlite3_stmt *st, struct sq_rows *rows, const char *what,
		     struct lk_err *err)
{
	int rc;

	rows->n = 0;
	while (!rows->max || rows->n < rows->max) {
		rc = sqlite3_step(st);
		if (rc == SQLITE_DONE)
			break;
		if (rc != SQLITE_ROW)
			return sq_exec_error(c, what, err);
		if (rows->row)
			rows->row(st, rows->ud);
		rows->n++;
	}
	return 0;
}

int sq_run_on(struct conn *c, const char *sql, const struct sq_arg *args, size_t n,
	      const char *what, int *changes, struct lk_err *err)
{
	sqlite3_stmt *st = NULL;
	int rc = sq_prepare_args(c, sql, args, n, &st, err);

	if (!rc)
		rc = sq_exec(c, st, what, err);
	if (!rc && changes)
		*changes = sqlite3_changes(c->db);
	sqlite3_finalize(st);
	return rc;
}

int sq_query_on(struct conn *c, const char *sql, const struct sq_arg *args, size_t n,
		struct sq_rows *rows, const char *what, struct lk_err *err)
{
	sqlite3_stmt *st = NULL;
	int rc = sq_prepare_args(c, sql, args, n, &st, err);

	rows->n = 0;
	if (!rc)
		rc = step_rows(c, st, rows, what, err);
	sqlite3_finalize(st);
	return rc;
}

int sq_run(struct sqlite_store *s, const char *sql, const struct sq_arg *args, size_t n,
	   const char *what, int *changes, struct lk_err *err)
{
	struct conn *c = sq_conn_get(s);
	int rc = sq_run_on(c, sql, args, n, what, changes, err);

	sq_conn_put(s, c);
	return rc;
}

int sq_query(struct sqlite_store *s, const char *sql, const struct sq_arg *args, size_t n,
	     struct sq_rows *rows, const char *what, struct lk_err *err)
{
	struct conn *c = sq_conn_get(s);
	int rc = sq_query_on(c, sql, args, n, rows, what, err);

	sq_conn_put(s, c);
	return rc;
}

void sq_row_int64(sqlite3_stmt *st, void *ud)
{
	*(int64_t *)ud = sqlite3_column_int64(st, 0);
}

void sq_row_dup(sqlite3_stmt *st, void *ud)
{
	char **out = ud;

	free(*out);
	*out = sq_dup_column(st, 0);
}

void *sq_grow(void *v, size_t n, size_t size)
{
	if (n < 16 ? n == 0 : (n & (n - 1)) == 0)
		v = xreallocarray(v, n < 16 ? 16 : n * 2, size);
	return v;
}

/* The same on the connection's cached statement id (the message path, which
 * prepares nothing per call). A statement that returns no rows fails with
 * LK_EDB, constraints included. Bindings are cleared after the step, so no
 * cached statement keeps pointers into the caller's memory. */
static int stmt_run_on(struct conn *c, enum stmt_id id, const struct sq_arg *args, size_t n,
		       const char *what, int *changes, struct lk_err *err)
{
	sqlite3_stmt *st = stmt(c, id);
	int rc;

	sq_bind_args(st, args, n);
	rc = step_done(c, st, what, err);
	if (!rc && changes)
		*changes = sqlite3_changes(c->db);
	sqlite3_clear_bindings(st);
	return rc;
}

static int stmt_query_on(struct conn *c, enum stmt_id id, const struct sq_arg *args, size_t n,
			 struct sq_rows *rows, const char *what, struct lk_err *err)
{
	sqlite3_stmt *st = stmt(c, id);
	int rc;

	sq_bind_args(st, args, n);
	rc = step_rows(c, st, rows, what, err);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc;
}

static int stmt_run(struct sqlite_store *s, enum stmt_id id, const struct sq_arg *args, size_t n,
		    const char *what, int *changes, struct lk_err *err)
{
	struct conn *c = sq_conn_get(s);
	int rc = stmt_run_on(c, id, args, n, what, changes, err);

	sq_conn_put(s, c);
	return rc;
}

static int stmt_query(struct sqlite_store *s, enum stmt_id id, const struct sq_arg *args,
		      size_t n, struct sq_rows *rows, const char *what, struct lk_err *err)
{
	struct conn *c = sq_conn_get(s);
	int rc = stmt_query_on(c, id, args, n, rows, what, err);

	sq_conn_put(s, c);
	return rc;
}

/* --- conversations, turns, feedback --- */

static int sqlite_conv_create(void *impl, const struct store_conv *cv, struct lk_err *err)
{
	return stmt_run(impl, ST_CONV_INSERT,
			SQ_ARGS(SQ_TEXT(cv->id), SQ_TEXT(cv->bot), SQ_TEXT(cv->lang),
				SQ_TEXT(cv->channel), SQ_BLOB(cv->token_hash, STORE_TOKEN_HASH_LEN),
				SQ_INT(cv->created_at ? cv->created_at : (int64_t)time(NULL))),
			"create conversation", NULL, err);
}

static void conv_from_row(sqlite3_stmt *st, void *ud)
{
	struct store_conv *out = ud;
	const void *hash = sqlite3_column_blob(st, 4);

	memset(out, 0, sizeof(*out));
	sq_copy_column(out->id, sizeof(out->id), st, 0);
	sq_copy_column(out->bot, sizeof(out->bot), st, 1);
	sq_copy_column(out->lang, sizeof(out->lang), st, 2);
	sq_copy_column(out->channel, sizeof(out->channel), st, 3);
	if (hash && sqlite3_column_bytes(st, 4) == STORE_TOKEN_HASH_LEN)
		memcpy(out->token_hash, hash, STORE_TOKEN_HASH_LEN);
	out->created_at = sqlite3_column_int64(st, 5);
	out->turns = sqlite3_column_int64(st, 6);
}

static int sqlite_conv_get(void *impl, const char *id, struct store_conv *out, struct lk_err *err)
{
	struct sq_rows rows = {.row = conv_from_row, .ud = out, .max = 1};
	int rc = stmt_query(impl, ST_CONV_GET, SQ_ARGS(SQ_TEXT(id)), &rows, "get conversation",
			    err);

	if (!rc && !rows.n)
		rc = lk_err_set(err, LK_ENOTFOUND, "conversation not found");
	return rc;
}

static int sqlite_conv_delete(void *impl, const char *id, struct lk_err *err)
{
	struct sqlite_store *s = impl;
	struct conn *c = sq_conn_get(s);
	int rc, changes = 0;

	/* Handoffs and tickets carry no foreign key to the conversation: they
	 * go explicitly, in the same transaction (also when the conversation
	 * row itself is gone already). Audit rows stay: they hold no content. */
	rc = sq_txn_begin(c, err);
	if (!rc)
		rc = sq_handoff_purge_conv(c, id, err);
	if (!rc)
		rc = stmt_run_on(c, ST_CONV_DELETE, SQ_ARGS(SQ_TEXT(id)), "delete conversation",
				 &changes, err);
	rc = sq_txn_end(c, rc, err);
	if (!rc && changes == 0)
		rc = lk_err_set(err, LK_ENOTFOUND, "conversation not found");
	sq_conn_put(s, c);
	return rc;
}

static int insert_turn(struct conn *c, const char *conv_id, struct store_turn *t,
		       struct lk_err *err)
{
	if (!t->created_at)
		t->created_at = (int64_t)time(NULL);
	return stmt_run_on(c, ST_TURN_INSERT,
			   SQ_ARGS(SQ_TEXT(conv_id), SQ_INT(t->seq), SQ_TEXT(t->role),
				   SQ_TEXT(t->kind), SQ_TEXT(t->text ? t->text : ""),
				   SQ_TEXT(t->data), SQ_INT(t->created_at)),
			   "insert turn", NULL, err);
}

/* Sets (or, for "", clears) the dialog state inside the caller's transaction. */
static int put_state(struct conn *c, const char *conv_id, const char *state, struct lk_err *err)
{
	return sq_run_on(c, *state ? "INSERT INTO conv_state(conv_id, state, updated_at)"
				     " VALUES(?1, ?2, ?3) ON CONFLICT(conv_id) DO UPDATE SET"
				     " state = ?2, updated_at = ?3"
				   : "DELETE FROM conv_state WHERE conv_id = ?1",
			 SQ_ARGS(SQ_TEXT(conv_id), SQ_TEXT(state), SQ_INT((int64_t)time(NULL))),
			 "store state", NULL, err);
}

static int sqlite_conv_state_get(void *impl, const char *conv_id, char **out, struct lk_err *err)
{
	struct sq_rows rows = {.row = sq_row_dup, .ud = out, .max = 1};

	*out = NULL;
	return sq_query(impl, "SELECT state FROM conv_state WHERE conv_id = ?1",
			SQ_ARGS(SQ_TEXT(conv_id)), &rows, "read state", err);
}

static int sqlite_turns_append_state(void *impl, const char *conv_id, struct store_turn *turns,
				     size_t n, const char *state, struct lk_err *err);

static int sqlite_turns_append(void *impl, const char *conv_id, struct store_turn *turns,
			       size_t n, struct lk_err *err)
{
	return sqlite_turns_append_state(impl, conv_id, turns, n, NULL, err);
}

static int sqlite_turns_append_state(void *impl, const char *conv_id, struct store_turn *turns,
				     size_t n, const char *state, struct lk_err *err)
{
	struct sqlite_store *s = impl;
	struct conn *c = sq_conn_get(s);
	int64_t base = 0;
	struct sq_rows one = {.row = sq_row_int64, .ud = &base, .max = 1};
	int rc;

	rc = sq_txn_begin(c, err);
	if (!rc)
		rc = stmt_query_on(c, ST_CONV_TURNS, SQ_ARGS(SQ_TEXT(conv_id)), &one, "count turns",
				   err);
	if (!rc && !one.n)
		rc = lk_err_set(err, LK_ENOTFOUND, "conversation not found");
	if (!rc && n && turns[0].seq && turns[0].seq != base + 1)
		rc = lk_err_set(err, LK_EBUSY, "conversation changed meanwhile");
	for (size_t i = 0; i < n && !rc; i++) {
		turns[i].seq = base + (int64_t)i + 1;
		rc = insert_turn(c, conv_id, &turns[i], err);
	}
	if (!rc)
		rc = stmt_run_on(c, ST_CONV_BUMP, SQ_ARGS(SQ_TEXT(conv_id), SQ_INT((int64_t)n)),
				 "count turns", NULL, err);
	if (!rc && state)
		rc = put_state(c, conv_id, state, err);
	rc = sq_txn_end(c, rc, err);
	sq_conn_put(s, c);
	return rc;
}

static void turn_from_row(sqlite3_stmt *st, void *ud)
{
	struct store_turns *out = ud;
	struct store_turn *t;

	out->v = sq_grow(out->v, out->n, sizeof(*out->v));
	t = &out->v[out->n++];
	memset(t, 0, sizeof(*t));
	t->seq = sqlite3_column_int64(st, 0);
	sq_copy_column(t->role, sizeof(t->role), st, 1);
	sq_copy_column(t->kind, sizeof(t->kind), st, 2);
	t->text = sq_dup_column(st, 3);
	t->data = sq_dup_column(st, 4);
	t->created_at = sqlite3_column_int64(st, 5);
}

static int sqlite_turns_list(void *impl, const char *conv_id, struct store_turns *out,
			     struct lk_err *err)
{
	struct sq_rows rows = {.row = turn_from_row, .ud = out};
	int rc = stmt_query(impl, ST_TURN_LIST, SQ_ARGS(SQ_TEXT(conv_id)), &rows, "list turns",
			    err);

	if (rc)
		store_turns_release(out);
	return rc;
}

static int sqlite_feedback_add(void *impl, const char *conv_id, int64_t seq, int helpful,
			       struct lk_err *err)
{
	int changes = 0;
	int rc = stmt_run(impl, ST_FEEDBACK_INSERT,
			  SQ_ARGS(SQ_TEXT(conv_id), SQ_INT(seq), SQ_INT(helpful ? 1 : 0),
				  SQ_INT((int64_t)time(NULL))),
			  "add feedback", &changes, err);

	if (!rc && changes == 0)
		rc = lk_err_set(err, LK_ENOTFOUND, "conversation not found");
	return rc;
}

/* --- knowledge base: entries, generation, vectors --- */

static int upsert_entry(struct conn *c, const char *bot, const struct kb_entry *e, int64_t ord,
			int64_t now, struct lk_err *err)
{
	return stmt_run_on(c, ST_KB_UPSERT,
			   SQ_ARGS(SQ_TEXT(bot), SQ_TEXT(e->id), SQ_INT(ord), SQ_TEXT(e->question),
				   SQ_TEXT(e->title), SQ_TEXT(e->answer ? e->answer : ""),
				   SQ_TEXT(e->url), SQ_TEXT(e->lang), SQ_TEXT(e->tags),
				   SQ_INT(now)),
			   "store knowledge-base entry", NULL, err);
}

static int sqlite_kb_upsert(void *impl, const char *bot, const struct kb_entries *entries,
			    struct lk_err *err)
{
	struct sqlite_store *s = impl;
	struct conn *c = sq_conn_get(s);
	int64_t ord = 0, now = (int64_t)time(NULL);
	struct sq_rows one = {.row = sq_row_int64, .ud = &ord, .max = 1};
	int rc;

	rc = sq_txn_begin(c, err);
	if (!rc)
		rc = stmt_query_on(c, ST_KB_MAX_ORD, SQ_ARGS(SQ_TEXT(bot)), &one,
				   "read knowledge-base order", err);
	if (!rc && !one.n)
		rc = sq_db_error(err, c->db, "read knowledge-base order");
	for (size_t i = 0; i < entries->n && !rc; i++)
		rc = upsert_entry(c, bot, &entries->v[i], ++ord, now, err);
	if (!rc)
		rc = stmt_run_on(c, ST_KB_GEN_BUMP, SQ_ARGS(SQ_TEXT(bot)),
				 "bump knowledge-base generation", NULL, err);
	rc = sq_txn_end(c, rc, err);
	sq_conn_put(s, c);
	return rc;
}

static int read_generation(struct conn *c, const char *bot, int64_t *generation,
			   struct lk_err *err)
{
	struct sq_rows one = {.row = sq_row_int64, .ud = generation, .max = 1};

	*generation = 0;
	return stmt_query_on(c, ST_KB_GEN_GET, SQ_ARGS(SQ_TEXT(bot)), &one,
			     "read knowledge-base generation", err);
}

static void kb_entry_from_row(sqlite3_stmt *st, void *ud)
{
	struct kb_entry e;

	kb_entry_init(&e);
	e.id = sq_dup_column(st, 0);
	e.question = sq_dup_column(st, 1);
	e.title = sq_dup_column(st, 2);
	e.answer = sq_dup_column(st, 3);
	e.url = sq_dup_column(st, 4);
	e.lang = sq_dup_column(st, 5);
	e.tags = sq_dup_column(st, 6);
	kb_entries_push(ud, &e);
}

static int sqlite_kb_load(void *impl, const char *bot, struct kb_entries *out,
			  int64_t *generation, struct lk_err *err)
{
	struct sqlite_store *s = impl;
	struct conn *c = sq_conn_get(s);
	struct sq_rows rows = {.row = kb_entry_from_row, .ud = out};
	int rc;

	/* One read transaction so entries and generation agree. */
	if (sqlite3_exec(c->db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
		rc = sq_db_error(err, c->db, "begin read");
	else
		rc = read_generation(c, bot, generation, err);
	if (!rc)
		rc = stmt_query_on(c, ST_KB_LIST, SQ_ARGS(SQ_TEXT(bot)), &rows,
				   "load knowledge base", err);
	sqlite3_exec(c->db, "COMMIT", NULL, NULL, NULL);
	sq_conn_put(s, c);
	return rc;
}

static int sqlite_kb_generation(void *impl, const char *bot, int64_t *generation,
				struct lk_err *err)
{
	struct sqlite_store *s = impl;
	struct conn *c = sq_conn_get(s);
	int rc = read_generation(c, bot, generation, err);

	sq_conn_put(s, c);
	return rc;
}

/* Vectors are little-endian float32 whatever the host's byte order. */
static void vec_encode(unsigned char *dst, const float *v, size_t dim)
{
	for (size_t i = 0; i < dim; i++) {
		uint32_t u;

		memcpy(&u, &v[i], sizeof(u));
		dst[4 * i] = (unsigned char)u;
		dst[4 * i + 1] = (unsigned char)(u >> 8);
		dst[4 * i + 2] = (unsigned char)(u >> 16);
		dst[4 * i + 3] = (unsigned char)(u >> 24);
	}
}

static void vec_decode(float *dst, const unsigned char *src, size_t dim)
{
	for (size_t i = 0; i < dim; i++) {
		uint32_t u = (uint32_t)src[4 * i] | (uint32_t)src[4 * i + 1] << 8 |
			     (uint32_t)src[4 * i + 2] << 16 | (uint32_t)src[4 * i + 3] << 24;

		memcpy(&dst[i], &u, sizeof(u));
	}
}

static int put_vector(struct conn *c, const char *bot, const char *model,
		      const struct store_vec *v, int64_t now, struct lk_err *err)
{
	unsigned char *blob = xmalloc(v->dim * 4);
	int rc;

	vec_encode(blob, v->v, v->dim);
	rc = stmt_run_on(c, ST_VEC_UPSERT,
			 SQ_ARGS(SQ_TEXT(bot), SQ_TEXT(model), SQ_TEXT(v->entry_id),
				 SQ_BLOB(v->text_hash, STORE_VEC_HASH_LEN), SQ_INT((int64_t)v->dim),
				 SQ_BLOB(blob, (int64_t)(v->dim * 4)), SQ_INT(now)),
			 "store knowledge-base vector", NULL, err);
	free(blob);
	return rc;
}

/* store.c has checked the arguments (ids, dimensions). */
static int sqlite_kb_vectors_put(void *impl, const char *bot, const char *model,
				 const struct store_vec *v, size_t n, struct lk_err *err)
{
	struct sqlite_store *s = impl;
	struct conn *c = sq_conn_get(s);
	int64_t now = (int64_t)time(NULL);
	int rc;

	rc = sq_txn_begin(c, err);
	for (size_t i = 0; i < n && !rc; i++)
		rc = put_vector(c, bot, model, &v[i], now, err);
	if (!rc)
		rc = stmt_run_on(c, ST_VEC_PRUNE, SQ_ARGS(SQ_TEXT(bot)),
				 "delete orphaned knowledge-base vectors", NULL, err);
	if (!rc)
		rc = stmt_run_on(c, ST_KB_GEN_BUMP, SQ_ARGS(SQ_TEXT(bot)),
				 "bump knowledge-base generation", NULL, err);
	rc = sq_txn_end(c, rc, err);
	sq_conn_put(s, c);
	return rc;
}

static void vec_from_row(sqlite3_stmt *st, void *ud)
{
	struct store_vecs *out = ud;
	const unsigned char *id = sqlite3_column_text(st, 0);
	const void *hash = sqlite3_column_blob(st, 1);
	int hash_len = sqlite3_column_bytes(st, 1);
	int64_t dim = sqlite3_column_int64(st, 2);
	const void *blob = sqlite3_column_blob(st, 3);
	int64_t blob_len = sqlite3_column_bytes(st, 3);
	struct store_vec *v;

	/* A row written by something else than this code is skipped. */
	if (!id || !*id || !hash || hash_len != STORE_VEC_HASH_LEN || dim < 1 ||
	    dim > STORE_VEC_DIM_MAX || !blob || blob_len != dim * 4)
		return;
	out->v = sq_grow(out->v, out->n, sizeof(*out->v));
	v = &out->v[out->n++];
	v->entry_id = xstrdup((const char *)id);
	memcpy(v->text_hash, hash, STORE_VEC_HASH_LEN);
	v->dim = (size_t)dim;
	v->v = xmalloc(v->dim * sizeof(float));
	vec_decode(v->v, blob, v->dim);
}

static int sqlite_kb_vectors_load(void *impl, const char *bot, const char *model,
				  struct store_vecs *out, struct lk_err *err)
{
	struct sq_rows rows = {.row = vec_from_row, .ud = out};
	int rc = stmt_query(impl, ST_VEC_LIST, SQ_ARGS(SQ_TEXT(bot), SQ_TEXT(model)), &rows,
			    "load knowledge-base vectors", err);

	if (rc)
		store_vecs_release(out);
	return rc;
}

/* --- built-in backends (src/integrations) ---
 * Statements here are prepared per call: these calls come once per flow step,
 * not once per token, and so stay out of the per-connection statement table.
 * Whatever must be atomic (capacity, uniqueness, seeding) runs in one
 * BEGIN IMMEDIATE transaction, which serialises it against every writer. */

#define INTEG_SPANS_MAX 100000 /* booked spans one query returns at most */

/* Replaces the reference data of bot by v[0..n) and records its version,
 * inside the caller's transaction. */
static int idata_reseed(struct conn *c, const char *bot, const char *version,
			const struct store_idata *v, size_t n, struct lk_err *err)
{
	sqlite3_stmt *st = NULL;
	int rc;

	rc = sq_run_on(c, "DELETE FROM integ_data WHERE bot = ?1", SQ_ARGS(SQ_TEXT(bot)),
		       "clear reference data", NULL, err);
	/* One statement for all rows: seeding may insert thousands. */
	if (!rc)
		rc = sq_prepare(c, "INSERT INTO integ_data(bot, kind, key, ord, value)"
				" VALUES(?1, ?2, ?3, ?4, ?5)", &st, err);
	for (size_t i = 0; i < n && !rc; i++) {
		sqlite3_reset(st);
		sq_bind_args(st, SQ_ARGS(SQ_TEXT(bot), SQ_TEXT(v[i].kind), SQ_TEXT(v[i].key),
					 SQ_INT((int64_t)i), SQ_TEXT(v[i].value)));
		rc = sq_exec(c, st, "store reference data", err);
		if (rc == LK_EEXIST)
			rc = lk_err_set(err, LK_EEXIST, "reference data has '%s' '%s' twice",
					v[i].kind, v[i].key);
	}
	sqlite3_finalize(st);
	if (!rc)
		rc = sq_run_on(c, "INSERT INTO integ_seed(bot, version, seeded_at)"
			       " VALUES(?1, ?2, ?3) ON CONFLICT(bot) DO UPDATE SET"
			       " version = ?2, seeded_at = ?3",
			       SQ_ARGS(SQ_TEXT(bot), SQ_TEXT(version), SQ_INT((int64_t)time(NULL))),
			       "record seed version", NULL, err);
	return rc;
}

static int sqlite_idata_seed(void *impl, const char *bot, const char *version,
			     const struct store_idata *v, size_t n, int *seeded, struct lk_err *err)
{
	struct sqlite_store *s = impl;
	struct conn *c = sq_conn_get(s);
	char *have = NULL;
	struct sq_rows one = {.row = sq_row_dup, .ud = &have, .max = 1};
	int rc, fresh;

	rc = sq_txn_begin(c, err);
	if (!rc)
		rc = sq_query_on(c, "SELECT version FROM integ_seed WHERE bot = ?1",
				 SQ_ARGS(SQ_TEXT(bot)), &one, "read seed version", err);
	/* Not when seeded with this very data already. */
	fresh = !rc && (!have || strcmp(have, version));
	if (fresh)
		rc = idata_reseed(c, bot, version, v, n, err);
	rc = sq_txn_end(c, rc, err);
	if (!rc && fresh && seeded)
		*seeded = 1;
	free(have);
	sq_conn_put(s, c);
	return rc;
}

static int sqlite_idata_get(void *impl, const char *bot, const char *kind, const char *key,
			    char **value, struct lk_err *err)
{
	char *found = NULL;
	struct sq_rows one = {.row = sq_row_dup, .ud = &found, .max = 1};
	int rc;

	rc = sq_query(impl, "SELECT value FROM integ_data WHERE bot = ?1 AND kind = ?2"
		      " AND key = ?3", SQ_ARGS(SQ_TEXT(bot), SQ_TEXT(kind), SQ_TEXT(key)), &one,
		      "read reference data", err);
	if (!rc && !one.n)
		rc = lk_err_set(err, LK_ENOTFOUND, "no %s '%s'", kind, key);
	if (!rc)
		*value = found;
	return rc;
}

static void idata_from_row(sqlite3_stmt *st, void *ud)
{
	struct store_idatas *out = ud;
	struct store_idata *d;

	out->v = sq_grow(out->v, out->n, sizeof(*out->v));
	d = &out->v[out->n++];
	d->kind = sq_dup_column(st, 0);
	d->key = sq_dup_column(st, 1);
	d->value = sq_dup_column(st, 2);
}

static int sqlite_idata_list(void *impl, const char *bot, const char *kind,
			     struct store_idatas *out, struct lk_err *err)
{
	struct sq_rows rows = {.row = idata_from_row, .ud = out};
	int rc = sq_query(impl, "SELECT kind, key, value FROM integ_data WHERE bot = ?1"
			  " AND (?2 IS NULL OR kind = ?2) ORDER BY ord",
			  SQ_ARGS(SQ_TEXT(bot), SQ_TEXT(kind)), &rows, "list reference data", err);

	if (rc)
		store_idatas_release(out);
	return rc;
}

/* Booked [start, end) spans in minutes. */
struct spans {
	int (*v)[2];
	size_t n;
};

static void span_from_row(sqlite3_stmt *st, void *ud)
{
	struct spans *sp = ud;

	sp->v = sq_grow(sp->v, sp->n, sizeof(*sp->v));
	sp->v[sp->n][0] = sqlite3_column_int(st, 0);
	sp->v[sp->n][1] = sqlite3_column_int(st, 1);
	sp->n++;
}

/* Whether [start, end) of (bot, location, day) has room under `capacity`,
 * not counting the appointment `self` (may be NULL). The most appointments
 * that overlap at one moment do so at the start of one of them (or at
 * `start`), so those are the only moments to count at. Runs inside the
 * caller's transaction. LK_EBUSY when full. */
static int appt_fits(struct conn *c, const char *bot, const char *location, const char *day,
		     int start, int end, int capacity, const char *self, struct lk_err *err)
{
	struct spans sp = {NULL, 0};
	struct sq_rows rows = {.row = span_from_row, .ud = &sp};
	int rc, full = capacity <= 0;

	rc = sq_query_on(c, "SELECT start_min, end_min FROM integ_appointments WHERE bot = ?1"
			 " AND location = ?2 AND day = ?3 AND status = 'booked' AND start_min < ?5"
			 " AND end_min > ?4 AND (?6 IS NULL OR ref <> ?6) LIMIT 100000",
			 SQ_ARGS(SQ_TEXT(bot), SQ_TEXT(location), SQ_TEXT(day), SQ_INT(start),
				 SQ_INT(end), SQ_TEXT(self)),
			 &rows, "count appointments", err);
	for (size_t i = 0; i <= sp.n && !rc && !full; i++) {
		int at = i == sp.n ? start : sp.v[i][0];
		size_t busy = 0;

		if (at < start)
			continue;
		for (size_t j = 0; j < sp.n; j++)
			busy += sp.v[j][0] <= at && at < sp.v[j][1];
		full = busy >= (size_t)capacity;
	}
	free(sp.v);
	if (!rc && full)
		rc = lk_err_set(err, LK_EBUSY, "no place left at %s on %s at %02d:%02d", location, day,
				start / 60, start % 60);
	return rc;
}

static int sqlite_appt_book(void *impl, const char *bot, const struct store_appt *a, int capacity,
			    struct lk_err *err)
{
	struct sqlite_store *s = impl;
	struct conn *c = sq_conn_get(s);
	int rc;

	rc = sq_txn_begin(c, err);
	if (!rc)
		rc = appt_fits(c, bot, a->location, a->day, a->start_min, a->end_min, capacity, NULL,
			       err);
	if (!rc)
		rc = sq_run_on(c, "INSERT INTO integ_appointments(ref, bot, product, location, day,"
			       " start_min, end_min, status, name, email, created_at, updated_at)"
			       " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, 'booked', ?8, ?9, ?10, ?10)",
			       SQ_ARGS(SQ_TEXT(a->ref), SQ_TEXT(bot), SQ_TEXT(a->product),
				       SQ_TEXT(a->location), SQ_TEXT(a->day), SQ_INT(a->start_min),
				       SQ_INT(a->end_min), SQ_TEXT(a->name), SQ_TEXT(a->email),
				       SQ_INT(a->created_at ? a->created_at : (int64_t)time(NULL))),
			       "book appointment", NULL, err);
	if (rc == LK_EEXIST)
		rc = lk_err_set(err, LK_EEXIST, "appointment reference %s is taken", a->ref);
	rc = sq_txn_end(c, rc, err);
	sq_conn_put(s, c);
	return rc;
}

static void appt_from_row(sqlite3_stmt *st, void *ud)
{
	struct store_appt *out = ud;

	memset(out, 0, sizeof(*out));
	sq_copy_column(out->ref, sizeof(out->ref), st, 0);
	sq_copy_column(out->product, sizeof(out->product), st, 1);
	sq_copy_column(out->location, sizeof(out->location), st, 2);
	sq_copy_column(out->day, sizeof(out->day), st, 3);
	out->start_min = sqlite3_column_int(st, 4);
	out->end_min = sqlite3_column_int(st, 5);
	sq_copy_column(out->status, sizeof(out->status), st, 6);
	sq_copy_column(out->name, sizeof(out->name), st, 7);
	sq_copy_column(out->email, sizeof(out->email), st, 8);
	out->created_at = sqlite3_column_int64(st, 9);
	out->updated_at = sqlite3_column_int64(st, 10);
}

static int sqlite_appt_get(void *impl, const char *bot, const char *ref, struct store_appt *out,
			   struct lk_err *err)
{
	struct sq_rows one = {.row = appt_from_row, .ud = out, .max = 1};
	int rc;

	rc = sq_query(impl, "SELECT ref, product, location, day, start_min, end_min, status, name,"
		      " email, created_at, updated_at FROM integ_appointments"
		      " WHERE ref = ?1 AND bot = ?2",
		      SQ_ARGS(SQ_TEXT(ref), SQ_TEXT(bot)), &one, "read appointment", err);
	if (!rc && !one.n)
		rc = lk_err_set(err, LK_ENOTFOUND, "no appointment %s", ref);
	return rc;
}

static int sqlite_appt_cancel(void *impl, const char *bot, const char *ref, int64_t now,
			      struct lk_err *err)
{
	int changes = 0;
	int rc;

	rc = sq_run(impl, "UPDATE integ_appointments SET status = 'cancelled', updated_at = ?3"
		    " WHERE ref = ?1 AND bot = ?2 AND status = 'booked'",
		    SQ_ARGS(SQ_TEXT(ref), SQ_TEXT(bot), SQ_INT(now)), "cancel appointment",
		    &changes, err);
	if (!rc && changes == 0)
		rc = lk_err_set(err, LK_ENOTFOUND, "no booked appointment %s", ref);
	return rc;
}

static void location_from_row(sqlite3_stmt *st, void *ud)
{
	char(*location)[64] = ud;

	sq_copy_column(*location, sizeof(*location), st, 0);
}

static int sqlite_appt_move(void *impl, const char *bot, const char *ref, const char *day,
			    int start_min, int end_min, int capacity, int64_t now, struct lk_err *err)
{
	struct sqlite_store *s = impl;
	struct conn *c = sq_conn_get(s);
	char location[64] = "";
	struct sq_rows one = {.row = location_from_row, .ud = &location, .max = 1};
	int rc;

	rc = sq_txn_begin(c, err);
	if (!rc)
		rc = sq_query_on(c, "SELECT location FROM integ_appointments WHERE ref = ?1"
				 " AND bot = ?2 AND status = 'booked'",
				 SQ_ARGS(SQ_TEXT(ref), SQ_TEXT(bot)), &one, "read appointment",
				 err);
	if (!rc && !one.n)
		rc = lk_err_set(err, LK_ENOTFOUND, "no booked appointment %s", ref);
	if (!rc)
		rc = appt_fits(c, bot, location, day, start_min, end_min, capacity, ref, err);
	if (!rc)
		rc = sq_run_on(c, "UPDATE integ_appointments SET day = ?3, start_min = ?4,"
			       " end_min = ?5, updated_at = ?6 WHERE ref = ?1 AND bot = ?2",
			       SQ_ARGS(SQ_TEXT(ref), SQ_TEXT(bot), SQ_TEXT(day), SQ_INT(start_min),
				       SQ_INT(end_min), SQ_INT(now)),
			       "move appointment", NULL, err);
	rc = sq_txn_end(c, rc, err);
	sq_conn_put(s, c);
	return rc;
}

static void appt_span_from_row(sqlite3_stmt *st, void *ud)
{
	struct store_appt_spans *out = ud;
	struct store_appt_span *sp;

	out->v = sq_grow(out->v, out->n, sizeof(*out->v));
	sp = &out->v[out->n++];
	sq_copy_column(sp->day, sizeof(sp->day), st, 0);
	sp->start_min = sqlite3_column_int(st, 1);
	sp->end_min = sqlite3_column_int(st, 2);
}

static int sqlite_appt_spans(void *impl, const char *bot, const char *location, const char *from,
			     const char *to, struct store_appt_spans *out, struct lk_err *err)
{
	struct sq_rows rows = {.row = appt_span_from_row, .ud = out};
	int rc;

	rc = sq_query(impl, "SELECT day, start_min, end_min FROM integ_appointments WHERE bot = ?1"
		      " AND location = ?2 AND status = 'booked' AND day BETWEEN ?3 AND ?4"
		      " ORDER BY day, start_min LIMIT ?5",
		      SQ_ARGS(SQ_TEXT(bot), SQ_TEXT(location), SQ_TEXT(from), SQ_TEXT(to),
			      SQ_INT(INTEG_SPANS_MAX)),
		      &rows, "list appointments", err);
	if (rc)
		store_appt_spans_release(out);
	return rc;
}

/* Row callback: columns 0 and 1 into ((int64_t *)ud)[0..1]. */
static void two_int64_from_row(sqlite3_stmt *st, void *ud)
{
	int64_t *v = ud;

	v[0] = sqlite3_column_int64(st, 0);
	v[1] = sqlite3_column_int64(st, 1);
}

static int sqlite_record_add(void *impl, const char *bot, const struct store_record *r,
			     const char *uniq, struct lk_err *err)
{
	struct sqlite_store *s = impl;
	struct conn *c = sq_conn_get(s);
	int64_t taken[2] = {0, 0}; /* rows with this uniq, with this ref */
	struct sq_rows one = {.row = two_int64_from_row, .ud = taken, .max = 1};
	int rc;

	rc = sq_txn_begin(c, err);
	if (!rc)
		rc = sq_query_on(c, "SELECT (SELECT count(*) FROM integ_records WHERE bot = ?1"
				 " AND kind = ?2 AND uniq = ?3),"
				 " (SELECT count(*) FROM integ_records WHERE ref = ?4)",
				 SQ_ARGS(SQ_TEXT(bot), SQ_TEXT(r->kind), SQ_TEXT(uniq),
					 SQ_TEXT(r->ref)),
				 &one, "check record", err);
	if (!rc && !one.n)
		rc = sq_db_error(err, c->db, "check record");
	if (!rc && uniq && taken[0] > 0)
		rc = lk_err_set(err, LK_EEXIST, "a %s for '%s' exists already", r->kind, uniq);
	if (!rc && taken[1] > 0)
		rc = lk_err_set(err, LK_EBUSY, "reference %s is taken", r->ref);
	if (!rc)
		rc = sq_run_on(c, "INSERT INTO integ_records(ref, bot, kind, status, key, uniq,"
			       " lat, lon, num, data, created_at)"
			       " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
			       SQ_ARGS(SQ_TEXT(r->ref), SQ_TEXT(bot), SQ_TEXT(r->kind),
				       SQ_TEXT(r->status), SQ_TEXT(r->key), SQ_TEXT(uniq),
				       r->has_pos ? SQ_REAL(r->lat) : SQ_NULL,
				       r->has_pos ? SQ_REAL(r->lon) : SQ_NULL, SQ_INT(r->num),
				       SQ_TEXT(r->data),
				       SQ_INT(r->created_at ? r->created_at : (int64_t)time(NULL))),
			       "add record", NULL, err);
	rc = sq_txn_end(c, rc, err);
	sq_conn_put(s, c);
	return rc;
}

/* Columns: ref, kind, status, key, lat, lon, num, data, created_at. */
#define RECORD_COLUMNS "ref, kind, status, key, lat, lon, num, data, created_at"

static void record_from_row(sqlite3_stmt *st, void *ud)
{
	struct store_record *r = ud;

	memset(r, 0, sizeof(*r));
	sq_copy_column(r->ref, sizeof(r->ref), st, 0);
	sq_copy_column(r->kind, sizeof(r->kind), st, 1);
	sq_copy_column(r->status, sizeof(r->status), st, 2);
	sq_copy_column(r->key, sizeof(r->key), st, 3);
	r->has_pos = sqlite3_column_type(st, 4) != SQLITE_NULL &&
		     sqlite3_column_type(st, 5) != SQLITE_NULL;
	r->lat = sqlite3_column_double(st, 4);
	r->lon = sqlite3_column_double(st, 5);
	r->num = sqlite3_column_int64(st, 6);
	r->data = sq_dup_column(st, 7);
	r->created_at = sqlite3_column_int64(st, 8);
}

static int sqlite_record_get(void *impl, const char *bot, const char *ref,
			     struct store_record *out, struct lk_err *err)
{
	struct sq_rows one = {.row = record_from_row, .ud = out, .max = 1};
	int rc;

	rc = sq_query(impl, "SELECT " RECORD_COLUMNS " FROM integ_records WHERE ref = ?1"
		      " AND bot = ?2", SQ_ARGS(SQ_TEXT(ref), SQ_TEXT(bot)), &one, "read record", err);
	if (!rc && !one.n)
		rc = lk_err_set(err, LK_ENOTFOUND, "no record %s", ref);
	return rc;
}

static void records_append(sqlite3_stmt *st, void *ud)
{
	struct store_records *out = ud;

	out->v = sq_grow(out->v, out->n, sizeof(*out->v));
	record_from_row(st, &out->v[out->n++]);
}

static int sqlite_records_in_box(void *impl, const char *bot, const char *kind, const char *key,
				 const char *status, double lat0, double lat1, double lon0,
				 double lon1, size_t max, struct store_records *out,
				 struct lk_err *err)
{
	struct sq_rows rows = {.row = records_append, .ud = out};
	int rc;

	rc = sq_query(impl, "SELECT " RECORD_COLUMNS " FROM integ_records WHERE bot = ?1"
		      " AND kind = ?2 AND (?3 IS NULL OR key = ?3) AND (?4 IS NULL OR status = ?4)"
		      " AND lat BETWEEN ?5 AND ?6 AND lon BETWEEN ?7 AND ?8"
		      " ORDER BY created_at DESC, rowid DESC LIMIT ?9",
		      SQ_ARGS(SQ_TEXT(bot), SQ_TEXT(kind), SQ_TEXT(key), SQ_TEXT(status),
			      SQ_REAL(lat0), SQ_REAL(lat1), SQ_REAL(lon0), SQ_REAL(lon1),
			      SQ_INT(max > INTEG_SPANS_MAX ? INTEG_SPANS_MAX : (int64_t)max)),
		      &rows, "list records", err);
	if (rc)
		store_records_release(out);
	return rc;
}

/* Where records_count's rows go: counts[num - lo] for lo <= num <= hi. */
struct num_counts {
	int64_t lo, hi;
	int64_t *counts;
};

static void num_count_from_row(sqlite3_stmt *st, void *ud)
{
	struct num_counts *nc = ud;
	int64_t num = sqlite3_column_int64(st, 0);

	if (num >= nc->lo && num <= nc->hi)
		nc->counts[num - nc->lo] = sqlite3_column_int64(st, 1);
}

static int sqlite_records_count(void *impl, const char *bot, const char *kind, int64_t lo,
				int64_t hi, int64_t *counts, struct lk_err *err)
{
	struct num_counts nc = {lo, hi, counts};
	struct sq_rows rows = {.row = num_count_from_row, .ud = &nc};

	return sq_query(impl, "SELECT num, count(*) FROM integ_records WHERE bot = ?1 AND kind = ?2"
			" AND num BETWEEN ?3 AND ?4 GROUP BY num",
			SQ_ARGS(SQ_TEXT(bot), SQ_TEXT(kind), SQ_INT(lo), SQ_INT(hi)), &rows,
			"count records", err);
}

static int sqlite_attachment_put(void *impl, const char *bot, const struct store_attachment *a,
				 struct lk_err *err)
{
	struct sqlite_store *s = impl;
	struct conn *c = sq_conn_get(s);
	struct sq_rows one = {.max = 1};
	int rc;

	rc = sq_txn_begin(c, err);
	if (!rc)
		rc = sq_query_on(c, "SELECT 1 FROM conversations WHERE id = ?1 AND bot = ?2",
				 SQ_ARGS(SQ_TEXT(a->conv_id), SQ_TEXT(bot)), &one,
				 "find conversation", err);
	if (!rc && !one.n)
		rc = lk_err_set(err, LK_ENOTFOUND, "conversation not found");
	if (!rc)
		rc = sq_run_on(c, "INSERT INTO integ_attachments(id, bot, conv_id, content_type,"
			       " size, data, created_at) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)",
			       SQ_ARGS(SQ_TEXT(a->id), SQ_TEXT(bot), SQ_TEXT(a->conv_id),
				       SQ_TEXT(a->content_type), SQ_INT((int64_t)a->size),
				       SQ_BLOB(a->data, (int64_t)a->size),
				       SQ_INT(a->created_at ? a->created_at : (int64_t)time(NULL))),
			       "store attachment", NULL, err);
	rc = sq_txn_end(c, rc, err);
	sq_conn_put(s, c);
	return rc;
}

/* An attachment's row; the data (column 5) when the query selects it. */
static void attachment_from_row(sqlite3_stmt *st, void *ud)
{
	struct store_attachment *out = ud;

	sq_copy_column(out->id, sizeof(out->id), st, 0);
	sq_copy_column(out->conv_id, sizeof(out->conv_id), st, 1);
	sq_copy_column(out->content_type, sizeof(out->content_type), st, 2);
	out->size = (size_t)sqlite3_column_int64(st, 3);
	out->created_at = sqlite3_column_int64(st, 4);
	if (sqlite3_column_count(st) > 5) {
		const void *blob = sqlite3_column_blob(st, 5);
		size_t len = (size_t)sqlite3_column_bytes(st, 5);

		out->size = len;
		out->data = xmalloc(len ? len : 1);
		if (len)
			memcpy(out->data, blob, len);
	}
}

static int sqlite_attachment_get(void *impl, const char *bot, const char *id, int with_data,
				 struct store_attachment *out, struct lk_err *err)
{
	struct sq_rows one = {.row = attachment_from_row, .ud = out, .max = 1};
	int rc;

	rc = sq_query(impl, with_data ? "SELECT id, conv_id, content_type, size, created_at, data"
					" FROM integ_attachments WHERE id = ?1 AND bot = ?2"
				      : "SELECT id, conv_id, content_type, size, created_at"
					" FROM integ_attachments WHERE id = ?1 AND bot = ?2",
		      SQ_ARGS(SQ_TEXT(id), SQ_TEXT(bot)), &one, "read attachment", err);
	if (!rc && !one.n)
		rc = lk_err_set(err, LK_ENOTFOUND, "no attachment %s", id);
	return rc;
}
/* --- end of built-in backends --- */

/* --- messaging channels --- */

static int sqlite_inbox_add(void *impl, const char *bot, const struct store_inbox_event *ev,
			    struct lk_err *err)
{
	int changes = 0;
	int rc = sq_run(impl, "INSERT INTO channel_inbox(bot, channel, event_id, user, kind, text,"
			" callback_id, lang, received_at) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"
			" ON CONFLICT DO NOTHING",
			SQ_ARGS(SQ_TEXT(bot), SQ_TEXT(ev->channel), SQ_TEXT(ev->event_id),
				SQ_TEXT(ev->user), SQ_TEXT(ev->kind), SQ_TEXT(ev->text),
				SQ_TEXT(ev->callback_id), SQ_TEXT(ev->lang), SQ_INT(ev->received_at)),
			"record inbound event", &changes, err);

	if (!rc && changes == 0)
		rc = LK_EEXIST; /* seen before: a duplicate delivery */
	return rc;
}

/* Marks an event handled and forgets its text (it is in the conversation
 * now, which is where erasure and retention apply). */
static int sqlite_inbox_done(void *impl, const char *bot, const char *channel,
			     const char *event_id, struct lk_err *err)
{
	return sq_run(impl, "UPDATE channel_inbox SET done = 1, text = NULL WHERE bot = ?1 AND"
		      " channel = ?2 AND event_id = ?3",
		      SQ_ARGS(SQ_TEXT(bot), SQ_TEXT(channel), SQ_TEXT(event_id)),
		      "finish inbound event", NULL, err);
}

/* Where inbox_pending's rows go: v[*n], room for max. */
struct inbox_rows {
	struct store_inbox_event *v;
	size_t *n;
};

static void inbox_from_row(sqlite3_stmt *st, void *ud)
{
	struct inbox_rows *ir = ud;
	struct store_inbox_event *e = &ir->v[(*ir->n)++];

	sq_copy_column(e->channel, sizeof(e->channel), st, 0);
	sq_copy_column(e->event_id, sizeof(e->event_id), st, 1);
	sq_copy_column(e->user, sizeof(e->user), st, 2);
	sq_copy_column(e->kind, sizeof(e->kind), st, 3);
	e->text = sq_dup_column(st, 4);
	sq_copy_column(e->callback_id, sizeof(e->callback_id), st, 5);
	sq_copy_column(e->lang, sizeof(e->lang), st, 6);
	e->received_at = sqlite3_column_int64(st, 7);
}

static int sqlite_inbox_pending(void *impl, const char *bot, struct store_inbox_event **out,
				size_t *n, size_t max, size_t offset, struct lk_err *err)
{
	struct inbox_rows ir = {xcalloc(max ? max : 1, sizeof(**out)), n};
	struct sq_rows rows = {.row = inbox_from_row, .ud = &ir, .max = max};

	*out = ir.v;
	*n = 0;
	if (!max)
		return 0;
	return sq_query(impl, "SELECT channel, event_id, user, kind, text, callback_id, lang,"
			" received_at FROM channel_inbox WHERE bot = ?1 AND done = 0"
			" ORDER BY received_at, channel, event_id LIMIT ?2 OFFSET ?3",
			SQ_ARGS(SQ_TEXT(bot), SQ_INT((int64_t)max), SQ_INT((int64_t)offset)),
			&rows, "list inbox", err);
}

/* Where a channel_links row goes. */
struct link_row {
	char *conv_id; /* STORE_ID_LEN + 1 */
	int64_t *last_inbound;
};

static void link_from_row(sqlite3_stmt *st, void *ud)
{
	struct link_row *lr = ud;

	sq_copy_column(lr->conv_id, STORE_ID_LEN + 1, st, 0);
	*lr->last_inbound = sqlite3_column_int64(st, 1);
}

static int sqlite_link_get(void *impl, const char *bot, const char *channel, const char *user,
			   char conv_id[STORE_ID_LEN + 1], int64_t *last_inbound, struct lk_err *err)
{
	struct link_row lr = {conv_id, last_inbound};
	struct sq_rows rows = {.row = link_from_row, .ud = &lr, .max = 1};
	int rc;

	rc = sq_query(impl, "SELECT conv_id, last_inbound FROM channel_links WHERE bot = ?1 AND"
		      " channel = ?2 AND user = ?3",
		      SQ_ARGS(SQ_TEXT(bot), SQ_TEXT(channel), SQ_TEXT(user)), &rows, "read link",
		      err);
	if (!rc && !rows.n)
		rc = lk_err_set(err, LK_ENOTFOUND, "no conversation for this user yet");
	return rc;
}

static int sqlite_link_put(void *impl, const char *bot, const char *channel, const char *user,
			   const char *conv_id, int64_t last_inbound, struct lk_err *err)
{
	return sq_run(impl, "INSERT INTO channel_links(bot, channel, user, conv_id, last_inbound)"
		      " VALUES(?1, ?2, ?3, ?4, ?5) ON CONFLICT(bot, channel, user) DO UPDATE SET"
		      " conv_id = ?4, last_inbound = max(last_inbound, ?5)",
		      SQ_ARGS(SQ_TEXT(bot), SQ_TEXT(channel), SQ_TEXT(user), SQ_TEXT(conv_id),
			      SQ_INT(last_inbound)),
		      "write link", NULL, err);
}

/* --- end of messaging channels --- */

const struct store_ops store_sqlite_ops = {
	.scheme = "sqlite",
	.open = sqlite_open,
	.close = sqlite_close,
	.conv_create = sqlite_conv_create,
	.conv_get = sqlite_conv_get,
	.conv_delete = sqlite_conv_delete,
	.turns_append = sqlite_turns_append,
	.turns_append_state = sqlite_turns_append_state,
	.conv_state_get = sqlite_conv_state_get,
	.turns_list = sqlite_turns_list,
	.feedback_add = sqlite_feedback_add,
	.kb_upsert = sqlite_kb_upsert,
	.kb_load = sqlite_kb_load,
	.kb_generation = sqlite_kb_generation,
	.kb_vectors_put = sqlite_kb_vectors_put,
	.kb_vectors_load = sqlite_kb_vectors_load,
	/* --- built-in backends (src/integrations) --- */
	.idata_seed = sqlite_idata_seed,
	.idata_get = sqlite_idata_get,
	.idata_list = sqlite_idata_list,
	.appt_book = sqlite_appt_book,
	.appt_get = sqlite_appt_get,
	.appt_cancel = sqlite_appt_cancel,
	.appt_move = sqlite_appt_move,
	.appt_spans = sqlite_appt_spans,
	.record_add = sqlite_record_add,
	.record_get = sqlite_record_get,
	.records_in_box = sqlite_records_in_box,
	.records_count = sqlite_records_count,
	.attachment_put = sqlite_attachment_put,
	.attachment_get = sqlite_attachment_get,
	.inbox_add = sqlite_inbox_add,
	.inbox_done = sqlite_inbox_done,
	.inbox_pending = sqlite_inbox_pending,
	.link_get = sqlite_link_get,
	.link_put = sqlite_link_put,
	.handoff = &store_sqlite_handoff_ops,
};
