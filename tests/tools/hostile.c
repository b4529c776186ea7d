/*
 * hostile - hostile DICOM peers for the receiver's defences
 * (tests/bats/dcmrecv-hostile.bats), and one well-behaved one:
 *   hostile [-b ADDR] PORT MODE ARGS...
 * connects to 127.0.0.1:PORT from ADDR (default: the kernel's choice).
 *   idle N SECS            N connections that send nothing, held SECS
 *   loris N SECS RQHEX     N connections, half dribbling the RQ, half
 *                          associated and dribbling a P-DATA-TF, one
 *                          byte each 500 ms, for SECS at most
 *   huge RQHEX             PDU lengths near 4 GiB: as an RQ, as an
 *                          unknown PDU, as a P-DATA-TF once associated
 *   pdv RQHEX CMDHEX N     a C-STORE whose data set comes as N PDVs of
 *                          one byte (64 KiB PDUs)
 *   endless RQHEX CMDHEX MB  a C-STORE whose data set never ends: MB MiB
 *                          of 16 KiB PDVs, none last, then a close
 *   churn N                connect and close N times
 *   legit ERQ EMSG SRQ SMSG  a C-ECHO (RQ, message) then a C-STORE
 *                          (RQ, messages), each on its own association;
 *                          prints "echo STATUS store STATUS MS ms"
 * The hostile modes print how each connection ended ("N closed by the
 * receiver, M still open") and exit 0; failures to connect exit 1.
 * Every wait is bounded (60 s in all).
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
#include <time.h>
#include <unistd.h>

#include "unhex.h"

static const char *bind_addr;
static unsigned short port;

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int
dial(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	if (fd < 0)
		return -1;
	if (bind_addr != NULL) {
		struct sockaddr_in b = { .sin_family = AF_INET };

		inet_pton(AF_INET, bind_addr, &b.sin_addr);
		if (bind(fd, (struct sockaddr *)&b, sizeof(b)) != 0) {
			close(fd);
			return -1;
		}
	}
	a.sin_port = htons(port);
	inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static int
send_all(int fd, const unsigned char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);

		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Reads one PDU (at most cap bytes kept) within ms; its type, or -1. */
static int
read_pdu(int fd, unsigned char *buf, size_t cap, size_t *len, int ms)
{
	long long end = now_ms() + ms;
	size_t got = 0, want = 6;

	while (got < want) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		long long left = end - now_ms();
		unsigned char tmp[4096];
		size_t ask =
		    want - got < sizeof(tmp) ? want - got : sizeof(tmp);
		ssize_t r;

		if (left <= 0 || poll(&p, 1, (int)left) <= 0)
			return -1;
		r = recv(fd, tmp, ask, 0);
		if (r <= 0)
			return -1;
		for (ssize_t i = 0; i < r; i++, got++)
			if (got < cap)
				buf[got] = tmp[i];
		if (got == 6 && want == 6)
			want = 6 +
			    ((size_t)buf[2] << 24 | (size_t)buf[3] << 16 |
				(size_t)buf[4] << 8 | buf[5]);
	}
	*len = got < cap ? got : cap;
	return buf[0];
}

/* Status (0000,0900) of a response command in a P-DATA-TF, or -1. */
static int
status_in(const unsigned char *p, size_t n)
{
	static const unsigned char tag[] = { 0, 0, 0, 9, 2, 0, 0, 0 };

	for (size_t i = 0; i + sizeof(tag) + 2 <= n; i++)
		if (memcmp(p + i, tag, sizeof(tag)) == 0)
			return p[i + 8] | p[i + 9] << 8;
	return -1;
}

/* 1 when the receiver has closed fd (or reset it), 0 if still open. */
static int
peer_closed(int fd)
{
	unsigned char b[4096];
	struct pollfd p = { .fd = fd, .events = POLLIN };

	while (poll(&p, 1, 0) > 0) {
		ssize_t r = recv(fd, b, sizeof(b), MSG_DONTWAIT);

		if (r == 0 || (r < 0 && errno != EAGAIN))
			return 1;
		if (r < 0)
			return 0;
	}
	return 0;
}

/* Associates on a new connection; the fd, or -1 (not accepted). */
static int
associate(const unsigned char *rq, size_t rqn)
{
	unsigned char b[512];
	size_t n;
	int fd = dial();

	if (fd < 0)
		return -1;
	if (send_all(fd, rq, rqn) != 0 ||
	    read_pdu(fd, b, sizeof(b), &n, 5000) != 0x02) {
		close(fd);
		return -1;
	}
	return fd;
}

static void
report(int *fds, int n)
{
	int closed = 0, open = 0;

	for (int i = 0; i < n; i++) {
		if (fds[i] < 0 || peer_closed(fds[i]))
			closed++;
		else
			open++;
		if (fds[i] >= 0)
			close(fds[i]);
	}
	printf("%d closed by the receiver, %d still open\n", closed, open);
}

static int
idle(int n, int secs)
{
	int *fds = calloc((size_t)n, sizeof(*fds));
	long long end;

	for (int i = 0; i < n; i++)
		if ((fds[i] = dial()) < 0) {
			free(fds);
			return 1;
		}
	printf("%d open\n", n);
	fflush(stdout);
	end = now_ms() + secs * 1000LL;
	while (now_ms() < end)
		poll(NULL, 0, 100);
	report(fds, n);
	free(fds);
	return 0;
}

static int
loris(int n, int secs, const unsigned char *rq, size_t rqn)
{
	/* a P-DATA-TF of 16 KiB: one PDV item (context 1, a command) */
	static const unsigned char pdata[] = { 4, 0, 0, 0, 0x40, 0 };
	static const unsigned char pdv[] = { 0, 0, 0x3f, 0xfa, 1, 1 };
	int *fds = calloc((size_t)n, sizeof(*fds));
	size_t *off = calloc((size_t)n, sizeof(*off));
	long long end = now_ms() + secs * 1000LL;

	for (int i = 0; i < n; i++) {
		/* odd ones associate first, then dribble a 16 KiB P-DATA */
		fds[i] = i % 2 ? associate(rq, rqn) : dial();
		if (i % 2 && fds[i] >= 0 && send_all(fds[i], pdata, 6) != 0)
			fds[i] = -1;
	}
	printf("%d dribbling\n", n);
	fflush(stdout);
	while (now_ms() < end) {
		int live = 0;

		for (int i = 0; i < n; i++) {
			unsigned char b = 0;

			if (fds[i] < 0)
				continue;
			if (i % 2 == 0 && off[i] < rqn)
				b = rq[off[i]];
			else if (i % 2 && off[i] < sizeof(pdv))
				b = pdv[off[i]];
			if (peer_closed(fds[i]) ||
			    send(fds[i], &b, 1, MSG_NOSIGNAL) != 1) {
				close(fds[i]);
				fds[i] = -1;
				continue;
			}
			off[i]++;
			live++;
		}
		if (live == 0)
			break;
		poll(NULL, 0, 500);
	}
	report(fds, n);
	free(fds);
	free(off);
	return 0;
}

/* Sends a PDU header claiming len bytes; 1 if the receiver closed
 * within 40 s. */
static int
huge_one(int fd, unsigned char type, unsigned len)
{
	unsigned char h[6] = { type, 0, len >> 24, len >> 16, len >> 8, len };
	unsigned char junk[4096] = { 0 };
	long long end = now_ms() + 40000;

	if (fd < 0 || send_all(fd, h, 6) != 0)
		return fd >= 0;
	/* some of the body, then nothing: the receiver must not wait 4 GiB */
	send(fd, junk, sizeof(junk), MSG_NOSIGNAL);
	while (now_ms() < end) {
		struct pollfd p = { .fd = fd, .events = POLLIN };

		if (poll(&p, 1, 100) > 0 && peer_closed(fd))
			return 1;
	}
	return 0;
}

static int
huge(const unsigned char *rq, size_t rqn)
{
	int rq_huge = huge_one(dial(), 0x01, 0xfffffff0u);
	int unknown = huge_one(dial(), 0x33, 0xfffffff0u);
	int fd = associate(rq, rqn);
	int data = huge_one(fd, 0x04, 0xfffffff0u);

	printf("rq %s, unknown %s, p-data %s\n", rq_huge ? "closed" : "open",
	    unknown ? "closed" : "open", data ? "closed" : "open");
	return 0;
}

/* P-DATA-TFs of PDVs of size each, n items, none last; stops when the
 * receiver closes.  Returns the bytes of data sent. */
static long long
pdvs(int fd, long long n, size_t each)
{
	size_t per = (64 * 1024) / (each + 6), cap = 6 + per * (each + 6);
	unsigned char *b = calloc(1, cap);
	long long sent = 0;

	while (n > 0) {
		size_t k = (size_t)n < per ? (size_t)n : per, len = 0;

		for (size_t i = 0; i < k; i++) {
			unsigned char *v = b + 6 + i * (each + 6);
			size_t l = each + 2;

			v[0] = l >> 24, v[1] = l >> 16, v[2] = l >> 8, v[3] = l;
			v[4] = 1, v[5] = 0; /* context 1, data set, not last */
			len += each + 6;
		}
		b[0] = 4, b[1] = 0;
		b[2] = len >> 24, b[3] = len >> 16, b[4] = len >> 8, b[5] = len;
		if (send_all(fd, b, 6 + len) != 0)
			break;
		sent += (long long)(k * each);
		n -= (long long)k;
	}
	free(b);
	return sent;
}

static int
stream(const unsigned char *rq, size_t rqn, const unsigned char *cmd,
    size_t cmdn, long long n, size_t each)
{
	int fd = associate(rq, rqn);
	long long sent, t0 = now_ms();
	unsigned char b[256];
	size_t len;

	if (fd < 0 || send_all(fd, cmd, cmdn) != 0) {
		fprintf(stderr, "hostile: not associated\n");
		return 1;
	}
	sent = pdvs(fd, n, each);
	/* what the receiver said, if anything, within 5 s */
	int t = read_pdu(fd, b, sizeof(b), &len, 5000);
	printf("%lld bytes in %lld ms, then %s\n", sent, now_ms() - t0,
	    t == 0x07   ? "an A-ABORT"
		: t < 0 ? "nothing"
			: "a PDU");
	close(fd);
	return 0;
}

static int
churn(long n)
{
	for (long i = 0; i < n; i++) {
		int fd = dial();

		if (fd < 0)
			return 1;
		close(fd);
	}
	printf("%ld connections\n", n);
	return 0;
}

/* One request on its own association: its response status, or -1. */
static int
request(const char *rqhex, const char *msghex)
{
	unsigned char b[65536], *rq, *msg;
	size_t rqn, msgn, n;
	int fd, st = -1;

	rq = unhex(rqhex, &rqn);
	msg = unhex(msghex, &msgn);
	fd = rq && msg ? associate(rq, rqn) : -1;
	if (fd >= 0 && send_all(fd, msg, msgn) == 0 &&
	    read_pdu(fd, b, sizeof(b), &n, 5000) == 0x04) {
		static const unsigned char rel[] = { 5, 0, 0, 0, 0, 4, 0, 0, 0,
			0 };

		st = status_in(b, n);
		send_all(fd, rel, sizeof(rel));
		read_pdu(fd, b, sizeof(b), &n, 5000);
	}
	if (fd >= 0)
		close(fd);
	free(rq);
	free(msg);
	return st;
}

static int
legit(char **av)
{
	long long t0 = now_ms();
	int e = request(av[0], av[1]);
	int s = request(av[2], av[3]);

	printf("echo %04X store %04X %lld ms\n", e < 0 ? 0xffff : e,
	    s < 0 ? 0xffff : s, now_ms() - t0);
	return e == 0 && s == 0 ? 0 : 1;
}

int
main(int ac, char **av)
{
	unsigned char *rq = NULL, *cmd = NULL;
	size_t rqn = 0, cmdn = 0;
	int rc = 2;

	signal(SIGPIPE, SIG_IGN);
	alarm(90);
	if (ac > 2 && strcmp(av[1], "-b") == 0) {
		bind_addr = av[2];
		av += 2;
		ac -= 2;
	}
	if (ac < 3) {
		fprintf(stderr, "usage: hostile [-b ADDR] PORT MODE ARGS...\n");
		return 2;
	}
	port = (unsigned short)strtoul(av[1], NULL, 10);
	if (strcmp(av[2], "idle") == 0 && ac == 5)
		return idle(atoi(av[3]), atoi(av[4]));
	if (strcmp(av[2], "churn") == 0 && ac == 4)
		return churn(atol(av[3]));
	if (strcmp(av[2], "legit") == 0 && ac == 7)
		return legit(av + 3);
	if (strcmp(av[2], "loris") == 0 && ac == 6 &&
	    (rq = unhex(av[5], &rqn)) != NULL)
		rc = loris(atoi(av[3]), atoi(av[4]), rq, rqn);
	else if (strcmp(av[2], "huge") == 0 && ac == 4 &&
	    (rq = unhex(av[3], &rqn)) != NULL)
		rc = huge(rq, rqn);
	else if ((strcmp(av[2], "pdv") == 0 ||
		     strcmp(av[2], "endless") == 0) &&
	    ac == 6 && (rq = unhex(av[3], &rqn)) != NULL &&
	    (cmd = unhex(av[4], &cmdn)) != NULL)
		rc = av[2][0] == 'p'
		    ? stream(rq, rqn, cmd, cmdn, atoll(av[5]), 1)
		    : stream(rq, rqn, cmd, cmdn, atoll(av[5]) * 64, 16 * 1024);
	else
		fprintf(stderr, "hostile: bad arguments\n");
	free(rq); /* the sanitizer builds check the test tools too */
	free(cmd);
	return rc;
}
