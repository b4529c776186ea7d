/*
 * store.h - storing one C-STORE of the receiver: the data set streams
 * into an atomic sink (sink_dir.h) and through the top-level scanner,
 * and at its end the UIDs are checked, the debugging faults decide, the
 * layout names the file and the sink commits it; only then is the
 * status that says "stored" chosen.  No I/O but the sink's files: the
 * session (session.h) answers with the status store_finish gives.
 *
 * A failure at any point removes the temporary file and gives a
 * failure status with an Error Comment (PS3.4 B.2.3: A7xx out of
 * resources, A9xx data set does not match, Cxxx cannot understand).
 *
 * Ownership: every pointer in struct store_who and rq is borrowed from
 * the session and must outlive the C-STORE.
 */
#ifndef CS_STORESCP_STORE_H
#define CS_STORESCP_STORE_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include "cstore/cstore.h"
#include "core/dimse_cmd.h"
#include "core/ds_scan.h"
#include "core/ul_pdu.h"
#include "storescp/layout.h"
#include "storescp/scp.h"
#include "storescp/sink_dir.h"
#include "storescp/store_inflate.h"

/* store_finish and store_data results */
#define STORE_ANSWER 0
#define STORE_ABORT 1 /* A-ABORT instead of an answer */

/* Data set bytes held in memory while the layout's values are awaited;
 * past this the file opens in the output directory and moves at the
 * end (a copy if the final directory is on another file system). */
#define STORE_PEND_MAX (1u << 20)

/* The association a C-STORE comes on (for the meta header, the layout,
 * the log and struct storescp_stored). */
struct store_who {
	unsigned id;
	const char *calling, *called, *peer;
	const char *user;        /* the user identity accepted, "" none */
	const char *tls_subject; /* NULL: no client certificate */
};

/* The most of a failure's reason kept for the log. */
#define STORE_WHY_MAX 511
/* How the reason for a data set that cannot be parsed starts (the log);
 * its C000's Error Comment is the rest. */
#define STORE_PARSE_WHY "cannot parse the data set: "

struct store {
	struct storescp *s;
	struct store_who who;
	const struct dimse_cmd *rq; /* the C-STORE-RQ in progress */
	unsigned n;                 /* C-STOREs of this association so far */
	char ts[UL_UID_MAX + 1];
	uint16_t status; /* failure decided early, or success */
	uint16_t warn;   /* warning for a stored object, or 0 */
	/* why it failed, whole (the log, quarantine.log), and as the Error
	 * Comment answered (store_comment_lo) */
	char comment[STORE_WHY_MAX + 1];
	char lo[DIMSE_LO_MAX + 1];
	/* the data set elements the status off_status is about: its
	 * Offending Element (0000,0901), PS3.4 Table B.2-1 */
	uint16_t off_status;
	uint8_t n_offending;
	uint32_t offending[2];
	int sink_open;
	struct sink sink;
	int scanning; /* the scanner is fed */
	int scan_rc;
	struct ds_scan scan;
	struct cs_err scan_err;
	/* a Deflated data set: its head inflated for the scanner */
	struct store_inflate *zin;
	/* --- debris (issue 14): the file opens in its final directory,
	 * once the layout's data set values have come (store_open.c) --- */
	int deferred;         /* data held in pend until the layout is known */
	struct ds_scan early; /* the layout's tags only, stopping early */
	uint8_t *pend; /* data set bytes before the file opened (owned) */
	size_t pend_len, pend_cap;
	uint64_t ds_bytes; /* data set bytes received */
	int invalid;       /* --validate refused it: quarantine */
	/* group 0002 elements at the data set's head (store_head.c) */
	struct store_head {
		int on;           /* still looking at the first elements */
		enum ds_enc enc;  /* the data set's encoding */
		uint8_t hdr[12];  /* the header of the element in hand */
		size_t have;      /* its bytes so far */
		size_t need;      /* the bytes its header needs: 8 or 12 */
		uint64_t skip;    /* value bytes still to drop */
		unsigned dropped; /* elements dropped */
		uint64_t dropped_bytes; /* their headers and values */
	} head;

	/* an object was stored: once its response has left, the next
	 * one's file is made ahead (store_prepare) */
	int prepare_due;
	/* the next object's temporary file, made ahead (sink_spare), or
	 * -1; no_spare: the output directory cannot have one */
	int spare, no_spare;
	/* spliced bytes (store_splice.c): the pipe and its count (the I/O
	 * loop's); no_splice: the file system cannot take them */
	int unseen_fd, no_splice;
	size_t *unseen_held;
};

/* Sets st up for the association who (copied; its strings borrowed). */
void
store_init(struct store *st, struct storescp *s, const struct store_who *who);

/*
 * Starts the C-STORE rq (borrowed until store_finish or store_drop) on
 * the accepted context pc: checks the command, opens the temporary file
 * with its File Meta Information and the scanner.  A refusal is kept as
 * the status to answer; the data set is then read and dropped.
 */
void store_begin(
    struct store *st, const struct dimse_cmd *rq, const struct ul_pc *pc);
/*
 * The next len bytes of the data set.  Returns 0, or STORE_ABORT when
 * the data set has passed STORESCP_HARD_CAP of max_object_size (the
 * association is to be aborted; nothing is stored).  data NULL: they
 * wait in the pipe store_unseen_room was given (store_unseen).
 */
int store_data(struct store *st, const uint8_t *data, size_t len);

/*
 * store_splice.c: data set bytes spliced from the socket into a pipe.
 * How many of the next n may come that way, unseen, into the open file
 * (0 when they must be seen: see there); fd is the pipe's read end,
 * and each byte taken from it lowers *held (what is left there after
 * store_data, the caller drains).  Both are kept for store_unseen.
 */
uint64_t store_unseen_room(struct store *st, uint64_t n, int fd, size_t *held);
/* store_data's len bytes in the pipe: the scanner counts them and they
 * go into the file; a failed write is store_write's failure. */
void store_unseen(struct store *st, size_t len);
/* A write failed (rc, why): logged, the object refused (A700) and its
 * file removed; the rest of the data set is discarded. */
void store_write_failed(struct store *st, int rc, const char *why);
/* For the Error Comment of a failed write: the system's reason that
 * ends why ("...: Read-only file system") when it is one of the C
 * library's error descriptions, never the path before it or any other
 * text (the peer need not know our directories); cs_strerror(rc) for a
 * full disk or when why ends in none. */
const char *store_fail_reason(int rc, const char *why);


/*
 * Ends the C-STORE: checks the data set, asks the faults, commits and
 * counts the file, and reports a stored one (on_stored: its line, its
 * --exec) before its response is queued.  Returns
 * STORE_ANSWER with the status to answer in *status and the Error
 * Comment ("" for none) in *comment (valid until the next store_begin),
 * or STORE_ABORT with nothing stored.
 */
int store_finish(struct store *st, uint16_t *status, const char **comment);
/*
 * The elements (tags) the answer status of the C-STORE just finished is
 * about, for its Offending Element (PS3.4 Table B.2-1: A900, B007):
 * their number, *tags pointing into st (valid until the next
 * store_begin); 0 when status is not the one they were noted for.
 */
unsigned
store_offending(const struct store *st, uint16_t status, const uint32_t **tags);
/*
 * After a stored object's response: makes the next object's temporary
 * file now, while its request is on its way, when the layout puts every
 * file in the output directory itself (sink_spare).
 */
void store_prepare(struct store *st);
/* The association is over: closes what store_prepare made. */
void store_end(struct store *st);
/* Drops the C-STORE in progress, if any: nothing stored. */
void store_drop(struct store *st);

/* store_open.c: the temporary file in its final directory. */
/* Decides at the command: opens now, or holds the data (deferred). */
void store_open_begin(struct store *st);
/* Held data: kept until the layout is known, then the file opens. */
void store_open_feed(struct store *st, const uint8_t *data, size_t len);
/* The data set ended: opens the file if it was still held. */
void store_open_end(struct store *st);
/* Frees what is held. */
void store_open_drop(struct store *st);
/* Renders the layout for this object into rel (relsz bytes); returns
 * its length or a negative code (layout_render). */
int store_render(struct store *st, char *rel, size_t relsz, struct cs_err *err);
/* Writes len bytes to the open file; a failure (ENOSPC...) removes the
 * file at once and keeps the refusal (store.c). */
void store_write(struct store *st, const uint8_t *data, size_t len);

/* store_head.c: the data set's leading group 0002 elements dropped. */
/* Starts the look for the data set of st->ts (off when it cannot be
 * read: Deflated, unknown). */
void store_head_begin(struct store *st);
/* The next len bytes of the data set: those kept go to store_keep. */
void store_head_feed(struct store *st, const uint8_t *data, size_t len);
/* The data set ended: a header still held is kept. */
void store_head_end(struct store *st);
/* Bytes of the data set to be stored: held (layout) or written. */
void store_keep(struct store *st, const uint8_t *data, size_t len);

/* quarantine.c: keeps a refused object in the quarantine directory
 * (if any) with a line in its quarantine.log. */
void store_quarantine(struct store *st);

/* Error Comment (0000,0902) is LO: at most 64 characters, no backslash
 * or control character (PS3.5 6.2), of the default repertoire (PS3.7
 * 6.3.1: a command's text); out (size DIMSE_LO_MAX + 1) gets the
 * formatted text with every other byte replaced by '?', a longer text
 * cut to 61 characters and "..." (store_comment_lo). */
void store_comment(char *out, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* The same, whole up to STORE_WHY_MAX bytes, into out of size cap. */
void store_why(char *out, size_t cap, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* lo (size DIMSE_LO_MAX + 1): why (store_why's), cut to 61 characters
 * and "..." when longer than 64, so that the peer sees it was cut. */
void store_comment_lo(char *lo, const char *why);

#endif
