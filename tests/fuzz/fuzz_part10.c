/*
 * fuzz_part10.c - the DICOM file prober over a memory buffer, with and
 * without PART10_O_VERIFY.  Any result is fine; a crash, hang, leak or
 * over-read is not.  When the probe succeeds its result must be
 * self-consistent.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cstore/cstore.h"
#include "dcmfile/part10.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct part10_info info;
	struct cs_err err;
	unsigned opts;
	int rc;

	for (opts = 0; opts <= PART10_O_VERIFY; opts++) {
		cs_err_clear(&err);
		rc = part10_probe_mem(data, size, opts, &info, &err);
		if (rc < 0) {
			if (err.code != rc || err.msg[0] == '\0')
				abort();
			continue;
		}
		if (info.sop_class[0] == '\0' || info.sop_instance[0] == '\0' ||
		    info.ts_uid[0] == '\0' ||
		    info.dataset_offset + info.dataset_length != size ||
		    strlen(info.sop_class) > PART10_UID_MAX)
			abort();
	}
	return 0;
}
