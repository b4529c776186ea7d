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
 * Every function returns 0 or a negative CS_E_* code (cstore.h) with
 * detail in the caller's struct cs_err.  The library never prints,
 * exits, or changes signal handling.  Callbacks run on association
 * threads, possibly at the same time: the caller serialises its output.
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

#ifdef __cplusplus
extern "C" {
#endif

struct storescp;

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
	int kept;                 /* 1: --on-duplicate keep left the existing file */
	unsigned assoc_id;        /* 1, 2, ... in order of acceptance */
};

/* Log levels passed to the log callback. */
enum storescp_level {
	STORESCP_LOG_ERROR = 0,   /* always worth showing (failures, refusals) */
	STORESCP_LOG_VERBOSE = 1, /* -v: associations, objects, statuses */
	STORESCP_LOG_TRACE = 2,   /* -d: every PDU and DIMSE command */
};

typedef void (*storescp_log_fn)(void *user, int level, const char *line);
typedef void (*storescp_stored_fn)(void *user,
    const struct storescp_stored *s);

/* --on-duplicate policies (the file name is already taken). */
enum storescp_dup {
	STORESCP_DUP_OVERWRITE = 0, /* replace it (a re-send is idempotent) */
	STORESCP_DUP_KEEP,          /* keep the old file, answer Success */
	STORESCP_DUP_RENAME,        /* store another copy as NAME~N.EXT */
	STORESCP_DUP_REJECT,        /* answer 0111 (duplicate SOP instance) */
};

/*
 * Debugging behaviours (faults.c): a receiver that misbehaves on
 * purpose, to test senders.  All zero: a well-behaved receiver.
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
};

struct storescp_config {
	const char *host;          /* address to bind; NULL or "" = every interface */
	const char *port;          /* "0" picks a free port */
	const char *aet;           /* our AE title; NULL = "DCMRECV" */
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
	const char *output_dir;    /* must exist; NULL = "." */
	const char *layout;        /* NULL = "{SOPInstanceUID}.dcm" */
	enum storescp_dup on_duplicate;
	int fsync;                 /* fsync each file and its directory */
	unsigned max_associations; /* at once; 0 = 32; beyond: transient rejection */
	uint32_t max_pdu;          /* advertised; 0 = 256 KiB, UINT32_MAX = no limit */
	unsigned timeout_ms;       /* ARTIM and peer silence; 0 = 30 s */
	/* Exit conditions of storescp_run (0 = none). */
	uint64_t max_files;        /* after this many objects stored */
	uint64_t max_assocs;       /* after this many associations ended */
	unsigned idle_timeout_ms;  /* after this long without any association */
	unsigned grace_ms;         /* when stopping: time for associations in flight (0 = 10 s) */
	/* Command and arguments run after each stored object, "{}" replaced
	 * by its path, without a shell; NULL = none.  Not waited for. */
	const char *const *exec_argv;
	struct storescp_faults faults;
	storescp_stored_fn on_stored; /* may be NULL */
	storescp_log_fn log;          /* may be NULL */
	int log_level;                /* highest enum storescp_level passed to log */
	void *user;                   /* passed to the callbacks */
	/* Asynchronous operations window (PS3.7 D.3.3.3): how many requests
	 * a peer may have outstanding on one association, answered only
	 * when its A-ASSOCIATE-RQ proposes a window (never imposed on one
	 * that does not).  0 = 16; 1 = synchronous (the answer says so);
	 * at most 65535.  Requests are still served one after another, in
	 * order, each response sent as soon as its object is stored. */
	unsigned async_window;
	/* Debugging (faults.c): answer every C-STORE of this SOP Instance
	 * UID with an A-ABORT, the object not stored; NULL = none.  Last,
	 * so that the fields before it keep their offsets. */
	const char *abort_on_instance;
	/* Behind a TCP load balancer (HAProxy send-proxy, send-proxy-v2):
	 * every connection must begin with a PROXY protocol v1 or v2 header,
	 * read within timeout_ms; the client address it names is the peer
	 * from then on (allow, on_stored, the log).  Connections from
	 * addresses outside proxy_from ("ADDR" or "ADDR/BITS"; n 0 = any)
	 * are closed unanswered, as are those without a header. */
	int proxy_protocol;
	const char *const *proxy_from;
	size_t n_proxy_from;
	int reuse_port;            /* SO_REUSEPORT: processes share the port */
	/* An inherited listening socket to serve instead of binding
	 * host:port (systemd socket activation); 0 = none.  Closed by
	 * storescp_run / storescp_free. */
	int listen_fd;
};

/*
 * Checks the config, opens the output directory, parses the layout and
 * listens.  Returns the server in *out, or: CS_E_INVAL (a bad value:
 * layout, SOP class, transfer syntax, AE title; the message says which),
 * CS_E_IO (the output directory cannot be opened or written), CS_E_NET
 * (cannot listen), CS_E_NOMEM.
 */
CS_EXPORT int storescp_new(const struct storescp_config *cfg,
    struct storescp **out, struct cs_err *err);

/* The address and port actually bound (numeric). */
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
 * Asks storescp_run to stop.  Async-signal-safe: call it from a
 * SIGTERM/SIGINT handler.
 */
CS_EXPORT void storescp_request_stop(struct storescp *s);

/* Counters, readable at any time. */
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
 * storescp_run has returned (or was never called).  If --exec commands
 * are still running (they outlived grace_ms), the memory is released
 * when the last of them ends; the callbacks may still be called until
 * then. */
CS_EXPORT void storescp_free(struct storescp *s);

/*
 * Parses a SOP class given as a UID or a registry keyword ("CTImageStorage")
 * into its UID (static storage or uid itself).  Returns 0, or
 * CS_E_NOTFOUND with a message naming it.
 */
CS_EXPORT int storescp_sop_class_uid(const char *name, const char **uid,
    struct cs_err *err);
/* Same for a transfer syntax (UID or keyword "ExplicitVRLittleEndian"). */
CS_EXPORT int storescp_ts_uid(const char *name, const char **uid,
    struct cs_err *err);

/*
 * Parsers for the debugging options, into f.  Each returns 0 or
 * CS_E_INVAL with a message naming the value.
 *   storescp_parse_status     "A700", "0xA700", "42752" -> *status
 *   storescp_parse_respond_every  "N:STATUS" (N >= 1)
 *   storescp_parse_reject     "transient" | "permanent", optionally
 *                             ":REASON": a number 1-7 (source 1,
 *                             service user), or "congestion" / "limit"
 *                             (source 3, reasons 1 and 2)
 */
CS_EXPORT int storescp_parse_status(const char *s, uint16_t *status,
    struct cs_err *err);
CS_EXPORT int storescp_parse_respond_every(const char *s,
    struct storescp_faults *f, struct cs_err *err);
CS_EXPORT int storescp_parse_reject(const char *s, struct storescp_faults *f,
    struct cs_err *err);
/* "overwrite", "keep", "rename", "reject" -> *dup; CS_E_INVAL otherwise. */
CS_EXPORT int storescp_parse_dup(const char *s, enum storescp_dup *dup,
    struct cs_err *err);

#ifdef __cplusplus
}
#endif
#endif
