/*
 * ul_pdu.h - DICOM Upper Layer PDUs (PS3.8 9.3): decoded structures,
 * encoders and decoders.  Pure functions over byte buffers.
 *
 * Decoding allocates nothing: fixed arrays sized by the standard hold
 * UIDs and AE titles; variable blobs (user identity fields, extended
 * negotiation info) are ul_blob pointers INTO the decoded buffer and are
 * valid only as long as that buffer.  Encoders read the same structures
 * (blobs point at caller memory) and append to a struct wr.
 *
 * Limits (documented, enforced on decode):
 *   UL_MAX_PC presentation contexts (odd IDs 1-255 allow 128);
 *   UL_MAX_TS transfer syntaxes per proposed context: further ones are
 *   ignored on decode (an acceptor may choose among those it read; with
 *   ul_decode_assoc_rq_keep, those it would never accept take no room),
 *   and rejected with CS_E_INVAL on encode;
 *   UL_MAX_ROLE, UL_MAX_EXT, UL_MAX_CEXT sub-items of each kind: further
 *   ones are ignored on decode;
 *   UIDs at most 64 characters, AE titles 16 (leading and trailing
 *   spaces trimmed on decode, PS3.8 9.3.2; padded with spaces on encode).
 * What the decoders accept leniently and what they refuse is listed at
 * the top of ul_pdu.c.
 */
#ifndef CS_CORE_UL_PDU_H
#define CS_CORE_UL_PDU_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define UL_PDU_HEADER_LEN 6
#define UL_MAX_PC 128
#define UL_MAX_TS 16
#define UL_MAX_ROLE 128
#define UL_MAX_EXT 128
#define UL_MAX_CEXT 32
#define UL_MAX_RELATED 8
#define UL_UID_MAX 64
#define UL_AE_MAX 16
#define UL_VERSION_NAME_MAX 16

/* The DICOM application context name (PS3.7 A.2.1). */
#define UL_APP_CONTEXT "1.2.840.10008.3.1.1.1"

enum ul_pdu_type {
	UL_PDU_ASSOCIATE_RQ = 0x01,
	UL_PDU_ASSOCIATE_AC = 0x02,
	UL_PDU_ASSOCIATE_RJ = 0x03,
	UL_PDU_P_DATA_TF = 0x04,
	UL_PDU_RELEASE_RQ = 0x05,
	UL_PDU_RELEASE_RP = 0x06,
	UL_PDU_ABORT = 0x07,
};

/* Presentation context result/reason (PS3.8 Table 9-18). */
enum ul_pc_result {
	UL_PC_ACCEPTANCE = 0,
	UL_PC_USER_REJECTION = 1,
	UL_PC_NO_REASON = 2,
	UL_PC_ABSTRACT_SYNTAX_NOT_SUPPORTED = 3,
	UL_PC_TRANSFER_SYNTAXES_NOT_SUPPORTED = 4,
};

struct ul_blob {
	const uint8_t *p;
	uint16_t len;
};

/*
 * A presentation context.  In an A-ASSOCIATE-RQ: id, abstract syntax and
 * n_ts proposed transfer syntaxes (result unused).  In an AC: id, result
 * and, when accepted, exactly one transfer syntax in ts[0] (n_ts = 1);
 * the abstract syntax is empty on the wire (PS3.8 9.3.3.2) and is filled
 * in by the association from its proposal.
 */
struct ul_pc {
	uint8_t id;
	uint8_t result; /* enum ul_pc_result */
	char abstract_syntax[UL_UID_MAX + 1];
	uint8_t n_ts;
	char ts[UL_MAX_TS][UL_UID_MAX + 1];
};

/* SCP/SCU Role Selection sub-item (PS3.7 D.3.3.4). */
struct ul_role {
	char sop_class[UL_UID_MAX + 1];
	uint8_t scu_role;
	uint8_t scp_role;
};

/* SOP Class Extended Negotiation sub-item (PS3.7 D.3.3.5). */
struct ul_ext_neg {
	char sop_class[UL_UID_MAX + 1];
	struct ul_blob info;
};

/* SOP Class Common Extended Negotiation sub-item (PS3.7 D.3.3.6), RQ only. */
struct ul_common_ext_neg {
	char sop_class[UL_UID_MAX + 1];
	char service_class[UL_UID_MAX + 1];
	uint8_t n_related;
	char related[UL_MAX_RELATED][UL_UID_MAX + 1];
};

/* User Identity negotiation (PS3.7 D.3.3.7): RQ fields and AC response. */
struct ul_user_identity {
	uint8_t type; /* 1 user, 2 user+pass, 3 Kerberos, 4 SAML, 5 JWT */
	uint8_t positive_response;      /* RQ: 1 = response requested */
	struct ul_blob primary;         /* RQ */
	struct ul_blob secondary;       /* RQ, type 2 only */
	struct ul_blob server_response; /* AC */
};

/*
 * The variable part of an A-ASSOCIATE-RQ or -AC, both directions.
 * has_* flags say whether an optional sub-item is present.
 */
struct ul_assoc_params {
	uint16_t protocol_version; /* 1 */
	char called_ae[UL_AE_MAX + 1];
	char calling_ae[UL_AE_MAX + 1];
	/*
	 * The called and calling AE title fields as they came (decoding) or
	 * are to go (encoding an AC, when has_raw_titles): PS3.8 9.3.3 asks
	 * an AC to repeat the RQ's identically, padding, NULs and bytes
	 * beyond ASCII included, which called_ae/calling_ae do not keep.
	 */
	int has_raw_titles;
	uint8_t raw_titles[2 * UL_AE_MAX];
	/*
	 * The 32 reserved bytes after the titles (PS3.8 Table 9-11 bytes
	 * 43-74) as they came (decoding an RQ) or are to go (encoding an AC):
	 * Table 9-17 asks an AC to send the RQ's value there, untested.
	 * Encoding an RQ writes zeros whatever this holds.
	 */
	uint8_t raw_reserved[32];
	char app_context[UL_UID_MAX + 1];

	uint8_t n_pc;
	struct ul_pc pc[UL_MAX_PC];

	/* User Information item (PS3.8 9.3.2.3, PS3.7 D.3.3) */
	int has_max_pdu;
	uint32_t max_pdu; /* 0 = no limit */
	char impl_class_uid[UL_UID_MAX + 1];
	int has_impl_version;
	char impl_version[UL_VERSION_NAME_MAX + 1];
	int has_async_ops;
	uint16_t max_ops_invoked;
	uint16_t max_ops_performed;
	uint8_t n_role;
	struct ul_role role[UL_MAX_ROLE];
	uint8_t n_ext_neg;
	struct ul_ext_neg ext_neg[UL_MAX_EXT];
	uint8_t n_common_ext_neg;
	struct ul_common_ext_neg common_ext_neg[UL_MAX_CEXT];
	int has_user_identity;
	struct ul_user_identity user_identity;
};

/* A-ASSOCIATE-RJ result/source/reason (PS3.8 9.3.4). */
struct ul_assoc_rj {
	uint8_t result; /* 1 permanent, 2 transient */
	uint8_t
	    source; /* 1 service user, 2 provider ACSE, 3 provider presentation */
	uint8_t reason;
};

/* A-ABORT source/reason (PS3.8 9.3.8). */
struct ul_abort {
	uint8_t source; /* 0 service user, 2 service provider */
	uint8_t reason; /* 0-6 when source is 2, else 0 */
};

/* One PDV item of a P-DATA-TF (PS3.8 9.3.5.1, E.2); data points into the PDU. */
struct ul_pdv {
	uint8_t pcid;
	uint8_t
	    control; /* bit 0: command (1) or dataset (0); bit 1: last fragment */
	const uint8_t *data;
	uint32_t len;
};
#define UL_PDV_COMMAND 0x01
#define UL_PDV_LAST 0x02

/*
 * Decoders.  body/len is the PDU body: the bytes after the 6-byte PDU
 * header.  Each returns 0, or CS_E_PROTO when the body is malformed
 * (bad lengths, missing mandatory items, wrong item types or order),
 * with detail in err.  Unknown sub-items of the user information item
 * are skipped; unknown items elsewhere are skipped where PS3.8 allows.
 */
struct cs_err;
int ul_decode_assoc_rq(const uint8_t *body, size_t len,
    struct ul_assoc_params *out, struct cs_err *err);
/*
 * Which proposed transfer syntaxes an acceptor keeps: fn(user, uid)
 * returns non-zero for one it might accept.  PS3.8 does not bound how
 * many syntaxes a context lists (DCMTK's echoscu -pts proposes 38), and
 * only UL_MAX_TS are kept; leaving out those the acceptor would never
 * take keeps room for those it would.  A context none of whose syntaxes
 * is kept holds the first one proposed (n_ts 1), so it is answered
 * "transfer syntaxes not supported" rather than taken as malformed.
 */
struct ul_ts_keep {
	int (*fn)(void *user, const char *uid);
	void *user;
};
/* ul_decode_assoc_rq, keeping only what keep takes (NULL: all).  rj
 * (may be NULL) is left alone for an invalid PDU (the acceptor aborts:
 * PS3.8 Evt19) and filled for a well-formed RQ it does not accept (AE-6:
 * A-ASSOCIATE-RJ): no application context item (reason 2), no
 * presentation context or user information item (1), a control
 * character in the called (7) or calling (3) AE title. */
int ul_decode_assoc_rq_keep(const uint8_t *body, size_t len,
    struct ul_assoc_params *out, const struct ul_ts_keep *keep,
    struct ul_assoc_rj *rj, struct cs_err *err);
int ul_decode_assoc_ac(const uint8_t *body, size_t len,
    struct ul_assoc_params *out, struct cs_err *err);
int ul_decode_assoc_rj(const uint8_t *body, size_t len, struct ul_assoc_rj *out,
    struct cs_err *err);
int ul_decode_abort(
    const uint8_t *body, size_t len, struct ul_abort *out, struct cs_err *err);
/* A-RELEASE-RQ/RP: 4 reserved bytes. */
int ul_decode_release(const uint8_t *body, size_t len, struct cs_err *err);

/*
 * P-DATA-TF iteration: rd over the body; ul_next_pdv fills pdv and
 * returns 1, returns 0 at the end of the body, or CS_E_PROTO for a
 * malformed PDV (item length < 2, past the body, PCID even or 0).
 */
int ul_next_pdv(struct rd *body, struct ul_pdv *pdv, struct cs_err *err);

/*
 * Encoders: append one whole PDU, header included, to w.  Return 0, or
 * CS_E_INVAL for values the standard forbids (even PCID, UID over 64,
 * too many contexts), or the writer's error (CS_E_TOOBIG/CS_E_NOMEM).
 * On CS_E_INVAL nothing is appended.
 *
 * RQ/AC: the Maximum Length sub-item is always written (max_pdu, 0 = no
 * limit; has_max_pdu is ignored) and impl_class_uid is required (PS3.7
 * D.3.3.1-2); an empty app_context means UL_APP_CONTEXT; protocol_version
 * 0 means 1.  RQ: 1-16 character called/calling AE titles, 1..UL_MAX_TS
 * transfer syntaxes per context, unique odd ids.  AC: ac->pc[i].result
 * 0-4, n_ts 1 when accepted (0 or 1 otherwise: a rejected context sends
 * an empty transfer syntax sub-item when n_ts is 0); no common extended
 * negotiation; the user identity sub-item sent is the AC form.
 */
int ul_encode_assoc_rq(struct wr *w, const struct ul_assoc_params *p);
int ul_encode_assoc_ac(struct wr *w, const struct ul_assoc_params *p);
int ul_encode_assoc_rj(struct wr *w, const struct ul_assoc_rj *rj);
int ul_encode_release_rq(struct wr *w);
int ul_encode_release_rp(struct wr *w);
int ul_encode_abort(struct wr *w, const struct ul_abort *a);
/*
 * P-DATA-TF with a single PDV: header and PDV item header only (12
 * bytes), announcing len payload bytes that the caller sends next; this
 * lets the transport send payload straight from its source (writev,
 * sendfile) without copying.
 */
int ul_encode_pdata_header(
    struct wr *w, uint8_t pcid, uint8_t control, uint32_t len);

/* Reads a PDU header; returns 0 or CS_E_TRUNCATED when fewer than 6 bytes. */
int
ul_pdu_header(const uint8_t *p, size_t len, uint8_t *type, uint32_t *body_len);

/* Names for traces and messages: "A-ASSOCIATE-RQ", ... ("unknown"). */
const char *ul_pdu_name(uint8_t type);
/* Words for RJ result/source/reason, A-ABORT source/reason, PC result. */
const char *ul_rj_reason_text(uint8_t source, uint8_t reason);
const char *ul_abort_reason_text(uint8_t source, uint8_t reason);
const char *ul_pc_result_text(uint8_t result);
/* RJ result ("rejected permanent"), RJ source and A-ABORT source words. */
const char *ul_rj_result_text(uint8_t result);
const char *ul_rj_source_text(uint8_t source);
const char *ul_abort_source_text(uint8_t source);

#endif
