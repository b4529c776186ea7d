/* commit_index.c - the index of stored instances (see commit_index.h). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cstore/cstore.h"
#include "core/alloc.h"
#include "core/strmap.h"
#include "core/uid.h"
#include "storescp/commit_index.h"
#include "core/banned.h"

/* A line longer than this is not ours: skipped. */
#define LINE_MAX_LEN (2 * COMMIT_UID_MAX + 24 + PATH_MAX)

/* Opens the index (creating it when create), ending a torn last line;
 * returns the descriptor or -1 with errno set. */
static int
open_index(int dirfd, int create)
{
	int fd = openat(dirfd, COMMIT_INDEX_NAME,
	    O_RDWR | O_APPEND | O_CLOEXEC | O_NOFOLLOW | (create ? O_CREAT : 0),
	    0664);
	struct stat st;
	char last = '\n';
	int e;

	if (fd < 0)
		return -1;
	if (fstat(fd, &st) == 0 && st.st_size > 0 &&
	    pread(fd, &last, 1, st.st_size - 1) != 1)
		last = 0;
	/* a crash cut the last line: end it, so the next is whole */
	if (last != '\n' && write(fd, "\n", 1) != 1) {
		e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

/* Everything but the file. */
static void
index_init(struct commit_index *ix, int dirfd, int fsync, int fd)
{
	memset(ix, 0, sizeof(*ix));
	ix->dirfd = dirfd;
	ix->fsync = fsync;
	pthread_mutex_init(&ix->mu, NULL);
	ix->torn = 0;
	pthread_mutex_init(&ix->map_mu, NULL);
	pthread_mutex_init(&ix->sync_mu, NULL);
	strmap_init(&ix->map);
	atomic_init(&ix->fd, fd);
	atomic_init(&ix->synced, 0);
	atomic_init(&ix->syncs, 0);
}

int
commit_index_open(
    struct commit_index *ix, int dirfd, int fsync, struct cs_err *err)
{
	int fd = open_index(dirfd, 0);

	index_init(ix, dirfd, fsync, fd);
	if (fd < 0 && errno != ENOENT)
		return cs_err_set(err, CS_E_IO, "cannot open '%s': %s",
		    COMMIT_INDEX_NAME, strerror(errno));
	return 0;
}

void
commit_index_close(struct commit_index *ix)
{
	int fd = atomic_exchange(&ix->fd, -1);

	if (fd >= 0)
		close(fd);
	strmap_release(&ix->map);
	free(ix->lines);
	free(ix->rbuf);
	ix->lines = NULL;
	ix->rbuf = NULL;
	ix->n_lines = ix->cap_lines = 0;
	ix->read_off = 0;
}

/* The index's descriptor, opened once by the first thread that needs
 * it: to append (create: made with the first line), or to read when
 * another process made the file since we looked (a read-only one will
 * do then). */
static int
shared_fd(struct commit_index *ix, int create)
{
	int fd = atomic_load(&ix->fd);

	if (fd >= 0)
		return fd;
	pthread_mutex_lock(&ix->mu);
	fd = atomic_load(&ix->fd);
	if (fd < 0) {
		fd = open_index(ix->dirfd, create);
		/* --fsync: the new name too is on disk before a line counts */
		if (fd >= 0 && create && ix->fsync && fsync(ix->dirfd) != 0) {
			close(fd);
			fd = -1;
		}
		if (fd < 0 && !create && errno == EACCES)
			fd = openat(ix->dirfd, COMMIT_INDEX_NAME,
			    O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
		if (fd >= 0)
			atomic_store(&ix->fd, fd);
	}
	pthread_mutex_unlock(&ix->mu);
	return fd;
}

int
commit_index_add(struct commit_index *ix, const char *sop_class,
    const char *sop_instance, uint64_t bytes, const char *rel,
    struct cs_err *err)
{
	char buf[LINE_MAX_LEN + 3], *line = buf + 1;
	int n, fd, torn;
	ssize_t w;

	if (strpbrk(rel, "\t\n") != NULL || strpbrk(sop_class, "\t\n") ||
	    strpbrk(sop_instance, "\t\n"))
		return cs_err_set(err, CS_E_INVAL,
		    "cannot index '%s': a tab or newline in it", rel);
	n = snprintf(line, sizeof(buf) - 1, "%s\t%s\t%llu\t%s\n", sop_class,
	    sop_instance, (unsigned long long)bytes, rel);
	if (n < 0 || (size_t)n >= sizeof(buf) - 1)
		return cs_err_set(
		    err, CS_E_INVAL, "cannot index '%s': too long", rel);
	fd = shared_fd(ix, 1);
	if (fd < 0)
		return cs_err_set(err, CS_E_IO, "cannot write '%s': %s",
		    COMMIT_INDEX_NAME, strerror(errno));
	/* one write: O_APPEND keeps concurrent lines whole.  A write cut
	 * short (the disk full) leaves part of a line: the next one of
	 * ours starts with LF in the same write, else it would be glued to
	 * that part (its class UID "11.2.840...", read back as another) */
	pthread_mutex_lock(&ix->mu);
	torn = ix->torn;
	if (torn) {
		*--line = '\n';
		n++;
	}
	w = write(fd, line, (size_t)n);
	ix->torn = w != n && (w > 0 || torn);
	pthread_mutex_unlock(&ix->mu);
	if (w >= 0 && w != n)
		return cs_err_set(err, CS_E_IO,
		    "cannot write '%s': %zd of %d bytes written (file system "
		    "full?)",
		    COMMIT_INDEX_NAME, w, n);
	if (w < 0 || (ix->fsync && fdatasync(fd) != 0))
		return cs_err_set(err, CS_E_IO, "cannot write '%s': %s",
		    COMMIT_INDEX_NAME, strerror(errno));
	return 0;
}

/* Where an instance's latest line is in the file. */
struct commit_index_line {
	uint64_t off;
	uint32_t len; /* with its newline */
};

/* The read buffer: a few lines of the longest length at least. */
#define RBUF (64u * 1024u)

/* Splits a line into its four fields; 0 when it is not well formed. */
static int
parse_line(char *line, char **f)
{
	char *end;
	int i;

	for (i = 0; i < 4; i++) {
		f[i] = line;
		line = strchr(line, i < 3 ? '\t' : '\n');
		if (line == NULL)
			return 0;
		*line++ = '\0';
	}
	/* the size as we write it: decimal, no sign, no leading zero */
	if (!uid_is_valid(f[0]) || !uid_is_valid(f[1]) || f[3][0] == '\0' ||
	    f[2][0] < '0' || f[2][0] > '9' || (f[2][0] == '0' && f[2][1]))
		return 0;
	errno = 0;
	strtoull(f[2], &end, 10);
	return *end == '\0' && errno == 0;
}

/* Notes the line at off (len bytes with its newline) if it is ours. */
static int
note_line(struct commit_index *ix, const char *p, size_t len, uint64_t off)
{
	char line[LINE_MAX_LEN + 2], *f[4];
	size_t k;
	int rc;

	if (len > LINE_MAX_LEN)
		return 0;
	memcpy(line, p, len);
	line[len] = '\0';
	if (!parse_line(line, f))
		return 0;
	k = ix->n_lines;
	rc = strmap_put(&ix->map, f[1], strlen(f[1]), &k);
	if (rc < 0)
		return CS_E_NOMEM;
	if (rc == 1) { /* a new instance */
		if (ix->n_lines == ix->cap_lines) {
			size_t cap = ix->cap_lines ? ix->cap_lines * 2 : 1024;
			struct commit_index_line *l =
			    realloc(ix->lines, cap * sizeof(*l));

			if (l == NULL)
				return CS_E_NOMEM;
			ix->lines = l;
			ix->cap_lines = cap;
		}
		ix->n_lines++;
	}
	ix->lines[k].off = off; /* the latest line wins */
	ix->lines[k].len = (uint32_t)len;
	return 0;
}

/* Reads what was appended since the last call (whole lines only: one
 * being written is read next time).  Under map_mu. */
static int
catch_up(struct commit_index *ix, int fd, struct cs_err *err)
{
	struct stat st;
	ssize_t got;
	int rc;

	if (fstat(fd, &st) != 0)
		return cs_err_set(err, CS_E_IO, "cannot read '%s': %s",
		    COMMIT_INDEX_NAME, strerror(errno));
	if ((uint64_t)st.st_size < ix->read_off) {
		/* shorter than what we read: not the file we knew */
		strmap_release(&ix->map);
		strmap_init(&ix->map);
		ix->n_lines = 0;
		ix->read_off = 0;
		ix->skipping = 0;
		/* its lines may now sit below the old watermark: unflushed */
		atomic_store(&ix->synced, 0);
	}
	if (ix->rbuf == NULL && (ix->rbuf = malloc(RBUF)) == NULL)
		return cs_err_set(err, CS_E_NOMEM, "out of memory");
	while ((uint64_t)st.st_size > ix->read_off) {
		const char *p = ix->rbuf, *nl, *end;

		got = pread(fd, ix->rbuf, RBUF, (off_t)ix->read_off);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			return cs_err_set(err, CS_E_IO, "cannot read '%s': %s",
			    COMMIT_INDEX_NAME, strerror(errno));
		if (got == 0)
			break;
		end = ix->rbuf + got;
		while ((nl = memchr(p, '\n', (size_t)(end - p))) != NULL) {
			size_t len = (size_t)(nl + 1 - p);

			if (!ix->skipping &&
			    (rc = note_line(ix, p, len,
				 ix->read_off + (uint64_t)(p - ix->rbuf))) != 0)
				return cs_err_set(
				    err, rc, "out of memory indexing");
			ix->skipping = 0;
			p = nl + 1;
		}
		if (p == ix->rbuf && got == RBUF) {
			/* no end in a whole buffer: no line of ours */
			ix->skipping = 1;
			p = end;
		}
		ix->read_off += (uint64_t)(p - ix->rbuf);
		if (p != end && got < (ssize_t)RBUF)
			break; /* a line still being written: next time */
	}
	return 0;
}

/* The Failure Reason of one item, 0 when held; *end: where its line
 * ends in the index. */
static uint16_t
judge(struct commit_index *ix, int fd, const struct commit_item *it,
    uint64_t *end)
{
	char line[LINE_MAX_LEN + 2], *f[4];
	const struct commit_index_line *l;
	struct stat st;
	size_t k;

	if (!strmap_get(
		&ix->map, it->sop_instance, strlen(it->sop_instance), &k))
		return COMMIT_FAIL_NO_SUCH_INSTANCE;
	l = &ix->lines[k];
	if (pread(fd, line, l->len, (off_t)l->off) != (ssize_t)l->len)
		return COMMIT_FAIL_PROCESSING;
	line[l->len] = '\0';
	if (!parse_line(line, f) || strcmp(f[1], it->sop_instance) != 0)
		return COMMIT_FAIL_PROCESSING; /* the file changed under us */
	if (fstatat(ix->dirfd, f[3], &st, AT_SYMLINK_NOFOLLOW) != 0 ||
	    !S_ISREG(st.st_mode) ||
	    (unsigned long long)st.st_size != strtoull(f[2], NULL, 10))
		return COMMIT_FAIL_NO_SUCH_INSTANCE;
	if (strcmp(f[0], it->sop_class) != 0)
		return COMMIT_FAIL_CLASS_INSTANCE_CONFLICT;
	*end = l->off + l->len;
	return 0;
}

/* Makes durable what the index held up to upto (see the header). */
static int
make_durable(struct commit_index *ix, uint64_t upto, struct cs_err *err)
{
	struct stat st;
	int rc = 0;

	if (atomic_load(&ix->synced) >= upto)
		return 0;
	pthread_mutex_lock(&ix->sync_mu);
	/* another report's flush, while we waited, may have covered ours */
	if (atomic_load(&ix->synced) < upto) {
		int fd = atomic_load(&ix->fd);
		/* what is in the index now is covered by a flush from now */
		uint64_t size = fd >= 0 && fstat(fd, &st) == 0
		    ? (uint64_t)st.st_size
		    : upto;

		if (size < upto)
			size = upto;
		atomic_fetch_add(&ix->syncs, 1);
		if (syncfs(ix->dirfd) != 0)
			rc = cs_err_set(err, CS_E_IO,
			    "cannot flush the output directory: %s",
			    strerror(errno));
		else
			atomic_store(&ix->synced, size);
	}
	pthread_mutex_unlock(&ix->sync_mu);
	return rc;
}

int
commit_index_judge(struct commit_index *ix, struct commit_item *items, size_t n,
    int sync, struct cs_err *err)
{
	uint64_t upto = 0, end;
	int fd = shared_fd(ix, 0), rc = 0;

	if (fd < 0 && errno != ENOENT)
		rc = cs_err_set(err, CS_E_IO, "cannot read '%s': %s",
		    COMMIT_INDEX_NAME, strerror(errno));
	pthread_mutex_lock(&ix->map_mu);
	if (rc == 0 && fd >= 0)
		rc = catch_up(ix, fd, err);
	for (size_t i = 0; i < n; i++) {
		end = 0;
		items[i].reason = rc != 0 ? COMMIT_FAIL_PROCESSING
		    : fd < 0              ? COMMIT_FAIL_NO_SUCH_INSTANCE
					  : judge(ix, fd, &items[i], &end);
		if (end > upto)
			upto = end;
	}
	pthread_mutex_unlock(&ix->map_mu);
	if (rc == 0 && sync && upto > 0 &&
	    (rc = make_durable(ix, upto, err)) != 0)
		for (size_t i = 0; i < n; i++)
			items[i].reason = COMMIT_FAIL_PROCESSING;
	return rc;
}

int
commit_index_check(
    int dirfd, struct commit_item *items, size_t n, struct cs_err *err)
{
	struct commit_index ix;
	int fd = openat(dirfd, COMMIT_INDEX_NAME, O_RDONLY | O_CLOEXEC);
	int rc;

	if (fd < 0 && errno != ENOENT) {
		for (size_t i = 0; i < n; i++)
			items[i].reason = COMMIT_FAIL_PROCESSING;
		return cs_err_set(err, CS_E_IO, "cannot read '%s': %s",
		    COMMIT_INDEX_NAME, strerror(errno));
	}
	index_init(&ix, dirfd, 0, fd);
	if (fd < 0) {
		for (size_t i = 0; i < n; i++)
			items[i].reason = COMMIT_FAIL_NO_SUCH_INSTANCE;
		rc = 0;
	} else
		rc = commit_index_judge(&ix, items, n, 0, err);
	commit_index_close(&ix);
	return rc;
}
