/*
 * send_ahead.h - files of one association prepared ahead of their turn
 * on threads of their own (internal to libstorescu): while the lane
 * sends file j and waits for the peer, workers take and convert the
 * files after it, so that decoding runs beside sending and the peer,
 * and on every core.
 *
 * Positions 0..n-1 are claimed in order, each prepared at most once, by
 * a worker or by the lane: a position no worker has claimed when the
 * lane wants it is the lane's (no worker takes it after), one a worker
 * is preparing is waited for.  What is prepared lives in the caller's
 * items (one per slot) until the lane is done with it; what the lane
 * never wanted is handed to drop when the worker stops.
 *
 * Bound: at most depth positions claimed or prepared at once, and no
 * worker claims a new one while what they hold reaches cap bytes (the
 * byte count prep returns): held < cap + what one prep returns times
 * the number of workers.
 *
 * A position the lane goes past without taking it frees its slot at
 * the lane's next ahead_take (what was prepared for it dropped).
 *
 * Thread use: ahead_start, ahead_take, ahead_done and ahead_stop from
 * the lane's thread only; want and prep run on the worker (never for a
 * position the lane prepares), drop on the lane's thread (in
 * ahead_take, and in ahead_stop once the worker has ended).
 */
#ifndef CS_STORESCU_SEND_AHEAD_H
#define CS_STORESCU_SEND_AHEAD_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "cstore/storescu.h"

#define AHEAD_DEPTH_MAX 8
#define AHEAD_WORKERS_MAX STORESCU_AHEAD_WORKERS_MAX

enum ahead_state {
	AHEAD_FREE,
	AHEAD_WORKING, /* claimed by the worker, being prepared */
	AHEAD_READY,   /* prepared, waiting for the lane */
	AHEAD_SKIPPED, /* not wanted: the lane prepares it itself */
	AHEAD_TAKEN,   /* handed to the lane, until ahead_done */
};

struct ahead_ops {
	/* 1 when position j may be prepared ahead (not done, not large) */
	int (*want)(void *ctx, size_t j);
	/* prepares j into item; returns the bytes it holds (the bound) */
	uint64_t (*prep)(void *ctx, size_t j, void *item);
	/* releases a prepared item the lane never took */
	void (*drop)(void *ctx, void *item);
};

struct ahead_slot {
	enum ahead_state state;
	size_t j;
	uint64_t bytes;
	void *item;
};

struct ahead {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	pthread_t th[AHEAD_WORKERS_MAX];
	unsigned n_th;
	int running, stop;
	const struct ahead_ops *ops;
	void *ctx;
	size_t n, next; /* positions; the next the worker may claim */
	size_t depth;
	uint64_t cap, held; /* bytes: the bound, prepared and not done */
	struct ahead_slot slot[AHEAD_DEPTH_MAX];
};

/* The cores this process may run on (its CPU affinity: taskset, cpusets),
 * at least 1. */
unsigned ahead_cores(void);

/*
 * Workers for each of lanes lanes on cores cores: the cores shared out,
 * rounded up, 1 to AHEAD_WORKERS_MAX.  A lane's thread mostly waits for
 * the peer and converts only what no worker took, so lanes x workers
 * CPU-bound threads: as many as the cores while lanes <= cores (-j 1:
 * cores workers; -j 2 on 2 cores: 1 each).
 */
unsigned ahead_share(unsigned cores, unsigned lanes);

/*
 * Threads one decode may use inside its codec (dcmfile_codec_threads)
 * when converters threads convert at once on cores cores: the cores
 * shared out, rounded down, at least 1, so that converters x codec
 * threads never passes the cores (OpenJPEG would otherwise start a pool
 * of one thread per processor for every frame, on every converting
 * thread).
 */
unsigned ahead_codec_threads(unsigned cores, unsigned converters);

/*
 * Starts workers threads (1 to AHEAD_WORKERS_MAX) on positions
 * from..n-1 with depth slots (at most AHEAD_DEPTH_MAX; items[k] is slot
 * k's storage) and a cap of cap bytes.  Returns 0 (with at least one
 * thread), or -1 when none could be started (a is then inert:
 * ahead_take returns NULL, ahead_stop does nothing).
 */
int ahead_start(struct ahead *a, const struct ahead_ops *ops, void *ctx,
    size_t from, size_t n, void *const *items, size_t depth, uint64_t cap,
    unsigned workers);

/*
 * The lane's turn for position j (increasing from call to call):
 * returns the item prepared for it, waiting while the worker prepares
 * it, or NULL when the lane must prepare j itself (the worker will not).
 * NULL-safe.
 */
void *ahead_take(struct ahead *a, size_t j);

/* The lane is done with the item ahead_take gave: its slot is free.
 * NULL-safe (a and item). */
void ahead_done(struct ahead *a, void *item);

/* Stops the worker (after the prep under way), drops what was prepared
 * and not taken.  NULL-safe and idempotent. */
void ahead_stop(struct ahead *a);

#endif
