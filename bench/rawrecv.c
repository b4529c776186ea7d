/*
 * rawrecv - the receiving half of the benchmark's raw limit.
 *   rawrecv [-s|-z] PORTFILE DIR
 * Listens on 127.0.0.1 (port chosen by the kernel, written to PORTFILE),
 * serves one connection after another until SIGTERM.  Default: per object
 * an 8-byte little-endian size, then its bytes, written with read/write
 * into a new file DIR/<connection>-<n>.raw, then a 1-byte ack.  With -s:
 * the whole connection into one file DIR/stream-<connection>.raw, a
 * 1-byte ack at EOF.  The payload is copied once in user space, as a
 * DICOM receiver writing a file must.  With -z: as the default, but the
 * bytes go socket -> pipe -> file by splice(2), never through user space
 * (what a receiver that does not look at them could do; a measure of
 * what the recv copy costs).  Exit 0 on SIGTERM, 1 on error.
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <sys/socket.h>

#include "raw.h"

#define BUFSZ (256 * 1024)

static char buf[BUFSZ];
static int zpipe[2] = { -1, -1 };

static void
on_term(int sig)
{
	(void)sig;
	_exit(0);
}

/* -z: n bytes from c to fd through the pipe, by splice. */
static void
zcopy(int c, int fd, uint64_t n)
{
	while (n > 0) {
		size_t want = n < BUFSZ * 4 ? (size_t)n : BUFSZ * 4;
		ssize_t r = splice(c, NULL, zpipe[1], NULL, want, SPLICE_F_MOVE);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			if (r == 0)
				errno = EPROTO;
			die("splice (socket)");
		}
		n -= (uint64_t)r;
		while (r > 0) {
			ssize_t w = splice(zpipe[0], NULL, fd, NULL, (size_t)r, SPLICE_F_MOVE);
			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0)
				die("splice (file)");
			r -= w;
		}
	}
}

/* Copies n bytes (or up to EOF when n is UINT64_MAX) from c to fd. */
static void
copy(int c, int fd, uint64_t n)
{
	if (zpipe[0] >= 0 && n != UINT64_MAX) {
		zcopy(c, fd, n);
		return;
	}
	while (n > 0) {
		size_t want = n < BUFSZ ? (size_t)n : BUFSZ;
		ssize_t r = read(c, buf, want);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			die("read");
		if (r == 0) {
			if (n == UINT64_MAX)
				return;
			errno = EPROTO;
			die("read (short object)");
		}
		write_all(fd, buf, (size_t)r);
		if (n != UINT64_MAX)
			n -= (uint64_t)r;
	}
}

int
main(int argc, char **argv)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof sa;
	int stream = 0, l, one = 1;
	unsigned long conn = 0;
	char path[4200];
	FILE *pf;

	if (argc == 4 && strcmp(argv[1], "-s") == 0) {
		stream = 1;
		argv++;
		argc--;
	} else if (argc == 4 && strcmp(argv[1], "-z") == 0) {
		if (pipe(zpipe) != 0)
			die("pipe");
		fcntl(zpipe[1], F_SETPIPE_SZ, BUFSZ * 4);
		argv++;
		argc--;
	}
	if (argc != 3) {
		fprintf(stderr, "usage: rawrecv [-s|-z] PORTFILE DIR\n");
		return 2;
	}
	signal(SIGTERM, on_term);
	signal(SIGPIPE, SIG_IGN);
	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((l = socket(AF_INET, SOCK_STREAM, 0)) < 0)
		die("socket");
	setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (bind(l, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(l, 16) != 0)
		die("bind/listen");
	if (getsockname(l, (struct sockaddr *)&sa, &len) != 0)
		die("getsockname");
	if ((pf = fopen(argv[1], "w")) == NULL)
		die(argv[1]);
	fprintf(pf, "%u\n", ntohs(sa.sin_port));
	fclose(pf);
	for (;;) {
		unsigned char hdr[8], a = 1;
		unsigned long n = 0;
		int c = accept(l, NULL, NULL), fd;

		if (c < 0) {
			if (errno == EINTR)
				continue;
			die("accept");
		}
		setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
		sockbuf(c);
		conn++;
		if (stream) {
			snprintf(path, sizeof path, "%s/stream-%lu.raw", argv[2], conn);
			if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644)) < 0)
				die(path);
			copy(c, fd, UINT64_MAX);
			if (close(fd) != 0)
				die("close");
			write_all(c, &a, 1);
		} else {
			while (read_all(c, hdr, 8)) {
				uint64_t size = 0;
				for (int i = 7; i >= 0; i--)
					size = size << 8 | hdr[i];
				snprintf(path, sizeof path, "%s/%lu-%lu.raw", argv[2], conn, ++n);
				if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644)) < 0)
					die(path);
				copy(c, fd, size);
				if (close(fd) != 0)
					die("close");
				write_all(c, &a, 1);
			}
		}
		close(c);
	}
}
