/*
 * sandbox_landlock.c - the file system half of the sandbox (see
 * sandbox.h): Landlock through its raw system calls, so that no
 * library is needed and every ABI version the kernel offers is used.
 *
 * Handled (refused unless a rule allows it): every file system right
 * of the kernel's ABI, execute included.  Rules: reading beneath the
 * read list, reading and changing files beneath the write list.
 * Devices, sockets, FIFOs and symbolic links are never created.  From
 * ABI 6 on, signals and abstract UNIX sockets stay inside the sandbox.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/landlock.h>
#include <stdint.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cli/sandbox.h"
#include "core/banned.h"

/* Rights of later ABIs than the system's header may know. */
#ifndef LANDLOCK_ACCESS_FS_REFER
#define LANDLOCK_ACCESS_FS_REFER (1ULL << 13)
#endif
#ifndef LANDLOCK_ACCESS_FS_TRUNCATE
#define LANDLOCK_ACCESS_FS_TRUNCATE (1ULL << 14)
#endif
#ifndef LANDLOCK_ACCESS_FS_IOCTL_DEV
#define LANDLOCK_ACCESS_FS_IOCTL_DEV (1ULL << 15)
#endif

/* ABI 6: no signals to, no abstract UNIX sockets of, processes
 * outside the sandbox. */
#define SCOPE_ABSTRACT_UNIX_SOCKET (1ULL << 0)
#define SCOPE_SIGNAL (1ULL << 1)

/* struct landlock_ruleset_attr as of ABI 6, which the system's header
 * may not have yet; the kernel takes any prefix it knows. */
struct ruleset_attr {
	uint64_t fs, net, scoped;
};

#define FS_ABI1 ((1ULL << 13) - 1) /* EXECUTE ... MAKE_SYM */
#define FS_READ (LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR)
#define FS_WRITE                                                               \
	(FS_READ | LANDLOCK_ACCESS_FS_WRITE_FILE |                             \
	    LANDLOCK_ACCESS_FS_REMOVE_DIR | LANDLOCK_ACCESS_FS_REMOVE_FILE |   \
	    LANDLOCK_ACCESS_FS_MAKE_DIR | LANDLOCK_ACCESS_FS_MAKE_REG |        \
	    LANDLOCK_ACCESS_FS_REFER | LANDLOCK_ACCESS_FS_TRUNCATE)
/* What applies to a directory only (refused on a file's rule). */
#define FS_DIR_ONLY                                                            \
	(FS_WRITE &                                                            \
	    ~(LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_WRITE_FILE |   \
		LANDLOCK_ACCESS_FS_TRUNCATE))

/* The rights the kernel's ABI version knows. */
static unsigned long long
fs_rights(long abi)
{
	unsigned long long r = FS_ABI1;

	if (abi >= 2)
		r |= LANDLOCK_ACCESS_FS_REFER;
	if (abi >= 3)
		r |= LANDLOCK_ACCESS_FS_TRUNCATE;
	if (abi >= 5)
		r |= LANDLOCK_ACCESS_FS_IOCTL_DEV;
	return r;
}

/* One rule: access beneath path (a file gets the file rights only).
 * A path that does not exist is skipped: nothing there to allow. */
static int
add_rule(int ruleset, const char *path, unsigned long long access,
    struct cs_err *err)
{
	struct landlock_path_beneath_attr pb;
	struct stat st;
	int fd = open(path, O_PATH | O_CLOEXEC), rc = 0;

	if (fd < 0)
		return errno == ENOENT
		    ? 0
		    : cs_err_set(err, CS_E_IO, "sandbox: '%s': %s", path,
			  strerror(errno));
	memset(&pb, 0, sizeof(pb));
	pb.parent_fd = fd;
	pb.allowed_access = access;
	if (fstat(fd, &st) == 0 && !S_ISDIR(st.st_mode))
		pb.allowed_access &= ~FS_DIR_ONLY;
	if (syscall(SYS_landlock_add_rule, ruleset, LANDLOCK_RULE_PATH_BENEATH,
		&pb, 0) != 0)
		rc = cs_err_set(err, CS_E_IO,
		    "sandbox: Landlock rule for '%s': %s", path,
		    strerror(errno));
	close(fd);
	return rc;
}

static int
add_rules(int ruleset, const struct cli_sandbox *sb, unsigned long long all,
    struct cs_err *err)
{
	size_t i;
	int rc = 0;

	for (i = 0; rc == 0 && i < sb->n_read; i++)
		rc = add_rule(ruleset, sb->read[i], FS_READ & all, err);
	for (i = 0; rc == 0 && i < sb->n_write; i++)
		rc = add_rule(ruleset, sb->write[i], FS_WRITE & all, err);
	return rc;
}

int
cli_sandbox_landlock(
    struct cli_sandbox *sb, const char **why, struct cs_err *err)
{
	struct ruleset_attr ra;
	long abi = syscall(SYS_landlock_create_ruleset, NULL, 0,
	    LANDLOCK_CREATE_RULESET_VERSION);
	int ruleset, rc;

	if (abi < 0) {
		/* the kernel itself never says EPERM to this query: a
		 * seccomp filter around us refused it (systemd's
		 * SystemCallErrorNumber=EPERM); an outer filter's ENOSYS
		 * cannot be told from a kernel without Landlock */
		if (errno == EPERM)
			*why = "Landlock refused by an outer filter "
			       "(systemd SystemCallFilter=?)";
		else if (errno == ENOSYS && prctl(PR_GET_SECCOMP) == 2)
			*why = "no Landlock in this kernel, or refused by an "
			       "outer filter (systemd SystemCallFilter=?)";
		else
			*why = errno == EOPNOTSUPP
			    ? "Landlock is disabled in this kernel"
			    : "this kernel has no Landlock";
		return 1;
	}
	memset(&ra, 0, sizeof(ra));
	ra.fs = fs_rights(abi);
	/* network rules (ABI 4) are not used: connect stays allowed */
	if (abi >= 6)
		ra.scoped = SCOPE_ABSTRACT_UNIX_SOCKET | SCOPE_SIGNAL;
	/* before ABI 6 only the first field: every version knows it */
	ruleset = (int)syscall(SYS_landlock_create_ruleset, &ra,
	    abi >= 6 ? sizeof(ra) : sizeof(ra.fs), 0);
	if (ruleset < 0)
		return cs_err_set(err, CS_E_IO, "sandbox: Landlock ruleset: %s",
		    strerror(errno));
	rc = add_rules(ruleset, sb, ra.fs, err);
	if (rc == 0 && syscall(SYS_landlock_restrict_self, ruleset, 0) != 0)
		rc = cs_err_set(
		    err, CS_E_IO, "sandbox: Landlock: %s", strerror(errno));
	close(ruleset);
	if (rc == 0)
		sb->landlock_abi = (int)abi;
	return rc;
}
