/*
 * transport.h - the byte stream under the pump: a plain TCP socket or a
 * TLS session over one (OpenSSL 3, lib/net/tls.c).  The pump reads and
 * writes only through these calls, so nothing above lib/net knows which
 * it has.  A plain transport keeps sendfile(2); a TLS one encrypts each
 * byte once (payload read from the file into a buffer, then SSL_write).
 *
 * The calls behave like their socket counterparts on a non-blocking fd:
 * they return a byte count, or -1 with errno set (EAGAIN: try again when
 * transport_events() says; EPIPE/ECONNRESET: the peer is gone; EPROTO: a
 * TLS failure, detail in transport_error()).
 */
#ifndef CS_NET_TRANSPORT_H
#define CS_NET_TRANSPORT_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct cs_err;
struct cstore_tls;
struct tls_conn; /* tls.c */
struct tls_ctx;  /* tls.c */

struct transport {
	int fd;               /* connected non-blocking socket (caller's) */
	struct tls_conn *tls; /* NULL: plain */
	/*
	 * What the last TLS call that would block waits for (POLLIN or
	 * POLLOUT): TLS may need to read in order to write and the other
	 * way round.  0 for plain.
	 */
	short tls_wants;
};

/* A plain transport over fd.  Nothing to release. */
void transport_plain(struct transport *t, int fd);

/* Writes up to n bytes; more: more follows at once (MSG_MORE; TLS keeps
 * the records in its buffer until a send without it). */
ssize_t
transport_send(struct transport *t, const void *buf, size_t n, int more);
/* Reads up to n bytes; 0 = the peer closed (TLS: close_notify or EOF). */
ssize_t transport_recv(struct transport *t, void *buf, size_t n);
/*
 * Writes up to n bytes of file fd from *off (advanced by what was
 * written): sendfile(2) when plain, pread + SSL_write over TLS.  0 = the
 * file ended.
 */
ssize_t transport_sendfile(struct transport *t, int fd, off_t *off, size_t n);
/*
 * TLS buffers the records of a send and writes them at its end (or at
 * the next send when the socket is full): transport_flush writes what
 * is left, 0 when nothing is (always for plain), else -1 (EAGAIN: wait
 * for POLLOUT).  transport_unsent says how many bytes wait.
 */
ssize_t transport_flush(struct transport *t);
size_t transport_unsent(const struct transport *t);
/* Non-zero if the stream can take send(2) from a file mapping directly
 * (plain); a TLS transport never reads a mapping (a shrinking file would
 * be SIGBUS in our process, not EFAULT from the kernel). */
int transport_is_plain(const struct transport *t);
/* Non-zero when TLS holds input already read from the socket that a
 * transport_recv would return now (poll(2) does not see it). */
size_t transport_pending(const struct transport *t);
/* The length of a TLS write that would have blocked: the next send
 * must offer at least that many bytes (OpenSSL retries it as is); 0
 * for a plain socket or when nothing is pending. */
size_t transport_write_owed(const struct transport *t);
/*
 * The poll(2) events to wait for, given what the caller wants (POLLIN,
 * POLLOUT): a TLS session blocked in a read that needs a write (or the
 * reverse) asks for that instead.
 */
short transport_events(const struct transport *t, short want);
/* No more writes: TLS sends close_notify, then the socket's write side
 * is shut (SHUT_WR).  Reading goes on. */
void transport_shutdown_wr(struct transport *t);
/* Both directions shut (the fd stays open: the caller closes it). */
void transport_shutdown(struct transport *t);
/* Frees the TLS session, if any (not the fd). */
void transport_release(struct transport *t);

/*
 * TLS.  A context holds the profile, the certificates and the trust
 * store; connections take a reference, so that a new context (dcmrecv's
 * SIGHUP) can replace it without ending them.
 */
/* Builds a client (server = 0) or server context from cfg; NULL with
 * err set (CS_E_TLS: unreadable or mismatched certificate/key, bad
 * CA file). */
struct tls_ctx *
tls_ctx_new(const struct cstore_tls *cfg, int server, struct cs_err *err);
/* One more reference to c (threads sharing it); returns c. */
struct tls_ctx *tls_ctx_ref(struct tls_ctx *c);
/* Drops the caller's reference (NULL-safe); the last one frees. */
void tls_ctx_free(struct tls_ctx *c);
/*
 * A client context shared by the connections of one run to one server
 * (dcmsend's lanes and reconnections): built at the first
 * tls_share_get, then the same one, so the certificate files and trust
 * store are read once and a handshake resumes the session of an earlier
 * one (TLS 1.3 tickets).  Only for connections to the same server: a
 * resumed session skips the check of its certificate, done the first
 * time.
 */
struct tls_share {
	pthread_mutex_t lock;
	struct tls_ctx *ctx; /* NULL until built */
};
void tls_share_init(struct tls_share *sh);
/* Drops the share's reference (connections may hold theirs). */
void tls_share_release(struct tls_share *sh);
/* A reference to the run's context (tls_ctx_free it), built from cfg
 * at the first call; NULL with err set as tls_ctx_new. */
struct tls_ctx *tls_share_get(
    struct tls_share *sh, const struct cstore_tls *cfg, struct cs_err *err);
/*
 * Runs the TLS handshake over t (a plain transport on a connected
 * socket) within timeout_ms; on success t is a TLS transport.  Client:
 * name is the name to check the certificate against (NULL: none) and to
 * send as SNI.  Returns 0, or CS_E_TLS / CS_E_TIMEOUT / CS_E_CLOSED with
 * a one-line reason naming the problem ("certificate has expired",
 * "unknown CA", "no client certificate", the alert received...).
 */
int tls_handshake(struct transport *t, struct tls_ctx *c, const char *name,
    int timeout_ms, struct cs_err *err);
/* The peer certificate's subject as an RFC 2253 string ("" if none). */
const char *transport_peer_subject(const struct transport *t);
/* The negotiated protocol and cipher, e.g. "TLSv1.3
 * TLS_AES_256_GCM_SHA384" ("" when plain). */
const char *transport_tls_summary(const struct transport *t);
/* The last TLS failure of a transport call that returned EPROTO. */
const char *transport_error(const struct transport *t);

#endif
