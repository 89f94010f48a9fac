/* A small JSON writer for the CLI's --json output (docs/json.md): one object per line, keys
 * in the order written, no whitespace. Absent values are left out rather than printed as
 * null or "": the value writers skip LMC_UNSET and empty strings, and an object or array
 * that ends up with no member is not printed at all (its key included) unless it was
 * opened with lmc_json_open_always. */
#ifndef LMC_JSON_H
#define LMC_JSON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define LMC_JSON_DEPTH 8

struct lmc_json {
	FILE *f;
	int depth; /* levels opened */
	int shown; /* levels printed so far (an empty one is not) */
	const char *key[LMC_JSON_DEPTH];
	char close[LMC_JSON_DEPTH];
	bool first[LMC_JSON_DEPTH];
};

/* Begin one line: the top-level object. */
void lmc_json_begin(struct lmc_json *j, FILE *f);
/* End it: the closing brace and the newline. */
void lmc_json_end(struct lmc_json *j);
/* A member object or array (key NULL inside an array), printed once something is in it. */
void lmc_json_open(struct lmc_json *j, const char *key, char bracket);
/* The same, printed even when empty (a list that was asked for and has no element). */
void lmc_json_open_always(struct lmc_json *j, const char *key, char bracket);
void lmc_json_close(struct lmc_json *j);

/* Members; key NULL inside an array. */
void lmc_json_u64(struct lmc_json *j, const char *key, uint64_t v); /* LMC_UNSET: left out */
void lmc_json_i64(struct lmc_json *j, const char *key, int64_t v);
void lmc_json_double(struct lmc_json *j, const char *key, double v);
void lmc_json_bool(struct lmc_json *j, const char *key, bool v);
void lmc_json_str(struct lmc_json *j, const char *key, const char *s); /* "": left out */

/* A JSON string literal with escapes. */
void lmc_json_write_str(FILE *f, const char *s);

#endif
