/*
 * validate.h - dcmrecv --validate: what is checked in a data set beyond
 * its structure (which the scanner walks to its end, ds_scan.h).
 *
 * Native Pixel Data (7FE0,0010) must hold exactly the image its Image
 * Pixel Module describes: Rows x Columns x Samples per Pixel x Bits
 * Allocated x Number of Frames bits, in whole bytes, plus one byte of
 * padding to an even length (PS3.5 8.1.1, PS3.3 C.7.6.3); YBR_FULL_422
 * and YBR_PARTIAL_422 hold two samples a pixel (C.7.6.3.1.2: an odd
 * last pixel of a row counted as a pair, or, as pydicom counts it, not)
 * when Planar Configuration is 0 or absent, or three as writers that
 * decoded a JPEG and kept its label made them.  Known gap: an image of
 * three samples a pixel cut to exactly 2/3 of its length (whole frames
 * or rows missing) is the length of a whole one of two, and passes.
 * Samples per Pixel and Number of Frames default to 1; encapsulated
 * Pixel Data
 * (undefined length) is not measured, but must be what the transfer
 * syntax says: encapsulated under an encapsulated one (PS3.5 A.4),
 * native under the others; its frames each in fragments of their own
 * (at least Number of Frames fragments), but for a video stream (MPEG,
 * HEVC) and JPEG 2000 Part 2 multi-component (PS3.5 A.4.4: frames may be
 * components of one codestream, a collection of them a fragment).
 */
#ifndef CS_STORESCP_VALIDATE_H
#define CS_STORESCP_VALIDATE_H

#include <stddef.h>
#include <stdint.h>

#include "core/ds_scan.h"

/* The tags validate_pixels reads: the scanner must capture them. */
#define VALIDATE_NTAGS 8
extern const uint32_t validate_tags[VALIDATE_NTAGS];

struct ts_entry;

/*
 * What validate_pixels' encapsulated is for the transfer syntax t (NULL:
 * one our table does not know): -1, 0, 1 or 2, as below.  Fragments
 * are not counted (2) under the video syntaxes and JPEG 2000 Part 2
 * multi-component (1.2.840.10008.1.2.4.92, .93).
 */
int validate_ts_mode(const struct ts_entry *t);

/*
 * Checks the finished scan s of a data set in encoding enc, of a
 * transfer syntax whose Pixel Data is encapsulated frames (1), one
 * encapsulated video stream or JPEG 2000 Part 2 multi-component frames
 * (2: fragments not counted) or native (0),
 * or of one our table does not know (-1: fragments are not measured, a
 * plain value is).
 * Returns 0, or 1 with a one-line reason (at most 64 characters fit an
 * Error Comment) in why (size n).
 */
int validate_pixels(const struct ds_scan *s, enum ds_enc enc, int encapsulated,
    char *why, size_t n);

#endif
