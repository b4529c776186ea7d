/* rq_assoc.c - an association we request (see rq_assoc.h). */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cstore/cstore.h"
#include "core/ul_dump.h"
#include "net/net.h"
#include "net/rq_assoc.h"
#include "core/banned.h"

static void
trace_line(void *user, const char *line)
{
	struct rq_assoc *r = user;

	r->trace(r->trace_user, line);
}

static void
on_trace(void *user, char dir, const uint8_t *pdu, size_t len)
{
	struct rq_assoc *r = user;

	ul_dump_pdu(
	    dir, pdu, len, r->a ? ul_rq_params(r->a) : NULL, trace_line, r);
}

static int
on_ac(void *user, const struct ul_assoc_params *ac)
{
	(void)ac;
	((struct rq_assoc *)user)->accepted = 1;
	return 0;
}

static int
on_rj(void *user, const struct ul_assoc_rj *rj)
{
	struct rq_assoc *r = user;

	r->rejected = 1;
	r->rj = *rj;
	return 0;
}

static int
on_abort(void *user, const struct ul_abort *ab, int from_peer)
{
	struct rq_assoc *r = user;

	r->aborted = 1;
	r->abort = *ab;
	r->abort_from_peer = from_peer;
	return 0;
}

static int
on_release_rq(void *user)
{
	struct rq_assoc *r = user;

	/* the acceptor asking to release is odd, but legal */
	r->peer_release_rq = 1;
	return ul_release_response(r->a) == 0 ? 0 : -1;
}

static int
on_release_rp(void *user)
{
	((struct rq_assoc *)user)->released = 1;
	return 0;
}

static int
on_pdv(
    void *user, uint8_t pcid, uint8_t control, const uint8_t *data, size_t len)
{
	struct rq_assoc *r = user;

	return dimse_rx_pdv(&r->rx, pcid, control, data, len) == 0 ? 0 : -1;
}

static int
negotiation_over(void *ctx)
{
	struct rq_assoc *r = ctx;

	return r->accepted || r->rejected || r->aborted;
}

static int
release_over(void *ctx)
{
	struct rq_assoc *r = ctx;

	return r->released || r->aborted;
}

int
rq_assoc_init(struct rq_assoc *r, const struct ul_config *ucfg,
    const struct dimse_rx_callbacks *rxcb, void *rx_user,
    void (*trace)(void *user, const char *line), void *trace_user,
    struct cs_err *err)
{
	static const struct ul_callbacks cb = {
		.on_associate_ac = on_ac,
		.on_associate_rj = on_rj,
		.on_pdv = on_pdv,
		.on_release_rq = on_release_rq,
		.on_release_rp = on_release_rp,
		.on_abort = on_abort,
	};

	memset(r, 0, sizeof(*r));
	r->fd = -1;
	transport_plain(&r->t, -1);
	r->trace = trace;
	r->trace_user = trace_user;
	dimse_rx_init(&r->rx, rxcb, rx_user);
	r->a = ul_assoc_new(UL_REQUESTOR, ucfg, &cb, r);
	if (r->a == NULL)
		return cs_err_set(err, CS_E_NOMEM, "out of memory");
	if (trace != NULL)
		ul_set_trace(r->a, on_trace, r);
	return 0;
}

/* The transport over the connected socket: plain, or TLS after the
 * handshake. */
static int
secure(struct rq_assoc *r, const struct rq_assoc_peer *p, struct cs_err *err)
{
	int rc;

	transport_plain(&r->t, r->fd);
	if (p->tls == NULL)
		return 0;
	rc = tls_handshake(&r->t, p->tls, p->tls_name ? p->tls_name : p->host,
	    p->acse_timeout_ms, err);
	if (rc == 0 && r->trace != NULL) {
		char line[512];

		snprintf(line, sizeof(line), "TLS: %s, server certificate '%s'",
		    transport_tls_summary(&r->t),
		    transport_peer_subject(&r->t));
		r->trace(r->trace_user, line);
	}
	return rc;
}

int
rq_assoc_open(
    struct rq_assoc *r, const struct rq_assoc_peer *p, struct cs_err *err)
{
	int rc;

	r->fd = net_connect(p->host, p->port, p->connect_timeout_ms, err);
	if (r->fd < 0) {
		rc = r->fd;
		r->fd = -1;
		return rc;
	}
	r->t_connected = net_now_us();
	rc = secure(r, p, err);
	if (rc != 0)
		return rc;
	if (pump_init_transport(&r->pump, &r->t, r->a) != 0)
		return cs_err_set(err, CS_E_NOMEM, "out of memory");
	r->pump_ready = 1;
	r->pump.quickack = 1;
	rc = ul_transport_connected(r->a, net_now_ms());
	if (rc != 0)
		return cs_err_set(err, rc, "%s", ul_last_error(r->a)->msg);
	return pump_run(&r->pump, negotiation_over, r, p->acse_timeout_ms, err);
}

int
rq_assoc_release(struct rq_assoc *r, int timeout_ms, struct cs_err *err)
{
	int rc;

	if (r->a == NULL || !r->pump_ready || !ul_established(r->a))
		return 0;
	rc = ul_release_rq(r->a);
	if (rc == 0)
		rc = pump_run(&r->pump, release_over, r, timeout_ms, err);
	if (rc == 0 && r->released) {
		/* AR-3 closes the connection: over TLS with a close_notify
		 * first (RFC 8446 6.1), or a peer's OpenSSL reports an
		 * unexpected EOF after every association */
		pump_linger(&r->pump, 0);
		return 0;
	}
	/* ARTIM counts from the engine's clock: bring it to now */
	ul_tick(r->a, net_now_ms());
	(void)ul_abort(r->a);
	pump_linger(&r->pump, 0);
	if (rc == 0)
		rc = CS_E_ABORTED;
	return cs_err_set(err, rc, "the association could not be released: %s",
	    cs_strerror(rc));
}

void
rq_assoc_abort(struct rq_assoc *r)
{
	if (r->a == NULL || !r->pump_ready || r->pump.closed)
		return;
	/* CS_E_STATE in Sta13 (aborted already) and Sta1: nothing to send
	 * then, only the end to wait for */
	ul_tick(r->a, net_now_ms()); /* ARTIM counts from now */
	(void)ul_abort(r->a);
	pump_linger(&r->pump, 0);
}

void
rq_assoc_free(struct rq_assoc *r)
{
	if (r->pump_ready)
		pump_release(&r->pump); /* and the transport */
	else
		transport_release(&r->t);
	/* r->t may still point at the TLS connection the pump's copy of it
	 * freed: forget it, so that freeing again (a failed open closes,
	 * then aborts) frees nothing twice */
	transport_plain(&r->t, -1);
	r->pump_ready = 0;
	if (r->fd >= 0)
		close(r->fd);
	r->fd = -1;
	dimse_rx_release(&r->rx);
	ul_assoc_free(r->a);
	r->a = NULL;
}
