/*
 * dimse_send.c - sending DIMSE command sets and data sets through a
 * struct ul_assoc (see dimse_msg.h).
 */
#include <string.h>

#include "cstore/cstore.h"
#include "buf.h"
#include "dimse_cmd.h"
#include "dimse_msg.h"
#include "ul_assoc.h"
#include "ul_pdu.h"
#include "banned.h"

/* Records the failure of a ul_* call with the association's detail when
 * it has some for this code (CS_E_AGAIN, for one, comes without). */
static int
ul_failed(struct ul_assoc *a, int rc, struct cs_err *err, const char *what,
    uint8_t pcid)
{
	const struct cs_err *ue = ul_last_error(a);

	return cs_err_set(err, rc,
	    "cannot send %s on presentation context %u: %s", what, pcid,
	    ue != NULL && ue->code == rc ? ue->msg : cs_strerror(rc));
}

int
dimse_send_command(struct ul_assoc *a, uint8_t pcid,
    const struct dimse_cmd *cmd, struct cs_err *err)
{
	struct wr w;
	int rc;

	wr_init(&w, DIMSE_CMD_MAX);
	rc = dimse_cmd_encode(&w, cmd, err);
	if (rc < 0) {
		wr_release(&w);
		return rc;
	}
	/* PS3.7 6.3.1 and PS3.8 E.2: the command set goes in command PDVs,
	 * the one that ends it flagged last. */
	rc = ul_pdata(a, pcid, UL_PDV_COMMAND | UL_PDV_LAST, w.p, w.len);
	wr_release(&w);
	if (rc < 0)
		return ul_failed(
		    a, rc, err, dimse_command_name(cmd->command_field), pcid);
	return 0;
}

int
dimse_send_dataset(struct ul_assoc *a, uint8_t pcid, const uint8_t *data,
    size_t len, int last, struct cs_err *err)
{
	int rc;

	if (len == 0 && !last)
		return 0;
	rc = ul_pdata(a, pcid, last ? UL_PDV_LAST : 0, data, len);
	if (rc < 0)
		return ul_failed(a, rc, err, "data set", pcid);
	return 0;
}

int
dimse_send_dataset_next(struct ul_assoc *a, uint8_t pcid,
    struct dimse_frag_plan *p, uint32_t *len, struct cs_err *err)
{
	struct dimse_frag_plan before = *p;
	uint8_t control;
	int rc;

	if (!dimse_plan_next(p, len, &control))
		return 0;
	rc = ul_pdata_external(a, pcid, control, *len);
	if (rc < 0) {
		/* nothing was queued: the same fragment comes next time */
		*p = before;
		return ul_failed(a, rc, err, "data set fragment", pcid);
	}
	return 1;
}
