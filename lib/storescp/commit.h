/*
 * commit.h - one Storage Commitment transaction of the receiver (PS3.4
 * Annex J, Push Model as SCP): the N-ACTION-RQ's Action Information is
 * collected and decoded, its instances checked against the index
 * (commit_index.h), and the N-EVENT-REPORT-RQ's Event Information
 * encoded.  No socket and no clock: the session (session.h) sends the
 * report on the requester's association, commit_out.c on a new one.
 *
 * Ownership: a struct commit_tx owns its buffers (commit_tx_release).
 */
#ifndef CS_STORESCP_COMMIT_H
#define CS_STORESCP_COMMIT_H

#include <stddef.h>
#include <stdint.h>

#include "cstore/cstore.h"
#include "core/commit_ds.h"
#include "core/ds_elem.h"
#include "core/ul_pdu.h"
#include "storescp/commit_index.h"

/* The largest Action Information we read: ~30,000 instances (a
 * requester splits larger ones, PS3.4 J.3.2 leaves the size to the
 * SCP); beyond it the N-ACTION is answered 0110 and nothing is kept. */
#define COMMIT_RQ_MAX (4u * 1024u * 1024u)

/* commit_tx_judge flags */
#define COMMIT_SYNC 0x1u
/* the request reuses a Transaction UID whose report is still owed
 * (PS3.4 J.3.3.1.2): every instance fails with 0x0131, unchecked */
#define COMMIT_DUPLICATE 0x2u

/* Whether the receiver takes instances of SOP class uid (ctx: the
 * caller's), for commit_tx_judge. */
typedef int (*commit_class_fn)(const void *ctx, const char *uid);

struct commit_tx {
	enum ds_enc enc; /* of the context it came on, and the report */
	uint8_t *rq;     /* the Action Information as received */
	size_t rq_len, rq_cap;
	int too_big; /* more than COMMIT_RQ_MAX: dropped */
	char transaction[COMMIT_UID_MAX + 1];
	struct commit_item *items;
	size_t n, cap;
	size_t n_failed;
	uint8_t *ds; /* the Event Information, once judged */
	size_t ds_len;
};

/* Sets t up for a request on a context in encoding enc. */
void commit_tx_init(struct commit_tx *t, enum ds_enc enc);
/* Frees what t holds; t may be initialised again. */
void commit_tx_release(struct commit_tx *t);

/* Collects len more bytes of the Action Information. */
void commit_tx_data(struct commit_tx *t, const uint8_t *data, size_t len);

/*
 * Decodes the collected Action Information.  Returns 0, or the
 * N-ACTION-RSP failure status with the reason in err: 0x0110 (too big,
 * out of memory), 0x0115 invalid argument value (malformed, no
 * Transaction UID, no instance).
 */
uint16_t commit_tx_decode(struct commit_tx *t, struct cs_err *err);

/*
 * Checks every instance against the index ix (what a failed check
 * gives is in commit_index.h; an instance not held whose class
 * class_ok refuses, when class_ok is not NULL, fails with 0x0122,
 * Referenced SOP Class not supported), reports every fail_every-th one
 * (1-based; 0 none) failed with 0x0110 on purpose, and encodes the
 * Event Information into t->ds.  Returns the Event Type ID
 * (COMMIT_EVENT_SUCCESS or COMMIT_EVENT_FAILURES), or a negative
 * CS_E_* when the report cannot be encoded (detail in err).  A failed
 * index check fails every instance (reason 0x0110) and sets err.
 * flags COMMIT_SYNC: what is reported committed is on stable storage
 * before this returns even when the files were not fsync'ed one by one
 * (commit_index_judge: a syncfs unless one since covers them).
 * flags COMMIT_DUPLICATE: every instance fails with 0x0131, the index
 * not asked.
 */
int commit_tx_judge(struct commit_tx *t, struct commit_index *ix,
    unsigned flags, unsigned fail_every, commit_class_fn class_ok,
    const void *ctx, struct cs_err *err);

/*
 * Encodes the Event Information of the judged items into t->ds in
 * encoding enc (which t->enc becomes): the report on another context.
 * Returns 0 or commit_ds_encode's error (detail in err).
 */
int commit_tx_encode(struct commit_tx *t, enum ds_enc enc, struct cs_err *err);

#endif
