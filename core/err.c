/* One-line user errors. */
#include "core/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static void err_vfill(struct lmc_err *err, int code, const char *fmt, va_list ap)
{
	char *nl;

	err->code = code;
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	/* Keep it one line whatever a caller's format or value held. */
	while ((nl = strpbrk(err->msg, "\r\n")))
		*nl = ' ';
}

int lmc_err_set(struct lmc_err *err, int code, const char *fmt, ...)
{
	va_list ap;

	if (!err || err->code)
		return code;
	va_start(ap, fmt);
	err_vfill(err, code, fmt, ap);
	va_end(ap);
	return code;
}

int lmc_err_reset(struct lmc_err *err, int code, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return code;
	va_start(ap, fmt);
	err_vfill(err, code, fmt, ap);
	va_end(ap);
	return code;
}

void lmc_err_clear(struct lmc_err *err)
{
	if (!err)
		return;
	err->code = 0;
	err->msg[0] = '\0';
}

const char *lmc_err_str(const struct lmc_err *err)
{
	if (!err)
		return "unknown error";
	if (err->msg[0])
		return err->msg;
	return strerror(err->code < 0 ? -err->code : err->code);
}
