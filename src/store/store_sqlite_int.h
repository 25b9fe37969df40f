/* store_sqlite_int.h - private to the SQLite back end: the helpers of
 * store_sqlite.c that store_sqlite_handoff.c shares (connection pool,
 * transactions, binding and reading columns) and the handoff part it adds.
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

/* --- human handoff (store_sqlite_handoff.c) --- */
/* The tables of store.h's human handoff part (CREATE ... IF NOT EXISTS). */
extern const char sq_handoff_schema[];
/* Deletes the handoffs and tickets of conv_id inside the caller's transaction. */
int sq_handoff_purge_conv(struct conn *c, const char *conv_id, struct lk_err *err);
extern const struct store_handoff_ops store_sqlite_handoff_ops;

#endif
