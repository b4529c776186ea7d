/*
 * follow_queue.h - dcmsend --follow's input: a thread reads the list
 * stream (stdin) as fast as it comes, so that the program feeding the
 * pipe (dcmrecv -0) never waits on the archive, into a queue the
 * sender takes from.  Up to FQ_MEM_MAX records wait in memory; past
 * that they spill to an unlinked temporary file (length-prefixed
 * records, read back in order), so the queue is bounded in memory and
 * not in length; where no such file can be written ($TMPDIR full), the
 * reader waits for room in memory instead.  Records: one path per line (a trailing '\r' dropped)
 * or NUL-separated; empty ones are ignored, and one naming a directory
 * is skipped with a note on stderr (unless quiet), as in a list read
 * whole (inputs.h).  Paths given as operands come first (fq_add_path
 * before fq_start).
 */
#ifndef CS_CLI_FOLLOW_QUEUE_H
#define CS_CLI_FOLLOW_QUEUE_H

#include <pthread.h>
#include <stdio.h>

#include "cstore/storescu.h"

#define FQ_MEM_MAX 4096
#define FQ_TAKE_MAX 64

struct fq {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	char **mem; /* ring of FQ_MEM_MAX owned paths */
	size_t head, count;
	int spill_fd;             /* -1 until the first spill */
	off_t spill_rd, spill_wr; /* next record to read, end */
	size_t spilled;           /* records in the spill file */
	int no_spill;     /* the spill file failed: the reader waits for room */
	int eof;          /* the stream ended (or failed) */
	char errmsg[200]; /* why it failed, or "" */
	int in_failed;    /* the stream itself could not be read (errmsg) */
	FILE *in;         /* NULL: no stream */
	int nul, quiet;
	pthread_t tid;
	int started;
	char *taken[FQ_TAKE_MAX]; /* handed out by the last fq_take */
	size_t n_taken;
};

/* Starts an empty queue reading in (NULL: operands only). 0 or -1. */
int fq_init(struct fq *q, FILE *in, int nul, int quiet);
/* Queues a path given as an operand (before fq_start).  0 or -1. */
int fq_add_path(struct fq *q, const char *path);
/* Starts the reader thread.  0 or -1 (errno). */
int fq_start(struct fq *q);
/*
 * Adds the paths of the file and directory operands ops[0..nops-1] ("-"
 * is the stream, skipped here), expanded as dcmsend does for a plain
 * send (nul, quiet: as operands_collect).  Returns 0 or an exit status.
 */
int fq_add_operands(struct fq *q, int nops, char **ops, int nul, int quiet);
/*
 * storescu_next_fn: up to max paths (valid until the next call),
 * waiting at most wait_ms (-1 forever) for the first.  > 0, 0 (none in
 * time) or -1 (the stream ended and the queue is empty).
 */
long fq_take(void *q, const char **out, size_t max, int wait_ms);
/*
 * The run gave up (why): each path queued by now, read from the stream
 * but never handed to the sender, gets a result through
 * o->on_result(o->user, ...), indexed on from sum->inputs and counted
 * in sum, so that every input read has its line: "resumed" when
 * o->already_stored says so (--resume, as the sender would have),
 * else "notsent".  Takes only what is queued: never waits for the
 * stream.
 */
void fq_give_up(struct fq *q, const char *why,
    const struct storescu_send_opts *o, struct storescu_summary *sum);
/* Why the stream failed to be read ("" if it did not). */
const char *fq_error(struct fq *q);
/* Frees what is left; the reader thread must have ended (end of stream). */
void fq_release(struct fq *q);

#endif
