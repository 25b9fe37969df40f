/* test_llm_chunk.c - unit tests for chat completions from streamed chunks and
 * whole bodies, and the embeddings and models answers (src/llm/llm_chunk).
 * The fixtures are byte-for-byte what llama-server, vLLM and Ollama's /v1
 * endpoints send; streams go through src/llm/llm_sse as in the client. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/err.h"
#include "llm/llm_chunk.h"
#include "llm/llm_sse.h"

/* --- fixtures --- */

#define LLAMA_TAIL                                                                                \
	",\"created\":1735000000,\"id\":\"chatcmpl-Jo8sfGpfx3DNUCBNhbKlxnWFYwN1R2tW\",\"model\":"  \
	"\"qwen2.5-7b-instruct\",\"system_fingerprint\":\"b4514-a4417ddd\","                     \
	"\"object\":\"chat.completion.chunk\"}"
#define LLAMA_FIRST                                                                               \
	"data: {\"choices\":[{\"finish_reason\":null,\"index\":0,\"delta\":{\"role\":\"assistant\","  \
	"\"content\":null}}]" LLAMA_TAIL "\n\n"
#define LLAMA_TEXT(t)                                                                             \
	"data: {\"choices\":[{\"finish_reason\":null,\"index\":0,\"delta\":{\"content\":\"" t         \
	"\"}}]" LLAMA_TAIL "\n\n"
#define LLAMA_TOOL(frag)                                                                          \
	"data: {\"choices\":[{\"finish_reason\":null,\"index\":0,\"delta\":{\"tool_calls\":[" frag  \
	"]}}]" LLAMA_TAIL "\n\n"
#define LLAMA_LAST(reason)                                                                        \
	"data: {\"choices\":[{\"finish_reason\":\"" reason "\",\"index\":0,\"delta\":{}}]"           \
	",\"created\":1735000000,\"id\":\"chatcmpl-Jo8sfGpfx3DNUCBNhbKlxnWFYwN1R2tW\",\"model\":"  \
	"\"qwen2.5-7b-instruct\",\"system_fingerprint\":\"b4514-a4417ddd\","                     \
	"\"object\":\"chat.completion.chunk\",\"timings\":{\"prompt_n\":25,\"prompt_ms\":120.5,"    \
	"\"predicted_n\":12,\"predicted_ms\":300.1}}\n\n"
#define DONE "data: [DONE]\n\n"

/* llama-server with stream_options.include_usage: the usage chunk has its own usage. */
static const char llama_text_stream[] =
	LLAMA_FIRST
	": ping\n\n"
	LLAMA_TEXT("U kunt een")
	LLAMA_TEXT(" paspoort aanvragen bij de gemeente. Het kost \xe2\x82\xac 84,35.")
	LLAMA_LAST("stop")
	"data: {\"choices\":[],\"created\":1735000000,\"id\":\"chatcmpl-Jo8sfGpfx3DNUCBNhbKlxnWFYwN1R2tW\","
	"\"model\":\"qwen2.5-7b-instruct\",\"system_fingerprint\":\"b4514-a4417ddd\","
	"\"object\":\"chat.completion.chunk\",\"usage\":{\"completion_tokens\":12,\"prompt_tokens\":25,"
	"\"total_tokens\":37}}\n\n"
	DONE;
static const char llama_text[] =
	"U kunt een paspoort aanvragen bij de gemeente. Het kost \xe2\x82\xac 84,35.";

#define VLLM_HEAD                                                                                 \
	"data: {\"id\":\"chatcmpl-3f1c2a9e0b7d4c5e\",\"object\":\"chat.completion.chunk\","        \
	"\"created\":1735000000,\"model\":\"Qwen/Qwen2.5-7B-Instruct\",\"choices\":"

static const char vllm_text_stream[] =
	VLLM_HEAD "[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"},\"logprobs\":null,"
	"\"finish_reason\":null}]}\n\n"
	VLLM_HEAD "[{\"index\":0,\"delta\":{\"content\":\"Hallo\"},\"logprobs\":null,"
	"\"finish_reason\":null}]}\n\n"
	VLLM_HEAD "[{\"index\":0,\"delta\":{\"content\":\"!\"},\"logprobs\":null,"
	"\"finish_reason\":\"length\",\"stop_reason\":null}]}\n\n"
	VLLM_HEAD "[],\"usage\":{\"prompt_tokens\":20,\"total_tokens\":22,\"completion_tokens\":2}}\n\n"
	DONE;

#define OLLAMA_HEAD                                                                               \
	"data: {\"id\":\"chatcmpl-417\",\"object\":\"chat.completion.chunk\",\"created\":1735000000," \
	"\"model\":\"llama3.1:8b\",\"system_fingerprint\":\"fp_ollama\",\"choices\":"

static const char ollama_text_stream[] =
	OLLAMA_HEAD "[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"Goede\"},"
	"\"finish_reason\":null}]}\n\n"
	OLLAMA_HEAD "[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"dag\"},"
	"\"finish_reason\":null}]}\n\n"
	OLLAMA_HEAD "[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"},"
	"\"finish_reason\":\"stop\"}]}\n\n"
	OLLAMA_HEAD "[],\"usage\":{\"prompt_tokens\":31,\"completion_tokens\":3,\"total_tokens\":34}}\n\n"
	DONE;

/* llama-server streams one tool call's arguments in pieces. */
static const char llama_tool_stream[] =
	LLAMA_FIRST
	LLAMA_TOOL("{\"index\":0,\"id\":\"Xq3bVd8RTnA6Tm0fWJ2p8rKcHsLyE1uZ\",\"type\":\"function\","
		   "\"function\":{\"name\":\"zoek_afspraak\",\"arguments\":\"{\\\"\"}}")
	LLAMA_TOOL("{\"index\":0,\"function\":{\"arguments\":\"datum\\\":\\\"\"}}")
	LLAMA_TOOL("{\"index\":0,\"function\":{\"arguments\":\"2025-03-01\\\"}\"}}")
	LLAMA_LAST("tool_calls")
	DONE;

/* vLLM: two calls by index, interleaved; the first fragment has no arguments. */
static const char vllm_parallel_stream[] =
	VLLM_HEAD "[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"},\"logprobs\":null,"
	"\"finish_reason\":null}]}\n\n"
	VLLM_HEAD "[{\"index\":0,\"delta\":{\"tool_calls\":[{\"id\":\"chatcmpl-tool-a1\",\"type\":"
	"\"function\",\"index\":0,\"function\":{\"name\":\"weer\"}}]},\"logprobs\":null,"
	"\"finish_reason\":null}]}\n\n"
	VLLM_HEAD "[{\"index\":0,\"delta\":{\"tool_calls\":[{\"id\":\"chatcmpl-tool-b2\",\"type\":"
	"\"function\",\"index\":1,\"function\":{\"name\":\"tijd\"}}]},\"logprobs\":null,"
	"\"finish_reason\":null}]}\n\n"
	VLLM_HEAD "[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":1,\"function\":{\"arguments\":"
	"\"{\\\"zone\\\": \"}}]},\"logprobs\":null,\"finish_reason\":null}]}\n\n"
	VLLM_HEAD "[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":"
	"\"{\\\"stad\\\": \\\"Utrecht\\\"}\"}}]},\"logprobs\":null,\"finish_reason\":null}]}\n\n"
	VLLM_HEAD "[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":1,\"function\":{\"arguments\":"
	"\"\\\"CET\\\"}\"}}]},\"logprobs\":null,\"finish_reason\":null}]}\n\n"
	VLLM_HEAD "[{\"index\":0,\"delta\":{\"content\":\"\"},\"logprobs\":null,\"finish_reason\":"
	"\"tool_calls\",\"stop_reason\":null}]}\n\n"
	DONE;

/* Ollama-compatible: every call whole, all at index 0, told apart by id. */
static const char ollama_tool_stream[] =
	OLLAMA_HEAD "[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\",\"tool_calls\":"
	"[{\"id\":\"call_k2x1ab7c\",\"index\":0,\"type\":\"function\",\"function\":{\"name\":\"weer\","
	"\"arguments\":\"{\\\"stad\\\":\\\"Utrecht\\\"}\"}}]},\"finish_reason\":null}]}\n\n"
	OLLAMA_HEAD "[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\",\"tool_calls\":"
	"[{\"id\":\"call_m9q4zz0d\",\"index\":0,\"type\":\"function\",\"function\":{\"name\":\"weer\","
	"\"arguments\":\"{\\\"stad\\\":\\\"Delft\\\"}\"}},{\"id\":\"call_p0r7\",\"index\":0,\"type\":"
	"\"function\",\"function\":{\"name\":\"tijd\",\"arguments\":\"{}\"}}]},"
	"\"finish_reason\":null}]}\n\n"
	OLLAMA_HEAD "[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"},"
	"\"finish_reason\":\"tool_calls\"}]}\n\n"
	DONE;

/* llama-server today: an error inside the 200 stream, and no [DONE]. */
static const char llama_error_stream[] =
	LLAMA_FIRST
	LLAMA_TEXT("Een moment")
	"data: {\"error\":{\"code\":500,\"message\":\"Failed to parse tool call arguments as JSON\","
	"\"type\":\"server_error\"}}\n\n";

/* Old llama-server: an "error:" field, and the bare inner object. */
static const char llama_old_error_stream[] =
	LLAMA_FIRST
	"error: {\"code\":500,\"message\":\"the request exceeds the available context size\","
	"\"type\":\"server_error\"}\n\n";

/* --- the client's pipeline: llm_sse into llm_completion_feed_event --- */

struct pipe {
	struct llm_completion c;
	struct llm_error lerr;
	struct lk_err err;
	struct buf deltas; /* every delta, joined by '|' */
	int ndeltas;
};

static void on_delta(void *ud, const char *text, size_t len)
{
	struct pipe *p = ud;

	assert_true(len > 0);
	if (p->ndeltas++)
		buf_addc(&p->deltas, '|');
	buf_add(&p->deltas, text, len);
}

static int on_event(void *ud, const char *event, const char *data, size_t len)
{
	struct pipe *p = ud;

	return llm_completion_feed_event(&p->c, event, data, len, on_delta, p, &p->lerr, &p->err);
}

static void pipe_init(struct pipe *p, size_t max_content)
{
	llm_completion_init(&p->c, max_content);
	memset(&p->lerr, 0, sizeof(p->lerr));
	memset(&p->err, 0, sizeof(p->err));
	buf_init(&p->deltas, 0);
	p->ndeltas = 0;
}

static void pipe_release(struct pipe *p)
{
	llm_completion_release(&p->c);
	buf_release(&p->deltas);
}

/* Feeds wire[0..len) cut in two at `cut`; returns the first non-zero result. */
static int pipe_run(struct pipe *p, const char *wire, size_t len, size_t cut)
{
	struct llm_sse sse;
	int rc;

	llm_sse_init(&sse, 1 << 16);
	rc = llm_sse_feed(&sse, wire, cut, on_event, p, &p->err);
	if (!rc)
		rc = llm_sse_feed(&sse, wire + cut, len - cut, on_event, p, &p->err);
	if (!rc)
		assert_int_equal(llm_sse_finish(&sse), 0);
	llm_sse_release(&sse);
	return rc;
}

static const char *call_field(const json_t *calls, size_t i, const char *key)
{
	const json_t *call = json_array_get(calls, i);

	if (!strcmp(key, "id") || !strcmp(key, "type"))
		return json_string_value(json_object_get(call, key));
	return json_string_value(json_object_get(json_object_get(call, "function"), key));
}

/* --- streams --- */

static void test_llama_text_stream(void **state)
{
	struct pipe p;

	pipe_init(&p, 0);
	assert_int_equal(pipe_run(&p, llama_text_stream, sizeof(llama_text_stream) - 1, 0), 0);
	assert_int_equal(llm_completion_finish(&p.c, &p.err), 0);
	assert_string_equal(p.c.content.ptr, llama_text);
	assert_string_equal(p.deltas.ptr,
			    "U kunt een| paspoort aanvragen bij de gemeente. Het kost \xe2\x82\xac 84,35.");
	assert_string_equal(p.c.finish_reason, "stop");
	assert_int_equal(p.c.prompt_tokens, 25);
	assert_int_equal(p.c.completion_tokens, 12);
	assert_int_equal(p.c.done, 1);
	assert_int_equal(p.c.chunks, 6);
	assert_null(p.c.tool_calls);
	assert_int_equal(p.c.reasoning.len, 0);
	pipe_release(&p);
}

static void test_split_at_every_byte(void **state)
{
	const size_t len = sizeof(llama_tool_stream) - 1;

	for (size_t cut = 0; cut <= sizeof(llama_text_stream) - 1; cut++) {
		struct pipe p;

		pipe_init(&p, 0);
		assert_int_equal(pipe_run(&p, llama_text_stream, sizeof(llama_text_stream) - 1, cut), 0);
		assert_string_equal(p.c.content.ptr, llama_text);
		assert_int_equal(p.ndeltas, 2);
		assert_int_equal(p.c.done, 1);
		assert_int_equal(p.c.completion_tokens, 12);
		pipe_release(&p);
	}
	for (size_t cut = 0; cut <= len; cut++) {
		struct pipe p;

		pipe_init(&p, 0);
		assert_int_equal(pipe_run(&p, llama_tool_stream, len, cut), 0);
		assert_int_equal(llm_completion_finish(&p.c, &p.err), 0);
		assert_int_equal(json_array_size(p.c.tool_calls), 1);
		assert_string_equal(call_field(p.c.tool_calls, 0, "arguments"),
				    "{\"datum\":\"2025-03-01\"}");
		pipe_release(&p);
	}
}

static void test_vllm_and_ollama_text_streams(void **state)
{
	struct pipe p;

	pipe_init(&p, 0);
	assert_int_equal(pipe_run(&p, vllm_text_stream, sizeof(vllm_text_stream) - 1, 7), 0);
	assert_string_equal(p.c.content.ptr, "Hallo!");
	assert_int_equal(p.ndeltas, 2); /* the empty first content is no delta */
	assert_string_equal(p.c.finish_reason, "length");
	assert_int_equal(p.c.prompt_tokens, 20);
	assert_int_equal(p.c.completion_tokens, 2);
	assert_int_equal(p.c.done, 1);
	pipe_release(&p);

	pipe_init(&p, 0);
	assert_int_equal(pipe_run(&p, ollama_text_stream, sizeof(ollama_text_stream) - 1, 100), 0);
	assert_string_equal(p.c.content.ptr, "Goededag");
	assert_string_equal(p.deltas.ptr, "Goede|dag");
	assert_string_equal(p.c.finish_reason, "stop");
	assert_int_equal(p.c.prompt_tokens, 31);
	assert_int_equal(p.c.completion_tokens, 3);
	assert_int_equal(p.c.chunks, 5);
	pipe_release(&p);
}

static void test_usage_and_reasoning(void **state)
{
	struct llm_completion c;
	struct lk_err err;
	const char *a = "{\"choices\":[{\"index\":0,\"delta\":{\"reasoning_content\":\"De gebruiker "
			"vraagt\"},\"finish_reason\":null}],\"usage\":null}";
	const char *b = "{\"choices\":[{\"index\":0,\"delta\":{\"reasoning\":\" iets.\"},"
			"\"finish_reason\":null}]}";
	const char *u = "{\"choices\":[],\"usage\":{\"prompt_tokens\":-3,\"completion_tokens\":\"x\"}}";
	const char *big = "{\"choices\":[{\"index\":0,\"delta\":{\"reasoning_content\":"
			  "\"0123456789abcdefghijklmnopqrstuvwxyz\"}}]}";

	llm_completion_init(&c, 32);
	assert_int_equal(c.prompt_tokens, -1);
	assert_int_equal(llm_completion_feed_chunk(&c, a, strlen(a), NULL, NULL, NULL, &err), 0);
	assert_int_equal(llm_completion_feed_chunk(&c, b, strlen(b), NULL, NULL, NULL, &err), 0);
	assert_string_equal(c.reasoning.ptr, "De gebruiker vraagt iets.");
	assert_int_equal(c.content.len, 0);
	/* Nonsense counts stay unknown. */
	assert_int_equal(llm_completion_feed_chunk(&c, u, strlen(u), NULL, NULL, NULL, &err), 0);
	assert_int_equal(c.prompt_tokens, -1);
	assert_int_equal(c.completion_tokens, -1);
	/* Reasoning past its bound is dropped, not an error. */
	assert_int_equal(llm_completion_feed_chunk(&c, big, strlen(big), NULL, NULL, NULL, &err), 0);
	assert_int_equal(c.reasoning_truncated, 1);
	assert_string_equal(c.reasoning.ptr, "De gebruiker vraagt iets.");
	/* Whitespace around [DONE] is fine. */
	assert_int_equal(llm_completion_feed_chunk(&c, " [DONE]\r\n", 9, NULL, NULL, NULL, &err), 0);
	assert_int_equal(c.done, 1);
	llm_completion_release(&c);
}

/* --- tool calls --- */

static void test_single_tool_call(void **state)
{
	struct pipe p;

	pipe_init(&p, 0);
	assert_int_equal(pipe_run(&p, llama_tool_stream, sizeof(llama_tool_stream) - 1, 0), 0);
	assert_null(p.c.tool_calls);
	assert_int_equal(llm_completion_finish(&p.c, &p.err), 0);
	assert_string_equal(p.c.finish_reason, "tool_calls");
	assert_int_equal(json_array_size(p.c.tool_calls), 1);
	assert_string_equal(call_field(p.c.tool_calls, 0, "id"), "Xq3bVd8RTnA6Tm0fWJ2p8rKcHsLyE1uZ");
	assert_string_equal(call_field(p.c.tool_calls, 0, "type"), "function");
	assert_string_equal(call_field(p.c.tool_calls, 0, "name"), "zoek_afspraak");
	assert_string_equal(call_field(p.c.tool_calls, 0, "arguments"), "{\"datum\":\"2025-03-01\"}");
	assert_int_equal(p.c.content.len, 0);
	assert_int_equal(p.ndeltas, 0);
	/* Idempotent. */
	assert_int_equal(llm_completion_finish(&p.c, &p.err), 0);
	assert_int_equal(json_array_size(p.c.tool_calls), 1);
	pipe_release(&p);
}

static void test_parallel_tool_calls_by_index(void **state)
{
	struct pipe p;

	pipe_init(&p, 0);
	assert_int_equal(pipe_run(&p, vllm_parallel_stream, sizeof(vllm_parallel_stream) - 1, 300), 0);
	assert_int_equal(llm_completion_finish(&p.c, &p.err), 0);
	assert_int_equal(json_array_size(p.c.tool_calls), 2);
	assert_string_equal(call_field(p.c.tool_calls, 0, "id"), "chatcmpl-tool-a1");
	assert_string_equal(call_field(p.c.tool_calls, 0, "name"), "weer");
	assert_string_equal(call_field(p.c.tool_calls, 0, "arguments"), "{\"stad\": \"Utrecht\"}");
	assert_string_equal(call_field(p.c.tool_calls, 1, "id"), "chatcmpl-tool-b2");
	assert_string_equal(call_field(p.c.tool_calls, 1, "name"), "tijd");
	assert_string_equal(call_field(p.c.tool_calls, 1, "arguments"), "{\"zone\": \"CET\"}");
	assert_string_equal(p.c.finish_reason, "tool_calls");
	pipe_release(&p);
}

static void test_ollama_reused_index_zero(void **state)
{
	struct pipe p;

	pipe_init(&p, 0);
	assert_int_equal(pipe_run(&p, ollama_tool_stream, sizeof(ollama_tool_stream) - 1, 50), 0);
	assert_int_equal(llm_completion_finish(&p.c, &p.err), 0);
	assert_int_equal(json_array_size(p.c.tool_calls), 3);
	assert_string_equal(call_field(p.c.tool_calls, 0, "id"), "call_k2x1ab7c");
	assert_string_equal(call_field(p.c.tool_calls, 0, "arguments"), "{\"stad\":\"Utrecht\"}");
	assert_string_equal(call_field(p.c.tool_calls, 1, "id"), "call_m9q4zz0d");
	assert_string_equal(call_field(p.c.tool_calls, 1, "name"), "weer");
	assert_string_equal(call_field(p.c.tool_calls, 1, "arguments"), "{\"stad\":\"Delft\"}");
	assert_string_equal(call_field(p.c.tool_calls, 2, "id"), "call_p0r7");
	assert_string_equal(call_field(p.c.tool_calls, 2, "name"), "tijd");
	assert_string_equal(call_field(p.c.tool_calls, 2, "arguments"), "{}");
	pipe_release(&p);
}

static int feed(struct llm_completion *c, const char *chunk, struct lk_err *err)
{
	return llm_completion_feed_chunk(c, chunk, strlen(chunk), NULL, NULL, NULL, err);
}

static void test_tool_call_edge_cases(void **state)
{
	struct llm_completion c;
	struct lk_err err = { 0 };

	/* No ids, same index, a second name: a second call; a repeated name
	 * before any arguments is the same call; empty arguments are "{}". */
	llm_completion_init(&c, 0);
	assert_int_equal(feed(&c, "{\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,"
				  "\"function\":{\"name\":\"a\"}}]}}]}", &err), 0);
	assert_int_equal(feed(&c, "{\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,"
				  "\"function\":{\"name\":\"a\",\"arguments\":\"{\\\"x\\\":1}\"}}]}}]}", &err),
			 0);
	assert_int_equal(feed(&c, "{\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,"
				  "\"function\":{\"name\":\"b\",\"arguments\":null}}]}}]}", &err), 0);
	assert_int_equal(feed(&c, "{\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,"
				  "\"function\":{\"arguments\":\"  \"}}]}}]}", &err), 0);
	/* Ollama-style object arguments inside a chunk. */
	assert_int_equal(feed(&c, "{\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":3,"
				  "\"function\":{\"name\":\"c\",\"arguments\":{\"y\":[1,2]}}}]}}]}", &err),
			 0);
	assert_int_equal(llm_completion_finish(&c, &err), 0);
	assert_int_equal(json_array_size(c.tool_calls), 3);
	assert_string_equal(call_field(c.tool_calls, 0, "id"), "call_0");
	assert_string_equal(call_field(c.tool_calls, 0, "arguments"), "{\"x\":1}");
	assert_string_equal(call_field(c.tool_calls, 1, "id"), "call_1");
	assert_string_equal(call_field(c.tool_calls, 1, "name"), "b");
	assert_string_equal(call_field(c.tool_calls, 1, "arguments"), "{}");
	assert_string_equal(call_field(c.tool_calls, 2, "arguments"), "{\"y\":[1,2]}");
	/* Feeding after finish is a programming error. */
	assert_int_equal(feed(&c, "[DONE]", &err), LK_EINVAL);
	llm_completion_release(&c);
}

static void test_bad_tool_calls(void **state)
{
	struct llm_completion c;
	struct lk_err err = { 0 };
	char msg[sizeof(err.msg)];

	/* Arguments that are no JSON object: LK_EPARSE naming the tool, twice. */
	llm_completion_init(&c, 0);
	assert_int_equal(feed(&c, "{\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,"
				  "\"id\":\"t1\",\"function\":{\"name\":\"zoek\",\"arguments\":\"{\\\"q\\\":\"}}]}}]}",
			      &err), 0);
	assert_int_equal(llm_completion_finish(&c, &err), LK_EPARSE);
	assert_non_null(strstr(err.msg, "'zoek'"));
	assert_null(c.tool_calls);
	snprintf(msg, sizeof(msg), "%s", err.msg);
	memset(&err, 0, sizeof(err));
	assert_int_equal(llm_completion_finish(&c, &err), LK_EPARSE);
	assert_string_equal(err.msg, msg);
	llm_completion_release(&c);

	llm_completion_init(&c, 0);
	assert_int_equal(feed(&c, "{\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,"
				  "\"function\":{\"arguments\":\"[1]\"}}]}}]}", &err), 0);
	assert_int_equal(llm_completion_finish(&c, NULL), LK_EPARSE);
	assert_int_equal(llm_completion_finish(&c, &err), LK_EPARSE);
	assert_non_null(strstr(err.msg, "no function name"));
	llm_completion_release(&c);

	/* Wrong types in a fragment. */
	llm_completion_init(&c, 0);
	assert_int_equal(feed(&c, "{\"choices\":[{\"delta\":{\"tool_calls\":{}}}]}", &err), LK_EPARSE);
	assert_int_equal(feed(&c, "{\"choices\":[{\"delta\":{\"tool_calls\":[7]}}]}", &err), LK_EPARSE);
	assert_int_equal(feed(&c, "{\"choices\":[{\"delta\":{\"tool_calls\":[{\"index\":\"0\"}]}}]}",
			      &err), LK_EPARSE);
	assert_int_equal(feed(&c, "{\"choices\":[{\"delta\":{\"tool_calls\":[{\"index\":-1}]}}]}", &err),
			 LK_EPARSE);
	assert_int_equal(feed(&c, "{\"choices\":[{\"delta\":{\"tool_calls\":[{\"id\":5}]}}]}", &err),
			 LK_EPARSE);
	assert_int_equal(feed(&c, "{\"choices\":[{\"delta\":{\"tool_calls\":[{\"function\":\"f\"}]}}]}",
			      &err), LK_EPARSE);
	assert_int_equal(feed(&c, "{\"choices\":[{\"delta\":{\"tool_calls\":[{\"function\":"
				  "{\"name\":1}}]}}]}", &err), LK_EPARSE);
	assert_int_equal(feed(&c, "{\"choices\":[{\"delta\":{\"tool_calls\":[{\"function\":"
				  "{\"name\":\"f\",\"arguments\":[1]}}]}}]}", &err), LK_EPARSE);
	llm_completion_release(&c);
}

static void test_tool_call_bounds(void **state)
{
	struct llm_completion c;
	struct lk_err err = { 0 };
	char chunk[256];
	char *big;
	size_t n;

	llm_completion_init(&c, 0);
	for (int i = 0; i < LLM_TOOL_CALLS_MAX; i++) {
		snprintf(chunk, sizeof(chunk), "{\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":"
					       "[{\"index\":%d,\"id\":\"c%d\",\"function\":{\"name\":\"f\","
					       "\"arguments\":\"{}\"}}]}}]}", i, i);
		assert_int_equal(feed(&c, chunk, &err), 0);
	}
	snprintf(chunk, sizeof(chunk), "{\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":"
				       "[{\"index\":16,\"id\":\"c16\",\"function\":{\"name\":\"f\"}}]}}]}");
	assert_int_equal(feed(&c, chunk, &err), LK_ETOOBIG);
	assert_non_null(strstr(err.msg, "16 tool calls"));
	assert_int_equal(llm_completion_finish(&c, &err), 0);
	assert_int_equal(json_array_size(c.tool_calls), LLM_TOOL_CALLS_MAX);
	llm_completion_release(&c);

	/* Arguments: 64 KiB is the most one call may have. */
	llm_completion_init(&c, 0);
	big = malloc(LLM_TOOL_ARGS_MAX + 256);
	n = (size_t)snprintf(big, 256, "{\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,"
				       "\"id\":\"x\",\"function\":{\"name\":\"f\",\"arguments\":\"");
	memset(big + n, 'a', LLM_TOOL_ARGS_MAX - 1);
	n += LLM_TOOL_ARGS_MAX - 1;
	memcpy(big + n, "\"}}]}}]}", 9);
	assert_int_equal(feed(&c, big, &err), 0);
	assert_int_equal(feed(&c, "{\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,"
				  "\"function\":{\"arguments\":\"b\"}}]}}]}", &err), 0);
	assert_int_equal(feed(&c, "{\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,"
				  "\"function\":{\"arguments\":\"c\"}}]}}]}", &err), LK_ETOOBIG);
	assert_non_null(strstr(err.msg, "arguments longer"));
	free(big);
	llm_completion_release(&c);

	/* A tool name of more than LLM_TOOL_NAME_MAX bytes. */
	llm_completion_init(&c, 0);
	n = (size_t)snprintf(chunk, sizeof(chunk), "{\"choices\":[{\"delta\":{\"tool_calls\":[{"
						   "\"function\":{\"name\":\"");
	memset(chunk + n, 'n', LLM_TOOL_NAME_MAX + 1);
	snprintf(chunk + n + LLM_TOOL_NAME_MAX + 1, sizeof(chunk) - n - LLM_TOOL_NAME_MAX - 1,
		 "\"}}]}}]}");
	assert_int_equal(feed(&c, chunk, &err), LK_ETOOBIG);
	llm_completion_release(&c);
}

/* --- errors and malformed input --- */

static void test_error_in_200_stream(void **state)
{
	struct pipe p;

	pipe_init(&p, 0);
	assert_int_equal(pipe_run(&p, llama_error_stream, sizeof(llama_error_stream) - 1, 33),
			 LK_EREMOTE);
	assert_int_equal(p.err.code, LK_EREMOTE);
	assert_int_equal(p.lerr.kind, LLM_ERR_SERVER);
	assert_int_equal(p.lerr.retryable, 1);
	assert_string_equal(p.lerr.type, "server_error");
	assert_string_equal(p.lerr.message, "Failed to parse tool call arguments as JSON");
	assert_non_null(strstr(p.err.msg, "Failed to parse"));
	assert_string_equal(p.c.content.ptr, "Een moment");
	assert_int_equal(p.c.done, 0);
	pipe_release(&p);

	pipe_init(&p, 0);
	assert_int_equal(pipe_run(&p, llama_old_error_stream, sizeof(llama_old_error_stream) - 1, 0),
			 LK_EREMOTE);
	assert_int_equal(p.lerr.kind, LLM_ERR_CONTEXT_LENGTH);
	assert_int_equal(p.lerr.retryable, 0);
	pipe_release(&p);
}

static void test_error_events_and_shapes(void **state)
{
	static const char *const errors[] = {
		"{\"error\":{\"code\":400,\"message\":\"x\",\"type\":\"invalid_request_error\"}}",
		"{\"error\":{\"message\":\"x\",\"type\":\"BadRequestError\",\"param\":null,\"code\":400}}",
		"{\"object\":\"error\",\"message\":\"x\",\"type\":\"BadRequestError\",\"param\":null,"
		"\"code\":400}",
		"{\"error\":\"x\"}",
		"{\"error\":{\"message\":\"x\",\"type\":\"invalid_request_error\",\"param\":null,"
		"\"code\":\"bad\"}}",
	};
	struct llm_completion c;
	struct llm_error lerr;
	struct lk_err err;

	for (size_t i = 0; i < sizeof(errors) / sizeof(errors[0]); i++) {
		llm_completion_init(&c, 0);
		memset(&lerr, 0, sizeof(lerr));
		assert_int_equal(llm_completion_feed_chunk(&c, errors[i], strlen(errors[i]), NULL, NULL,
							   &lerr, &err), LK_EREMOTE);
		assert_string_equal(lerr.message, "x");
		assert_int_not_equal(lerr.kind, LLM_ERR_NONE);
		/* lerr may be NULL. */
		assert_int_equal(llm_completion_feed_chunk(&c, errors[i], strlen(errors[i]), NULL, NULL,
							   NULL, NULL), LK_EREMOTE);
		llm_completion_release(&c);
	}
	/* An "error" event whose data is no JSON at all. */
	llm_completion_init(&c, 0);
	assert_int_equal(llm_completion_feed_event(&c, "error", "stuk\n", 5, NULL, NULL, &lerr, &err),
			 LK_EREMOTE);
	assert_int_equal(lerr.kind, LLM_ERR_SERVER);
	assert_string_equal(lerr.message, "stuk");
	assert_int_equal(llm_completion_feed_event(&c, "error", "", 0, NULL, NULL, NULL, &err),
			 LK_EREMOTE);
	/* Other event types are not chunks: ignored. */
	assert_int_equal(llm_completion_feed_event(&c, "ping", "{", 1, NULL, NULL, &lerr, &err), 0);
	assert_int_equal(llm_completion_feed_event(&c, "message", "[DONE]", 6, NULL, NULL, &lerr,
						   &err), 0);
	assert_int_equal(c.done, 1);
	llm_completion_release(&c);
}

static void test_malformed_chunks(void **state)
{
	static const char *const bad[] = {
		"",
		"{",
		"{\"choices\":[{\"delta\":{\"content\":\"a\"}}]",
		"[1,2,3]",
		"\"[DONE]\"",
		"DONE",
		"{}",
		"{\"id\":\"x\",\"object\":\"chat.completion.chunk\"}",
		"{\"choices\":\"a\"}",
		"{\"choices\":null,\"usage\":{},\"x\":1,\"choices\":7}",
		"{\"choices\":[5]}",
		"{\"choices\":[{\"delta\":7}]}",
		"{\"choices\":[{\"delta\":{\"content\":5}}]}",
		"{\"choices\":[{\"delta\":{\"content\":[\"a\"]}}]}",
		"{\"choices\":[{\"delta\":{\"reasoning_content\":{}}}]}",
		"{\"choices\":[{\"delta\":{},\"finish_reason\":1}]}",
		"{\"choices\":[{\"delta\":{\"content\":\"\\ud800\"}}]}",
		"{\"choices\":[{\"delta\":{\"content\":\"a\\u0000b\"}}]}",
		"{\"choices\":[{\"delta\":{\"content\":\"\xff\"}}]}",
	};
	struct llm_completion c;
	struct lk_err err;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		llm_completion_init(&c, 0);
		memset(&err, 0, sizeof(err));
		if (llm_completion_feed_chunk(&c, bad[i], strlen(bad[i]), NULL, NULL, NULL, &err) !=
		    LK_EPARSE)
			fail_msg("chunk %zu (%s) was not LK_EPARSE", i, bad[i]);
		assert_int_equal(err.code, LK_EPARSE);
		assert_int_equal(c.content.len, 0);
		llm_completion_release(&c);
	}
	/* Data after [DONE]. */
	llm_completion_init(&c, 0);
	assert_int_equal(feed(&c, "[DONE]", &err), 0);
	assert_int_equal(feed(&c, "{\"choices\":[]}", &err), LK_EPARSE);
	assert_non_null(strstr(err.msg, "after [DONE]"));
	/* Other choices than index 0 are ignored, not errors. */
	llm_completion_release(&c);
	llm_completion_init(&c, 0);
	assert_int_equal(feed(&c, "{\"choices\":[{\"index\":1,\"delta\":{\"content\":\"B\"}},"
				  "{\"index\":0,\"delta\":{\"content\":\"A\"}}]}", &err), 0);
	assert_string_equal(c.content.ptr, "A");
	llm_completion_release(&c);
}

static void test_content_bound(void **state)
{
	struct llm_completion c;
	struct lk_err err;
	const char *chunk = "{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"0123456789\"}}]}";

	llm_completion_init(&c, 16);
	assert_int_equal(feed(&c, chunk, &err), 0);
	assert_int_equal(feed(&c, chunk, &err), LK_ETOOBIG);
	assert_int_equal(err.code, LK_ETOOBIG);
	assert_non_null(strstr(err.msg, "16 bytes"));
	assert_string_equal(c.content.ptr, "0123456789");
	llm_completion_release(&c);
}

/* --- whole bodies --- */

static void test_parse_bodies(void **state)
{
	const char *llama = "{\"choices\":[{\"finish_reason\":\"stop\",\"index\":0,\"message\":{\"role\":"
			    "\"assistant\",\"content\":\"Het kost 84 euro.\"}}],\"created\":1735000000,"
			    "\"model\":\"qwen2.5-7b-instruct\",\"system_fingerprint\":\"b4514-a4417ddd\","
			    "\"object\":\"chat.completion\",\"usage\":{\"completion_tokens\":8,"
			    "\"prompt_tokens\":30,\"total_tokens\":38},\"id\":\"chatcmpl-abc\","
			    "\"timings\":{\"prompt_n\":30,\"predicted_n\":8}}";
	const char *vllm = "{\"id\":\"chatcmpl-9\",\"object\":\"chat.completion\",\"created\":1735000000,"
			   "\"model\":\"Qwen/Qwen2.5-7B-Instruct\",\"choices\":[{\"index\":0,\"message\":"
			   "{\"role\":\"assistant\",\"reasoning_content\":null,\"content\":null,"
			   "\"tool_calls\":[{\"id\":\"chatcmpl-tool-1\",\"type\":\"function\",\"function\":"
			   "{\"name\":\"weer\",\"arguments\":\"{\\\"stad\\\": \\\"Utrecht\\\"}\"}}]},"
			   "\"logprobs\":null,\"finish_reason\":\"tool_calls\",\"stop_reason\":null}],"
			   "\"usage\":{\"prompt_tokens\":100,\"total_tokens\":120,\"completion_tokens\":20,"
			   "\"prompt_tokens_details\":null},\"prompt_logprobs\":null}";
	const char *ollama = "{\"model\":\"llama3.1:8b\",\"created_at\":\"2025-01-01T10:00:00.000Z\","
			     "\"message\":{\"role\":\"assistant\",\"content\":\"\",\"tool_calls\":[{"
			     "\"function\":{\"name\":\"weer\",\"arguments\":{\"stad\":\"Utrecht\"}}},{"
			     "\"function\":{\"name\":\"weer\",\"arguments\":{\"stad\":\"Delft\"}}}]},"
			     "\"done_reason\":\"stop\",\"done\":true,\"total_duration\":1,"
			     "\"prompt_eval_count\":50,\"eval_count\":10}";
	struct llm_completion c;
	struct llm_error lerr;
	struct lk_err err;

	llm_completion_init(&c, 0);
	assert_int_equal(llm_completion_parse_body(&c, llama, strlen(llama), &lerr, &err), 0);
	assert_string_equal(c.content.ptr, "Het kost 84 euro.");
	assert_string_equal(c.finish_reason, "stop");
	assert_int_equal(c.prompt_tokens, 30);
	assert_int_equal(c.completion_tokens, 8);
	assert_int_equal(c.done, 1);
	assert_null(c.tool_calls);
	/* Already finished: a second body is refused. */
	assert_int_equal(llm_completion_parse_body(&c, llama, strlen(llama), &lerr, &err), LK_EINVAL);
	llm_completion_release(&c);

	llm_completion_init(&c, 0);
	assert_int_equal(llm_completion_parse_body(&c, vllm, strlen(vllm), &lerr, &err), 0);
	assert_int_equal(c.content.len, 0);
	assert_string_equal(c.finish_reason, "tool_calls");
	assert_int_equal(json_array_size(c.tool_calls), 1);
	assert_string_equal(call_field(c.tool_calls, 0, "id"), "chatcmpl-tool-1");
	assert_string_equal(call_field(c.tool_calls, 0, "arguments"), "{\"stad\": \"Utrecht\"}");
	assert_int_equal(c.completion_tokens, 20);
	llm_completion_release(&c);

	llm_completion_init(&c, 0);
	assert_int_equal(llm_completion_parse_body(&c, ollama, strlen(ollama), &lerr, &err), 0);
	assert_int_equal(json_array_size(c.tool_calls), 2);
	assert_string_equal(call_field(c.tool_calls, 0, "id"), "call_0");
	assert_string_equal(call_field(c.tool_calls, 0, "arguments"), "{\"stad\":\"Utrecht\"}");
	assert_string_equal(call_field(c.tool_calls, 1, "id"), "call_1");
	assert_string_equal(call_field(c.tool_calls, 1, "arguments"), "{\"stad\":\"Delft\"}");
	assert_string_equal(c.finish_reason, "stop");
	assert_int_equal(c.prompt_tokens, 50);
	assert_int_equal(c.completion_tokens, 10);
	llm_completion_release(&c);
}

static void test_parse_body_errors(void **state)
{
	static const char *const bad[] = {
		"", "null", "{}", "{\"choices\":[]}", "{\"choices\":[{\"index\":0}]}",
		"{\"choices\":[{\"message\":{\"content\":7}}]}", "{\"choices\":[1]}",
		("{\"choices\":[{\"message\":{\"content\":\"a\",\"tool_calls\":[{\"function\":"
		 "{\"name\":\"f\",\"arguments\":\"nee\"}}]}}]}"),
	};
	const char *too_long = "{\"choices\":[{\"message\":{\"content\":\"te lang\"}}]}";
	const char *err_body = "{\"error\":{\"code\":503,\"message\":\"Loading model\","
			       "\"type\":\"unavailable_error\"}}";
	struct llm_completion c;
	struct llm_error lerr;
	struct lk_err err;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		llm_completion_init(&c, 0);
		if (llm_completion_parse_body(&c, bad[i], strlen(bad[i]), &lerr, &err) != LK_EPARSE)
			fail_msg("body %zu (%s) was not LK_EPARSE", i, bad[i]);
		llm_completion_release(&c);
	}
	llm_completion_init(&c, 0);
	assert_int_equal(llm_completion_parse_body(&c, err_body, strlen(err_body), &lerr, &err),
			 LK_EREMOTE);
	assert_int_equal(lerr.kind, LLM_ERR_UNAVAILABLE);
	assert_int_equal(llm_completion_parse_body(&c, NULL, 0, NULL, NULL), LK_EPARSE);
	llm_completion_release(&c);

	llm_completion_init(&c, 4);
	assert_int_equal(llm_completion_parse_body(&c, too_long, strlen(too_long), &lerr, &err),
			 LK_ETOOBIG);
	llm_completion_release(&c);
}

/* --- embeddings and models --- */

static void test_embeddings(void **state)
{
	const char *body = "{\"object\":\"list\",\"data\":[{\"object\":\"embedding\",\"index\":1,"
			   "\"embedding\":[0.5,-1,2e-3]},{\"object\":\"embedding\",\"index\":0,"
			   "\"embedding\":[1,0,0]}],\"model\":\"bge-m3\",\"usage\":{\"prompt_tokens\":6,"
			   "\"total_tokens\":6}}";
	const char *ollama = "{\"model\":\"nomic-embed-text\",\"embeddings\":[[0.25,0.75]]}";
	float *v = (float *)&v;
	size_t dim = 99;
	struct llm_error lerr;
	struct lk_err err;

	assert_int_equal(llm_parse_embeddings(body, strlen(body), 2, &v, &dim, &lerr, &err), 0);
	assert_int_equal(dim, 3);
	assert_true(v[0] == 1.0f && v[1] == 0.0f && v[2] == 0.0f);
	assert_true(v[3] == 0.5f && v[4] == -1.0f && v[5] == 2e-3f);
	free(v);

	assert_int_equal(llm_parse_embeddings(ollama, strlen(ollama), 1, &v, &dim, &lerr, &err), 0);
	assert_int_equal(dim, 2);
	assert_true(v[0] == 0.25f && v[1] == 0.75f);
	free(v);

	/* Count, index, dimension and value disagreements. */
	assert_int_equal(llm_parse_embeddings(body, strlen(body), 3, &v, &dim, &lerr, &err), LK_EPARSE);
	assert_null(v);
	assert_int_equal(dim, 0);
	assert_non_null(strstr(err.msg, "expected 3, got 2"));
	assert_int_equal(llm_parse_embeddings(body, strlen(body), 0, &v, &dim, &lerr, &err), LK_EINVAL);
	{
		static const char *const bad[] = {
			"{\"data\":[{\"index\":0,\"embedding\":[1]},{\"index\":0,\"embedding\":[2]}]}",
			"{\"data\":[{\"index\":0,\"embedding\":[1]},{\"index\":2,\"embedding\":[2]}]}",
			"{\"data\":[{\"index\":0,\"embedding\":[1]},{\"index\":\"1\",\"embedding\":[2]}]}",
			"{\"data\":[{\"index\":0,\"embedding\":[1,2]},{\"index\":1,\"embedding\":[2]}]}",
			"{\"data\":[{\"index\":0,\"embedding\":[1]},{\"index\":1,\"embedding\":[\"2\"]}]}",
			"{\"data\":[{\"index\":0,\"embedding\":[]},{\"index\":1,\"embedding\":[]}]}",
			("{\"data\":[{\"index\":0,\"embedding\":\"AACAPw==\"},{\"index\":1,"
			 "\"embedding\":\"AACAPw==\"}]}"),
			"{\"data\":[{\"index\":0,\"embedding\":[1e39]},{\"index\":1,\"embedding\":[1]}]}",
			"{\"data\":[{\"index\":0,\"embedding\":[1]},{\"index\":1,\"embedding\":[null]}]}",
			"{\"data\":[1,2]}",
			"{\"data\":{}}",
			"[[1],[2]]",
		};
		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			if (llm_parse_embeddings(bad[i], strlen(bad[i]), 2, &v, &dim, &lerr, &err) !=
			    LK_EPARSE)
				fail_msg("embeddings body %zu was not LK_EPARSE", i);
			assert_null(v);
		}
	}
	/* dim > 8192 */
	{
		struct buf b;

		buf_init(&b, 0);
		buf_adds(&b, "{\"data\":[{\"index\":0,\"embedding\":[0");
		for (int i = 0; i < LLM_EMBED_DIM_MAX; i++)
			buf_adds(&b, ",0");
		buf_adds(&b, "]}]}");
		assert_int_equal(llm_parse_embeddings(b.ptr, b.len, 1, &v, &dim, &lerr, &err),
				 LK_EPARSE);
		assert_non_null(strstr(err.msg, "dimension 8193"));
		buf_release(&b);
	}
	{
		const char *e = "{\"error\":{\"code\":501,\"message\":\"This server does not support "
				"embeddings. Start it with `--embeddings`\",\"type\":\"not_supported_error\"}}";

		assert_int_equal(llm_parse_embeddings(e, strlen(e), 1, &v, &dim, &lerr, &err),
				 LK_EREMOTE);
		assert_int_equal(lerr.kind, LLM_ERR_UNSUPPORTED);
	}
}

static int models(const char *body, json_t **ids, struct llm_error *lerr, struct lk_err *err)
{
	return llm_parse_models(body, strlen(body), ids, lerr, err);
}

static void test_models(void **state)
{
	const char *vllm = "{\"object\":\"list\",\"data\":[{\"id\":\"Qwen/Qwen2.5-7B-Instruct\","
			   "\"object\":\"model\",\"created\":1735000000,\"owned_by\":\"vllm\","
			   "\"root\":\"Qwen/Qwen2.5-7B-Instruct\",\"parent\":null,\"max_model_len\":32768},"
			   "{\"id\":\"bge-m3\",\"object\":\"model\",\"owned_by\":\"vllm\"}]}";
	const char *tags = "{\"models\":[{\"name\":\"llama3.1:8b\",\"model\":\"llama3.1:8b\","
			   "\"size\":4920753328},{\"model\":\"nomic-embed-text:latest\"}]}";
	json_t *ids = (json_t *)&ids;
	struct llm_error lerr;
	struct lk_err err;

	assert_int_equal(llm_parse_models(vllm, strlen(vllm), &ids, &lerr, &err), 0);
	assert_int_equal(json_array_size(ids), 2);
	assert_string_equal(json_string_value(json_array_get(ids, 0)), "Qwen/Qwen2.5-7B-Instruct");
	assert_string_equal(json_string_value(json_array_get(ids, 1)), "bge-m3");
	json_decref(ids);

	assert_int_equal(llm_parse_models(tags, strlen(tags), &ids, &lerr, &err), 0);
	assert_int_equal(json_array_size(ids), 2);
	assert_string_equal(json_string_value(json_array_get(ids, 1)), "nomic-embed-text:latest");
	json_decref(ids);

	assert_int_equal(models("{\"data\":[{\"name\":\"x\"}]}", &ids, &lerr, &err),
			 LK_EPARSE);
	assert_null(ids);
	assert_int_equal(models("{\"data\":\"x\"}", &ids, &lerr, &err), LK_EPARSE);
	assert_int_equal(models("{\"error\":\"unauthorized\"}", &ids, &lerr, &err),
			 LK_EREMOTE);
	assert_int_equal(models("{\"object\":\"list\",\"data\":[]}", &ids, &lerr, &err),
			 0);
	assert_int_equal(json_array_size(ids), 0);
	json_decref(ids);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_llama_text_stream),
		cmocka_unit_test(test_split_at_every_byte),
		cmocka_unit_test(test_vllm_and_ollama_text_streams),
		cmocka_unit_test(test_usage_and_reasoning),
		cmocka_unit_test(test_single_tool_call),
		cmocka_unit_test(test_parallel_tool_calls_by_index),
		cmocka_unit_test(test_ollama_reused_index_zero),
		cmocka_unit_test(test_tool_call_edge_cases),
		cmocka_unit_test(test_bad_tool_calls),
		cmocka_unit_test(test_tool_call_bounds),
		cmocka_unit_test(test_error_in_200_stream),
		cmocka_unit_test(test_error_events_and_shapes),
		cmocka_unit_test(test_malformed_chunks),
		cmocka_unit_test(test_content_bound),
		cmocka_unit_test(test_parse_bodies),
		cmocka_unit_test(test_parse_body_errors),
		cmocka_unit_test(test_embeddings),
		cmocka_unit_test(test_models),
	};

	return cmocka_run_group_tests_name("llm/llm_chunk", tests, NULL, NULL);
}
