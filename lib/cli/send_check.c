/* send_check.c - dcmsend's option cross-checks and operands (send_check.h). */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "cstore/storescu.h"
#include "cli/cli.h"
#include "cli/follow_args.h"
#include "cli/send_args.h"
#include "cli/send_check.h"
#include "cli/send_commit.h"
#include "cli/tls_args.h"
#include "web/stow_http.h"

#include "core/banned.h"

/* an IPv6 address in brackets, as dcmrecv and URLs write it */
static const char *
unbracket(char *host)
{
	size_t len = strlen(host);

	if (host[0] != '[' || len <= 2 || host[len - 1] != ']')
		return host;
	host[len - 1] = '\0';
	return host + 1;
}

/* Whether S is HOST:PORT in one word ("pacs:104", "[::1]:104"), as
 * dcm4che and URLs write a peer, where dcmsend takes two operands. */
static int
host_with_port(const char *s)
{
	const char *c = strrchr(s, ':');
	size_t i;

	if (c == NULL || c[1] == '\0' || c == s)
		return 0;
	/* an IPv6 address has colons of its own: only in brackets */
	if (strchr(s, ':') != c && (s[0] != '[' || c[-1] != ']'))
		return 0;
	for (i = 1; c[i] != '\0'; i++)
		if (c[i] < '0' || c[i] > '9')
			return 0;
	return 1;
}

/* Descriptors each association holds at once: its socket, the file it
 * sends and the next one (read ahead); and those kept for the rest (a
 * resolver, a converted file, a commitment listener). */
#define FDS_PER_JOB 3u
#define FDS_RESERVED 2u
/* When files may be converted, besides: the converted file sent, the
 * files prepared ahead (each its source and its converted file) and,
 * per converting thread (the lane's and its workers, the cores shared
 * out among the lanes), the GDCM worker's pipes and a call's.  The
 * library's figures come from cstore/storescu.h. */
#define FDS_CONVERTED 1u
#define FDS_AHEAD (STORESCU_AHEAD_DEPTH * 2u)
#define FDS_PER_CONVERTER 4u
#define CONVERTERS_MAX ((unsigned)STORESCU_AHEAD_WORKERS_MAX)
/* A STOW-RS connection's own: its socket, and a converting call's; and
 * each file of its request: the file and its converted copy. */
#define FDS_STOW_LANE (1u + FDS_PER_CONVERTER)
#define FDS_STOW_FILE 2u
/* What -j N raises the soft descriptor limit to, the hard one allowing. */
#define NOFILE_WANTED 65536u
/* Planning keeps up to a quarter of the limit open. */
#define KEEP_MAX ((unsigned)STORESCU_KEEP_MAX)

/* Descriptors open now: /proc/self/fd, or the three standard ones. */
static unsigned
open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	unsigned n = 0;

	if (d == NULL)
		return 3;
	while ((e = readdir(d)) != NULL)
		n += e->d_name[0] != '.';
	closedir(d);
	return n > 0 ? n - 1 : 3; /* not the one readdir used */
}

/* What one of jobs associations may hold at once. */
static unsigned
fds_per_job(const struct send_args *a, unsigned jobs)
{
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	unsigned workers;

	if (a->send.no_transcode)
		return FDS_PER_JOB;
	if (a->send.no_ahead)
		return FDS_PER_JOB + FDS_CONVERTED + FDS_PER_CONVERTER;
	workers = cores > 0 ? ((unsigned)cores + jobs - 1) / jobs : 1;
	if (workers > CONVERTERS_MAX)
		workers = CONVERTERS_MAX;
	return FDS_PER_JOB + FDS_CONVERTED + FDS_AHEAD +
	    FDS_PER_CONVERTER * (1 + workers);
}

/*
 * The descriptor limit in rl, its soft limit raised first: 1024 by
 * default for select(2)'s sake, but we poll, so several associations or
 * requests may take what the hard limit allows.  0, or 1 when there is
 * no limit to mind (unknown, unlimited or beyond 2^20).
 */
static int
raise_nofile(struct rlimit *rl)
{
	if (getrlimit(RLIMIT_NOFILE, rl) != 0)
		return 1;
	if (rl->rlim_cur < rl->rlim_max && rl->rlim_cur < NOFILE_WANTED) {
		struct rlimit up = *rl;

		up.rlim_cur =
		    rl->rlim_max < NOFILE_WANTED ? rl->rlim_max : NOFILE_WANTED;
		if (setrlimit(RLIMIT_NOFILE, &up) == 0)
			*rl = up;
	}
	return rl->rlim_cur == RLIM_INFINITY || rl->rlim_cur > 1u << 20;
}

/*
 * -j N beyond what the descriptor limit carries is lowered to what it
 * does (at least 1), said on standard error: out of descriptors, a file
 * would be reported unreadable, not converted, and a connection would
 * fail without a socket, for a shortage of ours.
 */
static void
fit_jobs(struct send_args *a)
{
	unsigned jobs = a->send.jobs > 0 ? a->send.jobs : 1, used, fit;
	unsigned long long left;
	struct rlimit rl;

	if (jobs == 1 || raise_nofile(&rl) != 0)
		return;
	used = open_fds() + FDS_RESERVED +
	    (rl.rlim_cur / 4 < KEEP_MAX ? (unsigned)(rl.rlim_cur / 4)
					: KEEP_MAX);
	left = rl.rlim_cur > used ? rl.rlim_cur - used : 0;
	for (fit = jobs; fit > 1; fit--)
		if ((unsigned long long)fit * fds_per_job(a, fit) <= left)
			break;
	if (fit >= jobs)
		return;
	a->send.jobs = fit;
	if (!a->quiet)
		fprintf(stderr,
		    "%s: -j %u: the descriptor limit (ulimit -n %llu) carries "
		    "-j %u: using it\n",
		    cli_progname(), jobs, (unsigned long long)rl.rlim_cur,
		    a->send.jobs);
}

/*
 * --stow-batch N beyond what the descriptor limit carries over the -j
 * connections is lowered to what it does (at least 1), said on standard
 * error: each file of a request stays open until the request has gone
 * (a converted one with its converted copy), so out of descriptors a
 * file would be reported unreadable, and the connection would fail
 * without a socket, for a shortage of ours.
 */
static void
fit_stow_batch(struct send_args *a)
{
	unsigned jobs = a->send.jobs > 0 ? a->send.jobs : 1;
	unsigned long long used = open_fds() + FDS_RESERVED, lane, fit, need;
	size_t batch = a->stow.batch;
	struct rlimit rl;

	/* the soft limit raised only when it does not carry the batch */
	need = used + jobs * (FDS_STOW_LANE + FDS_STOW_FILE * (uint64_t)batch);
	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 ||
	    rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur >= need ||
	    raise_nofile(&rl) != 0)
		return;
	lane = rl.rlim_cur > used ? (rl.rlim_cur - used) / jobs : 0;
	fit = lane > FDS_STOW_LANE ? (lane - FDS_STOW_LANE) / FDS_STOW_FILE : 0;
	if (fit >= batch)
		return;
	a->stow.batch = fit > 0 ? (size_t)fit : 1;
	if (!a->quiet)
		fprintf(stderr,
		    "%s: --stow-batch %zu: the descriptor limit (ulimit -n "
		    "%llu) carries --stow-batch %zu: using it\n",
		    cli_progname(), batch, (unsigned long long)rl.rlim_cur,
		    a->stow.batch);
}

/* A number as cli_parse_num reads one ("+104", " 104" too), in range
 * or not. */
static int
is_number(const char *s)
{
	char *end;

	(void)strtoll(s, &end, 10);
	return *s != '\0' && end != s && *end == '\0';
}

/* HOST:PORT in one operand: a usage error naming the two it stands for,
 * when PORT is one (1-65535). */
static void
one_word_peer(const char *op)
{
	const char *c = strrchr(op, ':');
	long long port = strtoll(c + 1, NULL, 10);

	if (port < 1 || port > 65535)
		cli_usage_error("host '%s' holds a port, '%s' out of range "
				"(1-65535): host and port are two operands",
		    op, c + 1);
	cli_usage_error(
	    "host '%s' holds a port: host and port are two operands ('%.*s %lld')",
	    op, (int)(c - op), op, port);
}

void
send_check_peer(struct send_args *a, int nops, char **ops)
{
	/* the port as a number writes it: the result lines, --json and
	 * the messages show "104" whether "+104" or "0104" was typed */
	static char port[8];
	const char *delay;

	tls_args_check(&a->cfg.tls, 0);
	send_commit_check(a, nops);
	if (a->commit_wait == NULL && nops > 0 && host_with_port(ops[0]) &&
	    (nops < 2 || !is_number(ops[1])))
		one_word_peer(ops[0]);
	if (a->commit_wait == NULL && nops < 2)
		cli_usage_error(
		    "missing %s", nops == 0 ? "host and port" : "port");
	a->cfg.host = nops > 0 ? unbracket(ops[0]) : "";
	a->cfg.port = nops > 1 ? ops[1] : "";
	if (a->commit_wait == NULL && a->cfg.host[0] == '\0')
		cli_usage_error("host '%s': empty", ops[0]);
	if (a->commit_wait == NULL) {
		snprintf(port, sizeof(port), "%lld",
		    cli_parse_num(a->cfg.port, 1, 65535, "port"));
		a->cfg.port = port;
	}
	if (a->echo && nops > 2)
		cli_usage_error("--echo takes no files");
	if (!a->echo && a->send.probe && !a->send.dry_run)
		cli_usage_error("--probe needs --dry-run");
	if (!a->echo && a->send.no_transcode && a->send.allow_lossy)
		cli_usage_error(
		    "--no-transcode and --lossy exclude each other");
	follow_args_check(a);
	send_identity_check(a, nops - 2, ops + 2);
	fit_jobs(a);
	/* debugging (man page, ENVIRONMENT); empty means unset */
	if ((delay = getenv("DCMSEND_COMMIT_DELAY_MS")) != NULL && delay[0])
		a->send.commit_delay_ms = (unsigned)cli_parse_num(
		    delay, 0, 600000, "DCMSEND_COMMIT_DELAY_MS");
}

void
send_check_web(struct send_args *a, char *url, int nfiles)
{
	struct cs_err err = { 0, "" };
	size_t len = strlen(url);

	/* as given ("http://" is not "http:"): a URL libcurl cannot read,
	 * without a host, or with a user, query or fragment is exit 2 */
	if (stow_http_url_check(url, &err) != 0)
		cli_usage_error("%s", err.msg);
	while (len > 0 && url[len - 1] == '/')
		url[--len] = '\0';
	follow_args_check(a);
	send_web_check(a, url);
	fit_stow_batch(a);
	if (a->echo && nfiles > 0)
		cli_usage_error("--echo takes no files");
}
