/* recv_opts.c - dcmrecv's option values (see recv_opts.h). */
#include <stdlib.h>
#include <string.h>

#include "cstore/cstore.h"
#include "cstore/storescp.h"
#include "core/status.h"
#include "cli/recv_opts.h"
#include "cli/status_query.h"
#include "core/banned.h"

int
cli_parse_status(const char *s, uint16_t *status, struct cs_err *err)
{
	char why[200];

	/* "a7": both readings, as status-explain names them */
	if (status_query_readings(s, why, sizeof(why)))
		return cs_err_set(err, CS_E_INVAL, "status '%s': %s", s, why);
	if (status_parse_code(s, status) != 0)
		return cs_err_set(err, CS_E_INVAL,
		    "status '%s': expected a code such as A700 or 0xB000", s);
	/* "122": answered as 0x007A, no status, where 0x0122 was as likely
	 * meant; a status to answer is written in hex (0x007A if meant) */
	if (status_query_decimal_reading(s, why, sizeof(why)))
		return cs_err_set(err, CS_E_INVAL,
		    "status %s: write 0x%04X or 0%s", why, *status, s);
	return 0;
}

int
cli_parse_respond_every(
    const char *s, struct storescp_faults *f, struct cs_err *err)
{
	const char *colon = strchr(s, ':');
	uint16_t status;
	char *end;
	unsigned long n;

	if (colon == NULL || colon == s)
		return cs_err_set(
		    err, CS_E_INVAL, "'%s': expected N:STATUS, e.g. 3:A700", s);
	n = strtoul(s, &end, 10);
	if (end != colon || n < 1 || n > 1000000000ul || s[0] == '-' ||
	    s[0] == '+')
		return cs_err_set(err, CS_E_INVAL,
		    "'%s': N must be a number from 1 to 1000000000", s);
	if (cli_parse_status(colon + 1, &status, err) != 0)
		return CS_E_INVAL;
	f->respond_every = (unsigned)n;
	f->respond_every_status = status;
	return 0;
}

/* The ":REASON" of --reject into *source and *reason. */
static int
reject_reason(
    const char *r, uint8_t *source, uint8_t *reason, struct cs_err *err)
{
	*source = 1;
	if (strcmp(r, "congestion") == 0) {
		*source = 3;
		*reason = 1; /* temporary congestion */
	} else if (strcmp(r, "limit") == 0) {
		*source = 3;
		*reason = 2; /* local limit exceeded */
	} else if (r[0] >= '1' && r[0] <= '7' && r[1] == '\0') {
		*reason = (uint8_t)(r[0] - '0');
	} else {
		return cs_err_set(err, CS_E_INVAL,
		    "reject reason '%s': expected 1-7, congestion or limit", r);
	}
	return 0;
}

int
cli_parse_reject(const char *s, struct storescp_faults *f, struct cs_err *err)
{
	const char *colon = strchr(s, ':');
	size_t kl = colon != NULL ? (size_t)(colon - s) : strlen(s);
	uint8_t result, source = 1,
			reason = 1; /* no reason given (PS3.8 Table 9-21) */

	if (kl == 9 && strncmp(s, "transient", 9) == 0)
		result = 2;
	else if (kl == 9 && strncmp(s, "permanent", 9) == 0)
		result = 1;
	else
		return cs_err_set(err, CS_E_INVAL,
		    "'%s': expected transient or permanent, optionally :REASON",
		    s);
	if (colon != NULL &&
	    reject_reason(colon + 1, &source, &reason, err) != 0)
		return CS_E_INVAL;
	f->reject = 1;
	f->reject_result = result;
	f->reject_source = source;
	f->reject_reason = reason;
	return 0;
}

int
cli_parse_dup(const char *s, enum storescp_dup *dup, struct cs_err *err)
{
	static const struct {
		const char *word;
		enum storescp_dup dup;
	} words[] = {
		{ "overwrite", STORESCP_DUP_OVERWRITE },
		{ "keep", STORESCP_DUP_KEEP },
		{ "rename", STORESCP_DUP_RENAME },
		{ "reject", STORESCP_DUP_REJECT },
	};

	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strcmp(s, words[i].word) == 0) {
			*dup = words[i].dup;
			return 0;
		}
	return cs_err_set(err, CS_E_INVAL,
	    "'%s': expected overwrite, keep, rename or reject", s);
}
