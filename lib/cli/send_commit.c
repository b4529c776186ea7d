/* send_commit.c - dcmsend --commit on the command line (see send_commit.h). */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/output.h"
#include "cli/exitcodes.h"
#include "cli/send_commit.h"
#include "cli/send_dicomdir.h"
#include "cli/tmpfile.h"
#include "net/net.h"
#include "core/banned.h"

/*
 * The file --commit-state path names: a symbolic link followed (at most
 * 40 links, as the kernel does), its target need not exist yet.  The
 * state is written by rename onto its path, which would replace the
 * link itself with the file and leave what it points to stale.  The
 * result is in buf (cap bytes; path itself when it is no link), or NULL
 * with errno set when a link cannot be followed (unreadable, a target
 * too long, too many links): never the link itself, replaced.
 */
static const char *
state_target(const char *path, char *buf, size_t cap)
{
	char link[4096], next[8200];
	const char *p = path, *slash;
	struct stat sb;
	ssize_t n;
	int hops;

	for (hops = 0; lstat(p, &sb) == 0 && S_ISLNK(sb.st_mode); hops++) {
		if (hops == 40) {
			errno = ELOOP;
			return NULL;
		}
		n = readlink(p, link, sizeof(link));
		if (n < 0)
			return NULL;
		if ((size_t)n >= sizeof(link)) {
			errno = ENAMETOOLONG;
			return NULL;
		}
		link[n] = '\0';
		slash = strrchr(p, '/');
		/* a relative target is relative to the link's directory */
		if (link[0] == '/' || slash == NULL)
			snprintf(next, sizeof(next), "%s", link);
		else
			snprintf(next, sizeof(next), "%.*s/%s",
			    (int)(slash - p), p, link);
		if (strlen(next) >= cap) {
			errno = ENAMETOOLONG;
			return NULL;
		}
		memcpy(buf, next, strlen(next) + 1);
		p = buf;
	}
	return p;
}

/* state_target, or says why the link cannot be followed and exits 6. */
static const char *
state_target_or_exit(const char *named, char *buf, size_t cap)
{
	const char *p = state_target(named, buf, cap);

	if (p == NULL) {
		fprintf(stderr,
		    "%s: cannot write the commitment state '%s': cannot "
		    "follow its symbolic link: %s\n",
		    cli_progname(), named, strerror(errno));
		exit(EXIT_OUTPUT);
	}
	return p;
}

/* --commit-state FILE: it is written as FILE.RANDOM.tmp renamed onto FILE (a
 * link's target: state_target), so what must be writable is the
 * directory (never the file itself: a read-only state file is replaced
 * like any other), and an existing FILE must be a regular file; else
 * says so and exits 6 before anything is sent (it is written as the run
 * goes, first after the first request). */
static void
state_writable(const char *named)
{
	char target[4096];
	const char *path = state_target_or_exit(named, target, sizeof(target));
	const char *slash = strrchr(path, '/');
	/* the directory: ".", "/" or what comes before the last slash */
	const char *d = slash == NULL ? "." : path;
	size_t dlen = slash == NULL ? 1
	    : slash == path         ? 1
				    : (size_t)(slash - path);
	char dir[4096];
	const char *why = NULL;
	struct stat sb;
	int e = 0;

	if (stat(path, &sb) == 0) {
		if (S_ISDIR(sb.st_mode))
			e = EISDIR;
		else if (!S_ISREG(sb.st_mode))
			why = "not a regular file";
	} else if (errno != ENOENT) {
		e = errno;
	}
	if (e == 0 && why == NULL) {
		if (dlen >= sizeof(dir)) {
			e = ENAMETOOLONG;
		} else {
			memcpy(dir, d, dlen);
			dir[dlen] = '\0';
			if (faccessat(AT_FDCWD, dir, W_OK | X_OK, AT_EACCESS) !=
			    0)
				e = errno;
		}
	}
	if (e == 0 && why == NULL)
		return;
	fprintf(stderr, "%s: cannot write the commitment state '%s': %s\n",
	    cli_progname(), named, why != NULL ? why : strerror(e));
	exit(EXIT_OUTPUT);
}

void
send_commit_check(const struct send_args *a, int nops)
{
	const struct storescu_send_opts *s = &a->send;

	/* the archive connects to us: over TLS we are its server */
	if (a->commit_listen != NULL && a->cfg.tls.enabled &&
	    a->cfg.tls.cert == NULL)
		cli_usage_error("--commit-listen with --tls needs --tls-cert "
				"(the listener's certificate)");
	/* ... and checks the archive's client certificate against the CAs
	 * named, never the system's store (tls.h) */
	if (a->commit_listen != NULL && a->cfg.tls.enabled &&
	    a->cfg.tls.ca == NULL)
		cli_usage_error("--commit-listen with --tls needs --tls-ca "
				"(the CAs that sign the archive's certificate: "
				"the system's store is not trusted for it)");
	if (a->commit_wait != NULL) {
		if (s->commit || a->echo || s->dry_run || a->resume_log)
			cli_usage_error(
			    "--commit-wait sends nothing: not with "
			    "--commit, --echo, --dry-run or --resume");
		if (a->commit_listen == NULL)
			cli_usage_error("--commit-wait needs --commit-listen");
		if (nops > 0)
			cli_usage_error("--commit-wait takes no operands");
		if (a->commit_state != NULL)
			state_writable(a->commit_state);
		return;
	}
	if (!s->commit &&
	    (a->commit_listen || s->commit_timeout_ms || a->commit_state))
		cli_usage_error("--commit-listen, --commit-timeout and "
				"--commit-state need --commit");
	if (s->commit && (a->echo || s->dry_run))
		cli_usage_error("--commit sends: not with --echo or --dry-run");
	if (a->commit_state != NULL)
		state_writable(a->commit_state);
}

int
send_commit_listen(struct storescu_send_opts *send, const char *spec, int quiet)
{
	struct cs_err err = { 0, "" };
	char host[256], port[32];
	int fd;

	if (spec == NULL)
		return 0;
	if (net_split_hostport(spec, host, sizeof(host), port, sizeof(port)) !=
	    0) {
		if (!quiet)
			fprintf(stderr,
			    "%s: commitment listener '%s': not [ADDR:]PORT\n",
			    cli_progname(), spec);
		return EXIT_USAGE;
	}
	fd = net_listen(host, port, STORESCU_COMMIT_LISTEN_BACKLOG, &err);
	if (fd < 0) {
		if (!quiet)
			fprintf(stderr,
			    "%s: cannot listen for commitment reports on '%s': %s\n",
			    cli_progname(), spec, err.msg);
		return EXIT_OUTPUT;
	}
	send->commit_listen_fd = fd;
	return 0;
}

int
send_commit_status(const struct storescu_summary *sum)
{
	/* resumed inputs count as committed: --commit --resume skips only
	 * those (cli/resume.h) */
	return sum->committed == sum->inputs ? EXIT_OK : EXIT_UNCOMMITTED;
}

void
send_commit_state_init(
    struct send_commit_state *st, const char *path, int quiet)
{
	memset(st, 0, sizeof(*st));
	st->path = state_target_or_exit(path, st->target, sizeof(st->target));
	st->quiet = quiet;
	st->fd = -1;
	strmap_init(&st->idx);
}

/* The map key of an input: "TRANSACTION\tINSTANCE" in buf, cut to
 * cap - 1 bytes (a state file may hold fields of any length). */
static size_t
key_of(char *buf, size_t cap, const char *tx, const char *inst)
{
	int n = snprintf(buf, cap, "%s\t%s", tx, inst);

	if (n < 0)
		return 0;
	return (size_t)n < cap ? (size_t)n : cap - 1;
}

static void
oom(void)
{
	fprintf(stderr, "%s: out of memory\n", cli_progname());
	exit(EXIT_INTERNAL);
}

void
send_commit_state_add(
    struct send_commit_state *st, const struct storescu_pending *p)
{
	char key[160], *buf = NULL;
	size_t len = 0, v = st->n;
	FILE *m;
	int rc;

	if (st->n == st->cap) {
		void *q = realloc(
		    st->line, (st->cap ? st->cap * 2 : 64) * sizeof(*st->line));

		if (q == NULL)
			oom();
		st->line = q;
		st->cap = st->cap ? st->cap * 2 : 64;
	}
	m = open_memstream(&buf, &len);
	if (m == NULL)
		oom();
	fprintf(m, "%s\t%04X\t%s\t%s", p->transaction_uid, p->status,
	    p->sop_class, p->sop_instance);
	cli_out_append(m, p->path);
	/* the file sent, after the path (escaped: no tab of its own) */
	if (p->ino != 0)
		fprintf(m,
		    "\t%" PRIu64 ":%" PRIu64 ":%" PRIu64 ":%" PRId64
		    ":%" PRId64,
		    p->dev, p->ino, p->size, p->mtime_ns, p->ctime_ns);
	fputc('\n', m);
	if (fclose(m) != 0)
		oom();
	rc = strmap_put(&st->idx, key,
	    key_of(key, sizeof(key), p->transaction_uid, p->sop_instance), &v);
	if (rc < 0)
		oom();
	if (rc == 0) { /* the same input twice in one request: once */
		free(buf);
	} else {
		st->line[st->n++] = buf;
	}
	if (p->last)
		(void)send_commit_state_write(st);
}

/* Queues the "-" line of an input in the file whose report came. */
static void
gone_add(struct send_commit_state *st, const char *tx, const char *inst)
{
	/* "-", two tabs, the newline and snprintf's NUL: without the NUL a
	 * line ending exactly at gone_cap lost its newline to it */
	size_t need = strlen(tx) + strlen(inst) + 5;
	int n;

	if (st->gone_len + need > st->gone_cap) {
		size_t cap = st->gone_cap ? st->gone_cap : 4096;
		char *q;

		while (cap < st->gone_len + need)
			cap *= 2;
		if ((q = realloc(st->gone, cap)) == NULL)
			oom();
		st->gone = q;
		st->gone_cap = cap;
	}
	n = snprintf(st->gone + st->gone_len, st->gone_cap - st->gone_len,
	    "-\t%s\t%s\n", tx, inst);
	st->gone_len += (size_t)n;
}

void
send_commit_state_done(
    struct send_commit_state *st, const struct storescu_result *r)
{
	char key[160];
	size_t v;

	if (r->commit != STORESCU_COMMITTED &&
	    r->commit != STORESCU_COMMIT_FAILED)
		return;
	if (!strmap_get(&st->idx, key,
		key_of(key, sizeof(key), r->transaction_uid, r->sop_instance),
		&v) ||
	    st->line[v] == NULL)
		return;
	free(st->line[v]);
	st->line[v] = NULL;
	if (v >= st->written)
		return; /* never in the file: nothing to take out */
	gone_add(st, r->transaction_uid, r->sop_instance);
}

/* The rename of path made durable: fsync of its directory.  0 or -1. */
static int
sync_parent(const char *path)
{
	const char *slash = strrchr(path, '/');
	char dir[4096];
	int fd, rc;

	if (slash == NULL)
		snprintf(dir, sizeof(dir), ".");
	else if ((size_t)(slash - path) >= sizeof(dir))
		return -1;
	else
		snprintf(dir, sizeof(dir), "%.*s",
		    slash == path ? 1 : (int)(slash - path), path);
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}

/* Says once that the file cannot be written: EXIT_OUTPUT. */
static int
write_failed(struct send_commit_state *st)
{
	if (!st->quiet && !st->failed)
		fprintf(stderr,
		    "%s: cannot write the commitment state '%s': %s\n",
		    cli_progname(), st->path, strerror(errno));
	st->failed = 1;
	return EXIT_OUTPUT;
}

int
send_commit_state_compact(struct send_commit_state *st)
{
	char tmp[4200];
	FILE *f = NULL;
	size_t k, live = 0;
	int ok = 0, fd = cli_open_tmp(st->path, tmp, sizeof(tmp));

	if (fd >= 0) {
		f = fdopen(fd, "w");
		if (f == NULL) {
			close(fd);
			unlink(tmp);
		}
	}
	if (f != NULL) {
		fprintf(f, "%s\n", SEND_COMMIT_STATE_HEADER);
		for (k = 0; k < st->n; k++)
			if (st->line[k] != NULL) {
				fputs(st->line[k], f);
				live++;
			}
		ok = fflush(f) == 0 && fsync(fileno(f)) == 0;
		ok = fclose(f) == 0 && ok && rename(tmp, st->path) == 0;
		if (!ok)
			unlink(tmp);
		/* before anything is appended to the new file: a power cut
		 * must not bring back the old one under appended lines */
		else
			ok = sync_parent(st->path) == 0;
	}
	if (st->fd >= 0)
		close(st->fd);
	st->fd = -1;
	if (!ok)
		return write_failed(st);
	st->rewrites++;
	st->written = st->n;
	st->gone_len = 0;
	st->live = live;
	st->dead = 0;
	/* later lines are appended to what was just renamed in place */
	st->fd = open(st->path, O_WRONLY | O_APPEND | O_NOFOLLOW | O_CLOEXEC);
	return 0;
}

/* Appends the lines added since the last write and the "-" lines
 * straight from where they are, no copy: one writev(2) per APPEND_IOV
 * of them (one in all but the largest transactions), then fdatasync.
 * 0 or -1 with errno set. */
#define APPEND_IOV 256
static int
append(struct send_commit_state *st)
{
	struct iovec iov[APPEND_IOV];
	size_t k = st->written, added = 0, gone = 0, len = 0;
	int n, rc = 0, gone_sent = st->gone_len == 0;

	for (;;) {
		size_t want = 0;
		ssize_t w;

		n = 0;
		for (; k < st->n && n < APPEND_IOV; k++)
			if (st->line[k] != NULL) {
				iov[n++] = (struct iovec){ st->line[k],
					strlen(st->line[k]) };
				added++;
			}
		if (k == st->n && n < APPEND_IOV && !gone_sent) {
			iov[n++] = (struct iovec){ st->gone, st->gone_len };
			gone_sent = 1;
		}
		if (n == 0)
			break;
		for (int i = 0; i < n; i++)
			want += iov[i].iov_len;
		w = writev(st->fd, iov, n);
		if (w != (ssize_t)want) {
			/* a short write: the disk is full */
			if (w >= 0)
				errno = EIO;
			return -1;
		}
		len += want;
	}
	if (len > 0)
		rc = fdatasync(st->fd);
	if (rc != 0)
		return rc;
	for (k = 0; k < st->gone_len; k++)
		gone += st->gone[k] == '\n';
	st->appends += len > 0;
	st->written = st->n;
	st->gone_len = 0;
	st->live = st->live + added - gone;
	st->dead += 2 * gone; /* each "-" line and the line it takes out */
	return 0;
}

/* Rewrites are due once the file holds more dead lines than live ones
 * (and a good number of them): each line is then written twice on
 * average, however long the run. */
#define COMPACT_MIN 1024

int
send_commit_state_write(struct send_commit_state *st)
{
	if (st->fd < 0)
		return send_commit_state_compact(st);
	if (append(st) != 0) {
		/* a torn append: the rewrite puts the file right, or says */
		if (send_commit_state_compact(st) != 0)
			return EXIT_OUTPUT;
		return 0;
	}
	if (st->dead > COMPACT_MIN && st->dead > st->live)
		return send_commit_state_compact(st);
	return 0;
}

void
send_commit_state_release(struct send_commit_state *st)
{
	size_t k;

	for (k = 0; k < st->n; k++)
		free(st->line[k]);
	free(st->line);
	free(st->gone);
	if (st->fd >= 0)
		close(st->fd);
	strmap_release(&st->idx);
	memset(st, 0, sizeof(*st));
	st->fd = -1;
}

/* One line into p: 0 or -1. */
static int
parse_line(char *line, struct storescu_pending *p)
{
	char *f[5], *save = NULL, *end, *id, c;
	unsigned long st;
	int k;

	f[0] = strtok_r(line, "\t", &save);
	for (k = 1; k < 4 && f[k - 1] != NULL; k++)
		f[k] = strtok_r(NULL, "\t", &save);
	f[4] = k == 4 && f[3] != NULL ? strtok_r(NULL, "", &save) : NULL;
	p->dev = p->ino = p->size = 0;
	p->mtime_ns = p->ctime_ns = 0;
	/* the file sent, when the line says (a state of an older run
	 * does not) */
	if (f[4] != NULL && (id = strchr(f[4], '\t')) != NULL) {
		*id++ = '\0';
		if (sscanf(id,
			"%" SCNu64 ":%" SCNu64 ":%" SCNu64 ":%" SCNd64
			":%" SCNd64 "%c",
			&p->dev, &p->ino, &p->size, &p->mtime_ns, &p->ctime_ns,
			&c) != 5 ||
		    p->ino == 0)
			return -1;
	}
	if (f[4] == NULL || cli_tsv_unescape(f[4], f[4], strlen(f[4])) < 0 ||
	    f[4][0] == '\0')
		return -1;
	st = strtoul(f[1], &end, 16);
	if (strlen(f[1]) != 4 || *end != '\0' || st > 0xFFFF)
		return -1;
	p->transaction_uid = f[0];
	p->status = (uint16_t)st;
	p->sop_class = f[2];
	p->sop_instance = f[3];
	p->path = f[4];
	p->last = 0;
	return 0;
}

/* A "-" line: takes the pending input of its transaction and
 * instance (found in idx) out of out, marking it by a NULL path (dropped
 * at the end).  0, or -1 when malformed. */
static int
take_out(char *line, struct send_commit_pending *out, struct strmap *idx)
{
	char *tx = line + 2, *inst = strchr(tx, '\t'), key[160];
	size_t k;

	if (line[1] != '\t' || inst == NULL || inst == tx ||
	    strchr(inst + 1, '\t') != NULL || inst[1] == '\0')
		return -1;
	*inst++ = '\0';
	if (strmap_get(idx, key, key_of(key, sizeof(key), tx, inst), &k))
		out->p[k].path = NULL;
	return 0;
}

/* Starts what follows the zero bytes of a damaged state file
 * (drop_zeros): skipped, not malformed, when it is no whole line. */
#define DAMAGED_MARK '\001'

int
send_commit_state_parse(struct send_commit_pending *out, size_t *bad_line)
{
	char *line, *save = NULL, *end;
	size_t cap = 0, lineno = 1, k, kept, len;
	struct strmap idx; /* "TRANSACTION\tINSTANCE" -> its pending line */
	char key[160];
	int gone = 0, rc = 0;

	out->p = NULL;
	out->n = 0;
	if (strncmp(out->text, SEND_COMMIT_STATE_PREFIX,
		strlen(SEND_COMMIT_STATE_PREFIX)) != 0)
		return SEND_COMMIT_NOT_STATE;
	end = out->text + strlen(SEND_COMMIT_STATE_PREFIX);
	if ((end[0] != '1' && end[0] != '2') || end[1] != '\n')
		return isdigit((unsigned char)end[0]) ? SEND_COMMIT_NEWER
						      : SEND_COMMIT_NOT_STATE;
	/* an append a crash cut short: its line is not there */
	len = strlen(out->text);
	if (len > 0 && out->text[len - 1] != '\n' &&
	    (end = strrchr(out->text, '\n')) != NULL)
		end[1] = '\0';
	strmap_init(&idx);
	strtok_r(out->text, "\n", &save); /* the header */
	while (rc == 0 && (line = strtok_r(NULL, "\n", &save)) != NULL) {
		int damaged = line[0] == DAMAGED_MARK;

		lineno++;
		line += damaged;
		if (line[0] == '-') {
			if (take_out(line, out, &idx) != 0 && !damaged)
				rc = SEND_COMMIT_MALFORMED;
			gone = 1;
			continue;
		}
		if (out->n == cap) {
			void *p;

			cap = cap ? cap * 2 : 64;
			p = realloc(out->p, cap * sizeof(*out->p));
			if (p == NULL) {
				rc = CS_E_NOMEM;
				break;
			}
			out->p = p;
		}
		if (parse_line(line, &out->p[out->n]) != 0) {
			if (damaged)
				continue; /* the tail of a line the zeros cut */
			rc = SEND_COMMIT_MALFORMED;
			break;
		}
		k = out->n;
		if (strmap_put(&idx, key,
			key_of(key, sizeof(key), out->p[k].transaction_uid,
			    out->p[k].sop_instance),
			&k) < 0)
			rc = CS_E_NOMEM;
		out->n++;
	}
	strmap_release(&idx);
	if (rc == SEND_COMMIT_MALFORMED)
		*bad_line = lineno;
	if (rc != 0)
		return rc;
	for (k = kept = 0; gone && k < out->n; k++)
		if (out->p[k].path != NULL)
			out->p[kept++] = out->p[k];
	if (gone)
		out->n = kept;
	return 0;
}

/* The whole of f into *text (NUL-terminated, one byte spare): its
 * length, or -1 (read error) */
static long
read_all(FILE *f, char **text)
{
	size_t cap = 0, n = 0, got;
	char *p;

	*text = NULL;
	for (;;) {
		if (cap - n < 4097) {
			cap = cap ? cap * 2 : 65536;
			if ((p = realloc(*text, cap)) == NULL)
				oom();
			*text = p;
		}
		got = fread(*text + n, 1, cap - n - 1, f);
		n += got;
		if (got == 0)
			break;
	}
	(*text)[n] = '\0';
	return ferror(f) ? -1 : (long)n;
}

/* Takes out of text (len bytes) the zero bytes a power cut leaves where
 * appended lines were not written yet, with the part of their line
 * before them (cut short).  What follows them may be a later append (a
 * whole line) or the rest of a line whose head the zeros took (a write
 * resumed mid-line): it is kept behind DAMAGED_MARK, and the parser
 * skips it when it does not read as a line.  text ends NUL-terminated;
 * returns how many lines were damaged, *first the first one's number. */
static size_t
drop_zeros(char *text, size_t len, size_t *first)
{
	size_t i = 0, o = 0, lineno = 1, damaged = 0, start = 0;

	while (i < len) {
		if (text[i] == '\0') {
			if (damaged++ == 0)
				*first = lineno;
			while (i < len && text[i] == '\0')
				i++;
			o = start; /* the cut line's head goes */
			text[o++] = DAMAGED_MARK;
			continue;
		}
		text[o++] = text[i];
		if (text[i++] == '\n') {
			lineno++;
			start = o;
		}
	}
	text[o] = '\0';
	return damaged;
}

int
send_commit_state_read(
    const char *path, struct send_commit_pending *out, int quiet)
{
	FILE *f = fopen(path, "r");
	size_t bad = 0, zeros;
	long got;
	int rc;

	memset(out, 0, sizeof(*out));
	if (f == NULL) {
		if (!quiet)
			fprintf(stderr, "%s: cannot read '%s': %s\n",
			    cli_progname(), path, strerror(errno));
		return EXIT_USAGE;
	}
	got = read_all(f, &out->text);
	fclose(f);
	if (got > 0 && (zeros = drop_zeros(out->text, (size_t)got, &bad)) &&
	    !quiet)
		fprintf(stderr,
		    "%s: '%s' line %zu: zero bytes (a write a power cut lost?); "
		    "%zu damaged line%s skipped, the rest read\n",
		    cli_progname(), path, bad, zeros, zeros == 1 ? "" : "s");
	rc = got <= 0 ? SEND_COMMIT_NOT_STATE
		      : send_commit_state_parse(out, &bad);
	if (rc == CS_E_NOMEM)
		oom();
	if (rc != 0 && !quiet) {
		if (rc == SEND_COMMIT_NOT_STATE)
			fprintf(stderr,
			    "%s: '%s': not a dcmsend --commit-state file\n",
			    cli_progname(), path);
		else if (rc == SEND_COMMIT_NEWER)
			fprintf(stderr,
			    "%s: '%s': a --commit-state file of a later "
			    "dcmsend (not version 1 or 2): use that version\n",
			    cli_progname(), path);
		else
			fprintf(stderr, "%s: '%s' line %zu: malformed\n",
			    cli_progname(), path, bad);
	}
	return rc != 0 ? EXIT_USAGE : 0;
}

void
send_commit_pending_release(struct send_commit_pending *p)
{
	free(p->p);
	free(p->text);
	memset(p, 0, sizeof(*p));
}

/* The exit status of a finished send, DICOMDIR records aside. */
static int
exit_status(int rc, const struct storescu_summary *sum, size_t dicomdirs,
    const struct storescu_send_opts *o)
{
	/* a DICOMDIR alone is nothing sent: exit 1 as for other files */
	size_t objects = sum->inputs - dicomdirs;

	if (rc == CS_E_IO || rc == CS_E_INVAL)
		return EXIT_USAGE; /* an option */
	if (rc != 0)
		return cli_exit_for(rc);
	if (dicomdirs > 0 && objects == 0)
		return EXIT_NO;
	if (o->dry_run)
		return sum->skipped > sum->resumed + dicomdirs ||
			sum->failed > 0
		    ? EXIT_NO
		    : EXIT_OK;
	if (sum->stored + sum->warning + sum->resumed != objects)
		return EXIT_NO;
	if (!o->commit)
		return EXIT_OK;
	/* send_commit_status, without the DICOMDIRs (never sent) */
	return sum->committed == objects ? EXIT_OK : EXIT_UNCOMMITTED;
}

int
send_exit_status(int rc, const struct storescu_summary *sum, size_t dicomdirs,
    const struct storescu_send_opts *o)
{
	/* a record not followed is a file not sent */
	return send_dicomdir_exit(exit_status(rc, sum, dicomdirs, o));
}

int
send_commit_state_close(struct send_commit_state *st, int on, int ex)
{
	if (!on)
		return ex;
	/* a finished run leaves the pending lines only */
	if (send_commit_state_compact(st) != 0)
		ex = EXIT_OUTPUT;
	send_commit_state_release(st);
	return ex;
}
