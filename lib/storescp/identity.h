/*
 * identity.h - the receiver's side of User Identity Negotiation (PS3.7
 * D.3.3.7): whether an A-ASSOCIATE-RQ's identity (or its absence) is
 * accepted, through the caller's storescp_config.check_identity, and
 * the response the A-ASSOCIATE-AC carries.  No I/O.
 */
#ifndef CS_STORESCP_IDENTITY_H
#define CS_STORESCP_IDENTITY_H

#include <stddef.h>
#include <stdint.h>

#include "cstore/storescp.h"
#include "core/ul_pdu.h"

/* Checks the identity settings of cfg: 0, or CS_E_INVAL (require_identity
 * without check_identity). */
int scp_identity_config(const struct storescp_config *cfg, struct cs_err *err);

/* Who asks, for the check and its messages (borrowed), and room for
 * a server response (NULL: none can be given), which must last until
 * the AC is sent. */
struct scp_identity_who {
	const char *calling, *peer;
	uint8_t *response;
	size_t response_size;
};

/*
 * Decides the identity of rq under cfg.  Accepted: returns 0, the name
 * shown in user (size STORESCP_USER_MAX + 1; "" when nothing was
 * checked) and, when rq asked for a positive response, the AC's user
 * identity sub-item set in ac.  Refused: returns -1 with rj (rejected
 * permanent, or transient when the check said so; service user, reason
 * 1) and a one-line reason in why, which never holds the passcode.
 */
int scp_identity_decide(const struct storescp_config *cfg,
    const struct ul_assoc_params *rq, const struct scp_identity_who *who,
    char *user, struct ul_assoc_params *ac, struct ul_assoc_rj *rj, char *why,
    size_t why_size);

#endif
