/*
 * hook_sep.c - the --exec helper process (see hook_sep.h).
 *
 * Messages (SOCK_SEQPACKET, one per send): "R" + path to run a command,
 * "W" + decimal milliseconds to wait, answered with the decimal count
 * still running or queued.
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include "core/alloc.h"
#include "cli/exitcodes.h"
#include "cli/helper_fork.h"
#include "cli/hook_sep.h"
#include "net/msgpair.h"
#include "core/banned.h"

struct cli_hook_sep {
	int fd;
	pid_t pid;
};

/* Answers one wait request. */
static void
helper_wait(int fd, struct cli_hook *h, const char *ms)
{
	char out[32];
	unsigned long v = strtoul(ms, NULL, 10);
	int n;

	n = snprintf(out, sizeof(out), "%u",
	    cli_hook_wait(h, v > UINT_MAX ? UINT_MAX : (unsigned)v));
	(void)net_msg_send(fd, out, (size_t)n);
}

/* The helper: serves the receiver until it has gone, then lets every
 * command end. */
static void __attribute__((noreturn)) helper(const char *const *argv,
    unsigned jobs, int every, cli_hook_report_fn report, void *user)
{
	static char msg[PATH_MAX + 2];
	struct cli_hook *h;
	ssize_t n;

	signal(SIGINT, SIG_IGN);
	signal(SIGTERM, SIG_IGN);
	if ((h = cli_hook_new(argv, report, user)) == NULL)
		_exit(EXIT_INTERNAL);
	cli_hook_set_jobs(h, jobs, every);
	for (;;) {
		n = net_msg_recv(CLI_HELPER_FD, msg, sizeof(msg) - 1);
		if (n <= 0)
			break;
		msg[n] = '\0';
		if (msg[0] == 'R')
			cli_hook_run(h, msg + 1);
		else if (msg[0] == 'W')
			helper_wait(CLI_HELPER_FD, h, msg + 1);
	}
	while (cli_hook_wait(h, 3600000) > 0)
		;
	_exit(0);
}

struct cli_hook_sep *
cli_hook_sep_start(const char *const *argv, unsigned jobs, int every,
    cli_hook_report_fn report, void *user)
{
	struct cli_hook_sep *s = cs_calloc(1, sizeof(*s));

	if (s == NULL)
		return NULL;
	s->pid = cli_helper_fork(&s->fd);
	if (s->pid == 0)
		helper(argv, jobs, every, report, user);
	if (s->pid < 0) {
		cs_free(s);
		return NULL;
	}
	return s;
}

int
cli_hook_sep_run(struct cli_hook_sep *s, const char *path)
{
	char msg[PATH_MAX + 2];
	int n = snprintf(msg, sizeof(msg), "R%s", path);

	if (n < 0 || (size_t)n >= sizeof(msg))
		return -1;
	return net_msg_send(s->fd, msg, (size_t)n);
}

unsigned
cli_hook_sep_wait(struct cli_hook_sep *s, unsigned timeout_ms)
{
	char msg[32];
	int n = snprintf(msg, sizeof(msg), "W%u", timeout_ms);
	ssize_t got;

	if (net_msg_send(s->fd, msg, (size_t)n) != 0)
		return 0;
	got = net_msg_recv(s->fd, msg, sizeof(msg) - 1);
	if (got <= 0)
		return 0;
	msg[got] = '\0';
	return (unsigned)strtoul(msg, NULL, 10);
}

void
cli_hook_sep_close(struct cli_hook_sep *s)
{
	if (s == NULL)
		return;
	close(s->fd);
	cs_free(s);
}
