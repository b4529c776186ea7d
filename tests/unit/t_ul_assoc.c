/*
 * t_ul_assoc.c - one association end to end (lib/core/ul_assoc.c): a
 * requestor and an acceptor wired in memory through association, P-DATA
 * both ways (copied and external), release, release collision, abort and
 * rejection; every recorded stream replayed whole, one byte at a time
 * and split at every point; hostile input; ARTIM on a fake clock; the
 * output queue cap; allocation failure at every allocation.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cstore/cstore.h"
#include "core/alloc.h"
#include "core/ul_assoc.h"
#include "core/ul_fsm.h"
#include "core/ul_pdu.h"
#include "ul_pair.h"

Suite *ul_assoc_suite(void);

#define R_FLAGS (SIDE_SEND_ON_AC | SIDE_RELEASE_ON_DATA)
#define S_FLAGS (SIDE_ACCEPT | SIDE_ECHO | SIDE_RELEASE_RP)

static uint8_t dataset[3000];

static void
fill_dataset(void)
{
	size_t i;

	for (i = 0; i < sizeof(dataset); i++)
		dataset[i] = (uint8_t)(i * 7 + 3);
}

static void associated(struct side *, struct side *, unsigned, unsigned);

/* The full exchange: RQ/AC, command + dataset, echo, release. */
static void
run_full(struct side *r, struct side *s, unsigned rflags, size_t ds_len,
    const struct ul_config *rcfg, const struct ul_config *scfg, size_t chunk)
{
	fill_dataset();
	ck_assert_int_eq(side_init(r, UL_REQUESTOR, rflags, rcfg), 0);
	ck_assert_int_eq(side_init(s, UL_ACCEPTOR, S_FLAGS, scfg), 0);
	r->ds = dataset;
	r->ds_len = ds_len;
	ck_assert_int_eq(pair_run(r, s, chunk, 1), 0);
}

static void
check_full(struct side *r, struct side *s, size_t ds_len)
{
	ck_assert_int_eq(r->bad_chunking, 0);
	ck_assert_int_eq(s->bad_chunking, 0);
	ck_assert_int_eq(s->n_rq, 1);
	ck_assert_int_eq(r->n_ac, 1);
	ck_assert_int_eq(s->data_done, 1);
	ck_assert_uint_eq(s->data_len, ds_len);
	ck_assert_mem_eq(s->data, dataset, ds_len);
	ck_assert_int_eq(r->data_done, 1);
	ck_assert_uint_eq(r->data_len, ds_len);
	ck_assert_mem_eq(r->data, dataset, ds_len);
	ck_assert_int_eq(s->n_rel_rq, 1);
	ck_assert_int_eq(r->n_rel_rp, 1);
	ck_assert_int_eq(r->n_abort + s->n_abort, 0);
	ck_assert_int_eq(ul_state(r->a), UL_STA1);
	ck_assert_int_eq(ul_state(s->a), UL_STA1);
	ck_assert(ul_want_close(r->a));
	ck_assert_int_eq(ul_next_deadline(s->a), -1);
}

START_TEST(pair_associates_exchanges_data_and_releases)
{
	struct side r, s;
	const struct ul_pc *pc;

	run_full(&r, &s, R_FLAGS, 1000, NULL, NULL, 0);
	check_full(&r, &s, 1000);
	/* the AC was checked and completed with the proposal's syntaxes */
	ck_assert_str_eq(r.log, "ac 1:0:1.2.840.10008.1.1:1.2.840.10008.1.2 "
	    "3:0:1.2.840.10008.5.1.4.1.1.2:1.2.840.10008.1.2.1 "
	    "5:3:1.2.840.10008.5.1.4.1.1.4:-;"
	    "pdv 3 3 20;pdv 3 2 1000;dataset 1000;release-rp Sta1;");
	ck_assert_str_eq(s.log, "rq 3 pcs;pdv 3 3 20;pdv 3 2 1000;"
	    "dataset 1000;release-rq Sta8;");
	pc = ul_accepted_pc(r.a, 3);
	ck_assert_ptr_nonnull(pc);
	ck_assert_str_eq(pc->ts[0], "1.2.840.10008.1.2.1");
	ck_assert_ptr_null(ul_accepted_pc(r.a, 5));
	ck_assert_ptr_null(ul_accepted_pc(s.a, 5));
	ck_assert_ptr_nonnull(ul_accepted_pc(s.a, 1));
	/* defaults filled in: our implementation and maximum length */
	ck_assert_str_eq(ul_rq_params(s.a)->impl_class_uid, CS_IMPL_CLASS_UID);
	ck_assert_str_eq(ul_rq_params(s.a)->impl_version, CS_IMPL_VERSION);
	ck_assert_uint_eq(ul_rq_params(s.a)->max_pdu, UL_DEFAULT_MAX_PDU);
	ck_assert_str_eq(ul_ac_params(r.a)->called_ae, "ARCHIVE");
	ck_assert_str_eq(ul_ac_params(r.a)->impl_class_uid, CS_IMPL_CLASS_UID);
	side_release(&r);
	side_release(&s);
}
END_TEST

START_TEST(pair_works_one_byte_at_a_time)
{
	struct side r, s;

	run_full(&r, &s, R_FLAGS | SIDE_EXTERNAL, 1000, NULL, NULL, 1);
	check_full(&r, &s, 1000);
	side_release(&r);
	side_release(&s);
}
END_TEST

/* A receiver may write its answer from inside on_pdv (storescp does,
 * so that a response does not wait for the rest of the read buffer). */
START_TEST(output_drained_inside_a_callback_is_the_same_stream)
{
	struct side r1, s1, r2, s2;

	fill_dataset();
	run_full(&r1, &s1, R_FLAGS, 1000, NULL, NULL, 0);
	ck_assert_int_eq(side_init(&r2, UL_REQUESTOR, R_FLAGS, NULL), 0);
	ck_assert_int_eq(side_init(&s2, UL_ACCEPTOR, S_FLAGS | SIDE_DRAIN_IN_CB,
	    NULL), 0);
	r2.ds = dataset;
	r2.ds_len = 1000;
	ck_assert_int_eq(pair_run(&r2, &s2, 0, 1), 0);
	check_full(&r2, &s2, 1000);
	ck_assert_uint_gt(s2.drained_in_cb, 1000);
	ck_assert_uint_eq(s2.sent_len, s1.sent_len);
	ck_assert_mem_eq(s2.sent, s1.sent, s1.sent_len);
	ck_assert_str_eq(r2.log, r1.log);
	side_release(&r1);
	side_release(&s1);
	side_release(&r2);
	side_release(&s2);
}
END_TEST

START_TEST(pdata_fragments_to_the_peer_maximum)
{
	struct ul_config rcfg = { 128, 0 }, scfg = { 100, 0 };
	struct side r, s;

	run_full(&r, &s, R_FLAGS, 3000, &rcfg, &scfg, 0);
	check_full(&r, &s, 3000);
	/* no PDU above the peer's limit, and the limit was used */
	ck_assert_uint_eq(r.max_pdata_sent, 100);
	ck_assert_uint_eq(s.max_pdata_sent, 128);
	ck_assert_uint_eq(ul_max_pdv_payload(r.a), 94);
	/* 3000 bytes in 94-byte PDVs: 32 PDVs, only the last one LAST */
	ck_assert_ptr_nonnull(strstr(s.log, "pdv 3 0 94;"));
	ck_assert_ptr_nonnull(strstr(s.log, "pdv 3 2 86;dataset 3000;"));
	side_release(&r);
	side_release(&s);
}
END_TEST

START_TEST(pdata_external_sends_payload_from_the_caller)
{
	struct ul_config scfg = { 200, 0 };
	struct side r, s;

	/* 1000 bytes in 194-byte external PDVs: 6 owed payloads */
	run_full(&r, &s, R_FLAGS | SIDE_EXTERNAL, 1000, NULL, &scfg, 0);
	check_full(&r, &s, 1000);
	ck_assert_uint_eq(r.ext_off, 1000);
	ck_assert_uint_eq(r.max_pdata_sent, 200);
	ck_assert_ptr_nonnull(strstr(s.log, "pdv 3 0 194;"));
	ck_assert_ptr_nonnull(strstr(s.log, "pdv 3 2 30;"));
	side_release(&r);
	side_release(&s);
}
END_TEST

START_TEST(out_peek_stops_at_owed_payload)
{
	struct side r, s;
	const uint8_t *p;
	size_t n;

	fill_dataset();
	ck_assert_int_eq(side_init(&r, UL_REQUESTOR, 0, NULL), 0);
	ck_assert_int_eq(side_init(&s, UL_ACCEPTOR, SIDE_ACCEPT, NULL), 0);
	ck_assert_int_eq(pair_run(&r, &s, 0, 1), 0);
	ck_assert_int_eq(ul_state(r.a), UL_STA6);
	ck_assert_int_eq(ul_pdata_external(r.a, 3, UL_PDV_LAST, 10), 0);
	ck_assert_int_eq(ul_release_rq(r.a), 0);
	n = ul_out_peek(r.a, &p);
	ck_assert_uint_eq(n, 12); /* the header only */
	ck_assert_uint_eq(p[0], UL_PDU_P_DATA_TF);
	ck_assert_uint_eq(p[5], 10 + 6);
	ck_assert_uint_eq(ul_out_payload_owed(r.a), 0); /* header not out yet */
	ck_assert_uint_eq(ul_out_payload_next(r.a), 10); /* but it follows */
	ul_out_consume(r.a, 5);
	ck_assert_uint_eq(ul_out_payload_owed(r.a), 0);
	ul_out_payload_sent(r.a, 3); /* nothing owed yet: ignored */
	ul_out_consume(r.a, 70); /* clamped to the 7 bytes before it */
	ck_assert_uint_eq(ul_out_peek(r.a, &p), 0);
	ck_assert_uint_eq(ul_out_payload_owed(r.a), 10);
	ul_out_payload_sent(r.a, 4);
	ck_assert_uint_eq(ul_out_payload_owed(r.a), 6);
	ck_assert_uint_eq(ul_out_peek(r.a, &p), 0);
	ul_out_payload_sent(r.a, 60); /* clamped */
	ck_assert_uint_eq(ul_out_payload_owed(r.a), 0);
	n = ul_out_peek(r.a, &p);
	ck_assert_uint_eq(n, 10); /* then the A-RELEASE-RQ */
	ck_assert_uint_eq(ul_out_payload_next(r.a), 0); /* and nothing after */
	ck_assert_uint_eq(p[0], UL_PDU_RELEASE_RQ);
	side_release(&r);
	side_release(&s);
}
END_TEST

/*
 * Feeds stream to a fresh side (role, flags, cfg; a requestor first
 * sends its RQ) split at every point, then one byte at a time: it must
 * log the same events and write the same bytes as the side that
 * received the stream in the original run (want), and end in state.
 */
static void
replay_every_split(int role, unsigned flags, const struct ul_config *cfg,
    const uint8_t *stream, size_t len, const struct side *want, int state)
{
	static struct ul_assoc_params rq;
	struct side x;
	size_t k;

	pair_proposal(&rq);
	for (k = 0; k <= len + 1; k++) {
		ck_assert_int_eq(side_init(&x, role, flags, cfg), 0);
		x.ds = want->ds;
		x.ds_len = want->ds_len;
		if (role == UL_REQUESTOR)
			ck_assert_int_eq(ul_associate_rq(x.a, &rq), 0);
		ck_assert_int_eq(ul_transport_connected(x.a, 1000), 0);
		if (k <= len) {
			ck_assert_int_eq(side_feed(&x, stream, k, 0, 1000),
			    (long)k);
			side_drain(&x, 0);
			ck_assert_int_eq(side_feed(&x, stream + k, len - k, 0,
			    1000), (long)(len - k));
		} else {
			ck_assert_int_eq(side_feed(&x, stream, len, 1, 1000),
			    (long)len);
		}
		side_drain(&x, 0);
		ck_assert_msg(strcmp(x.log, want->log) == 0,
		    "split at %zu: '%s' != '%s'", k, x.log, want->log);
		ck_assert_uint_eq(x.sent_len, want->sent_len);
		ck_assert_mem_eq(x.sent, want->sent, want->sent_len);
		ck_assert_int_eq(ul_state(x.a), state);
		ck_assert_int_eq(x.last_rc, 0);
		side_release(&x);
	}
}

START_TEST(every_split_gives_the_same_events_and_output)
{
	struct ul_config scfg = { 300, 0 };
	struct side r, s;

	run_full(&r, &s, R_FLAGS | SIDE_EXTERNAL, 700, NULL, &scfg, 0);
	check_full(&r, &s, 700);
	/* acceptor side: what the requestor sent; and the other way */
	replay_every_split(UL_ACCEPTOR, S_FLAGS, &scfg, r.sent, r.sent_len,
	    &s, UL_STA13);
	replay_every_split(UL_REQUESTOR, R_FLAGS | SIDE_EXTERNAL, NULL, s.sent,
	    s.sent_len, &r, UL_STA1);
	side_release(&r);
	side_release(&s);
}
END_TEST

START_TEST(every_split_of_rejection_and_abort_streams)
{
	struct side r, s;

	/* RQ answered with RJ */
	ck_assert_int_eq(side_init(&r, UL_REQUESTOR, 0, NULL), 0);
	ck_assert_int_eq(side_init(&s, UL_ACCEPTOR, SIDE_REJECT, NULL), 0);
	ck_assert_int_eq(pair_run(&r, &s, 0, 1), 0);
	ck_assert_int_eq(r.n_rj, 1);
	replay_every_split(UL_ACCEPTOR, SIDE_REJECT, NULL, r.sent, r.sent_len,
	    &s, UL_STA13);
	replay_every_split(UL_REQUESTOR, 0, NULL, s.sent, s.sent_len, &r,
	    UL_STA1);
	side_release(&r);
	side_release(&s);
	/* AC, then the acceptor aborts */
	associated(&r, &s, 0, 0);
	ck_assert_int_eq(ul_abort(s.a), 0);
	ck_assert_int_eq(pair_run(&r, &s, 0, 0), 0);
	ck_assert_int_eq(r.n_abort, 1);
	replay_every_split(UL_REQUESTOR, 0, NULL, s.sent, s.sent_len, &r,
	    UL_STA1);
	side_release(&r);
	side_release(&s);
}
END_TEST

START_TEST(bytes_after_the_end_are_not_consumed)
{
	struct side r, s, x;
	uint8_t *buf;
	static struct ul_assoc_params rq;

	run_full(&r, &s, R_FLAGS, 100, NULL, NULL, 0);
	buf = malloc(s.sent_len + 10);
	ck_assert_ptr_nonnull(buf);
	memcpy(buf, s.sent, s.sent_len);
	memset(buf + s.sent_len, 0xee, 10);
	pair_proposal(&rq);
	ck_assert_int_eq(side_init(&x, UL_REQUESTOR, R_FLAGS, NULL), 0);
	x.ds = dataset;
	x.ds_len = 100;
	ck_assert_int_eq(ul_associate_rq(x.a, &rq), 0);
	ck_assert_int_eq(ul_transport_connected(x.a, 0), 0);
	/* the A-RELEASE-RP ends the association: the garbage stays */
	ck_assert_int_eq(ul_recv(x.a, buf, s.sent_len + 10, 0),
	    (ssize_t)s.sent_len);
	ck_assert_int_eq(ul_state(x.a), UL_STA1);
	ck_assert_int_eq(ul_recv(x.a, buf, 10, 0), 0);
	free(buf);
	side_release(&x);
	side_release(&r);
	side_release(&s);
}
END_TEST

START_TEST(release_collision_ends_on_both_sides)
{
	struct side r, s;

	ck_assert_int_eq(side_init(&r, UL_REQUESTOR, SIDE_RELEASE_RP, NULL), 0);
	ck_assert_int_eq(side_init(&s, UL_ACCEPTOR,
	    SIDE_ACCEPT | SIDE_RELEASE_RP, NULL), 0);
	ck_assert_int_eq(pair_run(&r, &s, 0, 1), 0);
	ck_assert_int_eq(ul_state(r.a), UL_STA6);
	ck_assert_int_eq(ul_state(s.a), UL_STA6);
	/* both ask at once (PS3.8 9.2: Sta9-Sta12) */
	ck_assert_int_eq(ul_release_rq(r.a), 0);
	ck_assert_int_eq(ul_release_rq(s.a), 0);
	ck_assert_int_eq(pair_run(&r, &s, 0, 0), 0);
	ck_assert_str_eq(r.log, "ac 1:0:1.2.840.10008.1.1:1.2.840.10008.1.2 "
	    "3:0:1.2.840.10008.5.1.4.1.1.2:1.2.840.10008.1.2.1 "
	    "5:3:1.2.840.10008.5.1.4.1.1.4:-;"
	    "release-rq Sta9;release-rp Sta1;");
	ck_assert_str_eq(s.log, "rq 3 pcs;release-rq Sta10;release-rp Sta12;");
	ck_assert_int_eq(ul_state(r.a), UL_STA1);
	ck_assert_int_eq(ul_state(s.a), UL_STA1);
	ck_assert_int_eq(r.n_abort + s.n_abort, 0);
	side_release(&r);
	side_release(&s);
}
END_TEST

static void
associated(struct side *r, struct side *s, unsigned rflags, unsigned sflags)
{
	ck_assert_int_eq(side_init(r, UL_REQUESTOR, rflags, NULL), 0);
	ck_assert_int_eq(side_init(s, UL_ACCEPTOR, SIDE_ACCEPT | sflags,
	    NULL), 0);
	ck_assert_int_eq(pair_run(r, s, 0, 1), 0);
	ck_assert_int_eq(ul_state(r->a), UL_STA6);
	ck_assert_int_eq(ul_state(s->a), UL_STA6);
}

START_TEST(abort_by_requestor_reaches_acceptor)
{
	struct side r, s;

	associated(&r, &s, 0, 0);
	ck_assert_int_eq(ul_abort(r.a), 0);
	ck_assert_int_eq(ul_state(r.a), UL_STA13);
	ck_assert_int_ne(ul_next_deadline(r.a), -1);
	ck_assert_int_eq(pair_run(&r, &s, 0, 0), 0);
	ck_assert_int_eq(s.n_abort, 1);
	ck_assert_int_eq(s.abort_from_peer, 1);
	ck_assert_uint_eq(s.abort.source, 0);
	ck_assert_int_eq(ul_state(s.a), UL_STA1);
	ck_assert_int_eq(ul_last_error(s.a)->code, CS_E_ABORTED);
	/* the acceptor closed: the requestor's Sta13 ends (AR-5) */
	ck_assert_int_eq(ul_state(r.a), UL_STA1);
	ck_assert_int_eq(r.n_abort, 0);
	side_release(&r);
	side_release(&s);
}
END_TEST

START_TEST(abort_by_acceptor_reaches_requestor)
{
	struct side r, s;

	associated(&r, &s, 0, 0);
	ck_assert_int_eq(ul_abort(s.a), 0);
	ck_assert_int_eq(pair_run(&r, &s, 1, 0), 0);
	ck_assert_int_eq(r.n_abort, 1);
	ck_assert_int_eq(r.abort_from_peer, 1);
	ck_assert_int_eq(ul_state(r.a), UL_STA1);
	ck_assert_int_eq(ul_state(s.a), UL_STA1);
	side_release(&r);
	side_release(&s);
}
END_TEST

START_TEST(rejection_reaches_requestor)
{
	struct side r, s;

	ck_assert_int_eq(side_init(&r, UL_REQUESTOR, 0, NULL), 0);
	ck_assert_int_eq(side_init(&s, UL_ACCEPTOR, SIDE_REJECT, NULL), 0);
	ck_assert_int_eq(pair_run(&r, &s, 0, 1), 0);
	ck_assert_int_eq(r.n_rj, 1);
	ck_assert_uint_eq(r.rj.result, 1);
	ck_assert_uint_eq(r.rj.source, 1);
	ck_assert_uint_eq(r.rj.reason, 1);
	ck_assert_int_eq(ul_state(r.a), UL_STA1);
	ck_assert(ul_want_close(r.a));
	ck_assert_int_eq(ul_last_error(r.a)->code, CS_E_REJECTED);
	ck_assert_ptr_nonnull(strstr(ul_last_error(r.a)->msg, "rejected"));
	/* the acceptor waited in Sta13 and saw the close (AR-5) */
	ck_assert_int_eq(ul_state(s.a), UL_STA1);
	side_release(&r);
	side_release(&s);
}
END_TEST

START_TEST(callback_failure_aborts_with_callback_error)
{
	struct side r, s;
	static const uint8_t pdu[] = { 0x04, 0, 0, 0, 0, 8, 0, 0, 0, 4, 3,
		0x02, 0xaa, 0xbb };

	associated(&r, &s, 0, SIDE_FAIL_PDV);
	ck_assert_int_eq(ul_recv(s.a, pdu, sizeof(pdu), 0), CS_E_CALLBACK);
	ck_assert_int_eq(ul_state(s.a), UL_STA13);
	ck_assert_ptr_nonnull(strstr(ul_last_error(s.a)->msg, "on_pdv"));
	ck_assert_int_eq(pair_run(&r, &s, 0, 0), 0);
	ck_assert_int_eq(r.n_abort, 1);
	ck_assert_uint_eq(r.abort.source, 0); /* the user aborted */
	side_release(&r);
	side_release(&s);
}
END_TEST

/* --- hostile input ------------------------------------------------------- */

/* The A-ABORT the side queued: source and reason, or -1 if none. */
static int
queued_abort(struct side *s, uint8_t *source, uint8_t *reason)
{
	size_t i;

	side_drain(s, 0);
	for (i = 0; i + 10 <= s->sent_len; i++)
		if (s->sent[i] == UL_PDU_ABORT && s->sent[i + 5] == 4 &&
		    s->sent[i + 1] == 0 && s->sent[i + 2] == 0) {
			*source = s->sent[i + 8];
			*reason = s->sent[i + 9];
			return 0;
		}
	return -1;
}

static void
expect_abort(struct side *s, uint8_t source, uint8_t reason)
{
	uint8_t so = 0xff, re = 0xff;

	ck_assert_int_eq(queued_abort(s, &so, &re), 0);
	ck_assert_uint_eq(so, source);
	ck_assert_uint_eq(re, reason);
	ck_assert_int_eq(ul_state(s->a), UL_STA13);
	ck_assert_int_ne(ul_next_deadline(s->a), -1);
}

START_TEST(huge_length_is_refused_before_reading)
{
	static const uint8_t rq4g[] = { 0x01, 0, 0xff, 0xff, 0xff, 0xff, 0 };
	static const uint8_t pd4g[] = { 0x04, 0, 0xff, 0xff, 0xff, 0xff, 0 };
	struct side r, s, x;

	ck_assert_int_eq(side_init(&x, UL_ACCEPTOR, SIDE_ACCEPT, NULL), 0);
	ck_assert_int_eq(ul_transport_connected(x.a, 0), 0);
	ck_assert_int_eq(ul_recv(x.a, rq4g, sizeof(rq4g), 0), CS_E_PROTO);
	expect_abort(&x, 2, 6);
	ck_assert_ptr_nonnull(strstr(ul_last_error(x.a)->msg, "4294967295"));
	/* the stream cannot be trusted any more: everything is dropped */
	ck_assert_int_eq(ul_recv(x.a, rq4g, sizeof(rq4g), 0),
	    (ssize_t)sizeof(rq4g));
	side_release(&x);

	associated(&r, &s, 0, 0);
	ck_assert_int_eq(ul_recv(s.a, pd4g, sizeof(pd4g), 0), CS_E_PROTO);
	expect_abort(&s, 2, 6);
	ck_assert_int_eq(s.n_abort, 1); /* A-P-ABORT indication (AA-8) */
	ck_assert_int_eq(s.abort_from_peer, 0);
	ck_assert_ptr_nonnull(strstr(ul_last_error(s.a)->msg,
	    "exceeds our maximum"));
	side_release(&r);
	side_release(&s);
}
END_TEST

START_TEST(an_ac_repeats_the_rq_titles_byte_for_byte)
{
	/* "  DCMRECV" space padded, "\xC4RZTE" (Latin-1) NUL padded */
	static const uint8_t raw[32] = { ' ', ' ', 'D', 'C', 'M', 'R', 'E', 'C',
		'V', ' ', ' ', ' ', ' ', ' ', ' ', ' ', 0xc4, 'R', 'Z', 'T', 'E',
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 };
	struct ul_assoc_params *p = calloc(1, sizeof(*p)), *q = calloc(1,
	    sizeof(*q));
	struct cs_err err = { 0, "" };
	struct wr w;

	ck_assert_ptr_nonnull(p);
	ck_assert_ptr_nonnull(q);
	snprintf(p->called_ae, sizeof(p->called_ae), "X");
	snprintf(p->calling_ae, sizeof(p->calling_ae), "Y");
	snprintf(p->impl_class_uid, sizeof(p->impl_class_uid), "1.2.3");
	p->n_pc = 1;
	p->pc[0].id = 1;
	snprintf(p->pc[0].abstract_syntax, sizeof(p->pc[0].abstract_syntax),
	    "1.2.840.10008.1.1");
	p->pc[0].n_ts = 1;
	snprintf(p->pc[0].ts[0], sizeof(p->pc[0].ts[0]), "1.2.840.10008.1.2");
	wr_init(&w, 1 << 16);
	ck_assert_int_eq(ul_encode_assoc_rq(&w, p), 0);
	memcpy(w.p + 10, raw, sizeof(raw));
	/* bytes 43-74, reserved: sent back as they came (PS3.8 Table 9-17) */
	memset(w.p + 42, 0xa5, 32);
	ck_assert_int_eq(ul_decode_assoc_rq(w.p + 6, w.len - 6, q, &err), 0);
	/* decoded: as they mean, PS3.8 9.3.2 */
	ck_assert_str_eq(q->called_ae, "DCMRECV");
	ck_assert_str_eq(q->calling_ae, "?RZTE");
	ck_assert_int_eq(q->has_raw_titles, 1);
	ck_assert_mem_eq(q->raw_titles, raw, sizeof(raw));
	/* answered: as they came, PS3.8 9.3.3 */
	q->pc[0].result = UL_PC_ACCEPTANCE;
	w.len = 0;
	ck_assert_int_eq(ul_encode_assoc_ac(&w, q), 0);
	ck_assert_mem_eq(w.p + 10, raw, sizeof(raw));
	for (size_t i = 42; i < 74; i++)
		ck_assert_uint_eq(w.p[i], 0xa5);
	/* without them, the decoded titles, space padded */
	q->has_raw_titles = 0;
	w.len = 0;
	ck_assert_int_eq(ul_encode_assoc_ac(&w, q), 0);
	ck_assert_mem_eq(w.p + 10, "DCMRECV         ?RZTE           ", 32);
	wr_release(&w);
	free(p);
	free(q);
}
END_TEST

START_TEST(unknown_pdu_type_is_unrecognized_pdu)
{
	static const uint8_t bad[] = { 0x08, 0, 0, 0, 0, 4, 0, 0, 0, 0 };
	struct side r, s;

	associated(&r, &s, 0, 0);
	ck_assert_int_eq(ul_recv(r.a, bad, 3, 0), 3);
	ck_assert_int_eq(ul_recv(r.a, bad + 3, 3, 0), CS_E_PROTO);
	expect_abort(&r, 2, 1);
	ck_assert_int_eq(r.n_abort, 1);
	ck_assert_ptr_nonnull(strstr(ul_last_error(r.a)->msg, "0x08"));
	side_release(&r);
	side_release(&s);
}
END_TEST

START_TEST(in_pdu_tells_the_length_and_what_is_still_due)
{
	/* a P-DATA-TF of 12 bytes: one PDV item of 8 (context 1) */
	static const uint8_t pd[] = { 0x04, 0, 0, 0, 0, 12, 0, 0, 0, 8, 1, 0 };
	struct side r, s;
	uint32_t len = 1, left = 1;

	associated(&r, &s, 0, 0);
	ck_assert_int_eq(ul_in_pdu(s.a, &len, &left), 0);
	ck_assert_int_eq(ul_recv(s.a, pd, 3, 0), 3);
	ck_assert_int_eq(ul_in_pdu(s.a, &len, &left), 1);
	ck_assert_uint_eq(len, 0); /* the header is not whole yet */
	ck_assert_int_eq(ul_recv(s.a, pd + 3, 5, 0), 5);
	ck_assert_int_eq(ul_in_pdu(s.a, &len, &left), 1);
	ck_assert_uint_eq(len, 12);
	ck_assert_uint_eq(left, 10);
	ck_assert_int_eq(ul_recv(s.a, pd + 8, 4, 0), 4);
	ck_assert_int_eq(ul_in_pdu(s.a, &len, &left), 1);
	ck_assert_uint_eq(left, 6);
	side_release(&r);
	side_release(&s);
}
END_TEST

START_TEST(truncated_pdu_then_close_is_provider_abort)
{
	static const uint8_t rel[] = { 0x05, 0, 0, 0, 0, 4, 0, 0 };
	struct side r, s;

	associated(&r, &s, 0, 0);
	ck_assert_int_eq(ul_recv(s.a, rel, sizeof(rel), 0),
	    (ssize_t)sizeof(rel));
	ck_assert_int_eq(ul_state(s.a), UL_STA6);
	ck_assert_int_eq(ul_transport_closed(s.a, 0), CS_E_CLOSED);
	ck_assert_int_eq(ul_state(s.a), UL_STA1);
	ck_assert_int_eq(s.n_abort, 1);
	ck_assert_int_eq(s.abort_from_peer, 0);
	ck_assert_uint_eq(s.abort.source, 2);
	ck_assert_int_eq(s.n_rel_rq, 0);
	ck_assert(ul_want_close(s.a));
	side_release(&r);
	side_release(&s);
}
END_TEST

START_TEST(pdata_before_association_aborts)
{
	static const uint8_t pd[] = { 0x04, 0, 0, 0, 0, 8, 0, 0, 0, 4, 1,
		0x03, 0xaa, 0xbb };
	static struct ul_assoc_params rq;
	struct side x;

	/* acceptor, Sta2: AA-1 */
	ck_assert_int_eq(side_init(&x, UL_ACCEPTOR, SIDE_ACCEPT, NULL), 0);
	ck_assert_int_eq(ul_transport_connected(x.a, 0), 0);
	ck_assert_int_eq(ul_recv(x.a, pd, sizeof(pd), 0), CS_E_PROTO);
	expect_abort(&x, 2, 2);
	ck_assert_int_eq(x.n_pdv, 0);
	ck_assert_int_eq(x.n_abort, 0); /* AA-1 has no indication */
	side_release(&x);
	/* requestor, Sta5: AA-8 */
	pair_proposal(&rq);
	ck_assert_int_eq(side_init(&x, UL_REQUESTOR, 0, NULL), 0);
	ck_assert_int_eq(ul_associate_rq(x.a, &rq), 0);
	ck_assert_int_eq(ul_transport_connected(x.a, 0), 0);
	ck_assert_int_eq(side_feed(&x, pd, sizeof(pd), 1, 0), CS_E_PROTO);
	expect_abort(&x, 2, 2);
	ck_assert_int_eq(x.n_pdv, 0);
	ck_assert_int_eq(x.n_abort, 1);
	side_release(&x);
}
END_TEST

START_TEST(oversized_pdata_aborts)
{
	struct ul_config scfg = { 100, 0 };
	static uint8_t pd[6 + 100];
	struct side r, s;

	ck_assert_int_eq(side_init(&r, UL_REQUESTOR, 0, NULL), 0);
	ck_assert_int_eq(side_init(&s, UL_ACCEPTOR, SIDE_ACCEPT, &scfg), 0);
	ck_assert_int_eq(pair_run(&r, &s, 0, 1), 0);
	/* exactly our maximum (100) is fine: one PDV of 94 data bytes */
	memset(pd, 0, sizeof(pd));
	pd[0] = 0x04;
	pd[5] = 100;
	pd[9] = 96;
	pd[10] = 3;
	ck_assert_int_eq(ul_recv(s.a, pd, sizeof(pd), 0), (ssize_t)sizeof(pd));
	ck_assert_int_eq(ul_state(s.a), UL_STA6);
	ck_assert_int_eq(s.n_pdv, 1);
	/* one more is refused at the header */
	pd[5] = 101;
	ck_assert_int_eq(ul_recv(s.a, pd, 6, 0), CS_E_PROTO);
	expect_abort(&s, 2, 6);
	ck_assert_int_eq(s.n_pdv, 1);
	side_release(&r);
	side_release(&s);
}
END_TEST

/* A P-DATA-TF body in an established association, fed to the acceptor. */
static void
pdv_rejected(const uint8_t *pd, size_t len, uint8_t reason,
    const char *what)
{
	struct side r, s;

	associated(&r, &s, 0, 0);
	ck_assert_int_eq(side_feed(&s, pd, len, 1, 0), CS_E_PROTO);
	expect_abort(&s, 2, reason);
	ck_assert_int_eq(s.n_pdv, 0);
	ck_assert_ptr_nonnull(strstr(ul_last_error(s.a)->msg, what));
	side_release(&r);
	side_release(&s);
}

START_TEST(pdv_on_unaccepted_context_aborts)
{
	/* context 5 was rejected, 7 never proposed, 4 is even, 0 too */
	static uint8_t pd[] = { 0x04, 0, 0, 0, 0, 7, 0, 0, 0, 3, 5, 0x03, 0 };

	pdv_rejected(pd, sizeof(pd), 6, "not accepted");
	pd[10] = 7;
	pdv_rejected(pd, sizeof(pd), 6, "not accepted");
	pd[10] = 4;
	pdv_rejected(pd, sizeof(pd), 6, "not odd");
	pd[10] = 0;
	pdv_rejected(pd, sizeof(pd), 6, "not odd");
}
END_TEST

START_TEST(malformed_pdv_items_abort)
{
	/* item length 1 (< 2) */
	static const uint8_t short_item[] = { 0x04, 0, 0, 0, 0, 6, 0, 0, 0, 1,
		3, 0x03 };
	/* item of 10 bytes in a PDU of 8 */
	static const uint8_t overrun[] = { 0x04, 0, 0, 0, 0, 8, 0, 0, 0, 10,
		3, 0x03, 1, 2 };
	/* one good item, then 3 bytes: an item header cannot fit */
	static const uint8_t tail[] = { 0x04, 0, 0, 0, 0, 10, 0, 0, 0, 3, 3,
		0x03, 9, 1, 2, 3 };
	/* an empty P-DATA-TF */
	static const uint8_t empty[] = { 0x04, 0, 0, 0, 0, 0 };
	struct side r, s;

	pdv_rejected(short_item, sizeof(short_item), 6, "shorter than 2");
	pdv_rejected(overrun, sizeof(overrun), 6, "overruns");
	pdv_rejected(empty, sizeof(empty), 6, "without pdv");
	associated(&r, &s, 0, 0);
	ck_assert_int_eq(side_feed(&s, tail, sizeof(tail), 0, 0), CS_E_PROTO);
	ck_assert_int_eq(s.n_pdv, 1); /* the good item was delivered */
	expect_abort(&s, 2, 6);
	side_release(&r);
	side_release(&s);
}
END_TEST

START_TEST(fixed_size_pdu_with_wrong_length_aborts)
{
	static const uint8_t rel[] = { 0x05, 0, 0, 0, 0, 5, 0, 0, 0, 0, 0 };
	struct side r, s;

	associated(&r, &s, 0, 0);
	ck_assert_int_eq(ul_recv(s.a, rel, 6, 0), CS_E_PROTO);
	expect_abort(&s, 2, 6);
	ck_assert_int_eq(s.n_rel_rq, 0);
	side_release(&r);
	side_release(&s);
}
END_TEST

START_TEST(malformed_rq_aborts_acceptor)
{
	/* an RQ whose body is too short for its fixed fields */
	static const uint8_t rq[] = { 0x01, 0, 0, 0, 0, 4, 0, 1, 0, 0 };
	struct side x;

	ck_assert_int_eq(side_init(&x, UL_ACCEPTOR, SIDE_ACCEPT, NULL), 0);
	ck_assert_int_eq(ul_transport_connected(x.a, 0), 0);
	ck_assert_int_eq(ul_recv(x.a, rq, sizeof(rq), 0), CS_E_PROTO);
	expect_abort(&x, 2, 6);
	ck_assert_int_eq(x.n_rq, 0);
	side_release(&x);
}
END_TEST

START_TEST(protocol_version_without_bit0_is_rejected)
{
	static struct ul_assoc_params rq;
	struct wr w;
	struct side x;

	pair_proposal(&rq);
	snprintf(rq.impl_class_uid, sizeof(rq.impl_class_uid), "1.2.3");
	rq.protocol_version = 2;
	wr_init(&w, 65536);
	ck_assert_int_eq(ul_encode_assoc_rq(&w, &rq), 0);
	ck_assert_int_eq(side_init(&x, UL_ACCEPTOR, SIDE_ACCEPT, NULL), 0);
	ck_assert_int_eq(ul_transport_connected(x.a, 0), 0);
	ck_assert_int_eq(ul_recv(x.a, w.p, w.len, 0), (ssize_t)w.len);
	ck_assert_int_eq(x.n_rq, 0);
	ck_assert_int_eq(ul_state(x.a), UL_STA13);
	side_drain(&x, 0);
	/* A-ASSOCIATE-RJ permanent, source 2 (ACSE), reason 2 */
	ck_assert_uint_eq(x.sent_len, 10);
	ck_assert_uint_eq(x.sent[0], UL_PDU_ASSOCIATE_RJ);
	ck_assert_uint_eq(x.sent[7], 1);
	ck_assert_uint_eq(x.sent[8], 2);
	ck_assert_uint_eq(x.sent[9], 2);
	wr_release(&w);
	side_release(&x);
}
END_TEST

/* An RQ (n bytes) fed to an acceptor in Sta2: answered with an
 * A-ASSOCIATE-RJ permanent, source 1 (service user), reason reason. */
static void
expect_rq_rejected(const uint8_t *rq, size_t n, uint8_t reason)
{
	struct side x;

	ck_assert_int_eq(side_init(&x, UL_ACCEPTOR, SIDE_ACCEPT, NULL), 0);
	ck_assert_int_eq(ul_transport_connected(x.a, 0), 0);
	ck_assert_int_eq(ul_recv(x.a, rq, n, 0), (ssize_t)n);
	ck_assert_int_eq(x.n_rq, 0);
	ck_assert_int_eq(ul_state(x.a), UL_STA13);
	side_drain(&x, 0);
	ck_assert_uint_eq(x.sent_len, 10);
	ck_assert_uint_eq(x.sent[0], UL_PDU_ASSOCIATE_RJ);
	ck_assert_uint_eq(x.sent[7], 1);
	ck_assert_uint_eq(x.sent[8], 1);
	ck_assert_uint_eq(x.sent[9], reason);
	side_release(&x);
}

/* PS3.8 9.2 AE-6: a well-formed RQ the acceptor cannot accept (a
 * mandatory item missing, an AE title with a control character) is
 * rejected, so that the peer can say why; an invalid PDU is aborted
 * (malformed_rq_aborts_acceptor). */
START_TEST(unacceptable_rq_is_rejected_not_aborted)
{
	static struct ul_assoc_params rq;
	struct wr w;
	size_t at;

	pair_proposal(&rq);
	snprintf(rq.impl_class_uid, sizeof(rq.impl_class_uid), "1.2.3");
	wr_init(&w, 65536);
	ck_assert_int_eq(ul_encode_assoc_rq(&w, &rq), 0);
	/* calling AE title (bytes 26-41) with a control character: 3 */
	w.p[27] = 0x01;
	expect_rq_rejected(w.p, w.len, 3);
	/* called AE title (bytes 10-25): 7 */
	w.p[27] = 'A';
	w.p[11] = 0x1b;
	expect_rq_rejected(w.p, w.len, 7);
	w.p[11] = 'A';
	/* the presentation context items retyped as unknown ones (skipped,
	 * PS3.8 9.3.1): none left, reason 1 */
	for (at = 74; at + 4 <= w.len;) {
		size_t len = (size_t)w.p[at + 2] << 8 | w.p[at + 3];

		if (w.p[at] == 0x20)
			w.p[at] = 0x7e;
		at += 4 + len;
	}
	expect_rq_rejected(w.p, w.len, 1);
	/* and the application context item too: 2 */
	ck_assert_uint_eq(w.p[74], 0x10);
	w.p[74] = 0x7d;
	expect_rq_rejected(w.p, w.len, 2);
	wr_release(&w);
}
END_TEST

/*
 * An AC built from params, fed to a requestor in Sta5.  dup_id: rewrite
 * the id of the presentation context item answering 3 to 1 (the encoder
 * refuses to write a duplicate).
 */
static void
ac_rejected(const struct ul_assoc_params *ac, const char *what, int dup_id)
{
	static struct ul_assoc_params rq;
	struct side x;
	struct wr w;
	size_t i;

	pair_proposal(&rq);
	wr_init(&w, 65536);
	ck_assert_int_eq(ul_encode_assoc_ac(&w, ac), 0);
	for (i = 0; dup_id && i + 5 < w.len; i++)
		if (w.p[i] == 0x21 && w.p[i + 1] == 0 && w.p[i + 4] == 3) {
			w.p[i + 4] = 1; /* PS3.8 9.3.3.2: item, id at byte 5 */
			dup_id = 0;
		}
	ck_assert_int_eq(dup_id, 0);
	ck_assert_int_eq(side_init(&x, UL_REQUESTOR, 0, NULL), 0);
	ck_assert_int_eq(ul_associate_rq(x.a, &rq), 0);
	ck_assert_int_eq(ul_transport_connected(x.a, 0), 0);
	side_drain(&x, 0);
	x.sent_len = 0;
	ck_assert_int_eq(ul_recv(x.a, w.p, w.len, 0), CS_E_PROTO);
	expect_abort(&x, 2, 6);
	ck_assert_int_eq(x.n_ac, 0);
	ck_assert_int_eq(x.n_abort, 1);
	ck_assert_ptr_null(ul_ac_params(x.a));
	ck_assert_msg(strstr(ul_last_error(x.a)->msg, what) != NULL,
	    "message '%s' lacks '%s'", ul_last_error(x.a)->msg, what);
	wr_release(&w);
	side_release(&x);
}

START_TEST(ac_answering_what_was_not_proposed_aborts)
{
	static struct ul_assoc_params ac;

	memset(&ac, 0, sizeof(ac));
	snprintf(ac.called_ae, sizeof(ac.called_ae), "ARCHIVE");
	snprintf(ac.calling_ae, sizeof(ac.calling_ae), "MODALITY");
	snprintf(ac.impl_class_uid, sizeof(ac.impl_class_uid), "1.2.3");
	ac.n_pc = 1;
	ac.pc[0].id = 7;
	ac.pc[0].n_ts = 1;
	snprintf(ac.pc[0].ts[0], UL_UID_MAX + 1, "1.2.840.10008.1.2");
	ac_rejected(&ac, "not proposed", 0);
	ac.pc[0].id = 1; /* proposed with implicit VR only */
	snprintf(ac.pc[0].ts[0], UL_UID_MAX + 1, "1.2.840.10008.1.2.1");
	ac_rejected(&ac, "was not proposed", 0);
	ac.n_pc = 2;
	ac.pc[1] = ac.pc[0];
	snprintf(ac.pc[0].ts[0], UL_UID_MAX + 1, "1.2.840.10008.1.2");
	snprintf(ac.pc[1].ts[0], UL_UID_MAX + 1, "1.2.840.10008.1.2");
	ac.pc[1].id = 3;
	ac_rejected(&ac, "twice", 1);
}
END_TEST

START_TEST(accept_must_answer_every_context_correctly)
{
	static struct ul_assoc_params ac;
	struct side r, s;

	ck_assert_int_eq(side_init(&r, UL_REQUESTOR, 0, NULL), 0);
	ck_assert_int_eq(side_init(&s, UL_ACCEPTOR, 0, NULL), 0);
	ck_assert_int_eq(pair_run(&r, &s, 0, 1), 0);
	ck_assert_int_eq(ul_state(s.a), UL_STA3);
	memset(&ac, 0, sizeof(ac));
	ac.n_pc = 2;
	ac.pc[0].id = 1;
	ac.pc[0].n_ts = 1;
	snprintf(ac.pc[0].ts[0], UL_UID_MAX + 1, "1.2.840.10008.1.2");
	ac.pc[1].id = 3;
	ac.pc[1].result = UL_PC_USER_REJECTION;
	ck_assert_int_eq(ul_associate_accept(s.a, &ac), CS_E_INVAL);
	ck_assert_ptr_nonnull(strstr(ul_last_error(s.a)->msg, "context 5"));
	ac.n_pc = 3;
	ac.pc[2].id = 5;
	ac.pc[2].n_ts = 1;
	snprintf(ac.pc[2].ts[0], UL_UID_MAX + 1, "1.2.840.10008.1.2.1");
	ck_assert_int_eq(ul_associate_accept(s.a, &ac), CS_E_INVAL);
	ck_assert_int_eq(ul_state(s.a), UL_STA3);
	ck_assert_ptr_null(ul_ac_params(s.a));
	ac.pc[2].result = UL_PC_TRANSFER_SYNTAXES_NOT_SUPPORTED;
	ac.pc[2].n_ts = 0;
	ck_assert_int_eq(ul_associate_accept(s.a, &ac), 0);
	ck_assert_int_eq(ul_state(s.a), UL_STA6);
	ck_assert_int_eq(pair_run(&r, &s, 0, 0), 0);
	ck_assert_int_eq(ul_state(r.a), UL_STA6);
	ck_assert_ptr_nonnull(ul_accepted_pc(r.a, 1));
	ck_assert_ptr_null(ul_accepted_pc(r.a, 3));
	/* data on a context the peer did not accept is refused locally */
	ck_assert_int_eq(ul_pdata(r.a, 3, 0, (const uint8_t *)"x", 1),
	    CS_E_INVAL);
	ck_assert_int_eq(ul_pdata(r.a, 1, 0x04, (const uint8_t *)"x", 1),
	    CS_E_INVAL);
	side_release(&r);
	side_release(&s);
}
END_TEST

START_TEST(associate_rq_refuses_bad_proposals)
{
	static struct ul_assoc_params rq;
	struct side x;

	ck_assert_int_eq(side_init(&x, UL_REQUESTOR, 0, NULL), 0);
	pair_proposal(&rq);
	rq.pc[1].id = 4;
	ck_assert_int_eq(ul_associate_rq(x.a, &rq), CS_E_INVAL);
	pair_proposal(&rq);
	rq.pc[1].id = 1;
	ck_assert_int_eq(ul_associate_rq(x.a, &rq), CS_E_INVAL);
	pair_proposal(&rq);
	rq.n_pc = 0;
	ck_assert_int_eq(ul_associate_rq(x.a, &rq), CS_E_INVAL);
	ck_assert_int_eq(ul_state(x.a), UL_STA1);
	ck_assert_ptr_null(ul_rq_params(x.a));
	side_release(&x);
	/* an acceptor cannot request */
	ck_assert_int_eq(side_init(&x, UL_ACCEPTOR, 0, NULL), 0);
	pair_proposal(&rq);
	ck_assert_int_eq(ul_associate_rq(x.a, &rq), CS_E_STATE);
	side_release(&x);
}
END_TEST


START_TEST(pair_works_with_short_writes)
{
	struct ul_config scfg = { 200, 0 };
	struct side r, s;

	fill_dataset();
	ck_assert_int_eq(side_init(&r, UL_REQUESTOR, R_FLAGS | SIDE_EXTERNAL,
	    NULL), 0);
	ck_assert_int_eq(side_init(&s, UL_ACCEPTOR, S_FLAGS, &scfg), 0);
	r.ds = dataset;
	r.ds_len = 1000;
	/* the transport takes a few bytes at a time: partial writes of
	 * headers and of owed payload, the queue compacted in between */
	r.drain_max = 7;
	s.drain_max = 5;
	ck_assert_int_eq(pair_run(&r, &s, 3, 1), 0);
	check_full(&r, &s, 1000);
	side_release(&r);
	side_release(&s);
}
END_TEST

START_TEST(empty_pdv_is_one_empty_chunk)
{
	/* two PDVs: an empty command fragment, then 3 dataset bytes */
	static const uint8_t pd[] = { 0x04, 0, 0, 0, 0, 15, 0, 0, 0, 2, 1,
		0x01, 0, 0, 0, 5, 1, 0x02, 7, 8, 9 };
	struct side r, s;

	associated(&r, &s, 0, 0);
	s.log_len = 0;
	ck_assert_int_eq(side_feed(&s, pd, sizeof(pd), 1, 0),
	    (long)sizeof(pd));
	ck_assert_str_eq(s.log, "pdv 1 1 0;pdv 1 2 3;"
	    "dataset 3;");
	ck_assert_int_eq(s.bad_chunking, 0);
	ck_assert_int_eq(ul_state(s.a), UL_STA6);
	side_release(&r);
	side_release(&s);
}
END_TEST

START_TEST(callback_abort_skips_the_rest_of_the_pdu)
{
	/* two PDVs in one P-DATA-TF, then an A-RELEASE-RQ */
	static const uint8_t pd[] = { 0x04, 0, 0, 0, 0, 14, 0, 0, 0, 3, 1,
		0x02, 7, 0, 0, 0, 3, 1, 0x02, 8, 0x05, 0, 0, 0, 0, 4, 0, 0, 0,
		0 };
	struct side r, s;

	associated(&r, &s, 0, SIDE_FAIL_PDV);
	ck_assert_int_eq(ul_recv(s.a, pd, sizeof(pd), 0), CS_E_CALLBACK);
	ck_assert_int_eq(s.n_pdv, 1);
	ck_assert_int_eq(s.n_rel_rq, 0); /* Sta13: AA-6 ignores it */
	ck_assert_int_eq(ul_state(s.a), UL_STA13);
	side_release(&r);
	side_release(&s);
}
END_TEST

START_TEST(every_failing_callback_is_reported)
{
	struct side r, s;
	long rc;

	/* on_associate_rq fails: Sta3, the user aborts (AA-1) */
	ck_assert_int_eq(side_init(&r, UL_REQUESTOR, 0, NULL), 0);
	ck_assert_int_eq(side_init(&s, UL_ACCEPTOR, SIDE_FAIL_CB, NULL), 0);
	ck_assert_int_eq(pair_run(&r, &s, 0, 1), -1);
	ck_assert_int_eq(s.last_rc, CS_E_CALLBACK);
	ck_assert_int_eq(r.n_abort, 1);
	ck_assert_uint_eq(r.abort.source, 0);
	side_release(&r);
	side_release(&s);
	/* on_associate_ac fails: Sta6, AA-1 */
	ck_assert_int_eq(side_init(&r, UL_REQUESTOR, SIDE_FAIL_CB, NULL), 0);
	ck_assert_int_eq(side_init(&s, UL_ACCEPTOR, SIDE_ACCEPT, NULL), 0);
	ck_assert_int_eq(pair_run(&r, &s, 0, 1), -1);
	ck_assert_int_eq(r.last_rc, CS_E_CALLBACK);
	ck_assert_int_eq(s.n_abort, 1);
	ck_assert_ptr_nonnull(strstr(ul_last_error(r.a)->msg,
	    "on_associate_ac"));
	side_release(&r);
	side_release(&s);
	/* on_associate_rj fails: already Sta1, just the error */
	ck_assert_int_eq(side_init(&r, UL_REQUESTOR, SIDE_FAIL_CB, NULL), 0);
	ck_assert_int_eq(side_init(&s, UL_ACCEPTOR, SIDE_REJECT, NULL), 0);
	ck_assert_int_eq(pair_run(&r, &s, 0, 1), -1);
	ck_assert_int_eq(r.last_rc, CS_E_CALLBACK);
	ck_assert_int_eq(ul_state(r.a), UL_STA1);
	side_release(&r);
	side_release(&s);
	/* on_release_rq fails (Sta8): AA-1; on_release_rp fails: Sta1 */
	associated(&r, &s, 0, 0);
	s.flags = SIDE_FAIL_CB;
	ck_assert_int_eq(ul_release_rq(r.a), 0);
	ck_assert_int_eq(pair_run(&r, &s, 0, 0), -1);
	ck_assert_int_eq(s.last_rc, CS_E_CALLBACK);
	ck_assert_int_eq(s.n_rel_rq, 1);
	ck_assert_int_eq(r.n_abort, 1);
	side_release(&r);
	side_release(&s);
	associated(&r, &s, 0, SIDE_RELEASE_RP);
	r.flags = SIDE_FAIL_CB;
	ck_assert_int_eq(ul_release_rq(r.a), 0);
	side_drain(&r, 0);
	ck_assert_int_eq(side_feed(&s, r.sent + r.sent_len - 10, 10, 0, 0),
	    10);
	side_drain(&s, 0);
	rc = side_feed(&r, s.sent + s.sent_len - 10, 10, 0, 0);
	ck_assert_int_eq(rc, CS_E_CALLBACK);
	ck_assert_int_eq(r.n_rel_rp, 1);
	ck_assert_int_eq(ul_state(r.a), UL_STA1);
	side_release(&r);
	side_release(&s);
}
END_TEST

START_TEST(malformed_association_pdus_abort)
{
	static const uint8_t rq0[] = { 0x01, 0, 0, 0, 0, 0 };
	static const uint8_t ac4[] = { 0x02, 0, 0, 0, 0, 4, 0, 1, 0, 0 };
	static struct ul_assoc_params rq;
	struct side x;

	ck_assert_int_eq(side_init(&x, UL_ACCEPTOR, SIDE_ACCEPT, NULL), 0);
	ck_assert_int_eq(ul_transport_connected(x.a, 0), 0);
	ck_assert_int_eq(ul_recv(x.a, rq0, sizeof(rq0), 0), CS_E_PROTO);
	expect_abort(&x, 2, 6);
	side_release(&x);
	pair_proposal(&rq);
	ck_assert_int_eq(side_init(&x, UL_REQUESTOR, 0, NULL), 0);
	ck_assert_int_eq(ul_associate_rq(x.a, &rq), 0);
	ck_assert_int_eq(ul_transport_connected(x.a, 0), 0);
	ck_assert_int_eq(ul_recv(x.a, ac4, sizeof(ac4), 0), CS_E_PROTO);
	expect_abort(&x, 2, 6);
	ck_assert_int_eq(x.n_abort, 1);
	ck_assert_int_eq(x.n_ac, 0);
	side_release(&x);
}
END_TEST


START_TEST(queue_compaction_keeps_the_stream_intact)
{
	static const uint8_t payload[4] = { 'W', 'X', 'Y', 'Z' };
	struct side r, s;

	associated(&r, &s, 0, 0);
	r.ds = payload;
	r.ds_len = sizeof(payload);
	/* queue, write part, queue more (the queue is compacted), with an
	 * owed payload in the middle */
	ck_assert_int_eq(ul_pdata(r.a, 3, 0, (const uint8_t *)"abc", 3), 0);
	ck_assert_uint_eq(side_drain(&r, 5), 5);
	ck_assert_int_eq(ul_pdata_external(r.a, 3, UL_PDV_LAST, 4), 0);
	ck_assert_uint_eq(side_drain(&r, 13), 13);
	ck_assert_int_eq(ul_pdata(r.a, 3, UL_PDV_COMMAND | UL_PDV_LAST,
	    (const uint8_t *)"z", 1), 0);
	ck_assert_uint_eq(side_drain(&r, 2), 2);
	ck_assert_int_eq(ul_pdata(r.a, 1, UL_PDV_COMMAND | UL_PDV_LAST,
	    (const uint8_t *)"q", 1), 0);
	ck_assert_int_eq(pair_run(&r, &s, 0, 0), 0);
	ck_assert_uint_eq(r.ext_off, 4);
	ck_assert_uint_eq(s.data_len, 7);
	ck_assert_mem_eq(s.data, "abcWXYZ", 7);
	ck_assert_ptr_nonnull(strstr(s.log, "pdv 3 0 3;pdv 3 2 4;dataset 7;"
	    "pdv 3 3 1;pdv 1 3 1;"));
	side_release(&r);
	side_release(&s);
}
END_TEST

START_TEST(local_primitives_validate_arguments)
{
	static struct ul_assoc_params ac;
	struct ul_assoc_rj bad = { 3, 1, 1 };
	struct side r, s;
	int i;

	ck_assert_int_eq(side_init(&r, UL_REQUESTOR, 0, NULL), 0);
	ck_assert_int_eq(side_init(&s, UL_ACCEPTOR, 0, NULL), 0);
	ck_assert_int_eq(pair_run(&r, &s, 0, 1), 0);
	ck_assert_int_eq(ul_state(s.a), UL_STA3);
	ck_assert_int_eq(ul_associate_accept(s.a, NULL), CS_E_INVAL);
	ck_assert_int_eq(ul_associate_reject(s.a, NULL), CS_E_INVAL);
	ck_assert_int_eq(ul_associate_reject(s.a, &bad), CS_E_INVAL);
	bad.result = 1;
	bad.source = 4;
	ck_assert_int_eq(ul_associate_reject(s.a, &bad), CS_E_INVAL);
	ck_assert_int_eq(ul_state(s.a), UL_STA3);
	side_drain(&s, 0);
	ck_assert_uint_eq(s.sent_len, 0);
	memset(&ac, 0, sizeof(ac));
	ac.n_pc = 3;
	for (i = 0; i < 3; i++) {
		ac.pc[i].id = (uint8_t)(2 * i + 1);
		ac.pc[i].result = UL_PC_USER_REJECTION;
	}
	ac.pc[0].result = UL_PC_ACCEPTANCE;
	ac.pc[0].n_ts = 1;
	snprintf(ac.pc[0].ts[0], UL_UID_MAX + 1, "1.2.840.10008.1.2");
	ck_assert_int_eq(ul_associate_accept(s.a, &ac), 0);
	ck_assert_int_eq(pair_run(&r, &s, 0, 0), 0);
	ck_assert_int_eq(ul_state(r.a), UL_STA6);
	ck_assert_int_eq(ul_pdata(r.a, 1, 0, NULL, 5), CS_E_INVAL);
	ck_assert_int_eq(ul_pdata_external(r.a, 1, 0,
	    ul_max_pdv_payload(r.a) + 1), CS_E_INVAL);
	ck_assert_int_eq(ul_pdata_external(r.a, 1, 0x10, 1), CS_E_INVAL);
	/* at most 8 owed payloads at once */
	for (i = 0; i < 8; i++)
		ck_assert_int_eq(ul_pdata_external(r.a, 1, 0, 1), 0);
	ck_assert_int_eq(ul_pdata_external(r.a, 1, 0, 1), CS_E_AGAIN);
	ck_assert(ul_established(r.a));
	side_release(&r);
	side_release(&s);
}
END_TEST

static int reentry_rc[4];

static int
reentering_rq(void *user, const struct ul_assoc_params *rq)
{
	struct ul_assoc *a = *(struct ul_assoc **)user;

	(void)rq;
	reentry_rc[0] = (int)ul_recv(a, (const uint8_t *)"x", 1, 0);
	reentry_rc[1] = ul_tick(a, 0);
	reentry_rc[2] = ul_transport_closed(a, 0);
	reentry_rc[3] = ul_transport_connected(a, 0);
	return 0;
}

START_TEST(callbacks_cannot_reenter_the_engine)
{
	static const struct ul_callbacks cb = { .on_associate_rq =
	    reentering_rq };
	static struct ul_assoc_params rq;
	struct ul_assoc *a;
	struct wr w;
	int i;

	pair_proposal(&rq);
	snprintf(rq.impl_class_uid, sizeof(rq.impl_class_uid), "1.2.3");
	wr_init(&w, 65536);
	ck_assert_int_eq(ul_encode_assoc_rq(&w, &rq), 0);
	a = ul_assoc_new(UL_ACCEPTOR, NULL, &cb, &a);
	ck_assert_ptr_nonnull(a);
	ck_assert_int_eq(ul_transport_connected(a, 0), 0);
	ck_assert_int_eq(ul_recv(a, w.p, w.len, 0), (ssize_t)w.len);
	for (i = 0; i < 4; i++)
		ck_assert_int_eq(reentry_rc[i], CS_E_STATE);
	ck_assert_int_eq(ul_state(a), UL_STA3);
	ck_assert_ptr_null(ul_assoc_new((enum ul_role_kind)3, NULL, NULL,
	    NULL));
	ul_assoc_free(a);
	ul_assoc_free(NULL);
	wr_release(&w);
}
END_TEST


START_TEST(peer_maximum_without_room_for_data_is_refused_locally)
{
	struct ul_config tiny = { 6, 0 }, seven = { 7, 0 }, eight = { 8, 0 },
	    odd = { 4097, 0 };
	struct side r, s;

	/* an AC announcing 6: PS3.8 9.3.5, 6 bytes hold a PDV header and
	 * no data; the requestor aborts at once (invalid parameter) */
	ck_assert_int_eq(side_init(&r, UL_REQUESTOR, 0, NULL), 0);
	ck_assert_int_eq(side_init(&s, UL_ACCEPTOR, SIDE_ACCEPT, &tiny), 0);
	ck_assert_int_eq(pair_run(&r, &s, 0, 1), -1);
	ck_assert_int_ne(ul_state(r.a), UL_STA6);
	ck_assert_int_eq(ul_last_error(r.a)->code, CS_E_REJECTED);
	ck_assert_ptr_nonnull(strstr(ul_last_error(r.a)->msg,
	    "maximum pdu length 6 leaves no room for data"));
	ck_assert_int_ne(ul_state(s.a), UL_STA6);
	side_release(&r);
	side_release(&s);
	/* an RQ announcing 7 (one odd byte, PS3.8 E.1 wants even
	 * fragments): rejected permanent, ACSE, no reason */
	ck_assert_int_eq(side_init(&r, UL_REQUESTOR, 0, &seven), 0);
	ck_assert_int_eq(side_init(&s, UL_ACCEPTOR, SIDE_ACCEPT, NULL), 0);
	pair_run(&r, &s, 0, 1);
	ck_assert_int_ne(ul_state(r.a), UL_STA6);
	ck_assert_int_eq(ul_last_error(s.a)->code, CS_E_REJECTED);
	ck_assert_int_eq(ul_last_error(r.a)->code, CS_E_REJECTED);
	ck_assert_ptr_nonnull(strstr(ul_last_error(r.a)->msg,
	    "(result 1, source 2, reason 1)"));
	side_release(&r);
	side_release(&s);
	/* 8: a PDV header and a 2-byte fragment */
	ck_assert_int_eq(side_init(&r, UL_REQUESTOR, 0, NULL), 0);
	ck_assert_int_eq(side_init(&s, UL_ACCEPTOR, SIDE_ACCEPT, &eight), 0);
	ck_assert_int_eq(pair_run(&r, &s, 0, 1), 0);
	ck_assert_int_eq(ul_state(r.a), UL_STA6);
	ck_assert_uint_eq(ul_max_pdv_payload(r.a), 2);
	ck_assert_int_eq(ul_pdata(r.a, 1, 0, (const uint8_t *)"xy", 2), 0);
	side_release(&r);
	side_release(&s);
	/* an odd maximum: fragments stay even (PS3.8 E.1) */
	ck_assert_int_eq(side_init(&r, UL_REQUESTOR, 0, NULL), 0);
	ck_assert_int_eq(side_init(&s, UL_ACCEPTOR, SIDE_ACCEPT, &odd), 0);
	ck_assert_int_eq(pair_run(&r, &s, 0, 1), 0);
	ck_assert_int_eq(ul_state(r.a), UL_STA6);
	ck_assert_uint_eq(ul_max_pdv_payload(r.a), 4090);
	side_release(&r);
	side_release(&s);
}
END_TEST

/* --- timers ---------------------------------------------------------------- */

START_TEST(artim_expires_without_rq)
{
	struct ul_config cfg = { 0, 500 };
	struct side x;

	ck_assert_int_eq(side_init(&x, UL_ACCEPTOR, SIDE_ACCEPT, &cfg), 0);
	ck_assert_int_eq(ul_next_deadline(x.a), -1);
	ck_assert_int_eq(ul_transport_connected(x.a, 1000), 0);
	ck_assert_int_eq(ul_next_deadline(x.a), 1500);
	ck_assert_int_eq(ul_tick(x.a, 1499), 0);
	ck_assert_int_eq(ul_state(x.a), UL_STA2);
	ck_assert(!ul_want_close(x.a));
	ck_assert_int_eq(ul_tick(x.a, 1500), CS_E_TIMEOUT);
	ck_assert_int_eq(ul_state(x.a), UL_STA1);
	ck_assert(ul_want_close(x.a));
	ck_assert_int_eq(ul_next_deadline(x.a), -1);
	ck_assert_int_eq(x.n_abort, 0);
	side_drain(&x, 0);
	ck_assert_uint_eq(x.sent_len, 0); /* AA-2 sends nothing */
	side_release(&x);
}
END_TEST

START_TEST(artim_bounds_the_wait_for_close_after_release)
{
	struct ul_config cfg = { 0, 2000 };
	struct side r, s;

	ck_assert_int_eq(side_init(&r, UL_REQUESTOR, 0, NULL), 0);
	ck_assert_int_eq(side_init(&s, UL_ACCEPTOR,
	    SIDE_ACCEPT | SIDE_RELEASE_RP, &cfg), 0);
	ck_assert_int_eq(pair_run(&r, &s, 0, 1), 0);
	ck_assert_int_eq(ul_release_rq(r.a), 0);
	side_drain(&r, 0);
	ck_assert_int_eq(side_feed(&s, r.sent + r.sent_len - 10, 10, 0, 5000),
	    10);
	/* AR-4: RP sent, ARTIM started from the latest time we were given */
	ck_assert_int_eq(ul_state(s.a), UL_STA13);
	ck_assert_int_eq(ul_next_deadline(s.a), 7000);
	ck_assert(!ul_want_close(s.a));
	ck_assert_int_eq(ul_tick(s.a, 6999), 0);
	ck_assert_int_eq(ul_tick(s.a, 7000), 0);
	ck_assert_int_eq(ul_state(s.a), UL_STA1);
	ck_assert(ul_want_close(s.a));
	side_release(&r);
	side_release(&s);
}
END_TEST

/* --- output queue --------------------------------------------------------- */

START_TEST(output_queue_is_capped)
{
	struct side r, s;
	uint8_t *big = calloc(1, UL_OUT_QUEUE_MAX);
	int i, rc = 0;

	ck_assert_ptr_nonnull(big);
	associated(&r, &s, 0, 0);
	/* never fits, even empty */
	ck_assert_int_eq(ul_pdata(r.a, 1, 0, big, UL_OUT_QUEUE_MAX),
	    CS_E_INVAL);
	for (i = 0; i < 100 && rc == 0; i++)
		rc = ul_pdata(r.a, 1, 0, big, 64 * 1024);
	ck_assert_int_eq(rc, CS_E_AGAIN);
	ck_assert_int_lt(i, 100);
	ck_assert_uint_le(ul_out_peek(r.a, &(const uint8_t *){ NULL }),
	    UL_OUT_QUEUE_MAX);
	/* control PDUs still fit */
	ck_assert_int_eq(ul_release_rq(r.a), 0);
	/* draining makes room again */
	side_drain(&r, 0);
	ck_assert_int_eq(ul_state(r.a), UL_STA7);
	ck_assert_int_eq(ul_pdata(r.a, 1, 0, big, 1), CS_E_STATE);
	free(big);
	side_release(&r);
	side_release(&s);
}
END_TEST

START_TEST(trace_sees_every_pdu)
{
	struct side r, s;

	run_full(&r, &s, R_FLAGS, 100, NULL, NULL, 0);
	/* r: RQ, 2 P-DATA sent; AC, 2 P-DATA, RP received; release RQ */
	ck_assert_int_eq(r.n_trace, 8);
	ck_assert_int_eq(s.n_trace, 8);
	side_release(&r);
	side_release(&s);
}
END_TEST

/* --- allocation failure ----------------------------------------------------- */

START_TEST(allocation_failure_at_every_point_is_clean)
{
	unsigned long n, made;
	int done = 0;

	fill_dataset();
	for (n = 1; n < 10000 && !done; n++) {
		struct side r, s;
		int rc, ok_r, ok_s;

		cs_alloc_fail_at(n);
		ok_r = side_init(&r, UL_REQUESTOR, R_FLAGS | SIDE_EXTERNAL,
		    NULL) == 0;
		ok_s = side_init(&s, UL_ACCEPTOR, S_FLAGS, NULL) == 0;
		rc = -1;
		if (ok_r && ok_s) {
			r.ds = dataset;
			r.ds_len = 1000;
			rc = pair_run(&r, &s, 7, 1);
		}
		made = cs_alloc_fail_at(0);
		if (made < n) {
			/* the failure was not reached: a clean full run */
			ck_assert_int_eq(rc, 0);
			check_full(&r, &s, 1000);
			done = 1;
		} else if (ok_r && ok_s && rc == 0) {
			/* a failure absorbed: it must still have worked */
			check_full(&r, &s, 1000);
		} else if (ok_r && ok_s) {
			/* an error was reported; nothing half-delivered */
			ck_assert(r.last_rc < 0 || s.last_rc < 0);
			ck_assert_int_le(s.data_done, 1);
			ck_assert_int_eq(r.bad_chunking + s.bad_chunking, 0);
		}
		side_release(&r);
		side_release(&s);
	}
	ck_assert(done);
	ck_assert_uint_gt(n, 4);
}
END_TEST

Suite *
ul_assoc_suite(void)
{
	Suite *s = suite_create("ul_assoc");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, pair_associates_exchanges_data_and_releases);
	tcase_add_test(tc, pair_works_one_byte_at_a_time);
	tcase_add_test(tc, output_drained_inside_a_callback_is_the_same_stream);
	tcase_add_test(tc, pdata_fragments_to_the_peer_maximum);
	tcase_add_test(tc, pdata_external_sends_payload_from_the_caller);
	tcase_add_test(tc, out_peek_stops_at_owed_payload);
	tcase_add_test(tc, every_split_gives_the_same_events_and_output);
	tcase_add_test(tc, every_split_of_rejection_and_abort_streams);
	tcase_add_test(tc, bytes_after_the_end_are_not_consumed);
	tcase_add_test(tc, release_collision_ends_on_both_sides);
	tcase_add_test(tc, abort_by_requestor_reaches_acceptor);
	tcase_add_test(tc, abort_by_acceptor_reaches_requestor);
	tcase_add_test(tc, rejection_reaches_requestor);
	tcase_add_test(tc, callback_failure_aborts_with_callback_error);
	tcase_add_test(tc, huge_length_is_refused_before_reading);
	tcase_add_test(tc, unknown_pdu_type_is_unrecognized_pdu);
	tcase_add_test(tc, an_ac_repeats_the_rq_titles_byte_for_byte);
	tcase_add_test(tc, in_pdu_tells_the_length_and_what_is_still_due);
	tcase_add_test(tc, truncated_pdu_then_close_is_provider_abort);
	tcase_add_test(tc, pdata_before_association_aborts);
	tcase_add_test(tc, oversized_pdata_aborts);
	tcase_add_test(tc, pdv_on_unaccepted_context_aborts);
	tcase_add_test(tc, malformed_pdv_items_abort);
	tcase_add_test(tc, fixed_size_pdu_with_wrong_length_aborts);
	tcase_add_test(tc, malformed_rq_aborts_acceptor);
	tcase_add_test(tc, protocol_version_without_bit0_is_rejected);
	tcase_add_test(tc, unacceptable_rq_is_rejected_not_aborted);
	tcase_add_test(tc, ac_answering_what_was_not_proposed_aborts);
	tcase_add_test(tc, accept_must_answer_every_context_correctly);
	tcase_add_test(tc, associate_rq_refuses_bad_proposals);
	tcase_add_test(tc, pair_works_with_short_writes);
	tcase_add_test(tc, empty_pdv_is_one_empty_chunk);
	tcase_add_test(tc, callback_abort_skips_the_rest_of_the_pdu);
	tcase_add_test(tc, every_failing_callback_is_reported);
	tcase_add_test(tc, malformed_association_pdus_abort);
	tcase_add_test(tc, queue_compaction_keeps_the_stream_intact);
	tcase_add_test(tc, local_primitives_validate_arguments);
	tcase_add_test(tc, callbacks_cannot_reenter_the_engine);
	tcase_add_test(tc,
	    peer_maximum_without_room_for_data_is_refused_locally);
	tcase_add_test(tc, artim_expires_without_rq);
	tcase_add_test(tc, artim_bounds_the_wait_for_close_after_release);
	tcase_add_test(tc, output_queue_is_capped);
	tcase_add_test(tc, trace_sees_every_pdu);
	tcase_add_test(tc, allocation_failure_at_every_point_is_clean);
	suite_add_tcase(s, tc);
	return s;
}
