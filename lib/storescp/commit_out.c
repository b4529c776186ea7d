/* commit_out.c - a commitment report on a new association (see
 * commit_out.h). */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cstore/cstore.h"
#include "core/alloc.h"
#include "core/commit_ds.h"
#include "core/dimse_cmd.h"
#include "core/dimse_msg.h"
#include "core/ul_assoc.h"
#include "core/ul_dump.h"
#include "net/net.h"
#include "net/pump.h"
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
		size_t ae = eq != NULL ? (size_t)(eq - in[i]) : 0;

		if (ae == 0 || ae > UL_AE_MAX ||
		    net_split_hostport(eq + 1, p->host, sizeof(p->host),
			p->port, sizeof(p->port)) != 0 ||
		    p->host[0] == '\0' || p->port[0] == '\0')
			return cs_err_set(err, CS_E_INVAL,
			    "commitment peer '%s': expected AETITLE=HOST:PORT",
			    in[i]);
		memcpy(p->ae, in[i], ae);
		p->ae[ae] = '\0';
	}
	return 0;
}

/* One outgoing association and what happened on it. */
struct out {
	struct storescp *s;
	unsigned id;
	struct ul_assoc *a;
	struct dimse_rx rx;
	struct pump pump;
	int fd, pump_ready;
	int accepted, rejected, aborted, released, answered;
	uint16_t msg_id, status;
	struct ul_assoc_rj rj;
};

static void
trace_line(void *user, const char *line)
{
	struct out *o = user;

	scp_log(o->s, STORESCP_LOG_TRACE, "association %u: report: %s", o->id,
	    line);
}

static void
on_trace(void *user, char dir, const uint8_t *pdu, size_t len)
{
	struct out *o = user;

	ul_dump_pdu(dir, pdu, len, ul_rq_params(o->a), trace_line, o);
}

static int
on_ac(void *user, const struct ul_assoc_params *ac)
{
	(void)ac;
	((struct out *)user)->accepted = 1;
	return 0;
}

static int
on_rj(void *user, const struct ul_assoc_rj *rj)
{
	struct out *o = user;

	o->rejected = 1;
	o->rj = *rj;
	return 0;
}

static int
on_abort(void *user, const struct ul_abort *ab, int from_peer)
{
	(void)ab, (void)from_peer;
	((struct out *)user)->aborted = 1;
	return 0;
}

static int
on_release_rp(void *user)
{
	((struct out *)user)->released = 1;
	return 0;
}

static int
on_release_rq(void *user)
{
	struct out *o = user;

	return ul_release_response(o->a) == 0 ? 0 : -1;
}

static int
on_pdv(
    void *user, uint8_t pcid, uint8_t control, const uint8_t *data, size_t len)
{
	struct out *o = user;

	return dimse_rx_pdv(&o->rx, pcid, control, data, len) == 0 ? 0 : -1;
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
over(void *ctx)
{
	struct out *o = ctx;

	return o->accepted || o->rejected || o->aborted;
}

static int
answered(void *ctx)
{
	struct out *o = ctx;

	return o->answered || o->aborted;
}

static int
released(void *ctx)
{
	struct out *o = ctx;

	return o->released || o->aborted;
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
	rc = ul_associate_rq(o->a, rq);
	cs_free(rq);
	if (rc != 0)
		return cs_err_set(err, rc, "%s", ul_last_error(o->a)->msg);
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
	    (rc = dimse_send_command(o->a, PCID, &cmd, err)) == CS_E_AGAIN)
		rc = pump_flush(&o->pump, tmo, err);
	while (rc == 0 && off < tx->ds_len) {
		size_t n = tx->ds_len - off < PIECE ? tx->ds_len - off : PIECE;

		rc = dimse_send_dataset(
		    o->a, PCID, tx->ds + off, n, off + n == tx->ds_len, err);
		if (rc == 0)
			off += n;
		if (rc == 0 || rc == CS_E_AGAIN)
			rc = pump_flush(&o->pump, tmo, err);
	}
	return rc;
}

/* Negotiates and sends; the caller releases or aborts. */
static int
converse(struct out *o, const struct commit_peer *p, struct commit_tx *tx,
    int event, struct cs_err *err)
{
	int tmo = (int)o->s->cfg.timeout_ms;
	const struct ul_pc *pc;
	enum ds_enc enc;
	int rc;

	o->fd = net_connect(p->host, p->port, tmo, err);
	if (o->fd < 0)
		return o->fd;
	if (pump_init(&o->pump, o->fd, o->a) != 0)
		return cs_err_set(err, CS_E_NOMEM, "out of memory");
	o->pump_ready = 1;
	rc = ul_transport_connected(o->a, net_now_ms());
	if (rc == 0)
		rc = pump_run(&o->pump, over, o, tmo, err);
	if (o->rejected)
		return cs_err_set(err, CS_E_REJECTED,
		    "association rejected by '%s': %s", p->ae,
		    ul_rj_reason_text(o->rj.source, o->rj.reason));
	if (!o->accepted)
		return cs_err_set(err, rc ? rc : CS_E_CLOSED,
		    "no association with '%s' at %s port %s", p->ae, p->host,
		    p->port);
	pc = ul_accepted_pc(o->a, PCID);
	if (pc == NULL || commit_ts_enc(pc->ts[0], &enc) != 0)
		return cs_err_set(err, CS_E_REJECTED,
		    "'%s' did not accept the storage commitment context",
		    p->ae);
	if (enc != tx->enc && (rc = commit_tx_encode(tx, enc, err)) != 0)
		return rc;
	rc = send_report(o, tx, event, err);
	if (rc == 0)
		rc = pump_run(&o->pump, answered, o, tmo, err);
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

static void
finish(struct out *o, int ok)
{
	if (o->pump_ready && ok && ul_established(o->a) &&
	    ul_release_rq(o->a) == 0)
		pump_run(
		    &o->pump, released, o, (int)o->s->cfg.timeout_ms, NULL);
	if (o->pump_ready && !o->pump.closed && (!ok || !o->released)) {
		ul_tick(o->a, net_now_ms());
		(void)ul_abort(o->a);
		pump_linger(&o->pump, 0);
	}
	if (o->pump_ready)
		pump_release(&o->pump);
	if (o->fd >= 0)
		close(o->fd);
	dimse_rx_release(&o->rx);
	ul_assoc_free(o->a);
}

int
commit_out_deliver(struct storescp *s, unsigned id, const char *calling,
    struct commit_tx *tx, int event, struct cs_err *err)
{
	static const struct ul_callbacks cb = {
		.on_associate_ac = on_ac,
		.on_associate_rj = on_rj,
		.on_pdv = on_pdv,
		.on_release_rq = on_release_rq,
		.on_release_rp = on_release_rp,
		.on_abort = on_abort,
	};
	static const struct dimse_rx_callbacks rxcb = {
		.on_command = on_command,
		.on_dataset = on_dataset,
	};
	const struct commit_peer *p = find_peer(s, calling);
	struct ul_config ucfg = { 0 };
	struct out o;
	int rc;

	if (p == NULL)
		return cs_err_set(err, CS_E_NOTFOUND,
		    "the requester's association ended and no --commit-peer names '%s'",
		    calling);
	memset(&o, 0, sizeof(o));
	o.s = s;
	o.id = id;
	o.fd = -1;
	o.msg_id = 1;
	ucfg.max_pdu_recv = UL_DEFAULT_MAX_PDU;
	ucfg.artim_ms = s->cfg.timeout_ms;
	o.a = ul_assoc_new(UL_REQUESTOR, &ucfg, &cb, &o);
	if (o.a == NULL)
		return cs_err_set(err, CS_E_NOMEM, "out of memory");
	dimse_rx_init(&o.rx, &rxcb, &o);
	if (s->cfg.log_level >= STORESCP_LOG_TRACE)
		ul_set_trace(o.a, on_trace, &o);
	rc = request(&o, p->ae, err);
	if (rc == 0)
		rc = converse(&o, p, tx, event, err);
	finish(&o, rc == 0);
	if (rc != 0)
		return rc;
	scp_log(s, o.status ? STORESCP_LOG_ERROR : STORESCP_LOG_VERBOSE,
	    "association %u: storage commitment report '%s' sent to '%s' at %s port %s: %zu committed, %zu failed; answered %04X",
	    id, tx->transaction, p->ae, p->host, p->port, tx->n - tx->n_failed,
	    tx->n_failed, o.status);
	return 0;
}
