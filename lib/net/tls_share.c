/*
 * tls_share.c - one client TLS context for all the connections of a run
 * (see transport.h): built at the first, under a lock because lanes are
 * threads, and kept, so that the certificates and the trust store are
 * read once and later handshakes can resume the first one's session.
 */
#include <pthread.h>

#include "cstore/cstore.h"
#include "net/transport.h"
#include "core/banned.h"

void
tls_share_init(struct tls_share *sh)
{
	pthread_mutex_init(&sh->lock, NULL);
	sh->ctx = NULL;
}

void
tls_share_release(struct tls_share *sh)
{
	tls_ctx_free(sh->ctx);
	sh->ctx = NULL;
	pthread_mutex_destroy(&sh->lock);
}

struct tls_ctx *
tls_share_get(
    struct tls_share *sh, const struct cstore_tls *cfg, struct cs_err *err)
{
	struct tls_ctx *c;

	pthread_mutex_lock(&sh->lock);
	/* a failure is not kept: the next connection tries again and
	 * reports the same reason, as it did with a context of its own */
	if (sh->ctx == NULL)
		sh->ctx = tls_ctx_new(cfg, 0, err);
	c = sh->ctx != NULL ? tls_ctx_ref(sh->ctx) : NULL;
	pthread_mutex_unlock(&sh->lock);
	return c;
}
