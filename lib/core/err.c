/* err.c - error names, descriptions and the set-once error detail. */
#include <stdarg.h>
#include <stdio.h> /* vsnprintf only: no file I/O in core */
#include <string.h>

#include "cstore/cstore.h"

const char *
cs_strerror(int code)
{
	switch (code) {
	case CS_OK:
		return "success";
#define CS_X_STR(name, value, text)                                            \
	case value:                                                            \
		return text;
		CS_ERRNO_MAP(CS_X_STR)
#undef CS_X_STR
	}
	return "unknown error";
}

const char *
cs_errname(int code)
{
	switch (code) {
	case CS_OK:
		return "CS_OK";
#define CS_X_NAME(name, value, text)                                           \
	case value:                                                            \
		return "CS_E_" #name;
		CS_ERRNO_MAP(CS_X_NAME)
#undef CS_X_NAME
	}
	return "CS_E_UNKNOWN";
}

int
cs_err_set(struct cs_err *err, int code, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || err->code != 0)
		return code;
	err->code = code;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return code;
}

void
cs_err_clear(struct cs_err *err)
{
	if (err == NULL)
		return;
	err->code = 0;
	err->msg[0] = '\0';
}
