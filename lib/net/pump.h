/*
 * pump.h - the one loop that knows both a socket and an association: it
 * moves bytes between an fd and a struct ul_assoc until the caller's
 * condition holds, the association ends, or a deadline passes.
 *
 * Payload promised with ul_pdata_external() is written from a file
 * (pump_set_payload_file) with sendfile(2): the dataset of a file goes
 * from the page cache to the socket without a copy in user space.
 */
#ifndef CS_NET_PUMP_H
#define CS_NET_PUMP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct ul_assoc;
struct cs_err;

#define PUMP_RBUF (256u * 1024u)

struct pump {
	int fd;            /* connected, non-blocking socket (owned by caller) */
	struct ul_assoc *a;
	int payload_fd;    /* source of owed payload, or -1 */
	off_t payload_off; /* where the next payload byte comes from */
	int closed;        /* transport closed (either side) */
	uint8_t *rbuf;
	uint64_t bytes_in, bytes_out;
	/*
	 * Acknowledge every read at once (TCP_QUICKACK) while we have nothing
	 * to send: a peer with Nagle's algorithm on that writes a response in
	 * two pieces (DCMTK's storescp) would otherwise wait for our delayed
	 * ACK, ~40 ms per message.
	 */
	int quickack;
};

/* Sets up p over fd and a; returns 0 or CS_E_NOMEM. */
int pump_init(struct pump *p, int fd, struct ul_assoc *a);
/* Frees the buffer (does not close fd nor free a). */
void pump_release(struct pump *p);
/* The file (and offset) that the next owed payload bytes come from. */
void pump_set_payload_file(struct pump *p, int fd, off_t offset);

/*
 * Runs until done(ctx) returns non-zero (checked after every step; done
 * may be NULL to run until the association ends), the association is
 * over (Sta1 with the transport closed), or timeout_ms passes without
 * done (0 = no limit; the ARTIM timer is separate and always honoured).
 * Returns 0 when done held, CS_E_CLOSED when the association ended
 * first, CS_E_TIMEOUT, CS_E_NET, CS_E_IO (payload file), or the negative
 * code an ul_* call returned.  Detail in err.
 */
int pump_run(struct pump *p, int (*done)(void *ctx), void *ctx,
    int timeout_ms, struct cs_err *err);

/* Writes all queued output (and owed payload), within timeout_ms. */
int pump_flush(struct pump *p, int timeout_ms, struct cs_err *err);

#endif
