/*
 * fuzz_dimse_cmd.c - the DIMSE command decoder and the message
 * reassembler on arbitrary bytes.
 *
 * 1. The input as a command set: a successful decode must re-encode,
 *    decode again to the same fields and re-encode to the same bytes;
 *    the formatter must agree with itself whatever the buffer size.
 * 2. The input as one command PDV, fed to the reassembler in chunks of
 *    (first byte + 1) bytes: it must reach the same verdict and fields as
 *    the direct decode.
 * 3. The input (after its first byte) as a stream of PDV records, one
 *    byte of control (bit 0 command, bit 1 last, bit 2 other context)
 *    and one of length, then the data, fed in chunks: the reassembler
 *    must hold its invariants (callbacks only for checked commands, the
 *    last data set call last, errors latched).
 * abort() on any violation.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cstore/cstore.h"
#include "core/buf.h"
#include "core/dimse_cmd.h"
#include "core/dimse_msg.h"
#include "core/ul_assoc.h"
#include "core/ul_pdu.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check(int cond)
{
	if (!cond)
		abort();
}

static int
same_cmd(const struct dimse_cmd *a, const struct dimse_cmd *b)
{
	uint8_t i;

	if (a->has != b->has || a->command_field != b->command_field ||
	    a->message_id != b->message_id ||
	    a->message_id_rsp != b->message_id_rsp ||
	    a->priority != b->priority || a->dataset_type != b->dataset_type ||
	    a->status != b->status || a->error_id != b->error_id ||
	    a->move_originator_id != b->move_originator_id ||
	    a->event_type_id != b->event_type_id ||
	    a->action_type_id != b->action_type_id ||
	    a->n_offending != b->n_offending)
		return 0;
	for (i = 0; i < a->n_offending; i++)
		if (a->offending[i] != b->offending[i])
			return 0;
	return strcmp(a->affected_class, b->affected_class) == 0 &&
	    strcmp(a->affected_instance, b->affected_instance) == 0 &&
	    strcmp(a->error_comment, b->error_comment) == 0 &&
	    strcmp(a->move_originator_ae, b->move_originator_ae) == 0 &&
	    strcmp(a->requested_class, b->requested_class) == 0 &&
	    strcmp(a->requested_instance, b->requested_instance) == 0;
}

static void
check_format(const struct dimse_cmd *c)
{
	char big[1024], small[17];
	int n = dimse_cmd_format(c, big, sizeof(big));
	size_t i;

	check(n >= 0 && (size_t)n < sizeof(big));
	check(strlen(big) == (size_t)n);
	for (i = 0; i < (size_t)n; i++)
		check(big[i] >= 0x20 && big[i] < 0x7f);
	check(dimse_cmd_format(c, small, sizeof(small)) == n);
	check(strlen(small) == ((size_t)n < sizeof(small) ? (size_t)n :
	    sizeof(small) - 1));
	check(strncmp(small, big, strlen(small)) == 0);
}

static void
round_trip(const struct dimse_cmd *c)
{
	struct wr w1, w2;
	struct dimse_cmd again;
	struct cs_err err = { 0, "" };

	wr_init(&w1, DIMSE_CMD_MAX);
	wr_init(&w2, DIMSE_CMD_MAX);
	check(dimse_cmd_encode(&w1, c, &err) > 0);
	check(dimse_cmd_decode(w1.p, w1.len, &again, &err) == 0);
	check(same_cmd(c, &again));
	check(dimse_cmd_encode(&w2, &again, &err) == (int)w1.len);
	check(memcmp(w1.p, w2.p, w1.len) == 0);
	wr_release(&w1);
	wr_release(&w2);
}

struct sink {
	int commands;
	struct dimse_cmd cmd;
	int lasts;
	int after_last;
	uint64_t bytes;
};

static int
on_command(void *user, uint8_t pcid, const struct dimse_cmd *cmd)
{
	struct sink *s = user;
	struct cs_err err = { 0, "" };

	(void)pcid;
	check(dimse_cmd_check(cmd, CS_E_PROTO, &err) == 0);
	s->commands++;
	s->cmd = *cmd;
	s->after_last = 0;
	return 0;
}

static int
on_dataset(void *user, uint8_t pcid, const uint8_t *data, size_t len,
    int last)
{
	struct sink *s = user;
	size_t i;
	volatile uint8_t x = 0;

	(void)pcid;
	check(s->commands > 0 && !s->after_last);
	for (i = 0; i < len; i++) /* every byte handed out is readable */
		x = (uint8_t)(x ^ data[i]);
	s->bytes += len;
	if (last) {
		s->lasts++;
		s->after_last = 1;
	}
	return 0;
}

static const struct dimse_rx_callbacks cbs = { on_command, on_dataset };

/* Feeds p as one PDV item in chunks of `chunk` bytes. */
static int
feed(struct dimse_rx *rx, uint8_t pcid, uint8_t control, const uint8_t *p,
    size_t len, size_t chunk)
{
	size_t at = 0;
	int rc = 0;

	do {
		size_t n = len - at < chunk ? len - at : chunk;

		rc = dimse_rx_pdv(rx, pcid, (uint8_t)(control |
		    (at + n == len ? UL_PDV_CHUNK_END : 0)), p + at, n);
		at += n;
	} while (rc == 0 && at < len);
	return rc;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dimse_cmd direct;
	struct cs_err err = { 0, "" };
	struct dimse_rx rx;
	struct sink s;
	size_t chunk, at;
	int rc, rc2;

	/* 1. decode, round trip, format */
	rc = dimse_cmd_decode(data, size, &direct, &err);
	check(rc == 0 || (rc < 0 && err.code == rc && err.msg[0] != '\0'));
	if (rc == 0) {
		round_trip(&direct);
		check_format(&direct);
	}
	if (size == 0)
		return 0;

	/* 2. the same bytes as one command PDV, split in chunks */
	chunk = (size_t)data[0] + 1;
	memset(&s, 0, sizeof(s));
	dimse_rx_init(&rx, &cbs, &s);
	rc2 = feed(&rx, 1, UL_PDV_COMMAND | UL_PDV_LAST, data, size, chunk);
	check((rc == 0) == (rc2 == 0));
	if (rc == 0) {
		check(s.commands == 1 && same_cmd(&direct, &s.cmd));
		check(dimse_rx_idle(&rx) == !dimse_cmd_has_dataset(&direct));
	} else {
		check(rc2 == rc && s.commands == 0);
		/* past the cap the reassembler words it its own way */
		check(rc == CS_E_TOOBIG ||
		    strcmp(dimse_rx_error(&rx)->msg, err.msg) == 0);
	}
	dimse_rx_release(&rx);

	/* 3. a stream of PDV records */
	memset(&s, 0, sizeof(s));
	dimse_rx_init(&rx, &cbs, &s);
	at = 1;
	rc = 0;
	while (at + 2 <= size) {
		uint8_t ctl = data[at], n = data[at + 1];
		uint8_t pcid = (ctl & 4) ? 3 : 1;
		size_t len = n <= size - at - 2 ? n : size - at - 2;

		rc = feed(&rx, pcid, ctl & (UL_PDV_COMMAND | UL_PDV_LAST),
		    data + at + 2, len, chunk);
		at += 2 + len;
		if (rc != 0) {
			check(rc == dimse_rx_error(&rx)->code);
			/* latched */
			check(dimse_rx_pdv(&rx, 1, UL_PDV_COMMAND, data, 0) ==
			    rc);
			break;
		}
	}
	check(s.bytes == 0 || s.commands > 0);
	dimse_rx_release(&rx);
	return 0;
}
