/* channel.c - what the channel adapters share (see channel.h): the event
 * batch, constant-time secret comparison, bounded copies of ids and texts,
 * and the text arithmetic of outgoing messages (counting characters the way
 * the APIs do, splitting long texts on natural boundaries, cutting labels). */
#include "channels/channel.h"

#include "core/buf.h"
#include "core/mem.h"

#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/sha.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#define CHANNEL_ELLIPSIS "\xe2\x80\xa6" /* U+2026, one character */

void channel_batch_init(struct channel_batch *b)
{
	memset(b, 0, sizeof(*b));
}

void channel_batch_release(struct channel_batch *b)
{
	if (!b)
		return;
	for (size_t i = 0; i < b->n && i < CHANNEL_MAX_EVENTS; i++)
		free(b->events[i].text);
	channel_batch_init(b);
}

struct channel_event *channel_batch_add(struct channel_batch *b)
{
	struct channel_event *e;

	if (b->n >= CHANNEL_MAX_EVENTS) {
		b->dropped++;
		return NULL;
	}
	e = &b->events[b->n++];
	memset(e, 0, sizeof(*e));
	return e;
}

int channel_secret_equal(const char *expected, const char *given)
{
	unsigned char a[SHA256_DIGEST_LENGTH], b[SHA256_DIGEST_LENGTH];
	size_t la, lb;
	int same;

	if (!expected || !*expected || !given)
		return 0;
	la = strlen(expected);
	lb = strlen(given);
	SHA256((const unsigned char *)expected, la, a);
	SHA256((const unsigned char *)given, lb, b);
	/* Both digests are always compared; the lengths only join the result. */
	same = CRYPTO_memcmp(a, b, sizeof(a)) == 0;
	same &= la == lb;
	mem_wipe(a, sizeof(a));
	mem_wipe(b, sizeof(b));
	return same;
}

int channel_copy_id(char *dst, size_t size, const char *src)
{
	size_t n;

	if (!size)
		return -1;
	dst[0] = '\0';
	if (!src)
		return -1;
	n = strnlen(src, size);
	if (n == 0 || n >= size)
		return -1;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)src[i];

		if (c <= 0x20 || c >= 0x7f)
			return -1;
	}
	memcpy(dst, src, n + 1);
	return 0;
}

/* Decodes the code point at s[0..len) (len > 0) into *cp and returns its
 * byte length; an invalid byte is one U+FFFD of length 1. */
static size_t channel_decode(const char *s, size_t len, utf8proc_int32_t *cp)
{
	utf8proc_ssize_t n = utf8proc_iterate((const utf8proc_uint8_t *)s,
					      len > 4 ? 4 : (utf8proc_ssize_t)len, cp);

	if (n <= 0) {
		*cp = 0xfffd;
		return 1;
	}
	return (size_t)n;
}

static size_t channel_units(utf8proc_int32_t cp)
{
	return cp >= 0x10000 ? 2 : 1;
}

void channel_copy_clean(char *dst, size_t size, const char *src, size_t len)
{
	size_t i = 0, out = 0;

	if (!size)
		return;
	while (src && i < len) {
		utf8proc_int32_t cp;
		size_t n = channel_decode(src + i, len - i, &cp);

		if (cp == 0xfffd || cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp < 0xa0)) {
			if (out + 1 >= size)
				break;
			dst[out++] = ' ';
		} else {
			if (out + n >= size)
				break;
			memcpy(dst + out, src + i, n);
			out += n;
		}
		i += n;
	}
	dst[out] = '\0';
}

/* Length of the longest prefix of s[0..len) of at most max bytes that ends
 * on a UTF-8 character boundary. */
static size_t channel_utf8_prefix(const char *s, size_t len, size_t max)
{
	size_t n;

	if (len <= max)
		return len;
	n = max;
	/* Step back over continuation bytes (at most 3) to a lead byte. */
	while (n > 0 && max - n < 3 && ((unsigned char)s[n] & 0xc0) == 0x80)
		n--;
	return n;
}

char *channel_text_dup(const char *s, size_t len)
{
	return xstrndup(s, channel_utf8_prefix(s, len, CHANNEL_TEXT_MAX));
}

size_t channel_text_chars(const char *s, size_t len)
{
	size_t i = 0, chars = 0;

	while (i < len) {
		utf8proc_int32_t cp;

		i += channel_decode(s + i, len - i, &cp);
		chars += channel_units(cp);
	}
	return chars;
}

static int channel_is_space(utf8proc_int32_t cp)
{
	return cp == ' ' || cp == '\t' || cp == '\n' || cp == '\r' || cp == '\v' || cp == '\f' ||
	       cp == 0xa0 || cp == 0x2028 || cp == 0x2029 || cp == 0x3000;
}

static int channel_is_sentence_end(utf8proc_int32_t cp)
{
	return cp == '.' || cp == '!' || cp == '?' || cp == 0x2026;
}

int channel_is_blank(const char *s, size_t len)
{
	size_t i = 0;

	while (i < len) {
		utf8proc_int32_t cp;

		i += channel_decode(s + i, len - i, &cp);
		if (!channel_is_space(cp) && cp >= 0x20 && cp != 0x7f)
			return 0;
	}
	return 1;
}

/* Where a part may end, best first; each kind is the last one seen. */
enum channel_cut {
	CHANNEL_CUT_PARAGRAPH, /* after a blank line */
	CHANNEL_CUT_LINE,      /* after a line break */
	CHANNEL_CUT_SENTENCE,  /* after ". " and the like */
	CHANNEL_CUT_WORD,      /* after any whitespace */
	CHANNEL_CUT_GRAPHEME,  /* between grapheme clusters */
	CHANNEL_CUT_CHAR,      /* between code points */
	CHANNEL_CUT_COUNT
};

/* channel_split(), and for labels (label != 0) a word boundary also has to
 * keep half the label, else the cut falls at the last grapheme boundary. */
static size_t channel_cut_point(const char *s, size_t len, size_t max_chars, int label)
{
	size_t cut[CHANNEL_CUT_COUNT] = { 0 };
	utf8proc_int32_t prev = -1, prev2 = -1, state = 0;
	size_t i = 0, chars = 0;

	while (i < len) {
		utf8proc_int32_t cp;
		size_t n = channel_decode(s + i, len - i, &cp);

		if (i > 0) {
			cut[CHANNEL_CUT_CHAR] = i;
			if (utf8proc_grapheme_break_stateful(prev, cp, &state)) {
				cut[CHANNEL_CUT_GRAPHEME] = i;
				if (channel_is_space(prev)) {
					cut[CHANNEL_CUT_WORD] = i;
					if (prev == '\n' && prev2 == '\n')
						cut[CHANNEL_CUT_PARAGRAPH] = i;
					else if (prev == '\n')
						cut[CHANNEL_CUT_LINE] = i;
					else if (channel_is_sentence_end(prev2))
						cut[CHANNEL_CUT_SENTENCE] = i;
				}
			}
		}
		if (chars + channel_units(cp) > max_chars)
			break;
		chars += channel_units(cp);
		prev2 = prev;
		prev = cp;
		i += n;
	}
	if (i >= len)
		return len;
	/* Natural boundaries count when they keep at least half the part. */
	for (int k = CHANNEL_CUT_PARAGRAPH; k <= (label ? CHANNEL_CUT_WORD : CHANNEL_CUT_SENTENCE);
	     k++) {
		if (cut[k] && cut[k] >= i / 2)
			return cut[k];
	}
	for (int k = label ? CHANNEL_CUT_GRAPHEME : CHANNEL_CUT_WORD; k < CHANNEL_CUT_COUNT; k++) {
		if (cut[k])
			return cut[k];
	}
	/* max_chars < 2 and a character outside the BMP: take it anyway. */
	return i ? i : channel_decode(s, len, &prev);
}

size_t channel_split(const char *s, size_t len, size_t max_chars)
{
	return channel_cut_point(s, len, max_chars, 0);
}

char *channel_label(const char *s, size_t max_chars)
{
	struct buf b;
	size_t len, keep, i = 0;

	if (!s)
		s = "";
	/* Leading and trailing blanks are not shown. */
	while (*s && channel_is_blank(s, 1))
		s++;
	len = strlen(s);
	if (max_chars < 2)
		max_chars = 2;
	keep = len;
	if (channel_text_chars(s, len) > max_chars)
		keep = channel_cut_point(s, len, max_chars - 1, 1);
	buf_init(&b, 0);
	while (i < keep) {
		utf8proc_int32_t cp;
		size_t n = channel_decode(s + i, keep - i, &cp);

		if (cp == 0xfffd || cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp < 0xa0) ||
		    cp == 0x2028 || cp == 0x2029)
			buf_addc(&b, ' ');
		else
			buf_add(&b, s + i, n);
		i += n;
	}
	buf_rtrim(&b);
	if (keep < len)
		buf_adds(&b, CHANNEL_ELLIPSIS);
	return buf_detach(&b, NULL);
}

/* Appends s to b with control characters as spaces (one source line). */
static void channel_add_line_text(struct buf *b, const char *s)
{
	char tmp[512];

	channel_copy_clean(tmp, sizeof(tmp), s, strlen(s));
	buf_adds(b, tmp);
}

char *channel_compose_text(const struct json_t *message, const char *source_label)
{
	const json_t *msg = (const json_t *)message;
	const json_t *text = json_object_get(msg, "text");
	const json_t *sources = json_object_get(msg, "sources");
	struct buf b, line;
	size_t i, taken = 0;
	const json_t *src;

	buf_init(&b, CHANNEL_OUT_INPUT_MAX);
	if (!source_label || !*source_label)
		source_label = "Bron";
	if (json_is_string(text)) {
		const char *t = json_string_value(text);
		const char *who = json_string_value(json_object_get(json_object_get(msg, "agent"), "name"));
		size_t n = json_string_length(text);

		/* a colleague's message says who wrote it: "Anna: ..." */
		if (who && *who && strlen(who) < 128) {
			buf_adds(&b, who);
			buf_adds(&b, ": ");
		}
		buf_add(&b, t, channel_utf8_prefix(t, n, CHANNEL_OUT_INPUT_MAX - b.len));
	}
	buf_init(&line, 2048);
	json_array_foreach(sources, i, src) {
		const char *title = json_string_value(json_object_get(src, "title"));
		const char *url = json_string_value(json_object_get(src, "url"));

		if (taken >= CHANNEL_OUT_SOURCES_MAX)
			break;
		if ((!title || !*title) && (!url || !*url))
			continue;
		buf_reset(&line);
		buf_adds(&line, b.len && !taken ? "\n\n" : taken ? "\n" : "");
		channel_add_line_text(&line, source_label);
		buf_adds(&line, ": ");
		if (title && *title)
			channel_add_line_text(&line, title);
		if (title && *title && url && *url)
			buf_adds(&line, " - ");
		if (url && *url)
			channel_add_line_text(&line, url);
		if (buf_add(&b, line.ptr, line.len))
			break;
		taken++;
	}
	buf_release(&line);
	return buf_detach(&b, NULL);
}
