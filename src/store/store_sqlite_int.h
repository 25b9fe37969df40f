/* store_sqlite_int.h - private to the SQLite back end: the helpers of
 * store_sqlite.c that store_sqlite_handoff.c shares (connection pool,
 * transactions, binding and reading columns, running one statement in one
 * call) and the handoff part it adds.
 */
#ifndef LK_STORE_SQLITE_INT_H
#define LK_STORE_SQLITE_INT_H

#include "store/store_backend.h"

#include <sqlite3.h>

struct sqlite_store; /* the back end's impl */
struct conn;         /* one pooled connection */

/* Borrows a free connection (blocks until one is free); give it back with
 * sq_conn_put(). */
struct conn *sq_conn_get(struct sqlite_store *s);
void sq_conn_put(struct sqlite_store *s, struct conn *c);
sqlite3 *sq_conn_db(struct conn *c);

/* BEGIN IMMEDIATE / COMMIT / ROLLBACK (rollback only when in a transaction). */
int sq_txn_begin(struct conn *c, struct lk_err *err);
int sq_txn_commit(struct conn *c, struct lk_err *err);
void sq_txn_rollback(struct conn *c);
/* Ends a transaction: COMMIT when rc is 0 (its error then is the result),
 * else ROLLBACK; returns the result. */
int sq_txn_end(struct conn *c, int rc, struct lk_err *err);

/* LK_EDB with SQLite's message. */
int sq_db_error(struct lk_err *err, sqlite3 *db, const char *what);
/* Prepares sql on c (*st NULL on failure); the caller finalizes *st. */
int sq_prepare(struct conn *c, const char *sql, sqlite3_stmt **st, struct lk_err *err);
/* Steps a statement that returns no rows: 0, LK_EEXIST on a constraint, LK_EDB. */
int sq_exec(struct conn *c, sqlite3_stmt *st, const char *what, struct lk_err *err);
/* Binds s (NULL binds NULL); s must outlive the step. */
void sq_bind_text(sqlite3_stmt *st, int i, const char *s);
/* Copies a text column into dst[size] (truncated, "" for NULL). */
void sq_copy_column(char *dst, size_t size, sqlite3_stmt *st, int col);
/* A copy of a text column (caller frees), NULL for NULL. */
char *sq_dup_column(sqlite3_stmt *st, int col);

/* --- one statement in one call: the SQL, its parameters, what a row becomes --- */

/* One parameter: SQ_TEXT(s) (NULL binds NULL), SQ_INT(v), SQ_REAL(v),
 * SQ_BLOB(p, n), SQ_NULL. What it points to must outlive the statement. */
enum sq_arg_kind { SQ_ARG_TEXT, SQ_ARG_INT, SQ_ARG_BLOB, SQ_ARG_REAL };
struct sq_arg {
	enum sq_arg_kind kind;
	const void *p; /* the text or the blob */
	int64_t i;     /* the integer, or the blob's length */
	double d;      /* the real */
};
#define SQ_TEXT(s) ((struct sq_arg){SQ_ARG_TEXT, (s), 0, 0})
#define SQ_INT(v) ((struct sq_arg){SQ_ARG_INT, NULL, (v), 0})
#define SQ_BLOB(b, n) ((struct sq_arg){SQ_ARG_BLOB, (b), (n), 0})
#define SQ_REAL(v) ((struct sq_arg){SQ_ARG_REAL, NULL, 0, (v)})
#define SQ_NULL SQ_TEXT(NULL)
/* The parameter list of a call (two arguments: array, count); the first
 * binds ?1. */
#define SQ_ARGS(...)                                                                       \
	(const struct sq_arg[]){__VA_ARGS__},                                              \
		sizeof((const struct sq_arg[]){__VA_ARGS__}) / sizeof(struct sq_arg)

/* What a query does with its rows. */
struct sq_rows {
	void (*row)(sqlite3_stmt *st, void *ud); /* called per row; NULL only counts */
	void *ud;
	size_t max; /* stop after this many rows; 0 steps to the end */
	size_t n;   /* set: the rows read */
};

/* Binds args[0..n) to ?1..?n of st (those past the statement's last
 * parameter are left out). */
void sq_bind_args(sqlite3_stmt *st, const struct sq_arg *args, size_t n);
/* Prepares sql on c and binds args[0..n) to ?1..?n (those past the
 * statement's last parameter are left out); *st is NULL on failure, else the
 * caller finalizes it. */
int sq_prepare_args(struct conn *c, const char *sql, const struct sq_arg *args, size_t n,
		    sqlite3_stmt **st, struct lk_err *err);
/* Runs a statement that returns no rows on c: 0, LK_EEXIST on a constraint,
 * LK_EDB ("sqlite: what: ..."). *changes (may be NULL) gets the rows changed. */
int sq_run_on(struct conn *c, const char *sql, const struct sq_arg *args, size_t n,
	      const char *what, int *changes, struct lk_err *err);
/* Runs a query on c, handing its rows to rows->row (see struct sq_rows);
 * errors as sq_run_on. On an error the caller releases what rows->row made. */
int sq_query_on(struct conn *c, const char *sql, const struct sq_arg *args, size_t n,
		struct sq_rows *rows, const char *what, struct lk_err *err);
/* The same on a connection borrowed from s for the call. */
int sq_run(struct sqlite_store *s, const char *sql, const struct sq_arg *args, size_t n,
	   const char *what, int *changes, struct lk_err *err);
int sq_query(struct sqlite_store *s, const char *sql, const struct sq_arg *args, size_t n,
	     struct sq_rows *rows, const char *what, struct lk_err *err);
/* Row callbacks: column 0 into *(int64_t *)ud; a copy of column 0 (NULL for
 * NULL) into *(char **)ud, which the caller frees. */
void sq_row_int64(sqlite3_stmt *st, void *ud);
void sq_row_dup(sqlite3_stmt *st, void *ud);
/* Makes room for element n of an array grown by doubling (16 first); returns
 * the (re)allocated v, which the caller frees. */
void *sq_grow(void *v, size_t n, size_t size);

/* --- human handoff (store_sqlite_handoff.c) --- */
/* The tables of store.h's human handoff part (CREATE ... IF NOT EXISTS). */
extern const char sq_handoff_schema[];
/* Deletes the handoffs and tickets of conv_id inside the caller's transaction. */
int sq_handoff_purge_conv(struct conn *c, const char *conv_id, struct lk_err *err);
extern const struct store_handoff_ops store_sqlite_handoff_ops;

#endif
