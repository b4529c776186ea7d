/*
 * gdcm_jail.c - one GDCM call in a child process (gdcm_jail.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "dcmfile/gdcm_jail.h"
#include "core/banned.h"

/* What the module may say in one call, and what a thread keeps of it. */
#define JAIL_MSG_MAX 8192
static _Thread_local char kept[JAIL_MSG_MAX];
static _Thread_local size_t kept_len;

/* Calls a worker serves before it is replaced (gdcm_jail.h). */
#define GDCM_WORKER_CALLS 256
/* Buffers a worker keeps between calls, at most. */
#define WORKER_KEEP ((size_t)16 << 20)

/* This thread's worker; pid 0: none. */
struct worker {
	pid_t pid;
	pid_t owner; /* the process that forked it (a fork of that process
			inherits this copy, not the worker) */
	int req;     /* write end of its requests */
	int ans;     /* read end of its answers */
	unsigned calls;
	unsigned gen; /* renew_gen when it was forked */
	int noted;    /* 1: in reg[] (more than REG_MAX workers: not all) */
};
static _Thread_local struct worker wk;
static pthread_key_t wk_key;
static pthread_once_t wk_once = PTHREAD_ONCE_INIT;
static unsigned renew_gen;

/*
 * Every worker of the process, so that exit reaps them (killed, as a
 * thread's end does): their CPU time then counts as this process's
 * children's (time(1), getrusage) and none is left for init to reap.
 */
#define REG_MAX 64
static pthread_mutex_t reg_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t reg_once = PTHREAD_ONCE_INIT;
static pid_t reg[REG_MAX];
static pid_t reg_owner;

/* A child being waited for. */
struct child {
	pid_t pid;
	int fd;     /* the answer pipe's read end */
	int reaped; /* 1: status holds how it ended */
	int status;
};

static int
write_full(int fd, const void *p, size_t n)
{
	const uint8_t *b = p;
	ssize_t w;

	while (n > 0) {
		w = write(fd, b, n > SSIZE_MAX ? SSIZE_MAX : n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		b += w;
		n -= (size_t)w;
	}
	return 0;
}

/* The child's side: the call, its answer, then _exit. */
static _Noreturn void
child_main(gdcm_jail_fn fn, void *ctx, size_t (*messages)(char *, size_t),
    pid_t parent, int wfd, int ackfd)
{
	struct gdcm_answer a;
	const void *data = NULL;
	char *msgs = malloc(JAIL_MSG_MAX);
	char b;
	int null;

	/* ends with the thread that waits for it (a parent killed) */
	(void)prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(2);
	/* what a library might print or flush (the parent's unwritten
	 * stdout buffer is a copy here) never reaches the parent's output */
	null = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (null >= 0)
		(void)dup2(null, STDOUT_FILENO);
	memset(&a, 0, sizeof(a));
	a.tc.fd = -1;
	fn(ctx, &a, &data);
	if (data == NULL)
		a.data_len = 0;
	a.msg_len = msgs != NULL ? (uint32_t)messages(msgs, JAIL_MSG_MAX) : 0;
	if (write_full(wfd, &a, sizeof(a)) != 0 ||
	    write_full(wfd, data, (size_t)a.data_len) != 0 ||
	    write_full(wfd, msgs, a.msg_len) != 0)
		_exit(1);
	/* the parent opens the result again through /proc, then says so */
	if (a.rc == 0 && a.tc.fd >= 0)
		while (read(ackfd, &b, 1) < 0 && errno == EINTR)
			;
	_exit(0);
}

/* Reaps ch without waiting; 1 when it has ended. */
static int
reap_nohang(struct child *ch)
{
	pid_t got;

	if (ch->reaped)
		return 1;
	got = waitpid(ch->pid, &ch->status, WNOHANG);
	if (got == ch->pid) {
		ch->reaped = 1;
		/* what it wrote before it ended is all there will be (other
		 * children may hold the write end open) */
		(void)fcntl(ch->fd, F_SETFL, O_NONBLOCK);
	}
	return ch->reaped;
}

/* Reads n bytes of the answer; -1 when the child ended first. */
static int
read_answer(struct child *ch, void *p, size_t n)
{
	struct pollfd pfd = { ch->fd, POLLIN, 0 };
	uint8_t *b = p;
	ssize_t r;
	int pr;

	while (n > 0) {
		if (!ch->reaped) {
			/* EOF alone is not enough: a child forked by another
			 * thread meanwhile holds a copy of the write end */
			pr = poll(&pfd, 1, 200);
			if (pr < 0 && errno != EINTR)
				return -1;
			if (pr <= 0) {
				(void)reap_nohang(ch);
				continue;
			}
		}
		r = read(ch->fd, b, n > SSIZE_MAX ? SSIZE_MAX : n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		b += r;
		n -= (size_t)r;
	}
	return 0;
}

static void
reap(struct child *ch)
{
	if (ch->reaped)
		return;
	while (waitpid(ch->pid, &ch->status, 0) < 0 && errno == EINTR)
		;
	ch->reaped = 1;
}

/* Why ch gave no whole answer. */
static int
died(struct child *ch, const char *who, struct cs_err *err)
{
	const char *sig;

	reap(ch);
	if (WIFSIGNALED(ch->status)) {
		sig = sigabbrev_np(WTERMSIG(ch->status));
		if (sig != NULL)
			return cs_err_set(err, CS_E_UNSUPPORTED,
			    "the %s crashed (SIG%s)", who, sig);
		return cs_err_set(err, CS_E_UNSUPPORTED,
		    "the %s crashed (signal %d)", who, WTERMSIG(ch->status));
	}
	return cs_err_set(err, CS_E_UNSUPPORTED,
	    "the %s ended without an answer (exit status %d)", who,
	    WIFEXITED(ch->status) ? WEXITSTATUS(ch->status) : -1);
}

/* Keeps the module's messages (len bytes on the pipe) for this thread. */
static int
take_messages(struct child *ch, uint32_t len)
{
	char tmp[JAIL_MSG_MAX];
	size_t room = sizeof(kept) - 1 - kept_len;

	if (len > sizeof(tmp) || read_answer(ch, tmp, len) != 0)
		return -1;
	if (len > room)
		len = (uint32_t)room;
	memcpy(kept + kept_len, tmp, len);
	kept_len += len;
	/* one message a line, even where one was cut */
	if (kept_len > 0 && kept[kept_len - 1] != '\n' &&
	    kept_len < sizeof(kept) - 1)
		kept[kept_len++] = '\n';
	kept[kept_len] = '\0';
	return 0;
}

/* The answer's bytes, into dst or *alloc; -1 when the child died. */
static int
take_data(struct child *ch, struct gdcm_answer *a, void *dst, size_t dst_len,
    uint8_t **alloc, struct cs_err *err)
{
	uint8_t *buf;

	if (a->data_len == 0)
		return 0;
	if (dst != NULL) {
		if (a->data_len != dst_len)
			return cs_err_set(err, CS_E_PROTO,
			    "GDCM gave %llu bytes for a frame of %zu",
			    (unsigned long long)a->data_len, dst_len);
		return read_answer(ch, dst, dst_len) != 0 ? -1 : 0;
	}
	if (alloc == NULL || a->data_len > SIZE_MAX)
		return cs_err_set(err, CS_E_PROTO, "GDCM gave unasked bytes");
	buf = malloc((size_t)a->data_len);
	if (buf == NULL)
		return cs_err_set(err, CS_E_NOMEM, "out of memory");
	if (read_answer(ch, buf, (size_t)a->data_len) != 0) {
		free(buf);
		return -1;
	}
	*alloc = buf;
	return 0;
}

/* The child's result file, opened again here; rc. */
static int
take_file(struct child *ch, struct gdcm_answer *a, int ackw, struct cs_err *err)
{
	char path[64];
	ssize_t w;
	int fd;

	snprintf(
	    path, sizeof(path), "/proc/%ld/fd/%d", (long)ch->pid, a->tc.fd);
	fd = open(path, O_RDWR | O_CLOEXEC);
	/* the child waits for this byte (it answered: it is there) */
	w = write(ackw, "", 1);
	(void)w;
	a->tc.fd = fd;
	if (fd < 0)
		return cs_err_set(err, CS_E_IO,
		    "cannot take the converted file from the GDCM process: "
		    "%s",
		    strerror(errno));
	return 0;
}

/* Reads the whole answer of ch; a->rc, or an error of the jail. */
static int
take_answer(struct child *ch, const char *who, struct gdcm_answer *a, void *dst,
    size_t dst_len, uint8_t **alloc, int ackw, struct cs_err *err)
{
	int rc;

	if (read_answer(ch, a, sizeof(*a)) != 0)
		return died(ch, who, err);
	a->err.msg[sizeof(a->err.msg) - 1] = '\0';
	if (a->rc != 0)
		a->data_len = 0;
	rc = take_data(ch, a, dst, dst_len, alloc, err);
	if (rc == -1)
		return died(ch, who, err);
	if (rc != 0)
		return rc;
	if (take_messages(ch, a->msg_len) != 0) {
		if (alloc != NULL) {
			free(*alloc);
			*alloc = NULL;
		}
		return died(ch, who, err);
	}
	if (a->rc == 0 && a->tc.fd >= 0)
		rc = take_file(ch, a, ackw, err);
	else
		a->tc.fd = -1;
	if (a->rc != 0)
		return cs_err_set(err, a->rc, "%s", a->err.msg);
	return rc;
}

int
gdcm_jail_run(const char *who, gdcm_jail_fn fn, void *ctx,
    size_t (*messages)(char *, size_t), void *dst, size_t dst_len,
    uint8_t **alloc, struct gdcm_answer *a, struct cs_err *err)
{
	struct child ch = { -1, -1, 0, 0 };
	int ans[2], ack[2] = { -1, -1 }, rc, e;
	pid_t parent = getpid();

	memset(a, 0, sizeof(*a));
	a->tc.fd = -1;
	if (alloc != NULL)
		*alloc = NULL;
	if (pipe2(ans, O_CLOEXEC) != 0)
		return cs_err_set(err,
		    errno == EMFILE || errno == ENFILE ? CS_E_IO : CS_E_NOMEM,
		    "cannot start the GDCM process: %s", strerror(errno));
	if (pipe2(ack, O_CLOEXEC) != 0) {
		e = errno;
		close(ans[0]);
		close(ans[1]);
		return cs_err_set(err, CS_E_IO,
		    "cannot start the GDCM process: %s", strerror(e));
	}
	ch.pid = fork();
	if (ch.pid == 0) {
		close(ans[0]);
		close(ack[1]);
		child_main(fn, ctx, messages, parent, ans[1], ack[0]);
	}
	e = errno;
	close(ans[1]);
	close(ack[0]);
	if (ch.pid < 0) {
		close(ans[0]);
		close(ack[1]);
		return cs_err_set(err, CS_E_NOMEM,
		    "cannot start the GDCM process: %s", strerror(e));
	}
	ch.fd = ans[0];
	rc = take_answer(&ch, who, a, dst, dst_len, alloc, ack[1], err);
	close(ack[1]);
	close(ans[0]);
	reap(&ch);
	return rc;
}

/* ---- the per-thread worker (gdcm_jail_call) --------------------------- */

static int
read_full(int fd, void *p, size_t n)
{
	uint8_t *b = p;
	ssize_t r;

	while (n > 0) {
		r = read(fd, b, n > SSIZE_MAX ? SSIZE_MAX : n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		b += r;
		n -= (size_t)r;
	}
	return 0;
}

/* buf (*cap bytes) made at least n bytes; -1 when out of memory. */
static int
worker_room(uint8_t **buf, size_t *cap, uint64_t n)
{
	if (n > SIZE_MAX - 1)
		return -1;
	if (*cap >= n && *buf != NULL)
		return 0;
	free(*buf);
	*cap = 0;
	*buf = malloc(n > 0 ? (size_t)n : 1);
	if (*buf == NULL)
		return -1;
	*cap = (size_t)n;
	return 0;
}

/* Closes every descriptor from 3 up but a and b (a < b; either may be
 * below 3 when the program runs with 0, 1 or 2 closed). */
static void
close_others(int a, int b)
{
	unsigned lo = 3;
	int keep[2] = { a, b }, i;

	for (i = 0; i < 2; i++) {
		if (keep[i] < (int)lo)
			continue;
		if ((unsigned)keep[i] > lo)
			(void)close_range(lo, (unsigned)keep[i] - 1, 0);
		lo = (unsigned)keep[i] + 1;
	}
	(void)close_range(lo, ~0U, 0);
}

/* The worker: one request after the other until its pipe closes. */
static _Noreturn void
worker_main(
    gdcm_jail_serve serve, size_t (*messages)(char *, size_t), int rfd, int wfd)
{
	struct gdcm_request q;
	struct gdcm_answer a;
	const void *data;
	uint8_t *in = NULL, *out = NULL;
	size_t in_cap = 0, out_cap = 0;
	char *msgs = malloc(JAIL_MSG_MAX);

	close_others(rfd < wfd ? rfd : wfd, rfd < wfd ? wfd : rfd);
	for (;;) {
		if (read_full(rfd, &q, sizeof(q)) != 0)
			_exit(0);
		q.ts_uid[sizeof(q.ts_uid) - 1] = '\0';
		if (worker_room(&in, &in_cap, q.in_len) != 0 ||
		    read_full(rfd, in, (size_t)q.in_len) != 0 ||
		    worker_room(&out, &out_cap, q.out_len) != 0)
			_exit(1);
		memset(&a, 0, sizeof(a));
		a.tc.fd = -1;
		data = NULL;
		serve(&q, in, out, &a, &data);
		if (data == NULL)
			a.data_len = 0;
		a.msg_len =
		    msgs != NULL ? (uint32_t)messages(msgs, JAIL_MSG_MAX) : 0;
		if (write_full(wfd, &a, sizeof(a)) != 0 ||
		    write_full(wfd, data, (size_t)a.data_len) != 0 ||
		    write_full(wfd, msgs, a.msg_len) != 0)
			_exit(1);
		if (data != NULL && data != out)
			free((void *)(uintptr_t)data);
		/* a huge frame's buffers are not kept for the next one */
		if (in_cap > WORKER_KEEP || out_cap > WORKER_KEEP) {
			free(in);
			free(out);
			in = out = NULL;
			in_cap = out_cap = 0;
		}
	}
}

/* At exit: the workers still running are ended and reaped. */
static void
reg_reap_all(void)
{
	size_t i;

	pthread_mutex_lock(&reg_lock);
	/* a fork of this process inherits the list, not the workers */
	for (i = 0; i < REG_MAX && reg_owner == getpid(); i++)
		if (reg[i] > 0) {
			(void)kill(reg[i], SIGKILL);
			while (waitpid(reg[i], NULL, 0) < 0 && errno == EINTR)
				;
			reg[i] = 0;
		}
	pthread_mutex_unlock(&reg_lock);
}

static void
reg_init(void)
{
	reg_owner = getpid();
	(void)atexit(reg_reap_all);
}

/* Notes worker pid (on) or forgets it; 1 when it was noted. */
static int
reg_note(pid_t pid, int on)
{
	size_t i;
	int found = 0;

	(void)pthread_once(&reg_once, reg_init);
	pthread_mutex_lock(&reg_lock);
	if (reg_owner == getpid())
		for (i = 0; i < REG_MAX && !found; i++)
			if (reg[i] == (on ? 0 : pid)) {
				reg[i] = on ? pid : 0;
				found = 1;
			}
	pthread_mutex_unlock(&reg_lock);
	return found;
}

/* Ends this thread's worker (killed: it may be busy) and reaps it. */
static void
worker_stop(struct worker *w)
{
	if (w->pid <= 0)
		return;
	close(w->req);
	close(w->ans);
	/* noted but no longer there: reaped at exit already */
	if (w->owner == getpid() && (!w->noted || reg_note(w->pid, 0))) {
		(void)kill(w->pid, SIGKILL);
		while (waitpid(w->pid, NULL, 0) < 0 && errno == EINTR)
			;
	}
	w->pid = 0;
}

/* The thread's destructor: its worker ends with it. */
static void
worker_at_exit(void *p)
{
	worker_stop(p);
}

static void
worker_key(void)
{
	(void)pthread_key_create(&wk_key, worker_at_exit);
}

/* Forks this thread's worker. */
static int
worker_start(gdcm_jail_serve serve, size_t (*messages)(char *, size_t),
    struct cs_err *err)
{
	int req[2], ans[2], e;
	pid_t parent = getpid();

	if (pipe2(req, O_CLOEXEC) != 0)
		return cs_err_set(err, CS_E_IO,
		    "cannot start the GDCM process: %s", strerror(errno));
	if (pipe2(ans, O_CLOEXEC) != 0) {
		e = errno;
		close(req[0]);
		close(req[1]);
		return cs_err_set(err, CS_E_IO,
		    "cannot start the GDCM process: %s", strerror(e));
	}
	wk.pid = fork();
	if (wk.pid == 0) {
		close(req[1]);
		close(ans[0]);
		/* ends with the thread that forked it, or the process */
		(void)prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(2);
		e = open("/dev/null", O_WRONLY | O_CLOEXEC);
		if (e >= 0)
			(void)dup2(e, STDOUT_FILENO);
		worker_main(serve, messages, req[0], ans[1]);
	}
	e = errno;
	close(req[0]);
	close(ans[1]);
	if (wk.pid < 0) {
		wk.pid = 0;
		close(req[1]);
		close(ans[0]);
		return cs_err_set(err, CS_E_NOMEM,
		    "cannot start the GDCM process: %s", strerror(e));
	}
	wk.noted = reg_note(wk.pid, 1);
	wk.owner = parent;
	wk.req = req[1];
	wk.ans = ans[0];
	wk.calls = 0;
	wk.gen = __atomic_load_n(&renew_gen, __ATOMIC_ACQUIRE);
	(void)pthread_once(&wk_once, worker_key);
	(void)pthread_setspecific(wk_key, &wk);
	return 0;
}

/* Writes the request; -1 when the worker is gone (no SIGPIPE raised). */
static int
send_request(const struct gdcm_request *q, const void *in)
{
	struct iovec iov[2] = { { (void *)(uintptr_t)q, sizeof(*q) },
		{ (void *)(uintptr_t)in, (size_t)q->in_len } };
	sigset_t pipe_set, old;
	struct timespec zero = { 0, 0 };
	int i = 0, rc = 0;
	ssize_t w;

	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
	while (i < 2 && rc == 0) {
		w = writev(wk.req, iov + i, 2 - i);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			/* a SIGPIPE of this write is taken back */
			if (errno == EPIPE && !sigismember(&old, SIGPIPE))
				(void)sigtimedwait(&pipe_set, NULL, &zero);
			rc = -1;
			break;
		}
		for (; i < 2 && (size_t)w >= iov[i].iov_len; i++)
			w -= (ssize_t)iov[i].iov_len;
		if (i < 2) {
			iov[i].iov_base = (uint8_t *)iov[i].iov_base + w;
			iov[i].iov_len -= (size_t)w;
		}
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return rc;
}

int
gdcm_jail_call(const char *who, gdcm_jail_serve serve,
    size_t (*messages)(char *, size_t), const struct gdcm_request *q,
    const void *in, void *dst, uint8_t **alloc, struct gdcm_answer *a,
    struct cs_err *err)
{
	struct child ch;
	int rc;

	memset(a, 0, sizeof(*a));
	a->tc.fd = -1;
	if (alloc != NULL)
		*alloc = NULL;
	if (wk.pid > 0 && wk.owner != getpid())
		worker_stop(&wk); /* a forked copy of this thread's */
	if (wk.pid > 0 &&
	    (wk.calls >= GDCM_WORKER_CALLS ||
		wk.gen != __atomic_load_n(&renew_gen, __ATOMIC_ACQUIRE)))
		worker_stop(&wk);
	if (wk.pid == 0 && (rc = worker_start(serve, messages, err)) != 0)
		return rc;
	ch.pid = wk.pid;
	ch.fd = wk.ans;
	ch.reaped = 0;
	ch.status = 0;
	if (send_request(q, in) != 0)
		rc = died(&ch, who, err);
	else
		rc = take_answer(
		    &ch, who, a, dst, (size_t)q->out_len, alloc, -1, err);
	wk.calls++;
	/* crashed (reaped), failed (GDCM may leak on a failure) or lost
	 * track of its pipe: a new worker for the next call */
	if (ch.reaped || rc != 0) {
		if (ch.reaped) {
			if (wk.noted)
				(void)reg_note(wk.pid, 0);
			close(wk.req);
			close(wk.ans);
			wk.pid = 0;
		} else
			worker_stop(&wk);
	}
	return rc;
}

void
gdcm_jail_renew(void)
{
	__atomic_add_fetch(&renew_gen, 1, __ATOMIC_ACQ_REL);
}

size_t
gdcm_jail_messages(char *buf, size_t cap)
{
	size_t n = kept_len;

	if (buf == NULL || cap == 0)
		return 0;
	if (n >= cap)
		n = cap - 1;
	memcpy(buf, kept, n);
	buf[n] = '\0';
	kept_len = 0;
	return n;
}
