/* drain.c - write queued output from inside callbacks (see drain.h). */
#include <errno.h>
#include <poll.h>
#include <sys/socket.h>

#include "cstore/cstore.h"
#include "core/ul_assoc.h"
#include "net/drain.h"
#include "net/pump.h"
#include "core/banned.h"

size_t
drain_now(struct pump *p)
{
	size_t total = 0;

	while (!p->closed) {
		const uint8_t *out;
		size_t n = ul_out_peek(p->a, &out);
		ssize_t w;

		if (n == 0)
			break;
		w = send(p->fd, out, n, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break; /* full, or failed: the pump finds out */
		ul_out_consume(p->a, (size_t)w);
		p->bytes_out += (uint64_t)w;
		total += (size_t)w;
	}
	return total;
}

int
drain_wait(struct pump *p, int timeout_ms)
{
	struct pollfd pfd = { .fd = p->fd, .events = POLLOUT };
	int rc;

	if (p->closed)
		return CS_E_NET;
	rc = poll(&pfd, 1, timeout_ms);
	if (rc < 0 && errno != EINTR)
		return CS_E_NET;
	if (rc <= 0)
		return rc == 0 ? CS_E_TIMEOUT : 0;
	if (pfd.revents & (POLLERR | POLLHUP | POLLNVAL))
		return CS_E_NET;
	drain_now(p);
	return 0;
}
