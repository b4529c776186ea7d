/*
 * scp.c - one association of the receiver, on its own thread: the
 * policy decision on the A-ASSOCIATE-RQ, C-ECHO, and C-STORE streamed
 * into an atomic sink (see scp.h, sink_dir.h).
 *
 * Everything happens in the engine's callbacks: the command starts an
 * object (temporary file with its File Meta Information), data set
 * chunks go to the file and to the top-level scanner as they arrive,
 * and at the last fragment the UIDs are checked, the file is renamed to
 * its final name and only then is Success answered.  A failure at any
 * point removes the temporary file and answers a failure status with an
 * Error Comment (PS3.4 B.2.3: A7xx out of resources, A9xx data set does
 * not match, Cxxx cannot understand).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cstore/cstore.h"
#include "core/alloc.h"
#include "core/dimse_cmd.h"
#include "core/dimse_msg.h"
#include "core/ds_scan.h"
#include "core/status.h"
#include "core/uid.h"
#include "core/ul_assoc.h"
#include "core/ul_dump.h"
#include "net/net.h"
#include "net/pump.h"
#include "storescp/scp.h"
#include "core/banned.h"

/* PS3.4 B.2.3 and PS3.7 C statuses we answer. */
#define ST_SUCCESS 0x0000
#define ST_DUPLICATE 0x0111      /* duplicate SOP instance (PS3.7 C.5.9) */
#define ST_CLASS_NOT_SUPPORTED 0x0122
#define ST_UNRECOGNIZED_OP 0x0211
#define ST_OUT_OF_RESOURCES 0xA700
#define ST_MISMATCH 0xA900       /* data set does not match SOP class */
#define ST_MISMATCH_WARN 0xB007  /* the same, stored anyway (PS3.4 B.2.3) */
#define ST_CANNOT_UNDERSTAND 0xC000

#define SLICE_MS 200 /* how often a quiet association looks at the clock */
#define STOP_LINGER_MS 2000 /* after the grace time: the peer's close */

enum req_kind { REQ_NONE = 0, REQ_ECHO, REQ_STORE, REQ_OTHER };

struct assoc {
	struct storescp *s;
	unsigned id;
	int fd;
	int over_limit;
	struct ul_assoc *a;
	struct pump pump;
	int pump_ready;
	struct dimse_rx rx;
	struct ul_assoc_params *ac;
	char peer_host[64];
	char peer[80];
	char calling[UL_AE_MAX + 1], called[UL_AE_MAX + 1];
	int accepted, rejected, aborted, released;
	unsigned n_store;
	uint64_t seen_in, seen_out, last_activity;

	/* the request in progress */
	enum req_kind kind;
	uint8_t pcid;
	struct dimse_cmd rq;
	char ts[UL_UID_MAX + 1];
	uint16_t status;          /* failure decided early, or 0 */
	uint16_t warn;            /* warning for a stored object, or 0 */
	char comment[DIMSE_LO_MAX + 1];
	int sink_open;
	struct sink sink;
	int scanning;             /* the scanner is fed */
	int scan_rc;
	struct ds_scan scan;
	struct cs_err scan_err;
	uint64_t ds_bytes;
};

void
scp_log(struct storescp *s, int level, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	if (s->cfg.log == NULL || level > s->cfg.log_level)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	s->cfg.log(s->cfg.user, level, line);
}

/* Error Comment (0000,0902) is LO: at most 64 characters, no backslash
 * or control character (PS3.5 6.2). */
static void set_comment(struct assoc *w, uint16_t status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
set_comment(struct assoc *w, uint16_t status, const char *fmt, ...)
{
	va_list ap;

	w->status = status;
	va_start(ap, fmt);
	vsnprintf(w->comment, sizeof(w->comment), fmt, ap);
	va_end(ap);
	for (char *p = w->comment; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == '\\' ||
		    (unsigned char)*p > 0x7e)
			*p = '?';
}

static void
trace_line(void *user, const char *line)
{
	struct assoc *w = user;

	scp_log(w->s, STORESCP_LOG_TRACE, "association %u: %s", w->id, line);
}

static void
on_trace(void *user, char dir, const uint8_t *pdu, size_t len)
{
	struct assoc *w = user;

	ul_dump_pdu(dir, pdu, len, w->a ? ul_rq_params(w->a) : NULL,
	    trace_line, w);
}

static void
count(struct storescp *s, uint64_t *field)
{
	pthread_mutex_lock(&s->mu);
	(*field)++;
	pthread_mutex_unlock(&s->mu);
}

static int
on_associate_rq(void *user, const struct ul_assoc_params *rq)
{
	struct assoc *w = user;
	struct storescp *s = w->s;
	struct ul_assoc_rj rj = { 0, 0, 0 };
	char why[256] = "", window[32] = "";
	int n_ok = 0;

	snprintf(w->calling, sizeof(w->calling), "%s", rq->calling_ae);
	snprintf(w->called, sizeof(w->called), "%s", rq->called_ae);
	if (w->over_limit) {
		/* PS3.8 9.3.4: transient, service provider (presentation),
		 * local limit exceeded. */
		rj = (struct ul_assoc_rj){ 2, 3, 2 };
		snprintf(why, sizeof(why), "local limit exceeded (%u associations at once)",
		    s->cfg.max_associations);
	} else if (faults_reject(&s->faults, &rj)) {
		snprintf(why, sizeof(why), "--reject: %s",
		    ul_rj_reason_text(rj.source, rj.reason));
	} else if (policy_decide(&s->policy, rq, w->peer_host, w->ac, &rj, why,
	    sizeof(why)) == POLICY_ACCEPT) {
		if (ul_associate_accept(w->a, w->ac) != 0) {
			scp_log(s, STORESCP_LOG_ERROR,
			    "association %u from '%s' at %s: cannot accept: %s",
			    w->id, w->calling, w->peer, ul_last_error(w->a)->msg);
			return -1;
		}
		w->accepted = 1;
		count(s, &s->stats.associations);
		for (int i = 0; i < w->ac->n_pc; i++)
			n_ok += w->ac->pc[i].result == UL_PC_ACCEPTANCE;
		if (w->ac->has_async_ops)
			snprintf(window, sizeof(window), ", async window %u",
			    w->ac->max_ops_invoked);
		scp_log(s, why[0] ? STORESCP_LOG_ERROR : STORESCP_LOG_VERBOSE,
		    "association %u from '%s' at %s to '%s': accepted %d of %u presentation contexts%s%s%s",
		    w->id, w->calling, w->peer, w->called, n_ok,
		    (unsigned)rq->n_pc, window, why[0] ? ": " : "", why);
		return 0;
	}
	w->rejected = 1;
	count(s, &s->stats.rejected);
	scp_log(s, STORESCP_LOG_ERROR,
	    "association %u from '%s' at %s to '%s' rejected: %s (result %u, source %u, reason %u)",
	    w->id, w->calling, w->peer, w->called, why, rj.result, rj.source,
	    rj.reason);
	return ul_associate_reject(w->a, &rj) == 0 ? 0 : -1;
}

static void
drop_object(struct assoc *w)
{
	if (w->sink_open)
		sink_abort(&w->sink);
	w->sink_open = 0;
	w->scanning = 0;
	w->kind = REQ_NONE;
}

static int
on_abort(void *user, const struct ul_abort *ab, int from_peer)
{
	struct assoc *w = user;

	w->aborted = 1;
	if (w->kind == REQ_STORE)
		scp_log(w->s, STORESCP_LOG_ERROR,
		    "association %u: aborted during the C-STORE of '%s': nothing stored",
		    w->id, w->rq.affected_instance);
	else
		scp_log(w->s, STORESCP_LOG_VERBOSE,
		    "association %u: %s: %s (source %u, reason %u)", w->id,
		    from_peer ? "aborted by the peer" : "aborted",
		    ul_abort_reason_text(ab->source, ab->reason), ab->source,
		    ab->reason);
	drop_object(w);
	return 0;
}

static int
on_release_rq(void *user)
{
	struct assoc *w = user;

	if (w->kind != REQ_NONE) {
		scp_log(w->s, STORESCP_LOG_ERROR,
		    "association %u: release requested in the middle of a message: nothing stored",
		    w->id);
		drop_object(w);
	}
	w->released = 1;
	scp_log(w->s, STORESCP_LOG_VERBOSE, "association %u: released", w->id);
	return ul_release_response(w->a) == 0 ? 0 : -1;
}

static int
on_pdv(void *user, uint8_t pcid, uint8_t control, const uint8_t *data,
    size_t len)
{
	struct assoc *w = user;
	int rc = dimse_rx_pdv(&w->rx, pcid, control, data, len);

	if (rc != 0 && rc != CS_E_CALLBACK)
		scp_log(w->s, STORESCP_LOG_ERROR,
		    "association %u from '%s': %s: aborting", w->id, w->calling,
		    dimse_rx_error(&w->rx)->msg);
	return rc == 0 ? 0 : -1;
}

/* Waits delay_ms before a response, in slices, giving up when the
 * server must stop now. */
static void
fault_delay(struct assoc *w)
{
	unsigned left = w->s->faults.f.delay_ms;

	while (left > 0 && !atomic_load(&w->s->hard_stop)) {
		unsigned step = left < 50 ? left : 50;
		struct timespec ts = { 0, (long)step * 1000000L };

		nanosleep(&ts, NULL);
		left -= step;
	}
}

/*
 * Queues a response.  When the output queue is full the peer is not
 * reading its responses (it has many requests in flight): wait for it,
 * not reading its further requests meanwhile, rather than abort; up to
 * the silence limit.
 */
static int
queue_rsp(struct assoc *w, const struct dimse_cmd *rsp, struct cs_err *err)
{
	uint64_t start = net_now_ms();
	int rc;

	for (;;) {
		cs_err_clear(err);
		rc = dimse_send_command(w->a, w->pcid, rsp, err);
		if (rc != CS_E_AGAIN)
			return rc;
		cs_err_clear(err);
		if (atomic_load(&w->s->hard_stop))
			return cs_err_set(err, rc, "the receiver is stopping");
		if (net_now_ms() - start > w->s->cfg.timeout_ms)
			return cs_err_set(err, rc,
			    "the peer has not read its responses for %u s",
			    w->s->cfg.timeout_ms / 1000);
		rc = pump_drain_wait(&w->pump, SLICE_MS);
		if (rc != 0 && rc != CS_E_TIMEOUT)
			return cs_err_set(err, rc, "connection lost");
	}
}

/*
 * Sends a response now, from inside ul_recv: the bytes already read may
 * hold further requests (a sender with an asynchronous operations
 * window), and this response must not wait until they are served.
 */
static int
send_rsp(struct assoc *w, const struct dimse_cmd *rsp)
{
	struct cs_err err = { 0, "" };
	char line[400];
	int rc;

	if (w->s->cfg.log_level >= STORESCP_LOG_TRACE) {
		dimse_cmd_format(rsp, line, sizeof(line));
		trace_line(w, line);
	}
	fault_delay(w);
	rc = queue_rsp(w, rsp, &err);
	if (rc != 0) {
		scp_log(w->s, STORESCP_LOG_ERROR,
		    "association %u: cannot send the response: %s", w->id,
		    err.code ? err.msg : cs_strerror(rc));
		return -1;
	}
	pump_drain_now(&w->pump);
	return 0;
}

static const char *
lookup(void *arg, uint32_t tag, size_t *lenp)
{
	struct assoc *w = arg;
	const char *v = NULL;

	if (w->scanning && w->scan_rc == 0)
		v = layout_ds_scan_lookup(&w->scan, tag, lenp);
	if (v != NULL)
		return v;
	/* A data set we could not scan (Deflated): the command's UIDs. */
	if (tag == DS_TAG_SOP_INSTANCE_UID)
		v = w->rq.affected_instance;
	else if (tag == DS_TAG_SOP_CLASS_UID)
		v = w->rq.affected_class;
	if (v != NULL)
		*lenp = strlen(v);
	return v;
}

/*
 * Is a UID of the command unfit to be stored?  It becomes the meta
 * header's value and, through the layout, a file name, as sent: so it
 * must be 1 to 64 characters of the UI repertoire, digits and '.'
 * (PS3.5 6.2, 9.1), which rules out '/', '\\', control bytes, spaces
 * and every other surprise, with at least one digit (not "." or "..").  The structure rules of PS3.5 9.1 (no
 * leading zero in a component, no empty component) are not enforced,
 * as other archives do not: such a UID is stored.  Returns 1 with the
 * reason in why (size n), else 0.
 */
static int
uid_refused(const struct dimse_cmd *rq, unsigned bit, const char *v,
    char *why, size_t n)
{
	const char *p;

	if (rq->bad_ui & bit) {
		snprintf(why, n, "%s", v[0] == '\0' ? "empty" :
		    strchr(v, '?') != NULL ? "holds a control or non-ASCII byte" :
		    "longer than 64 characters");
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

static void
begin_store(struct assoc *w, const struct ul_pc *pc)
{
	struct storescp *s = w->s;
	struct sink_meta meta;
	struct cs_err err = { 0, "" };
	uint32_t tags[2 + LAYOUT_MAX_TAGS];
	size_t ntags;
	enum ds_enc enc;
	const char *ae = w->calling;
	char why[48];
	int rc;

	w->n_store++;
	snprintf(w->ts, sizeof(w->ts), "%s", pc->ts[0]);
	if (!dimse_cmd_has_dataset(&w->rq)) {
		set_comment(w, ST_CANNOT_UNDERSTAND, "C-STORE-RQ without a data set");
		return;
	}
	if (strcmp(w->rq.affected_class, pc->abstract_syntax) != 0) {
		set_comment(w, ST_CLASS_NOT_SUPPORTED,
		    "SOP class not negotiated on context %u", w->pcid);
		return;
	}
	if (uid_refused(&w->rq, DIMSE_HAS_AFFECTED_INSTANCE,
	    w->rq.affected_instance, why, sizeof(why))) {
		set_comment(w, ST_CANNOT_UNDERSTAND,
		    "SOP Instance UID refused: %s", why);
		return;
	}
	if (uid_refused(&w->rq, DIMSE_HAS_AFFECTED_CLASS,
	    w->rq.affected_class, why, sizeof(why))) {
		set_comment(w, ST_CANNOT_UNDERSTAND,
		    "SOP Class UID refused: %s", why);
		return;
	}
	/* The meta header's Source AE (AE VR) cannot hold a backslash. */
	for (const char *p = ae; *p != '\0'; p++)
		if (*p == '\\' || (unsigned char)*p < 0x20)
			ae = NULL;
	meta = (struct sink_meta){
		.sop_class = w->rq.affected_class,
		.sop_instance = w->rq.affected_instance,
		.ts_uid = w->ts,
		.impl_uid = CS_IMPL_CLASS_UID,
		.impl_version = CS_IMPL_VERSION,
		.source_ae = ae != NULL && ae[0] != '\0' ? ae : NULL,
	};
	rc = sink_begin(&w->sink, &s->root, &meta, &err);
	if (rc != 0) {
		sink_abort(&w->sink);
		scp_log(s, STORESCP_LOG_ERROR, "association %u: cannot store '%s': %s",
		    w->id, w->rq.affected_instance, err.msg);
		if (rc == CS_E_INVAL)
			set_comment(w, ST_CANNOT_UNDERSTAND, "%s", err.msg);
		else
			set_comment(w, ST_OUT_OF_RESOURCES, "cannot write: %s",
			    cs_strerror(rc));
		return;
	}
	w->sink_open = 1;
	if (ds_scan_enc_for_ts(w->ts, &enc) != 0) {
		scp_log(s, STORESCP_LOG_VERBOSE,
		    "association %u: transfer syntax %s cannot be scanned: UIDs not checked",
		    w->id, w->ts);
		return;
	}
	tags[0] = DS_TAG_SOP_CLASS_UID;
	tags[1] = DS_TAG_SOP_INSTANCE_UID;
	ntags = 2 + layout_tags(&s->layout, tags + 2, LAYOUT_MAX_TAGS);
	cs_err_clear(&w->scan_err);
	w->scan_rc = ds_scan_init(&w->scan, enc, tags, ntags, 0, &w->scan_err);
	w->scanning = 1;
}

static int
on_command(void *user, uint8_t pcid, const struct dimse_cmd *cmd)
{
	struct assoc *w = user;
	const struct ul_pc *pc = ul_accepted_pc(w->a, pcid);
	char line[400];

	if (w->s->cfg.log_level >= STORESCP_LOG_TRACE) {
		dimse_cmd_format(cmd, line, sizeof(line));
		trace_line(w, line);
	}
	w->kind = REQ_NONE;
	w->pcid = pcid;
	w->rq = *cmd;
	w->status = ST_SUCCESS;
	w->warn = 0;
	w->comment[0] = '\0';
	w->ds_bytes = 0;
	w->scanning = 0;
	w->scan_rc = 0;
	if (pc == NULL)
		return -1; /* the engine passes accepted contexts only */
	if (cmd->command_field & DIMSE_RSP_BIT) {
		scp_log(w->s, STORESCP_LOG_ERROR,
		    "association %u: unexpected %s from the peer: aborting", w->id,
		    dimse_command_name(cmd->command_field));
		return -1;
	}
	switch (cmd->command_field) {
	case DIMSE_C_STORE_RQ:
		w->kind = REQ_STORE;
		begin_store(w, pc);
		break;
	case DIMSE_C_ECHO_RQ:
		w->kind = REQ_ECHO;
		break;
	case DIMSE_C_CANCEL_RQ:
		return 0; /* nothing to cancel: no response (PS3.7 9.3.2.3) */
	default:
		w->kind = REQ_OTHER;
		set_comment(w, ST_UNRECOGNIZED_OP, "%s not supported",
		    dimse_command_name(cmd->command_field));
		break;
	}
	return 0;
}

static int finish_request(struct assoc *w);

static int
on_dataset(void *user, uint8_t pcid, const uint8_t *data, size_t len,
    int last)
{
	struct assoc *w = user;
	struct cs_err err = { 0, "" };
	int rc;

	(void)pcid;
	w->ds_bytes += len;
	if (w->kind == REQ_STORE && w->sink_open && w->status == ST_SUCCESS &&
	    len > 0) {
		rc = sink_write(&w->sink, data, len, &err);
		if (rc != 0) {
			scp_log(w->s, STORESCP_LOG_ERROR,
			    "association %u: cannot store '%s': %s", w->id,
			    w->rq.affected_instance, err.msg);
			set_comment(w, ST_OUT_OF_RESOURCES, "cannot write: %s",
			    cs_strerror(rc));
		}
	}
	if (w->scanning && w->scan_rc == 0 && len > 0)
		w->scan_rc = ds_scan_feed(&w->scan, data, len, &w->scan_err) < 0 ?
		    -1 : 0;
	return last ? finish_request(w) : 0;
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
check_dataset(struct assoc *w)
{
	static const struct {
		uint32_t tag;
		const char *name;
	} uid[2] = { { DS_TAG_SOP_CLASS_UID, "SOP Class UID" },
		{ DS_TAG_SOP_INSTANCE_UID, "SOP Instance UID" } };
	const char *want[2] = { w->rq.affected_class, w->rq.affected_instance };
	int i;

	if (!w->scanning || w->status != ST_SUCCESS)
		return;
	if (w->scan_rc != 0 || ds_scan_finish(&w->scan, &w->scan_err) != 0) {
		set_comment(w, ST_CANNOT_UNDERSTAND, "cannot parse the data set: %s",
		    w->scan_err.msg);
		return;
	}
	for (i = 0; i < 2; i++)
		if (ds_scan_value(&w->scan, uid[i].tag, NULL, NULL) != NULL &&
		    !ds_scan_equals(&w->scan, uid[i].tag, want[i])) {
			set_comment(w, ST_MISMATCH, "%s differs from the "
			    "command", uid[i].name);
			return;
		}
	for (i = 0; i < 2; i++)
		if (ds_scan_value(&w->scan, uid[i].tag, NULL, NULL) == NULL) {
			scp_log(w->s, STORESCP_LOG_ERROR, "association %u: "
			    "no %s in the data set of '%s': stored under "
			    "the command's, answered %04X", w->id, uid[i].name,
			    w->rq.affected_instance, ST_MISMATCH_WARN);
			w->warn = ST_MISMATCH_WARN;
		}
}

static void
today(char *buf, size_t n)
{
	time_t t = time(NULL);
	struct tm tm;

	if (localtime_r(&t, &tm) == NULL || strftime(buf, n, "%Y%m%d", &tm) == 0)
		snprintf(buf, n, "%s", "00000000");
}

/* Renames the object into place; returns 1 if a file is in place. */
static int
commit(struct assoc *w, char *final, size_t finalsz, int *kept)
{
	struct storescp *s = w->s;
	struct layout_input in;
	struct cs_err err = { 0, "" };
	char rel[LAYOUT_PATH_MAX];
	char date[16];
	int rc;

	today(date, sizeof(date));
	in = (struct layout_input){ .lookup = lookup, .arg = w,
		.calling_aet = w->calling, .called_aet = w->called,
		.date = date };
	if (layout_render(&s->layout, &in, rel, sizeof(rel), &err) < 0) {
		sink_abort(&w->sink);
		w->sink_open = 0;
		set_comment(w, ST_OUT_OF_RESOURCES, "cannot name the file");
		return 0;
	}
	rc = sink_commit(&w->sink, rel, (enum sink_dup)s->cfg.on_duplicate,
	    s->cfg.fsync ? SINK_FSYNC : 0, final, finalsz, &err);
	w->sink_open = 0;
	if (rc == SINK_STORED && w->sink.collisions > 0)
		scp_log(s, STORESCP_LOG_ERROR,
		    "association %u: warning: name '%s' holds another "
		    "object: '%s' stored as '%s' (%u name%s taken)", w->id,
		    rel, w->rq.affected_instance, final, w->sink.collisions,
		    w->sink.collisions == 1 ? "" : "s");
	switch (rc) {
	case SINK_STORED:
		return 1;
	case SINK_KEPT:
		*kept = 1;
		return 1;
	case SINK_REJECTED:
		scp_log(s, STORESCP_LOG_ERROR,
		    "association %u: '%s' exists: duplicate refused", w->id, final);
		set_comment(w, ST_DUPLICATE, "duplicate: the file name is taken");
		return 0;
	default:
		scp_log(s, STORESCP_LOG_ERROR, "association %u: cannot store '%s': %s",
		    w->id, w->rq.affected_instance, err.msg);
		set_comment(w, rc == CS_E_INVAL ? ST_CANNOT_UNDERSTAND :
		    ST_OUT_OF_RESOURCES, "cannot write: %s", cs_strerror(rc));
		return 0;
	}
}

static int
finish_store(struct assoc *w)
{
	struct storescp *s = w->s;
	struct dimse_cmd rsp;
	struct storescp_stored st;
	char final[PATH_MAX + LAYOUT_PATH_MAX];
	uint16_t status;
	const char *fault;
	int forced, kept = 0, stored = 0, wake = 0;

	check_dataset(w);
	if (faults_abort_now(&s->faults, w->n_store, w->rq.affected_instance,
	    &fault)) {
		scp_log(s, STORESCP_LOG_VERBOSE,
		    "association %u: %s: aborting instead of answering for '%s'",
		    w->id, fault, w->rq.affected_instance);
		drop_object(w);
		return -1;
	}
	status = faults_status(&s->faults, w->status, &forced);
	if (w->status != ST_SUCCESS)
		status = w->status; /* a fault never turns a failure into success */
	else if (!forced && w->warn != 0)
		status = w->warn;
	else if (forced && !status_is_stored(status_category_of(status)))
		set_comment(w, status, "refused on purpose (debugging receiver)");
	if (status_is_stored(status_category_of(status)) && w->sink_open)
		stored = commit(w, final, sizeof(final), &kept);
	drop_object(w);
	if (stored) {
		pthread_mutex_lock(&s->mu);
		s->stats.stored++;
		/* only --max-files needs the accept loop to look now */
		wake = s->cfg.max_files > 0 &&
		    s->stats.stored >= s->cfg.max_files;
		pthread_mutex_unlock(&s->mu);
		st = (struct storescp_stored){ .path = final,
			.sop_class = w->rq.affected_class,
			.sop_instance = w->rq.affected_instance, .ts_uid = w->ts,
			.calling_ae = w->calling, .called_ae = w->called,
			.peer = w->peer, .bytes = sink_bytes(&w->sink),
			.status = status, .kept = kept, .assoc_id = w->id };
		scp_log(s, STORESCP_LOG_VERBOSE,
		    "association %u: stored '%s' (%llu bytes)%s", w->id, final,
		    (unsigned long long)st.bytes, kept ? ", kept the existing file" : "");
		if (s->cfg.on_stored != NULL)
			s->cfg.on_stored(s->cfg.user, &st);
		if (s->cfg.exec_argv != NULL)
			scp_exec(s, final);
		if (wake)
			scp_wake(s);
	} else {
		status = w->status;
		count(s, &s->stats.failed);
		scp_log(s, STORESCP_LOG_ERROR,
		    "association %u: answered %04X for '%s': %s", w->id, status,
		    w->rq.affected_instance, w->comment);
	}
	dimse_cstore_rsp(&rsp, &w->rq, status);
	if (status != ST_SUCCESS && w->comment[0] != '\0' &&
	    status_category_of(status) == STATUS_FAILURE)
		dimse_cmd_set_error_comment(&rsp, w->comment);
	return send_rsp(w, &rsp);
}

static int
finish_request(struct assoc *w)
{
	struct dimse_cmd rsp;
	enum req_kind kind = w->kind;

	w->kind = REQ_NONE;
	switch (kind) {
	case REQ_STORE:
		w->kind = REQ_STORE;
		return finish_store(w);
	case REQ_ECHO:
		scp_log(w->s, STORESCP_LOG_VERBOSE, "association %u: C-ECHO", w->id);
		dimse_cecho_rsp(&rsp, &w->rq, ST_SUCCESS);
		return send_rsp(w, &rsp);
	case REQ_OTHER:
		dimse_cmd_init(&rsp, (uint16_t)(w->rq.command_field | DIMSE_RSP_BIT));
		rsp.has |= DIMSE_HAS_MESSAGE_ID_RSP | DIMSE_HAS_DATASET_TYPE |
		    DIMSE_HAS_STATUS;
		rsp.message_id_rsp = w->rq.message_id;
		rsp.dataset_type = DIMSE_DATASET_NONE;
		rsp.status = ST_UNRECOGNIZED_OP;
		if (w->rq.has & DIMSE_HAS_AFFECTED_CLASS) {
			rsp.has |= DIMSE_HAS_AFFECTED_CLASS;
			memcpy(rsp.affected_class, w->rq.affected_class,
			    sizeof(rsp.affected_class));
		}
		dimse_cmd_set_error_comment(&rsp, w->comment);
		scp_log(w->s, STORESCP_LOG_ERROR, "association %u: %s", w->id,
		    w->comment);
		return send_rsp(w, &rsp);
	default:
		return 0;
	}
}

/* dimse_rx calls on_command; a request without a data set is answered
 * at once, from here. */
static int
on_command_outer(void *user, uint8_t pcid, const struct dimse_cmd *cmd)
{
	struct assoc *w = user;

	if (on_command(user, pcid, cmd) != 0)
		return -1;
	if (w->kind != REQ_NONE && !dimse_cmd_has_dataset(cmd))
		return finish_request(w);
	return 0;
}

static int
progress(void *ctx)
{
	struct assoc *w = ctx;

	return w->pump.bytes_in != w->seen_in || w->pump.bytes_out != w->seen_out;
}

static void
peer_name(struct assoc *w)
{
	unsigned port = 0;

	if (net_addr(w->fd, 1, w->peer_host, sizeof(w->peer_host), &port) != 0)
		snprintf(w->peer_host, sizeof(w->peer_host), "?");
	if (strchr(w->peer_host, ':') != NULL)
		snprintf(w->peer, sizeof(w->peer), "[%s]:%u", w->peer_host, port);
	else
		snprintf(w->peer, sizeof(w->peer), "%s:%u", w->peer_host, port);
}

/*
 * The loop: pump in slices, watching the silence limit and the stop
 * (checked after every slice, busy or quiet: a peer that keeps sending
 * must not outlast --grace).  Every end goes through pump_linger: after
 * our A-ABORT or A-ASSOCIATE-RJ the peer closes first (PS3.8 Sta13).
 */
static void
run(struct assoc *w)
{
	struct storescp *s = w->s;
	int rc;

	w->last_activity = net_now_ms();
	for (;;) {
		struct cs_err err = { 0, "" };
		const uint8_t *pending;
		uint64_t now;
		int hard;

		rc = pump_run(&w->pump, progress, w, SLICE_MS, &err);
		now = net_now_ms();
		if (rc == 0) {
			/* A sender with Nagle on (DCMTK as Debian ships it)
			 * writes a command and its data set separately: ACK at
			 * once so that its second write is not held ~40 ms.
			 * A response about to leave, or sent from inside the
			 * read (pump_drain_now), carries the ACK itself. */
			if (w->pump.bytes_in != w->seen_in &&
			    w->pump.bytes_out == w->seen_out &&
			    ul_out_peek(w->a, &pending) == 0)
				net_quickack(w->fd);
			w->seen_in = w->pump.bytes_in;
			w->seen_out = w->pump.bytes_out;
			w->last_activity = now;
		} else if (rc != CS_E_TIMEOUT) {
			if (rc != CS_E_CLOSED && rc != CS_E_NET &&
			    rc != CS_E_CALLBACK && !w->aborted &&
			    !w->rejected)
				scp_log(s, STORESCP_LOG_ERROR,
				    "association %u from '%s': %s", w->id,
				    w->calling[0] ? w->calling : w->peer,
				    err.code ? err.msg : cs_strerror(rc));
			pump_linger(&w->pump, atomic_load(&s->hard_stop) ?
			    STOP_LINGER_MS : 0);
			return;
		}
		hard = atomic_load(&s->hard_stop);
		if (ul_state(w->a) == UL_STA13 || ul_state(w->a) == UL_STA1 ||
		    (!hard && (rc == 0 ||
		    now - w->last_activity <= s->cfg.timeout_ms ||
		    ul_state(w->a) == UL_STA2)))
			continue; /* ending already, or not silent long enough */
		if (hard)
			scp_log(s, STORESCP_LOG_ERROR,
			    "association %u: aborted: the receiver is stopping",
			    w->id);
		else
			scp_log(s, STORESCP_LOG_ERROR,
			    "association %u from '%s': nothing from the peer for %u s: aborting",
			    w->id, w->calling, s->cfg.timeout_ms / 1000);
		if (w->kind == REQ_STORE)
			scp_log(s, STORESCP_LOG_ERROR,
			    "association %u: '%s' not stored", w->id,
			    w->rq.affected_instance);
		drop_object(w);
		w->aborted = 1;
		/* no cell for an abort in Sta2 (no request yet): just close;
		 * a receiver that must stop waits for the peer's close only
		 * briefly, not for ARTIM */
		ul_tick(w->a, now); /* ARTIM counts from now */
		if (ul_abort(w->a) == 0)
			pump_linger(&w->pump, hard ? STOP_LINGER_MS : 0);
		return;
	}
}

int
scp_serve(struct storescp *s, int fd, unsigned id, int over_limit)
{
	static const struct ul_callbacks cb = {
		.on_associate_rq = on_associate_rq,
		.on_pdv = on_pdv,
		.on_release_rq = on_release_rq,
		.on_abort = on_abort,
	};
	static const struct dimse_rx_callbacks rxcb = {
		.on_command = on_command_outer,
		.on_dataset = on_dataset,
	};
	struct ul_config ucfg = { 0 };
	struct assoc *w;
	int accepted = 0;

	w = cs_calloc(1, sizeof(*w));
	if (w == NULL || (w->ac = cs_calloc(1, sizeof(*w->ac))) == NULL) {
		scp_log(s, STORESCP_LOG_ERROR,
		    "association %u: out of memory: connection closed", id);
		if (w != NULL)
			cs_free(w);
		close(fd);
		return 0;
	}
	w->s = s;
	w->id = id;
	w->fd = fd;
	w->over_limit = over_limit;
	w->sink.fd = -1;
	peer_name(w);
	ucfg.max_pdu_recv = s->cfg.max_pdu == UINT32_MAX ? 0 : s->cfg.max_pdu;
	ucfg.artim_ms = s->cfg.timeout_ms;
	dimse_rx_init(&w->rx, &rxcb, w);
	w->a = ul_assoc_new(UL_ACCEPTOR, &ucfg, &cb, w);
	if (w->a == NULL || pump_init(&w->pump, fd, w->a) != 0) {
		scp_log(s, STORESCP_LOG_ERROR,
		    "association %u: out of memory: connection closed", id);
	} else {
		w->pump_ready = 1;
		scp_log(s, STORESCP_LOG_VERBOSE, "association %u: connection from %s",
		    id, w->peer);
		if (s->cfg.log_level >= STORESCP_LOG_TRACE)
			ul_set_trace(w->a, on_trace, w);
		if (ul_transport_connected(w->a, net_now_ms()) == 0)
			run(w);
	}
	drop_object(w);
	if (w->aborted)
		count(s, &s->stats.aborted);
	accepted = w->accepted;
	if (w->pump_ready)
		pump_release(&w->pump);
	close(fd);
	dimse_rx_release(&w->rx);
	ul_assoc_free(w->a);
	cs_free(w->ac);
	cs_free(w);
	return accepted;
}
