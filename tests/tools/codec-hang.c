/*
 * codec-hang.so - LD_PRELOAD'ed by codec-jail.bats: OpenJPEG's decode
 * and encode calls, as GDCM's JPEG 2000 codec makes them, made to never
 * return, the two ways a codec hangs: opj_decode blocks forever (a
 * deadlock: no CPU), opj_encode spins (an endless loop).  With
 * CODEC_HANG=close, opj_decode first closes every descriptor from 3 up
 * (a stray close(2): the answer pipe's end among them).  With
 * CODEC_HANG_PIDS set to a directory, each hanging process first leaves
 * an empty file named by its PID there, so that a test can see it gone.
 * What the GDCM module links otherwise is untouched, so the other codecs
 * work.  Built without sanitizers (it runs before them).
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int opj_decode(void *codec, void *stream, void *image);
int opj_encode(void *codec, void *stream);

static void
note_pid(void)
{
	const char *dir = getenv("CODEC_HANG_PIDS");
	char path[4096];
	int fd;

	if (dir == NULL)
		return;
	snprintf(path, sizeof(path), "%s/%ld", dir, (long)getpid());
	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	if (fd >= 0)
		close(fd);
}

int
opj_decode(void *codec, void *stream, void *image)
{
	const char *how = getenv("CODEC_HANG");

	(void)codec;
	(void)stream;
	(void)image;
	note_pid();
	if (how != NULL && strcmp(how, "close") == 0)
		(void)close_range(3, ~0U, 0);
	for (;;)
		pause();
}

int
opj_encode(void *codec, void *stream)
{
	volatile unsigned long spin = 0;

	(void)codec;
	(void)stream;
	note_pid();
	for (;;)
		spin++;
}
