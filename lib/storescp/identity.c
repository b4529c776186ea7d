/* identity.c - User Identity Negotiation, the acceptor (see identity.h). */
#include <stdio.h>
#include <string.h>

#include "cstore/cstore.h"
#include "storescp/identity.h"
#include "core/banned.h"

int
scp_identity_config(const struct storescp_config *cfg, struct cs_err *err)
{
	if (cfg->require_identity && cfg->check_identity == NULL)
		return cs_err_set(err, CS_E_INVAL,
		    "requiring a user identity needs a way to check it");
	return 0;
}

/*
 * PS3.8 Table 9-21 has no reason for a refused identity: the acceptor
 * (the DICOM UL service user) refuses it, permanently (the same
 * credentials will not pass later), with reason 1, no reason given.
 */
static int
refuse(struct ul_assoc_rj *rj)
{
	*rj = (struct ul_assoc_rj){ 1, 1, 1 };
	return -1;
}

/* The same, transient: the check could not be made now. */
static int
refuse_for_now(struct ul_assoc_rj *rj)
{
	*rj = (struct ul_assoc_rj){ 2, 1, 1 };
	return -1;
}

int
scp_identity_decide(const struct storescp_config *cfg,
    const struct ul_assoc_params *rq, const struct scp_identity_who *who,
    char *user, struct ul_assoc_params *ac, struct ul_assoc_rj *rj, char *why,
    size_t why_size)
{
	const struct ul_user_identity *u = &rq->user_identity;
	struct storescp_identity id;
	size_t resp_len = 0;
	int rc;

	user[0] = '\0';
	if (cfg->check_identity == NULL)
		return 0; /* not supported: ignored, no response (D.3.3.7) */
	if (!rq->has_user_identity) {
		if (!cfg->require_identity)
			return 0;
		snprintf(why, why_size, "no user identity (one is required)");
		return refuse(rj);
	}
	id = (struct storescp_identity){ .type = u->type,
		.response_requested = u->positive_response == 1,
		.primary = u->primary.p,
		.primary_len = u->primary.len,
		.secondary = u->secondary.p,
		.secondary_len = u->secondary.len,
		.calling_ae = who->calling,
		.peer = who->peer,
		.response = u->positive_response == 1 ? who->response : NULL,
		.response_size =
		    u->positive_response == 1 ? who->response_size : 0,
		.response_len = &resp_len };
	why[0] = '\0';
	rc = cfg->check_identity(cfg->identity_user, &id, user,
	    STORESCP_USER_MAX + 1, why, why_size);
	if (rc != 0) {
		user[0] = '\0';
		if (why[0] == '\0')
			snprintf(why, why_size, "user identity refused");
		return rc == -2 ? refuse_for_now(rj) : refuse(rj);
	}
	user[STORESCP_USER_MAX] = '\0';
	if (id.response_requested) {
		ac->has_user_identity = 1;
		memset(&ac->user_identity, 0, sizeof(ac->user_identity));
		/* D.3.3.7.2: types 1 and 2 answer with an empty response */
		if (u->type >= 3 && id.response != NULL &&
		    resp_len <= id.response_size &&
		    resp_len <= STORESCP_RESPONSE_MAX)
			ac->user_identity.server_response =
			    (struct ul_blob){ id.response, (uint16_t)resp_len };
	}
	return 0;
}
