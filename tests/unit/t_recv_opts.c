/* t_recv_opts.c - dcmrecv's option values (lib/cli/recv_opts). */
#include <check.h>
#include <string.h>

#include "cstore/cstore.h"
#include "cstore/storescp.h"
#include "cli/recv_opts.h"

Suite *recv_opts_suite(void);

START_TEST(status_accepts_hex_with_or_without_0x_and_decimal)
{
	struct cs_err err = { 0, "" };
	uint16_t st = 0;

	ck_assert_int_eq(cli_parse_status("A700", &st, &err), 0);
	ck_assert_uint_eq(st, 0xA700);
	ck_assert_int_eq(cli_parse_status("0xB000", &st, &err), 0);
	ck_assert_uint_eq(st, 0xB000);
	ck_assert_int_eq(cli_parse_status("42752", &st, &err), 0);
	ck_assert_uint_eq(st, 0xA700);
	ck_assert_int_eq(cli_parse_status("XYZ", &st, &err), CS_E_INVAL);
	ck_assert_str_eq(err.msg,
	    "status 'XYZ': expected a code such as A700 or 0xB000");
	ck_assert_uint_eq(st, 0xA700);
}
END_TEST

START_TEST(respond_every_wants_a_count_from_1_and_a_status)
{
	struct storescp_faults f = { 0 };
	struct cs_err err = { 0, "" };

	ck_assert_int_eq(cli_parse_respond_every("2:0xC000", &f, &err), 0);
	ck_assert_uint_eq(f.respond_every, 2);
	ck_assert_uint_eq(f.respond_every_status, 0xC000);
	ck_assert_int_eq(cli_parse_respond_every("A700", &f, &err), CS_E_INVAL);
	ck_assert_int_eq(cli_parse_respond_every(":A700", &f, &err), CS_E_INVAL);
	ck_assert_int_eq(cli_parse_respond_every("+3:A700", &f, &err), CS_E_INVAL);
	cs_err_clear(&err); /* the first error wins */
	ck_assert_int_eq(cli_parse_respond_every("1000000001:A700", &f, &err),
	    CS_E_INVAL);
	ck_assert_str_eq(err.msg,
	    "'1000000001:A700': N must be a number from 1 to 1000000000");
	ck_assert_int_eq(cli_parse_respond_every("3:XYZ", &f, &err), CS_E_INVAL);
	/* a failure leaves the faults as they were */
	ck_assert_uint_eq(f.respond_every, 2);
	ck_assert_uint_eq(f.respond_every_status, 0xC000);
}
END_TEST

START_TEST(reject_congestion_is_the_provider_and_bad_words_are_named)
{
	struct storescp_faults f = { 0 };
	struct cs_err err = { 0, "" };

	ck_assert_int_eq(cli_parse_reject("transient:congestion", &f, &err), 0);
	ck_assert_int_eq(f.reject, 1);
	ck_assert_uint_eq(f.reject_result, 2);
	ck_assert_uint_eq(f.reject_source, 3);
	ck_assert_uint_eq(f.reject_reason, 1);
	ck_assert_int_eq(cli_parse_reject("permanent:3", &f, &err), 0);
	ck_assert_uint_eq(f.reject_result, 1);
	ck_assert_uint_eq(f.reject_source, 1);
	ck_assert_uint_eq(f.reject_reason, 3);
	ck_assert_int_eq(cli_parse_reject("transientx", &f, &err), CS_E_INVAL);
	cs_err_clear(&err); /* the first error wins */
	ck_assert_int_eq(cli_parse_reject("transient:0", &f, &err), CS_E_INVAL);
	ck_assert_str_eq(err.msg,
	    "reject reason '0': expected 1-7, congestion or limit");
	ck_assert_uint_eq(f.reject_result, 1);
	ck_assert_uint_eq(f.reject_reason, 3);
}
END_TEST

START_TEST(dup_knows_the_four_policies)
{
	static const struct {
		const char *word;
		enum storescp_dup dup;
	} ok[] = {
		{ "overwrite", STORESCP_DUP_OVERWRITE },
		{ "keep", STORESCP_DUP_KEEP },
		{ "rename", STORESCP_DUP_RENAME },
		{ "reject", STORESCP_DUP_REJECT },
	};
	struct cs_err err = { 0, "" };
	enum storescp_dup d = STORESCP_DUP_KEEP;

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		ck_assert_int_eq(cli_parse_dup(ok[i].word, &d, &err), 0);
		ck_assert_int_eq(d, ok[i].dup);
	}
	cs_err_clear(&err); /* the first error wins */
	ck_assert_int_eq(cli_parse_dup("maybe", &d, &err), CS_E_INVAL);
	ck_assert_str_eq(err.msg,
	    "'maybe': expected overwrite, keep, rename or reject");
	ck_assert_int_eq(cli_parse_dup("Keep", &d, &err), CS_E_INVAL);
	ck_assert_int_eq(d, STORESCP_DUP_REJECT);
}
END_TEST

Suite *
recv_opts_suite(void)
{
	Suite *s = suite_create("recv_opts");
	TCase *tc = tcase_create("cli");

	tcase_add_test(tc, status_accepts_hex_with_or_without_0x_and_decimal);
	tcase_add_test(tc, respond_every_wants_a_count_from_1_and_a_status);
	tcase_add_test(tc, reject_congestion_is_the_provider_and_bad_words_are_named);
	tcase_add_test(tc, dup_knows_the_four_policies);
	suite_add_tcase(s, tc);
	return s;
}
