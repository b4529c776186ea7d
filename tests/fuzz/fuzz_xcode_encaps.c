/*
 * fuzz_xcode_encaps.c - the transcoder (lib/dcmfile/xcode.h) on data
 * sets whose pixel data is encapsulated in a syntax that RLE is not:
 * fragments cut into frames (Basic Offset Table, code stream starts),
 * and JPEG-LS frames decoded by CharLS (xcode_jls.c), whose header must
 * agree with the Image Pixel module.  The first byte picks the source
 * (bits 0-1: JPEG-LS lossless, near-lossless, JPEG 2000 lossless, JPEG
 * lossless SV1) and the target (bits 2-3: Implicit VR LE, Explicit VR
 * LE, BE, RLE); the rest is the data set, in Explicit VR LE.
 *
 * The GDCM module is kept out (CSTORE_GDCM_MODULE names no file): it is
 * not ours to fuzz, so a frame CharLS refuses, and every JPEG 2000 or
 * JPEG frame, ends in the module's "not loaded" error.  That keeps the
 * replay by "make check" (where the module is built) the same run as
 * under libFuzzer (where it is not).
 * Seeds (gen_encaps_seeds.py): JPEG-LS, JPEG 2000 and JPEG files of
 * scripts/mkxcorpus without their meta group.  Any result is fine; a crash, hang, leak or
 * over-read is not.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cstore/cstore.h"
#include "dcmfile/xcode.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const sources[] = {
	"1.2.840.10008.1.2.4.80", /* JPEG-LS lossless */
	"1.2.840.10008.1.2.4.81", /* JPEG-LS near-lossless */
	"1.2.840.10008.1.2.4.90", /* JPEG 2000 lossless */
	"1.2.840.10008.1.2.4.70", /* JPEG lossless SV1 */
};

static const char *const targets[] = {
	"1.2.840.10008.1.2", "1.2.840.10008.1.2.1", "1.2.840.10008.1.2.2",
	"1.2.840.10008.1.2.5",
};

static int
count(void *ctx, const void *p, size_t n)
{
	(void)p;
	*(size_t *)ctx += n;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct xcode_req req = { NULL, NULL, 0, NULL, 0 };
	struct xcode_result res;
	struct cs_err err;
	size_t written = 0;
	static int once;
	int rc;

	if (size < 1)
		return 0;
	/* before the first conversion: the module is looked for once */
	if (!once++)
		setenv("CSTORE_GDCM_MODULE", "/nonexistent/cstore-gdcm.so", 1);
	req.src_ts = sources[data[0] & 3];
	req.dst_ts = targets[(data[0] >> 2) & 3];
	cs_err_clear(&err);
	rc = xcode_dataset(data + 1, size - 1, &req, count, &written, &res, &err);
	if (rc < 0 && (err.code != rc || err.msg[0] == '\0'))
		abort();
	return 0;
}
