/*
 * secret.h - reading a passcode without it ever being an argument: from
 * a file, or from standard input (at a terminal: a prompt, echo off).
 */
#ifndef CS_CLI_SECRET_H
#define CS_CLI_SECRET_H

#include <stddef.h>

struct cs_err;

/* The longest passcode read (PS3.7 D.3.3.7 allows 65535 bytes). */
#define CLI_SECRET_MAX 4096

/* How long a FIFO named as the file may wait for a writer to open it. */
#define CLI_SECRET_FIFO_WAIT_MS 5000

/*
 * Reads the first line of the file at path, or of standard input when
 * path is NULL, into buf (size CLI_SECRET_MAX + 1), without its line
 * end, NUL-terminated; *len gets its length.  When standard input is a
 * terminal, prompt (if not NULL) is written to stderr and echo is off.
 * A FIFO that no process opens for writing within
 * CLI_SECRET_FIFO_WAIT_MS is CS_E_IO; one with its writer (process
 * substitution) is read as it comes, however slowly.
 * Returns 0, or CS_E_IO (cannot read; nothing there), CS_E_INVAL
 * (empty, a NUL byte, or longer than CLI_SECRET_MAX).
 */
int cli_secret_read(const char *path, const char *prompt, char *buf,
    size_t *len, struct cs_err *err);

#endif
