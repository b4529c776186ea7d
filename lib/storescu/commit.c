/*
 * commit.c - storage commitment as its requester: the held results, the
 * N-ACTION, and the reports (see commit.h).
 */
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/status.h"
#include "core/utf8.h"
#include "dcmfile/xcode.h"
#include "net/net.h"
#include "net/pump.h"
#include "storescu/commit.h"
#include "core/banned.h"

/* The largest Event Information we take: COMMIT_MAX_REFS of ours and
 * room for what an archive adds (Retrieve AE Title, ...). */
#define REPORT_MAX (16u * 1024u * 1024u)
/* How long the answers to the reports are given to leave before the
 * lines are written. */
#define FLUSH_MS 5000

void
commit_run_init(struct commit_run *cr)
{
	memset(cr, 0, sizeof(*cr));
	pthread_mutex_init(&cr->mu, NULL);
}

static void
tx_free(struct commit_tx *tx)
{
	if (tx == NULL)
		return;
	cs_free(tx->h);
	cs_free(tx);
}

/* What await_here and the listener say of an instance a report left
 * out. */
static const char NOT_NAMED[] = "the commitment report does not name it";

/* Takes tx off cr's list (under its lock), keeping the order. */
static void
run_drop(struct commit_run *cr, const struct commit_tx *tx)
{
	size_t k;

	for (k = 0; k < cr->n; k++)
		if (cr->tx[k] == tx) {
			memmove(&cr->tx[k], &cr->tx[k + 1],
			    (cr->n - k - 1) * sizeof(*cr->tx));
			cr->n--;
			break;
		}
}

/* tx, taken off its run's list, has its report and its request was
 * answered: its lines go now, not at the end of the run (PS3.4 leaves
 * reports to come at any time; a long run would hold every line).
 * Never under a lock: a stalled reader of the lines must hold up
 * neither the archive's answer nor the lanes. */
static void
settle(struct commit_tx *tx, struct send_report *rp)
{
	commit_tx_finish(tx, rp, STORESCU_UNCOMMITTED, NOT_NAMED);
	tx_free(tx);
}

void
commit_run_release(
    struct commit_run *cr, struct send_report *rp, const char *why)
{
	size_t k;

	for (k = 0; k < cr->n; k++) {
		commit_tx_finish(cr->tx[k], rp, STORESCU_UNCOMMITTED, why);
		tx_free(cr->tx[k]);
	}
	cs_free(cr->tx);
	cr->tx = NULL;
	cr->n = cr->cap = 0;
	pthread_mutex_destroy(&cr->mu);
}

struct commit_tx *
commit_run_expired(struct commit_run *cr, uint64_t now)
{
	struct commit_tx *gone = NULL, **tail = &gone;
	size_t k = 0;

	pthread_mutex_lock(&cr->mu);
	while (k < cr->n) {
		struct commit_tx *tx = cr->tx[k];

		if (!tx->asked || tx->reported || now < tx->deadline_ms) {
			k++;
			continue;
		}
		run_drop(cr, tx);
		tx->next = NULL;
		*tail = tx;
		tail = &tx->next;
	}
	pthread_mutex_unlock(&cr->mu);
	return gone;
}

void
commit_expired_report(struct commit_tx *gone, struct send_report *rp)
{
	char why[64];

	while (gone != NULL) {
		struct commit_tx *tx = gone;

		gone = tx->next;
		snprintf(why, sizeof(why), "no commitment report within %d s",
		    tx->timeout_ms / 1000);
		commit_tx_finish(tx, rp, STORESCU_UNCOMMITTED, why);
		tx_free(tx);
	}
}

static void
copy(char *dst, size_t cap, const char *src)
{
	snprintf(dst, cap, "%s", src ? src : "");
}

int
commit_hold(struct commit_tx *tx, const struct storescu_result *r)
{
	struct commit_held *h;

	if (tx->n == tx->cap) {
		size_t cap = tx->cap ? tx->cap * 2 : 64;
		void *p = cs_realloc(tx->h, cap * sizeof(*tx->h));

		if (p == NULL)
			return CS_E_NOMEM;
		tx->h = p;
		tx->cap = cap;
	}
	h = &tx->h[tx->n++];
	h->r = *r;
	h->other_class = 0;
	copy(h->cls, sizeof(h->cls), r->sop_class);
	copy(h->inst, sizeof(h->inst), r->sop_instance);
	copy(h->ts0, sizeof(h->ts0), r->ts_original);
	copy(h->ts1, sizeof(h->ts1), r->ts_sent);
	copy(h->comment, sizeof(h->comment), r->error_comment);
	copy(h->detail, sizeof(h->detail), r->detail);
	return 0;
}

/* What a failed instance's reason means, for its detail. */
static void
failed_detail(struct commit_held *h)
{
	const char *t = commit_failure_text(h->r.commit_reason);

	if (h->other_class)
		return; /* committed, but not what we sent: said so */
	if (h->r.commit_reason == 0)
		report_add_detail(
		    h->detail, "commitment failed: the archive gave no reason");
	else
		report_add_detail(h->detail, "commitment failed: %s (%04X)",
		    t ? t : "reason unknown to PS3.3",
		    (unsigned)h->r.commit_reason);
}

/* tx was asked for: its inputs' reports may come later than this run
 * waits (the caller may keep them: --commit-state). */
static void
asked(struct send_report *rp, const struct commit_tx *tx)
{
	struct storescu_pending p;
	size_t k;

	if (rp->o->on_commit_asked == NULL)
		return;
	pthread_mutex_lock(&rp->mu);
	for (k = 0; k < tx->n; k++) {
		p.transaction_uid = tx->uid;
		p.path = tx->h[k].r.path;
		p.sop_class = tx->h[k].cls;
		p.sop_instance = tx->h[k].inst;
		p.status = tx->h[k].r.status;
		p.last = k + 1 == tx->n;
		p.dev = tx->h[k].r.dev;
		p.ino = tx->h[k].r.ino;
		p.size = tx->h[k].r.size;
		p.mtime_ns = tx->h[k].r.mtime_ns;
		p.ctime_ns = tx->h[k].r.ctime_ns;
		rp->o->on_commit_asked(rp->o->user, &p);
	}
	pthread_mutex_unlock(&rp->mu);
}

void
commit_tx_finish(
    struct commit_tx *tx, struct send_report *rp, int c, const char *why)
{
	size_t k;

	for (k = 0; k < tx->n; k++) {
		struct commit_held *h = &tx->h[k];

		if (h->r.commit == STORESCU_COMMIT_NONE) {
			h->r.commit = c;
			if (why != NULL)
				report_add_detail(h->detail, "%s", why);
		} else if (h->r.commit == STORESCU_COMMIT_FAILED) {
			failed_detail(h);
		}
		h->r.sop_class = h->cls;
		h->r.sop_instance = h->inst;
		h->r.ts_original = h->ts0;
		h->r.ts_sent = h->ts1;
		h->r.error_comment = h->comment;
		h->r.detail = h->detail;
		h->r.transaction_uid = tx->uid;
		report_emit(rp, &h->r, 1);
	}
	tx->n = 0;
}

/* --- the reports ------------------------------------------------------ */

void
commit_rx_init(struct commit_rx *x, struct ul_assoc *a, struct commit_tx **tx,
    size_t n, struct commit_run *cr)
{
	memset(x, 0, sizeof(*x));
	x->a = a;
	x->tx = tx;
	x->n = n;
	x->cr = cr;
	wr_init(&x->ds, REPORT_MAX);
}

void
commit_settled_report(struct commit_tx *list, struct send_report *rp)
{
	while (list != NULL) {
		struct commit_tx *tx = list;

		list = tx->next;
		settle(tx, rp);
	}
}

void
commit_rx_release(struct commit_rx *x)
{
	commit_settled_report(x->settled, x->rp);
	x->settled = NULL;
	wr_release(&x->ds);
}

/* Adds tx, settled, to x's list (at its end: the order they came). */
static void
settled_add(struct commit_rx *x, struct commit_tx *tx)
{
	struct commit_tx **p = &x->settled;

	while (*p != NULL)
		p = &(*p)->next;
	tx->next = NULL;
	*p = tx;
}

static int
rx_command(void *user, uint8_t pcid, const struct dimse_cmd *cmd)
{
	struct commit_rx *x = user;
	char line[400];

	if (x->trace != NULL && x->trace_rq) {
		dimse_cmd_format(cmd, line, sizeof(line));
		x->trace(x->trace_user, line);
	}
	if (cmd->command_field != DIMSE_N_EVENT_REPORT_RQ ||
	    strcmp(cmd->affected_class, COMMIT_SOP_CLASS) != 0 ||
	    !dimse_cmd_has_dataset(cmd))
		return -1;
	x->pcid = pcid;
	x->cmd = *cmd;
	wr_reset(&x->ds);
	return 0;
}

/* Applies one instance of a report to its transaction. */
static int
on_ref(void *ctx, int failed, const struct commit_ref *ref)
{
	struct commit_tx *tx = ctx;
	size_t k;

	for (k = 0; k < tx->n; k++) {
		struct commit_held *h = &tx->h[k];

		if (strcmp(h->inst, ref->sop_instance) != 0 ||
		    h->r.commit != STORESCU_COMMIT_NONE)
			continue;
		h->r.commit =
		    failed ? STORESCU_COMMIT_FAILED : STORESCU_COMMITTED;
		h->r.commit_reason = failed ? ref->failure_reason : 0;
		if (!failed && strcmp(h->cls, ref->sop_class) != 0) {
			/* not the object we sent: ours is not committed */
			h->r.commit = STORESCU_COMMIT_FAILED;
			h->other_class = 1;
			report_add_detail(h->detail,
			    "commitment failed: the archive committed it as SOP class %s, not as the class it was sent as",
			    ref->sop_class);
		}
		break;
	}
	return 0;
}

static struct commit_tx *
find_tx(struct commit_rx *x, const char *uid)
{
	struct commit_tx **tx = x->cr ? x->cr->tx : x->tx;
	size_t k, n = x->cr ? x->cr->n : x->n;

	for (k = 0; k < n; k++)
		if (!tx[k]->reported && strcmp(tx[k]->uid, uid) == 0)
			return tx[k];
	return NULL;
}

/* Decodes the report in x->ds and applies it: the status to answer,
 * *comment its Error Comment (or NULL). */
static uint16_t
apply(struct commit_rx *x, const char **comment)
{
	const struct ul_pc *pc = ul_accepted_pc(x->a, x->pcid);
	enum ds_enc enc = DS_ENC_EVR_LE;
	char uid[COMMIT_UID_MAX + 1];
	struct commit_ds_cb cb = { NULL, NULL };
	struct commit_tx *tx;
	struct cs_err e = { 0, "" };

	if (pc == NULL || commit_ts_enc(pc->ts[0], &enc) != 0)
		return 0x0110; /* a context we never accepted for it */
	if (x->ds.err != 0 ||
	    commit_ds_decode(x->ds.p, x->ds.len, enc, uid, &cb, &e) != 0)
		return 0x0110; /* Processing failure (PS3.7 C.4) */
	tx = find_tx(x, uid);
	if (tx == NULL) {
		/* not one we wait for (never asked, or reported already):
		 * the Event Information's Transaction UID is the argument
		 * out of place, 0115 (PS3.7 10.1.1.1.8); PS3.4 J.3.3 has no
		 * code of its own.  Say so, go on. */
		*comment = "no report awaited for this Transaction UID";
		return 0x0115;
	}
	cb.on_ref = on_ref;
	cb.ctx = tx;
	if (commit_ds_decode(x->ds.p, x->ds.len, enc, uid, &cb, &e) != 0)
		return 0x0110;
	tx->reported = 1;
	x->got++;
	if (x->cr != NULL && x->rp != NULL && tx->asked) {
		run_drop(x->cr, tx);
		settled_add(x, tx);
	}
	return 0x0000;
}

static int
rx_dataset(void *user, uint8_t pcid, const uint8_t *data, size_t len, int last)
{
	struct commit_rx *x = user;
	struct dimse_cmd rsp;
	struct cs_err e = { 0, "" };
	const char *comment = NULL;
	uint16_t status;
	char line[400];

	(void)pcid;
	wr_bytes(&x->ds, data, len);
	if (!last)
		return 0;
	if (x->cr != NULL)
		pthread_mutex_lock(&x->cr->mu);
	status = apply(x, &comment);
	if (x->cr != NULL)
		pthread_mutex_unlock(&x->cr->mu);
	dimse_neventreport_rsp(&rsp, &x->cmd, status);
	if (comment != NULL)
		(void)dimse_cmd_set_error_comment(&rsp, comment);
	if (x->trace != NULL) {
		dimse_cmd_format(&rsp, line, sizeof(line));
		x->trace(x->trace_user, line);
	}
	return dimse_send_command(x->a, x->pcid, &rsp, &e) == 0 ? 0 : -1;
}

const struct dimse_rx_callbacks commit_rx_cb = {
	.on_command = rx_command,
	.on_dataset = rx_dataset,
};

/* --- the request -------------------------------------------------------- */

/* Sends the N-ACTION of tx on s: 0; 1 when it was taken with a
 * Warning (the note in why); or a reason in why and -1 (-2: the
 * archive refused it). */
static int
send_action(struct commit_tx *tx, struct scu_session *s, uint8_t pcid,
    char *why, size_t why_len)
{
	const struct ul_pc *pc = ul_accepted_pc(s->r.a, pcid);
	enum ds_enc enc = DS_ENC_EVR_LE;
	struct commit_ref *refs;
	struct dimse_cmd cmd, rsp;
	struct cs_err e = { 0, "" };
	struct wr w;
	size_t k;
	int rc;

	if (commit_ts_enc(pc->ts[0], &enc) != 0) {
		snprintf(why, why_len,
		    "no commitment request: the peer accepted transfer syntax %s",
		    pc->ts[0]);
		return -1;
	}
	refs = cs_calloc(tx->n, sizeof(*refs));
	if (refs == NULL) {
		snprintf(why, why_len, "no commitment request: out of memory");
		return -1;
	}
	for (k = 0; k < tx->n; k++) {
		refs[k].sop_class = tx->h[k].cls;
		refs[k].sop_instance = tx->h[k].inst;
	}
	wr_init(&w, REPORT_MAX);
	rc = commit_ds_encode(&w, enc, tx->uid, refs, tx->n, NULL, 0, &e);
	cs_free(refs);
	if (rc >= 0)
		rc = dimse_naction_rq(&cmd, 0, COMMIT_SOP_CLASS,
		    COMMIT_SOP_INSTANCE, COMMIT_ACTION_REQUEST);
	if (rc >= 0)
		rc = scu_request(s, pcid, &cmd, w.p, w.len, &rsp, &e);
	wr_release(&w);
	if (rc < 0) {
		snprintf(why, why_len, "the commitment request failed: %s",
		    e.code ? e.msg : cs_strerror(rc));
		return -1;
	}
	if (rsp.status != 0x0000) {
		struct status_info si;
		/* the Error Comment as send_out.c writes a C-STORE's: bytes
		 * outside UTF-8 become U+FFFD, in TSV and JSON alike */
		char ec[3 * DIMSE_LO_MAX + 1];

		status_explain(rsp.status, "N-ACTION", &si);
		cs_utf8_replace(rsp.error_comment, ec, sizeof(ec));
		/* a Warning (0001, 0107, 0116, Bxxx: PS3.7 C.2) is an
		 * action performed: its report is owed as after 0000 */
		if (si.category == STATUS_WARNING) {
			snprintf(why, why_len,
			    "the archive took the commitment request with a warning: N-ACTION status %04X%s%s",
			    rsp.status, ec[0] ? ": " : "", ec);
			return 1;
		}
		snprintf(why, why_len,
		    "the archive refused the commitment request: N-ACTION status %04X (%s)%s%s",
		    rsp.status, status_category_name(si.category),
		    ec[0] ? ": " : "", ec);
		return -2;
	}
	return 0;
}

/* The note of an N-ACTION answered with a Warning, in each line of tx. */
static void
warned(struct commit_tx *tx, const char *note)
{
	size_t k;

	for (k = 0; k < tx->n; k++)
		report_add_detail(tx->h[k].detail, "%s", note);
}

/* The held results of tx from first, at most COMMIT_MAX_REFS, moved
 * to a new transaction; NULL when out of memory. */
static struct commit_tx *
cut(const struct commit_tx *tx, size_t first)
{
	size_t n = tx->n - first;
	struct commit_tx *c = cs_calloc(1, sizeof(*c));

	if (n > COMMIT_MAX_REFS)
		n = COMMIT_MAX_REFS;
	if (c == NULL)
		return NULL;
	c->h = cs_calloc(n, sizeof(*c->h));
	if (c->h == NULL) {
		cs_free(c);
		return NULL;
	}
	memcpy(c->h, tx->h + first, n * sizeof(*c->h));
	c->n = c->cap = n;
	return c;
}

struct serve_ctx {
	struct commit_tx **tx;
	size_t n;
};

static int
all_reported(void *ctx)
{
	const struct serve_ctx *sc = ctx;
	size_t k;

	for (k = 0; k < sc->n; k++)
		if (!sc->tx[k]->reported)
			return 0;
	return 1;
}

/* Waits on s for the reports of tx[0..n), then reports each input. */
static void
await_here(struct commit_tx **tx, size_t n, struct scu_session *s,
    struct send_report *rp, int timeout_ms)
{
	struct serve_ctx sc = { tx, n };
	struct cs_err e = { 0, "" };
	char why[CS_ERR_MSG_MAX + 64];
	size_t k;
	int rc;

	rc = scu_serve(s, all_reported, &sc, timeout_ms, &e);
	/* the answer to the last report out first: a reader slow to take
	 * the lines must not keep it from the archive */
	if (s->r.pump_ready && !s->r.pump.closed)
		(void)pump_flush(&s->r.pump, FLUSH_MS, NULL);
	if (rc == CS_E_TIMEOUT)
		snprintf(why, sizeof(why), "no commitment report within %d s",
		    timeout_ms / 1000);
	else
		snprintf(why, sizeof(why), "no commitment report: %s",
		    e.code ? e.msg : "");
	for (k = 0; k < n; k++)
		commit_tx_finish(tx[k], rp, STORESCU_UNCOMMITTED,
		    tx[k]->reported ? NOT_NAMED : why);
}

int
commit_run_add(struct commit_run *cr, struct commit_tx *tx)
{
	if (cr->n == cr->cap) {
		size_t cap = cr->cap ? cr->cap * 2 : 16;
		void *p = cs_realloc(cr->tx, cap * sizeof(*cr->tx));

		if (p == NULL)
			return CS_E_NOMEM;
		cr->tx = p;
		cr->cap = cap;
	}
	cr->tx[cr->n++] = tx;
	return 0;
}

/* Hands tx to the listener's run; 0 or CS_E_NOMEM. */
static int
to_listener(struct commit_run *cr, struct commit_tx *tx, int timeout_ms)
{
	int rc;

	tx->deadline_ms = net_now_ms() + (uint64_t)timeout_ms;
	tx->timeout_ms = timeout_ms;
	pthread_mutex_lock(&cr->mu);
	rc = commit_run_add(cr, tx);
	pthread_mutex_unlock(&cr->mu);
	return rc;
}

/* Takes tx off the listener's list again (its request failed). */
static void
from_listener(struct commit_run *cr, struct commit_tx *tx)
{
	pthread_mutex_lock(&cr->mu);
	run_drop(cr, tx);
	pthread_mutex_unlock(&cr->mu);
}

void
commit_request(struct commit_tx *tx, struct scu_session *s, uint8_t pcid,
    struct send_report *rp, struct commit_run *cr, int timeout_ms,
    struct commit_rx *x)
{
	struct commit_tx **sent;
	size_t first, n = 0;
	char why[CS_ERR_MSG_MAX + 128] = "";
	int rc = 0;

	if (tx->n == 0)
		return;
	if (pcid == 0) {
		commit_tx_finish(tx, rp, STORESCU_UNCOMMITTED,
		    "the archive did not accept the Storage Commitment Push Model class");
		return;
	}
	sent = cs_calloc(tx->n / COMMIT_MAX_REFS + 1, sizeof(*sent));
	x->tx = sent;
	x->n = 0;
	for (first = 0; sent != NULL && rc == 0 && first < tx->n;
	     first += COMMIT_MAX_REFS) {
		struct commit_tx *c = cut(tx, first);
		struct cs_err e = { 0, "" };

		if (c == NULL)
			break;
		/* listed before it is asked: the report may come at once */
		rc = xcode_new_uid(c->uid, sizeof(c->uid), &e);
		if (rc == 0 && cr != NULL)
			rc = to_listener(cr, c, timeout_ms);
		if (rc == 0 && cr == NULL)
			sent[n++] = c;
		x->n = n;
		if (rc != 0)
			snprintf(why, sizeof(why), "no commitment request: %s",
			    e.code ? e.msg : "out of memory");
		else
			rc = send_action(c, s, pcid, why, sizeof(why));
		if (rc == 1) {          /* taken, with a warning */
			if (cr != NULL) /* a report may be applied meanwhile */
				pthread_mutex_lock(&cr->mu);
			warned(c, why);
			if (cr != NULL)
				pthread_mutex_unlock(&cr->mu);
			why[0] = '\0';
			rc = 0;
		}
		if (rc == 0) {
			asked(rp, c);
			if (cr == NULL) {
				c->asked = 1;
				continue;
			}
			/* the listener settles it once reported; it may be
			 * already (a report before the N-ACTION's answer) */
			pthread_mutex_lock(&cr->mu);
			c->asked = 1;
			c->deadline_ms = net_now_ms() + (uint64_t)timeout_ms;
			if (c->reported) {
				run_drop(cr, c);
				x->rp =
				    rp; /* its lines go where the run's do */
				settled_add(x, c);
			}
			pthread_mutex_unlock(&cr->mu);
			continue;
		}
		if (cr != NULL)
			from_listener(cr, c);
		else if (n > 0 && sent[n - 1] == c)
			x->n = --n;
		commit_tx_finish(c, rp,
		    rc == -2 ? STORESCU_COMMIT_FAILED : STORESCU_UNCOMMITTED,
		    why);
		tx_free(c);
	}
	if (n > 0)
		await_here(sent, n, s, rp, timeout_ms);
	x->tx = NULL;
	x->n = 0;
	while (n > 0)
		tx_free(sent[--n]);
	cs_free(sent);
	/* what was not cut off: never asked */
	if (first < tx->n) {
		memmove(tx->h, tx->h + first, (tx->n - first) * sizeof(*tx->h));
		tx->n -= first;
		commit_tx_finish(tx, rp, STORESCU_UNCOMMITTED,
		    why[0] ? why : "no commitment request: out of memory");
	}
	tx->n = 0;
}
