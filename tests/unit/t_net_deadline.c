/*
 * t_net_deadline.c - lib/net's one monotonic deadline (net_deadline_ms),
 * the condition variables it serves (net_cond_init) and the durations
 * of nanosleep (net_duration_us): every carry into seconds right, and a
 * timed wait that ends at its deadline on the monotonic clock.
 */
#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <time.h>

#include "net/net.h"

Suite *net_deadline_suite(void);

static int64_t
ns_of(const struct timespec *ts)
{
	return (int64_t)ts->tv_sec * 1000000000LL + ts->tv_nsec;
}

START_TEST(deadlines_carry_into_seconds)
{
	static const int64_t ms[] = { 0, 1, 999, 1000, 1001, 1999, 60000,
		86400000LL };
	struct timespec before, d, after;
	size_t i;

	for (i = 0; i < sizeof(ms) / sizeof(ms[0]); i++) {
		clock_gettime(CLOCK_MONOTONIC, &before);
		net_deadline_ms(&d, ms[i]);
		clock_gettime(CLOCK_MONOTONIC, &after);
		ck_assert_int_ge(d.tv_nsec, 0);
		ck_assert_int_lt(d.tv_nsec, 1000000000L);
		ck_assert_int_ge(ns_of(&d), ns_of(&before) + (int64_t)ms[i] * 1000000);
		ck_assert_int_le(ns_of(&d), ns_of(&after) + (int64_t)ms[i] * 1000000);
	}
}
END_TEST

/* A time left that went negative between two clock reads (a thread
 * stalled) is a deadline now, not one wrapped to ~584 years away. */
START_TEST(a_negative_time_left_is_a_deadline_now)
{
	struct timespec before, d, after;

	clock_gettime(CLOCK_MONOTONIC, &before);
	net_deadline_ms(&d, -2);
	clock_gettime(CLOCK_MONOTONIC, &after);
	ck_assert_int_ge(ns_of(&d), ns_of(&before));
	ck_assert_int_le(ns_of(&d), ns_of(&after));
}
END_TEST

START_TEST(durations_split_into_seconds_and_nanoseconds)
{
	struct timespec ts;

	net_duration_us(&ts, 0);
	ck_assert_int_eq(ts.tv_sec, 0);
	ck_assert_int_eq(ts.tv_nsec, 0);
	net_duration_us(&ts, 999999);
	ck_assert_int_eq(ts.tv_sec, 0);
	ck_assert_int_eq(ts.tv_nsec, 999999000L);
	net_duration_us(&ts, 1000000);
	ck_assert_int_eq(ts.tv_sec, 1);
	ck_assert_int_eq(ts.tv_nsec, 0);
	net_duration_us(&ts, 2500001);
	ck_assert_int_eq(ts.tv_sec, 2);
	ck_assert_int_eq(ts.tv_nsec, 500001000L);
}
END_TEST

START_TEST(a_timed_wait_ends_at_its_monotonic_deadline)
{
	pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
	pthread_cond_t cv;
	struct timespec d, now;
	int rc;

	net_cond_init(&cv);
	pthread_mutex_lock(&mu);
	net_deadline_ms(&d, 50);
	do
		rc = pthread_cond_timedwait(&cv, &mu, &d);
	while (rc == 0);
	pthread_mutex_unlock(&mu);
	clock_gettime(CLOCK_MONOTONIC, &now);
	ck_assert_int_eq(rc, ETIMEDOUT);
	/* on the monotonic clock: not before the deadline */
	ck_assert_int_ge(ns_of(&now), ns_of(&d));
	pthread_cond_destroy(&cv);
}
END_TEST

Suite *
net_deadline_suite(void)
{
	Suite *s = suite_create("net_deadline");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, deadlines_carry_into_seconds);
	tcase_add_test(tc, a_negative_time_left_is_a_deadline_now);
	tcase_add_test(tc, durations_split_into_seconds_and_nanoseconds);
	tcase_add_test(tc, a_timed_wait_ends_at_its_monotonic_deadline);
	suite_add_tcase(s, tc);
	return s;
}
