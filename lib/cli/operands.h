/*
 * operands.h - dcmsend's file operands (or the list on stdin) turned
 * into the array of paths storescu_send takes, with the messages and
 * exit statuses of the command line.
 */
#ifndef CS_CLI_OPERANDS_H
#define CS_CLI_OPERANDS_H

#include "cli/inputs.h"

/*
 * Expands the nops operands into in (which it initialises), or with
 * none, reads the list on stdin (NUL-separated when nul); stdin being a
 * terminal then is a usage error (exits).  Entries left out are named on
 * stderr unless quiet.  With --read-from-dicomdir (send_dicomdir.h) each
 * DICOMDIR is followed by the files it references (dicomdir_inputs.h).
 * Returns 0, or, after saying why on stderr and releasing in, EXIT_USAGE
 * (a bad list, or no file at all), EXIT_NO (a directory, list or
 * DICOMDIR that cannot be read) or EXIT_INTERNAL (out of memory).
 */
int operands_collect(
    struct inputs *in, int nops, char *const *ops, int nul, int quiet);

/* The paths of in as an array (free it, not the strings; they live in
 * in), or NULL when out of memory. */
const char **operands_paths(const struct inputs *in);

#endif
