/* commit.c - one Storage Commitment transaction (see commit.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cstore/cstore.h"
#include "core/alloc.h"
#include "core/buf.h"
#include "core/commit_ds.h"
#include "storescp/commit.h"
#include "core/banned.h"

/* N-ACTION-RSP statuses (PS3.7 Annex C, 10.1.4.1.10) */
#define ST_PROCESSING_FAILURE 0x0110
#define ST_INVALID_ARGUMENT 0x0115

void
commit_tx_init(struct commit_tx *t, enum ds_enc enc)
{
	memset(t, 0, sizeof(*t));
	t->enc = enc;
}

void
commit_tx_release(struct commit_tx *t)
{
	free(t->rq);
	free(t->items);
	cs_free(t->ds);
	commit_tx_init(t, t->enc);
}

void
commit_tx_data(struct commit_tx *t, const uint8_t *data, size_t len)
{
	size_t cap = t->rq_cap;
	uint8_t *p;

	/* an empty PDV: nothing to keep, and memcpy to a buffer not yet
	 * allocated (NULL) is undefined even for 0 bytes */
	if (t->too_big || len == 0)
		return;
	if (len > COMMIT_RQ_MAX - t->rq_len) {
		t->too_big = 1;
		return;
	}
	while (cap < t->rq_len + len)
		cap = cap ? cap * 2 : 4096;
	if (cap != t->rq_cap) {
		p = realloc(t->rq, cap);
		if (p == NULL) {
			t->too_big = 1;
			return;
		}
		t->rq = p;
		t->rq_cap = cap;
	}
	memcpy(t->rq + t->rq_len, data, len);
	t->rq_len += len;
}

static int
on_ref(void *ctx, int failed, const struct commit_ref *ref)
{
	struct commit_tx *t = ctx;
	struct commit_item *it;

	if (failed)
		return 0; /* a request has no Failed SOP Sequence: ignored */
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 64;

		it = realloc(t->items, cap * sizeof(*it));
		if (it == NULL)
			return CS_E_NOMEM;
		t->items = it;
		t->cap = cap;
	}
	it = &t->items[t->n++];
	memset(it, 0, sizeof(*it));
	snprintf(it->sop_class, sizeof(it->sop_class), "%s", ref->sop_class);
	snprintf(it->sop_instance, sizeof(it->sop_instance), "%s",
	    ref->sop_instance);
	return 0;
}

uint16_t
commit_tx_decode(struct commit_tx *t, struct cs_err *err)
{
	struct commit_ds_cb cb = { on_ref, t };
	int rc;

	if (t->too_big) {
		cs_err_set(err, CS_E_TOOBIG,
		    "action information over %u bytes, or out of memory",
		    COMMIT_RQ_MAX);
		return ST_PROCESSING_FAILURE;
	}
	rc = commit_ds_decode(
	    t->rq, t->rq_len, t->enc, t->transaction, &cb, err);
	free(t->rq);
	t->rq = NULL;
	t->rq_len = t->rq_cap = 0;
	if (rc == CS_E_NOMEM) {
		cs_err_set(err, rc, "out of memory");
		return ST_PROCESSING_FAILURE;
	}
	if (rc != 0)
		return ST_INVALID_ARGUMENT;
	if (t->n == 0) {
		cs_err_set(err, CS_E_PROTO, "no Referenced SOP Sequence item");
		return ST_INVALID_ARGUMENT;
	}
	return 0;
}

int
commit_tx_encode(struct commit_tx *t, enum ds_enc enc, struct cs_err *err)
{
	struct commit_ref *ok = calloc(t->n, sizeof(*ok));
	struct commit_ref *bad = calloc(t->n, sizeof(*bad));
	size_t nok = 0, nbad = 0;
	struct wr w;
	int rc;

	if (ok == NULL || bad == NULL) {
		free(ok);
		free(bad);
		return cs_err_set(err, CS_E_NOMEM, "out of memory");
	}
	for (size_t i = 0; i < t->n; i++) {
		const struct commit_item *it = &t->items[i];
		struct commit_ref *r = it->reason ? &bad[nbad++] : &ok[nok++];

		*r = (struct commit_ref){ it->sop_class, it->sop_instance,
			it->reason };
	}
	cs_free(t->ds);
	t->ds = NULL;
	t->ds_len = 0;
	t->enc = enc;
	wr_init(&w, 2 * COMMIT_RQ_MAX);
	rc = commit_ds_encode(
	    &w, t->enc, t->transaction, ok, nok, bad, nbad, err);
	free(ok);
	free(bad);
	if (rc < 0) {
		wr_release(&w);
		return rc;
	}
	t->n_failed = nbad;
	t->ds = w.p; /* ours now: cs_free */
	t->ds_len = w.len;
	return 0;
}

int
commit_tx_judge(struct commit_tx *t, struct commit_index *ix, unsigned flags,
    unsigned fail_every, commit_class_fn class_ok, const void *ctx,
    struct cs_err *err)
{
	int rc;

	if (flags & COMMIT_DUPLICATE) {
		for (size_t i = 0; i < t->n; i++)
			t->items[i].reason = COMMIT_FAIL_DUPLICATE_TRANSACTION;
		fail_every = 0;
	} else
		commit_index_judge(
		    ix, t->items, t->n, (flags & COMMIT_SYNC) != 0, err);
	/* not held, and of a class this receiver does not store at all:
	 * PS3.3 C.14.1.1 has a reason of its own for that */
	for (size_t i = 0; class_ok != NULL && i < t->n; i++)
		if (t->items[i].reason == COMMIT_FAIL_NO_SUCH_INSTANCE &&
		    !class_ok(ctx, t->items[i].sop_class))
			t->items[i].reason = COMMIT_FAIL_CLASS_NOT_SUPPORTED;
	for (size_t i = 0; fail_every > 0 && i < t->n; i++)
		if ((i + 1) % fail_every == 0)
			t->items[i].reason = COMMIT_FAIL_PROCESSING;
	rc = commit_tx_encode(t, t->enc, err);
	if (rc < 0)
		return rc;
	return t->n_failed > 0 ? COMMIT_EVENT_FAILURES : COMMIT_EVENT_SUCCESS;
}
