/*
 * session_commit.h - Storage Commitment on one association of the
 * receiver, sans I/O beside the index (PS3.4 J.3): the N-ACTION-RQ is
 * answered at once, and the N-EVENT-REPORT-RQ follows on the same
 * association (after --commit-delay) while the requester keeps it open;
 * its N-EVENT-REPORT-RSP is matched.  A report still owed when the
 * association ends (the requester released or aborted it first), or
 * one sent on it and never answered, goes on a new association to the
 * requester (commit_out.h).
 *
 * Ownership: struct scommit is embedded in struct session and owns its
 * transactions (scommit_release).
 */
#ifndef CS_STORESCP_SESSION_COMMIT_H
#define CS_STORESCP_SESSION_COMMIT_H

#include <stdint.h>

#include "core/dimse_cmd.h"
#include "core/ul_assoc.h"
#include "storescp/commit.h"
#include "storescp/scp.h"

/* Reports owed at once on one association; a further N-ACTION is
 * answered 0x0213 (resource limitation). */
#define SCOMMIT_OWED_MAX 8

/* A report owed to the requester. */
struct scommit_owed {
	struct commit_tx tx;
	uint8_t pcid;
	int event; /* 0 until judged, then the Event Type ID */
	int armed; /* due is set */
	uint64_t due;
	int stage;   /* 0 nothing sent, 1 command queued, 2 all queued */
	int blocked; /* the output queue was full: retried at each tick */
	size_t off;  /* of the Event Information queued so far */
	uint16_t msg_id;
	int claimed;   /* its Transaction UID is in s->commit_active */
	int duplicate; /* another owed report has its Transaction UID */
};

struct scommit {
	struct storescp *s;
	unsigned id;         /* the association's, for the log */
	const char *calling; /* borrowed from the session */
	struct commit_tx rq; /* the N-ACTION-RQ being received */
	uint16_t rq_status;  /* 0, or the failure to answer it with */
	int rq_forced;       /* that failure is --commit-respond's */
	struct scommit_owed owed[SCOMMIT_OWED_MAX];
	unsigned n_owed;
	uint16_t next_msg_id;
};

void scommit_init(
    struct scommit *c, struct storescp *s, unsigned id, const char *calling);
/* Frees every transaction (owed reports are dropped: see scommit_end). */
void scommit_release(struct scommit *c);

/* An N-ACTION-RQ on the accepted context pc: checks the command. */
void scommit_begin(
    struct scommit *c, const struct dimse_cmd *rq, const struct ul_pc *pc);
/* The next len bytes of its Action Information. */
void scommit_data(struct scommit *c, const uint8_t *data, size_t len);
/* Its end: fills rsp (the N-ACTION-RSP) and, on success, owes the
 * report on context pcid. */
void scommit_finish(struct scommit *c, const struct dimse_cmd *rq, uint8_t pcid,
    struct dimse_cmd *rsp);

/*
 * At now (ms): queues the first owed report once due (or at once when
 * stopping), when the association is established and nothing else is
 * being answered (held: a response waits).  Returns 1 when something
 * was queued, 0 when nothing, -1 when it cannot be (abort).
 */
int scommit_tick(struct scommit *c, struct ul_assoc *a, uint64_t now,
    int stopping, int held);
/* When scommit_tick wants to be called: the first owed report's due
 * time, or -1 (none, or it waits for room in the output queue). */
int64_t scommit_deadline(const struct scommit *c);
/* An N-EVENT-REPORT-RSP from the requester: 0, or -1 when it answers
 * nothing we sent. */
int scommit_on_rsp(struct scommit *c, const struct dimse_cmd *rsp);
/*
 * The association is over: reports not sent on it go on a new
 * association to the requester (blocking, on this thread), or are
 * logged as undeliverable.
 */
void scommit_end(struct scommit *c);

#endif
