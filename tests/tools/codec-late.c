/*
 * codec-late.so - LD_PRELOAD'ed by codec-jail.bats: OpenJPEG's decode
 * and encode work, but a process that made one then fails at its next
 * read(2), as a worker whose heap a codec damaged fails between calls
 * (in free, say): the GDCM worker answers its frame, then, before it takes
 * the next request, aborts, or with CODEC_LATE=hang blocks forever
 * (stops reading).  Processes that never ran the codec (dcmsend itself)
 * read as usual.  Built without sanitizers (it runs before them).
 */
#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int opj_decode(void *codec, void *stream, void *image);
int opj_encode(void *codec, void *stream);

static int coded;

/* OpenJPEG's own name (it came with the GDCM module, dlopen'ed without
 * RTLD_GLOBAL: RTLD_NEXT does not see it) */
static void *
real_opj(const char *name)
{
	void *h = dlopen("libopenjp2.so.7", RTLD_LAZY | RTLD_NOLOAD);
	void *f = h != NULL ? dlsym(h, name) : NULL;

	if (f == NULL)
		abort();
	return f;
}

int
opj_decode(void *codec, void *stream, void *image)
{
	int (*real)(void *, void *, void *);
	int rc;

	*(void **)&real = real_opj("opj_decode");
	rc = real(codec, stream, image);
	/* after it: the codec itself reads (the CPUs online, say) */
	coded = 1;
	return rc;
}

int
opj_encode(void *codec, void *stream)
{
	int (*real)(void *, void *);
	int rc;

	*(void **)&real = real_opj("opj_encode");
	rc = real(codec, stream);
	coded = 1;
	return rc;
}

ssize_t
read(int fd, void *buf, size_t n)
{
	static ssize_t (*real)(int, void *, size_t);
	const char *how;

	if (coded) {
		how = getenv("CODEC_LATE");
		if (how != NULL && strcmp(how, "hang") == 0)
			for (;;)
				pause();
		abort();
	}
	if (real == NULL)
		*(void **)&real = dlsym(RTLD_NEXT, "read");
	return real(fd, buf, n);
}
