/*
 * store_splice.c - data set bytes that reach the file without passing
 * through user space: the I/O loop splices them from the socket into a
 * pipe (pump.h, pump_set_unseen), and the store moves them on from the
 * pipe into its open file (see store.h).  Only where the ordinary path
 * would write exactly those bytes and look at none of them: the file
 * open, the data set not refused, the scanner counting a value it does
 * not keep (or done), a Deflated data set only past the inflater's tail
 * cap, and not across --max-object-size.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "cstore/cstore.h"
#include "core/ds_scan.h"
#include "core/status.h"
#include "storescp/store.h"
#include "core/banned.h"

uint64_t
store_unseen_room(struct store *st, uint64_t n, int fd, size_t *held)
{
	uint64_t max = st->s->cfg.max_object_size, room = n;

	if (!st->sink_open || st->deferred || st->head.on ||
	    st->status != STATUS_CODE_SUCCESS || st->no_splice)
		return 0;
	if (st->scanning && st->scan_rc == 0) {
		/* a Deflated stream is inflated to its end (the UIDs,
		 * then the tail: store_inflate.h) unless past the cap */
		uint64_t k = st->zin != NULL
		    ? (store_inflate_out(st->zin) >= STORE_INFLATE_TAIL_MAX
			      ? UINT64_MAX
			      : 0)
		    : ds_scan_skippable(&st->scan);

		room = k < room ? k : room;
	}
	/* the chunk that crosses the limit goes the ordinary way */
	if (max != 0)
		room = st->ds_bytes >= max      ? 0
		    : max - st->ds_bytes < room ? max - st->ds_bytes
						: room;
	st->unseen_fd = fd;
	st->unseen_held = held;
	return room;
}

/*
 * The file system cannot splice (EINVAL): the bytes are read from the
 * pipe and written as usual, and this association splices no more.
 */
static int
copy_from_pipe(struct store *st, size_t len, struct cs_err *err)
{
	uint8_t buf[16384];

	st->no_splice = 1;
	while (len > 0) {
		ssize_t r = read(
		    st->unseen_fd, buf, len < sizeof(buf) ? len : sizeof(buf));

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return cs_err_set(err, CS_E_IO,
			    "cannot read the spliced bytes: %s",
			    r < 0 ? strerror(errno) : "pipe empty");
		*st->unseen_held -= (size_t)r;
		len -= (size_t)r;
		if (sink_write(&st->sink, buf, (size_t)r, err) != 0)
			return err->code;
	}
	return 0;
}

/* len bytes from the pipe into the file, after the pending header. */
static int
splice_in(struct store *st, size_t len, struct cs_err *err)
{
	int rc = sink_write(&st->sink, NULL, 0, err);

	while (rc == 0 && len > 0) {
		ssize_t w = splice(
		    st->unseen_fd, NULL, st->sink.fd, NULL, len, SPLICE_F_MOVE);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno == EINVAL)
			return copy_from_pipe(st, len, err);
		if (w <= 0) /* 0 for a regular file: no progress possible */
			return sink_write_failed(
			    &st->sink, w < 0 ? errno : EIO, err);
		st->sink.bytes += (uint64_t)w;
		*st->unseen_held -= (size_t)w;
		len -= (size_t)w;
	}
	return rc;
}

void
store_unseen(struct store *st, size_t len)
{
	struct cs_err err = { 0, "" };
	int rc;

	if (st->scanning && st->scan_rc == 0 && st->zin == NULL) {
		rc = ds_scan_skip(&st->scan, len, &st->scan_err);
		st->scan_rc = rc < 0 ? rc : 0;
	}
	if (!st->sink_open || st->deferred || st->scan_rc == CS_E_INVAL) {
		/* store_unseen_room said no: never here */
		store_write_failed(st, CS_E_FATAL,
		    "data set bytes passed unseen where they must be seen");
		return;
	}
	rc = splice_in(st, len, &err);
	if (rc != 0)
		store_write_failed(st, rc, err.msg);
}
