/* One-line user errors. */
#include "base/err.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static void err_vfill(struct lmc_err *err, int code, const char *fmt, va_list ap)
{
	char *nl;

	err->code = code;
	err->kind = LMC_EC_NONE;
	err->has_detail = false;
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
	err->kind = LMC_EC_NONE;
	err->has_detail = false;
}

int lmc_err_facts(struct lmc_err *err, enum lmc_errc kind, const char *container,
		  const char *resource, uint64_t asked, uint64_t bound, const char *bounded_by)
{
	if (!err)
		return 0;
	err->kind = kind;
	err->has_detail = true;
	snprintf(err->d.container, sizeof(err->d.container), "%s", container ? container : "");
	snprintf(err->d.resource, sizeof(err->d.resource), "%s", resource ? resource : "");
	err->d.asked = asked;
	err->d.bound = bound;
	err->d.has_bounded_by = bounded_by != NULL;
	snprintf(err->d.bounded_by, sizeof(err->d.bounded_by), "%s", bounded_by ? bounded_by : "");
	return err->code;
}

enum lmc_errc lmc_errc_from_errno(int code)
{
	switch (code < 0 ? -code : code) {
	case 0:
		return LMC_EC_NONE;
	case ENOENT:
	case ESRCH:
		return LMC_EC_NOT_FOUND;
	case EEXIST:
		return LMC_EC_ALREADY_EXISTS;
	case EINVAL:
	case EBADMSG:
	case ENAMETOOLONG:
	case E2BIG:
	case ENOTDIR:
	case EPROTO:
		return LMC_EC_INVALID_ARGUMENT;
	case ERANGE:
		return LMC_EC_EXCEEDS_PARENT;
	case EOPNOTSUPP:
	case ENODEV:
		return LMC_EC_CONTROLLER_UNAVAILABLE;
	case EPERM:
	case EACCES:
		return LMC_EC_PERMISSION_DENIED;
	case EBUSY:
	case ENOTEMPTY:
	case EALREADY:
		return LMC_EC_BUSY;
	case EDQUOT:
	case ENOMEM:
	case ENOSPC:
	case EMFILE:
	case ENFILE:
	case ENOBUFS:
	case EMSGSIZE:
	case EAGAIN:
		return LMC_EC_RESOURCE_EXHAUSTED;
	case ETIMEDOUT:
	case ECONNREFUSED:
	case EPIPE:
	case ECONNRESET:
		return LMC_EC_UNAVAILABLE;
	default:
		return LMC_EC_INTERNAL;
	}
}

enum lmc_errc lmc_err_kind(const struct lmc_err *err)
{
	if (!err || !err->code)
		return LMC_EC_NONE;
	return err->kind ? err->kind : lmc_errc_from_errno(err->code);
}

const char *lmc_errc_name(enum lmc_errc kind)
{
	static const char *const names[] = {
		[LMC_EC_NONE] = "",
		[LMC_EC_NOT_FOUND] = "not-found",
		[LMC_EC_ALREADY_EXISTS] = "already-exists",
		[LMC_EC_INVALID_ARGUMENT] = "invalid-argument",
		[LMC_EC_EXCEEDS_PARENT] = "exceeds-parent",
		[LMC_EC_RESERVATION_OVERCOMMIT] = "reservation-overcommit",
		[LMC_EC_BELOW_USAGE] = "below-usage",
		[LMC_EC_CONTROLLER_UNAVAILABLE] = "controller-unavailable",
		[LMC_EC_PERMISSION_DENIED] = "permission-denied",
		[LMC_EC_BUSY] = "busy",
		[LMC_EC_RESOURCE_EXHAUSTED] = "resource-exhausted",
		[LMC_EC_UNAVAILABLE] = "unavailable",
		[LMC_EC_INTERNAL] = "internal",
	};

	return (unsigned)kind <= LMC_EC_MAX ? names[kind] : "internal";
}

const char *lmc_err_str(const struct lmc_err *err)
{
	if (!err)
		return "unknown error";
	if (err->msg[0])
		return err->msg;
	return strerror(err->code < 0 ? -err->code : err->code);
}
