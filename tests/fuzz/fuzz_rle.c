/*
 * fuzz_rle.c - the RLE Lossless codec (lib/dcmfile/rle.h).
 *
 * Input: 3 bytes that choose a small image, then data.
 *   byte 0: bit 0 planar configuration, bits 1-2 bits allocated (8, 16,
 *           32, or 12 to see it refused), bit 3 three samples, bit 4:
 *           the harness writes the header itself and splits the data
 *           evenly into the segments the image needs (reaches the run
 *           decoder more often than a random header would);
 *   byte 1: rows - 1 (mod 64), byte 2: columns - 1 (mod 64).
 * Every buffer is allocated at its exact size, so that ASan sees any
 * byte read or written outside it.  Checks:
 *   - decoding arbitrary data fails with a message or succeeds; when it
 *     succeeds, encoding the result and decoding that gives it back;
 *   - the data taken as a native frame: encode fits the bound, has even
 *     length and the right segment count, and decodes to the frame in
 *     both planar configurations.
 * Seeds: frames of tests/tools/rle-tool (gen, then encode-raw) behind
 * their 3 bytes, with and without bit 4, two refused descriptions, and
 * what 2 x 10 minutes of fuzzing added (-merge=1, renamed to sha256).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cstore/cstore.h"
#include "dcmfile/rle.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_failure(int rc, const struct cs_err *err)
{
	if (rc >= 0 || err->code != rc || err->msg[0] == '\0')
		abort();
}

/* Encodes frame (exactly rle_frame_len bytes), decodes, compares. */
static void
round_trip(const struct rle_image *im, const uint8_t *frame)
{
	size_t n = rle_frame_len(im), cap = rle_encode_bound(im), len = 0, npix, nb, p, s;
	uint8_t *enc = malloc(cap), *back = malloc(n);
	struct rle_image other = *im;
	struct cs_err err;

	if (enc == NULL || back == NULL)
		abort();
	cs_err_clear(&err);
	if (rle_encode_frame(im, frame, n, enc, cap, &len, &err) < 0)
		abort(); /* the bound always suffices */
	if (len > cap || len % 2 || enc[0] != rle_segment_count(im))
		abort();
	if (rle_decode_frame(im, enc, len, back, n, &err) < 0 || memcmp(back, frame, n) != 0)
		abort();
	if (im->samples == 3) {
		other.planar = im->planar == RLE_SEPARATE ? RLE_INTERLEAVED : RLE_SEPARATE;
		if (rle_decode_frame(&other, enc, len, back, n, &err) < 0)
			abort();
		npix = (size_t)im->rows * im->columns;
		nb = im->bits_allocated / 8;
		for (p = 0; p < npix; p++)
			for (s = 0; s < 3; s++) {
				size_t pc0 = (p * 3 + s) * nb, pc1 = (s * npix + p) * nb;
				const uint8_t *a = im->planar == RLE_SEPARATE ? frame + pc1 : frame + pc0;
				const uint8_t *b = im->planar == RLE_SEPARATE ? back + pc0 : back + pc1;

				if (memcmp(a, b, nb) != 0)
					abort();
			}
	}
	free(enc);
	free(back);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint16_t bits[] = { 8, 16, 32, 12 };
	struct rle_image im;
	struct cs_err err;
	uint8_t *in, *out;
	size_t n, inlen, seglen, k;
	unsigned nseg;
	int rc;

	if (size < 3)
		return 0;
	im.planar = (data[0] & 1) ? RLE_SEPARATE : RLE_INTERLEAVED;
	im.bits_allocated = bits[(data[0] >> 1) & 3];
	im.samples = (data[0] & 8) ? 3 : 1;
	im.rows = (uint16_t)(1 + data[1] % 64);
	im.columns = (uint16_t)(1 + data[2] % 64);
	data += 3;
	size -= 3;

	cs_err_clear(&err);
	rc = rle_image_check(&im, &err);
	if (rc < 0) {
		uint8_t one = 0;

		check_failure(rc, &err);
		cs_err_clear(&err);
		check_failure(rle_decode_frame(&im, data, size, &one, 1, &err), &err);
		if (rle_frame_len(&im) != 0 || rle_encode_bound(&im) != 0)
			abort();
		return 0;
	}
	n = rle_frame_len(&im);
	nseg = rle_segment_count(&im);

	/* the compressed frame: the data as is, or behind our header */
	inlen = (data[-3] & 16) ? RLE_HEADER_LEN + size : size;
	if ((in = malloc(inlen ? inlen : 1)) == NULL || (out = malloc(n)) == NULL)
		abort();
	if (data[-3] & 16) {
		memset(in, 0, RLE_HEADER_LEN);
		in[0] = (uint8_t)nseg;
		seglen = size / nseg;
		for (k = 0; k < nseg; k++) {
			uint32_t off = (uint32_t)(RLE_HEADER_LEN + k * seglen);

			in[4 + 4 * k] = (uint8_t)off;
			in[5 + 4 * k] = (uint8_t)(off >> 8);
			in[6 + 4 * k] = (uint8_t)(off >> 16);
			in[7 + 4 * k] = (uint8_t)(off >> 24);
		}
		memcpy(in + RLE_HEADER_LEN, data, size);
	} else if (size > 0) {
		memcpy(in, data, size);
	}
	cs_err_clear(&err);
	rc = rle_decode_frame(&im, in, inlen, out, n, &err);
	if (rc < 0)
		check_failure(rc, &err);
	else
		round_trip(&im, out);
	free(in);
	free(out);

	/* the data as a native frame */
	if (size >= n)
		round_trip(&im, data);
	return 0;
}
