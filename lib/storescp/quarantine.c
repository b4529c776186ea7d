/*
 * quarantine.c - dcmrecv --validate --quarantine DIR: an object that
 * failed validation is kept in DIR for whoever debugs its sender, with
 * a line in DIR/quarantine.log saying why (storescp.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "storescp/store.h"

#include "core/banned.h"

#define QUARANTINE_LOG "quarantine.log"

/* Appends one line (one write on O_APPEND: lines of receivers sharing
 * the directory never interleave). */
static int
append_line(const struct sink_root *q, const char *line)
{
	size_t n = strlen(line);
	ssize_t w;
	int fd, e;

	fd = openat(q->dirfd, QUARANTINE_LOG,
	    O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0664);
	if (fd < 0)
		return -1;
	do
		w = write(fd, line, n);
	while (w < 0 && errno == EINTR);
	e = errno;
	close(fd);
	errno = e;
	return w == (ssize_t)n ? 0 : -1;
}

void
store_quarantine(struct store *st)
{
	struct storescp *s = st->s;
	struct cs_err err = { 0, "" };
	char name[UL_UID_MAX + 8], final[PATH_MAX + 80],
	    line[PATH_MAX + STORE_WHY_MAX + 256];
	const char *base;
	int rc;

	if (!s->has_qroot || !st->sink_open)
		return;
	/* the UID passed check_command: digits and dots, a safe name */
	snprintf(name, sizeof(name), "%s.dcm", st->rq->affected_instance);
	rc = sink_commit_to(&st->sink, &s->qroot, name, SINK_DUP_RENAME,
	    s->cfg.fsync ? SINK_FSYNC : 0, final, sizeof(final), &err);
	st->sink_open = 0;
	if (rc != SINK_STORED) {
		scp_log(s, STORESCP_LOG_ERROR,
		    "association %u: cannot quarantine '%s': %s", st->who.id,
		    st->rq->affected_instance, err.msg);
		return;
	}
	base = strrchr(final, '/') != NULL ? strrchr(final, '/') + 1 : final;
	snprintf(line, sizeof(line), "%s\t%04X\t%s\t%s\t%s\n", base, st->status,
	    st->comment, st->who.calling, st->who.peer);
	if (append_line(&s->qroot, line) != 0)
		scp_log(s, STORESCP_LOG_ERROR,
		    "association %u: cannot write '%s/" QUARANTINE_LOG "': %s",
		    st->who.id, s->qroot.path, strerror(errno));
	scp_log(s, STORESCP_LOG_ERROR,
	    "association %u: '%s' quarantined as '%s': %s", st->who.id,
	    st->rq->affected_instance, final, st->comment);
}
