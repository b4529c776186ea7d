/*
 * pending.c - connections before their A-ASSOCIATE-RQ (pending.h).
 * Each one costs a descriptor and a slot here, no thread.  Readiness is
 * the kernel's to watch: SO_RCVLOWAT is set to the bytes the RQ still
 * needs, so poll wakes us once per step (header, whole PDU), not once
 * per byte of a peer that dribbles.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cstore/cstore.h"
#include "core/alloc.h"
#include "core/proxy_proto.h"
#include "core/ul_pdu.h"
#include "net/net.h"
#include "net/proxy_recv.h"
#include "storescp/pending.h"
#include "core/banned.h"

/* An RQ longer than this is handed over as it is: the engine's limit
 * (UL_MAX_ASSOC_PDU) and the progress deadline deal with it. */
#define RQ_LOOK_MAX (64u * 1024u)
#define PEEK_MAX (RQ_LOOK_MAX + PROXY_HDR_MAX)
/* A TLS record: type, version (2), length (2); type 22 = handshake
 * (RFC 8446 5.1).  Its length is at most 2^14 + 2048, below RQ_LOOK_MAX. */
#define TLS_RECORD_HEADER_LEN 5u
#define TLS_HANDSHAKE_RECORD 22
#define TLS_RECORD_MAX (16384u + 2048u)

int
pending_init(
    struct pending *p, size_t cap, unsigned per_host, unsigned rq_ms, int proxy)
{
	memset(p, 0, sizeof(*p));
	p->cap = cap > 0 ? cap : 1;
	p->per_host = per_host > 0 ? per_host : 1;
	p->rq_ms = rq_ms;
	p->proxy = proxy;
	p->v = cs_calloc(p->cap, sizeof(*p->v));
	p->peek = cs_malloc(PEEK_MAX);
	if (p->v == NULL || p->peek == NULL) {
		pending_release(p);
		return CS_E_NOMEM;
	}
	return 0;
}

void
pending_release(struct pending *p)
{
	for (size_t i = 0; p->v != NULL && i < p->n; i++)
		close(p->v[i].fd);
	cs_free(p->v);
	cs_free(p->peek);
	memset(p, 0, sizeof(*p));
}

/*
 * What a connection closed to make room hears, instead of a close its
 * sender would take for a network fault ("connection reset"): an
 * A-ASSOCIATE-RJ, rejected-transient, service provider (presentation),
 * local limit exceeded (PS3.8 9.3.4), as a peer over the association
 * limit hears; a sender that retries (dcmsend --retry) comes back.
 * Not under TLS (a handshake is due).  Best effort, never a wait.
 */
static void
refuse(const struct pending *p, int fd)
{
	static const uint8_t rj[10] = { UL_PDU_ASSOCIATE_RJ, 0, 0, 0, 0, 4, 0,
		2, 3, 2 };

	if (!p->tls)
		net_last_words(fd, rj, sizeof(rj));
}

static void
drop(struct pending *p, size_t i)
{
	refuse(p, p->v[i].fd);
	close(p->v[i].fd);
	snprintf(p->gone, sizeof(p->gone), "%s", p->v[i].peer);
	memmove(&p->v[i], &p->v[i + 1], (p->n - i - 1) * sizeof(*p->v));
	p->n--;
	p->closed++;
}

void
pending_refuse_all(struct pending *p)
{
	while (p->n > 0)
		drop(p, p->n - 1);
}

int
pending_drop_oldest(struct pending *p)
{
	if (p->n == 0)
		return 0;
	drop(p, 0);
	return 1;
}

int
pending_shrink(struct pending *p)
{
	int closed = 0;

	p->cap = p->n / 2 > 0 ? p->n / 2 : 1;
	while (p->n > p->cap)
		closed += pending_drop_oldest(p);
	return closed;
}

/* Whether c came too recently to be closed for another: the shorter
 * of PEND_YOUNG_MS and half the RQ window. */
static int
young(const struct pending *p, const struct pend_conn *c, uint64_t now)
{
	uint64_t y =
	    p->rq_ms / 2 < PEND_YOUNG_MS ? p->rq_ms / 2 : PEND_YOUNG_MS;

	return now < c->since + y;
}

/* The number of connections from host, plus one when it is newcomer's */
static size_t
count_host(const struct pending *p, const char *host, const char *newcomer)
{
	size_t k = strcmp(host, newcomer) == 0;

	for (size_t i = 0; i < p->n; i++)
		k += strcmp(p->v[i].host, host) == 0;
	return k;
}

/*
 * The budget is full: the connection to close for host's newcomer.  The
 * oldest of an address over its share (counting the newcomer), young or
 * not, so that a burst from one address never costs another's; the
 * oldest of all only when every address is within its share.
 */
static size_t
victim(const struct pending *p, const char *host)
{
	for (size_t i = 0; i < p->n; i++)
		if (count_host(p, p->v[i].host, host) > p->per_host)
			return i;
	return 0;
}

int
pending_add(
    struct pending *p, int fd, const char *host, const char *peer, uint64_t now)
{
	size_t first = p->n, same = 0;
	int closed = 0;

	for (size_t i = 0; i < p->n; i++) {
		if (strcmp(p->v[i].host, host) != 0)
			continue;
		if (same++ == 0)
			first = i;
	}
	/* a share counts only connections that have had time to send
	 * their RQ: a sender's parallel associations (dcmsend -j) arrive
	 * together, before any of their RQs could be looked at */
	if (same >= p->per_host && !young(p, &p->v[first], now)) {
		drop(p, first);
		closed = 1;
	} else if (p->n == p->cap) {
		drop(p, victim(p, host));
		closed = 1;
	}
	p->v[p->n] = (struct pend_conn){
		.fd = fd, .since = now, .need = 1, .header = p->proxy
	};
	snprintf(p->v[p->n].host, sizeof(p->v[p->n].host), "%s", host);
	snprintf(p->v[p->n].peer, sizeof(p->v[p->n].peer), "%s", peer);
	net_rcvlowat(fd, 1);
	p->n++;
	return closed;
}

size_t
pending_pollfds(
    const struct pending *p, struct pollfd *pfd, uint64_t now, int *wait_ms)
{
	for (size_t i = 0; i < p->n; i++) {
		uint64_t due = p->v[i].since + p->rq_ms;
		int64_t left = due > now ? (int64_t)(due - now) : 0;

		pfd[i] = (struct pollfd){ .fd = p->v[i].fd,
			.events = POLLIN | POLLRDHUP };
		if (left < *wait_ms)
			*wait_ms = (int)left;
	}
	return p->n;
}

/*
 * With TLS the RQ is encrypted: the first TLS record (the ClientHello)
 * must be whole instead; the handshake and the RQ then have their
 * deadlines on the association's thread.  Returns as look does.
 */
static int
look_tls(struct pend_conn *c, const uint8_t *b, size_t n, size_t off)
{
	size_t want = TLS_RECORD_HEADER_LEN;

	if (n < want) {
		c->need = off + want;
		return 0;
	}
	if (b[0] != TLS_HANDSHAKE_RECORD)
		return 1; /* not TLS: the handshake says so on the thread */
	if (((size_t)b[3] << 8 | b[4]) > TLS_RECORD_MAX)
		return 1; /* not a record OpenSSL takes: it says so there */
	want += (size_t)b[3] << 8 | b[4];
	if (n < want) {
		c->need = off + want;
		return 0;
	}
	return 1;
}

/*
 * Looks at what waits on c: returns 1 when the RQ is complete (or
 * cannot be judged here: not an RQ, too long, a bad PROXY header; the
 * association's thread answers it), 0 with c->need raised when more
 * must come, -1 when the peer is gone.  The PROXY header and the RQ
 * each have their own window: the RQ's starts (c->since = now) when
 * the header is whole.
 */
static int
look_at(struct pending *p, struct pend_conn *c, ssize_t r, uint64_t now)
{
	size_t off = 0, want;
	uint32_t len;

	if (p->proxy) {
		struct proxy_hdr h;
		struct cs_err err = { 0, "" };
		size_t need = 0;
		int rc = proxy_parse(p->peek, (size_t)r, &h, &need, &err);

		if (rc < 0)
			return 1;
		if (rc == 0) {
			c->need = need;
			return 0;
		}
		off = (size_t)rc;
		if (c->header)
			c->since = now;
		c->header = 0;
		c->local = h.local;
		/* the client it names is the one --max-per-host counts */
		if (!h.proxied ||
		    net_ip_text(&h.src, c->client, sizeof(c->client)) != 0)
			c->client[0] = '\0';
	}
	if (p->tls)
		return look_tls(c, p->peek + off, (size_t)r - off, off);
	want = off + UL_PDU_HEADER_LEN;
	if ((size_t)r < want) {
		c->need = want;
		return 0;
	}
	len = (uint32_t)p->peek[off + 2] << 24 |
	    (uint32_t)p->peek[off + 3] << 16 | (uint32_t)p->peek[off + 4] << 8 |
	    p->peek[off + 5];
	if (p->peek[off] != UL_PDU_ASSOCIATE_RQ || len > RQ_LOOK_MAX)
		return 1;
	want += len;
	if ((size_t)r < want) {
		c->need = want;
		return 0;
	}
	return 1;
}

/* look_at what the socket holds; the copy wiped after (an RQ may carry
 * a passcode). */
static int
look(struct pending *p, struct pend_conn *c, uint64_t now)
{
	ssize_t r = net_peek(c->fd, p->peek, PEEK_MAX);
	int rc;

	if (r == CS_E_AGAIN)
		return 0;
	if (r <= 0)
		return -1;
	rc = look_at(p, c, r, now);
	explicit_bzero(p->peek, (size_t)r);
	return rc;
}

size_t
pending_service(struct pending *p, const struct pollfd *pfd, size_t n,
    uint64_t now, const struct pending_cb *cb)
{
	size_t kept = 0, closed = 0;

	for (size_t i = 0; i < n && i < p->n; i++) {
		struct pend_conn c = p->v[i];
		int st = 0, late = 0;

		if (pfd[i].revents & (POLLIN | POLLRDHUP | POLLHUP | POLLERR)) {
			st = look(p, &c, now);
			/* an end before the RQ is whole: nobody to answer */
			if (st == 0 &&
			    (pfd[i].revents & (POLLRDHUP | POLLHUP | POLLERR)))
				st = -1;
		}
		if (st == 0 && now >= c.since + p->rq_ms)
			st = -1, late = 1;
		if (st == 1) {
			net_rcvlowat(c.fd, 1);
			cb->ready(cb->ctx, c.fd,
			    c.client[0] != '\0' ? c.client : c.host, c.local);
		} else if (st < 0) {
			if (late && p->stopping)
				refuse(p, c.fd);
			cb->gone(cb->ctx, &c, late);
			close(c.fd);
			closed++;
		} else {
			if (c.need != p->v[i].need)
				net_rcvlowat(c.fd, c.need);
			p->v[kept++] = c;
		}
	}
	/* entries beyond n came in after the poll: keep them */
	for (size_t i = n; i < p->n; i++)
		p->v[kept++] = p->v[i];
	p->n = kept;
	p->closed += closed;
	return closed;
}
