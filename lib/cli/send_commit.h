/*
 * send_commit.h - dcmsend's storage commitment (--commit) on the command
 * line: the listener of --commit-listen, and the exit status of a
 * committing send.
 */
#ifndef CS_CLI_SEND_COMMIT_H
#define CS_CLI_SEND_COMMIT_H

#include <stddef.h>
#include <stdio.h>

#include "cstore/storescu.h"
#include "cli/send_args.h"
#include "core/strmap.h"

/* The storage commitment options of a against each other and the
 * nops operands left: a usage error (exit 2) when they do not fit. */
void send_commit_check(const struct send_args *a, int nops);

/*
 * Opens the listener of --commit-listen [ADDR:]PORT into
 * send->commit_listen_fd (nothing when spec is NULL).  Returns 0, or
 * an exit status after saying why on stderr (unless quiet): EXIT_USAGE
 * for a malformed value, EXIT_OUTPUT when it cannot listen (the port
 * busy).
 */
int send_commit_listen(
    struct storescu_send_opts *send, const char *spec, int quiet);

/* The exit status of a send that went well as far as storing goes
 * (everything stored): 0 when every stored input is committed, else
 * EXIT_UNCOMMITTED. */
int send_commit_status(const struct storescu_summary *sum);

/*
 * --commit-state FILE: the inputs whose commitment was asked for and
 * whose report has not come (yet), one line each after a header line,
 *   TRANSACTION_UID<TAB>STATUS<TAB>SOPClassUID<TAB>SOPInstanceUID<TAB>PATH
 * (STATUS the C-STORE status in 4 hex digits, PATH escaped as in the
 * results).  A journal: after each request is answered, the new lines
 * and, for inputs whose report came since, a line
 *   -<TAB>TRANSACTION_UID<TAB>SOPInstanceUID
 * that takes that input out again are appended (one write, then
 * fdatasync), so that a run killed while waiting leaves what
 * --commit-wait needs and a long --follow run writes each input twice
 * at most, not the whole file per request.  The file is rewritten
 * whole (a temporary file, fsync'd, renamed over FILE) at the first
 * write, when the lines taken out pass the live ones (and 1024), and
 * when the run ends: a finished run leaves only the header and the
 * pending lines.  Readers apply the lines in
 * order and skip a last line without its newline (an append a crash
 * cut short).
 */
/* version 2: a line may carry the file sent after PATH (a tab, then
 * dev:ino:size:mtime:ctime); version 1 files (without) are read too, and
 * dcmsend before version 2 refuses a version 2 file (not a state file) */
#define SEND_COMMIT_STATE_PREFIX "# dcmsend commit state "
#define SEND_COMMIT_STATE_HEADER SEND_COMMIT_STATE_PREFIX "2"
struct send_commit_state {
	const char *path;  /* the file written: target, or the path given */
	char target[4096]; /* the path's symlinks followed */
	int quiet, failed;
	struct strmap idx; /* "TRANSACTION\tINSTANCE" -> index in line */
	char **line;       /* NULL once the input's report came */
	size_t n, cap;
	/* the journal */
	int fd;         /* FILE, appending; -1 before the first write */
	size_t written; /* line[0..written) are in the file */
	char *gone;     /* "-" lines not yet appended */
	size_t gone_len, gone_cap;
	size_t live, dead; /* in the file: pending lines, and the others */
	size_t rewrites, appends; /* (for tests) */
};
/* Starts an empty state for path. */
void send_commit_state_init(
    struct send_commit_state *st, const char *path, int quiet);
/* Adds an input asked for (storescu_send_opts.on_commit_asked); writes
 * the file after the last of a transaction. */
void send_commit_state_add(
    struct send_commit_state *st, const struct storescu_pending *p);
/* The input's report came (committed or failed): no longer pending. */
void send_commit_state_done(
    struct send_commit_state *st, const struct storescu_result *r);
/* Brings the file up to date (appends, or rewrites it when due): 0,
 * or EXIT_OUTPUT after saying why (unless quiet; once). */
int send_commit_state_write(struct send_commit_state *st);
/* Rewrites the file whole, only the pending lines: 0 or EXIT_OUTPUT
 * (as send_commit_state_write). */
int send_commit_state_compact(struct send_commit_state *st);
void send_commit_state_release(struct send_commit_state *st);
/* The end of --commit-state (on: the option was given): writes and
 * releases st; returns ex, or EXIT_OUTPUT when it cannot be written. */
int send_commit_state_close(struct send_commit_state *st, int on, int ex);

/* --commit-wait FILE: what a state file holds. */
struct send_commit_pending {
	struct storescu_pending *p;
	size_t n;
	char *text; /* the file, its tabs and newlines cut into strings */
};
/*
 * Parses out->text (NUL-terminated, cut up in place) into out->p, which
 * points into it: 0, SEND_COMMIT_NOT_STATE when it does not begin with
 * the header line, SEND_COMMIT_MALFORMED for a malformed line
 * (*bad_line its number), or CS_E_NOMEM.
 * A line needs five fields, STATUS four hex digits, a path escaped as
 * cli_out_append writes it, or is a "-" line taking out the pending
 * input of that transaction and instance (the first such); no UID is
 * checked here.  A last line without a newline is skipped.
 */
#define SEND_COMMIT_NOT_STATE 1
#define SEND_COMMIT_MALFORMED 2
#define SEND_COMMIT_NEWER 3 /* the header of a later version */
int send_commit_state_parse(struct send_commit_pending *out, size_t *bad_line);
/* Reads path: 0, or EXIT_USAGE after saying why (unreadable, not a
 * state file, a malformed line). */
int send_commit_state_read(
    const char *path, struct send_commit_pending *out, int quiet);
void send_commit_pending_release(struct send_commit_pending *p);

/* The exit status of a finished storescu_send/storescu_follow: rc, the
 * summary and, with o->commit, the commitment (send_commit_status).
 * dicomdirs: how many of the skipped inputs were DICOMDIRs, no failure
 * beside files that were stored (a walk of a DICOM medium meets one). */
int send_exit_status(int rc, const struct storescu_summary *sum,
    size_t dicomdirs, const struct storescu_send_opts *o);

#endif
