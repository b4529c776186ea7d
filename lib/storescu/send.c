/*
 * send.c - storescu_send: probe the inputs, plan presentation contexts
 * and associations (propose.h), then send every file over its
 * association, in parallel lanes for -j, with retries for transient
 * failures.  Every input gets exactly one result (on_result).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cstore/cstore.h"
#include "cstore/storescu.h"
#include "core/alloc.h"
#include "core/sopclass.h"
#include "core/status.h"
#include "core/uid.h"
#include "dcmfile/dcmfile.h"
#include "dcmfile/part10.h"
#include "net/net.h"
#include "storescu/propose.h"
#include "storescu/resume.h"
#include "storescu/session.h"
#include "storescu/strmap.h"
#include "core/banned.h"

#define NONE UINT32_MAX
#define DETAIL_MAX 512

/* Per input: the interned SOP class and transfer syntax, its size. */
struct fentry {
	uint32_t cls, ts; /* NONE: not planned (reported already) */
	uint64_t bytes;
};

/* Distinct UID strings (few: classes and syntaxes). */
struct intern {
	struct strmap map;
	char **str;
	size_t n, cap;
};

struct send {
	const struct storescu_config *cfg;
	const struct storescu_send_opts *o;
	struct scu_opts so;
	struct propose_opts popts;
	const char *const *paths;
	size_t n;
	struct fentry *fe;
	struct intern in;
	struct propose_plan *plan;
	struct storescu_summary *sum;
	struct storescu_progress prog;
	uint64_t t0;
	pthread_mutex_t mu;
	int worst_rc;
	struct cs_err worst;
};

/* What send_one did. */
enum one {
	ONE_FINAL,      /* result reported */
	ONE_RETRY,      /* transient status: send again later */
	ONE_DIED_RETRY, /* the association died: send again later */
	ONE_DIED_FINAL, /* the association died: reported as aborted */
};

struct prefetch {
	struct send *sd;
	const size_t *idx; /* the association's inputs */
	const char *done;
	size_t n, cur;     /* position being sent */
	size_t index;      /* input index of fd, or SIZE_MAX */
	int fd;
};

const char *
storescu_outcome_word(enum storescu_outcome o)
{
	switch (o) {
	case STORESCU_STORED:
		return "stored";
	case STORESCU_WARNING:
		return "warning";
	case STORESCU_FAILED:
		return "failed";
	case STORESCU_UNREADABLE:
		return "unreadable";
	case STORESCU_NOTDICOM:
		return "notdicom";
	case STORESCU_TRUNCATED:
		return "truncated";
	case STORESCU_NOCONTEXT:
		return "nocontext";
	case STORESCU_TRANSCODE:
		return "transcodefail";
	case STORESCU_ABORTED:
		return "aborted";
	case STORESCU_NOTSENT:
		return "notsent";
	case STORESCU_RESUMED:
		return RESUME_WORD;
	case STORESCU_PLANNED:
		return "planned";
	}
	return "?";
}

int
storescu_outcome_stored(enum storescu_outcome o)
{
	return o == STORESCU_STORED || o == STORESCU_WARNING ||
	    o == STORESCU_RESUMED;
}

static uint32_t
intern(struct intern *in, const char *s)
{
	size_t v = in->n;
	char *copy;
	int rc;

	rc = strmap_put(&in->map, s, strlen(s), &v);
	if (rc == 0)
		return (uint32_t)v;
	if (rc < 0)
		return NONE;
	if (in->n == in->cap) {
		size_t cap = in->cap ? in->cap * 2 : 64;
		char **p = cs_realloc(in->str, cap * sizeof(*p));

		if (p == NULL)
			return NONE;
		in->str = p;
		in->cap = cap;
	}
	copy = cs_malloc(strlen(s) + 1);
	if (copy == NULL)
		return NONE;
	memcpy(copy, s, strlen(s) + 1);
	in->str[in->n] = copy;
	return (uint32_t)in->n++;
}

static void
intern_release(struct intern *in)
{
	size_t i;

	for (i = 0; i < in->n; i++)
		cs_free(in->str[i]);
	cs_free(in->str);
	strmap_release(&in->map);
}

/* A UID's keyword when we know it, else the UID. */
static const char *
uid_text(const char *uid)
{
	const struct uid_entry *e = uid_by_uid(uid);
	const struct sopclass *c;

	if (e != NULL && e->keyword != NULL && e->keyword[0])
		return e->keyword;
	c = sopclass_by_uid(uid);
	return c != NULL && c->keyword != NULL && c->keyword[0] ? c->keyword : uid;
}

static void
note(struct send *sd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
note(struct send *sd, const char *fmt, ...)
{
	char line[600];
	va_list ap;

	if (sd->o->on_note == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	pthread_mutex_lock(&sd->mu);
	sd->o->on_note(sd->o->user, line);
	pthread_mutex_unlock(&sd->mu);
}

/* Reports one input: counts it, calls on_result and on_progress. */
static void
emit(struct send *sd, struct storescu_result *r, int planned)
{
	struct storescu_summary *s = sd->sum;

	pthread_mutex_lock(&sd->mu);
	switch (r->outcome) {
	case STORESCU_STORED:
		s->stored++;
		s->bytes += r->bytes;
		break;
	case STORESCU_WARNING:
		s->warning++;
		s->bytes += r->bytes;
		break;
	case STORESCU_FAILED:
	case STORESCU_NOCONTEXT:
	case STORESCU_TRANSCODE:
	case STORESCU_ABORTED:
	case STORESCU_NOTSENT:
		s->failed++;
		break;
	case STORESCU_RESUMED:
		s->resumed++;
		s->skipped++;
		break;
	case STORESCU_UNREADABLE:
	case STORESCU_NOTDICOM:
	case STORESCU_TRUNCATED:
		s->skipped++;
		break;
	case STORESCU_PLANNED:
		break;
	}
	if (r->transcoded && storescu_outcome_stored(r->outcome))
		s->transcoded++;
	if (sd->o->on_result != NULL)
		sd->o->on_result(sd->o->user, r);
	if (planned) {
		sd->prog.files_done++;
		sd->prog.bytes_done += sd->fe[r->index].bytes;
		sd->prog.elapsed_us = net_now_us() - sd->t0;
		if (sd->o->on_progress != NULL)
			sd->o->on_progress(sd->o->user, &sd->prog);
	}
	pthread_mutex_unlock(&sd->mu);
}

static void
result_init(struct storescu_result *r, const struct send *sd, size_t i,
    enum storescu_outcome o)
{
	memset(r, 0, sizeof(*r));
	r->path = sd->paths[i];
	r->index = i;
	r->outcome = o;
	r->sop_class = r->sop_instance = r->ts_original = r->ts_sent = "";
	r->error_comment = r->detail = "";
	if (sd->fe != NULL && sd->fe[i].cls != NONE) {
		r->sop_class = sd->in.str[sd->fe[i].cls];
		r->ts_original = sd->in.str[sd->fe[i].ts];
	}
}

/* Reports input i with a local outcome and a reason. */
static void
emit_simple(struct send *sd, size_t i, enum storescu_outcome o,
    unsigned assoc, const char *detail, int planned)
{
	struct storescu_result r;

	result_init(&r, sd, i, o);
	r.assoc = assoc;
	r.detail = detail ? detail : "";
	emit(sd, &r, planned);
}

/* How bad an association failure is, for the overall result. */
static int
rank(int rc)
{
	switch (rc) {
	case 0:
		return 0;
	case CS_E_UNREACHABLE:
	case CS_E_TIMEOUT:
		return 1;
	case CS_E_REJECTED:
		return 2;
	default:
		return 3;
	}
}

/* An association that ended after it was established ended mid-way,
 * whatever the transport said (a DIMSE timeout, a vanished peer). */
static int
mid_way(int rc)
{
	return rc == CS_E_PROTO ? rc : CS_E_ABORTED;
}

static void
record_failure(struct send *sd, int rc, const struct cs_err *e)
{
	pthread_mutex_lock(&sd->mu);
	if (rank(rc) > rank(sd->worst_rc)) {
		sd->worst_rc = rc;
		sd->worst = *e;
		if (sd->worst.code == 0) {
			sd->worst.code = rc;
			snprintf(sd->worst.msg, sizeof(sd->worst.msg), "%s",
			    cs_strerror(rc));
		}
	}
	pthread_mutex_unlock(&sd->mu);
}

static enum storescu_outcome
probe_outcome(int rc)
{
	switch (rc) {
	case CS_E_NOTDICOM:
		return STORESCU_NOTDICOM;
	case CS_E_TRUNCATED:
		return STORESCU_TRUNCATED;
	default:
		return STORESCU_UNREADABLE;
	}
}

/* Opens the next pending input of the association and asks the kernel
 * to read it ahead while the current response is awaited. */
static void
read_ahead(void *ctx)
{
	struct prefetch *pf = ctx;
	size_t j;

	if (pf->fd >= 0)
		return;
	for (j = pf->cur + 1; j < pf->n; j++)
		if (!pf->done[j])
			break;
	if (j >= pf->n)
		return;
	pf->fd = open(pf->sd->paths[pf->idx[j]], O_RDONLY | O_CLOEXEC);
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

/* Why no accepted context fits a file, in words. */
static void
nocontext_reason(const struct send *sd, const struct ul_assoc_params *ac,
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
		    uid_text(cls));
	else if (sd->o->no_transcode)
		add_detail(detail, "the peer does not accept %s for it (--no-transcode)",
		    uid_text(ts));
	else {
		struct propose_opts lossy = sd->popts;
		struct propose_choice ch;

		lossy.allow_lossy = 1;
		if (!sd->o->allow_lossy && propose_pick(set->pc, set->n_pc,
		    ac->pc, ac->n_pc, cls, ts, &lossy, &ch) == 0)
			add_detail(detail,
			    "the peer does not accept %s for it; it converts to %s only lossily (--lossy allows it)",
			    uid_text(ts), uid_text(ch.ts));
		else
			add_detail(detail,
			    "the peer does not accept %s for it and it cannot be converted to an accepted syntax",
			    uid_text(ts));
	}
}

/*
 * Sends input i on session s.  *dead gets the error when the
 * association died.
 */
static enum one
send_one(struct send *sd, struct scu_session *s, const struct propose_set *set,
    size_t i, unsigned assoc, unsigned attempt, unsigned *sends,
    struct prefetch *pf, int *dead_rc, struct cs_err *dead)
{
	const char *path = sd->paths[i];
	const struct ul_assoc_params *ac = scu_ac(s);
	struct part10_info info;
	struct propose_choice ch;
	struct dcmfile_transcoded tc = { .fd = -1 };
	struct storescu_result r;
	struct dimse_cmd rsp;
	struct status_info si;
	struct cs_err e = { 0, "" };
	char detail[DETAIL_MAX] = "";
	uint64_t t0 = net_now_us(), off, len;
	int fd, sfd, rc;

	result_init(&r, sd, i, STORESCU_STORED);
	r.assoc = assoc;
	r.attempts = *sends + 1;
	r.detail = detail;
	if (pf->index == i) {
		fd = pf->fd;
		pf->fd = -1;
		pf->index = SIZE_MAX;
	} else {
		prefetch_drop(pf);
		fd = open(path, O_RDONLY | O_CLOEXEC);
	}
	if (fd < 0) {
		add_detail(detail, "cannot open: %s", strerror(errno));
		r.outcome = STORESCU_UNREADABLE;
		goto report;
	}
	rc = part10_probe_fd(fd, 0, &info, &e);
	if (rc != 0) {
		add_detail(detail, "%s", e.msg);
		r.outcome = probe_outcome(rc);
		goto report;
	}
	r.sop_class = info.sop_class;
	r.sop_instance = info.sop_instance;
	r.ts_original = info.ts_uid;
	if (!propose_uid_valid(info.sop_instance)) {
		add_detail(detail, "invalid SOP Instance UID");
		r.outcome = STORESCU_NOTDICOM;
		goto report;
	}
	if (info.flags & PART10_F_CLASS_MISMATCH)
		add_detail(detail, "meta header SOP class %s differs: sent as the data set's",
		    info.meta_sop_class);
	rc = propose_pick(set->pc, set->n_pc, ac->pc, ac->n_pc, info.sop_class,
	    info.ts_uid, &sd->popts, &ch);
	if (rc != 0) {
		nocontext_reason(sd, ac, set, info.sop_class, info.ts_uid, detail);
		r.outcome = STORESCU_NOCONTEXT;
		goto report;
	}
	r.ts_sent = ch.ts;
	sfd = fd;
	off = info.dataset_offset;
	len = info.dataset_length;
	if (ch.transcode) {
		rc = dcmfile_transcode(path, ch.ts, sd->o->allow_lossy, &tc, &e);
		if (rc != 0) {
			add_detail(detail, "cannot convert %s to %s: %s",
			    uid_text(info.ts_uid), uid_text(ch.ts), e.msg);
			r.outcome = STORESCU_TRANSCODE;
			r.ts_sent = "";
			goto report;
		}
		r.transcoded = 1;
		add_detail(detail, "transcoded to %s%s", uid_text(ch.ts),
		    tc.lossy ? " (lossy)" : "");
		sfd = tc.fd;
		off = 0;
		len = tc.length;
	}
	s->on_sent = read_ahead;
	s->on_sent_ctx = pf;
	++*sends;
	rc = scu_store_fd(s, ch.pcid, info.sop_class, info.sop_instance, sfd,
	    (off_t)off, len, &rsp, &e);
	s->on_sent = NULL;
	if (tc.fd >= 0)
		close(tc.fd);
	close(fd);
	fd = -1;
	r.ms = (unsigned)((net_now_us() - t0) / 1000);
	if (rc != 0) {
		*dead_rc = rc;
		*dead = e;
		if (attempt < sd->o->retries)
			return ONE_DIED_RETRY;
		r.outcome = STORESCU_ABORTED;
		add_detail(detail, "no response: %s", e.msg);
		emit(sd, &r, 1);
		return ONE_DIED_FINAL;
	}
	r.has_status = 1;
	r.status = rsp.status;
	r.bytes = len;
	r.error_comment = rsp.error_comment;
	if (transient_status(rsp.status) && attempt < sd->o->retries) {
		note(sd, "'%s': status %04X, will send it again", path, rsp.status);
		return ONE_RETRY;
	}
	status_explain(rsp.status, "C-STORE", &si);
	switch (si.category) {
	case STATUS_SUCCESS:
		r.outcome = STORESCU_STORED;
		break;
	case STATUS_WARNING:
		r.outcome = STORESCU_WARNING;
		break;
	case STATUS_FAILURE:
	case STATUS_CANCEL:
	case STATUS_PENDING:
	case STATUS_UNKNOWN:
		r.outcome = STORESCU_FAILED;
		break;
	}
	if (si.category != STATUS_SUCCESS)
		add_detail(detail, "%s: %s", status_category_name(si.category),
		    si.std ? si.std->meaning : "unknown status");
	if (r.outcome == STORESCU_FAILED)
		r.bytes = 0;
report:
	if (fd >= 0)
		close(fd);
	if (r.ms == 0)
		r.ms = (unsigned)((net_now_us() - t0) / 1000);
	emit(sd, &r, 1);
	return ONE_FINAL;
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
transient_open(int rc, const struct scu_session *s, const struct cs_err *e)
{
	switch (rc) {
	case CS_E_UNREACHABLE:
		/* refused or unreachable, but not a name that does not resolve */
		return strstr(e->msg, "resolve") == NULL;
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

/* Opens association k (with retries) and sends its files. */
static void
run_assoc(struct send *sd, size_t k)
{
	const struct propose_assoc *pa = &sd->plan->assoc[k];
	const struct propose_set *set = &sd->plan->set[pa->set];
	const size_t *idx = &sd->plan->order[pa->first];
	size_t n = pa->count, j, left = n;
	unsigned assoc = (unsigned)k + 1, attempt;
	struct prefetch pf;
	struct scu_session s;
	struct cs_err e, dead;
	int rc, dead_rc = 0, died;
	char *done;
	unsigned *sends;
	char msg[CS_ERR_MSG_MAX + 64], why[CS_ERR_MSG_MAX + 64] = "";
	size_t busy;

	done = cs_calloc(n ? n : 1, 1);
	sends = cs_calloc(n ? n : 1, sizeof(*sends));
	if (done == NULL || sends == NULL) {
		cs_free(done);
		cs_free(sends);
		for (j = 0; j < n; j++)
			emit_simple(sd, idx[j], STORESCU_NOTSENT, assoc, "out of memory", 1);
		return;
	}
	memset(&pf, 0, sizeof(pf));
	pf.sd = sd;
	pf.idx = idx;
	pf.done = done;
	pf.n = n;
	pf.fd = -1;
	pf.index = SIZE_MAX;
	for (attempt = 0;; attempt++) {
		if (attempt > 0) {
			note(sd, "association %u: attempt %u of %u after: %s",
			    assoc, attempt + 1, sd->o->retries + 1, why);
			backoff(sd, attempt);
		}
		cs_err_clear(&e);
		rc = scu_open(&s, &sd->so, set->pc, set->n_pc, &e);
		if (rc != 0) {
			int transient = transient_open(rc, &s, &e);

			scu_abort(&s);
			snprintf(why, sizeof(why), "%s", e.msg);
			if (transient && attempt < sd->o->retries)
				continue;
			if (dead_rc != 0)
				record_failure(sd, mid_way(dead_rc), &dead);
			record_failure(sd, rc, &e);
			snprintf(msg, sizeof(msg), "association %u failed: %s", assoc, e.msg);
			for (j = 0; j < n; j++)
				if (!done[j])
					emit_simple(sd, idx[j], STORESCU_NOTSENT, assoc, msg, 1);
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
			note(sd, "association %u: %s port %s accepted %d of %u presentation contexts, max PDU %u",
			    assoc, sd->so.host, sd->so.port, accepted, set->n_pc,
			    ac && ac->has_max_pdu ? (unsigned)ac->max_pdu : 0u);
			if (accepted == 0) {
				cs_err_clear(&e);
				cs_err_set(&e, CS_E_REJECTED,
				    "the peer accepted none of the %u presentation contexts proposed",
				    set->n_pc);
				record_failure(sd, CS_E_REJECTED, &e);
				for (j = 0; j < n; j++)
					if (!done[j])
						emit_simple(sd, idx[j], STORESCU_NOCONTEXT, assoc, e.msg, 1);
				scu_close(&s, NULL);
				break;
			}
		}
		died = 0;
		dead_rc = 0;
		busy = 0;
		for (j = 0; j < n; j++) {
			enum one r;

			if (done[j])
				continue;
			pf.cur = j;
			r = send_one(sd, &s, set, idx[j], assoc, attempt, &sends[j],
			    &pf, &dead_rc, &dead);
			if (r == ONE_FINAL || r == ONE_DIED_FINAL) {
				done[j] = 1;
				left--;
			}
			busy += r == ONE_RETRY;
			if (r == ONE_DIED_RETRY || r == ONE_DIED_FINAL) {
				died = 1;
				break;
			}
		}
		prefetch_drop(&pf);
		if (died)
			snprintf(why, sizeof(why), "%s", dead.msg);
		else
			snprintf(why, sizeof(why),
			    "%zu files answered A7xx (out of resources)", busy);
		if (died)
			scu_abort(&s);
		else
			scu_close(&s, NULL);
		if (left == 0) {
			if (died)
				record_failure(sd, mid_way(dead_rc), &dead);
			break;
		}
		if (attempt >= sd->o->retries) {
			/* only after a death: every A7xx was final on the last attempt */
			record_failure(sd, mid_way(dead_rc), &dead);
			snprintf(msg, sizeof(msg), "not sent: association %u ended: %s",
			    assoc, dead.msg);
			for (j = 0; j < n; j++)
				if (!done[j])
					emit_simple(sd, idx[j], STORESCU_NOTSENT, assoc, msg, 1);
			break;
		}
	}
	prefetch_drop(&pf);
	cs_free(done);
	cs_free(sends);
}

struct lane {
	struct send *sd;
	unsigned lane;
	pthread_t tid;
};

static void *
run_lane(void *arg)
{
	struct lane *l = arg;
	size_t k;

	for (k = 0; k < l->sd->plan->n_assoc; k++)
		if (l->sd->plan->assoc[k].lane == l->lane)
			run_assoc(l->sd, k);
	return NULL;
}

/* Dry run: reports each association (negotiating its set with probe).
 * Returns 0 or CS_E_NOMEM. */
static int
dry_run(struct send *sd, struct cs_err *err)
{
	struct storescu_plan_pc *pcs;
	struct storescu_plan_assoc a;
	const struct propose_plan *p = sd->plan;
	struct scu_session s;
	struct cs_err e;
	size_t k, j;
	uint8_t m;
	int rc;

	pcs = cs_calloc(UL_MAX_PC, sizeof(*pcs));
	if (pcs == NULL)
		return cs_err_set(err, CS_E_NOMEM, "out of memory");
	for (k = 0; k < p->n_assoc; k++) {
		const struct propose_assoc *pa = &p->assoc[k];
		const struct propose_set *set = &p->set[pa->set];
		const struct ul_assoc_params *ac = NULL;

		memset(&a, 0, sizeof(a));
		a.assoc = (unsigned)k + 1;
		a.lane = pa->lane;
		a.files = pa->count;
		for (j = 0; j < pa->count; j++)
			a.bytes += sd->fe[p->order[pa->first + j]].bytes;
		a.n_pc = set->n_pc;
		a.pc = pcs;
		a.probe_error = "";
		memset(&s, 0, sizeof(s));
		s.fd = -1;
		rc = 0;
		cs_err_clear(&e);
		if (sd->o->probe) {
			rc = scu_open(&s, &sd->so, set->pc, set->n_pc, &e);
			if (rc == 0)
				ac = scu_ac(&s);
			else
				record_failure(sd, rc, &e);
			a.probe_rc = rc;
			a.probe_error = rc ? e.msg : "";
		}
		for (m = 0; m < set->n_pc; m++) {
			const struct ul_pc *pc = &set->pc[m];
			unsigned t;
			int q;

			memset(&pcs[m], 0, sizeof(pcs[m]));
			pcs[m].pcid = pc->id;
			pcs[m].abstract_syntax = pc->abstract_syntax;
			for (t = 0; t < pc->n_ts && t < STORESCU_MAX_TS; t++)
				pcs[m].ts[t] = pc->ts[t];
			pcs[m].n_ts = t;
			pcs[m].accepted_ts = "";
			for (q = 0; ac != NULL && q < ac->n_pc; q++) {
				if (ac->pc[q].id != pc->id)
					continue;
				pcs[m].probed = 1;
				pcs[m].result = ac->pc[q].result;
				if (ac->pc[q].result == UL_PC_ACCEPTANCE)
					pcs[m].accepted_ts = ac->pc[q].ts[0];
			}
			if (ac != NULL && !pcs[m].probed) {
				/* PS3.8 9.3.3.2: every context is answered; treat a
				 * missing answer as "no reason" */
				pcs[m].probed = 1;
				pcs[m].result = UL_PC_NO_REASON;
			}
		}
		if (sd->o->on_plan != NULL) {
			pthread_mutex_lock(&sd->mu);
			sd->o->on_plan(sd->o->user, &a);
			pthread_mutex_unlock(&sd->mu);
		}
		if (sd->o->probe) {
			if (rc == 0) {
				sd->sum->associations++;
				scu_close(&s, NULL);
			} else {
				scu_abort(&s);
			}
		}
		for (j = 0; j < pa->count; j++) {
			char d[64];

			snprintf(d, sizeof(d), "association %u", a.assoc);
			emit_simple(sd, p->order[pa->first + j], STORESCU_PLANNED,
			    a.assoc, d, 1);
		}
	}
	cs_free(pcs);
	return 0;
}

/* Probes every input; reports the ones that cannot be planned. */
static int
probe_inputs(struct send *sd, struct resume *rs, struct propose_input *pin,
    struct cs_err *err)
{
	struct part10_info info;
	struct cs_err e;
	size_t i;
	int rc;

	for (i = 0; i < sd->n; i++) {
		sd->fe[i].cls = sd->fe[i].ts = NONE;
		if (rs != NULL && resume_has(rs, sd->paths[i])) {
			emit_simple(sd, i, STORESCU_RESUMED, 0,
			    "stored according to the resume log", 0);
			continue;
		}
		cs_err_clear(&e);
		rc = part10_probe_path(sd->paths[i], PART10_O_VERIFY, &info, &e);
		if (rc == CS_E_NOMEM)
			return cs_err_set(err, rc, "out of memory");
		if (rc != 0) {
			emit_simple(sd, i, probe_outcome(rc), 0, e.msg, 0);
			continue;
		}
		if (!propose_uid_valid(info.sop_class) ||
		    !propose_uid_valid(info.sop_instance) ||
		    !propose_uid_valid(info.ts_uid)) {
			emit_simple(sd, i, STORESCU_NOTDICOM, 0,
			    "invalid SOP Class, SOP Instance or Transfer Syntax UID", 0);
			continue;
		}
		sd->fe[i].cls = intern(&sd->in, info.sop_class);
		sd->fe[i].ts = intern(&sd->in, info.ts_uid);
		if (sd->fe[i].cls == NONE || sd->fe[i].ts == NONE)
			return cs_err_set(err, CS_E_NOMEM, "out of memory");
		sd->fe[i].bytes = info.file_size;
		pin[i].sop_class = sd->in.str[sd->fe[i].cls];
		pin[i].ts = sd->in.str[sd->fe[i].ts];
		pin[i].bytes = info.file_size;
		sd->prog.files_total++;
		sd->prog.bytes_total += info.file_size;
	}
	return 0;
}

static int
load_resume(const char *path, struct resume **out, struct cs_err *err)
{
	FILE *f;
	int rc;

	*out = resume_new();
	if (*out == NULL)
		return cs_err_set(err, CS_E_NOMEM, "out of memory");
	f = fopen(path, "r");
	if (f == NULL)
		return cs_err_set(err, CS_E_IO, "cannot read the resume log '%s': %s",
		    path, strerror(errno));
	rc = resume_load(*out, f, path, err);
	fclose(f);
	return rc;
}

static int
can_transcode(const char *from, const char *to, int allow_lossy)
{
	return dcmfile_can_transcode(from, to, allow_lossy);
}

int
storescu_send(const struct storescu_config *cfg,
    const struct storescu_send_opts *opts, const char *const *paths,
    size_t n, struct storescu_summary *sum, struct cs_err *err)
{
	struct send sd;
	struct resume *rs = NULL;
	struct propose_input *pin = NULL;
	struct lane *lanes = NULL;
	unsigned L;
	int rc;

	memset(sum, 0, sizeof(*sum));
	memset(&sd, 0, sizeof(sd));
	if (opts->jobs > PROPOSE_MAX_JOBS)
		return cs_err_set(err, CS_E_INVAL, "jobs '%u': out of range (1-%d)",
		    opts->jobs, PROPOSE_MAX_JOBS);
	sd.cfg = cfg;
	sd.o = opts;
	sd.paths = paths;
	sd.n = n;
	sd.sum = sum;
	sd.t0 = net_now_us();
	sum->inputs = n;
	sd.so.host = cfg->host;
	sd.so.port = cfg->port;
	sd.so.calling_ae = cfg->calling_ae;
	sd.so.called_ae = cfg->called_ae;
	sd.so.max_pdu = cfg->max_pdu;
	sd.so.connect_timeout_ms = cfg->connect_timeout_ms;
	sd.so.acse_timeout_ms = cfg->acse_timeout_ms;
	sd.so.dimse_timeout_ms = cfg->dimse_timeout_ms;
	sd.so.trace = cfg->trace;
	sd.so.trace_user = cfg->trace_user;
	sd.popts.can_transcode = can_transcode;
	sd.popts.allow_lossy = opts->allow_lossy;
	sd.popts.no_transcode = opts->no_transcode;
	sd.popts.jobs = opts->jobs ? opts->jobs : 1;
	sd.popts.per_assoc = opts->per_assoc;
	strmap_init(&sd.in.map);
	pthread_mutex_init(&sd.mu, NULL);
	if (opts->resume_log != NULL) {
		rc = load_resume(opts->resume_log, &rs, err);
		if (rc != 0)
			goto out;
	}
	sd.fe = cs_calloc(n ? n : 1, sizeof(*sd.fe));
	pin = cs_calloc(n ? n : 1, sizeof(*pin));
	if (sd.fe == NULL || pin == NULL) {
		rc = cs_err_set(err, CS_E_NOMEM, "out of memory");
		goto out;
	}
	rc = probe_inputs(&sd, rs, pin, err);
	if (rc != 0)
		goto out;
	sd.plan = propose_plan_new(pin, n, &sd.popts, err);
	if (sd.plan == NULL) {
		rc = err && err->code ? err->code : CS_E_NOMEM;
		goto out;
	}
	cs_free(pin);
	pin = NULL;
	if (opts->dry_run) {
		rc = dry_run(&sd, err);
		if (rc != 0)
			goto out;
	} else if (sd.plan->jobs <= 1) {
		struct lane l = { .sd = &sd, .lane = 0 };

		run_lane(&l);
	} else {
		lanes = cs_calloc(sd.plan->jobs, sizeof(*lanes));
		if (lanes == NULL) {
			rc = cs_err_set(err, CS_E_NOMEM, "out of memory");
			goto out;
		}
		for (L = 0; L < sd.plan->jobs; L++) {
			lanes[L].sd = &sd;
			lanes[L].lane = L;
			if (pthread_create(&lanes[L].tid, NULL, run_lane, &lanes[L]) != 0) {
				/* no thread: run this lane here, in turn */
				lanes[L].tid = pthread_self();
				run_lane(&lanes[L]);
			}
		}
		for (L = 0; L < sd.plan->jobs; L++)
			if (!pthread_equal(lanes[L].tid, pthread_self()))
				pthread_join(lanes[L].tid, NULL);
	}
	rc = sd.worst_rc;
	if (rc != 0 && err != NULL && err->code == 0)
		*err = sd.worst;
out:
	sum->elapsed_us = net_now_us() - sd.t0;
	cs_free(lanes);
	cs_free(pin);
	propose_plan_free(sd.plan);
	cs_free(sd.fe);
	intern_release(&sd.in);
	resume_free(rs);
	pthread_mutex_destroy(&sd.mu);
	return rc;
}
