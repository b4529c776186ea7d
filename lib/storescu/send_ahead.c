/*
 * send_ahead.c - the workers that prepare an association's next files
 * while the lane sends (send_ahead.h).
 */
#include <sched.h>
#include <string.h>
#include <unistd.h>

#include "net/net.h"
#include "storescu/send_ahead.h"
#include "core/banned.h"

/* A free slot, or NULL; under the lock. */
static struct ahead_slot *
free_slot(struct ahead *a)
{
	size_t k;

	for (k = 0; k < a->depth; k++)
		if (a->slot[k].state == AHEAD_FREE)
			return &a->slot[k];
	return NULL;
}

/* The slot holding position j (not free), or NULL; under the lock. */
static struct ahead_slot *
slot_of(struct ahead *a, size_t j)
{
	size_t k;

	for (k = 0; k < a->depth; k++)
		if (a->slot[k].state != AHEAD_FREE && a->slot[k].j == j)
			return &a->slot[k];
	return NULL;
}

/* Positions before j the lane went past (it had them done already):
 * their slots are free again, what was prepared for them dropped. */
static void
sweep(struct ahead *a, size_t j)
{
	struct ahead_slot *sl;
	size_t k;

	for (k = 0; k < a->depth; k++) {
		sl = &a->slot[k];
		if (sl->j >= j ||
		    (sl->state != AHEAD_READY && sl->state != AHEAD_SKIPPED))
			continue;
		if (sl->state == AHEAD_READY)
			a->ops->drop(a->ctx, sl->item);
		a->held -= sl->bytes;
		sl->state = AHEAD_FREE;
	}
}

static void *
worker(void *arg)
{
	struct ahead *a = arg;
	struct ahead_slot *sl = NULL;
	uint64_t bytes;
	size_t j;
	int want;

	pthread_mutex_lock(&a->mu);
	for (;;) {
		while (!a->stop && a->next < a->n &&
		    ((sl = free_slot(a)) == NULL || a->held >= a->cap))
			pthread_cond_wait(&a->cv, &a->mu);
		if (a->stop || a->next >= a->n)
			break;
		/* claimed under the lock: the lane now waits for it */
		j = a->next++;
		sl->state = AHEAD_WORKING;
		sl->j = j;
		sl->bytes = 0;
		pthread_mutex_unlock(&a->mu);
		want = a->ops->want(a->ctx, j);
		bytes = want ? a->ops->prep(a->ctx, j, sl->item) : 0;
		pthread_mutex_lock(&a->mu);
		sl->state = want ? AHEAD_READY : AHEAD_SKIPPED;
		sl->bytes = bytes;
		a->held += bytes;
		pthread_cond_broadcast(&a->cv);
	}
	pthread_mutex_unlock(&a->mu);
	return NULL;
}

int
ahead_start(struct ahead *a, const struct ahead_ops *ops, void *ctx,
    size_t from, size_t n, void *const *items, size_t depth, uint64_t cap,
    unsigned workers)
{
	size_t k;

	memset(a, 0, sizeof(*a));
	if (depth > AHEAD_DEPTH_MAX)
		depth = AHEAD_DEPTH_MAX;
	if (depth == 0 || from >= n)
		return -1;
	a->ops = ops;
	a->ctx = ctx;
	a->next = from;
	a->n = n;
	a->depth = depth;
	a->cap = cap;
	for (k = 0; k < depth; k++)
		a->slot[k].item = items[k];
	if (pthread_mutex_init(&a->mu, NULL) != 0)
		return -1;
	if (pthread_cond_init(&a->cv, NULL) != 0) {
		pthread_mutex_destroy(&a->mu);
		return -1;
	}
	if (workers > AHEAD_WORKERS_MAX)
		workers = AHEAD_WORKERS_MAX;
	while (a->n_th < workers &&
	    net_thread_start(&a->th[a->n_th], worker, a) == 0)
		a->n_th++;
	if (a->n_th == 0) {
		pthread_cond_destroy(&a->cv);
		pthread_mutex_destroy(&a->mu);
		return -1;
	}
	a->running = 1;
	return 0;
}

void *
ahead_take(struct ahead *a, size_t j)
{
	struct ahead_slot *sl;
	void *item = NULL;

	if (a == NULL || !a->running)
		return NULL;
	pthread_mutex_lock(&a->mu);
	sweep(a, j);
	sl = slot_of(a, j);
	if (sl == NULL) {
		/* not claimed: the lane's, and the worker goes past it */
		if (a->next <= j)
			a->next = j + 1;
	} else {
		while (sl->state == AHEAD_WORKING)
			pthread_cond_wait(&a->cv, &a->mu);
		if (sl->state == AHEAD_READY) {
			sl->state = AHEAD_TAKEN;
			item = sl->item;
		} else {
			sl->state = AHEAD_FREE;
		}
	}
	pthread_cond_broadcast(&a->cv);
	pthread_mutex_unlock(&a->mu);
	return item;
}

void
ahead_done(struct ahead *a, void *item)
{
	size_t k;

	if (a == NULL || !a->running || item == NULL)
		return;
	pthread_mutex_lock(&a->mu);
	for (k = 0; k < a->depth; k++)
		if (a->slot[k].item == item &&
		    a->slot[k].state == AHEAD_TAKEN) {
			a->held -= a->slot[k].bytes;
			a->slot[k].state = AHEAD_FREE;
		}
	pthread_cond_broadcast(&a->cv);
	pthread_mutex_unlock(&a->mu);
}

void
ahead_stop(struct ahead *a)
{
	size_t k;

	if (a == NULL || !a->running)
		return;
	pthread_mutex_lock(&a->mu);
	a->stop = 1;
	pthread_cond_broadcast(&a->cv);
	pthread_mutex_unlock(&a->mu);
	for (k = 0; k < a->n_th; k++)
		pthread_join(a->th[k], NULL);
	for (k = 0; k < a->depth; k++) {
		if (a->slot[k].state == AHEAD_READY)
			a->ops->drop(a->ctx, a->slot[k].item);
		a->slot[k].state = AHEAD_FREE;
	}
	a->held = 0;
	pthread_cond_destroy(&a->cv);
	pthread_mutex_destroy(&a->mu);
	a->running = 0;
}

unsigned
ahead_cores(void)
{
	cpu_set_t set;
	long n;
	int k;

	/* the affinity mask, not the machine: a process confined to one
	 * core (taskset -c 0) gets no second converter fighting the first */
	if (sched_getaffinity(0, sizeof(set), &set) == 0 &&
	    (k = CPU_COUNT(&set)) > 0)
		return (unsigned)k;
	n = sysconf(_SC_NPROCESSORS_ONLN);
	return n < 1 ? 1u : (unsigned)n;
}

unsigned
ahead_share(unsigned cores, unsigned lanes)
{
	unsigned w;

	if (cores < 1)
		cores = 1;
	if (lanes < 1)
		lanes = 1;
	w = (cores + lanes - 1) / lanes;
	return w > AHEAD_WORKERS_MAX ? AHEAD_WORKERS_MAX : w;
}

unsigned
ahead_codec_threads(unsigned cores, unsigned converters)
{
	if (converters < 1)
		converters = 1;
	return cores > converters ? cores / converters : 1;
}
