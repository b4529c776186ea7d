/*
 * commit_out.h - a Storage Commitment report on a new association from
 * the receiver to the requester (PS3.4 J.3.3: when the requester's own
 * association is gone).  The requester is found by its AE title in
 * storescp_config.commit_peers ("AET=HOST:PORT").  The association
 * proposes the Storage Commitment Push Model class in Implicit and
 * Explicit VR Little Endian with SCP/SCU Role Selection (PS3.7
 * D.3.3.4: SCU role 0, SCP role 1; the requester, the SOP class's SCU,
 * is then the acceptor), sends the N-EVENT-REPORT-RQ, waits for its
 * N-EVENT-REPORT-RSP and releases.  With TLS (storescp_config.tls) the
 * association goes over TLS as the sender's do: the requester's
 * certificate checked against tls.ca and the peer's host name, ours
 * (tls.cert) presented as the client's.  The association is the one
 * the sender's sessions use (net/rq_assoc.h); blocking on the calling
 * thread, every wait bounded by timeout_ms.
 */
#ifndef CS_STORESCP_COMMIT_OUT_H
#define CS_STORESCP_COMMIT_OUT_H

#include "cstore/cstore.h"
#include "core/ul_pdu.h"
#include "storescp/commit.h"
#include "storescp/scp.h"

struct commit_peer {
	char ae[UL_AE_MAX + 1];
	char host[256];
	char port[16];
};

/*
 * Parses n "AET=HOST:PORT" (HOST may be "[v6]") into *out (allocated;
 * cs_free it).  Returns 0, CS_E_INVAL naming the bad one, or
 * CS_E_NOMEM.
 */
int commit_peers_parse(const char *const *in, size_t n,
    struct commit_peer **out, struct cs_err *err);

/*
 * Delivers the judged report tx (Event Type event) to the AE title
 * calling on a new association, as association id of the log.  Returns
 * 0 once the requester answered (its status logged when not Success),
 * or: CS_E_NOTFOUND (no peer configured for calling), the connection's
 * and the association's errors (CS_E_UNREACHABLE, CS_E_REJECTED,
 * CS_E_TIMEOUT, CS_E_ABORTED, CS_E_PROTO...), detail in err.
 */
int commit_out_deliver(struct storescp *s, unsigned id, const char *calling,
    struct commit_tx *tx, int event, struct cs_err *err);

#endif
