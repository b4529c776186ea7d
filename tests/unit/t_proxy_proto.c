/* t_proxy_proto.c - PROXY protocol headers (v1 text, v2 binary) and the
 * address helpers under them. */
#include <check.h>
#include <string.h>

#include "cstore/cstore.h"
#include "core/ipaddr.h"
#include "core/proxy_proto.h"

Suite *proxy_proto_suite(void);

static const uint8_t sig[12] = { 0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a,
	0x51, 0x55, 0x49, 0x54, 0x0a };

/* A v2 header: sig, ver/cmd, fam/transport, then body of n bytes. */
static size_t
v2(uint8_t *out, uint8_t vc, uint8_t ft, const uint8_t *body, size_t n)
{
	memcpy(out, sig, 12);
	out[12] = vc;
	out[13] = ft;
	out[14] = (uint8_t)(n >> 8);
	out[15] = (uint8_t)n;
	memcpy(out + 16, body, n);
	return 16 + n;
}

static int
parse_str(const char *s, struct proxy_hdr *h, size_t *need,
    struct cs_err *err)
{
	return proxy_parse((const uint8_t *)s, strlen(s), h, need, err);
}

/* The result of parsing s, whose error (if any) is not looked at. */
static int
parse_line(const char *s, struct proxy_hdr *h)
{
	struct cs_err err = { 0, "" };
	size_t need;

	return parse_str(s, h, &need, &err);
}

START_TEST(v1_tcp4_gives_the_client_and_leaves_what_follows)
{
	const char *s = "PROXY TCP4 192.0.2.7 198.51.100.2 40123 104\r\n\x01\x00";
	struct proxy_hdr h;

	/* strlen stops at the NUL: the header and one byte after it */
	ck_assert_int_eq(parse_line(s, &h), (int)strlen(s) - 1);
	ck_assert_int_eq(h.version, 1);
	ck_assert_int_eq(h.proxied, 1);
	ck_assert_int_eq(h.src.family, 4);
	ck_assert_mem_eq(h.src.b, "\xc0\x00\x02\x07", 4);
	ck_assert_mem_eq(h.dst.b, "\xc6\x33\x64\x02", 4);
	ck_assert_uint_eq(h.src_port, 40123);
	ck_assert_uint_eq(h.dst_port, 104);
}
END_TEST

START_TEST(v1_tcp6_parses_compressed_and_mapped_addresses)
{
	struct proxy_hdr h;
	static const uint8_t db8[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0,
		0, 0, 0, 0, 0, 0, 0, 1 };
	static const uint8_t mapped[16] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
		0xff, 0xff, 127, 0, 0, 2 };

	ck_assert_int_gt(parse_line("PROXY TCP6 2001:db8::1 ::ffff:127.0.0.2 1 65535\r\n",
	    &h), 0);
	ck_assert_int_eq(h.src.family, 6);
	ck_assert_mem_eq(h.src.b, db8, 16);
	ck_assert_mem_eq(h.dst.b, mapped, 16);
	ck_assert_uint_eq(h.dst_port, 65535);
}
END_TEST

START_TEST(v1_unknown_keeps_the_connection_address)
{
	struct proxy_hdr h;

	ck_assert_int_eq(parse_line("PROXY UNKNOWN\r\n", &h), 15);
	ck_assert_int_eq(h.proxied, 0);
	ck_assert_int_eq(h.local, 0);
	ck_assert_int_eq(parse_line("PROXY UNKNOWN ffff::1 ffff::2 1 2\r\nX", &h),
	    35);
	ck_assert_int_eq(h.proxied, 0);
}
END_TEST

START_TEST(v1_malformed_lines_are_refused)
{
	static const char *const bad[] = {
		"PROXY TCP4 192.0.2.1 198.51.100.2 40123\r\n",      /* a field short */
		"PROXY TCP4 192.0.2.1 198.51.100.2 40123 104 9\r\n", /* one too many */
		"PROXY TCP4 192.0.2.1  198.51.100.2 1 2\r\n",        /* double space */
		"PROXY TCP4 ::1 ::1 1 2\r\n",                        /* family mismatch */
		"PROXY TCP6 192.0.2.1 192.0.2.2 1 2\r\n",
		"PROXY TCP4 192.0.2.01 192.0.2.2 1 2\r\n",           /* leading zero */
		"PROXY TCP4 192.0.2.256 192.0.2.2 1 2\r\n",
		"PROXY TCP4 192.0.2.1 192.0.2.2 65536 2\r\n",
		"PROXY TCP4 192.0.2.1 192.0.2.2 012 2\r\n",
		"PROXY UDP4 192.0.2.1 192.0.2.2 1 2\r\n",
		"PROXY TCP4 192.0.2.1 192.0.2.2 1 2\n",              /* LF alone */
		"PROXY TCP4 192.0.2.1 192.0.2.2 1 2\rX",
		"PROXY TCP6 1::2::3 ::1 1 2\r\n",
		"PROXY TCP6 1:2:3:4:5:6:7:8:9 ::1 1 2\r\n",
		"proxy TCP4 192.0.2.1 192.0.2.2 1 2\r\n",            /* bad signature */
		"\x01\x00\x00\x00\x00\x44",                          /* a DICOM PDU */
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct proxy_hdr h;
		struct cs_err err = { 0, "" };
		size_t need;

		ck_assert_msg(parse_str(bad[i], &h, &need, &err) == CS_E_PROTO,
		    "accepted: %s", bad[i]);
		ck_assert_int_eq(err.code, CS_E_PROTO);
	}
}
END_TEST

START_TEST(v1_longer_than_107_bytes_is_too_big)
{
	char line[200];
	struct proxy_hdr h;
	struct cs_err err = { 0, "" };
	size_t need;

	memset(line, 'A', sizeof(line));
	memcpy(line, "PROXY UNKNOWN ", 14);
	ck_assert_int_eq(proxy_parse((uint8_t *)line, sizeof(line), &h, &need,
	    &err), CS_E_TOOBIG);
	/* exactly 107 with its CRLF still fits */
	memcpy(line + 105, "\r\n", 2);
	ck_assert_int_eq(proxy_parse((uint8_t *)line, sizeof(line), &h, &need,
	    &err), 107);
	memcpy(line + 105, "A\r\n", 3);
	err.code = 0;
	ck_assert_int_eq(proxy_parse((uint8_t *)line, sizeof(line), &h, &need,
	    &err), CS_E_TOOBIG);
}
END_TEST

START_TEST(truncated_headers_ask_for_no_byte_past_their_end)
{
	const char *s = "PROXY TCP4 192.0.2.7 198.51.100.2 40123 104\r\n";
	size_t n = strlen(s), have = 0, need, steps = 0;
	struct proxy_hdr h;
	struct cs_err err = { 0, "" };
	int rc;

	while ((rc = proxy_parse((const uint8_t *)s, have, &h, &need, &err)) == 0) {
		ck_assert_uint_gt(need, have);
		ck_assert_uint_le(need, n);
		have = need;
		steps++;
	}
	ck_assert_int_eq(rc, (int)n);
	ck_assert_uint_gt(steps, 2);
	/* v2: the fixed part first, then exactly the length it gives */
	{
		uint8_t b[64];
		static const uint8_t a4[12] = { 127, 0, 0, 2, 127, 0, 0, 1, 0x9c,
			0x40, 0, 104 };
		size_t len = v2(b, 0x21, 0x11, a4, sizeof(a4));

		ck_assert_int_eq(proxy_parse(b, 3, &h, &need, &err), 0);
		ck_assert_uint_eq(need, 16);
		ck_assert_int_eq(proxy_parse(b, 16, &h, &need, &err), 0);
		ck_assert_uint_eq(need, len);
		ck_assert_int_eq(proxy_parse(b, len - 1, &h, &need, &err), 0);
		ck_assert_int_eq(proxy_parse(b, len, &h, &need, &err), (int)len);
	}
}
END_TEST

START_TEST(v2_proxy_ipv4_and_ipv6_skip_their_tlvs)
{
	uint8_t b[128], body[64];
	struct proxy_hdr h;
	struct cs_err err = { 0, "" };
	size_t need, len;
	static const uint8_t a4[12] = { 127, 0, 0, 2, 127, 0, 0, 1, 0x9c, 0x40,
		0, 104 };

	/* IPv4 with a 4-byte TLV and an empty NOOP */
	memcpy(body, a4, 12);
	memcpy(body + 12, "\x04\x00\x04" "abcd" "\x04\x00\x00", 10);
	len = v2(b, 0x21, 0x11, body, 22);
	b[len] = 0x01; /* the DICOM bytes after it */
	ck_assert_int_eq(proxy_parse(b, len + 1, &h, &need, &err), (int)len);
	ck_assert_int_eq(h.version, 2);
	ck_assert_int_eq(h.proxied, 1);
	ck_assert_int_eq(h.src.family, 4);
	ck_assert_mem_eq(h.src.b, "\x7f\x00\x00\x02", 4);
	ck_assert_uint_eq(h.src_port, 40000);
	ck_assert_uint_eq(h.dst_port, 104);
	/* IPv6 */
	memset(body, 0, 36);
	body[0] = 0x20;
	body[1] = 0x01;
	body[15] = 9;
	body[31] = 1;
	body[33] = 7;
	body[35] = 8;
	len = v2(b, 0x21, 0x21, body, 36);
	ck_assert_int_eq(proxy_parse(b, len, &h, &need, &err), (int)len);
	ck_assert_int_eq(h.src.family, 6);
	ck_assert_uint_eq(h.src.b[15], 9);
	ck_assert_uint_eq(h.src_port, 7);
	ck_assert_uint_eq(h.dst_port, 8);
}
END_TEST

START_TEST(v2_local_and_unspec_keep_the_connection_address)
{
	uint8_t b[300], body[216] = { 0 };
	struct proxy_hdr h;
	struct cs_err err = { 0, "" };
	size_t need, len;

	len = v2(b, 0x20, 0x00, body, 0);
	ck_assert_int_eq(proxy_parse(b, len, &h, &need, &err), 16);
	ck_assert_int_eq(h.version, 2);
	ck_assert_int_eq(h.proxied, 0);
	ck_assert_int_eq(h.local, 1);
	/* LOCAL ignores whatever address block comes with it */
	len = v2(b, 0x20, 0x11, body, 12);
	ck_assert_int_eq(proxy_parse(b, len, &h, &need, &err), 28);
	ck_assert_int_eq(h.proxied, 0);
	ck_assert_int_eq(h.local, 1);
	/* a relayed connection without IP endpoints is no LOCAL one */
	len = v2(b, 0x21, 0x00, body, 0);
	ck_assert_int_eq(proxy_parse(b, len, &h, &need, &err), 16);
	ck_assert_int_eq(h.proxied, 0);
	ck_assert_int_eq(h.local, 0);
	len = v2(b, 0x21, 0x31, body, 216); /* AF_UNIX */
	ck_assert_int_eq(proxy_parse(b, len, &h, &need, &err), (int)len);
	ck_assert_int_eq(h.proxied, 0);
	ck_assert_int_eq(h.local, 0);
}
END_TEST

START_TEST(v2_malformed_and_oversized_are_refused)
{
	uint8_t b[64], body[32] = { 0 };
	struct proxy_hdr h;
	size_t need, len;
	struct {
		uint8_t vc, ft;
		size_t n;
		int rc;
	} const cases[] = {
		{ 0x11, 0x11, 12, CS_E_PROTO }, /* version 1 in a v2 block */
		{ 0x22, 0x11, 12, CS_E_PROTO }, /* command 2 */
		{ 0x21, 0x41, 12, CS_E_PROTO }, /* family 4 */
		{ 0x21, 0x13, 12, CS_E_PROTO }, /* transport 3 */
		{ 0x21, 0x12, 12, CS_E_PROTO }, /* UDP */
		{ 0x21, 0x11, 11, CS_E_PROTO }, /* IPv4 block short */
		{ 0x21, 0x21, 30, CS_E_PROTO }, /* IPv6 block short */
		{ 0x21, 0x11, 14, CS_E_PROTO }, /* a TLV cut in its header */
		{ 0x21, 0x11, 16, CS_E_PROTO }, /* a TLV longer than the rest */
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct cs_err err = { 0, "" };

		body[12] = 1;
		body[13] = 0;
		body[14] = 9;
		len = v2(b, cases[i].vc, cases[i].ft, body, cases[i].n);
		ck_assert_msg(proxy_parse(b, len, &h, &need, &err) == cases[i].rc,
		    "case %zu", i);
	}
	{
		struct cs_err err = { 0, "" };

		/* the length alone says too big: refused before reading it */
		len = v2(b, 0x21, 0x11, body, 0);
		b[14] = 0xff;
		b[15] = 0xff;
		ck_assert_int_eq(proxy_parse(b, len, &h, &need, &err), CS_E_TOOBIG);
		/* a bad signature */
		len = v2(b, 0x21, 0x11, body, 12);
		b[7] = 'q';
		err.code = 0;
		ck_assert_int_eq(proxy_parse(b, len, &h, &need, &err), CS_E_PROTO);
	}
}
END_TEST

START_TEST(ip_prefixes_match_ipv4_ipv6_and_mapped)
{
	struct ip_addr net, a;
	unsigned bits;

	ck_assert_int_eq(ip_prefix_parse("10.1.0.0/16", &net, &bits), 0);
	ck_assert_uint_eq(bits, 16);
	ck_assert_int_eq(ip_parse("10.1.200.3", 10, &a), 0);
	ck_assert_int_eq(ip_prefix_match(&net, bits, &a), 1);
	ck_assert_int_eq(ip_parse("10.2.0.1", 8, &a), 0);
	ck_assert_int_eq(ip_prefix_match(&net, bits, &a), 0);
	ck_assert_int_eq(ip_parse("::ffff:10.1.0.9", 15, &a), 0);
	ck_assert_int_eq(ip_prefix_match(&net, bits, &a), 1);
	ck_assert_int_eq(ip_prefix_parse("127.0.0.1", &net, &bits), 0);
	ck_assert_uint_eq(bits, 32);
	ck_assert_int_eq(ip_prefix_parse("fe80::/10", &net, &bits), 0);
	ck_assert_int_eq(ip_parse("fe9f::1", 7, &a), 0);
	ck_assert_int_eq(ip_prefix_match(&net, bits, &a), 1);
	ck_assert_int_eq(ip_parse("fec0::1", 7, &a), 0);
	ck_assert_int_eq(ip_prefix_match(&net, bits, &a), 0);
	ck_assert_int_eq(ip_prefix_parse("10.0.0.0/33", &net, &bits), CS_E_INVAL);
	ck_assert_int_eq(ip_prefix_parse("10.0.0.0/", &net, &bits), CS_E_INVAL);
	ck_assert_int_eq(ip_prefix_parse("host.example", &net, &bits), CS_E_INVAL);
	ck_assert_int_eq(ip_prefix_parse("::/0", &net, &bits), 0);
	ck_assert_int_eq(ip_prefix_match(&net, bits, &a), 1);
}
END_TEST

Suite *
proxy_proto_suite(void)
{
	Suite *s = suite_create("proxy_proto");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, v1_tcp4_gives_the_client_and_leaves_what_follows);
	tcase_add_test(tc, v1_tcp6_parses_compressed_and_mapped_addresses);
	tcase_add_test(tc, v1_unknown_keeps_the_connection_address);
	tcase_add_test(tc, v1_malformed_lines_are_refused);
	tcase_add_test(tc, v1_longer_than_107_bytes_is_too_big);
	tcase_add_test(tc, truncated_headers_ask_for_no_byte_past_their_end);
	tcase_add_test(tc, v2_proxy_ipv4_and_ipv6_skip_their_tlvs);
	tcase_add_test(tc, v2_local_and_unspec_keep_the_connection_address);
	tcase_add_test(tc, v2_malformed_and_oversized_are_refused);
	tcase_add_test(tc, ip_prefixes_match_ipv4_ipv6_and_mapped);
	suite_add_tcase(s, tc);
	return s;
}
