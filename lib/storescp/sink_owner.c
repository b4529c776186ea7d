/* sink_owner.c - owners of named temporary files (see sink_owner.h). */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "storescp/sink_dir.h"
#include "storescp/sink_owner.h"

#include "core/banned.h"

/* This boot and PID namespace, read once. */
static struct {
	int ok;
	char boot[9];
	unsigned long long pidns;
	long long btime; /* seconds since the epoch when this boot began */
	pid_t pid;       /* the process start belongs to */
	unsigned long long start;
} self;
static pthread_once_t self_once = PTHREAD_ONCE_INIT;

/* Reads up to outsz - 1 bytes of a small /proc file; -1 on failure. */
static ssize_t
slurp(const char *path, char *out, size_t outsz)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	do
		n = read(fd, out, outsz - 1);
	while (n < 0 && errno == EINTR);
	close(fd);
	if (n < 0)
		return -1;
	out[n] = '\0';
	return n;
}

/* Field 22 of /proc/PID/stat, the start time in ticks; 0 if unknown. */
static unsigned long long
start_time(const char *pid)
{
	char path[64], buf[1024], *p;
	int field;

	snprintf(path, sizeof(path), "/proc/%s/stat", pid);
	if (slurp(path, buf, sizeof(buf)) <= 0)
		return 0;
	/* the command name may hold spaces and ')': skip to the last ')' */
	if ((p = strrchr(buf, ')')) == NULL)
		return 0;
	/* p is at the end of field 2; field 22 is 20 spaces further */
	for (field = 2; field < 22 && p != NULL; field++)
		p = strchr(p + 1, ' ');
	return p != NULL ? strtoull(p + 1, NULL, 10) : 0;
}

/* "btime" of /proc/stat: the line comes after "intr", which can be
 * longer than any buffer we would pick, hence getline. */
static long long
boot_time(void)
{
	FILE *f = fopen("/proc/stat", "re");
	char *line = NULL;
	size_t cap = 0;
	long long t = 0;

	if (f == NULL)
		return 0;
	while (getline(&line, &cap, f) > 0)
		if (strncmp(line, "btime ", 6) == 0) {
			t = strtoll(line + 6, NULL, 10);
			break;
		}
	free(line);
	fclose(f);
	return t;
}

static void
read_self(void)
{
	char buf[256];
	struct stat st;

	if (slurp("/proc/sys/kernel/random/boot_id", buf, sizeof(buf)) < 8 ||
	    stat("/proc/self/ns/pid", &st) != 0)
		return;
	memcpy(self.boot, buf, 8);
	self.boot[8] = '\0';
	self.pidns = (unsigned long long)st.st_ino;
	self.btime = boot_time();
	self.pid = getpid();
	self.start = start_time("self");
	self.ok = self.btime > 0;
}

int
sink_owner_self(char *out, size_t outsz)
{
	char pid[24];
	unsigned long long start;

	pthread_once(&self_once, read_self);
	snprintf(pid, sizeof(pid), "%ld", (long)getpid());
	/* a forked child has its own start time */
	start = !self.ok           ? 0
	    : self.pid == getpid() ? self.start
				   : start_time("self");
	if (!self.ok || start == 0) {
		snprintf(out, outsz, "0.0.%s.0", pid);
		return -1;
	}
	snprintf(
	    out, outsz, "%s.%llu.%s.%llu", self.boot, self.pidns, pid, start);
	return 0;
}

/* Splits "BOOT.PIDNS.PID.START.RANDOM"; 0 when name has that form. */
static int
parse(const char *name, char *boot, unsigned long long *ns, char *pid,
    size_t pidsz, unsigned long long *start)
{
	const char *p = name + sizeof(SINK_TMP_PREFIX) - 1, *q;
	char *end;
	size_t i;

	for (i = 0; i < 8; i++)
		if (p[i] == '\0' || strchr("0123456789abcdef", p[i]) == NULL)
			return -1;
	memcpy(boot, p, 8);
	boot[8] = '\0';
	if (p[8] != '.' || p[9] < '0' || p[9] > '9')
		return -1;
	*ns = strtoull(p + 9, &end, 10);
	if (*end != '.' || end[1] < '1' || end[1] > '9')
		return -1;
	q = end + 1;
	for (i = 0; q[i] >= '0' && q[i] <= '9'; i++)
		if (i + 1 >= pidsz)
			return -1;
	if (q[i] != '.' || q[i + 1] < '0' || q[i + 1] > '9')
		return -1;
	memcpy(pid, q, i);
	pid[i] = '\0';
	*start = strtoull(q + i + 1, &end, 10);
	return *end == '.' ? 0 : -1;
}

int
sink_owner_gone(const char *name, time_t mtime)
{
	char boot[9], pid[24];
	unsigned long long ns, start;

	pthread_once(&self_once, read_self);
	if (!self.ok || parse(name, boot, &ns, pid, sizeof(pid), &start) != 0)
		return 0;
	if (strcmp(boot, self.boot) != 0)
		return (long long)mtime < self.btime;
	if (ns != self.pidns || start == 0)
		return 0;
	return start_time(pid) != start;
}
