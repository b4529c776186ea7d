/* t_ds_scan.c - the streaming top-level dataset scanner. */
#include <check.h>
#include <string.h>

#include "cstore/cstore.h"
#include "core/ds_scan.h"

Suite *ds_scan_suite(void);

/*
 * A tiny dataset builder: elements are encoded by hand in the chosen
 * encoding, so the tests do not depend on any other codec of ours.
 */
struct ds {
	enum ds_enc enc;
	size_t n;
	uint8_t d[16384];
};

static void
put16(struct ds *b, uint16_t v)
{
	if (b->enc == DS_ENC_EVR_BE) {
		b->d[b->n++] = (uint8_t)(v >> 8);
		b->d[b->n++] = (uint8_t)v;
	} else {
		b->d[b->n++] = (uint8_t)v;
		b->d[b->n++] = (uint8_t)(v >> 8);
	}
}

static void
put32(struct ds *b, uint32_t v)
{
	if (b->enc == DS_ENC_EVR_BE) {
		put16(b, (uint16_t)(v >> 16));
		put16(b, (uint16_t)v);
	} else {
		put16(b, (uint16_t)v);
		put16(b, (uint16_t)(v >> 16));
	}
}

static int
long_vr(const char *vr)
{
	static const char *const l[] = { "OB", "OD", "OF", "OL", "OV", "OW",
		"SQ", "SV", "UC", "UN", "UR", "UT", "UV" };
	size_t i;

	for (i = 0; i < sizeof(l) / sizeof(*l); i++)
		if (strcmp(vr, l[i]) == 0)
			return 1;
	return 0;
}

/* An element header; len 0xFFFFFFFF is undefined length. */
static void
hdr(struct ds *b, uint16_t g, uint16_t e, const char *vr, uint32_t len)
{
	put16(b, g);
	put16(b, e);
	if (b->enc == DS_ENC_IVR_LE) {
		put32(b, len);
	} else if (long_vr(vr)) {
		b->d[b->n++] = (uint8_t)vr[0];
		b->d[b->n++] = (uint8_t)vr[1];
		put16(b, 0);
		put32(b, len);
	} else {
		b->d[b->n++] = (uint8_t)vr[0];
		b->d[b->n++] = (uint8_t)vr[1];
		put16(b, (uint16_t)len);
	}
}

static void
elem(struct ds *b, uint16_t g, uint16_t e, const char *vr, const void *v,
    size_t len)
{
	hdr(b, g, e, vr, (uint32_t)len);
	memcpy(b->d + b->n, v, len);
	b->n += len;
}

static void
str(struct ds *b, uint16_t g, uint16_t e, const char *vr, const char *s)
{
	elem(b, g, e, vr, s, strlen(s));
}

/* Items and delimiters: tag and 32-bit length in every encoding. */
static void
special(struct ds *b, uint16_t e, uint32_t len)
{
	put16(b, 0xfffe);
	put16(b, e);
	put32(b, len);
}
#define ITEM(b, len) special(b, 0xe000, len)
#define ITEM_END(b) special(b, 0xe00d, 0)
#define SEQ_END(b) special(b, 0xe0dd, 0)
#define UNDEF 0xffffffffu

static const uint32_t want[] = { DS_TAG_SOP_CLASS_UID,
	DS_TAG_SOP_INSTANCE_UID, DS_TAG_STUDY_INSTANCE_UID,
	DS_TAG_SERIES_INSTANCE_UID, DS_TAG_PATIENT_ID, DS_TAG_MODALITY };
#define NWANT (sizeof(want) / sizeof(*want))

#define CT "1.2.840.10008.5.1.4.1.1.2"
#define IUID "1.2.826.0.1.3680043.8.498.12345"
#define STUID "1.2.3.4.5"
#define SEUID "1.2.3.4.5.6"

/*
 * The main test dataset: the six values we want among nested
 * undefined-length sequences and items, a defined-length item, bytes
 * that look like delimiters inside a value, a copy of (0008,0018) inside
 * an item (not top level), a UN of undefined length (explicit only), and
 * encapsulated pixel data (explicit) or native pixel data (implicit).
 */
static void
build_main(struct ds *b, enum ds_enc enc)
{
	static const uint8_t fake[] = { 0xfe, 0xff, 0xdd, 0xe0, 0, 0, 0, 0,
		0xfe, 0xff, 0x0d, 0xe0, 0, 0, 0, 0 };
	uint8_t px[300];
	size_t at;

	memset(b, 0, sizeof(*b));
	b->enc = enc;
	str(b, 0x0008, 0x0005, "CS", "ISO_IR 100");
	/* UIDs of odd length get a NUL pad (PS3.5 9.1) */
	elem(b, 0x0008, 0x0016, "UI", CT, strlen(CT) + 1);
	elem(b, 0x0008, 0x0018, "UI", IUID, strlen(IUID) + 1);
	/* an undefined-length sequence with two items */
	hdr(b, 0x0008, 0x1115, "SQ", UNDEF);
	ITEM(b, UNDEF);
	str(b, 0x0008, 0x0018, "UI", "9.9.9.9"); /* not top level */
	elem(b, 0x0009, 0x0010, "OB", fake, sizeof(fake));
	hdr(b, 0x0008, 0x114a, "SQ", UNDEF); /* nested, empty item */
	ITEM(b, UNDEF);
	ITEM_END(b);
	ITEM(b, 0); /* a zero-length defined item */
	SEQ_END(b);
	ITEM_END(b);
	/* second item: defined length, skipped whole */
	at = b->n;
	ITEM(b, 0);
	str(b, 0x0010, 0x0020, "LO", "NOTME");
	/* patch the item length now that its contents are known */
	{
		uint32_t l = (uint32_t)(b->n - at - 8);
		struct ds tmp = { .enc = enc, .n = 0 };

		put32(&tmp, l);
		memcpy(b->d + at + 4, tmp.d, 4);
	}
	SEQ_END(b);
	str(b, 0x0008, 0x0060, "CS", "CT");
	str(b, 0x0010, 0x0010, "PN", "Doe^John");
	str(b, 0x0010, 0x0020, "LO", "  PID-42  ");
	if (enc != DS_ENC_IVR_LE) {
		/* PS3.5 6.2.2: a UN of undefined length holds implicit LE */
		struct ds in = { .enc = DS_ENC_IVR_LE, .n = 0 };

		hdr(b, 0x0019, 0x1001, "UN", UNDEF);
		special(&in, 0xe000, UNDEF);
		hdr(&in, 0x0019, 0x0010, "LO", 4);
		memcpy(in.d + in.n, "ABCD", 4);
		in.n += 4;
		special(&in, 0xe00d, 0);
		special(&in, 0xe0dd, 0);
		memcpy(b->d + b->n, in.d, in.n);
		b->n += in.n;
	}
	str(b, 0x0020, 0x000d, "UI", STUID " ");
	str(b, 0x0020, 0x000e, "UI", SEUID);
	str(b, 0x0020, 0x0013, "IS", "7 ");
	memset(px, 0xfe, sizeof(px)); /* FE FE...: not a tag we react to */
	if (enc == DS_ENC_IVR_LE) {
		elem(b, 0x7fe0, 0x0010, "OW", px, sizeof(px));
	} else {
		hdr(b, 0x7fe0, 0x0010, "OB", UNDEF);
		ITEM(b, 0); /* empty basic offset table */
		ITEM(b, 100);
		memcpy(b->d + b->n, px, 100);
		b->n += 100;
		ITEM(b, 200);
		memcpy(b->d + b->n, px, 200);
		b->n += 200;
		SEQ_END(b);
	}
	str(b, 0xfffc, 0xfffc, "OB", "");
}

static void
check_main_values(const struct ds_scan *s)
{
	size_t len;
	unsigned flags;
	const char *v;

	v = ds_scan_value(s, DS_TAG_SOP_CLASS_UID, &len, &flags);
	ck_assert_str_eq(v, CT);
	ck_assert_uint_eq(len, strlen(CT));
	ck_assert_uint_eq(flags, DS_SCAN_F_PRESENT);
	ck_assert(ds_scan_equals(s, DS_TAG_SOP_CLASS_UID, CT));
	ck_assert(ds_scan_equals(s, DS_TAG_SOP_INSTANCE_UID, IUID));
	ck_assert(!ds_scan_equals(s, DS_TAG_SOP_INSTANCE_UID, "9.9.9.9"));
	ck_assert_str_eq(ds_scan_value(s, DS_TAG_STUDY_INSTANCE_UID, NULL,
	    NULL), STUID);
	ck_assert_str_eq(ds_scan_value(s, DS_TAG_SERIES_INSTANCE_UID, NULL,
	    NULL), SEUID);
	ck_assert_str_eq(ds_scan_value(s, DS_TAG_MODALITY, NULL, NULL), "CT");
	/* leading and trailing spaces are padding; NOTME is nested */
	ck_assert_str_eq(ds_scan_value(s, DS_TAG_PATIENT_ID, NULL, NULL),
	    "PID-42");
}

/* Feeds b in chunks of at most step bytes; returns the finish code. */
static int
scan_steps(struct ds_scan *s, const struct ds *b, size_t step,
    unsigned opts, struct cs_err *err)
{
	size_t i;
	int rc;

	ck_assert_int_eq(ds_scan_init(s, b->enc, want, NWANT, opts, err), 0);
	for (i = 0; i < b->n; i += step) {
		size_t n = b->n - i < step ? b->n - i : step;

		rc = ds_scan_feed(s, b->d + i, n, err);
		if (rc < 0 || rc == DS_SCAN_DONE)
			break;
	}
	return ds_scan_finish(s, err);
}

static const enum ds_enc encs[] = { DS_ENC_IVR_LE, DS_ENC_EVR_LE,
	DS_ENC_EVR_BE };

START_TEST(scans_whole_dataset_in_each_encoding)
{
	static struct ds b;
	struct ds_scan s;
	struct cs_err err = { 0 };

	build_main(&b, encs[_i]);
	ck_assert_int_eq(scan_steps(&s, &b, b.n, 0, &err), 0);
	ck_assert_str_eq(err.msg, "");
	ck_assert_uint_eq(ds_scan_offset(&s), b.n);
	check_main_values(&s);
}
END_TEST

START_TEST(deep_scan_takes_the_main_dataset_byte_by_byte)
{
	static struct ds b;
	struct ds_scan s;
	struct cs_err err = { 0 };

	/* undefined lengths closed by delimiters and a defined-length item,
	 * walked into: the same values and end as the shallow scan */
	build_main(&b, encs[_i]);
	ck_assert_int_eq(scan_steps(&s, &b, 1, DS_SCAN_DEEP, &err), 0);
	ck_assert_str_eq(err.msg, "");
	ck_assert_uint_eq(ds_scan_offset(&s), b.n);
	check_main_values(&s);
}
END_TEST

START_TEST(deep_scan_refuses_what_a_defined_length_sequence_hides)
{
	static struct ds b;
	struct ds_scan s;
	struct cs_err err = { 0 };

	/* a defined-length sequence holding an element, not an item: the
	 * shallow scan skips it by its length, the deep one refuses it
	 * (explicit VR: Implicit VR marks no sequence of defined length) */
	memset(&b, 0, sizeof(b));
	b.enc = encs[1 + _i];
	str(&b, 0x0008, 0x0060, "CS", "CT");
	hdr(&b, 0x0008, 0x1115, "SQ", 12);
	str(&b, 0x0020, 0x000e, "UI", "1.23");
	str(&b, 0x0010, 0x0020, "LO", "ID");
	ck_assert_int_eq(scan_steps(&s, &b, b.n, 0, &err), 0);
	ck_assert_uint_eq(ds_scan_error_tag(&s), 0);
	ck_assert_int_eq(scan_steps(&s, &b, 3, DS_SCAN_DEEP, &err), CS_E_PROTO);
	ck_assert_ptr_nonnull(
	    strstr(err.msg, "expected an item in a sequence, found (0020,000E)"));
	/* the fault named by the top-level element it is in */
	ck_assert_uint_eq(ds_scan_error_tag(&s), DS_TAG(0x0008, 0x1115));
}
END_TEST

START_TEST(deep_scan_takes_a_sequence_delimiter_ending_a_defined_length)
{
	static struct ds b;
	struct ds_scan s;
	struct cs_err err = { 0 };

	/* some writers end a defined-length sequence with a Sequence
	 * Delimitation Item counted in its length, as others do items:
	 * DCMTK and pydicom read it, the shallow scan passes it by length */
	memset(&b, 0, sizeof(b));
	b.enc = encs[1 + _i];
	str(&b, 0x0008, 0x0060, "CS", "CT");
	hdr(&b, 0x0008, 0x1115, "SQ", 28);
	ITEM(&b, 12);
	str(&b, 0x0020, 0x000e, "UI", "1.23");
	SEQ_END(&b);
	str(&b, 0x0010, 0x0020, "LO", "ID");
	ck_assert_int_eq(scan_steps(&s, &b, b.n, 0, &err), 0);
	ck_assert_int_eq(scan_steps(&s, &b, b.n, DS_SCAN_DEEP, &err), 0);
	ck_assert_str_eq(err.msg, "");
	ck_assert_int_eq(scan_steps(&s, &b, 1, DS_SCAN_DEEP, &err), 0);
	ck_assert_uint_eq(ds_scan_offset(&s), b.n);
	ck_assert_str_eq(ds_scan_value(&s, DS_TAG_MODALITY, NULL, NULL), "CT");
	/* anywhere else in it, it is out of place */
	memset(&b, 0, sizeof(b));
	b.enc = encs[1 + _i];
	hdr(&b, 0x0008, 0x1115, "SQ", 36);
	ITEM(&b, 12);
	str(&b, 0x0020, 0x000e, "UI", "1.23");
	SEQ_END(&b);
	ITEM(&b, 0);
	str(&b, 0x0010, 0x0020, "LO", "ID");
	ck_assert_int_eq(scan_steps(&s, &b, 3, DS_SCAN_DEEP, &err), CS_E_PROTO);
	ck_assert_ptr_nonnull(
	    strstr(err.msg, "expected an item in a sequence, found (FFFE,E0DD)"));
}
END_TEST

/* ndef defined-length sequences with an item each, nundef undefined-length
 * ones innermost, then Modality. */
static void
build_mixed_nesting(struct ds *b, enum ds_enc enc, int ndef, int nundef)
{
	static uint32_t item_len[256];
	uint32_t inner = (uint32_t)nundef * (12 + 8 + 8 + 8);
	int i;

	memset(b, 0, sizeof(*b));
	b->enc = enc;
	ck_assert_int_le(ndef, 256);
	for (i = ndef - 1; i >= 0; i--) {
		item_len[i] = inner;
		inner = 12 + 8 + inner;
	}
	for (i = 0; i < ndef; i++) {
		hdr(b, 0x0008, 0x1115, "SQ", 8 + item_len[i]);
		ITEM(b, item_len[i]);
	}
	for (i = 0; i < nundef; i++) {
		hdr(b, 0x0040, 0xa730, "SQ", UNDEF);
		ITEM(b, UNDEF);
	}
	for (i = 0; i < nundef; i++) {
		ITEM_END(b);
		SEQ_END(b);
	}
	str(b, 0x0008, 0x0060, "CS", "OT");
}

START_TEST(deep_scan_counts_the_nesting_limit_as_the_shallow_one)
{
	static struct ds b;
	struct ds_scan s;
	struct cs_err err = { 0 };

	/* 100 defined-length sequences around 40 undefined-length ones: the
	 * shallow scan counts the 40 only, and so must the deep one */
	build_mixed_nesting(&b, encs[1 + _i], 100, 40);
	ck_assert_int_eq(scan_steps(&s, &b, b.n, 0, &err), 0);
	ck_assert_int_eq(scan_steps(&s, &b, b.n, DS_SCAN_DEEP, &err), 0);
	ck_assert_str_eq(err.msg, "");
	ck_assert_str_eq(ds_scan_value(&s, DS_TAG_MODALITY, NULL, NULL), "OT");
	/* 128 of each: all walked (or passed) */
	build_mixed_nesting(&b, encs[1 + _i], 128, DS_WALK_MAX_SEQUENCES);
	ck_assert_int_eq(scan_steps(&s, &b, 7, DS_SCAN_DEEP, &err), 0);
	ck_assert_str_eq(ds_scan_value(&s, DS_TAG_MODALITY, NULL, NULL), "OT");
	/* past 128 defined-length ones, the next is passed by its length */
	build_mixed_nesting(&b, encs[1 + _i], 200, 10);
	ck_assert_int_eq(scan_steps(&s, &b, b.n, DS_SCAN_DEEP, &err), 0);
	ck_assert_str_eq(ds_scan_value(&s, DS_TAG_MODALITY, NULL, NULL), "OT");
	/* one undefined-length sequence more is refused by both */
	build_mixed_nesting(&b, encs[1 + _i], 100, DS_WALK_MAX_SEQUENCES + 1);
	ck_assert_int_eq(scan_steps(&s, &b, b.n, DS_SCAN_DEEP, &err), CS_E_TOOBIG);
	ck_assert_ptr_nonnull(
	    strstr(err.msg, "nests more than 128 sequences in each other"));
	build_mixed_nesting(&b, encs[1 + _i], 0, DS_WALK_MAX_SEQUENCES + 1);
	ck_assert_int_eq(scan_steps(&s, &b, b.n, 0, &err), CS_E_TOOBIG);
}
END_TEST

START_TEST(scans_one_byte_at_a_time_in_each_encoding)
{
	static struct ds b;
	struct ds_scan s;
	struct cs_err err = { 0 };

	build_main(&b, encs[_i]);
	ck_assert_int_eq(scan_steps(&s, &b, 1, 0, &err), 0);
	ck_assert_uint_eq(ds_scan_offset(&s), b.n);
	check_main_values(&s);
}
END_TEST

START_TEST(scans_split_at_every_point_in_each_encoding)
{
	static struct ds b;
	struct ds_scan s;
	struct cs_err err = { 0 };
	size_t k;

	build_main(&b, encs[_i]);
	for (k = 0; k <= b.n; k++) {
		ck_assert_int_eq(ds_scan_init(&s, b.enc, want, NWANT, 0, &err),
		    0);
		ck_assert_int_eq(ds_scan_feed(&s, b.d, k, &err), 0);
		ck_assert_int_eq(ds_scan_feed(&s, b.d + k, b.n - k, &err), 0);
		ck_assert_int_eq(ds_scan_finish(&s, &err), 0);
		check_main_values(&s);
	}
}
END_TEST

/*
 * Fed step bytes at a time, skipping what ds_scan_skippable allows (all
 * of it, or one byte): the same values and offset as when every byte
 * is seen, and never a skip over a header or a kept value.
 */
START_TEST(skipping_what_it_only_counts_gives_the_same_scan)
{
	static struct ds b;
	struct ds_scan s;
	struct cs_err err = { 0 };
	size_t step, i;
	int one, skips;

	build_main(&b, encs[_i]);
	for (one = 0; one <= 1; one++)
		for (step = 1; step <= 13; step++) {
			ck_assert_int_eq(
			    ds_scan_init(&s, b.enc, want, NWANT, 0, &err), 0);
			skips = 0;
			for (i = 0; i < b.n;) {
				uint64_t k = ds_scan_skippable(&s);
				size_t n = b.n - i < step ? b.n - i : step;

				if (k > 0) {
					k = one ? 1 : k;
					ck_assert_uint_le(i + k, b.n);
					ck_assert_int_eq(ds_scan_skip(&s, k, &err),
					    0);
					i += (size_t)k;
					skips++;
					continue;
				}
				ck_assert_int_eq(
				    ds_scan_feed(&s, b.d + i, n, &err), 0);
				i += n;
			}
			ck_assert_int_gt(skips, 2);
			ck_assert_int_eq(ds_scan_finish(&s, &err), 0);
			ck_assert_uint_eq(ds_scan_offset(&s), b.n);
			check_main_values(&s);
		}
}
END_TEST

START_TEST(skip_is_refused_where_the_scanner_must_see)
{
	static struct ds b;
	struct ds_scan s;
	struct cs_err err = { 0 };
	char big[1000];

	memset(&b, 0, sizeof(b));
	b.enc = encs[_i];
	memset(big, '1', sizeof(big));
	elem(&b, 0x0008, 0x0018, "UI", big, 300); /* kept: 256 of 300 */
	ds_scan_init(&s, b.enc, want, NWANT, 0, NULL);
	/* at a header, and inside the kept part: nothing */
	ck_assert_uint_eq(ds_scan_skippable(&s), 0);
	ck_assert_int_eq(ds_scan_skip(&s, 1, &err), CS_E_INVAL);
	ck_assert_int_eq(ds_scan_feed(&s, b.d, b.n - 300 + 255, NULL), 0);
	ck_assert_uint_eq(ds_scan_skippable(&s), 0);
	ck_assert_int_eq(ds_scan_feed(&s, b.d + b.n - 45, 1, NULL), 0);
	/* past what it keeps: the rest, and not a byte more */
	ck_assert_uint_eq(ds_scan_skippable(&s), 44);
	ck_assert_int_eq(ds_scan_skip(&s, 45, &err), CS_E_INVAL);
	ck_assert_int_eq(ds_scan_skip(&s, 44, &err), 0);
	ck_assert_uint_eq(ds_scan_skippable(&s), 0);
	ck_assert_int_eq(ds_scan_finish(&s, NULL), 0);
	ck_assert_ptr_nonnull(
	    ds_scan_value(&s, DS_TAG_SOP_INSTANCE_UID, NULL, NULL));
	/* stopped early: anything */
	ds_scan_init(&s, b.enc, want, 1, DS_SCAN_STOP_EARLY, NULL);
	ck_assert_int_eq(ds_scan_feed(&s, b.d, b.n, NULL), DS_SCAN_DONE);
	ck_assert_uint_eq(ds_scan_skippable(&s), UINT64_MAX);
	ck_assert_int_eq(ds_scan_skip(&s, 1u << 30, &err), DS_SCAN_DONE);
}
END_TEST

START_TEST(every_proper_prefix_is_reported_truncated)
{
	static struct ds b;
	struct ds_scan s;
	size_t k;

	build_main(&b, encs[_i]);
	/* cutting anywhere but an element boundary must not pass */
	for (k = 1; k < b.n; k++) {
		struct cs_err err = { 0 };
		int rc;

		ds_scan_init(&s, b.enc, want, NWANT, 0, NULL);
		ck_assert_int_eq(ds_scan_feed(&s, b.d, k, &err), 0);
		rc = ds_scan_finish(&s, &err);
		if (rc == 0)
			continue; /* a top-level boundary */
		ck_assert_int_eq(rc, CS_E_TRUNCATED);
		ck_assert_ptr_nonnull(strstr(err.msg, "ends inside"));
	}
	/* the last element is 12 or 8 bytes, so its start is a boundary
	 * and one byte more is not */
	ds_scan_init(&s, b.enc, want, NWANT, 0, NULL);
	ds_scan_feed(&s, b.d, b.n - 1, NULL);
	ck_assert_int_eq(ds_scan_finish(&s, NULL), CS_E_TRUNCATED);
}
END_TEST

START_TEST(stop_early_ends_after_the_last_wanted_tag)
{
	static struct ds b;
	struct ds_scan s;
	struct cs_err err = { 0 };
	size_t i;
	int rc = 0;

	build_main(&b, encs[_i]);
	ck_assert_int_eq(ds_scan_init(&s, b.enc, want, NWANT,
	    DS_SCAN_STOP_EARLY, &err), 0);
	for (i = 0; i < b.n && rc == 0; i++)
		rc = ds_scan_feed(&s, b.d + i, 1, &err);
	ck_assert_int_eq(rc, DS_SCAN_DONE);
	ck_assert(ds_scan_done(&s));
	/* (0020,000E) is the highest wanted tag: it ends the scan, long
	 * before the pixel data */
	ck_assert_uint_lt(ds_scan_offset(&s), b.n - 300);
	ck_assert_uint_eq(ds_scan_offset(&s), i);
	check_main_values(&s);
	/* later chunks, even garbage, are ignored */
	ck_assert_int_eq(ds_scan_feed(&s, "\xff\xff\xff", 3, &err),
	    DS_SCAN_DONE);
	ck_assert_int_eq(ds_scan_finish(&s, &err), 0);
	ck_assert_int_eq(err.code, 0);
}
END_TEST

START_TEST(stop_early_ends_at_a_tag_past_the_missing_ones)
{
	static struct ds b;
	struct ds_scan s;
	const uint32_t t[] = { DS_TAG_SOP_INSTANCE_UID, DS_TAG(0x0018, 0x0050)
	};
	size_t at;

	memset(&b, 0, sizeof(b));
	b.enc = DS_ENC_EVR_LE;
	str(&b, 0x0008, 0x0018, "UI", "1.2");
	at = b.n;
	str(&b, 0x0020, 0x0010, "SH", "S1");
	str(&b, 0x0018, 0x0050, "DS", "1"); /* out of order: not seen */
	ds_scan_init(&s, b.enc, t, 2, DS_SCAN_STOP_EARLY, NULL);
	ck_assert_int_eq(ds_scan_feed(&s, b.d, b.n, NULL), DS_SCAN_DONE);
	ck_assert_uint_eq(ds_scan_offset(&s), at + 8);
	ck_assert_ptr_null(ds_scan_value(&s, DS_TAG(0x0018, 0x0050), NULL,
	    NULL));
	ck_assert_str_eq(ds_scan_value(&s, DS_TAG_SOP_INSTANCE_UID, NULL,
	    NULL), "1.2");
}
END_TEST

START_TEST(long_value_is_kept_as_prefix_and_flagged)
{
	static struct ds b;
	struct ds_scan s;
	char big[1000];
	size_t len;
	unsigned flags;
	const char *v;

	memset(&b, 0, sizeof(b));
	b.enc = encs[_i];
	memset(big, 'A', sizeof(big));
	elem(&b, 0x0008, 0x0018, "UI", big, 300); /* 300 > 256 */
	elem(&b, 0x0010, 0x0020, "LO", big, 256); /* exactly the cap */
	ds_scan_init(&s, b.enc, want, NWANT, 0, NULL);
	ck_assert_int_eq(ds_scan_feed(&s, b.d, b.n, NULL), 0);
	ck_assert_int_eq(ds_scan_finish(&s, NULL), 0);
	v = ds_scan_value(&s, DS_TAG_SOP_INSTANCE_UID, &len, &flags);
	ck_assert_ptr_nonnull(v);
	ck_assert_uint_eq(len, DS_SCAN_VALUE_MAX);
	ck_assert_uint_eq(flags, DS_SCAN_F_PRESENT | DS_SCAN_F_TOOLONG);
	big[DS_SCAN_VALUE_MAX] = '\0';
	ck_assert_str_eq(v, big);
	/* a prefix never compares equal, even to itself */
	ck_assert(!ds_scan_equals(&s, DS_TAG_SOP_INSTANCE_UID, big));
	v = ds_scan_value(&s, DS_TAG_PATIENT_ID, &len, &flags);
	ck_assert_uint_eq(len, 256);
	ck_assert_uint_eq(flags, DS_SCAN_F_PRESENT);
}
END_TEST

START_TEST(empty_and_absent_values_differ)
{
	static struct ds b;
	struct ds_scan s;
	size_t len = 99;
	unsigned flags = 99;

	memset(&b, 0, sizeof(b));
	b.enc = DS_ENC_EVR_LE;
	str(&b, 0x0010, 0x0020, "LO", "");
	ds_scan_init(&s, b.enc, want, NWANT, 0, NULL);
	ds_scan_feed(&s, b.d, b.n, NULL);
	ck_assert_str_eq(ds_scan_value(&s, DS_TAG_PATIENT_ID, &len, &flags),
	    "");
	ck_assert_uint_eq(len, 0);
	ck_assert_uint_eq(flags, DS_SCAN_F_PRESENT);
	ck_assert_ptr_null(ds_scan_value(&s, DS_TAG_MODALITY, &len, &flags));
	ck_assert_uint_eq(flags, 0);
	ck_assert_ptr_null(ds_scan_value(&s, DS_TAG(0x0010, 0x0010), NULL,
	    NULL)); /* never asked for */
	ck_assert(!ds_scan_equals(&s, DS_TAG_MODALITY, ""));
	ck_assert(ds_scan_equals(&s, DS_TAG_PATIENT_ID, ""));
}
END_TEST

START_TEST(embedded_nul_never_compares_equal)
{
	static struct ds b;
	struct ds_scan s;
	size_t len;

	memset(&b, 0, sizeof(b));
	b.enc = DS_ENC_EVR_LE;
	elem(&b, 0x0008, 0x0018, "UI", "1.2\0.3", 6);
	ds_scan_init(&s, b.enc, want, NWANT, 0, NULL);
	ds_scan_feed(&s, b.d, b.n, NULL);
	ck_assert_ptr_nonnull(ds_scan_value(&s, DS_TAG_SOP_INSTANCE_UID, &len,
	    NULL));
	ck_assert_uint_eq(len, 6);
	ck_assert(!ds_scan_equals(&s, DS_TAG_SOP_INSTANCE_UID, "1.2"));
}
END_TEST

START_TEST(value_is_hidden_until_complete)
{
	static struct ds b;
	struct ds_scan s;

	memset(&b, 0, sizeof(b));
	b.enc = DS_ENC_IVR_LE;
	str(&b, 0x0008, 0x0018, "UI", "1.2.3.4");
	ds_scan_init(&s, b.enc, want, NWANT, 0, NULL);
	ds_scan_feed(&s, b.d, b.n - 1, NULL);
	ck_assert_ptr_null(ds_scan_value(&s, DS_TAG_SOP_INSTANCE_UID, NULL,
	    NULL));
	ds_scan_feed(&s, b.d + b.n - 1, 1, NULL);
	ck_assert_str_eq(ds_scan_value(&s, DS_TAG_SOP_INSTANCE_UID, NULL,
	    NULL), "1.2.3.4");
}
END_TEST

START_TEST(huge_value_is_skipped_without_memory)
{
	static uint8_t zero[1 << 20];
	static struct ds b;
	struct ds_scan s;
	uint64_t left = 0xfffffffeu;

	memset(&b, 0, sizeof(b));
	b.enc = DS_ENC_EVR_LE;
	str(&b, 0x0008, 0x0018, "UI", "1.2");
	hdr(&b, 0x7fe0, 0x0010, "OW", 0xfffffffeu);
	ds_scan_init(&s, b.enc, want, NWANT, 0, NULL);
	ck_assert_int_eq(ds_scan_feed(&s, b.d, b.n, NULL), 0);
	/* 4 GiB - 2 through a 1 MiB buffer: the struct is all we use */
	while (left > 0) {
		size_t n = left < sizeof(zero) ? (size_t)left : sizeof(zero);

		ck_assert_int_eq(ds_scan_feed(&s, zero, n, NULL), 0);
		left -= n;
	}
	ck_assert_int_eq(ds_scan_finish(&s, NULL), 0);
	ck_assert_uint_eq(ds_scan_offset(&s), b.n + 0xfffffffeull);
}
END_TEST

START_TEST(sequence_delimiter_with_nonzero_length_is_tolerated)
{
	static struct ds b;
	struct ds_scan s;

	memset(&b, 0, sizeof(b));
	b.enc = DS_ENC_EVR_LE;
	hdr(&b, 0x0008, 0x1115, "SQ", UNDEF);
	special(&b, 0xe0dd, UNDEF); /* seen in the wild */
	str(&b, 0x0008, 0x0060, "CS", "MR");
	ds_scan_init(&s, b.enc, want, NWANT, 0, NULL);
	ck_assert_int_eq(ds_scan_feed(&s, b.d, b.n, NULL), 0);
	ck_assert_int_eq(ds_scan_finish(&s, NULL), 0);
	ck_assert_str_eq(ds_scan_value(&s, DS_TAG_MODALITY, NULL, NULL), "MR");
}
END_TEST

/* Scans b whole and returns the code, with the message in err. */
static int
scan_bad(struct ds *b, struct cs_err *err)
{
	struct ds_scan s;
	int rc;

	cs_err_clear(err);
	ds_scan_init(&s, b->enc, want, NWANT, 0, NULL);
	rc = ds_scan_feed(&s, b->d, b->n, err);
	if (rc == 0)
		rc = ds_scan_finish(&s, err);
	/* latched: more data, or finish, returns the same */
	ck_assert_int_eq(ds_scan_feed(&s, "", 1, NULL), rc);
	ck_assert_int_eq(ds_scan_finish(&s, NULL), rc);
	return rc;
}

START_TEST(undefined_length_is_refused_for_plain_vrs)
{
	static struct ds b;
	struct cs_err err;

	memset(&b, 0, sizeof(b));
	b.enc = encs[1 + _i]; /* explicit LE and BE */
	hdr(&b, 0x0010, 0x4000, "UT", UNDEF);
	ck_assert_int_eq(scan_bad(&b, &err), CS_E_PROTO);
	ck_assert_str_eq(err.msg, "undefined length not allowed for VR 'UT' "
				  "in (0010,4000) (malformed data set, offset 0)");
}
END_TEST

START_TEST(implicit_undefined_length_must_hold_items)
{
	static struct ds b;
	struct cs_err err;

	memset(&b, 0, sizeof(b));
	b.enc = DS_ENC_IVR_LE;
	hdr(&b, 0x0010, 0x0010, "PN", UNDEF);
	str(&b, 0x0010, 0x0020, "LO", "X");
	ck_assert_int_eq(scan_bad(&b, &err), CS_E_PROTO);
	ck_assert_ptr_nonnull(strstr(err.msg, "expected an item in "
					      "a sequence, found (0010,0020) "
					      "(malformed data set, offset 8)"));
}
END_TEST

START_TEST(bad_vr_is_refused)
{
	static struct ds b;
	struct cs_err err;

	memset(&b, 0, sizeof(b));
	b.enc = DS_ENC_EVR_LE;
	str(&b, 0x0008, 0x0060, "CS", "CT");
	hdr(&b, 0x0010, 0x0010, "zz", 2);
	ck_assert_int_eq(scan_bad(&b, &err), CS_E_PROTO);
	ck_assert_ptr_nonnull(strstr(err.msg, "unknown VR 'zz'"));
	ck_assert_ptr_nonnull(strstr(err.msg, "(malformed data set, offset 10)"));
	memset(&b, 0, sizeof(b));
	b.enc = DS_ENC_EVR_BE;
	hdr(&b, 0x0010, 0x0010, "\x01\x02", 2);
	ck_assert_int_eq(scan_bad(&b, &err), CS_E_PROTO);
	ck_assert_ptr_nonnull(strstr(err.msg, "unknown VR 0x0102"));
}
END_TEST

START_TEST(items_and_delimiters_out_of_place_are_refused)
{
	static struct ds b;
	struct cs_err err;
	static const uint16_t e[] = { 0xe000, 0xe00d, 0xe0dd, 0x0001 };
	size_t i;

	for (i = 0; i < sizeof(e) / sizeof(*e); i++) {
		memset(&b, 0, sizeof(b));
		b.enc = encs[_i];
		special(&b, e[i], 0);
		ck_assert_int_eq(scan_bad(&b, &err), CS_E_PROTO);
		ck_assert_ptr_nonnull(strstr(err.msg, "out of place"));
	}
	/* a sequence delimiter closing an item */
	memset(&b, 0, sizeof(b));
	b.enc = encs[_i];
	hdr(&b, 0x0008, 0x1115, "SQ", UNDEF);
	ITEM(&b, UNDEF);
	SEQ_END(&b);
	ck_assert_int_eq(scan_bad(&b, &err), CS_E_PROTO);
	/* a plain element directly inside a sequence */
	memset(&b, 0, sizeof(b));
	b.enc = encs[_i];
	hdr(&b, 0x0008, 0x1115, "SQ", UNDEF);
	str(&b, 0x0008, 0x0060, "CS", "CT");
	ck_assert_int_eq(scan_bad(&b, &err), CS_E_PROTO);
	ck_assert_ptr_nonnull(strstr(err.msg, "expected an item"));
}
END_TEST

/* a stray delimiter or item at the top level: no data element to name
 * as Offending Element (PS3.7 C.4.2) */
START_TEST(a_stray_delimiter_names_no_element)
{
	static struct ds b;
	static const uint16_t e[] = { 0xe000, 0xe00d, 0xe0dd };
	struct ds_scan s;
	struct cs_err err;
	size_t i;

	for (i = 0; i < sizeof(e) / sizeof(*e); i++) {
		memset(&b, 0, sizeof(b));
		b.enc = encs[1];
		str(&b, 0x0008, 0x0060, "CS", "CT");
		special(&b, e[i], 0);
		ck_assert_int_eq(scan_steps(&s, &b, b.n, DS_SCAN_DEEP, &err),
		    CS_E_PROTO);
		ck_assert_uint_eq(ds_scan_error_tag(&s), 0);
	}
}
END_TEST

/* Pixel Data's fragments end with it: the items of a defined-length
 * sequence after it (Digital Signatures), walked into, are none */
START_TEST(items_after_pixel_data_are_no_fragments)
{
	static struct ds b;
	struct ds_scan s;
	struct cs_err err = { 0 };
	uint32_t bot = 1;

	memset(&b, 0, sizeof(b));
	b.enc = encs[1 + _i];
	hdr(&b, 0x7fe0, 0x0010, "OB", UNDEF);
	ITEM(&b, 0);
	ITEM(&b, 2);
	put16(&b, 0xd8ff);
	SEQ_END(&b);
	hdr(&b, 0xfffa, 0xfffa, "SQ", 24);
	ITEM(&b, UNDEF);
	ITEM_END(&b);
	ITEM(&b, 0);
	ck_assert_int_eq(scan_steps(&s, &b, b.n, DS_SCAN_DEEP, &err), 0);
	ck_assert_uint_eq(ds_scan_px_items(&s, &bot), 2);
	ck_assert_uint_eq(bot, 0);
	ck_assert_int_eq(scan_steps(&s, &b, 1, DS_SCAN_DEEP, &err), 0);
	ck_assert_uint_eq(ds_scan_px_items(&s, &bot), 2);
}
END_TEST

START_TEST(fragment_of_undefined_length_is_refused)
{
	static struct ds b;
	struct cs_err err;

	memset(&b, 0, sizeof(b));
	b.enc = encs[1 + _i];
	hdr(&b, 0x7fe0, 0x0010, "OB", UNDEF);
	ITEM(&b, 0);
	ITEM(&b, UNDEF);
	ck_assert_int_eq(scan_bad(&b, &err), CS_E_PROTO);
	ck_assert_ptr_nonnull(strstr(err.msg, "fragment with undefined "
	    "length"));
}
END_TEST

START_TEST(duplicate_wanted_tag_is_refused)
{
	static struct ds b;
	struct cs_err err;

	memset(&b, 0, sizeof(b));
	b.enc = encs[_i];
	str(&b, 0x0008, 0x0018, "UI", "1.2.3");
	str(&b, 0x0008, 0x0018, "UI", "6.6.6");
	ck_assert_int_eq(scan_bad(&b, &err), CS_E_PROTO);
	ck_assert_ptr_nonnull(strstr(err.msg, "(0008,0018) occurs twice"));
}
END_TEST

START_TEST(duplicate_with_the_same_value_is_accepted)
{
	static struct ds b;
	struct ds_scan s;
	struct cs_err err = { 0, "" };

	/* a palette writer repeats (0008,0018); only the padding differs */
	memset(&b, 0, sizeof(b));
	b.enc = encs[_i];
	str(&b, 0x0008, 0x0016, "UI", CT);
	str(&b, 0x0008, 0x0018, "UI", "1.2.3");
	elem(&b, 0x0008, 0x0018, "UI", "1.2.3", 6);
	str(&b, 0x0020, 0x0013, "IS", "1 ");
	ds_scan_init(&s, b.enc, want, NWANT, 0, NULL);
	ck_assert_int_eq(ds_scan_feed(&s, b.d, b.n, &err), 0);
	ck_assert_int_eq(ds_scan_finish(&s, &err), 0);
	ck_assert(ds_scan_equals(&s, DS_TAG_SOP_INSTANCE_UID, "1.2.3"));
	ck_assert(ds_scan_equals(&s, DS_TAG_SOP_CLASS_UID, CT));
	/* an empty second copy of a non-empty value differs */
	memset(&b, 0, sizeof(b));
	b.enc = encs[_i];
	str(&b, 0x0008, 0x0018, "UI", "1.2.3");
	str(&b, 0x0008, 0x0018, "UI", "");
	ck_assert_int_eq(scan_bad(&b, &err), CS_E_PROTO);
	ck_assert_ptr_nonnull(strstr(err.msg, "(0008,0018) occurs twice, "
	    "with different values"));
}
END_TEST

START_TEST(duplicate_too_long_to_compare_is_refused)
{
	static struct ds b;
	static char big[DS_SCAN_VALUE_MAX + 2];
	struct cs_err err;

	memset(big, '1', sizeof(big) - 1);
	memset(&b, 0, sizeof(b));
	b.enc = encs[_i];
	str(&b, 0x0010, 0x0020, "LO", big);
	str(&b, 0x0010, 0x0020, "LO", big);
	ck_assert_int_eq(scan_bad(&b, &err), CS_E_PROTO);
	ck_assert_ptr_nonnull(strstr(err.msg, "too long to compare"));
}
END_TEST

START_TEST(what_real_writers_make_is_scanned)
{
	static struct ds b;
	static const uint8_t zz[4] = { 1, 2, 3, 4 };
	struct ds_scan s;
	struct cs_err err = { 0, "" };

	memset(&b, 0, sizeof(b));
	b.enc = encs[_i];
	/* ISO 2022 escapes in values: the scanner ignores character sets */
	str(&b, 0x0008, 0x0005, "CS", "ISO 2022 IR 13\\ISO 2022 IR 87");
	/* odd value lengths (PS3.5 wants even ones; writers do not) */
	str(&b, 0x0008, 0x0016, "UI", CT);
	str(&b, 0x0008, 0x0018, "UI", "1.2.345");
	/* a sequence of no items, both ways, and an empty item */
	hdr(&b, 0x0008, 0x1110, "SQ", 0);
	hdr(&b, 0x0008, 0x1111, "SQ", UNDEF);
	SEQ_END(&b);
	hdr(&b, 0x0008, 0x1115, "SQ", UNDEF);
	ITEM(&b, 0);
	ITEM(&b, UNDEF);
	ITEM_END(&b);
	SEQ_END(&b);
	/* a private sequence with a person name in ISO 2022 IR 87 */
	str(&b, 0x0009, 0x0010, "LO", "ACME");
	hdr(&b, 0x0009, 0x1001, "SQ", UNDEF);
	ITEM(&b, UNDEF);
	str(&b, 0x0010, 0x0010, "PN", "\x1b$B;3ED\x1b(B");
	ITEM_END(&b);
	SEQ_END(&b);
	if (b.enc != DS_ENC_IVR_LE) {
		/* a VR of a later edition: 2 reserved bytes, 32-bit length */
		hdr(&b, 0x0009, 0x1002, "ZZ", 0); /* tag, VR, 0000 */
		put32(&b, sizeof(zz));
		memcpy(b.d + b.n, zz, sizeof(zz));
		b.n += sizeof(zz);
	}
	str(&b, 0x0010, 0x0020, "LO", "");
	str(&b, 0x0020, 0x000d, "UI", STUID);
	ds_scan_init(&s, b.enc, want, NWANT, 0, NULL);
	ck_assert_int_eq(ds_scan_feed(&s, b.d, b.n, &err), 0);
	ck_assert_int_eq(ds_scan_finish(&s, &err), 0);
	ck_assert(ds_scan_equals(&s, DS_TAG_SOP_INSTANCE_UID, "1.2.345"));
	ck_assert(ds_scan_equals(&s, DS_TAG_STUDY_INSTANCE_UID, STUID));
	ck_assert(ds_scan_equals(&s, DS_TAG_PATIENT_ID, ""));
	ck_assert_uint_eq(ds_scan_offset(&s), b.n);
}
END_TEST

START_TEST(un_sequence_in_the_explicit_encoding_is_scanned)
{
	/* a writer from before CP-246: the items of an undefined-length UN
	 * in Explicit VR LE, nested sequence and all; and a regular UN
	 * sequence (Implicit VR LE inside) after it */
	static struct ds b, in;
	struct ds_scan s;
	struct cs_err err = { 0, "" };
	size_t i;

	memset(&b, 0, sizeof(b));
	b.enc = DS_ENC_EVR_LE;
	str(&b, 0x0008, 0x0016, "UI", CT);
	str(&b, 0x0008, 0x0018, "UI", IUID);
	str(&b, 0x0009, 0x0010, "LO", "OLD ");
	hdr(&b, 0x0009, 0x1001, "UN", UNDEF);
	ITEM(&b, UNDEF);
	str(&b, 0x0009, 0x1002, "UT", "explicit inside");
	hdr(&b, 0x0009, 0x1003, "SQ", UNDEF);
	ITEM(&b, UNDEF);
	str(&b, 0x0010, 0x0020, "LO", "NESTED");
	ITEM_END(&b);
	SEQ_END(&b);
	ITEM_END(&b);
	ITEM(&b, UNDEF);
	ITEM_END(&b);
	SEQ_END(&b);
	memset(&in, 0, sizeof(in));
	in.enc = DS_ENC_IVR_LE;
	ITEM(&in, UNDEF);
	str(&in, 0x0009, 0x1002, "UT", "implicit inside");
	ITEM_END(&in);
	SEQ_END(&in);
	hdr(&b, 0x0009, 0x1004, "UN", UNDEF);
	memcpy(b.d + b.n, in.d, in.n);
	b.n += in.n;
	str(&b, 0x0020, 0x000d, "UI", STUID);
	for (i = 0; i < 2; i++) {
		ds_scan_init(&s, b.enc, want, NWANT, 0, NULL);
		if (i == 0) {
			ck_assert_int_eq(ds_scan_feed(&s, b.d, b.n, &err), 0);
		} else {
			size_t j;

			for (j = 0; j < b.n; j++)
				ck_assert_int_eq(ds_scan_feed(&s, b.d + j, 1,
				    &err), 0);
		}
		ck_assert_msg(ds_scan_finish(&s, &err) == 0, "%s", err.msg);
		ck_assert(ds_scan_equals(&s, DS_TAG_STUDY_INSTANCE_UID, STUID));
		ck_assert(ds_scan_equals(&s, DS_TAG_SOP_INSTANCE_UID, IUID));
	}
}
END_TEST

START_TEST(nesting_bomb_is_refused)
{
	static struct ds b;
	struct cs_err err;
	int i;

	memset(&b, 0, sizeof(b));
	b.enc = encs[_i];
	for (i = 0; i < 400; i++) {
		hdr(&b, 0x0008, 0x1115, "SQ", UNDEF);
		ITEM(&b, UNDEF);
	}
	ck_assert_int_eq(scan_bad(&b, &err), CS_E_TOOBIG);
	ck_assert_ptr_nonnull(
	    strstr(err.msg, "nests more than 128 sequences in each other"));
}
END_TEST

START_TEST(nesting_up_to_the_limit_is_accepted)
{
	static struct ds b;
	struct ds_scan s;
	int i;

	memset(&b, 0, sizeof(b));
	b.enc = encs[_i];
	/* 16 sequences with an item each: exactly 32 levels */
	for (i = 0; i < DS_SCAN_MAX_DEPTH / 2; i++) {
		hdr(&b, 0x0008, 0x1115, "SQ", UNDEF);
		ITEM(&b, UNDEF);
	}
	for (i = 0; i < DS_SCAN_MAX_DEPTH / 2; i++) {
		ITEM_END(&b);
		SEQ_END(&b);
	}
	str(&b, 0x0008, 0x0060, "CS", "OT");
	ds_scan_init(&s, b.enc, want, NWANT, 0, NULL);
	ck_assert_int_eq(ds_scan_feed(&s, b.d, b.n, NULL), 0);
	ck_assert_int_eq(ds_scan_finish(&s, NULL), 0);
	ck_assert_str_eq(ds_scan_value(&s, DS_TAG_MODALITY, NULL, NULL), "OT");
	/* one sequence more inside the deepest item is one level too many */
	memset(&b, 0, sizeof(b));
	b.enc = encs[_i];
	for (i = 0; i < DS_SCAN_MAX_DEPTH / 2; i++) {
		hdr(&b, 0x0008, 0x1115, "SQ", UNDEF);
		ITEM(&b, UNDEF);
	}
	hdr(&b, 0x0008, 0x1115, "SQ", UNDEF);
	ds_scan_init(&s, b.enc, want, NWANT, 0, NULL);
	ck_assert_int_eq(ds_scan_feed(&s, b.d, b.n, NULL), CS_E_TOOBIG);
}
END_TEST

START_TEST(truncation_inside_open_sequence_is_reported)
{
	static struct ds b;
	struct cs_err err;

	memset(&b, 0, sizeof(b));
	b.enc = encs[_i];
	hdr(&b, 0x0008, 0x1115, "SQ", UNDEF);
	ITEM(&b, UNDEF);
	ck_assert_int_eq(scan_bad(&b, &err), CS_E_TRUNCATED);
	ck_assert_ptr_nonnull(strstr(err.msg, "undefined-length item"));
	memset(&b, 0, sizeof(b));
	b.enc = encs[_i];
	str(&b, 0x0008, 0x0018, "UI", "1.2.3.4");
	b.n -= 3;
	ck_assert_int_eq(scan_bad(&b, &err), CS_E_TRUNCATED);
	ck_assert_str_eq(err.msg, "ends inside the value of (0008,0018), 3 "
				  "bytes short (truncated data set, offset 0)");
}
END_TEST

START_TEST(truncated_value_is_never_exposed)
{
	static struct ds b;
	struct ds_scan s;

	memset(&b, 0, sizeof(b));
	b.enc = encs[_i];
	str(&b, 0x0008, 0x0018, "UI", "1.2.3.4");
	ds_scan_init(&s, b.enc, want, NWANT, 0, NULL);
	ds_scan_feed(&s, b.d, b.n - 3, NULL);
	ck_assert_int_eq(ds_scan_finish(&s, NULL), CS_E_TRUNCATED);
	ck_assert_ptr_null(ds_scan_value(&s, DS_TAG_SOP_INSTANCE_UID, NULL,
	    NULL));
	ck_assert(!ds_scan_equals(&s, DS_TAG_SOP_INSTANCE_UID, "1.2."));
}
END_TEST

START_TEST(transfer_syntax_selects_the_encoding)
{
	enum ds_enc e = 0;

	ck_assert_int_eq(ds_scan_enc_for_ts("1.2.840.10008.1.2", &e), 0);
	ck_assert_int_eq(e, DS_ENC_IVR_LE);
	ck_assert_int_eq(ds_scan_enc_for_ts("1.2.840.10008.1.2.1", &e), 0);
	ck_assert_int_eq(e, DS_ENC_EVR_LE);
	ck_assert_int_eq(ds_scan_enc_for_ts("1.2.840.10008.1.2.2", &e), 0);
	ck_assert_int_eq(e, DS_ENC_EVR_BE);
	ck_assert_int_eq(ds_scan_enc_for_ts("1.2.840.10008.1.2.4.50", &e), 0);
	ck_assert_int_eq(e, DS_ENC_EVR_LE);
	ck_assert_int_eq(ds_scan_enc_for_ts("1.2.840.10008.1.2.5", &e), 0);
	ck_assert_int_eq(e, DS_ENC_EVR_LE);
	ck_assert_int_eq(ds_scan_enc_for_ts("1.2.840.10008.1.2.1.99", &e),
	    CS_E_UNSUPPORTED);
	ck_assert_int_eq(ds_scan_enc_for_ts("1.2.840.10008.1.2.4.95", &e),
	    CS_E_UNSUPPORTED);
	ck_assert_int_eq(ds_scan_enc_for_ts("1.2.840.10008.1.2.4.205", &e),
	    CS_E_UNSUPPORTED);
	ck_assert_int_eq(ds_scan_enc_for_ts("1.2.840.10008.1.20", &e),
	    CS_E_UNSUPPORTED);
	ck_assert_int_eq(ds_scan_enc_for_ts("1.2.840.113619.5.2", &e),
	    CS_E_UNSUPPORTED);
	ck_assert_int_eq(ds_scan_enc_for_ts(NULL, &e), CS_E_INVAL);
}
END_TEST

START_TEST(init_checks_its_arguments)
{
	struct ds_scan s;
	struct cs_err err = { 0 };
	uint32_t many[DS_SCAN_MAX_TAGS + 1];
	const uint32_t twice[] = { DS_TAG_MODALITY, DS_TAG_MODALITY };
	const uint32_t item[] = { DS_TAG(0xfffe, 0xe000) };
	size_t i;

	for (i = 0; i < DS_SCAN_MAX_TAGS + 1; i++)
		many[i] = DS_TAG(0x0009, i);
	ck_assert_int_eq(ds_scan_init(&s, DS_ENC_EVR_LE, many,
	    DS_SCAN_MAX_TAGS, 0, &err), 0);
	ck_assert_int_eq(ds_scan_init(&s, DS_ENC_EVR_LE, many,
	    DS_SCAN_MAX_TAGS + 1, 0, &err), CS_E_INVAL);
	ck_assert_str_eq(err.msg, "too many tags to capture (at most 24)");
	/* a failed init leaves a scanner that refuses input */
	ck_assert_int_eq(ds_scan_feed(&s, "x", 1, NULL), CS_E_INVAL);
	ck_assert_int_eq(ds_scan_init(&s, DS_ENC_EVR_LE, twice, 2, 0, NULL),
	    0);
	ck_assert_int_eq(ds_scan_init(&s, DS_ENC_EVR_LE, item, 1, 0, NULL),
	    CS_E_INVAL);
	ck_assert_int_eq(ds_scan_init(&s, (enum ds_enc)7, want, NWANT, 0,
	    NULL), CS_E_INVAL);
	/* nothing wanted and stop early: done at once */
	ck_assert_int_eq(ds_scan_init(&s, DS_ENC_EVR_LE, NULL, 0,
	    DS_SCAN_STOP_EARLY, NULL), 0);
	ck_assert(ds_scan_done(&s));
}
END_TEST

START_TEST(dicm_in_front_of_a_dataset_is_refused)
{
	static const uint8_t part10[] = "DICM\x02\x00\x00\x00UL\x04\x00";
	struct ds_scan s;
	struct cs_err err = { 0 };
	int rc;

	/* a peer sending a whole file as a dataset: "DI" "CM" is read as
	 * tag (4944,4D43), then VR 0x0200 */
	ds_scan_init(&s, DS_ENC_EVR_LE, want, NWANT, 0, NULL);
	rc = ds_scan_feed(&s, part10, sizeof(part10) - 1, &err);
	ck_assert_int_eq(rc, CS_E_PROTO);
	ck_assert_ptr_nonnull(strstr(err.msg, "unknown VR"));
}
END_TEST

Suite *
ds_scan_suite(void)
{
	Suite *s = suite_create("ds_scan");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, scans_whole_dataset_in_each_encoding, 0, 3);
	tcase_add_loop_test(tc, scans_one_byte_at_a_time_in_each_encoding, 0,
	    3);
	tcase_add_loop_test(tc, scans_split_at_every_point_in_each_encoding,
	    0, 3);
	tcase_add_loop_test(tc,
	    skipping_what_it_only_counts_gives_the_same_scan, 0, 3);
	tcase_add_loop_test(tc, skip_is_refused_where_the_scanner_must_see, 0,
	    3);
	tcase_add_loop_test(tc, every_proper_prefix_is_reported_truncated, 0,
	    3);
	tcase_add_loop_test(tc, stop_early_ends_after_the_last_wanted_tag, 0,
	    3);
	tcase_add_test(tc, stop_early_ends_at_a_tag_past_the_missing_ones);
	tcase_add_loop_test(tc, long_value_is_kept_as_prefix_and_flagged, 0,
	    3);
	tcase_add_test(tc, empty_and_absent_values_differ);
	tcase_add_test(tc, embedded_nul_never_compares_equal);
	tcase_add_test(tc, value_is_hidden_until_complete);
	tcase_add_test(tc, huge_value_is_skipped_without_memory);
	tcase_add_test(tc,
	    sequence_delimiter_with_nonzero_length_is_tolerated);
	tcase_add_loop_test(tc, undefined_length_is_refused_for_plain_vrs, 0,
	    2);
	tcase_add_test(tc, implicit_undefined_length_must_hold_items);
	tcase_add_test(tc, bad_vr_is_refused);
	tcase_add_loop_test(tc, deep_scan_takes_the_main_dataset_byte_by_byte, 0,
	    3);
	tcase_add_loop_test(
	    tc, deep_scan_refuses_what_a_defined_length_sequence_hides, 0, 2);
	tcase_add_loop_test(tc,
	    deep_scan_takes_a_sequence_delimiter_ending_a_defined_length, 0, 2);
	tcase_add_loop_test(
	    tc, deep_scan_counts_the_nesting_limit_as_the_shallow_one, 0, 2);
	tcase_add_loop_test(tc, items_and_delimiters_out_of_place_are_refused,
	    0, 3);
	tcase_add_test(tc, a_stray_delimiter_names_no_element);
	tcase_add_loop_test(tc, items_after_pixel_data_are_no_fragments, 0, 2);
	tcase_add_loop_test(tc, fragment_of_undefined_length_is_refused, 0,
	    2);
	tcase_add_loop_test(tc, duplicate_wanted_tag_is_refused, 0, 3);
	tcase_add_loop_test(tc, duplicate_with_the_same_value_is_accepted, 0,
	    3);
	tcase_add_loop_test(tc, duplicate_too_long_to_compare_is_refused, 0,
	    3);
	tcase_add_loop_test(tc, what_real_writers_make_is_scanned, 0, 3);
	tcase_add_test(tc, un_sequence_in_the_explicit_encoding_is_scanned);
	tcase_add_loop_test(tc, nesting_bomb_is_refused, 0, 3);
	tcase_add_loop_test(tc, nesting_up_to_the_limit_is_accepted, 0, 3);
	tcase_add_loop_test(tc, truncation_inside_open_sequence_is_reported,
	    0, 3);
	tcase_add_loop_test(tc, truncated_value_is_never_exposed, 0, 3);
	tcase_add_test(tc, transfer_syntax_selects_the_encoding);
	tcase_add_test(tc, init_checks_its_arguments);
	tcase_add_test(tc, dicm_in_front_of_a_dataset_is_refused);
	suite_add_tcase(s, tc);
	return s;
}
