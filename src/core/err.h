/* err.h - the one error convention of Loket.
 *
 * A function that can fail returns 0 (LK_OK) or a negative code from the table
 * below, and, where the caller gave one, fills a struct lk_err with a message
 * for people ("kb/faq.csv:12: unterminated quoted field"). Codes are for
 * programs, messages are for logs and API error bodies.
 */
#ifndef LK_ERR_H
#define LK_ERR_H

#include <stddef.h>

/* X(name, value, default message) */
#define LK_ERR_TABLE(X)                                   \
	X(OK, 0, "success")                               \
	X(ENOMEM, -1, "out of memory")                    \
	X(EINVAL, -2, "invalid argument")                 \
	X(EIO, -3, "input/output error")                  \
	X(EPARSE, -4, "malformed input")                  \
	X(ENOTFOUND, -5, "not found")                     \
	X(ETOOBIG, -6, "too large")                       \
	X(EDB, -7, "database error")                      \
	X(ECONFIG, -8, "configuration error")             \
	X(EAUTH, -9, "not authorised")                    \
	X(EBUSY, -10, "busy")                             \
	X(EEXIST, -11, "already exists")                  \
	X(EUNSUPPORTED, -12, "not supported")            \
	X(ETIMEOUT, -13, "timed out")                     \
	X(EUNAVAIL, -14, "service unavailable")           \
	X(EREMOTE, -15, "remote service error")          \
	X(EPERM, -16, "forbidden")

enum lk_err_code {
#define LK_ERR_ENUM(name, value, msg) LK_##name = value,
	LK_ERR_TABLE(LK_ERR_ENUM)
#undef LK_ERR_ENUM
};

/* A message slot a caller may pass down; NULL means "code only". */
struct lk_err {
	int code;
	const char *reason; /* optional static machine word, e.g. "empty_text" */
	char msg[512];
};

/* Sets code and a printf-style message; returns code so callers can write
 * `return lk_err_set(err, LK_EPARSE, "%s:%d: ...", file, line);`.
 * err may be NULL. */
int lk_err_set(struct lk_err *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Like lk_err_set, and also sets a machine-readable reason that API error
 * bodies use as their "code" (a static string). */
int lk_err_setr(struct lk_err *err, int code, const char *reason, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Static strings; never NULL. "ENOMEM" / "out of memory". */
const char *lk_err_name(int code);
const char *lk_err_str(int code);

#endif
