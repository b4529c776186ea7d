/*
 * proxy_recv.c - the PROXY protocol header off a socket (proxy_recv.h).
 * Reading exactly what the parser asks for leaves the DICOM bytes that
 * follow in the socket for the association's own reader.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>

#include "cstore/cstore.h"
#include "net/net.h"
#include "net/proxy_recv.h"
#include "core/banned.h"

int
net_proxy_recv(int fd, struct proxy_rx *rx, int wait_ms, struct proxy_hdr *h,
    struct cs_err *err)
{
	uint64_t deadline =
	    net_now_ms() + (uint64_t)(wait_ms > 0 ? wait_ms : 0);

	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		size_t need;
		ssize_t n;
		uint64_t now;
		int rc;

		rc = proxy_parse(rx->buf, rx->have, h, &need, err);
		if (rc != 0)
			return rc;
		n = recv(fd, rx->buf + rx->have, need - rx->have, 0);
		if (n > 0) {
			rx->have += (size_t)n;
			continue;
		}
		if (n == 0)
			return cs_err_set(err, CS_E_CLOSED,
			    "the connection closed after %zu bytes of the PROXY header",
			    rx->have);
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return cs_err_set(
			    err, CS_E_NET, "recv: %s", strerror(errno));
		now = net_now_ms();
		if (now >= deadline)
			return CS_E_TIMEOUT;
		rc = poll(&pfd, 1, (int)(deadline - now));
		if (rc < 0 && errno != EINTR)
			return cs_err_set(
			    err, CS_E_NET, "poll: %s", strerror(errno));
	}
}

int
net_ip_text(const struct ip_addr *a, char *buf, size_t n)
{
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff,
		0xff };

	if (a->family == 6 && memcmp(a->b, mapped, 12) == 0)
		return inet_ntop(AF_INET, a->b + 12, buf, (socklen_t)n)
		    ? 0
		    : CS_E_INVAL;
	if (a->family != 4 && a->family != 6)
		return CS_E_INVAL;
	return inet_ntop(
		   a->family == 4 ? AF_INET : AF_INET6, a->b, buf, (socklen_t)n)
	    ? 0
	    : CS_E_INVAL;
}
