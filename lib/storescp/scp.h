/*
 * scp.h - internals of libstorescp shared by its files: the association
 * policy (policy.c), the debugging behaviours (faults.c), the receiver
 * object and its shared services (scp.c: log, counters, wake).  The
 * receiver mirrors the sender; calls go one way, down this list:
 *   server.c   the listening loop, a thread per connection; its socket
 *              from listen.c (bound, shared, or inherited)
 *   conn.c     one connection's I/O loop (scp_serve): pump, clock, waits;
 *              first its PROXY protocol header (proxy.c)
 *   session.c  the association sans I/O: callbacks, decisions, responses
 *   store.c    one C-STORE: faults, layout, commit to sink_dir.c
 *   session_commit.c  Storage Commitment on the association: commit.c
 *              (one transaction), commit_index.c (what is held),
 *              commit_out.c (a report on a new association)
 * The public API is include/cstore/storescp.h.
 *
 * Ownership: struct scp_policy owns copies of everything it was built
 * from (free with policy_release); every other pointer is borrowed.
 */
#ifndef CS_STORESCP_SCP_H
#define CS_STORESCP_SCP_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "cstore/cstore.h"
#include "cstore/storescp.h"
#include "core/ul_pdu.h"
#include "storescp/commit_index.h"
#include "storescp/layout.h"
#include "storescp/pending.h"
#include "storescp/sink_dir.h"

/* --- policy.c ----------------------------------------------------------- */

struct scp_allow {
	char ae[UL_AE_MAX + 1];
	char host[64]; /* "" = any host */
	/* "subject=DN": a TLS client certificate's subject (ae "") */
	char subject[256];
};

struct scp_policy {
	char aet[UL_AE_MAX + 1];
	int strict_aet;
	size_t n_allow;
	struct scp_allow *allow;
	size_t n_classes;     /* 0: every storage class of the registry */
	const char **classes; /* UIDs (copies) */
	size_t n_refused;
	const char **refused;
	size_t n_ts;           /* 0: every standard TS, the sender's order */
	const char **ts;       /* in our order of preference */
	uint16_t async_window; /* operations the peer may invoke at once */
	int commit;            /* Storage Commitment accepted */
};

/*
 * Builds p from the config: resolves keywords, validates UIDs, AE
 * titles and the asynchronous operations window, copies everything.  Returns 0, CS_E_INVAL (message names the
 * value) or CS_E_NOMEM.
 */
int policy_init(struct scp_policy *p, const struct storescp_config *cfg,
    struct cs_err *err);
void policy_release(struct scp_policy *p);

/* NULL when ae is an AE title (PS3.5 AE: 1-16 characters of the
 * default repertoire but the backslash and control characters, not all
 * spaces), else why not ("must be ..."): --aet, --allow, --commit-peer. */
const char *policy_ae_why(const char *ae);

/* 1 when SOP class uid is accepted (Verification always is). */
int policy_class_ok(const struct scp_policy *p, const char *uid);
/* 1 when transfer syntax uid is accepted. */
int policy_ts_ok(const struct scp_policy *p, const char *uid);
/* Might a context of any class be accepted with this transfer syntax
 * (policy_ts_ok, or one a Storage Commitment context takes)?  The
 * engine keeps only these of an A-ASSOCIATE-RQ (ul_config.ts_keep). */
int policy_ts_keep(const struct scp_policy *p, const char *uid);

/* policy_decide results */
#define POLICY_ACCEPT 0
#define POLICY_REJECT 1

/*
 * Decides an A-ASSOCIATE-RQ coming from numeric address peer_host (over
 * TLS with a client certificate of subject subject, else NULL): fills
 * ac (answer to every proposed context: the accepted transfer syntax, or
 * the PS3.8 Table 9-18 reason) and returns POLICY_ACCEPT, or fills rj
 * (PS3.8 9.3.4: permanent, service user, reason 2 application context,
 * 3 calling AE title, 7 called AE title) and returns POLICY_REJECT.
 * why (size whysz) gets a one-line reason either way ("" when all is
 * accepted).  An association whose contexts are all refused is still
 * accepted: the sender learns which contexts were refused.  An
 * asynchronous operations window is answered only when rq proposes one.
 */
int policy_decide(const struct scp_policy *p, const struct ul_assoc_params *rq,
    const char *peer_host, const char *subject, struct ul_assoc_params *ac,
    struct ul_assoc_rj *rj, char *why, size_t whysz);

/* --- faults.c ----------------------------------------------------------- */

struct commit_peer;

struct scp_faults {
	struct storescp_faults f;
	char abort_on[UL_UID_MAX +
	    1];              /* f.abort_on_instance copied; "" = none */
	atomic_ulong stores; /* C-STOREs answered, server-wide */
};

/* f may be NULL; f->abort_on_instance (NULL: none) is copied, cut at
 * UL_UID_MAX, so that f need not outlive s. */
void faults_init(struct scp_faults *s, const struct storescp_faults *f);
/*
 * The status to answer for the next C-STORE, given the status we would
 * answer (computed).  Counts the C-STORE.  *forced is 1 when a fault
 * chose the status (the object is then stored only if the forced status
 * means stored).
 */
uint16_t faults_status(struct scp_faults *s, uint16_t computed, int *forced);
/* 1 when the n-th C-STORE of an association (1-based), of SOP instance
 * instance, must be answered with an A-ABORT; *why gets the option. */
int faults_abort_now(const struct scp_faults *s, unsigned n,
    const char *instance, const char **why);
/* 1 and *rj filled when every association is to be rejected. */
int faults_reject(const struct scp_faults *s, struct ul_assoc_rj *rj);

/* --- server.c, conn.c, scp.c ---------------------------------------------- */

struct scp_host {
	char host[64];
	unsigned n; /* associations serving from it */
};

/* Transaction UIDs remembered as owed at once (struct storescp) */
#define SCP_COMMIT_ACTIVE_MAX 256

struct storescp {
	struct storescp_config cfg;
	struct scp_policy policy;
	struct scp_faults faults;
	struct layout layout;
	struct sink_root root;
	int lfd;     /* listening socket */
	int wake[2]; /* self-pipe: stop requests, association ends */
	char host[64];
	unsigned port;
	atomic_int stop_requested; /* lock-free: set from signal handlers */
	atomic_int hard_stop;      /* grace over: abort what still runs */
	atomic_int unreportable;   /* on_stored failed: store no more */
	int running;
	pthread_mutex_t mu; /* the fields below */
	pthread_cond_t cv;
	unsigned active;    /* threads: serving, rejecting or reporting */
	unsigned serving;   /* associations counted against the limit */
	unsigned reporting; /* closed, delivering owed commitment reports */
	unsigned next_id;
	uint64_t ended; /* associations finished */
	struct storescp_stats stats;
	uint64_t last_activity_ms; /* when the last association ended */
	/* hostile peers: connections before their RQ (listening thread
	 * only), associations per source address (under mu) */
	struct pending pend;
	struct scp_host *hosts; /* max_associations entries */
	size_t n_hosts;
	uint64_t abusive; /* associations aborted as abusive (under mu) */
	/* Storage Commitment: the index, the requesters' addresses */
	struct commit_index index;
	struct commit_peer *commit_peers;
	size_t n_commit_peers;
	/* the Transaction UIDs whose report is owed, on any association
	 * (session_commit.c; under mu), once for each owed report (a
	 * duplicate's too): a request reusing one is a duplicate (PS3.4
	 * J.3.3.1.2); a request beyond SCP_COMMIT_ACTIVE_MAX owed at once
	 * is refused (0213) */
	char commit_active[SCP_COMMIT_ACTIVE_MAX][COMMIT_UID_MAX + 1];
	unsigned n_commit_active;
	/* --- debris (issue 14): --quarantine, opened by scp_debris_init */
	struct sink_root qroot;
	int has_qroot;
	/* TLS (tls_server.c): the context new connections take */
	pthread_mutex_t tls_mu;
	struct tls_ctx *tls; /* NULL without TLS */
	/* the client context of commitment reports on new associations
	 * (commit_out.c): our certificate, the peer checked with tls.ca;
	 * NULL without TLS or --commit */
	struct tls_ctx *tls_client;
	atomic_int tls_reload; /* storescp_reload_tls asked */
};

/* over_limit of scp_serve: which limit (--max-per-host, or in all) */
#define SCP_OVER_ALL 1
#define SCP_OVER_HOST 2

/*
 * Serves one accepted connection fd to its end (closes fd; conn.c).  over_limit:
 * answer the association request with a transient rejection "local
 * limit exceeded" (result 2, source 3, reason 2) instead.  closed, when
 * not NULL, is called with arg once fd is closed, before the reports
 * still owed are delivered on new associations (after --commit-delay,
 * to a requester that may be slow): from then the association is over
 * and counts against no limit.  Returns SCP_SERVED_ACCEPTED when the
 * association was accepted, with SCP_SERVED_WORK when a request other
 * than C-ECHO came on it (a C-STORE...), else 0.
 */
#define SCP_SERVED_ACCEPTED 1
#define SCP_SERVED_WORK 2
int scp_serve(struct storescp *s, int fd, unsigned id, int over_limit,
    void (*closed)(void *), void *arg);

/*
 * Applies the output directory's limits to s->root and sweeps it of
 * dead receivers' temporary files (debris.c; logs what it removed).
 * Returns 0 (a sweep that fails only warns).
 */
int scp_debris_init(struct storescp *s, struct cs_err *err);
/* Closes what scp_debris_init opened (the quarantine directory). */
void scp_debris_release(struct storescp *s);

/* Adds one to a counter of s->stats, under s->mu (scp.c). */
void scp_count(struct storescp *s, uint64_t *field);

/* Logs through the config's callback at level (printf-style). */
void scp_log(struct storescp *s, enum storescp_level level, const char *fmt,
    ...) __attribute__((format(printf, 3, 4)));

/* --- tls_server.c --------------------------------------------------------- */

struct transport;
/* Makes the TLS context of s->cfg.tls (nothing without TLS); 0 or
 * CS_E_TLS / CS_E_INVAL with err set.  scp_tls_release frees it. */
int scp_tls_init(struct storescp *s, struct cs_err *err);
void scp_tls_release(struct storescp *s);
/* A reference to the client context (NULL without one): tls_ctx_free
 * it after the handshake. */
struct tls_ctx *scp_tls_client(struct storescp *s);
/* In storescp_run's loop: a reload asked for is done here, off the
 * signal handler; a failure keeps the old context and is logged. */
void scp_tls_reload_if_asked(struct storescp *s);
/* The handshake of a new connection (plain transport t, upgraded in
 * place) within the config's timeout; 0 at once without TLS. */
int scp_tls_accept(struct storescp *s, struct transport *t, struct cs_err *err);

/* Wakes storescp_run (an association ended, a limit may be reached). */
void scp_wake(struct storescp *s);

#endif
