/*
 * t_ul_pause.c - the pause return of ul_callbacks (UL_CB_PAUSE, through
 * dimse_rx as well): an acceptor whose callbacks pause, answered from
 * outside ul_recv after each pause, fed at every split of its input.
 */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cstore/cstore.h"
#include "core/buf.h"
#include "core/dimse_cmd.h"
#include "core/dimse_msg.h"
#include "core/ul_assoc.h"
#include "core/ul_fsm.h"
#include "core/ul_pdu.h"
#include "ul_pair.h"

Suite *ul_pause_suite(void);

#define CT "1.2.840.10008.5.1.4.1.1.2"
#define PCID 3
#define N_MSG 3
#define DS_LEN 300
#define OUT_MAX 8192
#define IN_MAX 8192

/* Which acceptor callbacks pause. */
#define P_RQ 0x01      /* on_associate_rq: accept after the pause */
#define P_CMD 0x02     /* on_command */
#define P_DATA 0x04    /* on_dataset, every chunk */
#define P_RELEASE 0x08 /* on_release_rq: answer after the pause */
#define P_ALL (P_RQ | P_CMD | P_DATA | P_RELEASE)

/* The acceptor: a C-STORE receiver that answers after each pause. */
struct acc {
	struct ul_assoc *a;
	struct dimse_rx rx;
	unsigned pause;
	int cb_rc;              /* on_pdv returns this instead, if set */
	const uint8_t *pause_end; /* end of the chunk on_pdv paused on */
	int paused;             /* pauses in the running ul_recv call */
	int n_pauses, n_stops;
	int rq_due, release_due;
	struct dimse_cmd rq[N_MSG];
	int n_cmd, n_done, answered;
	int order_broken;       /* a command came while an answer was due */
	uint8_t data[N_MSG * DS_LEN];
	size_t data_len;
	uint8_t out[OUT_MAX];   /* everything it wrote */
	size_t out_len;
};

/* The requestor: reads the answers. */
struct req {
	struct ul_assoc *a;
	struct dimse_rx rx;
	uint16_t rsp_id[N_MSG + 1];
	uint16_t rsp_status[N_MSG + 1];
	int n_rsp, released;
};

static uint8_t dataset[N_MSG][DS_LEN];

static int
pause_if(struct acc *x, unsigned which)
{
	if (!(x->pause & which))
		return 0;
	x->paused++;
	x->n_pauses++;
	return UL_CB_PAUSE;
}

static int
acc_rq(void *user, const struct ul_assoc_params *rq)
{
	struct acc *x = user;

	(void)rq;
	x->rq_due = 1;
	return pause_if(x, P_RQ);
}

static int
acc_pdv(void *user, uint8_t pcid, uint8_t control, const uint8_t *data,
    size_t len)
{
	struct acc *x = user;
	int rc;

	if (x->cb_rc != 0)
		return x->cb_rc;
	rc = dimse_rx_pdv(&x->rx, pcid, control, data, len);
	if (rc == UL_CB_PAUSE)
		x->pause_end = data + len;
	return rc == 0 || rc == UL_CB_PAUSE ? rc : -1;
}

static int
acc_command(void *user, uint8_t pcid, const struct dimse_cmd *cmd)
{
	struct acc *x = user;

	(void)pcid;
	if (x->n_done > x->answered)
		x->order_broken = 1;
	if (x->n_cmd < N_MSG)
		x->rq[x->n_cmd++] = *cmd;
	else
		x->order_broken = 1;
	return pause_if(x, P_CMD);
}

static int
acc_dataset(void *user, uint8_t pcid, const uint8_t *data, size_t len,
    int last)
{
	struct acc *x = user;

	(void)pcid;
	if (x->data_len + len > sizeof(x->data))
		x->order_broken = 1;
	else if (len > 0)
		memcpy(x->data + x->data_len, data, len);
	x->data_len += len;
	if (last)
		x->n_done++;
	return pause_if(x, P_DATA);
}

static int
acc_release_rq(void *user)
{
	struct acc *x = user;

	x->release_due = 1;
	return pause_if(x, P_RELEASE);
}

/* Out of ul_recv: answer what is due, in order, and write the output. */
static void
acc_answer(struct acc *x)
{
	struct cs_err e = { 0, "" };
	const uint8_t *p;
	size_t n;

	if (x->rq_due) {
		x->rq_due = 0;
		pair_accept_all(x->a);
	}
	while (x->answered < x->n_done) {
		struct dimse_cmd rsp;

		dimse_cstore_rsp(&rsp, &x->rq[x->answered], 0x0000);
		ck_assert_int_eq(dimse_send_command(x->a, PCID, &rsp, &e), 0);
		x->answered++;
	}
	if (x->release_due) {
		x->release_due = 0;
		ck_assert_int_eq(ul_release_response(x->a), 0);
	}
	while ((n = ul_out_peek(x->a, &p)) > 0) {
		ck_assert_uint_le(x->out_len + n, sizeof(x->out));
		memcpy(x->out + x->out_len, p, n);
		x->out_len += n;
		ul_out_consume(x->a, n);
	}
}

/*
 * Feeds in[0..len) as a transport would: after each ul_recv the caller
 * answers and writes, then gives the engine what it did not consume.
 */
static void
acc_feed(struct acc *x, const uint8_t *in, size_t len)
{
	size_t pos = 0;
	int guard = 0;

	while (pos < len && ul_state(x->a) != UL_STA1) {
		ssize_t rc;

		x->paused = 0;
		x->pause_end = NULL;
		rc = ul_recv(x->a, in + pos, len - pos, 1000);
		ck_assert_int_ge(rc, 0);
		ck_assert_int_le(x->paused, 1);
		if (x->paused) {
			x->n_stops++;
			/* stopped right after the chunk it handed out */
			if (x->pause_end != NULL)
				ck_assert_ptr_eq(in + pos + (size_t)rc,
				    x->pause_end);
		} else {
			ck_assert_uint_eq((size_t)rc, len - pos);
		}
		pos += (size_t)rc;
		acc_answer(x);
		ck_assert_int_lt(++guard, 100000);
	}
}

static int
req_pdv(void *user, uint8_t pcid, uint8_t control, const uint8_t *data,
    size_t len)
{
	struct req *q = user;

	return dimse_rx_pdv(&q->rx, pcid, control, data, len) == 0 ? 0 : -1;
}

static int
req_command(void *user, uint8_t pcid, const struct dimse_cmd *cmd)
{
	struct req *q = user;

	(void)pcid;
	if (q->n_rsp > N_MSG)
		return -1;
	q->rsp_id[q->n_rsp] = cmd->message_id_rsp;
	q->rsp_status[q->n_rsp] = cmd->status;
	q->n_rsp++;
	return 0;
}

static int
req_release_rp(void *user)
{
	struct req *q = user;

	q->released = 1;
	return 0;
}

/* Both sides, the acceptor's callbacks pausing as `pause` says, and
 * associated (the acceptor fed the RQ through acc_feed). */
static void
setup(struct req *q, struct acc *x, unsigned pause)
{
	static const struct ul_callbacks acb = {
		.on_associate_rq = acc_rq,
		.on_pdv = acc_pdv,
		.on_release_rq = acc_release_rq,
	};
	static const struct ul_callbacks qcb = {
		.on_pdv = req_pdv,
		.on_release_rp = req_release_rp,
	};
	static const struct dimse_rx_callbacks arx = { acc_command,
		acc_dataset };
	static const struct dimse_rx_callbacks qrx = { req_command, NULL };
	/* the answers come in fragments of at most 58 bytes */
	struct ul_config acfg = { 1024, 0 }, qcfg = { 64, 0 };
	static struct ul_assoc_params rq;
	const uint8_t *p;
	size_t n;

	memset(q, 0, sizeof(*q));
	memset(x, 0, sizeof(*x));
	x->pause = pause;
	dimse_rx_init(&x->rx, &arx, x);
	dimse_rx_init(&q->rx, &qrx, q);
	x->a = ul_assoc_new(UL_ACCEPTOR, &acfg, &acb, x);
	q->a = ul_assoc_new(UL_REQUESTOR, &qcfg, &qcb, q);
	ck_assert_ptr_nonnull(x->a);
	ck_assert_ptr_nonnull(q->a);
	pair_proposal(&rq);
	ck_assert_int_eq(ul_associate_rq(q->a, &rq), 0);
	ck_assert_int_eq(ul_transport_connected(q->a, 1000), 0);
	ck_assert_int_eq(ul_transport_connected(x->a, 1000), 0);
	n = ul_out_peek(q->a, &p);
	acc_feed(x, p, n);
	ul_out_consume(q->a, n);
	ck_assert_int_eq(ul_state(x->a), UL_STA6);
	/* the AC is in x->out: the requestor reads it */
	ck_assert_int_eq(ul_recv(q->a, x->out, x->out_len, 1000),
	    (ssize_t)x->out_len);
	x->out_len = 0;
	ck_assert_int_eq(ul_state(q->a), UL_STA6);
}

static void
teardown(struct req *q, struct acc *x)
{
	ul_assoc_free(q->a);
	ul_assoc_free(x->a);
	dimse_rx_release(&q->rx);
	dimse_rx_release(&x->rx);
}

/* --- the stream the acceptor reads --------------------------------------- */

struct stream {
	uint8_t p[IN_MAX];
	size_t len;
	size_t pdu; /* offset of the open P-DATA-TF */
};

static void
pdu_open(struct stream *s)
{
	static const uint8_t hdr[6] = { UL_PDU_P_DATA_TF, 0, 0, 0, 0, 0 };

	s->pdu = s->len;
	memcpy(s->p + s->len, hdr, sizeof(hdr));
	s->len += sizeof(hdr);
}

static void
be32(uint8_t *p, size_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static void
pdu_close(struct stream *s)
{
	be32(s->p + s->pdu + 2, s->len - s->pdu - 6);
}

static void
pdv(struct stream *s, uint8_t control, const uint8_t *data, size_t n)
{
	ck_assert_uint_le(s->len + 6 + n, sizeof(s->p));
	be32(s->p + s->len, n + 2);
	s->p[s->len + 4] = PCID;
	s->p[s->len + 5] = control;
	if (n > 0)
		memcpy(s->p + s->len + 6, data, n);
	s->len += 6 + n;
}

/*
 * N_MSG C-STORE requests in P-DATA-TF PDUs holding one to three PDVs:
 * a command in two fragments sharing a PDU with the first data set
 * fragment, an empty PDV, data set fragments of 100 bytes; then the
 * requestor's A-RELEASE-RQ.
 */
static void
build_stream(struct stream *s, struct req *q)
{
	struct cs_err e = { 0, "" };
	struct wr w;
	const uint8_t *p;
	size_t n, half;
	int i;

	memset(s, 0, sizeof(*s));
	for (i = 0; i < N_MSG; i++) {
		struct dimse_cmd c;
		char inst[32];
		size_t k;

		for (k = 0; k < DS_LEN; k++)
			dataset[i][k] = (uint8_t)(k * 7 + (size_t)i * 31 + 1);
		snprintf(inst, sizeof(inst), "1.2.3.%d", i + 1);
		ck_assert_int_eq(dimse_cstore_rq(&c, (uint16_t)(i + 1), CT,
		    inst, 0), 0);
		wr_init(&w, DIMSE_CMD_MAX);
		ck_assert_int_gt(dimse_cmd_encode(&w, &c, &e), 0);
		half = w.len / 2;
		pdu_open(s);
		pdv(s, UL_PDV_COMMAND, w.p, half);
		pdv(s, UL_PDV_COMMAND | UL_PDV_LAST, w.p + half, w.len - half);
		pdv(s, 0, dataset[i], 100);
		pdu_close(s);
		pdu_open(s);
		pdv(s, 0, NULL, 0);
		pdv(s, 0, dataset[i] + 100, 100);
		pdu_close(s);
		pdu_open(s);
		pdv(s, UL_PDV_LAST, dataset[i] + 200, DS_LEN - 200);
		pdu_close(s);
		wr_release(&w);
	}
	ck_assert_int_eq(ul_release_rq(q->a), 0);
	n = ul_out_peek(q->a, &p);
	ck_assert_uint_le(s->len + n, sizeof(s->p));
	memcpy(s->p + s->len, p, n);
	s->len += n;
	ul_out_consume(q->a, n);
}

/* An acceptor that never pauses, fed the whole stream at once. */
static void
run_unpaused(struct req *q, struct acc *x, struct stream *s)
{
	setup(q, x, 0);
	build_stream(s, q);
	acc_feed(x, s->p, s->len);
	ck_assert_int_eq(x->n_pauses, 0);
}

/* What an acceptor that never pauses writes for the stream. */
static size_t
reference_output(uint8_t *out)
{
	static struct acc x;
	static struct stream s;
	struct req q;

	run_unpaused(&q, &x, &s);
	memcpy(out, x.out, x.out_len);
	teardown(&q, &x);
	return x.out_len;
}

/* Everything arrived, in order, answered in order, then released. */
static void
check_run(struct req *q, struct acc *x, const uint8_t *ref, size_t ref_len)
{
	int i;

	ck_assert_int_eq(x->order_broken, 0);
	ck_assert_int_eq(x->n_cmd, N_MSG);
	ck_assert_int_eq(x->n_done, N_MSG);
	ck_assert_uint_eq(x->data_len, sizeof(dataset));
	ck_assert_mem_eq(x->data, dataset, sizeof(dataset));
	ck_assert_int_eq(x->n_stops, x->n_pauses);
	ck_assert_int_eq(ul_state(x->a), UL_STA13);
	/* the same bytes as without pauses: nothing lost or reordered */
	ck_assert_uint_eq(x->out_len, ref_len);
	ck_assert_mem_eq(x->out, ref, ref_len);
	/* and the requestor reads its answers in order, then the RP */
	ck_assert_int_eq(ul_recv(q->a, x->out, x->out_len, 1000),
	    (ssize_t)x->out_len);
	ck_assert_int_eq(q->n_rsp, N_MSG);
	for (i = 0; i < N_MSG; i++) {
		ck_assert_uint_eq(q->rsp_id[i], (unsigned)(i + 1));
		ck_assert_uint_eq(q->rsp_status[i], 0);
	}
	ck_assert_int_eq(q->released, 1);
	ck_assert_int_eq(ul_state(q->a), UL_STA1);
}

START_TEST(paused_callbacks_at_every_split_lose_and_reorder_nothing)
{
	static uint8_t ref[OUT_MAX];
	static struct acc x;
	static struct stream s;
	struct req q;
	size_t ref_len = reference_output(ref), k;
	int pauses = -1;

	/* the responses and the RP are all there without pauses */
	ck_assert_uint_gt(ref_len, (size_t)N_MSG * 12 + 10);
	for (k = 0; k <= IN_MAX; k++) {
		setup(&q, &x, P_ALL);
		build_stream(&s, &q);
		if (k > s.len) {
			teardown(&q, &x);
			break;
		}
		acc_feed(&x, s.p, k);
		acc_feed(&x, s.p + k, s.len - k);
		/* every command, data set chunk and the release paused */
		ck_assert_int_ge(x.n_pauses, N_MSG * 4 + 2);
		if (pauses < 0)
			pauses = x.n_pauses;
		check_run(&q, &x, ref, ref_len);
		teardown(&q, &x);
	}
	ck_assert_int_gt(pauses, 0);
	ck_assert_uint_gt(k, 1000);
}
END_TEST

START_TEST(paused_callbacks_one_byte_at_a_time)
{
	static uint8_t ref[OUT_MAX];
	static struct acc x;
	static struct stream s;
	struct req q;
	size_t ref_len = reference_output(ref), k;

	setup(&q, &x, P_ALL);
	build_stream(&s, &q);
	for (k = 0; k < s.len; k++)
		acc_feed(&x, s.p + k, 1);
	check_run(&q, &x, ref, ref_len);
	teardown(&q, &x);
}
END_TEST

/* Without the pause the next command comes before the answer could be
 * queued: the check that the test above relies on can fail. */
START_TEST(without_pause_the_next_command_overtakes_the_answer)
{
	static struct acc x;
	static struct stream s;
	struct req q;

	run_unpaused(&q, &x, &s);
	ck_assert_int_eq(x.order_broken, 1);
	teardown(&q, &x);
}
END_TEST

/* A pause in a control-PDU callback: ul_recv stops after that PDU. */
START_TEST(pause_in_associate_rq_stops_after_the_pdu)
{
	static struct acc x;
	struct req q;
	uint8_t buf[2048];
	const uint8_t *p;
	size_t n;
	ssize_t rc;

	/* accepted after the pause, from outside ul_recv */
	setup(&q, &x, P_RQ);
	ck_assert_int_eq(x.n_pauses, 1);
	ck_assert_int_eq(x.n_stops, 1);
	teardown(&q, &x);

	/* RQ and a P-DATA-TF in one read: only the RQ is consumed (the
	 * P-DATA-TF in Sta3 would abort) */
	{
		static struct ul_assoc_params rq;
		static const struct ul_callbacks acb = {
			.on_associate_rq = acc_rq,
			.on_pdv = acc_pdv,
		};
		struct ul_assoc *r = ul_assoc_new(UL_REQUESTOR, NULL, NULL,
		    NULL);
		struct ul_assoc *a = ul_assoc_new(UL_ACCEPTOR, NULL, &acb, &x);

		memset(&x, 0, sizeof(x));
		x.a = a;
		x.pause = P_RQ;
		pair_proposal(&rq);
		ck_assert_int_eq(ul_associate_rq(r, &rq), 0);
		ck_assert_int_eq(ul_transport_connected(r, 1000), 0);
		ck_assert_int_eq(ul_transport_connected(a, 1000), 0);
		n = ul_out_peek(r, &p);
		ck_assert_uint_le(n + 12, sizeof(buf));
		memcpy(buf, p, n);
		memcpy(buf + n, "\x04\x00\x00\x00\x00\x06\x00\x00\x00\x02"
		    "\x03\x03", 12);
		rc = ul_recv(a, buf, n + 12, 1000);
		ck_assert_int_eq(rc, (ssize_t)n);
		ck_assert_int_eq(ul_state(a), UL_STA3);
		ck_assert_int_eq(x.n_pauses, 1);
		ul_assoc_free(r);
		ul_assoc_free(a);
	}
}
END_TEST

/* Only UL_CB_PAUSE pauses: 1 and -1 from on_pdv still abort. */
START_TEST(other_nonzero_returns_still_abort)
{
	static struct acc x;
	static struct stream s;
	static const int rcs[] = { 1, -1, UL_CB_PAUSE + 1 };
	struct req q;
	unsigned i;

	ck_assert_int_gt(UL_CB_PAUSE, 1);
	for (i = 0; i < sizeof(rcs) / sizeof(rcs[0]); i++) {
		setup(&q, &x, 0);
		build_stream(&s, &q);
		x.cb_rc = rcs[i];
		ck_assert_int_eq(ul_recv(x.a, s.p, s.len, 1000),
		    CS_E_CALLBACK);
		ck_assert_int_eq(ul_state(x.a), UL_STA13);
		teardown(&q, &x);
	}
}
END_TEST

Suite *
ul_pause_suite(void)
{
	Suite *s = suite_create("ul_pause");
	TCase *tc = tcase_create("pause");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, paused_callbacks_at_every_split_lose_and_reorder_nothing);
	tcase_add_test(tc, paused_callbacks_one_byte_at_a_time);
	tcase_add_test(tc, without_pause_the_next_command_overtakes_the_answer);
	tcase_add_test(tc, pause_in_associate_rq_stops_after_the_pdu);
	tcase_add_test(tc, other_nonzero_returns_still_abort);
	suite_add_tcase(s, tc);
	return s;
}
