/*
 * tls_io.h - the TLS side of struct transport (tls.c), called by
 * transport.c when t->tls is set.  Same contract as the transport_*
 * calls of transport.h.
 */
#ifndef CS_NET_TLS_IO_H
#define CS_NET_TLS_IO_H

#include <stddef.h>
#include <sys/types.h>

struct transport;

/* more: more follows at once; the records stay in the buffer until a
 * send without it. */
ssize_t tls_io_send(struct transport *t, const void *buf, size_t n, int more);
/* Writes what the buffer holds: 0 when empty, else -1 (EAGAIN...). */
ssize_t tls_io_flush(struct transport *t);
/* Bytes of records in the buffer, not yet written to the socket. */
size_t tls_io_unsent(const struct transport *t);
/* transport_sendfile over TLS: the file's bytes read into a buffer of
 * the session, encrypted from there. */
ssize_t tls_io_send_file(struct transport *t, int fd, off_t *off, size_t n);
ssize_t tls_io_recv(struct transport *t, void *buf, size_t n);
size_t tls_io_pending(const struct transport *t);
size_t tls_io_write_owed(const struct transport *t);
/* Sends close_notify (best effort, never waits). */
void tls_io_close_notify(struct transport *t);
void tls_io_free(struct transport *t);

#endif
