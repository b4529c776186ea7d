/*
 * xcode_jls.c - JPEG-LS decoding through CharLS's C API (xcode_jls.h).
 *
 * Loaded, not linked: a program that never decodes JPEG-LS never maps
 * CharLS (nor the C++ runtime it needs).  The soname's major version is
 * CharLS's ABI; the function types come from its own header.
 */
#include <dlfcn.h>
#include <pthread.h>
#include <string.h>

#include <charls/charls.h>

#include "dcmfile/dcmfile.h"
#include "dcmfile/xcode_jls.h"
#include "core/banned.h"

#define CHARLS_SONAME "libcharls.so.2"

static struct {
	__typeof__(charls_jpegls_decoder_create) *create;
	__typeof__(charls_jpegls_decoder_destroy) *destroy;
	__typeof__(charls_jpegls_decoder_set_source_buffer) *source;
	__typeof__(charls_jpegls_decoder_read_header) *header;
	__typeof__(charls_jpegls_decoder_get_frame_info) *frame_info;
	__typeof__(charls_jpegls_decoder_get_interleave_mode) *interleave;
	__typeof__(charls_jpegls_decoder_get_destination_size) *dest_size;
	__typeof__(charls_jpegls_decoder_decode_to_buffer) *decode;
	__typeof__(charls_get_error_message) *message;
	int loaded;
} jls;

static pthread_once_t jls_once = PTHREAD_ONCE_INIT;

static void
load(void)
{
	void *h = dlopen(CHARLS_SONAME, RTLD_NOW | RTLD_LOCAL);

	if (h == NULL)
		return;
	dcmfile_sym(
	    h, "charls_jpegls_decoder_create", &jls.create, sizeof(jls.create));
	dcmfile_sym(h, "charls_jpegls_decoder_destroy", &jls.destroy,
	    sizeof(jls.destroy));
	dcmfile_sym(h, "charls_jpegls_decoder_set_source_buffer", &jls.source,
	    sizeof(jls.source));
	dcmfile_sym(h, "charls_jpegls_decoder_read_header", &jls.header,
	    sizeof(jls.header));
	dcmfile_sym(h, "charls_jpegls_decoder_get_frame_info", &jls.frame_info,
	    sizeof(jls.frame_info));
	dcmfile_sym(h, "charls_jpegls_decoder_get_interleave_mode",
	    &jls.interleave, sizeof(jls.interleave));
	dcmfile_sym(h, "charls_jpegls_decoder_get_destination_size",
	    &jls.dest_size, sizeof(jls.dest_size));
	dcmfile_sym(h, "charls_jpegls_decoder_decode_to_buffer", &jls.decode,
	    sizeof(jls.decode));
	dcmfile_sym(
	    h, "charls_get_error_message", &jls.message, sizeof(jls.message));
	jls.loaded = jls.create != NULL && jls.destroy != NULL &&
	    jls.source != NULL && jls.header != NULL &&
	    jls.frame_info != NULL && jls.interleave != NULL &&
	    jls.dest_size != NULL && jls.decode != NULL && jls.message != NULL;
	/* kept mapped either way: never unloaded, as the GDCM module */
}

int
xcode_jls_available(void)
{
	pthread_once(&jls_once, load);
	return jls.loaded;
}

static int
refused(charls_jpegls_errc e, const char *what, struct cs_err *err)
{
	const char *m = jls.message(e);

	return cs_err_set(err, CS_E_UNSUPPORTED, "JPEG-LS: %s: %s", what,
	    m != NULL ? m : "CharLS error");
}

int
xcode_jls_decode(const struct dcmfile_image *img, const uint8_t *in, size_t n,
    uint8_t *out, size_t out_len, struct dcmfile_image *got, struct cs_err *err)
{
	charls_jpegls_decoder *d;
	charls_frame_info fi;
	charls_interleave_mode ilv = CHARLS_INTERLEAVE_MODE_NONE;
	charls_jpegls_errc e;
	size_t need = 0;
	unsigned bytes;
	int rc = 0;

	if (!xcode_jls_available())
		return cs_err_set(err, CS_E_UNSUPPORTED,
		    "JPEG-LS: CharLS (%s) not loaded", CHARLS_SONAME);
	if ((d = jls.create()) == NULL)
		return cs_err_set(err, CS_E_NOMEM, "out of memory");
	memset(&fi, 0, sizeof(fi));
	if ((e = jls.source(d, in, n)) != CHARLS_JPEGLS_ERRC_SUCCESS ||
	    (e = jls.header(d)) != CHARLS_JPEGLS_ERRC_SUCCESS ||
	    (e = jls.frame_info(d, &fi)) != CHARLS_JPEGLS_ERRC_SUCCESS ||
	    (e = jls.interleave(d, &ilv)) != CHARLS_JPEGLS_ERRC_SUCCESS) {
		rc = refused(e, "cannot read the header", err);
		goto out;
	}
	/* what the data set says must be what the stream holds */
	bytes = fi.bits_per_sample <= 8 ? 1u : 2u;
	if (fi.width != img->cols || fi.height != img->rows ||
	    fi.component_count != (int32_t)img->samples ||
	    fi.bits_per_sample < 2 || fi.bits_per_sample > 16 ||
	    bytes != img->bits_allocated / 8u) {
		rc = cs_err_set(err, CS_E_PROTO,
		    "JPEG-LS: the stream holds %ux%u, %d samples of %d bits; "
		    "the data set says %ux%u, %u of %u bits allocated",
		    fi.width, fi.height, fi.component_count, fi.bits_per_sample,
		    img->cols, img->rows, img->samples, img->bits_allocated);
		goto out;
	}
	if ((e = jls.dest_size(d, 0, &need)) != CHARLS_JPEGLS_ERRC_SUCCESS) {
		rc = refused(e, "cannot size the frame", err);
		goto out;
	}
	if (need != out_len) {
		rc = cs_err_set(err, CS_E_PROTO,
		    "JPEG-LS: the stream decodes to %zu bytes, the frame is %zu",
		    need, out_len);
		goto out;
	}
	if ((e = jls.decode(d, out, out_len, 0)) !=
	    CHARLS_JPEGLS_ERRC_SUCCESS) {
		rc = refused(e, "cannot decode", err);
		goto out;
	}
	*got = *img;
	/* no interleaving: one plane per component (T.87 A.2) */
	if (img->samples == 3)
		got->planar = ilv == CHARLS_INTERLEAVE_MODE_NONE ? 1 : 0;
out:
	jls.destroy(d);
	return rc;
}
