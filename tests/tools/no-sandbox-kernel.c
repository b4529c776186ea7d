/*
 * no-sandbox-kernel [-l] [-s] PROGRAM [ARG...] - runs PROGRAM as on a
 * kernel without Landlock (-l: its calls fail with ENOSYS) and/or
 * without seccomp filters (-s: PR_SET_SECCOMP says EINVAL, seccomp()
 * ENOSYS), through a seccomp filter of its own.  For dcmrecv's
 * "says so once and goes on" (tests/bats/dcmrecv-sandbox.bats).
 */
#include <errno.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

static int
deny(scmp_filter_ctx ctx, int err, const char *name)
{
	int nr = seccomp_syscall_resolve_name(name);

	return nr == __NR_SCMP_ERROR
	    ? 0
	    : seccomp_rule_add(ctx, SCMP_ACT_ERRNO(err), nr, 0);
}

int
main(int argc, char **argv)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	int opt, rc = ctx == NULL;

	while (rc == 0 && (opt = getopt(argc, argv, "+ls")) != -1) {
		if (opt == 'l') {
			rc |= deny(ctx, ENOSYS, "landlock_create_ruleset");
			rc |= deny(ctx, ENOSYS, "landlock_add_rule");
			rc |= deny(ctx, ENOSYS, "landlock_restrict_self");
		} else if (opt == 's') {
			rc |= deny(ctx, ENOSYS, "seccomp");
			rc |= seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EINVAL),
			    SCMP_SYS(prctl), 1,
			    /* datum_b unused by EQ, but clang wants it set */
			    SCMP_A0(SCMP_CMP_EQ, PR_SET_SECCOMP, 0));
		} else {
			rc = 1;
		}
	}
	if (rc != 0 || optind >= argc) {
		fprintf(stderr,
		    "usage: no-sandbox-kernel [-l] [-s] program [arg ...]\n");
		return 2;
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
	    seccomp_load(ctx) != 0) {
		fprintf(stderr, "no-sandbox-kernel: cannot load the filter\n");
		return 1;
	}
	execvp(argv[optind], argv + optind);
	fprintf(stderr, "no-sandbox-kernel: %s: %s\n", argv[optind],
	    strerror(errno));
	return 127;
}
