/* pump.c - drive an association over a socket (see pump.h). */
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cstore/cstore.h"
#include "core/ul_assoc.h"
#include "core/ul_fsm.h"
#include "net/net.h"
#include "net/pump.h"
#include "net/pump_splice.h"
#include "net/rate.h"
#include "core/banned.h"

/*
 * Data sets over PUMP_COPY_MAX go out by sendmsg(2) from a read-only
 * mapping of the file, each PDV's header with its payload (send_map): no
 * copy in user space, and the bytes are copied into the socket when
 * sendmsg is called.  sendfile(2) is never used for a file on
 * a plain socket: the socket would keep the page-cache pages until the
 * peer reads them, so a write to the file after our last check (see
 * storescu/session.c) would still reach the peer.  With sendfile the
 * receiving process (the bottleneck over loopback) also spent ~25% more
 * CPU per GB than with our send copying: 52 MB objects went ~25% faster.
 * For 1-8 MiB sendfile had been kept (no mapping per file); there too
 * the mapping took ~25% less wall, the copy moving from the receiver to
 * us (docs/performance.md, "1-8 MiB data sets").
 *
 * Small ones (up to PUMP_COPY_MAX) are read into a buffer (one pread per
 * data set) and each PDV sent with its header in one sendmsg(2): 131 KB
 * objects sent one at a time (--async 1) took ~20% less sender and ~13%
 * less receiver CPU than header + sendfile, in as many system calls.  A
 * mapping per file (mmap, sendmsg, munmap) saved the receiver half as
 * much and cost the sender more.  A larger one whose mapping fails goes
 * that way too, in pieces of PUMP_COPY_MAX.
 *
 * Only the kernel reads the mapping (send copies from it), never our
 * code: a file that shrinks meanwhile makes send fail with EFAULT, not
 * our process take SIGBUS, and that is reported as the file ending early.
 * Windows of PUMP_MAP_WINDOW bytes keep the resident size small; one
 * page more, and a PDV whose payload does not fit in what is left of a
 * window maps the next one from its first byte (send_map), so that each
 * PDV goes in one sendmsg: 256 KiB PDVs, eight to a window, none cut in
 * two at a window's end (which cost a send more per window).
 */
#define PUMP_MAP_WINDOW (2 * 1024 * 1024)
#define PUMP_COPY_MAX (1024u * 1024u)

static int cbuf_get(struct pump *p);

/* struct pump's payload_how */
enum {
	PAYLOAD_UNKNOWN, /* decided at the first payload byte */
	PAYLOAD_SENDFILE,
	PAYLOAD_MAP,
	PAYLOAD_COPY, /* read into cbuf, sent from there */
};

int
pump_init(struct pump *p, int fd, struct ul_assoc *a)
{
	struct transport t;

	transport_plain(&t, fd);
	return pump_init_transport(p, &t, a);
}

int
pump_init_transport(
    struct pump *p, const struct transport *t, struct ul_assoc *a)
{
	memset(p, 0, sizeof(*p));
	p->fd = t->fd;
	p->t = *t;
	p->a = a;
	p->payload_fd = -1;
	p->pre_fd = -1;
	p->cbuf_fd = -1;
	p->pipe_rd = p->pipe_wr = -1;
	p->map = NULL;
	p->page = (size_t)sysconf(_SC_PAGESIZE);
	/* mapped, not malloc'd: it goes back to the system when the
	 * association ends (the arena of a thread that has ended keeps
	 * what it held; a receiver under a flood would keep growing) */
	p->rbuf = mmap(NULL, PUMP_RBUF, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p->rbuf == MAP_FAILED) {
		p->rbuf = NULL;
		return CS_E_NOMEM;
	}
	return 0;
}

static void
unmap_window(struct pump *p)
{
	if (p->map != NULL)
		munmap(p->map, p->map_len);
	p->map = NULL;
	p->map_len = 0; /* payload_off is past the window: map again */
}

void
pump_release(struct pump *p)
{
	unmap_window(p);
	if (p->rbuf != NULL)
		munmap(p->rbuf, PUMP_RBUF);
	p->rbuf = NULL;
	if (p->cbuf != NULL)
		munmap(p->cbuf, PUMP_COPY_MAX);
	p->cbuf = NULL;
	pump_splice_release(p);
	transport_release(&p->t);
}

void
pump_set_payload_file(struct pump *p, int fd, off_t offset, uint64_t len)
{
	/* read ahead (pump_preload): cbuf holds it from offset on */
	int pre = p->pre_fd >= 0 && p->pre_fd == fd && p->pre_off == offset &&
	    p->pre_len == len;

	unmap_window(p);
	p->payload_fd = fd;
	p->payload_off = offset;
	p->payload_len = len;
	p->payload_end = offset + (off_t)len;
	p->pad_left = 0;
	p->payload_how = PAYLOAD_UNKNOWN;
	if (!pre)
		p->cbuf_len = 0;
	p->cbuf_read_failed = 0;
	p->payload_cached = pre ? p->pre_cached : 0;
	p->pre_fd = -1;
}

int
pump_payload_cached(const struct pump *p)
{
	return p->payload_cached;
}

void
pump_cut_payload(struct pump *p)
{
	p->payload_failed = 1;
}

int
pump_payload_read_at_once(struct pump *p, uint64_t len)
{
	/* without the buffer, the payload would go by sendfile */
	return transport_is_plain(&p->t) && len <= PUMP_COPY_MAX &&
	    cbuf_get(p) == 0;
}

void
pump_set_payload_pad(struct pump *p, unsigned n)
{
	p->pad_left = n;
}

/* The length of a window (see the top): PUMP_MAP_WINDOW and a page. */
static size_t
map_span(const struct pump *p)
{
	return PUMP_MAP_WINDOW + p->page;
}

/*
 * Maps the window of the payload file that starts at (the page of)
 * payload_off, up to the end of the file as it is now.  Returns 1, 0 when
 * the file ends at payload_off, or -1 with errno set.
 */
static int
map_window(struct pump *p)
{
	off_t page = (off_t)p->page;
	struct stat st;
	off_t start;
	void *m;

	unmap_window(p);
	if (fstat(p->payload_fd, &st) != 0)
		return -1;
	if (!S_ISREG(st.st_mode)) {
		errno = ENODEV;
		return -1;
	}
	if (st.st_size <= p->payload_off)
		return 0;
	start = p->payload_off - p->payload_off % page;
	p->map_len = map_span(p);
	if ((off_t)p->map_len > st.st_size - start)
		p->map_len = (size_t)(st.st_size - start);
	m = mmap(NULL, p->map_len, PROT_READ, MAP_SHARED | MAP_POPULATE,
	    p->payload_fd, start);
	if (m == MAP_FAILED)
		return -1;
	p->map = m;
	p->map_off = start;
	return 1;
}

/* The buffer small payloads are read into, mapped at first use (as
 * rbuf: the pages go back with the association).  0, or -1. */
static int
cbuf_get(struct pump *p)
{
	void *m;

	if (p->cbuf != NULL)
		return 0;
	m = mmap(NULL, PUMP_COPY_MAX, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	p->cbuf = m == MAP_FAILED ? NULL : m;
	return p->cbuf != NULL ? 0 : -1;
}

/* Chooses sendfile or a mapping for the payload file (see the top). */
static void
choose_payload_way(struct pump *p)
{
	/* the length the caller gave: no fstat for the many small files */
	p->payload_how = PAYLOAD_SENDFILE;
	if (!transport_is_plain(&p->t))
		return;
	if (p->payload_len > PUMP_COPY_MAX && map_window(p) == 1)
		p->payload_how = PAYLOAD_MAP;
	else if (cbuf_get(p) == 0) /* read in pieces of PUMP_COPY_MAX */
		p->payload_how = PAYLOAD_COPY;
}

/*
 * Reads want bytes of fd at off into cbuf + at only as far as the page
 * cache holds them (RWF_NOWAIT: no wait for a disk), and notes whether
 * it held them all (pump_payload_cached).  Costs nothing more when they
 * are there: the same one system call as pread.  Returns what preadv2
 * did, or -1 when the file system cannot tell (not asked again).
 */
static ssize_t
read_cached(struct pump *p, int fd, off_t off, size_t at, size_t want)
{
	struct iovec iov = { p->cbuf + at, want };
	ssize_t r;

	if (p->nowait_off)
		return -1;
	do
		r = preadv2(fd, &iov, 1, off, RWF_NOWAIT);
	while (r < 0 && errno == EINTR);
	/* and kernels before 4.14 (flag) or 4.6 (call) cannot */
	if (r < 0 &&
	    (errno == EOPNOTSUPP || errno == EINVAL || errno == ENOSYS))
		p->nowait_off = 1;
	p->payload_cached = r >= 0 && (size_t)r == want;
	return r;
}

/*
 * PAYLOAD_COPY: makes cbuf hold the payload byte at payload_off, reading
 * the rest of the data set in one pread when it does not, so each data
 * set is read once whatever its PDVs and partial writes.  Returns the
 * bytes held from payload_off on, 0 when the file ended there, or -1
 * with errno from pread.
 */
/* Reads want bytes of fd at off + at into cbuf + at, after the at
 * bytes from off that the caller holds at pre (cbuf_off, cbuf_len say
 * what cbuf and pre hold then: cbuf_pre).  Returns what the read
 * returned. */
static ssize_t
read_cbuf_at(struct pump *p, int fd, off_t off, const uint8_t *pre, size_t at,
    size_t want)
{
	ssize_t r = 0;

	p->cbuf_len = 0;
	p->cbuf_pre = pre;
	p->cbuf_pre_len = at;
	if (want > 0) {
		r = read_cached(p, fd, off + (off_t)at, at, want);
		if (r < 0 || (size_t)r < want) /* not all in the page cache */
			do
				r = pread(
				    fd, p->cbuf + at, want, off + (off_t)at);
			while (r < 0 && errno == EINTR);
	} else {
		p->payload_cached = 1;
	}
	if (r > 0 || at > 0) {
		p->cbuf_fd = fd;
		p->cbuf_off = off;
		p->cbuf_len = at + (r > 0 ? (size_t)r : 0);
	}
	return r;
}

/* Reads want bytes of fd at off into cbuf (cbuf_off, cbuf_len say
 * what it holds then).  Returns what the read returned. */
static ssize_t
read_cbuf(struct pump *p, int fd, off_t off, size_t want)
{
	return read_cbuf_at(p, fd, off, NULL, 0, want);
}

static ssize_t
fill_cbuf(struct pump *p)
{
	size_t want = PUMP_COPY_MAX;
	ssize_t r;

	/* the file too: a read ahead holds another file's bytes */
	if (p->cbuf_fd == p->payload_fd && p->payload_off >= p->cbuf_off &&
	    p->payload_off < p->cbuf_off + (off_t)p->cbuf_len)
		return (
		    ssize_t)(p->cbuf_off + (off_t)p->cbuf_len - p->payload_off);
	if ((off_t)want > p->payload_end - p->payload_off)
		want = (size_t)(p->payload_end - p->payload_off);
	r = read_cbuf(p, p->payload_fd, p->payload_off, want);
	if (r < 0)
		p->cbuf_read_failed = 1;
	return r;
}

void
pump_preload_forget(struct pump *p)
{
	p->pre_fd = -1;
	p->cbuf_len = 0;
}

void
pump_preload(struct pump *p, int fd, off_t offset, uint64_t len)
{
	(void)pump_preload_prefix(p, fd, offset, len, NULL, 0);
}

int
pump_preload_prefix(struct pump *p, int fd, off_t offset, uint64_t len,
    const uint8_t *pre, size_t plen)
{
	p->pre_fd = -1;
	/* never over bytes the current payload may still be sent from */
	if (len == 0 || len > PUMP_COPY_MAX || !transport_is_plain(&p->t) ||
	    ul_out_payload_owed(p->a) > 0 || ul_out_payload_next(p->a) > 0 ||
	    p->payload_off < p->payload_end || cbuf_get(p) != 0)
		return 0;
	if (plen > len)
		plen = (size_t)len;
	(void)read_cbuf_at(p, fd, offset, pre, plen, (size_t)len - plen);
	p->pre_cached = p->payload_cached;
	p->pre_fd = fd;
	p->pre_off = offset;
	p->pre_len = len;
	return 1;
}

/*
 * Sends up to owed of the have bytes that cbuf holds from payload_off
 * on, after the n bytes at hdr (n may be 0) in the same call.  Returns
 * what sendmsg returned.  The first cbuf_pre_len of them are at
 * cbuf_pre, not in cbuf (what planning kept of the file).
 */
static ssize_t
send_cbuf(
    struct pump *p, const uint8_t *hdr, size_t n, size_t owed, size_t have)
{
	size_t at = (size_t)(p->payload_off - p->cbuf_off), left, k = 0;
	struct iovec iov[3];
	struct msghdr mh;
	int more;

	if (owed > have)
		owed = have;
	memset(&mh, 0, sizeof(mh));
	if (n > 0) {
		iov[k].iov_base = (void *)(uintptr_t)hdr;
		iov[k++].iov_len = n;
	}
	left = owed;
	if (at < p->cbuf_pre_len && left > 0) {
		size_t pre = p->cbuf_pre_len - at;

		if (pre > left)
			pre = left;
		iov[k].iov_base = (void *)(uintptr_t)(p->cbuf_pre + at);
		iov[k++].iov_len = pre;
		at += pre;
		left -= pre;
	}
	if (left > 0 || k == 0) {
		iov[k].iov_base = p->cbuf + at;
		iov[k++].iov_len = left;
	}
	mh.msg_iov = iov;
	mh.msg_iovlen = k;
	/* more of this data set follows: its next PDV, or the pad byte */
	more = p->payload_off + (off_t)owed < p->payload_end || p->pad_left > 0;
	return sendmsg(p->fd, &mh, MSG_NOSIGNAL | (more ? MSG_MORE : 0));
}

/*
 * Whether the data set's next want bytes are not all in the mapped
 * window but would be in one mapped from payload_off (a window as long
 * as it can be: not cut by the end of the file when it was mapped).
 */
static int
map_next_window(const struct pump *p, size_t want)
{
	off_t end = p->map_off + (off_t)p->map_len;
	size_t pgoff = (size_t)(p->payload_off % (off_t)p->page);

	if (p->map == NULL || p->payload_off >= end)
		return 1;
	if ((off_t)want > p->payload_end - p->payload_off)
		want = (size_t)(p->payload_end - p->payload_off);
	return p->payload_off + (off_t)want > end &&
	    p->map_len == map_span(p) && pgoff + want <= map_span(p);
}

/*
 * PAYLOAD_MAP: the n bytes at hdr and up to owed payload bytes from the
 * mapped window in one sendmsg, as send_cbuf does from cbuf (one system
 * call per PDV instead of two); the next window first when the PDV's
 * payload would fit in it and not in this one.  Returns what sendmsg
 * returned, or 0 when the window cannot be mapped or the mapped file
 * shrank (EFAULT before a byte left): then the header goes alone, and
 * the payload path meets the failure as before.
 */
static ssize_t
send_map(struct pump *p, const uint8_t *hdr, size_t n, size_t owed)
{
	struct iovec iov[2];
	struct msghdr mh;
	off_t end = p->map_off + (off_t)p->map_len;
	ssize_t w;
	int more;

	if (map_next_window(p, owed)) {
		if (map_window(p) != 1)
			return 0;
		end = p->map_off + (off_t)p->map_len;
	}
	/* the data set's bytes only: a pad byte in owed is not the file's
	 * next byte, it goes from memory (write_payload) */
	if (end > p->payload_end)
		end = p->payload_end;
	if ((off_t)owed > end - p->payload_off)
		owed = (size_t)(end - p->payload_off);
	memset(&mh, 0, sizeof(mh));
	iov[0].iov_base = (void *)(uintptr_t)hdr;
	iov[0].iov_len = n;
	iov[1].iov_base = p->map + (p->payload_off - p->map_off);
	iov[1].iov_len = owed;
	mh.msg_iov = iov;
	mh.msg_iovlen = 2;
	more = p->payload_off + (off_t)owed < p->payload_end || p->pad_left > 0;
	w = sendmsg(p->fd, &mh, MSG_NOSIGNAL | (more ? MSG_MORE : 0));
	return w < 0 && errno == EFAULT ? 0 : w;
}

/*
 * A PDV header and the payload that follows it in one write, when that
 * payload is read into memory (PAYLOAD_COPY) or mapped (PAYLOAD_MAP);
 * not under --limit-rate, whose bucket counts payload alone.  Returns
 * what was written (header bytes consumed, payload bytes reported), 0
 * when this way does not apply or the file could not be read (the
 * header goes alone, and the payload path meets the failure), or -1
 * with errno from sendmsg.
 */
static ssize_t
write_with_payload(struct pump *p, const uint8_t *hdr, size_t n, size_t next)
{
	ssize_t have, w;

	if (p->rate != NULL || p->payload_fd < 0 || p->payload_failed)
		return 0;
	if (p->payload_how == PAYLOAD_UNKNOWN)
		choose_payload_way(p);
	if (p->payload_off >= p->payload_end)
		return 0;
	if (p->payload_how == PAYLOAD_MAP) {
		w = send_map(p, hdr, n, next);
	} else {
		if (p->payload_how != PAYLOAD_COPY)
			return 0;
		have = fill_cbuf(p);
		if (have <= 0)
			return 0;
		w = send_cbuf(p, hdr, n, next, (size_t)have);
	}
	if (w <= 0)
		return w;
	if ((size_t)w <= n) {
		ul_out_consume(p->a, (size_t)w);
	} else {
		ul_out_consume(p->a, n);
		ul_out_payload_sent(p->a, (size_t)w - n);
		p->payload_off += (off_t)((size_t)w - n);
	}
	p->bytes_out += (uint64_t)w;
	return w;
}

/*
 * --limit-rate: up to owed payload bytes from the shared bucket, but at
 * least the length of a TLS write that blocked, which OpenSSL must be
 * offered again whole (other lanes may have taken what we gave back).
 */
static size_t
rate_take(struct pump *p, size_t owed)
{
	size_t need = transport_write_owed(&p->t), got;

	if (need > owed)
		need = owed;
	got = net_rate_take(p->rate, owed);
	while (got < need) /* each take returns at least 1 */
		got += net_rate_take(p->rate, need - got);
	return got;
}

/*
 * Writes up to owed payload bytes; returns what send/sendfile returned
 * (0: the file ended).  EFAULT from send means the mapped file shrank.
 */
static ssize_t
write_payload(struct pump *p, size_t owed)
{
	static const uint8_t zeros[8];
	ssize_t w;
	off_t end;

	if (p->pad_left > 0) {
		if (p->payload_off >= p->payload_end) {
			if (owed > p->pad_left)
				owed = p->pad_left;
			if (owed > sizeof(zeros))
				owed = sizeof(zeros);
			w = transport_send(&p->t, zeros, owed, 0);
			if (w > 0)
				p->pad_left -= (unsigned)w;
			return w;
		}
		/* the file's bytes first, not a byte of what follows them */
		if ((off_t)owed > p->payload_end - p->payload_off)
			owed = (size_t)(p->payload_end - p->payload_off);
	}
	if (p->payload_how == PAYLOAD_UNKNOWN)
		choose_payload_way(p);
	if (p->payload_how == PAYLOAD_COPY) {
		w = fill_cbuf(p);
		if (w > 0)
			w = send_cbuf(p, NULL, 0, owed, (size_t)w);
		if (w > 0)
			p->payload_off += w;
		return w;
	}
	if (p->payload_how == PAYLOAD_SENDFILE)
		return transport_sendfile(
		    &p->t, p->payload_fd, &p->payload_off, owed);
	end = p->map_off + (off_t)p->map_len;
	if (p->payload_off >= end) {
		int rc = map_window(p);

		if (rc <= 0)
			return rc;
		end = p->map_off + (off_t)p->map_len;
	}
	if ((off_t)owed > end - p->payload_off)
		owed = (size_t)(end - p->payload_off);
	w = transport_send(
	    &p->t, p->map + (p->payload_off - p->map_off), owed, 0);
	if (w > 0)
		p->payload_off += w;
	else if (w < 0 && errno == EFAULT)
		w = 0;
	return w;
}

static void
transport_closed(struct pump *p)
{
	if (p->closed)
		return;
	p->closed = 1;
	transport_shutdown(&p->t);
	ul_transport_closed(p->a, net_now_ms());
}

void
pump_closed(struct pump *p)
{
	transport_closed(p);
}

/*
 * PS3.8 Sta13 (after our A-ABORT, A-ASSOCIATE-RJ or A-RELEASE-RP): once
 * the last PDU is written, shut the write side so the peer reads an end
 * after it, but keep reading (and discarding, the engine ignores what
 * comes) until the peer closes or ARTIM expires.  Closing with unread
 * bytes would send a TCP reset, and a reset makes the peer's kernel drop
 * what it had received and not yet read: responses to requests we had
 * answered, and our A-ABORT itself.
 */
static void
shut_write_side(struct pump *p)
{
	const uint8_t *out;

	if (p->closed || p->shut_wr)
		return;
	p->shut_wr = 1;
	/* whatever is still queued can never leave now */
	ul_out_consume(p->a, ul_out_peek(p->a, &out));
	if (!p->wr_failed)
		transport_shutdown_wr(&p->t);
}

/*
 * Whether a failed payload write was the file's fault, not the network's.
 * A copied payload knows (its pread failed); sendfile and the mapping
 * cannot tell, so errno decides: the peer's going away is the network's.
 */
static int
payload_read_failed(const struct pump *p)
{
	if (p->payload_how == PAYLOAD_COPY)
		return p->cbuf_read_failed;
	return errno != EPIPE && errno != ECONNRESET;
}

/*
 * Writes what can be written now without blocking.  Returns 1 if output
 * remains, 0 if all is written, or a negative code.
 */
static int
write_some(struct pump *p, struct cs_err *err)
{
	for (;;) {
		const uint8_t *out;
		size_t n = ul_out_peek(p->a, &out);
		size_t owed = ul_out_payload_owed(p->a);
		ssize_t w;

		if (n > 0) {
			/* MSG_MORE: a PDV header is followed at once by its
			 * payload; let the kernel put both in one segment. */
			size_t next = ul_out_payload_next(p->a);
			int more = next > 0;

			w = more ? write_with_payload(p, out, n, next) : 0;
			if (w > 0) {
				p->ack_owed = 0;
				continue;
			}
			if (w == 0)
				w = transport_send(&p->t, out, n, more);
			/* a segment that leaves now carries our ACK */
			if (w > 0 && !more)
				p->ack_owed = 0;
		} else if (owed > 0) {
			if (p->payload_failed)
				return 0; /* nothing can follow: only read now */
			if (p->payload_fd < 0)
				return cs_err_set(err, CS_E_FATAL,
				    "payload owed but no payload file set");
			if (p->rate != NULL)
				owed = rate_take(p, owed);
			w = write_payload(p, owed);
			if (p->rate != NULL && (w < 0 || (size_t)w < owed))
				net_rate_refund(
				    p->rate, owed - (w > 0 ? (size_t)w : 0));
			if (w == 0) {
				p->payload_failed = 1;
				return cs_err_set(err, CS_E_IO,
				    "file ended before its dataset was sent");
			}
			if (w > 0) {
				p->ack_owed = 0;
				ul_out_payload_sent(p->a, (size_t)w);
				p->bytes_out += (uint64_t)w;
				continue;
			}
		} else {
			/* TLS records still in the transport's buffer */
			w = transport_flush(&p->t);
			if (w == 0)
				return 0;
		}
		if (w < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 1;
			if (n == 0 && owed > 0 && payload_read_failed(p)) {
				p->payload_failed = 1;
				return cs_err_set(err, CS_E_IO,
				    "cannot read the dataset to send: %s",
				    strerror(errno));
			}
			/*
			 * The peer is gone for writing (EPIPE, a reset), but
			 * what it sent before may still wait unread: its
			 * responses and its A-ABORT.  Read on until the end
			 * rather than close and lose them.
			 */
			cs_err_set(err, CS_E_NET, "connection lost: %s",
			    strerror(errno));
			p->wr_failed = 1;
			shut_write_side(p);
			return CS_E_NET;
		}
		ul_out_consume(p->a, (size_t)w);
		p->bytes_out += (uint64_t)w;
	}
}

/* In Sta13 what arrives is read and discarded: never held back. */
static int
input_held(struct pump *p)
{
	return p->hold && ul_state(p->a) != UL_STA13;
}

/*
 * Gives the engine the input read but not consumed.  A callback that
 * pauses leaves the rest for later; an association that ended part way
 * consumes nothing more, and the rest is dropped.
 */
static int
feed(struct pump *p, struct cs_err *err)
{
	ssize_t used;
	int was_sta13 = ul_state(p->a) == UL_STA13;
	/* an acceptor awaiting the RQ: what it consumes may hold a passcode,
	 * which the engine has copied and wipes once judged; so here */
	int before_rq = ul_state(p->a) == UL_STA2;

	used = ul_recv(p->a, p->rbuf + p->roff, p->rlen, net_now_ms());
	if (used > 0 && before_rq)
		explicit_bzero(p->rbuf + p->roff, (size_t)used);
	if (used > 0) {
		p->roff += (size_t)used;
		p->rlen -= (size_t)used;
	}
	if (used <= 0 || ul_state(p->a) == UL_STA1)
		p->rlen = 0;
	return pump_fed(p, used, was_sta13, err);
}

int
pump_fed(struct pump *p, ssize_t used, int was_sta13, struct cs_err *err)
{
	if (used > 0)
		p->bytes_fed += (uint64_t)used;
	if (p->quickack && used >= 0)
		p->ack_owed = 1;
	/*
	 * A failure here means the engine has queued an A-ABORT and is in
	 * Sta13: the loop writes it and then waits for the peer to close
	 * (shut_write_side).  What arrives in Sta13 is the engine's to
	 * ignore, not a new failure.
	 */
	if (used < 0 && !was_sta13) {
		const struct cs_err *e = ul_last_error(p->a);

		return cs_err_set(err, (int)used, "%s",
		    e && e->code ? e->msg : cs_strerror((int)used));
	}
	return 0;
}

/*
 * The first bytes from a peer on a plain transport are a TLS record
 * (handshake 0x16 or alert 0x15, version 3.x): no PDU type is 0x15 or
 * 0x16, so the peer is a TLS client or server, and saying so beats the
 * engine's "unknown PDU type".
 */
static int
tls_record_start(const struct pump *p, ssize_t r)
{
	return transport_is_plain(&p->t) && r >= 2 &&
	    (p->rbuf[0] == 0x15 || p->rbuf[0] == 0x16) && p->rbuf[1] == 0x03;
}

/* n bytes of b start like word (as far as both go: a first read may
 * hold "HTT" alone). */
static int
starts_like(const char *b, size_t n, const char *word)
{
	size_t w = strlen(word);

	return n > 0 && memcmp(b, word, n < w ? n : w) == 0;
}

/*
 * More of the first line of an HTTP peer than a first read held (up to
 * cap bytes in all, for HTTP_LINE_MS at most): it is only shown, so a
 * peer that sends nothing more loses nothing but its words.
 */
#define HTTP_LINE_MS 2000
static size_t
http_more(struct pump *p, size_t n, size_t cap)
{
	uint64_t until = net_now_ms() + HTTP_LINE_MS, now;
	struct pollfd pfd = { .fd = p->fd, .events = POLLIN };
	ssize_t r;

	while (n < cap && memchr(p->rbuf, '\n', n) == NULL &&
	    memchr(p->rbuf, '\r', n) == NULL && transport_is_plain(&p->t) &&
	    (now = net_now_ms()) < until) {
		if (poll(&pfd, 1, (int)(until - now)) <= 0)
			break;
		r = transport_recv(&p->t, p->rbuf + n, cap - n);
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	return n;
}

/*
 * The first bytes from a peer are HTTP: an answer ("HTTP/1.1 400 Bad
 * Request", a web server where a DICOM port was meant) to a requestor,
 * a request ("GET / HTTP/1.1") to an acceptor.  No PDU type is an ASCII
 * letter, so the start of the word is enough (a first read may hold a
 * few bytes only).  0, or 1 with err set saying so, its first line
 * shown.
 */
static int
http_start(struct pump *p, ssize_t r, int acceptor, struct cs_err *err)
{
	static const char *const verbs[] = { "GET ", "POST ", "HEAD ", "PUT ",
		"OPTIONS ", "CONNECT ", "DELETE ", "PATCH ", "PRI * " };
	const char *b = (const char *)p->rbuf;
	char line[64];
	size_t k, n = (size_t)r, is = 0;

	if (acceptor)
		for (k = 0; k < sizeof(verbs) / sizeof(verbs[0]); k++)
			is |= starts_like(b, n, verbs[k]);
	else
		is = starts_like(b, n, "HTTP/");
	if (!is)
		return 0;
	n = http_more(p, n, sizeof(line) - 1);
	for (k = 0;
	     k < n && k + 1 < sizeof(line) && b[k] != '\r' && b[k] != '\n'; k++)
		line[k] = b[k] >= 0x20 && b[k] < 0x7f ? b[k] : '?';
	line[k] = '\0';
	p->http = 1;
	cs_err_set(err, CS_E_UNREACHABLE, "%s (\"%s\")",
	    acceptor ? "an HTTP client on the DICOM port"
		     : "the peer answered in HTTP: a web server, not a DICOM "
		       "port",
	    line);
	return 1;
}

static int
read_some(struct pump *p, struct cs_err *err)
{
	size_t max = pump_splice_read_max(p);
	ssize_t r;
	int rc;

	do
		r = transport_recv(&p->t, p->rbuf, max);
	while (r < 0 && errno == EINTR);
	if (r < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return 0;
		if (errno == EPROTO)
			cs_err_set(
			    err, CS_E_TLS, "TLS: %s", transport_error(&p->t));
		else
			cs_err_set(err, CS_E_NET, "connection lost: %s",
			    strerror(errno));
		transport_closed(p);
		return 0;
	}
	if (r == 0) {
		transport_closed(p);
		return 0;
	}
	if (p->bytes_in == 0 && tls_record_start(p, r)) {
		int acceptor = ul_state(p->a) == UL_STA2;

		transport_closed(p);
		return cs_err_set(err, CS_E_TLS, "%s",
		    acceptor
			? "a TLS client on a port without TLS"
			: "the peer answered in TLS: the port wants --tls");
	}
	if (p->bytes_in == 0 &&
	    http_start(p, r, ul_state(p->a) == UL_STA2, err)) {
		transport_closed(p);
		/* err is NULL when lingering (pump_linger, scu_read_rest) */
		return err != NULL ? err->code : CS_E_UNREACHABLE;
	}
	p->bytes_in += (uint64_t)r;
	p->roff = 0;
	p->rlen = (size_t)r;
	rc = feed(p, err);
	pump_splice_after_read(p, max, (size_t)r);
	return rc;
}

/*
 * While splicing, the headers and the payload after them may be taken
 * at once, without a poll between (all of it is usually queued): as
 * long as nothing is to be written or held and the engine took it all.
 */
static int
splice_goes_on(struct pump *p)
{
	const uint8_t *out;

	return p->splicing && !p->closed && p->rlen == 0 && !input_held(p) &&
	    ul_state(p->a) == UL_STA6 && ul_out_peek(p->a, &out) == 0 &&
	    ul_out_payload_owed(p->a) == 0;
}

/* A read's turn: spliced payload (pump_splice.c) or a read, repeated
 * while splicing goes on, up to about what one read would take. */
static int
read_in(struct pump *p, struct cs_err *err)
{
	uint64_t start = p->bytes_in, before;
	int rc;

	do {
		before = p->bytes_in;
		rc = pump_splice_in(p, err);
		rc = rc == 0 ? read_some(p, err) : rc < 0 ? rc : 0;
	} while (rc == 0 && p->bytes_in != before && splice_goes_on(p) &&
	    p->bytes_in - start < PUMP_RBUF);
	return rc;
}

/* Input held, and the socket failed or both ways are shut: nothing
 * more can come through it. */
static int
hung_up(struct pump *p, struct cs_err *err)
{
	cs_err_set(err, CS_E_NET, "connection lost");
	transport_closed(p);
	return 0;
}

static int
association_over(struct pump *p)
{
	return p->closed || ul_state(p->a) == UL_STA1;
}

int
pump_run(struct pump *p, int (*done)(void *ctx), void *ctx, int timeout_ms,
    struct cs_err *err)
{
	uint64_t start = net_now_ms();
	uint64_t limit = timeout_ms > 0 ? start + (uint64_t)timeout_ms : 0;

	for (;;) {
		struct pollfd pfd;
		int64_t dl;
		uint64_t now;
		int wait_ms = -1, rc, pending;

		if (done != NULL && done(ctx))
			return 0;
		pending = p->closed || p->shut_wr ? 0 : write_some(p, err);
		if (pending < 0 && pending != CS_E_NET)
			return pending;
		if (done != NULL && done(ctx))
			return 0;
		if (!p->closed && pending == 0 && ul_want_close(p->a)) {
			transport_closed(p);
		}
		if (pending == 0 && ul_state(p->a) == UL_STA13)
			shut_write_side(p);
		if (association_over(p)) {
			if (done != NULL && done(ctx))
				return 0;
			if (done == NULL)
				return 0;
			if (err != NULL && err->code != 0)
				return err->code;
			return CS_E_CLOSED;
		}
		now = net_now_ms();
		dl = ul_next_deadline(p->a);
		if (dl >= 0)
			wait_ms =
			    (uint64_t)dl <= now ? 0 : (int)((uint64_t)dl - now);
		if (limit) {
			if (now >= limit)
				return cs_err_set(err, CS_E_TIMEOUT,
				    "no answer from the peer within %d ms",
				    timeout_ms);
			if (wait_ms < 0 || (uint64_t)wait_ms > limit - now)
				wait_ms = (int)(limit - now);
		}
		if (p->rlen > 0 && !input_held(p)) {
			/* the rest of a paused read, now that the output
			 * is written as far as the socket takes it */
			rc = feed(p, err);
			if (rc < 0)
				return rc;
			continue;
		}
		if (!input_held(p) && transport_pending(&p->t) > 0) {
			/* decrypted already: poll would not see it */
			rc = read_some(p, err);
			if (rc < 0)
				return rc;
			continue;
		}
		pfd.fd = p->fd;
		pfd.events = transport_events(&p->t,
		    (short)((input_held(p) ? 0 : POLLIN) |
			(pending > 0 ? POLLOUT : 0)));
		pfd.revents = 0;
		if (p->ack_owed) {
			/* about to wait with nothing of ours carrying it */
			net_quickack(p->fd);
			p->ack_owed = 0;
		}
		rc = poll(&pfd, 1, wait_ms);
		if (rc < 0 && errno != EINTR)
			return cs_err_set(
			    err, CS_E_NET, "poll: %s", strerror(errno));
		if (rc > 0 && (pfd.revents & (POLLIN | POLLHUP | POLLERR))) {
			rc = input_held(p) ? hung_up(p, err) : read_in(p, err);
			if (rc < 0)
				return rc;
		}
		now = net_now_ms();
		dl = ul_next_deadline(p->a);
		if (dl >= 0 && (uint64_t)dl <= now)
			ul_tick(p->a, now);
	}
}

static int
flushed(void *ctx)
{
	struct pump *p = ctx;
	const uint8_t *out;

	/* after a payload or socket failure nothing more can be written */
	return p->payload_failed || p->shut_wr ||
	    (ul_out_peek(p->a, &out) == 0 && ul_out_payload_owed(p->a) == 0 &&
		transport_unsent(&p->t) == 0);
}

int
pump_flush(struct pump *p, int timeout_ms, struct cs_err *err)
{
	int rc = pump_run(p, flushed, p, timeout_ms, err);

	if (rc == 0 && p->wr_failed)
		return err != NULL && err->code != 0
		    ? err->code
		    : cs_err_set(err, CS_E_NET, "connection lost");
	return rc;
}

void
pump_linger(struct pump *p, int timeout_ms)
{
	if (p->closed)
		return;
	if (ul_state(p->a) == UL_STA13) {
		/* until the peer closes, the engine's ARTIM expires, or the
		 * caller's own limit passes */
		if (pump_run(p, NULL, NULL, timeout_ms, NULL) == 0 || p->closed)
			return;
	}
	transport_closed(p);
}

void
pump_hold(struct pump *p, int hold)
{
	p->hold = hold;
}
