/* net.c - sockets: connect with a timeout, listen, accept, addresses. */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "cstore/cstore.h"
#include "net/net.h"
#include "core/banned.h"

/* Large buffers keep a fast loopback or LAN link busy with big PDUs. */
#define NET_SOCKBUF (4 * 1024 * 1024)
/*
 * At most this much written but not yet sent waits in the socket: the
 * rest of a large data set stays in the file until the peer's window
 * opens (what is in flight is still the window's to decide).  Without
 * it the 4 MiB buffer fills with bytes copied long before they can go,
 * out of the caches when the receiver copies them again, and on
 * loopback that backlog is sent from the receiver's window updates, on
 * the busier side's CPU (docs/performance.md, "at most 512 KiB unsent").
 */
#define NET_NOTSENT_LOWAT (512 * 1024)

void
net_sleep_ms(uint64_t ms)
{
	struct timespec ts = { (time_t)(ms / 1000),
		(long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* pthread_create with every signal blocked (the new thread inherits
 * the mask) but the synchronous fault signals: one of those raised while
 * blocked kills the process whatever its handler (a transcoder's input
 * cut short under its mapping is SIGBUS, lib/dcmfile/mapguard.h, on the
 * workers and lanes too); attr may be NULL. */
static int
thread_masked(
    pthread_t *th, const pthread_attr_t *attr, void *(*fn)(void *), void *arg)
{
	static const int faults[] = { SIGBUS, SIGSEGV, SIGFPE, SIGILL, SIGTRAP,
		SIGSYS };
	sigset_t all, old;
	size_t k;
	int rc;

	sigfillset(&all);
	for (k = 0; k < sizeof(faults) / sizeof(faults[0]); k++)
		sigdelset(&all, faults[k]);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	rc = pthread_create(th, attr, fn, arg);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return rc;
}

int
net_thread_detached(void *(*fn)(void *), void *arg, size_t stack)
{
	pthread_attr_t attr;
	pthread_t th;
	int rc;

	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	if (stack > 0)
		pthread_attr_setstacksize(&attr, stack);
	rc = thread_masked(&th, &attr, fn, arg);
	pthread_attr_destroy(&attr);
	return rc;
}

int
net_thread_start(pthread_t *th, void *(*fn)(void *), void *arg)
{
	return thread_masked(th, NULL, fn, arg);
}

uint64_t
net_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

uint64_t
net_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

void
net_duration_us(struct timespec *ts, uint64_t us)
{
	ts->tv_sec = (time_t)(us / 1000000u);
	ts->tv_nsec = (long)(us % 1000000u) * 1000L;
}

void
net_deadline_ms(struct timespec *ts, int64_t ms)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	if (ms < 0)
		ms = 0;
	ts->tv_sec += (time_t)(ms / 1000);
	ts->tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

void
net_cond_init(pthread_cond_t *cv)
{
	pthread_condattr_t ca;

	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(cv, &ca);
	pthread_condattr_destroy(&ca);
}

static void
tune(int fd)
{
	int one = 1, size = NET_SOCKBUF, lowat = NET_NOTSENT_LOWAT;

	/* Every PDU goes out in one write; Nagle would only delay it. */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	setsockopt(fd, IPPROTO_TCP, TCP_NOTSENT_LOWAT, &lowat, sizeof(lowat));
}

static int
wait_connected(int fd, int timeout_ms, const char *host, const char *port,
    struct cs_err *err)
{
	struct pollfd pfd = { .fd = fd, .events = POLLOUT };
	int rc, soerr = 0;
	socklen_t len = sizeof(soerr);

	do
		rc = poll(&pfd, 1, timeout_ms > 0 ? timeout_ms : -1);
	while (rc < 0 && errno == EINTR);
	if (rc == 0)
		return cs_err_set(err, CS_E_TIMEOUT,
		    "cannot connect to '%s' port %s: timed out after %d ms",
		    host, port, timeout_ms);
	if (rc < 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) < 0)
		soerr = errno;
	if (soerr != 0)
		return cs_err_set(err, CS_E_UNREACHABLE,
		    "cannot connect to '%s' port %s: %s", host, port,
		    strerror(soerr));
	return 0;
}

int
net_socket(int family, int type, int protocol, int *code)
{
	int fd = socket(family, type | SOCK_CLOEXEC, protocol), e;

	*code = 0;
	if (fd < 0) {
		e = errno;
		/* out of descriptors or buffers: ours, not the peer */
		*code =
		    e == EMFILE || e == ENFILE || e == ENOBUFS || e == ENOMEM
		    ? CS_E_RESOURCE
		    : CS_E_UNREACHABLE;
		errno = e;
	}
	return fd;
}

int
net_connect(
    const char *host, const char *port, int timeout_ms, struct cs_err *err)
{
	struct addrinfo hints, *res, *ai;
	struct cs_err last = { 0, "" };
	int fd, rc;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	rc = getaddrinfo(host, port, &hints, &res);
	if (rc != 0)
		/* EAI_AGAIN is the resolver failing for now, not an answer */
		return cs_err_set(err,
		    rc == EAI_AGAIN || rc == EAI_SYSTEM || rc == EAI_MEMORY
			? CS_E_UNREACHABLE
			: CS_E_NONAME,
		    "cannot resolve '%s' port %s: %s", host, port,
		    gai_strerror(rc));
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = net_socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK,
		    ai->ai_protocol, &rc);
		if (fd < 0) {
			cs_err_clear(&last);
			cs_err_set(&last, rc,
			    "cannot open a socket to connect to '%s' port %s: %s",
			    host, port, strerror(errno));
			continue;
		}
		tune(fd);
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0 ||
		    errno == EINPROGRESS) {
			cs_err_clear(&last);
			if (wait_connected(fd, timeout_ms, host, port, &last) ==
			    0) {
				freeaddrinfo(res);
				return fd;
			}
		} else {
			cs_err_clear(&last);
			cs_err_set(&last, CS_E_UNREACHABLE,
			    "cannot connect to '%s' port %s: %s", host, port,
			    strerror(errno));
		}
		close(fd);
	}
	freeaddrinfo(res);
	if (last.code == 0)
		cs_err_set(&last, CS_E_UNREACHABLE,
		    "cannot connect to '%s' port %s: no address", host, port);
	return cs_err_set(err, last.code, "%s", last.msg);
}

int
net_listen(const char *host, const char *port, int backlog, struct cs_err *err)
{
	return net_listen_flags(host, port, backlog, 0, err);
}

int
net_listen_flags(const char *host, const char *port, int backlog,
    unsigned flags, struct cs_err *err)
{
	struct addrinfo hints, *res, *ai;
	int fd = -1, rc, one = 1, saved = 0;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE;
	if (host != NULL && *host == '\0')
		host = NULL;
	rc = getaddrinfo(host, port, &hints, &res);
	if (rc != 0)
		return cs_err_set(err, CS_E_NET,
		    "cannot listen on '%s' port %s: %s", host ? host : "*",
		    port, gai_strerror(rc));
	/* With no host, prefer the IPv6 wildcard: it is dual-stack on Linux. */
	for (int pass = 0; pass < 2 && fd < 0; pass++) {
		for (ai = res; ai != NULL; ai = ai->ai_next) {
			if (host == NULL && pass == 0 &&
			    ai->ai_family != AF_INET6)
				continue;
			fd = socket(ai->ai_family,
			    ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
			    ai->ai_protocol);
			if (fd < 0) {
				saved = errno;
				continue;
			}
			setsockopt(
			    fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
			if ((flags & NET_REUSEPORT) &&
			    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one,
				sizeof(one)) != 0) {
				saved = errno;
				close(fd);
				fd = -1;
				continue;
			}
			if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 &&
			    listen(fd, backlog) == 0)
				break;
			saved = errno;
			close(fd);
			fd = -1;
		}
	}
	freeaddrinfo(res);
	if (fd < 0)
		return cs_err_set(err, CS_E_NET,
		    "cannot listen on '%s' port %s: %s", host ? host : "*",
		    port, strerror(saved));
	return fd;
}

int
net_adopt_listener(int fd, struct cs_err *err)
{
	int on = 0, type = 0, fl;
	socklen_t len = sizeof(on), tlen = sizeof(type);

	if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &on, &len) != 0 ||
	    getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tlen) != 0)
		return cs_err_set(err, CS_E_NET,
		    "inherited descriptor %d: not a socket: %s", fd,
		    strerror(errno));
	if (!on || type != SOCK_STREAM)
		return cs_err_set(err, CS_E_NET,
		    "inherited descriptor %d: not a listening TCP socket", fd);
	fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) != 0 ||
	    fcntl(fd, F_SETFD, FD_CLOEXEC) != 0)
		return cs_err_set(err, CS_E_NET, "inherited descriptor %d: %s",
		    fd, strerror(errno));
	return fd;
}

int
net_quickack(int fd)
{
	int one = 1;

	return setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof(one)) == 0
	    ? 0
	    : CS_E_NET;
}

static _Thread_local int accept_emfile;

int
net_accept_emfile(void)
{
	return accept_emfile;
}

int
net_accept(int lfd, struct cs_err *err)
{
	int fd;

	do
		fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	while (fd < 0 && errno == EINTR);
	accept_emfile = fd < 0 && (errno == EMFILE || errno == ENFILE);
	if (fd < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK ||
		    errno == ECONNABORTED)
			return CS_E_AGAIN;
		return cs_err_set(
		    err, CS_E_NET, "cannot accept: %s", strerror(errno));
	}
	tune(fd);
	return fd;
}

void
net_cut(int fd)
{
	shutdown(fd, SHUT_RDWR);
}

ssize_t
net_peek(int fd, void *buf, size_t len)
{
	ssize_t r;

	do
		r = recv(fd, buf, len, MSG_PEEK | MSG_DONTWAIT);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return errno == EAGAIN || errno == EWOULDBLOCK ? CS_E_AGAIN
							       : CS_E_NET;
	return r;
}

void
net_last_words(int fd, const void *data, size_t len)
{
	char junk[4096];

	for (int k = 0;
	     k < 16 && recv(fd, junk, sizeof(junk), MSG_DONTWAIT) > 0; k++)
		;
	(void)send(fd, data, len, MSG_DONTWAIT | MSG_NOSIGNAL);
	shutdown(fd, SHUT_WR);
}

int
net_rcvlowat(int fd, size_t n)
{
	int v = n > 0 && n < (size_t)INT32_MAX ? (int)n : 1;

	return setsockopt(fd, SOL_SOCKET, SO_RCVLOWAT, &v, sizeof(v)) == 0
	    ? 0
	    : CS_E_NET;
}

int
net_wait_readable(int fd, int timeout_ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	int rc = poll(&pfd, 1, timeout_ms);

	if (rc < 0)
		return errno == EINTR ? 0 : CS_E_NET;
	return rc > 0;
}

int
net_addr(int fd, int peer, char *host, size_t hostlen, unsigned *port)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	char serv[16];
	int rc;

	rc = peer ? getpeername(fd, (struct sockaddr *)&ss, &len)
		  : getsockname(fd, (struct sockaddr *)&ss, &len);
	if (rc != 0)
		return CS_E_NET;
	if (getnameinfo((struct sockaddr *)&ss, len, host, (socklen_t)hostlen,
		serv, sizeof(serv), NI_NUMERICHOST | NI_NUMERICSERV) != 0)
		return CS_E_NET;
	/* Show an IPv4 client of a dual-stack socket as plain IPv4. */
	if (strncmp(host, "::ffff:", 7) == 0 && strchr(host + 7, '.'))
		memmove(host, host + 7, strlen(host + 7) + 1);
	if (port != NULL) {
		unsigned long p = strtoul(serv, NULL, 10);
		*port = (unsigned)p;
	}
	return 0;
}

int
net_split_hostport(
    const char *s, char *host, size_t hostlen, char *port, size_t portlen)
{
	const char *colon;
	size_t hl;

	if (s == NULL || *s == '\0')
		return CS_E_INVAL;
	if (s[0] == '[') {
		const char *close_br = strchr(s, ']');
		if (close_br == NULL || close_br[1] != ':')
			return CS_E_INVAL;
		hl = (size_t)(close_br - s - 1);
		colon = close_br + 1;
		s++;
	} else {
		colon = strrchr(s, ':');
		if (colon != NULL && strchr(s, ':') != colon)
			return CS_E_INVAL; /* bare IPv6 needs brackets */
		hl = colon ? (size_t)(colon - s) : 0;
	}
	if (hl >= hostlen)
		return CS_E_INVAL;
	memcpy(host, s, hl);
	host[hl] = '\0';
	s = colon ? colon + 1 : s;
	if (*s == '\0' || strlen(s) >= portlen)
		return CS_E_INVAL;
	snprintf(port, portlen, "%s", s);
	return 0;
}
