/*
 * ul_fsm.h - the DICOM Upper Layer state machine of PS3.8 9.2 as data:
 * states Sta1-Sta13 (9.2.1), events Evt1-Evt19 and actions AE-1..8,
 * DT-1..2, AR-1..10, AA-1..8 (9.2.2), and the state transition table
 * (Table 9-10).  Pure data and lookups; ul_assoc.c runs the actions.
 */
#ifndef CS_CORE_UL_FSM_H
#define CS_CORE_UL_FSM_H

#include <stdint.h>

/*
 * States, numbered as in PS3.8 9.2.1 (Sta1 = 1); ul_state() returns one.
 * Code outside the engine names them (UL_STA13), never numbers them.
 */
enum ul_state {
	UL_STA1 = 1, /* idle */
	UL_STA2,     /* transport open, awaiting A-ASSOCIATE-RQ PDU */
	UL_STA3,     /* awaiting local A-ASSOCIATE response */
	UL_STA4,     /* awaiting transport connection to complete */
	UL_STA5,     /* awaiting A-ASSOCIATE-AC or -RJ PDU */
	UL_STA6,     /* association established */
	UL_STA7,     /* awaiting A-RELEASE-RP PDU */
	UL_STA8,     /* awaiting local A-RELEASE response */
	UL_STA9,     /* collision, requestor: awaiting local response */
	UL_STA10,    /* collision, acceptor: awaiting A-RELEASE-RP PDU */
	UL_STA11,    /* collision, requestor: awaiting A-RELEASE-RP PDU */
	UL_STA12,    /* collision, acceptor: awaiting local response */
	UL_STA13,    /* awaiting transport close */
};
#define UL_NSTATES 13

/* Events, numbered as in PS3.8 Table 9-10 (Evt1 = 1). */
enum ul_evt {
	UL_EVT1 = 1, /* A-ASSOCIATE request (local user) */
	UL_EVT2,     /* transport connect confirmation */
	UL_EVT3,     /* A-ASSOCIATE-AC PDU received */
	UL_EVT4,     /* A-ASSOCIATE-RJ PDU received */
	UL_EVT5,     /* transport connection indication */
	UL_EVT6,     /* A-ASSOCIATE-RQ PDU received */
	UL_EVT7,     /* A-ASSOCIATE response primitive (accept) */
	UL_EVT8,     /* A-ASSOCIATE response primitive (reject) */
	UL_EVT9,     /* P-DATA request primitive */
	UL_EVT10,    /* P-DATA-TF PDU received */
	UL_EVT11,    /* A-RELEASE request primitive */
	UL_EVT12,    /* A-RELEASE-RQ PDU received */
	UL_EVT13,    /* A-RELEASE-RP PDU received */
	UL_EVT14,    /* A-RELEASE response primitive */
	UL_EVT15,    /* A-ABORT request primitive */
	UL_EVT16,    /* A-ABORT PDU received */
	UL_EVT17,    /* transport connection closed indication */
	UL_EVT18,    /* ARTIM timer expired */
	UL_EVT19,    /* unrecognized or invalid PDU received */
};
#define UL_NEVENTS 19

/* Actions of PS3.8 Tables 9-6..9-9.  UL_ACT_NONE marks an empty cell. */
enum ul_action {
	UL_ACT_NONE = 0,
	UL_AE1,
	UL_AE2,
	UL_AE3,
	UL_AE4,
	UL_AE5,
	UL_AE6,
	UL_AE7,
	UL_AE8,
	UL_DT1,
	UL_DT2,
	UL_AR1,
	UL_AR2,
	UL_AR3,
	UL_AR4,
	UL_AR5,
	UL_AR6,
	UL_AR7,
	UL_AR8,
	UL_AR9,
	UL_AR10,
	UL_AA1,
	UL_AA2,
	UL_AA3,
	UL_AA4,
	UL_AA5,
	UL_AA6,
	UL_AA7,
	UL_AA8,
};
#define UL_NACTIONS (UL_AA8 + 1)

/*
 * One cell of Table 9-10.  next is the next state the action definition
 * names; next_alt is 0, or the other state an action may choose: AE-6
 * goes to Sta3 or (RQ not acceptable to the provider) Sta13; AR-8 goes
 * to Sta9 on the requestor and Sta10 on the acceptor.
 */
struct ul_fsm_cell {
	uint8_t action; /* enum ul_action */
	uint8_t next;   /* enum ul_state */
	uint8_t next_alt;
};

/*
 * The cell for (state, event), or NULL when the cell is empty or either
 * number is out of range.  The result points into static storage.
 */
const struct ul_fsm_cell *ul_fsm_lookup(int state, int event);

/* "Sta6", "Evt10", "AA-8": static strings; "?" when out of range. */
const char *ul_state_name(int state);
const char *ul_event_name(int event);
const char *ul_action_name(int action);
/* Short descriptions of states and events, in words, for traces. */
const char *ul_state_text(int state);
const char *ul_event_text(int event);

#endif
