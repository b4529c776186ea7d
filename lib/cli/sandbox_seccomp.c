/*
 * sandbox_seccomp.c - the system call half of the sandbox (see
 * sandbox.h): a seccomp-bpf allow-list through libseccomp.
 *
 * The receiver reads and writes files and sockets, makes directories,
 * renames and links, waits, takes the time and starts threads.  Any
 * other call fails with EPERM rather than killing a receiver in the
 * middle of other peers' transfers for a call nobody foresaw; the
 * calls an intruder would want first (running a program, tracing or
 * writing another process, changing identity, mounting, loading
 * modules or BPF) kill the process.  Sockets stay allowed: accept,
 * and connect for reports sent on a new association.
 */
#include <errno.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cli/sandbox.h"
#include "core/banned.h"

#if defined(__SANITIZE_ADDRESS__)
#define CS_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define CS_SANITIZED 1
#endif
#endif

/* The tables: several names a line. */
/* clang-format off */
static const char *const allowed[] = {
	/* files and descriptors */
	"read", "write", "readv", "writev", "pread64", "pwrite64", "preadv",
	"pwritev", "preadv2", "pwritev2", "lseek", "close", "close_range",
	"open", "openat", "openat2", "creat", "stat", "fstat", "lstat",
	"newfstatat", "statx", "statfs", "fstatfs", "access", "faccessat",
	"faccessat2", "readlink", "readlinkat", "getdents", "getdents64",
	"getcwd",
	"mkdir", "mkdirat", "rename", "renameat", "renameat2", "link",
	"linkat", "unlink", "unlinkat", "rmdir", "fsync", "fdatasync",
	"ftruncate", "fallocate", "syncfs", "sync_file_range", "fchmod", "utimensat", "fadvise64", "flock",
	"fcntl", "dup", "dup2", "dup3", "pipe", "pipe2", "ioctl", "sendfile",
	"splice", "copy_file_range",
	/* memory */
	"mmap", "munmap", "mprotect", "madvise", "brk", "mremap",
	"membarrier",
	/* sockets: accepted associations, connects for reports */
	"socket", "socketpair", "connect", "accept", "accept4", "bind",
	"listen", "shutdown", "setsockopt", "getsockopt", "getsockname",
	"getpeername", "sendto", "recvfrom", "sendmsg", "recvmsg",
	"sendmmsg", "recvmmsg",
	/* waiting */
	"poll", "ppoll", "select", "pselect6", "epoll_create1", "epoll_ctl",
	"epoll_wait", "epoll_pwait", "epoll_pwait2", "eventfd2",
	"timerfd_create", "timerfd_settime", "timerfd_gettime", "futex",
	"futex_waitv", "nanosleep", "clock_nanosleep", "sched_yield",
	"timer_create", "timer_settime", "timer_gettime", "timer_delete",
	"restart_syscall",
	/* threads and signals */
	"clone", "clone3", "set_robust_list", "get_robust_list", "rseq",
	"set_tid_address", "exit", "exit_group", "rt_sigaction",
	"rt_sigprocmask", "rt_sigreturn", "rt_sigtimedwait", "sigaltstack",
	"tgkill", "tkill", "getpid", "gettid", "getppid",
	"sched_getaffinity", "prlimit64", "getrlimit",
	/* facts */
	"clock_gettime", "clock_getres", "gettimeofday", "time", "getrandom",
	"uname", "sysinfo", "getrusage", "times", "getuid", "geteuid",
	"getgid", "getegid", "getresuid", "getresgid", "getgroups",
#ifdef CS_SANITIZED
	/* LeakSanitizer stops the threads with a ptrace-ing helper task */
	"ptrace", "wait4", "waitid", "prctl", "process_vm_readv",
#endif
};

static const char *const fatal[] = {
	"execve", "execveat", "process_vm_writev", "setuid", "setgid",
	"setreuid", "setregid", "setresuid", "setresgid", "setgroups",
	"mount", "umount2", "pivot_root", "chroot", "unshare", "setns",
	"init_module", "finit_module", "delete_module", "bpf",
	"kexec_load", "kexec_file_load", "keyctl", "add_key",
	"request_key", "personality", "userfaultfd", "perf_event_open",
#ifndef CS_SANITIZED
	"ptrace", "process_vm_readv",
#endif
};
/* clang-format on */

/* Adds a rule for every name this architecture has. */
static int
add_list(scmp_filter_ctx ctx, uint32_t action, const char *const *names,
    size_t n, struct cs_err *err)
{
	size_t i;
	int nr, rc;

	for (i = 0; i < n; i++) {
		nr = seccomp_syscall_resolve_name(names[i]);
		if (nr == __NR_SCMP_ERROR)
			continue;
		rc = seccomp_rule_add(ctx, action, nr, 0);
		if (rc != 0 && rc != -EEXIST)
			return cs_err_set(err, CS_E_IO,
			    "sandbox: seccomp rule for %s: %s", names[i],
			    strerror(-rc));
	}
	return 0;
}

int
cli_sandbox_seccomp(const char **why, struct cs_err *err)
{
	scmp_filter_ctx ctx;
	int rc;

	/* the classic probe: a kernel with filters faults on the NULL
	 * program (EFAULT), one without them says EINVAL */
	if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, NULL, 0, 0) != 0 &&
	    errno == EINVAL) {
		*why = "this kernel has no seccomp filters";
		return 1;
	}
	/* the kernel has them, and seccomp(2) (Linux 3.17) answers
	 * EINVAL to a strict mode with flags; EPERM or ENOSYS is a filter
	 * around us refusing the call (systemd's SystemCallErrorNumber=),
	 * which libseccomp would only report as "not supported" */
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_STRICT, 1, NULL) != 0 &&
	    (errno == EPERM || errno == ENOSYS)) {
		*why = "seccomp refused by an outer filter "
		       "(systemd SystemCallFilter=?)";
		return 1;
	}
	ctx = seccomp_init(SCMP_ACT_ERRNO(EPERM));
	if (ctx == NULL)
		return cs_err_set(
		    err, CS_E_NOMEM, "sandbox: seccomp: out of memory");
	/* the threads already running get the filter too */
	/* a binary tree rather than a list: fewer comparisons per call
	 * (an older libseccomp without it still works) */
	(void)seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
	rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1);
	if (rc != 0)
		rc = cs_err_set(
		    err, CS_E_IO, "sandbox: seccomp: %s", strerror(-rc));
	if (rc == 0)
		rc = add_list(ctx, SCMP_ACT_ALLOW, allowed,
		    sizeof(allowed) / sizeof(allowed[0]), err);
	if (rc == 0)
		rc = add_list(ctx, SCMP_ACT_KILL_PROCESS, fatal,
		    sizeof(fatal) / sizeof(fatal[0]), err);
	if (rc == 0 && (rc = seccomp_load(ctx)) != 0)
		rc = cs_err_set(
		    err, CS_E_IO, "sandbox: seccomp: %s", strerror(-rc));
	seccomp_release(ctx);
	return rc;
}
