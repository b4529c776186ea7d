/*
 * propose.h - presentation-context planning for dcmsend: which contexts
 * each association proposes, which files go over which association, and
 * after negotiation, which accepted context a file is sent on.
 *
 * Contexts (PS3.8 9.3.2.2, PS3.4 B.3).  Per SOP class, DCMTK dcmsend's
 * "(class, transfer-syntax group)" scheme:
 *   - one context per distinct transfer syntax of the class's files that
 *     is not Explicit or Implicit VR Little Endian, proposing that syntax
 *     alone, so that a peer supporting it cannot pick another one;
 *   - one "uncompressed" context proposing Explicit VR LE then Implicit VR
 *     LE, for files in either of them, and as the fallback for files in
 *     other syntaxes; a fallback syntax is listed only when some file of
 *     the class is in it or can_transcode() says a file can be converted
 *     to it (the three uncompressed syntaxes IVRLE, EVRLE and the retired
 *     EVRBE always convert into one another, whatever the predicate);
 *   - last, one proposing Deflated Explicit VR LE alone, when
 *     can_transcode() says a file of the class not already Deflated
 *     converts to it: the fallback for peers that take only Deflated
 *     (alone, so that a peer preferring it, as DCMTK's storescp does
 *     with +xa, still picks an uncompressed syntax in the other);
 *   - with no_transcode, one context per distinct syntax, each alone.
 * Classes come in first-appearance order in the input; within a class,
 * its own-syntax contexts in first-appearance order, then the
 * uncompressed one, then the Deflated one.  Each proposes at most 2
 * syntaxes (< UL_MAX_TS).
 *
 * Associations.  At most UL_MAX_PC (128) contexts, odd IDs 1, 3, 5...
 * When more are needed, the contexts of each SOP class stay together and
 * the classes are packed first-fit, in first-appearance order, into as
 * few context sets as that gives (only a class with more than 127
 * distinct syntaxes is split).  A file goes with the set holding its
 * class.  Within an association the files keep their input order; the
 * associations of a lane are opened in set order, so the overall order
 * is: by lane, then by set, then by input index.
 *
 * Lanes (-j N).  The plannable inputs are cut into N contiguous runs of
 * the input order, balanced by bytes (by count when every size is 0 or
 * balance is PROPOSE_BALANCE_COUNT): contiguous runs keep a study's
 * files, and so its classes, together, and give each lane few contexts.
 * Each lane gets its own context sets, planned from its files only.  A
 * lane may get no file (fewer files than lanes, or one file bigger than
 * a lane's share): it then has no association.  A worker per lane opens
 * that lane's associations (plan->assoc[k].lane) one after the other.
 *
 * Reopening (--per-assoc N).  A set's files are cut into runs of at most
 * N files, one association each; these share the set's contexts.
 *
 * Ownership: the plan copies every UID it keeps; the inputs may be freed
 * after propose_plan_new.  propose_pick returns a pointer into the
 * accepted list it is given.
 */
#ifndef CS_STORESCU_PROPOSE_H
#define CS_STORESCU_PROPOSE_H

#include <stddef.h>
#include <stdint.h>

#include "core/ts_uids.h"
#include "core/ul_pdu.h"

struct cs_err;

/*
 * Can a dataset in transfer syntax from be converted to to?  Same shape
 * as dcmfile_can_transcode(), which can be passed as is.  Returns non-zero
 * for yes.  allow_lossy: whether a lossy conversion counts.
 */
typedef int (*propose_can_fn)(
    const char *from, const char *to, int allow_lossy);

/* One input file as the planner sees it. */
struct propose_input {
	/*
	 * SOP Class UID and transfer syntax UID of the file (borrowed for
	 * the call).  NULL, empty, or not a valid UID (1-64 characters of
	 * digits and dots): the file is not planned (assoc_of is -1), e.g.
	 * unreadable or not DICOM; the sender reports it itself.
	 */
	const char *sop_class;
	const char *ts;
	uint64_t bytes; /* file size, for balancing lanes; may be 0 */
};

enum propose_balance {
	PROPOSE_BALANCE_BYTES = 0, /* by bytes, by count if all sizes are 0 */
	PROPOSE_BALANCE_COUNT = 1,
};

struct propose_opts {
	propose_can_fn can_transcode; /* NULL: only the uncompressed trio */
	int allow_lossy;              /* passed to can_transcode */
	int no_transcode;             /* --no-transcode: no fallbacks, ever */
	unsigned jobs;                /* -j: lanes, 1-PROPOSE_MAX_JOBS; 0 = 1 */
	size_t per_assoc; /* --per-assoc: files per association; 0 = no limit */
	enum propose_balance balance;
	unsigned reserve_pc; /* contexts left free in each set (--commit) */
};
#define PROPOSE_MAX_JOBS 256

/* One association to open: proposes set's contexts, sends its files. */
struct propose_assoc {
	unsigned lane; /* 0..jobs-1 */
	size_t set;    /* index into plan->set */
	size_t first;  /* its files: plan->order[first .. first + count) */
	size_t count;
};

/* The contexts of one or more associations, ready for ul_assoc_params.pc. */
struct propose_set {
	unsigned lane;
	uint8_t n_pc;     /* 1..UL_MAX_PC */
	struct ul_pc *pc; /* id odd, abstract_syntax, n_ts, ts[]; result 0 */
};

struct propose_plan {
	size_t n_assoc;
	struct propose_assoc
	    *assoc; /* by lane, then in the order to open them */
	size_t n_set;
	struct propose_set *set;
	size_t n_inputs;
	long *assoc_of; /* per input: index into assoc, or -1 (not planned) */
	size_t n_order;
	size_t *order; /* input indices, grouped by association */
	unsigned jobs; /* lanes, >= 1 */
};

/*
 * Plans n inputs.  Returns a plan to free with propose_plan_free, or
 * NULL with err set: CS_E_INVAL for bad options (jobs over the limit),
 * CS_E_NOMEM.  No input being plannable is not an error: the plan then
 * has no association.
 */
struct propose_plan *propose_plan_new(const struct propose_input *in, size_t n,
    const struct propose_opts *opts, struct cs_err *err);
/* Frees plan; NULL-safe. */
void propose_plan_free(struct propose_plan *plan);

/*
 * Copies association k's contexts into p->pc / p->n_pc.  Returns 0, or
 * CS_E_INVAL when k is out of range.
 */
int propose_fill_params(
    const struct propose_plan *plan, size_t k, struct ul_assoc_params *p);

/* Where to send one file. */
struct propose_choice {
	uint8_t pcid;
	const char *ts; /* transfer syntax to send in: points into accepted[] */
	int transcode;  /* 1: the file must be converted from its own syntax */
};

/*
 * After negotiation: picks the context for a file of class sop_class in
 * syntax ts.  proposed/n_proposed: what the association proposed (its
 * set's contexts; the abstract syntax of each PCID comes from here, not
 * from the A-ASSOCIATE-AC, which does not carry it).  accepted/n_accepted:
 * the AC's contexts (id, result, ts[0]).  An accepted context whose
 * syntax was not proposed in it is ignored (the peer broke PS3.8 9.3.3.2).
 * Preference, first match wins:
 *   1. an accepted context in the file's own syntax (no conversion);
 *   2. Explicit VR LE, then Deflated Explicit VR LE (not for an Implicit
 *      VR LE file), then Implicit VR LE, when the file converts to it
 *      losslessly (can_transcode(ts, x, 0), or the uncompressed trio):
 *      a file whose elements carry their VRs keeps them when the peer
 *      takes a syntax that has them (in Implicit VR a private element's
 *      VR is lost to a peer without its dictionary);
 *   3. any other accepted syntax the file converts to losslessly, lowest
 *      PCID first;
 *   4. only with allow_lossy: any accepted syntax reached by a lossy
 *      conversion, lowest PCID first.
 * With opts->no_transcode only 1 applies.  opts may be NULL (no
 * predicate, no lossy).  Returns 0 with *out filled, or CS_E_NOTFOUND
 * (the sender reports "nocontext"), CS_E_INVAL for NULL arguments.
 */
int propose_pick(const struct ul_pc *proposed, size_t n_proposed,
    const struct ul_pc *accepted, size_t n_accepted, const char *sop_class,
    const char *ts, const struct propose_opts *opts,
    struct propose_choice *out);

/*
 * Whether a file in from can go as to, losslessly (lossy 0) or lossily
 * (1): its own syntax, the uncompressed trio into one another, else
 * opts->can_transcode (opts may be NULL: no predicate).  The test of
 * propose_pick's tiers, for choosing among other lists (send_convert.h).
 */
int propose_converts(const struct propose_opts *opts, const char *from,
    const char *to, int lossy);

/* 1 when uid is 1-64 characters of digits and dots (PS3.5 9.1), else 0. */
int propose_uid_valid(const char *uid);

#endif
