/* t_dimse_msg.c - DIMSE message reassembly and data set fragment planning. */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cstore/cstore.h"
#include "core/alloc.h"
#include "core/buf.h"
#include "core/dimse_cmd.h"
#include "core/dimse_msg.h"
#include "core/ul_assoc.h"
#include "core/ul_pdu.h"

Suite *dimse_msg_suite(void);

#define CMD UL_PDV_COMMAND
#define LAST UL_PDV_LAST
#define END UL_PDV_CHUNK_END

/* What the callbacks saw. */
struct seen {
	int commands;
	uint8_t cmd_pcid;
	struct dimse_cmd cmd;
	uint8_t *data; /* data set bytes, concatenated */
	size_t data_len;
	int data_calls;
	int lasts;
	int last_was_final; /* no call came after the one with last set */
	int fail_command;   /* make on_command fail */
	int fail_dataset;   /* make on_dataset fail */
};

static int
on_command(void *user, uint8_t pcid, const struct dimse_cmd *cmd)
{
	struct seen *s = user;

	s->commands++;
	s->cmd_pcid = pcid;
	s->cmd = *cmd;
	return s->fail_command;
}

static int
on_dataset(void *user, uint8_t pcid, const uint8_t *data, size_t len,
    int last)
{
	struct seen *s = user;

	(void)pcid;
	if (s->lasts > 0)
		s->last_was_final = 0;
	s->data = realloc(s->data, s->data_len + len + 1);
	ck_assert_ptr_nonnull(s->data);
	if (len)
		memcpy(s->data + s->data_len, data, len);
	s->data_len += len;
	s->data_calls++;
	if (last) {
		s->lasts++;
		s->last_was_final = 1;
	}
	return s->fail_dataset;
}

static const struct dimse_rx_callbacks cbs = { on_command, on_dataset };

static void
seen_reset(struct seen *s)
{
	free(s->data);
	memset(s, 0, sizeof(*s));
}

/*
 * Feeds one PDV item of len bytes as chunks of at most `chunk` bytes
 * (every chunk a fresh heap copy, so that ASan catches reads past it),
 * the last chunk flagged UL_PDV_CHUNK_END.  Returns the first error.
 */
static int
feed_pdv(struct dimse_rx *rx, uint8_t pcid, uint8_t control,
    const uint8_t *p, size_t len, size_t chunk)
{
	size_t at = 0;

	do {
		size_t n = len - at < chunk ? len - at : chunk;
		uint8_t *copy = malloc(n ? n : 1);
		int rc;

		ck_assert_ptr_nonnull(copy);
		if (n)
			memcpy(copy, p + at, n);
		rc = dimse_rx_pdv(rx, pcid, (uint8_t)(control |
		    (at + n == len ? END : 0)), n ? copy : NULL, n);
		free(copy);
		if (rc != 0)
			return rc;
		at += n;
	} while (at < len);
	return 0;
}

static uint8_t *
encode(const struct dimse_cmd *c, size_t *len)
{
	struct wr w;
	struct cs_err err = { 0, "" };
	uint8_t *out;

	wr_init(&w, DIMSE_CMD_MAX);
	ck_assert_int_gt(dimse_cmd_encode(&w, c, &err), 0);
	out = malloc(w.len);
	ck_assert_ptr_nonnull(out);
	memcpy(out, w.p, w.len);
	*len = w.len;
	wr_release(&w);
	return out;
}

static uint8_t *
store_rq(size_t *len)
{
	struct dimse_cmd c;

	ck_assert_int_eq(dimse_cstore_rq(&c, 9, "1.2.840.10008.5.1.4.1.1.7",
	    "1.2.3.4.5", DIMSE_PRIORITY_MEDIUM), 0);
	return encode(&c, len);
}

static uint8_t *
echo_rq(size_t *len)
{
	struct dimse_cmd c;

	dimse_cecho_rq(&c, 5);
	return encode(&c, len);
}

static uint8_t *
dataset(size_t n)
{
	uint8_t *d = malloc(n);
	size_t i;

	ck_assert_ptr_nonnull(d);
	for (i = 0; i < n; i++)
		d[i] = (uint8_t)(i * 7 + 3);
	return d;
}

/*
 * A C-STORE message: the command split into two command PDVs (the second
 * marked last), then the data set in PDVs of frag bytes; every PDV fed
 * in chunks of `chunk` bytes.  Checks what the callbacks saw.
 */
static void
store_message_with_chunks(size_t chunk, size_t frag, size_t dlen)
{
	struct dimse_rx rx;
	struct seen s = { 0 };
	size_t clen, at;
	uint8_t *c = store_rq(&clen), *d = dataset(dlen);

	dimse_rx_init(&rx, &cbs, &s);
	ck_assert_int_eq(feed_pdv(&rx, 3, CMD, c, 20, chunk), 0);
	ck_assert_int_eq(s.commands, 0);
	ck_assert_int_eq(feed_pdv(&rx, 3, CMD | LAST, c + 20, clen - 20,
	    chunk), 0);
	ck_assert_int_eq(s.commands, 1);
	ck_assert_uint_eq(s.cmd_pcid, 3);
	ck_assert_uint_eq(s.cmd.message_id, 9);
	ck_assert_str_eq(s.cmd.affected_instance, "1.2.3.4.5");
	ck_assert(!dimse_rx_idle(&rx));
	for (at = 0; at < dlen || at == 0; at += frag) {
		size_t n = dlen - at < frag ? dlen - at : frag;

		ck_assert_int_eq(feed_pdv(&rx, 3, at + n >= dlen ? LAST : 0,
		    d + at, n, chunk), 0);
		if (dlen == 0)
			break;
	}
	ck_assert_int_eq(s.lasts, 1);
	ck_assert(s.last_was_final);
	ck_assert_uint_eq(s.data_len, dlen);
	if (dlen)
		ck_assert_mem_eq(s.data, d, dlen);
	ck_assert(dimse_rx_idle(&rx));
	ck_assert_uint_eq(rx.messages, 1);
	ck_assert_uint_eq(rx.dataset_len, dlen);
	dimse_rx_release(&rx);
	seen_reset(&s);
	free(c);
	free(d);
}

START_TEST(a_store_message_fed_whole_is_reassembled)
{
	store_message_with_chunks(SIZE_MAX, 1000, 2500);
}
END_TEST

START_TEST(a_store_message_fed_one_byte_per_chunk_is_reassembled)
{
	store_message_with_chunks(1, 100, 333);
}
END_TEST

START_TEST(a_store_message_split_at_every_point_is_reassembled)
{
	size_t chunk;

	for (chunk = 1; chunk <= 130; chunk++)
		store_message_with_chunks(chunk, 64, 200);
}
END_TEST

START_TEST(an_empty_last_data_set_fragment_ends_the_message)
{
	struct dimse_rx rx;
	struct seen s = { 0 };
	size_t clen;
	uint8_t *c = store_rq(&clen);
	static const uint8_t d[4] = { 1, 2, 3, 4 };

	dimse_rx_init(&rx, &cbs, &s);
	ck_assert_int_eq(feed_pdv(&rx, 1, CMD | LAST, c, clen, clen), 0);
	ck_assert_int_eq(feed_pdv(&rx, 1, 0, d, 4, 4), 0);
	ck_assert_int_eq(feed_pdv(&rx, 1, LAST, NULL, 0, 1), 0);
	ck_assert_int_eq(s.lasts, 1);
	ck_assert_int_eq(s.data_calls, 2);
	ck_assert_uint_eq(s.data_len, 4);
	ck_assert(dimse_rx_idle(&rx));
	dimse_rx_release(&rx);
	seen_reset(&s);
	free(c);
}
END_TEST

START_TEST(messages_without_data_sets_follow_each_other)
{
	struct dimse_rx rx;
	struct seen s = { 0 };
	size_t elen, slen;
	uint8_t *e = echo_rq(&elen), *c = store_rq(&slen);
	static const uint8_t d[3] = { 9, 8, 7 };

	dimse_rx_init(&rx, &cbs, &s);
	ck_assert_int_eq(feed_pdv(&rx, 1, CMD | LAST, e, elen, 7), 0);
	ck_assert(dimse_rx_idle(&rx));
	ck_assert_int_eq(feed_pdv(&rx, 5, CMD | LAST, e, elen, elen), 0);
	ck_assert_int_eq(s.commands, 2);
	ck_assert_uint_eq(s.cmd_pcid, 5);
	ck_assert_uint_eq(s.cmd.command_field, DIMSE_C_ECHO_RQ);
	ck_assert_int_eq(s.data_calls, 0);
	/* then a message with a data set on another context */
	ck_assert_int_eq(feed_pdv(&rx, 7, CMD | LAST, c, slen, 3), 0);
	ck_assert_int_eq(feed_pdv(&rx, 7, LAST, d, 3, 1), 0);
	ck_assert_uint_eq(rx.messages, 3);
	ck_assert_int_eq(s.lasts, 1);
	dimse_rx_release(&rx);
	seen_reset(&s);
	free(e);
	free(c);
}
END_TEST

START_TEST(data_set_bytes_stream_without_allocation)
{
	struct dimse_rx rx;
	struct seen s = { 0 };
	size_t clen, i;
	uint8_t *c = store_rq(&clen);
	static uint8_t chunk[64 * 1024];
	unsigned long allocs;

	/* count only: this sink keeps nothing */
	static const struct dimse_rx_callbacks quiet = { on_command, NULL };

	dimse_rx_init(&rx, &quiet, &s);
	ck_assert_int_eq(feed_pdv(&rx, 1, CMD | LAST, c, clen, clen), 0);
	cs_alloc_fail_at(0);
	/* 64 MiB in one PDV item of many chunks, then a last item */
	for (i = 0; i < 1024; i++)
		ck_assert_int_eq(dimse_rx_pdv(&rx, 1, 0, chunk,
		    sizeof(chunk)), 0);
	ck_assert_int_eq(dimse_rx_pdv(&rx, 1, END, chunk, 1), 0);
	ck_assert_int_eq(dimse_rx_pdv(&rx, 1, LAST | END, chunk, 10), 0);
	allocs = cs_alloc_fail_at(0);
	ck_assert_uint_eq(allocs, 0);
	ck_assert_uint_eq(rx.dataset_len, 1024u * sizeof(chunk) + 11);
	ck_assert(dimse_rx_idle(&rx));
	dimse_rx_release(&rx);
	seen_reset(&s);
	free(c);
}
END_TEST

/* --- protocol errors ------------------------------------------------------- */

static void
assert_failed(struct dimse_rx *rx, int rc, int code, const char *msg)
{
	static const uint8_t b[2] = { 0, 0 };

	ck_assert_int_eq(rc, code);
	ck_assert_int_eq(dimse_rx_error(rx)->code, code);
	ck_assert_str_eq(dimse_rx_error(rx)->msg, msg);
	/* latched: anything later fails the same way */
	ck_assert_int_eq(dimse_rx_pdv(rx, 1, CMD | LAST | END, b, 2), code);
	ck_assert(!dimse_rx_idle(rx));
}

START_TEST(a_data_set_fragment_before_any_command_is_an_error)
{
	struct dimse_rx rx;
	struct seen s = { 0 };
	static const uint8_t d[2] = { 1, 2 };

	dimse_rx_init(&rx, &cbs, &s);
	assert_failed(&rx, dimse_rx_pdv(&rx, 3, LAST | END, d, 2), CS_E_PROTO,
	    "data set fragment on presentation context 3 before any command");
	ck_assert_int_eq(s.data_calls, 0);
	dimse_rx_release(&rx);
}
END_TEST

START_TEST(a_data_set_after_a_command_without_one_is_an_error)
{
	struct dimse_rx rx;
	struct seen s = { 0 };
	size_t elen;
	uint8_t *e = echo_rq(&elen);
	static const uint8_t d[2] = { 1, 2 };

	dimse_rx_init(&rx, &cbs, &s);
	ck_assert_int_eq(feed_pdv(&rx, 1, CMD | LAST, e, elen, 5), 0);
	assert_failed(&rx, dimse_rx_pdv(&rx, 1, 0, d, 2), CS_E_PROTO,
	    "data set fragment on presentation context 1, but the C-ECHO-RQ "
	    "before it announced no data set");
	ck_assert_int_eq(s.data_calls, 0);
	dimse_rx_release(&rx);
	free(e);
}
END_TEST

START_TEST(a_data_set_fragment_after_the_last_one_is_an_error)
{
	struct dimse_rx rx;
	struct seen s = { 0 };
	size_t clen;
	uint8_t *c = store_rq(&clen);
	static const uint8_t d[2] = { 1, 2 };

	dimse_rx_init(&rx, &cbs, &s);
	ck_assert_int_eq(feed_pdv(&rx, 1, CMD | LAST, c, clen, clen), 0);
	ck_assert_int_eq(feed_pdv(&rx, 1, LAST, d, 2, 1), 0);
	assert_failed(&rx, dimse_rx_pdv(&rx, 1, LAST | END, d, 2), CS_E_PROTO,
	    "data set fragment on presentation context 1 after the data set "
	    "of the C-STORE-RQ had ended");
	ck_assert_int_eq(s.lasts, 1);
	ck_assert_int_eq(s.data_calls, 2);
	dimse_rx_release(&rx);
	seen_reset(&s);
	free(c);
}
END_TEST

START_TEST(a_command_fragment_while_a_data_set_is_expected_is_an_error)
{
	struct dimse_rx rx;
	struct seen s = { 0 };
	size_t clen;
	uint8_t *c = store_rq(&clen);

	dimse_rx_init(&rx, &cbs, &s);
	ck_assert_int_eq(feed_pdv(&rx, 1, CMD | LAST, c, clen, 9), 0);
	assert_failed(&rx, feed_pdv(&rx, 1, CMD | LAST, c, clen, clen),
	    CS_E_PROTO, "command fragment on presentation context 1 while "
	    "the data set of the C-STORE-RQ is expected");
	ck_assert_int_eq(s.commands, 1);
	dimse_rx_release(&rx);
	free(c);
}
END_TEST

START_TEST(a_new_command_before_the_last_data_set_fragment_is_an_error)
{
	struct dimse_rx rx;
	struct seen s = { 0 };
	size_t clen;
	uint8_t *c = store_rq(&clen), *d = dataset(10);

	dimse_rx_init(&rx, &cbs, &s);
	ck_assert_int_eq(feed_pdv(&rx, 1, CMD | LAST, c, clen, clen), 0);
	ck_assert_int_eq(feed_pdv(&rx, 1, 0, d, 10, 4), 0);
	assert_failed(&rx, feed_pdv(&rx, 1, CMD, c, clen, clen), CS_E_PROTO,
	    "new command on presentation context 1 before the last fragment "
	    "of the C-STORE-RQ data set");
	ck_assert_int_eq(s.lasts, 0);
	dimse_rx_release(&rx);
	seen_reset(&s);
	free(c);
	free(d);
}
END_TEST

START_TEST(a_context_change_within_a_command_is_an_error)
{
	struct dimse_rx rx;
	struct seen s = { 0 };
	size_t clen;
	uint8_t *c = store_rq(&clen);

	dimse_rx_init(&rx, &cbs, &s);
	ck_assert_int_eq(feed_pdv(&rx, 1, CMD, c, 10, 3), 0);
	assert_failed(&rx, feed_pdv(&rx, 3, CMD | LAST, c + 10, clen - 10,
	    clen), CS_E_PROTO, "fragment on presentation context 3 in the "
	    "middle of a command on context 1");
	ck_assert_int_eq(s.commands, 0);
	dimse_rx_release(&rx);
	free(c);
}
END_TEST

START_TEST(a_context_change_within_a_data_set_is_an_error)
{
	struct dimse_rx rx;
	struct seen s = { 0 };
	size_t clen;
	uint8_t *c = store_rq(&clen);
	static const uint8_t d[2] = { 1, 2 };

	dimse_rx_init(&rx, &cbs, &s);
	ck_assert_int_eq(feed_pdv(&rx, 1, CMD | LAST, c, clen, clen), 0);
	ck_assert_int_eq(feed_pdv(&rx, 1, 0, d, 2, 2), 0);
	assert_failed(&rx, feed_pdv(&rx, 5, LAST, d, 2, 2), CS_E_PROTO,
	    "fragment on presentation context 5 while the data set of the "
	    "C-STORE-RQ on context 1 is expected");
	ck_assert_int_eq(s.lasts, 0);
	dimse_rx_release(&rx);
	seen_reset(&s);
	free(c);
}
END_TEST

START_TEST(a_data_set_fragment_inside_a_command_is_an_error)
{
	struct dimse_rx rx;
	struct seen s = { 0 };
	size_t clen;
	uint8_t *c = store_rq(&clen);

	dimse_rx_init(&rx, &cbs, &s);
	ck_assert_int_eq(feed_pdv(&rx, 1, CMD, c, 10, 10), 0);
	assert_failed(&rx, feed_pdv(&rx, 1, LAST, c, 4, 4), CS_E_PROTO,
	    "data set fragment on presentation context 1 before the last "
	    "fragment of its command");
	dimse_rx_release(&rx);
	free(c);
}
END_TEST

START_TEST(control_bits_changing_within_one_pdv_item_are_an_error)
{
	struct dimse_rx rx;
	struct seen s = { 0 };
	size_t clen;
	uint8_t *c = store_rq(&clen);

	dimse_rx_init(&rx, &cbs, &s);
	ck_assert_int_eq(dimse_rx_pdv(&rx, 1, CMD, c, 10), 0);
	assert_failed(&rx, dimse_rx_pdv(&rx, 1, CMD | LAST | END, c + 10,
	    clen - 10), CS_E_PROTO, "PDV control header changed from 0x01 "
	    "to 0x03 within one PDV item");
	dimse_rx_release(&rx);
	free(c);
}
END_TEST

START_TEST(an_oversized_command_is_refused_at_the_cap)
{
	struct dimse_rx rx;
	struct seen s = { 0 };
	static uint8_t junk[4096];
	size_t i;
	int rc = 0;

	dimse_rx_init(&rx, &cbs, &s);
	for (i = 0; i < 17 && rc == 0; i++)
		rc = dimse_rx_pdv(&rx, 1, CMD | END, junk, sizeof(junk));
	ck_assert_uint_eq(i, 17); /* 16 fragments fit, the 17th does not */
	assert_failed(&rx, rc, CS_E_TOOBIG, "command set on presentation "
	    "context 1 exceeds 65536 bytes");
	ck_assert_uint_le(rx.cmd.cap, DIMSE_CMD_MAX);
	dimse_rx_release(&rx);
}
END_TEST

START_TEST(a_command_that_does_not_decode_is_an_error)
{
	struct dimse_rx rx;
	struct seen s = { 0 };
	static const uint8_t bad[8] = { 0x08, 0x00, 0x16, 0x00, 0, 0, 0, 0 };

	dimse_rx_init(&rx, &cbs, &s);
	assert_failed(&rx, feed_pdv(&rx, 1, CMD | LAST, bad, 8, 3),
	    CS_E_PROTO, "element (0008,0016) at offset 0 is outside the "
	    "command group 0000");
	ck_assert_int_eq(s.commands, 0);
	dimse_rx_release(&rx);
}
END_TEST

START_TEST(failing_callbacks_stop_the_receiver)
{
	struct dimse_rx rx;
	struct seen s = { 0 };
	size_t clen;
	uint8_t *c = store_rq(&clen);
	static const uint8_t d[2] = { 1, 2 };

	s.fail_command = 1;
	dimse_rx_init(&rx, &cbs, &s);
	assert_failed(&rx, feed_pdv(&rx, 1, CMD | LAST, c, clen, clen),
	    CS_E_CALLBACK, "command callback failed for C-STORE-RQ on "
	    "presentation context 1");
	ck_assert_int_eq(s.commands, 1);
	dimse_rx_release(&rx);

	seen_reset(&s);
	s.fail_dataset = 1;
	dimse_rx_init(&rx, &cbs, &s);
	ck_assert_int_eq(feed_pdv(&rx, 1, CMD | LAST, c, clen, clen), 0);
	assert_failed(&rx, feed_pdv(&rx, 1, LAST, d, 2, 2), CS_E_CALLBACK,
	    "data set callback failed for C-STORE-RQ on presentation "
	    "context 1");
	ck_assert_int_eq(s.data_calls, 1);
	dimse_rx_release(&rx);
	seen_reset(&s);
	free(c);
}
END_TEST

/* UL_CB_PAUSE from a callback is passed on, not latched: the next chunk
 * goes on as if nothing had happened. */
START_TEST(a_pausing_callback_passes_the_pause_on)
{
	struct dimse_rx rx;
	struct seen s = { 0 };
	size_t clen;
	uint8_t *c = store_rq(&clen);
	static const uint8_t d[4] = { 1, 2, 3, 4 };

	s.fail_command = UL_CB_PAUSE;
	s.fail_dataset = UL_CB_PAUSE;
	dimse_rx_init(&rx, &cbs, &s);
	ck_assert_int_eq(feed_pdv(&rx, 1, CMD | LAST, c, clen, clen),
	    UL_CB_PAUSE);
	ck_assert_int_eq(s.commands, 1);
	ck_assert_int_eq(dimse_rx_error(&rx)->code, 0);
	ck_assert_int_eq(dimse_rx_pdv(&rx, 1, LAST, d, 2), UL_CB_PAUSE);
	ck_assert_int_eq(dimse_rx_pdv(&rx, 1, LAST | END, d + 2, 2),
	    UL_CB_PAUSE);
	ck_assert_int_eq(s.data_calls, 2);
	ck_assert_int_eq(s.lasts, 1);
	ck_assert_uint_eq(s.data_len, 4);
	ck_assert_mem_eq(s.data, d, 4);
	ck_assert(dimse_rx_idle(&rx));
	ck_assert_int_eq(dimse_rx_error(&rx)->code, 0);
	dimse_rx_release(&rx);
	seen_reset(&s);
	free(c);
}
END_TEST

START_TEST(allocation_failures_in_the_command_buffer_are_reported)
{
	struct dimse_rx rx;
	struct seen s = { 0 };
	size_t clen;
	uint8_t *c = store_rq(&clen);

	dimse_rx_init(&rx, &cbs, &s);
	cs_alloc_fail_at(1);
	assert_failed(&rx, feed_pdv(&rx, 1, CMD | LAST, c, clen, 10),
	    CS_E_NOMEM, "out of memory");
	cs_alloc_fail_at(0);
	dimse_rx_release(&rx);
	free(c);
}
END_TEST

/* --- fragment planner -------------------------------------------------------- */

START_TEST(the_planner_covers_every_size_exactly)
{
	uint64_t total;
	uint32_t max;

	for (max = 1; max <= 40; max++) {
		/* PS3.8 E.1: fragments of even length, so an odd maximum
		 * is rounded down (1 stays 1: it could never be met) */
		uint32_t even = max > 1 ? max & ~1u : max;

		for (total = 0; total <= 200; total++) {
			struct dimse_frag_plan p;
			uint64_t sum = 0, frags = 0;
			uint32_t len;
			uint8_t control;
			int lasts = 0;

			ck_assert_int_eq(dimse_plan_init(&p, total, max), 0);
			while (dimse_plan_next(&p, &len, &control) == 1) {
				ck_assert_int_eq(lasts, 0);
				ck_assert_uint_le(len, even);
				if (control == UL_PDV_LAST)
					lasts++;
				else
					ck_assert_uint_eq(len, even);
				sum += len;
				frags++;
			}
			ck_assert_int_eq(lasts, 1);
			ck_assert_uint_eq(sum, total);
			ck_assert_uint_eq(frags,
			    total == 0 ? 1 : (total + even - 1) / even);
			ck_assert_int_eq(dimse_plan_next(&p, &len, &control),
			    0);
		}
	}
}
END_TEST

START_TEST(the_planner_handles_large_data_sets_and_refuses_a_zero_maximum)
{
	struct dimse_frag_plan p;
	uint32_t len;
	uint8_t control;

	ck_assert_int_eq(dimse_plan_init(&p, 10, 0), CS_E_INVAL);
	ck_assert_int_eq(dimse_plan_next(&p, &len, &control), 0);
	/* 5 GiB with an unlimited peer (UINT32_MAX - 6, odd: the
	 * fragments are one byte shorter, even) */
	ck_assert_int_eq(dimse_plan_init(&p, 5ull << 30, UINT32_MAX - 6), 0);
	ck_assert_int_eq(dimse_plan_next(&p, &len, &control), 1);
	ck_assert_uint_eq(len, UINT32_MAX - 7);
	ck_assert_uint_eq(control, 0);
	ck_assert_int_eq(dimse_plan_next(&p, &len, &control), 1);
	ck_assert_uint_eq(len, (5ull << 30) - (UINT32_MAX - 7));
	ck_assert_uint_eq(control, UL_PDV_LAST);
	ck_assert_int_eq(dimse_plan_next(&p, &len, &control), 0);
}
END_TEST

Suite *
dimse_msg_suite(void)
{
	Suite *s = suite_create("dimse_msg");
	TCase *tc = tcase_create("reassembly");

	tcase_add_test(tc, a_store_message_fed_whole_is_reassembled);
	tcase_add_test(tc, a_store_message_fed_one_byte_per_chunk_is_reassembled);
	tcase_add_test(tc, a_store_message_split_at_every_point_is_reassembled);
	tcase_add_test(tc, an_empty_last_data_set_fragment_ends_the_message);
	tcase_add_test(tc, messages_without_data_sets_follow_each_other);
	tcase_add_test(tc, data_set_bytes_stream_without_allocation);
	suite_add_tcase(s, tc);

	tc = tcase_create("errors");
	tcase_add_test(tc, a_data_set_fragment_before_any_command_is_an_error);
	tcase_add_test(tc, a_data_set_after_a_command_without_one_is_an_error);
	tcase_add_test(tc, a_data_set_fragment_after_the_last_one_is_an_error);
	tcase_add_test(tc,
	    a_command_fragment_while_a_data_set_is_expected_is_an_error);
	tcase_add_test(tc,
	    a_new_command_before_the_last_data_set_fragment_is_an_error);
	tcase_add_test(tc, a_context_change_within_a_command_is_an_error);
	tcase_add_test(tc, a_context_change_within_a_data_set_is_an_error);
	tcase_add_test(tc, a_data_set_fragment_inside_a_command_is_an_error);
	tcase_add_test(tc, control_bits_changing_within_one_pdv_item_are_an_error);
	tcase_add_test(tc, an_oversized_command_is_refused_at_the_cap);
	tcase_add_test(tc, a_command_that_does_not_decode_is_an_error);
	tcase_add_test(tc, failing_callbacks_stop_the_receiver);
	tcase_add_test(tc, a_pausing_callback_passes_the_pause_on);
	tcase_add_test(tc, allocation_failures_in_the_command_buffer_are_reported);
	suite_add_tcase(s, tc);

	tc = tcase_create("planner");
	tcase_add_test(tc, the_planner_covers_every_size_exactly);
	tcase_add_test(tc,
	    the_planner_handles_large_data_sets_and_refuses_a_zero_maximum);
	suite_add_tcase(s, tc);
	return s;
}
