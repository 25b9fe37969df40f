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

#endif
