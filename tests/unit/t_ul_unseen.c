/*
 * t_ul_unseen.c - opaque payload consumed past the engine
 * (ul_in_opaque, ul_recv_unseen; what a receiver splicing a data set
 * into its file uses): every split of the stream, skips of every size
 * inside a PDV, never over a PDV or PDU header nor into a command, and
 * the data set reassembled byte for byte from what on_pdv was told.
 */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cstore/cstore.h"
#include "core/ul_assoc.h"
#include "core/ul_fsm.h"
#include "core/ul_pdu.h"
#include "ul_pair.h"

Suite *ul_unseen_suite(void);

#define PCID 3
#define DS_LEN 3001 /* odd: the last PDV is odd too */

static uint8_t ds[DS_LEN];
static const uint8_t command[20] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 };

/* r and s associated; r has queued a command and a data set of n
 * bytes in PDVs of at most max_pdu - 6: *in, *len the stream to s. */
static void
setup(struct side *r, struct side *s, uint32_t max_pdu, size_t n,
    const uint8_t **in, size_t *len)
{
	struct ul_config scfg = { .max_pdu_recv = max_pdu };
	size_t i;

	for (i = 0; i < sizeof(ds); i++)
		ds[i] = (uint8_t)(i * 13 + 5);
	ck_assert_int_eq(side_init(r, UL_REQUESTOR, 0, NULL), 0);
	ck_assert_int_eq(
	    side_init(s, UL_ACCEPTOR, SIDE_ACCEPT, &scfg), 0);
	ck_assert_int_eq(pair_run(r, s, 0, 1), 0);
	ck_assert_int_eq(ul_state(s->a), UL_STA6);
	ck_assert_int_eq(ul_pdata(r->a, PCID, UL_PDV_COMMAND | UL_PDV_LAST,
			     command, sizeof(command)),
	    0);
	ck_assert_int_eq(ul_pdata(r->a, PCID, UL_PDV_LAST, ds, n), 0);
	side_drain(r, 0);
	*in = r->sent + r->fed;
	*len = r->sent_len - r->fed;
}

/* What s saw must be the data set whole, in the usual PDV log. */
static void
check_whole(struct side *s, size_t n)
{
	ck_assert_int_eq(s->bad_chunking, 0);
	ck_assert_int_eq(s->data_done, 1);
	ck_assert_uint_eq(s->data_len, n);
	ck_assert_mem_eq(s->data, ds, n);
	ck_assert_int_eq(ul_state(s->a), UL_STA6);
}

/*
 * Feeds in[0, len) to s: chunk bytes at a time by ul_recv, and
 * wherever ul_in_opaque allows, skip(opaque) bytes unseen.  Returns the
 * number of unseen calls.
 */
static int
feed_skipping(struct side *s, const uint8_t *in, size_t len, size_t chunk,
    size_t (*skip)(size_t))
{
	size_t pos = 0;
	int skips = 0;

	while (pos < len) {
		uint8_t pcid = 0;
		uint32_t op = ul_in_opaque(s->a, &pcid);
		size_t k;
		ssize_t rc;

		if (op > 0 && (k = skip(op)) > 0) {
			ck_assert_uint_eq(pcid, PCID);
			ck_assert_uint_le(pos + op, len);
			s->unseen = in + pos;
			rc = ul_recv_unseen(s->a, k, 0);
			ck_assert_int_eq(rc, (ssize_t)k);
			ck_assert_ptr_eq(s->unseen, in + pos + k);
			pos += k;
			skips++;
			continue;
		}
		k = len - pos < chunk ? len - pos : chunk;
		rc = ul_recv(s->a, in + pos, k, 0);
		ck_assert_int_eq(rc, (ssize_t)k);
		pos += k;
	}
	return skips;
}

static size_t
skip_all(size_t op)
{
	return op;
}

static size_t
skip_half(size_t op)
{
	return op > 1 ? op / 2 : 1;
}

static size_t
skip_one(size_t op)
{
	(void)op;
	return 1;
}

static size_t
skip_all_but_one(size_t op)
{
	return op - 1;
}

START_TEST(skips_of_every_size_reassemble_the_data_set)
{
	size_t (*const how[])(size_t) = { skip_all, skip_half, skip_one,
		skip_all_but_one };
	size_t chunk;
	unsigned h;

	for (h = 0; h < sizeof(how) / sizeof(how[0]); h++)
		for (chunk = 1; chunk <= 14; chunk++) {
			struct side r, s;
			const uint8_t *in;
			size_t len;
			int skips;

			/* PDVs of 506 bytes: 6 PDUs, the last odd */
			setup(&r, &s, 512, DS_LEN, &in, &len);
			skips = feed_skipping(&s, in, len, chunk, how[h]);
			ck_assert_int_gt(skips, 5);
			check_whole(&s, DS_LEN);
			ck_assert_int_eq(s.n_unseen, skips);
			side_release(&r);
			side_release(&s);
		}
}
END_TEST

/* Opaque is offered nowhere but inside a data set PDV's data: fed one
 * byte at a time, it is 0 on every header and command byte. */
START_TEST(never_offered_on_a_header_or_a_command)
{
	struct side r, s;
	const uint8_t *in;
	size_t len, pos, pdu_end = 0, pdv_data = 0, pdv_end = 0;
	size_t offered = 0;

	setup(&r, &s, 512, DS_LEN, &in, &len);
	for (pos = 0; pos < len; pos++) {
		uint8_t pcid;
		uint32_t op = ul_in_opaque(s.a, &pcid);

		if (pos == pdu_end) {
			/* a PDU header at pos: one PDV of (length) */
			uint32_t l = (uint32_t)in[pos + 2] << 24 |
			    (uint32_t)in[pos + 3] << 16 |
			    (uint32_t)in[pos + 4] << 8 | in[pos + 5];

			pdu_end = pos + 6 + l;
			pdv_data = pos + 12;
			pdv_end = pdu_end;
		}
		if (pos < pdv_data || (in[pdv_data - 1] & UL_PDV_COMMAND)) {
			ck_assert_uint_eq(op, 0);
		} else {
			/* exactly the rest of this PDV, never beyond */
			ck_assert_uint_eq(op, pdv_end - pos);
			offered++;
		}
		ck_assert_int_eq(ul_recv(s.a, in + pos, 1, 0), 1);
	}
	ck_assert_uint_eq(offered, DS_LEN);
	check_whole(&s, DS_LEN);
	side_release(&r);
	side_release(&s);
}
END_TEST

/* Two PDVs in one P-DATA-TF: the first one's rest, not the second's
 * header; then the second's. */
START_TEST(stops_at_the_next_pdv_of_the_same_pdu)
{
	uint8_t pd[6 + 6 + 100 + 6 + 51];
	struct side r, s;
	const uint8_t *in;
	size_t len;
	uint8_t pcid;

	setup(&r, &s, 512, DS_LEN, &in, &len);
	/* the command PDU only: the data set comes hand made */
	ck_assert_int_eq(ul_recv(s.a, in, 6 + 6 + sizeof(command), 0),
	    (ssize_t)(6 + 6 + sizeof(command)));
	memset(pd, 0, sizeof(pd));
	pd[0] = 0x04;
	pd[5] = (uint8_t)(sizeof(pd) - 6);
	pd[9] = 102; /* PDV 1: 100 bytes, not last */
	pd[10] = PCID;
	memcpy(pd + 12, ds, 100);
	pd[12 + 100 + 3] = 53; /* PDV 2: 51 bytes, last */
	pd[12 + 100 + 4] = PCID;
	pd[12 + 100 + 5] = UL_PDV_LAST;
	memcpy(pd + 12 + 100 + 6, ds + 100, 51);
	ck_assert_int_eq(ul_recv(s.a, pd, 12 + 30, 0), 12 + 30);
	ck_assert_uint_eq(ul_in_opaque(s.a, &pcid), 70);
	/* one byte too many changes nothing */
	ck_assert_int_eq(ul_recv_unseen(s.a, 71, 0), CS_E_INVAL);
	ck_assert_int_eq(ul_recv_unseen(s.a, 0, 0), CS_E_INVAL);
	ck_assert_uint_eq(ul_in_opaque(s.a, &pcid), 70);
	s.unseen = pd + 12 + 30;
	ck_assert_int_eq(ul_recv_unseen(s.a, 70, 0), 70);
	ck_assert_uint_eq(ul_in_opaque(s.a, &pcid), 0);
	ck_assert_int_eq(ul_recv(s.a, pd + 112, 7, 0), 7);
	ck_assert_uint_eq(ul_in_opaque(s.a, &pcid), 50);
	s.unseen = pd + 119;
	ck_assert_int_eq(ul_recv_unseen(s.a, 50, 0), 50);
	check_whole(&s, 151);
	/* between PDUs: nothing */
	ck_assert_uint_eq(ul_in_opaque(s.a, &pcid), 0);
	ck_assert_int_eq(ul_recv_unseen(s.a, 1, 0), CS_E_INVAL);
	side_release(&r);
	side_release(&s);
}
END_TEST

/* A callback failing on unseen bytes aborts as with seen ones, and
 * nothing more is offered. */
START_TEST(failing_callback_on_unseen_bytes_aborts)
{
	struct side r, s;
	const uint8_t *in;
	size_t len;
	uint8_t pcid;

	setup(&r, &s, 512, DS_LEN, &in, &len);
	ck_assert_int_eq(ul_recv(s.a, in, 6 + 6 + sizeof(command) + 20, 0),
	    (ssize_t)(6 + 6 + sizeof(command) + 20));
	ck_assert_uint_gt(ul_in_opaque(s.a, &pcid), 0);
	s.flags |= SIDE_FAIL_PDV;
	s.unseen = in + 6 + 6 + sizeof(command) + 20;
	ck_assert_int_eq(ul_recv_unseen(s.a, 100, 0), CS_E_CALLBACK);
	ck_assert_int_eq(ul_state(s.a), UL_STA13);
	ck_assert_uint_eq(ul_in_opaque(s.a, &pcid), 0);
	side_release(&r);
	side_release(&s);
}
END_TEST

Suite *
ul_unseen_suite(void)
{
	Suite *s = suite_create("ul_unseen");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, skips_of_every_size_reassemble_the_data_set);
	tcase_add_test(tc, never_offered_on_a_header_or_a_command);
	tcase_add_test(tc, stops_at_the_next_pdv_of_the_same_pdu);
	tcase_add_test(tc, failing_callback_on_unseen_bytes_aborts);
	suite_add_tcase(s, tc);
	return s;
}
