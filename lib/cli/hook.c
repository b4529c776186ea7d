/*
 * hook.c - dcmrecv --exec (see hook.h).
 *
 * Lifetime: h is shared by its owner and one reaper thread per running
 * command.  It is released by whoever is last: cli_hook_free when
 * nothing runs, else the reaper of the last command.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#include "core/alloc.h"
#include "cli/hook.h"
#include "net/net.h"
#include "core/banned.h"

extern char **environ;

struct reaper {
	struct cli_hook *h;
	struct reaper *next; /* in the queue */
	pid_t pid;
	char path[];
};

struct cli_hook {
	const char *const *argv;
	cli_hook_report_fn report;
	void *user;
	pthread_mutex_t mu; /* the fields below, and reports */
	pthread_cond_t ended;
	unsigned running; /* commands not reaped yet */
	unsigned jobs;    /* the most running at once; 0 = no limit */
	int every;        /* report successful ends too */
	unsigned queued;  /* waiting for a job, oldest first: */
	struct reaper *head, *tail;
	int freed; /* cli_hook_free was called: no more reports */
};

/* Reports one line; h->mu held. */
static void report(struct cli_hook *h, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
report(struct cli_hook *h, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	if (h->freed || h->report == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	h->report(h->user, line);
}

static void
destroy(struct cli_hook *h)
{
	pthread_cond_destroy(&h->ended);
	pthread_mutex_destroy(&h->mu);
	cs_free(h);
}

struct cli_hook *
cli_hook_new(const char *const *argv, cli_hook_report_fn fn, void *user)
{
	struct cli_hook *h = cs_calloc(1, sizeof(*h));

	if (h == NULL)
		return NULL;
	h->argv = argv;
	h->report = fn;
	h->user = user;
	pthread_mutex_init(&h->mu, NULL);
	net_cond_init(&h->ended);
	return h;
}

static int spawn(const struct cli_hook *h, const char *path, pid_t *pid);
static void report_spawn(struct cli_hook *h, const char *path, int rc);

/* Waits for r's command and reports how it ended; h->mu not held. */
static void
reap_one(struct reaper *r)
{
	struct cli_hook *h = r->h;
	int st = 0;
	pid_t got;

	do
		got = waitpid(r->pid, &st, 0);
	while (got < 0 && errno == EINTR);
	pthread_mutex_lock(&h->mu);
	if (got == r->pid && WIFEXITED(st) && WEXITSTATUS(st) != 0)
		report(h, "--exec for '%s' exited with status %d", r->path,
		    WEXITSTATUS(st));
	else if (got == r->pid && WIFSIGNALED(st))
		report(h, "--exec for '%s' killed by signal %d", r->path,
		    WTERMSIG(st));
	else if (got == r->pid && h->every)
		report(h, "--exec for '%s' exited with status 0", r->path);
	pthread_mutex_unlock(&h->mu);
}

/* The oldest queued command, or NULL; h->mu held. */
static struct reaper *
dequeue(struct cli_hook *h)
{
	struct reaper *r = h->head;

	if (r != NULL) {
		h->head = r->next;
		if (h->head == NULL)
			h->tail = NULL;
		h->queued--;
	}
	return r;
}

/* One job: reaps its command, then starts and reaps queued ones until
 * the queue is empty. */
static void *
reap(void *arg)
{
	struct reaper *r = arg;
	struct cli_hook *h = r->h;
	int last = 0, rc;

	while (r != NULL) {
		reap_one(r);
		cs_free(r);
		pthread_mutex_lock(&h->mu);
		while ((r = dequeue(h)) != NULL &&
		    (rc = spawn(h, r->path, &r->pid)) != 0) {
			report_spawn(h, r->path, rc);
			cs_free(r);
		}
		if (r == NULL)
			h->running--;
		last = h->running == 0 && h->freed;
		pthread_cond_broadcast(&h->ended);
		pthread_mutex_unlock(&h->mu);
	}
	if (last)
		destroy(h);
	return NULL;
}

/* arg with every "{}" replaced by path (heap), or NULL. */
static char *
subst(const char *arg, const char *path)
{
	size_t n = 0, plen = strlen(path);
	const char *p;
	char *out, *o;

	for (p = arg; *p != '\0'; p++, n++)
		if (p[0] == '{' && p[1] == '}') {
			n += plen - 1;
			p++;
		}
	out = cs_malloc(n + 1);
	if (out == NULL)
		return NULL;
	for (p = arg, o = out; *p != '\0'; p++) {
		if (p[0] == '{' && p[1] == '}') {
			memcpy(o, path, plen);
			o += plen;
			p++;
		} else {
			*o++ = *p;
		}
	}
	*o = '\0';
	return out;
}

/*
 * A hook starts as a command started from a shell would: dcmrecv ignores
 * SIGPIPE and SIGXFSZ for itself (a closed peer or RLIMIT_FSIZE is an
 * error there, not death), but
 * `cmd | head` in a hook must end quietly; no signal blocked.  The
 * helper process ignores SIGINT and SIGTERM (it ends when dcmrecv has
 * gone); its commands do not.
 */
int
cli_spawn_attr(posix_spawnattr_t *sa, short more_flags)
{
	sigset_t def, none;
	int rc;

	if ((rc = posix_spawnattr_init(sa)) != 0)
		return rc;
	sigemptyset(&def);
	sigaddset(&def, SIGPIPE);
	sigaddset(&def, SIGXFSZ);
	sigaddset(&def, SIGINT);
	sigaddset(&def, SIGTERM);
	sigemptyset(&none);
	rc = posix_spawnattr_setsigdefault(sa, &def);
	if (rc == 0)
		rc = posix_spawnattr_setsigmask(sa, &none);
	if (rc == 0)
		rc = posix_spawnattr_setflags(sa,
		    POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK |
			more_flags);
	if (rc != 0)
		posix_spawnattr_destroy(sa);
	return rc;
}

/* Spawns h's command for path into *pid; returns 0 or an errno value. */
static int
spawn(const struct cli_hook *h, const char *path, pid_t *pid)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t sa;
	size_t n = 0, i;
	char **argv;
	int rc;

	while (h->argv[n] != NULL)
		n++;
	argv = cs_calloc(n + 1, sizeof(*argv));
	if (argv == NULL)
		return ENOMEM;
	for (i = 0; i < n; i++)
		if ((argv[i] = subst(h->argv[i], path)) == NULL)
			break;
	rc = i < n ? ENOMEM : posix_spawn_file_actions_init(&fa);
	if (rc == 0 && (rc = cli_spawn_attr(&sa, 0)) != 0)
		posix_spawn_file_actions_destroy(&fa);
	if (rc == 0) {
		posix_spawn_file_actions_addopen(
		    &fa, 0, "/dev/null", O_RDONLY, 0);
		posix_spawn_file_actions_adddup2(&fa, 2, 1);
		rc = posix_spawnp(pid, argv[0], &fa, &sa, argv, environ);
		posix_spawn_file_actions_destroy(&fa);
		posix_spawnattr_destroy(&sa);
	}
	for (i = 0; i < n; i++)
		cs_free(argv[i]);
	cs_free(argv);
	return rc;
}

/* h->mu held. */
static void
report_spawn(struct cli_hook *h, const char *path, int rc)
{
	if (rc == ENOMEM)
		report(h, "--exec for '%s': out of memory", path);
	else
		report(h, "--exec '%s' for '%s': %s", h->argv[0], path,
		    strerror(rc));
}

void
cli_hook_set_jobs(struct cli_hook *h, unsigned jobs, int every)
{
	pthread_mutex_lock(&h->mu);
	h->jobs = jobs;
	h->every = every;
	pthread_mutex_unlock(&h->mu);
}

/* Queues r when every job is busy; returns 1 if queued.  h->mu held. */
static int
enqueue(struct cli_hook *h, struct reaper *r)
{
	if (h->jobs == 0 || h->running < h->jobs)
		return 0;
	r->next = NULL;
	if (h->tail != NULL)
		h->tail->next = r;
	else
		h->head = r;
	h->tail = r;
	h->queued++;
	return 1;
}

int
cli_hook_run(struct cli_hook *h, const char *path)
{
	size_t plen = strlen(path);
	struct reaper *r = cs_malloc(sizeof(*r) + plen + 1);
	int rc = r == NULL ? ENOMEM : 0;

	if (r != NULL) {
		r->h = h;
		memcpy(r->path, path, plen + 1);
	}
	pthread_mutex_lock(&h->mu);
	if (r != NULL && enqueue(h, r)) {
		pthread_mutex_unlock(&h->mu);
		return 0;
	}
	if (rc == 0)
		rc = spawn(h, path, &r->pid);
	if (rc != 0) {
		report_spawn(h, path, rc);
		pthread_mutex_unlock(&h->mu);
		cs_free(r);
		return -1;
	}
	h->running++;
	pthread_mutex_unlock(&h->mu);
	if (net_thread_detached(reap, r, 64 * 1024) != 0)
		reap(r); /* wait here rather than leave a zombie */
	return 0;
}

unsigned
cli_hook_wait(struct cli_hook *h, unsigned timeout_ms)
{
	struct timespec until;
	unsigned left;

	net_deadline_ms(&until, timeout_ms);
	pthread_mutex_lock(&h->mu);
	while (h->running + h->queued > 0 &&
	    pthread_cond_timedwait(&h->ended, &h->mu, &until) == 0)
		;
	left = h->running + h->queued;
	pthread_mutex_unlock(&h->mu);
	return left;
}

void
cli_hook_free(struct cli_hook *h)
{
	struct reaper *r;
	int now;

	if (h == NULL)
		return;
	pthread_mutex_lock(&h->mu);
	h->freed = 1;
	while ((r = dequeue(h)) != NULL)
		cs_free(r);
	now = h->running == 0;
	pthread_mutex_unlock(&h->mu);
	if (now)
		destroy(h);
}
