/*
 * send_stop.h - dcmsend interrupted (SIGTERM, SIGINT): every input that
 * has no result line yet gets one ("notsent", saying so) before the
 * signal ends the process, as an uninterrupted run gives one line per
 * input.  A file in flight then may or may not be on the peer: its line
 * says it is not known, and --resume sends it again (a duplicate, never
 * a loss); --remove-sent removes nothing for it.
 */
#ifndef CS_CLI_SEND_STOP_H
#define CS_CLI_SEND_STOP_H

#include <stddef.h>

#include "cstore/storescu.h"
#include "cli/output.h"

/*
 * Blocks SIGTERM and SIGINT (each unless inherited as ignored: it stays
 * ignored) in the calling thread, so in every thread it starts
 * afterwards (the library's): call before any is started.  Then starts
 * the thread that alone takes them: it writes a line to o for each of
 * the paths send_stop_watch gave that send_stop_result has not written,
 * flushes stdout and dies of the signal (status 128+N in a shell), also
 * when its lines cannot be written.  Before send_stop_watch, and when it
 * cannot start (the signals are unblocked again), the signal ends the
 * process as it would without.
 */
void send_stop_block(void);

/*
 * The n paths to give a line when a signal comes; paths and o must
 * outlive the run, or be taken back first with send_stop_watch(NULL, 0,
 * NULL).
 */
void
send_stop_watch(const char *const *paths, size_t n, const struct cli_out *o);

/* send_out_plan (cli/send_out.h) under the lock of the lines. */
int send_stop_plan(
    const struct cli_out *o, const struct storescu_plan_assoc *a, int probe);

/* send_out_result (cli/send_out.h), serialised with the watcher's lines,
 * remembering that r->index has its line. */
void send_stop_result(const struct cli_out *o, const struct storescu_result *r);

#endif
