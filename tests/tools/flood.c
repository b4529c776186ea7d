/*
 * flood - a DICOM sender that does not read its responses, for the
 * receiver's backpressure:
 *   flood PORT RQHEX MSGHEX N
 * connects to 127.0.0.1:PORT with a small receive buffer, sends the
 * A-ASSOCIATE-RQ RQHEX (hex) and waits for an A-ASSOCIATE-AC, then sends
 * the message MSGHEX (its P-DATA-TF PDUs, hex) N times without reading
 * anything until its writes have stalled for a second.  From then on it
 * reads and writes as the receiver lets it, until N responses (command
 * PDVs flagged last) have come; then it releases.
 * Prints "N responses" and exits 0, or says what came instead (an
 * A-ABORT, the connection closed) and exits 1.  60 seconds at most.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "unhex.h"

/* What the receiver sent: PDUs reassembled from the stream. */
struct in {
	unsigned char buf[1 << 16];
	size_t len;
	unsigned long responses;
	int accepted, aborted, released, other;
};

static void
pdu(struct in *in, const unsigned char *p, size_t len)
{
	size_t off = 6;

	switch (p[0]) {
	case 0x04:
		/* PDV items: length(4) pcid(1) control(1) data */
		while (off + 6 <= len) {
			size_t l = (size_t)p[off] << 24 | (size_t)p[off + 1] << 16 |
			    (size_t)p[off + 2] << 8 | p[off + 3];

			if ((p[off + 5] & 3) == 3)
				in->responses++;
			off += 4 + l;
		}
		break;
	case 0x02:
		in->accepted = 1;
		break;
	case 0x06:
		in->released = 1;
		break;
	case 0x07:
		in->aborted = 1;
		break;
	default:
		in->other = p[0];
	}
}

/* Reads what is there; 0, or -1 when the connection ended. */
static int
take(int fd, struct in *in)
{
	ssize_t r = recv(fd, in->buf + in->len, sizeof(in->buf) - in->len,
	    MSG_DONTWAIT);
	size_t used = 0;

	if (r < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : -1;
	if (r == 0)
		return -1;
	in->len += (size_t)r;
	for (;;) {
		const unsigned char *p = in->buf + used;
		size_t l;

		if (in->len - used < 6)
			break;
		l = 6 + ((size_t)p[2] << 24 | (size_t)p[3] << 16 |
		    (size_t)p[4] << 8 | p[5]);
		if (l > sizeof(in->buf)) {
			fprintf(stderr, "flood: PDU of %zu bytes\n", l);
			exit(1);
		}
		if (in->len - used < l)
			break;
		pdu(in, p, l);
		used += l;
	}
	memmove(in->buf, in->buf + used, in->len - used);
	in->len -= used;
	return 0;
}

/* Waits for fd to be readable (in) or writable (out); returns revents,
 * 0 on timeout. */
static int
wait_fd(int fd, int in, int out, int ms)
{
	struct pollfd pfd = { .fd = fd,
		.events = (short)((in ? POLLIN : 0) | (out ? POLLOUT : 0)) };

	if (poll(&pfd, 1, ms) <= 0)
		return 0;
	return pfd.revents;
}

static int
connect_to(const char *port)
{
	struct sockaddr_in sa;
	int fd = socket(AF_INET, SOCK_STREAM, 0), small = 4096;

	/* A small window: the receiver's responses back up early. */
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((unsigned short)atoi(port));
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		perror("flood: connect");
		exit(1);
	}
	return fd;
}

static void
send_all(int fd, const unsigned char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);

		if (w <= 0) {
			perror("flood: send");
			exit(1);
		}
		p += w;
		n -= (size_t)w;
	}
}

int
main(int argc, char **argv)
{
	static struct in in;
	unsigned char *rq, *msg;
	size_t rqlen, msglen, off = 0;
	unsigned long n, sent = 0;
	int fd, reading = 0;

	if (argc != 5 || (rq = unhex(argv[2], &rqlen)) == NULL ||
	    (msg = unhex(argv[3], &msglen)) == NULL || msglen == 0) {
		fprintf(stderr, "usage: flood PORT RQHEX MSGHEX N\n");
		return 2;
	}
	n = strtoul(argv[4], NULL, 10);
	alarm(60);
	signal(SIGPIPE, SIG_IGN);
	fd = connect_to(argv[1]);
	send_all(fd, rq, rqlen);
	free(rq);
	while (!in.accepted && !in.other)
		if (!wait_fd(fd, 1, 0, 5000) || take(fd, &in) != 0)
			break;
	if (!in.accepted) {
		fprintf(stderr, "flood: association not accepted\n");
		free(msg);
		return 1;
	}
	while (in.responses < n && !in.aborted && !in.other) {
		int ev = wait_fd(fd, reading, sent < n, 1000);

		if (ev == 0 && !reading)
			reading = 1; /* stalled: the receiver waits for us */
		if ((ev & (POLLHUP | POLLERR)) && !reading)
			reading = 1; /* gone: see what it said */
		if (reading && (ev & (POLLIN | POLLHUP | POLLERR)) &&
		    take(fd, &in) != 0)
			break;
		if ((ev & POLLOUT) && sent < n) {
			ssize_t w = send(fd, msg + off, msglen - off,
			    MSG_NOSIGNAL | MSG_DONTWAIT);

			if (w < 0 && errno != EAGAIN && errno != EINTR)
				reading = 1; /* gone: see what it said */
			if (w > 0 && (off += (size_t)w) == msglen) {
				off = 0;
				sent++;
			}
		}
	}
	free(msg);
	if (in.responses < n) {
		fprintf(stderr, "flood: %lu of %lu responses, %lu requests sent%s%s\n",
		    in.responses, n, sent, in.aborted ? ", then an A-ABORT" : "",
		    in.other ? ", then an unexpected PDU" : "");
		return 1;
	}
	send_all(fd, (const unsigned char *)"\x05\0\0\0\0\x04\0\0\0\0", 10);
	while (!in.released && wait_fd(fd, 1, 0, 5000) && take(fd, &in) == 0)
		;
	printf("%lu responses%s\n", in.responses, in.released ? "" :
	    " (no release answer)");
	return in.released ? 0 : 1;
}
