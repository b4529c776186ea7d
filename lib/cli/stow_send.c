/* stow_send.c - dcmsend over STOW-RS: batches and results (stow_send.h). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cstore/cstore.h"
#include "net/net.h"
#include "cli/stow_rsp.h"
#include "cli/stow_run.h"
#include "cli/stow_send.h"
#include "dcmfile/infile.h"
#include "dcmfile/part10.h"
#include "web/stow_http.h"

#include "core/banned.h"

int
stow_is_url(const char *s)
{
	return strncasecmp(s, "http://", 7) == 0 ||
	    strncasecmp(s, "https://", 8) == 0;
}

/* res counted in the summary and given to on_result. */
static void
emit(struct run *r, const struct storescu_result *r0)
{
	struct storescu_result res = *r0;
	enum storescu_outcome oc = res.outcome;

	if (r->l != NULL)
		pthread_mutex_lock(&r->l->mu);
	if (oc == STORESCU_STORED)
		r->sum->stored++;
	else if (oc == STORESCU_WARNING)
		r->sum->warning++;
	else if (oc == STORESCU_RESUMED)
		r->sum->skipped++, r->sum->resumed++;
	else if (oc == STORESCU_UNREADABLE || oc == STORESCU_NOTDICOM ||
	    oc == STORESCU_TRUNCATED || oc == STORESCU_DICOMDIR)
		r->sum->skipped++;
	else if (oc != STORESCU_PLANNED)
		r->sum->failed++;
	r->sum->bytes += res.bytes;
	if (res.transcoded && storescu_outcome_stored(oc))
		r->sum->transcoded++;
	if (r->o->on_result != NULL)
		r->o->on_result(r->o->user, &res);
	if (r->l != NULL)
		pthread_mutex_unlock(&r->l->mu);
}

/* One result line, counted in the summary. */
void
report(struct run *r, const char *path, size_t index,
    const struct part10_info *info, enum storescu_outcome oc, int has_status,
    uint16_t status, const char *detail, uint64_t ms0)
{
	struct storescu_result res = {
		.path = path,
		.index = index,
		.outcome = oc,
		.has_status = has_status,
		.status = status,
		.sop_class = info ? info->sop_class : "",
		.sop_instance = info ? info->sop_instance : "",
		.ts_original = info ? info->ts_uid : "",
		.ts_sent = info && oc <= STORESCU_FAILED ? info->ts_uid : "",
		.bytes =
		    info && storescu_outcome_stored(oc) ? info->file_size : 0,
		.error_comment = "",
		.detail = detail ? detail : "",
		.assoc = r->requests,
		.attempts = r->requests ? 1 : 0,
		.ms = ms0 ? (unsigned)(net_now_ms() - ms0) : 0,
		.transaction_uid = "",
	};

	emit(r, &res);
}

void
report_item(struct run *r, const struct item *it, enum storescu_outcome oc,
    int has_status, uint16_t status, const char *detail)
{
	char d[CS_ERR_MSG_MAX + 256];
	int sent = oc <= STORESCU_FAILED || oc == STORESCU_ABORTED;
	uint64_t part = it->head_len + item_body_len(it);
	struct storescu_result res = {
		.path = it->path,
		.index = it->index,
		.outcome = oc,
		.has_status = has_status,
		.status = status,
		.sop_class = it->info.sop_class,
		.sop_instance = it->info.sop_instance,
		.ts_original = it->info.ts_uid,
		.ts_sent = sent ? it->ts_sent : "",
		.transcoded = sent && it->xfd >= 0,
		.bytes = storescu_outcome_stored(oc) ? part : 0,
		.error_comment = "",
		.detail = d,
		.assoc = r->requests,
		.attempts = r->requests ? 1 : 0,
		.ms = it->ms0 ? (unsigned)(net_now_ms() - it->ms0) : 0,
		.transaction_uid = "",
		.dev = it->dev,
		.ino = it->ino,
		.size = it->size,
		.mtime_ns = it->mtime_ns,
		.ctime_ns = it->ctime_ns,
		.nlink = it->nlink,
		.mode = it->mode,
		.uid = it->uid,
		.gid = it->gid,
	};

	snprintf(d, sizeof(d), "%s%s%s", it->note,
	    it->note[0] && detail && detail[0] ? "; " : "",
	    detail ? detail : "");
	emit(r, &res);
}

/* r->bytes counted again from the batch as it is now: an input
 * converted since it was taken (prepare_again) has a new length, so
 * subtracting a failed one's could drift, or wrap below 0. */
static void
recount(struct run *r)
{
	size_t k;

	r->bytes = 0;
	for (k = 0; k < r->n; k++)
		r->bytes += item_body_len(&r->it[k]);
}

static void
drop_batch(struct run *r)
{
	size_t k;

	for (k = 0; k < r->n; k++) {
		stow_unprepare(&r->it[k]);
		close(r->it[k].fd);
	}
	r->n = 0;
	r->bytes = 0;
}

/* Every input of the batch the same outcome (no answer, an HTTP error). */
void
fail_batch(struct run *r, enum storescu_outcome oc, const char *why)
{
	size_t k;

	for (k = 0; k < r->n; k++)
		report_item(r, &r->it[k], oc, 0, 0, why);
	drop_batch(r);
}

/* The reason a 200 that does not name an input leaves it failed. */
static const char *
not_stow(char *why, size_t len, const struct stow_http_rsp *rsp)
{
	snprintf(why, len,
	    "HTTP 200, but the response (%s, %zu bytes) is not a STOW-RS answer naming it: not counted as stored",
	    rsp->type[0] ? rsp->type : "no Content-Type", rsp->len);
	return why;
}

/* Its verdict in the answer: the JSON data set p, or (p NULL) an XML
 * one (a 200 proves nothing by itself: a web page where a STOW-RS
 * service was meant names nothing). */
static enum stow_verdict
verdict(const struct stow_rsp *p, const struct stow_http_rsp *rsp,
    const char *uid, uint16_t *reason)
{
	if (p != NULL)
		return stow_rsp_find(p, uid, reason);
	return stow_rsp_xml_find(rsp->type, rsp->body, rsp->len, uid, reason);
}

/* The answer to a request: each input's line from the response. */
static void
map_response(struct run *r, const struct stow_http_rsp *rsp)
{
	struct cs_err err = { 0, "" };
	struct stow_rsp *p = stow_rsp_parse(rsp->body, rsp->len, &err);
	char why[CS_ERR_MSG_MAX + 64];
	uint16_t reason;
	size_t k, again = 0;

	snprintf(why, sizeof(why), "HTTP %ld: %s", rsp->code, err.msg);
	/* a 202 or 409 in XML names its files as a JSON one does */
	if (p == NULL && rsp->code != 200 && !stow_rsp_xml_type(rsp->type)) {
		fail_batch(r, STORESCU_FAILED, why);
		return;
	}
	for (k = 0; k < r->n; k++) {
		struct item *it = &r->it[k];

		switch (verdict(p, rsp, it->info.sop_instance, &reason)) {
		case STOW_REFERENCED:
			if (rsp->code == 409) {
				/* PS3.18 10.5.3: a 409 stored none of the
				 * request, whatever its answer lists */
				report_item(r, it, STORESCU_FAILED, 0, 0,
				    "HTTP 409 (the service stored none of "
				    "the request), though its answer lists the "
				    "file as stored");
				break;
			}
			report_item(r, it,
			    reason ? STORESCU_WARNING : STORESCU_STORED, 1,
			    reason, NULL);
			break;
		case STOW_FAILED:
			if (reason == STOW_TS_REFUSED &&
			    stow_learn_refused(r->sh, it->ts_sent)) {
				/* its syntax refused (maybe learned by another
				 * lane meanwhile): it goes again in another,
				 * never one refused, so this ends (flush) */
				r->it[again++] = *it;
				continue;
			}
			snprintf(why, sizeof(why), "HTTP %ld%s", rsp->code,
			    reason ? "" : "; no Failure Reason given");
			report_item(
			    r, it, STORESCU_FAILED, reason != 0, reason, why);
			break;
		default:
			if (p == NULL && rsp->code == 200)
				not_stow(why, sizeof(why), rsp);
			else
				snprintf(why, sizeof(why),
				    "HTTP %ld; the response does not name it",
				    rsp->code);
			report_item(r, it, STORESCU_FAILED, 0, 0, why);
		}
		stow_unprepare(it);
		close(it->fd);
	}
	stow_rsp_free(p);
	r->n = again;
	r->bytes = 0;
}

/*
 * A 400 or 409 (PS3.18 10.5.3: the service stored none of the request)
 * whose answer names files of the batch in its Failed SOP Sequence: those
 * fail with their Failure Reason (one in a syntax the service refused
 * goes again converted); the others, listed in its Referenced SOP
 * Sequence or not, stay in the batch, to go again without them (a
 * service that did store them, as Orthanc does beside a file of another
 * study, takes them again).  Returns how many it named (0: it says
 * nothing of which, and the batch is as it was).
 */
static size_t
fail_named(struct run *r, const struct stow_http_rsp *rsp)
{
	struct cs_err err = { 0, "" };
	struct stow_rsp *p = stow_rsp_parse(rsp->body, rsp->len, &err);
	char why[64];
	uint16_t reason;
	size_t k, n = 0, named = 0;

	if (p == NULL && !stow_rsp_xml_type(rsp->type))
		return 0;
	for (k = 0; k < r->n; k++) {
		struct item *it = &r->it[k];

		if (verdict(p, rsp, it->info.sop_instance, &reason) !=
		    STOW_FAILED) {
			r->it[n++] = *it;
			continue;
		}
		named++;
		if (reason == STOW_TS_REFUSED &&
		    stow_learn_refused(r->sh, it->ts_sent)) {
			r->it[n++] = *it; /* prepare_again converts it */
			continue;
		}
		snprintf(why, sizeof(why), "HTTP %ld%s", rsp->code,
		    reason ? "" : "; no Failure Reason given");
		report_item(r, it, STORESCU_FAILED, reason != 0, reason, why);
		stow_unprepare(it);
		close(it->fd);
	}
	stow_rsp_free(p);
	r->n = n;
	recount(r);
	return named;
}

/* r->requests: the number of its next request, over all lanes. */
static void
next_request(struct run *r)
{
	if (r->l == NULL) {
		r->requests++;
		return;
	}
	pthread_mutex_lock(&r->l->mu);
	r->requests = ++r->l->requests;
	pthread_mutex_unlock(&r->l->mu);
}

/* How long to wait after rsp before trying again: delay, or the
 * Retry-After it asked for when longer (STOW_RETRY_AFTER_MAX_MS at
 * most). */
static unsigned
later_ms(const struct stow_http_rsp *rsp, unsigned delay)
{
	unsigned asked = rsp->retry_after_s >= STOW_RETRY_AFTER_MAX_MS / 1000
	    ? STOW_RETRY_AFTER_MAX_MS
	    : rsp->retry_after_s * 1000u;

	return asked > delay ? asked : delay;
}

/* Whether a request may go again (--retry): after a 429 or 5xx answer,
 * or, but under --follow (which tries again itself), after none: the
 * connection refused or timed out, or cut before the answer came (a file
 * the service stored meanwhile is the same instance stored again, as a
 * C-STORE whose response was lost is sent again over DIMSE).  Under
 * --follow a 429, 502, 503 or 504 is not either: stow_follow tries it
 * again, for --retry-for at most. */
static int
may_retry(const struct run *r, int rc, const struct stow_http_rsp *rsp)
{
	if (rc == 0)
		return STOW_HTTP_LATER(rsp->code) &&
		    !(r->follow && STOW_HTTP_GATEWAY(rsp->code));
	return !r->follow &&
	    (rc == CS_E_NET || rc == CS_E_UNREACHABLE || rc == CS_E_TIMEOUT);
}

/* POSTs the batch (retrying --retry times after a 429 or 5xx answer,
 * after its Retry-After if it asks for longer than the backoff, or after
 * no answer: may_retry); 0 or the error that ends the run. */
static int
post(struct run *r, struct stow_http_rsp *rsp, struct cs_err *err)
{
	unsigned tries = 0, delay = r->o->retry_delay_ms, wait;
	uint64_t now;
	size_t k;
	int rc;

	for (k = 0; k < r->n; k++) {
		const struct item *it = &r->it[k];
		struct stow_part *p = &r->parts[k];

		p->head = it->head;
		p->head_len = it->head_len;
		p->fd = it->xfd >= 0 ? it->xfd : it->fd;
		p->path = it->xfd >= 0 ? NULL : it->path;
		p->off = it->xfd >= 0 ? 0 : it->xoff;
		p->len = item_body_len(it);
	}
	for (;;) {
		next_request(r);
		rc = stow_http_post(r->h, r->parts, r->n, rsp, err);
		if (!may_retry(r, rc, rsp) || tries++ >= r->o->retries)
			return rc;
		wait = rc == 0 ? later_ms(rsp, delay) : delay;
		/* --follow: never past --retry-for (r->retry_until) */
		now = net_now_ms();
		if (r->retry_until != 0 && now >= r->retry_until)
			return rc;
		if (r->retry_until != 0 && wait > r->retry_until - now)
			wait = (unsigned)(r->retry_until - now);
		free(rsp->body);
		rsp->body = NULL;
		cs_err_clear(err);
		net_sleep_ms(wait);
		delay = delay > 300000 ? 600000 : delay * 2;
	}
}


/* --follow: all[k] went unanswered; it and the files after it (never
 * sent) become the batch again, for stow_follow to retry. */
static int
keep_rest(struct run *r, struct item *all, size_t n, size_t k, int rc)
{
	memmove(all, &all[k], (n - k) * sizeof(*all));
	r->it = all;
	r->n = n - k;
	recount(r);
	return rc;
}

/*
 * A 400 or 409 for a request of several files that names none of them in
 * a Failed SOP Sequence (a service or proxy answering without a STOW-RS
 * data set), or a 413 (a body limit): each is sent again alone so that
 * only the bad ones fail.  (Orthanc's 400 for one without a Study
 * Instance UID names it: fail_named.)
 */
static int
one_by_one(struct run *r, struct cs_err *err)
{
	struct item *all = r->it;
	size_t n = r->n, k;
	int rc = 0;

	for (k = 0; k < n; k++) {
		r->it = &all[k];
		r->n = 1;
		if (rc == 0)
			rc = flush(r, err);
		else
			fail_batch(r, STORESCU_NOTSENT, err->msg);
		if (rc != 0 && r->n > 0 && r->follow)
			return keep_rest(r, all, n, k, rc);
		if (rc != 0 && r->n > 0) /* kept to be tried again: not here */
			fail_batch(r, STORESCU_NOTSENT, err->msg);
	}
	r->it = all;
	r->n = 0;
	r->bytes = 0;
	return rc;
}

/* A dry run's request: its inputs' planned lines. */
static void
plan_batch(struct run *r)
{
	char d[64];
	size_t k;

	next_request(r);
	snprintf(d, sizeof(d), "request %u", r->requests);
	for (k = 0; k < r->n; k++) {
		report_item(r, &r->it[k], STORESCU_PLANNED, 0, 0, d);
		close(r->it[k].fd);
	}
	r->n = 0;
	r->bytes = 0;
}

/* The batch's inputs in a syntax the service refused (learned since
 * they were taken, on any lane): each converted again, or given its
 * line; the rest stays in the batch. */
static void
prepare_again(struct run *r)
{
	char why[CS_ERR_MSG_MAX + 256];
	enum storescu_outcome oc;
	size_t k, n = 0;

	for (k = 0; k < r->n; k++) {
		struct item *it = &r->it[k];

		if (!stow_refused(r->sh, it->ts_sent) ||
		    stow_prepare(r, it, &oc, why, sizeof(why)) == 0) {
			r->it[n++] = *it;
			continue;
		}
		report_item(r, it, oc, 0, 0, why);
		stow_unprepare(it);
		close(it->fd);
	}
	r->n = n;
	recount(r);
}

static int flush_once(struct run *r, struct cs_err *err);

/*
 * The file of the batch's input k failed while its request was sent (it
 * shrank, could not be read, or was written to): its request was cut
 * short, so the service stored nothing of it.  That input gets its line;
 * the others stay in the batch, to go again in a new request.
 */
static void
drop_broken(struct run *r, size_t k, int shrank, const char *msg)
{
	struct item *it = &r->it[k];
	char why[CS_ERR_MSG_MAX + 128];

	snprintf(why, sizeof(why),
	    "not sent in full: %s; the request was cut short, so the service "
	    "stores none of it",
	    msg);
	report_item(r, it, shrank ? STORESCU_TRUNCATED : STORESCU_UNREADABLE, 0,
	    0, why);
	stow_unprepare(it);
	close(it->fd);
	memmove(it, it + 1, (r->n - k - 1) * sizeof(*it));
	r->n--;
	recount(r);
}

int
flush(struct run *r, struct cs_err *err)
{
	int rc = 0;

	if (r->o->dry_run) {
		if (r->n > 0)
			plan_batch(r);
		return 0;
	}
	/* bounded: an input is sent again only in a syntax not yet
	 * refused, and the refused ones only grow */
	while (rc == 0 && r->n > 0) {
		prepare_again(r);
		if (r->n > 0)
			rc = flush_once(r, err);
	}
	return rc;
}

/* One request of the batch; a syntax it learned refused leaves those
 * inputs in the batch (prepare_again). */
static int
flush_once(struct run *r, struct cs_err *err)
{
	struct stow_http_rsp rsp = { 0 };
	char why[CS_ERR_MSG_MAX + 640];
	int rc;

	if (r->n == 0)
		return 0;
	rc = post(r, &rsp, err);
	if (rc == CS_E_IO && rsp.bad_part > 0 && rsp.bad_part <= r->n) {
		drop_broken(r, rsp.bad_part - 1, rsp.bad_shrank, err->msg);
		cs_err_clear(err);
		free(rsp.body);
		return 0; /* the others: flush sends them again */
	}
	if (rc == CS_E_IO || rc == CS_E_TOOBIG) {
		snprintf(why, sizeof(why), "%s", err->msg);
		cs_err_clear(err);
		fail_batch(r, STORESCU_ABORTED, why);
		free(rsp.body);
		return 0;
	}
	if (rc != 0)
		free(rsp.body); /* what came before the failure */
	if (rc != 0 && r->follow)
		return rc; /* stow_follow tries again, or fails the batch */
	if (rc != 0) {
		fail_batch(r,
		    rc == CS_E_NET ? STORESCU_ABORTED : STORESCU_NOTSENT,
		    err->msg);
		return rc;
	}
	if (r->follow && STOW_HTTP_GATEWAY(rsp.code)) {
		/* a gateway whose archive is down (or restarting), or a
		 * service's rate limit: no answer about the files, which
		 * stay for stow_follow to try again (after Retry-After) */
		r->retry_after_ms = later_ms(&rsp, 0);
		free(rsp.body);
		return cs_err_set(err, CS_E_AGAIN, "%s: HTTP %ld: %s",
		    r->so->url, rsp.code,
		    rsp.code == 429 ? "too many requests (the service's limit)"
				    : "the service is unavailable");
	}
	/* 407: the proxy of the environment wants credentials (or others)
	 * and would refuse every request as it does this one */
	if (rsp.code == 401 || rsp.code == 403 || rsp.code == 407) {
		snprintf(why, sizeof(why), "HTTP %ld: %s", rsp.code,
		    rsp.code == 401       ? "authentication required or refused"
			: rsp.code == 407 ? "the proxy (http_proxy, "
					    "https_proxy, ALL_PROXY) "
					    "requires authentication"
					  : "forbidden");
		fail_batch(r, STORESCU_NOTSENT, why);
		free(rsp.body);
		return cs_err_set(
		    err, CS_E_REJECTED, "%s: %s", r->so->url, why);
	}
	/* a 400 or 409 naming its failed files: the rest goes again
	 * (flush) */
	if ((rsp.code == 400 || rsp.code == 409) && fail_named(r, &rsp) > 0) {
		free(rsp.body);
		return 0;
	}
	/* 413: a proxy's body limit (nginx's is 1 MB) may take the files
	 * alone; a 409 naming no failed file says nothing of which */
	if ((rsp.code == 400 || rsp.code == 409 || rsp.code == 413) &&
	    r->n > 1) {
		free(rsp.body);
		return one_by_one(r, err);
	}
	if (rsp.code == 415) {
		/* PS3.18 10.5: the service does not take a syntax of the
		 * request; which one is known only when they are all one */
		size_t k, same = 1;

		free(rsp.body);
		for (k = 1; k < r->n && same; k++)
			same = strcmp(r->it[k].ts_sent, r->it[0].ts_sent) == 0;
		if (!same)
			return one_by_one(r, err);
		if (stow_learn_refused(r->sh, r->it[0].ts_sent))
			return 0; /* they go again, in another syntax */
		fail_batch(
		    r, STORESCU_FAILED, "HTTP 415: media type not supported");
		return 0;
	}
	if (rsp.code == 200 || rsp.code == 202 || rsp.code == 409) {
		map_response(r, &rsp);
	} else {
		snprintf(why, sizeof(why), "HTTP %ld%s%.512s%s", rsp.code,
		    rsp.code == 400
			? ": the service refused the file (bad request)"
			: rsp.code == 413
			? ": the file alone is larger than the service takes"
			: rsp.code == 429
			? ": too many requests (the service's limit)"
			: rsp.location[0] ? ": redirected to "
					  : "",
		    rsp.location,
		    rsp.location[0]
			? " (not followed: give dcmsend that URL's base)"
			: "");
		fail_batch(r, STORESCU_FAILED, why);
	}
	free(rsp.body);
	return 0;
}

/* A UID only the meta header names goes first in the note, as the
 * DIMSE path says it (send_window.c). */
static void
gap_note(struct item *it)
{
	char rest[sizeof(it->note)];
	size_t n;

	memcpy(rest, it->note, sizeof(rest));
	n = part10_uid_gap(&it->info, it->note, sizeof(it->note));
	if (n == 0)
		memcpy(it->note, rest, sizeof(rest));
	else if (rest[0] != '\0' && n + 2 < sizeof(it->note))
		snprintf(it->note + n, sizeof(it->note) - n, "; %.*s",
		    (int)(sizeof(it->note) - n - 3), rest);
}

/* Opens and probes input k into the batch, or gives it its line. */
void
take(struct run *r, const char *path, size_t k)
{
	struct cs_err err = { 0, "" };
	struct item *it = &r->it[r->n];
	struct stat st;
	char why[CS_ERR_MSG_MAX + 8], plan[CS_ERR_MSG_MAX + 256];
	enum storescu_outcome oc;
	int rc;

	it->path = path;
	it->index = k;
	it->ms0 = net_now_ms();
	it->xfd = -1;
	it->xoff = 0;
	it->head = NULL;
	it->head_len = 0;
	it->note[0] = '\0';
	if (r->l != NULL)
		pthread_mutex_lock(&r->l->mu);
	rc = r->o->already_stored != NULL
	    ? r->o->already_stored(r->o->user, path)
	    : 0;
	if (r->l != NULL)
		pthread_mutex_unlock(&r->l->mu);
	if (rc) {
		/* in the words of DIMSE's and --follow's resumed lines */
		struct storescu_result res = { .detail = "" };

		storescu_result_resumed(&res, rc, r->o->commit);
		report(r, path, k, NULL, STORESCU_RESUMED, 0, 0, res.detail, 0);
		return;
	}
	if ((it->fd = infile_open_stat(path, &st, &err)) < 0) {
		/* out of descriptors: ours, not the file's */
		report(r, path, k, NULL,
		    it->fd == CS_E_RESOURCE ? STORESCU_NOTSENT
					    : STORESCU_UNREADABLE,
		    0, 0, err.msg, 0);
		return;
	}
	it->dev = (uint64_t)st.st_dev;
	it->ino = (uint64_t)st.st_ino;
	it->size = (uint64_t)st.st_size;
	it->mtime_ns =
	    (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
	it->ctime_ns =
	    (int64_t)st.st_ctim.tv_sec * 1000000000 + st.st_ctim.tv_nsec;
	it->nlink = (uint64_t)st.st_nlink;
	it->mode = (uint32_t)st.st_mode;
	it->uid = (uint32_t)st.st_uid;
	it->gid = (uint32_t)st.st_gid;
	rc = part10_probe_fd(it->fd, PART10_O_VERIFY, &it->info, &err);
	snprintf(why, sizeof(why), "%s", err.msg);
	if (rc == 0 && it->info.kind == PART10_BARE) {
		rc = CS_E_NOTDICOM;
		snprintf(why, sizeof(why), "%s",
		    "no File Meta Information: STOW-RS takes Part 10 files");
	}
	/* sent as the meta says, the service would misread it: refused
	 * as by the DIMSE sender (storescu/source.c) */
	if (rc == 0 && (it->info.flags & PART10_F_TS_NONE)) {
		rc = CS_E_NOTDICOM;
		snprintf(why, sizeof(why), "%s", PART10_TS_NONE_WHY);
	} else if (rc == 0 && (it->info.flags & PART10_F_PIXEL_MISMATCH)) {
		rc = CS_E_NOTDICOM;
		snprintf(why, sizeof(why), "%s", part10_pixel_why(&it->info));
	}
	if (rc != 0) {
		close(it->fd);
		report(r, path, k, rc == 0 ? NULL : &it->info,
		    rc == CS_E_TRUNCATED ? STORESCU_TRUNCATED
			: rc == CS_E_IO  ? STORESCU_UNREADABLE
					 : STORESCU_NOTDICOM,
		    0, 0, why, 0);
		return;
	}
	if (storescu_is_dicomdir(it->info.sop_class)) {
		close(it->fd);
		report(r, path, k, &it->info, STORESCU_DICOMDIR, 0, 0,
		    STORESCU_DICOMDIR_DETAIL, 0);
		return;
	}
	memcpy(it->file_uid, it->info.sop_instance, sizeof(it->file_uid));
	memcpy(it->ts_sent, it->info.ts_uid, sizeof(it->ts_sent));
	rc = r->o->dry_run ? stow_plan(r, it, &oc, plan, sizeof(plan))
			   : stow_prepare(r, it, &oc, plan, sizeof(plan));
	if (r->o->dry_run && rc == 0)
		snprintf(it->note, sizeof(it->note), "%.180s", plan);
	gap_note(it); /* a dry run says it as the send will */
	if (rc != 0) {
		it->ms0 = 0;
		report_item(r, it, oc, 0, 0, plan);
		close(it->fd);
		return;
	}
	r->n++;
	r->bytes += item_body_len(it);
}

/* A connection's settings from so (no --limit-rate). */
static struct stow_http_cfg
http_cfg(const struct stow_opts *so)
{
	struct stow_http_cfg hc = { so->url, so->ca, so->bearer, so->netrc,
		so->connect_timeout_ms, so->timeout_ms, so->trace, NULL, NULL,
		NULL, NULL, NULL, NULL };

	hc.cert = so->cert;
	hc.key = so->key;
	return hc;
}

int
run_init(struct run *r, const struct stow_opts *so,
    const struct storescu_send_opts *o, struct storescu_summary *sum,
    struct cs_err *err)
{
	struct stow_http_cfg hc = http_cfg(so);
	size_t batch = so->batch ? so->batch : STOW_DEFAULT_BATCH;

	stow_shared_cfg(r->sh, &hc);
	r->so = so;
	r->o = o;
	r->sum = sum;
	r->it = calloc(batch, sizeof(*r->it));
	r->parts = calloc(batch, sizeof(*r->parts));
	if (r->it == NULL || r->parts == NULL)
		return cs_err_set(err, CS_E_NOMEM, "out of memory");
	return (r->h = stow_http_new(&hc, err)) == NULL ? err->code : 0;
}

void
run_free(struct run *r)
{
	stow_http_free(r->h);
	free(r->it);
	free(r->parts);
}

/* The error that stops every lane: the first one (rc, err) wins. */
static void
stop_lanes(struct lanes *l, int rc, const struct cs_err *err)
{
	pthread_mutex_lock(&l->mu);
	if (l->rc == 0) {
		l->rc = rc;
		l->err = *err;
	}
	pthread_mutex_unlock(&l->mu);
}

/* One lane: inputs taken in turn, batched, posted on its connection. */
static void *
lane(void *arg)
{
	struct run *r = arg;
	struct lanes *l = r->l;
	size_t batch = r->so->batch ? r->so->batch : STOW_DEFAULT_BATCH, k;
	struct cs_err err = { 0, "" };
	char why[CS_ERR_MSG_MAX];
	int rc = 0, stop;

	for (;;) {
		pthread_mutex_lock(&l->mu);
		k = l->next++;
		stop = l->rc;
		snprintf(why, sizeof(why), "%s", l->err.msg);
		pthread_mutex_unlock(&l->mu);
		if (k >= l->n)
			break;
		if (stop != 0) { /* no answer: the rest is not sent */
			report(r, l->paths[k], k, NULL, STORESCU_NOTSENT, 0, 0,
			    why, 0);
			continue;
		}
		take(r, l->paths[k], k);
		if (r->n == batch || r->bytes >= r->so->batch_bytes)
			rc = flush(r, &err);
		if (rc == 0)
			continue;
		stop_lanes(l, rc, &err);
		cs_err_clear(&err);
		rc = 0;
	}
	if ((rc = flush(r, &err)) != 0)
		stop_lanes(l, rc, &err);
	return NULL;
}

int
stow_send(const struct stow_opts *so, const struct storescu_send_opts *o,
    const char **paths, size_t n, struct storescu_summary *sum,
    struct cs_err *err)
{
	struct lanes l = { .paths = paths, .n = n, .err = { 0, "" } };
	struct stow_shared sh;
	unsigned jobs = o->jobs > 1 ? o->jobs : 1, j, made, started = 0;
	struct run *runs;
	pthread_t *tid;
	uint64_t t0 = net_now_ms();
	int rc = 0;

	memset(sum, 0, sizeof(*sum));
	sum->inputs = n;
	if (jobs > n)
		jobs = n > 0 ? (unsigned)n : 1;
	made = jobs;
	runs = calloc(jobs, sizeof(*runs));
	tid = calloc(jobs, sizeof(*tid));
	if (runs == NULL || tid == NULL ||
	    pthread_mutex_init(&l.mu, NULL) != 0) {
		free(runs);
		free(tid);
		return cs_err_set(err, CS_E_NOMEM, "out of memory");
	}
	stow_shared_init(&sh, o);
	for (j = 0; j < jobs && rc == 0; j++) {
		runs[j].l = &l;
		runs[j].sh = &sh;
		rc = run_init(&runs[j], so, o, sum, err);
	}
	if (rc != 0) { /* every input its line all the same */
		l.rc = rc;
		l.err = *err;
		jobs = 1;
	}
	for (j = 1; j < jobs; j++, started++)
		if (net_thread_start(&tid[j], lane, &runs[j]) != 0)
			break;
	lane(&runs[0]);
	for (j = 1; j <= started; j++)
		pthread_join(tid[j], NULL);
	for (j = 0; j < made; j++)
		run_free(&runs[j]);
	pthread_mutex_destroy(&l.mu);
	stow_shared_release(&sh);
	sum->associations = l.requests;
	sum->elapsed_us = (net_now_ms() - t0) * 1000u;
	free(runs);
	free(tid);
	if (l.rc != 0) {
		cs_err_clear(err);
		cs_err_set(err, l.rc, "%s", l.err.msg);
	}
	return l.rc;
}

int
stow_echo(const struct stow_opts *so, long *code, struct cs_err *err)
{
	struct stow_http_cfg hc = http_cfg(so);
	struct stow_http *h = stow_http_new(&hc, err);
	struct stow_http_rsp rsp = { 0 };
	int rc;

	if (h == NULL)
		return err->code;
	rc = stow_http_get(h, "/studies?limit=1", &rsp, err);
	*code = rsp.code;
	free(rsp.body);
	stow_http_free(h);
	return rc;
}
