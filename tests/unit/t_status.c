/* t_status.c - DIMSE status codes: categories, meanings, parsing. */
#include <check.h>
#include <string.h>

#include "cstore/cstore.h"
#include "core/status.h"

Suite *status_suite(void);

START_TEST(categories_follow_the_ranges_of_ps3_7_annex_c)
{
	static const struct {
		uint16_t code;
		enum status_category cat;
	} t[] = {
		{ 0x0000, STATUS_SUCCESS }, { 0x0001, STATUS_WARNING },
		{ 0x0107, STATUS_WARNING }, { 0x0116, STATUS_WARNING },
		{ 0xB000, STATUS_WARNING }, { 0xBFFF, STATUS_WARNING },
		{ 0x0100, STATUS_FAILURE }, { 0x0122, STATUS_FAILURE },
		{ 0x01FF, STATUS_FAILURE }, { 0x0213, STATUS_FAILURE },
		{ 0xA700, STATUS_FAILURE }, { 0xAFFF, STATUS_FAILURE },
		{ 0xC000, STATUS_FAILURE }, { 0xCFFF, STATUS_FAILURE },
		{ 0xFE00, STATUS_CANCEL }, { 0xFF00, STATUS_PENDING },
		{ 0xFF01, STATUS_PENDING }, { 0xFF02, STATUS_UNKNOWN },
		{ 0xFE01, STATUS_UNKNOWN }, { 0x0002, STATUS_UNKNOWN },
		{ 0x1234, STATUS_UNKNOWN }, { 0x0300, STATUS_UNKNOWN },
		{ 0xD000, STATUS_UNKNOWN }, { 0xFFFF, STATUS_UNKNOWN },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		ck_assert_msg(status_category_of(t[i].code) == t[i].cat,
		    "0x%04X", t[i].code);
	ck_assert_str_eq(status_category_name(STATUS_CANCEL), "Cancel");
	ck_assert_int_eq(status_is_stored(STATUS_WARNING), 1);
	ck_assert_int_eq(status_is_stored(STATUS_PENDING), 0);
}
END_TEST

START_TEST(every_table_entry_agrees_with_its_range_category)
{
	size_t i;

	ck_assert_uint_ge(status_count(), 40);
	for (i = 0; i < status_count(); i++) {
		const struct status_entry *e = status_at(i);

		ck_assert_uint_le(e->lo, e->hi);
		ck_assert_msg(status_category_of(e->lo) == e->category &&
		    status_category_of(e->hi) == e->category,
		    "0x%04X: %s", e->lo, e->meaning);
	}
	ck_assert_ptr_null(status_at(status_count()));
}
END_TEST

START_TEST(named_codes_are_in_the_table_with_their_category)
{
	static const struct {
		uint16_t code;
		enum status_category cat;
	} t[] = {
		{ STATUS_CODE_SUCCESS, STATUS_SUCCESS },
		{ STATUS_CODE_DUPLICATE_INSTANCE, STATUS_FAILURE },
		{ STATUS_CODE_CLASS_NOT_SUPPORTED, STATUS_FAILURE },
		{ STATUS_CODE_UNRECOGNIZED_OPERATION, STATUS_FAILURE },
		{ STATUS_CODE_OUT_OF_RESOURCES, STATUS_FAILURE },
		{ STATUS_CODE_DATASET_MISMATCH, STATUS_FAILURE },
		{ STATUS_CODE_COERCION, STATUS_WARNING },
		{ STATUS_CODE_DATASET_MISMATCH_WARNING, STATUS_WARNING },
		{ STATUS_CODE_CANNOT_UNDERSTAND, STATUS_FAILURE },
	};
	struct status_info si;
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		status_explain(t[i].code, "C-STORE", &si);
		ck_assert_msg(si.std != NULL && si.category == t[i].cat,
		    "0x%04X", t[i].code);
	}
}
END_TEST

START_TEST(c_store_codes_have_the_meanings_of_ps3_4_table_b_2_1)
{
	struct status_info si;

	status_explain(0xA7F3, "C-STORE", &si);
	ck_assert_ptr_nonnull(si.std);
	ck_assert_uint_eq(si.std->lo, 0xA700);
	ck_assert_uint_eq(si.std->hi, 0xA7FF);
	ck_assert_ptr_nonnull(strstr(si.std->meaning, "out of resources"));
	ck_assert_int_eq(si.category, STATUS_FAILURE);

	/* the reference swaps these two; PS3.4 Table B.2-1 does not */
	status_explain(0xB006, "C-STORE", &si);
	ck_assert_str_eq(si.std->meaning, "Elements discarded");
	status_explain(0xB007, "C-STORE", &si);
	ck_assert_str_eq(si.std->meaning, "Data set does not match SOP Class");
	ck_assert_int_eq(si.category, STATUS_WARNING);

	/* SOP Class not supported is 0122, not 0112 (PS3.7 C.5.20) */
	status_explain(0x0122, "C-STORE", &si);
	ck_assert_str_eq(si.std->service, "C-STORE");
	ck_assert_ptr_nonnull(strstr(si.std->meaning, "SOP Class not supported"));
	status_explain(0x0112, "C-STORE", &si);
	ck_assert_str_eq(si.std->service, "*");
	ck_assert_ptr_null(strstr(si.std->meaning, "SOP Class not supported"));
}
END_TEST

START_TEST(pynetdicom_codes_are_marked_as_implementation_specific)
{
	struct status_info si;

	status_explain(0xC210, "C-STORE", &si);
	ck_assert_ptr_nonnull(si.impl);
	ck_assert_str_eq(si.impl->impl, "pynetdicom");
	ck_assert_ptr_nonnull(strstr(si.impl->meaning, "decode"));
	/* the standard meaning of the range still applies */
	ck_assert_ptr_nonnull(si.std);
	ck_assert_uint_eq(si.std->lo, 0xC000);
	ck_assert_int_eq(si.category, STATUS_FAILURE);
	status_explain(0xC211, "C-STORE", &si);
	ck_assert_ptr_nonnull(strstr(si.impl->meaning, "exception"));
	status_explain(0xC001, "C-STORE", &si);
	ck_assert_ptr_nonnull(si.impl);
	status_explain(0xC005, "C-STORE", &si);
	ck_assert_ptr_null(si.impl);
}
END_TEST

/* PS3.7 10.1.1.1.8 and 10.1.4.1.10: every status each DIMSE-N service
 * the tools speak may answer has a row of that service. */
START_TEST(n_event_report_and_n_action_name_every_status_ps3_7_lists)
{
	static const uint16_t ner[] = { 0x0000, 0x0110, 0x0112, 0x0113,
		0x0114, 0x0115, 0x0117, 0x0118, 0x0119, 0x0210, 0x0211, 0x0212,
		0x0213 };
	static const uint16_t nac[] = { 0x0000, 0x0110, 0x0112, 0x0114,
		0x0115, 0x0117, 0x0118, 0x0119, 0x0123, 0x0124, 0x0210, 0x0211,
		0x0212, 0x0213 };
	struct status_info si;
	size_t i;

	for (i = 0; i < sizeof(ner) / sizeof(ner[0]); i++) {
		status_explain(ner[i], "N-EVENT-REPORT", &si);
		ck_assert_msg(si.std != NULL &&
			strcmp(si.std->service, "N-EVENT-REPORT") == 0,
		    "N-EVENT-REPORT 0x%04X", ner[i]);
	}
	for (i = 0; i < sizeof(nac) / sizeof(nac[0]); i++) {
		status_explain(nac[i], "N-ACTION", &si);
		ck_assert_msg(si.std != NULL &&
			strcmp(si.std->service, "N-ACTION") == 0,
		    "N-ACTION 0x%04X", nac[i]);
	}
}
END_TEST

START_TEST(unknown_codes_get_their_range_category)
{
	struct status_info si;

	status_explain(0xA801, "C-STORE", &si);
	ck_assert_ptr_null(si.std);
	ck_assert_int_eq(si.category, STATUS_FAILURE);
	status_explain(0xB123, "C-STORE", &si);
	ck_assert_ptr_null(si.std);
	ck_assert_int_eq(si.category, STATUS_WARNING);
	status_explain(0x4242, "C-STORE", &si);
	ck_assert_int_eq(si.category, STATUS_UNKNOWN);
	/* without a service, C-STORE-only ranges do not apply */
	status_explain(0xA700, NULL, &si);
	ck_assert_ptr_null(si.std);
	ck_assert_int_eq(si.category, STATUS_FAILURE);
}
END_TEST

START_TEST(codes_parse_as_hex_or_decimal)
{
	static const struct {
		const char *s;
		int ok;
		uint16_t v;
	} t[] = {
		{ "0xA700", 1, 0xA700 }, { "A700", 1, 0xA700 }, { "a700", 1, 0xA700 },
		{ "42752", 1, 0xA700 }, { "0X00ff", 1, 0x00FF }, { "0110", 1, 0x0110 },
		{ "272", 1, 0x0110 }, { "0", 1, 0 }, { "65535", 1, 0xFFFF },
		{ "0xFFFF", 1, 0xFFFF }, { "0x1FFFF", 0, 0 }, { "65536", 0, 0 },
		{ "zz", 0, 0 }, { "", 0, 0 }, { "0x", 0, 0 }, { "-1", 0, 0 },
		{ " 1", 0, 0 }, { "1 ", 0, 0 }, { "12a45", 0, 0 }, { "999999999", 0, 0 },
		/* short hex without 0x: 00A7, or the A7 of A700? never guessed */
		{ "a7", 0, 0 }, { "A7", 0, 0 }, { "b", 0, 0 }, { "fff", 0, 0 },
		{ "1a0", 0, 0 }, { "0xa7", 1, 0x00A7 }, { "0xb", 1, 0x000B },
		{ "0a700", 1, 0xA700 },
	};
	size_t i;
	uint16_t v;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		v = 0x5555;
		ck_assert_msg((status_parse_code(t[i].s, &v) == 0) == t[i].ok,
		    "'%s'", t[i].s);
		if (t[i].ok)
			ck_assert_uint_eq(v, t[i].v);
	}
	ck_assert_int_eq(status_parse_code(NULL, &v), CS_E_INVAL);
	ck_assert(status_code_is_short_hex("a7") && status_code_is_short_hex("FFF"));
	ck_assert(!status_code_is_short_hex("0xa7") && !status_code_is_short_hex("a700"));
	ck_assert(!status_code_is_short_hex("110") && !status_code_is_short_hex("zz"));
	ck_assert(!status_code_is_short_hex("") && !status_code_is_short_hex(NULL));
}
END_TEST

Suite *
status_suite(void)
{
	Suite *s = suite_create("status");
	TCase *tc = tcase_create("status");

	tcase_add_test(tc, categories_follow_the_ranges_of_ps3_7_annex_c);
	tcase_add_test(tc, every_table_entry_agrees_with_its_range_category);
	tcase_add_test(tc, c_store_codes_have_the_meanings_of_ps3_4_table_b_2_1);
	tcase_add_test(tc, named_codes_are_in_the_table_with_their_category);
	tcase_add_test(tc, pynetdicom_codes_are_marked_as_implementation_specific);
	tcase_add_test(tc, n_event_report_and_n_action_name_every_status_ps3_7_lists);
	tcase_add_test(tc, unknown_codes_get_their_range_category);
	tcase_add_test(tc, codes_parse_as_hex_or_decimal);
	suite_add_tcase(s, tc);
	return s;
}
