/*
 * status_query.h - what status-explain answers, and how it prints it:
 * DIMSE status codes explained as C-STORE statuses first (category,
 * meaning with its range, the service or implementation), dcmsend's
 * outcome words as local outcomes, the table of known codes, or the -F
 * filter over standard input.  Results go to the given stream as TSV or
 * JSON lines (or the category alone); bad codes are named on stderr.
 */
#ifndef CS_CLI_STATUS_QUERY_H
#define CS_CLI_STATUS_QUERY_H

#include <stdio.h>

enum status_query_print {
	STATUS_QUERY_TSV = 0,  /* code, category, meaning, context */
	STATUS_QUERY_JSON,     /* the same and "value", "implementation" */
	STATUS_QUERY_CATEGORY, /* the category alone */
};

struct status_query {
	FILE *out; /* results (stdout) */
	enum status_query_print print;
	int list;           /* the table of known codes; nothing else */
	long field;         /* > 0: filter stdin by this column */
	char *const *codes; /* without any: stdin lines */
	int ncodes;
};

/*
 * Answers q: the list, else the filter, else each code.  Returns 0 when
 * every code means stored (Success, Warning, a stored outcome word), 1
 * when some does not (Failure, Cancel, Pending, unknown, another
 * outcome), 2 when some is not a code.  Write errors show in
 * ferror(q->out); no code anywhere is a usage error (exits EXIT_USAGE).
 */
int status_query_run(const struct status_query *q);

/*
 * Short hex without 0x ("a7") is no code: a user who read "A7" in a log
 * or a table of ranges (A7xx) meant A700, one who read the value 00A7
 * wrote it so.  For such an s, writes both readings into buf (len
 * bytes), "ambiguous: a status has four hex digits: A700, or 0x00A7?",
 * and returns 1; else returns 0, buf untouched.  status-explain and
 * dcmrecv's status options say it alike.
 */
int status_query_readings(const char *s, char *buf, size_t len);

/*
 * Two or three decimal digits ("122") whose value means nothing (0x007A)
 * while the same digits in hex do (0x0122, the leading zero dropped):
 * writes "'122' is decimal (0x007A); 0x0122 is 'MEANING'" into buf and
 * returns 1; else 0.  status-explain notes it, dcmrecv refuses it.
 */
int status_query_decimal_reading(const char *s, char *buf, size_t len);

#endif
