/*
 * dimse_msg.c - reassembly of received DIMSE messages and the data set
 * fragment planner (see dimse_msg.h).  The functions that send through a
 * struct ul_assoc are in dimse_send.c, so that this file depends on
 * nothing but the command codec.
 */
#include <string.h>

#include "cstore/cstore.h"
#include "buf.h"
#include "dimse_cmd.h"
#include "dimse_msg.h"
#include "ul_assoc.h" /* UL_PDV_CHUNK_END, UL_CB_PAUSE */
#include "ul_pdu.h"   /* UL_PDV_COMMAND, UL_PDV_LAST */
#include "banned.h"

void
dimse_rx_init(
    struct dimse_rx *rx, const struct dimse_rx_callbacks *cb, void *user)
{
	memset(rx, 0, sizeof(*rx));
	if (cb != NULL)
		rx->cb = *cb;
	rx->user = user;
	rx->state = DIMSE_RX_IDLE;
	wr_init(&rx->cmd, DIMSE_CMD_MAX);
}

void
dimse_rx_release(struct dimse_rx *rx)
{
	wr_release(&rx->cmd);
}

const struct cs_err *
dimse_rx_error(const struct dimse_rx *rx)
{
	return &rx->err;
}

int
dimse_rx_idle(const struct dimse_rx *rx)
{
	return rx->state == DIMSE_RX_IDLE;
}

/* Latches failure rc; the detail is in rx->err, set by the caller (or
 * here, generically, when it set none). */
static int
fail(struct dimse_rx *rx, int rc)
{
	rx->state = DIMSE_RX_FAILED;
	rx->rc = rc;
	if (rx->err.code == 0)
		(void)cs_err_set(&rx->err, rc, "%s", cs_strerror(rc));
	return rc;
}

static int
finish_command(struct dimse_rx *rx, const uint8_t *p, size_t len)
{
	int rc;

	rc = dimse_cmd_decode(p, len, &rx->decoded, &rx->err);
	wr_reset(&rx->cmd);
	if (rc != 0)
		return fail(rx, rc);
	rx->last_command = rx->decoded.command_field;
	if (dimse_cmd_has_dataset(&rx->decoded)) {
		rx->state = DIMSE_RX_DATASET;
		rx->said_no_dataset = 0;
		rx->dataset_len = 0;
		rx->dataset_started = 0;
	} else {
		rx->state = DIMSE_RX_IDLE;
		rx->said_no_dataset = 1;
		rx->messages++;
	}
	if (rx->cb.on_command == NULL)
		return 0;
	rc = rx->cb.on_command(rx->user, rx->pcid, &rx->decoded);
	if (rc == UL_CB_PAUSE)
		return rc; /* the command is delivered; on_pdv passes it on */
	if (rc != 0) {
		(void)cs_err_set(&rx->err, CS_E_CALLBACK,
		    "command callback failed for %s on presentation "
		    "context %u",
		    dimse_command_name(rx->last_command), rx->pcid);
		return fail(rx, CS_E_CALLBACK);
	}
	return 0;
}

/*
 * Checks a chunk against the state: which kind of PDV may come now, and
 * on which presentation context.  Returns 0 or a latched CS_E_PROTO.
 */
static int
check_order(struct dimse_rx *rx, uint8_t pcid, int is_cmd)
{
	const char *last = dimse_command_name(rx->last_command);

	switch (rx->state) {
	case DIMSE_RX_IDLE:
		if (is_cmd)
			return 0;
		/* PS3.7 6.3 / PS3.8 E.2: a message starts with its command. */
		if (rx->said_no_dataset)
			(void)cs_err_set(&rx->err, CS_E_PROTO,
			    "data set fragment on presentation context %u, "
			    "but the %s before it announced no data set",
			    pcid, last);
		else if (rx->messages > 0)
			(void)cs_err_set(&rx->err, CS_E_PROTO,
			    "data set fragment on presentation context %u "
			    "after the data set of the %s had ended",
			    pcid, last);
		else
			(void)cs_err_set(&rx->err, CS_E_PROTO,
			    "data set fragment on presentation context %u "
			    "before any command",
			    pcid);
		return fail(rx, CS_E_PROTO);
	case DIMSE_RX_COMMAND:
		/* PS3.8 E.2: all fragments of a message share the context of
		 * its command. */
		if (pcid != rx->pcid) {
			(void)cs_err_set(&rx->err, CS_E_PROTO,
			    "fragment on presentation context %u in the "
			    "middle of a command on context %u",
			    pcid, rx->pcid);
			return fail(rx, CS_E_PROTO);
		}
		if (!is_cmd) {
			(void)cs_err_set(&rx->err, CS_E_PROTO,
			    "data set fragment on presentation context %u "
			    "before the last fragment of its command",
			    pcid);
			return fail(rx, CS_E_PROTO);
		}
		return 0;
	case DIMSE_RX_DATASET:
		if (pcid != rx->pcid) {
			(void)cs_err_set(&rx->err, CS_E_PROTO,
			    "fragment on presentation context %u while the "
			    "data set of the %s on context %u is expected",
			    pcid, last, rx->pcid);
			return fail(rx, CS_E_PROTO);
		}
		if (is_cmd) {
			if (rx->dataset_started)
				(void)cs_err_set(&rx->err, CS_E_PROTO,
				    "new command on presentation context %u "
				    "before the last fragment of the %s data "
				    "set",
				    pcid, last);
			else
				(void)cs_err_set(&rx->err, CS_E_PROTO,
				    "command fragment on presentation context "
				    "%u while the data set of the %s is "
				    "expected",
				    pcid, last);
			return fail(rx, CS_E_PROTO);
		}
		return 0;
	case DIMSE_RX_FAILED:
		break;
	}
	return fail(rx, CS_E_STATE);
}

int
dimse_rx_pdv(struct dimse_rx *rx, uint8_t pcid, uint8_t control,
    const uint8_t *data, size_t len)
{
	uint8_t pdv = control & (UL_PDV_COMMAND | UL_PDV_LAST);
	int is_cmd = (control & UL_PDV_COMMAND) != 0;
	/* The message part ends with the chunk that ends the PDV item
	 * whose header has the last-fragment bit (PS3.8 E.2). */
	int ends = (control & UL_PDV_LAST) && (control & UL_PDV_CHUNK_END);
	int rc;

	if (rx->rc != 0)
		return rx->rc;
	/* NULL: bytes the receiver consumed unseen (ul_recv_unseen), which
	 * only a data set's may be */
	if (data == NULL && len > 0 &&
	    (is_cmd || rx->state != DIMSE_RX_DATASET)) {
		(void)cs_err_set(
		    &rx->err, CS_E_INVAL, "NULL data of %zu bytes", len);
		return fail(rx, CS_E_INVAL);
	}
	/* Every chunk of one PDV item carries that item's control header. */
	if (rx->in_item && pdv != rx->item_control) {
		(void)cs_err_set(&rx->err, CS_E_PROTO,
		    "PDV control header changed from 0x%02X to 0x%02X within "
		    "one PDV item",
		    rx->item_control, pdv);
		return fail(rx, CS_E_PROTO);
	}
	if ((rc = check_order(rx, pcid, is_cmd)) != 0)
		return rc;
	rx->in_item = (control & UL_PDV_CHUNK_END) == 0;
	rx->item_control = pdv;

	if (rx->state == DIMSE_RX_IDLE) {
		rx->state = DIMSE_RX_COMMAND;
		rx->pcid = pcid;
		wr_reset(&rx->cmd);
	}
	if (rx->state == DIMSE_RX_COMMAND) {
		/* A command in one chunk, the usual case, is decoded in
		 * place; otherwise its fragments are gathered, capped. */
		if (ends && rx->cmd.len == 0)
			return finish_command(rx, data, len);
		wr_bytes(&rx->cmd, data, len);
		if (rx->cmd.err == CS_E_TOOBIG) {
			(void)cs_err_set(&rx->err, CS_E_TOOBIG,
			    "command set on presentation context %u exceeds "
			    "%u bytes",
			    pcid, DIMSE_CMD_MAX);
			return fail(rx, CS_E_TOOBIG);
		}
		if (rx->cmd.err != 0)
			return fail(rx, rx->cmd.err);
		if (ends)
			return finish_command(rx, rx->cmd.p, rx->cmd.len);
		return 0;
	}

	/* DIMSE_RX_DATASET: pass the bytes straight on. */
	rx->dataset_started = 1;
	rx->dataset_len += len;
	if (ends) {
		rx->state = DIMSE_RX_IDLE;
		rx->said_no_dataset = 0;
		rx->messages++;
	}
	if (len == 0 && !ends)
		return 0;
	if (rx->cb.on_dataset == NULL)
		return 0;
	rc = rx->cb.on_dataset(rx->user, pcid, data, len, ends);
	if (rc == UL_CB_PAUSE)
		return rc; /* the bytes are delivered; on_pdv passes it on */
	if (rc != 0) {
		(void)cs_err_set(&rx->err, CS_E_CALLBACK,
		    "data set callback failed for %s on presentation "
		    "context %u",
		    dimse_command_name(rx->last_command), pcid);
		return fail(rx, CS_E_CALLBACK);
	}
	return 0;
}

/* --- fragment planning -------------------------------------------------- */

int
dimse_plan_init(struct dimse_frag_plan *p, uint64_t total, uint32_t max_payload)
{
	memset(p, 0, sizeof(*p));
	/* PS3.8 E.1: every fragment of a message is of even length */
	if (max_payload > 1)
		max_payload &= ~(uint32_t)1;
	if (max_payload == 0)
		return CS_E_INVAL;
	p->left = total;
	p->max = max_payload;
	return 0;
}

int
dimse_plan_next(struct dimse_frag_plan *p, uint32_t *len, uint8_t *control)
{
	if (p->done || p->max == 0)
		return 0;
	if (p->left <= p->max) {
		*len = (uint32_t)p->left;
		*control = UL_PDV_LAST;
		p->left = 0;
		p->done = 1;
		return 1;
	}
	*len = p->max;
	*control = 0;
	p->left -= p->max;
	return 1;
}
