/*
 * tmpfile.h - the temporary file a file is written to before it is
 * renamed onto its name (--port-file, dcmsend's commitment state).
 */
#ifndef CS_CLI_TMPFILE_H
#define CS_CLI_TMPFILE_H

#include <stddef.h>

/*
 * Creates "path.XXXXXXXX.tmp" (a random suffix) in path's directory,
 * made by us (O_EXCL) and no link followed, so that a name another
 * local user planted (as a symbolic link, say in /tmp) is never written
 * through.  The name in tmp (cap bytes); the descriptor, write only and
 * close-on-exec, or -1 with errno set.
 */
int cli_open_tmp(const char *path, char *tmp, size_t cap);

#endif
