/* test_kb_synonyms.c - unit tests for the synonyms file parser (src/kb/kb_synonyms). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "kb/kb_synonyms.h"

static void test_parse_groups_and_comments(void **state)
{
	const char *text = "# synonyms for the demo bot\n"
			   "id-kaart, Identiteitskaart ,idkaart   # the card\n"
			   "\n"
			   "   \t\n"
			   "bewijs   van identiteit, ID\r\n"
			   "Financiën,financien";
	struct kb_synonyms *syn = NULL;
	struct lk_err err = { 0 };

	assert_int_equal(kb_synonyms_parse(&syn, "syn.txt", text, strlen(text), &err), 0);
	assert_non_null(syn);
	assert_int_equal(kb_synonyms_count(syn), 3);
	assert_int_equal(kb_synonyms_group_size(syn, 0), 3);
	assert_string_equal(kb_synonyms_member(syn, 0, 0), "id-kaart");
	assert_string_equal(kb_synonyms_member(syn, 0, 1), "identiteitskaart");
	assert_string_equal(kb_synonyms_member(syn, 0, 2), "idkaart");
	assert_string_equal(kb_synonyms_member(syn, 1, 0), "bewijs van identiteit");
	assert_string_equal(kb_synonyms_member(syn, 1, 1), "id");
	assert_string_equal(kb_synonyms_member(syn, 2, 0), "financien");
	assert_null(kb_synonyms_member(syn, 3, 0));
	assert_null(kb_synonyms_member(syn, 0, 3));
	kb_synonyms_free(syn);
}

static void expect_error(const char *text, size_t len, int code, const char *msg_part)
{
	struct kb_synonyms *syn = (struct kb_synonyms *)&syn;
	struct lk_err err = { 0 };

	assert_int_equal(kb_synonyms_parse(&syn, "syn.txt", text, len, &err), code);
	assert_null(syn);
	if (!strstr(err.msg, msg_part))
		fail_msg("message \"%s\" lacks \"%s\"", err.msg, msg_part);
}

static void test_errors_name_file_and_line(void **state)
{
	const char *one = "a, b\nalleen\n";
	const char *empty = "a, b\n\n# c\na, , c\n";
	const char *trailing = "a, b,\n";
	const char bad_utf8[] = "a, b\nc\xff, d\n";

	expect_error(one, strlen(one), LK_EPARSE, "syn.txt:2:");
	expect_error(empty, strlen(empty), LK_EPARSE, "syn.txt:4: empty term");
	expect_error(trailing, strlen(trailing), LK_EPARSE, "syn.txt:1: empty term");
	expect_error(bad_utf8, sizeof(bad_utf8) - 1, LK_EPARSE, "syn.txt:2: invalid UTF-8");
}

static void test_too_long_member(void **state)
{
	char line[KB_SYNONYMS_MAX_MEMBER + 20];

	memset(line, 'x', sizeof(line));
	memcpy(line + sizeof(line) - 4, ", y", 3);
	expect_error(line, sizeof(line) - 1, LK_EPARSE, "syn.txt:1: term longer");
}

static void test_load_file(void **state)
{
	char path[] = "/tmp/loket-test-synXXXXXX";
	struct kb_synonyms *syn = NULL;
	struct lk_err err = { 0 };
	int fd = mkstemp(path);
	FILE *f;

	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	fputs("rijbewijs, rijvaardigheidsbewijs\n", f);
	fclose(f);
	assert_int_equal(kb_synonyms_load(&syn, path, &err), 0);
	assert_int_equal(kb_synonyms_count(syn), 1);
	kb_synonyms_free(syn);
	remove(path);
	assert_int_equal(kb_synonyms_load(&syn, path, &err), LK_EIO);
	assert_null(syn);
	assert_non_null(strstr(err.msg, path));
}

static void test_empty_file(void **state)
{
	struct kb_synonyms *syn = NULL;

	assert_int_equal(kb_synonyms_parse(&syn, "e.txt", "", 0, NULL), 0);
	assert_int_equal(kb_synonyms_count(syn), 0);
	kb_synonyms_free(syn);
	kb_synonyms_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_groups_and_comments),
		cmocka_unit_test(test_errors_name_file_and_line),
		cmocka_unit_test(test_too_long_member),
		cmocka_unit_test(test_load_file),
		cmocka_unit_test(test_empty_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
