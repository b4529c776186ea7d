/*
 * charls-refuse.so - the part of CharLS's C API that xcode_jls.c looks
 * up, as a library that refuses every JPEG-LS stream (read_header says
 * "parameter value not supported", as CharLS does for what it does not
 * implement).  Loaded in CharLS's place by charls-redirect.so, so that a
 * test sees the transcoder hand a refused frame to the GDCM module.
 */
#include <charls/charls.h>

static int instance;

charls_jpegls_decoder *
charls_jpegls_decoder_create(void)
{
	return (charls_jpegls_decoder *)&instance;
}

void
charls_jpegls_decoder_destroy(const charls_jpegls_decoder *d)
{
	(void)d;
}

charls_jpegls_errc
charls_jpegls_decoder_set_source_buffer(
    charls_jpegls_decoder *d, const void *p, size_t n)
{
	(void)d;
	(void)p;
	(void)n;
	return CHARLS_JPEGLS_ERRC_SUCCESS;
}

charls_jpegls_errc
charls_jpegls_decoder_read_header(charls_jpegls_decoder *d)
{
	(void)d;
	return CHARLS_JPEGLS_ERRC_PARAMETER_VALUE_NOT_SUPPORTED;
}

/* never reached after the refusal: each says so */
charls_jpegls_errc
charls_jpegls_decoder_get_frame_info(
    const charls_jpegls_decoder *d, charls_frame_info *fi)
{
	(void)d;
	(void)fi;
	return CHARLS_JPEGLS_ERRC_INVALID_OPERATION;
}

charls_jpegls_errc
charls_jpegls_decoder_get_interleave_mode(
    const charls_jpegls_decoder *d, charls_interleave_mode *m)
{
	(void)d;
	(void)m;
	return CHARLS_JPEGLS_ERRC_INVALID_OPERATION;
}

charls_jpegls_errc
charls_jpegls_decoder_get_destination_size(
    const charls_jpegls_decoder *d, uint32_t stride, size_t *n)
{
	(void)d;
	(void)stride;
	(void)n;
	return CHARLS_JPEGLS_ERRC_INVALID_OPERATION;
}

charls_jpegls_errc
charls_jpegls_decoder_decode_to_buffer(charls_jpegls_decoder *d,
    void *out, size_t n, uint32_t stride)
{
	(void)d;
	(void)out;
	(void)n;
	(void)stride;
	return CHARLS_JPEGLS_ERRC_INVALID_OPERATION;
}

const char *
charls_get_error_message(charls_jpegls_errc e)
{
	return e == CHARLS_JPEGLS_ERRC_PARAMETER_VALUE_NOT_SUPPORTED
	    ? "refused by the test's CharLS"
	    : "not expected after a refusal";
}
