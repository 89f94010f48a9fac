/* Container names: what is accepted, what is refused and the one-line error a user sees. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "base/name.h"

/* A name of n characters: components of 'a'..., comp characters each, '/' between. */
static void make_name(char *buf, size_t n, size_t comp)
{
	for (size_t i = 0; i < n; i++)
		buf[i] = (i % (comp + 1) == comp) ? '/' : 'a';
	buf[n] = '\0';
}

static void test_good_names(void **state)
{
	static const char *const good[] = {
		"a",	 "jobA",	"jobA/sub1", "A-b_c.d", "a.b",	   "...",
		"a/..b", "x/.hidden/y", "0",	     "-",	"a/b/c/d", "_/_/_",
	};
	char out[LMC_NAME_MAX + 1];
	(void)state;

	for (size_t i = 0; i < ARRAY_SIZE(good); i++) {
		struct lmc_err err = {0};

		memset(out, 'x', sizeof(out));
		assert_int_equal(lmc_name_parse(good[i], out, &err), 0);
		assert_string_equal(out, good[i]);
		assert_int_equal(err.code, 0);
		assert_true(lmc_name_is_valid(good[i]));
	}
}

static void test_limits(void **state)
{
	char buf[600], out[LMC_NAME_MAX + 1];
	(void)state;

	/* one component of exactly 64 is fine, 65 is not */
	make_name(buf, 64, 64);
	assert_int_equal(lmc_name_parse(buf, out, NULL), 0);
	make_name(buf, 65, 65);
	assert_int_equal(lmc_name_parse(buf, out, NULL), -EINVAL);
	/* total of exactly 255 (components of 62 + '/') is fine, 256 is not */
	make_name(buf, 255, 62);
	assert_int_equal(lmc_name_parse(buf, out, NULL), 0);
	assert_string_equal(out, buf);
	make_name(buf, 256, 62);
	assert_int_equal(lmc_name_parse(buf, out, NULL), -EINVAL);
	/* depth 16 is fine, 17 is not */
	make_name(buf, 16 * 2 - 1, 1);
	assert_int_equal(lmc_name_depth(buf), 16);
	assert_int_equal(lmc_name_parse(buf, out, NULL), 0);
	make_name(buf, 17 * 2 - 1, 1);
	assert_int_equal(lmc_name_parse(buf, out, NULL), -EINVAL);
	assert_false(lmc_name_is_valid(buf));
}

struct bad_name {
	const char *name;
	const char *why;
};

static void test_bad_names(void **state)
{
	static const struct bad_name bad[] = {
		{"/abs", "must not start with '/'"},
		{"a//b", "empty component"},
		{"a/", "trailing '/'"},
		{"//", "must not start with '/'"},
		{"../x", "'.' and '..'"},
		{"./x", "'.' and '..'"},
		{"a/.", "'.' and '..'"},
		{"a/../b", "'.' and '..'"},
		{".", "'.' and '..'"},
		{"..", "'.' and '..'"},
		{"a b", "characters allowed"},
		{"a\nb", "characters allowed"},
		{"a*", "characters allowed"},
		{"caf\xc3\xa9", "characters allowed"},
		{"a:b", "characters allowed"},
	};
	char out[LMC_NAME_MAX + 1];
	(void)state;

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		struct lmc_err err = {0};
		char want[128];

		assert_int_equal(lmc_name_parse(bad[i].name, out, &err), -EINVAL);
		assert_int_equal(err.code, -EINVAL);
		assert_false(lmc_name_is_valid(bad[i].name));
		assert_null(strchr(err.msg, '\n'));
		assert_non_null(strstr(err.msg, bad[i].why));
		if (!strchr(bad[i].name, '\n')) {
			snprintf(want, sizeof(want), "invalid container name '%s': ", bad[i].name);
			assert_non_null(strstr(err.msg, want));
		}
	}
}

/* The bad names of issue 3: each error names the value and says why, on one line. */
static void test_issue3_names(void **state)
{
	char long_name[301], out[LMC_NAME_MAX + 1];
	struct lmc_err err = {0};
	(void)state;

	assert_int_equal(lmc_name_parse("../x", out, &err), -EINVAL);
	assert_string_equal(err.msg, "invalid container name '../x': '.' and '..' are not allowed");
	lmc_err_clear(&err);
	assert_int_equal(lmc_name_parse("a//b", out, &err), -EINVAL);
	assert_string_equal(err.msg, "invalid container name 'a//b': empty component");
	lmc_err_clear(&err);
	assert_int_equal(lmc_name_parse("/abs", out, &err), -EINVAL);
	assert_string_equal(err.msg, "invalid container name '/abs': must not start with '/'");
	lmc_err_clear(&err);
	memset(long_name, 'x', 300);
	long_name[300] = '\0';
	assert_int_equal(lmc_name_parse(long_name, out, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "invalid container name 'xxxxxxxxxxxxxxxx"));
	assert_non_null(strstr(err.msg, "longer than 255 characters"));
	assert_null(strchr(err.msg, '\n'));
	/* the 300-character value is shortened, not the reason */
	assert_true(strlen(err.msg) < 120);
}

static void test_root(void **state)
{
	char out[LMC_NAME_MAX + 1];
	(void)state;

	memset(out, 'x', sizeof(out));
	assert_int_equal(lmc_name_parse("/", out, NULL), 0);
	assert_string_equal(out, "");
	assert_int_equal(lmc_name_parse("", out, NULL), 0);
	assert_string_equal(out, "");
	assert_true(lmc_name_is_root(""));
	assert_true(lmc_name_is_root("/"));
	assert_false(lmc_name_is_root("a"));
	assert_true(lmc_name_is_valid("/"));
	assert_int_equal(lmc_name_depth(""), 0);
	assert_int_equal(lmc_name_depth("/"), 0);
	assert_string_equal(lmc_name_display(""), "/");
	assert_string_equal(lmc_name_display("jobA/sub1"), "jobA/sub1");
	assert_int_equal(lmc_name_parent("", out, sizeof(out)), -EINVAL);
	assert_int_equal(lmc_name_parse(NULL, out, NULL), -EINVAL);
	assert_false(lmc_name_is_valid(NULL));
}

static void test_depth_parent_basename(void **state)
{
	char out[LMC_NAME_MAX + 1];
	(void)state;

	assert_int_equal(lmc_name_depth("a"), 1);
	assert_int_equal(lmc_name_depth("a/b/c"), 3);
	assert_int_equal(lmc_name_parent("a/b/c", out, sizeof(out)), 0);
	assert_string_equal(out, "a/b");
	assert_int_equal(lmc_name_parent("a", out, sizeof(out)), 0);
	assert_string_equal(out, "");
	/* too small a buffer is refused, not truncated */
	assert_int_equal(lmc_name_parent("abc/d", out, 3), -ENAMETOOLONG);
	assert_int_equal(lmc_name_parent("abc/d", out, 4), 0);
	assert_string_equal(out, "abc");
	assert_string_equal(lmc_name_basename("a/b/c"), "c");
	assert_string_equal(lmc_name_basename("jobA"), "jobA");
	assert_string_equal(lmc_name_basename(""), "");
}

static void test_join(void **state)
{
	char out[LMC_NAME_MAX + 1], big[300];
	(void)state;

	assert_int_equal(lmc_name_join("", "a", out, sizeof(out)), 0);
	assert_string_equal(out, "a");
	assert_int_equal(lmc_name_join("/", "a", out, sizeof(out)), 0);
	assert_string_equal(out, "a");
	assert_int_equal(lmc_name_join("jobA", "sub1", out, sizeof(out)), 0);
	assert_string_equal(out, "jobA/sub1");
	assert_int_equal(lmc_name_join("a/b", "c", out, sizeof(out)), 0);
	assert_string_equal(out, "a/b/c");
	assert_int_equal(lmc_name_join("a", "..", out, sizeof(out)), -EINVAL);
	assert_int_equal(lmc_name_join("a", "", out, sizeof(out)), -EINVAL);
	assert_int_equal(lmc_name_join("a", "b c", out, sizeof(out)), -EINVAL);
	assert_int_equal(lmc_name_join("a", "/b", out, sizeof(out)), -EINVAL);
	assert_int_equal(lmc_name_join("jobA", "sub1", out, 9), -ENAMETOOLONG);
	make_name(big, 250, 60);
	assert_int_equal(lmc_name_join(big, "abcdef", out, sizeof(out)), -ENAMETOOLONG);
	assert_int_equal(lmc_name_join(big, "abcd", out, sizeof(out)), 0);
	assert_int_equal(strlen(out), 255);
}

static void test_is_under(void **state)
{
	(void)state;
	assert_true(lmc_name_is_under("a/b", "a"));
	assert_true(lmc_name_is_under("a/b/c", "a/b"));
	assert_true(lmc_name_is_under("a", "a"));
	assert_true(lmc_name_is_under("a", ""));
	assert_true(lmc_name_is_under("", "/"));
	assert_false(lmc_name_is_under("ab", "a"));
	assert_false(lmc_name_is_under("a/bc", "a/b"));
	assert_false(lmc_name_is_under("a", "a/b"));
	assert_false(lmc_name_is_under("", "a"));
	assert_false(lmc_name_is_under("b/a", "a"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_names), cmocka_unit_test(test_limits),
		cmocka_unit_test(test_bad_names),  cmocka_unit_test(test_issue3_names),
		cmocka_unit_test(test_root),	   cmocka_unit_test(test_depth_parent_basename),
		cmocka_unit_test(test_join),	   cmocka_unit_test(test_is_under),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
