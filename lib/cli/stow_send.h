/*
 * stow_send.h - dcmsend to an http:// or https:// URL: the inputs
 * stored over DICOMweb STOW-RS (PS3.18 10.5) in batches of several
 * instances per request, each input given the same result line as a
 * C-STORE (storescu_send_opts.on_result), and --echo as a QIDO-RS query.
 * The HTTP side is lib/web/stow_http.c.
 */
#ifndef CS_CLI_STOW_SEND_H
#define CS_CLI_STOW_SEND_H

#include <stddef.h>
#include <stdint.h>

#include "cstore/storescu.h"

struct cs_err;

#define STOW_DEFAULT_BATCH 16
#define STOW_DEFAULT_BATCH_BYTES (64u * 1024u * 1024u)
#define STOW_MAX_ACCEPT 16

struct stow_opts {
	const char *url;      /* the service's base URL, no trailing '/' */
	const char *ca;       /* --tls-ca, or NULL */
	const char *cert;     /* --tls-cert (https: a client certificate) */
	const char *key;      /* --tls-key, or NULL: in cert's file */
	const char *bearer;   /* from --bearer-file, or NULL */
	int netrc;            /* --netrc */
	size_t batch;         /* --stow-batch: instances per request */
	uint64_t batch_bytes; /* --stow-bytes: a request's files' bytes */
	long connect_timeout_ms;
	long timeout_ms; /* --dimse-timeout: silence that fails a request */
	/* --accept-ts: the transfer syntaxes the service takes (UIDs);
	 * none: any, until it refuses one */
	const char *accept_ts[STOW_MAX_ACCEPT];
	size_t n_accept_ts;
	void (*trace)(void *user, const char *line);
};

/* 1 when s begins with http:// or https:// (either case). */
int stow_is_url(const char *s);

/*
 * Sends the n paths as storescu_send does (o: on_result, user,
 * already_stored, retries, retry_delay_ms, jobs, dry_run, allow_lossy,
 * no_transcode, limit_rate; every input gets one on_result).  A file
 * in a syntax the service does not take (so->accept_ts, or refused by
 * an HTTP 415 or Failure Reason C122 during the run) is converted as
 * over DIMSE (lib/cli/stow_xcode.c).  0 when every request was answered (inputs may still
 * have failed: see sum); CS_E_REJECTED (HTTP 401 or 403),
 * CS_E_UNREACHABLE / CS_E_NONAME / CS_E_TLS / CS_E_TIMEOUT (no answer:
 * the inputs not sent are "notsent"), CS_E_NET (a request broke
 * mid-way), with err.
 */
int stow_send(const struct stow_opts *so, const struct storescu_send_opts *o,
    const char **paths, size_t n, struct storescu_summary *sum,
    struct cs_err *err);

/*
 * dcmsend --follow URL: the paths fo->next hands over, as they come:
 * what is queued goes at once (up to a batch a request).  While the
 * service does not answer, the batch in hand is sent again with a
 * backoff for fo->retry_for_ms (-1: forever), fo->on_state told once
 * per change; the queue keeps draining the pipe meanwhile.  Returns as
 * stow_send; after a failure that ends it the rest of the stream is
 * left unread.
 */
int stow_follow(const struct stow_opts *so, const struct storescu_send_opts *o,
    const struct storescu_follow_opts *fo, struct storescu_summary *sum,
    struct cs_err *err);

/* --echo: GET url/studies?limit=1 (QIDO-RS); *code its HTTP status.
 * 0 (answered: see *code), or as stow_send. */
int stow_echo(const struct stow_opts *so, long *code, struct cs_err *err);

#endif
