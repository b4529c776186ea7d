/*
 * pending.h - connections that have not yet sent a whole
 * A-ASSOCIATE-RQ: held by the listening thread, in a small budget of
 * their own, apart from the association slots.  A connection leaves it
 * when its RQ PDU (after a PROXY header, when configured; with TLS, the
 * first TLS record instead, as the RQ is encrypted) is complete
 * in the socket's receive queue (looked at, never consumed: the
 * association's thread reads it as if straight from accept), or is
 * closed: at its deadline (the PROXY header and the RQ a window each), when the peer ends, or to make room (the
 * oldest of its source address when that address has its share of
 * connections no longer young, PEND_YOUNG_MS; when the budget is full,
 * the oldest of an address over its share, young or not, and the oldest
 * of all only when none is over; it is sent an A-ASSOCIATE-RJ first, transient,
 * local limit exceeded, but under TLS).  Internal to libstorescp.
 */
#ifndef CS_STORESCP_PENDING_H
#define CS_STORESCP_PENDING_H

#include <poll.h>
#include <stddef.h>
#include <stdint.h>

struct pend_conn {
	int fd;
	uint64_t since;  /* accepted at, or its PROXY header whole at (ms) */
	size_t need;     /* bytes that must wait before looking again */
	char host[64];   /* numeric source address */
	char peer[80];   /* with its port, for the log */
	char client[64]; /* the client its PROXY header names ("": none) */
	int header;      /* PROXY header still incomplete */
	int local;       /* a v2 LOCAL header: the balancer's own */
};

struct pending {
	struct pend_conn *v; /* in order of arrival */
	size_t n, cap;
	unsigned per_host; /* at most this many of one source address */
	unsigned rq_ms;    /* a whole RQ within this long */
	int proxy;         /* a PROXY header comes first */
	int tls;           /* a TLS ClientHello comes first (set after init) */
	int stopping;      /* the receiver stops: one late is refused too */
	uint8_t *peek;     /* room to look at a whole RQ */
	uint64_t closed;   /* connections closed here (tests, logs) */
	char gone[80];     /* the peer of the last one closed, for the log */
};

/* Sets p up (nothing pending); returns 0 or CS_E_NOMEM. */
int pending_init(struct pending *p, size_t cap, unsigned per_host,
    unsigned rq_ms, int proxy);
/* Closes every pending connection and frees p. */
void pending_release(struct pending *p);

/* A connection pending for less than this (or half the RQ window) is
 * not closed for its source address's share: it has had no time to
 * send its RQ (a sender's parallel associations come in one burst).
 * The budget in all is kept whatever their age. */
#define PEND_YOUNG_MS 1000u

/*
 * Takes fd from host (owned from now on).  Makes room first: closes the
 * oldest connection of host when it has per_host already and that one
 * is not young (PEND_YOUNG_MS); else, when the budget is full, the
 * oldest of an address over its share (host's newcomer counted), young
 * or not, or the oldest of all when no address is over.  Returns how
 * many were closed (0 or 1).
 */
int pending_add(struct pending *p, int fd, const char *host, const char *peer,
    uint64_t now);
/* Closes every pending connection as one closed to make room is (the
 * transient rejection first, but under TLS): the receiver is stopping. */
void pending_refuse_all(struct pending *p);
/* Closes the oldest pending connection (frees a descriptor); 0 when
 * there was none, else 1. */
int pending_drop_oldest(struct pending *p);

/*
 * Out of descriptors: the budget becomes half of what is pending now
 * (at least 1), the oldest closed down to it, so that associations keep
 * descriptors for their files.  Returns how many were closed.
 */
int pending_shrink(struct pending *p);

/*
 * pfd[0..n) get the pending connections to poll; *wait_ms is lowered
 * to the nearest deadline.  pfd has room for p->cap entries.
 */
size_t pending_pollfds(
    const struct pending *p, struct pollfd *pfd, uint64_t now, int *wait_ms);

/* What pending_service does with a connection it hands over or closes. */
struct pending_cb {
	/* its RQ is complete: fd is the callee's now; host is the client
	 * its PROXY header names, when it names one, else its source;
	 * local: its PROXY header was a v2 LOCAL (the balancer's own) */
	void (*ready)(void *ctx, int fd, const char *host, int local);
	/* past its deadline (timeout 1; while stopping it has been sent the
	 * transient rejection) or ended by the peer; closed after */
	void (*gone)(void *ctx, const struct pend_conn *c, int timeout);
	void *ctx;
};

/*
 * After poll over the pfd that pending_pollfds filled (n of them, none
 * added or dropped since): hands each connection whose RQ is complete
 * to cb->ready, closes those past their deadline or ended by the peer
 * (cb->gone first; past its deadline while p->stopping, the transient
 * rejection first, as pending_refuse_all does: never a silent close a
 * sender would take for a network fault).  Returns how many were closed.
 */
size_t pending_service(struct pending *p, const struct pollfd *pfd, size_t n,
    uint64_t now, const struct pending_cb *cb);

#endif
