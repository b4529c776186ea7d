/*
 * t_xcode_zlib.c - the raw deflate side of the transcoder
 * (lib/dcmfile/xcode_zlib.c): which two bytes xcode_zlib_header takes
 * for a zlib wrapper (RFC 1950), and how many bytes after the end of a
 * stream xcode_inflate counts as its tail (zeros and the pad byte not
 * counted) while inflating the stream whole.
 */
#include <check.h>
#include <stdint.h>
#include <string.h>
#include <zlib.h>

#include "cstore/cstore.h"
#include "core/buf.h"
#include "dcmfile/xcode_zlib.h"

Suite *xcode_zlib_suite(void);

static int
to_wr(void *ctx, const void *p, size_t n)
{
	wr_bytes(ctx, p, n);
	return ((struct wr *)ctx)->err;
}

/* n bytes that compress, not all alike. */
static void
sample(uint8_t *b, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		b[i] = (uint8_t)("DICM deflated data set "[i % 23] + i / 97);
}

/* The raw deflate stream of p/n (zlib, windowBits -15) into out. */
static void
raw_deflate(const uint8_t *p, size_t n, struct wr *out)
{
	uint8_t buf[4096];
	z_stream z;
	int zr;

	memset(&z, 0, sizeof(z));
	ck_assert_int_eq(
	    deflateInit2(&z, 6, Z_DEFLATED, -MAX_WBITS, 8, Z_DEFAULT_STRATEGY),
	    Z_OK);
	z.next_in = (Bytef *)(uintptr_t)p;
	z.avail_in = (uInt)n;
	wr_init(out, 2 * n + 64);
	do {
		z.next_out = buf;
		z.avail_out = sizeof(buf);
		zr = deflate(&z, Z_FINISH);
		ck_assert(zr == Z_OK || zr == Z_STREAM_END);
		wr_bytes(out, buf, sizeof(buf) - z.avail_out);
	} while (zr != Z_STREAM_END);
	deflateEnd(&z);
	ck_assert_int_eq(out->err, 0);
}

START_TEST(xcode_zlib_header_takes_rfc_1950_headers_only)
{
	static const uint8_t yes[][2] = { { 0x78, 0x9c }, { 0x78, 0x01 },
		{ 0x78, 0xda }, { 0x78, 0x5e }, { 0x08, 0x1d },
		{ 0x58, 0x85 } };
	/* the check bits right, but CM 9, or a 64 KiB window (CINFO 8);
	 * CM 8 and CINFO 7 with the check bits wrong; a deflate block */
	static const uint8_t no[][2] = { { 0x79, 0x18 }, { 0x88, 0x1c },
		{ 0x78, 0x9d }, { 0x78, 0x00 }, { 0x63, 0x60 },
		{ 0x00, 0x00 } };
	uint8_t src[1000], wrapped[1100];
	uLongf wn = sizeof(wrapped);
	struct wr raw, got;
	struct cs_err err = { 0, "" };
	uint64_t n = 0;
	size_t i;

	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
		ck_assert_msg(xcode_zlib_header(yes[i], 2) == 1, "%02x %02x",
		    yes[i][0], yes[i][1]);
	for (i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		ck_assert_msg(xcode_zlib_header(no[i], 2) == 0, "%02x %02x",
		    no[i][0], no[i][1]);
	/* one byte, or none, is no header */
	ck_assert_int_eq(xcode_zlib_header(yes[0], 1), 0);
	ck_assert_int_eq(xcode_zlib_header(yes[0], 0), 0);
	/* what zlib's compress2 writes is one, at every level */
	sample(src, sizeof(src));
	for (i = 0; i <= 9; i++) {
		wn = sizeof(wrapped);
		ck_assert_int_eq(
		    compress2(wrapped, &wn, src, sizeof(src), (int)i), Z_OK);
		ck_assert_msg(
		    xcode_zlib_header(wrapped, wn) == 1, "level %zu", i);
	}
	/* ... and inflating it as raw deflate names it */
	wr_init(&got, 1 << 20);
	ck_assert_int_eq(
	    xcode_inflate(wrapped, wn, 1 << 20, to_wr, &got, &n, NULL, &err),
	    CS_E_PROTO);
	ck_assert_ptr_nonnull(strstr(err.msg, XCODE_ZLIB_WRAPPED));
	wr_release(&got);
	/* the raw stream of the same bytes is not taken for one */
	raw_deflate(src, sizeof(src), &raw);
	ck_assert_int_eq(xcode_zlib_header(raw.p, raw.len), 0);
	wr_release(&raw);
}
END_TEST

START_TEST(xcode_inflate_counts_the_tail_after_the_stream_but_not_zeros)
{
	static const struct {
		const char *after; /* what follows the stream */
		size_t n;
		size_t tail;
	} c[] = {
		{ "", 0, 0 },               /* nothing */
		{ "\0", 1, 0 },             /* the pad byte */
		{ "\0\0\0\0\0\0\0", 7, 0 }, /* zeros */
		{ "\x01", 1, 1 },           /* an odd byte */
		{ "\x01\x02\x03", 3, 3 },   /* anything */
		{ "\0\0\xab\0", 4, 2 },     /* from the first non-zero */
		{ "\x12\x34\x56\x78\xe8\x03\0\0", 8, 8 }, /* a gzip trailer */
	};
	uint8_t src[3000];
	struct wr raw, in, got;
	struct cs_err err = { 0, "" };
	uint64_t n;
	size_t i, tail;

	sample(src, sizeof(src));
	raw_deflate(src, sizeof(src), &raw);
	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		wr_init(&in, raw.len + 16);
		wr_bytes(&in, raw.p, raw.len);
		wr_bytes(&in, c[i].after, c[i].n);
		wr_init(&got, sizeof(src));
		n = 0;
		tail = 12345;
		ck_assert_msg(xcode_inflate(in.p, in.len, 1 << 20, to_wr, &got,
				  &n, &tail, &err) == 0,
		    "case %zu: %s", i, err.msg);
		ck_assert_uint_eq(tail, c[i].tail);
		/* the data set is the stream's bytes alone, whatever follows */
		ck_assert_uint_eq(n, sizeof(src));
		ck_assert_uint_eq(got.len, sizeof(src));
		ck_assert_mem_eq(got.p, src, sizeof(src));
		/* no tail asked for: the same */
		wr_release(&got);
		wr_init(&got, sizeof(src));
		ck_assert_int_eq(xcode_inflate(in.p, in.len, 1 << 20, to_wr,
				     &got, &n, NULL, &err),
		    0);
		ck_assert_uint_eq(n, sizeof(src));
		wr_release(&got);
		wr_release(&in);
	}
	/* a stream cut short has no end, so no tail: refused */
	wr_init(&got, sizeof(src));
	ck_assert_int_eq(xcode_inflate(raw.p, raw.len - 2, 1 << 20, to_wr, &got,
			     &n, &tail, &err),
	    CS_E_TRUNCATED);
	wr_release(&got);
	wr_release(&raw);
}
END_TEST

Suite *
xcode_zlib_suite(void)
{
	Suite *s = suite_create("xcode_zlib");
	TCase *tc = tcase_create("raw deflate");

	tcase_add_test(tc, xcode_zlib_header_takes_rfc_1950_headers_only);
	tcase_add_test(
	    tc, xcode_inflate_counts_the_tail_after_the_stream_but_not_zeros);
	suite_add_tcase(s, tc);
	return s;
}
