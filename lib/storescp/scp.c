/*
 * scp.c - the services of the receiver object that every file of
 * libstorescp uses (see scp.h): the log, the counters, the wake-up of
 * the listening loop.  It calls nothing of the other files.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <unistd.h>

#include "cstore/cstore.h"
#include "storescp/scp.h"
#include "core/banned.h"

void
scp_log(struct storescp *s, enum storescp_level level, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	if (s->cfg.log == NULL || level > s->cfg.log_level)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	s->cfg.log(s->cfg.user, level, line);
}

void
scp_count(struct storescp *s, uint64_t *field)
{
	pthread_mutex_lock(&s->mu);
	(*field)++;
	pthread_mutex_unlock(&s->mu);
}

void
scp_wake(struct storescp *s)
{
	int saved = errno;
	ssize_t r;

	r = write(s->wake[1], "x", 1);
	(void)r; /* a full pipe already wakes the loop */
	errno = saved;
}
