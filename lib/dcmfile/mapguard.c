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

/* Mappings guarded at once: a conversion each, per lane and worker. */
#define SLOTS 64

static struct slot {
	atomic_int used;
	atomic_uintptr_t start; /* 0: no mapping (set last, cleared first) */
	atomic_size_t len;
	atomic_int hit;
} slots[SLOTS];

static pthread_once_t once = PTHREAD_ONCE_INIT;
static atomic_int installed;
static uintptr_t page_size;
static struct sigaction prev; /* SIGBUS's action before ours */

/*
 * The faulting page to the guarded mapping's end becomes zeros (mmap is
 * a plain system call on Linux; nothing else here but atomics).  An
 * address no guard holds: the action before ours is put back (the
 * default, or a sanitizer's handler), and the access faults again into
 * it, as it would have without us.
 */
static void
on_sigbus(int sig, siginfo_t *si, void *uc)
{
	uintptr_t a = (uintptr_t)si->si_addr, s, end, pg;
	int e = errno;
	size_t k;

	(void)uc;
	for (k = 0; si->si_code == BUS_ADRERR && k < SLOTS; k++) {
		s = atomic_load(&slots[k].start);
		if (s == 0 || a < s || a - s >= atomic_load(&slots[k].len))
			continue;
		pg = a & ~(page_size - 1);
		end = s + atomic_load(&slots[k].len);
		end = (end + page_size - 1) & ~(page_size - 1);
		if (mmap((void *)pg, end - pg, PROT_READ,
			MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1,
			0) != MAP_FAILED) {
			atomic_store(&slots[k].hit, 1);
			errno = e;
			return;
		}
		break;
	}
	/* not ours: the handler before ours (a sanitizer's) or the
	 * default takes the fault when the access is made again */
	sigaction(sig, &prev, NULL);
	errno = e;
}

static void
install(void)
{
	struct sigaction sa;
	long pg = sysconf(_SC_PAGESIZE);

	if (pg <= 0 || sigaction(SIGBUS, NULL, &prev) != 0 ||
	    (!(prev.sa_flags & SA_SIGINFO) && prev.sa_handler == SIG_IGN))
		return;
	page_size = (uintptr_t)pg;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_sigbus;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	sigemptyset(&sa.sa_mask);
	atomic_store(&installed, sigaction(SIGBUS, &sa, NULL) == 0);
}

int
mapguard_install(void)
{
	pthread_once(&once, install);
	return atomic_load(&installed);
}

int
mapguard_add(const void *addr, size_t len)
{
	int k, free_slot;

	if (!atomic_load(&installed) || addr == NULL || len == 0)
		return -1;
	for (k = 0; k < SLOTS; k++) {
		free_slot = 0;
		if (!atomic_compare_exchange_strong(
			&slots[k].used, &free_slot, 1))
			continue;
		atomic_store(&slots[k].hit, 0);
		atomic_store(&slots[k].len, len);
		atomic_store(&slots[k].start, (uintptr_t)addr);
		return k;
	}
	return -1;
}

int
mapguard_remove(int g)
{
	int hit;

	if (g < 0 || g >= SLOTS)
		return 0;
	atomic_store(&slots[g].start, 0);
	hit = atomic_load(&slots[g].hit);
	atomic_store(&slots[g].used, 0);
	return hit;
}
