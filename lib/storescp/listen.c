/*
 * listen.c - the receiver's listening socket (proxy.h): bound here,
 * shared with other processes (SO_REUSEPORT), or inherited from systemd.
 */
#include "cstore/cstore.h"
#include "cstore/storescp.h"
#include "net/net.h"
#include "storescp/proxy.h"
#include "storescp/scp.h"
#include "core/banned.h"

int
scp_listen(struct storescp *s, struct cs_err *err)
{
	int fd;

	if (s->cfg.listen_fd != STORESCP_NO_LISTEN_FD)
		fd = net_adopt_listener(s->cfg.listen_fd, err);
	else
		fd = net_listen_flags(s->cfg.host,
		    s->cfg.port ? s->cfg.port : "0", NET_BACKLOG_MAX,
		    s->cfg.reuse_port ? NET_REUSEPORT : 0, err);
	if (fd < 0)
		return fd;
	s->lfd = fd;
	return 0;
}
