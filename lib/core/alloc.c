/* alloc.c - allocation wrappers with failure injection for tests. */
#include <stdatomic.h>
#include <stdlib.h>

#include "alloc.h"

/* Atomic because every thread of a tool allocates through here (the
 * -j lanes at once); relaxed is enough for a counter tests read later. */
static atomic_ulong fail_at;
static atomic_ulong count;

static int
should_fail(void)
{
	unsigned long n =
	    atomic_fetch_add_explicit(&count, 1, memory_order_relaxed);
	unsigned long at = atomic_load_explicit(&fail_at, memory_order_relaxed);

	return at != 0 && n + 1 == at;
}

void *
cs_malloc(size_t n)
{
	if (should_fail())
		return NULL;
	return malloc(n ? n : 1);
}

void *
cs_calloc(size_t count_, size_t n)
{
	if (should_fail())
		return NULL;
	return calloc(count_ ? count_ : 1, n ? n : 1);
}

void *
cs_realloc(void *p, size_t n)
{
	if (should_fail())
		return NULL;
	return realloc(p, n ? n : 1);
}

void
cs_free(void *p)
{
	free(p);
}

unsigned long
cs_alloc_fail_at(unsigned long n)
{
	unsigned long made = atomic_exchange(&count, 0);

	atomic_store(&fail_at, n);
	return made;
}
