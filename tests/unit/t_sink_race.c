/*
 * t_sink_race.c - the branches of sink_dir.c that only a race or an
 * unusual file system reaches: another writer's object put at a name
 * between our check and our RENAME_EXCHANGE, a directory removed between
 * mkdirat and openat, a temporary name taken, file systems without
 * RENAME_NOREPLACE or RENAME_EXCHANGE.
 *
 * The races are injected by interposition: this file defines renameat2,
 * mkdirat and openat, which the static library's calls resolve to; each
 * does what the test asked (once, or every time) and then calls the C
 * library's own.  Check forks every test, so nothing leaks between them;
 * with race == RACE_NONE they only pass through.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <check.h>
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cstore/cstore.h"
#include "core/buf.h"
#include "dcmfile/part10.h"
#include "storescp/sink_dir.h"

Suite *sink_race_suite(void);

enum race {
	RACE_NONE,
	RACE_PLANT_BEFORE_EXCHANGE, /* another instance at the name */
	RACE_NO_NOREPLACE,          /* renameat2 without RENAME_NOREPLACE */
	RACE_NO_EXCHANGE,           /* renameat2 without RENAME_EXCHANGE */
	RACE_RMDIR_AFTER_MKDIR,     /* the new directory removed at once */
	RACE_TMPNAME_TAKEN          /* O_EXCL temporaries collide */
};

static enum race race;
static int race_times; /* how many more times to inject */
static int race_hits;  /* how many times it was injected */
static char planted_uid[64];

static char top[64], dir[128];

/* fp = the C library's name (dlsym's object pointer copied as it is:
 * ISO C has no cast between the two kinds of pointer) */
#define REAL(fp, name)                                                         \
	do {                                                                   \
		if ((fp) == NULL) {                                            \
			void *sym_ = dlsym(RTLD_NEXT, name);                   \
			memcpy(&(fp), &sym_, sizeof(fp));                      \
		}                                                              \
	} while (0)

static void
setup(void)
{
	snprintf(top, sizeof(top), "/tmp/t_sinkrace.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(top));
	snprintf(dir, sizeof(dir), "%s/out", top);
	ck_assert_int_eq(mkdir(dir, 0755), 0);
	umask(022);
	setenv("CSTORE_TEST_NO_TMPFILE", "1", 1);
	race = RACE_NONE;
	race_times = 1;
	race_hits = 0;
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
	race = RACE_NONE;
	nftw(top, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static int
fire(enum race r)
{
	if (race != r || race_times == 0)
		return 0;
	race_times--;
	race_hits++;
	return 1;
}

/* A Part 10 file of instance uid at dfd/name, written by "another
 * receiver": made under a scratch name, renamed over name in one step. */
static void
plant(int dfd, const char *name, const char *uid)
{
	static const char payload[] = "OTHER...";
	int (*real_renameat2)(int, const char *, int, const char *, unsigned) =
	    NULL;
	struct wr w;
	int fd;

	REAL(real_renameat2, "renameat2");
	wr_init(&w, 4096);
	ck_assert_int_gt(part10_write_meta(&w, "1.2.840.10008.5.1.4.1.1.7",
	    uid, "1.2.840.10008.1.2.1", "1.2.3", NULL, NULL, NULL), 0);
	wr_bytes(&w, payload, sizeof(payload) - 1);
	fd = openat(dfd, "planting", O_WRONLY | O_CREAT | O_TRUNC, 0644);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, w.p, w.len), (ssize_t)w.len);
	close(fd);
	wr_release(&w);
	ck_assert_int_eq(real_renameat2(dfd, "planting", dfd, name, 0), 0);
}

int
renameat2(int odfd, const char *old, int ndfd, const char *new_,
    unsigned flags)
{
	static int (*real)(int, const char *, int, const char *, unsigned);

	REAL(real, "renameat2");
	if ((flags & RENAME_EXCHANGE) && fire(RACE_PLANT_BEFORE_EXCHANGE))
		plant(ndfd, new_, planted_uid);
	if (((flags & RENAME_NOREPLACE) && fire(RACE_NO_NOREPLACE)) ||
	    ((flags & RENAME_EXCHANGE) && fire(RACE_NO_EXCHANGE))) {
		errno = EINVAL;
		return -1;
	}
	return real(odfd, old, ndfd, new_, flags);
}

int
mkdirat(int dfd, const char *path, mode_t mode)
{
	static int (*real)(int, const char *, mode_t);
	int rc;

	REAL(real, "mkdirat");
	rc = real(dfd, path, mode);
	if ((rc == 0 || errno == EEXIST) && fire(RACE_RMDIR_AFTER_MKDIR))
		ck_assert_int_eq(unlinkat(dfd, path, AT_REMOVEDIR), 0);
	return rc;
}

int
openat(int dfd, const char *path, int flags, ...)
{
	static int (*real)(int, const char *, int, ...);
	mode_t mode = 0;
	va_list ap;

	REAL(real, "openat");
	if (flags & (O_CREAT | __O_TMPFILE)) {
		va_start(ap, flags);
		mode = (mode_t)va_arg(ap, unsigned);
		va_end(ap);
	}
	if ((flags & O_EXCL) && fire(RACE_TMPNAME_TAKEN)) {
		errno = EEXIST;
		return -1;
	}
	return real(dfd, path, flags, mode);
}

static const struct sink_meta meta = {
	"1.2.840.10008.5.1.4.1.1.7", "1.2.3.4.5", "1.2.840.10008.1.2.1",
	CS_IMPL_CLASS_UID, CS_IMPL_VERSION, "STORESCU"
};

/* Stores instance uid with data set payload as rel. */
static int
store_uid(struct sink_root *root, const char *uid, const char *payload,
    const char *rel, enum sink_dup dup, struct cs_err *err)
{
	struct sink_meta m = meta;
	struct sink s;

	m.sop_instance = uid;
	ck_assert_int_eq(sink_begin(&s, root, &m, NULL), 0);
	ck_assert_int_eq(sink_write(&s, payload, strlen(payload), NULL), 0);
	return sink_commit(&s, rel, dup, 0, NULL, 0, err);
}

/* The instance in dir/name and its data set (a string), or "". */
static const char *
content(const char *name, char *buf, size_t max)
{
	struct part10_info info;
	char path[PATH_MAX];
	static uint8_t all[8192];
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (part10_probe_path(path, PART10_O_META_ONLY, &info, NULL) != 0)
		return "";
	f = fopen(path, "rb");
	ck_assert_ptr_nonnull(f);
	n = fread(all, 1, sizeof(all), f);
	fclose(f);
	snprintf(buf, max, "%s=%.*s", info.meta_sop_instance,
	    (int)(n - info.dataset_offset), all + info.dataset_offset);
	return buf;
}

/* Entries of dir (not . and ..), and how many are temporaries. */
static int
entries(int *temps)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	ck_assert_ptr_nonnull(d);
	*temps = 0;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		n++;
		if (strncmp(de->d_name, SINK_TMP_PREFIX,
			strlen(SINK_TMP_PREFIX)) == 0)
			(*temps)++;
	}
	closedir(d);
	return n;
}

START_TEST(overwrite_never_removes_another_instance_put_at_the_name_meanwhile)
{
	struct sink_root root;
	struct cs_err err = { 0, "" };
	char buf[256];
	int temps;

	ck_assert_int_eq(sink_root_open(&root, dir, NULL), 0);
	ck_assert_int_eq(store_uid(&root, "1.2.3", "FIRST...", "X.dcm",
	    SINK_DUP_OVERWRITE, &err), SINK_STORED);
	/* the same instance again; between our check of X.dcm and our
	 * exchange, another receiver puts instance 7.7.7 there */
	snprintf(planted_uid, sizeof(planted_uid), "7.7.7");
	race = _i == 0 ? RACE_PLANT_BEFORE_EXCHANGE : RACE_NONE;
	if (_i == 1) {
		/* O_TMPFILE: the file gets a temporary name first */
		unsetenv("CSTORE_TEST_NO_TMPFILE");
		sink_root_close(&root);
		ck_assert_int_eq(sink_root_open(&root, dir, NULL), 0);
		race = RACE_PLANT_BEFORE_EXCHANGE;
	}
	ck_assert_msg(store_uid(&root, "1.2.3", "SECOND..", "X.dcm",
	    SINK_DUP_OVERWRITE, &err) == SINK_STORED, "%s", err.msg);
	ck_assert_int_eq(race_hits, 1);
	ck_assert_str_eq(content("X.dcm", buf, sizeof(buf)), "1.2.3=SECOND..");
	/* the other one moved to a suffixed name, never deleted */
	ck_assert_str_eq(content("X~2.dcm", buf, sizeof(buf)),
	    "7.7.7=OTHER...");
	ck_assert_int_eq(entries(&temps), 2);
	ck_assert_int_eq(temps, 0);
	sink_root_close(&root);
}
END_TEST

START_TEST(overwrite_race_with_no_free_name_swaps_back_and_fails)
{
	struct sink_root root;
	struct cs_err err = { 0, "" };
	char path[PATH_MAX], buf[256];
	unsigned k;
	int temps;

	ck_assert_int_eq(sink_root_open(&root, dir, NULL), 0);
	ck_assert_int_eq(store_uid(&root, "1.2.3", "FIRST...", "X",
	    SINK_DUP_OVERWRITE, &err), SINK_STORED);
	for (k = 2; k <= SINK_NAMES_MAX; k++) {
		int fd;

		snprintf(path, sizeof(path), "%s/X~%u", dir, k);
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
		ck_assert_int_ge(fd, 0);
		close(fd);
	}
	snprintf(planted_uid, sizeof(planted_uid), "7.7.7");
	race = RACE_PLANT_BEFORE_EXCHANGE;
	ck_assert_int_eq(store_uid(&root, "1.2.3", "SECOND..", "X",
	    SINK_DUP_OVERWRITE, &err), CS_E_IO);
	ck_assert_ptr_nonnull(strstr(err.msg, "File exists"));
	/* the other instance is back at its name; ours is gone */
	ck_assert_str_eq(content("X", buf, sizeof(buf)), "7.7.7=OTHER...");
	ck_assert_int_eq(entries(&temps), SINK_NAMES_MAX);
	ck_assert_int_eq(temps, 0);
	sink_root_close(&root);
}
END_TEST

START_TEST(without_rename_noreplace_a_link_never_replaces)
{
	struct sink_root root;
	struct cs_err err = { 0, "" };
	char buf[256];
	int temps;

	ck_assert_int_eq(sink_root_open(&root, dir, NULL), 0);
	race = RACE_NO_NOREPLACE;
	race_times = 100;
	ck_assert_int_eq(store_uid(&root, "1.2.3", "FIRST...", "X.dcm",
	    SINK_DUP_OVERWRITE, &err), SINK_STORED);
	/* another instance on the name: link fails with EEXIST, suffixed */
	ck_assert_int_eq(store_uid(&root, "4.5.6", "OTHER...", "X.dcm",
	    SINK_DUP_OVERWRITE, &err), SINK_STORED);
	ck_assert_int_ge(race_hits, 3);
	ck_assert_str_eq(content("X.dcm", buf, sizeof(buf)), "1.2.3=FIRST...");
	ck_assert_str_eq(content("X~2.dcm", buf, sizeof(buf)),
	    "4.5.6=OTHER...");
	ck_assert_int_eq(entries(&temps), 2);
	ck_assert_int_eq(temps, 0);
	sink_root_close(&root);
}
END_TEST

START_TEST(without_rename_exchange_overwrite_is_a_plain_rename)
{
	struct sink_root root;
	struct cs_err err = { 0, "" };
	char buf[256];
	int temps;

	ck_assert_int_eq(sink_root_open(&root, dir, NULL), 0);
	ck_assert_int_eq(store_uid(&root, "1.2.3", "FIRST...", "X.dcm",
	    SINK_DUP_OVERWRITE, &err), SINK_STORED);
	race = RACE_NO_EXCHANGE;
	ck_assert_int_eq(store_uid(&root, "1.2.3", "SECOND..", "X.dcm",
	    SINK_DUP_OVERWRITE, &err), SINK_STORED);
	ck_assert_int_eq(race_hits, 1);
	ck_assert_str_eq(content("X.dcm", buf, sizeof(buf)), "1.2.3=SECOND..");
	ck_assert_int_eq(entries(&temps), 1);
	ck_assert_int_eq(temps, 0);
	sink_root_close(&root);
}
END_TEST

START_TEST(a_layout_directory_removed_as_it_is_made_is_made_again)
{
	struct sink_root root;
	struct cs_err err = { 0, "" };
	char buf[256];
	int temps;
	struct sink s;
	struct sink_meta m = meta;

	ck_assert_int_eq(sink_root_open(&root, dir, NULL), 0);
	/* removed once, and once more: made again each time */
	race = RACE_RMDIR_AFTER_MKDIR;
	race_times = 2;
	ck_assert_msg(store_uid(&root, "1.2.3", "FIRST...", "A/X.dcm",
	    SINK_DUP_OVERWRITE, &err) == SINK_STORED, "%s", err.msg);
	ck_assert_int_eq(race_hits, 2);
	ck_assert_str_eq(content("A/X.dcm", buf, sizeof(buf)),
	    "1.2.3=FIRST...");
	/* the same in sink_begin_in (the file made in its directory) */
	race_times = 1;
	ck_assert_int_eq(sink_begin_in(&s, &root, "B", 0, &m, &err), 0);
	ck_assert_int_eq(sink_write(&s, "DATA....", 8, &err), 0);
	ck_assert_int_eq(sink_commit(&s, "B/X.dcm", SINK_DUP_OVERWRITE, 0,
	    NULL, 0, &err), SINK_STORED);
	ck_assert_int_eq(race_hits, 3);
	/* removed every time: a bounded number of tries, then an error
	 * that names the directory, and nothing left behind */
	race_times = 1000;
	ck_assert_int_eq(store_uid(&root, "1.2.4", "SECOND..", "C/X.dcm",
	    SINK_DUP_OVERWRITE, &err), CS_E_IO);
	ck_assert_ptr_nonnull(strstr(err.msg, "cannot create directory"));
	ck_assert_int_eq(race_hits, 3 + 4);
	snprintf(buf, sizeof(buf), "%s/C", dir);
	ck_assert_int_eq(access(buf, F_OK), -1);
	ck_assert_int_eq(entries(&temps), 2); /* A and B */
	ck_assert_int_eq(temps, 0);
	sink_root_close(&root);
}
END_TEST

START_TEST(a_taken_temporary_name_is_tried_again_then_given_up)
{
	struct sink_root root;
	struct cs_err err = { 0, "" };
	struct sink s;
	char buf[256];
	int temps;

	ck_assert_int_eq(sink_root_open(&root, dir, NULL), 0);
	race = RACE_TMPNAME_TAKEN;
	race_times = 3;
	ck_assert_int_eq(store_uid(&root, "1.2.3", "FIRST...", "X.dcm",
	    SINK_DUP_OVERWRITE, &err), SINK_STORED);
	ck_assert_int_eq(race_hits, 3);
	ck_assert_str_eq(content("X.dcm", buf, sizeof(buf)), "1.2.3=FIRST...");
	/* every name taken: the store cannot start */
	race_times = 1000;
	ck_assert_int_eq(sink_begin(&s, &root, &meta, &err), CS_E_IO);
	ck_assert_ptr_nonnull(strstr(err.msg, "File exists"));
	ck_assert_int_eq(entries(&temps), 1);
	ck_assert_int_eq(temps, 0);
	sink_root_close(&root);
}
END_TEST

Suite *
sink_race_suite(void)
{
	Suite *s = suite_create("sink_race");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc,
	    overwrite_never_removes_another_instance_put_at_the_name_meanwhile,
	    0, 2);
	tcase_add_test(tc, overwrite_race_with_no_free_name_swaps_back_and_fails);
	tcase_add_test(tc, without_rename_noreplace_a_link_never_replaces);
	tcase_add_test(tc, without_rename_exchange_overwrite_is_a_plain_rename);
	tcase_add_test(tc, a_layout_directory_removed_as_it_is_made_is_made_again);
	tcase_add_test(tc, a_taken_temporary_name_is_tried_again_then_given_up);
	suite_add_tcase(s, tc);
	return s;
}
