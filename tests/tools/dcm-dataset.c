/*
 * dcm-dataset - for the interop tests: what a DICOM file holds, without
 * its File Meta Information, as our part10 prober sees it.
 *   dcm-dataset FILE       writes the data set's bytes to stdout
 *   dcm-dataset -u FILE    prints SOPClassUID<TAB>SOPInstanceUID<TAB>TS
 * Comparing "dcm-dataset sent | sha256sum" with the same of what a peer
 * stored checks that the data set arrived byte for byte, meta aside.
 * Exit 0, or 1 with a message on stderr.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cstore/cstore.h"
#include "dcmfile/part10.h"

int
main(int argc, char **argv)
{
	struct part10_info info;
	struct cs_err err = { 0, "" };
	char buf[65536];
	const char *path;
	int uids = 0, fd;
	uint64_t left;
	ssize_t r;

	if (argc == 3 && strcmp(argv[1], "-u") == 0)
		uids = 1;
	else if (argc != 2) {
		fprintf(stderr, "usage: dcm-dataset [-u] FILE\n");
		return 2;
	}
	path = argv[argc - 1];
	if (part10_probe_path(path, 0, &info, &err) != 0) {
		fprintf(stderr, "dcm-dataset: '%s': %s\n", path, err.msg);
		return 1;
	}
	if (uids) {
		printf("%s\t%s\t%s\n", info.sop_class, info.sop_instance, info.ts_uid);
		return 0;
	}
	fd = open(path, O_RDONLY);
	if (fd < 0 || lseek(fd, (off_t)info.dataset_offset, SEEK_SET) < 0) {
		perror(path);
		return 1;
	}
	for (left = info.dataset_length; left > 0; left -= (uint64_t)r) {
		r = read(fd, buf, left < sizeof(buf) ? left : sizeof(buf));
		if (r <= 0 || fwrite(buf, 1, (size_t)r, stdout) != (size_t)r) {
			perror(path);
			return 1;
		}
	}
	close(fd);
	return fflush(stdout) == 0 ? 0 : 1;
}
