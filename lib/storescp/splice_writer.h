/*
 * splice_writer.h - a second thread that moves spliced data set bytes
 * from the pipe into the open file (store_splice.c).  For large objects
 * the receiver is the bottleneck and most of its CPU is the file
 * system's (page allocation and the copy from the pipe): done here, it
 * runs beside the I/O loop, which meanwhile splices the next PDVs from
 * the socket into the pipe, so that the receiver's work spreads over
 * two cores.  Bytes handed over are already in the pipe, in order; the
 * writer takes exactly those, written or (after a failure) dropped, so
 * that the pipe stays in step with the stream.
 */
#ifndef CSTORE_STORESCP_SPLICE_WRITER_H
#define CSTORE_STORESCP_SPLICE_WRITER_H

#include <stddef.h>
#include <stdint.h>

struct splice_writer;

/* A writer with its thread, or NULL (no thread: splice in the caller). */
struct splice_writer *splice_writer_new(void);
/* Waits for it to be idle, then ends the thread and frees w (NULL: no-op). */
void splice_writer_free(struct splice_writer *w);
/* Hands over len bytes now in pipe for file (file kept open by the
 * caller until splice_writer_wait; the pipe is duplicated).  Blocks
 * only to change pipe or file.  Returns 0, or -1 (nothing handed over:
 * no descriptor for the pipe). */
int splice_writer_post(struct splice_writer *w, int pipe, int file, size_t len);
/* When the backlog is over max bytes, waits until it is at most low
 * (one wait for several hand-overs, not one each). */
void splice_writer_drain_to(struct splice_writer *w, size_t max, size_t low);
/*
 * Waits until everything handed over is taken; *written is what went
 * into the file since the last call, *einval 1 when the file system
 * refused splice (the bytes were copied instead).  Returns 0, or the
 * errno of the first failed write since the last call (the bytes after
 * it were dropped), or -1 when the pipe held less than handed over (the
 * stream is out of step: the association must end).
 */
int splice_writer_wait(struct splice_writer *w, uint64_t *written, int *einval);

#endif
