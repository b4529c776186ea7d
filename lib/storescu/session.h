/*
 * session.h - one association as a Storage/Verification SCU over a
 * socket: connect, negotiate, C-ECHO, C-STORE (the data set streamed
 * from a file descriptor without a copy), release or abort.  Internal to
 * libstorescu; the tools use include/cstore/storescu.h.
 */
#ifndef CS_STORESCU_SESSION_H
#define CS_STORESCU_SESSION_H

#include <stdint.h>
#include <sys/types.h>

#include "core/dimse_cmd.h"
#include "core/dimse_msg.h"
#include "cstore/storescu.h"
#include "core/ul_assoc.h"
#include "core/ul_pdu.h"
#include "net/pump.h"
#include "net/rq_assoc.h"

struct cs_err;

/* The most requests one session keeps outstanding. */
#define SCU_WINDOW_MAX 64

/* A request sent and not yet answered. */
struct scu_pending {
	uint16_t msg_id;
	int have_rsp;
	/* its file was written to while its last PDU went (it went) */
	int mixed;
	/* its data set went into the socket in full (scu_store_start) */
	int whole;
	struct dimse_cmd rsp;
};

struct scu_session {
	struct storescu_config cfg;  /* the caller's, AE titles defaulted */
	unsigned async_window;       /* requests to propose; 0 or 1: none */
	struct tls_share *tls_share; /* the run's TLS context, or NULL */
	/* the connection, the engine, the DIMSE receiver and how
	 * negotiation and the end went (shared with the receiver's
	 * commitment reports: net/rq_assoc.h) */
	struct rq_assoc r;
	int identity_confirmed; /* the AC answered our user identity */
	/*
	 * Requests that may be outstanding at once: 1, or what the peer
	 * granted of async_window.
	 */
	unsigned window;
	/* the requests awaiting their responses, in the order sent */
	struct scu_pending pending[SCU_WINDOW_MAX];
	unsigned n_pending;
	uint16_t wait_id; /* the response scu_wait is waiting for */
	uint16_t next_msg_id;
	uint64_t t_start, t_established; /* net_now_us(); connected: r's */
	/* storage commitment: requests the peer sends us (an N-EVENT-REPORT
	 * on this association) go to these when set, else abort it */
	const struct dimse_rx_callbacks *req_cb;
	void *req_user;
};

/*
 * CS_E_INVAL, saying which, when cfg names no peer (host or port NULL
 * or empty), else 0: every call that would connect asks first
 * (config.c).
 */
int scu_check_peer(const struct storescu_config *cfg, struct cs_err *err);

/*
 * Connects and negotiates the n presentation contexts pcs.  Returns 0
 * when the association is established (check accepted contexts with
 * ul_accepted_pc), or: CS_E_NONAME/CS_E_UNREACHABLE/CS_E_TIMEOUT (connect),
 * CS_E_REJECTED (s->rj says why), CS_E_ABORTED (s->abort),
 * CS_E_CLOSED, CS_E_PROTO, CS_E_TIMEOUT (no answer within the ACSE
 * timeout), CS_E_NOMEM.  Detail in err.  Call scu_close() either way.
 */
int scu_open(struct scu_session *s, const struct storescu_config *cfg,
    unsigned async_window, const struct ul_pc *pcs, int n, struct cs_err *err);
/* scu_open with the TLS context of share (transport.h: built at the
 * first association of a run, resumed by the next), not one of its own;
 * share outlives the session. */
int scu_open_shared(struct scu_session *s, const struct storescu_config *cfg,
    struct tls_share *share, unsigned async_window, const struct ul_pc *pcs,
    int n, struct cs_err *err);

/* C-ECHO on pcid; *status gets the response status. */
int scu_echo(
    struct scu_session *s, uint8_t pcid, uint16_t *status, struct cs_err *err);

/*
 * Sends a C-STORE-RQ of one instance on pcid without waiting for its
 * response: the data set is the len bytes of fd from offset (sent by
 * the pump without a copy in user space) followed by pad (0 or 1) zero
 * bytes (PS3.5 A.5: a Deflated data set of odd length), written out in
 * full before this returns, so fd may be closed then.  Responses to earlier requests that arrive meanwhile are
 * kept for scu_wait.  Needs a free place in the window
 * (s->n_pending < s->window, else CS_E_INVAL).  *msg_id gets the
 * request's Message ID.  Errors as scu_open, plus CS_E_IO when the file
 * cannot be read, or was written to (infile_written_since: size,
 * modification or change time; path is fd's name, or NULL) before
 * the last PDU went (that PDU is cut); after any error the association is
 * unusable.
 */
int scu_store_start(struct scu_session *s, uint8_t pcid, const char *sop_class,
    const char *sop_instance, int fd, const char *path, off_t offset,
    uint64_t len, unsigned pad, uint16_t *msg_id, struct cs_err *err);
/*
 * Was the file of request msg_id (still outstanding) written to while
 * its last PDU went, after the checks that cut a PDU short (scu_store_start
 * returns CS_E_IO for those)?  Then the peer got bytes that may be mixed,
 * and its status is no word on the file.  Small files (read whole at
 * once) are never checked: what went is one read's bytes.
 */
int scu_store_mixed(const struct scu_session *s, uint16_t msg_id);
/*
 * Did the data set of request msg_id (still outstanding) go into the
 * socket in full?  0 when scu_store_start failed before its last byte
 * was written: a Success answered before then (a peer answering early,
 * then ending the association) was said of an object the peer never got.
 */
int scu_store_whole(const struct scu_session *s, uint16_t msg_id);

/*
 * Waits (DIMSE timeout) for the response to the outstanding request
 * msg_id, copies it to *rsp and forgets the request.  Errors as
 * scu_store_start; CS_E_INVAL when msg_id is not outstanding.
 */
int scu_wait(struct scu_session *s, uint16_t msg_id, struct dimse_cmd *rsp,
    struct cs_err *err);

/* 1 when the response to msg_id has arrived (scu_wait will not block). */
int scu_answered(struct scu_session *s, uint16_t msg_id);

/*
 * Sends cmd (its Message ID set here) and the len bytes of ds (none
 * when len is 0; cmd must say so) on pcid, then waits (DIMSE timeout)
 * for the response, copied to *rsp.  Nothing else may be outstanding.
 * Errors as scu_wait.
 */
int scu_request(struct scu_session *s, uint8_t pcid, struct dimse_cmd *cmd,
    const uint8_t *ds, size_t len, struct dimse_cmd *rsp, struct cs_err *err);

/*
 * Runs the association until done(ctx) is true, within timeout_ms (0 =
 * none), for requests of the peer (req_cb).  Returns 0 when done,
 * CS_E_TIMEOUT, or the code of what ended the association (as scu_wait).
 */
int scu_serve(struct scu_session *s, int (*done)(void *ctx), void *ctx,
    int timeout_ms, struct cs_err *err);

/*
 * After the association died of a failed write (the peer reset the
 * connection, or went): reads what the peer had sent before, within the
 * DIMSE timeout, until the connection ends, so that responses already
 * on their way (and its A-ABORT) are heard.  Nothing otherwise.
 */
void scu_read_rest(struct scu_session *s);


/* Releases (within the ACSE timeout, else aborts), closes, frees.
 * Returns 0 or the code of a failed release; NULL-safe-ish: s may be
 * one scu_open failed on. */
int scu_close(struct scu_session *s, struct cs_err *err);
/* Aborts (A-ABORT), closes, frees. */
void scu_abort(struct scu_session *s);

/* The association's negotiated values, for -v output. */
const struct ul_assoc_params *scu_ac(const struct scu_session *s);

#endif
