/* kb_live.c - reference-counted index snapshots, swapped in when the store's
 * knowledge base changes (see kb_live.h).
 */
#include "kb/kb_live.h"

#include "core/buf.h"
#include "core/clock.h"
#include "core/mem.h"
#include "kb/kb_import.h"
#include "kb/kb_synonyms.h"

#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct kb_snap {
	struct kb_index *ix;
	struct kb_vectors *kv; /* NULL: no vectors configured or stored */
	int64_t generation;
	int refs; /* guarded by kb_live.lock */
	struct kb_live *owner;
};

struct kb_live {
	struct store *st;
	char *bot_id;
	char *synonyms_path;
	char *vec_model;            /* NULL: no vectors; guarded by build_lock */
	struct kb_snap *current;
	pthread_mutex_t lock;       /* guards current and refs */
	pthread_mutex_t build_lock; /* one rebuild at a time */
	pthread_t watcher;
	int watching;
	int stop;
	pthread_cond_t stop_cond;
	unsigned interval_ms;
};

int kb_live_import_files(struct store *st, const char *bot_id, const char *const *paths,
			 size_t n_paths, size_t *count, struct lk_err *err)
{
	struct kb_entries all;
	int rc = 0;

	kb_entries_init(&all);
	for (size_t i = 0; i < n_paths && !rc; i++)
		rc = kb_import_file(paths[i], &all, err);
	if (!rc) {
		kb_entries_dedupe(&all);
		rc = store_kb_upsert(st, bot_id, &all, err);
	}
	if (!rc && count)
		*count = all.n;
	kb_entries_release(&all);
	return rc;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int kb_live_import_dir(struct store *st, const char *bot_id, const char *dir, size_t *count,
		       struct lk_err *err)
{
	char **paths = NULL;
	size_t n = 0, alloc = 0;
	struct dirent *de;
	DIR *d = opendir(dir);
	int rc;

	if (count)
		*count = 0;
	if (!d)
		return errno == ENOENT ? 0 : lk_err_set(err, LK_EIO, "%s: %s", dir, strerror(errno));
	while ((de = readdir(d))) {
		struct buf p;

		if (de->d_name[0] == '.')
			continue;
		buf_init(&p, 4096);
		buf_addf(&p, "%s/%s", dir, de->d_name);
		if (kb_format_from_path(p.ptr) == KB_FORMAT_UNKNOWN) {
			buf_release(&p);
			continue;
		}
		if (n == alloc) {
			alloc = alloc ? alloc * 2 : 8;
			paths = xreallocarray(paths, alloc, sizeof(*paths));
		}
		paths[n++] = buf_detach(&p, NULL);
	}
	closedir(d);
	if (n)
		qsort(paths, n, sizeof(*paths), cmp_str);
	rc = kb_live_import_files(st, bot_id, (const char *const *)paths, n, count, err);
	for (size_t i = 0; i < n; i++)
		free(paths[i]);
	free(paths);
	return rc;
}

/* Builds a snapshot from the store. Caller owns the result (refs == 1). */
static int snap_build(struct kb_live *kl, struct kb_snap **out, struct lk_err *err)
{
	struct kb_synonyms *syn = NULL;
	struct kb_entries entries;
	struct kb_snap *s;
	int64_t gen = 0;
	int rc;

	kb_entries_init(&entries);
	rc = store_kb_load(kl->st, kl->bot_id, &entries, &gen, err);
	if (!rc && kl->synonyms_path)
		rc = kb_synonyms_load(&syn, kl->synonyms_path, err);
	if (rc)
		goto out;
	s = xcalloc(1, sizeof(*s));
	rc = kb_index_build(&s->ix, &entries, syn, err);
	if (rc) {
		free(s);
		goto out;
	}
	/* Vectors are read after the entries: if they change in between, the
	 * generation moved on and the next refresh builds again. */
	if (kl->vec_model) {
		rc = kb_vectors_build(&s->kv, kl->st, kl->bot_id, kl->vec_model, s->ix, err);
		if (rc) {
			kb_index_free(s->ix);
			free(s);
			goto out;
		}
		if (!kb_vectors_count(s->kv)) {
			kb_vectors_free(s->kv);
			s->kv = NULL;
		}
	}
	s->generation = gen;
	s->refs = 1;
	s->owner = kl;
	*out = s;
out:
	kb_synonyms_free(syn);
	kb_entries_release(&entries);
	return rc;
}

static void snap_unref_locked(struct kb_snap *s)
{
	if (--s->refs == 0) {
		kb_vectors_free(s->kv);
		kb_index_free(s->ix);
		free(s);
	}
}

int kb_live_open(struct kb_live **out, struct store *st, const char *bot_id,
		 const char *synonyms_path, struct lk_err *err)
{
	struct kb_live *kl = xcalloc(1, sizeof(*kl));
	int rc;

	*out = NULL;
	kl->st = st;
	kl->bot_id = xstrdup(bot_id);
	kl->synonyms_path = xstrdup(synonyms_path);
	pthread_mutex_init(&kl->lock, NULL);
	pthread_mutex_init(&kl->build_lock, NULL);
	pthread_cond_init(&kl->stop_cond, NULL);
	rc = snap_build(kl, &kl->current, err);
	if (rc) {
		kb_live_free(kl);
		return rc;
	}
	*out = kl;
	return 0;
}

/* Swaps in a fresh snapshot. Called with build_lock held. */
static void snap_swap(struct kb_live *kl, struct kb_snap *fresh)
{
	struct kb_snap *old;

	pthread_mutex_lock(&kl->lock);
	old = kl->current;
	kl->current = fresh;
	snap_unref_locked(old);
	pthread_mutex_unlock(&kl->lock);
}

int kb_live_refresh(struct kb_live *kl, struct lk_err *err)
{
	struct kb_snap *fresh = NULL;
	int64_t gen = 0;
	int rc;

	pthread_mutex_lock(&kl->build_lock);
	rc = store_kb_generation(kl->st, kl->bot_id, &gen, err);
	if (rc || gen == kl->current->generation)
		goto out;
	rc = snap_build(kl, &fresh, err);
	if (!rc)
		snap_swap(kl, fresh);
out:
	pthread_mutex_unlock(&kl->build_lock);
	return rc;
}

int kb_live_use_vectors(struct kb_live *kl, const char *model, struct lk_err *err)
{
	struct kb_snap *fresh = NULL;
	char *old_model;
	int rc;

	pthread_mutex_lock(&kl->build_lock);
	old_model = kl->vec_model;
	kl->vec_model = model && *model ? xstrdup(model) : NULL;
	rc = snap_build(kl, &fresh, err);
	if (rc) {
		free(kl->vec_model);
		kl->vec_model = old_model;
	} else {
		free(old_model);
		snap_swap(kl, fresh);
	}
	pthread_mutex_unlock(&kl->build_lock);
	return rc;
}

static void *watch_main(void *arg)
{
	struct kb_live *kl = arg;
	struct lk_err err = {0};

	pthread_mutex_lock(&kl->lock);
	while (!kl->stop) {
		struct timespec ts;

		lk_deadline_ms(&ts, kl->interval_ms);
		pthread_cond_timedwait(&kl->stop_cond, &kl->lock, &ts);
		if (kl->stop)
			break;
		pthread_mutex_unlock(&kl->lock);
		/* A failed rebuild keeps the old index; the next tick tries again. */
		kb_live_refresh(kl, &err);
		pthread_mutex_lock(&kl->lock);
	}
	pthread_mutex_unlock(&kl->lock);
	return NULL;
}

int kb_live_watch(struct kb_live *kl, unsigned interval_ms, struct lk_err *err)
{
	kl->interval_ms = interval_ms ? interval_ms : 2000;
	if (pthread_create(&kl->watcher, NULL, watch_main, kl))
		return lk_err_set(err, LK_EIO, "cannot start the knowledge-base watcher");
	kl->watching = 1;
	return 0;
}

void kb_live_free(struct kb_live *kl)
{
	if (!kl)
		return;
	if (kl->watching) {
		pthread_mutex_lock(&kl->lock);
		kl->stop = 1;
		pthread_cond_signal(&kl->stop_cond);
		pthread_mutex_unlock(&kl->lock);
		pthread_join(kl->watcher, NULL);
	}
	if (kl->current) {
		pthread_mutex_lock(&kl->lock);
		snap_unref_locked(kl->current);
		pthread_mutex_unlock(&kl->lock);
	}
	pthread_mutex_destroy(&kl->lock);
	pthread_mutex_destroy(&kl->build_lock);
	pthread_cond_destroy(&kl->stop_cond);
	free(kl->bot_id);
	free(kl->synonyms_path);
	free(kl->vec_model);
	free(kl);
}

struct kb_snap *kb_live_acquire(struct kb_live *kl)
{
	struct kb_snap *s;

	pthread_mutex_lock(&kl->lock);
	s = kl->current;
	s->refs++;
	pthread_mutex_unlock(&kl->lock);
	return s;
}

const struct kb_index *kb_snap_index(const struct kb_snap *s)
{
	return s->ix;
}

const struct kb_vectors *kb_snap_vectors(const struct kb_snap *s)
{
	return s->kv;
}

void kb_snap_release(struct kb_snap *s)
{
	struct kb_live *kl;

	if (!s)
		return;
	kl = s->owner;
	pthread_mutex_lock(&kl->lock);
	snap_unref_locked(s);
	pthread_mutex_unlock(&kl->lock);
}
