/* t_inputs.c - operands to an ordered list of paths (lib/cli/inputs). */
#include <sys/stat.h>
#include <sys/types.h>

#include <check.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cstore/cstore.h"
#include "core/alloc.h"
#include "cli/inputs.h"
#include "dcmfile/infile.h"

Suite *inputs_suite(void);

static char tmp[256]; /* short, so that tmp + a relative path fits PATH_MAX */

static void
mk_tmp(void)
{
	const char *base = getenv("TMPDIR");

	snprintf(tmp, sizeof(tmp), "%s/t_inputs.XXXXXX", base ? base : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(tmp));
}

static void
rm_tmp(void)
{
	char cmd[2 * sizeof(tmp) + 64];

	/* the tree may hold a chmod 000 directory: give it back first */
	snprintf(cmd, sizeof(cmd), "chmod -R u+rwx '%s'; rm -rf '%s'", tmp, tmp);
	if (system(cmd) != 0)
		fprintf(stderr, "t_inputs: cannot remove %s\n", tmp);
}

static void
touch(const char *rel)
{
	char p[PATH_MAX];
	int fd;

	snprintf(p, sizeof(p), "%s/%s", tmp, rel);
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	ck_assert_int_ge(fd, 0);
	close(fd);
}

static void
mkd(const char *rel)
{
	char p[PATH_MAX];

	snprintf(p, sizeof(p), "%s/%s", tmp, rel);
	ck_assert_int_eq(mkdir(p, 0755), 0);
}

static void
lnk(const char *target, const char *rel)
{
	char p[PATH_MAX];

	snprintf(p, sizeof(p), "%s/%s", tmp, rel);
	ck_assert_int_eq(symlink(target, p), 0);
}

/* Compares the list with tmp-relative expected paths. */
static void
expect(const struct inputs *in, const char *const *want, size_t n)
{
	char p[PATH_MAX];
	size_t i;

	for (i = 0; i < n && i < inputs_count(in); i++) {
		snprintf(p, sizeof(p), "%s/%s", tmp, want[i]);
		ck_assert_msg(strcmp(inputs_path(in, i), p) == 0,
		    "entry %zu: got '%s', want '%s'", i, inputs_path(in, i), p);
	}
	ck_assert_uint_eq(inputs_count(in), n);
}

struct skips {
	int n;
	char last_path[PATH_MAX];
	char last_why[128];
};

static void
on_skip(void *ctx, const char *path, const char *why)
{
	struct skips *s = ctx;

	s->n++;
	snprintf(s->last_path, sizeof(s->last_path), "%s", path);
	snprintf(s->last_why, sizeof(s->last_why), "%s", why);
}

/* Built in an order unlike the sorted one, to catch readdir order leaking. */
static void
build_tree(void)
{
	mkd("d");
	touch("d/z.dcm");
	mkd("d/m");
	touch("d/m/b.dcm");
	touch("d/m.dcm");
	touch("d/a.dcm");
	touch("d/B.dcm");
	touch("d/.hidden");
	mkd("d/sub");
	mkd("d/sub/deep");
	touch("d/sub/deep/x.dcm");
	touch("d/m/a.dcm");
}

START_TEST(walk_sorts_by_name_depth_first_with_dirs_interleaved)
{
	static const char *const want[] = {
		"d/.hidden", "d/B.dcm", "d/a.dcm", "d/m/a.dcm", "d/m/b.dcm",
		"d/m.dcm", "d/sub/deep/x.dcm", "d/z.dcm",
	};
	struct inputs in;
	struct cs_err e = { 0, "" };
	char d[PATH_MAX];

	mk_tmp();
	build_tree();
	inputs_init(&in, NULL);
	snprintf(d, sizeof(d), "%s/d", tmp);
	ck_assert_int_eq(inputs_add_operand(&in, d, &e), 0);
	expect(&in, want, sizeof(want) / sizeof(want[0]));
	inputs_release(&in);
	rm_tmp();
}
END_TEST

START_TEST(walk_skips_dot_files_only_when_asked)
{
	static const char *const want[] = {
		"d/B.dcm", "d/a.dcm", "d/m/a.dcm", "d/m/b.dcm", "d/m.dcm",
		"d/sub/deep/x.dcm", "d/z.dcm",
	};
	struct inputs_opts o = { INPUTS_SKIP_DOT, NULL, NULL, NULL };
	struct inputs in;
	char d[PATH_MAX];

	mk_tmp();
	build_tree();
	mkd("d/.git");
	touch("d/.git/HEAD");
	inputs_init(&in, &o);
	snprintf(d, sizeof(d), "%s/d", tmp);
	ck_assert_int_eq(inputs_add_operand(&in, d, NULL), 0);
	expect(&in, want, sizeof(want) / sizeof(want[0]));
	inputs_release(&in);
	rm_tmp();
}
END_TEST

START_TEST(walk_trailing_slash_gives_no_double_slash)
{
	struct inputs in;
	char d[PATH_MAX], want[PATH_MAX];

	mk_tmp();
	mkd("d");
	touch("d/f");
	inputs_init(&in, NULL);
	snprintf(d, sizeof(d), "%s/d/", tmp);
	ck_assert_int_eq(inputs_add_operand(&in, d, NULL), 0);
	ck_assert_uint_eq(inputs_count(&in), 1);
	snprintf(want, sizeof(want), "%s/d/f", tmp);
	ck_assert_str_eq(inputs_path(&in, 0), want);
	inputs_release(&in);
	rm_tmp();
}
END_TEST

START_TEST(walk_follows_symlinks_but_not_into_a_loop)
{
	static const char *const want[] = {
		"d/f.dcm", "d/link/g.dcm", "d/m/inner.dcm", "d/z.dcm",
	};
	struct skips sk = { 0, "", "" };
	struct inputs_opts o = { 0, NULL, on_skip, &sk };
	struct inputs in;
	char d[PATH_MAX], loop[PATH_MAX];

	mk_tmp();
	mkd("d");
	mkd("other");
	touch("other/g.dcm");
	touch("d/f.dcm");
	touch("d/z.dcm");
	mkd("d/m");
	touch("d/m/inner.dcm");
	lnk("../../d", "d/m/up");     /* d/m/up -> d: a loop */
	lnk("../other", "d/link");    /* a symlinked directory, no loop */
	inputs_init(&in, &o);
	snprintf(d, sizeof(d), "%s/d", tmp);
	ck_assert_int_eq(inputs_add_operand(&in, d, NULL), 0);
	expect(&in, want, sizeof(want) / sizeof(want[0]));
	ck_assert_int_eq(sk.n, 1);
	snprintf(loop, sizeof(loop), "%s/d/m/up", tmp);
	ck_assert_str_eq(sk.last_path, loop);
	ck_assert_ptr_nonnull(strstr(sk.last_why, "loop"));
	inputs_release(&in);
	rm_tmp();
}
END_TEST

START_TEST(walk_keeps_unreadable_entries_and_fifos)
{
	struct skips sk = { 0, "", "" };
	struct inputs_opts o = { 0, NULL, on_skip, &sk };
	struct inputs in;
	char d[PATH_MAX], p[PATH_MAX];
	int root = geteuid() == 0;

	mk_tmp();
	mkd("d");
	touch("d/a.dcm");
	lnk("nowhere", "d/broken");     /* dangling: an entry */
	mkd("d/closed");
	touch("d/closed/hidden.dcm");
	snprintf(p, sizeof(p), "%s/d/closed", tmp);
	ck_assert_int_eq(chmod(p, 0), 0);
	snprintf(p, sizeof(p), "%s/d/fifo", tmp);
	ck_assert_int_eq(mkfifo(p, 0600), 0);
	inputs_init(&in, &o);
	snprintf(d, sizeof(d), "%s/d", tmp);
	ck_assert_int_eq(inputs_add_operand(&in, d, NULL), 0);
	/* the FIFO is an entry: the sender reports it (infile_open) */
	ck_assert_uint_eq(inputs_count(&in), 4);
	snprintf(p, sizeof(p), "%s/d/a.dcm", tmp);
	ck_assert_str_eq(inputs_path(&in, 0), p);
	snprintf(p, sizeof(p), "%s/d/broken", tmp);
	ck_assert_str_eq(inputs_path(&in, 1), p);
	/* root reads a mode-000 directory anyway; others get it as an entry */
	snprintf(p, sizeof(p), root ? "%s/d/closed/hidden.dcm" : "%s/d/closed",
	    tmp);
	ck_assert_str_eq(inputs_path(&in, 2), p);
	snprintf(p, sizeof(p), "%s/d/fifo", tmp);
	ck_assert_str_eq(inputs_path(&in, 3), p);
	ck_assert_int_eq(sk.n, 0);
	inputs_release(&in);
	rm_tmp();
}
END_TEST

START_TEST(open_refuses_fifos_and_devices_without_blocking)
{
	struct cs_err e = { 0, "" };
	char p[PATH_MAX];
	struct stat st;
	int fd;

	mk_tmp();
	snprintf(p, sizeof(p), "%s/fifo", tmp);
	ck_assert_int_eq(mkfifo(p, 0600), 0);
	alarm(10); /* a blocking open fails the test instead of hanging it */
	ck_assert_int_eq(infile_open(p, &e), CS_E_IO);
	ck_assert_ptr_nonnull(strstr(e.msg, "not a regular file but a FIFO"));
	cs_err_clear(&e);
	ck_assert_int_eq(infile_open("/dev/null", &e), CS_E_IO);
	ck_assert_ptr_nonnull(strstr(e.msg, "a character device"));
	cs_err_clear(&e);
	ck_assert_int_eq(infile_open(tmp, &e), CS_E_IO);
	ck_assert_ptr_nonnull(strstr(e.msg, "a directory"));
	cs_err_clear(&e);
	snprintf(p, sizeof(p), "%s/none", tmp);
	ck_assert_int_eq(infile_open(p, &e), CS_E_IO);
	ck_assert_ptr_nonnull(strstr(e.msg, "No such file"));
	touch("f.dcm");
	snprintf(p, sizeof(p), "%s/f.dcm", tmp);
	fd = infile_open(p, NULL);
	ck_assert_int_ge(fd, 0);
	/* blocking again, and not inherited by children */
	ck_assert_int_eq(fcntl(fd, F_GETFL) & O_NONBLOCK, 0);
	ck_assert_int_ne(fcntl(fd, F_GETFD) & FD_CLOEXEC, 0);
	close(fd);
	/* so is what planning keeps (a FUSE daemon may answer EAGAIN) */
	fd = infile_open_stat(p, &st, NULL);
	ck_assert_int_ge(fd, 0);
	ck_assert(S_ISREG(st.st_mode));
	ck_assert_int_eq(fcntl(fd, F_GETFL) & O_NONBLOCK, 0);
	close(fd);
	alarm(0);
	rm_tmp();
}
END_TEST

START_TEST(written_since_hands_back_its_stat)
{
	char p[PATH_MAX];
	struct stat was, now;
	int fd;

	mk_tmp();
	snprintf(p, sizeof(p), "%s/w.dcm", tmp);
	fd = open(p, O_RDWR | O_CREAT | O_TRUNC, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "abcdefgh", 8), 8);
	ck_assert_int_eq(fstat(fd, &was), 0);
	ck_assert_int_eq(infile_written_since(fd, p, &was, NULL), 0);
	ck_assert_int_eq(infile_written_since(fd, p, &was, &now), 0);
	ck_assert_int_eq(now.st_size, 8);
	/* a shrink: the caller tells it from a write by the size given
	 * back, with no fstat of its own (storescu/session.c) */
	ck_assert_int_eq(ftruncate(fd, 3), 0);
	ck_assert_int_eq(infile_written_since(fd, p, &was, &now), 1);
	ck_assert_int_eq(now.st_size, 3);
	ck_assert_int_eq(infile_written_since(fd, p, &was, NULL), 1);
	close(fd);
	unlink(p);
	rm_tmp();
}
END_TEST

/* the change time, which no user sets back: a write of the same size
 * whose mtime was restored (cp -p, touch -r) is seen; a rename, chmod or
 * link is no write.  The kernel's clock for these is coarse (a tick):
 * each change comes 20 ms after the stat it is compared with. */
START_TEST(written_since_sees_a_restored_mtime)
{
	char p[PATH_MAX], q[PATH_MAX], l[PATH_MAX];
	struct stat was;
	struct timespec ts[2];
	int fd;

	mk_tmp();
	snprintf(p, sizeof(p), "%s/w.dcm", tmp);
	snprintf(q, sizeof(q), "%s/moved.dcm", tmp);
	snprintf(l, sizeof(l), "%s/link.dcm", tmp);
	fd = open(p, O_RDWR | O_CREAT | O_TRUNC, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "abcdefgh", 8), 8);
	ck_assert_int_eq(fstat(fd, &was), 0);
	usleep(20000);
	ck_assert_int_eq(pwrite(fd, "XY", 2, 3), 2);
	ts[0] = was.st_atim;
	ts[1] = was.st_mtim;
	ck_assert_int_eq(futimens(fd, ts), 0);
	ck_assert_int_eq(infile_written_since(fd, p, &was, NULL), 1);
	ck_assert_int_eq(infile_written_since(fd, NULL, &was, NULL), 1);
	/* a chmod, a link, a rename: no byte changed */
	ck_assert_int_eq(fstat(fd, &was), 0);
	usleep(20000);
	ck_assert_int_eq(fchmod(fd, 0640), 0);
	ck_assert_int_eq(infile_written_since(fd, p, &was, NULL), 0);
	ck_assert_int_eq(fstat(fd, &was), 0);
	usleep(20000);
	ck_assert_int_eq(link(p, l), 0);
	ck_assert_int_eq(infile_written_since(fd, p, &was, NULL), 0);
	ck_assert_int_eq(unlink(l), 0);
	ck_assert_int_eq(fstat(fd, &was), 0);
	usleep(20000);
	ck_assert_int_eq(rename(p, q), 0);
	ck_assert_int_eq(infile_written_since(fd, p, &was, NULL), 0);
	close(fd);
	unlink(q);
	rm_tmp();
}
END_TEST

START_TEST(operands_keep_their_order_and_missing_paths_stay)
{
	struct inputs in;
	struct cs_err e = { 0, "" };

	inputs_init(&in, NULL);
	ck_assert_int_eq(inputs_add_operand(&in, "/nonexistent/zz.dcm", &e), 0);
	ck_assert_int_eq(inputs_add_operand(&in, "/nonexistent/aa.dcm", &e), 0);
	ck_assert_int_eq(inputs_add_operand(&in, "/dev/null", &e), 0);
	ck_assert_uint_eq(inputs_count(&in), 3);
	ck_assert_str_eq(inputs_path(&in, 0), "/nonexistent/zz.dcm");
	ck_assert_str_eq(inputs_path(&in, 1), "/nonexistent/aa.dcm");
	ck_assert_str_eq(inputs_path(&in, 2), "/dev/null");
	ck_assert_ptr_null(inputs_path(&in, 3));
	ck_assert_int_eq(e.code, 0);
	inputs_release(&in);
}
END_TEST

START_TEST(list_reads_lines_and_ignores_empty_ones)
{
	static char data[] = "a.dcm\n\nb c.dcm\r\n\r\n/abs/c.dcm";
	FILE *f = fmemopen(data, strlen(data), "r");
	struct inputs in;

	ck_assert_ptr_nonnull(f);
	inputs_init(&in, NULL);
	ck_assert_int_eq(inputs_read_list(&in, f, 0, NULL), 0);
	ck_assert_uint_eq(inputs_count(&in), 3);
	ck_assert_str_eq(inputs_path(&in, 0), "a.dcm");
	ck_assert_str_eq(inputs_path(&in, 1), "b c.dcm");
	ck_assert_str_eq(inputs_path(&in, 2), "/abs/c.dcm");
	fclose(f);
	inputs_release(&in);
}
END_TEST

START_TEST(list_reads_nul_separated_records_with_newlines_inside)
{
	static char data[] = "a\nb.dcm\0\0c.dcm\0d\r";
	FILE *f = fmemopen(data, sizeof(data) - 1, "r");
	struct inputs_opts o = { INPUTS_NUL_SEP, NULL, NULL, NULL };
	struct inputs in;

	ck_assert_ptr_nonnull(f);
	o.list = f;
	inputs_init(&in, &o);
	ck_assert_int_eq(inputs_add_operand(&in, "-", NULL), 0);
	ck_assert_uint_eq(inputs_count(&in), 3);
	ck_assert_str_eq(inputs_path(&in, 0), "a\nb.dcm");
	ck_assert_str_eq(inputs_path(&in, 1), "c.dcm");
	ck_assert_str_eq(inputs_path(&in, 2), "d\r"); /* -0: bytes as they are */
	fclose(f);
	inputs_release(&in);
}
END_TEST

START_TEST(list_rejects_nul_in_newline_mode)
{
	static char data[] = "a.dcm\nb\0c.dcm\nd.dcm\n";
	FILE *f = fmemopen(data, sizeof(data) - 1, "r");
	struct inputs in;
	struct cs_err e = { 0, "" };

	ck_assert_ptr_nonnull(f);
	inputs_init(&in, NULL);
	ck_assert_int_eq(inputs_read_list(&in, f, 0, &e), CS_E_INVAL);
	ck_assert_ptr_nonnull(strstr(e.msg, "line 2"));
	ck_assert_ptr_nonnull(strstr(e.msg, "-0"));
	ck_assert_uint_eq(inputs_count(&in), 1); /* what came before stays */
	fclose(f);
	inputs_release(&in);
}
END_TEST

START_TEST(list_skips_directories_so_find_without_type_f_works)
{
	char data[3 * PATH_MAX];
	struct skips sk = { 0, "", "" };
	struct inputs_opts o = { 0, NULL, on_skip, &sk };
	struct inputs in;
	FILE *f;

	mk_tmp();
	mkd("d");
	touch("d/a.dcm");
	/* what "find d" prints: the directory, then its file */
	snprintf(data, sizeof(data), "%s/d\n%s/d/a.dcm\n", tmp, tmp);
	f = fmemopen(data, strlen(data), "r");
	ck_assert_ptr_nonnull(f);
	inputs_init(&in, &o);
	ck_assert_int_eq(inputs_read_list(&in, f, 0, NULL), 0);
	ck_assert_uint_eq(inputs_count(&in), 1);
	ck_assert_ptr_nonnull(strstr(inputs_path(&in, 0), "/d/a.dcm"));
	ck_assert_int_eq(sk.n, 1);
	ck_assert_ptr_nonnull(strstr(sk.last_why, "directory"));
	fclose(f);
	inputs_release(&in);
	rm_tmp();
}
END_TEST

START_TEST(dash_without_a_list_stream_is_an_error)
{
	struct inputs in;
	struct cs_err e = { 0, "" };

	inputs_init(&in, NULL);
	ck_assert_int_eq(inputs_add_operand(&in, "-", &e), CS_E_INVAL);
	ck_assert_int_eq(e.code, CS_E_INVAL);
	ck_assert_int_eq(inputs_add_operand(&in, NULL, NULL), CS_E_INVAL);
	ck_assert_uint_eq(inputs_count(&in), 0);
	inputs_release(&in);
}
END_TEST

START_TEST(a_million_paths_fit)
{
	struct inputs in;
	char p[64];
	size_t i;

	inputs_init(&in, NULL);
	for (i = 0; i < 1000000; i++) {
		snprintf(p, sizeof(p), "study/series%zu/img%07zu.dcm", i / 1000, i);
		ck_assert_int_eq(inputs_add_path(&in, p, NULL), 0);
	}
	ck_assert_uint_eq(inputs_count(&in), 1000000);
	ck_assert_str_eq(inputs_path(&in, 0), "study/series0/img0000000.dcm");
	ck_assert_str_eq(inputs_path(&in, 999999),
	    "study/series999/img0999999.dcm");
	inputs_release(&in);
}
END_TEST

START_TEST(walk_fails_cleanly_at_every_allocation)
{
	struct inputs in;
	struct cs_err e;
	char d[PATH_MAX];
	unsigned long n;
	int rc;

	mk_tmp();
	build_tree();
	snprintf(d, sizeof(d), "%s/d", tmp);
	for (n = 1; n < 1000; n++) {
		cs_err_clear(&e);
		inputs_init(&in, NULL);
		cs_alloc_fail_at(n);
		rc = inputs_add_operand(&in, d, &e);
		cs_alloc_fail_at(0);
		if (rc == 0) {
			ck_assert_uint_eq(inputs_count(&in), 8);
			inputs_release(&in);
			break;
		}
		ck_assert_int_eq(rc, CS_E_NOMEM);
		ck_assert_int_eq(e.code, CS_E_NOMEM);
		inputs_release(&in); /* no leak: ASan's leak check watches */
	}
	ck_assert_uint_lt(n, 1000);
	ck_assert_uint_gt(n, 1); /* at least one failure was injected */
	rm_tmp();
}
END_TEST

Suite *
inputs_suite(void)
{
	Suite *s = suite_create("inputs");
	TCase *tc = tcase_create("storescu");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, walk_sorts_by_name_depth_first_with_dirs_interleaved);
	tcase_add_test(tc, walk_skips_dot_files_only_when_asked);
	tcase_add_test(tc, walk_trailing_slash_gives_no_double_slash);
	tcase_add_test(tc, walk_follows_symlinks_but_not_into_a_loop);
	tcase_add_test(tc, walk_keeps_unreadable_entries_and_fifos);
	tcase_add_test(tc, open_refuses_fifos_and_devices_without_blocking);
	tcase_add_test(tc, written_since_hands_back_its_stat);
	tcase_add_test(tc, written_since_sees_a_restored_mtime);
	tcase_add_test(tc, operands_keep_their_order_and_missing_paths_stay);
	tcase_add_test(tc, list_reads_lines_and_ignores_empty_ones);
	tcase_add_test(tc, list_reads_nul_separated_records_with_newlines_inside);
	tcase_add_test(tc, list_rejects_nul_in_newline_mode);
	tcase_add_test(tc, list_skips_directories_so_find_without_type_f_works);
	tcase_add_test(tc, dash_without_a_list_stream_is_an_error);
	tcase_add_test(tc, a_million_paths_fit);
	tcase_add_test(tc, walk_fails_cleanly_at_every_allocation);
	suite_add_tcase(s, tc);
	return s;
}
