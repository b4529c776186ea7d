/*
 * t_dimse_send.c - sending DIMSE messages through a real struct ul_assoc:
 * a requestor and an acceptor wired in memory, each receiving through a
 * struct dimse_rx, exchanging C-ECHO and C-STORE messages.
 */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cstore/cstore.h"
#include "core/dimse_cmd.h"
#include "core/dimse_msg.h"
#include "core/ul_assoc.h"
#include "core/ul_pdu.h"
#include "ul_pair.h"

Suite *dimse_send_suite(void);

#define CT "1.2.840.10008.5.1.4.1.1.2"
#define IVLE "1.2.840.10008.1.2"
#define PC_ECHO 1
#define PC_CT 3

struct peer {
	struct ul_assoc *a;
	struct dimse_rx rx;
	/* what its receiver saw */
	int commands;
	struct dimse_cmd cmd;
	uint8_t *data;
	size_t data_len;
	int lasts;
	size_t largest_chunk;
	/* the acceptor answers every request from its callbacks */
	int answer;
	uint16_t answer_status;
	/* source of payload owed for ul_pdata_external */
	const uint8_t *ext;
	size_t ext_off;
	struct cs_err err;
};

static int
on_associate_rq(void *user, const struct ul_assoc_params *rq)
{
	struct peer *p = user;

	(void)rq;
	pair_accept_all(p->a);
	return 0;
}

static int
on_pdv(void *user, uint8_t pcid, uint8_t control, const uint8_t *data,
    size_t len)
{
	struct peer *p = user;

	return dimse_rx_pdv(&p->rx, pcid, control, data, len);
}

/* Answers a request once it is complete (from inside the callbacks, as an
 * SCP built on these pieces would). */
static int
answer(struct peer *p, uint8_t pcid)
{
	struct dimse_cmd rsp;

	if (!p->answer)
		return 0;
	if (p->cmd.command_field == DIMSE_C_ECHO_RQ)
		dimse_cecho_rsp(&rsp, &p->cmd, p->answer_status);
	else
		dimse_cstore_rsp(&rsp, &p->cmd, p->answer_status);
	return dimse_send_command(p->a, pcid, &rsp, &p->err);
}

static int
on_command(void *user, uint8_t pcid, const struct dimse_cmd *cmd)
{
	struct peer *p = user;

	p->commands++;
	p->cmd = *cmd;
	if (!dimse_cmd_has_dataset(cmd))
		return answer(p, pcid);
	return 0;
}

static int
on_dataset(void *user, uint8_t pcid, const uint8_t *data, size_t len,
    int last)
{
	struct peer *p = user;

	p->data = realloc(p->data, p->data_len + len + 1);
	ck_assert_ptr_nonnull(p->data);
	if (len)
		memcpy(p->data + p->data_len, data, len);
	p->data_len += len;
	if (len > p->largest_chunk)
		p->largest_chunk = len;
	if (!last)
		return 0;
	p->lasts++;
	return answer(p, pcid);
}

static const struct ul_callbacks ul_cbs = { on_associate_rq, NULL, NULL,
	on_pdv, NULL, NULL, NULL };
static const struct dimse_rx_callbacks rx_cbs = { on_command, on_dataset };

static void
peer_init(struct peer *p, enum ul_role_kind role, uint32_t max_pdu)
{
	struct ul_config cfg = { max_pdu, 0 };

	memset(p, 0, sizeof(*p));
	p->a = ul_assoc_new(role, &cfg, &ul_cbs, p);
	ck_assert_ptr_nonnull(p->a);
	dimse_rx_init(&p->rx, &rx_cbs, p);
}

static void
peer_release(struct peer *p)
{
	ul_assoc_free(p->a);
	dimse_rx_release(&p->rx);
	free(p->data);
}

/* Moves everything from's output (and owed payload) into to. */
static size_t
pump(struct peer *from, struct peer *to)
{
	size_t moved = 0;

	for (;;) {
		const uint8_t *out;
		size_t n = ul_out_peek(from->a, &out), owed;

		if (n > 0) {
			ck_assert_int_eq(ul_recv(to->a, out, n, 1000), (long)n);
			ul_out_consume(from->a, n);
			moved += n;
		} else if ((owed = ul_out_payload_owed(from->a)) > 0) {
			ck_assert_ptr_nonnull(from->ext);
			ck_assert_int_eq(ul_recv(to->a, from->ext +
			    from->ext_off, owed, 1000), (long)owed);
			from->ext_off += owed;
			ul_out_payload_sent(from->a, owed);
			moved += owed;
		} else {
			return moved;
		}
	}
}

static void
settle(struct peer *r, struct peer *s)
{
	while (pump(r, s) + pump(s, r) > 0)
		;
}

/* An established association: r the requestor (SCU), s the acceptor. */
static void
connect_pair(struct peer *r, struct peer *s, uint32_t s_max_pdu)
{
	static struct ul_assoc_params rq;

	peer_init(r, UL_REQUESTOR, 0);
	peer_init(s, UL_ACCEPTOR, s_max_pdu);
	s->answer = 1;
	memset(&rq, 0, sizeof(rq));
	snprintf(rq.called_ae, sizeof(rq.called_ae), "ARCHIVE");
	snprintf(rq.calling_ae, sizeof(rq.calling_ae), "MODALITY");
	rq.n_pc = 2;
	rq.pc[0].id = PC_ECHO;
	snprintf(rq.pc[0].abstract_syntax, UL_UID_MAX + 1, "%s",
	    DIMSE_VERIFICATION_UID);
	rq.pc[0].n_ts = 1;
	snprintf(rq.pc[0].ts[0], UL_UID_MAX + 1, IVLE);
	rq.pc[1].id = PC_CT;
	snprintf(rq.pc[1].abstract_syntax, UL_UID_MAX + 1, CT);
	rq.pc[1].n_ts = 1;
	snprintf(rq.pc[1].ts[0], UL_UID_MAX + 1, IVLE);
	ck_assert_int_eq(ul_associate_rq(r->a, &rq), 0);
	ck_assert_int_eq(ul_transport_connected(r->a, 1000), 0);
	ck_assert_int_eq(ul_transport_connected(s->a, 1000), 0);
	settle(r, s);
	ck_assert(ul_established(r->a));
	ck_assert(ul_established(s->a));
}

static uint8_t *
dataset(size_t n)
{
	uint8_t *d = malloc(n ? n : 1);
	size_t i;

	ck_assert_ptr_nonnull(d);
	for (i = 0; i < n; i++)
		d[i] = (uint8_t)(i * 13 + 1);
	return d;
}

START_TEST(an_echo_request_is_answered_through_two_associations)
{
	struct peer r, s;
	struct dimse_cmd rq;
	struct cs_err err = { 0, "" };

	connect_pair(&r, &s, 0);
	dimse_cecho_rq(&rq, 41);
	ck_assert_int_eq(dimse_send_command(r.a, PC_ECHO, &rq, &err), 0);
	settle(&r, &s);
	ck_assert_int_eq(s.commands, 1);
	ck_assert_uint_eq(s.cmd.command_field, DIMSE_C_ECHO_RQ);
	ck_assert_int_eq(r.commands, 1);
	ck_assert_uint_eq(r.cmd.command_field, DIMSE_C_ECHO_RSP);
	ck_assert_uint_eq(r.cmd.message_id_rsp, 41);
	ck_assert_uint_eq(r.cmd.status, 0);
	ck_assert_str_eq(r.cmd.affected_class, DIMSE_VERIFICATION_UID);
	ck_assert_int_eq(s.err.code, 0);
	peer_release(&r);
	peer_release(&s);
}
END_TEST

START_TEST(a_store_from_memory_is_fragmented_to_the_peer_maximum)
{
	struct peer r, s;
	struct dimse_cmd rq;
	struct cs_err err = { 0, "" };
	size_t n = 100000;
	uint8_t *d = dataset(n);

	/* the acceptor takes PDUs of 1024 bytes: PDVs of at most 1018 */
	connect_pair(&r, &s, 1024);
	ck_assert_uint_eq(ul_max_pdv_payload(r.a), 1018);
	ck_assert_int_eq(dimse_cstore_rq(&rq, 7, CT, "1.2.3.4", 0), 0);
	ck_assert_int_eq(dimse_send_command(r.a, PC_CT, &rq, &err), 0);
	ck_assert_int_eq(dimse_send_dataset(r.a, PC_CT, d, 60000, 0, &err),
	    0);
	settle(&r, &s);
	ck_assert_int_eq(s.lasts, 0);
	ck_assert_int_eq(dimse_send_dataset(r.a, PC_CT, d + 60000, n - 60000,
	    1, &err), 0);
	settle(&r, &s);
	ck_assert_int_eq(s.commands, 1);
	ck_assert_str_eq(s.cmd.affected_instance, "1.2.3.4");
	ck_assert_int_eq(s.lasts, 1);
	ck_assert_uint_eq(s.data_len, n);
	ck_assert_mem_eq(s.data, d, n);
	ck_assert_uint_le(s.largest_chunk, 1018);
	ck_assert_int_eq(r.commands, 1);
	ck_assert_uint_eq(r.cmd.command_field, DIMSE_C_STORE_RSP);
	ck_assert_uint_eq(r.cmd.message_id_rsp, 7);
	ck_assert_str_eq(r.cmd.affected_instance, "1.2.3.4");
	peer_release(&r);
	peer_release(&s);
	free(d);
}
END_TEST

static void
store_external(size_t n, uint32_t s_max_pdu)
{
	struct peer r, s;
	struct dimse_cmd rq;
	struct dimse_frag_plan plan;
	struct cs_err err = { 0, "" };
	uint8_t *d = dataset(n);
	uint32_t len;
	int rc, frags = 0;

	connect_pair(&r, &s, s_max_pdu);
	s.answer_status = 0xB007;
	ck_assert_int_eq(dimse_cstore_rq(&rq, 8, CT, "1.2.3.5", 0), 0);
	ck_assert_int_eq(dimse_send_command(r.a, PC_CT, &rq, &err), 0);
	r.ext = d;
	ck_assert_int_eq(dimse_plan_init(&plan, n, ul_max_pdv_payload(r.a)),
	    0);
	while ((rc = dimse_send_dataset_next(r.a, PC_CT, &plan, &len,
	    &err)) == 1) {
		size_t before = r.ext_off;

		settle(&r, &s); /* writes the header, then len bytes of d */
		ck_assert_uint_eq(r.ext_off - before, len);
		frags++;
	}
	ck_assert_int_eq(rc, 0);
	ck_assert_uint_eq(r.ext_off, n);
	ck_assert_int_eq(frags, n == 0 ? 1 :
	    (int)((n + ul_max_pdv_payload(r.a) - 1) / ul_max_pdv_payload(r.a)));
	ck_assert_int_eq(s.lasts, 1);
	ck_assert_uint_eq(s.data_len, n);
	if (n)
		ck_assert_mem_eq(s.data, d, n);
	ck_assert_uint_eq(r.cmd.status, 0xB007);
	ck_assert_uint_eq(r.cmd.message_id_rsp, 8);
	peer_release(&r);
	peer_release(&s);
	free(d);
}

START_TEST(a_store_streamed_as_external_fragments_arrives_whole)
{
	store_external(50000, 4096);
	store_external(4090, 4096); /* exactly one full fragment */
	store_external(4091, 4096);
	store_external(300000, 0); /* unlimited peer: one fragment */
}
END_TEST

START_TEST(an_empty_data_set_is_one_empty_last_fragment)
{
	store_external(0, 4096);
}
END_TEST

START_TEST(a_full_output_queue_is_retried_without_losing_a_fragment)
{
	struct peer r, s;
	struct dimse_cmd rq;
	struct dimse_frag_plan plan;
	struct cs_err err = { 0, "" };
	size_t n = 20 * 1018 + 5;
	uint8_t *d = dataset(n);
	uint32_t len;
	int rc, queued = 0, again = 0;

	connect_pair(&r, &s, 1024);
	ck_assert_int_eq(dimse_cstore_rq(&rq, 2, CT, "1.2.3.6", 0), 0);
	ck_assert_int_eq(dimse_send_command(r.a, PC_CT, &rq, &err), 0);
	r.ext = d;
	ck_assert_int_eq(dimse_plan_init(&plan, n, ul_max_pdv_payload(r.a)),
	    0);
	/* queue fragments without writing until the engine says "again" */
	while ((rc = dimse_send_dataset_next(r.a, PC_CT, &plan, &len,
	    &err)) != 0) {
		if (rc == CS_E_AGAIN) {
			ck_assert_str_eq(err.msg, "cannot send data set "
			    "fragment on presentation context 3: try again");
			cs_err_clear(&err);
			again++;
			settle(&r, &s);
			continue;
		}
		ck_assert_int_eq(rc, 1);
		queued++;
	}
	settle(&r, &s);
	ck_assert_int_gt(again, 0);
	ck_assert_int_eq(queued, 21);
	ck_assert_uint_eq(s.data_len, n);
	ck_assert_mem_eq(s.data, d, n);
	ck_assert_int_eq(s.lasts, 1);
	ck_assert_uint_eq(r.cmd.message_id_rsp, 2);
	peer_release(&r);
	peer_release(&s);
	free(d);
}
END_TEST

START_TEST(send_failures_name_the_message_and_context)
{
	struct peer r, s;
	struct dimse_cmd rq;
	struct cs_err err = { 0, "" };
	const uint8_t *out;

	connect_pair(&r, &s, 0);
	dimse_cecho_rq(&rq, 1);
	ck_assert_int_eq(dimse_send_command(r.a, 9, &rq, &err), CS_E_INVAL);
	ck_assert_str_eq(err.msg, "cannot send C-ECHO-RQ on presentation "
	    "context 9: presentation context 9 is not accepted");
	/* an invalid command is refused before anything is queued */
	cs_err_clear(&err);
	rq.has &= ~(unsigned)DIMSE_HAS_MESSAGE_ID;
	ck_assert_int_eq(dimse_send_command(r.a, PC_ECHO, &rq, &err),
	    CS_E_INVAL);
	ck_assert_str_eq(err.msg, "C-ECHO-RQ lacks (0000,0110) Message ID");
	ck_assert_uint_eq(ul_out_peek(r.a, &out), 0);
	cs_err_clear(&err);
	ck_assert_int_eq(dimse_send_dataset(r.a, 11, out, 0, 1, &err),
	    CS_E_INVAL);
	ck_assert_ptr_nonnull(strstr(err.msg, "cannot send data set on "
	    "presentation context 11"));
	peer_release(&r);
	peer_release(&s);
}
END_TEST

Suite *
dimse_send_suite(void)
{
	Suite *s = suite_create("dimse_send");
	TCase *tc = tcase_create("pair");

	tcase_add_test(tc, an_echo_request_is_answered_through_two_associations);
	tcase_add_test(tc, a_store_from_memory_is_fragmented_to_the_peer_maximum);
	tcase_add_test(tc, a_store_streamed_as_external_fragments_arrives_whole);
	tcase_add_test(tc, an_empty_data_set_is_one_empty_last_fragment);
	tcase_add_test(tc,
	    a_full_output_queue_is_retried_without_losing_a_fragment);
	tcase_add_test(tc, send_failures_name_the_message_and_context);
	suite_add_tcase(s, tc);
	return s;
}
