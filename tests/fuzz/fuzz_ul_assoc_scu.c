/*
 * fuzz_ul_assoc_scu.c - an association requestor (SCU side) that has
 * sent its A-ASSOCIATE-RQ, fed arbitrary bytes as the acceptor's answer,
 * split as the first input bytes say (ul_assoc_fuzz.h).
 */
#include <stddef.h>
#include <stdint.h>

#include "ul_assoc_fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz f;

	if (size < 2)
		return 0;
	if (fz_start(&f, UL_REQUESTOR, data[0]) == 0)
		fz_feed(&f, data[1], data + 2, size - 2);
	ul_assoc_free(f.a);
	return 0;
}
