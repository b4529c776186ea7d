/*
 * follow.c - storescu_follow: send inputs as a stream hands them over
 * (dcmsend --follow), over one association kept open while they come.
 * Each handful of inputs is probed and sent like a small storescu_send
 * (send.h) over the association held here; this file decides when to
 * open, reopen, release and wait.  With --commit, what a handful
 * stored is asked for on the open association before the next handful
 * is taken, and its results wait for the report there.
 */
#include <errno.h>
#include <stdarg.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/alloc.h"
#include "net/net.h"
#include "net/rate.h"
#include "storescu/send.h"
#include "storescu/send_batch.h"
#include "core/banned.h"

/* Inputs taken from the stream at once: enough to fill the window. */
#define CHUNK_MAX 64
/* requests a file gets at most without --retry (answered A7xx, or lost
 * with an association): about 90 s of backoff from --retry-delay 1 s */
#define FOLLOW_MAX_SENDS 8

/* The (class, syntax) pairs proposed so far: at most one per context.
 * UIDs are at most 64 characters (probing checked them). */
struct pair {
	char cls[65], ts[65];
};
struct pairs {
	struct pair *p;
	struct propose_input *in; /* pointing into p, for the planner */
	size_t n, cap;
};

struct follow {
	const struct storescu_config *cfg;
	const struct storescu_send_opts *o;
	const struct storescu_follow_opts *fo;
	struct scu_session s;
	struct tls_share tls; /* one context: later associations resume */
	int open;
	unsigned assoc; /* number of the latest association */
	struct pairs pairs;
	struct propose_plan *plan; /* set[0]: what the association proposes */
	int down;                  /* the peer could not be reached */
	uint64_t down_since_ms;
	struct net_rate *rate;
	struct storescu_summary *sum;
	int rc; /* worst failure so far */
	struct cs_err err;
	int stop;                         /* gave up: read no more */
	int some_accepted, none_accepted; /* by an association, any context */
	struct cs_err none_err;
	/* --commit: reports on the open association, while rx_on */
	struct commit_rx rx;
	int rx_on;
	/* associations die, or files are answered A7xx, and nothing was
	 * stored since (said once on stderr, as unreachable is) */
	int troubled;
	uint64_t troubled_since_ms;
};

static void state(struct follow *f, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
state(struct follow *f, const char *fmt, ...)
{
	char line[CS_ERR_MSG_MAX + 200];
	va_list ap;

	if (f->fo->on_state == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	f->fo->on_state(f->o->user, line);
}

static void
pairs_free(struct pairs *p)
{
	cs_free(p->p);
	cs_free(p->in);
	memset(p, 0, sizeof(*p));
}

static int
pairs_has(const struct pairs *p, const char *cls, const char *ts)
{
	size_t k;

	for (k = 0; k < p->n; k++)
		if (strcmp(p->p[k].cls, cls) == 0 &&
		    strcmp(p->p[k].ts, ts) == 0)
			return 1;
	return 0;
}

/* Adds (cls, ts); returns 0 or CS_E_NOMEM. */
static int
pairs_add(struct pairs *p, const char *cls, const char *ts)
{
	size_t k;

	if (p->n == p->cap) {
		size_t cap = p->cap ? 2 * p->cap : 16;
		struct propose_input *in = cs_realloc(p->in, cap * sizeof(*in));
		struct pair *np;

		if (in == NULL)
			return CS_E_NOMEM;
		p->in = in;
		np = cs_realloc(p->p, cap * sizeof(*np));
		if (np == NULL)
			return CS_E_NOMEM;
		p->p = np;
		p->cap = cap;
	}
	snprintf(p->p[p->n].cls, sizeof(p->p[p->n].cls), "%s", cls);
	snprintf(p->p[p->n].ts, sizeof(p->p[p->n].ts), "%s", ts);
	p->n++;
	for (k = 0; k < p->n; k++) { /* p->p may have moved */
		p->in[k].sop_class = p->p[k].cls;
		p->in[k].ts = p->p[k].ts;
		p->in[k].bytes = 0;
	}
	return 0;
}

/* The open association takes commitment reports from now on. */
static void
rx_start(struct follow *f)
{
	if (!f->rx_on) {
		commit_rx_init(&f->rx, f->s.r.a, NULL, 0, NULL);
		f->rx.trace = f->s.cfg.trace;
		f->rx.trace_user = f->s.cfg.trace_user;
		f->rx_on = 1;
	}
	f->s.req_cb = &commit_rx_cb;
	f->s.req_user = &f->rx;
}

/* The association is closed: no more reports. */
static void
rx_stop(struct follow *f)
{
	f->s.req_cb = NULL;
	if (f->rx_on)
		commit_rx_release(&f->rx);
	f->rx_on = 0;
}

/* Adds the pairs of the probed inputs pin[0..n) not there yet. */
static int
pairs_learn(struct pairs *p, const struct propose_input *pin, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (pin[i].sop_class != NULL &&
		    !pairs_has(p, pin[i].sop_class, pin[i].ts) &&
		    pairs_add(p, pin[i].sop_class, pin[i].ts) != 0)
			return CS_E_NOMEM;
	return 0;
}

static void
release(struct follow *f, const char *why)
{
	if (!f->open)
		return;
	if (f->o->on_note != NULL) {
		char line[200];

		snprintf(line, sizeof(line), "association %u released: %s",
		    f->assoc, why);
		f->o->on_note(f->o->user, line);
	}
	scu_close(&f->s, NULL);
	rx_stop(f);
	f->open = 0;
}

/*
 * Learns the pairs of the probed inputs pin[0..n); when one is new, the
 * association is released and the contexts planned again.  Returns 0
 * or CS_E_NOMEM.
 */
static int
learn(struct follow *f, struct send_run *run, const struct propose_input *pin,
    size_t n, struct cs_err *err)
{
	struct propose_plan *plan;
	size_t before = f->pairs.n;

	if (pairs_learn(&f->pairs, pin, n) != 0)
		return cs_err_set(err, CS_E_NOMEM, "out of memory");
	if (f->pairs.n == before && f->plan != NULL)
		return 0;
	release(f, "a new SOP class or transfer syntax came");
	plan = propose_plan_new(f->pairs.in, f->pairs.n, &run->popts, err);
	if (plan != NULL && plan->n_set > 1) {
		/* more than 128 contexts: start again from these inputs */
		propose_plan_free(plan);
		pairs_free(&f->pairs);
		if (pairs_learn(&f->pairs, pin, n) != 0)
			return cs_err_set(err, CS_E_NOMEM, "out of memory");
		plan =
		    propose_plan_new(f->pairs.in, f->pairs.n, &run->popts, err);
	}
	if (plan == NULL)
		return err->code ? err->code : CS_E_NOMEM;
	propose_plan_free(f->plan);
	f->plan = plan;
	return 0;
}

/* The retry delay before attempt k (1, 2...), capped. */
static uint64_t
delay_ms(const struct follow *f, unsigned k)
{
	/* --retry-delay 0: from 1 ms, not a loop without a pause */
	uint64_t ms = f->o->retry_delay_ms ? f->o->retry_delay_ms : 1;

	while (k-- > 1 && ms < STORESCU_FOLLOW_MAX_DELAY_MS)
		ms *= 2;
	return ms > STORESCU_FOLLOW_MAX_DELAY_MS ? STORESCU_FOLLOW_MAX_DELAY_MS
						 : ms;
}

/* Went down (once per change), or still down: may it be tried again? */
static int
still_trying(struct follow *f, const struct cs_err *e)
{
	uint64_t now = net_now_ms();
	/* no socket of ours (out of descriptors) is no fault of the peer:
	 * "no connection to H port P", not "H port P unreachable" */
	int ours = e->code == CS_E_RESOURCE;
	char what[600];

	if (!f->down) {
		f->down = 1;
		f->down_since_ms = now;
		snprintf(what, sizeof(what),
		    ours ? "no connection to %s port %s"
			 : "%s port %s unreachable",
		    f->cfg->host, f->cfg->port);
		if (f->fo->retry_for_ms < 0)
			state(f, "%s (%s): retrying", what, e->msg);
		else
			state(f, "%s (%s): retrying for up to %lld s", what,
			    e->msg, (long long)(f->fo->retry_for_ms / 1000));
	}
	return f->fo->retry_for_ms < 0 ||
	    now - f->down_since_ms < (uint64_t)f->fo->retry_for_ms;
}

/*
 * Opens an association proposing the plan's contexts, retrying while
 * the failure is transient and --retry-for allows (once: never).
 * Returns 0 or the code of the last failure (detail in e).
 */
static int
open_assoc(struct follow *f, struct send_run *run, const struct batch *b,
    int once, struct cs_err *e)
{
	const struct propose_set *set = &f->plan->set[0];
	/* with --commit, the batch's contexts and the commitment one */
	const struct ul_pc *pcs = b->pcs ? b->pcs : set->pc;
	unsigned n_pc = b->pcs ? b->n_pc : set->n_pc, k = 0;
	uint64_t wait, left;
	int rc;

	for (;;) {
		cs_err_clear(e);
		rc = scu_open_shared(
		    &f->s, f->cfg, &f->tls, run->window, pcs, n_pc, e);
		if (rc == 0)
			break;
		if (once || !send_transient_open(rc, &f->s) ||
		    !still_trying(f, e)) {
			scu_abort(&f->s);
			return rc;
		}
		scu_abort(&f->s);
		wait = delay_ms(f, ++k);
		if (f->fo->retry_for_ms >= 0) {
			left = f->down_since_ms +
			    (uint64_t)f->fo->retry_for_ms - net_now_ms();
			if (left < wait)
				wait = left + 1;
		}
		net_sleep_ms(wait);
	}
	if (f->down)
		state(f, "%s port %s reachable again after %llu s",
		    f->cfg->host, f->cfg->port,
		    (unsigned long long)((net_now_ms() - f->down_since_ms) /
			1000));
	f->down = 0;
	f->open = 1;
	f->assoc++;
	f->s.r.pump.rate = f->rate;
	report_association(&run->rep);
	report_note(&run->rep,
	    "association %u: %s port %s, %u presentation contexts, window %u",
	    f->assoc, f->cfg->host, f->cfg->port, n_pc, f->s.window);
	return 0;
}

/* Does the open association accept any context? */
static int
any_accepted(const struct scu_session *s)
{
	const struct ul_assoc_params *ac = scu_ac(s);
	int m;

	for (m = 0; ac != NULL && m < ac->n_pc; m++)
		if (ac->pc[m].result == UL_PC_ACCEPTANCE)
			return 1;
	return 0;
}

/* --commit: asks on the open association for what b stored (on it or
 * on one that died since), and waits there for the report.  When the
 * last association b used died, a new one is opened to ask (the
 * stream's next inputs would open one anyway): one attempt, so that
 * the end of a stream to a peer gone for good waits for nothing. */
static void
commit_chunk(struct follow *f, struct send_run *run, struct batch *b)
{
	struct cs_err e;

	if (!f->open && b->held.n > 0 && !f->stop &&
	    open_assoc(f, run, b, 1, &e) != 0)
		snprintf(b->held_why, sizeof(b->held_why),
		    "%.150s; no new association: %.150s",
		    b->death_rc != 0 ? b->death.msg : "it died", e.msg);
	if (f->open && b->held.n > 0) {
		rx_start(f);
		batch_commit(b, &f->s, &f->rx);
		if (!ul_established(f->s.r.a)) { /* it ended while waiting */
			scu_abort(&f->s);
			rx_stop(f);
			f->open = 0;
		}
	}
	batch_commit_give_up(b);
}

/*
 * The open association accepts no context: b's files get nocontext
 * lines, as without --follow.  It fails the run as rejected (exit 4)
 * only if no association of the stream accepts any (storescu_follow):
 * one of a new class alone, beside stored files, is their failure.
 */
static void
nothing_accepted(struct follow *f, struct batch *b)
{
	char msg[CS_ERR_MSG_MAX];
	size_t j;

	snprintf(msg, sizeof(msg),
	    "the peer accepted none of the %u presentation contexts proposed",
	    (unsigned)f->plan->set[0].n_pc);
	if (!f->none_accepted) {
		f->none_accepted = 1;
		cs_err_clear(&f->none_err);
		cs_err_set(&f->none_err, CS_E_REJECTED, "%s", msg);
	}
	for (j = 0; j < b->n; j++)
		if (!b->done[j]) {
			report_simple(&b->run->rep, b->idx[j],
			    STORESCU_NOCONTEXT, b->assoc, msg, 1);
			b->done[j] = 1;
			b->left--;
		}
}

/* The deaths of a batch's associations in a row, no file answered
 * between them: since when, and the files then left unanswered (those
 * left, and those given up after their last attempt: not an answer). */
struct deaths {
	unsigned rounds;
	uint64_t since_ms;
	size_t left;
};

/*
 * b's association died (b->dead says why).  A death of
 * the peer's (not a file of ours that could not be read) is kept for
 * the exit status, and one with no file answered since the last counts
 * against --retry-for, which bounds a peer that aborts every
 * association as it bounds one that cannot be reached.  Sleeps the
 * backoff, doubled with each such death, and returns 1; returns 0 when
 * --retry-for is over: give up what is left.
 */
static int
died(struct follow *f, struct batch *b, struct deaths *d)
{
	uint64_t now = net_now_ms(), wait;

	if (b->broken != NULL || b->dead_rc == CS_E_IO) /* ours: go on */
		return 1;
	b->death_rc = b->dead_rc;
	b->death = b->dead;
	if (b->left == 0) /* nothing left to send again */
		return 1;
	if (b->left + b->lost < d->left)
		d->rounds = 0;
	d->left = b->left + b->lost;
	if (d->rounds++ == 0)
		d->since_ms = now;
	wait = delay_ms(f, d->rounds);
	if (f->fo->retry_for_ms >= 0) {
		if (now - d->since_ms >= (uint64_t)f->fo->retry_for_ms)
			return 0;
		if (d->since_ms + (uint64_t)f->fo->retry_for_ms - now < wait)
			wait = d->since_ms + (uint64_t)f->fo->retry_for_ms -
			    now + 1;
	}
	net_sleep_ms(wait);
	return 1;
}

/* What the peer stored of run so far: lines counted, results held for
 * their commitment. */
static size_t
stored_so_far(const struct send_run *run, const struct batch *b)
{
	return run->rep.sum->stored + run->rep.sum->warning + b->held.n;
}

/* How long --retry-for lets a trouble go on, and how many attempts a
 * file has (b->max_sends; for A7xx answers, those with nothing else
 * stored in between), for its line. */
static void
retry_for_text(const struct follow *f, const struct batch *b, int dead,
    char *buf, size_t cap)
{
	char upto[48] = "";

	if (f->fo->retry_for_ms >= 0)
		snprintf(upto, sizeof(upto), " for up to %lld s",
		    (long long)(f->fo->retry_for_ms / 1000));
	snprintf(buf, cap, "sending again%s, a file at most %u times%s", upto,
	    b->max_sends, dead ? "" : " with nothing else stored in between");
}

/* b's attempt on association f->assoc stored nothing and left files to
 * send again (it died, or they were answered A7xx): said on stderr
 * once, until something is stored again.  A user tailing it saw
 * nothing for --retry-for (forever by default). */
static void
trouble(struct follow *f, const struct batch *b, int dead)
{
	char again[160];
	size_t j;

	if (f->troubled)
		return;
	f->troubled = 1;
	f->troubled_since_ms = net_now_ms();
	retry_for_text(f, b, dead, again, sizeof(again));
	if (dead) {
		state(f, "%s port %s: association %u ended (%s): %s",
		    f->cfg->host, f->cfg->port, f->assoc, b->dead.msg, again);
		return;
	}
	/* a file stored since it was answered A7xx keeps OBJ_BUSY */
	for (j = 0; j < b->n && (b->done[j] || b->state[j] != OBJ_BUSY); j++)
		;
	state(f, "%s port %s: out of resources (status %04X): %s", f->cfg->host,
	    f->cfg->port, j < b->n ? b->status[j] : 0xA700, again);
}

/* Something was stored after a trouble: said once. */
static void
untroubled(struct follow *f)
{
	if (!f->troubled)
		return;
	f->troubled = 0;
	state(f, "%s port %s: storing again after %llu s", f->cfg->host,
	    f->cfg->port,
	    (unsigned long long)((net_now_ms() - f->troubled_since_ms) / 1000));
}

/* An attempt of b ended: what its files answered A7xx count from. */
static void
busy_mark(struct batch *b)
{
	size_t j;

	for (j = 0; j < b->n; j++)
		if (!b->done[j] && b->state[j] == OBJ_BUSY)
			b->busy_seen[j] = b->stored_n;
}

/* Sends the n probed inputs idx[] of run until each has its result. */
static void
send_files(struct follow *f, struct send_run *run, const size_t *idx, size_t n)
{
	char msg[CS_ERR_MSG_MAX + 64];
	struct batch b;
	struct cs_err e;
	unsigned busy_rounds = 0;
	uint64_t busy_since = 0;
	struct deaths deaths = { 0, 0, n };
	size_t stored;
	int rc, dead;

	if (batch_init_files(&b, run, &f->plan->set[0], idx, n, f->assoc) !=
	    0) {
		batch_give_up(&b, "out of memory");
		batch_release(&b);
		return;
	}
	/* a file answered A7xx, or in flight when the association died,
	 * again and again, is refused for a reason of its own (Orthanc: A700
	 * for a data set without its Study or Series Instance UID; a peer
	 * that aborts whenever one object comes), not for want of room or a
	 * restart: bounded per file, else it held the stream behind it for
	 * --retry-for (forever) */
	b.max_sends = f->o->retries_set ? f->o->retries + 1 : FOLLOW_MAX_SENDS;
	/* but an archive short of room, storing others between a file's
	 * A7xx answers, is not refusing it: those answers do not count */
	b.busy_by_progress = 1;
	while (b.left > 0) {
		if (!f->open) {
			rc = open_assoc(f, run, &b, 0, &e);
			if (rc != 0) {
				report_failure(&run->rep, rc, &e);
				snprintf(msg, sizeof(msg),
				    "association failed: %s", e.msg);
				batch_give_up(&b, msg);
				f->stop = 1;
				break;
			}
		}
		b.assoc = f->assoc;
		if (!any_accepted(&f->s)) {
			nothing_accepted(f, &b);
			release(f, "nothing accepted");
			break;
		}
		f->some_accepted = 1;
		stored = stored_so_far(run, &b);
		dead = batch_send(&b, &f->s);
		busy_mark(&b);
		if (stored_so_far(run, &b) > stored) {
			untroubled(f);
			busy_rounds = 0; /* --retry-for's clock, the backoff */
		} else if ((dead && b.left > 0 && b.broken == NULL &&
			       b.dead_rc != CS_E_IO) ||
		    (!dead && b.busy > 0))
			trouble(f, &b, dead); /* the peer's, not our file's */
		if (dead) {
			report_note(&run->rep, "association %u ended: %s",
			    f->assoc, b.dead.msg);
			scu_abort(&f->s);
			rx_stop(f);
			f->open = 0;
			if (!died(f, &b, &deaths)) {
				batch_give_up(&b,
				    "the association still died after --retry-for");
				break;
			}
		} else if (b.busy > 0) {
			/* out of resources (A7xx): sent again after the
			 * backoff while --retry-for allows */
			if (busy_rounds++ == 0)
				busy_since = net_now_ms();
			else if (f->fo->retry_for_ms >= 0 &&
			    net_now_ms() - busy_since >=
				(uint64_t)f->fo->retry_for_ms) {
				batch_give_up(&b,
				    "still out of resources after --retry-for");
				break;
			}
			net_sleep_ms(delay_ms(f, busy_rounds));
		}
	}
	/* a file lost to a dying association: exit 5, as without --follow */
	if (b.lost > 0 && b.death_rc != 0)
		report_failure(&run->rep, report_mid_way(b.death_rc), &b.death);
	commit_chunk(f, run, &b);
	batch_release(&b);
}

static void
add_sum(struct storescu_summary *t, const struct storescu_summary *c)
{
	t->inputs += c->inputs;
	t->stored += c->stored;
	t->warning += c->warning;
	t->failed += c->failed;
	t->skipped += c->skipped;
	t->resumed += c->resumed;
	t->transcoded += c->transcoded;
	t->committed += c->committed;
	t->associations += c->associations;
	t->bytes += c->bytes;
}

/* Probes and sends the n inputs paths[], the base-th of the stream on. */
static int
follow_chunk(struct follow *f, const char **paths, size_t n, size_t base,
    struct cs_err *err)
{
	struct propose_input pin[CHUNK_MAX];
	struct storescu_summary csum;
	size_t idx[CHUNK_MAX], k = 0, i;
	struct send_run run;
	struct cs_err e;
	int rc;

	memset(&run, 0, sizeof(run));
	memset(pin, 0, sizeof(pin));
	rc = send_run_init(&run, f->cfg, f->o, err);
	if (rc != 0)
		return rc;
	run.rate = f->rate;
	rc = sources_init(&run.src, paths, n, err);
	report_init(&run.rep, f->o, &run.src, &csum);
	run.rep.base = base;
	if (rc == 0)
		rc = send_probe_inputs(&run, pin, err);
	if (rc == 0)
		rc = learn(f, &run, pin, n, err);
	for (i = 0; rc == 0 && i < n; i++)
		if (pin[i].sop_class != NULL)
			idx[k++] = i;
	if (k > 0)
		send_files(f, &run, idx, k);
	cs_err_clear(&e);
	if (report_result(&run.rep, &e) != 0 && f->rc == 0) {
		f->rc = e.code;
		f->err = e;
	}
	report_release(&run.rep);
	add_sum(f->sum, &csum);
	sources_release(&run.src);
	return rc;
}

int
storescu_follow(const struct storescu_config *cfg,
    const struct storescu_send_opts *opts,
    const struct storescu_follow_opts *fopts, struct storescu_summary *sum,
    struct cs_err *err)
{
	const char *paths[CHUNK_MAX];
	struct net_rate bucket;
	struct follow f;
	uint64_t t0 = net_now_us();
	size_t base = 0;
	long got;
	int rc = 0;

	memset(sum, 0, sizeof(*sum));
	if ((rc = scu_check_peer(cfg, err)) != 0)
		return rc; /* before a name of the stream is read */
	memset(&f, 0, sizeof(f));
	f.cfg = cfg;
	f.o = opts;
	f.fo = fopts;
	f.sum = sum;
	f.s.r.fd = -1;
	tls_share_init(&f.tls);
	if (opts->limit_rate > 0) {
		net_rate_init(&bucket, opts->limit_rate);
		f.rate = &bucket;
	}
	while (rc == 0 && !f.stop) {
		got = fopts->next(fopts->user, paths, CHUNK_MAX,
		    f.open ? (int)fopts->idle_ms : -1);
		if (got < 0)
			break;
		if (got == 0) {
			release(&f, "idle");
			continue;
		}
		rc = follow_chunk(&f, paths, (size_t)got, base, err);
		base += (size_t)got;
	}
	release(&f, "the input ended");
	pairs_free(&f.pairs);
	propose_plan_free(f.plan);
	tls_share_release(&f.tls);
	if (f.rate != NULL)
		net_rate_release(f.rate);
	sum->elapsed_us = net_now_us() - t0;
	if (f.rc == 0 && f.none_accepted && !f.some_accepted) {
		f.rc = CS_E_REJECTED;
		f.err = f.none_err;
	}
	if (rc == 0 && f.rc != 0) {
		rc = f.rc;
		if (err != NULL && err->code == 0)
			*err = f.err;
	}
	return rc;
}
