/*
 * syscall-filter ALLOWED KNOWN PROGRAM [ARG...] - runs PROGRAM as systemd
 * runs a service with an allow-list SystemCallFilter= (and no
 * SystemCallErrorNumber=): no_new_privs, then a seccomp filter under
 * which a system call named in the file ALLOWED is allowed, one that
 * systemd does not know (not in the file KNOWN, its @known set) fails
 * with ENOSYS, and any other kills the process (SIGSYS).  Both files
 * hold one name a line, as `systemd-analyze syscall-filter` expands
 * them (tests/bats/helpers.bash, unit_syscall_filter).  For the units
 * of contrib/systemd: what they allow must be what our tools call.
 *
 * syscall-filter -e ALLOWED KNOWN PROGRAM [ARG...]: as with
 * SystemCallErrorNumber=EPERM, a call outside ALLOWED fails with EPERM
 * instead of killing (unknown ones still fail with ENOSYS).
 */
#include <errno.h>
#include <seccomp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

struct names {
	char **v;
	size_t n;
};

static int
load(struct names *ns, const char *path)
{
	char line[128];
	FILE *f = fopen(path, "r");

	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL) {
		char **v = realloc(ns->v, (ns->n + 1) * sizeof(*v));

		if (v == NULL)
			break;
		ns->v = v;
		line[strcspn(line, "\n")] = '\0';
		if ((ns->v[ns->n] = strdup(line)) == NULL)
			break;
		ns->n++;
	}
	return fclose(f);
}

static int
has(const struct names *ns, const char *name)
{
	size_t i;

	for (i = 0; i < ns->n; i++)
		if (strcmp(ns->v[i], name) == 0)
			return 1;
	return 0;
}

static int
build(scmp_filter_ctx ctx, const struct names *allowed,
    const struct names *known)
{
	size_t i;
	int nr, rc = 0;

	for (i = 0; rc == 0 && i < allowed->n; i++) {
		nr = seccomp_syscall_resolve_name(allowed->v[i]);
		if (nr != __NR_SCMP_ERROR)
			rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0);
	}
	/* the calls of this architecture systemd has no name for */
	for (nr = 0; rc == 0 && nr < 1024; nr++) {
		char *name = seccomp_syscall_resolve_num_arch(
		    SCMP_ARCH_NATIVE, nr);

		if (name != NULL && !has(known, name) && !has(allowed, name))
			rc = seccomp_rule_add(
			    ctx, SCMP_ACT_ERRNO(ENOSYS), nr, 0);
		free(name);
	}
	return rc;
}

int
main(int argc, char **argv)
{
	struct names allowed = { NULL, 0 }, known = { NULL, 0 };
	scmp_filter_ctx ctx;
	uint32_t other = SCMP_ACT_KILL_PROCESS;

	if (argc > 1 && strcmp(argv[1], "-e") == 0) {
		other = SCMP_ACT_ERRNO(EPERM);
		argc--;
		argv++;
	}
	if (argc < 4) {
		fprintf(stderr, "usage: syscall-filter [-e] allowed known "
				"program [arg ...]\n");
		return 2;
	}
	if (load(&allowed, argv[1]) != 0 || load(&known, argv[2]) != 0 ||
	    allowed.n == 0 || known.n == 0) {
		fprintf(stderr, "syscall-filter: cannot read the lists\n");
		return 2;
	}
	ctx = seccomp_init(other);
	if (ctx == NULL || build(ctx, &allowed, &known) != 0 ||
	    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
	    seccomp_load(ctx) != 0) {
		fprintf(stderr, "syscall-filter: cannot load the filter\n");
		return 70;
	}
	execv(argv[3], argv + 3);
	fprintf(stderr, "syscall-filter: %s: %s\n", argv[3], strerror(errno));
	return 127;
}
