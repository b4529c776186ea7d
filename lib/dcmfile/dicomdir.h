/*
 * dicomdir.h - the files a DICOMDIR references (dcmsend
 * --read-from-dicomdir).
 *
 * A DICOMDIR (Media Storage Directory Storage, PS3.10 8.6) is a Part 10
 * file whose Directory Record Sequence (0004,1220) holds one item per
 * directory record (PS3.3 F.3).  A record that stands for a file (IMAGE,
 * SR DOCUMENT...) names it in Referenced File ID (0004,1500): a CS of
 * up to 8 components separated by backslashes, relative to the directory
 * that holds the DICOMDIR (PS3.10 8.2).  PATIENT, STUDY and SERIES
 * records have none and are walked over, as are inactive records (Record
 * In-use Flag (0004,1410) 0000H, retired but still written by tools that
 * delete that way).  The records' offsets ((0004,1400)...) are not
 * followed: the records are read in file order, so a DICOMDIR whose
 * offsets are wrong or missing loses nothing.
 *
 * Lenient in what it reads: Explicit VR Little Endian (the one PS3.10
 * allows), Implicit VR Little Endian and Explicit VR Big Endian (some
 * writers), defined and undefined lengths anywhere (the shared walker,
 * core/ds_walk.h, over core/buf.h), components of any length, case and
 * repertoire.  Strict where a path could leave the file-set: a component
 * that is empty (a leading or doubled backslash: an absolute path), "."
 * or "..", or holds a '/', a NUL or another control character makes its
 * record refused (kept with why set, never given a path).  A Deflated
 * DICOMDIR is refused whole: PS3.10 8.6 does not allow it.
 *
 * Bounded: the caller reads at most DICOMDIR_FILE_MAX bytes; at most
 * DICOMDIR_REFS_MAX references; a Referenced File ID over DICOMDIR_ID_MAX
 * bytes is refused; nesting as core/ds_walk.h bounds it.
 *
 * No I/O, no printing: bytes in, a list of relative paths out.
 * Ownership: struct dicomdir owns its references and their text;
 * strings returned live until dicomdir_release.
 */
#ifndef CS_DCMFILE_DICOMDIR_H
#define CS_DCMFILE_DICOMDIR_H

#include <stddef.h>
#include <stdint.h>

#include "cstore/cstore.h"
#include "core/buf.h"

/* The largest DICOMDIR a caller should read (a full DVD's is tens of
 * MB: a few hundred bytes per record). */
#define DICOMDIR_FILE_MAX ((uint64_t)256 << 20)
/* The most references one DICOMDIR may hold. */
#define DICOMDIR_REFS_MAX 1000000u
/* The longest Referenced File ID value taken (PS3.10: 8 components of 8
 * characters; CS allows 16 each: 135 bytes). */
#define DICOMDIR_ID_MAX 1024u

/* Why a record's Referenced File ID is not followed (dicomdir_ref.why). */
enum dicomdir_why {
	DICOMDIR_OK = 0,
	DICOMDIR_EMPTY_COMPONENT, /* leading, trailing or doubled backslash */
	DICOMDIR_DOT,             /* a "." or ".." component */
	DICOMDIR_SLASH,           /* a '/' inside a component */
	DICOMDIR_CONTROL,         /* NUL or another control character */
	DICOMDIR_TOO_LONG         /* over DICOMDIR_ID_MAX bytes, or a
	                             component over 255 (NAME_MAX) */
};

/* One record with a Referenced File ID. */
struct dicomdir_ref {
	uint64_t offset; /* file offset of the record's item */
	size_t text;     /* private: where its text starts */
	enum dicomdir_why why;
	/* Directory Record Type (0004,1430), trimmed, at most 16 bytes,
	 * '?' for any byte outside printable ASCII */
	char type[17];
};

struct dicomdir {
	struct dicomdir_ref *ref; /* n references, in file order */
	size_t n, cap;
	size_t records;  /* directory records read */
	size_t inactive; /* of them, with Record In-use Flag 0000H: skipped */
	char ts_uid[65]; /* the encoding the records were read in */
	struct wr text;  /* private */
};

/* Starts an empty result (allocates nothing). */
void dicomdir_init(struct dicomdir *dd);
/* Frees what dd holds; dd may be initialised again.  NULL-safe. */
void dicomdir_release(struct dicomdir *dd);

/*
 * Reads the size bytes at p (a whole DICOMDIR file) into dd (released
 * and initialised first).  Returns 0, or a negative code with detail in
 * err (dd then holds what was read up to there, for the caller to
 * drop):
 *   CS_E_NOTDICOM     not a DICOM file, or not a DICOMDIR (its Media
 *                     Storage SOP Class UID says what it is);
 *   CS_E_UNSUPPORTED  Deflated, or a transfer syntax whose encoding is
 *                     unknown, or an Implicit VR data set under an
 *                     explicit one (PART10_F_TS_NONE);
 *   CS_E_TRUNCATED    it ends inside an element or a sequence;
 *   CS_E_PROTO        malformed (an element overrunning its item...);
 *   CS_E_TOOBIG       nesting past DS_WALK_MAX_SEQUENCES, more than
 *                     DICOMDIR_REFS_MAX references, or size over
 *                     DICOMDIR_FILE_MAX;
 *   CS_E_NOMEM.
 */
int dicomdir_parse(
    const void *p, size_t size, struct dicomdir *dd, struct cs_err *err);

/*
 * Reference i's path (i < dd->n): for DICOMDIR_OK the components joined
 * with '/' ("DICOM/ST1/IM1"), relative to the DICOMDIR's directory;
 * otherwise the value as recorded, bytes outside printable ASCII as
 * \xNN, for a message only.  Valid until dicomdir_release.
 */
const char *dicomdir_path(const struct dicomdir *dd, size_t i);

/* A short static text for why ("a '..' component"), "" for DICOMDIR_OK. */
const char *dicomdir_why_text(enum dicomdir_why why);

#endif
