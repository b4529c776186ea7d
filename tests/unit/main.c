/*
 * main.c - runs every Check suite of tests/unit.  The list of suites is
 * generated from the t_*.c files (build/tests/unit/suites.h), so adding
 * a test file is enough to run it.
 */
#include <check.h>
#include <stdlib.h>

#define X(name) Suite *name(void);
#include "suites.h"
#undef X

int
main(void)
{
	SRunner *sr = srunner_create(NULL);
	int failed;

	/* Check stops a test after 4 s of wall clock (or its case's own
	 * limit), read when the cases are made, below.  The exhaustive
	 * tests need 0.2-0.5 s of CPU, and a machine with ~15 runnable
	 * processes a core (a package build under nice, CI beside other
	 * jobs) stretched them past 4 s in every run: every limit is 4
	 * times as long unless CK_TIMEOUT_MULTIPLIER says otherwise.  A
	 * hang still fails. */
	setenv("CK_TIMEOUT_MULTIPLIER", "4", 0);

#define X(name) srunner_add_suite(sr, name());
#include "suites.h"
#undef X
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
