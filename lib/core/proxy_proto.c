/*
 * proxy_proto.c - PROXY protocol v1 and v2 headers (proxy_proto.h), as
 * HAProxy's doc/proxy-protocol.txt describes them.
 */
#include <string.h>

#include "cstore/cstore.h"
#include "core/buf.h"
#include "core/proxy_proto.h"
#include "core/banned.h"

static const uint8_t v1_sig[6] = { 'P', 'R', 'O', 'X', 'Y', ' ' };
static const uint8_t v2_sig[12] = { 0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a,
	0x51, 0x55, 0x49, 0x54, 0x0a };

/* The shortest v1 line: "PROXY UNKNOWN\r\n". */
#define V1_MIN 15

#define V2_CMD_LOCAL 0
#define V2_CMD_PROXY 1
#define V2_AF_INET 1
#define V2_AF_INET6 2
#define V2_STREAM 1

/* 1 when p[0..n) is a prefix of sig[0..sn) (or holds all of it). */
static int
starts(const uint8_t *p, size_t n, const uint8_t *sig, size_t sn)
{
	return memcmp(p, sig, n < sn ? n : sn) == 0;
}

/* Decimal port without leading zeros, 0-65535. */
static int
v1_port(const char *s, size_t n, uint16_t *port)
{
	unsigned v = 0;

	if (n == 0 || n > 5 || (n > 1 && s[0] == '0'))
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	if (v > 65535)
		return -1;
	*port = (uint16_t)v;
	return 0;
}

/* Splits line[0..n) at single spaces into at most max words. */
static size_t
v1_words(const char *line, size_t n, const char **w, size_t *wl, size_t max)
{
	size_t k = 0, start = 0;

	for (size_t i = 0; i <= n; i++) {
		if (i < n && line[i] != ' ')
			continue;
		if (k == max)
			return max + 1;
		w[k] = line + start;
		wl[k++] = i - start;
		start = i + 1;
	}
	return k;
}

static int
v1_line(const char *line, size_t n, struct proxy_hdr *h, struct cs_err *err)
{
	const char *w[6];
	size_t wl[6], k;
	int fam;

	k = v1_words(line, n, w, wl, 6);
	if (k >= 2 && wl[1] == 7 && memcmp(w[1], "UNKNOWN", 7) == 0)
		return 0; /* whatever follows is to be ignored */
	if (k < 2 || wl[1] != 4 ||
	    (memcmp(w[1], "TCP4", 4) != 0 && memcmp(w[1], "TCP6", 4) != 0))
		return cs_err_set(err, CS_E_PROTO,
		    "PROXY v1: protocol is not TCP4, TCP6 or UNKNOWN");
	fam = w[1][3] == '4' ? 4 : 6;
	if (k != 6)
		return cs_err_set(err, CS_E_PROTO,
		    "PROXY v1: expected 4 fields after the protocol");
	for (size_t i = 2; i < 6; i++)
		if (wl[i] == 0)
			return cs_err_set(err, CS_E_PROTO,
			    "PROXY v1: an empty field (double space)");
	if (ip_parse(w[2], wl[2], &h->src) != 0 || h->src.family != fam ||
	    ip_parse(w[3], wl[3], &h->dst) != 0 || h->dst.family != fam)
		return cs_err_set(err, CS_E_PROTO, "PROXY v1: bad %s address",
		    fam == 4 ? "IPv4" : "IPv6");
	if (v1_port(w[4], wl[4], &h->src_port) != 0 ||
	    v1_port(w[5], wl[5], &h->dst_port) != 0)
		return cs_err_set(err, CS_E_PROTO, "PROXY v1: bad port");
	h->proxied = 1;
	return 0;
}

static int
parse_v1(const uint8_t *p, size_t len, struct proxy_hdr *h, size_t *need,
    struct cs_err *err)
{
	/* The CR of the longest line is its byte PROXY_V1_MAX - 2. */
	size_t lim = len < PROXY_V1_MAX - 1 ? len : PROXY_V1_MAX - 1;
	int rc;

	for (size_t i = 0; i < lim; i++) {
		if (p[i] != '\r' && p[i] != '\n' &&
		    (p[i] < 0x20 || p[i] > 0x7e))
			return cs_err_set(err, CS_E_PROTO,
			    "PROXY v1: a byte that is not printable text");
		if (p[i] == '\n')
			return cs_err_set(err, CS_E_PROTO,
			    "PROXY v1: a line feed without carriage return");
		if (p[i] != '\r')
			continue;
		if (i + 1 == len) {
			*need = len + 1;
			return 0;
		}
		if (p[i + 1] != '\n')
			return cs_err_set(err, CS_E_PROTO,
			    "PROXY v1: a carriage return without line feed");
		h->version = 1;
		rc = v1_line((const char *)p, i, h, err);
		return rc != 0 ? rc : (int)(i + 2);
	}
	if (len >= PROXY_V1_MAX - 1)
		return cs_err_set(err, CS_E_TOOBIG,
		    "PROXY v1: no CRLF within %d bytes", PROXY_V1_MAX);
	*need = len + 1 < V1_MIN ? V1_MIN : len + 1;
	return 0;
}

/* The address block of a v2 PROXY command; TLVs after it are skipped. */
static int
v2_addresses(struct rd *r, int fam, struct proxy_hdr *h, struct cs_err *err)
{
	size_t alen = fam == V2_AF_INET ? 4 : 16;

	if (rd_left(r) < 2 * alen + 4)
		return cs_err_set(err, CS_E_PROTO,
		    "PROXY v2: address block shorter than its family needs");
	h->src.family = h->dst.family = fam == V2_AF_INET ? 4 : 6;
	memcpy(h->src.b, rd_bytes(r, alen), alen);
	memcpy(h->dst.b, rd_bytes(r, alen), alen);
	h->src_port = rd_be16(r);
	h->dst_port = rd_be16(r);
	h->proxied = 1;
	return 0;
}

/* Type, 16-bit length, value: each must fit in what is left. */
static int
v2_tlvs(struct rd *r, struct cs_err *err)
{
	while (rd_left(r) > 0) {
		uint16_t n;

		rd_u8(r);
		n = rd_be16(r);
		if (r->err != 0 || rd_left(r) < n)
			return cs_err_set(err, CS_E_PROTO,
			    "PROXY v2: a TLV runs past the header");
		rd_skip(r, n);
	}
	return 0;
}

static int
parse_v2(const uint8_t *p, size_t len, struct proxy_hdr *h, size_t *need,
    struct cs_err *err)
{
	struct rd r, body;
	uint8_t vc, ft;
	size_t total;
	int fam, rc;

	if (len < PROXY_V2_FIXED) {
		*need = PROXY_V2_FIXED;
		return 0;
	}
	rd_init(&r, p, len);
	rd_skip(&r, sizeof(v2_sig));
	vc = rd_u8(&r);
	ft = rd_u8(&r);
	total = PROXY_V2_FIXED + rd_be16(&r);
	if ((vc >> 4) != 2)
		return cs_err_set(
		    err, CS_E_PROTO, "PROXY v2: version %u", vc >> 4);
	if ((vc & 0x0f) > V2_CMD_PROXY)
		return cs_err_set(
		    err, CS_E_PROTO, "PROXY v2: unknown command %u", vc & 0x0f);
	if ((ft >> 4) > 3 || (ft & 0x0f) > 2)
		return cs_err_set(err, CS_E_PROTO,
		    "PROXY v2: unknown family or transport 0x%02x", ft);
	if (total > PROXY_HDR_MAX)
		return cs_err_set(err, CS_E_TOOBIG,
		    "PROXY v2: header of %zu bytes (limit %d)", total,
		    PROXY_HDR_MAX);
	if (len < total) {
		*need = total;
		return 0;
	}
	h->version = 2;
	body = rd_sub(&r, total - PROXY_V2_FIXED);
	if ((vc & 0x0f) == V2_CMD_LOCAL) {
		h->local = 1;
		return (int)total; /* the balancer speaking for itself */
	}
	fam = ft >> 4;
	if (fam != V2_AF_INET && fam != V2_AF_INET6)
		return (int)total; /* no IP endpoints: keep the connection's */
	if ((ft & 0x0f) != V2_STREAM)
		return cs_err_set(err, CS_E_PROTO,
		    "PROXY v2: the proxied connection is not a stream");
	rc = v2_addresses(&body, fam, h, err);
	if (rc == 0)
		rc = v2_tlvs(&body, err);
	return rc != 0 ? rc : (int)total;
}

int
proxy_parse(const uint8_t *p, size_t len, struct proxy_hdr *h, size_t *need,
    struct cs_err *err)
{
	memset(h, 0, sizeof(*h));
	*need = 0;
	if (len == 0) {
		*need = V1_MIN;
		return 0;
	}
	if (starts(p, len, v2_sig, sizeof(v2_sig)))
		return parse_v2(p, len, h, need, err);
	if (!starts(p, len, v1_sig, sizeof(v1_sig)))
		return cs_err_set(err, CS_E_PROTO,
		    "no PROXY protocol header (a v1 line or v2 block)");
	if (len < sizeof(v1_sig)) {
		*need = V1_MIN;
		return 0;
	}
	return parse_v1(p, len, h, need, err);
}
