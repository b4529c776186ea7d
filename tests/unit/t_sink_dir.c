/* t_sink_dir.c - atomic writing of received objects into a directory. */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sys/wait.h>

#include "cstore/cstore.h"
#include "dcmfile/part10.h"
#include "storescp/sink_dir.h"
#include "storescp/sink_owner.h"

Suite *sink_dir_suite(void);

static char top[64];     /* per test: /tmp/t_sink.XXXXXX */
static char dir[128];    /* top/out: the output directory */
static char outside[128]; /* top/outside: must stay empty */

static void
setup(void)
{
	snprintf(top, sizeof(top), "/tmp/t_sink.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(top));
	snprintf(dir, sizeof(dir), "%s/out", top);
	snprintf(outside, sizeof(outside), "%s/outside", top);
	ck_assert_int_eq(mkdir(dir, 0755), 0);
	ck_assert_int_eq(mkdir(outside, 0755), 0);
	umask(022);
	/* named temporaries, which these tests can see; the O_TMPFILE
	 * tests unset it */
	setenv("CSTORE_TEST_NO_TMPFILE", "1", 1);
}

static int
rm_one(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)flag;
	(void)f;
	return remove(p);
}

static void
teardown(void)
{
	nftw(top, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* Number of entries in path (not counting . and ..), recursively. */
static int
count_entries(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *de;
	int n = 0;

	ck_assert_ptr_nonnull(d);
	while ((de = readdir(d)) != NULL) {
		char sub[512];
		struct stat st;

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		n++;
		snprintf(sub, sizeof(sub), "%s/%s", path, de->d_name);
		if (lstat(sub, &st) == 0 && S_ISDIR(st.st_mode))
			n += count_entries(sub);
	}
	closedir(d);
	return n;
}

/* No name in path (recursively) starts with the temporary prefix. */
static int
temps_in(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *de;
	int n = 0;

	ck_assert_ptr_nonnull(d);
	while ((de = readdir(d)) != NULL) {
		char sub[512];
		struct stat st;

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (strncmp(de->d_name, SINK_TMP_PREFIX,
		    strlen(SINK_TMP_PREFIX)) == 0)
			n++;
		snprintf(sub, sizeof(sub), "%s/%s", path, de->d_name);
		if (lstat(sub, &st) == 0 && S_ISDIR(st.st_mode))
			n += temps_in(sub);
	}
	closedir(d);
	return n;
}

/* Reads path whole into buf; returns its size or -1. */
static long
slurp(const char *path, void *buf, size_t max)
{
	FILE *f = fopen(path, "rb");
	size_t n;

	if (f == NULL)
		return -1;
	n = fread(buf, 1, max, f);
	fclose(f);
	return (long)n;
}

static void
spit(const char *path, const char *s)
{
	FILE *f = fopen(path, "wb");

	ck_assert_ptr_nonnull(f);
	fputs(s, f);
	fclose(f);
}

static const struct sink_meta meta = {
	"1.2.840.10008.5.1.4.1.1.7", "1.2.3.4.5", "1.2.840.10008.1.2.1",
	CS_IMPL_CLASS_UID, CS_IMPL_VERSION, "STORESCU"
};

/* Stores payload as rel with the given policy; returns the result. */
static int
store(struct sink_root *root, const char *payload, const char *rel,
    enum sink_dup dup, unsigned flags, char *final, size_t finalsz,
    struct cs_err *err)
{
	struct sink s;

	ck_assert_int_eq(sink_begin(&s, root, NULL, err), 0);
	ck_assert_int_eq(sink_write(&s, payload, strlen(payload), err), 0);
	return sink_commit(&s, rel, dup, flags, final, finalsz, err);
}

START_TEST(commit_creates_exactly_the_final_file)
{
	struct sink_root root;
	struct sink s;
	struct cs_err err = { 0 };
	static uint8_t buf[65536], data[40000];
	char final[PATH_MAX], want[PATH_MAX];
	struct stat st;
	size_t i;
	long n;

	for (i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 7);
	ck_assert_int_eq(sink_root_open(&root, dir, &err), 0);
	ck_assert_int_eq(sink_begin(&s, &root, &meta, &err), 0);
	ck_assert_uint_gt(sink_bytes(&s), 132);
	/* the temporary is there, under its own name only */
	ck_assert_int_eq(count_entries(dir), 1);
	ck_assert_int_eq(temps_in(dir), 1);
	for (i = 0; i < sizeof(data); i += 1000)
		ck_assert_int_eq(sink_write(&s, data + i, 1000, &err), 0);
	ck_assert_int_eq(sink_commit(&s, "1.2.3.4.5.dcm", SINK_DUP_OVERWRITE,
	    0, final, sizeof(final), &err), SINK_STORED);
	ck_assert_str_eq(err.msg, "");
	snprintf(want, sizeof(want), "%s/1.2.3.4.5.dcm", dir);
	ck_assert_str_eq(final, want);
	ck_assert_int_eq(count_entries(dir), 1);
	ck_assert_int_eq(temps_in(dir), 0);
	n = slurp(final, buf, sizeof(buf));
	ck_assert_int_eq(n, (long)sink_bytes(&s));
	/* PS3.10 7.1: 128 zero bytes, "DICM", group 0002, then our bytes */
	for (i = 0; i < 128; i++)
		ck_assert_uint_eq(buf[i], 0);
	ck_assert_int_eq(memcmp(buf + 128, "DICM\x02\x00", 6), 0);
	ck_assert_ptr_nonnull(memmem(buf, (size_t)n - sizeof(data),
	    "1.2.3.4.5", 9));
	ck_assert_int_eq(memcmp(buf + n - (long)sizeof(data), data,
	    sizeof(data)), 0);
	ck_assert_int_eq(stat(final, &st), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0644);
	/* the sink is finished: abort does nothing more */
	sink_abort(&s);
	ck_assert_int_eq(count_entries(dir), 1);
	ck_assert_int_eq(sink_write(&s, "x", 1, NULL), CS_E_STATE);
	sink_root_close(&root);
}
END_TEST

START_TEST(abort_leaves_nothing)
{
	struct sink_root root;
	struct sink s;
	struct sink zeroed = { 0 };

	ck_assert_int_eq(sink_root_open(&root, dir, NULL), 0);
	ck_assert_int_eq(sink_begin(&s, &root, &meta, NULL), 0);
	ck_assert_int_eq(sink_write(&s, "abcd", 4, NULL), 0);
	ck_assert_int_eq(count_entries(dir), 1);
	sink_abort(&s);
	ck_assert_int_eq(count_entries(dir), 0);
	sink_abort(&s);
	sink_abort(&zeroed); /* never begun: must not close fd 0 */
	ck_assert_int_ne(fcntl(0, F_GETFD), -1);
	sink_root_close(&root);
	sink_root_close(&root);
}
END_TEST

START_TEST(bad_meta_leaves_nothing)
{
	struct sink_root root;
	struct sink s;
	struct cs_err err = { 0 };
	struct sink_meta bad = meta;

	bad.sop_instance = "not a uid";
	ck_assert_int_eq(sink_root_open(&root, dir, NULL), 0);
	ck_assert_int_eq(sink_begin(&s, &root, &bad, &err), CS_E_INVAL);
	ck_assert_int_eq(count_entries(dir), 0);
	sink_abort(&s);
	ck_assert_int_eq(sink_commit(&s, "x.dcm", SINK_DUP_OVERWRITE, 0, NULL,
	    0, NULL), CS_E_STATE);
	sink_root_close(&root);
}
END_TEST

START_TEST(overwrite_replaces_the_existing_file)
{
	struct sink_root root;
	char final[PATH_MAX], path[PATH_MAX], buf[64];

	snprintf(path, sizeof(path), "%s/x.dcm", dir);
	spit(path, "old");
	ck_assert_int_eq(sink_root_open(&root, dir, NULL), 0);
	ck_assert_int_eq(store(&root, "new", "x.dcm", SINK_DUP_OVERWRITE, 0,
	    final, sizeof(final), NULL), SINK_STORED);
	ck_assert_str_eq(final, path);
	ck_assert_int_eq(slurp(path, buf, sizeof(buf)), 3);
	ck_assert_int_eq(memcmp(buf, "new", 3), 0);
	ck_assert_int_eq(count_entries(dir), 1);
	sink_root_close(&root);
}
END_TEST

START_TEST(keep_leaves_the_existing_file)
{
	struct sink_root root;
	char final[PATH_MAX], path[PATH_MAX], buf[64];

	snprintf(path, sizeof(path), "%s/x.dcm", dir);
	spit(path, "old");
	ck_assert_int_eq(sink_root_open(&root, dir, NULL), 0);
	ck_assert_int_eq(store(&root, "new", "x.dcm", SINK_DUP_KEEP, 0,
	    final, sizeof(final), NULL), SINK_KEPT);
	ck_assert_str_eq(final, path);
	ck_assert_int_eq(slurp(path, buf, sizeof(buf)), 3);
	ck_assert_int_eq(memcmp(buf, "old", 3), 0);
	ck_assert_int_eq(count_entries(dir), 1);
	/* a free name is simply stored */
	ck_assert_int_eq(store(&root, "new", "y.dcm", SINK_DUP_KEEP, 0,
	    final, sizeof(final), NULL), SINK_STORED);
	ck_assert_int_eq(count_entries(dir), 2);
	sink_root_close(&root);
}
END_TEST

START_TEST(reject_refuses_and_leaves_the_existing_file)
{
	struct sink_root root;
	char final[PATH_MAX], path[PATH_MAX], buf[64];

	snprintf(path, sizeof(path), "%s/x.dcm", dir);
	spit(path, "old");
	ck_assert_int_eq(sink_root_open(&root, dir, NULL), 0);
	ck_assert_int_eq(store(&root, "new", "x.dcm", SINK_DUP_REJECT, 0,
	    final, sizeof(final), NULL), SINK_REJECTED);
	ck_assert_int_eq(slurp(path, buf, sizeof(buf)), 3);
	ck_assert_int_eq(memcmp(buf, "old", 3), 0);
	ck_assert_int_eq(count_entries(dir), 1);
	ck_assert_int_eq(store(&root, "new", "z.dcm", SINK_DUP_REJECT, 0,
	    final, sizeof(final), NULL), SINK_STORED);
	sink_root_close(&root);
}
END_TEST

START_TEST(rename_picks_the_next_free_number)
{
	struct sink_root root;
	char final[PATH_MAX], want[PATH_MAX], buf[64];

	ck_assert_int_eq(sink_root_open(&root, dir, NULL), 0);
	ck_assert_int_eq(store(&root, "v0", "s/x.dcm", SINK_DUP_RENAME, 0,
	    final, sizeof(final), NULL), SINK_STORED);
	snprintf(want, sizeof(want), "%s/s/x.dcm", dir);
	ck_assert_str_eq(final, want);
	ck_assert_int_eq(store(&root, "v1", "s/x.dcm", SINK_DUP_RENAME, 0,
	    final, sizeof(final), NULL), SINK_STORED);
	snprintf(want, sizeof(want), "%s/s/x~2.dcm", dir);
	ck_assert_str_eq(final, want);
	ck_assert_int_eq(store(&root, "v2", "s/x.dcm", SINK_DUP_RENAME, 0,
	    final, sizeof(final), NULL), SINK_STORED);
	snprintf(want, sizeof(want), "%s/s/x~3.dcm", dir);
	ck_assert_str_eq(final, want);
	ck_assert_int_eq(slurp(want, buf, sizeof(buf)), 2);
	ck_assert_int_eq(memcmp(buf, "v2", 2), 0);
	/* no extension: a plain suffix */
	ck_assert_int_eq(store(&root, "a", "noext", SINK_DUP_RENAME, 0,
	    final, sizeof(final), NULL), SINK_STORED);
	ck_assert_int_eq(store(&root, "b", "noext", SINK_DUP_RENAME, 0,
	    final, sizeof(final), NULL), SINK_STORED);
	snprintf(want, sizeof(want), "%s/noext~2", dir);
	ck_assert_str_eq(final, want);
	ck_assert_int_eq(count_entries(dir), 6); /* s + 3 files + 2 */
	ck_assert_int_eq(temps_in(dir), 0);
	sink_root_close(&root);
}
END_TEST

START_TEST(subdirectories_are_created_with_fsync)
{
	struct sink_root root;
	char final[PATH_MAX], want[PATH_MAX], buf[64];
	struct stat st;

	ck_assert_int_eq(sink_root_open(&root, dir, NULL), 0);
	ck_assert_int_eq(store(&root, "deep", "P1/1.2.3/1.2.3.4/9.dcm",
	    SINK_DUP_OVERWRITE, SINK_FSYNC, final, sizeof(final), NULL),
	    SINK_STORED);
	snprintf(want, sizeof(want), "%s/P1/1.2.3/1.2.3.4/9.dcm", dir);
	ck_assert_str_eq(final, want);
	ck_assert_int_eq(slurp(want, buf, sizeof(buf)), 4);
	snprintf(want, sizeof(want), "%s/P1/1.2.3", dir);
	ck_assert_int_eq(stat(want, &st), 0);
	ck_assert(S_ISDIR(st.st_mode));
	ck_assert_uint_eq(st.st_mode & 07777, 0755);
	/* the existing directories are reused */
	ck_assert_int_eq(store(&root, "more", "P1/1.2.3/1.2.3.4/10.dcm",
	    SINK_DUP_KEEP, SINK_FSYNC, final, sizeof(final), NULL),
	    SINK_STORED);
	ck_assert_int_eq(count_entries(dir), 5);
	sink_root_close(&root);
}
END_TEST

START_TEST(symlinked_subdirectory_is_refused)
{
	struct sink_root root;
	struct cs_err err = { 0 };
	char link[PATH_MAX], final[PATH_MAX];

	snprintf(link, sizeof(link), "%s/P1", dir);
	ck_assert_int_eq(symlink(outside, link), 0);
	ck_assert_int_eq(sink_root_open(&root, dir, NULL), 0);
	ck_assert_int_eq(store(&root, "evil", "P1/x.dcm", SINK_DUP_OVERWRITE,
	    0, final, sizeof(final), &err), CS_E_IO);
	ck_assert_ptr_nonnull(strstr(err.msg, "'P1' is not a directory "
	    "inside"));
	ck_assert_str_eq(final, "");
	ck_assert_int_eq(count_entries(outside), 0);
	ck_assert_int_eq(temps_in(dir), 0);
	/* deeper down too, and a plain file in the way */
	snprintf(link, sizeof(link), "%s/a", dir);
	ck_assert_int_eq(mkdir(link, 0755), 0);
	snprintf(link, sizeof(link), "%s/a/b", dir);
	ck_assert_int_eq(symlink("../../outside", link), 0);
	ck_assert_int_eq(store(&root, "evil", "a/b/c/x.dcm",
	    SINK_DUP_RENAME, 0, NULL, 0, NULL), CS_E_IO);
	snprintf(link, sizeof(link), "%s/f", dir);
	spit(link, "file");
	ck_assert_int_eq(store(&root, "evil", "f/x.dcm", SINK_DUP_OVERWRITE,
	    0, NULL, 0, NULL), CS_E_IO);
	ck_assert_int_eq(count_entries(outside), 0);
	ck_assert_int_eq(temps_in(dir), 0);
	sink_root_close(&root);
}
END_TEST

START_TEST(symlink_at_the_final_name_is_replaced_not_followed)
{
	struct sink_root root;
	char link[PATH_MAX], target[PATH_MAX], buf[64];
	struct stat st;

	snprintf(target, sizeof(target), "%s/victim", outside);
	spit(target, "precious");
	snprintf(link, sizeof(link), "%s/x.dcm", dir);
	ck_assert_int_eq(symlink(target, link), 0);
	ck_assert_int_eq(sink_root_open(&root, dir, NULL), 0);
	ck_assert_int_eq(store(&root, "ours", "x.dcm", SINK_DUP_OVERWRITE, 0,
	    NULL, 0, NULL), SINK_STORED);
	ck_assert_int_eq(lstat(link, &st), 0);
	ck_assert(S_ISREG(st.st_mode));
	ck_assert_int_eq(slurp(target, buf, sizeof(buf)), 8);
	ck_assert_int_eq(memcmp(buf, "precious", 8), 0);
	sink_root_close(&root);
}
END_TEST

START_TEST(invalid_relative_paths_are_refused)
{
	static const char *const bad[] = { "", "/abs.dcm", "../x.dcm",
		"a/../x.dcm", "./x.dcm", "a//x.dcm", "a/", ".", "..",
		".cstore-tmp-abc", "a/.cstore-tmp-x" };
	struct sink_root root;
	struct cs_err err;
	size_t i;

	ck_assert_int_eq(sink_root_open(&root, dir, NULL), 0);
	for (i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		cs_err_clear(&err);
		ck_assert_int_eq(store(&root, "x", bad[i], SINK_DUP_OVERWRITE, 0,
		    NULL, 0, &err), CS_E_INVAL);
		ck_assert_ptr_nonnull(strstr(err.msg, "invalid file name"));
		ck_assert_int_eq(count_entries(dir), 0);
	}
	ck_assert_int_eq(count_entries(top), 2);
	sink_root_close(&root);
}
END_TEST

START_TEST(cwd_change_does_not_matter)
{
	struct sink_root root;
	struct sink s;
	char rel[PATH_MAX], cwd[PATH_MAX], path[PATH_MAX];
	struct stat st;

	ck_assert_ptr_nonnull(getcwd(cwd, sizeof(cwd)));
	ck_assert_int_eq(chdir(top), 0);
	ck_assert_int_eq(sink_root_open(&root, "out", NULL), 0);
	ck_assert_int_eq(sink_begin(&s, &root, NULL, NULL), 0);
	ck_assert_int_eq(chdir(outside), 0);
	ck_assert_int_eq(sink_write(&s, "z", 1, NULL), 0);
	snprintf(rel, sizeof(rel), "d/x.dcm");
	ck_assert_int_eq(sink_commit(&s, rel, SINK_DUP_OVERWRITE, 0, path,
	    sizeof(path), NULL), SINK_STORED);
	ck_assert_str_eq(path, "out/d/x.dcm");
	ck_assert_int_eq(chdir(cwd), 0);
	snprintf(path, sizeof(path), "%s/d/x.dcm", dir);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(count_entries(outside), 0);
	sink_root_close(&root);
}
END_TEST

START_TEST(unusable_output_directory_is_reported)
{
	struct sink_root root;
	struct cs_err err = { 0 };
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/missing", top);
	ck_assert_int_eq(sink_root_open(&root, path, &err), CS_E_IO);
	ck_assert_ptr_nonnull(strstr(err.msg, "cannot open output directory"));
	ck_assert_ptr_nonnull(strstr(err.msg, "No such file or directory"));
	snprintf(path, sizeof(path), "%s/file", top);
	spit(path, "x");
	cs_err_clear(&err);
	ck_assert_int_eq(sink_root_open(&root, path, &err), CS_E_IO);
	ck_assert_ptr_nonnull(strstr(err.msg, "Not a directory"));
	ck_assert_int_eq(sink_root_open(&root, "", NULL), CS_E_INVAL);
	ck_assert_int_eq(root.dirfd, -1);
}
END_TEST

START_TEST(write_error_maps_enospc_and_cleans_up)
{
	struct sink_root root;
	struct sink s;
	struct cs_err err = { 0 };
	int full;

	/* /dev/full fails every write with ENOSPC: put it in place of the
	 * temporary file's descriptor to take the disk-full path */
	ck_assert_int_eq(sink_root_open(&root, dir, NULL), 0);
	ck_assert_int_eq(sink_begin(&s, &root, NULL, NULL), 0);
	full = open("/dev/full", O_WRONLY);
	ck_assert_int_ge(full, 0);
	ck_assert_int_ge(dup2(full, s.fd), 0);
	close(full);
	ck_assert_int_eq(sink_write(&s, "data", 4, &err), CS_E_NOSPACE);
	ck_assert_ptr_nonnull(strstr(err.msg, "No space left on device"));
	ck_assert_ptr_nonnull(strstr(err.msg, SINK_TMP_PREFIX));
	/* the object is dead: no more writes, no commit */
	ck_assert_int_eq(sink_write(&s, "data", 4, NULL), CS_E_STATE);
	ck_assert_int_eq(sink_commit(&s, "x.dcm", SINK_DUP_OVERWRITE, 0, NULL,
	    0, NULL), CS_E_STATE);
	ck_assert_int_eq(count_entries(dir), 0);
	sink_root_close(&root);
}
END_TEST

START_TEST(disk_full_on_a_small_tmpfs)
{
	struct sink_root root;
	struct sink s;
	struct cs_err err = { 0 };
	static char chunk[4096];
	char mnt[PATH_MAX];
	int i, rc = 0;

	/* a 64 KiB file system of our own, in a private mount namespace
	 * (Check runs each test in a child process) */
	if (unshare(CLONE_NEWNS) != 0 ||
	    mount("none", "/", "none", MS_REC | MS_PRIVATE, NULL) != 0) {
		fprintf(stderr, "t_sink_dir: no mount namespace (%s): tmpfs "
		    "test skipped, /dev/full test covers ENOSPC\n",
		    strerror(errno));
		return;
	}
	snprintf(mnt, sizeof(mnt), "%s/small", top);
	ck_assert_int_eq(mkdir(mnt, 0755), 0);
	ck_assert_int_eq(mount("tmpfs", mnt, "tmpfs", 0, "size=64k"), 0);
	ck_assert_int_eq(sink_root_open(&root, mnt, NULL), 0);
	ck_assert_int_eq(sink_begin(&s, &root, &meta, NULL), 0);
	for (i = 0; i < 64 && rc == 0; i++)
		rc = sink_write(&s, chunk, sizeof(chunk), &err);
	ck_assert_int_eq(rc, CS_E_NOSPACE);
	ck_assert_ptr_nonnull(strstr(err.msg, "No space left on device"));
	sink_abort(&s);
	ck_assert_int_eq(count_entries(mnt), 0);
	/* space is back: a small object fits */
	ck_assert_int_eq(store(&root, "ok", "ok.dcm", SINK_DUP_OVERWRITE,
	    SINK_FSYNC, NULL, 0, NULL), SINK_STORED);
	ck_assert_int_eq(count_entries(mnt), 1);
	sink_root_close(&root);
	umount(mnt);
}
END_TEST

/* Writes DIR/REL named .cstore-tmp-<owner>.abcdefghijkl, mtime t (0:
 * now). */
static void
temp_of(const char *rel, const char *owner, time_t t)
{
	struct timespec ts[2] = { { t, 0 }, { t, 0 } };
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s" SINK_TMP_PREFIX "%s.abcdefghijkl",
	    dir, rel, owner);
	spit(path, "x");
	if (t != 0)
		ck_assert_int_eq(utimensat(AT_FDCWD, path, ts, 0), 0);
}

static int
temp_exists(const char *rel, const char *owner)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s" SINK_TMP_PREFIX "%s.abcdefghijkl",
	    dir, rel, owner);
	return access(path, F_OK) == 0;
}

START_TEST(sweep_removes_only_dead_owners_temporaries)
{
	struct sink_root root;
	char self[SINK_OWNER_MAX], boot[9], o[6][128], path[PATH_MAX];
	unsigned long long ns, start;
	long pid;
	unsigned removed = 99;
	pid_t child;

	if (sink_owner_self(self, sizeof(self)) != 0) {
		fprintf(stderr, "t_sink_dir: no /proc: sweep test skipped\n");
		return;
	}
	ck_assert_int_eq(sscanf(self, "%8[0-9a-f].%llu.%ld.%llu", boot, &ns,
	    &pid, &start), 4);
	child = fork();
	if (child == 0)
		_exit(0);
	ck_assert_int_eq(waitpid(child, NULL, 0), child);
	/* dead: a process that has exited */
	snprintf(o[0], sizeof(o[0]), "%s.%llu.%ld.%llu", boot, ns,
	    (long)child, start);
	/* dead: our PID, another start time (a reused PID) */
	snprintf(o[1], sizeof(o[1]), "%s.%llu.%ld.%llu", boot, ns, pid,
	    start + 1);
	/* alive: ourselves */
	snprintf(o[2], sizeof(o[2]), "%s", self);
	/* unknown: another PID namespace of this boot */
	snprintf(o[3], sizeof(o[3]), "%s.%llu.%ld.%llu", boot, ns + 1,
	    (long)child, start);
	/* another boot: gone if untouched since before ours began */
	snprintf(o[4], sizeof(o[4]), "%s.%llu.%ld.%llu",
	    boot[0] == '0' ? "1234abcd" : "0234abcd", ns, pid, start);
	snprintf(o[5], sizeof(o[5]), "%s", "old-format");
	temp_of("", o[0], 0);
	temp_of("", o[1], 0);
	temp_of("", o[2], 0);
	temp_of("", o[3], 0);
	temp_of("", o[4], 1000);
	temp_of("", o[5], 1000);
	snprintf(path, sizeof(path), "%s/a", dir);
	ck_assert_int_eq(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/a/b", dir);
	ck_assert_int_eq(mkdir(path, 0755), 0);
	temp_of("a/b/", o[0], 0);
	temp_of("a/b/", o[2], 0);
	ck_assert_int_eq(sink_root_open(&root, dir, NULL), 0);
	/* depth 1 does not reach a/b */
	ck_assert_int_eq(sink_root_sweep(&root, 1, &removed, NULL), 0);
	ck_assert_uint_eq(removed, 3);
	ck_assert(!temp_exists("", o[0]));
	ck_assert(!temp_exists("", o[1]));
	ck_assert(temp_exists("", o[2]));
	ck_assert(temp_exists("", o[3]));
	ck_assert(!temp_exists("", o[4]));
	ck_assert(temp_exists("", o[5]));
	ck_assert(temp_exists("a/b/", o[0]));
	ck_assert_int_eq(sink_root_sweep(&root, 2, &removed, NULL), 0);
	ck_assert_uint_eq(removed, 1);
	ck_assert(!temp_exists("a/b/", o[0]));
	ck_assert(temp_exists("a/b/", o[2]));
	/* another boot, written after ours began: maybe another machine's */
	temp_of("", o[4], 0);
	ck_assert_int_eq(sink_root_sweep(&root, 0, &removed, NULL), 0);
	ck_assert_uint_eq(removed, 0);
	sink_root_close(&root);
}
END_TEST

START_TEST(o_tmpfile_has_no_name_until_committed)
{
	struct sink_root root;
	struct sink s;
	char final[PATH_MAX], buf[4096];
	long n;

	unsetenv("CSTORE_TEST_NO_TMPFILE");
	ck_assert_int_eq(sink_root_open(&root, dir, NULL), 0);
	ck_assert_int_eq(sink_begin(&s, &root, &meta, NULL), 0);
	if (!s.tmpfile) {
		fprintf(stderr, "t_sink_dir: no O_TMPFILE on /tmp: skipped\n");
		sink_abort(&s);
		return;
	}
	ck_assert_int_eq(sink_write(&s, "payload-1", 9, NULL), 0);
	ck_assert_int_eq(count_entries(dir), 0);
	ck_assert_int_eq(sink_commit(&s, "1.2.3.4.5.dcm", SINK_DUP_OVERWRITE,
	    SINK_FSYNC, final, sizeof(final), NULL), SINK_STORED);
	ck_assert_int_eq(count_entries(dir), 1);
	n = slurp(final, buf, sizeof(buf));
	ck_assert_int_gt(n, 9);
	ck_assert_int_eq(memcmp(buf + n - 9, "payload-1", 9), 0);
	/* the same instance again: replaced through a temporary name */
	ck_assert_int_eq(sink_begin(&s, &root, &meta, NULL), 0);
	ck_assert_int_eq(sink_write(&s, "payload-2", 9, NULL), 0);
	ck_assert_int_eq(sink_commit(&s, "1.2.3.4.5.dcm", SINK_DUP_OVERWRITE,
	    0, final, sizeof(final), NULL), SINK_STORED);
	ck_assert_int_eq(count_entries(dir), 1);
	n = slurp(final, buf, sizeof(buf));
	ck_assert_int_eq(memcmp(buf + n - 9, "payload-2", 9), 0);
	/* aborted: nothing, ever */
	ck_assert_int_eq(sink_begin(&s, &root, &meta, NULL), 0);
	ck_assert_int_eq(sink_write(&s, "payload-3", 9, NULL), 0);
	sink_abort(&s);
	ck_assert_int_eq(count_entries(dir), 1);
	sink_root_close(&root);
}
END_TEST

START_TEST(begin_in_makes_the_file_in_its_directory)
{
	struct sink_root root;
	struct sink s;
	struct cs_err err = { 0 };
	char path[PATH_MAX];
	struct stat st;

	ck_assert_int_eq(sink_root_open(&root, dir, NULL), 0);
	ck_assert_int_eq(sink_begin_in(&s, &root, "p1/st", 0, &meta, NULL), 0);
	snprintf(path, sizeof(path), "%s/p1/st", dir);
	ck_assert_int_eq(temps_in(path), 1);
	ck_assert_int_eq(sink_write(&s, "x", 1, NULL), 0);
	ck_assert_int_eq(sink_commit(&s, "p1/st/1.2.dcm", SINK_DUP_OVERWRITE,
	    0, NULL, 0, NULL), SINK_STORED);
	ck_assert_int_eq(temps_in(dir), 0);
	snprintf(path, sizeof(path), "%s/p1/st/1.2.dcm", dir);
	ck_assert_int_eq(stat(path, &st), 0);
	/* a bad directory and a file system fuller than the minimum */
	ck_assert_int_eq(sink_begin_in(&s, &root, "../x", 0, &meta, NULL),
	    CS_E_INVAL);
	root.min_free = UINT64_MAX;
	ck_assert_int_eq(sink_begin_in(&s, &root, "p1", 0, &meta, &err),
	    CS_E_NOSPACE);
	ck_assert_ptr_nonnull(strstr(err.msg, "minimum"));
	ck_assert_int_eq(temps_in(dir), 0);
	sink_abort(&s);
	sink_root_close(&root);
}
END_TEST

/* Commits an object begun in the output directory below a tmpfs
 * mounted inside it: copied, never EXDEV. */
static void
across_a_mount(int tmpfile)
{
	struct sink_root root;
	struct sink s;
	char mnt[PATH_MAX], final[PATH_MAX], buf[8192];
	static char data[6000];
	long n;
	size_t i;

	if (unshare(CLONE_NEWNS) != 0 ||
	    mount("none", "/", "none", MS_REC | MS_PRIVATE, NULL) != 0) {
		fprintf(stderr, "t_sink_dir: no mount namespace (%s): "
		    "mount test skipped\n", strerror(errno));
		return;
	}
	if (tmpfile)
		unsetenv("CSTORE_TEST_NO_TMPFILE");
	for (i = 0; i < sizeof(data); i++)
		data[i] = (char)('a' + i % 26);
	snprintf(mnt, sizeof(mnt), "%s/nas", dir);
	ck_assert_int_eq(mkdir(mnt, 0755), 0);
	ck_assert_int_eq(mount("tmpfs", mnt, "tmpfs", 0, "size=1m"), 0);
	ck_assert_int_eq(sink_root_open(&root, dir, NULL), 0);
	ck_assert_int_eq(sink_begin(&s, &root, &meta, NULL), 0);
	ck_assert_int_eq(sink_write(&s, data, sizeof(data), NULL), 0);
	ck_assert_int_eq(sink_commit(&s, "nas/d/1.2.3.4.5.dcm",
	    SINK_DUP_OVERWRITE, SINK_FSYNC, final, sizeof(final), NULL),
	    SINK_STORED);
	n = slurp(final, buf, sizeof(buf));
	ck_assert_int_gt(n, (long)sizeof(data));
	ck_assert_int_eq(memcmp(buf + n - (long)sizeof(data), data,
	    sizeof(data)), 0);
	ck_assert_int_eq(temps_in(dir), 0);
	ck_assert_int_eq(count_entries(dir), 3); /* nas, nas/d, the file */
	sink_root_close(&root);
	umount2(mnt, MNT_DETACH);
}

START_TEST(a_named_temporary_is_copied_across_a_mount_point)
{
	across_a_mount(0);
}
END_TEST

START_TEST(an_o_tmpfile_is_copied_across_a_mount_point)
{
	across_a_mount(1);
}
END_TEST

START_TEST(duplicate_policy_words_parse)
{
	enum sink_dup d = SINK_DUP_REJECT;
	struct cs_err err = { 0 };

	ck_assert_int_eq(sink_dup_parse("overwrite", &d, NULL), 0);
	ck_assert_int_eq(d, SINK_DUP_OVERWRITE);
	ck_assert_int_eq(sink_dup_parse("keep", &d, NULL), 0);
	ck_assert_int_eq(d, SINK_DUP_KEEP);
	ck_assert_int_eq(sink_dup_parse("rename", &d, NULL), 0);
	ck_assert_int_eq(d, SINK_DUP_RENAME);
	ck_assert_int_eq(sink_dup_parse("reject", &d, NULL), 0);
	ck_assert_int_eq(d, SINK_DUP_REJECT);
	ck_assert_int_eq(sink_dup_parse("Keep", &d, &err), CS_E_INVAL);
	ck_assert_str_eq(err.msg, "invalid duplicate policy 'Keep' "
	    "(overwrite, keep, rename or reject)");
}
END_TEST

/*
 * Stores instance uid (a Part 10 file whose data set is one element,
 * (0009,0010) LO, holding payload: a whole data set, as keep and reject
 * want of the file they answer for) as rel with the given policy;
 * returns the result, *collisions the names passed over.
 */
static int
store_uid(struct sink_root *root, const char *uid, const char *payload,
    const char *rel, enum sink_dup dup, char *final, size_t finalsz,
    unsigned *collisions)
{
	struct sink_meta m = meta;
	struct sink s;
	int rc;
	size_t len = strlen(payload);
	uint8_t head[8] = { 0x09, 0x00, 0x10, 0x00, 'L', 'O',
		(uint8_t)((len + 1) & ~(size_t)1), 0 };

	m.sop_instance = uid;
	ck_assert_int_eq(sink_begin(&s, root, &m, NULL), 0);
	ck_assert_int_eq(sink_write(&s, head, sizeof(head), NULL), 0);
	ck_assert_int_eq(sink_write(&s, payload, len, NULL), 0);
	if (len % 2)
		ck_assert_int_eq(sink_write(&s, " ", 1, NULL), 0);
	rc = sink_commit(&s, rel, dup, 0, final, finalsz, NULL);
	if (collisions != NULL)
		*collisions = s.collisions;
	return rc;
}

/* The SOP Instance UID in the meta of dir/name, "" if none. */
static const char *
uid_of(const char *name)
{
	static struct part10_info info;
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (part10_probe_path(path, PART10_O_META_ONLY, &info, NULL) != 0)
		return "";
	return info.meta_sop_instance;
}

/* The payload store_uid wrote to dir/name into buf, NUL-terminated. */
static const char *
payload_of(const char *name, char *buf, size_t max)
{
	static uint8_t all[8192];
	struct part10_info info;
	char path[PATH_MAX];
	long n;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	n = slurp(path, all, sizeof(all));
	ck_assert_int_eq(part10_probe_path(path, PART10_O_META_ONLY, &info,
	    NULL), 0);
	ck_assert_int_le((long)info.dataset_offset, n);
	ck_assert_int_ge(n - (long)info.dataset_offset, 8);
	snprintf(buf, max, "%.*s", (int)(n - (long)info.dataset_offset - 8),
	    (const char *)all + info.dataset_offset + 8);
	if (buf[0] != '\0' && buf[strlen(buf) - 1] == ' ')
		buf[strlen(buf) - 1] = '\0'; /* the pad of an odd payload */
	return buf;
}

/* keep and reject answer for a whole file of the instance only: one cut
 * short is another object, and the instance is stored beside it */
START_TEST(keep_and_reject_pass_over_a_copy_cut_short)
{
	struct sink_root root;
	char final[PATH_MAX], want[PATH_MAX], path[PATH_MAX], buf[64];
	struct stat st;
	unsigned coll;

	ck_assert_int_eq(sink_root_open(&root, dir, NULL), 0);
	ck_assert_int_eq(store_uid(&root, "1.2.3.9", "whole", "I.dcm",
	    SINK_DUP_OVERWRITE, NULL, 0, NULL), SINK_STORED);
	snprintf(path, sizeof(path), "%s/I.dcm", dir);
	ck_assert_int_eq(stat(path, &st), 0);
	/* its meta header whole (the same instance), its value cut */
	ck_assert_int_eq(truncate(path, st.st_size - 2), 0);
	ck_assert_int_eq(store_uid(&root, "1.2.3.9", "again", "I.dcm",
	    SINK_DUP_KEEP, final, sizeof(final), &coll), SINK_STORED);
	snprintf(want, sizeof(want), "%s/I~2.dcm", dir);
	ck_assert_str_eq(final, want);
	ck_assert_uint_eq(coll, 1);
	ck_assert_str_eq(payload_of("I~2.dcm", buf, sizeof(buf)), "again");
	/* the whole one there now answers for the instance */
	ck_assert_int_eq(store_uid(&root, "1.2.3.9", "third", "I.dcm",
	    SINK_DUP_KEEP, final, sizeof(final), NULL), SINK_KEPT);
	ck_assert_str_eq(final, want);
	ck_assert_int_eq(store_uid(&root, "1.2.3.9", "fourth", "I.dcm",
	    SINK_DUP_REJECT, final, sizeof(final), NULL), SINK_REJECTED);
	ck_assert_int_eq(count_entries(dir), 2);
	sink_root_close(&root);
}
END_TEST

START_TEST(distinct_instances_on_one_name_get_suffixed_names)
{
	struct sink_root root;
	char final[PATH_MAX], want[PATH_MAX], uid[32], name[32], buf[64];
	unsigned coll, i;

	ck_assert_int_eq(sink_root_open(&root, dir, NULL), 0);
	for (i = 1; i <= 12; i++) {
		snprintf(uid, sizeof(uid), "1.2.3.%u", i);
		ck_assert_int_eq(store_uid(&root, uid, uid, "CT.dcm",
		    SINK_DUP_OVERWRITE, final, sizeof(final), &coll),
		    SINK_STORED);
		ck_assert_uint_eq(coll, i - 1);
		if (i == 1)
			snprintf(name, sizeof(name), "CT.dcm");
		else
			snprintf(name, sizeof(name), "CT~%u.dcm", i);
		snprintf(want, sizeof(want), "%s/%s", dir, name);
		ck_assert_str_eq(final, want);
	}
	ck_assert_int_eq(count_entries(dir), 12);
	ck_assert_int_eq(temps_in(dir), 0);
	/* each name holds exactly the instance sent to it, whole */
	for (i = 1; i <= 12; i++) {
		if (i == 1)
			snprintf(name, sizeof(name), "CT.dcm");
		else
			snprintf(name, sizeof(name), "CT~%u.dcm", i);
		snprintf(uid, sizeof(uid), "1.2.3.%u", i);
		ck_assert_str_eq(uid_of(name), uid);
		ck_assert_str_eq(payload_of(name, buf, sizeof(buf)), uid);
	}
	sink_root_close(&root);
}
END_TEST

START_TEST(a_resent_instance_follows_the_policy_where_it_lives)
{
	struct sink_root root;
	char final[PATH_MAX], want[PATH_MAX], buf[64];
	unsigned coll;

	ck_assert_int_eq(sink_root_open(&root, dir, NULL), 0);
	/* 1.2.3.1 takes MR.dcm, 1.2.3.2 lives at MR~2.dcm */
	ck_assert_int_eq(store_uid(&root, "1.2.3.1", "a", "MR.dcm",
	    SINK_DUP_OVERWRITE, NULL, 0, NULL), SINK_STORED);
	ck_assert_int_eq(store_uid(&root, "1.2.3.2", "b", "MR.dcm",
	    SINK_DUP_OVERWRITE, NULL, 0, NULL), SINK_STORED);
	snprintf(want, sizeof(want), "%s/MR~2.dcm", dir);
	/* overwrite: replaced in place, the other instance untouched */
	ck_assert_int_eq(store_uid(&root, "1.2.3.2", "b2", "MR.dcm",
	    SINK_DUP_OVERWRITE, final, sizeof(final), &coll), SINK_STORED);
	ck_assert_str_eq(final, want);
	ck_assert_uint_eq(coll, 1);
	ck_assert_str_eq(payload_of("MR~2.dcm", buf, sizeof(buf)), "b2");
	ck_assert_str_eq(payload_of("MR.dcm", buf, sizeof(buf)), "a");
	ck_assert_int_eq(count_entries(dir), 2);
	ck_assert_int_eq(temps_in(dir), 0);
	/* keep: the existing file stays, its name reported */
	ck_assert_int_eq(store_uid(&root, "1.2.3.2", "b3", "MR.dcm",
	    SINK_DUP_KEEP, final, sizeof(final), NULL), SINK_KEPT);
	ck_assert_str_eq(final, want);
	ck_assert_str_eq(payload_of("MR~2.dcm", buf, sizeof(buf)), "b2");
	/* reject: refused, nothing changes */
	ck_assert_int_eq(store_uid(&root, "1.2.3.2", "b4", "MR.dcm",
	    SINK_DUP_REJECT, final, sizeof(final), NULL), SINK_REJECTED);
	ck_assert_str_eq(final, want);
	ck_assert_int_eq(count_entries(dir), 2);
	/* rename: another copy under the next free suffix */
	ck_assert_int_eq(store_uid(&root, "1.2.3.2", "b5", "MR.dcm",
	    SINK_DUP_RENAME, final, sizeof(final), NULL), SINK_STORED);
	snprintf(want, sizeof(want), "%s/MR~3.dcm", dir);
	ck_assert_str_eq(final, want);
	ck_assert_str_eq(uid_of("MR~3.dcm"), "1.2.3.2");
	/* a new instance under keep or reject is stored, never refused */
	ck_assert_int_eq(store_uid(&root, "1.2.3.9", "c", "MR.dcm",
	    SINK_DUP_REJECT, final, sizeof(final), &coll), SINK_STORED);
	ck_assert_uint_eq(coll, 3);
	ck_assert_str_eq(uid_of("MR~4.dcm"), "1.2.3.9");
	ck_assert_int_eq(store_uid(&root, "1.2.3.8", "d", "MR.dcm",
	    SINK_DUP_KEEP, final, sizeof(final), NULL), SINK_STORED);
	ck_assert_str_eq(uid_of("MR~5.dcm"), "1.2.3.8");
	ck_assert_int_eq(count_entries(dir), 5);
	sink_root_close(&root);
}
END_TEST

START_TEST(rename_never_takes_the_name_of_another_uid)
{
	struct sink_root root;
	char final[PATH_MAX], want[PATH_MAX];

	ck_assert_int_eq(sink_root_open(&root, dir, NULL), 0);
	/* 1.2.3.1 exists; 1.2.3 arrives twice; the copy is 1.2.3~2.dcm */
	ck_assert_int_eq(store_uid(&root, "1.2.3.1", "x", "1.2.3.1.dcm",
	    SINK_DUP_RENAME, NULL, 0, NULL), SINK_STORED);
	ck_assert_int_eq(store_uid(&root, "1.2.3", "y", "1.2.3.dcm",
	    SINK_DUP_RENAME, NULL, 0, NULL), SINK_STORED);
	ck_assert_int_eq(store_uid(&root, "1.2.3", "z", "1.2.3.dcm",
	    SINK_DUP_RENAME, final, sizeof(final), NULL), SINK_STORED);
	snprintf(want, sizeof(want), "%s/1.2.3~2.dcm", dir);
	ck_assert_str_eq(final, want);
	ck_assert_str_eq(uid_of("1.2.3.1.dcm"), "1.2.3.1");
	/* and without an extension: 1.2.3~2, never 1.2~2.3 */
	ck_assert_int_eq(store_uid(&root, "1.2.3", "y", "n/1.2.3",
	    SINK_DUP_RENAME, NULL, 0, NULL), SINK_STORED);
	ck_assert_int_eq(store_uid(&root, "1.2.3", "z", "n/1.2.3",
	    SINK_DUP_RENAME, final, sizeof(final), NULL), SINK_STORED);
	snprintf(want, sizeof(want), "%s/n/1.2.3~2", dir);
	ck_assert_str_eq(final, want);
	/* 1.2.3.1 arriving later still gets its own name */
	ck_assert_int_eq(store_uid(&root, "1.2.3.1", "w", "n/1.2.3.1",
	    SINK_DUP_RENAME, final, sizeof(final), NULL), SINK_STORED);
	snprintf(want, sizeof(want), "%s/n/1.2.3.1", dir);
	ck_assert_str_eq(final, want);
	sink_root_close(&root);
}
END_TEST

START_TEST(a_foreign_file_or_symlink_at_the_name_is_never_replaced)
{
	struct sink_root root;
	char final[PATH_MAX], path[PATH_MAX], target[PATH_MAX], buf[64];
	struct stat st;
	unsigned coll;

	snprintf(path, sizeof(path), "%s/x.dcm", dir);
	spit(path, "not dicom");
	snprintf(target, sizeof(target), "%s/victim", outside);
	spit(target, "precious");
	snprintf(path, sizeof(path), "%s/y.dcm", dir);
	ck_assert_int_eq(symlink(target, path), 0);
	snprintf(path, sizeof(path), "%s/z.dcm", dir);
	ck_assert_int_eq(mkfifo(path, 0644), 0);
	ck_assert_int_eq(sink_root_open(&root, dir, NULL), 0);
	ck_assert_int_eq(store_uid(&root, "1.2.3.4", "ours", "x.dcm",
	    SINK_DUP_OVERWRITE, final, sizeof(final), &coll), SINK_STORED);
	ck_assert_uint_eq(coll, 1);
	snprintf(path, sizeof(path), "%s/x.dcm", dir);
	ck_assert_int_eq(slurp(path, buf, sizeof(buf)), 9);
	ck_assert_str_eq(uid_of("x~2.dcm"), "1.2.3.4");
	ck_assert_int_eq(store_uid(&root, "1.2.3.4", "ours", "y.dcm",
	    SINK_DUP_OVERWRITE, final, sizeof(final), &coll), SINK_STORED);
	snprintf(path, sizeof(path), "%s/y.dcm", dir);
	ck_assert_int_eq(lstat(path, &st), 0);
	ck_assert(S_ISLNK(st.st_mode));
	ck_assert_int_eq(slurp(target, buf, sizeof(buf)), 8);
	ck_assert_str_eq(uid_of("y~2.dcm"), "1.2.3.4");
	/* a FIFO does not hang the receiver */
	ck_assert_int_eq(store_uid(&root, "1.2.3.4", "ours", "z.dcm",
	    SINK_DUP_KEEP, final, sizeof(final), &coll), SINK_STORED);
	ck_assert_str_eq(uid_of("z~2.dcm"), "1.2.3.4");
	ck_assert_int_eq(count_entries(outside), 1);
	sink_root_close(&root);
}
END_TEST

/*
 * Several processes store distinct instances under one name at once,
 * as receivers sharing a directory do: every instance ends up in a
 * file of its own.
 */
START_TEST(concurrent_writers_of_one_name_lose_nothing)
{
	enum { PROCS = 4, EACH = 25 };
	char name[NAME_MAX + 1], uid[32];
	int seen[PROCS][EACH];
	pid_t pid[PROCS];
	int p, i, st, n = 0;
	DIR *d;
	struct dirent *de;

	for (p = 0; p < PROCS; p++) {
		pid[p] = fork();
		ck_assert_int_ge(pid[p], 0);
		if (pid[p] == 0) {
			struct sink_root root;
			int bad = 0;

			if (sink_root_open(&root, dir, NULL) != 0)
				_exit(2);
			for (i = 0; i < EACH; i++) {
				snprintf(uid, sizeof(uid), "1.2.%d.%d", p, i);
				if (store_uid(&root, uid, uid, "OT.dcm",
				    SINK_DUP_OVERWRITE, NULL, 0, NULL) !=
				    SINK_STORED)
					bad++;
			}
			_exit(bad ? 1 : 0);
		}
	}
	for (p = 0; p < PROCS; p++) {
		ck_assert_int_eq(waitpid(pid[p], &st, 0), pid[p]);
		ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	}
	memset(seen, 0, sizeof(seen));
	d = opendir(dir);
	ck_assert_ptr_nonnull(d);
	while ((de = readdir(d)) != NULL) {
		char buf[64];
		int a, b;

		if (de->d_name[0] == '.')
			continue;
		snprintf(name, sizeof(name), "%s", de->d_name);
		ck_assert_int_eq(sscanf(uid_of(name), "1.2.%d.%d", &a, &b), 2);
		ck_assert(a >= 0 && a < PROCS && b >= 0 && b < EACH);
		/* the data set is the one sent with that UID */
		ck_assert_str_eq(payload_of(name, buf, sizeof(buf)),
		    uid_of(name));
		seen[a][b]++;
		n++;
	}
	closedir(d);
	ck_assert_int_eq(n, PROCS * EACH);
	for (p = 0; p < PROCS; p++)
		for (i = 0; i < EACH; i++)
			ck_assert_int_eq(seen[p][i], 1);
	ck_assert_int_eq(temps_in(dir), 0);
}
END_TEST

/* The bound: a name whose every suffix is taken fails, leaving nothing. */
START_TEST(every_suffix_taken_is_an_error_not_an_overwrite)
{
	struct sink_root root;
	struct cs_err err = { 0 };
	char path[PATH_MAX];
	unsigned k;

	snprintf(path, sizeof(path), "%s/A", dir);
	spit(path, "x");
	for (k = 2; k <= SINK_NAMES_MAX; k++) {
		int fd;

		/* empty: the quickest to create, and not DICOM */
		snprintf(path, sizeof(path), "%s/A~%u", dir, k);
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
		ck_assert_int_ge(fd, 0);
		close(fd);
	}
	ck_assert_int_eq(sink_root_open(&root, dir, NULL), 0);
	{
		struct sink_meta m = meta;
		struct sink s;

		ck_assert_int_eq(sink_begin(&s, &root, &m, NULL), 0);
		ck_assert_int_eq(sink_commit(&s, "A", SINK_DUP_OVERWRITE, 0,
		    NULL, 0, &err), CS_E_IO);
	}
	ck_assert_ptr_nonnull(strstr(err.msg, "taken by other objects"));
	ck_assert_int_eq(count_entries(dir), SINK_NAMES_MAX);
	ck_assert_int_eq(temps_in(dir), 0);
	sink_root_close(&root);
}
END_TEST

/* The random bytes come from a pool refilled every few names: names
 * across refills are all distinct, of the documented form. */
START_TEST(temporary_names_stay_distinct_across_refills)
{
	enum { N = 70 };
	static struct sink s[N];
	struct sink_root root;
	size_t plen = strlen(SINK_TMP_PREFIX);
	int i, k;

	ck_assert_int_eq(sink_root_open(&root, dir, NULL), 0);
	for (i = 0; i < N; i++) {
		ck_assert_int_eq(sink_begin(&s[i], &root, &meta, NULL), 0);
		ck_assert_int_eq(strncmp(s[i].tmpname, SINK_TMP_PREFIX, plen), 0);
		/* the owner, '.', 12 random characters */
		ck_assert_ptr_nonnull(strrchr(s[i].tmpname, '.'));
		ck_assert_uint_eq(strspn(strrchr(s[i].tmpname, '.') + 1,
		    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"),
		    12);
		ck_assert_uint_eq(strlen(strrchr(s[i].tmpname, '.') + 1), 12);
		for (k = 0; k < i; k++)
			ck_assert_str_ne(s[i].tmpname, s[k].tmpname);
	}
	ck_assert_int_eq(count_entries(dir), N);
	for (i = 0; i < N; i++)
		sink_abort(&s[i]);
	ck_assert_int_eq(count_entries(dir), 0);
	sink_root_close(&root);
}
END_TEST

Suite *
sink_dir_suite(void)
{
	Suite *s = suite_create("sink_dir");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, commit_creates_exactly_the_final_file);
	tcase_add_test(tc, abort_leaves_nothing);
	tcase_add_test(tc, temporary_names_stay_distinct_across_refills);
	tcase_add_test(tc, bad_meta_leaves_nothing);
	tcase_add_test(tc, overwrite_replaces_the_existing_file);
	tcase_add_test(tc, keep_leaves_the_existing_file);
	tcase_add_test(tc, reject_refuses_and_leaves_the_existing_file);
	tcase_add_test(tc, rename_picks_the_next_free_number);
	tcase_add_test(tc, subdirectories_are_created_with_fsync);
	tcase_add_test(tc, symlinked_subdirectory_is_refused);
	tcase_add_test(tc, symlink_at_the_final_name_is_replaced_not_followed);
	tcase_add_test(tc, invalid_relative_paths_are_refused);
	tcase_add_test(tc, cwd_change_does_not_matter);
	tcase_add_test(tc, unusable_output_directory_is_reported);
	tcase_add_test(tc, write_error_maps_enospc_and_cleans_up);
	tcase_add_test(tc, disk_full_on_a_small_tmpfs);
	tcase_add_test(tc, sweep_removes_only_dead_owners_temporaries);
	tcase_add_test(tc, o_tmpfile_has_no_name_until_committed);
	tcase_add_test(tc, begin_in_makes_the_file_in_its_directory);
	tcase_add_test(tc, a_named_temporary_is_copied_across_a_mount_point);
	tcase_add_test(tc, an_o_tmpfile_is_copied_across_a_mount_point);
	tcase_add_test(tc, duplicate_policy_words_parse);
	tcase_add_test(tc, distinct_instances_on_one_name_get_suffixed_names);
	tcase_add_test(tc, keep_and_reject_pass_over_a_copy_cut_short);
	tcase_add_test(tc, a_resent_instance_follows_the_policy_where_it_lives);
	tcase_add_test(tc, rename_never_takes_the_name_of_another_uid);
	tcase_add_test(tc, a_foreign_file_or_symlink_at_the_name_is_never_replaced);
	suite_add_tcase(s, tc);
	/* thousands of files, several processes: more than Check's 4 s on
	 * a loaded machine or under sanitizers */
	tc = tcase_create("bounds");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, concurrent_writers_of_one_name_lose_nothing);
	tcase_add_test(tc, every_suffix_taken_is_an_error_not_an_overwrite);
	suite_add_tcase(s, tc);
	return s;
}
