/*
 * pump_splice.h - inside the pump (pump.c, pump_splice.c): large data
 * set payload spliced socket -> pipe -> the receiver's file (see
 * pump_set_unseen in pump.h).
 */
#ifndef CS_NET_PUMP_SPLICE_H
#define CS_NET_PUMP_SPLICE_H

#include <stddef.h>

struct pump;
struct cs_err;

/*
 * Splices the next payload when it may (pump_set_unseen) and tells the
 * engine.  Returns 1 when it took the turn of a read (bytes moved, none
 * waiting, or the transport closed), 0 when a read is to be done
 * instead, or a negative code as the pump's feed does.
 */
int pump_splice_in(struct pump *p, struct cs_err *err);
/* The most the next read should take: PUMP_RBUF, or just the headers
 * before the next payload that is to be spliced. */
size_t pump_splice_read_max(const struct pump *p);
/* After a read of got bytes of the max asked, fed to the engine. */
void pump_splice_after_read(struct pump *p, size_t max, size_t got);
void pump_splice_release(struct pump *p);
/* The transport closed, either side (pump.c). */
void pump_closed(struct pump *p);
/* After the engine took used bytes (ul_recv or ul_recv_unseen): counts
 * them, owes an ACK, and turns a failure outside Sta13 into err. */
int pump_fed(struct pump *p, ssize_t used, int was_sta13, struct cs_err *err);

#endif
