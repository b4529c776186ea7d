/*
 * source.c - the inputs as planning found them: opened and probed once,
 * the descriptor kept (within a budget) and the header remembered until
 * the file is sent (source.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/alloc.h"
#include "dcmfile/infile.h"
#include "storescu/propose.h"
#include "storescu/source.h"
#include "core/banned.h"

static uint32_t
intern(struct intern *in, const char *s)
{
	size_t v = in->n, len = strlen(s);
	char *copy;
	int rc;

	rc = strmap_put(&in->map, s, len, &v);
	if (rc == 0)
		return (uint32_t)v;
	if (rc < 0)
		return SOURCE_NONE;
	if (in->n == in->cap) {
		size_t cap = in->cap ? in->cap * 2 : 64;
		char **p = cs_realloc(in->str, cap * sizeof(*p));

		if (p == NULL)
			return SOURCE_NONE;
		in->str = p;
		in->cap = cap;
	}
	copy = cs_malloc(len + 1);
	if (copy == NULL)
		return SOURCE_NONE;
	memcpy(copy, s, len + 1);
	in->str[in->n] = copy;
	return (uint32_t)in->n++;
}

static void
intern_release(struct intern *in)
{
	size_t i;

	for (i = 0; i < in->n; i++)
		cs_free(in->str[i]);
	cs_free(in->str);
	strmap_release(&in->map);
}

/* How many descriptors planning may keep open: a quarter of what the
 * process may open, so that sockets, transcoding and the caller's own
 * files still have room. */
static size_t
keep_budget(void)
{
	struct rlimit rl;
	size_t n;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY)
		return 256;
	n = (size_t)(rl.rlim_cur / 4);
	return n < SOURCES_KEEP_MAX ? n : SOURCES_KEEP_MAX;
}

/* Changes this close before a probe may not show in the file's times. */
#define RACY_NS ((int64_t)2000000000)

int
sources_init(
    struct sources *src, const char *const *paths, size_t n, struct cs_err *err)
{
	size_t i;

	memset(src, 0, sizeof(*src));
	strmap_init(&src->in.map);
	src->paths = paths;
	src->n = n;
	src->keep_max = keep_budget();
	src->racy_ns = RACY_NS;
	src->s = cs_calloc(n ? n : 1, sizeof(*src->s));
	if (src->s == NULL)
		return cs_err_set(err, CS_E_NOMEM, "out of memory");
	for (i = 0; i < n; i++) {
		src->s[i].cls = src->s[i].ts = src->s[i].meta_cls = SOURCE_NONE;
		src->s[i].meta_ts = SOURCE_NONE;
		src->s[i].fd = -1;
	}
	return 0;
}

void
sources_release(struct sources *src)
{
	size_t i;

	for (i = 0; src->s != NULL && i < src->n; i++) {
		if (src->s[i].fd >= 0)
			close(src->s[i].fd);
		cs_free(src->s[i].instance);
	}
	cs_free(src->s);
	src->s = NULL;
	if (src->arena != NULL)
		munmap(src->arena, src->arena_cap);
	src->arena = NULL;
	intern_release(&src->in);
}

static int64_t
ns_of(struct timespec t)
{
	return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

/* The file system's clock (file times are taken from the coarse one). */
static int64_t
fs_now_ns(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_REALTIME_COARSE, &ts) != 0)
		return INT64_MAX; /* every file racy: read again */
	return ns_of(ts);
}

/*
 * Is fd (input i's, open now) still the file planning probed?  Not to
 * be trusted when the file had changed shortly before it was probed: a
 * change in the same tick of the file system's clock (a jiffy; 2 s on
 * FAT) leaves the times as they were, so such a file is read again.
 */
static int
same_file(const struct source *s, int fd)
{
	struct stat st;

	return !s->racy && fstat(fd, &st) == 0 &&
	    (uint64_t)st.st_dev == s->dev && (uint64_t)st.st_ino == s->ino &&
	    (uint64_t)st.st_size == s->bytes &&
	    ns_of(st.st_mtim) == s->mtime_ns &&
	    ns_of(st.st_ctim) == s->ctime_ns;
}

/* Records what planning needs later of a probed input. */
static int
record(struct sources *src, struct source *s, const struct stat *st,
    int64_t t0_ns, const struct part10_info *info, struct cs_err *err)
{
	size_t len = strlen(info->sop_instance);
	int64_t last;

	s->cls = intern(&src->in, info->sop_class);
	s->ts = intern(&src->in, info->ts_uid);
	if (info->flags & PART10_F_CLASS_MISMATCH)
		s->meta_cls = intern(&src->in, info->meta_sop_class);
	if (info->flags & PART10_F_TS_MISMATCH)
		s->meta_ts = intern(&src->in, info->meta_ts_uid);
	s->instance = cs_malloc(len + 1);
	if (s->cls == SOURCE_NONE || s->ts == SOURCE_NONE ||
	    s->instance == NULL ||
	    ((info->flags & PART10_F_CLASS_MISMATCH) &&
		s->meta_cls == SOURCE_NONE) ||
	    ((info->flags & PART10_F_TS_MISMATCH) && s->meta_ts == SOURCE_NONE))
		return cs_err_set(err, CS_E_NOMEM, "out of memory");
	memcpy(s->instance, info->sop_instance, len + 1);
	s->flags = info->flags;
	s->bytes = info->file_size;
	s->ds_off = info->dataset_offset;
	s->ds_len = info->dataset_length;
	s->dev = (uint64_t)st->st_dev;
	s->ino = (uint64_t)st->st_ino;
	s->mtime_ns = ns_of(st->st_mtim);
	s->ctime_ns = ns_of(st->st_ctim);
	s->nlink = (uint32_t)st->st_nlink;
	s->mode = (uint32_t)st->st_mode;
	s->uid = (uint32_t)st->st_uid;
	s->gid = (uint32_t)st->st_gid;
	/* a write sets the modification time to the clock's tick: one
	 * after planning shows unless it falls in the tick of the last
	 * (the times were taken before the header was read: a change
	 * while it was read shows in ctime at sending).  The change time
	 * too: a file whose modification time was put back (cp -p,
	 * touch -d) may have been written in this tick all the same, and
	 * a rewrite in it would then leave both times as they are */
	last = s->mtime_ns > s->ctime_ns ? s->mtime_ns : s->ctime_ns;
	s->racy = last >= t0_ns - src->racy_ns;
	return 0;
}

/* The arena's pages are taken this many at a time, ahead of the
 * windows (one madvise for 64 small files, where a page fault each cost
 * more); a data set this long at most is sent from memory (pump.c) and
 * keeps its first bytes. */
#define ARENA_CHUNK ((size_t)256 * 1024)
#define KEEP_DS_MAX ((uint64_t)1 << 20)

/* Takes the n bytes of pages at p at once; 0, or -1 (not done). */
static int
populate(uint8_t *p, size_t n)
{
#ifdef MADV_POPULATE_WRITE
	return madvise(p, n, MADV_POPULATE_WRITE);
#else
	(void)p;
	(void)n;
	return -1;
#endif
}

/* The window the probe of an input whose descriptor is kept reads
 * through (SOURCES_PRE bytes of the arena's free room), or NULL: its
 * bytes are not kept. */
static uint8_t *
keep_room(struct sources *src)
{
	void *m;

	if (src->kept >= src->keep_max)
		return NULL;
	if (src->arena == NULL) {
		/* reserved for every input that may keep its descriptor */
		src->arena_cap =
		    (src->n < src->keep_max ? src->n : src->keep_max) *
		    SOURCES_PRE;
		m = mmap(NULL, src->arena_cap, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (m == MAP_FAILED) {
			src->arena_cap = 0;
			src->keep_max = src->kept; /* nor the descriptors */
			return NULL;
		}
		src->arena = m;
	}
	if (src->arena_cap - src->arena_used < SOURCES_PRE)
		return NULL;
	if (src->arena_used + SOURCES_PRE > src->arena_ready) {
		size_t n = src->arena_cap - src->arena_ready;

		if (n > ARENA_CHUNK)
			n = ARENA_CHUNK;
		/* before Linux 5.14: the pages are taken as written */
		if (populate(src->arena + src->arena_ready, n) != 0)
			n = src->arena_cap - src->arena_ready;
		src->arena_ready += n;
	}
	return src->arena + src->arena_used;
}

/* Keeps the data set's part of the got bytes from the file's start the
 * probe of s left in its window, the arena's free room (the meta's part
 * is not kept: the next probe's window starts after the data set's),
 * unless the data set is sent from the file (too long to be read). */
static void
keep_prefix(struct sources *src, struct source *s, size_t got)
{
	uint64_t n;

	s->pre_len = 0;
	if (s->racy || s->ds_off >= got || s->ds_len > KEEP_DS_MAX)
		return;
	n = got - s->ds_off;
	if (n > s->ds_len)
		n = s->ds_len;
	s->pre_at = (uint32_t)(src->arena_used + s->ds_off);
	s->pre_len = (uint32_t)n;
	src->arena_used = s->pre_at + (size_t)n;
}

int
sources_probe(struct sources *src, size_t i, struct cs_err *err)
{
	struct source *s = &src->s[i];
	struct part10_info info;
	int64_t t0 = fs_now_ns();
	struct stat st;
	uint8_t *room;
	size_t got = 0;
	int fd, rc;

	/* the times before the header is read: a change while it is read
	 * shows at sending */
	fd = infile_open_stat(src->paths[i], &st, err);
	if (fd < 0)
		return fd;
	room = keep_room(src);
	if (room != NULL)
		rc = part10_probe_fd_keep(fd, (uint64_t)st.st_size,
		    PART10_O_VERIFY, &info, room, &got, err);
	else
		rc = part10_probe_fd_size(
		    fd, (uint64_t)st.st_size, PART10_O_VERIFY, &info, err);
	if (rc == 0 &&
	    (!propose_uid_valid(info.sop_class) ||
		!propose_uid_valid(info.sop_instance) ||
		!propose_uid_valid(info.ts_uid)))
		rc = cs_err_set(err, CS_E_NOTDICOM,
		    "invalid SOP Class, SOP Instance or Transfer Syntax UID");
	/* sent as the meta says, a peer would misread it */
	if (rc == 0 && (info.flags & PART10_F_TS_NONE))
		rc = cs_err_set(err, CS_E_NOTDICOM, "%s", PART10_TS_NONE_WHY);
	if (rc == 0 && (info.flags & PART10_F_PIXEL_MISMATCH))
		rc = cs_err_set(
		    err, CS_E_NOTDICOM, "%s", part10_pixel_why(&info));
	if (rc == 0)
		rc = record(src, s, &st, t0, &info, err);
	if (rc != 0) {
		s->cls = s->ts = SOURCE_NONE;
		close(fd);
		return rc;
	}
	if (src->kept < src->keep_max) {
		s->fd = fd;
		src->kept++;
		if (room != NULL)
			keep_prefix(src, s, got);
	} else {
		close(fd);
	}
	return 0;
}

void
sources_drop(struct sources *src, size_t i)
{
	struct source *s = &src->s[i];

	if (s->fd >= 0) {
		close(s->fd);
		s->fd = -1;
		src->kept--;
	}
	s->cls = s->ts = SOURCE_NONE;
	s->pre_len = 0;
}

const char *
sources_class(const struct sources *src, size_t i)
{
	return src->s[i].cls == SOURCE_NONE ? "" : src->in.str[src->s[i].cls];
}

const char *
sources_ts(const struct sources *src, size_t i)
{
	return src->s[i].ts == SOURCE_NONE ? "" : src->in.str[src->s[i].ts];
}

const char *
sources_instance(const struct sources *src, size_t i)
{
	return src->s[i].cls == SOURCE_NONE || src->s[i].instance == NULL
	    ? ""
	    : src->s[i].instance;
}

void
sources_prefetch(struct sources *src, size_t i, int advise)
{
	struct source *s = &src->s[i];

	if (s->fd < 0)
		s->fd = infile_open(src->paths[i], NULL);
	if (s->fd >= 0 && advise)
		(void)posix_fadvise(s->fd, 0, 0, POSIX_FADV_WILLNEED);
}

/* The header planning recorded, as the prober would give it again: the
 * fields the sender uses (UIDs, flags, where the data set lies). */
static void
recorded_info(
    const struct sources *src, const struct source *s, struct part10_info *info)
{
	memset(info, 0, sizeof(*info));
	info->kind = s->ds_off > 0 ? PART10_FILE : PART10_BARE;
	info->flags = s->flags;
	memcpy(info->sop_class, src->in.str[s->cls],
	    strlen(src->in.str[s->cls]) + 1);
	memcpy(
	    info->ts_uid, src->in.str[s->ts], strlen(src->in.str[s->ts]) + 1);
	memcpy(info->sop_instance, s->instance, strlen(s->instance) + 1);
	if (s->meta_cls != SOURCE_NONE)
		memcpy(info->meta_sop_class, src->in.str[s->meta_cls],
		    strlen(src->in.str[s->meta_cls]) + 1);
	if (s->meta_ts != SOURCE_NONE)
		memcpy(info->meta_ts_uid, src->in.str[s->meta_ts],
		    strlen(src->in.str[s->meta_ts]) + 1);
	info->dataset_offset = s->ds_off;
	info->dataset_length = s->ds_len;
	info->file_size = s->bytes;
}

int
sources_take(
    struct sources *src, size_t i, struct part10_info *info, struct cs_err *err)
{
	struct source *s = &src->s[i];
	struct stat st;
	int fd = s->fd, rc;

	s->fd = -1;
	if (fd < 0)
		fd = infile_open(src->paths[i], err);
	if (fd < 0)
		return fd;
	if (s->cls != SOURCE_NONE && same_file(s, fd)) {
		recorded_info(src, s, info);
		return fd;
	}
	/* what planning kept is not this file's now */
	s->pre_len = 0;
	s->reprobed = 1;
	/* changed since planning (or never planned): what is there now,
	 * walked to its end as planning walks it, so that a file cut
	 * short meanwhile is reported truncated, never sent as it is */
	rc = part10_probe_fd(fd, PART10_O_VERIFY, info, err);
	if (rc != 0) {
		close(fd);
		return rc;
	}
	/* the file sent, if another than planning's */
	if (fstat(fd, &st) == 0) {
		s->dev = (uint64_t)st.st_dev;
		s->ino = (uint64_t)st.st_ino;
	}
	return fd;
}

int
sources_take_unchecked(
    struct sources *src, size_t i, struct part10_info *info, struct cs_err *err)
{
	struct source *s = &src->s[i];
	int fd = s->fd;

	if (s->cls == SOURCE_NONE || s->racy)
		return sources_take(src, i, info, err);
	s->fd = -1;
	if (fd < 0)
		fd = infile_open(src->paths[i], err);
	if (fd >= 0)
		recorded_info(src, s, info);
	return fd;
}

static struct timespec
timespec_of(int64_t ns)
{
	struct timespec t = { (time_t)(ns / 1000000000),
		(long)(ns % 1000000000) };

	if (t.tv_nsec < 0) { /* before 1970 */
		t.tv_nsec += 1000000000;
		t.tv_sec--;
	}
	return t;
}

int
sources_known_stat(const struct sources *src, size_t i, struct stat *st)
{
	const struct source *s = &src->s[i];

	if (s->cls == SOURCE_NONE || s->reprobed)
		return 0;
	memset(st, 0, sizeof(*st));
	st->st_dev = (dev_t)s->dev;
	st->st_ino = (ino_t)s->ino;
	st->st_size = (off_t)s->bytes;
	st->st_mtim = timespec_of(s->mtime_ns);
	st->st_ctim = timespec_of(s->ctime_ns);
	st->st_nlink = (nlink_t)s->nlink;
	st->st_mode = (mode_t)s->mode;
	st->st_uid = (uid_t)s->uid;
	st->st_gid = (gid_t)s->gid;
	return 1;
}

int
sources_unchanged(struct sources *src, size_t i, int fd)
{
	struct source *s = &src->s[i];

	if (s->cls != SOURCE_NONE && same_file(s, fd))
		return 1;
	s->pre_len = 0; /* not the file's now: read it whole */
	return 0;
}

void
sources_file_id(
    const struct sources *src, size_t i, uint64_t *dev, uint64_t *ino)
{
	*dev = src->s[i].dev;
	*ino = src->s[i].ino;
}

void
sources_untake(struct sources *src, size_t i, int fd)
{
	struct source *s = &src->s[i];

	if (fd < 0)
		return;
	if (s->fd >= 0)
		close(fd);
	else
		s->fd = fd;
}

const uint8_t *
sources_prefix(const struct sources *src, size_t i, size_t *len)
{
	const struct source *s = &src->s[i];

	*len = s->cls == SOURCE_NONE || s->racy ? 0 : s->pre_len;
	return *len > 0 ? src->arena + s->pre_at : NULL;
}
