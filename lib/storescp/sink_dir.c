/* sink_dir.c - atomic writing of received objects (see sink_dir.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/uio.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "dcmfile/part10.h"
#include "storescp/sink_dir.h"
#include "storescp/sink_owner.h"

#include "core/banned.h"

/* Longest Part 10 header we ever write: 132 + six short elements. */
#define META_MAX 4096
/* Attempts at a fresh temporary name before giving up. */
#define TMP_TRIES 100
/* Attempts at a directory removed as soon as it was made. */
#define DIR_TRIES 3

/* errno after a failed write/fsync/close: disk full is its own code */
static int
io_code(int e)
{
	return (e == ENOSPC || e == EDQUOT) ? CS_E_NOSPACE : CS_E_IO;
}

/* After a name could not be made in dirfd: ENOSPC with blocks to spare
 * is a file system out of inodes, which df without -i does not show */
static const char *
inodes_note(int dirfd, int e)
{
	struct statvfs v;

	if (e == ENOSPC && dirfd >= 0 && fstatvfs(dirfd, &v) == 0 &&
	    v.f_files > 0 && v.f_ffree == 0 && v.f_bavail > 0)
		return " (no free inodes: see df -i)";
	return "";
}

int
sink_root_open(struct sink_root *root, const char *path, struct cs_err *err)
{
	return sink_root_open_as(root, path, "output directory", err);
}

/* Records root->where, dev and ino (where "" when it cannot be had: no
 * check then). */
static void
note_where(struct sink_root *root)
{
	char cwd[PATH_MAX];
	struct stat st;
	int n;

	root->where[0] = '\0';
	if (fstat(root->dirfd, &st) != 0)
		return;
	root->dev = (uint64_t)st.st_dev;
	root->ino = (uint64_t)st.st_ino;
	if (root->path[0] == '/')
		n = snprintf(
		    root->where, sizeof(root->where), "%s", root->path);
	else if (getcwd(cwd, sizeof(cwd)) != NULL)
		n = snprintf(
		    root->where, sizeof(root->where), "%s/%s", cwd, root->path);
	else
		n = -1;
	if (n < 0 || (size_t)n >= sizeof(root->where))
		root->where[0] = '\0';
}

int
sink_root_open_as(struct sink_root *root, const char *path, const char *what,
    struct cs_err *err)
{
	size_t n = path != NULL ? strlen(path) : 0;
	char owner[SINK_OWNER_MAX];
	int e;

	/* our owner text now, read once: a sandbox entered later hides
	 * the boot ID, and a name without it is never swept */
	sink_owner_self(owner, sizeof(owner));
	root->dirfd = -1;
	root->path[0] = '\0';
	if (n == 0 || n >= sizeof(root->path))
		return cs_err_set(err, CS_E_INVAL, "invalid %s name", what);
	root->dirfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (root->dirfd < 0) {
		e = errno;
		return cs_err_set(err, CS_E_IO, "cannot open %s '%s': %s", what,
		    path, strerror(e));
	}
	/* fail at startup rather than on the first object */
	if (faccessat(root->dirfd, ".", W_OK | X_OK, AT_EACCESS) != 0) {
		e = errno;
		close(root->dirfd);
		root->dirfd = -1;
		return cs_err_set(err, CS_E_IO, "cannot write %s '%s': %s",
		    what, path, strerror(e));
	}
	memcpy(root->path, path, n + 1);
	note_where(root);
	root->min_free = 0;
	/* tests of the named fallback on file systems with O_TMPFILE */
	root->named_only = getenv("CSTORE_TEST_NO_TMPFILE") != NULL;
	return 0;
}

void
sink_root_close(struct sink_root *root)
{
	if (root->dirfd >= 0)
		close(root->dirfd);
	root->dirfd = -1;
}

/* Removes dead owners' temporaries in dirfd, then goes depth levels
 * further down; dirfd is closed. */
static void
sweep_dir(struct sink_root *root, int dirfd, unsigned depth, unsigned *removed,
    struct cs_err *err)
{
	struct dirent *de;
	DIR *d = fdopendir(dirfd);

	if (d == NULL) {
		close(dirfd);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		int tmp = strncmp(de->d_name, SINK_TMP_PREFIX,
			      sizeof(SINK_TMP_PREFIX) - 1) == 0;
		struct stat st;
		int sub;

		/* a big archive: no stat for the objects' files */
		if (!tmp &&
		    (depth == 0 ||
			(de->d_type != DT_DIR && de->d_type != DT_UNKNOWN)))
			continue;
		if (fstatat(dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0)
			continue;
		if (S_ISDIR(st.st_mode) && depth > 0 && de->d_name[0] != '.') {
			sub = openat(dirfd, de->d_name,
			    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (sub >= 0)
				sweep_dir(root, sub, depth - 1, removed, err);
			continue;
		}
		if (!S_ISREG(st.st_mode) || !tmp ||
		    !sink_owner_gone(de->d_name, st.st_mtime))
			continue;
		if (unlinkat(dirfd, de->d_name, 0) != 0) {
			cs_err_set(err, CS_E_IO, "cannot remove stale '%s': %s",
			    de->d_name, strerror(errno));
			continue;
		}
		if (removed != NULL)
			(*removed)++;
	}
	closedir(d);
}

int
sink_root_sweep(struct sink_root *root, unsigned depth, unsigned *removed,
    struct cs_err *err)
{
	int fd, e;

	if (removed != NULL)
		*removed = 0;
	/* a fresh descriptor: closedir closes it, and root's keeps no
	 * directory stream position */
	fd = openat(root->dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		e = errno;
		return cs_err_set(err, CS_E_IO,
		    "cannot read output directory "
		    "'%s': %s",
		    root->path, strerror(e));
	}
	sweep_dir(root, fd, depth > 16 ? 16 : depth, removed, err);
	return 0;
}

int
sink_dup_parse(const char *word, enum sink_dup *dup, struct cs_err *err)
{
	static const char *const names[] = { "overwrite", "keep", "rename",
		"reject" };
	size_t i;

	for (i = 0; word != NULL && i < sizeof(names) / sizeof(*names); i++) {
		if (strcmp(word, names[i]) == 0) {
			*dup = (enum sink_dup)i;
			return 0;
		}
	}
	return cs_err_set(err, CS_E_INVAL,
	    "invalid duplicate policy '%s' "
	    "(overwrite, keep, rename or reject)",
	    word != NULL ? word : "");
}

/* Random bytes for this many temporary names per getrandom call
 * (<= 256 bytes: a full answer, never a short read). */
#define TMP_POOL_NAMES 20
#define TMP_RAND 12

/* next TMP_RAND random bytes from a per-thread pool: one getrandom per
 * TMP_POOL_NAMES objects instead of one each; 1 when the kernel has none */
static int
tmp_random(unsigned char *r)
{
	static _Thread_local unsigned char pool[TMP_POOL_NAMES * TMP_RAND];
	static _Thread_local size_t left;

	if (left == 0) {
		if (getrandom(pool, sizeof(pool), GRND_NONBLOCK) !=
		    (ssize_t)sizeof(pool))
			return 1;
		left = TMP_POOL_NAMES;
	}
	left--;
	memcpy(r, pool + left * TMP_RAND, TMP_RAND);
	/* a name's bytes are used once */
	memset(pool + left * TMP_RAND, 0, TMP_RAND);
	return 0;
}

/*
 * A fresh random suffix.  Uniqueness comes from O_EXCL; randomness only
 * keeps another local user from pre-creating the names we will try.
 */
static void
tmp_name(char *out, size_t outsz)
{
	char owner[SINK_OWNER_MAX];
	static const char set[] =
	    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
	static atomic_ulong counter;
	unsigned char r[TMP_RAND];
	char suffix[sizeof(r) + 1];
	size_t i;

	sink_owner_self(owner, sizeof(owner));
	if (tmp_random(r) != 0) {
		/* entropy pool not ready: unique still, just guessable */
		unsigned long v = (unsigned long)getpid() * 2654435761u ^
		    atomic_fetch_add(&counter, 1) * 40503u ^
		    (unsigned long)time(NULL);

		for (i = 0; i < sizeof(r); i++) {
			v = v * 6364136223846793005u + 1442695040888963407u;
			r[i] = (unsigned char)(v >> 33);
		}
	}
	for (i = 0; i < sizeof(r); i++)
		suffix[i] = set[r[i] % (sizeof(set) - 1)];
	suffix[sizeof(r)] = '\0';
	snprintf(out, outsz, "%s%s.%s", SINK_TMP_PREFIX, owner, suffix);
}

/* The temporary file, for messages: its directory and its name, if it
 * has one (an O_TMPFILE file has none). */
static const char *
where(const struct sink *s, char *buf, size_t n)
{
	/* cut to n: it is only a message */
	if (snprintf(buf, n, "%s%s%s/%s", s->root->path,
		s->reldir[0] != '\0' ? "/" : "", s->reldir,
		s->tmpname[0] != '\0' ? s->tmpname : "(new file)") < 0)
		buf[0] = '\0';
	return buf;
}

static void
drop_meta(struct sink *s)
{
	cs_free(s->meta);
	s->meta = NULL;
	s->meta_len = 0;
}

int
sink_write_failed(struct sink *s, int e, struct cs_err *err)
{
	char at[PATH_MAX + 128];

	s->failed = 1;
	drop_meta(s);
	return cs_err_set(err, io_code(e), "cannot write '%s': %s",
	    where(s, at, sizeof(at)), strerror(e));
}

/*
 * Writes the pending header (if any) and then p[0, n), in one writev
 * when both fit: one system call per object for the common small one.
 */
static int
write_all(struct sink *s, const uint8_t *p, size_t n, struct cs_err *err)
{
	size_t mdone = 0;

	while (n > 0 || mdone < s->meta_len) {
		struct iovec iov[2];
		int cnt = 0;
		ssize_t w;

		if (mdone < s->meta_len)
			iov[cnt++] = (struct iovec){ s->meta + mdone,
				s->meta_len - mdone };
		if (n > 0)
			iov[cnt++] = (struct iovec){ (void *)(uintptr_t)p, n };
		w = writev(s->fd, iov, cnt);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) /* 0 for a regular file: no progress possible */
			return sink_write_failed(s, w < 0 ? errno : EIO, err);
		s->bytes += (uint64_t)w;
		if (mdone < s->meta_len) {
			size_t m = s->meta_len - mdone;

			if ((size_t)w < m) {
				mdone += (size_t)w;
				continue;
			}
			w -= (ssize_t)m;
			mdone = s->meta_len;
			if (w == 0) /* a header alone: p may be NULL */
				continue;
		}
		p += w;
		n -= (size_t)w;
	}
	drop_meta(s);
	return 0;
}

/* forward: the checks and directory walk of sink_commit */
static long check_relpath(const char *rel);
static int open_parent(struct sink *s, const char *rel, size_t end,
    unsigned flags, struct cs_err *err);

/*
 * Creates the temporary file in s->dirfd: an O_TMPFILE file where the
 * file system has them (nothing left behind, whatever kills us), else
 * a fresh name.  O_RDWR: sink_commit may have to copy it.  Returns 0
 * or -1 with errno.
 */
static int
tmp_create(struct sink *s, const struct sink_root *root)
{
	int i, e = 0;

	if (!root->named_only) {
		s->fd =
		    openat(s->dirfd, ".", O_TMPFILE | O_RDWR | O_CLOEXEC, 0664);
		if (s->fd >= 0) {
			s->tmpfile = 1;
			return 0;
		}
		e = errno;
		/* other errors are the directory's: a name would fail too */
		if (e != EOPNOTSUPP && e != EISDIR && e != EINVAL)
			return -1;
	}
	for (i = 0; i < TMP_TRIES; i++) {
		tmp_name(s->tmpname, sizeof(s->tmpname));
		s->fd = openat(s->dirfd, s->tmpname,
		    O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0664);
		if (s->fd >= 0)
			return 0;
		if ((e = errno) != EEXIST)
			break;
	}
	s->tmpname[0] = '\0';
	errno = e;
	return -1;
}

/* Refuses below root->min_free free bytes in dirfd's file system. */
static int
check_free(
    const struct sink *s, const struct sink_root *root, struct cs_err *err)
{
	struct statvfs v;
	uint64_t avail;

	if (root->min_free == 0 || fstatvfs(s->dirfd, &v) != 0)
		return 0;
	avail = (uint64_t)v.f_bavail * (uint64_t)v.f_frsize;
	if (avail >= root->min_free)
		return 0;
	return cs_err_set(err, CS_E_NOSPACE,
	    "only %llu bytes free in '%s/%s' (minimum %llu)",
	    (unsigned long long)avail, root->path, s->reldir,
	    (unsigned long long)root->min_free);
}

/* Opens (creating) reldir below root as s->dirfd. */
static int
open_dir(struct sink *s, const struct sink_root *root, const char *reldir,
    unsigned flags, struct cs_err *err)
{
	char rel[PATH_MAX];
	size_t n = reldir != NULL ? strlen(reldir) : 0;
	int fd;

	s->dirfd = root->dirfd;
	if (n == 0)
		return 0;
	if (n + 2 > sizeof(rel) || check_relpath(reldir) < 0)
		return cs_err_set(
		    err, CS_E_INVAL, "invalid directory '%s'", reldir);
	memcpy(s->reldir, reldir, n + 1);
	/* open_parent walks components that end in '/' */
	memcpy(rel, reldir, n);
	rel[n] = '/';
	rel[n + 1] = '\0';
	s->root = root;
	fd = open_parent(s, rel, n + 1, flags, err);
	s->root = NULL;
	if (fd < 0)
		return fd;
	s->dirfd = fd;
	s->own_dir = 1;
	return 0;
}

int
sink_begin(struct sink *s, const struct sink_root *root,
    const struct sink_meta *meta, struct cs_err *err)
{
	return sink_begin_in(s, root, NULL, 0, meta, err);
}

int
sink_begin_in(struct sink *s, const struct sink_root *root, const char *reldir,
    unsigned flags, const struct sink_meta *meta, struct cs_err *err)
{
	int none = -1;

	return sink_begin_spare(s, root, reldir, &none, flags, meta, err);
}

int
sink_spare(const struct sink_root *root)
{
	if (root->named_only)
		return -1;
	return openat(root->dirfd, ".", O_TMPFILE | O_RDWR | O_CLOEXEC, 0664);
}

/* tmp_create, on the spare when it is in the directory wanted. */
static int
tmp_create_spare(struct sink *s, const struct sink_root *root, int *spare)
{
	if (*spare < 0 || s->dirfd != root->dirfd)
		return tmp_create(s, root);
	s->fd = *spare;
	s->tmpfile = 1;
	*spare = -1;
	return 0;
}

/* Whether the output directory was removed while we run: its fd then
 * names a directory without links, where nothing can be made (the
 * kernel says EPERM or ENOENT, which would not tell the operator why).
 * Asked only after a failure, so that it costs a stored object nothing. */
static bool
root_removed(const struct sink_root *root)
{
	struct stat st;

	return fstat(root->dirfd, &st) == 0 && st.st_nlink == 0;
}

/*
 * Whether root's path no longer names the directory opened (renamed, or
 * removed and another put there): what it stores would be reported under
 * paths that do not name it.  One stat per object.
 */
static bool
root_moved(const struct sink_root *root)
{
	struct stat st;

	if (root->where[0] == '\0')
		return false;
	if (stat(root->where, &st) != 0)
		return errno == ENOENT || errno == ENOTDIR;
	return (uint64_t)st.st_dev != root->dev ||
	    (uint64_t)st.st_ino != root->ino;
}

int
sink_begin_spare(struct sink *s, const struct sink_root *root,
    const char *reldir, int *spare, unsigned flags,
    const struct sink_meta *meta, struct cs_err *err)
{
	struct wr w;
	const char *note;
	int rc, e;

	memset(s, 0, sizeof(*s));
	s->fd = -1;
	if ((rc = open_dir(s, root, reldir, flags, err)) < 0 ||
	    (rc = check_free(s, root, err)) < 0 ||
	    tmp_create_spare(s, root, spare) != 0) {
		e = errno;
		note = rc >= 0 ? inodes_note(s->dirfd, e) : "";
		if (s->own_dir)
			close(s->dirfd);
		s->own_dir = 0;
		s->dirfd = -1;
		if (root_removed(root)) {
			s->root_gone = 1;
			cs_err_clear(err);
			return cs_err_set(err, CS_E_IO,
			    "the output directory '%s' has been removed: "
			    "nothing can be stored until dcmrecv is restarted",
			    root->path);
		}
		if (rc < 0)
			return rc;
		return cs_err_set(err, io_code(e),
		    "cannot create a file in "
		    "'%s%s%s': %s%s",
		    root->path, s->reldir[0] != '\0' ? "/" : "", s->reldir,
		    strerror(e), note);
	}
	s->root = root;
	if (meta == NULL)
		return 0;
	if (meta->sop_instance != NULL &&
	    strlen(meta->sop_instance) < sizeof(s->uid))
		memcpy(
		    s->uid, meta->sop_instance, strlen(meta->sop_instance) + 1);
	wr_init(&w, META_MAX);
	rc = part10_write_meta(&w, meta->sop_class, meta->sop_instance,
	    meta->ts_uid, meta->impl_uid, meta->impl_version, meta->source_ae,
	    err);
	if (rc >= 0) {
		/* written with the first data (or at commit): one write
		 * per object instead of two */
		s->meta = w.p;
		s->meta_len = w.len;
		w.p = NULL;
	}
	wr_release(&w);
	if (rc < 0) {
		if (rc == CS_E_TOOBIG) /* the writer's cap: our bug, not I/O */
			rc = cs_err_set(err, CS_E_INVAL,
			    "file meta "
			    "information too long");
		sink_abort(s);
		return rc;
	}
	return 0;
}

int
sink_write(struct sink *s, const void *p, size_t n, struct cs_err *err)
{
	if (s->root == NULL || s->fd < 0 || s->failed)
		return cs_err_set(err, CS_E_STATE, "no file open for writing");
	return write_all(s, p, n, err);
}

void
sink_abort(struct sink *s)
{
	drop_meta(s);
	if (s->root == NULL)
		return;
	if (s->fd >= 0)
		close(s->fd);
	/* an O_TMPFILE file not linked vanishes with its descriptor */
	if (s->tmpname[0] != '\0')
		unlinkat(s->dirfd, s->tmpname, 0);
	if (s->dirfd >= 0 && s->own_dir)
		close(s->dirfd);
	s->dirfd = -1;
	s->own_dir = 0;
	s->elsewhere = 0;
	s->fd = -1;
	s->tmpfile = 0;
	s->tmpname[0] = '\0';
	s->root = NULL;
}

uint64_t
sink_bytes(const struct sink *s)
{
	return s->bytes + s->meta_len;
}

/*
 * Checks relpath and returns the offset of its last component, or -1.
 * Any layout_render result passes.
 */
static long
check_relpath(const char *rel)
{
	size_t i = 0, start = 0, n = strlen(rel);

	if (n == 0 || n >= PATH_MAX)
		return -1;
	for (i = 0; i <= n; i++) {
		size_t len;

		if (rel[i] != '/' && rel[i] != '\0')
			continue;
		len = i - start;
		if (len == 0 || len > NAME_MAX ||
		    (len == 1 && rel[start] == '.') ||
		    (len == 2 && rel[start] == '.' && rel[start + 1] == '.') ||
		    strncmp(rel + start, SINK_TMP_PREFIX,
			sizeof(SINK_TMP_PREFIX) - 1) == 0)
			return -1;
		if (rel[i] == '\0')
			break;
		start = i + 1;
	}
	return (long)start;
}

/*
 * Walks (and creates) the directories of rel[0, end) from root, one
 * component at a time.  Returns a descriptor of the last one (root's own
 * dirfd if there is none: do not close it), or a negative code.
 */
static int
open_parent(struct sink *s, const char *rel, size_t end, unsigned flags,
    struct cs_err *err)
{
	char comp[NAME_MAX + 1];
	const char *note;
	int cur = s->root->dirfd, next, e, tries = 0;
	size_t i = 0;

	while (i < end) {
		size_t j = i;

		while (rel[j] != '/')
			j++;
		memcpy(comp, rel + i, j - i);
		comp[j - i] = '\0';
		if (mkdirat(cur, comp, 0775) == 0) {
			/* make the new entry durable, as the file will be */
			if ((flags & SINK_FSYNC) && fsync(cur) != 0) {
				e = errno;
				goto fail;
			}
		} else if (errno != EEXIST) {
			e = errno;
			goto fail;
		}
		/* O_NOFOLLOW: a symlink planted here must not take us out
		 * of the output directory (open fails with ELOOP) */
		next = openat(
		    cur, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (next < 0 && errno == ENOENT && ++tries <= DIR_TRIES)
			/* removed between mkdirat and openat (a cleaner of
			 * empty directories): make it again, a few times */
			continue;
		if (next < 0) {
			e = errno;
			if (e == ELOOP || e == ENOTDIR) {
				if (cur != s->root->dirfd)
					close(cur);
				return cs_err_set(err, CS_E_IO,
				    "cannot store "
				    "'%s/%s': '%.*s' is not a directory inside "
				    "'%s': %s",
				    s->root->path, rel, (int)j, rel,
				    s->root->path, strerror(ENOTDIR));
			}
			goto fail;
		}
		if (cur != s->root->dirfd)
			close(cur);
		cur = next;
		i = j + 1;
	}
	return cur;
fail:
	note = inodes_note(cur, e);
	if (cur != s->root->dirfd)
		close(cur);
	return cs_err_set(err, io_code(e),
	    "cannot create directory "
	    "'%s/%.*s': %s%s",
	    s->root->path, (int)(i + strlen(comp)), rel, strerror(e), note);
}

/*
 * Moves the temporary file to name in dfd unless name exists: 0, or -1
 * with errno (EEXIST when taken).  renameat2 is one atomic step; file
 * systems without RENAME_NOREPLACE get link + unlink, also atomic
 * against a concurrent writer of the same name.
 */
static int
move_noreplace(struct sink *s, int dfd, const char *name)
{
	/* linkat(AT_EMPTY_PATH) refused (ENOENT) where /proc served */
	static atomic_int no_empty_path;
	char proc[40];
	int e;

	if (s->tmpfile) {
		/* linkat never replaces: EEXIST when the name is taken.  The
		 * descriptor itself first: Linux >= 6.10 lets the file's
		 * opener link it (before, only CAP_DAC_READ_SEARCH), and it
		 * spares the walk through /proc on every object. */
		int tried =
		    !atomic_load_explicit(&no_empty_path, memory_order_relaxed);

		if (tried) {
			if (linkat(s->fd, "", dfd, name, AT_EMPTY_PATH) == 0) {
				s->tmpfile = 0;
				return 0;
			}
			if (errno != ENOENT)
				return -1;
		}
		snprintf(proc, sizeof(proc), "/proc/self/fd/%d", s->fd);
		if (linkat(AT_FDCWD, proc, dfd, name, AT_SYMLINK_FOLLOW) != 0)
			return -1;
		if (tried)
			atomic_store_explicit(
			    &no_empty_path, 1, memory_order_relaxed);
		s->tmpfile = 0;
		return 0;
	}
	if (renameat2(s->dirfd, s->tmpname, dfd, name, RENAME_NOREPLACE) == 0)
		return 0;
	e = errno;
	if (e != EINVAL && e != ENOSYS && e != ENOTSUP)
		return -1;
	if (linkat(s->dirfd, s->tmpname, dfd, name, 0) != 0)
		return -1;
	/* stored; a leftover temporary name is only a second link */
	unlinkat(s->dirfd, s->tmpname, 0);
	return 0;
}

/*
 * Gives an O_TMPFILE file a temporary name in its directory, for the
 * steps that need one (RENAME_EXCHANGE).  Returns 0 or -1 with errno.
 */
static int
name_tmpfile(struct sink *s)
{
	char name[sizeof(s->tmpname)];
	int i;

	for (i = 0; i < TMP_TRIES; i++) {
		tmp_name(name, sizeof(name));
		if (move_noreplace(s, s->dirfd, name) == 0) {
			memcpy(s->tmpname, name, sizeof(name));
			return 0;
		}
		if (errno != EEXIST)
			return -1;
	}
	return -1;
}

/*
 * The k-th name for base (k >= 2): NAME~k.EXT, or NAME~k when base has
 * no extension.  The extension is the text after the last '.' if it
 * holds a non-digit ("x.dcm"), so that "1.2.3" (a bare UID) becomes
 * "1.2.3~2", never "1.2~2.3".  '~' is in no UID and in no sanitised
 * layout value (layout.h), so such a name is never another object's
 * rendered name.
 */
static int
suffixed(char *out, size_t outsz, const char *base, unsigned k)
{
	const char *dot = strrchr(base, '.'), *p;
	int len, ext = 0;

	if (dot != NULL && dot != base)
		for (p = dot + 1; *p != '\0'; p++)
			if (*p < '0' || *p > '9')
				ext = 1;
	if (!ext)
		len = snprintf(out, outsz, "%s%c%u", base, SINK_SUFFIX_CHAR, k);
	else
		len = snprintf(out, outsz, "%.*s%c%u%s", (int)(dot - base),
		    base, SINK_SUFFIX_CHAR, k, dot);
	return len > 0 && (size_t)len < outsz ? 0 : -1;
}

/*
 * Does the file called name in dfd hold the instance uid?  Its File
 * Meta Information (0002,0003) decides (the data set's (0008,0018) for
 * a file without one), read through the prober: a few KB, never the
 * name.  Anything that is not a regular DICOM file we can read (a
 * symlink, a FIFO, a foreign or damaged file) is another object: it is
 * never replaced.  With no uid known (sink_begin without meta) the name
 * alone identifies the object, as callers without a meta header expect.
 */
static int
same_instance(int dfd, const char *name, const char *uid)
{
	struct part10_info info;
	struct stat st;
	int fd, same = 0;

	if (uid[0] == '\0')
		return 1;
	/* O_NONBLOCK: a FIFO planted at the name must not hang us */
	fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return 0;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
	    part10_probe_fd(fd, PART10_O_META_ONLY, &info, NULL) == 0)
		same = strcmp(info.sop_instance, uid) == 0;
	close(fd);
	return same;
}

/*
 * Is the file called name in dfd (our instance: same_instance) whole?
 * Its data set is walked to its end as a sender's check walks it: one
 * cut short or damaged is not.  Read only for --on-duplicate keep and
 * reject, which answer for it instead of storing.
 */
static int
whole_file(int dfd, const char *name)
{
	struct part10_info info;
	struct stat st;
	int fd, whole = 0;

	fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return 0;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
	    part10_probe_fd(fd, PART10_O_VERIFY, &info, NULL) == 0)
		whole = 1;
	close(fd);
	return whole;
}

/*
 * Replaces name in dfd, which held our instance a moment ago, with the
 * temporary file.  RENAME_EXCHANGE swaps the two in one step; the file
 * displaced, now under our temporary name, is checked again and
 * removed only if it still holds our instance.  If another receiver
 * put a different object there meanwhile, that one is moved to the
 * next free suffixed name of base instead (from k + 1), or, when none
 * can be had, swapped back and the store fails: nothing is lost.
 * File systems without RENAME_EXCHANGE get a plain rename.
 * Returns 0 or -1 with errno.
 */
static int
replace_same(
    struct sink *s, int dfd, const char *name, const char *base, unsigned k)
{
	char other[NAME_MAX + 1];
	int e;

	if (s->tmpfile && name_tmpfile(s) != 0)
		return -1;
	if (renameat2(s->dirfd, s->tmpname, dfd, name, RENAME_EXCHANGE) != 0) {
		e = errno;
		if (e != EINVAL && e != ENOSYS && e != ENOTSUP)
			return -1;
		/* rename replaces a symlink itself, never its target */
		return renameat(s->dirfd, s->tmpname, dfd, name);
	}
	if (same_instance(s->dirfd, s->tmpname, s->uid)) {
		unlinkat(s->dirfd, s->tmpname, 0);
		s->tmpname[0] = '\0';
		return 0;
	}
	/* the displaced file is someone else's: give it a name */
	e = EEXIST;
	while (++k <= SINK_NAMES_MAX) {
		if (suffixed(other, sizeof(other), base, k) != 0)
			break;
		if (move_noreplace(s, dfd, other) == 0) {
			s->tmpname[0] = '\0';
			return 0;
		}
		if ((e = errno) != EEXIST)
			break;
	}
	/*
	 * No name for it: swap back, so that it is where it was and our
	 * copy is the temporary one again (sink_abort removes ours, the
	 * store fails).  If even that fails, leave it under the temporary
	 * name rather than let sink_abort delete another's object.
	 */
	if (renameat2(s->dirfd, s->tmpname, dfd, name, RENAME_EXCHANGE) != 0)
		s->tmpname[0] = '\0';
	errno = e;
	return -1;
}

static void
final_path(const struct sink *s, char *final, size_t finalsz, const char *rel,
    size_t dirlen, const char *name)
{
	const char *sep = "/";
	size_t pl = strlen(s->root->path);

	if (finalsz == 0)
		return;
	if (pl > 0 && s->root->path[pl - 1] == '/')
		sep = "";
	snprintf(final, finalsz, "%s%s%.*s%s", s->root->path, sep, (int)dirlen,
	    rel, name);
}

/*
 * The data first, then the name that points at it: writes a pending
 * header, fsyncs when asked, closes (close reports delayed write
 * errors on some file systems, NFS).  Returns 0 or a negative code.
 */
static int
finish_data(struct sink *s, unsigned flags, struct cs_err *err)
{
	char at[PATH_MAX + 128];
	int e, rc;

	/* a header with no data after it is still pending */
	if (s->meta_len > 0 && (rc = write_all(s, NULL, 0, err)) < 0)
		return rc;
	if ((flags & SINK_FSYNC) && fsync(s->fd) != 0) {
		e = errno;
		return cs_err_set(err, io_code(e), "cannot fsync '%s': %s",
		    where(s, at, sizeof(at)), strerror(e));
	}
	/* an O_TMPFILE file needs its descriptor to be linked */
	if (s->tmpfile)
		return 0;
	e = close(s->fd) != 0 ? errno : 0;
	s->fd = -1;
	if (e != 0)
		return cs_err_set(err, io_code(e), "cannot write '%s': %s",
		    where(s, at, sizeof(at)), strerror(e));
	return 0;
}

/*
 * Gives the temporary file its name in dfd: the rendered name
 * (relpath + base), then NAME~2, NAME~3...: each is created only if
 * free (atomic, so receivers sharing the directory never write over
 * each other).  A taken name is judged by its content: another
 * instance there means go on to the next name; our own instance means
 * a duplicate, handled by the policy.  name gets the name used;
 * *replaced is 1 when our instance was replaced.  Returns SINK_STORED,
 * SINK_KEPT, SINK_REJECTED or a negative code.
 */
static int
place(struct sink *s, int dfd, const char *relpath, long base,
    enum sink_dup dup, char *name, int *replaced, struct cs_err *err)
{
	const char *last = relpath + base;
	unsigned k;
	int e;

	for (k = 1; k <= SINK_NAMES_MAX; k++) {
		if (k == 1)
			memcpy(name, last, strlen(last) + 1);
		else if (suffixed(name, NAME_MAX + 1, last, k) != 0)
			return cs_err_set(err, CS_E_IO,
			    "cannot store '%s/%s': "
			    "name too long for a suffix",
			    s->root->path, relpath);
		if (move_noreplace(s, dfd, name) == 0)
			return SINK_STORED;
		if ((e = errno) != EEXIST)
			goto syserr;
		if (!same_instance(dfd, name, s->uid)) {
			s->collisions++;
			continue;
		}
		if (dup == SINK_DUP_RENAME)
			continue;
		/* keep and reject answer for the file there: only a whole
		 * one stands for the object (a copy cut short, by a crash or
		 * another program, is another object: ours goes on) */
		if ((dup == SINK_DUP_KEEP || dup == SINK_DUP_REJECT) &&
		    s->uid[0] != '\0' && !whole_file(dfd, name)) {
			s->collisions++;
			continue;
		}
		if (dup == SINK_DUP_KEEP || dup == SINK_DUP_REJECT)
			return dup == SINK_DUP_KEEP ? SINK_KEPT : SINK_REJECTED;
		if (replace_same(s, dfd, name, last, k) != 0) {
			e = errno;
			goto syserr;
		}
		*replaced = 1;
		return SINK_STORED;
	}
	return cs_err_set(err, CS_E_IO,
	    "cannot store '%s/%s': it and %d "
	    "suffixed names are taken by other objects",
	    s->root->path, relpath, SINK_NAMES_MAX - 1);
syserr:
	return cs_err_set(err, io_code(e), "cannot store '%s/%s': %s",
	    s->root->path, relpath, strerror(e));
}

/*
 * Moves the data to a new temporary file in dfd, on another file
 * system than the old one: a copy, then the old file goes.  Returns 0
 * or a negative code.
 */
static int
rehome(struct sink *s, int dfd, struct cs_err *err)
{
	/* the heap, not TLS: a thread-local buffer this big would enlarge
	 * every thread of the process (hook reapers have 64 KiB stacks) */
	enum { BUFSZ = 65536 };
	uint8_t *buf;
	struct sink to = { .root = s->root, .fd = -1, .dirfd = dfd };
	off_t off = 0;
	ssize_t r = 0;
	int e, rc;

	if (s->meta_len > 0 && (rc = write_all(s, NULL, 0, err)) < 0)
		return rc;
	if ((buf = cs_malloc(BUFSZ)) == NULL)
		return cs_err_set(err, CS_E_NOMEM, "out of memory");
	if (tmp_create(&to, s->root) != 0)
		goto fail;
	while ((r = pread(s->fd, buf, BUFSZ, off)) != 0) {
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 || write_all(&to, buf, (size_t)r, err) < 0)
			goto fail;
		off += r;
	}
	to.bytes = s->bytes;
	to.collisions = s->collisions;
	to.failed = 0;
	memcpy(to.uid, s->uid, sizeof(to.uid));
	cs_free(buf);
	to.dirfd = -1; /* keep dfd out of the old sink's abort */
	s->meta = NULL;
	sink_abort(s);
	*s = to;
	s->dirfd = dfd;
	s->own_dir = dfd != s->root->dirfd;
	return 0;
fail:
	e = errno;
	cs_free(buf);
	if (to.fd >= 0)
		close(to.fd);
	if (to.tmpname[0] != '\0')
		unlinkat(dfd, to.tmpname, 0);
	return cs_err_set(err, io_code(e),
	    "cannot copy to the file system of '%s/%s': %s", s->root->path,
	    s->reldir, strerror(e));
}

/*
 * The directory of relpath (its first dirlen bytes) as *dfd: the
 * temporary file's own when it is that one, else walked and created;
 * on another file system the data moves there first (rehome).
 */
static int
target_dir(struct sink *s, const char *relpath, size_t dirlen, unsigned flags,
    int *dfd, struct cs_err *err)
{
	struct stat a, b;
	size_t n = strlen(s->reldir);
	int rc;

	if (!s->elsewhere &&
	    ((n == 0 && dirlen == 0) ||
		(n + 1 == dirlen && memcmp(relpath, s->reldir, n) == 0))) {
		*dfd = s->dirfd;
		return 0;
	}
	if ((*dfd = open_parent(s, relpath, dirlen, flags, err)) < 0)
		return *dfd;
	if (fstat(*dfd, &a) != 0 || fstat(s->fd, &b) != 0 ||
	    a.st_dev == b.st_dev)
		return 0;
	rc = rehome(s, *dfd, err);
	if (rc == 0) {
		n = dirlen > 0 ? dirlen - 1 : 0;
		memcpy(s->reldir, relpath, n);
		s->reldir[n] = '\0';
	}
	return rc;
}

int
sink_commit(struct sink *s, const char *relpath, enum sink_dup dup,
    unsigned flags, char *final, size_t finalsz, struct cs_err *err)
{
	char name[NAME_MAX + 1];
	long base;
	int dfd = -1, rc, e, replaced = 0;

	if (finalsz > 0)
		final[0] = '\0';
	if (s->root == NULL || s->fd < 0 || s->failed) {
		sink_abort(s);
		return cs_err_set(err, CS_E_STATE, "no complete file to store");
	}
	if (relpath == NULL || (base = check_relpath(relpath)) < 0) {
		rc = cs_err_set(err, CS_E_INVAL, "invalid file name '%s'",
		    relpath != NULL ? relpath : "");
		goto out;
	}
	if ((rc = target_dir(s, relpath, (size_t)base, flags, &dfd, err)) < 0 ||
	    (rc = finish_data(s, flags, err)) < 0)
		goto out;
	if ((unsigned)dup > SINK_DUP_REJECT) {
		rc = cs_err_set(
		    err, CS_E_INVAL, "invalid duplicate policy %d", (int)dup);
		goto out;
	}
	if (root_moved(s->root)) {
		s->root_gone = 1;
		rc = cs_err_set(err, CS_E_IO,
		    "'%s' is no longer the directory opened (moved or "
		    "replaced): nothing is stored until it is back or "
		    "dcmrecv is restarted",
		    s->root->path);
		goto out;
	}
	if ((rc = place(s, dfd, relpath, base, dup, name, &replaced, err)) < 0)
		goto out;
	final_path(s, final, finalsz, relpath, (size_t)base, name);
	if (rc == SINK_STORED) {
		s->tmpname[0] = '\0'; /* it has its final name now */
		if ((flags & SINK_FSYNC) && fsync(dfd) != 0) {
			/* the name may not survive a crash: the peer gets a
			 * failure, so no new file may stay under the name --
			 * but a replacement holds the same instance, whose
			 * earlier copy was acknowledged: it stays */
			e = errno;
			if (!replaced)
				unlinkat(dfd, name, 0);
			rc = cs_err_set(err, io_code(e),
			    "cannot fsync the "
			    "directory of '%s/%s': %s",
			    s->root->path, relpath, strerror(e));
			if (finalsz > 0)
				final[0] = '\0';
		}
	}
out:
	if (dfd >= 0 && dfd != s->root->dirfd && dfd != s->dirfd)
		close(dfd);
	s->elsewhere = 0;
	sink_abort(s);
	return rc;
}

int
sink_commit_to(struct sink *s, const struct sink_root *to, const char *relpath,
    enum sink_dup dup, unsigned flags, char *final, size_t finalsz,
    struct cs_err *err)
{
	if (s->root != NULL) {
		/* the directory the file is in stays s->dirfd, closed by
		 * sink_abort if it was ours */
		s->root = to;
		s->elsewhere = 1;
	}
	return sink_commit(s, relpath, dup, flags, final, finalsz, err);
}
