/*
 * sha256.h - SHA-256 (FIPS 180-4) of a byte string, for names derived
 * from content (a lossy copy's SOP Instance UID).  Not for secrets: no
 * effort against side channels.
 */
#ifndef CS_CORE_SHA256_H
#define CS_CORE_SHA256_H

#include <stddef.h>
#include <stdint.h>

struct sha256 {
	uint32_t h[8];
	uint64_t total; /* bytes fed so far */
	uint8_t buf[64];
	size_t n; /* bytes waiting in buf */
};

void sha256_init(struct sha256 *s);
void sha256_update(struct sha256 *s, const void *p, size_t n);
void sha256_final(struct sha256 *s, uint8_t out[32]);

#endif
