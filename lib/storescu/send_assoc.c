/*
 * send_assoc.c - one association's share of storescu_send: open it
 * (with retries), send its files as they are or converted, keeping up
 * to the granted window of C-STOREs outstanding (PS3.7 D.3.3.3), and
 * report every file once, in file order.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/status.h"
#include "dcmfile/dcmfile.h"
#include "dcmfile/part10.h"
#include "net/net.h"
#include "dcmfile/infile.h"
#include "storescu/send.h"
#include "core/banned.h"

struct prefetch {
	struct send *sd;
	const size_t *idx; /* the association's inputs */
	const char *done;
	size_t n, cur;     /* position being sent */
	size_t index;      /* input index of fd, or SIZE_MAX */
	int fd;
};

/* One input on its way: from opening its file to its response. */
struct flight {
	int sent;          /* a request went out (answered or not) */
	uint16_t msg_id;
	size_t j;          /* position in the association's list */
	uint64_t t0, len;
	struct part10_info info;
	struct storescu_result r;
	char detail[DETAIL_MAX];
};

/*
 * What a file without a final result is waiting for.  --retry N allows
 * each file N + 1 requests, over as many associations as it takes; an
 * association that dies costs an attempt only to the files in flight.
 */
enum {
	OBJ_FRESH, /* not sent yet, or not in this run of associations */
	OBJ_LOST,  /* in flight when an association died: sent again alone */
	OBJ_BUSY,  /* answered A7xx: sent again on a new association */
};

/* The files of one association and what became of them. */
struct batch {
	struct send *sd;
	const struct propose_set *set;
	const size_t *idx; /* input indexes */
	size_t n, left;    /* files, files without a final result */
	size_t busy;       /* answered A7xx in this attempt */
	char *done;        /* per file: final result reported */
	unsigned *sends;   /* per file: requests sent so far */
	unsigned char *state; /* per file: OBJ_* */
	uint16_t *status;  /* per file: the A7xx of an OBJ_BUSY one */
	unsigned max_sends; /* --retry + 1 */
	size_t lost;       /* reported aborted or notsent as an association died */
	unsigned assoc, attempt;
	struct prefetch pf;
	struct flight *ring; /* the window: SCU_WINDOW_MAX places */
	int dead_rc;       /* why the association died, or 0 */
	int death_rc;      /* the latest death of any attempt, or 0 */
	struct cs_err death;
	/* the file whose data set could not be read to the end (CS_E_IO):
	 * the association died of it, not of the peer */
	struct flight *broken;
	struct cs_err dead;
};

/* Opens the next pending input of the association and asks the kernel
 * to read it ahead while the current response is awaited. */
static void
read_ahead(struct prefetch *pf)
{
	size_t j;

	if (pf->fd >= 0)
		return;
	for (j = pf->cur + 1; j < pf->n; j++)
		if (!pf->done[j])
			break;
	if (j >= pf->n)
		return;
	pf->fd = infile_open(pf->sd->paths[pf->idx[j]], NULL);
	if (pf->fd < 0)
		return;
	pf->index = pf->idx[j];
	(void)posix_fadvise(pf->fd, 0, 0, POSIX_FADV_WILLNEED);
}

static void
prefetch_drop(struct prefetch *pf)
{
	if (pf->fd >= 0)
		close(pf->fd);
	pf->fd = -1;
	pf->index = SIZE_MAX;
}

static int
transient_status(uint16_t status)
{
	/* PS3.4 B.2.3: A7xx Refused: Out of Resources. */
	return (status & 0xFF00) == 0xA700;
}

static void
add_detail(char *buf, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
add_detail(char *buf, const char *fmt, ...)
{
	size_t len = strlen(buf);
	va_list ap;

	if (len > 0 && len + 2 < DETAIL_MAX) {
		memcpy(buf + len, "; ", 3);
		len += 2;
	}
	va_start(ap, fmt);
	vsnprintf(buf + len, DETAIL_MAX - len, fmt, ap);
	va_end(ap);
}

/* Why no accepted context fits a file, in words (send.h). */
void
send_nocontext_reason(const struct send *sd, const struct ul_assoc_params *ac,
    const struct propose_set *set, const char *cls, const char *ts,
    char *detail)
{
	int k, any = 0;
	uint8_t j;

	for (k = 0; ac != NULL && k < ac->n_pc; k++) {
		if (ac->pc[k].result != UL_PC_ACCEPTANCE)
			continue;
		for (j = 0; j < set->n_pc; j++)
			if (set->pc[j].id == ac->pc[k].id &&
			    strcmp(set->pc[j].abstract_syntax, cls) == 0)
				any = 1;
	}
	if (!any)
		add_detail(detail, "the peer does not accept SOP class %s",
		    send_uid_text(cls));
	else if (sd->o->no_transcode)
		add_detail(detail, "the peer does not accept %s for it (--no-transcode)",
		    send_uid_text(ts));
	else {
		struct propose_opts lossy = sd->popts;
		struct propose_choice ch;

		lossy.allow_lossy = 1;
		if (!sd->o->allow_lossy && propose_pick(set->pc, set->n_pc,
		    ac->pc, ac->n_pc, cls, ts, &lossy, &ch) == 0)
			add_detail(detail,
			    "the peer does not accept %s for it; it converts to %s only lossily (--lossy allows it)",
			    send_uid_text(ts), send_uid_text(ch.ts));
		else
			add_detail(detail,
			    "the peer does not accept %s for it and it cannot be converted to an accepted syntax",
			    send_uid_text(ts));
	}
}

/* Reports a flight's result as final. */
static void
land(struct batch *b, struct flight *f)
{
	if (f->r.ms == 0)
		f->r.ms = (unsigned)((net_now_us() - f->t0) / 1000);
	send_emit(b->sd, &f->r, 1);
	b->done[f->j] = 1;
	b->left--;
}

/* What GDCM and its libraries said while converting path: -v notes. */
static void
codec_notes(struct send *sd, const char *path)
{
	char msgs[2048], *line, *save = NULL;

	if (dcmfile_codec_messages(msgs, sizeof(msgs)) == 0)
		return;
	for (line = strtok_r(msgs, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save))
		send_note(sd, "gdcm: '%s': %s", path, line);
}

enum start { START_LOCAL, START_SENT, START_DIED };

/*
 * Opens, probes and (if it must be) converts file j, then sends its
 * C-STORE-RQ without waiting for the response.  START_LOCAL: f holds a
 * local result (unreadable, nocontext...) to report in its turn;
 * START_DIED: the association died while sending (b->dead says why).
 */
static enum start
start_one(struct batch *b, struct scu_session *s, struct flight *f, size_t j)
{
	struct send *sd = b->sd;
	const struct propose_set *set = b->set;
	size_t i = b->idx[j];
	const char *path = sd->paths[i];
	const struct ul_assoc_params *ac = scu_ac(s);
	struct propose_choice ch;
	struct dcmfile_transcoded tc = { .fd = -1 };
	struct cs_err e = { 0, "" };
	uint64_t off;
	unsigned pad;
	int fd, sfd, rc;

	f->sent = 0;
	f->j = j;
	f->t0 = net_now_us();
	f->len = 0;
	f->detail[0] = '\0';
	send_result_init(&f->r, sd, i, STORESCU_STORED);
	f->r.assoc = b->assoc;
	f->r.attempts = b->sends[j] + 1;
	f->r.detail = f->detail;
	if (b->pf.index == i) {
		fd = b->pf.fd;
		b->pf.fd = -1;
		b->pf.index = SIZE_MAX;
	} else {
		prefetch_drop(&b->pf);
		fd = infile_open(path, &e);
	}
	if (fd < 0) {
		add_detail(f->detail, "%s", e.msg);
		f->r.outcome = STORESCU_UNREADABLE;
		return START_LOCAL;
	}
	rc = part10_probe_fd(fd, 0, &f->info, &e);
	if (rc != 0) {
		add_detail(f->detail, "%s", e.msg);
		f->r.outcome = send_probe_outcome(rc);
		goto local;
	}
	f->r.sop_class = f->info.sop_class;
	f->r.sop_instance = f->info.sop_instance;
	f->r.ts_original = f->info.ts_uid;
	if (!propose_uid_valid(f->info.sop_instance)) {
		add_detail(f->detail, "invalid SOP Instance UID");
		f->r.outcome = STORESCU_NOTDICOM;
		goto local;
	}
	if (f->info.flags & PART10_F_CLASS_MISMATCH)
		add_detail(f->detail, "meta header SOP class %s differs: sent as the data set's",
		    f->info.meta_sop_class);
	rc = propose_pick(set->pc, set->n_pc, ac->pc, ac->n_pc,
	    f->info.sop_class, f->info.ts_uid, &sd->popts, &ch);
	if (rc != 0) {
		send_nocontext_reason(sd, ac, set, f->info.sop_class, f->info.ts_uid,
		    f->detail);
		f->r.outcome = STORESCU_NOCONTEXT;
		goto local;
	}
	f->r.ts_sent = ch.ts;
	sfd = fd;
	off = f->info.dataset_offset;
	f->len = f->info.dataset_length;
	if (ch.transcode) {
		rc = dcmfile_transcode(path, ch.ts, sd->o->allow_lossy, &tc, &e);
		codec_notes(sd, path);
		if (rc != 0) {
			add_detail(f->detail, "cannot convert %s to %s: %s",
			    send_uid_text(f->info.ts_uid), send_uid_text(ch.ts), e.msg);
			f->r.outcome = STORESCU_TRANSCODE;
			f->r.ts_sent = "";
			goto local;
		}
		f->r.transcoded = 1;
		if (tc.lossy && strcmp(tc.sop_instance, f->info.sop_instance) != 0) {
			/* PS3.3 C.12.1.1.1: a lossy copy is a new instance; it is
			 * sent, stored and reported under its new UID */
			add_detail(f->detail, "transcoded to %s (lossy): new SOP "
			    "Instance UID, was %s; ratio %.2f", send_uid_text(ch.ts),
			    f->info.sop_instance, tc.ratio);
			memcpy(f->info.sop_instance, tc.sop_instance,
			    sizeof(f->info.sop_instance));
		} else
			add_detail(f->detail, "transcoded to %s%s", send_uid_text(ch.ts),
			    tc.lossy ? " (lossy)" : "");
		sfd = tc.fd;
		off = 0;
		f->len = tc.length;
	}
	/*
	 * PS3.5 A.5: a deflated stream of odd length is followed by one
	 * zero byte, and PS3.8 E.1 wants every fragment even; files
	 * written without it (pydicom) get it on the wire, from memory.
	 */
	pad = (f->len & 1) && strcmp(ch.ts, PART10_TS_DEFLATED) == 0;
	if (pad)
		add_detail(f->detail, "deflated data set of odd length sent with its pad byte");
	b->sends[j]++;
	f->msg_id = 0; /* never a Message ID: set once the request is out */
	rc = scu_store_start(s, ch.pcid, f->info.sop_class,
	    f->info.sop_instance, sfd, (off_t)off, f->len, pad, &f->msg_id, &e);
	/* the data set is out (or never will be): the files can go */
	if (tc.fd >= 0)
		close(tc.fd);
	close(fd);
	f->sent = f->msg_id != 0;
	if (rc != 0 && !f->sent) {
		/* refused before anything went out: the association is fine */
		add_detail(f->detail, "not sent: %s", e.msg);
		f->r.outcome = STORESCU_NOTSENT;
		return START_LOCAL;
	}
	if (rc != 0) {
		b->dead_rc = rc;
		b->dead = e;
		if (rc == CS_E_IO)
			b->broken = f;
		return START_DIED;
	}
	return START_SENT;
local:
	close(fd);
	return START_LOCAL;
}

/*
 * PS3.7 9.3.1.2: a C-STORE-RSP may leave out the Affected SOP Class and
 * Instance UIDs, but when it has them they are the request's.  A peer
 * that names another object has not said what became of this one.
 */
static int
response_matches(struct flight *f, const struct dimse_cmd *rsp)
{
	if ((rsp->has & DIMSE_HAS_AFFECTED_INSTANCE) &&
	    strcmp(rsp->affected_instance, f->info.sop_instance) != 0) {
		add_detail(f->detail,
		    "the response is for SOP instance '%s', not the one sent",
		    rsp->affected_instance);
		return 0;
	}
	if ((rsp->has & DIMSE_HAS_AFFECTED_CLASS) &&
	    strcmp(rsp->affected_class, f->info.sop_class) != 0) {
		add_detail(f->detail,
		    "the response is for SOP class '%s', not the one sent",
		    rsp->affected_class);
		return 0;
	}
	return 1;
}

/* The response to f arrived: report it, or keep it for a retry (A7xx). */
static void
finish_one(struct batch *b, struct flight *f, const struct dimse_cmd *rsp)
{
	struct send *sd = b->sd;
	struct status_info si;
	int matches;

	f->r.ms = (unsigned)((net_now_us() - f->t0) / 1000);
	f->r.has_status = 1;
	f->r.status = rsp->status;
	f->r.bytes = f->len;
	f->r.error_comment = rsp->error_comment;
	matches = response_matches(f, rsp);
	if (matches && transient_status(rsp->status) &&
	    b->sends[f->j] < b->max_sends) {
		send_note(sd, "'%s': status %04X, will send it again",
		    sd->paths[b->idx[f->j]], rsp->status);
		b->busy++;
		b->state[f->j] = OBJ_BUSY;
		b->status[f->j] = rsp->status;
		return;
	}
	status_explain(rsp->status, "C-STORE", &si);
	switch (si.category) {
	case STATUS_SUCCESS:
		f->r.outcome = STORESCU_STORED;
		break;
	case STATUS_WARNING:
		f->r.outcome = STORESCU_WARNING;
		break;
	case STATUS_FAILURE:
	case STATUS_CANCEL:
	case STATUS_PENDING:
	case STATUS_UNKNOWN:
		f->r.outcome = STORESCU_FAILED;
		break;
	}
	if (si.category != STATUS_SUCCESS)
		add_detail(f->detail, "%s: %s", status_category_name(si.category),
		    si.std ? si.std->meaning : "unknown status");
	if (!matches) {
		/* what became of the object sent is unknown: no status of
		 * ours to show, a word ("failed") and the peer's in DETAIL */
		f->r.outcome = STORESCU_FAILED;
		f->r.has_status = 0;
		add_detail(f->detail, "answered %04X", rsp->status);
	}
	if (f->r.outcome == STORESCU_FAILED)
		f->r.bytes = 0;
	land(b, f);
}

/*
 * The association died with f outstanding: send it again later, alone,
 * while it has attempts left; else report it as aborted.  A file that
 * could not be read to the end is reported at once: the fault is ours.
 */
static void
lose_one(struct batch *b, struct flight *f)
{
	unsigned n = b->sends[f->j];

	if (f != b->broken && n < b->max_sends) {
		b->state[f->j] = OBJ_LOST;
		return;
	}
	f->r.outcome = STORESCU_ABORTED;
	if (f == b->broken)
		add_detail(f->detail, "not sent in full: %s", b->dead.msg);
	else if (b->broken != NULL)
		add_detail(f->detail,
		    "no response: the association was aborted after '%s' could not be read",
		    b->sd->paths[b->idx[b->broken->j]]);
	else if (n > 1)
		add_detail(f->detail, "no response after %u attempts: %s", n,
		    b->dead.msg);
	else
		add_detail(f->detail, "no response: %s", b->dead.msg);
	b->lost++;
	land(b, f);
}

/*
 * The association died with f outstanding: takes its response if it
 * came.  *wait: the peer is still working (we broke the stream, not
 * it), so wait for the response within the DIMSE timeout; cleared at
 * the first that does not come.  Returns 1 when f got its result.
 */
static int
hear_out(struct batch *b, struct scu_session *s, struct flight *f, int *wait)
{
	struct dimse_cmd rsp;
	struct cs_err e = { 0, "" };

	if (!scu_answered(s, f->msg_id) && !*wait)
		return 0;
	if (scu_wait(s, f->msg_id, &rsp, &e) != 0) {
		*wait = 0;
		return 0;
	}
	finish_one(b, f, &rsp);
	return 1;
}

/*
 * Sends the files of b not yet done over s, keeping up to s->window
 * requests outstanding (PS3.7 D.3.3.3) and reporting results in the
 * order of the files.  A file that was in flight when an association
 * died goes alone, nothing else outstanding with it: if it is what
 * makes the peer abort, it alone pays the attempt.  Returns 1 if the
 * association died (b->dead).
 */
static int
send_batch(struct batch *b, struct scu_session *s)
{
	unsigned w = s->window, head = 0, count = 0, k;
	struct flight *f;
	struct dimse_cmd rsp;
	struct cs_err e;
	size_t j = 0;
	int died = 0, wait, rc;

	b->busy = 0;
	b->dead_rc = 0;
	b->broken = NULL;
	for (;;) {
		while (!died && count < w && j < b->n) {
			if (b->done[j]) {
				j++;
				continue;
			}
			if (count > 0 && (b->state[j] == OBJ_LOST ||
			    b->state[b->ring[head].j] == OBJ_LOST))
				break; /* one of them goes alone */
			f = &b->ring[(head + count++) % w];
			b->pf.cur = j;
			died = start_one(b, s, f, j++) == START_DIED;
		}
		if (died || count == 0)
			break;
		f = &b->ring[head];
		if (f->sent) {
			/* read the next file ahead while the peer works */
			b->pf.cur = j - 1;
			read_ahead(&b->pf);
			cs_err_clear(&e);
			rc = scu_wait(s, f->msg_id, &rsp, &e);
			if (rc != 0) {
				b->dead_rc = rc;
				b->dead = e;
				died = 1;
				break;
			}
			finish_one(b, f, &rsp);
		} else {
			land(b, f);
		}
		head = (head + 1) % w;
		count--;
	}
	wait = b->broken != NULL;
	if (died)
		scu_read_rest(s); /* responses queued before a failed write */
	for (k = 0; k < count; k++) {
		f = &b->ring[(head + k) % w];
		if (!f->sent)
			land(b, f);
		else if (f == b->broken || !hear_out(b, s, f, &wait))
			lose_one(b, f);
	}
	prefetch_drop(&b->pf);
	return died;
}

static void
backoff(const struct send *sd, unsigned attempt)
{
	uint64_t ms = sd->o->retry_delay_ms;
	struct timespec ts;
	unsigned k;

	for (k = 1; k < attempt && ms < 60000; k++)
		ms *= 2;
	if (ms > 60000)
		ms = 60000;
	ts.tv_sec = (time_t)(ms / 1000);
	ts.tv_nsec = (long)(ms % 1000) * 1000000L;
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* Is a failure to open an association worth another attempt? */
static int
transient_open(int rc, const struct scu_session *s)
{
	switch (rc) {
	case CS_E_UNREACHABLE: /* refused, unreachable: CS_E_NONAME is not */
	case CS_E_TIMEOUT:
	case CS_E_ABORTED:
	case CS_E_CLOSED:
	case CS_E_NET:
		return 1;
	case CS_E_REJECTED:
		return s->rj.result == 2; /* PS3.8 9.3.4: rejected-transient */
	default:
		return 0;
	}
}

/*
 * No more associations: every file still without a result gets one now,
 * saying what became of its earlier attempts.
 */
static void
give_up(struct batch *b, const char *why)
{
	struct storescu_result r;
	char detail[DETAIL_MAX];
	size_t j;

	for (j = 0; j < b->n; j++) {
		unsigned n = b->sends[j];

		if (b->done[j])
			continue;
		detail[0] = '\0';
		send_result_init(&r, b->sd, b->idx[j], STORESCU_NOTSENT);
		r.assoc = b->assoc;
		r.attempts = n;
		r.detail = detail;
		switch (b->state[j]) {
		case OBJ_LOST:
			r.outcome = STORESCU_ABORTED;
			add_detail(detail, "no response after %u attempt%s: %s",
			    n, n == 1 ? "" : "s", b->death.msg);
			add_detail(detail, "not sent again: %s", why);
			b->lost++;
			break;
		case OBJ_BUSY:
			r.outcome = STORESCU_FAILED;
			r.has_status = 1;
			r.status = b->status[j];
			add_detail(detail, "answered %04X on attempt %u", b->status[j], n);
			add_detail(detail, "not sent again: %s", why);
			break;
		default:
			add_detail(detail, "%s", why);
			b->lost++;
			break;
		}
		send_emit(b->sd, &r, 1);
		b->done[j] = 1;
		b->left--;
	}
}

/* Requests sent so far, all files together: an association that sent
 * none and reported none got nothing further. */
static uint64_t
sends_total(const struct batch *b)
{
	uint64_t t = 0;
	size_t j;

	for (j = 0; j < b->n; j++)
		t += b->sends[j];
	return t;
}

/*
 * Opens association k and sends its files; when it dies or files were
 * answered A7xx, opens new ones (--retry) until every file has its
 * result: each file gets at most --retry + 1 requests, and at most
 * --retry associations in a row may fail to get any file further.
 */
void
send_run_assoc(struct send *sd, size_t k)
{
	const struct propose_assoc *pa = &sd->plan->assoc[k];
	unsigned retries = sd->o->retries, fails = 0;
	struct batch b;
	struct scu_session s;
	struct cs_err e;
	size_t j, left_before;
	uint64_t sends_before;
	int rc, died;
	char msg[CS_ERR_MSG_MAX + 64], why[CS_ERR_MSG_MAX + 64] = "";

	memset(&b, 0, sizeof(b));
	b.sd = sd;
	b.set = &sd->plan->set[pa->set];
	b.idx = &sd->plan->order[pa->first];
	b.n = b.left = pa->count;
	b.assoc = (unsigned)k + 1;
	b.max_sends = retries + 1;
	b.pf.fd = -1;
	b.pf.index = SIZE_MAX;
	b.done = cs_calloc(b.n ? b.n : 1, 1);
	b.sends = cs_calloc(b.n ? b.n : 1, sizeof(*b.sends));
	b.state = cs_calloc(b.n ? b.n : 1, sizeof(*b.state));
	b.status = cs_calloc(b.n ? b.n : 1, sizeof(*b.status));
	b.ring = cs_calloc(SCU_WINDOW_MAX, sizeof(*b.ring));
	if (b.done == NULL || b.sends == NULL || b.state == NULL ||
	    b.status == NULL || b.ring == NULL) {
		for (j = 0; j < b.n; j++)
			send_emit_simple(sd, b.idx[j], STORESCU_NOTSENT, b.assoc,
			    "out of memory", 1);
		goto out;
	}
	b.pf.sd = sd;
	b.pf.idx = b.idx;
	b.pf.done = b.done;
	b.pf.n = b.n;
	for (b.attempt = 0;; b.attempt++) {
		if (b.attempt > 0) {
			if (fails > 0)
				send_note(sd, "association %u: attempt %u of %u after: %s",
				    b.assoc, fails + 1, retries + 1, why);
			else
				send_note(sd, "association %u: again for the %zu files left after: %s",
				    b.assoc, b.left, why);
			backoff(sd, fails > 0 ? fails : 1);
		}
		cs_err_clear(&e);
		rc = scu_open(&s, sd->cfg, sd->window, b.set->pc, b.set->n_pc, &e);
		if (rc != 0) {
			int transient = transient_open(rc, &s);

			scu_abort(&s);
			snprintf(why, sizeof(why), "%s", e.msg);
			if (transient && fails < retries) {
				fails++;
				continue;
			}
			send_record_failure(sd, rc, &e);
			snprintf(msg, sizeof(msg), "association %u failed: %s",
			    b.assoc, e.msg);
			give_up(&b, msg);
			break;
		}
		{
			const struct ul_assoc_params *ac = scu_ac(&s);
			int m, accepted = 0;

			for (m = 0; ac != NULL && m < ac->n_pc; m++)
				accepted += ac->pc[m].result == UL_PC_ACCEPTANCE;
			pthread_mutex_lock(&sd->mu);
			sd->sum->associations++;
			pthread_mutex_unlock(&sd->mu);
			send_note(sd, "association %u: %s port %s accepted %d of %u presentation contexts, max PDU %u, window %u",
			    b.assoc, sd->cfg->host, sd->cfg->port, accepted, b.set->n_pc,
			    ac && ac->has_max_pdu ? (unsigned)ac->max_pdu : 0u,
			    s.window);
			if (accepted == 0) {
				cs_err_clear(&e);
				cs_err_set(&e, CS_E_REJECTED,
				    "the peer accepted none of the %u presentation contexts proposed",
				    b.set->n_pc);
				send_record_failure(sd, CS_E_REJECTED, &e);
				for (j = 0; j < b.n; j++)
					if (!b.done[j])
						send_emit_simple(sd, b.idx[j],
						    STORESCU_NOCONTEXT, b.assoc, e.msg, 1);
				scu_close(&s, NULL);
				break;
			}
		}
		left_before = b.left;
		sends_before = sends_total(&b);
		died = send_batch(&b, &s);
		if (died) {
			b.death_rc = b.dead_rc;
			b.death = b.dead;
			snprintf(why, sizeof(why), "%s", b.dead.msg);
			scu_abort(&s);
		} else {
			snprintf(why, sizeof(why),
			    "%zu files answered A7xx (out of resources)", b.busy);
			scu_close(&s, NULL);
		}
		if (b.left == 0)
			break;
		fails = b.left != left_before || sends_total(&b) != sends_before ?
		    0 : fails + 1;
		if (retries == 0 || fails > retries) {
			/* a death, or nothing moved: A7xx answers were final
			 * on their last attempt */
			snprintf(msg, sizeof(msg), "not sent: association %u ended: %s",
			    b.assoc, why);
			give_up(&b, msg);
			break;
		}
	}
	/* a file lost to a dying association: exit 5, however many got in */
	if (b.lost > 0 && b.death_rc != 0)
		send_record_failure(sd, send_mid_way(b.death_rc), &b.death);
out:
	prefetch_drop(&b.pf);
	cs_free(b.done);
	cs_free(b.sends);
	cs_free(b.state);
	cs_free(b.status);
	cs_free(b.ring);
}
