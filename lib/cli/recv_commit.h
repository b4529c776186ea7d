/*
 * recv_commit.h - dcmrecv's Storage Commitment options: --commit, --commit-peer
 * AET=HOST:PORT (repeatable), --commit-delay MS, --commit-fail N,
 * --commit-respond STATUS.  Each but the first implies --commit.  Usage errors print and
 * exit, as cli_usage_error does.
 */
#ifndef CS_CLI_RECV_COMMIT_H
#define CS_CLI_RECV_COMMIT_H

#include "cli/recv_args.h"

/* The --help lines of these options. */
extern const char recv_commit_help[];

/* --commit-peer: checks "AET=HOST:PORT" and appends it. */
void recv_commit_peer(struct recv_args *a, const char *arg);
/* --commit-delay: milliseconds, 0-3600000. */
void recv_commit_delay(struct recv_args *a, const char *arg);
/* --commit-fail: N >= 1, every N-th instance of a request fails. */
void recv_commit_fail(struct recv_args *a, const char *arg);
/* --commit-respond: a status other than 0000 for every N-ACTION. */
void recv_commit_respond(struct recv_args *a, const char *arg);

#endif
