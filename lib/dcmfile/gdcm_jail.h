/*
 * gdcm_jail.h - runs the calls into the GDCM module (a frame decoded or
 * encoded, a whole-file rewrite) in a child process, so that an assert
 * or a crash in GDCM, libjpeg or OpenJPEG ends that call with an error
 * instead of ending the program (dcmsend: the files after it lost, no
 * result lines).  Used by dcmfile_load.c only.
 *
 * Frames go to a small pool of workers shared by the calling threads
 * (gdcm_jail_call: one per usable core, two pipes each), forked
 * after the module was loaded (it inherits it: no dlopen there); a
 * whole-file rewrite forks a child of its own (gdcm_jail_run).  Every
 * child closes the descriptors it inherited but its own, and dumps no
 * core.  The child writes its answer to its pipe (struct gdcm_answer,
 * then the bytes, then the module's messages); a worker then waits for
 * the next request, a rewrite's child leaves with _exit (no atexit
 * handlers, no stdio flush, no leak check).  The parent reads the answer
 * as it comes.  A child that dies before its answer is whole is reported as
 * "the <who> crashed (SIGABRT)" (or "... ended without an answer (exit
 * status N)"), CS_E_UNSUPPORTED: the caller treats it as a frame GDCM
 * cannot convert.  A child whose whole answer has not come within its
 * limit (a codec in an endless loop or a deadlock) is killed (SIGKILL)
 * and reaped, and the call fails the same way: "the <who> did not
 * finish within N s"; a worker is then replaced for the next call.  The
 * limit scales with the size of the call's pixels, with a generous
 * floor: GDCM_JAIL_S_PER_MIB seconds a MiB of the frame (a decode's
 * output, an encode's input; a whole-file rewrite: the file's size), at
 * least GDCM_JAIL_FLOOR_S (gdcm_jail_limit_floor).  When no
 * child can be started for want of descriptors, processes or memory
 * (EMFILE, ENFILE, EAGAIN, ENOMEM), the call is made in this process,
 * not contained and without a limit (a thread cannot be stopped safely
 * inside GDCM: it holds its locks and memory), as before there was a
 * jail, and the thread's messages say so once a process: under that
 * pressure a file converts as it did then instead of failing.
 *
 * The workers are forked by one detached thread of this process, named
 * gdcm-spawner, started with the first worker and living as long as the
 * process (PR_SET_PDEATHSIG fires when the forking thread ends, and the
 * converting threads come and go), with a pthread_atfork handler that
 * forgets it in a child.
 */
#ifndef CS_DCMFILE_GDCM_JAIL_H
#define CS_DCMFILE_GDCM_JAIL_H

#include <stddef.h>
#include <stdint.h>

#include "dcmfile/dcmfile.h"

/* A call's time limit: this many seconds a MiB of pixels (OpenJPEG's
 * lossless encode with its check ran at about 2 MiB/s on a loaded two-core
 * machine: 8 times that), and at least GDCM_JAIL_FLOOR_S seconds. */
#define GDCM_JAIL_S_PER_MIB 4
#define GDCM_JAIL_FLOOR_S 60

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
typedef void (*gdcm_jail_fn)(
    void *ctx, struct gdcm_answer *a, const void **data);

/*
 * Runs fn(ctx) in a child (which keeps keep_fd open, -1: none; size: the
 * bytes its limit scales with); messages (the module's dcmfile_codec_messages)
 * is called there after it, and what it gave is kept for
 * gdcm_jail_messages on this thread.  The bytes go to dst (dst_len: they
 * must be exactly that many) or, dst NULL, to *alloc (malloc'd, the
 * caller's).  *a is the answer (a->tc.fd the parent's own descriptor,
 * or -1).  Returns a->rc with err set from the answer, or an error of
 * the jail itself (no child: CS_E_NOMEM or CS_E_IO; a child that died:
 * CS_E_UNSUPPORTED; an answer that does not fit: CS_E_PROTO).
 */
int gdcm_jail_run(const char *who, gdcm_jail_fn fn, void *ctx, int keep_fd,
    uint64_t size, size_t (*messages)(char *, size_t), void *dst,
    size_t dst_len, uint8_t **alloc, struct gdcm_answer *a, struct cs_err *err);

/* One frame to decode or encode, as a worker gets it. */
enum gdcm_op { GDCM_OP_DECODE = 1, GDCM_OP_ENCODE = 2 };
struct gdcm_request {
	int op; /* enum gdcm_op */
	char ts_uid[DCMFILE_UID_MAX + 1];
	struct dcmfile_image img;
	uint64_t in_len;  /* bytes after the request */
	uint64_t out_len; /* decode: the frame's size */
	int lossy;        /* encode */
	unsigned threads; /* decode: dcmfile_codec_threads */
};

/*
 * In the worker: makes the call q asks for on in (q->in_len bytes), out
 * a buffer of q->out_len bytes (a decode's frame); fills *a and points
 * *data at a->data_len bytes to hand back (out, or a buffer the worker
 * frees with free after sending it).
 */
typedef void (*gdcm_jail_serve)(const struct gdcm_request *q, const void *in,
    void *out, struct gdcm_answer *a, const void **data);

/*
 * gdcm_jail_run for one frame, by a worker of the pool: a child that
 * serves calls one after the other (a fork per frame cost more than JPEG
 * decoding itself), one thread's at a time (a thread waits while every
 * worker is busy), with every descriptor but its pipes closed, ended
 * when the process ends (reaped at exit; its request pipe closing ends it
 * otherwise), replaced after a crash or a failed call (GDCM may leak on
 * one) and after GDCM_WORKER_CALLS calls (what it still shares of this
 * process at its fork stays bounded).  The bytes go to dst (q->out_len
 * of them) or *alloc, as with gdcm_jail_run.
 * The worker says it has taken the whole request (one byte) before it
 * serves it: a worker that ends, or stops reading, before that (what
 * broke it came before: the call it served last) does not fail this
 * frame; a new worker in its place gets it once more.
 */
int gdcm_jail_call(const char *who, gdcm_jail_serve serve,
    size_t (*messages)(char *, size_t), const struct gdcm_request *q,
    const void *in, void *dst, uint8_t **alloc, struct gdcm_answer *a,
    struct cs_err *err);

/* The least time a call is given, in seconds (0: GDCM_JAIL_FLOOR_S);
 * process-wide (dcmfile_codec_timeout). */
void gdcm_jail_limit_floor(unsigned s);

/* Workers started before this call are replaced at their next call
 * (dcmfile_codec_verbose: the trace setting they inherited changed). */
void gdcm_jail_renew(void);

/* dcmfile_codec_messages: what the children of this thread said. */
size_t gdcm_jail_messages(char *buf, size_t cap);

#endif
