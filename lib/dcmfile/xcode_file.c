/*
 * xcode_file.c - dcmfile_transcode: a file through the streaming
 * transcoder (xcode.h) into an unlinked temporary file.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dcmfile/dcmfile.h"
#include "dcmfile/mapguard.h"
#include "dcmfile/part10.h"
#include "dcmfile/xcode.h"
#include "dcmfile/xcode_pixels.h"
#include "dcmfile/xcode_zlib.h"
#include "core/ts.h"
#include "core/banned.h"

struct fd_sink {
	int fd;
	uint64_t written;
};

static int
fd_write(void *ctx, const void *p, size_t n)
{
	struct fd_sink *s = ctx;
	const uint8_t *b = p;
	ssize_t w;

	while (n > 0) {
		w = write(s->fd, b, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return w < 0 && errno == ENOSPC ? CS_E_NOSPACE
							: CS_E_IO;
		b += w;
		n -= (size_t)w;
		s->written += (uint64_t)w;
	}
	return 0;
}

/*
 * Where the result goes: for a small source an anonymous memory file
 * (no file system, no write-back: the result is read once by sendfile);
 * otherwise an unlinked temporary file in $TMPDIR or /tmp.
 */
#define MEMFD_MAX ((uint64_t)64 << 20)

static int
make_tmpfile(uint64_t src_size, struct cs_err *err)
{
	const char *dir = getenv("TMPDIR");
	char name[4096];
	int fd;

	if (src_size <= MEMFD_MAX) {
		fd = memfd_create("cstore-transcode", MFD_CLOEXEC);
		if (fd >= 0)
			return fd;
	}

	if (dir == NULL || dir[0] == '\0')
		dir = "/tmp";
	fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd >= 0)
		return fd;
	if (snprintf(name, sizeof(name), "%s/cstore-transcode-XXXXXX", dir) >=
	    (int)sizeof(name))
		return cs_err_set(
		    err, CS_E_IO, "temporary directory name too long");
	fd = mkostemp(name, O_CLOEXEC);
	if (fd < 0)
		return cs_err_set(err, CS_E_IO,
		    "cannot create a temporary file in '%s': %s", dir,
		    strerror(errno));
	unlink(name);
	return fd;
}

/* 1 for Deflated Explicit VR Little Endian, the one deflated syntax
 * whose data set we inflate and deflate ourselves (PS3.5 A.5). */
static int
deflated_evrle(const char *ts)
{
	return strcmp(ts, TS_UID_DeflatedExplicitVRLittleEndian) == 0;
}

/*
 * Inflates a Deflated data set (PS3.5 A.5: raw deflate of Explicit VR
 * LE) into a temporary file and maps it, for the walker to read in
 * place: the heap holds only zlib's state, whatever the size.  At most
 * PART10_INFLATED_MAX bytes.  The mapping (*map, *len bytes) is the
 * caller's to munmap.
 */
static int
inflate_mapped(const uint8_t *p, size_t n, const uint8_t **map, size_t *len,
    size_t *tail, struct cs_err *err)
{
	struct fd_sink sink = { -1, 0 };
	uint64_t got = 0;
	void *m;
	int rc;

	*map = NULL;
	*len = 0;
	/* a file, never memory: a few KB of stream can inflate to GBs */
	sink.fd = make_tmpfile(MEMFD_MAX + 1, err);
	if (sink.fd < 0)
		return sink.fd;
	rc = xcode_inflate(
	    p, n, PART10_INFLATED_MAX, fd_write, &sink, &got, tail, err);
	if (rc == CS_E_IO || rc == CS_E_NOSPACE)
		cs_err_set(err, rc, "cannot write the inflated data set: %s",
		    strerror(errno));
	if (rc == 0 && got > 0) {
		m = mmap(NULL, (size_t)got, PROT_READ, MAP_PRIVATE, sink.fd, 0);
		if (m == MAP_FAILED)
			rc = cs_err_set(err, CS_E_IO,
			    "cannot map the inflated data set: %s",
			    strerror(errno));
		else
			*map = m;
	}
	close(sink.fd);
	if (rc == 0)
		*len = (size_t)got;
	return rc;
}

static int
transcode_mapped(int fd, const struct part10_info *src, const char *ts_uid,
    int allow_lossy, int pad, struct dcmfile_transcoded *out,
    struct cs_err *err)
{
	struct xcode_req req = { src->ts_uid, ts_uid, allow_lossy, NULL, pad };
	struct xcode_result res;
	struct fd_sink sink = { -1, 0 };
	char uid[DCMFILE_UID_MAX + 1];
	const uint8_t *map = NULL, *ds, *inflated = NULL;
	struct xcode_deflate *dfl = NULL;
	size_t size = (size_t)src->file_size, ds_len, inflated_len = 0;
	size_t tail = 0;
	xcode_sink_fn put = fd_write;
	void *put_ctx = &sink;
	int rc, guard = -1;

	if (src->dataset_offset > src->file_size)
		return cs_err_set(err, CS_E_TRUNCATED, "no data set");
	if (size > 0) {
		map = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
		if (map == MAP_FAILED)
			return cs_err_set(err, CS_E_IO,
			    "cannot map the file: %s", strerror(errno));
		/* our code reads it: a file cut short meanwhile must not
		 * be SIGBUS (mapguard.h) */
		guard = mapguard_add(map, size);
	}
	ds = map + src->dataset_offset;
	/* without padding after its last element (part10.h) */
	ds_len = (size_t)src->dataset_length;
	if (deflated_evrle(src->ts_uid)) {
		rc = inflate_mapped(
		    ds, ds_len, &inflated, &inflated_len, &tail, err);
		if (rc != 0)
			goto out;
		ds = inflated;
		ds_len = inflated_len;
		req.src_ts = TS_UID_ExplicitVRLittleEndian;
	}
	if (allow_lossy) {
		rc = xcode_derived_uid(
		    src->sop_instance, ts_uid, uid, sizeof(uid), err);
		if (rc != 0)
			goto out;
		req.new_instance = uid;
	}
	sink.fd = make_tmpfile(src->file_size, err);
	if (sink.fd < 0) {
		rc = sink.fd;
		goto out;
	}
	if (deflated_evrle(ts_uid)) {
		/* PS3.5 A.5: Explicit VR LE, deflated as it is written */
		req.dst_ts = TS_UID_ExplicitVRLittleEndian;
		if ((dfl = xcode_deflate_new(fd_write, &sink, -1, err)) ==
		    NULL) {
			close(sink.fd);
			rc = CS_E_NOMEM;
			goto out;
		}
		put = xcode_deflate_put;
		put_ctx = dfl;
	}
	rc = xcode_dataset(ds, ds_len, &req, put, put_ctx, &res, err);
	if (rc == 0 && dfl != NULL)
		rc = xcode_deflate_finish(dfl, NULL, err);
	if (rc == CS_E_IO || rc == CS_E_NOSPACE)
		cs_err_set(err, rc, "cannot write the transcoded data set: %s",
		    strerror(errno));
	/* PS3.8 E.1: no PDV can carry it (a deflated stream gets its pad
	 * byte on the wire instead, PS3.5 A.5) */
	if (rc == 0 && pad && (sink.written & 1) && dfl == NULL)
		rc = cs_err_set(err, CS_E_UNSUPPORTED,
		    "its length stays odd (%llu bytes) with every odd-length "
		    "value padded: odd bytes outside values",
		    (unsigned long long)sink.written);
	if (rc == 0 && lseek(sink.fd, 0, SEEK_SET) != 0)
		rc = cs_err_set(err, CS_E_IO,
		    "cannot seek the transcoded data set: %s", strerror(errno));
	if (rc != 0) {
		close(sink.fd);
		goto out;
	}
	out->fd = sink.fd;
	out->length = sink.written;
	snprintf(out->ts_uid, sizeof(out->ts_uid), "%s", ts_uid);
	out->lossy = res.lossy;
	out->ratio = res.ratio;
	out->frames = res.frames;
	out->padded = res.padded;
	out->group_lengths = res.group_lengths;
	out->lossy_marked = res.lossy_marked;
	out->deflate_tail = tail;
	snprintf(out->sop_instance, sizeof(out->sop_instance), "%s",
	    res.lossy ? uid : src->sop_instance);
out:
	xcode_deflate_free(dfl);
	if (inflated != NULL)
		munmap((void *)(uintptr_t)inflated, inflated_len);
	if (mapguard_remove(guard)) {
		/* read past its new end as zeros: nothing of it is sent */
		if (rc == 0) {
			close(out->fd);
			out->fd = -1;
		}
		cs_err_clear(err);
		rc = cs_err_set(err, CS_E_TRUNCATED,
		    "file could not be read while it was converted (it "
		    "shrank, or an I/O error)");
	}
	if (map != NULL)
		munmap((void *)map, size);
	return rc;
}

/* Clears *out (fd -1) when given, then refuses a missing argument:
 * both entry points promise out->fd -1 on every error. */
static int
start_result(struct dcmfile_transcoded *out, int args_ok, struct cs_err *err)
{
	if (out != NULL) {
		memset(out, 0, sizeof(*out));
		out->fd = -1;
	}
	if (!args_ok || out == NULL)
		return cs_err_set(
		    err, CS_E_INVAL, "dcmfile_transcode: NULL argument");
	return 0;
}

int
dcmfile_transcode(const char *path, const char *ts_uid, int allow_lossy,
    struct dcmfile_transcoded *out, struct cs_err *err)
{
	int fd, rc;

	if ((rc = start_result(out, path != NULL && ts_uid != NULL, err)) != 0)
		return rc;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return cs_err_set(err, CS_E_IO, "cannot open '%s': %s", path,
		    strerror(errno));
	rc = dcmfile_transcode_fd(fd, path, ts_uid, allow_lossy, out, err);
	close(fd);
	return rc;
}

/*
 * Probes fd into *src, its data set's end before any zero padding after
 * it (part10.h): only a file ending in a zero byte, not Deflated, can
 * have some, and only such a one is walked to its end again (the
 * sender verified it already).
 */
static int
probe_end(int fd, struct part10_info *src, struct cs_err *err)
{
	uint8_t last = 1;
	int rc = part10_probe_fd(fd, 0, src, err);

	if (rc != 0 || ts_is_deflated(src->ts_uid) || src->file_size == 0 ||
	    pread(fd, &last, 1, (off_t)(src->file_size - 1)) != 1 || last != 0)
		return rc;
	return part10_probe_fd(fd, PART10_O_VERIFY, src, err);
}

static int
convert_fd(int fd, const char *path, const char *ts_uid, int allow_lossy,
    int pad, struct dcmfile_transcoded *out, struct cs_err *err)
{
	struct part10_info src;
	int rc;

	if ((rc = start_result(
		 out, fd >= 0 && path != NULL && ts_uid != NULL, err)) != 0)
		return rc;
	rc = probe_end(fd, &src, err);
	if (rc == 0 && !dcmfile_can_transcode(src.ts_uid, ts_uid, allow_lossy))
		rc = cs_err_set(err, CS_E_UNSUPPORTED,
		    "cannot transcode '%s' from %s to %s%s", path, src.ts_uid,
		    ts_uid,
		    !dcmfile_can_transcode(
			TS_UID_ExplicitVRLittleEndian, ts_uid, 1)
			? ": unknown transfer syntax"
			: dcmfile_can_transcode(src.ts_uid, ts_uid, 1)
			? ": lossy compression not allowed"
			: "");
	/* GDCM's whole-file rewrite keeps the SOP Instance UID (PS3.3
	 * C.12.1.1.1 wants a new one after lossy compression): refused */
	if (rc == 0 && !deflated_evrle(src.ts_uid) &&
	    ts_is_deflated(src.ts_uid) && xcp_lossy_method(ts_uid) != NULL &&
	    strcmp(src.ts_uid, ts_uid) != 0)
		rc = cs_err_set(err, CS_E_UNSUPPORTED,
		    "cannot transcode '%s' from "
		    "Deflated %s to lossy %s: a lossy copy needs a new SOP Instance "
		    "UID, which that path does not make",
		    path, src.ts_uid, ts_uid);
	/* Deflated Explicit VR LE is inflated and deflated here; the other
	 * deflated syntaxes still go through GDCM's whole-file rewrite */
	if (rc == 0 && pad && ts_is_deflated(src.ts_uid) &&
	    !deflated_evrle(src.ts_uid))
		rc = cs_err_set(err, CS_E_UNSUPPORTED,
		    "cannot pad the values of '%s': %s is read by GDCM's "
		    "whole-file rewrite only",
		    path, src.ts_uid);
	if (rc == 0 &&
	    ((ts_is_deflated(src.ts_uid) && !deflated_evrle(src.ts_uid)) ||
		(ts_is_deflated(ts_uid) && !deflated_evrle(ts_uid)))) {
		/* the very file fd is open on, whatever its name holds now */
		rc = dcmfile_gdcm_transcode(fd, ts_uid, allow_lossy, out, err);
		if (rc == 0)
			snprintf(out->sop_instance, sizeof(out->sop_instance),
			    "%s", src.sop_instance);
		return rc;
	}
	if (rc == 0)
		rc = transcode_mapped(
		    fd, &src, ts_uid, allow_lossy, pad, out, err);
	return rc;
}

int
dcmfile_transcode_fd(int fd, const char *path, const char *ts_uid,
    int allow_lossy, struct dcmfile_transcoded *out, struct cs_err *err)
{
	return convert_fd(fd, path, ts_uid, allow_lossy, 0, out, err);
}

int
dcmfile_pad_odd_fd(int fd, const char *path, const char *ts_uid,
    int allow_lossy, struct dcmfile_transcoded *out, struct cs_err *err)
{
	return convert_fd(fd, path, ts_uid, allow_lossy, 1, out, err);
}
