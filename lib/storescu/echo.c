/* echo.c - C-ECHO as a Verification SCU (PS3.4 Annex A). */
#include <stdio.h>
#include <string.h>

#include "cstore/storescu.h"
#include "core/dimse_cmd.h"
#include "core/ts_uids.h"
#include "net/net.h"
#include "storescu/session.h"
#include "core/banned.h"

int
storescu_echo(const struct storescu_config *cfg, struct storescu_echo_result *r,
    struct cs_err *err)
{
	struct scu_session s;
	struct ul_pc pc;
	const struct ul_assoc_params *ac;
	uint64_t t0;
	int rc;

	memset(r, 0, sizeof(*r));
	memset(&pc, 0, sizeof(pc));
	pc.id = 1;
	snprintf(pc.abstract_syntax, sizeof(pc.abstract_syntax), "%s",
	    DIMSE_VERIFICATION_UID);
	pc.n_ts = 2;
	snprintf(
	    pc.ts[0], sizeof(pc.ts[0]), "%s", TS_UID_ExplicitVRLittleEndian);
	snprintf(
	    pc.ts[1], sizeof(pc.ts[1]), "%s", TS_UID_ImplicitVRLittleEndian);

	rc = scu_open(&s, cfg, 0, &pc, 1, err);
	if (s.r.t_connected)
		r->connect_us = (unsigned)(s.r.t_connected - s.t_start);
	if (rc != 0) {
		r->rj_result = s.r.rj.result;
		r->rj_source = s.r.rj.source;
		r->rj_reason = s.r.rj.reason;
		scu_abort(&s);
		return rc;
	}
	r->assoc_us = (unsigned)(s.t_established - s.t_start);
	r->identity_confirmed = s.identity_confirmed;
	ac = scu_ac(&s);
	if (ac != NULL) {
		r->peer_max_pdu = ac->has_max_pdu ? ac->max_pdu : 0;
		snprintf(r->peer_impl_class_uid, sizeof(r->peer_impl_class_uid),
		    "%s", ac->impl_class_uid);
		snprintf(r->peer_impl_version, sizeof(r->peer_impl_version),
		    "%s", ac->has_impl_version ? ac->impl_version : "");
	}
	if (ul_accepted_pc(s.r.a, 1) == NULL) {
		scu_close(&s, NULL);
		return cs_err_set(err, CS_E_REJECTED,
		    "the peer accepted the association but not the Verification SOP class");
	}
	t0 = net_now_us();
	rc = scu_echo(&s, 1, &r->status, err);
	r->echo_us = (unsigned)(net_now_us() - t0);
	if (rc != 0) {
		scu_abort(&s);
		return rc;
	}
	/* The echo answered; a failed release is not worth failing for. */
	scu_close(&s, NULL);
	return 0;
}
