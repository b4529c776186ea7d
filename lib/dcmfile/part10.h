/*
 * part10.h - the DICOM file prober and the File Meta Information writer.
 *
 * The prober reads only what a sender needs from a DICOM file: the kind
 * (Part 10 with or without preamble, or a bare dataset), the transfer
 * syntax, the dataset's SOP Class and SOP Instance UIDs, the meta
 * header's UIDs, and where the dataset starts.  It never reads the whole
 * file: bytes come through a 4 KB window, values it does not need are
 * skipped by length, and it stops after (0008,0018) unless asked to
 * verify the whole top level.  A Deflated dataset (PS3.5 A.5) is
 * inflated on the fly, only as far as needed.
 *
 * The same parser runs over a memory buffer (part10_probe_mem: no I/O,
 * used by the fuzz target and the unit tests) and over a file
 * (part10_probe_path / part10_probe_fd: pread).
 *
 * Ownership: every pointer argument is borrowed for the call; struct
 * part10_info holds copies and owns nothing.
 */
#ifndef CS_DCMFILE_PART10_H
#define CS_DCMFILE_PART10_H

#include <stddef.h>
#include <stdint.h>

#include "cstore/cstore.h"
#include "core/buf.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The prober reads through a window of this many bytes. */
#define PART10_WIN 4096
/* PS3.5 9.1: a UID has at most 64 characters. */
#define PART10_UID_MAX 64
/* PS3.5 6.2: AE and SH values have at most 16 characters. */
#define PART10_SH_MAX 16

enum part10_kind {
	PART10_FILE = 1, /* File Meta Information present (PS3.10 7.1) */
	PART10_BARE = 2  /* a dataset alone, no preamble and no meta */
};

/* part10_info.flags */
#define PART10_F_NO_PREAMBLE 0x001u       /* meta at offset 0, no 128+4 bytes */
#define PART10_F_CLASS_MISMATCH 0x002u    /* meta (0002,0002) != (0008,0016) */
#define PART10_F_INSTANCE_MISMATCH 0x004u /* (0002,0003) != (0008,0018) */
#define PART10_F_CLASS_FROM_META 0x008u   /* dataset lacks (0008,0016) */
#define PART10_F_INSTANCE_FROM_META 0x010u /* dataset lacks (0008,0018) */
#define PART10_F_GROUP_LENGTH 0x020u       /* (0002,0000) absent or wrong */
/* the data set is not encoded as the meta says: ts_uid is the native
 * syntax the bytes are in (meta_ts_uid the meta's), or with
 * PART10_F_TS_NONE, the meta's: an Implicit VR data set under a syntax
 * that must be Explicit VR (encapsulated, deflated: PS3.5 A.4), which no
 * transfer syntax describes */
#define PART10_F_TS_MISMATCH 0x040u
#define PART10_F_TS_DETECTED 0x080u /* ts_uid guessed from the dataset bytes */
#define PART10_F_VERIFIED 0x100u    /* whole top level walked to the end */
#define PART10_F_TS_NONE 0x200u     /* see PART10_F_TS_MISMATCH */
/* a group length (gggg,0000) among the top-level elements walked (with
 * PART10_O_VERIFY: all of them), which a conversion drops */
#define PART10_F_DS_GROUP_LENGTH 0x400u
/* a second File Meta Information group after the first (an element of
 * group 0002 read already came again): its elements are skipped, neither
 * taken for the data set's nor part of it; the first group's values stand */
#define PART10_F_META_REPEATED 0x800u
/* the top-level Pixel Data is not what the transfer syntax says
 * (verifying probe): native under an encapsulated syntax, or fragments
 * (undefined length) under a native one (PS3.5 A.4), which a peer would
 * misread; part10_pixel_why says which */
#define PART10_F_PIXEL_MISMATCH 0x1000u
/* What a PART10_F_META_REPEATED file's line says. */
#define PART10_META_REPEATED_NOTE                                              \
	"File Meta Information repeated after its end (a second group "        \
	"0002): the first one's transfer syntax and UIDs used, the second "    \
	"not sent"
/* Why a PART10_F_TS_NONE file cannot be sent or converted. */
#define PART10_TS_NONE_WHY                                                     \
	"the data set is Implicit VR, which its meta "                         \
	"header's transfer syntax cannot be (PS3.5 A.4): no transfer syntax "  \
	"describes it"


/* part10_probe_* opts */
/*
 * Walk every top-level element to the end of the dataset and fail with
 * CS_E_TRUNCATED unless the last one ends exactly at the end of the
 * file.  Costs one skip per element (no value is read).  A Deflated
 * dataset is inflated whole for it (at most PART10_INFLATED_MAX bytes):
 * its stream cut anywhere is CS_E_TRUNCATED, as the transcoder says.
 * What follows the stream's end is not looked at (a pad byte, zeros, or
 * the gzip trailer some writers add).
 */
#define PART10_O_VERIFY 0x1u
/* The most a Deflated dataset may inflate to, for the verifying probe
 * and the transcoder alike. */
#define PART10_INFLATED_MAX ((uint64_t)1 << 32)
/*
 * Stop after the File Meta Information when it holds (0002,0003): the
 * dataset is not read, sop_class and sop_instance are the meta's, and
 * nothing about the dataset is checked.  A file without it is probed
 * as usual.  For "which instance is this file?" at the cost of the
 * first few hundred bytes.
 */
#define PART10_O_META_ONLY 0x2u

struct part10_info {
	enum part10_kind kind;
	unsigned flags;                        /* PART10_F_* */
	char ts_uid[PART10_UID_MAX + 1];       /* meta's, or detected (bare,
	                                           PART10_F_TS_MISMATCH) */
	char sop_class[PART10_UID_MAX + 1];    /* dataset's, else the meta's */
	char sop_instance[PART10_UID_MAX + 1]; /* dataset's, else the meta's */
	char meta_sop_class[PART10_UID_MAX + 1];    /* (0002,0002) or "" */
	char meta_sop_instance[PART10_UID_MAX + 1]; /* (0002,0003) or "" */
	char impl_class_uid[PART10_UID_MAX + 1];    /* (0002,0012) or "" */
	char impl_version[PART10_SH_MAX + 1];       /* (0002,0013) or "" */
	char source_ae[PART10_SH_MAX + 1];          /* (0002,0016) or "" */
	char meta_ts_uid[PART10_UID_MAX + 1];       /* (0002,0010) or "" */
	uint64_t meta_offset;    /* first byte of group 0002 (132 or 0) */
	uint64_t dataset_offset; /* first byte after the meta (0 if bare) */
	uint64_t dataset_length; /* file_size - dataset_offset, less zero
	                            padding after its last element
	                            (PART10_O_VERIFY, not Deflated) */
	uint64_t file_size;
};

/*
 * Probes the size bytes at p as a DICOM file.  Fills *info (cleared
 * first) and returns 0, or returns a negative code with detail in err:
 *   CS_E_NOTDICOM   not DICOM, or a required value is invalid
 *                   (no SOP Class UID anywhere, UID over 64 bytes...);
 *   CS_E_TRUNCATED  the data ends inside the meta or inside an element,
 *                   or a Deflated dataset's stream is cut short;
 *   CS_E_TOOBIG     more than DS_WALK_MAX_SEQUENCES (128) sequences nested,
 *                   or a Deflated dataset inflating past 64 MiB before
 *                   its UIDs (past PART10_INFLATED_MAX in all,
 *                   verifying);
 *   CS_E_NOMEM      zlib could not allocate.
 * opts: 0, PART10_O_VERIFY or PART10_O_META_ONLY.  No I/O, no allocation except zlib's.
 */
int part10_probe_mem(const void *p, size_t size, unsigned opts,
    struct part10_info *info, struct cs_err *err);

/*
 * Same over an open file descriptor, read with pread from offset 0
 * (the descriptor's offset is not used or moved).  Adds CS_E_IO (with
 * strerror text) for a failed fstat/pread.
 */
int part10_probe_fd(
    int fd, unsigned opts, struct part10_info *info, struct cs_err *err);
/* part10_probe_fd of a regular file whose size the caller has just
 * taken (fstat): no second fstat. */
int part10_probe_fd_size(int fd, uint64_t size, unsigned opts,
    struct part10_info *info, struct cs_err *err);
/*
 * part10_probe_fd_size reading through the caller's window, win (at
 * least PART10_WIN bytes), where its first read from offset 0 goes:
 * *kept says how many bytes of the file from offset 0 on win holds when
 * it returns (0: none, the probe read on past its first read, or
 * inflated), whatever the return, so the caller may keep them instead
 * of reading them again.
 */
int part10_probe_fd_keep(int fd, uint64_t size, unsigned opts,
    struct part10_info *info, uint8_t *win, size_t *kept, struct cs_err *err);

/*
 * Same over a path: opens it read-only, probes, closes.  CS_E_IO names
 * the path when it cannot be opened, is a directory, or fails to read.
 */
int part10_probe_path(const char *path, unsigned opts, struct part10_info *info,
    struct cs_err *err);

/*
 * Appends a Part 10 header to w (PS3.10 7.1): the 128-byte zero
 * preamble, "DICM", then group 0002 in Explicit VR Little Endian with
 * its group length (0002,0000), version 00\01 (0002,0001),
 * (0002,0002) sop_class, (0002,0003) sop_instance, (0002,0010) ts_uid,
 * (0002,0012) impl_uid, and, when not NULL or empty, (0002,0013)
 * impl_version and (0002,0016) source_ae.  UIDs are padded with NUL to
 * even length, SH/AE values with a space (PS3.5 6.2).
 * The UIDs must be 1..64 characters of digits and dots; impl_version
 * and source_ae at most 16 characters, no backslash or control
 * character.  Returns the number of bytes appended, or CS_E_INVAL (bad
 * argument; w is unchanged) or the writer's latched CS_E_TOOBIG /
 * CS_E_NOMEM (w's err stays set).
 */
int part10_write_meta(struct wr *w, const char *sop_class,
    const char *sop_instance, const char *ts_uid, const char *impl_uid,
    const char *impl_version, const char *source_ae, struct cs_err *err);

/* Returns a static short name for the kind: "part10", "bare" or "?". */
const char *part10_kind_name(enum part10_kind kind);

/*
 * What info's data set lacks that only its meta header names, the SOP
 * Class UID, the SOP Instance UID or both, as a note for its line into
 * buf ("no 'SOP Class UID' (0008,0016) in the data set: sent under the
 * meta header's 1.2..."), truncated to cap; "" when it lacks neither,
 * and for a DICOMDIR, whose data set holds neither.  Returns strlen.
 */
size_t part10_uid_gap(const struct part10_info *info, char *buf, size_t cap);

/* Why a PART10_F_PIXEL_MISMATCH file cannot be sent: one line. */
const char *part10_pixel_why(const struct part10_info *info);

#ifdef __cplusplus
}
#endif
#endif
