/* transport.c - the plain socket under the pump, or TLS (see transport.h). */
#include <errno.h>
#include <poll.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net/tls_io.h"
#include "net/transport.h"
#include "core/banned.h"

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
		return tls_io_send(t, buf, n, more);
	return send(t->fd, buf, n, MSG_NOSIGNAL | (more ? MSG_MORE : 0));
}

ssize_t
transport_recv(struct transport *t, void *buf, size_t n)
{
	if (t->tls != NULL)
		return tls_io_recv(t, buf, n);
	return recv(t->fd, buf, n, 0);
}

/* Over TLS: pread into the session's buffer, then SSL_write (tls.c). */
ssize_t
transport_sendfile(struct transport *t, int fd, off_t *off, size_t n)
{
	if (t->tls == NULL)
		return sendfile(t->fd, fd, off, n);
	return tls_io_send_file(t, fd, off, n);
}

ssize_t
transport_flush(struct transport *t)
{
	return t->tls != NULL ? tls_io_flush(t) : 0;
}

size_t
transport_unsent(const struct transport *t)
{
	return t->tls != NULL ? tls_io_unsent(t) : 0;
}

int
transport_is_plain(const struct transport *t)
{
	return t->tls == NULL;
}

size_t
transport_write_owed(const struct transport *t)
{
	return t->tls != NULL ? tls_io_write_owed(t) : 0;
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
