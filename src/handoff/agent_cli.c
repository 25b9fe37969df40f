/* agent_cli.c - `loket agent` (see agent_cli.h): a table of sub-commands over
 * agent_auth's account functions and the store. Messages are Dutch first,
 * English alongside; passwords never go to stderr or the audit log.
 */
#include "handoff/agent_cli.h"

#include "conv/bot.h"
#include "core/clock.h"
#include "core/mem.h"
#include "handoff/agent_auth.h"
#include "handoff/handoff_config.h"
#include "store/store.h"

#include <jansson.h>
#include <openssl/rand.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define CLI_DEFAULT_DB "sqlite:loket.db" /* what `loket serve` uses */
#define CLI_GEN_LEN 20
#define CLI_LINE_MAX 1024

struct cli_opts {
	const char *bot;
	const char *db;
	const char *username;
	const char *name;
	const char *role;
	const char *teams;
};

/* What a sub-command works with once bot and store are open. */
struct cli_ctx {
	const struct cli_opts *o;
	struct bot *b;
	struct store *st;
};

const char *const agent_cli_help[] = {
	"agent add --bot DIR [--db sqlite:PATH] --username U --name NAME --role agent|supervisor|admin"
	" [--teams a,b]   add a handoff agent",
	"agent passwd --bot DIR [--db sqlite:PATH] --username U   set an agent's password",
	"agent list --bot DIR [--db sqlite:PATH]   list the agents",
	"agent disable|enable --bot DIR [--db sqlite:PATH] --username U   lock an agent out, or let them back in",
	NULL,
};

static int cli_usage(FILE *f)
{
	fprintf(f, "Gebruik / usage:\n");
	for (const char *const *h = agent_cli_help; *h; h++)
		fprintf(f, "  loket %s\n", *h);
	fprintf(f, "Het wachtwoord komt uit $LOKET_AGENT_PASSWORD, anders uit de eerste regel van stdin,\n"
		   "anders wordt er een gemaakt en eenmaal getoond. / The password comes from\n"
		   "$LOKET_AGENT_PASSWORD, else the first line of stdin, else one is generated and shown once.\n");
	return 2;
}

/* Says what went wrong, in both languages for the reasons people cause. */
static int cli_fail(const struct lk_err *err)
{
	static const struct {
		const char *reason, *text;
	} known[] = {
		{"weak_password", "wachtwoord te zwak: 12 tot 256 bytes UTF-8 / "
				  "weak password: 12 to 256 bytes of UTF-8"},
		{"invalid_username", "ongeldige gebruikersnaam: 2 tot 63 tekens a-z, 0-9, '.', '_', '-' / "
				     "invalid username: 2 to 63 characters a-z, 0-9, '.', '_', '-'"},
		{"invalid_name", "ongeldige naam: 1 tot 127 bytes tekst / "
				 "invalid name: 1 to 127 bytes of text"},
		{"invalid_role", "rol is agent, supervisor of admin / role is agent, supervisor or admin"},
		{"invalid_teams", "ongeldige teams (ids a-z, 0-9, '-', elk één keer) / "
				  "invalid teams (ids a-z, 0-9, '-', each once)"},
		{"username_taken", "die gebruikersnaam bestaat al / that username is taken"},
		{"not_found", "geen medewerker met die gebruikersnaam / no agent with that username"},
	};

	for (size_t i = 0; err->reason && i < sizeof(known) / sizeof(known[0]); i++)
		if (!strcmp(err->reason, known[i].reason)) {
			fprintf(stderr, "loket agent: %s\n", known[i].text);
			return 1;
		}
	fprintf(stderr, "loket agent: %s\n", err->msg[0] ? err->msg : lk_err_str(err->code));
	return 1;
}

static int cli_parse(int argc, char **argv, struct cli_opts *o)
{
	static const struct {
		const char *flag;
		size_t off;
	} flags[] = {
		{"--bot", offsetof(struct cli_opts, bot)},
		{"--db", offsetof(struct cli_opts, db)},
		{"--username", offsetof(struct cli_opts, username)},
		{"--name", offsetof(struct cli_opts, name)},
		{"--role", offsetof(struct cli_opts, role)},
		{"--teams", offsetof(struct cli_opts, teams)},
	};

	for (int i = 0; i < argc; i++) {
		size_t k;

		for (k = 0; k < sizeof(flags) / sizeof(flags[0]); k++)
			if (!strcmp(argv[i], flags[k].flag))
				break;
		if (k == sizeof(flags) / sizeof(flags[0])) {
			fprintf(stderr, "loket agent: onbekende optie / unknown option '%s'\n", argv[i]);
			return -1;
		}
		if (i + 1 == argc) {
			fprintf(stderr, "loket agent: optie / option '%s' heeft een waarde nodig / "
					"needs a value\n", argv[i]);
			return -1;
		}
		*(const char **)((char *)o + flags[k].off) = argv[++i];
	}
	return 0;
}

/* A strong password of CLI_GEN_LEN characters from an alphabet without
 * look-alikes (no 0/O/o, 1/l/I). out has CLI_GEN_LEN + 1 bytes. */
static int cli_generate(char *out)
{
	static const char alphabet[] = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
	const unsigned n = sizeof(alphabet) - 1;
	const unsigned limit = 256 - 256 % n; /* rejection sampling: no bias */
	size_t len = 0;

	while (len < CLI_GEN_LEN) {
		unsigned char raw[32];

		if (RAND_bytes(raw, sizeof(raw)) != 1)
			return -1;
		for (size_t i = 0; i < sizeof(raw) && len < CLI_GEN_LEN; i++)
			if (raw[i] < limit)
				out[len++] = alphabet[raw[i] % n];
		mem_wipe(raw, sizeof(raw));
	}
	out[len] = '\0';
	return 0;
}

/* The new password into out (CLI_LINE_MAX bytes): the environment, stdin, or
 * generated (then *generated = 1; the caller prints it once it is stored).
 * An empty stdin (EOF at once) counts as no password given. */
static int cli_password(char *out, int *generated)
{
	const char *env = getenv("LOKET_AGENT_PASSWORD");

	*generated = 0;
	if (env) {
		if (strlen(env) >= CLI_LINE_MAX) {
			fprintf(stderr, "loket agent: LOKET_AGENT_PASSWORD is te lang / is too long\n");
			return -1;
		}
		snprintf(out, CLI_LINE_MAX, "%s", env);
		return 0;
	}
	if (!isatty(STDIN_FILENO) && fgets(out, CLI_LINE_MAX, stdin)) {
		size_t len = strlen(out);

		if (len == CLI_LINE_MAX - 1 && out[len - 1] != '\n') {
			mem_wipe(out, CLI_LINE_MAX);
			fprintf(stderr, "loket agent: wachtwoordregel te lang / password line too long\n");
			return -1;
		}
		while (len && (out[len - 1] == '\n' || out[len - 1] == '\r'))
			out[--len] = '\0';
		return 0;
	}
	if (cli_generate(out)) {
		fprintf(stderr, "loket agent: geen willekeurige bytes / no random bytes available\n");
		return -1;
	}
	*generated = 1;
	return 0;
}

/* Turns "a, b,c" into the JSON array ["a","b","c"], checked against the
 * bot's teams. *out: caller frees. 0, or -1 after saying why. */
static int cli_teams(const struct bot *b, const char *list, char **out)
{
	const struct handoff_config *hc = bot_handoff(b);
	json_t *arr = json_array();
	const char *p = list ? list : "";
	struct lk_err err = {0};
	int rc = -1;

	*out = NULL;
	while (*p) {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		char *id;

		while (len && (*p == ' ' || *p == '\t'))
			p++, len--;
		while (len && (p[len - 1] == ' ' || p[len - 1] == '\t'))
			len--;
		if (len) {
			id = xstrndup(p, len);
			if (!hc || handoff_team_index(hc, id) < 0) {
				fprintf(stderr, "loket agent: onbekend team / unknown team '%s'%s\n", id,
					hc ? "" : " (de bot heeft geen handoff:-sectie / the bot has no "
						  "handoff: section)");
				free(id);
				goto out;
			}
			json_array_append_new(arr, json_string(id));
			free(id);
		}
		if (!end)
			break;
		p = end + 1;
	}
	*out = json_dumps(arr, JSON_COMPACT);
	if (!*out)
		abort(); /* jansson fails here only when out of memory */
	if (agent_teams_valid(*out, NULL, &err)) {
		free(*out);
		*out = NULL;
		cli_fail(&err);
		goto out;
	}
	rc = 0;
out:
	json_decref(arr);
	return rc;
}

static void cli_audit(struct store *st, const char *bot, const char *id, const char *action,
		      const char *what)
{
	struct store_audit a;
	struct lk_err err = {0};

	memset(&a, 0, sizeof(a));
	a.at_ms = lk_now_ms();
	snprintf(a.actor, sizeof(a.actor), "system");
	snprintf(a.action, sizeof(a.action), "%s", action);
	snprintf(a.detail, sizeof(a.detail), "%s %s (cli)", id, what);
	if (store_audit_add(st, bot, &a, &err))
		fprintf(stderr, "loket agent: auditregel niet geschreven / audit row not written: %s\n",
			err.msg);
}

/* The id of the agent named by --username; 0, or 1 after saying why. */
static int cli_find(const struct cli_ctx *c, char id[STORE_AGENT_ID_MAX])
{
	struct store_agent a;
	struct lk_err err = {0};
	int rc;

	memset(&a, 0, sizeof(a));
	if ((rc = store_agent_by_username(c->st, bot_id(c->b), c->o->username, &a, &err))) {
		if (rc == LK_ENOTFOUND)
			err.reason = "not_found";
		return cli_fail(&err);
	}
	snprintf(id, STORE_AGENT_ID_MAX, "%s", a.id);
	store_agent_release(&a);
	return 0;
}

static int cli_add(struct cli_ctx *c)
{
	char id[STORE_AGENT_ID_MAX], pw[CLI_LINE_MAX], what[64];
	struct lk_err err = {0};
	char *teams = NULL;
	int generated, rc = 1;

	if (cli_teams(c->b, c->o->teams, &teams))
		return 1;
	if (!strcmp(c->o->role, "agent") && !strcmp(teams, "[]")) {
		fprintf(stderr, "loket agent: een agent heeft minstens één team nodig (--teams a,b) / "
				"an agent needs at least one team (--teams a,b)\n");
		goto out;
	}
	if (cli_password(pw, &generated))
		goto out;
	if (agent_account_create(c->st, bot_id(c->b), c->o->username, c->o->name, c->o->role,
				 teams, pw, id, &err)) {
		cli_fail(&err);
		goto out;
	}
	snprintf(what, sizeof(what), "added, role %s", c->o->role);
	cli_audit(c->st, bot_id(c->b), id, "account_add", what);
	printf("Medewerker toegevoegd / agent added: %s (%s, %s)\n", c->o->username, id, c->o->role);
	if (generated)
		printf("Wachtwoord / password: %s\n", pw);
	rc = 0;
out:
	mem_wipe(pw, sizeof(pw));
	free(teams);
	return rc;
}

static int cli_passwd(struct cli_ctx *c)
{
	struct agent_account_change ch = {.disabled = -1};
	char id[STORE_AGENT_ID_MAX], pw[CLI_LINE_MAX];
	struct lk_err err = {0};
	int generated, rc = 1;

	if (cli_find(c, id))
		return 1;
	if (cli_password(pw, &generated))
		goto out;
	ch.password = pw;
	if (agent_account_update(c->st, bot_id(c->b), id, &ch, &err)) {
		cli_fail(&err);
		goto out;
	}
	cli_audit(c->st, bot_id(c->b), id, "account_update", "password set");
	printf("Wachtwoord gewijzigd, sessies beëindigd / password changed, sessions ended: %s\n",
	       c->o->username);
	if (generated)
		printf("Wachtwoord / password: %s\n", pw);
	rc = 0;
out:
	mem_wipe(pw, sizeof(pw));
	return rc;
}

static int cli_set_disabled(struct cli_ctx *c, int disabled)
{
	struct agent_account_change ch = {.disabled = disabled};
	char id[STORE_AGENT_ID_MAX];
	struct lk_err err = {0};

	if (cli_find(c, id))
		return 1;
	if (agent_account_update(c->st, bot_id(c->b), id, &ch, &err))
		return cli_fail(&err);
	cli_audit(c->st, bot_id(c->b), id, "account_update", disabled ? "disabled" : "enabled");
	if (disabled)
		printf("Uitgeschakeld, sessies beëindigd / disabled, sessions ended: %s\n",
		       c->o->username);
	else
		printf("Ingeschakeld / enabled: %s\n", c->o->username);
	return 0;
}

static int cli_disable(struct cli_ctx *c)
{
	return cli_set_disabled(c, 1);
}

static int cli_enable(struct cli_ctx *c)
{
	return cli_set_disabled(c, 0);
}

static int cli_list(struct cli_ctx *c)
{
	struct store_agents l = {0};
	struct lk_err err = {0};
	int64_t now = lk_now_ms();

	if (store_agent_list(c->st, bot_id(c->b), &l, &err))
		return cli_fail(&err);
	if (!l.n) {
		printf("Nog geen medewerkers / no agents yet\n");
		store_agents_release(&l);
		return 0;
	}
	printf("%-20s %-24s %-11s %-28s %s\n", "USERNAME", "NAME", "ROLE", "TEAMS", "STATUS");
	for (size_t i = 0; i < l.n; i++) {
		const struct store_agent *a = &l.v[i];
		const char *status = "actief/active";

		if (a->disabled)
			status = "uitgeschakeld/disabled";
		else if (a->locked_until_ms > now)
			status = "geblokkeerd/locked";
		printf("%-20s %-24s %-11s %-28s %s\n", a->username, a->name, a->role,
		       a->teams ? a->teams : "[]", status);
	}
	store_agents_release(&l);
	return 0;
}

static const struct cli_command {
	const char *name;
	int (*fn)(struct cli_ctx *c);
	int need_user; /* --username required */
	int need_add;  /* --name and --role required */
} cli_commands[] = {
	{"add", cli_add, 1, 1},
	{"passwd", cli_passwd, 1, 0},
	{"list", cli_list, 0, 0},
	{"disable", cli_disable, 1, 0},
	{"enable", cli_enable, 1, 0},
	{NULL, NULL, 0, 0},
};

int agent_cli_main(int argc, char **argv)
{
	const struct cli_command *cmd;
	struct cli_opts o;
	struct cli_ctx c;
	struct lk_err err = {0};
	int rc;

	if (argc < 2)
		return cli_usage(stderr);
	if (!strcmp(argv[1], "help") || !strcmp(argv[1], "--help")) {
		cli_usage(stdout);
		return 0;
	}
	for (cmd = cli_commands; cmd->name; cmd++)
		if (!strcmp(cmd->name, argv[1]))
			break;
	if (!cmd->name) {
		fprintf(stderr, "loket agent: onbekende opdracht / unknown command '%s'\n", argv[1]);
		return cli_usage(stderr);
	}
	memset(&o, 0, sizeof(o));
	if (cli_parse(argc - 2, argv + 2, &o))
		return cli_usage(stderr);
	if (!o.bot || (cmd->need_user && !o.username) ||
	    (cmd->need_add && (!o.name || !o.role))) {
		fprintf(stderr, "loket agent: %s mist een verplichte optie / is missing a required "
				"option\n", cmd->name);
		return cli_usage(stderr);
	}
	memset(&c, 0, sizeof(c));
	c.o = &o;
	if (bot_load(&c.b, o.bot, &err))
		return cli_fail(&err);
	if (store_open(&c.st, o.db ? o.db : CLI_DEFAULT_DB, &err)) {
		bot_free(c.b);
		return cli_fail(&err);
	}
	rc = cmd->fn(&c);
	store_close(c.st);
	bot_free(c.b);
	return rc;
}
