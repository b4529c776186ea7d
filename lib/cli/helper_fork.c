/* helper_fork.c - forking dcmrecv's helpers (see helper_fork.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "cli/exitcodes.h"
#include "cli/helper_fork.h"
#include "net/msgpair.h"
#include "core/banned.h"

pid_t
cli_helper_fork(int *fd)
{
	int sv[2], e;
	pid_t pid;

	if (net_msgpair(sv) != 0)
		return -1;
	fflush(NULL); /* nothing buffered is written twice */
	pid = fork();
	if (pid == 0) {
		if (sv[1] != CLI_HELPER_FD &&
		    dup3(sv[1], CLI_HELPER_FD, O_CLOEXEC) < 0)
			_exit(EXIT_INTERNAL);
		close_range(CLI_HELPER_FD + 1, ~0u, 0);
		return 0;
	}
	e = errno;
	close(sv[1]);
	if (pid < 0) {
		close(sv[0]);
		errno = e;
		return -1;
	}
	*fd = sv[0];
	return pid;
}
