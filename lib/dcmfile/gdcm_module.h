/*
 * gdcm_module.h - the entry points of the GDCM module cstore-gdcm.so
 * (built from dcmfile_gdcm.cpp), which dcmfile_load.c dlopens on the
 * first call to a GDCM-backed function of dcmfile.h.  Each mirrors the
 * dcmfile.h function of the same suffix; plain C, no exception crosses.
 * Their one caller, dcmfile_load.c, has reset the outputs and refused
 * NULL arguments before it calls them.
 * Change CSTORE_GDCM_ABI whenever a signature here or a struct they
 * share (struct cs_err, struct dcmfile_transcoded, struct dcmfile_image)
 * changes.
 */
#ifndef CS_DCMFILE_GDCM_MODULE_H
#define CS_DCMFILE_GDCM_MODULE_H

#include "dcmfile/dcmfile.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The module's file name, and its directory under $(LIBDIR). */
#define CSTORE_GDCM_MODULE_NAME "cstore-gdcm.so"
#define CSTORE_GDCM_MODULE_SUBDIR "cstore"
#define CSTORE_GDCM_ABI 7

#define CS_GDCM_ENTRY __attribute__((visibility("default")))

/* Returns CSTORE_GDCM_ABI of the module's build. */
CS_GDCM_ENTRY int cstore_gdcm_abi(void);
/* dcmfile_transcode. */
CS_GDCM_ENTRY int cstore_gdcm_transcode(const char *path, const char *ts_uid,
    int allow_lossy, struct dcmfile_transcoded *out, struct cs_err *err);
/* dcmfile_codec_decode, with the calling thread's dcmfile_codec_threads. */
CS_GDCM_ENTRY int
cstore_gdcm_decode(const char *ts_uid, const struct dcmfile_image *img,
    const void *in, size_t in_len, void *out, size_t out_len, unsigned threads,
    struct dcmfile_image *got, struct cs_err *err);
/* dcmfile_codec_encode. */
CS_GDCM_ENTRY int cstore_gdcm_encode(const char *ts_uid,
    const struct dcmfile_image *img, const void *in, size_t in_len, int lossy,
    uint8_t **out, size_t *out_len, struct cs_err *err);
/* dcmfile_codec_messages. */
CS_GDCM_ENTRY size_t cstore_gdcm_messages(char *buf, size_t cap);
/* dcmfile_codec_verbose. */
CS_GDCM_ENTRY void cstore_gdcm_trace(int on);
/* dcmfile_gdcm_uid_count. */
CS_GDCM_ENTRY size_t cstore_gdcm_uid_count(void);
/* dcmfile_gdcm_uid_at. */
CS_GDCM_ENTRY int
cstore_gdcm_uid_at(size_t i, const char **uid, const char **name);

#ifdef __cplusplus
}
#endif
#endif
