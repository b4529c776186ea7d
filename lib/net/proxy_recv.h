/*
 * proxy_recv.h - reading a PROXY protocol header (core/proxy_proto.h)
 * off a socket without taking a byte of what follows it, and showing
 * the addresses it carries.
 */
#ifndef CS_NET_PROXY_RECV_H
#define CS_NET_PROXY_RECV_H

#include <stddef.h>
#include <stdint.h>

#include "core/proxy_proto.h"

struct cs_err;

/* What has been read so far; start with have = 0. */
struct proxy_rx {
	uint8_t buf[PROXY_HDR_MAX];
	size_t have;
};

/*
 * Reads from the non-blocking socket fd only as many bytes as the
 * header still needs, waiting at most wait_ms for them.  Returns the
 * header's length with h filled; CS_E_TIMEOUT when wait_ms passed first
 * (call again with the same rx); CS_E_CLOSED, CS_E_NET, or the parser's
 * CS_E_PROTO / CS_E_TOOBIG, with detail in err.
 */
int net_proxy_recv(int fd, struct proxy_rx *rx, int wait_ms,
    struct proxy_hdr *h, struct cs_err *err);

/* a as numeric text ("192.0.2.1", "2001:db8::1"; an IPv4-mapped IPv6
 * address as IPv4, as net_addr shows it).  Returns 0 or CS_E_INVAL. */
int net_ip_text(const struct ip_addr *a, char *buf, size_t n);

#endif
