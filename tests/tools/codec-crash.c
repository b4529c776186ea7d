/*
 * codec-crash.so - LD_PRELOAD'ed by codec-jail.bats: OpenJPEG's decode
 * and encode calls, as GDCM's JPEG 2000 codec makes them, made to crash
 * the way a library assert or a wild write does: opj_decode aborts
 * (SIGABRT), opj_encode traps (SIGILL; neither is a signal the sanitizers
 * take over).  What the GDCM module links otherwise is untouched, so the
 * other codecs work.  Built without sanitizers (it runs before them).
 */
#include <stdlib.h>

int opj_decode(void *codec, void *stream, void *image);
int opj_encode(void *codec, void *stream);

int
opj_decode(void *codec, void *stream, void *image)
{
	(void)codec;
	(void)stream;
	(void)image;
	abort();
}

int
opj_encode(void *codec, void *stream)
{
	(void)codec;
	(void)stream;
	__builtin_trap();
}
