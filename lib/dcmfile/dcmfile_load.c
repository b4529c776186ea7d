/*
 * dcmfile_load.c - the GDCM-backed functions of dcmfile.h, as a shim
 * that dlopens the GDCM module (cstore-gdcm.so, gdcm_module.h) on first
 * use, so that a program that never transcodes never loads GDCM.
 *
 * The module is looked for, in order:
 *   1. $CSTORE_GDCM_MODULE, when set and not empty (only there);
 *   2. ../lib/cstore/ from the directory of the executable's real path
 *      (the installed layout: bin/ and lib/cstore/ under one prefix);
 *   3. cstore/ next to the shared library holding this code, when that
 *      is not the executable (an installed libstorescu.so);
 *   4. the build directory this file was compiled for (CS_GDCM_BUILDDIR),
 *      so that programs run from the build tree find it;
 *   5. the directory it is installed in (CS_GDCM_MODULEDIR), for a tool
 *      whose LIBDIR is not ../lib (Debian's /usr/lib/<triplet>).
 * The first candidate that exists is loaded; when loading fails the
 * functions answer CS_E_UNSUPPORTED with dlerror()'s text.  One attempt
 * per process; the module is never unloaded.
 *
 * The module is loaded here, but its codec calls run in child
 * processes (gdcm_jail.h): frames in a worker of a shared pool, a
 * whole-file rewrite in a child of its own.  An assert or a crash in
 * GDCM or its libraries fails that conversion ("the decoder crashed
 * (SIGABRT)") and the program goes on.  Only the UID dictionary lookups
 * run here.
 */
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dcmfile/dcmfile.h"
#include "dcmfile/gdcm_jail.h"
#include "dcmfile/gdcm_module.h"
#include "dcmfile/xcode.h"
#include "dcmfile/xcode_jls.h"
#include "core/banned.h"

#ifndef CS_GDCM_BUILDDIR
#define CS_GDCM_BUILDDIR ""
#endif
#ifndef CS_GDCM_MODULEDIR
#define CS_GDCM_MODULEDIR ""
#endif

static struct {
	int (*abi)(void);
	int (*transcode)(const char *, const char *, int,
	    struct dcmfile_transcoded *, struct cs_err *);
	int (*decode)(const char *, const struct dcmfile_image *, const void *,
	    size_t, void *, size_t, unsigned, struct dcmfile_image *,
	    struct cs_err *);
	int (*encode)(const char *, const struct dcmfile_image *, const void *,
	    size_t, int, uint8_t **, size_t *, struct cs_err *);
	size_t (*messages)(char *, size_t);
	void (*trace)(int);
	size_t (*uid_count)(void);
	int (*uid_at)(size_t, const char **, const char **);
	int loaded;
	struct cs_err err; /* why it is not loaded */
} gdcm;

/* the load, tried again while it failed for want of descriptors
 * (gdcm_final 0): such a failure passes, another does not */
static pthread_mutex_t gdcm_mu = PTHREAD_MUTEX_INITIALIZER;
static int gdcm_final;
/* dcmfile_codec_verbose's setting, applied when the module loads */
static int want_trace;
/* dcmfile_codec_threads: this thread's, handed to each decode */
static _Thread_local unsigned want_threads;

/* Sets dir (PATH_MAX) to the directory of file's real path; 0 or -1. */
static int
real_dir(const char *file, char *dir)
{
	char *slash;

	if (file == NULL || realpath(file, dir) == NULL)
		return -1;
	slash = strrchr(dir, '/');
	if (slash == NULL)
		return -1;
	*slash = '\0';
	return 0;
}

/* Fills cand[] with the candidate paths (each PATH_MAX); returns how many. */
static int
candidates(char cand[][PATH_MAX])
{
	char exe_dir[PATH_MAX], so_dir[PATH_MAX];
	const char *env = secure_getenv("CSTORE_GDCM_MODULE");
	Dl_info info;
	int n = 0, have_exe, len;

	if (env != NULL && env[0] != '\0') {
		len = snprintf(cand[n], PATH_MAX, "%s", env);
		return len > 0 && len < PATH_MAX ? 1 : 0;
	}
	have_exe = real_dir("/proc/self/exe", exe_dir) == 0;
	if (have_exe) {
		len = snprintf(cand[n], PATH_MAX, "%s/../lib/%s/%s", exe_dir,
		    CSTORE_GDCM_MODULE_SUBDIR, CSTORE_GDCM_MODULE_NAME);
		n += len > 0 && len < PATH_MAX;
	}
	if (dladdr(&gdcm, &info) != 0 &&
	    real_dir(info.dli_fname, so_dir) == 0 &&
	    (!have_exe || strcmp(so_dir, exe_dir) != 0)) {
		len = snprintf(cand[n], PATH_MAX, "%s/%s/%s", so_dir,
		    CSTORE_GDCM_MODULE_SUBDIR, CSTORE_GDCM_MODULE_NAME);
		n += len > 0 && len < PATH_MAX;
	}
	if (CS_GDCM_BUILDDIR[0] != '\0') {
		len = snprintf(cand[n], PATH_MAX, "%s/%s", CS_GDCM_BUILDDIR,
		    CSTORE_GDCM_MODULE_NAME);
		n += len > 0 && len < PATH_MAX;
	}
	if (CS_GDCM_MODULEDIR[0] != '\0') {
		len = snprintf(cand[n], PATH_MAX, "%s/%s", CS_GDCM_MODULEDIR,
		    CSTORE_GDCM_MODULE_NAME);
		n += len > 0 && len < PATH_MAX;
	}
	return n;
}

void
dcmfile_sym(void *h, const char *name, void *fn, size_t size)
{
	void *p = dlsym(h, name);

	if (size == sizeof(p))
		memcpy(fn, &p, sizeof(p));
}

static void
load_module(void)
{
	char cand[5][PATH_MAX];
	const char *msg;
	void *h = NULL;
	int i, n = candidates(cand), tried = -1, e;

	/*
	 * CharLS before the module, which needs it anyway: opened later by
	 * xcode_jls.c after coming in as the module's dependency, glibc
	 * (2.36, with other threads running) loses the list it kept for it
	 * (72 bytes, a definite leak under valgrind).
	 */
	(void)xcode_jls_available();
	for (i = 0; i < n && h == NULL; i++) {
		if (access(cand[i], F_OK) != 0 && i + 1 < n)
			continue;
		tried = i;
		h = dlopen(cand[i], RTLD_NOW | RTLD_LOCAL);
		if (h == NULL)
			break;
	}
	gdcm_final = 1;
	if (h == NULL) {
		e = errno;
		msg = dlerror();
		/* out of descriptors (ulimit -n): a later file may find one */
		gdcm_final = tried < 0 ||
		    !(e == EMFILE || e == ENFILE ||
			(msg != NULL &&
			    (strstr(msg, strerror(EMFILE)) != NULL ||
				strstr(msg, strerror(ENFILE)) != NULL)));
		cs_err_set(&gdcm.err, CS_E_UNSUPPORTED,
		    "GDCM module not loaded: %s",
		    tried < 0         ? "no " CSTORE_GDCM_MODULE_NAME " to try"
			: msg != NULL ? msg
				      : cand[tried]);
		return;
	}
	dcmfile_sym(h, "cstore_gdcm_abi", &gdcm.abi, sizeof(gdcm.abi));
	dcmfile_sym(h, "cstore_gdcm_transcode", &gdcm.transcode,
	    sizeof(gdcm.transcode));
	dcmfile_sym(h, "cstore_gdcm_decode", &gdcm.decode, sizeof(gdcm.decode));
	dcmfile_sym(h, "cstore_gdcm_encode", &gdcm.encode, sizeof(gdcm.encode));
	dcmfile_sym(
	    h, "cstore_gdcm_messages", &gdcm.messages, sizeof(gdcm.messages));
	dcmfile_sym(h, "cstore_gdcm_trace", &gdcm.trace, sizeof(gdcm.trace));
	dcmfile_sym(h, "cstore_gdcm_uid_count", &gdcm.uid_count,
	    sizeof(gdcm.uid_count));
	dcmfile_sym(h, "cstore_gdcm_uid_at", &gdcm.uid_at, sizeof(gdcm.uid_at));
	if (gdcm.abi == NULL || gdcm.transcode == NULL || gdcm.decode == NULL ||
	    gdcm.encode == NULL || gdcm.messages == NULL ||
	    gdcm.trace == NULL || gdcm.uid_count == NULL ||
	    gdcm.uid_at == NULL) {
		cs_err_set(&gdcm.err, CS_E_UNSUPPORTED,
		    "GDCM module '%s' lacks an entry point", cand[tried]);
		return;
	}
	if (gdcm.abi() != CSTORE_GDCM_ABI) {
		cs_err_set(&gdcm.err, CS_E_UNSUPPORTED,
		    "GDCM module '%s' has ABI %d, not %d", cand[tried],
		    gdcm.abi(), CSTORE_GDCM_ABI);
		return;
	}
	gdcm.trace(__atomic_load_n(&want_trace, __ATOMIC_ACQUIRE));
	__atomic_store_n(&gdcm.loaded, 1, __ATOMIC_RELEASE);
}

/* 0 when the module is loaded, else CS_E_UNSUPPORTED with the reason. */
static int
need_module(struct cs_err *err)
{
	char msg[sizeof(gdcm.err.msg)];

	if (__atomic_load_n(&gdcm.loaded, __ATOMIC_ACQUIRE))
		return 0;
	pthread_mutex_lock(&gdcm_mu);
	if (!gdcm_final)
		load_module();
	snprintf(msg, sizeof(msg), "%s", gdcm.err.msg);
	pthread_mutex_unlock(&gdcm_mu);
	if (__atomic_load_n(&gdcm.loaded, __ATOMIC_ACQUIRE))
		return 0;
	return cs_err_set(err, CS_E_UNSUPPORTED, "%s", msg);
}

/* A whole-file rewrite's arguments, for the child that makes it. */
struct codec_call {
	const char *ts_uid, *path;
	int allow_lossy;
};

static void
jailed_transcode(void *ctx, struct gdcm_answer *a, const void **data)
{
	const struct codec_call *c = ctx;

	*data = NULL;
	a->rc =
	    gdcm.transcode(c->path, c->ts_uid, c->allow_lossy, &a->tc, &a->err);
}

/* In the worker: the frame q asks for (gdcm_jail.h). */
static void
serve_frame(const struct gdcm_request *q, const void *in, void *out,
    struct gdcm_answer *a, const void **data)
{
	uint8_t *enc = NULL;
	size_t n = 0;

	if (q->op == GDCM_OP_DECODE) {
		a->rc = gdcm.decode(q->ts_uid, &q->img, in, (size_t)q->in_len,
		    out, (size_t)q->out_len, q->threads, &a->got, &a->err);
		*data = a->rc == 0 ? out : NULL;
		a->data_len = a->rc == 0 ? q->out_len : 0;
		return;
	}
	/* freed by the worker once sent */
	a->rc = gdcm.encode(q->ts_uid, &q->img, in, (size_t)q->in_len, q->lossy,
	    &enc, &n, &a->err);
	*data = a->rc == 0 ? enc : NULL;
	a->data_len = a->rc == 0 ? n : 0;
	if (a->rc != 0)
		free(enc);
}

/* A worker's request for ts_uid, img, in_len bytes; CS_E_UNSUPPORTED
 * for a UID longer than any (no codec has it). */
static int
frame_request(struct gdcm_request *q, int op, const char *ts_uid,
    const struct dcmfile_image *img, size_t in_len, struct cs_err *err)
{
	memset(q, 0, sizeof(*q));
	q->op = op;
	if (strlen(ts_uid) >= sizeof(q->ts_uid))
		return cs_err_set(
		    err, CS_E_UNSUPPORTED, "no GDCM codec for '%s'", ts_uid);
	memcpy(q->ts_uid, ts_uid, strlen(ts_uid) + 1);
	q->img = *img;
	q->in_len = in_len;
	return 0;
}

static size_t
module_messages(char *buf, size_t cap)
{
	return gdcm.messages(buf, cap);
}

int
dcmfile_gdcm_transcode(int fd, const char *ts_uid, int allow_lossy,
    struct dcmfile_transcoded *out, struct cs_err *err)
{
	char path[64];
	struct codec_call c = { ts_uid, path, allow_lossy };
	struct gdcm_answer a;
	struct stat st;
	int rc;

	if (out != NULL) {
		out->fd = -1;
		out->length = 0;
		out->ts_uid[0] = '\0';
		out->lossy = 0;
	}
	if (fd < 0 || ts_uid == NULL || out == NULL)
		return cs_err_set(
		    err, CS_E_INVAL, "dcmfile_transcode: NULL argument");
	if (fstat(fd, &st) != 0)
		return cs_err_set(
		    err, CS_E_IO, "cannot stat the file: %s", strerror(errno));
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	rc = need_module(err);
	if (rc != 0)
		return rc;
	/* the child keeps fd: it reads the file through its own copy */
	rc = gdcm_jail_run("GDCM conversion", jailed_transcode, &c, fd,
	    (uint64_t)st.st_size, module_messages, NULL, 0, NULL, &a, err);
	if (rc == 0)
		*out = a.tc;
	else if (a.tc.fd >= 0)
		close(a.tc.fd);
	return rc;
}

int
dcmfile_codec_decode(const char *ts_uid, const struct dcmfile_image *img,
    const void *in, size_t in_len, void *out, size_t out_len,
    struct dcmfile_image *got, struct cs_err *err)
{
	struct gdcm_request q;
	struct gdcm_answer a;
	int rc;

	if (ts_uid == NULL || img == NULL || in == NULL || out == NULL ||
	    got == NULL)
		return cs_err_set(
		    err, CS_E_INVAL, "dcmfile_codec_decode: NULL argument");
	*got = *img;
	rc = need_module(err);
	if (rc == 0)
		rc =
		    frame_request(&q, GDCM_OP_DECODE, ts_uid, img, in_len, err);
	if (rc != 0)
		return rc;
	q.out_len = out_len;
	q.threads = want_threads;
	rc = gdcm_jail_call("decoder", serve_frame, module_messages, &q, in,
	    out, NULL, &a, err);
	if (rc == 0)
		*got = a.got;
	return rc;
}

void
dcmfile_codec_threads(unsigned n)
{
	want_threads = n;
}

int
dcmfile_codec_encode(const char *ts_uid, const struct dcmfile_image *img,
    const void *in, size_t in_len, int lossy, uint8_t **out, size_t *out_len,
    struct cs_err *err)
{
	struct gdcm_request q;
	struct gdcm_answer a;
	int rc;

	if (out != NULL)
		*out = NULL;
	if (out_len != NULL)
		*out_len = 0;
	if (ts_uid == NULL || img == NULL || in == NULL || out == NULL ||
	    out_len == NULL)
		return cs_err_set(
		    err, CS_E_INVAL, "dcmfile_codec_encode: NULL argument");
	rc = need_module(err);
	if (rc == 0)
		rc =
		    frame_request(&q, GDCM_OP_ENCODE, ts_uid, img, in_len, err);
	if (rc != 0)
		return rc;
	q.lossy = lossy;
	rc = gdcm_jail_call("encoder", serve_frame, module_messages, &q, in,
	    NULL, out, &a, err);
	if (rc == 0 && *out == NULL)
		rc = cs_err_set(
		    err, CS_E_UNSUPPORTED, "the encoder gave no bytes");
	if (rc != 0) {
		free(*out);
		*out = NULL;
		return rc;
	}
	*out_len = (size_t)a.data_len;
	return 0;
}

size_t
dcmfile_codec_messages(char *buf, size_t cap)
{
	/* what the children of this thread's codec calls said: never
	 * loads the module (RLE and native conversions do not need it) */
	return gdcm_jail_messages(buf, cap);
}

void
dcmfile_codec_timeout(unsigned s)
{
	gdcm_jail_limit_floor(s);
}

void
dcmfile_codec_verbose(int on)
{
	__atomic_store_n(&want_trace, on != 0, __ATOMIC_RELEASE);
	/* workers forked with the other setting are replaced */
	gdcm_jail_renew();
	/* loaded already: tell it now; else load_module does */
	if (__atomic_load_n(&gdcm.loaded, __ATOMIC_ACQUIRE))
		gdcm.trace(on != 0);
}

size_t
dcmfile_gdcm_uid_count(void)
{
	if (need_module(NULL) != 0)
		return 0;
	return gdcm.uid_count();
}

int
dcmfile_gdcm_uid_at(size_t i, const char **uid, const char **name)
{
	if (uid != NULL)
		*uid = NULL;
	if (name != NULL)
		*name = NULL;
	if (need_module(NULL) != 0)
		return CS_E_UNSUPPORTED;
	return gdcm.uid_at(i, uid, name);
}
