/*
 * sandbox.h - dcmrecv confines itself once it is listening:
 * no_new_privs, a Landlock ruleset (files it may read, directories it
 * may write beneath) and a seccomp-bpf allow-list of system calls.
 *
 * The caller names every path; other features (certificates read again
 * on SIGHUP, a users file, an index under the output directory) add
 * their paths to the lists before cli_sandbox_enter.  Sockets stay
 * allowed: accept, and connect for reports on a new association.
 * Landlock's network rules are not used.
 */
#ifndef CS_CLI_SANDBOX_H
#define CS_CLI_SANDBOX_H

#include <stddef.h>

#include "cstore/cstore.h"

/* The most paths of each list. */
#define CLI_SANDBOX_MAX_PATHS 32

struct cli_sandbox {
	/* Files or directories (and what is beneath) opened for reading. */
	const char *read[CLI_SANDBOX_MAX_PATHS];
	size_t n_read;
	/* Directories beneath which files and directories are created,
	 * written, renamed and removed (read too). */
	const char *write[CLI_SANDBOX_MAX_PATHS];
	size_t n_write;
	/* Set by cli_sandbox_enter: what is in force (0: not). */
	int landlock_abi, seccomp;
};

/* One line without newline: a feature the kernel lacks, or an outer
 * filter refuses, skipped. */
typedef void (*cli_sandbox_note_fn)(void *user, const char *line);

/* Adds path to a list; returns 0, or -1 when the list is full. */
int cli_sandbox_add_read(struct cli_sandbox *sb, const char *path);
int cli_sandbox_add_write(struct cli_sandbox *sb, const char *path);

/*
 * Confines the calling process for good (threads started afterwards
 * inherit it; start none before).  A feature the kernel lacks is
 * noted once through note and skipped.  Returns 0, or a CS_E_* code
 * with err set when a step failed that the kernel has (the caller
 * should not serve half confined).
 */
int cli_sandbox_enter(struct cli_sandbox *sb, cli_sandbox_note_fn note,
    void *user, struct cs_err *err);

/* The steps, in lib/cli/sandbox_landlock.c and sandbox_seccomp.c.
 * Each returns 0, 1 when the kernel lacks the feature or a seccomp
 * filter around the process refuses it with EPERM (systemd's
 * SystemCallErrorNumber=; *why set to a static phrase), or a CS_E_*
 * code with err set. */
int cli_sandbox_landlock(
    struct cli_sandbox *sb, const char **why, struct cs_err *err);
int cli_sandbox_seccomp(const char **why, struct cs_err *err);

#endif
