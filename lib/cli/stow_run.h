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
#include "net/rate.h"
#include "web/stow_http.h"

/* The Failure Reason "Referenced Transfer Syntax not supported"
 * (PS3.18 Table I.2-2): the service refused the instance's syntax. */
#define STOW_TS_REFUSED 0xC122u

/* The most transfer syntaxes one run learns the service refuses. */
#define STOW_MAX_REFUSED 16

/* One input of the batch being built. */
struct item {
	const char *path;
	size_t index;
	int fd;            /* the file as it is */
	uint64_t dev, ino; /* its st_dev, st_ino */
	uint64_t size;     /* its st_size, st_mtim, st_ctim when opened */
	int64_t mtime_ns, ctime_ns;
	uint64_t nlink; /* its st_nlink, st_mode, st_uid, st_gid then */
	uint32_t mode, uid, gid;
	struct part10_info info; /* sop_instance: the one sent */
	uint64_t ms0;
	/* what goes: the file itself from offset xoff (after head, a
	 * preamble, when it has none; or from its data set, xoff, after a
	 * new File Meta Information when the file's contradicts it), or
	 * (converted, xfd >= 0) head (a new File Meta Information) then
	 * xlen bytes of xfd */
	int xfd;
	uint8_t *head;
	size_t head_len;
	uint64_t xlen, xoff;
	char ts_sent[PART10_UID_MAX + 1];
	/* what its line says before any other detail: a UID only the meta
	 * header has, "transcoded to ...", or "" */
	char note[448];
	char file_uid[PART10_UID_MAX + 1]; /* the file's own instance */
};

/* Bytes of it that go after its head (see struct item). */
static inline uint64_t
item_body_len(const struct item *it)
{
	/* the data set ends before any padding (part10.h) */
	return it->xfd >= 0
	    ? it->xlen
	    : it->info.dataset_offset + it->info.dataset_length - it->xoff;
}

/* What every connection of one run shares beside the inputs: the
 * syntaxes the service refused (HTTP 415, Failure Reason C122), learned
 * as the run goes, and the --limit-rate bucket. */
struct stow_shared {
	pthread_mutex_t mu;
	char refused[STOW_MAX_REFUSED][PART10_UID_MAX + 1];
	size_t n_refused;
	struct net_rate rate;
	int limited;
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
	size_t n, bytes;
	unsigned requests;
	int follow;      /* no answer: keep the batch, the caller retries */
	struct lanes *l; /* -j: shared with the other lanes, or NULL */
	struct stow_shared *sh;
	struct stow_part *parts;
	/* --follow: the wait the last 429 or 5xx asked for (Retry-After,
	 * STOW_RETRY_AFTER_MAX_MS at most), 0 for none */
	unsigned retry_after_ms;
	/* --follow with --retry-for: when it ends (net_now_ms), which
	 * post's waits never pass; 0 for none */
	uint64_t retry_until;
};

/* The longest wait a service's Retry-After gets (longer: this long,
 * then the request goes again), as the backoff's cap between retries. */
#define STOW_RETRY_AFTER_MAX_MS 600000u

/* A 429 (Too Many Requests, RFC 6585) or a 5xx: an answer that says the
 * service may take the request later, after its Retry-After. */
#define STOW_HTTP_LATER(code) ((code) == 429 || (code) >= 500)

/* A gateway's 502, 503 or 504 (its archive down or restarting) or a 429:
 * under --follow no answer about the files, tried again for --retry-for
 * (stow_follow), not --retry times. */
#define STOW_HTTP_GATEWAY(code)                                                \
	((code) == 429 || (code) == 502 || (code) == 503 || (code) == 504)

/* sh for one run with o (--limit-rate); stow_shared_release after. */
void
stow_shared_init(struct stow_shared *sh, const struct storescu_send_opts *o);
void stow_shared_release(struct stow_shared *sh);
/* A connection's --limit-rate settings (none when sh is NULL or has
 * no limit). */
void stow_shared_cfg(struct stow_shared *sh, struct stow_http_cfg *hc);
/* 1 when the service is known to refuse ts. */
int stow_refused(struct stow_shared *sh, const char *ts);
/* Learns that the service refuses ts (STOW_MAX_REFUSED at most); 1
 * when ts is now known refused (as stow_refused would say). */
int stow_learn_refused(struct stow_shared *sh, const char *ts);

/*
 * Decides how it goes (as it is, converted, or not at all: --accept-ts,
 * the syntaxes learned refused, --no-transcode, --lossy) and converts
 * it when it must.  0: it can go; else it has a local outcome
 * (nocontext, transcodefail) and why[] says why.  it->fd stays open.
 */
int stow_prepare(struct run *r, struct item *it, enum storescu_outcome *oc,
    char *why, size_t cap);
/* Drops it's conversion (it->fd stays open). */
void stow_unprepare(struct item *it);
/* The line of a dry run: what stow_prepare would do, converting nothing. */
int stow_plan(struct run *r, struct item *it, enum storescu_outcome *oc,
    char *why, size_t cap);

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
/* The line of a batch's input (its conversion noted). */
void report_item(struct run *r, const struct item *it, enum storescu_outcome oc,
    int has_status, uint16_t status, const char *detail);
/* Opens and probes input k into the batch, or gives it its line. */
void take(struct run *r, const char *path, size_t k);
/* POSTs the batch and gives its inputs their lines; 0 or the error that
 * ends the run (with r->follow, no answer keeps the batch). */
int flush(struct run *r, struct cs_err *err);

#endif
