/*
 * size_arg.h - a byte count on the command line: "1000", "64K", "2M",
 * "1.5G" is not accepted (whole numbers only), suffixes K, M, G, T
 * (powers of 1024, either case, optionally followed by "B" or "iB").
 */
#ifndef CS_CLI_SIZE_ARG_H
#define CS_CLI_SIZE_ARG_H

#include <stdint.h>

#include "cstore/cstore.h"

/*
 * Parses arg into *out.  Returns 0, or CS_E_INVAL (not a size, or
 * above 2^62 bytes) with a message naming what (an option name) and
 * arg in err.
 */
int cli_parse_size(
    const char *arg, const char *what, uint64_t *out, struct cs_err *err);

#endif
