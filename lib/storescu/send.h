/*
 * send.h - one run of storescu_send, as its parts share it (internal to
 * libstorescu).  send.c probes the inputs (source.h), plans contexts and
 * associations (propose.h) and runs the lanes; send_assoc.c sends one
 * association's files; send_report.c reports.  The includes go one way:
 * send.c -> send.h -> send_report.h -> source.h; nothing here calls
 * back into send.c.
 */
#ifndef CS_STORESCU_SEND_H
#define CS_STORESCU_SEND_H

#include <stddef.h>

#include "cstore/storescu.h"
#include "storescu/commit.h"
#include "storescu/propose.h"
#include "storescu/send_report.h"
#include "storescu/session.h"
#include "storescu/source.h"

struct assoc_req; /* send_assoc.c */

struct send_run {
	const struct storescu_config *cfg;
	const struct storescu_send_opts *o;
	unsigned window; /* async_window, the default applied */
	struct propose_opts popts;
	struct propose_plan *plan;
	struct sources src;
	struct send_report rep;
	struct net_rate *rate; /* follow: --limit-rate's bucket, or NULL */
	/* with TLS: one context for every association of the run */
	struct tls_share tls;
	/* storage commitment with a listener (opts->commit_listen_fd) */
	struct commit_run commit;
	struct commit_listener listener;
	/* for send_assoc.c's wait_other, under its lock: the run's
	 * association requests not answered yet (a list of send_assoc.c's
	 * struct assoc_req, on the lanes' stacks; assoc_seq numbers them),
	 * its associations established and open, those ended, and when
	 * the last one ended (net_now_ms) */
	struct assoc_req *assoc_reqs;
	unsigned long assoc_seq;
	unsigned assoc_open, assoc_ended;
	uint64_t assoc_end_ms;
};

/* The run's settings from the caller's; checks the ranges (send.c). */
int send_run_init(struct send_run *run, const struct storescu_config *cfg,
    const struct storescu_send_opts *opts, struct cs_err *err);
/* Probes every input (but those already stored, by the caller's word)
 * into pin[]; reports the ones that cannot be planned (send.c). */
int send_probe_inputs(
    struct send_run *run, struct propose_input *pin, struct cs_err *err);

/* --commit: what a lane's association stored before it died, never
 * asked for: asked on the lane's next association, or given up (why)
 * when there is none. */
struct send_carry {
	struct commit_tx held;
	char why[CS_ERR_MSG_MAX + 80];
};

/* Opens planned association k (with retries) and sends its files;
 * every one of them gets its result, but stored ones whose association
 * died before their commitment request: moved to carry, which held
 * ones of the lane's earlier association come from (send_assoc.c). */
void send_run_assoc(struct send_run *run, size_t k, struct send_carry *carry);
/* The lane is done: what carry holds is uncommitted, never asked. */
void send_carry_give_up(struct send_run *run, struct send_carry *carry);

#endif
