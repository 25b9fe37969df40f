/* test_buf.c - unit tests for the bounded buffer (core/buf). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/err.h"

static void test_empty_buffer_is_a_string(void **state)
{
	struct buf b;

	buf_init(&b, 16);
	assert_non_null(b.ptr);
	assert_string_equal(b.ptr, "");
	buf_release(&b);
}

static void test_append_and_format(void **state)
{
	struct buf b;

	buf_init(&b, 0);
	assert_int_equal(buf_adds(&b, "rijbewijs"), 0);
	assert_int_equal(buf_addf(&b, " %d %s", 42, "x"), 0);
	assert_string_equal(b.ptr, "rijbewijs 42 x");
	assert_int_equal(b.len, strlen("rijbewijs 42 x"));
	buf_release(&b);
}

static void test_maximum_is_enforced(void **state)
{
	struct buf b;

	buf_init(&b, 8);
	assert_int_equal(buf_adds(&b, "12345678"), 0);
	assert_int_equal(buf_addc(&b, '9'), LK_ETOOBIG);
	assert_int_equal(buf_addf(&b, "%s", "x"), LK_ETOOBIG);
	assert_string_equal(b.ptr, "12345678");
	buf_release(&b);
}

static void test_detach_gives_ownership(void **state)
{
	struct buf b;
	size_t len;
	char *s;

	buf_init(&b, 0);
	buf_adds(&b, "abc  \n");
	buf_rtrim(&b);
	s = buf_detach(&b, &len);
	assert_string_equal(s, "abc");
	assert_int_equal(len, 3);
	assert_int_equal(b.len, 0);
	free(s);
	s = buf_detach(&b, NULL);
	assert_string_equal(s, "");
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty_buffer_is_a_string),
		cmocka_unit_test(test_append_and_format),
		cmocka_unit_test(test_maximum_is_enforced),
		cmocka_unit_test(test_detach_gives_ownership),
	};
	return cmocka_run_group_tests_name("core/buf", tests, NULL, NULL);
}
