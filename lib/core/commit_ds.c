/*
 * commit_ds.c - Storage Commitment data sets (see commit_ds.h).
 *
 * The encoder writes defined lengths, patched after each item and
 * sequence is written.  The decoder is a recursive walk over a complete
 * data set in memory: every header through ds_elem_read, every
 * defined-length sequence and item read through a sub-reader of exactly
 * its length, so that nothing can overrun its container.
 */
#include <stdarg.h>
#include <stdio.h> /* snprintf only: no file I/O in core */
#include <string.h>

#include "core/commit_ds.h"
#include "core/ts_uids.h"

#include "core/banned.h"

#define TAG_TRANSACTION_UID DS_TAG(0x0008, 0x1195)
#define TAG_FAILED_SEQ DS_TAG(0x0008, 0x1198)
#define TAG_REFERENCED_SEQ DS_TAG(0x0008, 0x1199)
#define TAG_REF_CLASS DS_TAG(0x0008, 0x1150)
#define TAG_REF_INSTANCE DS_TAG(0x0008, 0x1155)
#define TAG_FAILURE_REASON DS_TAG(0x0008, 0x1197)
/* Nesting a report never needs; a bound for hostile input. */
#define MAX_DEPTH 16

/* --- encoding ------------------------------------------------------------ */

static int
check_uid(const char *uid, const char *what, struct cs_err *err)
{
	size_t len, i;

	if (uid == NULL || uid[0] == '\0')
		return cs_err_set(err, CS_E_INVAL, "%s is empty", what);
	len = strnlen(uid, COMMIT_UID_MAX + 1);
	if (len > COMMIT_UID_MAX)
		return cs_err_set(err, CS_E_INVAL,
		    "%s is longer than %d characters", what, COMMIT_UID_MAX);
	for (i = 0; i < len; i++)
		if (uid[i] <= 0x20 || uid[i] >= 0x7f)
			return cs_err_set(err, CS_E_INVAL,
			    "%s holds a character that is not printable", what);
	return 0;
}

/* A header of an element with a short-length VR (UI, US). */
static void
put_short(
    struct wr *w, enum ds_enc enc, uint32_t tag, const char *vr, uint16_t len)
{
	wr_le16(w, DS_TAG_GROUP(tag));
	wr_le16(w, DS_TAG_ELEM(tag));
	if (enc == DS_ENC_IVR_LE) {
		wr_le32(w, len);
		return;
	}
	wr_bytes(w, vr, 2);
	wr_le16(w, len);
}

static void
put_uid(struct wr *w, enum ds_enc enc, uint32_t tag, const char *uid)
{
	size_t len = strlen(uid);

	/* PS3.5 6.2: UI values are padded to even length with a NUL. */
	put_short(w, enc, tag, "UI", (uint16_t)(len + (len & 1)));
	wr_bytes(w, uid, len);
	if (len & 1)
		wr_u8(w, 0);
}

/* Starts a sequence or an item; returns where its length goes. */
static size_t
open_seq(struct wr *w, enum ds_enc enc, uint32_t tag)
{
	wr_le16(w, DS_TAG_GROUP(tag));
	wr_le16(w, DS_TAG_ELEM(tag));
	if (enc == DS_ENC_EVR_LE) {
		wr_bytes(w, "SQ", 2);
		wr_le16(w, 0);
	}
	wr_le32(w, 0);
	return w->len - 4;
}

static size_t
open_item(struct wr *w)
{
	wr_le16(w, 0xfffe);
	wr_le16(w, 0xe000);
	wr_le32(w, 0);
	return w->len - 4;
}

static void
close_at(struct wr *w, size_t at)
{
	if (!w->err)
		wr_patch_le32(w, at, (uint32_t)(w->len - at - 4));
}

static void
put_sequence(struct wr *w, enum ds_enc enc, uint32_t tag,
    const struct commit_ref *refs, size_t n, int failed)
{
	size_t seq = open_seq(w, enc, tag), i;

	for (i = 0; i < n; i++) {
		size_t item = open_item(w);

		put_uid(w, enc, TAG_REF_CLASS, refs[i].sop_class);
		put_uid(w, enc, TAG_REF_INSTANCE, refs[i].sop_instance);
		if (failed) {
			put_short(w, enc, TAG_FAILURE_REASON, "US", 2);
			wr_le16(w, refs[i].failure_reason);
		}
		close_at(w, item);
	}
	close_at(w, seq);
}

static int
check_refs(const struct commit_ref *refs, size_t n, struct cs_err *err)
{
	size_t i;
	int rc;

	if (n > 0 && refs == NULL)
		return cs_err_set(err, CS_E_INVAL, "no instances given");
	for (i = 0; i < n; i++)
		if ((rc = check_uid(
			 refs[i].sop_class, "a SOP Class UID", err)) != 0 ||
		    (rc = check_uid(
			 refs[i].sop_instance, "a SOP Instance UID", err)) != 0)
			return rc;
	return 0;
}

int
commit_ds_encode(struct wr *w, enum ds_enc enc, const char *transaction,
    const struct commit_ref *ok, size_t nok, const struct commit_ref *failed,
    size_t nfailed, struct cs_err *err)
{
	size_t start = w->len;
	int rc;

	if (enc != DS_ENC_IVR_LE && enc != DS_ENC_EVR_LE)
		return cs_err_set(err, CS_E_UNSUPPORTED,
		    "commitment data sets "
		    "are written in Implicit or Explicit VR Little Endian only");
	if ((rc = check_uid(transaction, "the Transaction UID", err)) != 0 ||
	    (rc = check_refs(ok, nok, err)) != 0 ||
	    (rc = check_refs(failed, nfailed, err)) != 0)
		return rc;
	/* Ascending tags (PS3.5 7.1): 1195, 1198, 1199. */
	put_uid(w, enc, TAG_TRANSACTION_UID, transaction);
	if (nfailed > 0)
		put_sequence(w, enc, TAG_FAILED_SEQ, failed, nfailed, 1);
	if (nok > 0 || nfailed == 0)
		put_sequence(w, enc, TAG_REFERENCED_SEQ, ok, nok, 0);
	if (w->err) {
		w->len = start;
		return cs_err_set(err, w->err,
		    "cannot encode the commitment "
		    "data set: %s",
		    cs_strerror(w->err));
	}
	return (int)(w->len - start);
}

/* --- decoding ------------------------------------------------------------ */

struct dec {
	enum ds_enc enc;
	const struct commit_ds_cb *cb;
	char *transaction;
	struct cs_err *err;
};

static int bad(struct dec *d, const struct rd *r, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
bad(struct dec *d, const struct rd *r, const char *fmt, ...)
{
	char msg[200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return cs_err_set(d->err, CS_E_PROTO,
	    "commitment data set, offset "
	    "%zu: %s",
	    r->pos, msg);
}

/* Copies a UI value without its padding into dst (COMMIT_UID_MAX+1). */
static int
get_uid(struct dec *d, struct rd *r, const struct ds_elem *e, char *dst,
    const char *what)
{
	const uint8_t *v = rd_bytes(r, e->len);
	size_t start = 0, end = e->len, i;

	if (v == NULL)
		return bad(d, r, "%s runs past its container", what);
	while (end > 0 && (v[end - 1] == 0x00 || v[end - 1] == 0x20))
		end--;
	while (start < end && v[start] == 0x20)
		start++;
	if (end == start)
		return bad(d, r, "%s is empty", what);
	if (end - start > COMMIT_UID_MAX)
		return bad(
		    d, r, "%s is %zu characters long", what, end - start);
	for (i = start; i < end; i++)
		if (v[i] < 0x21 || v[i] > 0x7e)
			return bad(d, r, "%s holds byte 0x%02X", what, v[i]);
	memcpy(dst, v + start, end - start);
	dst[end - start] = '\0';
	return 0;
}

static int
walk(struct dec *d, struct rd *r, enum ds_enc enc, unsigned depth, int in_item,
    int (*on_elem)(struct dec *, struct rd *, enum ds_enc,
	const struct ds_elem *, unsigned, void *),
    void *arg);

/* Skips the value of e, walking the structure of undefined lengths. */
static int
skip(struct dec *d, struct rd *r, enum ds_enc enc, const struct ds_elem *e,
    unsigned depth)
{
	enum ds_enc inner;
	enum ds_value_kind kind = ds_elem_kind(e, enc, &inner);
	struct ds_elem it;
	int rc;

	if (kind == DS_KIND_INVALID)
		return bad(d, r, "(%04X,%04X) has an undefined length",
		    DS_TAG_GROUP(e->tag), DS_TAG_ELEM(e->tag));
	if (e->len != DS_LEN_UNDEFINED) {
		if (e->len > rd_left(r))
			return bad(d, r, "(%04X,%04X) runs past its container",
			    DS_TAG_GROUP(e->tag), DS_TAG_ELEM(e->tag));
		rd_skip(r, e->len);
		return 0;
	}
	if (depth >= MAX_DEPTH)
		return bad(d, r, "nested deeper than %d levels", MAX_DEPTH);
	/* An undefined-length sequence or fragments: items until the
	 * Sequence Delimitation Item. */
	for (;;) {
		if ((rc = ds_elem_read(r, inner, &it, d->err)) != 0)
			return rc == CS_E_TRUNCATED ? bad(d, r,
							  "a sequence "
							  "has no end")
						    : CS_E_PROTO;
		if (it.tag == DS_TAG_SEQ_DELIM)
			return 0;
		if (it.tag != DS_TAG_ITEM)
			return bad(d, r, "(%04X,%04X) where an item belongs",
			    DS_TAG_GROUP(it.tag), DS_TAG_ELEM(it.tag));
		if (kind == DS_KIND_FRAGMENTS || it.len != DS_LEN_UNDEFINED) {
			if ((rc = skip(d, r, inner, &it, depth + 1)) != 0)
				return rc;
			continue;
		}
		if ((rc = walk(d, r, inner, depth + 1, 1, NULL, NULL)) != 0)
			return rc;
	}
}

/*
 * Reads the elements of a data set (the top level, or an item's) until
 * the reader ends or, in an undefined-length item, its delimiter.
 * on_elem (when not NULL) consumes the elements it wants and returns 1
 * for those it leaves to be skipped.
 */
static int
walk(struct dec *d, struct rd *r, enum ds_enc enc, unsigned depth, int in_item,
    int (*on_elem)(struct dec *, struct rd *, enum ds_enc,
	const struct ds_elem *, unsigned, void *),
    void *arg)
{
	struct ds_elem e;
	int rc;

	for (;;) {
		if (rd_left(r) == 0) {
			if (in_item == 1)
				return bad(d, r, "an item has no end");
			return 0;
		}
		if ((rc = ds_elem_read(r, enc, &e, d->err)) != 0)
			return rc == CS_E_TRUNCATED
			    ? bad(d, r,
				  "the data set "
				  "ends inside an element header")
			    : CS_E_PROTO;
		if (e.tag == DS_TAG_ITEM_DELIM && in_item == 1)
			return 0;
		if (DS_TAG_GROUP(e.tag) == 0xfffe)
			return bad(d, r, "(%04X,%04X) out of place",
			    DS_TAG_GROUP(e.tag), DS_TAG_ELEM(e.tag));
		rc = on_elem ? on_elem(d, r, enc, &e, depth, arg) : 1;
		if (rc == 1)
			rc = skip(d, r, enc, &e, depth);
		if (rc != 0)
			return rc;
	}
}

/* The elements of one item of the Referenced or Failed SOP Sequence. */
struct item {
	char sop_class[COMMIT_UID_MAX + 1];
	char sop_instance[COMMIT_UID_MAX + 1];
	uint16_t reason;
};

static int
item_elem(struct dec *d, struct rd *r, enum ds_enc enc, const struct ds_elem *e,
    unsigned depth, void *arg)
{
	struct item *it = arg;
	const uint8_t *v;

	(void)depth;
	if (e->len == DS_LEN_UNDEFINED)
		return 1;
	switch (e->tag) {
	case TAG_REF_CLASS:
		return get_uid(
		    d, r, e, it->sop_class, "the Referenced SOP Class UID");
	case TAG_REF_INSTANCE:
		return get_uid(d, r, e, it->sop_instance,
		    "the Referenced SOP Instance UID");
	case TAG_FAILURE_REASON:
		if (e->len != 2 || (v = rd_bytes(r, 2)) == NULL)
			return bad(d, r, "the Failure Reason is not one US");
		it->reason = enc == DS_ENC_EVR_BE
		    ? (uint16_t)(v[0] << 8 | v[1])
		    : (uint16_t)(v[1] << 8 | v[0]);
		return 0;
	}
	return 1;
}

/* One item: a defined length through a sub-reader, else to its
 * delimiter. */
static int
read_item(struct dec *d, struct rd *r, enum ds_enc enc, const struct ds_elem *e,
    unsigned depth, int failed)
{
	struct item it = { "", "", 0 };
	struct commit_ref ref;
	int rc;

	if (e->len == DS_LEN_UNDEFINED) {
		rc = walk(d, r, enc, depth, 1, item_elem, &it);
	} else {
		struct rd sub;

		if (e->len > rd_left(r))
			return bad(d, r, "an item runs past its sequence");
		sub = rd_sub(r, e->len);
		rc = walk(d, &sub, enc, depth, 2, item_elem, &it);
	}
	if (rc != 0)
		return rc;
	if (it.sop_class[0] == '\0' || it.sop_instance[0] == '\0')
		return bad(d, r, "an item lacks its Referenced SOP %s UID",
		    it.sop_class[0] == '\0' ? "Class" : "Instance");
	ref.sop_class = it.sop_class;
	ref.sop_instance = it.sop_instance;
	ref.failure_reason = failed ? it.reason : 0;
	if (d->cb != NULL && d->cb->on_ref != NULL)
		return d->cb->on_ref(d->cb->ctx, failed, &ref);
	return 0;
}

/* The items of the Referenced or Failed SOP Sequence. */
static int
read_sequence(struct dec *d, struct rd *r, enum ds_enc enc,
    const struct ds_elem *e, unsigned depth, int failed)
{
	enum ds_enc inner = enc;
	enum ds_value_kind kind = ds_elem_kind(e, enc, &inner);
	struct ds_elem it;
	struct rd sub, *in = r;
	int rc;

	/* Implicit VR tells a defined-length sequence by its tag only; a
	 * peer that did not know the tag may send it as UN, whose contents
	 * are then Implicit VR LE (PS3.5 6.2.2). */
	if (kind == DS_KIND_VALUE && strcmp(e->vr, "UN") == 0)
		inner = DS_ENC_IVR_LE;
	else if (kind != DS_KIND_SEQUENCE &&
	    !(kind == DS_KIND_VALUE && enc == DS_ENC_IVR_LE))
		return bad(d, r, "the %s SOP Sequence is not a sequence",
		    failed ? "Failed" : "Referenced");
	if (e->len != DS_LEN_UNDEFINED) {
		if (e->len > rd_left(r))
			return bad(d, r, "a sequence runs past the data set");
		sub = rd_sub(r, e->len);
		in = &sub;
	}
	for (;;) {
		if (in == &sub && rd_left(in) == 0)
			return 0;
		if ((rc = ds_elem_read(in, inner, &it, d->err)) != 0)
			return rc == CS_E_TRUNCATED ? bad(d, in,
							  "a sequence "
							  "has no end")
						    : CS_E_PROTO;
		if (it.tag == DS_TAG_SEQ_DELIM && in == r)
			return 0;
		if (it.tag != DS_TAG_ITEM)
			return bad(d, in, "(%04X,%04X) where an item belongs",
			    DS_TAG_GROUP(it.tag), DS_TAG_ELEM(it.tag));
		if ((rc = read_item(d, in, inner, &it, depth + 1, failed)) != 0)
			return rc;
	}
}

static int
top_elem(struct dec *d, struct rd *r, enum ds_enc enc, const struct ds_elem *e,
    unsigned depth, void *arg)
{
	(void)arg;
	switch (e->tag) {
	case TAG_TRANSACTION_UID:
		if (d->transaction[0] != '\0')
			return bad(d, r, "the Transaction UID appears twice");
		if (e->len == DS_LEN_UNDEFINED)
			return bad(d, r,
			    "the Transaction UID has an "
			    "undefined length");
		return get_uid(d, r, e, d->transaction, "the Transaction UID");
	case TAG_FAILED_SEQ:
		return read_sequence(d, r, enc, e, depth, 1);
	case TAG_REFERENCED_SEQ:
		return read_sequence(d, r, enc, e, depth, 0);
	}
	return 1;
}

int
commit_ds_decode(const void *p, size_t n, enum ds_enc enc, char *transaction,
    const struct commit_ds_cb *cb, struct cs_err *err)
{
	struct dec d = { enc, cb, transaction, err };
	struct rd r;
	int rc;

	transaction[0] = '\0';
	if (enc != DS_ENC_IVR_LE && enc != DS_ENC_EVR_LE &&
	    enc != DS_ENC_EVR_BE)
		return cs_err_set(
		    err, CS_E_INVAL, "unknown encoding %d", (int)enc);
	rd_init(&r, p, n);
	if ((rc = walk(&d, &r, enc, 0, 0, top_elem, NULL)) != 0)
		return rc;
	if (transaction[0] == '\0')
		return bad(&d, &r, "no Transaction UID");
	return 0;
}

const char *
commit_failure_text(uint16_t reason)
{
	switch (reason) {
	case COMMIT_FAIL_PROCESSING:
		return "processing failure";
	case COMMIT_FAIL_NO_SUCH_INSTANCE:
		return "no such object instance";
	case COMMIT_FAIL_CLASS_INSTANCE_CONFLICT:
		return "class/instance conflict";
	case COMMIT_FAIL_CLASS_NOT_SUPPORTED:
		return "referenced SOP class not supported";
	case COMMIT_FAIL_RESOURCES:
		return "resource limitation";
	case COMMIT_FAIL_DUPLICATE_TRANSACTION:
		return "duplicate transaction UID";
	}
	return NULL;
}

/* --- transfer syntaxes ---------------------------------------------------- */

static const struct {
	const char *uid;
	enum ds_enc enc;
} commit_ts[] = {
	{ TS_UID_ExplicitVRLittleEndian, DS_ENC_EVR_LE },
	{ TS_UID_ImplicitVRLittleEndian, DS_ENC_IVR_LE },
};
#define N_COMMIT_TS (sizeof(commit_ts) / sizeof(commit_ts[0]))

int
commit_ts_enc(const char *ts_uid, enum ds_enc *enc)
{
	for (size_t i = 0; i < N_COMMIT_TS; i++)
		if (strcmp(ts_uid, commit_ts[i].uid) == 0) {
			*enc = commit_ts[i].enc;
			return 0;
		}
	return CS_E_UNSUPPORTED;
}

void
commit_ts_propose(struct ul_pc *pc)
{
	pc->n_ts = 0;
	for (size_t i = 0; i < N_COMMIT_TS; i++) {
		snprintf(pc->ts[pc->n_ts], sizeof(pc->ts[0]), "%s",
		    commit_ts[i].uid);
		pc->n_ts++;
	}
}

int
commit_ts_pick(const struct ul_pc *pc)
{
	enum ds_enc enc;

	for (int j = 0; j < pc->n_ts; j++)
		if (commit_ts_enc(pc->ts[j], &enc) == 0)
			return j;
	return -1;
}
