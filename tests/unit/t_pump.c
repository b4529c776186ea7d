/*
 * t_pump.c - lib/net/pump: a data set owed as external payload goes from
 * a file to a loopback TCP socket (read into memory and sent with each
 * PDV header for a small one, sendfile for a middling one, a mapping of
 * the file for a large one) byte for byte; a file shorter than its data
 * set, or one that shrinks while it is sent, ends the send with CS_E_IO
 * and never with SIGBUS.  A callback that pauses has the output written
 * before the rest of the read is fed, and held input waits.
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
 * offset off, and every one from offset end on (the pad bytes after a
 * data set that ends there) against 0; truncates the file to cut bytes
 * once cut_after payload bytes have arrived (cut_after 0: never).  Exits
 * 0 if want payload bytes arrived and all checked ones matched, else 1.
 * want 0: any number, and the stream may stop inside a PDV (the sender
 * gave up).
 */
static void
receive(int fd, const char *path, uint64_t off, uint64_t end, size_t want,
    size_t cut_after, off_t cut)
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
			for (uint32_t i = 0; i < n; i++) {
				uint64_t at = off + got + i;

				if (at >= end ? pdv[i] != 0
					      : at < checked_below &&
						  pdv[i] != pattern(at))
					bad = 1;
			}
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
 * send_file's read ahead (pump_preload) before the payload is set: none
 * when preload_len is 0; then, with clobber, the file's bytes zeroed (a
 * payload read again would arrive as zeros, not as the pattern).
 */
static uint64_t preload_off, preload_len;
static int clobber;

static void
preload(struct pump *p, int ffd, size_t size)
{
	static const uint8_t zero[4096];
	size_t k;

	if (preload_len == 0)
		return;
	pump_preload(p, ffd, (off_t)preload_off, preload_len);
	for (k = 0; clobber && k < size; k += sizeof(zero))
		ck_assert_int_ge(pwrite(ffd, zero,
				     size - k < sizeof(zero) ? size - k
							     : sizeof(zero),
				     (off_t)k),
		    0);
}

/*
 * Sends a data set of len bytes from offset off of a file of size bytes,
 * then pad zero bytes (pump_set_payload_pad), over loopback TCP, as
 * scu_store_start does; the child checks it (see receive).  Returns the
 * first non-zero pump_flush code (0: all sent); err gets its detail.
 * The child's verdict goes to *child_ok.
 */
static int
send_file_pad(size_t size, uint64_t off, size_t len, unsigned pad,
    size_t cut_after, off_t cut, struct cs_err *err, int *child_ok)
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
		receive(afd, path, off, off + len,
		    cut_after == 0 && size >= off + len ? len + pad : 0,
		    cut_after, cut);
	}
	close(afd);
	close(lfd);
	ck_assert_int_eq(pump_init(&p, cfd, r.a), 0);
	preload(&p, ffd, size);
	pump_set_payload_file(&p, ffd, (off_t)off, len);
	pump_set_payload_pad(&p, pad);
	ck_assert_int_eq(
	    dimse_plan_init(&plan, len + pad, ul_max_pdv_payload(r.a)), 0);
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

/* send_file_pad without pad bytes. */
static int
send_file(size_t size, uint64_t off, size_t len, size_t cut_after, off_t cut,
    struct cs_err *err, int *child_ok)
{
	return send_file_pad(size, off, len, 0, cut_after, cut, err, child_ok);
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

START_TEST(a_middling_data_set_arrives_whole_by_sendfile)
{
	struct cs_err err = { 0, "" };
	int ok;

	ck_assert_int_eq(send_file(3 * MIB + 999, 333, 3 * MIB + 666, 0, 0,
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

/*
 * An odd-length data set (PS3.5 A.5) sent from a mapping that reaches
 * past it (the file goes on after it): its last PDV ends with the pad
 * byte 0, not the file's next byte.
 */
START_TEST(a_mapped_odd_data_set_ends_with_a_zero_pad_not_the_next_byte)
{
	struct cs_err err = { 0, "" };
	int ok;

	ck_assert_int_eq(send_file_pad(3 * MIB + 999, 333, 3 * MIB + 1, 1, 0,
	    0, &err, &ok), 0);
	ck_assert(ok);
}
END_TEST

/* Read ahead while a response was awaited: the bytes read then are
 * sent, the file not read again (zeroed since, it would send zeros). */
START_TEST(a_data_set_read_ahead_is_sent_from_what_was_read)
{
	struct cs_err err = { 0, "" };
	int ok;

	preload_off = 333;
	preload_len = 300 * 1024 - 333;
	clobber = 1;
	ck_assert_int_eq(send_file(300 * 1024, 333, 300 * 1024 - 333, 0, 0,
	    &err, &ok), 0);
	preload_len = 0;
	clobber = 0;
	ck_assert(ok);
}
END_TEST

/* Read ahead for another offset, or past the end of the file: what is
 * sent is read again, as without it (all of it, or an I/O error). */
START_TEST(a_read_ahead_of_something_else_is_not_sent)
{
	struct cs_err err = { 0, "" };
	int ok;

	preload_off = 334;
	preload_len = 100 * 1024;
	ck_assert_int_eq(send_file(200 * 1024, 333, 100 * 1024, 0, 0, &err,
	    &ok), 0);
	ck_assert(ok);
	preload_off = 100;
	preload_len = 200 * 1024;
	ck_assert_int_eq(send_file(200 * 1024, 100, 200 * 1024, 0, 0, &err,
	    &ok), CS_E_IO);
	ck_assert_str_eq(err.msg, "file ended before its dataset was sent");
	preload_len = 0;
	ck_assert(ok);
}
END_TEST

/* Sizes: a small data set (read in), a middling one (sendfile), a large
 * one (mapping). */
static const size_t short_sizes[] = { 200 * 1024, 3 * MIB, 12 * MIB };

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
	/* cut where a window starts: from offset 48, PDVs of 256 KiB - 6
	 * bytes (UL_DEFAULT_MAX_PDU less the PDV header), the ninth starts
	 * at 2 MiB, past what it can have of the first window (2 MiB and a
	 * page) and where the file now ends: the PDV header that goes with
	 * the payload in one sendmsg finds no next window to map */
	ck_assert_uint_eq(48 + 8 * (UL_DEFAULT_MAX_PDU - 6), 2 * MIB);
	ck_assert_int_eq(send_file(12 * MIB, 48, 12 * MIB - 48, MIB, 2 * MIB,
	    &err, &ok), CS_E_IO);
	ck_assert_str_eq(err.msg, "file ended before its dataset was sent");
	ck_assert(ok);
}
END_TEST

/* --- PS3.8 Sta13: the end of an association we aborted --------------- */

/* An established requestor r (acceptor s in memory), and a connected
 * socket pair: fds[0] for the pump, fds[1] the peer. */
static void
established_pair(struct side *r, struct side *s, int fds[2], uint32_t artim)
{
	struct ul_config cfg = { .max_pdu_recv = UL_DEFAULT_MAX_PDU,
		.artim_ms = artim };

	ck_assert_int_eq(side_init(r, UL_REQUESTOR, 0, &cfg), 0);
	ck_assert_int_eq(side_init(s, UL_ACCEPTOR, SIDE_ACCEPT, NULL), 0);
	ck_assert_int_eq(pair_run(r, s, 0, 1), 0);
	ck_assert(ul_established(r->a));
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
	ck_assert_int_eq(fcntl(fds[0], F_SETFL, O_NONBLOCK), 0);
}

/*
 * The peer, in a child: reads our A-ABORT, then keeps writing P-DATA-TF
 * PDUs (about 2 MB: more than the socket holds, so they must be read
 * and discarded), then expects the end of our stream (our write side
 * shut, not closed), and closes.  Exits 0 when all of that happened.
 */
static void
aborted_peer(int fd)
{
	static const uint8_t pdata[] = { 0x04, 0, 0, 0, 0, 8, 0, 0, 0, 4, 1, 0,
		0xAB, 0xCD };
	uint8_t buf[4096], ab[10];
	int i;

	if (read_full(fd, ab, sizeof(ab)) != 0 || ab[0] != 0x07)
		_exit(1);
	for (i = 0; i < 150000; i++)
		if (write(fd, pdata, sizeof(pdata)) != (ssize_t)sizeof(pdata))
			_exit(2);
	if (read(fd, buf, sizeof(buf)) != 0)
		_exit(3); /* our side sent more, or failed */
	close(fd);
	_exit(0);
}

START_TEST(after_our_abort_the_write_side_is_shut_and_the_peer_read_until_it_closes)
{
	struct side r, s;
	struct pump p;
	int fds[2], st;
	uint64_t t0;
	pid_t pid;

	established_pair(&r, &s, fds, 20000);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		close(fds[0]);
		aborted_peer(fds[1]);
	}
	close(fds[1]);
	ck_assert_int_eq(pump_init(&p, fds[0], r.a), 0);
	ul_tick(r.a, net_now_ms()); /* the engine's clock: ARTIM from now */
	ck_assert_int_eq(ul_abort(r.a), 0);
	ck_assert_int_eq(ul_state(r.a), UL_STA13);
	t0 = net_now_ms();
	pump_linger(&p, 0);
	/* over when the peer closed, long before ARTIM (20 s) */
	ck_assert_uint_lt(net_now_ms() - t0, 15000);
	ck_assert(p.closed);
	ck_assert(p.shut_wr);
	ck_assert_int_eq(ul_state(r.a), UL_STA1);
	ck_assert_uint_gt(p.bytes_in, 2000000);
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert(WIFEXITED(st));
	ck_assert_int_eq(WEXITSTATUS(st), 0);
	pump_release(&p);
	close(fds[0]);
	side_release(&r);
	side_release(&s);
}
END_TEST

START_TEST(a_peer_that_never_closes_is_left_when_artim_expires)
{
	struct side r, s;
	struct pump p;
	int fds[2];
	uint8_t ab[10];
	uint64_t t0;

	established_pair(&r, &s, fds, 300);
	ck_assert_int_eq(pump_init(&p, fds[0], r.a), 0);
	ul_tick(r.a, net_now_ms());
	ck_assert_int_eq(ul_abort(r.a), 0);
	t0 = net_now_ms();
	pump_linger(&p, 0);
	ck_assert_uint_ge(net_now_ms() - t0, 250);
	ck_assert(p.closed);
	ck_assert_int_eq(ul_state(r.a), UL_STA1);
	/* the peer got the A-ABORT, then the end */
	ck_assert_int_eq(read_full(fds[1], ab, sizeof(ab)), 0);
	ck_assert_uint_eq(ab[0], 0x07);
	ck_assert_int_eq(read(fds[1], ab, 1), 0);
	pump_release(&p);
	close(fds[0]);
	close(fds[1]);
	side_release(&r);
	side_release(&s);
}
END_TEST

START_TEST(after_a_failed_write_what_the_peer_sent_before_is_still_read)
{
	static const uint8_t abort_pdu[] = { 0x07, 0, 0, 0, 0, 4, 0, 0, 2, 0 };
	static uint8_t big[512 * 1024];
	struct cs_err err = { 0, "" };
	struct side r, s;
	struct pump p;
	int fds[2];

	established_pair(&r, &s, fds, 20000);
	/* the peer aborts and goes, our data unread */
	ck_assert_int_eq(write(fds[1], abort_pdu, sizeof(abort_pdu)),
	    (ssize_t)sizeof(abort_pdu));
	close(fds[1]);
	ck_assert_int_eq(pump_init(&p, fds[0], r.a), 0);
	ck_assert_int_eq(ul_pdata(r.a, PCID, 0, big, sizeof(big)), 0);
	ck_assert_int_eq(pump_flush(&p, 5000, &err), CS_E_NET);
	ck_assert(p.wr_failed);
	/* reading goes on to the end: the A-ABORT is heard */
	pump_run(&p, NULL, NULL, 5000, NULL);
	ck_assert_int_eq(r.n_abort, 1);
	ck_assert_int_eq(r.abort_from_peer, 1);
	ck_assert_uint_eq(r.abort.source, 2);
	ck_assert(p.closed);
	pump_release(&p);
	close(fds[0]);
	side_release(&r);
	side_release(&s);
}
END_TEST

/*
 * A data set of odd length with one pad byte (PS3.5 A.5): the file's
 * bytes, then a zero from memory, the PDV even; the file never read
 * past its data set.
 */
START_TEST(a_pad_byte_follows_an_odd_data_set_from_memory)
{
	struct side r, s;
	struct pump p;
	struct dimse_frag_plan plan;
	struct cs_err err = { 0, "" };
	char path[256];
	uint8_t got[12 + 1001];
	uint32_t n;
	int fds[2], ffd;

	established_pair(&r, &s, fds, 20000);
	ffd = make_file(path, sizeof(path), 5000);
	ck_assert_int_eq(pump_init(&p, fds[0], r.a), 0);
	pump_set_payload_file(&p, ffd, 77, 1000);
	pump_set_payload_pad(&p, 1);
	ck_assert_int_eq(dimse_plan_init(&plan, 1001, ul_max_pdv_payload(r.a)),
	    0);
	ck_assert_int_eq(dimse_send_dataset_next(r.a, PCID, &plan, &n, &err), 1);
	ck_assert_uint_eq(n, 1001);
	ck_assert_int_eq(pump_flush(&p, 5000, &err), 0);
	ck_assert_int_eq(read_full(fds[1], got, sizeof(got)), 0);
	ck_assert_uint_eq(got[0], 0x04);
	ck_assert_uint_eq(be32(got + 2), 6 + 1001);
	ck_assert_uint_eq(be32(got + 6), 2 + 1001);
	for (size_t i = 0; i < 1000; i++)
		ck_assert_uint_eq(got[12 + i], pattern(77 + i));
	ck_assert_uint_eq(got[12 + 1000], 0);
	pump_release(&p);
	close(ffd);
	unlink(path);
	close(fds[0]);
	close(fds[1]);
	side_release(&r);
	side_release(&s);
}
END_TEST

/* --- a callback that pauses (UL_CB_PAUSE) ------------------------------- */

struct pauser {
	struct ul_assoc *a;
	int n_pdv; /* data sets completed */
};

/* On the end of each data set: queue a one-byte answer, then pause. */
static int
pause_pdv(void *user, uint8_t pcid, uint8_t control, const uint8_t *data,
    size_t len)
{
	struct pauser *z = user;
	uint8_t answer = (uint8_t)(0xA0 + z->n_pdv);

	(void)data;
	(void)len;
	if (!(control & UL_PDV_CHUNK_END) || !(control & UL_PDV_LAST))
		return 0;
	z->n_pdv++;
	ck_assert_int_eq(ul_pdata(z->a, pcid, UL_PDV_LAST, &answer, 1), 0);
	return UL_CB_PAUSE;
}

static int
one_pdv(void *ctx)
{
	return ((struct pauser *)ctx)->n_pdv >= 1;
}

static int
two_pdvs(void *ctx)
{
	return ((struct pauser *)ctx)->n_pdv >= 2;
}

/* The one-byte answer the peer reads: the PDV's data byte, or -1. */
static int
read_answer(int fd)
{
	uint8_t pdu[13];

	if (read_full(fd, pdu, sizeof(pdu)) != 0 || pdu[0] != 0x04)
		return -1;
	return pdu[12];
}

START_TEST(a_paused_read_is_fed_on_after_the_output_and_held_input_waits)
{
	static const struct ul_callbacks cb = { .on_pdv = pause_pdv };
	/* two P-DATA-TF PDUs, each one data set PDV (context 1, last) */
	static const uint8_t two[] = {
		0x04, 0, 0, 0, 0, 8, 0, 0, 0, 4, 1, UL_PDV_LAST, 0x11, 0x22,
		0x04, 0, 0, 0, 0, 8, 0, 0, 0, 4, 1, UL_PDV_LAST, 0x33, 0x44,
	};
	struct ul_assoc_params rq;
	struct pauser z = { 0 };
	struct side s;
	struct pump p;
	struct cs_err err = { 0, "" };
	const uint8_t *out;
	uint8_t buf[4096];
	size_t n;
	int fds[2];

	z.a = ul_assoc_new(UL_REQUESTOR, NULL, &cb, &z);
	ck_assert_ptr_nonnull(z.a);
	ck_assert_int_eq(side_init(&s, UL_ACCEPTOR, SIDE_ACCEPT, NULL), 0);
	pair_proposal(&rq);
	ck_assert_int_eq(ul_associate_rq(z.a, &rq), 0);
	ck_assert_int_eq(ul_transport_connected(z.a, 0), 0);
	ck_assert_int_eq(ul_transport_connected(s.a, 0), 0);
	n = ul_out_peek(z.a, &out);
	ck_assert_int_eq(ul_recv(s.a, out, n, 0), (long)n);
	ul_out_consume(z.a, n);
	n = ul_out_peek(s.a, &out);
	memcpy(buf, out, n);
	ul_out_consume(s.a, n);
	ck_assert_int_eq(ul_recv(z.a, buf, n, 0), (long)n);
	ck_assert(ul_established(z.a));
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
	ck_assert_int_eq(fcntl(fds[0], F_SETFL, O_NONBLOCK), 0);
	ck_assert_int_eq(pump_init(&p, fds[0], z.a), 0);
	ck_assert_int_eq(write(fds[1], two, sizeof(two)), (ssize_t)sizeof(two));

	/* one read of both; the callback paused after the first */
	ck_assert_int_eq(pump_run(&p, one_pdv, &z, 5000, &err), 0);
	ck_assert_int_eq(z.n_pdv, 1);
	ck_assert_uint_eq(p.bytes_in, sizeof(two));
	ck_assert_uint_eq(p.bytes_fed, sizeof(two) / 2);
	ck_assert_uint_eq(p.rlen, sizeof(two) / 2);
	/* held: the answer is written, the rest is not fed */
	pump_hold(&p, 1);
	ck_assert_int_eq(pump_run(&p, two_pdvs, &z, 300, &err), CS_E_TIMEOUT);
	ck_assert_int_eq(z.n_pdv, 1);
	ck_assert_int_eq(read_answer(fds[1]), 0xA0);
	/* let go: the rest of the read, without another recv */
	pump_hold(&p, 0);
	ck_assert_int_eq(pump_run(&p, two_pdvs, &z, 5000, &err), 0);
	ck_assert_uint_eq(p.bytes_fed, sizeof(two));
	ck_assert_uint_eq(p.rlen, 0);
	ck_assert_int_eq(pump_flush(&p, 5000, &err), 0);
	ck_assert_int_eq(read_answer(fds[1]), 0xA1);
	pump_release(&p);
	close(fds[0]);
	close(fds[1]);
	ul_assoc_free(z.a);
	side_release(&s);
}
END_TEST

Suite *
pump_suite(void)
{
	Suite *s = suite_create("pump");
	TCase *tc = tcase_create("payload");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, a_small_data_set_arrives_whole);
	tcase_add_test(tc, a_data_set_read_ahead_is_sent_from_what_was_read);
	tcase_add_test(tc, a_read_ahead_of_something_else_is_not_sent);
	tcase_add_test(tc, a_middling_data_set_arrives_whole_by_sendfile);
	tcase_add_test(tc, a_large_data_set_arrives_whole_through_several_windows);
	tcase_add_test(tc,
	    a_mapped_odd_data_set_ends_with_a_zero_pad_not_the_next_byte);
	tcase_add_loop_test(tc, a_file_shorter_than_its_data_set_is_an_io_error,
	    0, 3);
	tcase_add_test(tc,
	    a_file_that_shrinks_while_sent_is_an_io_error_not_sigbus);
	tcase_add_test(tc, a_pad_byte_follows_an_odd_data_set_from_memory);
	suite_add_tcase(s, tc);
	tc = tcase_create("sta13");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc,
	    after_our_abort_the_write_side_is_shut_and_the_peer_read_until_it_closes);
	tcase_add_test(tc, a_peer_that_never_closes_is_left_when_artim_expires);
	tcase_add_test(tc,
	    after_a_failed_write_what_the_peer_sent_before_is_still_read);
	suite_add_tcase(s, tc);
	tc = tcase_create("pause");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc,
	    a_paused_read_is_fed_on_after_the_output_and_held_input_waits);
	suite_add_tcase(s, tc);
	return s;
}
