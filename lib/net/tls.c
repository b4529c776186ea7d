/*
 * tls.c - TLS under the pump with OpenSSL 3 (see transport.h): contexts
 * for the PS3.15 B.9-B.11 profiles, the handshake, and the record I/O
 * that transport.c calls.  The only file that includes OpenSSL.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "cstore/cstore.h"
#include "cstore/tls.h"
#include "core/alloc.h"
#include "net/net.h"
#include "net/tls_io.h"
#include "net/transport.h"
#include "core/banned.h"

struct tls_ctx {
	atomic_int refs;
	SSL_CTX *ssl;
	int server;
	int insecure;
	/* client: the last session the server gave a ticket for, offered
	 * by the next handshake (tls_share: the next lane or reconnection) */
	pthread_mutex_t lock;
	SSL_SESSION *resume;
	/* the name its server's certificate was checked against: offered
	 * only to a handshake checking the same name (dcmrecv's reports
	 * go to several --commit-peer hosts on one context) */
	char resume_name[256];
};

/* File bytes per SSL_write: 16 records of 16 KiB. */
#define TLS_FILE_CHUNK (256u * 1024u)
/*
 * Socket bytes per recv: the read side is a buffering BIO of this size
 * over the socket (use_read_buffer).  Not OpenSSL's read-ahead with a
 * large buffer: that moves the unread rest of its buffer to the front
 * before each record, and with 16 records queued the receiver spent
 * ~14% of its CPU in that memmove (52 MB files over TLS).
 */
#define TLS_READ_CHUNK (256 * 1024)
/*
 * The write side is a buffer too, flushed at the end of each send: an
 * SSL_write of TLS_FILE_CHUNK goes out in one write(2), not one per
 * 16 KiB record (68,000 writes per GB before).  Room for a chunk and
 * its records' overhead.
 */
#define TLS_WRITE_BUF (TLS_FILE_CHUNK + 64 * 1024)

struct tls_conn {
	SSL *ssl;
	uint8_t *fmem; /* the allocation fbuf is in (see file_buffer) */
	uint8_t *fbuf; /* TLS_FILE_CHUNK, for tls_io_send_file */
	size_t wpend;  /* length of a write that would block: retried as is */
	/* input may wait in OpenSSL's buffer: after the handshake (which
	 * may read ahead the first PDU) and after a tls_io_recv that
	 * filled its buffer; 0 after one that emptied the socket */
	int undrained;
	char subject[256];
	/* the first certificate of the peer's chain that failed the
	 * check (note_verify), and its issuer; depth 0 the peer's own */
	int bad_depth;
	int cert_asked; /* client: the server asked for ours: 1 none given,
			   2 ours unsuitable to it */
	char bad_subject[128];
	char bad_issuer[128];
	char peer_name[256]; /* client: the name checked (keep_session) */
	char summary[96];
	char error[160];
};

/*
 * TLS 1.2 suites of each profile (TLS 1.3's own suites are all AEAD with
 * forward secrecy and are always offered).  B.10 and B.11 keep to ECDHE
 * or DHE with AES-GCM; B.9 adds BCP 195's other recommended suites.
 */
static const char ciphers_nd[] =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384";
static const char ciphers_bcp195[] =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:"
    "ECDHE-ECDSA-AES128-SHA256:ECDHE-RSA-AES128-SHA256:"
    "ECDHE-ECDSA-AES256-SHA384:ECDHE-RSA-AES256-SHA384";
/*
 * TLS 1.3: the same three suites as OpenSSL's default, AES-128-GCM first
 * (the suite RFC 8446 makes mandatory; OpenSSL's default puts AES-256
 * first): four fewer AES rounds per block.  A receiver chooses by this
 * order, not the client's.  AES-256-GCM and ChaCha20 stay for peers
 * that offer only those.
 */
static const char suites13[] = "TLS_AES_128_GCM_SHA256:"
			       "TLS_AES_256_GCM_SHA384:"
			       "TLS_CHACHA20_POLY1305_SHA256";
static const char ciphers_ext[] =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384";

/*
 * The first queued OpenSSL error as text ("" if none); clears the
 * queue.  An alert the peer sent ("tlsv13 alert certificate required")
 * reads "the peer's alert 'certificate required'".
 */
static const char *
ossl_reason(char *buf, size_t len)
{
	unsigned long e = ERR_get_error();
	const char *r, *a;

	buf[0] = '\0';
	if (e != 0) {
		r = ERR_reason_error_string(e);
		if (r == NULL)
			r = "unknown TLS error";
		a = strstr(r, " alert ");
		if (a != NULL &&
		    (strncmp(r, "tlsv", 4) == 0 || strncmp(r, "sslv3", 5) == 0))
			snprintf(buf, len, "the peer's alert '%s'", a + 7);
		else
			snprintf(buf, len, "%s", r);
	}
	ERR_clear_error();
	return buf;
}

/* OpenSSL opens its files blocking and reads them to the end: a FIFO
 * would wait for a writer for ever, /dev/zero never ends.  Only a
 * regular file (or, for the CAs, a directory) is handed to it.  One
 * that is not there is said here: OpenSSL 3 has no words for it. */
static int
not_a_file(const char *path, int dir_ok, const char *what, struct cs_err *err)
{
	struct stat st;

	if (stat(path, &st) != 0) /* OpenSSL 3 would say "unknown TLS error" */
		return cs_err_set(err, CS_E_TLS, "cannot load %s '%s': %s",
		    what, path, strerror(errno));
	if (S_ISREG(st.st_mode) || (dir_ok && S_ISDIR(st.st_mode)))
		return 0; /* OpenSSL says why it cannot read it */
	return cs_err_set(err, CS_E_TLS,
	    "cannot load %s '%s': not a regular file", what, path);
}

/*
 * OpenSSL reads PEM only, and of a DER file (what a Windows CA often
 * hands out as .cer or .der) says "no start line", "unsupported" or "no
 * certificate or crl found"; of a PEM file holding only a key where a
 * certificate belongs, or the reverse, much the same.  So the file's
 * first MiB is looked at: an empty file, or no PEM block at all, with
 * how to convert it; no block of the kind wanted (tag: "CERTIFICATE",
 * "PRIVATE KEY") is "no WHAT in it"; otherwise OpenSSL's reason stands.
 */
static const char *
pem_reason(const char *path, const char *why, const char *what, const char *tag,
    const char *conv)
{
	static _Thread_local char text[192];
	char block[32];
	size_t cap = 1024 * 1024;
	uint8_t *b = cs_malloc(cap);
	ssize_t n = -1, r = 0;
	int fd;

	if (b != NULL &&
	    (fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)) >= 0) {
		/* to its end or 1 MiB; short reads and signals retried */
		for (n = 0; (size_t)n < cap; n += r) {
			r = read(fd, b + n, cap - (size_t)n);
			if (r < 0 && errno == EINTR)
				r = 0;
			else if (r <= 0)
				break;
		}
		if (r < 0 && n == 0)
			n = -1;
		close(fd);
	}
	snprintf(block, sizeof(block), "%s-----", tag);
	if (n == 0)
		snprintf(text, sizeof(text), "the file is empty");
	else if (n > 0 && memmem(b, (size_t)n, "-----BEGIN ", 11) == NULL)
		snprintf(text, sizeof(text),
		    "not a PEM file (DER? convert it: %s -inform der -in FILE -out FILE.pem)",
		    conv);
	else if (n >= 0 && memmem(b, (size_t)n, block, strlen(block)) == NULL)
		snprintf(text, sizeof(text), "no %s in it", what);
	else
		snprintf(text, sizeof(text), "%s", why);
	cs_free(b);
	return text;
}

static int
load_trust(SSL_CTX *ssl, const char *ca, struct cs_err *err)
{
	struct stat st;
	char why[128];
	int ok;

	if (ca == NULL)
		ok = SSL_CTX_set_default_verify_paths(ssl);
	else if (stat(ca, &st) != 0)
		return cs_err_set(err, CS_E_TLS,
		    "cannot load the trusted certificates '%s': %s", ca,
		    strerror(errno));
	else if (not_a_file(ca, 1, "the trusted certificates", err) != 0)
		return CS_E_TLS;
	else if (S_ISDIR(st.st_mode))
		ok = SSL_CTX_load_verify_dir(ssl, ca);
	else
		ok = SSL_CTX_load_verify_file(ssl, ca);
	if (!ok)
		return cs_err_set(err, CS_E_TLS,
		    "cannot load the trusted certificates '%s': %s",
		    ca ? ca : "(system store)",
		    ca != NULL && S_ISREG(st.st_mode)
			? pem_reason(ca, ossl_reason(why, sizeof(why)),
			      "certificate", "CERTIFICATE", "openssl x509")
			: ossl_reason(why, sizeof(why)));
	if (ca != NULL && !S_ISDIR(st.st_mode)) {
		STACK_OF(X509_NAME) *names = SSL_load_client_CA_file(ca);

		if (names != NULL)
			SSL_CTX_set_client_CA_list(ssl, names);
	}
	return 0;
}

/*
 * OpenSSL's pass phrase callback for an encrypted key: none is given,
 * and the asking is noted.  Without it OpenSSL prompts on the terminal
 * or reads standard input (dcmsend's list of files under '-'), and a
 * receiver reloading on SIGHUP would wait there.
 */
static int
no_pass_phrase(char *buf, int size, int rwflag, void *asked)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	if (asked != NULL)
		*(int *)asked = 1;
	return -1;
}

static int
load_identity(
    SSL_CTX *ssl, const char *cert, const char *key, struct cs_err *err)
{
	const char *kf = key ? key : cert;
	char why[128];
	int asked = 0;

	if (cert == NULL)
		return 0;
	if (not_a_file(cert, 0, "the certificate", err) != 0 ||
	    not_a_file(kf, 0, "the private key", err) != 0)
		return CS_E_TLS;
	SSL_CTX_set_default_passwd_cb(ssl, no_pass_phrase);
	SSL_CTX_set_default_passwd_cb_userdata(ssl, &asked);
	if (SSL_CTX_use_certificate_chain_file(ssl, cert) != 1) {
		SSL_CTX_set_default_passwd_cb_userdata(ssl, NULL);
		return cs_err_set(err, CS_E_TLS,
		    "cannot load the certificate '%s': %s", cert,
		    pem_reason(cert, ossl_reason(why, sizeof(why)),
			"certificate", "CERTIFICATE", "openssl x509"));
	}
	if (SSL_CTX_use_PrivateKey_file(ssl, kf, SSL_FILETYPE_PEM) != 1) {
		SSL_CTX_set_default_passwd_cb_userdata(ssl, NULL);
		ossl_reason(why, sizeof(why));
		if (asked)
			return cs_err_set(err, CS_E_TLS,
			    "cannot load the private key '%s': it is encrypted, and no pass phrase is read (decrypt it: openssl pkey -in KEY -out PLAIN)",
			    kf);
		if (strstr(why, "key values mismatch") != NULL)
			return cs_err_set(err, CS_E_TLS,
			    "the private key '%s' does not match the certificate '%s'",
			    kf, cert);
		return cs_err_set(err, CS_E_TLS,
		    "cannot load the private key '%s': %s", kf,
		    pem_reason(
			kf, why, "private key", "PRIVATE KEY", "openssl pkey"));
	}
	SSL_CTX_set_default_passwd_cb_userdata(ssl, NULL);
	if (SSL_CTX_check_private_key(ssl) != 1)
		return cs_err_set(err, CS_E_TLS,
		    "the private key '%s' does not match the certificate '%s'",
		    kf, cert);
	return 0;
}

static int
set_profile(SSL_CTX *ssl, enum cstore_tls_profile p, struct cs_err *err)
{
	const char *list = p == CSTORE_TLS_BCP195 ? ciphers_bcp195
	    : p == CSTORE_TLS_BCP195_EXTENDED     ? ciphers_ext
						  : ciphers_nd;

	/* B.9-B.11 all start at TLS 1.2 here: OpenSSL 3's default
	 * security level refuses 1.0 and 1.1 anyway */
	if (!SSL_CTX_set_min_proto_version(ssl, TLS1_2_VERSION) ||
	    !SSL_CTX_set_cipher_list(ssl, list) ||
	    !SSL_CTX_set_ciphersuites(ssl, suites13))
		return cs_err_set(err, CS_E_TLS, "cannot set the TLS profile");
	return 0;
}

static const unsigned char sid_ctx[] = "cstore dcmrecv";

/*
 * OpenSSL's new-session callback (client): keeps a copy of the newest
 * session.  A copy: the connection's own is marked not resumable when
 * it ends without a clean TLS shutdown, which DICOM's A-RELEASE makes
 * the rule (DCMTK closes after it).
 */
static int
keep_session(SSL *ssl, SSL_SESSION *sess)
{
	struct tls_ctx *c = SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl));
	const struct tls_conn *tc = SSL_get_app_data(ssl);
	SSL_SESSION *copy;

	if (tc == NULL || (copy = SSL_SESSION_dup(sess)) == NULL)
		return 0;
	pthread_mutex_lock(&c->lock);
	SSL_SESSION_free(c->resume);
	c->resume = copy;
	snprintf(c->resume_name, sizeof(c->resume_name), "%s", tc->peer_name);
	pthread_mutex_unlock(&c->lock);
	return 0; /* sess stays OpenSSL's */
}

/* Client: offers the kept session, if it can still be resumed and came
 * from a server checked against the same name. */
static void
offer_session(struct tls_ctx *c, SSL *ssl, const char *name)
{
	pthread_mutex_lock(&c->lock);
	if (c->resume != NULL && SSL_SESSION_is_resumable(c->resume) &&
	    strcmp(c->resume_name, name) == 0)
		(void)SSL_set_session(ssl, c->resume);
	pthread_mutex_unlock(&c->lock);
}

/* A distinguished name as RFC 2253 text into buf ("" if none). */
static void
dn_text(const X509_NAME *dn, char *buf, size_t len)
{
	BIO *b = BIO_new(BIO_s_mem());
	int n = 0;

	buf[0] = '\0';
	if (b == NULL || dn == NULL) {
		BIO_free(b);
		return;
	}
	X509_NAME_print_ex(b, dn, 0, XN_FLAG_RFC2253);
	n = BIO_read(b, buf, (int)len - 1);
	buf[n > 0 ? n : 0] = '\0';
	BIO_free(b);
}

/*
 * OpenSSL's verify callback: notes the first certificate that failed
 * and its issuer, so that the one line can name the CA nobody trusts
 * (or the intermediate the peer did not send) and a CA of the chain
 * that expired.  It decides nothing: ok is passed on.
 */
static int
note_verify(int ok, X509_STORE_CTX *x)
{
	SSL *ssl =
	    X509_STORE_CTX_get_ex_data(x, SSL_get_ex_data_X509_STORE_CTX_idx());
	struct tls_conn *tc = ssl != NULL ? SSL_get_app_data(ssl) : NULL;
	X509 *cert = X509_STORE_CTX_get_current_cert(x);

	if (!ok && tc != NULL && tc->bad_depth < 0 && cert != NULL) {
		tc->bad_depth = X509_STORE_CTX_get_error_depth(x);
		dn_text(X509_get_subject_name(cert), tc->bad_subject,
		    sizeof(tc->bad_subject));
		dn_text(X509_get_issuer_name(cert), tc->bad_issuer,
		    sizeof(tc->bad_issuer));
	}
	return ok;
}

/*
 * OpenSSL's client certificate callback, called when the server asks for
 * a certificate and we have none it can take: noted (1: none given, 2:
 * ours does not suit it, e.g. no signature algorithm in common), so that
 * a TLS 1.2 server's bare 'handshake failure' alert (it says no more)
 * reads as the certificate it is, not as ciphers or protocols in
 * disagreement.
 */
static int
note_cert_request(SSL *ssl, X509 **x509, EVP_PKEY **pkey)
{
	struct tls_conn *tc = SSL_get_app_data(ssl);

	(void)x509;
	(void)pkey;
	if (tc != NULL)
		tc->cert_asked = SSL_get_certificate(ssl) != NULL ? 2 : 1;
	return 0;
}

struct tls_ctx *
tls_ctx_new(const struct cstore_tls *cfg, int server, struct cs_err *err)
{
	struct tls_ctx *c = cs_calloc(1, sizeof(*c));

	if (c == NULL) {
		cs_err_set(err, CS_E_NOMEM, "out of memory");
		return NULL;
	}
	atomic_init(&c->refs, 1);
	pthread_mutex_init(&c->lock, NULL);
	c->server = server;
	c->insecure = cfg->insecure && !server;
	c->ssl =
	    SSL_CTX_new(server ? TLS_server_method() : TLS_client_method());
	if (c->ssl == NULL) {
		cs_err_set(err, CS_E_NOMEM, "cannot make a TLS context");
		goto fail;
	}
	/* no partial writes: SSL_write takes all it is given (a few
	 * records at once) or is retried with the same bytes, which
	 * transport_sendfile reads again from the file into another
	 * buffer */
	SSL_CTX_set_mode(c->ssl, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	/* DICOM streams are long: no renegotiation, no compression */
	/* DICOM ends associations with its own A-RELEASE, so a peer that
	 * closes without close_notify (DCMTK, after the release) is a
	 * plain end, not an attack on truncation */
	SSL_CTX_set_options(c->ssl,
	    SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION |
		SSL_OP_IGNORE_UNEXPECTED_EOF |
		(server ? SSL_OP_CIPHER_SERVER_PREFERENCE : 0));
	if (!server) {
		/* sessions to resume kept here (keep_session), not in
		 * OpenSSL's cache */
		SSL_CTX_set_app_data(c->ssl, c);
		SSL_CTX_set_session_cache_mode(c->ssl,
		    SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
		SSL_CTX_sess_set_new_cb(c->ssl, keep_session);
		SSL_CTX_set_client_cert_cb(c->ssl, note_cert_request);
	}
	if (set_profile(c->ssl, cfg->profile, err) != 0 ||
	    load_identity(c->ssl, cfg->cert, cfg->key, err) != 0)
		goto fail;
	if (server && cfg->cert == NULL) {
		cs_err_set(
		    err, CS_E_INVAL, "a TLS receiver needs a certificate");
		goto fail;
	}
	/* a receiver trusts only the CAs it is given: the system's store
	 * holds every public CA, whose certificates anyone can get */
	if (server && cfg->ca == NULL && !cfg->optional_client_cert) {
		cs_err_set(err, CS_E_INVAL,
		    "a TLS receiver that requires client certificates needs the CAs that sign them (--tls-ca)");
		goto fail;
	}
	if (!c->insecure && !(server && cfg->ca == NULL) &&
	    load_trust(c->ssl, cfg->ca, err) != 0)
		goto fail;
	/* a client's session may be resumed only by the receiver that
	 * checked its certificate: OpenSSL wants a name for that */
	if (server &&
	    !SSL_CTX_set_session_id_context(
		c->ssl, sid_ctx, sizeof(sid_ctx) - 1)) {
		cs_err_set(err, CS_E_NOMEM, "cannot make a TLS context");
		goto fail;
	}
	if (server && cfg->ca == NULL) /* optional, and nothing to check
					* one against: none is asked for */
		SSL_CTX_set_verify(c->ssl, SSL_VERIFY_NONE, NULL);
	else if (server)
		SSL_CTX_set_verify(c->ssl,
		    SSL_VERIFY_PEER |
			(cfg->optional_client_cert
				? 0
				: SSL_VERIFY_FAIL_IF_NO_PEER_CERT),
		    note_verify);
	else
		SSL_CTX_set_verify(c->ssl,
		    c->insecure ? SSL_VERIFY_NONE : SSL_VERIFY_PEER,
		    note_verify);
	return c;
fail:
	tls_ctx_free(c);
	return NULL;
}

struct tls_ctx *
tls_ctx_ref(struct tls_ctx *c)
{
	atomic_fetch_add(&c->refs, 1);
	return c;
}

void
tls_ctx_free(struct tls_ctx *c)
{
	if (c == NULL || atomic_fetch_sub(&c->refs, 1) > 1)
		return;
	SSL_SESSION_free(c->resume);
	SSL_CTX_free(c->ssl);
	pthread_mutex_destroy(&c->lock);
	cs_free(c);
}

/* "certificate has expired", "unable to get local issuer certificate"...
 * as a DICOM user reads them. */
static const char *
verify_text(long v)
{
	switch (v) {
	case X509_V_ERR_CERT_HAS_EXPIRED:
		return "certificate has expired";
	case X509_V_ERR_CERT_NOT_YET_VALID:
		return "certificate is not yet valid";
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
	case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
	case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
		return "certificate signed by an unknown CA";
	case X509_V_ERR_HOSTNAME_MISMATCH:
	case X509_V_ERR_IP_ADDRESS_MISMATCH:
		return "certificate does not match the name";
	default:
		return X509_verify_cert_error_string(v);
	}
}

static void
note_peer(struct tls_conn *tc)
{
	X509 *peer = SSL_get0_peer_certificate(tc->ssl);

	tc->subject[0] = '\0';
	if (peer != NULL)
		dn_text(X509_get_subject_name(peer), tc->subject,
		    sizeof(tc->subject));
	snprintf(tc->summary, sizeof(tc->summary), "%s %s%s",
	    SSL_get_version(tc->ssl), SSL_get_cipher_name(tc->ssl),
	    SSL_session_reused(tc->ssl) ? ", session resumed" : "");
}

/*
 * What the certificate note_verify kept adds to verify_text: the CA
 * nobody here trusts (the root, or the intermediate the peer did not
 * send), the self-signed certificate, the CA of the chain that is out
 * of date or not for this use.  "" when nothing was kept.
 */
static const char *
verify_detail(const struct tls_conn *tc, long v, char *buf, size_t len)
{
	buf[0] = '\0';
	if (tc->bad_depth < 0)
		return buf;
	switch (v) {
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
		snprintf(buf, len, " '%s'", tc->bad_issuer);
		break;
	case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
		snprintf(
		    buf, len, " (it is self-signed: '%s')", tc->bad_subject);
		break;
	case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
		snprintf(buf, len, " '%s'", tc->bad_subject);
		break;
	case X509_V_ERR_CERT_HAS_EXPIRED:
	case X509_V_ERR_CERT_NOT_YET_VALID:
	case X509_V_ERR_INVALID_PURPOSE:
		if (tc->bad_depth > 0)
			snprintf(buf, len, " (the CA certificate '%s')",
			    tc->bad_subject);
		break;
	default:
		break;
	}
	return buf;
}

/* Whether WHY (of ossl_reason) is the peer's alert a server sends when
 * it wanted a client certificate it did not get or could not take. */
static int
cert_alert(const char *why)
{
	static const char *const alerts[] = {
		"the peer's alert 'handshake failure'",
		"the peer's alert 'bad certificate'",
		"the peer's alert 'certificate unknown'",
		"the peer's alert 'access denied'"
	};
	size_t i;

	for (i = 0; i < sizeof(alerts) / sizeof(alerts[0]); i++)
		if (strcmp(why, alerts[i]) == 0)
			return 1;
	return 0;
}

/* The one line saying why a handshake failed. */
static int
handshake_failed(struct transport *t, struct tls_ctx *c, int sslerr,
    const char *name, struct cs_err *err)
{
	struct tls_conn *tc = t->tls;
	/* --tls-insecure: the result is OpenSSL's, not a refusal of ours */
	long v = SSL_get_verify_mode(tc->ssl) == SSL_VERIFY_NONE
	    ? X509_V_OK
	    : SSL_get_verify_result(tc->ssl);
	const char *who = c->server ? "client" : "server";
	/* the name or the address it was checked against */
	int named = (v == X509_V_ERR_HOSTNAME_MISMATCH ||
			v == X509_V_ERR_IP_ADDRESS_MISMATCH) &&
	    name != NULL;
	char why[160], more[300];

	ossl_reason(why, sizeof(why));
	if (v == X509_V_ERR_INVALID_PURPOSE)
		return cs_err_set(err, CS_E_TLS,
		    "TLS: the %s's certificate was refused: it is not for a TLS %s (its key usage or extended key usage)%s",
		    who, who, verify_detail(tc, v, more, sizeof(more)));
	if (v != X509_V_OK)
		return cs_err_set(err, CS_E_TLS,
		    "TLS: the %s's certificate was refused: %s%s%s%s%s", who,
		    verify_text(v), named ? " '" : "", named ? name : "",
		    named ? "'" : "", verify_detail(tc, v, more, sizeof(more)));
	if (c->server && strstr(why, "did not return a certificate"))
		return cs_err_set(err, CS_E_TLS,
		    "TLS: the client sent no certificate (one is required)");
	if (c->server &&
	    (strstr(why, "wrong version") || strstr(why, "http request") ||
		strstr(why, "packet length")))
		return cs_err_set(err, CS_E_TLS,
		    "TLS handshake with the client failed: %s (a client without TLS?)",
		    why);
	if (!c->server && tc->cert_asked && cert_alert(why))
		return cs_err_set(err, CS_E_TLS,
		    "TLS handshake with the server failed: %s (it asked for our certificate, %s)",
		    why,
		    tc->cert_asked == 1
			? "and none was given: --tls-cert"
			: "and ours does not suit it: no signature algorithm or key type in common?");
	if (why[0] != '\0')
		return cs_err_set(err, CS_E_TLS,
		    "TLS handshake with the %s failed: %s", who, why);
	if (sslerr == SSL_ERROR_SYSCALL || sslerr == SSL_ERROR_ZERO_RETURN)
		return cs_err_set(err, CS_E_TLS,
		    "TLS handshake failed: the %s closed the connection (does it speak TLS?)",
		    who);
	return cs_err_set(
	    err, CS_E_TLS, "TLS handshake with the %s failed", who);
}

/*
 * The socket under a buffer each way (TLS_READ_CHUNK, TLS_WRITE_BUF):
 * one recv takes what the socket holds and OpenSSL takes each record's
 * header and body from memory; the records of one send leave in one
 * write (tls_io_send flushes).
 */
static int
use_buffers(SSL *ssl)
{
	BIO *sock = SSL_get_rbio(ssl);
	BIO *rb = BIO_new(BIO_f_buffer());
	BIO *wb = BIO_new(BIO_f_buffer());

	if (rb == NULL || wb == NULL ||
	    BIO_set_read_buffer_size(rb, TLS_READ_CHUNK) != 1 ||
	    BIO_set_write_buffer_size(wb, TLS_WRITE_BUF) != 1 ||
	    !BIO_up_ref(sock)) {
		BIO_free(rb);
		BIO_free(wb);
		return 0;
	}
	if (!BIO_up_ref(sock)) {
		BIO_free(sock);
		BIO_free(rb);
		BIO_free(wb);
		return 0;
	}
	/* SSL_set_fd's two references to sock are dropped by the set0
	 * calls; each chain holds one of the two taken here */
	BIO_push(rb, sock);
	BIO_push(wb, sock);
	SSL_set0_rbio(ssl, rb);
	SSL_set0_wbio(ssl, wb);
	return 1;
}

/* Client: check the certificate against name (a DNS name or an
 * address) unless insecure, and send a DNS name as SNI even then: a
 * balancer may route TLS by it, a server pick its certificate. */
static int
set_peer_name(SSL *ssl, const char *name, int insecure)
{
	X509_VERIFY_PARAM *vp = SSL_get0_param(ssl);

	if (name == NULL || name[0] == '\0')
		return 1;
	if (X509_VERIFY_PARAM_set1_ip_asc(vp, name) == 1)
		return 1;
	return (insecure || SSL_set1_host(ssl, name) == 1) &&
	    SSL_set_tlsext_host_name(ssl, name) == 1;
}

/*
 * After a failed handshake the receiver's alert is written; closing
 * with the client's bytes unread (its A-ASSOCIATE-RQ) would send a
 * reset, and the reset would make the client's kernel drop the alert.
 * So: shut our side and read until the client closes, 2 s at most.
 */
static void
drain(int fd, int timeout_ms)
{
	uint64_t limit = net_now_ms() +
	    (uint64_t)(timeout_ms > 0 && timeout_ms < 2000 ? timeout_ms : 2000);
	uint8_t junk[4096];

	shutdown(fd, SHUT_WR);
	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		uint64_t now = net_now_ms();
		ssize_t r;

		if (now >= limit || poll(&pfd, 1, (int)(limit - now)) <= 0)
			return;
		r = recv(fd, junk, sizeof(junk), 0);
		if (r == 0 || (r < 0 && errno != EINTR && errno != EAGAIN))
			return;
	}
}

int
tls_handshake(struct transport *t, struct tls_ctx *c, const char *name,
    int timeout_ms, struct cs_err *err)
{
	uint64_t limit =
	    net_now_ms() + (uint64_t)(timeout_ms > 0 ? timeout_ms : 0);
	struct tls_conn *tc = cs_calloc(1, sizeof(*tc));

	if (tc == NULL)
		return cs_err_set(err, CS_E_NOMEM, "out of memory");
	t->tls = tc;
	tc->ssl = SSL_new(c->ssl);
	if (tc->ssl == NULL || SSL_set_fd(tc->ssl, t->fd) != 1 ||
	    !use_buffers(tc->ssl) ||
	    (!c->server && !set_peer_name(tc->ssl, name, c->insecure))) {
		transport_release(t);
		return cs_err_set(err, CS_E_NOMEM, "cannot start TLS");
	}
	tc->bad_depth = -1;
	SSL_set_app_data(tc->ssl, tc);
	if (!c->server) {
		snprintf(tc->peer_name, sizeof(tc->peer_name), "%s",
		    name != NULL ? name : "");
		offer_session(c, tc->ssl, tc->peer_name);
	}
	ERR_clear_error();
	for (;;) {
		int r = c->server ? SSL_accept(tc->ssl) : SSL_connect(tc->ssl);
		int e = r == 1 ? SSL_ERROR_NONE : SSL_get_error(tc->ssl, r);
		struct pollfd pfd = { .fd = t->fd };
		uint64_t now;
		int rc;

		if (r == 1)
			break;
		if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) {
			rc = handshake_failed(t, c, e, name, err);
			transport_release(t);
			if (c->server)
				drain(t->fd, timeout_ms);
			return rc;
		}
		pfd.events = e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT;
		now = net_now_ms();
		if (timeout_ms > 0 && now >= limit) {
			transport_release(t);
			return cs_err_set(err, CS_E_TIMEOUT,
			    "TLS handshake: no answer from the %s within %d ms",
			    c->server ? "client" : "server", timeout_ms);
		}
		if (poll(&pfd, 1, timeout_ms > 0 ? (int)(limit - now) : -1) <
			0 &&
		    errno != EINTR) {
			transport_release(t);
			return cs_err_set(
			    err, CS_E_NET, "poll: %s", strerror(errno));
		}
	}
	note_peer(tc);
	tc->undrained = 1;
	return 0;
}

/* Maps an SSL_ERROR_* to the errno contract of transport.h. */
static ssize_t
io_failed(struct transport *t, int r)
{
	struct tls_conn *tc = t->tls;
	int e = SSL_get_error(tc->ssl, r);

	switch (e) {
	case SSL_ERROR_WANT_READ:
		t->tls_wants = POLLIN;
		errno = EAGAIN;
		return -1;
	case SSL_ERROR_WANT_WRITE:
		t->tls_wants = POLLOUT;
		errno = EAGAIN;
		return -1;
	case SSL_ERROR_ZERO_RETURN:
		return 0;
	case SSL_ERROR_SYSCALL:
		ERR_clear_error();
		if (errno == 0)
			errno = ECONNRESET; /* EOF without close_notify */
		return -1;
	default:
		ossl_reason(tc->error, sizeof(tc->error));
		errno = EPROTO;
		return -1;
	}
}

ssize_t
tls_io_flush(struct transport *t)
{
	BIO *w = SSL_get_wbio(t->tls->ssl);

	/* once the buffer is written, the socket's room is no longer
	 * awaited (a POLLOUT left asked for would wake the pump at once,
	 * over and over, while it waits for the peer) */
	if (BIO_wpending(w) == 0 || (errno = 0, BIO_flush(w) > 0)) {
		if (t->tls_wants == POLLOUT)
			t->tls_wants = 0;
		return 0;
	}
	if (BIO_should_retry(w)) {
		t->tls_wants = POLLOUT;
		errno = EAGAIN;
	} else if (errno == 0) {
		errno = ECONNRESET;
	}
	return -1;
}

size_t
tls_io_unsent(const struct transport *t)
{
	return BIO_wpending(SSL_get_wbio(t->tls->ssl));
}

/*
 * Non-zero when the records of n more bytes would not fit in the write
 * buffer beside what it holds (or a blocked write is retried).
 * TLS_RECORD_OVERHEAD bounds a record's header, tag and content type.
 */
#define TLS_RECORD_OVERHEAD 64u
static int
room_short(const struct transport *t, size_t n)
{
	size_t held = tls_io_unsent(t);
	size_t need = n + (n / 16384u + 1u) * TLS_RECORD_OVERHEAD;

	return held > 0 &&
	    (t->tls->wpend > 0 || n > TLS_WRITE_BUF ||
		held + need > TLS_WRITE_BUF);
}

ssize_t
tls_io_send(struct transport *t, const void *buf, size_t n, int more)
{
	struct tls_conn *tc = t->tls;
	int r;

	t->tls_wants = 0;
	/* what an earlier send left in the buffer (a PDV header sent with
	 * more) leaves with these records in one write, unless they would
	 * not fit beside it: then it goes first */
	if (room_short(t, n) && tls_io_flush(t) < 0)
		return -1;
	/* a write that would block is retried with the same length */
	if (tc->wpend > 0 && n > tc->wpend)
		n = tc->wpend;
	if (n > INT32_MAX)
		n = INT32_MAX;
	ERR_clear_error();
	r = SSL_write(tc->ssl, buf, (int)n);
	if (r > 0) {
		tc->wpend = 0;
		/* taken: if the socket is full, the next send or the pump's
		 * transport_flush writes the rest */
		if (!more)
			(void)tls_io_flush(t);
		t->tls_wants = 0;
		return r;
	}
	tc->wpend = n;
	return io_failed(t, r);
}

/*
 * The buffer file bytes are read into, starting half a page into a page.
 * SSL_write copies them into OpenSSL's record buffer, a heap block that
 * often starts just past a page boundary; a malloc'd chunk this large
 * starts 16 bytes past one.  Loads that trail the copy's stores by a
 * few bytes modulo 4 KiB wait on them (4K aliasing): with small files
 * the sender spent ~20% more CPU in that one memcpy.
 */
static uint8_t *
file_buffer(struct tls_conn *tc)
{
	uintptr_t at;

	if (tc->fbuf == NULL &&
	    (tc->fmem = cs_malloc(TLS_FILE_CHUNK + 4096)) != NULL) {
		at = (uintptr_t)tc->fmem;
		tc->fbuf = tc->fmem + ((2048 - (at & 4095)) & 4095);
	}
	return tc->fbuf;
}

/*
 * One copy in, one encryption pass.  A blocked SSL_write is retried
 * with the same bytes read again (the pump asks for the same offset and
 * length; SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER allows it).
 */
ssize_t
tls_io_send_file(struct transport *t, int fd, off_t *off, size_t n)
{
	struct tls_conn *tc = t->tls;
	ssize_t r, w;

	if (file_buffer(tc) == NULL) {
		errno = ENOMEM;
		return -1;
	}
	if (n > TLS_FILE_CHUNK)
		n = TLS_FILE_CHUNK;
	do
		r = pread(fd, tc->fbuf, n, *off);
	while (r < 0 && errno == EINTR);
	if (r <= 0)
		return r;
	w = tls_io_send(t, tc->fbuf, (size_t)r, 0);
	if (w > 0)
		*off += w;
	return w;
}

/* Reads records until buf is full or the socket has no more: the pump
 * polls the socket, and a record already decrypted would not wake it. */
ssize_t
tls_io_recv(struct transport *t, void *buf, size_t n)
{
	struct tls_conn *tc = t->tls;
	size_t got = 0;

	t->tls_wants = 0;
	tc->undrained = 0;
	while (got < n) {
		size_t want = n - got > INT32_MAX ? INT32_MAX : n - got;
		int r;

		ERR_clear_error();
		r = SSL_read(tc->ssl, (uint8_t *)buf + got, (int)want);
		if (r > 0) {
			got += (size_t)r;
			continue;
		}
		if (got > 0) {
			/* the failure (or the end) comes again next time */
			if (SSL_get_error(tc->ssl, r) == SSL_ERROR_WANT_READ)
				t->tls_wants = POLLIN;
			ERR_clear_error();
			return (ssize_t)got;
		}
		return io_failed(t, r);
	}
	tc->undrained = 1;
	return (ssize_t)got;
}

size_t
tls_io_write_owed(const struct transport *t)
{
	return t->tls->wpend;
}

size_t
tls_io_pending(const struct transport *t)
{
	/* bytes in the read buffer count too (poll would not see them),
	 * unless the last read stopped for want of bytes: then what is
	 * left is part of a record, which waits for the socket */
	SSL *ssl = t->tls->ssl;

	return t->tls->undrained &&
		(SSL_has_pending(ssl) ||
		    BIO_ctrl_pending(SSL_get_rbio(ssl)) > 0)
	    ? 1
	    : 0;
}

void
tls_io_close_notify(struct transport *t)
{
	ERR_clear_error();
	SSL_shutdown(t->tls->ssl);
	ERR_clear_error();
}

void
tls_io_free(struct transport *t)
{
	cs_free(t->tls->fmem);
	SSL_free(t->tls->ssl);
	cs_free(t->tls);
	t->tls = NULL;
}

const char *
transport_peer_subject(const struct transport *t)
{
	return t->tls != NULL ? t->tls->subject : "";
}

const char *
transport_tls_summary(const struct transport *t)
{
	return t->tls != NULL ? t->tls->summary : "";
}

const char *
transport_error(const struct transport *t)
{
	return t->tls != NULL && t->tls->error[0] ? t->tls->error
						  : "TLS failure";
}
