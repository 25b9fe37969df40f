/* text_norm.c - NFKC + casefold + strip accents (see text_norm.h). Invalid
 * UTF-8 is replaced first, because utf8proc refuses it as a whole. */
#include "text/text_norm.h"

#include "core/err.h"

#include <stdint.h>
#include <stdlib.h>
#include <utf8proc.h>

/* Copies s into out, replacing each invalid byte (and NUL) with a space. */
static int text_norm_sanitise(const char *s, size_t len, struct buf *out)
{
	size_t i = 0;

	while (i < len) {
		utf8proc_int32_t cp;
		utf8proc_ssize_t n = utf8proc_iterate((const utf8proc_uint8_t *)s + i,
						      (utf8proc_ssize_t)(len - i), &cp);

		if (n <= 0 || cp == 0) {
			if (buf_addc(out, ' '))
				return LK_ETOOBIG;
			i++;
			continue;
		}
		if (buf_add(out, s + i, (size_t)n))
			return LK_ETOOBIG;
		i += (size_t)n;
	}
	return 0;
}

static int text_norm_is_ascii(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c >= 0x80 || c == 0)
			return 0;
	}
	return 1;
}

/* ASCII needs only lower-casing: NFKC and accents do not apply. */
static int text_norm_fold_ascii(const char *s, size_t len, struct buf *out)
{
	size_t start = out->len;

	if (buf_add(out, s, len))
		return LK_ETOOBIG;
	for (size_t i = start; i < out->len; i++) {
		if (out->ptr[i] >= 'A' && out->ptr[i] <= 'Z')
			out->ptr[i] = (char)(out->ptr[i] - 'A' + 'a');
	}
	return 0;
}

int text_norm_fold(const char *s, size_t len, struct buf *out)
{
	const utf8proc_option_t opts = UTF8PROC_STABLE | UTF8PROC_COMPOSE | UTF8PROC_COMPAT |
				       UTF8PROC_CASEFOLD | UTF8PROC_STRIPMARK | UTF8PROC_IGNORE |
				       UTF8PROC_LUMP;
	utf8proc_uint8_t *mapped = NULL;
	utf8proc_ssize_t n;
	struct buf clean;
	int rc = 0;

	if (text_norm_is_ascii(s, len))
		return text_norm_fold_ascii(s, len, out);
	buf_init(&clean, out->max);
	if (text_norm_sanitise(s, len, &clean)) {
		rc = LK_ETOOBIG;
		goto out;
	}
	n = utf8proc_map((const utf8proc_uint8_t *)clean.ptr, (utf8proc_ssize_t)clean.len,
			 &mapped, opts);
	if (n < 0) {
		/* Cannot happen on sanitised input; fall back to the clean copy. */
		rc = buf_add(out, clean.ptr, clean.len) ? LK_ETOOBIG : 0;
		goto out;
	}
	rc = buf_add(out, mapped, (size_t)n) ? LK_ETOOBIG : 0;
out:
	free(mapped);
	buf_release(&clean);
	return rc;
}
