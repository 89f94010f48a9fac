/* The one-line error a user is shown: code plus message, fixed buffer, no allocation. */
#ifndef LMC_ERR_H
#define LMC_ERR_H

#include "core/macro.h"

#define LMC_ERR_MSG_MAX 512

struct lmc_err {
	int code; /* -errno */
	char msg[LMC_ERR_MSG_MAX];
};

/* Fill err (may be NULL) with code and a formatted one-line message; returns code
 * (which must be negative). Does not overwrite an error already set. */
int lmc_err_set(struct lmc_err *err, int code, const char *fmt, ...) _printf_(3, 4);
/* As lmc_err_set, but overwrites whatever was there. */
int lmc_err_reset(struct lmc_err *err, int code, const char *fmt, ...) _printf_(3, 4);
void lmc_err_clear(struct lmc_err *err);
/* The message, or strerror(-code) if none was set. */
const char *lmc_err_str(const struct lmc_err *err);

#endif
