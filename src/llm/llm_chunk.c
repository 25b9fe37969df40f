/* llm_chunk.c - chat completions from streamed chunks or whole bodies, and
 * the embeddings and models answers (see llm_chunk.h). Tool calls are kept
 * as fragments in struct llm_tool_call_acc until llm_completion_finish()
 * turns them into one JSON array. */
#include "llm/llm_chunk.h"

#include "core/mem.h"

#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LLM_COMPLETION_DEFAULT_MAX ((size_t)1 << 20)
#define LLM_EMBED_BODY_MAX         ((size_t)64 << 20)
/* A stream index past this is nonsense, not a call we could hold. */
#define LLM_TOOL_INDEX_MAX 1024

struct llm_tool_call_acc {
	long index; /* the stream's "index"; -1 when none was given */
	char *id;   /* NULL until the server gives one */
	struct buf name;
	struct buf args;
};

/* --- lifecycle --- */

void llm_completion_init(struct llm_completion *c, size_t max_content_bytes)
{
	if (!max_content_bytes)
		max_content_bytes = LLM_COMPLETION_DEFAULT_MAX;
	memset(c, 0, sizeof(*c));
	buf_init(&c->content, max_content_bytes);
	buf_init(&c->reasoning, max_content_bytes);
	c->tool_calls = NULL;
	c->prompt_tokens = -1;
	c->completion_tokens = -1;
	c->acc = NULL;
}

static void llm_tool_call_acc_release(struct llm_tool_call_acc *a)
{
	free(a->id);
	a->id = NULL;
	buf_release(&a->name);
	buf_release(&a->args);
}

void llm_completion_release(struct llm_completion *c)
{
	size_t max = c->content.max;

	buf_release(&c->content);
	buf_release(&c->reasoning);
	json_decref(c->tool_calls);
	for (size_t i = 0; i < c->n_acc; i++)
		llm_tool_call_acc_release(&c->acc[i]);
	free(c->acc);
	llm_completion_init(c, max);
}

/* --- shared helpers --- */

/* Parses data[0..len) as JSON. Caller json_decref()s the result; NULL with
 * *rc and err set on failure. */
static json_t *llm_chunk_load(const char *data, size_t len, size_t max, const char *what, int *rc,
			      struct lk_err *err)
{
	json_error_t jerr;
	json_t *root;

	if (len > max) {
		*rc = lk_err_set(err, LK_ETOOBIG, "%s: %zu bytes, more than %zu", what, len, max);
		return NULL;
	}
	root = json_loadb(data, len, 0, &jerr);
	if (!root) {
		*rc = lk_err_set(err, LK_EPARSE, "%s: malformed JSON at byte %d: %s", what,
				 jerr.position, jerr.text);
		return NULL;
	}
	if (!json_is_object(root)) {
		json_decref(root);
		*rc = lk_err_set(err, LK_EPARSE, "%s: not a JSON object", what);
		return NULL;
	}
	*rc = 0;
	return root;
}

/* LK_EREMOTE with lerr filled when root is an error object in any shape, else 0. */
static int llm_chunk_check_error(const json_t *root, long status, struct llm_error *lerr,
				 struct lk_err *err)
{
	struct llm_error local;
	struct llm_error *e = lerr ? lerr : &local;

	if (!llm_error_from_json(e, root, status))
		return 0;
	return lk_err_set(err, LK_EREMOTE, "LLM server error (%s): %s",
			  llm_error_kind_name(e->kind), e->message);
}

static void llm_chunk_usage_count(long *dst, const json_t *v)
{
	if (json_is_integer(v) && json_integer_value(v) >= 0 && json_integer_value(v) <= LONG_MAX)
		*dst = (long)json_integer_value(v);
}

static void llm_chunk_usage(struct llm_completion *c, const json_t *usage)
{
	if (!json_is_object(usage))
		return;
	llm_chunk_usage_count(&c->prompt_tokens, json_object_get(usage, "prompt_tokens"));
	llm_chunk_usage_count(&c->completion_tokens, json_object_get(usage, "completion_tokens"));
}

static int llm_chunk_finish_reason(struct llm_completion *c, const json_t *v, struct lk_err *err)
{
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return lk_err_set(err, LK_EPARSE, "chat completion: finish_reason is not a string");
	llm_error_copy_text(c->finish_reason, sizeof(c->finish_reason), json_string_value(v),
			    json_string_length(v));
	return 0;
}

/* 0 when v is absent or null; 1 when it is a string (*s, *n set); LK_EPARSE otherwise. */
static int llm_chunk_opt_string(const json_t *v, const char **s, size_t *n, const char *what,
				struct lk_err *err)
{
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return lk_err_set(err, LK_EPARSE, "chat completion: %s is not a string", what);
	*s = json_string_value(v);
	*n = json_string_length(v);
	return 1;
}

static int llm_chunk_add_content(struct llm_completion *c, const json_t *v, llm_delta_fn on_delta,
				 void *ud, struct lk_err *err)
{
	const char *s = NULL;
	size_t n = 0;
	int rc = llm_chunk_opt_string(v, &s, &n, "content", err);

	if (rc <= 0 || !n)
		return rc < 0 ? rc : 0;
	if (buf_add(&c->content, s, n))
		return lk_err_set(err, LK_ETOOBIG, "chat completion: content longer than %zu bytes",
				  c->content.max);
	if (on_delta)
		on_delta(ud, s, n);
	return 0;
}

/* Reasoning is never shown, so past its bound it is dropped, not an error. */
static int llm_chunk_add_reasoning(struct llm_completion *c, const json_t *msg, struct lk_err *err)
{
	const char *s = NULL;
	size_t n = 0;
	const json_t *v = json_object_get(msg, "reasoning_content");
	int rc;

	if (!v || json_is_null(v))
		v = json_object_get(msg, "reasoning"); /* newer vLLM, Ollama /v1 */
	rc = llm_chunk_opt_string(v, &s, &n, "reasoning_content", err);
	if (rc <= 0 || !n)
		return rc < 0 ? rc : 0;
	if (buf_add(&c->reasoning, s, n))
		c->reasoning_truncated = 1;
	return 0;
}

/* --- tool calls --- */

static struct llm_tool_call_acc *llm_chunk_new_call(struct llm_completion *c, long index,
						    struct lk_err *err, int *rc)
{
	struct llm_tool_call_acc *a;

	if (c->n_acc >= LLM_TOOL_CALLS_MAX) {
		*rc = lk_err_set(err, LK_ETOOBIG, "chat completion: more than %d tool calls",
				 LLM_TOOL_CALLS_MAX);
		return NULL;
	}
	c->acc = xreallocarray(c->acc, c->n_acc + 1, sizeof(*c->acc));
	a = &c->acc[c->n_acc++];
	a->index = index;
	a->id = NULL;
	buf_init(&a->name, LLM_TOOL_NAME_MAX);
	buf_init(&a->args, LLM_TOOL_ARGS_MAX);
	return a;
}

static struct llm_tool_call_acc *llm_chunk_find_id(struct llm_completion *c, const char *id)
{
	for (size_t i = c->n_acc; i-- > 0;) {
		if (c->acc[i].id && !strcmp(c->acc[i].id, id))
			return &c->acc[i];
	}
	return NULL;
}

/* The latest call at that stream index (any call when index is -1). */
static struct llm_tool_call_acc *llm_chunk_find_index(struct llm_completion *c, long index)
{
	for (size_t i = c->n_acc; i-- > 0;) {
		if (index < 0 || c->acc[i].index == index)
			return &c->acc[i];
	}
	return NULL;
}

static int llm_chunk_add_args(struct llm_tool_call_acc *a, const json_t *v, struct lk_err *err)
{
	char *text;
	int rc = 0;

	if (!v || json_is_null(v))
		return 0;
	if (json_is_string(v)) {
		if (buf_add(&a->args, json_string_value(v), json_string_length(v)))
			rc = LK_ETOOBIG;
	} else if (json_is_object(v)) {
		/* Ollama's native API sends the arguments as an object. */
		text = json_dumps(v, JSON_COMPACT);
		if (!text || buf_adds(&a->args, text))
			rc = LK_ETOOBIG;
		free(text);
	} else {
		return lk_err_set(
			err, LK_EPARSE,
			"chat completion: tool call arguments are neither text nor an object");
	}
	if (rc)
		return lk_err_set(err, LK_ETOOBIG,
				  "chat completion: tool call arguments longer than %zu bytes",
				  LLM_TOOL_ARGS_MAX);
	return 0;
}

/* Which call a stream fragment continues, or NULL for a new one. */
static struct llm_tool_call_acc *llm_chunk_match_call(struct llm_completion *c, long index,
						      const char *id, const char *name,
						      size_t name_len)
{
	struct llm_tool_call_acc *a = NULL;

	if (id)
		a = llm_chunk_find_id(c, id);
	if (a)
		return a; /* the same id: a name repeated here adds nothing */
	a = llm_chunk_find_index(c, index);
	if (!a)
		return NULL;
	/* Ollama-compatible endpoints reuse index 0 for parallel calls. */
	if (id && a->id)
		return NULL;
	if (name_len && a->name.len) {
		/* Some servers repeat the name before any arguments; any other
		 * second name is a second call. */
		if (a->args.len || a->name.len != name_len || memcmp(a->name.ptr, name, name_len))
			return NULL;
	}
	return a;
}

/* One entry of delta.tool_calls (whole = 0) or of message.tool_calls (whole = 1). */
static int llm_chunk_tool_call(struct llm_completion *c, const json_t *frag, int whole,
			       struct lk_err *err)
{
	const json_t *jindex, *jid, *fn, *jname = NULL, *jargs = NULL;
	const char *id = NULL, *name = NULL;
	size_t id_len = 0, name_len = 0;
	struct llm_tool_call_acc *a;
	long index = -1;
	int rc = 0;

	if (!json_is_object(frag))
		return lk_err_set(err, LK_EPARSE, "chat completion: a tool call is not an object");
	jindex = json_object_get(frag, "index");
	if (json_is_integer(jindex)) {
		if (json_integer_value(jindex) < 0 ||
		    json_integer_value(jindex) > LLM_TOOL_INDEX_MAX)
			return lk_err_set(err, LK_EPARSE, "chat completion: tool call index %lld",
					  (long long)json_integer_value(jindex));
		index = (long)json_integer_value(jindex);
	} else if (jindex && !json_is_null(jindex)) {
		return lk_err_set(err, LK_EPARSE,
				  "chat completion: tool call index is not a number");
	}
	jid = json_object_get(frag, "id");
	rc = llm_chunk_opt_string(jid, &id, &id_len, "tool call id", err);
	if (rc < 0)
		return rc;
	if (!id_len)
		id = NULL;
	else if (id_len > LLM_TOOL_ID_MAX || strlen(id) != id_len)
		return lk_err_set(err, LK_EPARSE,
				  "chat completion: tool call id too long or has NUL");
	fn = json_object_get(frag, "function");
	if (json_is_object(fn)) {
		jname = json_object_get(fn, "name");
		jargs = json_object_get(fn, "arguments");
	} else if (fn && !json_is_null(fn)) {
		return lk_err_set(err, LK_EPARSE,
				  "chat completion: tool call function is not an object");
	}
	rc = llm_chunk_opt_string(jname, &name, &name_len, "tool call name", err);
	if (rc < 0)
		return rc;

	a = whole ? NULL : llm_chunk_match_call(c, index, id, name, name_len);
	if (!a) {
		a = llm_chunk_new_call(c, index, err, &rc);
		if (!a)
			return rc;
	}
	if (id && !a->id)
		a->id = xstrndup(id, id_len);
	if (name_len && !a->name.len && buf_add(&a->name, name, name_len))
		return lk_err_set(err, LK_ETOOBIG,
				  "chat completion: tool name longer than %d bytes",
				  LLM_TOOL_NAME_MAX);
	return llm_chunk_add_args(a, jargs, err);
}

static int llm_chunk_tool_calls(struct llm_completion *c, const json_t *v, int whole,
				struct lk_err *err)
{
	size_t i;
	const json_t *frag;

	if (!v || json_is_null(v))
		return 0;
	if (!json_is_array(v))
		return lk_err_set(err, LK_EPARSE, "chat completion: tool_calls is not an array");
	json_array_foreach(v, i, frag) {
		int rc = llm_chunk_tool_call(c, frag, whole, err);

		if (rc)
			return rc;
	}
	return 0;
}

/* --- streaming --- */

static int llm_chunk_delta(struct llm_completion *c, const json_t *delta, llm_delta_fn on_delta,
			   void *ud, struct lk_err *err)
{
	int rc;

	rc = llm_chunk_add_content(c, json_object_get(delta, "content"), on_delta, ud, err);
	if (!rc)
		rc = llm_chunk_add_reasoning(c, delta, err);
	if (!rc)
		rc = llm_chunk_tool_calls(c, json_object_get(delta, "tool_calls"), 0, err);
	return rc;
}

static int llm_chunk_apply(struct llm_completion *c, const json_t *root, llm_delta_fn on_delta,
			   void *ud, struct lk_err *err)
{
	const json_t *choices = json_object_get(root, "choices");
	const json_t *usage = json_object_get(root, "usage");
	const json_t *choice;
	size_t i;

	if (!json_is_array(choices) && !json_is_object(usage))
		return lk_err_set(err, LK_EPARSE, "chat completion chunk: no choices and no usage");
	if (choices && !json_is_array(choices) && !json_is_null(choices))
		return lk_err_set(err, LK_EPARSE, "chat completion chunk: choices is not an array");
	llm_chunk_usage(c, usage);
	json_array_foreach(choices, i, choice) {
		const json_t *jindex, *delta;
		int rc;

		if (!json_is_object(choice))
			return lk_err_set(err, LK_EPARSE,
					  "chat completion chunk: a choice is not an object");
		jindex = json_object_get(choice, "index");
		if (json_is_integer(jindex) ? json_integer_value(jindex) != 0 : i != 0)
			continue; /* only the first choice (n = 1) is kept */
		delta = json_object_get(choice, "delta");
		if (json_is_object(delta)) {
			rc = llm_chunk_delta(c, delta, on_delta, ud, err);
			if (rc)
				return rc;
		} else if (delta && !json_is_null(delta)) {
			return lk_err_set(err, LK_EPARSE,
					  "chat completion chunk: delta is not an object");
		}
		rc = llm_chunk_finish_reason(c, json_object_get(choice, "finish_reason"), err);
		if (rc)
			return rc;
	}
	return 0;
}

static int llm_chunk_is_space(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n';
}

int llm_completion_feed_chunk(struct llm_completion *c, const char *data, size_t len,
			      llm_delta_fn on_delta, void *ud, struct llm_error *lerr,
			      struct lk_err *err)
{
	json_t *root = NULL;
	int rc = 0;

	if (c->finished)
		return lk_err_set(err, LK_EINVAL, "chat completion: chunk fed after finish");
	c->chunks++;
	if (!data)
		len = 0;
	while (len && llm_chunk_is_space(data[0])) {
		data++;
		len--;
	}
	while (len && llm_chunk_is_space(data[len - 1]))
		len--;
	if (c->done)
		return lk_err_set(err, LK_EPARSE, "chat completion: data after [DONE]");
	if (len == 6 && !memcmp(data, "[DONE]", 6)) {
		c->done = 1;
		return 0;
	}
	root = llm_chunk_load(data, len, LLM_CHUNK_MAX, "chat completion chunk", &rc, err);
	if (!root)
		return rc;
	rc = llm_chunk_check_error(root, 0, lerr, err);
	if (!rc)
		rc = llm_chunk_apply(c, root, on_delta, ud, err);
	json_decref(root);
	return rc;
}

int llm_completion_feed_event(struct llm_completion *c, const char *event, const char *data,
			      size_t len, llm_delta_fn on_delta, void *ud, struct llm_error *lerr,
			      struct lk_err *err)
{
	struct llm_error local;
	struct llm_error *e = lerr ? lerr : &local;
	json_error_t jerr;
	json_t *root;
	int found = 0;

	if (!event || !event[0] || !strcmp(event, "message"))
		return llm_completion_feed_chunk(c, data, len, on_delta, ud, lerr, err);
	if (strcmp(event, "error"))
		return 0;
	if (c->finished)
		return lk_err_set(err, LK_EINVAL, "chat completion: chunk fed after finish");
	c->chunks++;
	root = len <= LLM_CHUNK_MAX ? json_loadb(data, len, 0, &jerr) : NULL;
	if (root)
		found = llm_error_from_json(e, root, 0) || llm_error_from_inner_json(e, root, 0);
	json_decref(root);
	if (!found) {
		llm_error_clear(e);
		e->kind = LLM_ERR_SERVER;
		e->retryable = llm_error_kind_retryable(e->kind);
		if (!llm_error_copy_text(e->message, sizeof(e->message), data, len))
			snprintf(e->message, sizeof(e->message), "error event without text");
	}
	return lk_err_set(err, LK_EREMOTE, "LLM server error (%s): %s",
			  llm_error_kind_name(e->kind), e->message);
}

/* --- whole bodies --- */

static int llm_chunk_message(struct llm_completion *c, const json_t *msg, struct lk_err *err)
{
	int rc;

	if (!json_is_object(msg))
		return lk_err_set(err, LK_EPARSE, "chat completion: message is not an object");
	rc = llm_chunk_add_content(c, json_object_get(msg, "content"), NULL, NULL, err);
	if (!rc)
		rc = llm_chunk_add_reasoning(c, msg, err);
	if (!rc)
		rc = llm_chunk_tool_calls(c, json_object_get(msg, "tool_calls"), 1, err);
	return rc;
}

static int llm_chunk_body(struct llm_completion *c, const json_t *root, struct lk_err *err)
{
	const json_t *choices = json_object_get(root, "choices");
	const json_t *choice = NULL, *ch;
	size_t i;
	int rc;

	if (!choices && json_is_object(json_object_get(root, "message"))) {
		/* Ollama's native /api/chat */
		rc = llm_chunk_message(c, json_object_get(root, "message"), err);
		if (!rc)
			rc = llm_chunk_finish_reason(c, json_object_get(root, "done_reason"), err);
		llm_chunk_usage_count(&c->prompt_tokens,
				      json_object_get(root, "prompt_eval_count"));
		llm_chunk_usage_count(&c->completion_tokens, json_object_get(root, "eval_count"));
		return rc;
	}
	if (!json_is_array(choices) || !json_array_size(choices))
		return lk_err_set(err, LK_EPARSE, "chat completion: no choices");
	json_array_foreach(choices, i, ch) {
		const json_t *jindex = json_object_get(ch, "index");

		if (!json_is_object(ch))
			return lk_err_set(err, LK_EPARSE,
					  "chat completion: a choice is not an object");
		if (json_is_integer(jindex) ? json_integer_value(jindex) == 0 : i == 0) {
			choice = ch;
			break;
		}
	}
	if (!choice)
		choice = json_array_get(choices, 0);
	rc = llm_chunk_message(c, json_object_get(choice, "message"), err);
	if (!rc)
		rc = llm_chunk_finish_reason(c, json_object_get(choice, "finish_reason"), err);
	llm_chunk_usage(c, json_object_get(root, "usage"));
	return rc;
}

int llm_completion_parse_body(struct llm_completion *c, const char *body, size_t len,
			      struct llm_error *lerr, struct lk_err *err)
{
	json_t *root;
	int rc;

	if (c->finished)
		return lk_err_set(err, LK_EINVAL, "chat completion: body parsed after finish");
	root = llm_chunk_load(body ? body : "", body ? len : 0, LLM_CHUNK_MAX, "chat completion",
			      &rc, err);
	if (!root)
		return rc;
	rc = llm_chunk_check_error(root, 0, lerr, err);
	if (!rc)
		rc = llm_chunk_body(c, root, err);
	json_decref(root);
	if (rc)
		return rc;
	c->done = 1;
	return llm_completion_finish(c, err);
}

/* --- finishing --- */

static int llm_chunk_build_call(struct llm_tool_call_acc *a, size_t n, json_t *arr,
				struct lk_err *err)
{
	const char *args = a->args.ptr;
	size_t args_len = a->args.len;
	json_error_t jerr;
	json_t *parsed, *call;
	char idbuf[32];

	if (!a->name.len)
		return lk_err_set(err, LK_EPARSE, "tool call %zu has no function name", n + 1);
	while (args_len && llm_chunk_is_space(*args)) {
		args++;
		args_len--;
	}
	if (!args_len) {
		args = "{}";
		args_len = 2;
	}
	parsed = json_loadb(args, args_len, 0, &jerr);
	if (!json_is_object(parsed)) {
		json_decref(parsed);
		return lk_err_set(err, LK_EPARSE,
				  "tool call '%s': arguments are not a JSON object%s%s",
				  a->name.ptr, parsed ? "" : ": ", parsed ? "" : jerr.text);
	}
	json_decref(parsed);
	snprintf(idbuf, sizeof(idbuf), "call_%zu", n);
	call = json_pack("{s:s, s:s, s:{s:s#, s:s#}}", "id", a->id ? a->id : idbuf, "type",
			 "function", "function", "name", a->name.ptr, (int)a->name.len, "arguments",
			 args, (int)args_len);
	if (!call)
		return lk_err_set(err, LK_EPARSE, "tool call '%s': not valid UTF-8", a->name.ptr);
	json_array_append_new(arr, call);
	return 0;
}

int llm_completion_finish(struct llm_completion *c, struct lk_err *err)
{
	struct lk_err local = { 0 };
	json_t *arr;
	int rc = 0;

	if (c->finished) {
		if (c->finish_rc)
			lk_err_set(err, c->finish_rc, "%s", c->finish_msg);
		return c->finish_rc;
	}
	c->finished = 1;
	if (!c->n_acc)
		return 0;
	arr = json_array();
	for (size_t i = 0; i < c->n_acc && !rc; i++)
		rc = llm_chunk_build_call(&c->acc[i], i, arr, &local);
	if (rc) {
		json_decref(arr);
		c->finish_rc = rc;
		llm_error_copy_text(c->finish_msg, sizeof(c->finish_msg), local.msg,
				    strlen(local.msg));
		return lk_err_set(err, rc, "%s", local.msg);
	}
	c->tool_calls = arr;
	return 0;
}

/* --- embeddings --- */

/* Copies one embedding (a JSON array of numbers) into row[0..dim). */
static int llm_chunk_embedding_row(const json_t *emb, float *row, size_t dim, size_t idx,
				   struct lk_err *err)
{
	const json_t *v;
	size_t j;

	json_array_foreach(emb, j, v) {
		double x;

		if (!json_is_number(v))
			return lk_err_set(err, LK_EPARSE,
					  "embeddings: value %zu of row %zu is not a number", j,
					  idx);
		x = json_number_value(v);
		if (!isfinite(x) || fabs(x) > FLT_MAX)
			return lk_err_set(err, LK_EPARSE,
					  "embeddings: value %zu of row %zu out of range", j, idx);
		if (j < dim)
			row[j] = (float)x;
	}
	return 0;
}

/* The embedding array of rows[i] and the input it answers (*idx), or NULL
 * with err set when the row is malformed. */
static const json_t *llm_chunk_embedding_of(const json_t *row, int objects, size_t i,
					    size_t n_expected, size_t *idx, struct lk_err *err)
{
	const json_t *emb = row, *jindex;
	json_int_t index = (json_int_t)i;

	if (objects) {
		if (!json_is_object(row)) {
			lk_err_set(err, LK_EPARSE, "embeddings: data[%zu] is not an object", i);
			return NULL;
		}
		jindex = json_object_get(row, "index");
		if (json_is_integer(jindex))
			index = json_integer_value(jindex);
		else if (jindex && !json_is_null(jindex))
			index = -1;
		emb = json_object_get(row, "embedding");
	}
	if (index < 0 || (json_int_t)n_expected <= index) {
		lk_err_set(err, LK_EPARSE, "embeddings: data[%zu] has a bad index", i);
		return NULL;
	}
	if (!json_is_array(emb)) {
		lk_err_set(err, LK_EPARSE,
			   "embeddings: data[%zu] embedding is not an array of numbers", i);
		return NULL;
	}
	*idx = (size_t)index;
	return emb;
}

int llm_parse_embeddings(const char *body, size_t len, size_t n_expected, float **vecs, size_t *dim,
			 struct llm_error *lerr, struct lk_err *err)
{
	const json_t *rows, *row, *emb;
	unsigned char *seen = NULL;
	float *out = NULL;
	size_t i, idx, d = 0;
	int objects = 1, rc;
	json_t *root;

	*vecs = NULL;
	*dim = 0;
	if (!n_expected || n_expected > LLM_EMBED_INPUTS_MAX)
		return lk_err_set(err, LK_EINVAL, "embeddings: %zu inputs (1 to %d allowed)",
				  n_expected, LLM_EMBED_INPUTS_MAX);
	root = llm_chunk_load(body ? body : "", body ? len : 0, LLM_EMBED_BODY_MAX, "embeddings",
			      &rc, err);
	if (!root)
		return rc;
	rc = llm_chunk_check_error(root, 0, lerr, err);
	if (rc)
		goto out;
	rows = json_object_get(root, "data");
	if (!json_is_array(rows)) {
		rows = json_object_get(root, "embeddings"); /* Ollama's native /api/embed */
		objects = 0;
	}
	if (!json_is_array(rows)) {
		rc = lk_err_set(err, LK_EPARSE, "embeddings: no data array");
		goto out;
	}
	if (json_array_size(rows) != n_expected) {
		rc = lk_err_set(err, LK_EPARSE, "embeddings: expected %zu, got %zu", n_expected,
				json_array_size(rows));
		goto out;
	}
	/* First the shape (indexes, one dimension), so that nothing is
	 * allocated for a body that cannot be right. */
	seen = xcalloc(n_expected, 1);
	json_array_foreach(rows, i, row) {
		emb = llm_chunk_embedding_of(row, objects, i, n_expected, &idx, err);
		if (!emb) {
			rc = LK_EPARSE;
			goto out;
		}
		if (seen[idx]) {
			rc = lk_err_set(err, LK_EPARSE, "embeddings: index %zu repeated", idx);
			goto out;
		}
		seen[idx] = 1;
		if (!i)
			d = json_array_size(emb);
		if (!d || d > LLM_EMBED_DIM_MAX) {
			rc = lk_err_set(err, LK_EPARSE,
					"embeddings: dimension %zu (1 to %d allowed)", d,
					LLM_EMBED_DIM_MAX);
			goto out;
		}
		if (json_array_size(emb) != d) {
			rc = lk_err_set(err, LK_EPARSE,
					"embeddings: data[%zu] has dimension %zu, not %zu", i,
					json_array_size(emb), d);
			goto out;
		}
	}
	out = xcalloc(n_expected * d, sizeof(*out));
	json_array_foreach(rows, i, row) {
		emb = llm_chunk_embedding_of(row, objects, i, n_expected, &idx, err);
		rc = llm_chunk_embedding_row(emb, out + idx * d, d, idx, err);
		if (rc)
			goto out;
	}
	*vecs = out;
	*dim = d;
	out = NULL;
out:
	free(out);
	free(seen);
	json_decref(root);
	return rc;
}

/* --- models --- */

int llm_parse_models(const char *body, size_t len, json_t **ids, struct llm_error *lerr,
		     struct lk_err *err)
{
	const json_t *list, *item;
	const char *key = "id";
	json_t *root, *arr = NULL;
	size_t i;
	int rc;

	*ids = NULL;
	root = llm_chunk_load(body ? body : "", body ? len : 0, LLM_CHUNK_MAX, "models", &rc, err);
	if (!root)
		return rc;
	rc = llm_chunk_check_error(root, 0, lerr, err);
	if (rc)
		goto out;
	list = json_object_get(root, "data");
	if (!json_is_array(list)) {
		list = json_object_get(root, "models"); /* Ollama's native /api/tags */
		key = "name";
	}
	if (!json_is_array(list)) {
		rc = lk_err_set(err, LK_EPARSE, "models: no data array");
		goto out;
	}
	if (json_array_size(list) > LLM_MODELS_MAX) {
		rc = lk_err_set(err, LK_ETOOBIG, "models: more than %d", LLM_MODELS_MAX);
		goto out;
	}
	arr = json_array();
	json_array_foreach(list, i, item) {
		const json_t *id = json_object_get(item, key);

		if (!json_is_string(id) && !strcmp(key, "name"))
			id = json_object_get(item, "model");
		if (!json_is_object(item) || !json_is_string(id) || !json_string_length(id)) {
			rc = lk_err_set(err, LK_EPARSE, "models: entry %zu has no %s", i, key);
			goto out;
		}
		json_array_append_new(arr,
				      json_stringn(json_string_value(id), json_string_length(id)));
	}
	*ids = arr;
	arr = NULL;
out:
	json_decref(arr);
	json_decref(root);
	return rc;
}
