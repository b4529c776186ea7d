/*
 * commit_index.h - the receiver's index of stored instances, which a
 * Storage Commitment request (PS3.4 Annex J) is checked against: one
 * line per file put in place, appended to DIR/.cstore-index:
 *
 *   SOP-CLASS-UID TAB SOP-INSTANCE-UID TAB BYTES TAB PATH LF
 *
 * PATH relative to the output directory, whatever the layout.  A line
 * is appended with one write(2) on an O_APPEND descriptor after the
 * file is in place (and, with fsync, after the file and its directory
 * are on disk; the index is then fdatasync'ed too), so several
 * associations, threads or processes may append at once.  A crash can
 * leave a torn last line: opening the index ends it with a newline so
 * that the next line stands on its own, and reading skips any line
 * that is not four well-formed fields.  A line only names a file: an
 * instance counts as held when the file at PATH still has BYTES bytes
 * (a torn line's cut path or size does not match a file).
 *
 * The receiver keeps the index in memory (commit_index_judge): each
 * instance's latest line is found through a map of instance UIDs to
 * line offsets, built once from the file at the first request and then
 * from what was appended since (by this process or any other), each
 * line read and checked once; a request then costs a pread and an
 * fstatat per instance, not a read of the whole file.  About 100 bytes
 * of memory per indexed instance.
 *
 * Ownership: caller-owned structs; pointers borrowed for each call.
 */
#ifndef CS_STORESCP_COMMIT_INDEX_H
#define CS_STORESCP_COMMIT_INDEX_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "cstore/cstore.h"
#include "core/commit_ds.h"
#include "core/strmap.h"

/* Under the output directory; starts with '.' as no layout name does. */
#define COMMIT_INDEX_NAME ".cstore-index"

struct commit_index_line; /* commit_index.c */

struct commit_index {
	int dirfd;     /* the output directory (borrowed) */
	atomic_int fd; /* the index, O_APPEND, or -1 before the first line */
	int fsync;     /* fdatasync after each line */
	pthread_mutex_t mu; /* creating it; appending a line */
	int torn;           /* under mu: an append of ours was cut short (a full
		     disk): the next line starts with LF, to stand alone */
	/* in memory (commit_index_judge), under map_mu */
	pthread_mutex_t map_mu;
	struct strmap map;               /* instance UID -> lines[] */
	struct commit_index_line *lines; /* its latest line */
	size_t n_lines, cap_lines;
	uint64_t read_off; /* the file read up to here (whole lines) */
	int skipping;      /* in a line too long to be ours */
	char *rbuf;        /* read buffer */
	/* without fsync: the index bytes (and so the files they name) that
	 * a syncfs started after they were written has made durable */
	pthread_mutex_t sync_mu;
	atomic_uint_fast64_t synced;
	atomic_uint_fast64_t syncs; /* syncfs calls made (for tests) */
};

/*
 * Opens the index under dirfd when there is one and ends a torn last
 * line; an output directory that never got a file gets no index (it is
 * created, mode 0664 less the umask, with the first line).  Returns 0
 * or CS_E_IO with detail in err (ix is then closed).
 */
int commit_index_open(
    struct commit_index *ix, int dirfd, int fsync, struct cs_err *err);
/* Closes the index and frees its memory; ix may be one whose open
 * failed, or closed. */
void commit_index_close(struct commit_index *ix);

/*
 * Appends the line of a file now in place: rel is its path under the
 * output directory.  Safe from several threads at once.  Returns 0, CS_E_INVAL (a tab or newline in a
 * field) or CS_E_IO (write or fdatasync failed; the object is then not
 * reported committed), detail in err.
 */
int commit_index_add(struct commit_index *ix, const char *sop_class,
    const char *sop_instance, uint64_t bytes, const char *rel,
    struct cs_err *err);

/* One instance of a commitment request and what the check found. */
struct commit_item {
	char sop_class[COMMIT_UID_MAX + 1];
	char sop_instance[COMMIT_UID_MAX + 1];
	/* 0: held; else the Failure Reason (commit_ds.h COMMIT_FAIL_*) */
	uint16_t reason;
};

/*
 * Checks the n items against the index under dirfd: each gets reason 0
 * when the latest line naming its instance names the same class and a
 * file of that size is at its path (not following a final symlink),
 * COMMIT_FAIL_CLASS_INSTANCE_CONFLICT when the instance is held under
 * another class, COMMIT_FAIL_NO_SUCH_INSTANCE otherwise.  Returns 0, or
 * CS_E_IO / CS_E_NOMEM (every item then gets COMMIT_FAIL_PROCESSING),
 * detail in err.  No index yet: every item is unknown.
 */
int commit_index_check(
    int dirfd, struct commit_item *items, size_t n, struct cs_err *err);

/*
 * The same through the open index ix, in memory: first what was
 * appended to the file since the last call is read.  With sync, the
 * held items are then made durable before this returns: a syncfs of
 * the output directory's file system, unless one started after every
 * held item's line was written (then nothing: the report costs no
 * flush when nothing it names was stored since).  Safe from several
 * threads at once.  Returns as commit_index_check; a failed syncfs
 * gives CS_E_IO and every item COMMIT_FAIL_PROCESSING.
 */
int commit_index_judge(struct commit_index *ix, struct commit_item *items,
    size_t n, int sync, struct cs_err *err);

#endif
