/*
 * rle.h - the RLE Lossless codec of PS3.5 Annex G (transfer syntax
 * 1.2.840.10008.1.2.5), one frame at a time, with no I/O.
 *
 * A compressed frame is a 64-byte header (G.5: the number of segments,
 * then 15 offsets, all 32-bit little endian, offsets counted from the
 * first header byte) followed by its segments.  Each segment holds one
 * byte plane, PackBits-coded (G.3.1); the planes come sample by sample,
 * and within a sample most significant byte first (G.2).  A native frame
 * is what Pixel Data holds in a little-endian transfer syntax: samples of
 * bits_allocated / 8 bytes, least significant byte first, laid out by
 * Planar Configuration 0 (R1 G1 B1 R2 ...) or 1 (R1 R2 ... G1 ... B1 ...).
 * Neither side changes pixel values, Photometric Interpretation or
 * signedness: RLE moves bytes only.
 *
 * The transcoder's part (not here): split the encapsulated Pixel Data
 * into frames (PS3.5 A.4.2: each RLE frame is exactly one fragment, so
 * frame i, from 0, is item i + 1, item 0 being the Basic Offset Table;
 * for a writer that split frames anyway, the offset table says where
 * each begins), hand each frame's bytes to rle_decode_frame() -- when a
 * frame spans several fragments, their values concatenated in order --
 * and pad the native Pixel Data to an even length (frames here are
 * exactly rows * columns * samples * bytes, odd for some 8-bit images).
 * When encoding, put each rle_encode_frame() result in a fragment of its
 * own; it always has an even length.
 *
 * Contract of every function:
 *   - no allocation, no I/O, no global state: safe on any thread
 *     (rle_decode_frame uses about 32 KB of stack for its plane buffers);
 *   - pointer arguments are borrowed for the call and never kept; input
 *     and output buffers must not overlap;
 *   - every compressed byte is read through the bounded reader
 *     (core/buf.h) or under an explicit bound: no input can make the
 *     codec read or write outside the buffers given;
 *   - return 0 on success or a negative CS_E_* code, detail in err
 *     (NULL allowed; the first error wins, cs_err_set);
 *   - on failure the output buffer holds unspecified bytes (a partial
 *     frame): never use it.
 *
 * Leniencies, decided once here:
 *   - a segment that decodes to more than rows * columns bytes is
 *     accepted and the excess ignored.  G.3.1 pads an odd segment with a
 *     zero byte, which a decoder would read as the header of a literal
 *     run, and writers exist that pad further (pydicom issue 1438:
 *     786433 bytes for 786432); the segment's share of the frame is
 *     exactly rows * columns bytes either way, so nothing is lost;
 *   - odd segment lengths and odd offsets are accepted (writers exist
 *     that omit the pad byte);
 *   - offsets of unused segments (index >= the segment count) are
 *     ignored, whatever they hold;
 *   - the first segment may start after byte 64 (bytes between are
 *     ignored); offsets must be non-decreasing and within the frame;
 *   - the run header -128 (0x80) outputs nothing, as G.3.2 says.
 * Everything else is an error: a segment count that differs from
 * samples * bits_allocated / 8, an offset before byte 64 or past the
 * frame's end, offsets out of order, a run whose bytes pass the end of
 * its segment, a segment that ends before rows * columns bytes.
 */
#ifndef CS_DCMFILE_RLE_H
#define CS_DCMFILE_RLE_H

#include <stddef.h>
#include <stdint.h>

#include "cstore/cstore.h"

#ifdef __cplusplus
extern "C" {
#endif

/* G.5: the header is 16 32-bit words: a count and 15 offsets. */
#define RLE_HEADER_LEN 64u
#define RLE_MAX_SEGMENTS 15u

/* Planar Configuration (0028,0006) of the native frame. */
enum rle_planar {
	RLE_INTERLEAVED = 0, /* 0: R1 G1 B1 R2 G2 B2 ... (also: 1 sample) */
	RLE_SEPARATE = 1     /* 1: R1 R2 ... G1 G2 ... B1 B2 ... */
};

/* What the codec must know of an image; one frame of it. */
struct rle_image {
	uint16_t rows;           /* (0028,0010), >= 1 */
	uint16_t columns;        /* (0028,0011), >= 1 */
	uint16_t samples;        /* Samples per Pixel (0028,0002): 1 or 3 */
	uint16_t bits_allocated; /* (0028,0100): 8, 16 or 32 */
	/*
	 * Layout of the native frame: what rle_decode_frame() writes and
	 * rle_encode_frame() reads.  Irrelevant (either value) for 1
	 * sample.  The compressed frame is the same for both.
	 */
	enum rle_planar planar;
};

/*
 * Checks an image description: 0, CS_E_INVAL (rows or columns 0, planar
 * not one of the two values) or CS_E_UNSUPPORTED (samples other than 1
 * or 3, bits_allocated other than 8, 16 or 32).  Every function below
 * does this first.
 */
int rle_image_check(const struct rle_image *im, struct cs_err *err);

/*
 * Bytes of one native frame: rows * columns * samples * bits_allocated /
 * 8 (at most 65535 * 65535 * 12, which fits a 64-bit size_t); 0 when the
 * description is invalid.
 */
size_t rle_frame_len(const struct rle_image *im);

/* Segments per compressed frame: samples * bits_allocated / 8 (0: invalid). */
unsigned rle_segment_count(const struct rle_image *im);

/*
 * Largest compressed frame rle_encode_frame() can write for im: the
 * header plus, per segment of n = rows * columns bytes, n + n / 128 + 2
 * (one literal-run header per 128 bytes, one more, one pad byte).  0 when
 * the description is invalid.
 */
size_t rle_encode_bound(const struct rle_image *im);

/* The header of a compressed frame, as read (G.5). */
struct rle_header {
	unsigned segments;                 /* 1..15 */
	uint32_t offset[RLE_MAX_SEGMENTS]; /* [0, segments) used, rest 0 */
	size_t length[RLE_MAX_SEGMENTS]; /* up to the next offset or the end */
};

/*
 * Reads and checks the header of a compressed frame of len bytes (the
 * whole frame, so that offsets can be checked against its end).  Returns
 * 0, CS_E_TRUNCATED (fewer than 64 bytes), or CS_E_PROTO (segment count 0
 * or above 15, an offset before 64, past len or out of order).  It does
 * not know the image, so it does not check the count against one.
 */
int rle_header_read(
    const uint8_t *in, size_t len, struct rle_header *h, struct cs_err *err);

/*
 * Decodes one compressed frame (in, in_len: its header and segments,
 * fragments concatenated) into the native frame out.  out_len must be at
 * least rle_frame_len(im); exactly that many bytes are written, in the
 * layout im->planar asks for.  Returns 0, or:
 *   CS_E_INVAL        NULL in or out, bad description, out_len too small;
 *   CS_E_UNSUPPORTED  samples or bits_allocated not handled;
 *   CS_E_TRUNCATED    header shorter than 64 bytes, a literal run past the
 *                     end of its segment, or a segment that decodes to
 *                     fewer than rows * columns bytes;
 *   CS_E_PROTO        a corrupt header, a segment count that does not
 *                     match the description.
 */
int rle_decode_frame(const struct rle_image *im, const uint8_t *in,
    size_t in_len, uint8_t *out, size_t out_len, struct cs_err *err);

/*
 * Encodes one native frame (in, in_len == rle_frame_len(im), laid out as
 * im->planar says) into out, a buffer of out_cap bytes: the header, then
 * each segment PackBits-coded (G.3.1: replicate runs of 2..128 bytes,
 * literal runs of 1..128) and padded with a zero byte to an even length.
 * *out_len receives the length written (even).  out_cap >=
 * rle_encode_bound(im) always suffices.  Returns 0, or:
 *   CS_E_INVAL        NULL argument, bad description, in_len wrong;
 *   CS_E_UNSUPPORTED  samples or bits_allocated not handled;
 *   CS_E_TOOBIG       out_cap too small, or an offset would pass 2^32 - 1.
 */
int
rle_encode_frame(const struct rle_image *im, const uint8_t *in, size_t in_len,
    uint8_t *out, size_t out_cap, size_t *out_len, struct cs_err *err);

#ifdef __cplusplus
}
#endif
#endif
