/* ul_dump.c - readable PDU traces (see ul_dump.h). */
#include <stdarg.h>
#include <stdio.h> /* snprintf only */
#include <string.h>

#include "cstore/cstore.h"
#include "alloc.h"
#include "buf.h"
#include "uid.h"
#include "ul_dump.h"
#include "ul_pdu.h"
#include "banned.h"

#define LINE_MAX_LEN 512

static void say(ul_line_fn line, void *user, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
say(ul_line_fn line, void *user, const char *fmt, ...)
{
	char buf[LINE_MAX_LEN];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	line(user, buf);
}

const char *
ul_dump_uid(const char *uid, char *buf, size_t size)
{
	struct uid_entry e;

	if (uid == NULL || *uid == '\0')
		snprintf(buf, size, "(none)");
	else if (uid_lookup(uid, &e) == 0 && e.keyword && *e.keyword)
		snprintf(buf, size, "%s (%s)", uid, e.keyword);
	else
		snprintf(buf, size, "%s", uid);
	return buf;
}

static const char *
abstract_of(const struct ul_assoc_params *proposal, uint8_t id)
{
	for (int i = 0; proposal != NULL && i < proposal->n_pc; i++)
		if (proposal->pc[i].id == id)
			return proposal->pc[i].abstract_syntax;
	return "";
}

/*
 * User identity (PS3.7 D.3.3.7): the name of types 1 and 2, printable
 * and cut; of the rest (passcode, ticket, assertion, token) only the
 * length.  A trace must never show a secret.
 */
static void
dump_identity(
    const struct ul_user_identity *u, int ac, ul_line_fn line, void *user)
{
	static const char *const kind[] = { "?", "user name",
		"user name and passcode", "Kerberos ticket", "SAML assertion",
		"JSON web token" };
	char name[68], who[96] = "";
	size_t i, n = u->primary.len < 64 ? u->primary.len : 64;

	if (ac) {
		say(line, user, "    user identity response: %u bytes",
		    u->server_response.len);
		return;
	}
	for (i = 0; i < n && (u->type == 1 || u->type == 2); i++)
		name[i] = u->primary.p[i] >= 0x20 && u->primary.p[i] < 0x7f
		    ? (char)u->primary.p[i]
		    : '?';
	name[i] = '\0';
	if (i > 0)
		snprintf(who, sizeof(who), "user '%s%s', ", name,
		    n < u->primary.len ? "..." : "");
	say(line, user,
	    "    user identity: type %u (%s), %s%u-byte primary field, %u-byte secondary field, response %s",
	    u->type, kind[u->type <= 5 ? u->type : 0], who, u->primary.len,
	    u->secondary.len,
	    u->positive_response ? "requested" : "not requested");
}

static void
dump_user_info(
    const struct ul_assoc_params *p, int ac, ul_line_fn line, void *user)
{
	char u[160];

	if (p->has_max_pdu)
		say(line, user, "    max PDU length: %u%s",
		    (unsigned)p->max_pdu, p->max_pdu == 0 ? " (no limit)" : "");
	say(line, user, "    implementation class UID: %s",
	    p->impl_class_uid[0] ? p->impl_class_uid : "(none)");
	if (p->has_impl_version)
		say(line, user, "    implementation version name: %s",
		    p->impl_version);
	if (p->has_async_ops)
		say(line, user,
		    "    asynchronous operations window: invoked %u, performed %u",
		    p->max_ops_invoked, p->max_ops_performed);
	for (int i = 0; i < p->n_role; i++)
		say(line, user, "    role selection: %s SCU %u SCP %u",
		    ul_dump_uid(p->role[i].sop_class, u, sizeof(u)),
		    p->role[i].scu_role, p->role[i].scp_role);
	for (int i = 0; i < p->n_ext_neg; i++)
		say(line, user,
		    "    SOP class extended negotiation: %s (%u bytes)",
		    ul_dump_uid(p->ext_neg[i].sop_class, u, sizeof(u)),
		    p->ext_neg[i].info.len);
	for (int i = 0; i < p->n_common_ext_neg; i++)
		say(line, user,
		    "    common extended negotiation: %s service %s",
		    ul_dump_uid(p->common_ext_neg[i].sop_class, u, sizeof(u)),
		    p->common_ext_neg[i].service_class);
	if (p->has_user_identity)
		dump_identity(&p->user_identity, ac, line, user);
}

static void
dump_assoc(char dir, uint8_t type, const uint8_t *body, size_t len,
    const struct ul_assoc_params *proposal, ul_line_fn line, void *user)
{
	struct ul_assoc_params *p = cs_calloc(1, sizeof(*p));
	struct cs_err err = { 0, "" };
	char u[160];
	int rc;

	if (p == NULL) {
		say(line, user, "%c   (no memory to decode)", dir);
		return;
	}
	rc = type == UL_PDU_ASSOCIATE_RQ
	    ? ul_decode_assoc_rq(body, len, p, &err)
	    : ul_decode_assoc_ac(body, len, p, &err);
	if (rc != 0) {
		say(line, user, "    malformed: %s", err.msg);
		cs_free(p);
		return;
	}
	say(line, user,
	    "    protocol version %u, called AE '%s', calling AE '%s'",
	    p->protocol_version, p->called_ae, p->calling_ae);
	say(line, user, "    application context: %s",
	    ul_dump_uid(p->app_context, u, sizeof(u)));
	for (int i = 0; i < p->n_pc; i++) {
		const struct ul_pc *pc = &p->pc[i];

		if (type == UL_PDU_ASSOCIATE_RQ) {
			say(line, user, "    presentation context %u: %s",
			    pc->id,
			    ul_dump_uid(pc->abstract_syntax, u, sizeof(u)));
			for (int t = 0; t < pc->n_ts; t++)
				say(line, user, "      transfer syntax %s",
				    ul_dump_uid(pc->ts[t], u, sizeof(u)));
		} else {
			const char *as = abstract_of(proposal, pc->id);

			say(line, user, "    presentation context %u: %s%s%s",
			    pc->id, ul_pc_result_text(pc->result),
			    *as ? " - " : "",
			    *as ? ul_dump_uid(as, u, sizeof(u)) : "");
			if (pc->result == UL_PC_ACCEPTANCE && pc->n_ts > 0)
				say(line, user, "      transfer syntax %s",
				    ul_dump_uid(pc->ts[0], u, sizeof(u)));
		}
	}
	dump_user_info(p, type == UL_PDU_ASSOCIATE_AC, line, user);
	cs_free(p);
}

void
ul_dump_pdu(char dir, const uint8_t *pdu, size_t len,
    const struct ul_assoc_params *proposal, ul_line_fn line, void *user)
{
	uint8_t type;
	uint32_t body_len;
	const uint8_t *body = pdu + UL_PDU_HEADER_LEN;
	size_t have = len > UL_PDU_HEADER_LEN ? len - UL_PDU_HEADER_LEN : 0;
	const char *arrow = dir == 'S' ? "sent" : "received";

	if (ul_pdu_header(pdu, len, &type, &body_len) != 0) {
		say(line, user, "%s: %zu bytes, too short for a PDU header",
		    arrow, len);
		return;
	}
	say(line, user, "%s %s (type 0x%02x), %u bytes", arrow,
	    ul_pdu_name(type), type, (unsigned)body_len + UL_PDU_HEADER_LEN);
	switch (type) {
	case UL_PDU_ASSOCIATE_RQ:
	case UL_PDU_ASSOCIATE_AC:
		if (have >= body_len)
			dump_assoc(
			    dir, type, body, body_len, proposal, line, user);
		break;
	case UL_PDU_ASSOCIATE_RJ: {
		struct ul_assoc_rj rj;

		if (ul_decode_assoc_rj(body, have, &rj, NULL) == 0)
			say(line, user,
			    "    result %u (%s), source %u (%s), reason %u (%s)",
			    rj.result, ul_rj_result_text(rj.result), rj.source,
			    ul_rj_source_text(rj.source), rj.reason,
			    ul_rj_reason_text(rj.source, rj.reason));
		break;
	}
	case UL_PDU_ABORT: {
		struct ul_abort ab;

		if (ul_decode_abort(body, have, &ab, NULL) == 0)
			say(line, user, "    source %u (%s), reason %u (%s)",
			    ab.source, ul_abort_source_text(ab.source),
			    ab.reason,
			    ul_abort_reason_text(ab.source, ab.reason));
		break;
	}
	case UL_PDU_P_DATA_TF: {
		struct rd r;

		rd_init(&r, body, have);
		if (have >= 6) {
			uint32_t item = rd_be32(&r);
			uint8_t pcid = rd_u8(&r), ctl = rd_u8(&r);

			say(line, user, "    PDV: context %u, %u bytes, %s, %s",
			    pcid, item >= 2 ? (unsigned)(item - 2) : 0,
			    ctl & UL_PDV_COMMAND ? "command" : "data set",
			    ctl & UL_PDV_LAST ? "last fragment"
					      : "more fragments follow");
		}
		break;
	}
	default:
		break;
	}
}
