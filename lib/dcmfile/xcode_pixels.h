/*
 * xcode_pixels.h - the pixel side of the transcoder (xcode.h): splits
 * the source pixel data into frames, decodes them (RLE with our codec,
 * JPEG-LS with CharLS directly (xcode_jls.h), the rest of the JPEG
 * family through the GDCM module, native by slicing and
 * swapping), encodes them for an encapsulated target, checks each
 * lossless encoding by decoding it again, and writes the value of the
 * target's Pixel Data element.  Internal to lib/dcmfile.
 */
#ifndef CS_DCMFILE_XCODE_PIXELS_H
#define CS_DCMFILE_XCODE_PIXELS_H

#include <stddef.h>
#include <stdint.h>

#include "cstore/cstore.h"
#include "dcmfile/dcmfile.h"
#include "dcmfile/xcode.h"

struct xcp_span {
	const uint8_t *p;
	size_t n;
};

/* Filled by the walker, then owned by xcp_* until xcp_release. */
struct xcp {
	/* the Image Pixel module as the data set has it */
	struct dcmfile_image img;
	uint32_t frames;
	const char *src_ts, *dst_ts;
	int src_encaps, dst_encaps;
	int lossy; /* dst_ts is a lossy encoding (allowed) */
	/* native source: the value, and the unit to byte-swap (0, 2, 4, 8);
	 * pad: an odd-length one gets a NUL at its end, before the swap
	 * (xcode.h pad_odd) */
	const uint8_t *val;
	size_t val_len;
	unsigned swap;
	int pad;
	/* decoded frames written to a Big Endian target: the unit (OW: 2) */
	unsigned out_swap;
	/* encapsulated source: the items after the pixel data header, up to
	 * and including the Sequence Delimitation Item */
	const uint8_t *items;
	size_t items_len;

	/* private */
	size_t frame_size;
	size_t nfrag;
	struct xcp_span *frag;    /* fragments, Basic Offset Table excluded */
	size_t *first;            /* frames + 1: first fragment of each frame */
	uint8_t *raw, *chk;       /* one decoded frame; the check of one */
	struct dcmfile_image out; /* the layout written (photometric) */
	struct xcp_span *enc;     /* lossy: every encoded frame */
	uint64_t enc_total;
};

/*
 * Checks the image description, finds the frames and decodes the first
 * one (to learn the photometric interpretation the decoder gives); for a
 * lossy target encodes every frame.  Sets res->photometric*, ->frames,
 * ->lossy, ->ratio.  Returns 0 or a negative code with detail in err.
 */
int xcp_prepare(struct xcp *p, struct xcode_result *res, struct cs_err *err);

/* Bytes of the target's Pixel Data value when it is native (even, but
 * for a native source of odd length without pad). */
uint64_t xcp_native_len(const struct xcp *p);

/*
 * Writes the target Pixel Data value (native: the frames and a pad byte;
 * encapsulated: an empty Basic Offset Table, one fragment per frame and
 * the Sequence Delimitation Item) through out(ctx, bytes, n).
 */
int xcp_write(struct xcp *p, int (*out)(void *, const void *, size_t),
    void *ctx, struct cs_err *err);

/* Frees what xcp_prepare/xcp_write allocated; p may be prepared again. */
void xcp_release(struct xcp *p);

/*
 * 1 when the prepared source's pixels were coded lossily: a lossy syntax
 * of the JPEG family (as DCMTK's decoders take JPEG-LS near-lossless);
 * JPEG 2000 under any label when a code stream uses the irreversible
 * wavelet, and under 1.2.840.10008.1.2.4.91 also with the reversible one
 * (a rate limit loses with it too) unless vouched: the file's own Lossy
 * Image Compression (0028,2110) says "00".
 */
int xcp_source_lossy(const struct xcp *p, int vouched);

/* The Lossy Image Compression Method (0028,2114) of a syntax, or NULL. */
const char *xcp_lossy_method(const char *ts);

#endif
