/*
 * conn.c - the I/O loop of one association of the receiver, on its own
 * thread (scp_serve in scp.h): the pump moves bytes between the socket
 * and the engine, the session (session.h) answers.  Here are the clock
 * and the waits: the progress deadlines, the stop of the receiver, and the
 * response the session holds back (--delay, a full output queue),
 * during which no further request is read (pump_hold).  Nothing here
 * sleeps: every wait is the pump's poll, bounded by the next deadline.
 * A PROXY protocol header (proxy.h) is read before the engine starts.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cstore/cstore.h"
#include "core/alloc.h"
#include "core/ul_assoc.h"
#include "core/ul_fsm.h"
#include "net/net.h"
#include "net/pump.h"
#include "storescp/proxy.h"
#include "storescp/scp.h"
#include "storescp/session.h"
#include "core/banned.h"

#define SLICE_MS 200 /* how often a quiet association looks at the clock */
#define STOP_LINGER_MS 2000 /* after the grace time: the peer's close */

struct conn {
	struct storescp *s;
	int fd;
	struct pump pump;
	int pump_ready;
	struct session ss;
	char peer_host[64];
	char peer[80];
	uint64_t seen_in, seen_out, seen_fed, last_activity;
	/* a message under way since busy_start (bytes_in then: busy_in) */
	int busy;
	uint64_t busy_start, busy_in, checked;
};

static int
progress(void *ctx)
{
	struct conn *c = ctx;

	return c->pump.bytes_in != c->seen_in ||
	    c->pump.bytes_out != c->seen_out ||
	    c->pump.bytes_fed != c->seen_fed;
}

/* Data set payload the C-STORE under way takes unseen (pump.h). */
static uint64_t
unseen_room(void *ctx, uint8_t pcid, uint64_t n, int fd, size_t *held)
{
	struct conn *c = ctx;

	return session_unseen_room(&c->ss, pcid, n, fd, held);
}

static void
peer_name(struct conn *c)
{
	unsigned port = 0;

	if (net_addr(c->fd, 1, c->peer_host, sizeof(c->peer_host), &port) != 0)
		snprintf(c->peer_host, sizeof(c->peer_host), "?");
	if (strchr(c->peer_host, ':') != NULL)
		snprintf(
		    c->peer, sizeof(c->peer), "[%s]:%u", c->peer_host, port);
	else
		snprintf(c->peer, sizeof(c->peer), "%s:%u", c->peer_host, port);
}

/* How long the pump may wait: a slice, or less when the held response
 * is due sooner. */
static int
wait_ms(const struct conn *c, uint64_t now)
{
	int64_t due = session_deadline(&c->ss);

	if (due < 0 || (uint64_t)due >= now + SLICE_MS)
		return SLICE_MS;
	return (uint64_t)due <= now ? 1 : (int)((uint64_t)due - now);
}

/* Bytes moved: the association is not silent. */
static void
moved(struct conn *c, uint64_t now)
{
	const uint8_t *pending;

	/* A sender with Nagle on (DCMTK as Debian ships it) writes a
	 * command and its data set separately: ACK at once so that its
	 * second write is not held ~40 ms.  A response about to leave
	 * carries the ACK itself. */
	if (c->pump.bytes_in != c->seen_in &&
	    c->pump.bytes_out == c->seen_out &&
	    ul_out_peek(c->ss.a, &pending) == 0)
		net_quickack(c->fd);
	c->seen_in = c->pump.bytes_in;
	c->seen_out = c->pump.bytes_out;
	c->seen_fed = c->pump.bytes_fed;
	c->last_activity = now;
}

/* The pump ended the association (rc): say why unless it is known. */
static void
ended(struct conn *c, int rc, const struct cs_err *err)
{
	struct session *ss = &c->ss;
	const struct cs_err *ue = ul_last_error(ss->a);

	/* rejected by the Upper Layer itself (a protocol version, a
	 * maximum PDU length it cannot serve): no callback said so */
	if (!ss->rejected && !ss->accepted && ue->code == CS_E_REJECTED) {
		scp_count(c->s, &c->s->stats.rejected);
		scp_log(c->s, STORESCP_LOG_ERROR,
		    "association %u from %s rejected: %s", ss->id, c->peer,
		    ue->msg);
	}
	/* a TLS failure ends in the engine's own abort, which cannot say
	 * why (a bad record, the peer's alert, a renegotiation refused) */
	else if (rc == CS_E_TLS ||
	    (rc != CS_E_CLOSED && rc != CS_E_NET && rc != CS_E_CALLBACK &&
		!ss->aborted && !ss->rejected))
		scp_log(c->s, STORESCP_LOG_ERROR,
		    ss->calling[0] ? "association %u from '%s': %s"
				   : "association %u from %s: %s",
		    ss->id, ss->calling[0] ? ss->calling : c->peer,
		    err->code ? err->msg : cs_strerror(rc));
	pump_linger(
	    &c->pump, atomic_load(&c->s->hard_stop) ? STOP_LINGER_MS : 0);
}

/*
 * Progress deadlines, not silence timers (a byte now and then must not
 * hold a slot).  Between messages the peer may be quiet for -t.  Once a
 * message has begun, it must come at min_rate bytes per second on
 * average after an allowance of -t, and the PDU under way must be able
 * to end in time at that rate: by busy_start + -t + (bytes since then
 * + bytes of the PDU still due) / min_rate.  Time we hold the input
 * (a response waiting) is not the peer's: the clock moves with it.
 * Returns 1 when that deadline has passed.
 */
static int
too_slow(struct conn *c, uint64_t now)
{
	struct storescp *s = c->s;
	uint32_t len, left = 0;
	int in = ul_in_pdu(c->ss.a, &len, &left) ||
	    c->ss.rx.state == DIMSE_RX_COMMAND ||
	    c->ss.rx.state == DIMSE_RX_DATASET;
	uint64_t got, allowed;

	if (!in) {
		if (c->busy)
			c->last_activity = now; /* quiet from here */
		c->busy = 0;
		return now - c->last_activity > s->cfg.timeout_ms;
	}
	if (!c->busy) {
		c->busy = 1;
		c->busy_start = c->checked ? c->checked : now;
		c->busy_in = c->seen_in;
	} else if (c->ss.held || session_deadline(&c->ss) >= 0) {
		c->busy_start += now - c->checked;
	}
	c->checked = now;
	got = c->pump.bytes_in - c->busy_in;
	allowed = s->cfg.timeout_ms + (got + left) * 1000 / s->cfg.min_rate;
	return now > c->busy_start + allowed;
}

/* Must the association be aborted now?  Not while it ends anyway, nor
 * while the session waits out a --delay (that silence is ours). */
static int
must_abort(struct conn *c, uint64_t now, int hard)
{
	enum ul_state st = ul_state(c->ss.a);
	int slow;

	if (st == UL_STA13 || st == UL_STA1)
		return 0;
	if (hard)
		return 1;
	slow = too_slow(c, now);
	c->checked = now;
	return slow && st != UL_STA2 && session_deadline(&c->ss) < 0;
}

/*
 * Our A-ABORT: the receiver stops (after the grace time) or the peer is
 * silent.  A response held back leaves first when there is room: the
 * object is stored, and the peer should hear so.  No cell for an abort
 * in Sta2 (no request yet): just close.  A receiver that must stop
 * waits for the peer's close only briefly, not for ARTIM.
 */
static void
abort_now(struct conn *c, uint64_t now, int hard)
{
	struct storescp *s = c->s;
	struct session *ss = &c->ss;

	if (hard) {
		session_tick(ss, now, 1);
		scp_log(s, STORESCP_LOG_ERROR,
		    "association %u: aborted: the receiver is stopping",
		    ss->id);
	} else if (session_wants_room(ss)) {
		scp_log(s, STORESCP_LOG_ERROR,
		    "association %u: cannot send the response: the peer has not read its responses for %u s",
		    ss->id, s->cfg.timeout_ms / 1000);
	} else if (c->busy) {
		scp_log(s, STORESCP_LOG_ERROR,
		    "association %u from '%s': too slow: %llu bytes in %llu s, less than %u bytes/s after %u s: aborting",
		    ss->id, ss->calling,
		    (unsigned long long)(c->pump.bytes_in - c->busy_in),
		    (unsigned long long)((now - c->busy_start) / 1000),
		    s->cfg.min_rate, s->cfg.timeout_ms / 1000);
	} else {
		scp_log(s, STORESCP_LOG_ERROR,
		    "association %u from '%s': nothing from the peer for %u s: aborting",
		    ss->id, ss->calling, s->cfg.timeout_ms / 1000);
	}
	session_cut(ss);
	ss->aborted = 1;
	ul_tick(ss->a, now); /* ARTIM counts from now */
	if (ul_abort(ss->a) == 0)
		pump_linger(&c->pump, hard ? STOP_LINGER_MS : 0);
}

/*
 * The loop: pump in slices, watching the silence limit and the stop
 * (checked after every slice, busy or quiet: a peer that keeps sending
 * must not outlast --grace), and releasing the held response when it
 * is due.  Every end goes through pump_linger: after our A-ABORT or
 * A-ASSOCIATE-RJ the peer closes first (PS3.8 Sta13).
 */
static void
run(struct conn *c)
{
	struct session *ss = &c->ss;
	uint64_t now = net_now_ms();
	const uint8_t *out;

	c->last_activity = now;
	for (;;) {
		struct cs_err err = { 0, "" };
		int hard = atomic_load(&c->s->hard_stop);
		int rc = session_tick(ss, now, hard);

		if (rc < 0) {
			session_cut(ss);
			if (ul_abort(ss->a) == 0)
				pump_linger(&c->pump, 0);
			return;
		}
		if (rc > 0)
			c->last_activity = now; /* a response to write */
		pump_hold(&c->pump, ss->held);
		rc = pump_run(&c->pump, progress, c, wait_ms(c, now), &err);
		now = net_now_ms();
		if (ul_out_peek(ss->a, &out) == 0)
			session_responded(ss); /* the peer has its answer */
		if (rc == 0)
			moved(c, now);
		else if (rc != CS_E_TIMEOUT) {
			ended(c, rc, &err);
			return;
		}
		hard = atomic_load(&c->s->hard_stop);
		if (must_abort(c, now, hard)) {
			abort_now(c, now, hard);
			return;
		}
	}
}

/* TLS: the handshake first (within -t); a client that fails it is
 * told by its alert and logged here in one line. */
static int
secure(struct conn *c)
{
	struct cs_err err = { 0, "" };

	if (scp_tls_accept(c->s, &c->pump.t, &err) != 0) {
		scp_log(c->s, STORESCP_LOG_ERROR, "association %u from %s: %s",
		    c->ss.id, c->peer, err.msg);
		return -1;
	}
	if (c->s->cfg.tls.enabled) {
		session_set_tls_subject(
		    &c->ss, transport_peer_subject(&c->pump.t));
		scp_log(c->s, STORESCP_LOG_VERBOSE,
		    "association %u from %s: %s, client certificate '%s'",
		    c->ss.id, c->peer, transport_tls_summary(&c->pump.t),
		    transport_peer_subject(&c->pump.t));
	}
	return 0;
}

int
scp_serve(struct storescp *s, int fd, unsigned id, int over_limit,
    void (*closed)(void *), void *arg)
{
	struct conn *c;
	int served = 0;

	c = cs_calloc(1, sizeof(*c));
	if (c == NULL) {
		scp_log(s, STORESCP_LOG_ERROR,
		    "association %u: out of memory: connection closed", id);
		close(fd);
		return 0;
	}
	c->s = s;
	c->fd = fd;
	peer_name(c);
	if (session_init(&c->ss, s, id, c->peer_host, c->peer, over_limit) !=
		0 ||
	    pump_init(&c->pump, fd, c->ss.a) != 0) {
		scp_log(s, STORESCP_LOG_ERROR,
		    "association %u: out of memory: connection closed", id);
	} else {
		c->pump_ready = 1;
		/* large data sets spliced into their files (pump.h);
		 * CSTORE_NO_SPLICE reads them as every other byte */
		if (getenv("CSTORE_NO_SPLICE") == NULL)
			pump_set_unseen(&c->pump, unseen_room, c);
		scp_log(s, STORESCP_LOG_VERBOSE,
		    "association %u: connection from %s", id, c->peer);
		/* Behind a balancer the client's address comes first (on
		 * this thread, within -t, given up at a hard stop); the
		 * session sees it through the borrowed peer strings. */
		if (scp_proxy_accept(s, fd, id, c->peer_host,
			sizeof(c->peer_host), c->peer, sizeof(c->peer)) == 0 &&
		    secure(c) == 0 &&
		    ul_transport_connected(c->ss.a, net_now_ms()) == 0)
			run(c);
	}
	if (c->ss.aborted)
		scp_count(s, &s->stats.aborted);
	if (c->ss.accepted)
		served |= SCP_SERVED_ACCEPTED;
	if (c->ss.worked)
		served |= SCP_SERVED_WORK;
	if (c->pump_ready)
		pump_release(&c->pump);
	close(fd);
	if (closed != NULL)
		closed(arg);
	session_end(&c->ss);
	session_release(&c->ss);
	cs_free(c);
	return served;
}
