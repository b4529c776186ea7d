/* t_send_ahead.c - the decode-ahead worker: its bound on slots and
 * bytes, every position prepared once, in order, by the worker or the
 * lane, and what is never taken dropped. */
#include <check.h>
#include <pthread.h>
#include <sched.h>
#include <string.h>
#include <time.h>

#include "storescu/send_ahead.h"

Suite *send_ahead_suite(void);

#define N 40

struct fake {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int prepped[N]; /* by the worker */
	int dropped[N];
	int skip[N];    /* want says no */
	int n_prepped;
	uint64_t bytes; /* what each prep holds */
};

struct item {
	size_t j;
};

static int
f_want(void *ctx, size_t j)
{
	struct fake *f = ctx;

	return !f->skip[j];
}

static uint64_t
f_prep(void *ctx, size_t j, void *it)
{
	struct fake *f = ctx;

	((struct item *)it)->j = j;
	pthread_mutex_lock(&f->mu);
	f->prepped[j]++;
	f->n_prepped++;
	pthread_cond_broadcast(&f->cv);
	pthread_mutex_unlock(&f->mu);
	return f->bytes;
}

static void
f_drop(void *ctx, void *it)
{
	struct fake *f = ctx;

	f->dropped[((struct item *)it)->j]++;
}

static const struct ahead_ops ops = { f_want, f_prep, f_drop };

static void
fake_init(struct fake *f, uint64_t bytes)
{
	memset(f, 0, sizeof(*f));
	pthread_mutex_init(&f->mu, NULL);
	pthread_cond_init(&f->cv, NULL);
	f->bytes = bytes;
}

static void
fake_release(struct fake *f)
{
	pthread_cond_destroy(&f->cv);
	pthread_mutex_destroy(&f->mu);
}

/* Waits (at most 5 s) until the worker prepared want positions, then
 * 100 ms more; returns how many it prepared by then. */
static int
settle(struct fake *f, int want)
{
	struct timespec dl, nap = { 0, 100 * 1000 * 1000 };
	int n;

	clock_gettime(CLOCK_REALTIME, &dl);
	dl.tv_sec += 5;
	pthread_mutex_lock(&f->mu);
	while (f->n_prepped < want &&
	    pthread_cond_timedwait(&f->cv, &f->mu, &dl) == 0)
		;
	pthread_mutex_unlock(&f->mu);
	nanosleep(&nap, NULL);
	pthread_mutex_lock(&f->mu);
	n = f->n_prepped;
	pthread_mutex_unlock(&f->mu);
	return n;
}

static void
items_init(struct item *it, void **p, size_t n)
{
	size_t k;

	for (k = 0; k < n; k++)
		p[k] = &it[k];
}

START_TEST(the_worker_stops_at_the_slot_count)
{
	struct fake f;
	struct ahead a;
	struct item it[4];
	void *p[4];

	fake_init(&f, 1);
	items_init(it, p, 4);
	ck_assert_int_eq(ahead_start(&a, &ops, &f, 0, N, p, 4, 1000, 1), 0);
	ck_assert_int_eq(settle(&f, 4), 4);
	/* a slot freed: one more */
	ck_assert_ptr_eq(ahead_take(&a, 0), &it[0]);
	ahead_done(&a, &it[0]);
	ck_assert_int_eq(settle(&f, 5), 5);
	ahead_stop(&a);
	/* positions 1-4 were prepared and never taken */
	ck_assert_int_eq(f.dropped[0], 0);
	ck_assert_int_eq(f.dropped[1] + f.dropped[2] + f.dropped[3] +
		f.dropped[4],
	    4);
	fake_release(&f);
}
END_TEST

START_TEST(the_worker_holds_at_most_the_cap_and_one_more)
{
	struct fake f;
	struct ahead a;
	struct item it[8];
	void *p[8];

	fake_init(&f, 10);
	items_init(it, p, 8);
	/* 10, 20 are under 25; the third reaches 30 and stops it */
	ck_assert_int_eq(ahead_start(&a, &ops, &f, 0, N, p, 8, 25, 1), 0);
	ck_assert_int_eq(settle(&f, 3), 3);
	ck_assert_uint_eq(a.held, 30);
	/* taken is still held until done */
	ck_assert_ptr_nonnull(ahead_take(&a, 0));
	ck_assert_int_eq(settle(&f, 3), 3);
	ahead_done(&a, &it[0]);
	ck_assert_int_eq(settle(&f, 4), 4);
	ck_assert_uint_eq(a.held, 30);
	ahead_stop(&a);
	ck_assert_uint_eq(a.held, 0);
	fake_release(&f);
}
END_TEST

START_TEST(every_position_is_prepared_once_in_order)
{
	struct fake f;
	struct ahead a;
	struct item it[3], own;
	void *p[3];
	int by_lane[N];
	size_t j;
	struct item *got;

	fake_init(&f, 1);
	items_init(it, p, 3);
	memset(by_lane, 0, sizeof(by_lane));
	f.skip[7] = f.skip[8] = f.skip[20] = 1;
	ck_assert_int_eq(ahead_start(&a, &ops, &f, 2, N, p, 3, 1000, 1), 0);
	for (j = 0; j < N; j++) {
		got = ahead_take(&a, j);
		if (got == NULL) {
			by_lane[j]++; /* the lane's own */
			own.j = j;
			got = &own;
		}
		ck_assert_uint_eq(got->j, j);
		if (got != &own)
			ahead_done(&a, got);
	}
	ahead_stop(&a);
	for (j = 0; j < N; j++) {
		ck_assert_int_eq(f.prepped[j] + by_lane[j], 1);
		ck_assert_int_eq(f.dropped[j], 0);
	}
	/* before the start and what want refused: the lane's */
	ck_assert_int_eq(by_lane[0] + by_lane[1] + by_lane[7] + by_lane[8] +
		by_lane[20],
	    5);
	fake_release(&f);
}
END_TEST

START_TEST(a_position_the_lane_reached_first_is_never_prepared_by_the_worker)
{
	struct fake f;
	struct ahead a;
	struct item it[1];
	void *p[1];

	fake_init(&f, 1);
	items_init(it, p, 1);
	ck_assert_int_eq(ahead_start(&a, &ops, &f, 0, N, p, 1, 1000, 1), 0);
	ck_assert_int_eq(settle(&f, 1), 1);
	/* 0 ready, the worker waits for its slot; the lane jumps to 5 */
	ck_assert_ptr_null(ahead_take(&a, 5));
	ahead_stop(&a);
	ck_assert_int_eq(f.prepped[5], 0);
	ck_assert_int_eq(f.dropped[0], 1);
	fake_release(&f);
}
END_TEST

START_TEST(a_position_the_lane_went_past_frees_its_slot)
{
	struct fake f;
	struct ahead a;
	struct item it[1];
	void *p[1];

	fake_init(&f, 1);
	items_init(it, p, 1);
	f.skip[1] = 1; /* done already: the lane goes past it */
	ck_assert_int_eq(ahead_start(&a, &ops, &f, 0, N, p, 1, 1000, 1), 0);
	ck_assert_int_eq(settle(&f, 1), 1);
	ck_assert_ptr_eq(ahead_take(&a, 0), &it[0]);
	ahead_done(&a, &it[0]);
	ck_assert_int_eq(settle(&f, 1), 1);
	/* 1 holds the one slot, refused; the lane takes 2 (its own: the
	 * worker had not claimed it), and the worker goes on to 3 */
	ck_assert_ptr_null(ahead_take(&a, 2));
	ck_assert_int_eq(settle(&f, 2), 2);
	ck_assert_int_eq(f.prepped[3], 1);
	ck_assert_ptr_eq(ahead_take(&a, 3), &it[0]);
	ahead_done(&a, &it[0]);
	ahead_stop(&a);
	fake_release(&f);
}
END_TEST

START_TEST(several_workers_prepare_each_position_once_within_the_bound)
{
	struct fake f;
	struct ahead a;
	struct item it[5], own;
	void *p[5];
	int by_lane[N];
	size_t j;
	struct item *got;

	fake_init(&f, 10);
	items_init(it, p, 5);
	memset(by_lane, 0, sizeof(by_lane));
	ck_assert_int_eq(ahead_start(&a, &ops, &f, 0, N, p, 5, 35, 3), 0);
	ck_assert_uint_eq(a.n_th, 3);
	/* 3 workers, cap 35: at most 3 + 3 claimed, 5 slots */
	ck_assert_int_le(settle(&f, 4), 5);
	ck_assert_uint_le(a.held, 35 + 3 * 10);
	for (j = 0; j < N; j++) {
		got = ahead_take(&a, j);
		if (got == NULL) {
			by_lane[j]++;
			own.j = j;
			got = &own;
		}
		ck_assert_uint_eq(got->j, j);
		if (got != &own) {
			ck_assert_uint_le(a.held, 35 + 3 * 10);
			ahead_done(&a, got);
		}
	}
	ahead_stop(&a);
	for (j = 0; j < N; j++)
		ck_assert_int_eq(f.prepped[j] + by_lane[j], 1);
	fake_release(&f);
}
END_TEST

START_TEST(an_unstarted_ahead_prepares_nothing)
{
	struct fake f;
	struct ahead a;
	void *p[1] = { NULL };

	fake_init(&f, 1);
	ck_assert_int_eq(ahead_start(&a, &ops, &f, N, N, p, 1, 1000, 1), -1);
	ck_assert_ptr_null(ahead_take(&a, N - 1));
	ck_assert_ptr_null(ahead_take(NULL, 0));
	ahead_done(NULL, NULL);
	ahead_stop(&a);
	ahead_stop(NULL);
	ck_assert_int_eq(f.n_prepped, 0);
	fake_release(&f);
}
END_TEST

/* Never more CPU-bound converters than cores while lanes <= cores. */
START_TEST(workers_are_the_cores_shared_out_among_the_lanes)
{
	ck_assert_uint_eq(ahead_share(2, 1), 2);
	ck_assert_uint_eq(ahead_share(2, 2), 1);
	ck_assert_uint_eq(ahead_share(4, 2), 2);
	ck_assert_uint_eq(ahead_share(4, 3), 2);
	ck_assert_uint_eq(ahead_share(2, 4), 1);
	ck_assert_uint_eq(ahead_share(64, 1), AHEAD_WORKERS_MAX);
	ck_assert_uint_eq(ahead_share(0, 0), 1);
}
END_TEST

/* A codec's own threads: converters x threads never passes the cores. */
START_TEST(codec_threads_are_the_cores_left_to_each_converter)
{
	unsigned cores, conv, w;

	ck_assert_uint_eq(ahead_codec_threads(2, 1), 2);
	ck_assert_uint_eq(ahead_codec_threads(2, 2), 1);
	ck_assert_uint_eq(ahead_codec_threads(4, 3), 1);
	ck_assert_uint_eq(ahead_codec_threads(8, 3), 2);
	ck_assert_uint_eq(ahead_codec_threads(1, 4), 1);
	ck_assert_uint_eq(ahead_codec_threads(0, 0), 1);
	/* the sender's two cases: lanes, and every lane's workers (more
	 * than the cores only when rounded up: then one thread each) */
	for (cores = 1; cores <= 16; cores++)
		for (conv = 1; conv <= 2 * cores; conv++) {
			ck_assert_uint_le(conv * ahead_codec_threads(cores, conv),
			    conv > cores ? conv : cores);
			w = conv * ahead_share(cores, conv);
			ck_assert_uint_le(w * ahead_codec_threads(cores, w),
			    w > cores ? w : cores);
		}
}
END_TEST

/* The cores are the affinity mask's, not the machine's (taskset). */
START_TEST(the_cores_are_those_the_process_may_run_on)
{
	cpu_set_t old, one;
	int c;

	ck_assert_int_eq(sched_getaffinity(0, sizeof(old), &old), 0);
	ck_assert_uint_eq(ahead_cores(), (unsigned)CPU_COUNT(&old));
	for (c = 0; c < CPU_SETSIZE && !CPU_ISSET(c, &old); c++)
		;
	CPU_ZERO(&one);
	CPU_SET(c, &one);
	ck_assert_int_eq(sched_setaffinity(0, sizeof(one), &one), 0);
	ck_assert_uint_eq(ahead_cores(), 1);
	ck_assert_int_eq(sched_setaffinity(0, sizeof(old), &old), 0);
}
END_TEST

Suite *
send_ahead_suite(void)
{
	Suite *s = suite_create("send_ahead");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, the_worker_stops_at_the_slot_count);
	tcase_add_test(tc, the_worker_holds_at_most_the_cap_and_one_more);
	tcase_add_test(tc, every_position_is_prepared_once_in_order);
	tcase_add_test(
	    tc, a_position_the_lane_reached_first_is_never_prepared_by_the_worker);
	tcase_add_test(tc, a_position_the_lane_went_past_frees_its_slot);
	tcase_add_test(
	    tc, several_workers_prepare_each_position_once_within_the_bound);
	tcase_add_test(tc, an_unstarted_ahead_prepares_nothing);
	tcase_add_test(tc, workers_are_the_cores_shared_out_among_the_lanes);
	tcase_add_test(tc, codec_threads_are_the_cores_left_to_each_converter);
	tcase_add_test(tc, the_cores_are_those_the_process_may_run_on);
	suite_add_tcase(s, tc);
	return s;
}
