/*
 * fuzz_commit_index.c - the receiver's index of stored instances
 * (lib/storescp/commit_index.h) read back after whatever a crash, a
 * disk or another program left in it.
 *
 * Input: the index file's bytes.  They are written to .cstore-index in
 * a private temporary directory that also holds one file, a.dcm, of 10
 * bytes; commit_index_check then asks about three instances.  Besides
 * "no crash, no overread" (ASan): every answer is one of the reasons
 * the header lists, and an instance counts as held (or held under
 * another class) only when some line names it.  A line
 * appended by commit_index_add after the input (the open first ends a
 * torn last line) must be read back: its instance is held.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cstore/cstore.h"
#include "storescp/commit_index.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CLS "1.2.840.10008.5.1.4.1.1.7"

static int dirfd = -1;
static char dir[] = "/tmp/fuzz_commit_index.XXXXXX";

static void
check(int cond)
{
	if (!cond)
		abort();
}

/* The temporary directory goes with the process. */
static void
cleanup(void)
{
	unlinkat(dirfd, "a.dcm", 0);
	unlinkat(dirfd, COMMIT_INDEX_NAME, 0);
	close(dirfd);
	rmdir(dir);
}

static void
init(void)
{
	int fd;

	check(mkdtemp(dir) != NULL);
	dirfd = open(dir, O_RDONLY | O_DIRECTORY);
	check(dirfd >= 0);
	fd = openat(dirfd, "a.dcm", O_WRONLY | O_CREAT | O_TRUNC, 0644);
	check(fd >= 0 && ftruncate(fd, 10) == 0);
	close(fd);
	atexit(cleanup);
}

/* Does the input hold a line that makes instance uid held? */
static int
named(const uint8_t *data, size_t size, const char *uid)
{
	char want[128];
	int n = snprintf(want, sizeof(want), "\t%s\t", uid);

	return memmem(data, size, want, (size_t)n) != NULL;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const uids[3] = { "1.2.3", "1.2.3.4", "2.25.1" };
	struct cs_err err = { 0, "" };
	struct commit_item it[4];
	struct commit_index ix;
	int fd;

	if (dirfd < 0)
		init();
	fd = openat(
	    dirfd, COMMIT_INDEX_NAME, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	check(fd >= 0);
	check(write(fd, data, size) == (ssize_t)size);
	close(fd);
	check(commit_index_open(&ix, dirfd, 0, &err) == 0);
	check(commit_index_add(&ix, CLS, "9.9.9", 10, "a.dcm", &err) == 0);
	commit_index_close(&ix);
	for (int i = 0; i < 3; i++) {
		memset(&it[i], 0, sizeof(it[i]));
		snprintf(it[i].sop_class, sizeof(it[i].sop_class), "%s", CLS);
		snprintf(it[i].sop_instance, sizeof(it[i].sop_instance), "%s",
		    uids[i]);
	}
	memset(&it[3], 0, sizeof(it[3]));
	snprintf(it[3].sop_class, sizeof(it[3].sop_class), "%s", CLS);
	snprintf(it[3].sop_instance, sizeof(it[3].sop_instance), "9.9.9");
	check(commit_index_check(dirfd, it, 4, &err) == 0);
	for (int i = 0; i < 3; i++) {
		check(it[i].reason == 0 ||
		    it[i].reason == COMMIT_FAIL_NO_SUCH_INSTANCE ||
		    it[i].reason == COMMIT_FAIL_CLASS_INSTANCE_CONFLICT);
		if (it[i].reason != COMMIT_FAIL_NO_SUCH_INSTANCE)
			check(named(data, size, uids[i]));
	}
	check(it[3].reason == 0);
	return 0;
}
