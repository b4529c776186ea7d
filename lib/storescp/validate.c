/* validate.c - the Pixel Data length check of --validate (validate.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "storescp/validate.h"

#include "core/banned.h"

#define TAG_SAMPLES DS_TAG(0x0028, 0x0002)
#define TAG_PHOTOMETRIC DS_TAG(0x0028, 0x0004)
#define TAG_FRAMES DS_TAG(0x0028, 0x0008)
#define TAG_ROWS DS_TAG(0x0028, 0x0010)
#define TAG_COLUMNS DS_TAG(0x0028, 0x0011)
#define TAG_BITS_ALLOCATED DS_TAG(0x0028, 0x0100)
#define TAG_PIXEL_DATA DS_TAG(0x7fe0, 0x0010)

const uint32_t validate_tags[VALIDATE_NTAGS] = { TAG_SAMPLES, TAG_PHOTOMETRIC,
	TAG_FRAMES, TAG_ROWS, TAG_COLUMNS, TAG_BITS_ALLOCATED, TAG_PIXEL_DATA };

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

/* YBR_FULL_422, or the retired YBR_PARTIAL_422, with 3 samples */
static int
subsampled(const struct ds_scan *s, unsigned spp)
{
	const char *pi = ds_scan_value(s, TAG_PHOTOMETRIC, NULL, NULL);

	return spp == 3 && pi != NULL &&
	    (strcmp(pi, "YBR_FULL_422") == 0 ||
		strcmp(pi, "YBR_PARTIAL_422") == 0);
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

int
validate_pixels(const struct ds_scan *s, enum ds_enc enc, int encapsulated,
    char *why, size_t n)
{
	unsigned rows, cols, spp = 1, bits;
	unsigned long nf;
	uint64_t need, full;
	uint32_t len;
	uint8_t raw[4];

	if (!ds_scan_raw(s, TAG_PIXEL_DATA, &len, raw))
		return 0;
	/* PS3.5 A.4: fragments (undefined length) under an encapsulated
	 * syntax, a plain value under the others; either way round, no
	 * reader decodes it as its transfer syntax says */
	if (encapsulated >= 0 && len != 0 &&
	    encapsulated != (len == DS_LEN_UNDEFINED)) {
		snprintf(why, n, "%s Pixel Data under %s transfer syntax",
		    encapsulated ? "native" : "encapsulated",
		    encapsulated ? "an encapsulated" : "a native");
		return 1;
	}
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
	 * samples a pixel (PS3.3 C.7.6.3.1.2; an odd last pixel counted as
	 * a pair); 3 a pixel, as writers that decoded a JPEG but kept its
	 * label made it, passes too, as it always did */
	if (bytes_of(rows, (uint64_t)cols * spp, bits, nf, &full) != 0 ||
	    bytes_of(rows,
		subsampled(s, spp) ? ((uint64_t)cols + 1) / 2 * 4
				   : (uint64_t)cols * spp,
		bits, nf, &need) != 0) {
		snprintf(why, n,
		    "Rows x Columns x Samples x Bits Allocated x "
		    "Frames is too large for any Pixel Data");
		return 1;
	}
	if (len == need || len == need + (need & 1) || len == full ||
	    len == full + (full & 1))
		return 0;
	snprintf(why, n, "Pixel Data is %lu bytes, the image needs %llu",
	    (unsigned long)len, (unsigned long long)need);
	return 1;
}
