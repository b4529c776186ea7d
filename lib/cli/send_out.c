/* send_out.c - dcmsend's output lines (see send_out.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cstore/storescu.h"
#include "cli/cli.h"
#include "cli/exitcodes.h"
#include "cli/json_str.h"
#include "cli/output.h"
#include "cli/send_dicomdir.h"
#include "cli/send_out.h"
#include "core/status.h"
#include "core/utf8.h"
#include "dcmfile/infile.h"

#include "core/banned.h"

void
send_out_result(const struct cli_out *o, const struct storescu_result *r)
{
	char st[32], detail[1200], dd[300], ec[256];
	const char *cw = storescu_commit_word(r->commit);
	const char *cat = NULL, *det = r->detail;
	struct status_info si;

	if (r->has_status) {
		snprintf(st, sizeof(st), "%04X", r->status);
		status_explain(r->status, "C-STORE", &si);
		cat = status_category_name(si.category);
	} else {
		snprintf(
		    st, sizeof(st), "%s", storescu_outcome_word(r->outcome));
	}
	/* --read-from-dicomdir says what became of its records */
	if (r->outcome == STORESCU_DICOMDIR &&
	    send_dicomdir_detail(r->path, dd, sizeof(dd)) != NULL)
		det = dd;
	/* the peer's Error Comment (LO, 64 characters at most): a command
	 * set has no Specific Character Set, so it is the default
	 * repertoire (PS3.5 6.1); bytes outside UTF-8 become U+FFFD in TSV
	 * and JSON alike */
	cs_utf8_replace(r->error_comment, ec, sizeof(ec));
	/* --commit: the commitment first, then the rest */
	snprintf(detail, sizeof(detail), "%s%s%s%s%s", cw,
	    cw[0] && (ec[0] || det[0]) ? "; " : "", ec,
	    ec[0] && det[0] ? "; " : "", det);
	{
		const struct cli_field f[] = {
			CLI_S("path", 2, r->path),
			CLI_S("status", 1, st),
			CLI_S("category", 0, cat),
			CLI_S("outcome", 0, storescu_outcome_word(r->outcome)),
			CLI_S("sop_class_uid", 3, r->sop_class),
			CLI_S("sop_instance_uid", 4, r->sop_instance),
			CLI_S("transfer_syntax", 0, r->ts_original),
			CLI_S("sent_transfer_syntax", 0, r->ts_sent),
			CLI_B("transcoded", 0, r->transcoded),
			CLI_I("bytes", 0, r->bytes),
			CLI_S("error_comment", 0, ec),
			CLI_S("detail", 0, det),
			CLI_S(NULL, 5, detail),
			CLI_I("association", 0, r->assoc),
			CLI_I("attempts", 0, r->attempts),
			CLI_I("ms", 0, r->ms),
			/* --commit only: the last three */
			CLI_S("commit", 0, cw),
			CLI_I("commit_reason", 0,
			    r->commit == STORESCU_COMMIT_FAILED
				? r->commit_reason
				: 0),
			CLI_S("transaction_uid", 0,
			    r->transaction_uid && r->transaction_uid[0]
				? r->transaction_uid
				: NULL),
		};

		cli_out_write(o, f,
		    CLI_NFIELDS(f) -
			(r->commit == STORESCU_COMMIT_NONE ? 3 : 0));
	}
}

#define PC_FIELDS 6

/* The TSV "context" lines of a planned association. */
static void
plan_contexts_tsv(const struct cli_out *o, const struct storescu_plan_assoc *a)
{
	char res[96];
	unsigned m;

	for (m = 0; m < a->n_pc; m++) {
		const struct storescu_plan_pc *pc = &a->pc[m];

		if (pc->result == 0 && pc->accepted_ts[0] != '\0')
			snprintf(
			    res, sizeof(res), "accepted %s", pc->accepted_ts);
		else if (pc->result == 0)
			snprintf(res, sizeof(res), "accepted");
		else
			snprintf(res, sizeof(res), "rejected (%u)", pc->result);
		{
			const struct cli_field f[] = {
				CLI_S(NULL, 1, "context"),
				CLI_I(NULL, 2, a->assoc),
				CLI_I(NULL, 3, pc->pcid),
				CLI_S(NULL, 4, pc->abstract_syntax),
				CLI_SV(NULL, 5, pc->ts, pc->n_ts),
				CLI_S(NULL, pc->probed ? 6 : 0, res),
			};

			cli_out_write(o, f, CLI_NFIELDS(f));
		}
	}
}

static int
plan_json(
    const struct cli_out *o, const struct storescu_plan_assoc *a, int probe)
{
	struct cli_field *pf =
	    calloc(a->n_pc ? a->n_pc : 1, sizeof(*pf) * PC_FIELDS);
	struct cli_record *rec = calloc(a->n_pc ? a->n_pc : 1, sizeof(*rec));
	unsigned m;
	int rc;

	if (pf == NULL || rec == NULL) {
		free(pf);
		free(rec);
		return -1;
	}
	for (m = 0; m < a->n_pc; m++) {
		const struct storescu_plan_pc *pc = &a->pc[m];
		const struct cli_field f[PC_FIELDS] = {
			CLI_I("pcid", 0, pc->pcid),
			CLI_S("abstract_syntax", 0, pc->abstract_syntax),
			CLI_SV("transfer_syntaxes", 0, pc->ts, pc->n_ts),
			CLI_B("accepted", 0, pc->result == 0),
			CLI_I("result", 0, pc->result),
			CLI_S("accepted_transfer_syntax", 0, pc->accepted_ts),
		};

		memcpy(&pf[m * PC_FIELDS], f, sizeof(f));
		rec[m].f = &pf[m * PC_FIELDS];
		rec[m].n = pc->probed ? PC_FIELDS : 3;
	}
	{
		const struct cli_field f[] = {
			CLI_I("association", 0, a->assoc),
			CLI_I("lane", 0, a->lane + 1), /* 1-based, as in TSV */
			CLI_I("files", 0, a->files),
			CLI_I("bytes", 0, a->bytes),
			CLI_RV("contexts", rec, a->n_pc),
			CLI_S("probe_error", 0, a->probe_error),
		};

		rc = cli_out_write(o, f, CLI_NFIELDS(f) - (probe ? 0 : 1));
	}
	free(pf);
	free(rec);
	return rc;
}

int
send_out_plan(
    const struct cli_out *o, const struct storescu_plan_assoc *a, int probe)
{
	char desc[1200];

	if (o->fmt == CLI_JSON)
		return plan_json(o, a, probe);
	snprintf(desc, sizeof(desc),
	    "lane %u, %zu files, %llu bytes, %u contexts%s%s", a->lane + 1,
	    a->files, (unsigned long long)a->bytes, a->n_pc,
	    a->probe_rc ? ": " : "", a->probe_rc ? a->probe_error : "");
	{
		const struct cli_field f[] = {
			CLI_S(NULL, 1, "association"),
			CLI_I(NULL, 2, a->assoc),
			CLI_S(NULL, 3, desc),
		};

		cli_out_write(o, f, CLI_NFIELDS(f));
	}
	plan_contexts_tsv(o, a);
	return 0;
}

void
send_out_echo(const struct cli_out *o, const struct storescu_config *cfg,
    const struct storescu_echo_result *r)
{
	char hex[8], peer[600], assoc[64], echo[64];
	struct status_info si;

	status_explain(r->status, "C-ECHO", &si);
	snprintf(hex, sizeof(hex), "%04X", r->status);
	/* an IPv6 address in brackets, as dcmrecv writes its peers */
	snprintf(peer, sizeof(peer),
	    strchr(cfg->host, ':') != NULL ? "[%s]:%s" : "%s:%s", cfg->host,
	    cfg->port);
	snprintf(
	    assoc, sizeof(assoc), "association %.1f ms", r->assoc_us / 1000.0);
	snprintf(echo, sizeof(echo), "echo %.1f ms", r->echo_us / 1000.0);
	{
		const struct cli_field f[] = {
			CLI_S("host", 0, cfg->host),
			CLI_S("port", 0, cfg->port),
			CLI_S("status", 1, hex),
			CLI_S("category", 2, status_category_name(si.category)),
			CLI_S(NULL, 3, peer),
			CLI_N("association_ms", 0, r->assoc_us / 1000.0, 3),
			CLI_S(NULL, 4, assoc),
			CLI_N("echo_ms", 0, r->echo_us / 1000.0, 3),
			CLI_S(NULL, 5, echo),
			CLI_I("peer_max_pdu", 0, r->peer_max_pdu),
			CLI_S("peer_implementation_class_uid", 0,
			    r->peer_impl_class_uid),
			CLI_S("peer_implementation_version", 0,
			    r->peer_impl_version),
		};

		cli_out_write(o, f, CLI_NFIELDS(f));
	}
}

void
send_progress_clear(struct send_progress *p)
{
	if (p->shown) {
		fputs("\r\033[K", stderr);
		p->shown = 0;
	}
}

void
send_progress_update(
    struct send_progress *p, const struct storescu_progress *sp)
{
	double secs = sp->elapsed_us / 1e6, rate, eta;

	if (!p->on)
		return;
	if (sp->files_done < sp->files_total &&
	    sp->elapsed_us - p->last_us < 200000)
		return;
	p->last_us = sp->elapsed_us;
	rate = secs > 0 ? sp->bytes_done / secs : 0;
	eta = rate > 0 ? (sp->bytes_total - sp->bytes_done) / rate : 0;
	fprintf(stderr,
	    "\r\033[K%s: %zu/%zu files, %.1f/%.1f MB, %.1f MB/s, ETA %um%02us",
	    cli_progname(), sp->files_done, sp->files_total,
	    sp->bytes_done / 1e6, sp->bytes_total / 1e6, rate / 1e6,
	    (unsigned)eta / 60, (unsigned)eta % 60);
	fflush(stderr);
	p->shown = 1;
}

void
send_out_summary(const struct storescu_summary *sum)
{
	double secs = sum->elapsed_us / 1e6;

	fprintf(stderr,
	    "%s: %zu stored, %zu with warning, %zu failed, %zu skipped; "
	    "%.1f MB in %.2f s (%.1f MB/s)\n",
	    cli_progname(), sum->stored, sum->warning, sum->failed,
	    sum->skipped, sum->bytes / 1e6, secs,
	    secs > 0 ? sum->bytes / 1e6 / secs : 0.0);
}

const char *
send_status_meaning(uint16_t status, const char *service)
{
	struct status_info si;

	status_explain(status, service, &si);
	return si.std != NULL ? si.std->meaning : "unknown status";
}

static struct timespec
ts_of(int64_t ns)
{
	struct timespec t;

	t.tv_sec = (time_t)(ns / 1000000000);
	t.tv_nsec = (long)(ns % 1000000000);
	return t;
}

/* Why the file at r's path is not the one r's bytes were read from, or
 * NULL when it is (or cannot be told: a stat that fails) */
static const char *
not_the_file_sent(const struct storescu_result *r)
{
	struct stat st, was;

	if (r->ino == 0 || stat(r->path, &st) != 0)
		return NULL;
	/* another file under its name since it was read (a spool that
	 * got the instance again): that one was not sent.  The device is
	 * compared only within the run that read the file (r->dev 0: from
	 * a --commit-state file, whose device numbers a reboot, a remount
	 * or another host sharing the spool changes) */
	if ((r->dev != 0 && (uint64_t)st.st_dev != r->dev) ||
	    (uint64_t)st.st_ino != r->ino)
		return "is no longer the file that was sent";
	/* the same file written to since it was taken (an edit in place,
	 * a writer still at work): its bytes now are not those the peer
	 * has.  A change time that moved counts as infile_changed tells
	 * (a write whose modification time was set back moves it; chmod,
	 * chown, ln, a rename do too, and are no write); when the rest is
	 * not known, any move counts */
	if (r->mtime_ns == -1)
		return NULL;
	was = st;
	was.st_size = (off_t)r->size;
	was.st_mtim = ts_of(r->mtime_ns);
	was.st_ctim = r->ctime_ns == -1 ? st.st_ctim : ts_of(r->ctime_ns);
	if (r->nlink != 0) {
		was.st_nlink = (nlink_t)r->nlink;
		was.st_mode = (mode_t)r->mode;
		was.st_uid = (uid_t)r->uid;
		was.st_gid = (gid_t)r->gid;
	}
	if (infile_changed(&was, &st, r->path))
		return "was written to after it was read to be sent";
	return NULL;
}

int
send_remove_sent(const struct storescu_result *r, int commit, int quiet)
{
	const char *why;

	if (r->outcome != STORESCU_STORED && r->outcome != STORESCU_WARNING)
		return 0;
	if (commit && r->commit != STORESCU_COMMITTED)
		return 0; /* the archive has not taken responsibility */
	if ((why = not_the_file_sent(r)) != NULL) {
		if (!quiet)
			fprintf(stderr, "%s: sent, but not removed: '%s' %s\n",
			    cli_progname(), r->path, why);
		return 0;
	}
	if (unlink(r->path) == 0)
		return 1;
	if (!quiet)
		fprintf(stderr, "%s: sent, but cannot remove '%s': %s\n",
		    cli_progname(), r->path, strerror(errno));
	return 0;
}

void
send_out_echo_notes(
    const struct storescu_config *cfg, const struct storescu_echo_result *r)
{
	fprintf(stderr, "%s: peer max PDU length %u%s\n", cli_progname(),
	    (unsigned)r->peer_max_pdu, r->peer_max_pdu ? "" : " (no limit)");
	fprintf(stderr,
	    "%s: peer implementation class UID %s, version name '%s'\n",
	    cli_progname(),
	    r->peer_impl_class_uid[0] ? r->peer_impl_class_uid : "(none)",
	    r->peer_impl_version);
	if (cfg->user != NULL)
		fprintf(stderr, "%s: user identity '%s' %s\n", cli_progname(),
		    cfg->user,
		    r->identity_confirmed ? "confirmed by the peer"
					  : "sent, not confirmed (none asked)");
}

int
send_echo_run(const struct storescu_config *cfg, struct cli_out *out,
    int verbose, int quiet)
{
	struct storescu_echo_result r;
	struct cs_err err = { 0, "" };
	int rc = storescu_echo(cfg, &r, &err);

	if (rc != 0) {
		fprintf(stderr, "%s: echo to '%s' port %s failed: %s\n",
		    cli_progname(), cfg->host, cfg->port,
		    err.code ? err.msg : cs_strerror(rc));
		return cli_exit_for(rc);
	}
	send_out_echo(out, cfg, &r);
	if (verbose)
		send_out_echo_notes(cfg, &r);
	if (r.status != 0 && !quiet)
		fprintf(stderr,
		    "%s: the peer answered the echo with status %04X: %s: %s\n",
		    cli_progname(), r.status,
		    status_category_name(status_category_of(r.status)),
		    send_status_meaning(r.status, "C-ECHO"));
	/* the answer is its line: one that could not be written is 6 */
	if (cli_flush_stdout("the result") != 0)
		return EXIT_OUTPUT;
	return r.status == 0 ? EXIT_OK : EXIT_NO;
}
