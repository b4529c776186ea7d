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
	/* TLS: the subject of the peer's certificate (RFC 2253), NULL
	 * without TLS or without a client certificate */
	const char *tls_subject;
};

/* Log levels passed to the log callback. */
enum storescp_level {
	STORESCP_LOG_ERROR = 0,   /* always worth showing (failures, refusals) */
	STORESCP_LOG_VERBOSE = 1, /* associations, objects, statuses */
	STORESCP_LOG_TRACE = 2,   /* every PDU and DIMSE command */
};

/* One log line (no newline) at level; the caller prints it or not. */
typedef void (*storescp_log_fn)(void *user, enum storescp_level level,
    const char *line);
/* An object is in place under its final name (s->path). */
typedef void (*storescp_stored_fn)(void *user,
    const struct storescp_stored *s);

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
	/* TLS (issue 15): tls.enabled accepts only TLS connections (the
	 * handshake within timeout_ms); tls.cert and tls.key are read
	 * again by storescp_reload_tls.  An allow entry "subject=DN"
	 * admits a client by its certificate's subject (RFC 2253). */
	struct cstore_tls tls;
};

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
 * config (max_files, max_assocs, idle_timeout_ms).  Then it stops
 * accepting, lets associations in flight finish for up to grace_ms,
 * aborts those still running (their temporary files are removed), and
 * returns 0 once every association thread has ended.  Returns CS_E_NET
 * if the listening socket fails, or CS_E_STATE if called twice.
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
 * Resolves a SOP class given as a UID or a registry keyword ("CTImageStorage")
 * into its UID (static storage or uid itself).  Returns 0, or
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
