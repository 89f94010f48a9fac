/* The JSON writer behind --json (tools/cli/json.h). */
#include "tools/cli/json.h"

#include <inttypes.h>
#include <stdlib.h>

#include "base/spec.h"

void lmc_json_write_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

/* A separator before a member of level lvl, unless it is the first. */
static void sep(struct lmc_json *j, int lvl)
{
	if (!j->first[lvl])
		fputc(',', j->f);
	j->first[lvl] = false;
}

/* Print the levels opened but not yet printed (each one's key and bracket). */
static void show(struct lmc_json *j)
{
	while (j->shown < j->depth) {
		int lvl = j->shown;

		sep(j, lvl);
		if (j->key[lvl + 1]) {
			lmc_json_write_str(j->f, j->key[lvl + 1]);
			fputc(':', j->f);
		}
		fputc(j->close[lvl + 1] == '}' ? '{' : '[', j->f);
		j->shown++;
	}
}

/* The separator and key of a member of the innermost level, its parents printed first. */
static void member(struct lmc_json *j, const char *key)
{
	show(j);
	sep(j, j->depth);
	if (key) {
		lmc_json_write_str(j->f, key);
		fputc(':', j->f);
	}
}

void lmc_json_begin(struct lmc_json *j, FILE *f)
{
	*j = (struct lmc_json){.f = f};
	j->first[0] = true;
	j->close[0] = '}';
	fputc('{', f);
}

void lmc_json_end(struct lmc_json *j)
{
	fputs("}\n", j->f);
}

void lmc_json_open(struct lmc_json *j, const char *key, char bracket)
{
	if (j->depth + 1 >= LMC_JSON_DEPTH)
		abort(); /* a caller nests deeper than any lmctl object: a bug, not input */
	j->depth++;
	j->key[j->depth] = key;
	j->close[j->depth] = bracket == '[' ? ']' : '}';
	j->first[j->depth] = true;
}

void lmc_json_open_always(struct lmc_json *j, const char *key, char bracket)
{
	lmc_json_open(j, key, bracket);
	show(j);
}

void lmc_json_close(struct lmc_json *j)
{
	if (j->depth == 0)
		return;
	if (j->shown == j->depth) {
		fputc(j->close[j->depth], j->f);
		j->shown--;
	}
	j->depth--;
}

void lmc_json_u64(struct lmc_json *j, const char *key, uint64_t v)
{
	if (v == LMC_UNSET)
		return;
	member(j, key);
	fprintf(j->f, "%" PRIu64, v);
}

void lmc_json_i64(struct lmc_json *j, const char *key, int64_t v)
{
	member(j, key);
	fprintf(j->f, "%" PRId64, v);
}

void lmc_json_double(struct lmc_json *j, const char *key, double v)
{
	member(j, key);
	fprintf(j->f, "%.2f", v);
}

void lmc_json_bool(struct lmc_json *j, const char *key, bool v)
{
	member(j, key);
	fputs(v ? "true" : "false", j->f);
}

void lmc_json_str(struct lmc_json *j, const char *key, const char *s)
{
	if (!s || !s[0])
		return;
	member(j, key);
	lmc_json_write_str(j->f, s);
}
