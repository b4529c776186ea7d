/*
 * ul_assoc_fuzz.h - shared harness of fuzz_ul_assoc_scp.c and
 * fuzz_ul_assoc_scu.c (and of gen_ul_assoc_seeds.c, which records their
 * seed corpora from a real in-memory exchange).  Static functions only:
 * each target is built from its own .c file.
 *
 * Input layout (llhttp's fuzz_parser.c idea): byte 0 chooses modes, byte
 * 1 seeds the split, the rest is the byte stream from the peer.
 *   mode & 0x03: 0 whole, 1 one byte per ul_recv, 2 chunks of seed+1,
 *                3 pseudo-random chunk sizes 1-64 from seed
 *   mode & 0x04: small maximum PDU (256) instead of the default
 *   mode & 0x08: the user aborts on the third PDV chunk
 *   mode & 0x10: the clock advances 700 ms and ul_tick runs every chunk
 *   mode & 0x20: the transport closes after the input (Evt17)
 *   mode & 0x40: data is answered with ul_pdata_external too
 *   mode & 0x80: the acceptor rejects instead of accepting
 */
#ifndef CS_TESTS_UL_ASSOC_FUZZ_H
#define CS_TESTS_UL_ASSOC_FUZZ_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "cstore/cstore.h"
#include "core/ul_assoc.h"
#include "core/ul_fsm.h"

struct fz {
	struct ul_assoc *a;
	int role;
	uint8_t mode;
	uint32_t rng;
	int n_chunks;
	uint64_t now;
	/* optional recording of what the side wrote (seed generator) */
	uint8_t *rec;
	size_t rec_len, rec_cap;
	/* fuzz_ul_unseen: opaque payload consumed with ul_recv_unseen;
	 * what the callbacks saw and the side wrote, to compare */
	int unseen;
	uint64_t pdv_bytes, pdv_ends, out_bytes;
};

static const uint8_t fz_reply[16] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11,
	12, 13, 14, 15, 16 };

static void
fz_proposal(struct ul_assoc_params *rq)
{
	memset(rq, 0, sizeof(*rq));
	snprintf(rq->called_ae, sizeof(rq->called_ae), "ARCHIVE");
	snprintf(rq->calling_ae, sizeof(rq->calling_ae), "MODALITY");
	rq->n_pc = 3;
	rq->pc[0].id = 1;
	snprintf(rq->pc[0].abstract_syntax, UL_UID_MAX + 1,
	    "1.2.840.10008.1.1");
	rq->pc[0].n_ts = 1;
	snprintf(rq->pc[0].ts[0], UL_UID_MAX + 1, "1.2.840.10008.1.2");
	rq->pc[1].id = 3;
	snprintf(rq->pc[1].abstract_syntax, UL_UID_MAX + 1,
	    "1.2.840.10008.5.1.4.1.1.2");
	rq->pc[1].n_ts = 2;
	snprintf(rq->pc[1].ts[0], UL_UID_MAX + 1, "1.2.840.10008.1.2.1");
	snprintf(rq->pc[1].ts[1], UL_UID_MAX + 1, "1.2.840.10008.1.2");
	rq->pc[2].id = 5;
	snprintf(rq->pc[2].abstract_syntax, UL_UID_MAX + 1,
	    "1.2.840.10008.5.1.4.1.1.4");
	rq->pc[2].n_ts = 1;
	snprintf(rq->pc[2].ts[0], UL_UID_MAX + 1, "1.2.840.10008.1.2");
}

/* Sends a short reply on pcid, copied and (mode 0x40) external. */
static void
fz_send(struct fz *f, uint8_t pcid)
{
	(void)ul_pdata(f->a, pcid, UL_PDV_COMMAND | UL_PDV_LAST, fz_reply,
	    sizeof(fz_reply));
	if (f->mode & 0x40)
		(void)ul_pdata_external(f->a, pcid, UL_PDV_LAST, 5);
	else
		(void)ul_pdata(f->a, pcid, UL_PDV_LAST, fz_reply, 5);
}

/* Acceptor: accept every proposed context with its first transfer syntax. */
static int
fz_on_rq(void *user, const struct ul_assoc_params *rq)
{
	static struct ul_assoc_params ac;
	struct fz *f = user;
	unsigned i;

	if (f->mode & 0x80) {
		struct ul_assoc_rj rj = { 1, 1, 7 };

		(void)ul_associate_reject(f->a, &rj);
		return 0;
	}
	memset(&ac, 0, sizeof(ac));
	ac.n_pc = rq->n_pc;
	for (i = 0; i < rq->n_pc && i < UL_MAX_PC; i++) {
		ac.pc[i].id = rq->pc[i].id;
		if (rq->pc[i].n_ts == 0) {
			ac.pc[i].result = UL_PC_TRANSFER_SYNTAXES_NOT_SUPPORTED;
			continue;
		}
		ac.pc[i].n_ts = 1;
		memcpy(ac.pc[i].ts[0], rq->pc[i].ts[0], sizeof(ac.pc[i].ts[0]));
	}
	(void)ul_associate_accept(f->a, &ac);
	return 0;
}

/* Requestor: on acceptance send a message on the first accepted context. */
static int
fz_on_ac(void *user, const struct ul_assoc_params *ac)
{
	struct fz *f = user;
	unsigned i;

	for (i = 0; i < ac->n_pc && i < UL_MAX_PC; i++)
		if (ac->pc[i].result == UL_PC_ACCEPTANCE) {
			fz_send(f, ac->pc[i].id);
			break;
		}
	return 0;
}

static int
fz_on_rj(void *user, const struct ul_assoc_rj *rj)
{
	(void)user;
	(void)rj;
	return 0;
}

static int
fz_on_pdv(void *user, uint8_t pcid, uint8_t control, const uint8_t *data,
    size_t len)
{
	struct fz *f = user;
	volatile uint8_t sink = 0;
	size_t i;

	/* touch every byte: the pointer must cover len bytes; NULL only
	 * for bytes consumed unseen, and only data set ones */
	if (data == NULL && len > 0 &&
	    (!f->unseen || (control & UL_PDV_COMMAND)))
		__builtin_trap();
	for (i = 0; data != NULL && i < len; i++)
		sink ^= data[i];
	(void)sink;
	f->pdv_bytes += len;
	f->pdv_ends += (control & UL_PDV_CHUNK_END) != 0;
	if ((f->mode & 0x08) && ++f->n_chunks == 3)
		(void)ul_abort(f->a);
	if ((control & (UL_PDV_CHUNK_END | UL_PDV_LAST | UL_PDV_COMMAND)) !=
	    (UL_PDV_CHUNK_END | UL_PDV_LAST))
		return 0;
	/* a finished dataset: the acceptor answers, the requestor releases */
	if (ul_accepted_pc(f->a, pcid) == NULL)
		__builtin_trap(); /* the engine must have refused this PDV */
	if (f->role == UL_REQUESTOR)
		(void)ul_release_rq(f->a);
	else if (ul_state(f->a) == UL_STA6 || ul_state(f->a) == UL_STA8)
		fz_send(f, pcid);
	return 0;
}

static int
fz_on_release_rq(void *user)
{
	struct fz *f = user;

	(void)ul_release_response(f->a); /* CS_E_STATE in Sta10: fine */
	return 0;
}

static int
fz_on_release_rp(void *user)
{
	struct fz *f = user;

	if (ul_state(f->a) == UL_STA12)
		(void)ul_release_response(f->a);
	return 0;
}

static int
fz_on_abort(void *user, const struct ul_abort *ab, int from_peer)
{
	(void)user;
	(void)ab;
	(void)from_peer;
	return 0;
}

static const struct ul_callbacks fz_callbacks = {
	.on_associate_rq = fz_on_rq,
	.on_associate_ac = fz_on_ac,
	.on_associate_rj = fz_on_rj,
	.on_pdv = fz_on_pdv,
	.on_release_rq = fz_on_release_rq,
	.on_release_rp = fz_on_release_rp,
	.on_abort = fz_on_abort,
};

static void
fz_record(struct fz *f, const uint8_t *p, size_t n)
{
	if (f->rec == NULL || n > f->rec_cap - f->rec_len)
		return;
	memcpy(f->rec + f->rec_len, p, n);
	f->rec_len += n;
}

/* Writes everything queued, owed payload as zeros; bounded. */
static void
fz_drain(struct fz *f)
{
	static const uint8_t zeros[64];
	int i;

	for (i = 0; i < 100000; i++) {
		const uint8_t *p;
		size_t n = ul_out_peek(f->a, &p), owed;

		if (n > 0) {
			fz_record(f, p, n);
			f->out_bytes += n;
			ul_out_consume(f->a, n);
			continue;
		}
		owed = ul_out_payload_owed(f->a);
		if (owed == 0)
			break;
		if (owed > sizeof(zeros))
			owed = sizeof(zeros);
		fz_record(f, zeros, owed);
		f->out_bytes += owed;
		ul_out_payload_sent(f->a, owed);
	}
}

static size_t
fz_chunk(struct fz *f, uint8_t seed, size_t left)
{
	size_t n;

	switch (f->mode & 3) {
	case 0:
		n = left;
		break;
	case 1:
		n = 1;
		break;
	case 2:
		n = (size_t)seed + 1;
		break;
	default:
		/* xorshift32 */
		f->rng ^= f->rng << 13;
		f->rng ^= f->rng >> 17;
		f->rng ^= f->rng << 5;
		n = f->rng % 64 + 1;
		break;
	}
	return n < left ? n : left;
}

/*
 * fuzz_ul_unseen: where the engine offers opaque payload, up to *n of
 * it is consumed unseen; 1 when it was (*n: how much).  One byte more
 * than offered must be refused and change nothing.
 */
static int
fz_unseen(struct fz *f, size_t *n)
{
	uint8_t pcid;
	uint32_t op = ul_in_opaque(f->a, &pcid);
	ssize_t rc;

	if (op == 0)
		return 0;
	if (op < UINT32_MAX &&
	    (ul_recv_unseen(f->a, (size_t)op + 1, f->now) != CS_E_INVAL ||
		ul_in_opaque(f->a, &pcid) != op))
		__builtin_trap();
	if (*n > op)
		*n = op;
	rc = ul_recv_unseen(f->a, *n, f->now);
	if (rc >= 0 && (size_t)rc != *n)
		__builtin_trap();
	fz_drain(f);
	return 1;
}

/* Feeds the input to f->a as byte 0/1 say; ends with close and ARTIM. */
static void
fz_feed(struct fz *f, uint8_t seed, const uint8_t *in, size_t len)
{
	size_t pos = 0;

	f->rng = 0x9e3779b9u ^ seed;
	fz_drain(f);
	while (pos < len) {
		size_t n = fz_chunk(f, seed, len - pos);
		ssize_t rc;

		if (f->unseen && fz_unseen(f, &n)) {
			pos += n;
			continue;
		}
		rc = ul_recv(f->a, in + pos, n, f->now);

		fz_drain(f);
		if (rc == 0 && ul_state(f->a) == UL_STA1)
			break;
		pos += n; /* consumed or dropped: move on either way */
		if (f->mode & 0x10) {
			f->now += 700;
			(void)ul_tick(f->a, f->now);
			fz_drain(f);
		}
	}
	if (f->mode & 0x20)
		(void)ul_transport_closed(f->a, f->now);
	if (ul_next_deadline(f->a) >= 0)
		(void)ul_tick(f->a, (uint64_t)ul_next_deadline(f->a));
	fz_drain(f);
}

/* A new side: config from the mode, transport connected. */
static int
fz_start(struct fz *f, enum ul_role_kind role, uint8_t mode)
{
	static struct ul_assoc_params rq;
	struct ul_config cfg = { 0, 1000 };

	memset(f, 0, sizeof(*f));
	f->role = role;
	f->mode = mode;
	cfg.max_pdu_recv = mode & 0x04 ? 256 : UL_DEFAULT_MAX_PDU;
	f->a = ul_assoc_new(role, &cfg, &fz_callbacks, f);
	if (f->a == NULL)
		return -1;
	if (role == UL_REQUESTOR) {
		fz_proposal(&rq);
		if (ul_associate_rq(f->a, &rq) != 0)
			return -1;
	}
	return ul_transport_connected(f->a, 0);
}

#endif
