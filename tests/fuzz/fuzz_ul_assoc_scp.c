/*
 * fuzz_ul_assoc_scp.c - an association acceptor (SCP side) fed arbitrary
 * bytes from the transport, split as the first input bytes say, with
 * accept-everything callbacks (ul_assoc_fuzz.h).
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
	if (fz_start(&f, UL_ACCEPTOR, data[0]) == 0)
		fz_feed(&f, data[1], data + 2, size - 2);
	ul_assoc_free(f.a);
	return 0;
}
