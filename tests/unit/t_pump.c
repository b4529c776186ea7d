/*
 * t_pump.c - lib/net/pump: a data set owed as external payload goes from
 * a file to a loopback TCP socket (sendfile for a small one, a mapping of
 * the file for a large one) byte for byte; a file shorter than its data
 * set, or one that shrinks while it is sent, ends the send with CS_E_IO
 * and never with SIGBUS.
 */
#include <check.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cstore/cstore.h"
#include "core/dimse_msg.h"
#include "core/ul_assoc.h"
#include "net/net.h"
#include "net/pump.h"
#include "ul_pair.h"

Suite *pump_suite(void);

#define PCID 1
#define MIB (1024 * 1024)

/* The byte at offset i of every test file. */
static uint8_t
pattern(uint64_t i)
{
	return (uint8_t)(i * 131u + (i >> 12));
}

/* A temporary file of size bytes of pattern(); returns its fd. */
static int
make_file(char *path, size_t pathsz, size_t size)
{
	static uint8_t buf[64 * 1024];
	size_t done = 0;
	int fd;

	snprintf(path, pathsz, "%s/t_pump.XXXXXX",
	    getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	while (done < size) {
		size_t n = size - done < sizeof(buf) ? size - done : sizeof(buf);

		for (size_t i = 0; i < n; i++)
			buf[i] = pattern(done + i);
		ck_assert_int_eq(write(fd, buf, n), (ssize_t)n);
		done += n;
	}
	return fd;
}

static int
read_full(int fd, uint8_t *p, size_t n)
{
	size_t got = 0;

	while (got < n) {
		ssize_t r = read(fd, p + got, n - got);

		if (r <= 0)
			return -1;
		got += (size_t)r;
	}
	return 0;
}

static uint32_t
be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

/*
 * The receiving end, in a child: reads P-DATA-TF PDUs until EOF and checks
 * every payload byte that comes from below cut against the file from
 * offset off; truncates the file to cut bytes once cut_after payload bytes
 * have arrived (cut_after 0: never).  Exits 0 if want payload bytes
 * arrived and all checked ones matched, else 1.  want 0: any number, and
 * the stream may stop inside a PDV (the sender gave up).
 */
static void
receive(int fd, const char *path, uint64_t off, size_t want, size_t cut_after,
    off_t cut)
{
	static uint8_t pdv[UL_DEFAULT_MAX_PDU];
	uint64_t checked_below = cut_after > 0 ? (uint64_t)cut : UINT64_MAX;
	uint8_t h[6];
	size_t got = 0;
	int bad = 0;

	fcntl(fd, F_SETFL, 0);
	while (read_full(fd, h, 6) == 0) {
		uint32_t left = be32(h + 2);

		if (h[0] != 0x04)
			_exit(1);
		while (left >= 6) {
			uint8_t ih[6];
			uint32_t n;

			if (read_full(fd, ih, 6) != 0)
				goto end;
			n = be32(ih) - 2;
			if (n > sizeof(pdv))
				_exit(1);
			if (read_full(fd, pdv, n) != 0)
				goto end;
			for (uint32_t i = 0; i < n; i++)
				if (off + got + i < checked_below &&
				    pdv[i] != pattern(off + got + i))
					bad = 1;
			got += n;
			left -= 6 + n;
			if (cut_after > 0 && got >= cut_after) {
				if (truncate(path, cut) != 0)
					_exit(1);
				cut_after = 0;
			}
		}
	}
	_exit(!bad && (want == 0 || got == want) ? 0 : 1);
end:
	_exit(!bad && want == 0 ? 0 : 1);
}

/*
 * Sends a data set of len bytes from offset off of a file of size bytes
 * over loopback TCP, as scu_store_start does; the child checks it (see
 * receive).  Returns the first non-zero pump_flush code (0: all sent);
 * err gets its detail.  The child's verdict goes to *child_ok.
 */
static int
send_file(size_t size, uint64_t off, size_t len, size_t cut_after, off_t cut,
    struct cs_err *err, int *child_ok)
{
	struct side r, s;
	struct pump p;
	struct dimse_frag_plan plan;
	char path[256], host[64], port[16];
	unsigned pnum;
	uint32_t n;
	int lfd, cfd, afd, ffd, st, rc = 0, small = 64 * 1024;
	pid_t pid;

	ck_assert_int_eq(side_init(&r, UL_REQUESTOR, 0, NULL), 0);
	ck_assert_int_eq(side_init(&s, UL_ACCEPTOR, SIDE_ACCEPT, NULL), 0);
	ck_assert_int_eq(pair_run(&r, &s, 0, 1), 0);
	ck_assert(ul_established(r.a));
	ffd = make_file(path, sizeof(path), size);
	lfd = net_listen("127.0.0.1", "0", 1, NULL);
	ck_assert_int_ge(lfd, 0);
	ck_assert_int_eq(net_addr(lfd, 0, host, sizeof(host), &pnum), 0);
	snprintf(port, sizeof(port), "%u", pnum);
	cfd = net_connect("127.0.0.1", port, 5000, NULL);
	ck_assert_int_ge(cfd, 0);
	do
		afd = net_accept(lfd, NULL);
	while (afd == CS_E_AGAIN);
	ck_assert_int_ge(afd, 0);
	/* small buffers: the sender stays close behind the reader */
	setsockopt(cfd, SOL_SOCKET, SO_SNDBUF, &small, sizeof(small));
	setsockopt(afd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		close(cfd);
		receive(afd, path, off,
		    cut_after == 0 && size >= off + len ? len : 0,
		    cut_after, cut);
	}
	close(afd);
	close(lfd);
	ck_assert_int_eq(pump_init(&p, cfd, r.a), 0);
	pump_set_payload_file(&p, ffd, (off_t)off, len);
	ck_assert_int_eq(dimse_plan_init(&plan, len, ul_max_pdv_payload(r.a)),
	    0);
	while (dimse_send_dataset_next(r.a, PCID, &plan, &n, err) == 1) {
		rc = pump_flush(&p, 10000, err);
		if (rc != 0)
			break;
	}
	pump_release(&p);
	close(cfd);
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	*child_ok = WIFEXITED(st) && WEXITSTATUS(st) == 0;
	close(ffd);
	unlink(path);
	side_release(&r);
	side_release(&s);
	return rc;
}

START_TEST(a_small_data_set_arrives_whole)
{
	struct cs_err err = { 0, "" };
	int ok;

	ck_assert_int_eq(send_file(700 * 1024, 333, 700 * 1024 - 333, 0, 0,
	    &err, &ok), 0);
	ck_assert(ok);
}
END_TEST

START_TEST(a_large_data_set_arrives_whole_through_several_windows)
{
	struct cs_err err = { 0, "" };
	int ok;

	ck_assert_int_eq(send_file(13 * MIB + 4321, 333, 13 * MIB + 3988, 0, 0,
	    &err, &ok), 0);
	ck_assert(ok);
}
END_TEST

/* Sizes: a small data set (sendfile), a large one (mapping). */
static const size_t short_sizes[] = { 200 * 1024, 12 * MIB };

START_TEST(a_file_shorter_than_its_data_set_is_an_io_error)
{
	struct cs_err err = { 0, "" };
	size_t size = short_sizes[_i];
	int ok;

	ck_assert_int_eq(send_file(size, 100, size - 100 + 5000, 0, 0, &err,
	    &ok), CS_E_IO);
	ck_assert_str_eq(err.msg, "file ended before its dataset was sent");
	ck_assert(ok);
}
END_TEST

START_TEST(a_file_that_shrinks_while_sent_is_an_io_error_not_sigbus)
{
	struct cs_err err = { 0, "" };
	int ok;

	/* cut inside the mapped window the sender is reading from */
	ck_assert_int_eq(send_file(12 * MIB, 0, 12 * MIB, 5 * MIB / 2,
	    3 * MIB, &err, &ok), CS_E_IO);
	ck_assert_str_eq(err.msg, "file ended before its dataset was sent");
	ck_assert(ok);
}
END_TEST

Suite *
pump_suite(void)
{
	Suite *s = suite_create("pump");
	TCase *tc = tcase_create("payload");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, a_small_data_set_arrives_whole);
	tcase_add_test(tc, a_large_data_set_arrives_whole_through_several_windows);
	tcase_add_loop_test(tc, a_file_shorter_than_its_data_set_is_an_io_error,
	    0, 2);
	tcase_add_test(tc,
	    a_file_that_shrinks_while_sent_is_an_io_error_not_sigbus);
	suite_add_tcase(s, tc);
	return s;
}
