/*
 * listen_fds.c - systemd socket activation (sd_listen_fds(3)'s
 * protocol, without libsystemd): the sockets passed from fd 3 on when
 * LISTEN_PID names this process and LISTEN_FDS counts them.
 */
#include <stdlib.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/listen_fds.h"
#include "core/banned.h"

#define SD_LISTEN_FDS_START 3

int
cli_listen_fds(void)
{
	const char *pid = getenv("LISTEN_PID"), *fds = getenv("LISTEN_FDS");
	long long p, n;

	if (pid == NULL || fds == NULL ||
	    cli_try_parse_num(pid, 10, 1, 0x7fffffff, &p) != 0 ||
	    (pid_t)p != getpid() ||
	    cli_try_parse_num(fds, 10, 0, 1024, &n) != 0)
		return 0;
	/* Children (--exec) must not take these for their own. */
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	return n > 0 ? (int)n : 0;
}

int
cli_systemd_socket(void)
{
	int n = cli_listen_fds();

	if (n > 1)
		cli_usage_error("systemd passed %d sockets: expected one", n);
	return n == 1 ? SD_LISTEN_FDS_START : 0;
}
