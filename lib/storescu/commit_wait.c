/*
 * commit_wait.c - storescu_commit_wait: the reports of earlier requests
 * (dcmsend --commit-wait), taken on the listener as storescu_send takes
 * them (commit_listen.c).
 */
#include <stdio.h>
#include <string.h>

#include "cstore/storescu.h"
#include "core/alloc.h"
#include "net/net.h"
#include "storescu/commit.h"
#include "storescu/propose.h"
#include "storescu/send_report.h"
#include "storescu/source.h"
#include "core/banned.h"

/* The transaction of cr named uid, made when new; NULL when out of
 * memory. */
static struct commit_tx *
tx_of(struct commit_run *cr, const char *uid, int timeout_ms)
{
	struct commit_tx *tx;
	size_t k;

	for (k = 0; k < cr->n; k++)
		if (strcmp(cr->tx[k]->uid, uid) == 0)
			return cr->tx[k];
	tx = cs_calloc(1, sizeof(*tx));
	if (tx == NULL)
		return NULL;
	snprintf(tx->uid, sizeof(tx->uid), "%s", uid);
	tx->asked = 1;
	tx->deadline_ms = net_now_ms() + (uint64_t)timeout_ms;
	tx->timeout_ms = timeout_ms;
	if (commit_run_add(cr, tx) != 0) {
		cs_free(tx);
		return NULL;
	}
	return tx;
}

/* The transactions of p[], each input held as stored. */
static int
load(struct commit_run *cr, struct send_report *rep,
    const struct storescu_pending *p, size_t n, int timeout_ms,
    struct cs_err *err)
{
	struct storescu_result r;
	struct commit_tx *tx;
	size_t i;

	for (i = 0; i < n; i++) {
		if (!propose_uid_valid(p[i].transaction_uid) ||
		    !propose_uid_valid(p[i].sop_class) ||
		    !propose_uid_valid(p[i].sop_instance))
			return cs_err_set(err, CS_E_INVAL,
			    "pending input %zu ('%s'): not a valid UID", i + 1,
			    p[i].path);
		tx = tx_of(cr, p[i].transaction_uid, timeout_ms);
		report_result_init(&r, rep, i,
		    p[i].status == 0 ? STORESCU_STORED : STORESCU_WARNING);
		r.has_status = 1;
		r.status = p[i].status;
		r.sop_class = p[i].sop_class;
		r.sop_instance = p[i].sop_instance;
		r.dev = 0; /* not compared across runs (send_out.c) */
		r.ino = p[i].ino;
		r.size = p[i].size;
		r.mtime_ns = p[i].mtime_ns;
		/* nor the change time: a later run cannot tell a chmod
		 * or ln since from a write (no st_nlink, st_mode kept) */
		r.ctime_ns = -1;
		if (tx == NULL || commit_hold(tx, &r) != 0)
			return cs_err_set(err, CS_E_NOMEM, "out of memory");
	}
	return 0;
}

int
storescu_commit_wait(const struct storescu_config *cfg,
    const struct storescu_send_opts *opts, const struct storescu_pending *p,
    size_t n, struct storescu_summary *sum, struct cs_err *err)
{
	struct sources src;
	struct send_report rep;
	struct commit_run cr;
	struct commit_listener l;
	const char **paths;
	char why[96];
	int rc,
	    timeout = opts->commit_timeout_ms > 0
	    ? opts->commit_timeout_ms
	    : STORESCU_DEFAULT_COMMIT_TIMEOUT_MS;
	size_t i;

	memset(sum, 0, sizeof(*sum));
	if (opts->commit_listen_fd < 0 || n == 0)
		return cs_err_set(err, CS_E_INVAL,
		    n ? "waiting for reports needs a listener"
		      : "no pending input to wait for");
	paths = cs_calloc(n, sizeof(*paths));
	if (paths == NULL)
		return cs_err_set(err, CS_E_NOMEM, "out of memory");
	for (i = 0; i < n; i++)
		paths[i] = p[i].path;
	rc = sources_init(&src, paths, n, err);
	report_init(&rep, opts, &src, sum);
	commit_run_init(&cr);
	if (rc == 0)
		rc = load(&cr, &rep, p, n, timeout, err);
	memset(&l, 0, sizeof(l));
	l.fd = opts->commit_listen_fd;
	l.cfg = cfg;
	l.cr = &cr;
	l.rp = &rep;
	if (rc == 0)
		rc = commit_listen_start(&l, err);
	if (rc == 0)
		commit_listen_stop(&l); /* no lanes: until reported or due */
	snprintf(why, sizeof(why), "no commitment report within %d s",
	    timeout / 1000);
	commit_run_release(&cr, &rep, why);
	report_release(&rep);
	sources_release(&src);
	cs_free(paths);
	return rc;
}
