/*
 * proxy_proto.h - the PROXY protocol header that a TCP load balancer
 * (HAProxy "send-proxy" / "send-proxy-v2") puts before the first byte
 * of the client's stream: version 1 is one text line, version 2 a
 * binary block.  Sans-I/O: bytes in, the header's length and the real
 * endpoints out; the caller reads the socket (lib/net/proxy_recv.h).
 */
#ifndef CS_CORE_PROXY_PROTO_H
#define CS_CORE_PROXY_PROTO_H

#include <stddef.h>
#include <stdint.h>

#include "core/ipaddr.h"

struct cs_err;

#define PROXY_V1_MAX 107  /* the longest v1 line, CRLF included */
#define PROXY_V2_FIXED 16 /* signature, version/command, family, length */
/* Our limit for a whole v2 header: addresses and TLVs as HAProxy sends
 * them fit many times over; a longer one is refused, not buffered. */
#define PROXY_HDR_MAX 4096

struct proxy_hdr {
	int version; /* 1 or 2 */
	/* 1: src and dst are the client's endpoints.  0: a v2 LOCAL (the
	 * balancer's own health check), a v1 UNKNOWN, or an address family
	 * other than IPv4/IPv6: the connection's own endpoints stand. */
	int proxied;
	/* 1: a v2 LOCAL, a connection the balancer made for itself, not
	 * relayed (its health checks) */
	int local;
	struct ip_addr src, dst;
	uint16_t src_port, dst_port;
};

/*
 * Parses the header at the start of p[0..len).  Returns its length
 * (> 0) when complete, the bytes after it belonging to the protocol it
 * carries.  Returns 0 when p is a valid beginning that needs more bytes:
 * *need gets the least total length worth trying again with, never more
 * than the header itself, so a reader that fetches exactly that many
 * never consumes a byte past the header.  Errors: CS_E_PROTO (not a
 * PROXY header, or a malformed one; err says what), CS_E_TOOBIG (longer
 * than PROXY_V1_MAX / PROXY_HDR_MAX).
 */
int proxy_parse(const uint8_t *p, size_t len, struct proxy_hdr *h, size_t *need,
    struct cs_err *err);

#endif
