/*
 * sandbox.c - no_new_privs, then Landlock, then seccomp (see sandbox.h).
 * no_new_privs first: an unprivileged process may load neither of the
 * others without it, and a program run later could not regain what
 * was given up.
 */
#include <errno.h>
#include <string.h>
#include <sys/prctl.h>

#include "cli/sandbox.h"
#include "core/banned.h"

static int
add(const char **list, size_t *n, const char *path)
{
	if (*n >= CLI_SANDBOX_MAX_PATHS)
		return -1;
	list[(*n)++] = path;
	return 0;
}

int
cli_sandbox_add_read(struct cli_sandbox *sb, const char *path)
{
	return add(sb->read, &sb->n_read, path);
}

int
cli_sandbox_add_write(struct cli_sandbox *sb, const char *path)
{
	return add(sb->write, &sb->n_write, path);
}

int
cli_sandbox_enter(struct cli_sandbox *sb, cli_sandbox_note_fn note, void *user,
    struct cs_err *err)
{
	const char *why = NULL;
	int rc;

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
		return cs_err_set(
		    err, CS_E_IO, "sandbox: no_new_privs: %s", strerror(errno));
	rc = cli_sandbox_landlock(sb, &why, err);
	if (rc == 1 && note != NULL)
		note(user, why);
	if (rc < 0)
		return rc;
	rc = cli_sandbox_seccomp(&why, err);
	if (rc == 1 && note != NULL)
		note(user, why);
	sb->seccomp = rc == 0;
	return rc < 0 ? rc : 0;
}
