/*
 * net.h - the thin socket layer: TCP over IPv4/IPv6, nothing about DICOM.
 * Every function returns a file descriptor or 0 on success, or a
 * negative CS_E_* code with detail in err (strerror text included).
 * Sockets come back non-blocking, close-on-exec, with TCP_NODELAY set.
 */
#ifndef CS_NET_NET_H
#define CS_NET_NET_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct cs_err;

/*
 * Connects to host:port (any address family getaddrinfo returns, tried in
 * order) within timeout_ms (0 = the system's own limit).  Returns the fd,
 * or CS_E_NONAME (the name or service does not resolve: the resolver's
 * answer, not worth retrying), CS_E_UNREACHABLE (refused, no route, the
 * resolver failing for now), CS_E_TIMEOUT, or CS_E_RESOURCE (no socket
 * for want of descriptors or buffers: ours, not the peer's).
 */
int net_connect(
    const char *host, const char *port, int timeout_ms, struct cs_err *err);

/*
 * socket(2), close-on-exec, for a connection (net_connect's, libcurl's):
 * the fd, or -1 with errno kept and *code the CS_E_* a connection that
 * failed so is: CS_E_RESOURCE for want of descriptors or buffers
 * (EMFILE, ENFILE, ENOBUFS, ENOMEM: ours, not the peer's), else
 * CS_E_UNREACHABLE.  *code is 0 on success.
 */
int net_socket(int family, int type, int protocol, int *code);

/*
 * Listens on host:port; host NULL or "" means every interface (IPv6
 * dual-stack where available).  Port "0" picks a free port.  Returns the
 * listening fd or CS_E_NET.
 */
int
net_listen(const char *host, const char *port, int backlog, struct cs_err *err);

/* The largest accept queue a listener asks for (the kernel caps it at
 * net.core.somaxconn): a receiver that is busy or starved of CPU must
 * not drop a burst of connections, each of which would then wait for
 * the client to send its SYN again (after 1 s, then 2, 4...). */
#define NET_BACKLOG_MAX 4096

/* net_listen with flags: NET_REUSEPORT lets other sockets (other
 * processes) bind the same address and port (SO_REUSEPORT); the kernel
 * spreads new connections over them. */
#define NET_REUSEPORT 1u
int net_listen_flags(const char *host, const char *port, int backlog,
    unsigned flags, struct cs_err *err);

/* Takes over an inherited listening socket (systemd socket activation):
 * checks that fd listens for TCP, makes it non-blocking and
 * close-on-exec.  Returns fd or CS_E_NET. */
int net_adopt_listener(int fd, struct cs_err *err);

/* Accepts one connection (fd set up as above); CS_E_AGAIN if none is
 * waiting, CS_E_NET on failure. */
int net_accept(int lfd, struct cs_err *err);
/* Shuts both directions of connection fd (another thread blocked on it
 * wakes to its end); the fd stays open for its owner to close. */
void net_cut(int fd);

/*
 * Copies up to len bytes waiting on fd without consuming them
 * (MSG_PEEK).  Returns the count (0: the peer closed), CS_E_AGAIN if
 * nothing waits, or CS_E_NET.
 */
ssize_t net_peek(int fd, void *buf, size_t len);
/* Makes poll report fd readable only once n bytes wait (SO_RCVLOWAT;
 * an end or an error still wakes).  Returns 0 or CS_E_NET. */
int net_rcvlowat(int fd, size_t n);
/*
 * Last words on a connection about to be closed, never a wait: what the
 * peer sent is read and dropped (64 KiB at most), so that the close
 * sends no reset that would throw our bytes away at its end; then one
 * non-blocking send of the len bytes of data, and our side shut.
 */
void net_last_words(int fd, const void *data, size_t len);
/* 1 when the last failed net_accept ran out of descriptors (EMFILE,
 * ENFILE). */
int net_accept_emfile(void);
/* Waits up to timeout_ms for fd to be readable (a listener: a
 * connection waiting).  Returns 1, 0 on timeout (or a signal), or
 * CS_E_NET. */
int net_wait_readable(int fd, int timeout_ms);

/* Numeric address and port of the local (peer = 0) or remote (peer = 1)
 * end: "127.0.0.1" / "::1".  Returns 0 or CS_E_NET. */
int net_addr(int fd, int peer, char *host, size_t hostlen, unsigned *port);

/* Splits "[ADDR]:PORT", "ADDR:PORT" or "PORT" into host (may be empty)
 * and port; returns 0 or CS_E_INVAL. */
int net_split_hostport(
    const char *s, char *host, size_t hostlen, char *port, size_t portlen);

/* Whether host (a URL's: a name, a dotted IPv4 address or an IPv6 one,
 * bracketed or not) is this machine: 127.0.0.0/8 or 0.0.0.0/8 (a final
 * dot or not), ::1, ::, ::ffff:127.x.y.z, ::ffff:0.x.y.z,
 * "localhost" or a name under it (RFC 6761), without a lookup. */
int net_host_is_loopback(const char *host);

/* Whether host is loopback (net_host_is_loopback) or a name the hosts
 * file (/etc/hosts) gives, in any case, only loopback addresses: this
 * machine's own name as Debian writes it (127.0.1.1), a container's
 * name.  The file alone is read, never a name server; a name it lacks,
 * or gives another address too, is not. */
int net_host_is_local(const char *host);
/* The same with the hosts file at path (a regular file: anything else
 * is read as none; a line over 64 KiB is passed over). */
int net_host_is_local_in(const char *host, const char *path);

/*
 * Asks the kernel to acknowledge received data at once instead of
 * delaying the ACK (TCP_QUICKACK; it lapses, so call it after each read).
 * A sender with Nagle's algorithm on then never waits ~40 ms for our ACK
 * between the small writes of one message.  Returns 0 or CS_E_NET.
 */
int net_quickack(int fd);

/* Monotonic milliseconds: the clock of the socket layer and the tools. */
uint64_t net_now_ms(void);
/* Sleeps ms milliseconds (signals do not cut it short). */
void net_sleep_ms(uint64_t ms);
/*
 * Starts fn(arg) on a detached thread (stack bytes of stack, 0 for the
 * default) with every signal blocked: a tool's handlers then run only on
 * its own threads, never on one that may outlive what they touch.
 * Returns 0 or an errno value.
 */
int net_thread_detached(void *(*fn)(void *), void *arg, size_t stack);
/* The same for a thread to be joined, default attributes. */
int net_thread_start(pthread_t *th, void *(*fn)(void *), void *arg);
/* The same clock in microseconds, for timings shown to people. */
uint64_t net_now_us(void);
/*
 * *ts: the monotonic clock now plus ms milliseconds, a deadline for
 * pthread_cond_timedwait on a condition variable net_cond_init made.
 * A negative ms (a time left computed after the deadline passed) is
 * now: the wait returns at once, never ~584 years later.
 */
void net_deadline_ms(struct timespec *ts, int64_t ms);
/* Initializes cv on the monotonic clock (net_deadline_ms's). */
void net_cond_init(pthread_cond_t *cv);
/* *ts: a duration of us microseconds (nanosleep's argument). */
void net_duration_us(struct timespec *ts, uint64_t us);

#endif
