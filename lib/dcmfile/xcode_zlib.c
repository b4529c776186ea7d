/*
 * xcode_zlib.c - inflate and deflate of Deflated data sets (see
 * xcode_zlib.h), in slices through one buffer: zlib's counters are
 * 32-bit, and nothing here holds a whole data set.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "dcmfile/xcode_zlib.h"
#include "core/banned.h"

#define SLICE ((size_t)1 << 16)
#define IN_SLICE ((size_t)1 << 30)

/* A sink's failure, with the system's reason when it is one (the sink
 * wrote to a file): the caller's own message would come too late. */
static int
sink_failed(struct cs_err *err, int rc, const char *what)
{
	if (rc == CS_E_IO || rc == CS_E_NOSPACE)
		return cs_err_set(err, rc, "cannot write the %s data set: %s",
		    what, strerror(errno));
	return cs_err_set(err, rc, "cannot write the %s data set", what);
}

int
xcode_zlib_header(const uint8_t *p, size_t n)
{
	return n >= 2 && (p[0] & 0x0f) == 8 && (p[0] >> 4) <= 7 &&
	    ((unsigned)p[0] << 8 | p[1]) % 31 == 0;
}

int
xcode_inflate(const uint8_t *p, size_t n, uint64_t max, xcode_sink_fn sink,
    void *ctx, uint64_t *out_n, size_t *tail, struct cs_err *err)
{
	uint8_t *buf = malloc(SLICE);
	size_t used = 0, i;
	uint64_t out = 0;
	z_stream z;
	int zr = Z_OK, rc = 0;

	*out_n = 0;
	memset(&z, 0, sizeof(z));
	if (buf == NULL || inflateInit2(&z, -MAX_WBITS) != Z_OK) {
		free(buf);
		return cs_err_set(err, CS_E_NOMEM, "cannot start inflating");
	}
	while (zr != Z_STREAM_END && rc == 0) {
		size_t made;

		if (z.avail_in == 0 && used < n) {
			z.next_in = (Bytef *)(uintptr_t)(p + used);
			z.avail_in =
			    (uInt)(n - used < IN_SLICE ? n - used : IN_SLICE);
			used += z.avail_in;
		}
		z.next_out = buf;
		z.avail_out = (uInt)SLICE;
		zr = inflate(&z, Z_NO_FLUSH);
		made = SLICE - z.avail_out;
		if (zr == Z_MEM_ERROR)
			rc = cs_err_set(err, CS_E_NOMEM,
			    "cannot inflate the data set: out of memory");
		else if (zr != Z_OK && zr != Z_STREAM_END && zr != Z_BUF_ERROR)
			rc = cs_err_set(err, CS_E_PROTO,
			    "the Deflated data set is corrupt: %s",
			    xcode_zlib_header(p, n) ? XCODE_ZLIB_WRAPPED
				: z.msg != NULL     ? z.msg
						    : "inflate failed");
		else if (zr == Z_BUF_ERROR && made == 0 && z.avail_in == 0 &&
		    used == n)
			rc = cs_err_set(err, CS_E_TRUNCATED,
			    "the Deflated data set ends inside its stream");
		else if (made > max - out)
			rc = cs_err_set(err, CS_E_TOOBIG,
			    "the Deflated data set inflates to more than %llu "
			    "bytes",
			    (unsigned long long)max);
		else if (made > 0 && (rc = sink(ctx, buf, made)) != 0)
			sink_failed(err, rc, "inflated");
		out += made;
	}
	/* after the stream: its pad, zeros, a gzip trailer (pydicom's
	 * image_dfl.dcm) or anything else, no part of the data set: counted
	 * from the first byte that is not a zero, for the caller to say */
	i = (size_t)((const uint8_t *)z.next_in - p);
	while (i < n && p[i] == 0)
		i++;
	if (tail != NULL)
		*tail = n - i;
	inflateEnd(&z);
	free(buf);
	if (rc == 0)
		*out_n = out;
	return rc;
}

struct xcode_deflate {
	z_stream z;
	xcode_sink_fn sink;
	void *ctx;
	uint64_t out;
	int err;
	uint8_t buf[SLICE];
};

struct xcode_deflate *
xcode_deflate_new(xcode_sink_fn sink, void *ctx, int level, struct cs_err *err)
{
	struct xcode_deflate *d = calloc(1, sizeof(*d));

	/* PS3.5 A.5: raw deflate (windowBits < 0), no zlib wrapper */
	if (d == NULL ||
	    deflateInit2(&d->z, level, Z_DEFLATED, -MAX_WBITS, 8,
		Z_DEFAULT_STRATEGY) != Z_OK) {
		free(d);
		cs_err_set(err, CS_E_NOMEM, "cannot start deflating");
		return NULL;
	}
	d->sink = sink;
	d->ctx = ctx;
	return d;
}

/* Runs deflate over what is in z.next_in with flush; hands output on. */
static int
pump(struct xcode_deflate *d, int flush)
{
	int zr;
	size_t made;

	do {
		d->z.next_out = d->buf;
		d->z.avail_out = (uInt)SLICE;
		zr = deflate(&d->z, flush);
		if (zr == Z_STREAM_ERROR)
			return d->err = CS_E_NOMEM;
		made = SLICE - d->z.avail_out;
		if (made > 0 && (d->err = d->sink(d->ctx, d->buf, made)) != 0)
			return d->err;
		d->out += made;
	} while (
	    d->z.avail_out == 0 || (flush == Z_FINISH && zr != Z_STREAM_END));
	return 0;
}

int
xcode_deflate_put(void *ctx, const void *p, size_t n)
{
	struct xcode_deflate *d = ctx;
	const uint8_t *b = p;
	int rc;

	if (d->err != 0)
		return d->err;
	while (n > 0) {
		size_t k = n < IN_SLICE ? n : IN_SLICE;

		d->z.next_in = (Bytef *)(uintptr_t)b;
		d->z.avail_in = (uInt)k;
		if ((rc = pump(d, Z_NO_FLUSH)) != 0)
			return rc;
		b += k;
		n -= k;
	}
	return 0;
}

int
xcode_deflate_finish(
    struct xcode_deflate *d, uint64_t *out_n, struct cs_err *err)
{
	static const uint8_t pad = 0;
	int rc;

	if (d->err == 0) {
		d->z.next_in = NULL;
		d->z.avail_in = 0;
		pump(d, Z_FINISH);
	}
	/* PS3.5 A.5: an odd-length stream gets one trailing zero byte */
	if (d->err == 0 && (d->out & 1)) {
		if ((d->err = d->sink(d->ctx, &pad, 1)) == 0)
			d->out++;
	}
	if ((rc = d->err) != 0)
		return sink_failed(err, rc, "deflated");
	if (out_n != NULL)
		*out_n = d->out;
	return 0;
}

void
xcode_deflate_free(struct xcode_deflate *d)
{
	if (d == NULL)
		return;
	deflateEnd(&d->z);
	free(d);
}
