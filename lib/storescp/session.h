/*
 * session.h - one association of the receiver as the protocol sees it:
 * the engine's callbacks (ul_assoc.h), the decision on the
 * A-ASSOCIATE-RQ (policy, faults, the association limit), DIMSE
 * requests (C-ECHO, C-STORE through store.h, a refusal for the rest)
 * and their responses.  No socket and no clock: the I/O loop (conn.c)
 * feeds the engine, writes its output, and tells the time.
 *
 * Callbacks never wait.  A request answered is answered from its last
 * callback, which then returns UL_CB_PAUSE, so that the I/O loop writes
 * the response before the engine reads further requests.  A response
 * that may not leave yet is held (one at most): --delay holds it for
 * that long, a full output queue (CS_E_AGAIN) until there is room.
 * While one is held the I/O loop holds the input (pump_hold) and calls
 * session_tick.  A stored object is reported (store_finish) before its
 * response is queued; once the response has left (session_responded)
 * the next object's file is made ahead.
 */
#ifndef CS_STORESCP_SESSION_H
#define CS_STORESCP_SESSION_H

#include <stdint.h>

#include "core/dimse_cmd.h"
#include "core/dimse_msg.h"
#include "core/ul_assoc.h"
#include "storescp/scp.h"
#include "storescp/session_commit.h"
#include "storescp/store.h"

enum req_kind { REQ_NONE = 0, REQ_ECHO, REQ_STORE, REQ_ACTION, REQ_OTHER };

struct session {
	struct storescp *s;
	unsigned id;
	int over_limit; /* answer the RQ with "local limit exceeded" */
	struct ul_assoc *a;
	struct dimse_rx rx;
	struct ul_assoc_params *ac;
	const char *peer_host, *peer; /* borrowed from the I/O loop */
	/* TLS: the client certificate's subject, NULL if none (borrowed
	 * from the I/O loop, set before the A-ASSOCIATE-RQ arrives) */
	const char *tls_subject;
	char calling[UL_AE_MAX + 1], called[UL_AE_MAX + 1];
	char user[STORESCP_USER_MAX + 1]; /* the identity accepted, or "" */
	uint8_t *id_response; /* its server response (AC), or NULL */
	int accepted, rejected, aborted, released;
	/* a request other than C-ECHO came (a C-STORE, a commitment...):
	 * a client's work, not a balancer's health check */
	int worked;

	/* the request in progress */
	enum req_kind kind;
	uint8_t pcid;
	struct dimse_cmd rq;
	struct store store;
	struct scommit commit; /* Storage Commitment (session_commit.h) */

	/* the response held back (held 0: none) */
	int held;
	uint8_t held_pcid;
	struct dimse_cmd rsp;
	uint32_t wait_ms; /* --delay: from when the I/O loop first sees it */
	int armed;        /* due is set */
	uint64_t due;

	/* hostile peers: PDV items of the message in progress (their
	 * bytes), to abort a peer that cuts messages into tiny PDVs */
	uint64_t pdv_msg; /* rx.messages when counting began */
	uint64_t pdv_items, pdv_bytes;
};

/*
 * Sets ss up for association id (peer_host: numeric address, peer: the
 * address with its port, both borrowed) with a new engine in ss->a.
 * Returns 0 or CS_E_NOMEM (release ss anyway).
 */
int session_init(struct session *ss, struct storescp *s, unsigned id,
    const char *peer_host, const char *peer, int over_limit);
/* The subject of the TLS client certificate (borrowed; NULL or "":
 * none), for the policy and each stored object's report. */
void session_set_tls_subject(struct session *ss, const char *subject);
/* Drops what is half received and frees the engine; ss->a is NULL. */
void session_release(struct session *ss);

/*
 * At now (ms): arms the held response's timer, and queues the response
 * once it is due, or at once when stopping (the receiver must stop:
 * the peer still hears what was stored).  Returns 1 when it queued the
 * response, 0 when it still holds one or holds none, or -1 when it
 * cannot be sent (logged; abort the association).
 */
int session_tick(struct session *ss, uint64_t now, int stopping);
/* When session_tick wants to be called: the held response's due time,
 * or -1 (none held, or it waits for room in the output queue). */
int64_t session_deadline(const struct session *ss);
/* 1 while a response waits for room in the output queue. */
int session_wants_room(const struct session *ss);
/*
 * Of the next n bytes of a data set PDV on pcid (ul_in_opaque), how
 * many the C-STORE under way takes unseen from the pipe fd, each one
 * taken lowering *held (store_unseen_room); 0 for anything else.
 * pcid 0: the context of the message under way.
 */
uint64_t session_unseen_room(
    struct session *ss, uint8_t pcid, uint64_t n, int fd, size_t *held);
/* The association and its connection are over: storage commitment
 * reports still owed go on a new association (blocks; session_commit.h). */
void session_end(struct session *ss);
/* The response to the last request has left the engine (the I/O loop
 * wrote it): the next object's file is made ahead (store_prepare). */
void session_responded(struct session *ss);
/* The association ends early (silence, stop): drops the object in
 * progress, logging that it was not stored, and the held response. */
void session_cut(struct session *ss);

#endif
