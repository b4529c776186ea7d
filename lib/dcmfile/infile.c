/* infile.c - opening an input file without blocking (see infile.h). */
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "cstore/cstore.h"
#include "dcmfile/infile.h"

#include "core/banned.h"

/* What a file that is not a regular file is, in words. */
static const char *
kind_of(mode_t m)
{
	if (S_ISFIFO(m))
		return "a FIFO";
	if (S_ISSOCK(m))
		return "a socket";
	if (S_ISCHR(m))
		return "a character device";
	if (S_ISBLK(m))
		return "a block device";
	if (S_ISDIR(m))
		return "a directory";
	return "a special file";
}

/*
 * The reason for a file that is not a regular one.  A directory comes
 * here when a walk could not open it: its own reason (permission
 * denied...) says more than what it is.
 */
static int
not_regular(const char *path, mode_t m, struct cs_err *err)
{
	if (S_ISDIR(m)) {
		int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

		if (fd < 0)
			return cs_err_set(err, CS_E_IO,
			    "a directory that cannot be read: %s",
			    strerror(errno));
		close(fd);
	}
	return cs_err_set(
	    err, CS_E_IO, "not a regular file but %s: not read", kind_of(m));
}

/*
 * An open that failed for want of descriptors (EMFILE, ENFILE): ours to
 * mend (ulimit -n), not the file's fault, so CS_E_RESOURCE, not CS_E_IO
 * (which the sender reports "unreadable").
 */
static int
no_descriptor(int e, struct cs_err *err)
{
	struct rlimit rl;

	if (e == EMFILE && getrlimit(RLIMIT_NOFILE, &rl) == 0 &&
	    rl.rlim_cur != RLIM_INFINITY)
		return cs_err_set(err, CS_E_RESOURCE,
		    "cannot open: too many open files (this process may "
		    "open %llu: ulimit -n)",
		    (unsigned long long)rl.rlim_cur);
	return cs_err_set(err, CS_E_RESOURCE, "cannot open: %s", strerror(e));
}

int
infile_open(const char *path, struct cs_err *err)
{
	struct stat st;

	return infile_open_stat(path, &st, err);
}

int
infile_open_stat(const char *path, struct stat *stp, struct cs_err *err)
{
	struct stat st;
	int fd;

	/* stat first only spares devices an open (a tape rewinds on close);
	 * the check that counts is fstat on what was opened */
	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode))
		return not_regular(path, st.st_mode, err);
	/* O_NONBLOCK: opening a FIFO without a writer would wait for one */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0 && (errno == EMFILE || errno == ENFILE))
		return no_descriptor(errno, err);
	if (fd < 0)
		return cs_err_set(
		    err, CS_E_IO, "cannot open: %s", strerror(errno));
	if (fstat(fd, stp) != 0) {
		int e = errno;

		close(fd);
		return cs_err_set(err, CS_E_IO, "cannot stat: %s", strerror(e));
	}
	if (!S_ISREG(stp->st_mode)) {
		close(fd);
		return not_regular(path, stp->st_mode, err);
	}
	/* blocking again: O_NONBLOCK was for the open alone.  Local file
	 * systems ignore it, but FUSE hands it to its daemon with every
	 * read, a mapping's page faults included, and the daemon may answer
	 * EAGAIN (SIGBUS in a mapping); so may a mandatory lock (before
	 * Linux 5.15) */
	if (fcntl(fd, F_SETFL, 0) != 0) {
		int e = errno;

		close(fd);
		return cs_err_set(err, CS_E_IO, "cannot open: %s", strerror(e));
	}
	return fd;
}

int
infile_written_since(
    int fd, const char *path, const struct stat *was, struct stat *now)
{
	struct stat st;

	if (now == NULL)
		now = &st;
	if (fstat(fd, now) != 0)
		return 0;
	return infile_changed(was, now, path);
}

int
infile_changed(const struct stat *was, const struct stat *now, const char *path)
{
	struct stat named;

	if (now->st_size != was->st_size ||
	    now->st_mtim.tv_sec != was->st_mtim.tv_sec ||
	    now->st_mtim.tv_nsec != was->st_mtim.tv_nsec)
		return 1;
	if (now->st_ctim.tv_sec == was->st_ctim.tv_sec &&
	    now->st_ctim.tv_nsec == was->st_ctim.tv_nsec)
		return 0;
	/* only the change time moved: a rename, chmod, chown or link
	 * (no byte changed), or a write whose mtime was set back */
	if (now->st_nlink != was->st_nlink || now->st_mode != was->st_mode ||
	    now->st_uid != was->st_uid || now->st_gid != was->st_gid)
		return 0;
	if (path != NULL &&
	    (stat(path, &named) != 0 || named.st_dev != now->st_dev ||
		named.st_ino != now->st_ino))
		return 0; /* its name is elsewhere now: renamed */
	return 1;
}
