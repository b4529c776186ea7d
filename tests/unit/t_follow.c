/* t_follow.c - dcmsend --follow's parts without a peer: the option
 * values (lib/cli/follow_args), the input queue and its spill file
 * (lib/cli/follow_queue), the shared token bucket (lib/net/rate) and
 * storescu_follow giving up on a peer that never answers. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cstore/cstore.h"
#include "cstore/storescu.h"
#include "cli/follow_args.h"
#include "cli/follow_queue.h"
#include "net/net.h"
#include "net/rate.h"

Suite *follow_suite(void);

START_TEST(duration_takes_units_and_forever)
{
	struct cs_err err = { 0, "" };
	int64_t ms = 0;

	ck_assert_int_eq(follow_parse_duration("90", &ms, &err), 0);
	ck_assert_int_eq(ms, 90000);
	ck_assert_int_eq(follow_parse_duration("30s", &ms, &err), 0);
	ck_assert_int_eq(ms, 30000);
	ck_assert_int_eq(follow_parse_duration("5m", &ms, &err), 0);
	ck_assert_int_eq(ms, 300000);
	ck_assert_int_eq(follow_parse_duration("2h", &ms, &err), 0);
	ck_assert_int_eq(ms, 7200000);
	ck_assert_int_eq(follow_parse_duration("1d", &ms, &err), 0);
	ck_assert_int_eq(ms, 86400000);
	ck_assert_int_eq(follow_parse_duration("0", &ms, &err), 0);
	ck_assert_int_eq(ms, 0);
	ck_assert_int_eq(follow_parse_duration("forever", &ms, &err), 0);
	ck_assert_int_eq(ms, -1);
	ck_assert_int_eq(follow_parse_duration("-1", &ms, &err), CS_E_INVAL);
	ck_assert_int_eq(follow_parse_duration("5x", &ms, &err), CS_E_INVAL);
	ck_assert_int_eq(follow_parse_duration("", &ms, &err), CS_E_INVAL);
	ck_assert_int_eq(
	    follow_parse_duration("99999999999999999999", &ms, &err),
	    CS_E_INVAL);
	ck_assert_int_eq(
	    follow_parse_duration("40000d", &ms, &err), CS_E_INVAL);
	ck_assert_int_eq(ms, -1);
}
END_TEST

START_TEST(rate_takes_decimal_and_binary_suffixes)
{
	struct cs_err err = { 0, "" };
	uint64_t r = 0;

	/* one rule with the sizes (cli/size_arg.h): K = 1024, KB = 1000 */
	ck_assert_int_eq(follow_parse_rate("20M", &r, &err), 0);
	ck_assert_uint_eq(r, 20971520);
	ck_assert_int_eq(follow_parse_rate("500k", &r, &err), 0);
	ck_assert_uint_eq(r, 512000);
	ck_assert_int_eq(follow_parse_rate("1.5Mi", &r, &err), 0);
	ck_assert_uint_eq(r, 1572864);
	ck_assert_int_eq(follow_parse_rate("20MB", &r, &err), 0);
	ck_assert_uint_eq(r, 20000000);
	ck_assert_int_eq(follow_parse_rate("1048576", &r, &err), 0);
	ck_assert_uint_eq(r, 1048576);
	ck_assert_int_eq(follow_parse_rate("1KB", &r, &err), 0);
	ck_assert_uint_eq(r, 1000);
	ck_assert_int_eq(follow_parse_rate("100G", &r, &err), 0);
	ck_assert_uint_eq(r, 107374182400);
	ck_assert_int_eq(follow_parse_rate("1G", &r, &err), 0);
	ck_assert_uint_eq(r, 1073741824);
	ck_assert_int_eq(follow_parse_rate("999", &r, &err), CS_E_INVAL);
	ck_assert_int_eq(follow_parse_rate("0.97K", &r, &err), CS_E_INVAL);
	ck_assert_int_eq(follow_parse_rate("20MBs", &r, &err), CS_E_INVAL);
	ck_assert_int_eq(follow_parse_rate("-20M", &r, &err), CS_E_INVAL);
	ck_assert_int_eq(follow_parse_rate("M", &r, &err), CS_E_INVAL);
	ck_assert_int_eq(follow_parse_rate("101G", &r, &err), CS_E_INVAL);
	ck_assert_uint_eq(r, 1073741824);
}
END_TEST

/* Waits (5 s at most) until the reader has seen the end of its stream. */
static void
wait_eof(struct fq *q)
{
	int i, eof = 0;

	for (i = 0; i < 500 && !eof; i++) {
		pthread_mutex_lock(&q->mu);
		eof = q->eof;
		pthread_mutex_unlock(&q->mu);
		if (!eof)
			usleep(10000);
	}
	ck_assert_int_eq(eof, 1);
}

START_TEST(queue_spills_past_its_bound_and_keeps_the_order)
{
	enum { N = FQ_MEM_MAX * 2 + 123 };
	const char *out[FQ_TAKE_MAX];
	char name[64];
	size_t seen = 0;
	struct fq q;
	FILE *f = tmpfile();
	long k, i;

	ck_assert_ptr_nonnull(f);
	/* NUL-separated, with empty records that do not count */
	for (i = 0; i < N; i++)
		fprintf(f, "dir/f%06ld.dcm%c%s", i, '\0', i % 1000 ? "" : "\0");
	rewind(f);
	ck_assert_int_eq(fq_init(&q, f, 1, 0), 0);
	ck_assert_int_eq(fq_add_path(&q, "operand.dcm"), 0);
	ck_assert_int_eq(fq_start(&q), 0);
	wait_eof(&q);
	/* nothing taken yet: all but FQ_MEM_MAX went to the file */
	ck_assert_uint_eq(q.count, FQ_MEM_MAX);
	ck_assert_uint_eq(q.spilled, N + 1 - FQ_MEM_MAX);
	ck_assert_int_ge(q.spill_fd, 0);
	k = fq_take(&q, out, FQ_TAKE_MAX, 0);
	ck_assert_int_eq(k, FQ_TAKE_MAX);
	ck_assert_str_eq(out[0], "operand.dcm");
	for (i = 1; i < k; i++) {
		snprintf(name, sizeof(name), "dir/f%06ld.dcm", i - 1);
		ck_assert_str_eq(out[i], name);
	}
	seen = (size_t)k - 1;
	while ((k = fq_take(&q, out, FQ_TAKE_MAX, 0)) > 0)
		for (i = 0; i < k; i++, seen++) {
			snprintf(name, sizeof(name), "dir/f%06zu.dcm", seen);
			ck_assert_str_eq(out[i], name);
		}
	ck_assert_int_eq(k, -1);
	ck_assert_uint_eq(seen, N);
	ck_assert_str_eq(fq_error(&q), "");
	/* the spill file was emptied when the last record left it */
	ck_assert_int_eq(lseek(q.spill_fd, 0, SEEK_END), 0);
	fq_release(&q);
	fclose(f);
}
END_TEST

START_TEST(queue_without_a_spill_file_waits_for_room_and_loses_nothing)
{
	enum { N = FQ_MEM_MAX * 2 + 5 };
	const char *out[FQ_TAKE_MAX];
	char name[64];
	size_t seen = 0, count = 0;
	struct fq q;
	FILE *f = tmpfile();
	long k, i;
	int eof = 0;

	ck_assert_ptr_nonnull(f);
	for (i = 0; i < N; i++)
		fprintf(f, "f%06ld.dcm\n", i);
	rewind(f);
	/* $TMPDIR where no file can be made (as when it is full) */
	ck_assert_int_eq(setenv("TMPDIR", "/nonexistent/cstore-t-follow", 1), 0);
	ck_assert_int_eq(fq_init(&q, f, 0, 0), 0);
	ck_assert_int_eq(fq_start(&q), 0);
	/* the reader fills memory and waits there, the stream not ended */
	for (i = 0; i < 500 && count < FQ_MEM_MAX; i++) {
		pthread_mutex_lock(&q.mu);
		count = q.count;
		eof = q.eof;
		pthread_mutex_unlock(&q.mu);
		if (count < FQ_MEM_MAX)
			usleep(10000);
	}
	ck_assert_uint_eq(count, FQ_MEM_MAX);
	usleep(50000);
	pthread_mutex_lock(&q.mu);
	eof = q.eof;
	pthread_mutex_unlock(&q.mu);
	ck_assert_int_eq(eof, 0);
	ck_assert_uint_eq(q.spilled, 0);
	while ((k = fq_take(&q, out, FQ_TAKE_MAX, 5000)) > 0)
		for (i = 0; i < k; i++, seen++) {
			snprintf(name, sizeof(name), "f%06zu.dcm", seen);
			ck_assert_str_eq(out[i], name);
		}
	ck_assert_int_eq(k, -1);
	ck_assert_uint_eq(seen, N);
	ck_assert_str_eq(fq_error(&q), "");
	fq_release(&q);
	fclose(f);
	unsetenv("TMPDIR");
}
END_TEST

START_TEST(queue_waits_no_longer_than_asked)
{
	const char *out[4];
	int p[2];
	struct fq q;
	FILE *f;
	uint64_t t0;
	long k;

	ck_assert_int_eq(pipe(p), 0);
	f = fdopen(p[0], "r");
	ck_assert_int_eq(fq_init(&q, f, 0, 1), 0);
	ck_assert_int_eq(fq_start(&q), 0);
	t0 = net_now_ms();
	ck_assert_int_eq(fq_take(&q, out, 4, 200), 0);
	ck_assert_uint_ge(net_now_ms() - t0, 190);
	/* a directory is skipped, as in a list read whole */
	ck_assert_int_eq(write(p[1], "tests/data\n", 11), 11);
	ck_assert_int_eq(fq_take(&q, out, 4, 300), 0);
	ck_assert_int_eq(write(p[1], "a.dcm\r\n\nb.dcm\n", 14), 14);
	/* one record or both, as the reader got them: \r dropped, the
	 * empty line ignored */
	k = fq_take(&q, out, 4, 5000);
	ck_assert_int_ge(k, 1);
	ck_assert_str_eq(out[0], "a.dcm");
	if (k == 1) {
		ck_assert_int_eq(fq_take(&q, out, 4, 5000), 1);
		ck_assert_str_eq(out[0], "b.dcm");
	} else {
		ck_assert_int_eq(k, 2);
		ck_assert_str_eq(out[1], "b.dcm");
	}
	close(p[1]);
	ck_assert_int_eq(fq_take(&q, out, 4, 5000), -1);
	fq_release(&q);
	fclose(f);
}
END_TEST

START_TEST(rate_bucket_holds_the_rate)
{
	struct net_rate r;
	uint64_t t0, total = 0, rate = 2000000;
	size_t got;

	net_rate_init(&r, rate);
	t0 = net_now_us();
	while (total < 1000000) {
		got = net_rate_take(&r, 65536);
		ck_assert_uint_ge(got, 1);
		ck_assert_uint_le(got, 65536);
		total += got;
	}
	/* 1 MB at 2 MB/s from an empty bucket: half a second at least */
	ck_assert_uint_ge(
	    net_now_us() - t0, (total - 0) * 1000000 / rate - 1000);
	net_rate_refund(&r, 100);
	ck_assert_uint_eq(net_rate_take(&r, 50), 50);
	net_rate_release(&r);
}
END_TEST

struct feed {
	const char *const *paths;
	size_t n, next, results, notsent, states;
	size_t index_sum;
};

static long
next_paths(void *user, const char **out, size_t max, int wait_ms)
{
	struct feed *f = user;
	long k = 0;

	(void)wait_ms;
	while ((size_t)k < max && (size_t)k < 2 && f->next < f->n)
		out[k++] = f->paths[f->next++];
	return k > 0 ? k : -1;
}

static void
on_result(void *user, const struct storescu_result *r)
{
	struct feed *f = user;

	f->results++;
	f->index_sum += r->index;
	f->notsent += r->outcome == STORESCU_NOTSENT;
}

static void
on_state(void *user, const char *line)
{
	struct feed *f = user;

	f->states++;
	ck_assert_ptr_nonnull(strstr(line, "unreachable"));
}

START_TEST(follow_gives_up_after_retry_for_and_reads_no_further)
{
	static const struct storescu_config cfg = {
		.host = "127.0.0.1",
		.port = "1",
		.connect_timeout_ms = 1000,
		.acse_timeout_ms = 1000,
		.dimse_timeout_ms = 1000,
	};
	static const char *paths[] = { "/nonexistent/a.dcm",
		"tests/data/p10-evrle.dcm", "tests/data/p10-ivrle.dcm",
		"/nonexistent/b.dcm" };
	struct storescu_send_opts o;
	struct storescu_follow_opts fo = { 0 };
	struct storescu_summary sum;
	struct cs_err err = { 0, "" };
	struct feed f = { .paths = paths, .n = 4 };
	uint64_t t0 = net_now_ms();

	storescu_send_opts_init(&o);
	o.retry_delay_ms = 50;
	o.on_result = on_result;
	o.user = &f;
	fo.next = next_paths;
	fo.user = &f;
	fo.idle_ms = 1000;
	fo.retry_for_ms = 400;
	fo.on_state = on_state;
	ck_assert_int_eq(
	    storescu_follow(&cfg, &o, &fo, &sum, &err), CS_E_UNREACHABLE);
	ck_assert_uint_ge(net_now_ms() - t0, 390);
	ck_assert_uint_lt(net_now_ms() - t0, 5000);
	/* the first two taken: unreadable, notsent; the rest never read */
	ck_assert_uint_eq(f.next, 2);
	ck_assert_uint_eq(f.results, 2);
	ck_assert_uint_eq(f.index_sum, 0 + 1);
	ck_assert_uint_eq(f.notsent, 1);
	ck_assert_uint_eq(f.states, 1);
	ck_assert_uint_eq(sum.inputs, 2);
	ck_assert_uint_eq(sum.failed, 1);
	ck_assert_uint_eq(sum.skipped, 1);
	ck_assert_ptr_nonnull(strstr(err.msg, "refused"));
}
END_TEST

Suite *
follow_suite(void)
{
	Suite *s = suite_create("follow");
	TCase *tc = tcase_create("follow");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, duration_takes_units_and_forever);
	tcase_add_test(tc, rate_takes_decimal_and_binary_suffixes);
	tcase_add_test(tc, queue_spills_past_its_bound_and_keeps_the_order);
	tcase_add_test(
	    tc, queue_without_a_spill_file_waits_for_room_and_loses_nothing);
	tcase_add_test(tc, queue_waits_no_longer_than_asked);
	tcase_add_test(tc, rate_bucket_holds_the_rate);
	tcase_add_test(
	    tc, follow_gives_up_after_retry_for_and_reads_no_further);
	suite_add_tcase(s, tc);
	return s;
}
