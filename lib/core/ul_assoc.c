/*
 * ul_assoc.c - one DICOM association: PDU framing, the PS3.8 9.2 state
 * machine (ul_fsm.c holds Table 9-10; the actions run here), negotiation
 * checks, P-DATA fragmentation and the output queue.  Sans I/O: bytes in,
 * callbacks and queued bytes out, time only as a parameter.
 */
#include <limits.h>
#include <stdarg.h>
#include <stdio.h> /* vsnprintf only: no file I/O in core */
#include <string.h>

#include "cstore/cstore.h"
#include "alloc.h"
#include "buf.h"
#include "ul_assoc.h"
#include "ul_fsm.h"
#include "ul_pdu.h"
#include "banned.h"

/* PDV item header (PS3.8 9.3.5.1): item length (4), PCID, control. */
#define PDV_HDR_LEN 6
/* P-DATA-TF header plus one PDV item header. */
#define PDATA_HDR_LEN (UL_PDU_HEADER_LEN + PDV_HDR_LEN)
/* Room beyond UL_OUT_QUEUE_MAX kept for association-control PDUs. */
#define OUT_CONTROL_ROOM (2 * ((size_t)UL_MAX_ASSOC_PDU + UL_PDU_HEADER_LEN))
/* External payloads that may be owed at once (ul_pdata_external). */
#define MAX_OWED 8

/* A-ABORT reasons when the source is the service provider (PS3.8 9.3.8). */
enum {
	AB_NOT_SPECIFIED = 0,
	AB_UNRECOGNIZED_PDU = 1,
	AB_UNEXPECTED_PDU = 2,
	AB_INVALID_PARAM = 6,
};

/* Where ul_recv is in the byte stream. */
enum in_mode {
	IN_HEADER,  /* collecting a 6-byte PDU header */
	IN_BUFFER,  /* collecting an association-control PDU body */
	IN_PDATA,   /* streaming a P-DATA-TF body, PDV by PDV */
	IN_SKIP,    /* dropping the rest of a PDU body, framing intact */
	IN_DISCARD, /* framing lost: dropping everything */
};

struct owed {
	size_t at;   /* offset in out.p where the payload belongs */
	size_t left; /* payload bytes still to be written by the caller */
};

struct ul_assoc {
	int role;
	enum ul_state state;
	struct ul_config cfg;
	struct ul_callbacks cb;
	void *user;
	ul_trace_fn trace;
	void *trace_user;
	struct ul_ts_keep ts_keep; /* ul_set_ts_keep; fn NULL: keep all */
	struct cs_err err;
	int err_lock; /* err was set by the running call: keep the first */

	int in_engine; /* inside ul_recv/ul_tick: no re-entry */
	int fatal;     /* error to return from the current ul_recv/ul_tick */
	int paused;    /* a callback returned UL_CB_PAUSE: ul_recv stops */
	uint64_t now;  /* latest time the caller gave us */
	int64_t artim; /* ARTIM deadline, -1 when stopped */
	int want_close;

	/* negotiation */
	struct ul_assoc_params *rq; /* RQ as sent or received */
	struct ul_assoc_params *ac; /* AC as sent or received */
	int have_rq, have_ac;
	struct wr rq_pdu;      /* our encoded RQ, sent at Evt2 */
	uint32_t peer_max;     /* peer's maximum PDU length, 0 = none */
	uint32_t our_max;      /* ours as advertised, 0 = none */
	uint8_t pc_index[256]; /* accepted PCID -> 1 + index in ac->pc */

	/* output */
	struct wr out;
	size_t out_off; /* bytes of out already handed out and consumed */
	struct owed owed[MAX_OWED];
	unsigned n_owed;

	/* input */
	int in_mode;
	uint8_t hdr[UL_PDU_HEADER_LEN];
	size_t hdr_got;
	uint8_t pdu_type;
	uint32_t body_left;
	uint32_t pdu_len; /* of the PDU being received (ul_in_pdu) */
	struct wr body;   /* control PDU: header and body, capped */
	uint8_t pdv_hdr[PDV_HDR_LEN];
	size_t pdv_got;
	uint32_t pdv_left;
	int pdv_seen; /* a PDV header of this PDU was traced */
};

/* --- small helpers ------------------------------------------------------ */

int
ul_in_pdu(const struct ul_assoc *a, uint32_t *len, uint32_t *left)
{
	int in = a->hdr_got > 0 ||
	    (a->in_mode != IN_HEADER && a->in_mode != IN_DISCARD &&
		a->body_left > 0);

	*len = in && a->hdr_got == 0 ? a->pdu_len : 0;
	*left = in && a->hdr_got == 0 ? a->body_left : 0;
	return in;
}

static void
start_artim(struct ul_assoc *a)
{
	uint64_t t = a->now + a->cfg.artim_ms;

	a->artim = t > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)t;
}

/*
 * The one transition step: every event moves to the next state its
 * Table 9-10 cell names (ul_fsm.c), or to the cell's alternative when
 * the action chooses it (alt: AE-6 refusing the RQ, AR-8 on the
 * acceptor).  Nothing else writes a->state; the actions around it only
 * queue PDUs, call callbacks and set timers, callbacks after the step.
 */
static void
transition(struct ul_assoc *a, const struct ul_fsm_cell *c, int alt)
{
	a->state = alt && c->next_alt != 0 ? (enum ul_state)c->next_alt
					   : (enum ul_state)c->next;
	/* ARTIM runs only in Sta2 and Sta13 (PS3.8 Table 9-10, Evt18) */
	if (a->state != UL_STA2 && a->state != UL_STA13)
		a->artim = -1;
}

/*
 * Records the detail of a failure in a->err.  ul_last_error() reports the
 * latest failing call, so a new call overwrites; within one call the
 * first (root) cause wins.  Returns code.
 */
static int seterr(struct ul_assoc *, int, const char *, ...)
    __attribute__((format(printf, 3, 4)));
static int
seterr(struct ul_assoc *a, int code, const char *fmt, ...)
{
	va_list ap;

	if (a->err_lock)
		return code;
	a->err_lock = 1;
	a->err.code = code;
	va_start(ap, fmt);
	vsnprintf(a->err.msg, sizeof(a->err.msg), fmt, ap);
	va_end(ap);
	return code;
}

/* Every public entry point starts a new call for seterr(). */
static void
enter(struct ul_assoc *a)
{
	a->err_lock = 0;
}

/* Records a fatal code for the running ul_recv/ul_tick (first wins). */
static int
fail(struct ul_assoc *a, int code)
{
	if (a->fatal == 0)
		a->fatal = code;
	return code;
}

static void
trace(struct ul_assoc *a, char dir, const uint8_t *p, size_t n)
{
	if (a->trace != NULL)
		a->trace(a->trace_user, dir, p, n);
}

static void
clear_blobs(struct ul_assoc_params *p)
{
	unsigned i;

	for (i = 0; i < p->n_ext_neg && i < UL_MAX_EXT; i++)
		memset(&p->ext_neg[i].info, 0, sizeof(p->ext_neg[i].info));
	memset(&p->user_identity.primary, 0, sizeof(struct ul_blob));
	memset(&p->user_identity.secondary, 0, sizeof(struct ul_blob));
	memset(&p->user_identity.server_response, 0, sizeof(struct ul_blob));
}

/* --- output queue ------------------------------------------------------- */

/* Moves unconsumed output to the front of the buffer. */
static void
out_compact(struct ul_assoc *a)
{
	unsigned i;

	if (a->out_off == 0)
		return;
	wr_consume(&a->out, a->out_off);
	for (i = 0; i < a->n_owed; i++)
		a->owed[i].at -= a->out_off;
	a->out_off = 0;
}

static size_t
out_queued(const struct ul_assoc *a)
{
	return a->out.len - a->out_off;
}

/*
 * Undoes a failed append: the writer latched an error part way through a
 * PDU, so cut back to where it started and clear the latch.
 */
static int
out_rollback(struct ul_assoc *a, size_t mark, int rc)
{
	int err = rc != 0 ? rc : a->out.err;

	a->out.len = mark;
	a->out.err = 0;
	return err == CS_E_TOOBIG ? CS_E_AGAIN : err;
}

/* Finishes a PDU appended from mark: traces it, or rolls it back. */
static int
out_pdu_done(struct ul_assoc *a, size_t mark, int rc)
{
	if (rc != 0 || a->out.err != 0)
		return out_rollback(a, mark, rc);
	trace(a, 'S', a->out.p + mark, a->out.len - mark);
	return 0;
}

static int
queue_abort(struct ul_assoc *a, uint8_t source, uint8_t reason)
{
	struct ul_abort ab = { source, reason };
	size_t mark;

	out_compact(a);
	mark = a->out.len;
	if (out_pdu_done(a, mark, ul_encode_abort(&a->out, &ab)) != 0) {
		/* cannot tell the peer: drop the transport instead */
		a->want_close = 1;
		return CS_E_NOMEM;
	}
	return 0;
}

static int
queue_simple(struct ul_assoc *a, int type)
{
	size_t mark;
	int rc;

	out_compact(a);
	mark = a->out.len;
	rc = type == UL_PDU_RELEASE_RQ ? ul_encode_release_rq(&a->out)
				       : ul_encode_release_rp(&a->out);
	return out_pdu_done(a, mark, rc);
}

/* --- actions shared by several cells ------------------------------------ */

/* AA-1: A-ABORT PDU, (re)start ARTIM (Sta13). */
static void
act_aa1(struct ul_assoc *a, const struct ul_fsm_cell *c, uint8_t source,
    uint8_t reason)
{
	(void)queue_abort(a, source, reason);
	transition(a, c, 0);
	start_artim(a);
}

/* AA-8: A-ABORT PDU (provider), A-P-ABORT indication, ARTIM (Sta13). */
static void
act_aa8(struct ul_assoc *a, const struct ul_fsm_cell *c, uint8_t reason)
{
	struct ul_abort ab = { 2, reason };

	(void)queue_abort(a, 2, reason);
	transition(a, c, 0);
	start_artim(a);
	if (a->cb.on_abort != NULL)
		(void)a->cb.on_abort(a->user, &ab, 0);
}

/* AA-2: stop ARTIM, close the transport (Sta1). */
static void
act_aa2(struct ul_assoc *a, const struct ul_fsm_cell *c)
{
	transition(a, c, 0);
	a->want_close = 1;
}

/*
 * Evt15 from inside the engine: a callback failed, so the local user
 * aborts (AA-1 with source 0, or AA-2 in Sta4), as ul_abort() would.
 */
static void
callback_failed(struct ul_assoc *a, const char *name)
{
	const struct ul_fsm_cell *c = ul_fsm_lookup(a->state, UL_EVT15);

	seterr(a, CS_E_CALLBACK, "callback '%s' failed", name);
	fail(a, CS_E_CALLBACK);
	if (c == NULL)
		return;
	if (c->action == UL_AA1)
		act_aa1(a, c, 0, 0);
	else
		act_aa2(a, c);
}

/*
 * What a callback returned: 0 goes on; UL_CB_PAUSE makes ul_recv stop
 * after the bytes handed to it (the callback ran, its chunk is consumed:
 * nghttp2's NGHTTP2_ERR_PAUSE); anything else aborts.
 */
static void
callback_result(struct ul_assoc *a, int rc, const char *name)
{
	if (rc == UL_CB_PAUSE)
		a->paused = 1;
	else if (rc != 0)
		callback_failed(a, name);
}

/*
 * A received PDU that is invalid (Evt19) or unexpected in this state
 * (Evt3/4/6/10/12/13/16 in a cell whose action is an abort): runs the
 * cell and reports CS_E_PROTO unless the association was already over
 * (Sta13).  The A-ABORT carries source 2 and reason: PS3.8 9.3.8 gives
 * the provider these reasons; AA-1 in Sta2 also uses them, because the
 * abort there is the provider's, not the local user's.
 */
static void
protocol_event(struct ul_assoc *a, int evt, uint8_t reason, const char *msg)
{
	const struct ul_fsm_cell *c = ul_fsm_lookup(a->state, evt);
	int was = a->state;

	if (c == NULL)
		return;
	switch (c->action) {
	case UL_AA1:
		act_aa1(a, c, 2, reason);
		break;
	case UL_AA8:
		act_aa8(a, c, reason);
		break;
	case UL_AA7:
		/* Sta13: answer with an A-ABORT, ARTIM keeps running */
		(void)queue_abort(a, 2, reason);
		transition(a, c, 0);
		return;
	default: /* AA-6: ignore (Sta13 stays) */
		transition(a, c, 0);
		return;
	}
	seterr(a, CS_E_PROTO, "%s in %s (%s)", msg, ul_state_name(was),
	    ul_state_text(was));
	fail(a, CS_E_PROTO);
}

/* --- negotiation checks ------------------------------------------------- */

static const struct ul_pc *
find_pc(const struct ul_assoc_params *p, uint8_t id)
{
	unsigned i;

	for (i = 0; i < p->n_pc && i < UL_MAX_PC; i++)
		if (p->pc[i].id == id)
			return &p->pc[i];
	return NULL;
}

static int
ts_proposed(const struct ul_pc *pc, const char *ts)
{
	unsigned i;

	for (i = 0; i < pc->n_ts && i < UL_MAX_TS; i++)
		if (strcmp(pc->ts[i], ts) == 0)
			return 1;
	return 0;
}

/*
 * Checks an AC (received, or about to be sent) against our RQ: every
 * context id answered once and proposed; an accepted one carries exactly
 * one transfer syntax that was proposed for it (PS3.8 9.3.3.2).  Fills in
 * the abstract syntaxes.  Returns 0 or CS_E_PROTO/CS_E_INVAL with detail.
 */
static int
check_ac(struct ul_assoc *a, struct ul_assoc_params *ac, int code, int need_all)
{
	uint8_t seen[256];
	unsigned i;

	memset(seen, 0, sizeof(seen));
	if (ac->n_pc > UL_MAX_PC)
		return seterr(a, code,
		    "too many presentation "
		    "contexts in a-associate-ac");
	for (i = 0; i < ac->n_pc; i++) {
		struct ul_pc *pc = &ac->pc[i];
		const struct ul_pc *p = find_pc(a->rq, pc->id);

		if (p == NULL)
			return seterr(a, code,
			    "a-associate-ac "
			    "answers presentation context %u, which was not "
			    "proposed",
			    pc->id);
		if (seen[pc->id]++)
			return seterr(a, code,
			    "a-associate-ac "
			    "answers presentation context %u twice",
			    pc->id);
		memcpy(pc->abstract_syntax, p->abstract_syntax,
		    sizeof(pc->abstract_syntax));
		if (pc->result != UL_PC_ACCEPTANCE)
			continue;
		if (pc->n_ts != 1)
			return seterr(a, code,
			    "accepted "
			    "presentation context %u has %u transfer syntaxes, "
			    "not 1",
			    pc->id, pc->n_ts);
		if (!ts_proposed(p, pc->ts[0]))
			return seterr(a, code,
			    "accepted "
			    "presentation context %u has transfer syntax '%s', "
			    "which was not proposed",
			    pc->id, pc->ts[0]);
	}
	if (need_all)
		for (i = 0; i < a->rq->n_pc; i++)
			if (!seen[a->rq->pc[i].id])
				return seterr(a, code,
				    "presentation context %u is not answered",
				    a->rq->pc[i].id);
	return 0;
}

static void
index_accepted(struct ul_assoc *a)
{
	unsigned i;

	memset(a->pc_index, 0, sizeof(a->pc_index));
	for (i = 0; i < a->ac->n_pc && i < UL_MAX_PC; i++)
		if (a->ac->pc[i].result == UL_PC_ACCEPTANCE)
			a->pc_index[a->ac->pc[i].id] = (uint8_t)(i + 1);
}

static void
fill_user_info(const struct ul_assoc *a, struct ul_assoc_params *p)
{
	if (p->protocol_version == 0)
		p->protocol_version = 1;
	if (p->app_context[0] == '\0')
		memcpy(p->app_context, UL_APP_CONTEXT, sizeof(UL_APP_CONTEXT));
	if (!p->has_max_pdu) {
		p->has_max_pdu = 1;
		p->max_pdu = a->cfg.max_pdu_recv;
	}
	if (p->impl_class_uid[0] == '\0')
		memcpy(p->impl_class_uid, CS_IMPL_CLASS_UID,
		    sizeof(CS_IMPL_CLASS_UID));
	if (!p->has_impl_version && p->impl_version[0] == '\0') {
		p->has_impl_version = 1;
		memcpy(
		    p->impl_version, CS_IMPL_VERSION, sizeof(CS_IMPL_VERSION));
	}
}

/* --- received association-control PDUs --------------------------------- */

static int
pdu_event(uint8_t type)
{
	switch (type) {
	case UL_PDU_ASSOCIATE_RQ:
		return UL_EVT6;
	case UL_PDU_ASSOCIATE_AC:
		return UL_EVT3;
	case UL_PDU_ASSOCIATE_RJ:
		return UL_EVT4;
	case UL_PDU_P_DATA_TF:
		return UL_EVT10;
	case UL_PDU_RELEASE_RQ:
		return UL_EVT12;
	case UL_PDU_RELEASE_RP:
		return UL_EVT13;
	case UL_PDU_ABORT:
		return UL_EVT16;
	}
	return UL_EVT19;
}

/*
 * A Maximum Length below UL_MIN_PEER_MAX (0 is no limit): no P-DATA-TF
 * could carry a fragment to that peer.  Sets the error; 1 when so.
 */
static int
tiny_peer_max(struct ul_assoc *a, const struct ul_assoc_params *p)
{
	if (!p->has_max_pdu || p->max_pdu == 0 || p->max_pdu >= UL_MIN_PEER_MAX)
		return 0;
	seterr(a, CS_E_REJECTED,
	    "the peer's maximum pdu length %u leaves no room for data "
	    "(a pdv header and an even fragment need at least %u, "
	    "PS3.8 9.3.5, E.1)",
	    p->max_pdu, UL_MIN_PEER_MAX);
	return 1;
}

/* AE-3: A-ASSOCIATE-AC in Sta5. */
static void
recv_ac(struct ul_assoc *a, const struct ul_fsm_cell *c, const uint8_t *body,
    size_t len)
{
	struct cs_err e = { 0, "" };

	if (ul_decode_assoc_ac(body, len, a->ac, &e) != 0) {
		protocol_event(a, UL_EVT19, AB_INVALID_PARAM, e.msg);
		return;
	}
	if (check_ac(a, a->ac, CS_E_PROTO, 0) != 0) {
		/* detail is in a->err already; the abort keeps it */
		protocol_event(
		    a, UL_EVT19, AB_INVALID_PARAM, "invalid a-associate-ac");
		return;
	}
	if (tiny_peer_max(a, a->ac)) {
		protocol_event(a, UL_EVT19, AB_INVALID_PARAM,
		    "maximum pdu length too small");
		return;
	}
	a->have_ac = 1;
	a->peer_max = a->ac->has_max_pdu ? a->ac->max_pdu : 0;
	index_accepted(a);
	transition(a, c, 0);
	if (a->cb.on_associate_ac != NULL)
		callback_result(a, a->cb.on_associate_ac(a->user, a->ac),
		    "on_associate_ac");
	clear_blobs(a->ac);
}

/* AE-4: A-ASSOCIATE-RJ in Sta5. */
static void
recv_rj(struct ul_assoc *a, const struct ul_fsm_cell *c, const uint8_t *body,
    size_t len)
{
	struct cs_err e = { 0, "" };
	struct ul_assoc_rj rj;

	if (ul_decode_assoc_rj(body, len, &rj, &e) != 0) {
		protocol_event(a, UL_EVT19, AB_INVALID_PARAM, e.msg);
		return;
	}
	transition(a, c, 0);
	a->want_close = 1;
	seterr(a, CS_E_REJECTED,
	    "association rejected: %s "
	    "(result %u, source %u, reason %u)",
	    ul_rj_reason_text(rj.source, rj.reason), rj.result, rj.source,
	    rj.reason);
	if (a->cb.on_associate_rj != NULL)
		callback_result(
		    a, a->cb.on_associate_rj(a->user, &rj), "on_associate_rj");
}

/* The bytes of blob b, which points into a->body: gone for good. */
static void
wipe_blob(struct ul_assoc *a, const struct ul_blob *b)
{
	if (b->p != NULL && b->len > 0 && b->p >= a->body.p &&
	    b->p + b->len <= a->body.p + a->body.len)
		explicit_bzero(a->body.p + (b->p - a->body.p), b->len);
}

/*
 * Once the RQ has been judged, its identity (a passcode, a ticket or a
 * token) has no further use: wiped from the PDU buffer, which is kept
 * for the next control PDU.
 */
static void
wipe_identity(struct ul_assoc *a)
{
	if (!a->rq->has_user_identity)
		return;
	wipe_blob(a, &a->rq->user_identity.primary);
	wipe_blob(a, &a->rq->user_identity.secondary);
}

/* AE-8 for an RQ the provider itself cannot accept (the error is set):
 * rj queued, Sta13 until the peer closes or ARTIM expires. */
static void
reject_rq(struct ul_assoc *a, const struct ul_fsm_cell *c,
    const struct ul_assoc_rj *rj)
{
	size_t mark;

	out_compact(a);
	mark = a->out.len;
	if (out_pdu_done(a, mark, ul_encode_assoc_rj(&a->out, rj)) != 0)
		a->want_close = 1; /* cannot answer: just close */
	transition(a, c, 1);       /* not acceptable: Sta13 */
	start_artim(a);
	wipe_identity(a);
	clear_blobs(a->rq);
}

/* AE-6: A-ASSOCIATE-RQ in Sta2. */
static void
recv_rq(struct ul_assoc *a, const struct ul_fsm_cell *c, const uint8_t *body,
    size_t len)
{
	struct cs_err e = { 0, "" };
	struct ul_assoc_rj rj = { 0, 0, 0 };

	if (ul_decode_assoc_rq_keep(body, len, a->rq, &a->ts_keep, &rj, &e) !=
	    0) {
		if (rj.result != 0) {
			/* well formed, not acceptable (PS3.8 9.2 AE-6):
			 * the peer's stack can say why, an abort cannot */
			seterr(a, CS_E_REJECTED, "association rejected: %s",
			    e.msg);
			reject_rq(a, c, &rj);
			return;
		}
		/* an invalid PDU (Evt19): A-ABORT (AA-1) */
		protocol_event(a, UL_EVT19, AB_INVALID_PARAM, e.msg);
		return;
	}
	a->have_rq = 1;
	a->peer_max = a->rq->has_max_pdu ? a->rq->max_pdu : 0;
	if (tiny_peer_max(a, a->rq)) {
		/* no message could be answered: permanent, source 2 (ACSE),
		 * reason 1 no reason given (Table 9-21) */
		reject_rq(a, c, &(struct ul_assoc_rj){ 1, 2, 1 });
		return;
	}
	if ((a->rq->protocol_version & 1) == 0) {
		/* PS3.8 9.3.2: bit 0 is version 1; anything else is not
		 * acceptable to the provider: RJ permanent, source 2 (ACSE),
		 * reason 2 protocol version not supported (Table 9-21). */
		seterr(a, CS_E_REJECTED,
		    "association rejected: "
		    "protocol version 0x%04x not supported",
		    a->rq->protocol_version);
		reject_rq(a, c, &(struct ul_assoc_rj){ 1, 2, 2 });
		return;
	}
	transition(a, c, 0);
	if (a->cb.on_associate_rq != NULL)
		callback_result(a, a->cb.on_associate_rq(a->user, a->rq),
		    "on_associate_rq");
	wipe_identity(a);
	clear_blobs(a->rq);
}

/* AA-3: A-ABORT PDU in Sta3, Sta5-Sta12. */
static void
recv_abort(struct ul_assoc *a, const struct ul_fsm_cell *c, const uint8_t *body,
    size_t len)
{
	struct ul_abort ab = { 0, 0 };
	struct cs_err e = { 0, "" };

	/* the length is checked at the header; reserved bytes untested */
	(void)ul_decode_abort(body, len, &ab, &e);
	transition(a, c, 0);
	a->want_close = 1;
	seterr(a, CS_E_ABORTED,
	    "association aborted by the peer: "
	    "%s (source %u, reason %u)",
	    ul_abort_reason_text(ab.source, ab.reason), ab.source, ab.reason);
	if (a->cb.on_abort != NULL)
		(void)a->cb.on_abort(a->user, &ab, 1);
}

/* AR-2 (Sta8), AR-8 (collision: Sta9 requestor, Sta10 acceptor). */
static void
release_indication(struct ul_assoc *a, const struct ul_fsm_cell *c)
{
	transition(a, c, c->action == UL_AR8 && a->role == UL_ACCEPTOR);
	if (a->cb.on_release_rq != NULL)
		callback_result(
		    a, a->cb.on_release_rq(a->user), "on_release_rq");
}

/* AR-3 (close the transport, Sta1), AR-10 (collision, Sta12). */
static void
release_confirmation(struct ul_assoc *a, const struct ul_fsm_cell *c)
{
	transition(a, c, 0);
	if (c->action == UL_AR3)
		a->want_close = 1;
	if (a->cb.on_release_rp != NULL)
		callback_result(
		    a, a->cb.on_release_rp(a->user), "on_release_rp");
}

/* A whole association-control PDU is in a->body (header included). */
static void
recv_control(struct ul_assoc *a)
{
	const uint8_t *body = a->body.p + UL_PDU_HEADER_LEN;
	size_t len = a->body.len - UL_PDU_HEADER_LEN;
	int evt = pdu_event(a->pdu_type);
	const struct ul_fsm_cell *c = ul_fsm_lookup(a->state, evt);
	char msg[64];

	trace(a, 'R', a->body.p, a->body.len);
	if (c == NULL)
		return; /* Sta1/Sta4 never read; nothing else is empty */
	switch (c->action) {
	case UL_AE3:
		recv_ac(a, c, body, len);
		break;
	case UL_AE4:
		recv_rj(a, c, body, len);
		break;
	case UL_AE6:
		recv_rq(a, c, body, len);
		break;
	case UL_AR2:
	case UL_AR8:
		release_indication(a, c);
		break;
	case UL_AR3:
	case UL_AR10:
		release_confirmation(a, c);
		break;
	case UL_AA3:
		recv_abort(a, c, body, len);
		break;
	case UL_AA2: /* A-ABORT in Sta2 or Sta13 */
		act_aa2(a, c);
		break;
	default: /* AA-1, AA-6, AA-7, AA-8: not expected here */
		snprintf(msg, sizeof(msg), "unexpected %s",
		    ul_pdu_name(a->pdu_type));
		protocol_event(a, evt, AB_UNEXPECTED_PDU, msg);
		break;
	}
	/* an RQ never judged (undecodable, or in another state): nothing
	 * of it is used, and its identity must not stay in the buffer */
	if (a->pdu_type == UL_PDU_ASSOCIATE_RQ &&
	    (c->action != UL_AE6 || !a->have_rq))
		explicit_bzero(a->body.p, a->body.len);
}

/* --- input framing ----------------------------------------------------- */

/* Framing is lost: report Evt19 and drop every further byte. */
static void
frame_error(struct ul_assoc *a, uint8_t reason, const char *msg)
{
	trace(a, 'R', a->hdr, UL_PDU_HEADER_LEN);
	a->in_mode = IN_DISCARD;
	protocol_event(a, UL_EVT19, reason, msg);
}

/* A PDU header is complete: check it before reading any of the body. */
static void
on_header(struct ul_assoc *a)
{
	uint8_t type;
	uint32_t len;
	char msg[128];

	/* the 6 header bytes are all there: this cannot fail */
	(void)ul_pdu_header(a->hdr, UL_PDU_HEADER_LEN, &type, &len);

	a->hdr_got = 0;
	a->pdu_type = type;
	a->body_left = len;
	a->pdu_len = len;
	if (type < UL_PDU_ASSOCIATE_RQ || type > UL_PDU_ABORT) {
		/* PS3.8 9.3.1: the length of an unknown PDU cannot be trusted
		 * to resynchronise on */
		snprintf(
		    msg, sizeof(msg), "unrecognized pdu type 0x%02x", type);
		frame_error(a, AB_UNRECOGNIZED_PDU, msg);
		return;
	}
	if (type == UL_PDU_P_DATA_TF) {
		const struct ul_fsm_cell *c = ul_fsm_lookup(a->state, UL_EVT10);

		if (c == NULL || (c->action != UL_DT2 && c->action != UL_AR6)) {
			/* not wanted here: act on the header, skip the body */
			trace(a, 'R', a->hdr, UL_PDU_HEADER_LEN);
			a->in_mode = len > 0 ? IN_SKIP : IN_HEADER;
			protocol_event(a, UL_EVT10, AB_UNEXPECTED_PDU,
			    "unexpected p-data-tf");
			return;
		}
		if (len == 0) {
			/* PS3.8 9.3.5: one or more PDV items */
			frame_error(a, AB_INVALID_PARAM,
			    "p-data-tf without "
			    "pdv items");
			return;
		}
		if (a->our_max != 0 && len > a->our_max) {
			snprintf(msg, sizeof(msg),
			    "p-data-tf length %u exceeds "
			    "our maximum pdu length %u",
			    len, a->our_max);
			frame_error(a, AB_INVALID_PARAM, msg);
			return;
		}
		transition(a, c, 0); /* DT-2, AR-6: the state stays */
		a->in_mode = IN_PDATA;
		a->pdv_got = 0;
		a->pdv_left = 0;
		a->pdv_seen = 0;
		return;
	}
	if (type != UL_PDU_ASSOCIATE_RQ && type != UL_PDU_ASSOCIATE_AC &&
	    len != 4) {
		/* PS3.8 9.3.4, 9.3.6-9.3.8: these PDUs have length 4 */
		snprintf(msg, sizeof(msg), "%s length %u, expected 4",
		    ul_pdu_name(type), len);
		frame_error(a, AB_INVALID_PARAM, msg);
		return;
	}
	if (len > UL_MAX_ASSOC_PDU) {
		snprintf(msg, sizeof(msg),
		    "%s length %u exceeds the limit "
		    "%u",
		    ul_pdu_name(type), len, UL_MAX_ASSOC_PDU);
		frame_error(a, AB_INVALID_PARAM, msg);
		return;
	}
	wr_reset(&a->body);
	wr_bytes(&a->body, a->hdr, UL_PDU_HEADER_LEN);
	if (a->body.err != 0) {
		seterr(a, CS_E_FATAL, "out of memory buffering %s",
		    ul_pdu_name(type));
		fail(a, CS_E_FATAL);
		a->in_mode = IN_DISCARD;
		protocol_event(a, UL_EVT19, AB_NOT_SPECIFIED, "out of memory");
		return;
	}
	a->in_mode = IN_BUFFER;
	if (len == 0) {
		a->in_mode = IN_HEADER;
		recv_control(a);
	}
}

/* PDV item header complete: check it (PS3.8 9.3.5.1, Annex E). */
static int
on_pdv_header(struct ul_assoc *a)
{
	struct rd r;
	uint32_t n;
	uint8_t pcid;
	char msg[128];

	/* PS3.8 9.3.5.1: item length (4, big endian), PCID, control header */
	rd_init(&r, a->pdv_hdr, PDV_HDR_LEN);
	n = rd_be32(&r);
	pcid = rd_u8(&r);

	if (!a->pdv_seen) {
		uint8_t t[PDATA_HDR_LEN];

		memcpy(t, a->hdr, UL_PDU_HEADER_LEN);
		memcpy(t + UL_PDU_HEADER_LEN, a->pdv_hdr, PDV_HDR_LEN);
		trace(a, 'R', t, sizeof(t));
		a->pdv_seen = 1;
	}
	if (n < 2)
		snprintf(msg, sizeof(msg),
		    "pdv item length %u is shorter than "
		    "2",
		    n);
	else if (n - 2 > a->body_left)
		snprintf(msg, sizeof(msg),
		    "pdv item of length %u overruns its "
		    "p-data-tf",
		    n);
	else if ((pcid & 1) == 0)
		snprintf(msg, sizeof(msg),
		    "pdv presentation context id %u is "
		    "not odd",
		    pcid);
	else if (a->pc_index[pcid] == 0)
		snprintf(msg, sizeof(msg),
		    "pdv on presentation context %u, "
		    "which is not accepted",
		    pcid);
	else {
		a->pdv_left = n - 2;
		return 0;
	}
	a->in_mode = a->body_left > 0 ? IN_SKIP : IN_HEADER;
	protocol_event(a, UL_EVT19, AB_INVALID_PARAM, msg);
	return -1;
}

/* Streams one step of a P-DATA-TF body; returns bytes consumed. */
static size_t
pdata_step(struct ul_assoc *a, const uint8_t *in, size_t n)
{
	size_t take;
	uint8_t ctl;
	enum ul_state st = a->state;

	if (a->pdv_got < PDV_HDR_LEN) {
		take = PDV_HDR_LEN - a->pdv_got;
		if (take > a->body_left) {
			a->in_mode = IN_SKIP;
			protocol_event(a, UL_EVT19, AB_INVALID_PARAM,
			    "pdv item header overruns its p-data-tf");
			return 0;
		}
		if (take > n)
			take = n;
		memcpy(a->pdv_hdr + a->pdv_got, in, take);
		a->pdv_got += take;
		a->body_left -= (uint32_t)take;
		if (a->pdv_got < PDV_HDR_LEN || on_pdv_header(a) != 0)
			return take;
		if (a->pdv_left > 0)
			return take;
		/* an empty PDV: one chunk of zero bytes */
		in += take;
		n = 0;
	} else {
		n = n < a->pdv_left ? n : a->pdv_left;
		a->pdv_left -= (uint32_t)n;
		a->body_left -= (uint32_t)n;
		take = n;
	}
	ctl = (uint8_t)(a->pdv_hdr[5] & (UL_PDV_COMMAND | UL_PDV_LAST));
	if (a->pdv_left == 0) {
		ctl |= UL_PDV_CHUNK_END;
		a->pdv_got = 0;
	}
	if (a->body_left == 0 && a->pdv_left == 0)
		a->in_mode = IN_HEADER;
	if (a->cb.on_pdv != NULL)
		callback_result(a,
		    a->cb.on_pdv(a->user, a->pdv_hdr[4], ctl, in, n), "on_pdv");
	/* a callback may have aborted or released: stop delivering */
	if (a->state != st && a->state != UL_STA6 && a->state != UL_STA7 &&
	    a->in_mode == IN_PDATA)
		a->in_mode = IN_SKIP;
	return take;
}

/* --- public: lifecycle -------------------------------------------------- */

struct ul_assoc *
ul_assoc_new(enum ul_role_kind role, const struct ul_config *cfg,
    const struct ul_callbacks *cb, void *user)
{
	struct ul_assoc *a;

	if (role != UL_REQUESTOR && role != UL_ACCEPTOR)
		return NULL;
	a = cs_calloc(1, sizeof(*a));
	if (a == NULL)
		return NULL;
	a->rq = cs_calloc(1, sizeof(*a->rq));
	a->ac = cs_calloc(1, sizeof(*a->ac));
	if (a->rq == NULL || a->ac == NULL) {
		cs_free(a->rq);
		cs_free(a->ac);
		cs_free(a);
		return NULL;
	}
	a->role = (int)role;
	a->state = UL_STA1;
	a->artim = -1;
	a->cfg.max_pdu_recv = UL_DEFAULT_MAX_PDU;
	a->cfg.artim_ms = UL_DEFAULT_ARTIM_MS;
	if (cfg != NULL) {
		a->cfg.max_pdu_recv = cfg->max_pdu_recv;
		if (cfg->artim_ms != 0)
			a->cfg.artim_ms = cfg->artim_ms;
	}
	if (cb != NULL)
		a->cb = *cb;
	a->user = user;
	wr_init(&a->out, (size_t)UL_OUT_QUEUE_MAX + OUT_CONTROL_ROOM);
	wr_init(&a->body, (size_t)UL_MAX_ASSOC_PDU + UL_PDU_HEADER_LEN);
	wr_init(&a->rq_pdu, (size_t)UL_MAX_ASSOC_PDU + UL_PDU_HEADER_LEN);
	return a;
}

void
ul_assoc_free(struct ul_assoc *a)
{
	if (a == NULL)
		return;
	wr_release(&a->out);
	wr_release(&a->body);
	wr_release(&a->rq_pdu);
	cs_free(a->rq);
	cs_free(a->ac);
	cs_free(a);
}

/* --- public: transport -> engine ---------------------------------------- */

int
ul_transport_connected(struct ul_assoc *a, uint64_t now)
{
	int evt = a->role == UL_REQUESTOR ? UL_EVT2 : UL_EVT5;
	const struct ul_fsm_cell *c = ul_fsm_lookup(a->state, evt);
	size_t mark;

	enter(a);
	if (c == NULL || a->in_engine)
		return seterr(a, CS_E_STATE,
		    "transport connection not "
		    "expected in %s (%s)",
		    ul_state_name(a->state), ul_state_text(a->state));
	a->now = now;
	if (c->action == UL_AE5) {
		/* AE-5: wait for the A-ASSOCIATE-RQ under ARTIM */
		transition(a, c, 0);
		start_artim(a);
		return 0;
	}
	/* AE-2: send the A-ASSOCIATE-RQ encoded at Evt1 */
	out_compact(a);
	mark = a->out.len;
	wr_bytes(&a->out, a->rq_pdu.p, a->rq_pdu.len);
	if (a->out.err != 0)
		return seterr(a, out_rollback(a, mark, 0),
		    "cannot queue the "
		    "a-associate-rq");
	trace(a, 'S', a->rq_pdu.p, a->rq_pdu.len);
	wr_release(&a->rq_pdu);
	transition(a, c, 0); /* AE-2 */
	return 0;
}

ssize_t
ul_recv(struct ul_assoc *a, const uint8_t *in, size_t len, uint64_t now)
{
	size_t pos = 0, take;
	int rc;

	if (a->in_engine)
		return CS_E_STATE;
	enter(a);
	if (a->state == UL_STA4)
		return seterr(a, CS_E_STATE,
		    "bytes received before the "
		    "transport connection was confirmed");
	if (a->state == UL_STA1)
		return 0; /* not connected, or over: nothing consumed */
	if (len > (size_t)SSIZE_MAX)
		len = (size_t)SSIZE_MAX;
	a->in_engine = 1;
	a->fatal = 0;
	a->paused = 0;
	a->now = now;
	/* a pause ends the loop between two chunks: nothing is half done */
	while (pos < len && a->state != UL_STA1 && !a->paused) {
		switch (a->in_mode) {
		case IN_HEADER:
			take = UL_PDU_HEADER_LEN - a->hdr_got;
			take = take < len - pos ? take : len - pos;
			memcpy(a->hdr + a->hdr_got, in + pos, take);
			a->hdr_got += take;
			pos += take;
			if (a->hdr_got == UL_PDU_HEADER_LEN)
				on_header(a);
			break;
		case IN_BUFFER:
			take =
			    a->body_left < len - pos ? a->body_left : len - pos;
			wr_bytes(&a->body, in + pos, take);
			pos += take;
			a->body_left -= (uint32_t)take;
			if (a->body.err != 0) {
				seterr(a, CS_E_FATAL,
				    "out of memory "
				    "buffering %s",
				    ul_pdu_name(a->pdu_type));
				fail(a, CS_E_FATAL);
				a->in_mode = IN_DISCARD;
				protocol_event(a, UL_EVT19, AB_NOT_SPECIFIED,
				    "out of memory");
			} else if (a->body_left == 0) {
				a->in_mode = IN_HEADER;
				recv_control(a);
			}
			break;
		case IN_PDATA:
			pos += pdata_step(a, in + pos, len - pos);
			break;
		case IN_SKIP:
			take =
			    a->body_left < len - pos ? a->body_left : len - pos;
			pos += take;
			a->body_left -= (uint32_t)take;
			if (a->body_left == 0)
				a->in_mode = IN_HEADER;
			break;
		default: /* IN_DISCARD */
			pos = len;
			break;
		}
	}
	a->in_engine = 0;
	rc = a->fatal;
	a->fatal = 0;
	return rc != 0 ? rc : (ssize_t)pos;
}

uint32_t
ul_in_opaque(const struct ul_assoc *a, uint8_t *pcid)
{
	/* on_pdv is called in Sta6 and Sta7 only (DT-2, AR-6) */
	if (a->in_mode != IN_PDATA || a->pdv_got != PDV_HDR_LEN ||
	    (a->pdv_hdr[5] & UL_PDV_COMMAND) != 0 ||
	    (a->state != UL_STA6 && a->state != UL_STA7))
		return 0;
	*pcid = a->pdv_hdr[4];
	return a->pdv_left;
}

ssize_t
ul_recv_unseen(struct ul_assoc *a, size_t n, uint64_t now)
{
	uint8_t pcid;
	int rc;

	if (a->in_engine)
		return CS_E_STATE;
	enter(a);
	if (n == 0 || n > ul_in_opaque(a, &pcid))
		return seterr(a, CS_E_INVAL, "%zu unseen bytes where %u may be",
		    n, ul_in_opaque(a, &pcid));
	a->in_engine = 1;
	a->fatal = 0;
	a->paused = 0;
	a->now = now;
	/* inside the PDV's data: pdata_step hands on NULL, counts n */
	(void)pdata_step(a, NULL, n);
	a->in_engine = 0;
	rc = a->fatal;
	a->fatal = 0;
	return rc != 0 ? rc : (ssize_t)n;
}

int
ul_transport_closed(struct ul_assoc *a, uint64_t now)
{
	const struct ul_fsm_cell *c = ul_fsm_lookup(a->state, UL_EVT17);
	struct ul_abort ab = { 2, AB_NOT_SPECIFIED };
	int was = a->state;

	if (a->in_engine)
		return CS_E_STATE;
	enter(a);
	if (c == NULL)
		return 0; /* Sta1: nothing to close */
	a->now = now;
	a->in_mode = IN_DISCARD;
	transition(a, c, 0);
	a->want_close = 1;
	if (c->action != UL_AA4)
		return 0; /* AA-5 (Sta2), AR-5 (Sta13): stop ARTIM, idle */
	/* AA-4: A-P-ABORT indication */
	seterr(a, CS_E_CLOSED,
	    "connection closed unexpectedly in "
	    "%s (%s)",
	    ul_state_name(was), ul_state_text(was));
	if (a->cb.on_abort != NULL)
		(void)a->cb.on_abort(a->user, &ab, 0);
	return CS_E_CLOSED;
}

/* --- public: engine -> transport ---------------------------------------- */

size_t
ul_out_peek(struct ul_assoc *a, const uint8_t **out)
{
	size_t end = a->n_owed > 0 ? a->owed[0].at : a->out.len;

	*out = a->out.p != NULL ? a->out.p + a->out_off : NULL;
	return end - a->out_off;
}

void
ul_out_consume(struct ul_assoc *a, size_t n)
{
	size_t end = a->n_owed > 0 ? a->owed[0].at : a->out.len;

	if (n > end - a->out_off)
		n = end - a->out_off;
	a->out_off += n;
	if (a->out_off == a->out.len && a->n_owed == 0) {
		a->out.len = 0;
		a->out_off = 0;
	}
}

size_t
ul_out_payload_owed(const struct ul_assoc *a)
{
	if (a->n_owed == 0 || a->owed[0].at != a->out_off)
		return 0;
	return a->owed[0].left;
}

size_t
ul_out_payload_next(const struct ul_assoc *a)
{
	/* peek always stops at the first owed payload */
	return a->n_owed > 0 ? a->owed[0].left : 0;
}

void
ul_out_payload_sent(struct ul_assoc *a, size_t n)
{
	if (ul_out_payload_owed(a) == 0)
		return;
	if (n > a->owed[0].left)
		n = a->owed[0].left;
	a->owed[0].left -= n;
	if (a->owed[0].left > 0)
		return;
	a->n_owed--;
	memmove(a->owed, a->owed + 1, a->n_owed * sizeof(a->owed[0]));
	if (a->out_off == a->out.len && a->n_owed == 0) {
		a->out.len = 0;
		a->out_off = 0;
	}
}

int
ul_want_close(const struct ul_assoc *a)
{
	return a->want_close;
}

/* --- public: timers ----------------------------------------------------- */

int64_t
ul_next_deadline(const struct ul_assoc *a)
{
	return a->artim;
}

int
ul_tick(struct ul_assoc *a, uint64_t now)
{
	const struct ul_fsm_cell *c = ul_fsm_lookup(a->state, UL_EVT18);
	enum ul_state was = a->state;

	if (a->in_engine)
		return CS_E_STATE;
	enter(a);
	a->now = now;
	if (a->artim < 0 || now < (uint64_t)a->artim || c == NULL)
		return 0;
	/* Evt18 -> AA-2: stop ARTIM, close the transport, Sta1 */
	act_aa2(a, c);
	if (was != UL_STA2)
		return 0; /* Sta13: the peer did not close in time */
	return seterr(a, CS_E_TIMEOUT,
	    "no a-associate-rq within "
	    "%u ms of the connection (artim)",
	    a->cfg.artim_ms);
}

/* --- public: local primitives ------------------------------------------- */

/* Checks that a local primitive has a cell here; 0 or CS_E_STATE. */
static const struct ul_fsm_cell *
local_cell(struct ul_assoc *a, int evt)
{
	const struct ul_fsm_cell *c = ul_fsm_lookup(a->state, evt);

	enter(a);
	if (c == NULL) {
		seterr(a, CS_E_STATE, "%s not allowed in %s (%s)",
		    ul_event_text(evt), ul_state_name(a->state),
		    ul_state_text(a->state));
		return NULL;
	}
	return c;
}

int
ul_associate_rq(struct ul_assoc *a, const struct ul_assoc_params *rq)
{
	const struct ul_fsm_cell *c;
	unsigned i;
	int rc;

	enter(a);
	if ((c = local_cell(a, UL_EVT1)) == NULL)
		return CS_E_STATE;
	if (a->role != UL_REQUESTOR)
		return seterr(a, CS_E_STATE,
		    "an acceptor cannot request an "
		    "association");
	if (rq == NULL || rq->n_pc == 0 || rq->n_pc > UL_MAX_PC)
		return seterr(a, CS_E_INVAL,
		    "a-associate-rq needs 1 to %u "
		    "presentation contexts",
		    UL_MAX_PC);
	*a->rq = *rq;
	fill_user_info(a, a->rq);
	for (i = 0; i < a->rq->n_pc; i++)
		if (a->rq->pc[i].id % 2 == 0)
			return seterr(a, CS_E_INVAL,
			    "presentation "
			    "context id %u is not odd",
			    a->rq->pc[i].id);
	wr_reset(&a->rq_pdu);
	rc = ul_encode_assoc_rq(&a->rq_pdu, a->rq);
	if (rc == 0 && a->rq_pdu.err != 0)
		rc = a->rq_pdu.err;
	if (rc != 0) {
		wr_release(&a->rq_pdu);
		if (rc == CS_E_NOMEM)
			return seterr(a, rc,
			    "out of memory encoding "
			    "a-associate-rq");
		return seterr(a, CS_E_INVAL,
		    "invalid a-associate-rq "
		    "parameters (ae titles, uids, ids or lengths)");
	}
	clear_blobs(a->rq);
	a->have_rq = 1;
	a->our_max = a->rq->max_pdu;
	transition(a, c, 0); /* AE-1: the caller connects the transport */
	return 0;
}

/* Is the AE title ae empty or the RQ's (rq_ae, as decoded)? */
static int
same_or_none(const char *ae, const char *rq_ae)
{
	return ae[0] == '\0' || strcmp(ae, rq_ae) == 0;
}

int
ul_associate_accept(struct ul_assoc *a, const struct ul_assoc_params *ac)
{
	const struct ul_fsm_cell *c = local_cell(a, UL_EVT7);
	struct ul_assoc_params *p = a->ac;
	size_t mark;
	int rc;

	/* Evt7 has a cell only in Sta3, which only an acceptor reaches */
	if (c == NULL)
		return CS_E_STATE;
	if (ac == NULL)
		return seterr(a, CS_E_INVAL, "no a-associate-ac");
	*p = *ac;
	if (check_ac(a, p, CS_E_INVAL, 1) != 0)
		return CS_E_INVAL;
	fill_user_info(a, p);
	/* PS3.8 9.3.3: called and calling AE titles are those of the RQ,
	 * byte for byte (as it sent them) unless the caller named others */
	p->has_raw_titles = a->rq->has_raw_titles &&
	    same_or_none(p->called_ae, a->rq->called_ae) &&
	    same_or_none(p->calling_ae, a->rq->calling_ae);
	if (p->has_raw_titles)
		memcpy(p->raw_titles, a->rq->raw_titles, sizeof(p->raw_titles));
	/* PS3.8 Table 9-17: bytes 43-74 as the RQ sent them */
	memcpy(p->raw_reserved, a->rq->raw_reserved, sizeof(p->raw_reserved));
	if (p->called_ae[0] == '\0')
		memcpy(p->called_ae, a->rq->called_ae, sizeof(p->called_ae));
	if (p->calling_ae[0] == '\0')
		memcpy(p->calling_ae, a->rq->calling_ae, sizeof(p->calling_ae));
	out_compact(a);
	mark = a->out.len;
	rc = out_pdu_done(a, mark, ul_encode_assoc_ac(&a->out, p));
	if (rc != 0)
		return seterr(a, rc == CS_E_INVAL ? CS_E_INVAL : rc,
		    "cannot encode a-associate-ac: %s", cs_strerror(rc));
	clear_blobs(p);
	a->have_ac = 1;
	a->our_max = p->max_pdu;
	index_accepted(a);
	transition(a, c, 0); /* AE-7 */
	return 0;
}

int
ul_associate_reject(struct ul_assoc *a, const struct ul_assoc_rj *rj)
{
	const struct ul_fsm_cell *c = local_cell(a, UL_EVT8);
	size_t mark;
	int rc;

	if (c == NULL) /* Sta3 only: an acceptor */
		return CS_E_STATE;
	/* PS3.8 9.3.4: result 1-2, source 1-3 */
	if (rj == NULL || rj->result < 1 || rj->result > 2 || rj->source < 1 ||
	    rj->source > 3)
		return seterr(a, CS_E_INVAL,
		    "invalid a-associate-rj "
		    "result or source");
	out_compact(a);
	mark = a->out.len;
	rc = out_pdu_done(a, mark, ul_encode_assoc_rj(&a->out, rj));
	if (rc != 0)
		return rc;
	transition(a, c, 0); /* AE-8 */
	start_artim(a);
	return 0;
}

uint32_t
ul_max_pdv_payload(const struct ul_assoc *a)
{
	uint32_t room;

	/* PS3.8 9.3.5: the limit covers the PDU body: PDV header + data */
	if (a->peer_max == 0)
		room = UINT32_MAX - PDV_HDR_LEN;
	else
		room =
		    a->peer_max > PDV_HDR_LEN ? a->peer_max - PDV_HDR_LEN : 0;
	/* PS3.8 E.1 wants fragments of even length; an odd maximum
	 * (a peer announcing 4097) would make odd ones, which DCMTK's
	 * DIMSE refuses ("Odd Fragment Length"). */
	return room & ~(uint32_t)1;
}

/* Checks common to both P-DATA requests; returns 0 (and the Evt9 cell
 * in *c) or a code. */
static int
pdata_check(struct ul_assoc *a, uint8_t pcid, uint8_t control,
    const struct ul_fsm_cell **c)
{
	if ((*c = local_cell(a, UL_EVT9)) == NULL)
		return CS_E_STATE;
	if (a->pc_index[pcid] == 0)
		return seterr(a, CS_E_INVAL,
		    "presentation context "
		    "%u is not accepted",
		    pcid);
	if ((control & ~(UL_PDV_COMMAND | UL_PDV_LAST)) != 0)
		return seterr(a, CS_E_INVAL,
		    "invalid pdv control "
		    "0x%02x",
		    control);
	if (ul_max_pdv_payload(a) == 0)
		return seterr(a, CS_E_INVAL,
		    "the peer's maximum pdu "
		    "length %u leaves no room for data",
		    a->peer_max);
	return 0;
}

int
ul_pdata(struct ul_assoc *a, uint8_t pcid, uint8_t control, const uint8_t *data,
    size_t len)
{
	const struct ul_fsm_cell *c;
	size_t maxp, nfrag, need, mark, off = 0;
	int rc;

	if ((rc = pdata_check(a, pcid, control, &c)) != 0)
		return rc;
	if (data == NULL && len > 0)
		return seterr(a, CS_E_INVAL, "no data");
	maxp = ul_max_pdv_payload(a);
	if (len > UL_OUT_QUEUE_MAX)
		return seterr(a, CS_E_INVAL,
		    "%zu bytes do not fit "
		    "the output queue (%u)",
		    len, UL_OUT_QUEUE_MAX);
	nfrag = len == 0 ? 1 : (len - 1) / maxp + 1;
	need = len + nfrag * PDATA_HDR_LEN;
	if (need > UL_OUT_QUEUE_MAX)
		return seterr(a, CS_E_INVAL,
		    "%zu bytes do not fit "
		    "the output queue (%u)",
		    len, UL_OUT_QUEUE_MAX);
	if (out_queued(a) + need > UL_OUT_QUEUE_MAX)
		return CS_E_AGAIN;
	out_compact(a);
	mark = a->out.len;
	if (wr_reserve(&a->out, need) != 0)
		return out_rollback(a, mark, 0);
	do {
		size_t n = len - off < maxp ? len - off : maxp;
		uint8_t ctl = (uint8_t)(control & UL_PDV_COMMAND);
		size_t at = a->out.len;

		/* only the last fragment keeps the last-fragment bit */
		if (off + n == len)
			ctl |= (uint8_t)(control & UL_PDV_LAST);
		rc = ul_encode_pdata_header(&a->out, pcid, ctl, (uint32_t)n);
		if (rc != 0 || a->out.err != 0)
			return out_rollback(a, mark, rc);
		wr_bytes(&a->out, data + off, n);
		trace(a, 'S', a->out.p + at, PDATA_HDR_LEN);
		off += n;
	} while (off < len);
	if (a->out.err != 0)
		return out_rollback(a, mark, 0);
	transition(a, c, 0); /* DT-1 (Sta6) or AR-7 (Sta8): the state stays */
	return 0;
}

int
ul_pdata_external(
    struct ul_assoc *a, uint8_t pcid, uint8_t control, uint32_t len)
{
	const struct ul_fsm_cell *c;
	size_t mark;
	int rc;

	if ((rc = pdata_check(a, pcid, control, &c)) != 0)
		return rc;
	if (len > ul_max_pdv_payload(a))
		return seterr(a, CS_E_INVAL,
		    "pdv of %u bytes exceeds "
		    "the peer's limit %u",
		    len, ul_max_pdv_payload(a));
	if (a->n_owed == MAX_OWED ||
	    out_queued(a) + PDATA_HDR_LEN > UL_OUT_QUEUE_MAX)
		return CS_E_AGAIN;
	out_compact(a);
	mark = a->out.len;
	rc = ul_encode_pdata_header(&a->out, pcid, control, len);
	if (rc != 0 || a->out.err != 0)
		return out_rollback(a, mark, rc);
	trace(a, 'S', a->out.p + mark, PDATA_HDR_LEN);
	if (len > 0) {
		a->owed[a->n_owed].at = a->out.len;
		a->owed[a->n_owed].left = len;
		a->n_owed++;
	}
	transition(a, c, 0); /* DT-1 or AR-7: the state stays */
	return 0;
}

int
ul_release_rq(struct ul_assoc *a)
{
	const struct ul_fsm_cell *c = local_cell(a, UL_EVT11);
	int rc;

	if (c == NULL)
		return CS_E_STATE;
	if ((rc = queue_simple(a, UL_PDU_RELEASE_RQ)) != 0)
		return rc;
	transition(a, c, 0); /* AR-1 */
	return 0;
}

int
ul_release_response(struct ul_assoc *a)
{
	const struct ul_fsm_cell *c = local_cell(a, UL_EVT14);
	int rc;

	if (c == NULL)
		return CS_E_STATE;
	if ((rc = queue_simple(a, UL_PDU_RELEASE_RP)) != 0)
		return rc;
	transition(a, c, 0); /* AR-4 Sta13, AR-9 Sta11 */
	if (c->action == UL_AR4)
		start_artim(a); /* AR-4: wait for the peer to close */
	return 0;
}

int
ul_abort(struct ul_assoc *a)
{
	const struct ul_fsm_cell *c = local_cell(a, UL_EVT15);

	if (c == NULL)
		return CS_E_STATE;
	if (c->action == UL_AA2)
		act_aa2(a, c); /* Sta4: not connected yet, just close */
	else
		act_aa1(a, c, 0, 0); /* service-user source, reason 0 */
	return 0;
}

/* --- public: state -------------------------------------------------------- */

enum ul_state
ul_state(const struct ul_assoc *a)
{
	return a->state;
}

int
ul_established(const struct ul_assoc *a)
{
	return a->state == UL_STA6;
}

const struct ul_assoc_params *
ul_rq_params(const struct ul_assoc *a)
{
	return a->have_rq ? a->rq : NULL;
}

const struct ul_assoc_params *
ul_ac_params(const struct ul_assoc *a)
{
	return a->have_ac ? a->ac : NULL;
}

const struct ul_pc *
ul_accepted_pc(const struct ul_assoc *a, uint8_t pcid)
{
	if (!a->have_ac || a->pc_index[pcid] == 0)
		return NULL;
	return &a->ac->pc[a->pc_index[pcid] - 1];
}

const struct cs_err *
ul_last_error(const struct ul_assoc *a)
{
	return &a->err;
}

void
ul_set_trace(struct ul_assoc *a, ul_trace_fn fn, void *user)
{
	a->trace = fn;
	a->trace_user = user;
}

void
ul_set_ts_keep(
    struct ul_assoc *a, int (*fn)(void *user, const char *uid), void *user)
{
	a->ts_keep.fn = fn;
	a->ts_keep.user = user;
}
