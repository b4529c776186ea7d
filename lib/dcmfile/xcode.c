/*
 * xcode.c - the element walker and writer of the transcoder (xcode.h).
 *
 * Two walks of the source through core/ds_walk, the walker every reader
 * of data sets shares: the first reads the Image Pixel attributes and
 * finds the pixel data at the top level, passing what is nested by its
 * length where it has one; the second writes the target, step by step,
 * with no recursion, and checks what it copies on its way.  An element
 * already in the target's encoding is copied as one byte range, header
 * and all; otherwise headers are written again, values swapped where the
 * byte order changes, and sequences and items get undefined lengths.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "core/buf.h"
#include "core/ds_elem.h"
#include "core/ds_walk.h"
#include "core/sha256.h"
#include "core/ts_uids.h"
#include "dcmfile/xcode.h"
#include "dcmfile/xcode_pixels.h"
#include "dcmfile/xcode_vr.h"
#include "core/banned.h"

#define OUT_BUF (1u << 16)

#define TAG_SOP_INSTANCE DS_TAG(0x0008, 0x0018)
#define TAG_SAMPLES DS_TAG(0x0028, 0x0002)
#define TAG_PHOTOMETRIC DS_TAG(0x0028, 0x0004)
#define TAG_PLANAR DS_TAG(0x0028, 0x0006)
#define TAG_FRAMES DS_TAG(0x0028, 0x0008)
#define TAG_ROWS DS_TAG(0x0028, 0x0010)
#define TAG_COLS DS_TAG(0x0028, 0x0011)
#define TAG_BITS_ALLOC DS_TAG(0x0028, 0x0100)
#define TAG_BITS_STORED DS_TAG(0x0028, 0x0101)
#define TAG_HIGH_BIT DS_TAG(0x0028, 0x0102)
#define TAG_PIXEL_REP DS_TAG(0x0028, 0x0103)
#define TAG_LOSSY DS_TAG(0x0028, 0x2110)
#define TAG_LOSSY_RATIO DS_TAG(0x0028, 0x2112)
#define TAG_LOSSY_METHOD DS_TAG(0x0028, 0x2114)
#define TAG_EXT_OFFSETS DS_TAG(0x7fe0, 0x0001)
#define TAG_EXT_LENGTHS DS_TAG(0x7fe0, 0x0002)
#define TAG_ENCAPS_TOTAL DS_TAG(0x7fe0, 0x0003)
#define TAG_ICON_SEQ DS_TAG(0x0088, 0x0200)

struct xc {
	const struct xcode_req *req;
	struct xcode_result *res;
	struct cs_err *err;
	enum ds_enc se, de; /* element encodings of source and target */
	int s_encaps, d_encaps;
	int lossy;
	/* pixels of a lossy encoding decoded into a lossless one: (0028,2110)
	 * becomes "01", as it "shall not be reset" (PS3.3 C.7.6.1.1.5) and
	 * the transfer syntax, which said so, is gone (dcmdjpeg does it) */
	int mark_lossy;
	char old_lossy[8]; /* the source's (0028,2110), trimmed */
	int pad;           /* req->pad_odd */
	int same;        /* pad only: the source's syntax is kept, pixels too */
	int ext_offsets; /* (7FE0,0001) seen: fragments are not moved */
	/* walk depth of the items of the UN sequence whose contents are
	 * converted (copy_un), or 0: there the target is Implicit VR LE */
	unsigned un_depth;
	xcode_sink_fn sink;
	void *ctx;
	uint8_t *buf; /* output staged up to OUT_BUF */
	size_t n;
	struct xcp px;
	struct xvr vr; /* an Implicit VR source's VRs */
	int have_pixels;
	const uint8_t *px_hdr; /* the source's pixel data element */
	char px_vr[3];
	/* a top-level sequence whose items' encapsulated pixel data (icons)
	 * is decoded (its tag, or 0); the image's attributes, read on the
	 * way through the item; icons decoded */
	uint32_t in_icon;
	struct xcp icon;
	char icon_pm[17]; /* the icon's Photometric Interpretation written */
	uint32_t icon_decoded;
	/* lossy: values already there, and which inserts are written */
	const uint8_t *old_ratio, *old_method;
	size_t old_ratio_n, old_method_n;
	unsigned inserted;
};

/* ---- output --------------------------------------------------------- */

static int
flush_out(struct xc *x)
{
	int rc = 0;

	if (x->n > 0)
		rc = x->sink(x->ctx, x->buf, x->n);
	x->n = 0;
	return rc;
}

static int
put(void *ctx, const void *p, size_t n)
{
	struct xc *x = ctx;
	int rc;

	if (n == 0)
		return 0; /* p may be NULL: an empty value */
	if (n >= OUT_BUF) {
		if ((rc = flush_out(x)) != 0)
			return rc;
		return x->sink(x->ctx, p, n);
	}
	if (x->n + n > OUT_BUF && (rc = flush_out(x)) != 0)
		return rc;
	memcpy(x->buf + x->n, p, n);
	x->n += n;
	return 0;
}

/* Appends the k low bytes of v to h at *n, in the target's byte order. */
static void
put_num(uint8_t *h, size_t *n, uint32_t v, unsigned k, int be)
{
	unsigned i;

	for (i = 0; i < k; i++)
		h[(*n)++] = (uint8_t)(v >> (8 * (be ? k - 1 - i : i)));
}

/* Writes an element header in the target encoding. */
static int
put_header(struct xc *x, uint32_t tag, const char *vr, uint32_t len)
{
	uint8_t h[12];
	size_t n = 0;
	int be = x->de == DS_ENC_EVR_BE;

	put_num(h, &n, DS_TAG_GROUP(tag), 2, be);
	put_num(h, &n, DS_TAG_ELEM(tag), 2, be);
	if (x->de != DS_ENC_IVR_LE && DS_TAG_GROUP(tag) != 0xfffe) {
		h[n++] = (uint8_t)vr[0];
		h[n++] = (uint8_t)vr[1];
		if (!ds_vr_header_long(vr)) {
			put_num(h, &n, len, 2, be);
			return put(x, h, n);
		}
		h[n++] = 0;
		h[n++] = 0;
	}
	put_num(h, &n, len, 4, be);
	return put(x, h, n);
}

/* A text element of ours: value s padded to even length with pad. */
static int
put_text(struct xc *x, uint32_t tag, const char *vr, const char *s, char pad)
{
	size_t n = strlen(s);
	int rc = put_header(x, tag, vr, (uint32_t)(n + (n & 1)));

	if (rc == 0)
		rc = put(x, s, n);
	if (rc == 0 && (n & 1))
		rc = put(x, &pad, 1);
	return rc;
}

/* ---- reading -------------------------------------------------------- */

/* The next step of walk w over r, the end of the data set (DS_WALK_END),
 * or an error with its message. */
static int
next_step(
    struct xc *x, struct ds_walk *w, struct rd *r, struct ds_walk_step *st)
{
	size_t at = r->pos;
	int rc = ds_walk_next(w, r, st, x->err);

	/* unmoved: the header itself is cut (else err says what is) */
	if (rc == CS_E_TRUNCATED && r->pos == at)
		return cs_err_set(x->err, CS_E_TRUNCATED,
		    "the data set ends inside an element header");
	return rc;
}

static uint16_t
get16(const struct xc *x, const uint8_t *p)
{
	return x->se == DS_ENC_EVR_BE ? (uint16_t)(p[0] << 8 | p[1])
				      : (uint16_t)(p[1] << 8 | p[0]);
}

/* Copies a text value without its padding into buf (cap bytes). */
static void
get_text(const uint8_t *p, size_t n, char *buf, size_t cap)
{
	while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\0'))
		n--;
	while (n > 0 && *p == ' ') {
		p++;
		n--;
	}
	if (n >= cap)
		n = cap - 1;
	if (n > 0)
		memcpy(buf, p, n);
	buf[n] = '\0';
}

/* What a walk past an element met inside it. */
struct seen {
	int frag;   /* encapsulated pixel data */
	int un_evr; /* an element in Explicit VR LE (in a UN: pre-CP-246) */
	int odd;    /* a value of odd length */
};

static int
note(void *ctx, const struct ds_walk_step *st)
{
	struct seen *sn = ctx;

	if (st->ev == DS_WALK_ELEM && st->kind == DS_KIND_FRAGMENTS)
		sn->frag = 1;
	if (st->ev == DS_WALK_ELEM && st->enc == DS_ENC_EVR_LE)
		sn->un_evr = 1;
	if (st->ev == DS_WALK_ELEM && st->kind == DS_KIND_VALUE &&
	    st->e.len != DS_LEN_UNDEFINED && (st->e.len & 1))
		sn->odd = 1;
	return 0;
}

/*
 * Passes what the step st of walk w announced or opened, reading r,
 * without writing.  With enter, defined-length sequences and items are
 * walked too, so that they are checked (the write pass); without, they
 * are passed by length (the first pass: it needs only the top level).
 * *sn (cleared first) says what was met.
 */
static int
pass_step(struct xc *x, struct ds_walk *w, struct rd *r,
    const struct ds_walk_step *st, bool enter, struct seen *sn)
{
	memset(sn, 0, sizeof(*sn));
	if (st->kind == DS_KIND_FRAGMENTS)
		sn->frag = 1;
	return ds_walk_pass(w, r, st, enter, note, sn, x->err);
}

/*
 * Whether encapsulated pixel data nested in a sequence (an Icon Image
 * Sequence's, which PS3.5 A.4 has in the data set's transfer syntax)
 * can be copied as it is: only when that syntax stays.  It is neither
 * decoded nor encoded, so a change of syntax (to native, or to another
 * compressed one, which would leave, say, a JPEG Lossless icon in a
 * JPEG-LS data set) refuses the file.
 */
static bool
nested_kept(const struct xc *x)
{
	return x->s_encaps == x->d_encaps &&
	    (!x->s_encaps || strcmp(x->req->src_ts, x->req->dst_ts) == 0);
}

/*
 * A sequence st of the top level whose items may hold an icon to decode:
 * encapsulated pixel data beside their own Image Pixel attributes (the
 * Icon Image Sequence (0088,0200), and vendors' private ones), when the
 * target is native.  Such a sequence is copied step by step
 * (copy_icon_elem), not as one byte range.
 */
static bool
icon_decodes(const struct xc *x, const struct ds_walk_step *st)
{
	return st->depth == 0 && st->kind == DS_KIND_SEQUENCE &&
	    st->inner == st->enc && x->s_encaps && !x->d_encaps && !x->same;
}

/* The error for encapsulated pixel data inside the element tag. */
static int
nested_fragments(struct xc *x, uint32_t tag)
{
	return cs_err_set(x->err, CS_E_UNSUPPORTED,
	    "(%04X,%04X) holds encapsulated pixel data (an icon?): "
	    "cannot convert it",
	    DS_TAG_GROUP(tag), DS_TAG_ELEM(tag));
}

/* Pass 1, a sequence or encapsulated value of the top level: passed,
 * and noted where it is the encapsulated Pixel Data. */
static int
scan_items(struct xc *x, struct ds_walk *w, struct rd *r,
    const struct ds_walk_step *st, const uint8_t *at)
{
	const uint8_t *items = r->p + r->pos;
	struct seen sn;
	int rc;

	if (st->kind == DS_KIND_FRAGMENTS && st->e.tag != DS_TAG_PIXEL_DATA)
		return cs_err_set(x->err, CS_E_UNSUPPORTED,
		    "(%04X,%04X) is encapsulated: only Pixel Data may be",
		    DS_TAG_GROUP(st->e.tag), DS_TAG_ELEM(st->e.tag));
	if ((rc = pass_step(x, w, r, st, false, &sn)) != 0)
		return rc;
	if (st->kind == DS_KIND_FRAGMENTS) {
		x->have_pixels = 1;
		x->px_hdr = at;
		x->px.items = items;
		x->px.items_len = (size_t)(r->p + r->pos - items);
		if (!x->s_encaps)
			return cs_err_set(x->err, CS_E_PROTO,
			    "encapsulated pixel data in a native transfer syntax");
	} else if (sn.frag && !nested_kept(x) && !icon_decodes(x, st))
		return nested_fragments(x, st->e.tag);
	return 0;
}

/* An Image Pixel attribute of 2 bytes (US) into p->img. */
static void
scan_us(struct xc *x, struct xcp *p, uint32_t tag, const uint8_t *v)
{
	uint16_t u = get16(x, v);

	switch (tag) {
	case TAG_SAMPLES:
		p->img.samples = u;
		break;
	case TAG_PLANAR:
		p->img.planar = u;
		break;
	case TAG_ROWS:
		p->img.rows = u;
		break;
	case TAG_COLS:
		p->img.cols = u;
		break;
	case TAG_BITS_ALLOC:
		p->img.bits_allocated = u;
		break;
	case TAG_BITS_STORED:
		p->img.bits_stored = u;
		break;
	case TAG_HIGH_BIT:
		p->img.high_bit = u;
		break;
	case TAG_PIXEL_REP:
		p->img.pixel_rep = u;
		break;
	default:
		break;
	}
}

/* Number of Frames (IS): 0 when unusable, which matters only if frames
 * are decoded (xcp_prepare refuses 0 then). */
static uint32_t
scan_frames(const uint8_t *v, size_t len)
{
	char t[32], *end;
	unsigned long f;

	get_text(v, len, t, sizeof(t));
	errno = 0;
	f = strtoul(t, &end, 10);
	if (t[0] == '\0' || *end != '\0' || errno != 0 || f > 0xffffffu)
		return 0;
	return (uint32_t)f;
}

/* Pass 1, a value of the top level: what transcoding needs of it. */
static void
scan_value(
    struct xc *x, const struct ds_elem *e, const uint8_t *v, const uint8_t *at)
{
	struct xcp *p = &x->px;

	if (e->len == 2 && DS_TAG_GROUP(e->tag) == 0x0028)
		scan_us(x, p, e->tag, v);
	switch (e->tag) {
	case TAG_PHOTOMETRIC:
		get_text(
		    v, e->len, p->img.photometric, sizeof(p->img.photometric));
		break;
	case TAG_FRAMES:
		p->frames = scan_frames(v, e->len);
		break;
	case TAG_LOSSY:
		get_text(v, e->len, x->old_lossy, sizeof(x->old_lossy));
		break;
	case TAG_LOSSY_RATIO:
		x->old_ratio = v;
		x->old_ratio_n = e->len;
		break;
	case TAG_LOSSY_METHOD:
		x->old_method = v;
		x->old_method_n = e->len;
		break;
	case DS_TAG_PIXEL_DATA:
		x->have_pixels = 1;
		x->px_hdr = at;
		p->val = v;
		p->val_len = e->len;
		memcpy(x->px_vr, e->vr, sizeof(x->px_vr));
		break;
	default:
		break;
	}
}

/*
 * Pass 1: the Image Pixel attributes and the pixel data of the top
 * level.  What is nested is passed by its length where it has one: the
 * write pass walks and checks it.
 */
static int
scan_top(struct xc *x, const uint8_t *ds, size_t len)
{
	struct ds_walk w;
	struct ds_walk_step st;
	struct rd r;
	int rc;

	rd_init(&r, ds, len);
	ds_walk_init(&w, x->se, len, DS_WALK_DATASET);
	x->px.frames = 1;
	while ((rc = next_step(x, &w, &r, &st)) == 0) {
		if (st.kind != DS_KIND_VALUE)
			rc = scan_items(x, &w, &r, &st, ds + st.off);
		else
			scan_value(
			    x, &st.e, rd_bytes(&r, st.e.len), ds + st.off);
		if (rc != 0)
			return rc;
	}
	return rc == DS_WALK_END ? 0 : rc;
}

/* ---- writing -------------------------------------------------------- */

/* The unit to swap a value of vr by, leaving Big Endian (PS3.5 7.3). */
static unsigned
swap_unit(const char *vr)
{
	static const char *const two[] = { "US", "SS", "OW", "AT" };
	static const char *const four[] = { "UL", "SL", "FL", "OF", "OL" };
	static const char *const eight[] = { "FD", "OD", "OV", "SV", "UV" };
	size_t i;

	for (i = 0; i < 4; i++)
		if (strcmp(vr, two[i]) == 0)
			return 2;
	for (i = 0; i < 5; i++)
		if (strcmp(vr, four[i]) == 0)
			return 4;
	for (i = 0; i < 5; i++)
		if (strcmp(vr, eight[i]) == 0)
			return 8;
	return 0;
}

/*
 * Writes value v/n, swapped by unit u (0: as it is), followed by the pad
 * byte pad unless it is negative.  The pad is part of the value before
 * it is swapped (PS3.5 7.1.1 pads the value, 7.3 orders its words): the
 * last word of an odd OW value (v[n-1], pad) in Little Endian is
 * (pad, v[n-1]) in Big Endian, where a pad written after the swap would
 * move v[n-1] to the other half of that word.
 */
static int
put_value(struct xc *x, const uint8_t *v, size_t n, unsigned u, int pad)
{
	uint8_t b[1 << 12]; /* a multiple of every unit */
	size_t at, m, i, j, end = n + (pad >= 0);
	int rc = 0;

	if (u == 0) {
		uint8_t p = (uint8_t)pad;

		rc = put(x, v, n);
		return rc == 0 && pad >= 0 ? put(x, &p, 1) : rc;
	}
	for (at = 0; at < end && rc == 0; at += m) {
		m = end - at < sizeof(b) ? end - at : sizeof(b);
		if (at + m <= n) {
			memcpy(b, v + at, m);
		} else { /* the last slice, with the pad */
			memcpy(b, v + at, n - at);
			b[n - at] = (uint8_t)pad;
		}
		for (i = 0; i + u <= m; i += u)
			for (j = 0; j < u / 2; j++) {
				uint8_t t = b[i + j];

				b[i + j] = b[i + u - 1 - j];
				b[i + u - 1 - j] = t;
			}
		rc = put(x, b, m);
	}
	return rc;
}

/*
 * The VR to write for the element st (read by w from r, its value
 * pending there) in an Explicit VR target: the source's, or for an
 * Implicit VR source the dictionary's as xcode_vr.h settles it.
 */
static void
target_vr(const struct xc *x, const struct ds_walk *w, const struct rd *r,
    const struct ds_walk_step *st, char vr[3])
{
	if (st->enc != DS_ENC_IVR_LE)
		memcpy(vr, st->e.vr, 3);
	else
		xvr_of(&x->vr, w, r, st, vr);
}

/* Tries a defined-length Implicit VR value as a sequence (dictionary SQ):
 * a trial, so that a value that is none is copied as UN instead. */
static int
looks_like_items(const struct ds_elem *e, const uint8_t *v)
{
	struct cs_err quiet = { 0, "" };
	struct seen sn = { 0, 0, 0 };
	struct ds_walk w;
	struct ds_walk_step st;
	struct rd r;
	int rc;

	rd_init(&r, v, e->len);
	ds_walk_init(&w, DS_ENC_IVR_LE, e->len, DS_WALK_ITEMS);
	while ((rc = ds_walk_next(&w, &r, &st, &quiet)) == 0 &&
	    (rc = ds_walk_pass(&w, &r, &st, true, note, &sn, &quiet)) == 0)
		;
	return rc == DS_WALK_END && !sn.frag;
}

/* Copies the element st (its header read from r) as one byte range,
 * header and value, walking and checking what is inside. */
/* The number of odd-length items among the fragments after the Basic
 * Offset Table of encapsulated pixel data rd (its items and delimiter,
 * walked already) that start before byte off of them; all of them for
 * off UINT32_MAX. */
static uint32_t
odd_before(struct rd frags, uint32_t off)
{
	uint32_t pos = 0, odd = 0, len;

	while (rd_left(&frags) >= 8 && pos < off) {
		rd_skip(&frags, 4);
		len = rd_le32(&frags);
		if (len > rd_left(&frags))
			break; /* never: walked */
		rd_skip(&frags, len);
		odd += len & 1;
		pos += 8 + len;
	}
	return odd;
}

/* The number of fragments in frags (odd_before's), delimiter excluded. */
static uint32_t
count_fragments(struct rd frags)
{
	uint32_t n = 0, len;

	while (rd_left(&frags) >= 8 && rd_le32(&frags) == 0xe000fffeu) {
		len = rd_le32(&frags);
		if (len > rd_left(&frags))
			break; /* never: walked */
		rd_skip(&frags, len);
		n++;
	}
	return n;
}

/* 1 when the Basic Offset Table bot (bot_len bytes) lists offset off. */
static int
in_table(const uint8_t *bot, uint32_t bot_len, uint32_t off)
{
	struct rd o;

	rd_init(&o, bot, bot_len);
	while (rd_left(&o) >= 4)
		if (rd_le32(&o) == off)
			return 1;
	return 0;
}

/*
 * 1 when the fragment before byte next of the fragments (its end) ends
 * a frame, as the structure says, never the bytes (FFD9 can sit inside
 * a JPEG marker segment, any byte pair in other syntaxes): the last
 * fragment; with a Basic Offset Table, one whose successor starts at a
 * listed offset; without one, every fragment when there are as many as
 * frames (nframes), or of RLE (one fragment a frame, PS3.5 A.4.2).
 */
static int
ends_a_frame(const struct xc *x, const uint8_t *bot, uint32_t bot_len,
    uint32_t next, int last, uint32_t nfrag, uint32_t nframes)
{
	if (last)
		return 1;
	if (bot_len >= 4)
		return in_table(bot, bot_len, next);
	return nfrag == nframes ||
	    strcmp(x->req->src_ts, TS_UID_RLELossless) == 0;
}

/*
 * Pad mode: encapsulated pixel data, n bytes at at (header, items and
 * delimiter, walked already), its odd-length fragments each given a NUL
 * (PS3.5 A.4: items have even length; a decoder stops at the end of its
 * code stream) and the Basic Offset Table's offsets moved by the pads
 * before them (all of them are padded, or none: odd_before counts
 * them all).  Refused when an Extended Offset Table would be wrong, or
 * a pad could fall inside a code stream (ends_a_frame); nframes is
 * Number of Frames where the pixel data is.
 */
static int
copy_fragments(struct xc *x, const struct ds_elem *e, const uint8_t *at,
    size_t n, uint32_t nframes)
{
	struct rd r, frags;
	const uint8_t *bot, *v;
	uint32_t bot_len, len, off, k, nfrag;
	uint8_t b4[4];
	int rc;

	rd_init(&r, at, n);
	rd_skip(&r, e->hdr_len);
	rd_skip(&r, 4);
	bot_len = rd_le32(&r);
	bot = rd_bytes(&r, bot_len);
	frags = r;
	if (bot == NULL || odd_before(frags, UINT32_MAX) == 0)
		return put(x, at, n);
	if (x->ext_offsets)
		return cs_err_set(x->err, CS_E_UNSUPPORTED,
		    "odd-length fragments, and an Extended Offset Table "
		    "that padding them would make wrong");
	nfrag = count_fragments(frags);
	if ((rc = put(x, at, e->hdr_len + 8)) != 0)
		return rc;
	for (k = 0; k + 4 <= bot_len; k += 4) {
		struct rd o;

		rd_init(&o, bot + k, 4);
		off = rd_le32(&o);
		off += odd_before(frags, off);
		b4[0] = (uint8_t)off;
		b4[1] = (uint8_t)(off >> 8);
		b4[2] = (uint8_t)(off >> 16);
		b4[3] = (uint8_t)(off >> 24);
		if ((rc = put(x, b4, 4)) != 0)
			return rc;
	}
	if ((rc = put(x, bot + k, bot_len - k)) != 0)
		return rc;
	/* the items, then the delimiter (length 0) */
	while (rd_left(&r) >= 8) {
		const uint8_t *item = rd_bytes(&r, 8);
		struct rd h;

		rd_init(&h, item + 4, 4);
		len = rd_le32(&h);
		if (len > rd_left(&r))
			return put(
			    x, item, 8 + rd_left(&r)); /* never: walked */
		if (!(len & 1)) {
			if ((rc = put(x, item, 8 + (size_t)len)) != 0)
				return rc;
			rd_skip(&r, len);
			continue;
		}
		v = rd_bytes(&r, len);
		if (!ends_a_frame(x, bot, bot_len,
			(uint32_t)(r.pos - frags.pos), rd_left(&r) <= 8, nfrag,
			nframes))
			return cs_err_set(x->err, CS_E_UNSUPPORTED,
			    "an odd-length fragment (%" PRIu32 " bytes) that "
			    "neither the Basic Offset Table nor Number of "
			    "Frames shows to end a frame: a pad byte could "
			    "fall inside a frame's code stream",
			    len);
		b4[0] = (uint8_t)(len + 1);
		b4[1] = (uint8_t)((len + 1) >> 8);
		b4[2] = (uint8_t)((len + 1) >> 16);
		b4[3] = (uint8_t)((len + 1) >> 24);
		if ((rc = put(x, item, 4)) != 0 || (rc = put(x, b4, 4)) != 0 ||
		    (rc = put(x, v, len)) != 0 || (rc = put(x, "", 1)) != 0)
			return rc;
		x->res->padded++;
	}
	return put(x, r.p + r.pos, rd_left(&r));
}

static int
copy_raw(struct xc *x, struct ds_walk *w, struct rd *r,
    const struct ds_walk_step *st)
{
	const uint8_t *at = r->p + st->off;
	struct seen sn;
	int rc;

	if ((rc = pass_step(x, w, r, st, true, &sn)) != 0)
		return rc;
	if (sn.frag && !nested_kept(x))
		return nested_fragments(x, st->e.tag);
	if (x->pad && st->kind == DS_KIND_FRAGMENTS)
		return copy_fragments(x, &st->e, at,
		    (size_t)(r->p + r->pos - at),
		    st->depth == 0 ? x->px.frames : 1);
	return put(x, at, (size_t)(r->p + r->pos - at));
}

/*
 * An undefined-length UN sequence st (read in Explicit VR): its contents
 * stay Implicit VR LE (PS3.5 6.2.2) and are copied as they are, unless
 * items in Explicit VR LE (pre-CP-246 writers) must become Implicit
 * ones, or pad mode finds odd-length values inside (PS3.5 7.1.1 holds
 * for them too): the walk then converts them like any others, into
 * Implicit VR LE (copy_step).  Which, a trial walk on copies of w and r
 * tells; when the bytes are copied as they are, the walk takes the
 * trial's place.
 */
static int
copy_un(struct xc *x, struct ds_walk *w, struct rd *r,
    const struct ds_walk_step *st)
{
	struct ds_walk tw = *w;
	struct rd tr = *r;
	struct seen sn;
	int rc;

	if ((rc = pass_step(x, &tw, &tr, st, true, &sn)) != 0)
		return rc;
	if (sn.frag && !nested_kept(x))
		return nested_fragments(x, st->e.tag);
	if ((sn.un_evr && x->de == DS_ENC_IVR_LE) || (x->pad && sn.odd)) {
		if (x->un_depth == 0)
			x->un_depth = st->depth + 1;
		return put_header(x, st->e.tag, "UN", DS_LEN_UNDEFINED);
	}
	if (sn.un_evr && x->de != DS_ENC_EVR_LE)
		return cs_err_set(x->err, CS_E_UNSUPPORTED,
		    "(%04X,%04X): a UN sequence whose items are in Explicit "
		    "VR LE cannot be written in Big Endian",
		    DS_TAG_GROUP(st->e.tag), DS_TAG_ELEM(st->e.tag));
	if ((rc = put_header(x, st->e.tag, "UN", st->e.len)) != 0 ||
	    (rc = put(x, r->p + r->pos, tr.pos - r->pos)) != 0)
		return rc;
	*w = tw;
	*r = tr;
	return 0;
}

/* 1 when vr's values are padded with a space (PS3.5 6.2): the text VRs
 * but UI; UI and every binary VR take a NUL. */
static int
pad_text_vr(const char *vr)
{
	static const char text[] = "AE AS CS DA DS DT IS LO LT PN SH ST TM "
				   "UC UR UT";
	size_t i;

	for (i = 0; i + 2 <= sizeof(text) - 1; i += 3)
		if (text[i] == vr[0] && text[i + 1] == vr[1])
			return 1;
	return 0;
}

/*
 * Pad mode: 1 when the element st holds a value of odd length, itself
 * or inside its items (a trial walk on copies of w and r), so that it
 * cannot be copied as it is.  Encapsulated pixel data never: its
 * fragments are not values to pad.
 */
static int
holds_odd(
    const struct ds_walk *w, const struct rd *r, const struct ds_walk_step *st)
{
	struct ds_walk tw = *w;
	struct rd tr = *r;
	struct cs_err quiet = { 0, "" };
	struct seen sn;

	if (st->kind == DS_KIND_VALUE)
		return st->e.len != DS_LEN_UNDEFINED && (st->e.len & 1);
	if (st->kind != DS_KIND_SEQUENCE)
		return 0;
	memset(&sn, 0, sizeof(sn));
	/* an error here is found again by the copy that follows */
	if (ds_walk_pass(&tw, &tr, st, true, note, &sn, &quiet) != 0)
		return 0;
	return sn.odd;
}

/*
 * Copies the data element st, header read from r in encoding st->enc.
 * In the target's encoding: as one byte range.  Otherwise the header is
 * written again and the value swapped where the byte order changes; a
 * sequence gets an undefined length and is entered: its items come as
 * further steps of w (copy_step).
 */
static int
copy_elem(struct xc *x, struct ds_walk *w, struct rd *r,
    const struct ds_walk_step *st)
{
	const struct ds_elem *e = &st->e;
	enum ds_enc se = st->enc;
	const uint8_t *v;
	char vr[3];
	int rc, odd;

	if (se == x->de && !(x->pad && holds_odd(w, r, st)) &&
	    !icon_decodes(x, st))
		return copy_raw(x, w, r, st);
	if (st->kind == DS_KIND_FRAGMENTS)
		return cs_err_set(x->err, CS_E_UNSUPPORTED,
		    "(%04X,%04X) holds encapsulated pixel data: cannot convert it",
		    DS_TAG_GROUP(e->tag), DS_TAG_ELEM(e->tag));
	if (st->kind == DS_KIND_SEQUENCE && st->inner != se)
		return copy_un(x, w, r, st);
	target_vr(x, w, r, st, vr);
	if (st->kind == DS_KIND_SEQUENCE) {
		if ((rc = put_header(x, e->tag, "SQ", DS_LEN_UNDEFINED)) != 0)
			return rc;
		/* an undefined-length one is open already */
		return e->len != DS_LEN_UNDEFINED ? ds_walk_enter(w, x->err)
						  : 0;
	}
	v = r->p + r->pos; /* the walker made sure it is all there */
	if (se == DS_ENC_IVR_LE && strcmp(vr, "SQ") == 0) {
		if (looks_like_items(e, v)) {
			if ((rc = put_header(
				 x, e->tag, "SQ", DS_LEN_UNDEFINED)) != 0)
				return rc;
			return ds_walk_enter(w, x->err);
		}
		memcpy(vr, "UN", 3); /* still Implicit VR LE inside */
	}
	rd_skip(r, e->len);
	odd = x->pad && (e->len & 1);
	if (odd && x->de != DS_ENC_IVR_LE && !ds_vr_header_long(vr) &&
	    e->len >= 0xffff)
		return cs_err_set(x->err, CS_E_UNSUPPORTED,
		    "(%04X,%04X): %u bytes of %s padded would not fit its "
		    "16-bit length",
		    DS_TAG_GROUP(e->tag), DS_TAG_ELEM(e->tag), e->len, vr);
	if (x->de != DS_ENC_IVR_LE && !ds_vr_header_long(vr) && e->len > 0xffff)
		memcpy(vr, "UN", 3); /* PS3.5 6.2.2: too long for its VR */
	if (vr[0] == ' ' && (se == DS_ENC_EVR_BE) != (x->de == DS_ENC_EVR_BE))
		return cs_err_set(x->err, CS_E_UNSUPPORTED,
		    "(%04X,%04X) has a blank VR: its value cannot be swapped "
		    "to another byte order",
		    DS_TAG_GROUP(e->tag), DS_TAG_ELEM(e->tag));
	if ((rc = put_header(x, e->tag, vr, e->len + (uint32_t)odd)) != 0)
		return rc;
	/* byte order changes when one side is Big Endian (PS3.5 7.3) */
	rc = put_value(x, v, e->len,
	    (se == DS_ENC_EVR_BE) != (x->de == DS_ENC_EVR_BE) ? swap_unit(vr)
							      : 0,
	    !odd                  ? -1
		: pad_text_vr(vr) ? ' '
				  : 0);
	if (rc == 0 && odd)
		x->res->padded++;
	return rc;
}

/* Lossy: writes (0028,2110/2112/2114) due before tag (all at the end);
 * mark_lossy: (0028,2110) only. */
static int
put_lossy_before(struct xc *x, uint32_t tag)
{
	static const uint32_t tags[3] = { TAG_LOSSY, TAG_LOSSY_RATIO,
		TAG_LOSSY_METHOD };
	char s[256], old[200];
	unsigned i, n = x->lossy ? 3 : 1;
	int rc;

	for (i = 0; i < n; i++) {
		if ((x->inserted & (1u << i)) || tags[i] > tag)
			continue;
		x->inserted |= 1u << i;
		if (i == 0) {
			rc = put_text(x, tags[0], "CS", "01", ' ');
		} else {
			const uint8_t *ov =
			    i == 1 ? x->old_ratio : x->old_method;
			size_t on = i == 1 ? x->old_ratio_n : x->old_method_n;
			char add[32];

			if (i == 1)
				snprintf(
				    add, sizeof(add), "%.2f", x->res->ratio);
			else
				snprintf(add, sizeof(add), "%s",
				    xcp_lossy_method(x->req->dst_ts));
			get_text(ov != NULL ? ov : (const uint8_t *)"",
			    ov ? on : 0, old, sizeof(old));
			snprintf(s, sizeof(s), "%s%s%s", old,
			    old[0] ? "\\" : "", add);
			rc = put_text(x, tags[i], i == 1 ? "DS" : "CS", s, ' ');
		}
		if (rc != 0)
			return rc;
	}
	return 0;
}

/* The target's Pixel Data element. */
static int
put_pixels(struct xc *x, const struct ds_elem *e, enum ds_enc se)
{
	uint64_t n;
	char vr[3];
	int rc;

	if (x->d_encaps) {
		rc = put_header(x, DS_TAG_PIXEL_DATA, "OB", DS_LEN_UNDEFINED);
	} else {
		n = xcp_native_len(&x->px);
		if (n >= DS_LEN_UNDEFINED)
			return cs_err_set(x->err, CS_E_UNSUPPORTED,
			    "%llu bytes of pixels do not fit in one element",
			    (unsigned long long)n);
		if (x->s_encaps || se == DS_ENC_IVR_LE)
			memcpy(
			    vr, x->px.img.bits_allocated > 8 ? "OW" : "OB", 3);
		else
			memcpy(vr, e->vr, 3);
		rc = put_header(x, DS_TAG_PIXEL_DATA, vr, (uint32_t)n);
		if (!x->s_encaps && (x->px.val_len & 1) && n > x->px.val_len)
			x->res->padded++;
	}
	if (rc != 0)
		return rc;
	return xcp_write(&x->px, put, x, x->err);
}

/* Walks past the element st, whatever its kind, without writing it. */
static int
drop(struct xc *x, struct ds_walk *w, struct rd *r,
    const struct ds_walk_step *st)
{
	struct seen sn;

	return pass_step(x, w, r, st, true, &sn);
}

/* A group length: retired, and no longer true once lengths change;
 * counted, so that the result says so. */
static bool
group_length(struct xc *x, const struct ds_walk_step *st)
{
	bool is = DS_TAG_ELEM(st->e.tag) == 0 &&
	    DS_TAG_GROUP(st->e.tag) != 0xfffe && st->kind == DS_KIND_VALUE;

	x->res->group_lengths += is;
	return is;
}

/* An element of the top level, where the changes of xcode.h happen. */
static int
copy_top(struct xc *x, struct ds_walk *w, struct rd *r,
    const struct ds_walk_step *st)
{
	uint32_t tag = st->e.tag;
	int rc;

	if ((x->lossy || x->mark_lossy) &&
	    (rc = put_lossy_before(x, tag - 1)) != 0)
		return rc;
	if (group_length(x, st))
		return drop(x, w, r, st);
	xvr_note(&x->vr, st, r);
	if (tag == TAG_EXT_OFFSETS)
		x->ext_offsets = 1;
	x->in_icon = icon_decodes(x, st) ? tag : 0;
	if (x->same)
		return copy_elem(x, w, r, st); /* only padding changes */
	switch (tag) {
	case TAG_SOP_INSTANCE:
		if (!x->lossy)
			break;
		if ((rc = drop(x, w, r, st)) != 0)
			return rc;
		return put_text(x, tag, "UI", x->req->new_instance, '\0');
	case TAG_PHOTOMETRIC:
		if (!x->res->photometric_changed)
			break;
		if ((rc = drop(x, w, r, st)) != 0)
			return rc;
		return put_text(x, tag, "CS", x->res->photometric, ' ');
	case TAG_LOSSY:
	case TAG_LOSSY_RATIO:
	case TAG_LOSSY_METHOD:
		if (!x->lossy && !(x->mark_lossy && tag == TAG_LOSSY))
			break;
		if ((rc = drop(x, w, r, st)) != 0)
			return rc;
		return put_lossy_before(x, tag);
	case TAG_EXT_OFFSETS:
	case TAG_EXT_LENGTHS:
	case TAG_ENCAPS_TOTAL:
		/* they describe fragments (PS3.3 C.7.6.3: Encapsulated Pixel
		 * Data Value Total Length too): not true after a re-encoding */
		if (!x->s_encaps && !x->d_encaps)
			break;
		return drop(x, w, r, st);
	case DS_TAG_PIXEL_DATA:
		if ((rc = drop(x, w, r, st)) != 0)
			return rc;
		return put_pixels(x, &st->e, st->enc);
	default:
		break;
	}
	return copy_elem(x, w, r, st);
}

/*
 * The icon's Pixel Data st, encapsulated in the source's syntax (PS3.5
 * A.4), decoded into the native target as the top level's is, with the
 * Image Pixel attributes its item gave before it (one frame).  Its
 * Photometric Interpretation is written already (copy_icon_elem): a
 * decoder that gives another one refuses the file.
 */
static int
icon_pixels(struct xc *x, struct ds_walk *w, struct rd *r,
    const struct ds_walk_step *st)
{
	struct xcp *p = &x->icon;
	struct xcode_result res;
	const uint8_t *items = r->p + r->pos;
	uint64_t n;
	int rc;

	if ((rc = drop(x, w, r, st)) != 0)
		return rc;
	memset(&res, 0, sizeof(res));
	p->items = items;
	p->items_len = (size_t)(r->p + r->pos - items);
	p->frames = 1;
	p->src_ts = x->req->src_ts;
	p->dst_ts = x->req->dst_ts;
	p->src_encaps = 1;
	p->out_swap =
	    x->de == DS_ENC_EVR_BE && p->img.bits_allocated > 8 ? 2 : 0;
	if ((rc = xcp_prepare(p, &res, x->err)) != 0)
		goto out;
	if (strcmp(res.photometric, x->icon_pm) != 0) {
		rc = cs_err_set(x->err, CS_E_UNSUPPORTED,
		    "the icon in (%04X,%04X) would become %s, its "
		    "Photometric Interpretation written as %s",
		    DS_TAG_GROUP(x->in_icon), DS_TAG_ELEM(x->in_icon),
		    res.photometric, x->icon_pm);
		goto out;
	}
	n = xcp_native_len(p);
	if (n >= DS_LEN_UNDEFINED) {
		rc = cs_err_set(x->err, CS_E_UNSUPPORTED,
		    "%llu bytes of icon pixels do not fit in one element",
		    (unsigned long long)n);
		goto out;
	}
	rc = put_header(x, DS_TAG_PIXEL_DATA,
	    p->img.bits_allocated > 8 ? "OW" : "OB", (uint32_t)n);
	if (rc == 0)
		rc = xcp_write(p, put, x, x->err);
	x->icon_decoded += rc == 0;
out:
	xcp_release(p);
	memset(p, 0, sizeof(*p));
	return rc;
}

/*
 * An element of an item whose icon is decoded (icon_decodes): its Image
 * Pixel attributes are read on the way.  In the Icon Image Sequence,
 * its Photometric Interpretation becomes the one the top level's became
 * when it was the same (a lossy colour JPEG decodes to RGB), which the
 * icon's decoding must bear out; elsewhere (an item that might hold no
 * pixels) it is never changed.
 */
static int
copy_icon_elem(struct xc *x, struct ds_walk *w, struct rd *r,
    const struct ds_walk_step *st)
{
	const struct ds_elem *e = &st->e;
	const uint8_t *v = r->p + r->pos;
	char *pm = x->icon.img.photometric;
	int rc;

	if (e->tag == DS_TAG_PIXEL_DATA && st->kind == DS_KIND_FRAGMENTS)
		return icon_pixels(x, w, r, st);
	if (st->kind != DS_KIND_VALUE || rd_left(r) < e->len)
		return copy_elem(x, w, r, st);
	if (e->len == 2 && DS_TAG_GROUP(e->tag) == 0x0028)
		scan_us(x, &x->icon, e->tag, v);
	if (e->tag != TAG_PHOTOMETRIC)
		return copy_elem(x, w, r, st);
	get_text(v, e->len, pm, sizeof(x->icon.img.photometric));
	snprintf(x->icon_pm, sizeof(x->icon_pm), "%s", pm);
	if (x->in_icon != TAG_ICON_SEQ || !x->res->photometric_changed ||
	    strcmp(pm, x->px.img.photometric) != 0)
		return copy_elem(x, w, r, st);
	if ((rc = drop(x, w, r, st)) != 0)
		return rc;
	snprintf(x->icon_pm, sizeof(x->icon_pm), "%s", x->res->photometric);
	return put_text(x, e->tag, "CS", x->res->photometric, ' ');
}

/*
 * A step inside a sequence being converted: its items get undefined
 * lengths and delimiters in the target, whatever the source had, and
 * the group lengths inside are dropped as at the top level.
 */
static int
copy_step_in(struct xc *x, struct ds_walk *w, struct rd *r,
    const struct ds_walk_step *st)
{
	int rc;

	switch (st->ev) {
	case DS_WALK_ELEM:
		if (group_length(x, st))
			return drop(x, w, r, st);
		xvr_note(&x->vr, st, r);
		if (x->in_icon && st->depth == 2)
			return copy_icon_elem(x, w, r, st);
		return copy_elem(x, w, r, st);
	case DS_WALK_ITEM:
		if (st->kind != DS_KIND_ITEM)
			break; /* a fragment: copy_elem refused its element */
		xvr_item(&x->vr, w, r, st);
		if (x->in_icon && st->depth == 1) { /* its own */
			memset(&x->icon, 0, sizeof(x->icon));
			x->icon_pm[0] = '\0';
		}
		if ((rc = put_header(x, DS_TAG_ITEM, "", DS_LEN_UNDEFINED)) !=
		    0)
			return rc;
		return st->e.len != DS_LEN_UNDEFINED ? ds_walk_enter(w, x->err)
						     : 0;
	case DS_WALK_CLOSE:
		if (st->kind == DS_KIND_ITEM)
			return put_header(x, DS_TAG_ITEM_DELIM, "", 0);
		if (st->kind == DS_KIND_SEQUENCE)
			return put_header(x, DS_TAG_SEQ_DELIM, "", 0);
		break;
	}
	return cs_err_set(x->err, CS_E_PROTO, "(%04X,%04X) out of place",
	    DS_TAG_GROUP(st->e.tag), DS_TAG_ELEM(st->e.tag));
}

/* copy_step_in, inside a converted UN sequence (up to its delimiter)
 * in Implicit VR LE whatever the target syntax (PS3.5 6.2.2). */
static int
copy_step(struct xc *x, struct ds_walk *w, struct rd *r,
    const struct ds_walk_step *st)
{
	enum ds_enc de = x->de;
	int un_end = x->un_depth > 0 && st->ev == DS_WALK_CLOSE &&
	    st->depth + 1 == x->un_depth;
	int rc;

	if (x->un_depth > 0 && (st->depth >= x->un_depth || un_end))
		x->de = DS_ENC_IVR_LE;
	rc = copy_step_in(x, w, r, st);
	x->de = de;
	if (un_end)
		x->un_depth = 0;
	return rc;
}

/*
 * Pass 2: writes the target, in one walk of the source (core/ds_walk.h,
 * no recursion): each step is copied, converted or dropped as it comes,
 * and what is copied as it is gets checked on its way past.
 */
static int
copy_all(struct xc *x, const uint8_t *ds, size_t len)
{
	struct ds_walk w;
	struct ds_walk_step st;
	struct rd r;
	int rc;

	rd_init(&r, ds, len);
	ds_walk_init(&w, x->se, len, DS_WALK_DATASET);
	while ((rc = next_step(x, &w, &r, &st)) == 0) {
		if (st.ev == DS_WALK_ELEM && st.depth == 0)
			rc = copy_top(x, &w, &r, &st);
		else
			rc = copy_step(x, &w, &r, &st);
		if (rc != 0)
			return rc;
		/* every sequence is written of undefined length: no more of
		 * them nested than a receiver reads, whatever their lengths
		 * were (the walker budgets defined-length ones apart) */
		if (ds_walk_sequences(&w) > DS_WALK_MAX_SEQUENCES)
			return cs_err_set(x->err, CS_E_TOOBIG,
			    "(%04X,%04X) nests more than %d sequences in "
			    "each other",
			    DS_TAG_GROUP(st.e.tag), DS_TAG_ELEM(st.e.tag),
			    DS_WALK_MAX_SEQUENCES);
	}
	if (rc != DS_WALK_END)
		return rc;
	if (x->lossy || x->mark_lossy)
		return put_lossy_before(x, 0xffffffffu);
	return 0;
}

/* ---- entry points --------------------------------------------------- */

int
xcode_dataset(const uint8_t *ds, size_t len, const struct xcode_req *req,
    xcode_sink_fn sink, void *ctx, struct xcode_result *res, struct cs_err *err)
{
	struct xc *x;
	int rc, dst_lossy;

	if (res != NULL)
		memset(res, 0, sizeof(*res));
	if (ds == NULL || req == NULL || req->src_ts == NULL ||
	    req->dst_ts == NULL || sink == NULL || res == NULL)
		return cs_err_set(
		    err, CS_E_INVAL, "xcode_dataset: NULL argument");
	x = calloc(1, sizeof(*x));
	if (x == NULL || (x->buf = malloc(OUT_BUF)) == NULL) {
		free(x);
		return cs_err_set(err, CS_E_NOMEM, "out of memory");
	}
	x->req = req;
	x->res = res;
	x->err = err;
	x->sink = sink;
	x->ctx = ctx;
	x->pad = req->pad_odd != 0;
	x->same = x->pad && strcmp(req->src_ts, req->dst_ts) == 0;
	rc = xcode_ts_layout(req->src_ts, &x->se, &x->s_encaps);
	if (rc == 0)
		rc = xcode_ts_layout(req->dst_ts, &x->de, &x->d_encaps);
	if (rc != 0) {
		rc = cs_err_set(err, CS_E_UNSUPPORTED,
		    "cannot transcode from %s to %s here", req->src_ts,
		    req->dst_ts);
		goto out;
	}
	dst_lossy = x->d_encaps && xcp_lossy_method(req->dst_ts) != NULL;
	if (dst_lossy && !req->allow_lossy && !x->same) {
		rc = cs_err_set(err, CS_E_UNSUPPORTED,
		    "%s is lossy: not allowed", req->dst_ts);
		goto out;
	}
	if ((rc = scan_top(x, ds, len)) != 0)
		goto out;
	xvr_init(&x->vr, x->px.img.pixel_rep, x->px.img.bits_allocated);
	x->lossy = dst_lossy && x->have_pixels &&
	    strcmp(req->src_ts, req->dst_ts) != 0;
	if (x->lossy &&
	    (req->new_instance == NULL || req->new_instance[0] == '\0')) {
		rc = cs_err_set(err, CS_E_INVAL,
		    "a lossy conversion needs a new "
		    "SOP Instance UID");
		goto out;
	}
	if (x->have_pixels && !x->same) {
		x->px.src_ts = req->src_ts;
		x->px.dst_ts = req->dst_ts;
		x->px.src_encaps = x->s_encaps;
		x->px.dst_encaps = x->d_encaps;
		x->px.lossy = x->lossy;
		x->px.pad = x->pad;
		/* native pixels change byte order by their VR; decoded ones
		 * are written as OW (16, 32 bits) or OB */
		if (!x->s_encaps &&
		    (x->se == DS_ENC_EVR_BE) != (x->de == DS_ENC_EVR_BE))
			x->px.swap = swap_unit(x->se == DS_ENC_IVR_LE
				? (x->px.img.bits_allocated > 8 ? "OW" : "OB")
				: x->px_vr);
		if (x->s_encaps && x->de == DS_ENC_EVR_BE)
			x->px.out_swap = x->px.img.bits_allocated > 8 ? 2 : 0;
		if ((rc = xcp_prepare(&x->px, res, err)) != 0)
			goto out;
		x->lossy = res->lossy;
		x->mark_lossy = !x->lossy && x->s_encaps &&
		    xcp_source_lossy(&x->px, strcmp(x->old_lossy, "00") == 0) &&
		    strcmp(x->old_lossy, "01") != 0;
		res->lossy_marked = x->mark_lossy;
	}
	rc = copy_all(x, ds, len);
	if (rc == 0)
		rc = flush_out(x);
out:
	xcp_release(&x->px);
	xcp_release(&x->icon);
	free(x->buf);
	free(x);
	return rc;
}

/* buf = "2.25." and the 128-bit number w (most significant first). */
static void
uid_2_25(uint32_t w[4], char *buf)
{
	char digits[40];
	size_t nd = 0, i;

	/* PS3.5 B.2: 2.25 and the 128-bit number in decimal */
	while (w[0] | w[1] | w[2] | w[3]) {
		uint64_t rem = 0;

		for (i = 0; i < 4; i++) {
			uint64_t cur = rem << 32 | w[i];

			w[i] = (uint32_t)(cur / 10);
			rem = cur % 10;
		}
		digits[nd++] = (char)('0' + rem);
	}
	if (nd == 0)
		digits[nd++] = '0';
	memcpy(buf, "2.25.", 5);
	for (i = 0; i < nd; i++)
		buf[5 + i] = digits[nd - 1 - i];
	buf[5 + nd] = '\0';
}

int
xcode_new_uid(char *buf, size_t cap, struct cs_err *err)
{
	uint32_t w[4];
	ssize_t got;

	if (cap < 45)
		return cs_err_set(
		    err, CS_E_INVAL, "xcode_new_uid: buffer too small");
	got = getrandom(w, sizeof(w), 0);
	if (got != (ssize_t)sizeof(w))
		return cs_err_set(err, CS_E_IO,
		    "no random bits for a new UID: %s",
		    got < 0 ? strerror(errno) : "short read");
	uid_2_25(w, buf);
	return 0;
}

int
xcode_derived_uid(const char *src_uid, const char *dst_ts, char *buf,
    size_t cap, struct cs_err *err)
{
	struct sha256 h;
	uint8_t d[32];
	uint32_t w[4];
	unsigned i;

	if (cap < 45 || src_uid == NULL || dst_ts == NULL)
		return cs_err_set(
		    err, CS_E_INVAL, "xcode_derived_uid: bad argument");
	if (src_uid[0] == '\0')
		return xcode_new_uid(buf, cap, err);
	sha256_init(&h);
	sha256_update(&h, XCODE_LOSSY_PARAMS, strlen(XCODE_LOSSY_PARAMS) + 1);
	sha256_update(&h, src_uid, strlen(src_uid) + 1);
	sha256_update(&h, dst_ts, strlen(dst_ts) + 1);
	sha256_final(&h, d);
	for (i = 0; i < 4; i++)
		w[i] = (uint32_t)d[4 * i] << 24 | (uint32_t)d[4 * i + 1] << 16 |
		    (uint32_t)d[4 * i + 2] << 8 | d[4 * i + 3];
	uid_2_25(w, buf);
	return 0;
}
