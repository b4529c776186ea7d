/* t_buf.c - the bounded reader and the capped writer. */
#include <check.h>
#include <string.h>

#include "cstore/cstore.h"
#include "core/alloc.h"
#include "core/buf.h"

Suite *buf_suite(void);

START_TEST(rd_reads_big_and_little_endian)
{
	static const uint8_t b[] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13 };
	struct rd r;

	rd_init(&r, b, sizeof(b));
	ck_assert_uint_eq(rd_u8(&r), 1);
	ck_assert_uint_eq(rd_be16(&r), 0x0203);
	ck_assert_uint_eq(rd_be32(&r), 0x04050607);
	ck_assert_uint_eq(rd_le16(&r), 0x0908);
	ck_assert_uint_eq(rd_le32(&r), 0x0d0c0b0a);
	ck_assert_int_eq(r.err, 0);
	ck_assert_uint_eq(rd_left(&r), 0);
}
END_TEST

START_TEST(rd_latches_error_on_short_read)
{
	static const uint8_t b[] = { 1, 2, 3 };
	struct rd r;

	rd_init(&r, b, sizeof(b));
	ck_assert_uint_eq(rd_be32(&r), 0);
	ck_assert_int_eq(r.err, CS_E_TRUNCATED);
	/* once latched, even a read that would fit fails */
	ck_assert_uint_eq(rd_u8(&r), 0);
	ck_assert_ptr_null(rd_bytes(&r, 0));
	ck_assert_uint_eq(rd_left(&r), 0);
}
END_TEST

START_TEST(rd_sub_splits_and_bounds)
{
	static const uint8_t b[] = { 0xaa, 0xbb, 0xcc, 0xdd };
	struct rd r, s;

	rd_init(&r, b, sizeof(b));
	s = rd_sub(&r, 2);
	ck_assert_uint_eq(rd_be16(&s), 0xaabb);
	ck_assert_uint_eq(rd_u8(&s), 0);
	ck_assert_int_ne(s.err, 0);
	ck_assert_int_eq(r.err, 0);
	ck_assert_uint_eq(rd_be16(&r), 0xccdd);
	s = rd_sub(&r, 1);
	ck_assert_int_ne(s.err, 0);
	ck_assert_int_ne(r.err, 0);
}
END_TEST

START_TEST(rd_huge_length_does_not_wrap)
{
	static const uint8_t b[] = { 1, 2 };
	struct rd r;

	rd_init(&r, b, sizeof(b));
	rd_u8(&r);
	ck_assert_ptr_null(rd_bytes(&r, (size_t)-1));
	ck_assert_int_ne(r.err, 0);
}
END_TEST

START_TEST(wr_writes_and_patches)
{
	struct wr w;
	static const uint8_t want[] = { 0x00, 0x00, 0x00, 0x06, 0x12, 0x34,
		0x78, 0x56, 0x34, 0x12 };

	wr_init(&w, 64);
	wr_be32(&w, 0);
	wr_be16(&w, 0x1234);
	wr_le32(&w, 0x12345678);
	wr_patch_be32(&w, 0, 6);
	ck_assert_int_eq(w.err, 0);
	ck_assert_uint_eq(w.len, sizeof(want));
	ck_assert_mem_eq(w.p, want, sizeof(want));
	wr_consume(&w, 4);
	ck_assert_uint_eq(w.len, 6);
	ck_assert_uint_eq(w.p[0], 0x12);
	wr_release(&w);
}
END_TEST

START_TEST(wr_refuses_to_pass_max)
{
	struct wr w;

	wr_init(&w, 8);
	wr_fill(&w, 0, 8);
	ck_assert_int_eq(w.err, 0);
	wr_u8(&w, 1);
	ck_assert_int_eq(w.err, CS_E_TOOBIG);
	ck_assert_uint_eq(w.len, 8);
	wr_reset(&w);
	ck_assert_int_eq(w.err, 0);
	ck_assert_uint_eq(w.len, 0);
	wr_release(&w);
}
END_TEST

START_TEST(wr_reports_allocation_failure)
{
	struct wr w;

	wr_init(&w, 1024);
	cs_alloc_fail_at(1);
	wr_u8(&w, 1);
	cs_alloc_fail_at(0);
	ck_assert_int_eq(w.err, CS_E_NOMEM);
	wr_release(&w);
}
END_TEST

START_TEST(errors_have_names_and_first_wins)
{
	struct cs_err e = { 0, "" };

	ck_assert_str_eq(cs_errname(CS_E_PROTO), "CS_E_PROTO");
	ck_assert_str_eq(cs_strerror(CS_E_TIMEOUT), "timed out");
	ck_assert_str_eq(cs_strerror(12345), "unknown error");
	ck_assert_int_eq(cs_err_set(&e, CS_E_IO, "first %d", 1), CS_E_IO);
	ck_assert_int_eq(cs_err_set(&e, CS_E_NET, "second"), CS_E_NET);
	ck_assert_int_eq(e.code, CS_E_IO);
	ck_assert_str_eq(e.msg, "first 1");
	cs_err_clear(&e);
	ck_assert_int_eq(e.code, 0);
}
END_TEST

Suite *
buf_suite(void)
{
	Suite *s = suite_create("buf");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, rd_reads_big_and_little_endian);
	tcase_add_test(tc, rd_latches_error_on_short_read);
	tcase_add_test(tc, rd_sub_splits_and_bounds);
	tcase_add_test(tc, rd_huge_length_does_not_wrap);
	tcase_add_test(tc, wr_writes_and_patches);
	tcase_add_test(tc, wr_refuses_to_pass_max);
	tcase_add_test(tc, wr_reports_allocation_failure);
	tcase_add_test(tc, errors_have_names_and_first_wins);
	suite_add_tcase(s, tc);
	return s;
}
