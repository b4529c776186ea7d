/* stow_follow.c - dcmsend --follow URL (stow_send.h, stow_follow). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cstore/cstore.h"
#include "net/net.h"
#include "cli/stow_run.h"
#include "cli/stow_send.h"

#include "core/banned.h"

/* --follow: the peer went away or came back (once per change). */
static void
say_state(
    struct run *r, const struct storescu_follow_opts *fo, const char *line)
{
	if (fo->on_state != NULL)
		fo->on_state(r->o->user, line);
}

/*
 * The batch until it is answered: while nothing answers (refused, timed
 * out, broken mid-way, or a gateway's 502, 503 or 504, or a 429: a rate
 * limit) it is sent again after a backoff doubling up to
 * STORESCU_FOLLOW_MAX_DELAY_MS (or the answer's Retry-After, when
 * longer, up to STOW_RETRY_AFTER_MAX_MS), for
 * fo->retry_for_ms at most (-1: forever).  Its files stay open
 * meanwhile; the queue keeps reading.  Past that a gateway's answer
 * fails the files and the run goes on, as an A7xx status does over DIMSE.
 */
static int
flush_until_answered(
    struct run *r, const struct storescu_follow_opts *fo, struct cs_err *err)
{
	unsigned delay = r->o->retry_delay_ms ? r->o->retry_delay_ms : 1000;
	uint64_t since = 0, wait, spent;
	char line[CS_ERR_MSG_MAX + 64];
	int rc;

	for (;;) {
		cs_err_clear(err);
		r->retry_after_ms = 0;
		/* --retry's waits inside (another 5xx's) end with it */
		r->retry_until = fo->retry_for_ms < 0
		    ? 0
		    : (since ? since : net_now_ms()) +
			(uint64_t)fo->retry_for_ms;
		rc = flush(r, err);
		/* as DIMSE --follow: a socket we lack (CS_E_RESOURCE) may
		 * come back when other processes close theirs */
		if (rc != CS_E_UNREACHABLE && rc != CS_E_TIMEOUT &&
		    rc != CS_E_NET && rc != CS_E_AGAIN && rc != CS_E_RESOURCE)
			break;
		if (since == 0) {
			snprintf(line, sizeof(line), "%s: retrying (for %s)",
			    err->msg,
			    fo->retry_for_ms < 0 ? "ever" : "--retry-for");
			say_state(r, fo, line);
			since = net_now_ms();
		}
		spent = net_now_ms() - since;
		if (fo->retry_for_ms >= 0 &&
		    spent >= (uint64_t)fo->retry_for_ms)
			break;
		/* the service's Retry-After when longer, but never past
		 * --retry-for: the last try goes at its end */
		wait = r->retry_after_ms > delay ? r->retry_after_ms : delay;
		if (fo->retry_for_ms >= 0 &&
		    wait > (uint64_t)fo->retry_for_ms - spent)
			wait = (uint64_t)fo->retry_for_ms - spent;
		net_sleep_ms((unsigned)wait);
		delay = delay >= STORESCU_FOLLOW_MAX_DELAY_MS / 2
		    ? STORESCU_FOLLOW_MAX_DELAY_MS
		    : delay * 2;
	}
	if (since != 0 && rc == 0)
		say_state(r, fo, "the service answers again");
	if (rc == CS_E_AGAIN) { /* unavailable for --retry-for: final */
		if (r->n > 0)
			fail_batch(r, STORESCU_FAILED, err->msg);
		cs_err_clear(err);
		return 0;
	}
	if (rc != 0 && r->n > 0)
		fail_batch(r, STORESCU_NOTSENT, err->msg);
	return rc;
}

int
stow_follow(const struct stow_opts *so, const struct storescu_send_opts *o,
    const struct storescu_follow_opts *fo, struct storescu_summary *sum,
    struct cs_err *err)
{
	struct run r = { .follow = 1 };
	struct stow_shared sh;
	size_t batch = so->batch ? so->batch : STOW_DEFAULT_BATCH, k, index = 0;
	const char **got = calloc(batch, sizeof(*got));
	uint64_t t0 = net_now_ms();
	long m;
	int rc = 0;

	memset(sum, 0, sizeof(*sum));
	stow_shared_init(&sh, o);
	r.sh = &sh;
	rc = got == NULL ? cs_err_set(err, CS_E_NOMEM, "out of memory")
			 : run_init(&r, so, o, sum, err);
	/* what is queued goes at once, up to a batch a request */
	while (rc == 0 && (m = fo->next(fo->user, got, batch, -1)) >= 0) {
		for (k = 0; k < (size_t)m && rc == 0; k++) {
			sum->inputs++;
			take(&r, got[k], index++);
			if (r.bytes >= so->batch_bytes)
				rc = flush_until_answered(&r, fo, err);
		}
		for (; k < (size_t)m; k++) { /* after a failure that ends it */
			sum->inputs++;
			report(&r, got[k], index++, NULL, STORESCU_NOTSENT, 0,
			    0, err->msg, 0);
		}
		if (rc == 0)
			rc = flush_until_answered(&r, fo, err);
	}
	sum->associations = r.requests;
	sum->elapsed_us = (net_now_ms() - t0) * 1000u;
	run_free(&r);
	stow_shared_release(&sh);
	free(got);
	return rc;
}
