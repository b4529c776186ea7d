/*
 * fuzz_net_host.c - libFuzzer target for the hosts file reader of
 * lib/net/net_host.c: the input's first line is a host name, the rest
 * a hosts file (in a memfd, a regular file).  Besides not crashing:
 * the answer is 0 or 1, a loopback name is always local, and a name
 * the file does not hold (in any case) is local only when loopback.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <unistd.h>

#include "net/net.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Whether name (len bytes) occurs in buf, in any case. */
static int
holds(const uint8_t *buf, size_t n, const char *name, size_t len)
{
	size_t i;

	for (i = 0; len > 0 && i + len <= n; i++)
		if (strncasecmp((const char *)buf + i, name, len) == 0)
			return 1;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nl = memchr(data, '\n', size);
	size_t hlen = nl != NULL ? (size_t)(nl - data) : size, rest;
	char host[256], path[64];
	int fd, local, loop;

	if (hlen >= sizeof(host) || memchr(data, '\0', hlen) != NULL)
		return 0;
	memcpy(host, data, hlen);
	host[hlen] = '\0';
	rest = nl != NULL ? size - hlen - 1 : 0;
	if ((fd = memfd_create("hosts", 0)) < 0)
		return 0;
	if (rest > 0 && write(fd, nl + 1, rest) != (ssize_t)rest) {
		close(fd);
		return 0;
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	loop = net_host_is_loopback(host);
	local = net_host_is_local_in(host, path);
	close(fd);
	if ((loop != 0 && loop != 1) || (local != 0 && local != 1) ||
	    (loop && !local))
		abort();
	/* a name (a final dot aside) is only found where it is written */
	if (hlen > 0 && host[hlen - 1] == '.')
		hlen--;
	if (local && !loop && !holds(nl + 1, rest, host, hlen))
		abort();
	return 0;
}
