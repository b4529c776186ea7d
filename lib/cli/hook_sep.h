/*
 * hook_sep.h - dcmrecv --exec from a helper process (privilege
 * separation, as OpenSSH's monitor): the helper is forked before the
 * receiver confines itself, so that a hook may run any program and
 * write anywhere its user may, while the receiver can do neither.
 *
 * The receiver sends each stored file's path over a socket pair; the
 * helper runs the command (lib/cli/hook, at most jobs at once, the rest
 * queued) and reports each failure on its own standard error.  When
 * the receiver goes away, the helper runs what is queued, reports the
 * end of every command and exits: no command's end goes unreported.
 */
#ifndef CS_CLI_HOOK_SEP_H
#define CS_CLI_HOOK_SEP_H

#include "cli/hook.h"

struct cli_hook_sep;

/*
 * Forks the helper for argv (borrowed), reporting through report in
 * the helper process (with every, successful ends too).  Call it while the process has one thread.  The
 * helper keeps descriptors 0-2 and its end of the socket only.
 * Returns NULL with errno set when it could not be started.
 */
struct cli_hook_sep *cli_hook_sep_start(const char *const *argv, unsigned jobs,
    int every, cli_hook_report_fn report, void *user);

/* Hands path to the helper; 0, or -1 when it is gone.  Thread-safe. */
int cli_hook_sep_run(struct cli_hook_sep *s, const char *path);

/* Waits up to timeout_ms for the commands handed over to end; returns
 * how many are running or queued (0 when the helper is gone). */
unsigned cli_hook_sep_wait(struct cli_hook_sep *s, unsigned timeout_ms);

/* Lets the helper finish on its own; NULL-safe. */
void cli_hook_sep_close(struct cli_hook_sep *s);

#endif
