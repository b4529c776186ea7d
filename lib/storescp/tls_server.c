/*
 * tls_server.c - the receiver's TLS: its context, made at start and made
 * again on storescp_reload_tls (SIGHUP) while associations go on with
 * the one they began with, and the handshake of each connection.
 */
#include <string.h>

#include "cstore/cstore.h"
#include "net/transport.h"
#include "storescp/scp.h"
#include "core/banned.h"

int
scp_tls_init(struct storescp *s, struct cs_err *err)
{
	if (!s->cfg.tls.enabled)
		return 0;
	s->tls = tls_ctx_new(&s->cfg.tls, 1, err);
	if (s->tls == NULL)
		return err && err->code ? err->code : CS_E_TLS;
	/* made now, before the sandbox closes the files: commitment reports
	 * on associations we open (commit_out.c) */
	if (s->cfg.commit) {
		s->tls_client = tls_ctx_new(&s->cfg.tls, 0, err);
		if (s->tls_client == NULL)
			return err && err->code ? err->code : CS_E_TLS;
	}
	return 0;
}

struct tls_ctx *
scp_tls_client(struct storescp *s)
{
	struct tls_ctx *c;

	pthread_mutex_lock(&s->tls_mu);
	c = s->tls_client != NULL ? tls_ctx_ref(s->tls_client) : NULL;
	pthread_mutex_unlock(&s->tls_mu);
	return c;
}

void
scp_tls_release(struct storescp *s)
{
	tls_ctx_free(s->tls);
	s->tls = NULL;
	tls_ctx_free(s->tls_client);
	s->tls_client = NULL;
	pthread_mutex_destroy(&s->tls_mu);
}

void
storescp_reload_tls(struct storescp *s)
{
	atomic_store(&s->tls_reload, 1);
	scp_wake(s);
}

void
scp_tls_reload_if_asked(struct storescp *s)
{
	struct cs_err err = { 0, "" };
	struct tls_ctx *c, *cc = NULL, *old, *oldc;

	if (!atomic_exchange(&s->tls_reload, 0) || !s->cfg.tls.enabled)
		return;
	c = tls_ctx_new(&s->cfg.tls, 1, &err);
	if (c != NULL && s->cfg.commit &&
	    (cc = tls_ctx_new(&s->cfg.tls, 0, &err)) == NULL) {
		tls_ctx_free(c);
		c = NULL;
	}
	if (c == NULL) {
		scp_log(s, STORESCP_LOG_ERROR,
		    "TLS: reload failed, the old certificate stays: %s",
		    err.msg);
		return;
	}
	pthread_mutex_lock(&s->tls_mu);
	old = s->tls;
	oldc = s->tls_client;
	s->tls = c;
	s->tls_client = cc;
	pthread_mutex_unlock(&s->tls_mu);
	/* connections that took the old ones hold their own references */
	tls_ctx_free(old);
	tls_ctx_free(oldc);
	scp_log(s, STORESCP_LOG_VERBOSE, "TLS: certificate '%s' loaded again",
	    s->cfg.tls.cert);
}

int
scp_tls_accept(struct storescp *s, struct transport *t, struct cs_err *err)
{
	struct tls_ctx *c;
	int rc;

	if (!s->cfg.tls.enabled)
		return 0;
	pthread_mutex_lock(&s->tls_mu);
	c = tls_ctx_ref(s->tls);
	pthread_mutex_unlock(&s->tls_mu);
	/* the handshake and then the RQ within the pre-association
	 * deadline, as a plain connection's RQ (pending.c) */
	rc = tls_handshake(t, c, NULL, (int)s->pend.rq_ms, err);
	tls_ctx_free(c);
	return rc;
}
