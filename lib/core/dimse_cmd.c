/*
 * dimse_cmd.c - DIMSE command set encoding and decoding (see dimse_cmd.h).
 *
 * Wire form (PS3.7 6.3.1, PS3.5 7.1.2): a sequence of elements, each
 * tag group (LE16), tag element (LE16), value length (LE32) and value,
 * in Implicit VR Little Endian; the VR of each element comes from the
 * command dictionary (PS3.7 Annex E Table E.1-1), kept in elems[] below.
 */
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h> /* snprintf only: no file I/O in core */
#include <string.h>

#include "cstore/cstore.h"
#include "buf.h"
#include "dimse_cmd.h"
#include "banned.h"

enum vr { VR_US, VR_UI, VR_AE, VR_LO, VR_AT };

/*
 * The elements we know, in ascending tag order (the encoder walks this
 * table, so the order here is the order on the wire; PS3.5 7.1 requires
 * ascending order).  off is the field in struct dimse_cmd; max the
 * largest string length for UI/AE/LO.
 */
static const struct elem {
	uint16_t tag;
	uint8_t vr;
	unsigned bit;
	size_t off;
	size_t max;
	const char *name;
} elems[] = {
	{ 0x0002, VR_UI, DIMSE_HAS_AFFECTED_CLASS,
	    offsetof(struct dimse_cmd, affected_class), DIMSE_UID_MAX,
	    "Affected SOP Class UID" },
	{ 0x0003, VR_UI, DIMSE_HAS_REQUESTED_CLASS,
	    offsetof(struct dimse_cmd, requested_class), DIMSE_UID_MAX,
	    "Requested SOP Class UID" },
	{ 0x0100, VR_US, DIMSE_HAS_COMMAND_FIELD,
	    offsetof(struct dimse_cmd, command_field), 0, "Command Field" },
	{ 0x0110, VR_US, DIMSE_HAS_MESSAGE_ID,
	    offsetof(struct dimse_cmd, message_id), 0, "Message ID" },
	{ 0x0120, VR_US, DIMSE_HAS_MESSAGE_ID_RSP,
	    offsetof(struct dimse_cmd, message_id_rsp), 0,
	    "Message ID Being Responded To" },
	{ 0x0700, VR_US, DIMSE_HAS_PRIORITY,
	    offsetof(struct dimse_cmd, priority), 0, "Priority" },
	{ 0x0800, VR_US, DIMSE_HAS_DATASET_TYPE,
	    offsetof(struct dimse_cmd, dataset_type), 0,
	    "Command Data Set Type" },
	{ 0x0900, VR_US, DIMSE_HAS_STATUS, offsetof(struct dimse_cmd, status),
	    0, "Status" },
	{ 0x0901, VR_AT, DIMSE_HAS_OFFENDING,
	    offsetof(struct dimse_cmd, offending), 0, "Offending Element" },
	{ 0x0902, VR_LO, DIMSE_HAS_ERROR_COMMENT,
	    offsetof(struct dimse_cmd, error_comment), DIMSE_LO_MAX,
	    "Error Comment" },
	{ 0x0903, VR_US, DIMSE_HAS_ERROR_ID,
	    offsetof(struct dimse_cmd, error_id), 0, "Error ID" },
	{ 0x1000, VR_UI, DIMSE_HAS_AFFECTED_INSTANCE,
	    offsetof(struct dimse_cmd, affected_instance), DIMSE_UID_MAX,
	    "Affected SOP Instance UID" },
	{ 0x1001, VR_UI, DIMSE_HAS_REQUESTED_INSTANCE,
	    offsetof(struct dimse_cmd, requested_instance), DIMSE_UID_MAX,
	    "Requested SOP Instance UID" },
	{ 0x1002, VR_US, DIMSE_HAS_EVENT_TYPE,
	    offsetof(struct dimse_cmd, event_type_id), 0, "Event Type ID" },
	{ 0x1008, VR_US, DIMSE_HAS_ACTION_TYPE,
	    offsetof(struct dimse_cmd, action_type_id), 0, "Action Type ID" },
	{ 0x1030, VR_AE, DIMSE_HAS_MOVE_ORIGINATOR_AE,
	    offsetof(struct dimse_cmd, move_originator_ae), DIMSE_AE_MAX,
	    "Move Originator Application Entity Title" },
	{ 0x1031, VR_US, DIMSE_HAS_MOVE_ORIGINATOR_ID,
	    offsetof(struct dimse_cmd, move_originator_id), 0,
	    "Move Originator Message ID" },
};
#define N_ELEMS (sizeof(elems) / sizeof(elems[0]))
#define TAG_GROUP_LENGTH 0x0000
#define UNDEFINED_LENGTH 0xFFFFFFFFu

static const struct elem *
find_elem(uint16_t tag)
{
	size_t i;

	for (i = 0; i < N_ELEMS; i++)
		if (elems[i].tag == tag)
			return &elems[i];
	return NULL;
}

static const struct elem *
elem_by_bit(unsigned bit)
{
	size_t i;

	for (i = 0; i < N_ELEMS; i++)
		if (elems[i].bit == bit)
			return &elems[i];
	return NULL;
}

static uint16_t *
us_field(struct dimse_cmd *c, const struct elem *e)
{
	return (uint16_t *)(void *)((char *)c + e->off);
}

static uint16_t
us_value(const struct dimse_cmd *c, const struct elem *e)
{
	return *(const uint16_t *)(const void *)((const char *)c + e->off);
}

static char *
str_field(struct dimse_cmd *c, const struct elem *e)
{
	return (char *)c + e->off;
}

static const char *
str_value(const struct dimse_cmd *c, const struct elem *e)
{
	return (const char *)c + e->off;
}

/* --- names ------------------------------------------------------------ */

const char *
dimse_command_name(uint16_t command_field)
{
	switch ((enum dimse_command)command_field) {
	case DIMSE_C_STORE_RQ:
		return "C-STORE-RQ";
	case DIMSE_C_STORE_RSP:
		return "C-STORE-RSP";
	case DIMSE_C_GET_RQ:
		return "C-GET-RQ";
	case DIMSE_C_GET_RSP:
		return "C-GET-RSP";
	case DIMSE_C_FIND_RQ:
		return "C-FIND-RQ";
	case DIMSE_C_FIND_RSP:
		return "C-FIND-RSP";
	case DIMSE_C_MOVE_RQ:
		return "C-MOVE-RQ";
	case DIMSE_C_MOVE_RSP:
		return "C-MOVE-RSP";
	case DIMSE_C_ECHO_RQ:
		return "C-ECHO-RQ";
	case DIMSE_C_ECHO_RSP:
		return "C-ECHO-RSP";
	case DIMSE_N_EVENT_REPORT_RQ:
		return "N-EVENT-REPORT-RQ";
	case DIMSE_N_EVENT_REPORT_RSP:
		return "N-EVENT-REPORT-RSP";
	case DIMSE_N_GET_RQ:
		return "N-GET-RQ";
	case DIMSE_N_GET_RSP:
		return "N-GET-RSP";
	case DIMSE_N_SET_RQ:
		return "N-SET-RQ";
	case DIMSE_N_SET_RSP:
		return "N-SET-RSP";
	case DIMSE_N_ACTION_RQ:
		return "N-ACTION-RQ";
	case DIMSE_N_ACTION_RSP:
		return "N-ACTION-RSP";
	case DIMSE_N_CREATE_RQ:
		return "N-CREATE-RQ";
	case DIMSE_N_CREATE_RSP:
		return "N-CREATE-RSP";
	case DIMSE_N_DELETE_RQ:
		return "N-DELETE-RQ";
	case DIMSE_N_DELETE_RSP:
		return "N-DELETE-RSP";
	case DIMSE_C_CANCEL_RQ:
		return "C-CANCEL-RQ";
	}
	return "UNKNOWN-COMMAND";
}

static int
command_known(uint16_t command_field)
{
	return strcmp(dimse_command_name(command_field), "UNKNOWN-COMMAND") !=
	    0;
}

const char *
dimse_priority_name(uint16_t priority)
{
	switch ((enum dimse_priority)priority) {
	case DIMSE_PRIORITY_MEDIUM:
		return "MEDIUM";
	case DIMSE_PRIORITY_HIGH:
		return "HIGH";
	case DIMSE_PRIORITY_LOW:
		return "LOW";
	}
	return "UNKNOWN";
}

/* --- basic operations ------------------------------------------------- */

void
dimse_cmd_init(struct dimse_cmd *c, uint16_t command_field)
{
	memset(c, 0, sizeof(*c));
	c->command_field = command_field;
	c->has = DIMSE_HAS_COMMAND_FIELD;
}

int
dimse_cmd_has_dataset(const struct dimse_cmd *c)
{
	/* PS3.7 Annex E: 0x0101 is "no data set", every other value means
	 * that one follows. */
	return (c->has & DIMSE_HAS_DATASET_TYPE) &&
	    c->dataset_type != DIMSE_DATASET_NONE;
}

/* Is the required element `bit` present (and, for a UID, not empty)? */
static int
require(const struct dimse_cmd *c, unsigned bit, int code, struct cs_err *err)
{
	const struct elem *e = elem_by_bit(bit);
	const char *cmd = dimse_command_name(c->command_field);

	if (!(c->has & bit))
		return cs_err_set(
		    err, code, "%s lacks (0000,%04X) %s", cmd, e->tag, e->name);
	if (e->vr == VR_UI && str_value(c, e)[0] == '\0' && !(c->bad_ui & bit))
		return cs_err_set(err, code, "%s has an empty (0000,%04X) %s",
		    cmd, e->tag, e->name);
	return 0;
}

int
dimse_cmd_check(const struct dimse_cmd *c, int code, struct cs_err *err)
{
	static const unsigned rq_common[] = { DIMSE_HAS_MESSAGE_ID,
		DIMSE_HAS_DATASET_TYPE };
	static const unsigned rsp_common[] = { DIMSE_HAS_MESSAGE_ID_RSP,
		DIMSE_HAS_DATASET_TYPE, DIMSE_HAS_STATUS };
	/* PS3.7 9.3.1.1 Table 9.3-1: C-STORE-RQ. */
	static const unsigned store_rq[] = { DIMSE_HAS_AFFECTED_CLASS,
		DIMSE_HAS_MESSAGE_ID, DIMSE_HAS_PRIORITY,
		DIMSE_HAS_DATASET_TYPE, DIMSE_HAS_AFFECTED_INSTANCE };
	/* PS3.7 9.3.5.1 Table 9.3-12: C-ECHO-RQ. */
	static const unsigned echo_rq[] = { DIMSE_HAS_AFFECTED_CLASS,
		DIMSE_HAS_MESSAGE_ID, DIMSE_HAS_DATASET_TYPE };
	/* PS3.7 9.3.2.3: C-CANCEL-RQ names the request it cancels by its
	 * Message ID Being Responded To and has no Message ID. */
	static const unsigned cancel_rq[] = { DIMSE_HAS_MESSAGE_ID_RSP,
		DIMSE_HAS_DATASET_TYPE };
	/* PS3.7 10.3.1.1 Table 10.3-1: N-EVENT-REPORT-RQ. */
	static const unsigned event_rq[] = { DIMSE_HAS_AFFECTED_CLASS,
		DIMSE_HAS_MESSAGE_ID, DIMSE_HAS_DATASET_TYPE,
		DIMSE_HAS_AFFECTED_INSTANCE, DIMSE_HAS_EVENT_TYPE };
	/* PS3.7 10.3.4.1 Table 10.3-8: N-ACTION-RQ. */
	static const unsigned action_rq[] = { DIMSE_HAS_REQUESTED_CLASS,
		DIMSE_HAS_MESSAGE_ID, DIMSE_HAS_DATASET_TYPE,
		DIMSE_HAS_REQUESTED_INSTANCE, DIMSE_HAS_ACTION_TYPE };
	const unsigned *need;
	size_t n, i;
	int rc;

	if (!(c->has & DIMSE_HAS_COMMAND_FIELD))
		return cs_err_set(
		    err, code, "command set lacks (0000,0100) Command Field");
	/*
	 * C-STORE-RSP (9.3.1.2) and C-ECHO-RSP (9.3.5.2) need no more than
	 * any response: the Affected SOP Class/Instance UIDs there are
	 * U(=), optional.
	 */
	switch (c->command_field) {
	case DIMSE_C_STORE_RQ:
		need = store_rq;
		n = sizeof(store_rq) / sizeof(store_rq[0]);
		break;
	case DIMSE_C_ECHO_RQ:
		need = echo_rq;
		n = sizeof(echo_rq) / sizeof(echo_rq[0]);
		break;
	case DIMSE_C_CANCEL_RQ:
		need = cancel_rq;
		n = sizeof(cancel_rq) / sizeof(cancel_rq[0]);
		break;
	case DIMSE_N_EVENT_REPORT_RQ:
		need = event_rq;
		n = sizeof(event_rq) / sizeof(event_rq[0]);
		break;
	case DIMSE_N_ACTION_RQ:
		need = action_rq;
		n = sizeof(action_rq) / sizeof(action_rq[0]);
		break;
	default:
		if (c->command_field & DIMSE_RSP_BIT) {
			need = rsp_common;
			n = sizeof(rsp_common) / sizeof(rsp_common[0]);
		} else {
			need = rq_common;
			n = sizeof(rq_common) / sizeof(rq_common[0]);
		}
		break;
	}
	for (i = 0; i < n; i++)
		if ((rc = require(c, need[i], code, err)) != 0)
			return rc;
	return 0;
}

/* --- encoding ---------------------------------------------------------- */

/* UI and AE take printable ASCII only; LO also bytes of extended
 * character sets, but no control characters (PS3.5 6.1.2, 6.2). */
static int
string_ok(const char *s, uint8_t vr)
{
	const unsigned char *p;

	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if (*p < 0x20 || *p == 0x7f)
			return 0;
		if (*p > 0x7f && vr != VR_LO)
			return 0;
	}
	return 1;
}

static void
put_header(struct wr *w, uint16_t tag, uint32_t vl)
{
	wr_le16(w, 0x0000);
	wr_le16(w, tag);
	wr_le32(w, vl);
}

static int
encode_elem(struct wr *w, const struct dimse_cmd *c, const struct elem *e,
    struct cs_err *err)
{
	const char *s;
	size_t len;
	uint8_t i;

	switch ((enum vr)e->vr) {
	case VR_US:
		put_header(w, e->tag, 2);
		wr_le16(w, us_value(c, e));
		break;
	case VR_AT:
		if (c->n_offending > DIMSE_MAX_OFFENDING)
			return cs_err_set(err, CS_E_INVAL,
			    "too many offending elements (%u, at most %d)",
			    c->n_offending, DIMSE_MAX_OFFENDING);
		/* PS3.5 6.2: AT is a group then an element number, each
		 * 16 bits little endian here. */
		put_header(w, e->tag, (uint32_t)c->n_offending * 4u);
		for (i = 0; i < c->n_offending; i++) {
			wr_le16(w, (uint16_t)(c->offending[i] >> 16));
			wr_le16(w, (uint16_t)c->offending[i]);
		}
		break;
	case VR_UI:
	case VR_AE:
	case VR_LO:
		s = str_value(c, e);
		len = strnlen(s, e->max + 1);
		if (len > e->max)
			return cs_err_set(err, CS_E_INVAL,
			    "(0000,%04X) %s longer than %zu characters", e->tag,
			    e->name, e->max);
		if (!string_ok(s, e->vr))
			return cs_err_set(err, CS_E_INVAL,
			    "(0000,%04X) %s holds characters outside its "
			    "repertoire",
			    e->tag, e->name);
		/* PS3.5 6.2: even length; UI pads with NUL, AE and LO with a
		 * space. */
		put_header(w, e->tag, (uint32_t)(len + (len & 1)));
		wr_bytes(w, s, len);
		if (len & 1)
			wr_u8(w, e->vr == VR_UI ? 0x00 : 0x20);
		break;
	}
	return 0;
}

int
dimse_cmd_encode(struct wr *w, const struct dimse_cmd *c, struct cs_err *err)
{
	size_t start = w->len, i, body;
	int rc;

	if ((rc = dimse_cmd_check(c, CS_E_INVAL, err)) != 0)
		return rc;
	/* PS3.7 E.1: (0000,0000) UL, the number of bytes after its own value
	 * up to the end of the group; written as 0 and patched below. */
	put_header(w, TAG_GROUP_LENGTH, 4);
	wr_le32(w, 0);
	for (i = 0; i < N_ELEMS; i++) {
		if (!(c->has & elems[i].bit))
			continue;
		if ((rc = encode_elem(w, c, &elems[i], err)) != 0)
			goto fail;
	}
	if (w->err) {
		rc = cs_err_set(err, w->err, "cannot encode %s: %s",
		    dimse_command_name(c->command_field), cs_strerror(w->err));
		goto fail;
	}
	body = w->len - start - 12;
	wr_patch_le32(w, start + 8, (uint32_t)body);
	return (int)(w->len - start);
fail:
	if (w->len > start)
		w->len = start;
	return rc;
}

/* --- decoding ---------------------------------------------------------- */

static int
printable(const uint8_t *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (v[i] < 0x20 || v[i] >= 0x7f)
			return 0;
	return 1;
}

/* Copies a UI/AE value without its padding; CS_E_PROTO if a bad AE: too
 * long or with a control character (a bad UI is flagged in bad_ui). */
static int
decode_ident(struct dimse_cmd *out, const struct elem *e, const uint8_t *v,
    size_t vl, struct cs_err *err)
{
	size_t start = 0, end = vl, i;
	char *dst = str_field(out, e);

	/* PS3.5 6.2: UI is padded with a trailing NUL, AE with spaces, and
	 * AE leading spaces are insignificant.  Peers also pad UIDs with
	 * spaces, so both are removed for both, from both ends. */
	while (end > start && (v[end - 1] == 0x00 || v[end - 1] == 0x20))
		end--;
	while (start < end && v[start] == 0x20)
		start++;
	/* an unusable UID is the receiver's to refuse with a status (a
	 * C-STORE failure), not a reason to abort the association */
	if (e->vr == VR_UI &&
	    (end - start == 0 || end - start > e->max ||
		!printable(v + start, end - start))) {
		out->bad_ui |= e->bit;
		if (end - start > e->max)
			end = start + e->max;
		for (i = start; i < end; i++)
			dst[i - start] =
			    (v[i] < 0x20 || v[i] >= 0x7f) ? '?' : (char)v[i];
		dst[end - start] = '\0';
		return 0;
	}
	if (end - start > e->max)
		return cs_err_set(err, CS_E_PROTO,
		    "(0000,%04X) %s is %zu characters long, at most %zu "
		    "allowed",
		    e->tag, e->name, end - start, e->max);
	/* An AE (the Move Originator's, PS3.7 9.3.1.1) is the title of the
	 * association a C-MOVE came on: a byte beyond ASCII (Latin-1, which
	 * DCMTK sends and takes) becomes '?' as in the A-ASSOCIATE-RQ's
	 * titles (ul_pdu.c), so that the C-STORE sub-operations of a C-MOVE
	 * from such a title are stored; control characters stay an error. */
	for (i = start; i < end; i++) {
		if (v[i] < 0x20 || v[i] == 0x7f)
			return cs_err_set(err, CS_E_PROTO,
			    "(0000,%04X) %s holds byte 0x%02X", e->tag, e->name,
			    v[i]);
		dst[i - start] = v[i] > 0x7f ? '?' : (char)v[i];
	}
	dst[end - start] = '\0';
	return 0;
}

/*
 * Copies an LO value (Error Comment) without its trailing padding.  It
 * is free text shown to people, so a peer's over-long comment is cut to
 * the PS3.5 limit rather than failing the whole message, and control
 * characters become '?' so that traces stay one line.
 */
static void
decode_text(
    struct dimse_cmd *out, const struct elem *e, const uint8_t *v, size_t vl)
{
	char *dst = str_field(out, e);
	size_t end = vl, i;

	while (end > 0 && (v[end - 1] == 0x20 || v[end - 1] == 0x00))
		end--;
	if (end > e->max)
		end = e->max;
	while (end > 0 && (v[end - 1] == 0x20 || v[end - 1] == 0x00))
		end--;
	for (i = 0; i < end; i++)
		dst[i] = (v[i] < 0x20 || v[i] == 0x7f) ? '?' : (char)v[i];
	dst[end] = '\0';
}

static int
decode_elem(struct dimse_cmd *out, const struct elem *e, const uint8_t *v,
    uint32_t vl, struct cs_err *err)
{
	struct rd r;
	uint32_t n, i;

	rd_init(&r, v, vl);
	switch ((enum vr)e->vr) {
	case VR_US:
		if (vl != 2)
			return cs_err_set(err, CS_E_PROTO,
			    "(0000,%04X) %s has length %u, not 2", e->tag,
			    e->name, vl);
		*us_field(out, e) = rd_le16(&r);
		break;
	case VR_AT:
		if (vl % 4 != 0)
			return cs_err_set(err, CS_E_PROTO,
			    "(0000,%04X) %s has length %u, not a multiple "
			    "of 4",
			    e->tag, e->name, vl);
		n = vl / 4;
		out->n_offending =
		    (uint8_t)(n < DIMSE_MAX_OFFENDING ? n
						      : DIMSE_MAX_OFFENDING);
		for (i = 0; i < out->n_offending; i++) {
			uint32_t group = rd_le16(&r);

			out->offending[i] = group << 16 | rd_le16(&r);
		}
		break;
	case VR_UI:
	case VR_AE:
		return decode_ident(out, e, v, vl, err);
	case VR_LO:
		decode_text(out, e, v, vl);
		break;
	}
	return r.err;
}

int
dimse_cmd_decode(
    const uint8_t *p, size_t len, struct dimse_cmd *out, struct cs_err *err)
{
	struct rd r;
	int seen_group_length = 0, rc;

	memset(out, 0, sizeof(*out));
	if (len > DIMSE_CMD_MAX)
		return cs_err_set(err, CS_E_TOOBIG,
		    "command set of %zu bytes exceeds the limit of %u", len,
		    DIMSE_CMD_MAX);
	if (len == 0)
		return cs_err_set(err, CS_E_PROTO, "empty command set");
	rd_init(&r, p, len);
	while (rd_left(&r) > 0) {
		size_t at = r.pos;
		uint16_t group, tag;
		uint32_t vl;
		const uint8_t *v;
		const struct elem *e;

		if (rd_left(&r) < 8)
			return cs_err_set(err, CS_E_PROTO,
			    "command set ends inside an element header at "
			    "offset %zu",
			    at);
		group = rd_le16(&r);
		tag = rd_le16(&r);
		vl = rd_le32(&r);
		/* PS3.7 6.3.1: a command set holds group 0000 only. */
		if (group != 0x0000)
			return cs_err_set(err, CS_E_PROTO,
			    "element (%04X,%04X) at offset %zu is outside "
			    "the command group 0000",
			    group, tag, at);
		/* Implicit VR elements of group 0000 have explicit lengths;
		 * undefined length is for sequences, which a command set
		 * cannot contain. */
		if (vl == UNDEFINED_LENGTH)
			return cs_err_set(err, CS_E_PROTO,
			    "element (0000,%04X) has undefined length", tag);
		if (vl > rd_left(&r))
			return cs_err_set(err, CS_E_PROTO,
			    "element (0000,%04X) of length %u runs past the "
			    "end of the command set (%zu bytes left)",
			    tag, vl, rd_left(&r));
		v = rd_bytes(&r, vl);
		if (tag == TAG_GROUP_LENGTH) {
			/*
			 * PS3.7 E.1 defines (0000,0000) as mandatory, but its
			 * value adds nothing: the command set is exactly the
			 * data of the command PDVs up to the one marked last
			 * (PS3.8 E.2), and that is what we decode.  Peers that
			 * omit the element or miscount it (counting its own
			 * 12 bytes, or missing elements they added late) are
			 * accepted; a value of the wrong size is not.
			 */
			if (vl != 4)
				return cs_err_set(err, CS_E_PROTO,
				    "(0000,0000) Command Group Length has "
				    "length %u, not 4",
				    vl);
			if (seen_group_length++)
				return cs_err_set(err, CS_E_PROTO,
				    "(0000,0000) Command Group Length "
				    "appears twice");
			continue;
		}
		/* Unknown group 0000 elements (retired ACR-NEMA ones, those
		 * of other services) are skipped: PS3.7 gives them no
		 * meaning for C-ECHO and C-STORE. */
		if ((e = find_elem(tag)) == NULL)
			continue;
		/* A repeated element would make the command ambiguous. */
		if (out->has & e->bit)
			return cs_err_set(err, CS_E_PROTO,
			    "(0000,%04X) %s appears twice", e->tag, e->name);
		if ((rc = decode_elem(out, e, v, vl, err)) != 0)
			return rc != CS_E_TRUNCATED
			    ? rc
			    : cs_err_set(err, CS_E_PROTO,
				  "(0000,%04X) %s is truncated", e->tag,
				  e->name);
		out->has |= e->bit;
	}
	return dimse_cmd_check(out, CS_E_PROTO, err);
}

/* --- formatting -------------------------------------------------------- */

struct line {
	char *buf;
	size_t size;
	size_t len; /* length of the full line, even past size */
};

static void
put(struct line *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
put(struct line *l, const char *fmt, ...)
{
	va_list ap;
	int n;
	size_t room = l->len < l->size ? l->size - l->len : 0;

	va_start(ap, fmt);
	n = vsnprintf(room ? l->buf + l->len : NULL, room, fmt, ap);
	va_end(ap);
	if (n > 0)
		l->len += (size_t)n;
}

/* Appends s with bytes outside printable ASCII shown as '?'. */
static void
put_clean(struct line *l, const char *s)
{
	char tmp[DIMSE_LO_MAX + 1];
	size_t i;

	for (i = 0; s[i] != '\0' && i < sizeof(tmp) - 1; i++) {
		unsigned char ch = (unsigned char)s[i];

		tmp[i] = (ch < 0x20 || ch >= 0x7f) ? '?' : (char)ch;
	}
	tmp[i] = '\0';
	put(l, "%s", tmp);
}

int
dimse_cmd_format(const struct dimse_cmd *c, char *buf, size_t size)
{
	struct line l = { buf, size, 0 };
	uint8_t i;

	if (size > 0)
		buf[0] = '\0';
	if (command_known(c->command_field))
		put(&l, "%s", dimse_command_name(c->command_field));
	else
		put(&l, "command=0x%04X", c->command_field);
	if (c->has & DIMSE_HAS_MESSAGE_ID)
		put(&l, " msg-id=%u", c->message_id);
	if (c->has & DIMSE_HAS_MESSAGE_ID_RSP)
		put(&l, " rsp-to=%u", c->message_id_rsp);
	if (c->has & DIMSE_HAS_STATUS)
		put(&l, " status=0x%04X", c->status);
	if (c->has & DIMSE_HAS_AFFECTED_CLASS) {
		put(&l, " class=");
		put_clean(&l, c->affected_class);
	}
	if (c->has & DIMSE_HAS_AFFECTED_INSTANCE) {
		put(&l, " inst=");
		put_clean(&l, c->affected_instance);
	}
	if (c->has & DIMSE_HAS_REQUESTED_CLASS) {
		put(&l, " req-class=");
		put_clean(&l, c->requested_class);
	}
	if (c->has & DIMSE_HAS_REQUESTED_INSTANCE) {
		put(&l, " req-inst=");
		put_clean(&l, c->requested_instance);
	}
	if (c->has & DIMSE_HAS_EVENT_TYPE)
		put(&l, " event-type=%u", c->event_type_id);
	if (c->has & DIMSE_HAS_ACTION_TYPE)
		put(&l, " action-type=%u", c->action_type_id);
	if (c->has & DIMSE_HAS_PRIORITY) {
		if (strcmp(dimse_priority_name(c->priority), "UNKNOWN") != 0)
			put(&l, " priority=%s",
			    dimse_priority_name(c->priority));
		else
			put(&l, " priority=0x%04X", c->priority);
	}
	if (c->has & DIMSE_HAS_DATASET_TYPE)
		put(&l, " dataset=%s",
		    dimse_cmd_has_dataset(c) ? "present" : "none");
	if (c->has & DIMSE_HAS_MOVE_ORIGINATOR_AE) {
		put(&l, " move-ae='");
		put_clean(&l, c->move_originator_ae);
		put(&l, "'");
	}
	if (c->has & DIMSE_HAS_MOVE_ORIGINATOR_ID)
		put(&l, " move-msg-id=%u", c->move_originator_id);
	if (c->has & DIMSE_HAS_OFFENDING) {
		put(&l, " offending=");
		for (i = 0; i < c->n_offending && i < DIMSE_MAX_OFFENDING; i++)
			put(&l, "%s(%04X,%04X)", i ? "," : "",
			    (unsigned)(c->offending[i] >> 16),
			    (unsigned)(c->offending[i] & 0xFFFFu));
	}
	if (c->has & DIMSE_HAS_ERROR_ID)
		put(&l, " error-id=%u", c->error_id);
	if (c->has & DIMSE_HAS_ERROR_COMMENT) {
		put(&l, " comment='");
		put_clean(&l, c->error_comment);
		put(&l, "'");
	}
	return l.len > (size_t)INT_MAX ? INT_MAX : (int)l.len;
}

/* --- builders ------------------------------------------------- */

static int
copy_string(char *dst, size_t max, const char *src)
{
	size_t len;

	if (src == NULL)
		return CS_E_INVAL;
	len = strnlen(src, max + 1);
	if (len > max)
		return CS_E_INVAL;
	memcpy(dst, src, len);
	dst[len] = '\0';
	return 0;
}

/* Copies a UID into one of c's fields; CS_E_INVAL if NULL, empty or
 * too long. */
static int
set_uid(char *dst, const char *uid)
{
	if (uid == NULL || uid[0] == '\0')
		return CS_E_INVAL;
	return copy_string(dst, DIMSE_UID_MAX, uid);
}

/* The request and response skeletons shared by the N- builders. */
static void
rq_init(struct dimse_cmd *c, uint16_t field, uint16_t message_id)
{
	dimse_cmd_init(c, field);
	c->message_id = message_id;
	c->dataset_type = DIMSE_DATASET_PRESENT;
	c->has |= DIMSE_HAS_MESSAGE_ID | DIMSE_HAS_DATASET_TYPE;
}

static void
rsp_init(struct dimse_cmd *c, uint16_t field, const struct dimse_cmd *rq,
    uint16_t status)
{
	dimse_cmd_init(c, field);
	c->message_id_rsp = rq->message_id;
	c->dataset_type = DIMSE_DATASET_NONE;
	c->status = status;
	c->has |= DIMSE_HAS_MESSAGE_ID_RSP | DIMSE_HAS_DATASET_TYPE |
	    DIMSE_HAS_STATUS;
}

/* Can the request's UI element `bit` be echoed as it came?  Not when
 * decoding flagged it (bad_ui): the field then holds a printable copy,
 * cut or with '?' for bytes, and U(=) (PS3.7 9.3.1.2, 9.3.5.2) asks for
 * the request's value or none, so the response leaves it out. */
static int
echoable(const struct dimse_cmd *rq, unsigned bit)
{
	return (rq->has & bit) && !(rq->bad_ui & bit);
}

/* The Affected SOP Class/Instance UIDs a response echoes (U(=)): from
 * the request's fields cls and inst, when its has bits say they are
 * there and they are its own values (echoable). */
static void
echo_uids(struct dimse_cmd *c, const struct dimse_cmd *rq, unsigned cls_bit,
    const char *cls, unsigned inst_bit, const char *inst)
{
	if (echoable(rq, cls_bit)) {
		memcpy(c->affected_class, cls, sizeof(c->affected_class));
		c->has |= DIMSE_HAS_AFFECTED_CLASS;
	}
	if (echoable(rq, inst_bit)) {
		memcpy(
		    c->affected_instance, inst, sizeof(c->affected_instance));
		c->has |= DIMSE_HAS_AFFECTED_INSTANCE;
	}
}

void
dimse_cecho_rq(struct dimse_cmd *c, uint16_t message_id)
{
	dimse_cmd_init(c, DIMSE_C_ECHO_RQ);
	(void)copy_string(
	    c->affected_class, DIMSE_UID_MAX, DIMSE_VERIFICATION_UID);
	c->message_id = message_id;
	c->dataset_type = DIMSE_DATASET_NONE;
	c->has |= DIMSE_HAS_AFFECTED_CLASS | DIMSE_HAS_MESSAGE_ID |
	    DIMSE_HAS_DATASET_TYPE;
}

void
dimse_cecho_rsp(
    struct dimse_cmd *c, const struct dimse_cmd *rq, uint16_t status)
{
	dimse_cmd_init(c, DIMSE_C_ECHO_RSP);
	c->message_id_rsp = rq->message_id;
	c->dataset_type = DIMSE_DATASET_NONE;
	c->status = status;
	c->has |= DIMSE_HAS_MESSAGE_ID_RSP | DIMSE_HAS_DATASET_TYPE |
	    DIMSE_HAS_STATUS;
	echo_uids(c, rq, DIMSE_HAS_AFFECTED_CLASS, rq->affected_class, 0, "");
}

int
dimse_cstore_rq(struct dimse_cmd *c, uint16_t message_id, const char *sop_class,
    const char *sop_instance, uint16_t priority)
{
	dimse_cmd_init(c, DIMSE_C_STORE_RQ);
	if (sop_class == NULL || sop_class[0] == '\0' || sop_instance == NULL ||
	    sop_instance[0] == '\0' ||
	    copy_string(c->affected_class, DIMSE_UID_MAX, sop_class) != 0 ||
	    copy_string(c->affected_instance, DIMSE_UID_MAX, sop_instance) != 0)
		return CS_E_INVAL;
	c->message_id = message_id;
	c->priority = priority;
	c->dataset_type = DIMSE_DATASET_PRESENT;
	c->has |= DIMSE_HAS_AFFECTED_CLASS | DIMSE_HAS_AFFECTED_INSTANCE |
	    DIMSE_HAS_MESSAGE_ID | DIMSE_HAS_PRIORITY | DIMSE_HAS_DATASET_TYPE;
	return 0;
}

void
dimse_cstore_rsp(
    struct dimse_cmd *c, const struct dimse_cmd *rq, uint16_t status)
{
	rsp_init(c, DIMSE_C_STORE_RSP, rq, status);
	/* PS3.7 9.3.1.2: U(=), the same values as in the request. */
	echo_uids(c, rq, DIMSE_HAS_AFFECTED_CLASS, rq->affected_class,
	    DIMSE_HAS_AFFECTED_INSTANCE, rq->affected_instance);
}

void
dimse_refusal_rsp(
    struct dimse_cmd *c, const struct dimse_cmd *rq, uint16_t status)
{
	rsp_init(c, (uint16_t)(rq->command_field | DIMSE_RSP_BIT), rq, status);
	echo_uids(c, rq, DIMSE_HAS_AFFECTED_CLASS, rq->affected_class, 0, "");
}

int
dimse_cmd_set_error_comment(struct dimse_cmd *c, const char *text)
{
	if (copy_string(c->error_comment, DIMSE_LO_MAX, text) != 0)
		return CS_E_INVAL;
	c->has |= DIMSE_HAS_ERROR_COMMENT;
	return 0;
}

int
dimse_cmd_add_offending(struct dimse_cmd *c, uint32_t tag)
{
	if (c->n_offending >= DIMSE_MAX_OFFENDING)
		return CS_E_INVAL;
	c->offending[c->n_offending++] = tag;
	c->has |= DIMSE_HAS_OFFENDING;
	return 0;
}

int
dimse_cmd_set_move_originator(
    struct dimse_cmd *c, const char *ae, uint16_t message_id)
{
	if (copy_string(c->move_originator_ae, DIMSE_AE_MAX, ae) != 0)
		return CS_E_INVAL;
	c->move_originator_id = message_id;
	c->has |= DIMSE_HAS_MOVE_ORIGINATOR_AE | DIMSE_HAS_MOVE_ORIGINATOR_ID;
	return 0;
}

int
dimse_naction_rq(struct dimse_cmd *c, uint16_t message_id,
    const char *req_class, const char *req_instance, uint16_t action_type)
{
	rq_init(c, DIMSE_N_ACTION_RQ, message_id);
	if (set_uid(c->requested_class, req_class) != 0 ||
	    set_uid(c->requested_instance, req_instance) != 0)
		return CS_E_INVAL;
	c->action_type_id = action_type;
	c->has |= DIMSE_HAS_REQUESTED_CLASS | DIMSE_HAS_REQUESTED_INSTANCE |
	    DIMSE_HAS_ACTION_TYPE;
	return 0;
}

void
dimse_naction_rsp(
    struct dimse_cmd *c, const struct dimse_cmd *rq, uint16_t status)
{
	rsp_init(c, DIMSE_N_ACTION_RSP, rq, status);
	/* PS3.7 10.3.4.2: the Affected UIDs are the request's Requested
	 * ones; the Action Type ID is the request's. */
	echo_uids(c, rq, DIMSE_HAS_REQUESTED_CLASS, rq->requested_class,
	    DIMSE_HAS_REQUESTED_INSTANCE, rq->requested_instance);
	if (rq->has & DIMSE_HAS_ACTION_TYPE) {
		c->action_type_id = rq->action_type_id;
		c->has |= DIMSE_HAS_ACTION_TYPE;
	}
}

int
dimse_neventreport_rq(struct dimse_cmd *c, uint16_t message_id,
    const char *aff_class, const char *aff_instance, uint16_t event_type)
{
	rq_init(c, DIMSE_N_EVENT_REPORT_RQ, message_id);
	if (set_uid(c->affected_class, aff_class) != 0 ||
	    set_uid(c->affected_instance, aff_instance) != 0)
		return CS_E_INVAL;
	c->event_type_id = event_type;
	c->has |= DIMSE_HAS_AFFECTED_CLASS | DIMSE_HAS_AFFECTED_INSTANCE |
	    DIMSE_HAS_EVENT_TYPE;
	return 0;
}

void
dimse_neventreport_rsp(
    struct dimse_cmd *c, const struct dimse_cmd *rq, uint16_t status)
{
	rsp_init(c, DIMSE_N_EVENT_REPORT_RSP, rq, status);
	/* PS3.7 10.3.1.2: U(=) and C(=), the request's values. */
	echo_uids(c, rq, DIMSE_HAS_AFFECTED_CLASS, rq->affected_class,
	    DIMSE_HAS_AFFECTED_INSTANCE, rq->affected_instance);
	if (rq->has & DIMSE_HAS_EVENT_TYPE) {
		c->event_type_id = rq->event_type_id;
		c->has |= DIMSE_HAS_EVENT_TYPE;
	}
}
