/* t_dimse_cmd.c - DIMSE command set encoding, decoding and formatting. */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cstore/cstore.h"
#include "core/alloc.h"
#include "core/buf.h"
#include "core/dimse_cmd.h"
#include "vectors.h"

Suite *dimse_cmd_suite(void);

#define CT_STORAGE "1.2.840.10008.5.1.4.1.1.2"
#define INST "1.2.826.0.1.3680043.2.1125.1.1"

static uint8_t *
load(const char *name, size_t *len)
{
	char path[256];
	uint8_t *b = NULL;

	snprintf(path, sizeof(path), "tests/vectors/dimse/%s", name);
	ck_assert_msg(vec_load(path, &b, len) == 0, "cannot load %s", path);
	return b;
}

/* Encodes c into a fresh buffer (malloc'd, caller frees). */
static uint8_t *
encode(const struct dimse_cmd *c, size_t *len)
{
	struct wr w;
	struct cs_err err = { 0, "" };
	uint8_t *out;
	int n;

	wr_init(&w, DIMSE_CMD_MAX);
	n = dimse_cmd_encode(&w, c, &err);
	ck_assert_msg(n > 0, "encode failed: %s", err.msg);
	ck_assert_uint_eq((size_t)n, w.len);
	out = malloc(w.len);
	ck_assert_ptr_nonnull(out);
	memcpy(out, w.p, w.len);
	*len = w.len;
	wr_release(&w);
	return out;
}

/* Decodes from an exact-size heap copy, so that ASan sees any over-read. */
static int
decode(const uint8_t *p, size_t len, struct dimse_cmd *c, struct cs_err *err)
{
	uint8_t *copy = malloc(len ? len : 1);
	int rc;

	ck_assert_ptr_nonnull(copy);
	if (len)
		memcpy(copy, p, len);
	rc = dimse_cmd_decode(copy, len, c, err);
	free(copy);
	return rc;
}

static void
assert_cmd_eq(const struct dimse_cmd *a, const struct dimse_cmd *b)
{
	uint8_t i;

	ck_assert_uint_eq(a->has, b->has);
	ck_assert_uint_eq(a->command_field, b->command_field);
	ck_assert_uint_eq(a->message_id, b->message_id);
	ck_assert_uint_eq(a->message_id_rsp, b->message_id_rsp);
	ck_assert_uint_eq(a->priority, b->priority);
	ck_assert_uint_eq(a->dataset_type, b->dataset_type);
	ck_assert_uint_eq(a->status, b->status);
	ck_assert_uint_eq(a->error_id, b->error_id);
	ck_assert_uint_eq(a->move_originator_id, b->move_originator_id);
	ck_assert_uint_eq(a->event_type_id, b->event_type_id);
	ck_assert_uint_eq(a->action_type_id, b->action_type_id);
	ck_assert_uint_eq(a->n_offending, b->n_offending);
	for (i = 0; i < a->n_offending; i++)
		ck_assert_uint_eq(a->offending[i], b->offending[i]);
	ck_assert_str_eq(a->affected_class, b->affected_class);
	ck_assert_str_eq(a->affected_instance, b->affected_instance);
	ck_assert_str_eq(a->error_comment, b->error_comment);
	ck_assert_str_eq(a->move_originator_ae, b->move_originator_ae);
	ck_assert_str_eq(a->requested_class, b->requested_class);
	ck_assert_str_eq(a->requested_instance, b->requested_instance);
}

static void
round_trip(const struct dimse_cmd *c)
{
	struct dimse_cmd back;
	struct cs_err err = { 0, "" };
	size_t len;
	uint8_t *b = encode(c, &len);

	ck_assert_msg(decode(b, len, &back, &err) == 0, "decode: %s", err.msg);
	assert_cmd_eq(c, &back);
	free(b);
}

/* Removes the element with this tag from a well-formed command set. */
static size_t
drop_elem(uint8_t *p, size_t len, uint16_t tag)
{
	size_t at = 0;

	while (at + 8 <= len) {
		uint16_t t = (uint16_t)(p[at + 2] | p[at + 3] << 8);
		uint32_t vl = (uint32_t)p[at + 4] | (uint32_t)p[at + 5] << 8 |
		    (uint32_t)p[at + 6] << 16 | (uint32_t)p[at + 7] << 24;
		size_t n = 8 + vl;

		if (t == tag) {
			memmove(p + at, p + at + n, len - at - n);
			return len - n;
		}
		at += n;
	}
	ck_abort_msg("tag (0000,%04X) not found", tag);
	return len;
}

static void
long_string(char *dst, size_t n, char c)
{
	memset(dst, c, n);
	dst[n] = '\0';
}

static void
full_store_rq(struct dimse_cmd *c)
{
	char uid[DIMSE_UID_MAX + 1];

	long_string(uid, DIMSE_UID_MAX, '9');
	uid[1] = '.';
	ck_assert_int_eq(dimse_cstore_rq(c, 65535, CT_STORAGE, uid,
	    DIMSE_PRIORITY_LOW), 0);
	ck_assert_int_eq(dimse_cmd_set_move_originator(c, "MOVE_ORIGINATOR1",
	    0xfffe), 0);
}

static void
full_store_rsp(struct dimse_cmd *c)
{
	struct dimse_cmd rq;
	char text[DIMSE_LO_MAX + 1];
	uint32_t i;

	full_store_rq(&rq);
	dimse_cstore_rsp(c, &rq, 0xA700);
	long_string(text, DIMSE_LO_MAX, 'x');
	text[10] = ' ';
	ck_assert_int_eq(dimse_cmd_set_error_comment(c, text), 0);
	for (i = 0; i < DIMSE_MAX_OFFENDING; i++)
		ck_assert_int_eq(dimse_cmd_add_offending(c,
		    0x00100010u + i), 0);
	ck_assert_int_eq(dimse_cmd_add_offending(c, 1), CS_E_INVAL);
	c->error_id = 0x1234;
	c->has |= DIMSE_HAS_ERROR_ID;
}

/* --- vectors ----------------------------------------------------------- */

START_TEST(c_echo_rq_as_dcmtk_sends_it_decodes_and_reencodes_identically)
{
	struct dimse_cmd c, mine;
	struct cs_err err = { 0, "" };
	size_t len, elen;
	uint8_t *v = load("c-echo-rq-dcmtk.hex", &len), *e;

	ck_assert_uint_eq(len, 68);
	ck_assert_int_eq(decode(v, len, &c, &err), 0);
	ck_assert_uint_eq(c.command_field, DIMSE_C_ECHO_RQ);
	ck_assert_uint_eq(c.message_id, 1);
	ck_assert_str_eq(c.affected_class, DIMSE_VERIFICATION_UID);
	ck_assert(!dimse_cmd_has_dataset(&c));
	ck_assert_uint_eq(c.has, DIMSE_HAS_AFFECTED_CLASS |
	    DIMSE_HAS_COMMAND_FIELD | DIMSE_HAS_MESSAGE_ID |
	    DIMSE_HAS_DATASET_TYPE);
	dimse_cecho_rq(&mine, 1);
	assert_cmd_eq(&c, &mine);
	e = encode(&mine, &elen);
	ck_assert_uint_eq(elen, len);
	ck_assert_mem_eq(e, v, len);
	free(e);
	free(v);
}
END_TEST

START_TEST(c_echo_rsp_vector_matches_the_builder)
{
	struct dimse_cmd c, rq, mine;
	struct cs_err err = { 0, "" };
	size_t len, elen;
	uint8_t *v = load("c-echo-rsp-success.hex", &len), *e;

	ck_assert_int_eq(decode(v, len, &c, &err), 0);
	ck_assert_uint_eq(c.command_field, DIMSE_C_ECHO_RSP);
	ck_assert_uint_eq(c.message_id_rsp, 1);
	ck_assert_uint_eq(c.status, 0);
	ck_assert(c.has & DIMSE_HAS_STATUS);
	dimse_cecho_rq(&rq, 1);
	dimse_cecho_rsp(&mine, &rq, 0x0000);
	assert_cmd_eq(&c, &mine);
	e = encode(&mine, &elen);
	ck_assert_uint_eq(elen, len);
	ck_assert_mem_eq(e, v, len);
	free(e);
	free(v);
}
END_TEST

START_TEST(c_store_rq_with_move_originator_vector_decodes_every_field)
{
	struct dimse_cmd c, mine;
	struct cs_err err = { 0, "" };
	size_t len, elen;
	uint8_t *v = load("c-store-rq-move-originator.hex", &len), *e;

	ck_assert_int_eq(decode(v, len, &c, &err), 0);
	ck_assert_uint_eq(c.command_field, DIMSE_C_STORE_RQ);
	ck_assert_uint_eq(c.message_id, 7);
	ck_assert_uint_eq(c.priority, DIMSE_PRIORITY_HIGH);
	ck_assert(dimse_cmd_has_dataset(&c));
	ck_assert_str_eq(c.affected_class, CT_STORAGE);
	ck_assert_str_eq(c.affected_instance, INST);
	ck_assert_str_eq(c.move_originator_ae, "MOVESCU");
	ck_assert_uint_eq(c.move_originator_id, 42);
	ck_assert_int_eq(dimse_cstore_rq(&mine, 7, CT_STORAGE, INST,
	    DIMSE_PRIORITY_HIGH), 0);
	ck_assert_int_eq(dimse_cmd_set_move_originator(&mine, "MOVESCU", 42),
	    0);
	assert_cmd_eq(&c, &mine);
	e = encode(&mine, &elen);
	ck_assert_uint_eq(elen, len);
	ck_assert_mem_eq(e, v, len);
	free(e);
	free(v);
}
END_TEST

START_TEST(c_store_rsp_with_error_comment_and_offending_elements_decodes)
{
	struct dimse_cmd c;
	struct cs_err err = { 0, "" };
	size_t len, elen;
	uint8_t *v = load("c-store-rsp-error-comment-offending.hex", &len), *e;

	ck_assert_int_eq(decode(v, len, &c, &err), 0);
	ck_assert_uint_eq(c.command_field, DIMSE_C_STORE_RSP);
	ck_assert_uint_eq(c.message_id_rsp, 7);
	ck_assert_uint_eq(c.status, 0xA900);
	ck_assert_uint_eq(c.n_offending, 2);
	ck_assert_uint_eq(c.offending[0], 0x00100010);
	ck_assert_uint_eq(c.offending[1], 0x00100020);
	/* the space padding is gone */
	ck_assert_str_eq(c.error_comment, "Data set does not match SOP class");
	ck_assert_uint_eq(c.error_id, 5);
	ck_assert_str_eq(c.affected_instance, INST);
	e = encode(&c, &elen);
	ck_assert_uint_eq(elen, len);
	ck_assert_mem_eq(e, v, len);
	free(e);
	free(v);
}
END_TEST

START_TEST(missing_group_length_and_retired_elements_are_tolerated)
{
	struct dimse_cmd c;
	struct cs_err err = { 0, "" };
	size_t len;
	uint8_t *v = load("c-store-rq-no-group-length-retired-elements.hex",
	    &len);

	ck_assert_uint_eq(v[2], 0x01); /* starts with (0000,0001) */
	ck_assert_int_eq(decode(v, len, &c, &err), 0);
	ck_assert_uint_eq(c.command_field, DIMSE_C_STORE_RQ);
	ck_assert_uint_eq(c.message_id, 3);
	ck_assert_uint_eq(c.priority, DIMSE_PRIORITY_LOW);
	ck_assert_uint_eq(c.dataset_type, 0x0102);
	ck_assert(dimse_cmd_has_dataset(&c));
	ck_assert_str_eq(c.affected_instance, "1.2.3.4");
	free(v);
}
END_TEST

START_TEST(wrong_group_length_and_space_padded_uids_are_tolerated)
{
	struct dimse_cmd c;
	struct cs_err err = { 0, "" };
	size_t len;
	uint8_t *v = load("c-store-rsp-group-length-counts-itself.hex", &len);

	/* the vector's group length really is wrong */
	ck_assert_uint_ne((size_t)v[8] | (size_t)v[9] << 8, len - 12);
	ck_assert_int_eq(decode(v, len, &c, &err), 0);
	ck_assert_str_eq(c.affected_class, CT_STORAGE);
	ck_assert_str_eq(c.affected_instance, "1.2.3.4");
	ck_assert_uint_eq(c.message_id_rsp, 3);
	free(v);
}
END_TEST

/* --- round trips --------------------------------------------------------- */

START_TEST(every_command_type_round_trips_with_all_fields)
{
	struct dimse_cmd c, rq;

	dimse_cecho_rq(&c, 0);
	round_trip(&c);
	dimse_cecho_rq(&rq, 65535);
	dimse_cecho_rsp(&c, &rq, 0x0122);
	ck_assert_int_eq(dimse_cmd_set_error_comment(&c, "refused"), 0);
	c.error_id = 9;
	c.has |= DIMSE_HAS_ERROR_ID;
	round_trip(&c);
	full_store_rq(&c);
	round_trip(&c);
	full_store_rsp(&c);
	round_trip(&c);
	/* other commands keep the common elements */
	dimse_cmd_init(&c, DIMSE_C_FIND_RQ);
	c.message_id = 4;
	c.priority = DIMSE_PRIORITY_MEDIUM;
	c.dataset_type = DIMSE_DATASET_PRESENT;
	ck_assert_int_eq(dimse_cstore_rq(&rq, 1, "1.2", "1.3", 0), 0);
	memcpy(c.affected_class, rq.affected_class, sizeof(c.affected_class));
	c.has |= DIMSE_HAS_MESSAGE_ID | DIMSE_HAS_PRIORITY |
	    DIMSE_HAS_DATASET_TYPE | DIMSE_HAS_AFFECTED_CLASS;
	round_trip(&c);
	dimse_cmd_init(&c, DIMSE_C_CANCEL_RQ);
	c.message_id_rsp = 4;
	c.dataset_type = DIMSE_DATASET_NONE;
	c.has |= DIMSE_HAS_MESSAGE_ID_RSP | DIMSE_HAS_DATASET_TYPE;
	round_trip(&c);
}
END_TEST

START_TEST(encoding_is_ascending_padded_even_with_a_patched_group_length)
{
	struct dimse_cmd c;
	size_t len, at = 12;
	uint8_t *b;
	uint32_t prev = 0;

	full_store_rsp(&c);
	b = encode(&c, &len);
	ck_assert_uint_eq(b[0] | b[1] << 8 | b[2] << 16 | b[3] << 24, 0);
	ck_assert_uint_eq((size_t)(b[8] | b[9] << 8 | b[10] << 16), len - 12);
	while (at < len) {
		uint32_t tag = (uint32_t)(b[at] | b[at + 1] << 8) << 16 |
		    (uint32_t)(b[at + 2] | b[at + 3] << 8);
		size_t vl = (size_t)(b[at + 4] | b[at + 5] << 8 |
		    b[at + 6] << 16);

		ck_assert_uint_gt(tag, prev);
		ck_assert_uint_eq(vl % 2, 0);
		prev = tag;
		at += 8 + vl;
	}
	ck_assert_uint_eq(at, len);
	free(b);

	/* odd lengths: UI padded with NUL, AE and LO with a space */
	ck_assert_int_eq(dimse_cstore_rq(&c, 1, "1.2.3", "1.2.34", 0), 0);
	ck_assert_int_eq(dimse_cmd_set_move_originator(&c, "ABC", 1), 0);
	ck_assert_int_eq(dimse_cmd_set_error_comment(&c, "x"), 0);
	b = encode(&c, &len);
	ck_assert_mem_eq(b + 20, "1.2.3\0", 6);
	ck_assert_ptr_nonnull(memmem(b, len, "ABC ", 4));
	ck_assert_ptr_nonnull(memmem(b, len, "x ", 2));
	free(b);
}
END_TEST

START_TEST(encoder_refuses_what_the_standard_forbids)
{
	struct dimse_cmd c;
	struct cs_err err = { 0, "" };
	struct wr w;

	wr_init(&w, DIMSE_CMD_MAX);
	wr_u8(&w, 0xAA);
	full_store_rsp(&c);
	c.n_offending = DIMSE_MAX_OFFENDING + 1;
	ck_assert_int_eq(dimse_cmd_encode(&w, &c, &err), CS_E_INVAL);
	ck_assert_str_eq(err.msg, "too many offending elements (17, at most 16)");
	ck_assert_uint_eq(w.len, 1); /* rolled back */

	cs_err_clear(&err);
	full_store_rq(&c);
	c.affected_instance[3] = '\n';
	ck_assert_int_eq(dimse_cmd_encode(&w, &c, &err), CS_E_INVAL);
	ck_assert_ptr_nonnull(strstr(err.msg, "(0000,1000)"));
	ck_assert_uint_eq(w.len, 1);

	cs_err_clear(&err);
	full_store_rq(&c);
	c.has &= ~(unsigned)DIMSE_HAS_PRIORITY;
	ck_assert_int_eq(dimse_cmd_encode(&w, &c, &err), CS_E_INVAL);
	ck_assert_str_eq(err.msg, "C-STORE-RQ lacks (0000,0700) Priority");

	cs_err_clear(&err);
	full_store_rq(&c);
	memset(c.affected_class, '1', sizeof(c.affected_class)); /* no NUL */
	ck_assert_int_eq(dimse_cmd_encode(&w, &c, &err), CS_E_INVAL);
	ck_assert_ptr_nonnull(strstr(err.msg, "longer than 64"));
	wr_release(&w);

	/* a writer too small to hold it */
	cs_err_clear(&err);
	wr_init(&w, 40);
	full_store_rq(&c);
	ck_assert_int_eq(dimse_cmd_encode(&w, &c, &err), CS_E_TOOBIG);
	ck_assert_uint_eq(w.len, 0);
	wr_release(&w);
}
END_TEST

START_TEST(encoder_fails_cleanly_at_every_allocation)
{
	struct dimse_cmd c;
	struct cs_err err;
	struct wr w;
	unsigned long n;
	int rc = -1;

	full_store_rsp(&c);
	for (n = 1; rc != 0 && n < 100; n++) {
		cs_err_clear(&err);
		wr_init(&w, DIMSE_CMD_MAX);
		cs_alloc_fail_at(n);
		rc = dimse_cmd_encode(&w, &c, &err);
		cs_alloc_fail_at(0);
		if (rc < 0) {
			ck_assert_int_eq(rc, CS_E_NOMEM);
			ck_assert_int_eq(err.code, CS_E_NOMEM);
		} else {
			rc = 0;
		}
		wr_release(&w);
	}
	ck_assert_int_eq(rc, 0);
	ck_assert_uint_gt(n, 2); /* the first allocation did fail */
}
END_TEST

/* --- hostile input -------------------------------------------------------- */

START_TEST(every_truncation_fails_or_ends_on_an_element_boundary)
{
	static const char *names[] = { "c-echo-rq-dcmtk.hex",
		"c-echo-rsp-success.hex", "c-store-rq-move-originator.hex",
		"c-store-rsp-error-comment-offending.hex",
		"c-store-rq-no-group-length-retired-elements.hex" };
	size_t k;

	for (k = 0; k < sizeof(names) / sizeof(names[0]); k++) {
		size_t len, n, at = 0;
		uint8_t *v = load(names[k], &len);
		uint8_t boundary[512] = { 0 };

		ck_assert_uint_lt(len, sizeof(boundary));
		while (at < len) {
			boundary[at] = 1;
			at += 8 + (size_t)(v[at + 4] | v[at + 5] << 8);
		}
		for (n = 0; n < len; n++) {
			struct dimse_cmd c;
			struct cs_err err = { 0, "" };
			int rc = decode(v, n, &c, &err);

			if (rc == 0) {
				ck_assert_msg(boundary[n], "%s: accepted %zu "
				    "bytes, inside an element", names[k], n);
			} else {
				ck_assert_int_eq(rc, CS_E_PROTO);
				ck_assert_int_eq(err.code, CS_E_PROTO);
				ck_assert(err.msg[0] != '\0');
			}
		}
		free(v);
	}
}
END_TEST

static int
decode_echo_with(const uint8_t *extra, size_t n, struct cs_err *err)
{
	struct dimse_cmd c;
	size_t len;
	uint8_t *v = load("c-echo-rq-dcmtk.hex", &len), *b;
	int rc;

	b = malloc(len + n);
	ck_assert_ptr_nonnull(b);
	memcpy(b, v, len);
	memcpy(b + len, extra, n);
	rc = decode(b, len + n, &c, err);
	free(b);
	free(v);
	return rc;
}

START_TEST(hostile_lengths_are_rejected)
{
	static const uint8_t undefined[] = { 0, 0, 0x00, 0x40, 0xff, 0xff,
		0xff, 0xff };
	static const uint8_t past_end[] = { 0, 0, 0x00, 0x40, 0x10, 0, 0, 0,
		1, 2 };
	static const uint8_t huge[] = { 0, 0, 0x00, 0x40, 0xfe, 0xff, 0xff,
		0xff };
	static const uint8_t odd_us[] = { 0, 0, 0x03, 0x09, 3, 0, 0, 0, 1, 2,
		3 };
	static const uint8_t at_6[] = { 0, 0, 0x01, 0x09, 6, 0, 0, 0, 1, 2, 3,
		4, 5, 6 };
	static const uint8_t short_header[] = { 0, 0, 0x00, 0x40, 0 };
	struct cs_err err = { 0, "" };

	ck_assert_int_eq(decode_echo_with(undefined, sizeof(undefined), &err),
	    CS_E_PROTO);
	ck_assert_str_eq(err.msg, "element (0000,4000) has undefined length");
	cs_err_clear(&err);
	ck_assert_int_eq(decode_echo_with(past_end, sizeof(past_end), &err),
	    CS_E_PROTO);
	ck_assert_ptr_nonnull(strstr(err.msg, "runs past the end"));
	cs_err_clear(&err);
	ck_assert_int_eq(decode_echo_with(huge, sizeof(huge), &err),
	    CS_E_PROTO);
	ck_assert_ptr_nonnull(strstr(err.msg, "runs past the end"));
	cs_err_clear(&err);
	ck_assert_int_eq(decode_echo_with(odd_us, sizeof(odd_us), &err),
	    CS_E_PROTO);
	ck_assert_str_eq(err.msg, "(0000,0903) Error ID has length 3, not 2");
	cs_err_clear(&err);
	ck_assert_int_eq(decode_echo_with(at_6, sizeof(at_6), &err),
	    CS_E_PROTO);
	ck_assert_ptr_nonnull(strstr(err.msg, "not a multiple of 4"));
	cs_err_clear(&err);
	ck_assert_int_eq(decode_echo_with(short_header, sizeof(short_header),
	    &err), CS_E_PROTO);
	ck_assert_ptr_nonnull(strstr(err.msg, "inside an element header"));
}
END_TEST

START_TEST(odd_length_strings_and_unknown_elements_are_accepted)
{
	/* an unpadded odd-length UID (a peer error) and an unknown element
	 * of odd length: both unambiguous, both accepted */
	static const uint8_t odd_unknown[] = { 0, 0, 0x00, 0x06, 3, 0, 0, 0,
		'A', 'B', 'C' };
	static const uint8_t cmd[] = {
		0x00, 0x00, 0x02, 0x00, 0x11, 0x00, 0x00, 0x00, '1', '.', '2',
		'.', '8', '4', '0', '.', '1', '0', '0', '0', '8', '.', '1',
		'.', '1', /* 17 bytes, no pad */
		0x00, 0x00, 0x00, 0x01, 0x02, 0x00, 0x00, 0x00, 0x30, 0x00,
		0x00, 0x00, 0x10, 0x01, 0x02, 0x00, 0x00, 0x00, 0x05, 0x00,
		0x00, 0x00, 0x00, 0x08, 0x02, 0x00, 0x00, 0x00, 0x01, 0x01,
	};
	struct dimse_cmd c;
	struct cs_err err = { 0, "" };

	ck_assert_int_eq(decode(cmd, sizeof(cmd), &c, &err), 0);
	ck_assert_str_eq(c.affected_class, DIMSE_VERIFICATION_UID);
	ck_assert_uint_eq(c.message_id, 5);
	ck_assert_int_eq(decode_echo_with(odd_unknown, sizeof(odd_unknown),
	    &err), 0);
}
END_TEST

START_TEST(elements_outside_group_0000_are_rejected)
{
	static const uint8_t sop_class[] = { 0x08, 0x00, 0x16, 0x00, 2, 0, 0,
		0, '1', 0 };
	struct cs_err err = { 0, "" };

	ck_assert_int_eq(decode_echo_with(sop_class, sizeof(sop_class), &err),
	    CS_E_PROTO);
	ck_assert_str_eq(err.msg, "element (0008,0016) at offset 68 is "
	    "outside the command group 0000");
}
END_TEST

START_TEST(duplicates_and_bad_values_are_rejected)
{
	static const uint8_t dup[] = { 0, 0, 0x10, 0x01, 2, 0, 0, 0, 9, 0 };
	static const uint8_t dup_gl[] = { 0, 0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0 };
	static const uint8_t gl_2[] = { 0, 0, 0, 0, 2, 0, 0, 0, 0, 0 };
	static const uint8_t ae_17[] = { 0, 0, 0x30, 0x10, 18, 0, 0, 0, 'A',
		'B', 'C', 'D', 'E', 'F', 'G', 'H', 'I', 'J', 'K', 'L', 'M',
		'N', 'O', 'P', 'Q', ' ' };
	static const uint8_t ae_16[] = { 0, 0, 0x30, 0x10, 18, 0, 0, 0, ' ',
		'B', 'C', 'D', 'E', 'F', 'G', 'H', 'I', 'J', 'K', 'L', 'M',
		'N', 'O', 'P', 'Q', ' ' };
	static const uint8_t ae_ctl[] = { 0, 0, 0x30, 0x10, 2, 0, 0, 0, 'A',
		0x1b };
	struct cs_err err = { 0, "" };

	ck_assert_int_eq(decode_echo_with(dup, sizeof(dup), &err), CS_E_PROTO);
	ck_assert_str_eq(err.msg, "(0000,0110) Message ID appears twice");
	cs_err_clear(&err);
	ck_assert_int_eq(decode_echo_with(dup_gl, sizeof(dup_gl), &err),
	    CS_E_PROTO);
	ck_assert_ptr_nonnull(strstr(err.msg, "appears twice"));
	cs_err_clear(&err);
	ck_assert_int_eq(decode_echo_with(gl_2, sizeof(gl_2), &err),
	    CS_E_PROTO);
	ck_assert_ptr_nonnull(strstr(err.msg, "not 4"));
	cs_err_clear(&err);
	ck_assert_int_eq(decode_echo_with(ae_17, sizeof(ae_17), &err),
	    CS_E_PROTO);
	ck_assert_ptr_nonnull(strstr(err.msg, "17 characters long"));
	cs_err_clear(&err);
	/* leading and trailing spaces do not count */
	ck_assert_int_eq(decode_echo_with(ae_16, sizeof(ae_16), &err), 0);
	ck_assert_int_eq(decode_echo_with(ae_ctl, sizeof(ae_ctl), &err),
	    CS_E_PROTO);
	ck_assert_ptr_nonnull(strstr(err.msg, "byte 0x1B"));
}
END_TEST

START_TEST(uids_over_64_characters_are_flagged_not_fatal)
{
	/* a C-STORE-RQ whose last element, (0000,1000), is 66 digits */
	static const uint8_t head[] = {
		0x00, 0x00, 0x02, 0x00, 0x02, 0x00, 0x00, 0x00, '1', 0,
		0x00, 0x00, 0x00, 0x01, 0x02, 0x00, 0x00, 0x00, 0x01, 0x00,
		0x00, 0x00, 0x10, 0x01, 0x02, 0x00, 0x00, 0x00, 0x05, 0x00,
		0x00, 0x00, 0x00, 0x07, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00,
		0x00, 0x00, 0x00, 0x08, 0x02, 0x00, 0x00, 0x00, 0x01, 0x00,
		0x00, 0x00, 0x00, 0x10, 66, 0x00, 0x00, 0x00,
	};
	uint8_t b[sizeof(head) + 66];
	struct dimse_cmd c;
	struct cs_err err = { 0, "" };

	memcpy(b, head, sizeof(head));
	memset(b + sizeof(head), '1', 66);
	/* kept, cut and flagged: the receiver answers a failure status
	 * rather than abort the association */
	ck_assert_int_eq(decode(b, sizeof(b), &c, &err), 0);
	ck_assert_uint_eq(c.bad_ui, DIMSE_HAS_AFFECTED_INSTANCE);
	ck_assert_uint_eq(strlen(c.affected_instance), DIMSE_UID_MAX);
	/* 64 are fine */
	b[sizeof(head) - 4] = 64;
	ck_assert_int_eq(decode(b, sizeof(b) - 2, &c, &err), 0);
	ck_assert_uint_eq(c.bad_ui, 0);
}
END_TEST

START_TEST(too_big_and_empty_command_sets_are_rejected)
{
	uint8_t *big = calloc(1, DIMSE_CMD_MAX + 1);
	struct dimse_cmd c;
	struct cs_err err = { 0, "" };

	ck_assert_ptr_nonnull(big);
	ck_assert_int_eq(dimse_cmd_decode(big, DIMSE_CMD_MAX + 1, &c, &err),
	    CS_E_TOOBIG);
	cs_err_clear(&err);
	ck_assert_int_eq(dimse_cmd_decode(big, 0, &c, &err), CS_E_PROTO);
	ck_assert_str_eq(err.msg, "empty command set");
	free(big);
}
END_TEST

START_TEST(missing_required_elements_are_named)
{
	static const struct {
		const char *vector;
		uint16_t tag;
		const char *msg;
	} cases[] = {
		{ "c-echo-rq-dcmtk.hex", 0x0002,
		    "C-ECHO-RQ lacks (0000,0002) Affected SOP Class UID" },
		{ "c-echo-rq-dcmtk.hex", 0x0110,
		    "C-ECHO-RQ lacks (0000,0110) Message ID" },
		{ "c-echo-rq-dcmtk.hex", 0x0800,
		    "C-ECHO-RQ lacks (0000,0800) Command Data Set Type" },
		{ "c-echo-rq-dcmtk.hex", 0x0100,
		    "command set lacks (0000,0100) Command Field" },
		{ "c-echo-rsp-success.hex", 0x0120, "C-ECHO-RSP lacks "
		    "(0000,0120) Message ID Being Responded To" },
		{ "c-echo-rsp-success.hex", 0x0900,
		    "C-ECHO-RSP lacks (0000,0900) Status" },
		{ "c-store-rq-move-originator.hex", 0x0002,
		    "C-STORE-RQ lacks (0000,0002) Affected SOP Class UID" },
		{ "c-store-rq-move-originator.hex", 0x1000,
		    "C-STORE-RQ lacks (0000,1000) Affected SOP Instance UID" },
		{ "c-store-rq-move-originator.hex", 0x0110,
		    "C-STORE-RQ lacks (0000,0110) Message ID" },
		{ "c-store-rq-move-originator.hex", 0x0700,
		    "C-STORE-RQ lacks (0000,0700) Priority" },
		{ "c-store-rq-move-originator.hex", 0x0800,
		    "C-STORE-RQ lacks (0000,0800) Command Data Set Type" },
		{ "c-store-rsp-error-comment-offending.hex", 0x0120,
		    "C-STORE-RSP lacks (0000,0120) Message ID Being "
		    "Responded To" },
		{ "c-store-rsp-error-comment-offending.hex", 0x0900,
		    "C-STORE-RSP lacks (0000,0900) Status" },
		{ "n-action-rq-storage-commitment.hex", 0x0003,
		    "N-ACTION-RQ lacks (0000,0003) Requested SOP Class UID" },
		{ "n-action-rq-storage-commitment.hex", 0x1001,
		    "N-ACTION-RQ lacks (0000,1001) Requested SOP Instance "
		    "UID" },
		{ "n-action-rq-storage-commitment.hex", 0x1008,
		    "N-ACTION-RQ lacks (0000,1008) Action Type ID" },
		{ "n-event-report-rq-storage-commitment.hex", 0x0002,
		    "N-EVENT-REPORT-RQ lacks (0000,0002) Affected SOP Class "
		    "UID" },
		{ "n-event-report-rq-storage-commitment.hex", 0x1000,
		    "N-EVENT-REPORT-RQ lacks (0000,1000) Affected SOP "
		    "Instance UID" },
		{ "n-event-report-rq-storage-commitment.hex", 0x1002,
		    "N-EVENT-REPORT-RQ lacks (0000,1002) Event Type ID" },
	};
	size_t k;

	for (k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		struct dimse_cmd c;
		struct cs_err err = { 0, "" };
		size_t len;
		uint8_t *v = load(cases[k].vector, &len);

		len = drop_elem(v, len, cases[k].tag);
		ck_assert_int_eq(decode(v, len, &c, &err), CS_E_PROTO);
		ck_assert_str_eq(err.msg, cases[k].msg);
		free(v);
	}
}
END_TEST

START_TEST(optional_elements_of_a_response_may_be_absent)
{
	struct dimse_cmd c;
	struct cs_err err = { 0, "" };
	size_t len;
	uint8_t *v = load("c-store-rsp-error-comment-offending.hex", &len);

	len = drop_elem(v, len, 0x0002);
	len = drop_elem(v, len, 0x1000);
	len = drop_elem(v, len, 0x0901);
	ck_assert_int_eq(decode(v, len, &c, &err), 0);
	ck_assert(!(c.has & (DIMSE_HAS_AFFECTED_CLASS |
	    DIMSE_HAS_AFFECTED_INSTANCE | DIMSE_HAS_OFFENDING)));
	ck_assert_uint_eq(c.status, 0xA900);
	free(v);
}
END_TEST

START_TEST(empty_uid_in_a_store_request_is_flagged)
{
	static const uint8_t cmd[] = {
		0x00, 0x00, 0x02, 0x00, 0x02, 0x00, 0x00, 0x00, ' ', 0,
		0x00, 0x00, 0x00, 0x01, 0x02, 0x00, 0x00, 0x00, 0x01, 0x00,
		0x00, 0x00, 0x10, 0x01, 0x02, 0x00, 0x00, 0x00, 0x05, 0x00,
		0x00, 0x00, 0x00, 0x07, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00,
		0x00, 0x00, 0x00, 0x08, 0x02, 0x00, 0x00, 0x00, 0x01, 0x00,
		0x00, 0x00, 0x00, 0x10, 0x02, 0x00, 0x00, 0x00, '1', 0,
	};
	struct dimse_cmd c;
	struct cs_err err = { 0, "" };

	/* present but empty: flagged for the receiver to refuse */
	ck_assert_int_eq(decode(cmd, sizeof(cmd), &c, &err), 0);
	ck_assert_uint_eq(c.bad_ui, DIMSE_HAS_AFFECTED_CLASS);
	ck_assert_str_eq(c.affected_class, "");
	ck_assert_str_eq(c.affected_instance, "1");
	/* a control byte: flagged, shown as '?' */
	{
		uint8_t ctl[sizeof(cmd)];

		memcpy(ctl, cmd, sizeof(cmd));
		ctl[8] = '1';
		ctl[sizeof(ctl) - 2] = 0x1b;
		ck_assert_int_eq(decode(ctl, sizeof(ctl), &c, &err), 0);
		ck_assert_uint_eq(c.bad_ui, DIMSE_HAS_AFFECTED_INSTANCE);
		ck_assert_str_eq(c.affected_instance, "?");
		ck_assert_int_eq(decode(cmd, sizeof(cmd), &c, &err), 0);
	}
	/* encoding still refuses an empty UID */
	{
		struct wr w;

		wr_init(&w, 1024);
		c.bad_ui = 0;
		ck_assert_int_eq(dimse_cmd_encode(&w, &c, &err), CS_E_INVAL);
		wr_release(&w);
	}
}
END_TEST

START_TEST(long_error_comments_are_cut_and_control_characters_replaced)
{
	struct dimse_cmd c;
	struct cs_err err = { 0, "" };
	uint8_t extra[8 + 80];
	size_t len;
	uint8_t *v = load("c-store-rsp-error-comment-offending.hex", &len), *b;

	len = drop_elem(v, len, 0x0902);
	memcpy(extra, "\x00\x00\x02\x09\x50\x00\x00\x00", 8);
	memset(extra + 8, 'y', 80);
	extra[8] = '\t';
	extra[8 + 63] = ' '; /* the cut leaves a trailing space: removed */
	b = malloc(len + sizeof(extra));
	ck_assert_ptr_nonnull(b);
	memcpy(b, v, len);
	memcpy(b + len, extra, sizeof(extra));
	ck_assert_int_eq(decode(b, len + sizeof(extra), &c, &err), 0);
	ck_assert_uint_eq(strlen(c.error_comment), 63);
	ck_assert_int_eq(c.error_comment[0], '?');
	ck_assert_int_eq(c.error_comment[62], 'y');
	free(b);
	free(v);
}
END_TEST

START_TEST(offending_elements_past_the_limit_are_dropped)
{
	struct dimse_cmd c;
	struct cs_err err = { 0, "" };
	uint8_t extra[8 + 4 * 20];
	size_t len, i;
	uint8_t *v = load("c-store-rsp-error-comment-offending.hex", &len), *b;

	len = drop_elem(v, len, 0x0901);
	memcpy(extra, "\x00\x00\x01\x09\x50\x00\x00\x00", 8);
	for (i = 0; i < 20; i++) {
		extra[8 + 4 * i] = 0x10;
		extra[9 + 4 * i] = 0x00;
		extra[10 + 4 * i] = (uint8_t)i;
		extra[11 + 4 * i] = 0x00;
	}
	b = malloc(len + sizeof(extra));
	ck_assert_ptr_nonnull(b);
	memcpy(b, v, len);
	memcpy(b + len, extra, sizeof(extra));
	ck_assert_int_eq(decode(b, len + sizeof(extra), &c, &err), 0);
	ck_assert_uint_eq(c.n_offending, DIMSE_MAX_OFFENDING);
	ck_assert_uint_eq(c.offending[15], 0x0010000f);
	free(b);
	free(v);
}
END_TEST

/* --- builders and formatting ---------------------------------------------- */

START_TEST(builders_check_their_arguments_and_echo_the_request)
{
	struct dimse_cmd rq, rsp;
	char uid65[DIMSE_UID_MAX + 2];

	long_string(uid65, DIMSE_UID_MAX + 1, '1');
	ck_assert_int_eq(dimse_cstore_rq(&rq, 1, NULL, "1.2", 0), CS_E_INVAL);
	ck_assert_int_eq(dimse_cstore_rq(&rq, 1, "1.2", "", 0), CS_E_INVAL);
	ck_assert_int_eq(dimse_cstore_rq(&rq, 1, "1.2", uid65, 0), CS_E_INVAL);
	ck_assert_int_eq(dimse_cmd_set_move_originator(&rq,
	    "SEVENTEEN_CHARS_X", 1), CS_E_INVAL);
	ck_assert_int_eq(dimse_cmd_set_error_comment(&rq, NULL), CS_E_INVAL);
	ck_assert_int_eq(dimse_cstore_rq(&rq, 77, CT_STORAGE, INST, 2), 0);
	dimse_cstore_rsp(&rsp, &rq, 0xB000);
	ck_assert_uint_eq(rsp.command_field, DIMSE_C_STORE_RSP);
	ck_assert_uint_eq(rsp.message_id_rsp, 77);
	ck_assert_str_eq(rsp.affected_class, CT_STORAGE);
	ck_assert_str_eq(rsp.affected_instance, INST);
	ck_assert_uint_eq(rsp.status, 0xB000);
	ck_assert(!dimse_cmd_has_dataset(&rsp));
	ck_assert(dimse_cmd_has_dataset(&rq));
	ck_assert(!(rsp.has & DIMSE_HAS_MESSAGE_ID));
}
END_TEST

START_TEST(responses_leave_out_uids_the_request_could_not_carry_as_sent)
{
	/* the C-STORE-RQ of empty_uid_in_a_store_request_is_flagged, its
	 * instance UID a control byte then a digit */
	static const uint8_t cmd[] = {
		0x00, 0x00, 0x02, 0x00, 0x02, 0x00, 0x00, 0x00, '1', 0,
		0x00, 0x00, 0x00, 0x01, 0x02, 0x00, 0x00, 0x00, 0x01, 0x00,
		0x00, 0x00, 0x10, 0x01, 0x02, 0x00, 0x00, 0x00, 0x05, 0x00,
		0x00, 0x00, 0x00, 0x07, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00,
		0x00, 0x00, 0x00, 0x08, 0x02, 0x00, 0x00, 0x00, 0x01, 0x00,
		0x00, 0x00, 0x00, 0x10, 0x02, 0x00, 0x00, 0x00, 0x1b, '1',
	};
	struct dimse_cmd rq, rsp;
	struct cs_err err = { 0, "" };

	ck_assert_int_eq(decode(cmd, sizeof(cmd), &rq, &err), 0);
	ck_assert_uint_eq(rq.bad_ui, DIMSE_HAS_AFFECTED_INSTANCE);
	/* U(=): the request's value or none, never the '?' copy */
	dimse_cstore_rsp(&rsp, &rq, 0xC000);
	ck_assert_str_eq(rsp.affected_class, "1");
	ck_assert_uint_eq(rsp.has & DIMSE_HAS_AFFECTED_INSTANCE, 0);
	round_trip(&rsp);
	/* a class flagged: left out of C-STORE, C-ECHO and refusal alike */
	rq.bad_ui = DIMSE_HAS_AFFECTED_CLASS;
	dimse_cstore_rsp(&rsp, &rq, 0x0122);
	ck_assert_uint_eq(rsp.has & DIMSE_HAS_AFFECTED_CLASS, 0);
	ck_assert_uint_ne(rsp.has & DIMSE_HAS_AFFECTED_INSTANCE, 0);
	dimse_cecho_rsp(&rsp, &rq, 0x0122);
	ck_assert_uint_eq(rsp.has & DIMSE_HAS_AFFECTED_CLASS, 0);
	round_trip(&rsp);
	dimse_refusal_rsp(&rsp, &rq, 0x0211);
	ck_assert_uint_eq(rsp.has & DIMSE_HAS_AFFECTED_CLASS, 0);
	round_trip(&rsp);
}
END_TEST

START_TEST(a_move_originator_beyond_ascii_is_kept_with_question_marks)
{
	/* (0000,1030) "\xC4RZTE" padded to 16, as a C-MOVE SCP copies a
	 * Latin-1 calling AE title DCMTK took */
	static const uint8_t latin1[] = { 0, 0, 0x30, 0x10, 16, 0, 0, 0, 0xc4,
		'R', 'Z', 'T', 'E', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ',
		' ', ' ' };
	uint8_t *v, *b;
	size_t len;
	struct dimse_cmd c;
	struct cs_err err = { 0, "" };

	v = load("c-echo-rq-dcmtk.hex", &len);
	b = malloc(len + sizeof(latin1));
	ck_assert_ptr_nonnull(b);
	memcpy(b, v, len);
	memcpy(b + len, latin1, sizeof(latin1));
	ck_assert_int_eq(decode(b, len + sizeof(latin1), &c, &err), 0);
	ck_assert_str_eq(c.move_originator_ae, "?RZTE");
	free(b);
	free(v);
}
END_TEST

START_TEST(formatter_writes_one_line_and_reports_the_full_length)
{
	struct dimse_cmd c, rsp;
	char line[512], small[16];
	int n;

	ck_assert_int_eq(dimse_cstore_rq(&c, 3, CT_STORAGE, "1.2.3",
	    DIMSE_PRIORITY_MEDIUM), 0);
	n = dimse_cmd_format(&c, line, sizeof(line));
	ck_assert_str_eq(line, "C-STORE-RQ msg-id=3 class=" CT_STORAGE
	    " inst=1.2.3 priority=MEDIUM dataset=present");
	ck_assert_int_eq(n, (int)strlen(line));
	ck_assert_int_eq(dimse_cmd_format(&c, small, sizeof(small)), n);
	ck_assert_str_eq(small, "C-STORE-RQ msg-");
	ck_assert_int_eq(dimse_cmd_format(&c, NULL, 0), n);

	dimse_cstore_rsp(&rsp, &c, 0xA900);
	ck_assert_int_eq(dimse_cmd_add_offending(&rsp, 0x00100010), 0);
	ck_assert_int_eq(dimse_cmd_add_offending(&rsp, 0x7fe00010), 0);
	ck_assert_int_eq(dimse_cmd_set_error_comment(&rsp, "bad\x01thing"), 0);
	rsp.error_id = 2;
	rsp.has |= DIMSE_HAS_ERROR_ID;
	dimse_cmd_format(&rsp, line, sizeof(line));
	ck_assert_str_eq(line, "C-STORE-RSP rsp-to=3 status=0xA900 class="
	    CT_STORAGE " inst=1.2.3 dataset=none offending=(0010,0010),"
	    "(7FE0,0010) error-id=2 comment='bad?thing'");

	dimse_cmd_init(&c, 0x1234);
	c.priority = 9;
	c.has |= DIMSE_HAS_PRIORITY;
	ck_assert_int_eq(dimse_cmd_set_move_originator(&c, "A", 5), 0);
	dimse_cmd_format(&c, line, sizeof(line));
	ck_assert_str_eq(line, "command=0x1234 priority=0x0009 move-ae='A' "
	    "move-msg-id=5");
	ck_assert_str_eq(dimse_command_name(DIMSE_C_ECHO_RSP), "C-ECHO-RSP");
	ck_assert_str_eq(dimse_priority_name(DIMSE_PRIORITY_LOW), "LOW");
}
END_TEST

/* --- N-ACTION and N-EVENT-REPORT (Storage Commitment) -------------------- */

#define COMMIT_CLASS "1.2.840.10008.1.20.1"
#define COMMIT_INSTANCE "1.2.840.10008.1.20.1.1"

START_TEST(n_action_rq_vector_matches_the_builder_byte_for_byte)
{
	struct dimse_cmd c, built;
	struct cs_err err = { 0, "" };
	size_t len, blen;
	uint8_t *v = load("n-action-rq-storage-commitment.hex", &len);
	uint8_t *b;

	ck_assert_msg(decode(v, len, &c, &err) == 0, "decode: %s", err.msg);
	ck_assert_uint_eq(c.command_field, DIMSE_N_ACTION_RQ);
	ck_assert_str_eq(c.requested_class, COMMIT_CLASS);
	ck_assert_str_eq(c.requested_instance, COMMIT_INSTANCE);
	ck_assert_uint_eq(c.action_type_id, 1);
	ck_assert_uint_eq(c.message_id, 7);
	ck_assert(dimse_cmd_has_dataset(&c));
	ck_assert_int_eq(dimse_naction_rq(&built, 7, COMMIT_CLASS,
	    COMMIT_INSTANCE, 1), 0);
	assert_cmd_eq(&c, &built);
	b = encode(&built, &blen);
	ck_assert_uint_eq(blen, len);
	ck_assert_mem_eq(b, v, len);
	free(b);
	free(v);
}
END_TEST

START_TEST(n_event_report_rq_vector_matches_the_builder_byte_for_byte)
{
	struct dimse_cmd c, built;
	struct cs_err err = { 0, "" };
	size_t len, blen;
	uint8_t *v = load("n-event-report-rq-storage-commitment.hex", &len);
	uint8_t *b;

	ck_assert_msg(decode(v, len, &c, &err) == 0, "decode: %s", err.msg);
	ck_assert_uint_eq(c.command_field, DIMSE_N_EVENT_REPORT_RQ);
	ck_assert_str_eq(c.affected_class, COMMIT_CLASS);
	ck_assert_str_eq(c.affected_instance, COMMIT_INSTANCE);
	ck_assert_uint_eq(c.event_type_id, 2);
	ck_assert_int_eq(dimse_neventreport_rq(&built, 2, COMMIT_CLASS,
	    COMMIT_INSTANCE, 2), 0);
	assert_cmd_eq(&c, &built);
	b = encode(&built, &blen);
	ck_assert_uint_eq(blen, len);
	ck_assert_mem_eq(b, v, len);
	free(b);
	free(v);
}
END_TEST

START_TEST(n_responses_echo_the_request_and_round_trip)
{
	struct dimse_cmd rq, rsp;

	ck_assert_int_eq(dimse_naction_rq(&rq, 9, COMMIT_CLASS,
	    COMMIT_INSTANCE, 1), 0);
	dimse_naction_rsp(&rsp, &rq, 0x0000);
	ck_assert_uint_eq(rsp.command_field, DIMSE_N_ACTION_RSP);
	ck_assert_uint_eq(rsp.message_id_rsp, 9);
	/* PS3.7 10.3.4.2: the Affected UIDs are the Requested ones. */
	ck_assert_str_eq(rsp.affected_class, COMMIT_CLASS);
	ck_assert_str_eq(rsp.affected_instance, COMMIT_INSTANCE);
	ck_assert(!(rsp.has & (DIMSE_HAS_REQUESTED_CLASS |
	    DIMSE_HAS_REQUESTED_INSTANCE)));
	ck_assert_uint_eq(rsp.action_type_id, 1);
	ck_assert(!dimse_cmd_has_dataset(&rsp));
	round_trip(&rq);
	round_trip(&rsp);
	ck_assert_int_eq(dimse_neventreport_rq(&rq, 3, COMMIT_CLASS,
	    COMMIT_INSTANCE, 1), 0);
	dimse_neventreport_rsp(&rsp, &rq, 0x0110);
	ck_assert_uint_eq(rsp.command_field, DIMSE_N_EVENT_REPORT_RSP);
	ck_assert_uint_eq(rsp.message_id_rsp, 3);
	ck_assert_uint_eq(rsp.status, 0x0110);
	ck_assert_str_eq(rsp.affected_instance, COMMIT_INSTANCE);
	ck_assert_uint_eq(rsp.event_type_id, 1);
	round_trip(&rq);
	round_trip(&rsp);
	/* builders refuse what no peer could use */
	ck_assert_int_eq(dimse_naction_rq(&rq, 1, "", COMMIT_INSTANCE, 1),
	    CS_E_INVAL);
	ck_assert_int_eq(dimse_naction_rq(&rq, 1, COMMIT_CLASS, NULL, 1),
	    CS_E_INVAL);
	ck_assert_int_eq(dimse_neventreport_rq(&rq, 1, COMMIT_CLASS,
	    "1.2.3.4.5.6.7.8.9.10.11.12.13.14.15.16.17.18.19.20.21.22.23.24."
	    "25.26.27", 1), CS_E_INVAL);
}
END_TEST

START_TEST(n_commands_format_their_own_elements)
{
	struct dimse_cmd c;
	char line[256];

	ck_assert_int_eq(dimse_naction_rq(&c, 7, COMMIT_CLASS,
	    COMMIT_INSTANCE, 1), 0);
	dimse_cmd_format(&c, line, sizeof(line));
	ck_assert_str_eq(line, "N-ACTION-RQ msg-id=7 req-class="
	    COMMIT_CLASS " req-inst=" COMMIT_INSTANCE " action-type=1 "
	    "dataset=present");
	ck_assert_int_eq(dimse_neventreport_rq(&c, 2, COMMIT_CLASS,
	    COMMIT_INSTANCE, 2), 0);
	dimse_cmd_format(&c, line, sizeof(line));
	ck_assert_str_eq(line, "N-EVENT-REPORT-RQ msg-id=2 class="
	    COMMIT_CLASS " inst=" COMMIT_INSTANCE " event-type=2 "
	    "dataset=present");
}
END_TEST

START_TEST(refusal_rsp_answers_any_request_with_its_class)
{
	struct dimse_cmd rq, c;

	dimse_cmd_init(&rq, DIMSE_C_FIND_RQ);
	rq.message_id = 7;
	rq.has |= DIMSE_HAS_MESSAGE_ID;
	dimse_refusal_rsp(&c, &rq, 0x0211);
	ck_assert_uint_eq(c.command_field, DIMSE_C_FIND_RQ | DIMSE_RSP_BIT);
	ck_assert_uint_eq(c.message_id_rsp, 7);
	ck_assert_uint_eq(c.status, 0x0211);
	ck_assert_uint_eq(c.dataset_type, DIMSE_DATASET_NONE);
	ck_assert_uint_eq(c.has & DIMSE_HAS_AFFECTED_CLASS, 0);
	ck_assert_uint_eq(c.has & DIMSE_HAS_AFFECTED_INSTANCE, 0);
	round_trip(&c);
	ck_assert_int_eq(dimse_cstore_rq(&rq, 9, "1.2.3", "1.2.3.4", 0), 0);
	dimse_refusal_rsp(&c, &rq, 0x0122);
	ck_assert_uint_eq(c.command_field, DIMSE_C_STORE_RSP);
	ck_assert_str_eq(c.affected_class, "1.2.3");
	ck_assert_uint_eq(c.has & DIMSE_HAS_AFFECTED_INSTANCE, 0);
	round_trip(&c);
}
END_TEST

Suite *
dimse_cmd_suite(void)
{
	Suite *s = suite_create("dimse_cmd");
	TCase *tc = tcase_create("vectors");

	tcase_add_test(tc,
	    c_echo_rq_as_dcmtk_sends_it_decodes_and_reencodes_identically);
	tcase_add_test(tc, c_echo_rsp_vector_matches_the_builder);
	tcase_add_test(tc,
	    c_store_rq_with_move_originator_vector_decodes_every_field);
	tcase_add_test(tc,
	    c_store_rsp_with_error_comment_and_offending_elements_decodes);
	tcase_add_test(tc, missing_group_length_and_retired_elements_are_tolerated);
	tcase_add_test(tc, wrong_group_length_and_space_padded_uids_are_tolerated);
	suite_add_tcase(s, tc);

	tc = tcase_create("encode");
	tcase_add_test(tc, every_command_type_round_trips_with_all_fields);
	tcase_add_test(tc,
	    encoding_is_ascending_padded_even_with_a_patched_group_length);
	tcase_add_test(tc, encoder_refuses_what_the_standard_forbids);
	tcase_add_test(tc, encoder_fails_cleanly_at_every_allocation);
	suite_add_tcase(s, tc);

	tc = tcase_create("hostile");
	tcase_add_test(tc, every_truncation_fails_or_ends_on_an_element_boundary);
	tcase_add_test(tc, hostile_lengths_are_rejected);
	tcase_add_test(tc, odd_length_strings_and_unknown_elements_are_accepted);
	tcase_add_test(tc, elements_outside_group_0000_are_rejected);
	tcase_add_test(tc, duplicates_and_bad_values_are_rejected);
	tcase_add_test(tc,
	    a_move_originator_beyond_ascii_is_kept_with_question_marks);
	tcase_add_test(tc, uids_over_64_characters_are_flagged_not_fatal);
	tcase_add_test(tc, too_big_and_empty_command_sets_are_rejected);
	tcase_add_test(tc, missing_required_elements_are_named);
	tcase_add_test(tc, optional_elements_of_a_response_may_be_absent);
	tcase_add_test(tc, empty_uid_in_a_store_request_is_flagged);
	tcase_add_test(tc,
	    long_error_comments_are_cut_and_control_characters_replaced);
	tcase_add_test(tc, offending_elements_past_the_limit_are_dropped);
	suite_add_tcase(s, tc);

	tc = tcase_create("builders");
	tcase_add_test(tc, builders_check_their_arguments_and_echo_the_request);
	tcase_add_test(tc, formatter_writes_one_line_and_reports_the_full_length);
	tcase_add_test(tc, n_action_rq_vector_matches_the_builder_byte_for_byte);
	tcase_add_test(tc,
	    n_event_report_rq_vector_matches_the_builder_byte_for_byte);
	tcase_add_test(tc, n_responses_echo_the_request_and_round_trip);
	tcase_add_test(tc, n_commands_format_their_own_elements);
	tcase_add_test(tc, refusal_rsp_answers_any_request_with_its_class);
	tcase_add_test(tc,
	    responses_leave_out_uids_the_request_could_not_carry_as_sent);
	suite_add_tcase(s, tc);
	return s;
}
