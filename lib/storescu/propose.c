/* propose.c - presentation-context planning and choice (see propose.h). */
#include <stdint.h>
#include <string.h>

#include "cstore/cstore.h"
#include "core/alloc.h"
#include "storescu/propose.h"
#include "core/strmap.h"

#include "core/banned.h"

int
propose_uid_valid(const char *uid)
{
	size_t n;

	if (uid == NULL || uid[0] == '\0')
		return 0;
	for (n = 0; uid[n] != '\0'; n++)
		if (n >= UL_UID_MAX ||
		    !((uid[n] >= '0' && uid[n] <= '9') || uid[n] == '.'))
			return 0;
	return 1;
}

static int
is_trio(const char *ts)
{
	return strcmp(ts, TS_UID_ImplicitVRLittleEndian) == 0 ||
	    strcmp(ts, TS_UID_ExplicitVRLittleEndian) == 0 ||
	    strcmp(ts, TS_UID_ExplicitVRBigEndian) == 0;
}

/* Can a file in from be sent as to?  The uncompressed trio always can. */
static int
converts(
    const struct propose_opts *o, const char *from, const char *to, int lossy)
{
	if (strcmp(from, to) == 0)
		return 1;
	if (is_trio(from) && is_trio(to))
		return 1;
	return o != NULL && o->can_transcode != NULL &&
	    o->can_transcode(from, to, lossy) != 0;
}

/* Grows a vector *p of *cap elements of size sz to hold need; 0 or CS_E_NOMEM. */
static int
grow_vec(void **p, size_t *cap, size_t need, size_t sz)
{
	size_t ncap;
	void *np;

	if (need <= *cap)
		return 0;
	ncap = *cap ? *cap : 16;
	while (ncap < need) {
		if (ncap > SIZE_MAX / 2 / sz)
			return CS_E_NOMEM;
		ncap *= 2;
	}
	np = cs_realloc(*p, ncap * sz);
	if (np == NULL)
		return CS_E_NOMEM;
	*p = np;
	*cap = ncap;
	return 0;
}

/* Per-lane scratch: distinct classes, (class, syntax) pairs, packing units. */
struct pclass {
	const char *uid; /* borrowed from the inputs */
	size_t head,
	    tail; /* own pairs, a list through pair.next; SIZE_MAX = none */
	size_t n_own;
	int need_ev, need_iv, need_eb, need_df;
	int has_df; /* a Deflated file: that context is its own */
	size_t first_unit;
};

struct pair {
	size_t cls;
	const char *ts;
	int own;     /* has a context of its own (else uses the group) */
	size_t next; /* next own pair of the class */
	size_t unit;
};

struct unit {
	size_t cls;
	size_t n_own; /* own contexts in this unit */
	int group;    /* plus the fallback contexts (0-2), last */
	int eb;       /* plus the Big Endian one, where there is room */
	size_t set;
	size_t pos; /* index of its first context in the set */
};

struct scratch {
	struct strmap classes, pairs;
	struct pclass *cl;
	size_t n_cl, cap_cl;
	struct pair *pr;
	size_t n_pr, cap_pr;
	struct unit *un;
	size_t n_un, cap_un;
	size_t *fill; /* contexts used per set of the lane (index: set - lo) */
	size_t cap_fill;
	size_t reserve; /* propose_opts.reserve_pc */
};

static void
scratch_reset(struct scratch *s)
{
	strmap_release(&s->classes);
	strmap_release(&s->pairs);
	s->n_cl = s->n_pr = s->n_un = 0;
}

static void
scratch_release(struct scratch *s)
{
	scratch_reset(s);
	cs_free(s->cl);
	cs_free(s->pr);
	cs_free(s->un);
	cs_free(s->fill);
}

void
propose_plan_free(struct propose_plan *plan)
{
	size_t i;

	if (plan == NULL)
		return;
	for (i = 0; i < plan->n_set; i++)
		cs_free(plan->set[i].pc);
	cs_free(plan->set);
	cs_free(plan->assoc);
	cs_free(plan->assoc_of);
	cs_free(plan->order);
	cs_free(plan);
}

/* Registers input i's class and pair; *pair_idx receives the pair. */
static int
note_input(struct scratch *s, const struct propose_input *in,
    const struct propose_opts *o, size_t *pair_idx)
{
	char key[2 * UL_UID_MAX + 2];
	size_t cl_len = strlen(in->sop_class), ts_len = strlen(in->ts);
	size_t ci = s->n_cl, pi = s->n_pr;
	struct pclass *c;
	struct pair *p;
	int rc;

	rc = strmap_put(&s->classes, in->sop_class, cl_len, &ci);
	if (rc < 0)
		return rc;
	if (rc == 1) {
		if (grow_vec((void **)&s->cl, &s->cap_cl, s->n_cl + 1,
			sizeof(*s->cl)) < 0)
			return CS_E_NOMEM;
		c = &s->cl[s->n_cl++];
		memset(c, 0, sizeof(*c));
		c->uid = in->sop_class;
		c->head = c->tail = SIZE_MAX;
	}
	/* UIDs hold no space, so "class ts" is an unambiguous key */
	memcpy(key, in->sop_class, cl_len);
	key[cl_len] = ' ';
	memcpy(key + cl_len + 1, in->ts, ts_len);
	rc = strmap_put(&s->pairs, key, cl_len + 1 + ts_len, &pi);
	if (rc < 0)
		return rc;
	*pair_idx = pi;
	if (rc == 0)
		return 0;
	if (grow_vec((void **)&s->pr, &s->cap_pr, s->n_pr + 1, sizeof(*s->pr)) <
	    0)
		return CS_E_NOMEM;
	p = &s->pr[s->n_pr++];
	c = &s->cl[ci];
	p->cls = ci;
	p->ts = in->ts;
	p->next = SIZE_MAX;
	p->unit = SIZE_MAX;
	/*
	 * Every syntax but Explicit VR LE gets a context of its own, Implicit
	 * VR LE too: the acceptor picks one syntax per context by its own
	 * preference (most prefer Explicit), and a file sent in its own
	 * syntax streams from disk untouched, where a conversion would go
	 * through GDCM.  Explicit VR LE files use the shared fallback
	 * context, which lists Explicit VR LE first.
	 */
	p->own = o->no_transcode ||
	    strcmp(in->ts, TS_UID_ExplicitVRLittleEndian) != 0;
	if (!o->no_transcode) {
		c->need_ev |= converts(
		    o, in->ts, TS_UID_ExplicitVRLittleEndian, o->allow_lossy);
		c->need_iv |= converts(
		    o, in->ts, TS_UID_ImplicitVRLittleEndian, o->allow_lossy);
		/* last: for peers that take Explicit VR BE only (as
		 * storescu proposes it); a BE file has its own context */
		if (strcmp(in->ts, TS_UID_ExplicitVRBigEndian) != 0)
			c->need_eb |= converts(o, in->ts,
			    TS_UID_ExplicitVRBigEndian, o->allow_lossy);
		/* lossless, for peers that take only Deflated */
		if (strcmp(in->ts, TS_UID_DeflatedExplicitVRLittleEndian) != 0)
			c->need_df |= converts(o, in->ts,
			    TS_UID_DeflatedExplicitVRLittleEndian,
			    o->allow_lossy);
		else
			c->has_df = 1;
	}
	if (p->own) {
		if (c->tail == SIZE_MAX)
			c->head = pi;
		else
			s->pr[c->tail].next = pi;
		c->tail = pi;
		c->n_own++;
	}
	return 0;
}

/* Does class c get the Deflated fallback context?  Not when a Deflated
 * file of it has that context already. */
static int
df_context(const struct pclass *c)
{
	return c->need_df && !c->has_df;
}

/* Cuts each class into units of at most UL_MAX_PC contexts. */
static int
make_units(struct scratch *s)
{
	size_t ci, p;

	for (ci = 0; ci < s->n_cl; ci++) {
		struct pclass *c = &s->cl[ci];
		int g = (c->need_ev || c->need_iv) + df_context(c);
		size_t room = UL_MAX_PC - s->reserve - (size_t)g,
		       left = c->n_own;

		c->first_unit = s->n_un;
		p = c->head;
		do {
			struct unit *u;
			size_t k;

			if (grow_vec((void **)&s->un, &s->cap_un, s->n_un + 1,
				sizeof(*s->un)) < 0)
				return CS_E_NOMEM;
			u = &s->un[s->n_un];
			u->cls = ci;
			u->n_own = left < room ? left : room;
			u->group = g;
			u->set = SIZE_MAX;
			u->pos = 0;
			for (k = 0; k < u->n_own; k++, p = s->pr[p].next)
				s->pr[p].unit = s->n_un;
			left -= u->n_own;
			s->n_un++;
		} while (left > 0);
	}
	/* pairs without a context of their own use their class's first group */
	for (p = 0; p < s->n_pr; p++)
		if (!s->pr[p].own)
			s->pr[p].unit = s->cl[s->pr[p].cls].first_unit;
	return 0;
}

static void
copy_uid(char *dst, const char *src)
{
	size_t n = strlen(src); /* validated: at most UL_UID_MAX */

	memcpy(dst, src, n + 1);
}

/*
 * Places the units of the n_sets sets from lo (u->set chosen, s->fill
 * their contexts without it): the Big Endian context (note_input) only
 * where a set has room left after every unit's own and fallback
 * contexts, so that it never costs an association.
 */
static int
place_eb(struct scratch *s, size_t lo, size_t n_sets)
{
	size_t i, j, *spare = cs_calloc(n_sets + 1, sizeof(*spare));

	if (spare == NULL)
		return CS_E_NOMEM;
	for (j = 0; j < n_sets; j++) {
		spare[j] = UL_MAX_PC - s->reserve - s->fill[j];
		s->fill[j] = 0;
	}
	for (i = 0; i < s->n_un; i++) {
		struct unit *u = &s->un[i];

		j = u->set - lo;
		u->eb = s->cl[u->cls].need_eb && spare[j] > 0;
		spare[j] -= (size_t)u->eb;
		u->pos = s->fill[j];
		s->fill[j] += u->n_own + (size_t)u->group + (size_t)u->eb;
	}
	cs_free(spare);
	return 0;
}

/* Packs the lane's units first-fit into new sets of plan and fills them. */
static int
pack_units(struct scratch *s, struct propose_plan *plan, size_t *set_cap,
    unsigned lane)
{
	size_t lo = plan->n_set, n_sets = 0, i, j;

	for (i = 0; i < s->n_un; i++) {
		struct unit *u = &s->un[i];
		size_t need = u->n_own + (size_t)u->group;

		for (j = 0; j < n_sets; j++)
			if (s->fill[j] + need + s->reserve <= UL_MAX_PC)
				break;
		if (j == n_sets) {
			if (grow_vec((void **)&s->fill, &s->cap_fill,
				n_sets + 1, sizeof(*s->fill)) < 0)
				return CS_E_NOMEM;
			s->fill[n_sets++] = 0;
		}
		u->set = lo + j;
		s->fill[j] += need;
	}
	if (place_eb(s, lo, n_sets) < 0)
		return CS_E_NOMEM;
	if (grow_vec((void **)&plan->set, set_cap, lo + n_sets,
		sizeof(*plan->set)) < 0)
		return CS_E_NOMEM;
	for (j = 0; j < n_sets; j++) {
		struct propose_set *st = &plan->set[lo + j];

		st->lane = lane;
		st->n_pc = (uint8_t)s->fill[j];
		st->pc = cs_calloc(s->fill[j], sizeof(*st->pc));
		if (st->pc == NULL)
			return CS_E_NOMEM;
		plan->n_set++; /* counted only once allocated: free stays exact */
	}
	for (i = 0; i < s->n_un; i++) {
		struct unit *u = &s->un[i];
		const struct pclass *c = &s->cl[u->cls];
		struct ul_pc *pc = plan->set[u->set].pc + u->pos;
		size_t k = 0, p;

		/* own pairs of this unit: walk the class list to its first one */
		for (p = c->head; p != SIZE_MAX && s->pr[p].unit != i;
		     p = s->pr[p].next)
			;
		for (; p != SIZE_MAX && s->pr[p].unit == i; p = s->pr[p].next) {
			copy_uid(pc[k].abstract_syntax, c->uid);
			pc[k].n_ts = 1;
			copy_uid(pc[k].ts[0], s->pr[p].ts);
			k++;
		}
		if (c->need_ev || c->need_iv) {
			copy_uid(pc[k].abstract_syntax, c->uid);
			/* EVRLE first: the chooser's preference after the own syntax */
			if (c->need_ev)
				copy_uid(pc[k].ts[pc[k].n_ts++],
				    TS_UID_ExplicitVRLittleEndian);
			if (c->need_iv)
				copy_uid(pc[k].ts[pc[k].n_ts++],
				    TS_UID_ImplicitVRLittleEndian);
			k++;
		}
		if (u->eb) {
			/* alone, as Deflated below: an acceptor preferring it
			 * (storescp +xb) in the context above would have every
			 * Little Endian file converted to it */
			copy_uid(pc[k].abstract_syntax, c->uid);
			pc[k].n_ts = 1;
			copy_uid(pc[k].ts[0], TS_UID_ExplicitVRBigEndian);
			k++;
		}
		if (df_context(c)) {
			/* alone: an acceptor that prefers it (DCMTK's storescp
			 * +xa, +xd) would take it over the uncompressed ones,
			 * and every file would be deflated for nothing */
			copy_uid(pc[k].abstract_syntax, c->uid);
			pc[k].n_ts = 1;
			copy_uid(
			    pc[k].ts[0], TS_UID_DeflatedExplicitVRLittleEndian);
			k++;
		}
		for (p = 0; p < k; p++)
			pc[p].id = (uint8_t)(2 * (u->pos + p) +
			    1); /* PS3.8 9.3.2.2: odd, 1-255 */
	}
	return 0;
}

/*
 * Plans lane L: inputs idx[0..cnt) (ascending).  Appends sets and
 * associations to plan and writes plan->order from *order_pos on.
 */
static int
plan_lane(struct propose_plan *plan, const struct propose_input *in,
    const size_t *idx, size_t cnt, unsigned lane, const struct propose_opts *o,
    struct scratch *s, size_t *pair_of, size_t *set_cap, size_t *assoc_cap,
    size_t *order_pos)
{
	size_t i, lo, nsets, *start = NULL;
	int rc;

	scratch_reset(s);
	for (i = 0; i < cnt; i++)
		if ((rc = note_input(s, &in[idx[i]], o, &pair_of[i])) < 0)
			return rc;
	if ((rc = make_units(s)) < 0)
		return rc;
	lo = plan->n_set;
	if ((rc = pack_units(s, plan, set_cap, lane)) < 0)
		return rc;
	nsets = plan->n_set - lo;
	if (nsets == 0)
		return 0;
	/* stable counting sort of the lane's files by set: input order kept */
	start = cs_calloc(nsets + 1, sizeof(*start));
	if (start == NULL)
		return CS_E_NOMEM;
	for (i = 0; i < cnt; i++)
		start[s->un[s->pr[pair_of[i]].unit].set - lo + 1]++;
	for (i = 0; i < nsets; i++)
		start[i + 1] += start[i];
	for (i = 0; i < nsets; i++) {
		size_t first = *order_pos + start[i],
		       n = start[i + 1] - start[i];
		size_t per = o->per_assoc ? o->per_assoc : n;

		while (n > 0) {
			struct propose_assoc *a;
			size_t take = n < per ? n : per;

			if (grow_vec((void **)&plan->assoc, assoc_cap,
				plan->n_assoc + 1, sizeof(*plan->assoc)) < 0) {
				cs_free(start);
				return CS_E_NOMEM;
			}
			a = &plan->assoc[plan->n_assoc++];
			a->lane = lane;
			a->set = lo + i;
			a->first = first;
			a->count = take;
			first += take;
			n -= take;
		}
	}
	for (i = 0; i < cnt; i++) {
		size_t set = s->un[s->pr[pair_of[i]].unit].set - lo;

		plan->order[*order_pos + start[set]++] = idx[i];
	}
	cs_free(start);
	*order_pos += cnt;
	return 0;
}

/* Lane of the k-th plannable input (of np, before = bytes of those before it). */
static unsigned
lane_for(size_t k, size_t np, uint64_t before, uint64_t bytes, uint64_t total,
    unsigned jobs)
{
	double x;
	unsigned l;

	if (total == 0)
		x = (double)k * jobs / (double)np;
	else /* by the file's midpoint, so a big file goes where most of it lies */
		x = ((double)before + (double)bytes / 2) * jobs / (double)total;
	l = (unsigned)x;
	return l < jobs ? l : jobs - 1;
}

/* Plans the np plannable inputs in lanes: contiguous runs of them,
 * balanced by bytes (total > 0) or by count.  Returns 0 or < 0 (out of
 * memory). */
static int
plan_lanes(struct propose_plan *plan, const struct propose_input *in,
    const size_t *plannable, size_t np, uint64_t total,
    const struct propose_opts *o, struct scratch *s, size_t *pair_of)
{
	size_t set_cap = 0, assoc_cap = 0, order_pos = 0, lane_lo = 0, k;
	uint64_t before = 0;
	unsigned lane = 0;
	int rc;

	for (k = 0; k <= np; k++) {
		unsigned l = k < np
		    ? lane_for(k, np, before,
			  total ? in[plannable[k]].bytes : 0, total, o->jobs)
		    : o->jobs;

		if (k < np)
			before += in[plannable[k]].bytes;
		if (l == lane)
			continue;
		if (k > lane_lo) {
			rc = plan_lane(plan, in, plannable + lane_lo,
			    k - lane_lo, lane, o, s, pair_of, &set_cap,
			    &assoc_cap, &order_pos);
			if (rc < 0)
				return rc;
		}
		lane_lo = k;
		lane = l;
	}
	return 0;
}

struct propose_plan *
propose_plan_new(const struct propose_input *in, size_t n,
    const struct propose_opts *opts, struct cs_err *err)
{
	struct propose_opts o;
	struct propose_plan *plan;
	struct scratch s;
	size_t *plannable = NULL, *pair_of = NULL, np = 0, i, k;
	uint64_t total = 0;

	memset(&o, 0, sizeof(o));
	if (opts != NULL)
		o = *opts;
	if (o.jobs == 0)
		o.jobs = 1;
	if (o.jobs > PROPOSE_MAX_JOBS) {
		cs_err_set(err, CS_E_INVAL,
		    "cannot plan %u parallel associations (at most %d)", o.jobs,
		    PROPOSE_MAX_JOBS);
		return NULL;
	}
	if (in == NULL && n > 0) {
		cs_err_set(err, CS_E_INVAL, "cannot plan: no inputs given");
		return NULL;
	}
	plan = cs_calloc(1, sizeof(*plan));
	memset(&s, 0, sizeof(s));
	s.reserve = o.reserve_pc > 8 ? 8 : o.reserve_pc;
	strmap_init(&s.classes);
	strmap_init(&s.pairs);
	if (plan == NULL)
		goto nomem;
	plan->jobs = o.jobs;
	plan->n_inputs = n;
	if (n > 0) {
		plan->assoc_of = cs_malloc(n * sizeof(*plan->assoc_of));
		plannable = cs_malloc(n * sizeof(*plannable));
		if (plan->assoc_of == NULL || plannable == NULL)
			goto nomem;
	}
	for (i = 0; i < n; i++) {
		plan->assoc_of[i] = -1;
		if (propose_uid_valid(in[i].sop_class) &&
		    propose_uid_valid(in[i].ts)) {
			plannable[np++] = i;
			total += in[i].bytes;
		}
	}
	if (o.balance == PROPOSE_BALANCE_COUNT)
		total = 0;
	if (np > 0) {
		plan->order = cs_malloc(np * sizeof(*plan->order));
		pair_of = cs_malloc(np * sizeof(*pair_of));
		if (plan->order == NULL || pair_of == NULL)
			goto nomem;
	}
	plan->n_order = np;
	if (plan_lanes(plan, in, plannable, np, total, &o, &s, pair_of) < 0)
		goto nomem;
	for (k = 0; k < plan->n_assoc; k++)
		for (i = 0; i < plan->assoc[k].count; i++)
			plan->assoc_of[plan->order[plan->assoc[k].first + i]] =
			    (long)k;
	cs_free(plannable);
	cs_free(pair_of);
	scratch_release(&s);
	return plan;
nomem:
	cs_err_set(err, CS_E_NOMEM,
	    "cannot plan presentation contexts: out of memory");
	cs_free(plannable);
	cs_free(pair_of);
	scratch_release(&s);
	propose_plan_free(plan);
	return NULL;
}

int
propose_fill_params(
    const struct propose_plan *plan, size_t k, struct ul_assoc_params *p)
{
	const struct propose_set *st;

	if (plan == NULL || p == NULL || k >= plan->n_assoc)
		return CS_E_INVAL;
	st = &plan->set[plan->assoc[k].set];
	memcpy(p->pc, st->pc, st->n_pc * sizeof(*st->pc));
	p->n_pc = st->n_pc;
	return 0;
}

/* The proposed context with this id, or NULL. */
static const struct ul_pc *
find_proposed(const struct ul_pc *rq, size_t n, uint8_t id)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (rq[i].id == id)
			return &rq[i];
	return NULL;
}

/* Is accepted context ac usable for class: accepted, ours, syntax proposed? */
static int
usable(const struct ul_pc *rq, size_t n_rq, const struct ul_pc *ac,
    const char *sop_class)
{
	const struct ul_pc *p;
	size_t i;

	if (ac->result != UL_PC_ACCEPTANCE || ac->n_ts < 1)
		return 0;
	p = find_proposed(rq, n_rq, ac->id);
	if (p == NULL || strcmp(p->abstract_syntax, sop_class) != 0)
		return 0;
	for (i = 0; i < p->n_ts && i < UL_MAX_TS; i++)
		if (strcmp(p->ts[i], ac->ts[0]) == 0)
			return 1;
	return 0;
}

enum tier { T_OWN, T_EV, T_DF, T_IV, T_LOSSLESS, T_LOSSY };

static int
fits(
    enum tier t, const char *from, const char *to, const struct propose_opts *o)
{
	switch (t) {
	case T_OWN:
		return strcmp(from, to) == 0;
	case T_EV:
		return strcmp(to, TS_UID_ExplicitVRLittleEndian) == 0 &&
		    converts(o, from, to, 0);
	case T_DF:
		/* a file with VRs keeps them (private ones: Implicit VR
		 * would leave them to a dictionary the peer may not have) */
		return strcmp(to, TS_UID_DeflatedExplicitVRLittleEndian) == 0 &&
		    strcmp(from, TS_UID_ImplicitVRLittleEndian) != 0 &&
		    converts(o, from, to, 0);
	case T_IV:
		return strcmp(to, TS_UID_ImplicitVRLittleEndian) == 0 &&
		    converts(o, from, to, 0);
	case T_LOSSLESS:
		return converts(o, from, to, 0);
	case T_LOSSY:
		return o != NULL && o->allow_lossy && converts(o, from, to, 1);
	}
	return 0;
}

int
propose_pick(const struct ul_pc *proposed, size_t n_proposed,
    const struct ul_pc *accepted, size_t n_accepted, const char *sop_class,
    const char *ts, const struct propose_opts *opts, struct propose_choice *out)
{
	int t, last;
	size_t i;

	if (out == NULL || sop_class == NULL || ts == NULL ||
	    (proposed == NULL && n_proposed > 0) ||
	    (accepted == NULL && n_accepted > 0))
		return CS_E_INVAL;
	last = opts != NULL && opts->no_transcode ? T_OWN : T_LOSSY;
	for (t = T_OWN; t <= last; t++) {
		const struct ul_pc *best = NULL;

		/* lowest PCID wins within a tier: the AC need not be sorted */
		for (i = 0; i < n_accepted; i++) {
			const struct ul_pc *ac = &accepted[i];

			if ((best == NULL || ac->id < best->id) &&
			    usable(proposed, n_proposed, ac, sop_class) &&
			    fits((enum tier)t, ts, ac->ts[0], opts))
				best = ac;
		}
		if (best != NULL) {
			out->pcid = best->id;
			out->ts = best->ts[0];
			out->transcode = strcmp(ts, best->ts[0]) != 0;
			return 0;
		}
	}
	return CS_E_NOTFOUND;
}

int
propose_converts(const struct propose_opts *opts, const char *from,
    const char *to, int lossy)
{
	return converts(opts, from, to, lossy);
}
