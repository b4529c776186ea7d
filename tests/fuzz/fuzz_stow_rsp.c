/*
 * fuzz_stow_rsp.c - libFuzzer target for the reading of a STOW-RS
 * response (lib/cli/stow_rsp.h): any bytes, then a lookup of every
 * UID-like string the input holds, in it as JSON and as XML.  Besides
 * not crashing: a lookup never says "unnamed" with a reason.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cstore/cstore.h"
#include "cli/stow_rsp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct stow_rsp *r = stow_rsp_parse((const char *)data, size, NULL);
	char uid[65];
	size_t i, n;
	uint16_t reason;

	/* each run of digits and dots is asked for */
	for (i = 0; i < size; i += n + 1) {
		for (n = 0; i + n < size && n < 64 &&
		    (data[i + n] == '.' || (data[i + n] >= '0' && data[i + n] <= '9'));
		     n++)
			;
		memcpy(uid, data + i, n);
		uid[n] = '\0';
		if (r != NULL && stow_rsp_find(r, uid, &reason) == STOW_UNNAMED &&
		    reason != 0)
			abort();
		if (stow_rsp_xml_find("application/dicom+xml",
			(const char *)data, size, uid,
			&reason) == STOW_UNNAMED &&
		    reason != 0)
			abort();
	}
	stow_rsp_free(r);
	return 0;
}
