/*
 * msgpair.h - a connected pair of local message sockets
 * (SOCK_SEQPACKET): each send is one message, read whole by one recv.
 * For talking to a helper process (lib/cli/hook_sep.c).
 */
#ifndef CS_NET_MSGPAIR_H
#define CS_NET_MSGPAIR_H

#include <stddef.h>
#include <sys/types.h>

/* Both ends close-on-exec into sv; 0, or -1 with errno set. */
int net_msgpair(int sv[2]);

/* Sends one message; 0, or -1 with errno set (EPIPE: the other end
 * has gone; no SIGPIPE). */
int net_msg_send(int fd, const void *msg, size_t len);

/* Receives one message (cut to size); its length, 0 when the other
 * end has gone, -1 with errno set.  EINTR is retried. */
ssize_t net_msg_recv(int fd, void *buf, size_t size);

/* Sends descriptor pass (still ours to close) as a one-byte message;
 * 0, or -1 with errno set. */
int net_msg_send_fd(int fd, int pass);

/* Receives a message sent by net_msg_send_fd: the descriptor
 * (close-on-exec) in *got, -1 when the message carried none; returns
 * as net_msg_recv. */
ssize_t net_msg_recv_fd(int fd, int *got);

#endif
