/*
 * rle.c - RLE Lossless (PS3.5 Annex G), one frame at a time; the
 * contract and the leniencies are in rle.h.
 *
 * Each segment is one byte plane.  The decoder runs all segments in
 * step, CHUNK pixels at a time: runs become memset/memcpy into one small
 * plane buffer per segment (on the stack), then the planes of a chunk
 * are merged into whole little-endian samples, one store per sample
 * (8-bit planes of a planar frame go straight to the output).  The
 * encoder reads plane bytes from the native frame every `stride` bytes.
 * No allocation.
 */
#include <stdint.h>
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
		return cs_err_set(err, CS_E_INVAL,
		    "rle: empty image (%u rows, %u columns)",
		    (unsigned)im->rows, (unsigned)im->columns);
	if (im->samples != 1 && im->samples != 3)
		return cs_err_set(err, CS_E_UNSUPPORTED,
		    "rle: %u samples per pixel not supported (1 or 3)",
		    (unsigned)im->samples);
	if (im->bits_allocated != 8 && im->bits_allocated != 16 &&
	    im->bits_allocated != 32)
		return cs_err_set(err, CS_E_UNSUPPORTED,
		    "rle: bits allocated %u not supported (8, 16 or 32)",
		    (unsigned)im->bits_allocated);
	if (im->planar != RLE_INTERLEAVED && im->planar != RLE_SEPARATE)
		return cs_err_set(err, CS_E_INVAL,
		    "rle: planar configuration %d is not 0 or 1",
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
rle_header_read(
    const uint8_t *in, size_t len, struct rle_header *h, struct cs_err *err)
{
	struct rd r;
	unsigned i;
	uint32_t off;

	if (in == NULL || h == NULL)
		return cs_err_set(err, CS_E_INVAL, "rle: no frame");
	memset(h, 0, sizeof(*h));
	if (len < RLE_HEADER_LEN)
		return cs_err_set(err, CS_E_TRUNCATED,
		    "rle: frame of %zu bytes is shorter than its 64-byte header",
		    len);
	rd_init(&r, in, RLE_HEADER_LEN);
	off = rd_le32(&r);
	if (off == 0 || off > RLE_MAX_SEGMENTS)
		return cs_err_set(err, CS_E_PROTO,
		    "rle: header says %lu segments (1 to 15)",
		    (unsigned long)off);
	h->segments = off;
	for (i = 0; i < h->segments; i++) {
		off = rd_le32(&r);
		if (off < RLE_HEADER_LEN || off > len)
			return cs_err_set(err, CS_E_PROTO,
			    "rle: segment %u offset %lu outside the frame (64 to %zu)",
			    i + 1, (unsigned long)off, len);
		if (i > 0 && off < h->offset[i - 1])
			return cs_err_set(err, CS_E_PROTO,
			    "rle: segment %u offset %lu before segment %u's (%lu)",
			    i + 1, (unsigned long)off, i,
			    (unsigned long)h->offset[i - 1]);
		h->offset[i] = off;
	}
	/* Unused offsets are ignored (rle.h). */
	for (i = 0; i < h->segments; i++)
		h->length[i] = (i + 1 < h->segments ? h->offset[i + 1] : len) -
		    h->offset[i];
	if (r.err)
		return cs_err_set(err, CS_E_TRUNCATED, "rle: short header");
	return 0;
}

/*
 * A segment being decoded, resumable: the frame is decoded in chunks of
 * CHUNK pixels, every segment in step, so that the planes of a chunk sit
 * in a small buffer on the stack and are merged into whole samples.
 * Every input byte is read only after a check against len; a run is
 * checked whole when its header is read (a literal run must fit the
 * segment) and then written out piecewise.
 */
struct seg {
	const uint8_t *p;
	size_t len, i; /* the segment's bytes; next one to read */
	size_t lit;    /* literal bytes left to copy from p + i */
	size_t rep;    /* copies of val left to write */
	size_t done;   /* bytes written so far */
	uint8_t val;
	unsigned no; /* 1-based, for messages */
};

#define CHUNK 2048u

/* Writes the segment's next n bytes to out (n <= what the frame needs). */
static int
seg_fill(
    struct seg *s, uint8_t *out, size_t n, size_t total, struct cs_err *err)
{
	size_t o = 0, take;
	int c;

	while (o < n) {
		if (s->lit > 0) {
			take = s->lit < n - o ? s->lit : n - o;
			memcpy(out + o, s->p + s->i, take);
			s->i += take;
			s->lit -= take;
			o += take;
			continue;
		}
		if (s->rep > 0) {
			take = s->rep < n - o ? s->rep : n - o;
			memset(out + o, s->val, take);
			s->rep -= take;
			o += take;
			continue;
		}
		if (s->i >= s->len)
			return cs_err_set(err, CS_E_TRUNCATED,
			    "rle: segment %u ends after %zu of %zu bytes",
			    s->no, s->done + o, total);
		c = (int)(int8_t)s->p[s->i++];
		if (c >= 0) {
			s->lit = (size_t)c + 1;
			if (s->lit > s->len - s->i)
				return cs_err_set(err, CS_E_TRUNCATED,
				    "rle: segment %u: literal run of %zu bytes passes its end",
				    s->no, s->lit);
		} else if (c != -128) { /* -128: no operation (G.3.2) */
			if (s->i >= s->len)
				return cs_err_set(err, CS_E_TRUNCATED,
				    "rle: segment %u: replicate run passes its end",
				    s->no);
			s->val = s->p[s->i++];
			s->rep = (size_t)(1 - c);
		}
	}
	s->done += n;
	return 0;
}

/*
 * The contiguous merges, 16 samples at a time through a small block:
 * a loop body of fixed length that compilers turn into byte unpacking
 * (punpcklbw/punpckhbw, zip) at -O2, several times fewer instructions
 * per sample than one sample at a time (rle.c was 64% of dcmsend's
 * instructions on 16-bit RLE).  Bytes are placed explicitly: the
 * samples are little-endian whatever the host.
 */
#define MERGE_BLOCK 16

static void
merge16(uint8_t *restrict dst, const uint8_t *restrict msb,
    const uint8_t *restrict lsb, size_t n)
{
	uint8_t t[2 * MERGE_BLOCK];
	size_t j = 0, k;

	for (; j + MERGE_BLOCK <= n; j += MERGE_BLOCK) {
		for (k = 0; k < MERGE_BLOCK; k++) {
			t[2 * k] = lsb[j + k];
			t[2 * k + 1] = msb[j + k];
		}
		memcpy(dst + 2 * j, t, sizeof(t));
	}
	for (; j < n; j++) {
		dst[2 * j] = lsb[j];
		dst[2 * j + 1] = msb[j];
	}
}

static void
merge32(uint8_t *restrict dst, uint8_t (*restrict pl)[CHUNK], size_t n)
{
	uint8_t t[4 * MERGE_BLOCK];
	size_t j = 0, k, b;

	for (; j + MERGE_BLOCK <= n; j += MERGE_BLOCK) {
		for (k = 0; k < MERGE_BLOCK; k++)
			for (b = 0; b < 4; b++)
				t[4 * k + b] = pl[3 - b][j + k];
		memcpy(dst + 4 * j, t, sizeof(t));
	}
	for (; j < n; j++)
		for (b = 0; b < 4; b++)
			dst[4 * j + b] = pl[3 - b][j];
}

/*
 * Merges the nb (2 or 4) byte planes of one sample, most significant
 * first, into n little-endian samples, dstride bytes apart, from dst.
 * The contiguous case gets a loop of its own.
 */
static void
merge_sample(
    uint8_t *dst, size_t dstride, uint8_t (*pl)[CHUNK], size_t nb, size_t n)
{
	size_t j;
	uint16_t v16;
	uint32_t v32;

	if (nb == 2 && dstride == 2) {
		merge16(dst, pl[0], pl[1], n);
	} else if (nb == 2) {
		for (j = 0; j < n; j++) {
			v16 = (uint16_t)(pl[1][j] | pl[0][j] << 8);
			memcpy(dst + j * dstride, &v16, 2);
		}
	} else if (dstride == 4) {
		merge32(dst, pl, n);
	} else {
		for (j = 0; j < n; j++) {
			v32 = (uint32_t)pl[3][j] | (uint32_t)pl[2][j] << 8 |
			    (uint32_t)pl[1][j] << 16 | (uint32_t)pl[0][j] << 24;
			memcpy(dst + j * dstride, &v32, 4);
		}
	}
}

/* Interleaves 3 one-byte planes into RGB triplets (the common colour case). */
static void
merge_rgb8(uint8_t *dst, uint8_t (*pl)[CHUNK], size_t n)
{
	size_t j;

	for (j = 0; j < n; j++) {
		dst[3 * j] = pl[0][j];
		dst[3 * j + 1] = pl[1][j];
		dst[3 * j + 2] = pl[2][j];
	}
}

/*
 * Where segment k's bytes go in (or come from) a native frame: sample
 * k / nb, byte k % nb counted from the most significant (G.2), stored
 * least significant first.
 */
static void
plane_place(
    const struct rle_image *im, unsigned k, size_t *base, size_t *stride)
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
rle_decode_frame(const struct rle_image *im, const uint8_t *in, size_t in_len,
    uint8_t *out, size_t out_len, struct cs_err *err)
{
	uint8_t pl[RLE_MAX_SEGMENTS][CHUNK];
	struct seg sg[RLE_MAX_SEGMENTS];
	struct rle_header h;
	size_t npix, nb, p0, n, s;
	unsigned k, nseg;
	int rc, sep;

	if ((rc = rle_image_check(im, err)) < 0)
		return rc;
	if (in == NULL || out == NULL)
		return cs_err_set(
		    err, CS_E_INVAL, "rle: no input or output buffer");
	if (out_len < rle_frame_len(im))
		return cs_err_set(err, CS_E_INVAL,
		    "rle: output of %zu bytes is too small for a %zu-byte frame",
		    out_len, rle_frame_len(im));
	if ((rc = rle_header_read(in, in_len, &h, err)) < 0)
		return rc;
	nseg = rle_segment_count(im);
	if (h.segments != nseg)
		return cs_err_set(err, CS_E_PROTO,
		    "rle: frame has %u segments, the image needs %u (%u samples of %u bits)",
		    h.segments, nseg, (unsigned)im->samples,
		    (unsigned)im->bits_allocated);
	npix = (size_t)im->rows * im->columns;
	nb = im->bits_allocated / 8;
	sep = im->planar == RLE_SEPARATE || im->samples == 1;
	for (k = 0; k < nseg; k++) {
		memset(&sg[k], 0, sizeof(sg[k]));
		sg[k].p = in + h.offset[k];
		sg[k].len = h.length[k];
		sg[k].no = k + 1;
	}
	for (p0 = 0; p0 < npix; p0 += n) {
		n = npix - p0 < CHUNK ? npix - p0 : CHUNK;
		for (k = 0; k < nseg; k++) {
			/* 8-bit planes of planar frames need no merging */
			if (nb == 1 && sep)
				rc = seg_fill(
				    &sg[k], out + k * npix + p0, n, npix, err);
			else
				rc = seg_fill(&sg[k], pl[k], n, npix, err);
			if (rc < 0)
				return rc;
		}
		if (nb == 1 && sep)
			continue;
		if (nb == 1 && im->samples == 3) {
			merge_rgb8(out + p0 * 3, pl, n);
			continue;
		}
		for (s = 0; s < im->samples; s++) {
			if (sep)
				merge_sample(out + (s * npix + p0) * nb, nb,
				    pl + s * nb, nb, n);
			else
				merge_sample(out + (p0 * im->samples + s) * nb,
				    im->samples * nb, pl + s * nb, nb, n);
		}
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
		for (r = 1; i + r < n && r < 128 && src[(i + r) * stride] == v;
		     r++)
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
			if (i + 2 < n &&
			    src[i * stride] == src[(i + 1) * stride] &&
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
rle_encode_frame(const struct rle_image *im, const uint8_t *in, size_t in_len,
    uint8_t *out, size_t out_cap, size_t *out_len, struct cs_err *err)
{
	struct enc e;
	size_t npix, base, stride;
	unsigned k, nseg;
	int rc;

	if ((rc = rle_image_check(im, err)) < 0)
		return rc;
	if (in == NULL || out == NULL || out_len == NULL)
		return cs_err_set(
		    err, CS_E_INVAL, "rle: no input or output buffer");
	*out_len = 0;
	if (in_len != rle_frame_len(im))
		return cs_err_set(err, CS_E_INVAL,
		    "rle: native frame of %zu bytes, the image needs %zu",
		    in_len, rle_frame_len(im));
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
			    "rle: output of %zu bytes too small (up to %zu needed)",
			    out_cap, rle_encode_bound(im));
	}
	*out_len = e.len;
	return 0;
}
