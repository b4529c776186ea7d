/*
 * t_tls.c - lib/net/transport over TLS (tls.c): a handshake over a
 * socket pair, then a file (transport_sendfile: pread + SSL_write) and
 * memory arrive byte for byte through transport_recv, the reader waiting
 * only as transport_events/transport_pending say; a certificate from an
 * unknown CA, one for another name, and an unreadable certificate file
 * each fail with CS_E_TLS and a message naming the problem; a send a
 * full socket could not take waits in the buffer until transport_flush.  The
 * certificates are made here with OpenSSL's API.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "cstore/cstore.h"
#include "cstore/tls.h"
#include "net/transport.h"

Suite *tls_suite(void);

static char dir[256];

/* Writes NAME.pem and NAME.key in dir: CN=cn with subjectAltName san,
 * signed by (ca_cert, ca_key) or by itself when ca_cert is NULL. */
static void
make_cert(const char *name, const char *cn, const char *san, X509 *ca_cert,
    EVP_PKEY *ca_key, X509 **cert_out, EVP_PKEY **key_out)
{
	EVP_PKEY *key = EVP_EC_gen("P-256");
	X509 *x = X509_new();
	X509_NAME *n;
	X509V3_CTX v3;
	X509_EXTENSION *ext;
	char path[512];
	FILE *f;

	ck_assert_ptr_nonnull(key);
	ASN1_INTEGER_set(X509_get_serialNumber(x), (long)rand());
	X509_gmtime_adj(X509_getm_notBefore(x), -3600);
	X509_gmtime_adj(X509_getm_notAfter(x), 86400);
	X509_set_pubkey(x, key);
	n = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(
	    n, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(x,
	    ca_cert ? X509_get_subject_name(ca_cert)
		    : X509_get_subject_name(x));
	X509V3_set_ctx(&v3, ca_cert ? ca_cert : x, x, NULL, NULL, 0);
	if (san != NULL) {
		ext = X509V3_EXT_conf_nid(NULL, &v3, NID_subject_alt_name, san);
		X509_add_ext(x, ext, -1);
		X509_EXTENSION_free(ext);
	} else {
		ext = X509V3_EXT_conf_nid(
		    NULL, &v3, NID_basic_constraints, "critical,CA:TRUE");
		X509_add_ext(x, ext, -1);
		X509_EXTENSION_free(ext);
	}
	ck_assert_int_gt(X509_sign(x, ca_key ? ca_key : key, EVP_sha256()), 0);
	snprintf(path, sizeof(path), "%s/%s.pem", dir, name);
	f = fopen(path, "w");
	PEM_write_X509(f, x);
	fclose(f);
	snprintf(path, sizeof(path), "%s/%s.key", dir, name);
	f = fopen(path, "w");
	PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL);
	fclose(f);
	if (cert_out != NULL) {
		*cert_out = x;
		*key_out = key;
	} else {
		X509_free(x);
		EVP_PKEY_free(key);
	}
}

static void
setup_pki(void)
{
	X509 *ca, *other;
	EVP_PKEY *ca_key, *other_key;

	snprintf(dir, sizeof(dir), "%s/t_tls.XXXXXX",
	    getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	make_cert("ca", "t_tls CA", NULL, NULL, NULL, &ca, &ca_key);
	make_cert(
	    "other", "t_tls other CA", NULL, NULL, NULL, &other, &other_key);
	make_cert(
	    "server", "localhost", "DNS:localhost", ca, ca_key, NULL, NULL);
	make_cert("rogue", "localhost", "DNS:localhost", other, other_key, NULL,
	    NULL);
	X509_free(ca);
	X509_free(other);
	EVP_PKEY_free(ca_key);
	EVP_PKEY_free(other_key);
}

static void
teardown_pki(void)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}

static const char *
file(const char *name, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s", dir, name);
	return buf;
}

struct side {
	int fd;
	struct cstore_tls cfg;
	int server;
	const char *name;
	int rc;
	struct cs_err err;
	struct transport t;
	char subject[256];
	/* reader: how many bytes to read, their sum */
	size_t want, got;
	uint64_t sum;
};

static uint64_t
add_sum(uint64_t s, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		s = s * 31 + p[i];
	return s;
}

/* Reads until want bytes arrived, waiting as the transport says. */
static void
read_all(struct side *d)
{
	static uint8_t buf[1 << 20];

	while (d->got < d->want) {
		ssize_t r = transport_recv(&d->t, buf, sizeof(buf));

		if (r > 0) {
			d->sum = add_sum(d->sum, buf, (size_t)r);
			d->got += (size_t)r;
			continue;
		}
		ck_assert_msg(
		    r < 0 && errno == EAGAIN, "recv %zd errno %d", r, errno);
		if (transport_pending(&d->t) == 0) {
			struct pollfd p = { d->fd,
				transport_events(&d->t, POLLIN), 0 };

			ck_assert_int_eq(poll(&p, 1, 10000), 1);
		}
	}
}

static void *
run_side(void *arg)
{
	struct side *d = arg;
	struct tls_ctx *c = tls_ctx_new(&d->cfg, d->server, &d->err);

	if (c == NULL) {
		d->rc = d->err.code;
		return NULL;
	}
	transport_plain(&d->t, d->fd);
	d->rc = tls_handshake(&d->t, c, d->name, 10000, &d->err);
	tls_ctx_free(c);
	if (d->rc == 0) {
		snprintf(d->subject, sizeof(d->subject), "%s",
		    transport_peer_subject(&d->t));
		if (d->want > 0)
			read_all(d);
	}
	return NULL;
}

/* A connected pair of non-blocking stream sockets. */
static void
pair(int fds[2])
{
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
	for (int i = 0; i < 2; i++)
		fcntl(fds[i], F_SETFL, fcntl(fds[i], F_GETFL) | O_NONBLOCK);
}

/* Writes all n bytes of buf, waiting as the transport says. */
static void
send_all(struct transport *t, const uint8_t *buf, size_t n)
{
	while (n > 0) {
		ssize_t w = transport_send(t, buf, n, 0);

		if (w > 0) {
			buf += w;
			n -= (size_t)w;
			continue;
		}
		ck_assert(w < 0 && errno == EAGAIN);
		struct pollfd p = { t->fd, transport_events(t, POLLOUT), 0 };
		ck_assert_int_eq(poll(&p, 1, 10000), 1);
	}
}

/* Writes what the transport's buffer still holds (TLS records of sends
 * that returned before a full socket took them). */
static void
flush_all(struct transport *t)
{
	ssize_t w;

	while ((w = transport_flush(t)) != 0) {
		ck_assert(w < 0 && errno == EAGAIN);
		struct pollfd p = { t->fd, transport_events(t, POLLOUT), 0 };
		ck_assert_int_eq(poll(&p, 1, 10000), 1);
	}
	ck_assert_uint_eq(transport_unsent(t), 0);
}

START_TEST(a_file_and_memory_arrive_byte_for_byte)
{
	char a[512], b[512], c[512], path[512];
	static uint8_t mem[100000];
	struct side srv = { 0 }, cli = { 0 };
	pthread_t th;
	uint64_t sum = 0;
	size_t fsize = 3 * 1024 * 1024 + 7;
	off_t off = 0;
	int fds[2], fd;

	setup_pki();
	pair(fds);
	/* the file to send */
	snprintf(path, sizeof(path), "%s/data", dir);
	fd = open(path, O_RDWR | O_CREAT, 0600);
	for (size_t i = 0; i < fsize; i += sizeof(mem)) {
		size_t n = fsize - i < sizeof(mem) ? fsize - i : sizeof(mem);

		for (size_t k = 0; k < n; k++)
			mem[k] = (uint8_t)((i + k) * 131u + ((i + k) >> 12));
		ck_assert_int_eq(write(fd, mem, n), (ssize_t)n);
		sum = add_sum(sum, mem, n);
	}
	for (size_t k = 0; k < sizeof(mem); k++)
		mem[k] = (uint8_t)(k * 7);
	sum = add_sum(sum, mem, sizeof(mem));

	srv.fd = fds[0];
	srv.server = 1;
	srv.cfg.enabled = 1;
	srv.cfg.cert = file("server.pem", a, sizeof(a));
	srv.cfg.key = file("server.key", b, sizeof(b));
	srv.cfg.optional_client_cert = 1;
	srv.want = fsize + sizeof(mem);
	cli.fd = fds[1];
	cli.cfg.enabled = 1;
	cli.cfg.ca = file("ca.pem", c, sizeof(c));
	cli.name = "localhost";
	ck_assert_int_eq(pthread_create(&th, NULL, run_side, &srv), 0);
	run_side(&cli);
	ck_assert_msg(cli.rc == 0, "client: %s", cli.err.msg);
	ck_assert_str_eq(cli.subject, "CN=localhost");
	ck_assert_ptr_nonnull(strstr(transport_tls_summary(&cli.t), "TLSv1.3"));
	while (off < (off_t)fsize) {
		ssize_t w = transport_sendfile(&cli.t, fd, &off, fsize - off);

		if (w > 0)
			continue;
		ck_assert(w < 0 && errno == EAGAIN);
		struct pollfd p = { cli.fd, transport_events(&cli.t, POLLOUT),
			0 };
		ck_assert_int_eq(poll(&p, 1, 10000), 1);
	}
	send_all(&cli.t, mem, sizeof(mem));
	flush_all(&cli.t);
	pthread_join(th, NULL);
	ck_assert_msg(srv.rc == 0, "server: %s", srv.err.msg);
	ck_assert_str_eq(srv.subject, ""); /* no client certificate */
	ck_assert_uint_eq(srv.got, srv.want);
	ck_assert(srv.sum == sum);
	transport_release(&cli.t);
	transport_release(&srv.t);
	close(fd);
	close(fds[0]);
	close(fds[1]);
	teardown_pki();
}
END_TEST

/*
 * A send into a socket that takes only part of it returns the whole
 * length (the records wait in the transport's buffer); nothing is lost:
 * transport_unsent says what waits and transport_flush writes it once
 * the reader reads.
 */
static atomic_int go_read;

static void *
run_late_reader(void *arg)
{
	struct side *d = arg;

	while (!atomic_load(&go_read))
		usleep(1000);
	read_all(d);
	return NULL;
}

START_TEST(a_send_the_socket_cannot_take_is_flushed_later)
{
	char a[512], b[512], c[512];
	static uint8_t mem[200000];
	struct side srv = { 0 }, cli = { 0 };
	pthread_t th;
	uint64_t sum;
	int fds[2], small = 4096;
	ssize_t w;

	setup_pki();
	pair(fds);
	for (size_t k = 0; k < sizeof(mem); k++)
		mem[k] = (uint8_t)(k * 13 + (k >> 9));
	sum = add_sum(0, mem, sizeof(mem));
	srv.fd = fds[0];
	srv.server = 1;
	srv.cfg.enabled = 1;
	srv.cfg.cert = file("server.pem", a, sizeof(a));
	srv.cfg.key = file("server.key", b, sizeof(b));
	srv.cfg.optional_client_cert = 1;
	cli.fd = fds[1];
	cli.cfg.enabled = 1;
	cli.cfg.ca = file("ca.pem", c, sizeof(c));
	cli.name = "localhost";
	/* the handshake first, with nothing to read after it */
	ck_assert_int_eq(pthread_create(&th, NULL, run_side, &srv), 0);
	run_side(&cli);
	pthread_join(th, NULL);
	ck_assert_msg(cli.rc == 0 && srv.rc == 0, "handshake: %s %s",
	    cli.err.msg, srv.err.msg);
	ck_assert_int_eq(
	    setsockopt(fds[1], SOL_SOCKET, SO_SNDBUF, &small, sizeof(small)),
	    0);
	ck_assert_int_eq(
	    setsockopt(fds[0], SOL_SOCKET, SO_RCVBUF, &small, sizeof(small)),
	    0);
	atomic_store(&go_read, 0);
	srv.want = sizeof(mem);
	ck_assert_int_eq(pthread_create(&th, NULL, run_late_reader, &srv), 0);
	w = transport_send(&cli.t, mem, sizeof(mem), 0);
	ck_assert_int_eq(w, (ssize_t)sizeof(mem));
	ck_assert_uint_gt(transport_unsent(&cli.t), 0);
	ck_assert_int_eq(transport_flush(&cli.t), -1);
	ck_assert_int_eq(errno, EAGAIN);
	atomic_store(&go_read, 1);
	flush_all(&cli.t);
	/* written: a reader waiting for its answer now waits for input
	 * only, not also for room it does not need (poll would return at
	 * once, over and over) */
	ck_assert_int_eq(transport_events(&cli.t, POLLIN), POLLIN);
	pthread_join(th, NULL);
	ck_assert_uint_eq(srv.got, sizeof(mem));
	ck_assert(srv.sum == sum);
	transport_release(&cli.t);
	transport_release(&srv.t);
	close(fds[0]);
	close(fds[1]);
	teardown_pki();
}
END_TEST

/* A client trusting ca.pem meets a server with certificate NAME;
 * returns the client's message. */
static int
refused(const char *name, const char *check_name, struct cs_err *err)
{
	char a[512], b[512], c[512], ka[64], kb[64];
	struct side srv = { 0 }, cli = { 0 };
	pthread_t th;
	int fds[2];

	pair(fds);
	snprintf(ka, sizeof(ka), "%s.pem", name);
	snprintf(kb, sizeof(kb), "%s.key", name);
	srv.fd = fds[0];
	srv.server = 1;
	srv.cfg.enabled = 1;
	srv.cfg.cert = file(ka, a, sizeof(a));
	srv.cfg.key = file(kb, b, sizeof(b));
	srv.cfg.optional_client_cert = 1;
	cli.fd = fds[1];
	cli.cfg.enabled = 1;
	cli.cfg.ca = file("ca.pem", c, sizeof(c));
	cli.name = check_name;
	ck_assert_int_eq(pthread_create(&th, NULL, run_side, &srv), 0);
	run_side(&cli);
	close(fds[1]); /* the server's read of the alert ends */
	pthread_join(th, NULL);
	close(fds[0]);
	ck_assert_int_ne(srv.rc, 0);
	*err = cli.err;
	return cli.rc;
}

START_TEST(an_unknown_ca_and_a_wrong_name_are_named)
{
	struct cs_err err;

	setup_pki();
	ck_assert_int_eq(refused("rogue", "localhost", &err), CS_E_TLS);
	ck_assert_str_eq(err.msg,
	    "TLS: the server's certificate was refused: certificate signed by an unknown CA 'CN=t_tls other CA'");
	ck_assert_int_eq(refused("server", "pacs.example", &err), CS_E_TLS);
	ck_assert_str_eq(err.msg,
	    "TLS: the server's certificate was refused: certificate does not match the name 'pacs.example'");
	teardown_pki();
}
END_TEST

START_TEST(an_unreadable_certificate_is_named)
{
	struct cstore_tls cfg = { .enabled = 1,
		.cert = "/nonexistent/cert.pem" };
	struct cs_err err = { 0, "" };

	ck_assert_ptr_null(tls_ctx_new(&cfg, 1, &err));
	ck_assert_int_eq(err.code, CS_E_TLS);
	ck_assert_ptr_nonnull(strstr(err.msg, "'/nonexistent/cert.pem'"));
}
END_TEST

/* A receiver requiring client certificates trusts no CA it is not
 * given: without one (the system's store is never its default) it is
 * refused, and with optional ones it asks for none. */
START_TEST(a_receiver_without_cas_is_refused_unless_optional)
{
	char a[600], b[600];
	struct cstore_tls cfg = { .enabled = 1 };
	struct cs_err err = { 0, "" };
	struct tls_ctx *c;

	setup_pki();
	cfg.cert = file("server.pem", a, sizeof(a));
	cfg.key = file("server.key", b, sizeof(b));
	ck_assert_ptr_null(tls_ctx_new(&cfg, 1, &err));
	ck_assert_int_eq(err.code, CS_E_INVAL);
	ck_assert_ptr_nonnull(strstr(err.msg, "(--tls-ca)"));
	cfg.optional_client_cert = 1;
	c = tls_ctx_new(&cfg, 1, &err);
	ck_assert_ptr_nonnull(c);
	tls_ctx_free(c);
	teardown_pki();
}
END_TEST

Suite *
tls_suite(void)
{
	Suite *s = suite_create("tls");
	TCase *tc = tcase_create("transport");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, a_file_and_memory_arrive_byte_for_byte);
	tcase_add_test(tc, a_send_the_socket_cannot_take_is_flushed_later);
	tcase_add_test(tc, an_unknown_ca_and_a_wrong_name_are_named);
	tcase_add_test(tc, an_unreadable_certificate_is_named);
	tcase_add_test(tc, a_receiver_without_cas_is_refused_unless_optional);
	suite_add_tcase(s, tc);
	return s;
}
