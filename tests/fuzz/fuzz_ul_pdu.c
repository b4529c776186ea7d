/*
 * fuzz_ul_pdu.c - libFuzzer target for the Upper Layer PDU decoders.
 *
 * The input is one PDU: a 6-byte header, then the body (whatever follows,
 * whatever the length field says, so the fuzzer need not fix lengths up).
 * The decoder for the header's type runs on the body; for an unknown
 * type every decoder does.  A decoded A-ASSOCIATE-RQ/AC that the encoder
 * accepts is encoded, decoded and encoded again: the two decodes must
 * agree and the two encodings must be byte for byte equal, else abort().
 * Every PDU is also described by the -d trace (ul_dump_pdu), whose
 * lines must be short and printable.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cstore/cstore.h"
#include "core/buf.h"
#include "core/ul_dump.h"
#include "core/ul_pdu.h"

#include "check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Large (about 200 KiB each): static, not on the stack. */
static struct ul_assoc_params dec1, dec2, dec3;

static void
blob_same(const struct ul_blob *a, const struct ul_blob *b)
{
	CHECK(a->len == b->len);
	CHECK(a->len == 0 || memcmp(a->p, b->p, a->len) == 0);
}

/* What an encode/decode cycle must keep (see ul_encode_assoc_rq). */
static void
same(const struct ul_assoc_params *a, const struct ul_assoc_params *b,
    int ac)
{
	unsigned i, j;

	CHECK(b->protocol_version ==
	    (a->protocol_version != 0 ? a->protocol_version : 1));
	CHECK(strcmp(a->called_ae, b->called_ae) == 0);
	CHECK(strcmp(a->calling_ae, b->calling_ae) == 0);
	CHECK(strcmp(a->app_context, b->app_context) == 0);
	CHECK(a->n_pc == b->n_pc);
	for (i = 0; i < a->n_pc; i++) {
		const struct ul_pc *x = &a->pc[i], *y = &b->pc[i];

		CHECK(x->id == y->id && x->result == y->result);
		CHECK(strcmp(x->abstract_syntax, y->abstract_syntax) == 0);
		CHECK(x->n_ts == y->n_ts);
		for (j = 0; j < x->n_ts; j++)
			CHECK(strcmp(x->ts[j], y->ts[j]) == 0);
	}
	CHECK(b->has_max_pdu && a->max_pdu == b->max_pdu);
	CHECK(strcmp(a->impl_class_uid, b->impl_class_uid) == 0);
	CHECK(a->has_impl_version == b->has_impl_version);
	CHECK(strcmp(a->impl_version, b->impl_version) == 0);
	CHECK(a->has_async_ops == b->has_async_ops);
	CHECK(a->max_ops_invoked == b->max_ops_invoked);
	CHECK(a->max_ops_performed == b->max_ops_performed);
	CHECK(a->n_role == b->n_role);
	for (i = 0; i < a->n_role; i++) {
		CHECK(strcmp(a->role[i].sop_class, b->role[i].sop_class) == 0);
		CHECK(a->role[i].scu_role == b->role[i].scu_role);
		CHECK(a->role[i].scp_role == b->role[i].scp_role);
	}
	CHECK(a->n_ext_neg == b->n_ext_neg);
	for (i = 0; i < a->n_ext_neg; i++) {
		CHECK(strcmp(a->ext_neg[i].sop_class,
		    b->ext_neg[i].sop_class) == 0);
		blob_same(&a->ext_neg[i].info, &b->ext_neg[i].info);
	}
	CHECK(a->n_common_ext_neg == b->n_common_ext_neg);
	for (i = 0; i < a->n_common_ext_neg; i++) {
		const struct ul_common_ext_neg *x = &a->common_ext_neg[i];
		const struct ul_common_ext_neg *y = &b->common_ext_neg[i];

		CHECK(strcmp(x->sop_class, y->sop_class) == 0);
		CHECK(strcmp(x->service_class, y->service_class) == 0);
		CHECK(x->n_related == y->n_related);
		for (j = 0; j < x->n_related; j++)
			CHECK(strcmp(x->related[j], y->related[j]) == 0);
	}
	CHECK(a->has_user_identity == b->has_user_identity);
	if (a->has_user_identity) {
		if (ac) {
			blob_same(&a->user_identity.server_response,
			    &b->user_identity.server_response);
		} else {
			CHECK(a->user_identity.type == b->user_identity.type);
			CHECK(a->user_identity.positive_response ==
			    b->user_identity.positive_response);
			blob_same(&a->user_identity.primary,
			    &b->user_identity.primary);
			blob_same(&a->user_identity.secondary,
			    &b->user_identity.secondary);
		}
	}
}

static void
reencode(int ac)
{
	struct wr w1, w2;
	struct cs_err err = { 0 };
	uint8_t type;
	uint32_t len;
	int rc;

	wr_init(&w1, 1u << 24);
	wr_init(&w2, 1u << 24);
	rc = ac ? ul_encode_assoc_ac(&w1, &dec1) : ul_encode_assoc_rq(&w1,
	    &dec1);
	/* the decoder is lenient where the encoder is not: that is fine */
	if (rc != 0) {
		CHECK(rc == CS_E_INVAL);
		goto out;
	}
	CHECK(ul_pdu_header(w1.p, w1.len, &type, &len) == 0);
	CHECK(type == (ac ? UL_PDU_ASSOCIATE_AC : UL_PDU_ASSOCIATE_RQ));
	CHECK((size_t)len + UL_PDU_HEADER_LEN == w1.len);
	rc = ac ? ul_decode_assoc_ac(w1.p + 6, len, &dec2, &err) :
	    ul_decode_assoc_rq(w1.p + 6, len, &dec2, &err);
	CHECK(rc == 0);
	same(&dec1, &dec2, ac);
	rc = ac ? ul_encode_assoc_ac(&w2, &dec2) : ul_encode_assoc_rq(&w2,
	    &dec2);
	CHECK(rc == 0);
	CHECK(w1.len == w2.len && memcmp(w1.p, w2.p, w1.len) == 0);
	/* and a decode of the second encoding matches too */
	CHECK((ac ? ul_decode_assoc_ac(w2.p + 6, len, &dec3, &err) :
	    ul_decode_assoc_rq(w2.p + 6, len, &dec3, &err)) == 0);
	same(&dec2, &dec3, ac);
out:
	wr_release(&w1);
	wr_release(&w2);
}

static void
pdvs(const uint8_t *body, size_t n)
{
	struct cs_err err = { 0 };
	struct ul_pdv pdv;
	struct rd r;
	struct wr w;
	int rc;

	wr_init(&w, 64);
	rd_init(&r, body, n);
	while ((rc = ul_next_pdv(&r, &pdv, &err)) == 1) {
		CHECK(pdv.data != NULL || pdv.len == 0);
		CHECK(pdv.data >= body && pdv.data + pdv.len <= body + n);
		CHECK(pdv.pcid & 1);
		CHECK((pdv.control & ~3) == 0);
		/* the PDV item header encodes back to what was read */
		wr_reset(&w);
		CHECK(ul_encode_pdata_header(&w, pdv.pcid, pdv.control,
		    pdv.len) == 0);
		CHECK(w.len == 12 && memcmp(w.p + 6, pdv.data - 6, 5) == 0);
		CHECK((pdv.data[-1] & 3) == w.p[11]);
	}
	CHECK(rc == 0 || rc == CS_E_PROTO);
	wr_release(&w);
}

/* RJ and A-ABORT with values the encoder accepts encode back the same. */
static void
rj_abort(const uint8_t *body, size_t n, int abort_pdu)
{
	struct cs_err err = { 0 };
	struct ul_assoc_rj rj;
	struct ul_abort ab;
	struct wr w;
	int rc;

	wr_init(&w, 64);
	if (abort_pdu) {
		if (ul_decode_abort(body, n, &ab, &err) != 0)
			goto out;
		CHECK(ul_abort_reason_text(ab.source, ab.reason) != NULL);
		CHECK(ul_abort_source_text(ab.source) != NULL);
		rc = ul_encode_abort(&w, &ab);
	} else {
		if (ul_decode_assoc_rj(body, n, &rj, &err) != 0)
			goto out;
		CHECK(ul_rj_reason_text(rj.source, rj.reason) != NULL);
		CHECK(ul_rj_result_text(rj.result) != NULL);
		CHECK(ul_rj_source_text(rj.source) != NULL);
		rc = ul_encode_assoc_rj(&w, &rj);
	}
	if (rc != 0) {
		CHECK(rc == CS_E_INVAL);
		goto out;
	}
	/* reserved bytes are sent as 0, the rest as read */
	CHECK(w.len == 10 && n == 4);
	if (abort_pdu)
		CHECK(memcmp(w.p + 8, body + 2, 2) == 0);
	else
		CHECK(memcmp(w.p + 7, body + 1, 3) == 0);
out:
	wr_release(&w);
}

static void
assoc(const uint8_t *body, size_t n, int ac)
{
	struct cs_err err = { 0 };
	int rc = ac ? ul_decode_assoc_ac(body, n, &dec1, &err) :
	    ul_decode_assoc_rq(body, n, &dec1, &err);

	if (rc != 0) {
		CHECK(rc == CS_E_PROTO && err.code == CS_E_PROTO);
		return;
	}
	CHECK(strlen(dec1.called_ae) <= UL_AE_MAX);
	CHECK(dec1.n_pc <= UL_MAX_PC);
	if (dec1.n_pc > 0)
		CHECK(ul_pc_result_text(dec1.pc[0].result) != NULL);
	reencode(ac);
}

static void
dump_line(void *user, const char *line)
{
	(void)user;
	CHECK(strlen(line) < 512);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cs_err err = { 0 };
	const uint8_t *body;
	uint8_t type;
	uint32_t len;
	size_t n;

	if (ul_pdu_header(data, size, &type, &len) != 0)
		return 0;
	body = data + UL_PDU_HEADER_LEN;
	n = size - UL_PDU_HEADER_LEN;
	CHECK(ul_pdu_name(type) != NULL);
	ul_dump_pdu('R', data, size, NULL, dump_line, NULL);
	switch (type) {
	case UL_PDU_ASSOCIATE_RQ:
		assoc(body, n, 0);
		break;
	case UL_PDU_ASSOCIATE_AC:
		assoc(body, n, 1);
		break;
	case UL_PDU_ASSOCIATE_RJ:
		rj_abort(body, n, 0);
		break;
	case UL_PDU_P_DATA_TF:
		pdvs(body, n);
		break;
	case UL_PDU_RELEASE_RQ:
	case UL_PDU_RELEASE_RP:
		if (ul_decode_release(body, n, &err) == 0) {
			struct wr w;

			wr_init(&w, 64);
			CHECK((type == UL_PDU_RELEASE_RQ ?
			    ul_encode_release_rq(&w) :
			    ul_encode_release_rp(&w)) == 0);
			CHECK(w.len == 10 && w.p[0] == type);
			wr_release(&w);
		}
		break;
	case UL_PDU_ABORT:
		rj_abort(body, n, 1);
		break;
	default:
		assoc(body, n, 0);
		assoc(body, n, 1);
		rj_abort(body, n, 0);
		rj_abort(body, n, 1);
		(void)ul_decode_release(body, n, &err);
		pdvs(body, n);
		break;
	}
	return 0;
}
