/*
 * no-socket.so - LD_PRELOAD'ed by dcmsend.bats: socket(2) for TCP/IP
 * fails with EMFILE, as when the process is out of descriptors, so that
 * dcmsend's connection cannot even start (a local failure, not an
 * unreachable peer).  Other families (AF_UNIX) are left alone.  Built
 * without sanitizers (it runs before them).
 */
#include <errno.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

int
socket(int domain, int type, int protocol)
{
	if (domain == AF_INET || domain == AF_INET6) {
		errno = EMFILE;
		return -1;
	}
	return (int)syscall(SYS_socket, domain, type, protocol);
}
