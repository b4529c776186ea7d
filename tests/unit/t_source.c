/* t_source.c - the sender's inputs as planning found them: sending
 * takes planning's descriptor and header, and reads a file again only
 * when it is not (or may not be) the one probed. */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cstore/cstore.h"
#include "dcmfile/part10.h"
#include "storescu/source.h"
#include "vectors.h"

Suite *source_suite(void);

static char tmp[256];

static void
mk_tmp(void)
{
	const char *base = getenv("TMPDIR");

	snprintf(tmp, sizeof(tmp), "%s/t_source.XXXXXX", base ? base : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(tmp));
}

static void
rm_tmp(void)
{
	char cmd[2 * sizeof(tmp) + 32];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
	if (system(cmd) != 0)
		fprintf(stderr, "t_source: cannot remove %s\n", tmp);
}

/* Writes len bytes of p over the file at path, in place (same inode). */
static void
put(const char *path, const uint8_t *p, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, p, len), (ssize_t)len);
	ck_assert_int_eq(close(fd), 0);
}

#define AN_HOUR_NS ((int64_t)3600 * 1000000000)

/* Copies fixture to path, its times a minute old (its change time is
 * now's all the same: racy unless src.racy_ns says otherwise). */
static void
copy_old(const char *fixture, const char *path)
{
	struct timespec old[2];
	uint8_t *b;
	size_t len;

	ck_assert_int_eq(vec_read_file(fixture, &b, &len), 0);
	put(path, b, len);
	free(b);
	clock_gettime(CLOCK_REALTIME, &old[0]);
	old[0].tv_sec -= 60;
	old[1] = old[0];
	ck_assert_int_eq(utimensat(AT_FDCWD, path, old, 0), 0);
}

/* The file at path with every "from" replaced by "to" (same length). */
static void
rewrite(const char *path, const char *from, const char *to)
{
	size_t n = strlen(from), k, hits = 0;
	uint8_t *b;
	size_t len;

	ck_assert_uint_eq(strlen(to), n);
	ck_assert_int_eq(vec_read_file(path, &b, &len), 0);
	for (k = 0; k + n <= len; k++)
		if (memcmp(b + k, from, n) == 0) {
			memcpy(b + k, to, n);
			hits++;
		}
	ck_assert_uint_ge(hits, 1);
	put(path, b, len);
	free(b);
}

/* got holds what the sender uses of want: UIDs, where the data set is. */
static void
same_header(const struct part10_info *got, const struct part10_info *want)
{
	ck_assert_str_eq(got->sop_class, want->sop_class);
	ck_assert_str_eq(got->sop_instance, want->sop_instance);
	ck_assert_str_eq(got->ts_uid, want->ts_uid);
	ck_assert_str_eq(got->meta_sop_class, want->meta_sop_class);
	ck_assert_uint_eq(got->flags & PART10_F_CLASS_MISMATCH,
	    want->flags & PART10_F_CLASS_MISMATCH);
	ck_assert_uint_eq(got->dataset_offset, want->dataset_offset);
	ck_assert_uint_eq(got->dataset_length, want->dataset_length);
}

START_TEST(take_hands_over_planning_descriptor_and_header)
{
	char p[300];
	const char *paths[] = { p };
	struct sources src;
	struct part10_info want, got;
	struct cs_err err = { 0, "" };
	int kept, fd;

	mk_tmp();
	snprintf(p, sizeof(p), "%s/a.dcm", tmp);
	copy_old("tests/data/p10-class-mismatch.dcm", p);
	ck_assert_int_eq(part10_probe_path(p, 0, &want, &err), 0);
	ck_assert_int_eq(sources_init(&src, paths, 1, &err), 0);
	/* its change time is now's: trusted only as if it were old */
	src.racy_ns = -AN_HOUR_NS;
	ck_assert_int_eq(sources_probe(&src, 0, &err), 0);
	ck_assert_int_eq(src.s[0].racy, 0);
	kept = src.s[0].fd;
	ck_assert_int_ge(kept, 0);
	ck_assert_str_eq(sources_class(&src, 0), want.sop_class);
	ck_assert_str_eq(sources_ts(&src, 0), want.ts_uid);
	fd = sources_take(&src, 0, &got, &err);
	ck_assert_int_eq(fd, kept); /* not opened again */
	ck_assert_int_eq(src.s[0].fd, -1);
	ck_assert_uint_eq(want.flags & PART10_F_CLASS_MISMATCH, PART10_F_CLASS_MISMATCH);
	same_header(&got, &want);
	close(fd);
	sources_release(&src);
	rm_tmp();
}
END_TEST

/* Taken ahead and not sent (the association died): the descriptor goes
 * back, and the next take hands over that very file, planning's header
 * with it, even after another file was renamed over its name. */
START_TEST(untake_gives_back_the_file_planning_opened)
{
	char p[300], q[300];
	const char *paths[] = { p };
	struct sources src;
	struct part10_info want, got;
	struct cs_err err = { 0, "" };
	struct stat a, b;
	int fd;

	mk_tmp();
	snprintf(p, sizeof(p), "%s/a.dcm", tmp);
	snprintf(q, sizeof(q), "%s/b.dcm", tmp);
	copy_old("tests/data/p10-evrle.dcm", p);
	copy_old("tests/data/p10-ivrle.dcm", q);
	ck_assert_int_eq(part10_probe_path(p, 0, &want, &err), 0);
	ck_assert_int_eq(sources_init(&src, paths, 1, &err), 0);
	ck_assert_int_eq(sources_probe(&src, 0, &err), 0);
	fd = sources_take(&src, 0, &got, &err);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(fstat(fd, &a), 0);
	sources_untake(&src, 0, fd);
	ck_assert_int_eq(src.s[0].fd, fd);
	ck_assert_int_eq(rename(q, p), 0);
	fd = sources_take(&src, 0, &got, &err);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(fstat(fd, &b), 0);
	ck_assert_uint_eq(a.st_ino, b.st_ino);
	same_header(&got, &want);
	/* one open already: a second given back is closed, not kept */
	sources_untake(&src, 0, fd);
	sources_untake(&src, 0, open(p, O_RDONLY));
	ck_assert_int_eq(src.s[0].fd, fd);
	sources_untake(&src, 0, -1);
	ck_assert_int_eq(src.s[0].fd, fd);
	sources_release(&src);
	rm_tmp();
}
END_TEST

/* A file rewritten between planning and sending is sent as it is now,
 * under its new UIDs, kept descriptor or not. */
START_TEST(take_probes_a_file_changed_since_planning)
{
	char p[300];
	const char *paths[] = { p };
	struct sources src;
	struct part10_info old, now, got;
	struct cs_err err = { 0, "" };
	int fd, keep;

	for (keep = 0; keep <= 1; keep++) {
		mk_tmp();
		snprintf(p, sizeof(p), "%s/a.dcm", tmp);
		copy_old("tests/data/p10-evrle.dcm", p);
		ck_assert_int_eq(part10_probe_path(p, 0, &old, &err), 0);
		ck_assert_int_eq(sources_init(&src, paths, 1, &err), 0);
		src.keep_max = (size_t)keep;
		ck_assert_int_eq(sources_probe(&src, 0, &err), 0);
		ck_assert_int_eq(src.s[0].fd >= 0, keep);
		/* another file under the same name and inode */
		copy_old("tests/data/p10-ivrle.dcm", p);
		rewrite(p, old.sop_instance, "2.25.314159265358979323846264338327951");
		ck_assert_int_eq(part10_probe_path(p, 0, &now, &err), 0);
		ck_assert_str_ne(now.ts_uid, old.ts_uid);
		ck_assert_str_ne(now.sop_instance, old.sop_instance);
		fd = sources_take(&src, 0, &got, &err);
		ck_assert_int_ge(fd, 0);
		same_header(&got, &now);
		close(fd);
		sources_release(&src);
		rm_tmp();
	}
}
END_TEST

/* Written just before planning: a same-size change within the same
 * tick of the file times would not show; such a file is read again. */
START_TEST(take_reads_again_a_file_written_just_before_planning)
{
	char p[300], uid[PART10_UID_MAX + 1];
	const char *paths[] = { p };
	struct sources src;
	struct part10_info old, got;
	struct cs_err err = { 0, "" };
	uint8_t *b;
	size_t len;
	int fd;

	mk_tmp();
	snprintf(p, sizeof(p), "%s/a.dcm", tmp);
	ck_assert_int_eq(vec_read_file("tests/data/p10-evrle.dcm", &b, &len), 0);
	put(p, b, len);
	free(b);
	ck_assert_int_eq(sources_init(&src, paths, 1, &err), 0);
	ck_assert_int_eq(sources_probe(&src, 0, &err), 0);
	ck_assert_int_eq(src.s[0].racy, 1);
	ck_assert_int_eq(part10_probe_path(p, 0, &old, &err), 0);
	/* same size, same tick most likely: another instance */
	snprintf(uid, sizeof(uid), "%s", old.sop_instance);
	uid[strlen(uid) - 1] = uid[strlen(uid) - 1] == '9' ? '8' : '9';
	rewrite(p, old.sop_instance, uid);
	fd = sources_take(&src, 0, &got, &err);
	ck_assert_int_ge(fd, 0);
	ck_assert_str_eq(got.sop_instance, uid);
	close(fd);
	sources_release(&src);
	rm_tmp();
}
END_TEST

/* Its modification time put back (cp -p, touch -d) but changed just
 * before planning: a same-size rewrite in that tick would leave both
 * times as they were, so it is read again, its first bytes not kept. */
START_TEST(a_file_changed_just_before_planning_is_racy_whatever_its_mtime)
{
	char p[300];
	const char *paths[] = { p };
	struct sources src;
	struct cs_err err = { 0, "" };
	struct stat st;
	size_t plen;

	mk_tmp();
	snprintf(p, sizeof(p), "%s/a.dcm", tmp);
	copy_old("tests/data/p10-evrle.dcm", p);
	ck_assert_int_eq(stat(p, &st), 0);
	ck_assert_int_lt(st.st_mtim.tv_sec, st.st_ctim.tv_sec - 30);
	ck_assert_int_eq(sources_init(&src, paths, 1, &err), 0);
	ck_assert_int_eq(sources_probe(&src, 0, &err), 0);
	ck_assert_int_eq(src.s[0].racy, 1);
	ck_assert_ptr_null(sources_prefix(&src, 0, &plen));
	ck_assert_uint_eq(plen, 0);
	sources_release(&src);
	rm_tmp();
}
END_TEST

/* Beyond the budget the file is opened again when its turn comes; gone
 * by then, it is unreadable; not DICOM, it is never planned. */
START_TEST(take_opens_again_beyond_the_budget)
{
	char p[300], q[300];
	const char *paths[] = { p, q };
	struct sources src;
	struct part10_info got;
	struct cs_err err = { 0, "" };

	mk_tmp();
	snprintf(p, sizeof(p), "%s/a.dcm", tmp);
	snprintf(q, sizeof(q), "%s/b.txt", tmp);
	copy_old("tests/data/p10-evrle.dcm", p);
	copy_old("tests/data/not-dicom.txt", q);
	ck_assert_int_eq(sources_init(&src, paths, 2, &err), 0);
	src.keep_max = 0;
	ck_assert_int_eq(sources_probe(&src, 0, &err), 0);
	ck_assert_int_eq(src.s[0].fd, -1);
	ck_assert_int_eq(sources_probe(&src, 1, &err), CS_E_NOTDICOM);
	ck_assert_str_eq(sources_class(&src, 1), "");
	ck_assert_int_eq(unlink(p), 0);
	cs_err_clear(&err);
	ck_assert_int_eq(sources_take(&src, 0, &got, &err), CS_E_IO);
	ck_assert_ptr_nonnull(strstr(err.msg, "cannot open"));
	sources_release(&src);
	rm_tmp();
}
END_TEST

Suite *
source_suite(void)
{
	Suite *s = suite_create("source");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, take_hands_over_planning_descriptor_and_header);
	tcase_add_test(tc, take_probes_a_file_changed_since_planning);
	tcase_add_test(tc, untake_gives_back_the_file_planning_opened);
	tcase_add_test(tc, take_reads_again_a_file_written_just_before_planning);
	tcase_add_test(tc, take_opens_again_beyond_the_budget);
	tcase_add_test(
	    tc, a_file_changed_just_before_planning_is_racy_whatever_its_mtime);
	suite_add_tcase(s, tc);
	return s;
}
