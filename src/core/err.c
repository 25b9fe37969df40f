/* err.c - error names and messages generated from LK_ERR_TABLE. */
#include "core/err.h"

#include <stdarg.h>
#include <stdio.h>

int lk_err_set(struct lk_err *err, int code, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return code;
	err->code = code;
	err->reason = NULL;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return code;
}

int lk_err_setr(struct lk_err *err, int code, const char *reason, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return code;
	err->code = code;
	err->reason = reason;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return code;
}

const char *lk_err_name(int code)
{
	switch (code) {
#define LK_ERR_NAME(name, value, msg) case value: return #name;
	LK_ERR_TABLE(LK_ERR_NAME)
#undef LK_ERR_NAME
	}
	return "EUNKNOWN";
}

const char *lk_err_str(int code)
{
	switch (code) {
#define LK_ERR_STR(name, value, msg) case value: return msg;
	LK_ERR_TABLE(LK_ERR_STR)
#undef LK_ERR_STR
	}
	return "unknown error";
}
