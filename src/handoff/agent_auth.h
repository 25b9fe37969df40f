/* agent_auth.h - who the agents of the handoff console are: their passwords
 * (argon2id), logins with lockout, cookie sessions with CSRF tokens, and the
 * accounts themselves.
 *
 * Invariants callers rely on:
 * - A session is known to the store only by the SHA-256 of its token; the
 *   token itself lives in the agent's cookie and in token_out once.
 * - Unknown user, wrong password and disabled account fail alike (LK_EAUTH,
 *   reason "invalid_login", one message) and take about the same time.
 * - Neither the typed username nor the password ever reaches the audit log,
 *   a log line or an error message.
 * - Every loaded struct store_agent handed out here has pw_hash NULL (wiped
 *   and freed), so it can be shown; release it with store_agent_release().
 * All functions may be called from many threads at once, except
 * agent_auth_set_cost() (tests only, before anything else).
 */
#ifndef LK_AGENT_AUTH_H
#define LK_AGENT_AUTH_H

#include "core/err.h"
#include "store/store.h"

#include <stddef.h>
#include <stdint.h>

#define AGENT_PW_MIN 12                            /* bytes */
#define AGENT_PW_MAX 256                           /* bytes */
#define AGENT_HASH_MAX 160                         /* an encoded argon2id hash, NUL included */
#define AGENT_TOKEN_HEX 64                         /* cookie token: 32 random bytes as hex */
#define AGENT_SESSION_MS (12 * 3600 * (int64_t)1000) /* idle lifetime of a session */
#define AGENT_TOUCH_MS (11 * 3600 * (int64_t)1000) /* touched when less than this is left */
#define AGENT_LOCK_AFTER 5                         /* failed logins in a row ... */
#define AGENT_LOCK_MS (60 * (int64_t)1000)         /* ... lock the account this long */
#define AGENT_COOKIE "loket_agent"
#define AGENT_COOKIE_HEADER_MAX 8192               /* a longer Cookie: header is refused */
#define AGENT_TEAMS_MAX 64                         /* teams per account */

/* --- passwords --- */
/* 0 when password is acceptable: AGENT_PW_MIN..AGENT_PW_MAX bytes of valid
 * UTF-8 (no NUL). Else LK_EINVAL, reason "weak_password". */
int agent_password_policy(const char *password, struct lk_err *err);
/* Hashes password (after the policy check) with argon2id, t=2, m=19456 KiB,
 * p=1, a 16-byte random salt and a 32-byte hash, into out as the encoded
 * string ("$argon2id$v=19$m=19456,t=2,p=1$...$..."). out_size >= AGENT_HASH_MAX.
 * LK_EINVAL "weak_password"; LK_EIO when no random bytes are available. */
int agent_password_hash(const char *password, char *out, size_t out_size, struct lk_err *err);
/* 1 when password matches encoded, 0 when not (also for a malformed hash or
 * a NULL argument). The cost is the one written in encoded. */
int agent_password_verify(const char *encoded, const char *password);
/* Tests only: lowers the cost of new hashes (t >= 1, m_kib >= 8) and of the
 * dummy hash unknown users are checked against. The server never calls it.
 * Not thread-safe: call before anything else. */
void agent_auth_set_cost(uint32_t t, uint32_t m_kib);

/* --- sessions --- */
struct agent_session_info {
	struct store_agent agent; /* owned: release with store_agent_release(); pw_hash NULL */
	char csrf[65];            /* 64 hex: the X-CSRF-Token the agent must send */
	int64_t expires_ms;
};

/* Checks username and password of the bot's agent and, when they match,
 * opens a session: token_out receives the cookie token (64 hex; put it in
 * agent_cookie_set()), *out (may be NULL) the agent and the CSRF token.
 * Errors: LK_EAUTH reason "invalid_login" for an unknown user, a wrong
 * password or a disabled account (same message); LK_EBUSY reason "locked"
 * while the account is locked (AGENT_LOCK_AFTER failures in a row lock it for
 * AGENT_LOCK_MS), the message saying for how many seconds; LK_EDB/LK_EIO.
 * Writes the audit rows "login" and "login_failed" (actor the agent id, or
 * "unknown"). Expired sessions of the bot are pruned on the way. */
int agent_login(struct store *st, const char *bot, const char *username, const char *password,
		int64_t now_ms, char token_out[65], struct agent_session_info *out,
		struct lk_err *err);
/* The session of the loket_agent cookie in cookie_header (the value of a
 * Cookie: header; may be NULL). Fills *out (may be NULL); the caller releases
 * out->agent with store_agent_release(). A session with less than
 * AGENT_TOUCH_MS left is extended to now + AGENT_SESSION_MS (sliding idle
 * expiry). LK_EAUTH reason "not_logged_in" when there is no well-formed
 * cookie, no such session, it expired, or its agent is gone or disabled
 * (such a session is deleted). Does not mark the agent seen
 * (store_agent_seen): what counts as online is the caller's choice. */
int agent_session_check(struct store *st, const char *bot, const char *cookie_header,
			int64_t now_ms, struct agent_session_info *out, struct lk_err *err);
/* 1 when header_value (the X-CSRF-Token header; may be NULL) is the session's
 * CSRF token, compared in constant time; else 0. */
int agent_csrf_ok(const struct agent_session_info *s, const char *header_value);
/* Deletes the session of the cookie and writes the audit row "logout".
 * LK_EAUTH reason "not_logged_in" when the cookie names no session (nothing
 * to do; the caller clears the cookie anyway). */
int agent_logout(struct store *st, const char *bot, const char *cookie_header,
		 struct lk_err *err);
/* The Set-Cookie value that stores token (size >= 128):
 * "loket_agent=<token>; Path=/; HttpOnly; Secure; SameSite=Strict; Max-Age=43200". */
void agent_cookie_set(char *out, size_t size, const char *token);
/* The Set-Cookie value that removes it (Max-Age=0). */
void agent_cookie_clear(char *out, size_t size);

/* --- accounts ---
 * These write no audit rows: the caller knows who acted (an admin's id, or
 * "system" for the command line) and writes "account_add"/"account_update". */
/* 0 when username is [a-z0-9._-]{2,63}; LK_EINVAL reason "invalid_username". */
int agent_username_valid(const char *username, struct lk_err *err);
/* Checks teams_json (a JSON array of at most AGENT_TEAMS_MAX distinct team
 * ids [a-z0-9-]{1,31}) and, when norm is not NULL, sets *norm to its compact
 * form (caller frees). LK_EINVAL reason "invalid_teams". Whether the teams
 * exist is for the caller to check. */
int agent_teams_valid(const char *teams_json, char **norm, struct lk_err *err);
/* Adds an account: username as above, name 1..127 bytes of UTF-8 without
 * control characters (shown to citizens), role "agent" | "supervisor" |
 * "admin", teams_json as above (NULL: []), password by the policy. id_out
 * receives the new id, "ag-" and 16 random hex. LK_EINVAL with reason
 * "invalid_username", "invalid_name", "invalid_role", "invalid_teams" or
 * "weak_password"; LK_EEXIST reason "username_taken". */
int agent_account_create(struct store *st, const char *bot, const char *username,
			 const char *name, const char *role, const char *teams_json,
			 const char *password, char id_out[STORE_AGENT_ID_MAX], struct lk_err *err);

/* What agent_account_update changes: NULL (disabled: -1) keeps a field. */
struct agent_account_change {
	const char *name;
	const char *role;
	const char *teams_json;
	const char *password;
	int disabled; /* -1 keep, 0 enable, 1 disable */
};
/* Changes the account `id`, validated as in agent_account_create.
 * Disabling it or setting a new password deletes all its sessions.
 * LK_ENOTFOUND reason "not_found"; LK_EINVAL as above. */
int agent_account_update(struct store *st, const char *bot, const char *id,
			 const struct agent_account_change *c, struct lk_err *err);

#endif
