/*
 * send_commit.h - dcmsend's storage commitment (--commit) on the command
 * line: the listener of --commit-listen, and the exit status of a
 * committing send.
 */
#ifndef CS_CLI_SEND_COMMIT_H
#define CS_CLI_SEND_COMMIT_H

#include "cstore/storescu.h"

/*
 * Opens the listener of --commit-listen [ADDR:]PORT into
 * send->commit_listen_fd (nothing when spec is NULL).  Returns 0, or
 * an exit status after saying why on stderr (unless quiet): EXIT_USAGE
 * for a malformed value, EXIT_OUTPUT when it cannot listen (the port
 * busy).
 */
int send_commit_listen(
    struct storescu_send_opts *send, const char *spec, int quiet);

/* The exit status of a send that went well as far as storing goes
 * (everything stored): 0 when every stored input is committed, else
 * EXIT_UNCOMMITTED. */
int send_commit_status(const struct storescu_summary *sum);

#endif
