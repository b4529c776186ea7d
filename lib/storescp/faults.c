/*
 * faults.c - the debugging behaviours of the receiver (see scp.h and
 * struct storescp_faults in storescp.h).  dcmrecv's option syntax for
 * them is parsed in lib/cli/recv_opts.c.
 */
#include <stdio.h>
#include <string.h>

#include "cstore/cstore.h"
#include "storescp/scp.h"
#include "core/banned.h"

void
faults_init(struct scp_faults *s, const struct storescp_faults *f)
{
	memset(s, 0, sizeof(*s));
	if (f != NULL)
		s->f = *f;
	if (s->f.abort_on_instance != NULL)
		snprintf(s->abort_on, sizeof(s->abort_on), "%s",
		    s->f.abort_on_instance);
	s->f.abort_on_instance = NULL; /* borrowed: the copy is what counts */
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
faults_abort_now(const struct scp_faults *s, unsigned n, const char *instance,
    const char **why)
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
