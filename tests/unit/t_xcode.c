/*
 * t_xcode.c - the transcoder's element walker (lib/dcmfile/xcode.c) on
 * data sets built here byte by byte: headers re-encoded, values swapped
 * per VR out of Big Endian, sequences and items nested with defined and
 * undefined lengths, UN sequences kept as they are, group lengths
 * dropped, malformed input refused.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include "cstore/cstore.h"
#include "core/buf.h"
#include "core/sha256.h"
#include "dcmfile/xcode.h"
#include "dcmfile/xcode_pixels.h"

Suite *xcode_suite(void);

#define IVR "1.2.840.10008.1.2"
#define EVR "1.2.840.10008.1.2.1"
#define EBE "1.2.840.10008.1.2.2"
#define DEFL "1.2.840.10008.1.2.1.99"
#define UNDEF 0xffffffffu

static int
to_wr(void *ctx, const void *p, size_t n)
{
	wr_bytes(ctx, p, n);
	return ((struct wr *)ctx)->err;
}

static int
run(const struct wr *in, const char *from, const char *to, struct wr *out,
    struct cs_err *err)
{
	struct xcode_req req = { from, to, 0, NULL, 0 };
	struct xcode_result res;

	wr_init(out, 1 << 20);
	return xcode_dataset(in->p, in->len, &req, to_wr, out, &res, err);
}

/* run() in pad mode (xcode_req.pad_odd): *padded gets the count. */
static int
run_pad(const struct wr *in, const char *from, const char *to,
    struct wr *out, uint32_t *padded, struct cs_err *err)
{
	struct xcode_req req = { from, to, 0, NULL, 1 };
	struct xcode_result res;
	int rc;

	wr_init(out, 1 << 20);
	rc = xcode_dataset(in->p, in->len, &req, to_wr, out, &res, err);
	*padded = res.padded;
	return rc;
}

static int
is_long(const char *vr)
{
	return strstr("OB OD OF OL OV OW SQ SV UC UN UR UT UV", vr) != NULL;
}

/* An element header: explicit (vr != NULL) or implicit; be: Big Endian. */
static void
hdr(struct wr *w, int be, uint16_t g, uint16_t e, const char *vr, uint32_t len)
{
	if (be) {
		wr_be16(w, g);
		wr_be16(w, e);
	} else {
		wr_le16(w, g);
		wr_le16(w, e);
	}
	if (vr == NULL || g == 0xfffe) {
		if (be)
			wr_be32(w, len);
		else
			wr_le32(w, len);
		return;
	}
	wr_bytes(w, vr, 2);
	if (is_long(vr)) {
		wr_le16(w, 0);
		if (be)
			wr_be32(w, len);
		else
			wr_le32(w, len);
	} else if (be)
		wr_be16(w, (uint16_t)len);
	else
		wr_le16(w, (uint16_t)len);
}

static void
elem(struct wr *w, int be, uint16_t g, uint16_t e, const char *vr,
    const void *v, uint32_t n)
{
	hdr(w, be, g, e, vr, n);
	wr_bytes(w, v, n);
}

static void
check_same(const struct wr *got, const struct wr *want)
{
	size_t i;

	for (i = 0; i < got->len && i < want->len; i++)
		ck_assert_msg(got->p[i] == want->p[i],
		    "byte %zu: got %02x, want %02x", i, got->p[i], want->p[i]);
	ck_assert_uint_eq(got->len, want->len);
}

START_TEST(xcode_pad_mode_pads_odd_values_by_vr_and_keeps_the_rest)
{
	static const uint8_t ob3[3] = { 1, 2, 3 }, ob4[4] = { 1, 2, 3, 0 };
	struct wr in, want, got, item, even_sq;
	struct cs_err err = { 0, "" };
	uint32_t padded = 0;
	int be;

	for (be = 0; be < 2; be++) {
		/* a sequence with no odd value inside keeps its defined
		 * length; one with an odd value gets undefined lengths */
		wr_init(&even_sq, 1 << 12);
		hdr(&even_sq, be, 0xfffe, 0xe000, NULL, 12);
		elem(&even_sq, be, 0x0008, 0x0100, "SH", "CODE", 4);
		wr_init(&item, 1 << 12);
		elem(&item, be, 0x0010, 0x0010, "PN", "A^B", 3);
		wr_init(&in, 1 << 12);
		elem(&in, be, 0x0008, 0x0005, "CS", "ISO_IR 100", 10);
		elem(&in, be, 0x0008, 0x0016, "UI", "1.2.3", 5);
		hdr(&in, be, 0x0008, 0x1032, "SQ", (uint32_t)even_sq.len);
		wr_bytes(&in, even_sq.p, even_sq.len);
		elem(&in, be, 0x0008, 0x1030, "LO", "odd", 3);
		hdr(&in, be, 0x0008, 0x1111, "SQ", (uint32_t)item.len + 8);
		hdr(&in, be, 0xfffe, 0xe000, NULL, (uint32_t)item.len);
		wr_bytes(&in, item.p, item.len);
		elem(&in, be, 0x0009, 0x1003, "OB", ob3, 3);
		elem(&in, be, 0x0010, 0x0000, "UL", "\0\0\0\0", 4);
		elem(&in, be, 0x0010, 0x0020, "LO", "", 0);

		wr_init(&want, 1 << 12);
		elem(&want, be, 0x0008, 0x0005, "CS", "ISO_IR 100", 10);
		elem(&want, be, 0x0008, 0x0016, "UI", "1.2.3\0", 6);
		hdr(&want, be, 0x0008, 0x1032, "SQ", (uint32_t)even_sq.len);
		wr_bytes(&want, even_sq.p, even_sq.len);
		elem(&want, be, 0x0008, 0x1030, "LO", "odd ", 4);
		hdr(&want, be, 0x0008, 0x1111, "SQ", UNDEF);
		hdr(&want, be, 0xfffe, 0xe000, NULL, UNDEF);
		elem(&want, be, 0x0010, 0x0010, "PN", "A^B ", 4);
		hdr(&want, be, 0xfffe, 0xe00d, NULL, 0);
		hdr(&want, be, 0xfffe, 0xe0dd, NULL, 0);
		elem(&want, be, 0x0009, 0x1003, "OB", ob4, 4);
		/* the group length is dropped, as in every conversion */
		elem(&want, be, 0x0010, 0x0020, "LO", "", 0);

		ck_assert_msg(run_pad(&in, be ? EBE : EVR, be ? EBE : EVR, &got,
				  &padded, &err) == 0, "%s", err.msg);
		check_same(&got, &want);
		ck_assert_uint_eq(padded, 4);
		ck_assert_uint_eq(got.len % 2, 0);
		wr_release(&in);
		wr_release(&want);
		wr_release(&got);
		wr_release(&item);
		wr_release(&even_sq);
	}
}
END_TEST

START_TEST(xcode_pad_mode_takes_the_pad_from_the_dictionary_in_implicit)
{
	static const uint8_t ob3[3] = { 1, 2, 3 }, ob4[4] = { 1, 2, 3, 0 };
	struct wr in, want, got;
	struct cs_err err = { 0, "" };
	uint32_t padded = 0;

	wr_init(&in, 1 << 12);
	elem(&in, 0, 0x0008, 0x1030, NULL, "odd", 3);
	elem(&in, 0, 0x0009, 0x0010, NULL, "ACM", 3);
	elem(&in, 0, 0x0009, 0x1003, NULL, ob3, 3);
	elem(&in, 0, 0x0020, 0x000d, NULL, "1.2.3", 5);
	wr_init(&want, 1 << 12);
	elem(&want, 0, 0x0008, 0x1030, NULL, "odd ", 4);
	elem(&want, 0, 0x0009, 0x0010, NULL, "ACM ", 4); /* a creator: LO */
	elem(&want, 0, 0x0009, 0x1003, NULL, ob4, 4);    /* unknown: UN */
	elem(&want, 0, 0x0020, 0x000d, NULL, "1.2.3\0", 6);
	ck_assert_msg(run_pad(&in, IVR, IVR, &got, &padded, &err) == 0, "%s",
	    err.msg);
	check_same(&got, &want);
	ck_assert_uint_eq(padded, 4);
	wr_release(&in);
	wr_release(&want);
	wr_release(&got);
}
END_TEST

START_TEST(xcode_pad_mode_pads_inside_an_un_sequence_in_implicit_little_endian)
{
	struct wr in, want, got;
	struct cs_err err = { 0, "" };
	uint32_t padded = 0;
	int be;

	for (be = 0; be < 2; be++) {
		/* PS3.5 6.2.2: the items of an undefined-length UN are
		 * Implicit VR LE, in a Big Endian data set too */
		wr_init(&in, 1 << 12);
		elem(&in, be, 0x0009, 0x0010, "LO", "ACME", 4);
		hdr(&in, be, 0x0009, 0x1002, "UN", UNDEF);
		hdr(&in, 0, 0xfffe, 0xe000, NULL, UNDEF);
		elem(&in, 0, 0x0010, 0x0020, NULL, "ID1", 3);
		elem(&in, 0, 0x0010, 0x0021, NULL, "AB", 2);
		hdr(&in, 0, 0xfffe, 0xe00d, NULL, 0);
		hdr(&in, 0, 0xfffe, 0xe0dd, NULL, 0);
		elem(&in, be, 0x0010, 0x0010, "PN", "A^B^C", 5);
		wr_init(&want, 1 << 12);
		elem(&want, be, 0x0009, 0x0010, "LO", "ACME", 4);
		hdr(&want, be, 0x0009, 0x1002, "UN", UNDEF);
		hdr(&want, 0, 0xfffe, 0xe000, NULL, UNDEF);
		elem(&want, 0, 0x0010, 0x0020, NULL, "ID1 ", 4);
		elem(&want, 0, 0x0010, 0x0021, NULL, "AB", 2);
		hdr(&want, 0, 0xfffe, 0xe00d, NULL, 0);
		hdr(&want, 0, 0xfffe, 0xe0dd, NULL, 0);
		elem(&want, be, 0x0010, 0x0010, "PN", "A^B^C ", 6);
		ck_assert_msg(run_pad(&in, be ? EBE : EVR, be ? EBE : EVR, &got,
				  &padded, &err) == 0, "%s", err.msg);
		check_same(&got, &want);
		ck_assert_uint_eq(padded, 2);
		wr_release(&in);
		wr_release(&want);
		wr_release(&got);
	}
}
END_TEST

START_TEST(xcode_pad_mode_refuses_a_value_that_would_not_fit)
{
	struct wr in, got;
	struct cs_err err = { 0, "" };
	uint32_t padded = 0;
	uint8_t *v = calloc(1, 0xffff);

	ck_assert_ptr_nonnull(v);
	memset(v, 'A', 0xffff);
	wr_init(&in, 1 << 18);
	elem(&in, 0, 0x0008, 0x1030, "LO", v, 0xffff);
	ck_assert_int_eq(run_pad(&in, EVR, EVR, &got, &padded, &err),
	    CS_E_UNSUPPORTED);
	ck_assert_ptr_nonnull(strstr(err.msg, "16-bit length"));
	wr_release(&got);
	free(v);
	wr_release(&in);
}
END_TEST

#define JPEG "1.2.840.10008.1.2.4.50"

/* Encapsulated pixel data: a Basic Offset Table of n_bot offsets, then
 * the n fragments frag[k] of len[k] bytes. */
static void
encaps(struct wr *w, const uint32_t *bot, size_t n_bot,
    const uint8_t *const *frag, const uint32_t *len, size_t n)
{
	size_t k;

	hdr(w, 0, 0x7fe0, 0x0010, "OB", UNDEF);
	hdr(w, 0, 0xfffe, 0xe000, NULL, (uint32_t)(4 * n_bot));
	for (k = 0; k < n_bot; k++)
		wr_le32(w, bot[k]);
	for (k = 0; k < n; k++)
		elem(w, 0, 0xfffe, 0xe000, NULL, frag[k], len[k]);
	hdr(w, 0, 0xfffe, 0xe0dd, NULL, 0);
}

START_TEST(xcode_pad_mode_pads_odd_fragments_and_moves_the_offsets_after_them)
{
	/* frame 1 ends in EOI, frame 3 is the last fragment */
	static const uint8_t f1[4] = { 0x61, 0xff, 0xd9, 0 };
	static const uint8_t f2[4] = { 1, 2, 3, 4 };
	static const uint8_t f3[6] = { 5, 6, 7, 8, 9, 0 };
	static const uint8_t *const frag[3] = { f1, f2, f3 };
	static const uint32_t odd[3] = { 3, 4, 5 }, even[3] = { 4, 4, 6 };
	static const uint32_t bot_odd[3] = { 0, 11, 23 };
	static const uint32_t bot_even[3] = { 0, 12, 24 };
	struct wr in, got, want;
	struct cs_err err = { 0, "" };
	uint32_t padded = 0;

	wr_init(&in, 4096);
	elem(&in, 0, 0x0010, 0x0010, "PN", "AB", 2);
	encaps(&in, bot_odd, 3, frag, odd, 3);
	ck_assert_msg(run_pad(&in, JPEG, JPEG, &got, &padded, &err) == 0, "%s",
	    err.msg);
	ck_assert_uint_eq(padded, 2);
	wr_init(&want, 4096);
	elem(&want, 0, 0x0010, 0x0010, "PN", "AB", 2);
	encaps(&want, bot_even, 3, frag, even, 3);
	check_same(&got, &want);
	wr_release(&got);
	/* nothing odd: byte for byte */
	ck_assert_msg(run_pad(&want, JPEG, JPEG, &got, &padded, &err) == 0,
	    "%s", err.msg);
	ck_assert_uint_eq(padded, 0);
	check_same(&got, &want);
	wr_release(&got);
	wr_release(&want);
	wr_release(&in);
}
END_TEST

START_TEST(xcode_pad_mode_refuses_odd_fragments_inside_a_frame_or_under_an_extended_offset_table)
{
	static const uint8_t f1[3] = { 1, 2, 3 }, f2[4] = { 4, 0xff, 0xd9, 0 };
	static const uint8_t *const frag[2] = { f1, f2 };
	static const uint32_t len[2] = { 3, 4 };
	static const uint8_t eot[8] = { 0 };
	struct wr in, got;
	struct cs_err err = { 0, "" };
	uint32_t padded = 0;

	/* one frame in two fragments, the first odd */
	wr_init(&in, 4096);
	encaps(&in, NULL, 0, frag, len, 2);
	ck_assert_int_eq(run_pad(&in, JPEG, JPEG, &got, &padded, &err),
	    CS_E_UNSUPPORTED);
	ck_assert_ptr_nonnull(strstr(err.msg, "inside a frame"));
	wr_release(&got);
	wr_release(&in);
	/* its pad harmless, but the Extended Offset Table would be wrong */
	wr_init(&in, 4096);
	elem(&in, 0, 0x7fe0, 0x0001, "OV", eot, 8);
	encaps(&in, NULL, 0, frag + 1, len, 1);
	err.code = 0;
	ck_assert_int_eq(run_pad(&in, JPEG, JPEG, &got, &padded, &err),
	    CS_E_UNSUPPORTED);
	ck_assert_ptr_nonnull(strstr(err.msg, "Extended Offset Table"));
	wr_release(&got);
	wr_release(&in);
}
END_TEST

/*
 * A JPEG frame in two fragments, the first (25 bytes) ending in an FFD9
 * inside an APP1 segment (an EXIF thumbnail's EOI): no frame ends there,
 * and a NUL after it would change the code stream.  Refused, not padded.
 */
START_TEST(xcode_pad_mode_refuses_an_odd_fragment_ending_in_ffd9_inside_a_marker_segment)
{
	static const uint8_t f1[25] = { 0xff, 0xd8, 0xff, 0xe1, 0x00, 0x2a,
		'E', 'x', 'i', 'f', 0, 0, 'A', 'A', 'A', 'A', 'A', 'A', 'A', 'A',
		'A', 'A', 'A', 0xff, 0xd9 };
	static const uint8_t f2[23] = { 'B', 'B', 'B', 'B', 'B', 'B', 'B',
		'B', 'B', 'B', 'B', 'B', 'B', 'B', 'B', 'B', 'B', 'B', 'B', 'B',
		'B', 0xff, 0xd9 };
	static const uint8_t *const frag[2] = { f1, f2 };
	static const uint32_t len[2] = { 25, 23 };
	struct wr in, got;
	struct cs_err err = { 0, "" };
	uint32_t padded = 0;

	wr_init(&in, 4096);
	elem(&in, 0, 0x0010, 0x0010, "PN", "AB", 2);
	encaps(&in, NULL, 0, frag, len, 2);
	ck_assert_int_eq(run_pad(&in, JPEG, JPEG, &got, &padded, &err),
	    CS_E_UNSUPPORTED);
	ck_assert_ptr_nonnull(strstr(err.msg, "Basic Offset Table"));
	wr_release(&got);
	/* and with a Basic Offset Table that names the one frame */
	wr_reset(&in);
	elem(&in, 0, 0x0010, 0x0010, "PN", "AB", 2);
	encaps(&in, (const uint32_t[]){ 0 }, 1, frag, len, 2);
	err.code = 0;
	ck_assert_int_eq(run_pad(&in, JPEG, JPEG, &got, &padded, &err),
	    CS_E_UNSUPPORTED);
	wr_release(&got);
	wr_release(&in);
}
END_TEST

/*
 * Two frames, the first in two fragments: the Basic Offset Table says
 * where frames end, so the odd fragment that ends frame 1 and the last
 * one are padded, the offset after them moved; an odd one inside frame
 * 1 is refused, though it ends in FFD9.
 */
START_TEST(xcode_pad_mode_pads_fragments_where_the_offset_table_ends_frames)
{
	static const uint8_t a[4] = { 0xff, 0xd8, 1, 0 };
	static const uint8_t b[4] = { 2, 0xff, 0xd9, 0 };
	static const uint8_t c[6] = { 0xff, 0xd8, 0xff, 0xd9, 3, 0 };
	static const uint8_t *const frag[3] = { a, b, c };
	static const uint32_t odd[3] = { 4, 3, 5 }, even[3] = { 4, 4, 6 };
	static const uint32_t bot_odd[2] = { 0, 23 }, bot_even[2] = { 0, 24 };
	static const uint32_t inner[3] = { 3, 4, 5 }, bot_inner[2] = { 0, 23 };
	static const uint8_t *const frag_inner[3] = { b, a, c };
	struct wr in, got, want;
	struct cs_err err = { 0, "" };
	uint32_t padded = 0;

	wr_init(&in, 4096);
	elem(&in, 0, 0x0028, 0x0008, "IS", "2 ", 2);
	encaps(&in, bot_odd, 2, frag, odd, 3);
	ck_assert_msg(run_pad(&in, JPEG, JPEG, &got, &padded, &err) == 0, "%s",
	    err.msg);
	ck_assert_uint_eq(padded, 2);
	wr_init(&want, 4096);
	elem(&want, 0, 0x0028, 0x0008, "IS", "2 ", 2);
	encaps(&want, bot_even, 2, frag, even, 3);
	check_same(&got, &want);
	wr_release(&got);
	wr_release(&want);
	/* the odd fragment (FFD9 last) inside frame 1 */
	wr_reset(&in);
	elem(&in, 0, 0x0028, 0x0008, "IS", "2 ", 2);
	encaps(&in, bot_inner, 2, frag_inner, inner, 3);
	err.code = 0;
	ck_assert_int_eq(run_pad(&in, JPEG, JPEG, &got, &padded, &err),
	    CS_E_UNSUPPORTED);
	ck_assert_ptr_nonnull(strstr(err.msg, "inside a frame"));
	wr_release(&got);
	wr_release(&in);
}
END_TEST

/* No Basic Offset Table: as many fragments as Number of Frames, each is
 * a frame and padded; one more, and none is known to end a frame. */
START_TEST(xcode_pad_mode_pads_one_fragment_a_frame_by_number_of_frames)
{
	static const uint8_t a[4] = { 1, 2, 3, 0 }, b[6] = { 4, 5, 6, 7, 8, 0 };
	static const uint8_t *const frag[3] = { a, b, a };
	static const uint32_t odd[3] = { 3, 5, 3 }, even[2] = { 4, 6 };
	struct wr in, got, want;
	struct cs_err err = { 0, "" };
	uint32_t padded = 0;

	wr_init(&in, 4096);
	elem(&in, 0, 0x0028, 0x0008, "IS", "2 ", 2);
	encaps(&in, NULL, 0, frag, odd, 2);
	ck_assert_msg(run_pad(&in, JPEG, JPEG, &got, &padded, &err) == 0, "%s",
	    err.msg);
	ck_assert_uint_eq(padded, 2);
	wr_init(&want, 4096);
	elem(&want, 0, 0x0028, 0x0008, "IS", "2 ", 2);
	encaps(&want, NULL, 0, frag, even, 2);
	check_same(&got, &want);
	wr_release(&got);
	wr_release(&want);
	wr_reset(&in);
	elem(&in, 0, 0x0028, 0x0008, "IS", "2 ", 2);
	encaps(&in, NULL, 0, frag, odd, 3);
	err.code = 0;
	ck_assert_int_eq(run_pad(&in, JPEG, JPEG, &got, &padded, &err),
	    CS_E_UNSUPPORTED);
	wr_release(&got);
	wr_release(&in);
}
END_TEST

START_TEST(xcode_big_endian_values_are_swapped_by_vr_and_only_by_vr)
{
	/* value bytes as a Big Endian writer has them, and what LE wants */
	static const struct {
		uint16_t el;
		const char *vr;
		uint8_t be[8], le[8];
		uint32_t n;
	} v[] = {
		{ 0x1001, "US", { 1, 2, 3, 4 }, { 2, 1, 4, 3 }, 4 },
		{ 0x1002, "SS", { 0xff, 0xfe }, { 0xfe, 0xff }, 2 },
		{ 0x1003, "UL", { 1, 2, 3, 4 }, { 4, 3, 2, 1 }, 4 },
		{ 0x1004, "SL", { 1, 2, 3, 4 }, { 4, 3, 2, 1 }, 4 },
		{ 0x1005, "FL", { 1, 2, 3, 4 }, { 4, 3, 2, 1 }, 4 },
		{ 0x1006, "FD", { 1, 2, 3, 4, 5, 6, 7, 8 }, { 8, 7, 6, 5, 4, 3, 2, 1 }, 8 },
		{ 0x1007, "OW", { 1, 2, 3, 4 }, { 2, 1, 4, 3 }, 4 },
		{ 0x1008, "AT", { 0, 0x28, 0, 0x10 }, { 0x28, 0, 0x10, 0 }, 4 },
		{ 0x1009, "OF", { 1, 2, 3, 4 }, { 4, 3, 2, 1 }, 4 },
		{ 0x100a, "OD", { 1, 2, 3, 4, 5, 6, 7, 8 }, { 8, 7, 6, 5, 4, 3, 2, 1 }, 8 },
		{ 0x100b, "OB", { 1, 2, 3, 4 }, { 1, 2, 3, 4 }, 4 },
		{ 0x100c, "UN", { 1, 2, 3, 4 }, { 1, 2, 3, 4 }, 4 },
		{ 0x100d, "LO", { 'A', 'B', 'C', ' ' }, { 'A', 'B', 'C', ' ' }, 4 },
		{ 0x100e, "OL", { 1, 2, 3, 4 }, { 4, 3, 2, 1 }, 4 },
	};
	struct wr in, want, got, want_ev, got_ev;
	struct cs_err err = { 0, "" };
	size_t i;

	wr_init(&in, 1 << 16);
	wr_init(&want, 1 << 16);
	wr_init(&want_ev, 1 << 16);
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		elem(&in, 1, 0x0009, v[i].el, v[i].vr, v[i].be, v[i].n);
		elem(&want, 0, 0x0009, v[i].el, NULL, v[i].le, v[i].n);
		elem(&want_ev, 0, 0x0009, v[i].el, v[i].vr, v[i].le, v[i].n);
	}
	ck_assert_int_eq(run(&in, EBE, IVR, &got, &err), 0);
	check_same(&got, &want);
	ck_assert_int_eq(run(&in, EBE, EVR, &got_ev, &err), 0);
	check_same(&got_ev, &want_ev);
	wr_release(&in);
	wr_release(&want);
	wr_release(&got);
	wr_release(&want_ev);
	wr_release(&got_ev);
}
END_TEST

/* The data set of a 1-bit 5x7 image (5 bytes of pixels) in syntax be,
 * its Pixel Data value px/npx (OW in Explicit VR), after an Overlay Data
 * ov/nov (OW). */
static void
odd_image(struct wr *w, int be, int implicit, const uint8_t *ov, uint32_t nov,
    const uint8_t *px, uint32_t npx)
{
	const char *us = implicit ? NULL : "US", *ow = implicit ? NULL : "OW";
	uint8_t b[2];

	wr_init(w, 1 << 12);
	b[be ? 1 : 0] = 5;
	b[be ? 0 : 1] = 0;
	elem(w, be, 0x0028, 0x0010, us, b, 2);
	b[be ? 1 : 0] = 7;
	elem(w, be, 0x0028, 0x0011, us, b, 2);
	b[be ? 1 : 0] = 1;
	elem(w, be, 0x0028, 0x0100, us, b, 2);
	elem(w, be, 0x6000, 0x3000, ow, ov, nov);
	elem(w, be, 0x7fe0, 0x0010, ow, px, npx);
}

START_TEST(xcode_pad_mode_pads_an_odd_swapped_value_before_swapping_it)
{
	/* 5 bytes of OW: the pad belongs to the last word, [04 00] in
	 * Little Endian, [00 04] in Big Endian */
	static const uint8_t le5[5] = { 1, 2, 3, 4, 5 },
			     be6[6] = { 2, 1, 4, 3, 0, 5 },
			     le6[6] = { 1, 2, 3, 4, 5, 0 },
			     be5[5] = { 2, 1, 4, 3, 5 };
	static const uint8_t ev[4] = { 1, 2, 3, 4 };
	struct wr in, want, got;
	struct cs_err err = { 0, "" };
	uint32_t padded = 0;

	/* Little Endian to Big Endian: the overlay odd (the total odd) */
	odd_image(&in, 0, 0, le5, 5, ev, 4);
	odd_image(&want, 1, 0, be6, 6, (const uint8_t[]){ 2, 1, 4, 3 }, 4);
	ck_assert_msg(run_pad(&in, EVR, EBE, &got, &padded, &err) == 0, "%s",
	    err.msg);
	check_same(&got, &want);
	ck_assert_uint_eq(padded, 1);
	wr_release(&in);
	wr_release(&want);
	wr_release(&got);
	/* and back: the Big Endian value padded as its syntax has it (the
	 * last word 0x0500, as padding it in Big Endian gives), then
	 * swapped: one step gives what padding, then converting, gives */
	odd_image(&in, 1, 0, be5, 5, (const uint8_t[]){ 2, 1, 4, 3 }, 4);
	odd_image(&want, 0, 0, (const uint8_t[]){ 1, 2, 3, 4, 0, 5 }, 6, ev,
	    4);
	ck_assert_msg(run_pad(&in, EBE, EVR, &got, &padded, &err) == 0, "%s",
	    err.msg);
	check_same(&got, &want);
	wr_release(&in);
	wr_release(&want);
	wr_release(&got);
	/* native Pixel Data of odd length (the pixel path): the same,
	 * from Explicit VR (OW, swapped) and from Implicit VR (1 bit: OB) */
	odd_image(&in, 0, 0, ev, 4, le5, 5);
	odd_image(&want, 1, 0, (const uint8_t[]){ 2, 1, 4, 3 }, 4, be6, 6);
	ck_assert_msg(run_pad(&in, EVR, EBE, &got, &padded, &err) == 0, "%s",
	    err.msg);
	check_same(&got, &want);
	ck_assert_uint_eq(padded, 1);
	wr_release(&in);
	wr_release(&want);
	wr_release(&got);
	odd_image(&in, 0, 1, ev, 4, le5, 5);
	ck_assert_msg(run_pad(&in, IVR, EVR, &got, &padded, &err) == 0, "%s",
	    err.msg);
	ck_assert_uint_eq(padded, 1);
	ck_assert_uint_eq(got.len % 2, 0);
	ck_assert_mem_eq(got.p + got.len - 6, le6, 6);
	wr_release(&in);
	wr_release(&got);
	/* without pad mode an odd value stays odd, its tail byte as it was */
	odd_image(&in, 0, 0, le5, 5, ev, 4);
	odd_image(&want, 1, 0, be5, 5, (const uint8_t[]){ 2, 1, 4, 3 }, 4);
	ck_assert_int_eq(run(&in, EVR, EBE, &got, &err), 0);
	check_same(&got, &want);
	wr_release(&in);
	wr_release(&want);
	wr_release(&got);
}
END_TEST

START_TEST(xcode_nested_sequences_of_both_lengths_become_undefined_in_implicit)
{
	struct wr in, want, got, item, inner;
	struct cs_err err = { 0, "" };
	static const uint8_t us7[2] = { 7, 0 };

	/* (0008,1111) SQ undefined > item undefined > (0008,1115) SQ of
	 * defined length > item of defined length > (0028,0010) US 7 */
	wr_init(&inner, 1 << 12);
	elem(&inner, 0, 0x0028, 0x0010, "US", us7, 2);
	wr_init(&item, 1 << 12);
	hdr(&item, 0, 0xfffe, 0xe000, NULL, (uint32_t)inner.len);
	wr_bytes(&item, inner.p, inner.len);
	wr_init(&in, 1 << 12);
	elem(&in, 0, 0x0008, 0x0016, "UI", "1.2\0", 4);
	hdr(&in, 0, 0x0008, 0x1111, "SQ", UNDEF);
	hdr(&in, 0, 0xfffe, 0xe000, NULL, UNDEF);
	hdr(&in, 0, 0x0008, 0x1115, "SQ", (uint32_t)item.len);
	wr_bytes(&in, item.p, item.len);
	hdr(&in, 0, 0xfffe, 0xe00d, NULL, 0);
	hdr(&in, 0, 0xfffe, 0xe0dd, NULL, 0);
	elem(&in, 0, 0x0010, 0x0010, "PN", "A^B ", 4);

	wr_init(&want, 1 << 12);
	elem(&want, 0, 0x0008, 0x0016, NULL, "1.2\0", 4);
	hdr(&want, 0, 0x0008, 0x1111, NULL, UNDEF);
	hdr(&want, 0, 0xfffe, 0xe000, NULL, UNDEF);
	hdr(&want, 0, 0x0008, 0x1115, NULL, UNDEF);
	hdr(&want, 0, 0xfffe, 0xe000, NULL, UNDEF);
	elem(&want, 0, 0x0028, 0x0010, NULL, us7, 2);
	hdr(&want, 0, 0xfffe, 0xe00d, NULL, 0);
	hdr(&want, 0, 0xfffe, 0xe0dd, NULL, 0);
	hdr(&want, 0, 0xfffe, 0xe00d, NULL, 0);
	hdr(&want, 0, 0xfffe, 0xe0dd, NULL, 0);
	elem(&want, 0, 0x0010, 0x0010, NULL, "A^B ", 4);

	ck_assert_int_eq(run(&in, EVR, IVR, &got, &err), 0);
	check_same(&got, &want);
	wr_release(&in);
	wr_release(&want);
	wr_release(&got);
	wr_release(&item);
	wr_release(&inner);
}
END_TEST

START_TEST(xcode_un_sequence_keeps_its_implicit_contents_byte_for_byte)
{
	struct wr in, want, got, body;
	struct cs_err err = { 0, "" };

	/* PS3.5 6.2.2: an undefined-length UN holds Implicit VR LE items */
	wr_init(&body, 1 << 12);
	hdr(&body, 0, 0xfffe, 0xe000, NULL, UNDEF);
	elem(&body, 0, 0x0009, 0x1001, NULL, "XY", 2);
	hdr(&body, 0, 0xfffe, 0xe00d, NULL, 0);
	hdr(&body, 0, 0xfffe, 0xe0dd, NULL, 0);
	wr_init(&in, 1 << 12);
	hdr(&in, 1, 0x0009, 0x1010, "UN", UNDEF);
	wr_bytes(&in, body.p, body.len);
	elem(&in, 1, 0x0010, 0x0010, "PN", "A^B ", 4);
	wr_init(&want, 1 << 12);
	hdr(&want, 0, 0x0009, 0x1010, NULL, UNDEF);
	wr_bytes(&want, body.p, body.len);
	elem(&want, 0, 0x0010, 0x0010, NULL, "A^B ", 4);
	/* from Big Endian: the UN contents are not Big Endian, so unswapped */
	ck_assert_int_eq(run(&in, EBE, IVR, &got, &err), 0);
	check_same(&got, &want);
	wr_release(&got);
	wr_reset(&want);
	hdr(&want, 0, 0x0009, 0x1010, "UN", UNDEF);
	wr_bytes(&want, body.p, body.len);
	elem(&want, 0, 0x0010, 0x0010, "PN", "A^B ", 4);
	ck_assert_int_eq(run(&in, EBE, EVR, &got, &err), 0);
	check_same(&got, &want);
	wr_release(&in);
	wr_release(&want);
	wr_release(&got);
	wr_release(&body);
}
END_TEST

START_TEST(xcode_group_lengths_are_dropped_other_elements_kept)
{
	struct wr in, want, got;
	struct cs_err err = { 0, "" };
	static const uint8_t gl[4] = { 12, 0, 0, 0 };

	wr_init(&in, 1 << 12);
	elem(&in, 0, 0x0008, 0x0000, "UL", gl, 4);
	elem(&in, 0, 0x0008, 0x0016, "UI", "1.2\0", 4);
	elem(&in, 0, 0x0010, 0x0000, "UL", gl, 4);
	elem(&in, 0, 0x0010, 0x0010, "PN", "A^B ", 4);
	wr_init(&want, 1 << 12);
	elem(&want, 0, 0x0008, 0x0016, NULL, "1.2\0", 4);
	elem(&want, 0, 0x0010, 0x0010, NULL, "A^B ", 4);
	ck_assert_int_eq(run(&in, EVR, IVR, &got, &err), 0);
	check_same(&got, &want);
	wr_release(&in);
	wr_release(&want);
	wr_release(&got);
}
END_TEST

/*
 * The group lengths dropped are counted (the result line says so); one
 * inside a sequence copied as one range (its encoding kept, nothing to
 * pad inside) stays, true still, and is not counted.
 */
START_TEST(xcode_group_lengths_dropped_are_counted_and_kept_in_a_copied_sequence)
{
	static const uint8_t gl[4] = { 12, 0, 0, 0 };
	struct xcode_req req = { EVR, IVR, 0, NULL, 0 };
	struct xcode_result res;
	struct wr item, sq, in, want, got;
	struct cs_err err = { 0, "" };

	wr_init(&item, 1 << 12);
	elem(&item, 0, 0x0008, 0x0000, "UL", gl, 4);
	elem(&item, 0, 0x0008, 0x0100, "SH", "CODE", 4);
	wr_init(&sq, 1 << 12);
	hdr(&sq, 0, 0x0008, 0x1032, "SQ", (uint32_t)item.len + 8);
	hdr(&sq, 0, 0xfffe, 0xe000, NULL, (uint32_t)item.len);
	wr_bytes(&sq, item.p, item.len);
	wr_init(&in, 1 << 12);
	elem(&in, 0, 0x0008, 0x0000, "UL", gl, 4);
	elem(&in, 0, 0x0008, 0x0016, "UI", "1.2\0", 4);
	wr_bytes(&in, sq.p, sq.len);
	elem(&in, 0, 0x0010, 0x0000, "UL", gl, 4);
	elem(&in, 0, 0x0010, 0x0010, "PN", "A^B", 3);

	/* to Implicit VR: every header re-encoded, all three dropped */
	wr_init(&got, 1 << 20);
	ck_assert_msg(xcode_dataset(in.p, in.len, &req, to_wr, &got, &res,
			  &err) == 0, "%s", err.msg);
	ck_assert_uint_eq(res.group_lengths, 3);
	wr_release(&got);

	/* padding in Explicit VR: the sequence goes as it is */
	req.dst_ts = EVR;
	req.pad_odd = 1;
	wr_init(&want, 1 << 12);
	elem(&want, 0, 0x0008, 0x0016, "UI", "1.2\0", 4);
	wr_bytes(&want, sq.p, sq.len);
	elem(&want, 0, 0x0010, 0x0010, "PN", "A^B ", 4);
	wr_init(&got, 1 << 20);
	ck_assert_msg(xcode_dataset(in.p, in.len, &req, to_wr, &got, &res,
			  &err) == 0, "%s", err.msg);
	check_same(&got, &want);
	ck_assert_uint_eq(res.group_lengths, 2);
	ck_assert_uint_eq(res.padded, 1);
	wr_release(&item);
	wr_release(&sq);
	wr_release(&in);
	wr_release(&want);
	wr_release(&got);
}
END_TEST

START_TEST(xcode_implicit_to_explicit_takes_vrs_from_the_dictionary)
{
	struct wr in, want, got;
	struct cs_err err = { 0, "" };
	static const uint8_t us[2] = { 16, 0 };

	wr_init(&in, 1 << 12);
	elem(&in, 0, 0x0010, 0x0010, NULL, "A^B ", 4);
	elem(&in, 0, 0x0011, 0x1001, NULL, "ZZ", 2); /* private: UN */
	elem(&in, 0, 0x0028, 0x0100, NULL, us, 2);
	wr_init(&want, 1 << 12);
	elem(&want, 0, 0x0010, 0x0010, "PN", "A^B ", 4);
	elem(&want, 0, 0x0011, 0x1001, "UN", "ZZ", 2);
	elem(&want, 0, 0x0028, 0x0100, "US", us, 2);
	ck_assert_int_eq(run(&in, IVR, EVR, &got, &err), 0);
	check_same(&got, &want);
	wr_release(&in);
	wr_release(&want);
	wr_release(&got);
}
END_TEST

START_TEST(xcode_sequence_delimiter_ending_a_defined_length_is_kept_once)
{
	struct wr in, want, got;
	struct cs_err err = { 0, "" };

	/* a defined-length sequence whose length counts a Sequence
	 * Delimitation Item at its end: one delimiter in the target */
	wr_init(&in, 1 << 12);
	elem(&in, 0, 0x0008, 0x0016, "UI", "1.2\0", 4);
	hdr(&in, 0, 0x0008, 0x1115, "SQ", 8 + 12 + 8);
	hdr(&in, 0, 0xfffe, 0xe000, NULL, 12);
	elem(&in, 0, 0x0020, 0x000e, "UI", "1.23", 4);
	hdr(&in, 0, 0xfffe, 0xe0dd, NULL, 0);
	elem(&in, 0, 0x0010, 0x0010, "PN", "A^B ", 4);
	wr_init(&want, 1 << 12);
	elem(&want, 1, 0x0008, 0x0016, "UI", "1.2\0", 4);
	hdr(&want, 1, 0x0008, 0x1115, "SQ", UNDEF);
	hdr(&want, 1, 0xfffe, 0xe000, NULL, UNDEF);
	elem(&want, 1, 0x0020, 0x000e, "UI", "1.23", 4);
	hdr(&want, 1, 0xfffe, 0xe00d, NULL, 0);
	hdr(&want, 1, 0xfffe, 0xe0dd, NULL, 0);
	elem(&want, 1, 0x0010, 0x0010, "PN", "A^B ", 4);
	ck_assert_int_eq(run(&in, EVR, EBE, &got, &err), 0);
	check_same(&got, &want);
	wr_release(&in);
	wr_release(&want);
	wr_release(&got);
}
END_TEST

START_TEST(xcode_truncated_and_too_deep_input_is_refused)
{
	struct wr in, got;
	struct cs_err err = { 0, "" };
	int i;

	wr_init(&in, 1 << 12);
	elem(&in, 0, 0x0010, 0x0010, "PN", "A^B ", 4);
	in.len -= 2; /* cut inside the value */
	ck_assert_int_eq(run(&in, EVR, IVR, &got, &err), CS_E_TRUNCATED);
	wr_release(&got);
	wr_reset(&in);
	for (i = 0; i < 129; i++) { /* 258 levels */
		hdr(&in, 0, 0x0008, 0x1111, "SQ", UNDEF);
		hdr(&in, 0, 0xfffe, 0xe000, NULL, UNDEF);
	}
	err.code = 0;
	ck_assert_int_eq(run(&in, EVR, IVR, &got, &err), CS_E_TOOBIG);
	wr_release(&got);
	wr_reset(&in);
	/* 100 defined-length sequences around 40 undefined-length ones:
	 * all are written of undefined length, 140 nested, refused */
	{
		static uint32_t len[100];
		uint32_t inner = 40 * (12 + 8 + 8 + 8);

		for (i = 99; i >= 0; i--) {
			len[i] = inner;
			inner += 12 + 8;
		}
		for (i = 0; i < 100; i++) {
			hdr(&in, 0, 0x0008, 0x1115, "SQ", 8 + len[i]);
			hdr(&in, 0, 0xfffe, 0xe000, NULL, len[i]);
		}
		for (i = 0; i < 40; i++) {
			hdr(&in, 0, 0x0008, 0x1111, "SQ", UNDEF);
			hdr(&in, 0, 0xfffe, 0xe000, NULL, UNDEF);
		}
		for (i = 0; i < 40; i++) {
			hdr(&in, 0, 0xfffe, 0xe00d, NULL, 0);
			hdr(&in, 0, 0xfffe, 0xe0dd, NULL, 0);
		}
	}
	err.code = 0;
	ck_assert_int_eq(run(&in, EVR, IVR, &got, &err), CS_E_TOOBIG);
	ck_assert_str_eq(
	    err.msg, "(0008,1111) nests more than 128 sequences in each other");
	wr_release(&got);
	wr_reset(&in);
	/* an item where an element belongs */
	hdr(&in, 0, 0xfffe, 0xe000, NULL, 0);
	err.code = 0;
	ck_assert_int_eq(run(&in, EVR, IVR, &got, &err), CS_E_PROTO);
	wr_release(&got);
	wr_release(&in);
}
END_TEST

START_TEST(xcode_native_pixels_leave_big_endian_swapped_as_ow)
{
	struct wr in, want, got;
	struct cs_err err = { 0, "" };
	static const uint8_t be[4] = { 0x12, 0x34, 0x56, 0x78 };
	static const uint8_t le[4] = { 0x34, 0x12, 0x78, 0x56 };
	static const uint8_t one[2] = { 0, 1 }, two[2] = { 0, 2 }, sixteen[2] = { 0, 16 };

	wr_init(&in, 1 << 12);
	elem(&in, 1, 0x0028, 0x0002, "US", one, 2);
	elem(&in, 1, 0x0028, 0x0010, "US", one, 2);
	elem(&in, 1, 0x0028, 0x0011, "US", two, 2);
	elem(&in, 1, 0x0028, 0x0100, "US", sixteen, 2);
	elem(&in, 1, 0x7fe0, 0x0010, "OW", be, 4);
	wr_init(&want, 1 << 12);
	elem(&want, 0, 0x0028, 0x0002, NULL, "\1\0", 2);
	elem(&want, 0, 0x0028, 0x0010, NULL, "\1\0", 2);
	elem(&want, 0, 0x0028, 0x0011, NULL, "\2\0", 2);
	elem(&want, 0, 0x0028, 0x0100, NULL, "\20\0", 2);
	elem(&want, 0, 0x7fe0, 0x0010, NULL, le, 4);
	ck_assert_int_eq(run(&in, EBE, IVR, &got, &err), 0);
	check_same(&got, &want);
	wr_release(&in);
	wr_release(&want);
	wr_release(&got);
}
END_TEST

START_TEST(xcode_new_uids_have_the_2_25_form_and_differ)
{
	char a[80], b[80];
	struct cs_err err = { 0, "" };
	size_t i;

	ck_assert_int_eq(xcode_new_uid(a, sizeof(a), &err), 0);
	ck_assert_int_eq(xcode_new_uid(b, sizeof(b), &err), 0);
	ck_assert(strncmp(a, "2.25.", 5) == 0);
	ck_assert(strcmp(a, b) != 0);
	ck_assert_uint_le(strlen(a), 64);
	ck_assert(a[5] != '0' || a[6] == '\0');
	for (i = 5; a[i]; i++)
		ck_assert(a[i] >= '0' && a[i] <= '9');
}
END_TEST

#define RLE "1.2.840.10008.1.2.5"

/* Image Pixel attributes of a cols x 1 8-bit MONOCHROME2 image, EVR LE. */
static void
mono8w(struct wr *w, const char *frames, uint8_t cols)
{
	uint8_t c[2] = { cols, 0 };

	elem(w, 0, 0x0028, 0x0002, "US", "\1\0", 2);
	elem(w, 0, 0x0028, 0x0004, "CS", "MONOCHROME2 ", 12);
	if (frames != NULL)
		elem(w, 0, 0x0028, 0x0008, "IS", frames, 2);
	elem(w, 0, 0x0028, 0x0010, "US", "\1\0", 2);
	elem(w, 0, 0x0028, 0x0011, "US", c, 2);
	elem(w, 0, 0x0028, 0x0100, "US", "\10\0", 2);
	elem(w, 0, 0x0028, 0x0101, "US", "\10\0", 2);
	elem(w, 0, 0x0028, 0x0102, "US", "\7\0", 2);
	elem(w, 0, 0x0028, 0x0103, "US", "\0\0", 2);
}

/* The same, 2x1. */
static void
mono8(struct wr *w, const char *frames)
{
	mono8w(w, frames, 2);
}

/* One RLE frame (PS3.5 G) of the two pixels a b, as a fragment item. */
static void
rle_frag(struct wr *w, uint8_t a, uint8_t b)
{
	uint8_t f[68];

	memset(f, 0, sizeof(f));
	f[0] = 1;  /* one segment */
	f[4] = 64; /* at 64 */
	f[64] = 1; /* a literal run of 2 */
	f[65] = a;
	f[66] = b;
	hdr(w, 0, 0xfffe, 0xe000, NULL, sizeof(f));
	wr_bytes(w, f, sizeof(f));
}

START_TEST(xcode_native_pixels_beyond_the_counted_frames_are_refused)
{
	struct wr in, got;
	struct cs_err err = { 0, "" };
	static const uint8_t px[4] = { 1, 2, 3, 4 };

	/* two frames of 2 bytes, Number of Frames missing: one counted */
	wr_init(&in, 1 << 12);
	mono8(&in, NULL);
	elem(&in, 0, 0x7fe0, 0x0010, "OB", px, 4);
	ck_assert_int_eq(run(&in, EVR, RLE, &got, &err), CS_E_PROTO);
	wr_release(&got);
	wr_reset(&in);
	mono8(&in, "1 ");
	elem(&in, 0, 0x7fe0, 0x0010, "OB", px, 4);
	err.code = 0;
	ck_assert_int_eq(run(&in, EVR, RLE, &got, &err), CS_E_PROTO);
	wr_release(&got);
	wr_release(&in);
}
END_TEST

/* The first fragment of an RLE frame cut in two: its 64-byte header
 * (one segment, at 64) and the first nhead bytes of that segment. */
static void
rle_split_frag(struct wr *w, const char *head, size_t nhead)
{
	int i;

	hdr(w, 0, 0xfffe, 0xe000, NULL, (uint32_t)(64 + nhead));
	wr_bytes(w, "\1\0\0\0\100\0\0\0", 8);
	for (i = 8; i < 64; i++)
		wr_bytes(w, "", 1);
	if (nhead > 0)
		wr_bytes(w, head, nhead);
}

START_TEST(xcode_rle_fragments_of_two_frames_counted_as_one_are_refused)
{
	/* one frame, the literal run 7 8 (PS3.5 G.3.1), cut in two */
	static const struct {
		const char *head, *rest;
		size_t nhead, nrest;
	} split[] = {
		/* after its header: its segment in the last fragment */
		{ "", "\1\7\10\0", 0, 4 },
		/* inside its segment (fo-dicom's 64 KiB fragments): the
		 * segment starts in the first, no later one is an RLE header */
		{ "\1\7", "\10\0", 2, 2 },
	};
	struct wr in, got, want;
	struct cs_err err = { 0, "" };
	int i;

	wr_init(&in, 1 << 12);
	mono8(&in, NULL);
	hdr(&in, 0, 0x7fe0, 0x0010, "OB", UNDEF);
	hdr(&in, 0, 0xfffe, 0xe000, NULL, 0);
	rle_frag(&in, 1, 2);
	rle_frag(&in, 3, 4);
	hdr(&in, 0, 0xfffe, 0xe0dd, NULL, 0);
	ck_assert_int_eq(run(&in, RLE, EVR, &got, &err), CS_E_PROTO);
	wr_release(&got);
	/* one frame of two fragments, both converted to the same pixels */
	for (i = 0; i < (int)(sizeof(split) / sizeof(split[0])); i++) {
		wr_reset(&in);
		mono8(&in, NULL);
		hdr(&in, 0, 0x7fe0, 0x0010, "OB", UNDEF);
		hdr(&in, 0, 0xfffe, 0xe000, NULL, 0);
		rle_split_frag(&in, split[i].head, split[i].nhead);
		elem(&in, 0, 0xfffe, 0xe000, NULL, split[i].rest, split[i].nrest);
		hdr(&in, 0, 0xfffe, 0xe0dd, NULL, 0);
		wr_init(&want, 1 << 12);
		mono8(&want, NULL);
		elem(&want, 0, 0x7fe0, 0x0010, "OB", "\7\10", 2);
		err.code = 0;
		ck_assert_int_eq(run(&in, RLE, EVR, &got, &err), 0);
		check_same(&got, &want);
		wr_release(&got);
		wr_release(&want);
	}
	/* the same with Number of Frames 2 converts both */
	wr_reset(&in);
	mono8(&in, "2 ");
	hdr(&in, 0, 0x7fe0, 0x0010, "OB", UNDEF);
	hdr(&in, 0, 0xfffe, 0xe000, NULL, 0);
	rle_frag(&in, 1, 2);
	rle_frag(&in, 3, 4);
	hdr(&in, 0, 0xfffe, 0xe0dd, NULL, 0);
	wr_init(&want, 1 << 12);
	mono8(&want, "2 ");
	elem(&want, 0, 0x7fe0, 0x0010, "OB", "\1\2\3\4", 4);
	err.code = 0;
	ck_assert_int_eq(run(&in, RLE, EVR, &got, &err), 0);
	check_same(&got, &want);
	wr_release(&got);
	wr_release(&want);
	wr_release(&in);
}
END_TEST

START_TEST(xcode_rle_frames_cut_into_fragments_without_a_table_split_at_headers)
{
	struct wr in, got, want;
	struct cs_err err = { 0, "" };

	/* DCMTK's dcmcrle +fs 1 -ot: each frame its header, then the rest
	 * of its segment in a fragment of its own; no Basic Offset Table */
	wr_init(&in, 1 << 12);
	mono8(&in, "2 ");
	hdr(&in, 0, 0x7fe0, 0x0010, "OB", UNDEF);
	hdr(&in, 0, 0xfffe, 0xe000, NULL, 0);
	rle_split_frag(&in, "", 0);
	elem(&in, 0, 0xfffe, 0xe000, NULL, "\1\1\2\0", 4);
	rle_split_frag(&in, "\1\3", 2);
	elem(&in, 0, 0xfffe, 0xe000, NULL, "\4\0", 2);
	hdr(&in, 0, 0xfffe, 0xe0dd, NULL, 0);
	wr_init(&want, 1 << 12);
	mono8(&want, "2 ");
	elem(&want, 0, 0x7fe0, 0x0010, "OB", "\1\2\3\4", 4);
	ck_assert_int_eq(run(&in, RLE, EVR, &got, &err), 0);
	check_same(&got, &want);
	wr_release(&got);
	wr_release(&want);
	/* three headers for two frames: which two is a guess, refused */
	wr_reset(&in);
	mono8(&in, "2 ");
	hdr(&in, 0, 0x7fe0, 0x0010, "OB", UNDEF);
	hdr(&in, 0, 0xfffe, 0xe000, NULL, 0);
	rle_frag(&in, 1, 2);
	rle_frag(&in, 3, 4);
	rle_frag(&in, 5, 6);
	hdr(&in, 0, 0xfffe, 0xe0dd, NULL, 0);
	err.code = 0;
	ck_assert_int_eq(run(&in, RLE, EVR, &got, &err), CS_E_PROTO);
	wr_release(&got);
	/* the first fragment no header: refused, saying how many were */
	wr_reset(&in);
	mono8(&in, "2 ");
	hdr(&in, 0, 0x7fe0, 0x0010, "OB", UNDEF);
	hdr(&in, 0, 0xfffe, 0xe000, NULL, 0);
	elem(&in, 0, 0xfffe, 0xe000, NULL, "\1\1\2\0", 4);
	rle_frag(&in, 3, 4);
	rle_frag(&in, 5, 6);
	hdr(&in, 0, 0xfffe, 0xe0dd, NULL, 0);
	err.code = 0;
	ck_assert_int_eq(run(&in, RLE, EVR, &got, &err), CS_E_PROTO);
	ck_assert_ptr_nonnull(strstr(err.msg, "RLE: 3 fragments for 2 frames"));
	wr_release(&got);
	wr_release(&in);
}
END_TEST

/* An RLE header (PS3.5 G.5): one segment, at off. */
static void
rle_head(uint8_t h[64], uint8_t off)
{
	memset(h, 0, 64);
	h[0] = 1;
	h[4] = off;
}

/* Encapsulated Pixel Data of n fragments (no Basic Offset Table). */
static void
frags(struct wr *w, const uint8_t *const *f, const size_t *n, size_t nf)
{
	size_t i;

	hdr(w, 0, 0x7fe0, 0x0010, "OB", UNDEF);
	hdr(w, 0, 0xfffe, 0xe000, NULL, 0);
	for (i = 0; i < nf; i++)
		elem(w, 0, 0xfffe, 0xe000, NULL, f[i], (uint32_t)n[i]);
	hdr(w, 0, 0xfffe, 0xe0dd, NULL, 0);
}

START_TEST(xcode_rle_frames_cut_without_a_table_never_split_at_a_look_alike)
{
	uint8_t f1[68], f2[72], f3[68], fake[68], cut[36];
	struct wr in, got, want;
	struct cs_err err = { 0, "" };

	rle_head(f1, 64);
	memcpy(f1 + 64, "\1\1\2\0", 4);
	rle_head(f3, 64);
	memcpy(f3 + 64, "\1\5\6\0", 4);
	rle_head(fake, 64);
	memcpy(fake + 64, "\1\7\10\0", 4);
	/* frame 2's header cut 32 + 32, then a fragment that is a whole RLE
	 * frame after the 3 counted: a split at headers found frames 1+2,
	 * 3 and the extra one, and stored 1 2 5 6 7 8 as success */
	rle_head(f2, 64);
	memcpy(cut, f2 + 32, 32);
	memcpy(cut + 32, "\1\3\4\0", 4);
	{
		const uint8_t *f[] = { f1, f2, cut, f3, fake };
		const size_t n[] = { 68, 32, 36, 68, 68 };

		wr_init(&in, 1 << 12);
		mono8(&in, "3 ");
		frags(&in, f, n, 5);
		ck_assert_int_eq(run(&in, RLE, EVR, &got, &err), CS_E_PROTO);
		ck_assert_ptr_nonnull(strstr(err.msg, "fragment 5 follows"));
		wr_release(&got);
	}
	/* frame 2's segment at 68 (G.5 allows it), the same extra frame:
	 * frame 2 was not seen as a start, and 1 2 5 6 7 8 stored */
	rle_head(f2, 68);
	memcpy(f2 + 68, "\1\3\4\0", 4);
	{
		const uint8_t *f[] = { f1, f2, f3, fake };
		const size_t n[] = { 68, 72, 68, 68 };

		wr_reset(&in);
		mono8(&in, "3 ");
		frags(&in, f, n, 4);
		err.code = 0;
		ck_assert_int_eq(run(&in, RLE, EVR, &got, &err), CS_E_PROTO);
		wr_release(&got);
	}
	/* frame 2 (its segment at 68) cut inside its header, 2 frames of 3
	 * fragments: converted */
	{
		const uint8_t *f[] = { f1, f2, f2 + 40 };
		const size_t n[] = { 68, 40, 32 };

		wr_reset(&in);
		mono8(&in, "2 ");
		frags(&in, f, n, 3);
		wr_init(&want, 1 << 12);
		mono8(&want, "2 ");
		elem(&want, 0, 0x7fe0, 0x0010, "OB", "\1\2\3\4", 4);
		err.code = 0;
		ck_assert_int_eq(run(&in, RLE, EVR, &got, &err), 0);
		check_same(&got, &want);
		wr_release(&got);
		wr_release(&want);
	}
	/* bytes left over after the last segment of a cut frame: refused */
	{
		const uint8_t *f[] = { f1, (const uint8_t *)"\1\3\4\1\0\0" };
		const size_t n[] = { 64, 6 };

		wr_reset(&in);
		mono8(&in, "1 ");
		frags(&in, f, n, 2);
		err.code = 0;
		ck_assert_int_eq(run(&in, RLE, EVR, &got, &err), CS_E_PROTO);
		ck_assert_ptr_nonnull(strstr(err.msg, "left over"));
		wr_release(&got);
	}
	wr_release(&in);
}
END_TEST

START_TEST(xcode_rle_fragment_inside_a_frame_may_begin_like_a_header)
{
	/* 128x1: frame 1 is 64 fives, then a fragment beginning as an RLE
	 * header does (01 00 00 00 40 00 00 00) that goes on with frame 1's
	 * segment, and trailing no-operation runs (G.3.2); frame 2 is 128
	 * sevens.  dcmdrle decodes it so. */
	uint8_t a[66], b[64], c[66], px[256];
	const uint8_t *f[] = { a, b, c };
	const size_t n[] = { 66, 64, 66 };
	static const uint8_t run2[11] = { 1, 0, 0, 0, 0x40, 0, 0, 0, 0, 0xc6,
		0 };
	struct wr in, got, want;
	struct cs_err err = { 0, "" };

	rle_head(a, 64);
	a[64] = 0xc1;
	a[65] = 5;
	memset(b, 0x80, sizeof(b));
	memcpy(b, run2, sizeof(run2));
	rle_head(c, 64);
	c[64] = 0x81;
	c[65] = 7;
	memset(px, 0, sizeof(px));
	memset(px, 5, 64);
	px[66] = 0x40;
	memset(px + 128, 7, 128);
	wr_init(&in, 1 << 12);
	mono8w(&in, "2 ", 128);
	frags(&in, f, n, 3);
	wr_init(&want, 1 << 12);
	mono8w(&want, "2 ", 128);
	elem(&want, 0, 0x7fe0, 0x0010, "OB", px, sizeof(px));
	ck_assert_msg(run(&in, RLE, EVR, &got, &err) == 0, "%s", err.msg);
	check_same(&got, &want);
	wr_release(&got);
	wr_release(&want);
	wr_release(&in);
}
END_TEST

START_TEST(xcode_decoding_drops_every_element_that_describes_the_fragments)
{
	/* two RLE frames, one fragment each, as an Extended Offset Table
	 * describes them (PS3.3 C.7.6.3): offsets, lengths, total length */
	static const uint8_t offs[16] = { 0, 0, 0, 0, 0, 0, 0, 0, 76 };
	static const uint8_t lens[16] = { 68, 0, 0, 0, 0, 0, 0, 0, 68 };
	static const uint8_t total[8] = { 136 };
	struct wr in, got, want;
	struct cs_err err = { 0, "" };

	wr_init(&in, 1 << 12);
	mono8(&in, "2 ");
	elem(&in, 0, 0x7fe0, 0x0001, "OV", offs, sizeof(offs));
	elem(&in, 0, 0x7fe0, 0x0002, "OV", lens, sizeof(lens));
	elem(&in, 0, 0x7fe0, 0x0003, "UV", total, sizeof(total));
	hdr(&in, 0, 0x7fe0, 0x0010, "OB", UNDEF);
	hdr(&in, 0, 0xfffe, 0xe000, NULL, 0);
	rle_frag(&in, 1, 2);
	rle_frag(&in, 3, 4);
	hdr(&in, 0, 0xfffe, 0xe0dd, NULL, 0);
	/* native pixels: no fragments left for the three to describe */
	wr_init(&want, 1 << 12);
	mono8(&want, "2 ");
	elem(&want, 0, 0x7fe0, 0x0010, "OB", "\1\2\3\4", 4);
	ck_assert_int_eq(run(&in, RLE, EVR, &got, &err), 0);
	check_same(&got, &want);
	wr_release(&got);
	wr_release(&want);
	wr_release(&in);
}
END_TEST

START_TEST(xcode_jpeg_fragments_of_two_code_streams_counted_as_one_are_refused)
{
	struct wr in, got;
	struct cs_err err = { 0, "" };
	static const uint8_t soi[4] = { 0xff, 0xd8, 0xff, 0xd9 };

	wr_init(&in, 1 << 12);
	mono8(&in, NULL);
	hdr(&in, 0, 0x7fe0, 0x0010, "OB", UNDEF);
	hdr(&in, 0, 0xfffe, 0xe000, NULL, 0);
	elem(&in, 0, 0xfffe, 0xe000, NULL, soi, 4);
	elem(&in, 0, 0xfffe, 0xe000, NULL, soi, 4);
	hdr(&in, 0, 0xfffe, 0xe0dd, NULL, 0);
	ck_assert_int_eq(run(&in, "1.2.840.10008.1.2.4.70", EVR, &got, &err),
	    CS_E_PROTO);
	wr_release(&got);
	wr_release(&in);
}
END_TEST

START_TEST(xcode_undefined_length_special_element_does_not_end_the_data_set)
{
	struct wr in, got, want;
	struct cs_err err = { 0, "" };

	/* an Extended Offset Table written as a UN sequence (malformed but
	 * walkable): dropped, and the Pixel Data after it still converted */
	wr_init(&in, 1 << 12);
	mono8(&in, "1 ");
	hdr(&in, 0, 0x7fe0, 0x0001, "UN", UNDEF);
	hdr(&in, 0, 0xfffe, 0xe000, NULL, 0);
	hdr(&in, 0, 0xfffe, 0xe0dd, NULL, 0);
	hdr(&in, 0, 0x7fe0, 0x0010, "OB", UNDEF);
	hdr(&in, 0, 0xfffe, 0xe000, NULL, 0);
	rle_frag(&in, 5, 6);
	hdr(&in, 0, 0xfffe, 0xe0dd, NULL, 0);
	wr_init(&want, 1 << 12);
	mono8(&want, "1 ");
	elem(&want, 0, 0x7fe0, 0x0010, "OB", "\5\6", 2);
	ck_assert_int_eq(run(&in, RLE, EVR, &got, &err), 0);
	check_same(&got, &want);
	wr_release(&got);
	wr_release(&want);
	wr_release(&in);
}
END_TEST

START_TEST(xcode_private_creators_become_lo_in_explicit)
{
	struct wr in, want, got;
	struct cs_err err = { 0, "" };

	wr_init(&in, 1 << 12);
	elem(&in, 0, 0x0011, 0x0010, NULL, "ACME", 4);
	elem(&in, 0, 0x0011, 0x1001, NULL, "ZZ", 2);
	wr_init(&want, 1 << 12);
	elem(&want, 0, 0x0011, 0x0010, "LO", "ACME", 4);
	elem(&want, 0, 0x0011, 0x1001, "UN", "ZZ", 2);
	ck_assert_int_eq(run(&in, IVR, EVR, &got, &err), 0);
	check_same(&got, &want);
	wr_release(&in);
	wr_release(&want);
	wr_release(&got);
}
END_TEST

START_TEST(xcode_implicit_to_explicit_needs_no_gdcm_module)
{
	struct wr in, want, got;
	struct cs_err err = { 0, "" };
	pid_t pid;
	int st;

	/* in a child of its own: the module is loaded once per process;
	 * the dictionary is ours (core/element.h), not GDCM's */
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		setenv("CSTORE_GDCM_MODULE", "/nonexistent/cstore-gdcm.so", 1);
		wr_init(&in, 1 << 12);
		elem(&in, 0, 0x0008, 0x0016, NULL, "1.2.3", 6);
		elem(&in, 0, 0x0072, 0x0082, NULL, "\xfb\xff\xff\xff\xff\xff\xff\xff", 8);
		wr_init(&want, 1 << 12);
		elem(&want, 0, 0x0008, 0x0016, "UI", "1.2.3", 6);
		elem(&want, 0, 0x0072, 0x0082, "SV", "\xfb\xff\xff\xff\xff\xff\xff\xff", 8);
		if (run(&in, IVR, EVR, &got, &err) != 0 || got.len != want.len ||
		    memcmp(got.p, want.p, got.len) != 0)
			_exit(1);
		_exit(0);
	}
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}
END_TEST

/* One element each of in (Implicit VR) and want (Explicit VR LE). */
static void
both(struct wr *in, struct wr *want, uint16_t g, uint16_t e, const char *vr,
    const void *v, uint32_t n)
{
	elem(in, 0, g, e, NULL, v, n);
	elem(want, 0, g, e, vr, v, n);
}

START_TEST(xcode_implicit_to_explicit_gives_the_vrs_ps3_6_added_lately)
{
	struct wr in, want, got;
	struct cs_err err = { 0, "" };
	static const uint8_t v8[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };

	wr_init(&in, 1 << 12);
	wr_init(&want, 1 << 12);
	both(&in, &want, 0x0008, 0x0119, "UC", "long code ", 10);
	both(&in, &want, 0x0008, 0x040c, "UV", v8, 8);  /* PS3.6 2022 */
	both(&in, &want, 0x0008, 0x1190, "UR", "http://a/b", 10);
	both(&in, &want, 0x0018, 0x9810, "US", "\x05\x00", 2);
	both(&in, &want, 0x0020, 0x3112, "CS", "RET ", 4); /* (0020,31xx) */
	both(&in, &want, 0x0028, 0x0410, "US", "\x03\x00", 2); /* 04x0 */
	both(&in, &want, 0x0040, 0xa160, "UT", "text", 4);
	both(&in, &want, 0x0066, 0x0040, "OL", v8, 4);
	both(&in, &want, 0x0070, 0x1a00, "UN", v8, 2); /* not in PS3.6 */
	both(&in, &want, 0x0072, 0x0073, "OD", v8, 8);
	both(&in, &want, 0x0072, 0x0074, "FD", v8, 8);
	both(&in, &want, 0x0072, 0x0075, "OL", v8, 4);
	both(&in, &want, 0x0072, 0x0081, "OV", v8, 8);
	both(&in, &want, 0x0072, 0x0082, "SV", v8, 8);
	both(&in, &want, 0x0072, 0x0083, "UV", v8, 8);
	both(&in, &want, 0x1000, 0x0011, "US", v8, 6); /* (1000,xxx1) */
	both(&in, &want, 0x5010, 0x0005, "US", v8, 2); /* (50xx,0005) */
	both(&in, &want, 0x5010, 0x3000, "OW", v8, 4); /* curve data */
	both(&in, &want, 0x6002, 0x0050, "SS", v8, 4); /* (60xx,0050) */
	both(&in, &want, 0x6002, 0x3000, "OW", v8, 2); /* overlay data */
	both(&in, &want, 0x6003, 0x0010, "LO", "ACME", 4); /* private */
	both(&in, &want, 0x6003, 0x3000, "UN", v8, 2);
	both(&in, &want, 0x7f10, 0x0011, "US", v8, 2); /* (7Fxx,0011) */
	ck_assert_int_eq(run(&in, IVR, EVR, &got, &err), 0);
	check_same(&got, &want);
	wr_release(&in);
	wr_release(&want);
	wr_release(&got);
}
END_TEST

START_TEST(xcode_implicit_us_or_ss_follows_the_pixel_representation_around_it)
{
	struct wr in, want, got, item, witem;
	struct cs_err err = { 0, "" };
	static const uint8_t one[2] = { 1, 0 }, zero[2] = { 0, 0 };
	static const uint8_t eight[2] = { 8, 0 }, sixteen[2] = { 16, 0 };
	static const uint8_t desc[6] = { 0, 1, 0, 0, 16, 0 };

	/* an item of its own with Pixel Representation 0 (an icon) */
	wr_init(&item, 1 << 12);
	wr_init(&witem, 1 << 12);
	both(&item, &witem, 0x0028, 0x0100, "US", eight, 2);
	both(&item, &witem, 0x0028, 0x0103, "US", zero, 2);
	both(&item, &witem, 0x0028, 0x0106, "US", one, 2);
	both(&item, &witem, 0x7fe0, 0x0010, "OB", "abcd", 4);
	wr_init(&in, 1 << 12);
	wr_init(&want, 1 << 12);
	/* before Pixel Representation 1: the data set's, read first */
	both(&in, &want, 0x0018, 0x9810, "SS", one, 2);
	both(&in, &want, 0x0028, 0x0100, "US", sixteen, 2);
	both(&in, &want, 0x0028, 0x0103, "US", one, 2);
	both(&in, &want, 0x0028, 0x0106, "SS", one, 2);
	both(&in, &want, 0x0028, 0x1101, "US", desc, 6); /* descriptor */
	hdr(&in, 0, 0x0028, 0x3000, NULL, UNDEF); /* Modality LUT */
	hdr(&in, 0, 0xfffe, 0xe000, NULL, UNDEF);
	both(&in, &want, 0x0028, 0x3002, "US", desc, 6); /* nested: want */
	both(&in, &want, 0x0028, 0x3006, "OW", "abcd", 4); /* gets them */
	hdr(&in, 0, 0xfffe, 0xe00d, NULL, 0);
	hdr(&in, 0, 0xfffe, 0xe0dd, NULL, 0);
	hdr(&in, 0, 0x0040, 0x9096, NULL, UNDEF); /* Real World Value */
	hdr(&in, 0, 0xfffe, 0xe000, NULL, UNDEF);
	both(&in, &want, 0x0040, 0x9216, "SS", one, 2); /* the top's */
	hdr(&in, 0, 0xfffe, 0xe00d, NULL, 0);
	hdr(&in, 0, 0xfffe, 0xe0dd, NULL, 0);
	hdr(&in, 0, 0x0088, 0x0200, NULL, UNDEF); /* Icon Image */
	hdr(&in, 0, 0xfffe, 0xe000, NULL, (uint32_t)item.len);
	wr_bytes(&in, item.p, item.len);
	hdr(&in, 0, 0xfffe, 0xe0dd, NULL, 0);

	/* the sequences and items the target gets, around the values */
	{
		struct wr w;
		size_t at = 0;

		wr_init(&w, 1 << 12);
		/* the top's 5 elements: 10 + 10 + 10 + 10 + 14 bytes */
		wr_bytes(&w, want.p, 54);
		at = 54;
		hdr(&w, 0, 0x0028, 0x3000, "SQ", UNDEF);
		hdr(&w, 0, 0xfffe, 0xe000, NULL, UNDEF);
		wr_bytes(&w, want.p + at, 14 + 16);
		at += 30;
		hdr(&w, 0, 0xfffe, 0xe00d, NULL, 0);
		hdr(&w, 0, 0xfffe, 0xe0dd, NULL, 0);
		hdr(&w, 0, 0x0040, 0x9096, "SQ", UNDEF);
		hdr(&w, 0, 0xfffe, 0xe000, NULL, UNDEF);
		wr_bytes(&w, want.p + at, 10);
		hdr(&w, 0, 0xfffe, 0xe00d, NULL, 0);
		hdr(&w, 0, 0xfffe, 0xe0dd, NULL, 0);
		hdr(&w, 0, 0x0088, 0x0200, "SQ", UNDEF);
		hdr(&w, 0, 0xfffe, 0xe000, NULL, UNDEF);
		wr_bytes(&w, witem.p, witem.len);
		hdr(&w, 0, 0xfffe, 0xe00d, NULL, 0);
		hdr(&w, 0, 0xfffe, 0xe0dd, NULL, 0);
		ck_assert_int_eq(run(&in, IVR, EVR, &got, &err), 0);
		check_same(&got, &w);
		wr_release(&w);
	}
	wr_release(&in);
	wr_release(&want);
	wr_release(&got);
	wr_release(&item);
	wr_release(&witem);
}
END_TEST

START_TEST(xcode_implicit_waveform_data_is_ob_for_8_bits_looking_ahead)
{
	struct wr in, got, w;
	struct cs_err err = { 0, "" };
	static const uint8_t eight[2] = { 8, 0 }, sixteen[2] = { 16, 0 };
	unsigned i;

	wr_init(&in, 1 << 12);
	wr_init(&w, 1 << 12);
	hdr(&in, 0, 0x5400, 0x0100, NULL, UNDEF);
	hdr(&w, 0, 0x5400, 0x0100, "SQ", UNDEF);
	for (i = 0; i < 2; i++) {
		const char *vr = i == 0 ? "OB" : "OW";

		hdr(&in, 0, 0xfffe, 0xe000, NULL, UNDEF);
		hdr(&w, 0, 0xfffe, 0xe000, NULL, UNDEF);
		/* Channel Minimum Value comes before Waveform Bits Allocated */
		both(&in, &w, 0x5400, 0x0110, vr, "\x80\x00", 2);
		both(&in, &w, 0x5400, 0x1004, "US", i == 0 ? eight : sixteen, 2);
		both(&in, &w, 0x5400, 0x100a, vr, "\x80\x00", 2);
		both(&in, &w, 0x5400, 0x1010, vr, "abcd", 4);
		hdr(&in, 0, 0xfffe, 0xe00d, NULL, 0);
		hdr(&w, 0, 0xfffe, 0xe00d, NULL, 0);
	}
	hdr(&in, 0, 0xfffe, 0xe0dd, NULL, 0);
	hdr(&w, 0, 0xfffe, 0xe0dd, NULL, 0);
	ck_assert_int_eq(run(&in, IVR, EVR, &got, &err), 0);
	check_same(&got, &w);
	wr_release(&in);
	wr_release(&got);
	wr_release(&w);
}
END_TEST

/* A Channel Definition Sequence item (PS3.3 C.10.9) as the source has it
 * (be < 0: Implicit VR LE) or as the target should (vr: of its values). */
static void
channel_item(struct wr *w, int be, const char *vr)
{
	int b = be > 0;
	int sixteen = vr != NULL && strcmp(vr, "OW") == 0;

	hdr(w, b, 0xfffe, 0xe000, NULL, UNDEF);
	elem(w, b, 0x003a, 0x0202, be < 0 ? NULL : "IS", "1 ", 2);
	/* a nested Channel Source Sequence, walked to its end */
	hdr(w, b, 0x003a, 0x0208, be < 0 ? NULL : "SQ", UNDEF);
	hdr(w, b, 0xfffe, 0xe000, NULL, UNDEF);
	elem(w, b, 0x0008, 0x0100, be < 0 ? NULL : "SH", "C1", 2);
	hdr(w, b, 0xfffe, 0xe00d, NULL, 0);
	hdr(w, b, 0xfffe, 0xe0dd, NULL, 0);
	elem(w, b, 0x5400, 0x0110, be < 0 ? NULL : vr,
	    sixteen && b ? "\x01\x80" : "\x80\x01", 2);
	elem(w, b, 0x5400, 0x0112, be < 0 ? NULL : vr,
	    sixteen && b ? "\x02\x7f" : "\x7f\x02", 2);
	hdr(w, b, 0xfffe, 0xe00d, NULL, 0);
}

START_TEST(xcode_implicit_channel_values_follow_the_waveform_item_bits)
{
	struct wr in, got, want, ch;
	struct cs_err err = { 0, "" };
	unsigned i, be;

	/* the source's channel item of defined length (for the 16 bits) */
	wr_init(&ch, 1 << 12);
	channel_item(&ch, -1, NULL);
	ch.len -= 8; /* its own item delimiter: a defined length instead */
	for (be = 0; be < 2; be++) {
		wr_init(&in, 1 << 12);
		wr_init(&want, 1 << 12);
		hdr(&in, 0, 0x5400, 0x0100, NULL, UNDEF);
		hdr(&want, be, 0x5400, 0x0100, "SQ", UNDEF);
		for (i = 0; i < 2; i++) {
			const char *vr = i == 0 ? "OB" : "OW";
			const char *bits = i == 0 ? "\x08\x00" : "\x10\x00";

			hdr(&in, 0, 0xfffe, 0xe000, NULL, UNDEF);
			hdr(&want, be, 0xfffe, 0xe000, NULL, UNDEF);
			elem(&in, 0, 0x003a, 0x0005, NULL, "\x01\x00", 2);
			elem(&want, be, 0x003a, 0x0005, "US",
			    be ? "\x00\x01" : "\x01\x00", 2);
			/* the channel values come before the bits, a level
			 * down: undefined lengths for 8 bits, defined for 16 */
			if (i == 0) {
				hdr(&in, 0, 0x003a, 0x0200, NULL, UNDEF);
				channel_item(&in, -1, NULL);
				hdr(&in, 0, 0xfffe, 0xe0dd, NULL, 0);
			} else {
				hdr(&in, 0, 0x003a, 0x0200, NULL,
				    (uint32_t)(8 + ch.len - 8));
				hdr(&in, 0, 0xfffe, 0xe000, NULL,
				    (uint32_t)(ch.len - 8));
				wr_bytes(&in, ch.p + 8, ch.len - 8);
			}
			hdr(&want, be, 0x003a, 0x0200, "SQ", UNDEF);
			channel_item(&want, (int)be, vr);
			hdr(&want, be, 0xfffe, 0xe0dd, NULL, 0);
			elem(&in, 0, 0x5400, 0x1004, NULL, bits, 2);
			elem(&want, be, 0x5400, 0x1004, "US",
			    be ? (i == 0 ? "\x00\x08" : "\x00\x10") : bits, 2);
			elem(&in, 0, 0x5400, 0x1010, NULL, "\x01\x02", 2);
			elem(&want, be, 0x5400, 0x1010, vr,
			    be && i == 1 ? "\x02\x01" : "\x01\x02", 2);
			hdr(&in, 0, 0xfffe, 0xe00d, NULL, 0);
			hdr(&want, be, 0xfffe, 0xe00d, NULL, 0);
		}
		hdr(&in, 0, 0xfffe, 0xe0dd, NULL, 0);
		hdr(&want, be, 0xfffe, 0xe0dd, NULL, 0);
		ck_assert_int_eq(run(&in, IVR, be ? EBE : EVR, &got, &err), 0);
		check_same(&got, &want);
		wr_release(&in);
		wr_release(&want);
		wr_release(&got);
	}
	wr_release(&ch);
}
END_TEST

/* Waveform items nested in channel items, n deep, 8 and 16 bits by turns
 * (the outermost 8): the source (src) or the target in Explicit VR LE. */
static void
nested_waves(struct wr *w, int src, unsigned level, unsigned n)
{
	const char *vr = level % 2 ? "OW" : "OB";

	hdr(w, 0, 0x5400, 0x0100, src ? NULL : "SQ", UNDEF);
	hdr(w, 0, 0xfffe, 0xe000, NULL, UNDEF);
	hdr(w, 0, 0x003a, 0x0200, src ? NULL : "SQ", UNDEF);
	hdr(w, 0, 0xfffe, 0xe000, NULL, UNDEF);
	if (level + 1 < n)
		nested_waves(w, src, level + 1, n);
	elem(w, 0, 0x5400, 0x0110, src ? NULL : vr, "\x80\x01", 2);
	hdr(w, 0, 0xfffe, 0xe00d, NULL, 0);
	hdr(w, 0, 0xfffe, 0xe0dd, NULL, 0);
	elem(w, 0, 0x5400, 0x1004, src ? NULL : "US",
	    level % 2 ? "\x10\x00" : "\x08\x00", 2);
	hdr(w, 0, 0xfffe, 0xe00d, NULL, 0);
	hdr(w, 0, 0xfffe, 0xe0dd, NULL, 0);
}

START_TEST(xcode_implicit_nested_waveform_items_each_take_their_own_bits)
{
	struct wr in, want, got;
	struct cs_err err = { 0, "" };
	size_t at;

	/* 60 levels (240 of the walk): each item's values by its own bits */
	wr_init(&in, 1 << 16);
	wr_init(&want, 1 << 16);
	nested_waves(&in, 1, 0, 60);
	nested_waves(&want, 0, 0, 60);
	ck_assert_int_eq(run(&in, IVR, EVR, &got, &err), 0);
	check_same(&got, &want);
	wr_release(&got);
	/* cut anywhere, the look ahead reads nothing past the end: the walk
	 * fails as it would (an error, no crash) */
	for (at = 1; at < in.len; at += 7) {
		struct wr cut;

		wr_init(&cut, 1 << 16);
		wr_bytes(&cut, in.p, at);
		err.code = 0;
		ck_assert_int_ne(run(&cut, IVR, EVR, &got, &err), 0);
		wr_release(&got);
		wr_release(&cut);
	}
	wr_release(&in);
	wr_release(&want);
}
END_TEST

START_TEST(xcode_implicit_counts_and_variable_pixels_follow_bits_allocated)
{
	struct wr in, want, got;
	struct cs_err err = { 0, "" };
	unsigned i;

	for (i = 0; i < 3; i++) {
		/* 8 bits: OB, as they were; 16: OW, swapped; none: OW */
		const char *vr = i == 0 ? "OB" : "OW";
		const char *v = i == 0 ? "\x01\x02" : "\x02\x01";

		wr_init(&in, 1 << 12);
		wr_init(&want, 1 << 12);
		elem(&in, 0, 0x0014, 0x3050, NULL, "\x01\x02", 2);
		elem(&want, 1, 0x0014, 0x3050, vr, v, 2); /* Dark Current */
		elem(&in, 0, 0x0014, 0x3070, NULL, "\x01\x02", 2);
		elem(&want, 1, 0x0014, 0x3070, vr, v, 2); /* Air Counts */
		if (i < 2) {
			elem(&in, 0, 0x0028, 0x0100, NULL,
			    i == 0 ? "\x08\x00" : "\x10\x00", 2);
			elem(&want, 1, 0x0028, 0x0100, "US",
			    i == 0 ? "\x00\x08" : "\x00\x10", 2);
		}
		/* Audio Sample Data, retired: OW whatever its format */
		elem(&in, 0, 0x5002, 0x2002, NULL, "\x01\x00", 2);
		elem(&want, 1, 0x5002, 0x2002, "US", "\x00\x01", 2);
		elem(&in, 0, 0x5002, 0x200c, NULL, "\x01\x02", 2);
		elem(&want, 1, 0x5002, 0x200c, "OW", "\x02\x01", 2);
		elem(&in, 0, 0x7f02, 0x0010, NULL, "\x01\x02", 2);
		elem(&want, 1, 0x7f02, 0x0010, vr, v, 2); /* Variable Pixel */
		ck_assert_int_eq(run(&in, IVR, EBE, &got, &err), 0);
		check_same(&got, &want);
		wr_release(&in);
		wr_release(&want);
		wr_release(&got);
	}
}
END_TEST

START_TEST(xcode_implicit_to_big_endian_swaps_by_the_dictionary_vr)
{
	struct wr in, want, got;
	struct cs_err err = { 0, "" };
	static const uint8_t sv[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	static const uint8_t sv_be[8] = { 8, 7, 6, 5, 4, 3, 2, 1 };

	wr_init(&in, 1 << 12);
	wr_init(&want, 1 << 12);
	/* SV: by 8 (main had no VR for it: UN, not swapped) */
	elem(&in, 0, 0x0072, 0x0082, NULL, sv, 8);
	elem(&want, 1, 0x0072, 0x0082, "SV", sv_be, 8);
	/* an 8-bit waveform's data: OB, never swapped */
	hdr(&in, 0, 0x5400, 0x0100, NULL, UNDEF);
	hdr(&in, 0, 0xfffe, 0xe000, NULL, UNDEF);
	elem(&in, 0, 0x5400, 0x1004, NULL, "\x08\x00", 2);
	elem(&in, 0, 0x5400, 0x1010, NULL, "\x01\x02", 2);
	hdr(&in, 0, 0xfffe, 0xe00d, NULL, 0);
	hdr(&in, 0, 0xfffe, 0xe0dd, NULL, 0);
	hdr(&want, 1, 0x5400, 0x0100, "SQ", UNDEF);
	hdr(&want, 1, 0xfffe, 0xe000, NULL, UNDEF);
	elem(&want, 1, 0x5400, 0x1004, "US", "\x00\x08", 2);
	elem(&want, 1, 0x5400, 0x1010, "OB", "\x01\x02", 2);
	hdr(&want, 1, 0xfffe, 0xe00d, NULL, 0);
	hdr(&want, 1, 0xfffe, 0xe0dd, NULL, 0);
	ck_assert_int_eq(run(&in, IVR, EBE, &got, &err), 0);
	check_same(&got, &want);
	wr_release(&in);
	wr_release(&want);
	wr_release(&got);
}
END_TEST

START_TEST(xcode_unknown_vr_keeps_the_long_header_our_reader_reads)
{
	struct wr in, want, got;
	struct cs_err err = { 0, "" };
	struct ds_elem e;
	struct rd r;

	/* "XX": a VR of a later edition, read with the 32-bit length */
	wr_init(&in, 1 << 12);
	wr_be16(&in, 0x0009);
	wr_be16(&in, 0x1010);
	wr_bytes(&in, "XX\0\0", 4);
	wr_be32(&in, 4);
	wr_bytes(&in, "ABCD", 4);
	elem(&in, 1, 0x0010, 0x0010, "PN", "A^B ", 4);
	wr_init(&want, 1 << 12);
	wr_le16(&want, 0x0009);
	wr_le16(&want, 0x1010);
	wr_bytes(&want, "XX\0\0", 4);
	wr_le32(&want, 4);
	wr_bytes(&want, "ABCD", 4);
	elem(&want, 0, 0x0010, 0x0010, "PN", "A^B ", 4);
	ck_assert_int_eq(run(&in, EBE, EVR, &got, &err), 0);
	check_same(&got, &want);
	rd_init(&r, got.p, got.len);
	ck_assert_int_eq(ds_elem_read(&r, DS_ENC_EVR_LE, &e, &err), 0);
	ck_assert_uint_eq(e.len, 4);
	ck_assert(ds_vr_header_long("XX") && ds_vr_header_long("OB") &&
	    !ds_vr_header_long("US"));
	wr_release(&in);
	wr_release(&want);
	wr_release(&got);
}
END_TEST

static void
sha_hex(const void *p, size_t n, size_t reps, char hex[65])
{
	struct sha256 h;
	uint8_t d[32];
	size_t i;

	sha256_init(&h);
	for (i = 0; i < reps; i++)
		sha256_update(&h, p, n);
	sha256_final(&h, d);
	for (i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", d[i]);
}

START_TEST(xcode_sha256_gives_the_fips_180_vectors)
{
	char hex[65];

	sha_hex("", 0, 1, hex);
	ck_assert_str_eq(hex,
	    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	sha_hex("abc", 3, 1, hex);
	ck_assert_str_eq(hex,
	    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	sha_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56, 1,
	    hex);
	ck_assert_str_eq(hex,
	    "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
	sha_hex("a", 1, 1000000, hex);
	ck_assert_str_eq(hex,
	    "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}
END_TEST

START_TEST(xcode_lossy_uids_are_the_same_for_the_same_conversion)
{
	char a[80], b[80], c[80], d[80];
	struct cs_err err = { 0, "" };
	size_t i;

	ck_assert_int_eq(xcode_derived_uid("1.2.3.4", "1.2.840.10008.1.2.4.50",
	    a, sizeof(a), &err), 0);
	ck_assert_int_eq(xcode_derived_uid("1.2.3.4", "1.2.840.10008.1.2.4.50",
	    b, sizeof(b), &err), 0);
	ck_assert_int_eq(xcode_derived_uid("1.2.3.4", "1.2.840.10008.1.2.4.81",
	    c, sizeof(c), &err), 0);
	ck_assert_int_eq(xcode_derived_uid("1.2.3.5", "1.2.840.10008.1.2.4.50",
	    d, sizeof(d), &err), 0);
	ck_assert_str_eq(a, b);
	ck_assert_str_ne(a, c);
	ck_assert_str_ne(a, d);
	ck_assert(strncmp(a, "2.25.", 5) == 0 && strlen(a) <= 64);
	for (i = 5; a[i]; i++)
		ck_assert(a[i] >= '0' && a[i] <= '9');
}
END_TEST

START_TEST(xcode_lossy_from_deflated_gets_a_derived_uid)
{
	struct dcmfile_transcoded out, again;
	struct cs_err err = { 0, "" };
	char want[80];

	/* inflated for the walker: a lossy copy is a new instance */
	ck_assert_int_eq(dcmfile_transcode("tests/data/p10-deflated.dcm",
	    "1.2.840.10008.1.2.4.50", 1, &out, &err), 0);
	ck_assert_int_ge(out.fd, 0);
	ck_assert_int_eq(out.lossy, 1);
	ck_assert_int_eq(dcmfile_transcode("tests/data/p10-deflated.dcm",
	    "1.2.840.10008.1.2.4.50", 1, &again, &err), 0);
	ck_assert_str_eq(out.sop_instance, again.sop_instance);
	close(out.fd);
	close(again.fd);
	/* the source's UID: the same as the Explicit VR LE file's */
	ck_assert_int_eq(dcmfile_transcode("tests/data/p10-evrle.dcm",
	    "1.2.840.10008.1.2.4.50", 1, &again, &err), 0);
	ck_assert_str_eq(out.sop_instance, again.sop_instance);
	close(again.fd);
	ck_assert_int_eq(xcode_derived_uid("2.25.314159265358979323846264338327950",
	    "1.2.840.10008.1.2.4.50", want, sizeof(want), &err), 0);
	ck_assert_str_eq(out.sop_instance, want);
}
END_TEST

/* A UN sequence whose one item kept Explicit VR LE (pre-CP-246). */
static void
un_evr_seq(struct wr *w)
{
	hdr(w, 0, 0x0009, 0x1010, "UN", UNDEF);
	hdr(w, 0, 0xfffe, 0xe000, NULL, UNDEF);
	elem(w, 0, 0x0008, 0x0100, "SH", "ABCD", 4);
	hdr(w, 0, 0xfffe, 0xe00d, NULL, 0);
	hdr(w, 0, 0xfffe, 0xe0dd, NULL, 0);
	elem(w, 0, 0x0010, 0x0010, "PN", "A^B ", 4);
}

START_TEST(xcode_un_sequence_items_in_explicit_vr_are_read_as_such)
{
	struct wr in, want, got;
	struct cs_err err = { 0, "" };

	wr_init(&in, 1 << 12);
	un_evr_seq(&in);
	/* to Implicit VR LE: the item converted like any other */
	wr_init(&want, 1 << 12);
	hdr(&want, 0, 0x0009, 0x1010, NULL, UNDEF);
	hdr(&want, 0, 0xfffe, 0xe000, NULL, UNDEF);
	elem(&want, 0, 0x0008, 0x0100, NULL, "ABCD", 4);
	hdr(&want, 0, 0xfffe, 0xe00d, NULL, 0);
	hdr(&want, 0, 0xfffe, 0xe0dd, NULL, 0);
	elem(&want, 0, 0x0010, 0x0010, NULL, "A^B ", 4);
	ck_assert_int_eq(run(&in, EVR, IVR, &got, &err), 0);
	check_same(&got, &want);
	wr_release(&got);
	/* to Explicit VR LE with a pixel change: kept as it is */
	err.code = 0;
	ck_assert_int_eq(run(&in, EVR, RLE, &got, &err), 0);
	check_same(&got, &in);
	wr_release(&got);
	/* Big Endian has no way to say it: refused */
	err.code = 0;
	ck_assert_int_eq(run(&in, EVR, EBE, &got, &err), CS_E_UNSUPPORTED);
	wr_release(&got);
	wr_release(&want);
	wr_release(&in);
}
END_TEST

START_TEST(xcode_item_delimiter_ending_a_defined_length_item_is_accepted)
{
	/* some writers end a defined-length item with an Item Delimitation
	 * Item as well: the walker accepts it, and so must the copy */
	struct wr in, got, want;
	struct cs_err err = { 0, "" };

	wr_init(&in, 1 << 12);
	hdr(&in, 0, 0x0008, 0x1115, "SQ", UNDEF);
	hdr(&in, 0, 0xfffe, 0xe000, NULL, 12 + 8);
	elem(&in, 0, 0x0010, 0x0010, "PN", "A^B ", 4);
	hdr(&in, 0, 0xfffe, 0xe00d, NULL, 0);
	hdr(&in, 0, 0xfffe, 0xe0dd, NULL, 0);
	elem(&in, 0, 0x0010, 0x0020, "LO", "ID", 2);
	ck_assert_msg(run(&in, EVR, IVR, &got, &err) == 0, "%s", err.msg);
	wr_init(&want, 1 << 12);
	hdr(&want, 0, 0x0008, 0x1115, NULL, UNDEF);
	hdr(&want, 0, 0xfffe, 0xe000, NULL, UNDEF);
	elem(&want, 0, 0x0010, 0x0010, NULL, "A^B ", 4);
	hdr(&want, 0, 0xfffe, 0xe00d, NULL, 0);
	hdr(&want, 0, 0xfffe, 0xe0dd, NULL, 0);
	elem(&want, 0, 0x0010, 0x0020, NULL, "ID", 2);
	check_same(&got, &want);
	wr_release(&got);
	wr_release(&want);
	wr_release(&in);
}
END_TEST

/* All of fd from offset 0 into w. */
static void
slurp(int fd, struct wr *w)
{
	uint8_t b[4096];
	ssize_t n;

	wr_init(w, 1 << 24);
	ck_assert_int_eq(lseek(fd, 0, SEEK_SET), 0);
	while ((n = read(fd, b, sizeof(b))) > 0)
		wr_bytes(w, b, (size_t)n);
	ck_assert_int_eq(n, 0);
	ck_assert_int_eq(w->err, 0);
}

/* The raw deflate stream in->p inflated into out (PS3.5 A.5). */
static void
inflate_raw(const struct wr *in, struct wr *out)
{
	uint8_t b[4096];
	z_stream z;
	int zr;

	memset(&z, 0, sizeof(z));
	ck_assert_int_eq(inflateInit2(&z, -MAX_WBITS), Z_OK);
	z.next_in = in->p;
	z.avail_in = (uInt)in->len;
	wr_init(out, 1 << 24);
	do {
		z.next_out = b;
		z.avail_out = sizeof(b);
		zr = inflate(&z, Z_NO_FLUSH);
		ck_assert(zr == Z_OK || zr == Z_STREAM_END);
		wr_bytes(out, b, sizeof(b) - z.avail_out);
	} while (zr != Z_STREAM_END);
	/* at most the pad byte after the stream, and a zero */
	ck_assert_uint_le(z.avail_in, 1);
	if (z.avail_in == 1)
		ck_assert_uint_eq(*z.next_in, 0);
	inflateEnd(&z);
}

START_TEST(xcode_deflated_target_is_our_stream_of_the_explicit_vr_data_set)
{
	static const char *const src[] = { "tests/data/img16-rle.dcm",
		"tests/data/p10-ivrle.dcm", "tests/data/p10-evrbe.dcm",
		"tests/data/p10-ivrle-undef-seq.dcm" };
	struct dcmfile_transcoded d, e;
	struct cs_err err = { 0, "" };
	struct wr dw, ew, iw;
	size_t i;

	for (i = 0; i < sizeof(src) / sizeof(src[0]); i++) {
		ck_assert_msg(dcmfile_transcode(src[i], DEFL, 0, &d, &err) == 0,
		    "%s: %s", src[i], err.msg);
		ck_assert_str_eq(d.ts_uid, DEFL);
		ck_assert_msg(dcmfile_transcode(src[i], EVR, 0, &e, &err) == 0,
		    "%s: %s", src[i], err.msg);
		slurp(d.fd, &dw);
		slurp(e.fd, &ew);
		/* PS3.5 A.5 and PS3.8 E.1: even, padded when the stream is odd */
		ck_assert_uint_eq(dw.len % 2, 0);
		ck_assert_uint_eq(d.length, dw.len);
		inflate_raw(&dw, &iw);
		check_same(&iw, &ew);
		/* and back: a Deflated source is inflated for the walker */
		close(d.fd);
		close(e.fd);
		wr_release(&dw);
		wr_release(&ew);
		wr_release(&iw);
	}
}
END_TEST

START_TEST(xcode_deflated_source_inflates_to_the_explicit_vr_file)
{
	struct dcmfile_transcoded d, e;
	struct cs_err err = { 0, "" };
	struct wr dw, ew;

	/* dump2dcm +td and +te of one dump: the same data set */
	ck_assert_msg(dcmfile_transcode("tests/data/p10-deflated.dcm", IVR, 0,
	    &d, &err) == 0, "%s", err.msg);
	ck_assert_msg(dcmfile_transcode("tests/data/p10-evrle.dcm", IVR, 0,
	    &e, &err) == 0, "%s", err.msg);
	slurp(d.fd, &dw);
	slurp(e.fd, &ew);
	check_same(&dw, &ew);
	close(d.fd);
	close(e.fd);
	wr_release(&dw);
	wr_release(&ew);
}
END_TEST

/* A JPEG 2000 main header: SOC, SIZ (cut short: not read), COD whose
 * SPcod ends in transform (1 reversible 5-3, 0 irreversible 9-7). */
static size_t
j2k_head(uint8_t *b, int transform)
{
	static const uint8_t h[] = { 0xff, 0x4f, 0xff, 0x51, 0x00, 0x04,
		0x00, 0x00, 0xff, 0x52, 0x00, 0x0c, 0x00, 0x00, 0x00, 0x01,
		0x00, 0x05, 0x04, 0x04, 0x00, 0x01, 0xff, 0x90 };

	memcpy(b, h, sizeof(h));
	b[21] = (uint8_t)transform;
	return sizeof(h);
}

START_TEST(xcode_source_lossy_by_syntax_and_for_jpeg_2000_by_its_wavelet)
{
	uint8_t b[32];
	struct xcp_span frag = { b, 0 };
	struct xcp p;

	memset(&p, 0, sizeof(p));
	p.src_encaps = 1;
	p.frag = &frag;
	p.nfrag = 1;
	frag.n = j2k_head(b, 0);
	p.src_ts = "1.2.840.10008.1.2.4.50"; /* JPEG baseline */
	ck_assert_int_eq(xcp_source_lossy(&p, 1), 1);
	p.src_ts = "1.2.840.10008.1.2.4.81"; /* JPEG-LS near-lossless */
	ck_assert_int_eq(xcp_source_lossy(&p, 1), 1);
	p.src_ts = "1.2.840.10008.1.2.4.70"; /* JPEG lossless SV1 */
	ck_assert_int_eq(xcp_source_lossy(&p, 1), 0);
	/* JPEG 2000 lossless only, but a 9-7 stream in it loses all the same */
	p.src_ts = "1.2.840.10008.1.2.4.90";
	ck_assert_int_eq(xcp_source_lossy(&p, 1), 1);
	p.src_ts = "1.2.840.10008.1.2.4.91"; /* vouched: the wavelet */
	ck_assert_int_eq(xcp_source_lossy(&p, 1), 1);
	j2k_head(b, 1);
	ck_assert_int_eq(xcp_source_lossy(&p, 1), 0);
	/* COD cut before its transform byte, no SOC, nothing: unknown */
	j2k_head(b, 0);
	frag.n = 21;
	ck_assert_int_eq(xcp_source_lossy(&p, 1), 0);
	frag.n = 0;
	ck_assert_int_eq(xcp_source_lossy(&p, 1), 0);
	frag.n = j2k_head(b, 0);
	b[1] = 0x50;
	ck_assert_int_eq(xcp_source_lossy(&p, 1), 0);
	/* inside a JP2 wrapper: a signature box, then 'jp2c' */
	{
		static const uint8_t box[] = { 0, 0, 0, 12, 'j', 'P', ' ', ' ',
			0x0d, 0x0a, 0x87, 0x0a, 0, 0, 0, 0, 'j', 'p', '2', 'c' };
		uint8_t jp2[64];
		struct xcp_span f2 = { jp2, 0 };
		size_t k = j2k_head(jp2 + sizeof(box), 0);

		memcpy(jp2, box, sizeof(box));
		jp2[15] = (uint8_t)(8 + k);
		f2.n = sizeof(box) + k;
		p.frag = &f2;
		ck_assert_int_eq(xcp_source_lossy(&p, 1), 1);
		jp2[sizeof(box) + 21] = 1;
		ck_assert_int_eq(xcp_source_lossy(&p, 1), 0);
		/* a box longer than the fragment: cut to it, COD not found */
		jp2[sizeof(box) + 21] = 0;
		f2.n = sizeof(box) + 20;
		ck_assert_int_eq(xcp_source_lossy(&p, 1), 0);
		p.frag = &frag;
	}
	/* unvouched (no (0028,2110) "00"): .91 loses with 5-3 too (a rate
	 * limit); 9-7 loses under .90; .90 with 5-3 and JPEG do not change */
	frag.n = j2k_head(b, 1);
	ck_assert_int_eq(xcp_source_lossy(&p, 0), 1);
	frag.n = 0;
	ck_assert_int_eq(xcp_source_lossy(&p, 0), 1);
	p.src_ts = "1.2.840.10008.1.2.4.90";
	frag.n = j2k_head(b, 1);
	ck_assert_int_eq(xcp_source_lossy(&p, 0), 0);
	j2k_head(b, 0);
	ck_assert_int_eq(xcp_source_lossy(&p, 0), 1);
	ck_assert_int_eq(xcp_source_lossy(&p, 1), 1);
	p.src_ts = "1.2.840.10008.1.2.4.50";
	ck_assert_int_eq(xcp_source_lossy(&p, 1), 1);
	p.src_ts = "1.2.840.10008.1.2.4.70";
	ck_assert_int_eq(xcp_source_lossy(&p, 0), 0);
	/* a native source never */
	p.src_encaps = 0;
	p.src_ts = "1.2.840.10008.1.2.4.50";
	ck_assert_int_eq(xcp_source_lossy(&p, 1), 0);
}
END_TEST

Suite *
xcode_suite(void)
{
	Suite *s = suite_create("xcode");
	TCase *tc = tcase_create("walker");

	tcase_add_test(tc, xcode_big_endian_values_are_swapped_by_vr_and_only_by_vr);
	tcase_add_test(
	    tc, xcode_pad_mode_pads_an_odd_swapped_value_before_swapping_it);
	tcase_add_test(tc, xcode_pad_mode_pads_odd_values_by_vr_and_keeps_the_rest);
	tcase_add_test(tc, xcode_pad_mode_takes_the_pad_from_the_dictionary_in_implicit);
	tcase_add_test(tc, xcode_pad_mode_pads_inside_an_un_sequence_in_implicit_little_endian);
	tcase_add_test(tc, xcode_pad_mode_refuses_a_value_that_would_not_fit);
	tcase_add_test(tc, xcode_pad_mode_pads_odd_fragments_and_moves_the_offsets_after_them);
	tcase_add_test(tc, xcode_pad_mode_refuses_odd_fragments_inside_a_frame_or_under_an_extended_offset_table);
	tcase_add_test(tc, xcode_pad_mode_refuses_an_odd_fragment_ending_in_ffd9_inside_a_marker_segment);
	tcase_add_test(tc, xcode_pad_mode_pads_fragments_where_the_offset_table_ends_frames);
	tcase_add_test(tc, xcode_pad_mode_pads_one_fragment_a_frame_by_number_of_frames);
	tcase_add_test(tc, xcode_nested_sequences_of_both_lengths_become_undefined_in_implicit);
	tcase_add_test(tc, xcode_un_sequence_keeps_its_implicit_contents_byte_for_byte);
	tcase_add_test(tc, xcode_group_lengths_are_dropped_other_elements_kept);
	tcase_add_test(tc,
	    xcode_group_lengths_dropped_are_counted_and_kept_in_a_copied_sequence);
	tcase_add_test(tc, xcode_implicit_to_explicit_takes_vrs_from_the_dictionary);
	tcase_add_test(
	    tc, xcode_sequence_delimiter_ending_a_defined_length_is_kept_once);
	tcase_add_test(tc, xcode_truncated_and_too_deep_input_is_refused);
	tcase_add_test(tc, xcode_native_pixels_leave_big_endian_swapped_as_ow);
	tcase_add_test(tc, xcode_new_uids_have_the_2_25_form_and_differ);
	tcase_add_test(tc, xcode_native_pixels_beyond_the_counted_frames_are_refused);
	tcase_add_test(tc, xcode_rle_fragments_of_two_frames_counted_as_one_are_refused);
	tcase_add_test(tc, xcode_jpeg_fragments_of_two_code_streams_counted_as_one_are_refused);
	tcase_add_test(tc, xcode_decoding_drops_every_element_that_describes_the_fragments);
	tcase_add_test(tc, xcode_rle_frames_cut_into_fragments_without_a_table_split_at_headers);
	tcase_add_test(tc,
	    xcode_rle_frames_cut_without_a_table_never_split_at_a_look_alike);
	tcase_add_test(tc,
	    xcode_rle_fragment_inside_a_frame_may_begin_like_a_header);
	tcase_add_test(tc, xcode_undefined_length_special_element_does_not_end_the_data_set);
	tcase_add_test(tc, xcode_private_creators_become_lo_in_explicit);
	tcase_add_test(tc, xcode_implicit_to_explicit_needs_no_gdcm_module);
	tcase_add_test(tc,
	    xcode_implicit_to_explicit_gives_the_vrs_ps3_6_added_lately);
	tcase_add_test(tc,
	    xcode_implicit_us_or_ss_follows_the_pixel_representation_around_it);
	tcase_add_test(tc,
	    xcode_implicit_waveform_data_is_ob_for_8_bits_looking_ahead);
	tcase_add_test(tc,
	    xcode_implicit_channel_values_follow_the_waveform_item_bits);
	tcase_add_test(tc,
	    xcode_implicit_counts_and_variable_pixels_follow_bits_allocated);
	tcase_add_test(tc,
	    xcode_implicit_nested_waveform_items_each_take_their_own_bits);
	tcase_add_test(tc, xcode_implicit_to_big_endian_swaps_by_the_dictionary_vr);
	tcase_add_test(tc, xcode_unknown_vr_keeps_the_long_header_our_reader_reads);
	tcase_add_test(tc, xcode_sha256_gives_the_fips_180_vectors);
	tcase_add_test(tc, xcode_lossy_uids_are_the_same_for_the_same_conversion);
	tcase_add_test(tc, xcode_lossy_from_deflated_gets_a_derived_uid);
	tcase_add_test(tc, xcode_un_sequence_items_in_explicit_vr_are_read_as_such);
	tcase_add_test(tc,
	    xcode_item_delimiter_ending_a_defined_length_item_is_accepted);
	tcase_add_test(tc,
	    xcode_deflated_target_is_our_stream_of_the_explicit_vr_data_set);
	tcase_add_test(tc, xcode_deflated_source_inflates_to_the_explicit_vr_file);
	tcase_add_test(tc,
	    xcode_source_lossy_by_syntax_and_for_jpeg_2000_by_its_wavelet);
	suite_add_tcase(s, tc);
	return s;
}
