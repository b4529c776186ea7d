/* t_size_arg.c - byte counts on the command line. */
#include <check.h>
#include <string.h>

#include "cstore/cstore.h"
#include "cli/size_arg.h"

Suite *size_arg_suite(void);

START_TEST(sizes_with_and_without_units_parse)
{
	static const struct {
		const char *in;
		uint64_t want;
	} ok[] = { { "0", 0 }, { "1000", 1000 }, { "64K", 65536 },
		{ "64k", 65536 }, { "2M", 2097152 }, { "2MiB", 2097152 },
		{ "5KB", 5120 }, { "1G", 1073741824 },
		{ "3T", 3298534883328ull }, { "4194304T", 1ull << 62 } };
	size_t i;
	uint64_t v;

	for (i = 0; i < sizeof(ok) / sizeof(*ok); i++) {
		v = 99;
		ck_assert_int_eq(cli_parse_size(ok[i].in, "--x", &v, NULL), 0);
		ck_assert_uint_eq(v, ok[i].want);
	}
}
END_TEST

START_TEST(anything_else_is_refused_naming_the_option)
{
	static const char *const bad[] = { "", "K", "-1", "1.5G", "12Q",
		"1KK", "1 K", "4194305T", "99999999999999999999" };
	struct cs_err err = { 0, "" };
	size_t i;
	uint64_t v = 7;

	for (i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		ck_assert_int_eq(
		    cli_parse_size(bad[i], "--max-object-size", &v, &err),
		    CS_E_INVAL);
	ck_assert_uint_eq(v, 7);
	ck_assert_str_eq(err.msg,
	    "--max-object-size '': expected a size in bytes, optionally "
	    "with K, M, G or T");
}
END_TEST

Suite *
size_arg_suite(void)
{
	Suite *s = suite_create("size_arg");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, sizes_with_and_without_units_parse);
	tcase_add_test(tc, anything_else_is_refused_naming_the_option);
	suite_add_tcase(s, tc);
	return s;
}
