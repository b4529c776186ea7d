/*
 * gdcm_jail.h - runs one call into the GDCM module (a frame decoded or
 * encoded, a whole-file rewrite) in a child process, so that an assert
 * or a crash in GDCM, libjpeg or OpenJPEG ends that call with an error
 * instead of ending the program (dcmsend: the files after it lost, no
 * result lines).  Used by dcmfile_load.c only.
 *
 * The child is forked per call from the calling thread, after the module
 * was loaded (it inherits it: no dlopen in the child); it runs the call,
 * writes its answer to a pipe (struct gdcm_answer, then the bytes, then
 * the module's messages) and leaves with _exit (no atexit handlers, no
 * stdio flush, no leak check).  The parent reads the answer as it comes,
 * then reaps the child.  A child that dies before its answer is whole
 * is reported as "the <who> crashed (SIGABRT)" (or "... ended without
 * an answer (exit status N)"), CS_E_UNSUPPORTED: the caller treats it as
 * a frame GDCM cannot convert.  A hung codec still hangs (no timeout).
 */
#ifndef CS_DCMFILE_GDCM_JAIL_H
#define CS_DCMFILE_GDCM_JAIL_H

#include <stddef.h>
#include <stdint.h>

#include "dcmfile/dcmfile.h"

/* What the child answers; the parent's copy after the call. */
struct gdcm_answer {
	int rc;
	struct cs_err err;
	struct dcmfile_image got;     /* decode */
	struct dcmfile_transcoded tc; /* transcode: tc.fd, see below */
	uint64_t data_len;            /* bytes after the answer */
	uint32_t msg_len;             /* then the module's messages */
};

/*
 * In the child: makes the call, fills *a (a->rc, a->err...) and points
 * *data at a->data_len bytes to hand back (a decoded frame, an encoded
 * stream), or leaves it NULL.  A transcode leaves its unlinked result
 * open as a->tc.fd: the parent opens it again through /proc before the
 * child ends.
 */
typedef void (*gdcm_jail_fn)(void *ctx, struct gdcm_answer *a, const void **data);

/*
 * Runs fn(ctx) in a child; messages (the module's dcmfile_codec_messages)
 * is called there after it, and what it gave is kept for
 * gdcm_jail_messages on this thread.  The bytes go to dst (dst_len: they
 * must be exactly that many) or, dst NULL, to *alloc (malloc'd, the
 * caller's).  *a is the answer (a->tc.fd the parent's own descriptor,
 * or -1).  Returns a->rc with err set from the answer, or an error of
 * the jail itself (no child: CS_E_NOMEM or CS_E_IO; a child that died:
 * CS_E_UNSUPPORTED; an answer that does not fit: CS_E_PROTO).
 */
int gdcm_jail_run(const char *who, gdcm_jail_fn fn, void *ctx,
    size_t (*messages)(char *, size_t), void *dst, size_t dst_len,
    uint8_t **alloc, struct gdcm_answer *a, struct cs_err *err);

/* dcmfile_codec_messages: what the children of this thread said. */
size_t gdcm_jail_messages(char *buf, size_t cap);

#endif
