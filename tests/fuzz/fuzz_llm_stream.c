/* fuzz_llm_stream.c - libFuzzer target for everything Loket reads from an
 * LLM server: the bytes go through the SSE parser (cut in three at places the
 * input picks) into the chat-completion accumulator, which is then finished;
 * the same bytes are also read as a whole chat-completion body, an
 * embeddings answer, a models answer and an HTTP error body. Invariants the
 * client relies on are checked with abort(). Not built by meson:
 * fuzz-sources: src/llm/llm_sse.c src/llm/llm_chunk.c src/llm/llm_error.c src/core/buf.c src/core/err.c src/core/mem.c
 *
 *   sh tests/fuzz/run.sh 60 llm_stream
 */
#include "core/err.h"
#include "llm/llm_chunk.h"
#include "llm/llm_error.h"
#include "llm/llm_sse.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_MAX_CONTENT 4096

struct fuzz_state {
	struct llm_completion c;
	struct llm_error lerr;
	struct lk_err err;
	size_t delta_bytes;
	int failed;
};

static void fuzz_delta(void *ud, const char *text, size_t len)
{
	struct fuzz_state *st = ud;

	if (!len || memchr(text, '\0', len))
		abort();
	st->delta_bytes += len;
}

static int fuzz_event(void *ud, const char *event, const char *data, size_t len)
{
	struct fuzz_state *st = ud;
	int rc;

	if (strlen(event) >= 32 || data[len] != '\0')
		abort();
	rc = llm_completion_feed_event(&st->c, event, data, len, fuzz_delta, st, &st->lerr,
				       &st->err);
	if (rc != 0 && rc != LK_EPARSE && rc != LK_EREMOTE && rc != LK_ETOOBIG)
		abort();
	if (rc == LK_EREMOTE &&
	    (st->lerr.kind <= LLM_ERR_NONE || st->lerr.kind >= LLM_ERR_KIND_COUNT))
		abort();
	/* Keep going after a bad chunk so later chunks are exercised too. */
	st->failed |= rc != 0;
	return 0;
}

static void fuzz_check_text(const char *s, size_t size)
{
	size_t n = strnlen(s, size);

	if (n == size)
		abort();
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch < 0x20 || ch == 0x7f)
			abort();
	}
}

static void fuzz_check_error(const struct llm_error *e)
{
	if (e->kind >= LLM_ERR_KIND_COUNT || e->retryable != llm_error_kind_retryable(e->kind))
		abort();
	fuzz_check_text(e->type, sizeof(e->type));
	fuzz_check_text(e->message, sizeof(e->message));
}

static void fuzz_check_completion(const struct llm_completion *c)
{
	size_t i;
	const json_t *call;

	if (c->content.len > FUZZ_MAX_CONTENT || c->reasoning.len > FUZZ_MAX_CONTENT)
		abort();
	if (!c->tool_calls)
		return;
	if (!json_is_array(c->tool_calls) || json_array_size(c->tool_calls) > LLM_TOOL_CALLS_MAX)
		abort();
	json_array_foreach(c->tool_calls, i, call) {
		const json_t *fn = json_object_get(call, "function");
		const char *args = json_string_value(json_object_get(fn, "arguments"));
		json_error_t jerr;
		json_t *parsed;

		if (!json_string_value(json_object_get(call, "id")) || !args ||
		    !json_string_length(json_object_get(fn, "name")))
			abort();
		parsed = json_loads(args, 0, &jerr);
		if (!json_is_object(parsed))
			abort();
		json_decref(parsed);
	}
}

static void fuzz_stream(const uint8_t *data, size_t size)
{
	struct fuzz_state st;
	struct llm_sse sse;
	size_t cut1 = size ? data[0] % (size + 1) : 0;
	size_t cut2 = size > 1 ? cut1 + (size_t)data[1] * 7 % (size - cut1 + 1) : cut1;
	int rc;

	memset(&st, 0, sizeof(st));
	llm_completion_init(&st.c, FUZZ_MAX_CONTENT);
	llm_sse_init(&sse, 8192);
	rc = llm_sse_feed(&sse, (const char *)data, cut1, fuzz_event, &st, &st.err);
	if (!rc)
		rc = llm_sse_feed(&sse, (const char *)data + cut1, cut2 - cut1, fuzz_event, &st,
				  &st.err);
	if (!rc)
		rc = llm_sse_feed(&sse, (const char *)data + cut2, size - cut2, fuzz_event, &st,
				  &st.err);
	if (rc && rc != LK_ETOOBIG)
		abort();
	(void)llm_sse_finish(&sse);
	llm_sse_release(&sse);
	if (st.delta_bytes > st.c.content.len)
		abort();
	rc = llm_completion_finish(&st.c, &st.err);
	if (rc != 0 && rc != LK_EPARSE)
		abort();
	if (llm_completion_finish(&st.c, NULL) != rc)
		abort();
	fuzz_check_completion(&st.c);
	if (st.lerr.kind != LLM_ERR_NONE)
		fuzz_check_error(&st.lerr);
	llm_completion_release(&st.c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	struct llm_completion c;
	struct llm_error lerr;
	json_t *ids = NULL;
	float *vecs = NULL;
	size_t dim = 0;
	int rc;

	fuzz_stream(data, size);

	llm_completion_init(&c, FUZZ_MAX_CONTENT);
	memset(&lerr, 0, sizeof(lerr));
	rc = llm_completion_parse_body(&c, text, size, &lerr, NULL);
	if (rc == 0)
		fuzz_check_completion(&c);
	else if (rc == LK_EREMOTE)
		fuzz_check_error(&lerr);
	llm_completion_release(&c);

	rc = llm_parse_embeddings(text, size, 1 + size % 3, &vecs, &dim, &lerr, NULL);
	if (rc == 0 && (!vecs || !dim || dim > LLM_EMBED_DIM_MAX))
		abort();
	if (rc != 0 && (vecs || dim))
		abort();
	free(vecs);

	rc = llm_parse_models(text, size, &ids, &lerr, NULL);
	if ((rc == 0) != json_is_array(ids))
		abort();
	json_decref(ids);

	llm_error_from_http(&lerr, 400 + (size ? data[size - 1] % 200 : 0), text, size);
	fuzz_check_error(&lerr);
	if (lerr.kind == LLM_ERR_NONE || !lerr.message[0])
		abort();
	return 0;
}
