/* test_llm_sse.c - unit tests for the incremental text/event-stream parser
 * (src/llm/llm_sse): WHATWG field rules, every line ending, splits at every
 * byte, bounds, and the streams llama-server, vLLM and Ollama write. */
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
#include "llm/llm_sse.h"

/* What the callback saw: events rendered as "<type>|<data>" joined by "#". */
struct seen {
	struct buf log;
	int n;
	int stop_at; /* return 7 from the event with this number (1-based); 0: never */
};

static int on_event(void *ud, const char *event, const char *data, size_t len)
{
	struct seen *s = ud;

	assert_int_equal(data[len], '\0');
	s->n++;
	if (s->log.len)
		buf_addc(&s->log, '#');
	buf_adds(&s->log, event);
	buf_addc(&s->log, '|');
	buf_add(&s->log, data, len);
	return s->n == s->stop_at ? 7 : 0;
}

static void seen_init(struct seen *s)
{
	buf_init(&s->log, 0);
	s->n = 0;
	s->stop_at = 0;
}

/* Parses text in one feed and returns the log (caller frees). */
static char *parse_all(const char *text, size_t len, int *pending)
{
	struct llm_sse p;
	struct seen s;
	struct lk_err err = { 0 };

	seen_init(&s);
	llm_sse_init(&p, 4096);
	assert_int_equal(llm_sse_feed(&p, text, len, on_event, &s, &err), 0);
	*pending = llm_sse_finish(&p);
	llm_sse_release(&p);
	return buf_detach(&s.log, NULL);
}

static void expect(const char *text, const char *log)
{
	int pending;
	char *got = parse_all(text, strlen(text), &pending);

	assert_string_equal(got, log);
	free(got);
}

static void test_fields(void **state)
{
	expect("data: a\n\n", "|a");
	expect("data: a\ndata: b\n\n", "|a\nb");
	expect("data:x\n\n", "|x");
	expect("data:  x \n\n", "| x ");          /* only one space is stripped */
	expect("data\n\n", "|");                 /* no colon: the field with an empty value */
	expect("data:\n\n", "|");
	expect("data:\ndata:\n\n", "|\n");
	expect("event: error\ndata: {}\n\n", "error|{}");
	expect("event:delta\ndata: 1\n\ndata: 2\n\n", "delta|1#|2"); /* the type does not stick */
	expect("id: 7\nretry: 1000\nfoo: bar\ndata: a\n\n", "|a");
	expect("Data: a\n\n", "");               /* field names are case-sensitive */
	expect("data: a:b: c\n\n", "|a:b: c");
	expect("\n\n\n", "");
	expect("event: x\n\n", "");              /* no data line: nothing dispatched */
	expect("event: x\n\ndata: y\n\n", "|y");
	expect("data: a\n", "");                 /* no blank line: no event */
	expect("event: abcdefghijklmnopqrstuvwxyz0123456789\ndata: v\n\n",
	       "abcdefghijklmnopqrstuvwxyz01234|v");
}

static void test_comments_and_pings(void **state)
{
	expect(": ping\n\n", "");
	expect(": keep-alive\n\n: keep-alive\n\n", "");
	expect(":\ndata: x\n: tussendoor\ndata: y\n\n", "|x\ny");
}

static void test_line_endings(void **state)
{
	expect("data: a\r\n\r\n", "|a");
	expect("data: a\r\rdata: b\r\r", "|a#|b");
	expect("data: a\r\ndata: b\n\r\n", "|a\nb");
	expect("data: a\n\r\n\rdata: b\r\n\n", "|a#|b");
}

static void test_bom_nul_and_utf8(void **state)
{
	const char nul[] = "data: a\0b\n\n";
	struct llm_sse p;
	struct seen s;
	struct lk_err err;
	int pending;
	char *got;

	expect("\xef\xbb\xbf" "data: a\n\n", "|a");
	/* Only one BOM, only at the start. */
	expect("\xef\xbb\xbf" "data: \xef\xbb\xbf" "a\n\n", "|\xef\xbb\xbf" "a");
	expect("data: h\xc3\xa9\xe2\x82\xac\n\n", "|h\xc3\xa9\xe2\x82\xac");

	got = parse_all(nul, sizeof(nul) - 1, &pending);
	assert_memory_equal(got, "|a\0b", 4);
	free(got);

	/* A BOM split over three feeds. */
	seen_init(&s);
	llm_sse_init(&p, 0);
	assert_int_equal(llm_sse_feed(&p, "\xef", 1, on_event, &s, &err), 0);
	assert_int_equal(llm_sse_feed(&p, "\xbb", 1, on_event, &s, &err), 0);
	assert_int_equal(llm_sse_feed(&p, "\xbf" "data: a\n\n", 10, on_event, &s, &err), 0);
	assert_string_equal(s.log.ptr, "|a");
	assert_int_equal(llm_sse_finish(&p), 0);

	/* Bytes that only began like a BOM are text: here an unknown field. */
	assert_int_equal(llm_sse_feed(&p, "\xef\xbb", 2, on_event, &s, &err), 0);
	assert_int_equal(llm_sse_feed(&p, "data: b\n\ndata: c\n\n", 18, on_event, &s, &err), 0);
	assert_string_equal(s.log.ptr, "|a#|c");
	assert_int_equal(llm_sse_finish(&p), 0);
	/* A stream that ended inside a BOM had something pending. */
	assert_int_equal(llm_sse_feed(&p, "\xef", 1, on_event, &s, &err), 0);
	assert_int_equal(llm_sse_finish(&p), 1);
	llm_sse_release(&p);
	buf_release(&s.log);
}

static void test_legacy_error_field(void **state)
{
	/* Old llama-server: "error: {json}" instead of a data line. */
	expect("error: {\"code\":500,\"message\":\"x\",\"type\":\"server_error\"}\n\n",
	       "error|{\"code\":500,\"message\":\"x\",\"type\":\"server_error\"}");
	expect("event: fout\nerror: 1\n\n", "fout|1");
}

/* A llama-server stream as it is on the wire, pings and all. */
static const char llama_stream[] =
	"data: {\"choices\":[{\"finish_reason\":null,\"index\":0,\"delta\":{\"role\":\"assistant\","
	"\"content\":null}}],\"created\":1727722540,\"id\":\"chatcmpl-Jo8sfGpfx3DNUCBNhbKlxnWFYwN1R2tW\","
	"\"model\":\"qwen2.5-7b-instruct\",\"system_fingerprint\":\"b4514-a4417ddd\","
	"\"object\":\"chat.completion.chunk\"}\n\n"
	": ping\n\n"
	"data: {\"choices\":[{\"finish_reason\":null,\"index\":0,\"delta\":{\"content\":\"Goedemorgen\"}}],"
	"\"created\":1727722540,\"id\":\"chatcmpl-Jo8sfGpfx3DNUCBNhbKlxnWFYwN1R2tW\",\"model\":"
	"\"qwen2.5-7b-instruct\",\"system_fingerprint\":\"b4514-a4417ddd\","
	"\"object\":\"chat.completion.chunk\"}\r\n\r\n"
	"data: {\"choices\":[{\"finish_reason\":null,\"index\":0,\"delta\":{\"content\":\", \xc3\xa9\xc3\xa9n "
	"moment\"}}],\"created\":1727722540,\"id\":\"chatcmpl-Jo8sfGpfx3DNUCBNhbKlxnWFYwN1R2tW\","
	"\"model\":\"qwen2.5-7b-instruct\",\"system_fingerprint\":\"b4514-a4417ddd\","
	"\"object\":\"chat.completion.chunk\"}\r\r"
	"data: [DONE]\n\n";

static void test_split_at_every_byte(void **state)
{
	const size_t len = sizeof(llama_stream) - 1;
	int pending;
	char *whole = parse_all(llama_stream, len, &pending);

	assert_int_equal(pending, 0);
	assert_non_null(strstr(whole, "Goedemorgen"));
	assert_non_null(strstr(whole, "#|[DONE]"));
	for (size_t cut = 0; cut <= len; cut++) {
		struct llm_sse p;
		struct seen s;
		struct lk_err err;

		seen_init(&s);
		llm_sse_init(&p, 4096);
		assert_int_equal(llm_sse_feed(&p, llama_stream, cut, on_event, &s, &err), 0);
		assert_int_equal(llm_sse_feed(&p, llama_stream + cut, len - cut, on_event, &s, &err), 0);
		assert_int_equal(llm_sse_finish(&p), 0);
		assert_int_equal(s.n, 4);
		assert_string_equal(s.log.ptr, whole);
		llm_sse_release(&p);
		buf_release(&s.log);
	}
	/* And one byte at a time. */
	{
		struct llm_sse p;
		struct seen s;
		struct lk_err err;

		seen_init(&s);
		llm_sse_init(&p, 4096);
		for (size_t i = 0; i < len; i++)
			assert_int_equal(llm_sse_feed(&p, llama_stream + i, 1, on_event, &s, &err), 0);
		assert_string_equal(s.log.ptr, whole);
		llm_sse_release(&p);
		buf_release(&s.log);
	}
	free(whole);
}

static void test_callback_stops(void **state)
{
	const char *text = "data: 1\n\ndata: 2\n\ndata: 3\n\n";
	struct llm_sse p;
	struct seen s;
	struct lk_err err;

	seen_init(&s);
	s.stop_at = 2;
	llm_sse_init(&p, 0);
	assert_int_equal(llm_sse_feed(&p, text, strlen(text), on_event, &s, &err), 7);
	assert_string_equal(s.log.ptr, "|1#|2");
	/* A NULL callback parses and drops. */
	assert_int_equal(llm_sse_feed(&p, text, strlen(text), NULL, NULL, &err), 0);
	llm_sse_release(&p);
	buf_release(&s.log);
}

static void test_bounds(void **state)
{
	char line[64];
	struct llm_sse p;
	struct seen s;
	struct lk_err err = { 0 };

	seen_init(&s);
	llm_sse_init(&p, 16);
	/* Exactly at the bound is fine. */
	assert_int_equal(llm_sse_feed(&p, "data: 0123456789\n\n", 18, on_event, &s, &err), 0);
	assert_int_equal(llm_sse_feed(&p, "data:0123456789a\n\n", 18, on_event, &s, &err), 0);
	assert_string_equal(s.log.ptr, "|0123456789#|0123456789a");

	/* One line too long, in one feed. */
	assert_int_equal(llm_sse_feed(&p, "data: 0123456789ab\n\n", 20, on_event, &s, &err), LK_ETOOBIG);
	assert_int_equal(err.code, LK_ETOOBIG);
	assert_non_null(strstr(err.msg, "16 bytes"));
	/* Sticky until finish. */
	assert_int_equal(llm_sse_feed(&p, "data: a\n\n", 9, on_event, &s, &err), LK_ETOOBIG);
	assert_int_equal(s.n, 2);
	llm_sse_finish(&p);
	assert_int_equal(llm_sse_feed(&p, "data: a\n\n", 9, on_event, &s, &err), 0);
	assert_int_equal(s.n, 3);

	/* A line too long across feeds, with no newline in sight. */
	memset(line, 'x', sizeof(line));
	assert_int_equal(llm_sse_feed(&p, line, 10, on_event, &s, &err), 0);
	assert_int_equal(llm_sse_feed(&p, line, 10, on_event, &s, &err), LK_ETOOBIG);
	llm_sse_finish(&p);

	/* Short lines, but the event as a whole too long; also a long comment. */
	assert_int_equal(llm_sse_feed(&p, "data: 0123456\ndata: 0123456\ndata: 0\n\n", 37, on_event, &s,
				      &err), LK_ETOOBIG);
	llm_sse_finish(&p);
	assert_int_equal(llm_sse_feed(&p, ": 0123456789abcdefghij\n", 23, on_event, &s, &err),
			 LK_ETOOBIG);
	llm_sse_finish(&p);
	assert_int_equal(s.n, 3);
	/* err may be NULL. */
	assert_int_equal(llm_sse_feed(&p, ": 0123456789abcdefghij\n", 23, on_event, &s, NULL),
			 LK_ETOOBIG);
	llm_sse_release(&p);
	buf_release(&s.log);
}

static void test_finish_reports_incomplete(void **state)
{
	struct llm_sse p;
	struct seen s;
	struct lk_err err;

	seen_init(&s);
	llm_sse_init(&p, 0);
	assert_int_equal(llm_sse_finish(&p), 0);
	llm_sse_feed(&p, "data: {\"a\":1}\n", 14, on_event, &s, &err);
	assert_int_equal(llm_sse_finish(&p), 1);
	assert_int_equal(s.n, 0);
	llm_sse_feed(&p, "data: {\"a\"", 10, on_event, &s, &err);
	assert_int_equal(llm_sse_finish(&p), 1);
	llm_sse_feed(&p, "data: 1\n\n: ping\n\r", 17, on_event, &s, &err);
	assert_int_equal(llm_sse_finish(&p), 0);
	assert_int_equal(s.n, 1);
	/* After finish the parser starts a new stream: a "\n" after the "\r"
	 * above is a blank line of its own, and a BOM is skipped again. */
	llm_sse_feed(&p, "\xef\xbb\xbf" "data: 2\n\n", 12, on_event, &s, &err);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.log.ptr, "|1#|2");
	llm_sse_release(&p);
	llm_sse_release(&p); /* releasing twice is harmless */
	buf_release(&s.log);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fields),
		cmocka_unit_test(test_comments_and_pings),
		cmocka_unit_test(test_line_endings),
		cmocka_unit_test(test_bom_nul_and_utf8),
		cmocka_unit_test(test_legacy_error_field),
		cmocka_unit_test(test_split_at_every_byte),
		cmocka_unit_test(test_callback_stops),
		cmocka_unit_test(test_bounds),
		cmocka_unit_test(test_finish_reports_incomplete),
	};

	return cmocka_run_group_tests_name("llm/llm_sse", tests, NULL, NULL);
}
