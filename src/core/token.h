/* token.h - random secrets written as hex, and the SHA-256 a store keeps of
 * them instead: conversation ids and tokens, agent session tokens and CSRF
 * tokens. Randomness and hashing are OpenSSL's.
 */
#ifndef LK_TOKEN_H
#define LK_TOKEN_H

#include "core/err.h"

#include <stddef.h>

#define TOKEN_HASH_LEN 32  /* bytes of a SHA-256 */
#define TOKEN_RANDOM_MAX 64 /* bytes token_random_hex() makes at most */

/* n bytes as 2n lowercase hex digits and a NUL in out. */
void token_hex(const unsigned char *in, size_t n, char *out);
/* bytes (<= TOKEN_RANDOM_MAX) random bytes as hex in out (2 * bytes + 1
 * bytes). LK_EIO when the system has no random bytes for us. */
int token_random_hex(char *out, size_t bytes, struct lk_err *err);
/* The SHA-256 of a NUL-terminated token. */
void token_sha256(const char *token, unsigned char hash[TOKEN_HASH_LEN]);

#endif
