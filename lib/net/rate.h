/*
 * rate.h - a token bucket shared by threads, for dcmsend --limit-rate:
 * every association of one send takes its payload bytes from the same
 * bucket, so the limit holds for all -j lanes together.
 */
#ifndef CS_NET_RATE_H
#define CS_NET_RATE_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

struct net_rate {
	pthread_mutex_t mu;
	uint64_t rate;  /* bytes per second, > 0 */
	uint64_t burst; /* the most the bucket holds */
	double tokens;
	uint64_t last_us;
};

/* Starts a full bucket of rate bytes per second (rate > 0). */
void net_rate_init(struct net_rate *r, uint64_t rate);
void net_rate_release(struct net_rate *r);
/*
 * Waits (sleeping, without the lock) until some of want bytes may be
 * written and returns how many: at least 1, at most want.
 */
size_t net_rate_take(struct net_rate *r, size_t want);
/* Gives back bytes taken but not written. */
void net_rate_refund(struct net_rate *r, size_t n);

#endif
