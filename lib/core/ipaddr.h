/*
 * ipaddr.h - numeric IPv4/IPv6 addresses as text and as bytes, and
 * address prefixes ("10.0.0.0/8"), without the socket headers: the
 * PROXY protocol parser and the --proxy-from checks use them.
 */
#ifndef CS_CORE_IPADDR_H
#define CS_CORE_IPADDR_H

#include <stddef.h>
#include <stdint.h>

struct ip_addr {
	int family;    /* 4 or 6 */
	uint8_t b[16]; /* network order; IPv4 uses b[0..3] */
};

/*
 * Parses exactly n bytes of s as a dotted-quad IPv4 address (family 4)
 * or an IPv6 address (family 6; "::" and a trailing dotted quad
 * allowed).  No leading zeros in a dotted quad (they would read as
 * octal elsewhere).  Returns 0 or CS_E_INVAL.
 */
int ip_parse(const char *s, size_t n, struct ip_addr *a);

/*
 * Parses "ADDR" or "ADDR/BITS" (BITS at most 32 or 128) into a and
 * *bits (ADDR alone: every bit).  Returns 0 or CS_E_INVAL.
 */
int ip_prefix_parse(const char *s, struct ip_addr *a, unsigned *bits);

/*
 * 1 when the first bits bits of a equal those of net.  An IPv4-mapped
 * IPv6 address (::ffff:a.b.c.d) matches as the IPv4 address it holds.
 */
int ip_prefix_match(
    const struct ip_addr *net, unsigned bits, const struct ip_addr *a);

#endif
