/*
 * tcp-stub - a misbehaving TCP peer for tests: listens on 127.0.0.1 port
 * 0, writes the port to PORTFILE, accepts one connection and then, by
 * MODE:
 *   close        closes at once
 *   silent       reads and discards everything, never answers
 *   send FILE    reads the first PDU header's worth of input, sends the
 *                bytes of FILE, then keeps reading until the peer closes
 * It exits after that one connection, or after 30 seconds in any case.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static void
drain(int fd)
{
	char buf[65536];

	while (read(fd, buf, sizeof(buf)) > 0)
		;
}

int
main(int argc, char **argv)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);
	int lfd, fd, one = 1;
	FILE *pf;

	if (argc < 3 || (strcmp(argv[1], "send") == 0 && argc < 4)) {
		fprintf(stderr, "usage: tcp-stub close|silent|send FILE PORTFILE\n");
		return 2;
	}
	alarm(30);
	signal(SIGPIPE, SIG_IGN);
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    listen(lfd, 4) != 0 ||
	    getsockname(lfd, (struct sockaddr *)&sa, &len) != 0) {
		perror("tcp-stub");
		return 1;
	}
	pf = fopen(argv[argc - 1], "w");
	if (pf == NULL) {
		perror(argv[argc - 1]);
		return 1;
	}
	fprintf(pf, "%u\n", ntohs(sa.sin_port));
	fclose(pf);
	fd = accept(lfd, NULL, NULL);
	if (fd < 0)
		return 1;
	if (strcmp(argv[1], "close") == 0) {
		close(fd);
	} else if (strcmp(argv[1], "silent") == 0) {
		drain(fd);
	} else {
		char hdr[6], buf[65536];
		size_t n;
		FILE *f = fopen(argv[2], "rb");

		if (f == NULL || read(fd, hdr, sizeof(hdr)) < 0) {
			perror(argv[2]);
			return 1;
		}
		while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
			if (write(fd, buf, n) < 0)
				break;
		fclose(f);
		drain(fd);
	}
	close(fd);
	close(lfd);
	return 0;
}
