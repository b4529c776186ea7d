/*
 * fuzz_store_inflate.c - the receiver's inflater of Deflated data sets
 * (lib/storescp/store_inflate.c) on hostile bytes.
 *
 * Input: one control byte (bits 0-1: chunks of 1, 3, 64 or all bytes),
 * then what arrives as the data set.  Besides "no crash, no overread"
 * (ASan), the outcome (code and message) must not depend on the split:
 * the target aborts when a one-chunk run and the split run differ.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cstore/cstore.h"
#include "core/ds_scan.h"
#include "storescp/store_inflate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint32_t tags[] = { DS_TAG_SOP_CLASS_UID,
	DS_TAG_SOP_INSTANCE_UID };

static int
run(const uint8_t *p, size_t n, size_t step, struct cs_err *err)
{
	struct ds_scan s;
	struct store_inflate *zi;
	size_t i, k;
	int rc = 0;

	if ((zi = store_inflate_new(NULL, 0, 0, err)) == NULL)
		abort();
	if (ds_scan_init(&s, DS_ENC_EVR_LE, tags, 2, DS_SCAN_STOP_EARLY, err) !=
	    0)
		abort();
	for (i = 0; i < n && rc == 0; i += k) {
		k = n - i < step ? n - i : step;
		rc = store_inflate_feed(zi, p + i, k, &s, err);
	}
	if (rc == 0)
		rc = store_inflate_finish(zi, &s, err);
	if (rc == 0)
		rc = ds_scan_finish(&s, err);
	store_inflate_free(zi);
	return rc;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t steps[4] = { 1, 3, 64, SIZE_MAX };
	struct cs_err a = { 0, "" }, b = { 0, "" };
	int ra, rb;

	if (size < 1)
		return 0;
	ra = run(data + 1, size - 1, SIZE_MAX, &a);
	rb = run(data + 1, size - 1, steps[data[0] & 3], &b);
	if (ra != rb || (ra != 0 && strcmp(a.msg, b.msg) != 0))
		abort();
	return 0;
}
