/* send_convert.c - a file's target syntax and its conversion for sending
 * (send_convert.h). */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cstore/cstore.h"
#include "storescu/send_convert.h"
#include "core/ts.h"
#include "core/ts_uids.h"
#include "dcmfile/infile.h"
#include "storescu/send_report.h"
#include "core/banned.h"

long
send_convert_target(const char *ts, const char *const *cand, size_t n,
    const struct propose_opts *po, int (*skip)(void *, const char *),
    void *user, long *lossy_only)
{
	int lossy;
	size_t k;

	if (lossy_only != NULL)
		*lossy_only = -1;
	/* lossless first, in the list's order; then lossy if allowed */
	for (lossy = 0; lossy <= 1; lossy++)
		for (k = 0; k < n; k++) {
			if ((skip != NULL && skip(user, cand[k])) ||
			    !propose_converts(po, ts, cand[k], lossy))
				continue;
			if (!lossy || po->allow_lossy)
				return (long)k;
			if (lossy_only != NULL)
				*lossy_only = (long)k;
			return -1;
		}
	return -1;
}

/* The conversion proper (send_convert_file, without the check that the
 * file stayed as it was). */
static int
convert(int fd, const char *path, const char *from, const char *ts,
    int allow_lossy, enum send_pad pad, char sop_instance[DCMFILE_UID_MAX + 1],
    struct dcmfile_transcoded *tc, char *note, size_t cap, struct cs_err *err)
{
	int deflated = ts_is_deflated(ts);
	int rc =
	    (pad == SEND_PAD_ODD ? dcmfile_pad_odd_fd : dcmfile_transcode_fd)(
		fd, path, ts, allow_lossy, tc, err);

	/* a conversion that made it odd (a Deflated source of even length
	 * whose inflated data set is odd) is done again, padded; a Deflated
	 * stream gets its own pad byte (PS3.5 A.5) */
	if (rc == 0 && pad == SEND_PAD_IF_ODD && (tc->length & 1) &&
	    !deflated) {
		close(tc->fd);
		rc = dcmfile_pad_odd_fd(fd, path, ts, allow_lossy, tc, err);
	}
	/* fd is the file planning probed: the same instance comes out,
	 * unless a lossy compression gave it a new UID (below) */
	if (rc == 0 && !tc->lossy && strcmp(tc->sop_instance, sop_instance)) {
		close(tc->fd);
		tc->fd = -1;
		rc = cs_err_set(err, CS_E_UNSUPPORTED,
		    "the converted data set names SOP Instance %s, not %s",
		    tc->sop_instance, sop_instance);
	}
	if (rc != 0) {
		snprintf(note, cap, "cannot convert %s to %s: %s",
		    report_uid_text(from), report_uid_text(ts), err->msg);
		return rc;
	}
	note[0] = '\0';
	if (tc->padded > 0)
		report_add_note(note, cap,
		    "padded %u odd-length value%s to even length (PS3.5 7.1.1)",
		    tc->padded, tc->padded == 1 ? "" : "s");
	/* from == ts: the same syntax, padded, not transcoded */
	if (strcmp(from, ts) != 0 && tc->lossy &&
	    strcmp(tc->sop_instance, sop_instance) != 0) {
		/* PS3.3 C.12.1.1.1: a lossy copy is a new instance; it is
		 * sent, stored and reported under its new UID */
		report_add_note(note, cap,
		    "transcoded to %s (lossy): new SOP Instance UID, was %s; "
		    "ratio %.2f",
		    report_uid_text(ts), sop_instance, tc->ratio);
		memcpy(sop_instance, tc->sop_instance, DCMFILE_UID_MAX + 1);
	} else if (strcmp(from, ts) != 0) {
		report_add_note(note, cap, "transcoded to %s%s",
		    report_uid_text(ts), tc->lossy ? " (lossy)" : "");
	}
	if (tc->lossy_marked)
		report_add_note(note, cap, SEND_LOSSY_MARKED);
	if (tc->group_lengths > 0)
		report_add_note(note, cap, "%u " SEND_GROUP_LENGTHS_REMOVED,
		    tc->group_lengths, tc->group_lengths == 1 ? "" : "s");
	if (tc->deflate_tail > 0)
		report_add_note(note, cap,
		    "%llu bytes after the end of the deflate stream left out "
		    "(no part of the data set)",
		    (unsigned long long)tc->deflate_tail);
	return 0;
}

int
send_convert_file(int fd, const char *path, const char *from, const char *ts,
    int allow_lossy, enum send_pad pad, char sop_instance[DCMFILE_UID_MAX + 1],
    struct dcmfile_transcoded *tc, char *note, size_t cap, int *changed,
    struct cs_err *err)
{
	char uid[DCMFILE_UID_MAX + 1];
	struct stat was, now;
	int marked = fstat(fd, &was) == 0, rc;

	memcpy(uid, sop_instance, sizeof(uid));
	rc = convert(fd, path, from, ts, allow_lossy, pad, sop_instance, tc,
	    note, cap, err);
	*changed = marked && infile_written_since(fd, path, &was, &now);
	if (!*changed)
		return rc;
	/* written to while it was read: what came out may be mixed, and is
	 * never sent (as a file written to while it is sent); a failure
	 * then is the file's own (one cut short reads as zeros, mapguard.h) */
	if (rc == 0)
		close(tc->fd);
	tc->fd = -1;
	memcpy(sop_instance, uid, sizeof(uid));
	cs_err_clear(err);
	if (now.st_size < was.st_size)
		rc = cs_err_set(err, CS_E_TRUNCATED,
		    "file ended before its dataset was converted (it shrank "
		    "while read)");
	else
		rc = cs_err_set(err, CS_E_IO,
		    "the file was written to while it was converted");
	snprintf(note, cap, "%s", err->msg);
	return rc;
}
