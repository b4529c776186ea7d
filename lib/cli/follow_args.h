/*
 * follow_args.h - the values of dcmsend's routing options: --idle S,
 * --retry-for DURATION and --limit-rate RATE (see man/dcmsend.1).
 */
#ifndef CS_CLI_FOLLOW_ARGS_H
#define CS_CLI_FOLLOW_ARGS_H

#include <stdint.h>

struct cs_err;

/*
 * A duration: a number of seconds with an optional unit s, m, h or d
 * ("90", "30s", "5m", "1h"), or "forever" (-1).  Into *ms.  0, or
 * CS_E_INVAL with err.
 */
int follow_parse_duration(const char *s, int64_t *ms, struct cs_err *err);
/*
 * A rate in bytes per second, a size as cli/size_arg.h reads it ("20M",
 * "500k", "1.5M", "10MB", "1048576"), 1000 to 100G.  0 or CS_E_INVAL
 * with err.
 */
int follow_parse_rate(const char *s, uint64_t *rate, struct cs_err *err);

struct send_args;
/* The routing options against the others (--follow with -j, --echo,
 * --commit...); usage errors print and exit (2). */
void follow_args_check(const struct send_args *a);

#endif
