/*
 * ul_fsm.c - PS3.8 Table 9-10 (state transition table), transcribed cell
 * by cell, and the names of states, events and actions.
 */
#include <stddef.h>

#include "ul_fsm.h"
#include "banned.h"

/* Cell helpers: indices are 0-based, the table's numbers 1-based. */
/* clang-format off */
#define CELL(evt, sta) [(evt) - 1][(sta) - 1]
#define GO(act, nxt) { (uint8_t)(act), (uint8_t)(nxt), 0 }
#define GO2(act, nxt, alt) { (uint8_t)(act), (uint8_t)(nxt), (uint8_t)(alt) }
/* clang-format on */

/*
 * PS3.8 Table 9-10, row by row (one row per event).  Every non-empty cell
 * of the table is listed; empty cells stay zero (UL_ACT_NONE).  The next
 * state is the one the action's definition (Tables 9-6..9-9) names.
 */
/* clang-format off */
static const struct ul_fsm_cell table[UL_NEVENTS][UL_NSTATES] = {
	/* Evt1: A-ASSOCIATE request primitive */
	CELL(1, 1) = GO(UL_AE1, 4),
	/* Evt2: transport connect confirmation */
	CELL(2, 4) = GO(UL_AE2, 5),
	/* Evt3: A-ASSOCIATE-AC PDU */
	CELL(3, 2) = GO(UL_AA1, 13),
	CELL(3, 3) = GO(UL_AA8, 13),
	CELL(3, 5) = GO(UL_AE3, 6),
	CELL(3, 6) = GO(UL_AA8, 13),
	CELL(3, 7) = GO(UL_AA8, 13),
	CELL(3, 8) = GO(UL_AA8, 13),
	CELL(3, 9) = GO(UL_AA8, 13),
	CELL(3, 10) = GO(UL_AA8, 13),
	CELL(3, 11) = GO(UL_AA8, 13),
	CELL(3, 12) = GO(UL_AA8, 13),
	CELL(3, 13) = GO(UL_AA6, 13),
	/* Evt4: A-ASSOCIATE-RJ PDU */
	CELL(4, 2) = GO(UL_AA1, 13),
	CELL(4, 3) = GO(UL_AA8, 13),
	CELL(4, 5) = GO(UL_AE4, 1),
	CELL(4, 6) = GO(UL_AA8, 13),
	CELL(4, 7) = GO(UL_AA8, 13),
	CELL(4, 8) = GO(UL_AA8, 13),
	CELL(4, 9) = GO(UL_AA8, 13),
	CELL(4, 10) = GO(UL_AA8, 13),
	CELL(4, 11) = GO(UL_AA8, 13),
	CELL(4, 12) = GO(UL_AA8, 13),
	CELL(4, 13) = GO(UL_AA6, 13),
	/* Evt5: transport connection indication */
	CELL(5, 1) = GO(UL_AE5, 2),
	/* Evt6: A-ASSOCIATE-RQ PDU */
	CELL(6, 2) = GO2(UL_AE6, 3, 13),
	CELL(6, 3) = GO(UL_AA8, 13),
	CELL(6, 5) = GO(UL_AA8, 13),
	CELL(6, 6) = GO(UL_AA8, 13),
	CELL(6, 7) = GO(UL_AA8, 13),
	CELL(6, 8) = GO(UL_AA8, 13),
	CELL(6, 9) = GO(UL_AA8, 13),
	CELL(6, 10) = GO(UL_AA8, 13),
	CELL(6, 11) = GO(UL_AA8, 13),
	CELL(6, 12) = GO(UL_AA8, 13),
	CELL(6, 13) = GO(UL_AA7, 13),
	/* Evt7: A-ASSOCIATE response primitive (accept) */
	CELL(7, 3) = GO(UL_AE7, 6),
	/* Evt8: A-ASSOCIATE response primitive (reject) */
	CELL(8, 3) = GO(UL_AE8, 13),
	/* Evt9: P-DATA request primitive */
	CELL(9, 6) = GO(UL_DT1, 6),
	CELL(9, 8) = GO(UL_AR7, 8),
	/* Evt10: P-DATA-TF PDU */
	CELL(10, 2) = GO(UL_AA1, 13),
	CELL(10, 3) = GO(UL_AA8, 13),
	CELL(10, 5) = GO(UL_AA8, 13),
	CELL(10, 6) = GO(UL_DT2, 6),
	CELL(10, 7) = GO(UL_AR6, 7),
	CELL(10, 8) = GO(UL_AA8, 13),
	CELL(10, 9) = GO(UL_AA8, 13),
	CELL(10, 10) = GO(UL_AA8, 13),
	CELL(10, 11) = GO(UL_AA8, 13),
	CELL(10, 12) = GO(UL_AA8, 13),
	CELL(10, 13) = GO(UL_AA6, 13),
	/* Evt11: A-RELEASE request primitive */
	CELL(11, 6) = GO(UL_AR1, 7),
	/* Evt12: A-RELEASE-RQ PDU */
	CELL(12, 2) = GO(UL_AA1, 13),
	CELL(12, 3) = GO(UL_AA8, 13),
	CELL(12, 5) = GO(UL_AA8, 13),
	CELL(12, 6) = GO(UL_AR2, 8),
	CELL(12, 7) = GO2(UL_AR8, 9, 10),
	CELL(12, 8) = GO(UL_AA8, 13),
	CELL(12, 9) = GO(UL_AA8, 13),
	CELL(12, 10) = GO(UL_AA8, 13),
	CELL(12, 11) = GO(UL_AA8, 13),
	CELL(12, 12) = GO(UL_AA8, 13),
	CELL(12, 13) = GO(UL_AA6, 13),
	/* Evt13: A-RELEASE-RP PDU */
	CELL(13, 2) = GO(UL_AA1, 13),
	CELL(13, 3) = GO(UL_AA8, 13),
	CELL(13, 5) = GO(UL_AA8, 13),
	CELL(13, 6) = GO(UL_AA8, 13),
	CELL(13, 7) = GO(UL_AR3, 1),
	CELL(13, 8) = GO(UL_AA8, 13),
	CELL(13, 9) = GO(UL_AA8, 13),
	CELL(13, 10) = GO(UL_AR10, 12),
	CELL(13, 11) = GO(UL_AR3, 1),
	CELL(13, 12) = GO(UL_AA8, 13),
	CELL(13, 13) = GO(UL_AA6, 13),
	/* Evt14: A-RELEASE response primitive */
	CELL(14, 8) = GO(UL_AR4, 13),
	CELL(14, 9) = GO(UL_AR9, 11),
	CELL(14, 12) = GO(UL_AR4, 13),
	/* Evt15: A-ABORT request primitive */
	CELL(15, 3) = GO(UL_AA1, 13),
	CELL(15, 4) = GO(UL_AA2, 1),
	CELL(15, 5) = GO(UL_AA1, 13),
	CELL(15, 6) = GO(UL_AA1, 13),
	CELL(15, 7) = GO(UL_AA1, 13),
	CELL(15, 8) = GO(UL_AA1, 13),
	CELL(15, 9) = GO(UL_AA1, 13),
	CELL(15, 10) = GO(UL_AA1, 13),
	CELL(15, 11) = GO(UL_AA1, 13),
	CELL(15, 12) = GO(UL_AA1, 13),
	/* Evt16: A-ABORT PDU */
	CELL(16, 2) = GO(UL_AA2, 1),
	CELL(16, 3) = GO(UL_AA3, 1),
	CELL(16, 5) = GO(UL_AA3, 1),
	CELL(16, 6) = GO(UL_AA3, 1),
	CELL(16, 7) = GO(UL_AA3, 1),
	CELL(16, 8) = GO(UL_AA3, 1),
	CELL(16, 9) = GO(UL_AA3, 1),
	CELL(16, 10) = GO(UL_AA3, 1),
	CELL(16, 11) = GO(UL_AA3, 1),
	CELL(16, 12) = GO(UL_AA3, 1),
	CELL(16, 13) = GO(UL_AA2, 1),
	/* Evt17: transport connection closed indication */
	CELL(17, 2) = GO(UL_AA5, 1),
	CELL(17, 3) = GO(UL_AA4, 1),
	CELL(17, 4) = GO(UL_AA4, 1),
	CELL(17, 5) = GO(UL_AA4, 1),
	CELL(17, 6) = GO(UL_AA4, 1),
	CELL(17, 7) = GO(UL_AA4, 1),
	CELL(17, 8) = GO(UL_AA4, 1),
	CELL(17, 9) = GO(UL_AA4, 1),
	CELL(17, 10) = GO(UL_AA4, 1),
	CELL(17, 11) = GO(UL_AA4, 1),
	CELL(17, 12) = GO(UL_AA4, 1),
	CELL(17, 13) = GO(UL_AR5, 1),
	/* Evt18: ARTIM timer expired */
	CELL(18, 2) = GO(UL_AA2, 1),
	CELL(18, 13) = GO(UL_AA2, 1),
	/* Evt19: unrecognized or invalid PDU */
	CELL(19, 2) = GO(UL_AA1, 13),
	CELL(19, 3) = GO(UL_AA8, 13),
	CELL(19, 5) = GO(UL_AA8, 13),
	CELL(19, 6) = GO(UL_AA8, 13),
	CELL(19, 7) = GO(UL_AA8, 13),
	CELL(19, 8) = GO(UL_AA8, 13),
	CELL(19, 9) = GO(UL_AA8, 13),
	CELL(19, 10) = GO(UL_AA8, 13),
	CELL(19, 11) = GO(UL_AA8, 13),
	CELL(19, 12) = GO(UL_AA8, 13),
	CELL(19, 13) = GO(UL_AA7, 13),
};
/* clang-format on */

const struct ul_fsm_cell *
ul_fsm_lookup(int state, int event)
{
	const struct ul_fsm_cell *c;

	if (state < 1 || state > UL_NSTATES || event < 1 || event > UL_NEVENTS)
		return NULL;
	c = &table[event - 1][state - 1];
	return c->action == UL_ACT_NONE ? NULL : c;
}

/* clang-format off */
static const char *const state_names[UL_NSTATES + 1] = {
	"?", "Sta1", "Sta2", "Sta3", "Sta4", "Sta5", "Sta6", "Sta7", "Sta8",
	"Sta9", "Sta10", "Sta11", "Sta12", "Sta13",
};

static const char *const state_texts[UL_NSTATES + 1] = {
	"?",
	"idle",
	"awaiting A-ASSOCIATE-RQ",
	"awaiting local A-ASSOCIATE response",
	"awaiting transport connection",
	"awaiting A-ASSOCIATE-AC or -RJ",
	"association established",
	"awaiting A-RELEASE-RP",
	"awaiting local A-RELEASE response",
	"release collision (requestor), awaiting local response",
	"release collision (acceptor), awaiting A-RELEASE-RP",
	"release collision (requestor), awaiting A-RELEASE-RP",
	"release collision (acceptor), awaiting local response",
	"awaiting transport close",
};

static const char *const event_names[UL_NEVENTS + 1] = {
	"?", "Evt1", "Evt2", "Evt3", "Evt4", "Evt5", "Evt6", "Evt7", "Evt8",
	"Evt9", "Evt10", "Evt11", "Evt12", "Evt13", "Evt14", "Evt15", "Evt16",
	"Evt17", "Evt18", "Evt19",
};

static const char *const event_texts[UL_NEVENTS + 1] = {
	"?",
	"A-ASSOCIATE request",
	"transport connect confirmation",
	"A-ASSOCIATE-AC PDU received",
	"A-ASSOCIATE-RJ PDU received",
	"transport connection indication",
	"A-ASSOCIATE-RQ PDU received",
	"A-ASSOCIATE response (accept)",
	"A-ASSOCIATE response (reject)",
	"P-DATA request",
	"P-DATA-TF PDU received",
	"A-RELEASE request",
	"A-RELEASE-RQ PDU received",
	"A-RELEASE-RP PDU received",
	"A-RELEASE response",
	"A-ABORT request",
	"A-ABORT PDU received",
	"transport connection closed",
	"ARTIM timer expired",
	"unrecognized or invalid PDU received",
};

static const char *const action_names[UL_NACTIONS] = {
	"none",
	"AE-1", "AE-2", "AE-3", "AE-4", "AE-5", "AE-6", "AE-7", "AE-8",
	"DT-1", "DT-2",
	"AR-1", "AR-2", "AR-3", "AR-4", "AR-5", "AR-6", "AR-7", "AR-8",
	"AR-9", "AR-10",
	"AA-1", "AA-2", "AA-3", "AA-4", "AA-5", "AA-6", "AA-7", "AA-8",
};
/* clang-format on */

/* Row i (1..n) of a table of names, or "?" outside it. */
static const char *
name_at(const char *const *names, int n, int i)
{
	return i >= 1 && i <= n ? names[i] : "?";
}

const char *
ul_state_name(int state)
{
	return name_at(state_names, UL_NSTATES, state);
}

const char *
ul_state_text(int state)
{
	return name_at(state_texts, UL_NSTATES, state);
}

const char *
ul_event_name(int event)
{
	return name_at(event_names, UL_NEVENTS, event);
}

const char *
ul_event_text(int event)
{
	return name_at(event_texts, UL_NEVENTS, event);
}

const char *
ul_action_name(int action)
{
	/* action_names[UL_ACT_NONE] is never a name to show */
	return name_at(action_names, UL_NACTIONS - 1, action);
}
