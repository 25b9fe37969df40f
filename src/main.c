/* main.c - the loket command line: a table of sub-commands (serve, chat,
 * kb import, eval retrieval, check), each a small function over the same
 * engine modules.
 */
#include "conv/bot.h"
#include "conv/conv.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/mem.h"
#include "dialog/convtest.h"
#include "channels/channels.h"
#include "dialog/dialog.h"
#include "handoff/agent_cli.h"
#include "handoff/handoff.h"
#include "handoff/handoff_config.h"
#include "http/http_api.h"
#include "integrations/integ.h"
#include "http/http_server.h"
#include "kb/kb_eval.h"
#include "kb/kb_import.h"
#include "kb/kb_live.h"
#include "kb/kb_synonyms.h"
#include "kb/kb_vectors.h"
#include "llm/llm_client.h"
#include "llm/llm_config.h"
#include "store/store.h"

#include <jansson.h>
#include <malloc.h>
#include <signal.h>
#include <sys/resource.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define KB_WATCH_MS 2000

/* Options shared by the commands; each command reads the ones it needs. */
struct opts {
	const char *bot;
	const char *listen;
	const char *db;
	const char *lang;
	const char *now;   /* loket test --now */
	unsigned threads;
	int access_log;
	char **rest; /* positional arguments */
	int n_rest;
};

static int usage(FILE *f);

static int parse_opts(int argc, char **argv, struct opts *o)
{
	o->rest = xcalloc((size_t)argc + 1, sizeof(char *));
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];
		const char **slot = NULL;

		if (!strcmp(a, "--bot"))
			slot = &o->bot;
		else if (!strcmp(a, "--listen"))
			slot = &o->listen;
		else if (!strcmp(a, "--db"))
			slot = &o->db;
		else if (!strcmp(a, "--lang"))
			slot = &o->lang;
		else if (!strcmp(a, "--now"))
			slot = &o->now;
		else if (!strcmp(a, "--access-log")) {
			o->access_log = 1;
			continue;
		} else if (!strcmp(a, "--threads")) {
			char *end;
			long n;

			if (i + 1 == argc || (n = strtol(argv[i + 1], &end, 10)) < 1 || n > 256 || *end) {
				fprintf(stderr, "loket: --threads needs a number from 1 to 256\n");
				return -1;
			}
			o->threads = (unsigned)n;
			i++;
			continue;
		} else if (a[0] == '-' && a[1] == '-') {
			fprintf(stderr, "loket: unknown option '%s'\n", a);
			return -1;
		} else {
			o->rest[o->n_rest++] = argv[i];
			continue;
		}
		if (i + 1 == argc) {
			fprintf(stderr, "loket: option '%s' needs a value\n", a);
			return -1;
		}
		*slot = argv[++i];
	}
	return 0;
}

static int fail(const struct lk_err *err)
{
	fprintf(stderr, "loket: %s\n", err->msg[0] ? err->msg : lk_err_str(err->code));
	return 1;
}

/* Everything a running bot needs, opened in order and closed in reverse. */
struct runtime {
	struct bot *bot;
	struct store *st;
	struct kb_live *kb;
	struct llm_client *chat;   /* NULL without `llm:` */
	struct llm_client *embed;  /* NULL without `embeddings:` */
	struct dialog *dialog;     /* the bot's guided flows (maybe none) */
	struct conv_flows flow_ops;
	struct conv_engine *engine;
	struct channels *channels; /* WhatsApp / Telegram (serve only) */
	struct handoff *handoff;   /* human handoff (serve only; NULL without `handoff:`) */
};

/* kb_vectors_sync's callback: one blocking embeddings request. */
static int embed_batch(void *ud, const char *const *texts, size_t n, float **vecs, size_t *dim,
		       struct lk_err *err)
{
	struct llm_error lerr;

	return llm_embed(ud, texts, n, vecs, dim, &lerr, err);
}

/* Starts the model clients the bot configures and says what it found. A
 * backend that does not answer is not fatal: answers stay extractive until
 * it does. */
static int open_models(struct runtime *rt, int quiet, struct lk_err *err)
{
	const struct llm_config *lc = bot_llm(rt->bot), *ec = bot_embeddings(rt->bot);
	char line[512];
	int rc;

	if (lc) {
		if ((rc = llm_client_new(&rt->chat, lc, err)))
			return rc;
		rc = llm_probe(rt->chat, line, sizeof(line));
		if (!quiet)
			fprintf(stderr, "loket: llm: %s%s\n", line,
				rc ? "; answers stay extractive until it does" : "");
	}
	if (ec) {
		size_t computed = 0;
		struct lk_err serr = {0};

		if ((rc = llm_client_new(&rt->embed, ec, err)))
			return rc;
		rc = llm_probe(rt->embed, line, sizeof(line));
		if (!quiet)
			fprintf(stderr, "loket: embeddings: %s\n", line);
		rc = kb_vectors_sync(rt->st, bot_id(rt->bot), ec->model, embed_batch, rt->embed,
				     &computed, &serr);
		if (rc)
			fprintf(stderr, "loket: embeddings: vectors not computed (%s); ranking by words only\n",
				serr.msg);
		else if (!quiet)
			fprintf(stderr, "loket: embeddings: %zu new vector(s) computed\n", computed);
		if ((rc = kb_live_use_vectors(rt->kb, ec->model, err)))
			return rc;
	}
	conv_engine_use_llm(rt->engine, rt->chat, rt->embed);
	return 0;
}

/* Loads the flows (trained on their examples and the knowledge base) and
 * seeds the built-in backends' demo data. */
static int open_flows(struct runtime *rt, struct lk_err *err)
{
	struct kb_snap *snap = kb_live_acquire(rt->kb);
	struct buf data;
	int rc;

	rc = dialog_new(&rt->dialog, rt->bot, kb_snap_index(snap), err);
	kb_snap_release(snap);
	if (rc || !dialog_flow_count(rt->dialog))
		return rc;
	buf_init(&data, 4096);
	buf_addf(&data, "%s/data", bot_dir(rt->bot));
	rc = integ_seed(rt->st, bot_id(rt->bot), data.ptr, err);
	buf_release(&data);
	if (rc)
		return rc;
	dialog_plug(rt->dialog, &rt->flow_ops);
	conv_engine_use_flows(rt->engine, &rt->flow_ops);
	return 0;
}

static void runtime_close(struct runtime *rt)
{
	/* the clients first: their last answers still use engine, index and
	 * store; embeddings before chat, as a ranked question may still ask the
	 * model */
	handoff_free(rt->handoff);   /* its thread may still tell citizens something */
	channels_free(rt->channels); /* finishes queued webhook events */
	llm_client_free(rt->embed);
	conv_engine_drain(rt->engine);
	llm_client_free(rt->chat);
	conv_engine_free(rt->engine);
	dialog_free(rt->dialog);
	kb_live_free(rt->kb);
	store_close(rt->st);
	bot_free(rt->bot);
	memset(rt, 0, sizeof(*rt));
}

static int runtime_open(struct runtime *rt, const struct opts *o, const char *default_db,
			int watch, int quiet, struct lk_err *err)
{
	struct buf kbdir;
	size_t count = 0;
	int rc;

	memset(rt, 0, sizeof(*rt));
	if (!o->bot)
		return lk_err_set(err, LK_EINVAL, "--bot DIR is required (try --bot bots/gemeente-demo)");
	buf_init(&kbdir, 4096);
	buf_addf(&kbdir, "%s/kb", o->bot);
	if ((rc = bot_load(&rt->bot, o->bot, err)) ||
	    (rc = store_open(&rt->st, o->db ? o->db : default_db, err)) ||
	    (rc = kb_live_import_dir(rt->st, bot_id(rt->bot), kbdir.ptr, &count, err)) ||
	    (rc = kb_live_open(&rt->kb, rt->st, bot_id(rt->bot), bot_synonyms_path(rt->bot), err)) ||
	    (rc = conv_engine_new(&rt->engine, rt->bot, rt->st, rt->kb, err)) ||
	    (rc = open_flows(rt, err)) ||
	    (rc = open_models(rt, quiet, err)) ||
	    (watch && (rc = kb_live_watch(rt->kb, KB_WATCH_MS, err))))
		runtime_close(rt);
	buf_release(&kbdir);
	return rc;
}

/* Every open event stream is a socket: allow as many as the system lets
 * this process have. */
static void raise_file_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

static int cmd_serve(struct opts *o)
{
	struct http_server_opts hopts = {o->listen ? o->listen : "127.0.0.1:8080", o->threads,
					 o->access_log, NULL, 0, 0};
	struct http_server *srv = NULL;
	struct lk_err err = {0};
	struct runtime rt;
	struct api_ctx ctx;
	sigset_t sigs;
	int sig;

	/* Block the stop signals before any thread starts, then wait for one. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);
	/* Large blocks (argon2's 19 MiB per login) go back to the system when
	 * freed; glibc would otherwise raise its mmap threshold after the first
	 * one and keep up to one such block per thread arena. */
	mallopt(M_MMAP_THRESHOLD, 1 << 20);
	if (runtime_open(&rt, o, "sqlite:loket.db", 1, 0, &err))
		return fail(&err);
	if (channels_new(&rt.channels, rt.bot, rt.st, rt.engine, &err) ||
	    (bot_handoff(rt.bot) && handoff_new(&rt.handoff, rt.bot, rt.st, rt.engine, &err))) {
		runtime_close(&rt);
		return fail(&err);
	}
	conv_engine_on_append(rt.engine, channels_push, rt.channels);
	ctx = (struct api_ctx){rt.engine, rt.st, rt.kb, rt.bot, rt.chat, rt.embed, rt.channels,
			       rt.handoff};
	raise_file_limit();
	hopts.allowed_origins = bot_allowed_origins(rt.bot);
	if (bot_handoff(rt.bot)) {
		/* an agent whose console vanished is noticed at the second ping */
		int t = handoff_agent_timeout_s(bot_handoff(rt.bot)) / 2;

		hopts.ping_s = t < 1 ? 1 : t > 15 ? 15 : (unsigned)t;
	}
	if (http_server_start(&srv, &hopts, api_all_routes(), &ctx, &err)) {
		runtime_close(&rt);
		return fail(&err);
	}
	{
		struct kb_snap *snap = kb_live_acquire(rt.kb);

		fprintf(stderr, "loket: bot '%s' with %zu knowledge-base entries\n", bot_id(rt.bot),
			kb_index_count(kb_snap_index(snap)));
		kb_snap_release(snap);
	}
	printf("Loket is running: http://%s/\n", hopts.listen);
	fflush(stdout);
	sigwait(&sigs, &sig);
	fprintf(stderr, "loket: stopping\n");
	http_server_stop(srv);
	runtime_close(&rt);
	return 0;
}

/* Prints bot messages for the terminal; quick replies numbered from 1. */
static void chat_print(json_t *msgs, json_t **choices)
{
	size_t i, j;
	json_t *m, *x;

	json_decref(*choices);
	*choices = json_array();
	json_array_foreach(msgs, i, m) {
		printf("\nLoket: %s\n", json_string_value(json_object_get(m, "text")));
		json_array_foreach(json_object_get(m, "sources"), j, x)
			printf("  Bron / source: %s - %s\n", json_string_value(json_object_get(x, "title")),
			       json_string_value(json_object_get(x, "url")) ? json_string_value(json_object_get(x, "url")) : "");
		json_array_foreach(json_object_get(m, "quick_replies"), j, x) {
			json_array_append(*choices, x);
			printf("  [%zu] %s\n", json_array_size(*choices),
			       json_string_value(json_object_get(x, "label")));
		}
	}
	printf("\n> ");
	fflush(stdout);
}

static int cmd_chat(struct opts *o)
{
	struct lk_err err = {0};
	struct runtime rt;
	json_t *out = NULL, *choices = NULL;
	char id[STORE_ID_LEN + 1], token[128];
	char line[CONV_TEXT_MAX + 2];

	if (runtime_open(&rt, o, "sqlite::memory:", 0, 1, &err))
		return fail(&err);
	if (conv_create(rt.engine, o->lang, "cli", &out, &err)) {
		runtime_close(&rt);
		return fail(&err);
	}
	snprintf(id, sizeof(id), "%s", json_string_value(json_object_get(out, "id")));
	snprintf(token, sizeof(token), "%s", json_string_value(json_object_get(out, "token")));
	chat_print(json_object_get(out, "messages"), &choices);
	json_decref(out);
	while (fgets(line, sizeof(line), stdin)) {
		const char *action = NULL;
		char *end;
		long pick;

		line[strcspn(line, "\r\n")] = '\0';
		if (!line[0])
			continue;
		if (!strcmp(line, "/quit") || !strcmp(line, "/stop"))
			break;
		pick = strtol(line, &end, 10);
		if (!*end && pick >= 1 && (size_t)pick <= json_array_size(choices))
			action = json_string_value(json_object_get(json_array_get(choices, (size_t)pick - 1), "payload"));
		if (conv_post(rt.engine, id, token, action ? NULL : line, action, &out, &err)) {
			printf("(%s)\n> ", err.msg);
			fflush(stdout);
			continue;
		}
		chat_print(json_object_get(out, "messages"), &choices);
		json_decref(out);
	}
	printf("\n");
	json_decref(choices);
	runtime_close(&rt);
	return 0;
}

static int cmd_kb(struct opts *o)
{
	struct lk_err err = {0};
	struct bot *bot = NULL;
	struct store *st = NULL;
	size_t count = 0;
	int rc;

	if (o->n_rest < 2 || strcmp(o->rest[0], "import")) {
		fprintf(stderr, "usage: loket kb import --bot DIR [--db URL] FILE...\n");
		return 2;
	}
	if (!o->bot) {
		fprintf(stderr, "loket: --bot DIR is required\n");
		return 2;
	}
	rc = bot_load(&bot, o->bot, &err);
	if (!rc)
		rc = store_open(&st, o->db ? o->db : "sqlite:loket.db", &err);
	if (!rc)
		rc = kb_live_import_files(st, bot_id(bot), (const char *const *)o->rest + 1,
					  (size_t)o->n_rest - 1, &count, &err);
	if (!rc)
		printf("imported %zu entries from %d file(s) into bot '%s'\n", count, o->n_rest - 1,
		       bot_id(bot));
	if (!rc && bot_embeddings(bot)) {
		struct llm_client *embed = NULL;
		size_t computed = 0;

		rc = llm_client_new(&embed, bot_embeddings(bot), &err);
		if (!rc)
			rc = kb_vectors_sync(st, bot_id(bot), bot_embeddings(bot)->model, embed_batch,
					     embed, &computed, &err);
		if (!rc)
			printf("computed %zu embedding vector(s)\n", computed);
		llm_client_free(embed);
	}
	store_close(st);
	bot_free(bot);
	return rc ? fail(&err) : 0;
}

static int cmd_eval(struct opts *o)
{
	struct kb_eval_result res;
	struct lk_err err = {0};

	if (o->n_rest != 3 || strcmp(o->rest[0], "retrieval")) {
		fprintf(stderr, "usage: loket eval retrieval KB.jsonl QUERIES.jsonl\n");
		return 2;
	}
	if (kb_eval_retrieval(o->rest[1], o->rest[2], &res, &err))
		return fail(&err);
	kb_eval_print(&res, stdout);
	return 0;
}

/* Validates a bot without serving it: config, catalogues, every KB file,
 * synonyms, and an index build. */
static int cmd_check(struct opts *o)
{
	struct lk_err err = {0};
	struct runtime rt;

	if (runtime_open(&rt, o, "sqlite::memory:", 0, 1, &err))
		return fail(&err);
	{
		struct kb_snap *snap = kb_live_acquire(rt.kb);

		printf("bot '%s' is valid: %zu knowledge-base entries, %zu flows\n", bot_id(rt.bot),
		       kb_index_count(kb_snap_index(snap)), dialog_flow_count(rt.dialog));
		kb_snap_release(snap);
	}
	runtime_close(&rt);
	return 0;
}

/* convtest's runtime callbacks: the runtime as `loket chat` opens it, on
 * the script's database. */
struct test_rt {
	struct opts o;
	struct runtime rt;
};

static int test_open(void *ud, const char *db, struct conv_engine **engine, struct lk_err *err)
{
	struct test_rt *t = ud;
	int rc;

	t->o.db = db;
	rc = runtime_open(&t->rt, &t->o, db, 0, 1, err);
	*engine = rc ? NULL : t->rt.engine;
	return rc;
}

static void test_close(void *ud)
{
	runtime_close(&((struct test_rt *)ud)->rt);
}

/* Runs conversation scripts (src/dialog/convtest.h). */
static int cmd_test(struct opts *o)
{
	struct test_rt t = {.o = *o};
	struct convtest_opts co = {{&t, test_open, test_close}, 0, NULL, stdout,
				   getenv("LOKET_TEST_TRACE") != NULL};
	struct convtest_summary sum;
	struct lk_err err = {0};

	if (!o->bot || !o->n_rest) {
		fprintf(stderr, "usage: loket test --bot DIR [--now 2026-11-24T09:00:00+01:00] FILE...\n");
		return 2;
	}
	if (convtest_parse_time(o->now ? o->now : "2026-11-24T09:00:00+01:00", &co.now, &err))
		return fail(&err);
	if (convtest_run(&co, (const char *const *)o->rest, (size_t)o->n_rest, &sum, &err))
		return fail(&err);
	return sum.failed ? 1 : 0;
}

static int cmd_help(struct opts *o)
{
	return usage(stdout), 0;
}

static const struct command {
	const char *name;
	int (*fn)(struct opts *o);
	const char *help;
} commands[] = {
	{"serve", cmd_serve, "serve --bot DIR [--listen 127.0.0.1:8080] [--db sqlite:PATH] [--threads N] [--access-log]"},
	{"chat", cmd_chat, "chat --bot DIR [--lang nl|en] [--db sqlite:PATH]   talk to the bot in the terminal"},
	{"kb", cmd_kb, "kb import --bot DIR [--db sqlite:PATH] FILE...   add or replace knowledge-base entries"},
	{"eval", cmd_eval, "eval retrieval KB.jsonl QUERIES.jsonl   hit@1, hit@3 and mrr@10"},
	{"check", cmd_check, "check --bot DIR   validate a bot without serving it"},
	{"test", cmd_test, "test --bot DIR [--now 2026-11-24T09:00:00+01:00] FILE...   run conversation scripts"},
	{"help", cmd_help, "help"},
	{NULL, NULL, NULL},
};

static int usage(FILE *f)
{
	fprintf(f, "Loket: a conversational assistant for government.\n\nUsage:\n");
	for (const struct command *c = commands; c->name; c++)
		fprintf(f, "  loket %s\n", c->help);
	for (const char *const *h = agent_cli_help; *h; h++)
		fprintf(f, "  loket %s\n", *h);
	return 2;
}

int main(int argc, char **argv)
{
	struct opts o;
	int rc;

	if (argc < 2)
		return usage(stderr);
	if (!strcmp(argv[1], "agent"))
		return agent_cli_main(argc - 1, argv + 1);
	memset(&o, 0, sizeof(o));
	for (const struct command *c = commands; c->name; c++) {
		if (strcmp(c->name, argv[1]))
			continue;
		if (parse_opts(argc - 2, argv + 2, &o)) {
			free(o.rest);
			return 2;
		}
		rc = c->fn(&o);
		free(o.rest);
		return rc;
	}
	fprintf(stderr, "loket: unknown command '%s'\n", argv[1]);
	return usage(stderr);
}
