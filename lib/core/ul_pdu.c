/*
 * ul_pdu.c - DICOM Upper Layer PDU codec (PS3.8 9.3, PS3.7 Annex D.3.3).
 *
 * Decoding reads only through struct rd: every item is split off with
 * rd_sub() from its container, so an item can never reach past the
 * container it claims to be in, and a short read latches an error that
 * is checked once per item.  Decoders allocate nothing.
 *
 * Leniency, decided once here (what DCMTK and pynetdicom also accept):
 *  - reserved fields are never tested (PS3.8 9.3.2: "not tested");
 *  - the protocol version is recorded, not checked: the acceptor answers
 *    a version without bit 0 with A-ASSOCIATE-RJ (source 2, reason 2),
 *    which it can only do if decoding succeeds (PS3.8 9.3.2, 9.3.4);
 *  - items of unrecognised types are skipped, at every level (PS3.8
 *    9.3.1: "Items of unrecognized types shall be ignored and skipped");
 *    a known item in the wrong PDU (0x21 in an RQ, 0x20 in an AC) is an
 *    error, not an unknown item;
 *  - item order is not enforced (PS3.8 9.3.1 asks for increasing item
 *    types; peers do not all comply and nothing depends on it);
 *  - the Maximum Length and Implementation Class UID sub-items are
 *    mandatory in PS3.7 D.3.3.1-2 but optional here (has_max_pdu, empty
 *    impl_class_uid): the association decides what a missing one means;
 *  - UIDs: one trailing NUL pad or trailing spaces are stripped (PS3.8
 *    Annex F forbids the pad; real peers send it); 1-64 characters;
 *    control characters are refused so a UID is always a C string;
 *  - an AC may carry zero presentation contexts (the requestor then
 *    reports "no presentation context accepted" instead of a protocol
 *    error); an RQ needs at least one (PS3.8 9.3.2);
 *  - PC result codes above 4 are kept as received: any non-zero value is
 *    a rejection;
 *  - the implementation version name is informational: longer than 16
 *    characters is truncated, control characters become '?';
 *  - a user identity RQ sub-item is kept as sent: any type, any positive
 *    response byte, an empty secondary field with type 2 (DCMTK's
 *    storescu --empty-password sends that): the acceptor judges it, and
 *    the encoder refuses what PS3.7 D.3.3.7.1 forbids.
 *
 * Encoders validate first, then write; lengths are patched after the
 * bytes are written.
 */
#include <string.h>

#include "cstore/cstore.h"
#include "buf.h"
#include "ul_pdu.h"
#include "banned.h"

/* Item types (PS3.8 9.3.2-9.3.3, PS3.7 D.3.3). */
enum {
	IT_APP_CONTEXT = 0x10,
	IT_PC_RQ = 0x20,
	IT_PC_AC = 0x21,
	IT_ABSTRACT_SYNTAX = 0x30,
	IT_TRANSFER_SYNTAX = 0x40,
	IT_USER_INFO = 0x50,
	IT_MAX_LENGTH = 0x51,
	IT_IMPL_CLASS_UID = 0x52,
	IT_ASYNC_OPS = 0x53,
	IT_ROLE = 0x54,
	IT_IMPL_VERSION = 0x55,
	IT_EXT_NEG = 0x56,
	IT_COMMON_EXT_NEG = 0x57,
	IT_USER_IDENTITY_RQ = 0x58,
	IT_USER_IDENTITY_AC = 0x59,
};

/* Fixed part of A-ASSOCIATE-RQ/AC after the PDU header (PS3.8 9.3.2). */
#define ASSOC_FIXED_LEN 68

/* --- decoding helpers ------------------------------------------------- */

/* One item header (type, reserved, 16-bit length) and its body. */
struct item {
	uint8_t type;
	uint8_t b1; /* reserved byte, or sub-item version (0x57) */
	uint16_t len;
	struct rd body;
};

/*
 * Splits the next item off r.  Returns 0, or CS_E_PROTO when the header
 * or the body does not fit in the container.
 */
static int
next_item(struct rd *r, struct item *it, const char *where, struct cs_err *err)
{
	it->type = rd_u8(r);
	it->b1 = rd_u8(r);
	it->len = rd_be16(r);
	if (r->err)
		return cs_err_set(
		    err, CS_E_PROTO, "truncated item header in %s", where);
	it->body = rd_sub(r, it->len);
	if (r->err)
		return cs_err_set(err, CS_E_PROTO,
		    "item 0x%02x of length %u overruns its %s", it->type,
		    it->len, where);
	return 0;
}

/*
 * Copies a UID field (all of r) into out.  One trailing NUL pad and
 * trailing spaces are stripped; the rest must be 1-64 characters with no
 * control characters.
 */
static int
get_uid(struct rd *r, char out[UL_UID_MAX + 1], const char *what,
    struct cs_err *err)
{
	size_t n = rd_left(r), i;
	const uint8_t *p = rd_bytes(r, n);

	out[0] = '\0';
	if (n > 0 && p[n - 1] == 0)
		n--;
	while (n > 0 && p[n - 1] == ' ')
		n--;
	if (n == 0)
		return cs_err_set(err, CS_E_PROTO, "empty %s", what);
	if (n > UL_UID_MAX)
		return cs_err_set(err, CS_E_PROTO,
		    "%s of %zu characters is longer than 64", what, n);
	for (i = 0; i < n; i++)
		if (p[i] < 0x20 || p[i] > 0x7e)
			return cs_err_set(err, CS_E_PROTO,
			    "%s has a control character at %zu", what, i);
	memcpy(out, p, n);
	out[n] = '\0';
	return 0;
}

/* A 16-bit length, then that many bytes of UID (PS3.7 D.3.3.4-6). */
static int
get_uid16(struct rd *r, char out[UL_UID_MAX + 1], const char *what,
    struct cs_err *err)
{
	uint16_t n = rd_be16(r);
	struct rd u = rd_sub(r, n);

	if (r->err)
		return cs_err_set(
		    err, CS_E_PROTO, "%s length %u overruns its item", what, n);
	return get_uid(&u, out, what, err);
}

/*
 * AE title (PS3.8 9.3.2: 16 characters, leading and trailing spaces not
 * significant).  Trailing NULs are treated as padding too.  strict: an
 * RQ's titles must not hold control characters; an AC's are reserved
 * fields (PS3.8 9.3.3, "not tested") so anything is copied with '?' for
 * the unprintable.  A byte beyond ASCII (a title in Latin-1, which DCMTK
 * sends and takes) is outside the AE VR but no threat: '?' in either.
 */
static int
get_ae(const uint8_t *p, char out[UL_AE_MAX + 1], int strict, const char *what,
    struct cs_err *err)
{
	size_t b = 0, e = UL_AE_MAX, i;

	while (e > 0 && (p[e - 1] == ' ' || p[e - 1] == 0))
		e--;
	while (b < e && p[b] == ' ')
		b++;
	for (i = b; i < e; i++) {
		if (p[i] >= 0x20 && p[i] <= 0x7e) {
			out[i - b] = (char)p[i];
			continue;
		}
		if (strict && (p[i] < 0x20 || p[i] == 0x7f))
			return cs_err_set(err, CS_E_PROTO,
			    "%s has a control character", what);
		out[i - b] = '?';
	}
	out[e - b] = '\0';
	return 0;
}

static void
get_blob(struct rd *r, struct ul_blob *b, size_t n)
{
	b->p = rd_bytes(r, n);
	b->len = b->p != NULL ? (uint16_t)n : 0;
}

/* A 16-bit length, then that many bytes (PS3.7 D.3.3.7). */
static void
get_blob16(struct rd *r, struct ul_blob *b)
{
	get_blob(r, b, rd_be16(r));
}

static int
expect_end(const struct rd *r, const char *what, struct cs_err *err)
{
	if (r->err)
		return cs_err_set(err, CS_E_PROTO, "truncated %s", what);
	if (rd_left(r) != 0)
		return cs_err_set(err, CS_E_PROTO,
		    "%zu stray bytes at the end of %s", rd_left(r), what);
	return 0;
}

/* --- presentation context items ---------------------------------------- */

/*
 * One proposed transfer syntax: kept while there is room and keep (when
 * given) takes it; the first one keep refuses is remembered in *first,
 * so that a context none of whose syntaxes is kept still has one.
 */
static int
decode_pc_ts(struct rd *body, struct ul_pc *pc, const struct ul_ts_keep *keep,
    char first[UL_UID_MAX + 1], struct cs_err *err)
{
	char uid[UL_UID_MAX + 1];
	int rc;

	/* more than UL_MAX_TS kept: the extras are ignored */
	if (pc->n_ts >= UL_MAX_TS)
		return 0;
	if ((rc = get_uid(body, uid, "transfer syntax", err)) != 0)
		return rc;
	if (keep != NULL && keep->fn != NULL && !keep->fn(keep->user, uid)) {
		if (first[0] == '\0')
			memcpy(first, uid, sizeof(uid));
		return 0;
	}
	memcpy(pc->ts[pc->n_ts++], uid, sizeof(uid));
	return 0;
}

/* PS3.8 9.3.2.2: PCID, 3 reserved, one 0x30 and one or more 0x40 sub-items. */
static int
decode_pc_rq(struct rd *r, struct ul_pc *pc, const struct ul_ts_keep *keep,
    struct cs_err *err)
{
	char first[UL_UID_MAX + 1] = "";
	struct item it;
	int have_as = 0, rc;

	pc->id = rd_u8(r);
	rd_skip(r, 3);
	if (r->err)
		return cs_err_set(
		    err, CS_E_PROTO, "truncated presentation context item");
	/* PS3.8 9.3.2.2: odd integers between 1 and 255 */
	if ((pc->id & 1) == 0)
		return cs_err_set(err, CS_E_PROTO,
		    "presentation context id %u is not odd", pc->id);
	while (rd_left(r) > 0) {
		if ((rc = next_item(
			 r, &it, "presentation context item", err)) != 0)
			return rc;
		switch (it.type) {
		case IT_ABSTRACT_SYNTAX:
			if (have_as++)
				return cs_err_set(err, CS_E_PROTO,
				    "presentation context %u has two abstract "
				    "syntaxes",
				    pc->id);
			if ((rc = get_uid(&it.body, pc->abstract_syntax,
				 "abstract syntax", err)) != 0)
				return rc;
			break;
		case IT_TRANSFER_SYNTAX:
			if ((rc = decode_pc_ts(
				 &it.body, pc, keep, first, err)) != 0)
				return rc;
			break;
		default:
			break; /* PS3.8 9.3.1: unrecognised, skipped */
		}
	}
	if (!have_as)
		return cs_err_set(err, CS_E_PROTO,
		    "presentation context %u has no abstract syntax", pc->id);
	if (pc->n_ts == 0 && first[0] != '\0') {
		/* none kept: the first stands for them, to be refused */
		memcpy(pc->ts[0], first, sizeof(first));
		pc->n_ts = 1;
	}
	if (pc->n_ts == 0)
		return cs_err_set(err, CS_E_PROTO,
		    "presentation context %u has no transfer syntax", pc->id);
	return 0;
}

/*
 * PS3.8 9.3.3.2: PCID, reserved, result/reason, reserved, one 0x40
 * sub-item.  Unless the result is acceptance the sub-item "shall not be
 * significant and its value shall not be tested": it is skipped whatever
 * it holds, even absent or empty.
 */
static int
decode_pc_ac(struct rd *r, struct ul_pc *pc, struct cs_err *err)
{
	struct item it;
	int rc, n = 0;

	pc->id = rd_u8(r); /* as received: the association matches it */
	rd_skip(r, 1);
	pc->result = rd_u8(r);
	rd_skip(r, 1);
	if (r->err)
		return cs_err_set(
		    err, CS_E_PROTO, "truncated presentation context item");
	while (rd_left(r) > 0) {
		if ((rc = next_item(
			 r, &it, "presentation context item", err)) != 0)
			return rc;
		if (it.type != IT_TRANSFER_SYNTAX ||
		    pc->result != UL_PC_ACCEPTANCE)
			continue;
		if (n++)
			return cs_err_set(err, CS_E_PROTO,
			    "accepted presentation context %u has two transfer "
			    "syntaxes",
			    pc->id);
		if ((rc = get_uid(
			 &it.body, pc->ts[0], "transfer syntax", err)) != 0)
			return rc;
	}
	if (pc->result == UL_PC_ACCEPTANCE && n == 0)
		return cs_err_set(err, CS_E_PROTO,
		    "accepted presentation context %u has no transfer syntax",
		    pc->id);
	pc->n_ts = (uint8_t)n;
	return 0;
}

/* --- user information sub-items (PS3.7 D.3.3) --------------------------- */

static int
decode_role(struct rd *r, struct ul_assoc_params *out, struct cs_err *err)
{
	struct ul_role role;
	int rc;

	memset(&role, 0, sizeof(role));
	/* PS3.7 D.3.3.4: UID length, UID, SCU role, SCP role */
	if ((rc = get_uid16(
		 r, role.sop_class, "role selection sop class", err)) != 0)
		return rc;
	role.scu_role = rd_u8(r);
	role.scp_role = rd_u8(r);
	if ((rc = expect_end(r, "role selection sub-item", err)) != 0)
		return rc;
	if (out->n_role < UL_MAX_ROLE)
		out->role[out->n_role++] = role;
	return 0;
}

static int
decode_ext_neg(struct rd *r, struct ul_assoc_params *out, struct cs_err *err)
{
	struct ul_ext_neg x;
	int rc;

	memset(&x, 0, sizeof(x));
	/* PS3.7 D.3.3.5: UID length, UID, application information (rest) */
	if ((rc = get_uid16(
		 r, x.sop_class, "extended negotiation sop class", err)) != 0)
		return rc;
	get_blob(r, &x.info, rd_left(r));
	if (out->n_ext_neg < UL_MAX_EXT)
		out->ext_neg[out->n_ext_neg++] = x;
	return 0;
}

static int
decode_common_ext_neg(
    struct rd *r, struct ul_assoc_params *out, struct cs_err *err)
{
	struct ul_common_ext_neg *x;
	struct rd rel;
	uint16_t n;
	int rc;

	if (out->n_common_ext_neg >= UL_MAX_CEXT)
		return 0; /* extras ignored */
	x = &out->common_ext_neg[out->n_common_ext_neg];
	memset(x, 0, sizeof(*x));
	/* PS3.7 D.3.3.6: SOP class UID, service class UID, related list */
	if ((rc = get_uid16(r, x->sop_class,
		 "common extended negotiation sop class", err)) != 0 ||
	    (rc = get_uid16(r, x->service_class,
		 "common extended negotiation service class", err)) != 0)
		return rc;
	n = rd_be16(r);
	rel = rd_sub(r, n);
	if (r->err)
		return cs_err_set(err, CS_E_PROTO,
		    "related general sop class list overruns its sub-item");
	while (rd_left(&rel) > 0) {
		char uid[UL_UID_MAX + 1];

		if ((rc = get_uid16(
			 &rel, uid, "related general sop class", err)) != 0)
			return rc;
		if (x->n_related < UL_MAX_RELATED)
			memcpy(x->related[x->n_related++], uid, sizeof(uid));
	}
	/*
	 * Bytes after the related list are left alone: the sub-item version
	 * field exists so that later versions can add fields.
	 */
	out->n_common_ext_neg++;
	return 0;
}

static int
decode_user_identity_rq(
    struct rd *r, struct ul_user_identity *u, struct cs_err *err)
{
	/* PS3.7 D.3.3.7.1: type, positive response, primary, secondary */
	u->type = rd_u8(r);
	u->positive_response = rd_u8(r);
	get_blob16(r, &u->primary);
	get_blob16(r, &u->secondary);
	return expect_end(r, "user identity sub-item", err);
}

/* Sub-items a user information item may hold once (PS3.7 D.3.3). */
struct ui_seen {
	int max_length, impl_uid, impl_version, async_ops;
};

static int
once(int *seen, const char *name, struct cs_err *err)
{
	if ((*seen)++)
		return cs_err_set(err, CS_E_PROTO, "two %s sub-items", name);
	return 0;
}

/* PS3.7 D.3.3.1 (PS3.8 D.1): a 4-byte maximum length, 0 = none. */
static int
decode_max_length(struct rd *r, struct ul_assoc_params *out, struct cs_err *err)
{
	int rc;

	out->max_pdu = rd_be32(r);
	if ((rc = expect_end(r, "maximum length sub-item", err)) != 0)
		return rc;
	out->has_max_pdu = 1;
	return 0;
}

/* PS3.7 D.3.3.3: invoked, performed (2 bytes each). */
static int
decode_async_ops(struct rd *r, struct ul_assoc_params *out, struct cs_err *err)
{
	int rc;

	out->max_ops_invoked = rd_be16(r);
	out->max_ops_performed = rd_be16(r);
	if ((rc = expect_end(r, "asynchronous operations sub-item", err)) != 0)
		return rc;
	out->has_async_ops = 1;
	return 0;
}

/* PS3.7 D.3.3.2: 1-16 characters, informational: kept printable. */
static void
decode_impl_version(struct rd *r, struct ul_assoc_params *out)
{
	size_t n = rd_left(r), i;
	const uint8_t *p = rd_bytes(r, n);

	if (n > UL_VERSION_NAME_MAX)
		n = UL_VERSION_NAME_MAX;
	while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == 0))
		n--;
	for (i = 0; i < n; i++)
		out->impl_version[i] =
		    p[i] >= 0x20 && p[i] <= 0x7e ? (char)p[i] : '?';
	out->impl_version[n] = '\0';
	out->has_impl_version = n > 0;
}

/* User identity, RQ (PS3.7 D.3.3.7.1) or AC (D.3.3.7.2). */
static int
decode_user_identity(
    struct rd *r, struct ul_assoc_params *out, int ac, struct cs_err *err)
{
	int rc;

	if (out->has_user_identity)
		return cs_err_set(
		    err, CS_E_PROTO, "two user identity sub-items");
	if (!ac)
		rc = decode_user_identity_rq(r, &out->user_identity, err);
	else {
		/* server response length, response */
		get_blob16(r, &out->user_identity.server_response);
		rc = expect_end(r, "user identity sub-item", err);
	}
	if (rc != 0)
		return rc;
	out->has_user_identity = 1;
	return 0;
}

/* One sub-item of a user information item; 0 or a code. */
static int
decode_sub_item(struct item *it, struct ul_assoc_params *out, int ac,
    struct ui_seen *seen, struct cs_err *err)
{
	int rc = 0;

	switch (it->type) {
	case IT_MAX_LENGTH:
		if ((rc = once(&seen->max_length, "maximum length", err)) == 0)
			rc = decode_max_length(&it->body, out, err);
		break;
	case IT_IMPL_CLASS_UID:
		if ((rc = once(&seen->impl_uid, "implementation class uid",
			 err)) == 0)
			rc = get_uid(&it->body, out->impl_class_uid,
			    "implementation class uid", err);
		break;
	case IT_ASYNC_OPS:
		if ((rc = once(&seen->async_ops, "asynchronous operations",
			 err)) == 0)
			rc = decode_async_ops(&it->body, out, err);
		break;
	case IT_ROLE:
		rc = decode_role(&it->body, out, err);
		break;
	case IT_IMPL_VERSION:
		if ((rc = once(&seen->impl_version,
			 "implementation version name", err)) == 0)
			decode_impl_version(&it->body, out);
		break;
	case IT_EXT_NEG:
		rc = decode_ext_neg(&it->body, out, err);
		break;
	case IT_COMMON_EXT_NEG:
		if (!ac)
			rc = decode_common_ext_neg(&it->body, out, err);
		break;
	case IT_USER_IDENTITY_RQ:
	case IT_USER_IDENTITY_AC:
		/* each only in its own PDU; the other is skipped */
		if ((ac != 0) == (it->type == IT_USER_IDENTITY_AC))
			rc = decode_user_identity(&it->body, out, ac, err);
		break;
	default:
		break; /* PS3.8 9.3.1: unrecognised, skipped */
	}
	return rc;
}

/*
 * PS3.8 9.3.2.3 / 9.3.3.3 user information item.  ac selects which
 * sub-items belong (PS3.7 D.3.3.6: common extended negotiation and user
 * identity RQ only in an RQ; user identity AC only in an AC); the others
 * are skipped like unknown ones.
 */
static int
decode_user_info(
    struct rd *r, struct ul_assoc_params *out, int ac, struct cs_err *err)
{
	struct ui_seen seen = { 0, 0, 0, 0 };
	struct item it;
	int rc;

	while (rd_left(r) > 0) {
		if ((rc = next_item(r, &it, "user information item", err)) != 0)
			return rc;
		if ((rc = decode_sub_item(&it, out, ac, &seen, err)) != 0)
			return rc;
	}
	return 0;
}

/* --- A-ASSOCIATE-RQ / -AC ---------------------------------------------- */

/*
 * An RQ whose items are all well formed but which lacks what PS3.8 9.3.2
 * asks of it, or whose AE title the AE VR cannot hold: not an invalid
 * PDU (Evt19, A-ABORT) but one the acceptor does not accept (AE-6:
 * A-ASSOCIATE-RJ, permanent, source 1 service user, with this reason of
 * Table 9-21).  Returns rc.
 */
static int
refusable(struct ul_assoc_rj *rj, uint8_t reason, int rc)
{
	if (rj != NULL) {
		rj->result = 1;
		rj->source = 1;
		rj->reason = reason;
	}
	return rc;
}

static int
decode_assoc(const uint8_t *body, size_t len, struct ul_assoc_params *out,
    int ac, const struct ul_ts_keep *keep, struct ul_assoc_rj *rj,
    struct cs_err *err)
{
	const char *pdu = ac ? "a-associate-ac" : "a-associate-rq";
	uint8_t seen_id[256 / 8];
	struct rd r, f;
	struct item it;
	struct cs_err ae_err = { 0, "" };
	const uint8_t *fixed;
	int rc, have_app = 0, have_ui = 0, ae_reason = 0;

	memset(out, 0, sizeof(*out));
	memset(seen_id, 0, sizeof(seen_id));
	rd_init(&r, body, len);
	/* PS3.8 9.3.2 / 9.3.3: version, reserved, called, calling, reserved */
	fixed = rd_bytes(&r, ASSOC_FIXED_LEN);
	if (fixed == NULL)
		return cs_err_set(err, CS_E_PROTO,
		    "%s of %zu bytes is shorter than its fixed fields", pdu,
		    len);
	rd_init(&f, fixed, ASSOC_FIXED_LEN);
	out->protocol_version = rd_be16(&f);
	memcpy(out->raw_titles, fixed + 4, sizeof(out->raw_titles));
	out->has_raw_titles = 1;
	memcpy(out->raw_reserved, fixed + 36, sizeof(out->raw_reserved));
	/* a title's fault is said once the items are known well formed */
	if (get_ae(fixed + 4, out->called_ae, !ac, "called ae title",
		&ae_err) != 0)
		ae_reason = 7; /* called-AE-title-not-recognized */
	else if (get_ae(fixed + 20, out->calling_ae, !ac, "calling ae title",
		     &ae_err) != 0)
		ae_reason = 3; /* calling-AE-title-not-recognized */

	while (rd_left(&r) > 0) {
		if ((rc = next_item(&r, &it, pdu, err)) != 0)
			return rc;
		switch (it.type) {
		case IT_APP_CONTEXT:
			if (have_app++)
				return cs_err_set(err, CS_E_PROTO,
				    "%s has two application context items",
				    pdu);
			if ((rc = get_uid(&it.body, out->app_context,
				 "application context name", err)) != 0)
				return rc;
			break;
		case IT_PC_RQ:
		case IT_PC_AC: {
			struct ul_pc pc;

			if (it.type != (ac ? IT_PC_AC : IT_PC_RQ))
				return cs_err_set(err, CS_E_PROTO,
				    "%s has a presentation context item of type "
				    "0x%02x",
				    pdu, it.type);
			memset(&pc, 0, sizeof(pc));
			rc = ac ? decode_pc_ac(&it.body, &pc, err)
				: decode_pc_rq(&it.body, &pc, keep, err);
			if (rc != 0)
				return rc;
			if (!ac) {
				/* PS3.8 7.1.1.13: ids are unique */
				if (seen_id[pc.id / 8] & 1u << (pc.id % 8))
					return cs_err_set(err, CS_E_PROTO,
					    "presentation context id %u proposed "
					    "twice",
					    pc.id);
				seen_id[pc.id / 8] |=
				    (uint8_t)(1u << (pc.id % 8));
			}
			/* unique odd ids fit; an AC's extras are ignored */
			if (out->n_pc < UL_MAX_PC)
				out->pc[out->n_pc++] = pc;
			break;
		}
		case IT_USER_INFO:
			if (have_ui++)
				return cs_err_set(err, CS_E_PROTO,
				    "%s has two user information items", pdu);
			if ((rc = decode_user_info(&it.body, out, ac, err)) !=
			    0)
				return rc;
			break;
		default:
			break; /* PS3.8 9.3.1: unrecognised, skipped */
		}
	}
	if (!have_app)
		return refusable(rj, 2,
		    cs_err_set(err, CS_E_PROTO,
			"%s has no application context item", pdu));
	if (!ac && out->n_pc == 0)
		return refusable(rj, 1,
		    cs_err_set(err, CS_E_PROTO,
			"%s has no presentation context item", pdu));
	if (!have_ui)
		return refusable(rj, 1,
		    cs_err_set(err, CS_E_PROTO,
			"%s has no user information item", pdu));
	if (ae_reason != 0)
		return refusable(rj, (uint8_t)ae_reason,
		    cs_err_set(err, ae_err.code, "%s", ae_err.msg));
	return 0;
}

int
ul_decode_assoc_rq(const uint8_t *body, size_t len, struct ul_assoc_params *out,
    struct cs_err *err)
{
	return decode_assoc(body, len, out, 0, NULL, NULL, err);
}

int
ul_decode_assoc_rq_keep(const uint8_t *body, size_t len,
    struct ul_assoc_params *out, const struct ul_ts_keep *keep,
    struct ul_assoc_rj *rj, struct cs_err *err)
{
	return decode_assoc(body, len, out, 0, keep, rj, err);
}

int
ul_decode_assoc_ac(const uint8_t *body, size_t len, struct ul_assoc_params *out,
    struct cs_err *err)
{
	return decode_assoc(body, len, out, 1, NULL, NULL, err);
}

/* --- fixed-size PDUs ----------------------------------------------------- */

/*
 * A-ASSOCIATE-RJ, A-RELEASE-RQ/RP and A-ABORT bodies are exactly 4 bytes
 * (PS3.8 9.3.4, 9.3.6-9.3.8: PDU-length 00000004H).
 */
static int
fixed4(const uint8_t *body, size_t len, const char *pdu, struct rd *r,
    struct cs_err *err)
{
	rd_init(r, body, len);
	if (len != 4)
		return cs_err_set(err, CS_E_PROTO,
		    "%s body of %zu bytes, expected 4", pdu, len);
	return 0;
}

int
ul_decode_assoc_rj(const uint8_t *body, size_t len, struct ul_assoc_rj *out,
    struct cs_err *err)
{
	struct rd r;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = fixed4(body, len, "a-associate-rj", &r, err)) != 0)
		return rc;
	/* PS3.8 9.3.4: reserved, result, source, reason/diag. */
	rd_skip(&r, 1);
	out->result = rd_u8(&r);
	out->source = rd_u8(&r);
	out->reason = rd_u8(&r);
	return 0;
}

int
ul_decode_abort(
    const uint8_t *body, size_t len, struct ul_abort *out, struct cs_err *err)
{
	struct rd r;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = fixed4(body, len, "a-abort", &r, err)) != 0)
		return rc;
	/* PS3.8 9.3.8: reserved, reserved, source, reason/diag. */
	rd_skip(&r, 2);
	out->source = rd_u8(&r);
	out->reason = rd_u8(&r);
	return 0;
}

int
ul_decode_release(const uint8_t *body, size_t len, struct cs_err *err)
{
	struct rd r;

	/* PS3.8 9.3.6-9.3.7: four reserved bytes, not tested */
	return fixed4(body, len, "a-release", &r, err);
}

/* --- P-DATA-TF ----------------------------------------------------------- */

int
ul_next_pdv(struct rd *body, struct ul_pdv *pdv, struct cs_err *err)
{
	struct rd item;
	uint32_t n;

	memset(pdv, 0, sizeof(*pdv));
	if (body->err)
		return cs_err_set(err, CS_E_PROTO, "truncated p-data-tf");
	if (rd_left(body) == 0)
		return 0;
	/* PS3.8 9.3.5.1: item length (4), PCID, message control header */
	n = rd_be32(body);
	if (body->err)
		return cs_err_set(
		    err, CS_E_PROTO, "truncated pdv item header in p-data-tf");
	if (n < 2)
		return cs_err_set(
		    err, CS_E_PROTO, "pdv item length %u is shorter than 2", n);
	item = rd_sub(body, n);
	if (body->err)
		return cs_err_set(err, CS_E_PROTO,
		    "pdv item of length %u overruns its p-data-tf", n);
	pdv->pcid = rd_u8(&item);
	/* PS3.8 E.2: bits 2-7 of the control header are reserved */
	pdv->control = (uint8_t)(rd_u8(&item) & (UL_PDV_COMMAND | UL_PDV_LAST));
	pdv->len = (uint32_t)rd_left(&item);
	pdv->data = rd_bytes(&item, pdv->len);
	if ((pdv->pcid & 1) == 0)
		return cs_err_set(err, CS_E_PROTO,
		    "pdv presentation context id %u is not odd", pdv->pcid);
	return 1;
}

int
ul_pdu_header(const uint8_t *p, size_t len, uint8_t *type, uint32_t *body_len)
{
	struct rd r;

	rd_init(&r, p, len);
	/* PS3.8 9.3.1: type, reserved, 32-bit big-endian length */
	*type = rd_u8(&r);
	rd_skip(&r, 1);
	*body_len = rd_be32(&r);
	return r.err ? CS_E_TRUNCATED : 0;
}

/* --- encoding ------------------------------------------------------------ */

/* Starts an item: type, reserved (or b1), 16-bit length patched later. */
static size_t
item_begin(struct wr *w, uint8_t type, uint8_t b1)
{
	size_t at;

	wr_u8(w, type);
	wr_u8(w, b1);
	at = w->len;
	wr_be16(w, 0);
	return at;
}

/* Patches an item's length; sets *too_long when it passes 0xffff. */
static void
item_end(struct wr *w, size_t at, int *too_long)
{
	size_t n;

	if (w->err)
		return;
	n = w->len - at - 2;
	if (n > 0xffff) {
		*too_long = 1;
		return;
	}
	wr_patch_be16(w, at, (uint16_t)n);
}

static size_t
pdu_begin(struct wr *w, uint8_t type)
{
	size_t at;

	wr_u8(w, type);
	wr_u8(w, 0);
	at = w->len;
	wr_be32(w, 0);
	return at;
}

static void
pdu_end(struct wr *w, size_t at)
{
	if (w->err)
		return;
	wr_patch_be32(w, at, (uint32_t)(w->len - at - 4));
}

/* A UID of 1-64 characters from "0123456789." (PS3.5 9.1). */
static int
uid_ok(const char *s)
{
	size_t n = strnlen(s, UL_UID_MAX + 1), i;

	if (n == 0 || n > UL_UID_MAX)
		return 0;
	for (i = 0; i < n; i++)
		if ((s[i] < '0' || s[i] > '9') && s[i] != '.')
			return 0;
	return 1;
}

/*
 * An AE title: at most 16 characters of the AE VR, no backslash.  An
 * AC's titles echo the RQ's, which PS3.8 9.3.3 has returned "not
 * tested": empty, all spaces or a backslash the RQ decoder let in go
 * back as they came, rather than make the AC unencodable.
 */
static int
ae_ok(const char *s, int ac)
{
	size_t n = strnlen(s, UL_AE_MAX + 1), i;

	if (n > UL_AE_MAX || (n == 0 && !ac))
		return 0;
	for (i = 0; i < n; i++)
		if (s[i] < 0x20 || s[i] > 0x7e || (s[i] == '\\' && !ac))
			return 0;
	/* PS3.8 9.3.2: sixteen spaces shall not be used */
	return ac || strspn(s, " ") < n;
}

static int
blob_ok(const struct ul_blob *b)
{
	return b->len == 0 || b->p != NULL;
}

static void
put_uid_item(struct wr *w, uint8_t type, const char *uid, int *too_long)
{
	size_t at = item_begin(w, type, 0);

	/* PS3.8 Annex F: UIDs in items are not padded */
	wr_bytes(w, uid, strlen(uid));
	item_end(w, at, too_long);
}

static void
put_uid16(struct wr *w, const char *uid)
{
	size_t n = strlen(uid);

	wr_be16(w, (uint16_t)n);
	wr_bytes(w, uid, n);
}

static void
put_ae(struct wr *w, const char *ae)
{
	size_t n = strnlen(ae, UL_AE_MAX);

	/* PS3.8 9.3.2: 16 characters, space padded */
	wr_bytes(w, ae, n);
	wr_fill(w, ' ', UL_AE_MAX - n);
}

/* Checks everything the standard constrains before any byte is written. */
static int
check_params(const struct ul_assoc_params *p, int ac)
{
	uint8_t seen_id[256 / 8];
	unsigned i, j;

	memset(seen_id, 0, sizeof(seen_id));
	if (!ae_ok(p->called_ae, ac) || !ae_ok(p->calling_ae, ac))
		return CS_E_INVAL;
	if (p->app_context[0] != '\0' && !uid_ok(p->app_context))
		return CS_E_INVAL;
	/* PS3.8 9.3.2: one or more presentation contexts, odd ids: 128 */
	if (p->n_pc == 0 || p->n_pc > UL_MAX_PC)
		return CS_E_INVAL;
	for (i = 0; i < p->n_pc; i++) {
		const struct ul_pc *pc = &p->pc[i];

		if ((pc->id & 1) == 0 ||
		    seen_id[pc->id / 8] & 1u << (pc->id % 8))
			return CS_E_INVAL;
		seen_id[pc->id / 8] |= (uint8_t)(1u << (pc->id % 8));
		if (ac) {
			if (pc->result >
				UL_PC_TRANSFER_SYNTAXES_NOT_SUPPORTED ||
			    pc->n_ts > 1)
				return CS_E_INVAL;
			if (pc->result == UL_PC_ACCEPTANCE && pc->n_ts != 1)
				return CS_E_INVAL;
		} else {
			if (!uid_ok(pc->abstract_syntax) || pc->n_ts == 0 ||
			    pc->n_ts > UL_MAX_TS)
				return CS_E_INVAL;
		}
		for (j = 0; j < pc->n_ts; j++)
			if (!uid_ok(pc->ts[j]))
				return CS_E_INVAL;
	}
	/* PS3.7 D.3.3.2: the implementation class UID is mandatory */
	if (!uid_ok(p->impl_class_uid))
		return CS_E_INVAL;
	if (p->has_impl_version) {
		size_t n = strnlen(p->impl_version, UL_VERSION_NAME_MAX + 1);

		if (n == 0 || n > UL_VERSION_NAME_MAX)
			return CS_E_INVAL;
		for (i = 0; i < n; i++)
			if (p->impl_version[i] < 0x20 ||
			    p->impl_version[i] > 0x7e)
				return CS_E_INVAL;
	}
	if (p->n_role > UL_MAX_ROLE || p->n_ext_neg > UL_MAX_EXT ||
	    p->n_common_ext_neg > UL_MAX_CEXT)
		return CS_E_INVAL;
	for (i = 0; i < p->n_role; i++)
		if (!uid_ok(p->role[i].sop_class) || p->role[i].scu_role > 1 ||
		    p->role[i].scp_role > 1)
			return CS_E_INVAL;
	for (i = 0; i < p->n_ext_neg; i++)
		if (!uid_ok(p->ext_neg[i].sop_class) ||
		    !blob_ok(&p->ext_neg[i].info))
			return CS_E_INVAL;
	/* PS3.7 D.3.3.6: common extended negotiation is RQ only */
	if (ac && p->n_common_ext_neg > 0)
		return CS_E_INVAL;
	for (i = 0; i < p->n_common_ext_neg; i++) {
		const struct ul_common_ext_neg *x = &p->common_ext_neg[i];

		if (!uid_ok(x->sop_class) || !uid_ok(x->service_class) ||
		    x->n_related > UL_MAX_RELATED)
			return CS_E_INVAL;
		for (j = 0; j < x->n_related; j++)
			if (!uid_ok(x->related[j]))
				return CS_E_INVAL;
	}
	if (p->has_user_identity) {
		const struct ul_user_identity *u = &p->user_identity;

		if (ac) {
			if (!blob_ok(&u->server_response))
				return CS_E_INVAL;
		} else {
			/* PS3.7 D.3.3.7.1: types 1-5; secondary for type 2 only */
			if (u->type < 1 || u->type > 5 ||
			    u->positive_response > 1 || u->primary.len == 0 ||
			    !blob_ok(&u->primary) || !blob_ok(&u->secondary) ||
			    (u->type != 2 && u->secondary.len != 0) ||
			    (u->type == 2 && u->secondary.len == 0))
				return CS_E_INVAL;
		}
	}
	return 0;
}

static void
put_user_info(
    struct wr *w, const struct ul_assoc_params *p, int ac, int *too_long)
{
	size_t ui, at;
	unsigned i, j;

	ui = item_begin(w, IT_USER_INFO, 0);
	/* PS3.7 D.3.3.1: always sent; 0 means no limit */
	at = item_begin(w, IT_MAX_LENGTH, 0);
	wr_be32(w, p->max_pdu);
	item_end(w, at, too_long);
	put_uid_item(w, IT_IMPL_CLASS_UID, p->impl_class_uid, too_long);
	if (p->has_async_ops) {
		at = item_begin(w, IT_ASYNC_OPS, 0);
		wr_be16(w, p->max_ops_invoked);
		wr_be16(w, p->max_ops_performed);
		item_end(w, at, too_long);
	}
	for (i = 0; i < p->n_role; i++) {
		at = item_begin(w, IT_ROLE, 0);
		put_uid16(w, p->role[i].sop_class);
		wr_u8(w, p->role[i].scu_role);
		wr_u8(w, p->role[i].scp_role);
		item_end(w, at, too_long);
	}
	if (p->has_impl_version) {
		at = item_begin(w, IT_IMPL_VERSION, 0);
		wr_bytes(w, p->impl_version, strlen(p->impl_version));
		item_end(w, at, too_long);
	}
	for (i = 0; i < p->n_ext_neg; i++) {
		at = item_begin(w, IT_EXT_NEG, 0);
		put_uid16(w, p->ext_neg[i].sop_class);
		wr_bytes(w, p->ext_neg[i].info.p, p->ext_neg[i].info.len);
		item_end(w, at, too_long);
	}
	for (i = 0; i < p->n_common_ext_neg; i++) {
		const struct ul_common_ext_neg *x = &p->common_ext_neg[i];
		size_t rel;

		/* PS3.7 D.3.3.6: byte 2 is the sub-item version, 0 */
		at = item_begin(w, IT_COMMON_EXT_NEG, 0);
		put_uid16(w, x->sop_class);
		put_uid16(w, x->service_class);
		rel = w->len;
		wr_be16(w, 0);
		for (j = 0; j < x->n_related; j++)
			put_uid16(w, x->related[j]);
		if (!w->err)
			wr_patch_be16(w, rel, (uint16_t)(w->len - rel - 2));
		item_end(w, at, too_long);
	}
	if (p->has_user_identity) {
		const struct ul_user_identity *u = &p->user_identity;

		if (ac) {
			at = item_begin(w, IT_USER_IDENTITY_AC, 0);
			wr_be16(w, u->server_response.len);
			wr_bytes(
			    w, u->server_response.p, u->server_response.len);
		} else {
			at = item_begin(w, IT_USER_IDENTITY_RQ, 0);
			wr_u8(w, u->type);
			wr_u8(w, u->positive_response);
			wr_be16(w, u->primary.len);
			wr_bytes(w, u->primary.p, u->primary.len);
			wr_be16(w, u->secondary.len);
			wr_bytes(w, u->secondary.p, u->secondary.len);
		}
		item_end(w, at, too_long);
	}
	item_end(w, ui, too_long);
}

static int
encode_assoc(struct wr *w, const struct ul_assoc_params *p, int ac)
{
	size_t start = w->len, pdu, at;
	int too_long = 0, rc;
	unsigned i;

	if (w->err)
		return w->err;
	if ((rc = check_params(p, ac)) != 0)
		return rc;
	pdu = pdu_begin(w, ac ? UL_PDU_ASSOCIATE_AC : UL_PDU_ASSOCIATE_RQ);
	/* PS3.8 9.3.2: version 1 is bit 0 */
	wr_be16(w, p->protocol_version != 0 ? p->protocol_version : 1);
	wr_be16(w, 0);
	/* PS3.8 9.3.3: an AC repeats the RQ's titles in these fields, as
	 * they came when it has them */
	if (ac && p->has_raw_titles) {
		wr_bytes(w, p->raw_titles, sizeof(p->raw_titles));
	} else {
		put_ae(w, p->called_ae);
		put_ae(w, p->calling_ae);
	}
	/* PS3.8 Table 9-17: an AC's bytes 43-74 are the RQ's, untested */
	if (ac)
		wr_bytes(w, p->raw_reserved, sizeof(p->raw_reserved));
	else
		wr_fill(w, 0, 32);
	put_uid_item(w, IT_APP_CONTEXT,
	    p->app_context[0] != '\0' ? p->app_context : UL_APP_CONTEXT,
	    &too_long);
	for (i = 0; i < p->n_pc; i++) {
		const struct ul_pc *pc = &p->pc[i];
		unsigned j;

		at = item_begin(w, ac ? IT_PC_AC : IT_PC_RQ, 0);
		wr_u8(w, pc->id);
		wr_u8(w, 0);
		wr_u8(w, ac ? pc->result : 0);
		wr_u8(w, 0);
		if (ac) {
			/*
			 * PS3.8 9.3.3.2: one transfer syntax sub-item, not
			 * significant when rejected: sent empty if none given.
			 */
			size_t ts = item_begin(w, IT_TRANSFER_SYNTAX, 0);

			if (pc->n_ts > 0)
				wr_bytes(w, pc->ts[0], strlen(pc->ts[0]));
			item_end(w, ts, &too_long);
		} else {
			put_uid_item(w, IT_ABSTRACT_SYNTAX, pc->abstract_syntax,
			    &too_long);
			for (j = 0; j < pc->n_ts; j++)
				put_uid_item(w, IT_TRANSFER_SYNTAX, pc->ts[j],
				    &too_long);
		}
		item_end(w, at, &too_long);
	}
	put_user_info(w, p, ac, &too_long);
	pdu_end(w, pdu);
	if (w->err)
		return w->err;
	if (too_long) {
		/* an item (extended negotiation data) passed 65535 bytes */
		w->len = start;
		return CS_E_INVAL;
	}
	return 0;
}

int
ul_encode_assoc_rq(struct wr *w, const struct ul_assoc_params *p)
{
	return encode_assoc(w, p, 0);
}

int
ul_encode_assoc_ac(struct wr *w, const struct ul_assoc_params *p)
{
	return encode_assoc(w, p, 1);
}

int
ul_encode_assoc_rj(struct wr *w, const struct ul_assoc_rj *rj)
{
	size_t at;

	/* PS3.8 9.3.4: result 1-2, source 1-3 */
	if (rj->result < 1 || rj->result > 2 || rj->source < 1 ||
	    rj->source > 3)
		return CS_E_INVAL;
	at = pdu_begin(w, UL_PDU_ASSOCIATE_RJ);
	wr_u8(w, 0);
	wr_u8(w, rj->result);
	wr_u8(w, rj->source);
	wr_u8(w, rj->reason);
	pdu_end(w, at);
	return w->err;
}

static int
encode_release(struct wr *w, uint8_t type)
{
	size_t at = pdu_begin(w, type);

	/* PS3.8 9.3.6-9.3.7: four reserved bytes */
	wr_be32(w, 0);
	pdu_end(w, at);
	return w->err;
}

int
ul_encode_release_rq(struct wr *w)
{
	return encode_release(w, UL_PDU_RELEASE_RQ);
}

int
ul_encode_release_rp(struct wr *w)
{
	return encode_release(w, UL_PDU_RELEASE_RP);
}

int
ul_encode_abort(struct wr *w, const struct ul_abort *a)
{
	size_t at;

	/* PS3.8 9.3.8: source 0 or 2 (1 reserved); reasons 0-6 */
	if ((a->source != 0 && a->source != 2) || a->reason > 6)
		return CS_E_INVAL;
	at = pdu_begin(w, UL_PDU_ABORT);
	wr_u8(w, 0);
	wr_u8(w, 0);
	wr_u8(w, a->source);
	wr_u8(w, a->reason);
	pdu_end(w, at);
	return w->err;
}

int
ul_encode_pdata_header(
    struct wr *w, uint8_t pcid, uint8_t control, uint32_t len)
{
	/*
	 * PS3.8 9.3.5: the PDU length counts the PDV item's 4-byte length,
	 * PCID and control header, so len may be at most 2^32 - 1 - 6.
	 * These lengths are the only ones computed up front: the payload
	 * is not written here.
	 */
	if ((pcid & 1) == 0 || (control & ~(UL_PDV_COMMAND | UL_PDV_LAST)) ||
	    len > UINT32_MAX - 6)
		return CS_E_INVAL;
	wr_u8(w, UL_PDU_P_DATA_TF);
	wr_u8(w, 0);
	wr_be32(w, len + 6);
	wr_be32(w, len + 2);
	wr_u8(w, pcid);
	wr_u8(w, control);
	return w->err;
}
