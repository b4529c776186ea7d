/* t_mapguard.c - guarded input mappings (lib/dcmfile/mapguard): a
 * mapping cut short reads as zeros, and a guard never runs out. */
#include <check.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "dcmfile/mapguard.h"

Suite *mapguard_suite(void);

static void
on_bus(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	if (!mapguard_absorb(si))
		_exit(99);
}

START_TEST(cut_mapping_reads_zeros_and_is_remembered)
{
	char path[] = "/tmp/t_mapguard.XXXXXX";
	struct sigaction sa;
	siginfo_t sent;
	long pg = sysconf(_SC_PAGESIZE);
	int fd = mkstemp(path), g;
	const volatile unsigned char *m;
	unsigned char buf[8192];

	ck_assert_int_ge(fd, 0);
	unlink(path);
	memset(buf, 'A', sizeof(buf));
	ck_assert_int_eq(write(fd, buf, sizeof(buf)), (int)sizeof(buf));
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_bus;
	sa.sa_flags = SA_SIGINFO;
	ck_assert_int_eq(sigaction(SIGBUS, &sa, NULL), 0);
	mapguard_enable();
	m = mmap(NULL, sizeof(buf), PROT_READ, MAP_PRIVATE, fd, 0);
	ck_assert_ptr_ne((void *)m, MAP_FAILED);
	g = mapguard_add((const void *)m, sizeof(buf));
	ck_assert_int_ge(g, 0);
	ck_assert_int_eq(ftruncate(fd, 100), 0);
	ck_assert_int_eq(m[50], 'A');
	ck_assert_int_eq(m[(size_t)pg + 5], 0); /* SIGBUS, absorbed */
	ck_assert_int_eq(m[sizeof(buf) - 1], 0);
	/* a signal sent (SI_USER) is no fault of a mapping: not absorbed */
	memset(&sent, 0, sizeof(sent));
	sent.si_signo = SIGBUS;
	sent.si_code = SI_USER;
	ck_assert_int_eq(mapguard_absorb(&sent), 0);
	ck_assert_int_eq(mapguard_remove(g), 1);
	munmap((void *)m, sizeof(buf));
	close(fd);
}
END_TEST

static atomic_int added = -2;

static void *
add_one(void *arg)
{
	atomic_store(&added, mapguard_add(arg, 4096));
	return NULL;
}

START_TEST(more_mappings_than_slots_wait_never_go_unguarded)
{
	int g[MAPGUARD_SLOTS], k;
	pthread_t th;

	mapguard_enable();
	/* every slot taken (a fake address each: nothing touches them) */
	for (k = 0; k < MAPGUARD_SLOTS; k++) {
		g[k] = mapguard_add((void *)(uintptr_t)(4096 * (k + 1)), 4096);
		ck_assert_int_ge(g[k], 0);
	}
	/* one more waits for a slot (before: -1, read unguarded) */
	ck_assert_int_eq(pthread_create(&th, NULL, add_one,
			     (void *)(uintptr_t)(4096 * (MAPGUARD_SLOTS + 1))),
	    0);
	usleep(200 * 1000);
	ck_assert_int_eq(atomic_load(&added), -2);
	ck_assert_int_eq(mapguard_remove(g[3]), 0);
	pthread_join(th, NULL);
	ck_assert_int_eq(atomic_load(&added), g[3]);
	g[3] = atomic_load(&added);
	for (k = 0; k < MAPGUARD_SLOTS; k++)
		ck_assert_int_eq(mapguard_remove(g[k]), 0);
	/* not enabled: nothing to guard, no wait */
	mapguard_disable();
	ck_assert_int_eq(mapguard_add((void *)4096, 4096), -1);
}
END_TEST

Suite *
mapguard_suite(void)
{
	Suite *s = suite_create("mapguard");
	TCase *tc = tcase_create("dcmfile");

	tcase_add_test(tc, cut_mapping_reads_zeros_and_is_remembered);
	tcase_add_test(tc, more_mappings_than_slots_wait_never_go_unguarded);
	suite_add_tcase(s, tc);
	return s;
}
