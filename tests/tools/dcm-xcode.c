/*
 * dcm-xcode - for the transcoding tests: runs our transcoder
 * (dcmfile_transcode) on one file, without a network, and writes the
 * result as a Part 10 file that DCMTK's tools can read.
 *   dcm-xcode [-glv] [-t S] TS IN OUT
 * -l allows a lossy TS; -v prints the messages of GDCM and its libraries
 * (prefixed "dcm-xcode: gdcm: "); -g converts by GDCM's whole-file
 * rewrite in its child process (dcmfile_gdcm_transcode, on the open file
 * as the transcoder calls it) instead; -t S gives each GDCM call at least
 * S seconds (dcmfile_codec_timeout).  On success prints on stdout one line:
 * TS<TAB>SOPInstanceUID<TAB>frames<TAB>lossy<TAB>ratio.
 * Exit 0, or 1 with the reason on stderr.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cstore/cstore.h"
#include "core/buf.h"
#include "dcmfile/dcmfile.h"
#include "dcmfile/part10.h"
#include "dcmfile/xcode.h"

static void
show_messages(int verbose)
{
	char msgs[4096], *line, *save = NULL;

	if (dcmfile_codec_messages(msgs, sizeof(msgs)) == 0 || !verbose)
		return;
	for (line = strtok_r(msgs, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save))
		fprintf(stderr, "dcm-xcode: gdcm: %s\n", line);
}

int
main(int argc, char **argv)
{
	struct dcmfile_transcoded tc;
	struct part10_info info;
	struct cs_err err = { 0, "" };
	struct wr w;
	char buf[65536];
	int lossy = 0, verbose = 0, whole = 0, i = 1, fd, rc;
	ssize_t r;

	for (; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "-l") == 0)
			lossy = 1;
		else if (strcmp(argv[i], "-v") == 0)
			verbose = 1;
		else if (strcmp(argv[i], "-g") == 0)
			whole = 1;
		else if (strcmp(argv[i], "-t") == 0 && i + 1 < argc)
			dcmfile_codec_timeout((unsigned)strtoul(argv[++i], NULL, 10));
		else
			break;
	}
	if (argc - i != 3) {
		fprintf(stderr, "usage: dcm-xcode [-glv] [-t S] TS IN OUT\n");
		return 2;
	}
	if (part10_probe_path(argv[i + 1], 0, &info, &err) != 0) {
		fprintf(stderr, "dcm-xcode: '%s': %s\n", argv[i + 1], err.msg);
		return 1;
	}
	dcmfile_codec_verbose(verbose);
	if (whole) {
		fd = open(argv[i + 1], O_RDONLY | O_CLOEXEC);
		rc = fd < 0 ? cs_err_set(&err, CS_E_IO, "cannot open it")
			    : dcmfile_gdcm_transcode(fd, argv[i], lossy, &tc, &err);
		if (fd >= 0)
			close(fd);
		/* as the transcoder does: the rewrite keeps the file's UID */
		if (rc == 0)
			snprintf(tc.sop_instance, sizeof(tc.sop_instance), "%s",
			    info.sop_instance);
	} else
		rc = dcmfile_transcode(argv[i + 1], argv[i], lossy, &tc, &err);
	show_messages(verbose);
	if (rc != 0) {
		fprintf(stderr, "dcm-xcode: '%s': %s\n", argv[i + 1], err.msg);
		return 1;
	}
	wr_init(&w, 1 << 16);
	if (part10_write_meta(&w, info.sop_class, tc.sop_instance, tc.ts_uid,
	    "1.2.826.0.1.3680043.10.1234", NULL, NULL, &err) < 0) {
		fprintf(stderr, "dcm-xcode: %s\n", err.msg);
		return 1;
	}
	fd = open(argv[i + 2], O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || write(fd, w.p, w.len) != (ssize_t)w.len) {
		perror("dcm-xcode: write");
		return 1;
	}
	while ((r = read(tc.fd, buf, sizeof(buf))) > 0)
		if (write(fd, buf, (size_t)r) != r) {
			perror("dcm-xcode: write");
			return 1;
		}
	close(fd);
	close(tc.fd);
	wr_release(&w);
	printf("%s\t%s\t%u\t%d\t%.2f\n", tc.ts_uid, tc.sop_instance, tc.frames,
	    tc.lossy, tc.ratio);
	return 0;
}
