/*
 * policy.c - what the receiver accepts: AE titles and peers, SOP
 * classes, transfer syntaxes (see scp.h).  Pure: no I/O.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cstore/cstore.h"
#include "core/alloc.h"
#include "core/commit_ds.h"
#include "core/dimse_cmd.h"
#include "core/sopclass.h"
#include "core/ts.h"
#include "core/uid.h"
#include "storescp/identity.h"
#include "storescp/scp.h"
#include "core/banned.h"

static char *
dupstr(const char *s)
{
	size_t n = strlen(s) + 1;
	char *p = cs_malloc(n);

	if (p != NULL)
		memcpy(p, s, n);
	return p;
}

int
storescp_sop_class_uid(const char *name, const char **uid, struct cs_err *err)
{
	const struct sopclass *sc;
	const struct uid_entry *ue;

	if (name == NULL || *name == '\0')
		return cs_err_set(err, CS_E_NOTFOUND, "empty SOP class");
	if ((sc = sopclass_by_uid(name)) != NULL ||
	    (sc = sopclass_by_keyword(name)) != NULL ||
	    (sc = sopclass_by_name(name)) != NULL) {
		*uid = sc->uid;
		return 0;
	}
	if ((ue = uid_by_keyword(name)) != NULL &&
	    strcmp(ue->type, "SOP Class") == 0) {
		*uid = ue->uid;
		return 0;
	}
	/* A private or newer class: any valid UID is taken as given. */
	if (uid_is_valid(name)) {
		*uid = name;
		return 0;
	}
	return cs_err_set(err, CS_E_NOTFOUND,
	    "unknown SOP class '%s' (a UID, a keyword such as CTImageStorage or a name such as 'CT Image Storage')",
	    name);
}

int
storescp_ts_uid(const char *name, const char **uid, struct cs_err *err)
{
	const struct uid_entry *ue;
	const struct ts_entry *t;

	if (name == NULL || *name == '\0')
		return cs_err_set(err, CS_E_NOTFOUND, "empty transfer syntax");
	ue = uid_by_uid(name);
	if (ue == NULL)
		ue = uid_by_keyword(name);
	if (ue != NULL && strcmp(ue->type, "Transfer Syntax") == 0) {
		*uid = ue->uid;
		return 0;
	}
	/* the other spellings users type (DCMTK's, older pydicom's) */
	if (ue == NULL && (t = ts_by_name(name)) != NULL) {
		*uid = t->uid;
		return 0;
	}
	if (ue == NULL && uid_is_valid(name)) {
		*uid = name;
		return 0;
	}
	return cs_err_set(err, CS_E_NOTFOUND,
	    "unknown transfer syntax '%s' (a UID or a keyword such as ExplicitVRLittleEndian)",
	    name);
}

const char *
policy_ae_why(const char *ae)
{
	size_t n = strlen(ae);

	if (n == 0 || n > UL_AE_MAX)
		return "must be 1-16 characters";
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)ae[i] < 0x20 || ae[i] == '\\' ||
		    (unsigned char)ae[i] > 0x7e)
			return "must be printable ASCII characters, no backslash";
	if (strspn(ae, " ") == n)
		return "must not be all spaces";
	return NULL;
}

/* Copies the n bytes of ae into out (UL_AE_MAX + 1 bytes) without its
 * leading and trailing spaces, which are not significant (PS3.5 AE):
 * the titles of an A-ASSOCIATE-RQ are compared without them. */
static void
ae_trim(char *out, const char *ae, size_t n)
{
	while (n > 0 && *ae == ' ')
		ae++, n--;
	while (n > 0 && ae[n - 1] == ' ')
		n--;
	memcpy(out, ae, n);
	out[n] = '\0';
}

static int
copy_list(const char ***out, size_t *nout, const char *const *in, size_t n,
    int (*resolve)(const char *, const char **, struct cs_err *),
    struct cs_err *err)
{
	*nout = 0;
	*out = NULL;
	if (n == 0)
		return 0;
	*out = cs_calloc(n, sizeof(**out));
	if (*out == NULL)
		return cs_err_set(err, CS_E_NOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		const char *uid;
		char *c;

		if (resolve(in[i], &uid, err) != 0)
			return CS_E_INVAL;
		c = dupstr(uid);
		if (c == NULL)
			return cs_err_set(err, CS_E_NOMEM, "out of memory");
		(*out)[(*nout)++] = c;
	}
	return 0;
}

int
policy_init(
    struct scp_policy *p, const struct storescp_config *cfg, struct cs_err *err)
{
	const char *aet = cfg->aet != NULL ? cfg->aet : STORESCP_DEFAULT_AET;
	const char *why;
	int rc;

	memset(p, 0, sizeof(*p));
	if ((why = policy_ae_why(aet)) != NULL)
		return cs_err_set(
		    err, CS_E_INVAL, "AE title '%s': %s", aet, why);
	ae_trim(p->aet, aet, strlen(aet));
	p->strict_aet = cfg->strict_aet;
	if ((rc = scp_identity_config(cfg, err)) != 0)
		return rc;
	p->commit = cfg->commit;
	if (cfg->async_window > UINT16_MAX)
		return cs_err_set(err, CS_E_INVAL,
		    "asynchronous operations window %u: at most 65535",
		    cfg->async_window);
	p->async_window = cfg->async_window == 0 ? STORESCP_DEFAULT_ASYNC_WINDOW
						 : (uint16_t)cfg->async_window;
	if (cfg->n_allow > 0) {
		p->allow = cs_calloc(cfg->n_allow, sizeof(*p->allow));
		if (p->allow == NULL)
			return cs_err_set(err, CS_E_NOMEM, "out of memory");
	}
	for (size_t i = 0; i < cfg->n_allow; i++) {
		const char *s = cfg->allow[i];
		const char *at = strrchr(s, '@');
		size_t aelen = at != NULL ? (size_t)(at - s) : strlen(s);
		struct scp_allow *a = &p->allow[i];

		if (strncmp(s, "subject=", 8) == 0) {
			if (s[8] == '\0' || strlen(s + 8) >= sizeof(a->subject))
				return cs_err_set(err, CS_E_INVAL,
				    "allowed peer '%s': empty or too long a subject",
				    s);
			/* as dcmrecv says it: without tls.ca no client
			 * certificate is asked for (tls.c), so the subject
			 * could never match and the entry admit nobody */
			if (cfg->tls.enabled && cfg->tls.ca == NULL)
				return cs_err_set(err, CS_E_INVAL,
				    "allowed peer '%s': no client certificate "
				    "is asked for without tls.ca",
				    s);
			snprintf(a->subject, sizeof(a->subject), "%s", s + 8);
			p->n_allow++;
			continue;
		}
		if (aelen == 0 || aelen > UL_AE_MAX ||
		    (at != NULL &&
			(at[1] == '\0' || strlen(at + 1) >= sizeof(a->host))))
			return cs_err_set(err, CS_E_INVAL,
			    "allowed peer '%s': expected AETITLE or AETITLE@HOST",
			    s);
		memcpy(a->ae, s, aelen);
		a->ae[aelen] = '\0';
		if ((why = policy_ae_why(a->ae)) != NULL)
			return cs_err_set(err, CS_E_INVAL,
			    "allowed peer '%s': AE title %s", s, why);
		ae_trim(a->ae, s, aelen);
		if (at != NULL)
			snprintf(a->host, sizeof(a->host), "%s", at + 1);
		p->n_allow++;
	}
	rc = copy_list(&p->classes, &p->n_classes, cfg->sop_classes,
	    cfg->n_sop_classes, storescp_sop_class_uid, err);
	if (rc == 0)
		rc = copy_list(&p->refused, &p->n_refused,
		    cfg->reject_sop_classes, cfg->n_reject_sop_classes,
		    storescp_sop_class_uid, err);
	if (rc == 0)
		rc = copy_list(
		    &p->ts, &p->n_ts, cfg->ts, cfg->n_ts, storescp_ts_uid, err);
	return rc;
}

static void
free_list(const char **l, size_t n)
{
	for (size_t i = 0; i < n; i++)
		cs_free((void *)(uintptr_t)l[i]);
	cs_free(l);
}

void
policy_release(struct scp_policy *p)
{
	free_list(p->classes, p->n_classes);
	free_list(p->refused, p->n_refused);
	free_list(p->ts, p->n_ts);
	cs_free(p->allow);
	memset(p, 0, sizeof(*p));
}

static int
in_list(const char *const *l, size_t n, const char *uid)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(l[i], uid) == 0)
			return 1;
	return 0;
}

int
policy_class_ok(const struct scp_policy *p, const char *uid)
{
	if (in_list(p->refused, p->n_refused, uid))
		return 0;
	if (strcmp(uid, DIMSE_VERIFICATION_UID) == 0)
		return 1;
	if (strcmp(uid, COMMIT_SOP_CLASS) == 0)
		return p->commit;
	if (p->n_classes > 0)
		return in_list(p->classes, p->n_classes, uid);
	return sopclass_by_uid(uid) != NULL;
}

int
policy_ts_ok(const struct scp_policy *p, const char *uid)
{
	const struct uid_entry *ue;

	if (p->n_ts > 0)
		return in_list(p->ts, p->n_ts, uid);
	/* Every standard transfer syntax (PS3.6 Table A-1). */
	ue = uid_by_uid(uid);
	return ue != NULL && strcmp(ue->type, "Transfer Syntax") == 0;
}

int
policy_ts_keep(const struct scp_policy *p, const char *uid)
{
	enum ds_enc enc;

	/* what pick_ts could take for a context of any class */
	return policy_ts_ok(p, uid) || commit_ts_enc(uid, &enc) == 0;
}

/* The accepted transfer syntax for one proposed context, or -1. */
static int
pick_ts(const struct scp_policy *p, const struct ul_pc *pc)
{
	/* Storage Commitment data sets: the two encodings commit_ds.h
	 * speaks, whatever else is accepted for images. */
	if (strcmp(pc->abstract_syntax, COMMIT_SOP_CLASS) == 0)
		return commit_ts_pick(pc);
	if (p->n_ts > 0) {
		/* Ours first: the operator chose the order. */
		for (size_t i = 0; i < p->n_ts; i++)
			for (int j = 0; j < pc->n_ts; j++)
				if (strcmp(p->ts[i], pc->ts[j]) == 0)
					return j;
		return -1;
	}
	/* The sender's order: it usually lists the file's own syntax
	 * first, and taking it keeps the object bit for bit. */
	for (int j = 0; j < pc->n_ts; j++)
		if (policy_ts_ok(p, pc->ts[j]))
			return j;
	return -1;
}

static int
peer_allowed(const struct scp_policy *p, const char *calling, const char *host,
    const char *subject)
{
	if (p->n_allow == 0)
		return 1;
	for (size_t i = 0; i < p->n_allow; i++) {
		const struct scp_allow *a = &p->allow[i];

		if (a->subject[0] != '\0') {
			if (subject != NULL && strcmp(a->subject, subject) == 0)
				return 1;
			continue;
		}
		if (strcmp(a->ae, calling) != 0)
			continue;
		if (a->host[0] == '\0' ||
		    (host != NULL && strcasecmp(a->host, host) == 0))
			return 1;
		/* "localhost" in a rule means the loopback addresses. */
		if (host != NULL && strcmp(a->host, "localhost") == 0 &&
		    (strcmp(host, "127.0.0.1") == 0 ||
			strcmp(host, "::1") == 0))
			return 1;
	}
	return 0;
}

/* The smaller of two operation limits, where 0 means unlimited. */
static uint16_t
min_ops(uint16_t a, uint16_t b)
{
	if (a == 0)
		return b;
	if (b == 0)
		return a;
	return a < b ? a : b;
}

/*
 * PS3.7 D.3.3.3: the acceptor answers a proposed window, and only a
 * proposed one (without it both sides are synchronous).  Invoked is what
 * the peer may have outstanding with us; performed is what we may invoke
 * on it, and we never invoke anything on an association we accepted.
 */
static void
answer_async(const struct scp_policy *p, const struct ul_assoc_params *rq,
    struct ul_assoc_params *ac)
{
	if (!rq->has_async_ops)
		return;
	ac->has_async_ops = 1;
	ac->max_ops_invoked = min_ops(rq->max_ops_invoked, p->async_window);
	ac->max_ops_performed = min_ops(rq->max_ops_performed, 1);
}

int
policy_decide(const struct scp_policy *p, const struct ul_assoc_params *rq,
    const char *peer_host, const char *subject, struct ul_assoc_params *ac,
    struct ul_assoc_rj *rj, char *why, size_t whysz)
{
	int n_ok = 0;

	if (whysz > 0)
		why[0] = '\0';
	memset(rj, 0, sizeof(*rj));
	/* PS3.8 9.3.4 / Table 9-21: result 1 permanent, source 1 service user. */
	if (rq->app_context[0] != '\0' &&
	    strcmp(rq->app_context, UL_APP_CONTEXT) != 0) {
		*rj = (struct ul_assoc_rj){ 1, 1, 2 };
		snprintf(why, whysz,
		    "application context name '%s' not supported",
		    rq->app_context);
		return POLICY_REJECT;
	}
	if (p->strict_aet && strcmp(rq->called_ae, p->aet) != 0) {
		*rj = (struct ul_assoc_rj){ 1, 1, 7 };
		snprintf(why, whysz,
		    "called AE title '%s' not recognised (we are '%s')",
		    rq->called_ae, p->aet);
		return POLICY_REJECT;
	}
	if (!peer_allowed(p, rq->calling_ae, peer_host, subject)) {
		*rj = (struct ul_assoc_rj){ 1, 1, 3 };
		snprintf(why, whysz,
		    "calling AE title '%s' from %s%s%s%s not recognised",
		    rq->calling_ae, peer_host ? peer_host : "?",
		    subject ? " (certificate '" : "", subject ? subject : "",
		    subject ? "')" : "");
		return POLICY_REJECT;
	}

	memset(ac, 0, sizeof(*ac));
	ac->protocol_version = 1;
	snprintf(ac->called_ae, sizeof(ac->called_ae), "%s", rq->called_ae);
	snprintf(ac->calling_ae, sizeof(ac->calling_ae), "%s", rq->calling_ae);
	ac->n_pc = rq->n_pc;
	for (int i = 0; i < rq->n_pc; i++) {
		const struct ul_pc *in = &rq->pc[i];
		struct ul_pc *out = &ac->pc[i];
		int t;

		out->id = in->id;
		snprintf(out->abstract_syntax, sizeof(out->abstract_syntax),
		    "%s", in->abstract_syntax);
		if (!policy_class_ok(p, in->abstract_syntax)) {
			out->result = UL_PC_ABSTRACT_SYNTAX_NOT_SUPPORTED;
			continue;
		}
		t = pick_ts(p, in);
		if (t < 0) {
			out->result = UL_PC_TRANSFER_SYNTAXES_NOT_SUPPORTED;
			continue;
		}
		out->result = UL_PC_ACCEPTANCE;
		out->n_ts = 1;
		snprintf(out->ts[0], sizeof(out->ts[0]), "%s", in->ts[t]);
		n_ok++;
	}
	answer_async(p, rq, ac);
	if (n_ok == 0 && rq->n_pc > 0)
		snprintf(why, whysz,
		    "none of the %u presentation contexts accepted",
		    (unsigned)rq->n_pc);
	return POLICY_ACCEPT;
}
