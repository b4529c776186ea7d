/*
 * stow_xcode.c - which transfer syntax each file goes in over STOW-RS,
 * and the conversion when it must change (stow_run.h): the syntaxes of
 * --accept-ts, or any but the two PS3.18 8.7.3 keeps off the web
 * (Implicit VR Little Endian, Explicit VR Big Endian) until the service
 * refuses one (HTTP 415, Failure Reason C122), then Explicit VR Little
 * Endian, the default syntax of application/dicom that origin servers
 * support (PS3.18 8.7.3, Table 8.7.3-2).  The same rules as over DIMSE:
 * lossless unless --lossy, never with --no-transcode.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cstore/cstore.h"
#include "core/buf.h"
#include "core/ts.h"
#include "core/alloc.h"
#include "cli/stow_run.h"
#include "dcmfile/dcmfile.h"
#include "net/rate.h"
#include "storescu/send_convert.h"
#include "storescu/send_report.h"

#include "core/banned.h"

static size_t
take_rate(void *rate, size_t want)
{
	return net_rate_take(rate, want);
}

static void
refund_rate(void *rate, size_t n)
{
	net_rate_refund(rate, n);
}

void
stow_shared_init(struct stow_shared *sh, const struct storescu_send_opts *o)
{
	memset(sh, 0, sizeof(*sh));
	pthread_mutex_init(&sh->mu, NULL);
	if (o->limit_rate > 0) {
		net_rate_init(&sh->rate, o->limit_rate);
		sh->limited = 1;
	}
}

void
stow_shared_release(struct stow_shared *sh)
{
	if (sh->limited)
		net_rate_release(&sh->rate);
	pthread_mutex_destroy(&sh->mu);
}

void
stow_shared_cfg(struct stow_shared *sh, struct stow_http_cfg *hc)
{
	if (sh == NULL || !sh->limited)
		return;
	hc->throttle = take_rate;
	hc->refund = refund_rate;
	hc->rate = &sh->rate;
}

/* 1 when ts is among the syntaxes learned refused; under sh->mu. */
static int
refused_locked(const struct stow_shared *sh, const char *ts)
{
	size_t k;

	for (k = 0; k < sh->n_refused; k++)
		if (strcmp(sh->refused[k], ts) == 0)
			return 1;
	return 0;
}

int
stow_refused(struct stow_shared *sh, const char *ts)
{
	int yes;

	pthread_mutex_lock(&sh->mu);
	yes = refused_locked(sh, ts);
	pthread_mutex_unlock(&sh->mu);
	return yes;
}

int
stow_learn_refused(struct stow_shared *sh, const char *ts)
{
	int known;

	if (ts[0] == '\0' || strlen(ts) > PART10_UID_MAX)
		return 0;
	pthread_mutex_lock(&sh->mu);
	known = refused_locked(sh, ts);
	if (!known && sh->n_refused < STOW_MAX_REFUSED) {
		memcpy(sh->refused[sh->n_refused++], ts, strlen(ts) + 1);
		known = 1;
	}
	pthread_mutex_unlock(&sh->mu);
	return known;
}

static int
skip_refused(void *sh, const char *ts)
{
	return stow_refused(sh, ts);
}

/* PS3.18 8.7.3: these two are not used with web services, so without
 * --accept-ts their files go converted. */
static int
not_for_the_web(const char *ts)
{
	return strcmp(ts, TS_UID_ImplicitVRLittleEndian) == 0 ||
	    strcmp(ts, TS_UID_ExplicitVRBigEndian) == 0;
}

/*
 * The syntax it goes in: NULL for its own, else a static UID to convert
 * to; "" when none will do (why says so).
 */
static const char *
target(struct run *r, const struct item *it, char *why, size_t cap)
{
	static const char *const evrle[] = { TS_UID_ExplicitVRLittleEndian };
	const char *ts = it->info.ts_uid;
	const struct propose_opts po = { .can_transcode = dcmfile_can_transcode,
		.allow_lossy = r->o->allow_lossy };
	const char *const *cand;
	size_t n;
	long k, lossy;
	int listed = r->so->n_accept_ts > 0;
	int refused = stow_refused(r->sh, ts);
	char no[160];

	if (listed) {
		cand = r->so->accept_ts;
		n = r->so->n_accept_ts;
	} else {
		cand = evrle;
		n = 1;
	}
	for (k = 0; listed && k < (long)n; k++)
		if (strcmp(cand[k], ts) == 0 && !refused)
			return NULL;
	if (!listed && !refused && !not_for_the_web(ts))
		return NULL;
	/* what keeps it from going as it is: the standard or the service */
	if (!listed && !refused)
		snprintf(no, sizeof(no),
		    "PS3.18 8.7.3 keeps %s off web services",
		    report_uid_text(ts));
	else
		snprintf(no, sizeof(no), "the service does not accept %s",
		    report_uid_text(ts));
	if (r->o->no_transcode) {
		snprintf(why, cap, "%s (%s--no-transcode)", no,
		    listed ? "--accept-ts, " : "");
		return "";
	}
	k = send_convert_target(ts, cand, n, &po, skip_refused, r->sh, &lossy);
	if (k >= 0)
		return cand[k];
	if (lossy >= 0)
		snprintf(why, cap,
		    "%s; it converts to %s only lossily (--lossy allows it)",
		    no, report_uid_text(cand[lossy]));
	else
		snprintf(why, cap,
		    "%s%s and it cannot be converted to a syntax it accepts",
		    no, listed ? " (--accept-ts)" : "");
	return "";
}

int
stow_plan(struct run *r, struct item *it, enum storescu_outcome *oc, char *why,
    size_t cap)
{
	const char *to = target(r, it, why, cap);

	if (to != NULL && to[0] == '\0') {
		*oc = STORESCU_NOCONTEXT;
		return -1;
	}
	if (to != NULL)
		snprintf(
		    why, cap, "to be transcoded to %s", report_uid_text(to));
	else
		why[0] = '\0';
	return 0;
}

void
stow_unprepare(struct item *it)
{
	if (it->xfd >= 0)
		close(it->xfd);
	it->xfd = -1;
	it->xoff = 0;
	free(it->head);
	it->head = NULL;
	it->head_len = 0;
	it->note[0] = '\0';
	memcpy(it->ts_sent, it->info.ts_uid, sizeof(it->ts_sent));
	memcpy(
	    it->info.sop_instance, it->file_uid, sizeof(it->info.sop_instance));
}

/* The File Meta Information of the converted data set into it->head. */
static int
new_meta(
    struct item *it, const struct dcmfile_transcoded *tc, struct cs_err *err)
{
	struct wr w;
	int rc;

	wr_init(&w, 4096);
	rc = part10_write_meta(&w, it->info.sop_class, tc->sop_instance,
	    tc->ts_uid, CS_IMPL_CLASS_UID, CS_IMPL_VERSION,
	    it->info.source_ae[0] ? it->info.source_ae : NULL, err);
	if (rc >= 0) {
		it->head = w.p;
		it->head_len = w.len;
		w.p = NULL;
		rc = 0;
	} else if (err->code == 0) {
		cs_err_set(err, rc, "cannot write its File Meta Information");
	}
	wr_release(&w);
	return rc;
}

/*
 * A Part 10 file written without its preamble (the meta header at
 * offset 0) goes as it is after one: a part of application/dicom is a
 * whole Part 10 file (PS3.18 8.7.3, PS3.10 7.1).  -1 (out of memory,
 * why says so) or 0.
 */
static int
add_preamble(struct item *it, enum storescu_outcome *oc, char *why, size_t cap)
{
	if (it->info.kind != PART10_FILE || it->info.meta_offset != 0)
		return 0;
	if ((it->head = cs_calloc(1, 132)) == NULL) {
		snprintf(why, cap, "out of memory");
		*oc = STORESCU_UNREADABLE;
		return -1;
	}
	memcpy(it->head + 128, "DICM", 4);
	it->head_len = 132;
	return 0;
}

/*
 * A file whose meta header names another transfer syntax, SOP class or
 * SOP instance than its data set is in or holds, or no transfer syntax
 * (part10.h: PART10_F_TS_MISMATCH, PART10_F_CLASS_MISMATCH,
 * PART10_F_INSTANCE_MISMATCH, PART10_F_TS_DETECTED), goes as the DIMSE
 * sender sends it: its data set unchanged, under a new File Meta
 * Information that says what it is; as it is, the service would read
 * it as the meta says, or guess.  -1 (why says so) or 0.
 */
#define META_REDONE                                                            \
	(PART10_F_TS_MISMATCH | PART10_F_CLASS_MISMATCH |                      \
	    PART10_F_INSTANCE_MISMATCH | PART10_F_TS_DETECTED)

static int
new_meta_as_is(
    struct item *it, enum storescu_outcome *oc, char *why, size_t cap)
{
	struct cs_err err = { 0, "" };
	struct dcmfile_transcoded tc = { .fd = -1 };

	memcpy(tc.sop_instance, it->info.sop_instance, sizeof(tc.sop_instance));
	memcpy(tc.ts_uid, it->info.ts_uid, sizeof(tc.ts_uid));
	if (new_meta(it, &tc, &err) != 0) {
		snprintf(
		    why, cap, "cannot write a new meta header: %s", err.msg);
		*oc = STORESCU_UNREADABLE;
		return -1;
	}
	it->xoff = it->info.dataset_offset;
	if (it->info.flags & PART10_F_TS_MISMATCH)
		report_add_note(it->note, sizeof(it->note),
		    "meta header transfer syntax %s differs: sent as the "
		    "data set's",
		    it->info.meta_ts_uid);
	if (it->info.flags & PART10_F_CLASS_MISMATCH)
		report_add_note(it->note, sizeof(it->note),
		    "meta header SOP class %s differs: sent as the data set's",
		    it->info.meta_sop_class);
	if (it->info.flags & PART10_F_INSTANCE_MISMATCH)
		report_add_note(it->note, sizeof(it->note),
		    "meta header SOP instance %s differs: sent as the data "
		    "set's",
		    it->info.meta_sop_instance);
	return 0;
}

int
stow_prepare(struct run *r, struct item *it, enum storescu_outcome *oc,
    char *why, size_t cap)
{
	struct dcmfile_transcoded tc = { .fd = -1 };
	struct cs_err err = { 0, "" };
	char note[CS_ERR_MSG_MAX + 256];
	const char *to;
	int rc, changed = 0;

	stow_unprepare(it);
	to = target(r, it, why, cap);
	if (to == NULL && (it->info.flags & META_REDONE))
		return new_meta_as_is(it, oc, why, cap);
	if (to == NULL)
		return add_preamble(it, oc, why, cap);
	if (to[0] == '\0') {
		*oc = STORESCU_NOCONTEXT;
		return -1;
	}
	rc = send_convert_file(it->fd, it->path, it->info.ts_uid, to,
	    r->o->allow_lossy, SEND_PAD_NEVER, it->info.sop_instance, &tc, note,
	    sizeof(note), &changed, &err);
	if (rc == 0 && (rc = new_meta(it, &tc, &err)) != 0)
		snprintf(note, sizeof(note), "cannot convert %s to %s: %s",
		    report_uid_text(it->info.ts_uid), report_uid_text(to),
		    err.msg);
	if (rc != 0) {
		if (tc.fd >= 0)
			close(tc.fd);
		stow_unprepare(it);
		snprintf(why, cap, "%s", note);
		/* written to while it was converted: the file's own failure */
		*oc = !changed             ? STORESCU_TRANSCODE
		    : rc == CS_E_TRUNCATED ? STORESCU_TRUNCATED
					   : STORESCU_UNREADABLE;
		return -1;
	}
	it->xfd = tc.fd;
	it->xlen = tc.length;
	snprintf(it->ts_sent, sizeof(it->ts_sent), "%s", tc.ts_uid);
	/* as long as the note holds, as when it was written there */
	snprintf(it->note, sizeof(it->note), "%.*s", (int)sizeof(it->note) - 1,
	    note);
	return 0;
}
