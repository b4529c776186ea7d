/* outcome.c - the outcome words of dcmsend (see outcome.h). */
#include <string.h>

#include "cstore/storescu.h"
#include "storescu/outcome.h"

#include "core/banned.h"

/* In enum order; the meanings are those of man/dcmsend.1.  Words are
 * literals: scripts/check-outcomes reads them from this file. */
static const struct outcome_info table[] = {
	{ STORESCU_STORED, "stored", 0, 1, "the peer answered Success" },
	{ STORESCU_WARNING, "warning", 0, 1,
	    "the peer answered a Warning: stored" },
	/* Local only when no status stands for it: a response naming
	 * another instance or class, or over STOW-RS an HTTP error or an
	 * answer that does not name it (otherwise the peer's status). */
	{ STORESCU_FAILED, "failed", 1, 0,
	    "no status for it: the response names another SOP instance or class (its fate is unknown), or the file was written to while its last PDU went (the status is for bytes that may be mixed), or over STOW-RS the request failed (HTTP error) or the answer does not name it" },
	{ STORESCU_UNREADABLE, "unreadable", 1, 0,
	    "not sent: the input cannot be opened or read, or was written to while it was sent (the association aborted so that the peer stores none of it), or is not a regular file" },
	{ STORESCU_NOTDICOM, "notdicom", 1, 0,
	    "not sent: not a DICOM file or data set" },
	{ STORESCU_TRUNCATED, "truncated", 1, 0,
	    "not sent: the file ends inside an element, or it shrank while it was sent (the association aborted so that the peer stores none of it)" },
	{ STORESCU_NOCONTEXT, "nocontext", 1, 0,
	    "not sent: no accepted presentation context fits it" },
	{ STORESCU_TRANSCODE, "transcodefail", 1, 0,
	    "not sent: the conversion to an accepted transfer syntax failed" },
	{ STORESCU_ABORTED, "aborted", 1, 0,
	    "the association ended before its response: it may or may not be stored" },
	{ STORESCU_NOTSENT, "notsent", 1, 0,
	    "not sent: its association could not be opened, or ended before its turn" },
	{ STORESCU_RESUMED, "resumed", 1, 1,
	    "not sent again: the --resume log has it stored" },
	{ STORESCU_PLANNED, "planned", 1, 0, "dry run: it would be sent" },
	{ STORESCU_DICOMDIR, "dicomdir", 1, 0,
	    "not sent: a DICOMDIR indexes the files of a file-set; it is no object to store" },
};

size_t
outcome_count(void)
{
	return sizeof(table) / sizeof(table[0]);
}

const struct outcome_info *
outcome_at(size_t i)
{
	return i < outcome_count() ? &table[i] : NULL;
}

const struct outcome_info *
outcome_by_word(const char *word)
{
	size_t i;

	for (i = 0; word != NULL && i < outcome_count(); i++)
		if (strcmp(table[i].word, word) == 0)
			return &table[i];
	return NULL;
}

const char *
storescu_outcome_word(enum storescu_outcome o)
{
	size_t i;

	for (i = 0; i < outcome_count(); i++)
		if (table[i].outcome == o)
			return table[i].word;
	return "?";
}

const char *
storescu_commit_word(int commit)
{
	switch (commit) {
	case STORESCU_COMMITTED:
		return "committed";
	case STORESCU_COMMIT_FAILED:
		return "commitfailed";
	case STORESCU_UNCOMMITTED:
		return "uncommitted";
	default:
		return "";
	}
}

int
storescu_outcome_stored(enum storescu_outcome o)
{
	size_t i;

	for (i = 0; i < outcome_count(); i++)
		if (table[i].outcome == o)
			return table[i].stored;
	return 0;
}
