/*
 * charls-redirect.so - LD_PRELOAD'ed by transcode-exact.bats: the
 * transcoder's dlopen("libcharls.so.2") (lib/dcmfile/xcode_jls.c) gives
 * NULL when $CSTORE_TEST_CHARLS is empty (CharLS not installed) and
 * loads the file it names otherwise (charls-refuse.so: a CharLS that
 * refuses every frame).  Unset: nothing changes.  Only that one call is
 * redirected: the GDCM module links the real CharLS through the loader,
 * not through dlopen.  Built without sanitizers (it runs before them).
 */
#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>

void *dlopen(const char *file, int mode);

void *
dlopen(const char *file, int mode)
{
	static void *(*next)(const char *, int);
	const char *to = getenv("CSTORE_TEST_CHARLS");
	void *p;

	if (next == NULL) {
		p = dlsym(RTLD_NEXT, "dlopen");
		memcpy(&next, &p, sizeof(p));
	}
	if (to != NULL && file != NULL && strcmp(file, "libcharls.so.2") == 0)
		return to[0] == '\0' ? NULL : next(to, mode);
	return next(file, mode);
}
