/* t_store_inflate.c - the receiver's look into a Deflated data set. */
#include <check.h>
#include <string.h>
#include <zlib.h>

#include "cstore/cstore.h"
#include "core/ds_scan.h"
#include "storescp/store_inflate.h"

Suite *store_inflate_suite(void);

static const uint32_t uids[2] = { DS_TAG_SOP_CLASS_UID,
	DS_TAG_SOP_INSTANCE_UID };

/* An Explicit VR LE element with a short value (even length given). */
static size_t
put(uint8_t *d, uint16_t g, uint16_t e, const char *vr, const char *v,
    size_t vlen)
{
	d[0] = (uint8_t)g, d[1] = (uint8_t)(g >> 8);
	d[2] = (uint8_t)e, d[3] = (uint8_t)(e >> 8);
	d[4] = (uint8_t)vr[0], d[5] = (uint8_t)vr[1];
	d[6] = (uint8_t)vlen, d[7] = (uint8_t)(vlen >> 8);
	memcpy(d + 8, v, vlen);
	return 8 + vlen;
}

/* A data set: the two UIDs, then a long text; n its length. */
static size_t
dataset(uint8_t *d)
{
	static char text[4000];
	size_t n = 0;

	memset(text, 'x', sizeof(text));
	n += put(d + n, 0x0008, 0x0016, "UI", "1.2.3.4\0", 8);
	n += put(d + n, 0x0008, 0x0018, "UI", "1.2.3.4.5\0", 10);
	n += put(d + n, 0x0010, 0x4000, "LT", text, sizeof(text));
	return n;
}

/* Raw deflate of d (PS3.5 A.5: no zlib header); returns its length. */
static size_t
deflate_raw(const uint8_t *d, size_t n, uint8_t *out, size_t cap)
{
	z_stream z;

	memset(&z, 0, sizeof(z));
	ck_assert_int_eq(
	    deflateInit2(&z, 9, Z_DEFLATED, -MAX_WBITS, 8, Z_DEFAULT_STRATEGY),
	    Z_OK);
	z.next_in = (Bytef *)(uintptr_t)d;
	z.avail_in = (uInt)n;
	z.next_out = out;
	z.avail_out = (uInt)cap;
	ck_assert_int_eq(deflate(&z, Z_FINISH), Z_STREAM_END);
	n = cap - z.avail_out;
	deflateEnd(&z);
	return n;
}

/* Feeds p in chunks of step bytes; returns the first negative code. */
static int
feed(const uint8_t *p, size_t n, size_t step, struct ds_scan *s,
    struct cs_err *err)
{
	struct store_inflate *zi = store_inflate_new(err);
	size_t i, k;
	int rc = 0;

	ck_assert_ptr_nonnull(zi);
	ck_assert_int_eq(
	    ds_scan_init(s, DS_ENC_EVR_LE, uids, 2, DS_SCAN_STOP_EARLY, err),
	    0);
	for (i = 0; i < n && rc == 0; i += k) {
		k = n - i < step ? n - i : step;
		rc = store_inflate_feed(zi, p + i, k, s, err);
	}
	if (rc == 0)
		rc = store_inflate_finish(zi, s, err);
	if (rc == 0)
		rc = ds_scan_finish(s, err);
	store_inflate_free(zi);
	return rc;
}

START_TEST(test_the_uids_of_a_deflated_data_set_are_read_in_any_split)
{
	static uint8_t d[8192], z[8192];
	static const size_t steps[] = { 1, 2, 7, 4096, 1 << 20 };
	struct cs_err err = { 0, "" };
	struct ds_scan s;
	size_t n = dataset(d), zn = deflate_raw(d, n, z, sizeof(z) - 1), i;

	z[zn] = 0; /* a pad after the stream is ignored */
	for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		ck_assert_int_eq(feed(z, zn + 1, steps[i], &s, &err), 0);
		ck_assert(ds_scan_equals(&s, DS_TAG_SOP_CLASS_UID, "1.2.3.4"));
		ck_assert(
		    ds_scan_equals(&s, DS_TAG_SOP_INSTANCE_UID, "1.2.3.4.5"));
	}
}
END_TEST

START_TEST(test_a_plain_data_set_labelled_deflated_is_refused)
{
	/* what dcmjs and dcmjs-dimse send under the Deflated syntax */
	static uint8_t d[8192];
	struct cs_err err = { 0, "" };
	struct ds_scan s;
	size_t n = dataset(d);

	ck_assert_int_eq(feed(d, n, 1000, &s, &err), CS_E_PROTO);
	ck_assert_ptr_nonnull(strstr(err.msg, "no deflate stream"));
}
END_TEST

START_TEST(test_a_stream_cut_before_the_uids_is_truncated)
{
	static uint8_t d[8192], z[8192];
	struct cs_err err = { 0, "" };
	struct ds_scan s;
	size_t n = dataset(d), zn = deflate_raw(d, n, z, sizeof(z));

	(void)zn;
	ck_assert_int_eq(feed(z, 12, 5, &s, &err), CS_E_TRUNCATED);
}
END_TEST

Suite *
store_inflate_suite(void)
{
	Suite *s = suite_create("store_inflate");
	TCase *tc = tcase_create("core");

	tcase_add_test(
	    tc, test_the_uids_of_a_deflated_data_set_are_read_in_any_split);
	tcase_add_test(tc, test_a_plain_data_set_labelled_deflated_is_refused);
	tcase_add_test(tc, test_a_stream_cut_before_the_uids_is_truncated);
	suite_add_tcase(s, tc);
	return s;
}
