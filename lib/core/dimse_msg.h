/*
 * dimse_msg.h - DIMSE messages over P-DATA (PS3.7 6.3, PS3.8 9.3.5 and
 * Annex E): reassembly of received messages, and sending of command
 * sets and data sets.
 *
 * A message is a command set, in one or more command PDVs of which the
 * last carries the "last fragment" bit, then, if the command says so, a
 * data set in one or more data set PDVs, all on one presentation context
 * (PS3.8 E.2).
 *
 * Receiving: struct dimse_rx is fed the chunks that ul_assoc hands to
 * on_pdv.  The command is buffered (at most DIMSE_CMD_MAX bytes),
 * decoded and reported; data set bytes are passed on as they come and
 * never buffered, so memory use does not depend on the data set size.
 *
 * Sending: dimse_send_* queue PDVs on a struct ul_assoc.  A data set is
 * sent from memory (copied by ul_pdata) or, without copying, as planned
 * fragments whose bytes the caller writes itself (ul_pdata_external).
 *
 * Ownership: pointers passed to callbacks (the command, data) are valid
 * during the callback only.  dimse_rx owns its command buffer and frees
 * it in dimse_rx_release.
 */
#ifndef CS_CORE_DIMSE_MSG_H
#define CS_CORE_DIMSE_MSG_H

#include <stddef.h>
#include <stdint.h>

#include "cstore/cstore.h"
#include "buf.h"
#include "dimse_cmd.h"

struct ul_assoc;

/* --- receiving ---------------------------------------------------------- */

struct dimse_rx_callbacks {
	/*
	 * A complete, decoded and checked command arrived on pcid.  When it
	 * announces a data set, on_dataset follows with its bytes.
	 * Return 0 to go on; UL_CB_PAUSE to pause (dimse_rx_pdv returns
	 * it, see there); any other non-zero stops the receiver
	 * (CS_E_CALLBACK).
	 */
	int (*on_command)(
	    void *user, uint8_t pcid, const struct dimse_cmd *cmd);
	/*
	 * The next len bytes of the data set (len may be 0 on the last
	 * call); last is 1 on the final call of the message.  data is NULL
	 * for bytes consumed unseen (on_pdv given NULL: ul_recv_unseen).  A sink that
	 * cannot store the bytes should remember that, return 0 and answer
	 * with a failure status once last arrives.  UL_CB_PAUSE pauses
	 * (see dimse_rx_pdv); any other non-zero stops the receiver
	 * (CS_E_CALLBACK), and the association is then aborted.
	 */
	int (*on_dataset)(void *user, uint8_t pcid, const uint8_t *data,
	    size_t len, int last);
};

enum dimse_rx_state {
	DIMSE_RX_IDLE = 0, /* between messages */
	DIMSE_RX_COMMAND,  /* command fragments arriving */
	DIMSE_RX_DATASET,  /* command done, data set fragments expected */
	DIMSE_RX_FAILED,   /* a protocol error or callback failure latched */
};

struct dimse_rx {
	struct dimse_rx_callbacks cb;
	void *user;
	enum dimse_rx_state state;
	uint8_t pcid;          /* of the message in progress */
	uint8_t item_control;  /* PDV control of the item in progress */
	int in_item;           /* a PDV item began but has not ended */
	int said_no_dataset;   /* the last command announced no data set */
	uint16_t last_command; /* command field of the last command */
	int dataset_started;   /* a data set fragment of this message came */
	uint64_t dataset_len;  /* data set bytes of this message so far */
	uint64_t messages;     /* complete messages received */
	struct wr cmd;         /* command fragments, at most DIMSE_CMD_MAX */
	struct dimse_cmd decoded;
	struct cs_err err;
	int rc; /* latched failure code, or 0 */
};

/* Starts a receiver; cb is copied.  No allocation until a command
 * arrives in more than one chunk. */
void dimse_rx_init(
    struct dimse_rx *rx, const struct dimse_rx_callbacks *cb, void *user);
/* Frees the command buffer; rx may be initialised again. */
void dimse_rx_release(struct dimse_rx *rx);

/*
 * Feeds one on_pdv chunk: control holds UL_PDV_COMMAND and UL_PDV_LAST
 * from the PDV header, plus UL_PDV_CHUNK_END on the chunk that ends the
 * PDV item.  Made to be called straight from ul_callbacks.on_pdv.
 * Returns 0, or a negative code, latched (later calls return it again
 * without doing anything), detail in dimse_rx_error():
 *   CS_E_PROTO   a data set fragment before any command, or after a
 *                command that announced none; a command fragment while
 *                a data set is expected (a new command before the last
 *                data set fragment); the presentation context changing
 *                within a message; the control bits changing within one
 *                PDV item; a command that does not decode;
 *   CS_E_TOOBIG  command fragments exceeding DIMSE_CMD_MAX;
 *   CS_E_NOMEM   the command buffer could not grow;
 *   CS_E_CALLBACK a callback returned non-zero other than UL_CB_PAUSE.
 * UL_CB_PAUSE (positive, not latched) when on_command or on_dataset
 * returned it: the chunk was taken in whole and the receiver is ready
 * for the next one.  Return it from on_pdv as it is, so that ul_recv()
 * pauses after this chunk (ul_assoc.h).
 */
int dimse_rx_pdv(struct dimse_rx *rx, uint8_t pcid, uint8_t control,
    const uint8_t *data, size_t len);
/* The detail of the latched failure (code 0 when none). */
const struct cs_err *dimse_rx_error(const struct dimse_rx *rx);
/* True between messages: nothing is half received. */
int dimse_rx_idle(const struct dimse_rx *rx);

/* --- fragment planning (zero-copy data sets) ---------------------------- */

/*
 * Splits a data set of `total` bytes into PDV fragments of at most
 * max_payload bytes (normally ul_max_pdv_payload()), rounded down to an
 * even number (PS3.8 E.1).  Every fragment but the last is exactly that
 * long; the last one carries
 * UL_PDV_LAST.  A data set of 0 bytes is one empty last fragment, so
 * the message still ends.
 */
struct dimse_frag_plan {
	uint64_t left;
	uint32_t max;
	int done;
};

/* Returns 0, or CS_E_INVAL when max_payload is 0. */
int dimse_plan_init(
    struct dimse_frag_plan *p, uint64_t total, uint32_t max_payload);
/*
 * Gives the next fragment: returns 1 and sets *len and *control (0 or
 * UL_PDV_LAST), or returns 0 when every fragment has been given.
 */
int dimse_plan_next(struct dimse_frag_plan *p, uint32_t *len, uint8_t *control);

/* --- sending (these call into ul_assoc) --------------------------------- */

/*
 * Encodes cmd and queues it as one command PDV sequence with the last
 * bit (ul_pdata with UL_PDV_COMMAND | UL_PDV_LAST; ul_pdata fragments it
 * if the peer's maximum is small).  Returns 0, CS_E_INVAL for a command
 * that dimse_cmd_encode refuses, or ul_pdata's code (CS_E_STATE,
 * CS_E_INVAL for a context not accepted, CS_E_AGAIN when the output
 * queue is full: nothing was queued, write the output out and call
 * again); detail in err.
 */
int dimse_send_command(struct ul_assoc *a, uint8_t pcid,
    const struct dimse_cmd *cmd, struct cs_err *err);
/*
 * Queues len data set bytes from memory (copied).  The data set may be
 * sent in several calls; last = 1 on the final one, which sets the last
 * bit on its final fragment.  A caller that learns of the end only after
 * its last bytes should hold one chunk back.  ul_pdata copies the bytes
 * into the output queue, so len plus 12 bytes per fragment must fit in
 * UL_OUT_QUEUE_MAX (pass pieces of, say, 256 KiB).  Returns 0 or
 * ul_pdata's code (CS_E_AGAIN: nothing queued, drain and call again);
 * detail in err.
 */
int dimse_send_dataset(struct ul_assoc *a, uint8_t pcid, const uint8_t *data,
    size_t len, int last, struct cs_err *err);
/*
 * Queues the header of the next fragment of plan p with
 * ul_pdata_external: returns 1 and sets *len to the number of payload
 * bytes the caller must now write itself (see ul_out_payload_owed), 0
 * when the plan is finished, or ul_pdata_external's code (detail in
 * err; the plan does not advance then, so after CS_E_AGAIN drain the
 * output and call again).  Typical use, one fragment at a time:
 *   dimse_plan_init(&p, size, ul_max_pdv_payload(a));
 *   while ((rc = dimse_send_dataset_next(a, pcid, &p, &n, err)) == 1)
 *           write out ul_out_peek bytes, then n file bytes, then
 *           ul_out_payload_sent(a, n);
 */
int dimse_send_dataset_next(struct ul_assoc *a, uint8_t pcid,
    struct dimse_frag_plan *p, uint32_t *len, struct cs_err *err);

#endif
