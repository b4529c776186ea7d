/*
 * storescu.h - libstorescu: a Storage and Verification SCU.
 *
 * Every function that can fail returns 0 or a negative CS_E_* code
 * (cstore.h) with detail in the caller's struct cs_err.  The library
 * never prints, exits or changes signal handling; trace lines go to the
 * config's callback.
 * Pointers in the config are borrowed for the duration of each call.
 */
#ifndef CSTORE_STORESCU_H
#define CSTORE_STORESCU_H

#include <stddef.h>
#include <stdint.h>

#include "cstore/cstore.h"
#include "cstore/tls.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A line of -d/--trace output (no newline), for the caller to print. */
typedef void (*storescu_log_fn)(void *user, const char *line);

/* The defaults storescu_config_init sets. */
#define STORESCU_DEFAULT_CALLING_AE "DCMSEND"
#define STORESCU_DEFAULT_CALLED_AE "ANY-SCP"
#define STORESCU_DEFAULT_CONNECT_TIMEOUT_MS 30000
#define STORESCU_DEFAULT_ACSE_TIMEOUT_MS 30000
#define STORESCU_DEFAULT_DIMSE_TIMEOUT_MS 60000
/* What max_pdu 0 means: 256 KiB (the engine's UL_DEFAULT_MAX_PDU). */
#define STORESCU_DEFAULT_MAX_PDU (256u * 1024u)
/* max_pdu: no limit on the PDUs we receive. */
#define STORESCU_MAX_PDU_NONE UINT32_MAX
/*
 * What a send keeps open, for a caller that fits its parallel
 * associations (jobs) to a descriptor limit: the files each association
 * prepares ahead while it sends (each its source and its converted
 * file), the threads converting for one association (its own aside, the
 * cores shared out among the associations), and the files planning
 * keeps open (a quarter of the descriptor limit, at most this many).
 * Converting with GDCM also starts one thread that forks its worker
 * processes and lives as long as the process (lib/dcmfile/gdcm_jail.h).
 */
#define STORESCU_AHEAD_DEPTH 6
#define STORESCU_AHEAD_WORKERS_MAX 4
#define STORESCU_KEEP_MAX 4096

struct storescu_config {
	/* the peer: both required (NULL or empty: CS_E_INVAL, nothing
	 * sent), except by a dry run */
	const char *host;        /* name or address of the peer */
	const char *port;        /* port number or service name */
	/* AE titles, 1-16 characters of the AE VR (no backslash, not all
	 * spaces): anything else, a longer one too (never cut), fails the
	 * association with CS_E_INVAL before a PDU is sent */
	const char *calling_ae;  /* ours; NULL = STORESCU_DEFAULT_CALLING_AE */
	const char *called_ae;   /* the peer's; NULL = STORESCU_DEFAULT_CALLED_AE */
	/*
	 * The Maximum Length we advertise (largest P-DATA-TF PDU we accept):
	 * 0 = the library default (STORESCU_DEFAULT_MAX_PDU, which is
	 * UL_DEFAULT_MAX_PDU, 256 KiB), STORESCU_MAX_PDU_NONE (UINT32_MAX)
	 * = no limit, else that many bytes.  The same meaning as
	 * storescp_config.max_pdu.
	 */
	uint32_t max_pdu;
	int connect_timeout_ms;  /* 0 = the operating system's limit */
	int acse_timeout_ms;     /* association negotiation and release; 0 = none */
	int dimse_timeout_ms;    /* waiting for each response; 0 = none */
	storescu_log_fn trace;   /* every PDU and DIMSE message, or NULL */
	void *trace_user;
	/*
	 * User Identity Negotiation (PS3.7 D.3.3.7): user (UTF-8, 1-65535
	 * bytes) is sent with each A-ASSOCIATE-RQ when not NULL, as type 2
	 * with the passcode password/password_len (borrowed, never traced)
	 * when password is not NULL, else as type 1 (the name alone).
	 * identity_response asks the peer for a positive response; an
	 * association whose A-ASSOCIATE-AC has none is released at once,
	 * nothing sent on it, and the call fails with CS_E_REJECTED
	 * ("did not confirm").  Defaults: NULL, NULL, 0, 0.
	 */
	const char *user;
	const uint8_t *password;
	size_t password_len;
	int identity_response;
	/* TLS (issue 15): tls.enabled runs each association over TLS,
	 * the handshake within acse_timeout_ms */
	struct cstore_tls tls;
};

/*
 * Fills cfg with the defaults: no host or port, the default AE titles,
 * max_pdu 0 (the library default), the STORESCU_DEFAULT_*_TIMEOUT_MS
 * timeouts, no trace.  Cannot fail.
 */
CS_EXPORT void storescu_config_init(struct storescu_config *cfg);

struct storescu_echo_result {
	uint16_t status;          /* of the C-ECHO-RSP */
	unsigned connect_us;      /* TCP connection set up (microseconds) */
	unsigned assoc_us;        /* connection + association negotiated */
	unsigned echo_us;         /* C-ECHO round trip */
	uint32_t peer_max_pdu;    /* 0 = the peer set no limit */
	char peer_impl_class_uid[65];
	char peer_impl_version[17];
	/* On CS_E_REJECTED: the A-ASSOCIATE-RJ fields. */
	uint8_t rj_result, rj_source, rj_reason;
	/* 1: the A-ASSOCIATE-AC answered our user identity (PS3.7
	 * D.3.3.7.2) */
	int identity_confirmed;
};

/*
 * Verifies a peer: associates proposing Verification, sends a C-ECHO-RQ
 * and releases.  Returns 0 when the peer answered (the status may still
 * be a failure: check r->status), or CS_E_UNREACHABLE / CS_E_NONAME / CS_E_TIMEOUT
 * (cannot connect, or no answer in time), CS_E_REJECTED (the
 * association was rejected; r->rj_* say why), CS_E_ABORTED / CS_E_CLOSED
 * / CS_E_PROTO (aborted, vanished or broke the protocol), CS_E_INVAL
 * (an AE title that cannot be sent, no host or port), CS_E_NOMEM,
 * CS_E_RESOURCE (no socket: out of descriptors).
 */
CS_EXPORT int storescu_echo(const struct storescu_config *cfg,
    struct storescu_echo_result *r, struct cs_err *err);


/* ---- sending files (C-STORE, PS3.4 Annex B) ------------------------ */


/* What happened to one input.  The TSV word of each is in storescu_outcome_word(). */
enum storescu_outcome {
	STORESCU_STORED = 0,   /* the peer answered Success */
	STORESCU_WARNING,      /* the peer answered a Warning: stored */
	STORESCU_FAILED,       /* the peer answered a failure (or other) status */
	STORESCU_UNREADABLE,   /* cannot be opened or read ("unreadable") */
	STORESCU_NOTDICOM,     /* not a DICOM file or data set ("notdicom") */
	STORESCU_TRUNCATED,    /* ends inside an element ("truncated") */
	STORESCU_NOCONTEXT,    /* no accepted context fits it ("nocontext") */
	STORESCU_TRANSCODE,    /* conversion to an accepted syntax failed ("transcodefail") */
	STORESCU_ABORTED,      /* the association ended before its response ("aborted") */
	STORESCU_NOTSENT,      /* its association could not be (re)opened, or ended before it was tried ("notsent") */
	STORESCU_RESUMED,      /* skipped: the --resume log has it stored ("resumed") */
	STORESCU_PLANNED,      /* dry run: would be sent ("planned") */
	STORESCU_DICOMDIR,     /* skipped: a DICOMDIR, no object to store ("dicomdir") */
};

/*
 * The word for an outcome ("unreadable"...); "stored", "warning" and
 * "failed" for the three outcomes that carry a DIMSE status, which the
 * TSV output prints as 4 hex digits instead.  Static string.
 */
CS_EXPORT const char *storescu_outcome_word(enum storescu_outcome o);
/* 1 when the outcome means the input is on the peer (stored, warning, resumed). */
CS_EXPORT int storescu_outcome_stored(enum storescu_outcome o);
/* 1 when sop_class is Media Storage Directory Storage: a DICOMDIR, the
 * index of a file-set (PS3.10 7.2), no object a Storage SCP or a STOW-RS
 * server takes (outcome STORESCU_DICOMDIR); else 0. */
CS_EXPORT int storescu_is_dicomdir(const char *sop_class);
/* The detail of a dicomdir line. */
#define STORESCU_DICOMDIR_DETAIL                                          \
	"a DICOMDIR (Media Storage Directory) indexes the files of a "   \
	"file-set and is not sent: send the files it references"

/*
 * The result of one input, passed to storescu_send_opts.on_result.  Every
 * pointer is valid during the callback only; strings are "" when unknown.
 */
struct storescu_result {
	const char *path;
	size_t index;              /* of the input in the paths array */
	enum storescu_outcome outcome;
	int has_status;            /* 1: status holds the peer's C-STORE-RSP status */
	uint16_t status;
	const char *sop_class;     /* of the data set (the meta's when it has none) */
	const char *sop_instance;
	const char *ts_original;   /* the file's transfer syntax */
	const char *ts_sent;       /* the one it went in ("" when not sent) */
	int transcoded;            /* 1: converted from ts_original to ts_sent */
	uint64_t bytes;            /* data set bytes sent and stored (Success,
				    * Warning); 0 when not stored */
	const char *error_comment; /* the peer's Error Comment (0000,0902) */
	const char *detail;        /* why, in words: local reason, notes */
	unsigned assoc;            /* association number, 1-based; 0 = none */
	unsigned attempts;         /* sends of this input (> 1 after retries) */
	unsigned ms;               /* from opening the file to the response */
	/* storage commitment (--commit): STORESCU_COMMIT_NONE without it
	 * or when the input was not stored; commit_reason is the archive's
	 * Failure Reason (PS3.3 C.14.1.1) when it gave one; transaction_uid
	 * of the request that named the input ("" when none went out) */
	int commit;                /* enum storescu_commit */
	uint16_t commit_reason;
	const char *transaction_uid;
	/* the file read for it (st_dev, st_ino), for a caller that acts on
	 * the path afterwards (--remove-sent): 0, 0 when none was read;
	 * and its st_size, st_mtim and st_ctim (in ns) when it was taken to
	 * be sent, so that one written to since (in place: the same inode)
	 * is told from the bytes that went */
	uint64_t dev, ino;
	uint64_t size;
	int64_t mtime_ns, ctime_ns; /* ctime_ns -1: not compared */
	/* its st_nlink (0: unknown), st_mode, st_uid, st_gid then: a change
	 * time moved with one of them is no write (infile_changed) */
	uint64_t nlink;
	uint32_t mode, uid, gid;
};

/* What storage commitment (PS3.4 Annex J) said of a stored input. */
enum storescu_commit {
	STORESCU_COMMIT_NONE = 0,   /* not asked (no --commit, or not stored) */
	STORESCU_COMMITTED,         /* in the report's Referenced SOP Sequence */
	STORESCU_COMMIT_FAILED,     /* in its Failed SOP Sequence, or refused */
	STORESCU_UNCOMMITTED,       /* no report in time, or none could be asked */
};

/*
 * r as the line of an input skipped because already_stored answered how
 * (non-zero): outcome STORESCU_RESUMED, detail in words ("stored
 * according to the resume log", STORESCU_SENT_EARLIER_DETAIL...) and,
 * when commit (--commit asked), STORESCU_COMMITTED.  The one wording of
 * such lines, whoever writes them: storescu_send, a --follow run giving
 * up, STOW-RS.  The other fields are left as they are.
 */
CS_EXPORT void storescu_result_resumed(
    struct storescu_result *r, int how, int commit);
/* "committed", "commitfailed", "uncommitted", or "" for NONE. */
CS_EXPORT const char *storescu_commit_word(int commit);

/* A stored input whose commitment was asked for, its report not in
 * yet (dcmsend --commit-state; storescu_commit_wait takes them). */
struct storescu_pending {
	const char *transaction_uid;
	const char *path;
	const char *sop_class;
	const char *sop_instance;
	uint16_t status; /* its C-STORE status (Success or a Warning) */
	int last;        /* the last input of its transaction */
	/* the file sent (storescu_result's dev ... ctime_ns; ino 0:
	 * unknown), so that --remove-sent after a later report removes
	 * only that file */
	uint64_t dev, ino, size;
	int64_t mtime_ns, ctime_ns;
};

/* One presentation context of a planned association (dry run). */
#define STORESCU_MAX_TS 16
struct storescu_plan_pc {
	uint8_t pcid;
	const char *abstract_syntax;
	unsigned n_ts;
	const char *ts[STORESCU_MAX_TS];
	/* With probe: the peer's answer (PS3.8 Table 9-18 result). */
	int probed;
	uint8_t result;            /* 0 acceptance, 1-4 rejection reasons */
	const char *accepted_ts;   /* "" unless accepted */
};

/* One planned association, passed to storescu_send_opts.on_plan. */
struct storescu_plan_assoc {
	unsigned assoc;            /* 1-based */
	unsigned lane;             /* 0-based -j lane */
	size_t files;
	uint64_t bytes;
	unsigned n_pc;
	const struct storescu_plan_pc *pc;
	/* With probe: 0, or the negative code of a failed negotiation with
	 * detail (rejection reason...) in probe_error. */
	int probe_rc;
	const char *probe_error;
};

/* Progress so far (for an updating progress line). */
struct storescu_progress {
	size_t files_done, files_total;
	uint64_t bytes_done, bytes_total;
	uint64_t elapsed_us;
};

#define STORESCU_DEFAULT_WINDOW 16
#define STORESCU_MAX_WINDOW 64

struct storescu_send_opts {
	int no_transcode;          /* never convert: such files get "nocontext" */
	int allow_lossy;           /* lossy conversion allowed (else lossless only) */
	unsigned jobs;             /* parallel associations, 1-256; 0 = 1 */
	size_t per_assoc;          /* files per association; 0 = no limit */
	unsigned retries;          /* extra attempts on transient failures */
	int retries_set;           /* retries given, 0 too (follow: else 8 sends) */
	unsigned retry_delay_ms;   /* first backoff delay, doubled each time (cap 60 s) */
	int dry_run;               /* plan only: on_plan per association, "planned" lines */
	int probe;                 /* with dry_run: negotiate each context set, then release */
	/*
	 * Called once per input, in the order results arrive, from one
	 * thread at a time (the library serialises the calls with -j; with
	 * commit_listen_fd, also the threads that take archives' reports
	 * and the one writing the results of transactions past their
	 * deadline).
	 */
	void (*on_result)(void *user, const struct storescu_result *r);
	void (*on_plan)(void *user, const struct storescu_plan_assoc *a);
	/* After each input, serialised like on_result; may be NULL. */
	void (*on_progress)(void *user, const struct storescu_progress *p);
	/* Notes for -v (associations opened, retries); may be NULL, which
	 * also keeps GDCM's messages off (its codecs then run in parallel). */
	storescu_log_fn on_note;
	void *user;
	/*
	 * C-STOREs kept outstanding per association when the peer agrees
	 * (PS3.7 D.3.3.3 Asynchronous Operations Window): 0 = the default
	 * (STORESCU_DEFAULT_WINDOW), 1 = synchronous (nothing proposed),
	 * at most STORESCU_MAX_WINDOW.  Within an attempt of an association
	 * results are reported in file order all the same; files retried
	 * on a later attempt (A7xx, an association that died) come later.
	 */
	unsigned async_window;
	/*
	 * Inputs stored by an earlier run (dcmsend --resume): called once
	 * per input before it is read; non-zero skips it with the outcome
	 * STORESCU_RESUMED, STORESCU_SENT_EARLIER naming another reason:
	 * this run sent the file under that name and removed it since
	 * (--follow --remove-sent).  May be NULL (nothing skipped).
	 */
	int (*already_stored)(void *user, const char *path);
#define STORESCU_SENT_EARLIER 2
#define STORESCU_SENT_EARLIER_DETAIL \
	"sent already: stored and removed (--remove-sent) since its name came again"
	/*
	 * follow (dcmsend --limit-rate): bytes per second written to the
	 * network over all associations of one call together (a token
	 * bucket shared by the -j lanes); 0 = no limit.
	 */
	uint64_t limit_rate;
	/*
	 * Storage commitment (dcmsend --commit): each association also
	 * proposes the Storage Commitment Push Model class and, once its
	 * files are stored, sends one N-ACTION naming them, then waits up
	 * to commit_timeout_ms (0 = STORESCU_DEFAULT_COMMIT_TIMEOUT_MS) for
	 * the N-EVENT-REPORT: on that association, or, with
	 * commit_listen_fd (a listening TCP socket, the caller's; -1 =
	 * none), on an association the archive opens to us there after
	 * ours is released (it proposes SCP/SCU Role Selection for the
	 * class, PS3.7 D.3.3.4; we accept it as SCU).  The results of stored inputs are held back until
	 * their commitment is known (on_result then carries it).
	 */
	int commit;
	int commit_timeout_ms;
	/* listen(2) it with a backlog of STORESCU_COMMIT_LISTEN_BACKLOG:
	 * reports beyond the associations served at once wait there */
	int commit_listen_fd;
	/* debugging: wait this long between the last store and the
	 * N-ACTION (tests change the archive meanwhile) */
	unsigned commit_delay_ms;
	/* Each input of a transaction once its N-ACTION was answered
	 * Success, before its on_result (which says committed, failed or
	 * uncommitted), serialised like it; may be NULL.  A caller that
	 * keeps these until the input's result is committed or failed knows
	 * what a later storescu_commit_wait may still collect.  Strings
	 * valid during the call. */
	void (*on_commit_asked)(void *user, const struct storescu_pending *p);
	/*
	 * Convert each file at its turn.  By default, once a file of an
	 * association had to be converted, worker threads (as many as the
	 * machine has cores, shared out among the lanes) take and convert
	 * its next files while one is sent: up to 6 ahead, at most 32 MB of
	 * converted data sets held besides those being made, a file above
	 * 8 MB at its turn.  Results are the same and in the same order.
	 */
	int no_ahead;
};

#define STORESCU_DEFAULT_COMMIT_TIMEOUT_MS 300000
#define STORESCU_COMMIT_LISTEN_BACKLOG 128

/* The first retry delay storescu_send_opts_init sets. */
#define STORESCU_DEFAULT_RETRY_DELAY_MS 1000

/*
 * Fills o with the defaults: one job, no limit per association, no
 * retries (the first after STORESCU_DEFAULT_RETRY_DELAY_MS when enabled),
 * the default window, conversion allowed (lossless only), no callbacks.
 * Cannot fail.
 */
CS_EXPORT void storescu_send_opts_init(struct storescu_send_opts *o);

struct storescu_summary {
	size_t inputs;
	size_t stored, warning;    /* stored with Success / with a Warning */
	size_t failed;             /* not stored: failure status, nocontext, aborted, notsent, transcodefail */
	size_t skipped;            /* not tried: unreadable, notdicom, truncated, dicomdir, resumed */
	size_t resumed;            /* of skipped: already_stored said so */
	size_t transcoded;
	size_t committed;          /* --commit: of stored, committed */
	unsigned associations;     /* opened successfully */
	uint64_t bytes;            /* data set bytes stored */
	uint64_t elapsed_us;
};

/*
 * Sends the n files paths[] (already expanded: directories and lists are
 * the caller's business) to cfg's peer: probes each file (SOP class,
 * instance, transfer syntax; nothing else is parsed), plans presentation
 * contexts and associations (lib/storescu/propose.h), and sends each file
 * over an association that accepted its class, as is (streamed from the
 * file without a copy in user space: sendfile, or send from a mapping
 * for large data sets) or converted with GDCM to an accepted syntax.
 * Every input gets exactly one on_result call.
 *
 * Returns 0 when every association that was needed worked (files may
 * still have failed: see sum), or the worst failure of an association,
 * in this order: CS_E_ABORTED / CS_E_CLOSED / CS_E_PROTO / CS_E_NET (an
 * association ended or broke mid-way), CS_E_REJECTED (rejected, or none
 * of its contexts accepted), CS_E_UNREACHABLE / CS_E_NONAME / CS_E_TIMEOUT; or before
 * any sending, CS_E_INVAL (bad options), CS_E_NOMEM.  CS_E_RESOURCE (no
 * socket for an association: out of descriptors) ranks with the first
 * group.  Detail in err.
 */
CS_EXPORT int storescu_send(const struct storescu_config *cfg,
    const struct storescu_send_opts *opts, const char *const *paths,
    size_t n, struct storescu_summary *sum, struct cs_err *err);

/* ---- following a stream of inputs (dcmsend --follow) -------------- */

/*
 * Hands storescu_follow its next inputs: up to max paths into out[]
 * (valid until the next call), waiting at most wait_ms for the first
 * one (-1: as long as it takes).  Returns how many (> 0), 0 when none
 * came in time, or -1 at the end of the input.
 */
typedef long (*storescu_next_fn)(
    void *user, const char **out, size_t max, int wait_ms);

#define STORESCU_DEFAULT_IDLE_MS 10000
#define STORESCU_FOLLOW_MAX_DELAY_MS 30000

struct storescu_follow_opts {
	storescu_next_fn next;
	void *user;               /* for next */
	unsigned idle_ms;         /* release an association idle this long */
	int64_t retry_for_ms;     /* the peer may stay unreachable this long;
				   * -1 = forever */
	/* Once per change: the peer became unreachable, or reachable
	 * again (a line without newline); may be NULL. */
	storescu_log_fn on_state;
};

/*
 * Sends inputs as next() hands them over, until it says the input
 * ended.  One association stays open while inputs come (released after
 * idle_ms without one, opened again for the next); it proposes every
 * (class, transfer syntax) pair seen so far, and when a new pair comes
 * the open association is released (nothing is in flight then) and one
 * proposing the pairs so far and the new one is opened.  When the peer
 * cannot be reached, or an association dies, opening is retried with a
 * backoff from opts->retry_delay_ms doubling up to
 * STORESCU_FOLLOW_MAX_DELAY_MS, for up to retry_for_ms; a file in flight
 * when an association died, or answered A7xx (Refused: Out of
 * Resources), is sent again after the backoff, retries + 1 times in all
 * at most when opts->retries_set, else 8.  Files that were answered otherwise
 * are never sent again.  opts->jobs, per_assoc and
 * dry_run are not used.  Every input gets exactly one on_result call;
 * result indexes count from 0 over the whole stream.  Returns as
 * storescu_send does, or the failure to open an association that
 * retry_for_ms ran out on (or that retrying cannot cure: a name that
 * does not resolve, a permanent rejection): the inputs in hand get
 * "notsent" and the rest of the stream is left unread.
 */
CS_EXPORT int storescu_follow(const struct storescu_config *cfg,
    const struct storescu_send_opts *opts,
    const struct storescu_follow_opts *fopts, struct storescu_summary *sum,
    struct cs_err *err);
/*
 * Collects reports that come after the sending command ended
 * (dcmsend --commit-wait): listens on opts->commit_listen_fd (required)
 * for the archive's associations, as storescu_send does, up to
 * opts->commit_timeout_ms, for the n inputs p[] of earlier requests
 * (grouped by transaction).  Every input gets one on_result, as a
 * stored input of storescu_send with --commit would (committed, failed
 * or uncommitted).  Returns 0, CS_E_INVAL (no listener, n 0 or a bad
 * UID), CS_E_NOMEM.
 */
CS_EXPORT int storescu_commit_wait(const struct storescu_config *cfg,
    const struct storescu_send_opts *opts, const struct storescu_pending *p,
    size_t n, struct storescu_summary *sum, struct cs_err *err);

#ifdef __cplusplus
}
#endif
#endif
