/*
 * xcode_zlib.h - the Deflated Explicit VR Little Endian side of the
 * transcoder (PS3.5 A.5): the data set after the meta group is one raw
 * deflate stream (RFC 1951, no zlib header or trailer) of the Explicit VR
 * LE encoding, padded with one zero byte to an even length (PS3.5 A.5,
 * as DCMTK writes it; PS3.8 E.1 wants even PDVs).  Both directions
 * stream through zlib in slices, so memory stays at zlib's state and one
 * buffer whatever the size.  Internal to lib/dcmfile.
 */
#ifndef CS_DCMFILE_XCODE_ZLIB_H
#define CS_DCMFILE_XCODE_ZLIB_H

#include <stddef.h>
#include <stdint.h>

#include "cstore/cstore.h"
#include "dcmfile/xcode.h"

/*
 * Inflates the raw deflate stream p/n to sink.  What follows the end of
 * the stream (the pad byte, the zeros some writers add, a wrapper's
 * trailer or other bytes) is no part of the data set and is ignored, as
 * the planner (part10.c), dcmrecv, DCMTK and pydicom ignore it; *tail,
 * when not NULL, is set to how many bytes that was, pad byte or zeros
 * not counted.  At most max bytes are written
 * (CS_E_TOOBIG past that).  Returns 0 with *out_n the bytes written, or
 * CS_E_PROTO (corrupt stream), CS_E_TRUNCATED (the stream does not end),
 * CS_E_TOOBIG, CS_E_NOMEM, or the sink's error; detail in err.
 */
int xcode_inflate(const uint8_t *p, size_t n, uint64_t max, xcode_sink_fn sink,
    void *ctx, uint64_t *out_n, size_t *tail, struct cs_err *err);

/*
 * 1 when the n bytes at p start with a zlib header (RFC 1950: CM 8, a
 * window of at most 32 KiB, the check bits right), else 0.  For the
 * message of a stream that does not inflate: every reader of deflated
 * data sets (the planner, the transcoder, dcmrecv) then names
 * XCODE_ZLIB_WRAPPED, as DCMTK and pydicom refuse such a stream too.
 */
int xcode_zlib_header(const uint8_t *p, size_t n);
#define XCODE_ZLIB_WRAPPED                                                     \
	"a zlib-wrapped stream (RFC 1950), not raw deflate (PS3.5 A.5)"
/* the same, short enough for an Error Comment (64 characters) after
 * dcmrecv's "cannot parse the data set: " */
#define XCODE_ZLIB_WRAPPED_SHORT "zlib-wrapped, not raw deflate (A.5)"

/* A sink that deflates what it is given into another sink. */
struct xcode_deflate;

/*
 * Starts deflating into sink (level: zlib's 1..9, or -1 for its
 * default).  Returns a new struct, or NULL with CS_E_NOMEM in err.
 */
struct xcode_deflate *
xcode_deflate_new(xcode_sink_fn sink, void *ctx, int level, struct cs_err *err);

/* An xcode_sink_fn: ctx is the struct xcode_deflate.  0, CS_E_NOMEM or
 * the sink's error (latched: later calls return it again). */
int xcode_deflate_put(void *ctx, const void *p, size_t n);

/*
 * Ends the stream and writes its pad byte when its length is odd.
 * Returns 0 with *out_n (when not NULL) the bytes written to the sink,
 * or the latched error.
 */
int xcode_deflate_finish(
    struct xcode_deflate *d, uint64_t *out_n, struct cs_err *err);

/* Frees d (NULL-safe), finished or not. */
void xcode_deflate_free(struct xcode_deflate *d);

#endif
