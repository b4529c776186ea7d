/*
 * server.c - the receiver's listening loop (storescp.h): one thread per
 * association, a limit beyond which connections get a transient
 * rejection, the exit conditions, and a graceful stop.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cstore/cstore.h"
#include "cstore/storescp.h"
#include "core/alloc.h"
#include "net/net.h"
#include "storescp/proxy.h"
#include "storescp/scp.h"
#include "core/banned.h"

/* Threads that only answer "limit exceeded": at most this many at once
 * beyond the limit; further connections are closed at once. */
#define MAX_REJECTING 64u
#define TICK_MS 250

struct job {
	struct storescp *s;
	int fd;
	unsigned id;
	int over;
};

void
storescp_request_stop(struct storescp *s)
{
	atomic_store(&s->stop_requested, 1);
	scp_wake(s);
}

static void *
worker(void *arg)
{
	struct job *j = arg;
	struct storescp *s = j->s;
	int accepted;

	accepted = scp_serve(s, j->fd, j->id, j->over);
	pthread_mutex_lock(&s->mu);
	s->active--;
	if (!j->over)
		s->serving--;
	if (accepted)
		s->ended++;
	s->last_activity_ms = net_now_ms();
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mu);
	scp_wake(s);
	cs_free(j);
	return NULL;
}

int
storescp_new(const struct storescp_config *cfg, struct storescp **out,
    struct cs_err *err)
{
	struct storescp *s;
	pthread_condattr_t ca;
	int rc;

	*out = NULL;
	s = cs_calloc(1, sizeof(*s));
	if (s == NULL)
		return cs_err_set(err, CS_E_NOMEM, "out of memory");
	s->lfd = -1;
	s->wake[0] = s->wake[1] = -1;
	s->root.dirfd = -1;
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
	pthread_mutex_init(&s->mu, NULL);
	pthread_mutex_init(&s->tls_mu, NULL);
	atomic_init(&s->tls_reload, 0);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&s->cv, &ca);
	pthread_condattr_destroy(&ca);
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
	if (rc == 0 && pipe2(s->wake, O_CLOEXEC | O_NONBLOCK) != 0)
		rc = cs_err_set(
		    err, CS_E_IO, "cannot create a pipe: %s", strerror(errno));
	if (rc == 0)
		rc = scp_proxy_check(&s->cfg, err);
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

static void
start_worker(struct storescp *s, int fd)
{
	pthread_attr_t attr;
	pthread_t th;
	struct job *j;
	int over;

	pthread_mutex_lock(&s->mu);
	over = s->serving >= s->cfg.max_associations;
	if (over && s->active - s->serving >= MAX_REJECTING) {
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
	j->id = ++s->next_id;
	s->active++;
	if (!over)
		s->serving++;
	pthread_mutex_unlock(&s->mu);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	if (pthread_create(&th, &attr, worker, j) != 0) {
		scp_log(s, STORESCP_LOG_ERROR,
		    "cannot start a thread for a connection: closed");
		pthread_mutex_lock(&s->mu);
		s->active--;
		if (!over)
			s->serving--;
		pthread_mutex_unlock(&s->mu);
		close(fd);
		cs_free(j);
	}
	pthread_attr_destroy(&attr);
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
		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_nsec += 100 * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&s->cv, &s->mu, &ts);
	}
	pthread_mutex_unlock(&s->mu);
}

int
storescp_run(struct storescp *s, struct cs_err *err)
{
	const char *why;
	unsigned in_flight;
	int rc = 0;

	if (s->running)
		return cs_err_set(
		    err, CS_E_STATE, "the receiver is already running");
	s->running = 1;
	for (;;) {
		struct pollfd pfd[2];
		uint64_t now = net_now_ms();

		if ((why = limit_reached(s, now)) != NULL)
			break;
		pfd[0] = (struct pollfd){ .fd = s->lfd, .events = POLLIN };
		pfd[1] = (struct pollfd){ .fd = s->wake[0], .events = POLLIN };
		if (poll(pfd, 2, TICK_MS) < 0) {
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
		if (!(pfd[0].revents & (POLLIN | POLLERR | POLLHUP)))
			continue;
		for (int i = 0; i < 64; i++) {
			struct cs_err aerr = { 0, "" };
			int fd = net_accept(s->lfd, &aerr);

			if (fd == CS_E_AGAIN)
				break;
			if (fd < 0) {
				/* EMFILE and friends: say so, breathe, go on. */
				scp_log(s, STORESCP_LOG_ERROR, "%s", aerr.msg);
				nanosleep(
				    &(struct timespec){ 0, 100 * 1000000L },
				    NULL);
				break;
			}
			start_worker(s, fd);
		}
	}
	/* Stop accepting: new connections are refused by the kernel. */
	close(s->lfd);
	s->lfd = -1;
	pthread_mutex_lock(&s->mu);
	in_flight = s->active;
	pthread_mutex_unlock(&s->mu);
	scp_log(s, STORESCP_LOG_VERBOSE,
	    "stopping (%s): %u association%s in flight", why, in_flight,
	    in_flight == 1 ? "" : "s");
	wait_idle(s, net_now_ms() + s->cfg.grace_ms);
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
	sink_root_close(&s->root);
	policy_release(&s->policy);
	scp_tls_release(s);
	pthread_cond_destroy(&s->cv);
	pthread_mutex_destroy(&s->mu);
	cs_free(s);
}
