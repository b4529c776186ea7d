/*
 * recv_confine.h - what dcmrecv may still do once it has confined
 * itself (lib/cli/sandbox.h): the paths it reads and the directories
 * it writes beneath.  A feature that needs another path after the
 * receiver is listening (certificates read again, a users file, an
 * index file) adds it in recv_sandbox_paths.
 */
#ifndef CS_CLI_RECV_CONFINE_H
#define CS_CLI_RECV_CONFINE_H

#include <stddef.h>

#include "cli/recv_args.h"
#include "cli/sandbox.h"

/* Fills sb (zeroed here) from a; returns 0, or -1 when a list is full. */
int recv_sandbox_paths(const struct recv_args *a, struct cli_sandbox *sb);
/*
 * Confines dcmrecv as a says (the paths above); a kernel feature that
 * is missing gets one note on stderr (unless quiet) and is gone
 * without.  -v says what is on.  Returns 0 or an exit status, the
 * reason printed.
 */
int recv_sandbox_enter(const struct recv_args *a);

/*
 * --sandbox-probe: tries to create path as an intruder would and puts a
 * line (no newline) saying what happened into line.  Returns 1 when the
 * kernel refused, 0 when the file could be made (and was removed).
 * The line also says whether getpriority, a call not on the seccomp
 * allow-list, was refused.
 */
int recv_sandbox_probe(const char *path, char *line, size_t size);

#endif
