/*
 * t_rle.c - the RLE Lossless codec (PS3.5 Annex G): hand-made frames
 * decoded byte for byte, exact encodings of every run-length edge, round
 * trips over every supported layout and size, corrupt frames refused.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "cstore/cstore.h"
#include "dcmfile/rle.h"

Suite *rle_suite(void);

static void
put_le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

/* Builds a frame from segments given as (bytes, length) pairs. */
static size_t
mkframe(uint8_t *out, unsigned nseg, const uint8_t *const *seg, const size_t *len)
{
	size_t at = RLE_HEADER_LEN;
	unsigned k;

	memset(out, 0, RLE_HEADER_LEN);
	put_le32(out, nseg);
	for (k = 0; k < nseg; k++) {
		put_le32(out + 4 + 4 * k, (uint32_t)at);
		memcpy(out + at, seg[k], len[k]);
		at += len[k];
	}
	return at;
}

static struct rle_image
img(unsigned rows, unsigned cols, unsigned spp, unsigned bits, enum rle_planar pc)
{
	struct rle_image im;

	im.rows = (uint16_t)rows;
	im.columns = (uint16_t)cols;
	im.samples = (uint16_t)spp;
	im.bits_allocated = (uint16_t)bits;
	im.planar = pc;
	return im;
}

START_TEST(rle_image_check_rejects_what_it_does_not_handle)
{
	struct rle_image im;
	struct cs_err err;

	im = img(2, 2, 1, 12, RLE_INTERLEAVED);
	cs_err_clear(&err);
	ck_assert_int_eq(rle_image_check(&im, &err), CS_E_UNSUPPORTED);
	ck_assert_str_eq(err.msg, "rle: bits allocated 12 not supported (8, 16 or 32)");
	im = img(2, 2, 1, 1, RLE_INTERLEAVED);
	ck_assert_int_eq(rle_image_check(&im, NULL), CS_E_UNSUPPORTED);
	im = img(2, 2, 2, 8, RLE_INTERLEAVED);
	ck_assert_int_eq(rle_image_check(&im, NULL), CS_E_UNSUPPORTED);
	im = img(2, 2, 4, 8, RLE_INTERLEAVED);
	ck_assert_int_eq(rle_image_check(&im, NULL), CS_E_UNSUPPORTED);
	im = img(0, 2, 1, 8, RLE_INTERLEAVED);
	ck_assert_int_eq(rle_image_check(&im, NULL), CS_E_INVAL);
	im = img(2, 0, 1, 8, RLE_INTERLEAVED);
	ck_assert_int_eq(rle_image_check(&im, NULL), CS_E_INVAL);
	im = img(2, 2, 1, 8, (enum rle_planar)2);
	ck_assert_int_eq(rle_image_check(&im, NULL), CS_E_INVAL);
	ck_assert_uint_eq(rle_frame_len(&im), 0);
	ck_assert_uint_eq(rle_encode_bound(&im), 0);
	im = img(65535, 65535, 3, 32, RLE_SEPARATE);
	ck_assert_int_eq(rle_image_check(&im, NULL), 0);
	ck_assert_uint_eq(rle_segment_count(&im), 12);
	ck_assert_uint_eq(rle_frame_len(&im), (size_t)65535 * 65535 * 12);
}
END_TEST

START_TEST(rle_decodes_a_hand_made_8_bit_frame)
{
	/* literal 3, replicate 4 of 9, a -128 no-op, pad byte */
	static const uint8_t s0[] = { 0x02, 1, 2, 3, 0xfd, 9, 0x80, 0x00 };
	const uint8_t *seg[] = { s0 };
	size_t len[] = { sizeof(s0) };
	static const uint8_t want[] = { 1, 2, 3, 9, 9, 9, 9 };
	uint8_t frame[128], out[8];
	struct rle_image im = img(1, 7, 1, 8, RLE_INTERLEAVED);
	size_t n = mkframe(frame, 1, seg, len);
	struct cs_err err;

	memset(out, 0xee, sizeof(out));
	cs_err_clear(&err);
	ck_assert_int_eq(rle_decode_frame(&im, frame, n, out, sizeof(out), &err), 0);
	ck_assert_mem_eq(out, want, sizeof(want));
	ck_assert_uint_eq(out[7], 0xee); /* exactly the frame, no more */
}
END_TEST

START_TEST(rle_decodes_16_bit_segments_msb_first_into_little_endian)
{
	static const uint8_t hi[] = { 0x01, 0x12, 0x34 };  /* MSBs */
	static const uint8_t lo[] = { 0xff, 0xab, 0x00 };  /* LSBs, then pad */
	const uint8_t *seg[] = { hi, lo };
	size_t len[] = { sizeof(hi), sizeof(lo) };
	static const uint8_t want[] = { 0xab, 0x12, 0xab, 0x34 };
	uint8_t frame[128], out[4];
	struct rle_image im = img(2, 1, 1, 16, RLE_INTERLEAVED);
	size_t n = mkframe(frame, 2, seg, len);

	ck_assert_int_eq(rle_decode_frame(&im, frame, n, out, sizeof(out), NULL), 0);
	ck_assert_mem_eq(out, want, sizeof(want));
}
END_TEST

START_TEST(rle_decodes_rgb_interleaved_or_planar_as_asked)
{
	static const uint8_t r[] = { 0x01, 10, 11 };
	static const uint8_t g[] = { 0xff, 20 };
	static const uint8_t b[] = { 0x00, 30, 0x00, 31 };
	const uint8_t *seg[] = { r, g, b };
	size_t len[] = { sizeof(r), sizeof(g), sizeof(b) };
	static const uint8_t pc0[] = { 10, 20, 30, 11, 20, 31 };
	static const uint8_t pc1[] = { 10, 11, 20, 20, 30, 31 };
	uint8_t frame[128], out[6];
	struct rle_image im = img(1, 2, 3, 8, RLE_INTERLEAVED);
	size_t n = mkframe(frame, 3, seg, len);

	ck_assert_int_eq(rle_decode_frame(&im, frame, n, out, sizeof(out), NULL), 0);
	ck_assert_mem_eq(out, pc0, sizeof(pc0));
	im.planar = RLE_SEPARATE;
	ck_assert_int_eq(rle_decode_frame(&im, frame, n, out, sizeof(out), NULL), 0);
	ck_assert_mem_eq(out, pc1, sizeof(pc1));
}
END_TEST

START_TEST(rle_decodes_32_bit_rgb_planar)
{
	/* one pixel: R = 0x11223344, G = 0x55667788, B = 0x99aabbcc */
	static const uint8_t v[12] = { 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88,
		0x99, 0xaa, 0xbb, 0xcc };
	static const uint8_t want[12] = { 0x44, 0x33, 0x22, 0x11, 0x88, 0x77, 0x66, 0x55,
		0xcc, 0xbb, 0xaa, 0x99 };
	uint8_t segs[12][2];
	const uint8_t *seg[12];
	size_t len[12];
	uint8_t frame[256], out[12];
	struct rle_image im = img(1, 1, 3, 32, RLE_SEPARATE);
	size_t n;
	unsigned k;

	for (k = 0; k < 12; k++) {
		segs[k][0] = 0x00;
		segs[k][1] = v[k];
		seg[k] = segs[k];
		len[k] = 2;
	}
	n = mkframe(frame, 12, seg, len);
	ck_assert_int_eq(rle_decode_frame(&im, frame, n, out, sizeof(out), NULL), 0);
	ck_assert_mem_eq(out, want, sizeof(want));
	/* one pixel: planar and interleaved are the same bytes */
	im.planar = RLE_INTERLEAVED;
	ck_assert_int_eq(rle_decode_frame(&im, frame, n, out, sizeof(out), NULL), 0);
	ck_assert_mem_eq(out, want, sizeof(want));
}
END_TEST

/* Encodes one 8-bit plane and returns the segment (after the header). */
static size_t
enc_plane(const uint8_t *plane, unsigned n, uint8_t *frame, size_t cap)
{
	struct rle_image im = img(1, n, 1, 8, RLE_INTERLEAVED);
	size_t len = 0;

	ck_assert_int_eq(rle_encode_frame(&im, plane, n, frame, cap, &len, NULL), 0);
	ck_assert_uint_eq(len % 2, 0);
	ck_assert_uint_le(len, rle_encode_bound(&im));
	ck_assert_uint_eq(frame[0], 1);
	ck_assert_uint_eq(frame[4], 64);
	return len - RLE_HEADER_LEN;
}

START_TEST(rle_encodes_every_run_length_edge_exactly)
{
	uint8_t plane[300], frame[1024], back[300];
	const uint8_t *s = frame + RLE_HEADER_LEN;
	struct rle_image im;
	size_t n;
	unsigned i;

	/* a run of exactly 1 byte: literal of 1, then the pad */
	plane[0] = 7;
	ck_assert_uint_eq(enc_plane(plane, 1, frame, sizeof(frame)), 2);
	ck_assert_uint_eq(s[0], 0x00);
	ck_assert_uint_eq(s[1], 7);
	/* a pair after an open literal stays in it: 0x02 7 8 8 */
	plane[1] = 8;
	plane[2] = 8;
	n = enc_plane(plane, 3, frame, sizeof(frame));
	ck_assert_uint_eq(n, 4);
	ck_assert_uint_eq(s[0], 0x02);
	ck_assert_uint_eq(s[1], 7);
	ck_assert_uint_eq(s[3], 8);
	/* a run of exactly 2 */
	memset(plane, 5, 2);
	ck_assert_uint_eq(enc_plane(plane, 2, frame, sizeof(frame)), 2);
	ck_assert_uint_eq(s[0], 0xff); /* -1: 2 copies */
	ck_assert_uint_eq(s[1], 5);
	/* a run of exactly 128: one replicate run */
	memset(plane, 6, 128);
	ck_assert_uint_eq(enc_plane(plane, 128, frame, sizeof(frame)), 2);
	ck_assert_uint_eq(s[0], 0x81); /* -127: 128 copies */
	ck_assert_uint_eq(s[1], 6);
	/* 129: 128 + a literal of 1, no pad needed */
	memset(plane, 6, 129);
	ck_assert_uint_eq(enc_plane(plane, 129, frame, sizeof(frame)), 4);
	ck_assert_uint_eq(s[0], 0x81);
	ck_assert_uint_eq(s[1], 6);
	ck_assert_uint_eq(s[2], 0x00);
	ck_assert_uint_eq(s[3], 6);
	/* 130: 128 + a pair */
	memset(plane, 6, 130);
	ck_assert_uint_eq(enc_plane(plane, 130, frame, sizeof(frame)), 4);
	ck_assert_uint_eq(s[2], 0xff);
	/* literal of exactly 128 distinct bytes: header 127, 128 bytes, pad */
	for (i = 0; i < 300; i++)
		plane[i] = (uint8_t)(i * 7);
	ck_assert_uint_eq(enc_plane(plane, 128, frame, sizeof(frame)), 130);
	ck_assert_uint_eq(s[0], 0x7f);
	ck_assert_mem_eq(s + 1, plane, 128);
	ck_assert_uint_eq(s[129], 0);
	/* 129 distinct: 128 + a literal of 1, even without pad */
	ck_assert_uint_eq(enc_plane(plane, 129, frame, sizeof(frame)), 132);
	ck_assert_uint_eq(s[0], 0x7f);
	ck_assert_uint_eq(s[129], 0x00);
	ck_assert_uint_eq(s[130], plane[128]);
	ck_assert_uint_eq(s[131], 0);
	/* a literal ends where 3 equal bytes start; a pair inside stays literal */
	{
		static const uint8_t p[] = { 1, 2, 2, 3, 4, 4, 4, 4 };
		static const uint8_t want[] = { 0x03, 1, 2, 2, 3, 0xfd, 4 };

		n = enc_plane(p, sizeof(p), frame, sizeof(frame));
		ck_assert_uint_eq(n, 8);
		ck_assert_mem_eq(s, want, sizeof(want));
		ck_assert_uint_eq(s[7], 0);
	}
	/* and everything decodes back */
	for (i = 1; i <= 300; i++) {
		size_t len;

		im = img(1, i, 1, 8, RLE_INTERLEAVED);
		ck_assert_int_eq(rle_encode_frame(&im, plane, i, frame, sizeof(frame), &len, NULL),
		    0);
		ck_assert_int_eq(rle_decode_frame(&im, frame, len, back, i, NULL), 0);
		ck_assert_mem_eq(back, plane, i);
	}
}
END_TEST

static uint32_t rng_state;

static uint8_t
rnd(void)
{
	rng_state = rng_state * 1103515245u + 12345u;
	return (uint8_t)(rng_state >> 16);
}

/* Fills buf with a mix of short and long runs, literals and noise. */
static void
fill_pattern(uint8_t *buf, size_t n, unsigned kind)
{
	size_t i = 0, r;
	uint8_t v;

	switch (kind) {
	case 0: /* noise */
		for (i = 0; i < n; i++)
			buf[i] = rnd();
		break;
	case 1: /* constant */
		memset(buf, 0x5a, n);
		break;
	case 2: /* runs of 1..300 */
		while (i < n) {
			r = 1 + (size_t)(rnd() % 4 == 0 ? rnd() + rnd() % 45 : rnd() % 4);
			v = rnd() % 3 ? rnd() : 0;
			for (; r > 0 && i < n; r--)
				buf[i++] = v;
		}
		break;
	default: /* ramp: equal high bytes, varying low bytes */
		for (i = 0; i < n; i++)
			buf[i] = (uint8_t)(i / 7);
		break;
	}
}

START_TEST(rle_round_trips_every_layout_and_size)
{
	static const unsigned sizes[][2] = { { 1, 1 }, { 3, 5 }, { 17, 13 }, { 1, 300 },
		{ 64, 64 } };
	static const unsigned bits[] = { 8, 16, 32 };
	static const unsigned spp[] = { 1, 3 };
	unsigned si, bi, pi, pc, kind, cases = 0;

	rng_state = 12345;
	for (si = 0; si < sizeof(sizes) / sizeof(sizes[0]); si++)
		for (bi = 0; bi < 3; bi++)
			for (pi = 0; pi < 2; pi++)
				for (pc = 0; pc < 2; pc++)
					for (kind = 0; kind < 4; kind++) {
		struct rle_image im = img(sizes[si][0], sizes[si][1], spp[pi], bits[bi],
		    (enum rle_planar)pc);
		size_t n = rle_frame_len(&im), cap = rle_encode_bound(&im), len = 0;
		uint8_t *nat = malloc(n), *enc = malloc(cap), *back = malloc(n);
		struct cs_err err;

		ck_assert_ptr_nonnull(nat);
		ck_assert_ptr_nonnull(enc);
		ck_assert_ptr_nonnull(back);
		fill_pattern(nat, n, kind);
		cs_err_clear(&err);
		ck_assert_msg(rle_encode_frame(&im, nat, n, enc, cap, &len, &err) == 0, "%s",
		    err.msg);
		ck_assert_uint_eq(len % 2, 0);
		ck_assert_uint_le(len, cap);
		ck_assert_uint_eq(enc[0], rle_segment_count(&im));
		memset(back, 0xee, n);
		ck_assert_msg(rle_decode_frame(&im, enc, len, back, n, &err) == 0, "%s",
		    err.msg);
		ck_assert_mem_eq(back, nat, n);
		/* the other planar configuration reads the same compressed frame */
		if (spp[pi] == 3) {
			size_t npix = (size_t)im.rows * im.columns, nb = bits[bi] / 8, p, s;
			struct rle_image other = im;

			other.planar = pc ? RLE_INTERLEAVED : RLE_SEPARATE;
			ck_assert_int_eq(rle_decode_frame(&other, enc, len, back, n, NULL), 0);
			for (p = 0; p < npix; p++)
				for (s = 0; s < 3; s++) {
					const uint8_t *a = pc ? nat + (s * npix + p) * nb :
					    nat + (p * 3 + s) * nb;
					const uint8_t *b = pc ? back + (p * 3 + s) * nb :
					    back + (s * npix + p) * nb;
					ck_assert_mem_eq(a, b, nb);
				}
		}
		free(nat);
		free(enc);
		free(back);
		cases++;
					}
	ck_assert_uint_eq(cases, 5 * 3 * 2 * 2 * 4);
}
END_TEST

START_TEST(rle_worst_case_stays_within_the_bound)
{
	/* patterns that make a naive encoder grow: x y y x y y ..., x x y x x y */
	static const uint8_t pats[][3] = { { 1, 2, 2 }, { 1, 1, 2 }, { 1, 2, 3 } };
	uint8_t nat[1001], enc[2048], back[1001];
	struct rle_image im = img(1, 1001, 1, 8, RLE_INTERLEAVED);
	size_t len, i, p, cap = rle_encode_bound(&im);

	ck_assert_uint_le(cap, sizeof(enc));
	for (p = 0; p < 3; p++) {
		for (i = 0; i < sizeof(nat); i++)
			nat[i] = pats[p][i % 3];
		ck_assert_int_eq(rle_encode_frame(&im, nat, sizeof(nat), enc, cap, &len, NULL), 0);
		ck_assert_uint_le(len, cap);
		ck_assert_int_eq(rle_decode_frame(&im, enc, len, back, sizeof(back), NULL), 0);
		ck_assert_mem_eq(back, nat, sizeof(nat));
	}
}
END_TEST

START_TEST(rle_encode_refuses_a_short_output_buffer)
{
	uint8_t nat[64], enc[256];
	struct rle_image im = img(8, 8, 1, 8, RLE_INTERLEAVED);
	struct cs_err err;
	size_t len = 99, i;

	for (i = 0; i < sizeof(nat); i++)
		nat[i] = (uint8_t)(i * 13);
	cs_err_clear(&err);
	ck_assert_int_eq(rle_encode_frame(&im, nat, 64, enc, 100, &len, &err), CS_E_TOOBIG);
	ck_assert_int_eq(err.code, CS_E_TOOBIG);
	ck_assert_uint_eq(len, 0);
	ck_assert_int_eq(rle_encode_frame(&im, nat, 64, enc, 10, &len, NULL), CS_E_TOOBIG);
	ck_assert_int_eq(rle_encode_frame(&im, nat, 63, enc, 256, &len, NULL), CS_E_INVAL);
	/* a compressible frame fits in less than the bound */
	memset(nat, 0, sizeof(nat));
	ck_assert_int_eq(rle_encode_frame(&im, nat, 64, enc, 66, &len, NULL), 0);
	ck_assert_uint_eq(len, 66);
}
END_TEST

/* A valid 2x2 8-bit frame to corrupt: one segment, literal 2 + pair. */
static size_t
good_frame(uint8_t *f)
{
	static const uint8_t s0[] = { 0x01, 1, 2, 0xff, 3 };
	const uint8_t *seg[] = { s0 };
	size_t len[] = { sizeof(s0) };

	return mkframe(f, 1, seg, len);
}

static int
dec22(const uint8_t *f, size_t n, struct cs_err *err)
{
	struct rle_image im = img(2, 2, 1, 8, RLE_INTERLEAVED);
	uint8_t out[4];

	cs_err_clear(err);
	return rle_decode_frame(&im, f, n, out, sizeof(out), err);
}

START_TEST(rle_refuses_corrupt_frames)
{
	uint8_t f[256];
	struct cs_err err;
	size_t n = good_frame(f);
	struct rle_image im = img(2, 2, 1, 8, RLE_INTERLEAVED);
	uint8_t out[4];

	ck_assert_int_eq(dec22(f, n, &err), 0);
	/* shorter than the header */
	ck_assert_int_eq(dec22(f, 63, &err), CS_E_TRUNCATED);
	ck_assert_str_eq(err.msg, "rle: frame of 63 bytes is shorter than its 64-byte header");
	/* segment count 0, 16, and one the image does not need */
	f[0] = 0;
	ck_assert_int_eq(dec22(f, n, &err), CS_E_PROTO);
	f[0] = 16;
	ck_assert_int_eq(dec22(f, n, &err), CS_E_PROTO);
	f[0] = 2;
	put_le32(f + 8, 66);
	ck_assert_int_eq(dec22(f, n, &err), CS_E_PROTO);
	ck_assert_str_eq(err.msg,
	    "rle: frame has 2 segments, the image needs 1 (1 samples of 8 bits)");
	n = good_frame(f);
	put_le32(f, 0x01000001); /* a huge count */
	ck_assert_int_eq(dec22(f, n, &err), CS_E_PROTO);
	n = good_frame(f);
	/* offsets: inside the header, past the end, out of order */
	put_le32(f + 4, 63);
	ck_assert_int_eq(dec22(f, n, &err), CS_E_PROTO);
	put_le32(f + 4, (uint32_t)n + 1);
	ck_assert_int_eq(dec22(f, n, &err), CS_E_PROTO);
	put_le32(f + 4, 0xffffffffu);
	ck_assert_int_eq(dec22(f, n, &err), CS_E_PROTO);
	n = good_frame(f);
	{
		struct rle_header h;

		f[0] = 2;
		put_le32(f + 4, 66);
		put_le32(f + 8, 64);
		cs_err_clear(&err);
		ck_assert_int_eq(rle_header_read(f, n, &h, &err), CS_E_PROTO);
		ck_assert_str_eq(err.msg, "rle: segment 2 offset 64 before segment 1's (66)");
	}
	n = good_frame(f);
	/* a literal run past the segment's end */
	ck_assert_int_eq(dec22(f, 66, &err), CS_E_TRUNCATED);
	ck_assert_str_eq(err.msg, "rle: segment 1: literal run of 2 bytes passes its end");
	/* a replicate run whose value is missing */
	ck_assert_int_eq(dec22(f, 68, &err), CS_E_TRUNCATED);
	ck_assert_str_eq(err.msg, "rle: segment 1: replicate run passes its end");
	/* a segment that ends early: 4 bytes needed, 2 there */
	ck_assert_int_eq(dec22(f, 67, &err), CS_E_TRUNCATED);
	ck_assert_str_eq(err.msg, "rle: segment 1 ends after 2 of 4 bytes");
	/* -128 is no operation, but cannot stand in for data */
	f[67] = 0x80;
	ck_assert_int_eq(dec22(f, 69, &err), CS_E_TRUNCATED);
	/* an output buffer too small */
	n = good_frame(f);
	cs_err_clear(&err);
	ck_assert_int_eq(rle_decode_frame(&im, f, n, out, 3, &err), CS_E_INVAL);
	ck_assert_int_eq(rle_decode_frame(&im, NULL, n, out, 4, &err), CS_E_INVAL);
	im.bits_allocated = 12;
	ck_assert_int_eq(rle_decode_frame(&im, f, n, out, 4, &err), CS_E_UNSUPPORTED);
}
END_TEST

START_TEST(rle_ignores_what_a_segment_holds_beyond_its_share)
{
	/* literal 2, then a replicate of 5 where 2 are needed, then junk */
	static const uint8_t s0[] = { 0x01, 1, 2, 0xfc, 3, 0x7f, 0x12 };
	static const uint8_t want[] = { 1, 2, 3, 3 };
	const uint8_t *seg[] = { s0 };
	size_t len[] = { sizeof(s0) };
	uint8_t f[128], out[4];
	size_t n = mkframe(f, 1, seg, len);
	struct rle_image im = img(2, 2, 1, 8, RLE_INTERLEAVED);

	ck_assert_int_eq(rle_decode_frame(&im, f, n, out, sizeof(out), NULL), 0);
	ck_assert_mem_eq(out, want, sizeof(want));
	/* odd first offset after some slack, stale unused offsets */
	memmove(f + 67, f + 64, sizeof(s0));
	put_le32(f + 4, 67);
	put_le32(f + 8, 0xdeadbeef);
	ck_assert_int_eq(rle_decode_frame(&im, f, n + 3, out, sizeof(out), NULL), 0);
	ck_assert_mem_eq(out, want, sizeof(want));
}
END_TEST

Suite *
rle_suite(void)
{
	Suite *s = suite_create("rle");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, rle_image_check_rejects_what_it_does_not_handle);
	tcase_add_test(tc, rle_decodes_a_hand_made_8_bit_frame);
	tcase_add_test(tc, rle_decodes_16_bit_segments_msb_first_into_little_endian);
	tcase_add_test(tc, rle_decodes_rgb_interleaved_or_planar_as_asked);
	tcase_add_test(tc, rle_decodes_32_bit_rgb_planar);
	tcase_add_test(tc, rle_encodes_every_run_length_edge_exactly);
	tcase_add_test(tc, rle_round_trips_every_layout_and_size);
	tcase_add_test(tc, rle_worst_case_stays_within_the_bound);
	tcase_add_test(tc, rle_encode_refuses_a_short_output_buffer);
	tcase_add_test(tc, rle_refuses_corrupt_frames);
	tcase_add_test(tc, rle_ignores_what_a_segment_holds_beyond_its_share);
	suite_add_tcase(s, tc);
	return s;
}
