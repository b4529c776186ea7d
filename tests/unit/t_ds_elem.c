/* t_ds_elem.c - the shared element header decoder. */
#include <check.h>
#include <string.h>

#include "cstore/cstore.h"
#include "core/ds_elem.h"

Suite *ds_elem_suite(void);

/* Decodes the header in b (n bytes); returns the code, *used the bytes. */
static int
decode(const uint8_t *b, size_t n, enum ds_enc enc, struct ds_elem *e,
    size_t *used)
{
	struct cs_err err = { 0, "" };
	struct rd r;
	int rc;

	rd_init(&r, b, n);
	rc = ds_elem_read(&r, enc, e, &err);
	*used = r.pos;
	ck_assert_int_eq(r.err, 0);
	return rc;
}

START_TEST(elem_reads_explicit_short_and_long_vrs)
{
	static const uint8_t ui[] = { 0x08, 0x00, 0x16, 0x00, 'U', 'I', 0x1a,
		0x00 };
	static const uint8_t ob[] = { 0xe0, 0x7f, 0x10, 0x00, 'O', 'B', 0, 0,
		0x10, 0x00, 0x00, 0x00 };
	static const uint8_t ut_be[] = { 0x00, 0x08, 0x01, 0x02, 'U', 'T', 0,
		0, 0x00, 0x00, 0x01, 0x03 };
	struct ds_elem e;
	size_t used;

	ck_assert_int_eq(decode(ui, sizeof(ui), DS_ENC_EVR_LE, &e, &used), 0);
	ck_assert_uint_eq(e.tag, DS_TAG(0x0008, 0x0016));
	ck_assert_str_eq(e.vr, "UI");
	ck_assert_uint_eq(e.len, 26);
	ck_assert_uint_eq(e.hdr_len, 8);
	ck_assert_uint_eq(used, 8);

	ck_assert_int_eq(decode(ob, sizeof(ob), DS_ENC_EVR_LE, &e, &used), 0);
	ck_assert_uint_eq(e.tag, DS_TAG_PIXEL_DATA);
	ck_assert_str_eq(e.vr, "OB");
	ck_assert_uint_eq(e.len, 16);
	ck_assert_uint_eq(e.hdr_len, 12);
	ck_assert_uint_eq(used, 12);

	ck_assert_int_eq(decode(ut_be, sizeof(ut_be), DS_ENC_EVR_BE, &e,
	    &used), 0);
	ck_assert_uint_eq(e.tag, DS_TAG(0x0008, 0x0102));
	ck_assert_str_eq(e.vr, "UT");
	ck_assert_uint_eq(e.len, 0x103);
	ck_assert_uint_eq(used, 12);
}
END_TEST

START_TEST(elem_reads_implicit_vr_with_32_bit_length)
{
	static const uint8_t b[] = { 0x10, 0x00, 0x10, 0x00, 0x05, 0x00, 0x01,
		0x00 };
	struct ds_elem e;
	size_t used;

	ck_assert_int_eq(decode(b, sizeof(b), DS_ENC_IVR_LE, &e, &used), 0);
	ck_assert_uint_eq(e.tag, DS_TAG(0x0010, 0x0010));
	ck_assert_str_eq(e.vr, "");
	/* odd lengths are decoded as written */
	ck_assert_uint_eq(e.len, 0x10005);
	ck_assert_uint_eq(e.hdr_len, 8);
	ck_assert_uint_eq(used, 8);
}
END_TEST

START_TEST(elem_reads_items_in_the_short_form_in_every_encoding)
{
	/* an item in Explicit VR: no VR, even though bytes 4-5 could be one */
	static const uint8_t le[] = { 0xfe, 0xff, 0x00, 0xe0, 'O', 'B', 0, 0 };
	static const uint8_t be[] = { 0xff, 0xfe, 0xe0, 0xdd, 0, 0, 0, 0 };
	struct ds_elem e;
	size_t used;

	ck_assert_int_eq(decode(le, sizeof(le), DS_ENC_EVR_LE, &e, &used), 0);
	ck_assert_uint_eq(e.tag, DS_TAG_ITEM);
	ck_assert_str_eq(e.vr, "");
	ck_assert_uint_eq(e.len, 0x424f);
	ck_assert_uint_eq(used, 8);
	ck_assert_int_eq(ds_elem_kind(&e, DS_ENC_EVR_LE, NULL), DS_KIND_ITEM);

	ck_assert_int_eq(decode(be, sizeof(be), DS_ENC_EVR_BE, &e, &used), 0);
	ck_assert_uint_eq(e.tag, DS_TAG_SEQ_DELIM);
	ck_assert_uint_eq(e.len, 0);
	ck_assert_int_eq(ds_elem_kind(&e, DS_ENC_EVR_BE, NULL),
	    DS_KIND_SEQ_DELIM);
}
END_TEST

START_TEST(elem_short_input_is_truncated_and_does_not_move)
{
	static const uint8_t ob[] = { 0xe0, 0x7f, 0x10, 0x00, 'O', 'B', 0, 0,
		0xff, 0xff, 0xff, 0xff };
	struct cs_err err = { 0, "" };
	struct ds_elem e;
	struct rd r;
	size_t n;

	for (n = 0; n < sizeof(ob); n++) {
		rd_init(&r, ob, n);
		ck_assert_int_eq(ds_elem_read(&r, DS_ENC_EVR_LE, &e, &err),
		    CS_E_TRUNCATED);
		ck_assert_uint_eq(r.pos, 0);
		ck_assert_int_eq(r.err, 0);
		ck_assert_uint_eq(e.hdr_len, (n >= 6 ? 12u : 8u));
		if (n >= 4)
			ck_assert_uint_eq(e.tag, DS_TAG_PIXEL_DATA);
	}
	/* waiting for more is not an error */
	ck_assert_int_eq(err.code, 0);
	rd_init(&r, ob, sizeof(ob));
	ck_assert_int_eq(ds_elem_read(&r, DS_ENC_EVR_LE, &e, &err), 0);
	ck_assert_uint_eq(e.len, DS_LEN_UNDEFINED);
}
END_TEST

START_TEST(elem_reads_on_from_the_reader_position)
{
	static const uint8_t b[] = { 0x08, 0x00, 0x05, 0x00, 'C', 'S', 0x0a,
		0x00, 'I', 'S', 'O', '_', 'I', 'R', ' ', '1', '0', '0',
		0x08, 0x00, 0x16, 0x00, 'U', 'I', 0x02, 0x00, '1', 0 };
	struct cs_err err = { 0, "" };
	struct ds_elem e;
	struct rd r;

	rd_init(&r, b, sizeof(b));
	ck_assert_int_eq(ds_elem_read(&r, DS_ENC_EVR_LE, &e, &err), 0);
	rd_skip(&r, e.len);
	ck_assert_int_eq(ds_elem_read(&r, DS_ENC_EVR_LE, &e, &err), 0);
	ck_assert_uint_eq(e.tag, DS_TAG(0x0008, 0x0016));
	ck_assert_uint_eq(rd_left(&r), 2);
}
END_TEST

START_TEST(elem_unknown_vr_of_letters_reads_as_long_length)
{
	/* "ZZ": a VR of a later edition, 2 reserved bytes and 32-bit length */
	static const uint8_t b[] = { 0x09, 0x00, 0x10, 0x10, 'Z', 'Z', 0, 0,
		0x04, 0x00, 0x00, 0x00 };
	struct ds_elem e;
	size_t used;

	ck_assert_int_eq(decode(b, sizeof(b), DS_ENC_EVR_LE, &e, &used), 0);
	ck_assert_str_eq(e.vr, "ZZ");
	ck_assert_uint_eq(e.len, 4);
	ck_assert_uint_eq(e.hdr_len, 12);
	ck_assert(!ds_vr_known(e.vr));
	ck_assert_int_eq(ds_elem_kind(&e, DS_ENC_EVR_LE, NULL), DS_KIND_VALUE);
}
END_TEST

START_TEST(elem_blank_vr_reads_with_a_16_bit_length)
{
	/* fo-dicom's GH179A.dcm (a GE writer): (0028,0120) "  " 2, 00 00,
	 * then (0028,1050) DS: read as DCMTK reads it, not refused */
	static const uint8_t b[] = { 0x28, 0x00, 0x20, 0x01, ' ', ' ', 0x02,
		0x00, 0x00, 0x00, 0x28, 0x00, 0x50, 0x10, 'D', 'S', 0x02, 0x00,
		'-', '2' };
	struct ds_elem e;
	size_t used;

	ck_assert_int_eq(decode(b, sizeof(b), DS_ENC_EVR_LE, &e, &used), 0);
	ck_assert_uint_eq(e.tag, DS_TAG(0x0028, 0x0120));
	ck_assert_str_eq(e.vr, "  ");
	ck_assert_uint_eq(e.len, 2);
	ck_assert_uint_eq(e.hdr_len, 8);
	ck_assert(!ds_vr_known(e.vr));
	ck_assert(!ds_vr_header_long(e.vr));
	ck_assert_int_eq(ds_elem_kind(&e, DS_ENC_EVR_LE, NULL), DS_KIND_VALUE);
	/* one space and another byte is no VR */
	{
		static const uint8_t c[] = { 0x28, 0x00, 0x20, 0x01, ' ', 'S',
			0x02, 0x00, 0x00, 0x00 };
		struct cs_err err = { 0, "" };
		struct rd r;

		rd_init(&r, c, sizeof(c));
		ck_assert_int_eq(ds_elem_read(&r, DS_ENC_EVR_LE, &e, &err),
		    CS_E_PROTO);
		ck_assert_ptr_nonnull(strstr(err.msg, "unknown VR ' S'"));
	}
}
END_TEST

START_TEST(elem_rejects_bytes_that_are_no_vr)
{
	static const uint8_t b[] = { 0x08, 0x00, 0x16, 0x00, 0x1a, 0x00, 0x00,
		0x00 };
	struct cs_err err = { 0, "" };
	struct ds_elem e;
	struct rd r;

	rd_init(&r, b, sizeof(b));
	ck_assert_int_eq(ds_elem_read(&r, DS_ENC_EVR_LE, &e, &err),
	    CS_E_PROTO);
	ck_assert_uint_eq(r.pos, 0);
	ck_assert_int_eq(err.code, CS_E_PROTO);
	ck_assert_ptr_nonnull(strstr(err.msg, "(0008,0016)"));
}
END_TEST

START_TEST(elem_rejects_bad_encoding_and_failed_reader)
{
	static const uint8_t b[8] = { 0 };
	struct cs_err err = { 0, "" };
	struct ds_elem e;
	struct rd r;

	rd_init(&r, b, sizeof(b));
	ck_assert_int_eq(ds_elem_read(&r, (enum ds_enc)7, &e, &err),
	    CS_E_INVAL);
	rd_skip(&r, 9);
	ck_assert_int_eq(ds_elem_read(&r, DS_ENC_IVR_LE, &e, &err),
	    CS_E_INVAL);
}
END_TEST

START_TEST(vr_tables_follow_ps3_5)
{
	static const char *const lng[] = { "OB", "OD", "OF", "OL", "OV", "OW",
		"SQ", "SV", "UC", "UN", "UR", "UT", "UV" };
	static const char *const shrt[] = { "AE", "AS", "AT", "CS", "DA",
		"DS", "DT", "FD", "FL", "IS", "LO", "LT", "PN", "SH", "SL",
		"SS", "ST", "TM", "UI", "UL", "US" };
	size_t i;

	for (i = 0; i < sizeof(lng) / sizeof(*lng); i++) {
		ck_assert_msg(ds_vr_long_length(lng[i]), "%s", lng[i]);
		ck_assert_msg(ds_vr_known(lng[i]), "%s", lng[i]);
	}
	for (i = 0; i < sizeof(shrt) / sizeof(*shrt); i++) {
		ck_assert_msg(!ds_vr_long_length(shrt[i]), "%s", shrt[i]);
		ck_assert_msg(ds_vr_known(shrt[i]), "%s", shrt[i]);
	}
	ck_assert(!ds_vr_known("XX"));
	ck_assert(!ds_vr_known(""));
	ck_assert(!ds_vr_known(NULL));
	ck_assert(!ds_vr_long_length(NULL));
	ck_assert(!ds_vr_long_length(""));
}
END_TEST

/* The VR lookup (a bit table) against PS3.5's lists, for every pair of
 * bytes: known, long-length and header form alike. */
START_TEST(vr_lookup_every_byte_pair)
{
	static const char lng[] = "OBODOFOLOVOWSQSVUCUNURUTUV";
	static const char all[] = "AEASATCSDADSDTFDFLISLOLTOBODOFOLOVOWPNSHSL"
				  "SQSSSTSVTMUCUIULUNURUSUTUV";
	unsigned a, b;
	size_t i, known = 0;

	for (a = 1; a < 256; a++)
		for (b = 0; b < 256; b++) {
			char vr[3] = { (char)a, (char)b, '\0' };
			int in_all = 0, in_long = 0;

			for (i = 0; all[i] != '\0'; i += 2)
				in_all |= (uint8_t)all[i] == a &&
				    (uint8_t)all[i + 1] == b;
			for (i = 0; lng[i] != '\0'; i += 2)
				in_long |= (uint8_t)lng[i] == a &&
				    (uint8_t)lng[i + 1] == b;
			ck_assert_int_eq(ds_vr_known(vr), in_all);
			ck_assert_int_eq(ds_vr_long_length(vr), in_long);
			/* unknown: long, but for a blank VR (GE's) */
			ck_assert_int_eq(ds_vr_header_long(vr),
			    in_long || (!in_all && !(a == ' ' && b == ' ')));
			known += (size_t)in_all;
		}
	ck_assert_uint_eq(known, 34);
}
END_TEST

static struct ds_elem
mk(uint32_t tag, const char *vr, uint32_t len)
{
	struct ds_elem e;

	memset(&e, 0, sizeof(e));
	e.tag = tag;
	memcpy(e.vr, vr, strlen(vr));
	e.len = len;
	e.hdr_len = 8;
	return e;
}

START_TEST(kind_tells_sequences_fragments_and_values)
{
	const uint32_t U = DS_LEN_UNDEFINED;
	struct ds_elem e;
	enum ds_enc in;

	e = mk(DS_TAG(0x0008, 0x1115), "SQ", U);
	ck_assert_int_eq(ds_elem_kind(&e, DS_ENC_EVR_BE, &in),
	    DS_KIND_SEQUENCE);
	ck_assert_int_eq(in, DS_ENC_EVR_BE);
	e = mk(DS_TAG(0x0008, 0x1115), "SQ", 40);
	ck_assert_int_eq(ds_elem_kind(&e, DS_ENC_EVR_LE, &in),
	    DS_KIND_SEQUENCE);
	/* PS3.5 6.2.2: UN sequences are Implicit VR LE inside */
	e = mk(DS_TAG(0x0029, 0x1010), "UN", U);
	ck_assert_int_eq(ds_elem_kind(&e, DS_ENC_EVR_BE, &in),
	    DS_KIND_SEQUENCE);
	ck_assert_int_eq(in, DS_ENC_IVR_LE);
	e = mk(DS_TAG(0x0029, 0x1010), "UN", 12);
	ck_assert_int_eq(ds_elem_kind(&e, DS_ENC_EVR_LE, &in), DS_KIND_VALUE);
	ck_assert_int_eq(in, DS_ENC_EVR_LE);
	/* implicit VR: undefined length is a sequence, but for pixel data */
	e = mk(DS_TAG(0x0040, 0xa730), "", U);
	ck_assert_int_eq(ds_elem_kind(&e, DS_ENC_IVR_LE, &in),
	    DS_KIND_SEQUENCE);
	e = mk(DS_TAG_PIXEL_DATA, "", U);
	ck_assert_int_eq(ds_elem_kind(&e, DS_ENC_IVR_LE, &in),
	    DS_KIND_FRAGMENTS);
	e = mk(DS_TAG_PIXEL_DATA, "OB", U);
	ck_assert_int_eq(ds_elem_kind(&e, DS_ENC_EVR_LE, &in),
	    DS_KIND_FRAGMENTS);
	e = mk(DS_TAG_PIXEL_DATA, "OW", 512);
	ck_assert_int_eq(ds_elem_kind(&e, DS_ENC_EVR_LE, &in), DS_KIND_VALUE);
	/* float and double pixel data are never encapsulated */
	e = mk(DS_TAG_FLOAT_PIXEL_DATA, "OF", U);
	ck_assert_int_eq(ds_elem_kind(&e, DS_ENC_EVR_LE, &in),
	    DS_KIND_INVALID);
	e = mk(DS_TAG_DOUBLE_PIXEL_DATA, "", U);
	ck_assert_int_eq(ds_elem_kind(&e, DS_ENC_IVR_LE, &in),
	    DS_KIND_INVALID);
	/* only SQ, UN, OB and OW may have an undefined length */
	e = mk(DS_TAG(0x0009, 0x1010), "OW", U);
	ck_assert_int_eq(ds_elem_kind(&e, DS_ENC_EVR_LE, &in),
	    DS_KIND_FRAGMENTS);
	e = mk(DS_TAG(0x0008, 0x0005), "OF", U);
	ck_assert_int_eq(ds_elem_kind(&e, DS_ENC_EVR_LE, &in),
	    DS_KIND_INVALID);
	e = mk(DS_TAG(0x0008, 0x0104), "UT", U);
	ck_assert_int_eq(ds_elem_kind(&e, DS_ENC_EVR_LE, &in),
	    DS_KIND_INVALID);
	e = mk(DS_TAG(0x0009, 0x0010), "ZZ", U);
	ck_assert_int_eq(ds_elem_kind(&e, DS_ENC_EVR_LE, &in),
	    DS_KIND_INVALID);
	e = mk(DS_TAG_ITEM_DELIM, "", 0);
	ck_assert_int_eq(ds_elem_kind(&e, DS_ENC_IVR_LE, &in),
	    DS_KIND_ITEM_DELIM);
	e = mk(DS_TAG(0xfffe, 0xe001), "", 0);
	ck_assert_int_eq(ds_elem_kind(&e, DS_ENC_IVR_LE, &in),
	    DS_KIND_INVALID);
	ck_assert_str_eq(ds_kind_name(DS_KIND_FRAGMENTS),
	    "encapsulated fragments");
}
END_TEST

START_TEST(un_item_encoding_is_told_by_the_first_element)
{
	/* (0010,0020) LO 4: explicit bytes inside a UN item */
	static const uint8_t evr[] = { 0x10, 0x00, 0x20, 0x00, 'L', 'O', 4, 0 };
	/* the same element in Implicit VR LE */
	static const uint8_t ivr[] = { 0x10, 0x00, 0x20, 0x00, 4, 0, 0, 0 };
	static const uint8_t delim[] = { 0xfe, 0xff, 0x0d, 0xe0, 'O', 'B', 0, 0 };

	ck_assert_int_eq(ds_un_item_enc(evr, sizeof(evr), DS_ENC_EVR_LE),
	    DS_ENC_EVR_LE);
	ck_assert_int_eq(ds_un_item_enc(ivr, sizeof(ivr), DS_ENC_EVR_LE),
	    DS_ENC_IVR_LE);
	/* only after Explicit VR LE, and only with the VR bytes there */
	ck_assert_int_eq(ds_un_item_enc(evr, sizeof(evr), DS_ENC_EVR_BE),
	    DS_ENC_IVR_LE);
	ck_assert_int_eq(ds_un_item_enc(evr, 5, DS_ENC_EVR_LE),
	    DS_ENC_IVR_LE);
	ck_assert_int_eq(ds_un_item_enc(NULL, 8, DS_ENC_EVR_LE),
	    DS_ENC_IVR_LE);
	ck_assert_int_eq(ds_un_item_enc(delim, sizeof(delim), DS_ENC_EVR_LE),
	    DS_ENC_IVR_LE);
}
END_TEST

Suite *
ds_elem_suite(void)
{
	Suite *s = suite_create("ds_elem");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, elem_reads_explicit_short_and_long_vrs);
	tcase_add_test(tc, elem_reads_implicit_vr_with_32_bit_length);
	tcase_add_test(tc, elem_reads_items_in_the_short_form_in_every_encoding);
	tcase_add_test(tc, elem_short_input_is_truncated_and_does_not_move);
	tcase_add_test(tc, elem_blank_vr_reads_with_a_16_bit_length);
	tcase_add_test(tc, elem_reads_on_from_the_reader_position);
	tcase_add_test(tc, elem_unknown_vr_of_letters_reads_as_long_length);
	tcase_add_test(tc, elem_rejects_bytes_that_are_no_vr);
	tcase_add_test(tc, elem_rejects_bad_encoding_and_failed_reader);
	tcase_add_test(tc, vr_tables_follow_ps3_5);
	tcase_add_test(tc, vr_lookup_every_byte_pair);
	tcase_add_test(tc, kind_tells_sequences_fragments_and_values);
	tcase_add_test(tc, un_item_encoding_is_told_by_the_first_element);
	suite_add_tcase(s, tc);
	return s;
}
