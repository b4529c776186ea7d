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
int dcmfile_can_transcode(const char *from_ts, const char *to_ts,
    int allow_lossy);

/* The result of dcmfile_transcode. */
struct dcmfile_transcoded {
	/*
	 * An unlinked temporary file (O_TMPFILE, or mkstemp then unlink) in
	 * $TMPDIR or /tmp, holding the dataset only (no preamble, no meta),
	 * positioned at offset 0, close-on-exec.  The caller owns it and
	 * closes it; it vanishes then.  Suited to sendfile(2).  -1 on error.
	 */
	int fd;
	uint64_t length;                    /* bytes of dataset in fd */
	char ts_uid[DCMFILE_UID_MAX + 1];   /* the syntax written */
	int lossy; /* 1 when this call compressed lossily (allow_lossy) */
};

/*
 * Reads the DICOM file at path (Part 10, or a bare dataset GDCM can
 * read) and writes its dataset in transfer syntax ts_uid to an unlinked
 * temporary file described in *out.  Pixel data is decoded and, for a
 * compressed ts_uid, encoded again (GDCM ImageChangeTransferSyntax);
 * everything else is re-encoded element by element.  The SOP Class and
 * Instance UIDs are kept.  GDCM holds the whole dataset in memory while
 * it works.  Returns 0, or:
 *   CS_E_INVAL        NULL argument;
 *   CS_E_UNSUPPORTED  dcmfile_can_transcode(file's TS, ts_uid,
 *                     allow_lossy) is 0, or GDCM cannot code the pixels
 *                     (e.g. JPEG Baseline for 16-bit data), or the
 *                     GDCM module cannot be loaded;
 *   CS_E_NOTDICOM     GDCM cannot read the file;
 *   CS_E_IO           the temporary file cannot be made or written
 *                     (CS_E_NOSPACE when the disk is full);
 *   CS_E_NOMEM        out of memory.
 * On error out->fd is -1 and nothing is left behind.
 */
int dcmfile_transcode(const char *path, const char *ts_uid, int allow_lossy,
    struct dcmfile_transcoded *out, struct cs_err *err);

/* ---- end of transcoding section ------------------------------------- */

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

#ifdef __cplusplus
}
#endif
#endif
