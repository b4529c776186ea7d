/*
 * send_report.h - what storescu_send tells its caller (internal to
 * libstorescu): one result per input (on_result), the counts of the
 * summary, progress, -v notes and the worst association failure, all
 * serialised by one lock so that lanes (-j) report one at a time.  The
 * reasons in a result's detail are worded here too.
 */
#ifndef CS_STORESCU_SEND_REPORT_H
#define CS_STORESCU_SEND_REPORT_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "cstore/cstore.h"
#include "cstore/storescu.h"
#include "core/ul_assoc.h"
#include "storescu/propose.h"
#include "storescu/source.h"

#define DETAIL_MAX 512

struct send_report {
	const struct storescu_send_opts *o;
	const struct sources *src;
	struct storescu_summary *sum;
	struct storescu_progress prog;
	uint64_t t0;
	pthread_mutex_t mu;
	/* held while a result line is written (taken before mu, never
	 * under it): a reader slow to take the lines stalls only those
	 * that write one, not a lane counting its association */
	pthread_mutex_t out_mu;
	int worst_rc;
	struct cs_err worst;
	int some_accepted; /* an association accepted a storage context */
	int none_accepted; /* one accepted none: none_err says so */
	struct cs_err none_err;
	size_t base; /* follow: the index of src's first input in the stream */
};

/* Starts the clock and the counts (sum cleared; inputs = src->n). */
void report_init(struct send_report *rp, const struct storescu_send_opts *o,
    const struct sources *src, struct storescu_summary *sum);
/* Stops the clock (sum->elapsed_us) and frees the lock. */
void report_release(struct send_report *rp);

/* Input i is planned: it counts in the progress totals. */
void report_planned(struct send_report *rp, size_t i);
/* A note for -v (on_note). */
void report_note(struct send_report *rp, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Reports one input: counts it, calls on_result (and on_progress when
 * it was planned). */
void
report_emit(struct send_report *rp, struct storescu_result *r, int planned);
/* A result for input i with outcome o and nothing else known yet. */
void report_result_init(struct storescu_result *r, const struct send_report *rp,
    size_t i, enum storescu_outcome o);
/* Reports input i with a local outcome and a reason. */
void report_simple(struct send_report *rp, size_t i, enum storescu_outcome o,
    unsigned assoc, const char *detail, int planned);
/* An association was established (the summary counts it). */
void report_association(struct send_report *rp);
/* Hands a planned association to on_plan (dry run). */
void report_plan(struct send_report *rp, const struct storescu_plan_assoc *a);
/* Keeps the worst association failure for storescu_send's result. */
void report_failure(struct send_report *rp, int rc, const struct cs_err *e);
/* An association's answer: accepted storage contexts, e the failure
 * to keep when that is 0.  One that accepted none fails the run as
 * rejected only when no association of the run accepted any; else its
 * files' nocontext lines are failures of their own (exit 1), as when
 * -j 1 or --per-assoc had put them beside accepted ones. */
void
report_accepted(struct send_report *rp, int accepted, const struct cs_err *e);
/* The result of the run: 0 or the worst failure's code, *err its detail
 * unless err already holds one. */
int report_result(const struct send_report *rp, struct cs_err *err);

/* An association that ended after it was established ended mid-way. */
int report_mid_way(int rc);
/* The outcome of a file the prober refused with rc. */
enum storescu_outcome report_probe_outcome(int rc);

/* A UID's keyword when we know it, else the UID. */
const char *report_uid_text(const char *uid);
/* Appends "; " and a formatted reason to buf (DETAIL_MAX). */
void report_add_detail(char *buf, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* The same into buf of cap bytes. */
void report_add_note(char *buf, size_t cap, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Appends to d what a file's meta header says that its data set does
 * not (info->flags: PART10_F_TS_MISMATCH, _CLASS_, _INSTANCE_), and
 * that it goes as the data set's: verb "sent" (its line) or "to be
 * sent" (a dry run's). */
void
report_meta_notes(char *d, const struct part10_info *info, const char *verb);
/* Appends to detail why no context of set that ac accepted fits a file
 * of class cls in syntax ts under po (the run's propose options). */
void report_nocontext(const struct propose_opts *po,
    const struct ul_assoc_params *ac, const struct propose_set *set,
    const char *cls, const char *ts, char *detail);

#endif
