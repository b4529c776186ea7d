/* transport.c - the plain socket under the pump, or TLS (see transport.h). */
#include <errno.h>
#include <poll.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net/tls_io.h"
#include "net/transport.h"
#include "core/banned.h"

/* File bytes per SSL_write over TLS: 16 records of 16 KiB, read into a
 * buffer of the thread's own (lanes are threads). */
#define TLS_FILE_CHUNK (256u * 1024u)

void
transport_plain(struct transport *t, int fd)
{
	t->fd = fd;
	t->tls = NULL;
	t->tls_wants = 0;
}

ssize_t
transport_send(struct transport *t, const void *buf, size_t n, int more)
{
	if (t->tls != NULL)
		return tls_io_send(t, buf, n);
	return send(t->fd, buf, n, MSG_NOSIGNAL | (more ? MSG_MORE : 0));
}

ssize_t
transport_recv(struct transport *t, void *buf, size_t n)
{
	if (t->tls != NULL)
		return tls_io_recv(t, buf, n);
	return recv(t->fd, buf, n, 0);
}

/*
 * Over TLS the file's bytes are read into a buffer and encrypted from
 * there: one copy in, one encryption pass.  A blocked SSL_write is
 * retried with the same bytes read again (the pump asks for the same
 * offset and length; SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER lets them be
 * in another buffer).
 */
ssize_t
transport_sendfile(struct transport *t, int fd, off_t *off, size_t n)
{
	static _Thread_local uint8_t buf[TLS_FILE_CHUNK];
	ssize_t r, w;

	if (t->tls == NULL)
		return sendfile(t->fd, fd, off, n);
	if (n > sizeof(buf))
		n = sizeof(buf);
	do
		r = pread(fd, buf, n, *off);
	while (r < 0 && errno == EINTR);
	if (r <= 0)
		return r;
	w = tls_io_send(t, buf, (size_t)r);
	if (w > 0)
		*off += w;
	return w;
}

int
transport_is_plain(const struct transport *t)
{
	return t->tls == NULL;
}

size_t
transport_pending(const struct transport *t)
{
	return t->tls != NULL ? tls_io_pending(t) : 0;
}

short
transport_events(const struct transport *t, short want)
{
	if (t->tls != NULL && t->tls_wants != 0 && want != 0)
		return (short)(want | t->tls_wants);
	return want;
}

void
transport_shutdown_wr(struct transport *t)
{
	if (t->tls != NULL)
		tls_io_close_notify(t);
	shutdown(t->fd, SHUT_WR);
}

void
transport_shutdown(struct transport *t)
{
	if (t->tls != NULL)
		tls_io_close_notify(t);
	shutdown(t->fd, SHUT_RDWR);
}

void
transport_release(struct transport *t)
{
	if (t->tls != NULL)
		tls_io_free(t);
	t->tls = NULL;
}
