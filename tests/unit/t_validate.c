/* t_validate.c - dcmrecv --validate's Pixel Data length check. */
#include <check.h>
#include <string.h>

#include "cstore/cstore.h"
#include "core/ds_scan.h"
#include "core/ts.h"
#include "storescp/validate.h"

Suite *validate_suite(void);

/* An Explicit VR data set, little or big endian, built in order. */
static uint8_t d[8192];
static size_t dn;
static int be;
/* the transfer syntax's kind: encapsulated (1), native (0), or -1: as
 * the Pixel Data written last is */
static int ts_encaps = -1;
static int px_encaps;
/* a transfer syntax our table does not know: validate_pixels gets -1 */
static int ts_unknown;

static void
u16(unsigned v)
{
	d[dn++] = (uint8_t)(be ? v >> 8 : v);
	d[dn++] = (uint8_t)(be ? v : v >> 8);
}

static void
tag_vr(unsigned g, unsigned e, const char *vr)
{
	u16(g);
	u16(e);
	d[dn++] = (uint8_t)vr[0];
	d[dn++] = (uint8_t)vr[1];
}

static void
us(unsigned e, unsigned v)
{
	tag_vr(0x0028, e, "US");
	u16(2);
	u16(v);
}

static void
frames(const char *is)
{
	tag_vr(0x0028, 0x0008, "IS");
	u16((unsigned)strlen(is));
	memcpy(d + dn, is, strlen(is));
	dn += strlen(is);
}

/* Native Pixel Data of n bytes, or encapsulated when n is ~0. */
static void
pixels(uint32_t n)
{
	tag_vr(0x7fe0, 0x0010, "OW");
	u16(0);
	u16(be ? n >> 16 : n & 0xffff);
	u16(be ? n & 0xffff : n >> 16);
	px_encaps = n == 0xffffffffu;
	if (n == 0xffffffffu) {
		/* an empty offset table, one fragment of 4 bytes, then the
		 * sequence delimiter */
		u16(0xfffe), u16(0xe000), u16(0), u16(0);
		u16(0xfffe), u16(0xe000), u16(4), u16(0);
		u16(0x5a5a), u16(0x5a5a);
		u16(0xfffe), u16(0xe0dd), u16(0), u16(0);
		return;
	}
	memset(d + dn, 0x5a, n);
	dn += n;
}

/* Encapsulated Pixel Data (little endian): a Basic Offset Table of bot
 * offsets, then nfrag fragments of 2 bytes. */
static void
fragments(unsigned bot, unsigned nfrag)
{
	tag_vr(0x7fe0, 0x0010, "OB");
	u16(0);
	u16(0xffff), u16(0xffff);
	px_encaps = 1;
	u16(0xfffe), u16(0xe000), u16(4 * bot), u16(0);
	for (unsigned i = 0; i < bot; i++)
		u16(2 * i), u16(0);
	for (unsigned i = 0; i < nfrag; i++)
		u16(0xfffe), u16(0xe000), u16(2), u16(0), u16(0xd8ff);
	u16(0xfffe), u16(0xe0dd), u16(0), u16(0);
}

static void
start(int big_endian)
{
	dn = 0;
	be = big_endian;
	ts_encaps = -1;
	px_encaps = 0;
}

/* Scans d and runs the check: 0 or 1, the reason in why. */
static int
check(char *why, size_t n)
{
	struct ds_scan s;
	enum ds_enc enc = be ? DS_ENC_EVR_BE : DS_ENC_EVR_LE;

	why[0] = '\0';
	ck_assert_int_eq(ds_scan_init(&s, enc, validate_tags, VALIDATE_NTAGS,
	    0, NULL), 0);
	ck_assert_int_ge(ds_scan_feed(&s, d, dn, NULL), 0);
	ck_assert_int_eq(ds_scan_finish(&s, NULL), 0);
	return validate_pixels(&s, enc,
	    ts_unknown ? -1 : ts_encaps >= 0 ? ts_encaps : px_encaps, why, n);
}

static void
image(unsigned spp, unsigned rows, unsigned cols, unsigned bits)
{
	us(0x0002, spp);
	us(0x0010, rows);
	us(0x0011, cols);
	us(0x0100, bits);
}

START_TEST(a_right_sized_image_passes_with_or_without_padding)
{
	char why[80];

	start(0);
	image(1, 16, 16, 16);
	pixels(512);
	ck_assert_int_eq(check(why, sizeof(why)), 0);
	/* 3 x 3 x 8 bits: 9 bytes, padded to 10 */
	start(0);
	image(1, 3, 3, 8);
	pixels(10);
	ck_assert_int_eq(check(why, sizeof(why)), 0);
	/* RGB, 2 frames */
	start(0);
	image(3, 4, 4, 8);
	frames("2 ");
	pixels(96);
	ck_assert_int_eq(check(why, sizeof(why)), 0);
	/* 1 bit: 10 x 10 = 100 bits, 13 bytes, 14 with padding */
	start(0);
	image(1, 10, 10, 1);
	pixels(14);
	ck_assert_int_eq(check(why, sizeof(why)), 0);
}
END_TEST

/* Samples per Pixel 3, a Photometric Interpretation, Rows, Columns, Bits
 * Allocated 8: the attributes of a colour image in tag order */
static void
colour(const char *pi, unsigned rows, unsigned cols)
{
	size_t n = strlen(pi);

	us(0x0002, 3);
	tag_vr(0x0028, 0x0004, "CS");
	u16((unsigned)(n + (n & 1)));
	memcpy(d + dn, pi, n);
	dn += n;
	if (n & 1)
		d[dn++] = ' ';
	us(0x0010, rows);
	us(0x0011, cols);
	us(0x0100, 8);
}

/* dcm4che's YBR_422.dcm (an ultrasound image, 800 x 555) holds 888000
 * bytes, which --validate refused as short of 1332000 */
START_TEST(ybr_full_422_holds_two_samples_a_pixel)
{
	char why[80];

	/* 4 x 6: 2 samples a pixel, 48 bytes */
	start(0);
	colour("YBR_FULL_422", 4, 6);
	pixels(48);
	ck_assert_int_eq(check(why, sizeof(why)), 0);
	/* the retired YBR_PARTIAL_422 alike, 2 frames, big endian */
	start(1);
	colour("YBR_PARTIAL_422", 4, 6);
	frames("2 ");
	pixels(96);
	ck_assert_int_eq(check(why, sizeof(why)), 0);
	/* an odd number of columns: the last pixel as a pair (4 x 3: 2
	 * pairs a row, 8 bytes), 32 bytes */
	start(0);
	colour("YBR_FULL_422", 4, 3);
	pixels(32);
	ck_assert_int_eq(check(why, sizeof(why)), 0);
	/* 3 samples a pixel under that label still passes, as it did */
	start(0);
	colour("YBR_FULL_422", 4, 6);
	pixels(72);
	ck_assert_int_eq(check(why, sizeof(why)), 0);
	/* anything else is refused, naming the lengths taken */
	start(0);
	colour("YBR_FULL_422", 4, 6);
	pixels(60);
	ck_assert_int_eq(check(why, sizeof(why)), 1);
	ck_assert_str_eq(
	    why, "Pixel Data is 60 bytes, not 48 (2 samples a pixel) or 72 (3)");
	/* odd Columns: the last pixel not counted as a pair, as pydicom
	 * has it (4 x 3 x 2: 24 bytes) passes too */
	start(0);
	colour("YBR_FULL_422", 4, 3);
	pixels(24);
	ck_assert_int_eq(check(why, sizeof(why)), 0);
	start(0);
	colour("YBR_FULL_422", 3, 3);
	pixels(18);
	ck_assert_int_eq(check(why, sizeof(why)), 0);
	start(0);
	colour("YBR_FULL_422", 4, 3);
	pixels(30);
	ck_assert_int_eq(check(why, sizeof(why)), 1);
	ck_assert_str_eq(why,
	    "Pixel Data is 30 bytes, not 32/24 (2 samples a pixel) or 36 (3)");
	/* Planar Configuration 0 (C.7.6.3.1.2) is the 2-sample layout;
	 * under 1 only 3 samples a pixel can be: 2/3 of such an image is
	 * refused */
	start(0);
	colour("YBR_FULL_422", 4, 6);
	us(0x0006, 0);
	pixels(48);
	ck_assert_int_eq(check(why, sizeof(why)), 0);
	start(0);
	colour("YBR_FULL_422", 4, 6);
	us(0x0006, 1);
	pixels(48);
	ck_assert_int_eq(check(why, sizeof(why)), 1);
	ck_assert_str_eq(why, "Pixel Data is 48 bytes, the image needs 72");
	start(0);
	colour("YBR_FULL_422", 4, 6);
	us(0x0006, 1);
	pixels(72);
	ck_assert_int_eq(check(why, sizeof(why)), 0);
	/* the known gap (validate.h): 3 frames of 3 samples a pixel cut
	 * to 2 frames is as long as 3 frames of 2 samples, and passes */
	start(0);
	colour("YBR_FULL_422", 4, 6);
	frames("3 ");
	pixels(144);
	ck_assert_int_eq(check(why, sizeof(why)), 0);
	/* other colour models keep 3 samples a pixel */
	start(0);
	colour("YBR_FULL", 4, 6);
	pixels(48);
	ck_assert_int_eq(check(why, sizeof(why)), 1);
	ck_assert_str_eq(why, "Pixel Data is 48 bytes, the image needs 72");
	start(0);
	colour("RGB", 4, 6);
	pixels(72);
	ck_assert_int_eq(check(why, sizeof(why)), 0);
}
END_TEST

START_TEST(a_short_or_long_pixel_data_fails_saying_how)
{
	char why[80];

	start(0);
	image(1, 16, 16, 16);
	pixels(100);
	ck_assert_int_eq(check(why, sizeof(why)), 1);
	ck_assert_str_eq(why, "Pixel Data is 100 bytes, the image needs 512");
	start(0);
	image(3, 4, 4, 8);
	frames("2");
	pixels(48); /* one frame only */
	ck_assert_int_eq(check(why, sizeof(why)), 1);
	ck_assert_str_eq(why, "Pixel Data is 48 bytes, the image needs 96");
	start(0);
	image(1, 3, 3, 8);
	pixels(12); /* more than one byte of padding */
	ck_assert_int_eq(check(why, sizeof(why)), 1);
	/* 2^15 x 2^15 x 2^15 x 2^15 bits x 16 frames = 2^64: wrapped to
	 * 0 in 64 bits, it would pass an empty Pixel Data */
	start(0);
	image(32768, 32768, 32768, 32768);
	frames("16");
	pixels(0);
	ck_assert_int_eq(check(why, sizeof(why)), 1);
	ck_assert_int_eq(strncmp(why, "Rows x Columns x Samples", 24), 0);
}
END_TEST

START_TEST(values_read_as_binary_in_either_byte_order)
{
	char why[80];

	/* 32 is 0x20 0x00: a space and a NUL, which text trimming eats */
	start(0);
	image(1, 32, 2, 8);
	pixels(64);
	ck_assert_int_eq(check(why, sizeof(why)), 0);
	start(1);
	image(1, 256, 2, 8);
	pixels(512);
	ck_assert_int_eq(check(why, sizeof(why)), 0);
	start(1);
	image(1, 256, 2, 8);
	pixels(2);
	ck_assert_int_eq(check(why, sizeof(why)), 1);
	ck_assert_str_eq(why, "Pixel Data is 2 bytes, the image needs 512");
}
END_TEST

START_TEST(what_cannot_be_measured_passes_and_missing_attributes_fail)
{
	char why[80];

	start(0);
	image(1, 16, 16, 16);
	pixels(0xffffffffu); /* encapsulated */
	ck_assert_int_eq(check(why, sizeof(why)), 0);
	start(0);
	us(0x0010, 16); /* no pixel data at all */
	ck_assert_int_eq(check(why, sizeof(why)), 0);
	start(0);
	us(0x0010, 16);
	us(0x0100, 16);
	pixels(512); /* no Columns */
	ck_assert_int_eq(check(why, sizeof(why)), 1);
	ck_assert_str_eq(why,
	    "Pixel Data without Rows, Columns or Bits Allocated");
	start(0);
	image(1, 16, 16, 16);
	frames("x");
	pixels(512);
	ck_assert_int_eq(check(why, sizeof(why)), 1);
	ck_assert_str_eq(why, "bad Number of Frames");
}
END_TEST

START_TEST(pixel_data_unlike_its_transfer_syntax_fails)
{
	char why[80];

	/* right-sized native pixels under JPEG, say (PS3.5 A.4) */
	start(0);
	image(1, 16, 16, 16);
	pixels(512);
	ts_encaps = 1;
	ck_assert_int_eq(check(why, sizeof(why)), 1);
	ck_assert_str_eq(
	    why, "native Pixel Data under an encapsulated transfer syntax");
	/* fragments under Explicit VR Little Endian */
	start(0);
	image(1, 16, 16, 16);
	pixels(0xffffffffu);
	ts_encaps = 0;
	ck_assert_int_eq(check(why, sizeof(why)), 1);
	ck_assert_str_eq(
	    why, "encapsulated Pixel Data under a native transfer syntax");
	/* no Pixel Data: nothing to be unlike (an SR under JPEG) */
	start(0);
	us(0x0010, 16);
	ts_encaps = 1;
	ck_assert_int_eq(check(why, sizeof(why)), 0);
	/* an empty Pixel Data under an encapsulated syntax: nothing to
	 * misread */
	start(0);
	image(1, 16, 16, 16);
	pixels(0);
	ts_encaps = 1;
	ck_assert_int_eq(check(why, sizeof(why)), 0);
	ts_encaps = -1;
}
END_TEST

START_TEST(encapsulated_frames_need_a_fragment_each)
{
	char why[80];

	/* 3 frames in 3 fragments, or in 5 (a frame in two or more) */
	start(0);
	image(1, 16, 16, 8);
	frames("3");
	fragments(0, 3);
	ck_assert_int_eq(check(why, sizeof(why)), 0);
	start(0);
	image(1, 16, 16, 8);
	frames("3");
	fragments(3, 5);
	ck_assert_int_eq(check(why, sizeof(why)), 0);
	/* a frame missing */
	start(0);
	image(1, 16, 16, 8);
	frames("3");
	fragments(0, 2);
	ck_assert_int_eq(check(why, sizeof(why)), 1);
	ck_assert_str_eq(why, "2 Pixel Data fragments for 3 frames");
	/* one item only, Number of Frames absent: one frame, and either
	 * the Basic Offset Table or the frame missing, as the reason says */
	start(0);
	image(1, 16, 16, 8);
	fragments(0, 0);
	ck_assert_int_eq(check(why, sizeof(why)), 1);
	ck_assert_str_eq(
	    why, "one Pixel Data item: Basic Offset Table or frame missing");
	/* no item at all, not even the Basic Offset Table */
	start(0);
	image(1, 16, 16, 8);
	tag_vr(0x7fe0, 0x0010, "OB");
	u16(0);
	u16(0xffff), u16(0xffff);
	u16(0xfffe), u16(0xe0dd), u16(0), u16(0);
	px_encaps = 1;
	ck_assert_int_eq(check(why, sizeof(why)), 1);
	ck_assert_str_eq(why, "no Pixel Data item (Basic Offset Table) at all");
	/* more frames than items: so many fragments for so many frames */
	start(0);
	image(1, 16, 16, 8);
	frames("2");
	fragments(0, 0);
	ck_assert_int_eq(check(why, sizeof(why)), 1);
	ck_assert_str_eq(why, "0 Pixel Data fragments for 2 frames");
	/* an offset table of 4 for 3 frames, as GDCM's 00191113.dcm has
	 * one too many: readers take the first */
	start(0);
	image(1, 16, 16, 8);
	frames("3");
	fragments(4, 3);
	ck_assert_int_eq(check(why, sizeof(why)), 0);
	/* a video stream (MPEG, HEVC: 2) is not cut by frames */
	start(0);
	image(1, 16, 16, 8);
	frames("30");
	fragments(0, 2);
	ts_encaps = 2;
	ck_assert_int_eq(check(why, sizeof(why)), 0);
	ts_encaps = -1;
	/* a bad Number of Frames is not held against fragments */
	start(0);
	image(1, 16, 16, 8);
	frames("x");
	fragments(0, 1);
	ck_assert_int_eq(check(why, sizeof(why)), 0);
}
END_TEST

/* PS3.5 A.4.4: JPEG 2000 Part 2 multi-component may code frames as the
 * components of one codestream, a collection of them a fragment */
START_TEST(jpeg2000_multi_component_frames_are_not_counted_in_fragments)
{
	ck_assert_int_eq(validate_ts_mode(ts_find(TS_UID_JPEG2000MCLossless)), 2);
	ck_assert_int_eq(validate_ts_mode(ts_find(TS_UID_JPEG2000MC)), 2);
	ck_assert_int_eq(validate_ts_mode(ts_find(TS_UID_MPEG4HP41)), 2);
	ck_assert_int_eq(validate_ts_mode(ts_find(TS_UID_JPEG2000)), 1);
	ck_assert_int_eq(validate_ts_mode(ts_find(TS_UID_RLELossless)), 1);
	ck_assert_int_eq(
	    validate_ts_mode(ts_find(TS_UID_ExplicitVRLittleEndian)), 0);
	ck_assert_int_eq(validate_ts_mode(NULL), -1);
}
END_TEST

START_TEST(a_syntax_the_table_does_not_know_is_not_held_against_fragments)
{
	char why[80];

	/* HTJ2K, MPEG, JPEG XL...: fragments pass, unmeasured */
	ts_unknown = 1;
	start(0);
	image(1, 16, 16, 16);
	pixels(0xffffffffu);
	ck_assert_int_eq(check(why, sizeof(why)), 0);
	/* a plain value is measured, as for a native syntax */
	start(0);
	image(1, 16, 16, 16);
	pixels(510);
	ck_assert_int_eq(check(why, sizeof(why)), 1);
	ck_assert_str_eq(why, "Pixel Data is 510 bytes, the image needs 512");
	/* an empty value: nothing to misread, as under a known one */
	start(0);
	image(1, 16, 16, 16);
	pixels(0);
	ck_assert_int_eq(check(why, sizeof(why)), 0);
	ts_unknown = 0;
}
END_TEST

Suite *
validate_suite(void)
{
	Suite *s = suite_create("validate");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, a_right_sized_image_passes_with_or_without_padding);
	tcase_add_test(tc, a_short_or_long_pixel_data_fails_saying_how);
	tcase_add_test(tc, ybr_full_422_holds_two_samples_a_pixel);
	tcase_add_test(tc, values_read_as_binary_in_either_byte_order);
	tcase_add_test(
	    tc, what_cannot_be_measured_passes_and_missing_attributes_fail);
	tcase_add_test(tc, pixel_data_unlike_its_transfer_syntax_fails);
	tcase_add_test(tc,
	    encapsulated_frames_need_a_fragment_each);
	tcase_add_test(
	    tc, jpeg2000_multi_component_frames_are_not_counted_in_fragments);
	tcase_add_test(
	    tc, a_syntax_the_table_does_not_know_is_not_held_against_fragments);
	suite_add_tcase(s, tc);
	return s;
}
