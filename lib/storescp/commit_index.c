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

int
commit_index_open(
    struct commit_index *ix, int dirfd, int fsync, struct cs_err *err)
{
	struct stat st;
	char last = '\n';

	ix->dirfd = dirfd;
	ix->fsync = fsync;
	ix->fd = openat(dirfd, COMMIT_INDEX_NAME,
	    O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (ix->fd < 0)
		return cs_err_set(err, CS_E_IO, "cannot open '%s': %s",
		    COMMIT_INDEX_NAME, strerror(errno));
	if (fstat(ix->fd, &st) == 0 && st.st_size > 0 &&
	    pread(ix->fd, &last, 1, st.st_size - 1) != 1)
		last = 0;
	/* a crash cut the last line: end it, so the next is whole */
	if (last != '\n' && write(ix->fd, "\n", 1) != 1) {
		cs_err_set(err, CS_E_IO, "cannot write '%s': %s",
		    COMMIT_INDEX_NAME, strerror(errno));
		commit_index_close(ix);
		return CS_E_IO;
	}
	return 0;
}

void
commit_index_close(struct commit_index *ix)
{
	if (ix->fd >= 0)
		close(ix->fd);
	ix->fd = -1;
}

int
commit_index_add(struct commit_index *ix, const char *sop_class,
    const char *sop_instance, uint64_t bytes, const char *rel,
    struct cs_err *err)
{
	char line[LINE_MAX_LEN + 2];
	int n;

	if (strpbrk(rel, "\t\n") != NULL || strpbrk(sop_class, "\t\n") ||
	    strpbrk(sop_instance, "\t\n"))
		return cs_err_set(err, CS_E_INVAL,
		    "cannot index '%s': a tab or newline in it", rel);
	n = snprintf(line, sizeof(line), "%s\t%s\t%llu\t%s\n", sop_class,
	    sop_instance, (unsigned long long)bytes, rel);
	if (n < 0 || (size_t)n >= sizeof(line))
		return cs_err_set(
		    err, CS_E_INVAL, "cannot index '%s': too long", rel);
	/* one write: O_APPEND keeps concurrent lines whole */
	if (ix->fd < 0 || write(ix->fd, line, (size_t)n) != n ||
	    (ix->fsync && fdatasync(ix->fd) != 0))
		return cs_err_set(err, CS_E_IO, "cannot write '%s': %s",
		    COMMIT_INDEX_NAME, ix->fd < 0 ? "not open" : strerror(errno));
	return 0;
}

/* What the index says of one requested instance (latest line wins). */
struct held {
	int found;
	char sop_class[COMMIT_UID_MAX + 1];
	unsigned long long bytes;
	char *path;
};

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
	if (!uid_is_valid(f[0]) || !uid_is_valid(f[1]) || f[3][0] == '\0' ||
	    f[2][0] < '0' || f[2][0] > '9')
		return 0;
	errno = 0;
	strtoull(f[2], &end, 10);
	return *end == '\0' && errno == 0;
}

static int
note_line(struct strmap *m, struct held *h, char *line, struct cs_err *err)
{
	char *f[4], *path;
	size_t k;

	if (!parse_line(line, f) || !strmap_get(m, f[1], strlen(f[1]), &k))
		return 0;
	path = strdup(f[3]);
	if (path == NULL)
		return cs_err_set(err, CS_E_NOMEM, "out of memory");
	free(h[k].path);
	h[k].path = path;
	h[k].found = 1;
	snprintf(h[k].sop_class, sizeof(h[k].sop_class), "%s", f[0]);
	h[k].bytes = strtoull(f[2], NULL, 10);
	return 0;
}

/* Reads the index, keeping the latest line of each instance in m. */
static int
read_index(int dirfd, struct strmap *m, struct held *h, struct cs_err *err)
{
	int fd = openat(dirfd, COMMIT_INDEX_NAME, O_RDONLY | O_CLOEXEC);
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	FILE *f;
	int rc = 0;

	if (fd < 0)
		return errno == ENOENT ? 0
				       : cs_err_set(err, CS_E_IO,
					     "cannot read '%s': %s",
					     COMMIT_INDEX_NAME, strerror(errno));
	f = fdopen(fd, "r");
	if (f == NULL) {
		close(fd);
		return cs_err_set(err, CS_E_NOMEM, "out of memory");
	}
	while (rc == 0 && (len = getline(&line, &cap, f)) > 0)
		if ((size_t)len <= LINE_MAX_LEN && line[len - 1] == '\n')
			rc = note_line(m, h, line, err);
	if (rc == 0 && ferror(f))
		rc = cs_err_set(err, CS_E_IO, "cannot read '%s'",
		    COMMIT_INDEX_NAME);
	free(line);
	fclose(f);
	return rc;
}

/* The Failure Reason of one item, 0 when held. */
static uint16_t
judge(int dirfd, const struct commit_item *it, const struct held *h)
{
	struct stat st;

	if (!h->found)
		return COMMIT_FAIL_NO_SUCH_INSTANCE;
	if (fstatat(dirfd, h->path, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
	    !S_ISREG(st.st_mode) || (unsigned long long)st.st_size != h->bytes)
		return COMMIT_FAIL_NO_SUCH_INSTANCE;
	if (strcmp(h->sop_class, it->sop_class) != 0)
		return COMMIT_FAIL_CLASS_INSTANCE_CONFLICT;
	return 0;
}

int
commit_index_check(
    int dirfd, struct commit_item *items, size_t n, struct cs_err *err)
{
	struct strmap m;
	struct held *h = calloc(n > 0 ? n : 1, sizeof(*h));
	size_t *slot = calloc(n > 0 ? n : 1, sizeof(*slot));
	int rc = 0;

	strmap_init(&m);
	if (h == NULL || slot == NULL)
		rc = cs_err_set(err, CS_E_NOMEM, "out of memory");
	for (size_t i = 0; rc == 0 && i < n; i++) {
		const char *u = items[i].sop_instance;

		slot[i] = m.count;
		if (strmap_put(&m, u, strlen(u), &slot[i]) < 0)
			rc = cs_err_set(err, CS_E_NOMEM, "out of memory");
	}
	if (rc == 0)
		rc = read_index(dirfd, &m, h, err);
	for (size_t i = 0; i < n; i++)
		items[i].reason = rc != 0 ? COMMIT_FAIL_PROCESSING
					  : judge(dirfd, &items[i], &h[slot[i]]);
	for (size_t i = 0; h != NULL && i < n; i++)
		free(h[i].path);
	free(h);
	free(slot);
	strmap_release(&m);
	return rc;
}
