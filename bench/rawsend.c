/*
 * rawsend - the sending half of the benchmark's raw limit: the same bytes
 * as a DICOM sender, without DICOM, over one loopback TCP connection.
 *   rawsend PORT LISTFILE       each file as an 8-byte little-endian size
 *                               then its bytes (sendfile); waits for a
 *                               1-byte acknowledgement after each file
 *   rawsend -s PORT LISTFILE    every file back to back as one stream
 *                               (sendfile), then shutdown and one ack
 *   rawsend -c PORT LISTFILE    as the first, but read/write through a
 *                               256 KB buffer instead of sendfile (what a
 *                               sender that copies does)
 * LISTFILE holds one path per line.  TCP_NODELAY is set; BENCH_SOCKBUF:
 * see raw.h.  Exit 0 or 1.
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "raw.h"

static char cbuf[256 * 1024];

static void
send_file(int s, const char *path, int ack, int copy)
{
	struct stat st;
	off_t off = 0;
	unsigned char hdr[8], a;
	int fd = open(path, O_RDONLY);

	if (fd < 0 || fstat(fd, &st) != 0)
		die(path);
	if (ack) {
		uint64_t n = (uint64_t)st.st_size;
		for (int i = 0; i < 8; i++)
			hdr[i] = (unsigned char)(n >> (8 * i));
		if (send(s, hdr, 8, MSG_MORE) != 8)
			die("send");
	}
	while (copy && off < st.st_size) {
		ssize_t r = read(fd, cbuf, sizeof cbuf);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			die("read");
		write_all(s, cbuf, (size_t)r);
		off += r;
	}
	while (off < st.st_size) {
		ssize_t w = sendfile(s, fd, &off, (size_t)(st.st_size - off));
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			die("sendfile");
	}
	close(fd);
	if (ack && !read_all(s, &a, 1)) {
		errno = EPROTO;
		die("ack");
	}
}

int
main(int argc, char **argv)
{
	struct sockaddr_in sa;
	char line[4096];
	int stream = 0, copy = 0, s, one = 1;
	unsigned char a;
	FILE *list;

	if (argc == 4 && strcmp(argv[1], "-s") == 0)
		stream = 1;
	else if (argc == 4 && strcmp(argv[1], "-c") == 0)
		copy = 1;
	if (stream || copy) {
		argv++;
		argc--;
	}
	if (argc != 3) {
		fprintf(stderr, "usage: rawsend [-s|-c] PORT LISTFILE\n");
		return 2;
	}
	if ((list = fopen(argv[2], "r")) == NULL)
		die(argv[2]);
	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)strtoul(argv[1], NULL, 10));
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((s = socket(AF_INET, SOCK_STREAM, 0)) < 0)
		die("socket");
	setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	sockbuf(s);
	if (connect(s, (struct sockaddr *)&sa, sizeof sa) != 0)
		die("connect");
	while (fgets(line, sizeof line, list) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		if (line[0] != '\0')
			send_file(s, line, !stream, copy);
	}
	fclose(list);
	if (stream) {
		shutdown(s, SHUT_WR);
		if (!read_all(s, &a, 1)) {
			errno = EPROTO;
			die("ack");
		}
	}
	close(s);
	return 0;
}
