/* store_sqlite_handoff.c - the human handoff part of the SQLite back end:
 * handoffs (the queue), agents, their sessions, the audit trail and tickets.
 *
 * Statements are prepared per call (these calls come per agent action, not
 * per token). Claims are race-safe: store_handoff_claim is one conditional
 * UPDATE, claim_next a select and update inside one BEGIN IMMEDIATE
 * transaction. Team filters read the JSON array text with json_each().
 */
#include "store/store_sqlite_int.h"

#include "core/mem.h"

#include <stdlib.h>
#include <string.h>

#define SQ_HANDOFF_LIST_MAX 10000 /* rows one handoff query returns at most */
#define SQ_AGENT_LIST_MAX 10000

const char sq_handoff_schema[] =
	/* --- human handoff (src/handoff); times in unix milliseconds --- */
	"CREATE TABLE IF NOT EXISTS handoffs(id INTEGER PRIMARY KEY AUTOINCREMENT,"
	" bot TEXT NOT NULL, conv_id TEXT NOT NULL, team TEXT NOT NULL, status TEXT NOT NULL,"
	" agent TEXT NOT NULL DEFAULT '', reason TEXT NOT NULL DEFAULT '',"
	" requested_ms INTEGER NOT NULL, claimed_ms INTEGER NOT NULL DEFAULT 0,"
	" closed_ms INTEGER NOT NULL DEFAULT 0, outcome TEXT NOT NULL DEFAULT '', summary TEXT,"
	" data TEXT);"
	/* At most one active (waiting/assigned) handoff per conversation. */
	"CREATE UNIQUE INDEX IF NOT EXISTS handoffs_active ON handoffs(bot, conv_id)"
	" WHERE status IN ('waiting', 'assigned');"
	"CREATE INDEX IF NOT EXISTS handoffs_queue ON handoffs(bot, status, team, requested_ms, id);"
	"CREATE INDEX IF NOT EXISTS handoffs_by_conv ON handoffs(conv_id, id);"
	"CREATE TABLE IF NOT EXISTS agents(id TEXT PRIMARY KEY, bot TEXT NOT NULL,"
	" username TEXT NOT NULL, name TEXT NOT NULL, role TEXT NOT NULL,"
	" teams TEXT NOT NULL DEFAULT '[]', pw_hash TEXT NOT NULL,"
	" disabled INTEGER NOT NULL DEFAULT 0, failed_logins INTEGER NOT NULL DEFAULT 0,"
	" locked_until_ms INTEGER NOT NULL DEFAULT 0, last_seen_ms INTEGER NOT NULL DEFAULT 0,"
	" created_ms INTEGER NOT NULL, UNIQUE(bot, username));"
	"CREATE TABLE IF NOT EXISTS agent_sessions(token_hash BLOB PRIMARY KEY, bot TEXT NOT NULL,"
	" agent_id TEXT NOT NULL, csrf TEXT NOT NULL, created_ms INTEGER NOT NULL,"
	" expires_ms INTEGER NOT NULL) WITHOUT ROWID;"
	"CREATE INDEX IF NOT EXISTS agent_sessions_by_agent ON agent_sessions(agent_id);"
	"CREATE TABLE IF NOT EXISTS audit_log(id INTEGER PRIMARY KEY AUTOINCREMENT,"
	" bot TEXT NOT NULL, at_ms INTEGER NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL,"
	" conv_id TEXT NOT NULL DEFAULT '', team TEXT NOT NULL DEFAULT '',"
	" detail TEXT NOT NULL DEFAULT '');"
	"CREATE INDEX IF NOT EXISTS audit_log_by_conv ON audit_log(bot, conv_id, id);"
	"CREATE TABLE IF NOT EXISTS tickets(ref TEXT PRIMARY KEY, bot TEXT NOT NULL,"
	" team TEXT NOT NULL DEFAULT '', conv_id TEXT NOT NULL DEFAULT '', lang TEXT NOT NULL,"
	" question TEXT NOT NULL, name TEXT NOT NULL, contact TEXT NOT NULL, status TEXT NOT NULL,"
	" created_ms INTEGER NOT NULL, done_ms INTEGER NOT NULL DEFAULT 0,"
	" done_by TEXT NOT NULL DEFAULT '');"
	"CREATE INDEX IF NOT EXISTS tickets_by_status ON tickets(bot, status, created_ms);"
	"CREATE INDEX IF NOT EXISTS tickets_by_conv ON tickets(conv_id);";

/* A team filter on column `col` with the teams JSON text bound at ?N. */
#define TEAMS_IN(col, n) "(?" #n " IS NULL OR " col " IN (SELECT value FROM json_each(?" #n ")))"

#define HANDOFF_COLUMNS                                                                    \
	"id, conv_id, team, status, agent, reason, outcome, requested_ms, claimed_ms,"    \
	" closed_ms, summary, data"

#define ACTIVE "status IN ('waiting', 'assigned')"

static void handoff_from_row(sqlite3_stmt *st, void *ud)
{
	struct store_handoff *h = ud;

	memset(h, 0, sizeof(*h));
	h->id = sqlite3_column_int64(st, 0);
	sq_copy_column(h->conv_id, sizeof(h->conv_id), st, 1);
	sq_copy_column(h->team, sizeof(h->team), st, 2);
	sq_copy_column(h->status, sizeof(h->status), st, 3);
	sq_copy_column(h->agent, sizeof(h->agent), st, 4);
	sq_copy_column(h->reason, sizeof(h->reason), st, 5);
	sq_copy_column(h->outcome, sizeof(h->outcome), st, 6);
	h->requested_ms = sqlite3_column_int64(st, 7);
	h->claimed_ms = sqlite3_column_int64(st, 8);
	h->closed_ms = sqlite3_column_int64(st, 9);
	h->summary = sq_dup_column(st, 10);
	h->data = sq_dup_column(st, 11);
}

static void handoffs_append(sqlite3_stmt *st, void *ud)
{
	struct store_handoffs *out = ud;

	out->v = sq_grow(out->v, out->n, sizeof(*out->v));
	handoff_from_row(st, &out->v[out->n++]);
}

/* The first row of a statement into out (may be NULL); later rows are stepped over. */
struct handoff_first {
	struct store_handoff *out;
	int seen;
};

static void handoff_first_row(sqlite3_stmt *st, void *ud)
{
	struct handoff_first *f = ud;

	if (!f->seen && f->out)
		handoff_from_row(st, f->out);
	f->seen = 1;
}

/* Runs sql (a SELECT or an UPDATE ... RETURNING of HANDOFF_COLUMNS) to its
 * end, filling *out (may be NULL) from its first row. *found tells whether
 * there was one. */
static int handoff_run(struct conn *c, const char *sql, const struct sq_arg *args, size_t n,
		       struct store_handoff *out, int *found, const char *what, struct lk_err *err)
{
	struct handoff_first first = {out, 0};
	struct sq_rows rows = {.row = handoff_first_row, .ud = &first};
	int rc = sq_query_on(c, sql, args, n, &rows, what, err);

	if (rc && rows.n && out)
		store_handoff_release(out);
	*found = !rc && rows.n;
	return rc;
}

/* Runs a query of HANDOFF_COLUMNS rows into out (at most max). */
static int handoffs_list(struct sqlite_store *s, const char *sql, const struct sq_arg *args,
			 size_t n, size_t max, struct store_handoffs *out, const char *what,
			 struct lk_err *err)
{
	struct sq_rows rows = {.row = handoffs_append, .ud = out, .max = max};
	int rc = sq_query(s, sql, args, n, &rows, what, err);

	if (rc)
		store_handoffs_release(out);
	return rc;
}

/* A run's rc, or LK_ENOTFOUND (message nf) when it changed no row. */
static int must_change(int rc, int changes, const char *nf, struct lk_err *err)
{
	if (!rc && changes == 0)
		return lk_err_set(err, LK_ENOTFOUND, "%s", nf);
	return rc;
}

static int sqlite_handoff_open(void *impl, const char *bot, struct store_handoff *h,
			       struct lk_err *err)
{
	struct sqlite_store *s = impl;
	struct conn *c = sq_conn_get(s);
	int closed = !strcmp(h->status, "closed");
	int rc;

	rc = sq_run_on(c, "INSERT INTO handoffs(bot, conv_id, team, status, agent, reason,"
		       " requested_ms, claimed_ms, closed_ms, outcome, summary, data)"
		       " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
		       SQ_ARGS(SQ_TEXT(bot), SQ_TEXT(h->conv_id), SQ_TEXT(h->team),
			       SQ_TEXT(h->status), SQ_TEXT(closed ? h->agent : ""),
			       SQ_TEXT(h->reason), SQ_INT(h->requested_ms),
			       SQ_INT(closed ? h->claimed_ms : 0),
			       SQ_INT(closed ? (h->closed_ms ? h->closed_ms : h->requested_ms) : 0),
			       SQ_TEXT(closed ? h->outcome : ""), SQ_TEXT(h->summary),
			       SQ_TEXT(h->data)),
		       "open handoff", NULL, err);
	if (rc == LK_EEXIST)
		rc = lk_err_set(err, LK_EEXIST, "the conversation already has an active handoff");
	if (!rc)
		h->id = sqlite3_last_insert_rowid(sq_conn_db(c));
	sq_conn_put(s, c);
	return rc;
}

/* One handoff of conv_id: the active one, or (latest) the newest in any status. */
static int handoff_get(struct sqlite_store *s, const char *bot, const char *conv_id, int latest,
		       struct store_handoff *out, struct lk_err *err)
{
	struct conn *c = sq_conn_get(s);
	int rc, found;

	rc = handoff_run(c, latest ? "SELECT " HANDOFF_COLUMNS " FROM handoffs WHERE bot = ?1"
				     " AND conv_id = ?2 ORDER BY id DESC LIMIT 1"
				   : "SELECT " HANDOFF_COLUMNS " FROM handoffs WHERE bot = ?1"
				     " AND conv_id = ?2 AND " ACTIVE " LIMIT 1",
			 SQ_ARGS(SQ_TEXT(bot), SQ_TEXT(conv_id)), out, &found, "read handoff", err);
	if (!rc && !found)
		rc = lk_err_set(err, LK_ENOTFOUND, latest ? "the conversation has no handoff"
						  : "the conversation has no active handoff");
	sq_conn_put(s, c);
	return rc;
}

static int sqlite_handoff_active(void *impl, const char *bot, const char *conv_id,
				 struct store_handoff *out, struct lk_err *err)
{
	return handoff_get(impl, bot, conv_id, 0, out, err);
}

static int sqlite_handoff_latest(void *impl, const char *bot, const char *conv_id,
				 struct store_handoff *out, struct lk_err *err)
{
	return handoff_get(impl, bot, conv_id, 1, out, err);
}

/* Why an update of conv_id's active handoff changed nothing: LK_ENOTFOUND
 * when there is none; with teams, LK_EPERM when its team is not in them;
 * else LK_EBUSY (not waiting, or held by someone else). */
static int handoff_why_not(struct conn *c, const char *bot, const char *conv_id,
			   const char *teams, struct lk_err *err)
{
	int64_t in_teams = 0;
	struct sq_rows rows = {.row = sq_row_int64, .ud = &in_teams, .max = 1};
	int rc;

	rc = sq_query_on(c, "SELECT " TEAMS_IN("team", 3) " FROM handoffs WHERE bot = ?1"
			 " AND conv_id = ?2 AND " ACTIVE " LIMIT 1",
			 SQ_ARGS(SQ_TEXT(bot), SQ_TEXT(conv_id), SQ_TEXT(teams)), &rows,
			 "read handoff", err);
	if (rc)
		return rc;
	if (!rows.n)
		return lk_err_set(err, LK_ENOTFOUND, "the conversation has no active handoff");
	if (!in_teams)
		return lk_err_set(err, LK_EPERM, "the handoff belongs to another team");
	return lk_err_set(err, LK_EBUSY, "the handoff is held by someone else");
}

static int sqlite_handoff_claim(void *impl, const char *bot, const char *conv_id,
				const char *agent, const char *teams, int64_t now_ms,
				struct store_handoff *out, struct lk_err *err)
{
	struct sqlite_store *s = impl;
	struct conn *c = sq_conn_get(s);
	int rc, found;

	/* The one race-safe step: whoever's UPDATE runs first finds it waiting. */
	rc = handoff_run(c, "UPDATE handoffs SET status = 'assigned', agent = ?3, claimed_ms = ?5"
			 " WHERE bot = ?1 AND conv_id = ?2 AND status = 'waiting' AND "
			 TEAMS_IN("team", 4) " RETURNING " HANDOFF_COLUMNS,
			 SQ_ARGS(SQ_TEXT(bot), SQ_TEXT(conv_id), SQ_TEXT(agent), SQ_TEXT(teams),
				 SQ_INT(now_ms)),
			 out, &found, "claim handoff", err);
	if (!rc && !found)
		rc = handoff_why_not(c, bot, conv_id, teams, err);
	sq_conn_put(s, c);
	return rc;
}

static int sqlite_handoff_claim_next(void *impl, const char *bot, const char *agent,
				     const char *teams, int64_t now_ms, struct store_handoff *out,
				     struct lk_err *err)
{
	struct sqlite_store *s = impl;
	struct conn *c = sq_conn_get(s);
	int64_t id = 0;
	struct sq_rows rows = {.row = sq_row_int64, .ud = &id, .max = 1};
	int rc, found = 0;

	rc = sq_txn_begin(c, err);
	if (rc)
		goto out;
	rc = sq_query_on(c, "SELECT id FROM handoffs WHERE bot = ?1 AND status = 'waiting' AND "
			 TEAMS_IN("team", 2) " ORDER BY requested_ms, id LIMIT 1",
			 SQ_ARGS(SQ_TEXT(bot), SQ_TEXT(teams)), &rows, "read queue", err);
	if (!rc && !rows.n)
		rc = lk_err_set(err, LK_ENOTFOUND, "no handoff is waiting");
	if (rc)
		goto out;
	rc = handoff_run(c, "UPDATE handoffs SET status = 'assigned', agent = ?2, claimed_ms = ?3"
			 " WHERE id = ?1 AND status = 'waiting' RETURNING " HANDOFF_COLUMNS,
			 SQ_ARGS(SQ_INT(id), SQ_TEXT(agent), SQ_INT(now_ms)), out, &found,
			 "claim handoff", err);
	/* Cannot happen inside BEGIN IMMEDIATE; kept as a guard. */
	if (!rc && !found)
		rc = lk_err_set(err, LK_EBUSY, "the handoff was claimed meanwhile");
	if (!rc)
		rc = sq_txn_commit(c, err);
	if (rc && found && out)
		store_handoff_release(out);
out:
	if (rc)
		sq_txn_rollback(c);
	sq_conn_put(s, c);
	return rc;
}

static int sqlite_handoff_assign(void *impl, const char *bot, const char *conv_id,
				 const char *agent, int64_t now_ms, struct store_handoff *out,
				 struct lk_err *err)
{
	struct sqlite_store *s = impl;
	struct conn *c = sq_conn_get(s);
	int rc, found;

	rc = handoff_run(c, "UPDATE handoffs SET status = 'assigned', agent = ?3, claimed_ms = ?4"
			 " WHERE bot = ?1 AND conv_id = ?2 AND " ACTIVE " RETURNING "
			 HANDOFF_COLUMNS,
			 SQ_ARGS(SQ_TEXT(bot), SQ_TEXT(conv_id), SQ_TEXT(agent), SQ_INT(now_ms)),
			 out, &found, "assign handoff", err);
	if (!rc && !found)
		rc = lk_err_set(err, LK_ENOTFOUND, "the conversation has no active handoff");
	sq_conn_put(s, c);
	return rc;
}

static int sqlite_handoff_requeue(void *impl, const char *bot, const char *conv_id,
				  const char *holder, const char *team, struct store_handoff *out,
				  struct lk_err *err)
{
	struct sqlite_store *s = impl;
	struct conn *c = sq_conn_get(s);
	int rc, found;

	rc = handoff_run(c, "UPDATE handoffs SET status = 'waiting', agent = '', claimed_ms = 0,"
			 " team = coalesce(?4, team) WHERE bot = ?1 AND conv_id = ?2 AND " ACTIVE
			 " AND (?3 IS NULL OR (status = 'assigned' AND agent = ?3))"
			 " RETURNING " HANDOFF_COLUMNS,
			 SQ_ARGS(SQ_TEXT(bot), SQ_TEXT(conv_id), SQ_TEXT(holder), SQ_TEXT(team)),
			 out, &found, "requeue handoff", err);
	if (!rc && !found)
		rc = handoff_why_not(c, bot, conv_id, NULL, err);
	sq_conn_put(s, c);
	return rc;
}

static int sqlite_handoff_close(void *impl, const char *bot, const char *conv_id,
				const char *holder, const char *outcome, const char *summary,
				int64_t now_ms, struct store_handoff *out, struct lk_err *err)
{
	struct sqlite_store *s = impl;
	struct conn *c = sq_conn_get(s);
	int rc, found;

	rc = handoff_run(c, "UPDATE handoffs SET status = 'closed', outcome = ?4, summary = ?5,"
			 " closed_ms = ?6 WHERE bot = ?1 AND conv_id = ?2 AND " ACTIVE
			 " AND (?3 IS NULL OR (status = 'assigned' AND agent = ?3))"
			 " RETURNING " HANDOFF_COLUMNS,
			 SQ_ARGS(SQ_TEXT(bot), SQ_TEXT(conv_id), SQ_TEXT(holder), SQ_TEXT(outcome),
				 SQ_TEXT(summary), SQ_INT(now_ms)),
			 out, &found, "close handoff", err);
	if (!rc && !found)
		rc = handoff_why_not(c, bot, conv_id, NULL, err);
	sq_conn_put(s, c);
	return rc;
}

static int sqlite_handoff_position(void *impl, const char *bot, const char *conv_id,
				   int64_t *pos, struct lk_err *err)
{
	struct sqlite_store *s = impl;
	struct conn *c = sq_conn_get(s);
	struct sq_rows rows = {.row = sq_row_int64, .ud = pos, .max = 1};
	int rc;

	rc = sq_query_on(c, "SELECT count(*) FROM handoffs w, (SELECT team, requested_ms, id"
			 " FROM handoffs WHERE bot = ?1 AND conv_id = ?2 AND status = 'waiting') me"
			 " WHERE w.bot = ?1 AND w.status = 'waiting' AND w.team = me.team AND"
			 " (w.requested_ms < me.requested_ms OR"
			 " (w.requested_ms = me.requested_ms AND w.id <= me.id))",
			 SQ_ARGS(SQ_TEXT(bot), SQ_TEXT(conv_id)), &rows, "read queue position",
			 err);
	if (!rc && !rows.n)
		rc = sq_db_error(err, sq_conn_db(c), "read queue position");
	sq_conn_put(s, c);
	return rc;
}

static int sqlite_handoff_list(void *impl, const char *bot, const char *status,
			       const char *teams, const char *agent, size_t limit,
			       struct store_handoffs *out, struct lk_err *err)
{
	if (limit > SQ_HANDOFF_LIST_MAX)
		limit = SQ_HANDOFF_LIST_MAX;
	return handoffs_list(impl, "SELECT " HANDOFF_COLUMNS " FROM handoffs WHERE bot = ?1 AND"
			     " ((?2 IS NULL AND " ACTIVE ") OR status = ?2) AND "
			     TEAMS_IN("team", 3) " AND (?4 IS NULL OR agent = ?4)"
			     " ORDER BY requested_ms, id LIMIT ?5",
			     SQ_ARGS(SQ_TEXT(bot), SQ_TEXT(status), SQ_TEXT(teams), SQ_TEXT(agent),
				     SQ_INT((int64_t)limit)),
			     limit, out, "list handoffs", err);
}

static int sqlite_handoff_stale(void *impl, const char *bot, int64_t cutoff_ms,
				struct store_handoffs *out, struct lk_err *err)
{
	return handoffs_list(impl, "SELECT h.id, h.conv_id, h.team, h.status, h.agent, h.reason,"
			     " h.outcome, h.requested_ms, h.claimed_ms, h.closed_ms, h.summary,"
			     " h.data FROM handoffs h LEFT JOIN agents a ON a.id = h.agent"
			     " AND a.bot = h.bot WHERE h.bot = ?1 AND h.status = 'assigned' AND"
			     " (a.id IS NULL OR a.disabled <> 0 OR a.last_seen_ms < ?2)"
			     " ORDER BY h.requested_ms, h.id LIMIT ?3",
			     SQ_ARGS(SQ_TEXT(bot), SQ_INT(cutoff_ms), SQ_INT(SQ_HANDOFF_LIST_MAX)),
			     SQ_HANDOFF_LIST_MAX, out, "list stale handoffs", err);
}

/* --- agents --- */

#define AGENT_COLUMNS                                                                      \
	"id, username, name, role, teams, pw_hash, disabled, failed_logins, locked_until_ms," \
	" last_seen_ms, created_ms"

static void agent_from_row(sqlite3_stmt *st, void *ud)
{
	struct store_agent *a = ud;

	memset(a, 0, sizeof(*a));
	sq_copy_column(a->id, sizeof(a->id), st, 0);
	sq_copy_column(a->username, sizeof(a->username), st, 1);
	sq_copy_column(a->name, sizeof(a->name), st, 2);
	sq_copy_column(a->role, sizeof(a->role), st, 3);
	a->teams = sq_dup_column(st, 4);
	if (!a->teams)
		a->teams = xstrdup("[]");
	a->pw_hash = sq_dup_column(st, 5);
	a->disabled = sqlite3_column_int(st, 6) != 0;
	a->failed_logins = sqlite3_column_int(st, 7);
	a->locked_until_ms = sqlite3_column_int64(st, 8);
	a->last_seen_ms = sqlite3_column_int64(st, 9);
	a->created_ms = sqlite3_column_int64(st, 10);
}

static void agents_append(sqlite3_stmt *st, void *ud)
{
	struct store_agents *out = ud;

	out->v = sq_grow(out->v, out->n, sizeof(*out->v));
	agent_from_row(st, &out->v[out->n++]);
}

static int sqlite_agent_add(void *impl, const char *bot, const struct store_agent *a,
			    struct lk_err *err)
{
	int rc;

	rc = sq_run(impl, "INSERT INTO agents(id, bot, username, name, role, teams, pw_hash,"
		    " disabled, failed_logins, locked_until_ms, last_seen_ms, created_ms)"
		    " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
		    SQ_ARGS(SQ_TEXT(a->id), SQ_TEXT(bot), SQ_TEXT(a->username), SQ_TEXT(a->name),
			    SQ_TEXT(a->role), SQ_TEXT(a->teams), SQ_TEXT(a->pw_hash),
			    SQ_INT(a->disabled ? 1 : 0), SQ_INT(a->failed_logins),
			    SQ_INT(a->locked_until_ms), SQ_INT(a->last_seen_ms),
			    SQ_INT(a->created_ms)),
		    "add agent", NULL, err);
	if (rc == LK_EEXIST)
		rc = lk_err_set(err, LK_EEXIST, "agent id or username '%s' is taken", a->username);
	return rc;
}

static int sqlite_agent_get(void *impl, const char *bot, const char *key, int by_username,
			    struct store_agent *out, struct lk_err *err)
{
	struct sq_rows rows = {.row = agent_from_row, .ud = out, .max = 1};
	int rc;

	rc = sq_query(impl, by_username ? "SELECT " AGENT_COLUMNS " FROM agents WHERE bot = ?1"
					  " AND username = ?2"
					: "SELECT " AGENT_COLUMNS " FROM agents WHERE bot = ?1"
					  " AND id = ?2",
		      SQ_ARGS(SQ_TEXT(bot), SQ_TEXT(key)), &rows, "read agent", err);
	if (!rc && !rows.n)
		rc = lk_err_set(err, LK_ENOTFOUND, "no such agent");
	return rc;
}

static int sqlite_agent_list(void *impl, const char *bot, struct store_agents *out,
			     struct lk_err *err)
{
	struct sq_rows rows = {.row = agents_append, .ud = out};
	int rc;

	rc = sq_query(impl, "SELECT " AGENT_COLUMNS " FROM agents WHERE bot = ?1"
		      " ORDER BY username LIMIT ?2",
		      SQ_ARGS(SQ_TEXT(bot), SQ_INT(SQ_AGENT_LIST_MAX)), &rows, "list agents", err);
	if (rc)
		store_agents_release(out);
	return rc;
}

static int sqlite_agent_update(void *impl, const char *bot, const struct store_agent *a,
			       struct lk_err *err)
{
	int changes = 0;
	int rc;

	rc = sq_run(impl, "UPDATE agents SET name = ?3, role = ?4, teams = coalesce(?5, teams),"
		    " pw_hash = coalesce(?6, pw_hash), disabled = ?7 WHERE bot = ?1 AND id = ?2",
		    SQ_ARGS(SQ_TEXT(bot), SQ_TEXT(a->id), SQ_TEXT(a->name), SQ_TEXT(a->role),
			    SQ_TEXT(a->teams), SQ_TEXT(a->pw_hash), SQ_INT(a->disabled ? 1 : 0)),
		    "update agent", &changes, err);
	return must_change(rc, changes, "no such agent", err);
}

static int sqlite_agent_seen(void *impl, const char *bot, const char *id, int64_t now_ms,
			     struct lk_err *err)
{
	int changes = 0;
	int rc;

	rc = sq_run(impl, "UPDATE agents SET last_seen_ms = max(last_seen_ms, ?3)"
		    " WHERE bot = ?1 AND id = ?2",
		    SQ_ARGS(SQ_TEXT(bot), SQ_TEXT(id), SQ_INT(now_ms)), "record agent seen",
		    &changes, err);
	return must_change(rc, changes, "no such agent", err);
}

static int sqlite_agent_login_result(void *impl, const char *bot, const char *id, int ok,
				     int lock_after, int64_t lock_ms, int64_t now_ms,
				     struct lk_err *err)
{
	int changes = 0;
	int rc;

	/* One UPDATE: every right-hand side reads the old row, so two failures
	 * racing both count. ?3 = 0 never locks. On success ?3..?5 are not in
	 * the statement and so are not bound. */
	rc = sq_run(impl, ok ? "UPDATE agents SET failed_logins = 0 WHERE bot = ?1 AND id = ?2"
			     : "UPDATE agents SET"
			       " failed_logins = CASE WHEN ?3 > 0 AND failed_logins + 1 >= ?3"
			       " THEN 0 ELSE failed_logins + 1 END,"
			       " locked_until_ms = CASE WHEN ?3 > 0 AND failed_logins + 1 >= ?3"
			       " THEN ?5 + ?4 ELSE locked_until_ms END WHERE bot = ?1 AND id = ?2",
		    SQ_ARGS(SQ_TEXT(bot), SQ_TEXT(id), SQ_INT(lock_after > 0 ? lock_after : 0),
			    SQ_INT(lock_ms), SQ_INT(now_ms)),
		    "record login", &changes, err);
	return must_change(rc, changes, "no such agent", err);
}

/* --- sessions --- */

static void session_from_row(sqlite3_stmt *st, void *ud)
{
	struct store_session *ss = ud;

	sq_copy_column(ss->agent_id, sizeof(ss->agent_id), st, 0);
	sq_copy_column(ss->csrf, sizeof(ss->csrf), st, 1);
	ss->created_ms = sqlite3_column_int64(st, 2);
	ss->expires_ms = sqlite3_column_int64(st, 3);
}

static int sqlite_session_add(void *impl, const char *bot, const struct store_session *ss,
			      struct lk_err *err)
{
	return sq_run(impl, "INSERT INTO agent_sessions(token_hash, bot, agent_id, csrf,"
		      " created_ms, expires_ms) VALUES(?1, ?2, ?3, ?4, ?5, ?6)",
		      SQ_ARGS(SQ_BLOB(ss->token_hash, sizeof(ss->token_hash)), SQ_TEXT(bot),
			      SQ_TEXT(ss->agent_id), SQ_TEXT(ss->csrf), SQ_INT(ss->created_ms),
			      SQ_INT(ss->expires_ms)),
		      "add session", NULL, err);
}

static int sqlite_session_get(void *impl, const char *bot, const unsigned char hash[32],
			      struct store_session *out, struct lk_err *err)
{
	struct sq_rows rows = {.row = session_from_row, .ud = out, .max = 1};
	int rc;

	rc = sq_query(impl, "SELECT agent_id, csrf, created_ms, expires_ms FROM agent_sessions"
		      " WHERE token_hash = ?1 AND bot = ?2",
		      SQ_ARGS(SQ_BLOB(hash, 32), SQ_TEXT(bot)), &rows, "read session", err);
	if (!rc && !rows.n)
		rc = lk_err_set(err, LK_ENOTFOUND, "no such session");
	if (!rc)
		memcpy(out->token_hash, hash, sizeof(out->token_hash));
	return rc;
}

static int sqlite_session_touch(void *impl, const char *bot, const unsigned char hash[32],
				int64_t expires_ms, struct lk_err *err)
{
	int changes = 0;
	int rc;

	rc = sq_run(impl, "UPDATE agent_sessions SET expires_ms = ?3 WHERE bot = ?1"
		    " AND token_hash = ?2",
		    SQ_ARGS(SQ_TEXT(bot), SQ_BLOB(hash, 32), SQ_INT(expires_ms)),
		    "touch session", &changes, err);
	return must_change(rc, changes, "no such session", err);
}

static int sqlite_session_delete(void *impl, const char *bot, const unsigned char hash[32],
				 struct lk_err *err)
{
	return sq_run(impl, "DELETE FROM agent_sessions WHERE bot = ?1 AND token_hash = ?2",
		      SQ_ARGS(SQ_TEXT(bot), SQ_BLOB(hash, 32)), "delete session", NULL, err);
}

static int sqlite_session_delete_agent(void *impl, const char *bot, const char *agent_id,
				       struct lk_err *err)
{
	return sq_run(impl, "DELETE FROM agent_sessions WHERE bot = ?1 AND agent_id = ?2",
		      SQ_ARGS(SQ_TEXT(bot), SQ_TEXT(agent_id)), "delete sessions", NULL, err);
}

static int sqlite_session_prune(void *impl, const char *bot, int64_t now_ms, struct lk_err *err)
{
	return sq_run(impl, "DELETE FROM agent_sessions WHERE bot = ?1 AND expires_ms <= ?2",
		      SQ_ARGS(SQ_TEXT(bot), SQ_INT(now_ms)), "prune sessions", NULL, err);
}

/* --- audit trail --- */

static void audits_append(sqlite3_stmt *st, void *ud)
{
	struct store_audits *out = ud;
	struct store_audit *a;

	out->v = sq_grow(out->v, out->n, sizeof(*out->v));
	a = &out->v[out->n++];
	memset(a, 0, sizeof(*a));
	a->id = sqlite3_column_int64(st, 0);
	a->at_ms = sqlite3_column_int64(st, 1);
	sq_copy_column(a->actor, sizeof(a->actor), st, 2);
	sq_copy_column(a->action, sizeof(a->action), st, 3);
	sq_copy_column(a->conv_id, sizeof(a->conv_id), st, 4);
	sq_copy_column(a->team, sizeof(a->team), st, 5);
	sq_copy_column(a->detail, sizeof(a->detail), st, 6);
}

static int sqlite_audit_add(void *impl, const char *bot, const struct store_audit *a,
			    struct lk_err *err)
{
	return sq_run(impl, "INSERT INTO audit_log(bot, at_ms, actor, action, conv_id, team,"
		      " detail) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)",
		      SQ_ARGS(SQ_TEXT(bot), SQ_INT(a->at_ms), SQ_TEXT(a->actor),
			      SQ_TEXT(a->action), SQ_TEXT(a->conv_id), SQ_TEXT(a->team),
			      SQ_TEXT(a->detail)),
		      "add audit entry", NULL, err);
}

static int sqlite_audit_list(void *impl, const char *bot, const char *conv_id, int64_t before_id,
			     size_t limit, struct store_audits *out, struct lk_err *err)
{
	struct sq_rows rows = {.row = audits_append, .ud = out};
	int rc;

	rc = sq_query(impl, "SELECT id, at_ms, actor, action, conv_id, team, detail FROM audit_log"
		      " WHERE bot = ?1 AND (?2 IS NULL OR conv_id = ?2) AND (?3 = 0 OR id < ?3)"
		      " ORDER BY id DESC LIMIT ?4",
		      SQ_ARGS(SQ_TEXT(bot), SQ_TEXT(conv_id), SQ_INT(before_id),
			      SQ_INT((int64_t)limit)),
		      &rows, "list audit entries", err);
	if (rc)
		store_audits_release(out);
	return rc;
}

/* --- tickets --- */

#define TICKET_COLUMNS                                                                     \
	"ref, team, conv_id, lang, status, question, name, contact, created_ms, done_ms, done_by"

static void ticket_from_row(sqlite3_stmt *st, void *ud)
{
	struct store_ticket *t = ud;

	memset(t, 0, sizeof(*t));
	sq_copy_column(t->ref, sizeof(t->ref), st, 0);
	sq_copy_column(t->team, sizeof(t->team), st, 1);
	sq_copy_column(t->conv_id, sizeof(t->conv_id), st, 2);
	sq_copy_column(t->lang, sizeof(t->lang), st, 3);
	sq_copy_column(t->status, sizeof(t->status), st, 4);
	t->question = sq_dup_column(st, 5);
	t->name = sq_dup_column(st, 6);
	t->contact = sq_dup_column(st, 7);
	t->created_ms = sqlite3_column_int64(st, 8);
	t->done_ms = sqlite3_column_int64(st, 9);
	sq_copy_column(t->done_by, sizeof(t->done_by), st, 10);
}

static void tickets_append(sqlite3_stmt *st, void *ud)
{
	struct store_tickets *out = ud;

	out->v = sq_grow(out->v, out->n, sizeof(*out->v));
	ticket_from_row(st, &out->v[out->n++]);
}

/* Runs a query of TICKET_COLUMNS rows into out. */
static int tickets_list(void *impl, const char *sql, const struct sq_arg *args, size_t n,
			struct store_tickets *out, const char *what, struct lk_err *err)
{
	struct sq_rows rows = {.row = tickets_append, .ud = out};
	int rc = sq_query(impl, sql, args, n, &rows, what, err);

	if (rc)
		store_tickets_release(out);
	return rc;
}

static int sqlite_ticket_add(void *impl, const char *bot, const struct store_ticket *t,
			     struct lk_err *err)
{
	int rc;

	rc = sq_run(impl, "INSERT INTO tickets(ref, bot, team, conv_id, lang, question, name,"
		    " contact, status, created_ms) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8,"
		    " 'open', ?9)",
		    SQ_ARGS(SQ_TEXT(t->ref), SQ_TEXT(bot), SQ_TEXT(t->team), SQ_TEXT(t->conv_id),
			    SQ_TEXT(t->lang), SQ_TEXT(t->question), SQ_TEXT(t->name),
			    SQ_TEXT(t->contact), SQ_INT(t->created_ms)),
		    "add ticket", NULL, err);
	if (rc == LK_EEXIST)
		rc = lk_err_set(err, LK_EBUSY, "ticket reference %s is taken", t->ref);
	return rc;
}

static int sqlite_ticket_list(void *impl, const char *bot, const char *teams, const char *status,
			      size_t limit, struct store_tickets *out, struct lk_err *err)
{
	return tickets_list(impl, "SELECT " TICKET_COLUMNS " FROM tickets WHERE bot = ?1 AND"
			    " (team = '' OR " TEAMS_IN("team", 2) ")"
			    " AND (?3 IS NULL OR status = ?3) ORDER BY created_ms, ref LIMIT ?4",
			    SQ_ARGS(SQ_TEXT(bot), SQ_TEXT(teams), SQ_TEXT(status),
				    SQ_INT((int64_t)limit)),
			    out, "list tickets", err);
}

static int sqlite_ticket_since(void *impl, const char *bot, int64_t after_ms, size_t limit,
			       struct store_tickets *out, struct lk_err *err)
{
	return tickets_list(impl, "SELECT " TICKET_COLUMNS " FROM tickets WHERE bot = ?1"
			    " AND created_ms > ?2 ORDER BY created_ms, ref LIMIT ?3",
			    SQ_ARGS(SQ_TEXT(bot), SQ_INT(after_ms), SQ_INT((int64_t)limit)), out,
			    "list new tickets", err);
}

static int sqlite_ticket_get(void *impl, const char *bot, const char *ref,
			     struct store_ticket *out, struct lk_err *err)
{
	struct sq_rows rows = {.row = ticket_from_row, .ud = out, .max = 1};
	int rc;

	rc = sq_query(impl, "SELECT " TICKET_COLUMNS " FROM tickets WHERE bot = ?1 AND ref = ?2",
		      SQ_ARGS(SQ_TEXT(bot), SQ_TEXT(ref)), &rows, "read ticket", err);
	if (!rc && !rows.n)
		rc = lk_err_set(err, LK_ENOTFOUND, "no ticket %s", ref);
	return rc;
}

static int sqlite_ticket_done(void *impl, const char *bot, const char *ref, const char *agent,
			      int64_t now_ms, struct lk_err *err)
{
	struct sqlite_store *s = impl;
	struct conn *c = sq_conn_get(s);
	struct sq_rows rows = {.max = 1};
	int changes = 0;
	int rc;

	rc = sq_run_on(c, "UPDATE tickets SET status = 'done', done_ms = ?4, done_by = ?3"
		       " WHERE bot = ?1 AND ref = ?2 AND status = 'open'",
		       SQ_ARGS(SQ_TEXT(bot), SQ_TEXT(ref), SQ_TEXT(agent), SQ_INT(now_ms)),
		       "close ticket", &changes, err);
	if (rc || changes > 0)
		goto out;
	/* Nothing changed: done already, or no such ticket. */
	rc = sq_query_on(c, "SELECT 1 FROM tickets WHERE bot = ?1 AND ref = ?2",
			 SQ_ARGS(SQ_TEXT(bot), SQ_TEXT(ref)), &rows, "read ticket", err);
	if (!rc)
		rc = rows.n ? lk_err_set(err, LK_EBUSY, "ticket %s is done already", ref)
			    : lk_err_set(err, LK_ENOTFOUND, "no ticket %s", ref);
out:
	sq_conn_put(s, c);
	return rc;
}

/* --- channel links, conversation erasure --- */

struct channel_user {
	char *channel;
	size_t channel_size;
	char *user;
	size_t user_size;
	int64_t *last_inbound;
};

static void channel_user_from_row(sqlite3_stmt *st, void *ud)
{
	struct channel_user *cu = ud;

	sq_copy_column(cu->channel, cu->channel_size, st, 0);
	sq_copy_column(cu->user, cu->user_size, st, 1);
	if (cu->last_inbound)
		*cu->last_inbound = sqlite3_column_int64(st, 2);
}

static int sqlite_link_by_conv(void *impl, const char *bot, const char *conv_id, char *channel,
			       size_t channel_size, char *user, size_t user_size,
			       int64_t *last_inbound, struct lk_err *err)
{
	struct channel_user cu = {channel, channel_size, user, user_size, last_inbound};
	struct sq_rows rows = {.row = channel_user_from_row, .ud = &cu, .max = 1};
	int rc;

	rc = sq_query(impl, "SELECT channel, user, last_inbound FROM channel_links WHERE bot = ?1"
		      " AND conv_id = ?2 ORDER BY last_inbound DESC LIMIT 1",
		      SQ_ARGS(SQ_TEXT(bot), SQ_TEXT(conv_id)), &rows, "read link", err);
	if (!rc && !rows.n)
		rc = lk_err_set(err, LK_ENOTFOUND, "the conversation has no channel user");
	return rc;
}

int sq_handoff_purge_conv(struct conn *c, const char *conv_id, struct lk_err *err)
{
	static const char *const sql[] = {
		"DELETE FROM handoffs WHERE conv_id = ?1",
		"DELETE FROM tickets WHERE conv_id = ?1",
	};
	int rc = 0;

	for (size_t i = 0; i < sizeof(sql) / sizeof(sql[0]) && !rc; i++)
		rc = sq_run_on(c, sql[i], SQ_ARGS(SQ_TEXT(conv_id)), "delete handoffs and tickets",
			       NULL, err);
	return rc;
}

const struct store_handoff_ops store_sqlite_handoff_ops = {
	.handoff_open = sqlite_handoff_open,
	.handoff_active = sqlite_handoff_active,
	.handoff_latest = sqlite_handoff_latest,
	.handoff_claim = sqlite_handoff_claim,
	.handoff_claim_next = sqlite_handoff_claim_next,
	.handoff_assign = sqlite_handoff_assign,
	.handoff_requeue = sqlite_handoff_requeue,
	.handoff_close = sqlite_handoff_close,
	.handoff_position = sqlite_handoff_position,
	.handoff_list = sqlite_handoff_list,
	.handoff_stale = sqlite_handoff_stale,
	.agent_add = sqlite_agent_add,
	.agent_get = sqlite_agent_get,
	.agent_list = sqlite_agent_list,
	.agent_update = sqlite_agent_update,
	.agent_seen = sqlite_agent_seen,
	.agent_login_result = sqlite_agent_login_result,
	.session_add = sqlite_session_add,
	.session_get = sqlite_session_get,
	.session_touch = sqlite_session_touch,
	.session_delete = sqlite_session_delete,
	.session_delete_agent = sqlite_session_delete_agent,
	.session_prune = sqlite_session_prune,
	.audit_add = sqlite_audit_add,
	.audit_list = sqlite_audit_list,
	.ticket_add = sqlite_ticket_add,
	.ticket_list = sqlite_ticket_list,
	.ticket_since = sqlite_ticket_since,
	.ticket_get = sqlite_ticket_get,
	.ticket_done = sqlite_ticket_done,
	.link_by_conv = sqlite_link_by_conv,
};
