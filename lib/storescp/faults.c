/*
 * faults.c - the debugging behaviours of the receiver (see scp.h and
 * struct storescp_faults in storescp.h), and the parsers of their
 * option values.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cstore/cstore.h"
#include "core/status.h"
#include "storescp/scp.h"
#include "core/banned.h"

void
faults_init(struct scp_faults *s, const struct storescp_faults *f,
    const char *abort_on)
{
	memset(s, 0, sizeof(*s));
	if (f != NULL)
		s->f = *f;
	if (abort_on != NULL)
		snprintf(s->abort_on, sizeof(s->abort_on), "%s", abort_on);
	atomic_init(&s->stores, 0);
}

uint16_t
faults_status(struct scp_faults *s, uint16_t computed, int *forced)
{
	unsigned long n = atomic_fetch_add(&s->stores, 1) + 1;

	*forced = 0;
	if (s->f.respond_every > 0 && n % s->f.respond_every == 0) {
		*forced = 1;
		return s->f.respond_every_status;
	}
	if (s->f.respond) {
		*forced = 1;
		return s->f.respond_status;
	}
	return computed;
}

int
faults_abort_now(const struct scp_faults *s, unsigned n,
    const char *instance, const char **why)
{
	if (s->f.abort_after > 0 && n >= s->f.abort_after) {
		*why = "--abort-after";
		return 1;
	}
	if (s->abort_on[0] != '\0' && strcmp(instance, s->abort_on) == 0) {
		*why = "--abort-on";
		return 1;
	}
	return 0;
}

int
faults_reject(const struct scp_faults *s, struct ul_assoc_rj *rj)
{
	if (!s->f.reject)
		return 0;
	rj->result = s->f.reject_result;
	rj->source = s->f.reject_source;
	rj->reason = s->f.reject_reason;
	return 1;
}

int
storescp_parse_status(const char *s, uint16_t *status, struct cs_err *err)
{
	if (status_parse_code(s, status) != 0)
		return cs_err_set(err, CS_E_INVAL,
		    "status '%s': expected a code such as A700 or 0xB000", s);
	return 0;
}

int
storescp_parse_respond_every(const char *s, struct storescp_faults *f,
    struct cs_err *err)
{
	const char *colon = strchr(s, ':');
	char *end;
	unsigned long n;

	if (colon == NULL || colon == s)
		return cs_err_set(err, CS_E_INVAL,
		    "'%s': expected N:STATUS, e.g. 3:A700", s);
	n = strtoul(s, &end, 10);
	if (end != colon || n < 1 || n > 1000000000ul || s[0] == '-' || s[0] == '+')
		return cs_err_set(err, CS_E_INVAL,
		    "'%s': N must be a number from 1 to 1000000000", s);
	if (storescp_parse_status(colon + 1, &f->respond_every_status, err) != 0)
		return CS_E_INVAL;
	f->respond_every = (unsigned)n;
	return 0;
}

int
storescp_parse_reject(const char *s, struct storescp_faults *f,
    struct cs_err *err)
{
	const char *colon = strchr(s, ':');
	size_t kl = colon != NULL ? (size_t)(colon - s) : strlen(s);
	uint8_t result;

	if (kl == 9 && strncmp(s, "transient", 9) == 0)
		result = 2;
	else if (kl == 9 && strncmp(s, "permanent", 9) == 0)
		result = 1;
	else
		return cs_err_set(err, CS_E_INVAL,
		    "'%s': expected transient or permanent, optionally :REASON", s);
	f->reject = 1;
	f->reject_result = result;
	f->reject_source = 1;
	f->reject_reason = 1; /* no reason given (PS3.8 Table 9-21) */
	if (colon == NULL)
		return 0;
	colon++;
	if (strcmp(colon, "congestion") == 0) {
		f->reject_source = 3;
		f->reject_reason = 1; /* temporary congestion */
	} else if (strcmp(colon, "limit") == 0) {
		f->reject_source = 3;
		f->reject_reason = 2; /* local limit exceeded */
	} else if (colon[0] >= '1' && colon[0] <= '7' && colon[1] == '\0') {
		f->reject_reason = (uint8_t)(colon[0] - '0');
	} else {
		return cs_err_set(err, CS_E_INVAL,
		    "reject reason '%s': expected 1-7, congestion or limit", colon);
	}
	return 0;
}

int
storescp_parse_dup(const char *s, enum storescp_dup *dup, struct cs_err *err)
{
	static const char *const words[] = { "overwrite", "keep", "rename",
		"reject" };

	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strcmp(s, words[i]) == 0) {
			*dup = (enum storescp_dup)i;
			return 0;
		}
	return cs_err_set(err, CS_E_INVAL,
	    "'%s': expected overwrite, keep, rename or reject", s);
}
