/* alloc.c - allocation wrappers with failure injection for tests. */
#include <stdlib.h>

#include "alloc.h"

static unsigned long fail_at;
static unsigned long count;

static int
should_fail(void)
{
	count++;
	return fail_at != 0 && count == fail_at;
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
	unsigned long made = count;

	fail_at = n;
	count = 0;
	return made;
}
