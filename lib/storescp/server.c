/*
 * server.c - the receiver's listening loop (storescp.h): connections
 * wait for their A-ASSOCIATE-RQ in a budget of their own (pending.h),
 * then get one thread per association; limits (in all, per source
 * address) beyond which they get a transient rejection, the exit
 * conditions, and a graceful stop.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "cstore/cstore.h"
#include "cstore/storescp.h"
#include "core/alloc.h"
#include "net/net.h"
#include "storescp/commit_out.h"
#include "storescp/proxy.h"
#include "storescp/scp.h"
#include "core/banned.h"

/* Threads that only answer "limit exceeded": at most this many at once
 * beyond the limit; further connections are closed at once. */
#define MAX_REJECTING 64u
#define TICK_MS 250
/* Stopping: no association starts in the last this long of --grace
 * (shorter when the RQ window or half the grace is). */
#define STOP_LAST_MS 1000u

struct job {
	struct storescp *s;
	int fd;
	unsigned id;
	int over;
	int closed;    /* its connection closed: counted in s->reporting */
	int local;     /* a PROXY v2 LOCAL: the balancer's own (health check) */
	char host[64]; /* counted in s->hosts unless over or closed */
};

/* The count of associations from host (under s->mu); add: make one. */
static struct scp_host *
host_slot(struct storescp *s, const char *host, int add)
{
	for (size_t i = 0; i < s->n_hosts; i++)
		if (strcmp(s->hosts[i].host, host) == 0)
			return &s->hosts[i];
	if (!add || s->n_hosts >= s->cfg.max_associations)
		return NULL;
	snprintf(
	    s->hosts[s->n_hosts].host, sizeof(s->hosts[0].host), "%s", host);
	s->hosts[s->n_hosts].n = 0;
	return &s->hosts[s->n_hosts++];
}

static void
host_done(struct storescp *s, const char *host)
{
	struct scp_host *h = host_slot(s, host, 0);

	if (h != NULL && --h->n == 0)
		*h = s->hosts[--s->n_hosts];
}

void
storescp_request_stop(struct storescp *s)
{
	atomic_store(&s->stop_requested, 1);
	scp_wake(s);
}

/* scp_serve's closed: the association is over, its slot free for the
 * next one while the thread delivers the reports it still owes. */
static void
job_closed(void *arg)
{
	struct job *j = arg;
	struct storescp *s = j->s;

	pthread_mutex_lock(&s->mu);
	if (!j->over) {
		s->serving--;
		host_done(s, j->host);
	}
	s->reporting++;
	j->closed = 1;
	pthread_mutex_unlock(&s->mu);
}

static void *
worker(void *arg)
{
	struct job *j = arg;
	struct storescp *s = j->s;
	int served, counted;

	served = scp_serve(s, j->fd, j->id, j->over, job_closed, j);
	pthread_mutex_lock(&s->mu);
	s->active--;
	if (j->closed) {
		s->reporting--;
	} else if (!j->over) {
		s->serving--;
		host_done(s, j->host);
	}
	/* the balancer's health checks (a PROXY v2 LOCAL with nothing but
	 * C-ECHO on it) are no client's work: neither --max-assocs nor
	 * --idle-timeout counts them; a LOCAL that stored counts */
	counted = !j->local || (served & SCP_SERVED_WORK);
	if ((served & SCP_SERVED_ACCEPTED) && counted)
		s->ended++;
	if (counted)
		s->last_activity_ms = net_now_ms();
	/* woken under the lock: once it is released, storescp_run may see
	 * no association left and free s */
	scp_wake(s);
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mu);
	cs_free(j);
	return NULL;
}

/*
 * The pre-association budget: a quarter of the descriptors at most (the
 * rest for associations, their files and hooks), an eighth of it per
 * source address, and the RQ deadline within -t.
 */
static int
pending_setup(struct storescp *s)
{
	size_t cap = s->cfg.max_pending ? s->cfg.max_pending
					: STORESCP_DEFAULT_MAX_PENDING;
	unsigned per_host = s->cfg.max_pending_per_host;
	unsigned rq_ms = s->cfg.rq_timeout_ms ? s->cfg.rq_timeout_ms
					      : STORESCP_DEFAULT_RQ_TIMEOUT_MS;
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 &&
	    rl.rlim_cur != RLIM_INFINITY && cap > rl.rlim_cur / 4)
		cap = rl.rlim_cur / 4 > 4 ? (size_t)rl.rlim_cur / 4 : 4;
	if (per_host == 0)
		per_host = cap / 8 > 0 ? (unsigned)(cap / 8) : 1;
	if (rq_ms > s->cfg.timeout_ms)
		rq_ms = s->cfg.timeout_ms;
	/* behind a balancer every connection comes from its address: a
	 * share per address would be one share for all */
	if (s->cfg.proxy_protocol && s->cfg.max_pending_per_host == 0)
		per_host = (unsigned)cap;
	s->hosts = cs_calloc(s->cfg.max_associations, sizeof(*s->hosts));
	if (s->hosts == NULL)
		return CS_E_NOMEM;
	if (pending_init(&s->pend, cap, per_host, rq_ms, s->cfg.proxy_protocol))
		return CS_E_NOMEM;
	s->pend.tls = s->cfg.tls.enabled;
	return 0;
}

int
storescp_new(const struct storescp_config *cfg, struct storescp **out,
    struct cs_err *err)
{
	struct storescp *s;
	int rc;

	*out = NULL;
	s = cs_calloc(1, sizeof(*s));
	if (s == NULL)
		return cs_err_set(err, CS_E_NOMEM, "out of memory");
	s->lfd = -1;
	s->wake[0] = s->wake[1] = -1;
	s->root.dirfd = -1;
	s->index.fd = -1;
	s->cfg = *cfg;
	if (s->cfg.max_associations == 0)
		s->cfg.max_associations = STORESCP_DEFAULT_MAX_ASSOCIATIONS;
	if (s->cfg.timeout_ms == 0)
		s->cfg.timeout_ms = STORESCP_DEFAULT_TIMEOUT_MS;
	if (s->cfg.grace_ms == 0)
		s->cfg.grace_ms = STORESCP_DEFAULT_GRACE_MS;
	if (s->cfg.max_pdu == 0)
		s->cfg.max_pdu = STORESCP_DEFAULT_MAX_PDU;
	if (s->cfg.output_dir == NULL)
		s->cfg.output_dir = STORESCP_DEFAULT_OUTPUT_DIR;
	if (s->cfg.min_rate == 0)
		s->cfg.min_rate = STORESCP_DEFAULT_MIN_RATE;
	pthread_mutex_init(&s->mu, NULL);
	pthread_mutex_init(&s->tls_mu, NULL);
	atomic_init(&s->tls_reload, 0);
	net_cond_init(&s->cv);
	atomic_init(&s->stop_requested, 0);
	atomic_init(&s->hard_stop, 0);
	faults_init(&s->faults, &cfg->faults);
	rc = policy_init(&s->policy, &s->cfg, err);
	if (rc == 0)
		rc = layout_parse(&s->layout, s->cfg.layout, err);
	if (rc == 0 && (unsigned)s->cfg.on_duplicate > STORESCP_DUP_REJECT)
		rc = cs_err_set(err, CS_E_INVAL, "bad duplicate policy");
	if (rc == 0 && sink_root_open(&s->root, s->cfg.output_dir, err) != 0)
		rc = CS_E_IO;
	if (rc == 0 && s->cfg.commit)
		rc = commit_index_open(
		    &s->index, s->root.dirfd, s->cfg.fsync, err);
	if (rc == 0)
		rc = commit_peers_parse(s->cfg.commit_peers,
		    s->cfg.n_commit_peers, &s->commit_peers, err);
	if (rc == 0)
		s->n_commit_peers = s->cfg.n_commit_peers;
	if (rc == 0)
		rc = scp_debris_init(s, err);
	if (rc == 0 && pipe2(s->wake, O_CLOEXEC | O_NONBLOCK) != 0)
		rc = cs_err_set(
		    err, CS_E_IO, "cannot create a pipe: %s", strerror(errno));
	if (rc == 0)
		rc = scp_proxy_check(&s->cfg, err);
	if (rc == 0 && pending_setup(s) != 0)
		rc = cs_err_set(err, CS_E_NOMEM, "out of memory");
	if (rc == 0)
		rc = scp_tls_init(s, err);
	if (rc == 0)
		rc = scp_listen(s, err);
	if (rc == 0 &&
	    net_addr(s->lfd, 0, s->host, sizeof(s->host), &s->port) != 0)
		rc = cs_err_set(err, CS_E_NET, "cannot read the bound address");
	if (rc != 0) {
		storescp_free(s);
		return rc;
	}
	s->last_activity_ms = net_now_ms();
	*out = s;
	return 0;
}

int
storescp_addr(
    const struct storescp *s, char *host, size_t hostlen, unsigned *port)
{
	snprintf(host, hostlen, "%s", s->host);
	*port = s->port;
	return 0;
}

void
storescp_get_stats(struct storescp *s, struct storescp_stats *st)
{
	pthread_mutex_lock(&s->mu);
	*st = s->stats;
	pthread_mutex_unlock(&s->mu);
}

/* Why storescp_run should stop now, or NULL. */
static const char *
limit_reached(struct storescp *s, uint64_t now)
{
	const char *why = NULL;

	if (atomic_load(&s->stop_requested))
		return "asked to stop";
	pthread_mutex_lock(&s->mu);
	if (s->cfg.max_files > 0 && s->stats.stored >= s->cfg.max_files)
		why = "--max-files reached";
	else if (s->cfg.max_assocs > 0 && s->ended >= s->cfg.max_assocs)
		why = "--max-assocs reached";
	else if (s->cfg.idle_timeout_ms > 0 && s->active == 0 &&
	    now - s->last_activity_ms >= s->cfg.idle_timeout_ms)
		why = "--idle-timeout reached";
	pthread_mutex_unlock(&s->mu);
	return why;
}

/* A whole A-ASSOCIATE-RQ waits on fd: a thread answers it, counted
 * against the limits in all and per source address (host: the client
 * a PROXY header names, when there is one). */
static void
start_worker(void *ctx, int fd, const char *host, int local)
{
	struct storescp *s = ctx;
	struct scp_host *h = NULL;
	struct job *j;
	int over;

	pthread_mutex_lock(&s->mu);
	over = s->serving >= s->cfg.max_associations ? SCP_OVER_ALL : 0;
	if (!over && s->cfg.max_per_host > 0) {
		h = host_slot(s, host, 0);
		if (h != NULL && h->n >= s->cfg.max_per_host)
			over = SCP_OVER_HOST;
	}
	if (over && s->active - s->serving - s->reporting >= MAX_REJECTING) {
		pthread_mutex_unlock(&s->mu);
		scp_log(s, STORESCP_LOG_ERROR,
		    "too many connections at once: one closed unanswered");
		close(fd);
		return;
	}
	j = cs_calloc(1, sizeof(*j));
	if (j == NULL) {
		pthread_mutex_unlock(&s->mu);
		close(fd);
		return;
	}
	j->s = s;
	j->fd = fd;
	j->over = over;
	j->local = local;
	snprintf(j->host, sizeof(j->host), "%s", host);
	j->id = ++s->next_id;
	s->active++;
	if (!over) {
		s->serving++;
		if ((h = host_slot(s, host, 1)) != NULL)
			h->n++;
	}
	pthread_mutex_unlock(&s->mu);
	if (net_thread_detached(worker, j, 0) != 0) {
		scp_log(s, STORESCP_LOG_ERROR,
		    "cannot start a thread for a connection: closed");
		pthread_mutex_lock(&s->mu);
		s->active--;
		if (!over) {
			s->serving--;
			host_done(s, host);
		}
		pthread_mutex_unlock(&s->mu);
		close(fd);
		cs_free(j);
	}
}

static void
drain_wake(struct storescp *s)
{
	char buf[64];

	while (read(s->wake[0], buf, sizeof(buf)) > 0)
		;
}

/* Waits (at most until deadline, 0 = forever) for no association to run. */
static void
wait_idle(struct storescp *s, uint64_t deadline)
{
	pthread_mutex_lock(&s->mu);
	while (s->active > 0) {
		uint64_t now = net_now_ms();
		struct timespec ts;

		if (deadline != 0 && now >= deadline)
			break;
		net_deadline_ms(&ts, 100);
		pthread_cond_timedwait(&s->cv, &s->mu, &ts);
	}
	pthread_mutex_unlock(&s->mu);
}

/*
 * Accepts what waits (64 at most per turn) into the pending budget,
 * which may close one that waits to make room (pending_add says which;
 * the log names it).  Out of descriptors, the budget shrinks to half of
 * what it holds, the oldest closed first, so that the next one can come
 * in and associations keep descriptors for their files; with none to
 * close, a pause.
 */
static int
accept_some(struct storescp *s, uint64_t now)
{
	for (int i = 0; i < 64; i++) {
		struct cs_err aerr = { 0, "" };
		char host[64], peer[80];
		unsigned port = 0;
		int n, fd = net_accept(s->lfd, &aerr);

		if (fd == CS_E_AGAIN)
			return 1;
		if (fd < 0 && net_accept_emfile() &&
		    (n = pending_shrink(&s->pend)) > 0) {
			scp_log(s, STORESCP_LOG_ERROR,
			    "%s: closed the %d oldest connection%s without an A-ASSOCIATE-RQ, now at most %zu",
			    aerr.msg, n, n == 1 ? "" : "s", s->pend.cap);
			continue;
		}
		if (fd < 0) {
			/* EMFILE and friends: say so, breathe, go on. */
			scp_log(s, STORESCP_LOG_ERROR, "%s", aerr.msg);
			nanosleep(
			    &(struct timespec){ 0, 100 * 1000000L }, NULL);
			return 1;
		}
		/* reset before we looked (a balancer's TCP health check
		 * closes with RST): gone, and no address to judge */
		if (net_addr(fd, 1, host, sizeof(host), &port) != 0) {
			scp_log(s, STORESCP_LOG_VERBOSE,
			    "a connection was reset before it could be read");
			close(fd);
			continue;
		}
		snprintf(peer, sizeof(peer),
		    strchr(host, ':') ? "[%s]:%u" : "%s:%u", host, port);
		if (!scp_proxy_from_ok(s, host)) {
			scp_log(s, STORESCP_LOG_ERROR,
			    "connection from %s closed: not a --proxy-from address",
			    peer);
			close(fd);
			continue;
		}
		/* which one went: its address's oldest, or another
		 * address's over its share, or the oldest of all */
		if (pending_add(&s->pend, fd, host, peer, now) > 0)
			scp_log(s, STORESCP_LOG_VERBOSE,
			    "connection from %s closed before its A-ASSOCIATE-RQ, to make room for %s (at most %u waiting per address, %zu in all)",
			    s->pend.gone, peer, s->pend.per_host, s->pend.cap);
	}
	return 0;
}

/*
 * Asked to stop: the connections the kernel has already accepted for us
 * (its backlog, which close would reset: a sender that does not retry
 * would fail, and beside --reuse-port siblings none would come back to
 * us) join the pending ones, then the port closes; they are served
 * within the grace time as the associations in flight are.  A pending
 * one past its RQ window is refused from now on, not closed silently.
 * Returns the end of the grace time; *last_at gets the time from which
 * no association starts (the last min(RQ window, 1 s, grace / 2) of
 * it, too short to be served: accepted then, it would only be aborted
 * at the end), those still pending then getting the transient
 * rejection.
 */
static uint64_t
stop_listening(struct storescp *s, uint64_t now, uint64_t *last_at)
{
	uint64_t end = now + s->cfg.grace_ms, last = s->pend.rq_ms;

	for (int i = 0; i < 64 && !accept_some(s, now); i++)
		;
	close(s->lfd);
	s->lfd = -1;
	s->pend.stopping = 1;
	if (last > STOP_LAST_MS)
		last = STOP_LAST_MS;
	if (last > s->cfg.grace_ms / 2)
		last = s->cfg.grace_ms / 2;
	*last_at = end - last;
	scp_log(s, STORESCP_LOG_VERBOSE,
	    "stopping: %zu connection%s waiting for an A-ASSOCIATE-RQ, associations start for %llu ms more",
	    s->pend.n, s->pend.n == 1 ? "" : "s",
	    (unsigned long long)(*last_at - now));
	return end;
}

/* A connection closed before its RQ: said at once only when it never
 * sent its PROXY header (a balancer misconfigured), else -v. */
static void
pending_gone(void *ctx, const struct pend_conn *c, int timeout)
{
	struct storescp *s = ctx;

	if (timeout && c->header)
		scp_log(s, STORESCP_LOG_ERROR,
		    "connection from %s closed: no PROXY protocol header within %u s",
		    c->peer, s->pend.rq_ms / 1000);
	else if (timeout && s->pend.stopping && s->pend.tls)
		/* no rejection before a handshake (pending.c's refuse) */
		scp_log(s, STORESCP_LOG_ERROR,
		    "connection from %s closed: no TLS handshake within %u s, the receiver is stopping",
		    c->peer, s->pend.rq_ms / 1000);
	else if (timeout && s->pend.stopping)
		scp_log(s, STORESCP_LOG_ERROR,
		    "connection from %s rejected: no whole A-ASSOCIATE-RQ within %u s, the receiver is stopping",
		    c->peer, s->pend.rq_ms / 1000);
	else
		scp_log(s, STORESCP_LOG_VERBOSE,
		    "connection from %s closed: %s", c->peer,
		    timeout ? "no whole A-ASSOCIATE-RQ in time"
			    : "the peer left before its A-ASSOCIATE-RQ");
}

int
storescp_run(struct storescp *s, struct cs_err *err)
{
	const struct pending_cb pcb = { start_worker, pending_gone, s };
	struct pollfd *pfd;
	const char *why = NULL;
	unsigned in_flight;
	uint64_t stop_at = 0, last_at = 0;
	int rc = 0;

	if (s->running)
		return cs_err_set(
		    err, CS_E_STATE, "the receiver is already running");
	pfd = cs_calloc(2 + s->pend.cap, sizeof(*pfd));
	if (pfd == NULL)
		return cs_err_set(err, CS_E_NOMEM, "out of memory");
	s->running = 1;
	for (;;) {
		uint64_t now = net_now_ms();
		int wait_ms = TICK_MS;
		size_t np;

		if (s->lfd >= 0 && (why = limit_reached(s, now)) != NULL) {
			/* a limit: no association starts after it */
			if (!atomic_load(&s->stop_requested))
				break;
			stop_at = stop_listening(s, now, &last_at);
		}
		if (s->lfd < 0 && (s->pend.n == 0 || now >= last_at))
			break;
		pfd[0] = (struct pollfd){ .fd = s->lfd, .events = POLLIN };
		pfd[1] = (struct pollfd){ .fd = s->wake[0], .events = POLLIN };
		np = pending_pollfds(&s->pend, pfd + 2, now, &wait_ms);
		if (s->lfd < 0 && last_at - now < (uint64_t)wait_ms)
			wait_ms = (int)(last_at - now);
		if (poll(pfd, 2 + np, wait_ms) < 0) {
			if (errno == EINTR)
				continue;
			rc = cs_err_set(
			    err, CS_E_NET, "poll: %s", strerror(errno));
			why = "error";
			break;
		}
		if (pfd[1].revents & POLLIN)
			drain_wake(s);
		scp_tls_reload_if_asked(s);
		now = net_now_ms();
		/* stopping, in the last of the grace time: none starts */
		if (s->lfd < 0 && now >= last_at)
			break;
		pending_service(&s->pend, pfd + 2, np, now, &pcb);
		if (s->lfd >= 0 &&
		    (pfd[0].revents & (POLLIN | POLLERR | POLLHUP)))
			accept_some(s, now);
	}
	cs_free(pfd);
	/* Stop accepting: new connections are refused by the kernel; those
	 * not yet associated get the transient rejection (but under TLS)
	 * and are closed. */
	if (s->lfd >= 0)
		close(s->lfd);
	s->lfd = -1;
	if (s->pend.n > 0)
		scp_log(s, STORESCP_LOG_ERROR,
		    "%zu connection%s not yet associated closed: the receiver is stopping",
		    s->pend.n, s->pend.n == 1 ? "" : "s");
	pending_refuse_all(&s->pend);
	pending_release(&s->pend);
	pthread_mutex_lock(&s->mu);
	in_flight = s->active;
	pthread_mutex_unlock(&s->mu);
	scp_log(s, STORESCP_LOG_VERBOSE,
	    "stopping (%s): %u association%s in flight", why, in_flight,
	    in_flight == 1 ? "" : "s");
	wait_idle(s, stop_at != 0 ? stop_at : net_now_ms() + s->cfg.grace_ms);
	pthread_mutex_lock(&s->mu);
	in_flight = s->active;
	pthread_mutex_unlock(&s->mu);
	if (in_flight > 0) {
		scp_log(s, STORESCP_LOG_ERROR,
		    "grace time over: aborting %u association%s", in_flight,
		    in_flight == 1 ? "" : "s");
		atomic_store(&s->hard_stop, 1);
		/* Each ends within a slice plus the abort's 2 s. */
		wait_idle(s, 0);
	}
	return rc;
}

void
storescp_free(struct storescp *s)
{
	if (s == NULL)
		return;
	if (s->lfd >= 0)
		close(s->lfd);
	if (s->wake[0] >= 0)
		close(s->wake[0]);
	if (s->wake[1] >= 0)
		close(s->wake[1]);
	commit_index_close(&s->index);
	cs_free(s->commit_peers);
	sink_root_close(&s->root);
	scp_debris_release(s);
	policy_release(&s->policy);
	pending_release(&s->pend);
	cs_free(s->hosts);
	scp_tls_release(s);
	pthread_cond_destroy(&s->cv);
	pthread_mutex_destroy(&s->mu);
	cs_free(s);
}
