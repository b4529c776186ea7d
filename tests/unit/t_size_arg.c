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
		{ "5KiB", 5120 }, { "5Ki", 5120 }, { "5KB", 5000 },
		{ "5kb", 5000 }, { "2MB", 2000000 }, { "1GB", 1000000000 },
		{ "1.5K", 1536 }, { "0.5M", 524288 }, { "1.5G", 1610612736 },
		{ "0.25K", 256 }, { "2.0", 2 }, { "1.25KB", 1250 },
		{ "1G", 1073741824 }, { "3T", 3298534883328ull },
		{ "4194304T", 1ull << 62 } };
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
	static const char *const bad[] = { "", "K", "-1", ".5G", "1.G",
		"12Q", "1KK", "1 K", "1K ", "1B", "1KBB", "1iB", "4194305T",
		"4194304.5T", "1.0000000001K", "99999999999999999999" };
	struct cs_err err = { 0, "" };
	size_t i;
	uint64_t v = 7;

	for (i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		ck_assert_int_eq(
		    cli_parse_size(bad[i], "--max-object-size", &v, &err),
		    CS_E_INVAL);
	ck_assert_uint_eq(v, 7);
	ck_assert_str_eq(err.msg,
	    "--max-object-size '': expected a size in bytes, optionally with "
	    "K, M, G or T (powers of 1024; KB, MB... powers of 1000)");
}
END_TEST

/* A size that is no whole number of bytes is refused, never cut (it
 * was: "1.5" read as 1 byte, "0.97K" as 993). */
START_TEST(a_part_of_a_byte_is_refused_not_dropped)
{
	static const char *const part[] = { "1.5", "2.5", "0.001K", "0.97K",
		"1.1K", "1.0001KB", "0.5" };
	struct cs_err err = { 0, "" };
	size_t i;
	uint64_t v = 7;

	for (i = 0; i < sizeof(part) / sizeof(*part); i++) {
		cs_err_clear(&err);
		ck_assert_int_eq(
		    cli_parse_size(part[i], "--stow-bytes", &v, &err),
		    CS_E_INVAL);
		ck_assert_int_eq(cli_size_value(part[i], &v), CS_E_INVAL);
	}
	ck_assert_uint_eq(v, 7);
	ck_assert_str_eq(err.msg,
	    "--stow-bytes '0.5': not a whole number of bytes (a fraction "
	    "needs a unit that makes it whole, as 1.5K = 1536)");
}
END_TEST

Suite *
size_arg_suite(void)
{
	Suite *s = suite_create("size_arg");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, sizes_with_and_without_units_parse);
	tcase_add_test(tc, anything_else_is_refused_naming_the_option);
	tcase_add_test(tc, a_part_of_a_byte_is_refused_not_dropped);
	suite_add_tcase(s, tc);
	return s;
}
