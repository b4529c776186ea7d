/*
 * splice_writer.c - see splice_writer.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "storescp/splice_writer.h"
#include "core/alloc.h"
#include "core/banned.h"

/* what the thread needs: a loop, the copy buffer on the heap */
#define WRITER_STACK (64 * 1024)
#define COPY_BUF (64 * 1024)

struct splice_writer {
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t job, idle;
	int pipe, file;   /* of the bytes handed over: pipe a duplicate */
	int pipe_src;     /* the caller's descriptor of that pipe */
	size_t queued;    /* handed over, not yet taken from the pipe */
	uint64_t written; /* into the file, since the last wait */
	int err, einval, lost, quit;
	/* wake-ups only for who sleeps: the thread for a job, a caller
	 * for the backlog at or below wake_at */
	int sleeping, waiters;
	size_t wake_at;
	uint8_t *buf; /* read/write copy: no splice, or dropping */
};

/* n bytes read from the pipe; into the file unless drop.  Returns the
 * bytes taken from the pipe (> 0), or -errno (0 taken). */
static ssize_t
copy(struct splice_writer *w, int pipe, int file, size_t n, int drop, int *err)
{
	ssize_t r, k;
	size_t done = 0;

	do
		r = read(pipe, w->buf, n < COPY_BUF ? n : COPY_BUF);
	while (r < 0 && errno == EINTR);
	if (r <= 0)
		return r < 0 ? -errno : -EIO;
	while (!drop && *err == 0 && done < (size_t)r) {
		k = write(file, w->buf + done, (size_t)r - done);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			*err = k < 0 ? errno : EIO;
		else
			done += (size_t)k;
	}
	return r;
}

/* Takes up to n bytes of the pipe: *moved of them written. */
static size_t
take(struct splice_writer *w, int pipe, int file, size_t n, int *err,
    int *einval, size_t *moved)
{
	ssize_t k;

	*moved = 0;
	if (*err == 0 && !*einval) {
		k = splice(pipe, NULL, file, NULL, n, SPLICE_F_MOVE);
		if (k > 0)
			return *moved = (size_t)k;
		if (k < 0 && errno == EINTR)
			return 0;
		if (k < 0 && errno == EINVAL)
			*einval = 1;
		else
			*err =
			    k < 0 ? errno : EIO; /* 0: no progress possible */
	}
	k = copy(w, pipe, file, n, *err != 0, err);
	if (k < 0) {
		/* the pipe holds less than handed over: out of step with
		 * the stream (splice_writer_wait says so); never wait for
		 * these bytes again */
		w->lost = 1;
		*err = *err != 0 ? *err : (int)-k;
		return n;
	}
	if (*err == 0)
		*moved = (size_t)k;
	return (size_t)k;
}

static void *
run(void *arg)
{
	struct splice_writer *w = arg;

	/* seen in top -H, ps -L and /proc/PID/task/TID/comm */
	pthread_setname_np(pthread_self(), "splice-writer");
	pthread_mutex_lock(&w->mu);
	for (;;) {
		int pipe, file, err, einval;
		size_t n, got, moved;

		while (w->queued == 0 && !w->quit) {
			w->sleeping = 1;
			pthread_cond_wait(&w->job, &w->mu);
			w->sleeping = 0;
		}
		if (w->queued == 0)
			break;
		pipe = w->pipe;
		file = w->file;
		n = w->queued;
		err = w->err;
		einval = w->einval;
		pthread_mutex_unlock(&w->mu);
		got = take(w, pipe, file, n, &err, &einval, &moved);
		pthread_mutex_lock(&w->mu);
		w->queued -= got;
		w->written += moved;
		w->err = err;
		w->einval = einval;
		if (w->waiters > 0 && w->queued <= w->wake_at)
			pthread_cond_broadcast(&w->idle);
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

/* With w->mu held: sleeps until the backlog is at most to. */
static void
wait_backlog(struct splice_writer *w, size_t to)
{
	while (w->queued > to) {
		w->waiters++;
		w->wake_at = to;
		pthread_cond_wait(&w->idle, &w->mu);
		w->waiters--;
	}
}

struct splice_writer *
splice_writer_new(void)
{
	struct splice_writer *w = cs_calloc(1, sizeof(*w));
	pthread_attr_t attr;
	sigset_t all, old;
	int rc;

	if (w == NULL)
		return NULL;
	w->pipe = w->pipe_src = -1;
	if ((w->buf = cs_malloc(COPY_BUF)) == NULL) {
		cs_free(w);
		return NULL;
	}
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->job, NULL);
	pthread_cond_init(&w->idle, NULL);
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, WRITER_STACK);
	/* signals stay with the I/O loop's thread */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&w->thread, &attr, run, w);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_attr_destroy(&attr);
	if (rc != 0) {
		pthread_cond_destroy(&w->idle);
		pthread_cond_destroy(&w->job);
		pthread_mutex_destroy(&w->mu);
		cs_free(w->buf);
		cs_free(w);
		return NULL;
	}
	return w;
}

void
splice_writer_free(struct splice_writer *w)
{
	if (w == NULL)
		return;
	pthread_mutex_lock(&w->mu);
	w->quit = 1;
	pthread_cond_signal(&w->job);
	pthread_mutex_unlock(&w->mu);
	pthread_join(w->thread, NULL);
	pthread_cond_destroy(&w->idle);
	pthread_cond_destroy(&w->job);
	pthread_mutex_destroy(&w->mu);
	if (w->pipe >= 0)
		close(w->pipe);
	cs_free(w->buf);
	cs_free(w);
}

int
splice_writer_post(struct splice_writer *w, int pipe, int file, size_t len)
{
	pthread_mutex_lock(&w->mu);
	/* one pipe and one file at a time */
	if (w->pipe_src != pipe || w->file != file)
		wait_backlog(w, 0);
	if (w->pipe_src != pipe) {
		/* its own descriptor: the caller's may close first */
		int d = fcntl(pipe, F_DUPFD_CLOEXEC, 0);

		if (d < 0) {
			pthread_mutex_unlock(&w->mu);
			return -1;
		}
		if (w->pipe >= 0)
			close(w->pipe);
		w->pipe = d;
		w->pipe_src = pipe;
	}
	w->file = file;
	w->queued += len;
	if (w->sleeping)
		pthread_cond_signal(&w->job);
	pthread_mutex_unlock(&w->mu);
	return 0;
}

void
splice_writer_drain_to(struct splice_writer *w, size_t max, size_t low)
{
	pthread_mutex_lock(&w->mu);
	if (w->queued > max)
		wait_backlog(w, low);
	pthread_mutex_unlock(&w->mu);
}

int
splice_writer_wait(struct splice_writer *w, uint64_t *written, int *einval)
{
	int err;

	pthread_mutex_lock(&w->mu);
	wait_backlog(w, 0);
	*written = w->written;
	*einval = w->einval;
	err = w->lost ? -1 : w->err;
	w->written = 0;
	w->err = 0;
	pthread_mutex_unlock(&w->mu);
	return err;
}
