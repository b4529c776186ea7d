/*
 * proxy.h - the receiver behind a load balancer and on a given socket:
 * the PROXY protocol header of each connection (proxy.c) and the
 * listening socket (listen.c).  Internal to libstorescp.
 */
#ifndef CS_STORESCP_PROXY_H
#define CS_STORESCP_PROXY_H

#include <stddef.h>

struct storescp;
struct storescp_config;
struct cs_err;

/* Checks cfg's proxy_from entries; returns 0 or CS_E_INVAL naming one. */
int scp_proxy_check(const struct storescp_config *cfg, struct cs_err *err);

/* With cfg.proxy_protocol on: 1 when host (numeric) may send a PROXY
 * header (--proxy-from), else 0.  Off: 1. */
int scp_proxy_from_ok(const struct storescp *s, const char *host);

/*
 * With cfg.proxy_protocol on: refuses a connection from an address not
 * in proxy_from, reads its PROXY header (within timeout_ms, given up
 * at a hard stop), and replaces host ("192.0.2.1") and peer
 * ("192.0.2.1:40123", "[2001:db8::1]:40123") with the client's when
 * the header names one.  Returns 0 to go on, or -1 when the connection
 * is to be closed (logged).  Off: returns 0 at once.
 */
int scp_proxy_accept(struct storescp *s, int fd, unsigned id, char *host,
    size_t hostsz, char *peer, size_t peersz);

/* Listens as the config says (host:port, SO_REUSEPORT, or listen_fd)
 * into s->lfd.  Returns 0 or CS_E_NET. */
int scp_listen(struct storescp *s, struct cs_err *err);

#endif
