/* buf.h - the one growable byte buffer, with a maximum size.
 *
 * Invariants: after buf_init(), `ptr` is never NULL and always NUL-terminated
 * at ptr[len] (it may point at a shared empty string until the first append);
 * `len` never exceeds `max`. An append that would pass `max` appends nothing
 * and returns LK_ETOOBIG, so no buffer grows without bound.
 * buf_detach() is the one way to take ownership of the bytes.
 */
#ifndef LK_BUF_H
#define LK_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct buf {
	char *ptr;
	size_t len;
	size_t cap;
	size_t max;
};

#define BUF_MAX_DEFAULT ((size_t)64 << 20)

/* --- lifecycle --- */
void buf_init(struct buf *b, size_t max);
void buf_release(struct buf *b);      /* frees, then re-inits with the same max */
void buf_reset(struct buf *b);        /* len = 0, keeps memory */
/* Caller frees the returned string; the buffer is re-initialised. */
char *buf_detach(struct buf *b, size_t *len);

/* --- appending: 0 or LK_ETOOBIG --- */
int buf_add(struct buf *b, const void *data, size_t n);
int buf_adds(struct buf *b, const char *s);
int buf_addc(struct buf *b, char c);
int buf_addf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int buf_vaddf(struct buf *b, const char *fmt, va_list ap);

/* --- files --- */
/* Appends the whole file at path, bounded by b->max. 0; LK_ETOOBIG when
 * it is larger than the buffer may grow; LK_EIO when it cannot be opened
 * or read (errno is then as fopen or fread left it, so a caller may tell
 * ENOENT apart). err (may be NULL) names the file. */
struct lk_err;
int buf_read_file(struct buf *b, const char *path, struct lk_err *err);

/* --- editing --- */
void buf_truncate(struct buf *b, size_t len);
/* Removes trailing ASCII whitespace. */
void buf_rtrim(struct buf *b);

#endif
