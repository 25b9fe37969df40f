/* text_dict.c - string interning with open addressing (see text_dict.h).
 * FNV-1a hashing, linear probing, load factor at most 1/2. */
#include "text/text_dict.h"

#include "core/mem.h"

#include <stdlib.h>
#include <string.h>

static uint32_t text_dict_hash(const char *s, size_t len)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < len; i++) {
		h ^= (unsigned char)s[i];
		h *= 16777619u;
	}
	return h;
}

void text_dict_init(struct text_dict *d)
{
	memset(d, 0, sizeof(*d));
}

void text_dict_release(struct text_dict *d)
{
	free(d->slots);
	free(d->off);
	free(d->hash);
	free(d->chars);
	text_dict_init(d);
}

static void text_dict_rehash(struct text_dict *d, size_t nslots)
{
	free(d->slots);
	d->slots = xcalloc(nslots, sizeof(*d->slots));
	d->nslots = nslots;
	for (size_t id = 0; id < d->n; id++) {
		size_t i = d->hash[id] & (nslots - 1);

		while (d->slots[i])
			i = (i + 1) & (nslots - 1);
		d->slots[i] = (uint32_t)id + 1;
	}
}

static int text_dict_equal(const struct text_dict *d, uint32_t id, const char *s, size_t len)
{
	const char *t = d->chars + d->off[id];

	return !memcmp(t, s, len) && t[len] == '\0';
}

uint32_t text_dict_find(const struct text_dict *d, const char *s, size_t len)
{
	uint32_t h;
	size_t i;

	if (!d->nslots)
		return TEXT_DICT_NONE;
	h = text_dict_hash(s, len);
	for (i = h & (d->nslots - 1); d->slots[i]; i = (i + 1) & (d->nslots - 1)) {
		uint32_t id = d->slots[i] - 1;

		if (d->hash[id] == h && text_dict_equal(d, id, s, len))
			return id;
	}
	return TEXT_DICT_NONE;
}

static void text_dict_store(struct text_dict *d, const char *s, size_t len, uint32_t h)
{
	size_t need = d->chars_len + len + 1;

	if (need > d->chars_cap) {
		size_t cap = d->chars_cap ? d->chars_cap : 4096;

		while (cap < need)
			cap *= 2;
		d->chars = xrealloc(d->chars, cap);
		d->chars_cap = cap;
	}
	if (d->n == d->alloc) {
		d->alloc = d->alloc ? d->alloc * 2 : 256;
		d->off = xreallocarray(d->off, d->alloc, sizeof(*d->off));
		d->hash = xreallocarray(d->hash, d->alloc, sizeof(*d->hash));
	}
	memcpy(d->chars + d->chars_len, s, len);
	d->chars[d->chars_len + len] = '\0';
	d->off[d->n] = d->chars_len;
	d->hash[d->n] = h;
	d->chars_len = need;
	d->n++;
}

uint32_t text_dict_intern(struct text_dict *d, const char *s, size_t len)
{
	uint32_t id = text_dict_find(d, s, len);
	size_t i;

	if (id != TEXT_DICT_NONE)
		return id;
	if ((d->n + 1) * 2 > d->nslots)
		text_dict_rehash(d, d->nslots ? d->nslots * 2 : 512);
	id = (uint32_t)d->n;
	text_dict_store(d, s, len, text_dict_hash(s, len));
	for (i = d->hash[id] & (d->nslots - 1); d->slots[i]; i = (i + 1) & (d->nslots - 1))
		;
	d->slots[i] = id + 1;
	return id;
}

const char *text_dict_str(const struct text_dict *d, uint32_t id)
{
	return id < d->n ? d->chars + d->off[id] : NULL;
}

size_t text_dict_count(const struct text_dict *d)
{
	return d->n;
}
