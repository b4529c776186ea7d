/*
 * xcode_vr.c - the VR of an element of an Implicit VR source
 * (xcode_vr.h).  Where PS3.6 gives a choice:
 *  - "US or SS": SS when Pixel Representation is 1, else US (PS3.3
 *    C.7.6.1, C.11); the LUT and palette descriptors always US, since
 *    their first and third values are unsigned whatever the pixels
 *    (PS3.3 C.7.6.3.1.5, C.11.1.1.1), as DCMTK writes them;
 *  - Pixel Data: OB when Bits Allocated is 8 or less, else OW (PS3.5
 *    A.2), the item's own for an icon; likewise DICONDE's Dark Current
 *    and Air Counts and the retired Variable Pixel Data (pixels as
 *    well), but OW when no Bits Allocated is found (what Implicit VR
 *    makes of them, PS3.5 A.1);
 *  - Waveform Data and the Waveform Padding Value beside it, and the
 *    Channel Minimum/Maximum Values in the items of its Channel
 *    Definition Sequence: OB when the Waveform Sequence item's Waveform
 *    Bits Allocated is 8, else OW (PS3.5 8.3, PS3.3 C.10.9);
 *  - any other "OB or OW" (Overlay Data, PS3.5 8.1.2; the retired curve
 *    and audio data) and "US or OW" (LUT Data) OW, what Implicit VR
 *    makes of them (PS3.5 A.1).  The retired Audio Sample Data's sample
 *    width is given by its Audio Sample Format (50xx,2002), whose values
 *    only retired editions list and we could not check: it stays OW,
 *    so 8-bit audio (if any exists) is swapped in Big Endian.
 * An attribute is looked for in the element's own item, before it (as
 * the walk went by) or a few elements after it (a look ahead that stops
 * at the attribute's tag, a sequence, or XVR_AHEAD steps), then in the
 * items around it (what came before the sequence), then at the top
 * level (the whole of it, read first).  Waveform Bits Allocated, which
 * comes after the Channel Definition Sequence, is read once when a
 * Waveform Sequence item opens, across the item (XVR_SCAN steps in all
 * for a data set).
 */
#include <stdint.h>
#include <string.h>

#include "cstore/cstore.h"
#include "core/element.h"
#include "dcmfile/xcode_vr.h"
#include "core/banned.h"

/* Steps a look ahead may take in an item (each passes one element). */
#define XVR_AHEAD 32
/* Steps (headers read) the scans of Waveform Sequence items may take in
 * all, for one data set: hundreds of channels' items each, while a
 * hostile nest of waveform items in channel items costs no more. */
#define XVR_SCAN (1u << 16)
#define TAG_WAVEFORM_SEQ DS_TAG(0x5400, 0x0100)

static const uint32_t xvr_tags[XVR_N] = {
	DS_TAG(0x0028, 0x0103), /* Pixel Representation */
	DS_TAG(0x0028, 0x0100), /* Bits Allocated */
	DS_TAG(0x5400, 0x1004), /* Waveform Bits Allocated */
};

void
xvr_init(struct xvr *c, int pixel_rep, int bits_allocated)
{
	c->top[XVR_PIXEL_REP] = pixel_rep;
	c->top[XVR_BITS_ALLOC] = bits_allocated;
	c->top[XVR_WAVE_BITS] = -1;
	c->scan_left = XVR_SCAN;
	memset(c->seen[0], 0, sizeof(c->seen[0]));
	memset(c->tag, 0, sizeof(c->tag));
}

/* The US value of a 2-byte value at r, Little Endian. */
static int
us_at(const struct rd *r)
{
	return r->p[r->pos] | r->p[r->pos + 1] << 8;
}

/* Counts a step of a scan against *ctx (steps left); 1 when none is. */
static int
scan_step(void *ctx, const struct ds_walk_step *st)
{
	unsigned *left = ctx;

	(void)st;
	if (*left == 0)
		return 1;
	(*left)--;
	return 0;
}

/*
 * The Waveform Bits Allocated of the item st opens (w and r at its
 * contents, neither moved), or -1.  The item's elements before it are
 * passed by their lengths, one of undefined length (the Channel
 * Definition Sequence) by a walk bounded by the item; the walk stops at
 * a tag past it or out of order, a malformed header, the item's end, or
 * when *left steps are used up.
 */
static int
item_wave_bits(const struct ds_walk *w, const struct rd *r,
    const struct ds_walk_step *st, unsigned *left)
{
	struct cs_err quiet = { 0, "" };
	struct ds_walk tw = *w;
	struct rd tr = *r;
	struct ds_walk_step s;
	const uint32_t tag = xvr_tags[XVR_WAVE_BITS];
	uint32_t last = 0;

	if (st->e.len != DS_LEN_UNDEFINED && ds_walk_enter(&tw, &quiet) != 0)
		return -1;
	while (scan_step(left, NULL) == 0) {
		if (ds_walk_next(&tw, &tr, &s, &quiet) != 0 ||
		    s.ev != DS_WALK_ELEM || s.depth != st->depth + 1 ||
		    s.e.tag < last || s.e.tag > tag)
			return -1;
		if (s.e.tag == tag)
			return s.kind == DS_KIND_VALUE &&
				s.enc == DS_ENC_IVR_LE && s.e.len == 2 &&
				rd_left(&tr) >= 2
			    ? us_at(&tr)
			    : -1;
		last = s.e.tag + 1;
		if (ds_walk_pass(
			&tw, &tr, &s, false, scan_step, left, &quiet) != 0)
			return -1;
	}
	return -1;
}

void
xvr_item(struct xvr *c, const struct ds_walk *w, const struct rd *r,
    const struct ds_walk_step *st)
{
	unsigned d = st->depth;
	int v;

	if (d >= DS_WALK_MAX_DEPTH)
		return;
	memset(c->seen[d + 1], 0, sizeof(c->seen[0]));
	if (d == 0 || c->tag[d - 1] != TAG_WAVEFORM_SEQ ||
	    st->kind != DS_KIND_ITEM || st->enc != DS_ENC_IVR_LE)
		return;
	if ((v = item_wave_bits(w, r, st, &c->scan_left)) >= 0)
		c->seen[d + 1][XVR_WAVE_BITS] =
		    (uint8_t)(v < 254 ? v + 1 : 255);
}

void
xvr_note(struct xvr *c, const struct ds_walk_step *st, const struct rd *r)
{
	unsigned i;
	int v;

	if (st->ev == DS_WALK_ELEM && st->depth <= DS_WALK_MAX_DEPTH)
		c->tag[st->depth] = st->e.tag;
	if (st->ev != DS_WALK_ELEM || st->kind != DS_KIND_VALUE ||
	    st->enc != DS_ENC_IVR_LE || st->e.len != 2 || rd_left(r) < 2 ||
	    st->depth > DS_WALK_MAX_DEPTH)
		return;
	for (i = 0; i < XVR_N; i++)
		if (st->e.tag == xvr_tags[i]) {
			v = us_at(r);
			c->seen[st->depth][i] =
			    (uint8_t)(v < 254 ? v + 1 : 255);
		}
}

/* The US value of tag among the next elements of the item that holds
 * st (tags ascending, PS3.5 7.1), or -1.  It stops at a sequence of
 * undefined length: each step passes one value by its length, so that
 * a look ahead costs XVR_AHEAD steps at most, never a walk of what is
 * nested (which nested look aheads would walk again and again). */
static int
ahead(const struct ds_walk *w, const struct rd *r,
    const struct ds_walk_step *st, uint32_t tag)
{
	struct cs_err quiet = { 0, "" };
	struct ds_walk tw = *w;
	struct rd tr = *r;
	struct ds_walk_step s = *st;
	unsigned n;

	for (n = 0; n < XVR_AHEAD; n++) {
		uint32_t last = s.e.tag;

		if (ds_walk_pass(&tw, &tr, &s, false, NULL, NULL, &quiet) !=
			0 ||
		    ds_walk_next(&tw, &tr, &s, &quiet) != 0)
			return -1;
		if (s.ev != DS_WALK_ELEM || s.depth != st->depth ||
		    s.kind != DS_KIND_VALUE || s.e.tag <= last || s.e.tag > tag)
			return -1; /* the item ended, or the tag is not there */
		if (s.e.tag == tag)
			return s.kind == DS_KIND_VALUE && s.e.len == 2 &&
				rd_left(&tr) >= 2
			    ? us_at(&tr)
			    : -1;
	}
	return -1;
}

/* Attribute i (XVR_*) as it holds for the element st, or -1. */
static int
attr(const struct xvr *c, const struct ds_walk *w, const struct rd *r,
    const struct ds_walk_step *st, unsigned i)
{
	unsigned d = st->depth;
	int v;

	if (d == 0 || d > DS_WALK_MAX_DEPTH)
		return c->top[i];
	if (c->seen[d][i] != 0)
		return c->seen[d][i] - 1;
	if ((v = ahead(w, r, st, xvr_tags[i])) >= 0)
		return v;
	/* an item's elements are 2 levels below those around its sequence */
	for (d = d >= 2 ? d - 2 : 0; d > 0; d = d >= 2 ? d - 2 : 0)
		if (c->seen[d][i] != 0)
			return c->seen[d][i] - 1;
	return c->top[i];
}

/* 1 for a LUT or palette descriptor: US whatever the pixels. */
static int
descriptor(uint32_t tag)
{
	return tag == DS_TAG(0x0028, 0x3002) ||
	    (tag >= DS_TAG(0x0028, 0x1100) && tag <= DS_TAG(0x0028, 0x1103)) ||
	    (tag >= DS_TAG(0x0028, 0x1111) && tag <= DS_TAG(0x0028, 0x1113));
}

/* 1 for Waveform Data and the values of its VR (PS3.5 8.3). */
static int
waveform(uint32_t tag)
{
	return tag == DS_TAG(0x5400, 0x1010) || tag == DS_TAG(0x5400, 0x0110) ||
	    tag == DS_TAG(0x5400, 0x0112) || tag == DS_TAG(0x5400, 0x100a);
}

/* 1 for the pixels that are not Pixel Data (PS3.6 "OB or OW"): DICONDE's
 * Dark Current and Air Counts, the retired Variable Pixel Data. */
static int
pixel_like(uint32_t tag)
{
	return tag == DS_TAG(0x0014, 0x3050) || tag == DS_TAG(0x0014, 0x3070) ||
	    ((tag & 0xff01ffffu) == DS_TAG(0x7f00, 0x0010));
}

/* Their VR for Bits Allocated b: 0 or -1 is none (OW, as Implicit VR has
 * it, PS3.5 A.1). */
static const char *
pixel_like_vr(int b)
{
	return b >= 1 && b <= 8 ? "OB" : "OW";
}

void
xvr_of(const struct xvr *c, const struct ds_walk *w, const struct rd *r,
    const struct ds_walk_step *st, char vr[3])
{
	uint32_t tag = st->e.tag;
	const struct element_entry *e;
	const char *v = "UN";

	if (DS_TAG_ELEM(tag) == 0x0000)
		v = "UL";
	else if (DS_TAG_GROUP(tag) & 1)
		v = DS_TAG_ELEM(tag) >= 0x0010 && DS_TAG_ELEM(tag) <= 0x00ff
		    ? "LO"
		    : "UN";
	else if ((e = element_find(tag)) == NULL)
		v = "UN";
	else if (e->alt == ELEMENT_ONE || st->kind != DS_KIND_VALUE) {
		vr[0] = e->vr[0];
		vr[1] = e->vr[1];
		vr[2] = '\0';
		return;
	} else if (e->alt == ELEMENT_US_SS)
		v = !descriptor(tag) && attr(c, w, r, st, XVR_PIXEL_REP) == 1
		    ? "SS"
		    : "US";
	else if (e->alt == ELEMENT_OB_OW &&
	    (tag == DS_TAG_PIXEL_DATA || pixel_like(tag)))
		v = pixel_like_vr(attr(c, w, r, st, XVR_BITS_ALLOC));
	else if (e->alt == ELEMENT_OB_OW && waveform(tag))
		v = attr(c, w, r, st, XVR_WAVE_BITS) == 8 ? "OB" : "OW";
	else
		v = "OW";
	memcpy(vr, v, 3);
}
