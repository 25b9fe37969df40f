/* test_llm_error.c - unit tests for the LLM server error shapes and their
 * classification (src/llm/llm_error). Bodies are as llama-server, vLLM,
 * Ollama and proxies send them. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "llm/llm_error.h"

/* Fills e from an HTTP status and body given as a C string. */
static void from_http(struct llm_error *e, long status, const char *body)
{
	memset(e, 0x5a, sizeof(*e));
	llm_error_from_http(e, status, body, body ? strlen(body) : 0);
}

/* 1 when s[0..strlen) is valid UTF-8 without control characters. */
static int clean_utf8(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p) {
		size_t n = *p < 0x80 ? 1 : (*p & 0xe0) == 0xc0 ? 2 : (*p & 0xf0) == 0xe0 ? 3 : 4;

		if (*p < 0x20 || *p == 0x7f || (*p >= 0x80 && *p < 0xc2) || *p > 0xf4)
			return 0;
		for (size_t i = 1; i < n; i++) {
			if ((p[i] & 0xc0) != 0x80)
				return 0;
		}
		p += n;
	}
	return 1;
}

static void test_llama_server_shapes(void **state)
{
	struct llm_error e;

	from_http(&e, 400, "{\"error\":{\"code\":400,\"message\":\"the request exceeds the available "
			   "context size, try increasing it\",\"type\":\"exceed_context_size_error\","
			   "\"n_prompt_tokens\":5000,\"n_ctx\":4096}}");
	assert_int_equal(e.kind, LLM_ERR_CONTEXT_LENGTH);
	assert_int_equal(e.retryable, 0);
	assert_int_equal(e.http_status, 400);
	assert_string_equal(e.type, "exceed_context_size_error");
	assert_string_equal(e.message,
			    "the request exceeds the available context size, try increasing it");

	from_http(&e, 401, "{\"error\":{\"code\":401,\"message\":\"Invalid API Key\","
			   "\"type\":\"authentication_error\"}}");
	assert_int_equal(e.kind, LLM_ERR_AUTH);
	assert_int_equal(e.retryable, 0);
	assert_string_equal(e.message, "Invalid API Key");

	from_http(&e, 503, "{\"error\":{\"code\":503,\"message\":\"Loading model\","
			   "\"type\":\"unavailable_error\"}}");
	assert_int_equal(e.kind, LLM_ERR_UNAVAILABLE);
	assert_int_equal(e.retryable, 1);
	assert_string_equal(e.type, "unavailable_error");

	from_http(&e, 501, "{\"error\":{\"code\":501,\"message\":\"This server does not support "
			   "embeddings. Start it with `--embeddings`\",\"type\":\"not_supported_error\"}}");
	assert_int_equal(e.kind, LLM_ERR_UNSUPPORTED);
	assert_int_equal(e.retryable, 0);

	from_http(&e, 500, "{\"error\":{\"code\":500,\"message\":\"Failed to parse input\","
			   "\"type\":\"server_error\"}}");
	assert_int_equal(e.kind, LLM_ERR_SERVER);
	assert_int_equal(e.retryable, 1);

	from_http(&e, 403, "{\"error\":{\"code\":403,\"message\":\"forbidden\","
			   "\"type\":\"permission_error\"}}");
	assert_int_equal(e.kind, LLM_ERR_AUTH);

	from_http(&e, 404, "{\"error\":{\"code\":404,\"message\":\"File Not Found\","
			   "\"type\":\"not_found_error\"}}");
	assert_int_equal(e.kind, LLM_ERR_NOT_FOUND);
	assert_int_equal(e.retryable, 0);
}

static void test_vllm_shapes(void **state)
{
	struct llm_error e;

	from_http(&e, 400, "{\"error\":{\"message\":\"This model's maximum context length is 4096 "
			   "tokens. However, you requested 5000 tokens (4000 in the messages, 1000 in "
			   "the completion). Please reduce the length of the messages or completion.\","
			   "\"type\":\"BadRequestError\",\"param\":null,\"code\":400}}");
	assert_int_equal(e.kind, LLM_ERR_CONTEXT_LENGTH);
	assert_string_equal(e.type, "BadRequestError");
	assert_non_null(strstr(e.message, "maximum context length is 4096"));

	from_http(&e, 400, "{\"error\":{\"message\":\"The decoder prompt (length 5000) is longer "
			   "than the maximum model length of 4096.\",\"type\":\"BadRequestError\","
			   "\"param\":null,\"code\":400}}");
	assert_int_equal(e.kind, LLM_ERR_CONTEXT_LENGTH);

	from_http(&e, 404, "{\"error\":{\"message\":\"The model `gpt-4` does not exist.\","
			   "\"type\":\"NotFoundError\",\"param\":null,\"code\":404}}");
	assert_int_equal(e.kind, LLM_ERR_NOT_FOUND);
	assert_string_equal(e.message, "The model `gpt-4` does not exist.");

	/* Before 0.10.1: flat. */
	from_http(&e, 400, "{\"object\":\"error\",\"message\":\"\\\"auto\\\" tool choice requires "
			   "--enable-auto-tool-choice and --tool-call-parser to be set\","
			   "\"type\":\"BadRequestError\",\"param\":null,\"code\":400}");
	assert_int_equal(e.kind, LLM_ERR_BAD_REQUEST);
	assert_int_equal(e.retryable, 0);
	assert_string_equal(e.message, "\"auto\" tool choice requires --enable-auto-tool-choice "
				       "and --tool-call-parser to be set");

	/* FastAPI's own answers in front of vLLM. */
	from_http(&e, 404, "{\"detail\":\"Not Found\"}");
	assert_int_equal(e.kind, LLM_ERR_NOT_FOUND);
	assert_string_equal(e.message, "Not Found");
	from_http(&e, 422, "{\"detail\":[{\"type\":\"missing\",\"loc\":[\"body\",\"messages\"],"
			   "\"msg\":\"Field required\",\"input\":{}}]}");
	assert_int_equal(e.kind, LLM_ERR_BAD_REQUEST);
	assert_non_null(strstr(e.message, "Field required"));
}

static void test_ollama_and_openai_shapes(void **state)
{
	struct llm_error e;

	from_http(&e, 404, "{\"error\":\"model \\\"llama3\\\" not found, try pulling it first\"}");
	assert_int_equal(e.kind, LLM_ERR_NOT_FOUND);
	assert_string_equal(e.type, "");
	assert_string_equal(e.message, "model \"llama3\" not found, try pulling it first");

	from_http(&e, 404, "{\"error\":{\"message\":\"model \\\"llama3\\\" not found, try pulling it "
			   "first\",\"type\":\"not_found_error\",\"param\":null,\"code\":null}}");
	assert_int_equal(e.kind, LLM_ERR_NOT_FOUND);

	from_http(&e, 500, "{\"error\":{\"message\":\"llama runner process has terminated\","
			   "\"type\":\"api_error\",\"param\":null,\"code\":null}}");
	assert_int_equal(e.kind, LLM_ERR_SERVER);
	assert_int_equal(e.retryable, 1);

	from_http(&e, 400, "{\"error\":{\"message\":\"This model's maximum context length is 8192 "
			   "tokens.\",\"type\":\"invalid_request_error\",\"param\":\"messages\","
			   "\"code\":\"context_length_exceeded\"}}");
	assert_int_equal(e.kind, LLM_ERR_CONTEXT_LENGTH);
	assert_string_equal(e.type, "invalid_request_error");

	/* The code string alone decides when the message says nothing. */
	from_http(&e, 400, "{\"error\":{\"message\":\"prompt too long\",\"type\":\"invalid_request_error\","
			   "\"param\":null,\"code\":\"context_length_exceeded\"}}");
	assert_int_equal(e.kind, LLM_ERR_CONTEXT_LENGTH);

	from_http(&e, 429, "{\"error\":{\"message\":\"Rate limit reached: too many tokens per minute\","
			   "\"type\":\"requests\",\"param\":null,\"code\":\"rate_limit_exceeded\"}}");
	assert_int_equal(e.kind, LLM_ERR_RATE_LIMIT);
	assert_int_equal(e.retryable, 1);
}

static void test_non_json_bodies(void **state)
{
	struct llm_error e;

	from_http(&e, 502, "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
			   "<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n"
			   "</body>\r\n</html>\r\n");
	assert_int_equal(e.kind, LLM_ERR_SERVER);
	assert_int_equal(e.retryable, 1);
	assert_int_equal(e.http_status, 502);
	assert_string_equal(e.message, "502 Bad Gateway");

	from_http(&e, 504, "");
	assert_int_equal(e.kind, LLM_ERR_TIMEOUT);
	assert_int_equal(e.retryable, 1);
	assert_string_equal(e.message, "HTTP 504");
	assert_string_equal(e.type, "");

	from_http(&e, 408, NULL);
	assert_int_equal(e.kind, LLM_ERR_TIMEOUT);

	from_http(&e, 429, "Too Many Requests\n");
	assert_int_equal(e.kind, LLM_ERR_RATE_LIMIT);
	assert_string_equal(e.message, "Too Many Requests");

	from_http(&e, 503, "{\"status\":\"loading model\"}");
	assert_int_equal(e.kind, LLM_ERR_UNAVAILABLE);
	assert_string_equal(e.message, "{\"status\":\"loading model\"}");

	from_http(&e, 418, "{\"error\":");
	assert_int_equal(e.kind, LLM_ERR_BAD_REQUEST);
	assert_string_equal(e.message, "{\"error\":");

	from_http(&e, 599, "\x01\x02\xff\xfe");
	assert_int_equal(e.kind, LLM_ERR_SERVER);
	assert_string_equal(e.message, "HTTP 599");

	/* A text body about the context is still a context error. */
	from_http(&e, 400, "prompt exceeds the context window");
	assert_int_equal(e.kind, LLM_ERR_CONTEXT_LENGTH);
}

static void test_errors_inside_a_stream(void **state)
{
	struct llm_error e;
	json_error_t jerr;
	json_t *obj;

	obj = json_loads("{\"error\":{\"code\":500,\"message\":\"slot unavailable\","
			 "\"type\":\"server_error\"}}", 0, &jerr);
	memset(&e, 0, sizeof(e));
	assert_int_equal(llm_error_from_json(&e, obj, 0), 1);
	assert_int_equal(e.kind, LLM_ERR_SERVER);
	assert_int_equal(e.http_status, 0);
	json_decref(obj);

	/* No type: the numeric code stands in for the status. */
	obj = json_loads("{\"error\":{\"code\":429,\"message\":\"busy\"}}", 0, &jerr);
	assert_int_equal(llm_error_from_json(&e, obj, 0), 1);
	assert_int_equal(e.kind, LLM_ERR_RATE_LIMIT);
	json_decref(obj);

	/* Old llama.cpp sent context overflow inside the stream. */
	obj = json_loads("{\"error\":{\"code\":500,\"message\":\"input is too large to process. "
			 "increase the physical batch size\",\"type\":\"server_error\"}}", 0, &jerr);
	assert_int_equal(llm_error_from_json(&e, obj, 0), 1);
	assert_int_equal(e.kind, LLM_ERR_SERVER);
	json_decref(obj);
	obj = json_loads("{\"error\":{\"message\":\"the request exceeds the available context size\"}}",
			 0, &jerr);
	assert_int_equal(llm_error_from_json(&e, obj, 0), 1);
	assert_int_equal(e.kind, LLM_ERR_CONTEXT_LENGTH);
	json_decref(obj);

	/* Ollama's ndjson error line; no status, no type: a server error. */
	obj = json_loads("{\"error\":\"an error was encountered while running the model\"}", 0,
			 &jerr);
	assert_int_equal(llm_error_from_json(&e, obj, 0), 1);
	assert_int_equal(e.kind, LLM_ERR_SERVER);
	assert_int_equal(e.retryable, 1);
	json_decref(obj);

	/* The bare inner object of old llama-server's "error:" SSE field. */
	obj = json_loads("{\"code\":503,\"message\":\"Loading model\",\"type\":\"unavailable_error\"}",
			 0, &jerr);
	assert_int_equal(llm_error_from_json(&e, obj, 0), 0);
	assert_int_equal(llm_error_from_inner_json(&e, obj, 0), 1);
	assert_int_equal(e.kind, LLM_ERR_UNAVAILABLE);
	json_decref(obj);
}

static void test_not_errors_leave_e_alone(void **state)
{
	const char *texts[] = {
		"{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hoi\"}}]}",
		"{\"error\":null,\"choices\":[]}",
		"{\"error\":false}",
		"{\"detail\":\"x\"}",
		"[1,2]",
		"\"error\"",
	};
	struct llm_error e, before;

	memset(&e, 0x33, sizeof(e));
	before = e;
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		json_error_t jerr;
		json_t *obj = json_loads(texts[i], JSON_DECODE_ANY, &jerr);

		assert_non_null(obj);
		assert_int_equal(llm_error_from_json(&e, obj, 0), 0);
		assert_int_equal(llm_error_from_inner_json(&e, obj, 0), 0);
		json_decref(obj);
	}
	assert_memory_equal(&e, &before, sizeof(e));
	assert_int_equal(llm_error_from_json(&e, NULL, 400), 0);
}

static void test_message_is_cleaned_and_cut(void **state)
{
	char body[2048];
	struct llm_error e;
	size_t n = 0;

	n += (size_t)snprintf(body, sizeof(body), "{\"error\":{\"message\":\"regel1\\nregel2\\t"
						      "\\u0007bel\\u007f\\u0085 ");
	for (int i = 0; i < 300; i++)
		n += (size_t)snprintf(body + n, sizeof(body) - n, "\xc3\xa9");
	snprintf(body + n, sizeof(body) - n, "\",\"type\":\"server_error\\u0000x\"}}");
	from_http(&e, 500, body);
	/* \u0000 in a string is rejected by jansson, so this body is text. */
	assert_int_equal(e.kind, LLM_ERR_SERVER);
	assert_true(clean_utf8(e.message));
	assert_true(strlen(e.message) < sizeof(e.message));

	snprintf(body + n, sizeof(body) - n, "\",\"type\":\"server_error\"}}");
	from_http(&e, 500, body);
	assert_string_equal(e.type, "server_error");
	assert_true(clean_utf8(e.message));
	assert_int_equal(strncmp(e.message, "regel1 regel2 bel é", strlen("regel1 regel2 bel é")), 0);
	/* Cut at a character boundary: "é" is two bytes after an 18-byte prefix. */
	assert_int_equal(strlen(e.message), sizeof(e.message) - 2);
	assert_int_equal((strlen(e.message) - strlen("regel1 regel2 bel ")) % 2, 0);
}

static void test_copy_text(void **state)
{
	const char in[] = "  a\tb\n\nc\x01" "d\x7f e\xc2\x85" "f \xc0\xaf\xed\xa0\x80g\xf0\x9f\x98\x80  ";
	char out[64], small[4];

	assert_int_equal(llm_error_copy_text(out, sizeof(out), in, sizeof(in) - 1),
			 strlen("a b cd ef g\xf0\x9f\x98\x80"));
	assert_string_equal(out, "a b cd ef g\xf0\x9f\x98\x80");
	/* Never half a character: the emoji does not fit in 3 bytes. */
	assert_int_equal(llm_error_copy_text(small, sizeof(small), "\xf0\x9f\x98\x80", 4), 0);
	assert_string_equal(small, "");
	assert_int_equal(llm_error_copy_text(small, sizeof(small), "abcdef", 6), 3);
	assert_string_equal(small, "abc");
	assert_int_equal(llm_error_copy_text(small, 1, "abc", 3), 0);
	assert_string_equal(small, "");
}

static void test_set_and_names(void **state)
{
	struct llm_error e;
	const char *seen[LLM_ERR_KIND_COUNT];

	llm_error_set(&e, LLM_ERR_TIMEOUT, "no answer in %d ms\n", 30000);
	assert_int_equal(e.kind, LLM_ERR_TIMEOUT);
	assert_int_equal(e.retryable, 1);
	assert_int_equal(e.http_status, 0);
	assert_string_equal(e.message, "no answer in 30000 ms");
	llm_error_set(&e, LLM_ERR_PROTOCOL, "stream ended without [DONE]");
	assert_int_equal(e.retryable, 0);
	llm_error_set(&e, LLM_ERR_CIRCUIT_OPEN, "%s", "open");
	assert_int_equal(e.retryable, 0);
	llm_error_set(&e, LLM_ERR_NETWORK, "connect: refused");
	assert_int_equal(e.retryable, 1);

	assert_string_equal(llm_error_kind_name(LLM_ERR_NONE), "none");
	assert_string_equal(llm_error_kind_name(LLM_ERR_CONTEXT_LENGTH), "context_length");
	assert_string_equal(llm_error_kind_name(LLM_ERR_CIRCUIT_OPEN), "circuit_open");
	assert_string_equal(llm_error_kind_name(LLM_ERR_KIND_COUNT), "unknown");
	assert_string_equal(llm_error_kind_name((enum llm_error_kind)-1), "unknown");
	for (int k = 0; k < LLM_ERR_KIND_COUNT; k++) {
		seen[k] = llm_error_kind_name((enum llm_error_kind)k);
		assert_non_null(seen[k]);
		assert_string_not_equal(seen[k], "unknown");
		for (const char *p = seen[k]; *p; p++)
			assert_true((*p >= 'a' && *p <= 'z') || *p == '_');
		for (int j = 0; j < k; j++)
			assert_string_not_equal(seen[j], seen[k]);
	}
	llm_error_clear(&e);
	assert_int_equal(e.kind, LLM_ERR_NONE);
	assert_string_equal(e.message, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_llama_server_shapes),
		cmocka_unit_test(test_vllm_shapes),
		cmocka_unit_test(test_ollama_and_openai_shapes),
		cmocka_unit_test(test_non_json_bodies),
		cmocka_unit_test(test_errors_inside_a_stream),
		cmocka_unit_test(test_not_errors_leave_e_alone),
		cmocka_unit_test(test_message_is_cleaned_and_cut),
		cmocka_unit_test(test_copy_text),
		cmocka_unit_test(test_set_and_names),
	};

	return cmocka_run_group_tests_name("llm/llm_error", tests, NULL, NULL);
}
