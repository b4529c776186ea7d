/*
 * ts.h - the one table of transfer syntaxes cstore handles, and what it
 * does with each: how the data set is encoded, which codec reads and
 * writes the pixel data, whether coding in it loses information, and
 * whether it may be written.  Generated from data/transfer-syntaxes.tsv
 * (capabilities) and data/uids.tsv (UIDs) into ts_table.c; the UIDs of
 * every transfer syntax are named TS_UID_<PS3.6 keyword> (ts_uids.h).
 * Read by the C code and by the GDCM adapter (C++) alike.
 */
#ifndef CS_CORE_TS_H
#define CS_CORE_TS_H

#include <stddef.h>

#include "core/ds_elem.h"
#include "core/ts_uids.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Who codes the pixel data. */
enum ts_codec {
	TS_CODEC_NONE,   /* nobody here: never decoded, never written */
	TS_CODEC_NATIVE, /* not compressed: copied (byte-swapped for BE) */
	TS_CODEC_RLE,    /* our own PS3.5 Annex G codec (dcmfile/rle.h) */
	TS_CODEC_JPEG,   /* GDCM: libjpeg, 8/12/16-bit builds */
	TS_CODEC_JPEGLS, /* GDCM: CharLS */
	TS_CODEC_J2K     /* GDCM: OpenJPEG */
};

/* struct ts_entry.flags */
#define TS_F_DEFLATED 0x1u     /* the whole data set is deflated (PS3.5 A.5) */
#define TS_F_ENCAPSULATED 0x2u /* pixel data in fragments (PS3.5 A.4) */
#define TS_F_LOSSY 0x4u        /* coding in it loses information */
#define TS_F_WRITE 0x8u        /* cstore may convert into it */

struct ts_entry {
	const char *uid;
	const char *keyword; /* PS3.6 keyword */
	enum ds_enc enc; /* the data set's encoding (inflated, if deflated) */
	enum ts_codec codec;
	unsigned flags;      /* TS_F_* */
	const char *aliases; /* other names, comma-separated ("" for none) */
};

extern const struct ts_entry ts_table[];
extern const size_t ts_table_len;

/* The entry for uid, or NULL (NULL uid, or a syntax cstore does not know). */
const struct ts_entry *ts_find(const char *uid);
/* The entry whose keyword or one of whose aliases is name, in any letter
 * case ("jpegbaseline"), or NULL. */
const struct ts_entry *ts_by_name(const char *name);

/* 1 when t's pixel data is coded by GDCM (JPEG, JPEG-LS, JPEG 2000). */
int ts_is_gdcm(const struct ts_entry *t);
/* 1 when t's Pixel Data is one video stream cut into fragments anywhere
 * (MPEG-2, MPEG-4, HEVC: PS3.5 8.2.5-8.2.7), not frames in fragments of
 * their own (PS3.5 A.4); else 0 (NULL too). */
int ts_is_stream(const struct ts_entry *t);
/* 1 when uid is one of the deflated syntaxes (the data set itself is
 * compressed, PS3.5 A.5, A.7, A.12), else 0 (unknown ones too). */
int ts_is_deflated(const char *uid);

#ifdef __cplusplus
}
#endif
#endif
