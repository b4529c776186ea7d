/*
 * proxy.c - the PROXY protocol header before an association (proxy.h):
 * who may send one, reading it within the pre-association deadline,
 * and the client address that replaces the balancer's.
 */
#include <stdio.h>
#include <string.h>

#include "cstore/cstore.h"
#include "cstore/storescp.h"
#include "core/ipaddr.h"
#include "net/net.h"
#include "net/proxy_recv.h"
#include "storescp/proxy.h"
#include "storescp/scp.h"
#include "core/banned.h"

#define PROXY_SLICE_MS 200 /* how often a wait looks at the hard stop */

int
scp_proxy_check(const struct storescp_config *cfg, struct cs_err *err)
{
	for (size_t i = 0; i < cfg->n_proxy_from; i++) {
		struct ip_addr a;
		unsigned bits;

		if (ip_prefix_parse(cfg->proxy_from[i], &a, &bits) != 0)
			return cs_err_set(err, CS_E_INVAL,
			    "--proxy-from '%s': expected ADDR or ADDR/BITS (numeric)",
			    cfg->proxy_from[i]);
	}
	return 0;
}

/* 1 when host may send a PROXY header. */
static int
from_allowed(const struct storescp_config *cfg, const char *host)
{
	struct ip_addr a;

	if (cfg->n_proxy_from == 0)
		return 1;
	if (ip_parse(host, strlen(host), &a) != 0)
		return 0;
	for (size_t i = 0; i < cfg->n_proxy_from; i++) {
		struct ip_addr net;
		unsigned bits;

		if (ip_prefix_parse(cfg->proxy_from[i], &net, &bits) == 0 &&
		    ip_prefix_match(&net, bits, &a))
			return 1;
	}
	return 0;
}

/* Reads the header, in slices so that a hard stop is seen. */
static int
read_header(struct storescp *s, int fd, struct proxy_hdr *h, struct cs_err *err)
{
	struct proxy_rx rx;
	uint64_t deadline = net_now_ms() + s->cfg.timeout_ms;

	rx.have = 0;
	for (;;) {
		uint64_t now = net_now_ms();
		int rc;

		if (atomic_load(&s->hard_stop))
			return cs_err_set(
			    err, CS_E_ABORTED, "the receiver is stopping");
		if (now >= deadline)
			return cs_err_set(err, CS_E_TIMEOUT,
			    "no PROXY protocol header within %u s",
			    s->cfg.timeout_ms / 1000);
		rc = net_proxy_recv(fd, &rx,
		    deadline - now < PROXY_SLICE_MS ? (int)(deadline - now)
						    : PROXY_SLICE_MS,
		    h, err);
		if (rc != CS_E_TIMEOUT)
			return rc;
	}
}

int
scp_proxy_from_ok(const struct storescp *s, const char *host)
{
	return !s->cfg.proxy_protocol || from_allowed(&s->cfg, host);
}

int
scp_proxy_accept(struct storescp *s, int fd, unsigned id, char *host,
    size_t hostsz, char *peer, size_t peersz)
{
	struct cs_err err = { 0, "" };
	struct proxy_hdr h;
	char real[64];

	if (!s->cfg.proxy_protocol)
		return 0;
	if (!from_allowed(&s->cfg, host)) {
		scp_log(s, STORESCP_LOG_ERROR,
		    "association %u: connection from %s closed: not a --proxy-from address",
		    id, peer);
		return -1;
	}
	if (read_header(s, fd, &h, &err) < 0) {
		scp_log(s, STORESCP_LOG_ERROR,
		    "association %u: connection from %s closed: %s", id, peer,
		    err.msg);
		return -1;
	}
	if (!h.proxied || net_ip_text(&h.src, real, sizeof(real)) != 0) {
		scp_log(s, STORESCP_LOG_VERBOSE,
		    "association %u: PROXY v%d header without a client address: peer stays %s",
		    id, h.version, peer);
		return 0;
	}
	scp_log(s, STORESCP_LOG_VERBOSE,
	    "association %u: PROXY v%d header from %s: the client is %s%s%s:%u",
	    id, h.version, peer, strchr(real, ':') ? "[" : "", real,
	    strchr(real, ':') ? "]" : "", h.src_port);
	snprintf(host, hostsz, "%s", real);
	if (strchr(real, ':') != NULL)
		snprintf(peer, peersz, "[%s]:%u", real, h.src_port);
	else
		snprintf(peer, peersz, "%s:%u", real, h.src_port);
	return 0;
}
