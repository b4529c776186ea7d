/*
 * xcode.h - the streaming transcoder: one data set from one transfer
 * syntax into another, changing the pixel data and nothing else.
 *
 * The walker (xcode.c) reads the source element by element through the
 * one header decoder (core/ds_elem.h), passes what it does not rewrite
 * through the shared structure walker (core/ds_walk.h), and writes the
 * target:
 *   - every element but Pixel Data is copied with its value byte for
 *     byte; only headers are re-encoded when Implicit and Explicit VR
 *     change (VRs from our dictionary, core/element.h and xcode_vr.h;
 *     UN when it has none), and
 *     values are byte-swapped per VR when leaving Explicit VR Big Endian
 *     (US SS OW AT: 2 bytes, UL SL FL OF OL: 4, FD OD OV SV UV: 8; OB,
 *     UN and text never).  Sequences and items whose header sizes change
 *     are written with undefined length; UN sequences keep their Implicit
 *     VR LE contents as they are (PS3.5 6.2.2);
 *   - Pixel Data is decoded frame by frame (xcode_pixels.c) and, for an
 *     encapsulated target, encoded again, one fragment per frame after an
 *     empty Basic Offset Table;
 *   - what the change of encoding requires changes with it: Photometric
 *     Interpretation when the decoder changes it (a JPEG in YBR_FULL_422
 *     that libjpeg turns into RGB, JPEG 2000 whose component transformation
 *     OpenJPEG undoes, whatever the label; YBR_FULL_422 for full-resolution
 *     JPEG 2000 pixels without one becomes YBR_FULL), the Extended Offset
 *     Table (7FE0,0001/0002) is dropped when the pixel encoding changes,
 *     group lengths
 *     (gggg,0000) are dropped (retired, PS3.5 7.2, and no longer true);
 *     for a lossy target Lossy Image Compression (0028,2110) "01", Ratio
 *     (0028,2112) and Method (0028,2114) appended to the values already
 *     there, and the SOP Instance UID the caller gives; for a lossy
 *     source decoded into a lossless target (xcp_source_lossy) Lossy
 *     Image Compression "01" when it said otherwise or was missing.
 * Planar Configuration keeps its value: decoded frames are rearranged to
 * it when a decoder returns the other layout.
 *
 * What it refuses (CS_E_UNSUPPORTED, nothing written is usable): a
 * conversion it cannot check.  A lossless encoding is decoded again and
 * compared with the decoded source; every decoded frame must have the
 * size and sample layout the Image Pixel module says; Bits Allocated,
 * Stored and High Bit are never changed.
 *
 * Memory: the source is read in place (the caller maps it); one decoded
 * frame and one encoded frame at a time, except for a lossy target,
 * whose frames are all encoded before the header is written (the ratio
 * comes before the pixels).
 */
#ifndef CS_DCMFILE_XCODE_H
#define CS_DCMFILE_XCODE_H

#include <stddef.h>
#include <stdint.h>

#include "cstore/cstore.h"
#include "core/ds_elem.h"
#include "dcmfile/dcmfile.h"

struct xcode_req {
	const char *src_ts; /* the data set's transfer syntax */
	const char *dst_ts; /* the one to write */
	int allow_lossy;    /* a lossy dst_ts is allowed */
	/* the SOP Instance UID to write when the conversion is lossy (PS3.3
	 * C.12.1.1.1: lossy compression makes a new instance); required then */
	const char *new_instance;
	/* 1: every value of odd length gets one pad byte (PS3.5 7.1.1:
	 * text VRs a space, UI and the others a NUL), so that a data set
	 * of odd total length fits in PDVs (PS3.8 E.1).  With src_ts equal
	 * to dst_ts that is all that changes: pixel data is copied as it
	 * is but for an odd-length fragment that ends a code stream, which
	 * gets a NUL (the Basic Offset Table moving with it); sequences and
	 * items that hold a padded value get undefined lengths and group
	 * lengths are dropped, as in any conversion. */
	int pad_odd;
};

struct xcode_result {
	uint32_t frames;         /* frames of pixel data converted (0: none) */
	int lossy;               /* 1: a lossy encoding was applied */
	int photometric_changed; /* 1: (0028,0004) was rewritten */
	char photometric[17];    /* the one written (or kept) */
	double ratio;            /* lossy: uncompressed / compressed bytes */
	uint32_t padded;         /* pad_odd: values given a pad byte */
	uint32_t group_lengths;  /* group lengths (gggg,0000) dropped */
	/* 1: the pixels of a lossy encoding were decoded and Lossy Image
	 * Compression (0028,2110), absent or another value, set to "01" */
	int lossy_marked;
};

/* Where the output goes: returns 0 or a negative CS_E_* code. */
typedef int (*xcode_sink_fn)(void *ctx, const void *p, size_t n);

/*
 * Writes the data set ds/len (no preamble, no meta) in req->dst_ts to
 * sink.  Both syntaxes must be Implicit VR LE, Explicit VR LE or BE, or
 * an encapsulated syntax of dcmfile_can_transcode (Deflated is not
 * handled here).  Fills *res.  Returns 0, or
 *   CS_E_UNSUPPORTED  a conversion it cannot do or cannot check (why in
 *                     err), a missing codec or GDCM module;
 *   CS_E_PROTO        the source is malformed (element, item, fragment);
 *   CS_E_TRUNCATED    the source ends inside an element;
 *   CS_E_TOOBIG       more than DS_WALK_MAX_SEQUENCES (128) nested sequences;
 *   CS_E_INVAL        a bad request (lossy without new_instance...);
 *   CS_E_NOMEM, or the sink's error.
 * Thread-safe: no global state.
 */
int xcode_dataset(const uint8_t *ds, size_t len, const struct xcode_req *req,
    xcode_sink_fn sink, void *ctx, struct xcode_result *res,
    struct cs_err *err);

/*
 * Sets *enc and *encaps for transfer syntax ts: its element encoding,
 * and 1 when its pixel data is encapsulated.  0, or CS_E_UNSUPPORTED
 * for Deflated and unknown syntaxes.
 */
int xcode_ts_layout(const char *ts, enum ds_enc *enc, int *encaps);

/*
 * Makes a new UID of the 2.25 form (PS3.5 B.2) from 128 random bits
 * into buf (at least 65 bytes).  0, or CS_E_IO when no random bits.
 */
int xcode_new_uid(char *buf, size_t cap, struct cs_err *err);

/*
 * The encoder settings of a lossy conversion, in words: part of what a
 * derived UID is made from.  Change it whenever they change (quality,
 * rate: dcmfile_gdcm.cpp encode), so that a different lossy copy
 * gets a different UID.
 */
#define XCODE_LOSSY_PARAMS                                                     \
	"cstore lossy 1: JPEG quality 90, JPEG-LS NEAR 2, JPEG 2000 rate 10"

/*
 * The SOP Instance UID of the lossy copy of src_uid in dst_ts: 2.25 and
 * the first 128 bits of SHA-256 over XCODE_LOSSY_PARAMS, src_uid and
 * dst_ts, so that the same conversion tried again (a retry after a lost
 * response) makes the same instance, not a second one.  A random UID
 * when src_uid is empty.  buf: at least 65 bytes.  0, or CS_E_INVAL.
 */
int xcode_derived_uid(const char *src_uid, const char *dst_ts, char *buf,
    size_t cap, struct cs_err *err);

/*
 * The old whole-file path: GDCM reads the file open on fd (through
 * /proc/self/fd, in its child, which keeps fd) and writes the whole data
 * set again (ImageChangeTransferSyntax).  Kept only for the deflated
 * syntaxes other than Deflated Explicit VR LE (xcode_zlib.h does that
 * one), which the walker does not read or write.  Same contract
 * as dcmfile_transcode; the child's time limit scales with the file's
 * size (gdcm_jail.h).
 */
int dcmfile_gdcm_transcode(int fd, const char *ts_uid, int allow_lossy,
    struct dcmfile_transcoded *out, struct cs_err *err);

#endif
