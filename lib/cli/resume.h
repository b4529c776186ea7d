/*
 * resume.h - dcmsend --resume LOG: the set of paths a previous run
 * recorded as stored, so that the re-run sends only what is missing.
 *
 * Input: a previous run's stdout, line by line, each line in either
 * format (detected per line, so a log may mix them):
 *   - TSV: STATUS<TAB>PATH<TAB>SOPClassUID<TAB>SOPInstanceUID<TAB>DETAIL
 *     with PATH escaped as cli_tsv_field writes it (\t \n \r \\; any
 *     other backslash sequence makes the line unparseable).  At least
 *     the tab after PATH must be there, so that a line cut short by a
 *     killed run never yields a truncated path;
 *   - JSON (--json): an object with "path" (string) and "status" (a
 *     string as in TSV, or the DIMSE status as a number); other keys are
 *     ignored.  A line is JSON when its first non-blank byte is '{'.
 * STATUS is 4 hex digits (a DIMSE status) or a lower-case word (a local
 * outcome: unreadable, notdicom, nocontext, aborted...).
 *
 * Stored means Success 0000 or a Warning: 0001, Bxxx, 0107, 0116
 * (PS3.4 Annex B.2.3; the categories of lib/core/status.h), or the
 * word RESUME_WORD ("resumed"), which the sender prints for inputs it
 * skipped because an earlier log had them stored: that way the log of
 * a resumed run can itself be resumed from.  A path stored on any line
 * is in the set, even if another line for it failed.  Other statuses
 * and words are counted as not stored; blank lines are ignored;
 * anything else is counted as unparseable and otherwise ignored (a
 * truncated last line of a killed run, a stray message).
 *
 * Paths are compared after lexical normalisation (repeated '/' folded,
 * "." components and a trailing '/' dropped; ".." kept, since a symlink
 * may make "a/../b" differ from "b"), so "./d//x.dcm" matches "d/x.dcm".
 * Run the re-run from the same directory with the same operands.
 *
 * Ownership: the set copies every path; lookups take borrowed strings.
 */
#ifndef CS_CLI_RESUME_H
#define CS_CLI_RESUME_H

#include <stddef.h>
#include <stdio.h>

struct cs_err;
struct resume;

#define RESUME_WORD "resumed"
/* Lines longer than this are unparseable (a path is at most 4096 bytes). */
#define RESUME_MAX_LINE (1024 * 1024)

struct resume_stats {
	size_t lines;       /* non-blank lines read */
	size_t stored;      /* lines recording a stored input */
	size_t not_stored;  /* lines recording a failure or local outcome */
	size_t unparseable; /* other lines */
	/* unparseable lines that ended with a newline (the last line of a
	 * killed run, cut short, does not), and the first one's number */
	size_t junk;
	size_t first_junk;
	/* junk lines other than our own messages ("dcmsend: ...", from a
	 * log written with 2>&1), and the first one's number */
	size_t foreign;
	size_t first_foreign;
};

/* An empty set, or NULL when out of memory. */
struct resume *resume_new(void);
/* Frees r; NULL-safe. */
void resume_free(struct resume *r);

/*
 * Reads f to its end and adds the stored paths.  name (the log's file
 * name) is used in messages only.  Returns 0, CS_E_IO (read error, with
 * strerror in err) or CS_E_NOMEM.
 */
int
resume_load(struct resume *r, FILE *f, const char *name, struct cs_err *err);
/* Opens path and resume_load()s it; CS_E_IO also when it cannot be opened. */
int resume_load_path(struct resume *r, const char *path, struct cs_err *err);
/*
 * Classifies one line (len bytes, no newline needed).  Returns 1 if it
 * recorded a stored path (now in the set), 0 for a not-stored or blank
 * line, CS_E_INVAL for an unparseable one, CS_E_NOMEM.  Updates stats.
 */
int resume_add_line(struct resume *r, const char *line, size_t len);
/*
 * dcmsend --commit --resume: from now on a line records a stored input
 * only when it also records it committed: a TSV DETAIL that begins with
 * the word "committed", a JSON "commit": "committed".  A run with
 * --commit writes its resumed inputs so (they were committed before).
 */
void resume_require_commit(struct resume *r);
/*
 * dcmsend --resume LOG: *out the set LOG records (committed ones only
 * with commit), NULL without a log.  Returns 0 or an exit status, the
 * reason on stderr (a warning only unless quiet): an unreadable log is a
 * usage error, and
 * so is one with lines but no result line of ours (the wrong file given);
 * junk lines beside result lines are ignored with a warning naming the
 * first.
 */
int resume_open(const char *log, int commit, int quiet, struct resume **out);
/* 1 when path was recorded as stored, else 0.  O(1) expected. */
int resume_has(const struct resume *r, const char *path);
/*
 * The SOP Instance UID the log gave path (the last stored line of path
 * naming one), or NULL when path is not in the set or no line said it.
 * Valid until resume_free.
 */
const char *resume_instance(const struct resume *r, const char *path);
/*
 * Whether the input path is to be skipped: the log has it stored, and
 * the file there now is the instance the log names (its SOP Instance
 * UID read again), or the log names none, or it cannot be opened (gone:
 * --remove-sent).  A file of another instance under a stored path (a
 * directory filled again, a log of another run) is sent, with a note
 * on standard error (once per path) unless quiet.
 */
int resume_skips(struct resume *r, const char *path, int quiet);
/* Number of distinct stored paths. */
size_t resume_count(const struct resume *r);
/* Line counters so far (borrowed; lives as long as r). */
const struct resume_stats *resume_stats(const struct resume *r);
/*
 * 1 when a STATUS field (4 hex digits or a word) means stored, 0 when it
 * means not stored, -1 when it is neither hex nor a word.
 */
int resume_status_stored(const char *status, size_t len);

#endif
