/*
 * drain.h - writing an association's queued output from inside its own
 * callbacks, while pump_run is busy in ul_recv.
 *
 * A receiver answers each request from the callback that completes it.
 * When one read brings several requests (a sender with an asynchronous
 * operations window), the pump would write the responses only after the
 * whole buffer was handled; drain_now lets each one leave as soon as it
 * is queued.  drain_wait is the backpressure for a peer that does not
 * read its responses: the receiver waits for it instead of reading more
 * requests.
 *
 * Only queued bytes are written, never payload owed to the pump
 * (ul_pdata_external); p->bytes_out counts what was written.  A failing
 * socket is left to the pump's next write, which reports it.
 */
#ifndef CS_NET_DRAIN_H
#define CS_NET_DRAIN_H

#include <stddef.h>

struct pump;

/* Writes what the socket takes now without waiting; returns the number
 * of bytes written. */
size_t drain_now(struct pump *p);

/*
 * Waits up to timeout_ms for the socket to take more, then writes what
 * it takes.  Returns 0 (something may have been written), CS_E_TIMEOUT,
 * or CS_E_NET (the connection failed or was closed).
 */
int drain_wait(struct pump *p, int timeout_ms);

#endif
