/*
 * send.c - storescu_send: probe the inputs, plan presentation contexts
 * and associations (propose.h), then send every file over its
 * association, in parallel lanes for -j, with retries for transient
 * failures.  Every input gets exactly one result (on_result).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cstore/cstore.h"
#include "cstore/storescu.h"
#include "core/alloc.h"
#include "core/sopclass.h"
#include "core/status.h"
#include "core/uid.h"
#include "dcmfile/dcmfile.h"
#include "dcmfile/part10.h"
#include "net/net.h"
#include "dcmfile/infile.h"
#include "storescu/propose.h"
#include "storescu/session.h"
#include "storescu/send.h"
#include "core/strmap.h"
#include "core/banned.h"

static uint32_t
intern(struct intern *in, const char *s)
{
	size_t v = in->n;
	char *copy;
	int rc;

	rc = strmap_put(&in->map, s, strlen(s), &v);
	if (rc == 0)
		return (uint32_t)v;
	if (rc < 0)
		return NONE;
	if (in->n == in->cap) {
		size_t cap = in->cap ? in->cap * 2 : 64;
		char **p = cs_realloc(in->str, cap * sizeof(*p));

		if (p == NULL)
			return NONE;
		in->str = p;
		in->cap = cap;
	}
	copy = cs_malloc(strlen(s) + 1);
	if (copy == NULL)
		return NONE;
	memcpy(copy, s, strlen(s) + 1);
	in->str[in->n] = copy;
	return (uint32_t)in->n++;
}

static void
intern_release(struct intern *in)
{
	size_t i;

	for (i = 0; i < in->n; i++)
		cs_free(in->str[i]);
	cs_free(in->str);
	strmap_release(&in->map);
}

/* A UID's keyword when we know it, else the UID. */
const char *
send_uid_text(const char *uid)
{
	const struct uid_entry *e = uid_by_uid(uid);
	const struct sopclass *c;

	if (e != NULL && e->keyword != NULL && e->keyword[0])
		return e->keyword;
	c = sopclass_by_uid(uid);
	return c != NULL && c->keyword != NULL && c->keyword[0] ? c->keyword : uid;
}

void
send_note(struct send *sd, const char *fmt, ...)
{
	char line[600];
	va_list ap;

	if (sd->o->on_note == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	pthread_mutex_lock(&sd->mu);
	sd->o->on_note(sd->o->user, line);
	pthread_mutex_unlock(&sd->mu);
}

/* Reports one input: counts it, calls on_result and on_progress. */
void
send_emit(struct send *sd, struct storescu_result *r, int planned)
{
	struct storescu_summary *s = sd->sum;

	pthread_mutex_lock(&sd->mu);
	switch (r->outcome) {
	case STORESCU_STORED:
		s->stored++;
		s->bytes += r->bytes;
		break;
	case STORESCU_WARNING:
		s->warning++;
		s->bytes += r->bytes;
		break;
	case STORESCU_FAILED:
	case STORESCU_NOCONTEXT:
	case STORESCU_TRANSCODE:
	case STORESCU_ABORTED:
	case STORESCU_NOTSENT:
		s->failed++;
		break;
	case STORESCU_RESUMED:
		s->resumed++;
		s->skipped++;
		break;
	case STORESCU_UNREADABLE:
	case STORESCU_NOTDICOM:
	case STORESCU_TRUNCATED:
		s->skipped++;
		break;
	case STORESCU_PLANNED:
		break;
	}
	if (r->transcoded && storescu_outcome_stored(r->outcome))
		s->transcoded++;
	if (sd->o->on_result != NULL)
		sd->o->on_result(sd->o->user, r);
	if (planned) {
		sd->prog.files_done++;
		sd->prog.bytes_done += sd->fe[r->index].bytes;
		sd->prog.elapsed_us = net_now_us() - sd->t0;
		if (sd->o->on_progress != NULL)
			sd->o->on_progress(sd->o->user, &sd->prog);
	}
	pthread_mutex_unlock(&sd->mu);
}

void
send_result_init(struct storescu_result *r, const struct send *sd, size_t i,
    enum storescu_outcome o)
{
	memset(r, 0, sizeof(*r));
	r->path = sd->paths[i];
	r->index = i;
	r->outcome = o;
	r->sop_class = r->sop_instance = r->ts_original = r->ts_sent = "";
	r->error_comment = r->detail = "";
	if (sd->fe != NULL && sd->fe[i].cls != NONE) {
		r->sop_class = sd->in.str[sd->fe[i].cls];
		r->ts_original = sd->in.str[sd->fe[i].ts];
	}
}

/* Reports input i with a local outcome and a reason. */
void
send_emit_simple(struct send *sd, size_t i, enum storescu_outcome o,
    unsigned assoc, const char *detail, int planned)
{
	struct storescu_result r;

	send_result_init(&r, sd, i, o);
	r.assoc = assoc;
	r.detail = detail ? detail : "";
	send_emit(sd, &r, planned);
}

/* How bad an association failure is, for the overall result. */
static int
rank(int rc)
{
	switch (rc) {
	case 0:
		return 0;
	case CS_E_UNREACHABLE:
	case CS_E_NONAME:
	case CS_E_TIMEOUT:
		return 1;
	case CS_E_REJECTED:
		return 2;
	default:
		return 3;
	}
}

/* An association that ended after it was established ended mid-way,
 * whatever the transport said (a DIMSE timeout, a vanished peer). */
int
send_mid_way(int rc)
{
	return rc == CS_E_PROTO ? rc : CS_E_ABORTED;
}

void
send_record_failure(struct send *sd, int rc, const struct cs_err *e)
{
	pthread_mutex_lock(&sd->mu);
	if (rank(rc) > rank(sd->worst_rc)) {
		sd->worst_rc = rc;
		sd->worst = *e;
		if (sd->worst.code == 0) {
			sd->worst.code = rc;
			snprintf(sd->worst.msg, sizeof(sd->worst.msg), "%s",
			    cs_strerror(rc));
		}
	}
	pthread_mutex_unlock(&sd->mu);
}

enum storescu_outcome
send_probe_outcome(int rc)
{
	switch (rc) {
	case CS_E_NOTDICOM:
		return STORESCU_NOTDICOM;
	case CS_E_TRUNCATED:
		return STORESCU_TRUNCATED;
	default:
		return STORESCU_UNREADABLE;
	}
}

struct lane {
	struct send *sd;
	unsigned lane;
	pthread_t tid;
};

static void *
run_lane(void *arg)
{
	struct lane *l = arg;
	size_t k;

	for (k = 0; k < l->sd->plan->n_assoc; k++)
		if (l->sd->plan->assoc[k].lane == l->lane)
			send_run_assoc(l->sd, k);
	return NULL;
}

/*
 * Dry run: the line of input i of association a.  With probe, what the
 * peer answered applies as it would to the real send: a rejected
 * association gives "notsent", a file no accepted context fits
 * "nocontext", with the real send's reasons.
 */
static void
dry_run_file(struct send *sd, const struct propose_set *set,
    const struct storescu_plan_assoc *a, int rc,
    const struct ul_assoc_params *ac, size_t i)
{
	char d[DETAIL_MAX] = "";
	struct propose_choice ch;
	struct cs_err e;
	const char *cls, *ts;
	int m, accepted = 0;

	if (!sd->o->probe) {
		snprintf(d, sizeof(d), "association %u", a->assoc);
		send_emit_simple(sd, i, STORESCU_PLANNED, a->assoc, d, 1);
		return;
	}
	if (rc != 0) {
		snprintf(d, sizeof(d), "association %u failed: %s", a->assoc,
		    a->probe_error);
		send_emit_simple(sd, i, STORESCU_NOTSENT, a->assoc, d, 1);
		return;
	}
	for (m = 0; ac != NULL && m < ac->n_pc; m++)
		accepted += ac->pc[m].result == UL_PC_ACCEPTANCE;
	if (accepted == 0) {
		cs_err_clear(&e);
		cs_err_set(&e, CS_E_REJECTED,
		    "the peer accepted none of the %u presentation contexts proposed",
		    set->n_pc);
		send_record_failure(sd, CS_E_REJECTED, &e);
		send_emit_simple(sd, i, STORESCU_NOCONTEXT, a->assoc, e.msg, 1);
		return;
	}
	cls = sd->in.str[sd->fe[i].cls];
	ts = sd->in.str[sd->fe[i].ts];
	if (propose_pick(set->pc, set->n_pc, ac->pc, (size_t)ac->n_pc, cls, ts,
	    &sd->popts, &ch) != 0) {
		send_nocontext_reason(sd, ac, set, cls, ts, d);
		send_emit_simple(sd, i, STORESCU_NOCONTEXT, a->assoc, d, 1);
		return;
	}
	if (ch.transcode)
		snprintf(d, sizeof(d), "association %u; to be transcoded to %s",
		    a->assoc, send_uid_text(ch.ts));
	else
		snprintf(d, sizeof(d), "association %u", a->assoc);
	send_emit_simple(sd, i, STORESCU_PLANNED, a->assoc, d, 1);
}

/* Dry run: reports each association (negotiating its set with probe).
 * Returns 0 or CS_E_NOMEM. */
static int
dry_run(struct send *sd, struct cs_err *err)
{
	struct storescu_plan_pc *pcs;
	struct storescu_plan_assoc a;
	const struct propose_plan *p = sd->plan;
	struct scu_session s;
	struct cs_err e;
	size_t k, j;
	uint8_t m;
	int rc;

	pcs = cs_calloc(UL_MAX_PC, sizeof(*pcs));
	if (pcs == NULL)
		return cs_err_set(err, CS_E_NOMEM, "out of memory");
	for (k = 0; k < p->n_assoc; k++) {
		const struct propose_assoc *pa = &p->assoc[k];
		const struct propose_set *set = &p->set[pa->set];
		const struct ul_assoc_params *ac = NULL;

		memset(&a, 0, sizeof(a));
		a.assoc = (unsigned)k + 1;
		a.lane = pa->lane;
		a.files = pa->count;
		for (j = 0; j < pa->count; j++)
			a.bytes += sd->fe[p->order[pa->first + j]].bytes;
		a.n_pc = set->n_pc;
		a.pc = pcs;
		a.probe_error = "";
		memset(&s, 0, sizeof(s));
		s.fd = -1;
		rc = 0;
		cs_err_clear(&e);
		if (sd->o->probe) {
			rc = scu_open(&s, sd->cfg, sd->window, set->pc, set->n_pc, &e);
			if (rc == 0)
				ac = scu_ac(&s);
			else
				send_record_failure(sd, rc, &e);
			a.probe_rc = rc;
			a.probe_error = rc ? e.msg : "";
		}
		for (m = 0; m < set->n_pc; m++) {
			const struct ul_pc *pc = &set->pc[m];
			unsigned t;
			int q;

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
		if (sd->o->on_plan != NULL) {
			pthread_mutex_lock(&sd->mu);
			sd->o->on_plan(sd->o->user, &a);
			pthread_mutex_unlock(&sd->mu);
		}
		for (j = 0; j < pa->count; j++)
			dry_run_file(sd, set, &a, rc, ac, p->order[pa->first + j]);
		if (sd->o->probe) {
			if (rc == 0) {
				sd->sum->associations++;
				scu_close(&s, NULL);
			} else {
				scu_abort(&s);
			}
		}
	}
	cs_free(pcs);
	return 0;
}

/* Opens an input without blocking (never a FIFO) and probes it. */
static int
probe_path(const char *path, struct part10_info *info, struct cs_err *e)
{
	int fd = infile_open(path, e), rc;

	if (fd < 0)
		return fd;
	rc = part10_probe_fd(fd, PART10_O_VERIFY, info, e);
	close(fd);
	return rc;
}

/* Probes every input; reports the ones that cannot be planned. */
static int
probe_inputs(struct send *sd, struct propose_input *pin, struct cs_err *err)
{
	struct part10_info info;
	struct cs_err e;
	size_t i;
	int rc;

	for (i = 0; i < sd->n; i++) {
		sd->fe[i].cls = sd->fe[i].ts = NONE;
		if (sd->o->already_stored != NULL &&
		    sd->o->already_stored(sd->o->user, sd->paths[i])) {
			send_emit_simple(sd, i, STORESCU_RESUMED, 0,
			    "stored according to the resume log", 0);
			continue;
		}
		cs_err_clear(&e);
		rc = probe_path(sd->paths[i], &info, &e);
		if (rc == CS_E_NOMEM)
			return cs_err_set(err, rc, "out of memory");
		if (rc != 0) {
			send_emit_simple(sd, i, send_probe_outcome(rc), 0, e.msg, 0);
			continue;
		}
		if (!propose_uid_valid(info.sop_class) ||
		    !propose_uid_valid(info.sop_instance) ||
		    !propose_uid_valid(info.ts_uid)) {
			send_emit_simple(sd, i, STORESCU_NOTDICOM, 0,
			    "invalid SOP Class, SOP Instance or Transfer Syntax UID", 0);
			continue;
		}
		sd->fe[i].cls = intern(&sd->in, info.sop_class);
		sd->fe[i].ts = intern(&sd->in, info.ts_uid);
		if (sd->fe[i].cls == NONE || sd->fe[i].ts == NONE)
			return cs_err_set(err, CS_E_NOMEM, "out of memory");
		sd->fe[i].bytes = info.file_size;
		pin[i].sop_class = sd->in.str[sd->fe[i].cls];
		pin[i].ts = sd->in.str[sd->fe[i].ts];
		pin[i].bytes = info.file_size;
		sd->prog.files_total++;
		sd->prog.bytes_total += info.file_size;
	}
	return 0;
}

static int
can_transcode(const char *from, const char *to, int allow_lossy)
{
	return dcmfile_can_transcode(from, to, allow_lossy);
}

int
storescu_send(const struct storescu_config *cfg,
    const struct storescu_send_opts *opts, const char *const *paths,
    size_t n, struct storescu_summary *sum, struct cs_err *err)
{
	struct send sd;
	struct propose_input *pin = NULL;
	struct lane *lanes = NULL;
	unsigned L;
	int rc;

	memset(sum, 0, sizeof(*sum));
	memset(&sd, 0, sizeof(sd));
	if (opts->async_window > STORESCU_MAX_WINDOW)
		return cs_err_set(err, CS_E_INVAL,
		    "window '%u': out of range (1-%d)", opts->async_window,
		    STORESCU_MAX_WINDOW);
	if (opts->jobs > PROPOSE_MAX_JOBS)
		return cs_err_set(err, CS_E_INVAL, "jobs '%u': out of range (1-%d)",
		    opts->jobs, PROPOSE_MAX_JOBS);
	sd.cfg = cfg;
	sd.o = opts;
	sd.paths = paths;
	sd.n = n;
	sd.sum = sum;
	sd.t0 = net_now_us();
	sum->inputs = n;
	sd.window = opts->async_window == 0 ? STORESCU_DEFAULT_WINDOW :
	    opts->async_window;
	sd.popts.can_transcode = can_transcode;
	sd.popts.allow_lossy = opts->allow_lossy;
	sd.popts.no_transcode = opts->no_transcode;
	sd.popts.jobs = opts->jobs ? opts->jobs : 1;
	sd.popts.per_assoc = opts->per_assoc;
	strmap_init(&sd.in.map);
	pthread_mutex_init(&sd.mu, NULL);
	sd.fe = cs_calloc(n ? n : 1, sizeof(*sd.fe));
	pin = cs_calloc(n ? n : 1, sizeof(*pin));
	if (sd.fe == NULL || pin == NULL) {
		rc = cs_err_set(err, CS_E_NOMEM, "out of memory");
		goto out;
	}
	rc = probe_inputs(&sd, pin, err);
	if (rc != 0)
		goto out;
	sd.plan = propose_plan_new(pin, n, &sd.popts, err);
	if (sd.plan == NULL) {
		rc = err && err->code ? err->code : CS_E_NOMEM;
		goto out;
	}
	cs_free(pin);
	pin = NULL;
	if (opts->dry_run) {
		rc = dry_run(&sd, err);
		if (rc != 0)
			goto out;
	} else if (sd.plan->jobs <= 1) {
		struct lane l = { .sd = &sd, .lane = 0 };

		run_lane(&l);
	} else {
		lanes = cs_calloc(sd.plan->jobs, sizeof(*lanes));
		if (lanes == NULL) {
			rc = cs_err_set(err, CS_E_NOMEM, "out of memory");
			goto out;
		}
		for (L = 0; L < sd.plan->jobs; L++) {
			lanes[L].sd = &sd;
			lanes[L].lane = L;
			if (pthread_create(&lanes[L].tid, NULL, run_lane, &lanes[L]) != 0) {
				/* no thread: run this lane here, in turn */
				lanes[L].tid = pthread_self();
				run_lane(&lanes[L]);
			}
		}
		for (L = 0; L < sd.plan->jobs; L++)
			if (!pthread_equal(lanes[L].tid, pthread_self()))
				pthread_join(lanes[L].tid, NULL);
	}
	rc = sd.worst_rc;
	if (rc != 0 && err != NULL && err->code == 0)
		*err = sd.worst;
out:
	sum->elapsed_us = net_now_us() - sd.t0;
	cs_free(lanes);
	cs_free(pin);
	propose_plan_free(sd.plan);
	cs_free(sd.fe);
	intern_release(&sd.in);
	pthread_mutex_destroy(&sd.mu);
	return rc;
}
