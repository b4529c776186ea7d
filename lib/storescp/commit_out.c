/* commit_out.c - a commitment report on a new association (see
 * commit_out.h). */
#include <stdio.h>
#include <string.h>

#include "cstore/cstore.h"
#include "core/alloc.h"
#include "core/commit_ds.h"
#include "core/dimse_cmd.h"
#include "core/dimse_msg.h"
#include "core/ul_assoc.h"
#include "net/net.h"
#include "net/pump.h"
#include "net/rq_assoc.h"
#include "net/transport.h"
#include "storescp/commit_out.h"
#include "core/banned.h"

#define PCID 1
#define PIECE (64u * 1024u)

int
commit_peers_parse(const char *const *in, size_t n, struct commit_peer **out,
    struct cs_err *err)
{
	*out = NULL;
	if (n == 0)
		return 0;
	*out = cs_calloc(n, sizeof(**out));
	if (*out == NULL)
		return cs_err_set(err, CS_E_NOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		struct commit_peer *p = &(*out)[i];
		const char *eq = strchr(in[i], '=');
		size_t ae = eq != NULL ? (size_t)(eq - in[i]) : 0, b = 0;
		const char *why;

		if (ae == 0 || ae > UL_AE_MAX ||
		    net_split_hostport(eq + 1, p->host, sizeof(p->host),
			p->port, sizeof(p->port)) != 0 ||
		    p->host[0] == '\0' || p->port[0] == '\0')
			return cs_err_set(err, CS_E_INVAL,
			    "commitment peer '%s': expected AETITLE=HOST:PORT",
			    in[i]);
		/* the rules --aet and --allow follow: no backslash nor
		 * control character */
		memcpy(p->ae, in[i], ae);
		p->ae[ae] = '\0';
		if ((why = policy_ae_why(p->ae)) != NULL &&
		    strspn(p->ae, " ") != ae)
			return cs_err_set(err, CS_E_INVAL,
			    "commitment peer '%s': AE title %s", in[i], why);
		/* without the spaces around it, as calling AE titles are
		 * compared (PS3.5 AE: they are not significant) */
		while (ae > 0 && in[i][ae - 1] == ' ')
			ae--;
		while (b < ae && in[i][b] == ' ')
			b++;
		if (b == ae)
			return cs_err_set(err, CS_E_INVAL,
			    "commitment peer '%s': the AE title is all spaces",
			    in[i]);
		memcpy(p->ae, in[i] + b, ae - b);
		p->ae[ae - b] = '\0';
	}
	return 0;
}

/* One outgoing association and what happened on it. */
struct out {
	struct storescp *s;
	unsigned id;
	struct rq_assoc r;
	int answered;
	uint16_t msg_id, status;
};

static void
trace_line(void *user, const char *line)
{
	struct out *o = user;

	scp_log(o->s, STORESCP_LOG_TRACE, "association %u: report: %s", o->id,
	    line);
}

static int
on_command(void *user, uint8_t pcid, const struct dimse_cmd *cmd)
{
	struct out *o = user;

	(void)pcid;
	if (cmd->command_field != DIMSE_N_EVENT_REPORT_RSP ||
	    cmd->message_id_rsp != o->msg_id || o->answered)
		return -1; /* the requester sends us nothing else here */
	o->answered = 1;
	o->status = cmd->status;
	return 0;
}

static int
on_dataset(void *user, uint8_t pcid, const uint8_t *data, size_t len, int last)
{
	(void)user, (void)pcid, (void)data, (void)len, (void)last;
	return 0; /* an Event Reply data set: nothing we need */
}

static int
answered(void *ctx)
{
	struct out *o = ctx;

	return o->answered || o->r.aborted;
}

/* The A-ASSOCIATE-RQ: one context, the SCP role proposed for it. */
static int
request(struct out *o, const char *called, struct cs_err *err)
{
	struct ul_assoc_params *rq = cs_calloc(1, sizeof(*rq));
	int rc;

	if (rq == NULL)
		return cs_err_set(err, CS_E_NOMEM, "out of memory");
	rq->protocol_version = 1;
	snprintf(rq->called_ae, sizeof(rq->called_ae), "%s", called);
	snprintf(
	    rq->calling_ae, sizeof(rq->calling_ae), "%s", o->s->policy.aet);
	snprintf(
	    rq->app_context, sizeof(rq->app_context), "%s", UL_APP_CONTEXT);
	rq->n_pc = 1;
	rq->pc[0].id = PCID;
	snprintf(
	    rq->pc[0].abstract_syntax, UL_UID_MAX + 1, "%s", COMMIT_SOP_CLASS);
	commit_ts_propose(&rq->pc[0]);
	rq->has_max_pdu = 1;
	rq->max_pdu = UL_DEFAULT_MAX_PDU;
	rq->n_role = 1;
	snprintf(rq->role[0].sop_class, UL_UID_MAX + 1, "%s", COMMIT_SOP_CLASS);
	rq->role[0].scu_role = 0;
	rq->role[0].scp_role = 1;
	rc = ul_associate_rq(o->r.a, rq);
	cs_free(rq);
	if (rc != 0)
		return cs_err_set(err, rc, "%s", ul_last_error(o->r.a)->msg);
	return 0;
}

/* Queues the N-EVENT-REPORT-RQ and writes it out. */
static int
send_report(struct out *o, struct commit_tx *tx, int event, struct cs_err *err)
{
	int tmo = (int)o->s->cfg.timeout_ms;
	struct dimse_cmd cmd;
	size_t off = 0;
	int rc;

	rc = dimse_neventreport_rq(&cmd, o->msg_id, COMMIT_SOP_CLASS,
	    COMMIT_SOP_INSTANCE, (uint16_t)event);
	while (rc == 0 &&
	    (rc = dimse_send_command(o->r.a, PCID, &cmd, err)) == CS_E_AGAIN)
		rc = pump_flush(&o->r.pump, tmo, err);
	while (rc == 0 && off < tx->ds_len) {
		size_t n = tx->ds_len - off < PIECE ? tx->ds_len - off : PIECE;

		rc = dimse_send_dataset(
		    o->r.a, PCID, tx->ds + off, n, off + n == tx->ds_len, err);
		if (rc == 0)
			off += n;
		if (rc == 0 || rc == CS_E_AGAIN)
			rc = pump_flush(&o->r.pump, tmo, err);
	}
	return rc;
}

/* Negotiates (over TLS with tls) and sends; the caller releases or
 * aborts. */
static int
converse(struct out *o, const struct commit_peer *p, struct tls_ctx *tls,
    struct commit_tx *tx, int event, struct cs_err *err)
{
	int tmo = (int)o->s->cfg.timeout_ms;
	struct rq_assoc_peer peer = {
		.host = p->host,
		.port = p->port,
		.connect_timeout_ms = tmo,
		.acse_timeout_ms = tmo,
		.tls = tls,
	};
	const struct ul_pc *pc;
	enum ds_enc enc;
	int rc;

	rc = rq_assoc_open(&o->r, &peer, err);
	if (rc != 0 && !o->r.pump_ready)
		return rc; /* the connection or its TLS handshake */
	if (o->r.rejected)
		return cs_err_set(err, CS_E_REJECTED,
		    "association rejected by '%s': %s", p->ae,
		    ul_rj_reason_text(o->r.rj.source, o->r.rj.reason));
	if (!o->r.accepted)
		return cs_err_set(err, rc ? rc : CS_E_CLOSED,
		    "no association with '%s' at %s port %s", p->ae, p->host,
		    p->port);
	pc = ul_accepted_pc(o->r.a, PCID);
	if (pc == NULL || commit_ts_enc(pc->ts[0], &enc) != 0)
		return cs_err_set(err, CS_E_REJECTED,
		    "'%s' did not accept the storage commitment context",
		    p->ae);
	if (enc != tx->enc && (rc = commit_tx_encode(tx, enc, err)) != 0)
		return rc;
	rc = send_report(o, tx, event, err);
	if (rc == 0)
		rc = pump_run(&o->r.pump, answered, o, tmo, err);
	if (rc == 0 && !o->answered)
		rc = cs_err_set(
		    err, CS_E_ABORTED, "'%s' aborted the association", p->ae);
	return rc;
}

static const struct commit_peer *
find_peer(const struct storescp *s, const char *ae)
{
	for (size_t i = 0; i < s->n_commit_peers; i++)
		if (strcmp(s->commit_peers[i].ae, ae) == 0)
			return &s->commit_peers[i];
	return NULL;
}

int
commit_out_deliver(struct storescp *s, unsigned id, const char *calling,
    struct commit_tx *tx, int event, struct cs_err *err)
{
	static const struct dimse_rx_callbacks rxcb = {
		.on_command = on_command,
		.on_dataset = on_dataset,
	};
	const struct commit_peer *p = find_peer(s, calling);
	struct ul_config ucfg = { 0 };
	struct tls_ctx *tls = NULL;
	struct out o;
	int rc;

	if (p == NULL)
		return cs_err_set(err, CS_E_NOTFOUND,
		    "the requester's association ended and no --commit-peer names '%s'",
		    calling);
	memset(&o, 0, sizeof(o));
	o.s = s;
	o.id = id;
	o.msg_id = 1;
	ucfg.max_pdu_recv = UL_DEFAULT_MAX_PDU;
	ucfg.artim_ms = s->cfg.timeout_ms;
	rc = rq_assoc_init(&o.r, &ucfg, &rxcb, &o,
	    s->cfg.log_level >= STORESCP_LOG_TRACE ? trace_line : NULL, &o,
	    err);
	if (rc == 0)
		rc = request(&o, p->ae, err);
	if (rc == 0 && s->cfg.tls.enabled)
		tls = scp_tls_client(s);
	if (rc == 0)
		rc = converse(&o, p, tls, tx, event, err);
	tls_ctx_free(tls);
	if (rc == 0) /* answered: a failed release costs the report nothing */
		(void)rq_assoc_release(&o.r, (int)s->cfg.timeout_ms, NULL);
	else
		rq_assoc_abort(&o.r);
	rq_assoc_free(&o.r);
	if (rc != 0)
		return rc;
	scp_log(s, o.status ? STORESCP_LOG_ERROR : STORESCP_LOG_VERBOSE,
	    "association %u: storage commitment report '%s' sent to '%s' at %s port %s%s: %zu committed, %zu failed; answered %04X",
	    id, tx->transaction, p->ae, p->host, p->port,
	    s->cfg.tls.enabled ? " over TLS" : "", tx->n - tx->n_failed,
	    tx->n_failed, o.status);
	return 0;
}
