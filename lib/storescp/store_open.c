/*
 * store_open.c - where a C-STORE's temporary file is made: in the
 * directory its final name will be in, so that naming it is a link or
 * a rename on one file system, never a copy across two.
 *
 * A layout that names only the command's UIDs, the AE titles and the
 * date is known at once.  One that names other data set values is
 * known once those elements have passed (top-level elements come in
 * ascending order, PS3.5 7.1), typically within the first kilobytes:
 * until then the bytes wait in memory (at most STORE_PEND_MAX), and an
 * early-stopping scanner of just those tags says when.  Nothing is
 * written before the file exists, so --min-free-space refuses an object
 * before a byte of it reaches the disk.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cstore/cstore.h"
#include "core/alloc.h"
#include "core/ds_scan.h"
#include "core/status.h"
#include "storescp/layout.h"
#include "storescp/store.h"
#include "core/banned.h"

#define refuse(st, code, ...)                                                  \
	((st)->status = (code),                                                \
	    store_why((st)->comment, sizeof((st)->comment), __VA_ARGS__))

static const char *
lookup(void *arg, uint32_t tag, size_t *lenp)
{
	struct store *st = arg;
	const char *v = NULL;

	if (st->scanning && st->scan_rc == 0)
		v = layout_ds_scan_lookup(&st->scan, tag, lenp);
	if (v != NULL)
		return v;
	/* A data set we could not scan (Deflated): the command's UIDs. */
	if (tag == DS_TAG_SOP_INSTANCE_UID)
		v = st->rq->affected_instance;
	else if (tag == DS_TAG_SOP_CLASS_UID)
		v = st->rq->affected_class;
	if (v != NULL)
		*lenp = strlen(v);
	return v;
}

static void
today(char *buf, size_t n)
{
	time_t t = time(NULL);
	struct tm tm;

	if (localtime_r(&t, &tm) == NULL ||
	    strftime(buf, n, "%Y%m%d", &tm) == 0)
		snprintf(buf, n, "%s", "00000000");
}

int
store_render(struct store *st, char *rel, size_t relsz, struct cs_err *err)
{
	struct layout_input in;
	char date[16];

	today(date, sizeof(date));
	in = (struct layout_input){ .lookup = lookup,
		.arg = st,
		.calling_aet = st->who.calling,
		.called_aet = st->who.called,
		.date = date };
	return layout_render(&st->s->layout, &in, rel, relsz, err);
}

/* Opens the temporary file in reldir with its File Meta Information. */
static int
open_sink(struct store *st, const char *reldir)
{
	struct storescp *s = st->s;
	struct cs_err err = { 0, "" };
	struct sink_meta meta;
	const char *ae = st->who.calling;
	int rc;

	/* The meta header's Source AE (AE VR) cannot hold a backslash. */
	for (const char *p = ae; *p != '\0'; p++)
		if (*p == '\\' || (unsigned char)*p < 0x20)
			ae = NULL;
	meta = (struct sink_meta){
		.sop_class = st->rq->affected_class,
		.sop_instance = st->rq->affected_instance,
		.ts_uid = st->ts,
		.impl_uid = CS_IMPL_CLASS_UID,
		.impl_version = CS_IMPL_VERSION,
		.source_ae = ae != NULL && ae[0] != '\0' ? ae : NULL,
	};
	rc = sink_begin_spare(&st->sink, &s->root, reldir, &st->spare,
	    s->cfg.fsync ? SINK_FSYNC : 0, &meta, &err);
	if (rc == 0) {
		st->sink_open = 1;
		return 0;
	}
	sink_abort(&st->sink);
	scp_log(s, STORESCP_LOG_ERROR, "association %u: cannot store '%s': %s",
	    st->who.id, st->rq->affected_instance, err.msg);
	if (rc == CS_E_INVAL)
		refuse(st, STATUS_CODE_CANNOT_UNDERSTAND, "%s", err.msg);
	else if (rc == CS_E_NOSPACE && s->root.min_free > 0)
		refuse(st, STATUS_CODE_OUT_OF_RESOURCES,
		    "out of resources: less free space than the minimum");
	else
		refuse(st, STATUS_CODE_OUT_OF_RESOURCES, "cannot write: %s",
		    st->sink.root_gone ? SINK_ROOT_GONE
				       : store_fail_reason(rc, err.msg));
	return rc;
}

/* Opens the file in the layout's directory for this object (the output
 * directory itself when it cannot be rendered yet or at all). */
static int
open_in_layout_dir(struct store *st, int known)
{
	char rel[LAYOUT_PATH_MAX];
	char *slash;

	st->deferred = 0;
	if (!known || store_render(st, rel, sizeof(rel), NULL) < 0 ||
	    (slash = strrchr(rel, '/')) == NULL)
		rel[0] = '\0';
	else
		*slash = '\0';
	return open_sink(st, rel);
}

/* Writes the held bytes to the file just opened. */
static void
flush_pending(struct store *st)
{
	size_t n = st->pend_len;

	st->pend_len = 0;
	if (n > 0 && st->sink_open && st->status == STATUS_CODE_SUCCESS)
		store_write(st, st->pend, n);
	cs_free(st->pend);
	st->pend = NULL;
	st->pend_cap = 0;
}

void
store_open_begin(struct store *st)
{
	uint32_t tags[LAYOUT_MAX_TAGS];
	size_t i, n, k = 0;
	enum ds_enc enc;
	struct cs_err err = { 0, "" };

	n = layout_tags(&st->s->layout, tags, LAYOUT_MAX_TAGS);
	/* the command's UIDs are known (the data set's must equal them) */
	for (i = 0; i < n; i++)
		if (tags[i] != DS_TAG_SOP_INSTANCE_UID &&
		    tags[i] != DS_TAG_SOP_CLASS_UID)
			tags[k++] = tags[i];
	if (k == 0 || ds_scan_enc_for_ts(st->ts, &enc) != 0 ||
	    ds_scan_init(&st->early, enc, tags, k, DS_SCAN_STOP_EARLY, &err) !=
		0) {
		/* known now, or never better than now (Deflated) */
		open_in_layout_dir(st, 1);
		return;
	}
	st->deferred = 1;
}

/* Room for len more held bytes: doubling from 64 KiB, at most
 * STORE_PEND_MAX (most layouts are known within the first one). */
static int
grow(struct store *st, size_t len)
{
	size_t cap = st->pend_cap > 0 ? st->pend_cap : 65536;
	uint8_t *p;

	while (cap < st->pend_len + len)
		cap *= 2;
	if (cap > STORE_PEND_MAX)
		cap = STORE_PEND_MAX;
	if ((p = cs_malloc(cap)) == NULL)
		return -1;
	if (st->pend_len > 0)
		memcpy(p, st->pend, st->pend_len);
	cs_free(st->pend);
	st->pend = p;
	st->pend_cap = cap;
	return 0;
}

void
store_open_feed(struct store *st, const uint8_t *data, size_t len)
{
	int rc;

	if (st->pend_len + len > STORE_PEND_MAX) {
		/* the values come too late to wait for: the output directory
		 * now, a move at the end */
		if (open_in_layout_dir(st, 0) == 0)
			flush_pending(st);
		store_write(st, data, len);
		return;
	}
	if (st->pend_len + len > st->pend_cap && grow(st, len) != 0) {
		refuse(st, STATUS_CODE_OUT_OF_RESOURCES, "out of memory");
		store_open_drop(st);
		return;
	}
	memcpy(st->pend + st->pend_len, data, len);
	st->pend_len += len;
	rc = ds_scan_feed(&st->early, data, len, NULL);
	if (rc != 0 && open_in_layout_dir(st, rc == DS_SCAN_DONE) == 0)
		flush_pending(st);
}

void
store_open_end(struct store *st)
{
	if (!st->deferred)
		return;
	if (open_in_layout_dir(st, 1) == 0)
		flush_pending(st);
}

void
store_open_drop(struct store *st)
{
	cs_free(st->pend);
	st->pend = NULL;
	st->pend_len = st->pend_cap = 0;
	st->deferred = 0;
}
