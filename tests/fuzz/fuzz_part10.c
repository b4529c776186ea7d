/*
 * fuzz_part10.c - the DICOM file prober over a memory buffer, with and
 * without PART10_O_VERIFY.  Any result is fine; a crash, hang, leak or
 * over-read is not.  When the probe succeeds its result must be
 * self-consistent (the data set to the end of the file, or to padding
 * after its last element), and a Deflated data set it verified is not
 * cut short to the transcoder either (one rule for a stream cut short).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cstore/cstore.h"
#include "core/ts_uids.h"
#include "dcmfile/part10.h"
#include "dcmfile/xcode_zlib.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
drop(void *ctx, const void *p, size_t n)
{
	(void)ctx;
	(void)p;
	(void)n;
	return 0;
}

/* What the data set leaves out at the end is padding only (a verified,
 * not Deflated one): at most one Item Delimitation Item of length 0,
 * then zero bytes. */
static int
padding(const uint8_t *data, size_t size, const struct part10_info *info,
    unsigned opts)
{
	static const uint8_t le[8] = { 0xfe, 0xff, 0x0d, 0xe0, 0, 0, 0, 0 };
	static const uint8_t be[8] = { 0xff, 0xfe, 0xe0, 0x0d, 0, 0, 0, 0 };
	size_t k = (size_t)(info->dataset_offset + info->dataset_length);

	if (k == size)
		return 1;
	if (!(opts & PART10_O_VERIFY) || k == info->dataset_offset)
		return 0;
	if (size - k >= 8 &&
	    (memcmp(data + k, le, 8) == 0 || memcmp(data + k, be, 8) == 0))
		k += 8;
	for (; k < size; k++)
		if (data[k] != 0)
			return 0;
	return 1;
}

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
		    info.dataset_offset + info.dataset_length > size ||
		    !padding(data, size, &info, opts) ||
		    strlen(info.sop_class) > PART10_UID_MAX)
			abort();
		/* a mismatch names the native syntax of the bytes, or none */
		if ((info.flags & PART10_F_TS_NONE) &&
		    !(info.flags & PART10_F_TS_MISMATCH))
			abort();
		if ((info.flags & PART10_F_TS_MISMATCH) &&
		    !(info.flags & PART10_F_TS_NONE) &&
		    strcmp(info.ts_uid, TS_UID_ImplicitVRLittleEndian) != 0 &&
		    strcmp(info.ts_uid, TS_UID_ExplicitVRLittleEndian) != 0)
			abort();
		if ((opts & PART10_O_VERIFY) &&
		    strcmp(info.ts_uid,
			TS_UID_DeflatedExplicitVRLittleEndian) == 0) {
			uint64_t got;

			if (!(info.flags & PART10_F_VERIFIED) ||
			    xcode_inflate(data + info.dataset_offset,
				(size_t)info.dataset_length,
				PART10_INFLATED_MAX, drop, NULL, &got, NULL,
				&err) == CS_E_TRUNCATED)
				abort();
		}
	}
	return 0;
}
