/*
 * xcode_vr.h - the VR the transcoder writes for an element of an Implicit
 * VR source in an Explicit VR target: PS3.6's (core/element.h), with the
 * rules of PS3.5 where PS3.6 gives a choice, from what the data set says
 * around the element (Pixel Representation, Bits Allocated, Waveform Bits
 * Allocated: of its own item, else of the items and data set around
 * it).  Internal to lib/dcmfile.
 */
#ifndef CS_DCMFILE_XCODE_VR_H
#define CS_DCMFILE_XCODE_VR_H

#include <stdint.h>

#include "core/buf.h"
#include "core/ds_walk.h"

/* The attributes the choices depend on. */
enum { XVR_PIXEL_REP, XVR_BITS_ALLOC, XVR_WAVE_BITS, XVR_N };

/* What a walk has seen so far: per depth of the walk, the attributes of
 * the item open there (value + 1, 0 for not seen; 255 for larger). */
struct xvr {
	int top[XVR_N]; /* the top level's, from a first pass; -1 none */
	uint8_t seen[DS_WALK_MAX_DEPTH + 1][XVR_N];
	/* per depth, the tag of the last element there (a sequence's, for
	 * the items below it) */
	uint32_t tag[DS_WALK_MAX_DEPTH + 1];
	unsigned scan_left; /* steps the waveform items' scans have left */
};

/* Starts *c for a data set whose top level has pixel_rep and
 * bits_allocated (-1: absent). */
void xvr_init(struct xvr *c, int pixel_rep, int bits_allocated);

/* The walk w opened the item st (its contents at r, neither moved): its
 * elements come at st->depth + 1.  An item of a Waveform Sequence is
 * read ahead for its Waveform Bits Allocated. */
void xvr_item(struct xvr *c, const struct ds_walk *w, const struct rd *r,
    const struct ds_walk_step *st);

/* An element st of an Implicit VR source went by, its value at r (each
 * one, the top level's too). */
void xvr_note(struct xvr *c, const struct ds_walk_step *st, const struct rd *r);

/*
 * The VR (two letters and a NUL) for the element st of an Implicit VR
 * source, read by walk w from r (its value pending there; neither is
 * moved): group lengths UL, private creators LO, other private elements
 * and tags PS3.6 does not list UN (PS3.5 6.2.2, 7.2, 7.8.1); else
 * PS3.6's, a choice settled as xcode_vr.c says.
 */
void xvr_of(const struct xvr *c, const struct ds_walk *w, const struct rd *r,
    const struct ds_walk_step *st, char vr[3]);

#endif
