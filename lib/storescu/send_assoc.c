/*
 * send_assoc.c - one planned association's share of storescu_send: open
 * it, with retries, until every one of its files has its result
 * (send_window.c sends them over each association opened).
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/alloc.h"
#include "net/net.h"
#include "storescu/send.h"
#include "storescu/send_batch.h"
#include "core/banned.h"

void
send_backoff(const struct send_run *run, unsigned attempt)
{
	uint64_t ms = run->o->retry_delay_ms;
	unsigned k;

	for (k = 1; k < attempt && ms < 60000; k++)
		ms *= 2;
	net_sleep_ms(ms > 60000 ? 60000 : ms);
}

/* Is a failure to open an association worth another attempt?  Decided
 * by code: a name that does not resolve (CS_E_NONAME) will not, nor a
 * web server on the port (it stays one). */
int
send_transient_open(int rc, const struct scu_session *s)
{
	if (s->r.pump.http)
		return 0;
	switch (rc) {
	case CS_E_UNREACHABLE: /* refused, unreachable, resolver failing now */
	case CS_E_TIMEOUT:
	case CS_E_ABORTED:
	case CS_E_CLOSED:
	case CS_E_NET:
	case CS_E_RESOURCE: /* our descriptors: others may close theirs */
		return 1;
	case CS_E_REJECTED:
		return s->r.rj.result ==
		    2; /* PS3.8 9.3.4: rejected-transient */
	default:
		return 0;
	}
}

/* The result of file j that will not be sent again, saying what became
 * of its earlier attempts. */
static void
give_up_one(struct batch *b, size_t j, const char *why)
{
	struct storescu_result r;
	char detail[DETAIL_MAX] = "";
	unsigned n = b->sends[j];

	report_result_init(&r, &b->run->rep, b->idx[j], STORESCU_NOTSENT);
	r.assoc = b->assoc;
	r.attempts = n;
	r.detail = detail;
	switch (b->state[j]) {
	case OBJ_LOST:
		r.outcome = STORESCU_ABORTED;
		report_add_detail(detail, "no response after %u attempt%s: %s",
		    n, n == 1 ? "" : "s", b->death.msg);
		report_add_detail(detail, "not sent again: %s", why);
		b->lost++;
		break;
	case OBJ_BUSY:
		r.outcome = STORESCU_FAILED;
		r.has_status = 1;
		r.status = b->status[j];
		report_add_detail(
		    detail, "answered %04X on attempt %u", b->status[j], n);
		report_add_detail(detail, "not sent again: %s", why);
		break;
	default:
		report_add_detail(detail, "%s", why);
		b->lost++;
		break;
	}
	report_emit(&b->run->rep, &r, 1);
	b->done[j] = 1;
	b->left--;
}

void
batch_give_up(struct batch *b, const char *why)
{
	size_t j;

	for (j = 0; j < b->n; j++)
		if (!b->done[j])
			give_up_one(b, j, why);
}

/* Requests sent so far, all files together: an association that sent
 * none and reported none got nothing further. */
static uint64_t
sends_total(const struct batch *b)
{
	uint64_t t = 0;
	size_t j;

	for (j = 0; j < b->n; j++)
		t += b->sends[j];
	return t;
}

/* The batch's contexts and the commitment one after them (--commit);
 * the plan left room for it.  0 or CS_E_NOMEM. */
static int
commit_contexts(struct batch *b)
{
	struct ul_pc *pc;
	uint8_t id = 1;
	unsigned m;

	b->n_pc = b->set->n_pc;
	if (b->n_pc >= UL_MAX_PC)
		return 0;
	b->pcs = cs_calloc((size_t)b->n_pc + 1, sizeof(*b->pcs));
	if (b->pcs == NULL)
		return CS_E_NOMEM;
	memcpy(b->pcs, b->set->pc, b->n_pc * sizeof(*b->pcs));
	for (m = 0; m < b->n_pc; m++)
		if (b->pcs[m].id >= id)
			id = (uint8_t)(b->pcs[m].id + 2);
	pc = &b->pcs[b->n_pc++];
	pc->id = id;
	snprintf(pc->abstract_syntax, sizeof(pc->abstract_syntax), "%s",
	    COMMIT_SOP_CLASS);
	commit_ts_propose(pc);
	return 0;
}

/* The id of the accepted commitment context of s, or 0. */
static uint8_t
commit_pcid(const struct scu_session *s)
{
	const struct ul_assoc_params *ac = scu_ac(s);
	int m;

	for (m = 0; ac != NULL && m < ac->n_pc; m++)
		if (ac->pc[m].result == UL_PC_ACCEPTANCE &&
		    strcmp(ac->pc[m].abstract_syntax, COMMIT_SOP_CLASS) == 0)
			return ac->pc[m].id;
	return 0;
}

/* --commit: asks for the commitment of what b stored so far over s,
 * which is alive (what a dead association stored waits for the next
 * attempt's, or for batch_commit_give_up); reports coming on s go to x
 * until s is closed. */
static void
commit_attempt(struct batch *b, struct scu_session *s, struct commit_rx *x)
{
	struct send_run *run = b->run;
	const struct storescu_send_opts *o = run->o;

	if (!o->commit || b->held.n == 0)
		return;
	commit_rx_init(
	    x, s->r.a, NULL, 0, o->commit_listen_fd >= 0 ? &run->commit : NULL);
	x->rp = &run->rep;
	x->trace = s->cfg.trace;
	x->trace_user = s->cfg.trace_user;
	s->req_cb = &commit_rx_cb;
	s->req_user = x;
	batch_commit(b, s, x);
}

void
batch_commit(struct batch *b, struct scu_session *s, struct commit_rx *x)
{
	struct send_run *run = b->run;
	const struct storescu_send_opts *o = run->o;

	if (!o->commit || b->held.n == 0)
		return;
	if (o->commit_delay_ms > 0)
		net_sleep_ms(o->commit_delay_ms);
	commit_request(&b->held, s, commit_pcid(s), &run->rep,
	    o->commit_listen_fd >= 0 ? &run->commit : NULL,
	    o->commit_timeout_ms > 0 ? o->commit_timeout_ms
				     : STORESCU_DEFAULT_COMMIT_TIMEOUT_MS,
	    x);
	/* asked (commit_request empties held): why it waited is over */
	b->held_why[0] = '\0';
}

void
send_carry_give_up(struct send_run *run, struct send_carry *carry)
{
	char why[CS_ERR_MSG_MAX + 160];

	if (carry->held.n > 0) {
		snprintf(why, sizeof(why),
		    "no commitment request: the association ended: %s",
		    carry->why);
		commit_tx_finish(
		    &carry->held, &run->rep, STORESCU_UNCOMMITTED, why);
	}
	cs_free(carry->held.h);
	memset(&carry->held, 0, sizeof(carry->held));
}

/* The end of b's association(s): what was stored and never asked for
 * (an association died, or the next one, that was to ask for what an
 * earlier one stored, never opened) goes to carry, for the lane's next
 * association. */
static void
carry_over(struct batch *b, struct send_carry *carry)
{
	if (b->held.n == 0)
		return;
	snprintf(carry->why, sizeof(carry->why), "%s",
	    b->held_why[0] ? b->held_why : "no association left");
	cs_free(carry->held.h);
	carry->held = b->held;
	memset(&b->held, 0, sizeof(b->held));
}

void
batch_commit_give_up(struct batch *b)
{
	char why[CS_ERR_MSG_MAX + 160];

	if (b->held.n == 0)
		return;
	snprintf(why, sizeof(why),
	    "no commitment request: the association ended: %s",
	    b->held_why[0]         ? b->held_why
		: b->death_rc != 0 ? b->death.msg
				   : "no association left");
	commit_tx_finish(&b->held, &b->run->rep, STORESCU_UNCOMMITTED, why);
}

int
batch_init_files(struct batch *b, struct send_run *run,
    const struct propose_set *set, const size_t *idx, size_t count,
    unsigned assoc)
{
	size_t n = count ? count : 1;

	memset(b, 0, sizeof(*b));
	b->run = run;
	b->set = set;
	b->idx = idx;
	b->n = b->left = count;
	b->assoc = assoc;
	b->max_sends = run->o->retries + 1;
	b->ahead = SIZE_MAX;
	b->done = cs_calloc(n, 1);
	b->sends = cs_calloc(n, sizeof(*b->sends));
	b->state = cs_calloc(n, sizeof(*b->state));
	b->status = cs_calloc(n, sizeof(*b->status));
	b->busy_seen = cs_calloc(n, sizeof(*b->busy_seen));
	b->busy_counted = cs_calloc(n, sizeof(*b->busy_counted));
	b->deaths = cs_calloc(n, sizeof(*b->deaths));
	b->ring = cs_calloc(SCU_WINDOW_MAX, sizeof(*b->ring));
	if (run->o->commit && commit_contexts(b) != 0)
		return CS_E_NOMEM;
	return b->done == NULL || b->sends == NULL || b->state == NULL ||
		b->status == NULL || b->ring == NULL || b->busy_seen == NULL ||
		b->busy_counted == NULL || b->deaths == NULL
	    ? CS_E_NOMEM
	    : 0;
}

/* The batch of planned association k.  Returns 0 or CS_E_NOMEM. */
static int
batch_init(struct batch *b, struct send_run *run, size_t k)
{
	const struct propose_assoc *pa = &run->plan->assoc[k];

	return batch_init_files(b, run, &run->plan->set[pa->set],
	    &run->plan->order[pa->first], pa->count, (unsigned)k + 1);
}

void
batch_release(struct batch *b)
{
	cs_free(b->done);
	cs_free(b->sends);
	cs_free(b->state);
	cs_free(b->status);
	cs_free(b->busy_seen);
	cs_free(b->busy_counted);
	cs_free(b->deaths);
	cs_free(b->ring);
	cs_free(b->held.h);
	cs_free(b->pcs);
}

/*
 * The association s just opened: counts it and says so (-v).  When the
 * peer accepted no context at all, every file left gets "nocontext",
 * the association is released and 0 returned; else 1.
 */
static int
established(struct batch *b, struct scu_session *s)
{
	struct send_run *run = b->run;
	const struct ul_assoc_params *ac = scu_ac(s);
	struct cs_err e;
	int m, accepted = 0;
	size_t j;

	/* the storage contexts: the commitment one is said apart */
	for (m = 0; ac != NULL && m < ac->n_pc; m++)
		accepted += ac->pc[m].result == UL_PC_ACCEPTANCE &&
		    strcmp(ac->pc[m].abstract_syntax, COMMIT_SOP_CLASS) != 0;
	report_association(&run->rep);
	report_note(&run->rep,
	    "association %u: %s port %s accepted %d of %u presentation contexts%s, max PDU %u, window %u",
	    b->assoc, run->cfg->host, run->cfg->port, accepted, b->set->n_pc,
	    !run->o->commit      ? ""
		: commit_pcid(s) ? " and Storage Commitment"
				 : " but not Storage Commitment",
	    ac && ac->has_max_pdu ? (unsigned)ac->max_pdu : 0u, s->window);
	if (s->identity_confirmed)
		report_note(&run->rep,
		    "association %u: user identity '%s' confirmed by the peer",
		    b->assoc, run->cfg->user);
	cs_err_clear(&e);
	if (accepted == 0)
		cs_err_set(&e, CS_E_REJECTED,
		    "the peer accepted none of the %u presentation contexts proposed",
		    b->set->n_pc);
	report_accepted(&run->rep, accepted, &e);
	if (accepted > 0)
		return 1;
	for (j = 0; j < b->n; j++)
		if (!b->done[j])
			report_simple(&run->rep, b->idx[j], STORESCU_NOCONTEXT,
			    b->assoc, e.msg, 1);
	scu_close(s, NULL);
	return 0;
}

/*
 * One attempt: sends what is left of b over the established s, then
 * ends s (release, or abort when it died).  why gets what ended it.
 * Returns 1 when the files left are worth another association: b moved
 * further (a file answered or sent) or fewer than --retry attempts in
 * a row did not; *fails counts those.
 */
static int
attempt(struct batch *b, struct scu_session *s, unsigned *fails, char *why,
    size_t why_len)
{
	size_t left_before = b->left;
	uint64_t sends_before = sends_total(b);
	struct commit_rx x;
	int ours = 0;

	memset(&x, 0, sizeof(x));
	if (batch_send(b, s)) {
		/* a file that could not be read to the end: we aborted */
		ours = b->broken != NULL;
		if (!ours) {
			b->death_rc = b->dead_rc;
			b->death = b->dead;
		}
		snprintf(why, why_len, "%s", b->dead.msg);
		/* what it stored is asked for on the next association */
		if (ours)
			snprintf(b->held_why, sizeof(b->held_why),
			    "we aborted the association: '%s': %s",
			    b->run->src.paths[b->idx[b->broken->j]],
			    b->dead.msg);
		else
			snprintf(b->held_why, sizeof(b->held_why), "%s",
			    b->dead.msg);
		scu_abort(s);
	} else {
		commit_attempt(b, s, &x);
		snprintf(why, why_len,
		    "%zu files answered A7xx (out of resources)", b->busy);
		scu_close(s, NULL);
	}
	s->req_cb = NULL;
	commit_rx_release(&x);
	*fails = b->left != left_before || sends_total(b) != sends_before
	    ? 0
	    : *fails + 1;
	/* after a death, or when nothing moved, A7xx answers were final
	 * on their last attempt; an abort of ours for a file that could
	 * not be read landed that file (progress), and costs the others
	 * nothing: they go on over a new association */
	return ours || (b->run->o->retries > 0 && *fails <= b->run->o->retries);
}

/* An association request of the run not answered yet (send_run's
 * assoc_reqs), and the lock and condition for send_run's assoc_*: one
 * for every run of the process (a waiter checks its own run's). */
struct assoc_req {
	struct assoc_req *next;
	unsigned long seq;
};
static pthread_mutex_t assoc_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t assoc_cv = PTHREAD_COND_INITIALIZER;

/* Is a request of the run begun by number seq still unanswered? */
static int
older_req(const struct send_run *run, unsigned long seq)
{
	const struct assoc_req *q;

	for (q = run->assoc_reqs; q != NULL; q = q->next)
		if (q->seq <= seq)
			return 1;
	return 0;
}

/*
 * Association b could not be opened (a transient failure) while another
 * of the run was being opened or open: a peer that serves one
 * association at a time (DCMTK's storescp and dcmrecv without --fork,
 * an archive that allows one association per calling AE title) answers
 * the others only once it ends.  Waits while another of the run is open,
 * or a request begun before this wait is unanswered, until one of the
 * run's established associations ends (ended: the count when b's
 * request began), and returns 1: try again now, not counted against
 * --retry.  Returns 0 when none ended and none is open or coming: the
 * failure is the peer's.  Bounded: every return of 1 takes an
 * established association that ended, every wait a request that began
 * before it or an association open.
 */
static int
wait_other(struct send_run *run, const struct batch *b, unsigned ended,
    const char *why)
{
	unsigned long seq;
	int said = 0, rc, open;

	pthread_mutex_lock(&assoc_mu);
	seq = run->assoc_seq;
	for (;;) {
		if (run->assoc_ended != ended) {
			rc = 1;
			break;
		}
		open = run->assoc_open > 0;
		if (!open && !older_req(run, seq)) {
			rc = 0;
			break;
		}
		if (said++ == 0) { /* the note outside the lock */
			pthread_mutex_unlock(&assoc_mu);
			report_note(&run->rep,
			    open ? "association %u: %s: another association "
				   "to the peer is open; trying again once "
				   "one ends"
				 : "association %u: %s: another association "
				   "to the peer is being requested; waiting "
				   "for its answer",
			    b->assoc, why);
			pthread_mutex_lock(&assoc_mu);
			continue;
		}
		pthread_cond_wait(&assoc_cv, &assoc_mu);
	}
	pthread_mutex_unlock(&assoc_mu);
	return rc;
}

/* An association of the run that ended less than this before a request
 * began may still hold the peer's room for it (send_grace). */
#define SEND_GRACE_RECENT_MS 2000

/* Association request q of the run begins; returns the count of the
 * run's associations ended so far, *recent whether one ended lately. */
static unsigned
assoc_request(struct send_run *run, struct assoc_req *q, int *recent)
{
	unsigned ended;

	pthread_mutex_lock(&assoc_mu);
	q->seq = ++run->assoc_seq;
	q->next = run->assoc_reqs;
	run->assoc_reqs = q;
	ended = run->assoc_ended;
	*recent = ended > 0 &&
	    net_now_ms() - run->assoc_end_ms < SEND_GRACE_RECENT_MS;
	pthread_mutex_unlock(&assoc_mu);
	return ended;
}

/* Request q was answered: its association is open (opened), or it
 * failed. */
static void
assoc_answered(struct send_run *run, struct assoc_req *q, int opened)
{
	struct assoc_req **pp;

	pthread_mutex_lock(&assoc_mu);
	for (pp = &run->assoc_reqs; *pp != NULL; pp = &(*pp)->next)
		if (*pp == q) {
			*pp = q->next;
			break;
		}
	run->assoc_open += opened ? 1 : 0;
	pthread_cond_broadcast(&assoc_cv);
	pthread_mutex_unlock(&assoc_mu);
}

/* An association of the run that was open ended. */
static void
assoc_end(struct send_run *run)
{
	pthread_mutex_lock(&assoc_mu);
	run->assoc_open--;
	run->assoc_ended++;
	run->assoc_end_ms = net_now_ms();
	pthread_cond_broadcast(&assoc_cv);
	pthread_mutex_unlock(&assoc_mu);
}

/*
 * A request rejected-transient right after an association of the run
 * ended (grace: 1, 2... after a wait_other, or when one ended within
 * SEND_GRACE_RECENT_MS) may have come before the peer freed what that
 * one held (dcmrecv counts an association served only once its thread
 * is done): tried again after the backoff (at least 100 ms), up to
 * SEND_GRACE times, not counted against --retry.
 */
#define SEND_GRACE 3

static int
grace_again(struct send_run *run, const struct batch *b, unsigned *grace,
    int rc, const struct scu_session *s, const char *why)
{
	uint64_t ms = run->o->retry_delay_ms;
	unsigned k;

	if (*grace == 0 || *grace > SEND_GRACE || rc != CS_E_REJECTED ||
	    s->r.rj.result != 2)
		return 0;
	report_note(&run->rep,
	    "association %u: %s: trying again after the backoff (%u of %u); "
	    "the association that ended may not have freed the peer yet",
	    b->assoc, why, *grace, SEND_GRACE);
	for (k = 1; k < *grace && ms < 60000; k++)
		ms *= 2;
	net_sleep_ms(ms < 100 ? 100 : ms > 60000 ? 60000 : ms);
	++*grace;
	return 1;
}

/*
 * Opens association k and sends its files; when it dies or files were
 * answered A7xx, opens new ones (--retry) until every file has its
 * result: each file gets at most --retry + 1 requests, and at most
 * --retry associations in a row may fail to get any file further.
 */
void
send_run_assoc(struct send_run *run, size_t k, struct send_carry *carry)
{
	unsigned retries = run->o->retries, fails = 0, ended, grace = 0;
	int recent;
	struct assoc_req q;
	struct batch b;
	struct scu_session s;
	struct cs_err e;
	size_t j;
	int rc, more, now = 0;
	char msg[CS_ERR_MSG_MAX + 64], why[CS_ERR_MSG_MAX + 64] = "";

	if (batch_init(&b, run, k) != 0) {
		for (j = 0; j < b.n; j++)
			report_simple(&run->rep, b.idx[j], STORESCU_NOTSENT,
			    b.assoc, "out of memory", 1);
		batch_release(&b);
		return;
	}
	if (carry->held.n > 0) { /* the lane's last association died */
		b.held = carry->held;
		memset(&carry->held, 0, sizeof(carry->held));
		snprintf(b.held_why, sizeof(b.held_why), "%s", carry->why);
	}
	carry->why[0] = '\0';
	for (b.attempt = 0; b.left > 0; b.attempt++) {
		if (b.attempt > 0 && !now) {
			if (fails > 0)
				report_note(&run->rep,
				    "association %u: attempt %u of %u after: %s",
				    b.assoc, fails + 1, retries + 1, why);
			else
				report_note(&run->rep,
				    "association %u: again for the %zu files left after: %s",
				    b.assoc, b.left, why);
			send_backoff(run, fails > 0 ? fails : 1);
		}
		now = 0;
		cs_err_clear(&e);
		ended = assoc_request(run, &q, &recent);
		if (recent && grace == 0)
			grace = 1;
		rc = scu_open_shared(&s, run->cfg, &run->tls, run->window,
		    b.pcs ? b.pcs : b.set->pc, b.pcs ? b.n_pc : b.set->n_pc,
		    &e);
		if (rc != 0) {
			int transient = send_transient_open(rc, &s);

			assoc_answered(run, &q, 0);
			scu_abort(&s);
			snprintf(why, sizeof(why), "%s", e.msg);
			if (transient && fails < retries) {
				fails++;
				continue;
			}
			if (transient && wait_other(run, &b, ended, why)) {
				now = 1; /* no backoff: the peer is free now */
				grace = 1;
				continue;
			}
			if (grace_again(run, &b, &grace, rc, &s, why)) {
				now = 1; /* backoff done */
				continue;
			}
			report_failure(&run->rep, rc, &e);
			snprintf(msg, sizeof(msg), "association %u failed: %s",
			    b.assoc, e.msg);
			batch_give_up(&b, msg);
			break;
		}
		assoc_answered(run, &q, 1);
		grace = 0;
		s.r.pump.rate = run->rate;
		if (!established(&b, &s)) {
			assoc_end(run);
			break;
		}
		more = attempt(&b, &s, &fails, why, sizeof(why));
		assoc_end(run);
		if (!more && b.left > 0) {
			snprintf(msg, sizeof(msg),
			    "not sent: association %u ended: %s", b.assoc, why);
			batch_give_up(&b, msg);
		}
	}
	carry_over(&b, carry);
	/* a file lost to a dying association: exit 5, however many got in */
	if (b.lost > 0 && b.death_rc != 0)
		report_failure(&run->rep, report_mid_way(b.death_rc), &b.death);
	batch_release(&b);
}
