/* test_agent_auth.c - unit tests for the handoff console's agents
 * (src/handoff/agent_auth.c, agent_cli.c): password hashing and policy,
 * logins with lockout, cookie sessions with sliding expiry, CSRF, logout,
 * account checks, and the `loket agent` command line. Hashes use a tiny
 * argon2 cost (agent_auth_set_cost) except in the one test of the default.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/mem.h"
#include "handoff/agent_auth.h"
#include "handoff/agent_cli.h"
#include "store/store.h"

#define BOT "demo"
#define PW "correct horse battery"
#define USER "anna.jansen"
#define T0 ((int64_t)1767225600000) /* 2026-01-01 00:00 UTC */
#define HOUR ((int64_t)3600 * 1000)

struct fixture {
	struct store *st;
	char id[STORE_AGENT_ID_MAX];
};

static int setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof(*f));

	assert_int_equal(store_open(&f->st, "sqlite::memory:", NULL), 0);
	assert_int_equal(agent_account_create(f->st, BOT, USER, "Anna", "agent",
					      "[\"burgerzaken\", \"zorg\"]", PW, f->id, NULL),
			 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	store_close(f->st);
	free(f);
	return 0;
}

static int is_hex64(const char *s)
{
	if (strlen(s) != 64)
		return 0;
	for (; *s; s++)
		if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
			return 0;
	return 1;
}

/* Logs USER in at now; fills token and (when given) info. */
static void login(struct fixture *f, int64_t now, char token[65], struct agent_session_info *info)
{
	struct agent_session_info tmp;

	assert_int_equal(agent_login(f->st, BOT, USER, PW, now, token, info ? info : &tmp, NULL), 0);
	if (!info)
		store_agent_release(&tmp.agent);
}

static void cookie_of(char *out, size_t size, const char *token)
{
	snprintf(out, size, "theme=dark; loket_agent=%s; lang=nl", token);
}

/* The number of bot's audit rows with action (and actor, when not NULL). */
static size_t audit_count_in(struct store *st, const char *bot, const char *action,
			     const char *actor)
{
	struct store_audits l = {0};
	size_t n = 0;

	assert_int_equal(store_audit_list(st, bot, NULL, 0, 1000, &l, NULL), 0);
	for (size_t i = 0; i < l.n; i++)
		if (!strcmp(l.v[i].action, action) && (!actor || !strcmp(l.v[i].actor, actor)))
			n++;
	store_audits_release(&l);
	return n;
}

static size_t audit_count(struct store *st, const char *action, const char *actor)
{
	return audit_count_in(st, BOT, action, actor);
}

/* ---------------------------------------------------------------- passwords */

static void test_hash_verify_round_trip(void **state)
{
	char a[AGENT_HASH_MAX], b[AGENT_HASH_MAX];

	assert_int_equal(agent_password_hash(PW, a, sizeof(a), NULL), 0);
	assert_int_equal(agent_password_hash(PW, b, sizeof(b), NULL), 0);
	assert_true(!strncmp(a, "$argon2id$v=19$m=8,t=1,p=1$", 27));
	assert_string_not_equal(a, b); /* a fresh salt every time */
	assert_int_equal(agent_password_verify(a, PW), 1);
	assert_int_equal(agent_password_verify(b, PW), 1);
	assert_int_equal(agent_password_verify(a, "correct horse batterY"), 0);
	assert_int_equal(agent_password_verify(a, ""), 0);
	assert_int_equal(agent_password_verify(NULL, PW), 0);
	assert_int_equal(agent_password_verify(a, NULL), 0);
	assert_int_equal(agent_password_verify("$argon2id$garbage", PW), 0);
	assert_int_equal(agent_password_verify("plain text", PW), 0);
	/* too small an output buffer is refused, not overrun */
	assert_int_equal(agent_password_hash(PW, a, 40, NULL), LK_EINVAL);
}

static void test_default_cost_is_owasp(void **state)
{
	char h[AGENT_HASH_MAX];

	agent_auth_set_cost(2, 19456);
	assert_int_equal(agent_password_hash(PW, h, sizeof(h), NULL), 0);
	agent_auth_set_cost(1, 8);
	assert_true(!strncmp(h, "$argon2id$v=19$m=19456,t=2,p=1$", 31));
	assert_int_equal(agent_password_verify(h, PW), 1);
}

static void test_weak_passwords_are_refused(void **state)
{
	char h[AGENT_HASH_MAX], big[300];
	struct lk_err err = {0};

	assert_int_equal(agent_password_policy("elf tekens!", &err), LK_EINVAL); /* 11 bytes */
	assert_string_equal(err.reason, "weak_password");
	assert_int_equal(agent_password_policy("twaalf teken", NULL), 0); /* 12 bytes */
	assert_int_equal(agent_password_policy(NULL, NULL), LK_EINVAL);
	assert_int_equal(agent_password_policy("\xff\xfe\xfd geen utf-8 hier", &err), LK_EINVAL);
	assert_string_equal(err.reason, "weak_password");
	assert_int_equal(agent_password_policy("wachtwoord met \xc3\xa9\xc3\xa9n accent", NULL), 0);
	memset(big, 'x', sizeof(big));
	big[256] = '\0';
	assert_int_equal(agent_password_policy(big, NULL), 0);
	big[256] = 'x';
	big[257] = '\0';
	assert_int_equal(agent_password_policy(big, NULL), LK_EINVAL);
	memset(&err, 0, sizeof(err));
	assert_int_equal(agent_password_hash("kort", h, sizeof(h), &err), LK_EINVAL);
	assert_string_equal(err.reason, "weak_password");
	assert_null(strstr(err.msg, "kort")); /* the password never shows in a message */
}

/* ------------------------------------------------------------------- logins */

static void test_login_ok(void **state)
{
	struct fixture *f = *state;
	struct agent_session_info info;
	char token[65];

	login(f, T0, token, &info);
	assert_true(is_hex64(token));
	assert_true(is_hex64(info.csrf));
	assert_string_not_equal(token, info.csrf);
	assert_string_equal(info.agent.id, f->id);
	assert_string_equal(info.agent.username, USER);
	assert_string_equal(info.agent.name, "Anna");
	assert_string_equal(info.agent.role, "agent");
	assert_string_equal(info.agent.teams, "[\"burgerzaken\",\"zorg\"]");
	assert_null(info.agent.pw_hash); /* never handed out */
	assert_int_equal(info.expires_ms, T0 + 12 * HOUR);
	assert_int_equal(audit_count(f->st, "login", f->id), 1);
	store_agent_release(&info.agent);
}

static void test_wrong_password_and_unknown_user_look_alike(void **state)
{
	struct fixture *f = *state;
	struct lk_err e1 = {0}, e2 = {0};
	struct agent_session_info info;
	char token[65];

	assert_int_equal(agent_login(f->st, BOT, USER, "wrong password!", T0, token, &info, &e1),
			 LK_EAUTH);
	assert_string_equal(token, "");
	assert_int_equal(agent_login(f->st, BOT, "nobody.here", PW, T0, token, &info, &e2),
			 LK_EAUTH);
	assert_string_equal(e1.reason, "invalid_login");
	assert_string_equal(e2.reason, "invalid_login");
	assert_string_equal(e1.msg, e2.msg);
	/* a username too long to exist fails the same way */
	memset(&e2, 0, sizeof(e2));
	assert_int_equal(agent_login(f->st, BOT,
				     "a-username-that-is-far-too-long-to-be-stored-in-the-agents-table-x",
				     PW, T0, token, NULL, &e2),
			 LK_EAUTH);
	assert_string_equal(e1.msg, e2.msg);
	assert_int_equal(audit_count(f->st, "login_failed", f->id), 1);
	assert_int_equal(audit_count(f->st, "login_failed", "unknown"), 2);
	assert_int_equal(audit_count(f->st, "login", NULL), 0);
}

static void test_disabled_account_cannot_log_in(void **state)
{
	struct fixture *f = *state;
	struct agent_account_change ch = {.disabled = 1};
	struct lk_err e1 = {0}, e2 = {0};
	char token[65];

	assert_int_equal(agent_account_update(f->st, BOT, f->id, &ch, NULL), 0);
	assert_int_equal(agent_login(f->st, BOT, USER, PW, T0, token, NULL, &e1), LK_EAUTH);
	assert_int_equal(agent_login(f->st, BOT, "nobody.here", PW, T0, token, NULL, &e2), LK_EAUTH);
	assert_string_equal(e1.reason, "invalid_login");
	assert_string_equal(e1.msg, e2.msg);
	ch.disabled = 0;
	assert_int_equal(agent_account_update(f->st, BOT, f->id, &ch, NULL), 0);
	login(f, T0, token, NULL);
}

static void test_lockout_after_five_failures_and_unlock(void **state)
{
	struct fixture *f = *state;
	struct lk_err err = {0};
	char token[65];

	for (int i = 0; i < AGENT_LOCK_AFTER; i++)
		assert_int_equal(agent_login(f->st, BOT, USER, "wrong password!", T0 + i, token,
					     NULL, NULL),
				 LK_EAUTH);
	/* now even the right password is refused, saying for how long */
	assert_int_equal(agent_login(f->st, BOT, USER, PW, T0 + 10, token, NULL, &err), LK_EBUSY);
	assert_string_equal(err.reason, "locked");
	assert_non_null(strstr(err.msg, "60 more seconds"));
	assert_string_equal(token, "");
	assert_int_equal(agent_login(f->st, BOT, USER, PW, T0 + 30 * 1000, token, NULL, &err),
			 LK_EBUSY);
	assert_non_null(strstr(err.msg, "31 more seconds"));
	/* after the minute it works again, and the count starts over */
	login(f, T0 + 4 + 60 * 1000, token, NULL);
	for (int i = 0; i < AGENT_LOCK_AFTER - 1; i++)
		assert_int_equal(agent_login(f->st, BOT, USER, "wrong password!", T0 + 70 * 1000,
					     token, NULL, NULL),
				 LK_EAUTH);
	login(f, T0 + 71 * 1000, token, NULL); /* 4 failures do not lock */
}

/* An unknown username locks like a real one: a 429 does not reveal that a name exists. */
static void test_unknown_user_locks_alike(void **state)
{
	struct fixture *f = *state;
	struct lk_err known = {0}, ghost = {0};
	char token[65];

	for (int i = 0; i < AGENT_LOCK_AFTER; i++) {
		assert_int_equal(agent_login(f->st, BOT, USER, "wrong password!", T0 + i, token,
					     NULL, NULL),
				 LK_EAUTH);
		assert_int_equal(agent_login(f->st, BOT, "nobody.at.all", "wrong password!", T0 + i,
					     token, NULL, NULL),
				 LK_EAUTH);
	}
	assert_int_equal(agent_login(f->st, BOT, USER, PW, T0 + 10, token, NULL, &known), LK_EBUSY);
	assert_int_equal(agent_login(f->st, BOT, "nobody.at.all", PW, T0 + 10, token, NULL, &ghost),
			 LK_EBUSY);
	assert_string_equal(known.reason, ghost.reason);
	assert_string_equal(known.msg, ghost.msg);
	/* another unknown name is not locked by it, and the lock ends after the minute */
	assert_int_equal(agent_login(f->st, BOT, "someone.else", PW, T0 + 10, token, NULL, NULL),
			 LK_EAUTH);
	assert_int_equal(agent_login(f->st, BOT, "nobody.at.all", PW, T0 + 4 + 60 * 1000, token, NULL,
				     NULL),
			 LK_EAUTH);
}

/* ----------------------------------------------------------------- sessions */

static void test_session_cookie_among_others(void **state)
{
	struct fixture *f = *state;
	struct agent_session_info info;
	char token[65], cookie[256];

	login(f, T0, token, NULL);
	cookie_of(cookie, sizeof(cookie), token);
	assert_int_equal(agent_session_check(f->st, BOT, cookie, T0 + 1000, &info, NULL), 0);
	assert_string_equal(info.agent.id, f->id);
	assert_null(info.agent.pw_hash);
	assert_true(is_hex64(info.csrf));
	store_agent_release(&info.agent);
	/* first, last, alone, quoted, with spaces and tabs */
	snprintf(cookie, sizeof(cookie), "loket_agent=%s", token);
	assert_int_equal(agent_session_check(f->st, BOT, cookie, T0 + 1000, NULL, NULL), 0);
	snprintf(cookie, sizeof(cookie), "a=b;loket_agent=\"%s\"", token);
	assert_int_equal(agent_session_check(f->st, BOT, cookie, T0 + 1000, NULL, NULL), 0);
	snprintf(cookie, sizeof(cookie), " ;;x ; loket_agent_old=1;\t loket_agent = %s \t; z=", token);
	assert_int_equal(agent_session_check(f->st, BOT, cookie, T0 + 1000, NULL, NULL), 0);
}

static void test_session_bad_cookies(void **state)
{
	struct fixture *f = *state;
	struct lk_err err = {0};
	char token[65], cookie[256], *big;
	size_t n = AGENT_COOKIE_HEADER_MAX + 100;

	login(f, T0, token, NULL);
	assert_int_equal(agent_session_check(f->st, BOT, NULL, T0, NULL, &err), LK_EAUTH);
	assert_string_equal(err.reason, "not_logged_in");
	assert_int_equal(agent_session_check(f->st, BOT, "", T0, NULL, NULL), LK_EAUTH);
	assert_int_equal(agent_session_check(f->st, BOT, "loket_agent=xyz", T0, NULL, NULL), LK_EAUTH);
	assert_int_equal(agent_session_check(f->st, BOT, "loket_agent", T0, NULL, NULL), LK_EAUTH);
	assert_int_equal(agent_session_check(f->st, BOT, "loket_agent=\"", T0, NULL, NULL), LK_EAUTH);
	/* upper-case hex, one character short, another cookie's name */
	snprintf(cookie, sizeof(cookie), "loket_agent=%s", token);
	for (char *p = cookie + 12; *p; p++)
		if (*p >= 'a' && *p <= 'f')
			*p = (char)(*p - 'a' + 'A');
	assert_int_equal(agent_session_check(f->st, BOT, cookie, T0, NULL, NULL), LK_EAUTH);
	snprintf(cookie, sizeof(cookie), "loket_agent=%.63s", token);
	assert_int_equal(agent_session_check(f->st, BOT, cookie, T0, NULL, NULL), LK_EAUTH);
	snprintf(cookie, sizeof(cookie), "xloket_agent=%s", token);
	assert_int_equal(agent_session_check(f->st, BOT, cookie, T0, NULL, NULL), LK_EAUTH);
	/* well-formed but no such session */
	assert_int_equal(agent_session_check(f->st, BOT,
					     "loket_agent=000000000000000000000000000000000000"
					     "0000000000000000000000000000",
					     T0, NULL, NULL),
			 LK_EAUTH);
	/* a valid cookie at the end of an oversized header is not looked at */
	big = xmalloc(n + 1);
	memset(big, 'a', n);
	big[0] = 'x';
	big[1] = '=';
	snprintf(big + n - 80, 81, "; loket_agent=%s", token);
	assert_int_equal(agent_session_check(f->st, BOT, big, T0, NULL, NULL), LK_EAUTH);
	free(big);
	/* another bot does not know the session */
	snprintf(cookie, sizeof(cookie), "loket_agent=%s", token);
	assert_int_equal(agent_session_check(f->st, "other", cookie, T0, NULL, NULL), LK_EAUTH);
	assert_int_equal(agent_session_check(f->st, BOT, cookie, T0, NULL, NULL), 0);
}

static void test_session_expiry_and_sliding_touch(void **state)
{
	struct fixture *f = *state;
	struct agent_session_info info;
	char token[65], cookie[256];
	int64_t t;

	login(f, T0, token, NULL);
	cookie_of(cookie, sizeof(cookie), token);
	/* 11.5 h left: not touched */
	assert_int_equal(agent_session_check(f->st, BOT, cookie, T0 + HOUR / 2, &info, NULL), 0);
	assert_int_equal(info.expires_ms, T0 + 12 * HOUR);
	store_agent_release(&info.agent);
	/* 10 h left: extended to 12 h from now */
	t = T0 + 2 * HOUR;
	assert_int_equal(agent_session_check(f->st, BOT, cookie, t, &info, NULL), 0);
	assert_int_equal(info.expires_ms, t + 12 * HOUR);
	store_agent_release(&info.agent);
	/* still alive past the first 12 h because it was used */
	assert_int_equal(agent_session_check(f->st, BOT, cookie, T0 + 13 * HOUR, &info, NULL), 0);
	t = info.expires_ms;
	store_agent_release(&info.agent);
	/* idle 12 h: gone, and deleted (an earlier clock does not bring it back) */
	assert_int_equal(agent_session_check(f->st, BOT, cookie, t, &info, NULL), LK_EAUTH);
	assert_int_equal(agent_session_check(f->st, BOT, cookie, T0 + 14 * HOUR, NULL, NULL),
			 LK_EAUTH);
}

static void test_csrf(void **state)
{
	struct fixture *f = *state;
	struct agent_session_info info;
	char token[65], bad[65];

	login(f, T0, token, &info);
	assert_int_equal(agent_csrf_ok(&info, info.csrf), 1);
	snprintf(bad, sizeof(bad), "%s", info.csrf);
	bad[63] = bad[63] == '0' ? '1' : '0';
	assert_int_equal(agent_csrf_ok(&info, bad), 0);
	assert_int_equal(agent_csrf_ok(&info, NULL), 0);
	assert_int_equal(agent_csrf_ok(&info, ""), 0);
	assert_int_equal(agent_csrf_ok(&info, token), 0);
	bad[62] = '\0';
	assert_int_equal(agent_csrf_ok(&info, bad), 0);
	assert_int_equal(agent_csrf_ok(NULL, info.csrf), 0);
	store_agent_release(&info.agent);
}

static void test_logout(void **state)
{
	struct fixture *f = *state;
	struct lk_err err = {0};
	char t1[65], t2[65], c1[256], c2[256];

	login(f, T0, t1, NULL);
	login(f, T0, t2, NULL);
	assert_string_not_equal(t1, t2);
	cookie_of(c1, sizeof(c1), t1);
	cookie_of(c2, sizeof(c2), t2);
	assert_int_equal(agent_logout(f->st, BOT, c1, NULL), 0);
	assert_int_equal(agent_session_check(f->st, BOT, c1, T0, NULL, NULL), LK_EAUTH);
	assert_int_equal(agent_session_check(f->st, BOT, c2, T0, NULL, NULL), 0); /* other session */
	assert_int_equal(agent_logout(f->st, BOT, c1, &err), LK_EAUTH);
	assert_string_equal(err.reason, "not_logged_in");
	assert_int_equal(agent_logout(f->st, BOT, NULL, NULL), LK_EAUTH);
	assert_int_equal(audit_count(f->st, "logout", f->id), 1);
}

static void test_cookie_strings(void **state)
{
	char out[160];

	agent_cookie_set(out, sizeof(out), "ab12");
	assert_string_equal(out, "loket_agent=ab12; Path=/; HttpOnly; Secure; SameSite=Strict; "
				 "Max-Age=43200");
	agent_cookie_clear(out, sizeof(out));
	assert_string_equal(out, "loket_agent=; Path=/; HttpOnly; Secure; SameSite=Strict; Max-Age=0");
}

/* ----------------------------------------------------------------- accounts */

static void expect_create(struct store *st, const char *user, const char *name, const char *role,
			  const char *teams, const char *pw, int code, const char *reason)
{
	char id[STORE_AGENT_ID_MAX] = "x";
	struct lk_err err = {0};

	assert_int_equal(agent_account_create(st, BOT, user, name, role, teams, pw, id, &err), code);
	if (reason)
		assert_string_equal(err.reason, reason);
	if (code)
		assert_string_equal(id, "");
}

static void test_account_create_validation(void **state)
{
	struct fixture *f = *state;
	struct store_agent a;
	char name[130];

	assert_int_equal(strncmp(f->id, "ag-", 3), 0);
	assert_int_equal(strlen(f->id), 19);
	expect_create(f->st, "a", "A", "agent", NULL, PW, LK_EINVAL, "invalid_username");
	expect_create(f->st, "Piet", "P", "agent", NULL, PW, LK_EINVAL, "invalid_username");
	expect_create(f->st, "piet jan", "P", "agent", NULL, PW, LK_EINVAL, "invalid_username");
	expect_create(f->st, NULL, "P", "agent", NULL, PW, LK_EINVAL, "invalid_username");
	expect_create(f->st, "piet", "", "agent", NULL, PW, LK_EINVAL, "invalid_name");
	expect_create(f->st, "piet", "   ", "agent", NULL, PW, LK_EINVAL, "invalid_name");
	expect_create(f->st, "piet", "Piet\n", "agent", NULL, PW, LK_EINVAL, "invalid_name");
	expect_create(f->st, "piet", "P\xc3", "agent", NULL, PW, LK_EINVAL, "invalid_name");
	memset(name, 'p', sizeof(name));
	name[128] = '\0';
	expect_create(f->st, "piet", name, "agent", NULL, PW, LK_EINVAL, "invalid_name");
	expect_create(f->st, "piet", "P", "root", NULL, PW, LK_EINVAL, "invalid_role");
	expect_create(f->st, "piet", "P", NULL, NULL, PW, LK_EINVAL, "invalid_role");
	expect_create(f->st, "piet", "P", "agent", "zorg", PW, LK_EINVAL, "invalid_teams");
	expect_create(f->st, "piet", "P", "agent", "[1]", PW, LK_EINVAL, "invalid_teams");
	expect_create(f->st, "piet", "P", "agent", "[\"Zorg\"]", PW, LK_EINVAL, "invalid_teams");
	expect_create(f->st, "piet", "P", "agent", "[\"zorg\",\"zorg\"]", PW, LK_EINVAL,
		      "invalid_teams");
	expect_create(f->st, "piet", "P", "agent", "{\"a\":\"b\"}", PW, LK_EINVAL, "invalid_teams");
	expect_create(f->st, "piet", "P", "agent", "[\"\"]", PW, LK_EINVAL, "invalid_teams");
	expect_create(f->st, "piet", "P", "agent", NULL, "short", LK_EINVAL, "weak_password");
	expect_create(f->st, USER, "Anna 2", "agent", NULL, PW, LK_EEXIST, "username_taken");
	/* nothing of the refused ones was stored */
	assert_int_equal(store_agent_by_username(f->st, BOT, "piet", &a, NULL), LK_ENOTFOUND);
	/* the longest name, no teams, another role */
	name[127] = '\0';
	expect_create(f->st, "p.de-vries_2", name, "admin", NULL, PW, 0, NULL);
	assert_int_equal(store_agent_by_username(f->st, BOT, "p.de-vries_2", &a, NULL), 0);
	assert_string_equal(a.teams, "[]");
	assert_string_equal(a.role, "admin");
	assert_true(!strncmp(a.pw_hash, "$argon2id$", 10));
	assert_null(strstr(a.pw_hash, PW));
	store_agent_release(&a);
}

static void test_account_update(void **state)
{
	struct fixture *f = *state;
	struct agent_account_change ch = {.disabled = -1};
	struct agent_session_info info;
	struct lk_err err = {0};
	char token[65], cookie[256];

	/* name, role and teams change; the password stays */
	ch.name = "Anna de Boer";
	ch.role = "supervisor";
	ch.teams_json = "[ \"zorg\" ]";
	assert_int_equal(agent_account_update(f->st, BOT, f->id, &ch, NULL), 0);
	login(f, T0, token, &info);
	assert_string_equal(info.agent.name, "Anna de Boer");
	assert_string_equal(info.agent.role, "supervisor");
	assert_string_equal(info.agent.teams, "[\"zorg\"]");
	store_agent_release(&info.agent);
	/* a bad field changes nothing */
	ch.name = "Nieuwe naam";
	ch.role = "boss";
	assert_int_equal(agent_account_update(f->st, BOT, f->id, &ch, &err), LK_EINVAL);
	assert_string_equal(err.reason, "invalid_role");
	cookie_of(cookie, sizeof(cookie), token);
	assert_int_equal(agent_session_check(f->st, BOT, cookie, T0, &info, NULL), 0);
	assert_string_equal(info.agent.name, "Anna de Boer");
	store_agent_release(&info.agent);
	/* unknown id */
	memset(&ch, 0, sizeof(ch));
	ch.disabled = 1;
	assert_int_equal(agent_account_update(f->st, BOT, "ag-0000000000000000", &ch, &err),
			 LK_ENOTFOUND);
	assert_string_equal(err.reason, "not_found");
	/* a new password ends the sessions and replaces the old one */
	ch.disabled = -1;
	ch.password = "a brand new password";
	assert_int_equal(agent_account_update(f->st, BOT, f->id, &ch, NULL), 0);
	assert_int_equal(agent_session_check(f->st, BOT, cookie, T0, NULL, NULL), LK_EAUTH);
	assert_int_equal(agent_login(f->st, BOT, USER, PW, T0, token, NULL, NULL), LK_EAUTH);
	assert_int_equal(agent_login(f->st, BOT, USER, "a brand new password", T0, token, NULL, NULL),
			 0);
}

static void test_disable_ends_sessions(void **state)
{
	struct fixture *f = *state;
	struct agent_account_change ch = {.disabled = 1};
	char t1[65], t2[65], c1[256], c2[256];

	login(f, T0, t1, NULL);
	login(f, T0, t2, NULL);
	cookie_of(c1, sizeof(c1), t1);
	cookie_of(c2, sizeof(c2), t2);
	assert_int_equal(agent_account_update(f->st, BOT, f->id, &ch, NULL), 0);
	assert_int_equal(agent_session_check(f->st, BOT, c1, T0, NULL, NULL), LK_EAUTH);
	/* enabling again does not revive them */
	ch.disabled = 0;
	assert_int_equal(agent_account_update(f->st, BOT, f->id, &ch, NULL), 0);
	assert_int_equal(agent_session_check(f->st, BOT, c2, T0, NULL, NULL), LK_EAUTH);
}

static void test_audit_holds_no_username_or_password(void **state)
{
	struct fixture *f = *state;
	struct store_audits l = {0};
	char token[65];

	(void)agent_login(f->st, BOT, USER, "wrong password!", T0, token, NULL, NULL);
	(void)agent_login(f->st, BOT, "typo.anna", PW, T0, token, NULL, NULL);
	(void)agent_login(f->st, BOT, PW, USER, T0, token, NULL, NULL); /* swapped fields */
	login(f, T0, token, NULL);
	assert_int_equal(store_audit_list(f->st, BOT, NULL, 0, 1000, &l, NULL), 0);
	assert_int_equal(l.n, 4);
	for (size_t i = 0; i < l.n; i++) {
		const struct store_audit *a = &l.v[i];

		assert_true(!strcmp(a->actor, f->id) || !strcmp(a->actor, "unknown"));
		assert_null(strstr(a->detail, "anna"));
		assert_null(strstr(a->detail, "password"));
		assert_null(strstr(a->detail, "horse"));
		assert_null(strstr(a->actor, "anna"));
	}
	store_audits_release(&l);
}

/* ------------------------------------------------------------- command line */

/* Runs agent_cli_main on a NULL-terminated argument list with stdout
 * captured into out (size bytes); returns its exit status. */
static int run_cli(char *out, size_t size, ...)
{
	char *argv[32], path[] = "/tmp/loket-test-agent-out-XXXXXX";
	int argc = 0, rc, fd, saved;
	va_list ap;
	ssize_t n;

	va_start(ap, size);
	while (argc < 31 && (argv[argc] = va_arg(ap, char *)))
		argc++;
	va_end(ap);
	argv[argc] = NULL;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	fflush(stdout);
	saved = dup(STDOUT_FILENO);
	dup2(fd, STDOUT_FILENO);
	rc = agent_cli_main(argc, argv);
	fflush(stdout);
	dup2(saved, STDOUT_FILENO);
	close(saved);
	lseek(fd, 0, SEEK_SET);
	n = read(fd, out, size - 1);
	out[n > 0 ? n : 0] = '\0';
	close(fd);
	unlink(path);
	return rc;
}

static void test_cli(void **state)
{
	char db[] = "/tmp/loket-test-agent-db-XXXXXX", url[64], out[4096], side[64], pw[64];
	const char *bot = "bots/gemeente-demo";
	struct store *st;
	struct store_agent a;
	const char *p;
	int fd = mkstemp(db);

	close(fd);
	snprintf(url, sizeof(url), "sqlite:%s", db);
	/* usage errors: 2 */
	assert_int_equal(run_cli(out, sizeof(out), "agent", NULL), 2);
	assert_int_equal(run_cli(out, sizeof(out), "agent", "frobnicate", NULL), 2);
	assert_int_equal(run_cli(out, sizeof(out), "agent", "add", "--bot", bot, "--db", url,
				 "--username", "beheer", NULL),
			 2); /* no --name, --role */
	assert_int_equal(run_cli(out, sizeof(out), "agent", "list", "--bot", bot, "--db", url,
				 "--bogus", "1", NULL),
			 2);
	assert_int_equal(run_cli(out, sizeof(out), "agent", "list", "--bot", NULL), 2);
	/* add with the password from the environment */
	setenv("LOKET_AGENT_PASSWORD", "beheerder wachtwoord", 1);
	assert_int_equal(run_cli(out, sizeof(out), "agent", "add", "--bot", bot, "--db", url,
				 "--username", "beheer", "--name", "Beheerder", "--role", "admin",
				 NULL),
			 0);
	assert_non_null(strstr(out, "beheer"));
	assert_null(strstr(out, "beheerder wachtwoord")); /* not printed when given */
	/* runtime failures: 1 */
	assert_int_equal(run_cli(out, sizeof(out), "agent", "add", "--bot", bot, "--db", url,
				 "--username", "beheer", "--name", "B", "--role", "admin", NULL),
			 1); /* taken */
	assert_int_equal(run_cli(out, sizeof(out), "agent", "add", "--bot", bot, "--db", url,
				 "--username", "jan", "--name", "Jan", "--role", "agent", "--teams",
				 "geen-team", NULL),
			 1); /* unknown team */
	assert_int_equal(run_cli(out, sizeof(out), "agent", "add", "--bot", bot, "--db", url,
				 "--username", "jan", "--name", "Jan", "--role", "agent", NULL),
			 1); /* an agent needs a team */
	setenv("LOKET_AGENT_PASSWORD", "kort", 1);
	assert_int_equal(run_cli(out, sizeof(out), "agent", "add", "--bot", bot, "--db", url,
				 "--username", "jan", "--name", "Jan", "--role", "supervisor", NULL),
			 1); /* weak password */
	assert_int_equal(run_cli(out, sizeof(out), "agent", "passwd", "--bot", bot, "--db", url,
				 "--username", "niemand", NULL),
			 1);
	/* passwd with a generated password (no environment, empty stdin): printed once */
	unsetenv("LOKET_AGENT_PASSWORD");
	assert_non_null(freopen("/dev/null", "r", stdin));
	assert_int_equal(run_cli(out, sizeof(out), "agent", "passwd", "--bot", bot, "--db", url,
				 "--username", "beheer", NULL),
			 0);
	p = strstr(out, "Wachtwoord / password: ");
	assert_non_null(p);
	assert_int_equal(sscanf(p + 23, "%63s", pw), 1);
	assert_int_equal(strlen(pw), 20);
	assert_null(strpbrk(pw, "0O1lIo"));
	/* an agent of a team of the demo bot, the password from the first line of stdin */
	{
		char inpath[] = "/tmp/loket-test-agent-in-XXXXXX";
		int in = mkstemp(inpath);
		static const char lines[] = "van de invoer af\r\nnot this line\n";

		assert_true(in >= 0);
		assert_int_equal(write(in, lines, sizeof(lines) - 1), (ssize_t)sizeof(lines) - 1);
		close(in);
		assert_non_null(freopen(inpath, "r", stdin));
		unlink(inpath);
	}
	assert_int_equal(run_cli(out, sizeof(out), "agent", "add", "--bot", bot, "--db", url,
				 "--username", "jan", "--name", "Jan", "--role", "agent", "--teams",
				 "burgerzaken,burgerzaken", NULL),
			 1); /* a team twice */
	assert_int_equal(run_cli(out, sizeof(out), "agent", "add", "--bot", bot, "--db", url,
				 "--username", "jan", "--name", "Jan", "--role", "agent", "--teams",
				 " burgerzaken ", NULL),
			 0);
	assert_null(strstr(out, "van de invoer af"));
	assert_non_null(freopen("/dev/null", "r", stdin));
	/* disable, list, enable */
	assert_int_equal(run_cli(out, sizeof(out), "agent", "disable", "--bot", bot, "--db", url,
				 "--username", "beheer", NULL),
			 0);
	assert_int_equal(run_cli(out, sizeof(out), "agent", "list", "--bot", bot, "--db", url, NULL),
			 0);
	assert_non_null(strstr(out, "beheer"));
	assert_non_null(strstr(out, "disabled"));
	assert_int_equal(run_cli(out, sizeof(out), "agent", "enable", "--bot", bot, "--db", url,
				 "--username", "beheer", NULL),
			 0);
	/* the store has it all: the generated password logs in, audit rows by "system" */
	assert_int_equal(store_open(&st, url, NULL), 0);
	assert_int_equal(store_agent_by_username(st, "gemeente-demo", "beheer", &a, NULL), 0);
	assert_int_equal(a.disabled, 0);
	assert_string_equal(a.role, "admin");
	assert_int_equal(agent_password_verify(a.pw_hash, pw), 1);
	assert_int_equal(agent_password_verify(a.pw_hash, "beheerder wachtwoord"), 0);
	store_agent_release(&a);
	assert_int_equal(store_agent_by_username(st, "gemeente-demo", "jan", &a, NULL), 0);
	assert_string_equal(a.teams, "[\"burgerzaken\"]");
	assert_int_equal(agent_password_verify(a.pw_hash, "van de invoer af"), 1);
	store_agent_release(&a);
	assert_int_equal(audit_count_in(st, "gemeente-demo", "account_add", "system"), 2);
	assert_int_equal(audit_count_in(st, "gemeente-demo", "account_update", "system"), 3);
	store_close(st);
	unlink(db);
	snprintf(side, sizeof(side), "%s-wal", db);
	unlink(side);
	snprintf(side, sizeof(side), "%s-shm", db);
	unlink(side);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hash_verify_round_trip),
		cmocka_unit_test(test_default_cost_is_owasp),
		cmocka_unit_test(test_weak_passwords_are_refused),
		cmocka_unit_test(test_cookie_strings),
		cmocka_unit_test_setup_teardown(test_login_ok, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unknown_user_locks_alike, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wrong_password_and_unknown_user_look_alike, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_disabled_account_cannot_log_in, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lockout_after_five_failures_and_unlock, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_session_cookie_among_others, setup, teardown),
		cmocka_unit_test_setup_teardown(test_session_bad_cookies, setup, teardown),
		cmocka_unit_test_setup_teardown(test_session_expiry_and_sliding_touch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_csrf, setup, teardown),
		cmocka_unit_test_setup_teardown(test_logout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_account_create_validation, setup, teardown),
		cmocka_unit_test_setup_teardown(test_account_update, setup, teardown),
		cmocka_unit_test_setup_teardown(test_disable_ends_sessions, setup, teardown),
		cmocka_unit_test_setup_teardown(test_audit_holds_no_username_or_password, setup,
						teardown),
		cmocka_unit_test(test_cli),
	};

	agent_auth_set_cost(1, 8); /* tiny hashes: the default cost is tested once */
	return cmocka_run_group_tests(tests, NULL, NULL);
}
