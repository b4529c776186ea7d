/*
 * size_arg.h - a byte count on the command line, one rule for every
 * size and rate option (--max-object-size, --min-free-space,
 * --stow-bytes, --limit-rate): a number, a decimal fraction allowed
 * ("1.5M"), with an optional suffix K, M, G or T in either case for
 * powers of 1024, as curl (--limit-rate, --max-filesize) and rsync
 * (--bwlimit, --max-size) read them.  "KiB", "MiB"... (and "Ki",
 * "Mi"...) say the same explicitly; "KB", "MB"... (a suffix ending in
 * B) are powers of 1000, rsync's rule for decimal units.  A size is
 * whole bytes: "1.5" or "0.97K" (993.28) is refused, never cut.
 */
#ifndef CS_CLI_SIZE_ARG_H
#define CS_CLI_SIZE_ARG_H

#include <stdint.h>

#include "cstore/cstore.h"

/*
 * Parses arg into *out.  Returns 0, or CS_E_INVAL (not a size, not
 * whole bytes, or above 2^62 bytes) with a message naming what (an
 * option name) and arg in err.
 */
int cli_parse_size(
    const char *arg, const char *what, uint64_t *out, struct cs_err *err);

/*
 * The same without a message: 0 with *out set, or CS_E_INVAL (for
 * callers whose message says more, as --limit-rate's range).
 */
int cli_size_value(const char *arg, uint64_t *out);

#endif
