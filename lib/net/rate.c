/* rate.c - the shared token bucket of --limit-rate (rate.h). */
#include <errno.h>
#include <time.h>

#include "net/net.h"
#include "net/rate.h"
#include "core/banned.h"

/* A burst of 50 ms of the rate keeps writes large and the rate even. */
#define BURST_DIV 20
#define BURST_MIN 16384u

void
net_rate_init(struct net_rate *r, uint64_t rate)
{
	pthread_mutex_init(&r->mu, NULL);
	r->rate = rate ? rate : 1;
	r->burst = r->rate / BURST_DIV;
	if (r->burst < BURST_MIN)
		r->burst = BURST_MIN;
	r->tokens = 0;
	r->last_us = net_now_us();
}

void
net_rate_release(struct net_rate *r)
{
	pthread_mutex_destroy(&r->mu);
}

static void
refill(struct net_rate *r)
{
	uint64_t now = net_now_us();

	r->tokens += (double)(now - r->last_us) * (double)r->rate / 1e6;
	if (r->tokens > (double)r->burst)
		r->tokens = (double)r->burst;
	r->last_us = now;
}

size_t
net_rate_take(struct net_rate *r, size_t want)
{
	/* wait for a worthwhile share, not for single bytes */
	double least =
	    want < r->burst / 4 ? (double)want : (double)(r->burst / 4);
	struct timespec ts;
	size_t got;
	double us;

	if (want == 0)
		return 0;
	pthread_mutex_lock(&r->mu);
	for (refill(r); r->tokens < least; refill(r)) {
		us = (least - r->tokens) * 1e6 / (double)r->rate;
		pthread_mutex_unlock(&r->mu);
		/* a microsecond more: the tokens are there when it ends */
		net_duration_us(&ts, (uint64_t)us + 1);
		while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
			;
		pthread_mutex_lock(&r->mu);
	}
	got = (double)want < r->tokens ? want : (size_t)r->tokens;
	if (got == 0)
		got = 1;
	r->tokens -= (double)got;
	pthread_mutex_unlock(&r->mu);
	return got;
}

void
net_rate_refund(struct net_rate *r, size_t n)
{
	pthread_mutex_lock(&r->mu);
	r->tokens += (double)n;
	pthread_mutex_unlock(&r->mu);
}
