/*
 * send_dicomdir.h - dcmsend --read-from-dicomdir: a DICOMDIR among the
 * inputs stands for the files it references (dcmfile/dicomdir.h), which
 * are sent after it; the DICOMDIR itself keeps its "dicomdir" line.
 *
 * The option is one switch for the whole command line, kept here (the
 * operands are collected by operands_collect, which the tool calls
 * without the parsed options): send_args sets it, operands_collect and
 * send_exit_status ask it.  The expansion itself is dicomdir_inputs.h.
 */
#ifndef CS_CLI_SEND_DICOMDIR_H
#define CS_CLI_SEND_DICOMDIR_H

#include <stddef.h>

struct send_args;

/* The option's getopt value (send_args.c's table; tls_args.h is 1000+). */
#define OPT_READ_FROM_DICOMDIR 1100

/* Its --help lines. */
extern const char send_dicomdir_help[];

/* Takes option c if it is ours: returns 1, else 0. */
int send_dicomdir_parse(int c);

/* The option against the others (--follow, --echo, --commit-wait);
 * usage errors print and exit (2). */
void send_dicomdir_check(const struct send_args *a);

/* 1 when --read-from-dicomdir was given. */
int send_dicomdir_on(void);

/* Counts a directory record whose Referenced File ID was refused (not
 * followed: the run's exit status becomes 1); the count so far. */
void send_dicomdir_refused_add(void);
size_t send_dicomdir_refused(void);

/* What the expansion did with one DICOMDIR's records. */
struct send_dicomdir_counts {
	size_t added;   /* files put among the inputs after it */
	size_t missing; /* of those, not there in any case (unreadable) */
	size_t already; /* references to files that were inputs already */
	size_t refused; /* records not followed */
};

/* Keeps c for the DICOMDIR at path (the first expansion of a path
 * wins).  Returns 0 or CS_E_NOMEM. */
int
send_dicomdir_record(const char *path, const struct send_dicomdir_counts *c);

/*
 * The detail of the "dicomdir" line of path under --read-from-dicomdir:
 * what was done with its records, or, for one not read as an index (met
 * in a walk or a list under another name), why not; into buf (n bytes).
 * Returns buf, or NULL without the option (the library's detail stands).
 */
const char *send_dicomdir_detail(const char *path, char *buf, size_t n);

/* The exit status ex of a finished send, made 1 when a record was
 * refused and ex said every input was stored (0, or 7 with --commit). */
int send_dicomdir_exit(int ex);

#endif
