/*
 * ul_assoc.h - one DICOM association, sans I/O (PS3.8 9.2).
 *
 * The caller moves bytes: ul_recv() takes bytes read from the transport,
 * ul_out_peek()/ul_out_consume() hand out bytes to write.  Everything
 * the protocol decides comes back through callbacks.  The engine never
 * touches a socket or reads a clock: `now` (milliseconds, any monotonic
 * origin) is a parameter, ul_next_deadline() says when to call ul_tick().
 *
 * The state machine is the one of PS3.8 Table 9-10 (ul_fsm.h), states
 * Sta1-Sta13 and events Evt1-Evt19.
 *
 * Return values: 0 (or a byte count) on success; a negative CS_E_* code
 * on failure, detail in ul_last_error().  After a code at or below
 * CS_E_FATAL the association is finished: it has queued an A-ABORT if
 * one was due.  Keep writing the output, and close the transport when
 * ul_want_close() says so or the peer closes it.  (After an A-ABORT of
 * ours PS3.8 waits in Sta13 for the peer to close, bounded by ARTIM: keep
 * calling ul_tick() at ul_next_deadline(); PS3.8 9.1.4.)
 *
 * Local primitives (ul_associate_rq/accept/reject, ul_pdata*,
 * ul_release_rq/response, ul_abort) called in a state where Table 9-10
 * has no action for their event return CS_E_STATE and change nothing:
 * a misuse of the local API never aborts the association.  Validation
 * failures return CS_E_INVAL, a full output queue CS_E_AGAIN, and a
 * failed allocation CS_E_NOMEM, all without side effects.
 *
 * Received-PDU events (Evt3/4/6/10/12/13/16/19) that Table 9-10 answers
 * with an abort (AA-1, AA-7, AA-8) queue an A-ABORT with source 2 and the
 * PS3.8 9.3.8 reason (1 unrecognized PDU, 2 unexpected PDU, 6 invalid
 * PDU parameter value): the abort is the provider's.  ul_abort() and a
 * failing callback send source 0 (service user), reason 0.
 *
 * Pointers handed to callbacks point into the caller's input buffer or
 * engine memory and are valid only during the callback.  The pointer
 * from ul_out_peek() is valid until the next ul_* call on the object.
 * Callbacks may call ul_* functions on the same association (accept,
 * reject, release request/response, P-DATA, abort, and ul_out_* to
 * write what they queued at once) except ul_recv, ul_tick and
 * ul_transport_* (CS_E_STATE) and ul_assoc_free.
 */
#ifndef CS_CORE_UL_ASSOC_H
#define CS_CORE_UL_ASSOC_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h> /* ssize_t */

#include "ul_fsm.h" /* enum ul_state */
#include "ul_pdu.h"

struct cs_err;
struct ul_assoc;

enum ul_role_kind {
	UL_REQUESTOR = 1, /* association requestor (SCU side here) */
	UL_ACCEPTOR = 2,  /* association acceptor (SCP side here) */
};

struct ul_config {
	/*
	 * Maximum PDU length we advertise and accept (PS3.8 9.3.1: the
	 * P-DATA-TF PDU body).  0 = unlimited.  A P-DATA-TF longer than this
	 * is a protocol error.  With a NULL cfg: UL_DEFAULT_MAX_PDU (a
	 * zeroed cfg means unlimited).
	 */
	uint32_t max_pdu_recv;
	/* ARTIM timeout in ms (Sta2, Sta13); 0 selects UL_DEFAULT_ARTIM_MS. */
	uint32_t artim_ms;
};
#define UL_DEFAULT_MAX_PDU (256u * 1024u)
#define UL_DEFAULT_ARTIM_MS 30000u
/*
 * The smallest Maximum Length a peer may announce (0 aside, which means
 * no limit): the variable field of a P-DATA-TF (PS3.8 9.3.5) must hold a
 * PDV header (6 bytes) and an even fragment (PS3.8 E.1), 2 bytes at the
 * least.  A smaller one could carry no message: an A-ASSOCIATE-RQ that
 * announces it is rejected (permanent, ACSE, no reason), an
 * A-ASSOCIATE-AC aborted (invalid parameter), each with CS_E_REJECTED.
 */
#define UL_MIN_PEER_MAX 8u
/* Association-control PDUs (RQ, AC, RJ, release, abort) are capped here. */
#define UL_MAX_ASSOC_PDU (256u * 1024u)
/*
 * The output queue holds at most this many bytes of P-DATA (headers and
 * copied data) not yet taken by ul_out_consume(); ul_pdata() and
 * ul_pdata_external() return CS_E_AGAIN rather than pass it, so drain the
 * output and retry.  Association-control PDUs have room beyond it.
 */
#define UL_OUT_QUEUE_MAX (2u * 1024u * 1024u)

/* Chunk flag passed with on_pdv: this chunk ends the PDV item. */
#define UL_PDV_CHUNK_END 0x80

/*
 * Callbacks: any may be NULL (ignored).  Each runs after the state has
 * moved to the cell's next state, so the primitives it may call see the
 * new state.  Return 0 to go on.  UL_CB_PAUSE pauses (see below).  Any
 * other value makes the engine abort as ul_abort() would (A-ABORT
 * source 0) and ul_recv() return CS_E_CALLBACK.
 *
 * Pause (as nghttp2's NGHTTP2_ERR_PAUSE, llhttp's HPE_PAUSED): when a
 * callback called from ul_recv() returns UL_CB_PAUSE, ul_recv() stops
 * right after the bytes it handed to that callback and returns the
 * number consumed up to and including them; the callback's chunk counts
 * as delivered and is not handed out again.  Nothing is half done: the
 * engine stops between two chunks, with the state the callback saw.  A
 * P-DATA-TF or PDV item cut by the pause goes on where it stopped, with
 * the same PDV control bits, when ul_recv() is called again.  While
 * paused the caller may do anything a callback may not: write the
 * output, wait, queue answers (ul_pdata(), ...), call ul_tick() or
 * ul_transport_closed().  To resume, call ul_recv() with the input not
 * consumed, followed by any new input.  The pause is not remembered: a
 * ul_recv() call after it delivers at once.  on_abort cannot pause (its
 * return value is ignored).
 */
#define UL_CB_PAUSE 0x5041 /* positive, and not 1: "return 1" still aborts */
struct ul_callbacks {
	/* Acceptor: an A-ASSOCIATE-RQ arrived (Sta3).  Answer with
	 * ul_associate_accept() or ul_associate_reject(), now or later.
	 * The protocol version is checked before (PS3.8 9.3.2: no bit 0 ->
	 * A-ASSOCIATE-RJ permanent, source 2, reason 2, without a call). */
	int (*on_associate_rq)(void *user, const struct ul_assoc_params *rq);
	/* Requestor: accepted (Sta6); ac->pc[i].abstract_syntax is filled
	 * in.  The AC was checked: every PCID one we proposed, once; each
	 * accepted context with exactly one transfer syntax we proposed
	 * for it; otherwise it is a protocol error (A-ABORT, no call).  An
	 * AC that accepts no context is passed on: the caller decides. */
	int (*on_associate_ac)(void *user, const struct ul_assoc_params *ac);
	/* Requestor: rejected (Sta1, transport to close). */
	int (*on_associate_rj)(void *user, const struct ul_assoc_rj *rj);
	/*
	 * A chunk of a PDV's data, as it arrives: a PDV item may come in
	 * several chunks (the payload streams, it is not buffered).  control
	 * is the PDV message control header (UL_PDV_COMMAND, UL_PDV_LAST),
	 * with UL_PDV_CHUNK_END added on the chunk that ends the PDV item.
	 * data points into the buffer given to ul_recv() (len may be 0 for
	 * an empty PDV), or is NULL for bytes the caller consumed unseen
	 * (ul_recv_unseen: only a receiver that calls it sees NULL).  Only PDVs on accepted contexts reach here.
	 */
	int (*on_pdv)(void *user, uint8_t pcid, uint8_t control,
	    const uint8_t *data, size_t len);
	/* The peer asks to release (Sta8, or a collision: Sta9 on the
	 * requestor, Sta10 on the acceptor): answer with
	 * ul_release_response() when ready.  In Sta10 (PS3.8 Table 9-10)
	 * the answer is allowed only after on_release_rp (Sta12). */
	int (*on_release_rq)(void *user);
	/* Our release request was answered: the association is over (Sta1,
	 * AR-3), or, in a collision on the acceptor side, Sta12 (AR-10):
	 * then answer the peer's request with ul_release_response(). */
	int (*on_release_rp)(void *user);
	/* A-ABORT from the peer: an A-ABORT PDU (AA-3, from_peer 1, its
	 * source and reason).  Or an A-P-ABORT from our provider (from_peer
	 * 0): a protocol error here (AA-8, source 2 and the reason we sent)
	 * or the transport closed in Sta3-Sta12 (AA-4: source 2, reason 0).
	 * Not called for our own ul_abort() or for ARTIM expiry (AA-2).
	 * The return value is ignored. */
	int (*on_abort)(
	    void *user, const struct ul_abort *abort, int from_peer);
};

/*
 * A new association in Sta1.  cfg and cb are copied (either may be NULL:
 * defaults, no callbacks); user is passed to every callback.  Returns
 * NULL when out of memory or role is invalid.  The object is about
 * 330 KiB (the RQ and AC parameters are kept).
 */
struct ul_assoc *ul_assoc_new(enum ul_role_kind role,
    const struct ul_config *cfg, const struct ul_callbacks *cb, void *user);
/* Frees the association; NULL-safe.  Not from inside a callback. */
void ul_assoc_free(struct ul_assoc *a);

/* --- transport -> engine ---------------------------------------------- */

/*
 * Evt2 (requestor, Sta4: AE-2 queues the A-ASSOCIATE-RQ, Sta5) or Evt5
 * (acceptor, Sta1: AE-5 starts ARTIM, Sta2).  CS_E_STATE elsewhere;
 * CS_E_NOMEM/CS_E_AGAIN if the RQ cannot be queued (retry).
 */
int ul_transport_connected(struct ul_assoc *a, uint64_t now);
/*
 * Feeds received bytes (Evt3/4/6/10/12/13/16/19).  Accepts any split of
 * the stream.  Returns the number of bytes consumed: all of them, unless
 * the association ended part way (bytes after the end are not consumed)
 * or a callback paused (UL_CB_PAUSE: bytes after its chunk are not
 * consumed; feed them again), or a negative code.
 *
 * Checks made on the 6-byte PDU header, before any of the body is read:
 * an unknown PDU type is Evt19 (A-ABORT reason 1); an association-control
 * PDU longer than UL_MAX_ASSOC_PDU, an RJ/release/abort PDU whose length
 * is not 4, an empty P-DATA-TF or one longer than the maximum we
 * advertised (when not 0) are Evt19 (reason 6).  After those the stream
 * cannot be trusted and the rest is dropped.  Association-control PDUs
 * are buffered whole, then decoded; P-DATA-TF bodies are not buffered:
 * PDVs stream to on_pdv.  A PDV overrunning its PDU, shorter than 2, or
 * with an even or unaccepted PCID is Evt19 (reason 6).
 *
 * Errors: CS_E_PROTO (the peer broke the protocol: A-ABORT queued, Sta13),
 * CS_E_CALLBACK, CS_E_FATAL (out of memory buffering a PDU: aborted),
 * CS_E_STATE (called from a callback, or in Sta4 before connect).  A
 * received A-ABORT, A-ASSOCIATE-RJ or A-RELEASE-RP is not an error here:
 * the callbacks report them (and ul_last_error() has the detail).  In
 * Sta1 nothing is consumed and 0 is returned.
 */
ssize_t
ul_recv(struct ul_assoc *a, const uint8_t *in, size_t len, uint64_t now);
/*
 * Opaque payload (for a caller that moves bytes past the engine, e.g.
 * by splice(2)): the data bytes still due of the data set PDV (control
 * bit 0 clear) being received, when the stream is inside one; else 0
 * (a PDU or PDV header is next, a command PDV, a PDU being skipped or
 * buffered).  They all come before the next PDV or PDU header.  *pcid
 * gets the PDV's context.
 */
uint32_t ul_in_opaque(const struct ul_assoc *a, uint8_t *pcid);
/*
 * n bytes (1 to ul_in_opaque()) of that PDV were received and consumed
 * without being given to the engine: on_pdv is called once with data
 * NULL and len n (and UL_PDV_CHUNK_END when they end the PDV), as
 * ul_recv() would call it with the bytes.  Returns n or a negative code
 * as ul_recv() does; CS_E_INVAL (nothing done) when n is out of range.
 */
ssize_t ul_recv_unseen(struct ul_assoc *a, size_t n, uint64_t now);
/*
 * Evt17: the transport was closed by the peer or failed.  In Sta2 (AA-5)
 * and Sta13 (AR-5) that is the normal end: returns 0.  In Sta3-Sta12
 * (AA-4) on_abort(source 2, reason 0, from_peer 0) is called and
 * CS_E_CLOSED returned.  Sta1 afterwards; 0 in Sta1.
 */
int ul_transport_closed(struct ul_assoc *a, uint64_t now);

/* --- engine -> transport ---------------------------------------------- */

/* Bytes waiting to be written, and how many of them there are (0: none,
 * or the next thing to write is an owed payload). */
size_t ul_out_peek(struct ul_assoc *a, const uint8_t **out);
/* n bytes of what ul_out_peek() returned were written (n is clamped). */
void ul_out_consume(struct ul_assoc *a, size_t n);
/*
 * Payload the caller promised with ul_pdata_external() and must write
 * itself, straight after the bytes ul_out_peek() returned up to it, and
 * then report with ul_out_payload_sent().  Until it is all reported,
 * ul_out_peek() returns nothing queued after it.  ul_out_payload_owed()
 * is non-zero only once every byte before the payload was consumed.
 * Write loop: peek/write/consume; when peek gives 0, write up to owed
 * payload bytes and report them; stop when both are 0.  If the payload
 * cannot be produced any more (source failed), the stream is committed:
 * write filler bytes or close the transport.
 */
size_t ul_out_payload_owed(const struct ul_assoc *a);
/* The payload owed straight after what ul_out_peek() returns now (0 if
 * none): a writer can tell the kernel more is coming (MSG_MORE). */
size_t ul_out_payload_next(const struct ul_assoc *a);
void ul_out_payload_sent(struct ul_assoc *a, size_t n);
/* True once the engine wants the transport closed (after the output
 * has been written): after AE-4, AR-3, AA-2..AA-5, AR-5, or when an
 * A-ABORT could not be queued.  In Sta13 without it, wait for the peer
 * to close or for ARTIM (ul_tick). */
int ul_want_close(const struct ul_assoc *a);

/* --- timers ------------------------------------------------------------ */

/*
 * Absolute time of the next deadline (ARTIM, running only in Sta2 and
 * Sta13), or -1 if none.  ARTIM started by a local primitive (reject,
 * release response, abort) counts from the latest `now` the engine was
 * given (ul_recv, ul_tick, ul_transport_*).
 */
int64_t ul_next_deadline(const struct ul_assoc *a);
/*
 * Evt18 if the ARTIM deadline has passed at now: AA-2, Sta1, want_close.
 * Returns CS_E_TIMEOUT when that happened in Sta2 (no A-ASSOCIATE-RQ in
 * time), else 0.  CS_E_STATE from inside a callback.
 */
int ul_tick(struct ul_assoc *a, uint64_t now);

/* --- local primitives ------------------------------------------------- */

/*
 * Evt1: request an association (requestor, Sta1 -> Sta4; AE-1: the caller
 * now connects the transport and calls ul_transport_connected()).  PC IDs
 * must be odd and unique.  The engine fills in, when left empty: protocol
 * version 1, the DICOM application context, our max PDU (has_max_pdu 0:
 * cfg->max_pdu_recv; that is also the limit we enforce on P-DATA-TF), the
 * implementation class UID (CS_IMPL_CLASS_UID) and version
 * (CS_IMPL_VERSION).  The RQ is encoded now: CS_E_INVAL for parameters
 * the standard forbids (ul_encode_assoc_rq), CS_E_NOMEM; CS_E_STATE
 * on an acceptor or outside Sta1.  Blob contents are not kept.
 */
int ul_associate_rq(struct ul_assoc *a, const struct ul_assoc_params *rq);
/*
 * Evt7: accept (acceptor, Sta3 -> Sta6, AE-7).  ac->pc[] must answer every
 * proposed id exactly once; an accepted context has n_ts 1 with one of
 * the transfer syntaxes proposed for it (else CS_E_INVAL, detail in
 * ul_last_error()).  Abstract syntaxes are filled in from the RQ; AE
 * titles (from the RQ), application context, max PDU, implementation
 * UID and version as for ul_associate_rq() when left empty.
 */
int ul_associate_accept(struct ul_assoc *a, const struct ul_assoc_params *ac);
/* Evt8: reject (acceptor, Sta3 -> Sta13, AE-8: RJ queued, ARTIM
 * started).  result 1-2 and source 1-3, else CS_E_INVAL. */
int ul_associate_reject(struct ul_assoc *a, const struct ul_assoc_rj *rj);
/*
 * Evt9: send data (Sta6 DT-1, or Sta8 AR-7: after the peer asked to
 * release and before we answer; PS3.8 Table 9-10 has no Evt9 in Sta7).
 * The data is copied and split into P-DATA-TF PDUs of one PDV each, none
 * larger than the peer's maximum; only the last fragment carries
 * UL_PDV_LAST if control has it.  pcid must be accepted and control only
 * UL_PDV_COMMAND|UL_PDV_LAST (CS_E_INVAL).  CS_E_AGAIN when the queue
 * would pass UL_OUT_QUEUE_MAX (nothing queued: drain and retry);
 * CS_E_INVAL when len could never fit (use ul_pdata_external()).
 */
int ul_pdata(struct ul_assoc *a, uint8_t pcid, uint8_t control,
    const uint8_t *data, size_t len);
/*
 * Evt9 without a copy: queues the 12-byte header of one P-DATA-TF/PDV of
 * len payload bytes that the caller writes itself (see
 * ul_out_payload_owed).  len must not exceed ul_max_pdv_payload()
 * (CS_E_INVAL).  Up to 8 payloads may be owed at once: CS_E_AGAIN beyond.
 * control is sent as given (set UL_PDV_LAST on the last fragment).
 */
int ul_pdata_external(
    struct ul_assoc *a, uint8_t pcid, uint8_t control, uint32_t len);
/* Largest PDV payload the peer accepts in one PDU: its max - 6, rounded
 * down to even (PS3.8 E.1); UINT32_MAX - 7 when it set no limit. */
uint32_t ul_max_pdv_payload(const struct ul_assoc *a);
/* Evt11: ask to release (Sta6 -> Sta7, AR-1). */
int ul_release_rq(struct ul_assoc *a);
/* Evt14: answer the peer's release request: Sta8 or Sta12 -> Sta13
 * (AR-4: RP queued, ARTIM started), Sta9 -> Sta11 (AR-9). */
int ul_release_response(struct ul_assoc *a);
/* Evt15: abort, source 0 (service user) with reason 0: Sta3, Sta5-12
 * -> Sta13 (AA-1: A-ABORT queued, ARTIM started); Sta4 -> Sta1 (AA-2,
 * want_close).  CS_E_STATE in Sta1, Sta2 and Sta13 (no cell: close the
 * transport instead).  on_abort is not called. */
int ul_abort(struct ul_assoc *a);

/* --- state ------------------------------------------------------------- */

/* The state, UL_STA1..UL_STA13 (ul_fsm.h). */
enum ul_state ul_state(const struct ul_assoc *a);
/* True in Sta6 (association established, data may flow). */
int ul_established(const struct ul_assoc *a);
/* The RQ as sent or received, and the AC as sent or received (NULL
 * before).  Blob fields are cleared after the callbacks return. */
const struct ul_assoc_params *ul_rq_params(const struct ul_assoc *a);
const struct ul_assoc_params *ul_ac_params(const struct ul_assoc *a);
/* The accepted context with this id, or NULL. */
const struct ul_pc *ul_accepted_pc(const struct ul_assoc *a, uint8_t pcid);
/* Detail of the latest failure: of the latest failing call, or what
 * ended the association (rejection, abort, close, timeout).  Never NULL;
 * code 0 when nothing failed. */
/*
 * 1 while a PDU is part way received: its declared length in *len and
 * the bytes of it still due in *left (both 0 while its 6-byte header
 * is incomplete); 0 between PDUs.  For a receiver's progress deadline.
 */
int ul_in_pdu(const struct ul_assoc *a, uint32_t *len, uint32_t *left);
const struct cs_err *ul_last_error(const struct ul_assoc *a);

/*
 * Optional trace hook: called for every PDU sent (dir 'S', when it is
 * queued) or received ('R', when it is complete) with the whole PDU when
 * it is an association-control PDU, or for P-DATA-TF with the 6-byte PDU
 * header and the first 6-byte PDV item header (12 bytes; fewer if the
 * PDU is rejected before).  A rejected PDU header (unknown type, too
 * long) is traced alone (6 bytes).  pdu is valid during the call only.
 * fn NULL switches tracing off.
 */
typedef void (*ul_trace_fn)(
    void *user, char dir, const uint8_t *pdu, size_t len);
void ul_set_trace(struct ul_assoc *a, ul_trace_fn fn, void *user);

/*
 * Acceptor, optional: which proposed transfer syntaxes an A-ASSOCIATE-RQ
 * keeps.  fn(user, uid) returns non-zero for one the acceptor takes for
 * a context of some class, 0 for one it never takes; those are left out
 * of the RQ's contexts (ul_decode_assoc_rq_keep), so a context proposing
 * more than UL_MAX_TS syntaxes still shows the ones it would accept.
 * Called while the RQ is decoded, before on_associate_rq; it must not
 * call into the engine.  fn NULL (the default) keeps the first UL_MAX_TS.
 */
void ul_set_ts_keep(
    struct ul_assoc *a, int (*fn)(void *user, const char *uid), void *user);

#endif
