/* recv_confine.c - dcmrecv's sandbox lists (see recv_confine.h). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/exitcodes.h"
#include "cli/recv_confine.h"
#include "core/banned.h"

/*
 * Read beneath, besides the output directory: the C library's own
 * loads (libgcc_s when a thread unwinds, NSS modules, time zone files
 * for {Date}), the process's own /proc entries (thread stacks, CPU
 * count) and what a host name lookup reads, for connections the
 * receiver opens (reports sent on a new association).
 */
static const char *const system_read[] = {
	"/usr/lib",
	"/lib",
	"/etc/localtime",
	"/usr/share/zoneinfo",
	"/proc/self",
	"/proc/stat",                      /* temporary files' owner names */
	"/proc/sys/kernel/random/boot_id", /* (read once before) */
	"/sys/devices/system/cpu",
	"/etc/hosts",
	"/etc/host.conf",
	"/etc/nsswitch.conf",
	"/etc/resolv.conf",
	"/etc/gai.conf",
	"/etc/services",
};

/* The directory path names: path itself when it is one, else the part
 * before its last slash ("." for none). */
static const char *
dir_of(const char *path, char *buf, size_t size)
{
	struct stat st;
	const char *slash = strrchr(path, '/');

	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
		return path;
	if (slash == NULL)
		return ".";
	snprintf(
	    buf, size, "%.*s", (int)(slash == path ? 1 : slash - path), path);
	return buf;
}

int
recv_sandbox_paths(const struct recv_args *a, struct cli_sandbox *sb)
{
	size_t i;
	int rc = 0;

	memset(sb, 0, sizeof(*sb));
	for (i = 0; i < sizeof(system_read) / sizeof(system_read[0]); i++)
		rc |= cli_sandbox_add_read(sb, system_read[i]);
	/* files are made, renamed and removed beneath the output directory */
	rc |= cli_sandbox_add_write(sb, a->cfg.output_dir);
	if (a->cfg.quarantine_dir != NULL)
		rc |= cli_sandbox_add_write(sb, a->cfg.quarantine_dir);
	/* SIGHUP reads the certificate and key again, and a CA directory
	 * is read as certificates are verified (the system store without
	 * --tls-ca, only for --commit's own connections: client
	 * certificates are never checked against it): their directories, as a renewal (certbot's symlink
	 * switch, mv new.pem cert.pem) brings a new file, which a rule on
	 * the old one would not cover */
	/* SIGHUP reads the users file again: its directory, as an editor
	 * writes a new file and renames it over the old */
	if (a->users_file != NULL) {
		static char udir[2][4096];
		char real[4096];

		rc |= cli_sandbox_add_read(
		    sb, dir_of(a->users_file, udir[0], sizeof(udir[0])));
		if (realpath(a->users_file, real) != NULL)
			rc |= cli_sandbox_add_read(
			    sb, dir_of(real, udir[1], sizeof(udir[1])));
	}
	if (a->cfg.tls.enabled) {
		static char dirs[6][4096];
		char real[4096];
		const char *tls[] = { a->cfg.tls.cert, a->cfg.tls.key,
			a->cfg.tls.ca ? a->cfg.tls.ca : "/etc/ssl/" };

		for (i = 0; i < sizeof(tls) / sizeof(tls[0]); i++)
			if (tls[i] != NULL) {
				rc |= cli_sandbox_add_read(sb,
				    dir_of(tls[i], dirs[i], sizeof(dirs[i])));
				/* and where a symbolic link points now */
				if (realpath(tls[i], real) != NULL)
					rc |= cli_sandbox_add_read(sb,
					    dir_of(real, dirs[3 + i],
						sizeof(dirs[3 + i])));
			}
	}
	return rc;
}

/* A harmless call that is not on the allow-list. */
static const char *
probe_seccomp(void)
{
	errno = 0;
	if (getpriority(PRIO_PROCESS, 0) == -1 && errno == EPERM)
		return "refused";
	return "NOT refused";
}

int
recv_sandbox_probe(const char *path, char *line, size_t size)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	int e = errno;

	if (fd >= 0) {
		close(fd);
		unlink(path);
		snprintf(line, size,
		    "sandbox probe: created '%s': writes outside the output directory are NOT refused; getpriority %s",
		    path, probe_seccomp());
		return 0;
	}
	snprintf(line, size, "sandbox probe: %s '%s': %s; getpriority %s",
	    e == EACCES || e == EPERM ? "refused to create" : "cannot create",
	    path, strerror(e), probe_seccomp());
	return e == EACCES || e == EPERM;
}

static void
on_sandbox_note(void *user, const char *line)
{
	const struct recv_args *a = user;

	if (!a->quiet)
		fprintf(stderr, "%s: sandbox: %s: going on without it\n",
		    cli_progname(), line);
}

/* The sandbox; returns 0 or an exit status. */
int
recv_sandbox_enter(const struct recv_args *a)
{
	struct cs_err err = { 0, "" };
	struct cli_sandbox sb;
	char ll[16];

	/* the time zone ({Date} of --layout) is read now, as $TZ may name
	 * a file outside the paths below: the C library reads it once,
	 * and would fall back to UTC, a wrong day, if it came later */
	tzset();
	if (recv_sandbox_paths(a, &sb) != 0) {
		fprintf(
		    stderr, "%s: sandbox: too many paths\n", cli_progname());
		return EXIT_INTERNAL;
	}
	if (cli_sandbox_enter(&sb, on_sandbox_note, (void *)a, &err) != 0) {
		fprintf(stderr, "%s: %s\n", cli_progname(), err.msg);
		return EXIT_INTERNAL;
	}
	snprintf(ll, sizeof(ll), sb.landlock_abi ? "ABI %d" : "off",
	    sb.landlock_abi);
	if (a->verbose)
		fprintf(stderr,
		    "%s: confined: no_new_privs, Landlock %s, seccomp %s\n",
		    cli_progname(), ll, sb.seccomp ? "allow-list" : "off");
	return 0;
}
