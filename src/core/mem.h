/* mem.h - allocation wrappers.
 *
 * Loket treats running out of memory as fatal, as git and redis do: the
 * x-functions never return NULL, they log and abort. Every other runtime
 * failure is a return code (see err.h). Sizes are overflow-checked.
 */
#ifndef LK_MEM_H
#define LK_MEM_H

#include <stddef.h>

void *xmalloc(size_t n);
void *xcalloc(size_t count, size_t size);
void *xrealloc(void *p, size_t n);
/* Grows an array to hold at least `need` elements of `size` bytes. */
void *xreallocarray(void *p, size_t count, size_t size);
/* Caller frees. xstrdup(NULL) returns NULL. */
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* Overwrites n bytes with zeros in a way the compiler keeps (for secrets). */
void mem_wipe(void *p, size_t n);

#endif
