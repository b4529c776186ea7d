/* t_commit_ds.c - Storage Commitment data sets against DCMTK's dump2dcm. */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cstore/cstore.h"
#include "core/buf.h"
#include "core/commit_ds.h"
#include "core/ts_uids.h"
#include "vectors.h"

Suite *commit_ds_suite(void);

#define SC "1.2.840.10008.5.1.4.1.1.7"
#define CT "1.2.840.10008.5.1.4.1.1.2"

static uint8_t *
slurp(const char *name, size_t *len)
{
	char path[256];
	uint8_t *b = NULL;

	snprintf(path, sizeof(path), "tests/data/%s", name);
	ck_assert_msg(vec_read_file(path, &b, len) == 0, "cannot open %s",
	    path);
	return b;
}

/* What a decode found. */
struct got {
	int n;
	char cls[8][COMMIT_UID_MAX + 1];
	char inst[8][COMMIT_UID_MAX + 1];
	int failed[8];
	uint16_t reason[8];
	int stop_at; /* return 99 from this call (1-based), 0 never */
};

static int
on_ref(void *ctx, int failed, const struct commit_ref *ref)
{
	struct got *g = ctx;

	ck_assert_int_lt(g->n, 8);
	snprintf(g->cls[g->n], sizeof(g->cls[0]), "%s", ref->sop_class);
	snprintf(g->inst[g->n], sizeof(g->inst[0]), "%s", ref->sop_instance);
	g->failed[g->n] = failed;
	g->reason[g->n] = ref->failure_reason;
	g->n++;
	return g->n == g->stop_at ? 99 : 0;
}

/* Decodes from an exact-size heap copy, so that ASan sees any over-read. */
static int
decode(const uint8_t *p, size_t len, enum ds_enc enc, char *tx,
    struct got *g, struct cs_err *err)
{
	struct commit_ds_cb cb = { on_ref, g };
	uint8_t *copy = malloc(len ? len : 1);
	int rc;

	ck_assert_ptr_nonnull(copy);
	if (len)
		memcpy(copy, p, len);
	rc = commit_ds_decode(copy, len, enc, tx, &cb, err);
	free(copy);
	return rc;
}

START_TEST(dcmtk_reports_decode_in_every_encoding_and_length_form)
{
	static const struct {
		const char *file;
		enum ds_enc enc;
	} cases[] = {
		{ "commit-report-ti-undef.dcm", DS_ENC_IVR_LE },
		{ "commit-report-ti-def.dcm", DS_ENC_IVR_LE },
		{ "commit-report-te-undef.dcm", DS_ENC_EVR_LE },
		{ "commit-report-te-def.dcm", DS_ENC_EVR_LE },
		{ "commit-report-tb-undef.dcm", DS_ENC_EVR_BE },
		{ "commit-report-tb-def.dcm", DS_ENC_EVR_BE },
	};
	size_t k;

	for (k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		struct got g = { 0 };
		struct cs_err err = { 0, "" };
		char tx[COMMIT_UID_MAX + 1];
		size_t len;
		uint8_t *b = slurp(cases[k].file, &len);

		ck_assert_msg(decode(b, len, cases[k].enc, tx, &g, &err) == 0,
		    "%s: %s", cases[k].file, err.msg);
		ck_assert_str_eq(tx, "1.2.826.0.1.3680043.9.7777.1.42");
		ck_assert_int_eq(g.n, 3);
		/* in data set order: the Failed SOP Sequence comes first */
		ck_assert_int_eq(g.failed[0], 1);
		ck_assert_str_eq(g.cls[0], SC);
		ck_assert_str_eq(g.inst[0], "1.2.3.4.5.2");
		ck_assert_uint_eq(g.reason[0], COMMIT_FAIL_NO_SUCH_INSTANCE);
		ck_assert_int_eq(g.failed[1], 1);
		ck_assert_str_eq(g.cls[1], CT);
		ck_assert_str_eq(g.inst[1], "1.2.3.4.5.3");
		ck_assert_uint_eq(g.reason[1],
		    COMMIT_FAIL_CLASS_NOT_SUPPORTED);
		ck_assert_int_eq(g.failed[2], 0);
		ck_assert_str_eq(g.cls[2], SC);
		ck_assert_str_eq(g.inst[2], "1.2.3.4.5.1");
		ck_assert_uint_eq(g.reason[2], 0);
		free(b);
	}
}
END_TEST

/* Encodes into a fresh writer and compares with a dump2dcm file. */
static void
assert_encodes_as(const char *file, enum ds_enc enc,
    const struct commit_ref *ok, size_t nok, const struct commit_ref *bad,
    size_t nbad)
{
	struct wr w;
	struct cs_err err = { 0, "" };
	size_t len;
	uint8_t *want = slurp(file, &len);
	int n;

	wr_init(&w, 1u << 20);
	n = commit_ds_encode(&w, enc, "1.2.826.0.1.3680043.9.7777.1.43", ok,
	    nok, bad, nbad, &err);
	ck_assert_msg(n > 0, "%s: %s", file, err.msg);
	ck_assert_uint_eq((size_t)n, w.len);
	ck_assert_msg(w.len == len, "%s: %zu bytes, DCMTK wrote %zu", file,
	    w.len, len);
	ck_assert_mem_eq(w.p, want, len);
	wr_release(&w);
	free(want);
}

START_TEST(encoder_writes_what_dump2dcm_writes_byte_for_byte)
{
	const struct commit_ref rq[] = { { SC, "1.2.3.4.5.1", 0 },
		{ CT, "1.2.3.4.5.10", 0 } };
	const struct commit_ref ok[] = { { SC, "1.2.3.4.5.1", 0 } };
	const struct commit_ref bad[] = { { CT, "1.2.3.4.5.10",
		COMMIT_FAIL_NO_SUCH_INSTANCE } };

	assert_encodes_as("commit-request-ti.dcm", DS_ENC_IVR_LE, rq, 2,
	    NULL, 0);
	assert_encodes_as("commit-request-te.dcm", DS_ENC_EVR_LE, rq, 2,
	    NULL, 0);
	assert_encodes_as("commit-failures-ti.dcm", DS_ENC_IVR_LE, ok, 1,
	    bad, 1);
	assert_encodes_as("commit-failures-te.dcm", DS_ENC_EVR_LE, ok, 1,
	    bad, 1);
}
END_TEST

START_TEST(encoder_refuses_bad_uids_and_big_endian_and_leaves_w_alone)
{
	const struct commit_ref long_uid[] = { { SC,
		"1.2.3.4.5.6.7.8.9.10.11.12.13.14.15.16.17.18.19.20.21.22.23."
		"24.25.26.27", 0 } };
	const struct commit_ref empty[] = { { "", "1.2", 0 } };
	const struct commit_ref ctl[] = { { SC, "1.2\n3", 0 } };
	const struct commit_ref one[] = { { SC, "1.2.3", 0 } };
	struct wr w;
	struct cs_err err = { 0, "" };

	wr_init(&w, 1u << 20);
	wr_u8(&w, 0xAB);
	ck_assert_int_eq(commit_ds_encode(&w, DS_ENC_IVR_LE, "1.2", long_uid,
	    1, NULL, 0, &err), CS_E_INVAL);
	ck_assert_int_eq(commit_ds_encode(&w, DS_ENC_IVR_LE, "1.2", empty,
	    1, NULL, 0, &err), CS_E_INVAL);
	ck_assert_int_eq(commit_ds_encode(&w, DS_ENC_IVR_LE, "1.2", ctl, 1,
	    NULL, 0, &err), CS_E_INVAL);
	ck_assert_int_eq(commit_ds_encode(&w, DS_ENC_IVR_LE, "", one, 1,
	    NULL, 0, &err), CS_E_INVAL);
	ck_assert_int_eq(commit_ds_encode(&w, DS_ENC_EVR_BE, "1.2", one, 1,
	    NULL, 0, &err), CS_E_UNSUPPORTED);
	ck_assert_uint_eq(w.len, 1);
	/* a writer that cannot grow: nothing half-written stays */
	wr_release(&w);
	wr_init(&w, 40);
	ck_assert_int_eq(commit_ds_encode(&w, DS_ENC_IVR_LE, "1.2", one, 1,
	    NULL, 0, &err), CS_E_TOOBIG);
	ck_assert_uint_eq(w.len, 0);
	wr_release(&w);
}
END_TEST

START_TEST(round_trips_in_both_little_endian_encodings)
{
	const struct commit_ref ok[] = { { SC, "1.2.3", 0 },
		{ CT, "1.2.33", 0 } };
	const struct commit_ref bad[] = { { SC, "9.8", 0x0110 },
		{ CT, "9.88", 0x0213 } };
	enum ds_enc encs[] = { DS_ENC_IVR_LE, DS_ENC_EVR_LE };
	size_t k;

	for (k = 0; k < 2; k++) {
		struct wr w;
		struct got g = { 0 };
		struct cs_err err = { 0, "" };
		char tx[COMMIT_UID_MAX + 1];

		wr_init(&w, 1u << 20);
		ck_assert_int_gt(commit_ds_encode(&w, encs[k], "2.25.1", ok, 2,
		    bad, 2, &err), 0);
		ck_assert_msg(decode(w.p, w.len, encs[k], tx, &g, &err) == 0,
		    "%s", err.msg);
		ck_assert_str_eq(tx, "2.25.1");
		ck_assert_int_eq(g.n, 4);
		ck_assert_str_eq(g.inst[0], "9.8");
		ck_assert_uint_eq(g.reason[1], 0x0213);
		ck_assert_int_eq(g.failed[2], 0);
		ck_assert_str_eq(g.inst[3], "1.2.33");
		wr_release(&w);
	}
}
END_TEST

START_TEST(every_truncation_fails_cleanly_or_keeps_a_complete_prefix)
{
	static const char *files[] = { "commit-report-ti-undef.dcm",
		"commit-report-te-def.dcm", "commit-report-tb-undef.dcm" };
	static const enum ds_enc encs[] = { DS_ENC_IVR_LE, DS_ENC_EVR_LE,
		DS_ENC_EVR_BE };
	size_t k, cut;

	for (k = 0; k < 3; k++) {
		size_t len;
		uint8_t *b = slurp(files[k], &len);

		for (cut = 0; cut < len; cut++) {
			struct got g = { 0 };
			struct cs_err err = { 0, "" };
			char tx[COMMIT_UID_MAX + 1];
			int rc = decode(b, cut, encs[k], tx, &g, &err);

			/* Only a cut between top-level elements can pass,
			 * and then never with a sequence half read. */
			ck_assert(rc == 0 || rc == CS_E_PROTO);
			if (rc == CS_E_PROTO)
				ck_assert(err.msg[0] != '\0');
			else
				ck_assert(g.n == 0 || g.n == 2);
		}
		free(b);
	}
}
END_TEST

START_TEST(malformed_reports_are_refused_with_a_reason)
{
	/* IVR LE: an item without its instance UID */
	static const uint8_t no_instance[] = {
		0x08, 0x00, 0x95, 0x11, 0x04, 0x00, 0x00, 0x00, '1', '.', '2',
		0x00, 0x08, 0x00, 0x99, 0x11, 0x14, 0x00, 0x00, 0x00, 0xfe,
		0xff, 0x00, 0xe0, 0x0c, 0x00, 0x00, 0x00, 0x08, 0x00, 0x50,
		0x11, 0x04, 0x00, 0x00, 0x00, '1', '.', '2', 0x00,
	};
	/* no Transaction UID at all */
	static const uint8_t no_tx[] = { 0x08, 0x00, 0x54, 0x00, 0x02, 0x00,
		0x00, 0x00, 'A', ' ' };
	/* an item whose length runs past its sequence */
	static const uint8_t overrun[] = {
		0x08, 0x00, 0x95, 0x11, 0x04, 0x00, 0x00, 0x00, '1', '.', '2',
		0x00, 0x08, 0x00, 0x99, 0x11, 0x08, 0x00, 0x00, 0x00, 0xfe,
		0xff, 0x00, 0xe0, 0xff, 0x00, 0x00, 0x00,
	};
	/* a Failure Reason of 4 bytes */
	static const uint8_t long_reason[] = {
		0x08, 0x00, 0x95, 0x11, 0x04, 0x00, 0x00, 0x00, '1', '.', '2',
		0x00, 0x08, 0x00, 0x98, 0x11, 0x24, 0x00, 0x00, 0x00, 0xfe,
		0xff, 0x00, 0xe0, 0x1c, 0x00, 0x00, 0x00, 0x08, 0x00, 0x50,
		0x11, 0x02, 0x00, 0x00, 0x00, '1', 0x00, 0x08, 0x00, 0x55,
		0x11, 0x02, 0x00, 0x00, 0x00, '2', 0x00, 0x08, 0x00, 0x97,
		0x11, 0x04, 0x00, 0x00, 0x00, 0x10, 0x01, 0x00, 0x00,
	};
	static const struct {
		const uint8_t *p;
		size_t n;
		const char *msg;
	} cases[] = {
		{ no_instance, sizeof(no_instance), "lacks its Referenced SOP "
		    "Instance UID" },
		{ no_tx, sizeof(no_tx), "no Transaction UID" },
		{ overrun, sizeof(overrun), "runs past" },
		{ long_reason, sizeof(long_reason), "not one US" },
	};
	size_t k;

	for (k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		struct got g = { 0 };
		struct cs_err err = { 0, "" };
		char tx[COMMIT_UID_MAX + 1];

		ck_assert_int_eq(decode(cases[k].p, cases[k].n, DS_ENC_IVR_LE,
		    tx, &g, &err), CS_E_PROTO);
		ck_assert_msg(strstr(err.msg, cases[k].msg) != NULL,
		    "case %zu: %s", k, err.msg);
	}
}
END_TEST

START_TEST(odd_but_valid_structures_decode)
{
	/* IVR LE: an undefined-length Referenced SOP Sequence whose first
	 * item has a defined length and still ends with an Item
	 * Delimitation Item (some writers), a private sequence inside the
	 * second (undefined-length) item, a sequence delimiter of FFFFFFFF */
	static const uint8_t odd[] = {
		0x08, 0x00, 0x95, 0x11, 0x04, 0x00, 0x00, 0x00, '1', '.', '2',
		0x00, 0x08, 0x00, 0x99, 0x11, 0xff, 0xff, 0xff, 0xff,
		/* item, 28 bytes: two UIDs and the delimiter */
		0xfe, 0xff, 0x00, 0xe0, 0x1c, 0x00, 0x00, 0x00, 0x08, 0x00,
		0x50, 0x11, 0x02, 0x00, 0x00, 0x00, '1', 0x00, 0x08, 0x00,
		0x55, 0x11, 0x02, 0x00, 0x00, 0x00, '2', 0x00, 0xfe, 0xff,
		0x0d, 0xe0, 0x00, 0x00, 0x00, 0x00,
		/* item of undefined length */
		0xfe, 0xff, 0x00, 0xe0, 0xff, 0xff, 0xff, 0xff, 0x08, 0x00,
		0x50, 0x11, 0x02, 0x00, 0x00, 0x00, '1', 0x00, 0x09, 0x00,
		0x01, 0x10, 0xff, 0xff, 0xff, 0xff, 0xfe, 0xff, 0x00, 0xe0,
		0xff, 0xff, 0xff, 0xff, 0xfe, 0xff, 0x0d, 0xe0, 0x00, 0x00,
		0x00, 0x00, 0xfe, 0xff, 0xdd, 0xe0, 0x00, 0x00, 0x00, 0x00,
		0x08, 0x00, 0x55, 0x11, 0x02, 0x00, 0x00, 0x00, '3', 0x00,
		0xfe, 0xff, 0x0d, 0xe0, 0x00, 0x00, 0x00, 0x00,
		0xfe, 0xff, 0xdd, 0xe0, 0xff, 0xff, 0xff, 0xff,
	};
	struct got g = { 0 };
	struct cs_err err = { 0, "" };
	char tx[COMMIT_UID_MAX + 1];

	ck_assert_msg(decode(odd, sizeof(odd), DS_ENC_IVR_LE, tx, &g, &err) ==
	    0, "%s", err.msg);
	ck_assert_str_eq(tx, "1.2");
	ck_assert_int_eq(g.n, 2);
	ck_assert_str_eq(g.inst[0], "2");
	ck_assert_str_eq(g.inst[1], "3");
}
END_TEST

START_TEST(a_callback_can_stop_the_decoder)
{
	struct got g = { 0 };
	struct cs_err err = { 0, "" };
	char tx[COMMIT_UID_MAX + 1];
	size_t len;
	uint8_t *b = slurp("commit-report-te-undef.dcm", &len);

	g.stop_at = 2;
	ck_assert_int_eq(decode(b, len, DS_ENC_EVR_LE, tx, &g, &err), 99);
	ck_assert_int_eq(g.n, 2);
	free(b);
	ck_assert_str_eq(commit_failure_text(0x0112),
	    "no such object instance");
	ck_assert_ptr_null(commit_failure_text(0x0001));
}
END_TEST

START_TEST(one_choice_of_transfer_syntax_for_every_side)
{
	struct ul_pc pc;
	enum ds_enc enc = 0;

	memset(&pc, 0, sizeof(pc));
	commit_ts_propose(&pc);
	ck_assert_int_eq(pc.n_ts, 2);
	ck_assert_str_eq(pc.ts[0], TS_UID_ExplicitVRLittleEndian);
	ck_assert_str_eq(pc.ts[1], TS_UID_ImplicitVRLittleEndian);
	ck_assert_int_eq(commit_ts_enc(pc.ts[1], &enc), 0);
	ck_assert_int_eq(enc, DS_ENC_IVR_LE);
	ck_assert_int_eq(commit_ts_enc(pc.ts[0], &enc), 0);
	ck_assert_int_eq(enc, DS_ENC_EVR_LE);
	/* encapsulated syntaxes are Explicit VR LE too, but not for us */
	ck_assert_int_eq(commit_ts_enc(TS_UID_JPEGBaseline8Bit, &enc),
	    CS_E_UNSUPPORTED);
	ck_assert_int_eq(commit_ts_enc(TS_UID_ExplicitVRBigEndian, &enc),
	    CS_E_UNSUPPORTED);
	ck_assert_int_eq(enc, DS_ENC_EVR_LE);
	/* the proposer's order: the first we speak */
	pc.n_ts = 3;
	snprintf(pc.ts[0], sizeof(pc.ts[0]), "%s", TS_UID_ExplicitVRBigEndian);
	snprintf(pc.ts[1], sizeof(pc.ts[1]), "%s",
	    TS_UID_ImplicitVRLittleEndian);
	snprintf(pc.ts[2], sizeof(pc.ts[2]), "%s",
	    TS_UID_ExplicitVRLittleEndian);
	ck_assert_int_eq(commit_ts_pick(&pc), 1);
	pc.n_ts = 1;
	ck_assert_int_eq(commit_ts_pick(&pc), -1);
}
END_TEST

Suite *
commit_ds_suite(void)
{
	Suite *s = suite_create("commit_ds");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc,
	    dcmtk_reports_decode_in_every_encoding_and_length_form);
	tcase_add_test(tc, encoder_writes_what_dump2dcm_writes_byte_for_byte);
	tcase_add_test(tc,
	    encoder_refuses_bad_uids_and_big_endian_and_leaves_w_alone);
	tcase_add_test(tc, round_trips_in_both_little_endian_encodings);
	tcase_add_test(tc,
	    every_truncation_fails_cleanly_or_keeps_a_complete_prefix);
	tcase_add_test(tc, malformed_reports_are_refused_with_a_reason);
	tcase_add_test(tc, a_callback_can_stop_the_decoder);
	tcase_add_test(tc, one_choice_of_transfer_syntax_for_every_side);
	tcase_add_test(tc, odd_but_valid_structures_decode);
	suite_add_tcase(s, tc);
	return s;
}
