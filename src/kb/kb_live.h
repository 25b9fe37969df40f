/* kb_live.h - a bot's live knowledge base: the index currently used for
 * answering, rebuilt in the background when the store's copy changes.
 *
 * The store is the truth: entries are imported into the store, and every
 * server instance builds its in-memory index from there. Readers take a
 * snapshot (a reference to one immutable index) and release it when done, so
 * a rebuild never blocks answering: the new index is swapped in, and the old
 * one is freed when its last reader releases it. When vectors are configured
 * (kb_live_use_vectors), each snapshot also holds the entries' vectors for
 * hybrid ranking, loaded from the store with the index.
 */
#ifndef LK_KB_LIVE_H
#define LK_KB_LIVE_H

#include "core/err.h"
#include "kb/kb_index.h"
#include "kb/kb_vectors.h"
#include "store/store.h"

#include <stdint.h>

struct kb_live;
struct kb_snap;

/* --- importing into the store --- */
/* Parses every file (all must parse, else nothing is stored and err names
 * the file and line) and upserts the entries for `bot_id` in one transaction.
 * *count (may be NULL) receives the number of entries stored. */
int kb_live_import_files(struct store *st, const char *bot_id, const char *const *paths,
			 size_t n_paths, size_t *count, struct lk_err *err);
/* Same for every .jsonl .csv .md .markdown .html .htm file in `dir` (sorted
 * by name). A missing directory is not an error. */
int kb_live_import_dir(struct store *st, const char *bot_id, const char *dir, size_t *count,
		       struct lk_err *err);

/* --- lifecycle --- */
/* Loads the bot's entries from the store and builds the first index.
 * `synonyms_path` may be NULL. Caller frees with kb_live_free(). */
int kb_live_open(struct kb_live **out, struct store *st, const char *bot_id,
		 const char *synonyms_path, struct lk_err *err);
/* Starts a thread that checks the store every interval_ms and rebuilds the
 * index when the knowledge base changed. */
int kb_live_watch(struct kb_live *kl, unsigned interval_ms, struct lk_err *err);
/* Stops the watcher, waits for readers to be gone is the caller's duty. */
void kb_live_free(struct kb_live *kl);

/* Rebuilds now if the store's generation differs from the index's. */
int kb_live_refresh(struct kb_live *kl, struct lk_err *err);

/* Makes every index build (now and on later rebuilds) also load the vectors
 * of `model` from the store (NULL: no vectors). Call before kb_live_watch.
 * Rebuilds the current snapshot now; on failure the old one stays, and so
 * does the old model. Vectors stored later (kb_vectors_sync bumps the
 * generation) are picked up by the next refresh. */
int kb_live_use_vectors(struct kb_live *kl, const char *model, struct lk_err *err);

/* --- reading --- */
/* A reference to the current index; never NULL. Release it when done. */
struct kb_snap *kb_live_acquire(struct kb_live *kl);
const struct kb_index *kb_snap_index(const struct kb_snap *s);
/* The vectors of the snapshot's index, or NULL when none are configured or
 * stored. Borrowed like the index. */
const struct kb_vectors *kb_snap_vectors(const struct kb_snap *s);
void kb_snap_release(struct kb_snap *s);

#endif
