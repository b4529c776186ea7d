/* session_commit.c - Storage Commitment on one association (see
 * session_commit.h). */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cstore/cstore.h"
#include "core/commit_ds.h"
#include "core/dimse_cmd.h"
#include "core/dimse_msg.h"
#include "net/net.h"
#include "storescp/commit_out.h"
#include "storescp/session_commit.h"
#include "core/banned.h"

/* N-ACTION-RSP statuses (PS3.7 Annex C) */
#define ST_INVALID_INSTANCE 0x0117
#define ST_NO_SUCH_CLASS 0x0118
#define ST_NO_SUCH_ACTION 0x0123
#define ST_INVALID_ARGUMENT 0x0115
#define ST_RESOURCES 0x0213

/* Event Information queued per call: well inside the output queue. */
#define PIECE (64u * 1024u)

void
scommit_init(
    struct scommit *c, struct storescp *s, unsigned id, const char *calling)
{
	memset(c, 0, sizeof(*c));
	c->s = s;
	c->id = id;
	c->calling = calling;
	c->next_msg_id = 1;
	commit_tx_init(&c->rq, DS_ENC_IVR_LE);
}

/* Remembers uid as owed, receiver-wide, once for each owed report that
 * names it (a duplicate's 0131 report too, so that the UID stays taken
 * while any report with it is owed): 1 done, 0 done and another owed
 * report has it (a duplicate), -1 no room (nothing remembered). */
static int
claim(struct storescp *s, const char *uid)
{
	int dup = 0, rc = -1;

	pthread_mutex_lock(&s->mu);
	for (unsigned i = 0; i < s->n_commit_active && !dup; i++)
		dup = strcmp(s->commit_active[i], uid) == 0;
	if (s->n_commit_active < SCP_COMMIT_ACTIVE_MAX) {
		snprintf(s->commit_active[s->n_commit_active++],
		    sizeof(s->commit_active[0]), "%s", uid);
		rc = dup ? 0 : 1;
	}
	pthread_mutex_unlock(&s->mu);
	return rc;
}

/* Frees o, and its claim on its Transaction UID (the UID is free once
 * no report owed names it). */
static void
owed_release(struct storescp *s, struct scommit_owed *o)
{
	if (o->claimed) {
		pthread_mutex_lock(&s->mu);
		for (unsigned i = 0; i < s->n_commit_active; i++)
			if (strcmp(s->commit_active[i], o->tx.transaction) ==
			    0) {
				memcpy(s->commit_active[i],
				    s->commit_active[--s->n_commit_active],
				    sizeof(s->commit_active[0]));
				break;
			}
		pthread_mutex_unlock(&s->mu);
		o->claimed = 0;
	}
	commit_tx_release(&o->tx);
}

void
scommit_release(struct scommit *c)
{
	commit_tx_release(&c->rq);
	for (unsigned i = 0; i < c->n_owed; i++)
		owed_release(c->s, &c->owed[i]);
	c->n_owed = 0;
}

void
scommit_begin(
    struct scommit *c, const struct dimse_cmd *rq, const struct ul_pc *pc)
{
	enum ds_enc enc = DS_ENC_IVR_LE; /* a context policy never took */

	(void)commit_ts_enc(pc->ts[0], &enc);
	commit_tx_release(&c->rq);
	commit_tx_init(&c->rq, enc);
	c->rq_status = 0;
	c->rq_forced = 0;
	if (strcmp(pc->abstract_syntax, COMMIT_SOP_CLASS) != 0 ||
	    strcmp(rq->requested_class, COMMIT_SOP_CLASS) != 0)
		c->rq_status = ST_NO_SUCH_CLASS;
	else if (strcmp(rq->requested_instance, COMMIT_SOP_INSTANCE) != 0)
		c->rq_status = ST_INVALID_INSTANCE;
	else if (rq->action_type_id != COMMIT_ACTION_REQUEST)
		c->rq_status = ST_NO_SUCH_ACTION;
	else if (!dimse_cmd_has_dataset(rq))
		c->rq_status = ST_INVALID_ARGUMENT;
	else if (c->n_owed == SCOMMIT_OWED_MAX)
		c->rq_status = ST_RESOURCES;
	else if (c->s->cfg.commit_respond != 0) {
		c->rq_status = c->s->cfg.commit_respond;
		c->rq_forced = 1;
	}
}

void
scommit_data(struct scommit *c, const uint8_t *data, size_t len)
{
	if (c->rq_status == 0)
		commit_tx_data(&c->rq, data, len);
}

void
scommit_finish(struct scommit *c, const struct dimse_cmd *rq, uint8_t pcid,
    struct dimse_cmd *rsp)
{
	struct cs_err err = { 0, "" };
	struct scommit_owed *o;
	char comment[DIMSE_LO_MAX + 1] = "";
	uint16_t status = c->rq_status;
	int claimed = -1;

	if (status == 0) {
		status = commit_tx_decode(&c->rq, &err);
		if (status != 0)
			snprintf(comment, sizeof(comment), "%s", err.msg);
		else if ((claimed = claim(c->s, c->rq.transaction)) < 0) {
			/* a UID not remembered could not be told a duplicate */
			status = ST_RESOURCES;
			snprintf(comment, sizeof(comment), "%s",
			    "too many reports owed");
		}
	} else {
		snprintf(comment, sizeof(comment), "%s",
		    c->rq_forced ? "refused as --commit-respond says"
			: status == ST_RESOURCES
			? "too many reports owed"
			: "not a storage commitment request");
	}
	dimse_naction_rsp(rsp, rq, status);
	if (status != 0) {
		for (char *p = comment; *p != '\0'; p++)
			if ((unsigned char)*p < 0x20 || *p == '\\' ||
			    (unsigned char)*p > 0x7e)
				*p = '?';
		dimse_cmd_set_error_comment(rsp, comment);
		scp_log(c->s, STORESCP_LOG_ERROR,
		    "association %u: storage commitment request refused (%04X): %s",
		    c->id, status, comment);
		commit_tx_release(&c->rq);
		return;
	}
	o = &c->owed[c->n_owed++];
	memset(o, 0, sizeof(*o));
	o->tx = c->rq; /* the owed report takes the buffers over */
	o->pcid = pcid;
	commit_tx_init(&c->rq, o->tx.enc);
	o->claimed = 1;
	o->duplicate = claimed == 0;
	if (o->duplicate)
		scp_log(c->s, STORESCP_LOG_ERROR,
		    "association %u: storage commitment request '%s' reuses the Transaction UID of a report still owed: its %zu instance%s failed (0131)",
		    c->id, o->tx.transaction, o->tx.n, o->tx.n == 1 ? "" : "s");
	else
		scp_log(c->s, STORESCP_LOG_VERBOSE,
		    "association %u: storage commitment request '%s': %zu instance%s",
		    c->id, o->tx.transaction, o->tx.n, o->tx.n == 1 ? "" : "s");
}

/* Whether the receiver stores instances of class uid (ctx: its
 * policy): what it would accept a storage context for. */
static int
storage_class_ok(const void *ctx, const char *uid)
{
	return strcmp(uid, DIMSE_VERIFICATION_UID) != 0 &&
	    strcmp(uid, COMMIT_SOP_CLASS) != 0 && policy_class_ok(ctx, uid);
}

/* Checks the owed report's instances now: what counts is what is held
 * when the report leaves. */
static int
judge(struct storescp *s, struct scommit_owed *o, unsigned id)
{
	struct commit_tx *tx = &o->tx;
	struct cs_err err = { 0, "" };
	unsigned flags = (s->cfg.fsync ? 0 : COMMIT_SYNC) |
	    (o->duplicate ? COMMIT_DUPLICATE : 0);
	int ev = commit_tx_judge(tx, &s->index, flags, s->cfg.commit_fail_every,
	    storage_class_ok, &s->policy, &err);

	if (err.code != 0)
		scp_log(s, STORESCP_LOG_ERROR,
		    "association %u: storage commitment '%s': %s", id,
		    tx->transaction, err.msg);
	return ev;
}

/* Queues what is left of the owed report o: 1 all queued, 0 no room
 * yet, -1 failed. */
static int
send_owed(struct scommit *c, struct ul_assoc *a, struct scommit_owed *o)
{
	struct cs_err err = { 0, "" };
	struct dimse_cmd cmd;
	int rc = 0;

	if (o->stage == 0) {
		if (dimse_neventreport_rq(&cmd, c->next_msg_id,
			COMMIT_SOP_CLASS, COMMIT_SOP_INSTANCE,
			(uint16_t)o->event) != 0)
			return -1;
		rc = dimse_send_command(a, o->pcid, &cmd, &err);
		if (rc == 0) {
			o->msg_id = c->next_msg_id++;
			if (c->next_msg_id == 0)
				c->next_msg_id = 1;
			o->stage = 1;
		}
	}
	while (rc == 0 && o->stage == 1) {
		size_t n = o->tx.ds_len - o->off;
		int last = n <= PIECE;

		rc = dimse_send_dataset(a, o->pcid, o->tx.ds + o->off,
		    last ? n : PIECE, last, &err);
		if (rc == 0) {
			o->off += last ? n : PIECE;
			o->stage = last ? 2 : 1;
		}
	}
	o->blocked = rc == CS_E_AGAIN;
	if (rc == CS_E_AGAIN)
		return 0;
	if (rc != 0) {
		scp_log(c->s, STORESCP_LOG_ERROR,
		    "association %u: cannot send the storage commitment report: %s",
		    c->id, err.code ? err.msg : cs_strerror(rc));
		return -1;
	}
	scp_log(c->s, STORESCP_LOG_VERBOSE,
	    "association %u: storage commitment report '%s' sent on this association: %zu committed, %zu failed",
	    c->id, o->tx.transaction, o->tx.n - o->tx.n_failed, o->tx.n_failed);
	return 1;
}

/* The first report not queued yet, or NULL. */
static struct scommit_owed *
next_owed(struct scommit *c)
{
	for (unsigned i = 0; i < c->n_owed; i++)
		if (c->owed[i].stage < 2)
			return &c->owed[i];
	return NULL;
}

int
scommit_tick(
    struct scommit *c, struct ul_assoc *a, uint64_t now, int stopping, int held)
{
	struct scommit_owed *o = next_owed(c);

	if (o == NULL || held || !ul_established(a))
		return 0;
	if (!o->armed) {
		o->due = now + c->s->cfg.commit_delay_ms;
		o->armed = 1;
	}
	if (now < o->due && !stopping && o->stage == 0)
		return 0;
	if (o->event == 0) {
		o->event = judge(c->s, o, c->id);
		if (o->event < 0)
			return -1;
	}
	return send_owed(c, a, o);
}

int64_t
scommit_deadline(const struct scommit *c)
{
	for (unsigned i = 0; i < c->n_owed; i++) {
		const struct scommit_owed *o = &c->owed[i];

		if (o->stage < 2)
			return o->blocked ? -1 : o->armed ? (int64_t)o->due : 0;
	}
	return -1;
}

int
scommit_on_rsp(struct scommit *c, const struct dimse_cmd *rsp)
{
	for (unsigned i = 0; i < c->n_owed; i++) {
		struct scommit_owed *o = &c->owed[i];

		if (o->stage != 2 || o->msg_id != rsp->message_id_rsp)
			continue;
		if (rsp->status != 0)
			scp_log(c->s, STORESCP_LOG_ERROR,
			    "association %u: the requester answered the storage commitment report '%s' with %04X",
			    c->id, o->tx.transaction, rsp->status);
		owed_release(c->s, o);
		memmove(o, o + 1,
		    (size_t)(&c->owed[c->n_owed] - (o + 1)) * sizeof(*o));
		c->n_owed--;
		return 0;
	}
	scp_log(c->s, STORESCP_LOG_ERROR,
	    "association %u: unexpected %s (message %u) from the peer", c->id,
	    dimse_command_name(rsp->command_field), rsp->message_id_rsp);
	return -1;
}

/* What is left of --commit-delay for o once its association is gone,
 * waited out in steps, given up when the receiver must stop now. */
static void
wait_due(struct scommit *c, struct scommit_owed *o)
{
	uint64_t now = net_now_ms();

	/* never ticked (the association ended with the request): the
	 * delay counts from now, never skipped */
	if (!o->armed) {
		o->due = now + c->s->cfg.commit_delay_ms;
		o->armed = 1;
	}
	while (o->armed && now < o->due && !atomic_load(&c->s->hard_stop)) {
		uint64_t ms = o->due - now < 100 ? o->due - now : 100;
		struct timespec ts = { 0, (long)ms * 1000000L };

		nanosleep(&ts, NULL);
		now = net_now_ms();
	}
}

void
scommit_end(struct scommit *c)
{
	for (unsigned i = 0; i < c->n_owed; i++) {
		struct scommit_owed *o = &c->owed[i];
		struct cs_err err = { 0, "" };

		/* Sent but never answered: the requester may have been
		 * releasing already (Orthanc does so right after the
		 * N-ACTION-RSP) and dropped it: again on a new one. */
		if (o->stage == 2)
			scp_log(c->s, STORESCP_LOG_ERROR,
			    "association %u: no answer to the storage commitment report '%s' before the association ended: sending it again on a new association",
			    c->id, o->tx.transaction);
		wait_due(c, o);
		if (o->event == 0 && (o->event = judge(c->s, o, c->id)) < 0)
			continue;
		if (commit_out_deliver(
			c->s, c->id, c->calling, &o->tx, o->event, &err) != 0)
			scp_log(c->s, STORESCP_LOG_ERROR,
			    "association %u: storage commitment report '%s' for '%s' not delivered: %s",
			    c->id, o->tx.transaction, c->calling, err.msg);
	}
	scommit_release(c);
}
