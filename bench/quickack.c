/*
 * quickack.so - an experiment for the benchmark, not part of cstore:
 * LD_PRELOAD it into our dcmsend or dcmrecv to re-arm TCP_QUICKACK after
 * every read from a socket, so that the peer's next segment is acknowledged
 * at once instead of after Linux's delayed-ACK timer (up to 40 ms).  With
 * DCMTK's defaults (Nagle on) that delay is what stalls every object: the
 * peer holds its second small write until the first is acknowledged.  The
 * bench's "+ quickack" rows show what lib/net would gain by doing the same.
 */
#include <dlfcn.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <stddef.h>
#include <sys/types.h>
#include <unistd.h>

/* the build hides symbols by default: these must interpose */
#define EXPORT __attribute__((visibility("default")))

static void
quickack(int fd, ssize_t got)
{
	int one = 1;

	if (got > 0)
		(void)setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof one);
}

EXPORT ssize_t
recv(int fd, void *buf, size_t n, int flags)
{
	static ssize_t (*real)(int, void *, size_t, int);
	ssize_t r;

	if (real == NULL)
		*(void **)&real = dlsym(RTLD_NEXT, "recv");
	r = real(fd, buf, n, flags);
	quickack(fd, r);
	return r;
}

/* __SOCKADDR_ARG: glibc's own type for the address under _GNU_SOURCE */
EXPORT ssize_t
recvfrom(int fd, void *restrict buf, size_t n, int flags, __SOCKADDR_ARG a,
    socklen_t *restrict alen)
{
	static ssize_t (*real)(int, void *restrict, size_t, int, __SOCKADDR_ARG,
	    socklen_t *restrict);
	ssize_t r;

	if (real == NULL)
		*(void **)&real = dlsym(RTLD_NEXT, "recvfrom");
	r = real(fd, buf, n, flags, a, alen);
	quickack(fd, r);
	return r;
}

EXPORT ssize_t
read(int fd, void *buf, size_t n)
{
	static ssize_t (*real)(int, void *, size_t);
	ssize_t r;

	if (real == NULL)
		*(void **)&real = dlsym(RTLD_NEXT, "read");
	r = real(fd, buf, n);
	quickack(fd, r); /* ENOTSOCK on files: harmless */
	return r;
}
