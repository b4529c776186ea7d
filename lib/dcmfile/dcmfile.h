/*
 * dcmfile.h - the C face of the GDCM adapter (lib/dcmfile/dcmfile_gdcm.cpp).
 *
 * dcmfile_can_transcode is plain C (dcmfile_ts.c) and never loads GDCM.
 * The other functions go through dcmfile_load.c, which dlopens the GDCM
 * module (cstore-gdcm.so) on the first call; when it cannot be loaded
 * they fail as documented below, with dlerror()'s text in struct cs_err.
 *
 * Plain C: no C++ type appears here and no exception crosses it.  Every
 * function returns 0 (or a documented non-negative value) or a negative
 * CS_E_* code with detail in the caller's struct cs_err.  Pointer
 * arguments are borrowed for the call.  Sections belong to different
 * developers: add yours as a section of its own.
 */
#ifndef CS_DCMFILE_DCMFILE_H
#define CS_DCMFILE_DCMFILE_H

#include <stddef.h>
#include <stdint.h>

#include "cstore/cstore.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- transcoding (section owner: file I/O and transcoding) ---------- */

/* Transfer syntax UIDs are at most 64 characters (PS3.5 9.1). */
#define DCMFILE_UID_MAX 64

/*
 * Returns 1 when dcmfile_transcode can turn a dataset in transfer
 * syntax from_ts into to_ts under the lossless rule, else 0:
 *   - from_ts must be one GDCM decodes: Implicit/Explicit VR LE,
 *     Explicit VR BE, Deflated, JPEG (baseline, extended, lossless,
 *     lossless SV1), JPEG-LS, JPEG 2000, RLE;
 *   - to_ts uncompressed (Implicit/Explicit VR LE, Explicit VR BE,
 *     Deflated) or lossless compressed (RLE, JPEG Lossless SV1, JPEG-LS
 *     Lossless, JPEG 2000 Lossless Only): always allowed, even from a
 *     lossy source, since decoding adds no further loss;
 *   - to_ts lossy (JPEG Baseline/Extended, JPEG-LS Near-Lossless,
 *     JPEG 2000): only when allow_lossy is non-zero.
 * from_ts equal to to_ts gives 1 (nothing to do).  NULL or unknown UIDs
 * give 0.  Pure: reads no file.
 */
int
dcmfile_can_transcode(const char *from_ts, const char *to_ts, int allow_lossy);

/* The result of dcmfile_transcode. */
struct dcmfile_transcoded {
	/*
	 * An unlinked temporary file (O_TMPFILE, or mkstemp then unlink) in
	 * $TMPDIR or /tmp, holding the dataset only (no preamble, no meta),
	 * positioned at offset 0, close-on-exec.  The caller owns it and
	 * closes it; it vanishes then.  Suited to sendfile(2).  -1 on error.
	 */
	int fd;
	uint64_t length;                  /* bytes of dataset in fd */
	char ts_uid[DCMFILE_UID_MAX + 1]; /* the syntax written */
	int lossy; /* 1 when this call compressed lossily (allow_lossy) */
	/* the SOP Instance UID written: the file's, or after a lossy
	 * compression a new one (2.25 form) that the C-STORE must carry */
	char sop_instance[DCMFILE_UID_MAX + 1];
	double ratio;    /* lossy: Lossy Image Compression Ratio added */
	uint32_t frames; /* frames of pixel data converted, 0 when none */
	uint32_t padded; /* dcmfile_pad_odd_fd: values given a pad byte */
	uint32_t group_lengths; /* group lengths (gggg,0000) dropped */
	/* 1: lossy-coded pixels were decoded and Lossy Image Compression
	 * (0028,2110) set to "01" (it was absent or said otherwise) */
	int lossy_marked;
	/* bytes after the end of a Deflated source's stream, neither its
	 * pad nor zeros, left out (no part of its data set: xcode_zlib.h) */
	uint64_t deflate_tail;
};

/*
 * Reads the DICOM file at path (Part 10, or a bare dataset) and writes
 * its dataset in transfer syntax ts_uid to an unlinked temporary file
 * described in *out.  The streaming transcoder (xcode.h) does it: every
 * element but Pixel Data copied as it is, pixel data decoded frame by
 * frame and encoded again for a compressed ts_uid, checked, only what
 * the change of encoding requires changed (see xcode.h); a lossy
 * compression gets a new SOP Instance UID (out->sop_instance).  The
 * file is mapped, never read whole into memory.  Deflated Explicit VR
 * LE is inflated into a mapped temporary file, and deflated as it is
 * written (xcode_zlib.h); only the other deflated syntaxes still go
 * through GDCM's whole-file rewrite.  Messages of GDCM and its libraries (dcmfile_codec_verbose)
 * wait in this thread's buffer (dcmfile_codec_messages).  Returns 0, or:
 *   CS_E_INVAL        NULL argument;
 *   CS_E_UNSUPPORTED  dcmfile_can_transcode(file's TS, ts_uid,
 *                     allow_lossy) is 0, or the conversion cannot be
 *                     done or cannot be checked (why in err), or the
 *                     GDCM module cannot be loaded when it is needed;
 *   CS_E_NOTDICOM, CS_E_TRUNCATED, CS_E_PROTO  the source is not DICOM
 *                     or malformed;
 *   CS_E_IO           the file cannot be read, the temporary file
 *                     cannot be made or written (CS_E_NOSPACE when the
 *                     disk is full);
 *   CS_E_NOMEM        out of memory.
 * On error out->fd is -1 and nothing is left behind.
 */
int dcmfile_transcode(const char *path, const char *ts_uid, int allow_lossy,
    struct dcmfile_transcoded *out, struct cs_err *err);

/*
 * The same for the file fd is open on (read with pread and mmap: its
 * offset does not matter; it stays open, the caller's), path naming it
 * in messages only: what a sender probed is what it converts, even if
 * the name was given to another file since.
 */
int dcmfile_transcode_fd(int fd, const char *path, const char *ts_uid,
    int allow_lossy, struct dcmfile_transcoded *out, struct cs_err *err);

/*
 * dcmfile_transcode_fd for a data set of odd total length, which no PDV
 * can carry (PS3.8 E.1): every value of odd length also gets one pad
 * byte (PS3.5 7.1.1; a space for text VRs, a NUL for UI and the binary
 * ones; xcode.h pad_odd).  ts_uid may be the file's own syntax: then
 * only the padding changes, and an odd-length fragment that ends a
 * code stream gets a NUL too (xcode.h).  CS_E_UNSUPPORTED also when the
 * result would still be odd (odd bytes outside values: an odd fragment
 * inside a code stream...), a padded value would not fit its 16-bit
 * length, or the source is in a deflated syntax other than Deflated
 * Explicit VR LE.
 */
int dcmfile_pad_odd_fd(int fd, const char *path, const char *ts_uid,
    int allow_lossy, struct dcmfile_transcoded *out, struct cs_err *err);

/* ---- end of transcoding section ------------------------------------- */

/* ---- pixel codecs (section owner: transcoder, lib/dcmfile/xcode.c) --- */

/*
 * One frame of an image as the Image Pixel module describes it (PS3.3
 * C.7.6.3).  photometric is the trimmed Photometric Interpretation.
 */
struct dcmfile_image {
	uint32_t rows, cols;
	uint16_t samples;        /* Samples per Pixel */
	uint16_t bits_allocated; /* 8, 16 (or 32: RLE only, not here) */
	uint16_t bits_stored;
	uint16_t high_bit;
	uint16_t pixel_rep; /* 0 unsigned, 1 two's complement */
	uint16_t planar;    /* Planar Configuration, 0 or 1 */
	char photometric[17];
};

/*
 * Decodes one frame of JPEG (any process), JPEG-LS or JPEG 2000 (ts_uid
 * says which) through GDCM's codecs.  in/in_len: the frame's fragments,
 * concatenated.  out/out_len: room for exactly one native frame (rows x
 * cols x samples x bits_allocated/8), little endian.  *got is img as the
 * decoder left it: photometric may change (YBR_FULL_422 -> RGB for a
 * JPEG that libjpeg converts) and planar may be 1.  Returns 0, or
 *   CS_E_UNSUPPORTED  not a syntax this handles, the GDCM module cannot
 *                     be loaded, or GDCM cannot decode the stream;
 *   CS_E_PROTO        the decoder produced a frame of another size or
 *                     another sample layout than img says;
 *   CS_E_NOMEM.
 * Thread-safe.  Messages of GDCM and its libraries, when
 * dcmfile_codec_verbose asked for them, go to this thread's buffer
 * (dcmfile_codec_messages).  GDCM runs in a child process (a
 * worker of a shared pool, gdcm_jail.h): a crash there is CS_E_UNSUPPORTED,
 * "the decoder crashed (SIGABRT)", and this process goes on; so is a
 * frame not done within its limit (dcmfile_codec_timeout), "the decoder
 * did not finish within N s" (the worker is killed).
 */
int dcmfile_codec_decode(const char *ts_uid, const struct dcmfile_image *img,
    const void *in, size_t in_len, void *out, size_t out_len,
    struct dcmfile_image *got, struct cs_err *err);

/*
 * How many threads a frame that the calling thread decodes may use
 * inside its codec (OpenJPEG's own, for JPEG 2000; the others use one):
 * 1 decodes on the calling thread alone, n > 1 lets the codec add
 * threads up to n, 0 (the default) leaves it to the codec (GDCM asks
 * OpenJPEG for one per processor of the machine, whatever the CPU
 * affinity).  A caller converting on several threads at once gives each
 * its share of the cores, so that threads x n stays within them.  Per
 * thread, like errno; does not load the module.
 */
void dcmfile_codec_threads(unsigned n);

/*
 * The least time GDCM is given for one call (a frame decoded or encoded,
 * a whole-file rewrite), in seconds; 0 restores the default, 60.  A call
 * gets 4 s a MiB of its frame (of the file for a rewrite) when that is
 * more (gdcm_jail.h).  Past it the GDCM process is killed and the call
 * fails with CS_E_UNSUPPORTED.  Process-wide; a call made in this
 * process (no GDCM process could be started) has no limit.
 */
void dcmfile_codec_timeout(unsigned s);

/*
 * Encodes one native frame (little endian, img's layout) in ts_uid:
 * JPEG Lossless SV1, JPEG-LS Lossless, JPEG 2000 Lossless Only, or with
 * lossy non-zero JPEG Baseline/Extended, JPEG-LS Near-Lossless (NEAR 2)
 * and JPEG 2000.  *out (malloc'd, the caller frees it with free) gets
 * the compressed frame as one byte stream, *out_len its length.  Returns
 * 0, CS_E_UNSUPPORTED (syntax, module, or GDCM refuses the layout),
 * CS_E_INVAL (a lossy syntax without lossy), CS_E_NOMEM.  Thread-safe.
 * In a child process, as dcmfile_codec_decode ("the encoder crashed").
 */
int dcmfile_codec_encode(const char *ts_uid, const struct dcmfile_image *img,
    const void *in, size_t in_len, int lossy, uint8_t **out, size_t *out_len,
    struct cs_err *err);

/*
 * Moves the messages GDCM, libjpeg, CharLS and OpenJPEG gave since the
 * last call on this thread into buf (cap bytes, NUL-terminated, one
 * message a line, cut at cap) and forgets them.  Returns the length
 * written; 0 when there were none or the module is not loaded.
 */
size_t dcmfile_codec_messages(char *buf, size_t cap);

/*
 * Whether GDCM and its libraries report messages at all (process-wide,
 * as GDCM's trace is; call it before converting anything).  Off by
 * default: GDCM's trace is then off and the codecs of several threads
 * run at once.  On (a user asked for them, e.g. dcmsend -v): they are
 * collected for dcmfile_codec_messages, and GDCM is called by one
 * thread at a time, since its one message stream cannot be shared.
 * Does not load the module.  What libjpeg and OpenJPEG would print to
 * stderr themselves is routed the same way (dcmfile_gdcm.cpp): never
 * printed, collected when on.
 */
void dcmfile_codec_verbose(int on);

/* ---- end of pixel codecs section ------------------------------------ */

/* ---- GDCM's UID dictionary (section owner: registries) -------------- */

/*
 * GDCM's table of well-known UIDs (gdcm::UIDs), for the unit test that
 * checks our registries against it.  dcmfile_gdcm_uid_count returns the
 * number of slots; dcmfile_gdcm_uid_at sets *uid and *name to static
 * strings of slot i and returns 0, or returns CS_E_NOTFOUND for an empty
 * or out-of-range slot (*uid and *name are then NULL).  Without the GDCM
 * module: a count of 0, and CS_E_UNSUPPORTED.
 */
size_t dcmfile_gdcm_uid_count(void);
int dcmfile_gdcm_uid_at(size_t i, const char **uid, const char **name);

/* ---- end of GDCM UID dictionary section ----------------------------- */

/* Sets the function pointer at fn (size bytes) to symbol name of the
 * dlopen'd h, or NULL when h lacks it (dcmfile_load.c). */
void dcmfile_sym(void *h, const char *name, void *fn, size_t size);

#ifdef __cplusplus
}
#endif

#endif
