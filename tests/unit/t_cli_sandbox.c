/*
 * t_cli_sandbox.c - the confinement of lib/cli/sandbox: each test
 * confines its own process, which Check forks for it (with CK_FORK=no
 * the tests are skipped: they would confine the whole run).
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/sandbox.h"

Suite *cli_sandbox_suite(void);

static char tmp[256], inside[300], outside[300];

static void
setup(void)
{
	const char *base = getenv("TMPDIR");

	snprintf(
	    tmp, sizeof(tmp), "%s/t_cli_sandbox.XXXXXX", base ? base : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(tmp));
	snprintf(inside, sizeof(inside), "%s/in", tmp);
	snprintf(outside, sizeof(outside), "%s/outside", tmp);
	ck_assert_int_eq(mkdir(inside, 0700), 0);
}

static void
teardown(void)
{
	char cmd[2 * sizeof(tmp) + 32];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
	if (system(cmd) != 0)
		fprintf(stderr, "t_cli_sandbox: cannot remove %s\n", tmp);
}

static int
forked(void)
{
	const char *f = getenv("CK_FORK");

	return f == NULL || strcmp(f, "no") != 0;
}

/* The value of "Field:" in /proc/self/status, or -1. */
static long
status_field(const char *field)
{
	char line[256];
	size_t n = strlen(field);
	long v = -1;
	FILE *f = fopen("/proc/self/status", "r");

	ck_assert_ptr_nonnull(f);
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, field, n) == 0 && line[n] == ':')
			v = strtol(line + n + 1, NULL, 10);
	fclose(f);
	return v;
}

static void
enter(struct cli_sandbox *sb)
{
	struct cs_err err = { 0, "" };

	memset(sb, 0, sizeof(*sb));
	ck_assert_int_eq(cli_sandbox_add_read(sb, "/proc/self"), 0);
	ck_assert_int_eq(cli_sandbox_add_write(sb, inside), 0);
	ck_assert_msg(
	    cli_sandbox_enter(sb, NULL, NULL, &err) == 0, "%s", err.msg);
}

START_TEST(inside_the_write_dirs_files_are_made_renamed_removed)
{
	struct cli_sandbox sb;
	char a[340], b[340], sub[340], c[360];
	int fd;

	if (!forked())
		return;
	enter(&sb);
	snprintf(a, sizeof(a), "%s/a", inside);
	snprintf(b, sizeof(b), "%s/b", inside);
	snprintf(sub, sizeof(sub), "%s/sub", inside);
	snprintf(c, sizeof(c), "%s/c", sub);
	fd = open(a, O_WRONLY | O_CREAT | O_EXCL, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "x", 1), 1);
	ck_assert_int_eq(ftruncate(fd, 0), 0);
	ck_assert_int_eq(fsync(fd), 0);
	close(fd);
	ck_assert_int_eq(rename(a, b), 0);
	ck_assert_int_eq(mkdir(sub, 0700), 0);
	ck_assert_int_eq(rename(b, c), 0);
	ck_assert_int_eq(link(c, a), 0);
	ck_assert_int_eq(unlink(a), 0);
	fd = open(c, O_RDONLY);
	ck_assert_int_ge(fd, 0);
	close(fd);
}
END_TEST

START_TEST(outside_them_the_kernel_refuses_and_no_new_privs_holds)
{
	struct cli_sandbox sb;
	int fd;

	if (!forked())
		return;
	enter(&sb);
	errno = 0;
	fd = open(outside, O_WRONLY | O_CREAT | O_EXCL, 0600);
	ck_assert_int_eq(fd, -1);
	ck_assert_int_eq(errno, sb.landlock_abi > 0 ? EACCES : errno);
	ck_assert_int_ne(access(outside, F_OK), 0);
	/* nor read anything not listed */
	if (sb.landlock_abi > 0) {
		ck_assert_int_eq(open("/etc/passwd", O_RDONLY), -1);
		ck_assert_int_eq(errno, EACCES);
	}
	ck_assert_int_eq(status_field("NoNewPrivs"), 1);
	if (sb.seccomp) {
		ck_assert_int_eq(status_field("Seccomp"), 2);
		/* a call off the allow-list fails, the process goes on */
		errno = 0;
		ck_assert_int_eq(getpriority(PRIO_PROCESS, 0), -1);
		ck_assert_int_eq(errno, EPERM);
	}
}
END_TEST

/* Landlock alone (seccomp would refuse kill itself): from ABI 6 on, no
 * signal leaves the sandbox, not even a probe of the parent. */
START_TEST(landlock_keeps_signals_inside_from_abi_6)
{
	struct cs_err err = { 0, "" };
	struct cli_sandbox sb;
	const char *why = NULL;

	if (!forked())
		return;
	memset(&sb, 0, sizeof(sb));
	/* LeakSanitizer reads it at exit */
	ck_assert_int_eq(cli_sandbox_add_read(&sb, "/proc/self"), 0);
	ck_assert_int_eq(kill(getppid(), 0), 0);
	ck_assert_int_eq(prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), 0);
	ck_assert_int_ne(cli_sandbox_landlock(&sb, &why, &err), -1);
	if (sb.landlock_abi < 6)
		return;
	ck_assert_int_eq(kill(getppid(), 0), -1);
	ck_assert_int_eq(errno, EPERM);
	/* our own process still */
	ck_assert_int_eq(kill(getpid(), 0), 0);
}
END_TEST

START_TEST(a_list_holds_at_most_its_size)
{
	struct cli_sandbox sb;
	size_t i;

	memset(&sb, 0, sizeof(sb));
	for (i = 0; i < CLI_SANDBOX_MAX_PATHS; i++)
		ck_assert_int_eq(cli_sandbox_add_read(&sb, "/x"), 0);
	ck_assert_int_eq(cli_sandbox_add_read(&sb, "/x"), -1);
	ck_assert_uint_eq(sb.n_read, CLI_SANDBOX_MAX_PATHS);
	ck_assert_uint_eq(sb.n_write, 0);
}
END_TEST

Suite *
cli_sandbox_suite(void)
{
	Suite *s = suite_create("cli_sandbox");
	TCase *tc = tcase_create("confine");

	/* in the parent: the confined children could not remove it */
	tcase_add_unchecked_fixture(tc, setup, teardown);
	tcase_add_test(
	    tc, inside_the_write_dirs_files_are_made_renamed_removed);
	tcase_add_test(
	    tc, outside_them_the_kernel_refuses_and_no_new_privs_holds);
	tcase_add_test(tc, landlock_keeps_signals_inside_from_abi_6);
	tcase_add_test(tc, a_list_holds_at_most_its_size);
	suite_add_tcase(s, tc);
	return s;
}
