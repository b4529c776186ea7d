/*
 * stow_run.h - what lib/cli/stow_send.c (a list, -j lanes) and
 * stow_follow.c (--follow) share: the batch being built on one
 * connection and its way from files to result lines.  Private to them.
 */
#ifndef CS_CLI_STOW_RUN_H
#define CS_CLI_STOW_RUN_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "cstore/storescu.h"
#include "cli/stow_send.h"
#include "dcmfile/part10.h"
#include "web/stow_http.h"

/* One input of the batch being built. */
struct item {
	const char *path;
	size_t index;
	int fd;
	struct part10_info info;
	uint64_t ms0;
};

/* The -j lanes of one stow_send: the inputs they share, the result
 * lines and counts they take turns at, the error that stops them. */
struct lanes {
	pthread_mutex_t mu;
	const char **paths;
	size_t n, next;
	unsigned requests;
	int rc;
	struct cs_err err;
};

struct run {
	const struct stow_opts *so;
	const struct storescu_send_opts *o;
	struct storescu_summary *sum;
	struct stow_http *h;
	struct item *it;
	int *fds;
	uint64_t *sizes;
	size_t n, bytes;
	unsigned requests;
	int follow;      /* no answer: keep the batch, the caller retries */
	struct lanes *l; /* -j: shared with the other lanes, or NULL */
};

/* Buffers and a connection for r; 0 or CS_E_NOMEM.  run_free even then. */
int run_init(struct run *r, const struct stow_opts *so,
    const struct storescu_send_opts *o, struct storescu_summary *sum,
    struct cs_err *err);
void run_free(struct run *r);
/* One result line, counted in the summary (under the lanes' lock). */
void report(struct run *r, const char *path, size_t index,
    const struct part10_info *info, enum storescu_outcome oc, int has_status,
    uint16_t status, const char *detail, uint64_t ms0);
/* Every input of the batch the same outcome; the batch emptied. */
void fail_batch(struct run *r, enum storescu_outcome oc, const char *why);
/* Opens and probes input k into the batch, or gives it its line. */
void take(struct run *r, const char *path, size_t k);
/* POSTs the batch and gives its inputs their lines; 0 or the error that
 * ends the run (with r->follow, no answer keeps the batch). */
int flush(struct run *r, struct cs_err *err);

#endif
