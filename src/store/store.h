/* store.h - the one storage interface of Loket: conversations, turns,
 * feedback, the knowledge base and its vectors.
 *
 * The engine only ever talks to this interface; back ends plug in behind it
 * (store_sqlite.c today; PostgreSQL follows). A struct store is safe to use
 * from many threads at once. Every write that returns 0 is durable against a
 * crash of the process (SQLite WAL; with `sync=full` also against power loss).
 */
#ifndef LK_STORE_H
#define LK_STORE_H

#include "core/err.h"
#include "kb/kb_entry.h"

#include <stddef.h>
#include <stdint.h>

struct store;

#define STORE_ID_LEN 32        /* conversation ids: 32 lowercase hex chars */
#define STORE_TOKEN_HASH_LEN 32 /* SHA-256 of the conversation token */

struct store_conv {
	char id[STORE_ID_LEN + 1];
	char bot[64];
	char lang[8];
	char channel[16];
	unsigned char token_hash[STORE_TOKEN_HASH_LEN];
	int64_t created_at; /* unix seconds */
	int64_t turns;      /* number of turns stored */
};

struct store_turn {
	int64_t seq;        /* 1, 2, 3 ... per conversation; set by the store */
	char role[8];       /* "user" | "bot" */
	char kind[16];      /* "text", "action", "system", "answer", ... */
	char *text;         /* owned */
	char *data;         /* owned JSON text (sources, quick replies) or NULL */
	int64_t created_at; /* unix seconds; set by the store when 0 */
};

struct store_turns {
	struct store_turn *v;
	size_t n;
};

/* --- lifecycle --- */
/* url: "sqlite:PATH" (PATH ":memory:" for a private in-memory store).
 * Creates the schema when needed. Caller frees with store_close(). */
int store_open(struct store **out, const char *url, struct lk_err *err);
void store_close(struct store *st);

/* --- conversations --- */
int store_conv_create(struct store *st, const struct store_conv *c, struct lk_err *err);
/* LK_ENOTFOUND when there is no such conversation. */
int store_conv_get(struct store *st, const char *id, struct store_conv *out, struct lk_err *err);
/* Erases the conversation with all its turns and feedback (AVG art. 17). */
int store_conv_delete(struct store *st, const char *id, struct lk_err *err);

/* --- turns --- */
/* Appends n turns in one transaction, giving them the next sequence numbers
 * (written back into turns[i].seq). All or nothing. If turns[0].seq is not 0
 * the caller expects that number: when another writer came first the call
 * fails with LK_EBUSY and stores nothing (optimistic concurrency). */
int store_turns_append(struct store *st, const char *conv_id, struct store_turn *turns,
		       size_t n, struct lk_err *err);
/* Like store_turns_append(), and sets the conversation's dialog state (a
 * JSON text; "" clears it; NULL leaves it) in the same transaction, so a
 * flow's step and the turns that led to it are never out of step. */
int store_turns_append_state(struct store *st, const char *conv_id, struct store_turn *turns,
			     size_t n, const char *state, struct lk_err *err);
/* The conversation's dialog state, or *out NULL when it has none. Caller
 * frees *out. */
int store_conv_state_get(struct store *st, const char *conv_id, char **out, struct lk_err *err);
/* All turns in order. Caller releases with store_turns_release(). */
int store_turns_list(struct store *st, const char *conv_id, struct store_turns *out,
		     struct lk_err *err);
void store_turns_release(struct store_turns *t);
void store_turn_release(struct store_turn *t);

/* --- feedback --- */
/* helpful: 1 helped, 0 not helped, for the bot turn `seq`. */
int store_feedback_add(struct store *st, const char *conv_id, int64_t seq, int helpful,
		       struct lk_err *err);

/* --- knowledge base --- */
/* Inserts or replaces entries by (bot, id) in one transaction, and bumps the
 * bot's knowledge-base generation so running servers rebuild their index. */
int store_kb_upsert(struct store *st, const char *bot, const struct kb_entries *entries,
		    struct lk_err *err);
/* Appends all of the bot's entries to out (in import order); sets *generation. */
int store_kb_load(struct store *st, const char *bot, struct kb_entries *out,
		  int64_t *generation, struct lk_err *err);
/* The bot's knowledge-base generation: 0 if nothing was ever imported. */
int store_kb_generation(struct store *st, const char *bot, int64_t *generation,
			struct lk_err *err);

/* --- knowledge-base vectors (embeddings) ---
 * One vector per (bot, model, entry id), stored as little-endian float32
 * with its dimension and the SHA-256 of the text it was computed from (so a
 * changed entry shows its vector is stale). A vector whose entry no longer
 * exists is never loaded, and is deleted by the next store_kb_vectors_put()
 * for that bot. */
#define STORE_VEC_HASH_LEN 32   /* SHA-256 of the embedded text */
#define STORE_VEC_DIM_MAX 8192  /* larger vectors are refused */
#define STORE_VEC_MODEL_MAX 256 /* bytes of a model name */

struct store_vec {
	char *entry_id; /* owned in loaded lists; borrowed when putting */
	unsigned char text_hash[STORE_VEC_HASH_LEN];
	float *v;       /* dim floats; owned in loaded lists; borrowed when putting */
	size_t dim;     /* 1 .. STORE_VEC_DIM_MAX */
};

struct store_vecs {
	struct store_vec *v;
	size_t n;
};

/* Inserts or replaces the vectors of (bot, model, entry_id) in one
 * transaction, deletes the bot's vectors whose entry is gone (for every
 * model), and bumps the bot's knowledge-base generation so running servers
 * rebuild with the new vectors. Vectors for ids the bot has no entry for are
 * dropped. All or nothing; LK_EINVAL (nothing stored) for an empty model or
 * entry id, or a dimension outside 1..STORE_VEC_DIM_MAX. n == 0 does nothing. */
int store_kb_vectors_put(struct store *st, const char *bot, const char *model,
			 const struct store_vec *v, size_t n, struct lk_err *err);
/* All vectors stored for (bot, model) whose entry exists, in import order;
 * malformed rows are skipped. Caller releases with store_vecs_release(). */
int store_kb_vectors_load(struct store *st, const char *bot, const char *model,
			  struct store_vecs *out, struct lk_err *err);
void store_vecs_release(struct store_vecs *v);

/* --- built-in backends (src/integrations) ---
 * What the built-in backends of the guided flows keep: reference data seeded
 * from a bot's data folder (products, locations, addresses, cases, ...),
 * appointments with their capacity check, records (meldingen, permits,
 * feedback) and attachments. Every row belongs to one bot and is only ever
 * read back for that bot. References are unique over all bots. A back end
 * without these tables answers LK_EUNSUPPORTED. */
#define STORE_REF_MAX 24 /* bytes of a reference ("AF-3KXH7Q"), NUL included */

/* Reference data: (bot, kind, key) -> JSON text. */
struct store_idata {
	char *kind;  /* owned in loaded lists; borrowed when seeding */
	char *key;   /* idem */
	char *value; /* JSON text; idem */
};

struct store_idatas {
	struct store_idata *v;
	size_t n;
};

/* In one transaction: unless `version` is what the bot was last seeded with,
 * replaces all of the bot's reference data with v[0..n) (in that order) and
 * records `version`. *seeded (may be NULL) tells whether anything changed.
 * Bookings and records are never touched. LK_EINVAL for an empty kind or key. */
int store_idata_seed(struct store *st, const char *bot, const char *version,
		     const struct store_idata *v, size_t n, int *seeded, struct lk_err *err);
/* One value; *value is the JSON text (caller frees). LK_ENOTFOUND if absent. */
int store_idata_get(struct store *st, const char *bot, const char *kind, const char *key,
		    char **value, struct lk_err *err);
/* Every item of (bot, kind) in seeding order (kind NULL: every kind).
 * Caller releases with store_idatas_release(). */
int store_idata_list(struct store *st, const char *bot, const char *kind,
		     struct store_idatas *out, struct lk_err *err);
void store_idatas_release(struct store_idatas *l);

/* Appointments. Times are local minutes after midnight, a booking holds
 * [start_min, end_min) of its day at its location. */
struct store_appt {
	char ref[STORE_REF_MAX];
	char product[64];
	char location[64];
	char day[11];        /* YYYY-MM-DD, local date */
	int start_min;
	int end_min;
	char status[16];     /* "booked" | "cancelled" */
	char name[512];
	char email[256];
	int64_t created_at;  /* unix seconds */
	int64_t updated_at;
};

struct store_appt_span {
	char day[11];
	int start_min;
	int end_min;
};

struct store_appt_spans {
	struct store_appt_span *v;
	size_t n;
};

/* Stores a (status "booked") if, at every moment of [start_min, end_min),
 * fewer than `capacity` booked appointments of the same bot, location and day
 * overlap it: check and insert are one transaction, so of two callers racing
 * for the last place exactly one wins. LK_EBUSY when full (nothing stored),
 * LK_EEXIST when a->ref is taken, LK_EINVAL for an empty span. */
int store_appt_book(struct store *st, const char *bot, const struct store_appt *a, int capacity,
		    struct lk_err *err);
/* LK_ENOTFOUND when the bot has no appointment `ref` (in any status). */
int store_appt_get(struct store *st, const char *bot, const char *ref, struct store_appt *out,
		   struct lk_err *err);
/* Marks a booked appointment "cancelled", which frees its place. LK_ENOTFOUND
 * when the bot has no *booked* appointment `ref`. */
int store_appt_cancel(struct store *st, const char *bot, const char *ref, int64_t now,
		      struct lk_err *err);
/* Moves a booked appointment to (day, start_min, end_min) at its location, in
 * one transaction with the capacity check (the appointment itself not
 * counted). LK_ENOTFOUND as for cancel; LK_EBUSY when full (nothing changed). */
int store_appt_move(struct store *st, const char *bot, const char *ref, const char *day,
		    int start_min, int end_min, int capacity, int64_t now, struct lk_err *err);
/* The booked spans at (bot, location) on the days from..to (inclusive).
 * Caller releases with store_appt_spans_release(). */
int store_appt_spans(struct store *st, const char *bot, const char *location, const char *from,
		     const char *to, struct store_appt_spans *out, struct lk_err *err);
void store_appt_spans_release(struct store_appt_spans *s);

/* Records: meldingen, permit applications, feedback, ... */
struct store_record {
	char ref[STORE_REF_MAX];
	char kind[16];      /* "melding", "permit", "feedback" */
	char status[16];    /* "open", "requested", ... */
	char key[128];      /* what nearby/unique searches use: category, permit type */
	int has_pos;        /* lat/lon are set */
	double lat, lon;    /* WGS84 degrees */
	int64_t num;        /* a number to count by (feedback: the rating) */
	char *data;         /* JSON text or NULL; owned when loaded, borrowed when adding */
	int64_t created_at; /* unix seconds */
};

struct store_records {
	struct store_record *v;
	size_t n;
};

/* Adds r. `uniq` (may be NULL) must be unique among the bot's records of
 * r->kind: LK_EEXIST when another record holds it, LK_EBUSY when r->ref is
 * taken (nothing stored either way). */
int store_record_add(struct store *st, const char *bot, const struct store_record *r,
		     const char *uniq, struct lk_err *err);
/* LK_ENOTFOUND when the bot has no record `ref`. Caller releases with
 * store_record_release(). */
int store_record_get(struct store *st, const char *bot, const char *ref,
		     struct store_record *out, struct lk_err *err);
void store_record_release(struct store_record *r);
/* Records of (bot, kind, key, status) whose position lies in the box
 * [lat0, lat1] x [lon0, lon1], newest first, at most `max`.
 * Caller releases with store_records_release(). */
int store_records_in_box(struct store *st, const char *bot, const char *kind, const char *key,
			 const char *status, double lat0, double lat1, double lon0, double lon1,
			 size_t max, struct store_records *out, struct lk_err *err);
void store_records_release(struct store_records *l);
/* counts[i] = number of the bot's records of `kind` with num == lo + i, for
 * i in 0..hi-lo (the caller's array holds hi - lo + 1 counters). */
int store_records_count(struct store *st, const char *bot, const char *kind, int64_t lo,
			int64_t hi, int64_t *counts, struct lk_err *err);

/* Attachments (a photo with a melding). Deleted with their conversation. */
#define STORE_ATTACHMENT_ID_LEN 32 /* lowercase hex */
#define STORE_ATTACHMENT_MAX ((size_t)5 << 20)

struct store_attachment {
	char id[STORE_ATTACHMENT_ID_LEN + 1];
	char conv_id[STORE_ID_LEN + 1];
	char content_type[32];
	size_t size;
	unsigned char *data; /* size bytes, owned; NULL when not asked for */
	int64_t created_at;
};

/* Stores a->data[0..size) (1..STORE_ATTACHMENT_MAX bytes) under a->id for
 * the bot's conversation a->conv_id. LK_ENOTFOUND when that conversation does
 * not exist (or is another bot's). */
int store_attachment_put(struct store *st, const char *bot, const struct store_attachment *a,
			 struct lk_err *err);
/* with_data 0 reads only the description (out->data NULL). LK_ENOTFOUND when
 * the bot has no attachment `id`. Caller frees out->data. */
int store_attachment_get(struct store *st, const char *bot, const char *id, int with_data,
			 struct store_attachment *out, struct lk_err *err);
/* --- end of built-in backends --- */

/* --- messaging channels (src/channels) ---
 * Every inbound WhatsApp or Telegram event is recorded before it is
 * acknowledged: the record is the duplicate check (platforms deliver
 * again when unsure) and lets a restarted server handle what it had
 * acknowledged but not answered. Its text is dropped once handled. */
struct store_inbox_event {
	char channel[16];     /* "whatsapp", "telegram" */
	char event_id[161];
	char user[65];        /* the platform's user or chat id */
	char kind[8];         /* "text", "action", "other" */
	char *text;           /* owned; NULL for "other" */
	char callback_id[161];
	char lang[8];
	int64_t received_at;
};
/* LK_EEXIST (no error message) when the event was recorded before. */
int store_inbox_add(struct store *st, const char *bot, const struct store_inbox_event *ev,
		    struct lk_err *err);
int store_inbox_done(struct store *st, const char *bot, const char *channel, const char *event_id,
		     struct lk_err *err);
/* Recorded events not handled yet, oldest first, at most max. Caller frees
 * with store_inbox_release(). */
int store_inbox_pending(struct store *st, const char *bot, struct store_inbox_event **out,
			size_t *n, size_t max, size_t offset, struct lk_err *err);
void store_inbox_release(struct store_inbox_event *v, size_t n);
/* The conversation of a channel's user and when they last wrote (unix s);
 * LK_ENOTFOUND when none. Erasing the conversation erases the link. */
int store_link_get(struct store *st, const char *bot, const char *channel, const char *user,
		   char conv_id[STORE_ID_LEN + 1], int64_t *last_inbound, struct lk_err *err);
int store_link_put(struct store *st, const char *bot, const char *channel, const char *user,
		   const char *conv_id, int64_t last_inbound, struct lk_err *err);

/* --- human handoff (src/handoff) ---
 * Handoffs of a conversation to a human agent, the agents and their login
 * sessions, the audit trail and the tickets ("leave a question") of after
 * hours. Times are unix milliseconds. "teams" arguments are a JSON array text
 * like ["a","b"]; NULL means every team. A back end without these tables
 * answers LK_EUNSUPPORTED. */
#define STORE_TEAM_MAX 32
#define STORE_AGENT_ID_MAX 40

struct store_handoff {
	int64_t id;                     /* set by the store */
	char conv_id[STORE_ID_LEN + 1];
	char team[STORE_TEAM_MAX];
	char status[12];                /* "waiting" | "assigned" | "closed" */
	char agent[STORE_AGENT_ID_MAX]; /* agent id holding it, "" when none */
	char reason[24];                /* "asked","fallbacks","flow_fails","topic","after_hours" */
	char outcome[16];               /* when closed: "closed","returned","cancelled",
					 * "after_hours"; else "" */
	int64_t requested_ms, claimed_ms, closed_ms;
	char *summary;                  /* owned when loaded (may be NULL) */
	char *data;                     /* JSON text, owned when loaded (may be NULL) */
};

struct store_handoffs {
	struct store_handoff *v;
	size_t n;
};

void store_handoff_release(struct store_handoff *h);
void store_handoffs_release(struct store_handoffs *l);

/* New handoff (status from h->status: "waiting", or "closed" for an
 * after-hours record). LK_EEXIST when the conversation already has an active
 * (waiting/assigned) one. Sets h->id. */
int store_handoff_open(struct store *st, const char *bot, struct store_handoff *h,
		       struct lk_err *err);
/* The conversation's active handoff; LK_ENOTFOUND when none. Caller releases
 * out with store_handoff_release(). (Same for every *out below.) */
int store_handoff_active(struct store *st, const char *bot, const char *conv_id,
			 struct store_handoff *out, struct lk_err *err);
/* The conversation's most recent handoff in any status; LK_ENOTFOUND when none. */
int store_handoff_latest(struct store *st, const char *bot, const char *conv_id,
			 struct store_handoff *out, struct lk_err *err);
/* Claims conv_id's waiting handoff for agent if its team is in `teams`: one
 * conditional UPDATE. LK_EBUSY when it is not waiting (someone else was first),
 * LK_EPERM when its team is not in teams, LK_ENOTFOUND when there is no active
 * handoff. On success fills *out (may be NULL). */
int store_handoff_claim(struct store *st, const char *bot, const char *conv_id, const char *agent,
			const char *teams, int64_t now_ms, struct store_handoff *out,
			struct lk_err *err);
/* Claims the oldest waiting handoff (requested_ms, id) among `teams`, in one
 * transaction. LK_ENOTFOUND when none waits. out may be NULL. */
int store_handoff_claim_next(struct store *st, const char *bot, const char *agent,
			     const char *teams, int64_t now_ms, struct store_handoff *out,
			     struct lk_err *err);
/* Supervisor: gives the active handoff to agent (waiting, or assigned to
 * someone else). LK_ENOTFOUND when none. out may be NULL. */
int store_handoff_assign(struct store *st, const char *bot, const char *conv_id, const char *agent,
			 int64_t now_ms, struct store_handoff *out, struct lk_err *err);
/* Back to the queue ("waiting", agent ""), to team (NULL: the same).
 * holder != NULL: only when that agent holds it (LK_EBUSY otherwise).
 * requested_ms is kept (the citizen keeps their place). LK_ENOTFOUND when
 * there is no active handoff. out may be NULL. */
int store_handoff_requeue(struct store *st, const char *bot, const char *conv_id,
			  const char *holder, const char *team, struct store_handoff *out,
			  struct lk_err *err);
/* Closes the active handoff with outcome and summary (may be NULL). holder
 * as for requeue. LK_ENOTFOUND when none is active. out may be NULL. */
int store_handoff_close(struct store *st, const char *bot, const char *conv_id, const char *holder,
			const char *outcome, const char *summary, int64_t now_ms,
			struct store_handoff *out, struct lk_err *err);
/* 1-based place among the waiting handoffs of its team (ordered by
 * requested_ms, id); *pos 0 when the conversation has no waiting handoff. */
int store_handoff_position(struct store *st, const char *bot, const char *conv_id, int64_t *pos,
			   struct lk_err *err);
/* Active handoffs with status (NULL: waiting and assigned; "closed" also
 * works) in teams, agent (NULL: any), ordered by (requested_ms, id), at most
 * limit (larger limits count as 10000). Caller releases with
 * store_handoffs_release(). */
int store_handoff_list(struct store *st, const char *bot, const char *status, const char *teams,
		       const char *agent, size_t limit, struct store_handoffs *out,
		       struct lk_err *err);
/* Assigned handoffs whose agent's last_seen_ms < cutoff_ms (or whose agent is
 * gone or disabled). Caller releases with store_handoffs_release(). */
int store_handoff_stale(struct store *st, const char *bot, int64_t cutoff_ms,
			struct store_handoffs *out, struct lk_err *err);

struct store_agent {
	char id[STORE_AGENT_ID_MAX];
	char username[64];
	char name[128]; /* shown to citizens */
	char role[12];  /* "agent" | "supervisor" | "admin" */
	char *teams;    /* JSON array text; owned when loaded, borrowed when adding */
	char *pw_hash;  /* argon2id encoded; owned when loaded, borrowed when adding */
	int disabled;
	int failed_logins;
	int64_t locked_until_ms, last_seen_ms, created_ms;
};

struct store_agents {
	struct store_agent *v;
	size_t n;
};

void store_agent_release(struct store_agent *a);
void store_agents_release(struct store_agents *l);
/* LK_EEXIST: username or id taken. */
int store_agent_add(struct store *st, const char *bot, const struct store_agent *a,
		    struct lk_err *err);
/* LK_ENOTFOUND. Caller releases with store_agent_release(). */
int store_agent_get(struct store *st, const char *bot, const char *id, struct store_agent *out,
		    struct lk_err *err);
int store_agent_by_username(struct store *st, const char *bot, const char *username,
			    struct store_agent *out, struct lk_err *err);
/* Ordered by username. Caller releases with store_agents_release(). */
int store_agent_list(struct store *st, const char *bot, struct store_agents *out,
		     struct lk_err *err);
/* Updates name, role, teams and pw_hash (each NULL: keep), disabled of
 * a->id. LK_ENOTFOUND. */
int store_agent_update(struct store *st, const char *bot, const struct store_agent *a,
		       struct lk_err *err);
int store_agent_seen(struct store *st, const char *bot, const char *id, int64_t now_ms,
		     struct lk_err *err);
/* Records a login attempt: ok resets failed_logins; a failure increments it
 * and, at `lock_after` failures, sets locked_until_ms = now_ms + lock_ms and
 * resets the count. LK_ENOTFOUND. */
int store_agent_login_result(struct store *st, const char *bot, const char *id, int ok,
			     int lock_after, int64_t lock_ms, int64_t now_ms, struct lk_err *err);

struct store_session {
	unsigned char token_hash[32]; /* SHA-256 of the cookie token */
	char agent_id[STORE_AGENT_ID_MAX];
	char csrf[65];                /* 64 hex */
	int64_t created_ms, expires_ms;
};

int store_session_add(struct store *st, const char *bot, const struct store_session *s,
		      struct lk_err *err);
/* LK_ENOTFOUND (also when expired sessions were not pruned yet: the caller
 * checks expires_ms). */
int store_session_get(struct store *st, const char *bot, const unsigned char hash[32],
		      struct store_session *out, struct lk_err *err);
int store_session_touch(struct store *st, const char *bot, const unsigned char hash[32],
			int64_t expires_ms, struct lk_err *err);
/* 0 also when there was no such session (logging out twice is fine). */
int store_session_delete(struct store *st, const char *bot, const unsigned char hash[32],
			 struct lk_err *err);
int store_session_delete_agent(struct store *st, const char *bot, const char *agent_id,
			       struct lk_err *err);
/* Deletes expired sessions (expires_ms <= now_ms). */
int store_session_prune(struct store *st, const char *bot, int64_t now_ms, struct lk_err *err);

struct store_audit {
	int64_t id, at_ms;
	char actor[STORE_AGENT_ID_MAX]; /* agent id, or "citizen", "bot", "system" */
	char action[24];                /* "handoff","claim","assign","transfer",... */
	char conv_id[STORE_ID_LEN + 1]; /* may be "" */
	char team[STORE_TEAM_MAX];
	char detail[256];               /* short, never personal data */
};

struct store_audits {
	struct store_audit *v;
	size_t n;
};

void store_audits_release(struct store_audits *l);
int store_audit_add(struct store *st, const char *bot, const struct store_audit *a,
		    struct lk_err *err);
/* Newest first; conv_id NULL: all; before_id 0: from the newest; limit <= 1000.
 * Caller releases with store_audits_release(). */
int store_audit_list(struct store *st, const char *bot, const char *conv_id, int64_t before_id,
		     size_t limit, struct store_audits *out, struct lk_err *err);

struct store_ticket {
	char ref[STORE_REF_MAX]; /* "VR-XXXXXX" */
	char team[STORE_TEAM_MAX];
	char conv_id[STORE_ID_LEN + 1];
	char lang[8];
	char status[12];         /* "open" | "done" */
	char *question, *name, *contact; /* owned when loaded, borrowed when adding */
	int64_t created_ms, done_ms;
	char done_by[STORE_AGENT_ID_MAX];
};

struct store_tickets {
	struct store_ticket *v;
	size_t n;
};

void store_ticket_release(struct store_ticket *t);
void store_tickets_release(struct store_tickets *l);
/* Stored with status "open". LK_EBUSY: ref taken. */
int store_ticket_add(struct store *st, const char *bot, const struct store_ticket *t,
		     struct lk_err *err);
/* teams NULL: all; a ticket whose team is "" is listed for every teams filter.
 * status NULL: all. Oldest first, limit <= 1000. Caller releases with
 * store_tickets_release(). */
int store_ticket_list(struct store *st, const char *bot, const char *teams, const char *status,
		      size_t limit, struct store_tickets *out, struct lk_err *err);
/* Tickets created after after_ms in any status, oldest first, limit <= 1000
 * (so new ones can be announced). Caller releases with store_tickets_release(). */
int store_ticket_since(struct store *st, const char *bot, int64_t after_ms, size_t limit,
		       struct store_tickets *out, struct lk_err *err);
/* LK_ENOTFOUND. Caller releases with store_ticket_release(). */
int store_ticket_get(struct store *st, const char *bot, const char *ref, struct store_ticket *out,
		     struct lk_err *err);
/* open -> done. LK_ENOTFOUND; LK_EBUSY when already done. */
int store_ticket_done(struct store *st, const char *bot, const char *ref, const char *agent,
		      int64_t now_ms, struct lk_err *err);

/* The platform user linked to a conversation (channel_links reverse lookup):
 * fills channel (>= 16 bytes), user (>= 128 bytes) and *last_inbound (may be
 * NULL; the user's last message, unix seconds). LK_ENOTFOUND when none. */
int store_link_by_conv(struct store *st, const char *bot, const char *conv_id, char *channel,
		       size_t channel_size, char *user, size_t user_size, int64_t *last_inbound,
		       struct lk_err *err);
/* --- end of human handoff --- */

#endif
