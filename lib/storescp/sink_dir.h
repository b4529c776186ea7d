/*
 * sink_dir.h - atomic writing of received objects into the output
 * directory.
 *
 * One struct sink_root per output directory (opened once; its directory
 * descriptor is shared read-only by every association).  One struct
 * sink per object:
 *
 *   sink_begin   creates the temporary file, in the directory where the
 *                object will be named (sink_begin_in) so that naming it
 *                never crosses a file system: an O_TMPFILE file (no
 *                name: it vanishes with the process, whatever kills it)
 *                where the file system has them, else
 *                .cstore-tmp-OWNER.RANDOM (O_CREAT|O_EXCL; OWNER as in
 *                sink_owner.h, for sink_root_sweep), mode 0664 less the
 *                umask, and prepares the Part 10 header;
 *   sink_write   appends dataset bytes exactly as received;
 *   sink_commit  creates the layout's subdirectories and links or
 *                renames the temporary file to its final name, applying
 *                the duplicate policy (a file made elsewhere than the
 *                final directory is copied there first when that is on
 *                another file system); or
 *   sink_abort   removes the temporary file.
 *
 * No partial file ever carries a final name: the temporary name starts
 * with '.', which a layout component never does (layout.h), and a file
 * appears under its final name only by rename(2)/link(2) once complete
 * (an O_TMPFILE file through linkat of its descriptor, AT_EMPTY_PATH,
 * or of /proc/self/fd/N where the kernel refuses that).
 * Every path is resolved from the root's descriptor, one component at a
 * time with O_NOFOLLOW, never through "..", so neither a symlink planted
 * inside DIR nor a chdir elsewhere in the process can redirect a write.
 *
 * After sink_commit returns (whatever it returns) or sink_abort, the
 * sink holds nothing and no temporary file remains; sink_abort may
 * always be called again.  Errors carry strerror text in err.
 *
 * Ownership: caller-owned structs; every pointer argument is borrowed
 * for the call.  A sink borrows its root, which must outlive it.
 */
#ifndef CS_STORESCP_SINK_DIR_H
#define CS_STORESCP_SINK_DIR_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include "cstore/cstore.h"

/* Every temporary file's name starts with this. */
#define SINK_TMP_PREFIX ".cstore-tmp-"
/*
 * A name taken by another object, or by the same one under
 * SINK_DUP_RENAME, gives way to NAME~2.EXT, NAME~3.EXT ... up to
 * NAME~SINK_NAMES_MAX.EXT (see sink_commit).  '~' is in no UID and in
 * no sanitised layout value.
 */
#define SINK_SUFFIX_CHAR '~'
#define SINK_NAMES_MAX 9999

struct sink_root {
	int dirfd;
	char path[PATH_MAX]; /* as given, for messages and final paths */
	/* path made absolute (from the working directory at open, links
	 * kept), and the directory it named then: a commit checks that it
	 * still does, since the final paths reported are path's */
	char where[PATH_MAX];
	uint64_t dev, ino;
	/* --- debris (issue 14) --- */
	uint64_t min_free; /* sink_begin refuses below this many free bytes */
	int named_only;    /* no O_TMPFILE (tests: $CSTORE_TEST_NO_TMPFILE) */
};

enum sink_dup {
	SINK_DUP_OVERWRITE = 0, /* replace the existing file (default) */
	SINK_DUP_KEEP,          /* keep it, drop ours, report SINK_KEPT */
	SINK_DUP_RENAME,        /* store ours as NAME~N.EXT as well */
	SINK_DUP_REJECT         /* drop ours, report SINK_REJECTED */
};

/* sink_commit results besides errors */
#define SINK_STORED 0
#define SINK_KEPT 1     /* SINK_DUP_KEEP found the name taken */
#define SINK_REJECTED 2 /* SINK_DUP_REJECT found the name taken */

/* sink_commit flags */
#define SINK_FSYNC 0x1u /* fsync the file before, its directory after */

/* The File Meta Information written first (PS3.10 7.1). */
struct sink_meta {
	const char *sop_class;    /* from the C-STORE command */
	const char *sop_instance; /* from the C-STORE command */
	const char *ts_uid;       /* the negotiated transfer syntax */
	const char *impl_uid;     /* ours: CS_IMPL_CLASS_UID */
	const char *impl_version; /* CS_IMPL_VERSION, or NULL */
	const char *source_ae;    /* the calling AE title, or NULL */
};

struct sink {
	const struct sink_root *root;
	int fd;                /* the temporary file, or -1 */
	int dirfd;             /* its directory (root's, or owned), or -1 */
	int tmpfile;           /* 1: fd is an O_TMPFILE file, not yet named */
	int own_dir;           /* dirfd is ours to close */
	int elsewhere;         /* sink_commit_to: reldir is another root's */
	char reldir[PATH_MAX]; /* that directory, relative to root ("" root) */
	int failed;            /* a write failed: commit refuses */
	uint64_t bytes;        /* written so far, header included */
	char tmpname[96];      /* in dirfd; "" when none (or O_TMPFILE) */
	uint8_t *meta;       /* the header, not yet written (owned), or NULL */
	size_t meta_len;     /* its length */
	char uid[65];        /* meta's SOP Instance UID, "" without meta */
	unsigned collisions; /* sink_commit: names held by other objects */
	int root_gone;       /* the last failure: the output directory removed,
			* moved or replaced (SINK_ROOT_GONE) */
};

/* What the peer hears when the output directory is gone (root_gone):
 * no disk of ours failed, and no path of ours goes out. */
#define SINK_ROOT_GONE "output directory unavailable"

/*
 * Opens the output directory path (which must exist) for writing into.
 * Returns 0, or CS_E_IO when it cannot be opened, is not a directory, or
 * is not writable (read-only file system, permissions), with the path
 * and strerror text in err; CS_E_INVAL if path is empty or too long.
 */
int
sink_root_open(struct sink_root *root, const char *path, struct cs_err *err);

/* sink_root_open naming the directory what in its errors
 * ("quarantine directory") */
int sink_root_open_as(struct sink_root *root, const char *path,
    const char *what, struct cs_err *err);

/* Closes the directory; root may be opened again.  Safe to repeat. */
void sink_root_close(struct sink_root *root);

/*
 * Startup cleanup: removes the regular files named SINK_TMP_PREFIX* in
 * the output directory and its subdirectories down to depth levels
 * (0: the directory only; at most 16) whose owner is gone
 * (sink_owner_gone): temporaries left by a receiver killed on a file
 * system without O_TMPFILE.  Those of a live receiver sharing the
 * directory, and names not in our format, are never touched.
 * Subdirectories whose names start with '.' and symlinks are not
 * entered.  *removed (if not NULL) counts the files removed.  Returns 0
 * or CS_E_IO (the output directory cannot be read; a file that cannot be
 * removed is skipped, with its name in err).
 */
int sink_root_sweep(struct sink_root *root, unsigned depth, unsigned *removed,
    struct cs_err *err);

/*
 * Parses "overwrite", "keep", "rename" or "reject" into *dup.  Returns
 * 0 or CS_E_INVAL (message names the word).
 */
int sink_dup_parse(const char *word, enum sink_dup *dup, struct cs_err *err);

/*
 * Starts an object: creates the temporary file in root and, if meta is
 * not NULL, encodes the Part 10 preamble and group 0002 through
 * part10_write_meta; they are written with the first sink_write (one
 * writev) or by sink_commit, and sink_bytes counts them at once.
 * Returns 0, or CS_E_INVAL (meta rejected by part10_write_meta),
 * CS_E_NOMEM or CS_E_IO; on failure no file remains and s may still be
 * aborted.
 */
int sink_begin(struct sink *s, const struct sink_root *root,
    const struct sink_meta *meta, struct cs_err *err);

/*
 * sink_begin with the temporary file in reldir ("" or NULL: the output
 * directory itself; else a relative path of components as sink_commit's
 * relpath, without a trailing '/'), whose missing directories are
 * created as sink_commit would (flags: SINK_FSYNC fsyncs the
 * directories that changed).  Give it the directory of the final
 * name, when known, so that naming the file never copies it.  Below
 * root->min_free free bytes in that directory's file system (statvfs
 * f_bavail), returns CS_E_NOSPACE before anything is created.
 */
int
sink_begin_in(struct sink *s, const struct sink_root *root, const char *reldir,
    unsigned flags, const struct sink_meta *meta, struct cs_err *err);

/*
 * An O_TMPFILE file made ahead in root's own directory, for the next
 * object (while its request is still on its way): a descriptor for
 * sink_begin_spare, or -1 where the file system has none.  Unused, it
 * vanishes with its descriptor (close it).
 */
int sink_spare(const struct sink_root *root);

/*
 * sink_begin_in, in the output directory itself when reldir is "" or
 * NULL, on *spare (from sink_spare; then set to -1: the sink owns it)
 * instead of a new file; else as sink_begin_in, *spare kept.
 */
int sink_begin_spare(struct sink *s, const struct sink_root *root,
    const char *reldir, int *spare, unsigned flags,
    const struct sink_meta *meta, struct cs_err *err);

/*
 * Appends n bytes (after the pending header, if any), retrying short
 * writes and EINTR.  Returns 0, or
 * CS_E_NOSPACE (ENOSPC, EDQUOT), CS_E_IO (any other error), CS_E_STATE
 * (no object open, or an earlier write failed).  After a failure the
 * object can only be aborted.
 */
int sink_write(struct sink *s, const void *p, size_t n, struct cs_err *err);
/*
 * A write into s's file failed with errno e, here or in the caller's own
 * splice(2): marks s failed and sets err as sink_write would, naming
 * the file.  Returns CS_E_NOSPACE (ENOSPC, EDQUOT) or CS_E_IO.
 */
int sink_write_failed(struct sink *s, int e, struct cs_err *err);

/*
 * Finishes the object: with SINK_FSYNC fsyncs the file, closes it,
 * creates the missing directories of relpath inside root (mode 0775 less
 * the umask; never through a symlink), then gives the file its name.
 * relpath must be relative, with non-empty components that are not "."
 * or ".." and do not start with SINK_TMP_PREFIX (any layout_render
 * result qualifies).  With SINK_FSYNC the directories that changed are
 * fsynced too.
 *
 * Naming never merges distinct objects.  The file is created under the
 * last component of relpath, NAME.EXT, only if that name is free (one
 * atomic renameat2 RENAME_NOREPLACE, or link; never a check then a
 * write), else under NAME~2.EXT, NAME~3.EXT ... (SINK_NAMES_MAX).  A
 * taken name is judged by the SOP Instance UID in the existing file's
 * meta header (read through part10_probe_fd), never by the name:
 *   - another instance, or anything that is not a readable DICOM file:
 *     the next name is tried and s->collisions counts it (the caller
 *     warns);
 *   - the same instance (a re-send), by dup: SINK_DUP_OVERWRITE
 *     replaces that file (RENAME_EXCHANGE, the file displaced checked
 *     again: a different object swapped in by a concurrent receiver
 *     meanwhile is moved to a free name, not removed); SINK_DUP_KEEP
 *     and SINK_DUP_REJECT leave it and return SINK_KEPT or
 *     SINK_REJECTED; SINK_DUP_RENAME tries the next name.
 * Two receivers sharing the directory thus lose nothing.  Without meta
 * (sink_begin's meta NULL) no UID is known and the name alone decides,
 * as before.
 *
 * Writes the path of the file to final (size finalsz, may be 0): root's
 * path, '/', and the name used (the existing file's for SINK_KEPT and
 * SINK_REJECTED).  Returns SINK_STORED, SINK_KEPT, SINK_REJECTED, or
 * CS_E_INVAL (bad relpath), CS_E_STATE (no object open or a write
 * failed), CS_E_NOSPACE or CS_E_IO (a component is a symlink or not a
 * directory, every name up to NAME~SINK_NAMES_MAX taken, a system call
 * failed).  Except for SINK_STORED the temporary file is gone.
 */
int sink_commit(struct sink *s, const char *relpath, enum sink_dup dup,
    unsigned flags, char *final, size_t finalsz, struct cs_err *err);

/*
 * sink_commit into another output directory, to (the quarantine): the
 * same naming, duplicate policy and flags, relpath relative to to;
 * moved by rename or link on one file system, else copied.  final gets
 * to's path and the name.  to must outlive the call only.
 */
int sink_commit_to(struct sink *s, const struct sink_root *to,
    const char *relpath, enum sink_dup dup, unsigned flags, char *final,
    size_t finalsz, struct cs_err *err);

/* Drops the object: closes and removes the temporary file, if any. */
void sink_abort(struct sink *s);

/* Bytes written so far for the current (or last committed) object. */
uint64_t sink_bytes(const struct sink *s);

#endif
