/*
 * dimse_cmd.h - DIMSE command sets (PS3.7 6.3, 9.3 and Annex E): the
 * decoded structure, the encoder, the decoder, builders for C-ECHO and
 * C-STORE, and a one-line formatter for traces.
 *
 * A command set is group 0000 only, always Implicit VR Little Endian
 * (PS3.7 6.3.1), elements in ascending tag order with (0000,0000)
 * Command Group Length first.  The structure holds the elements that
 * C-ECHO-RQ/RSP (PS3.7 9.3.5), C-STORE-RQ/RSP (PS3.7 9.3.1),
 * N-EVENT-REPORT-RQ/RSP (10.3.1) and N-ACTION-RQ/RSP (10.3.4) use --
 * the last two for Storage Commitment (PS3.4 Annex J); `has` says which
 * are present.  Other commands (C-FIND, N-GET...) decode into the same
 * structure: their own elements are skipped like any unknown element.
 *
 * Ownership: struct dimse_cmd is plain data with fixed arrays; decoding
 * allocates nothing and keeps no pointer into the input.  Strings are
 * NUL-terminated, with their padding removed.
 */
#ifndef CS_CORE_DIMSE_CMD_H
#define CS_CORE_DIMSE_CMD_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

struct cs_err;

/* Largest command set we decode or buffer (PS3.7 sets no limit; real
 * ones are a few hundred bytes). */
#define DIMSE_CMD_MAX (64u * 1024u)
/* Value lengths from PS3.5 Table 6.2-1: UI 64, AE 16, LO 64 characters. */
#define DIMSE_UID_MAX 64
#define DIMSE_AE_MAX 16
#define DIMSE_LO_MAX 64
/* Offending Element (0000,0901) values kept; further ones are dropped. */
#define DIMSE_MAX_OFFENDING 16

/* The Verification SOP Class (PS3.4 A.4), the only class C-ECHO uses. */
#define DIMSE_VERIFICATION_UID "1.2.840.10008.1.1"

/* Command Field (0000,0100) values, PS3.7 Annex E Table E.1-1. */
enum dimse_command {
	DIMSE_C_STORE_RQ = 0x0001,
	DIMSE_C_STORE_RSP = 0x8001,
	DIMSE_C_GET_RQ = 0x0010,
	DIMSE_C_GET_RSP = 0x8010,
	DIMSE_C_FIND_RQ = 0x0020,
	DIMSE_C_FIND_RSP = 0x8020,
	DIMSE_C_MOVE_RQ = 0x0021,
	DIMSE_C_MOVE_RSP = 0x8021,
	DIMSE_C_ECHO_RQ = 0x0030,
	DIMSE_C_ECHO_RSP = 0x8030,
	DIMSE_N_EVENT_REPORT_RQ = 0x0100,
	DIMSE_N_EVENT_REPORT_RSP = 0x8100,
	DIMSE_N_GET_RQ = 0x0110,
	DIMSE_N_GET_RSP = 0x8110,
	DIMSE_N_SET_RQ = 0x0120,
	DIMSE_N_SET_RSP = 0x8120,
	DIMSE_N_ACTION_RQ = 0x0130,
	DIMSE_N_ACTION_RSP = 0x8130,
	DIMSE_N_CREATE_RQ = 0x0140,
	DIMSE_N_CREATE_RSP = 0x8140,
	DIMSE_N_DELETE_RQ = 0x0150,
	DIMSE_N_DELETE_RSP = 0x8150,
	DIMSE_C_CANCEL_RQ = 0x0FFF,
};
/* Bit 15 of the command field marks a response (PS3.7 Annex E). */
#define DIMSE_RSP_BIT 0x8000u

/* Priority (0000,0700), PS3.7 Annex E. */
enum dimse_priority {
	DIMSE_PRIORITY_MEDIUM = 0x0000,
	DIMSE_PRIORITY_HIGH = 0x0001,
	DIMSE_PRIORITY_LOW = 0x0002,
};

/*
 * Command Data Set Type (0000,0800), PS3.7 Annex E: 0x0101 means no data
 * set; any other value means one follows.  We send 0x0001 for "present",
 * as DCMTK and pynetdicom do.
 */
#define DIMSE_DATASET_NONE 0x0101
#define DIMSE_DATASET_PRESENT 0x0001

/* Presence bits for struct dimse_cmd.has, one per element. */
enum dimse_field {
	DIMSE_HAS_AFFECTED_CLASS = 1u << 0,      /* (0000,0002) UI */
	DIMSE_HAS_COMMAND_FIELD = 1u << 1,       /* (0000,0100) US */
	DIMSE_HAS_MESSAGE_ID = 1u << 2,          /* (0000,0110) US */
	DIMSE_HAS_MESSAGE_ID_RSP = 1u << 3,      /* (0000,0120) US */
	DIMSE_HAS_PRIORITY = 1u << 4,            /* (0000,0700) US */
	DIMSE_HAS_DATASET_TYPE = 1u << 5,        /* (0000,0800) US */
	DIMSE_HAS_STATUS = 1u << 6,              /* (0000,0900) US */
	DIMSE_HAS_OFFENDING = 1u << 7,           /* (0000,0901) AT, VM 1-n */
	DIMSE_HAS_ERROR_COMMENT = 1u << 8,       /* (0000,0902) LO */
	DIMSE_HAS_ERROR_ID = 1u << 9,            /* (0000,0903) US */
	DIMSE_HAS_AFFECTED_INSTANCE = 1u << 10,  /* (0000,1000) UI */
	DIMSE_HAS_MOVE_ORIGINATOR_AE = 1u << 11, /* (0000,1030) AE */
	DIMSE_HAS_MOVE_ORIGINATOR_ID = 1u << 12, /* (0000,1031) US */
	DIMSE_HAS_REQUESTED_CLASS = 1u << 13,    /* (0000,0003) UI */
	DIMSE_HAS_REQUESTED_INSTANCE = 1u << 14, /* (0000,1001) UI */
	DIMSE_HAS_EVENT_TYPE = 1u << 15,         /* (0000,1002) US */
	DIMSE_HAS_ACTION_TYPE = 1u << 16,        /* (0000,1008) US */
};

struct dimse_cmd {
	unsigned has; /* DIMSE_HAS_* bits */
	/*
	 * Decoding: DIMSE_HAS_* bits of the UI elements present whose value
	 * is unusable: empty, longer than DIMSE_UID_MAX, or holding a byte
	 * outside printable ASCII.  The field then holds a printable copy
	 * (cut to DIMSE_UID_MAX, '?' for such bytes) for messages, and the
	 * message is not failed: a receiver answers it with a failure
	 * status instead of aborting the association.  0 when encoding.
	 */
	unsigned bad_ui;
	uint16_t command_field; /* enum dimse_command, or any value read */
	uint16_t message_id;
	uint16_t message_id_rsp; /* Message ID Being Responded To */
	uint16_t priority;       /* enum dimse_priority */
	uint16_t dataset_type;   /* DIMSE_DATASET_NONE or another value */
	uint16_t status;
	uint16_t error_id;
	uint16_t move_originator_id;
	uint16_t event_type_id;  /* N-EVENT-REPORT (PS3.7 10.3.1) */
	uint16_t action_type_id; /* N-ACTION (PS3.7 10.3.4) */
	uint8_t n_offending;
	/* Offending Element tags as (group << 16 | element). */
	uint32_t offending[DIMSE_MAX_OFFENDING];
	char affected_class[DIMSE_UID_MAX + 1];
	char affected_instance[DIMSE_UID_MAX + 1];
	char requested_class[DIMSE_UID_MAX + 1];    /* N-ACTION-RQ */
	char requested_instance[DIMSE_UID_MAX + 1]; /* N-ACTION-RQ */
	char error_comment[DIMSE_LO_MAX + 1];
	char move_originator_ae[DIMSE_AE_MAX + 1];
};

/* Clears c and sets its command field. */
void dimse_cmd_init(struct dimse_cmd *c, uint16_t command_field);

/* True when the command says a data set follows (PS3.7 Annex E: any
 * Command Data Set Type other than 0x0101). */
int dimse_cmd_has_dataset(const struct dimse_cmd *c);

/*
 * Checks that c holds the elements its command requires (PS3.7 9.3.1.1,
 * 9.3.1.2, 9.3.5.1, 9.3.5.2; for other commands the common ones: Command
 * Field, Command Data Set Type, and Message ID in a request or Message
 * ID Being Responded To and Status in a response).  Returns 0, or
 * `code` (CS_E_PROTO when decoding, CS_E_INVAL when encoding) with a
 * message naming the command and the missing element in err.
 */
int dimse_cmd_check(const struct dimse_cmd *c, int code, struct cs_err *err);

/*
 * Appends the command set to w: Implicit VR Little Endian, ascending
 * tags, (0000,0000) patched after writing, values padded to even length
 * (UI with NUL, AE and LO with a space; PS3.5 6.2).  Returns the number
 * of bytes appended, CS_E_INVAL (missing required element, string too
 * long or holding control characters, n_offending too large; detail in
 * err), or the writer's CS_E_TOOBIG/CS_E_NOMEM (which stays latched in
 * w->err, as buf.h does).  On failure w->len is back where it was.
 */
int
dimse_cmd_encode(struct wr *w, const struct dimse_cmd *c, struct cs_err *err);

/*
 * Decodes a whole command set (the concatenated command PDV fragments)
 * into out (whose contents are unspecified after a failure).  Never
 * reads outside p[0..len).  Returns 0, CS_E_TOOBIG when
 * len exceeds DIMSE_CMD_MAX, or CS_E_PROTO with detail in err:
 *   - an element outside group 0000, an undefined length (0xFFFFFFFF),
 *     a value past the end, a US/UL/AT value of the wrong length, a
 *     known element twice, an AE value too long or with control
 *     characters (bytes beyond ASCII become '?'; a UI value so is kept
 *     and flagged in bad_ui);
 *   - a required element missing (see dimse_cmd_check).
 * Unknown group 0000 elements (retired ACR-NEMA ones, other services'
 * elements) are skipped.  (0000,0000) is optional and its value is not
 * trusted: see dimse_cmd.c.  Strings lose their padding: UI and AE
 * trailing NULs and spaces and leading spaces, LO trailing spaces and
 * NULs.
 * An Error Comment longer than 64 characters is cut to 64, control
 * characters in it become '?'; Offending Element values past
 * DIMSE_MAX_OFFENDING are dropped.  UIDs are checked for length and
 * printable ASCII only, not for PS3.5 9.1 syntax (peers send loose
 * UIDs): a caller that uses one as a name checks it with uid_is_valid()
 * (core/uid.h).
 */
int dimse_cmd_decode(
    const uint8_t *p, size_t len, struct dimse_cmd *out, struct cs_err *err);

/*
 * Writes one line describing c into buf (always NUL-terminated when
 * size > 0), for traces, e.g.
 *   C-STORE-RQ msg-id=3 class=1.2.840.10008.5.1.4.1.1.7 inst=1.2.3
 *   priority=MEDIUM dataset=present
 * Bytes outside printable ASCII in strings are shown as '?'.  Returns the
 * length the full line has (as snprintf does): a result >= size means
 * it was cut.
 */
int dimse_cmd_format(const struct dimse_cmd *c, char *buf, size_t size);

/* "C-STORE-RQ", ..., or "UNKNOWN-COMMAND". */
const char *dimse_command_name(uint16_t command_field);
/* "MEDIUM", "HIGH", "LOW", or "UNKNOWN". */
const char *dimse_priority_name(uint16_t priority);

/* --- builders: each fills c completely; strings are copied. ----------- */
/* A response echoes a UID of rq only as rq had it: one decoding flagged
 * in rq->bad_ui (cut, '?' for bytes) is left out (U(=) allows none). */

/* C-ECHO-RQ (PS3.7 9.3.5.1): Verification SOP Class, no data set. */
void dimse_cecho_rq(struct dimse_cmd *c, uint16_t message_id);
/*
 * C-ECHO-RSP (PS3.7 9.3.5.2) answering rq: Message ID Being Responded To
 * from rq, Affected SOP Class UID echoed from rq when it has one.
 */
void dimse_cecho_rsp(
    struct dimse_cmd *c, const struct dimse_cmd *rq, uint16_t status);
/*
 * C-STORE-RQ (PS3.7 9.3.1.1) with a data set.  Returns 0, or CS_E_INVAL
 * when a UID is NULL, empty or longer than 64 characters.
 */
int dimse_cstore_rq(struct dimse_cmd *c, uint16_t message_id,
    const char *sop_class, const char *sop_instance, uint16_t priority);
/*
 * C-STORE-RSP (PS3.7 9.3.1.2) answering rq: Message ID Being Responded
 * To, and the Affected SOP Class/Instance UIDs echoed from rq (U(=)),
 * no data set.
 */
void dimse_cstore_rsp(
    struct dimse_cmd *c, const struct dimse_cmd *rq, uint16_t status);
/*
 * N-ACTION-RQ (PS3.7 10.3.4.1, Table 10.3-8) asking the instance
 * req_instance of class req_class to perform action action_type (for
 * Storage Commitment: the well-known instance 1.2.840.10008.1.20.1.1,
 * action 1), with the Action Information data set that follows.
 * Returns 0, or CS_E_INVAL when a UID is NULL, empty or too long.
 */
int dimse_naction_rq(struct dimse_cmd *c, uint16_t message_id,
    const char *req_class, const char *req_instance, uint16_t action_type);
/*
 * N-ACTION-RSP (10.3.4.2) answering rq, without Action Reply data set:
 * Affected SOP Class/Instance UIDs and Action Type ID from rq's
 * Requested ones (U(=), C(=) in Table 10.3-9).
 */
void dimse_naction_rsp(
    struct dimse_cmd *c, const struct dimse_cmd *rq, uint16_t status);
/*
 * N-EVENT-REPORT-RQ (10.3.1.1, Table 10.3-1) of event event_type by the
 * instance aff_instance of class aff_class, with the Event Information
 * data set that follows.  Returns 0, or CS_E_INVAL for a bad UID.
 */
int dimse_neventreport_rq(struct dimse_cmd *c, uint16_t message_id,
    const char *aff_class, const char *aff_instance, uint16_t event_type);
/*
 * N-EVENT-REPORT-RSP (10.3.1.2) answering rq, without Event Reply data
 * set: Affected SOP Class/Instance UIDs and Event Type ID echoed.
 */
void dimse_neventreport_rsp(
    struct dimse_cmd *c, const struct dimse_cmd *rq, uint16_t status);
/*
 * The response to a request we do not perform (PS3.7 C.4.2: 0211
 * Unrecognized Operation, or another failure status): rq's command
 * field with the response bit, Message ID Being Responded To, no data
 * set, and the Affected SOP Class UID echoed when rq has one.
 */
void dimse_refusal_rsp(
    struct dimse_cmd *c, const struct dimse_cmd *rq, uint16_t status);
/* Sets Error Comment (0000,0902); CS_E_INVAL if over 64 characters. */
int dimse_cmd_set_error_comment(struct dimse_cmd *c, const char *text);
/* Appends tag to Offending Element (0000,0901); CS_E_INVAL when full. */
int dimse_cmd_add_offending(struct dimse_cmd *c, uint32_t tag);
/* Sets Move Originator AE Title and Message ID (0000,1030/1031), which a
 * C-STORE sub-operation of a C-MOVE carries; CS_E_INVAL if ae is NULL or
 * longer than 16 characters. */
int dimse_cmd_set_move_originator(
    struct dimse_cmd *c, const char *ae, uint16_t message_id);

#endif
