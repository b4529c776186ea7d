/*
 * map-cut.so - LD_PRELOAD'ed by dcmsend-inputs.bats: the input file
 * MAP_CUT_PATH changes right after the sender maps it privately to read
 * it itself (the transcoder's mapping), once per process, before a byte
 * of the mapping is read: a file cut short or written to while it is
 * converted, at the one moment that is otherwise a race.
 *   MAP_CUT=shrink:N   the file is truncated to N bytes
 *   MAP_CUT=write:OFF  8 bytes 'X' are written at offset OFF, in place
 *   MAP_CUT=touchr:OFF the same, 20 ms later (the kernel's clock for file
 *                      times is coarse), then its access and modification
 *                      times set back as they were (touch -r, cp -p)
 * Other mappings (the sender's MAP_SHARED windows, anonymous ones, other
 * files) are left alone.  Built without sanitizers (it runs before them).
 */
#include <dlfcn.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static atomic_int done;

static void
cut(const char *path, const char *how)
{
	long long n;
	int fd;

	if (strncmp(how, "shrink:", 7) == 0) {
		n = atoll(how + 7);
		(void)truncate(path, (off_t)n);
	} else if (strncmp(how, "write:", 6) == 0 ||
	    strncmp(how, "touchr:", 7) == 0) {
		struct timespec tick = { 0, 20000000 }, ts[2];
		struct stat st;
		int back = how[0] == 't';

		n = atoll(strchr(how, ':') + 1);
		fd = open(path, O_WRONLY | O_CLOEXEC);
		if (fd >= 0 && fstat(fd, &st) == 0) {
			if (back)
				nanosleep(&tick, NULL);
			(void)pwrite(fd, "XXXXXXXX", 8, (off_t)n);
			ts[0] = st.st_atim;
			ts[1] = st.st_mtim;
			if (back)
				(void)futimens(fd, ts);
		}
		if (fd >= 0)
			close(fd);
	}
}

void *
mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	void *(*real)(void *, size_t, int, int, int, off_t);
	const char *path = getenv("MAP_CUT_PATH"), *how = getenv("MAP_CUT");
	void *m;
	struct stat a, b;
	int no = 0;

	*(void **)&real = dlsym(RTLD_NEXT, "mmap");
	m = real(addr, len, prot, flags, fd, off);

	if (m == MAP_FAILED || path == NULL || how == NULL || fd < 0 ||
	    prot != PROT_READ || !(flags & MAP_PRIVATE) ||
	    fstat(fd, &a) != 0 || stat(path, &b) != 0 ||
	    a.st_dev != b.st_dev || a.st_ino != b.st_ino ||
	    !atomic_compare_exchange_strong(&done, &no, 1))
		return m;
	cut(path, how);
	return m;
}
