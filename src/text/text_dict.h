/* text_dict.h - a string interning table: each distinct byte string gets a
 * dense id (0, 1, 2, ...) in order of first insertion. The retrieval index
 * uses it for its vocabulary of raw words and of stemmed terms.
 *
 * Invariants: ids are stable for the life of the table; strings are copied
 * into the table's own storage and stay NUL-terminated. Lookups never modify
 * the table, so a table that is no longer written may be read from any
 * number of threads at once.
 */
#ifndef LK_TEXT_DICT_H
#define LK_TEXT_DICT_H

#include <stddef.h>
#include <stdint.h>

struct text_dict {
	uint32_t *slots;  /* open addressing: id + 1, 0 = empty */
	size_t nslots;    /* power of two */
	size_t *off;      /* id -> offset of its string in `chars` */
	uint32_t *hash;   /* id -> hash of its string */
	size_t n;         /* number of strings */
	size_t alloc;     /* capacity of off / hash */
	char *chars;      /* all strings, each NUL-terminated */
	size_t chars_len;
	size_t chars_cap;
};

#define TEXT_DICT_NONE UINT32_MAX

/* --- lifecycle --- */
void text_dict_init(struct text_dict *d);
void text_dict_release(struct text_dict *d);

/* --- writing --- */
/* Returns the id of s[0..len), adding it if new. */
uint32_t text_dict_intern(struct text_dict *d, const char *s, size_t len);

/* --- reading --- */
/* The id of s[0..len), or TEXT_DICT_NONE. */
uint32_t text_dict_find(const struct text_dict *d, const char *s, size_t len);
/* Borrowed, NUL-terminated; valid until the next intern or release. */
const char *text_dict_str(const struct text_dict *d, uint32_t id);
size_t text_dict_count(const struct text_dict *d);

#endif
