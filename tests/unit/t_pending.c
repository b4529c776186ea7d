/*
 * t_pending.c - lib/storescp/pending.c, the connections before their
 * A-ASSOCIATE-RQ: who is closed to make room, when an RQ counts as
 * whole (over socketpairs: bytes looked at, never consumed), deadlines.
 */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cstore/cstore.h"
#include "storescp/pending.h"

Suite *pending_suite(void);

/* A socketpair: the pending end (added) and the peer's end (*peer). */
static int
pair(int *peer)
{
	int sv[2];

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	fcntl(sv[0], F_SETFL, O_NONBLOCK);
	*peer = sv[1];
	return sv[0];
}

/* 1 when fd is still open here */
static int
is_open(int fd)
{
	return fcntl(fd, F_GETFD) != -1;
}

START_TEST(a_source_at_its_share_loses_its_oldest_not_another_source)
{
	struct pending p;
	int a[3], b, peer[4];

	ck_assert_int_eq(pending_init(&p, 8, 2, 1000, 0), 0);
	a[0] = pair(&peer[0]);
	b = pair(&peer[1]);
	a[1] = pair(&peer[2]);
	a[2] = pair(&peer[3]);
	ck_assert_int_eq(pending_add(&p, a[0], "127.0.0.1", "x", 1), 0);
	ck_assert_int_eq(pending_add(&p, b, "127.0.0.2", "y", 2), 0);
	ck_assert_int_eq(pending_add(&p, a[1], "127.0.0.1", "x", 3), 0);
	/* the third of 127.0.0.1, once its oldest has had the time to
	 * send an RQ (half the 1000 ms window): that one goes, 127.0.0.2
	 * stays */
	ck_assert_int_eq(pending_add(&p, a[2], "127.0.0.1", "x", 501), 1);
	ck_assert_uint_eq(p.n, 3);
	ck_assert(!is_open(a[0]));
	ck_assert(is_open(b) && is_open(a[1]) && is_open(a[2]));
	pending_release(&p);
	for (int i = 0; i < 4; i++)
		close(peer[i]);
}
END_TEST

START_TEST(a_burst_from_one_source_is_kept_while_there_is_room)
{
	struct pending p;
	int fd[5], peer[5];

	/* dcmsend -j 4: four connections at once, before any RQ */
	ck_assert_int_eq(pending_init(&p, 4, 1, 1000, 0), 0);
	for (int i = 0; i < 4; i++) {
		fd[i] = pair(&peer[i]);
		ck_assert_int_eq(pending_add(&p, fd[i], "h", "h", 10 + i), 0);
	}
	ck_assert_uint_eq(p.n, 4);
	for (int i = 0; i < 4; i++)
		ck_assert(is_open(fd[i]));
	/* the budget in all is kept: a fifth goes in place of the oldest */
	fd[4] = pair(&peer[4]);
	ck_assert_int_eq(pending_add(&p, fd[4], "g", "g", 14), 1);
	ck_assert_uint_eq(p.n, 4);
	ck_assert(!is_open(fd[0]) && is_open(fd[1]) && is_open(fd[4]));
	pending_release(&p);
	for (int i = 0; i < 5; i++)
		close(peer[i]);
}
END_TEST

START_TEST(a_young_burst_filling_the_budget_costs_no_other_source)
{
	struct pending p;
	int b, a[4], c, peer[6];

	/* 127.0.0.2 waits; then a burst from 127.0.0.1, all of it young,
	 * fills the budget: the burst loses its own oldest, never b */
	ck_assert_int_eq(pending_init(&p, 4, 2, 1000, 0), 0);
	b = pair(&peer[4]);
	ck_assert_int_eq(pending_add(&p, b, "127.0.0.2", "y", 0), 0);
	for (int i = 0; i < 4; i++) {
		a[i] = pair(&peer[i]);
		ck_assert_int_eq(pending_add(&p, a[i], "127.0.0.1", "x",
				     300 + (uint64_t)i),
		    i == 3);
	}
	ck_assert_uint_eq(p.n, 4);
	ck_assert(is_open(b));
	ck_assert(!is_open(a[0]) && is_open(a[1]) && is_open(a[3]));
	/* and a newcomer within its share takes the over-share's oldest */
	c = pair(&peer[5]);
	ck_assert_int_eq(pending_add(&p, c, "10.0.0.9", "z", 310), 1);
	ck_assert(is_open(b) && is_open(c));
	ck_assert(!is_open(a[1]) && is_open(a[2]));
	pending_release(&p);
	for (int i = 0; i < 6; i++)
		close(peer[i]);
}
END_TEST

START_TEST(a_full_budget_loses_its_oldest_connection)
{
	struct pending p;
	int fd[3], peer[3];

	ck_assert_int_eq(pending_init(&p, 2, 2, 1000, 0), 0);
	for (int i = 0; i < 3; i++) {
		char host[16];

		snprintf(host, sizeof(host), "10.0.0.%d", i);
		fd[i] = pair(&peer[i]);
		ck_assert_int_eq(
		    pending_add(&p, fd[i], host, host, (uint64_t)i), i == 2);
	}
	ck_assert(!is_open(fd[0]) && is_open(fd[1]) && is_open(fd[2]));
	/* out of descriptors: half of what waits stays */
	ck_assert_int_eq(pending_shrink(&p), 1);
	ck_assert_uint_eq(p.n, 1);
	ck_assert(is_open(fd[2]));
	pending_release(&p);
	for (int i = 0; i < 3; i++)
		close(peer[i]);
}
END_TEST

struct seen {
	int ready_fd, gone, timeout;
};

static void
ready(void *ctx, int fd, const char *host, int local)
{
	(void)host;
	(void)local;
	((struct seen *)ctx)->ready_fd = fd;
}

static void
gone(void *ctx, const struct pend_conn *c, int timeout)
{
	(void)c;
	((struct seen *)ctx)->gone++;
	((struct seen *)ctx)->timeout = timeout;
}

/* One round of poll (no wait) and service at time now. */
static void
round_at(struct pending *p, struct seen *sn, uint64_t now)
{
	struct pollfd pfd[8];
	struct pending_cb cb = { ready, gone, sn };
	int wait = 0;
	size_t n = pending_pollfds(p, pfd, now, &wait);

	ck_assert_int_ge(poll(pfd, n, 0), 0);
	pending_service(p, pfd, n, now, &cb);
}

START_TEST(only_a_whole_rq_is_handed_over_and_nothing_is_consumed)
{
	/* an A-ASSOCIATE-RQ PDU claiming 10 bytes of body */
	static const uint8_t rq[16] = { 1, 0, 0, 0, 0, 10 };
	struct pending p;
	struct seen sn = { -1, 0, 0 };
	uint8_t back[16];
	int peer, fd = pair(&peer);

	ck_assert_int_eq(pending_init(&p, 4, 4, 1000, 0), 0);
	pending_add(&p, fd, "h", "h", 0);
	ck_assert_int_eq(write(peer, rq, 9), 9);
	round_at(&p, &sn, 10);
	ck_assert_int_eq(sn.ready_fd, -1);
	ck_assert_uint_eq(p.n, 1);
	ck_assert_int_eq(write(peer, rq + 9, 7), 7);
	round_at(&p, &sn, 20);
	ck_assert_int_eq(sn.ready_fd, fd);
	ck_assert_uint_eq(p.n, 0);
	/* the association's thread reads the RQ from its first byte */
	ck_assert_int_eq(read(fd, back, sizeof(back)), 16);
	ck_assert_mem_eq(back, rq, 16);
	close(fd);
	close(peer);
	pending_release(&p);
}
END_TEST

START_TEST(a_dribbler_is_closed_at_its_deadline)
{
	static const uint8_t rq[6] = { 1, 0, 0, 0, 0, 10 };
	struct pending p;
	struct seen sn = { -1, 0, 0 };
	int peer, fd = pair(&peer);

	ck_assert_int_eq(pending_init(&p, 4, 4, 1000, 0), 0);
	pending_add(&p, fd, "h", "h", 0);
	ck_assert_int_eq(write(peer, rq, 6), 6);
	round_at(&p, &sn, 999);
	ck_assert_int_eq(sn.gone, 0);
	round_at(&p, &sn, 1000);
	ck_assert_int_eq(sn.gone, 1);
	ck_assert_int_eq(sn.timeout, 1);
	ck_assert_int_eq(sn.ready_fd, -1);
	ck_assert(!is_open(fd));
	close(peer);
	pending_release(&p);
}
END_TEST

START_TEST(another_pdu_or_a_huge_length_goes_to_the_engine_at_once)
{
	static const uint8_t huge[6] = { 1, 0, 0xff, 0xff, 0xff, 0xf0 };
	static const uint8_t other[6] = { 4, 0, 0, 0, 0, 10 };
	struct pending p;
	struct seen sn = { -1, 0, 0 };
	int peer[2], fd[2] = { pair(&peer[0]), pair(&peer[1]) };

	ck_assert_int_eq(pending_init(&p, 4, 4, 1000, 0), 0);
	pending_add(&p, fd[0], "h", "h", 0);
	ck_assert_int_eq(write(peer[0], huge, 6), 6);
	round_at(&p, &sn, 1);
	ck_assert_int_eq(sn.ready_fd, fd[0]);
	pending_add(&p, fd[1], "h", "h", 0);
	ck_assert_int_eq(write(peer[1], other, 6), 6);
	round_at(&p, &sn, 1);
	ck_assert_int_eq(sn.ready_fd, fd[1]);
	for (int i = 0; i < 2; i++) {
		close(fd[i]);
		close(peer[i]);
	}
	pending_release(&p);
}
END_TEST

Suite *
pending_suite(void)
{
	Suite *s = suite_create("pending");
	TCase *tc = tcase_create("core");

	tcase_add_test(
	    tc, a_source_at_its_share_loses_its_oldest_not_another_source);
	tcase_add_test(tc, a_burst_from_one_source_is_kept_while_there_is_room);
	tcase_add_test(tc, a_young_burst_filling_the_budget_costs_no_other_source);
	tcase_add_test(tc, a_full_budget_loses_its_oldest_connection);
	tcase_add_test(
	    tc, only_a_whole_rq_is_handed_over_and_nothing_is_consumed);
	tcase_add_test(tc, a_dribbler_is_closed_at_its_deadline);
	tcase_add_test(
	    tc, another_pdu_or_a_huge_length_goes_to_the_engine_at_once);
	suite_add_tcase(s, tc);
	return s;
}
