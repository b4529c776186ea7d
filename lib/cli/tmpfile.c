/* tmpfile.c - a temporary file no planted name is written through
 * (see tmpfile.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/random.h>
#include <unistd.h>

#include "cli/tmpfile.h"

#include "core/banned.h"

int
cli_open_tmp(const char *path, char *tmp, size_t cap)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char rnd[4];
	char suffix[9];
	int tries, fd = -1;

	for (tries = 0; tries < 16 && fd < 0; tries++) {
		if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
			return -1;
		for (size_t i = 0; i < sizeof(rnd); i++) {
			suffix[2 * i] = hex[rnd[i] >> 4];
			suffix[2 * i + 1] = hex[rnd[i] & 15];
		}
		suffix[8] = '\0';
		if ((size_t)snprintf(tmp, cap, "%s.%s.tmp", path, suffix) >=
		    cap) {
			errno = ENAMETOOLONG;
			return -1;
		}
		fd = open(tmp,
		    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
		if (fd < 0 && errno != EEXIST)
			return -1;
	}
	return fd;
}
