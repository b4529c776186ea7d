/* validate.c - the Pixel Data length check of --validate (validate.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "storescp/validate.h"
#include "core/ts.h"

#include "core/banned.h"

#define TAG_SAMPLES DS_TAG(0x0028, 0x0002)
#define TAG_PHOTOMETRIC DS_TAG(0x0028, 0x0004)
#define TAG_PLANAR DS_TAG(0x0028, 0x0006)
#define TAG_FRAMES DS_TAG(0x0028, 0x0008)
#define TAG_ROWS DS_TAG(0x0028, 0x0010)
#define TAG_COLUMNS DS_TAG(0x0028, 0x0011)
#define TAG_BITS_ALLOCATED DS_TAG(0x0028, 0x0100)
#define TAG_PIXEL_DATA DS_TAG(0x7fe0, 0x0010)

const uint32_t validate_tags[VALIDATE_NTAGS] = { TAG_SAMPLES, TAG_PHOTOMETRIC,
	TAG_PLANAR, TAG_FRAMES, TAG_ROWS, TAG_COLUMNS, TAG_BITS_ALLOCATED,
	TAG_PIXEL_DATA };

/* A US value: 1 with *v, 0 when absent, -1 when not 2 bytes. */
static int
us(const struct ds_scan *s, enum ds_enc enc, uint32_t tag, unsigned *v)
{
	uint8_t raw[4];
	uint32_t len;

	if (!ds_scan_raw(s, tag, &len, raw))
		return 0;
	if (len != 2)
		return -1;
	*v = enc == DS_ENC_EVR_BE ? (unsigned)raw[0] << 8 | raw[1]
				  : (unsigned)raw[1] << 8 | raw[0];
	return 1;
}

/* Number of Frames (IS): 1 when absent, 0 when not a positive number. */
static unsigned long
frames(const struct ds_scan *s)
{
	const char *v = ds_scan_value(s, TAG_FRAMES, NULL, NULL);
	char *end;
	unsigned long n;

	if (v == NULL || *v == '\0')
		return 1;
	n = strtoul(v, &end, 10);
	return *end == '\0' && n > 0 && n < 100000000ul ? n : 0;
}

/*
 * YBR_FULL_422, or the retired YBR_PARTIAL_422, with 3 samples and
 * Planar Configuration 0 or absent: the only layout in which two
 * samples a pixel can be (C.7.6.3.1.2 wants 0), so that 2/3 of a
 * planar image of three samples is not taken for a whole one.
 */
static int
subsampled(const struct ds_scan *s, enum ds_enc enc, unsigned spp)
{
	const char *pi = ds_scan_value(s, TAG_PHOTOMETRIC, NULL, NULL);
	unsigned planar = 0;

	return spp == 3 && pi != NULL &&
	    (strcmp(pi, "YBR_FULL_422") == 0 ||
		strcmp(pi, "YBR_PARTIAL_422") == 0) &&
	    us(s, enc, TAG_PLANAR, &planar) >= 0 && planar == 0;
}

/* len is need bytes, or need and a pad byte to an even length */
static int
fits(uint32_t len, uint64_t need)
{
	return len == need || len == need + (need & 1);
}

/*
 * The bytes of nf frames of rows rows of row_samples samples of bits
 * bits, in *need; -1 when that overflows (five factors of up to 16 bits,
 * frames more: an image that large fits no Pixel Data length at all).
 */
static int
bytes_of(unsigned rows, uint64_t row_samples, unsigned bits, unsigned long nf,
    uint64_t *need)
{
	if (__builtin_mul_overflow((uint64_t)rows, row_samples, need) ||
	    __builtin_mul_overflow(*need, (uint64_t)bits, need) ||
	    __builtin_mul_overflow(*need, (uint64_t)nf, need) ||
	    *need > UINT64_MAX - 7)
		return -1;
	*need = (*need + 7) / 8;
	return 0;
}

/*
 * Encapsulated frames (PS3.5 A.4): each in one fragment or more of its
 * own, so at least as many fragments as Number of Frames; fewer are
 * frames missing.  The Basic Offset Table is not held to one offset a
 * frame: GDCM's example 00191113.dcm has 5 for 4 frames, and readers
 * take the first.  A bad Number of Frames is not held against fragments.
 * Not called under the video syntaxes nor JPEG 2000 Part 2 multi-component
 * (validate_ts_mode).
 */
static int
check_fragments(const struct ds_scan *s, char *why, size_t n)
{
	uint32_t bot, items = ds_scan_px_items(s, &bot);
	unsigned long nf = frames(s);
	unsigned long frags = items > 0 ? items - 1ul : 0;

	if (nf == 0)
		return 0;
	/* PS3.5 A.4: the first item is the Basic Offset Table, even empty */
	if (items == 0) {
		snprintf(
		    why, n, "no Pixel Data item (Basic Offset Table) at all");
		return 1;
	}
	if (items == 1 && nf == 1) {
		snprintf(why, n,
		    "one Pixel Data item: Basic Offset Table or frame missing");
		return 1;
	}
	if (frags < nf) {
		snprintf(why, n, "%lu Pixel Data fragment%s for %lu frame%s",
		    frags, frags == 1 ? "" : "s", nf, nf == 1 ? "" : "s");
		return 1;
	}
	return 0;
}

int
validate_ts_mode(const struct ts_entry *t)
{
	if (t == NULL)
		return -1;
	if (!(t->flags & TS_F_ENCAPSULATED))
		return 0;
	/* PS3.5 A.4.4: under JPEG 2000 Part 2 multi-component, frames may
	 * be components of one codestream, in component collections of a
	 * fragment each: fewer fragments than frames */
	if (ts_is_stream(t) || strcmp(t->uid, TS_UID_JPEG2000MCLossless) == 0 ||
	    strcmp(t->uid, TS_UID_JPEG2000MC) == 0)
		return 2;
	return 1;
}

int
validate_pixels(const struct ds_scan *s, enum ds_enc enc, int encapsulated,
    char *why, size_t n)
{
	unsigned rows, cols, spp = 1, bits;
	unsigned long nf;
	uint64_t full, pair = 0, two = 0;
	uint32_t len;
	int sub;
	uint8_t raw[4];

	if (!ds_scan_raw(s, TAG_PIXEL_DATA, &len, raw))
		return 0;
	/* PS3.5 A.4: fragments (undefined length) under an encapsulated
	 * syntax, a plain value under the others; either way round, no
	 * reader decodes it as its transfer syntax says */
	if (encapsulated >= 0 && len != 0 &&
	    (encapsulated > 0) != (len == DS_LEN_UNDEFINED)) {
		snprintf(why, n, "%s Pixel Data under %s transfer syntax",
		    encapsulated ? "native" : "encapsulated",
		    encapsulated ? "an encapsulated" : "a native");
		return 1;
	}
	if (encapsulated == 1 && len == DS_LEN_UNDEFINED)
		return check_fragments(s, why, n);
	/* an empty value under a syntax that may be encapsulated holds
	 * nothing to misread */
	if (encapsulated > 0 || len == DS_LEN_UNDEFINED ||
	    (encapsulated < 0 && len == 0))
		return 0; /* not measured */
	if (us(s, enc, TAG_ROWS, &rows) != 1 ||
	    us(s, enc, TAG_COLUMNS, &cols) != 1 ||
	    us(s, enc, TAG_BITS_ALLOCATED, &bits) != 1) {
		snprintf(why, n,
		    "Pixel Data without Rows, Columns or Bits "
		    "Allocated");
		return 1;
	}
	if (us(s, enc, TAG_SAMPLES, &spp) < 0 || spp == 0) {
		snprintf(why, n, "bad Samples per Pixel");
		return 1;
	}
	if ((nf = frames(s)) == 0) {
		snprintf(why, n, "bad Number of Frames");
		return 1;
	}
	/* YBR_FULL_422 holds Y1 Y2 Cb Cr for each pair of pixels: 2
	 * samples a pixel (PS3.3 C.7.6.3.1.2), an odd last pixel counted
	 * as a pair or, as pydicom counts it, not; 3 a pixel, as writers
	 * that decoded a JPEG but kept its label made it, passes too, as it
	 * always did.  The lengths alone cannot tell 2/3 of an image of 3
	 * samples a pixel from a whole one of 2 (validate.h) */
	sub = subsampled(s, enc, spp);
	if (bytes_of(rows, (uint64_t)cols * spp, bits, nf, &full) != 0 ||
	    (sub &&
		(bytes_of(rows, ((uint64_t)cols + 1) / 2 * 4, bits, nf,
		     &pair) != 0 ||
		    bytes_of(rows, (uint64_t)cols * 2, bits, nf, &two) != 0))) {
		snprintf(why, n,
		    "Rows x Columns x Samples x Bits Allocated x "
		    "Frames is too large for any Pixel Data");
		return 1;
	}
	if (fits(len, full) || (sub && (fits(len, pair) || fits(len, two))))
		return 0;
	if (!sub)
		snprintf(why, n,
		    "Pixel Data is %lu bytes, the image needs %llu",
		    (unsigned long)len, (unsigned long long)full);
	else if (pair == two)
		snprintf(why, n,
		    "Pixel Data is %lu bytes, not %llu (2 samples a pixel) "
		    "or %llu (3)",
		    (unsigned long)len, (unsigned long long)pair,
		    (unsigned long long)full);
	else
		snprintf(why, n,
		    "Pixel Data is %lu bytes, not %llu/%llu (2 samples a "
		    "pixel) or %llu (3)",
		    (unsigned long)len, (unsigned long long)pair,
		    (unsigned long long)two, (unsigned long long)full);
	return 1;
}
