/*
 * commit.h - storage commitment as its requester (PS3.4 Annex J, Push
 * Model), internal to libstorescu.  While an association sends, the
 * results of the inputs it stored are held in a transaction list of
 * its own (commit_hold); once its files are done, commit_request sends
 * the N-ACTION for them and either waits there for the N-EVENT-REPORT
 * or, with a listener, hands the transactions to the run, whose
 * listener takes the archive's associations while the lanes send and
 * after (commit_listen.c).  Each held result is then reported once,
 * with its commitment, through the run's report: as soon as its
 * report is in (and its request answered), or at the end of the wait.
 */
#ifndef CS_STORESCU_COMMIT_H
#define CS_STORESCU_COMMIT_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "cstore/storescu.h"
#include "core/buf.h"
#include "core/commit_ds.h"
#include "core/dimse_msg.h"
#include "storescu/send_report.h"
#include "storescu/session.h"

/* Instances one N-ACTION names at most: a request of about 130 KiB,
 * which no archive we know refuses; more go in further transactions. */
#define COMMIT_MAX_REFS 1000

/* One stored input whose result waits for its commitment. */
struct commit_held {
	struct storescu_result r; /* strings point at the copies below */
	char cls[COMMIT_UID_MAX + 1], inst[COMMIT_UID_MAX + 1];
	char ts0[COMMIT_UID_MAX + 1], ts1[COMMIT_UID_MAX + 1];
	char comment[68], detail[DETAIL_MAX];
	/* the report committed it under another SOP class (detail says) */
	int other_class;
};

/* One N-ACTION: its held inputs and what became of them. */
struct commit_tx {
	char uid[COMMIT_UID_MAX + 1];
	struct commit_held *h;
	size_t n, cap;
	int reported;         /* its N-EVENT-REPORT arrived */
	int asked;            /* its N-ACTION was answered Success */
	uint64_t deadline_ms; /* net_now_ms() at which it is given up */
	int timeout_ms;       /* --commit-timeout: from the request's answer */
	struct commit_tx *next; /* in a commit_rx's settled list */
};

/* The transactions of one run waiting on the listener. */
struct commit_run {
	pthread_mutex_t mu;
	struct commit_tx **tx;
	size_t n, cap;
};

void commit_run_init(struct commit_run *cr);
/* Adds tx (owned by cr from now on; the caller holds cr->mu when the
 * listener runs).  0 or CS_E_NOMEM. */
int commit_run_add(struct commit_run *cr, struct commit_tx *tx);
/* The listener's tick: takes the transactions of cr asked for whose
 * deadline passed before now off its list (linked by next; NULL: none). */
struct commit_tx *commit_run_expired(struct commit_run *cr, uint64_t now);
/* Reports the transactions of list as uncommitted (no report within
 * their timeout) and frees them.  Under no lock: it writes lines. */
void commit_expired_report(struct commit_tx *list, struct send_report *rp);
/* Reports what is left as uncommitted (why) and frees everything. */
void commit_run_release(
    struct commit_run *cr, struct send_report *rp, const char *why);

struct commit_rx;

/* Holds the result r (copied) in tx.  0 or CS_E_NOMEM. */
int commit_hold(struct commit_tx *tx, const struct storescu_result *r);

/*
 * Reports every held result of tx with commitment state c (enum
 * storescu_commit, for those without one yet) and the reason why
 * (added to the detail unless NULL), then empties tx.
 */
void commit_tx_finish(
    struct commit_tx *tx, struct send_report *rp, int c, const char *why);

/*
 * Asks for the commitment of what tx holds over s, which stored it (its
 * context pcid accepted the commitment class; 0 when the peer refused
 * it), in transactions of at most COMMIT_MAX_REFS.  Without a listener
 * waits on s up to timeout_ms for the reports; with cr (a listener)
 * moves the transactions there.  Every held result of tx is reported,
 * or moved, when this returns.  x: s's request callbacks (commit_rx_cb,
 * set up by the caller with cr, and kept until s is closed: a report
 * may come on s, even while it is released).
 */
void commit_request(struct commit_tx *tx, struct scu_session *s, uint8_t pcid,
    struct send_report *rp, struct commit_run *cr, int timeout_ms,
    struct commit_rx *x);

/* --- reports, on our association or the archive's ------------------- */

/*
 * Takes in N-EVENT-REPORT-RQs of the commitment class (as the request
 * callbacks of a DIMSE receiver: commit_rx_cb) and applies each to the
 * transaction of tx[0..n) (or of cr's list, under its lock) it names,
 * answering it on a.  Any other request fails the receiver (the
 * association is aborted).
 */
struct commit_rx {
	struct ul_assoc *a;
	struct commit_tx **tx;
	size_t n;
	struct commit_run *cr; /* instead of tx and n when not NULL */
	/* with cr: where a transaction's lines go as soon as its report is
	 * applied and its request answered (NULL: at the end of the run) */
	struct send_report *rp;
	uint8_t pcid;
	struct dimse_cmd cmd;
	struct wr ds; /* its Event Information */
	size_t got;   /* reports applied */
	/* with cr: the transactions settled here (reported and answered,
	 * off cr's list), linked by next: their lines go when x is
	 * released, once its association is over, so that a stalled
	 * reader of the lines holds up no answer, lane or lock */
	struct commit_tx *settled;
	storescu_log_fn trace;
	void *trace_user;
	int trace_rq; /* trace the requests too (no session does) */
};
extern const struct dimse_rx_callbacks commit_rx_cb;

void commit_rx_init(struct commit_rx *x, struct ul_assoc *a,
    struct commit_tx **tx, size_t n, struct commit_run *cr);
/* Reports the transactions settled on x (x->settled) and frees x. */
void commit_rx_release(struct commit_rx *x);
/* Reports and frees the settled transactions of list (linked by next). */
void commit_settled_report(struct commit_tx *list, struct send_report *rp);

/*
 * The listener (commit_listen.c): serves the archive's associations on
 * fd, applying reports to cr's transactions, until *lanes_done is set
 * and every transaction has its report or its deadline passed.  Runs
 * in a thread of its own; cfg gives timeouts, the trace and TLS (with
 * tls.enabled the archive must connect over TLS and present a
 * certificate tls.ca trusts; ours is tls.cert).  0, or CS_E_TLS /
 * CS_E_INVAL (the TLS files), CS_E_NOMEM with err set.
 */
/* Connections served at once; more wait in the listen backlog
 * (STORESCU_COMMIT_LISTEN_BACKLOG) until one ends. */
#define COMMIT_LISTEN_CONN_MAX 8

struct commit_listener {
	int fd;
	const struct storescu_config *cfg;
	struct commit_run *cr;
	struct send_report *rp;
	int lanes_done; /* under cr->mu */
	pthread_t th;
	/* with cfg->tls: the listener's server context (its certificate,
	 * the archive's required); made by commit_listen_start */
	struct tls_ctx *tls;
	/* each connection in a thread of its own, so that a silent one
	 * (a scanner, a health check) holds up no report; the listener
	 * cuts what is left (shutdown) when it ends */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int conn_fd[COMMIT_LISTEN_CONN_MAX]; /* -1: free; under mu */
	/* it applied a report: given time to release at the end */
	int conn_got[COMMIT_LISTEN_CONN_MAX]; /* under mu */
	int n_conn;                           /* under mu */
	/* connection threads still running: one that has left its slot
	 * may still be writing its lines (under mu); and the one writing
	 * the lines of expired transactions */
	int n_thr;
	/* transactions past their deadline whose lines wait for the
	 * thread writing them, and whether it runs (under mu) */
	struct commit_tx *expired;
	int printing;
};
int commit_listen_start(struct commit_listener *l, struct cs_err *err);
/* Sets lanes_done and waits for the listener to end. */
void commit_listen_stop(struct commit_listener *l);

#endif
