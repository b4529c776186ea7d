/*
 * fuzz_commit_ds.c - the Storage Commitment data set decoder on hostile
 * bytes.
 *
 * Input: one control byte, then the data set.  The control byte's bits
 * 0-1 pick the encoding (0 and 3: Implicit LE, 1: Explicit LE, 2:
 * Explicit BE).  Besides "no crash, no overread" (ASan), a data set that
 * decodes in a Little Endian encoding must encode again from what was
 * decoded and decode from that to the same transaction and the same
 * instances (failed ones first, each list in its order).  abort() on any
 * difference.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cstore/cstore.h"
#include "core/buf.h"
#include "core/commit_ds.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_REFS 32

struct refs {
	size_t n[2]; /* [0] referenced, [1] failed */
	char cls[2][MAX_REFS][COMMIT_UID_MAX + 1];
	char inst[2][MAX_REFS][COMMIT_UID_MAX + 1];
	uint16_t reason[2][MAX_REFS];
	int overflow;
};

static void
check(int cond)
{
	if (!cond)
		abort();
}

static int
collect(void *ctx, int failed, const struct commit_ref *ref)
{
	struct refs *r = ctx;
	size_t i = r->n[failed];

	check(failed == 0 || failed == 1);
	check(strlen(ref->sop_class) > 0 &&
	    strlen(ref->sop_class) <= COMMIT_UID_MAX);
	check(strlen(ref->sop_instance) > 0 &&
	    strlen(ref->sop_instance) <= COMMIT_UID_MAX);
	check(failed || ref->failure_reason == 0);
	if (i == MAX_REFS) {
		r->overflow = 1;
		return 0;
	}
	memcpy(r->cls[failed][i], ref->sop_class, strlen(ref->sop_class) + 1);
	memcpy(r->inst[failed][i], ref->sop_instance,
	    strlen(ref->sop_instance) + 1);
	r->reason[failed][i] = ref->failure_reason;
	r->n[failed]++;
	return 0;
}

static void
as_refs(const struct refs *r, int failed, struct commit_ref *out)
{
	size_t i;

	for (i = 0; i < r->n[failed]; i++) {
		out[i].sop_class = r->cls[failed][i];
		out[i].sop_instance = r->inst[failed][i];
		out[i].failure_reason = r->reason[failed][i];
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum ds_enc encs[] = { DS_ENC_IVR_LE, DS_ENC_EVR_LE,
		DS_ENC_EVR_BE, DS_ENC_IVR_LE };
	static struct refs a, b;
	struct commit_ref ok[MAX_REFS], bad[MAX_REFS];
	char tx[COMMIT_UID_MAX + 1], tx2[COMMIT_UID_MAX + 1];
	struct commit_ds_cb cb = { collect, &a };
	struct cs_err err = { 0, "" };
	enum ds_enc enc;
	struct wr w;
	size_t k, i;
	int rc;

	if (size < 1)
		return 0;
	enc = encs[data[0] & 3];
	memset(&a, 0, sizeof(a));
	rc = commit_ds_decode(data + 1, size - 1, enc, tx, &cb, &err);
	check(rc == 0 || rc == CS_E_PROTO);
	check(rc == 0 || err.msg[0] != '\0');
	if (rc != 0 || a.overflow || enc == DS_ENC_EVR_BE)
		return 0;
	check(tx[0] != '\0');
	as_refs(&a, 0, ok);
	as_refs(&a, 1, bad);
	wr_init(&w, 1u << 20);
	check(commit_ds_encode(&w, enc, tx, ok, a.n[0], bad, a.n[1], &err) >
	    0);
	memset(&b, 0, sizeof(b));
	cb.ctx = &b;
	check(commit_ds_decode(w.p, w.len, enc, tx2, &cb, &err) == 0);
	check(strcmp(tx, tx2) == 0);
	for (k = 0; k < 2; k++) {
		check(a.n[k] == b.n[k]);
		for (i = 0; i < a.n[k]; i++) {
			check(strcmp(a.cls[k][i], b.cls[k][i]) == 0);
			check(strcmp(a.inst[k][i], b.inst[k][i]) == 0);
			check(a.reason[k][i] == b.reason[k][i]);
		}
	}
	wr_release(&w);
	return 0;
}
