/*
 * output.h - the tools' result lines, written from one field list: a TSV
 * line (cli_tsv_field escaping) or a JSON object on one line (JSON
 * lines).  A tool describes a result once, as an array of struct
 * cli_field: each field names its JSON key and its TSV column, so both
 * formats come from the same values.  json-c is used here and nowhere
 * below lib/cli.
 *
 * Also here: the -F/--field filter of sopclass-lookup and status-explain
 * (pass stdin through, append fields computed from one column), the
 * query loop over operands or stdin lines, usage and --help printing,
 * and the exit status of a library result (cli_exit_for).
 */
#ifndef CS_CLI_OUTPUT_H
#define CS_CLI_OUTPUT_H

#include <stddef.h>
#include <stdint.h>
#include <signal.h>
#include <stdio.h>

enum cli_format {
	CLI_TSV = 0,
	CLI_JSON,
};

enum cli_type {
	CLI_STR = 0, /* s; NULL: JSON null, empty TSV field */
	CLI_INT,     /* i */
	CLI_BOOL,    /* i, 0 or 1: JSON true/false, TSV 0/1 */
	CLI_NUM,     /* d, written with prec decimals (JSON number, TSV text) */
	CLI_STRS, /* n strings sv: a JSON array, one TSV field joined by ',' */
	CLI_RECS, /* n records rv: a JSON array of objects; not in TSV */
};

struct cli_record;

struct cli_field {
	const char *name; /* JSON key; NULL: TSV only */
	int tsv;          /* TSV column, 1-based; 0: JSON only */
	enum cli_type type;
	const char *s;
	int64_t i;
	double d;
	int prec;
	size_t n;
	const char *const *sv;
	const struct cli_record *rv;
};

struct cli_record {
	const struct cli_field *f;
	size_t n;
};

/* Field constructors, for compound literals in a tool's field list. */
#define CLI_S(key, col, str)                                                   \
	{                                                                      \
		.name = (key), .tsv = (col), .type = CLI_STR, .s = (str)       \
	}
#define CLI_I(key, col, val)                                                   \
	{                                                                      \
		.name = (key), .tsv = (col), .type = CLI_INT,                  \
		.i = (int64_t)(val)                                            \
	}
#define CLI_B(key, col, val)                                                   \
	{                                                                      \
		.name = (key), .tsv = (col), .type = CLI_BOOL, .i = !!(val)    \
	}
#define CLI_N(key, col, val, digits)                                           \
	{                                                                      \
		.name = (key), .tsv = (col), .type = CLI_NUM, .d = (val),      \
		.prec = (digits)                                               \
	}
#define CLI_SV(key, col, vec, count)                                           \
	{                                                                      \
		.name = (key), .tsv = (col), .type = CLI_STRS, .sv = (vec),    \
		.n = (count)                                                   \
	}
#define CLI_RV(key, recs, count)                                               \
	{                                                                      \
		.name = (key), .type = CLI_RECS, .rv = (recs), .n = (count)    \
	}
#define CLI_NFIELDS(a) (sizeof(a) / sizeof((a)[0]))

/* JSON only: escape '/' as "\/" (json-c's default; dcmsend's lines). */
#define CLI_OUT_SLASH 0x1

struct cli_out {
	FILE *f;
	enum cli_format fmt;
	unsigned flags;
};

/* Sets up an output on f (borrowed) in format fmt with CLI_OUT_* flags. */
void
cli_out_init(struct cli_out *o, FILE *f, enum cli_format fmt, unsigned flags);

/*
 * Writes one record of n fields as a line and flushes: in TSV the fields
 * with a column, in column order (a column no field fills is empty); in
 * JSON an object of the named fields, in array order.  Returns 0, or -1
 * when out of memory (nothing written); write errors show in ferror().
 */
int cli_out_write(const struct cli_out *o, const struct cli_field *f, size_t n);

/*
 * Waits up to timeout_ms for f's descriptor to take a line without
 * blocking (a pipe with room: a line under PIPE_BUF then never blocks).
 * Returns 0 when it can be written (or fails at once: closed, error),
 * -1 when nothing was taken in that time (a reader that stopped).
 */
int cli_out_ready(FILE *f, unsigned timeout_ms);

/*
 * Waits until f's descriptor takes a line without blocking, however
 * long its reader takes (a pipe's back-pressure), or until *stop is set
 * (a signal asking the tool to stop) while it takes nothing: 0, or -1
 * when stopped with no room for the line.  Once it has waited note_ms
 * (0: never), it says so on standard error (when that takes it), once,
 * and the wait goes on: a reader that stopped is seen in the log.
 */
int cli_out_wait(FILE *f, const volatile sig_atomic_t *stop, unsigned note_ms);

/*
 * -F/--field N: copies each line of in to out, every byte as read (NULs
 * too) but trailing CRs, with the fields that fn writes appended (fn
 * writes each as TAB then the escaped value, e.g. with cli_out_append).
 * fn gets column N of the line (a UTF-8 byte order mark opening in is in
 * no column), or NULL after a message when the line has fewer ("line L:
 * no field N (M fields)") or column N holds a NUL byte.  Returns the
 * largest value fn returned; a read error on in exits 2 with its reason
 * (the input is not all there).
 */
typedef int (*cli_filter_fn)(
    void *ctx, const char *value, size_t lineno, FILE *out);
int cli_filter(FILE *in, FILE *out, long field, cli_filter_fn fn, void *ctx);
/* Writes TAB and s escaped as a TSV field (NULL: an empty field). */
void cli_out_append(FILE *out, const char *s);
/*
 * Undoes those escapes: the len bytes of s into dst (room for len + 1;
 * dst may be s), NUL-terminated.  Returns the length, or -1 for an
 * unknown escape or a lone backslash at the end.
 */
long cli_tsv_unescape(char *dst, const char *s, size_t len);

/*
 * The query loop: fn on each of the argc operands, or, without any, on
 * each non-blank line of stdin; blanks around either (and a UTF-8 byte
 * order mark opening stdin) are trimmed.  A line holding a NUL byte is
 * not text: named on stderr (line, column), never cut at the NUL, and
 * counted as bad_rc (the tool's answer to a query that is not one).  When
 * stdin has no line either: usage error "no WHAT given and none on
 * standard input".  Returns the largest value fn returned (or bad_rc); a
 * read error on stdin exits 2 with its reason.
 */
typedef int (*cli_query_fn)(void *ctx, const char *query);
int cli_each_query(int argc, char *const *argv, const char *what,
    cli_query_fn fn, void *ctx, int bad_rc);

/* Strips blanks (and a CR) around s, in place; returns the start. */
char *cli_trim(char *s);

/*
 * Usage lines: synopsis[0] after "Usage: PROG ", the others after
 * "       PROG ", up to a NULL entry.
 */
void cli_usage_lines(FILE *f, const char *const *synopsis);
/* Usage lines and the --help hint on stderr, then exit EXIT_USAGE. */
void cli_usage_exit(const char *const *synopsis) __attribute__((noreturn));
/* --help: usage lines and the text (printf format) on stdout, exit 0. */
void cli_help(const char *const *synopsis, const char *fmt, ...)
    __attribute__((format(printf, 2, 3), noreturn));

/*
 * The default: case of a getopt loop: 'h' calls help (which exits), 'V'
 * prints the version, anything else is a usage error (the --help hint,
 * exit EXIT_USAGE).  Does not return.
 */
void cli_other_option(int c, void (*help)(void)) __attribute__((noreturn));

/*
 * Flushes stdout; on a write error prints "PROG: cannot write WHAT: ERROR"
 * and returns EXIT_OUTPUT, else 0.
 */
int cli_flush_stdout(const char *what);

/*
 * The exit status (exitcodes.h) of a library call's result: 0 -> EXIT_OK;
 * CS_E_UNREACHABLE, CS_E_NONAME, CS_E_TIMEOUT, CS_E_TLS -> EXIT_UNREACHABLE;
 * CS_E_REJECTED -> EXIT_REJECTED; CS_E_ABORTED, CS_E_CLOSED, CS_E_PROTO,
 * CS_E_NET -> EXIT_ABORTED; CS_E_INVAL -> EXIT_USAGE; CS_E_RESOURCE (no
 * socket: out of descriptors or buffers, ours) -> EXIT_OUTPUT; anything
 * else EXIT_INTERNAL.
 */
int cli_exit_for(int rc);

#endif
