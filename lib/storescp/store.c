/* store.c - storing one C-STORE of the receiver (see store.h). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cstore/cstore.h"
#include "core/commit_ds.h"
#include "core/dimse_cmd.h"
#include "core/ds_scan.h"
#include "core/status.h"
#include "core/ts.h"
#include "storescp/layout.h"
#include "storescp/store.h"
#include "storescp/validate.h"
#include "core/banned.h"

static void why_v(char *out, size_t cap, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

static void
why_v(char *out, size_t cap, const char *fmt, va_list ap)
{
	vsnprintf(out, cap, fmt, ap);
	/* one byte each: a cut never splits a character */
	for (char *p = out; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == '\\' ||
		    (unsigned char)*p > 0x7e)
			*p = '?';
}

void
store_why(char *out, size_t cap, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	why_v(out, cap, fmt, ap);
	va_end(ap);
}

void
store_comment_lo(char *lo, const char *why)
{
	size_t n = strlen(why);

	if (n <= DIMSE_LO_MAX) {
		memcpy(lo, why, n + 1);
		return;
	}
	memcpy(lo, why, DIMSE_LO_MAX - 3);
	memcpy(lo + DIMSE_LO_MAX - 3, "...", 4);
}

void
store_comment(char *out, const char *fmt, ...)
{
	char why[STORE_WHY_MAX + 1];
	va_list ap;

	va_start(ap, fmt);
	why_v(why, sizeof(why), fmt, ap);
	va_end(ap);
	store_comment_lo(out, why);
}

/* The status to answer, with why (its Error Comment, cut to LO). */
#define refuse(st, code, ...)                                                  \
	((st)->status = (code),                                                \
	    store_why((st)->comment, sizeof((st)->comment), __VA_ARGS__))

void
store_init(struct store *st, struct storescp *s, const struct store_who *who)
{
	memset(st, 0, sizeof(*st));
	st->s = s;
	st->who = *who;
	st->sink.fd = -1;
	st->spare = -1;
}

void
store_prepare(struct store *st)
{
	if (st->spare >= 0 || st->no_spare)
		return;
	/* a layout with directories names each object's only later */
	if (strchr(st->s->layout.tmpl, '/') != NULL) {
		st->no_spare = 1;
		return;
	}
	st->spare = sink_spare(&st->s->root);
	st->no_spare = st->spare < 0;
}

void
store_end(struct store *st)
{
	if (st->spare >= 0)
		close(st->spare);
	st->spare = -1;
}

/*
 * Is a UID of the command unfit to be stored?  It becomes the meta
 * header's value and, through the layout, a file name, as sent: so it
 * must be 1 to 64 characters of the UI repertoire, digits and '.'
 * (PS3.5 6.2, 9.1), which rules out '/', '\\', control bytes, spaces
 * and every other surprise, with at least one digit (not "." or "..").
 * The structure rules of PS3.5 9.1 (no leading zero in a component, no
 * empty component) are not enforced, as other archives do not: such a
 * UID is stored.  Returns 1 with the reason in why (size n), else 0.
 */
static int
uid_refused(const struct dimse_cmd *rq, unsigned bit, const char *v, char *why,
    size_t n)
{
	const char *p;

	if (rq->bad_ui & bit) {
		snprintf(why, n, "%s",
		    v[0] == '\0' ? "empty"
			: strchr(v, '?') != NULL
			? "holds a control or non-ASCII byte"
			: "longer than 64 characters");
		return 1;
	}
	for (p = v; *p != '\0'; p++) {
		if ((*p < '0' || *p > '9') && *p != '.') {
			snprintf(why, n, "holds '%c', not digits and dots", *p);
			return 1;
		}
	}
	/* ".", "..": a path component of their own, and no UID at all */
	if (strpbrk(v, "0123456789") == NULL) {
		snprintf(why, n, "dots only");
		return 1;
	}
	return 0;
}

/*
 * PS3.7 9.3.1.2: a Cxxx C-STORE-RSP names in Offending Element the
 * elements the error was found in; these are the request's own.
 */
#define CMD_AFFECTED_CLASS DS_TAG(0x0000, 0x0002)
#define CMD_DATASET_TYPE DS_TAG(0x0000, 0x0800)
#define CMD_AFFECTED_INSTANCE DS_TAG(0x0000, 0x1000)

static void offending(struct store *st, uint16_t status, uint32_t tag);

/* Returns 0 when the command can be stored, else 1 with the refusal. */
static int
check_command(struct store *st, const struct ul_pc *pc)
{
	const struct dimse_cmd *rq = st->rq;
	char why[48];

	if (!dimse_cmd_has_dataset(rq)) {
		refuse(st, STATUS_CODE_CANNOT_UNDERSTAND,
		    "C-STORE-RQ without a data set");
		offending(st, STATUS_CODE_CANNOT_UNDERSTAND, CMD_DATASET_TYPE);
		return 1;
	}
	if (strcmp(rq->affected_class, pc->abstract_syntax) != 0) {
		refuse(st, STATUS_CODE_CLASS_NOT_SUPPORTED,
		    "SOP class not negotiated on context %u", pc->id);
		return 1;
	}
	/* the other services a context is accepted for have no C-STORE
	 * (PS3.4 Annex A, J; PS3.7 9.1.1.1.9): 0211, as dcm4che answers */
	if (strcmp(rq->affected_class, DIMSE_VERIFICATION_UID) == 0 ||
	    strcmp(rq->affected_class, COMMIT_SOP_CLASS) == 0) {
		refuse(st, STATUS_CODE_UNRECOGNIZED_OPERATION,
		    "C-STORE-RQ for %s, which has no C-STORE",
		    strcmp(rq->affected_class, COMMIT_SOP_CLASS) == 0
			? "Storage Commitment"
			: "Verification");
		return 1;
	}
	if (uid_refused(rq, DIMSE_HAS_AFFECTED_INSTANCE, rq->affected_instance,
		why, sizeof(why))) {
		refuse(st, STATUS_CODE_CANNOT_UNDERSTAND,
		    "SOP Instance UID refused: %s", why);
		offending(
		    st, STATUS_CODE_CANNOT_UNDERSTAND, CMD_AFFECTED_INSTANCE);
		return 1;
	}
	if (uid_refused(rq, DIMSE_HAS_AFFECTED_CLASS, rq->affected_class, why,
		sizeof(why))) {
		refuse(st, STATUS_CODE_CANNOT_UNDERSTAND,
		    "SOP Class UID refused: %s", why);
		offending(
		    st, STATUS_CODE_CANNOT_UNDERSTAND, CMD_AFFECTED_CLASS);
		return 1;
	}
	return 0;
}

/* Starts the scanner on the UIDs and the tags the layout names. */
static void
start_scan(struct store *st)
{
	uint32_t tags[2 + LAYOUT_MAX_TAGS + VALIDATE_NTAGS];
	size_t ntags;
	enum ds_enc enc;
	unsigned opts = 0;

	if (ds_scan_enc_for_ts(st->ts, &enc) != 0) {
		if (!ts_is_deflated(st->ts)) {
			scp_log(st->s, STORESCP_LOG_VERBOSE,
			    "association %u: transfer syntax %s cannot be scanned: UIDs %snot checked",
			    st->who.id, st->ts,
			    st->s->cfg.validate ? "and data set " : "");
			return;
		}
		/* its head only, inflated as far as the UIDs */
		enc = DS_ENC_EVR_LE;
		opts = DS_SCAN_STOP_EARLY;
	}
	tags[0] = DS_TAG_SOP_CLASS_UID;
	tags[1] = DS_TAG_SOP_INSTANCE_UID;
	ntags = 2 + layout_tags(&st->s->layout, tags + 2, LAYOUT_MAX_TAGS);
	if (st->s->cfg.validate && opts == 0) {
		memcpy(tags + ntags, validate_tags, sizeof(validate_tags));
		ntags += VALIDATE_NTAGS;
	}
	cs_err_clear(&st->scan_err);
	/* --validate parses defined-length sequences and items too */
	st->scan_rc = ds_scan_init(&st->scan, enc, tags, ntags,
	    opts | (st->s->cfg.validate && opts == 0 ? DS_SCAN_DEEP : 0),
	    &st->scan_err);
	/* the UID checks and --validate read the walk of the whole inflated
	 * data set when it is seen whole (check_dataset) */
	if (st->scan_rc == 0 && opts != 0) {
		ntags = 2;
		if (st->s->cfg.validate) {
			memcpy(tags + 2, validate_tags, sizeof(validate_tags));
			ntags += VALIDATE_NTAGS;
		}
		if ((st->zin = store_inflate_new(tags, ntags,
			 st->s->cfg.validate ? DS_SCAN_DEEP : 0,
			 &st->scan_err)) == NULL)
			st->scan_rc = CS_E_NOMEM;
	}
	st->scanning = 1;
}

void
store_begin(
    struct store *st, const struct dimse_cmd *rq, const struct ul_pc *pc)
{
	store_drop(st);
	st->rq = rq;
	st->n++;
	st->status = STATUS_CODE_SUCCESS;
	st->warn = 0;
	st->comment[0] = '\0';
	st->off_status = 0;
	st->n_offending = 0;
	st->scan_rc = 0;
	snprintf(st->ts, sizeof(st->ts), "%s", pc->ts[0]);
	st->ds_bytes = 0;
	st->invalid = 0;
	store_head_begin(st);
	/* a file nothing would hear of is not written (report_stored) */
	if (atomic_load(&st->s->unreportable))
		refuse(st, STATUS_CODE_OUT_OF_RESOURCES,
		    "the receiver cannot report objects");
	else if (check_command(st, pc) == 0) {
		start_scan(st);
		store_open_begin(st);
	}
}

void
store_write(struct store *st, const uint8_t *data, size_t len)
{
	struct cs_err err = { 0, "" };
	int rc;

	if (!st->sink_open || st->status != STATUS_CODE_SUCCESS)
		return;
	rc = sink_write(&st->sink, data, len, &err);
	if (rc != 0)
		store_write_failed(st, rc, err.msg);
}

const char *
store_fail_reason(int rc, const char *why)
{
	const char *c = rc == CS_E_IO ? strrchr(why, ':') : NULL;
	const char *d;
	int e;

	/* "input/output error" for a read-only or vanished directory would
	 * send the peer's operator after a failing disk; but only the
	 * system's own words go out, never what our message put there */
	if (c != NULL && c[1] == ' ')
		for (e = 1; e < 256; e++)
			if ((d = strerrordesc_np(e)) != NULL &&
			    strcmp(d, c + 2) == 0)
				return d;
	return cs_strerror(rc);
}

void
store_write_failed(struct store *st, int rc, const char *why)
{
	scp_log(st->s, STORESCP_LOG_ERROR,
	    "association %u: cannot store '%s': %s: the rest is discarded",
	    st->who.id, st->rq->affected_instance, why);
	refuse(st, STATUS_CODE_OUT_OF_RESOURCES, "cannot write: %s",
	    store_fail_reason(rc, why));
	/* a full disk is freed now, not when the peer is done */
	store_drop(st);
}

/* A data set over max_object_size: 1 when past the hard cap. */
static int
over_limit(struct store *st)
{
	uint64_t max = st->s->cfg.max_object_size;

	if (max == 0 || st->ds_bytes <= max)
		return 0;
	if (st->status == STATUS_CODE_SUCCESS) {
		scp_log(st->s, STORESCP_LOG_ERROR,
		    "association %u: '%s' is larger than %llu bytes: the "
		    "rest is discarded",
		    st->who.id, st->rq->affected_instance,
		    (unsigned long long)max);
		refuse(st, STATUS_CODE_OUT_OF_RESOURCES,
		    "object larger than the limit of %llu bytes",
		    (unsigned long long)max);
		store_drop(st);
	}
	if (st->ds_bytes <= STORESCP_HARD_CAP(max))
		return 0;
	scp_log(st->s, STORESCP_LOG_ERROR,
	    "association %u: '%s' passed %llu bytes: aborting", st->who.id,
	    st->rq->affected_instance,
	    (unsigned long long)STORESCP_HARD_CAP(max));
	return 1;
}

/*
 * A Deflated data set whose UIDs do not come within STORE_INFLATE_MAX
 * inflated bytes: no more is inflated, and it is kept as one that
 * cannot be scanned, its UIDs not checked.
 */
static void
inflate_capped(struct store *st)
{
	scp_log(st->s, STORESCP_LOG_VERBOSE,
	    "association %u: transfer syntax %s: no UIDs in the first %u MiB "
	    "inflated: UIDs not checked",
	    st->who.id, st->ts, STORE_INFLATE_MAX >> 20);
	st->scanning = 0;
	store_inflate_free(st->zin);
	st->zin = NULL;
}

int
store_data(struct store *st, const uint8_t *data, size_t len)
{
	int rc;

	if (len == 0)
		return 0;
	st->ds_bytes += len;
	if (over_limit(st))
		return STORE_ABORT;
	if (st->status != STATUS_CODE_SUCCESS)
		return 0; /* refused: read and discarded */
	if (data == NULL) {
		store_unseen(st, len); /* in the pipe (store_splice.c) */
		return 0;
	}
	/* the scanner first: the layout's values open the file */
	if (st->scanning && st->scan_rc == 0) {
		rc = st->zin != NULL
		    ? store_inflate_feed(
			  st->zin, data, len, &st->scan, &st->scan_err)
		    : ds_scan_feed(&st->scan, data, len, &st->scan_err);
		st->scan_rc = rc < 0 ? rc : 0;
		if (st->zin != NULL && rc == STORE_INFLATE_CAPPED)
			inflate_capped(st);
	}
	if (st->head.on)
		store_head_feed(st, data, len);
	else
		store_keep(st, data, len);
	return 0;
}

void
store_keep(struct store *st, const uint8_t *data, size_t len)
{
	if (st->deferred)
		store_open_feed(st, data, len);
	else
		store_write(st, data, len);
}

/* Notes tag as an element status is about (store_offending). */
static void
offending(struct store *st, uint16_t status, uint32_t tag)
{
	if (st->off_status != status)
		st->n_offending = 0;
	st->off_status = status;
	if (st->n_offending < sizeof(st->offending) / sizeof(st->offending[0]))
		st->offending[st->n_offending++] = tag;
}

unsigned
store_offending(const struct store *st, uint16_t status, const uint32_t **tags)
{
	*tags = st->offending;
	return st->off_status == status ? st->n_offending : 0;
}

/* --validate: the Pixel Data length; 1 when refused. */
static int
check_pixels(struct store *st)
{
	char why[STORE_WHY_MAX + 1];
	const struct ts_entry *t = ts_find(st->ts);
	const struct ds_scan *scan = &st->scan;
	enum ds_enc enc = DS_ENC_EVR_LE;

	/* a deflated data set: the walk of it inflated, when it was seen
	 * whole (store_inflate.h: up to 64 MiB) */
	if (st->zin != NULL)
		scan = store_inflate_walk(st->zin);
	else if (ds_scan_enc_for_ts(st->ts, &enc) != 0)
		scan = NULL;
	if (scan == NULL ||
	    validate_pixels(scan, enc, validate_ts_mode(t), why, sizeof(why)) ==
		0)
		return 0;
	refuse(st, STATUS_CODE_DATASET_MISMATCH, "%s", why);
	offending(st, STATUS_CODE_DATASET_MISMATCH, DS_TAG_PIXEL_DATA);
	st->invalid = 1;
	return 1;
}

/*
 * The status the data set itself earns: scan result and UID checks.  A
 * UID that differs from the command's is refused (two readers would name
 * the object differently); one that is absent is not: the bytes are kept
 * as sent, the meta header carries the command's UIDs, and the sender
 * hears B007, a warning.  Real writers make such data sets (pydicom's
 * test files, DICOM fragments a sender took the UIDs of from the meta).
 */
static void
check_dataset(struct store *st)
{
	static const struct {
		uint32_t tag;
		const char *name;
	} uid[2] = { { DS_TAG_SOP_CLASS_UID, "SOP Class UID" },
		{ DS_TAG_SOP_INSTANCE_UID, "SOP Instance UID" } };
	const char *want[2] = { st->rq->affected_class,
		st->rq->affected_instance };
	const struct ds_scan *u = &st->scan;
	int i;

	if (st->status != STATUS_CODE_SUCCESS)
		return;
	/* no byte at all, or none but the group 0002 elements dropped
	 * (store_head.c): no object to keep, whatever the syntax
	 * (storescp refuses an empty one too, with A700; storescp +B
	 * stores a meta header alone and answers 0000) */
	if (st->ds_bytes <= st->head.dropped_bytes) {
		refuse(st, STATUS_CODE_CANNOT_UNDERSTAND,
		    st->ds_bytes == 0 ? "empty data set: nothing to store"
				      : "File Meta Information "
					"(group 0002) alone: nothing to store");
		return;
	}
	if (!st->scanning)
		return;
	if (st->scan_rc != 0 ||
	    (st->zin != NULL &&
		store_inflate_finish(st->zin, &st->scan, &st->scan_err) != 0) ||
	    ds_scan_finish(&st->scan, &st->scan_err) != 0) {
		if (st->scan_rc == CS_E_NOMEM) {
			/* our shortage, not the data set's fault */
			refuse(st, STATUS_CODE_OUT_OF_RESOURCES,
			    "out of resources: %s", st->scan_err.msg);
			return;
		}
		refuse(st, STATUS_CODE_CANNOT_UNDERSTAND, STORE_PARSE_WHY "%s",
		    st->scan_err.msg);
		/* PS3.7 9.3.1.2: the element it was found in, when known */
		if (st->zin == NULL && ds_scan_error_tag(&st->scan) != 0)
			offending(st, STATUS_CODE_CANNOT_UNDERSTAND,
			    ds_scan_error_tag(&st->scan));
		st->invalid = 1;
		return;
	}
	/* a Deflated data set: its UIDs from the walk of it inflated, as a
	 * native one's are, also when it was not seen whole (they come
	 * early); the head's scan stops at the first tag past them and
	 * misses them when elements are out of order */
	if (st->zin != NULL)
		u = store_inflate_seen(st->zin);
	for (i = 0; i < 2; i++)
		if (ds_scan_value(u, uid[i].tag, NULL, NULL) != NULL &&
		    !ds_scan_equals(u, uid[i].tag, want[i])) {
			refuse(st, STATUS_CODE_DATASET_MISMATCH,
			    "%s differs from the command", uid[i].name);
			offending(st, STATUS_CODE_DATASET_MISMATCH, uid[i].tag);
			return;
		}
	if (st->s->cfg.validate && check_pixels(st))
		return;
	for (i = 0; i < 2; i++) {
		if (ds_scan_value(u, uid[i].tag, NULL, NULL) != NULL)
			continue;
		if (st->zin != NULL && store_inflate_walk(st->zin) == NULL) {
			/* not within the part inflated: maybe after it */
			scp_log(st->s, STORESCP_LOG_VERBOSE,
			    "association %u: transfer syntax %s: UIDs not "
			    "checked (no %s in the first %u MiB inflated)",
			    st->who.id, st->ts, uid[i].name,
			    STORE_INFLATE_TAIL_MAX >> 20);
			return;
		}
		scp_log(st->s, STORESCP_LOG_ERROR,
		    "association %u: "
		    "no %s in the data set of '%s': stored under "
		    "the command's, answered %04X",
		    st->who.id, uid[i].name, st->rq->affected_instance,
		    STATUS_CODE_DATASET_MISMATCH_WARNING);
		st->warn = STATUS_CODE_DATASET_MISMATCH_WARNING;
		offending(st, STATUS_CODE_DATASET_MISMATCH_WARNING, uid[i].tag);
	}
}

/*
 * Group 0002 elements dropped from the data set's head (store_head.c):
 * the data set stored is not the one sent, elements discarded, B006
 * (PS3.4 Table B.2-1; B000 is for values changed).  A response has one
 * status: B007 (no SOP Class or Instance UID in the data set, stored
 * under the command's) wins, as it says the object is not what its
 * class wants, a graver warning; the note names the drop all the same.
 */
static void
meta_dropped(struct store *st)
{
	if (st->head.dropped == 0 || st->status != STATUS_CODE_SUCCESS)
		return;
	scp_log(st->s, STORESCP_LOG_ERROR,
	    "association %u: %u File Meta Information element%s (group "
	    "0002) at the head of the data set of '%s' dropped: "
	    "answered %04X",
	    st->who.id, st->head.dropped, st->head.dropped == 1 ? "" : "s",
	    st->rq->affected_instance,
	    st->warn != 0 ? st->warn : STATUS_CODE_ELEMENTS_DISCARDED);
	if (st->warn == 0)
		st->warn = STATUS_CODE_ELEMENTS_DISCARDED;
}

/* What a failed sink_commit (rc) answers. */
static void
commit_failed(
    struct store *st, int rc, const char *final, const struct cs_err *err)
{
	if (rc == SINK_REJECTED) {
		scp_log(st->s, STORESCP_LOG_ERROR,
		    "association %u: '%s' exists: duplicate refused",
		    st->who.id, final);
		refuse(st, STATUS_CODE_DUPLICATE_INSTANCE,
		    "duplicate: the file name is taken");
		return;
	}
	scp_log(st->s, STORESCP_LOG_ERROR,
	    "association %u: cannot store '%s': %s", st->who.id,
	    st->rq->affected_instance, err->msg);
	refuse(st,
	    rc == CS_E_INVAL ? STATUS_CODE_CANNOT_UNDERSTAND
			     : STATUS_CODE_OUT_OF_RESOURCES,
	    "cannot write: %s",
	    st->sink.root_gone ? SINK_ROOT_GONE
			       : store_fail_reason(rc, err->msg));
}

/*
 * Indexes a file now in place for Storage Commitment (commit_index.h),
 * by its path under the output directory.  A failure leaves the file
 * stored and answered, but never reported committed: logged.
 */
static void
index_file(struct store *st, const char *final)
{
	struct storescp *s = st->s;
	struct cs_err err = { 0, "" };
	size_t pl = strlen(s->root.path);
	const char *rel = final;

	if (strncmp(final, s->root.path, pl) == 0) {
		rel = final + pl;
		rel += *rel == '/';
	}
	if (commit_index_add(&s->index, st->rq->affected_class,
		st->rq->affected_instance, sink_bytes(&st->sink), rel,
		&err) != 0)
		scp_log(s, STORESCP_LOG_ERROR,
		    "association %u: '%s' stored but not indexed: %s: it will not be reported committed",
		    st->who.id, final, err.msg);
}

/* Renames the object into place; returns 1 if a file is in place. */
static int
commit(struct store *st, char *final, size_t finalsz, int *kept)
{
	struct storescp *s = st->s;
	struct cs_err err = { 0, "" };
	char rel[LAYOUT_PATH_MAX];
	int rc;

	if (store_render(st, rel, sizeof(rel), &err) < 0) {
		store_drop(st);
		refuse(
		    st, STATUS_CODE_OUT_OF_RESOURCES, "cannot name the file");
		return 0;
	}
	rc = sink_commit(&st->sink, rel, (enum sink_dup)s->cfg.on_duplicate,
	    s->cfg.fsync ? SINK_FSYNC : 0, final, finalsz, &err);
	st->sink_open = 0;
	if (rc == SINK_STORED && st->sink.collisions > 0)
		scp_log(s, STORESCP_LOG_ERROR,
		    "association %u: warning: name '%s' holds another "
		    "object: '%s' stored as '%s' (%u name%s taken)",
		    st->who.id, rel, st->rq->affected_instance, final,
		    st->sink.collisions, st->sink.collisions == 1 ? "" : "s");
	if (rc == SINK_STORED || rc == SINK_KEPT) {
		*kept = rc == SINK_KEPT;
		return 1;
	}
	commit_failed(st, rc, final, &err);
	return 0;
}

/*
 * Reports a stored file (on_stored: its line, --exec) and counts it
 * before the response leaves: once a peer has its answer it may delete
 * its copy, and a receiver killed in between must not hold a file that
 * nothing downstream (a router reading the lines, a hook) ever hears of.
 * A crash before the answer costs at most a second copy, never a file;
 * so does a report that cannot be made: A700, the file left in place
 * (under the default policy a resend replaces it and is reported), and
 * later objects refused before a byte is written.
 */
static int
report_stored(struct store *st, const char *path, uint16_t status, int kept)
{
	struct storescp *s = st->s;
	struct storescp_stored info;
	int wake;

	st->prepare_due = 1;
	info = (struct storescp_stored){ .path = path,
		.sop_class = st->rq->affected_class,
		.sop_instance = st->rq->affected_instance,
		.ts_uid = st->ts,
		.calling_ae = st->who.calling,
		.called_ae = st->who.called,
		.peer = st->who.peer,
		.bytes = sink_bytes(&st->sink),
		.status = status,
		.kept = kept,
		.assoc_id = st->who.id,
		.user = st->who.user,
		.tls_subject = st->who.tls_subject };
	scp_log(s, STORESCP_LOG_VERBOSE,
	    "association %u: stored '%s' (%llu bytes)%s", st->who.id, path,
	    (unsigned long long)info.bytes,
	    kept ? ", kept the existing file" : "");
	if (s->cfg.on_stored != NULL && s->cfg.on_stored(s->cfg.user, &info)) {
		atomic_store(&s->unreportable, 1);
		refuse(st, STATUS_CODE_OUT_OF_RESOURCES,
		    "stored but the receiver cannot report it");
		return -1;
	}
	pthread_mutex_lock(&s->mu);
	s->stats.stored++;
	/* only --max-files needs the accept loop to look now */
	wake = s->cfg.max_files > 0 && s->stats.stored >= s->cfg.max_files;
	pthread_mutex_unlock(&s->mu);
	if (wake)
		scp_wake(s);
	return 0;
}

/* The status to answer: the faults' (a fault never turns a failure
 * into success), else the warning the data set earned, else ours. */
static uint16_t
choose_status(struct store *st)
{
	int forced;
	uint16_t status = faults_status(&st->s->faults, st->status, &forced);

	if (st->status != STATUS_CODE_SUCCESS)
		return st->status;
	if (!forced && st->warn != 0)
		return st->warn;
	if (forced && !status_is_stored(status_category_of(status)))
		refuse(st, status, "refused on purpose (debugging receiver)");
	return status;
}

int
store_finish(struct store *st, uint16_t *status, const char **comment)
{
	struct storescp *s = st->s;
	const char *fault;
	char final[PATH_MAX + LAYOUT_PATH_MAX];
	int kept = 0, stored = 0;

	/* the file first: a refused one may go to the quarantine */
	if (st->status == STATUS_CODE_SUCCESS)
		store_head_end(st);
	if (st->status == STATUS_CODE_SUCCESS)
		store_open_end(st);
	check_dataset(st);
	meta_dropped(st);
	if (st->invalid)
		store_quarantine(st);
	if (faults_abort_now(
		&s->faults, st->n, st->rq->affected_instance, &fault)) {
		scp_log(s, STORESCP_LOG_VERBOSE,
		    "association %u: %s: aborting instead of answering for '%s'",
		    st->who.id, fault, st->rq->affected_instance);
		store_drop(st);
		return STORE_ABORT;
	}
	*status = choose_status(st);
	if (status_is_stored(status_category_of(*status)) && st->sink_open)
		stored = commit(st, final, sizeof(final), &kept);
	store_drop(st);
	if (stored && report_stored(st, final, *status, kept) != 0)
		stored = 0;
	/* indexed once reported: an object answered A700 is never
	 * reported committed */
	else if (stored && !kept && s->cfg.commit)
		index_file(st, final);
	if (!stored) {
		*status = st->status;
		scp_count(s, &s->stats.failed);
		/* out of resources (A7xx) is the operator's to mend */
		scp_log(s,
		    (*status & 0xFF00) == 0xA700 ? STORESCP_LOG_ALERT
						 : STORESCP_LOG_ERROR,
		    "association %u: answered %04X for '%s': %s", st->who.id,
		    *status, st->rq->affected_instance, st->comment);
	}
	/* C000 says it cannot understand: the 64 characters for why */
	store_comment_lo(st->lo,
	    strncmp(st->comment, STORE_PARSE_WHY, strlen(STORE_PARSE_WHY)) == 0
		? st->comment + strlen(STORE_PARSE_WHY)
		: st->comment);
	*comment = *status != STATUS_CODE_SUCCESS &&
		status_category_of(*status) == STATUS_FAILURE
	    ? st->lo
	    : "";
	return STORE_ANSWER;
}

void
store_drop(struct store *st)
{
	if (st->sink_open)
		sink_abort(&st->sink);
	st->sink_open = 0;
	st->scanning = 0;
	store_inflate_free(st->zin);
	st->zin = NULL;
	store_open_drop(st);
}
