/*
 * fuzz_j2k_cod.c - the JPEG 2000 main header reader of the transcoder
 * (lib/dcmfile/xcode_pixels.c: j2k_stream, j2k_cod), through
 * xcp_source_lossy: the data is the first fragment of an encapsulated
 * source in 1.2.840.10008.1.2.4.91, a code stream or a JP2 wrapper.
 * Copied to a buffer of its exact size, so that ASan sees any byte read
 * outside it.  Any answer is fine (0 or 1); a crash, hang or over-read
 * is not.  Seeds: code streams of opj_compress (-I and not), one in a
 * JP2 wrapper, and cut ones.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dcmfile/xcode_pixels.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *b = malloc(size > 0 ? size : 1);
	struct xcp_span frag;
	struct xcp p;
	int r;

	if (b == NULL)
		return 0;
	if (size > 0)
		memcpy(b, data, size);
	frag.p = b;
	frag.n = size;
	memset(&p, 0, sizeof(p));
	p.src_ts = "1.2.840.10008.1.2.4.91";
	p.src_encaps = 1;
	p.frag = &frag;
	p.nfrag = 1;
	r = xcp_source_lossy(&p, 1); /* 1: the answer is the reader's */
	if (r != 0 && r != 1)
		abort();
	free(b);
	return 0;
}
