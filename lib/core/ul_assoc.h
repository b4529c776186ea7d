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
 * one was due and wants the transport closed (ul_want_close()).
 *
 * Pointers handed to callbacks point into the caller's input buffer or
 * engine memory and are valid only during the callback.  The pointer
 * from ul_out_peek() is valid until the next ul_* call on the object.
 * Callbacks may call ul_* functions on the same association (accept,
 * reject, release response, P-DATA, abort) except ul_recv/ul_tick.
 */
#ifndef CS_CORE_UL_ASSOC_H
#define CS_CORE_UL_ASSOC_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h> /* ssize_t */

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
	 * is a protocol error.  Default UL_DEFAULT_MAX_PDU.
	 */
	uint32_t max_pdu_recv;
	/* ARTIM timeout in ms (Sta2, Sta13); 0 selects UL_DEFAULT_ARTIM_MS. */
	uint32_t artim_ms;
};
#define UL_DEFAULT_MAX_PDU (256u * 1024u)
#define UL_DEFAULT_ARTIM_MS 30000u
/* Association-control PDUs (RQ, AC, RJ, release, abort) are capped here. */
#define UL_MAX_ASSOC_PDU (256u * 1024u)

/* Chunk flag passed with on_pdv: this chunk ends the PDV item. */
#define UL_PDV_CHUNK_END 0x80

struct ul_callbacks {
	/* Acceptor: an A-ASSOCIATE-RQ arrived (Sta3).  Answer with
	 * ul_associate_accept() or ul_associate_reject(), now or later. */
	int (*on_associate_rq)(void *user, const struct ul_assoc_params *rq);
	/* Requestor: accepted; ac->pc[i].abstract_syntax is filled in. */
	int (*on_associate_ac)(void *user, const struct ul_assoc_params *ac);
	/* Requestor: rejected. */
	int (*on_associate_rj)(void *user, const struct ul_assoc_rj *rj);
	/*
	 * A chunk of a PDV's data, as it arrives: a PDV item may come in
	 * several chunks (the payload streams, it is not buffered).  control
	 * is the PDV message control header (UL_PDV_COMMAND, UL_PDV_LAST),
	 * with UL_PDV_CHUNK_END added on the chunk that ends the PDV item.
	 */
	int (*on_pdv)(void *user, uint8_t pcid, uint8_t control,
	    const uint8_t *data, size_t len);
	/* The peer asks to release (Sta8, or a collision state): answer with
	 * ul_release_response() when ready. */
	int (*on_release_rq)(void *user);
	/* Our release request was answered: the association is over. */
	int (*on_release_rp)(void *user);
	/* A-ABORT from the peer (A-ABORT PDU) or from the provider (a protocol
	 * error here, ARTIM expiry, transport closed unexpectedly). */
	int (*on_abort)(void *user, const struct ul_abort *abort, int from_peer);
};

struct ul_assoc *ul_assoc_new(enum ul_role_kind role,
    const struct ul_config *cfg, const struct ul_callbacks *cb, void *user);
/* Frees the association; NULL-safe. */
void ul_assoc_free(struct ul_assoc *a);

/* --- transport -> engine ---------------------------------------------- */

/* Evt2 (requestor) or Evt5 (acceptor): the transport is connected. */
int ul_transport_connected(struct ul_assoc *a, uint64_t now);
/*
 * Feeds received bytes (Evt3/4/6/10/12/13/16/19).  Accepts any split of
 * the stream.  Returns the number of bytes consumed: all of them, unless
 * the association ended part way (bytes after the end are not consumed),
 * or a negative code.
 */
ssize_t ul_recv(struct ul_assoc *a, const uint8_t *in, size_t len,
    uint64_t now);
/* Evt17: the transport was closed by the peer or failed. */
int ul_transport_closed(struct ul_assoc *a, uint64_t now);

/* --- engine -> transport ---------------------------------------------- */

/* Bytes waiting to be written, and how many of them there are. */
size_t ul_out_peek(struct ul_assoc *a, const uint8_t **out);
void ul_out_consume(struct ul_assoc *a, size_t n);
/*
 * Payload the caller promised with ul_pdata_external() and must write
 * itself, straight after the bytes ul_out_peek() returned up to it, and
 * then report with ul_out_payload_sent().  Until it is all reported,
 * ul_out_peek() returns nothing queued after it.
 */
size_t ul_out_payload_owed(const struct ul_assoc *a);
void ul_out_payload_sent(struct ul_assoc *a, size_t n);
/* True once the engine wants the transport closed (after the output
 * has been written). */
int ul_want_close(const struct ul_assoc *a);

/* --- timers ------------------------------------------------------------ */

/* Absolute time of the next deadline (ARTIM), or -1 if none. */
int64_t ul_next_deadline(const struct ul_assoc *a);
/* Evt18 if the ARTIM deadline has passed at now. */
int ul_tick(struct ul_assoc *a, uint64_t now);

/* --- local primitives ------------------------------------------------- */

/* Evt1: request an association (requestor, Sta1).  PC IDs must be odd
 * and unique; the engine fills in our max PDU and implementation UID
 * and version if left empty. */
int ul_associate_rq(struct ul_assoc *a, const struct ul_assoc_params *rq);
/* Evt7: accept (acceptor, Sta3).  ac->pc[] answers every proposed id. */
int ul_associate_accept(struct ul_assoc *a, const struct ul_assoc_params *ac);
/* Evt8: reject (acceptor, Sta3). */
int ul_associate_reject(struct ul_assoc *a, const struct ul_assoc_rj *rj);
/*
 * Evt9: send data (Sta6, or Sta7 while our release is pending).  The data
 * is copied and split into P-DATA-TF PDUs of one PDV each, none larger
 * than the peer's maximum; only the last fragment carries UL_PDV_LAST if
 * control has it.
 */
int ul_pdata(struct ul_assoc *a, uint8_t pcid, uint8_t control,
    const uint8_t *data, size_t len);
/*
 * Evt9 without a copy: queues the 12-byte header of one P-DATA-TF/PDV of
 * len payload bytes that the caller writes itself (see
 * ul_out_payload_owed).  len must not exceed ul_max_pdv_payload().
 */
int ul_pdata_external(struct ul_assoc *a, uint8_t pcid, uint8_t control,
    uint32_t len);
/* Largest PDV payload the peer accepts in one PDU (its max - 6);
 * UINT32_MAX - 6 when it set no limit. */
uint32_t ul_max_pdv_payload(const struct ul_assoc *a);
/* Evt11: ask to release (Sta6). */
int ul_release_rq(struct ul_assoc *a);
/* Evt14: answer the peer's release request. */
int ul_release_response(struct ul_assoc *a);
/* Evt15: abort (any state), source 0 (service user) with reason 0. */
int ul_abort(struct ul_assoc *a);

/* --- state ------------------------------------------------------------- */

int ul_state(const struct ul_assoc *a); /* 1..13, Sta1..Sta13 */
/* True in Sta6 (association established, data may flow). */
int ul_established(const struct ul_assoc *a);
/* The RQ as sent or received, and the AC as sent or received (NULL
 * before).  Blob fields are cleared after the callbacks return. */
const struct ul_assoc_params *ul_rq_params(const struct ul_assoc *a);
const struct ul_assoc_params *ul_ac_params(const struct ul_assoc *a);
/* The accepted context with this id, or NULL. */
const struct ul_pc *ul_accepted_pc(const struct ul_assoc *a, uint8_t pcid);
/* Detail of the last failure. */
const struct cs_err *ul_last_error(const struct ul_assoc *a);

/*
 * Optional trace hook: called for every PDU sent (dir 'S') or received
 * ('R') with the whole PDU when it is an association-control PDU, or
 * with just the first PDV headers for P-DATA-TF (len = bytes given).
 */
typedef void (*ul_trace_fn)(void *user, char dir, const uint8_t *pdu,
    size_t len);
void ul_set_trace(struct ul_assoc *a, ul_trace_fn fn, void *user);

#endif
