/*
 * pump.h - the one loop that knows both a socket and an association: it
 * moves bytes between an fd and a struct ul_assoc until the caller's
 * condition holds, the association ends, or a deadline passes.
 *
 * Payload promised with ul_pdata_external() is written from a file
 * (pump_set_payload_file): small data sets read into a buffer and sent
 * with their PDV header in one write, larger ones by sendfile(2), and
 * large ones by send(2) from a read-only mapping of a few MB of the file
 * (see pump.c for why).  Over TLS (pump_init_transport
 * after tls_handshake) the file is read into a buffer and encrypted
 * from there (transport.h); nothing above the pump knows which.
 */
#ifndef CS_NET_PUMP_H
#define CS_NET_PUMP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "net/transport.h"

struct ul_assoc;
struct cs_err;
struct net_rate;

/*
 * The receive buffer: 1 MiB takes a few PDUs of a large data set per
 * recv(2), ~15% less receiver CPU than 256 KiB on loopback.
 */
#define PUMP_RBUF (1024u * 1024u)

/*
 * Unseen payload (pump_set_unseen): of the next n bytes of a data set
 * PDV on pcid (ul_in_opaque), how many the receiver takes from the pipe
 * fd, unseen, when the engine is told of them (on_pdv with data NULL);
 * each byte it takes out of the pipe it subtracts from *held.  pcid 0
 * asks about the data set under way, whatever its context: the pump is
 * between two PDVs and would read the next one's headers alone.  fd -1:
 * only a question, no bytes follow this answer.
 */
typedef uint64_t (*pump_unseen_fn)(
    void *ctx, uint8_t pcid, uint64_t n, int fd, size_t *held);

struct pump {
	int fd; /* connected, non-blocking socket (owned by caller) */
	struct transport t; /* what reads and writes it: plain or TLS */
	struct ul_assoc *a;
	int payload_fd;       /* source of owed payload, or -1 */
	off_t payload_off;    /* where the next payload byte comes from */
	uint64_t payload_len; /* of the payload set last: chooses the way */
	off_t payload_end;    /* the file's payload ends here ... */
	unsigned pad_left;    /* ... and this many zero bytes follow it */
	int payload_how;      /* sendfile or the mapping (pump.c) */
	uint8_t *map;         /* window of the payload file, or NULL */
	uint8_t *cbuf;        /* a small payload read in, or NULL */
	off_t cbuf_off;       /* file offset of cbuf[0] */
	int cbuf_fd;          /* the file cbuf holds bytes of */
	size_t cbuf_len;      /* bytes of the payload file in cbuf */
	/* the first cbuf_pre_len of those are at cbuf_pre (the caller's,
	 * pump_preload_prefix), not in cbuf */
	const uint8_t *cbuf_pre;
	size_t cbuf_pre_len;
	int cbuf_read_failed; /* pread failed: a failure is the file's */
	/* cbuf holds (what could be read of) this payload, read ahead by
	 * pump_preload; pre_fd -1: nothing read ahead */
	int pre_fd, pre_cached;
	off_t pre_off;
	uint64_t pre_len;
	/* the payload set last was in the page cache whole when read
	 * (pump_payload_cached); RWF_NOWAIT refused by a file system */
	int payload_cached, nowait_off;
	off_t map_off; /* file offset of map[0] */
	size_t map_len;
	size_t page;   /* sysconf(_SC_PAGESIZE), read once at init */
	int closed;    /* transport closed (either side) */
	int shut_wr;   /* nothing more is written: Sta13, or wr_failed */
	int wr_failed; /* a write failed: reading goes on to the end */
	/*
	 * The payload file could not be read to the end: the stream is cut
	 * inside a PDV, so nothing more is written (the association must be
	 * aborted), but reading goes on so that responses to requests sent
	 * earlier can still arrive.
	 */
	int payload_failed;
	uint8_t *rbuf;
	/*
	 * Read but not consumed by the engine: a callback paused
	 * (UL_CB_PAUSE) before the end of the read.  Given to the engine
	 * before anything more is read, once the output is written.
	 */
	size_t roff, rlen;
	int hold; /* pump_hold */
	uint64_t bytes_in, bytes_out;
	int http; /* the peer's first bytes were HTTP (the error says so) */
	/* follow (--limit-rate): the payload's bucket, or NULL (borrowed) */
	struct net_rate *rate;
	uint64_t bytes_fed; /* consumed by the engine */
	/*
	 * Acknowledge every read at once (TCP_QUICKACK) while we have nothing
	 * to send: a peer with Nagle's algorithm on that writes a response in
	 * two pieces (DCMTK's storescp) would otherwise wait for our delayed
	 * ACK, ~40 ms per message.  Sent only when the pump is about to
	 * wait: a request we send first carries the ACK anyway (one syscall
	 * less per file for the synchronous sender).
	 */
	int quickack;
	int ack_owed; /* input consumed, not acknowledged yet */
	/* splice (pump_splice.c): the receiver's room for unseen bytes,
	 * or NULL; the pipe (-1 until used), its size and what it holds */
	pump_unseen_fn unseen;
	void *unseen_ctx;
	int pipe_rd, pipe_wr;
	size_t pipe_cap, pipe_held;
	int splicing;           /* spliced last: read headers alone */
	uint64_t bytes_spliced; /* of bytes_in */
};

/* Sets up p over fd (plain) and a; returns 0 or CS_E_NOMEM. */
int pump_init(struct pump *p, int fd, struct ul_assoc *a);
/* The same over a transport (a TLS one after tls_handshake); the pump
 * takes it over and pump_release releases it (not its fd). */
int pump_init_transport(
    struct pump *p, const struct transport *t, struct ul_assoc *a);
/* Frees the buffers, unmaps the payload window and releases the
 * transport (does not close fd nor free a). */
void pump_release(struct pump *p);
/*
 * The file (offset, length) that the next owed payload bytes come from;
 * the length picks sendfile or a mapping, the file's own size still
 * bounds what is sent.  The previous file's window is dropped: its fd may
 * be closed (and its number reused) once its payload is written.
 */
void pump_set_payload_file(struct pump *p, int fd, off_t offset, uint64_t len);
/*
 * Cuts the payload owed where it is, as when its file cannot be read to
 * the end (payload_failed): nothing of it, and nothing after it, is
 * written any more, so the association must be aborted; reading goes on.
 * For a file that changed while it was sent.
 */
void pump_cut_payload(struct pump *p);
/*
 * Is a payload of len bytes read from its file whole in one read
 * (plain transport, at most PUMP_COPY_MAX)?  Then what is sent is that
 * read's bytes, and a later write to the file cannot mix into them.
 */
int pump_payload_read_at_once(struct pump *p, uint64_t len);
/*
 * After the len bytes of the payload file set last, n (0 or 1) zero
 * bytes follow, written from memory: the pad that makes a data set of
 * odd length even on the wire (PS3.5 A.5 for a Deflated one, PS3.8 E.1
 * for every PDV), without copying the file.  Owe len + n bytes.
 */
void pump_set_payload_pad(struct pump *p, unsigned n);

/*
 * Reads the len bytes of fd from offset now, into the buffer a small
 * payload is sent from, as its sending would (nothing owed may be
 * waiting to be written): the next pump_set_payload_file of that fd,
 * offset and len sends them without reading the file again.  For the
 * time the peer takes to answer: the read leaves the round trip.
 * The caller keeps fd open and unchanged until then.  Does nothing for
 * a payload not sent that way (TLS, over PUMP_COPY_MAX) or when the
 * buffer cannot be had; a read that fails or falls short is made again
 * (and fails) when the payload is sent, as without it.
 */
void pump_preload(struct pump *p, int fd, off_t offset, uint64_t len);
/* pump_preload of which the caller holds the first plen bytes (pre,
 * read from fd at offset before): sent from there (pre stays valid and
 * unchanged until the payload is sent), and only the rest read from fd.
 * Returns 1 when the payload is read ahead (as far as it could be read),
 * 0 when it was not (pump_preload's cases). */
int pump_preload_prefix(struct pump *p, int fd, off_t offset, uint64_t len,
    const uint8_t *pre, size_t plen);
/* What pump_preload read is not to be sent: the file may have changed
 * since, or its descriptor go (and its number be reused). */
void pump_preload_forget(struct pump *p);

/*
 * 1 when the payload set last was read into memory (a small one, not
 * TLS) and the page cache held all of it then: a caller that asks the
 * kernel to read its next files ahead may take that as a sign that they
 * are there too.  0 otherwise (read from the disk, another way, or a
 * file system that cannot tell).
 */
int pump_payload_cached(const struct pump *p);

/*
 * Runs until done(ctx) returns non-zero (checked after every step; done
 * may be NULL to run until the association ends), the association is
 * over (Sta1 with the transport closed), or timeout_ms passes without
 * done (0 = no limit; the ARTIM timer is separate and always honoured).
 * Returns 0 when done held, CS_E_CLOSED when the association ended
 * first, CS_E_TIMEOUT, CS_E_NET, CS_E_IO (payload file), or the negative
 * code an ul_* call returned.  Detail in err.
 *
 * A callback that pauses (UL_CB_PAUSE) makes the output be written
 * before the engine gets the rest of the input (unless held: pump_hold);
 * each step that gives the engine bytes counts in bytes_fed, so that
 * done can stop the run right after the callback paused.
 */
int pump_run(struct pump *p, int (*done)(void *ctx), void *ctx, int timeout_ms,
    struct cs_err *err);

/* Writes all queued output (and owed payload), within timeout_ms. */
int pump_flush(struct pump *p, int timeout_ms, struct cs_err *err);

/*
 * The end of an association that we aborted or rejected (PS3.8 Sta13,
 * also after our A-RELEASE-RP): writes the last PDU, shuts the write
 * side, then reads and discards until the peer closes or the engine's
 * ARTIM timer (ul_config.artim_ms) expires, and closes the transport
 * (not the fd).  pump_run does the same whenever it finds the engine in
 * Sta13; this waits for the end.  Never closing with unread bytes means
 * never a TCP reset, which would make the peer's kernel drop what it
 * had received but not yet read.  timeout_ms (0 = none) shortens the
 * wait below ARTIM (a server that must stop now).  In any other state it
 * just closes the transport.
 */
void pump_linger(struct pump *p, int timeout_ms);

/*
 * Lets a receiver take large data set payload without a copy through
 * user space (plain transport only): where the engine is inside a data
 * set PDV with at least PUMP_SPLICE_MIN bytes to come and nothing of
 * them is read yet, fn (see pump_unseen_fn) is asked how many it takes;
 * if enough, up to that many are spliced socket -> pipe, the engine is
 * told with ul_recv_unseen (the receiver moves them on from the pipe
 * in its callback), and whatever it left in the pipe is drained, so
 * the stream stays in step.  Between such PDVs the pump reads their
 * headers alone.  fn NULL: never (the default).
 */
#define PUMP_SPLICE_MIN (64u * 1024u)
void pump_set_unseen(struct pump *p, pump_unseen_fn fn, void *ctx);

/*
 * Input held back: while set, pump_run neither reads from the socket
 * nor gives the engine the bytes a paused callback left (UL_CB_PAUSE,
 * ul_assoc.h); it writes the output and waits.  A receiver holds its
 * input while a response waits (a --delay, or room in a full output
 * queue), so that no further request is read meanwhile.  Ignored in
 * Sta13, where what arrives is read and discarded.
 */
void pump_hold(struct pump *p, int hold);

#endif
