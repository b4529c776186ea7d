/*
 * send_out.h - dcmsend's output, defined once: the result line of each
 * input, the dry-run plan, the echo line (TSV or JSON lines through
 * cli/output.h), the progress line and the summary on stderr.  The
 * resume log reader (cli/resume.h) reads back what send_out_result
 * writes: STATUS and PATH are the first two TSV columns, "status" and
 * "path" the JSON keys.
 */
#ifndef CS_CLI_SEND_OUT_H
#define CS_CLI_SEND_OUT_H

#include <stdint.h>

#include "cstore/storescu.h"
#include "cli/output.h"

/*
 * One input: STATUS PATH SOPClassUID SOPInstanceUID DETAIL in TSV, where
 * STATUS is 4 hex digits or the outcome word; every field of r in JSON.
 */
void send_out_result(const struct cli_out *o, const struct storescu_result *r);
/*
 * A planned association: in TSV an "association" line and a "context"
 * line per context; in JSON one object with a "contexts" array (and
 * "probe_error" when probe).  Returns 0 or -1 when out of memory.
 */
int send_out_plan(
    const struct cli_out *o, const struct storescu_plan_assoc *a, int probe);
/* The answer to --echo: status, category, peer and times. */
void send_out_echo(const struct cli_out *o, const struct storescu_config *cfg,
    const struct storescu_echo_result *r);

/* The standard meaning of a status of service ("C-ECHO"), without its
 * category, else "unknown status".  Static string. */
const char *send_status_meaning(uint16_t status, const char *service);

/* The progress line on stderr (a terminal's, or forced with --progress). */
struct send_progress {
	int on;           /* 0: nothing is drawn */
	int shown;        /* a line is on the screen */
	uint64_t last_us; /* when it was drawn */
};

/* Redraws the line, at most 5 times a second and once at the end. */
void send_progress_update(
    struct send_progress *p, const struct storescu_progress *sp);
/* Erases the line before anything else is written under it. */
void send_progress_clear(struct send_progress *p);

/* "N stored, N with warning, N failed, N skipped; X MB in S s (R MB/s)" */
void send_out_summary(const struct storescu_summary *sum);

/*
 * --remove-sent: unlinks the file of r once the peer has it: answered
 * Success or a Warning and, with commit (--commit), committed.  Never a
 * file that failed or was skipped (resumed: this run did not send it).
 * A file that cannot be removed gets a line on stderr unless quiet.
 */
/* --remove-sent after r: 1 when its file was removed, else 0. */
int send_remove_sent(const struct storescu_result *r, int commit, int quiet);

/* -v after an echo: the peer's limits, implementation and whether it
 * confirmed the user identity, on stderr. */
/*
 * dcmsend --echo to cfg's peer: the result line on out, with verbose
 * the notes above, a failure on stderr (unless quiet).  Returns the
 * exit status: EXIT_OUTPUT when the line could not be written.
 */
int send_echo_run(const struct storescu_config *cfg, struct cli_out *out,
    int verbose, int quiet);
void send_out_echo_notes(
    const struct storescu_config *cfg, const struct storescu_echo_result *r);

#endif
