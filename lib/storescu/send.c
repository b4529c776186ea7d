/*
 * send.c - storescu_send: probe the inputs (source.h), plan
 * presentation contexts and associations (propose.h), then send every
 * file over its association (send_assoc.c), in parallel lanes for -j,
 * or only report the plan (dry run).  Every input gets exactly one
 * result (send_report.h).
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "cstore/cstore.h"
#include "cstore/storescu.h"
#include "core/alloc.h"
#include "core/ts.h"
#include "core/ts_uids.h"
#include "dcmfile/dcmfile.h"
#include "net/net.h"
#include "net/rate.h"
#include "storescu/propose.h"
#include "storescu/send.h"
#include "storescu/send_convert.h"
#include "core/banned.h"

struct lane {
	struct send_run *run;
	unsigned lane;
	pthread_t tid;
};

static void *
run_lane(void *arg)
{
	struct lane *l = arg;
	struct send_carry carry;
	size_t k;

	memset(&carry, 0, sizeof(carry));
	for (k = 0; k < l->run->plan->n_assoc; k++)
		if (l->run->plan->assoc[k].lane == l->lane)
			send_run_assoc(l->run, k, &carry);
	send_carry_give_up(l->run, &carry);
	return NULL;
}

/* Runs the plan's lanes, each in a thread when there are several. */
static int
run_lanes(struct send_run *run, struct cs_err *err)
{
	struct lane one = { .run = run, .lane = 0 }, *lanes;
	unsigned L, n = run->plan->jobs;

	if (n <= 1) {
		run_lane(&one);
		return 0;
	}
	lanes = cs_calloc(n, sizeof(*lanes));
	if (lanes == NULL)
		return cs_err_set(err, CS_E_NOMEM, "out of memory");
	for (L = 0; L < n; L++) {
		lanes[L].run = run;
		lanes[L].lane = L;
		if (net_thread_start(&lanes[L].tid, run_lane, &lanes[L]) != 0) {
			/* no thread: run this lane here, in turn */
			lanes[L].tid = pthread_self();
			run_lane(&lanes[L]);
		}
	}
	for (L = 0; L < n; L++)
		if (!pthread_equal(lanes[L].tid, pthread_self()))
			pthread_join(lanes[L].tid, NULL);
	cs_free(lanes);
	return 0;
}

/* The lanes, and with --commit and a listener the listener beside
 * them until the reports are in; what has none then is uncommitted. */
static int
run_committing(struct send_run *run, struct cs_err *err)
{
	const struct storescu_send_opts *o = run->o;
	char why[96];
	int rc,
	    timeout = o->commit_timeout_ms > 0
	    ? o->commit_timeout_ms
	    : STORESCU_DEFAULT_COMMIT_TIMEOUT_MS;

	if (!o->commit || o->commit_listen_fd < 0)
		return run_lanes(run, err);
	commit_run_init(&run->commit);
	run->listener.fd = o->commit_listen_fd;
	run->listener.cfg = run->cfg;
	run->listener.cr = &run->commit;
	run->listener.rp = &run->rep;
	rc = commit_listen_start(&run->listener, err);
	if (rc == 0) {
		rc = run_lanes(run, err);
		commit_listen_stop(&run->listener);
	}
	snprintf(why, sizeof(why), "no commitment report within %d s",
	    timeout / 1000);
	commit_run_release(&run->commit, &run->rep, why);
	return rc;
}

/*
 * Dry run: the line of input i of association a.  With probe, what the
 * peer answered applies as it would to the real send: a rejected
 * association gives "notsent", a file no accepted context fits
 * "nocontext", with the real send's reasons.
 */
/* Dry run: appends to d what the send's line will note of input i: a
 * UID only its meta names, a meta header that contradicts its data set;
 * that sending pads its odd-length values when its data set, sent in
 * ts, has an odd length (as must_pad in send_window.c decides), or a
 * deflated stream of odd length with its pad byte (as send_window.c
 * does); and that padding or converting (convert) drops the group
 * lengths planning saw at its top level (send_convert.c says so when it
 * happens). */
static void
dry_run_notes(
    const struct send_run *run, size_t i, const char *ts, int convert, char *d)
{
	uint64_t len = run->src.s[i].ds_len;
	int pad = (len & 1) && !ts_is_deflated(ts);
	struct part10_info info;
	char gap[2 * PART10_UID_MAX + 160];

	if (run->src.s[i].flags & PART10_F_META_REPEATED)
		report_add_detail(d, "%s", PART10_META_REPEATED_NOTE);
	/* a UID only the meta names, as the send's line says it */
	memset(&info, 0, sizeof(info));
	info.flags = run->src.s[i].flags;
	snprintf(info.sop_class, sizeof(info.sop_class), "%s",
	    sources_class(&run->src, i));
	snprintf(info.sop_instance, sizeof(info.sop_instance), "%s",
	    run->src.s[i].instance != NULL ? run->src.s[i].instance : "");
	if (part10_uid_gap(&info, gap, sizeof(gap)) > 0)
		report_add_detail(d, "%s", gap);
	if (run->src.s[i].meta_ts != SOURCE_NONE)
		snprintf(info.meta_ts_uid, sizeof(info.meta_ts_uid), "%s",
		    run->src.in.str[run->src.s[i].meta_ts]);
	if (run->src.s[i].meta_cls != SOURCE_NONE)
		snprintf(info.meta_sop_class, sizeof(info.meta_sop_class), "%s",
		    run->src.in.str[run->src.s[i].meta_cls]);
	report_meta_notes(d, &info, "to be sent");
	if ((len & 1) && ts_is_deflated(ts) && !convert)
		report_add_detail(d,
		    "deflated data set of odd length to be sent with its pad "
		    "byte");
	if (pad)
		report_add_detail(d,
		    "odd data set length %llu: to be padded, odd-length "
		    "values to even length (PS3.5 7.1.1)",
		    (unsigned long long)len);
	if ((pad || convert) &&
	    (run->src.s[i].flags & PART10_F_DS_GROUP_LENGTH))
		report_add_detail(d, SEND_GROUP_LENGTHS_TO_REMOVE);
}

static void
dry_run_file(struct send_run *run, const struct propose_set *set,
    const struct storescu_plan_assoc *a, int rc,
    const struct ul_assoc_params *ac, size_t i)
{
	char d[DETAIL_MAX] = "";
	struct propose_choice ch;
	struct cs_err e;
	const char *cls, *ts;
	int m, accepted = 0;

	if (!run->o->probe) {
		snprintf(d, sizeof(d), "association %u", a->assoc);
		dry_run_notes(run, i, sources_ts(&run->src, i), 0, d);
		report_simple(&run->rep, i, STORESCU_PLANNED, a->assoc, d, 1);
		return;
	}
	if (rc != 0) {
		snprintf(d, sizeof(d), "association %u failed: %s", a->assoc,
		    a->probe_error);
		report_simple(&run->rep, i, STORESCU_NOTSENT, a->assoc, d, 1);
		return;
	}
	for (m = 0; ac != NULL && m < ac->n_pc; m++)
		accepted += ac->pc[m].result == UL_PC_ACCEPTANCE;
	cs_err_clear(&e);
	if (accepted == 0)
		cs_err_set(&e, CS_E_REJECTED,
		    "the peer accepted none of the %u presentation contexts proposed",
		    set->n_pc);
	report_accepted(&run->rep, accepted, &e);
	if (accepted == 0) {
		report_simple(
		    &run->rep, i, STORESCU_NOCONTEXT, a->assoc, e.msg, 1);
		return;
	}
	cls = sources_class(&run->src, i);
	ts = sources_ts(&run->src, i);
	if (propose_pick(set->pc, set->n_pc, ac->pc, (size_t)ac->n_pc, cls, ts,
		&run->popts, &ch) != 0) {
		report_nocontext(&run->popts, ac, set, cls, ts, d);
		report_simple(&run->rep, i, STORESCU_NOCONTEXT, a->assoc, d, 1);
		return;
	}
	if (ch.transcode)
		snprintf(d, sizeof(d), "association %u; to be transcoded to %s",
		    a->assoc, report_uid_text(ch.ts));
	else
		snprintf(d, sizeof(d), "association %u", a->assoc);
	dry_run_notes(run, i, ch.ts, ch.transcode, d);
	report_simple(&run->rep, i, STORESCU_PLANNED, a->assoc, d, 1);
}

/* Dry run: the contexts of set as on_plan shows them, with what ac (the
 * probed peer's answer, or NULL) said of each. */
static void
plan_contexts(struct storescu_plan_pc *pcs, const struct propose_set *set,
    const struct ul_assoc_params *ac)
{
	uint8_t m;
	unsigned t;
	int q;

	for (m = 0; m < set->n_pc; m++) {
		const struct ul_pc *pc = &set->pc[m];

		memset(&pcs[m], 0, sizeof(pcs[m]));
		pcs[m].pcid = pc->id;
		pcs[m].abstract_syntax = pc->abstract_syntax;
		for (t = 0; t < pc->n_ts && t < STORESCU_MAX_TS; t++)
			pcs[m].ts[t] = pc->ts[t];
		pcs[m].n_ts = t;
		pcs[m].accepted_ts = "";
		for (q = 0; ac != NULL && q < ac->n_pc; q++) {
			if (ac->pc[q].id != pc->id)
				continue;
			pcs[m].probed = 1;
			pcs[m].result = ac->pc[q].result;
			if (ac->pc[q].result == UL_PC_ACCEPTANCE)
				pcs[m].accepted_ts = ac->pc[q].ts[0];
		}
		if (ac != NULL && !pcs[m].probed) {
			/* PS3.8 9.3.3.2: every context is answered; treat a
			 * missing answer as "no reason" */
			pcs[m].probed = 1;
			pcs[m].result = UL_PC_NO_REASON;
		}
	}
}

/* Dry run of association k: negotiates its set with probe, reports it
 * (on_plan) and its files. */
static void
dry_run_assoc(struct send_run *run, size_t k, struct storescu_plan_pc *pcs)
{
	const struct propose_plan *p = run->plan;
	const struct propose_assoc *pa = &p->assoc[k];
	const struct propose_set *set = &p->set[pa->set];
	const struct ul_assoc_params *ac = NULL;
	struct storescu_plan_assoc a;
	struct scu_session s;
	struct cs_err e;
	size_t j;
	int rc = 0;

	memset(&a, 0, sizeof(a));
	a.assoc = (unsigned)k + 1;
	a.lane = pa->lane;
	a.files = pa->count;
	for (j = 0; j < pa->count; j++)
		a.bytes += run->src.s[p->order[pa->first + j]].bytes;
	a.n_pc = set->n_pc;
	a.pc = pcs;
	a.probe_error = "";
	memset(&s, 0, sizeof(s));
	s.r.fd = -1;
	cs_err_clear(&e);
	if (run->o->probe) {
		rc = scu_open_shared(&s, run->cfg, &run->tls, run->window,
		    set->pc, set->n_pc, &e);
		if (rc == 0)
			ac = scu_ac(&s);
		else
			report_failure(&run->rep, rc, &e);
		a.probe_rc = rc;
		a.probe_error = rc ? e.msg : "";
	}
	plan_contexts(pcs, set, ac);
	report_plan(&run->rep, &a);
	for (j = 0; j < pa->count; j++)
		dry_run_file(run, set, &a, rc, ac, p->order[pa->first + j]);
	if (!run->o->probe)
		return;
	if (rc == 0) {
		report_association(&run->rep);
		scu_close(&s, NULL);
	} else {
		scu_abort(&s);
	}
}

/* Dry run: reports each association.  Returns 0 or CS_E_NOMEM. */
static int
dry_run(struct send_run *run, struct cs_err *err)
{
	struct storescu_plan_pc *pcs;
	size_t k;

	pcs = cs_calloc(UL_MAX_PC, sizeof(*pcs));
	if (pcs == NULL)
		return cs_err_set(err, CS_E_NOMEM, "out of memory");
	for (k = 0; k < run->plan->n_assoc; k++)
		dry_run_assoc(run, k, pcs);
	cs_free(pcs);
	return 0;
}

void
storescu_result_resumed(struct storescu_result *r, int how, int commit)
{
	r->outcome = STORESCU_RESUMED;
	r->commit = commit ? STORESCU_COMMITTED : STORESCU_COMMIT_NONE;
	if (how == STORESCU_SENT_EARLIER)
		r->detail = STORESCU_SENT_EARLIER_DETAIL;
	else if (commit)
		r->detail = "stored and committed according to the resume log";
	else
		r->detail = "stored according to the resume log";
}

/* Input i is skipped: the caller's log has it stored (and, with
 * --commit, committed: the caller asked for that). */
static void
resumed(struct send_run *run, size_t i, int how)
{
	struct storescu_result r;

	report_result_init(&r, &run->rep, i, STORESCU_RESUMED);
	storescu_result_resumed(&r, how, run->o->commit);
	report_emit(&run->rep, &r, 0);
}

int
storescu_is_dicomdir(const char *cls)
{
	/* Media Storage Directory Storage (PS3.6); asked of every input,
	 * so not looked up by its keyword in the UID table each time */
	return cls != NULL && strcmp(cls, "1.2.840.10008.1.3.10") == 0;
}

int
send_probe_inputs(
    struct send_run *run, struct propose_input *pin, struct cs_err *err)
{
	const struct storescu_send_opts *o = run->o;

	struct cs_err e;
	size_t i;
	int rc, how;

	for (i = 0; i < run->src.n; i++) {
		how = o->already_stored != NULL
		    ? o->already_stored(o->user, run->src.paths[i])
		    : 0;
		if (how != 0) {
			resumed(run, i, how);
			continue;
		}
		cs_err_clear(&e);
		rc = sources_probe(&run->src, i, &e);
		if (rc == CS_E_NOMEM)
			return cs_err_set(err, rc, "out of memory");
		if (rc != 0) {
			report_simple(&run->rep, i, report_probe_outcome(rc), 0,
			    e.msg, 0);
			continue;
		}
		if (storescu_is_dicomdir(sources_class(&run->src, i))) {
			/* PS3.10 7.2: the index of a file-set, not a composite
			 * object; no Storage SCP takes its class (DCMTK's
			 * dcmsend refuses it too) */
			report_simple(&run->rep, i, STORESCU_DICOMDIR, 0,
			    STORESCU_DICOMDIR_DETAIL, 0);
			sources_drop(&run->src, i);
			continue;
		}
		pin[i].sop_class = sources_class(&run->src, i);
		pin[i].ts = sources_ts(&run->src, i);
		pin[i].bytes = run->src.s[i].bytes;
		report_planned(&run->rep, i);
	}
	return 0;
}

static int
can_transcode(const char *from, const char *to, int allow_lossy)
{
	return dcmfile_can_transcode(from, to, allow_lossy);
}

int
send_run_init(struct send_run *run, const struct storescu_config *cfg,
    const struct storescu_send_opts *opts, struct cs_err *err)
{
	if (opts->async_window > STORESCU_MAX_WINDOW)
		return cs_err_set(err, CS_E_INVAL,
		    "window '%u': out of range (1-%d)", opts->async_window,
		    STORESCU_MAX_WINDOW);
	if (!opts->dry_run && scu_check_peer(cfg, err) != 0)
		return CS_E_INVAL;
	if (opts->jobs > PROPOSE_MAX_JOBS)
		return cs_err_set(err, CS_E_INVAL,
		    "jobs '%u': out of range (1-%d)", opts->jobs,
		    PROPOSE_MAX_JOBS);
	run->cfg = cfg;
	run->o = opts;
	run->window = opts->async_window == 0 ? STORESCU_DEFAULT_WINDOW
					      : opts->async_window;
	/* GDCM's messages only for -v notes: without them its codecs run
	 * on every lane at once (dcmfile_codec_verbose) */
	dcmfile_codec_verbose(opts->on_note != NULL);
	run->popts.can_transcode = can_transcode;
	run->popts.allow_lossy = opts->allow_lossy;
	run->popts.no_transcode = opts->no_transcode;
	run->popts.jobs = opts->jobs ? opts->jobs : 1;
	run->popts.per_assoc = opts->per_assoc;
	run->popts.reserve_pc =
	    opts->commit ? 1 : 0; /* the commitment context */
	return 0;
}

/* Probes the inputs (skipping the resumed ones) and plans them. */
static int
plan(struct send_run *run, struct cs_err *err)
{
	struct propose_input *pin;
	size_t n = run->src.n;
	int rc;

	pin = cs_calloc(n ? n : 1, sizeof(*pin));
	if (pin == NULL)
		return cs_err_set(err, CS_E_NOMEM, "out of memory");
	rc = send_probe_inputs(run, pin, err);
	if (rc == 0) {
		run->plan = propose_plan_new(pin, n, &run->popts, err);
		if (run->plan == NULL)
			rc = err && err->code ? err->code : CS_E_NOMEM;
	}
	cs_free(pin);
	return rc;
}

int
storescu_send(const struct storescu_config *cfg,
    const struct storescu_send_opts *opts, const char *const *paths, size_t n,
    struct storescu_summary *sum, struct cs_err *err)
{
	struct send_run run;
	struct net_rate bucket;
	int rc;

	memset(sum, 0, sizeof(*sum));
	memset(&run, 0, sizeof(run));
	rc = send_run_init(&run, cfg, opts, err);
	if (rc != 0)
		return rc;
	tls_share_init(&run.tls);
	if (opts->limit_rate > 0) {
		net_rate_init(&bucket, opts->limit_rate);
		run.rate = &bucket;
	}
	rc = sources_init(&run.src, paths, n, err);
	report_init(&run.rep, opts, &run.src, sum);
	if (rc == 0)
		rc = plan(&run, err);
	if (rc == 0 && opts->dry_run)
		rc = dry_run(&run, err);
	else if (rc == 0)
		rc = run_committing(&run, err);
	if (rc == 0)
		rc = report_result(&run.rep, err);
	report_release(&run.rep);
	propose_plan_free(run.plan);
	sources_release(&run.src);
	tls_share_release(&run.tls);
	if (run.rate != NULL)
		net_rate_release(run.rate);
	return rc;
}
