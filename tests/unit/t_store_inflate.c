/* t_store_inflate.c - the receiver's look into a Deflated data set. */
#include <check.h>
#include <string.h>
#include <zlib.h>

#include "cstore/cstore.h"
#include "core/alloc.h"
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
	struct store_inflate *zi = store_inflate_new(NULL, 0, 0, err);
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

START_TEST(test_a_stream_cut_after_the_uids_is_truncated_in_any_split)
{
	/* a partial data set whose head is whole: never a success */
	static uint8_t d[8192], z[8192];
	static const size_t steps[] = { 1, 7, 4096, 1 << 20 };
	struct cs_err err = { 0, "" };
	struct ds_scan s;
	size_t n = dataset(d), zn = deflate_raw(d, n, z, sizeof(z)), i;

	for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		cs_err_clear(&err);
		ck_assert_int_eq(
		    feed(z, zn - 3, steps[i], &s, &err), CS_E_TRUNCATED);
		ck_assert(ds_scan_equals(&s, DS_TAG_SOP_CLASS_UID, "1.2.3.4"));
		ck_assert_ptr_nonnull(strstr(err.msg, "deflate stream"));
	}
}
END_TEST

START_TEST(test_a_whole_stream_of_a_cut_data_set_is_truncated)
{
	/* the stream ends well, the data set inside it in an element */
	static uint8_t d[8192], z[8192];
	struct cs_err err = { 0, "" };
	struct ds_scan s;
	size_t n = dataset(d), zn = deflate_raw(d, n - 100, z, sizeof(z));

	ck_assert_int_eq(feed(z, zn, 3, &s, &err), CS_E_TRUNCATED);
	ck_assert(ds_scan_equals(&s, DS_TAG_SOP_INSTANCE_UID, "1.2.3.4.5"));
}
END_TEST

/*
 * The zip bomb: (0008,0001) UN of 0xFFFFFFF0 zero bytes, then the UIDs,
 * deflated as a head h, 4095 copies of one self-contained block b of
 * 1 MiB of zeros (each ends in a full flush: no reference back) and a
 * tail t.  About 4 MB on the wire for 4 GiB inflated.
 */
struct bomb {
	uint8_t h[64], b[4096], t[8192];
	size_t hn, bn, tn;
};

static size_t
deflate_more(z_stream *z, const uint8_t *d, size_t n, int flush, uint8_t *out,
    size_t cap)
{
	z->next_in = (Bytef *)(uintptr_t)d;
	z->avail_in = (uInt)n;
	z->next_out = out;
	z->avail_out = (uInt)cap;
	ck_assert_int_eq(
	    deflate(z, flush), flush == Z_FINISH ? Z_STREAM_END : Z_OK);
	ck_assert_uint_eq(z->avail_in, 0);
	ck_assert_uint_gt(z->avail_out, 0);
	return cap - z->avail_out;
}

static void
bomb_make(struct bomb *m)
{
	static const uint8_t head[12] = { 0x08, 0x00, 0x01, 0x00, 'U', 'N', 0,
		0, 0xf0, 0xff, 0xff, 0xff };
	static uint8_t zeros[1 << 20], tail[(1 << 20) + 64];
	z_stream z;
	size_t n = (1 << 20) - 16;

	memset(&z, 0, sizeof(z));
	ck_assert_int_eq(
	    deflateInit2(&z, 9, Z_DEFLATED, -MAX_WBITS, 8, Z_DEFAULT_STRATEGY),
	    Z_OK);
	m->hn = deflate_more(
	    &z, head, sizeof(head), Z_FULL_FLUSH, m->h, sizeof(m->h));
	m->bn = deflate_more(
	    &z, zeros, sizeof(zeros), Z_FULL_FLUSH, m->b, sizeof(m->b));
	n += put(tail + n, 0x0008, 0x0016, "UI", "1.2.3.4\0", 8);
	n += put(tail + n, 0x0008, 0x0018, "UI", "1.2.3.4.5\0", 10);
	m->tn = deflate_more(&z, tail, n, Z_FINISH, m->t, sizeof(m->t));
	deflateEnd(&z);
}

/* Feeds the bomb; returns the first nonzero code, *blocks the copies
 * of b taken. */
static int
bomb_feed(const struct bomb *m, struct store_inflate *zi, struct ds_scan *s,
    unsigned *blocks, struct cs_err *err)
{
	int rc;

	ck_assert_int_eq(
	    ds_scan_init(s, DS_ENC_EVR_LE, uids, 2, DS_SCAN_STOP_EARLY, err),
	    0);
	rc = store_inflate_feed(zi, m->h, m->hn, s, err);
	for (*blocks = 0; rc == 0 && *blocks < 4095; ++*blocks)
		rc = store_inflate_feed(zi, m->b, m->bn, s, err);
	if (rc == 0)
		rc = store_inflate_feed(zi, m->t, m->tn, s, err);
	return rc;
}

START_TEST(test_a_zip_bomb_before_the_uids_stops_at_the_cap)
{
	static struct bomb m;
	struct cs_err err = { 0, "" };
	struct ds_scan s;
	struct store_inflate *zi = store_inflate_new(NULL, 0, 0, &err);
	unsigned blocks;

	ck_assert_ptr_nonnull(zi);
	bomb_make(&m);
	ck_assert_uint_lt(m.hn + 4095 * m.bn + m.tn, 5u << 20);
	ck_assert_int_eq(
	    bomb_feed(&m, zi, &s, &blocks, &err), STORE_INFLATE_CAPPED);
	/* stopped within the block that passed the cap, not at 4 GiB */
	ck_assert_uint_eq(blocks, STORE_INFLATE_MAX >> 20);
	ck_assert_uint_eq(store_inflate_out(zi), STORE_INFLATE_MAX);
	/* and stays stopped: nothing more is inflated */
	ck_assert_int_eq(
	    store_inflate_feed(zi, m.b, m.bn, &s, &err), STORE_INFLATE_CAPPED);
	ck_assert_uint_eq(store_inflate_out(zi), STORE_INFLATE_MAX);
	ck_assert_int_eq(store_inflate_finish(zi, &s, &err), 0);
	ck_assert_ptr_null(ds_scan_value(&s, DS_TAG_SOP_CLASS_UID, NULL, NULL));
	store_inflate_free(zi);
}
END_TEST

START_TEST(test_a_zip_bomb_after_the_uids_stops_at_the_tail_cap)
{
	/* the UIDs, then (0010,0001) UN of 0xFFFFFFF0 zeros in 1 MiB blocks */
	static uint8_t head[64], zeros[1 << 20], h[256], b[4096];
	struct cs_err err = { 0, "" };
	struct ds_scan s;
	struct store_inflate *zi = store_inflate_new(NULL, 0, 0, &err);
	size_t n = 0, hn, bn;
	unsigned blocks;
	z_stream z;
	int rc;

	ck_assert_ptr_nonnull(zi);
	n += put(head + n, 0x0008, 0x0016, "UI", "1.2.3.4\0", 8);
	n += put(head + n, 0x0008, 0x0018, "UI", "1.2.3.4.5\0", 10);
	memcpy(head + n, "\x10\x00\x01\x00UN\0\0\xf0\xff\xff\xff", 12);
	memset(&z, 0, sizeof(z));
	ck_assert_int_eq(
	    deflateInit2(&z, 9, Z_DEFLATED, -MAX_WBITS, 8, Z_DEFAULT_STRATEGY),
	    Z_OK);
	hn = deflate_more(&z, head, n + 12, Z_FULL_FLUSH, h, sizeof(h));
	bn = deflate_more(&z, zeros, sizeof(zeros), Z_FULL_FLUSH, b, sizeof(b));
	deflateEnd(&z);
	ck_assert_int_eq(
	    ds_scan_init(&s, DS_ENC_EVR_LE, uids, 2, DS_SCAN_STOP_EARLY, &err),
	    0);
	rc = store_inflate_feed(zi, h, hn, &s, &err);
	for (blocks = 0; rc == 0 && blocks < 4095; blocks++)
		rc = store_inflate_feed(zi, b, bn, &s, &err);
	ck_assert_int_eq(rc, 0);
	ck_assert(ds_scan_equals(&s, DS_TAG_SOP_INSTANCE_UID, "1.2.3.4.5"));
	/* inflated up to the tail's cap, not to 4 GiB; its end unchecked */
	ck_assert_uint_eq(store_inflate_out(zi), STORE_INFLATE_TAIL_MAX);
	ck_assert_int_eq(store_inflate_finish(zi, &s, &err), 0);
	store_inflate_free(zi);
}
END_TEST

START_TEST(test_out_of_memory_is_told_apart_from_a_bad_stream)
{
	static struct bomb m;
	struct cs_err err = { 0, "" };
	struct ds_scan s;
	struct store_inflate *zi;
	unsigned long n;
	unsigned blocks;
	int rc, failed = 0;

	bomb_make(&m);
	/* every allocation in turn, until none is left to fail */
	for (n = 1;; n++) {
		cs_err_clear(&err);
		cs_alloc_fail_at(n);
		zi = store_inflate_new(NULL, 0, 0, &err);
		if (zi == NULL) {
			cs_alloc_fail_at(0);
			ck_assert_int_eq(err.code, CS_E_NOMEM);
			failed++;
			continue;
		}
		rc = bomb_feed(&m, zi, &s, &blocks, &err);
		cs_alloc_fail_at(0);
		store_inflate_free(zi);
		if (rc == STORE_INFLATE_CAPPED)
			break;
		ck_assert_int_eq(rc, CS_E_NOMEM);
		ck_assert_ptr_nonnull(strstr(err.msg, "out of memory"));
		failed++;
	}
	/* the inflater itself, zlib's state, zlib's window */
	ck_assert_int_ge(failed, 3);
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
	tcase_add_test(
	    tc, test_a_stream_cut_after_the_uids_is_truncated_in_any_split);
	tcase_add_test(tc, test_a_whole_stream_of_a_cut_data_set_is_truncated);
	tcase_add_test(tc, test_a_zip_bomb_before_the_uids_stops_at_the_cap);
	tcase_add_test(
	    tc, test_a_zip_bomb_after_the_uids_stops_at_the_tail_cap);
	tcase_add_test(tc, test_out_of_memory_is_told_apart_from_a_bad_stream);
	suite_add_tcase(s, tc);
	return s;
}
