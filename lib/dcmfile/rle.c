/*
 * rle.c - RLE Lossless (PS3.5 Annex G), one frame at a time; the
 * contract and the leniencies are in rle.h.
 *
 * Each segment is one byte plane.  Its bytes land in the native frame
 * every `stride` bytes from `base`: the decoder writes them there as it
 * reads the runs (memset/memcpy when the plane is contiguous), and the
 * encoder reads them from there.  No scratch plane, no allocation.
 */
#include <string.h>

#include "core/buf.h"
#include "dcmfile/rle.h"

#include "core/banned.h"

int
rle_image_check(const struct rle_image *im, struct cs_err *err)
{
	if (im == NULL)
		return cs_err_set(err, CS_E_INVAL, "rle: no image description");
	if (im->rows == 0 || im->columns == 0)
		return cs_err_set(err, CS_E_INVAL, "rle: empty image (%u rows, %u columns)",
		    (unsigned)im->rows, (unsigned)im->columns);
	if (im->samples != 1 && im->samples != 3)
		return cs_err_set(err, CS_E_UNSUPPORTED,
		    "rle: %u samples per pixel not supported (1 or 3)", (unsigned)im->samples);
	if (im->bits_allocated != 8 && im->bits_allocated != 16 && im->bits_allocated != 32)
		return cs_err_set(err, CS_E_UNSUPPORTED,
		    "rle: bits allocated %u not supported (8, 16 or 32)",
		    (unsigned)im->bits_allocated);
	if (im->planar != RLE_INTERLEAVED && im->planar != RLE_SEPARATE)
		return cs_err_set(err, CS_E_INVAL, "rle: planar configuration %d is not 0 or 1",
		    (int)im->planar);
	return 0;
}

unsigned
rle_segment_count(const struct rle_image *im)
{
	if (rle_image_check(im, NULL) < 0)
		return 0;
	return (unsigned)im->samples * (unsigned)(im->bits_allocated / 8);
}

size_t
rle_frame_len(const struct rle_image *im)
{
	if (rle_image_check(im, NULL) < 0)
		return 0;
	return (size_t)im->rows * im->columns * rle_segment_count(im);
}

size_t
rle_encode_bound(const struct rle_image *im)
{
	size_t n;

	if (rle_image_check(im, NULL) < 0)
		return 0;
	n = (size_t)im->rows * im->columns;
	return RLE_HEADER_LEN + rle_segment_count(im) * (n + n / 128 + 2);
}

int
rle_header_read(const uint8_t *in, size_t len, struct rle_header *h,
    struct cs_err *err)
{
	struct rd r;
	unsigned i;
	uint32_t off;

	if (in == NULL || h == NULL)
		return cs_err_set(err, CS_E_INVAL, "rle: no frame");
	memset(h, 0, sizeof(*h));
	if (len < RLE_HEADER_LEN)
		return cs_err_set(err, CS_E_TRUNCATED,
		    "rle: frame of %zu bytes is shorter than its 64-byte header", len);
	rd_init(&r, in, RLE_HEADER_LEN);
	off = rd_le32(&r);
	if (off == 0 || off > RLE_MAX_SEGMENTS)
		return cs_err_set(err, CS_E_PROTO,
		    "rle: header says %lu segments (1 to 15)", (unsigned long)off);
	h->segments = off;
	for (i = 0; i < h->segments; i++) {
		off = rd_le32(&r);
		if (off < RLE_HEADER_LEN || off > len)
			return cs_err_set(err, CS_E_PROTO,
			    "rle: segment %u offset %lu outside the frame (64 to %zu)", i + 1,
			    (unsigned long)off, len);
		if (i > 0 && off < h->offset[i - 1])
			return cs_err_set(err, CS_E_PROTO,
			    "rle: segment %u offset %lu before segment %u's (%lu)", i + 1,
			    (unsigned long)off, i, (unsigned long)h->offset[i - 1]);
		h->offset[i] = off;
	}
	/* Unused offsets are ignored (rle.h). */
	for (i = 0; i < h->segments; i++)
		h->length[i] = (i + 1 < h->segments ? h->offset[i + 1] : (uint32_t)len) -
		    h->offset[i];
	if (r.err)
		return cs_err_set(err, CS_E_TRUNCATED, "rle: short header");
	return 0;
}

/*
 * Decodes segment seg (len bytes) until n bytes came out, writing byte j
 * to out[j * stride].  Every read is checked against len before it is
 * made; every write against n.  Bytes after the n-th are ignored.
 */
static int
decode_segment(const uint8_t *seg, size_t len, uint8_t *out, size_t n,
    size_t stride, unsigned segno, struct cs_err *err)
{
	size_t i = 0, o = 0, cnt, take, k;
	int c;

	while (o < n) {
		if (i >= len)
			return cs_err_set(err, CS_E_TRUNCATED,
			    "rle: segment %u ends after %zu of %zu bytes", segno, o, n);
		c = (int)(int8_t)seg[i++];
		if (c >= 0) {
			cnt = (size_t)c + 1;
			if (cnt > len - i)
				return cs_err_set(err, CS_E_TRUNCATED,
				    "rle: segment %u: literal run of %zu bytes passes its end",
				    segno, cnt);
			take = cnt < n - o ? cnt : n - o;
			if (stride == 1)
				memcpy(out + o, seg + i, take);
			else
				for (k = 0; k < take; k++)
					out[(o + k) * stride] = seg[i + k];
			i += cnt;
		} else if (c != -128) {
			cnt = (size_t)(1 - c);
			if (i >= len)
				return cs_err_set(err, CS_E_TRUNCATED,
				    "rle: segment %u: replicate run passes its end", segno);
			take = cnt < n - o ? cnt : n - o;
			if (stride == 1)
				memset(out + o, seg[i], take);
			else
				for (k = 0; k < take; k++)
					out[(o + k) * stride] = seg[i];
			i++;
		} else {
			take = 0; /* -128: no operation (G.3.2) */
		}
		o += take;
	}
	return 0;
}

/*
 * Where segment k's bytes go in (or come from) a native frame: sample
 * k / nb, byte k % nb counted from the most significant (G.2), stored
 * least significant first.
 */
static void
plane_place(const struct rle_image *im, unsigned k, size_t *base, size_t *stride)
{
	size_t nb = im->bits_allocated / 8;
	size_t s = k / nb, lsb_index = nb - 1 - k % nb;
	size_t npix = (size_t)im->rows * im->columns;

	if (im->planar == RLE_SEPARATE || im->samples == 1) {
		*base = s * npix * nb + lsb_index;
		*stride = nb;
	} else {
		*base = s * nb + lsb_index;
		*stride = im->samples * nb;
	}
}

int
rle_decode_frame(const struct rle_image *im, const uint8_t *in,
    size_t in_len, uint8_t *out, size_t out_len, struct cs_err *err)
{
	struct rle_header h;
	size_t npix, base, stride;
	unsigned k, nseg;
	int rc;

	if ((rc = rle_image_check(im, err)) < 0)
		return rc;
	if (in == NULL || out == NULL)
		return cs_err_set(err, CS_E_INVAL, "rle: no input or output buffer");
	if (out_len < rle_frame_len(im))
		return cs_err_set(err, CS_E_INVAL,
		    "rle: output of %zu bytes is too small for a %zu-byte frame", out_len,
		    rle_frame_len(im));
	if ((rc = rle_header_read(in, in_len, &h, err)) < 0)
		return rc;
	nseg = rle_segment_count(im);
	if (h.segments != nseg)
		return cs_err_set(err, CS_E_PROTO,
		    "rle: frame has %u segments, the image needs %u (%u samples of %u bits)",
		    h.segments, nseg, (unsigned)im->samples, (unsigned)im->bits_allocated);
	npix = (size_t)im->rows * im->columns;
	for (k = 0; k < nseg; k++) {
		plane_place(im, k, &base, &stride);
		rc = decode_segment(in + h.offset[k], h.length[k], out + base, npix, stride,
		    k + 1, err);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* Output cursor of the encoder: every append is checked against cap. */
struct enc {
	uint8_t *p;
	size_t len;
	size_t cap;
};

static int
enc_room(const struct enc *e, size_t n)
{
	return n <= e->cap - e->len;
}

/*
 * PackBits-codes n bytes read from src[j * stride] (G.3.1).  A run of 3
 * or more equal bytes ends a literal run; a pair is a replicate run only
 * where no literal run is open (costs what it saves).  So every literal
 * run but the last is full (128) or followed by a replicate run that
 * saves at least a byte: the output never exceeds n + n / 128 + 1, plus
 * the pad byte (rle_encode_bound).
 */
static int
encode_segment(const uint8_t *src, size_t n, size_t stride, struct enc *e)
{
	size_t i = 0, r, start, lit, k;
	uint8_t v;

	while (i < n) {
		v = src[i * stride];
		for (r = 1; i + r < n && r < 128 && src[(i + r) * stride] == v; r++)
			;
		if (r >= 2) {
			if (!enc_room(e, 2))
				return CS_E_TOOBIG;
			e->p[e->len++] = (uint8_t)(257 - r); /* -(r - 1) */
			e->p[e->len++] = v;
			i += r;
			continue;
		}
		start = i;
		for (lit = 0; i < n && lit < 128; i++, lit++) {
			if (i + 2 < n && src[i * stride] == src[(i + 1) * stride] &&
			    src[i * stride] == src[(i + 2) * stride])
				break;
		}
		if (!enc_room(e, lit + 1))
			return CS_E_TOOBIG;
		e->p[e->len++] = (uint8_t)(lit - 1);
		if (stride == 1) {
			memcpy(e->p + e->len, src + start, lit);
		} else {
			for (k = 0; k < lit; k++)
				e->p[e->len + k] = src[(start + k) * stride];
		}
		e->len += lit;
	}
	if (e->len % 2) {
		if (!enc_room(e, 1))
			return CS_E_TOOBIG;
		e->p[e->len++] = 0;
	}
	return 0;
}

int
rle_encode_frame(const struct rle_image *im, const uint8_t *in,
    size_t in_len, uint8_t *out, size_t out_cap, size_t *out_len,
    struct cs_err *err)
{
	struct enc e;
	size_t npix, base, stride;
	unsigned k, nseg;
	int rc;

	if ((rc = rle_image_check(im, err)) < 0)
		return rc;
	if (in == NULL || out == NULL || out_len == NULL)
		return cs_err_set(err, CS_E_INVAL, "rle: no input or output buffer");
	*out_len = 0;
	if (in_len != rle_frame_len(im))
		return cs_err_set(err, CS_E_INVAL,
		    "rle: native frame of %zu bytes, the image needs %zu", in_len,
		    rle_frame_len(im));
	if (out_cap < RLE_HEADER_LEN)
		return cs_err_set(err, CS_E_TOOBIG,
		    "rle: output of %zu bytes cannot hold the header", out_cap);
	nseg = rle_segment_count(im);
	npix = (size_t)im->rows * im->columns;
	e.p = out;
	e.cap = out_cap;
	e.len = RLE_HEADER_LEN;
	memset(out, 0, RLE_HEADER_LEN);
	out[0] = (uint8_t)nseg;
	for (k = 0; k < nseg; k++) {
		if (e.len > UINT32_MAX)
			return cs_err_set(err, CS_E_TOOBIG,
			    "rle: segment %u would start past 4 GiB", k + 1);
		out[4 + 4 * k] = (uint8_t)e.len;
		out[5 + 4 * k] = (uint8_t)(e.len >> 8);
		out[6 + 4 * k] = (uint8_t)(e.len >> 16);
		out[7 + 4 * k] = (uint8_t)(e.len >> 24);
		plane_place(im, k, &base, &stride);
		if (encode_segment(in + base, npix, stride, &e) < 0)
			return cs_err_set(err, CS_E_TOOBIG,
			    "rle: output of %zu bytes too small (up to %zu needed)", out_cap,
			    rle_encode_bound(im));
	}
	*out_len = e.len;
	return 0;
}
