/*
 * ul_pair.h - test harness for lib/core/ul_assoc: one association side
 * with recording callbacks and scripted reactions, and a requestor <->
 * acceptor pair wired in memory (the output of one is the input of the
 * other).  Used by t_ul_assoc.c and t_ul_fsm.c.
 */
#ifndef CS_TESTS_UL_PAIR_H
#define CS_TESTS_UL_PAIR_H

#include <stddef.h>
#include <stdint.h>

#include "core/ul_assoc.h"

/* Reactions a side performs from its callbacks. */
#define SIDE_ACCEPT 0x01       /* on_associate_rq: accept (first TS) */
#define SIDE_REJECT 0x02       /* on_associate_rq: reject 1/1/1 */
#define SIDE_RELEASE_RP 0x04   /* on_release_rq: answer (also in Sta12) */
#define SIDE_ECHO 0x08         /* on a finished dataset: send it back */
#define SIDE_SEND_ON_AC 0x10   /* on_associate_ac: send command+dataset */
#define SIDE_EXTERNAL 0x20     /* ... the dataset via ul_pdata_external */
#define SIDE_RELEASE_ON_DATA 0x40 /* on a finished dataset: release */
#define SIDE_FAIL_PDV 0x80     /* on_pdv returns -1 */
#define SIDE_FAIL_CB 0x100     /* every callback but on_abort returns -1 */
#define SIDE_DRAIN_IN_CB 0x200 /* ... SIDE_ECHO writes its output from on_pdv */

#define SIDE_LOG_MAX 8192
#define SIDE_DATA_MAX (64 * 1024)

struct side {
	struct ul_assoc *a;
	int role;
	unsigned flags;
	/* what the callbacks saw */
	char log[SIDE_LOG_MAX];
	size_t log_len;
	int n_rq, n_ac, n_rj, n_rel_rq, n_rel_rp, n_abort, n_pdv;
	struct ul_abort abort;
	int abort_from_peer;
	struct ul_assoc_rj rj;
	uint8_t data[SIDE_DATA_MAX]; /* dataset bytes received (reassembled) */
	size_t data_len;
	int data_done;               /* datasets completed (LAST + END) */
	int bad_chunking;            /* a callback broke an invariant */
	/* what it sent (every byte written to the transport) */
	uint8_t *sent;
	size_t sent_len, sent_cap;
	size_t fed;                  /* bytes of sent pair_run gave the peer */
	/* the dataset SIDE_SEND_ON_AC sends, and external payload source */
	const uint8_t *ds;
	size_t ds_len;
	size_t ext_off;              /* next byte of ds owed as payload */
	int last_rc;                 /* first negative code a call returned */
	size_t drain_max;            /* pair_run writes at most this per turn */
	size_t drained_in_cb;        /* bytes SIDE_DRAIN_IN_CB wrote */
	/* trace: the largest P-DATA-TF PDU length sent */
	uint32_t max_pdata_sent;
	int n_trace;
	/* the bytes a test consumed with ul_recv_unseen: on_pdv with data
	 * NULL takes its len bytes from here (NULL: that is bad chunking) */
	const uint8_t *unseen;
	int n_unseen; /* on_pdv calls with data NULL */
};

/* The proposal every test uses: 3 contexts (ids 1, 3, 5). */
void pair_proposal(struct ul_assoc_params *rq);
/* Accepts every context a's RQ proposed, with its first transfer syntax
 * (ul_associate_accept must succeed). */
void pair_accept_all(struct ul_assoc *a);
/* Sets up s (zeroed first) and creates its association; 0 or -1. */
int side_init(struct side *s, int role, unsigned flags,
    const struct ul_config *cfg);
void side_release(struct side *s);
/*
 * Writes what s has queued into s->sent (and external payload from
 * s->ds); returns the number of bytes written.  At most max bytes (0:
 * no limit).
 */
size_t side_drain(struct side *s, size_t max);
/* Records the first negative rc in s->last_rc; returns rc. */
long side_rc(struct side *s, long rc);
/*
 * Feeds in[0..len) to s in chunks of chunk bytes (0 = whole); returns
 * the total consumed or the first negative code.
 */
long side_feed(struct side *s, const uint8_t *in, size_t len, size_t chunk,
    uint64_t now);

/*
 * Runs a whole exchange between r (requestor) and s (acceptor), both
 * created, moving bytes (everything in sent not yet given to the peer) in chunks of chunk (0 = all at once) until
 * nothing moves, then closes the transport for whichever side still
 * waits.  Starts with ul_associate_rq + connects when start is set.
 * Returns 0, or -1 if a call returned an error (codes in last_rc).
 */
int pair_run(struct side *r, struct side *s, size_t chunk, int start);

#endif
