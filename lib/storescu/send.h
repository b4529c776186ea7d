/*
 * send.h - what storescu_send's parts share (internal to libstorescu):
 * send.c plans and reports, send_assoc.c sends one association's files.
 */
#ifndef CS_STORESCU_SEND_H
#define CS_STORESCU_SEND_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "cstore/cstore.h"
#include "cstore/storescu.h"
#include "storescu/propose.h"
#include "storescu/session.h"
#include "core/strmap.h"

#define NONE UINT32_MAX
#define DETAIL_MAX 512

/* Per input: the interned SOP class and transfer syntax, its size. */
struct fentry {
	uint32_t cls, ts; /* NONE: not planned (reported already) */
	uint64_t bytes;
};

/* Distinct UID strings (few: classes and syntaxes). */
struct intern {
	struct strmap map;
	char **str;
	size_t n, cap;
};

struct send {
	const struct storescu_config *cfg;
	const struct storescu_send_opts *o;
	unsigned window;           /* async_window, the default applied */
	struct propose_opts popts;
	const char *const *paths;
	size_t n;
	struct fentry *fe;
	struct intern in;
	struct propose_plan *plan;
	struct storescu_summary *sum;
	struct storescu_progress prog;
	uint64_t t0;
	pthread_mutex_t mu;
	int worst_rc;
	struct cs_err worst;
};

/* A UID's keyword when we know it, else the UID. */
const char *send_uid_text(const char *uid);
/* A note for -v (on_note), serialised with the results. */
void send_note(struct send *sd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Reports one input: counts it, calls on_result (and on_progress when
 * it was planned). */
void send_emit(struct send *sd, struct storescu_result *r, int planned);
/* A result for input i with outcome o and nothing else known yet. */
void send_result_init(struct storescu_result *r, const struct send *sd,
    size_t i, enum storescu_outcome o);
/* Reports input i with a local outcome and a reason. */
void send_emit_simple(struct send *sd, size_t i, enum storescu_outcome o,
    unsigned assoc, const char *detail, int planned);
/* An association that ended after it was established ended mid-way. */
int send_mid_way(int rc);
/* Keeps the worst association failure for storescu_send's result. */
void send_record_failure(struct send *sd, int rc, const struct cs_err *e);
/* The outcome of a file the prober refused with rc. */
enum storescu_outcome send_probe_outcome(int rc);

/* Appends to detail (DETAIL_MAX) why no context of set that ac accepted
 * fits a file of class cls in syntax ts. */
void send_nocontext_reason(const struct send *sd,
    const struct ul_assoc_params *ac, const struct propose_set *set,
    const char *cls, const char *ts, char *detail);

/* Opens planned association k (with retries) and sends its files;
 * every one of them gets its result. */
void send_run_assoc(struct send *sd, size_t k);

#endif
