/*
 * t_identity.c - User Identity Negotiation (PS3.7 D.3.3.7): the users
 * file and passcode hashes of dcmrecv --users (lib/cli/users.c), the
 * receiver's decision and its RJ/AC (lib/storescp/identity.c), and the
 * -d trace of an RQ that carries a passcode (lib/core/ul_dump.c).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cstore/cstore.h"
#include "cstore/storescp.h"
#include "core/buf.h"
#include "core/ul_assoc.h"
#include "core/ul_dump.h"
#include "core/ul_pdu.h"
#include "cli/users.h"
#include "storescp/identity.h"

Suite *identity_suite(void);

#define PW "correct horse"

static char path[64];

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* A users file with these contents; its path in path. */
static void
users_file(const char *text)
{
	FILE *f;

	snprintf(path, sizeof(path), "/tmp/t_identity.XXXXXX");
	int fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	f = fdopen(fd, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	ck_assert_int_eq(fclose(f), 0);
}

static int
load(const char *text, struct cli_users **u, struct cs_err *err)
{
	int rc;

	users_file(text);
	rc = cli_users_load(u, path, err);
	unlink(path);
	return rc;
}

static struct storescp_identity
ident(unsigned type, const char *name, const char *pw)
{
	return (struct storescp_identity){ .type = type,
		.primary = (const uint8_t *)name,
		.primary_len = strlen(name),
		.secondary = (const uint8_t *)pw,
		.secondary_len = pw ? strlen(pw) : 0,
		.calling_ae = "SCU",
		.peer = "127.0.0.1:1" };
}

START_TEST(a_yescrypt_hash_verifies_its_passcode_only)
{
	char h[512];
	struct cs_err err = { 0, "" };

	ck_assert_int_eq(cli_password_hash(NULL, PW, h, sizeof(h), &err), 0);
	ck_assert_msg(strncmp(h, "$y$", 3) == 0, "%s", h);
	ck_assert_int_eq(
	    cli_password_matches(h, (const uint8_t *)PW, strlen(PW)), 1);
	ck_assert_int_eq(
	    cli_password_matches(h, (const uint8_t *)PW, strlen(PW) - 1), 0);
	ck_assert_int_eq(
	    cli_password_matches(h, (const uint8_t *)"correct horsf", 13), 0);
}
END_TEST

START_TEST(a_sha512_hash_verifies_and_salts_differ)
{
	char h1[512], h2[512];
	struct cs_err err = { 0, "" };

	ck_assert_int_eq(
	    cli_password_hash("sha512", PW, h1, sizeof(h1), &err), 0);
	ck_assert_int_eq(
	    cli_password_hash("sha512", PW, h2, sizeof(h2), &err), 0);
	ck_assert_msg(strncmp(h1, "$6$", 3) == 0, "%s", h1);
	ck_assert_str_ne(h1, h2);
	ck_assert_int_eq(
	    cli_password_matches(h1, (const uint8_t *)PW, strlen(PW)), 1);
	ck_assert_int_eq(
	    cli_password_matches(h2, (const uint8_t *)PW, strlen(PW)), 1);
	ck_assert_int_eq(cli_password_matches(h1, (const uint8_t *)"x", 1), 0);
}
END_TEST

START_TEST(a_passcode_with_a_nul_or_a_bad_method_never_matches)
{
	char h[512];
	struct cs_err err = { 0, "" };

	ck_assert_int_eq(cli_password_hash(NULL, "ab", h, sizeof(h), &err), 0);
	ck_assert_int_eq(
	    cli_password_matches(h, (const uint8_t *)"ab\0c", 4), 0);
	ck_assert_int_eq(
	    cli_password_matches("not a hash", (const uint8_t *)"ab", 2), 0);
	ck_assert_int_eq(cli_password_matches("", (const uint8_t *)"", 0), 0);
	ck_assert_int_eq(
	    cli_password_hash("md4", "ab", h, sizeof(h), &err), CS_E_INVAL);
}
END_TEST

START_TEST(the_users_file_is_checked_line_by_line)
{
	struct cli_users *u = NULL;
	struct cs_err err = { 0, "" };

	ck_assert_int_eq(load("# c\n\nalice:$6$x$y\nbob:\n", &u, &err), 0);
	cli_users_free(u);
	ck_assert_int_eq(load("alice:$6$x$y\nbob\n", &u, &err), CS_E_INVAL);
	ck_assert_msg(strstr(err.msg, "line 2") != NULL, "%s", err.msg);
	cs_err_clear(&err);
	ck_assert_int_eq(load("alice:secret\n", &u, &err), CS_E_INVAL);
	ck_assert_msg(
	    strstr(err.msg, "not a crypt(3) hash") != NULL, "%s", err.msg);
	cs_err_clear(&err);
	ck_assert_int_eq(load("a:\na:\n", &u, &err), CS_E_INVAL);
	ck_assert_msg(strstr(err.msg, "again") != NULL, "%s", err.msg);
	cs_err_clear(&err);
	ck_assert_int_eq(load("# nobody\n", &u, &err), CS_E_INVAL);
	cs_err_clear(&err);
	ck_assert_int_eq(load(":$6$x$y\n", &u, &err), CS_E_INVAL);
	cs_err_clear(&err);
	ck_assert_int_eq(
	    cli_users_load(&u, "/nonexistent/users", &err), CS_E_IO);
	ck_assert_ptr_null(u);
}
END_TEST

/* A NUL byte in a line (a file damaged, or written with printf's \0)
 * refuses the file: "alice:", a NUL, then her hash was read as alice
 * needing no passcode, and any passcode, or none, was let in. */
START_TEST(a_nul_byte_in_the_users_file_refuses_it)
{
	static const char text[] = "bob:\nalice:\0$6$x$y\n";
	struct cli_users *u = NULL;
	struct cs_err err = { 0, "" };
	FILE *f;

	users_file("");
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	ck_assert_uint_eq(fwrite(text, 1, sizeof(text) - 1, f), sizeof(text) - 1);
	ck_assert_int_eq(fclose(f), 0);
	ck_assert_int_eq(cli_users_load(&u, path, &err), CS_E_INVAL);
	unlink(path);
	ck_assert_ptr_null(u);
	ck_assert_msg(strstr(err.msg, "line 2") != NULL &&
		strstr(err.msg, "NUL") != NULL,
	    "%s", err.msg);
}
END_TEST

START_TEST(identities_are_judged_against_the_users_file)
{
	struct cli_users *u = NULL;
	struct cs_err err = { 0, "" };
	char h[512], text[700], name[STORESCP_USER_MAX + 1], why[256];
	struct storescp_identity id;
	double t0;

	ck_assert_int_eq(cli_password_hash(NULL, PW, h, sizeof(h), &err), 0);
	snprintf(text, sizeof(text), "alice:%s\nbob:\n", h);
	ck_assert_int_eq(load(text, &u, &err), 0);

	id = ident(2, "alice", PW);
	ck_assert_int_eq(
	    cli_users_check(u, &id, name, sizeof(name), why, sizeof(why)), 0);
	ck_assert_str_eq(name, "alice");

	id = ident(2, "alice", "wrong");
	ck_assert_int_eq(
	    cli_users_check(u, &id, name, sizeof(name), why, sizeof(why)), -1);
	ck_assert_str_eq(why, "user 'alice': wrong passcode");

	id = ident(1, "alice", NULL);
	ck_assert_int_eq(
	    cli_users_check(u, &id, name, sizeof(name), why, sizeof(why)), -1);
	ck_assert_msg(strstr(why, "no passcode") != NULL, "%s", why);

	id = ident(2, "carol", PW);
	t0 = now_ms();
	ck_assert_int_eq(
	    cli_users_check(u, &id, name, sizeof(name), why, sizeof(why)), -1);
	/* an unknown name costs a hash too (yescrypt: ~20 ms; a failed
	 * setting returns in microseconds) */
	ck_assert_msg(now_ms() - t0 >= 2.0, "%.3f ms", now_ms() - t0);
	ck_assert_str_eq(why, "unknown user 'carol'");
	ck_assert_ptr_null(strstr(why, PW));

	/* a name-only user: type 1, or type 2 with anything */
	id = ident(1, "bob", NULL);
	ck_assert_int_eq(
	    cli_users_check(u, &id, name, sizeof(name), why, sizeof(why)), 0);
	ck_assert_str_eq(name, "bob");

	/* a prefix of a name is not the name */
	id = ident(2, "ali", PW);
	ck_assert_int_eq(
	    cli_users_check(u, &id, name, sizeof(name), why, sizeof(why)), -1);

	for (unsigned t = 3; t <= 5; t++) {
		static const char *const kind[] = { "Kerberos", "SAML",
			"JSON web token" };

		id = ident(t, "alice", NULL);
		ck_assert_int_eq(cli_users_check(u, &id, name, sizeof(name),
				     why, sizeof(why)),
		    -1);
		ck_assert_msg(strstr(why, kind[t - 3]) != NULL, "%s", why);
		ck_assert_msg(strstr(why, "not supported") != NULL, "%s", why);
	}
	cli_users_free(u);
}
END_TEST

/* check_identity for the decisions below: accepts "alice" only. */
static int
only_alice(void *user, const struct storescp_identity *id, char *name,
    size_t name_size, char *why, size_t why_size)
{
	(void)user;
	if (id->primary_len == 5 && memcmp(id->primary, "alice", 5) == 0) {
		snprintf(name, name_size, "alice");
		return 0;
	}
	snprintf(why, why_size, "not alice");
	return -1;
}

static struct ul_assoc_params *
rq_with(int type, const char *name, int response)
{
	struct ul_assoc_params *rq = calloc(1, sizeof(*rq));

	ck_assert_ptr_nonnull(rq);
	if (type != 0) {
		rq->has_user_identity = 1;
		rq->user_identity.type = (uint8_t)type;
		rq->user_identity.positive_response = (uint8_t)response;
		rq->user_identity.primary.p = (const uint8_t *)name;
		rq->user_identity.primary.len = (uint16_t)strlen(name);
	}
	return rq;
}

START_TEST(the_receiver_rejects_permanent_service_user_no_reason)
{
	struct storescp_config cfg;
	struct ul_assoc_params *rq, ac;
	struct ul_assoc_rj rj = { 0, 0, 0 };
	char user[STORESCP_USER_MAX + 1], why[256] = "";
	const struct scp_identity_who who = { .calling = "SCU",
		.peer = "127.0.0.1:1" };
	struct cs_err err = { 0, "" };

	storescp_config_init(&cfg);
	cfg.require_identity = 1;
	ck_assert_int_eq(scp_identity_config(&cfg, &err), CS_E_INVAL);
	cfg.check_identity = only_alice;
	ck_assert_int_eq(scp_identity_config(&cfg, &err), 0);

	/* required and missing */
	rq = rq_with(0, "", 0);
	memset(&ac, 0, sizeof(ac));
	ck_assert_int_eq(scp_identity_decide(
			     &cfg, rq, &who, user, &ac, &rj, why, sizeof(why)),
	    -1);
	ck_assert_uint_eq(rj.result, 1);
	ck_assert_uint_eq(rj.source, 1);
	ck_assert_uint_eq(rj.reason, 1);
	ck_assert_msg(strstr(why, "no user identity") != NULL, "%s", why);
	free(rq);

	/* refused */
	rq = rq_with(2, "mallory", 1);
	rj = (struct ul_assoc_rj){ 0, 0, 0 };
	ck_assert_int_eq(scp_identity_decide(
			     &cfg, rq, &who, user, &ac, &rj, why, sizeof(why)),
	    -1);
	ck_assert_uint_eq(rj.result, 1);
	ck_assert_uint_eq(rj.source, 1);
	ck_assert_uint_eq(rj.reason, 1);
	ck_assert_str_eq(why, "not alice");
	ck_assert_str_eq(user, "");
	ck_assert_int_eq(ac.has_user_identity, 0);
	free(rq);

	/* accepted, response asked: an empty server response in the AC */
	rq = rq_with(2, "alice", 1);
	ck_assert_int_eq(scp_identity_decide(
			     &cfg, rq, &who, user, &ac, &rj, why, sizeof(why)),
	    0);
	ck_assert_str_eq(user, "alice");
	ck_assert_int_eq(ac.has_user_identity, 1);
	ck_assert_uint_eq(ac.user_identity.server_response.len, 0);
	free(rq);

	/* accepted, no response asked: none sent */
	memset(&ac, 0, sizeof(ac));
	rq = rq_with(2, "alice", 0);
	ck_assert_int_eq(scp_identity_decide(
			     &cfg, rq, &who, user, &ac, &rj, why, sizeof(why)),
	    0);
	ck_assert_int_eq(ac.has_user_identity, 0);
	free(rq);
}
END_TEST

START_TEST(without_a_check_identities_are_ignored_and_not_answered)
{
	struct storescp_config cfg;
	struct ul_assoc_params *rq = rq_with(2, "mallory", 1), ac;
	struct ul_assoc_rj rj = { 0, 0, 0 };
	char user[STORESCP_USER_MAX + 1] = "x", why[256] = "";
	const struct scp_identity_who who = { .calling = "SCU",
		.peer = "127.0.0.1:1" };

	storescp_config_init(&cfg);
	memset(&ac, 0, sizeof(ac));
	ck_assert_int_eq(scp_identity_decide(
			     &cfg, rq, &who, user, &ac, &rj, why, sizeof(why)),
	    0);
	ck_assert_str_eq(user, "");
	ck_assert_int_eq(ac.has_user_identity, 0);
	free(rq);
}
END_TEST

struct lines {
	char text[8192];
};

static void
collect(void *user, const char *line)
{
	struct lines *l = user;

	strncat(l->text, line, sizeof(l->text) - strlen(l->text) - 2);
	strcat(l->text, "\n");
}

/* check_identity: a token "ok" accepted with a response, "later" not
 * judged now, the rest refused. */
static int
token_check(void *user, const struct storescp_identity *id, char *name,
    size_t name_size, char *why, size_t why_size)
{
	(void)user;
	if (id->primary_len == 2 && memcmp(id->primary, "ok", 2) == 0) {
		snprintf(name, name_size, "jwt:carol");
		if (id->response != NULL) {
			ck_assert_uint_ge(id->response_size, 3);
			memcpy(id->response, "JWT", 3);
			*id->response_len = 3;
		}
		return 0;
	}
	snprintf(why, why_size, "no");
	return id->primary_len == 5 ? -2 : -1;
}

START_TEST(a_check_may_answer_with_a_response_or_reject_for_now)
{
	struct storescp_config cfg;
	struct ul_assoc_params *rq, ac;
	struct ul_assoc_rj rj = { 0, 0, 0 };
	char user[STORESCP_USER_MAX + 1], why[256] = "";
	uint8_t room[STORESCP_RESPONSE_MAX];
	const struct scp_identity_who who = { .calling = "SCU",
		.peer = "127.0.0.1:1",
		.response = room,
		.response_size = sizeof(room) };

	storescp_config_init(&cfg);
	cfg.check_identity = token_check;
	/* a JWT accepted: its response in the AC */
	rq = rq_with(5, "ok", 1);
	memset(&ac, 0, sizeof(ac));
	ck_assert_int_eq(scp_identity_decide(
			     &cfg, rq, &who, user, &ac, &rj, why, sizeof(why)),
	    0);
	ck_assert_str_eq(user, "jwt:carol");
	ck_assert_int_eq(ac.has_user_identity, 1);
	ck_assert_uint_eq(ac.user_identity.server_response.len, 3);
	ck_assert_int_eq(memcmp(ac.user_identity.server_response.p, "JWT", 3), 0);
	free(rq);
	/* type 2: an empty response whatever the check wrote */
	rq = rq_with(2, "ok", 1);
	memset(&ac, 0, sizeof(ac));
	ck_assert_int_eq(scp_identity_decide(
			     &cfg, rq, &who, user, &ac, &rj, why, sizeof(why)),
	    0);
	ck_assert_uint_eq(ac.user_identity.server_response.len, 0);
	free(rq);
	/* not judged now: rejected transient, service user, no reason */
	rq = rq_with(5, "later", 1);
	ck_assert_int_eq(scp_identity_decide(
			     &cfg, rq, &who, user, &ac, &rj, why, sizeof(why)),
	    -1);
	ck_assert_uint_eq(rj.result, 2);
	ck_assert_uint_eq(rj.source, 1);
	ck_assert_uint_eq(rj.reason, 1);
	free(rq);
}
END_TEST

/* on_associate_rq for the test below: where the passcode was. */
static const uint8_t *seen_pass;
static size_t seen_len;

static int
note_passcode(void *user, const struct ul_assoc_params *rq)
{
	(void)user;
	seen_pass = rq->user_identity.secondary.p;
	seen_len = rq->user_identity.secondary.len;
	ck_assert_int_eq(memcmp(seen_pass, "hunter2-passcode", seen_len), 0);
	return 0;
}

START_TEST(the_engine_wipes_the_identity_once_the_rq_is_judged)
{
	static const char pass[] = "hunter2-passcode";
	struct ul_assoc_params *p = rq_with(2, "alice", 1);
	const struct ul_callbacks cb = { .on_associate_rq = note_passcode };
	struct ul_assoc *a = ul_assoc_new(UL_ACCEPTOR, NULL, &cb, NULL);
	struct wr w;

	ck_assert_ptr_nonnull(a);
	p->user_identity.secondary.p = (const uint8_t *)pass;
	p->user_identity.secondary.len = sizeof(pass) - 1;
	strcpy(p->called_ae, "SCP");
	strcpy(p->calling_ae, "SCU");
	strcpy(p->impl_class_uid, "1.2.3");
	p->n_pc = 1;
	p->pc[0].id = 1;
	strcpy(p->pc[0].abstract_syntax, "1.2.840.10008.1.1");
	p->pc[0].n_ts = 1;
	strcpy(p->pc[0].ts[0], "1.2.840.10008.1.2");
	wr_init(&w, 1u << 20);
	ck_assert_int_eq(ul_encode_assoc_rq(&w, p), 0);
	ck_assert_int_eq(ul_transport_connected(a, 0), 0);
	ck_assert_int_eq(ul_recv(a, w.p, w.len, 0), (ssize_t)w.len);
	/* the engine's buffer, still the association's: zeros now */
	ck_assert_ptr_nonnull(seen_pass);
	ck_assert_uint_eq(seen_len, sizeof(pass) - 1);
	for (size_t i = 0; i < seen_len; i++)
		ck_assert_uint_eq(seen_pass[i], 0);
	wr_release(&w);
	ul_assoc_free(a);
	free(p);
}
END_TEST

START_TEST(the_trace_of_an_rq_shows_the_name_never_the_passcode)
{
	static const char pass[] = "hunter2-passcode";
	struct ul_assoc_params *p = rq_with(2, "alice", 1);
	struct lines l = { "" };
	struct wr w;

	p->user_identity.secondary.p = (const uint8_t *)pass;
	p->user_identity.secondary.len = sizeof(pass) - 1;
	strcpy(p->called_ae, "SCP");
	strcpy(p->calling_ae, "SCU");
	strcpy(p->impl_class_uid, "1.2.3");
	p->n_pc = 1;
	p->pc[0].id = 1;
	strcpy(p->pc[0].abstract_syntax, "1.2.840.10008.1.1");
	p->pc[0].n_ts = 1;
	strcpy(p->pc[0].ts[0], "1.2.840.10008.1.2");
	wr_init(&w, 1u << 20);
	ck_assert_int_eq(ul_encode_assoc_rq(&w, p), 0);
	/* the passcode is on the wire ... */
	ck_assert_ptr_nonnull(memmem(w.p, w.len, pass, sizeof(pass) - 1));
	ul_dump_pdu('S', w.p, w.len, NULL, collect, &l);
	/* ... and not in the trace */
	ck_assert_msg(strstr(l.text, "hunter2") == NULL, "%s", l.text);
	ck_assert_msg(strstr(l.text, "user 'alice'") != NULL, "%s", l.text);
	ck_assert_msg(
	    strstr(l.text, "16-byte secondary field") != NULL, "%s", l.text);
	wr_release(&w);
	free(p);
}
END_TEST

Suite *
identity_suite(void)
{
	Suite *s = suite_create("identity");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, a_yescrypt_hash_verifies_its_passcode_only);
	tcase_add_test(tc, a_sha512_hash_verifies_and_salts_differ);
	tcase_add_test(tc, a_passcode_with_a_nul_or_a_bad_method_never_matches);
	tcase_add_test(tc, the_users_file_is_checked_line_by_line);
	tcase_add_test(tc, a_nul_byte_in_the_users_file_refuses_it);
	tcase_add_test(tc, identities_are_judged_against_the_users_file);
	tcase_add_test(
	    tc, the_receiver_rejects_permanent_service_user_no_reason);
	tcase_add_test(
	    tc, without_a_check_identities_are_ignored_and_not_answered);
	tcase_add_test(
	    tc, the_trace_of_an_rq_shows_the_name_never_the_passcode);
	tcase_add_test(tc, a_check_may_answer_with_a_response_or_reject_for_now);
	tcase_add_test(tc, the_engine_wipes_the_identity_once_the_rq_is_judged);
	suite_add_tcase(s, tc);
	return s;
}
