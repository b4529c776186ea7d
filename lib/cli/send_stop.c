/* send_stop.c - dcmsend's lines when interrupted (send_stop.h). */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/send_out.h"
#include "cli/send_stop.h"
#include "net/net.h"

#include "core/banned.h"

/* One run per process: the inputs, which have their line, and the lock
 * every line is written under. */
static struct {
	pthread_mutex_t mu;
	const char *const *paths;
	size_t n;
	unsigned char *done;
	const struct cli_out *out;
	sigset_t set; /* SIGTERM, SIGINT unless inherited as ignored */
} stop = { .mu = PTHREAD_MUTEX_INITIALIZER };

static volatile sig_atomic_t stop_sig; /* the signal being honoured */

static void
stop_set(sigset_t *s)
{
	*s = stop.set;
}

/* Our lines stuck on a full pipe: end by the signal taken, as without
 * them (143, 130), not by SIGALRM. */
static void
stuck(int alrm)
{
	sigset_t s;

	(void)alrm;
	signal(stop_sig, SIG_DFL);
	sigemptyset(&s);
	sigaddset(&s, stop_sig);
	sigprocmask(SIG_UNBLOCK, &s, NULL);
	raise(stop_sig);
	_exit(128 + stop_sig);
}

/* The lines of the inputs without one, then the signal's own end. */
static void
interrupted(int sig)
{
	char why[160];
	size_t k, left;
	struct timespec until;
	sigset_t s;
	int locked;

	/* a reader that takes nothing must not keep the process alive: a
	 * line stuck in a write holds the lock (then no lines, no flush),
	 * and ours may stick too (then SIGALRM ends it) */
	stop_sig = sig;
	signal(SIGALRM, stuck);
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 3;
	alarm(5);
	/* held from here: no other line after these */
	locked = pthread_mutex_timedlock(&stop.mu, &until) == 0;
	snprintf(why, sizeof(why),
	    "dcmsend interrupted (%s) before its response: not known to be "
	    "stored",
	    sig == SIGINT ? "SIGINT" : "SIGTERM");
	for (k = 0, left = 0; locked && k < stop.n; k++) {
		struct storescu_result r = {
			.path = stop.paths[k],
			.index = k,
			.outcome = STORESCU_NOTSENT,
			.sop_class = "",
			.sop_instance = "",
			.ts_original = "",
			.ts_sent = "",
			.error_comment = "",
			.detail = why,
		};

		if (!stop.done[k]) {
			send_out_result(stop.out, &r);
			left++;
		}
	}
	if (locked)
		fflush(stdout);
	if (stop.out != NULL || !locked) /* else nothing to say yet */
		fprintf(stderr,
		    locked
			? "%s: interrupted (%s): %zu input%s without a response\n"
			: "%s: interrupted (%s): standard output takes nothing, "
			  "no lines for the inputs without one\n",
		    cli_progname(), sig == SIGINT ? "SIGINT" : "SIGTERM", left,
		    left == 1 ? "" : "s");
	signal(sig, SIG_DFL);
	stop_set(&s);
	pthread_sigmask(SIG_UNBLOCK, &s, NULL);
	raise(sig);
	_exit(128 + sig); /* not reached: the default action ends it */
}

static void *
watch(void *arg)
{
	sigset_t s;
	int sig = 0;

	(void)arg;
	/* named: it converts nothing (tests/interop/transcode-ahead.bats
	 * counts the threads that may) */
	(void)prctl(PR_SET_NAME, "send-stop");
	stop_set(&s);
	while (sigwait(&s, &sig) != 0)
		;
	interrupted(sig);
	return NULL;
}

void
send_stop_block(void)
{
	struct sigaction old;
	const int sigs[] = { SIGTERM, SIGINT };
	size_t k;

	/* a signal inherited as ignored (SIGINT of a non-interactive
	 * shell's background job) stays ignored: not taken by sigwait */
	sigemptyset(&stop.set);
	for (k = 0; k < sizeof(sigs) / sizeof(sigs[0]); k++)
		if (sigaction(sigs[k], NULL, &old) != 0 ||
		    old.sa_handler != SIG_IGN)
			sigaddset(&stop.set, sigs[k]);
	if (sigismember(&stop.set, SIGTERM) != 1 &&
	    sigismember(&stop.set, SIGINT) != 1)
		return;
	pthread_sigmask(SIG_BLOCK, &stop.set, NULL);
	/* at once: a signal before the inputs are known ends the process
	 * as it did (every other signal blocked there: SIGHUP goes to the
	 * main thread, as from the library's threads) */
	if (net_thread_detached(watch, NULL, 0) != 0)
		pthread_sigmask(SIG_UNBLOCK, &stop.set, NULL);
}

void
send_stop_watch(const char *const *paths, size_t n, const struct cli_out *o)
{
	unsigned char *done = paths != NULL ? calloc(n > 0 ? n : 1, 1) : NULL;

	pthread_mutex_lock(&stop.mu);
	free(stop.done);
	/* without memory, no lines: the signal still ends the process */
	stop.done = done;
	stop.paths = done != NULL ? paths : NULL;
	stop.n = done != NULL ? n : 0;
	stop.out = done != NULL ? o : NULL;
	pthread_mutex_unlock(&stop.mu);
}

int
send_stop_plan(
    const struct cli_out *o, const struct storescu_plan_assoc *a, int probe)
{
	int rc;

	pthread_mutex_lock(&stop.mu);
	rc = send_out_plan(o, a, probe);
	pthread_mutex_unlock(&stop.mu);
	return rc;
}

void
send_stop_result(const struct cli_out *o, const struct storescu_result *r)
{
	pthread_mutex_lock(&stop.mu);
	if (stop.done != NULL && r->index < stop.n)
		stop.done[r->index] = 1;
	send_out_result(o, r);
	pthread_mutex_unlock(&stop.mu);
}
