/* t_element.c - the data element dictionary (core/element.h), generated
 * from data/elements.tsv: plain tags, repeating groups, private ones. */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "cstore/cstore.h"
#include "core/element.h"

Suite *element_suite(void);

/* The VR(s) of tag as "VR" or "VR/alt", or "-" when not found. */
static const char *
vr_of(uint32_t tag)
{
	static const char *const alt[] = { "", "/US or SS", "/OB or OW",
		"/US or OW", "/US or SS or OW" };
	static char s[24];
	const struct element_entry *e = element_find(tag);

	if (e == NULL)
		return "-";
	ck_assert_uint_lt(e->alt, sizeof(alt) / sizeof(alt[0]));
	snprintf(s, sizeof(s), "%c%c%s", e->vr[0], e->vr[1], alt[e->alt]);
	return s;
}

START_TEST(element_plain_tags_have_their_ps3_6_vrs)
{
	static const struct {
		uint32_t tag;
		const char *vr;
	} t[] = {
		{ 0x00100010, "PN" }, { 0x00080018, "UI" },
		{ 0x00280100, "US" }, { 0x00280106, "US/US or SS" },
		{ 0x7fe00010, "OB/OB or OW" }, { 0x7fe00001, "OV" },
		{ 0x7fe00003, "UV" }, { 0x00720082, "SV" },
		{ 0x00720083, "UV" }, { 0x0008040c, "UV" },
		{ 0x00660040, "OL" }, { 0x00720073, "OD" },
		{ 0x00080119, "UC" }, { 0x00081190, "UR" },
		{ 0x0040a160, "UT" }, { 0x00283006, "US/US or OW" },
		{ 0x00281200, "US/US or SS or OW" }, { 0x54001010, "OB/OB or OW" },
		{ 0x00080202, "OB" }, /* retired, without keyword */
		{ 0x00280400, "LO" }, /* plain, beside (0028,04x0) */
		{ 0x00100011, "-" }, { 0x00000000, "UL" },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		ck_assert_msg(strcmp(vr_of(t[i].tag), t[i].vr) == 0,
		    "(%04X,%04X): %s, want %s", t[i].tag >> 16,
		    t[i].tag & 0xffff, vr_of(t[i].tag), t[i].vr);
}
END_TEST

START_TEST(element_repeating_groups_match_their_patterns_only)
{
	static const struct {
		uint32_t tag;
		const char *vr;
	} t[] = {
		{ 0x60003000, "OB/OB or OW" }, { 0x601e3000, "OB/OB or OW" },
		{ 0x60020010, "US" }, { 0x60000050, "SS" },
		{ 0x50100005, "US" }, { 0x50003000, "OB/OB or OW" },
		{ 0x00203100, "CS" }, { 0x002031ff, "CS" },
		{ 0x00280410, "US" }, { 0x002804f3, "AT" },
		{ 0x10000011, "US" }, { 0x10101234, "US" },
		{ 0x7f100011, "US" }, { 0x7fe00020, "OW" },
		/* odd groups are private: PS3.6 has none of them */
		{ 0x60013000, "-" }, { 0x60010010, "-" }, { 0x00090010, "-" },
		/* near a pattern, outside it */
		{ 0x60003001, "-" }, { 0x00280414, "-" }, { 0x00203200, "-" },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		ck_assert_msg(strcmp(vr_of(t[i].tag), t[i].vr) == 0,
		    "(%04X,%04X): %s, want %s", t[i].tag >> 16,
		    t[i].tag & 0xffff, vr_of(t[i].tag), t[i].vr);
}
END_TEST

START_TEST(element_table_is_sorted_even_and_every_entry_is_found)
{
	size_t i;

	ck_assert_uint_gt(element_table_len, 5000);
	for (i = 0; i < element_table_len; i++) {
		if (i > 0)
			ck_assert_uint_lt(
			    element_table[i - 1].tag, element_table[i].tag);
		ck_assert_uint_eq((element_table[i].tag >> 16) & 1, 0);
		ck_assert_ptr_eq(
		    element_find(element_table[i].tag), &element_table[i]);
	}
	for (i = 0; i < element_pattern_table_len; i++)
		ck_assert_uint_eq(element_pattern_table[i].e.tag &
			~element_pattern_table[i].mask,
		    0);
}
END_TEST

Suite *
element_suite(void)
{
	Suite *s = suite_create("element");
	TCase *tc = tcase_create("lookup");

	tcase_add_test(tc, element_plain_tags_have_their_ps3_6_vrs);
	tcase_add_test(tc, element_repeating_groups_match_their_patterns_only);
	tcase_add_test(
	    tc, element_table_is_sorted_even_and_every_entry_is_found);
	suite_add_tcase(s, tc);
	return s;
}
