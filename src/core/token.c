/* token.c - random hex secrets and their SHA-256 (see token.h). */
#include "core/token.h"

#include "core/mem.h"

#include <openssl/rand.h>
#include <openssl/sha.h>
#include <string.h>

void token_hex(const unsigned char *in, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * n] = '\0';
}

int token_random_hex(char *out, size_t bytes, struct lk_err *err)
{
	unsigned char raw[TOKEN_RANDOM_MAX];

	if (bytes > sizeof(raw) || RAND_bytes(raw, (int)bytes) != 1)
		return lk_err_set(err, LK_EIO, "no random bytes available");
	token_hex(raw, bytes, out);
	mem_wipe(raw, sizeof(raw));
	return 0;
}

void token_sha256(const char *token, unsigned char hash[TOKEN_HASH_LEN])
{
	SHA256((const unsigned char *)token, strlen(token), hash);
}
