/*
 * fuzz_ul_unseen.c - an association acceptor fed arbitrary bytes twice
 * (ul_assoc_fuzz.h): once with ul_recv alone, once consuming every
 * opaque payload it offers (ul_in_opaque) with ul_recv_unseen, as a
 * receiver splicing data sets does.  Besides "no crash", both runs must
 * end alike: the same data set bytes and PDV ends told to on_pdv, the
 * same bytes written, the same state (unless the user aborts on the
 * third chunk, mode 0x08: the chunks differ by design).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "ul_assoc_fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz seen, unseen;
	int ok;

	if (size < 2)
		return 0;
	ok = fz_start(&seen, UL_ACCEPTOR, data[0]) == 0;
	if (ok)
		fz_feed(&seen, data[1], data + 2, size - 2);
	if (fz_start(&unseen, UL_ACCEPTOR, data[0]) == 0 && ok) {
		unseen.unseen = 1;
		fz_feed(&unseen, data[1], data + 2, size - 2);
		if (!(data[0] & 0x08) &&
		    (seen.pdv_bytes != unseen.pdv_bytes ||
			seen.pdv_ends != unseen.pdv_ends ||
			seen.out_bytes != unseen.out_bytes ||
			ul_state(seen.a) != ul_state(unseen.a)))
			abort();
	}
	ul_assoc_free(seen.a);
	ul_assoc_free(unseen.a);
	return 0;
}
