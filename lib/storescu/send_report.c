/*
 * send_report.c - storescu_send's results, counts, progress and notes
 * (send_report.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/sopclass.h"
#include "core/uid.h"
#include "net/net.h"
#include "storescu/send_report.h"
#include "core/banned.h"

void
report_init(struct send_report *rp, const struct storescu_send_opts *o,
    const struct sources *src, struct storescu_summary *sum)
{
	memset(rp, 0, sizeof(*rp));
	memset(sum, 0, sizeof(*sum));
	rp->o = o;
	rp->src = src;
	rp->sum = sum;
	rp->t0 = net_now_us();
	sum->inputs = src->n;
	pthread_mutex_init(&rp->mu, NULL);
	pthread_mutex_init(&rp->out_mu, NULL);
}

void
report_release(struct send_report *rp)
{
	rp->sum->elapsed_us = net_now_us() - rp->t0;
	pthread_mutex_destroy(&rp->mu);
	pthread_mutex_destroy(&rp->out_mu);
}

void
report_planned(struct send_report *rp, size_t i)
{
	rp->prog.files_total++;
	rp->prog.bytes_total += rp->src->s[i].bytes;
}

const char *
report_uid_text(const char *uid)
{
	const struct uid_entry *e = uid_by_uid(uid);
	const struct sopclass *c;

	if (e != NULL && e->keyword != NULL && e->keyword[0])
		return e->keyword;
	c = sopclass_by_uid(uid);
	return c != NULL && c->keyword != NULL && c->keyword[0] ? c->keyword
								: uid;
}

void
report_note(struct send_report *rp, const char *fmt, ...)
{
	char line[600];
	va_list ap;

	if (rp->o->on_note == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	pthread_mutex_lock(&rp->mu);
	rp->o->on_note(rp->o->user, line);
	pthread_mutex_unlock(&rp->mu);
}

/* Counts r in the summary (under the lock). */
static void
count(struct storescu_summary *s, const struct storescu_result *r)
{
	s->committed += r->commit == STORESCU_COMMITTED;
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
	case STORESCU_DICOMDIR:
		s->skipped++;
		break;
	case STORESCU_PLANNED:
		break;
	}
	if (r->transcoded && storescu_outcome_stored(r->outcome))
		s->transcoded++;
}

void
report_emit(struct send_report *rp, struct storescu_result *r, int planned)
{
	struct storescu_progress prog;

	pthread_mutex_lock(&rp->out_mu);
	pthread_mutex_lock(&rp->mu);
	count(rp->sum, r);
	if (planned) {
		rp->prog.files_done++;
		rp->prog.bytes_done += rp->src->s[r->index - rp->base].bytes;
		rp->prog.elapsed_us = net_now_us() - rp->t0;
	}
	prog = rp->prog;
	pthread_mutex_unlock(&rp->mu);
	if (rp->o->on_result != NULL)
		rp->o->on_result(rp->o->user, r);
	if (planned && rp->o->on_progress != NULL)
		rp->o->on_progress(rp->o->user, &prog);
	pthread_mutex_unlock(&rp->out_mu);
}

void
report_result_init(struct storescu_result *r, const struct send_report *rp,
    size_t i, enum storescu_outcome o)
{
	memset(r, 0, sizeof(*r));
	r->path = rp->src->paths[i];
	r->index = rp->base + i;
	r->outcome = o;
	r->sop_class = sources_class(rp->src, i);
	r->ts_original = sources_ts(rp->src, i);
	/* known from planning: also on lines of files never sent */
	r->sop_instance = sources_instance(rp->src, i);
	r->ts_sent = "";
	r->error_comment = r->detail = "";
	r->transaction_uid = "";
}

void
report_simple(struct send_report *rp, size_t i, enum storescu_outcome o,
    unsigned assoc, const char *detail, int planned)
{
	struct storescu_result r;

	report_result_init(&r, rp, i, o);
	r.assoc = assoc;
	r.detail = detail ? detail : "";
	report_emit(rp, &r, planned);
}

void
report_association(struct send_report *rp)
{
	pthread_mutex_lock(&rp->mu);
	rp->sum->associations++;
	pthread_mutex_unlock(&rp->mu);
}

void
report_plan(struct send_report *rp, const struct storescu_plan_assoc *a)
{
	if (rp->o->on_plan == NULL)
		return;
	pthread_mutex_lock(&rp->mu);
	rp->o->on_plan(rp->o->user, a);
	pthread_mutex_unlock(&rp->mu);
}

/* How bad an association failure is, for the overall result. */
static int
rank(int rc)
{
	switch (rc) {
	case 0:
		return 0;
	case CS_E_UNREACHABLE:
	case CS_E_NONAME:
	case CS_E_TIMEOUT:
	case CS_E_TLS:
		return 1;
	case CS_E_REJECTED:
		return 2;
	default:
		return 3;
	}
}

void
report_failure(struct send_report *rp, int rc, const struct cs_err *e)
{
	pthread_mutex_lock(&rp->mu);
	if (rank(rc) > rank(rp->worst_rc)) {
		rp->worst_rc = rc;
		rp->worst = *e;
		if (rp->worst.code == 0) {
			rp->worst.code = rc;
			snprintf(rp->worst.msg, sizeof(rp->worst.msg), "%s",
			    cs_strerror(rc));
		}
	}
	pthread_mutex_unlock(&rp->mu);
}

void
report_accepted(struct send_report *rp, int accepted, const struct cs_err *e)
{
	pthread_mutex_lock(&rp->mu);
	if (accepted > 0)
		rp->some_accepted = 1;
	else if (!rp->none_accepted) {
		rp->none_accepted = 1;
		rp->none_err = *e;
	}
	pthread_mutex_unlock(&rp->mu);
}

int
report_result(const struct send_report *rp, struct cs_err *err)
{
	const struct cs_err *w = &rp->worst;
	int rc = rp->worst_rc;

	if (rp->none_accepted && !rp->some_accepted &&
	    rank(CS_E_REJECTED) > rank(rc)) {
		rc = CS_E_REJECTED;
		w = &rp->none_err;
	}
	if (rc != 0 && err != NULL && err->code == 0)
		*err = *w;
	return rc;
}

/* Whatever the transport said (a DIMSE timeout, a vanished peer). */
int
report_mid_way(int rc)
{
	return rc == CS_E_PROTO ? rc : CS_E_ABORTED;
}

enum storescu_outcome
report_probe_outcome(int rc)
{
	switch (rc) {
	case CS_E_NOTDICOM:
		return STORESCU_NOTDICOM;
	case CS_E_TRUNCATED:
		return STORESCU_TRUNCATED;
	case CS_E_RESOURCE: /* out of descriptors: ours, not the file's */
		return STORESCU_NOTSENT;
	default:
		return STORESCU_UNREADABLE;
	}
}

static void add_note(char *buf, size_t cap, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

static void
add_note(char *buf, size_t cap, const char *fmt, va_list ap)
{
	size_t len = strlen(buf);

	if (len > 0 && len + 2 < cap) {
		memcpy(buf + len, "; ", 3);
		len += 2;
	}
	if (len < cap)
		vsnprintf(buf + len, cap - len, fmt, ap);
}

void
report_add_detail(char *buf, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	add_note(buf, DETAIL_MAX, fmt, ap);
	va_end(ap);
}

void
report_add_note(char *buf, size_t cap, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	add_note(buf, cap, fmt, ap);
	va_end(ap);
}

/* Were all of cls's contexts in set rejected for their transfer
 * syntaxes alone (PS3.8 Table 9-18, result 4), the class not refused? */
static int
syntaxes_refused(const struct ul_assoc_params *ac,
    const struct propose_set *set, const char *cls)
{
	int k, n = 0;
	uint8_t j;

	for (k = 0; ac != NULL && k < ac->n_pc; k++)
		for (j = 0; j < set->n_pc; j++) {
			if (set->pc[j].id != ac->pc[k].id ||
			    strcmp(set->pc[j].abstract_syntax, cls) != 0)
				continue;
			if (ac->pc[k].result !=
			    UL_PC_TRANSFER_SYNTAXES_NOT_SUPPORTED)
				return 0;
			n++;
		}
	return n > 0;
}

void
report_nocontext(const struct propose_opts *po,
    const struct ul_assoc_params *ac, const struct propose_set *set,
    const char *cls, const char *ts, char *detail)
{
	struct propose_opts lossy = *po;
	struct propose_choice ch;
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
	lossy.allow_lossy = 1;
	if (!any && syntaxes_refused(ac, set, cls))
		report_add_detail(detail,
		    "the peer does not accept the transfer syntaxes proposed "
		    "for SOP class %s (%s%s)",
		    report_uid_text(cls), report_uid_text(ts),
		    po->no_transcode ? ", --no-transcode" : " or a conversion");
	else if (!any)
		report_add_detail(detail,
		    "the peer does not accept SOP class %s",
		    report_uid_text(cls));
	else if (po->no_transcode)
		report_add_detail(detail,
		    "the peer does not accept %s for it (--no-transcode)",
		    report_uid_text(ts));
	else if (!po->allow_lossy &&
	    propose_pick(set->pc, set->n_pc, ac->pc, ac->n_pc, cls, ts, &lossy,
		&ch) == 0)
		report_add_detail(detail,
		    "the peer does not accept %s for it; it converts to %s only lossily (--lossy allows it)",
		    report_uid_text(ts), report_uid_text(ch.ts));
	else
		report_add_detail(detail,
		    "the peer does not accept %s for it and it cannot be converted to an accepted syntax",
		    report_uid_text(ts));
}

void
report_meta_notes(char *d, const struct part10_info *info, const char *verb)
{
	if (info->flags & PART10_F_TS_MISMATCH)
		report_add_detail(d,
		    "meta header transfer syntax %s differs: %s as the data "
		    "set's",
		    info->meta_ts_uid, verb);
	if (info->flags & PART10_F_CLASS_MISMATCH)
		report_add_detail(d,
		    "meta header SOP class %s differs: %s as the data set's",
		    info->meta_sop_class, verb);
	/* planning keeps no meta instance: a dry run names none */
	if (info->flags & PART10_F_INSTANCE_MISMATCH)
		report_add_detail(d,
		    "meta header SOP instance%s%s differs: %s as the data "
		    "set's",
		    info->meta_sop_instance[0] != '\0' ? " " : "",
		    info->meta_sop_instance, verb);
}
