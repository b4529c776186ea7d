/*
 * rq_assoc.h - an association we request, over a socket: the part that
 * the sender's session (lib/storescu/session.c) and the receiver's
 * commitment report on a new association (lib/storescp/commit_out.c)
 * share: the engine's callbacks that record how negotiation and the end
 * went, the connection, TLS when a client context is given, the wait for
 * the A-ASSOCIATE-AC, release or abort, and the teardown.  What is done
 * on the association (C-STORE, N-EVENT-REPORT...) is the caller's: every
 * PDV goes to r->rx, whose callbacks the caller gives.
 *
 * Blocking on the calling thread; every wait bounded by the caller's
 * timeouts.  Each caller interprets the flags (accepted, rejected, rj,
 * aborted, abort...) in its own words.
 */
#ifndef CS_NET_RQ_ASSOC_H
#define CS_NET_RQ_ASSOC_H

#include <stdint.h>

#include "core/dimse_msg.h"
#include "core/ul_assoc.h"
#include "core/ul_pdu.h"
#include "net/pump.h"
#include "net/transport.h"

struct cs_err;

struct rq_assoc {
	int fd;             /* -1 until connected */
	struct transport t; /* over fd: plain or TLS (the pump's once set) */
	struct ul_assoc *a;
	struct pump pump;
	struct dimse_rx rx; /* every PDV; the caller's callbacks */
	int pump_ready;     /* the transport is up and the pump over it */
	/* what happened */
	int accepted, rejected, aborted, released, peer_release_rq;
	struct ul_assoc_rj rj;
	struct ul_abort abort;
	int abort_from_peer;
	uint64_t t_connected; /* net_now_us() when connect returned */
	/* where PDU dump lines (and the TLS summary) go, or NULL */
	void (*trace)(void *user, const char *line);
	void *trace_user;
};

/* Where to and how. */
struct rq_assoc_peer {
	const char *host, *port;
	int connect_timeout_ms;
	int acse_timeout_ms;  /* the TLS handshake, then the AC (0: none) */
	struct tls_ctx *tls;  /* a client context (borrowed), or NULL: plain */
	const char *tls_name; /* the name the server's certificate must
			       * carry; NULL: host */
};

/*
 * Makes the engine (requestor, ucfg) and r->rx with rxcb/rx_user;
 * trace as in struct rq_assoc (NULL: none).  Queue the A-ASSOCIATE-RQ
 * with ul_associate_rq(r->a, ...) before rq_assoc_open.  0 or
 * CS_E_NOMEM; call rq_assoc_free either way.
 */
int rq_assoc_init(struct rq_assoc *r, const struct ul_config *ucfg,
    const struct dimse_rx_callbacks *rxcb, void *rx_user,
    void (*trace)(void *user, const char *line), void *trace_user,
    struct cs_err *err);

/*
 * Connects, runs the TLS handshake when p->tls is set (the summary and
 * the server's subject to the trace), sends the queued request and
 * waits for its answer.  Returns 0 when the answer came (accepted,
 * rejected or aborted say which), else: without r->pump_ready the
 * connection's or the handshake's code (CS_E_NONAME, CS_E_UNREACHABLE,
 * CS_E_TIMEOUT, CS_E_TLS...), with it the pump's (CS_E_TIMEOUT,
 * CS_E_CLOSED, CS_E_NET...).  Detail in err.
 */
int rq_assoc_open(
    struct rq_assoc *r, const struct rq_assoc_peer *p, struct cs_err *err);

/*
 * When established: releases within timeout_ms, else aborts.  Returns
 * 0 (released, or nothing to release), or CS_E_ABORTED / the pump's
 * code with "the association could not be released" in err.
 */
int rq_assoc_release(struct rq_assoc *r, int timeout_ms, struct cs_err *err);

/* Sends an A-ABORT if the connection is open and waits (ARTIM) for
 * its end. */
void rq_assoc_abort(struct rq_assoc *r);

/* Frees the pump, the transport, the socket, rx and the engine; r may
 * be one rq_assoc_init failed on. */
void rq_assoc_free(struct rq_assoc *r);

#endif
