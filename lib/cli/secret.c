/* secret.c - passcodes from a file or standard input (see secret.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
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
	int fd = path != NULL ? open(path, O_RDONLY | O_CLOEXEC) : STDIN_FILENO;
	struct termios old;
	int quiet = 0;
	ssize_t n;

	if (fd < 0)
		return cs_err_set(err, CS_E_IO, "cannot open '%s': %s", path,
		    strerror(errno));
	if (path == NULL && isatty(fd)) {
		if (prompt != NULL)
			fprintf(stderr, "%s", prompt);
		quiet = echo_off(fd, &old);
	}
	n = read_line(fd, buf, CLI_SECRET_MAX + 1);
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
