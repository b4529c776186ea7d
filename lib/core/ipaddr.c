/*
 * ipaddr.c - numeric addresses from text, and prefix matching (ipaddr.h).
 * Hand-written because lib/core may not include <arpa/inet.h>.
 */
#include <string.h>

#include "cstore/cstore.h"
#include "core/ipaddr.h"
#include "core/banned.h"

static int
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* The value of hex digit c (either case), or -1. */
static int
hex_val(char c)
{
	static const char digits[] = "0123456789abcdef";
	const char *p;

	if (c >= 'A' && c <= 'F')
		c = (char)(c - 'A' + 'a');
	p = c != '\0' ? strchr(digits, c) : NULL;
	return p != NULL ? (int)(p - digits) : -1;
}

/* Dotted quad s[0..n) into out[0..3]. */
static int
parse_v4(const char *s, size_t n, uint8_t *out)
{
	size_t i = 0;

	for (int part = 0; part < 4; part++) {
		unsigned v = 0, digits = 0;

		if (part > 0) {
			if (i >= n || s[i] != '.')
				return CS_E_INVAL;
			i++;
		}
		while (i < n && is_digit(s[i]) && digits < 4) {
			v = v * 10 + (unsigned)(s[i] - '0');
			digits++;
			i++;
		}
		if (digits == 0 || digits > 3 || v > 255 ||
		    (digits > 1 && s[i - digits] == '0'))
			return CS_E_INVAL;
		out[part] = (uint8_t)v;
	}
	return i == n ? 0 : CS_E_INVAL;
}

/* One group of up to 4 hex digits at s[*i]; -1 if none. */
static long
hex_group(const char *s, size_t n, size_t *i)
{
	long v = 0;
	int digits = 0;

	while (*i < n && hex_val(s[*i]) >= 0) {
		if (++digits > 4)
			return -1;
		v = v * 16 + hex_val(s[*i]);
		(*i)++;
	}
	return digits ? v : -1;
}

static int
parse_v6(const char *s, size_t n, uint8_t *out)
{
	uint8_t g[16];
	size_t i = 0, ng = 0; /* bytes filled in g */
	long gap = -1;        /* where "::" was, in bytes */

	if (n >= 2 && s[0] == ':' && s[1] == ':') {
		gap = 0;
		i = 2;
	} else if (n >= 1 && s[0] == ':')
		return CS_E_INVAL;
	while (i < n) {
		size_t start = i;
		long v = hex_group(s, n, &i);

		if (i < n && s[i] == '.') {
			/* the last 32 bits as a dotted quad */
			if (ng > 12 ||
			    parse_v4(s + start, n - start, g + ng) != 0)
				return CS_E_INVAL;
			ng += 4;
			i = n;
			break;
		}
		if (v < 0 || ng >= 16)
			return CS_E_INVAL;
		g[ng++] = (uint8_t)(v >> 8);
		g[ng++] = (uint8_t)v;
		if (i == n)
			break;
		if (s[i] != ':' || ++i == n) /* no trailing single ':' */
			return CS_E_INVAL;
		if (s[i] == ':') {
			if (gap >= 0)
				return CS_E_INVAL;
			gap = (long)ng;
			i++;
		}
	}
	if (gap < 0 && ng != 16)
		return CS_E_INVAL;
	if (gap >= 0 && ng > 14)
		return CS_E_INVAL;
	memset(out, 0, 16);
	if (gap < 0)
		memcpy(out, g, 16);
	else {
		memcpy(out, g, (size_t)gap);
		memcpy(
		    out + 16 - (ng - (size_t)gap), g + gap, ng - (size_t)gap);
	}
	return 0;
}

int
ip_parse(const char *s, size_t n, struct ip_addr *a)
{
	memset(a, 0, sizeof(*a));
	if (n == 0 || n > 45)
		return CS_E_INVAL;
	if (memchr(s, ':', n) != NULL) {
		a->family = 6;
		return parse_v6(s, n, a->b);
	}
	a->family = 4;
	return parse_v4(s, n, a->b);
}

int
ip_prefix_parse(const char *s, struct ip_addr *a, unsigned *bits)
{
	const char *slash = strchr(s, '/');
	size_t n = slash ? (size_t)(slash - s) : strlen(s);
	unsigned max, v = 0;

	if (ip_parse(s, n, a) != 0)
		return CS_E_INVAL;
	max = a->family == 4 ? 32 : 128;
	if (slash == NULL) {
		*bits = max;
		return 0;
	}
	slash++;
	if (*slash == '\0' || strlen(slash) > 3 ||
	    (slash[0] == '0' && slash[1] != '\0'))
		return CS_E_INVAL;
	for (; *slash; slash++) {
		if (!is_digit(*slash))
			return CS_E_INVAL;
		v = v * 10 + (unsigned)(*slash - '0');
	}
	if (v > max)
		return CS_E_INVAL;
	*bits = v;
	return 0;
}

/* a as IPv4 when it is an IPv4-mapped IPv6 address. */
static struct ip_addr
unmapped(const struct ip_addr *a)
{
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff,
		0xff };
	struct ip_addr r = *a;

	if (a->family == 6 && memcmp(a->b, mapped, 12) == 0) {
		memset(&r, 0, sizeof(r));
		r.family = 4;
		memcpy(r.b, a->b + 12, 4);
	}
	return r;
}

int
ip_prefix_match(
    const struct ip_addr *net, unsigned bits, const struct ip_addr *a)
{
	struct ip_addr n = *net, x = *a;
	unsigned whole, rest;

	if (n.family == 4 && x.family == 6)
		x = unmapped(a);
	else if (n.family == 6 && x.family == 4) {
		n = unmapped(net);
		if (n.family != 4 || bits < 96)
			return 0;
		bits -= 96;
	}
	if (n.family != x.family || bits > (n.family == 4 ? 32u : 128u))
		return 0;
	whole = bits / 8;
	rest = bits % 8;
	if (memcmp(n.b, x.b, whole) != 0)
		return 0;
	if (rest == 0)
		return 1;
	return ((n.b[whole] ^ x.b[whole]) & (uint8_t)(0xff << (8 - rest))) == 0;
}
