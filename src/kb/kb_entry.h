/* kb_entry.h - one knowledge-base entry: the unit that import produces, the
 * store keeps and the index ranks.
 *
 * All strings are UTF-8, owned by the entry and freed by kb_entry_release().
 * `id` and `answer` are never NULL in a valid entry; the others may be NULL.
 */
#ifndef LK_KB_ENTRY_H
#define LK_KB_ENTRY_H

#include <stddef.h>

struct kb_entry {
	char *id;       /* stable id; re-importing the same id replaces the entry */
	char *question; /* the question it answers, if the source has one */
	char *title;    /* heading / page title, if any */
	char *answer;   /* the passage itself (plain text, paragraphs split by "\n\n") */
	char *url;      /* source link shown to citizens */
	char *lang;     /* "nl", "en", ...; NULL means the bot's default language */
	char *tags;     /* comma-separated subjects, may be NULL */
};

void kb_entry_init(struct kb_entry *e);
void kb_entry_release(struct kb_entry *e);
/* Deep copy into dst (dst is overwritten, not released). */
void kb_entry_copy(struct kb_entry *dst, const struct kb_entry *src);

/* A growable list of entries; owns them. */
struct kb_entries {
	struct kb_entry *v;
	size_t n;
	size_t alloc;
};

void kb_entries_init(struct kb_entries *l);
void kb_entries_release(struct kb_entries *l);
/* Appends, taking ownership of *e's strings (e is re-initialised). */
void kb_entries_push(struct kb_entries *l, struct kb_entry *e);
/* Keeps only the last entry of each id, in order of first appearance
 * (re-importing an id replaces it). O(n log n). */
void kb_entries_dedupe(struct kb_entries *l);

#endif
