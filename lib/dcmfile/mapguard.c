/* mapguard.c - SIGBUS of a shortened file mapping read as zeros,
 * remembered (see mapguard.h). */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "dcmfile/mapguard.h"
#include "core/banned.h"

#define SLOTS MAPGUARD_SLOTS

/* start and len change only with seq odd (a writer holds lock); the
 * handler reads them between two equal even seq values */
static struct slot {
	int used; /* under lock */
	atomic_uint seq;
	atomic_uintptr_t start; /* 0: no mapping */
	atomic_size_t len;
	atomic_int hit;
} slots[SLOTS];

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t freed = PTHREAD_COND_INITIALIZER;
static atomic_int enabled;
static atomic_uintptr_t page_size;

void
mapguard_enable(void)
{
	long pg = sysconf(_SC_PAGESIZE);

	if (pg > 0) {
		atomic_store(&page_size, (uintptr_t)pg);
		atomic_store(&enabled, 1);
	}
}

void
mapguard_disable(void)
{
	atomic_store(&enabled, 0);
}

/* Slot k's mapping as one registration made it, or 0. */
static uintptr_t
slot_read(size_t k, size_t *len)
{
	unsigned q = atomic_load(&slots[k].seq);
	uintptr_t s;

	if (q & 1)
		return 0; /* being changed: not the faulting thread's own */
	s = atomic_load(&slots[k].start);
	*len = atomic_load(&slots[k].len);
	return atomic_load(&slots[k].seq) == q ? s : 0;
}

/*
 * The faulting page to the guarded mapping's end becomes zeros (mmap is
 * a plain system call on Linux; nothing else here but atomics).
 */
int
mapguard_absorb(const siginfo_t *si)
{
	uintptr_t a = (uintptr_t)si->si_addr, s, end, pg;
	uintptr_t psz = atomic_load(&page_size);
	size_t k, len;
	int e = errno;

	if (!atomic_load(&enabled) || si->si_code != BUS_ADRERR || psz == 0)
		return 0;
	for (k = 0; k < SLOTS; k++) {
		s = slot_read(k, &len);
		if (s == 0 || a < s || a - s >= len)
			continue;
		pg = a & ~(psz - 1);
		end = (s + len + psz - 1) & ~(psz - 1);
		if (mmap((void *)pg, end - pg, PROT_READ,
			MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1,
			0) == MAP_FAILED)
			break;
		atomic_store(&slots[k].hit, 1);
		errno = e;
		return 1;
	}
	errno = e;
	return 0;
}

/* Publishes (start, len) in slot k, the handler seeing it whole. */
static void
slot_set(int k, uintptr_t start, size_t len)
{
	atomic_fetch_add(&slots[k].seq, 1);
	atomic_store(&slots[k].start, start);
	atomic_store(&slots[k].len, len);
	atomic_fetch_add(&slots[k].seq, 1);
}

int
mapguard_add(const void *addr, size_t len)
{
	int k = SLOTS;

	if (!atomic_load(&enabled) || addr == NULL || len == 0)
		return -1;
	pthread_mutex_lock(&lock);
	/* never unguarded while enabled: a conversion ends, its slot frees */
	while (atomic_load(&enabled)) {
		for (k = 0; k < SLOTS && slots[k].used; k++)
			;
		if (k < SLOTS)
			break;
		pthread_cond_wait(&freed, &lock);
	}
	if (k < SLOTS && atomic_load(&enabled)) {
		slots[k].used = 1;
		atomic_store(&slots[k].hit, 0);
		slot_set(k, (uintptr_t)addr, len);
	} else {
		k = -1;
	}
	pthread_mutex_unlock(&lock);
	return k;
}

int
mapguard_remove(int g)
{
	int hit;

	if (g < 0 || g >= SLOTS)
		return 0;
	pthread_mutex_lock(&lock);
	slot_set(g, 0, 0);
	hit = atomic_load(&slots[g].hit);
	slots[g].used = 0;
	pthread_cond_signal(&freed);
	pthread_mutex_unlock(&lock);
	return hit;
}
