/*
 * helper_fork.h - the helper processes dcmrecv forks before it confines
 * itself (--exec, --identity-hook), joined to it by a message socket.
 */
#ifndef CS_CLI_HELPER_FORK_H
#define CS_CLI_HELPER_FORK_H

#include <sys/types.h>

/* The helper's end of the socket, in the helper. */
#define CLI_HELPER_FD 3

/*
 * Forks a helper.  In the helper returns 0, the socket at CLI_HELPER_FD
 * (close-on-exec: no command it starts inherits it) and every
 * descriptor above it closed.  In the caller returns the helper's pid,
 * the caller's end in *fd; -1 with errno set when it could not fork.
 */
pid_t cli_helper_fork(int *fd);

#endif
