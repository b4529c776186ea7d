/*
 * check.h - the fuzz targets' assertion, one definition for all of them:
 * CHECK(cond) aborts when cond is false, so that libFuzzer (and the
 * corpus replay of make check) stops on the input that broke a property.
 * Never compiled out, unlike assert(3) under NDEBUG.
 */
#ifndef CS_TESTS_FUZZ_CHECK_H
#define CS_TESTS_FUZZ_CHECK_H

#include <stdlib.h>

#define CHECK(cond)                                                            \
	do {                                                                   \
		if (!(cond))                                                   \
			abort();                                               \
	} while (0)

#endif
