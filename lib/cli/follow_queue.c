/* follow_queue.c - dcmsend --follow's input queue (follow_queue.h). */
#include <errno.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/exitcodes.h"
#include "cli/follow_queue.h"
#include "cli/inputs.h"
#include "cli/operands.h"
#include "net/net.h"

#include "core/banned.h"

int
fq_init(struct fq *q, FILE *in, int nul, int quiet)
{
	memset(q, 0, sizeof(*q));
	q->quiet = quiet;
	q->spill_fd = -1;
	q->in = in;
	q->nul = nul;
	q->eof = in == NULL;
	q->mem = calloc(FQ_MEM_MAX, sizeof(*q->mem));
	if (q->mem == NULL)
		return -1;
	pthread_mutex_init(&q->mu, NULL);
	net_cond_init(&q->cv);
	return 0;
}

/* A file of its own in $TMPDIR, unlinked at once. */
static int
spill_open(void)
{
	const char *dir = getenv("TMPDIR");
	char name[4096];
	int fd;

	snprintf(name, sizeof(name), "%s/dcmsend-follow.XXXXXX",
	    dir != NULL && dir[0] ? dir : "/tmp");
	fd = mkstemp(name);
	if (fd >= 0)
		unlink(name);
	return fd;
}

static int
write_all(int fd, const void *p, size_t n, off_t off)
{
	const char *c = p;
	ssize_t w;

	while (n > 0) {
		w = pwrite(fd, c, n, off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		c += w;
		n -= (size_t)w;
		off += w;
	}
	return 0;
}

static int
read_all(int fd, void *p, size_t n, off_t off)
{
	char *c = p;
	ssize_t r;

	while (n > 0) {
		r = pread(fd, c, n, off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		c += r;
		n -= (size_t)r;
		off += r;
	}
	return 0;
}

/* path at the end of the spill file (made at the first); 0 or -1. */
static int
spill(struct fq *q, const char *path)
{
	uint32_t len = (uint32_t)strlen(path);

	if (q->spill_fd < 0 && (q->spill_fd = spill_open()) < 0)
		return -1;
	if (write_all(q->spill_fd, &len, sizeof(len), q->spill_wr) != 0 ||
	    write_all(q->spill_fd, path, len, q->spill_wr + 4) != 0)
		return -1;
	q->spill_wr += 4 + (off_t)len;
	q->spilled++;
	return 0;
}

/*
 * Queues path (owned now), in memory or at the end of the spill file;
 * under the lock.  0, or -1 with errmsg set.  A spill file that cannot
 * be made or written (a full or missing $TMPDIR) is given up for good,
 * said once: once the reader thread runs, it then waits for room in
 * memory, and the stream waits in its pipe (its writer is held up, as
 * without --follow's queue), instead of the rest of the stream being
 * lost.  Before that (operands), there is nobody to make room: -1.
 */
static int
push(struct fq *q, char *path)
{
	if (q->spilled == 0 && q->count < FQ_MEM_MAX) {
		q->mem[(q->head + q->count++) % FQ_MEM_MAX] = path;
		return 0;
	}
	if (!q->no_spill) {
		if (spill(q, path) == 0) {
			free(path);
			return 0;
		}
		q->no_spill = 1;
		snprintf(q->errmsg, sizeof(q->errmsg),
		    "cannot keep the input queue in a temporary file: %s",
		    strerror(errno));
		if (q->started) {
			fprintf(stderr,
			    "%s: %s: reading the input only as files are sent\n",
			    cli_progname(), q->errmsg);
			q->errmsg[0] = '\0';
		}
	}
	if (!q->started) {
		free(path);
		return -1;
	}
	/* the order kept: what was spilled goes first */
	while (q->spilled > 0 || q->count >= FQ_MEM_MAX)
		pthread_cond_wait(&q->cv, &q->mu);
	q->mem[(q->head + q->count++) % FQ_MEM_MAX] = path;
	return 0;
}

/* The oldest spilled path (malloc'd), or NULL; under the lock. */
static char *
unspill(struct fq *q)
{
	uint32_t len;
	char *p;

	if (read_all(q->spill_fd, &len, sizeof(len), q->spill_rd) != 0 ||
	    (p = malloc((size_t)len + 1)) == NULL)
		return NULL;
	if (read_all(q->spill_fd, p, len, q->spill_rd + 4) != 0) {
		free(p);
		return NULL;
	}
	p[len] = '\0';
	q->spill_rd += 4 + (off_t)len;
	if (--q->spilled == 0) {
		q->spill_rd = q->spill_wr = 0;
		if (ftruncate(q->spill_fd, 0) != 0)
			(void)0; /* the space comes back when we exit */
	}
	return p;
}

int
fq_add_path(struct fq *q, const char *path)
{
	char *p = strdup(path);

	return p == NULL ? -1 : push(q, p);
}

static void *
reader(void *arg)
{
	struct fq *q = arg;
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int failed = 0;

	while (!failed &&
	    (n = getdelim(&line, &cap, q->nul ? '\0' : '\n', q->in)) > 0) {
		if (line[n - 1] == (q->nul ? '\0' : '\n'))
			line[--n] = '\0';
		if (!q->nul && n > 0 && line[n - 1] == '\r')
			line[--n] = '\0';
		if (n == 0 || (size_t)n != strlen(line))
			continue; /* empty, or a NUL inside a line */
		pthread_mutex_lock(&q->mu);
		failed = push(q, line) != 0;
		line = NULL; /* owned by the queue now */
		cap = 0;
		pthread_cond_broadcast(&q->cv);
		pthread_mutex_unlock(&q->mu);
	}
	pthread_mutex_lock(&q->mu);
	if (!failed && ferror(q->in)) {
		snprintf(q->errmsg, sizeof(q->errmsg),
		    "cannot read the list of inputs: %s", strerror(errno));
		q->in_failed = 1;
	}
	q->eof = 1;
	pthread_cond_broadcast(&q->cv);
	pthread_mutex_unlock(&q->mu);
	free(line);
	return NULL;
}

int
fq_start(struct fq *q)
{
	if (q->in == NULL)
		return 0;
	/* before the thread: its push reads it */
	q->started = 1;
	if (net_thread_start(&q->tid, reader, q) != 0) {
		q->started = 0;
		return -1;
	}
	return 0;
}

/* A record naming a directory is no file to send (the list's rule). */
static int
skipped(const struct fq *q, const char *path)
{
	struct stat st;

	if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode))
		return 0;
	if (!q->quiet)
		fprintf(stderr,
		    "%s: skipping '%s': is a directory (a list names files)\n",
		    cli_progname(), path);
	return 1;
}

/* fq_take, once: 0 also when every path taken (*got) was a directory. */
static long
take_some(struct fq *q, const char **out, size_t max, int wait_ms, size_t *got)
{
	struct timespec until;
	size_t k, i, n;
	char *p;
	int ended;

	for (k = 0; k < q->n_taken; k++)
		free(q->taken[k]);
	q->n_taken = 0;
	if (max > FQ_TAKE_MAX)
		max = FQ_TAKE_MAX;
	pthread_mutex_lock(&q->mu);
	if (wait_ms >= 0)
		net_deadline_ms(&until, wait_ms);
	while (q->count == 0 && q->spilled == 0 && !q->eof) {
		if (wait_ms < 0)
			pthread_cond_wait(&q->cv, &q->mu);
		else if (pthread_cond_timedwait(&q->cv, &q->mu, &until) ==
		    ETIMEDOUT)
			break;
	}
	while (q->n_taken < max && (q->count > 0 || q->spilled > 0)) {
		if (q->count > 0) {
			p = q->mem[q->head];
			q->head = (q->head + 1) % FQ_MEM_MAX;
			q->count--;
		} else if ((p = unspill(q)) == NULL) {
			snprintf(q->errmsg, sizeof(q->errmsg),
			    "cannot read the input queue back from its temporary file");
			q->spilled = 0;
			q->eof = 1;
			break;
		}
		q->taken[q->n_taken++] = p;
		out[q->n_taken - 1] = p;
	}
	/* room for a reader waiting for it (push) */
	if (q->n_taken > 0)
		pthread_cond_broadcast(&q->cv);
	/* skip directories (outside the lock: stat may take a while) */
	k = q->n_taken;
	ended = q->eof;
	pthread_mutex_unlock(&q->mu);
	for (i = n = 0; i < k; i++)
		if (!skipped(q, q->taken[i]))
			out[n++] = q->taken[i];
	*got = k;
	if (n > 0)
		return (long)n;
	return ended ? -1 : 0;
}

long
fq_take(void *arg, const char **out, size_t max, int wait_ms)
{
	struct fq *q = arg;
	size_t got;
	long n;

	do
		n = take_some(q, out, max, wait_ms, &got);
	while (n == 0 && got > 0); /* only directories: look again */
	return n;
}


/* Path's give-up line: resumed when --resume's log (or --remove-sent)
 * has it, in the sender's words, else notsent (detail). */
static void
give_up_one(struct storescu_result *r, const struct storescu_send_opts *o,
    const char *detail)
{
	int how =
	    o->already_stored != NULL ? o->already_stored(o->user, r->path) : 0;

	r->outcome = STORESCU_NOTSENT;
	r->detail = detail;
	if (how != 0)
		storescu_result_resumed(r, how, o->commit);
}

void
fq_give_up(struct fq *q, const char *why, const struct storescu_send_opts *o,
    struct storescu_summary *sum)
{
	const char *paths[FQ_TAKE_MAX];
	char detail[512];
	struct storescu_result r;
	long n, k;

	snprintf(detail, sizeof(detail), "not sent: the run gave up: %s", why);
	while ((n = fq_take(q, paths, FQ_TAKE_MAX, 0)) > 0)
		for (k = 0; k < n; k++) {
			memset(&r, 0, sizeof(r));
			r.path = paths[k];
			r.index = sum->inputs++;
			r.sop_class = r.sop_instance = r.ts_original = "";
			r.ts_sent = r.error_comment = r.transaction_uid = "";
			give_up_one(&r, o, detail);
			if (r.outcome == STORESCU_RESUMED)
				sum->skipped++, sum->resumed++;
			else
				sum->failed++;
			if (o->on_result != NULL)
				o->on_result(o->user, &r);
		}
}

const char *
fq_error(struct fq *q)
{
	return q->errmsg;
}

void
fq_release(struct fq *q)
{
	size_t k;

	for (k = 0; k < q->n_taken; k++)
		free(q->taken[k]);
	q->n_taken = 0;
	if (q->started && !q->eof) {
		/* still reading a stream we no longer want: leave the
		 * thread and its queue to the exit */
		pthread_detach(q->tid);
		return;
	}
	if (q->started)
		pthread_join(q->tid, NULL);
	while (q->count > 0) {
		free(q->mem[q->head]);
		q->head = (q->head + 1) % FQ_MEM_MAX;
		q->count--;
	}
	free(q->mem);
	if (q->spill_fd >= 0)
		close(q->spill_fd);
	pthread_mutex_destroy(&q->mu);
	pthread_cond_destroy(&q->cv);
}

int
fq_add_operands(struct fq *q, int nops, char **ops, int nul, int quiet)
{
	int k, ex;

	for (k = 0; k < nops; k++) {
		struct inputs in;
		char *one[1] = { ops[k] };
		size_t i;

		if (strcmp(ops[k], "-") == 0)
			continue;
		if ((ex = operands_collect(&in, 1, one, nul, quiet)) != 0)
			return ex;
		for (i = 0; i < inputs_count(&in); i++)
			if (fq_add_path(q, inputs_path(&in, i)) != 0) {
				inputs_release(&in);
				return EXIT_INTERNAL;
			}
		inputs_release(&in);
	}
	return 0;
}
