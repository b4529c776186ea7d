/*
 * commit_ds.h - the data sets of Storage Commitment Push Model (PS3.4
 * Annex J): the Action Information of the N-ACTION-RQ that asks an
 * archive to commit instances (Table J.3-1), and the Event Information of
 * the N-EVENT-REPORT-RQ that answers it (Table J.3-2).
 *
 * Both are one Transaction UID and lists of instances:
 *   (0008,1195) Transaction UID
 *   (0008,1198) Failed SOP Sequence      (report only) items of class,
 *               instance and (0008,1197) Failure Reason
 *   (0008,1199) Referenced SOP Sequence  items of (0008,1150) Referenced
 *               SOP Class UID and (0008,1155) Referenced SOP Instance UID
 *
 * Sans-I/O: the encoder appends to a struct wr, the decoder reads a
 * complete data set from memory (these are small: about 130 bytes an
 * instance) through the shared walker core/ds_walk.h and hands
 * each instance to a callback, so nothing is allocated.  Every pointer
 * argument is borrowed for the call; strings given to callbacks live
 * until the callback returns.
 */
#ifndef CS_CORE_COMMIT_DS_H
#define CS_CORE_COMMIT_DS_H

#include <stddef.h>
#include <stdint.h>

#include "cstore/cstore.h"
#include "core/buf.h"
#include "core/ds_elem.h"
#include "core/ul_pdu.h"

/* PS3.4 J.3.1 and J.3.2: the SOP class, its well-known instance, and
 * the action and event type IDs. */
#define COMMIT_SOP_CLASS "1.2.840.10008.1.20.1"
#define COMMIT_SOP_INSTANCE "1.2.840.10008.1.20.1.1"
#define COMMIT_ACTION_REQUEST 1 /* Request Storage Commitment */
#define COMMIT_EVENT_SUCCESS 1  /* every instance committed */
#define COMMIT_EVENT_FAILURES 2 /* failures exist */

/* Failure Reason (0008,1197) values (PS3.3 C.14.1.1). */
#define COMMIT_FAIL_PROCESSING 0x0110
#define COMMIT_FAIL_NO_SUCH_INSTANCE 0x0112
#define COMMIT_FAIL_CLASS_INSTANCE_CONFLICT 0x0119
#define COMMIT_FAIL_CLASS_NOT_SUPPORTED 0x0122
#define COMMIT_FAIL_RESOURCES 0x0213
#define COMMIT_FAIL_DUPLICATE_TRANSACTION 0x0131

/* PS3.5 9.1: at most 64 characters. */
#define COMMIT_UID_MAX 64

/* One instance of a request or a report. */
struct commit_ref {
	const char *sop_class;
	const char *sop_instance;
	/* Failure Reason of a failed instance; 0 in the Referenced SOP
	 * Sequence, and when a report's failed item gave none. */
	uint16_t failure_reason;
};

/*
 * Appends the data set to w in encoding enc (Implicit or Explicit VR
 * Little Endian: the encodings a commitment presentation context can
 * have in practice; Big Endian gives CS_E_UNSUPPORTED): the Transaction
 * UID, then the Failed SOP Sequence when nfailed > 0, then the
 * Referenced SOP Sequence when nok > 0 or no failure is given (an
 * N-ACTION always has one, PS3.4 Table J.3-1).  Sequences and items have
 * defined lengths.  Returns the number of bytes appended, CS_E_INVAL
 * (a UID NULL, empty, over 64 characters or not printable ASCII; detail
 * in err, w unchanged), or the writer's latched CS_E_TOOBIG/CS_E_NOMEM.
 */
int commit_ds_encode(struct wr *w, enum ds_enc enc, const char *transaction,
    const struct commit_ref *ok, size_t nok, const struct commit_ref *failed,
    size_t nfailed, struct cs_err *err);

/* What the decoder found, one call per instance. */
struct commit_ds_cb {
	/* An item of the Referenced (failed == 0) or the Failed SOP
	 * Sequence (failed == 1).  A non-zero return stops the decoder,
	 * which returns it. */
	int (*on_ref)(void *ctx, int failed, const struct commit_ref *ref);
	void *ctx;
};

/*
 * Decodes the data set p[0..n) in encoding enc.  Sets transaction
 * (COMMIT_UID_MAX + 1 bytes) to the Transaction UID and calls cb->on_ref
 * (when not NULL) for each instance, in order.  Elements it does not
 * need (Retrieve AE Title, Storage Media File-Set ID, private ones,
 * nested sequences) are skipped.  Returns 0, the callback's non-zero
 * value, or CS_E_PROTO with detail in err: a malformed or truncated
 * element, a sequence or item that overruns its container, nesting past
 * DS_WALK_MAX_SEQUENCES (128) sequences, no or an empty Transaction UID, an
 * item without class or instance UID, a UID over 64 characters or not
 * printable, a Failure Reason that is not one US.  Callbacks may have been called before an
 * error is found: a caller discards what it got when the call fails.
 */
int commit_ds_decode(const void *p, size_t n, enum ds_enc enc,
    char *transaction, const struct commit_ds_cb *cb, struct cs_err *err);

/*
 * The transfer syntaxes of a commitment context, decided here once for
 * every side: the encodings this codec speaks, Explicit VR Little
 * Endian preferred, then Implicit (the default every peer has).
 *
 * commit_ts_enc: the encoding of a transfer syntax UID for commitment
 * data sets: 0 with *enc set, or CS_E_UNSUPPORTED for any other (Big
 * Endian, Deflated, the encapsulated ones).  commit_ts_propose: fills
 * pc's transfer syntaxes with ours, in our order (the caller sets its
 * id and abstract syntax).  commit_ts_pick: the index in pc of the
 * first proposed one commit_ts_enc takes, or -1.
 */
int commit_ts_enc(const char *ts_uid, enum ds_enc *enc);
void commit_ts_propose(struct ul_pc *pc);
int commit_ts_pick(const struct ul_pc *pc);

/* A short static text for a Failure Reason ("no such object instance"),
 * or NULL for a value PS3.4 does not list. */
const char *commit_failure_text(uint16_t reason);

#endif
