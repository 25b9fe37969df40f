/* store_backend.h - private: the table of operations a storage back end
 * implements. store.c dispatches to it; only back ends include this file.
 */
#ifndef LK_STORE_BACKEND_H
#define LK_STORE_BACKEND_H

#include "store/store.h"

struct store_ops {
	const char *scheme; /* URL scheme: "sqlite" */
	int (*open)(void **impl, const char *rest, struct lk_err *err);
	void (*close)(void *impl);
	int (*conv_create)(void *impl, const struct store_conv *c, struct lk_err *err);
	int (*conv_get)(void *impl, const char *id, struct store_conv *out, struct lk_err *err);
	int (*conv_delete)(void *impl, const char *id, struct lk_err *err);
	int (*turns_append)(void *impl, const char *conv_id, struct store_turn *turns, size_t n,
			    struct lk_err *err);
	int (*turns_list)(void *impl, const char *conv_id, struct store_turns *out,
			  struct lk_err *err);
	int (*feedback_add)(void *impl, const char *conv_id, int64_t seq, int helpful,
			    struct lk_err *err);
	int (*kb_upsert)(void *impl, const char *bot, const struct kb_entries *entries,
			 struct lk_err *err);
	int (*kb_load)(void *impl, const char *bot, struct kb_entries *out, int64_t *generation,
		       struct lk_err *err);
	int (*kb_generation)(void *impl, const char *bot, int64_t *generation, struct lk_err *err);
	/* Optional: a back end without vectors leaves these NULL (LK_EUNSUPPORTED). */
	int (*kb_vectors_put)(void *impl, const char *bot, const char *model,
			      const struct store_vec *v, size_t n, struct lk_err *err);
	int (*kb_vectors_load)(void *impl, const char *bot, const char *model,
			       struct store_vecs *out, struct lk_err *err);
};

extern const struct store_ops store_sqlite_ops;

#endif
