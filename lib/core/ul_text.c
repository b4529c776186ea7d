/* ul_text.c - words for Upper Layer PDU types, results and reasons. */
#include <stdint.h>

#include "ul_pdu.h"
#include "banned.h"

const char *
ul_pdu_name(uint8_t type)
{
	switch (type) {
	case UL_PDU_ASSOCIATE_RQ:
		return "A-ASSOCIATE-RQ";
	case UL_PDU_ASSOCIATE_AC:
		return "A-ASSOCIATE-AC";
	case UL_PDU_ASSOCIATE_RJ:
		return "A-ASSOCIATE-RJ";
	case UL_PDU_P_DATA_TF:
		return "P-DATA-TF";
	case UL_PDU_RELEASE_RQ:
		return "A-RELEASE-RQ";
	case UL_PDU_RELEASE_RP:
		return "A-RELEASE-RP";
	case UL_PDU_ABORT:
		return "A-ABORT";
	default:
		return "unknown";
	}
}

const char *
ul_rj_result_text(uint8_t result)
{
	/* PS3.8 Table 9-21 */
	switch (result) {
	case 1:
		return "rejected permanent";
	case 2:
		return "rejected transient";
	default:
		return "unknown result";
	}
}

const char *
ul_rj_source_text(uint8_t source)
{
	switch (source) {
	case 1:
		return "service user";
	case 2:
		return "service provider (ACSE)";
	case 3:
		return "service provider (presentation)";
	default:
		return "unknown source";
	}
}

const char *
ul_rj_reason_text(uint8_t source, uint8_t reason)
{
	/* PS3.8 Table 9-21; reasons not listed are reserved */
	switch (source) {
	case 1:
		switch (reason) {
		case 1:
			return "no reason given";
		case 2:
			return "application context name not supported";
		case 3:
			return "calling AE title not recognized";
		case 7:
			return "called AE title not recognized";
		default:
			return "reserved reason";
		}
	case 2:
		switch (reason) {
		case 1:
			return "no reason given";
		case 2:
			return "protocol version not supported";
		default:
			return "reserved reason";
		}
	case 3:
		switch (reason) {
		case 1:
			return "temporary congestion";
		case 2:
			return "local limit exceeded";
		default:
			return "reserved reason";
		}
	default:
		return "unknown source";
	}
}

const char *
ul_abort_source_text(uint8_t source)
{
	/* PS3.8 Table 9-26: 1 is reserved */
	switch (source) {
	case 0:
		return "service user";
	case 2:
		return "service provider";
	default:
		return "reserved source";
	}
}

const char *
ul_abort_reason_text(uint8_t source, uint8_t reason)
{
	/* PS3.8 Table 9-26: the reason is not significant from a user */
	if (source == 0)
		return "aborted by the service user";
	if (source != 2)
		return "reserved source";
	switch (reason) {
	case 0:
		return "reason not specified";
	case 1:
		return "unrecognized PDU";
	case 2:
		return "unexpected PDU";
	case 4:
		return "unrecognized PDU parameter";
	case 5:
		return "unexpected PDU parameter";
	case 6:
		return "invalid PDU parameter value";
	default:
		return "reserved reason";
	}
}

const char *
ul_pc_result_text(uint8_t result)
{
	/* PS3.8 Table 9-18 */
	switch (result) {
	case UL_PC_ACCEPTANCE:
		return "acceptance";
	case UL_PC_USER_REJECTION:
		return "user rejection";
	case UL_PC_NO_REASON:
		return "no reason (provider rejection)";
	case UL_PC_ABSTRACT_SYNTAX_NOT_SUPPORTED:
		return "abstract syntax not supported (provider rejection)";
	case UL_PC_TRANSFER_SYNTAXES_NOT_SUPPORTED:
		return "transfer syntaxes not supported (provider rejection)";
	default:
		return "unknown result";
	}
}
