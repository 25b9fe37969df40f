/* conv_answer.c - one answer written with a language model (and ranked with
 * embeddings when configured), without any thread waiting for it.
 *
 *   question --(embeddings: embed the question, hybrid-rank)--> passages
 *            --(chat model: grounded prompt, streamed)--> draft
 *            --(llm_cite: citations and grounding checked)--> answer
 *
 * The network steps run as callbacks on the llm_client thread, which must
 * stay free to pass on other streams' tokens; everything heavier (hybrid
 * ranking, the check, the database write) is handed to the engine's worker
 * pool (core/workq). Whatever goes
 * wrong (model down, slow, circuit open, an answer that fails the check)
 * ends in the extractive reply computed when the message arrived, within
 * the time budget; each such fallback is counted by its reason. Tokens go
 * out as "token" events while they arrive; the final message is stored and
 * sent once.
 */
#include "conv/conv_int.h"

#include "core/buf.h"
#include "core/mem.h"
#include "core/workq.h"
#include "kb/kb_vectors.h"
#include "llm/llm_cite.h"
#include "llm/llm_client.h"
#include "llm/llm_prompt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_PASSAGES 8
#define PASSAGE_TEXT_MAX 2400
#define TOKEN_EVENT_MAX 2048

struct answer_job {
	struct conv_engine *e;
	char conv_id[STORE_ID_LEN + 1];
	char lang[8];
	int64_t bot_seq;
	char *question;
	struct kb_snap *snap;
	struct kb_result res;
	json_t *fallback;          /* extractive messages */
	json_t *history;
	size_t docs[MAX_PASSAGES]; /* passages given to the model */
	char *texts[MAX_PASSAGES]; /* what the check compares with: title and text */
	size_t n_docs;
	uint64_t t_start, deadline;
	int first_token_seen;
	conv_done_fn done;
	void *ud;
	/* what a callback leaves for the worker that continues */
	int rc;
	struct llm_error lerr;
	char *content;             /* the model's answer */
	float *qvec;               /* the question's embedding */
	size_t dim;
};

static void job_free(struct answer_job *j)
{
	kb_snap_release(j->snap);
	json_decref(j->fallback);
	json_decref(j->history);
	for (size_t i = 0; i < j->n_docs; i++)
		free(j->texts[i]);
	free(j->question);
	free(j->content);
	free(j->qvec);
	free(j);
}

static const struct kb_index *job_index(const struct answer_job *j)
{
	return kb_snap_index(j->snap);
}

static struct reply_ctx job_reply_ctx(const struct answer_job *j)
{
	return (struct reply_ctx){j->e->bot, job_index(j), j->lang, j->bot_seq};
}

/* Stores and sends msgs (taken over), tells the caller, frees the job. */
static void job_finish(struct answer_job *j, json_t *msgs)
{
	struct conv_engine *e = j->e;
	struct lk_err err = {0};
	json_t *stored = NULL, *out = NULL;
	int rc;

	rc = conv_store_answer(e, j->conv_id, j->bot_seq, msgs, &stored, &err);
	if (!rc)
		out = json_pack("{s:o, s:{s:s, s:I}}", "messages", stored, "state", "lang", j->lang,
				"turns", (json_int_t)(j->bot_seq - 1 + (int64_t)json_array_size(msgs)));
	json_decref(msgs);
	j->done(j->ud, rc, out, rc ? &err : NULL);
	job_free(j);
}

static int is_answer(const json_t *msgs)
{
	return !strcmp(json_string_value(json_object_get(json_array_get(msgs, 0), "kind")) ?: "",
		       "answer");
}

/* The extractive reply; reason counted by the caller. */
static void finish_extractive(struct answer_job *j)
{
	json_t *msgs = j->fallback;

	j->fallback = NULL;
	if (is_answer(msgs))
		atomic_fetch_add(&j->e->answers, 1);
	job_finish(j, msgs);
}

static void fallback_llm(struct answer_job *j, const struct llm_error *lerr)
{
	unsigned kind = lerr && (unsigned)lerr->kind < 16 ? (unsigned)lerr->kind : LLM_ERR_SERVER;

	atomic_fetch_add(&j->e->fallback_llm[kind], 1);
	fprintf(stderr, "loket: llm: extractive answer instead (%s: %s)\n",
		llm_error_kind_name((enum llm_error_kind)kind), lerr ? lerr->message : "");
	finish_extractive(j);
}

static enum conv_fallback_check check_reason(const struct llm_cite *c)
{
	static const struct {
		const char *verdict;
		enum conv_fallback_check check;
	} table[] = {
		{"no_answer", CONV_CHECK_NO_ANSWER},       {"no_citation", CONV_CHECK_NO_CITATION},
		{"invalid_citation", CONV_CHECK_INVALID_CITATION},
		{"unsupported", CONV_CHECK_UNSUPPORTED},   {"foreign_fact", CONV_CHECK_FOREIGN_FACT},
	};
	const char *v = llm_cite_verdict(c);

	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		if (!strcmp(table[i].verdict, v))
			return table[i].check;
	return CONV_CHECK_EMPTY;
}

/* --- the model's answer --- */

static void on_token(void *ud, const char *text, size_t len)
{
	struct answer_job *j = ud;
	json_t *ev;
	char *data;

	if (!j->first_token_seen) {
		uint64_t ms = llm_now_ms() - j->t_start;

		j->first_token_seen = 1;
		atomic_fetch_add(&j->e->first_token_ms_sum, ms);
		atomic_fetch_add(&j->e->first_token_n, 1);
	}
	if (len > TOKEN_EVENT_MAX)
		len = TOKEN_EVENT_MAX;
	ev = json_pack("{s:I, s:s%}", "seq", (json_int_t)j->bot_seq, "text", text, len);
	data = ev ? json_dumps(ev, JSON_COMPACT) : NULL;
	if (data)
		conv_events_publish(j->e->events, j->conv_id, "token", 0, data);
	free(data);
	json_decref(ev);
}

/* On a worker: check the model's answer and finish. */
static void check_and_finish(void *ud)
{
	struct answer_job *j = ud;
	const char *passages[MAX_PASSAGES];
	unsigned numbers[MAX_PASSAGES];
	size_t docs[MAX_PASSAGES], n = 0;
	struct reply_ctx rctx;
	struct llm_cite cite;
	json_t *msgs;

	if (j->rc) {
		fallback_llm(j, &j->lerr);
		return;
	}
	for (size_t i = 0; i < j->n_docs; i++)
		passages[i] = j->texts[i];
	llm_cite_check(j->content, passages, j->n_docs, &cite);
	if (!cite.ok) {
		atomic_fetch_add(&j->e->fallback_check[check_reason(&cite)], 1);
		fprintf(stderr, "loket: llm: answer refused by the check (%s: %s)\n",
			llm_cite_verdict(&cite), cite.reason);
		finish_extractive(j);
		return;
	}
	for (size_t i = 0; i < j->n_docs; i++) {
		if (!cite.cited[i])
			continue;
		docs[n] = j->docs[i];
		numbers[n] = (unsigned)(i + 1);
		n++;
	}
	rctx = job_reply_ctx(j);
	msgs = json_array();
	{
		struct buf text;

		buf_init(&text, LLM_CONTENT_MAX);
		buf_adds(&text, j->content);
		buf_rtrim(&text);
		reply_generated(&rctx, text.ptr, docs, numbers, n, msgs);
		buf_release(&text);
	}
	atomic_fetch_add(&j->e->answers, 1);
	atomic_fetch_add(&j->e->generated, 1);
	job_finish(j, msgs);
}

/* On the client thread: keep what arrived, continue on a worker. */
static void on_model_done(void *ud, int rc, const struct llm_completion *res,
			  const struct llm_error *lerr)
{
	struct answer_job *j = ud;

	j->rc = rc;
	if (lerr)
		j->lerr = *lerr;
	j->content = xstrndup(res && res->content.ptr ? res->content.ptr : "",
			      res ? res->content.len : 0);
	workq_push(j->e->work, check_and_finish, j);
}

static const char *entry_title(const struct kb_entry *e)
{
	return e->question && *e->question ? e->question : e->title ? e->title : "";
}

/* What the check compares the answer with: the passage's title (the model
 * sees it too) and its text as the model got it. */
static char *passage_text(const struct kb_entry *e)
{
	struct buf b;

	buf_init(&b, PASSAGE_TEXT_MAX + 1024);
	buf_addf(&b, "%s\n", entry_title(e));
	buf_add(&b, e->answer, strlen(e->answer) > PASSAGE_TEXT_MAX ? PASSAGE_TEXT_MAX
								     : strlen(e->answer));
	return buf_detach(&b, NULL);
}

static json_t *system_prompt(const struct answer_job *j)
{
	struct buf b;
	json_t *s;

	buf_init(&b, 16384);
	bot_message(j->e->bot, j->lang, "llm_system", &b);
	s = json_string(b.ptr);
	buf_release(&b);
	return s;
}

static void ask_model(struct answer_job *j)
{
	const struct llm_config *cfg = llm_client_config(j->e->chat);
	struct llm_passage passages[MAX_PASSAGES];
	struct llm_turn turns[64];
	struct llm_chat_cb cb = {on_token, on_model_done, j};
	struct llm_error lerr;
	struct lk_err err = {0};
	size_t n_turns = 0, i;
	uint64_t now = llm_now_ms();
	json_t *sys, *msgs, *t, *body;
	unsigned want = cfg->passages ? cfg->passages : LLM_DEFAULT_PASSAGES;

	if (want > MAX_PASSAGES)
		want = MAX_PASSAGES;
	for (i = 0; i < j->res.n && j->n_docs < want; i++) {
		const struct kb_entry *e = kb_index_entry(job_index(j), j->res.hits[i].doc);

		if (!e)
			continue;
		if (llm_prompt_injection(e->answer) || llm_prompt_injection(entry_title(e))) {
			fprintf(stderr, "loket: llm: knowledge-base entry '%s' addresses a language model; "
					"not given to the model\n", e->id);
			continue;
		}
		j->docs[j->n_docs] = j->res.hits[i].doc;
		j->texts[j->n_docs] = passage_text(e);
		passages[j->n_docs] = (struct llm_passage){entry_title(e), e->answer};
		j->n_docs++;
	}
	if (!j->n_docs) {
		finish_extractive(j);
		return;
	}
	json_array_foreach(j->history, i, t) {
		if (n_turns == sizeof(turns) / sizeof(turns[0]))
			break;
		turns[n_turns++] = (struct llm_turn){json_string_value(json_object_get(t, "role")),
						     json_string_value(json_object_get(t, "text"))};
	}
	sys = system_prompt(j);
	msgs = llm_prompt_rag(json_string_value(sys), turns, n_turns, passages, j->n_docs,
			      j->question);
	json_decref(sys);
	body = json_pack("{s:o}", "messages", msgs);
	if (now >= j->deadline) {
		llm_error_set(&lerr, LLM_ERR_TIMEOUT, "no time left for the model");
		json_decref(body);
		fallback_llm(j, &lerr);
		return;
	}
	if (llm_chat_start(j->e->chat, body, 1, (unsigned)(j->deadline - now), &cb, &lerr, &err))
		fallback_llm(j, &lerr);
}

/* After ranking: ask the model when the passages are relevant enough,
 * otherwise give the extractive reply (which says "I don't know" below the
 * suggest threshold: the model's general knowledge is never asked). */
static void after_ranking(struct answer_job *j)
{
	if (j->e->chat && j->res.n && j->res.confidence >= bot_suggest_threshold(j->e->bot)) {
		ask_model(j);
		return;
	}
	finish_extractive(j);
}

/* --- embeddings --- */

/* On a worker: re-rank with the question's vector, then go on. */
static void rank_hybrid(void *ud)
{
	struct answer_job *j = ud;
	const struct kb_vectors *kv = kb_snap_vectors(j->snap);
	const struct llm_config *cfg = llm_client_config(j->e->embed);
	const float *vec = j->qvec;
	size_t dim = j->dim;

	if (j->rc) {
		unsigned kind = (unsigned)j->lerr.kind < 16 ? (unsigned)j->lerr.kind : LLM_ERR_SERVER;

		atomic_fetch_add(&j->e->fallback_llm[kind], 1);
		fprintf(stderr, "loket: embeddings: ranking without vectors (%s: %s)\n",
			llm_error_kind_name(j->lerr.kind), j->lerr.message);
	} else if (kv && kb_vectors_count(kv)) {
		struct kb_result hybrid;
		struct reply_ctx rctx = job_reply_ctx(j);
		json_t *msgs = json_array();

		kb_vectors_hybrid(kv, job_index(j), vec, dim, j->lang, &j->res, cfg->min_similarity,
				  &hybrid);
		j->res = hybrid;
		if (reply_from_result(&rctx, &j->res, j->question, msgs) == 0) {
			json_decref(j->fallback);
			j->fallback = msgs;
		} else {
			json_decref(msgs);
		}
	}
	after_ranking(j);
}

/* On the client thread: keep the vector, continue on a worker. */
static void on_embedded(void *ud, int rc, const float *vec, size_t dim,
			const struct llm_error *lerr)
{
	struct answer_job *j = ud;

	j->rc = rc;
	if (lerr)
		j->lerr = *lerr;
	if (!rc && vec && dim) {
		j->qvec = xmalloc(dim * sizeof(float));
		memcpy(j->qvec, vec, dim * sizeof(float));
		j->dim = dim;
	}
	workq_push(j->e->work, rank_hybrid, j);
}

void conv_answer_start(struct conv_engine *e, struct answer_req *req)
{
	struct answer_job *j = xcalloc(1, sizeof(*j));
	const struct llm_config *cfg = e->chat ? llm_client_config(e->chat)
					       : llm_client_config(e->embed);
	struct llm_error lerr;
	struct lk_err err = {0};

	j->e = e;
	snprintf(j->conv_id, sizeof(j->conv_id), "%s", req->conv_id);
	snprintf(j->lang, sizeof(j->lang), "%s", req->lang);
	j->bot_seq = req->bot_seq;
	j->question = xstrdup(req->question);
	j->snap = req->snap;
	j->res = req->plan.res;
	j->fallback = req->fallback;
	j->history = req->history;
	j->done = req->done;
	j->ud = req->ud;
	j->t_start = llm_now_ms();
	j->deadline = j->t_start + cfg->timeout_ms;
	if (e->embed) {
		unsigned budget = llm_client_config(e->embed)->timeout_ms;

		if (budget > cfg->timeout_ms / 2 && e->chat)
			budget = cfg->timeout_ms / 2; /* leave the model time to write */
		if (llm_embed_start(e->embed, j->question, budget, on_embedded, j, &lerr, &err) == 0)
			return;
		on_embedded(j, LK_EUNAVAIL, NULL, 0, &lerr);
		return;
	}
	after_ranking(j);
}
