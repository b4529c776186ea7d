/*
 * pump_splice.c - large data set payload without a copy through user
 * space (pump_set_unseen in pump.h).  On loopback the receiver is the
 * bottleneck for large objects, and most of its CPU is the two copies
 * (socket -> buffer, buffer -> file); socket -> pipe -> file by
 * splice(2) leaves only the file system's own (bench/rawrecv -z:
 * 25-30% less receiver CPU per GB).  The engine still frames every PDU:
 * only bytes it says are the rest of a data set PDV (ul_in_opaque) go
 * this way, and only as many as the receiver takes unseen.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "cstore/cstore.h"
#include "core/ul_assoc.h"
#include "core/ul_fsm.h"
#include "net/net.h"
#include "net/pump.h"
#include "net/pump_splice.h"
#include "core/banned.h"

/* 1 MiB: a few PDUs per splice, as PUMP_RBUF per read; an unprivileged
 * process may ask that much (fs.pipe-max-size), else the default */
#define PIPE_SIZE (1024 * 1024)
/* P-DATA-TF header and PDV item header: what comes between two PDVs */
#define PDV_HEADERS 12

void
pump_set_unseen(struct pump *p, pump_unseen_fn fn, void *ctx)
{
	p->unseen = fn;
	p->unseen_ctx = ctx;
}

void
pump_splice_release(struct pump *p)
{
	if (p->pipe_rd >= 0)
		close(p->pipe_rd);
	if (p->pipe_wr >= 0)
		close(p->pipe_wr);
	p->pipe_rd = p->pipe_wr = -1;
}

static int
open_pipe(struct pump *p)
{
	int fds[2], sz;

	if (pipe2(fds, O_CLOEXEC | O_NONBLOCK) != 0)
		return -1;
	sz = fcntl(fds[1], F_SETPIPE_SZ, PIPE_SIZE);
	if (sz <= 0)
		sz = fcntl(fds[1], F_GETPIPE_SZ);
	p->pipe_rd = fds[0];
	p->pipe_wr = fds[1];
	p->pipe_cap = sz > 0 ? (size_t)sz : 0;
	/* a user past fs.pipe-user-pages-soft gets a page or two: splices
	 * that small would cost more than reads */
	if (p->pipe_cap < PUMP_SPLICE_MIN) {
		pump_splice_release(p);
		return -1;
	}
	return 0;
}

/*
 * What the receiver left in the pipe (a refused object, a failed
 * write) is read and dropped: the next byte of the socket must be the
 * next byte of the stream.  -1 if the pipe holds less than counted.
 */
static int
drain(struct pump *p)
{
	while (p->pipe_held > 0) {
		size_t n = p->pipe_held < PUMP_RBUF ? p->pipe_held : PUMP_RBUF;
		ssize_t r = read(p->pipe_rd, p->rbuf, n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		p->pipe_held -= (size_t)r;
	}
	return 0;
}

/*
 * How many of the next n payload bytes on pcid the receiver takes.  The
 * pipe is made when first spliced into (want): an association of small
 * objects never has one.
 */
static uint64_t
ask_room(struct pump *p, uint8_t pcid, uint64_t n, int want)
{
	if (want && p->pipe_wr < 0 && open_pipe(p) != 0) {
		p->unseen = NULL; /* no pipe: read as usual from now on */
		return 0;
	}
	return p->unseen(p->unseen_ctx, pcid, n, p->pipe_rd, &p->pipe_held);
}

/* The engine takes the k bytes now in the pipe (as the pump's feed). */
static int
tell_engine(struct pump *p, size_t k, struct cs_err *err)
{
	int was_sta13 = ul_state(p->a) == UL_STA13;
	ssize_t used = ul_recv_unseen(p->a, k, net_now_ms());

	if (drain(p) != 0 || used == CS_E_INVAL) {
		/* the engine and the socket out of step: never go on */
		pump_closed(p);
		return cs_err_set(err, CS_E_FATAL,
		    "spliced payload lost its place in the stream");
	}
	return pump_fed(p, used, was_sta13, err);
}

int
pump_splice_in(struct pump *p, struct cs_err *err)
{
	uint8_t pcid;
	uint32_t op;
	uint64_t room;
	size_t want;
	ssize_t k;
	int rc;

	if (p->unseen == NULL || p->rlen > 0 || !transport_is_plain(&p->t))
		return 0;
	op = ul_in_opaque(p->a, &pcid);
	if (op < PUMP_SPLICE_MIN)
		return 0;
	room = ask_room(p, pcid, op, 1);
	if (room < PUMP_SPLICE_MIN) {
		p->splicing = 0;
		return 0;
	}
	want = room < op ? (size_t)room : op;
	want = want < p->pipe_cap ? want : p->pipe_cap;
	do
		k = splice(p->fd, NULL, p->pipe_wr, NULL, want,
		    SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
	while (k < 0 && errno == EINTR);
	if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return 1;
	if (k < 0 && (errno == EINVAL || errno == ENOSYS)) {
		p->unseen = NULL; /* this socket cannot: read as usual */
		return 0;
	}
	if (k <= 0) {
		if (k < 0)
			cs_err_set(err, CS_E_NET, "connection lost: %s",
			    strerror(errno));
		pump_closed(p);
		return 1;
	}
	p->bytes_in += (uint64_t)k;
	p->bytes_spliced += (uint64_t)k;
	p->pipe_held = (size_t)k;
	p->splicing = 1;
	rc = tell_engine(p, (size_t)k, err);
	return rc < 0 ? rc : 1;
}

size_t
pump_splice_read_max(const struct pump *p)
{
	uint8_t pcid;

	uint64_t n;

	if (!p->splicing || p->unseen == NULL || !transport_is_plain(&p->t))
		return PUMP_RBUF;
	/* the end of a PDV too short to splice, and the next headers;
	 * never more than the buffer holds (a TLS read fills all it asks) */
	n = (uint64_t)ul_in_opaque(p->a, &pcid) + PDV_HEADERS;
	return n < PUMP_RBUF ? (size_t)n : PUMP_RBUF;
}

void
pump_splice_after_read(struct pump *p, size_t max, size_t got)
{
	uint8_t pcid;
	uint32_t op;

	if (p->unseen == NULL || p->rlen > 0 || !transport_is_plain(&p->t))
		return;
	op = ul_in_opaque(p->a, &pcid);
	if (!p->splicing) {
		/* a whole buffer read ended inside a PDV, or between two
		 * PDVs (pcid 0: the data set under way), and the receiver
		 * would take 64 KiB more than that PDV's rest: from here on,
		 * read headers alone, so that the next PDVs can be spliced
		 * from their first byte (small objects never get here) */
		if (op < PUMP_SPLICE_MIN &&
		    ask_room(p, op > 0 ? pcid : 0, UINT64_MAX, 0) >=
			(uint64_t)op + PUMP_SPLICE_MIN)
			p->splicing = 1;
		return;
	}
	/* all the headers came and no payload to splice follows them (a
	 * command, the next object): read whole buffers again */
	if (got == max && op < PUMP_SPLICE_MIN)
		p->splicing = 0;
}
