/*
 * fuzz_xcode_inflate.c - the Deflated side of the transcoder
 * (lib/dcmfile/xcode_zlib.h) on any bytes.  The first byte picks the
 * target syntax of the walk (Implicit VR LE, Explicit VR LE or BE); the
 * rest is taken twice:
 *   - as a Deflated data set: inflated (at most 1 MiB), and what inflates
 *     transcoded from Explicit VR LE, as a Deflated source is;
 *   - as a data set to deflate: deflated, then inflated again, which must
 *     give the same bytes back from an even-length stream; abort() if not.
 * Besides that, any result is fine; a crash, hang, leak or over-read is
 * not.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cstore/cstore.h"
#include "core/buf.h"
#include "dcmfile/xcode.h"
#include "dcmfile/xcode_zlib.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_OUT ((size_t)1 << 20)

static const char *const targets[] = { "1.2.840.10008.1.2",
	"1.2.840.10008.1.2.2", "1.2.840.10008.1.2", "1.2.840.10008.1.2.2" };

static int
to_wr(void *ctx, const void *p, size_t n)
{
	struct wr *w = ctx;

	wr_bytes(w, p, n);
	return w->err;
}

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
	struct xcode_req req = { "1.2.840.10008.1.2.1", NULL, 0, NULL, 0 };
	struct xcode_result res;
	struct xcode_deflate *d;
	struct cs_err err;
	struct wr a, b;
	uint64_t got, n;
	size_t written = 0;
	int rc;

	if (size < 1)
		return 0;
	req.dst_ts = targets[data[0] & 3];
	wr_init(&a, MAX_OUT);
	cs_err_clear(&err);
	rc = xcode_inflate(
	    data + 1, size - 1, MAX_OUT, to_wr, &a, &got, NULL, &err);
	if (rc < 0 && (err.code != rc || err.msg[0] == '\0'))
		abort();
	if (rc == 0 && got != a.len)
		abort();
	if (rc == 0 &&
	    xcode_dataset(a.p, a.len, &req, count, &written, &res, &err) > 0)
		abort();
	wr_release(&a);

	wr_init(&a, MAX_OUT);
	wr_init(&b, MAX_OUT);
	cs_err_clear(&err);
	if ((d = xcode_deflate_new(to_wr, &a, data[0] >> 4 & 7, &err)) == NULL)
		abort();
	if (xcode_deflate_put(d, data + 1, size - 1) != 0 ||
	    xcode_deflate_finish(d, &n, &err) != 0 || n != a.len ||
	    a.len % 2 != 0)
		abort();
	xcode_deflate_free(d);
	rc = xcode_inflate(a.p, a.len, MAX_OUT, to_wr, &b, &got, NULL, &err);
	if (rc != 0 || b.len != size - 1 ||
	    (b.len > 0 && memcmp(b.p, data + 1, b.len)))
		abort();
	wr_release(&a);
	wr_release(&b);
	return 0;
}
