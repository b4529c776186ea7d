/*
 * t_scp_session.c - lib/storescp/session.c driven sans I/O, the test
 * playing the I/O loop with its own clock: three C-STORE requests in
 * flight at once (one input buffer, an asynchronous operations window)
 * are each answered from the callback that completed them, the engine
 * pausing after each (UL_CB_PAUSE) so that no further request is read
 * before the response is out; under --delay each response is held until
 * its own time, then answered in order, every object stored.  A stored
 * object is reported (on_stored) before its response is written.
 */
#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cstore/cstore.h"
#include "cstore/storescp.h"
#include "core/dimse_cmd.h"
#include "core/dimse_msg.h"
#include "core/ul_assoc.h"
#include "storescp/session.h"
#include "ul_pair.h"

Suite *scp_session_suite(void);

#define CT "1.2.840.10008.5.1.4.1.1.2"
#define EVLE "1.2.840.10008.1.2.1"
#define PCID 3 /* pair_proposal: CT on context 3 */
#define N_RQ 3

struct rig {
	char dir[256];
	struct storescp *s;
	struct session ss;
	struct side r;
	uint64_t now;
};

static void
put_ui(uint8_t *p, size_t *n, uint16_t elem, const char *uid)
{
	size_t len = strlen(uid), vl = len + (len & 1);

	p[(*n)++] = 0x08, p[(*n)++] = 0x00;
	p[(*n)++] = (uint8_t)elem, p[(*n)++] = (uint8_t)(elem >> 8);
	p[(*n)++] = 'U', p[(*n)++] = 'I';
	p[(*n)++] = (uint8_t)vl, p[(*n)++] = 0;
	memcpy(p + *n, uid, len);
	*n += len;
	if (len & 1)
		p[(*n)++] = 0;
}

/* A data set (explicit VR little endian) of SOP Class and Instance. */
static size_t
dataset(uint8_t *p, const char *inst)
{
	size_t n = 0;

	put_ui(p, &n, 0x0016, CT);
	put_ui(p, &n, 0x0018, inst);
	return n;
}

/* Moves everything a queued into buf (cap bytes); returns the count. */
static size_t
take(struct ul_assoc *a, uint8_t *buf, size_t cap)
{
	const uint8_t *out;
	size_t n, got = 0;

	while ((n = ul_out_peek(a, &out)) > 0) {
		ck_assert_uint_le(got + n, cap);
		memcpy(buf + got, out, n);
		ul_out_consume(a, n);
		got += n;
	}
	return got;
}

/* on_stored: how many reports, and the last one's path; report_fails
 * makes it say the report could not be made (a closed stdout) */
static int reported, report_fails;
static char reported_path[512];

static int
on_stored(void *user, const struct storescp_stored *st)
{
	(void)user;
	reported++;
	snprintf(reported_path, sizeof(reported_path), "%s", st->path);
	return report_fails;
}

static void
rig_up(struct rig *g, unsigned delay_ms)
{
	struct storescp_config cfg = {
		.host = "127.0.0.1", .port = "0", .on_stored = on_stored
	};
	struct cs_err err = { 0, "" };
	struct ul_assoc_params rq;
	uint8_t buf[64 * 1024];
	size_t n;

	snprintf(g->dir, sizeof(g->dir), "%s/t_scp_session.XXXXXX",
	    getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(g->dir));
	cfg.output_dir = g->dir;
	cfg.faults.delay_ms = delay_ms;
	ck_assert_msg(storescp_new(&cfg, &g->s, &err) == 0, "%s", err.msg);
	g->now = 1000;
	ck_assert_int_eq(
	    session_init(&g->ss, g->s, 1, "127.0.0.1", "127.0.0.1:104", 0), 0);
	ck_assert_int_eq(ul_transport_connected(g->ss.a, g->now), 0);
	ck_assert_int_eq(side_init(&g->r, UL_REQUESTOR, 0, NULL), 0);
	pair_proposal(&rq);
	snprintf(rq.pc[1].ts[0], UL_UID_MAX + 1, EVLE);
	rq.has_async_ops = 1;
	rq.max_ops_invoked = N_RQ;
	rq.max_ops_performed = 1;
	ck_assert_int_eq(ul_associate_rq(g->r.a, &rq), 0);
	ck_assert_int_eq(ul_transport_connected(g->r.a, g->now), 0);
	n = take(g->r.a, buf, sizeof(buf));
	ck_assert_int_eq(ul_recv(g->ss.a, buf, n, g->now), (long)n);
	ck_assert(g->ss.accepted);
	n = take(g->ss.a, buf, sizeof(buf));
	ck_assert_int_eq(ul_recv(g->r.a, buf, n, g->now), (long)n);
	ck_assert(ul_established(g->r.a));
	reported = 0;
	report_fails = 0;
	reported_path[0] = '\0';
}

static void
rig_down(struct rig *g)
{
	DIR *d = opendir(g->dir);
	struct dirent *e;

	while (d != NULL && (e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			unlinkat(dirfd(d), e->d_name, 0);
	if (d != NULL)
		closedir(d);
	rmdir(g->dir);
	session_release(&g->ss);
	storescp_free(g->s);
	side_release(&g->r);
}

/* The three requests, queued on the requestor, in one buffer. */
static size_t
three_requests(struct rig *g, uint8_t *in, size_t cap)
{
	struct cs_err err = { 0, "" };
	struct dimse_cmd c;
	uint8_t ds[256];
	char inst[64];

	for (int i = 1; i <= N_RQ; i++) {
		snprintf(inst, sizeof(inst), "1.2.826.0.1.3680043.9.7.%d", i);
		ck_assert_int_eq(
		    dimse_cstore_rq(&c, (uint16_t)i, CT, inst, 0), 0);
		ck_assert_int_eq(dimse_send_command(g->r.a, PCID, &c, &err), 0);
		ck_assert_int_eq(dimse_send_dataset(g->r.a, PCID, ds,
				     dataset(ds, inst), 1, &err),
		    0);
	}
	return take(g->r.a, in, cap);
}

/* The one response the session queued: a C-STORE-RSP to message i,
 * with status, for the i-th instance. */
static void
expect_status(struct rig *g, int i, uint16_t status)
{
	struct cs_err err = { 0, "" };
	struct dimse_cmd rsp;
	uint8_t out[4096];
	char inst[64];
	size_t n = take(g->ss.a, out, sizeof(out));
	uint32_t item;

	/* P-DATA-TF (6 bytes), one PDV item: length, context, control */
	ck_assert_uint_gt(n, 12);
	ck_assert_uint_eq(out[0], 0x04);
	item = (uint32_t)out[6] << 24 | (uint32_t)out[7] << 16 |
	    (uint32_t)out[8] << 8 | out[9];
	ck_assert_uint_eq(n, 10 + item);
	ck_assert_uint_eq(out[10], PCID);
	ck_assert_uint_eq(out[11], UL_PDV_COMMAND | UL_PDV_LAST);
	ck_assert_int_eq(dimse_cmd_decode(out + 12, item - 2, &rsp, &err), 0);
	snprintf(inst, sizeof(inst), "1.2.826.0.1.3680043.9.7.%d", i);
	ck_assert_uint_eq(rsp.command_field, DIMSE_C_STORE_RSP);
	ck_assert_uint_eq(rsp.message_id_rsp, (unsigned)i);
	ck_assert_uint_eq(rsp.status, status);
	ck_assert_str_eq(rsp.affected_instance, inst);
}

static void
expect_response(struct rig *g, int i)
{
	expect_status(g, i, 0x0000);
}

static void
expect_stored(struct rig *g)
{
	char path[512];

	for (int i = 1; i <= N_RQ; i++) {
		snprintf(path, sizeof(path),
		    "%s/1.2.826.0.1.3680043.9.7.%d.dcm", g->dir, i);
		ck_assert_msg(access(path, F_OK) == 0, "%s not stored", path);
	}
	ck_assert_uint_eq(g->s->stats.stored, N_RQ);
}

/* Feeds the rest of in (n bytes, *off consumed so far) to the session:
 * it must pause right after request i, more input left unless last. */
static void
feed_request(struct rig *g, const uint8_t *in, size_t n, size_t *off, int i)
{
	ssize_t used = ul_recv(g->ss.a, in + *off, n - *off, g->now);

	ck_assert_int_gt(used, 0);
	*off += (size_t)used;
	ck_assert_uint_eq(*off < n, i < N_RQ);
}

START_TEST(each_request_is_answered_before_the_next_is_read)
{
	struct rig g;
	uint8_t in[16 * 1024];
	size_t n, off = 0;

	rig_up(&g, 0);
	n = three_requests(&g, in, sizeof(in));
	for (int i = 1; i <= N_RQ; i++) {
		/* paused at the end of request i, its response queued */
		feed_request(&g, in, n, &off, i);
		ck_assert_int_eq(g.ss.held, 0);
		expect_response(&g, i);
	}
	expect_stored(&g);
	rig_down(&g);
}
END_TEST

START_TEST(under_delay_each_response_waits_its_own_time_in_order)
{
	struct rig g;
	uint8_t in[16 * 1024];
	const uint8_t *out;
	size_t n, off = 0;

	rig_up(&g, 300);
	n = three_requests(&g, in, sizeof(in));
	for (int i = 1; i <= N_RQ; i++) {
		feed_request(&g, in, n, &off, i);
		/* held: nothing written, the input held back */
		ck_assert_int_eq(g.ss.held, 1);
		ck_assert_uint_eq(ul_out_peek(g.ss.a, &out), 0);
		ck_assert_int_eq(session_tick(&g.ss, g.now, 0), 0);
		ck_assert_int_eq(session_deadline(&g.ss), (int64_t)g.now + 300);
		ck_assert_int_eq(session_tick(&g.ss, g.now + 299, 0), 0);
		ck_assert_uint_eq(ul_out_peek(g.ss.a, &out), 0);
		g.now += 300;
		ck_assert_int_eq(session_tick(&g.ss, g.now, 0), 1);
		ck_assert_int_eq(g.ss.held, 0);
		ck_assert_int_eq(session_deadline(&g.ss), -1);
		expect_response(&g, i);
	}
	expect_stored(&g);
	rig_down(&g);
}
END_TEST

/* The last report was of instance i. */
static void
expect_reported(int n, int i)
{
	char tail[64];
	size_t pl = strlen(reported_path), tl;

	ck_assert_int_eq(reported, n);
	tl = (size_t)snprintf(
	    tail, sizeof(tail), "/1.2.826.0.1.3680043.9.7.%d.dcm", i);
	ck_assert_uint_ge(pl, tl);
	ck_assert_str_eq(reported_path + pl - tl, tail);
}

START_TEST(a_stored_object_is_reported_before_its_response_leaves)
{
	struct rig g;
	uint8_t in[16 * 1024];
	size_t n, off = 0;

	rig_up(&g, 0);
	n = three_requests(&g, in, sizeof(in));
	/* stored: reported before the response is even written, so a
	 * receiver killed after answering never holds an unreported file */
	feed_request(&g, in, n, &off, 1);
	expect_reported(1, 1);
	ck_assert_uint_eq(g.s->stats.stored, 1);
	expect_response(&g, 1);
	/* the I/O loop wrote it: nothing reported twice */
	session_responded(&g.ss);
	session_responded(&g.ss);
	expect_reported(1, 1);
	feed_request(&g, in, n, &off, 2);
	expect_reported(2, 2);
	expect_response(&g, 2);
	feed_request(&g, in, n, &off, 3);
	expect_reported(3, 3);
	expect_response(&g, 3);
	/* the end of the association finds nothing due */
	session_release(&g.ss);
	expect_reported(3, 3);
	ck_assert_int_eq(
	    session_init(&g.ss, g.s, 2, "127.0.0.1", "127.0.0.1:104", 0), 0);
	rig_down(&g);
}
END_TEST

START_TEST(an_object_whose_report_fails_is_answered_a700_and_kept)
{
	struct rig g;
	uint8_t in[16 * 1024];
	char path[512];
	size_t n, off = 0;

	rig_up(&g, 0);
	n = three_requests(&g, in, sizeof(in));
	feed_request(&g, in, n, &off, 1);
	expect_response(&g, 1);
	/* the tool's output is gone: never 0000 for an unreported file */
	report_fails = 1;
	feed_request(&g, in, n, &off, 2);
	expect_reported(2, 2);
	expect_status(&g, 2, 0xA700);
	snprintf(path, sizeof(path), "%s/1.2.826.0.1.3680043.9.7.2.dcm",
	    g.dir);
	ck_assert_msg(access(path, F_OK) == 0, "%s removed", path);
	/* the next is refused before a byte of it is written */
	feed_request(&g, in, n, &off, 3);
	expect_reported(2, 2);
	expect_status(&g, 3, 0xA700);
	snprintf(path, sizeof(path), "%s/1.2.826.0.1.3680043.9.7.3.dcm",
	    g.dir);
	ck_assert_int_ne(access(path, F_OK), 0);
	ck_assert_uint_eq(g.s->stats.stored, 1);
	ck_assert_uint_eq(g.s->stats.failed, 2);
	rig_down(&g);
}
END_TEST

START_TEST(a_stopping_receiver_answers_the_held_response_at_once)
{
	struct rig g;
	uint8_t in[16 * 1024];
	size_t n, off = 0;

	rig_up(&g, 60000);
	n = three_requests(&g, in, sizeof(in));
	feed_request(&g, in, n, &off, 1);
	ck_assert_int_eq(session_tick(&g.ss, g.now, 0), 0);
	ck_assert_int_eq(session_tick(&g.ss, g.now + 1, 1), 1);
	expect_response(&g, 1);
	rig_down(&g);
}
END_TEST

Suite *
scp_session_suite(void)
{
	Suite *s = suite_create("scp_session");
	TCase *tc = tcase_create("pause");

	tcase_add_test(tc, each_request_is_answered_before_the_next_is_read);
	tcase_add_test(
	    tc, under_delay_each_response_waits_its_own_time_in_order);
	tcase_add_test(
	    tc, a_stopping_receiver_answers_the_held_response_at_once);
	tcase_add_test(
	    tc, a_stored_object_is_reported_before_its_response_leaves);
	tcase_add_test(
	    tc, an_object_whose_report_fails_is_answered_a700_and_kept);
	suite_add_tcase(s, tc);
	return s;
}
