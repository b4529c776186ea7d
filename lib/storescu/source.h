/*
 * source.h - the sender's inputs as planning found them (internal to
 * libstorescu).  Planning opens and probes every input once
 * (sources_probe); sending takes that descriptor and header
 * (sources_take) instead of opening and reading the file again.
 *
 * Descriptors stay open from planning to sending within a budget (a
 * quarter of RLIMIT_NOFILE, at most SOURCES_KEEP_MAX); an input beyond
 * it is opened again by name when its turn comes, but not read again.
 * An input that keeps its descriptor also keeps what the probe read of
 * its data set (sources_prefix: the first read's 4 KiB less the meta),
 * so that sending reads only the rest.
 * What was planned is what is sent: before a kept header is used, the
 * file must still be the one probed (device, inode, size, modification
 * and change times); a file changed since is probed afresh, as sending
 * always did, and so is one modified or changed (its mtime or ctime)
 * less than 2 s before planning probed it (a change within one tick of
 * the file system's clock would not show in its times; a file whose
 * mtime was put back, by cp -p or touch -d, may still have been written
 * in that tick).  A kept descriptor is the file planning
 * probed: one replaced under its name since (a new inode) is sent as it
 * was; one opened again by name is checked against that inode, and
 * probed afresh when it is another file.
 *
 * Thread use: sources_probe and sources_release from one thread; after
 * planning, lanes call sources_prefetch / sources_take concurrently for
 * distinct inputs (each input belongs to one association).
 */
#ifndef CS_STORESCU_SOURCE_H
#define CS_STORESCU_SOURCE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include "cstore/cstore.h"
#include "cstore/storescu.h"
#include "dcmfile/part10.h"
#include "core/strmap.h"

#define SOURCE_NONE UINT32_MAX
#define SOURCES_KEEP_MAX STORESCU_KEEP_MAX
/* What planning keeps of a file with its descriptor: the data set's
 * part of the bytes its probe read first, out of at most this many from
 * the file's start (part10.c's window), so at most SOURCES_PRE bytes per
 * kept descriptor (16 MiB at SOURCES_KEEP_MAX). */
#define SOURCES_PRE PART10_WIN

/* One input: interned UIDs, where its data set lies, what file it was. */
struct source {
	uint32_t cls, ts;  /* SOURCE_NONE: not planned (reported already) */
	uint32_t meta_cls; /* (0002,0002) when it differs, else SOURCE_NONE */
	uint32_t meta_ts;  /* (0002,0010) when it differs, else SOURCE_NONE */
	unsigned flags;    /* PART10_F_* */
	int fd;            /* open since planning or prefetched, or -1 */
	char *instance;    /* SOP Instance UID (owned) */
	uint64_t bytes;    /* file size */
	uint64_t ds_off, ds_len;
	uint64_t dev, ino;
	int64_t mtime_ns, ctime_ns;
	uint32_t nlink, mode, uid, gid; /* planning's, for --remove-sent */
	int racy;     /* changed just before planning: read it again */
	int reprobed; /* sources_take read it afresh: planning's is stale */
	/* the data set's first bytes as planning read them (the arena),
	 * pre_len 0: none kept */
	uint32_t pre_at, pre_len;
};

/* Distinct UID strings (few: classes and syntaxes). */
struct intern {
	struct strmap map;
	char **str;
	size_t n, cap;
};

struct sources {
	const char *const *paths; /* borrowed */
	size_t n;
	struct source *s;
	struct intern in;
	size_t kept, keep_max; /* descriptors kept open by planning */
	/* a file modified or changed this close before its probe is racy
	 * (2 s; a unit test sets it below 0 to trust a file just copied) */
	int64_t racy_ns;
	/* the kept bytes: SOURCES_PRE per input that may keep its
	 * descriptor, reserved at the first probe, arena_used of them taken
	 * (sources_prefix), arena_ready of them paged in */
	uint8_t *arena;
	size_t arena_used, arena_ready, arena_cap;
};

/* Sets up n inputs, none probed.  Returns 0 or CS_E_NOMEM. */
int sources_init(struct sources *src, const char *const *paths, size_t n,
    struct cs_err *err);
/* Closes what is still open and frees; NULL-safe contents. */
void sources_release(struct sources *src);

/*
 * Opens input i (never blocking: no FIFO), probes it to the end of its
 * top level (PART10_O_VERIFY) and records it.  Returns 0, or:
 * CS_E_NOMEM (give up), or the prober's code with err (CS_E_IO,
 * CS_E_NOTDICOM -- also for an invalid UID --, CS_E_TRUNCATED...):
 * input i is not planned.
 */
int sources_probe(struct sources *src, size_t i, struct cs_err *err);

/* Input i, probed, is not to be planned after all: its descriptor is
 * closed and it counts as not probed. */
void sources_drop(struct sources *src, size_t i);

/* The interned SOP class / transfer syntax of a planned input, or "". */
const char *sources_class(const struct sources *src, size_t i);
const char *sources_ts(const struct sources *src, size_t i);
/* The SOP Instance UID planning read of input i, or "" (not probed). */
const char *sources_instance(const struct sources *src, size_t i);

/* Input i is next: opens it if its descriptor was not kept and, with
 * advise, asks the kernel to read it ahead.  Failures are left for
 * sources_take. */
void sources_prefetch(struct sources *src, size_t i, int advise);

/*
 * Hands over input i to send: returns its open descriptor (the caller
 * closes it) with its header in *info, from planning when the file is
 * still the one probed, else from a fresh probe.  Returns a negative
 * code with err instead: CS_E_IO (cannot open, not a regular file) and
 * the prober's codes as sources_probe (the descriptor then closed).
 */
int sources_take(struct sources *src, size_t i, struct part10_info *info,
    struct cs_err *err);

/*
 * sources_take without its check (no fstat): planning's header for a
 * planned input not changed just before planning, whatever the file
 * holds now.  Only for a caller that reads the file and then asks
 * sources_unchanged, and takes it again when that says no: what it read
 * and the header are the file's as planned when that says yes.
 */
int sources_take_unchecked(struct sources *src, size_t i,
    struct part10_info *info, struct cs_err *err);

/* The device and inode of the file sources_take last gave for input
 * i (0, 0 before). */
void sources_file_id(
    const struct sources *src, size_t i, uint64_t *dev, uint64_t *ino);

/*
 * 1 with st's device, inode, size, times, links, mode and owner as
 * planning saw them, when the file sources_take last gave for input i
 * is planning's (its check compared them, or it was taken unchecked);
 * 0 when that file was read afresh (the caller then asks fstat): so
 * that taking a file costs no fstat of its own.
 */
int sources_known_stat(const struct sources *src, size_t i, struct stat *st);

/*
 * 1 when fd, input i's as sources_take gave it, is still the file
 * planning probed, unchanged (the check sources_take makes); 0 when it
 * may have changed since (or was just changed before planning, or
 * planning could not trust its header).  For what was read of it ahead
 * of its turn: not sent when it may have changed since.  A no forgets
 * the bytes planning kept of it (sources_prefix).
 */
int sources_unchanged(struct sources *src, size_t i, int fd);

/*
 * Input i was taken (fd, from sources_take) and not sent: its
 * descriptor goes back, so that the next sources_take gives that very
 * file again, as planning probed it, not whatever its name holds then.
 */
void sources_untake(struct sources *src, size_t i, int fd);

/*
 * The first bytes of input i's data set as planning read them (*len of
 * them from the data set's start; NULL and 0 when none were kept: the
 * input's descriptor was not kept, it was changed just before planning,
 * or it was probed afresh since).  Kept with the descriptor, so that the
 * sender reads only the rest: to be sent only when sources_unchanged,
 * asked after the rest is read, says the file is still as planned.
 */
const uint8_t *sources_prefix(const struct sources *src, size_t i, size_t *len);

#endif
