/*
 * xcode_pixels.c - frames of pixel data: split, decode, encode, check,
 * write (xcode_pixels.h).
 */
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/ds_elem.h"
#include "core/ts.h"
#include "dcmfile/rle.h"
#include "dcmfile/xcode_jls.h"
#include "dcmfile/xcode_pixels.h"
#include "core/banned.h"

enum codec { CODEC_RLE, CODEC_GDCM, CODEC_NONE };

/* Who codes the pixel data of ts: our RLE, GDCM, or nobody here (a
 * native or unknown syntax). */
static enum codec
codec_of(const char *ts)
{
	const struct ts_entry *t = ts_find(ts);

	if (t != NULL && t->codec == TS_CODEC_RLE)
		return CODEC_RLE;
	return ts_is_gdcm(t) ? CODEC_GDCM : CODEC_NONE;
}

/* 1 for ts's pixels coded by GDCM's JPEG 2000 codec (OpenJPEG). */
static int
is_j2k(const char *ts)
{
	const struct ts_entry *t = ts_find(ts);

	return t != NULL && t->codec == TS_CODEC_J2K;
}

/* 1 for JPEG-LS (lossless or near-lossless). */
static int
is_jpegls(const char *ts)
{
	const struct ts_entry *t = ts_find(ts);

	return t != NULL && t->codec == TS_CODEC_JPEGLS;
}

/* 1 for lossy JPEG (Baseline, Extended): YCbCr, colour transformed. */
static int
is_lossy_jpeg(const char *ts)
{
	const struct ts_entry *t = ts_find(ts);

	return t != NULL && t->codec == TS_CODEC_JPEG &&
	    (t->flags & TS_F_LOSSY);
}

int
xcode_ts_layout(const char *ts, enum ds_enc *enc, int *encaps)
{
	const struct ts_entry *t = ts_find(ts);

	*encaps = 0;
	*enc = DS_ENC_EVR_LE;
	/* a deflated data set is not walked here (xcode_file.c inflates) */
	if (t == NULL || t->codec == TS_CODEC_NONE ||
	    (t->flags & TS_F_DEFLATED))
		return CS_E_UNSUPPORTED;
	*enc = t->enc;
	*encaps = (t->flags & TS_F_ENCAPSULATED) != 0;
	return 0;
}

const char *
xcp_lossy_method(const char *ts)
{
	const struct ts_entry *t = ts_find(ts);

	if (t == NULL || !(t->flags & TS_F_LOSSY))
		return NULL;
	/* PS3.3 C.7.6.1.1.5.1: the defined terms of (0028,2114) */
	switch (t->codec) {
	case TS_CODEC_JPEG:
		return "ISO_10918_1";
	case TS_CODEC_JPEGLS:
		return "ISO_14495_1";
	case TS_CODEC_J2K:
		return "ISO_15444_1";
	case TS_CODEC_NONE:
	case TS_CODEC_NATIVE:
	case TS_CODEC_RLE:
		break;
	}
	return NULL;
}

/*
 * The code stream of a JPEG 2000 frame: the frame itself, or inside a
 * JP2 file format wrapper (ISO 15444-1 Annex I; PS3.5 A.4.4 forbids it,
 * GDCM has written it) the Contiguous Codestream box 'jp2c'.  An empty
 * reader when neither is found.
 */
static struct rd
j2k_stream(const uint8_t *p, size_t n)
{
	struct rd r;
	uint64_t body;
	uint32_t len, type;

	rd_init(&r, p, n);
	if (n >= 2 && p[0] == 0xff && p[1] == 0x4f)
		return r;
	while (rd_left(&r) >= 8) {
		len = rd_be32(&r);
		type = rd_be32(&r);
		if (len == 1) { /* XLBox: a 64-bit length */
			body = (uint64_t)rd_be32(&r) << 32;
			body |= rd_be32(&r);
			if (r.err || body < 16)
				break;
			body -= 16;
		} else if (len == 0) { /* the last box: to the end */
			body = rd_left(&r);
		} else if (len >= 8) {
			body = len - 8u;
		} else {
			break;
		}
		if (body > rd_left(&r))
			body = rd_left(&r);
		if (type == 0x6a703263u) /* jp2c */
			return rd_sub(&r, (size_t)body);
		rd_skip(&r, (size_t)body);
	}
	rd_init(&r, p, 0);
	return r;
}

/*
 * The COD segment of a JPEG 2000 code stream's main header (ISO 15444-1
 * A.6.1): its multiple component transformation (SGcod: 1 used) and
 * wavelet (SPcod: 0 irreversible 9-7, 1 reversible 5-3).  Returns 0, or
 * -1 when there is none to read (no code stream, cut short, no COD
 * before the first tile).
 */
static int
j2k_cod(const uint8_t *p, size_t n, unsigned *mct, unsigned *wavelet)
{
	struct rd r = j2k_stream(p, n), seg;
	uint16_t m, len;

	if (rd_be16(&r) != 0xff4f || r.err)
		return -1;
	for (;;) {
		m = rd_be16(&r);
		len = rd_be16(&r);
		if (r.err || (m & 0xff00) != 0xff00 || m == 0xff90 || len < 2)
			return -1;
		seg = rd_sub(&r, len - 2u);
		if (r.err)
			return -1;
		if (m != 0xff52)
			continue;
		/* Scod, SGcod: progression, layers (2), MCT; SPcod: levels,
		 * code-block width, height, style, transformation */
		rd_skip(&seg, 1 + 3);
		*mct = rd_u8(&seg);
		rd_skip(&seg, 4);
		*wavelet = rd_u8(&seg);
		return seg.err ? -1 : 0;
	}
}

/*
 * The image of a JPEG 2000 code stream's SIZ segment (ISO 15444-1 A.5.1,
 * the first after SOC) against the data set's: GDCM sizes its copy of
 * what OpenJPEG decoded by Rows, Columns and Samples per Pixel, and
 * reads past it (a crash) when the code stream's image is larger.
 * Returns 0 when they agree or there is no SIZ to read (the decoder
 * then refuses the stream itself), else CS_E_PROTO saying why.
 */
static int
j2k_size_check(const uint8_t *p, size_t n, const struct dcmfile_image *img,
    struct cs_err *err)
{
	struct rd r = j2k_stream(p, n);
	uint32_t x, y, xo, yo;
	uint16_t c;

	if (rd_be16(&r) != 0xff4f || rd_be16(&r) != 0xff51 || r.err)
		return 0;
	rd_skip(&r, 4); /* Lsiz, Rsiz */
	x = rd_be32(&r);
	y = rd_be32(&r);
	xo = rd_be32(&r);
	yo = rd_be32(&r);
	rd_skip(&r, 16); /* the tiles */
	c = rd_be16(&r);
	if (r.err)
		return 0;
	if (x > xo && y > yo && x - xo == img->cols && y - yo == img->rows &&
	    c == img->samples)
		return 0;
	return cs_err_set(err, CS_E_PROTO,
	    "the JPEG 2000 code stream holds an image of %lu x %lu pixels "
	    "and %u components, the data set says %lu x %lu and %u "
	    "(Columns x Rows, Samples per Pixel)",
	    x > xo ? (unsigned long)(x - xo) : 0ul,
	    y > yo ? (unsigned long)(y - yo) : 0ul, (unsigned)c,
	    (unsigned long)img->cols, (unsigned long)img->rows,
	    (unsigned)img->samples);
}

/*
 * The colour of a decoded JPEG 2000 frame of 3 samples: OpenJPEG undoes
 * the component transformation its COD names, so what comes out is RGB
 * whatever the label said (YBR_RCT, YBR_ICT, PS3.3 C.7.6.3.1.2, but also
 * YBR_FULL or YBR_FULL_422 written over such a stream).  YBR_RCT or
 * YBR_ICT without a transform in the stream has no uncompressed
 * equivalent, and is refused; YBR_FULL_422 without one comes out at full
 * resolution, which is YBR_FULL.
 */
static int
j2k_rgb(
    const uint8_t *in, size_t n, struct dcmfile_image *got, struct cs_err *err)
{
	unsigned mct = 0, wavelet = 0;
	int rct;

	if (got->samples != 3)
		return 0;
	rct = strcmp(got->photometric, "YBR_RCT") == 0 ||
	    strcmp(got->photometric, "YBR_ICT") == 0;
	if (j2k_cod(in, n, &mct, &wavelet) == 0 && mct == 1) {
		memcpy(got->photometric, "RGB", 4);
		return 0;
	}
	if (rct)
		return cs_err_set(err, CS_E_UNSUPPORTED,
		    "%s, but the JPEG 2000 code stream names no component "
		    "transformation: no uncompressed equivalent",
		    got->photometric);
	if (strcmp(got->photometric, "YBR_FULL_422") == 0)
		memcpy(got->photometric, "YBR_FULL", 9);
	return 0;
}

/* True if fragment f starts a code stream of ts (SOI, or J2K's SOC). */
static int
starts_frame(const char *ts, const struct xcp_span *f)
{
	if (f->n < 2 || f->p[0] != 0xff)
		return 0;
	if (is_j2k(ts))
		return f->p[1] == 0x4f;
	return f->p[1] == 0xd8;
}

/* 1 when a frame's code stream uses the irreversible 9-7 wavelet. */
static int
j2k_irreversible(const struct xcp *p)
{
	unsigned mct, wavelet;
	size_t f;

	for (f = 0; f < p->nfrag; f++)
		if ((f == 0 || starts_frame(p->src_ts, &p->frag[f])) &&
		    j2k_cod(p->frag[f].p, p->frag[f].n, &mct, &wavelet) == 0 &&
		    wavelet == 0)
			return 1;
	return 0;
}

int
xcp_source_lossy(const struct xcp *p, int vouched)
{
	const struct ts_entry *t = ts_find(p->src_ts);

	if (!p->src_encaps || t == NULL)
		return 0;
	if (t->codec != TS_CODEC_J2K)
		return (t->flags & TS_F_LOSSY) != 0;
	/* 9-7 loses whatever the label says; 5-3 loses too once a rate cut
	 * its layers short, which no header shows: only the writer knows */
	if (j2k_irreversible(p))
		return 1;
	return (t->flags & TS_F_LOSSY) && !vouched;
}

static int
is_ybr(const char *pi)
{
	return strncmp(pi, "YBR_", 4) == 0;
}

/* The image description must be one a frame can be cut from. */
static int
check_image(struct xcp *p, struct cs_err *err)
{
	const struct dcmfile_image *m = &p->img;
	uint64_t fs;

	if (m->rows == 0 || m->cols == 0 ||
	    (m->samples != 1 && m->samples != 3))
		return cs_err_set(err, CS_E_UNSUPPORTED,
		    "cannot transcode an image of %ux%u with %u samples per pixel",
		    m->cols, m->rows, m->samples);
	if (m->bits_allocated != 8 && m->bits_allocated != 16 &&
	    m->bits_allocated != 32)
		return cs_err_set(err, CS_E_UNSUPPORTED,
		    "cannot transcode pixels of %u bits allocated",
		    m->bits_allocated);
	if (m->bits_stored == 0 || m->bits_stored > m->bits_allocated ||
	    m->high_bit + 1u < m->bits_stored ||
	    m->high_bit >= m->bits_allocated)
		return cs_err_set(err, CS_E_UNSUPPORTED,
		    "inconsistent Bits Stored %u / High Bit %u for %u bits allocated",
		    m->bits_stored, m->high_bit, m->bits_allocated);
	if (p->frames == 0)
		return cs_err_set(err, CS_E_UNSUPPORTED,
		    "Number of Frames (0028,0008) is 0 or not a number");
	fs =
	    (uint64_t)m->rows * m->cols * m->samples * (m->bits_allocated / 8u);
	if (fs > ((uint64_t)1 << 31) || fs * p->frames > ((uint64_t)1 << 40))
		return cs_err_set(err, CS_E_UNSUPPORTED,
		    "frames of %llu bytes are too large to transcode",
		    (unsigned long long)fs);
	p->frame_size = (size_t)fs;
	return 0;
}

/* Reads the fragments of an encapsulated source (PS3.5 A.4). */
static int
read_fragments(struct xcp *p, struct xcp_span **bot, struct cs_err *err)
{
	struct rd r;
	struct ds_elem e;
	size_t cap = 0;
	int rc, first = 1;

	*bot = NULL;
	rd_init(&r, p->items, p->items_len);
	for (;;) {
		rc = ds_elem_read(&r, DS_ENC_EVR_LE, &e, err);
		if (rc != 0)
			return rc == CS_E_TRUNCATED
			    ? cs_err_set(err, CS_E_TRUNCATED,
				  "pixel data ends inside a fragment header")
			    : rc;
		if (e.tag == DS_TAG_SEQ_DELIM)
			break;
		if (e.tag != DS_TAG_ITEM || e.len == DS_LEN_UNDEFINED ||
		    e.len > rd_left(&r))
			return cs_err_set(err, CS_E_PROTO,
			    "malformed fragment in encapsulated pixel data");
		if (first) {
			/* the Basic Offset Table: kept aside */
			first = 0;
			if (e.len > 0) {
				*bot = malloc(sizeof(**bot));
				if (*bot == NULL)
					return cs_err_set(
					    err, CS_E_NOMEM, "out of memory");
				(*bot)->p = rd_bytes(&r, e.len);
				(*bot)->n = e.len;
			}
			continue;
		}
		if (p->nfrag == cap) {
			struct xcp_span *n;

			cap = cap ? cap * 2 : 16;
			n = realloc(p->frag, cap * sizeof(*n));
			if (n == NULL)
				return cs_err_set(
				    err, CS_E_NOMEM, "out of memory");
			p->frag = n;
		}
		p->frag[p->nfrag].p = rd_bytes(&r, e.len);
		p->frag[p->nfrag].n = e.len;
		p->nfrag++;
	}
	if (p->nfrag == 0)
		return cs_err_set(
		    err, CS_E_PROTO, "encapsulated pixel data has no fragment");
	return 0;
}

static int rle_image_of(
    const struct dcmfile_image *m, struct rle_image *im, struct cs_err *err);

/*
 * The fragments read as one stream, forward, without copying them:
 * fragment f starts at byte at of the stream.
 */
struct joined {
	const struct xcp *p;
	size_t f;
	uint64_t at;
};

/* Byte pos of the joined fragments (pos below their total length). */
static uint8_t
joined_byte(struct joined *j, uint64_t pos)
{
	if (pos < j->at) {
		j->f = 0;
		j->at = 0;
	}
	while (j->f < j->p->nfrag && pos - j->at >= j->p->frag[j->f].n) {
		j->at += j->p->frag[j->f].n;
		j->f++;
	}
	return j->f < j->p->nfrag ? j->p->frag[j->f].p[pos - j->at] : 0;
}

static uint32_t
joined_le32(struct joined *j, uint64_t pos)
{
	return (uint32_t)joined_byte(j, pos) |
	    (uint32_t)joined_byte(j, pos + 1) << 8 |
	    (uint32_t)joined_byte(j, pos + 2) << 16 |
	    (uint32_t)joined_byte(j, pos + 3) << 24;
}

/*
 * Reads a PackBits segment (PS3.5 G.3.1) from pos, not past lim, until
 * npix bytes come out: *pos is left after the run that completes them.
 * -1 when the segment ends first.
 */
static int
rle_scan_segment(struct joined *j, uint64_t *pos, uint64_t lim, size_t npix)
{
	uint64_t at = *pos, out = 0;
	int c;

	while (out < npix) {
		if (at >= lim)
			return -1;
		c = (int8_t)joined_byte(j, at++);
		if (c >= 0) { /* a literal run, read whole by the decoder */
			if ((uint64_t)c + 1 > lim - at)
				return -1;
			at += (uint64_t)c + 1;
			out += (uint64_t)c + 1;
		} else if (c != -128) { /* -128: no operation (G.3.2) */
			if (at >= lim)
				return -1;
			at++;
			out += (uint64_t)(1 - c);
		}
	}
	*pos = at;
	return 0;
}

/* 1 when bytes [pos, lim) after a segment's pixels are no-operation
 * runs (G.3.2) and at most one pad byte (G.3.1): nothing left over. */
static int
rle_tail_empty(struct joined *j, uint64_t pos, uint64_t lim)
{
	while (pos < lim && joined_byte(j, pos) == 0x80)
		pos++;
	return lim - pos <= 1;
}

/*
 * The end of the RLE frame starting at s (its header there, PS3.5 G.5):
 * every segment decoded to exactly its npix bytes, each using its bytes
 * up to its successor, the last its bytes up to the end of a fragment,
 * with nothing left over but a pad byte.  That end is *e.  NULL, or why
 * there is no such end (the frames are then not where it was thought).
 */
static const char *
rle_frame_end(struct joined *j, unsigned nseg, size_t npix, uint64_t s,
    uint64_t total, uint64_t *e)
{
	uint32_t off[RLE_MAX_SEGMENTS];
	uint64_t pos = s + RLE_HEADER_LEN, lim;
	unsigned k;

	if (total - s < RLE_HEADER_LEN)
		return "no 64-byte RLE header";
	if (joined_le32(j, s) != nseg)
		return "its header's segment count is not the image's";
	for (k = 0; k < nseg; k++) {
		off[k] = joined_le32(j, s + 4 + 4 * k);
		if (off[k] < (k ? (uint64_t)off[k - 1] + 1 : RLE_HEADER_LEN) ||
		    off[k] >= total - s)
			return "a segment offset out of order or past the data";
	}
	for (k = 0; k < nseg; k++) {
		pos = s + off[k];
		lim = k + 1 < nseg ? s + off[k + 1] : total;
		if (rle_scan_segment(j, &pos, lim, npix) != 0)
			return "a segment ends before its pixels";
		if (k + 1 < nseg && !rle_tail_empty(j, pos, lim))
			return "a segment has bytes left over";
	}
	/* the frame ends with the fragment holding the last byte read */
	(void)joined_byte(j, pos - 1);
	*e = j->at + j->p->frag[j->f].n;
	if (!rle_tail_empty(j, pos, *e))
		return "bytes are left over after its last segment";
	return NULL;
}

/*
 * RLE frames in fragments that are not one per frame, with no Basic
 * Offset Table to say where each begins (DCMTK's dcmcrle +fs -ot; one
 * frame in 64 KiB fragments, fo-dicom's D_CLUNIE_CT1_RLE_FRAGS.dcm):
 * each frame begins a fragment and takes fragments until its segments
 * are decoded exactly, as DCMTK's decoder reads them.  Every fragment
 * must go to one of the frames counted; a byte left over anywhere is
 * refused, never a frame cut where a look-alike header begins.
 */
static int
map_rle_frames(struct xcp *p, struct cs_err *err)
{
	struct joined j = { p, 0, 0 };
	struct rle_image im;
	uint64_t total = 0, s = 0, e;
	const char *why = NULL;
	size_t f = 0, npix;
	uint32_t i;
	int rc;

	if ((rc = rle_image_of(&p->img, &im, err)) != 0)
		return rc;
	npix = (size_t)im.rows * im.columns;
	for (f = 0; f < p->nfrag; f++)
		total += p->frag[f].n;
	for (i = 0, f = 0; i < p->frames; i++) {
		p->first[i] = f;
		if (f == p->nfrag)
			return cs_err_set(err, CS_E_PROTO,
			    "RLE: %zu fragments for %u frames: they end after "
			    "%u frames (PS3.5 G.1: one each)",
			    p->nfrag, p->frames, i);
		why = rle_frame_end(
		    &j, rle_segment_count(&im), npix, s, total, &e);
		if (why != NULL)
			break;
		for (f = j.f + 1, s = e; f < p->nfrag && p->frag[f].n == 0; f++)
			; /* an empty fragment adds nothing to the frame */
	}
	if (why == NULL && f == p->nfrag)
		return 0;
	if (why == NULL)
		return cs_err_set(err, CS_E_PROTO,
		    "RLE: %zu fragments for %u frames: fragment %zu follows "
		    "the last frame's end (PS3.5 G.1: one each)",
		    p->nfrag, p->frames, f + 1);
	return cs_err_set(err, CS_E_PROTO,
	    "RLE: %zu fragments for %u frames: frame %u (from fragment %zu): "
	    "%s (PS3.5 G.1: one each)",
	    p->nfrag, p->frames, i + 1, f + 1, why);
}

/*
 * One frame (Number of Frames 1 or missing) in several fragments: only
 * if they cannot be more frames.  RLE: its segments must use every
 * fragment exactly (map_rle_frames); the JPEG family when only the first
 * fragment starts a code stream.
 */
static int
one_frame(struct xcp *p, struct cs_err *err)
{
	size_t f;

	if (p->nfrag <= 1)
		return 0;
	if (codec_of(p->src_ts) == CODEC_RLE)
		return map_rle_frames(p, err);
	for (f = 1; f < p->nfrag; f++)
		if (starts_frame(p->src_ts, &p->frag[f]))
			return cs_err_set(err, CS_E_PROTO,
			    "fragment %zu starts "
			    "another code stream, but there is one frame",
			    f + 1);
	return 0;
}

/* Sets p->first: which fragments make each frame. */
static int
map_frames(struct xcp *p, const struct xcp_span *bot, struct cs_err *err)
{
	size_t i, k = 0, f, pos;
	struct rd r;

	p->first = calloc((size_t)p->frames + 1, sizeof(*p->first));
	if (p->first == NULL)
		return cs_err_set(err, CS_E_NOMEM, "out of memory");
	p->first[p->frames] = p->nfrag;
	if (p->frames == 1)
		return one_frame(p, err);
	if (p->nfrag == p->frames) {
		for (i = 0; i < p->frames; i++)
			p->first[i] = i;
		return 0;
	}
	if (bot != NULL && bot->n == 4 * (size_t)p->frames) {
		/* offsets from the first fragment's item header (PS3.5 A.4) */
		rd_init(&r, bot->p, bot->n);
		for (i = 0, pos = 0, k = 0; i < p->frames; i++) {
			uint32_t off = rd_le32(&r);

			while (k < p->nfrag && pos < off) {
				pos += 8 + p->frag[k].n;
				k++;
			}
			if (pos != off || k >= p->nfrag ||
			    (i > 0 && k <= p->first[i - 1]))
				return cs_err_set(err, CS_E_PROTO,
				    "the Basic Offset Table does not match the fragments");
			p->first[i] = k;
		}
		return 0;
	}
	/* no table: RLE frames as their segments end; the JPEG family's
	 * where a code stream starts */
	if (codec_of(p->src_ts) == CODEC_RLE)
		return map_rle_frames(p, err);
	for (f = 0; f < p->nfrag; f++) {
		if (!starts_frame(p->src_ts, &p->frag[f]))
			continue;
		if (k == p->frames)
			return cs_err_set(err, CS_E_PROTO,
			    "more code streams than the %u frames", p->frames);
		p->first[k++] = f;
	}
	if (k != p->frames || p->first[0] != 0)
		return cs_err_set(err, CS_E_PROTO,
		    "cannot tell %u frames apart in %zu fragments", p->frames,
		    p->nfrag);
	return 0;
}

/* Swaps units of size u (2, 4, 8) in place. */
static void
swap_units(uint8_t *b, size_t n, unsigned u)
{
	size_t i, j;
	uint8_t t;

	for (i = 0; i + u <= n; i += u)
		for (j = 0; j < u / 2; j++) {
			t = b[i + j];
			b[i + j] = b[i + u - 1 - j];
			b[i + u - 1 - j] = t;
		}
}

/* Converts a colour frame between planar layouts (PS3.3 C.7.6.3.1.3). */
static int
replan(uint8_t *b, size_t fs, unsigned bytes, int to_planar)
{
	size_t px = fs / (3u * bytes), i, s;
	uint8_t *t = malloc(fs);

	if (t == NULL)
		return CS_E_NOMEM;
	for (i = 0; i < px; i++)
		for (s = 0; s < 3; s++) {
			size_t a = (i * 3 + s) * bytes,
			       pl = (s * px + i) * bytes;

			if (to_planar)
				memcpy(t + pl, b + a, bytes);
			else
				memcpy(t + a, b + pl, bytes);
		}
	memcpy(b, t, fs);
	free(t);
	return 0;
}

/*
 * YCbCr to RGB in place, 8 bits, by the JFIF equations in the fixed-point
 * arithmetic of libjpeg's jdcolor.c (16 fraction bits, rounded), so that
 * the result is what DCMTK's dcmdjpeg and libjpeg-based readers make.
 */
static void
ybr_to_rgb(uint8_t *b, size_t px, uint16_t planar)
{
	const int32_t one_half = 1 << 15;
	const int32_t fr = 91881, fb = 116130, fg_cr = 46802, fg_cb = 22554;
	size_t i, step = planar ? 1 : 3, plane = planar ? px : 1;

	/* FIX(x) = x * 65536 + 0.5: 1.40200, 1.77200, 0.71414, 0.34414 */
	for (i = 0; i < px; i++) {
		uint8_t *y = b + (planar ? i : i * step);
		int32_t cb = y[plane] - 128, cr = y[2 * plane] - 128, v[3];
		int k;

		v[0] = y[0] + ((fr * cr + one_half) >> 16);
		v[1] = y[0] + ((-fg_cb * cb + one_half - fg_cr * cr) >> 16);
		v[2] = y[0] + ((fb * cb + one_half) >> 16);
		for (k = 0; k < 3; k++)
			y[k * plane] = (uint8_t)(v[k] < 0 ? 0
				: v[k] > 255              ? 255
							  : v[k]);
	}
}

/* The fragments of frame i as one buffer (*tmp when it had to join). */
static int
frame_bytes(struct xcp *p, uint32_t i, const uint8_t **b, size_t *n,
    uint8_t **tmp, struct cs_err *err)
{
	size_t a = p->first[i], z = p->first[i + 1], k, len = 0;

	*tmp = NULL;
	if (z - a == 1) {
		*b = p->frag[a].p;
		*n = p->frag[a].n;
		return 0;
	}
	for (k = a; k < z; k++)
		len += p->frag[k].n;
	*tmp = malloc(len ? len : 1);
	if (*tmp == NULL)
		return cs_err_set(err, CS_E_NOMEM, "out of memory");
	for (k = a, len = 0; k < z; k++) {
		memcpy(*tmp + len, p->frag[k].p, p->frag[k].n);
		len += p->frag[k].n;
	}
	*b = *tmp;
	*n = len;
	return 0;
}

/* The image as our RLE codec wants it (rows and columns are US). */
static int
rle_image_of(
    const struct dcmfile_image *m, struct rle_image *im, struct cs_err *err)
{
	if (m->rows > 0xffffu || m->cols > 0xffffu)
		return cs_err_set(err, CS_E_UNSUPPORTED, "RLE: %ux%u too large",
		    m->cols, m->rows);
	im->rows = (uint16_t)m->rows;
	im->columns = (uint16_t)m->cols;
	im->samples = m->samples;
	im->bits_allocated = m->bits_allocated;
	im->planar = m->planar ? RLE_SEPARATE : RLE_INTERLEAVED;
	return rle_image_check(im, err);
}

/* Decodes stream in/n of syntax ts into out (p->frame_size bytes). */
static int
decode_stream(struct xcp *p, const char *ts, const uint8_t *in, size_t n,
    uint8_t *out, struct dcmfile_image *got, struct cs_err *err)
{
	int rc;

	struct rle_image im;

	switch (codec_of(ts)) {
	case CODEC_RLE:
		/* RLE moves bytes only: the layout asked for, nothing else */
		*got = p->img;
		rc = rle_image_of(&p->img, &im, err);
		if (rc == 0)
			rc = rle_decode_frame(
			    &im, in, n, out, p->frame_size, err);
		if (rc != 0)
			return rc;
		break;
	case CODEC_GDCM:
		/* JPEG-LS: CharLS itself, when it loads (no GDCM, no copies) */
		rc = CS_E_UNSUPPORTED;
		if (is_jpegls(ts) && xcode_jls_available())
			rc = xcode_jls_decode(
			    &p->img, in, n, out, p->frame_size, got, err);
		/* what CharLS refuses (stricter on sample size than some
		 * writers are) GDCM may still read, as it did before */
		if (rc == CS_E_UNSUPPORTED) {
			cs_err_clear(err);
			if (is_j2k(ts) &&
			    j2k_size_check(in, n, &p->img, err) != 0)
				return CS_E_PROTO;
			rc = dcmfile_codec_decode(
			    ts, &p->img, in, n, out, p->frame_size, got, err);
		}
		if (rc == 0 && got->samples == 3 &&
		    strncmp(got->photometric, "YBR_FULL", 8) == 0 &&
		    is_lossy_jpeg(ts)) {
			/* GDCM leaves YCbCr, upsampled: YBR_FULL_422 is no longer
			 * true of it, and RGB is what a reader expects of a
			 * decompressed lossy JPEG (PS3.5 8.2.1) */
			if (got->bits_allocated != 8)
				return cs_err_set(err, CS_E_UNSUPPORTED,
				    "cannot convert %u-bit YCbCr to RGB",
				    got->bits_allocated);
			ybr_to_rgb(out, p->frame_size / 3, got->planar);
			memcpy(got->photometric, "RGB", 4);
		}
		if (rc == 0 && is_j2k(ts))
			rc = j2k_rgb(in, n, got, err);
		if (rc != 0)
			return rc;
		break;
	case CODEC_NONE:
		return cs_err_set(
		    err, CS_E_UNSUPPORTED, "no decoder for %s", ts);
	}
	if (p->img.samples == 3 && got->planar != p->img.planar) {
		if (replan(out, p->frame_size, p->img.bits_allocated / 8u,
			p->img.planar) != 0)
			return cs_err_set(err, CS_E_NOMEM, "out of memory");
		got->planar = p->img.planar;
	}
	return 0;
}

/* Decodes source frame i into p->raw. */
static int
decode_frame(
    struct xcp *p, uint32_t i, struct dcmfile_image *got, struct cs_err *err)
{
	const uint8_t *b = NULL;
	uint8_t *tmp;
	size_t n = 0;
	int rc;

	*got = p->img;
	if (!p->src_encaps) {
		if ((uint64_t)(i + 1) * p->frame_size > p->val_len)
			return cs_err_set(err, CS_E_PROTO,
			    "pixel data holds %zu bytes, %u frames need %llu",
			    p->val_len, p->frames,
			    (unsigned long long)p->frames * p->frame_size);
		memcpy(
		    p->raw, p->val + (size_t)i * p->frame_size, p->frame_size);
		if (p->swap)
			swap_units(p->raw, p->frame_size, p->swap);
		return 0;
	}
	rc = frame_bytes(p, i, &b, &n, &tmp, err);
	if (rc != 0)
		return rc;
	rc = decode_stream(p, p->src_ts, b, n, p->raw, got, err);
	free(tmp);
	return rc;
}

/*
 * Encodes p->raw as a frame of dst_ts into *out, *n (malloc'd); a lossless
 * encoding is decoded again and must give p->raw back exactly.
 */
static int
encode_frame(struct xcp *p, uint8_t **out, size_t *n, struct cs_err *err)
{
	struct dcmfile_image got;
	struct rle_image im;
	size_t cap;
	int rc;

	*out = NULL;
	*n = 0;
	switch (codec_of(p->dst_ts)) {
	case CODEC_RLE:
		if ((rc = rle_image_of(&p->out, &im, err)) != 0)
			return rc;
		cap = rle_encode_bound(&im);
		*out = malloc(cap);
		if (*out == NULL)
			return cs_err_set(err, CS_E_NOMEM, "out of memory");
		rc = rle_encode_frame(
		    &im, p->raw, p->frame_size, *out, cap, n, err);
		if (rc != 0) {
			free(*out);
			*out = NULL;
			*n = 0;
		}
		break;
	case CODEC_GDCM:
		rc = dcmfile_codec_encode(p->dst_ts, &p->out, p->raw,
		    p->frame_size, p->lossy, out, n, err);
		break;
	case CODEC_NONE:
	default:
		return cs_err_set(
		    err, CS_E_UNSUPPORTED, "no encoder for %s", p->dst_ts);
	}
	if (rc != 0)
		return rc;
	if (p->lossy)
		return 0;
	rc = decode_stream(p, p->dst_ts, *out, *n, p->chk, &got, err);
	if (rc == 0 &&
	    (memcmp(p->chk, p->raw, p->frame_size) != 0 ||
		strcmp(got.photometric, p->out.photometric) != 0))
		rc = cs_err_set(err, CS_E_UNSUPPORTED,
		    "the %s encoding does not decode to the same pixels: refused",
		    p->dst_ts);
	if (rc != 0) {
		free(*out);
		*out = NULL;
		*n = 0;
	}
	return rc;
}

/*
 * Before a frame buffer is allocated from what the header says: the
 * source must be able to hold such frames.  Native: exactly.  RLE: a
 * replicate run codes at most 128 bytes in 2 (G.3.1), so a frame is at
 * most 64 times its stream plus its header.  JPEG family: no such bound
 * (a blank image compresses without limit), so a plain cap.
 */
#define GDCM_FRAME_MAX ((size_t)1 << 30)

/*
 * A native YBR_FULL_422 (or retired YBR_PARTIAL_422) image of 3 samples
 * whose Pixel Data holds 2 samples a pixel, Y1 Y2 Cb Cr for each pair,
 * as PS3.3 C.7.6.3.1.2 has it (an odd last pixel of a row counted as a
 * pair or, as pydicom counts it, not): frames are not 3 samples a
 * pixel, and the codecs take nothing else.
 */
static int
subsampled_422(const struct xcp *p)
{
	uint64_t each =
	    (uint64_t)p->img.rows * (p->img.bits_allocated / 8u) * p->frames;
	uint64_t pair = ((uint64_t)p->img.cols + 1) / 2 * 4 * each;
	uint64_t two = (uint64_t)p->img.cols * 2 * each;

	return p->img.samples == 3 &&
	    (strcmp(p->img.photometric, "YBR_FULL_422") == 0 ||
		strcmp(p->img.photometric, "YBR_PARTIAL_422") == 0) &&
	    (p->val_len == pair || p->val_len == pair + (pair & 1) ||
		p->val_len == two || p->val_len == two + (two & 1));
}

static int
plausible(const struct xcp *p, struct cs_err *err)
{
	size_t i, k, n;

	if (!p->src_encaps) {
		uint64_t need = (uint64_t)p->frame_size * p->frames;

		/* more would be frames the header does not count: dropped */
		if (p->val_len != need && p->val_len != need + 1)
			return subsampled_422(p)
			    ? cs_err_set(err, CS_E_UNSUPPORTED,
				  "native %s pixels (two samples a pixel, "
				  "PS3.3 C.7.6.3.1.2) are not converted here",
				  p->img.photometric)
			    : cs_err_set(err, CS_E_PROTO,
				  "pixel data holds %zu bytes, not %u frames "
				  "of %zu",
				  p->val_len, p->frames, p->frame_size);
		return 0;
	}
	if (codec_of(p->src_ts) == CODEC_RLE) {
		for (i = 0; i < p->frames; i++) {
			for (k = p->first[i], n = 0; k < p->first[i + 1]; k++)
				n += p->frag[k].n;
			if (p->frame_size / 64 > n)
				return cs_err_set(err, CS_E_PROTO,
				    "RLE frame %zu: "
				    "%zu bytes cannot decode to %zu",
				    i + 1, n, p->frame_size);
		}
		return 0;
	}
	if (p->frame_size > GDCM_FRAME_MAX)
		return cs_err_set(err, CS_E_UNSUPPORTED,
		    "frames of %zu bytes are too large to transcode",
		    p->frame_size);
	return 0;
}

int
xcp_prepare(struct xcp *p, struct xcode_result *res, struct cs_err *err)
{
	struct xcp_span *bot = NULL;
	struct dcmfile_image got;
	uint32_t i;
	int rc;

	res->frames = p->frames;
	memcpy(res->photometric, p->img.photometric, sizeof(res->photometric));
	p->out = p->img;
	if (!p->src_encaps && !p->dst_encaps)
		return 0; /* native to native: the value is copied, not decoded */
	if ((rc = check_image(p, err)) != 0)
		return rc;
	if (p->dst_encaps && codec_of(p->dst_ts) == CODEC_NONE)
		return cs_err_set(
		    err, CS_E_UNSUPPORTED, "no encoder for %s", p->dst_ts);
	/* PS3.5 A.4.1: Baseline holds 8-bit samples, Extended up to 12 */
	if (p->dst_encaps &&
	    ((strcmp(p->dst_ts, TS_UID_JPEGBaseline8Bit) == 0 &&
		 p->img.bits_allocated != 8) ||
		(strcmp(p->dst_ts, TS_UID_JPEGExtended12Bit) == 0 &&
		    p->img.bits_stored > 12)))
		return cs_err_set(err, CS_E_UNSUPPORTED,
		    "pixel data of %u bits cannot be coded in %s",
		    p->img.bits_stored, p->dst_ts);
	/*
	 * Colour in JPEG 2000 or lossy JPEG: the encoders transform it (MCT,
	 * YCbCr), and the Photometric Interpretation would have to say so
	 * (YBR_RCT/YBR_ICT, YBR_FULL_422: PS3.5 8.2): not done, refused.
	 */
	if (p->dst_encaps && p->img.samples == 3 &&
	    (is_j2k(p->dst_ts) || is_lossy_jpeg(p->dst_ts)))
		return cs_err_set(err, CS_E_UNSUPPORTED,
		    "colour images are not coded in %s here", p->dst_ts);
	if (p->src_encaps) {
		if (codec_of(p->src_ts) == CODEC_NONE)
			return cs_err_set(err, CS_E_UNSUPPORTED,
			    "no decoder for %s", p->src_ts);
		rc = read_fragments(p, &bot, err);
		if (rc == 0)
			rc = map_frames(p, bot, err);
		free(bot);
		if (rc != 0)
			return rc;
	}
	if ((rc = plausible(p, err)) != 0)
		return rc;
	p->raw = malloc(p->frame_size);
	/* the check buffer only where a lossless encoding is decoded again */
	p->chk = p->dst_encaps && !p->lossy ? malloc(p->frame_size) : NULL;
	if (p->raw == NULL || (p->dst_encaps && !p->lossy && p->chk == NULL))
		return cs_err_set(err, CS_E_NOMEM, "out of memory");
	/* the first frame tells what the decoder makes of the colours */
	if ((rc = decode_frame(p, 0, &got, err)) != 0)
		return rc;
	if (strcmp(got.photometric, p->img.photometric) != 0) {
		if (!(is_ybr(p->img.photometric) &&
			strcmp(got.photometric, "RGB") == 0) &&
		    !(strcmp(p->img.photometric, "YBR_FULL_422") == 0 &&
			strcmp(got.photometric, "YBR_FULL") == 0))
			return cs_err_set(err, CS_E_UNSUPPORTED,
			    "the decoder turned %s into %s: refused",
			    p->img.photometric, got.photometric);
		memcpy(p->out.photometric, got.photometric,
		    sizeof(got.photometric));
		memcpy(res->photometric, got.photometric,
		    sizeof(res->photometric));
		res->photometric_changed = 1;
	}
	if (!p->lossy)
		return 0;
	/* lossy: the ratio goes before the pixels, so encode them all now */
	p->enc = calloc(p->frames, sizeof(*p->enc));
	if (p->enc == NULL)
		return cs_err_set(err, CS_E_NOMEM, "out of memory");
	for (i = 0; i < p->frames; i++) {
		uint8_t *b;
		size_t n;

		if (i > 0 && (rc = decode_frame(p, i, &got, err)) != 0)
			return rc;
		if ((rc = encode_frame(p, &b, &n, err)) != 0)
			return rc;
		p->enc[i].p = b;
		p->enc[i].n = n;
		p->enc_total += n;
	}
	res->lossy = 1;
	res->ratio = p->enc_total > 0
	    ? (double)p->frame_size * p->frames / (double)p->enc_total
	    : 0;
	return 0;
}

uint64_t
xcp_native_len(const struct xcp *p)
{
	uint64_t n;

	if (!p->src_encaps)
		return p->val_len + (p->pad && (p->val_len & 1));
	n = (uint64_t)p->frame_size * p->frames;
	return n + (n & 1);
}

static int
put_item(int (*out)(void *, const void *, size_t), void *ctx, uint32_t tag,
    uint32_t len)
{
	uint8_t h[8] = { (uint8_t)(tag >> 16), (uint8_t)(tag >> 24),
		(uint8_t)tag, (uint8_t)(tag >> 8), (uint8_t)len,
		(uint8_t)(len >> 8), (uint8_t)(len >> 16),
		(uint8_t)(len >> 24) };

	return out(ctx, h, sizeof(h));
}

/* One encapsulated frame: an item of even length (PS3.5 A.4). */
static int
put_fragment(int (*out)(void *, const void *, size_t), void *ctx,
    const uint8_t *b, size_t n, struct cs_err *err)
{
	static const uint8_t zero;
	int rc;

	if (n > 0xfffffff0u)
		return cs_err_set(err, CS_E_UNSUPPORTED,
		    "a frame of %zu bytes "
		    "does not fit in one fragment",
		    n);
	rc = put_item(out, ctx, DS_TAG_ITEM, (uint32_t)(n + (n & 1)));
	if (rc == 0)
		rc = out(ctx, b, n);
	if (rc == 0 && (n & 1))
		rc = out(ctx, &zero, 1);
	return rc;
}

/*
 * A native source's value, swapped by p->swap a slice at a time, and a
 * NUL after an odd one under p->pad: part of the value before the swap,
 * so that its last word keeps its bytes (xcode.c put_value).
 */
static int
write_native(struct xcp *p, int (*out)(void *, const void *, size_t), void *ctx)
{
	static const uint8_t zero;
	size_t end = xcp_native_len(p), at, n;
	int rc = 0;

	if (!p->swap) {
		rc = out(ctx, p->val, p->val_len);
		return rc == 0 && end > p->val_len ? out(ctx, &zero, 1) : rc;
	}
	for (at = 0; at < end && rc == 0; at += n) {
		uint8_t b[1 << 14]; /* a multiple of every unit */

		n = end - at < sizeof(b) ? end - at : sizeof(b);
		if (at + n <= p->val_len) {
			memcpy(b, p->val + at, n);
		} else { /* the last slice, with the pad */
			memcpy(b, p->val + at, p->val_len - at);
			b[p->val_len - at] = 0;
		}
		swap_units(b, n - n % p->swap, p->swap);
		rc = out(ctx, b, n);
	}
	return rc;
}

int
xcp_write(struct xcp *p, int (*out)(void *, const void *, size_t), void *ctx,
    struct cs_err *err)
{
	struct dcmfile_image got;
	uint32_t i;
	int rc = 0;

	if (!p->src_encaps && !p->dst_encaps)
		return write_native(p, out, ctx);
	if (p->dst_encaps && (rc = put_item(out, ctx, DS_TAG_ITEM, 0)) != 0)
		return rc; /* an empty Basic Offset Table */
	for (i = 0; i < p->frames && rc == 0; i++) {
		uint8_t *b;
		size_t n;

		if (p->enc != NULL) {
			rc = put_fragment(
			    out, ctx, p->enc[i].p, p->enc[i].n, err);
			continue;
		}
		if (i > 0 && (rc = decode_frame(p, i, &got, err)) != 0)
			break;
		if (i > 0 && strcmp(got.photometric, p->out.photometric) != 0) {
			rc = cs_err_set(err, CS_E_UNSUPPORTED,
			    "frame %u decodes as %s, frame 1 as %s", i + 1,
			    got.photometric, p->out.photometric);
			break;
		}
		if (!p->dst_encaps) {
			if (p->out_swap)
				swap_units(p->raw, p->frame_size, p->out_swap);
			rc = out(ctx, p->raw, p->frame_size);
			continue;
		}
		if ((rc = encode_frame(p, &b, &n, err)) != 0)
			break;
		rc = put_fragment(out, ctx, b, n, err);
		free(b);
	}
	if (rc != 0)
		return rc;
	if (!p->dst_encaps) {
		static const uint8_t zero;

		return (p->frame_size * p->frames) & 1 ? out(ctx, &zero, 1) : 0;
	}
	return put_item(out, ctx, DS_TAG_SEQ_DELIM, 0);
}

void
xcp_release(struct xcp *p)
{
	uint32_t i;

	if (p->enc != NULL)
		for (i = 0; i < p->frames; i++)
			free((void *)p->enc[i].p);
	free(p->enc);
	free(p->frag);
	free(p->first);
	free(p->raw);
	free(p->chk);
	p->enc = NULL;
	p->frag = NULL;
	p->first = NULL;
	p->raw = p->chk = NULL;
	p->nfrag = 0;
	p->enc_total = 0;
}
