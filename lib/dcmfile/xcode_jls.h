/*
 * xcode_jls.h - JPEG-LS frames decoded by CharLS's C API directly
 * (libcharls.so.2, dlopened on first use), not through the GDCM module:
 * no GDCM to load for a JPEG-LS file, and the frame is decoded straight
 * into the caller's buffer.  Internal to lib/dcmfile; the transcoder
 * falls back to the GDCM module when CharLS cannot be loaded.
 */
#ifndef CS_DCMFILE_XCODE_JLS_H
#define CS_DCMFILE_XCODE_JLS_H

#include <stddef.h>
#include <stdint.h>

#include "cstore/cstore.h"
#include "dcmfile/dcmfile.h"

/* 1 when CharLS is loaded (tried once per process), else 0. */
int xcode_jls_available(void);

/*
 * Decodes the JPEG-LS stream in/n of an image img into out (exactly one
 * native frame of out_len bytes, little endian).  The stream must agree
 * with img: size, samples, and 1 byte a sample for 8 bits allocated, 2
 * for 16.  *got is img with the layout the decoder gives (planar for a
 * colour stream without interleaving).  Returns 0, CS_E_UNSUPPORTED
 * (not loaded, or a stream CharLS refuses) or CS_E_PROTO (a stream that
 * does not match img).  Thread-safe.
 */
int xcode_jls_decode(const struct dcmfile_image *img, const uint8_t *in,
    size_t n, uint8_t *out, size_t out_len, struct dcmfile_image *got,
    struct cs_err *err);

#endif
