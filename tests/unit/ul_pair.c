/* ul_pair.c - in-memory association sides for the ul_assoc tests. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cstore/cstore.h"
#include "core/ul_fsm.h"
#include "ul_pair.h"

#define VERIF "1.2.840.10008.1.1"
#define CT "1.2.840.10008.5.1.4.1.1.2"
#define MR "1.2.840.10008.5.1.4.1.1.4"
#define IVLE "1.2.840.10008.1.2"
#define EVLE "1.2.840.10008.1.2.1"

/* A stand-in for a DIMSE command set: only its bytes matter here. */
static const uint8_t command[20] = { 0x00, 0x00, 0x00, 0x00, 0x04, 0x00,
	0x00, 0x00, 0x12, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x02,
	0x00, 0x00, 0x00 };

static void
logf_(struct side *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
logf_(struct side *s, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (s->log_len >= sizeof(s->log) - 1)
		return;
	va_start(ap, fmt);
	n = vsnprintf(s->log + s->log_len, sizeof(s->log) - s->log_len, fmt,
	    ap);
	va_end(ap);
	if (n > 0)
		s->log_len += (size_t)n;
	if (s->log_len >= sizeof(s->log))
		s->log_len = sizeof(s->log) - 1;
}

void
pair_proposal(struct ul_assoc_params *rq)
{
	memset(rq, 0, sizeof(*rq));
	snprintf(rq->called_ae, sizeof(rq->called_ae), "ARCHIVE");
	snprintf(rq->calling_ae, sizeof(rq->calling_ae), "MODALITY");
	rq->n_pc = 3;
	rq->pc[0].id = 1;
	snprintf(rq->pc[0].abstract_syntax, UL_UID_MAX + 1, VERIF);
	rq->pc[0].n_ts = 1;
	snprintf(rq->pc[0].ts[0], UL_UID_MAX + 1, IVLE);
	rq->pc[1].id = 3;
	snprintf(rq->pc[1].abstract_syntax, UL_UID_MAX + 1, CT);
	rq->pc[1].n_ts = 2;
	snprintf(rq->pc[1].ts[0], UL_UID_MAX + 1, EVLE);
	snprintf(rq->pc[1].ts[1], UL_UID_MAX + 1, IVLE);
	rq->pc[2].id = 5;
	snprintf(rq->pc[2].abstract_syntax, UL_UID_MAX + 1, MR);
	rq->pc[2].n_ts = 1;
	snprintf(rq->pc[2].ts[0], UL_UID_MAX + 1, IVLE);
}

void
pair_accept_all(struct ul_assoc *a)
{
	static struct ul_assoc_params ac; /* large: not on the stack */
	const struct ul_assoc_params *rq = ul_rq_params(a);
	unsigned i;

	memset(&ac, 0, sizeof(ac));
	ac.n_pc = rq->n_pc;
	for (i = 0; i < rq->n_pc; i++) {
		ac.pc[i].id = rq->pc[i].id;
		ac.pc[i].n_ts = 1;
		memcpy(ac.pc[i].ts[0], rq->pc[i].ts[0], sizeof(ac.pc[i].ts[0]));
	}
	if (ul_associate_accept(a, &ac) != 0)
		abort();
}

long
side_rc(struct side *s, long rc)
{
	if (rc < 0 && s->last_rc == 0)
		s->last_rc = (int)rc;
	return rc;
}

/* --- callbacks ---------------------------------------------------------- */

static int
cb_rq(void *user, const struct ul_assoc_params *rq)
{
	struct side *s = user;
	static struct ul_assoc_params ac; /* large: not on the stack */
	unsigned i;

	s->n_rq++;
	logf_(s, "rq %u pcs;", rq->n_pc);
	if (s->flags & SIDE_FAIL_CB)
		return -1;
	if (s->flags & SIDE_REJECT) {
		struct ul_assoc_rj rj = { 1, 1, 1 };

		side_rc(s, ul_associate_reject(s->a, &rj));
	} else if (s->flags & SIDE_ACCEPT) {
		memset(&ac, 0, sizeof(ac));
		ac.n_pc = rq->n_pc;
		for (i = 0; i < rq->n_pc; i++) {
			ac.pc[i].id = rq->pc[i].id;
			/* MR is not supported: a rejected context in every AC */
			if (strcmp(rq->pc[i].abstract_syntax, MR) == 0) {
				ac.pc[i].result =
				    UL_PC_ABSTRACT_SYNTAX_NOT_SUPPORTED;
				continue;
			}
			ac.pc[i].n_ts = 1;
			memcpy(ac.pc[i].ts[0], rq->pc[i].ts[0],
			    sizeof(ac.pc[i].ts[0]));
		}
		side_rc(s, ul_associate_accept(s->a, &ac));
	}
	return 0;
}

static void
send_dataset(struct side *s)
{
	size_t off = 0, max = ul_max_pdv_payload(s->a);

	side_rc(s, ul_pdata(s->a, 3, UL_PDV_COMMAND | UL_PDV_LAST, command,
	    sizeof(command)));
	if (!(s->flags & SIDE_EXTERNAL)) {
		side_rc(s, ul_pdata(s->a, 3, UL_PDV_LAST, s->ds, s->ds_len));
		return;
	}
	do {
		size_t n = s->ds_len - off < max ? s->ds_len - off : max;

		side_rc(s, ul_pdata_external(s->a, 3,
		    off + n == s->ds_len ? UL_PDV_LAST : 0, (uint32_t)n));
		off += n;
	} while (off < s->ds_len);
}

static int
cb_ac(void *user, const struct ul_assoc_params *ac)
{
	struct side *s = user;
	unsigned i;

	s->n_ac++;
	logf_(s, "ac");
	for (i = 0; i < ac->n_pc; i++)
		logf_(s, " %u:%u:%s:%s", ac->pc[i].id, ac->pc[i].result,
		    ac->pc[i].abstract_syntax,
		    ac->pc[i].result == 0 ? ac->pc[i].ts[0] : "-");
	logf_(s, ";");
	if (s->flags & SIDE_FAIL_CB)
		return -1;
	if (s->flags & SIDE_SEND_ON_AC)
		send_dataset(s);
	return 0;
}

static int
cb_rj(void *user, const struct ul_assoc_rj *rj)
{
	struct side *s = user;

	s->n_rj++;
	s->rj = *rj;
	logf_(s, "rj %u %u %u;", rj->result, rj->source, rj->reason);
	return s->flags & SIDE_FAIL_CB ? -1 : 0;
}

static size_t item_len; /* bytes of the current PDV item so far */

static int
cb_pdv(void *user, uint8_t pcid, uint8_t control, const uint8_t *data,
    size_t len)
{
	struct side *s = user;

	s->n_pdv++;
	if (data == NULL && len > 0 && s->unseen != NULL) {
		s->n_unseen++;
		data = s->unseen;
		s->unseen += len;
	}
	if ((control & ~(UL_PDV_COMMAND | UL_PDV_LAST | UL_PDV_CHUNK_END)) ||
	    (len == 0 && !(control & UL_PDV_CHUNK_END)) ||
	    (len > 0 && data == NULL))
		s->bad_chunking = 1;
	item_len += len;
	if (!(control & UL_PDV_COMMAND)) {
		if (s->data_len + len <= sizeof(s->data)) {
			memcpy(s->data + s->data_len, data, len);
			s->data_len += len;
		} else {
			s->bad_chunking = 1;
		}
	}
	if (s->flags & SIDE_FAIL_PDV)
		return -1;
	if (!(control & UL_PDV_CHUNK_END))
		return 0;
	/* the log is the same however the stream was split */
	logf_(s, "pdv %u %x %zu;", pcid, control & 3u, item_len);
	item_len = 0;
	if ((control & (UL_PDV_COMMAND | UL_PDV_LAST)) != UL_PDV_LAST)
		return 0;
	s->data_done++;
	logf_(s, "dataset %zu;", s->data_len);
	if (s->flags & SIDE_ECHO) {
		side_rc(s, ul_pdata(s->a, pcid, UL_PDV_COMMAND | UL_PDV_LAST,
		    command, sizeof(command)));
		side_rc(s, ul_pdata(s->a, pcid, UL_PDV_LAST, s->data,
		    s->data_len));
		if (s->flags & SIDE_DRAIN_IN_CB)
			s->drained_in_cb += side_drain(s, 0);
	}
	if (s->flags & SIDE_RELEASE_ON_DATA)
		side_rc(s, ul_release_rq(s->a));
	return 0;
}

static int
cb_release_rq(void *user)
{
	struct side *s = user;
	int st = ul_state(s->a);

	s->n_rel_rq++;
	logf_(s, "release-rq %s;", ul_state_name(st));
	if (s->flags & SIDE_FAIL_CB)
		return -1;
	if ((s->flags & SIDE_RELEASE_RP) && st != UL_STA10)
		side_rc(s, ul_release_response(s->a));
	return 0;
}

static int
cb_release_rp(void *user)
{
	struct side *s = user;
	int st = ul_state(s->a);

	s->n_rel_rp++;
	logf_(s, "release-rp %s;", ul_state_name(st));
	if (s->flags & SIDE_FAIL_CB)
		return -1;
	if ((s->flags & SIDE_RELEASE_RP) && st == UL_STA12)
		side_rc(s, ul_release_response(s->a));
	return 0;
}

static int
cb_abort(void *user, const struct ul_abort *ab, int from_peer)
{
	struct side *s = user;

	s->n_abort++;
	s->abort = *ab;
	s->abort_from_peer = from_peer;
	logf_(s, "abort %u %u %d;", ab->source, ab->reason, from_peer);
	return 0;
}

static void
cb_trace(void *user, char dir, const uint8_t *pdu, size_t len)
{
	struct side *s = user;

	s->n_trace++;
	if (dir == 'S' && len >= 6 && pdu[0] == UL_PDU_P_DATA_TF) {
		uint32_t n = (uint32_t)pdu[2] << 24 | (uint32_t)pdu[3] << 16 |
		    (uint32_t)pdu[4] << 8 | pdu[5];

		if (n > s->max_pdata_sent)
			s->max_pdata_sent = n;
	}
}

/* --- sides ----------------------------------------------------------------- */

int
side_init(struct side *s, int role, unsigned flags,
    const struct ul_config *cfg)
{
	static const struct ul_callbacks cb = {
		.on_associate_rq = cb_rq,
		.on_associate_ac = cb_ac,
		.on_associate_rj = cb_rj,
		.on_pdv = cb_pdv,
		.on_release_rq = cb_release_rq,
		.on_release_rp = cb_release_rp,
		.on_abort = cb_abort,
	};

	memset(s, 0, sizeof(*s));
	s->role = role;
	s->flags = flags;
	item_len = 0;
	s->a = ul_assoc_new(role, cfg, &cb, s);
	if (s->a == NULL)
		return -1;
	ul_set_trace(s->a, cb_trace, s);
	return 0;
}

void
side_release(struct side *s)
{
	ul_assoc_free(s->a);
	s->a = NULL;
	free(s->sent);
	s->sent = NULL;
	s->sent_len = s->sent_cap = 0;
}

static void
sent_append(struct side *s, const uint8_t *p, size_t n)
{
	if (s->sent_len + n > s->sent_cap) {
		size_t cap = s->sent_cap ? s->sent_cap : 1024;
		uint8_t *q;

		while (cap < s->sent_len + n)
			cap *= 2;
		q = realloc(s->sent, cap);
		if (q == NULL)
			abort();
		s->sent = q;
		s->sent_cap = cap;
	}
	if (n > 0)
		memcpy(s->sent + s->sent_len, p, n);
	s->sent_len += n;
}

size_t
side_drain(struct side *s, size_t max)
{
	size_t total = 0;

	for (;;) {
		const uint8_t *p;
		size_t n = ul_out_peek(s->a, &p), owed;

		if (max != 0 && n > max - total)
			n = max - total;
		if (n > 0) {
			sent_append(s, p, n);
			ul_out_consume(s->a, n);
			total += n;
		} else if ((owed = ul_out_payload_owed(s->a)) > 0) {
			if (max != 0 && owed > max - total)
				owed = max - total;
			if (owed == 0)
				break;
			if (s->ext_off + owed > s->ds_len) {
				s->bad_chunking = 1;
				break;
			}
			sent_append(s, s->ds + s->ext_off, owed);
			s->ext_off += owed;
			ul_out_payload_sent(s->a, owed);
			total += owed;
		} else {
			break;
		}
		if (max != 0 && total == max)
			break;
	}
	return total;
}

long
side_feed(struct side *s, const uint8_t *in, size_t len, size_t chunk,
    uint64_t now)
{
	size_t pos = 0;

	while (pos < len) {
		size_t n = chunk == 0 || chunk > len - pos ? len - pos : chunk;
		ssize_t rc = ul_recv(s->a, in + pos, n, now);

		if (rc < 0)
			return side_rc(s, rc);
		pos += (size_t)rc;
		if ((size_t)rc < n)
			break; /* the association ended part way */
	}
	return (long)pos;
}

/* Moves what from produced since last time to to; returns bytes moved. */
static size_t
move(struct side *from, size_t *fed, struct side *to, size_t chunk)
{
	size_t before = from->sent_len, n;

	side_drain(from, from->drain_max);
	n = from->sent_len - *fed;
	if (n == 0)
		return before != from->sent_len;
	(void)side_feed(to, from->sent + *fed, n, chunk, 1000);
	*fed = from->sent_len; /* what was not consumed is dropped */
	return n;
}

int
pair_run(struct side *r, struct side *s, size_t chunk, int start)
{
	static struct ul_assoc_params rq;
	int i;

	if (start) {
		pair_proposal(&rq);
		if (side_rc(r, ul_associate_rq(r->a, &rq)) < 0)
			return -1;
		if (side_rc(r, ul_transport_connected(r->a, 1000)) < 0 ||
		    side_rc(s, ul_transport_connected(s->a, 1000)) < 0)
			return -1;
	}
	for (i = 0; i < 100000; i++) {
		size_t moved = move(r, &r->fed, s, chunk);

		moved += move(s, &s->fed, r, chunk);
		if (moved == 0)
			break;
	}
	/* a side that wants the transport closed closes it */
	if (ul_want_close(r->a) && ul_state(s->a) != UL_STA1)
		side_rc(s, ul_transport_closed(s->a, 1000));
	if (ul_want_close(s->a) && ul_state(r->a) != UL_STA1)
		side_rc(r, ul_transport_closed(r->a, 1000));
	return r->last_rc == 0 && s->last_rc == 0 ? 0 : -1;
}
