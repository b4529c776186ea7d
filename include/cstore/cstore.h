/*
 * cstore.h - shared public definitions of the cstore libraries: the
 * version, error codes and the caller-owned error detail.
 *
 * Ownership rule for every cstore API: pointer parameters are borrowed
 * for the duration of the call; returned const pointers live as long as
 * the object they came from.  Ownership moves only through functions
 * whose names say so (..._take, ..._detach).
 */
#ifndef CSTORE_CSTORE_H
#define CSTORE_CSTORE_H

#ifdef __cplusplus
extern "C" {
#endif

#define CS_VERSION "0.2.0"

/* Our implementation class UID (PS3.7 D.3.3.2), a UUID-derived UID (PS3.5 B.2), and version name. */
#define CS_IMPL_CLASS_UID "2.25.205427171798299283169116181249333028782"
#define CS_IMPL_VERSION "CSTORE_020"

#if defined(__GNUC__)
#define CS_EXPORT __attribute__((visibility("default")))
#else
#define CS_EXPORT
#endif

/*
 * Every error code, once: X(NAME, value, description).  The values are
 * negative; 0 is success.  Codes at or below CS_E_FATAL mean that an
 * association object is dead and may only be freed.
 */
#define CS_ERRNO_MAP(X)                                                    \
	X(NOMEM, -1, "out of memory")                                      \
	X(INVAL, -2, "invalid argument")                                   \
	X(STATE, -3, "not allowed in this state")                          \
	X(AGAIN, -4, "try again")                                          \
	X(IO, -5, "input/output error")                                    \
	X(NOTDICOM, -6, "not a DICOM file")                                \
	X(TRUNCATED, -7, "truncated file")                                 \
	X(UNSUPPORTED, -8, "not supported")                                \
	X(NOTFOUND, -9, "not found")                                       \
	X(NOSPACE, -10, "no space left on device")                         \
	X(RESOURCE, -11, "out of local resources (descriptors, buffers)")           \
	X(FATAL, -100, "fatal error")                                      \
	X(NET, -101, "network error")                                      \
	X(UNREACHABLE, -102, "peer unreachable")                           \
	X(TIMEOUT, -103, "timed out")                                      \
	X(PROTO, -104, "protocol error")                                   \
	X(REJECTED, -105, "association rejected")                          \
	X(ABORTED, -106, "association aborted")                            \
	X(CLOSED, -107, "connection closed by peer")                       \
	X(CALLBACK, -108, "callback failed")                               \
	X(TOOBIG, -109, "length exceeds the limit")                        \
	X(NONAME, -110, "host name not found")                             \
	X(TLS, -111, "secure connection failed")

enum cs_errcode {
	CS_OK = 0,
#define CS_X_ENUM(name, value, text) CS_E_##name = value,
	CS_ERRNO_MAP(CS_X_ENUM)
#undef CS_X_ENUM
};

/* Detail of a failure: the first error set wins ("set once"). */
#define CS_ERR_MSG_MAX 256
struct cs_err {
	int code;
	char msg[CS_ERR_MSG_MAX];
};

/* Returns a static description of code ("unknown error" if unknown). */
CS_EXPORT const char *cs_strerror(int code);
/* Returns the static symbolic name of code, e.g. "CS_E_PROTO". */
CS_EXPORT const char *cs_errname(int code);

/*
 * Records code and a printf-style message in err unless err is NULL or
 * already holds an error.  Returns code, so that callers can write
 * "return cs_err_set(err, CS_E_PROTO, "...")".
 */
CS_EXPORT int cs_err_set(struct cs_err *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Clears err so that it can be reused. */
CS_EXPORT void cs_err_clear(struct cs_err *err);

#ifdef __cplusplus
}
#endif
#endif
