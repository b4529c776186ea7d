/*
 * inputs.h - dcmsend's operands expanded into an ordered list of paths.
 *
 * Order (documented in man/dcmsend.1 too):
 *   - operands in the order given; a file operand is taken as given,
 *     whatever its type: the sender opens every input with infile_open (dcmfile/infile.h),
 *     which refuses anything but a regular file without blocking;
 *   - a directory is walked depth-first; the entries of each directory
 *     are sorted by name in strcmp byte order (C locale: "B" < "a",
 *     "10" < "9"); files and subdirectories are interleaved by name, and
 *     a subdirectory's contents come at the place of its name (so the
 *     contents of directory "a" come before file "a.dcm");
 *   - dot-files and dot-directories are included, as DCMTK dcmsend +sd
 *     and dcm4che storescu include them (both skip only "." and "..");
 *     INPUTS_SKIP_DOT leaves them out; a receiver's own files are left
 *     out always, through on_skip: ".cstore-index" and ".cstore-tmp-*"
 *     (dcmrecv's named temporary files: objects not yet whole);
 *   - symbolic links are followed, to files and to directories, except
 *     a directory whose device and inode is already on the current path
 *     (a loop): it is skipped and reported through on_skip;
 *   - inside a walk, entries that are neither regular files nor
 *     directories (FIFOs, sockets, devices) are entries too, so that
 *     each gets a result line (infile_open (dcmfile/infile.h) refuses them);
 *   - a path that does not exist or cannot be stat'ed (dangling link),
 *     and a directory that cannot be opened, are still entries: the
 *     sender reports them as unreadable with the reason it gets when it
 *     opens them;
 *   - "-" reads a list: one path per line ('\n', a trailing '\r' is
 *     dropped) or NUL-separated; empty records are ignored; each record
 *     is a file taken literally (no walk) except that a record naming a
 *     directory is skipped and reported through on_skip, so that
 *     "find DIR -print0 | dcmsend -0 ..." works with or without -type f.
 *
 * Memory: the paths live in one growing arena plus an offset per path
 * (about strlen + 9 bytes each; a million paths are fine).  A pointer
 * returned by inputs_path is valid until the next inputs_add_* /
 * inputs_read_list call or inputs_release: copy it, or finish adding
 * first.  The list does not keep the FILE* or the strings it is given.
 *
 * Errors: CS_E_NOMEM; CS_E_IO when a directory that could be opened
 * cannot be read to the end or a list cannot be read (dropping files
 * silently would be worse than stopping); CS_E_INVAL for a NUL byte
 * inside a newline-separated list, or "-" without a list stream.  Paths
 * added before the error stay in the list.  errno is read right after
 * each failing call and turned into err->msg.
 */
#ifndef CS_CLI_INPUTS_H
#define CS_CLI_INPUTS_H

#include <stddef.h>
#include <stdio.h>

struct cs_err;

#define INPUTS_SKIP_DOT 0x01 /* leave out names starting with '.' in walks */
#define INPUTS_NUL_SEP 0x02  /* lists are NUL-separated (dcmsend -0) */

struct inputs_opts {
	unsigned flags; /* INPUTS_* */
	FILE *list;     /* what "-" reads (stdin); borrowed; may be NULL */
	/*
	 * Called for every entry left out of the list (loop, directory in a
	 * list), with a short lower-case reason; may be NULL.  path is
	 * valid during the call only.
	 */
	void (*on_skip)(void *ctx, const char *path, const char *why);
	void *skip_ctx;
};

struct inputs {
	struct inputs_opts opts;
	char *arena; /* NUL-terminated paths back to back */
	size_t arena_len, arena_cap;
	size_t *off; /* off[i]: start of path i in arena */
	size_t n, cap;
};

/* Starts an empty list; opts may be NULL (no flags, no list stream). */
void inputs_init(struct inputs *in, const struct inputs_opts *opts);
/* Frees the paths; in may be initialised again. */
void inputs_release(struct inputs *in);
/* Number of paths. */
size_t inputs_count(const struct inputs *in);
/* Path i (i < count); see the lifetime rule above. */
const char *inputs_path(const struct inputs *in, size_t i);

/* Appends path as given, without looking at it.  CS_E_NOMEM. */
int inputs_add_path(struct inputs *in, const char *path, struct cs_err *err);
/*
 * Expands one operand: "-" reads opts.list, a directory is walked, and
 * anything else (a file, a missing path) is appended as given.
 */
int
inputs_add_operand(struct inputs *in, const char *operand, struct cs_err *err);
/*
 * Reads a list of paths from f up to its end (see the rules above);
 * nul_sep: NUL-separated records.  The caller decides when stdin is a
 * list (dcmsend: "-", or no operand and stdin not a terminal).
 */
int
inputs_read_list(struct inputs *in, FILE *f, int nul_sep, struct cs_err *err);

#endif
