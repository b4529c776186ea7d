/*
 * gdcm_jail.c - one GDCM call in a child process (gdcm_jail.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "dcmfile/gdcm_jail.h"
#include "core/banned.h"

/* What the module may say in one call, and what a thread keeps of it. */
#define JAIL_MSG_MAX 8192
static _Thread_local char kept[JAIL_MSG_MAX];
static _Thread_local size_t kept_len;

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

	snprintf(path, sizeof(path), "/proc/%ld/fd/%d", (long)ch->pid,
	    a->tc.fd);
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
take_answer(struct child *ch, const char *who, struct gdcm_answer *a,
    void *dst, size_t dst_len, uint8_t **alloc, int ackw, struct cs_err *err)
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
		return cs_err_set(err, errno == EMFILE || errno == ENFILE
			? CS_E_IO
			: CS_E_NOMEM,
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
