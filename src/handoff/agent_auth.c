/* agent_auth.c - passwords, logins, cookie sessions and accounts of the
 * handoff console's agents (see agent_auth.h). Hashing is argon2id
 * (libargon2); random bytes, SHA-256 and constant-time comparison come from
 * OpenSSL. Rows live in the store's agents, agent_sessions and audit_log.
 */
#include "handoff/agent_auth.h"

#include "core/clock.h"
#include "core/mem.h"
#include "core/token.h"
#include "handoff/handoff_config.h"

#include <argon2.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <utf8proc.h>

#define AGENT_SALT_LEN 16
#define AGENT_HASH_LEN 32
#define AGENT_INVALID_LOGIN "invalid username or password"
#define AGENT_NOT_LOGGED_IN "not logged in"

/* The cost of new hashes; only agent_auth_set_cost() (tests) changes it. */
static uint32_t agent_t_cost = 2;
static uint32_t agent_m_cost = 19456;

/* What an unknown username is checked against, so that it costs as much as a
 * known one: the hash of a password nobody can type at the default cost
 * (salt and password are fixed and public; it matches nothing a login sends
 * because logins of unknown users never count as a match). */
static char agent_dummy_hash[AGENT_HASH_MAX] =
	"$argon2id$v=19$m=19456,t=2,p=1$CzBVep/E6Q4zWH2ix+wRNg$"
	"SlrlOTFzS56GUNBmmDQBgh3cAtC05UwaYzOZ43CU044";

static int agent_is_hex64(const char *s, size_t len)
{
	if (len != AGENT_TOKEN_HEX)
		return 0;
	for (size_t i = 0; i < len; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

/* 1 when s[0..len) is valid UTF-8 without NUL; with no_controls also
 * without C0/C1 control characters. */
static int agent_utf8_ok(const char *s, size_t len, int no_controls)
{
	size_t i = 0;

	while (i < len) {
		utf8proc_int32_t cp;
		utf8proc_ssize_t n = utf8proc_iterate((const utf8proc_uint8_t *)s + i,
						      (utf8proc_ssize_t)(len - i), &cp);

		if (n <= 0 || cp == 0)
			return 0;
		if (no_controls && (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f)))
			return 0;
		i += (size_t)n;
	}
	return 1;
}

static void agent_audit(struct store *st, const char *bot, const char *actor, const char *action,
			const char *detail, int64_t now_ms)
{
	struct store_audit a;

	memset(&a, 0, sizeof(a));
	a.at_ms = now_ms;
	snprintf(a.actor, sizeof(a.actor), "%s", actor);
	snprintf(a.action, sizeof(a.action), "%s", action);
	snprintf(a.detail, sizeof(a.detail), "%s", detail);
	/* An audit row that cannot be written does not undo the login: the
	 * store's own error already went to its log. */
	(void)store_audit_add(st, bot, &a, NULL);
}

/* Drops the password hash of a loaded agent, so what is handed out can be shown. */
static void agent_forget_hash(struct store_agent *a)
{
	if (a->pw_hash) {
		mem_wipe(a->pw_hash, strlen(a->pw_hash));
		free(a->pw_hash);
		a->pw_hash = NULL;
	}
}

/* ---------------------------------------------------------------- passwords */

int agent_password_policy(const char *password, struct lk_err *err)
{
	size_t len;

	if (!password)
		return lk_err_setr(err, LK_EINVAL, "weak_password", "no password given");
	len = strnlen(password, AGENT_PW_MAX + 1);
	if (len < AGENT_PW_MIN || len > AGENT_PW_MAX)
		return lk_err_setr(err, LK_EINVAL, "weak_password",
				   "a password has %d to %d bytes", AGENT_PW_MIN, AGENT_PW_MAX);
	if (!agent_utf8_ok(password, len, 0))
		return lk_err_setr(err, LK_EINVAL, "weak_password",
				   "a password must be valid UTF-8");
	return 0;
}

int agent_password_hash(const char *password, char *out, size_t out_size, struct lk_err *err)
{
	unsigned char salt[AGENT_SALT_LEN];
	int rc;

	if ((rc = agent_password_policy(password, err)))
		return rc;
	if (out_size < AGENT_HASH_MAX)
		return lk_err_set(err, LK_EINVAL, "agent_password_hash: output too small");
	if (RAND_bytes(salt, sizeof(salt)) != 1)
		return lk_err_set(err, LK_EIO, "no random bytes available");
	rc = argon2id_hash_encoded(agent_t_cost, agent_m_cost, 1, password, strlen(password), salt,
				   sizeof(salt), AGENT_HASH_LEN, out, out_size);
	mem_wipe(salt, sizeof(salt));
	if (rc != ARGON2_OK) {
		out[0] = '\0';
		return lk_err_set(err, rc == ARGON2_MEMORY_ALLOCATION_ERROR ? LK_ENOMEM : LK_EIO,
				  "argon2id: %s", argon2_error_message(rc));
	}
	return 0;
}

int agent_password_verify(const char *encoded, const char *password)
{
	size_t len;

	if (!encoded || !password || strncmp(encoded, "$argon2id$", 10))
		return 0;
	len = strnlen(password, AGENT_PW_MAX + 1);
	if (len > AGENT_PW_MAX)
		return 0;
	return argon2id_verify(encoded, password, len) == ARGON2_OK;
}

void agent_auth_set_cost(uint32_t t, uint32_t m_kib)
{
	static const char pw[] = "loket-dummy-password-never-valid";
	unsigned char salt[AGENT_SALT_LEN];

	agent_t_cost = t < 1 ? 1 : t;
	agent_m_cost = m_kib < 8 ? 8 : m_kib;
	for (size_t i = 0; i < sizeof(salt); i++)
		salt[i] = (unsigned char)(i * 37 + 11);
	if (argon2id_hash_encoded(agent_t_cost, agent_m_cost, 1, pw, sizeof(pw) - 1, salt,
				  sizeof(salt), AGENT_HASH_LEN, agent_dummy_hash,
				  sizeof(agent_dummy_hash)) != ARGON2_OK)
		abort(); /* only tests call this, with small valid costs */
}

/* ----------------------------------------------------------------- sessions */

/* Finds the loket_agent cookie in a Cookie: header ("a=1; loket_agent=...;
 * b="x""). Copies its value (64 hex, quotes removed) to token. 1 when found
 * and well-formed, else 0. The first loket_agent cookie counts. */
static int agent_cookie_token(const char *header, char token[AGENT_TOKEN_HEX + 1])
{
	static const char name[] = AGENT_COOKIE;
	const size_t name_len = sizeof(name) - 1;
	size_t len, i = 0;

	if (!header)
		return 0;
	len = strnlen(header, AGENT_COOKIE_HEADER_MAX + 1);
	if (len > AGENT_COOKIE_HEADER_MAX)
		return 0;
	while (i < len) {
		size_t start, end, eq, vs, ve;

		while (i < len && (header[i] == ' ' || header[i] == '\t' || header[i] == ';'))
			i++;
		start = i;
		while (i < len && header[i] != ';')
			i++;
		end = i;
		while (end > start && (header[end - 1] == ' ' || header[end - 1] == '\t'))
			end--;
		for (eq = start; eq < end && header[eq] != '='; eq++)
			;
		if (eq == end)
			continue; /* no '=': not a cookie pair */
		ve = eq;
		while (ve > start && (header[ve - 1] == ' ' || header[ve - 1] == '\t'))
			ve--;
		if (ve - start != name_len || memcmp(header + start, name, name_len))
			continue;
		vs = eq + 1;
		ve = end;
		while (vs < ve && (header[vs] == ' ' || header[vs] == '\t'))
			vs++;
		if (ve - vs >= 2 && header[vs] == '"' && header[ve - 1] == '"') {
			vs++;
			ve--;
		}
		if (!agent_is_hex64(header + vs, ve - vs))
			return 0;
		memcpy(token, header + vs, AGENT_TOKEN_HEX);
		token[AGENT_TOKEN_HEX] = '\0';
		return 1;
	}
	return 0;
}

/* Moves a loaded agent into out (when given) without its hash, else releases it. */
static void agent_hand_out(struct store_agent *a, struct agent_session_info *out,
			   const char *csrf, int64_t expires_ms)
{
	agent_forget_hash(a);
	if (!out) {
		store_agent_release(a);
		return;
	}
	out->agent = *a;
	memset(a, 0, sizeof(*a));
	snprintf(out->csrf, sizeof(out->csrf), "%s", csrf);
	out->expires_ms = expires_ms;
}

/* Unknown usernames lock like real ones (in this process), so a 429 does
 * not tell an attacker that a username exists. Keyed by a hash of the
 * name; a slot taken by another name starts afresh (best effort). */
#define GHOST_SLOTS 256
static struct ghost {
	unsigned char key[16];
	int failures;
	int64_t locked_until_ms;
} ghosts[GHOST_SLOTS];
static pthread_mutex_t ghosts_mu = PTHREAD_MUTEX_INITIALIZER;

static struct ghost *ghost_slot(const char *bot, const char *username, unsigned char key[16])
{
	unsigned char digest[SHA256_DIGEST_LENGTH];
	char name[400];
	int n = snprintf(name, sizeof(name), "%.64s\n%.300s", bot, username ? username : "");

	SHA256((const unsigned char *)name, (size_t)n < sizeof(name) ? (size_t)n : sizeof(name) - 1,
	       digest);
	memcpy(key, digest, 16);
	return &ghosts[digest[16] % GHOST_SLOTS];
}

/* Seconds an unknown username stays locked (0: not locked); with failed,
 * counts one more failure first. */
static int64_t ghost_check(const char *bot, const char *username, int failed, int64_t now_ms)
{
	unsigned char key[16];
	struct ghost *g = ghost_slot(bot, username, key);
	int64_t secs = 0;

	pthread_mutex_lock(&ghosts_mu);
	if (memcmp(g->key, key, sizeof(key))) {
		memcpy(g->key, key, sizeof(key));
		g->failures = 0;
		g->locked_until_ms = 0;
	}
	if (g->locked_until_ms > now_ms) {
		secs = (g->locked_until_ms - now_ms + 999) / 1000;
	} else if (failed && ++g->failures >= AGENT_LOCK_AFTER) {
		g->failures = 0;
		g->locked_until_ms = now_ms + AGENT_LOCK_MS;
	}
	pthread_mutex_unlock(&ghosts_mu);
	return secs;
}

static int locked_error(struct lk_err *err, int64_t secs)
{
	return lk_err_setr(err, LK_EBUSY, "locked",
			   "too many failed logins; account locked for %lld more seconds",
			   (long long)secs);
}

int agent_login(struct store *st, const char *bot, const char *username, const char *password,
		int64_t now_ms, char token_out[65], struct agent_session_info *out,
		struct lk_err *err)
{
	struct store_agent a;
	struct store_session s;
	struct lk_err lerr = {0};
	int rc, match;

	memset(&a, 0, sizeof(a));
	memset(&s, 0, sizeof(s));
	token_out[0] = '\0';
	if (out)
		memset(out, 0, sizeof(*out));
	if (!username || !password || strnlen(username, sizeof(a.username)) >= sizeof(a.username))
		rc = LK_ENOTFOUND;
	else
		rc = store_agent_by_username(st, bot, username, &a, &lerr);
	if (rc == LK_ENOTFOUND) {
		/* the same work as for a known user, then the same answer */
		int64_t secs = ghost_check(bot, username, 0, now_ms);

		if (secs) {
			agent_audit(st, bot, "unknown", "login_failed", "locked", now_ms);
			return locked_error(err, secs);
		}
		(void)agent_password_verify(agent_dummy_hash, password ? password : "");
		ghost_check(bot, username, 1, now_ms);
		agent_audit(st, bot, "unknown", "login_failed", "", now_ms);
		return lk_err_setr(err, LK_EAUTH, "invalid_login", AGENT_INVALID_LOGIN);
	}
	if (rc) {
		if (err)
			*err = lerr;
		return rc;
	}
	if (a.locked_until_ms > now_ms) {
		int64_t secs = (a.locked_until_ms - now_ms + 999) / 1000;

		agent_audit(st, bot, a.id, "login_failed", "locked", now_ms);
		store_agent_release(&a);
		return locked_error(err, secs);
	}
	match = agent_password_verify(a.pw_hash, password);
	if (a.disabled) {
		agent_audit(st, bot, a.id, "login_failed", "disabled", now_ms);
		store_agent_release(&a);
		return lk_err_setr(err, LK_EAUTH, "invalid_login", AGENT_INVALID_LOGIN);
	}
	if (!match) {
		int locks = a.failed_logins + 1 >= AGENT_LOCK_AFTER;

		rc = store_agent_login_result(st, bot, a.id, 0, AGENT_LOCK_AFTER, AGENT_LOCK_MS,
					      now_ms, err);
		agent_audit(st, bot, a.id, "login_failed", locks ? "locked_now" : "", now_ms);
		store_agent_release(&a);
		if (rc)
			return rc;
		return lk_err_setr(err, LK_EAUTH, "invalid_login", AGENT_INVALID_LOGIN);
	}

	(void)store_session_prune(st, bot, now_ms, NULL);
	if ((rc = token_random_hex(token_out, 32, err)) ||
	    (rc = token_random_hex(s.csrf, 32, err)))
		goto fail;
	token_sha256(token_out, s.token_hash);
	snprintf(s.agent_id, sizeof(s.agent_id), "%s", a.id);
	s.created_ms = now_ms;
	s.expires_ms = now_ms + AGENT_SESSION_MS;
	if ((rc = store_session_add(st, bot, &s, err)) ||
	    (rc = store_agent_login_result(st, bot, a.id, 1, AGENT_LOCK_AFTER, AGENT_LOCK_MS,
					   now_ms, err)))
		goto fail;
	(void)store_agent_seen(st, bot, a.id, now_ms, NULL);
	agent_audit(st, bot, a.id, "login", "", now_ms);
	agent_hand_out(&a, out, s.csrf, s.expires_ms);
	mem_wipe(&s, sizeof(s));
	return 0;
fail:
	if (token_out[0]) {
		(void)store_session_delete(st, bot, s.token_hash, NULL);
		mem_wipe(token_out, AGENT_TOKEN_HEX + 1);
	}
	mem_wipe(&s, sizeof(s));
	store_agent_release(&a);
	if (out)
		memset(out, 0, sizeof(*out));
	return rc;
}

int agent_session_check(struct store *st, const char *bot, const char *cookie_header,
			int64_t now_ms, struct agent_session_info *out, struct lk_err *err)
{
	char token[AGENT_TOKEN_HEX + 1];
	unsigned char hash[32];
	struct store_session s;
	struct store_agent a;
	struct lk_err lerr = {0};
	int rc;

	memset(&a, 0, sizeof(a));
	if (out)
		memset(out, 0, sizeof(*out));
	if (!agent_cookie_token(cookie_header, token))
		return lk_err_setr(err, LK_EAUTH, "not_logged_in", AGENT_NOT_LOGGED_IN);
	token_sha256(token, hash);
	mem_wipe(token, sizeof(token));
	rc = store_session_get(st, bot, hash, &s, &lerr);
	if (rc == LK_ENOTFOUND)
		return lk_err_setr(err, LK_EAUTH, "not_logged_in", AGENT_NOT_LOGGED_IN);
	if (rc)
		goto fail;
	if (s.expires_ms <= now_ms)
		goto gone;
	rc = store_agent_get(st, bot, s.agent_id, &a, &lerr);
	if (rc == LK_ENOTFOUND)
		goto gone;
	if (rc)
		goto fail;
	if (a.disabled)
		goto gone;
	if (s.expires_ms - now_ms < AGENT_TOUCH_MS) {
		if ((rc = store_session_touch(st, bot, hash, now_ms + AGENT_SESSION_MS, &lerr)))
			goto fail;
		s.expires_ms = now_ms + AGENT_SESSION_MS;
	}
	agent_hand_out(&a, out, s.csrf, s.expires_ms);
	mem_wipe(&s, sizeof(s));
	return 0;
gone:
	(void)store_session_delete(st, bot, hash, NULL);
	mem_wipe(&s, sizeof(s));
	store_agent_release(&a);
	return lk_err_setr(err, LK_EAUTH, "not_logged_in", AGENT_NOT_LOGGED_IN);
fail:
	mem_wipe(&s, sizeof(s));
	store_agent_release(&a);
	if (err)
		*err = lerr;
	return rc;
}

int agent_csrf_ok(const struct agent_session_info *s, const char *header_value)
{
	if (!s || !header_value || strnlen(header_value, AGENT_TOKEN_HEX + 1) != AGENT_TOKEN_HEX ||
	    strnlen(s->csrf, sizeof(s->csrf)) != AGENT_TOKEN_HEX)
		return 0;
	return CRYPTO_memcmp(s->csrf, header_value, AGENT_TOKEN_HEX) == 0;
}

int agent_logout(struct store *st, const char *bot, const char *cookie_header,
		 struct lk_err *err)
{
	char token[AGENT_TOKEN_HEX + 1];
	unsigned char hash[32];
	struct store_session s;
	struct lk_err lerr = {0};
	int rc;

	if (!agent_cookie_token(cookie_header, token))
		return lk_err_setr(err, LK_EAUTH, "not_logged_in", AGENT_NOT_LOGGED_IN);
	token_sha256(token, hash);
	mem_wipe(token, sizeof(token));
	rc = store_session_get(st, bot, hash, &s, &lerr);
	if (rc == LK_ENOTFOUND)
		return lk_err_setr(err, LK_EAUTH, "not_logged_in", AGENT_NOT_LOGGED_IN);
	if (!rc)
		rc = store_session_delete(st, bot, hash, &lerr);
	if (rc) {
		if (err)
			*err = lerr;
		return rc;
	}
	agent_audit(st, bot, s.agent_id, "logout", "", lk_now_ms());
	mem_wipe(&s, sizeof(s));
	return 0;
}

void agent_cookie_set(char *out, size_t size, const char *token)
{
	snprintf(out, size, "%s=%s; Path=/; HttpOnly; Secure; SameSite=Strict; Max-Age=%lld",
		 AGENT_COOKIE, token, (long long)(AGENT_SESSION_MS / 1000));
}

void agent_cookie_clear(char *out, size_t size)
{
	snprintf(out, size, "%s=; Path=/; HttpOnly; Secure; SameSite=Strict; Max-Age=0",
		 AGENT_COOKIE);
}

/* ----------------------------------------------------------------- accounts */

int agent_username_valid(const char *username, struct lk_err *err)
{
	size_t len = username ? strnlen(username, 64) : 0;

	if (len < 2 || len > 63)
		goto bad;
	for (size_t i = 0; i < len; i++) {
		char c = username[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
		      c == '-'))
			goto bad;
	}
	return 0;
bad:
	return lk_err_setr(err, LK_EINVAL, "invalid_username",
			   "a username has 2 to 63 characters a-z, 0-9, '.', '_' or '-'");
}

static int agent_name_valid(const char *name, struct lk_err *err)
{
	size_t len = name ? strnlen(name, 128) : 0;
	int blank = 1;

	for (size_t i = 0; i < len; i++)
		if (name[i] != ' ')
			blank = 0;
	if (len < 1 || len > 127 || blank || !agent_utf8_ok(name, len, 1))
		return lk_err_setr(err, LK_EINVAL, "invalid_name",
				   "a name has 1 to 127 bytes of UTF-8 text");
	return 0;
}

static int agent_role_valid(const char *role, struct lk_err *err)
{
	if (role && (!strcmp(role, "agent") || !strcmp(role, "supervisor") || !strcmp(role, "admin")))
		return 0;
	return lk_err_setr(err, LK_EINVAL, "invalid_role",
			   "a role is \"agent\", \"supervisor\" or \"admin\"");
}

int agent_teams_valid(const char *teams_json, char **norm, struct lk_err *err)
{
	json_t *arr;
	json_error_t jerr;
	size_t i, n;
	int ok;

	if (norm)
		*norm = NULL;
	if (!teams_json || strnlen(teams_json, 4097) > 4096)
		goto bad;
	arr = json_loads(teams_json, JSON_REJECT_DUPLICATES, &jerr);
	ok = arr && json_is_array(arr) && json_array_size(arr) <= AGENT_TEAMS_MAX;
	n = ok ? json_array_size(arr) : 0;
	for (i = 0; ok && i < n; i++) {
		const json_t *v = json_array_get(arr, i);

		ok = json_is_string(v) && handoff_team_id_valid(json_string_value(v));
		for (size_t j = 0; ok && j < i; j++)
			ok = strcmp(json_string_value(v),
				    json_string_value(json_array_get(arr, j))) != 0;
	}
	if (ok && norm) {
		*norm = json_dumps(arr, JSON_COMPACT);
		if (!*norm)
			abort(); /* jansson fails here only when out of memory */
	}
	json_decref(arr);
	if (ok)
		return 0;
bad:
	return lk_err_setr(err, LK_EINVAL, "invalid_teams",
			   "teams are a JSON array of distinct team ids (a-z, 0-9, '-')");
}

int agent_account_create(struct store *st, const char *bot, const char *username,
			 const char *name, const char *role, const char *teams_json,
			 const char *password, char id_out[STORE_AGENT_ID_MAX], struct lk_err *err)
{
	struct store_agent a, old;
	char hash[AGENT_HASH_MAX], rnd[17];
	char *teams = NULL;
	int rc;

	memset(&a, 0, sizeof(a));
	memset(&old, 0, sizeof(old));
	hash[0] = '\0';
	id_out[0] = '\0';
	if ((rc = agent_username_valid(username, err)) || (rc = agent_name_valid(name, err)) ||
	    (rc = agent_role_valid(role, err)) ||
	    (rc = agent_teams_valid(teams_json ? teams_json : "[]", &teams, err)) ||
	    (rc = agent_password_policy(password, err)))
		goto out;
	rc = store_agent_by_username(st, bot, username, &old, err);
	store_agent_release(&old);
	if (!rc) {
		rc = lk_err_setr(err, LK_EEXIST, "username_taken", "that username is taken");
		goto out;
	}
	if (rc != LK_ENOTFOUND)
		goto out;
	if ((rc = token_random_hex(rnd, 8, err)) ||
	    (rc = agent_password_hash(password, hash, sizeof(hash), err)))
		goto out;
	snprintf(a.id, sizeof(a.id), "ag-%s", rnd);
	snprintf(a.username, sizeof(a.username), "%s", username);
	snprintf(a.name, sizeof(a.name), "%s", name);
	snprintf(a.role, sizeof(a.role), "%s", role);
	a.teams = teams;
	a.pw_hash = hash;
	a.created_ms = lk_now_ms();
	rc = store_agent_add(st, bot, &a, err);
	if (rc == LK_EEXIST) {
		rc = lk_err_setr(err, LK_EEXIST, "username_taken", "that username is taken");
		goto out;
	}
	if (!rc)
		snprintf(id_out, STORE_AGENT_ID_MAX, "%s", a.id);
out:
	mem_wipe(hash, sizeof(hash));
	free(teams);
	return rc;
}

int agent_account_update(struct store *st, const char *bot, const char *id,
			 const struct agent_account_change *c, struct lk_err *err)
{
	struct store_agent a;
	char hash[AGENT_HASH_MAX];
	char *teams = NULL;
	int rc, kill_sessions = 0;

	memset(&a, 0, sizeof(a));
	hash[0] = '\0';
	if ((c->name && (rc = agent_name_valid(c->name, err))) ||
	    (c->role && (rc = agent_role_valid(c->role, err))) ||
	    (c->teams_json && (rc = agent_teams_valid(c->teams_json, &teams, err))) ||
	    (c->password && (rc = agent_password_policy(c->password, err))))
		goto out;
	rc = store_agent_get(st, bot, id ? id : "", &a, err);
	if (rc == LK_ENOTFOUND) {
		rc = lk_err_setr(err, LK_ENOTFOUND, "not_found", "no such agent");
		goto out;
	}
	if (rc)
		goto out;
	/* the loaded hash is not written back: NULL keeps it */
	agent_forget_hash(&a);
	if (c->password) {
		if ((rc = agent_password_hash(c->password, hash, sizeof(hash), err)))
			goto out;
		a.pw_hash = xstrdup(hash);
		kill_sessions = 1;
	}
	if (c->name)
		snprintf(a.name, sizeof(a.name), "%s", c->name);
	if (c->role)
		snprintf(a.role, sizeof(a.role), "%s", c->role);
	if (teams) {
		free(a.teams);
		a.teams = teams;
		teams = NULL;
	}
	if (c->disabled >= 0) {
		a.disabled = c->disabled ? 1 : 0;
		if (a.disabled)
			kill_sessions = 1;
	}
	if ((rc = store_agent_update(st, bot, &a, err)))
		goto out;
	if (kill_sessions)
		rc = store_session_delete_agent(st, bot, a.id, err);
out:
	agent_forget_hash(&a);
	store_agent_release(&a);
	mem_wipe(hash, sizeof(hash));
	free(teams);
	return rc;
}
