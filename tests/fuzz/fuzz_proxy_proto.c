/*
 * fuzz_proxy_proto.c - libFuzzer target for the PROXY protocol parser.
 *
 * The input is what a balancer sent first.  Besides not crashing, the
 * parser must keep its promises: a complete header is never longer than
 * the input nor its limits; "need more" asks for more than it was given
 * and never past the header; and feeding the input one prefix at a time
 * (as the socket reader does) ends the same way as the whole input.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cstore/cstore.h"
#include "core/proxy_proto.h"

#include "check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct proxy_hdr h, h2;
	struct cs_err err = { 0, "" };
	size_t need = 0, have = 0;
	int rc, rc2 = 0;

	rc = proxy_parse(data, size, &h, &need, &err);
	CHECK(rc <= PROXY_HDR_MAX);
	if (rc > 0) {
		CHECK((size_t)rc <= size);
		CHECK(h.version == 1 || h.version == 2);
		CHECK(h.version != 1 || rc <= PROXY_V1_MAX);
		CHECK(!h.proxied || h.src.family == 4 || h.src.family == 6);
	} else if (rc == 0) {
		CHECK(need > size && need <= PROXY_HDR_MAX);
	} else
		CHECK(err.code == rc);
	/* The reader's way: ask, get exactly what was asked for, again. */
	for (int i = 0; i < PROXY_HDR_MAX + 2; i++) {
		struct cs_err e2 = { 0, "" };

		rc2 = proxy_parse(data, have, &h2, &need, &e2);
		if (rc2 != 0 || have == size)
			break;
		CHECK(need > have);
		have = need < size ? need : size;
	}
	CHECK(rc2 == rc);
	CHECK(rc <= 0 || memcmp(&h, &h2, sizeof(h)) == 0);
	return 0;
}
