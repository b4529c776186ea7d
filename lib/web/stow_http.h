/*
 * stow_http.h - the HTTP side of DICOMweb STOW-RS (PS3.18 10.5) with
 * libcurl: one handle per lane (its connection is reused between
 * requests), multipart/related bodies streamed from open files, and the
 * response kept (bounded) for the caller to read.  Nothing here parses
 * DICOM or JSON; dcmsend's lib/cli/stow_send.c does.
 */
#ifndef CS_WEB_STOW_HTTP_H
#define CS_WEB_STOW_HTTP_H

#include <stddef.h>
#include <stdint.h>

struct cs_err;

/* The largest response body kept; the rest is refused (CS_E_TOOBIG). */
#define STOW_HTTP_BODY_MAX (16u * 1024u * 1024u)

struct stow_http_cfg {
	const char *url;    /* the service's base URL (…/dicom-web) */
	const char *ca;     /* CA file or directory (then trusted alone);
	                       NULL: curl's default */
	const char *bearer; /* an OAuth bearer token, or NULL */
	int netrc;          /* credentials from ~/.netrc */
	long connect_timeout_ms;
	/* no byte moved this long fails a request, and so does an answer
	 * not whole this long after the body was sent (or after its first
	 * byte, if earlier); 0 = none */
	long timeout_ms;
	/* -d: one line per request and response (never a credential) */
	void (*trace)(void *user, const char *line);
	void *user;
	/* --limit-rate, or NULL: how many of want body bytes may go now (at
	 * least 1, waiting as it must); refund gives back what was not used */
	size_t (*throttle)(void *rate, size_t want);
	void (*refund)(void *rate, size_t n);
	void *rate;
	/* a client certificate (PEM, the chain after it) and its key (PEM;
	 * NULL: in cert's file), or NULL: none offered */
	const char *cert, *key;
};

/* One part of a request: head_len bytes from memory (a File Meta
 * Information written for a converted data set), then len bytes of fd
 * from off. */
struct stow_part {
	const void *head;
	size_t head_len;
	int fd;
	const char *path; /* fd's name, or NULL (infile_written_since) */
	uint64_t off, len;
};

struct stow_http_rsp {
	long code;          /* HTTP status */
	char type[128];     /* its Content-Type ("" if none) */
	char location[512]; /* a redirect's target ("" if none) */
	char *body;         /* NUL-terminated; the caller frees */
	size_t len;
	/* its Retry-After (RFC 9110 10.2.3: seconds, or a date made
	 * seconds from now), at most a day; 0: none */
	unsigned retry_after_s;
	/* CS_E_IO: 1 + the index of the part whose file failed (0: none),
	 * and whether it shrank (else it could not be read or was
	 * written to before its last byte was read) */
	size_t bad_part;
	int bad_shrank;
};

struct stow_http;

/*
 * Whether url can be a service's base URL, or a study's (ending in
 * /studies/{UID}, PS3.18 10.5): an http:// or https:// URL libcurl
 * reads, with a host, and without a user, password, query or fragment.
 * 0, or CS_E_INVAL with err saying why.
 */
int stow_http_url_check(const char *url, struct cs_err *err);

/* The host of a URL stow_http_url_check takes, as libcurl matches it
 * in a netrc file (an IPv6 address without its brackets); 0, or -1. */
int stow_http_url_host(const char *url, char *host, size_t len);

/* Whether url's host is this machine: a loopback address or name, or a
 * name /etc/hosts gives only loopback addresses (net_host_is_local); an
 * unreadable URL's is not. */
int stow_http_url_is_local(const char *url);

/*
 * A handle (libcurl's global init on first use), or NULL with err.
 * libcurl honours the proxy variables (http_proxy, HTTPS_PROXY,
 * ALL_PROXY, NO_PROXY) but for a host of this machine (a loopback
 * address or name, or a name /etc/hosts gives only loopback addresses:
 * net_host_is_local): this machine's service is never asked of a proxy.
 */
struct stow_http *
stow_http_new(const struct stow_http_cfg *cfg, struct cs_err *err);
void stow_http_free(struct stow_http *h);

/*
 * POSTs url/studies (a study's url: url itself) with the n parts as the parts of one
 * multipart/related; type="application/dicom" body, read from the files
 * as curl asks for it: never more than curl's buffer in memory.  0 with *rsp filled
 * (any HTTP status), or CS_E_UNREACHABLE / CS_E_NONAME / CS_E_TLS /
 * CS_E_TIMEOUT / CS_E_NET (nothing or not all was answered), CS_E_IO (a
 * file could not be read, changed size, or was written to before its last
 * byte was read: the request is cut short, rsp->bad_part names it),
 * CS_E_TOOBIG, CS_E_NOMEM.
 */
int stow_http_post(struct stow_http *h, const struct stow_part *parts, size_t n,
    struct stow_http_rsp *rsp, struct cs_err *err);

/* GET url + rel (rel begins with '/'; a study's url: its base's);
 * as stow_http_post. */
int stow_http_get(struct stow_http *h, const char *rel,
    struct stow_http_rsp *rsp, struct cs_err *err);

#endif
