/*
 * infile.h - opening an input file (dcmsend's inputs, sopclass-lookup
 * --file) so that a FIFO, socket or device is refused without blocking.
 */
#ifndef CS_DCMFILE_INFILE_H
#define CS_DCMFILE_INFILE_H

struct cs_err;
struct stat;

/*
 * Opens input path for reading, never blocking: open() with O_NONBLOCK
 * (a FIFO without a writer would wait for ever), then fstat on that fd,
 * so that what is checked is what was opened (no stat/open race).
 * Anything but a regular file (FIFO, socket, device, directory) is
 * closed again and refused.  Returns the fd (O_CLOEXEC, blocking again;
 * the caller closes it) or CS_E_IO with the reason in err (without the
 * path: callers put it where they print it).
 */
int infile_open(const char *path, struct cs_err *err);

/* infile_open that also gives what its fstat found (st, not NULL), for
 * a caller that would otherwise ask again. */
int infile_open_stat(const char *path, struct stat *st, struct cs_err *err);

/*
 * Was the file at fd written to since *was (what fstat said then): its
 * size or modification time moved, or its change time did (which no
 * user can set back) while its name (path, when not NULL) still leads to
 * it and its links, mode and owner stayed: a write of the same size
 * whose modification time was set back (cp -p over it, touch -r).  A
 * rename, or a chmod, chown or link that is still in place, moves only
 * the change time and is no change of its bytes; one undone or without
 * effect (a chmod to the same mode, a link made and removed again), a
 * change of its extended attributes or a time set explicitly (touch -a)
 * counts as a write: it cannot be told from one (a false alarm costs a
 * file reported unreadable, never a changed one sent).  For a sender that must never report a data set sent while its
 * file changed.  When now is not NULL, it gets what this fstat found
 * (valid when 1 is returned), for a caller that wants to know how it
 * changed without asking again.
 */
int infile_written_since(
    int fd, const char *path, const struct stat *was, struct stat *now);
/*
 * The rule of infile_written_since for two stats of one file taken at
 * different times (now from fstat or stat of path): 1 when it was
 * written to between them.  Only st_size, st_mtim, st_ctim, st_nlink,
 * st_mode, st_uid and st_gid of was are read.
 */
int infile_changed(
    const struct stat *was, const struct stat *now, const char *path);

#endif
