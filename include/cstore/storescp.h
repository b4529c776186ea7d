/*
 * storescp.h - libstorescp: a Storage and Verification SCP that writes
 * every received object atomically into a directory.
 *
 * One struct storescp listens on one address.  storescp_run() accepts
 * associations, each served by its own thread, until it is asked to stop
 * (storescp_request_stop, safe from a signal handler) or a limit of the
 * config is reached.  Each object is written under a temporary name in
 * the output directory and renamed to its final name before Success is
 * answered; on_stored is called only once the file is in place.
 *
 * Use: storescp_config_init(&cfg), set the fields you need, then
 * storescp_new, storescp_run, storescp_free.  Functions that can fail
 * return 0 or a negative CS_E_* code (cstore.h) with detail in the
 * caller's struct cs_err; each one lists its codes below.  The library
 * never prints, exits, runs commands or changes signal handling.
 * Callbacks run on association threads, possibly at the same time: the
 * caller serialises its output.
 *
 * Ownership: the config and every string and array it points to are
 * borrowed and must stay valid until storescp_free().  Pointers passed
 * to callbacks are valid during the call only.
 */
#ifndef CSTORE_STORESCP_H
#define CSTORE_STORESCP_H

#include <stddef.h>
#include <stdint.h>

#include "cstore/cstore.h"
#include "cstore/tls.h"

#ifdef __cplusplus
extern "C" {
#endif

struct storescp;

/* The defaults storescp_config_init sets; 0 or NULL in those fields
 * means the same. */
#define STORESCP_DEFAULT_AET "DCMRECV"
#define STORESCP_DEFAULT_OUTPUT_DIR "."
#define STORESCP_DEFAULT_LAYOUT "{SOPInstanceUID}.dcm"
#define STORESCP_DEFAULT_MAX_ASSOCIATIONS 32u
#define STORESCP_DEFAULT_MAX_PDU (256u * 1024u)
/* max_pdu: no limit on the PDUs we receive (as STORESCU_MAX_PDU_NONE). */
#define STORESCP_MAX_PDU_NONE UINT32_MAX
#define STORESCP_DEFAULT_TIMEOUT_MS 30000u
#define STORESCP_DEFAULT_GRACE_MS 10000u
#define STORESCP_DEFAULT_ASYNC_WINDOW 16u
#define STORESCP_MAX_ASYNC_WINDOW 65535u
/* Hostile peers (the pre-association budget, progress deadlines). */
#define STORESCP_DEFAULT_RQ_TIMEOUT_MS 10000u
#define STORESCP_DEFAULT_MAX_PENDING 128u
#define STORESCP_DEFAULT_MIN_RATE 4096u
/* listen_fd: bind host:port instead of serving an inherited socket. */
#define STORESCP_NO_LISTEN_FD 0

/* What was stored, for on_stored. */
struct storescp_stored {
	const char *path;         /* output directory + '/' + name used */
	const char *sop_class;    /* from the C-STORE-RQ (checked against the data set) */
	const char *sop_instance;
	const char *ts_uid;       /* negotiated transfer syntax, as in the file */
	const char *calling_ae;   /* the peer's AE title */
	const char *called_ae;
	const char *peer;         /* "127.0.0.1:40123" or "[::1]:40123" */
	uint64_t bytes;           /* file size: meta header + data set */
	uint16_t status;          /* the C-STORE-RSP status answered */
	int kept;                 /* 1: STORESCP_DUP_KEEP left the existing file */
	unsigned assoc_id;        /* 1, 2, ... in order of acceptance */
	/* The user identity check_identity accepted on this association;
	 * "" when none was checked. */
	const char *user;
	/* TLS: the subject of the peer's certificate (RFC 2253), NULL
	 * without TLS or without a client certificate */
	const char *tls_subject;
};

/* Log levels passed to the log callback. */
enum storescp_level {
	/* a fault of this machine an operator must see even when errors are
	 * silenced: an object refused for want of resources (A7xx: a full
	 * disk, an output directory that cannot be written) */
	STORESCP_LOG_ALERT = -1,
	STORESCP_LOG_ERROR = 0,   /* always worth showing (failures, refusals) */
	STORESCP_LOG_VERBOSE = 1, /* associations, objects, statuses */
	STORESCP_LOG_TRACE = 2,   /* every PDU and DIMSE command */
};

/* One log line (no newline) at level; the caller prints it or not. */
typedef void (*storescp_log_fn)(void *user, enum storescp_level level,
    const char *line);
/*
 * An object is in place under its final name (s->path).  Returns 0 when
 * it was reported; non-zero when it could not be (the tool's output is
 * gone): the object is then answered A700, so that its sender keeps its
 * copy, and the file stays where it is.  (It returned void before 0.2.0:
 * libstorescp.so.1, docs/HACKING.md, Versions.)
 */
typedef int (*storescp_stored_fn)(void *user,
    const struct storescp_stored *s);

/*
 * User Identity Negotiation (PS3.7 D.3.3.7): the identity an
 * A-ASSOCIATE-RQ carries, passed to check_identity.  The fields point
 * into the request and are valid during the call only; the passcode must
 * not be logged or kept.
 */
#define STORESCP_USER_MAX 128 /* longest user name shown (bytes) */
struct storescp_identity {
	unsigned type;            /* 1 user name, 2 user name and passcode,
	                             3 Kerberos, 4 SAML, 5 JWT */
	int response_requested;   /* the peer asks for a positive response */
	const uint8_t *primary;   /* user name, ticket, assertion or token */
	size_t primary_len;
	const uint8_t *secondary; /* passcode (type 2), else length 0 */
	size_t secondary_len;
	const char *calling_ae;
	const char *peer;
	/* When response_requested: room for the server response of the
	 * A-ASSOCIATE-AC (e.g. a JSON web token for type 5, D.3.3.7.2),
	 * response_size bytes; the check sets *response_len (0: an empty
	 * response, which types 1 and 2 always get). */
	uint8_t *response;
	size_t response_size;
	size_t *response_len;
};
#define STORESCP_RESPONSE_MAX 65535 /* longest server response (bytes) */
/*
 * Judges an identity: returns 0 to accept it, with the name to show
 * (output, on_stored) written NUL-terminated into name (name_size is
 * STORESCP_USER_MAX + 1), -1 to reject the association permanently,
 * or -2 to reject it transiently (it could not be judged now: a check
 * that did not answer in time), with the reason in why (one line;
 * never the passcode).
 */
typedef int (*storescp_identity_fn)(void *user,
    const struct storescp_identity *id, char *name, size_t name_size,
    char *why, size_t why_size);

/* What to do when the file name is already taken by the same instance. */
enum storescp_dup {
	STORESCP_DUP_OVERWRITE = 0, /* replace it (a re-send is idempotent) */
	STORESCP_DUP_KEEP,          /* keep the old file, answer Success */
	STORESCP_DUP_RENAME,        /* store another copy as NAME~N.EXT */
	STORESCP_DUP_REJECT,        /* answer 0111 (duplicate SOP instance) */
};

/*
 * Debugging behaviours: a receiver that misbehaves on purpose, to test
 * senders.  All zero: a well-behaved receiver.
 */
struct storescp_faults {
	int respond;              /* 1: answer every C-STORE with respond_status */
	uint16_t respond_status;
	unsigned respond_every;   /* N > 0: every N-th C-STORE (server-wide count) */
	uint16_t respond_every_status;
	int reject;               /* 1: reject every association with the fields below */
	uint8_t reject_result;    /* 1 permanent, 2 transient */
	uint8_t reject_source;    /* 1 service user, 3 service provider (presentation) */
	uint8_t reject_reason;
	unsigned abort_after;     /* N > 0: A-ABORT instead of the N-th response of each association */
	unsigned delay_ms;        /* wait this long before each response */
	/* Answer every C-STORE of this SOP Instance UID with an A-ABORT,
	 * the object not stored; NULL = none. */
	const char *abort_on_instance;
};

struct storescp_config {
	const char *host;          /* address to bind; NULL or "" = every interface */
	const char *port;          /* "0" picks a free port */
	const char *aet;           /* our AE title; NULL = STORESCP_DEFAULT_AET */
	int strict_aet;            /* reject a called AE title other than aet */
	/* Admitted peers "AET" or "AET@HOST" (HOST a numeric address); n_allow 0 = anyone. */
	const char *const *allow;
	size_t n_allow;
	/* Accepted SOP classes (UIDs); n 0 = every storage class of the
	 * registry.  Verification is always accepted. */
	const char *const *sop_classes;
	size_t n_sop_classes;
	/* Refused SOP classes (UIDs), even when listed above. */
	const char *const *reject_sop_classes;
	size_t n_reject_sop_classes;
	/* Accepted transfer syntaxes in our order of preference; n 0 = every
	 * standard one, in the order the sender proposes them. */
	const char *const *ts;
	size_t n_ts;
	const char *output_dir;    /* must exist; NULL = STORESCP_DEFAULT_OUTPUT_DIR */
	const char *layout;        /* file names; NULL = STORESCP_DEFAULT_LAYOUT */
	enum storescp_dup on_duplicate;
	int fsync;                 /* fsync each file and its directory */
	/* At once; beyond: transient rejection.  0 = the default (32). */
	unsigned max_associations;
	/* Largest PDU we accept, advertised in the A-ASSOCIATE-AC.  0 = the
	 * library default (STORESCP_DEFAULT_MAX_PDU, 256 KiB), UINT32_MAX
	 * (STORESCP_MAX_PDU_NONE) = no limit; the same meaning as
	 * storescu_config.max_pdu. */
	uint32_t max_pdu;
	unsigned timeout_ms;       /* ARTIM and peer silence; 0 = the default (30 s) */
	/* Exit conditions of storescp_run (0 = none). */
	uint64_t max_files;        /* after this many objects stored */
	uint64_t max_assocs;       /* after this many associations ended */
	unsigned idle_timeout_ms;  /* after this long without any association */
	/* When stopping: time for associations in flight; 0 = the default (10 s). */
	unsigned grace_ms;
	struct storescp_faults faults;
	storescp_stored_fn on_stored; /* may be NULL */
	storescp_log_fn log;          /* may be NULL */
	enum storescp_level log_level; /* highest level passed to log */
	void *user;                   /* passed to the callbacks */
	/* Asynchronous operations window (PS3.7 D.3.3.3): how many requests
	 * a peer may have outstanding on one association, answered only
	 * when its A-ASSOCIATE-RQ proposes a window (never imposed on one
	 * that does not).  0 = the default (16); 1 = synchronous (the
	 * answer says so); at most STORESCP_MAX_ASYNC_WINDOW.  Requests are
	 * still served one after another, in order, each response sent as
	 * soon as its object is stored. */
	unsigned async_window;
	/* Behind a TCP load balancer (HAProxy send-proxy, send-proxy-v2):
	 * every connection must begin with a PROXY protocol v1 or v2 header,
	 * read within timeout_ms; the client address it names is the peer
	 * from then on (allow, on_stored, the log).  Connections from
	 * addresses outside proxy_from ("ADDR" or "ADDR/BITS"; n 0 = any)
	 * are closed unanswered, as are those without a header.  Default:
	 * 0, off (the connection's own peer address counts). */
	int proxy_protocol;
	const char *const *proxy_from;
	size_t n_proxy_from;
	/* SO_REUSEPORT: processes share the port.  Default 0, off. */
	int reuse_port;
	/* An inherited listening socket to serve instead of binding
	 * host:port (systemd socket activation); STORESCP_NO_LISTEN_FD (0,
	 * the default) = none.  Closed by storescp_run / storescp_free. */
	int listen_fd;
	/* Hostile peers.  A connection must send a whole A-ASSOCIATE-RQ
	 * within rq_timeout_ms (0 = the default, 10 s; never longer than
	 * timeout_ms); until then it waits in a budget of its own, apart
	 * from the association slots: max_pending connections (0 = the
	 * default, 128, lowered to a quarter of the descriptor limit), at
	 * most max_pending_per_host of one source address (0 = an eighth of
	 * max_pending); to make room the oldest goes first.  Once
	 * associated, every message must arrive at min_rate bytes per
	 * second on average after timeout_ms (0 = the default, 4 KiB/s),
	 * each PDU within timeout_ms plus its length at that rate.
	 * max_per_host: associations of one source address at once (with
	 * proxy_protocol, of the client a header names), beyond which the
	 * RQ gets a transient rejection (0 = no limit). */
	unsigned rq_timeout_ms;
	unsigned max_pending;
	unsigned max_pending_per_host;
	unsigned min_rate;
	unsigned max_per_host;
	/*
	 * User Identity (PS3.7 D.3.3.7).  check_identity judges the identity
	 * of every A-ASSOCIATE-RQ that carries one (called with user, on the
	 * association's thread, after the AE title and context checks); a
	 * refusal is an A-ASSOCIATE-RJ rejected-permanent, source service
	 * user, reason 1 (no reason given), rejected-transient when it
	 * returns -2.  An accepted identity whose RQ asked for a positive
	 * response gets one in the A-ASSOCIATE-AC: the server response the
	 * check wrote for types 3-5, else an empty one (PS3.7 D.3.3.7.2).
	 * NULL (the default): identities are ignored and never answered.
	 * require_identity: reject an RQ without one, likewise (needs
	 * check_identity, else storescp_new says CS_E_INVAL).  Default 0.
	 * identity_user is passed to check_identity.
	 */
	storescp_identity_fn check_identity;
	void *identity_user;
	int require_identity;
	/* Storage Commitment Push Model as SCP (PS3.4 Annex J), when
	 * commit is 1 (default 0: the class is not accepted, nothing is
	 * indexed): every stored file is indexed (OUTPUT_DIR/.cstore-index)
	 * and an N-ACTION is answered with an N-EVENT-REPORT on the
	 * requester's association while it stays open, else on a new
	 * association to the requester, looked up by its AE title in
	 * commit_peers ("AET=HOST:PORT").  Debugging: commit_delay_ms
	 * before each report; commit_fail_every N > 0 reports every N-th
	 * instance of a request failed (0110); commit_respond, when not 0,
	 * answers every N-ACTION with that status and owes no report. */
	int commit;
	const char *const *commit_peers;
	size_t n_commit_peers;
	unsigned commit_delay_ms;
	unsigned commit_fail_every;
	uint16_t commit_respond;
	/* --- debris and limits (issue 14) ---
	 * A C-STORE whose data set grows past max_object_size bytes (0 = no
	 * limit) is not written on: its temporary file is removed at once,
	 * the rest is read and discarded, and A700 is answered.  Past
	 * STORESCP_HARD_CAP(max_object_size) the association is aborted.
	 * Below min_free_space free bytes in the file system of the
	 * object's directory (0 = no check) a new object is answered A700
	 * before a byte is written.  At storescp_new, temporary files that
	 * receivers killed on a file system without O_TMPFILE left behind
	 * (those whose owner process is gone, never a live one's) are
	 * removed from the output directory down to the layout's depth. */
	uint64_t max_object_size;
	uint64_t min_free_space;
	/* validate: check every data set beyond its structure (which is
	 * always parsed to its end when its transfer syntax is not
	 * deflated): native Pixel Data must hold Rows x Columns x Samples
	 * per Pixel x Bits Allocated x Number of Frames bits.  A failing
	 * object is answered A900 (C000 when it cannot be parsed) with an
	 * Error Comment saying what is wrong, and not stored; with
	 * quarantine_dir (must exist; NULL = none) it is kept there as
	 * SOPInstanceUID.dcm (NAME~2.dcm ... when taken) with a line in
	 * quarantine_dir/quarantine.log: name, status, reason, calling AE
	 * title, peer, tab-separated.  Default 0, NULL. */
	int validate;
	const char *quarantine_dir;
	/* TLS (issue 15): tls.enabled accepts only TLS connections (the
	 * handshake within timeout_ms); tls.cert and tls.key are read
	 * again by storescp_reload_tls.  An allow entry "subject=DN"
	 * admits a client by its certificate's subject (RFC 2253); with
	 * tls.enabled it needs tls.ca (without, no certificate is asked
	 * for: storescp_new refuses it, CS_E_INVAL). */
	struct cstore_tls tls;
};

/* Data set bytes after which a C-STORE over max_object_size is aborted
 * rather than discarded: twice the limit, at least the limit + 64 MiB. */
#define STORESCP_HARD_CAP(max)                                                  \
	((max) > (64ull << 20) ? (max) * 2 : (max) + (64ull << 20))

/*
 * Sets every field of cfg: the STORESCP_DEFAULT_* values, port "0" (any
 * free port), every other field 0 or NULL (no lists, no limits, no
 * faults, no callbacks).  Cannot fail.
 */
CS_EXPORT void storescp_config_init(struct storescp_config *cfg);

/*
 * Checks the config, opens the output directory, parses the layout and
 * listens.  Returns the server in *out, or: CS_E_INVAL (a bad value:
 * layout, SOP class, transfer syntax, AE title; the message says which),
 * CS_E_IO (the output directory cannot be opened or written), CS_E_NET
 * (cannot listen), CS_E_NOMEM.
 */
CS_EXPORT int storescp_new(const struct storescp_config *cfg,
    struct storescp **out, struct cs_err *err);

/*
 * The address (numeric, cut to hostlen - 1 bytes) and port actually
 * bound.  Returns 0; it cannot fail.
 */
CS_EXPORT int storescp_addr(const struct storescp *s, char *host,
    size_t hostlen, unsigned *port);

/*
 * Serves until stopped: storescp_request_stop(), or a limit of the
 * config (max_files, max_assocs, idle_timeout_ms).  On a limit the port
 * closes at once: no association starts after it, connections without
 * one get the transient A-ASSOCIATE-RJ (but under TLS).  On
 * storescp_request_stop() the connections already in the listening
 * socket's backlog are taken in first, then the port closes; those
 * and the ones waiting for their A-ASSOCIATE-RQ still start their
 * associations within grace_ms, but in its last part (min(1 s, the RQ
 * window, grace_ms / 2)), and are sent the transient rejection when
 * late (their RQ window over) or when that last part begins.  In both
 * cases the associations in flight get up to grace_ms in all to finish;
 * those still running are aborted (their temporary files removed), and
 * it returns 0 once every association thread has ended.  Returns
 * CS_E_NET if the listening socket fails, or CS_E_STATE if called twice.
 */
CS_EXPORT int storescp_run(struct storescp *s, struct cs_err *err);

/*
 * Asks storescp_run to stop (and returns at once, nothing to report).
 * Async-signal-safe: call it from a SIGTERM/SIGINT handler.
 */
CS_EXPORT void storescp_request_stop(struct storescp *s);

/*
 * Asks storescp_run to read the TLS certificate, key and CAs of the
 * config again (and returns at once).  New connections use them;
 * associations in progress keep theirs.  When the files cannot be used
 * the old ones stay, and the log says why.  Async-signal-safe: call it
 * from a SIGHUP handler.  Nothing happens without TLS.
 */
CS_EXPORT void storescp_reload_tls(struct storescp *s);

/* Counters, readable at any time (storescp_get_stats cannot fail). */
struct storescp_stats {
	uint64_t stored;        /* objects stored (files in place) */
	uint64_t failed;        /* C-STOREs answered with a failure status */
	uint64_t associations;  /* associations accepted */
	uint64_t rejected;      /* associations rejected */
	uint64_t aborted;       /* associations aborted (by either side) */
};
CS_EXPORT void storescp_get_stats(struct storescp *s,
    struct storescp_stats *st);

/* Closes the socket and frees the server; NULL-safe.  Only after
 * storescp_run has returned (or was never called); no callback runs
 * after that. */
CS_EXPORT void storescp_free(struct storescp *s);

/*
 * Resolves a SOP class given as a UID, a registry keyword ("CTImageStorage")
 * or its PS3.6 name ("CT Image Storage", any case) into its UID (static
 * storage or uid itself).  Returns 0, or
 * CS_E_NOTFOUND with a message naming it.
 */
CS_EXPORT int storescp_sop_class_uid(const char *name, const char **uid,
    struct cs_err *err);
/* Same for a transfer syntax (UID or keyword "ExplicitVRLittleEndian");
 * returns 0 or CS_E_NOTFOUND. */
CS_EXPORT int storescp_ts_uid(const char *name, const char **uid,
    struct cs_err *err);

#ifdef __cplusplus
}
#endif
#endif
