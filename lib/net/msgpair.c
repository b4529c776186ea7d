/* msgpair.c - local message sockets (see msgpair.h). */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "net/msgpair.h"
#include "core/banned.h"

int
net_msgpair(int sv[2])
{
	return socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv);
}

int
net_msg_send(int fd, const void *msg, size_t len)
{
	ssize_t n;

	do
		n = send(fd, msg, len, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	return n == (ssize_t)len ? 0 : -1;
}

ssize_t
net_msg_recv(int fd, void *buf, size_t size)
{
	ssize_t n;

	do
		n = recv(fd, buf, size, 0);
	while (n < 0 && errno == EINTR);
	return n;
}

/* One byte with room for one descriptor beside it: a pass either way. */
struct fd_msg {
	_Alignas(struct cmsghdr) char ctl[CMSG_SPACE(sizeof(int))];
	char one;
	struct iovec iov;
	struct msghdr m;
};

static void
fd_msg_init(struct fd_msg *f)
{
	memset(&f->ctl, 0, sizeof(f->ctl));
	f->one = 'F';
	f->iov = (struct iovec){ &f->one, 1 };
	f->m = (struct msghdr){ .msg_iov = &f->iov,
		.msg_iovlen = 1,
		.msg_control = f->ctl,
		.msg_controllen = sizeof(f->ctl) };
}

int
net_msg_send_fd(int fd, int pass)
{
	struct fd_msg f;
	struct cmsghdr *c;
	ssize_t n;

	fd_msg_init(&f);
	c = CMSG_FIRSTHDR(&f.m);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &pass, sizeof(int));
	do
		n = sendmsg(fd, &f.m, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	return n == 1 ? 0 : -1;
}

ssize_t
net_msg_recv_fd(int fd, int *got)
{
	struct fd_msg f;
	struct cmsghdr *c;
	ssize_t n;

	*got = -1;
	fd_msg_init(&f);
	do
		n = recvmsg(fd, &f.m, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n <= 0)
		return n;
	for (c = CMSG_FIRSTHDR(&f.m); c != NULL; c = CMSG_NXTHDR(&f.m, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS &&
		    c->cmsg_len == CMSG_LEN(sizeof(int)))
			memcpy(got, CMSG_DATA(c), sizeof(int));
	return n;
}
