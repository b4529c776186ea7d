/*
 * send_batch.h - the files of one planned association and what became
 * of them (internal to libstorescu).  send_assoc.c opens associations
 * for a batch (with retries) until every file has its result;
 * send_window.c sends a batch's files over one of them.
 */
#ifndef CS_STORESCU_SEND_BATCH_H
#define CS_STORESCU_SEND_BATCH_H

#include <stddef.h>
#include <stdint.h>

#include "cstore/cstore.h"
#include "cstore/storescu.h"
#include "dcmfile/part10.h"
#include "storescu/send.h"
#include "storescu/session.h"

/* One input on its way: from taking its file to its response. */
struct flight {
	int sent;  /* a request went out (answered or not) */
	int mixed; /* its file was written to as its last PDU went */
	int cut;   /* its request went out, its data set not whole */
	int early; /* cut, and answered Success or Warning even so */
	uint16_t early_status; /* that answer */
	uint16_t msg_id;
	size_t j; /* position in the association's list */
	uint64_t t0, len;
	struct part10_info info;
	struct storescu_result r;
	char detail[DETAIL_MAX];
};

/*
 * What a file without a final result is waiting for.  --retry N allows
 * each file N + 1 requests, over as many associations as it takes; an
 * association that dies costs an attempt only to the files in flight.
 */
enum obj_state {
	OBJ_FRESH, /* not sent yet, or not in this run of associations */
	OBJ_LOST,  /* in flight when an association died: sent again alone */
	OBJ_BUSY,  /* answered A7xx: sent again on a new association */
};

struct lane_ahead;

struct batch {
	struct send_run *run;
	const struct propose_set *set;
	const size_t *idx;    /* input indexes */
	size_t n, left;       /* files, files without a final result */
	size_t busy;          /* answered A7xx in this attempt */
	size_t ahead;         /* position read ahead last, or SIZE_MAX */
	int sent_source;      /* the last data set sent came from its file */
	char *done;           /* per file: final result reported */
	unsigned *sends;      /* per file: requests sent so far */
	unsigned char *state; /* per file: enum obj_state */
	uint16_t *status;     /* per file: the A7xx of an OBJ_BUSY one */
	unsigned max_sends;   /* --retry + 1 (--follow: FOLLOW_MAX_SENDS) */
	/* --follow: an A7xx counts against max_sends only when nothing of
	 * b was stored since the attempt that refused the file last ended
	 * (an archive storing others meanwhile is short of room, not
	 * refusing this file for good); stores in that attempt itself do
	 * not count, as a file too large for the archive goes beside small
	 * ones that fit */
	int busy_by_progress;
	size_t stored_n;        /* files of b stored so far */
	size_t *busy_seen;      /* per file: stored_n when the attempt that
	                      answered it A7xx last ended (follow.c) */
	unsigned *busy_counted; /* per file: its A7xx answers counted */
	unsigned *deaths; /* per file: associations that died with it out */
	size_t lost; /* reported aborted or notsent as an association died */
	unsigned assoc, attempt;
	struct flight *ring; /* the window: SCU_WINDOW_MAX places */
	/* batch_send's decode-ahead while it runs (send_window.c), or NULL */
	struct lane_ahead *ah;
	int dead_rc;  /* why the association died, or 0 */
	int death_rc; /* the latest death of any attempt, or 0 */
	struct cs_err death;
	/* the file whose data set could not be read to the end (CS_E_IO):
	 * the association died of it, not of the peer */
	struct flight *broken;
	int broken_outcome; /* enum storescu_outcome: truncated if it
	                       shrank, else unreadable */
	struct cs_err dead;
	/* --commit: the stored results of this attempt, held back, and the
	 * accepted commitment context (0: none) */
	struct commit_tx held;
	/* why held is not asked for yet: the latest attempt that ended
	 * without asking (the peer's death, or an abort of ours); "" once
	 * held is asked for (batch_commit) */
	char held_why[CS_ERR_MSG_MAX + 80];
	struct ul_pc *pcs; /* the set's contexts and the commitment one */
	uint8_t n_pc;
};

/*
 * Sends the files of b not yet done over s, keeping up to s->window
 * requests outstanding (PS3.7 D.3.3.3) and reporting results in the
 * order of the files.  Returns 1 if the association died (b->dead), 0
 * when every file sent got its answer (b->busy of them A7xx, to send
 * again).
 */
int batch_send(struct batch *b, struct scu_session *s);

/*
 * The batch of the count inputs idx[] (borrowed) over associations
 * proposing set, numbered assoc in results (send_assoc.c).  Returns 0
 * or CS_E_NOMEM; batch_release either way.
 */
int batch_init_files(struct batch *b, struct send_run *run,
    const struct propose_set *set, const size_t *idx, size_t count,
    unsigned assoc);
void batch_release(struct batch *b);
/* --commit: asks over s (alive) for the commitment of what b stored
 * and holds, then reports each of those inputs with its commitment;
 * reports coming on s go to x (commit_rx_init by the caller, set as
 * s's request callbacks and kept until s is closed). */
void batch_commit(struct batch *b, struct scu_session *s, struct commit_rx *x);
/* No association is left for what b stored and did not ask for yet:
 * each of those inputs is reported uncommitted. */
void batch_commit_give_up(struct batch *b);
/* No more associations: every file still without a result gets one
 * ("notsent", or what its earlier attempts came to), saying why. */
void batch_give_up(struct batch *b, const char *why);
/* Sleeps before attempt number attempt (1, 2...): retry_delay_ms
 * doubled each time, at most 60 s. */
void send_backoff(const struct send_run *run, unsigned attempt);
/* Is a failure to open an association worth another attempt? */
int send_transient_open(int rc, const struct scu_session *s);

#endif
