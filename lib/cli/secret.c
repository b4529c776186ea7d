/* secret.c - passcodes from a file or standard input (see secret.h). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "cstore/cstore.h"
#include "cli/secret.h"
#include "core/banned.h"

/*
 * Reads up to the first newline, byte by byte: whatever follows it on
 * standard input stays there.  Returns the bytes read (line end
 * included) or -1.
 */
static ssize_t
read_line(int fd, char *buf, size_t size)
{
	size_t n = 0;
	ssize_t r;

	while (n < size) {
		r = read(fd, buf + n, 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0 || buf[n++] == '\n')
			break;
	}
	return (ssize_t)n;
}

/*
 * A FIFO is opened without waiting for a writer (a blocking open would
 * wait forever for one that never comes).  Process substitution's pipe
 * has its writer already; a named FIFO gets CLI_SECRET_FIFO_WAIT_MS for
 * one to open it and write, or leave.  Then fd blocks again; its first
 * byte, if read here, is in *first (1 returned).  Returns 0, 1 or -1
 * with errno (ETIMEDOUT: no writer).
 */
static int
fifo_wait_writer(int fd, char *first)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	int waited = 0, got = 0;
	ssize_t r;

	for (;;) {
		r = read(fd, first, 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && errno != EAGAIN)
			return -1;
		got = r == 1;
		/* data, or a writer there (EAGAIN), or one that came and
		 * left (POLLHUP: the read then sees the end) */
		if (r != 0 || (poll(&p, 1, 0) == 1 && (p.revents & POLLHUP)))
			break;
		if (waited >= CLI_SECRET_FIFO_WAIT_MS) {
			errno = ETIMEDOUT;
			return -1;
		}
		poll(&p, 1, 100); /* until a writer writes, or 100 ms */
		waited += 100;
	}
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) != 0)
		return -1;
	return got;
}

/* path opened for reading, a FIFO only once a writer is there (see
 * fifo_wait_writer); *got: the first byte read into buf.  -1: errno. */
static int
open_secret(const char *path, char *buf, int *got)
{
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC), e;
	struct stat st;

	*got = 0;
	if (fd < 0 || fstat(fd, &st) != 0)
		goto fail;
	if (S_ISFIFO(st.st_mode)) {
		if ((*got = fifo_wait_writer(fd, buf)) < 0)
			goto fail;
	} else if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) != 0) {
		goto fail;
	}
	return fd;
fail:
	e = errno;
	if (fd >= 0)
		close(fd);
	errno = e;
	return -1;
}

/* Echo off on a terminal (*old saved); 1 when changed. */
static int
echo_off(int fd, struct termios *old)
{
	struct termios t;

	if (!isatty(fd) || tcgetattr(fd, old) != 0)
		return 0;
	t = *old;
	t.c_lflag &= ~(tcflag_t)ECHO;
	t.c_lflag |= ECHONL;
	return tcsetattr(fd, TCSAFLUSH, &t) == 0;
}

int
cli_secret_read(const char *path, const char *prompt, char *buf, size_t *len,
    struct cs_err *err)
{
	struct termios old;
	int quiet = 0, got = 0;
	int fd = path != NULL ? open_secret(path, buf, &got) : STDIN_FILENO;
	ssize_t n;

	if (fd < 0 && errno == ETIMEDOUT)
		return cs_err_set(err, CS_E_IO,
		    "'%s' is a FIFO no process opened for writing within %d s",
		    path, CLI_SECRET_FIFO_WAIT_MS / 1000);
	if (fd < 0)
		return cs_err_set(err, CS_E_IO, "cannot open '%s': %s", path,
		    strerror(errno));
	if (path == NULL && isatty(fd)) {
		if (prompt != NULL)
			fprintf(stderr, "%s", prompt);
		quiet = echo_off(fd, &old);
	}
	n = got && buf[0] == '\n'
	    ? 1
	    : read_line(fd, buf + got, CLI_SECRET_MAX + 1 - (size_t)got);
	if (n >= 0 && got && buf[0] != '\n')
		n += got;
	if (quiet)
		tcsetattr(fd, TCSAFLUSH, &old);
	if (n < 0) {
		int e = errno;

		if (path != NULL)
			close(fd);
		return cs_err_set(err, CS_E_IO, "cannot read %s%s%s: %s",
		    path ? "'" : "", path ? path : "standard input",
		    path ? "'" : "", strerror(e));
	}
	if (path != NULL)
		close(fd);
	if ((size_t)n > CLI_SECRET_MAX && buf[n - 1] != '\n') {
		explicit_bzero(buf, CLI_SECRET_MAX + 1);
		return cs_err_set(err, CS_E_INVAL,
		    "the passcode is longer than %d bytes", CLI_SECRET_MAX);
	}
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		n--;
	buf[n] = '\0';
	*len = (size_t)n;
	if (n == 0)
		return cs_err_set(err, CS_E_INVAL, "empty passcode in %s%s%s",
		    path ? "'" : "", path ? path : "standard input",
		    path ? "'" : "");
	if (memchr(buf, '\0', (size_t)n) != NULL)
		return cs_err_set(
		    err, CS_E_INVAL, "the passcode holds a NUL byte");
	return 0;
}
