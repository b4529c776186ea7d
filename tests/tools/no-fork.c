/*
 * no-fork.so - LD_PRELOAD'ed by codec-jail.bats: fork(2) fails with
 * EAGAIN, as it does when RLIMIT_NPROC or the kernel's process table is
 * reached, so that no GDCM worker or rewrite child can be started and
 * dcmsend converts in its own process (gdcm_jail.c).  Built without
 * sanitizers (it runs before them).
 */
#include <errno.h>
#include <unistd.h>

pid_t
fork(void)
{
	errno = EAGAIN;
	return -1;
}
