/*
 * send_ahead.h - files of one association prepared ahead of their turn
 * on a thread of their own (internal to libstorescu): while the lane
 * sends file j and waits for the peer, a worker takes and converts the
 * files after it, so that decoding runs beside sending and the peer.
 *
 * Positions 0..n-1 are prepared in order, each at most once, by the
 * worker or by the lane: a position the worker has not claimed when the
 * lane wants it is the lane's (the worker never takes it after), one it
 * is preparing is waited for.  What is prepared lives in the caller's
 * items (one per slot) until the lane is done with it; what the lane
 * never wanted is handed to drop when the worker stops.
 *
 * Bound: at most depth positions claimed or prepared at once, and the
 * worker claims no new one while what it holds reaches cap bytes (the
 * byte count prep returns): held <= cap + what one prep returns.
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

#define AHEAD_DEPTH_MAX 8

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
	pthread_t th;
	int running, stop;
	const struct ahead_ops *ops;
	void *ctx;
	size_t n, next; /* positions; the next the worker may claim */
	size_t depth;
	uint64_t cap, held; /* bytes: the bound, prepared and not done */
	struct ahead_slot slot[AHEAD_DEPTH_MAX];
};

/*
 * Starts the worker on positions from..n-1 with depth slots (at most
 * AHEAD_DEPTH_MAX; items[k] is slot k's storage) and a cap of cap
 * bytes.  Returns 0, or -1 when no thread could be started (a is then
 * inert: ahead_take returns NULL, ahead_stop does nothing).
 */
int ahead_start(struct ahead *a, const struct ahead_ops *ops, void *ctx,
    size_t from, size_t n, void *const *items, size_t depth, uint64_t cap);

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
