/* stow_http.c - STOW-RS requests over libcurl (see stow_http.h). */
#include <curl/curl.h>
#include <errno.h>
#include <inttypes.h>
#include <openssl/ssl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cstore/cstore.h"
#include "core/uid.h"
#include "dcmfile/infile.h"
#include "net/net.h"
#include "web/stow_http.h"

#include "core/banned.h"

struct stow_http {
	CURL *c;
	struct stow_http_cfg cfg;
	char auth[4200]; /* "Authorization: Bearer …" */
	/* the last socket libcurl asked for and could not have: the
	 * CS_E_* net_socket said and its errno (0: none failed) */
	int sock_code, sock_errno;
	char errbuf[CURL_ERROR_SIZE]; /* libcurl's detail of a failure */
	int loopback;                 /* the URL's host is loopback: no proxy */
	/* the URL is a study's, .../studies/{UID} (PS3.18 10.5): requests
	 * go to it as it is; a query to its first base_len bytes */
	int study;
	size_t base_len;
	/* this request's TLS handshake (tls_watch): the server asked for
	 * a client certificate */
	int cert_asked;
};

/* Where the body being sent is: part k, its header, file or tail. */
struct body {
	const struct stow_part *parts;
	const struct stow_http_cfg *cfg;
	size_t n, k;
	/* 0 header, 5 the part's own head, 1 file, 2 CRLF after it,
	 * 3 closing, 4 end */
	int phase;
	char head[160];
	size_t head_len, head_off;
	uint64_t file_off;
	const char *boundary;
	int io_errno, short_file;
	/* the part's file as its first byte was read: written to before
	 * its last was (written), the request is aborted */
	struct stat was;
	int marked, written;
};

struct sink {
	struct stow_http_rsp *rsp;
	size_t cap;
	int too_big;
};

/* The answer's clock: from the first line of the final answer
 * (answer_line, a CURLOPT_HEADERFUNCTION: interim 1xx ones do not
 * count), the whole answer must be in within timeout_ms
 * (answer_clock, a CURLOPT_XFERINFOFUNCTION).  libcurl's low-speed
 * limit alone fails a service that stops, never one that trickles (a
 * byte a second kept a request open for days; header bytes are not
 * even counted).  Not before: connecting, a TLS handshake, a request
 * body a service reads slowly (its socket buffers draining after
 * libcurl's last write) are bounded by --connect-timeout and by the
 * low-speed limit, and a service that never answers is told so. */
struct clock {
	long timeout_ms;
	uint64_t since; /* 0: not started */
	int late;
	int sent; /* the request body went whole (or there is none) */
};

/* The answer in JSON, PS3.18's default: naming XML beside it makes
 * Orthanc's DICOMweb plugin (1.7) log an error for each request.  A
 * service of PS3.18 before 2015 has only XML and refuses a request for
 * JSON with 406: that request goes again asking for XML, and so do the
 * run's next ones to that service (xml_base: the base URLs that answered
 * so, a few; past them, or longer, a service is asked for JSON first
 * each time: a request more); stow_send reads either. */
#define XML_BASES 8
#define XML_BASE_MAX 512
static pthread_mutex_t xml_mu = PTHREAD_MUTEX_INITIALIZER;
static char xml_base[XML_BASES][XML_BASE_MAX];

/* Whether h's service answered 406 to JSON (learn: it has now). */
static int
wants_xml(const struct stow_http *h, int learn)
{
	size_t k, len = h->base_len;
	int found = 0;

	if (len >= XML_BASE_MAX)
		return 0;
	pthread_mutex_lock(&xml_mu);
	for (k = 0; k < XML_BASES && xml_base[k][0] != '\0' && !found; k++)
		found = strncmp(xml_base[k], h->cfg.url, len) == 0 &&
		    xml_base[k][len] == '\0';
	if (learn && !found && k < XML_BASES)
		snprintf(
		    xml_base[k], XML_BASE_MAX, "%.*s", (int)len, h->cfg.url);
	pthread_mutex_unlock(&xml_mu);
	return found;
}

static const char part_head[] =
    "--%s\r\nContent-Type: application/dicom\r\n\r\n";

static size_t
put(char *out, size_t room, const char *s, size_t len, size_t *off)
{
	size_t k = len - *off < room ? len - *off : room;

	memcpy(out, s + *off, k);
	*off += k;
	return k;
}

/* The next bytes of the multipart body, at most room. */
static size_t
fill_body(struct body *b, char *out, size_t room)
{
	const struct stow_part *p;
	size_t done = 0;
	ssize_t r;

	while (done < room && b->phase != 4) {
		p = &b->parts[b->k];
		if (b->phase == 5) { /* the part's own head, from memory */
			done += put(out + done, room - done, p->head,
			    p->head_len, &b->head_off);
			if (b->head_off == p->head_len) {
				b->phase = 1;
				b->file_off = 0;
				b->head_off = b->head_len;
			}
			continue;
		}
		if (b->head_off == b->head_len && b->phase != 1) {
			if (b->phase == 2 && ++b->k < b->n) {
				b->phase = 0;
			} else if (b->phase == 2) {
				b->phase = 3;
			} else if (b->phase == 3) {
				b->phase = 4;
				break;
			} else if (b->phase == 0 && p->head_len > 0) {
				b->phase = 5;
				b->head_off = 0;
				continue;
			} else {
				b->phase = 1;
				b->file_off = 0;
				continue;
			}
			b->head_len = (size_t)snprintf(b->head, sizeof(b->head),
			    b->phase == 0 ? part_head : "--%s--\r\n",
			    b->boundary);
			b->head_off = 0;
		}
		if (b->phase != 1) {
			done += put(out + done, room - done, b->head,
			    b->head_len, &b->head_off);
			continue;
		}
		if (b->file_off == p->len) {
			/* mixed bytes went: no complete body, nothing stored */
			if (b->marked &&
			    infile_written_since(
				p->fd, p->path, &b->was, NULL)) {
				b->written = 1;
				return CURL_READFUNC_ABORT;
			}
			b->marked = 0;
			b->phase = 2;
			memcpy(b->head, "\r\n", 2);
			b->head_len = 2;
			b->head_off = 0;
			continue;
		}
		if (b->file_off == 0 && !b->marked)
			b->marked = fstat(p->fd, &b->was) == 0;
		r = pread(p->fd, out + done,
		    (size_t)(p->len - b->file_off) < room - done
			? (size_t)(p->len - b->file_off)
			: room - done,
		    (off_t)(p->off + b->file_off));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) { /* an error, or the file shrank */
			b->io_errno = r < 0 ? errno : 0;
			b->short_file = r == 0;
			return CURL_READFUNC_ABORT;
		}
		b->file_off += (uint64_t)r;
		done += (size_t)r;
	}
	return done;
}

/* The body from its first byte: the first part's delimiter next. */
static void
body_start(struct body *b)
{
	b->k = 0;
	b->phase = 0;
	b->head_len =
	    (size_t)snprintf(b->head, sizeof(b->head), part_head, b->boundary);
	b->head_off = 0;
	b->file_off = 0;
	b->io_errno = b->short_file = 0;
	b->marked = b->written = 0;
}

/*
 * curl rewinds the body to send it again: over a new connection when the
 * kept one was closed by the service as the request went (an idle
 * timeout's race), which has answered nothing of it.  Only to its start.
 */
static int
seek_body(void *user, curl_off_t offset, int origin)
{
	if (origin != SEEK_SET || offset != 0)
		return CURL_SEEKFUNC_CANTSEEK;
	body_start(user);
	return CURL_SEEKFUNC_OK;
}

/* curl asks for the next bytes of the multipart body: as many as the
 * --limit-rate bucket allows. */
static size_t
read_body(char *out, size_t size, size_t nmemb, void *user)
{
	struct body *b = user;
	size_t room = size * nmemb, allowed = room, done;

	if (b->cfg->throttle != NULL && b->phase != 4 && room > 0)
		allowed = b->cfg->throttle(b->cfg->rate, room);
	done = fill_body(b, out, allowed);
	if (b->cfg->throttle != NULL && done != CURL_READFUNC_ABORT &&
	    done < allowed && b->cfg->refund != NULL)
		b->cfg->refund(b->cfg->rate, allowed - done);
	return done;
}

static size_t
write_body(char *p, size_t size, size_t nmemb, void *user)
{
	struct sink *s = user;
	size_t len = size * nmemb;
	char *q;

	if (s->rsp->len + len > STOW_HTTP_BODY_MAX) {
		s->too_big = 1;
		return 0;
	}
	if (s->rsp->len + len + 1 > s->cap) {
		size_t cap = s->cap ? s->cap : 4096;

		while (cap < s->rsp->len + len + 1)
			cap *= 2;
		if ((q = realloc(s->rsp->body, cap)) == NULL)
			return 0;
		s->rsp->body = q;
		s->cap = cap;
	}
	memcpy(s->rsp->body + s->rsp->len, p, len);
	s->rsp->len += len;
	s->rsp->body[s->rsp->len] = '\0';
	return len;
}

/* -d: the request's URL or the response's status (no header: one
 * may hold a credential). */
static void
trace(const struct stow_http *h, const char *what, const char *s, long n)
{
	char line[2300];

	if (h->cfg.trace == NULL)
		return;
	if (n != 0)
		snprintf(line, sizeof(line), "%s HTTP %ld %.200s", what, n, s);
	else
		snprintf(line, sizeof(line), "%s %.2200s", what, s);
	h->cfg.trace(h->cfg.user, line);
}

/* url to be said in a message, in out: its user and password, if any,
 * replaced by three stars before the @.  Read as text, as the URL may
 * be one libcurl cannot parse: everything from the authority to the
 * last @ goes (a password may hold / ? or #; a path's @ in a URL that
 * is wrong anyway costs only what the message shows of it). */
static const char *
url_said(const char *url, char *out, size_t len)
{
	const char *rest = strstr(url, "://"), *at = strrchr(url, '@');

	if (rest == NULL || at == NULL || at < rest)
		snprintf(out, len, "%.1024s", url);
	else
		snprintf(
		    out, len, "%.*s***%.1024s", (int)(rest + 3 - url), url, at);
	return out;
}

/* url parsed by libcurl, or NULL with err. */
static CURLU *
parse_url(const char *url, struct cs_err *err)
{
	CURLU *u = curl_url();
	CURLUcode uc;
	char said[1100];

	if (u == NULL) {
		cs_err_set(err, CS_E_NOMEM, "out of memory");
		return NULL;
	}
	if ((uc = curl_url_set(u, CURLUPART_URL, url, 0)) != CURLUE_OK) {
		curl_url_cleanup(u);
		cs_err_set(err, CS_E_INVAL, "URL '%s': %s",
		    url_said(url, said, sizeof(said)), curl_url_strerror(uc));
		return NULL;
	}
	return u;
}

/* Whether part of u is there (an empty one counts). */
static int
has_part(CURLU *u, CURLUPart part)
{
	char *v = NULL;
	int has = curl_url_get(u, part, &v, 0) == CURLUE_OK;

	curl_free(v);
	return has;
}

/* Whether u's path ends in /studies (a slash after it or not): the
 * STOW-RS resource itself, where its base was meant (a request would
 * go to .../studies/studies, a study whose UID is "studies"). */
static int
ends_in_studies(CURLU *u)
{
	char *path = NULL;
	size_t n;
	int yes = 0;

	if (curl_url_get(u, CURLUPART_PATH, &path, 0) == CURLUE_OK) {
		n = strlen(path);
		while (n > 0 && path[n - 1] == '/')
			n--;
		yes = n >= 8 && memcmp(path + n - 8, "/studies", 8) == 0;
	}
	curl_free(path);
	return yes;
}

/* The length of url's "/studies/{UID}" end (a valid UID: a study's
 * resource, PS3.18 10.5), or 0. */
static size_t
study_len(const char *url)
{
	struct cs_err err = { 0, "" };
	CURLU *u = parse_url(url, &err);
	char *path = NULL, *s;
	size_t n = strlen(url), k = 0;

	if (u != NULL &&
	    curl_url_get(u, CURLUPART_PATH, &path, 0) == CURLUE_OK &&
	    (s = strrchr(path, '/')) != NULL && uid_is_valid(s + 1) &&
	    s - path >= 8 && memcmp(s - 8, "/studies", 8) == 0) {
		k = strlen(s - 8);
		/* the URL as given ends so (libcurl may have tidied it) */
		if (k > n || strcmp(url + n - k, s - 8) != 0)
			k = 0;
	}
	curl_free(path);
	curl_url_cleanup(u);
	return k;
}

int
stow_http_url_check(const char *url, struct cs_err *err)
{
	const char *rest = strstr(url, "://");
	char said[1100];
	CURLU *u;
	int rc = 0;

	/* libcurl would take http:///x as the host x.  The URL is said
	 * as it is once libcurl found no user in it */
	if (rest == NULL || rest[3] == '/')
		return cs_err_set(err, CS_E_INVAL,
		    "URL '%s': no host part (scheme://host[:port]/path)",
		    url_said(url, said, sizeof(said)));
	if ((u = parse_url(url, err)) == NULL)
		return err->code;
	if (has_part(u, CURLUPART_USER) || has_part(u, CURLUPART_PASSWORD) ||
	    has_part(u, CURLUPART_OPTIONS))
		rc = cs_err_set(err, CS_E_INVAL,
		    "URL: no user or password in it (every local user sees "
		    "the command line); use --netrc or --bearer-file");
	else if (has_part(u, CURLUPART_QUERY) ||
	    has_part(u, CURLUPART_FRAGMENT) || strpbrk(url, "?#") != NULL)
		rc = cs_err_set(err, CS_E_INVAL,
		    "URL '%.1024s': the service's base URL, without a query "
		    "or fragment",
		    url);
	else if (ends_in_studies(u))
		rc = cs_err_set(err, CS_E_INVAL,
		    "URL '%.1024s': the service's base URL, without /studies "
		    "(each request goes to URL/studies)",
		    url);
	curl_url_cleanup(u);
	return rc;
}

int
stow_http_url_host(const char *url, char *host, size_t len)
{
	struct cs_err err = { 0, "" };
	CURLU *u = parse_url(url, &err);
	char *h = NULL;
	size_t n;
	int rc = -1;

	if (u != NULL && curl_url_get(u, CURLUPART_HOST, &h, 0) == CURLUE_OK) {
		n = strlen(h);
		if (n >= 2 && h[0] == '[' && h[n - 1] == ']')
			rc = (size_t)snprintf(
				 host, len, "%.*s", (int)(n - 2), h + 1) < len
			    ? 0
			    : -1;
		else
			rc =
			    (size_t)snprintf(host, len, "%s", h) < len ? 0 : -1;
	}
	curl_free(h);
	curl_url_cleanup(u);
	return rc;
}

int
stow_http_url_is_local(const char *url)
{
	char host[256];

	return stow_http_url_host(url, host, sizeof(host)) == 0 &&
	    net_host_is_local(host);
}

struct stow_http *
stow_http_new(const struct stow_http_cfg *cfg, struct cs_err *err)
{
	static int inited;
	struct stow_http *h;

	if (!inited && curl_global_init(CURL_GLOBAL_DEFAULT) != 0) {
		cs_err_set(err, CS_E_NOMEM, "libcurl cannot start");
		return NULL;
	}
	inited = 1;
	if ((h = calloc(1, sizeof(*h))) == NULL ||
	    (h->c = curl_easy_init()) == NULL) {
		free(h);
		cs_err_set(err, CS_E_NOMEM, "out of memory");
		return NULL;
	}
	h->cfg = *cfg;
	h->loopback = stow_http_url_is_local(cfg->url);
	h->base_len = strlen(cfg->url) - study_len(cfg->url);
	h->study = h->base_len < strlen(cfg->url);
	if (cfg->bearer != NULL &&
	    (size_t)snprintf(h->auth, sizeof(h->auth),
		"Authorization: Bearer %s", cfg->bearer) >= sizeof(h->auth)) {
		stow_http_free(h);
		cs_err_set(err, CS_E_INVAL, "the bearer token is too long");
		return NULL;
	}
	return h;
}

void
stow_http_free(struct stow_http *h)
{
	if (h == NULL)
		return;
	curl_easy_cleanup(h->c);
	explicit_bzero(h->auth, sizeof(h->auth));
	free(h);
}

/* The SSL_CTX ex_data index where tls_watch finds its stow_http. */
static int tls_index = -1;
static pthread_once_t tls_once = PTHREAD_ONCE_INIT;

static void
tls_index_new(void)
{
	tls_index = SSL_CTX_get_ex_new_index(0, NULL, NULL, NULL, NULL);
}

/* OpenSSL's info callback: what the handshake showed of the server. */
static void
tls_seen(const SSL *ssl, int where, int ret)
{
	struct stow_http *h;

	(void)ret;
	if (tls_index < 0 ||
	    (h = SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), tls_index)) == NULL)
		return;
	if ((where & SSL_CB_LOOP) && SSL_get_state(ssl) == TLS_ST_CR_CERT_REQ)
		h->cert_asked = 1;
}

/*
 * libcurl's CURLOPT_SSL_CTX_FUNCTION: each connection's handshake
 * watched (tls_seen).  Whether the server asked for a client
 * certificate is known then for sure; its alert refusing ours (or the
 * lack of one) comes after the handshake in TLS 1.3, while the request
 * goes, and a reset may come before it is read: tls_detail.
 */
static CURLcode
tls_watch(CURL *c, void *ctx, void *user)
{
	(void)c;
	pthread_once(&tls_once, tls_index_new);
	if (tls_index >= 0 && SSL_CTX_set_ex_data(ctx, tls_index, user) == 1)
		SSL_CTX_set_info_callback(ctx, tls_seen);
	return CURLE_OK;
}

/*
 * An https:// request's TLS failure said with libcurl's detail (its
 * strerror alone says "Failure when receiving data from the peer"), in
 * out: 1, or 0 when there is none to add.  The server's alert refusing
 * the connection makes *code CS_E_TLS, and so does a connection cut
 * before any answer by a server that asked for a client certificate
 * (h->cert_asked) when we had none to give: TLS 1.3 sends its alert
 * after the handshake, as the request goes, and a reset that came first
 * hides it; either way nothing reached the service, and trying again
 * would not change it.  When we gave one (mutual TLS that works), a cut
 * without an alert is a balancer or a restart: the network's, tried
 * again under --retry/--follow.
 */
static int
tls_detail(
    const struct stow_http *h, CURLcode cc, int *code, char *out, size_t len)
{
	static const char *const refused[] = { "alert certificate required",
		"alert unknown ca", "alert bad certificate",
		"alert certificate unknown", "alert handshake failure",
		"alert access denied", "alert certificate expired",
		"alert certificate revoked", "alert unsupported certificate",
		"alert protocol version", "alert insufficient security" };
	const char *d = h->errbuf, *p, *hint;
	long answered = 0;
	size_t k, n;

	if (strncasecmp(h->cfg.url, "https://", 8) != 0 ||
	    (*code != CS_E_TLS && cc != CURLE_SEND_ERROR &&
		cc != CURLE_RECV_ERROR))
		return 0;
	curl_easy_getinfo(h->c, CURLINFO_RESPONSE_CODE, &answered);
	for (k = 0; k < sizeof(refused) / sizeof(refused[0]); k++)
		if (strstr(d, refused[k]) != NULL)
			break;
	hint = h->cfg.cert == NULL
	    ? "does it require a client certificate "
	      "(--tls-cert, --tls-key)?"
	    : "was our certificate (--tls-cert) refused?";
	if (k == sizeof(refused) / sizeof(refused[0]) && *code != CS_E_TLS &&
	    h->cert_asked && h->cfg.cert == NULL && answered == 0) {
		*code = CS_E_TLS;
		snprintf(out, len,
		    "the server refused the TLS connection (cut after asking "
		    "for a client certificate): %s",
		    hint);
		return 1;
	}
	if (k == sizeof(refused) / sizeof(refused[0])) {
		if (*code != CS_E_TLS || d[0] == '\0')
			return 0;
		snprintf(out, len, "%s (%.300s)", curl_easy_strerror(cc), d);
		return 1;
	}
	/* "OpenSSL SSL_read: ...::tlsv13 alert certificate required,
	 * errno 0": the alert's words */
	if ((p = strstr(d, "::")) != NULL)
		d = p + 2;
	n = (p = strstr(d, ", errno")) != NULL ? (size_t)(p - d) : strlen(d);
	*code = CS_E_TLS;
	/* a handshake failure (TLS 1.2's usual alert) from a server that
	 * asked for no certificate: no version or cipher in common */
	if (!h->cert_asked &&
	    (strcmp(refused[k], "alert handshake failure") == 0 ||
		strcmp(refused[k], "alert protocol version") == 0 ||
		strcmp(refused[k], "alert insufficient security") == 0))
		hint = "no TLS version or cipher in common with it?";
	snprintf(out, len, "the server refused the TLS connection (%.*s): %s",
	    (int)(n < 200 ? n : 200), d, hint);
	return 1;
}

static int
map_curl(struct stow_http *h, CURLcode cc, const char *what, struct cs_err *err)
{
	curl_off_t connected = 0;
	long tunnel = 0;
	char hint[600];
	int code;

	/* an https:// URL through a proxy that would not open the tunnel:
	 * nothing reached the service (libcurl says only that the
	 * connection failed, or "Failure when receiving data") */
	curl_easy_getinfo(h->c, CURLINFO_HTTP_CONNECTCODE, &tunnel);
	if (tunnel != 0 && (tunnel < 200 || tunnel > 299))
		return cs_err_set(err,
		    tunnel == 407 ? CS_E_REJECTED : CS_E_UNREACHABLE,
		    "%s: the proxy (https_proxy, ALL_PROXY) refused the "
		    "tunnel: CONNECT answered HTTP %ld%s",
		    what, tunnel,
		    tunnel == 407 ? " (it requires authentication)" : "");
	switch (cc) {
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
		code = CS_E_NONAME;
		break;
	case CURLE_COULDNT_CONNECT:
		/* no socket for want of descriptors: ours, not the peer's,
		 * as for DIMSE (libcurl does not tell: its CURLINFO_OS_ERRNO
		 * stays 0, hence open_socket) */
		if (h->sock_code == CS_E_RESOURCE)
			return cs_err_set(err, CS_E_RESOURCE,
			    "%s: cannot open a socket: %s", what,
			    strerror(h->sock_errno));
		code = CS_E_UNREACHABLE;
		break;
	case CURLE_OPERATION_TIMEDOUT:
		/* silent after the connection: what was sent is in doubt */
		curl_easy_getinfo(h->c, CURLINFO_CONNECT_TIME_T, &connected);
		code = connected > 0 ? CS_E_NET : CS_E_TIMEOUT;
		break;
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_CERTPROBLEM:
		code = CS_E_TLS;
		break;
	case CURLE_OUT_OF_MEMORY:
		code = CS_E_NOMEM;
		break;
	default:
		code = CS_E_NET;
	}
	if (tls_detail(h, cc, &code, hint, sizeof(hint)))
		return cs_err_set(err, code, "%s: %s", what, hint);
	return cs_err_set(err, code, "%s: %s", what, curl_easy_strerror(cc));
}

/* libcurl's socket(2) (CURLOPT_OPENSOCKETFUNCTION): net_socket's,
 * which tells a local shortage from the rest. */
static curl_socket_t
open_socket(void *ctx, curlsocktype purpose, struct curl_sockaddr *a)
{
	struct stow_http *h = ctx;
	int fd;

	(void)purpose;
	fd = net_socket(a->family, a->socktype, a->protocol, &h->sock_code);
	if (fd < 0) {
		h->sock_errno = errno;
		return CURL_SOCKET_BAD;
	}
	return fd;
}

static int
answer_clock(void *user, curl_off_t dltotal, curl_off_t dlnow,
    curl_off_t ultotal, curl_off_t ulnow)
{
	struct clock *k = user;

	(void)dltotal;
	(void)dlnow;
	k->sent = ulnow >= ultotal;
	if (k->since != 0 && net_now_ms() - k->since > (uint64_t)k->timeout_ms)
		k->late = 1;
	return k->late;
}

static size_t
answer_line(char *line, size_t size, size_t n, void *user)
{
	struct clock *k = user;
	size_t len = size * n;

	/* "HTTP/1.1 200 OK": a final answer's first line; a header line
	 * comes after one, or after a 1xx one, which is no answer */
	if (k->since == 0 && len > 9 && strncmp(line, "HTTP/", 5) == 0) {
		const char *sp = memchr(line, ' ', len);

		if (sp != NULL && sp + 1 < line + len && sp[1] != '1')
			k->since = net_now_ms();
	}
	return len;
}

/* libcurl's low-speed limit (or connect timeout) fired: said as what
 * the service did. */
static int
timed_out(struct stow_http *h, const struct clock *k, struct cs_err *err)
{
	curl_off_t connected = 0;
	long s = (h->cfg.timeout_ms + 999) / 1000;

	curl_easy_getinfo(h->c, CURLINFO_CONNECT_TIME_T, &connected);
	if (connected == 0)
		return map_curl(h, CURLE_OPERATION_TIMEDOUT, h->cfg.url, err);
	/* after the connection: what was sent is in doubt */
	if (k->since != 0)
		return cs_err_set(err, CS_E_NET,
		    "%s: the answer stopped coming (nothing for more than %ld "
		    "s)",
		    h->cfg.url, s);
	if (!k->sent)
		return cs_err_set(err, CS_E_NET,
		    "%s: the service stopped reading the request (nothing "
		    "moved for more than %ld s)",
		    h->cfg.url, s);
	return cs_err_set(err, CS_E_NET,
	    "%s: the service did not answer the request (nothing came for "
	    "more than %ld s)",
	    h->cfg.url, s);
}

/* The options every request has, then perform it. */
static int
perform(struct stow_http *h, size_t len, const char *rel,
    struct curl_slist *hdr, struct stow_http_rsp *rsp, struct cs_err *err)
{
	struct sink s = { rsp, 0, 0 };
	struct clock k = { h->cfg.timeout_ms, 0, 0, 0 };
	curl_off_t after = 0;
	char url[2048], *ct = NULL;
	struct stat st;
	CURLcode cc;
	CURL *c = h->c;

	memset(rsp, 0, sizeof(*rsp));
	if ((size_t)snprintf(url, sizeof(url), "%.*s%s", (int)len, h->cfg.url,
		rel) >= sizeof(url)) {
		curl_slist_free_all(hdr); /* ours, as on every other return */
		return cs_err_set(err, CS_E_INVAL, "the URL is too long");
	}
	if (h->cfg.bearer != NULL) {
		struct curl_slist *t = curl_slist_append(hdr, h->auth);

		if (t == NULL) { /* never sent without its credential */
			curl_slist_free_all(hdr);
			return cs_err_set(err, CS_E_NOMEM, "out of memory");
		}
		hdr = t;
	}
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, write_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &s);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	h->errbuf[0] = '\0';
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, h->errbuf);
	curl_easy_setopt(c, CURLOPT_OPENSOCKETFUNCTION, open_socket);
	curl_easy_setopt(c, CURLOPT_OPENSOCKETDATA, h);
	h->sock_code = h->sock_errno = 0;
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	/* a service on this machine: never through a proxy of the
	 * environment, which would get the files and the credentials and
	 * reach its own loopback, not ours */
	if (h->loopback)
		curl_easy_setopt(c, CURLOPT_PROXY, "");
	curl_easy_setopt(
	    c, CURLOPT_CONNECTTIMEOUT_MS, h->cfg.connect_timeout_ms);
	/* a service that stops moving bytes (either way) for timeout_ms */
	curl_easy_setopt(
	    c, CURLOPT_LOW_SPEED_LIMIT, h->cfg.timeout_ms ? 1L : 0L);
	curl_easy_setopt(
	    c, CURLOPT_LOW_SPEED_TIME, (h->cfg.timeout_ms + 999) / 1000);
	curl_easy_setopt(c, CURLOPT_NOPROGRESS, h->cfg.timeout_ms ? 0L : 1L);
	curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, answer_clock);
	curl_easy_setopt(c, CURLOPT_XFERINFODATA, &k);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, answer_line);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, &k);
	/* a proxy's answer to CONNECT is not the service's */
	curl_easy_setopt(c, CURLOPT_SUPPRESS_CONNECT_HEADERS, 1L);
	/* our header lines (the bearer token) go to the service alone,
	 * never in a CONNECT to a proxy (libcurl's default since 7.42.1,
	 * said here so that no build or version changes it) */
	curl_easy_setopt(c, CURLOPT_HEADEROPT, (long)CURLHEADER_SEPARATE);
	if (h->cfg.ca != NULL && stat(h->cfg.ca, &st) == 0 &&
	    S_ISDIR(st.st_mode)) {
		/* a directory of hashed certificates (openssl rehash),
		 * trusted instead of the system's bundle */
		curl_easy_setopt(c, CURLOPT_CAINFO, NULL);
		curl_easy_setopt(c, CURLOPT_CAPATH, h->cfg.ca);
	} else if (h->cfg.ca != NULL) {
		curl_easy_setopt(c, CURLOPT_CAINFO, h->cfg.ca);
	}
	h->cert_asked = 0;
	curl_easy_setopt(c, CURLOPT_SSL_CTX_FUNCTION, tls_watch);
	curl_easy_setopt(c, CURLOPT_SSL_CTX_DATA, h);
	if (h->cfg.cert != NULL) {
		curl_easy_setopt(c, CURLOPT_SSLCERT, h->cfg.cert);
		curl_easy_setopt(c, CURLOPT_SSLCERTTYPE, "PEM");
		curl_easy_setopt(c, CURLOPT_SSLKEY, h->cfg.key);
		/* an encrypted key fails, never prompts on the terminal
		 * (dcmsend refused one before: tls_args_load) */
		curl_easy_setopt(c, CURLOPT_KEYPASSWD, "");
	}
	if (h->cfg.netrc)
		curl_easy_setopt(c, CURLOPT_NETRC, (long)CURL_NETRC_REQUIRED);
	trace(h, "request", url, 0);
	cc = curl_easy_perform(c);
	curl_slist_free_all(hdr);
	if (cc == CURLE_OK || cc == CURLE_WRITE_ERROR) {
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &rsp->code);
		curl_easy_getinfo(c, CURLINFO_CONTENT_TYPE, &ct);
		snprintf(rsp->type, sizeof(rsp->type), "%s", ct ? ct : "");
		ct = NULL; /* redirects are not followed: named instead */
		curl_easy_getinfo(c, CURLINFO_REDIRECT_URL, &ct);
		snprintf(
		    rsp->location, sizeof(rsp->location), "%s", ct ? ct : "");
		curl_easy_getinfo(c, CURLINFO_RETRY_AFTER, &after);
		if (after > 86400)
			after = 86400;
		rsp->retry_after_s = after > 0 ? (unsigned)after : 0;
		trace(h, "response", rsp->type, rsp->code);
	}
	if (s.too_big)
		return cs_err_set(err, CS_E_TOOBIG,
		    "the response is larger than %u bytes", STOW_HTTP_BODY_MAX);
	if (cc == CURLE_ABORTED_BY_CALLBACK && k.late)
		return cs_err_set(err, CS_E_NET,
		    "%s: the answer did not come whole within %ld s of its "
		    "first line (a service sending it too slowly)",
		    h->cfg.url, (h->cfg.timeout_ms + 999) / 1000);
	if (cc == CURLE_OPERATION_TIMEDOUT)
		return timed_out(h, &k, err);
	if (cc != CURLE_OK)
		return map_curl(h, cc, h->cfg.url, err);
	if (rsp->body == NULL && (rsp->body = calloc(1, 1)) == NULL)
		return cs_err_set(err, CS_E_NOMEM, "out of memory");
	return 0;
}

/* The request's header lines, or NULL (out of memory). */
static struct curl_slist *
post_headers(const char *boundary, int xml)
{
	struct curl_slist *hdr = NULL, *t;
	char hv[160];

	snprintf(hv, sizeof(hv),
	    "Content-Type: multipart/related; type=\"application/dicom\"; "
	    "boundary=%s",
	    boundary);
	if ((t = curl_slist_append(hdr, hv)) == NULL ||
	    (hdr = t,
		t = curl_slist_append(hdr,
		    xml ? "Accept: application/dicom+xml"
			: "Accept: application/dicom+json")) == NULL ||
	    (hdr = t, t = curl_slist_append(hdr, "Expect:")) == NULL) {
		curl_slist_free_all(hdr);
		return NULL;
	}
	return t;
}

int
stow_http_post(struct stow_http *h, const struct stow_part *parts, size_t n,
    struct stow_http_rsp *rsp, struct cs_err *err)
{
	unsigned char rnd[12];
	char boundary[40];
	struct curl_slist *hdr;
	struct body b = { 0 };
	uint64_t total = 0;
	size_t k;
	int rc, xml = 0;

	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
		return cs_err_set(
		    err, CS_E_IO, "getrandom: %s", strerror(errno));
	memcpy(boundary, "cstore-", 7);
	for (k = 0; k < sizeof(rnd); k++)
		snprintf(boundary + 7 + 2 * k, 3, "%02x", rnd[k]);
	b.parts = parts;
	b.cfg = &h->cfg;
	b.n = n;
	b.boundary = boundary;
	body_start(&b);
	for (k = 0; k < n; k++)
		total += b.head_len + parts[k].head_len + parts[k].len + 2;
	total += strlen(boundary) + 6;
	curl_easy_setopt(h->c, CURLOPT_HTTPGET, 0L);
	curl_easy_setopt(h->c, CURLOPT_UPLOAD, 0L);
	curl_easy_setopt(h->c, CURLOPT_POST, 1L);
	curl_easy_setopt(h->c, CURLOPT_POSTFIELDS, NULL);
	curl_easy_setopt(h->c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)total);
	curl_easy_setopt(h->c, CURLOPT_READFUNCTION, read_body);
	curl_easy_setopt(h->c, CURLOPT_READDATA, &b);
	curl_easy_setopt(h->c, CURLOPT_SEEKFUNCTION, seek_body);
	curl_easy_setopt(h->c, CURLOPT_SEEKDATA, &b);
	for (;;) {
		xml = xml || wants_xml(h, 0);
		if ((hdr = post_headers(boundary, xml)) == NULL)
			return cs_err_set(err, CS_E_NOMEM, "out of memory");
		body_start(&b);
		/* the base's /studies, or the study's URL as it is */
		rc = perform(h, strlen(h->cfg.url), h->study ? "" : "/studies",
		    hdr, rsp, err);
		if (rc != 0 || rsp->code != 406 || xml || b.io_errno != 0 ||
		    b.short_file || b.written)
			break;
		/* JSON refused: the same request asking for XML, once */
		wants_xml(h, 1);
		xml = 1;
		free(rsp->body);
		rsp->body = NULL;
	}
	if (b.io_errno != 0 || b.short_file || b.written) {
		rsp->bad_part = b.k + 1;
		rsp->bad_shrank = b.short_file;
		cs_err_clear(err);
		rc = cs_err_set(err, CS_E_IO, "%s",
		    b.written ? "the file was written to while it was sent"
			: b.short_file ? "the file shrank while it was sent"
				       : strerror(b.io_errno));
	}
	return rc;
}

int
stow_http_get(struct stow_http *h, const char *rel, struct stow_http_rsp *rsp,
    struct cs_err *err)
{
	struct curl_slist *hdr =
	    curl_slist_append(NULL, "Accept: application/dicom+json");

	if (hdr == NULL)
		return cs_err_set(err, CS_E_NOMEM, "out of memory");
	curl_easy_setopt(h->c, CURLOPT_HTTPGET, 1L);
	return perform(h, h->base_len, rel, hdr, rsp, err);
}
