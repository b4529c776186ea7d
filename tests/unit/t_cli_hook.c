/* t_cli_hook.c - dcmrecv --exec commands (lib/cli/hook). */
#include <check.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/hook.h"

Suite *cli_hook_suite(void);

static char tmp[256];
static char lines[4][1100];
static int n_lines;

static void
on_report(void *user, const char *line)
{
	ck_assert_ptr_eq(user, lines);
	if (n_lines < 4)
		snprintf(lines[n_lines], sizeof(lines[0]), "%s", line);
	n_lines++;
}

static void
setup(void)
{
	const char *base = getenv("TMPDIR");

	n_lines = 0;
	snprintf(tmp, sizeof(tmp), "%s/t_cli_hook.XXXXXX", base ? base : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(tmp));
}

static void
teardown(void)
{
	char cmd[2 * sizeof(tmp) + 32];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
	if (system(cmd) != 0)
		fprintf(stderr, "t_cli_hook: cannot remove %s\n", tmp);
}

static void
put(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	ck_assert_int_eq(fclose(f), 0);
}

static void
ms_sleep(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/*
 * dcmrecv ignores SIGPIPE and SIGXFSZ; its hooks must not inherit that
 * (`cmd | head` would see write errors instead of ending quietly), nor a
 * blocked mask.
 */
START_TEST(a_hook_starts_with_sigpipe_at_its_default)
{
	const char *argv[] = { "sh", "-c",
		"grep -E '^Sig(Ign|Blk):' /proc/self/status > \"$0\"", "{}",
		NULL };
	char path[PATH_MAX], line[128];
	struct cli_hook *h = cli_hook_new(argv, on_report, lines);
	unsigned long long ign = 0, blk = 0, v;
	void (*old)(int) = signal(SIGPIPE, SIG_IGN);
	void (*oldxfsz)(int) = signal(SIGXFSZ, SIG_IGN);
	FILE *f;

	ck_assert_ptr_nonnull(h);
	snprintf(path, sizeof(path), "%s/status", tmp);
	ck_assert_int_eq(cli_hook_run(h, path), 0);
	ck_assert_uint_eq(cli_hook_wait(h, 10000), 0);
	signal(SIGPIPE, old);
	signal(SIGXFSZ, oldxfsz);
	f = fopen(path, "r");
	ck_assert_ptr_nonnull(f);
	while (fgets(line, sizeof(line), f) != NULL) {
		if (sscanf(line, "SigIgn: %llx", &v) == 1)
			ign = v;
		if (sscanf(line, "SigBlk: %llx", &v) == 1)
			blk = v;
	}
	fclose(f);
	ck_assert_uint_eq(ign & (1ull << (SIGPIPE - 1)), 0);
	ck_assert_uint_eq(ign & (1ull << (SIGXFSZ - 1)), 0);
	ck_assert_uint_eq(blk, 0);
	cli_hook_free(h);
}
END_TEST

START_TEST(every_brace_pair_becomes_the_path_and_no_shell_sees_it)
{
	/* a shell would split, expand $(...) and run after ';' */
	const char *argv[] = { "cp", "{}", "{}.copy", NULL };
	char path[PATH_MAX], copy[PATH_MAX + 8];
	struct cli_hook *h = cli_hook_new(argv, on_report, lines);
	FILE *f;
	char got[64] = "";

	ck_assert_ptr_nonnull(h);
	snprintf(path, sizeof(path), "%s/a b;$(touch x)*", tmp);
	put(path, "payload\n");
	ck_assert_int_eq(cli_hook_run(h, path), 0);
	ck_assert_uint_eq(cli_hook_wait(h, 10000), 0);
	snprintf(copy, sizeof(copy), "%s.copy", path);
	f = fopen(copy, "r");
	ck_assert_ptr_nonnull(f);
	ck_assert_ptr_nonnull(fgets(got, sizeof(got), f));
	fclose(f);
	ck_assert_str_eq(got, "payload\n");
	ck_assert_int_eq(access("x", F_OK), -1);
	ck_assert_int_eq(n_lines, 0);
	cli_hook_free(h);
}
END_TEST

START_TEST(a_failure_exit_or_signal_is_reported_by_path)
{
	const char *exit3[] = { "sh", "-c", "exit 3", "{}", NULL };
	const char *killed[] = { "sh", "-c", "kill -TERM $$", "{}", NULL };
	struct cli_hook *a = cli_hook_new(exit3, on_report, lines);
	struct cli_hook *b = cli_hook_new(killed, on_report, lines);

	ck_assert_int_eq(cli_hook_run(a, "/d/one.dcm"), 0);
	ck_assert_uint_eq(cli_hook_wait(a, 10000), 0);
	ck_assert_int_eq(cli_hook_run(b, "/d/two.dcm"), 0);
	ck_assert_uint_eq(cli_hook_wait(b, 10000), 0);
	ck_assert_int_eq(n_lines, 2);
	ck_assert_str_eq(lines[0], "--exec for '/d/one.dcm' exited with status 3");
	ck_assert_str_eq(lines[1], "--exec for '/d/two.dcm' killed by signal 15");
	cli_hook_free(a);
	cli_hook_free(b);
}
END_TEST

START_TEST(a_command_that_cannot_start_is_reported_at_once)
{
	const char *argv[] = { "/nonexistent/cstore-hook", "{}", NULL };
	struct cli_hook *h = cli_hook_new(argv, on_report, lines);

	ck_assert_int_eq(cli_hook_run(h, "f.dcm"), -1);
	ck_assert_int_eq(n_lines, 1);
	ck_assert_str_eq(lines[0], "--exec '/nonexistent/cstore-hook' for "
	    "'f.dcm': No such file or directory");
	ck_assert_uint_eq(cli_hook_wait(h, 0), 0);
	cli_hook_free(h);
}
END_TEST

START_TEST(run_does_not_wait_and_wait_gives_up_after_its_time)
{
	/* the hooks sleep 1.5 s so that "did not wait" (< 1,200 ms) holds
	 * with a wide margin on a loaded machine */
	const char *argv[] = { "sh", "-c", "sleep 1.5; exit 1", "{}", NULL };
	struct cli_hook *h = cli_hook_new(argv, on_report, lines);
	struct timespec t0, t1;
	long ms;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	ck_assert_int_eq(cli_hook_run(h, "a"), 0);
	ck_assert_int_eq(cli_hook_run(h, "b"), 0);
	ck_assert_uint_eq(cli_hook_wait(h, 50), 2);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
	ck_assert_int_lt(ms, 1200);
	ck_assert_int_ge(ms, 50);
	/* freed while they run: they end on their own, unreported */
	cli_hook_free(h);
	ms_sleep(2000);
	ck_assert_int_eq(n_lines, 0);
}
END_TEST

/* --exec-jobs: one at a time, the others queued and run oldest first;
 * wait counts the queued ones; with every, success is reported too. */
START_TEST(jobs_bound_the_commands_and_the_queue_runs_in_order)
{
	char order[sizeof(tmp) + 8], script[6 * sizeof(tmp) + 128];
	char got[64] = "";
	const char *argv[] = { "sh", "-c", script, "{}", NULL };
	struct cli_hook *h = cli_hook_new(argv, on_report, lines);
	FILE *f;

	snprintf(order, sizeof(order), "%s/order", tmp);
	snprintf(script, sizeof(script),
	    "ls %s/run.* 2>/dev/null | wc -l | tr -d ' \\n' >> %s; "
	    "touch %s/run.$$; sleep 0.2; rm %s/run.$$; printf '%%s ' \"$0\" >> %s",
	    tmp, order, tmp, tmp, order);
	ck_assert_ptr_nonnull(h);
	cli_hook_set_jobs(h, 1, 1);
	ck_assert_int_eq(cli_hook_run(h, "a"), 0);
	ck_assert_int_eq(cli_hook_run(h, "b"), 0);
	ck_assert_int_eq(cli_hook_run(h, "c"), 0);
	/* one running, two queued */
	ck_assert_uint_eq(cli_hook_wait(h, 50), 3);
	ck_assert_uint_eq(cli_hook_wait(h, 10000), 0);
	f = fopen(order, "r");
	ck_assert_ptr_nonnull(f);
	ck_assert_ptr_nonnull(fgets(got, sizeof(got), f));
	fclose(f);
	/* none saw another running; in the order given */
	ck_assert_str_eq(got, "0a 0b 0c ");
	ck_assert_int_eq(n_lines, 3);
	ck_assert_str_eq(lines[2], "--exec for 'c' exited with status 0");
	cli_hook_free(h);
}
END_TEST

Suite *
cli_hook_suite(void)
{
	Suite *s = suite_create("cli_hook");
	TCase *tc = tcase_create("exec");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, every_brace_pair_becomes_the_path_and_no_shell_sees_it);
	tcase_add_test(tc, a_hook_starts_with_sigpipe_at_its_default);
	tcase_add_test(tc, a_failure_exit_or_signal_is_reported_by_path);
	tcase_add_test(tc, a_command_that_cannot_start_is_reported_at_once);
	tcase_add_test(tc, run_does_not_wait_and_wait_gives_up_after_its_time);
	tcase_add_test(tc, jobs_bound_the_commands_and_the_queue_runs_in_order);
	suite_add_tcase(s, tc);
	return s;
}
