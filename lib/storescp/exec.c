/*
 * exec.c - --exec: run a command after each stored object, without a
 * shell and without blocking the association (see scp.h).
 *
 * The command is started with posix_spawnp; "{}" anywhere in an
 * argument is replaced by the file's path.  Its standard input is
 * /dev/null and its standard output goes to our standard error, so that
 * it never mixes with the receiver's result lines.  A small detached
 * thread waits for it and logs a failure; failures are never fatal.
 */
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cstore/cstore.h"
#include "core/alloc.h"
#include "storescp/scp.h"
#include "core/banned.h"

extern char **environ;

struct waiter {
	struct storescp *s;
	pid_t pid;
	char path[];
};

static void
done(struct storescp *s)
{
	int last;

	pthread_mutex_lock(&s->exec_mu);
	s->exec_running--;
	last = s->exec_running == 0 && s->free_pending;
	pthread_mutex_unlock(&s->exec_mu);
	/* storescp_free left the server to us: we are the last user. */
	if (last)
		scp_destroy(s);
}

static void *
wait_child(void *arg)
{
	struct waiter *wt = arg;
	int st = 0;
	pid_t r;

	do
		r = waitpid(wt->pid, &st, 0);
	while (r < 0 && errno == EINTR);
	if (r == wt->pid && WIFEXITED(st) && WEXITSTATUS(st) != 0)
		scp_log(wt->s, STORESCP_LOG_ERROR,
		    "--exec for '%s' exited with status %d", wt->path,
		    WEXITSTATUS(st));
	else if (r == wt->pid && WIFSIGNALED(st))
		scp_log(wt->s, STORESCP_LOG_ERROR,
		    "--exec for '%s' killed by signal %d", wt->path, WTERMSIG(st));
	{
		struct storescp *s = wt->s;

		cs_free(wt);
		done(s);
	}
	return NULL;
}

/* arg with every "{}" replaced by path (heap). */
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

void
scp_exec(struct storescp *s, const char *path)
{
	const char *const *in = s->cfg.exec_argv;
	posix_spawn_file_actions_t fa;
	pthread_attr_t attr;
	pthread_t th;
	struct waiter *wt;
	size_t n = 0, i;
	char **argv;
	pid_t pid;
	int rc;

	while (in[n] != NULL)
		n++;
	argv = cs_calloc(n + 1, sizeof(*argv));
	wt = cs_malloc(sizeof(*wt) + strlen(path) + 1);
	if (argv == NULL || wt == NULL) {
		cs_free(argv);
		cs_free(wt);
		scp_log(s, STORESCP_LOG_ERROR, "--exec for '%s': out of memory", path);
		return;
	}
	for (i = 0; i < n; i++)
		if ((argv[i] = subst(in[i], path)) == NULL)
			break;
	rc = i < n ? ENOMEM : 0;
	if (rc == 0)
		rc = posix_spawn_file_actions_init(&fa);
	if (rc == 0) {
		posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
		posix_spawn_file_actions_adddup2(&fa, 2, 1);
		rc = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
		posix_spawn_file_actions_destroy(&fa);
	}
	for (i = 0; i < n; i++)
		cs_free(argv[i]);
	cs_free(argv);
	if (rc != 0) {
		scp_log(s, STORESCP_LOG_ERROR, "--exec '%s' for '%s': %s", in[0], path,
		    strerror(rc));
		cs_free(wt);
		return;
	}
	wt->s = s;
	wt->pid = pid;
	memcpy(wt->path, path, strlen(path) + 1);
	pthread_mutex_lock(&s->exec_mu);
	s->exec_running++;
	pthread_mutex_unlock(&s->exec_mu);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, 64 * 1024);
	if (pthread_create(&th, &attr, wait_child, wt) != 0) {
		/* Reap it here rather than leave a zombie. */
		wait_child(wt);
	}
	pthread_attr_destroy(&attr);
}
