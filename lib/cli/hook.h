/*
 * hook.h - dcmrecv --exec: run a command after each stored file.
 *
 * The command is started without a shell (posix_spawnp), "{}" anywhere
 * in an argument replaced by the file's path, standard input /dev/null
 * and standard output sent to our standard error, so that it never
 * mixes with the result lines.  It is not waited for: a small detached
 * thread reaps it and reports a failure, which is never fatal.
 *
 * At most cli_hook_set_jobs commands run at once; the others wait in a
 * queue, oldest first, each started as one ends.
 *
 * Thread-safe: cli_hook_run may be called from several threads at once.
 */
#ifndef CS_CLI_HOOK_H
#define CS_CLI_HOOK_H

#include <spawn.h>

struct cli_hook;

/* One line (no newline, e.g. "--exec for 'P' exited with status 1"),
 * called from any thread, one call at a time. */
typedef void (*cli_hook_report_fn)(void *user, const char *line);

/*
 * A hook running argv (the command and its arguments, NULL-terminated,
 * at least the command; borrowed until cli_hook_free).  Returns NULL
 * when out of memory.
 */
struct cli_hook *
cli_hook_new(const char *const *argv, cli_hook_report_fn report, void *user);

/* At most jobs commands at once (0, the default: no limit); every: the
 * successful ends are reported too (by default only failures). */
/*
 * Spawn attributes of every command dcmrecv starts (--exec, the identity
 * hook): SIGPIPE, SIGINT and SIGTERM at their defaults, nothing blocked,
 * plus more_flags (POSIX_SPAWN_SETPGROUP...).  0 or an errno value; on
 * success the caller destroys sa.
 */
int cli_spawn_attr(posix_spawnattr_t *sa, short more_flags);
void cli_hook_set_jobs(struct cli_hook *h, unsigned jobs, int every);

/*
 * Starts the command for path (or queues it) and returns without waiting for it.
 * Returns 0, or -1 when it could not be started (reported already).
 */
int cli_hook_run(struct cli_hook *h, const char *path);

/*
 * Waits up to timeout_ms for the commands started and queued to end.
 * Returns how many are still running or queued.
 */
unsigned cli_hook_wait(struct cli_hook *h, unsigned timeout_ms);

/*
 * Frees h; NULL-safe.  Queued commands are dropped; commands still
 * running go on; no report is made
 * once this has returned (their reapers release the memory last).
 */
void cli_hook_free(struct cli_hook *h);

#endif
