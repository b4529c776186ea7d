/* t_splice_writer.c - the receiver's writer thread (splice_writer.h):
 * bytes handed over reach the file in order, a failed write drops
 * exactly the bytes handed over, a pipe holding less is reported. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "storescp/splice_writer.h"

Suite *splice_writer_suite(void);

/* a pipe as the I/O loop has it: 1 MiB, non-blocking */
static void
mkpipe(int p[2])
{
	ck_assert_int_eq(pipe2(p, O_CLOEXEC | O_NONBLOCK), 0);
	ck_assert_int_ge(fcntl(p[1], F_SETPIPE_SZ, 1024 * 1024), 65536);
}

static int
tmpfile_fd(int flags)
{
	char path[] = "/tmp/t_splice_writer.XXXXXX";
	int fd = mkstemp(path);

	ck_assert_int_ge(fd, 0);
	if (flags != O_RDWR) {
		int fd2 = open(path, flags);

		ck_assert_int_ge(fd2, 0);
		close(fd);
		fd = fd2;
	}
	unlink(path);
	return fd;
}

static void
fill(uint8_t *b, size_t n, unsigned seed)
{
	size_t i;

	for (i = 0; i < n; i++)
		b[i] = (uint8_t)((i * 2654435761u + seed) >> 13);
}

static void
put(int fd, const uint8_t *b, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, b, n);

		ck_assert_int_gt(w, 0);
		b += w;
		n -= (size_t)w;
	}
}

/* the file holds exactly b[0, n) */
static void
file_is(int fd, const uint8_t *b, size_t n)
{
	uint8_t *got = malloc(n + 1);

	ck_assert_ptr_nonnull(got);
	ck_assert_int_eq((int)pread(fd, got, n + 1, 0), (int)n);
	ck_assert_int_eq(memcmp(got, b, n), 0);
	free(got);
}

START_TEST(pieces_handed_over_reach_the_file_in_order)
{
	static uint8_t b[900000];
	size_t cut[] = { 0, 65536, 65536 + 262144, 600001, sizeof(b) };
	struct splice_writer *w = splice_writer_new();
	uint64_t written;
	int p[2], fd = tmpfile_fd(O_RDWR), einval = 9;
	size_t i;

	ck_assert_ptr_nonnull(w);
	mkpipe(p);
	fill(b, sizeof(b), 1);
	for (i = 0; i + 1 < sizeof(cut) / sizeof(*cut); i++) {
		put(p[1], b + cut[i], cut[i + 1] - cut[i]);
		ck_assert_int_eq(
		    splice_writer_post(w, p[0], fd, cut[i + 1] - cut[i]), 0);
		splice_writer_drain_to(w, 262144, 0);
	}
	ck_assert_int_eq(splice_writer_wait(w, &written, &einval), 0);
	ck_assert_uint_eq(written, sizeof(b));
	ck_assert_int_eq(einval, 0);
	file_is(fd, b, sizeof(b));
	/* the caller's pipe descriptor may close: the writer has its own */
	put(p[1], b, 70000);
	ck_assert_int_eq(splice_writer_post(w, p[0], fd, 70000), 0);
	close(p[0]);
	ck_assert_int_eq(splice_writer_wait(w, &written, &einval), 0);
	ck_assert_uint_eq(written, 70000);
	splice_writer_free(w);
	close(p[1]);
	close(fd);
}
END_TEST

START_TEST(a_failed_write_drops_exactly_the_bytes_handed_over)
{
	static uint8_t b[300000];
	struct splice_writer *w = splice_writer_new();
	uint8_t rest[8] = { 0 };
	uint64_t written;
	int p[2], fd = tmpfile_fd(O_RDONLY), einval = 0;

	ck_assert_ptr_nonnull(w);
	mkpipe(p);
	fill(b, sizeof(b), 2);
	put(p[1], b, sizeof(b));
	ck_assert_int_eq(splice_writer_post(w, p[0], fd, 200000), 0);
	ck_assert_int_eq(splice_writer_post(w, p[0], fd, 99995), 0);
	/* a file open for reading only: EBADF; the 5 bytes not handed
	 * over stay in the pipe, and nothing else */
	ck_assert_int_eq(splice_writer_wait(w, &written, &einval), EBADF);
	ck_assert_uint_eq(written, 0);
	ck_assert_int_eq((int)read(p[0], rest, sizeof(rest)), 5);
	ck_assert_int_eq(memcmp(rest, b + 299995, 5), 0);
	/* the failure was said once */
	ck_assert_int_eq(splice_writer_wait(w, &written, &einval), 0);
	splice_writer_free(w);
	close(p[0]);
	close(p[1]);
	close(fd);
}
END_TEST

START_TEST(a_file_that_cannot_splice_gets_the_bytes_copied)
{
	static uint8_t b[200000];
	struct splice_writer *w = splice_writer_new();
	uint64_t written;
	int p[2], fd = tmpfile_fd(O_WRONLY | O_APPEND), einval = 0;
	char link[64];
	int rd;

	ck_assert_ptr_nonnull(w);
	mkpipe(p);
	fill(b, sizeof(b), 3);
	put(p[1], b, sizeof(b));
	/* splice(2) refuses a file open O_APPEND (EINVAL) */
	ck_assert_int_eq(splice_writer_post(w, p[0], fd, sizeof(b)), 0);
	ck_assert_int_eq(splice_writer_wait(w, &written, &einval), 0);
	ck_assert_uint_eq(written, sizeof(b));
	ck_assert_int_eq(einval, 1);
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	rd = open(link, O_RDONLY);
	ck_assert_int_ge(rd, 0);
	file_is(rd, b, sizeof(b));
	close(rd);
	splice_writer_free(w);
	close(p[0]);
	close(p[1]);
	close(fd);
}
END_TEST

START_TEST(a_pipe_holding_less_than_handed_over_is_lost)
{
	static uint8_t b[1000];
	struct splice_writer *w = splice_writer_new();
	uint64_t written;
	int p[2], fd = tmpfile_fd(O_RDWR), einval = 0;

	ck_assert_ptr_nonnull(w);
	mkpipe(p);
	fill(b, sizeof(b), 4);
	put(p[1], b, 400);
	ck_assert_int_eq(splice_writer_post(w, p[0], fd, sizeof(b)), 0);
	ck_assert_int_eq(splice_writer_wait(w, &written, &einval), -1);
	splice_writer_free(w);
	close(p[0]);
	close(p[1]);
	close(fd);
}
END_TEST

Suite *
splice_writer_suite(void)
{
	Suite *s = suite_create("splice_writer");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, pieces_handed_over_reach_the_file_in_order);
	tcase_add_test(tc, a_failed_write_drops_exactly_the_bytes_handed_over);
	tcase_add_test(tc, a_file_that_cannot_splice_gets_the_bytes_copied);
	tcase_add_test(tc, a_pipe_holding_less_than_handed_over_is_lost);
	suite_add_tcase(s, tc);
	return s;
}
