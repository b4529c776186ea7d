/*
 * t_ul_pdu.c - the Upper Layer PDU codec (lib/core/ul_pdu.c): round
 * trips of every PDU, item and sub-item; annotated vectors from PS3.8;
 * truncation at every length; inconsistent lengths; encoder validation.
 *
 * Decoder inputs are copied flush against a PROT_NONE page (the guard
 * page trick of picohttpparser's test.c), so a read one byte past the
 * end crashes the test at once instead of passing by luck.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "cstore/cstore.h"
#include "core/buf.h"
#include "core/ul_pdu.h"
#include "vectors.h"

Suite *ul_pdu_suite(void);

#define VEC(name) "tests/vectors/pdu/" name ".hex"

static const char *const all_vectors[] = {
	VEC("a-associate-rq-two-contexts-role-selection"),
	VEC("a-associate-rq-all-user-info-sub-items"),
	VEC("a-associate-ac-one-accepted-one-rejected"),
	VEC("a-associate-ac-user-identity-response"),
	VEC("a-associate-rj-called-ae-not-recognized"),
	VEC("a-abort-provider-unexpected-pdu"),
	VEC("a-release-rq"),
	VEC("a-release-rp"),
	VEC("p-data-tf-two-pdvs"),
};

#define CT "1.2.840.10008.5.1.4.1.1.2"
#define MR "1.2.840.10008.5.1.4.1.1.4"
#define VERIF "1.2.840.10008.1.1"
#define IVLE "1.2.840.10008.1.2"
#define EVLE "1.2.840.10008.1.2.1"
#define IMPL "1.2.826.0.1.3680043.10.1234"

/* --- guard page --------------------------------------------------------- */

struct guarded {
	void *base;
	size_t maplen;
	const uint8_t *p;
};

/* Copies p[0..n) so that its last byte is the last before a PROT_NONE page. */
static void
guard(struct guarded *g, const uint8_t *p, size_t n)
{
	size_t pg = (size_t)sysconf(_SC_PAGESIZE);
	size_t pages = (n + pg - 1) / pg + 1;
	uint8_t *base;

	g->maplen = pages * pg;
	g->base = mmap(NULL, g->maplen, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ck_assert_ptr_ne(g->base, MAP_FAILED);
	base = g->base;
	ck_assert_int_eq(mprotect(base + (pages - 1) * pg, pg, PROT_NONE), 0);
	if (n > 0)
		memcpy(base + (pages - 1) * pg - n, p, n);
	g->p = base + (pages - 1) * pg - n;
}

static void
unguard(struct guarded *g)
{
	munmap(g->base, g->maplen);
}

/* --- helpers ------------------------------------------------------------ */

static void
load(const char *path, uint8_t **buf, size_t *len)
{
	char full[4096];

	ck_assert_msg(vec_load(path, buf, len) == 0, "cannot load vector '%s'",
	    vec_path(path, full, sizeof(full)));
}

/*
 * The last guarded input stays mapped until the next one: decoded blobs
 * and PDV data point into it.
 */
static struct guarded last_input;

static const uint8_t *
guard_last(const uint8_t *p, size_t n)
{
	if (last_input.base != NULL)
		unguard(&last_input);
	guard(&last_input, p, n);
	return last_input.p;
}

/* Decodes the body of a whole PDU of the given type, through the guard. */
static int
decode_body(uint8_t type, const uint8_t *body, size_t n, void *out,
    struct cs_err *err)
{
	struct guarded g;
	int rc = CS_E_INVAL;

	g.p = guard_last(body, n);
	switch (type) {
	case UL_PDU_ASSOCIATE_RQ:
		rc = ul_decode_assoc_rq(g.p, n, out, err);
		break;
	case UL_PDU_ASSOCIATE_AC:
		rc = ul_decode_assoc_ac(g.p, n, out, err);
		break;
	case UL_PDU_ASSOCIATE_RJ:
		rc = ul_decode_assoc_rj(g.p, n, out, err);
		break;
	case UL_PDU_ABORT:
		rc = ul_decode_abort(g.p, n, out, err);
		break;
	case UL_PDU_RELEASE_RQ:
	case UL_PDU_RELEASE_RP:
		rc = ul_decode_release(g.p, n, err);
		break;
	case UL_PDU_P_DATA_TF: {
		struct rd r;
		struct ul_pdv pdv;

		rd_init(&r, g.p, n);
		while ((rc = ul_next_pdv(&r, &pdv, err)) == 1)
			;
		break;
	}
	}
	return rc;
}

/* Checks the PDU header of a whole PDU and returns its body. */
static const uint8_t *
body_of(const uint8_t *pdu, size_t n, uint8_t want_type, size_t *body_len)
{
	uint8_t type;
	uint32_t len;

	ck_assert_int_eq(ul_pdu_header(pdu, n, &type, &len), 0);
	ck_assert_uint_eq(type, want_type);
	ck_assert_uint_eq((size_t)len + UL_PDU_HEADER_LEN, n);
	*body_len = len;
	return pdu + UL_PDU_HEADER_LEN;
}

static struct ul_assoc_params *
params_new(void)
{
	struct ul_assoc_params *p = calloc(1, sizeof(*p));

	ck_assert_ptr_nonnull(p);
	return p;
}

static void
set(char *dst, size_t cap, const char *s)
{
	ck_assert_uint_lt(strlen(s), cap);
	memcpy(dst, s, strlen(s) + 1);
}
#define SET(dst, s) set((dst), sizeof(dst), (s))

static void
blob_eq(const struct ul_blob *a, const struct ul_blob *b)
{
	ck_assert_uint_eq(a->len, b->len);
	if (a->len > 0)
		ck_assert_mem_eq(a->p, b->p, a->len);
}

/* Field-by-field comparison of what the wire carries for RQ (ac 0) or AC. */
static void
params_eq(const struct ul_assoc_params *a, const struct ul_assoc_params *b,
    int ac)
{
	unsigned i, j;

	ck_assert_uint_eq(a->protocol_version, b->protocol_version);
	ck_assert_str_eq(a->called_ae, b->called_ae);
	ck_assert_str_eq(a->calling_ae, b->calling_ae);
	ck_assert_str_eq(a->app_context, b->app_context);
	ck_assert_uint_eq(a->n_pc, b->n_pc);
	for (i = 0; i < a->n_pc; i++) {
		ck_assert_uint_eq(a->pc[i].id, b->pc[i].id);
		if (ac)
			ck_assert_uint_eq(a->pc[i].result, b->pc[i].result);
		else
			ck_assert_str_eq(a->pc[i].abstract_syntax,
			    b->pc[i].abstract_syntax);
		if (ac && a->pc[i].result != UL_PC_ACCEPTANCE) {
			/* PS3.8 9.3.3.2: not significant, not decoded */
			ck_assert_uint_eq(b->pc[i].n_ts, 0);
			continue;
		}
		ck_assert_uint_eq(a->pc[i].n_ts, b->pc[i].n_ts);
		for (j = 0; j < a->pc[i].n_ts; j++)
			ck_assert_str_eq(a->pc[i].ts[j], b->pc[i].ts[j]);
	}
	ck_assert_int_eq(a->has_max_pdu, b->has_max_pdu);
	ck_assert_uint_eq(a->max_pdu, b->max_pdu);
	ck_assert_str_eq(a->impl_class_uid, b->impl_class_uid);
	ck_assert_int_eq(a->has_impl_version, b->has_impl_version);
	ck_assert_str_eq(a->impl_version, b->impl_version);
	ck_assert_int_eq(a->has_async_ops, b->has_async_ops);
	ck_assert_uint_eq(a->max_ops_invoked, b->max_ops_invoked);
	ck_assert_uint_eq(a->max_ops_performed, b->max_ops_performed);
	ck_assert_uint_eq(a->n_role, b->n_role);
	for (i = 0; i < a->n_role; i++) {
		ck_assert_str_eq(a->role[i].sop_class, b->role[i].sop_class);
		ck_assert_uint_eq(a->role[i].scu_role, b->role[i].scu_role);
		ck_assert_uint_eq(a->role[i].scp_role, b->role[i].scp_role);
	}
	ck_assert_uint_eq(a->n_ext_neg, b->n_ext_neg);
	for (i = 0; i < a->n_ext_neg; i++) {
		ck_assert_str_eq(a->ext_neg[i].sop_class, b->ext_neg[i].sop_class);
		blob_eq(&a->ext_neg[i].info, &b->ext_neg[i].info);
	}
	ck_assert_uint_eq(a->n_common_ext_neg, b->n_common_ext_neg);
	for (i = 0; i < a->n_common_ext_neg; i++) {
		const struct ul_common_ext_neg *x = &a->common_ext_neg[i];
		const struct ul_common_ext_neg *y = &b->common_ext_neg[i];

		ck_assert_str_eq(x->sop_class, y->sop_class);
		ck_assert_str_eq(x->service_class, y->service_class);
		ck_assert_uint_eq(x->n_related, y->n_related);
		for (j = 0; j < x->n_related; j++)
			ck_assert_str_eq(x->related[j], y->related[j]);
	}
	ck_assert_int_eq(a->has_user_identity, b->has_user_identity);
	if (a->has_user_identity) {
		const struct ul_user_identity *x = &a->user_identity;
		const struct ul_user_identity *y = &b->user_identity;

		if (ac) {
			blob_eq(&x->server_response, &y->server_response);
		} else {
			ck_assert_uint_eq(x->type, y->type);
			ck_assert_uint_eq(x->positive_response,
			    y->positive_response);
			blob_eq(&x->primary, &y->primary);
			blob_eq(&x->secondary, &y->secondary);
		}
	}
}

static const uint8_t ext_info[] = { 0x01, 0x00, 0x01, 0xff };
static const uint8_t user[] = "alice";
static const uint8_t pass[] = "s3cret";
static const uint8_t token[] = "server-token";

/* An RQ with every field populated. */
static struct ul_assoc_params *
full_rq(void)
{
	struct ul_assoc_params *p = params_new();
	unsigned i;

	p->protocol_version = 1;
	SET(p->called_ae, "STORE-SCP");
	SET(p->calling_ae, "SIXTEEN-CHARS-AE");
	SET(p->app_context, UL_APP_CONTEXT);
	p->n_pc = 3;
	p->pc[0].id = 1;
	SET(p->pc[0].abstract_syntax, VERIF);
	p->pc[0].n_ts = 1;
	SET(p->pc[0].ts[0], IVLE);
	p->pc[1].id = 3;
	SET(p->pc[1].abstract_syntax, CT);
	p->pc[1].n_ts = UL_MAX_TS;
	for (i = 0; i < UL_MAX_TS; i++)
		snprintf(p->pc[1].ts[i], sizeof(p->pc[1].ts[i]),
		    "1.2.840.10008.1.2.4.%u", 50 + i);
	p->pc[2].id = 255;
	SET(p->pc[2].abstract_syntax, MR);
	p->pc[2].n_ts = 2;
	SET(p->pc[2].ts[0], EVLE);
	/* a 64-character UID, the longest allowed */
	SET(p->pc[2].ts[1],
	    "1.2.3.4.5.6.7.8.9.10.11.12.13.14.15.16.17.18.19.20.21.22.23.24.2");
	ck_assert_uint_eq(strlen(p->pc[2].ts[1]), 64);
	p->has_max_pdu = 1;
	p->max_pdu = 0x12345678;
	SET(p->impl_class_uid, IMPL);
	p->has_impl_version = 1;
	SET(p->impl_version, "SIXTEEN_CHARS_VN");
	p->has_async_ops = 1;
	p->max_ops_invoked = 5;
	p->max_ops_performed = 0xfffe;
	p->n_role = 2;
	SET(p->role[0].sop_class, CT);
	p->role[0].scu_role = 1;
	p->role[0].scp_role = 0;
	SET(p->role[1].sop_class, MR);
	p->role[1].scu_role = 0;
	p->role[1].scp_role = 1;
	p->n_ext_neg = 1;
	SET(p->ext_neg[0].sop_class, CT);
	p->ext_neg[0].info.p = ext_info;
	p->ext_neg[0].info.len = sizeof(ext_info);
	p->n_common_ext_neg = 2;
	SET(p->common_ext_neg[0].sop_class, MR);
	SET(p->common_ext_neg[0].service_class, "1.2.840.10008.4.2");
	p->common_ext_neg[0].n_related = 2;
	SET(p->common_ext_neg[0].related[0], CT);
	SET(p->common_ext_neg[0].related[1], "1.2.840.10008.5.1.4.1.1.4.1");
	SET(p->common_ext_neg[1].sop_class, CT);
	SET(p->common_ext_neg[1].service_class, "1.2.840.10008.4.2");
	p->common_ext_neg[1].n_related = 0;
	p->has_user_identity = 1;
	p->user_identity.type = 2;
	p->user_identity.positive_response = 1;
	p->user_identity.primary.p = user;
	p->user_identity.primary.len = 5;
	p->user_identity.secondary.p = pass;
	p->user_identity.secondary.len = 6;
	return p;
}

/* An AC answering full_rq(): every result code, identity response. */
static struct ul_assoc_params *
full_ac(void)
{
	struct ul_assoc_params *p = params_new();
	unsigned i;

	p->protocol_version = 1;
	SET(p->called_ae, "STORE-SCP");
	SET(p->calling_ae, "SIXTEEN-CHARS-AE");
	SET(p->app_context, UL_APP_CONTEXT);
	p->n_pc = 5;
	for (i = 0; i < 5; i++) {
		p->pc[i].id = (uint8_t)(2 * i + 1);
		p->pc[i].result = (uint8_t)i; /* 0 acceptance .. 4 */
	}
	p->pc[0].n_ts = 1;
	SET(p->pc[0].ts[0], EVLE);
	p->pc[2].n_ts = 1; /* a rejected context may name a syntax too */
	SET(p->pc[2].ts[0], IVLE);
	p->has_max_pdu = 1;
	p->max_pdu = 0;
	SET(p->impl_class_uid, IMPL);
	p->has_impl_version = 1;
	SET(p->impl_version, "X");
	p->has_async_ops = 1;
	p->max_ops_invoked = 1;
	p->max_ops_performed = 1;
	p->n_role = 1;
	SET(p->role[0].sop_class, CT);
	p->role[0].scu_role = 1;
	p->role[0].scp_role = 1;
	p->n_ext_neg = 1;
	SET(p->ext_neg[0].sop_class, CT);
	p->ext_neg[0].info.p = ext_info;
	p->ext_neg[0].info.len = 1;
	p->has_user_identity = 1;
	p->user_identity.server_response.p = token;
	p->user_identity.server_response.len = sizeof(token) - 1;
	return p;
}

/* Encodes p with enc, decodes the result with the matching decoder. */
static void
round_trip(const struct ul_assoc_params *p, int ac)
{
	struct ul_assoc_params *out = params_new();
	struct cs_err err = { 0 };
	struct wr w;
	const uint8_t *body;
	size_t n;
	int rc;

	wr_init(&w, 1u << 20);
	rc = ac ? ul_encode_assoc_ac(&w, p) : ul_encode_assoc_rq(&w, p);
	ck_assert_int_eq(rc, 0);
	body = body_of(w.p, w.len,
	    ac ? UL_PDU_ASSOCIATE_AC : UL_PDU_ASSOCIATE_RQ, &n);
	rc = decode_body(ac ? UL_PDU_ASSOCIATE_AC : UL_PDU_ASSOCIATE_RQ, body,
	    n, out, &err);
	ck_assert_msg(rc == 0, "decode failed: %s", err.msg);
	/* blobs of the decoded copy point into w, still alive here */
	params_eq(p, out, ac);
	wr_release(&w);
	free(out);
}

/* --- round trips ---------------------------------------------------------- */

START_TEST(pdu_rq_round_trips_every_item_and_sub_item)
{
	struct ul_assoc_params *p = full_rq();

	round_trip(p, 0);
	free(p);
}
END_TEST

START_TEST(pdu_rq_round_trips_each_user_identity_type)
{
	struct ul_assoc_params *p = full_rq();
	uint8_t t;

	for (t = 1; t <= 5; t++) {
		p->user_identity.type = t;
		p->user_identity.positive_response = t & 1;
		p->user_identity.secondary.len = t == 2 ? 6 : 0;
		round_trip(p, 0);
	}
	free(p);
}
END_TEST

START_TEST(pdu_rq_round_trips_128_contexts)
{
	struct ul_assoc_params *p = full_rq();
	unsigned i;

	p->n_pc = UL_MAX_PC;
	for (i = 0; i < UL_MAX_PC; i++) {
		p->pc[i].id = (uint8_t)(2 * i + 1);
		SET(p->pc[i].abstract_syntax, CT);
		p->pc[i].n_ts = 1;
		SET(p->pc[i].ts[0], IVLE);
	}
	round_trip(p, 0);
	free(p);
}
END_TEST

START_TEST(pdu_rq_round_trips_minimal_params)
{
	struct ul_assoc_params *p = params_new();

	/* defaults: version 0 -> 1, empty app context -> the DICOM one */
	SET(p->called_ae, "A");
	SET(p->calling_ae, "B");
	p->n_pc = 1;
	p->pc[0].id = 1;
	SET(p->pc[0].abstract_syntax, VERIF);
	p->pc[0].n_ts = 1;
	SET(p->pc[0].ts[0], IVLE);
	SET(p->impl_class_uid, IMPL);
	{
		struct ul_assoc_params *out = params_new();
		struct cs_err err = { 0 };
		struct wr w;
		const uint8_t *body;
		size_t n;

		wr_init(&w, 4096);
		ck_assert_int_eq(ul_encode_assoc_rq(&w, p), 0);
		body = body_of(w.p, w.len, UL_PDU_ASSOCIATE_RQ, &n);
		ck_assert_int_eq(decode_body(UL_PDU_ASSOCIATE_RQ, body, n, out,
		    &err), 0);
		ck_assert_uint_eq(out->protocol_version, 1);
		ck_assert_str_eq(out->app_context, UL_APP_CONTEXT);
		/* max length is always sent (PS3.7 D.3.3.1) */
		ck_assert_int_eq(out->has_max_pdu, 1);
		ck_assert_uint_eq(out->max_pdu, 0);
		ck_assert_int_eq(out->has_impl_version, 0);
		ck_assert_int_eq(out->has_async_ops, 0);
		ck_assert_int_eq(out->has_user_identity, 0);
		ck_assert_uint_eq(out->n_role + out->n_ext_neg +
		    out->n_common_ext_neg, 0);
		wr_release(&w);
		free(out);
	}
	free(p);
}
END_TEST

START_TEST(pdu_ac_round_trips_every_result_and_sub_item)
{
	struct ul_assoc_params *p = full_ac();

	round_trip(p, 1);
	free(p);
}
END_TEST

START_TEST(pdu_ac_encodes_called_and_calling_titles_padded)
{
	struct ul_assoc_params *p = full_ac();
	struct wr w;

	wr_init(&w, 4096);
	SET(p->called_ae, "ABC");
	ck_assert_int_eq(ul_encode_assoc_ac(&w, p), 0);
	ck_assert_mem_eq(w.p + 10, "ABC             SIXTEEN-CHARS-AE", 32);
	ck_assert_uint_eq(w.p[0], UL_PDU_ASSOCIATE_AC);
	wr_release(&w);
	free(p);
}
END_TEST

/* The RQ decoder takes any printable title, a backslash too (DCMTK's
 * storescu sends one); the AC returns it as it came (PS3.8 9.3.3: not
 * tested), where refusing to encode it aborted the association. */
START_TEST(pdu_ac_echoes_a_backslash_title_of_the_rq)
{
	struct ul_assoc_params *p = full_ac();
	struct wr w;

	wr_init(&w, 4096);
	SET(p->calling_ae, "A\\B");
	ck_assert_int_eq(ul_encode_assoc_ac(&w, p), 0);
	ck_assert_mem_eq(w.p + 26, "A\\B             ", 16);
	wr_release(&w);
	free(p);
}
END_TEST

/* An RQ's title with bytes beyond ASCII (Latin-1 'Ä', DCMTK sends it)
 * is taken, shown with '?'; DEL is a control character, refused. */
START_TEST(pdu_rq_title_beyond_ascii_is_taken_with_question_marks)
{
	struct ul_assoc_params *p = full_rq(), *out = params_new();
	struct cs_err err = { 0 };
	const uint8_t *body;
	size_t n;
	struct wr w;

	wr_init(&w, 1u << 20);
	SET(p->calling_ae, "XRAY");
	ck_assert_int_eq(ul_encode_assoc_rq(&w, p), 0);
	w.p[26] = 0xc4; /* calling AE title: "\xc4RAY" */
	body = body_of(w.p, w.len, UL_PDU_ASSOCIATE_RQ, &n);
	ck_assert_int_eq(decode_body(UL_PDU_ASSOCIATE_RQ, body, n, out, &err), 0);
	ck_assert_str_eq(out->calling_ae, "?RAY");
	w.p[26] = 0x7f;
	ck_assert_int_eq(decode_body(UL_PDU_ASSOCIATE_RQ, body, n, out, &err),
	    CS_E_PROTO);
	ck_assert_msg(strstr(err.msg, "control character") != NULL, "%s", err.msg);
	wr_release(&w);
	free(out);
	free(p);
}
END_TEST

START_TEST(pdu_rj_abort_release_round_trip)
{
	struct ul_assoc_rj rj = { 2, 3, 2 }, rj2;
	struct ul_abort ab = { 2, 6 }, ab2;
	struct cs_err err = { 0 };
	const uint8_t *body;
	size_t n;
	struct wr w;

	wr_init(&w, 64);
	ck_assert_int_eq(ul_encode_assoc_rj(&w, &rj), 0);
	body = body_of(w.p, w.len, UL_PDU_ASSOCIATE_RJ, &n);
	ck_assert_int_eq(decode_body(UL_PDU_ASSOCIATE_RJ, body, n, &rj2, &err),
	    0);
	ck_assert_uint_eq(rj2.result, 2);
	ck_assert_uint_eq(rj2.source, 3);
	ck_assert_uint_eq(rj2.reason, 2);

	wr_reset(&w);
	ck_assert_int_eq(ul_encode_abort(&w, &ab), 0);
	body = body_of(w.p, w.len, UL_PDU_ABORT, &n);
	ck_assert_int_eq(decode_body(UL_PDU_ABORT, body, n, &ab2, &err), 0);
	ck_assert_uint_eq(ab2.source, 2);
	ck_assert_uint_eq(ab2.reason, 6);

	wr_reset(&w);
	ck_assert_int_eq(ul_encode_release_rq(&w), 0);
	body = body_of(w.p, w.len, UL_PDU_RELEASE_RQ, &n);
	ck_assert_int_eq(decode_body(UL_PDU_RELEASE_RQ, body, n, NULL, &err),
	    0);
	wr_reset(&w);
	ck_assert_int_eq(ul_encode_release_rp(&w), 0);
	body = body_of(w.p, w.len, UL_PDU_RELEASE_RP, &n);
	ck_assert_int_eq(decode_body(UL_PDU_RELEASE_RP, body, n, NULL, &err),
	    0);
	ck_assert_uint_eq(w.len, 10);
	wr_release(&w);
}
END_TEST

START_TEST(pdu_pdata_header_round_trips_with_payload)
{
	static const uint8_t payload[] = { 0xde, 0xad, 0xbe, 0xef, 0x00 };
	static const uint8_t want[] = { 0x04, 0x00, 0x00, 0x00, 0x00, 0x0b,
		0x00, 0x00, 0x00, 0x07, 0x05, 0x03 };
	struct cs_err err = { 0 };
	struct ul_pdv pdv;
	struct rd r;
	struct wr w;
	const uint8_t *body;
	size_t n;

	wr_init(&w, 64);
	ck_assert_int_eq(ul_encode_pdata_header(&w, 5,
	    UL_PDV_COMMAND | UL_PDV_LAST, sizeof(payload)), 0);
	ck_assert_uint_eq(w.len, 12);
	ck_assert_mem_eq(w.p, want, sizeof(want));
	wr_bytes(&w, payload, sizeof(payload));
	body = body_of(w.p, w.len, UL_PDU_P_DATA_TF, &n);
	rd_init(&r, body, n);
	ck_assert_int_eq(ul_next_pdv(&r, &pdv, &err), 1);
	ck_assert_uint_eq(pdv.pcid, 5);
	ck_assert_uint_eq(pdv.control, UL_PDV_COMMAND | UL_PDV_LAST);
	ck_assert_uint_eq(pdv.len, sizeof(payload));
	ck_assert_mem_eq(pdv.data, payload, sizeof(payload));
	ck_assert_int_eq(ul_next_pdv(&r, &pdv, &err), 0);
	wr_release(&w);
}
END_TEST

START_TEST(pdu_pdata_header_allows_the_largest_length)
{
	struct wr w;
	uint8_t type;
	uint32_t len;

	wr_init(&w, 64);
	ck_assert_int_eq(ul_encode_pdata_header(&w, 1, 0, UINT32_MAX - 6), 0);
	ck_assert_int_eq(ul_pdu_header(w.p, w.len, &type, &len), 0);
	ck_assert_uint_eq(len, UINT32_MAX);
	ck_assert_int_eq(ul_encode_pdata_header(&w, 1, 0, UINT32_MAX - 5),
	    CS_E_INVAL);
	ck_assert_uint_eq(w.len, 12);
	wr_release(&w);
}
END_TEST

/* --- annotated vectors --------------------------------------------------- */

START_TEST(pdu_vector_rq_two_contexts_role_selection_decodes)
{
	struct ul_assoc_params *p = params_new();
	struct cs_err err = { 0 };
	uint8_t *v;
	size_t n, bl;
	const uint8_t *body;
	struct wr w;

	load(VEC("a-associate-rq-two-contexts-role-selection"), &v, &n);
	body = body_of(v, n, UL_PDU_ASSOCIATE_RQ, &bl);
	ck_assert_int_eq(decode_body(UL_PDU_ASSOCIATE_RQ, body, bl, p, &err), 0);
	ck_assert_uint_eq(p->protocol_version, 1);
	ck_assert_str_eq(p->called_ae, "STORE-SCP");
	ck_assert_str_eq(p->calling_ae, "ECHOSCU");
	ck_assert_str_eq(p->app_context, UL_APP_CONTEXT);
	ck_assert_uint_eq(p->n_pc, 2);
	ck_assert_uint_eq(p->pc[0].id, 1);
	ck_assert_str_eq(p->pc[0].abstract_syntax, VERIF);
	ck_assert_uint_eq(p->pc[0].n_ts, 2);
	ck_assert_str_eq(p->pc[0].ts[0], IVLE);
	ck_assert_str_eq(p->pc[0].ts[1], EVLE);
	ck_assert_uint_eq(p->pc[1].id, 3);
	ck_assert_str_eq(p->pc[1].abstract_syntax, CT);
	ck_assert_uint_eq(p->pc[1].n_ts, 1);
	ck_assert_int_eq(p->has_max_pdu, 1);
	ck_assert_uint_eq(p->max_pdu, 16384);
	ck_assert_str_eq(p->impl_class_uid, IMPL);
	ck_assert_str_eq(p->impl_version, "CSTORE_TEST");
	ck_assert_uint_eq(p->n_role, 1);
	ck_assert_str_eq(p->role[0].sop_class, CT);
	ck_assert_uint_eq(p->role[0].scu_role, 0);
	ck_assert_uint_eq(p->role[0].scp_role, 1);
	/* the encoder writes the same bytes back */
	wr_init(&w, 4096);
	ck_assert_int_eq(ul_encode_assoc_rq(&w, p), 0);
	ck_assert_uint_eq(w.len, n);
	ck_assert_mem_eq(w.p, v, n);
	wr_release(&w);
	free(v);
	free(p);
}
END_TEST

START_TEST(pdu_vector_ac_one_accepted_one_rejected_decodes)
{
	struct ul_assoc_params *p = params_new();
	struct cs_err err = { 0 };
	uint8_t *v;
	size_t n, bl;
	const uint8_t *body;
	struct wr w;

	load(VEC("a-associate-ac-one-accepted-one-rejected"), &v, &n);
	body = body_of(v, n, UL_PDU_ASSOCIATE_AC, &bl);
	ck_assert_int_eq(decode_body(UL_PDU_ASSOCIATE_AC, body, bl, p, &err), 0);
	ck_assert_uint_eq(p->n_pc, 2);
	ck_assert_uint_eq(p->pc[0].id, 1);
	ck_assert_uint_eq(p->pc[0].result, UL_PC_ACCEPTANCE);
	ck_assert_uint_eq(p->pc[0].n_ts, 1);
	ck_assert_str_eq(p->pc[0].ts[0], EVLE);
	ck_assert_str_eq(p->pc[0].abstract_syntax, "");
	ck_assert_uint_eq(p->pc[1].id, 3);
	ck_assert_uint_eq(p->pc[1].result,
	    UL_PC_ABSTRACT_SYNTAX_NOT_SUPPORTED);
	ck_assert_uint_eq(p->pc[1].n_ts, 0);
	ck_assert_uint_eq(p->max_pdu, 32768);
	ck_assert_str_eq(p->impl_version, "PEER_1");
	ck_assert_uint_eq(p->n_role, 1);
	ck_assert_str_eq(p->called_ae, "STORE-SCP");
	wr_init(&w, 4096);
	ck_assert_int_eq(ul_encode_assoc_ac(&w, p), 0);
	ck_assert_uint_eq(w.len, n);
	ck_assert_mem_eq(w.p, v, n);
	wr_release(&w);
	free(v);
	free(p);
}
END_TEST

START_TEST(pdu_vector_rq_all_user_info_sub_items_decodes)
{
	struct ul_assoc_params *p = params_new();
	struct cs_err err = { 0 };
	uint8_t *v;
	size_t n, bl;
	const uint8_t *body;

	load(VEC("a-associate-rq-all-user-info-sub-items"), &v, &n);
	body = body_of(v, n, UL_PDU_ASSOCIATE_RQ, &bl);
	ck_assert_int_eq(decode_body(UL_PDU_ASSOCIATE_RQ, body, bl, p, &err), 0);
	ck_assert_str_eq(p->called_ae, "ARCHIVE");
	ck_assert_str_eq(p->calling_ae, "MODALITY");
	ck_assert_uint_eq(p->n_pc, 1);
	ck_assert_int_eq(p->has_max_pdu, 1);
	ck_assert_uint_eq(p->max_pdu, 0);
	/* the NUL pad is stripped */
	ck_assert_str_eq(p->impl_class_uid, "1.2.826.0.1.3680043.10.12345");
	ck_assert_int_eq(p->has_async_ops, 1);
	ck_assert_uint_eq(p->max_ops_invoked, 2);
	ck_assert_uint_eq(p->max_ops_performed, 1);
	ck_assert_uint_eq(p->n_role, 1);
	ck_assert_uint_eq(p->role[0].scu_role, 1);
	ck_assert_uint_eq(p->role[0].scp_role, 0);
	ck_assert_str_eq(p->impl_version, "SOME_PEER_V9");
	ck_assert_uint_eq(p->n_ext_neg, 1);
	ck_assert_str_eq(p->ext_neg[0].sop_class, CT);
	ck_assert_uint_eq(p->ext_neg[0].info.len, 3);
	ck_assert_mem_eq(p->ext_neg[0].info.p, "\x01\x00\x01", 3);
	ck_assert_uint_eq(p->n_common_ext_neg, 1);
	ck_assert_str_eq(p->common_ext_neg[0].sop_class, MR);
	ck_assert_str_eq(p->common_ext_neg[0].service_class,
	    "1.2.840.10008.4.2");
	ck_assert_uint_eq(p->common_ext_neg[0].n_related, 2);
	ck_assert_str_eq(p->common_ext_neg[0].related[0], CT);
	ck_assert_str_eq(p->common_ext_neg[0].related[1],
	    "1.2.840.10008.5.1.4.1.1.4.1");
	ck_assert_int_eq(p->has_user_identity, 1);
	ck_assert_uint_eq(p->user_identity.type, 2);
	ck_assert_uint_eq(p->user_identity.positive_response, 1);
	ck_assert_uint_eq(p->user_identity.primary.len, 5);
	ck_assert_mem_eq(p->user_identity.primary.p, "alice", 5);
	ck_assert_uint_eq(p->user_identity.secondary.len, 6);
	ck_assert_mem_eq(p->user_identity.secondary.p, "secret", 6);
	free(v);
	free(p);
}
END_TEST

START_TEST(pdu_vector_ac_user_identity_response_decodes)
{
	struct ul_assoc_params *p = params_new();
	struct cs_err err = { 0 };
	uint8_t *v;
	size_t n, bl;
	const uint8_t *body;

	load(VEC("a-associate-ac-user-identity-response"), &v, &n);
	body = body_of(v, n, UL_PDU_ASSOCIATE_AC, &bl);
	ck_assert_int_eq(decode_body(UL_PDU_ASSOCIATE_AC, body, bl, p, &err), 0);
	ck_assert_uint_eq(p->n_pc, 1);
	ck_assert_str_eq(p->pc[0].ts[0], IVLE);
	ck_assert_uint_eq(p->max_pdu, 65536);
	ck_assert_int_eq(p->has_async_ops, 1);
	ck_assert_uint_eq(p->n_ext_neg, 1);
	ck_assert_int_eq(p->has_user_identity, 1);
	ck_assert_uint_eq(p->user_identity.server_response.len, 5);
	ck_assert_mem_eq(p->user_identity.server_response.p, "token", 5);
	free(v);
	free(p);
}
END_TEST

START_TEST(pdu_vector_rj_abort_release_decode)
{
	struct cs_err err = { 0 };
	struct ul_assoc_rj rj;
	struct ul_abort ab;
	uint8_t *v;
	size_t n, bl;
	const uint8_t *body;

	load(VEC("a-associate-rj-called-ae-not-recognized"), &v, &n);
	body = body_of(v, n, UL_PDU_ASSOCIATE_RJ, &bl);
	ck_assert_int_eq(decode_body(UL_PDU_ASSOCIATE_RJ, body, bl, &rj, &err),
	    0);
	ck_assert_uint_eq(rj.result, 1);
	ck_assert_uint_eq(rj.source, 1);
	ck_assert_uint_eq(rj.reason, 7);
	ck_assert_str_eq(ul_rj_reason_text(rj.source, rj.reason),
	    "called AE title not recognized");
	free(v);

	load(VEC("a-abort-provider-unexpected-pdu"), &v, &n);
	body = body_of(v, n, UL_PDU_ABORT, &bl);
	ck_assert_int_eq(decode_body(UL_PDU_ABORT, body, bl, &ab, &err), 0);
	ck_assert_uint_eq(ab.source, 2);
	ck_assert_uint_eq(ab.reason, 2);
	ck_assert_str_eq(ul_abort_reason_text(ab.source, ab.reason),
	    "unexpected PDU");
	free(v);

	load(VEC("a-release-rq"), &v, &n);
	body = body_of(v, n, UL_PDU_RELEASE_RQ, &bl);
	ck_assert_int_eq(decode_body(UL_PDU_RELEASE_RQ, body, bl, NULL, &err),
	    0);
	free(v);
	load(VEC("a-release-rp"), &v, &n);
	body = body_of(v, n, UL_PDU_RELEASE_RP, &bl);
	ck_assert_int_eq(decode_body(UL_PDU_RELEASE_RP, body, bl, NULL, &err),
	    0);
	free(v);
}
END_TEST

START_TEST(pdu_vector_pdata_two_pdvs_decodes)
{
	struct cs_err err = { 0 };
	struct ul_pdv pdv;
	struct rd r;
	uint8_t *v;
	size_t n, bl;
	const uint8_t *body;

	load(VEC("p-data-tf-two-pdvs"), &v, &n);
	body = body_of(v, n, UL_PDU_P_DATA_TF, &bl);
	rd_init(&r, body, bl);
	ck_assert_int_eq(ul_next_pdv(&r, &pdv, &err), 1);
	ck_assert_uint_eq(pdv.pcid, 1);
	ck_assert_uint_eq(pdv.control, UL_PDV_COMMAND | UL_PDV_LAST);
	ck_assert_uint_eq(pdv.len, 10);
	ck_assert_ptr_eq(pdv.data, body + 6);
	ck_assert_int_eq(ul_next_pdv(&r, &pdv, &err), 1);
	ck_assert_uint_eq(pdv.control, UL_PDV_LAST);
	ck_assert_uint_eq(pdv.len, 26);
	ck_assert_mem_eq(pdv.data + 8, "1.2.840.10008.1.1", 18);
	ck_assert_int_eq(ul_next_pdv(&r, &pdv, &err), 0);
	ck_assert_int_eq(err.code, 0);
	free(v);
}
END_TEST

/*
 * Every vector cut at every length shorter than its body is an error,
 * never a crash or an over-read (guard page).  The exceptions are cuts
 * that fall exactly between top-level items after every mandatory one:
 * those are well-formed PDUs, and are listed.
 */
START_TEST(pdu_every_vector_cut_short_is_an_error)
{
	size_t i, cut;

	for (i = 0; i < sizeof(all_vectors) / sizeof(all_vectors[0]); i++) {
		struct ul_assoc_params *p = params_new();
		uint8_t *v;
		size_t n, bl;
		uint8_t type;
		uint32_t len;

		load(all_vectors[i], &v, &n);
		ck_assert_int_eq(ul_pdu_header(v, n, &type, &len), 0);
		bl = len;
		for (cut = 0; cut < bl; cut++) {
			struct cs_err err = { 0 };
			int rc = decode_body(type, v + 6, cut, p, &err);
			int boundary =
			    /* before the unknown 0x7f item (6 bytes) */
			    (strstr(all_vectors[i], "all-user-info") &&
			    cut == bl - 6) ||
			    /* between the two PDVs (16 bytes each + 32) */
			    (type == UL_PDU_P_DATA_TF && (cut == 0 ||
			    cut == 16));

			if (boundary) {
				ck_assert_msg(rc == 0, "%s cut at %zu: %s",
				    all_vectors[i], cut, err.msg);
				continue;
			}
			ck_assert_msg(rc < 0, "%s cut at %zu decoded",
			    all_vectors[i], cut);
			ck_assert_int_eq(rc, CS_E_PROTO);
			ck_assert_int_eq(err.code, CS_E_PROTO);
			ck_assert_str_ne(err.msg, "");
		}
		free(v);
		free(p);
	}
}
END_TEST

START_TEST(pdu_assoc_trailing_garbage_is_an_error_unless_an_item)
{
	static const uint8_t tail[] = { 0x7f, 0x00, 0x00, 0x00, 0xee };
	struct ul_assoc_params *p = params_new();
	uint8_t *v, *b;
	size_t n, k;

	load(VEC("a-associate-rq-two-contexts-role-selection"), &v, &n);
	b = malloc(n + sizeof(tail));
	ck_assert_ptr_nonnull(b);
	memcpy(b, v, n);
	memcpy(b + n, tail, sizeof(tail));
	for (k = 1; k <= sizeof(tail); k++) {
		struct cs_err err = { 0 };
		int rc = decode_body(UL_PDU_ASSOCIATE_RQ, b + 6, n - 6 + k, p,
		    &err);

		/* 4 bytes make an empty item of unknown type: skipped */
		if (k == 4)
			ck_assert_int_eq(rc, 0);
		else
			ck_assert_msg(rc == CS_E_PROTO, "%zu trailing bytes "
			    "decoded", k);
	}
	free(b);
	free(v);
	free(p);
}
END_TEST

START_TEST(pdu_fixed_size_pdus_reject_trailing_bytes)
{
	static const uint8_t five[5] = { 0, 1, 1, 7, 0 };
	struct cs_err err = { 0 };
	struct ul_assoc_rj rj;
	struct ul_abort ab;

	ck_assert_int_eq(decode_body(UL_PDU_ASSOCIATE_RJ, five, 5, &rj, &err),
	    CS_E_PROTO);
	ck_assert_int_eq(decode_body(UL_PDU_ABORT, five, 5, &ab, &err),
	    CS_E_PROTO);
	ck_assert_int_eq(decode_body(UL_PDU_RELEASE_RQ, five, 5, NULL, &err),
	    CS_E_PROTO);
}
END_TEST

START_TEST(pdu_header_needs_six_bytes)
{
	static const uint8_t h[6] = { 0x04, 0xff, 0x12, 0x34, 0x56, 0x78 };
	struct guarded g;
	uint8_t type = 0;
	uint32_t len = 0;
	size_t n;

	for (n = 0; n < 6; n++) {
		guard(&g, h, n);
		ck_assert_int_eq(ul_pdu_header(g.p, n, &type, &len),
		    CS_E_TRUNCATED);
		unguard(&g);
	}
	guard(&g, h, 6);
	ck_assert_int_eq(ul_pdu_header(g.p, 6, &type, &len), 0);
	unguard(&g);
	ck_assert_uint_eq(type, 4);
	ck_assert_uint_eq(len, 0x12345678);
}
END_TEST

/* --- malformed and borderline associate PDUs: a table of vectors ---------- */

/*
 * tests/vectors/pdu/cases/<name>.hex: whole A-ASSOCIATE-RQ/AC PDUs the
 * encoder refuses to make (or edge cases it would not make), each
 * annotated with what is wrong and the expected outcome.
 */
#define CASE(name) "tests/vectors/pdu/cases/" name ".hex"
#define U64 "1.2.3.4.5.6.7.8.9.10.11.12.13.14.15.16.17.18.19.20.21.22.23.24.2"

static void
expect_minimal(const struct ul_assoc_params *p)
{
	ck_assert_str_eq(p->called_ae, "CALLED-AE");
	ck_assert_str_eq(p->pc[0].abstract_syntax, CT);
	ck_assert_uint_eq(p->max_pdu, 0x4000);
	/* implementation class UID absent: accepted, left empty */
	ck_assert_str_eq(p->impl_class_uid, "");
}

static void
expect_as_u64(const struct ul_assoc_params *p)
{
	ck_assert_str_eq(p->pc[0].abstract_syntax, U64);
}

static void
expect_as_verif(const struct ul_assoc_params *p)
{
	ck_assert_str_eq(p->pc[0].abstract_syntax, VERIF);
}

static void
expect_version_2(const struct ul_assoc_params *p)
{
	/* PS3.8 9.3.2: the acceptor answers this with an RJ, so it decodes */
	ck_assert_uint_eq(p->protocol_version, 2);
}

static void
expect_unknown_skipped(const struct ul_assoc_params *p)
{
	ck_assert_uint_eq(p->n_pc, 1);
	ck_assert_uint_eq(p->max_pdu, 0x4000);
}

static void
expect_16_ts(const struct ul_assoc_params *p)
{
	ck_assert_uint_eq(p->pc[0].n_ts, UL_MAX_TS);
	ck_assert_str_eq(p->pc[0].ts[UL_MAX_TS - 1], "1.2.840.10008.1.2.4.115");
}

static void
expect_trimmed_titles(const struct ul_assoc_params *p)
{
	ck_assert_str_eq(p->called_ae, "LEAD AND TAIL");
	ck_assert_str_eq(p->calling_ae, "NULPAD");
}

static void
expect_rejected_skipped(const struct ul_assoc_params *p)
{
	ck_assert_uint_eq(p->n_pc, 2);
	ck_assert_uint_eq(p->pc[0].result, 4);
	ck_assert_uint_eq(p->pc[0].n_ts, 0);
	ck_assert_uint_eq(p->pc[1].id, 5);
}

static void
expect_no_contexts(const struct ul_assoc_params *p)
{
	ck_assert_uint_eq(p->n_pc, 0);
	ck_assert_str_eq(p->called_ae, "?ALLED-AE");
}

static const struct assoc_case {
	const char *vector;
	int rc;
	const char *msg; /* a part of the error message, or NULL */
	void (*expect)(const struct ul_assoc_params *); /* after rc 0 */
} assoc_cases[] = {
	{ CASE("rq-minimal-valid"), 0, NULL, expect_minimal },
	{ CASE("rq-pcid-even"), CS_E_PROTO, "not odd", NULL },
	{ CASE("rq-pcid-zero"), CS_E_PROTO,
	    "not odd", NULL },
	{ CASE("rq-pcid-255"), 0, NULL, NULL },
	{ CASE("rq-pcid-twice"), CS_E_PROTO, "twice", NULL },
	{ CASE("rq-abstract-syntax-empty"), CS_E_PROTO,
	    "empty abstract syntax", NULL },
	{ CASE("rq-abstract-syntax-65-chars"), CS_E_PROTO, "longer than 64",
	    NULL },
	{ CASE("rq-abstract-syntax-64-chars"), 0, NULL, expect_as_u64 },
	/* a 64-character UID with its NUL pad (65 bytes) is fine */
	{ CASE("rq-abstract-syntax-64-chars-nul-pad"), 0, NULL,
	    expect_as_u64 },
	/* just a NUL is empty */
	{ CASE("rq-abstract-syntax-nul-only"), CS_E_PROTO,
	    "empty abstract syntax", NULL },
	{ CASE("rq-abstract-syntax-nul-pad"), 0, NULL, expect_as_verif },
	{ CASE("rq-abstract-syntax-trailing-spaces"), 0, NULL,
	    expect_as_verif },
	/* an embedded NUL or control character is refused */
	{ CASE("rq-abstract-syntax-embedded-nul"), CS_E_PROTO,
	    "control character", NULL },
	{ CASE("rq-sub-item-overruns-item"), CS_E_PROTO, "overruns", NULL },
	{ CASE("rq-item-overruns-pdu"), CS_E_PROTO, "overruns", NULL },
	{ CASE("rq-no-application-context"), CS_E_PROTO,
	    "application context", NULL },
	{ CASE("rq-no-presentation-context"), CS_E_PROTO,
	    "presentation context", NULL },
	{ CASE("rq-no-user-information"), CS_E_PROTO, "user information",
	    NULL },
	{ CASE("rq-context-without-transfer-syntax"), CS_E_PROTO,
	    "no transfer syntax", NULL },
	{ CASE("rq-context-without-abstract-syntax"), CS_E_PROTO,
	    "no abstract syntax", NULL },
	{ CASE("rq-protocol-version-2"), 0, NULL, expect_version_2 },
	{ CASE("rq-reserved-fields-and-unknown-items"), 0, NULL,
	    expect_unknown_skipped },
	{ CASE("rq-ac-context-item"), CS_E_PROTO,
	    "type 0x21", NULL },
	{ CASE("rq-seventeen-transfer-syntaxes"), 0, NULL, expect_16_ts },
	{ CASE("rq-ae-titles-padded"), 0, NULL, expect_trimmed_titles },
	{ CASE("rq-ae-title-control-character"), CS_E_PROTO,
	    "control character", NULL },
	{ CASE("rq-user-info-max-length-3-bytes"), CS_E_PROTO,
	    "truncated maximum length", NULL },
	{ CASE("rq-user-info-async-ops-5-bytes"), CS_E_PROTO,
	    "stray bytes", NULL },
	{ CASE("rq-user-info-role-selection-stray-byte"), CS_E_PROTO,
	    "stray bytes", NULL },
	{ CASE("rq-user-info-role-selection-uid-overruns"), CS_E_PROTO,
	    "overruns", NULL },
	{ CASE("rq-user-info-user-identity-secondary-overruns"), CS_E_PROTO,
	    "truncated user identity", NULL },
	{ CASE("rq-user-info-user-identity-stray-byte"), CS_E_PROTO,
	    "stray bytes", NULL },
	{ CASE("rq-user-info-common-ext-neg-related-overruns"), CS_E_PROTO,
	    "related general sop class list", NULL },
	{ CASE("rq-user-info-sub-item-overruns-user-information"), CS_E_PROTO,
	    "overruns", NULL },
	{ CASE("rq-user-info-implementation-class-uid-empty"), CS_E_PROTO,
	    "empty implementation class uid", NULL },
	{ CASE("rq-user-info-second-max-length"), CS_E_PROTO,
	    "two maximum length", NULL },
	{ CASE("ac-rejected-contexts-transfer-syntax-skipped"), 0, NULL,
	    expect_rejected_skipped },
	{ CASE("ac-accepted-two-transfer-syntaxes"), CS_E_PROTO,
	    "two transfer syntaxes", NULL },
	{ CASE("ac-accepted-no-transfer-syntax"), CS_E_PROTO,
	    "no transfer syntax", NULL },
	{ CASE("ac-zero-contexts-unprintable-title"), 0, NULL,
	    expect_no_contexts },
};

START_TEST(pdu_assoc_cases_decode_as_annotated)
{
	const struct assoc_case *c = &assoc_cases[_i];
	struct ul_assoc_params *p = params_new();
	struct cs_err err = { 0 };
	const uint8_t *body;
	uint8_t *v, type;
	uint32_t len;
	size_t n;
	int rc;

	load(c->vector, &v, &n);
	ck_assert_int_eq(ul_pdu_header(v, n, &type, &len), 0);
	ck_assert(type == UL_PDU_ASSOCIATE_RQ || type == UL_PDU_ASSOCIATE_AC);
	body = body_of(v, n, type, &n);
	rc = decode_body(type, body, n, p, &err);
	ck_assert_msg(rc == c->rc, "%s: %d, not %d (%s)", c->vector, rc,
	    c->rc, err.msg);
	if (c->msg != NULL)
		ck_assert_msg(strstr(err.msg, c->msg) != NULL,
		    "%s: '%s' lacks '%s'", c->vector, err.msg, c->msg);
	if (rc == 0 && c->expect != NULL)
		c->expect(p);
	free(v);
	free(p);
}
END_TEST

/* --- P-DATA-TF ------------------------------------------------------------ */

static int
one_pdv(const char *hex, struct ul_pdv *pdv, struct cs_err *err)
{
	struct guarded g;
	struct rd r;
	uint8_t *b;
	size_t n;
	int rc;

	ck_assert_int_eq(vec_parse(hex, &b, &n), 0);
	g.p = guard_last(b, n);
	rd_init(&r, g.p, n);
	rc = ul_next_pdv(&r, pdv, err);
	free(b);
	return rc;
}

START_TEST(pdu_pdv_rejects_bad_lengths_and_even_pcid)
{
	struct ul_pdv pdv;
	struct cs_err err = { 0 };

	/* length 1: shorter than PCID + control header */
	ck_assert_int_eq(one_pdv("00000001 01", &pdv, &err), CS_E_PROTO);
	ck_assert_int_eq(one_pdv("00000000", &pdv, &err), CS_E_PROTO);
	/* 0xffffffff: past the body, not a wrap */
	ck_assert_int_eq(one_pdv("ffffffff 01 02 00", &pdv, &err),
	    CS_E_PROTO);
	ck_assert_int_eq(one_pdv("00000005 01 02 00", &pdv, &err),
	    CS_E_PROTO);
	/* truncated item header */
	ck_assert_int_eq(one_pdv("000000", &pdv, &err), CS_E_PROTO);
	/* even and zero PCIDs */
	ck_assert_int_eq(one_pdv("00000003 02 02 aa", &pdv, &err), CS_E_PROTO);
	ck_assert_int_eq(one_pdv("00000002 00 02", &pdv, &err), CS_E_PROTO);
	/* length exactly 2: an empty PDV is well formed */
	ck_assert_int_eq(one_pdv("00000002 01 02", &pdv, &err), 1);
	ck_assert_uint_eq(pdv.len, 0);
}
END_TEST

START_TEST(pdu_pdv_masks_reserved_control_bits)
{
	struct ul_pdv pdv;
	struct cs_err err = { 0 };

	/* PS3.8 E.2: bits 2-7 reserved, not reported */
	ck_assert_int_eq(one_pdv("00000003 01 fd 55", &pdv, &err), 1);
	ck_assert_uint_eq(pdv.control, UL_PDV_COMMAND);
	ck_assert_uint_eq(pdv.data[0], 0x55);
}
END_TEST

START_TEST(pdu_pdv_after_an_error_stays_an_error)
{
	struct cs_err err = { 0 };
	struct ul_pdv pdv;
	struct rd r;
	static const uint8_t b[] = { 0, 0, 0, 9, 1, 2 };

	rd_init(&r, b, sizeof(b));
	ck_assert_int_eq(ul_next_pdv(&r, &pdv, &err), CS_E_PROTO);
	ck_assert_int_eq(ul_next_pdv(&r, &pdv, &err), CS_E_PROTO);
}
END_TEST

/* --- encoder validation ----------------------------------------------------- */

static int
enc(struct ul_assoc_params *p, int ac)
{
	struct wr w;
	int rc;

	wr_init(&w, 1u << 20);
	rc = ac ? ul_encode_assoc_ac(&w, p) : ul_encode_assoc_rq(&w, p);
	if (rc != 0)
		ck_assert_uint_eq(w.len, 0);
	wr_release(&w);
	return rc;
}

START_TEST(pdu_rq_encoder_rejects_invalid_input)
{
	struct ul_assoc_params *p;

#define BAD(stmt) do { \
		p = full_rq(); \
		ck_assert_int_eq(enc(p, 0), 0); \
		stmt; \
		ck_assert_msg(enc(p, 0) == CS_E_INVAL, "accepted: %s", #stmt); \
		free(p); \
	} while (0)
	BAD(p->pc[1].id = 2);
	BAD(p->pc[1].id = 0);
	BAD(p->pc[1].id = 1); /* duplicate */
	BAD(p->n_pc = 0);
	BAD(p->n_pc = UL_MAX_PC + 1);
	BAD(p->pc[0].n_ts = 0);
	BAD(p->pc[0].n_ts = UL_MAX_TS + 1);
	BAD(SET(p->pc[0].abstract_syntax, ""));
	BAD(SET(p->pc[0].abstract_syntax, "1.2.x"));
	BAD(memset(p->pc[0].ts[0], '1', UL_UID_MAX + 1));
	BAD(SET(p->app_context, "1..a"));
	BAD(SET(p->impl_class_uid, ""));
	BAD(SET(p->called_ae, ""));
	BAD(SET(p->calling_ae, "    "));
	BAD(SET(p->calling_ae, "BACK\\SLASH"));
	BAD(memset(p->called_ae, 'A', UL_AE_MAX + 1));
	BAD(memset(p->impl_version, 'V', UL_VERSION_NAME_MAX + 1));
	BAD(SET(p->impl_version, ""));
	BAD(p->role[0].scu_role = 2);
	BAD(SET(p->role[1].sop_class, ""));
	BAD(p->n_role = 0; p->n_ext_neg = 1; p->ext_neg[0].info.p = NULL);
	BAD(p->common_ext_neg[0].n_related = UL_MAX_RELATED + 1);
	BAD(SET(p->common_ext_neg[0].service_class, ""));
	BAD(p->user_identity.type = 0);
	BAD(p->user_identity.type = 6);
	BAD(p->user_identity.type = 1); /* with a secondary field */
	BAD(p->user_identity.secondary.len = 0); /* type 2 without */
	BAD(p->user_identity.primary.len = 0);
	BAD(p->user_identity.positive_response = 2);
#undef BAD
}
END_TEST

START_TEST(pdu_ac_encoder_rejects_invalid_input)
{
	struct ul_assoc_params *p;

#define BAD(stmt) do { \
		p = full_ac(); \
		ck_assert_int_eq(enc(p, 1), 0); \
		stmt; \
		ck_assert_msg(enc(p, 1) == CS_E_INVAL, "accepted: %s", #stmt); \
		free(p); \
	} while (0)
	BAD(p->pc[0].result = 5);
	BAD(p->pc[0].n_ts = 0); /* accepted without a transfer syntax */
	BAD(p->pc[0].n_ts = 2);
	BAD(p->pc[3].id = 4);
	BAD(p->n_common_ext_neg = 1; SET(p->common_ext_neg[0].sop_class, CT);
	    SET(p->common_ext_neg[0].service_class, CT));
	BAD(p->user_identity.server_response.p = NULL);
#undef BAD
}
END_TEST

START_TEST(pdu_encoder_rejects_item_over_65535_bytes)
{
	struct ul_assoc_params *p = full_rq();
	uint8_t *big = calloc(1, 65535);
	struct wr w;

	ck_assert_ptr_nonnull(big);
	p->ext_neg[0].info.p = big;
	p->ext_neg[0].info.len = 65535;
	wr_init(&w, 1u << 20);
	wr_bytes(&w, "keep", 4);
	ck_assert_int_eq(ul_encode_assoc_rq(&w, p), CS_E_INVAL);
	/* nothing of the failed PDU is left behind */
	ck_assert_uint_eq(w.len, 4);
	ck_assert_int_eq(w.err, 0);
	wr_release(&w);
	free(big);
	free(p);
}
END_TEST

START_TEST(pdu_encoders_report_writer_limit)
{
	struct ul_assoc_params *p = full_rq();
	struct ul_abort ab = { 0, 0 };
	struct wr w;

	wr_init(&w, 100);
	ck_assert_int_eq(ul_encode_assoc_rq(&w, p), CS_E_TOOBIG);
	wr_release(&w);
	wr_init(&w, 9);
	ck_assert_int_eq(ul_encode_abort(&w, &ab), CS_E_TOOBIG);
	wr_release(&w);
	wr_init(&w, 11);
	ck_assert_int_eq(ul_encode_pdata_header(&w, 1, 0, 1), CS_E_TOOBIG);
	wr_release(&w);
	free(p);
}
END_TEST

START_TEST(pdu_small_encoders_reject_invalid_values)
{
	struct ul_assoc_rj rj;
	struct ul_abort ab;
	struct wr w;

	wr_init(&w, 64);
	rj = (struct ul_assoc_rj){ 3, 1, 1 };
	ck_assert_int_eq(ul_encode_assoc_rj(&w, &rj), CS_E_INVAL);
	rj = (struct ul_assoc_rj){ 1, 0, 1 };
	ck_assert_int_eq(ul_encode_assoc_rj(&w, &rj), CS_E_INVAL);
	rj = (struct ul_assoc_rj){ 1, 4, 1 };
	ck_assert_int_eq(ul_encode_assoc_rj(&w, &rj), CS_E_INVAL);
	ab = (struct ul_abort){ 1, 0 };
	ck_assert_int_eq(ul_encode_abort(&w, &ab), CS_E_INVAL);
	ab = (struct ul_abort){ 2, 7 };
	ck_assert_int_eq(ul_encode_abort(&w, &ab), CS_E_INVAL);
	ck_assert_int_eq(ul_encode_pdata_header(&w, 2, 0, 1), CS_E_INVAL);
	ck_assert_int_eq(ul_encode_pdata_header(&w, 1, 0x04, 1), CS_E_INVAL);
	ck_assert_uint_eq(w.len, 0);
	wr_release(&w);
}
END_TEST

/* --- words ------------------------------------------------------------------ */

START_TEST(pdu_text_names_results_and_reasons)
{
	ck_assert_str_eq(ul_pdu_name(UL_PDU_ASSOCIATE_RQ), "A-ASSOCIATE-RQ");
	ck_assert_str_eq(ul_pdu_name(UL_PDU_P_DATA_TF), "P-DATA-TF");
	ck_assert_str_eq(ul_pdu_name(UL_PDU_ABORT), "A-ABORT");
	ck_assert_str_eq(ul_pdu_name(0x08), "unknown");
	ck_assert_str_eq(ul_rj_reason_text(1, 2),
	    "application context name not supported");
	ck_assert_str_eq(ul_rj_reason_text(1, 3),
	    "calling AE title not recognized");
	ck_assert_str_eq(ul_rj_reason_text(2, 2),
	    "protocol version not supported");
	ck_assert_str_eq(ul_rj_reason_text(3, 1), "temporary congestion");
	ck_assert_str_eq(ul_rj_reason_text(3, 2), "local limit exceeded");
	ck_assert_str_eq(ul_rj_reason_text(1, 4), "reserved reason");
	ck_assert_str_eq(ul_rj_reason_text(9, 1), "unknown source");
	ck_assert_str_eq(ul_rj_result_text(1), "rejected permanent");
	ck_assert_str_eq(ul_rj_source_text(2), "service provider (ACSE)");
	ck_assert_str_eq(ul_abort_reason_text(2, 6),
	    "invalid PDU parameter value");
	ck_assert_str_eq(ul_abort_reason_text(2, 3), "reserved reason");
	ck_assert_str_eq(ul_abort_reason_text(0, 5),
	    "aborted by the service user");
	ck_assert_str_eq(ul_abort_source_text(1), "reserved source");
	ck_assert_str_eq(ul_pc_result_text(UL_PC_ACCEPTANCE), "acceptance");
	ck_assert_str_eq(ul_pc_result_text(UL_PC_USER_REJECTION),
	    "user rejection");
	ck_assert_str_eq(ul_pc_result_text(UL_PC_TRANSFER_SYNTAXES_NOT_SUPPORTED),
	    "transfer syntaxes not supported (provider rejection)");
	ck_assert_str_eq(ul_pc_result_text(9), "unknown result");
}
END_TEST

/* a ts_keep that keeps the UID want only */
static int
keep_only(void *want, const char *uid)
{
	return strcmp(uid, want) == 0;
}

START_TEST(pdu_rq_keep_leaves_out_refused_syntaxes_so_the_17th_has_room)
{
	static struct ul_assoc_params p;
	struct ul_ts_keep keep = { keep_only, (void *)"1.2.840.10008.1.2.4.116" };
	struct cs_err e = { 0, "" };
	uint8_t *b;
	size_t n;

	/* 17 syntaxes: without keep the 17th has no room (expect_16_ts) */
	load(CASE("rq-seventeen-transfer-syntaxes"), &b, &n);
	ck_assert_int_eq(
	    ul_decode_assoc_rq_keep(b + 6, n - 6, &p, &keep, NULL, &e), 0);
	ck_assert_uint_eq(p.pc[0].n_ts, 1);
	ck_assert_str_eq(p.pc[0].ts[0], "1.2.840.10008.1.2.4.116");
	/* none kept: the first proposed stands for them, to be refused */
	keep.user = (void *)"1.2.840.10008.1.2";
	ck_assert_int_eq(
	    ul_decode_assoc_rq_keep(b + 6, n - 6, &p, &keep, NULL, &e), 0);
	ck_assert_uint_eq(p.pc[0].n_ts, 1);
	ck_assert_str_eq(p.pc[0].ts[0], "1.2.840.10008.1.2.4.100");
	/* a NULL keep (or fn) keeps the first UL_MAX_TS, as before */
	ck_assert_int_eq(ul_decode_assoc_rq_keep(b + 6, n - 6, &p, NULL, NULL, &e), 0);
	expect_16_ts(&p);
	free(b);
}
END_TEST

START_TEST(pdu_vector_loader_ignores_comments_and_rejects_junk)
{
	uint8_t *b;
	size_t n;

	ck_assert_int_eq(vec_parse("# x 0g\n0a 0B # ff\n\tc\nd", &b, &n), 0);
	ck_assert_uint_eq(n, 3);
	ck_assert_mem_eq(b, "\x0a\x0b\xcd", 3);
	free(b);
	ck_assert_int_eq(vec_parse("0a0", &b, &n), -1);
	ck_assert_int_eq(vec_parse("zz", &b, &n), -1);
	ck_assert_int_eq(vec_parse("", &b, &n), 0);
	ck_assert_uint_eq(n, 0);
	free(b);
}
END_TEST

Suite *
ul_pdu_suite(void)
{
	Suite *s = suite_create("ul_pdu");
	TCase *tc = tcase_create("round trips");

	tcase_add_test(tc, pdu_rq_round_trips_every_item_and_sub_item);
	tcase_add_test(tc, pdu_rq_round_trips_each_user_identity_type);
	tcase_add_test(tc, pdu_rq_round_trips_128_contexts);
	tcase_add_test(tc, pdu_rq_round_trips_minimal_params);
	tcase_add_test(tc, pdu_ac_round_trips_every_result_and_sub_item);
	tcase_add_test(tc, pdu_ac_encodes_called_and_calling_titles_padded);
	tcase_add_test(tc, pdu_ac_echoes_a_backslash_title_of_the_rq);
	tcase_add_test(tc, pdu_rq_title_beyond_ascii_is_taken_with_question_marks);
	tcase_add_test(tc, pdu_rj_abort_release_round_trip);
	tcase_add_test(tc, pdu_pdata_header_round_trips_with_payload);
	tcase_add_test(tc, pdu_pdata_header_allows_the_largest_length);
	suite_add_tcase(s, tc);

	tc = tcase_create("vectors");
	tcase_add_test(tc, pdu_vector_rq_two_contexts_role_selection_decodes);
	tcase_add_test(tc, pdu_vector_ac_one_accepted_one_rejected_decodes);
	tcase_add_test(tc, pdu_vector_rq_all_user_info_sub_items_decodes);
	tcase_add_test(tc, pdu_vector_ac_user_identity_response_decodes);
	tcase_add_test(tc, pdu_vector_rj_abort_release_decode);
	tcase_add_test(tc, pdu_vector_pdata_two_pdvs_decodes);
	tcase_add_test(tc, pdu_every_vector_cut_short_is_an_error);
	tcase_add_test(tc, pdu_assoc_trailing_garbage_is_an_error_unless_an_item);
	tcase_add_test(tc, pdu_fixed_size_pdus_reject_trailing_bytes);
	tcase_add_test(tc, pdu_header_needs_six_bytes);
	tcase_add_test(tc, pdu_vector_loader_ignores_comments_and_rejects_junk);
	tcase_add_test(
	    tc, pdu_rq_keep_leaves_out_refused_syntaxes_so_the_17th_has_room);
	suite_add_tcase(s, tc);

	tc = tcase_create("malformed");
	tcase_add_loop_test(tc, pdu_assoc_cases_decode_as_annotated, 0,
	    (int)(sizeof(assoc_cases) / sizeof(assoc_cases[0])));
	tcase_add_test(tc, pdu_pdv_rejects_bad_lengths_and_even_pcid);
	tcase_add_test(tc, pdu_pdv_masks_reserved_control_bits);
	tcase_add_test(tc, pdu_pdv_after_an_error_stays_an_error);
	suite_add_tcase(s, tc);

	tc = tcase_create("encoders");
	tcase_add_test(tc, pdu_rq_encoder_rejects_invalid_input);
	tcase_add_test(tc, pdu_ac_encoder_rejects_invalid_input);
	tcase_add_test(tc, pdu_encoder_rejects_item_over_65535_bytes);
	tcase_add_test(tc, pdu_encoders_report_writer_limit);
	tcase_add_test(tc, pdu_small_encoders_reject_invalid_values);
	tcase_add_test(tc, pdu_text_names_results_and_reasons);
	suite_add_tcase(s, tc);
	return s;
}
