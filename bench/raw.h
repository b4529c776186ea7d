/*
 * raw.h - small helpers shared by the raw-limit benchmark programs
 * (rawsend, rawrecv): fatal errors and full writes/reads.
 */
#ifndef BENCH_RAW_H
#define BENCH_RAW_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static inline void
die(const char *what)
{
	fprintf(stderr, "raw: %s failed: %s\n", what, strerror(errno));
	exit(1);
}

static inline void
write_all(int fd, const void *p, size_t n)
{
	const char *c = p;

	while (n > 0) {
		ssize_t w = write(fd, c, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			die("write");
		c += w;
		n -= (size_t)w;
	}
}

/* 1 when n bytes were read, 0 on a clean EOF before the first byte. */
static inline int
read_all(int fd, void *p, size_t n)
{
	char *c = p;
	size_t got = 0;

	while (got < n) {
		ssize_t r = read(fd, c + got, n - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			die("read");
		if (r == 0) {
			if (got == 0)
				return 0;
			errno = EPROTO;
			die("read (short)");
		}
		got += (size_t)r;
	}
	return 1;
}

/*
 * BENCH_SOCKBUF=N in the environment: fixed SO_SNDBUF and SO_RCVBUF of N
 * bytes (as lib/net does), to measure what that costs; unset: the kernel's
 * autotuning.
 */
static inline void
sockbuf(int fd)
{
	const char *e = getenv("BENCH_SOCKBUF");
	int n = e != NULL ? (int)strtol(e, NULL, 10) : 0;

	if (n > 0) {
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &n, sizeof n);
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &n, sizeof n);
	}
}

#endif
