/*
 * commit_listen.c - the listener for the archive's associations that
 * carry commitment reports (commit.h): one thread accepting, one more
 * per connection, accepting only the Storage Commitment Push Model
 * class with the archive as its SCP (PS3.4 J.3.3, PS3.7 D.3.3.4).
 */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/ul_dump.h"
#include "net/net.h"
#include "net/pump.h"
#include "net/transport.h"
#include "storescu/commit.h"
#include "core/banned.h"

/* How long one connection may take in all: a report is one message. */
#define CONN_MAX_MS 60000
/* How often the listener looks whether it may end. */
#define TICK_MS 200
/* How long a connection that brought a report is given, at the end,
 * to release (the ACSE timeout if shorter). */
#define RELEASE_WAIT_MS 2000

struct conn {
	struct commit_listener *l;
	int slot;
	struct ul_assoc *a;
	struct dimse_rx rx;
	struct commit_rx x;
};

static void
trace_line(void *user, const char *line)
{
	struct conn *c = user;

	c->l->cfg->trace(c->l->cfg->trace_user, line);
}

static void
on_trace(void *user, char dir, const uint8_t *pdu, size_t len)
{
	struct conn *c = user;

	ul_dump_pdu(dir, pdu, len, ul_rq_params(c->a), trace_line, c);
}

static int
on_rq(void *user, const struct ul_assoc_params *rq)
{
	struct conn *c = user;
	struct ul_assoc_params *ac = cs_calloc(1, sizeof(*ac));
	int i, rc;

	if (ac == NULL)
		return -1;
	ac->protocol_version = 1;
	memcpy(ac->called_ae, rq->called_ae, sizeof(ac->called_ae));
	memcpy(ac->calling_ae, rq->calling_ae, sizeof(ac->calling_ae));
	ac->n_pc = rq->n_pc;
	for (i = 0; i < rq->n_pc; i++) {
		int t = commit_ts_pick(&rq->pc[i]);

		ac->pc[i].id = rq->pc[i].id;
		if (strcmp(rq->pc[i].abstract_syntax, COMMIT_SOP_CLASS) != 0)
			ac->pc[i].result = UL_PC_ABSTRACT_SYNTAX_NOT_SUPPORTED;
		else if (t < 0)
			ac->pc[i].result =
			    UL_PC_TRANSFER_SYNTAXES_NOT_SUPPORTED;
		else {
			ac->pc[i].n_ts = 1;
			memcpy(ac->pc[i].ts[0], rq->pc[i].ts[t],
			    sizeof(ac->pc[i].ts[0]));
		}
	}
	/* the archive acts as the class's SCP: we agree, as its SCU */
	for (i = 0; i < rq->n_role; i++)
		if (strcmp(rq->role[i].sop_class, COMMIT_SOP_CLASS) == 0 &&
		    ac->n_role < UL_MAX_ROLE) {
			ac->role[ac->n_role] = rq->role[i];
			ac->role[ac->n_role].scu_role = 0;
			ac->n_role++;
		}
	rc = ul_associate_accept(c->a, ac);
	cs_free(ac);
	return rc == 0 ? 0 : -1;
}

static int
on_pdv(
    void *user, uint8_t pcid, uint8_t control, const uint8_t *data, size_t len)
{
	struct conn *c = user;
	size_t got = c->x.got;
	int rc = dimse_rx_pdv(&c->rx, pcid, control, data, len);

	if (c->x.got != got) {
		pthread_mutex_lock(&c->l->mu);
		c->l->conn_got[c->slot] = 1;
		pthread_mutex_unlock(&c->l->mu);
	}
	return rc == 0 ? 0 : -1;
}

static int
on_release_rq(void *user)
{
	struct conn *c = user;

	return ul_release_response(c->a) == 0 ? 0 : -1;
}

/* One connection, to its end (the caller closes fd); *settled gets the
 * transactions whose reports it answered, to be reported. */
static void
serve(struct commit_listener *l, int fd, int slot, struct commit_tx **settled)
{
	static const struct ul_callbacks cb = {
		.on_associate_rq = on_rq,
		.on_pdv = on_pdv,
		.on_release_rq = on_release_rq,
	};
	struct ul_config ucfg = { 0 };
	struct conn c;
	struct pump p;
	struct transport t;
	struct cs_err e = { 0, "" };

	memset(&c, 0, sizeof(c));
	c.l = l;
	c.slot = slot;
	ucfg.max_pdu_recv = UL_DEFAULT_MAX_PDU;
	/* a connection that asks nothing (a scanner) leaves its slot after
	 * --acse-timeout, not the default 30 s ARTIM */
	if (l->cfg->acse_timeout_ms > 0)
		ucfg.artim_ms = (uint32_t)l->cfg->acse_timeout_ms;
	transport_plain(&t, fd);
	if (l->tls != NULL &&
	    tls_handshake(&t, l->tls, NULL,
		l->cfg->acse_timeout_ms > 0 ? l->cfg->acse_timeout_ms
					    : CONN_MAX_MS,
		&e) != 0) {
		/* not our archive (no or an unknown certificate), or no TLS:
		 * nothing it says can be a report of ours */
		if (l->cfg->trace != NULL)
			l->cfg->trace(l->cfg->trace_user, e.msg);
		transport_release(&t);
		return;
	}
	if (l->tls != NULL && l->cfg->trace != NULL) {
		char line[512];

		snprintf(line, sizeof(line),
		    "TLS: %s, the archive's certificate '%s'",
		    transport_tls_summary(&t), transport_peer_subject(&t));
		l->cfg->trace(l->cfg->trace_user, line);
	}
	c.a = ul_assoc_new(UL_ACCEPTOR, &ucfg, &cb, &c);
	if (c.a == NULL || pump_init_transport(&p, &t, c.a) != 0) {
		ul_assoc_free(c.a);
		transport_release(&t);
		return;
	}
	if (l->cfg->trace != NULL)
		ul_set_trace(c.a, on_trace, &c);
	commit_rx_init(&c.x, c.a, NULL, 0, l->cr);
	c.x.rp = l->rp;
	c.x.trace = l->cfg->trace;
	c.x.trace_user = l->cfg->trace_user;
	c.x.trace_rq = 1;
	dimse_rx_init(&c.rx, &commit_rx_cb, &c.x);
	if (ul_transport_connected(c.a, net_now_ms()) == 0)
		(void)pump_run(&p, NULL, NULL, CONN_MAX_MS, &e);
	pump_linger(&p, 1000);
	pump_release(&p);
	dimse_rx_release(&c.rx);
	*settled = c.x.settled;
	c.x.settled = NULL;
	commit_rx_release(&c.x);
	ul_assoc_free(c.a);
}

/* Whether the listener may end: lanes done, every transaction reported
 * or past its deadline. */
static int
over(struct commit_listener *l)
{
	uint64_t now = net_now_ms();
	size_t k;
	int done;

	pthread_mutex_lock(&l->cr->mu);
	done = l->lanes_done;
	for (k = 0; done && k < l->cr->n; k++)
		if (!l->cr->tx[k]->reported && now < l->cr->tx[k]->deadline_ms)
			done = 0;
	pthread_mutex_unlock(&l->cr->mu);
	return done;
}

struct conn_arg {
	struct commit_listener *l;
	int fd, slot;
};

static void *
serve_thread(void *arg)
{
	struct conn_arg a = *(struct conn_arg *)arg;
	struct commit_tx *settled = NULL;

	cs_free(arg);
	serve(a.l, a.fd, a.slot, &settled);
	/* the slot is freed before the fd: never cut a reused number */
	pthread_mutex_lock(&a.l->mu);
	a.l->conn_fd[a.slot] = -1;
	pthread_mutex_unlock(&a.l->mu);
	close(a.fd);
	pthread_mutex_lock(&a.l->mu);
	a.l->n_conn--;
	pthread_cond_broadcast(&a.l->cv);
	pthread_mutex_unlock(&a.l->mu);
	/* the lines last, the slot free: a reader slow to take them
	 * holds up no other archive's association */
	commit_settled_report(settled, a.l->rp);
	pthread_mutex_lock(&a.l->mu);
	a.l->n_thr--;
	pthread_cond_broadcast(&a.l->cv);
	pthread_mutex_unlock(&a.l->mu);
	return NULL;
}

/* fd served in a thread of its own; -1 when all slots are taken (the
 * listener waits for one first) or no thread starts. */
static int
start_conn(struct commit_listener *l, int fd)
{
	struct conn_arg *a = cs_calloc(1, sizeof(*a));
	int k, slot = -1;

	if (a == NULL)
		return -1;
	pthread_mutex_lock(&l->mu);
	for (k = 0; k < COMMIT_LISTEN_CONN_MAX && slot < 0; k++)
		if (l->conn_fd[k] < 0)
			slot = k;
	if (slot >= 0) {
		l->conn_fd[slot] = fd;
		l->conn_got[slot] = 0;
		l->n_conn++;
		l->n_thr++;
	}
	pthread_mutex_unlock(&l->mu);
	a->l = l;
	a->fd = fd;
	a->slot = slot;
	if (slot >= 0 && net_thread_detached(serve_thread, a, 0) == 0)
		return 0;
	cs_free(a);
	if (slot >= 0) {
		pthread_mutex_lock(&l->mu);
		l->conn_fd[slot] = -1;
		l->n_conn--;
		l->n_thr--;
		pthread_mutex_unlock(&l->mu);
	}
	return -1;
}

/* Cuts the connections left (under l->mu); without all, those that
 * applied no report only. */
static void
cut_conns(struct commit_listener *l, int all)
{
	int k;

	for (k = 0; k < COMMIT_LISTEN_CONN_MAX; k++)
		if (l->conn_fd[k] >= 0 && (all || !l->conn_got[k]))
			net_cut(l->conn_fd[k]);
}

/* Waits on l->cv (under l->mu) up to ms: a connection ending wakes it. */
static void
cv_wait_ms(struct commit_listener *l, int ms)
{
	struct timespec ts;

	net_deadline_ms(&ts, ms);
	(void)pthread_cond_timedwait(&l->cv, &l->mu, &ts);
}

/* Writes the lines of the expired transactions handed over, until none
 * is left: a reader slow to take them holds up the writer only, not the
 * listener accepting the next archive's association. */
static void *
expired_thread(void *arg)
{
	struct commit_listener *l = arg;
	struct commit_tx *list;

	pthread_mutex_lock(&l->mu);
	while ((list = l->expired) != NULL) {
		l->expired = NULL;
		pthread_mutex_unlock(&l->mu);
		commit_expired_report(list, l->rp);
		pthread_mutex_lock(&l->mu);
	}
	l->printing = 0;
	l->n_thr--;
	pthread_cond_broadcast(&l->cv);
	pthread_mutex_unlock(&l->mu);
	return NULL;
}

/* What waited past its deadline is reported now, not held to the end of
 * the run: handed to the thread writing such lines (started if none
 * runs; without one, written here). */
static void
expire(struct commit_listener *l)
{
	struct commit_tx *gone = commit_run_expired(l->cr, net_now_ms());
	struct commit_tx **tail;
	int start;

	if (gone == NULL)
		return;
	pthread_mutex_lock(&l->mu);
	for (tail = &l->expired; *tail != NULL; tail = &(*tail)->next)
		;
	*tail = gone;
	start = !l->printing;
	if (start) {
		l->printing = 1;
		l->n_thr++;
	}
	pthread_mutex_unlock(&l->mu);
	if (!start || net_thread_detached(expired_thread, l, 0) == 0)
		return;
	pthread_mutex_lock(&l->mu);
	gone = l->expired;
	l->expired = NULL;
	l->printing = 0;
	l->n_thr--;
	pthread_mutex_unlock(&l->mu);
	commit_expired_report(gone, l->rp);
}

static void *
run(void *arg)
{
	struct commit_listener *l = arg;
	struct cs_err e = { 0, "" };
	int fd, full, wait_ms = RELEASE_WAIT_MS;
	uint64_t until;

	if (l->cfg->acse_timeout_ms > 0 && l->cfg->acse_timeout_ms < wait_ms)
		wait_ms = l->cfg->acse_timeout_ms;

	while (!over(l)) {
		expire(l);
		/* every slot taken: the next archive is not accepted (and
		 * cut) but left in the backlog until one ends, so that a
		 * burst of reports on as many associations loses none */
		pthread_mutex_lock(&l->mu);
		full = l->n_conn >= COMMIT_LISTEN_CONN_MAX;
		if (full)
			cv_wait_ms(l, TICK_MS);
		pthread_mutex_unlock(&l->mu);
		if (full)
			continue;
		if (net_wait_readable(l->fd, TICK_MS) <= 0)
			continue;
		fd = net_accept(l->fd, &e);
		if (fd >= 0 && start_conn(l, fd) != 0)
			close(fd);
	}
	/* nothing awaited any more: what brought no report is cut; what
	 * did is given a moment to end by itself (the archive's release
	 * answered), then cut */
	pthread_mutex_lock(&l->mu);
	cut_conns(l, 0);
	until = net_now_ms() + (uint64_t)wait_ms;
	while (l->n_conn > 0 && net_now_ms() < until)
		cv_wait_ms(l, (int)(until - net_now_ms()));
	cut_conns(l, 1);
	while (l->n_conn > 0 || l->n_thr > 0)
		pthread_cond_wait(&l->cv, &l->mu);
	pthread_mutex_unlock(&l->mu);
	return NULL;
}

int
commit_listen_start(struct commit_listener *l, struct cs_err *err)
{
	int k;

	l->lanes_done = 0;
	l->tls = NULL;
	l->n_conn = 0;
	l->n_thr = 0;
	l->expired = NULL;
	l->printing = 0;
	for (k = 0; k < COMMIT_LISTEN_CONN_MAX; k++)
		l->conn_fd[k] = -1;
	if (l->cfg->tls.enabled) {
		/* the archive's association as a receiver takes one: our
		 * certificate, the archive's required and checked against
		 * tls.ca */
		l->tls = tls_ctx_new(&l->cfg->tls, 1, err);
		if (l->tls == NULL)
			return err != NULL && err->code ? err->code : CS_E_TLS;
	}
	pthread_mutex_init(&l->mu, NULL);
	net_cond_init(&l->cv);
	if (net_thread_start(&l->th, run, l) != 0) {
		pthread_cond_destroy(&l->cv);
		pthread_mutex_destroy(&l->mu);
		tls_ctx_free(l->tls);
		l->tls = NULL;
		return cs_err_set(
		    err, CS_E_NOMEM, "cannot start the commitment listener");
	}
	return 0;
}

void
commit_listen_stop(struct commit_listener *l)
{
	pthread_mutex_lock(&l->cr->mu);
	l->lanes_done = 1;
	pthread_mutex_unlock(&l->cr->mu);
	pthread_join(l->th, NULL);
	pthread_cond_destroy(&l->cv);
	pthread_mutex_destroy(&l->mu);
	tls_ctx_free(l->tls);
	l->tls = NULL;
}
