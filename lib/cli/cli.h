/*
 * cli.h - helpers shared by the tools in cmd/: option values, usage
 * errors, and the TSV / JSON-lines output conventions.  These may print
 * and exit: they are for cmd/ only, never called from the libraries.
 */
#ifndef CS_CLI_CLI_H
#define CS_CLI_CLI_H

#include <stdint.h>
#include <stdio.h>

#include "cli/exitcodes.h"

/* Short program name, as in messages ("dcmsend"). */
const char *cli_progname(void);

/*
 * What every tool does first thing:
 * - standard input, output or error closed by the caller ("2>&-") gets
 *   /dev/null: else the next open(2) or socket(2) takes the number,
 *   and result lines or diagnostics go into a socket, a stored file or
 *   a pipe of our own (exits 70 when /dev/null cannot be opened).
 *   Input and output get it opened the other way round, so that using
 *   them still fails with EBADF as on a closed descriptor; standard
 *   error gets it for writing (what goes there is dropped, also by
 *   the commands of dcmrecv --exec);
 * - SIGXFSZ is ignored: a write past RLIMIT_FSIZE (ulimit -f) then fails
 *   with EFBIG and is reported as any other output that cannot be
 *   written (one line, exit 6), instead of the signal killing the tool
 *   with a cut last line.  Commands the tools start get the default
 *   back (cli_spawn_attr).
 */
void cli_process_start(void);
/*
 * For a tool that converts its inputs (dcmsend): an input cut short
 * while the transcoder reads its mapping is a failure of that file
 * (truncated), not the tool killed by SIGBUS with its lines unwritten
 * (lib/dcmfile/mapguard.h: a SIGBUS handler, installed here, since the
 * libraries never change signal handling).
 */
void cli_guard_input_mappings(void);

struct option;
/*
 * getopt_long(3) for every tool: the same, except that getopt's own
 * messages ("unrecognized option", "invalid option") name the program
 * as ours do ("dcmsend: ..."), not by the path it was run by, as DCMTK
 * and coreutils do: argv[0] becomes cli_progname().  DCMTK's spellings
 * -aet, -aec and -od, each a word of its own, are the tool's --aet, --aec
 * and --output-dir, with the next word as value, where it has those
 * (getopt alone would read "-aet X" as "-a et" and X as an operand).
 */
int cli_getopt(int argc, char **argv, const char *shortopts,
    const struct option *longopts);

/*
 * Parses a decimal integer (or 0x-prefixed hex when allow_hex) in
 * [min, max].  On error prints "PROG: WHAT 'STR': REASON (MIN-MAX)" and
 * "Try 'PROG --help'." to stderr and exits EXIT_USAGE.
 */
long long
cli_parse_num(const char *str, long long min, long long max, const char *what);
/* Same, but returns -1 on error instead of exiting (no message). */
int cli_try_parse_num(
    const char *str, int base, long long min, long long max, long long *out);

/* Prints "PROG: MSG" and the --help hint to stderr, exits EXIT_USAGE. */
void cli_usage_error(const char *fmt, ...)
    __attribute__((format(printf, 1, 2), noreturn));
/* The hint alone: "Try 'PROG --help'." on stderr. */
void cli_help_hint(void);
/* Prints "PROG (cstore) VERSION" on stdout and exits 0. */
void cli_print_version(void) __attribute__((noreturn));

/*
 * TSV output: fields separated by tabs, one record per line.  Tab,
 * newline, carriage return and backslash inside a field are written as
 * \t \n \r \\ so that a record is always one line.
 */
void cli_tsv_field(FILE *f, const char *s);
/* Writes n fields separated by tabs and a newline, then flushes. */
void cli_tsv_line(FILE *f, int n, const char *const *fields);

/*
 * Reads one record from f into a growing buffer: up to '\n' (or '\0'
 * when nul_sep), without the separator.  Returns its length, or -1 at
 * end of input.  *buf is owned by the caller (free it).
 */
long cli_read_record(FILE *f, char **buf, size_t *cap, int nul_sep);

/*
 * Splits line (modified in place) at tabs into at most max fields.
 * Returns the number of fields.
 */
int cli_split_tabs(char *line, char **fields, int max);

#endif
