/* builtin_attachments.c - photos with a melding: checked by their magic
 * bytes (JPEG, PNG, WebP only), at most 5 MiB, stored with their
 * conversation and erased with it. attachments.put takes base64 (or a data:
 * URL) from the flow engine; channels with the raw bytes call
 * integ_attachment_put() directly.
 */
#include "integrations/integ_int.h"

#include "core/mem.h"

#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

/* The image type data[0..len) starts like, or NULL. */
static const char *attach_sniff(const unsigned char *d, size_t len)
{
	if (len >= 3 && d[0] == 0xff && d[1] == 0xd8 && d[2] == 0xff)
		return "image/jpeg";
	if (len >= 8 && !memcmp(d, "\x89PNG\r\n\x1a\n", 8))
		return "image/png";
	if (len >= 12 && !memcmp(d, "RIFF", 4) && !memcmp(d + 8, "WEBP", 4))
		return "image/webp";
	return NULL;
}

int integ_attachment_put(struct store *st, const char *bot, const char *conv_id,
			 const char *type, const void *data, size_t len,
			 char id_out[STORE_ATTACHMENT_ID_LEN + 1], struct lk_err *err)
{
	struct store_attachment a;
	const char *found;
	int rc;

	id_out[0] = '\0';
	if (!data || !len || len > INTEG_ATTACHMENT_MAX)
		return integ_refuse(err, "invalid", "a photo must be 1 byte to 5 MiB");
	found = attach_sniff(data, len);
	if (!found)
		return integ_refuse(err, "invalid", "only JPEG, PNG and WebP photos are accepted");
	if (type && *type && strcasecmp(type, found))
		return integ_refuse(err, "invalid", "the photo is %s, not %.40s", found, type);
	if (!conv_id || strlen(conv_id) != STORE_ID_LEN)
		return integ_not_found(err, "conversation not found");
	memset(&a, 0, sizeof(a));
	integ_random_hex(a.id);
	snprintf(a.conv_id, sizeof(a.conv_id), "%s", conv_id);
	snprintf(a.content_type, sizeof(a.content_type), "%s", found);
	a.size = len;
	a.data = (unsigned char *)data; /* borrowed: put only reads it */
	rc = store_attachment_put(st, bot, &a, err);
	if (rc == LK_ENOTFOUND)
		return integ_not_found(err, "conversation not found");
	if (!rc)
		memcpy(id_out, a.id, sizeof(a.id));
	return rc;
}

/* Decodes base64 s[0..len) (whitespace allowed between groups). Caller frees
 * *out; false when s is not base64. */
static bool attach_base64(const char *s, size_t len, unsigned char **out, size_t *out_len)
{
	char *clean = xmalloc(len + 1);
	size_t n = 0, pad = 0;
	int got;

	*out = NULL;
	for (size_t i = 0; i < len; i++) {
		if (s[i] != ' ' && s[i] != '\n' && s[i] != '\r' && s[i] != '\t')
			clean[n++] = s[i];
	}
	if (!n || n % 4) {
		free(clean);
		return false;
	}
	pad = (clean[n - 1] == '=') + (clean[n - 2] == '=');
	*out = xmalloc(n / 4 * 3 + 1);
	got = EVP_DecodeBlock(*out, (const unsigned char *)clean, (int)n);
	free(clean);
	if (got < 0 || (size_t)got < pad) {
		free(*out);
		*out = NULL;
		return false;
	}
	*out_len = (size_t)got - pad;
	return true;
}

int integ_attach_put(const struct integ_ctx *c, json_t *args, json_t **out, struct lk_err *err)
{
	char conv[INTEG_WORD_MAX], type[INTEG_WORD_MAX], id[STORE_ATTACHMENT_ID_LEN + 1];
	json_t *v = json_object_get(args, "data");
	const char *s;
	unsigned char *bytes = NULL;
	size_t len, n = 0;
	int rc;

	rc = integ_arg_word(args, "conv_id", true, conv, sizeof(conv), NULL, err);
	if (!rc)
		rc = integ_arg_word(args, "content_type", false, type, sizeof(type), NULL, err);
	if (rc)
		return rc;
	if (!json_is_string(v))
		return integ_refuse(err, "invalid", "'data' is missing (base64)");
	s = json_string_value(v);
	len = json_string_length(v);
	/* "data:image/png;base64,...." as browsers write it. */
	if (!strncmp(s, "data:", 5)) {
		const char *comma = memchr(s, ',', len < 100 ? len : 100);
		const char *semi = memchr(s, ';', len < 100 ? len : 100);

		if (!comma || !semi || semi > comma || strncmp(semi, ";base64,", 8))
			return integ_refuse(err, "invalid", "'data' is not a base64 data URL");
		if (!type[0] && (size_t)(semi - s - 5) < sizeof(type)) {
			memcpy(type, s + 5, (size_t)(semi - s - 5));
			type[semi - s - 5] = '\0';
		}
		len -= (size_t)(comma + 1 - s);
		s = comma + 1;
	}
	/* Base64 takes 4 bytes per 3; allow line breaks on top. */
	if (len > INTEG_ATTACHMENT_MAX / 3 * 4 + INTEG_ATTACHMENT_MAX / 38 + 8)
		return integ_refuse(err, "invalid", "a photo must be 1 byte to 5 MiB");
	if (!attach_base64(s, len, &bytes, &n))
		return integ_refuse(err, "invalid", "'data' is not base64");
	rc = integ_attachment_put(c->st, c->bot, conv, type[0] ? type : NULL, bytes, n, id, err);
	if (!rc)
		*out = json_pack("{s:s, s:s, s:I}", "id", id, "content_type",
				 attach_sniff(bytes, n), "size", (json_int_t)n);
	free(bytes);
	return rc;
}
