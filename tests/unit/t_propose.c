/* t_propose.c - presentation-context planning and choice (lib/storescu/propose). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cstore/cstore.h"
#include "core/alloc.h"
#include "storescu/propose.h"

Suite *propose_suite(void);

#define CT "1.2.840.10008.5.1.4.1.1.2"
#define MR "1.2.840.10008.5.1.4.1.1.4"
#define EV TS_UID_ExplicitVRLittleEndian
#define IV TS_UID_ImplicitVRLittleEndian
#define BE TS_UID_ExplicitVRBigEndian
#define JLL "1.2.840.10008.1.2.4.70"  /* JPEG lossless SV1 */
#define JB "1.2.840.10008.1.2.4.50"   /* JPEG baseline (lossy) */
#define PRIV_TS "1.2.3.4.5.6"          /* nobody can convert it */

/*
 * A stand-in for dcmfile_can_transcode: JPEG lossless decompresses
 * losslessly; JPEG baseline decompresses, but we pretend that needs
 * allow_lossy so that both tiers get exercised; lossless to baseline is
 * lossy.
 */
static int
can(const char *from, const char *to, int lossy)
{
	int to_raw = strcmp(to, EV) == 0 || strcmp(to, IV) == 0;

	if (strcmp(from, JLL) == 0 && to_raw)
		return 1;
	if (strcmp(from, JB) == 0 && to_raw)
		return lossy;
	if (strcmp(from, JLL) == 0 && strcmp(to, JB) == 0)
		return lossy;
	return 0;
}

static int
has_ts(const struct ul_pc *pc, const char *ts)
{
	int i;

	for (i = 0; i < pc->n_ts; i++)
		if (strcmp(pc->ts[i], ts) == 0)
			return 1;
	return 0;
}

/* Checks what every plan must satisfy, whatever the inputs. */
static void
check_invariants(const struct propose_plan *p, const struct propose_input *in)
{
	size_t k, i, j, seen = 0;

	for (k = 0; k < p->n_set; k++) {
		const struct propose_set *s = &p->set[k];
		unsigned char used[256] = { 0 };

		ck_assert_uint_ge(s->n_pc, 1);
		ck_assert_uint_le(s->n_pc, UL_MAX_PC);
		for (i = 0; i < s->n_pc; i++) {
			ck_assert_uint_eq(s->pc[i].id % 2, 1); /* odd */
			ck_assert_uint_eq(used[s->pc[i].id], 0); /* unique */
			used[s->pc[i].id] = 1;
			ck_assert_uint_ge(s->pc[i].n_ts, 1);
			ck_assert_uint_le(s->pc[i].n_ts, UL_MAX_TS);
			ck_assert(propose_uid_valid(s->pc[i].abstract_syntax));
		}
	}
	for (k = 0; k < p->n_assoc; k++) {
		const struct propose_assoc *a = &p->assoc[k];
		const struct propose_set *s = &p->set[a->set];

		ck_assert_uint_lt(a->set, p->n_set);
		ck_assert_uint_eq(s->lane, a->lane);
		ck_assert_uint_lt(a->lane, p->jobs);
		if (k > 0)
			ck_assert_uint_ge(a->lane, p->assoc[k - 1].lane);
		ck_assert_uint_ge(a->count, 1);
		for (i = 0; i < a->count; i++) {
			size_t f = p->order[a->first + i];
			int found = 0;

			/* input order within an association */
			if (i > 0)
				ck_assert_uint_gt(f, p->order[a->first + i - 1]);
			ck_assert_int_eq(p->assoc_of[f], (long)k);
			/* the file's class has a context it can go on */
			for (j = 0; j < s->n_pc; j++)
				if (strcmp(s->pc[j].abstract_syntax,
				    in[f].sop_class) == 0 &&
				    has_ts(&s->pc[j], in[f].ts))
					found = 1;
			ck_assert_msg(found, "input %zu has no context", f);
			seen++;
		}
	}
	ck_assert_uint_eq(seen, p->n_order);
}

START_TEST(one_class_many_syntaxes_gives_own_contexts_and_one_fallback)
{
	const struct propose_input in[] = {
		{ CT, EV, 0 }, { CT, JLL, 0 }, { CT, IV, 0 }, { CT, JB, 0 },
		{ CT, JLL, 0 }, { CT, PRIV_TS, 0 }, { CT, EV, 0 },
	};
	struct propose_opts o = { can, 0, 0, 1, 0, PROPOSE_BALANCE_BYTES, 0 };
	struct propose_plan *p = propose_plan_new(in, 7, &o, NULL);
	const struct ul_pc *pc;

	ck_assert_ptr_nonnull(p);
	check_invariants(p, in);
	ck_assert_uint_eq(p->n_assoc, 1);
	ck_assert_uint_eq(p->n_set, 1);
	pc = p->set[0].pc;
	ck_assert_uint_eq(p->set[0].n_pc, 6);
	/* own syntaxes alone (Implicit VR LE too, so that such files go as
	 * they are), in first-appearance order, then the group */
	ck_assert_uint_eq(pc[0].id, 1);
	ck_assert_uint_eq(pc[0].n_ts, 1);
	ck_assert_str_eq(pc[0].ts[0], JLL);
	ck_assert_str_eq(pc[1].ts[0], IV);
	ck_assert_str_eq(pc[2].ts[0], JB);
	ck_assert_uint_eq(pc[2].id, 5);
	ck_assert_str_eq(pc[3].ts[0], PRIV_TS);
	ck_assert_uint_eq(pc[4].id, 9);
	ck_assert_str_eq(pc[4].abstract_syntax, CT);
	ck_assert_uint_eq(pc[4].n_ts, 2);
	ck_assert_str_eq(pc[4].ts[0], EV);
	ck_assert_str_eq(pc[4].ts[1], IV);
	/* Big Endian after it, alone, for peers that take only that: in
	 * the group, a peer preferring it would convert every LE file */
	ck_assert_uint_eq(pc[5].id, 11);
	ck_assert_str_eq(pc[5].abstract_syntax, CT);
	ck_assert_uint_eq(pc[5].n_ts, 1);
	ck_assert_str_eq(pc[5].ts[0], BE);
	ck_assert_uint_eq(p->assoc[0].count, 7);
	propose_plan_free(p);
}
END_TEST

START_TEST(fallbacks_only_where_the_predicate_allows)
{
	/* JPEG baseline only, lossy not allowed: no uncompressed fallback */
	const struct propose_input in[] = { { MR, JB, 0 }, { MR, PRIV_TS, 0 } };
	struct propose_opts o = { can, 0, 0, 1, 0, PROPOSE_BALANCE_BYTES, 0 };
	struct propose_plan *p = propose_plan_new(in, 2, &o, NULL);

	ck_assert_ptr_nonnull(p);
	ck_assert_uint_eq(p->set[0].n_pc, 2);
	propose_plan_free(p);
	/* with lossy allowed, the fallback appears */
	o.allow_lossy = 1;
	p = propose_plan_new(in, 2, &o, NULL);
	ck_assert_ptr_nonnull(p);
	ck_assert_uint_eq(p->set[0].n_pc, 3);
	ck_assert_uint_eq(p->set[0].pc[2].n_ts, 2);
	propose_plan_free(p);
	/* no predicate: the retired big endian still falls back */
	{
		const struct propose_input be[] = { { MR, BE, 0 } };

		p = propose_plan_new(be, 1, NULL, NULL);
		ck_assert_ptr_nonnull(p);
		ck_assert_uint_eq(p->set[0].n_pc, 2);
		ck_assert_str_eq(p->set[0].pc[0].ts[0], BE);
		ck_assert_str_eq(p->set[0].pc[1].ts[0], EV);
		ck_assert_str_eq(p->set[0].pc[1].ts[1], IV);
		propose_plan_free(p);
	}
}
END_TEST

START_TEST(no_transcode_proposes_each_syntax_alone)
{
	const struct propose_input in[] = {
		{ CT, EV, 0 }, { CT, IV, 0 }, { CT, JLL, 0 }, { CT, EV, 0 },
	};
	struct propose_opts o = { can, 0, 1, 1, 0, PROPOSE_BALANCE_BYTES, 0 };
	struct propose_plan *p = propose_plan_new(in, 4, &o, NULL);

	ck_assert_ptr_nonnull(p);
	check_invariants(p, in);
	ck_assert_uint_eq(p->set[0].n_pc, 3);
	ck_assert_str_eq(p->set[0].pc[0].ts[0], EV);
	ck_assert_str_eq(p->set[0].pc[1].ts[0], IV);
	ck_assert_str_eq(p->set[0].pc[2].ts[0], JLL);
	ck_assert_uint_eq(p->set[0].pc[0].n_ts, 1);
	ck_assert_uint_eq(p->set[0].pc[1].n_ts, 1);
	propose_plan_free(p);
}
END_TEST

START_TEST(two_hundred_private_classes_need_two_associations)
{
	enum { N = 200 };
	static char cls[N][40];
	struct propose_input in[N];
	struct propose_plan *p;
	size_t i, k, total = 0, eb = 0;
	int n_classes_seen[N] = { 0 };

	for (i = 0; i < N; i++) {
		snprintf(cls[i], sizeof(cls[i]), "1.2.826.0.1.3680043.9.%zu", i);
		in[i].sop_class = cls[i];
		in[i].ts = EV; /* one (fallback) context per class */
		in[i].bytes = 0;
	}
	p = propose_plan_new(in, N, NULL, NULL);
	ck_assert_ptr_nonnull(p);
	check_invariants(p, in);
	ck_assert_uint_eq(p->n_assoc, 2);
	ck_assert_uint_eq(p->set[0].n_pc, 128);
	/* 72 classes, and Big Endian for the first 56 in the room left:
	 * it never costs an association (propose.c place_eb) */
	ck_assert_uint_eq(p->set[1].n_pc, 128);
	ck_assert_uint_eq(p->set[0].pc[127].id, 255);
	ck_assert_str_eq(p->set[0].pc[127].ts[0], EV);
	/* each class proposed exactly once across the associations */
	for (k = 0; k < p->n_set; k++)
		for (i = 0; i < p->set[k].n_pc; i++) {
			unsigned long c = strtoul(strrchr(
			    p->set[k].pc[i].abstract_syntax, '.') + 1, NULL, 10);

			ck_assert_uint_lt(c, N);
			if (strcmp(p->set[k].pc[i].ts[0], BE) == 0) {
				eb++;
				continue;
			}
			n_classes_seen[c]++;
			total++;
		}
	ck_assert_uint_eq(total, N);
	ck_assert_uint_eq(eb, 56);
	for (i = 0; i < N; i++)
		ck_assert_int_eq(n_classes_seen[i], 1);
	ck_assert_int_eq(p->assoc_of[0], 0);
	ck_assert_int_eq(p->assoc_of[127], 0);
	ck_assert_int_eq(p->assoc_of[128], 1);
	ck_assert_int_eq(p->assoc_of[199], 1);
	propose_plan_free(p);
}
END_TEST

/* --commit: a context left free in each set for Storage Commitment. */
START_TEST(reserve_pc_leaves_room_in_every_set)
{
	enum { N = 300 };
	static char cls[N][40];
	struct propose_input in[N];
	struct propose_opts o = { NULL, 0, 0, 1, 0, PROPOSE_BALANCE_BYTES, 1 };
	struct propose_plan *p;
	size_t i, k, total = 0, eb = 0;

	for (i = 0; i < N; i++) {
		snprintf(cls[i], sizeof(cls[i]), "1.2.826.0.1.3680043.9.%zu", i);
		in[i].sop_class = cls[i];
		in[i].ts = EV;
		in[i].bytes = 0;
	}
	p = propose_plan_new(in, N, &o, NULL);
	ck_assert_ptr_nonnull(p);
	check_invariants(p, in);
	ck_assert_uint_eq(p->n_assoc, 3);
	for (k = 0; k < p->n_set; k++) {
		ck_assert_uint_le(p->set[k].n_pc, UL_MAX_PC - 1);
		for (i = 0; i < p->set[k].n_pc; i++)
			if (strcmp(p->set[k].pc[i].ts[0], BE) == 0)
				eb++;
			else
				total++;
	}
	ck_assert_uint_eq(p->set[0].n_pc, 127);
	ck_assert_uint_eq(total, N);
	/* Big Endian in the last set's room only: 46 + 46 */
	ck_assert_uint_eq(eb, 46);
	ck_assert_uint_eq(p->set[2].n_pc, 92);
	propose_plan_free(p);
}
END_TEST

START_TEST(classes_stay_together_and_pack_first_fit)
{
	/*
	 * 127 one-context classes, then a class needing 3 contexts (does not
	 * fit the first association), then a one-context class (fits).
	 */
	enum { N = 131 };
	static char cls[N][40];
	struct propose_input in[N];
	struct propose_opts o = { can, 0, 0, 1, 0, PROPOSE_BALANCE_BYTES, 0 };
	struct propose_plan *p;
	size_t i;

	for (i = 0; i < 127; i++) {
		snprintf(cls[i], sizeof(cls[i]), "1.2.3.%zu", i);
		in[i].sop_class = cls[i];
		in[i].ts = EV;
		in[i].bytes = 0;
	}
	in[127] = (struct propose_input){ CT, JLL, 0 };
	in[128] = (struct propose_input){ CT, PRIV_TS, 0 };
	in[129] = (struct propose_input){ MR, EV, 0 };
	in[130] = (struct propose_input){ CT, EV, 0 };
	p = propose_plan_new(in, N, &o, NULL);
	ck_assert_ptr_nonnull(p);
	check_invariants(p, in);
	ck_assert_uint_eq(p->n_assoc, 2);
	ck_assert_uint_eq(p->set[0].n_pc, 128); /* MR went back into the first */
	ck_assert_str_eq(p->set[0].pc[127].abstract_syntax, MR);
	ck_assert_uint_eq(p->set[1].n_pc, 4); /* CT: JLL, private, group, BE */
	ck_assert_int_eq(p->assoc_of[127], 1);
	ck_assert_int_eq(p->assoc_of[129], 0);
	ck_assert_int_eq(p->assoc_of[130], 1);
	/* association 1's files: in input order */
	ck_assert_uint_eq(p->assoc[1].count, 3);
	ck_assert_uint_eq(p->order[p->assoc[1].first], 127);
	ck_assert_uint_eq(p->order[p->assoc[1].first + 2], 130);
	propose_plan_free(p);
}
END_TEST

START_TEST(a_class_with_more_syntaxes_than_fit_is_split)
{
	enum { N = 300 };
	static char ts[N][40];
	struct propose_input in[N];
	struct propose_plan *p;
	size_t i;

	for (i = 0; i < N; i++) {
		snprintf(ts[i], sizeof(ts[i]), "1.2.999.%zu", i);
		in[i] = (struct propose_input){ CT, ts[i], 0 };
	}
	in[5].ts = EV; /* gives the class an uncompressed group */
	p = propose_plan_new(in, N, NULL, NULL);
	ck_assert_ptr_nonnull(p);
	check_invariants(p, in);
	ck_assert_uint_eq(p->n_assoc, 3); /* 299 own: 127 + 127 + 45, each + group */
	ck_assert_uint_eq(p->set[0].n_pc, 128);
	ck_assert_uint_eq(p->set[2].n_pc, 47); /* and Big Endian */
	ck_assert_int_eq(p->assoc_of[5], 0);
	propose_plan_free(p);
}
END_TEST

START_TEST(unplannable_inputs_get_no_association)
{
	static char long_uid[80];
	const struct propose_input in[] = {
		{ NULL, NULL, 0 }, { CT, EV, 0 }, { "", EV, 0 },
		{ "1.2.abc", EV, 0 }, { CT, NULL, 0 }, { long_uid, EV, 0 },
		{ MR, IV, 0 },
	};
	struct propose_plan *p;

	memset(long_uid, '1', 65);
	p = propose_plan_new(in, 7, NULL, NULL);
	ck_assert_ptr_nonnull(p);
	check_invariants(p, in);
	ck_assert_int_eq(p->assoc_of[0], -1);
	ck_assert_int_eq(p->assoc_of[1], 0);
	ck_assert_int_eq(p->assoc_of[2], -1);
	ck_assert_int_eq(p->assoc_of[3], -1);
	ck_assert_int_eq(p->assoc_of[4], -1);
	ck_assert_int_eq(p->assoc_of[5], -1);
	ck_assert_int_eq(p->assoc_of[6], 0);
	ck_assert_uint_eq(p->n_order, 2);
	propose_plan_free(p);
	/* nothing plannable: an empty plan, not an error */
	p = propose_plan_new(in, 1, NULL, NULL);
	ck_assert_ptr_nonnull(p);
	ck_assert_uint_eq(p->n_assoc, 0);
	propose_plan_free(p);
	p = propose_plan_new(NULL, 0, NULL, NULL);
	ck_assert_ptr_nonnull(p);
	propose_plan_free(p);
}
END_TEST

START_TEST(per_assoc_reopens_after_n_files_with_the_same_contexts)
{
	const struct propose_input in[] = {
		{ CT, EV, 0 }, { MR, EV, 0 }, { CT, EV, 0 }, { CT, JLL, 0 },
		{ MR, EV, 0 },
	};
	struct propose_opts o = { can, 0, 0, 1, 2, PROPOSE_BALANCE_BYTES, 0 };
	struct propose_plan *p = propose_plan_new(in, 5, &o, NULL);

	ck_assert_ptr_nonnull(p);
	check_invariants(p, in);
	ck_assert_uint_eq(p->n_set, 1);
	ck_assert_uint_eq(p->n_assoc, 3);
	ck_assert_uint_eq(p->assoc[0].count, 2);
	ck_assert_uint_eq(p->assoc[1].count, 2);
	ck_assert_uint_eq(p->assoc[2].count, 1);
	ck_assert_uint_eq(p->assoc[2].set, 0);
	ck_assert_uint_eq(p->order[4], 4);
	ck_assert_int_eq(p->assoc_of[2], 1);
	propose_plan_free(p);
}
END_TEST

START_TEST(jobs_split_contiguously_by_count_or_bytes)
{
	struct propose_input in[8];
	struct propose_opts o = { can, 0, 0, 2, 0, PROPOSE_BALANCE_COUNT, 0 };
	struct propose_plan *p;
	size_t i;

	for (i = 0; i < 8; i++)
		in[i] = (struct propose_input){ i < 4 ? CT : MR, EV, 1 };
	in[0].bytes = 1000; /* one big file */
	p = propose_plan_new(in, 8, &o, NULL);
	ck_assert_ptr_nonnull(p);
	check_invariants(p, in);
	ck_assert_uint_eq(p->n_assoc, 2);
	ck_assert_uint_eq(p->assoc[0].count, 4);
	ck_assert_uint_eq(p->assoc[1].lane, 1);
	/* each lane plans only its own classes */
	ck_assert_uint_eq(p->set[0].n_pc, 2); /* the group, Big Endian */
	ck_assert_str_eq(p->set[1].pc[0].abstract_syntax, MR);
	propose_plan_free(p);

	o.balance = PROPOSE_BALANCE_BYTES;
	p = propose_plan_new(in, 8, &o, NULL);
	ck_assert_ptr_nonnull(p);
	check_invariants(p, in);
	ck_assert_uint_eq(p->assoc[0].count, 1); /* the big file alone */
	ck_assert_uint_eq(p->assoc[1].count, 7);
	propose_plan_free(p);

	/* more lanes than files: empty lanes have no association */
	o.jobs = 16;
	p = propose_plan_new(in, 3, &o, NULL);
	ck_assert_ptr_nonnull(p);
	check_invariants(p, in);
	ck_assert_uint_le(p->n_assoc, 3);
	ck_assert_uint_eq(p->n_order, 3);
	propose_plan_free(p);
}
END_TEST

START_TEST(too_many_jobs_is_invalid)
{
	const struct propose_input in[] = { { CT, EV, 0 } };
	struct propose_opts o = { NULL, 0, 0, PROPOSE_MAX_JOBS + 1, 0, 0, 0 };
	struct cs_err e = { 0, "" };

	ck_assert_ptr_null(propose_plan_new(in, 1, &o, &e));
	ck_assert_int_eq(e.code, CS_E_INVAL);
	ck_assert_ptr_nonnull(strstr(e.msg, "257"));
}
END_TEST

START_TEST(fill_params_copies_the_contexts)
{
	const struct propose_input in[] = { { CT, JLL, 0 }, { MR, EV, 0 } };
	struct propose_opts o = { can, 0, 0, 1, 0, 0, 0 };
	struct propose_plan *p = propose_plan_new(in, 2, &o, NULL);
	static struct ul_assoc_params ap;

	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(propose_fill_params(p, 0, &ap), 0);
	ck_assert_uint_eq(ap.n_pc, 4);
	ck_assert_str_eq(ap.pc[0].ts[0], JLL);
	ck_assert_str_eq(ap.pc[2].abstract_syntax, MR);
	ck_assert_int_eq(propose_fill_params(p, 1, &ap), CS_E_INVAL);
	propose_plan_free(p);
}
END_TEST

START_TEST(plan_fails_cleanly_at_every_allocation)
{
	enum { N = 300 };
	static char cls[N][40];
	struct propose_input in[N];
	struct propose_opts o = { can, 0, 0, 3, 7, 0, 0 };
	struct propose_plan *p = NULL;
	struct cs_err e;
	unsigned long n;
	size_t i;

	for (i = 0; i < N; i++) {
		snprintf(cls[i], sizeof(cls[i]), "1.2.3.%zu", i % 150);
		in[i] = (struct propose_input){ cls[i], i % 3 ? EV : JLL, i };
	}
	for (n = 1; n < 100000; n++) {
		cs_err_clear(&e);
		cs_alloc_fail_at(n);
		p = propose_plan_new(in, N, &o, &e);
		cs_alloc_fail_at(0);
		if (p != NULL)
			break;
		ck_assert_int_eq(e.code, CS_E_NOMEM);
	}
	ck_assert_ptr_nonnull(p);
	ck_assert_uint_gt(n, 1);
	check_invariants(p, in);
	propose_plan_free(p);
}
END_TEST

/* Builds a proposal of contexts (id, class, ts...) and an AC answering them. */
static void
pc_set(struct ul_pc *pc, uint8_t id, const char *cls, const char *t0,
    const char *t1)
{
	memset(pc, 0, sizeof(*pc));
	pc->id = id;
	snprintf(pc->abstract_syntax, sizeof(pc->abstract_syntax), "%s", cls);
	snprintf(pc->ts[pc->n_ts++], UL_UID_MAX + 1, "%s", t0);
	if (t1 != NULL)
		snprintf(pc->ts[pc->n_ts++], UL_UID_MAX + 1, "%s", t1);
}

static void
ac_set(struct ul_pc *pc, uint8_t id, uint8_t result, const char *ts)
{
	memset(pc, 0, sizeof(*pc));
	pc->id = id;
	pc->result = result;
	pc->n_ts = 1;
	snprintf(pc->ts[0], UL_UID_MAX + 1, "%s", ts);
}

/* Like dcmfile_can_transcode: the uncompressed syntaxes and JPEG
 * lossless also convert into Deflated Explicit VR LE. */
#define DF TS_UID_DeflatedExplicitVRLittleEndian
static int
can_df(const char *from, const char *to, int lossy)
{
	int raw_from = strcmp(from, EV) == 0 || strcmp(from, IV) == 0 ||
	    strcmp(from, BE) == 0 || strcmp(from, JLL) == 0 ||
	    strcmp(from, DF) == 0;

	if (strcmp(to, DF) == 0 ||
	    (strcmp(from, DF) == 0 && (strcmp(to, EV) == 0 || strcmp(to, IV) == 0)))
		return raw_from;
	return can(from, to, lossy);
}

START_TEST(deflated_is_the_last_fallback_and_picked_when_alone)
{
	const struct propose_input in[] = { { CT, EV, 0 }, { MR, PRIV_TS, 0 },
		{ MR, IV, 0 }, { MR, DF, 0 } };
	struct propose_opts o = { can_df, 0, 0, 1, 0, PROPOSE_BALANCE_BYTES,
		0 };
	struct propose_plan *p = propose_plan_new(in, 1, &o, NULL);
	const struct ul_pc *pc;
	struct ul_pc ac[2];
	struct propose_choice c;

	ck_assert_ptr_nonnull(p);
	check_invariants(p, in);
	pc = p->set[0].pc;
	/* the uncompressed group, then Deflated alone (a peer preferring
	 * it must not take it over Explicit VR LE in the group) */
	ck_assert_uint_eq(p->set[0].n_pc, 3);
	ck_assert_uint_eq(pc[0].n_ts, 2);
	ck_assert_str_eq(pc[0].ts[0], EV);
	ck_assert_str_eq(pc[0].ts[1], IV);
	ck_assert_uint_eq(pc[1].n_ts, 1);
	ck_assert_str_eq(pc[1].ts[0], BE);
	ck_assert_uint_eq(pc[2].n_ts, 1);
	ck_assert_str_eq(pc[2].ts[0], DF);
	ck_assert_str_eq(pc[2].abstract_syntax, CT);
	/* a peer that takes only Deflated: the file is deflated */
	ac_set(&ac[0], pc[0].id, UL_PC_TRANSFER_SYNTAXES_NOT_SUPPORTED, EV);
	ac_set(&ac[1], pc[2].id, UL_PC_ACCEPTANCE, DF);
	ck_assert_int_eq(propose_pick(pc, 3, ac, 2, CT, EV, &o, &c), 0);
	ck_assert_uint_eq(c.pcid, pc[2].id);
	ck_assert_str_eq(c.ts, DF);
	ck_assert_int_eq(c.transcode, 1);
	/* one that takes both: no conversion */
	ac_set(&ac[0], pc[0].id, UL_PC_ACCEPTANCE, EV);
	ck_assert_int_eq(propose_pick(pc, 3, ac, 2, CT, EV, &o, &c), 0);
	ck_assert_uint_eq(c.pcid, pc[0].id);
	ck_assert_int_eq(c.transcode, 0);
	/* one that takes Implicit VR LE in the group and Deflated: a file
	 * with VRs is deflated (they stay), an Implicit VR one goes as it
	 * is */
	ac_set(&ac[0], pc[0].id, UL_PC_ACCEPTANCE, IV);
	ck_assert_int_eq(propose_pick(pc, 3, ac, 2, CT, EV, &o, &c), 0);
	ck_assert_uint_eq(c.pcid, pc[2].id);
	ck_assert_str_eq(c.ts, DF);
	ck_assert_int_eq(propose_pick(pc, 3, ac, 2, CT, BE, &o, &c), 0);
	ck_assert_str_eq(c.ts, DF);
	ck_assert_int_eq(propose_pick(pc, 3, ac, 2, CT, JLL, &o, &c), 0);
	ck_assert_str_eq(c.ts, DF);
	ck_assert_int_eq(propose_pick(pc, 3, ac, 2, CT, IV, &o, &c), 0);
	ck_assert_uint_eq(c.pcid, pc[0].id);
	ck_assert_int_eq(c.transcode, 0);
	propose_plan_free(p);
	/* MR: a Deflated file has Deflated alone already, no second one;
	 * a syntax nobody converts adds nothing */
	p = propose_plan_new(&in[1], 3, &o, NULL);
	ck_assert_ptr_nonnull(p);
	check_invariants(p, &in[1]);
	pc = p->set[0].pc;
	ck_assert_uint_eq(p->set[0].n_pc, 5);
	ck_assert_str_eq(pc[0].ts[0], PRIV_TS);
	ck_assert_str_eq(pc[1].ts[0], IV);
	ck_assert_str_eq(pc[2].ts[0], DF);
	ck_assert_uint_eq(pc[3].n_ts, 2);
	ck_assert_str_eq(pc[3].ts[0], EV);
	ck_assert_uint_eq(pc[4].n_ts, 1);
	ck_assert_str_eq(pc[4].ts[0], BE);
	propose_plan_free(p);
}
END_TEST

START_TEST(pick_prefers_the_files_own_syntax)
{
	struct ul_pc rq[3], ac[3];
	struct propose_opts o = { can, 0, 0, 1, 0, 0, 0 };
	struct propose_choice c;

	pc_set(&rq[0], 1, CT, JLL, NULL);
	pc_set(&rq[1], 3, CT, EV, IV);
	pc_set(&rq[2], 5, MR, EV, IV);
	ac_set(&ac[0], 5, UL_PC_ACCEPTANCE, IV);
	ac_set(&ac[1], 3, UL_PC_ACCEPTANCE, EV);
	ac_set(&ac[2], 1, UL_PC_ACCEPTANCE, JLL);
	ck_assert_int_eq(propose_pick(rq, 3, ac, 3, CT, JLL, &o, &c), 0);
	ck_assert_uint_eq(c.pcid, 1);
	ck_assert_str_eq(c.ts, JLL);
	ck_assert_int_eq(c.transcode, 0);
	ck_assert_int_eq(propose_pick(rq, 3, ac, 3, CT, EV, &o, &c), 0);
	ck_assert_uint_eq(c.pcid, 3);
	ck_assert_int_eq(c.transcode, 0);
	/* MR in EVRLE: only IVRLE accepted for MR, a lossless conversion */
	ck_assert_int_eq(propose_pick(rq, 3, ac, 3, MR, EV, &o, &c), 0);
	ck_assert_uint_eq(c.pcid, 5);
	ck_assert_str_eq(c.ts, IV);
	ck_assert_int_eq(c.transcode, 1);
}
END_TEST

START_TEST(pick_falls_back_to_evrle_then_ivrle)
{
	struct ul_pc rq[3], ac[3];
	struct propose_opts o = { can, 0, 0, 1, 0, 0, 0 };
	struct propose_choice c;

	/* JLL rejected; two group contexts accepted, IVRLE with the lower id */
	pc_set(&rq[0], 1, CT, EV, IV);
	pc_set(&rq[1], 3, CT, JLL, NULL);
	pc_set(&rq[2], 5, CT, EV, IV);
	ac_set(&ac[0], 1, UL_PC_ACCEPTANCE, IV);
	ac_set(&ac[1], 3, UL_PC_TRANSFER_SYNTAXES_NOT_SUPPORTED, JLL);
	ac_set(&ac[2], 5, UL_PC_ACCEPTANCE, EV);
	ck_assert_int_eq(propose_pick(rq, 3, ac, 3, CT, JLL, &o, &c), 0);
	ck_assert_uint_eq(c.pcid, 5);
	ck_assert_str_eq(c.ts, EV);
	ck_assert_int_eq(c.transcode, 1);
	/* only IVRLE left */
	ac[2].result = UL_PC_USER_REJECTION;
	ck_assert_int_eq(propose_pick(rq, 3, ac, 3, CT, JLL, &o, &c), 0);
	ck_assert_uint_eq(c.pcid, 1);
	ck_assert_str_eq(c.ts, IV);
	/* --no-transcode: the file's own syntax or nothing */
	o.no_transcode = 1;
	ck_assert_int_eq(propose_pick(rq, 3, ac, 3, CT, JLL, &o, &c),
	    CS_E_NOTFOUND);
}
END_TEST

START_TEST(pick_needs_allow_lossy_for_a_lossy_conversion)
{
	struct ul_pc rq[2], ac[2];
	struct propose_opts o = { can, 0, 0, 1, 0, 0, 0 };
	struct propose_choice c;

	pc_set(&rq[0], 1, CT, JB, NULL);
	pc_set(&rq[1], 3, CT, JLL, NULL);
	ac_set(&ac[0], 1, UL_PC_ACCEPTANCE, JB);
	ac_set(&ac[1], 3, UL_PC_ABSTRACT_SYNTAX_NOT_SUPPORTED, JLL);
	ck_assert_int_eq(propose_pick(rq, 2, ac, 2, CT, JLL, &o, &c),
	    CS_E_NOTFOUND);
	o.allow_lossy = 1;
	ck_assert_int_eq(propose_pick(rq, 2, ac, 2, CT, JLL, &o, &c), 0);
	ck_assert_uint_eq(c.pcid, 1);
	ck_assert_int_eq(c.transcode, 1);
	/* a syntax nothing converts: no context even with lossy */
	ck_assert_int_eq(propose_pick(rq, 2, ac, 2, CT, PRIV_TS, &o, &c),
	    CS_E_NOTFOUND);
}
END_TEST

START_TEST(pick_ignores_other_classes_unknown_ids_and_unproposed_syntaxes)
{
	struct ul_pc rq[2], ac[3];
	struct propose_choice c;

	pc_set(&rq[0], 1, MR, EV, IV);
	pc_set(&rq[1], 3, CT, JLL, NULL);
	ac_set(&ac[0], 1, UL_PC_ACCEPTANCE, EV); /* MR's, not CT's */
	ac_set(&ac[1], 7, UL_PC_ACCEPTANCE, EV); /* never proposed */
	ac_set(&ac[2], 3, UL_PC_ACCEPTANCE, EV); /* EV not proposed in 3 */
	ck_assert_int_eq(propose_pick(rq, 2, ac, 3, CT, EV, NULL, &c),
	    CS_E_NOTFOUND);
	ck_assert_int_eq(propose_pick(rq, 2, ac, 3, MR, EV, NULL, &c), 0);
	ck_assert_uint_eq(c.pcid, 1);
	ck_assert_int_eq(propose_pick(rq, 2, ac, 3, MR, NULL, NULL, &c),
	    CS_E_INVAL);
	ck_assert_int_eq(propose_pick(NULL, 2, ac, 3, MR, EV, NULL, &c),
	    CS_E_INVAL);
	ck_assert_int_eq(propose_pick(rq, 2, ac, 0, MR, EV, NULL, &c),
	    CS_E_NOTFOUND);
}
END_TEST

START_TEST(plan_then_pick_round_trip)
{
	const struct propose_input in[] = {
		{ CT, JLL, 0 }, { CT, IV, 0 }, { MR, JB, 0 },
	};
	struct propose_opts o = { can, 0, 0, 1, 0, 0, 0 };
	struct propose_plan *p = propose_plan_new(in, 3, &o, NULL);
	struct ul_pc ac[UL_MAX_PC];
	struct propose_choice c;
	size_t i;

	ck_assert_ptr_nonnull(p);
	/* a peer that accepts only Implicit VR LE */
	for (i = 0; i < p->set[0].n_pc; i++)
		ac_set(&ac[i], p->set[0].pc[i].id,
		    has_ts(&p->set[0].pc[i], IV) ? UL_PC_ACCEPTANCE :
		    UL_PC_TRANSFER_SYNTAXES_NOT_SUPPORTED, IV);
	ck_assert_int_eq(propose_pick(p->set[0].pc, p->set[0].n_pc, ac,
	    p->set[0].n_pc, CT, JLL, &o, &c), 0);
	ck_assert_str_eq(c.ts, IV);
	ck_assert_int_eq(c.transcode, 1);
	ck_assert_int_eq(propose_pick(p->set[0].pc, p->set[0].n_pc, ac,
	    p->set[0].n_pc, CT, IV, &o, &c), 0);
	ck_assert_int_eq(c.transcode, 0);
	/* MR JPEG baseline: no lossless way, no fallback proposed */
	ck_assert_int_eq(propose_pick(p->set[0].pc, p->set[0].n_pc, ac,
	    p->set[0].n_pc, MR, JB, &o, &c), CS_E_NOTFOUND);
	propose_plan_free(p);
}
END_TEST

Suite *
propose_suite(void)
{
	Suite *s = suite_create("propose");
	TCase *tc = tcase_create("storescu");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, one_class_many_syntaxes_gives_own_contexts_and_one_fallback);
	tcase_add_test(tc, fallbacks_only_where_the_predicate_allows);
	tcase_add_test(tc, no_transcode_proposes_each_syntax_alone);
	tcase_add_test(tc, two_hundred_private_classes_need_two_associations);
	tcase_add_test(tc, classes_stay_together_and_pack_first_fit);
	tcase_add_test(tc, reserve_pc_leaves_room_in_every_set);
	tcase_add_test(tc, a_class_with_more_syntaxes_than_fit_is_split);
	tcase_add_test(tc, unplannable_inputs_get_no_association);
	tcase_add_test(tc, per_assoc_reopens_after_n_files_with_the_same_contexts);
	tcase_add_test(tc, jobs_split_contiguously_by_count_or_bytes);
	tcase_add_test(tc, too_many_jobs_is_invalid);
	tcase_add_test(tc, fill_params_copies_the_contexts);
	tcase_add_test(tc, plan_fails_cleanly_at_every_allocation);
	tcase_add_test(tc, pick_prefers_the_files_own_syntax);
	tcase_add_test(tc, pick_falls_back_to_evrle_then_ivrle);
	tcase_add_test(tc, pick_needs_allow_lossy_for_a_lossy_conversion);
	tcase_add_test(tc, pick_ignores_other_classes_unknown_ids_and_unproposed_syntaxes);
	tcase_add_test(tc, plan_then_pick_round_trip);
	tcase_add_test(tc, deflated_is_the_last_fallback_and_picked_when_alone);
	suite_add_tcase(s, tc);
	return s;
}
