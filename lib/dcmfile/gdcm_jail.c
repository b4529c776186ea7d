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
#include <sched.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
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

/* A worker of the pool; pid 0: none. */
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
static unsigned renew_gen;

/*
 * The workers, shared by the converting threads: at most one per usable
 * core (POOL_MAX at most), each serving one thread's call at a time, so
 * that -j 30 holds a few descriptors for them, not 30 pairs of pipes
 * (a socket pair each would do with one, but only lib/net has sockets).
 */
#define POOL_MAX 16
static struct {
	pthread_mutex_t lock;
	pthread_cond_t idle; /* a worker was given back */
	pid_t owner;         /* the process the slots are of */
	unsigned size;
	struct worker w[POOL_MAX];
	unsigned char busy[POOL_MAX];
} pool = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0,
	{ { 0, 0, -1, -1, 0, 0, 0 } }, { 0 } };

/* 1 once this process said it converts without a worker. */
static int said_here;

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
	int64_t deadline; /* CLOCK_MONOTONIC ms: the whole answer by then */
	unsigned limit_s; /* the limit it was given, for the message */
	int timed_out;    /* 1: killed at its deadline */
};

/* The least a call is given, in seconds (gdcm_jail_limit_floor). */
static unsigned limit_floor = GDCM_JAIL_FLOOR_S;

/* A crash of a child dumps no core the size of the parent. */
static void
no_core(void)
{
	struct rlimit none = { 0, 0 };

	(void)setrlimit(RLIMIT_CORE, &none);
}

/* Closes every descriptor from 3 up but a, b and c (-1: none; any may
 * be below 3 when the program runs with 0, 1 or 2 closed). */
static void
close_others(int a, int b, int c)
{
	unsigned lo = 3;
	int keep[3] = { a, b, c }, i, j, t;

	for (i = 1; i < 3; i++)
		for (j = i; j > 0 && keep[j - 1] > keep[j]; j--) {
			t = keep[j];
			keep[j] = keep[j - 1];
			keep[j - 1] = t;
		}
	for (i = 0; i < 3; i++) {
		if (keep[i] < (int)lo)
			continue;
		if ((unsigned)keep[i] > lo)
			(void)close_range(lo, (unsigned)keep[i] - 1, 0);
		lo = (unsigned)keep[i] + 1;
	}
	(void)close_range(lo, ~0U, 0);
}

/* 1: errno says the process is short of descriptors, processes or memory
 * (converting here, as before there was a jail, does better than failing) */
static int
short_of_room(int e)
{
	return e == EMFILE || e == ENFILE || e == EAGAIN || e == ENOMEM;
}

static int await_fd(struct child *ch, int fd, short events);

/* write(2) of n bytes that raises no SIGPIPE on this thread (a library's
 * caller may not ignore it); -1 when the reader is gone.  ch (fd a
 * non-blocking pipe to child ch, or NULL): a full pipe is waited on as
 * await_fd does, so that a child that stopped reading fails the write
 * at its deadline. */
static int
write_nosig(int fd, const struct iovec *v, int n, struct child *ch)
{
	struct iovec iov[2];
	sigset_t pipe_set, old;
	struct timespec zero = { 0, 0 };
	int i = 0, rc = 0;
	ssize_t w;

	memcpy(iov, v, sizeof(*v) * (size_t)n);
	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
	while (i < n && rc == 0) {
		w = writev(fd, iov + i, n - i);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno == EAGAIN && ch != NULL && !ch->reaped) {
			if (await_fd(ch, fd, POLLOUT) != 0) {
				rc = -1;
				break;
			}
			continue;
		}
		if (w <= 0) {
			/* a SIGPIPE of this write is taken back */
			if (errno == EPIPE && !sigismember(&old, SIGPIPE))
				(void)sigtimedwait(&pipe_set, NULL, &zero);
			rc = -1;
			break;
		}
		for (; i < n && (size_t)w >= iov[i].iov_len; i++)
			w -= (ssize_t)iov[i].iov_len;
		if (i < n) {
			iov[i].iov_base = (uint8_t *)iov[i].iov_base + w;
			iov[i].iov_len -= (size_t)w;
		}
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return rc;
}

/* All n bytes of p written to fd (writing) or read from it: 0, or -1
 * on an error or an end of file first.  ch (reading a child's answer
 * from ch->fd, or NULL): each read waits as await_fd does. */
static int
io_full(int fd, void *p, size_t n, int writing, struct child *ch)
{
	uint8_t *b = p;
	ssize_t k;

	while (n > 0) {
		if (ch != NULL && await_fd(ch, fd, POLLIN) != 0)
			return -1;
		k = writing ? write(fd, b, n > SSIZE_MAX ? SSIZE_MAX : n)
			    : read(fd, b, n > SSIZE_MAX ? SSIZE_MAX : n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return -1;
		b += k;
		n -= (size_t)k;
	}
	return 0;
}

static int
write_full(int fd, const void *p, size_t n)
{
	/* io_full writes from p and never through it */
	return io_full(fd, (void *)(uintptr_t)p, n, 1, NULL);
}

/* The child's side: the call, its answer, then _exit. */
static _Noreturn void
child_main(gdcm_jail_fn fn, void *ctx, size_t (*messages)(char *, size_t),
    pid_t parent, int wfd, int ackfd, int keep_fd)
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
	no_core();
	/* other lanes' sockets, listening sockets, workers' ends: not its
	 * (keep_fd, the file fn reads through /proc/self/fd, is) */
	close_others(wfd, ackfd, keep_fd);
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

static void
reap(struct child *ch)
{
	if (ch->reaped)
		return;
	while (waitpid(ch->pid, &ch->status, 0) < 0 && errno == EINTR)
		;
	ch->reaped = 1;
}

static int64_t
now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* ch's limit for a call on bytes bytes of pixels (gdcm_jail.h), from now. */
static void
set_deadline(struct child *ch, uint64_t bytes)
{
	uint64_t floor_s = __atomic_load_n(&limit_floor, __ATOMIC_RELAXED);
	/* ceil(bytes x s/MiB), the bytes at most 1 TiB (a frame is 4 GiB) */
	uint64_t s =
	    ((bytes < (1ULL << 40) ? bytes : 1ULL << 40) * GDCM_JAIL_S_PER_MIB +
		(1u << 20) - 1) >>
	    20;

	ch->limit_s = (unsigned)(s > floor_s ? s : floor_s);
	ch->deadline = now_ms() + (int64_t)ch->limit_s * 1000;
	ch->timed_out = 0;
}

/* Waits until fd, a pipe to or from child ch, can be read or written
 * (events) or ch has ended: 0; -1 on an error, or at ch's deadline (ch
 * killed and reaped then, ch->timed_out). */
static int
await_fd(struct child *ch, int fd, short events)
{
	struct pollfd pfd = { fd, events, 0 };
	int64_t left;
	int pr;

	while (!ch->reaped) {
		left = ch->deadline - now_ms();
		/* at the deadline, what is already in the pipe still counts:
		 * a call that finished just in time is not killed */
		if (left <= 0 && poll(&pfd, 1, 0) > 0)
			return 0;
		if (left <= 0) {
			/* a codec in an endless loop or a deadlock */
			(void)kill(ch->pid, SIGKILL);
			reap(ch);
			ch->timed_out = 1;
			return -1;
		}
		/* EOF alone is not enough: a child forked by another thread
		 * meanwhile holds a copy of the write end */
		pr = poll(&pfd, 1, left < 200 ? (int)left : 200);
		if (pr > 0)
			return 0;
		if (pr < 0 && errno != EINTR)
			return -1;
		if (pr == 0)
			(void)reap_nohang(ch);
	}
	return 0;
}

/* Reads n bytes of the answer; -1 when the child ended first or did not
 * answer in time. */
static int
read_answer(struct child *ch, void *p, size_t n)
{
	return io_full(ch->fd, p, n, 0, ch);
}

/* Reaps ch, which gave no whole answer; one still running at its
 * deadline (it closed its pipe and went on, or hung) is killed. */
static void
reap_by_deadline(struct child *ch)
{
	while (!reap_nohang(ch)) {
		if (now_ms() >= ch->deadline) {
			(void)kill(ch->pid, SIGKILL);
			reap(ch);
			ch->timed_out = 1;
			return;
		}
		(void)poll(NULL, 0, 20);
	}
}

/* Why ch gave no whole answer. */
static int
died(struct child *ch, const char *who, struct cs_err *err)
{
	const char *sig;

	reap_by_deadline(ch);
	if (ch->timed_out)
		return cs_err_set(err, CS_E_UNSUPPORTED,
		    "the %s did not finish within %u s", who, ch->limit_s);
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

/* Keeps len bytes of messages for this thread. */
static void
keep_text(const char *tmp, size_t len)
{
	size_t room = sizeof(kept) - 1 - kept_len;

	if (len > room)
		len = room;
	memcpy(kept + kept_len, tmp, len);
	kept_len += len;
	/* one message a line, even where one was cut */
	if (kept_len > 0 && kept[kept_len - 1] != '\n' &&
	    kept_len < sizeof(kept) - 1)
		kept[kept_len++] = '\n';
	kept[kept_len] = '\0';
}

/* Keeps the module's messages (len bytes on the pipe) for this thread. */
static int
take_messages(struct child *ch, uint32_t len)
{
	char tmp[JAIL_MSG_MAX];

	if (len > sizeof(tmp) || read_answer(ch, tmp, len) != 0)
		return -1;
	keep_text(tmp, len);
	return 0;
}

/* Once a process: a note that GDCM runs here, not in a worker (e). */
static void
note_here(int e)
{
	char line[160];
	int n;

	if (__atomic_exchange_n(&said_here, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	n = snprintf(line, sizeof(line),
	    "converting in this process, not contained (cannot start the "
	    "GDCM process: %s)",
	    strerror(e));
	if (n > 0)
		keep_text(line,
		    (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1);
}

/* The module's messages of a call made here, kept as a child's are. */
static void
keep_here(size_t (*messages)(char *, size_t))
{
	char tmp[JAIL_MSG_MAX];
	size_t n = messages(tmp, sizeof(tmp));

	keep_text(tmp, n < sizeof(tmp) ? n : sizeof(tmp) - 1);
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
	struct iovec one = { (void *)(uintptr_t) "", 1 };
	int fd;

	snprintf(
	    path, sizeof(path), "/proc/%ld/fd/%d", (long)ch->pid, a->tc.fd);
	fd = open(path, O_RDWR | O_CLOEXEC);
	/* the child waits for this byte (it answered: it is there) */
	(void)write_nosig(ackw, &one, 1, NULL);
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
	int rc, child_fd;

	if (read_answer(ch, a, sizeof(*a)) != 0) {
		a->tc.fd = -1;
		return died(ch, who, err);
	}
	/* a descriptor number of the child's, never to be closed here:
	 * a->tc.fd names one of ours only once take_file opened it */
	child_fd = a->tc.fd;
	a->tc.fd = -1;
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
	if (a->rc == 0 && child_fd >= 0) {
		a->tc.fd = child_fd;
		rc = take_file(ch, a, ackw, err);
	}
	if (a->rc != 0)
		return cs_err_set(err, a->rc, "%s", a->err.msg);
	return rc;
}

/* gdcm_jail_run's call made in this process: no child could be started
 * (e), and failing the file would do worse than before the jail. */
static int
run_here(int e, gdcm_jail_fn fn, void *ctx, size_t (*messages)(char *, size_t),
    void *dst, size_t dst_len, uint8_t **alloc, struct gdcm_answer *a,
    struct cs_err *err)
{
	const void *data = NULL;

	note_here(e);
	fn(ctx, a, &data);
	keep_here(messages);
	a->err.msg[sizeof(a->err.msg) - 1] = '\0';
	if (a->rc != 0) {
		if (a->tc.fd >= 0)
			close(a->tc.fd);
		a->tc.fd = -1;
		return cs_err_set(err, a->rc, "%s", a->err.msg);
	}
	if (data == NULL || a->data_len == 0)
		return 0;
	if (dst != NULL) {
		if (a->data_len != dst_len)
			return cs_err_set(err, CS_E_PROTO,
			    "GDCM gave %llu bytes for a frame of %zu",
			    (unsigned long long)a->data_len, dst_len);
		memcpy(dst, data, dst_len);
		return 0;
	}
	if (alloc == NULL || a->data_len > SIZE_MAX)
		return cs_err_set(err, CS_E_PROTO, "GDCM gave unasked bytes");
	*alloc = malloc((size_t)a->data_len);
	if (*alloc == NULL)
		return cs_err_set(err, CS_E_NOMEM, "out of memory");
	memcpy(*alloc, data, (size_t)a->data_len);
	return 0;
}

int
gdcm_jail_run(const char *who, gdcm_jail_fn fn, void *ctx, int keep_fd,
    uint64_t size, size_t (*messages)(char *, size_t), void *dst,
    size_t dst_len, uint8_t **alloc, struct gdcm_answer *a, struct cs_err *err)
{
	struct child ch = { -1, -1, 0, 0, 0, 0, 0 };
	int ans[2], ack[2] = { -1, -1 }, rc, e;
	pid_t parent = getpid();

	memset(a, 0, sizeof(*a));
	a->tc.fd = -1;
	if (alloc != NULL)
		*alloc = NULL;
	if (pipe2(ans, O_CLOEXEC) != 0) {
		e = errno;
		if (short_of_room(e))
			return run_here(
			    e, fn, ctx, messages, dst, dst_len, alloc, a, err);
		return cs_err_set(err, CS_E_IO,
		    "cannot start the GDCM process: %s", strerror(e));
	}
	if (pipe2(ack, O_CLOEXEC) != 0) {
		e = errno;
		close(ans[0]);
		close(ans[1]);
		if (short_of_room(e))
			return run_here(
			    e, fn, ctx, messages, dst, dst_len, alloc, a, err);
		return cs_err_set(err, CS_E_IO,
		    "cannot start the GDCM process: %s", strerror(e));
	}
	ch.pid = fork();
	if (ch.pid == 0) {
		close(ans[0]);
		close(ack[1]);
		child_main(fn, ctx, messages, parent, ans[1], ack[0], keep_fd);
	}
	e = errno;
	close(ans[1]);
	close(ack[0]);
	if (ch.pid < 0) {
		close(ans[0]);
		close(ack[1]);
		if (short_of_room(e))
			return run_here(
			    e, fn, ctx, messages, dst, dst_len, alloc, a, err);
		return cs_err_set(err, CS_E_NOMEM,
		    "cannot start the GDCM process: %s", strerror(e));
	}
	ch.fd = ans[0];
	set_deadline(&ch, size);
	rc = take_answer(&ch, who, a, dst, dst_len, alloc, ack[1], err);
	close(ack[1]);
	close(ans[0]);
	reap(&ch);
	return rc;
}

/* ---- the pool of workers (gdcm_jail_call) ----------------------------- */

static int
read_full(int fd, void *p, size_t n)
{
	return io_full(fd, p, n, 0, NULL);
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

	close_others(rfd, wfd, -1);
	for (;;) {
		if (read_full(rfd, &q, sizeof(q)) != 0)
			_exit(0);
		q.ts_uid[sizeof(q.ts_uid) - 1] = '\0';
		if (worker_room(&in, &in_cap, q.in_len) != 0 ||
		    read_full(rfd, in, (size_t)q.in_len) != 0 ||
		    worker_room(&out, &out_cap, q.out_len) != 0)
			_exit(1);
		/* the request is taken: what ends this process now, it did */
		if (write_full(wfd, "t", 1) != 0)
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

/* Ends worker w (killed: it may be busy) and reaps it. */
static void
worker_stop(struct worker *w)
{
	if (w->pid <= 0)
		return;
	close(w->req);
	close(w->ans);
	w->req = w->ans = -1;
	/* noted but no longer there: reaped at exit already */
	if (w->owner == getpid() && (!w->noted || reg_note(w->pid, 0))) {
		(void)kill(w->pid, SIGKILL);
		while (waitpid(w->pid, NULL, 0) < 0 && errno == EINTR)
			;
	}
	w->pid = 0;
}

/* The process's name (comm) before the spawner thread took its own,
 * given back to each worker the spawner forks. */
static char spawner_comm[17];

/* Forks worker w; 0, or the errno of what failed.  pdeath: 1 when the
 * calling thread is the spawner (it lives as long as the process). */
static int
worker_fork(struct worker *w, gdcm_jail_serve serve,
    size_t (*messages)(char *, size_t), int pdeath)
{
	int req[2], ans[2], e;
	pid_t parent = getpid();

	if (pipe2(req, O_CLOEXEC) != 0)
		return errno;
	if (pipe2(ans, O_CLOEXEC) != 0) {
		e = errno;
		close(req[0]);
		close(req[1]);
		return e;
	}
	w->pid = fork();
	if (w->pid == 0) {
		close(req[1]);
		close(ans[0]);
		/* killed with the process, even while a codec hangs and the
		 * request pipe's close goes unread; the parent may have died
		 * before the prctl */
		if (pdeath) {
			(void)prctl(PR_SET_PDEATHSIG, SIGKILL);
			/* the process's name, not its spawner thread's */
			(void)prctl(PR_SET_NAME, spawner_comm);
		}
		if (getppid() != parent)
			_exit(2);
		no_core();
		e = open("/dev/null", O_WRONLY | O_CLOEXEC);
		if (e >= 0)
			(void)dup2(e, STDOUT_FILENO);
		worker_main(serve, messages, req[0], ans[1]);
	}
	e = errno;
	close(req[0]);
	close(ans[1]);
	/* a worker that stops reading fails a request at its deadline */
	if (w->pid > 0)
		(void)fcntl(req[1], F_SETFL, O_NONBLOCK);
	if (w->pid < 0) {
		w->pid = 0;
		close(req[1]);
		close(ans[0]);
		return e != 0 ? e : EAGAIN;
	}
	w->noted = reg_note(w->pid, 1);
	w->owner = parent;
	w->req = req[1];
	w->ans = ans[0];
	w->calls = 0;
	w->gen = __atomic_load_n(&renew_gen, __ATOMIC_ACQUIRE);
	return 0;
}

/*
 * The spawner: the thread that forks the workers.  PR_SET_PDEATHSIG
 * fires when the thread that forked a process ends, and the converting
 * threads that use a worker come and go; this thread lives as long as
 * the process (blocked here), so that its workers die with it, also when
 * it is killed by a signal while a codec hangs (a hung worker never reads
 * the close of its request pipe).  One request at a time.
 */
static struct {
	pthread_mutex_t lock;
	pthread_cond_t cv;
	pid_t owner;      /* the process the thread runs in (0: none yet) */
	struct worker *w; /* the worker to fork (NULL: no request) */
	gdcm_jail_serve serve;
	size_t (*messages)(char *, size_t);
	int done; /* 1: rc is the answer to the request */
	int rc;
} spawner = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, NULL,
	NULL, NULL, 0, 0 };

static void *
spawner_main(void *arg)
{
	(void)arg;
	/* its name in ps -L and top -H, and how a trace tells it from a
	 * converting thread (transcode-ahead.bats) */
	if (prctl(PR_GET_NAME, spawner_comm) == 0)
		(void)prctl(PR_SET_NAME, "gdcm-spawner");
	pthread_mutex_lock(&spawner.lock);
	for (;;) {
		while (spawner.w == NULL || spawner.done)
			pthread_cond_wait(&spawner.cv, &spawner.lock);
		spawner.rc =
		    worker_fork(spawner.w, spawner.serve, spawner.messages, 1);
		spawner.done = 1;
		pthread_cond_broadcast(&spawner.cv);
	}
	return NULL;
}

/* In a fork: no spawner, and the lock, which a thread of the parent may
 * have held (the spawner holds it while it forks), free. */
static void
spawner_forked(void)
{
	pthread_mutex_init(&spawner.lock, NULL);
	pthread_cond_init(&spawner.cv, NULL);
	spawner.owner = 0;
	spawner.w = NULL;
	spawner.done = 0;
}

static pthread_once_t spawner_once_flag = PTHREAD_ONCE_INIT;

static void
spawner_once(void)
{
	(void)pthread_atfork(NULL, NULL, spawner_forked);
}

/* Starts the spawner of this process (lock held); 0, or -1 */
static int
spawner_begin(void)
{
	sigset_t all, old;
	pthread_attr_t attr;
	pthread_t th;
	int rc;

	if (spawner.owner == getpid())
		return 0;
	/* the workers get its mask: every signal blocked, as the lanes */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	rc = pthread_create(&th, &attr, spawner_main, NULL);
	pthread_attr_destroy(&attr);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0)
		return -1;
	spawner.owner = getpid();
	return 0;
}

/* Forks worker w by the spawner (by this thread, without a parent-death
 * signal, when there can be no spawner); 0, or the errno of a failure. */
static int
worker_start(
    struct worker *w, gdcm_jail_serve serve, size_t (*messages)(char *, size_t))
{
	int rc;

	(void)pthread_once(&spawner_once_flag, spawner_once);
	pthread_mutex_lock(&spawner.lock);
	if (spawner_begin() != 0) {
		pthread_mutex_unlock(&spawner.lock);
		return worker_fork(w, serve, messages, 0);
	}
	while (spawner.w != NULL)
		pthread_cond_wait(&spawner.cv, &spawner.lock);
	spawner.w = w;
	spawner.serve = serve;
	spawner.messages = messages;
	pthread_cond_broadcast(&spawner.cv);
	while (!spawner.done || spawner.w != w)
		pthread_cond_wait(&spawner.cv, &spawner.lock);
	rc = spawner.rc;
	spawner.w = NULL;
	spawner.done = 0;
	pthread_cond_broadcast(&spawner.cv);
	pthread_mutex_unlock(&spawner.lock);
	return rc;
}

/* How many workers the pool may have: the cores this process may use. */
static unsigned
pool_size(void)
{
	cpu_set_t set;
	int n = 0;

	if (sched_getaffinity(0, sizeof(set), &set) == 0)
		n = CPU_COUNT(&set);
	if (n <= 0)
		n = (int)sysconf(_SC_NPROCESSORS_ONLN);
	if (n <= 0)
		n = 1;
	return n > POOL_MAX ? POOL_MAX : (unsigned)n;
}

/* A worker of the pool for this thread alone (waits while all are busy;
 * one already running first); pool_give gives it back. */
static struct worker *
pool_take(void)
{
	unsigned i, pick = POOL_MAX;

	pthread_mutex_lock(&pool.lock);
	if (pool.owner != getpid()) {
		/* first call, or a fork of the process whose workers these
		 * are: its copies of their pipes are closed, not used */
		for (i = 0; i < POOL_MAX; i++) {
			if (pool.w[i].pid > 0 && pool.owner != 0) {
				close(pool.w[i].req);
				close(pool.w[i].ans);
			}
			pool.w[i].pid = 0;
			pool.w[i].req = pool.w[i].ans = -1;
			pool.busy[i] = 0;
		}
		pool.owner = getpid();
		pool.size = pool_size();
	}
	for (;;) {
		for (i = 0; i < pool.size; i++)
			if (!pool.busy[i] &&
			    (pick == POOL_MAX || pool.w[i].pid > 0))
				pick = i;
		if (pick < POOL_MAX)
			break;
		pthread_cond_wait(&pool.idle, &pool.lock);
	}
	pool.busy[pick] = 1;
	pthread_mutex_unlock(&pool.lock);
	return &pool.w[pick];
}

static void
pool_give(struct worker *w)
{
	pthread_mutex_lock(&pool.lock);
	pool.busy[w - pool.w] = 0;
	pthread_cond_signal(&pool.idle);
	pthread_mutex_unlock(&pool.lock);
}

/* gdcm_jail_call's frame made in this process: no worker could be
 * started (e), and failing the file would do worse than before the jail */
static int
serve_here(int e, gdcm_jail_serve serve, size_t (*messages)(char *, size_t),
    const struct gdcm_request *q, const void *in, void *dst, uint8_t **alloc,
    struct gdcm_answer *a, struct cs_err *err)
{
	const void *data = NULL;
	uint8_t *tmp = NULL;
	void *out = dst;

	note_here(e);
	if (out == NULL && q->out_len > 0) {
		if (q->out_len > SIZE_MAX || (tmp = malloc(q->out_len)) == NULL)
			return cs_err_set(err, CS_E_NOMEM, "out of memory");
		out = tmp;
	}
	serve(q, in, out, a, &data);
	keep_here(messages);
	a->err.msg[sizeof(a->err.msg) - 1] = '\0';
	if (a->rc == 0 && data != NULL && dst != NULL && data != dst) {
		if (a->data_len == q->out_len)
			memcpy(dst, data, (size_t)a->data_len);
		else
			a->rc = CS_E_PROTO;
	} else if (a->rc == 0 && data != NULL && a->data_len > 0 &&
	    dst == NULL) {
		if (alloc != NULL) {
			*alloc = (uint8_t *)(uintptr_t)data;
			data = tmp = NULL;
		} else
			a->rc = CS_E_PROTO;
	}
	if (data != NULL && data != out && data != dst)
		free((void *)(uintptr_t)data);
	free(tmp);
	if (a->rc == CS_E_PROTO && a->err.msg[0] == '\0')
		return cs_err_set(err, a->rc, "GDCM gave unasked bytes");
	if (a->rc != 0)
		return cs_err_set(err, a->rc, "%s", a->err.msg);
	return 0;
}

/* A worker for the call; 0, or the errno of a start that failed. */
static int
worker_ready(
    struct worker *w, gdcm_jail_serve serve, size_t (*messages)(char *, size_t))
{
	if (w->pid > 0 &&
	    (w->calls >= GDCM_WORKER_CALLS ||
		w->gen != __atomic_load_n(&renew_gen, __ATOMIC_ACQUIRE)))
		worker_stop(w);
	if (w->pid == 0)
		return worker_start(w, serve, messages);
	return 0;
}

/* One call by worker w (taken, ready); *untaken: 1 when it ended before it
 * had the whole request, which then never ran (what ended it came before:
 * a corruption by the call it served last). */
static int
worker_call(struct worker *w, const char *who, const struct gdcm_request *q,
    const void *in, void *dst, uint8_t **alloc, struct gdcm_answer *a,
    int *untaken, struct cs_err *err)
{
	struct iovec iov[2] = { { (void *)(uintptr_t)q, sizeof(*q) },
		{ (void *)(uintptr_t)in, (size_t)q->in_len } };
	struct child ch = { w->pid, w->ans, 0, 0, 0, 0, 0 };
	char took;
	int rc;

	/* the frame's size: what a decode makes, what an encode is given */
	set_deadline(&ch, q->in_len > q->out_len ? q->in_len : q->out_len);
	*untaken = 0;
	if (write_nosig(w->req, iov, 2, &ch) != 0 ||
	    read_answer(&ch, &took, 1) != 0) {
		/* ended, or stopped reading, before it had the request */
		*untaken = 1;
		rc = died(&ch, who, err);
	} else
		rc = take_answer(
		    &ch, who, a, dst, (size_t)q->out_len, alloc, -1, err);
	w->calls++;
	/* crashed (reaped), failed (GDCM may leak on a failure) or lost
	 * track of its pipes: a new worker for the next call */
	if (ch.reaped || rc != 0) {
		if (ch.reaped) {
			if (w->noted)
				(void)reg_note(w->pid, 0);
			close(w->req);
			close(w->ans);
			w->req = w->ans = -1;
			w->pid = 0;
		} else
			worker_stop(w);
	}
	return rc;
}

int
gdcm_jail_call(const char *who, gdcm_jail_serve serve,
    size_t (*messages)(char *, size_t), const struct gdcm_request *q,
    const void *in, void *dst, uint8_t **alloc, struct gdcm_answer *a,
    struct cs_err *err)
{
	struct worker *w;
	int rc, e, untaken = 1, tries;

	memset(a, 0, sizeof(*a));
	a->tc.fd = -1;
	if (alloc != NULL)
		*alloc = NULL;
	w = pool_take();
	/* a worker that ended before it took the request: once more, with a
	 * new one in its place (the frame is not what ended it) */
	for (tries = 0, rc = 0; untaken && tries < 2; tries++) {
		e = worker_ready(w, serve, messages);
		if (e != 0) {
			pool_give(w);
			if (short_of_room(e))
				return serve_here(e, serve, messages, q, in,
				    dst, alloc, a, err);
			return cs_err_set(err, CS_E_IO,
			    "cannot start the GDCM process: %s", strerror(e));
		}
		rc = worker_call(w, who, q, in, dst, alloc, a, &untaken, err);
	}
	pool_give(w);
	return rc;
}

void
gdcm_jail_limit_floor(unsigned s)
{
	__atomic_store_n(
	    &limit_floor, s > 0 ? s : GDCM_JAIL_FLOOR_S, __ATOMIC_RELAXED);
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
