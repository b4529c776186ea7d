/* session.c - one association of the receiver, sans I/O (see session.h). */
#include <stdio.h>
#include <string.h>

#include "cstore/cstore.h"
#include "core/alloc.h"
#include "core/dimse_cmd.h"
#include "core/dimse_msg.h"
#include "core/status.h"
#include "core/ul_assoc.h"
#include "core/ul_dump.h"
#include "storescp/identity.h"
#include "storescp/session.h"
#include "core/banned.h"

static void
trace_line(void *user, const char *line)
{
	struct session *ss = user;

	scp_log(ss->s, STORESCP_LOG_TRACE, "association %u: %s", ss->id, line);
}

static void
on_trace(void *user, char dir, const uint8_t *pdu, size_t len)
{
	struct session *ss = user;

	ul_dump_pdu(
	    dir, pdu, len, ss->a ? ul_rq_params(ss->a) : NULL, trace_line, ss);
}

static void
trace_cmd(struct session *ss, const struct dimse_cmd *c)
{
	char line[400];

	if (ss->s->cfg.log_level < STORESCP_LOG_TRACE)
		return;
	dimse_cmd_format(c, line, sizeof(line));
	trace_line(ss, line);
}

/* Accepts what the policy accepted of rq (in ss->ac): 0, -1, or 1 when
 * the AC cannot be made with the identity's server response (the RQ is
 * still to be answered: the response may be what made it too long). */
static int
accept_rq(struct session *ss, const struct ul_assoc_params *rq, const char *why)
{
	struct storescp *s = ss->s;
	char window[32] = "";
	int n_ok = 0;

	if (ul_associate_accept(ss->a, ss->ac) != 0) {
		if (ss->ac->has_user_identity &&
		    ss->ac->user_identity.server_response.len > 0)
			return 1;
		scp_log(s, STORESCP_LOG_ERROR,
		    "association %u from '%s' at %s: cannot accept: %s", ss->id,
		    ss->calling, ss->peer, ul_last_error(ss->a)->msg);
		return -1;
	}
	ss->accepted = 1;
	scp_count(s, &s->stats.associations);
	for (int i = 0; i < ss->ac->n_pc; i++)
		n_ok += ss->ac->pc[i].result == UL_PC_ACCEPTANCE;
	if (ss->ac->has_async_ops)
		snprintf(window, sizeof(window), ", async window %u",
		    ss->ac->max_ops_invoked);
	scp_log(s, why[0] ? STORESCP_LOG_ERROR : STORESCP_LOG_VERBOSE,
	    "association %u from '%s' at %s to '%s'%s%s%s: accepted %d of %u presentation contexts%s%s%s",
	    ss->id, ss->calling, ss->peer, ss->called,
	    ss->user[0] ? " as user '" : "", ss->user, ss->user[0] ? "'" : "",
	    n_ok, (unsigned)rq->n_pc, window, why[0] ? ": " : "", why);
	return 0;
}

static int
on_associate_rq(void *user, const struct ul_assoc_params *rq)
{
	struct session *ss = user;
	struct storescp *s = ss->s;
	struct ul_assoc_rj rj = { 0, 0, 0 };
	char why[256] = "";

	snprintf(ss->calling, sizeof(ss->calling), "%s", rq->calling_ae);
	snprintf(ss->called, sizeof(ss->called), "%s", rq->called_ae);
	if (ss->over_limit) {
		/* PS3.8 9.3.4: transient, service provider (presentation),
		 * local limit exceeded. */
		rj = (struct ul_assoc_rj){ 2, 3, 2 };
		if (ss->over_limit == SCP_OVER_HOST)
			snprintf(why, sizeof(why),
			    "local limit exceeded (%u associations from %s at once, --max-per-host)",
			    s->cfg.max_per_host, ss->peer_host);
		else
			snprintf(why, sizeof(why),
			    "local limit exceeded (%u associations at once)",
			    s->cfg.max_associations);
	} else if (faults_reject(&s->faults, &rj)) {
		snprintf(why, sizeof(why), "--reject: %s",
		    ul_rj_reason_text(rj.source, rj.reason));
	} else if (policy_decide(&s->policy, rq, ss->peer_host, ss->tls_subject,
		       ss->ac, &rj, why, sizeof(why)) == POLICY_ACCEPT) {
		/* the identity last: checking a passcode costs the most */
		char policy_why[sizeof(why)];

		memcpy(policy_why, why, sizeof(why));
		/* only types 3-5 carry a server response (D.3.3.7.2) */
		if (rq->has_user_identity &&
		    rq->user_identity.positive_response == 1 &&
		    rq->user_identity.type >= 3 && s->cfg.check_identity &&
		    ss->id_response == NULL)
			ss->id_response = cs_malloc(STORESCP_RESPONSE_MAX);
		if (scp_identity_decide(&s->cfg, rq,
			&(struct scp_identity_who){ ss->calling, ss->peer,
			    ss->id_response,
			    ss->id_response ? STORESCP_RESPONSE_MAX : 0 },
			ss->user, ss->ac, &rj, why, sizeof(why)) == 0) {
			int rc = accept_rq(ss, rq, policy_why);

			if (rc <= 0)
				return rc;
			/* permanent, as for a check that answered wrongly:
			 * the same answer would fail the same way again */
			snprintf(why, sizeof(why),
			    "cannot accept with a server response of %u bytes: %.180s",
			    (unsigned)ss->ac->user_identity.server_response.len,
			    ul_last_error(ss->a)->msg);
			rj = (struct ul_assoc_rj){ 1, 1, 1 };
			ss->user[0] = '\0';
		}
	}
	ss->rejected = 1;
	scp_count(s, &s->stats.rejected);
	scp_log(s, STORESCP_LOG_ERROR,
	    "association %u from '%s' at %s to '%s' rejected: %s (result %u, source %u, reason %u)",
	    ss->id, ss->calling, ss->peer, ss->called, why, rj.result,
	    rj.source, rj.reason);
	return ul_associate_reject(ss->a, &rj) == 0 ? 0 : -1;
}

static void
drop_request(struct session *ss)
{
	store_drop(&ss->store);
	ss->kind = REQ_NONE;
}

static int
on_abort(void *user, const struct ul_abort *ab, int from_peer)
{
	struct session *ss = user;

	ss->aborted = 1;
	if (ss->kind == REQ_STORE)
		scp_log(ss->s, STORESCP_LOG_ERROR,
		    "association %u: aborted during the C-STORE of '%s': nothing stored",
		    ss->id, ss->rq.affected_instance);
	else
		scp_log(ss->s, STORESCP_LOG_VERBOSE,
		    "association %u: %s: %s (source %u, reason %u)", ss->id,
		    from_peer ? "aborted by the peer" : "aborted",
		    ul_abort_reason_text(ab->source, ab->reason), ab->source,
		    ab->reason);
	drop_request(ss);
	ss->held = 0; /* nobody to answer */
	return 0;
}

static int
on_release_rq(void *user)
{
	struct session *ss = user;

	if (ss->kind != REQ_NONE) {
		scp_log(ss->s, STORESCP_LOG_ERROR,
		    "association %u: release requested in the middle of a message: nothing stored",
		    ss->id);
		drop_request(ss);
	}
	ss->released = 1;
	scp_log(
	    ss->s, STORESCP_LOG_VERBOSE, "association %u: released", ss->id);
	return ul_release_response(ss->a) == 0 ? 0 : -1;
}

/*
 * Tiny PDVs cost the receiver ~340 times the CPU per byte of large ones
 * (a header, a callback, a dispatch each): a message of more than
 * ABUSE_ITEMS items averaging under ABUSE_BYTES is no sender's doing
 * but an attack, and is aborted.  Real senders fill their PDVs (a
 * command is one item of ~100 bytes, a data set items of the PDU size).
 */
#define ABUSE_ITEMS 1024u
#define ABUSE_BYTES 256u

static int
abusive(struct session *ss, uint8_t control, size_t len)
{
	if (ss->rx.messages != ss->pdv_msg) {
		ss->pdv_msg = ss->rx.messages;
		ss->pdv_items = ss->pdv_bytes = 0;
	}
	ss->pdv_bytes += len;
	if (control & UL_PDV_CHUNK_END)
		ss->pdv_items++;
	if (ss->pdv_items <= ABUSE_ITEMS ||
	    ss->pdv_bytes >= ss->pdv_items * ABUSE_BYTES)
		return 0;
	scp_log(ss->s, STORESCP_LOG_ERROR,
	    "association %u from '%s': %llu PDV items of %llu bytes in one message: aborting as abusive",
	    ss->id, ss->calling, (unsigned long long)ss->pdv_items,
	    (unsigned long long)ss->pdv_bytes);
	pthread_mutex_lock(&ss->s->mu);
	ss->s->abusive++;
	pthread_mutex_unlock(&ss->s->mu);
	ss->aborted = 1;
	return 1;
}

static int
on_pdv(
    void *user, uint8_t pcid, uint8_t control, const uint8_t *data, size_t len)
{
	struct session *ss = user;
	int rc;

	if (abusive(ss, control, len))
		return -1;
	rc = dimse_rx_pdv(&ss->rx, pcid, control, data, len);

	if (rc == 0 || rc == UL_CB_PAUSE)
		return rc;
	if (rc != CS_E_CALLBACK)
		scp_log(ss->s, STORESCP_LOG_ERROR,
		    "association %u from '%s': %s: aborting", ss->id,
		    ss->calling, dimse_rx_error(&ss->rx)->msg);
	ss->aborted = 1; /* the engine aborts: counted as such */
	return -1;
}

/* Queues the held response; 0 (queued, or still no room) or -1. */
static int
send_held(struct session *ss)
{
	struct cs_err err = { 0, "" };
	int rc = dimse_send_command(ss->a, ss->held_pcid, &ss->rsp, &err);

	if (rc == CS_E_AGAIN)
		return 0;
	ss->held = 0;
	if (rc == 0)
		return 0;
	scp_log(ss->s, STORESCP_LOG_ERROR,
	    "association %u: cannot send the response: %s", ss->id,
	    err.code ? err.msg : cs_strerror(rc));
	ss->aborted = 1;
	return -1;
}

/*
 * Answers the request in progress with rsp, from the callback that
 * completed it: queued now, or held (--delay, a full output queue).
 * Either way the engine pauses, so that the I/O loop writes it (or
 * waits) before any further request is read.
 */
static int
respond(struct session *ss, const struct dimse_cmd *rsp)
{
	trace_cmd(ss, rsp);
	ss->rsp = *rsp;
	ss->held_pcid = ss->pcid;
	ss->held = 1;
	ss->armed = 0;
	ss->wait_ms = ss->s->faults.f.delay_ms;
	if (ss->wait_ms == 0 && send_held(ss) != 0)
		return -1;
	return UL_CB_PAUSE;
}

static int
finish_store(struct session *ss)
{
	struct dimse_cmd rsp;
	const char *comment;
	const uint32_t *tags;
	unsigned n, i;
	uint16_t status;

	if (store_finish(&ss->store, &status, &comment) == STORE_ABORT)
		return -1;
	dimse_cstore_rsp(&rsp, &ss->rq, status);
	if (comment[0] != '\0')
		dimse_cmd_set_error_comment(&rsp, comment);
	/* PS3.4 Table B.2-1: A900 and B007 name the elements they are about */
	n = store_offending(&ss->store, status, &tags);
	for (i = 0; i < n; i++)
		(void)dimse_cmd_add_offending(&rsp, tags[i]);
	return respond(ss, &rsp);
}

/*
 * A C-ECHO-RQ: Success only for the Verification SOP Class on a context
 * negotiated for it.  PS3.7 9.1.5.1.4: another class that is supported
 * but has no C-ECHO is 0211, a class not negotiated on the context 0122
 * (as a C-STORE-RQ's, store.c), and Verification on a context agreed for
 * another abstract syntax 0212 (a parameter not agreed for use).
 */
static int
finish_echo(struct session *ss)
{
	const struct ul_pc *pc = ul_accepted_pc(ss->a, ss->pcid);
	const char *cls = ss->rq.affected_class;
	char comment[DIMSE_LO_MAX + 1];
	struct dimse_cmd rsp;
	uint16_t status = STATUS_CODE_SUCCESS;

	comment[0] = '\0';
	if (pc == NULL)
		return -1;
	if (strcmp(cls, DIMSE_VERIFICATION_UID) == 0 &&
	    strcmp(pc->abstract_syntax, DIMSE_VERIFICATION_UID) != 0) {
		status = STATUS_CODE_MISTYPED_ARGUMENT;
		store_comment(comment,
		    "Verification not negotiated on context %u", pc->id);
	} else if (strcmp(cls, pc->abstract_syntax) != 0) {
		status = STATUS_CODE_CLASS_NOT_SUPPORTED;
		store_comment(
		    comment, "SOP class not negotiated on context %u", pc->id);
	} else if (strcmp(cls, DIMSE_VERIFICATION_UID) != 0) {
		status = STATUS_CODE_UNRECOGNIZED_OPERATION;
		store_comment(comment,
		    "C-ECHO-RQ for a SOP class other than "
		    "Verification");
	}
	dimse_cecho_rsp(&rsp, &ss->rq, status);
	if (status == STATUS_CODE_SUCCESS) {
		scp_log(ss->s, STORESCP_LOG_VERBOSE, "association %u: C-ECHO",
		    ss->id);
	} else {
		dimse_cmd_set_error_comment(&rsp, comment);
		scp_log(ss->s, STORESCP_LOG_ERROR, "association %u: %s", ss->id,
		    comment);
	}
	return respond(ss, &rsp);
}

static int
finish_request(struct session *ss)
{
	struct dimse_cmd rsp;
	char comment[DIMSE_LO_MAX + 1];
	enum req_kind kind = ss->kind;

	ss->kind = REQ_NONE;
	switch (kind) {
	case REQ_STORE:
		return finish_store(ss);
	case REQ_ACTION:
		scommit_finish(&ss->commit, &ss->rq, ss->pcid, &rsp);
		return respond(ss, &rsp);
	case REQ_ECHO:
		return finish_echo(ss);
	case REQ_OTHER:
		dimse_refusal_rsp(
		    &rsp, &ss->rq, STATUS_CODE_UNRECOGNIZED_OPERATION);
		store_comment(comment, "%s not supported",
		    dimse_command_name(ss->rq.command_field));
		dimse_cmd_set_error_comment(&rsp, comment);
		scp_log(ss->s, STORESCP_LOG_ERROR, "association %u: %s", ss->id,
		    comment);
		return respond(ss, &rsp);
	default:
		return 0;
	}
}

/* A complete command; a request without a data set is answered now. */
static int
on_command(void *user, uint8_t pcid, const struct dimse_cmd *cmd)
{
	struct session *ss = user;
	const struct ul_pc *pc = ul_accepted_pc(ss->a, pcid);

	trace_cmd(ss, cmd);
	drop_request(ss);
	ss->pcid = pcid;
	ss->rq = *cmd;
	if (pc == NULL)
		return -1; /* the engine passes accepted contexts only */
	if (cmd->command_field == DIMSE_N_EVENT_REPORT_RSP)
		return scommit_on_rsp(&ss->commit, cmd);
	if (cmd->command_field & DIMSE_RSP_BIT) {
		scp_log(ss->s, STORESCP_LOG_ERROR,
		    "association %u: unexpected %s from the peer: aborting",
		    ss->id, dimse_command_name(cmd->command_field));
		return -1;
	}
	if (cmd->command_field != DIMSE_C_ECHO_RQ &&
	    cmd->command_field != DIMSE_C_CANCEL_RQ)
		ss->worked = 1;
	switch (cmd->command_field) {
	case DIMSE_C_STORE_RQ:
		ss->kind = REQ_STORE;
		store_begin(&ss->store, &ss->rq, pc);
		break;
	case DIMSE_C_ECHO_RQ:
		ss->kind = REQ_ECHO;
		break;
	case DIMSE_N_ACTION_RQ:
		if (!ss->s->cfg.commit) {
			ss->kind = REQ_OTHER; /* 0211, as any other */
			break;
		}
		ss->kind = REQ_ACTION;
		scommit_begin(&ss->commit, &ss->rq, pc);
		break;
	case DIMSE_C_CANCEL_RQ:
		return 0; /* nothing to cancel: no response (PS3.7 9.3.2.3) */
	default:
		ss->kind = REQ_OTHER;
		break;
	}
	return dimse_cmd_has_dataset(cmd) ? 0 : finish_request(ss);
}

static int
on_dataset(void *user, uint8_t pcid, const uint8_t *data, size_t len, int last)
{
	struct session *ss = user;

	(void)pcid;
	if (ss->kind == REQ_STORE) {
		if (store_data(&ss->store, data, len) == STORE_ABORT)
			return -1;
	} else if (data == NULL && len > 0) {
		return -1; /* session_unseen_room offers stores only */
	} else if (ss->kind == REQ_ACTION) {
		scommit_data(&ss->commit, data, len);
	}
	return last ? finish_request(ss) : 0;
}

uint64_t
session_unseen_room(
    struct session *ss, uint8_t pcid, uint64_t n, int fd, size_t *held)
{
	/* the data set of the C-STORE under way, nothing else (pcid 0:
	 * whichever it is on) */
	if (pcid == 0)
		pcid = ss->pcid;
	if (ss->kind != REQ_STORE || pcid != ss->pcid || ss->held ||
	    ss->rx.state != DIMSE_RX_DATASET || ss->rx.pcid != pcid)
		return 0;
	return store_unseen_room(&ss->store, n, fd, held);
}

void
session_set_tls_subject(struct session *ss, const char *subject)
{
	if (subject != NULL && subject[0] == '\0')
		subject = NULL;
	ss->tls_subject = subject;
	ss->store.who.tls_subject = subject;
}

/* ul_config.ts_keep: the proposed syntaxes worth a place in the RQ. */
static int
session_ts_keep(void *user, const char *uid)
{
	struct session *ss = user;

	return policy_ts_keep(&ss->s->policy, uid);
}

int
session_init(struct session *ss, struct storescp *s, unsigned id,
    const char *peer_host, const char *peer, int over_limit)
{
	static const struct ul_callbacks cb = {
		.on_associate_rq = on_associate_rq,
		.on_pdv = on_pdv,
		.on_release_rq = on_release_rq,
		.on_abort = on_abort,
	};
	static const struct dimse_rx_callbacks rxcb = {
		.on_command = on_command,
		.on_dataset = on_dataset,
	};
	struct ul_config ucfg = { 0 };

	memset(ss, 0, sizeof(*ss));
	ss->s = s;
	ss->id = id;
	ss->peer_host = peer_host;
	ss->peer = peer;
	ss->over_limit = over_limit;
	store_init(&ss->store, s,
	    &(struct store_who){ .id = id,
		.calling = ss->calling,
		.called = ss->called,
		.peer = peer,
		.user = ss->user });
	scommit_init(&ss->commit, s, id, ss->calling);
	dimse_rx_init(&ss->rx, &rxcb, ss);
	ucfg.max_pdu_recv = s->cfg.max_pdu == UINT32_MAX ? 0 : s->cfg.max_pdu;
	ucfg.artim_ms = s->cfg.timeout_ms;
	ss->ac = cs_calloc(1, sizeof(*ss->ac));
	if (ss->ac != NULL)
		ss->a = ul_assoc_new(UL_ACCEPTOR, &ucfg, &cb, ss);
	if (ss->a == NULL)
		return CS_E_NOMEM;
	ul_set_ts_keep(ss->a, session_ts_keep, ss);
	if (s->cfg.log_level >= STORESCP_LOG_TRACE)
		ul_set_trace(ss->a, on_trace, ss);
	return 0;
}

void
session_release(struct session *ss)
{
	drop_request(ss);
	store_end(&ss->store);
	scommit_release(&ss->commit);
	dimse_rx_release(&ss->rx);
	ul_assoc_free(ss->a);
	ss->a = NULL;
	cs_free(ss->ac);
	ss->ac = NULL;
	cs_free(ss->id_response);
	ss->id_response = NULL;
}

/* session_tick for the held response. */
static int
tick_held(struct session *ss, uint64_t now, int stopping)
{
	if (!ss->held)
		return 0;
	if (!ss->armed) {
		ss->due = now + ss->wait_ms;
		ss->armed = 1;
	}
	if (now < ss->due && !stopping)
		return 0;
	ss->wait_ms = 0; /* from now on it waits for room only */
	if (send_held(ss) != 0)
		return -1;
	return !ss->held;
}

int
session_tick(struct session *ss, uint64_t now, int stopping)
{
	int rc = tick_held(ss, now, stopping), rc2;

	if (rc < 0)
		return -1;
	rc2 = scommit_tick(&ss->commit, ss->a, now, stopping, ss->held);
	if (rc2 < 0)
		return -1;
	return rc > 0 || rc2 > 0;
}

int64_t
session_deadline(const struct session *ss)
{
	/* a report waits for the response held, if any */
	if (!ss->held)
		return scommit_deadline(&ss->commit);
	if (session_wants_room(ss))
		return -1;
	return ss->armed ? (int64_t)ss->due : 0;
}

void
session_end(struct session *ss)
{
	if (ss->accepted)
		scommit_end(&ss->commit);
}

int
session_wants_room(const struct session *ss)
{
	/* tried at least once: no delay, or past it */
	return ss->held && ss->armed && ss->wait_ms == 0;
}

void
session_responded(struct session *ss)
{
	if (ss->held || !ss->store.prepare_due)
		return;
	ss->store.prepare_due = 0;
	/* the next object's file, made while its request is on its way */
	store_prepare(&ss->store);
}

void
session_cut(struct session *ss)
{
	if (ss->kind == REQ_STORE)
		scp_log(ss->s, STORESCP_LOG_ERROR,
		    "association %u: '%s' not stored", ss->id,
		    ss->rq.affected_instance);
	drop_request(ss);
	ss->held = 0;
}
