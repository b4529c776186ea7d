/* net_host.c - what a host name or address in a URL stands for. */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "cstore/cstore.h"
#include "net/net.h"
#include "core/banned.h"

int
net_host_is_loopback(const char *host)
{
	unsigned char a[16];
	char h[256];
	size_t n = strlen(host), dot;

	/* an IPv6 address, in a URL's brackets or bare (as
	 * stow_http_url_host and a netrc file give it) */
	if ((n >= 2 && host[0] == '[' && host[n - 1] == ']') ||
	    (host[0] != '[' && strchr(host, ':') != NULL)) {
		if (host[0] == '[')
			snprintf(h, sizeof(h), "%.*s", (int)(n - 2), host + 1);
		else
			snprintf(h, sizeof(h), "%s", host);
		if (inet_pton(AF_INET6, h, a) != 1)
			return 0;
		/* ::1, :: (this host), or ::ffff:127.x.y.z or
		 * ::ffff:0.x.y.z (IPv4-mapped) */
		return memcmp(a, in6addr_loopback.s6_addr, 16) == 0 ||
		    memcmp(a, in6addr_any.s6_addr, 16) == 0 ||
		    (memcmp(a, "\0\0\0\0\0\0\0\0\0\0\xff\xff", 12) == 0 &&
			(a[12] == 127 || a[12] == 0));
	}
	/* a final dot or not: "127.0.0.1." is 127.0.0.1 to the resolver */
	if (n > 0 && host[n - 1] == '.')
		n--;
	snprintf(h, sizeof(h), "%.*s", (int)n, host);
	/* 127.0.0.0/8, or 0.0.0.0/8 ("this host": a connection to it
	 * reaches this machine's own listeners) */
	if (inet_pton(AF_INET, h, a) == 1)
		return a[0] == 127 || a[0] == 0;
	/* "localhost", "x.localhost" (RFC 6761 6.3) */
	dot = n > 9 && host[n - 10] == '.';
	return (n == 9 || dot) &&
	    strncasecmp(host + n - 9, "localhost", 9) == 0;
}

/* Whether the hosts file line (its comment cut) names name: 0 no, 1
 * with a loopback address, 2 with another. */
static int
hosts_line(char *line, const char *name, size_t len)
{
	const char *sep = " \t\r\n";
	char *addr, *p;
	size_t n;

	if ((p = strchr(line, '#')) != NULL)
		*p = '\0';
	addr = line + strspn(line, sep);
	if ((n = strcspn(addr, sep)) == 0)
		return 0;
	p = addr + n;
	if (*p != '\0')
		*p++ = '\0';
	for (;;) {
		p += strspn(p, sep);
		if ((n = strcspn(p, sep)) == 0)
			return 0;
		if (n == len && strncasecmp(p, name, len) == 0)
			return net_host_is_loopback(addr) ? 1 : 2;
		p += n;
	}
}

/* A hosts file line longer than this (none is, but a file of garbage)
 * is passed over whole: never read in part, whose last name, cut,
 * would match as a name's beginning. */
#define HOSTS_LINE_MAX 65536

/* The hosts file at path, when it is a regular file (a FIFO or a device
 * in its place is never waited on or read); NULL otherwise. */
static FILE *
hosts_open(const char *path)
{
	struct stat st;
	FILE *f;
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);

	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
	    (f = fdopen(fd, "r")) == NULL) {
		close(fd);
		return NULL;
	}
	return f;
}

int
net_host_is_local_in(const char *host, const char *hosts)
{
	char name[256], a[16], *line;
	size_t len = strlen(host);
	int seen = 0, other = 0, r, whole = 1, was_whole;
	FILE *f;

	if (net_host_is_loopback(host))
		return 1;
	/* a name (an address literal is what it says) */
	if (len > 0 && host[len - 1] == '.')
		len--;
	if (len == 0 || len >= 256 || strchr(host, ':') != NULL ||
	    host[0] == '[' ||
	    (snprintf(name, sizeof(name), "%.*s", (int)len, host),
		inet_pton(AF_INET, name, a) == 1) ||
	    (f = hosts_open(hosts)) == NULL)
		return 0;
	if ((line = malloc(HOSTS_LINE_MAX)) == NULL) {
		fclose(f);
		return 0;
	}
	/* fgets ends what it read with a NUL: one in the last byte, after
	 * anything but a newline, is a line longer than the buffer (a NUL
	 * byte inside a line makes it no longer, and its next line is read) */
	line[HOSTS_LINE_MAX - 1] = 'x';
	while (fgets(line, HOSTS_LINE_MAX, f) != NULL) {
		/* a line longer than the buffer: passed over, all of it */
		was_whole = whole;
		whole = line[HOSTS_LINE_MAX - 1] != '\0' ||
		    line[HOSTS_LINE_MAX - 2] == '\n' || feof(f);
		line[HOSTS_LINE_MAX - 1] = 'x';
		if (!was_whole || !whole)
			continue;
		if ((r = hosts_line(line, host, len)) == 1)
			seen = 1;
		else if (r == 2)
			other = 1;
	}
	free(line);
	fclose(f);
	return seen && !other;
}

int
net_host_is_local(const char *host)
{
	return net_host_is_local_in(host, "/etc/hosts");
}
