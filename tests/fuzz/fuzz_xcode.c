/*
 * fuzz_xcode.c - the transcoder's element walker and pixel path
 * (lib/dcmfile/xcode.h) on any data set.  The first byte picks the
 * source and target syntaxes among the native ones and RLE (our codec;
 * the GDCM-backed codecs are not ours to fuzz) and, bit 4, the pad mode
 * (pad_odd: dcmsend's padding of odd-length values, also into the same
 * syntax); the rest is the data set.  Any result is fine; a crash, hang, leak or over-read is not.
 * (A success may write nothing: group lengths alone are all dropped.)
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cstore/cstore.h"
#include "dcmfile/xcode.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const syntaxes[] = {
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
	int rc;

	if (size < 1)
		return 0;
	req.src_ts = syntaxes[data[0] & 3];
	req.dst_ts = syntaxes[(data[0] >> 2) & 3];
	req.pad_odd = (data[0] >> 4) & 1;
	if (!req.pad_odd && strcmp(req.src_ts, req.dst_ts) == 0)
		return 0;
	cs_err_clear(&err);
	rc = xcode_dataset(data + 1, size - 1, &req, count, &written, &res, &err);
	if (rc < 0 && (err.code != rc || err.msg[0] == '\0'))
		abort();
	return 0;
}
