/*
 * alloc.h - the only allocator of lib/core.  Tests can make the N-th
 * allocation fail (cs_alloc_fail_at) to check every failure path.
 */
#ifndef CS_CORE_ALLOC_H
#define CS_CORE_ALLOC_H

#include <stddef.h>

void *cs_malloc(size_t n);
void *cs_calloc(size_t count, size_t n);
void *cs_realloc(void *p, size_t n);
void cs_free(void *p);

/*
 * Test hook: make the n-th allocation from now fail (1 = the next one);
 * 0 switches failure injection off.  Returns the number of allocations
 * made since the last call.  Not thread-safe; for unit tests only.
 */
unsigned long cs_alloc_fail_at(unsigned long n);

#endif
