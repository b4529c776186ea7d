/*
 * send_window.c - a batch's files over one established association:
 * each file taken as planning found it (source.h), converted if it must
 * be, sent while up to the granted window of C-STOREs is outstanding
 * (PS3.7 D.3.3.3), and reported once, in file order (send_batch.h).
 */
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/status.h"
#include "core/ts.h"
#include "core/ts_uids.h"
#include "dcmfile/dcmfile.h"
#include "dcmfile/infile.h"
#include "dcmfile/part10.h"
#include "net/net.h"
#include "storescu/send_ahead.h"
#include "storescu/send_batch.h"
#include "storescu/send_convert.h"
#include "core/banned.h"

/*
 * Asks for the next pending input after position cur to be opened and
 * read ahead while the current response is awaited.  Not read ahead
 * when the file sent last was in the page cache whole (s's pump saw
 * it): the next is most likely there too, and asking the kernel to
 * read a file it holds costs it a walk over the file's pages (several
 * microseconds for 128 KiB).  A guess that fails costs one read not
 * overlapped with the wait, and the next files are read ahead again.
 * A converted data set is always in memory: it says nothing of the
 * next file.
 */
static void
read_ahead(struct batch *b, struct scu_session *s, size_t cur)
{
	size_t j;

	for (j = cur + 1; j < b->n; j++)
		if (!b->done[j])
			break;
	if (j >= b->n || j == b->ahead)
		return;
	b->ahead = j;
	sources_prefetch(&b->run->src, b->idx[j],
	    !b->sent_source || !pump_payload_cached(&s->r.pump));
}

static int
transient_status(uint16_t status)
{
	/* PS3.4 B.2.3: A7xx Refused: Out of Resources. */
	return (status & 0xFF00) == 0xA700;
}

/* File j was answered A7xx: is it sent again?  While its requests are
 * under max_sends; with busy_by_progress, while its A7xx answers are
 * that came with nothing else of b stored since the attempt that
 * refused it last ended (the first counts always). */
static int
busy_again(struct batch *b, size_t j)
{
	if (!b->busy_by_progress)
		return b->sends[j] < b->max_sends;
	if (b->busy_counted[j] == 0 || b->stored_n == b->busy_seen[j])
		b->busy_counted[j]++;
	return b->busy_counted[j] < b->max_sends;
}

/* Reports a flight's result as final. */
static void
land(struct batch *b, struct flight *f)
{
	if (f->r.ms == 0)
		f->r.ms = (unsigned)((net_now_us() - f->t0) / 1000);
	if (storescu_outcome_stored(f->r.outcome))
		b->stored_n++;
	/* --commit: a stored result waits for its commitment (commit.h) */
	if (!b->run->o->commit || !storescu_outcome_stored(f->r.outcome) ||
	    commit_hold(&b->held, &f->r) != 0)
		report_emit(&b->run->rep, &f->r, 1);
	b->done[f->j] = 1;
	b->left--;
}

/* What GDCM and its libraries said while converting path: -v notes. */
static void
codec_notes(struct send_run *run, const char *path)
{
	char msgs[2048], *line, *save = NULL;

	if (dcmfile_codec_messages(msgs, sizeof(msgs)) == 0)
		return;
	for (line = strtok_r(msgs, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save))
		report_note(&run->rep, "gdcm: '%s': %s", path, line);
}

/* A flight for position j, nothing known yet. */
static void
flight_init(struct batch *b, struct flight *f, size_t j)
{
	f->sent = 0;
	f->mixed = 0;
	f->cut = 0;
	f->early = 0;
	f->j = j;
	f->t0 = net_now_us();
	f->len = 0;
	f->detail[0] = '\0';
	report_result_init(&f->r, &b->run->rep, b->idx[j], STORESCU_STORED);
	f->r.assoc = b->assoc;
	f->r.attempts = b->sends[j] + 1;
	f->r.detail = f->detail;
}

/*
 * Where the meta header and the data set disagree, the data set wins
 * and the detail says so, as it does of a UID only the meta names.  -1
 * (f's outcome set) when no transfer syntax describes the data set:
 * sent, a peer would misread it (a file changed since planning is
 * probed again, so this is checked here too).
 */
static int
probe_notes(struct flight *f)
{
	char gap[2 * PART10_UID_MAX + 160];

	if (f->info.flags & PART10_F_TS_NONE) {
		report_add_detail(f->detail, "%s", PART10_TS_NONE_WHY);
		f->r.outcome = STORESCU_NOTDICOM;
		return -1;
	}
	if (f->info.flags & PART10_F_PIXEL_MISMATCH) {
		report_add_detail(f->detail, "%s", part10_pixel_why(&f->info));
		f->r.outcome = STORESCU_NOTDICOM;
		return -1;
	}
	if (f->info.flags & PART10_F_META_REPEATED)
		report_add_detail(f->detail, "%s", PART10_META_REPEATED_NOTE);
	/* sent under the meta's, which the data set does not contradict */
	if (part10_uid_gap(&f->info, gap, sizeof(gap)) > 0)
		report_add_detail(f->detail, "%s", gap);
	report_meta_notes(f->detail, &f->info, "sent");
	return 0;
}

/* take's answers with a local result */
enum { TAKE_UNOPENED = -1, TAKE_REFUSED = -2 };

static int take(struct batch *b, const struct ul_assoc_params *ac,
    struct flight *f, struct propose_choice *ch, int unchecked);

/*
 * f's file (fd) gets the local result take put in f.  One taken
 * unchecked is checked first: changed since planning, it goes back and
 * is taken again (probed afresh), so that a result is never planning's
 * of a file changed since, and one unchanged is never opened again for
 * a second look.  Returns take's answer.
 */
static int
refused(struct batch *b, const struct ul_assoc_params *ac, struct flight *f,
    struct propose_choice *ch, int fd, int unchecked)
{
	struct sources *src = &b->run->src;

	if (unchecked && !sources_unchanged(src, b->idx[f->j], fd)) {
		sources_untake(src, b->idx[f->j], fd);
		flight_init(b, f, f->j);
		return take(b, ac, f, ch, 0);
	}
	close(fd);
	return TAKE_REFUSED;
}

/*
 * Which file r's input is, as it is taken to be sent: --remove-sent
 * removes it only while its path still leads to that file unwritten.
 */
static void
file_mark(
    const struct sources *src, size_t i, int fd, struct storescu_result *r)
{
	struct stat st;

	/* planning's stat when the take compared it (no fstat of our own:
	 * one per file at open and one at the take, bench's syscall line) */
	if (!sources_known_stat(src, i, &st) && fstat(fd, &st) != 0) {
		sources_file_id(src, i, &r->dev, &r->ino);
		r->mtime_ns = -1; /* unknown: only the inode is compared */
		return;
	}
	r->dev = (uint64_t)st.st_dev;
	r->ino = (uint64_t)st.st_ino;
	r->size = (uint64_t)st.st_size;
	r->mtime_ns =
	    (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
	r->ctime_ns =
	    (int64_t)st.st_ctim.tv_sec * 1000000000 + st.st_ctim.tv_nsec;
	r->nlink = (uint64_t)st.st_nlink;
	r->mode = (uint32_t)st.st_mode;
	r->uid = (uint32_t)st.st_uid;
	r->gid = (uint32_t)st.st_gid;
}

/*
 * Takes f's file (descriptor and header as planning found them) and
 * picks its presentation context among those ac accepted.  Returns the
 * descriptor, or with a local result in f: TAKE_UNOPENED (not opened or
 * not probed: unreadable, truncated...) or TAKE_REFUSED (the file, as
 * checked, cannot go: nocontext, invalid UID...).
 */
static int
take(struct batch *b, const struct ul_assoc_params *ac, struct flight *f,
    struct propose_choice *ch, int unchecked)
{
	struct send_run *run = b->run;
	const struct propose_set *set = b->set;
	struct cs_err e = { 0, "" };
	int fd;

	fd = unchecked
	    ? sources_take_unchecked(&run->src, b->idx[f->j], &f->info, &e)
	    : sources_take(&run->src, b->idx[f->j], &f->info, &e);
	if (fd < 0) {
		report_add_detail(f->detail, "%s", e.msg);
		f->r.outcome = report_probe_outcome(fd);
		return TAKE_UNOPENED;
	}
	f->r.sop_class = f->info.sop_class;
	f->r.sop_instance = f->info.sop_instance;
	f->r.ts_original = f->info.ts_uid;
	file_mark(&run->src, b->idx[f->j], fd, &f->r);
	/* planning keeps no meta instance UID (rarely another): read it */
	if ((f->info.flags & PART10_F_INSTANCE_MISMATCH) &&
	    f->info.meta_sop_instance[0] == '\0') {
		struct part10_info m;

		if (part10_probe_fd(fd, PART10_O_META_ONLY, &m, &e) == 0)
			memcpy(f->info.meta_sop_instance, m.meta_sop_instance,
			    sizeof(f->info.meta_sop_instance));
	}
	if (!propose_uid_valid(f->info.sop_instance)) {
		report_add_detail(f->detail, "invalid SOP Instance UID");
		f->r.outcome = STORESCU_NOTDICOM;
		return refused(b, ac, f, ch, fd, unchecked);
	}
	if (probe_notes(f) != 0)
		return refused(b, ac, f, ch, fd, unchecked);
	if (propose_pick(set->pc, set->n_pc, ac->pc, ac->n_pc,
		f->info.sop_class, f->info.ts_uid, &run->popts, ch) != 0) {
		report_nocontext(&run->popts, ac, set, f->info.sop_class,
		    f->info.ts_uid, f->detail);
		f->r.outcome = STORESCU_NOCONTEXT;
		return refused(b, ac, f, ch, fd, unchecked);
	}
	f->r.ts_sent = ch->ts;
	return fd;
}

/*
 * 1 when f's data set has an odd total length and goes as it is in
 * ch->ts: no PDV can carry it (PS3.8 E.1; DCMTK aborts the association),
 * so its odd-length values are padded (PS3.5 7.1.1), as DCMTK's own
 * sender does when it reads them.  A Deflated one gets its pad byte on
 * the wire instead (start_one).
 */
static int
must_pad(const struct flight *f, const struct propose_choice *ch)
{
	return (f->info.dataset_length & 1) && !ts_is_deflated(ch->ts);
}

/* Converts f's file to ch->ts into tc (padding odd values when the data
 * set has an odd length).  Returns 0, or -1 with a local result
 * (transcodefail) in f. */
static int
convert(struct batch *b, struct flight *f, const struct propose_choice *ch,
    int fd, struct dcmfile_transcoded *tc)
{
	struct send_run *run = b->run;
	const char *path = run->src.paths[b->idx[f->j]];
	struct cs_err e = { 0, "" };
	char note[CS_ERR_MSG_MAX + 256];
	int pad = must_pad(f, ch), rc, changed;

	rc = send_convert_file(fd, path, f->info.ts_uid, ch->ts,
	    run->o->allow_lossy, pad ? SEND_PAD_ODD : SEND_PAD_IF_ODD,
	    f->info.sop_instance, tc, note, sizeof(note), &changed, &e);
	codec_notes(run, path);
	if (changed) {
		/* written to while it was read (send_convert.h) */
		report_add_detail(f->detail, "%s", note);
	} else if (rc != 0 && !ch->transcode) {
		report_add_detail(f->detail,
		    "odd data set length %llu, which no PDV can carry, and "
		    "cannot pad its odd-length values: %s",
		    (unsigned long long)f->info.dataset_length, e.msg);
	} else if (note[0] != '\0') {
		report_add_detail(f->detail, "%s", note);
	}
	if (rc != 0) {
		/* a file that changed while read: its own failure */
		f->r.outcome = !changed    ? STORESCU_TRANSCODE
		    : rc == CS_E_TRUNCATED ? STORESCU_TRUNCATED
					   : STORESCU_UNREADABLE;
		f->r.ts_sent = "";
		return -1;
	}
	f->len = tc->length;
	if (ch->transcode)
		f->r.transcoded = 1; /* else the same syntax: padded only */
	return 0;
}

enum start { START_LOCAL, START_SENT, START_DIED };

/* A file made ready to send: taken, its context picked, converted if it
 * must be; by the lane at its turn or by the worker ahead of it. */
struct prep {
	struct flight f;
	struct propose_choice ch;
	int local; /* 1: f holds a local result, nothing to send */
	int again; /* local: the file was not opened (or not probed): it is
		      tried again at its turn when this was ahead of it */
	int fd;    /* the file as planning found it, or -1 */
	struct dcmfile_transcoded tc; /* tc.fd >= 0: what goes instead */
	uint64_t us;                  /* how long preparing took */
};

/*
 * Decode ahead (send_ahead.h): workers prepare up to AHEAD_DEPTH of the
 * next files while the lane sends, holding at most AHEAD_CAP bytes of
 * converted data sets (and what the conversions under way make); a
 * file above AHEAD_LARGE is converted at its turn, as without it.  As
 * many workers as cores, shared out among the -j lanes (one at least).
 */
#define AHEAD_DEPTH STORESCU_AHEAD_DEPTH
#define AHEAD_CAP ((uint64_t)32 << 20)
#define AHEAD_LARGE ((uint64_t)8 << 20)

struct lane_ahead {
	struct ahead a;
	struct prep item[AHEAD_DEPTH];
	struct batch *b;
	/* the association's A-ASSOCIATE-AC, read by the workers (fixed
	 * once the association is established) */
	const struct ul_assoc_params *ac;
	int tried; /* the workers were started (or could not be) */
	/* dcmfile_codec_threads on the lane's thread and on a worker */
	unsigned codec_lane, codec_worker;
	/* the next file, prepared while a response was awaited (next) */
	struct prep pre;
	int pre_set;
};

/* Takes file j and converts it if it must be, into p; unchecked: as
 * planning found it (sources_take_unchecked), for the next file that
 * is checked at its turn (ready_next).  A file to convert is checked
 * first all the same: a codec is never handed a file planning's header
 * no longer describes (its transfer syntax may have changed). */
static void
prepare(struct batch *b, const struct ul_assoc_params *ac, struct prep *p,
    size_t j, int unchecked)
{
	struct sources *src = &b->run->src;
	uint64_t t0 = net_now_us();

	memset(&p->tc, 0, sizeof(p->tc));
	p->tc.fd = -1;
	p->local = 0;
	p->again = 0;
	flight_init(b, &p->f, j);
	p->fd = take(b, ac, &p->f, &p->ch, unchecked);
	if (unchecked && p->fd >= 0 &&
	    (p->ch.transcode || must_pad(&p->f, &p->ch)) &&
	    !sources_unchanged(src, b->idx[j], p->fd)) {
		/* back, and taken again: probed afresh */
		sources_untake(src, b->idx[j], p->fd);
		flight_init(b, &p->f, j);
		p->fd = take(b, ac, &p->f, &p->ch, 0);
	}
	if (p->fd < 0) {
		p->local = 1;
		p->again = p->fd == TAKE_UNOPENED;
		p->fd = -1;
	} else {
		p->f.len = p->f.info.dataset_length;
		if ((p->ch.transcode || must_pad(&p->f, &p->ch)) &&
		    convert(b, &p->f, &p->ch, p->fd, &p->tc) != 0) {
			close(p->fd);
			p->fd = -1;
			p->local = 1;
		}
	}
	p->us = net_now_us() - t0;
}

/* A pointer of a result into the flight it was made in, moved along. */
static void
move_ptr(const char **ptr, const struct flight *from, struct flight *to)
{
	uintptr_t lo = (uintptr_t)from, q = (uintptr_t)*ptr;

	if (q >= lo && q < lo + sizeof(*from))
		*ptr = (const char *)to + (q - lo);
}

/* The window's flight f from p; its clock counts the preparing, not
 * the wait for its turn. */
static void
flight_from(struct flight *f, const struct prep *p)
{
	*f = p->f;
	move_ptr(&f->r.sop_class, &p->f, f);
	move_ptr(&f->r.sop_instance, &p->f, f);
	move_ptr(&f->r.ts_original, &p->f, f);
	move_ptr(&f->r.ts_sent, &p->f, f);
	move_ptr(&f->r.error_comment, &p->f, f);
	f->r.detail = f->detail;
	f->t0 = net_now_us() - p->us;
}

static int
ahead_want(void *ctx, size_t j)
{
	struct lane_ahead *la = ctx;
	struct batch *b = la->b;

	return !b->done[j] && b->run->src.s[b->idx[j]].bytes <= AHEAD_LARGE;
}

static uint64_t
ahead_prep(void *ctx, size_t j, void *item)
{
	struct lane_ahead *la = ctx;
	struct prep *p = item;

	/* the kernel reads the file while the lane is busy (read_ahead's
	 * job when there is no worker) */
	sources_prefetch(&la->b->run->src, la->b->idx[j], 1);
	dcmfile_codec_threads(la->codec_worker);
	prepare(la->b, la->ac, p, j, 0);
	return p->tc.fd >= 0 ? p->tc.length : 0;
}

/* Never sent on this association: the conversion goes, the file's
 * descriptor goes back to be taken again (the next attempt sends the
 * same file). */
static void
ahead_drop(void *ctx, void *item)
{
	struct lane_ahead *la = ctx;
	struct prep *p = item;

	if (p->tc.fd >= 0)
		close(p->tc.fd);
	sources_untake(&la->b->run->src, la->b->idx[p->f.j], p->fd);
}

static const struct ahead_ops ahead_ops = { ahead_want, ahead_prep,
	ahead_drop };

static unsigned
run_lanes(const struct send_run *run)
{
	return run->plan != NULL && run->plan->jobs > 1 ? run->plan->jobs : 1;
}

/* Workers per lane: the cores shared out among the lanes. */
static unsigned
ahead_workers(const struct send_run *run)
{
	return ahead_share(ahead_cores(), run_lanes(run));
}

/*
 * The codec's threads for one decode, so that the threads converting at
 * once do not outnumber the cores: on a worker, the cores shared out
 * among every lane's workers; on the lane's own thread (the first
 * converted file, a large one, or every one with --no-transcode-ahead),
 * among the lanes.
 */
static void
codec_threads(struct lane_ahead *la, const struct send_run *run)
{
	unsigned cores = ahead_cores(), lanes = run_lanes(run);

	la->codec_lane = ahead_codec_threads(cores, lanes);
	la->codec_worker =
	    ahead_codec_threads(cores, lanes * ahead_share(cores, lanes));
}

/* The first file that had to be converted went: from now on the files
 * after position j are prepared ahead. */
static void
ahead_begin(struct batch *b, size_t j)
{
	struct lane_ahead *la = b->ah;
	void *items[AHEAD_DEPTH];
	size_t k;

	if (la == NULL || la->tried || b->run->o->no_ahead)
		return;
	la->tried = 1;
	for (k = 0; k < AHEAD_DEPTH; k++)
		items[k] = &la->item[k];
	if (ahead_start(&la->a, &ahead_ops, la, j + 1, b->n, items, AHEAD_DEPTH,
		AHEAD_CAP, ahead_workers(b->run)) == 0)
		report_note(&b->run->rep,
		    "association %u: converting the next files on "
		    "%u more thread%s while sending",
		    b->assoc, la->a.n_th, la->a.n_th == 1 ? "" : "s");
}

/* Above this the next file is only read ahead by the kernel (its data
 * set goes by sendfile or a mapping, not read into memory). */
#define NEXT_READ_MAX ((uint64_t)1 << 20)

/* The next file prepared and not to be sent as it is (or not now): its
 * descriptor goes back (ahead_drop) and the pump forgets what it read
 * of it, so that nothing read before a change is ever sent. */
static void
drop_pre(struct lane_ahead *la, struct scu_session *s)
{
	if (!la->pre_set)
		return;
	pump_preload_forget(&s->r.pump);
	ahead_drop(la, &la->pre);
	la->pre_set = 0;
}

/*
 * Reads p's data set into the pump's buffer ahead of its sending: the
 * part planning kept of it from memory, only the rest from the file, so
 * no byte is read twice.  What it read goes only when sources_unchanged
 * says afterwards that the file is still as planned (the kept bytes
 * older than that check would otherwise hide a change).  1 when read.
 */
static int
preload(struct scu_session *s, const struct prep *p, const uint8_t *pre,
    size_t plen)
{
	return pump_preload_prefix(&s->r.pump, p->fd,
	    (off_t)p->f.info.dataset_offset, p->f.len, pre, plen);
}

/*
 * The file at j in own, not made ready while an answer was awaited.
 * One whose first bytes planning kept is taken as planning found it,
 * read (the rest of it) and then checked, as ready_next and start_one
 * do; one changed since goes back and is taken again (probed afresh),
 * as is any other file.  A local result or a conversion is final: both
 * came after the check (prepare, take), and doing them again would
 * open the file twice, or wait twice for a codec that hangs.
 */
static void
prepare_own(struct batch *b, struct scu_session *s, struct prep *own, size_t j)
{
	struct sources *src = &b->run->src;
	size_t plen;
	const uint8_t *pre = sources_prefix(src, b->idx[j], &plen);

	if (pre != NULL) {
		prepare(b, scu_ac(s), own, j, 1);
		if (own->local || own->tc.fd >= 0)
			return; /* checked before it was refused or converted */
		(void)preload(s, own, pre, plen);
		if (sources_unchanged(src, b->idx[j], own->fd))
			return;
		pump_preload_forget(&s->r.pump);
		sources_untake(src, b->idx[j], own->fd);
	}
	prepare(b, scu_ac(s), own, j, 0);
}

/*
 * While the response to the request sent last is awaited (cur its
 * position): the next file is taken, its context picked (converted, if
 * it must be) and its data set read into the pump's buffer, so that
 * none of that waits until the response is in (start_one sends it).
 * It is taken as planning found it, unchecked: start_one checks the
 * file once what was read of it is in (sources_unchanged), and a file
 * changed since planning is dropped there and taken again (probed
 * afresh), so one fstat per file decides, not one here and one there.
 * A large one is only asked of the kernel (read_ahead).
 */
static void
ready_next(struct batch *b, struct scu_session *s, size_t cur)
{
	struct lane_ahead *la = b->ah;
	struct prep *p = &la->pre;
	size_t j;

	for (j = cur + 1; j < b->n; j++)
		if (!b->done[j])
			break;
	if (la->pre_set && (j >= b->n || la->pre.f.j != j))
		drop_pre(la, s); /* not next after all (never so far) */
	if (j >= b->n || la->pre_set)
		return;
	/* changed just before planning: a change now might not show in its
	 * times (source.h), so it is read at its turn, as it always was */
	if (b->run->src.s[b->idx[j]].bytes > NEXT_READ_MAX ||
	    b->run->src.s[b->idx[j]].racy) {
		read_ahead(b, s, cur);
		return;
	}
	dcmfile_codec_threads(la->codec_lane);
	prepare(b, scu_ac(s), p, j, 1);
	la->pre_set = 1;
	if (!p->local && p->tc.fd < 0) {
		size_t plen;
		const uint8_t *pre =
		    sources_prefix(&b->run->src, b->idx[j], &plen);

		(void)preload(s, p, pre, plen);
	}
}

/* Whether the file at fd now ends before end: it shrank while sent. */
static int
shrank(int fd, uint64_t end)
{
	struct stat st;

	return fstat(fd, &st) == 0 && (uint64_t)st.st_size < end;
}

/*
 * Takes and (if it must be) converts file j, unless the worker did,
 * then sends its C-STORE-RQ without waiting for the response.
 * START_LOCAL: f holds a local result (unreadable, nocontext...) to
 * report in its turn; START_DIED: the association died while sending
 * (b->dead says why).
 */
static enum start
start_one(struct batch *b, struct scu_session *s, struct flight *f, size_t j)
{
	struct ahead *a = b->ah != NULL ? &b->ah->a : NULL;
	struct prep own, *p;
	struct cs_err e = { 0, "" };
	uint64_t off;
	unsigned pad;
	int rc;

	p = ahead_take(a, j);
	if (p == NULL && b->ah != NULL && b->ah->pre_set &&
	    b->ah->pre.f.j == j) {
		/* prepared while the last answer came: sent if the file is
		 * still as it was then, else taken again, as if not; a
		 * local result stands (it came after the check: converted
		 * or refused again, the file would be opened twice, a
		 * codec that hangs waited for twice), but a file that
		 * could not be opened then is tried again at its turn */
		p = &b->ah->pre;
		if (p->local
			? p->again
			: !sources_unchanged(&b->run->src, b->idx[j], p->fd)) {
			drop_pre(b->ah, s);
			p = NULL;
		} else {
			b->ah->pre_set = 0;
		}
	}
	if (p == NULL) {
		p = &own;
		if (b->ah != NULL)
			dcmfile_codec_threads(b->ah->codec_lane);
		prepare_own(b, s, p, j);
	}
	flight_from(f, p);
	if (b->ah != NULL && p == &b->ah->pre)
		a = NULL; /* not the workers' item: nothing to give back */
	if (p->local) {
		ahead_done(a, p == &own ? NULL : p);
		return START_LOCAL;
	}
	if (p->ch.transcode)
		ahead_begin(b, j);
	off = p->tc.fd >= 0 ? 0 : f->info.dataset_offset;
	/*
	 * PS3.5 A.5: a deflated stream of odd length is followed by one
	 * zero byte, and PS3.8 E.1 wants every fragment even; files
	 * written without it (pydicom) get it on the wire, from memory.
	 */
	pad = (f->len & 1) && ts_is_deflated(p->ch.ts);
	if (pad)
		report_add_detail(f->detail,
		    "deflated data set of odd length sent with its pad byte");
	b->sends[j]++;
	f->msg_id = 0; /* never a Message ID: set once the request is out */
	rc = scu_store_start(s, p->ch.pcid, f->info.sop_class,
	    f->info.sop_instance, p->tc.fd >= 0 ? p->tc.fd : p->fd,
	    p->tc.fd >= 0 ? NULL : b->run->src.paths[b->idx[j]], (off_t)off,
	    f->len, pad, &f->msg_id, &e);
	f->mixed = rc == 0 && scu_store_mixed(s, f->msg_id);
	if (rc == CS_E_IO)
		b->broken_outcome =
		    shrank(p->tc.fd >= 0 ? p->tc.fd : p->fd, off + f->len)
		    ? STORESCU_TRUNCATED
		    : STORESCU_UNREADABLE;
	/* the data set is out (or never will be): the files can go */
	b->sent_source = p->tc.fd < 0;
	if (p->tc.fd >= 0)
		close(p->tc.fd);
	close(p->fd);
	ahead_done(a, p == &own ? NULL : p);
	f->sent = f->msg_id != 0;
	if (rc != 0 && !f->sent) {
		/* refused before anything went out: the association is fine */
		report_add_detail(f->detail, "not sent: %s", e.msg);
		f->r.outcome = STORESCU_NOTSENT;
		return START_LOCAL;
	}
	if (rc != 0) {
		b->dead_rc = rc;
		b->dead = e;
		f->cut = !scu_store_whole(s, f->msg_id);
		if (rc == CS_E_IO)
			b->broken = f;
		return START_DIED;
	}
	return START_SENT;
}

/* Does a response naming (has) SOP what got speak of another than sent?
 * Says so in f's detail. */
static int
names_other(struct flight *f, int has, const char *what, const char *got,
    const char *sent)
{
	if (!has || strcmp(got, sent) == 0)
		return 0;
	report_add_detail(f->detail,
	    "the response is for SOP %s '%s', not the one sent", what, got);
	return 1;
}

/*
 * PS3.7 9.3.1.2: a C-STORE-RSP may leave out the Affected SOP Class and
 * Instance UIDs, but when it has them they are the request's.  A peer
 * that names another object has not said what became of this one.
 */
static int
response_matches(struct flight *f, const struct dimse_cmd *rsp)
{
	return !names_other(f, rsp->has & DIMSE_HAS_AFFECTED_INSTANCE,
		   "instance", rsp->affected_instance, f->info.sop_instance) &&
	    !names_other(f, rsp->has & DIMSE_HAS_AFFECTED_CLASS, "class",
		rsp->affected_class, f->info.sop_class);
}

/* The outcome a response status gives (its category), with the reason
 * in f's detail when it is not Success. */
static void
status_outcome(struct flight *f, uint16_t status)
{
	struct status_info si;
	const char *cat, *meaning;

	status_explain(status, "C-STORE", &si);
	switch (si.category) {
	case STATUS_SUCCESS:
		f->r.outcome = STORESCU_STORED;
		break;
	case STATUS_WARNING:
		f->r.outcome = STORESCU_WARNING;
		break;
	case STATUS_FAILURE:
	case STATUS_CANCEL:
	case STATUS_PENDING:
	case STATUS_UNKNOWN:
		f->r.outcome = STORESCU_FAILED;
		break;
	}
	if (si.category == STATUS_SUCCESS)
		return;
	cat = status_category_name(si.category);
	meaning = si.std ? si.std->meaning : "unknown status";
	/* no meaning repeats its category (data/dimse-status.tsv) */
	report_add_detail(f->detail, "%s: %s", cat, meaning);
}

/* The response to f arrived: report it, or keep it for a retry (A7xx). */
static void
finish_one(struct batch *b, struct flight *f, const struct dimse_cmd *rsp)
{
	int matches;

	f->r.ms = (unsigned)((net_now_us() - f->t0) / 1000);
	f->r.has_status = 1;
	f->r.status = rsp->status;
	f->r.bytes = f->len;
	f->r.error_comment = rsp->error_comment;
	matches = response_matches(f, rsp);
	if (f->mixed) {
		/* the peer's status is for bytes that may be mixed */
		f->r.outcome = STORESCU_FAILED;
		f->r.has_status = 0;
		f->r.bytes = 0;
		report_add_detail(f->detail,
		    "the file was written to while its last PDU went: the "
		    "peer answered %04X for bytes that may be mixed",
		    rsp->status);
		land(b, f);
		return;
	}
	if (matches && transient_status(rsp->status) && busy_again(b, f->j)) {
		report_note(&b->run->rep,
		    "'%s': status %04X, will send it again",
		    b->run->src.paths[b->idx[f->j]], rsp->status);
		b->busy++;
		b->state[f->j] = OBJ_BUSY;
		b->status[f->j] = rsp->status;
		return;
	}
	status_outcome(f, rsp->status);
	if (matches && transient_status(rsp->status) && b->sends[f->j] > 1 &&
	    b->busy_by_progress && b->busy_counted[f->j] < b->sends[f->j])
		report_add_detail(f->detail,
		    "answered %04X on attempt %u; not sent again: %u attempts "
		    "at most with nothing else stored in between",
		    rsp->status, b->sends[f->j], b->max_sends);
	else if (matches && transient_status(rsp->status) && b->sends[f->j] > 1)
		report_add_detail(f->detail,
		    "answered %04X on attempt %u; not sent again: %u attempts "
		    "at most",
		    rsp->status, b->sends[f->j], b->max_sends);
	if (!matches) {
		/* what became of the object sent is unknown: no status of
		 * ours to show, a word ("failed") and the peer's in DETAIL */
		f->r.outcome = STORESCU_FAILED;
		f->r.has_status = 0;
		report_add_detail(f->detail, "answered %04X", rsp->status);
	}
	if (f->r.outcome == STORESCU_FAILED)
		f->r.bytes = 0;
	land(b, f);
}

/*
 * The association died with f outstanding: send it again later, alone,
 * while it has attempts left; else report it as aborted.  A file that
 * could not be read to the end is reported at once, as the file's own
 * failure (truncated or unreadable), not the association's: we aborted
 * it so that the peer stores none of it.  The others it took down lose
 * no attempt to it.
 */
static void
lose_one(struct batch *b, struct flight *f)
{
	unsigned n = b->sends[f->j];

	if (f == b->broken) {
		f->r.outcome = b->broken_outcome;
		report_add_detail(f->detail,
		    "not sent in full: %s%s; the association was aborted, "
		    "so the peer stores none of it",
		    b->dead.msg,
		    b->broken_outcome == STORESCU_TRUNCATED
			? " (it shrank while sent)"
			: "");
		land(b, f);
		return;
	}
	if (b->broken != NULL && n > 0)
		b->sends[f->j] = --n;
	else
		b->deaths[f->j]++;
	/* --follow: the A7xx answers busy_again did not count do not
	 * count here either (sends has them) */
	if ((b->busy_by_progress ? b->deaths[f->j] + b->busy_counted[f->j]
				 : n) < b->max_sends) {
		b->state[f->j] = OBJ_LOST;
		return;
	}
	f->r.outcome = STORESCU_ABORTED;
	if (f->early)
		report_add_detail(f->detail,
		    "answered %04X before its data set was sent in full: %s",
		    f->early_status, b->dead.msg);
	else if (n > 1)
		report_add_detail(f->detail,
		    "no response after %u attempts: %s", n, b->dead.msg);
	else
		report_add_detail(f->detail, "no response: %s", b->dead.msg);
	b->lost++;
	land(b, f);
}

/*
 * The association died with f outstanding: takes its response if it
 * came.  *wait: the peer is still working (we broke the stream, not
 * it), so wait for the response within the DIMSE timeout; cleared at
 * the first that does not come.  Returns 1 when f got its result.
 * Success or Warning for a data set that never went out whole (the
 * peer answered before its end, then the association died) is no
 * answer: the peer cannot hold the object, and --remove-sent would
 * delete the only copy; f is lost (sent again under --retry).  A
 * failure answered early stands: the peer refused it either way.
 */
static int
hear_out(struct batch *b, struct scu_session *s, struct flight *f, int *wait)
{
	struct dimse_cmd rsp;
	struct cs_err e = { 0, "" };
	struct status_info si;

	if (!scu_answered(s, f->msg_id) && !*wait)
		return 0;
	if (scu_wait(s, f->msg_id, &rsp, &e) != 0) {
		*wait = 0;
		return 0;
	}
	status_explain(rsp.status, "C-STORE", &si);
	if (f->cut &&
	    (si.category == STATUS_SUCCESS || si.category == STATUS_WARNING)) {
		f->early = 1;
		f->early_status = rsp.status;
		return 0;
	}
	finish_one(b, f, &rsp);
	return 1;
}

/* The association died with count flights from head outstanding: each
 * gets its response if it came, else is lost. */
static void
after_death(struct batch *b, struct scu_session *s, unsigned head,
    unsigned count, int died)
{
	unsigned w = s->window, k;
	struct flight *f;
	int wait = b->broken != NULL;

	if (died)
		scu_read_rest(s); /* responses queued before a failed write */
	for (k = 0; k < count; k++) {
		f = &b->ring[(head + k) % w];
		if (!f->sent)
			land(b, f);
		else if (f == b->broken || !hear_out(b, s, f, &wait))
			lose_one(b, f);
	}
}

/*
 * A file that was in flight when an association died goes alone,
 * nothing else outstanding with it: if it is what makes the peer abort,
 * it alone pays the attempt.
 */
int
batch_send(struct batch *b, struct scu_session *s)
{
	unsigned w = s->window, head = 0, count = 0;
	struct flight *f;
	struct dimse_cmd rsp;
	struct lane_ahead la;
	struct cs_err e;
	size_t j = 0;
	int died = 0, rc;

	memset(&la, 0, sizeof(la));
	la.b = b;
	la.ac = scu_ac(s);
	codec_threads(&la, b->run);
	b->ah = &la;
	b->busy = 0;
	b->dead_rc = 0;
	b->broken = NULL;
	b->ahead = SIZE_MAX;
	for (;;) {
		while (!died && count < w && j < b->n) {
			if (b->done[j]) {
				j++;
				continue;
			}
			if (count > 0 &&
			    (b->state[j] == OBJ_LOST ||
				b->state[b->ring[head].j] == OBJ_LOST))
				break; /* one of them goes alone */
			f = &b->ring[(head + count++) % w];
			died = start_one(b, s, f, j++) == START_DIED;
		}
		if (died || count == 0)
			break;
		f = &b->ring[head];
		if (f->sent) {
			/* the next file made ready while the peer works
			 * when it waits for nothing else (a window of 1),
			 * else read ahead by the kernel (by the worker,
			 * when there is one): a wider window keeps the
			 * peer busy, and measured no gain from it */
			if (!la.a.running && w == 1)
				ready_next(b, s, j - 1);
			else if (!la.a.running)
				read_ahead(b, s, j - 1);
			cs_err_clear(&e);
			rc = scu_wait(s, f->msg_id, &rsp, &e);
			if (rc != 0) {
				b->dead_rc = rc;
				b->dead = e;
				died = 1;
				break;
			}
			finish_one(b, f, &rsp);
		} else {
			land(b, f);
		}
		head = (head + 1) % w;
		count--;
	}
	/* what was prepared and not sent waits for the next attempt */
	ahead_stop(&la.a);
	drop_pre(&la, s);
	b->ah = NULL;
	after_death(b, s, head, count, died);
	return died;
}
