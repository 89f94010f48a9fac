/* The one-line error a user is shown: code plus message, fixed buffer, no allocation. */
#ifndef LMC_ERR_H
#define LMC_ERR_H

#include <stdbool.h>

#include "base/macro.h"

#include <stdint.h>

#define LMC_ERR_MSG_MAX 512

/* Why, for a program (lmctl.proto's ErrorCode has the same numbers). */
enum lmc_errc {
	LMC_EC_NONE = 0, /* not set: derived from the errno (lmc_err_kind) */
	LMC_EC_NOT_FOUND = 1,
	LMC_EC_ALREADY_EXISTS = 2,
	LMC_EC_INVALID_ARGUMENT = 3,
	LMC_EC_EXCEEDS_PARENT = 4,
	LMC_EC_RESERVATION_OVERCOMMIT = 5,
	LMC_EC_BELOW_USAGE = 6,
	LMC_EC_CONTROLLER_UNAVAILABLE = 7,
	LMC_EC_PERMISSION_DENIED = 8,
	LMC_EC_BUSY = 9,
	LMC_EC_RESOURCE_EXHAUSTED = 10,
	LMC_EC_UNAVAILABLE = 11,
	LMC_EC_INTERNAL = 12,
};
#define LMC_EC_MAX LMC_EC_INTERNAL

/* The facts of a refusal; "" and LMC_ERR_NOVAL: not known. */
#define LMC_ERR_NOVAL UINT64_MAX
struct lmc_err_detail {
	char container[256];
	char resource[48]; /* the Spec path: "memory.limit", "cpu.reservation_m", ... */
	uint64_t asked, bound;
	char bounded_by[256]; /* the container setting the bound ("" = the machine root) */
	bool has_bounded_by;
};

struct lmc_err {
	int code; /* -errno */
	char msg[LMC_ERR_MSG_MAX];
	enum lmc_errc kind; /* LMC_EC_NONE: see lmc_err_kind */
	bool has_detail;
	struct lmc_err_detail d;
};

/* Fill err (may be NULL) with code and a formatted one-line message; returns code
 * (which must be negative). Does not overwrite an error already set. */
int lmc_err_set(struct lmc_err *err, int code, const char *fmt, ...) _printf_(3, 4);
/* As lmc_err_set, but overwrites whatever was there. */
int lmc_err_reset(struct lmc_err *err, int code, const char *fmt, ...) _printf_(3, 4);
void lmc_err_clear(struct lmc_err *err);
/* Give the error just set its code and facts (after lmc_err_set; asked/bound LMC_ERR_NOVAL,
 * bounded_by NULL when not known). Returns err->code. */
int lmc_err_facts(struct lmc_err *err, enum lmc_errc kind, const char *container,
		  const char *resource, uint64_t asked, uint64_t bound, const char *bounded_by);
/* The error's code: its own, else the one its errno stands for. */
enum lmc_errc lmc_err_kind(const struct lmc_err *err);
enum lmc_errc lmc_errc_from_errno(int code);
/* "exceeds-parent", ... ; "" for LMC_EC_NONE. */
const char *lmc_errc_name(enum lmc_errc kind);
/* The message, or strerror(-code) if none was set. */
const char *lmc_err_str(const struct lmc_err *err);

#endif
