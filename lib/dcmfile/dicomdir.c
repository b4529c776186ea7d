/*
 * dicomdir.c - the Referenced File IDs of a DICOMDIR (see dicomdir.h).
 *
 * The File Meta Information goes through the prober (part10), which
 * says where the data set starts and how it is encoded; the data set
 * goes through the shared walker (core/ds_walk.h), which checks every
 * length against its container and bounds nesting.  This file only
 * follows its steps: into the Directory Record Sequence, into each
 * record, and takes three values of a record's own.
 */
#include <stdarg.h>
#include <stdio.h> /* snprintf only */
#include <stdlib.h>
#include <string.h>

#include "core/ds_scan.h" /* ds_scan_enc_for_ts */
#include "core/ds_walk.h"
#include "core/ts.h" /* ts_is_deflated */
#include "dcmfile/dicomdir.h"
#include "dcmfile/part10.h"

#include "core/banned.h"

/* PS3.3 F.3, PS3.6 */
#define TAG_RECORD_SEQ DS_TAG(0x0004, 0x1220)
#define TAG_IN_USE DS_TAG(0x0004, 0x1410)
#define TAG_RECORD_TYPE DS_TAG(0x0004, 0x1430)
#define TAG_FILE_ID DS_TAG(0x0004, 0x1500)
#define DICOMDIR_CLASS "1.2.840.10008.1.3.10"

/* The longest component a file system names (NAME_MAX). */
#define COMPONENT_MAX 255
/* The most bytes of a refused value kept for its message. */
#define SHOWN_MAX 160
/* The text of every reference together. */
#define TEXT_MAX ((size_t)256 << 20)

void
dicomdir_init(struct dicomdir *dd)
{
	memset(dd, 0, sizeof(*dd));
	wr_init(&dd->text, TEXT_MAX);
}

void
dicomdir_release(struct dicomdir *dd)
{
	if (dd == NULL)
		return;
	free(dd->ref);
	wr_release(&dd->text);
	memset(dd, 0, sizeof(*dd));
}

const char *
dicomdir_path(const struct dicomdir *dd, size_t i)
{
	return i < dd->n ? (const char *)dd->text.p + dd->ref[i].text : NULL;
}

const char *
dicomdir_why_text(enum dicomdir_why why)
{
	switch (why) {
	case DICOMDIR_OK:
		return "";
	case DICOMDIR_EMPTY_COMPONENT:
		return "an empty component (a leading or doubled backslash: "
		       "an absolute path)";
	case DICOMDIR_DOT:
		return "a '.' or '..' component";
	case DICOMDIR_SLASH:
		return "a '/' inside a component";
	case DICOMDIR_CONTROL:
		return "a NUL or control character";
	case DICOMDIR_TOO_LONG:
		return "too long";
	}
	return "?";
}

/* --- one Referenced File ID ----------------------------------------------- */

/* The value without its padding (PS3.5 6.2: CS is padded with a space;
 * some writers pad with NUL). */
static void
trim(const uint8_t **v, size_t *n)
{
	while (*n > 0 && ((*v)[*n - 1] == ' ' || (*v)[*n - 1] == '\0'))
		(*n)--;
	while (*n > 0 && (*v)[0] == ' ') {
		(*v)++;
		(*n)--;
	}
}

/* One component c[0..n), leading and trailing spaces already gone. */
static enum dicomdir_why
check_component(const uint8_t *c, size_t n)
{
	size_t i;

	if (n == 0)
		return DICOMDIR_EMPTY_COMPONENT;
	if (n > COMPONENT_MAX)
		return DICOMDIR_TOO_LONG;
	for (i = 0; i < n; i++) {
		if (c[i] < 0x20 || c[i] == 0x7f)
			return DICOMDIR_CONTROL;
		if (c[i] == '/')
			return DICOMDIR_SLASH;
	}
	if ((n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.'))
		return DICOMDIR_DOT;
	return DICOMDIR_OK;
}

/*
 * Appends the path of the value v[0..n) (trimmed, not empty) to w:
 * components joined with '/' (PS3.10 8.2: backslash-separated, each
 * trimmed of spaces as CS values are), NUL-terminated.  Returns why it
 * cannot be a path, having appended nothing then.
 */
static enum dicomdir_why
put_path(struct wr *w, const uint8_t *v, size_t n)
{
	size_t start = w->len, i = 0;
	enum dicomdir_why why;

	if (n > DICOMDIR_ID_MAX)
		return DICOMDIR_TOO_LONG;
	while (i <= n) {
		const uint8_t *c = v + i;
		const uint8_t *bs = memchr(c, '\\', n - i);
		size_t len = bs != NULL ? (size_t)(bs - c) : n - i;

		i += len + 1;
		while (len > 0 && c[len - 1] == ' ')
			len--;
		while (len > 0 && c[0] == ' ') {
			c++;
			len--;
		}
		if ((why = check_component(c, len)) != DICOMDIR_OK) {
			w->len = start;
			return why;
		}
		if (w->len > start)
			wr_u8(w, '/');
		wr_bytes(w, c, len);
	}
	wr_u8(w, 0);
	return DICOMDIR_OK;
}

/* The value as recorded, for a message: printable ASCII as is. */
static void
put_shown(struct wr *w, const uint8_t *v, size_t n)
{
	char hex[5];
	size_t i;

	for (i = 0; i < n && i < SHOWN_MAX; i++) {
		if (v[i] >= 0x20 && v[i] < 0x7f) {
			wr_u8(w, v[i]);
			continue;
		}
		snprintf(hex, sizeof(hex), "\\x%02X", v[i]);
		wr_bytes(w, hex, 4);
	}
	if (n > SHOWN_MAX)
		wr_bytes(w, "...", 3);
	wr_u8(w, 0);
}

/* --- the walk ------------------------------------------------------------- */

/* The record being read. */
struct rec {
	uint64_t offset;
	int inactive;
	char type[17];
	const uint8_t *id; /* into the caller's bytes; NULL: none */
	size_t id_len;
};

struct dec {
	struct dicomdir *dd;
	struct cs_err *err;
	uint64_t base; /* file offset of the data set */
	int in_seq;    /* inside the Directory Record Sequence */
	struct rec rec;
};

static int bad(struct dec *d, uint64_t off, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int
bad(struct dec *d, uint64_t off, int code, const char *fmt, ...)
{
	char msg[200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return cs_err_set(d->err, code, "DICOMDIR, offset %llu: %s",
	    (unsigned long long)(d->base + off), msg);
}

static int
add_ref(struct dec *d)
{
	struct dicomdir *dd = d->dd;
	struct dicomdir_ref *ref;
	const uint8_t *v = d->rec.id;
	size_t n = d->rec.id_len;

	trim(&v, &n);
	if (n == 0)
		return 0; /* an empty ID names no file */
	if (dd->n == DICOMDIR_REFS_MAX)
		return bad(d, d->rec.offset - d->base, CS_E_TOOBIG,
		    "more than %u referenced files", DICOMDIR_REFS_MAX);
	if (dd->n == dd->cap) {
		size_t ncap = dd->cap ? dd->cap * 2 : 64;
		struct dicomdir_ref *nr = realloc(dd->ref, ncap * sizeof(*nr));

		if (nr == NULL)
			return cs_err_set(d->err, CS_E_NOMEM,
			    "cannot read the DICOMDIR: out of memory");
		dd->ref = nr;
		dd->cap = ncap;
	}
	ref = &dd->ref[dd->n];
	ref->offset = d->rec.offset;
	ref->text = dd->text.len;
	memcpy(ref->type, d->rec.type, sizeof(ref->type));
	ref->why = put_path(&dd->text, v, n);
	if (ref->why != DICOMDIR_OK)
		put_shown(&dd->text, v, n);
	if (dd->text.err)
		return cs_err_set(d->err, dd->text.err,
		    "cannot read the DICOMDIR: %s", cs_strerror(dd->text.err));
	dd->n++;
	return 0;
}

static int
record_end(struct dec *d)
{
	d->dd->records++;
	if (d->rec.inactive) {
		d->dd->inactive++;
		return 0;
	}
	return d->rec.id != NULL ? add_ref(d) : 0;
}

/* An element of a record; 1 for one to pass unread. */
static int
record_elem(struct dec *d, struct rd *r, const struct ds_walk_step *st)
{
	const struct ds_elem *e = &st->e;
	const uint8_t *v;
	size_t n;

	if (e->len == DS_LEN_UNDEFINED ||
	    (e->tag != TAG_IN_USE && e->tag != TAG_RECORD_TYPE &&
		e->tag != TAG_FILE_ID))
		return 1;
	if ((v = rd_bytes(r, e->len)) == NULL)
		return bad(d, st->off, CS_E_TRUNCATED,
		    "the data set ends inside (%04X,%04X)",
		    DS_TAG_GROUP(e->tag), DS_TAG_ELEM(e->tag));
	switch (e->tag) {
	case TAG_IN_USE:
		/* PS3.3 F.3.2.2 (retired): 0000H is an inactive record */
		d->rec.inactive = e->len == 2 && v[0] == 0 && v[1] == 0;
		break;
	case TAG_RECORD_TYPE:
		n = e->len;
		trim(&v, &n);
		if (n >= sizeof(d->rec.type))
			n = sizeof(d->rec.type) - 1;
		/* for messages: nothing a terminal would act on */
		for (size_t i = 0; i < n; i++)
			d->rec.type[i] =
			    v[i] >= 0x20 && v[i] < 0x7f ? (char)v[i] : '?';
		d->rec.type[n] = '\0';
		break;
	case TAG_FILE_ID:
		d->rec.id = v;
		d->rec.id_len = e->len;
		break;
	}
	return 0;
}

/* Walks into the defined-length sequence or item st announced. */
static int
enter(struct dec *d, struct ds_walk *w, const struct ds_walk_step *st)
{
	struct cs_err why = { 0, "" };
	int rc = ds_walk_enter(w, &why);

	return rc != 0 ? bad(d, st->off, rc, "%s", why.msg) : 0;
}

/* The Directory Record Sequence; Implicit VR tells a defined-length
 * one by its tag only, and a UN holds one too (PS3.5 6.2.2). */
static int
enter_seq(struct dec *d, struct ds_walk *w, const struct ds_walk_step *st)
{
	if (!(st->kind == DS_KIND_SEQUENCE ||
		(st->kind == DS_KIND_VALUE &&
		    (st->enc == DS_ENC_IVR_LE || strcmp(st->e.vr, "UN") == 0))))
		return bad(d, st->off, CS_E_PROTO,
		    "the Directory Record Sequence is not a sequence (VR %s)",
		    st->e.vr);
	d->in_seq = 1;
	return st->e.len != DS_LEN_UNDEFINED ? enter(d, w, st) : 0;
}

static int
on_step(struct dec *d, struct ds_walk *w, struct rd *r,
    const struct ds_walk_step *st)
{
	int rc = 1;

	if (st->ev == DS_WALK_CLOSE) {
		if (st->depth == 1 && d->in_seq)
			return record_end(d);
		if (st->depth == 0)
			d->in_seq = 0;
		return 0;
	}
	if (st->depth == 0 && st->e.tag == TAG_RECORD_SEQ) {
		return enter_seq(d, w, st);
	} else if (st->depth == 1 && d->in_seq && st->ev == DS_WALK_ITEM) {
		memset(&d->rec, 0, sizeof(d->rec));
		d->rec.offset = d->base + st->off;
		return st->e.len != DS_LEN_UNDEFINED ? enter(d, w, st) : 0;
	} else if (st->depth == 2 && d->in_seq) {
		rc = record_elem(d, r, st);
	}
	if (rc == 1) {
		struct cs_err why = { 0, "" };

		if ((rc = ds_walk_pass(w, r, st, false, NULL, NULL, &why)) != 0)
			return bad(d, st->off, rc, "%s", why.msg);
	}
	return rc == 1 ? 0 : rc;
}

static int
walk(struct dec *d, const uint8_t *p, size_t n, enum ds_enc enc)
{
	struct ds_walk w;
	struct ds_walk_step st;
	struct rd r;
	int rc;

	if (ds_walk_init(&w, enc, n, DS_WALK_DATASET) != 0)
		return cs_err_set(d->err, CS_E_INVAL, "unknown encoding");
	rd_init(&r, p, n);
	for (;;) {
		struct cs_err why = { 0, "" };

		rc = ds_walk_next(&w, &r, &st, &why);
		if (rc == DS_WALK_END)
			return 0;
		if (rc == CS_E_TRUNCATED && why.code == 0 &&
		    (rd_left(&r) > 0 || ds_walk_finish(&w, &why) == 0))
			return bad(d, st.off, CS_E_TRUNCATED,
			    "the data set ends inside an element header");
		if (rc < 0)
			return bad(d, st.off, rc, "%s", why.msg);
		if ((rc = on_step(d, &w, &r, &st)) != 0)
			return rc;
	}
}

/* The transfer syntax, and the encoding of the data set. */
static int
encoding(const void *p, size_t size, struct dicomdir *dd,
    struct part10_info *info, enum ds_enc *enc, struct cs_err *err)
{
	int rc;

	/* the meta first: a Deflated data set is not inflated for this */
	if ((rc = part10_probe_mem(p, size, PART10_O_META_ONLY, info, err)) !=
	    0)
		return rc;
	if (info->meta_sop_class[0] == '\0')
		return cs_err_set(err, CS_E_NOTDICOM,
		    "not a DICOMDIR: no File Meta Information");
	if (strcmp(info->meta_sop_class, DICOMDIR_CLASS) != 0)
		return cs_err_set(err, CS_E_NOTDICOM,
		    "not a DICOMDIR: its Media Storage SOP Class UID is '%s'",
		    info->meta_sop_class);
	/* any deflated syntax: Deflated Explicit VR LE or JPIP's */
	if (ts_is_deflated(info->meta_ts_uid))
		return cs_err_set(err, CS_E_UNSUPPORTED,
		    "a DICOMDIR is never Deflated (PS3.10 8.6: Explicit VR "
		    "Little Endian): refused");
	if ((rc = part10_probe_mem(p, size, 0, info, err)) != 0)
		return rc;
	if ((info->flags & PART10_F_TS_NONE) ||
	    ds_scan_enc_for_ts(info->ts_uid, enc) != 0)
		return cs_err_set(err, CS_E_UNSUPPORTED,
		    "a DICOMDIR in transfer syntax '%s' cannot be read%s",
		    info->ts_uid,
		    (info->flags & PART10_F_TS_NONE) ? ": " PART10_TS_NONE_WHY
						     : "");
	snprintf(dd->ts_uid, sizeof(dd->ts_uid), "%s", info->ts_uid);
	return 0;
}

int
dicomdir_parse(
    const void *p, size_t size, struct dicomdir *dd, struct cs_err *err)
{
	struct part10_info info;
	struct dec d;
	enum ds_enc enc;
	int rc;

	dicomdir_release(dd);
	dicomdir_init(dd);
	if ((uint64_t)size > DICOMDIR_FILE_MAX)
		return cs_err_set(err, CS_E_TOOBIG,
		    "a DICOMDIR of %zu bytes: more than %llu MiB", size,
		    (unsigned long long)(DICOMDIR_FILE_MAX >> 20));
	if ((rc = encoding(p, size, dd, &info, &enc, err)) != 0)
		return rc;
	memset(&d, 0, sizeof(d));
	d.dd = dd;
	d.err = err;
	d.base = info.dataset_offset;
	return walk(&d, (const uint8_t *)p + info.dataset_offset,
	    (size_t)info.dataset_length, enc);
}
