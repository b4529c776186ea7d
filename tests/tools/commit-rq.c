/*
 * commit-rq - a Storage Commitment requester (SCU) for the receiver's
 * tests, over our own engine:
 *   commit-rq [-r | -A] [-a ACTION] [-d MS] [-t TXUID] PORT CLASS:INSTANCE...
 *       connects to 127.0.0.1:PORT as COMMITRQ, sends one N-ACTION-RQ
 *       naming the instances, prints "action XXXX" (the N-ACTION-RSP
 *       status); then waits (30 s) for the N-EVENT-REPORT on the same
 *       association and prints it, waiting -d MS before it answers;
 *       with -r it releases at once instead; with -A it aborts right
 *       after the N-ACTION-RQ, not waiting for its response, and prints
 *       "aborted".  -a: another Action Type
 *       ID (a refused N-ACTION: exits 0 unless a report follows).
 *   commit-rq -l PORTFILE [-s STATUS]
 *       listens on 127.0.0.1, port 0, written to PORTFILE; accepts one
 *       association (answering SCP/SCU Role Selection as proposed),
 *       prints the report and "role SCU n SCP n" of the proposal, and
 *       answers it with STATUS (default 0000).
 * A report prints as "event N", one line per instance: "ok CLASS
 * INSTANCE" or "failed CLASS INSTANCE REASON" (hex), "transaction UID".  Exits
 * 0 when a report came, 1 otherwise.
 */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cstore/cstore.h"
#include "core/commit_ds.h"
#include "core/dimse_cmd.h"
#include "core/dimse_msg.h"
#include "core/ts.h"
#include "core/ts_uids.h"
#include "core/ul_assoc.h"
#include "net/net.h"
#include "net/pump.h"

#define TMO 30000

struct cl {
	struct ul_assoc *a;
	struct dimse_rx rx;
	struct pump pump;
	int ac, rj, ab, rel, action, event;
	uint16_t action_status, event_msg, event_type;
	uint8_t event_pcid;
	struct wr ds;
	uint8_t role_scu, role_scp;
	int n_role;
};

static int
on_ref(void *ctx, int failed, const struct commit_ref *r)
{
	(void)ctx;
	if (failed)
		printf("failed %s %s %04X\n", r->sop_class, r->sop_instance,
		    r->failure_reason);
	else
		printf("ok %s %s\n", r->sop_class, r->sop_instance);
	return 0;
}

static int
on_command(void *u, uint8_t pcid, const struct dimse_cmd *c)
{
	struct cl *k = u;

	if (c->command_field == DIMSE_N_ACTION_RSP) {
		k->action = 1;
		k->action_status = c->status;
	} else if (c->command_field == DIMSE_N_EVENT_REPORT_RQ) {
		k->event_msg = c->message_id;
		k->event_type = c->event_type_id;
		k->event_pcid = pcid;
		wr_init(&k->ds, 64u << 20);
	} else {
		return -1;
	}
	return 0;
}

static int
on_dataset(void *u, uint8_t pcid, const uint8_t *d, size_t n, int last)
{
	struct cl *k = u;

	(void)pcid;
	wr_bytes(&k->ds, d, n);
	k->event = last;
	return 0;
}

static int
on_pdv(void *u, uint8_t pcid, uint8_t ctl, const uint8_t *d, size_t n)
{
	return dimse_rx_pdv(&((struct cl *)u)->rx, pcid, ctl, d, n) ? -1 : 0;
}

static int
on_ac(void *u, const struct ul_assoc_params *p)
{
	(void)p;
	return ((struct cl *)u)->ac = 1, 0;
}

static int
on_rj(void *u, const struct ul_assoc_rj *r)
{
	(void)r;
	return ((struct cl *)u)->rj = 1, 0;
}

static int
on_abort(void *u, const struct ul_abort *a, int peer)
{
	(void)a, (void)peer;
	return ((struct cl *)u)->ab = 1, 0;
}

static int
on_rel_rp(void *u)
{
	return ((struct cl *)u)->rel = 1, 0;
}

static int
on_rel_rq(void *u)
{
	((struct cl *)u)->rel = 1;
	return ul_release_response(((struct cl *)u)->a) ? -1 : 0;
}

static int
on_rq(void *u, const struct ul_assoc_params *rq)
{
	struct cl *k = u;
	static struct ul_assoc_params ac;

	memset(&ac, 0, sizeof(ac));
	ac.protocol_version = 1;
	snprintf(ac.called_ae, sizeof(ac.called_ae), "%s", rq->called_ae);
	snprintf(ac.calling_ae, sizeof(ac.calling_ae), "%s", rq->calling_ae);
	ac.n_pc = rq->n_pc;
	for (int i = 0; i < rq->n_pc; i++) {
		ac.pc[i].id = rq->pc[i].id;
		ac.pc[i].result = UL_PC_ABSTRACT_SYNTAX_NOT_SUPPORTED;
		if (strcmp(rq->pc[i].abstract_syntax, COMMIT_SOP_CLASS) != 0)
			continue;
		ac.pc[i].result = UL_PC_ACCEPTANCE;
		ac.pc[i].n_ts = 1;
		snprintf(ac.pc[i].ts[0], UL_UID_MAX + 1, "%s", rq->pc[i].ts[0]);
	}
	for (int i = 0; i < rq->n_role; i++) {
		k->n_role++;
		k->role_scu = rq->role[i].scu_role;
		k->role_scp = rq->role[i].scp_role;
		ac.role[ac.n_role++] = rq->role[i];
	}
	return ul_associate_accept(k->a, &ac) ? -1 : 0;
}

static int
done_ac(void *u)
{
	struct cl *k = u;
	return k->ac || k->rj || k->ab;
}

static int
done_action(void *u)
{
	struct cl *k = u;
	return k->action || k->ab;
}

static int
done_event(void *u)
{
	struct cl *k = u;
	return k->event || k->ab || k->rel;
}

static int
done_rel(void *u)
{
	struct cl *k = u;
	return k->rel || k->ab;
}

static const struct ul_callbacks cb = { .on_associate_rq = on_rq,
	.on_associate_ac = on_ac,
	.on_associate_rj = on_rj,
	.on_pdv = on_pdv,
	.on_release_rq = on_rel_rq,
	.on_release_rp = on_rel_rp,
	.on_abort = on_abort };
static const struct dimse_rx_callbacks rxcb = { on_command, on_dataset };

/* Prints the report received and answers it with status. */
static int
report(struct cl *k, int delay_ms, uint16_t status)
{
	const struct ul_pc *pc = ul_accepted_pc(k->a, k->event_pcid);
	const struct ts_entry *t = pc ? ts_find(pc->ts[0]) : NULL;
	struct commit_ds_cb dcb = { on_ref, NULL };
	struct cs_err err = { 0, "" };
	char tx[COMMIT_UID_MAX + 1];
	struct dimse_cmd rq, rsp;

	if (!k->event || t == NULL) {
		printf("no report\n");
		return 1;
	}
	memset(&rq, 0, sizeof(rq));
	rq.message_id = k->event_msg;
	rq.event_type_id = k->event_type;
	rq.has = DIMSE_HAS_EVENT_TYPE;
	snprintf(rq.affected_class, sizeof(rq.affected_class), "%s",
	    COMMIT_SOP_CLASS);
	snprintf(rq.affected_instance, sizeof(rq.affected_instance), "%s",
	    COMMIT_SOP_INSTANCE);
	rq.has |= DIMSE_HAS_AFFECTED_CLASS | DIMSE_HAS_AFFECTED_INSTANCE;
	printf("event %u\n", k->event_type);
	if (commit_ds_decode(k->ds.p, k->ds.len, t->enc, tx, &dcb, &err)) {
		printf("bad report: %s\n", err.msg);
		return 1;
	}
	printf("transaction %s\n", tx);
	fflush(stdout);
	if (delay_ms > 0)
		usleep((useconds_t)delay_ms * 1000);
	dimse_neventreport_rsp(&rsp, &rq, status);
	if (dimse_send_command(k->a, k->event_pcid, &rsp, &err) ||
	    pump_flush(&k->pump, TMO, &err))
		return 1;
	return 0;
}

/* Frees what the association held (LeakSanitizer) and returns rc. */
static int
done(struct cl *k, int fd, int rc)
{
	pump_release(&k->pump);
	dimse_rx_release(&k->rx);
	ul_assoc_free(k->a);
	wr_release(&k->ds);
	close(fd);
	return rc;
}

static int
listen_mode(const char *portfile, uint16_t status)
{
	struct cs_err err = { 0, "" };
	struct cl k;
	struct pollfd pfd;
	unsigned port;
	char h[64];
	FILE *f;
	int lfd = net_listen("127.0.0.1", "0", 4, &err), fd, rc;

	if (lfd < 0 || net_addr(lfd, 0, h, sizeof(h), &port))
		return 2;
	f = fopen(portfile, "w");
	fprintf(f, "%u\n", port);
	fclose(f);
	pfd = (struct pollfd){ lfd, POLLIN, 0 };
	if (poll(&pfd, 1, 60000) != 1 || (fd = net_accept(lfd, &err)) < 0)
		return printf("no association\n"), 1;
	memset(&k, 0, sizeof(k));
	k.a = ul_assoc_new(UL_ACCEPTOR, NULL, &cb, &k);
	dimse_rx_init(&k.rx, &rxcb, &k);
	pump_init(&k.pump, fd, k.a);
	ul_transport_connected(k.a, net_now_ms());
	pump_run(&k.pump, done_event, &k, TMO, &err);
	printf("role SCU %u SCP %u (%d items)\n", k.role_scu, k.role_scp,
	    k.n_role);
	rc = report(&k, 0, status);
	pump_run(&k.pump, done_rel, &k, TMO, &err);
	pump_linger(&k.pump, 1000);
	close(lfd);
	return done(&k, fd, rc);
}

/* The N-ACTION-RQ for the CLASS:INSTANCE arguments. */
static int
send_action(struct cl *k, const char *tx, uint16_t action, char **refs, int n)
{
	struct commit_ref *r = calloc((size_t)n, sizeof(*r));
	struct cs_err err = { 0, "" };
	struct dimse_cmd c;
	struct wr w;

	for (int i = 0; i < n; i++) {
		char *colon = strchr(refs[i], ':');

		if (colon == NULL)
			return 2;
		*colon = '\0';
		r[i].sop_class = refs[i];
		r[i].sop_instance = colon + 1;
	}
	wr_init(&w, 64u << 20);
	if (commit_ds_encode(
		&w, DS_ENC_EVR_LE, tx, r, (size_t)n, NULL, 0, &err) < 0 ||
	    dimse_naction_rq(
		&c, 1, COMMIT_SOP_CLASS, COMMIT_SOP_INSTANCE, action) ||
	    dimse_send_command(k->a, 1, &c, &err) ||
	    dimse_send_dataset(k->a, 1, w.p, w.len, 1, &err))
		return free(r), fprintf(stderr, "commit-rq: %s\n", err.msg), 2;
	free(r);
	wr_release(&w);
	return 0;
}

int
main(int argc, char **argv)
{
	struct ul_assoc_params rq;
	struct cs_err err = { 0, "" };
	const char *tx = NULL, *portfile = NULL;
	char txbuf[64];
	int opt, release = 0, abort_now = 0, delay = 0, fd, rc;
	uint16_t status = 0, action = COMMIT_ACTION_REQUEST;
	struct cl k;

	while ((opt = getopt(argc, argv, "Aa:rd:t:l:s:")) != -1) {
		switch (opt) {
		case 'a':
			action = (uint16_t)strtoul(optarg, NULL, 10);
			break;
		case 'r':
			release = 1;
			break;
		case 'A':
			abort_now = 1;
			break;
		case 'd':
			delay = (int)strtol(optarg, NULL, 10);
			break;
		case 't':
			tx = optarg;
			break;
		case 'l':
			portfile = optarg;
			break;
		case 's':
			status = (uint16_t)strtoul(optarg, NULL, 16);
			break;
		default:
			return 2;
		}
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (portfile != NULL)
		return listen_mode(portfile, status);
	if (argc - optind < 2)
		return 2;
	if (tx == NULL) {
		snprintf(txbuf, sizeof(txbuf), "2.25.%ld%d", (long)time(NULL),
		    (int)getpid());
		tx = txbuf;
	}
	memset(&k, 0, sizeof(k));
	memset(&rq, 0, sizeof(rq));
	rq.protocol_version = 1;
	snprintf(rq.called_ae, sizeof(rq.called_ae), "DCMRECV");
	snprintf(rq.calling_ae, sizeof(rq.calling_ae), "COMMITRQ");
	snprintf(rq.app_context, sizeof(rq.app_context), "%s", UL_APP_CONTEXT);
	rq.n_pc = 1;
	rq.pc[0].id = 1;
	snprintf(
	    rq.pc[0].abstract_syntax, UL_UID_MAX + 1, "%s", COMMIT_SOP_CLASS);
	rq.pc[0].n_ts = 1;
	snprintf(rq.pc[0].ts[0], UL_UID_MAX + 1, "%s",
	    TS_UID_ExplicitVRLittleEndian);
	rq.has_max_pdu = 1;
	rq.max_pdu = 16384;
	k.a = ul_assoc_new(UL_REQUESTOR, NULL, &cb, &k);
	dimse_rx_init(&k.rx, &rxcb, &k);
	if (ul_associate_rq(k.a, &rq) ||
	    (fd = net_connect("127.0.0.1", argv[optind], TMO, &err)) < 0)
		return 2;
	pump_init(&k.pump, fd, k.a);
	ul_transport_connected(k.a, net_now_ms());
	if (pump_run(&k.pump, done_ac, &k, TMO, &err) || !k.ac)
		return printf("not accepted\n"), done(&k, fd, 1);
	if (ul_accepted_pc(k.a, 1) == NULL)
		return printf("context refused\n"), done(&k, fd, 1);
	rc = send_action(&k, tx, action, argv + optind + 1, argc - optind - 1);
	if (rc != 0)
		return done(&k, fd, rc);
	if (abort_now) {
		/* the request and the A-ABORT in one go */
		if (ul_abort(k.a) != 0)
			return done(&k, fd, 2);
		pump_linger(&k.pump, 1000);
		printf("aborted\n");
		return done(&k, fd, 0);
	}
	if (pump_run(&k.pump, done_action, &k, TMO, &err) || !k.action)
		return printf("no action response\n"), done(&k, fd, 1);
	printf("action %04X\n", k.action_status);
	rc = 0;
	if (k.action_status != 0) {
		/* refused: no report may follow; wait a little to see */
		pump_run(&k.pump, done_event, &k, 500, &err);
		if (k.event)
			printf("a report came anyway\n");
		rc = k.event;
	} else if (!release) {
		pump_run(&k.pump, done_event, &k, TMO, &err);
		rc = report(&k, delay, 0);
	}
	if (!k.ab && ul_release_rq(k.a) == 0)
		pump_run(&k.pump, done_rel, &k, TMO, &err);
	pump_linger(&k.pump, 1000);
	return done(&k, fd, rc);
}
