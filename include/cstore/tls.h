/*
 * cstore/tls.h - DICOM over TLS (PS3.15 Annex B), the settings shared by
 * the sender (storescu_config.tls) and the receiver (storescp_config.tls).
 */
#ifndef CSTORE_TLS_H
#define CSTORE_TLS_H

/*
 * The Secure Transport Connection Profiles of PS3.15 B.9-B.11 (BCP 195):
 * which TLS versions and cipher suites are offered and accepted.
 */
enum cstore_tls_profile {
	/* B.10 non-downgrading BCP 195 (the default): TLS 1.2 and 1.3,
	 * only AEAD suites with forward secrecy */
	CSTORE_TLS_BCP195_ND = 0,
	/* B.9 BCP 195: TLS 1.2 and 1.3, BCP 195's recommended suites and
	 * the TLS 1.2 fallbacks it allows */
	CSTORE_TLS_BCP195,
	/* B.11 extended BCP 195: TLS 1.3, or 1.2 with the four GCM ECDHE
	 * suites */
	CSTORE_TLS_BCP195_EXTENDED,
};

/*
 * OpenSSL writes to the socket with write(2), not send(MSG_NOSIGNAL): a
 * program using TLS must ignore SIGPIPE (both tools do), or a peer that
 * goes away mid-write kills it.
 */
struct cstore_tls {
	int enabled;             /* 0: plain TCP, and the rest is ignored */
	const char *ca;          /* trusted CAs: a PEM file or a hashed
			       * directory; NULL = the system store (a
			       * client checking servers), no client
			       * certificate asked (a server, only with
			       * optional_client_cert) */
	const char *cert;        /* our certificate chain (PEM); a receiver
			       * needs one, a sender for mutual TLS */
	const char *key;         /* its private key (PEM); NULL = in cert */
	const char *server_name; /* sender: the name the server's
				  * certificate must carry; NULL = host */
	enum cstore_tls_profile profile;
	int insecure;             /* sender: no certificate check at all */
	int optional_client_cert; /* receiver: a client without a
				   * certificate is let in */
	int profile_set;          /* profile was chosen (not the default) */
};

#endif
