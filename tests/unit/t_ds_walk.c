/* t_ds_walk.c - the shared data set structure walker (core/ds_walk.h). */
#include <check.h>
#include <string.h>

#include "cstore/cstore.h"
#include "core/ds_walk.h"

Suite *ds_walk_suite(void);

#define UNDEF 0xffffffffu

static const enum ds_enc encs[] = { DS_ENC_IVR_LE, DS_ENC_EVR_LE,
	DS_ENC_EVR_BE };

static int
is_long(const char *vr)
{
	return strstr("OB OD OF OL OV OW SQ SV UC UN UR UT UV", vr) != NULL;
}

/* A header in enc (vr ignored in Implicit VR and for group FFFE). */
static void
hdr(struct wr *w, enum ds_enc enc, uint16_t g, uint16_t e, const char *vr,
    uint32_t len)
{
	int be = enc == DS_ENC_EVR_BE;

	if (be) {
		wr_be16(w, g);
		wr_be16(w, e);
	} else {
		wr_le16(w, g);
		wr_le16(w, e);
	}
	if (enc != DS_ENC_IVR_LE && g != 0xfffe) {
		wr_bytes(w, vr, 2);
		if (!is_long(vr)) {
			if (be)
				wr_be16(w, (uint16_t)len);
			else
				wr_le16(w, (uint16_t)len);
			return;
		}
		wr_le16(w, 0);
	}
	if (be)
		wr_be32(w, len);
	else
		wr_le32(w, len);
}

static void
text(struct wr *w, enum ds_enc enc, uint16_t g, uint16_t e, const char *vr,
    const char *v)
{
	hdr(w, enc, g, e, vr, (uint32_t)strlen(v));
	wr_bytes(w, v, strlen(v));
}

/* One step as the tests write it down. */
struct want {
	enum ds_walk_ev ev;
	uint32_t tag;
	unsigned depth;
	enum ds_value_kind kind;
};

/* Walks w->p over memory, skipping values, and compares every step. */
static void
walk_expect(const struct wr *b, enum ds_enc enc, const struct want *want,
    size_t n)
{
	struct ds_walk w;
	struct ds_walk_step st;
	struct cs_err err = { 0, "" };
	struct rd r;
	size_t i;
	int rc;

	ck_assert_int_eq(ds_walk_init(&w, enc, b->len, DS_WALK_DATASET), 0);
	rd_init(&r, b->p, b->len);
	for (i = 0; i < n; i++) {
		rd_skip(&r, (size_t)ds_walk_pending(&w));
		rc = ds_walk_next(&w, &r, &st, &err);
		ck_assert_msg(rc == 0, "step %zu: rc %d %s", i, rc, err.msg);
		ck_assert_msg(st.ev == want[i].ev && st.e.tag == want[i].tag &&
			st.depth == want[i].depth && st.kind == want[i].kind,
		    "step %zu: ev %d tag %08x depth %u kind %d", i, st.ev,
		    st.e.tag, st.depth, st.kind);
	}
	rd_skip(&r, (size_t)ds_walk_pending(&w));
	ck_assert_int_eq(ds_walk_next(&w, &r, &st, &err), DS_WALK_END);
	ck_assert_uint_eq(rd_left(&r), 0);
}

#define SQ1 DS_TAG(0x0008, 0x1115)
#define SQ2 DS_TAG(0x0008, 0x1140)
#define PN DS_TAG(0x0010, 0x0010)

START_TEST(walk_steps_into_nested_undefined_lengths_and_out)
{
	const enum ds_enc enc = encs[_i];
	const struct want want[] = {
		{ DS_WALK_ELEM, SQ1, 0, DS_KIND_SEQUENCE },
		{ DS_WALK_ITEM, DS_TAG_ITEM, 1, DS_KIND_ITEM },
		{ DS_WALK_ELEM, SQ2, 2, DS_KIND_SEQUENCE },
		{ DS_WALK_ITEM, DS_TAG_ITEM, 3, DS_KIND_ITEM },
		{ DS_WALK_ELEM, PN, 4, DS_KIND_VALUE },
		{ DS_WALK_CLOSE, DS_TAG_ITEM, 3, DS_KIND_ITEM },
		{ DS_WALK_CLOSE, SQ2, 2, DS_KIND_SEQUENCE },
		{ DS_WALK_CLOSE, DS_TAG_ITEM, 1, DS_KIND_ITEM },
		{ DS_WALK_CLOSE, SQ1, 0, DS_KIND_SEQUENCE },
		{ DS_WALK_ELEM, PN, 0, DS_KIND_VALUE },
	};
	struct wr b;

	wr_init(&b, 1 << 12);
	hdr(&b, enc, 0x0008, 0x1115, "SQ", UNDEF);
	hdr(&b, enc, 0xfffe, 0xe000, "", UNDEF);
	hdr(&b, enc, 0x0008, 0x1140, "SQ", UNDEF);
	hdr(&b, enc, 0xfffe, 0xe000, "", UNDEF);
	text(&b, enc, 0x0010, 0x0010, "PN", "DOE^J");
	hdr(&b, enc, 0xfffe, 0xe00d, "", 0);
	/* a sequence delimiter with FFFFFFFF: some writers, same meaning */
	hdr(&b, enc, 0xfffe, 0xe0dd, "", UNDEF);
	hdr(&b, enc, 0xfffe, 0xe00d, "", 0);
	hdr(&b, enc, 0xfffe, 0xe0dd, "", 0);
	text(&b, enc, 0x0010, 0x0010, "PN", "ODD");
	walk_expect(&b, enc, want, sizeof(want) / sizeof(want[0]));
	wr_release(&b);
}
END_TEST

START_TEST(walk_enters_defined_lengths_and_closes_them_at_their_end)
{
	const enum ds_enc enc = encs[_i];
	/* in Implicit VR a defined-length sequence is a value by its header */
	const enum ds_value_kind sq = enc == DS_ENC_IVR_LE ? DS_KIND_VALUE
							   : DS_KIND_SEQUENCE;
	struct ds_walk w;
	struct ds_walk_step st;
	struct cs_err err = { 0, "" };
	struct rd r;
	struct wr b;

	wr_init(&b, 1 << 12);
	hdr(&b, enc, 0x0008, 0x1115, "SQ", 8 + 8 + 4 + 8);
	hdr(&b, enc, 0xfffe, 0xe000, "", 8 + 4 + 8);
	text(&b, enc, 0x0010, 0x0010, "PN", "A^B ");
	/* an Item Delimitation Item ending a defined-length item too */
	hdr(&b, enc, 0xfffe, 0xe00d, "", 0);
	text(&b, enc, 0x0010, 0x0020, "LO", "ID");
	ds_walk_init(&w, enc, b.len, DS_WALK_DATASET);
	rd_init(&r, b.p, b.len);
	ck_assert_int_eq(ds_walk_next(&w, &r, &st, &err), 0);
	ck_assert_int_eq(st.kind, sq);
	ck_assert_int_eq(ds_walk_enter(&w, &err), 0);
	ck_assert_int_eq(ds_walk_next(&w, &r, &st, &err), 0);
	ck_assert_int_eq(st.ev, DS_WALK_ITEM);
	ck_assert_int_eq(ds_walk_enter(&w, &err), 0);
	ck_assert_int_eq(ds_walk_next(&w, &r, &st, &err), 0);
	ck_assert_uint_eq(st.e.tag, PN);
	ck_assert_uint_eq(st.depth, 2);
	rd_skip(&r, (size_t)ds_walk_pending(&w));
	ck_assert_int_eq(ds_walk_next(&w, &r, &st, &err), 0);
	ck_assert_int_eq(st.ev, DS_WALK_CLOSE); /* the delimiter */
	ck_assert_uint_eq(st.depth, 1);
	ck_assert_int_eq(ds_walk_next(&w, &r, &st, &err), 0);
	ck_assert_int_eq(st.ev, DS_WALK_CLOSE); /* the sequence, by length */
	ck_assert_uint_eq(st.e.tag, SQ1);
	ck_assert_uint_eq(st.depth, 0);
	ck_assert_int_eq(ds_walk_next(&w, &r, &st, &err), 0);
	ck_assert_uint_eq(st.e.tag, DS_TAG(0x0010, 0x0020));
	rd_skip(&r, (size_t)ds_walk_pending(&w));
	ck_assert_int_eq(ds_walk_next(&w, &r, &st, &err), DS_WALK_END);
	/* the same walked whole by ds_walk_pass */
	ds_walk_init(&w, enc, b.len, DS_WALK_DATASET);
	rd_init(&r, b.p, b.len);
	ck_assert_int_eq(ds_walk_next(&w, &r, &st, &err), 0);
	ck_assert_int_eq(ds_walk_pass(&w, &r, &st, true, NULL, NULL, &err), 0);
	ck_assert_int_eq(ds_walk_next(&w, &r, &st, &err), 0);
	ck_assert_uint_eq(st.e.tag, DS_TAG(0x0010, 0x0020));
	wr_release(&b);
}
END_TEST

START_TEST(walk_refuses_what_overruns_a_defined_length)
{
	const enum ds_enc enc = encs[_i];
	struct ds_walk w;
	struct ds_walk_step st;
	struct cs_err err = { 0, "" };
	struct rd r;
	struct wr b;

	wr_init(&b, 1 << 12);
	hdr(&b, enc, 0x0008, 0x1115, "SQ", UNDEF);
	hdr(&b, enc, 0xfffe, 0xe000, "", 8 + 2); /* 2 bytes short */
	text(&b, enc, 0x0010, 0x0010, "PN", "A^B ");
	hdr(&b, enc, 0xfffe, 0xe0dd, "", 0);
	ds_walk_init(&w, enc, b.len, DS_WALK_DATASET);
	rd_init(&r, b.p, b.len);
	ck_assert_int_eq(ds_walk_next(&w, &r, &st, &err), 0);
	ck_assert_int_eq(ds_walk_next(&w, &r, &st, &err), 0);
	ck_assert_int_eq(ds_walk_pass(&w, &r, &st, true, NULL, NULL, &err),
	    CS_E_PROTO);
	ck_assert_ptr_nonnull(strstr(err.msg, "(0010,0010) runs past the end "
	    "of (FFFE,E000)"));
	wr_release(&b);
}
END_TEST

START_TEST(walk_reads_un_items_as_their_writer_encoded_them)
{
	/* PS3.5 6.2.2: Implicit VR LE inside; before CP-246 Explicit VR LE */
	struct ds_walk w;
	struct ds_walk_step st;
	struct cs_err err = { 0, "" };
	struct rd r;
	struct wr b;
	enum ds_enc seen[2];
	int n = 0, rc;

	wr_init(&b, 1 << 12);
	hdr(&b, DS_ENC_EVR_LE, 0x0009, 0x1001, "UN", UNDEF);
	hdr(&b, DS_ENC_IVR_LE, 0xfffe, 0xe000, "", UNDEF);
	text(&b, DS_ENC_IVR_LE, 0x0009, 0x1002, "", "implicit");
	hdr(&b, DS_ENC_IVR_LE, 0xfffe, 0xe00d, "", 0);
	hdr(&b, DS_ENC_IVR_LE, 0xfffe, 0xe000, "", UNDEF);
	text(&b, DS_ENC_EVR_LE, 0x0009, 0x1002, "UT", "explicit");
	hdr(&b, DS_ENC_IVR_LE, 0xfffe, 0xe00d, "", 0);
	hdr(&b, DS_ENC_IVR_LE, 0xfffe, 0xe0dd, "", 0);
	ds_walk_init(&w, DS_ENC_EVR_LE, b.len, DS_WALK_DATASET);
	rd_init(&r, b.p, b.len);
	while ((rc = ds_walk_next(&w, &r, &st, &err)) == 0) {
		if (st.ev == DS_WALK_ELEM && st.depth == 2 && n < 2) {
			ck_assert_uint_eq(st.e.len, 8);
			seen[n++] = st.enc;
		}
		rd_skip(&r, (size_t)ds_walk_pending(&w));
	}
	ck_assert_int_eq(rc, DS_WALK_END);
	ck_assert_int_eq(n, 2);
	ck_assert_int_eq(seen[0], DS_ENC_IVR_LE);
	ck_assert_int_eq(seen[1], DS_ENC_EVR_LE);
	wr_release(&b);
}
END_TEST

START_TEST(walk_fed_a_byte_at_a_time_waits_without_moving)
{
	const enum ds_enc enc = encs[_i];
	struct ds_walk w;
	struct ds_walk_step st;
	struct cs_err err = { 0, "" };
	struct rd r;
	struct wr b;
	size_t have = 0, at = 0;
	int rc, steps = 0;

	wr_init(&b, 1 << 12);
	hdr(&b, enc, 0x0008, 0x1115, "SQ", UNDEF);
	hdr(&b, enc, 0xfffe, 0xe000, "", UNDEF);
	text(&b, enc, 0x0010, 0x4000, "LT", "remark");
	hdr(&b, enc, 0xfffe, 0xe00d, "", 0);
	hdr(&b, enc, 0xfffe, 0xe0dd, "", 0);
	ds_walk_init(&w, enc, DS_WALK_LEN_OPEN, DS_WALK_DATASET);
	while (at < b.len) {
		at += (size_t)ds_walk_pending(&w);
		for (have = 1; at + have <= b.len; have++) {
			rd_init(&r, b.p + at, have);
			rc = ds_walk_next(&w, &r, &st, &err);
			if (rc != CS_E_TRUNCATED)
				break;
			ck_assert_uint_eq(r.pos, 0);
		}
		ck_assert_int_eq(rc, 0);
		ck_assert_uint_eq(r.pos, have);
		at += have;
		steps++;
	}
	ck_assert_int_eq(steps, 5);
	ck_assert_int_eq(ds_walk_finish(&w, &err), 0);
	wr_release(&b);
}
END_TEST

START_TEST(walk_reports_where_the_data_ended_and_how_deep_it_went)
{
	const enum ds_enc enc = encs[_i];
	struct ds_walk w;
	struct ds_walk_step st;
	struct cs_err err = { 0, "" };
	struct rd r;
	struct wr b;
	int i, rc;

	wr_init(&b, 1 << 12);
	hdr(&b, enc, 0x0008, 0x1115, "SQ", UNDEF);
	hdr(&b, enc, 0xfffe, 0xe000, "", UNDEF);
	ds_walk_init(&w, enc, DS_WALK_LEN_OPEN, DS_WALK_DATASET);
	rd_init(&r, b.p, b.len);
	while ((rc = ds_walk_next(&w, &r, &st, &err)) == 0)
		;
	ck_assert_int_eq(rc, CS_E_TRUNCATED);
	ck_assert_int_eq(ds_walk_finish(&w, &err), CS_E_TRUNCATED);
	ck_assert_str_eq(err.msg, "ends inside an undefined-length item");
	/* 128 sequences with an item each are 256 levels: one more is
	 * refused */
	wr_reset(&b);
	for (i = 0; i < DS_WALK_MAX_SEQUENCES + 1; i++) {
		hdr(&b, enc, 0x0008, 0x1115, "SQ", UNDEF);
		hdr(&b, enc, 0xfffe, 0xe000, "", UNDEF);
	}
	cs_err_clear(&err);
	ds_walk_init(&w, enc, b.len, DS_WALK_DATASET);
	rd_init(&r, b.p, b.len);
	for (i = 0; (rc = ds_walk_next(&w, &r, &st, &err)) == 0; i++)
		;
	ck_assert_int_eq(rc, CS_E_TOOBIG);
	ck_assert_int_eq(i, 2 * DS_WALK_MAX_SEQUENCES);
	ck_assert_str_eq(
	    err.msg, "(0008,1115) nests more than 128 sequences in each other");
	wr_release(&b);
}
END_TEST

START_TEST(walk_refuses_items_and_delimiters_out_of_place)
{
	const enum ds_enc enc = encs[_i];
	struct ds_walk w;
	struct ds_walk_step st;
	struct cs_err err = { 0, "" };
	struct rd r;
	struct wr b;

	/* a sequence delimiter exactly at the end of a sequence of defined
	 * length closes it (some writers count one in the length) */
	wr_init(&b, 1 << 12);
	hdr(&b, enc, 0x0008, 0x1115, "SQ", 8);
	hdr(&b, enc, 0xfffe, 0xe0dd, "", 0);
	ds_walk_init(&w, enc, b.len, DS_WALK_DATASET);
	rd_init(&r, b.p, b.len);
	ck_assert_int_eq(ds_walk_next(&w, &r, &st, &err), 0);
	ck_assert_int_eq(ds_walk_enter(&w, &err), 0);
	ck_assert_int_eq(ds_walk_next(&w, &r, &st, &err), 0);
	ck_assert_int_eq(st.ev, DS_WALK_CLOSE);
	ck_assert_uint_eq(st.e.tag, 0x00081115);
	ck_assert_uint_eq(ds_walk_depth(&w), 0);
	ck_assert_int_eq(ds_walk_next(&w, &r, &st, &err), DS_WALK_END);
	/* a sequence delimiter before the end of one is out of place */
	wr_reset(&b);
	hdr(&b, enc, 0x0008, 0x1115, "SQ", 16);
	hdr(&b, enc, 0xfffe, 0xe0dd, "", 0);
	hdr(&b, enc, 0xfffe, 0xe000, "", 0);
	ds_walk_init(&w, enc, b.len, DS_WALK_DATASET);
	rd_init(&r, b.p, b.len);
	ck_assert_int_eq(ds_walk_next(&w, &r, &st, &err), 0);
	ck_assert_int_eq(ds_walk_enter(&w, &err), 0);
	ck_assert_int_eq(ds_walk_next(&w, &r, &st, &err), CS_E_PROTO);
	ck_assert_ptr_nonnull(strstr(err.msg, "expected an item in a "
	    "sequence, found (FFFE,E0DD)"));
	/* an item delimiter ending a defined-length item early */
	wr_reset(&b);
	cs_err_clear(&err);
	hdr(&b, enc, 0x0008, 0x1115, "SQ", UNDEF);
	hdr(&b, enc, 0xfffe, 0xe000, "", 16);
	hdr(&b, enc, 0xfffe, 0xe00d, "", 0);
	text(&b, enc, 0x0010, 0x0020, "LO", "ID");
	ds_walk_init(&w, enc, b.len, DS_WALK_DATASET);
	rd_init(&r, b.p, b.len);
	ck_assert_int_eq(ds_walk_next(&w, &r, &st, &err), 0);
	ck_assert_int_eq(ds_walk_next(&w, &r, &st, &err), 0);
	ck_assert_int_eq(ds_walk_enter(&w, &err), 0);
	ck_assert_int_eq(ds_walk_next(&w, &r, &st, &err), CS_E_PROTO);
	ck_assert_str_eq(err.msg, "(FFFE,E00D) out of place");
	wr_release(&b);
}
END_TEST

Suite *
ds_walk_suite(void)
{
	Suite *s = suite_create("ds_walk");
	TCase *tc = tcase_create("core");

	tcase_add_loop_test(tc, walk_steps_into_nested_undefined_lengths_and_out,
	    0, 3);
	tcase_add_loop_test(tc,
	    walk_enters_defined_lengths_and_closes_them_at_their_end, 0, 3);
	tcase_add_loop_test(tc, walk_refuses_what_overruns_a_defined_length,
	    0, 3);
	tcase_add_test(tc, walk_reads_un_items_as_their_writer_encoded_them);
	tcase_add_loop_test(tc, walk_fed_a_byte_at_a_time_waits_without_moving,
	    0, 3);
	tcase_add_loop_test(tc,
	    walk_reports_where_the_data_ended_and_how_deep_it_went, 0, 3);
	tcase_add_loop_test(tc, walk_refuses_items_and_delimiters_out_of_place,
	    0, 3);
	suite_add_tcase(s, tc);
	return s;
}
