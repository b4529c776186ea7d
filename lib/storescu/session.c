/* session.c - an SCU association over a socket (see session.h). */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cstore/cstore.h"
#include "core/alloc.h"
#include "dcmfile/infile.h"
#include "net/net.h"
#include "storescu/session.h"
#include "core/banned.h"

static void
trace_line(void *user, const char *line)
{
	struct scu_session *s = user;

	if (s->cfg.trace != NULL)
		s->cfg.trace(s->cfg.trace_user, line);
}

static struct scu_pending *
find_pending(struct scu_session *s, uint16_t msg_id)
{
	unsigned k;

	for (k = 0; k < s->n_pending; k++)
		if (s->pending[k].msg_id == msg_id)
			return &s->pending[k];
	return NULL;
}

static int
on_command(void *user, uint8_t pcid, const struct dimse_cmd *cmd)
{
	struct scu_session *s = user;
	struct scu_pending *p;
	char line[400];

	(void)pcid;
	if (s->cfg.trace != NULL) {
		dimse_cmd_format(cmd, line, sizeof(line));
		trace_line(s, line);
	}
	if (!(cmd->command_field & DIMSE_RSP_BIT)) {
		/* an SCU takes only what commitment may send it */
		if (s->req_cb != NULL)
			return s->req_cb->on_command(s->req_user, pcid, cmd);
		return cs_err_set(&s->r.rx.err, CS_E_PROTO,
		    "the peer sent a %s (Message ID %u), a request this "
		    "association does not take",
		    dimse_command_name(cmd->command_field), cmd->message_id);
	}
	p = find_pending(s, cmd->message_id_rsp);
	/* the reason goes where the receiver keeps its first error */
	if (p == NULL || p->have_rsp)
		return cs_err_set(&s->r.rx.err, CS_E_PROTO,
		    "the peer sent %s %s for Message ID %u, %s",
		    p == NULL ? "a" : "a second",
		    dimse_command_name(cmd->command_field), cmd->message_id_rsp,
		    p == NULL ? "which no outstanding request has"
			      : "already answered");
	p->rsp = *cmd;
	p->have_rsp = 1;
	return 0;
}

static int
on_dataset(void *user, uint8_t pcid, const uint8_t *data, size_t len, int last)
{
	struct scu_session *s = user;

	/* no response we expect carries a data set; a request may */
	if (s->req_cb == NULL)
		return cs_err_set(&s->r.rx.err, CS_E_PROTO,
		    "the peer sent a data set after a %s, which has none",
		    dimse_command_name(s->r.rx.last_command));
	return s->req_cb->on_dataset(s->req_user, pcid, data, len, last);
}

static int
response_in(void *ctx)
{
	struct scu_session *s = ctx;
	const struct scu_pending *p = find_pending(s, s->wait_id);

	return (p != NULL && p->have_rsp) || s->r.aborted;
}

/*
 * Turns what ended an association early into a code and one message,
 * replacing the transport's detail in err (kept as a hint when the
 * connection simply went away).
 */
static int
ended_early(struct scu_session *s, int rc, struct cs_err *err)
{
	const struct cs_err *ue = ul_last_error(s->r.a);
	char hint[CS_ERR_MSG_MAX] = "";

	if (err != NULL && err->code == CS_E_TLS) {
		/* a TLS alert says it best; TLS 1.3's for a missing client
		 * certificate comes after the handshake, where tls.c's hint
		 * for TLS 1.2's bare 'handshake failure' is not given */
		size_t n = strlen(err->msg);

		if (s->cfg.tls.cert == NULL &&
		    strstr(err->msg,
			"the peer's alert 'certificate required'") != NULL &&
		    strstr(err->msg, "--tls-cert") == NULL)
			snprintf(err->msg + n, sizeof(err->msg) - n,
			    " (it asked for our certificate, and none was "
			    "given: --tls-cert)");
		return CS_E_TLS;
	}
	if (err != NULL && err->code != 0 && s->r.pump.http)
		return err->code; /* a web server: no DICOM peer there */
	if (s->cfg.tls.enabled && !s->r.accepted && !s->r.rejected &&
	    !s->r.abort_from_peer && s->r.pump.bytes_in == 0) {
		/* TLS 1.3: the server judges our certificate after the
		 * handshake; one that refuses it and closes at once (no
		 * alert reaches us) ends here */
		cs_err_clear(err);
		return cs_err_set(err, CS_E_TLS,
		    "TLS: the server closed the connection right after the "
		    "handshake (did it refuse our certificate%s?)",
		    s->cfg.tls.cert ? "" : ": none was given");
	}
	if (err != NULL && err->code != 0) {
		snprintf(hint, sizeof(hint), "%s", err->msg);
		cs_err_clear(err);
	}
	if (s->r.rejected)
		return cs_err_set(err, CS_E_REJECTED,
		    "association rejected by '%s': %s (result %u, source %u, reason %u)%s",
		    s->cfg.called_ae,
		    ul_rj_reason_text(s->r.rj.source, s->r.rj.reason),
		    s->r.rj.result, s->r.rj.source, s->r.rj.reason,
		    s->cfg.user != NULL && s->r.rj.source == 1 &&
			    s->r.rj.reason == 1
			? "; was the user identity refused?"
			: "");
	if (s->r.aborted && s->r.abort_from_peer)
		return cs_err_set(err, CS_E_ABORTED,
		    "association aborted by the peer: %s (source %u, reason %u)",
		    ul_abort_reason_text(s->r.abort.source, s->r.abort.reason),
		    s->r.abort.source, s->r.abort.reason);
	if (rc == CS_E_TIMEOUT || rc == CS_E_IO)
		return cs_err_set(
		    err, rc, "%s", hint[0] ? hint : cs_strerror(rc));
	/* accepted with terms nothing can be sent under (a maximum PDU
	 * length no fragment fits): as good as rejected */
	if (ue != NULL && ue->code == CS_E_REJECTED)
		return cs_err_set(err, CS_E_REJECTED, "%s", ue->msg);
	if (ue != NULL && ue->code != 0 && ue->code != CS_E_CLOSED &&
	    !(s->r.aborted && s->r.abort.reason == 0))
		return cs_err_set(err, CS_E_PROTO, "%s", ue->msg);
	if (s->r.peer_release_rq)
		return cs_err_set(err, CS_E_CLOSED,
		    "the peer asked to release the association "
		    "(A-RELEASE-RQ) before the end");
	return cs_err_set(err, CS_E_CLOSED,
	    "the peer closed the connection%s%s%s%s%s",
	    s->r.accepted ? "" : " without answering the association request",
	    hint[0] ? " (" : "", hint, hint[0] ? ")" : "",
	    !s->r.accepted && !s->cfg.tls.enabled && s->r.pump.bytes_in == 0
		? "; a TLS port (--tls), a balancer with no server up, or a "
		  "peer refusing this address?"
		: "");
}

/*
 * The window the peer granted: its answer's invoked count (0 means no
 * limit), never more than we proposed; no answer means synchronous.
 */
static unsigned
granted_window(const struct scu_session *s)
{
	const struct ul_assoc_params *ac = ul_ac_params(s->r.a);
	unsigned asked = s->async_window;

	if (asked > SCU_WINDOW_MAX)
		asked = SCU_WINDOW_MAX;
	if (asked <= 1 || ac == NULL || !ac->has_async_ops)
		return 1;
	if (ac->max_ops_invoked == 0 || ac->max_ops_invoked > asked)
		return asked;
	return ac->max_ops_invoked;
}

/* storescu_config.max_pdu as the engine takes it (0 there: no limit). */
static uint32_t
ul_max_pdu(uint32_t v)
{
	if (v == 0)
		return UL_DEFAULT_MAX_PDU;
	return v == STORESCU_MAX_PDU_NONE ? 0 : v;
}

/* Queues the A-ASSOCIATE-RQ proposing the n contexts pcs (Evt1). */
static int
request(struct scu_session *s, uint32_t max_pdu, const struct ul_pc *pcs, int n,
    struct cs_err *err)
{
	struct ul_assoc_params *rq;
	unsigned window = s->async_window;
	int rc;

	/* never cut to fit: a 17th character is another AE title */
	if (strlen(s->cfg.called_ae) > UL_AE_MAX ||
	    strlen(s->cfg.calling_ae) > UL_AE_MAX)
		return cs_err_set(err, CS_E_INVAL,
		    "AE title '%s': longer than %d characters",
		    strlen(s->cfg.called_ae) > UL_AE_MAX ? s->cfg.called_ae
							 : s->cfg.calling_ae,
		    UL_AE_MAX);
	rq = cs_calloc(1, sizeof(*rq));
	if (rq == NULL)
		return cs_err_set(err, CS_E_NOMEM, "out of memory");
	rq->protocol_version = 1;
	snprintf(rq->called_ae, sizeof(rq->called_ae), "%s", s->cfg.called_ae);
	snprintf(
	    rq->calling_ae, sizeof(rq->calling_ae), "%s", s->cfg.calling_ae);
	snprintf(
	    rq->app_context, sizeof(rq->app_context), "%s", UL_APP_CONTEXT);
	memcpy(rq->pc, pcs, (size_t)n * sizeof(*pcs));
	rq->n_pc = (uint8_t)n;
	rq->has_max_pdu = 1;
	rq->max_pdu = max_pdu;
	if (window > 1) {
		/* we invoke; performing is the SCP's job, never ours here */
		rq->has_async_ops = 1;
		rq->max_ops_invoked =
		    (uint16_t)(window > SCU_WINDOW_MAX ? SCU_WINDOW_MAX
						       : window);
		rq->max_ops_performed = 1;
	}
	if (s->cfg.user != NULL) {
		struct ul_user_identity *u = &rq->user_identity;

		if (strlen(s->cfg.user) > UINT16_MAX ||
		    s->cfg.password_len > UINT16_MAX) {
			cs_free(rq);
			return cs_err_set(err, CS_E_INVAL,
			    "a user name or passcode longer than 65535 bytes");
		}

		rq->has_user_identity = 1;
		u->type = s->cfg.password != NULL ? 2 : 1;
		u->positive_response = s->cfg.identity_response ? 1 : 0;
		u->primary.p = (const uint8_t *)s->cfg.user;
		u->primary.len = (uint16_t)strlen(s->cfg.user);
		u->secondary.p = s->cfg.password;
		u->secondary.len = (uint16_t)s->cfg.password_len;
	}
	rc = ul_associate_rq(s->r.a, rq);
	cs_free(rq);
	if (rc != 0)
		return cs_err_set(err, rc,
		    "cannot build the association request: %s",
		    ul_last_error(s->r.a)->msg);
	return 0;
}

/*
 * PS3.7 D.3.3.7.2: a positive response asked for and none in the AC:
 * the peer did not vouch for the identity, so nothing is sent to it.
 */
static int
confirmed(struct scu_session *s, struct cs_err *err)
{
	const struct ul_assoc_params *ac = ul_ac_params(s->r.a);

	s->identity_confirmed = ac != NULL && ac->has_user_identity;
	if (s->cfg.user == NULL || !s->cfg.identity_response ||
	    s->identity_confirmed)
		return 0;
	scu_close(s, NULL);
	return cs_err_set(err, CS_E_REJECTED,
	    "'%s' did not confirm user identity '%s' (a positive response was requested): nothing sent",
	    s->cfg.called_ae, s->cfg.user);
}

/* Connects, sends the queued request and waits (ACSE timeout) for the
 * answer. */
static int
negotiate(struct scu_session *s, struct cs_err *err)
{
	const struct storescu_config *sc = &s->cfg;
	struct rq_assoc_peer peer = {
		.host = sc->host,
		.port = sc->port,
		.connect_timeout_ms = sc->connect_timeout_ms,
		.acse_timeout_ms = sc->acse_timeout_ms,
		.tls_name = sc->tls.server_name,
	};
	int rc;

	if (sc->tls.enabled) {
		/* the run's context when shared: its sessions resume */
		peer.tls = s->tls_share != NULL
		    ? tls_share_get(s->tls_share, &sc->tls, err)
		    : tls_ctx_new(&sc->tls, 0, err);
		if (peer.tls == NULL)
			return err != NULL && err->code ? err->code : CS_E_TLS;
	}
	rc = rq_assoc_open(&s->r, &peer, err);
	tls_ctx_free(peer.tls);
	if (rc != 0 && !s->r.pump_ready)
		return rc; /* no connection, or no TLS over it */
	if (rc == CS_E_TIMEOUT) {
		cs_err_clear(err);
		return cs_err_set(err, CS_E_TIMEOUT,
		    "no answer to the association request from '%s' port %s within %d ms",
		    sc->host, sc->port, sc->acse_timeout_ms);
	}
	if (s->r.accepted) {
		s->t_established = net_now_us();
		s->window = granted_window(s);
		return confirmed(s, err);
	}
	return ended_early(s, rc ? rc : CS_E_CLOSED, err);
}

int
scu_open(struct scu_session *s, const struct storescu_config *sc,
    unsigned async_window, const struct ul_pc *pcs, int n, struct cs_err *err)
{
	return scu_open_shared(s, sc, NULL, async_window, pcs, n, err);
}

int
scu_open_shared(struct scu_session *s, const struct storescu_config *sc,
    struct tls_share *share, unsigned async_window, const struct ul_pc *pcs,
    int n, struct cs_err *err)
{
	static const struct dimse_rx_callbacks rxcb = {
		.on_command = on_command,
		.on_dataset = on_dataset,
	};
	struct ul_config cfg = { 0 };
	int rc;

	memset(s, 0, sizeof(*s));
	s->r.fd = -1;
	if ((rc = scu_check_peer(sc, err)) != 0)
		return rc;
	s->cfg = *sc;
	s->tls_share = share;
	s->async_window = async_window;
	if (s->cfg.calling_ae == NULL)
		s->cfg.calling_ae = STORESCU_DEFAULT_CALLING_AE;
	if (s->cfg.called_ae == NULL)
		s->cfg.called_ae = STORESCU_DEFAULT_CALLED_AE;
	s->next_msg_id = 1;
	s->window = 1;
	s->t_start = net_now_us();
	if (n < 1 || n > UL_MAX_PC)
		return cs_err_set(err, CS_E_INVAL,
		    "cannot propose %d presentation contexts (1-%d)", n,
		    UL_MAX_PC);
	cfg.max_pdu_recv = ul_max_pdu(sc->max_pdu);
	/* Sta13: how long to wait for the peer to close after our A-ABORT */
	cfg.artim_ms =
	    sc->acse_timeout_ms > 0 ? (uint32_t)sc->acse_timeout_ms : 0;
	rc = rq_assoc_init(
	    &s->r, &cfg, &rxcb, s, sc->trace, sc->trace_user, err);
	if (rc != 0)
		return rc;
	rc = request(s, cfg.max_pdu_recv, pcs, n, err);
	return rc != 0 ? rc : negotiate(s, err);
}

static int
await_response(struct scu_session *s, uint16_t msg_id, struct cs_err *err)
{
	int rc;

	s->wait_id = msg_id;
	rc = pump_run(&s->r.pump, response_in, s, s->cfg.dimse_timeout_ms, err);
	if (rc == 0 && !s->r.aborted)
		return 0;
	if (rc == CS_E_TIMEOUT) {
		cs_err_clear(err);
		return cs_err_set(err, CS_E_TIMEOUT,
		    "no response from the peer within %d ms (DIMSE timeout)",
		    s->cfg.dimse_timeout_ms);
	}
	if (s->r.rx.rc != 0 && !s->r.aborted) {
		cs_err_clear(err);
		return cs_err_set(
		    err, CS_E_PROTO, "%s", dimse_rx_error(&s->r.rx)->msg);
	}
	return ended_early(s, rc ? rc : CS_E_CLOSED, err);
}

/* Takes the next Message ID and records the request as outstanding. */
static uint16_t
add_pending(struct scu_session *s)
{
	struct scu_pending *p = &s->pending[s->n_pending++];

	p->msg_id = s->next_msg_id++;
	if (s->next_msg_id == 0)
		s->next_msg_id = 1;
	p->have_rsp = 0;
	p->mixed = 0;
	p->whole = 0;
	return p->msg_id;
}

int
scu_wait(struct scu_session *s, uint16_t msg_id, struct dimse_cmd *rsp,
    struct cs_err *err)
{
	struct scu_pending *p = find_pending(s, msg_id);
	int rc;

	if (p == NULL)
		return cs_err_set(err, CS_E_INVAL,
		    "no request with message ID %u is outstanding", msg_id);
	if (!p->have_rsp) {
		rc = await_response(s, msg_id, err);
		if (rc != 0)
			return rc;
		p = find_pending(s, msg_id);
	}
	*rsp = p->rsp;
	/* keep the rest in the order sent */
	memmove(p, p + 1,
	    (size_t)(&s->pending[s->n_pending] - (p + 1)) * sizeof(*p));
	s->n_pending--;
	return 0;
}

int
scu_answered(struct scu_session *s, uint16_t msg_id)
{
	const struct scu_pending *p = find_pending(s, msg_id);

	return p != NULL && p->have_rsp;
}

static int send_command(struct scu_session *s, uint8_t pcid,
    const struct dimse_cmd *cmd, struct cs_err *err);

int
scu_request(struct scu_session *s, uint8_t pcid, struct dimse_cmd *cmd,
    const uint8_t *ds, size_t len, struct dimse_cmd *rsp, struct cs_err *err)
{
	size_t off = 0, piece;
	uint16_t id;
	int rc;

	if (s->n_pending != 0)
		return cs_err_set(err, CS_E_INVAL, "requests are outstanding");
	id = add_pending(s);
	cmd->message_id = id;
	rc = send_command(s, pcid, cmd, err);
	/* in pieces, so that the output queue never has to hold it all */
	while (rc == 0 && off < len) {
		piece = len - off < 256u * 1024u ? len - off : 256u * 1024u;
		rc = dimse_send_dataset(
		    s->r.a, pcid, ds + off, piece, off + piece == len, err);
		if (rc == 0) {
			off += piece;
			rc = pump_flush(
			    &s->r.pump, s->cfg.dimse_timeout_ms, err);
		}
	}
	if (rc == 0)
		rc = pump_flush(&s->r.pump, s->cfg.dimse_timeout_ms, err);
	if (rc != 0) {
		s->n_pending = 0;
		return s->r.aborted ? ended_early(s, rc, err) : rc;
	}
	return scu_wait(s, id, rsp, err);
}

int
scu_serve(struct scu_session *s, int (*done)(void *ctx), void *ctx,
    int timeout_ms, struct cs_err *err)
{
	int rc = pump_run(&s->r.pump, done, ctx, timeout_ms, err);

	if (rc == 0 && !s->r.aborted)
		return 0;
	if (rc == CS_E_TIMEOUT)
		return rc;
	if (s->r.rx.rc != 0 && !s->r.aborted) {
		cs_err_clear(err);
		return cs_err_set(
		    err, CS_E_PROTO, "%s", dimse_rx_error(&s->r.rx)->msg);
	}
	return ended_early(s, rc ? rc : CS_E_CLOSED, err);
}

/* How long the answers to a failed write are awaited when no timeout
 * is set at all. */
#define READ_REST_MAX_MS 30000

void
scu_read_rest(struct scu_session *s)
{
	int ms = s->cfg.dimse_timeout_ms;

	if (s->r.a == NULL || !s->r.pump_ready || s->r.pump.closed ||
	    !s->r.pump.wr_failed)
		return;
	/* until the end of the connection: an A-ABORT, EOF or a reset --
	 * within the response timeout, else ARTIM's, else a fixed bound:
	 * a peer that neither answers nor closes must not hold us */
	if (ms <= 0 ||
	    (s->cfg.acse_timeout_ms > 0 && s->cfg.acse_timeout_ms < ms))
		ms = s->cfg.acse_timeout_ms;
	if (ms <= 0)
		ms = READ_REST_MAX_MS;
	pump_run(&s->r.pump, NULL, NULL, ms, NULL);
}

static int
send_command(struct scu_session *s, uint8_t pcid, const struct dimse_cmd *cmd,
    struct cs_err *err)
{
	char line[400];

	if (s->cfg.trace != NULL) {
		dimse_cmd_format(cmd, line, sizeof(line));
		trace_line(s, line);
	}
	return dimse_send_command(s->r.a, pcid, cmd, err);
}

int
scu_echo(
    struct scu_session *s, uint8_t pcid, uint16_t *status, struct cs_err *err)
{
	struct dimse_cmd cmd, rsp;
	uint16_t id;
	int rc;

	if (s->n_pending >= s->window)
		return cs_err_set(err, CS_E_INVAL, "the window is full");
	id = add_pending(s);
	dimse_cecho_rq(&cmd, id);
	rc = send_command(s, pcid, &cmd, err);
	if (rc == 0)
		rc = scu_wait(s, id, &rsp, err);
	if (rc != 0)
		return rc;
	*status = rsp.status;
	return 0;
}

/* The PDV payload of data sets not read whole at once, and how much of
 * it goes between two checks of the file (an fstat): a check before the
 * last PDV finds any write made before it (its size or mtime moved), so
 * those between only stop a changed file sooner; one per 2 MiB (the
 * pump's window) is 8 times fewer system calls than one per PDV. */
#define SCU_CHECKED_PDV (256u * 1024u)
#define SCU_CHECK_BYTES (2u * 1024u * 1024u)

int
scu_store_start(struct scu_session *s, uint8_t pcid, const char *sop_class,
    const char *sop_instance, int fd, const char *path, off_t offset,
    uint64_t len, unsigned pad, uint16_t *msg_id, struct cs_err *err)
{
	struct dimse_cmd cmd;
	struct dimse_frag_plan plan;
	struct stat was, now;
	uint64_t since = 0; /* payload sent since the last check */
	struct scu_pending *p;
	uint32_t n, max;
	int rc, marked, big, queued = 0;

	if (s->n_pending >= s->window)
		return cs_err_set(err, CS_E_INVAL, "the window is full");
	/* bytes read in one go (small files) are what is sent, whatever
	 * happens to the file after: no fstat calls for them */
	big = !pump_payload_read_at_once(&s->r.pump, len);
	marked = big && fstat(fd, &was) == 0;
	rc = dimse_cstore_rq(&cmd, s->next_msg_id, sop_class, sop_instance,
	    DIMSE_PRIORITY_MEDIUM);
	if (rc != 0)
		return cs_err_set(err, rc, "invalid SOP class or instance UID");
	*msg_id = add_pending(s);
	rc = send_command(s, pcid, &cmd, err);
	if (rc != 0)
		return rc;
	pump_set_payload_file(&s->r.pump, fd, offset, len);
	pump_set_payload_pad(&s->r.pump, pad);
	max = ul_max_pdv_payload(s->r.a);
	/* a check before each PDU, also with a peer without a limit */
	if (big && max > SCU_CHECKED_PDV)
		max = SCU_CHECKED_PDV;
	rc = dimse_plan_init(&plan, len + pad, max);
	if (rc != 0)
		return cs_err_set(
		    err, rc, "cannot plan the data set fragments");
	/*
	 * The whole data set goes out even if the peer answers early: a
	 * message cut short would leave the association unusable.
	 */
	while (
	    (rc = dimse_send_dataset_next(s->r.a, pcid, &plan, &n, err)) == 1) {
		/*
		 * A file written to while it was sent (a writer still at
		 * work, an edit in place) went out mixed: the next PDU is
		 * cut before its payload, so that the peer stores none of
		 * it, as for a file that shrank (a write while the last PDU
		 * goes: see after the loop).
		 */
		if (marked && plan.left + n < len + pad &&
		    (plan.left == 0 || since >= SCU_CHECK_BYTES)) {
			since = 0;
			if (infile_written_since(fd, path, &was, &now)) {
				pump_cut_payload(&s->r.pump);
				/* a shrink in the words the read would have
				 * used */
				return cs_err_set(err, CS_E_IO, "%s",
				    now.st_size < offset + (off_t)len
					? "file ended before its dataset was "
					  "sent"
					: "the file was written to while it "
					  "was sent");
			}
		}
		since += n;
		rc = pump_flush(&s->r.pump, s->cfg.dimse_timeout_ms, err);
		if (s->r.aborted)
			break;
		if (rc != 0)
			return rc == CS_E_IO ? rc : ended_early(s, rc, err);
	}
	if (rc == 0 && !s->r.aborted) {
		queued = 1; /* every fragment, the last too */
		rc = pump_flush(&s->r.pump, s->cfg.dimse_timeout_ms, err);
	}
	/* the last byte went before anything ended the association */
	p = find_pending(s, *msg_id);
	if (p != NULL && queued && rc == 0)
		p->whole = 1;
	if (s->r.aborted)
		return ended_early(s, rc ? rc : CS_E_ABORTED, err);
	if (rc < 0)
		return rc == CS_E_IO ? rc : ended_early(s, rc, err);
	/* every byte is in the socket now, copied (mapping, buffer, TLS):
	 * one written meanwhile may be in the last PDU, which went */
	if (p != NULL && marked && infile_written_since(fd, path, &was, NULL))
		p->mixed = 1;
	return 0;
}

int
scu_store_mixed(const struct scu_session *s, uint16_t msg_id)
{
	unsigned k;

	for (k = 0; k < s->n_pending; k++)
		if (s->pending[k].msg_id == msg_id)
			return s->pending[k].mixed;
	return 0;
}

int
scu_store_whole(const struct scu_session *s, uint16_t msg_id)
{
	unsigned k;

	for (k = 0; k < s->n_pending; k++)
		if (s->pending[k].msg_id == msg_id)
			return s->pending[k].whole;
	return 0;
}

int
scu_close(struct scu_session *s, struct cs_err *err)
{
	int rc = rq_assoc_release(&s->r, s->cfg.acse_timeout_ms, err);

	rq_assoc_free(&s->r);
	return rc;
}

void
scu_abort(struct scu_session *s)
{
	rq_assoc_abort(&s->r);
	rq_assoc_free(&s->r);
}

const struct ul_assoc_params *
scu_ac(const struct scu_session *s)
{
	return s->r.a ? ul_ac_params(s->r.a) : NULL;
}
