/* What the CLI prints: plain text for people, JSON (--json) for programs. The same
 * functions serve the direct and the agent backends, so both print alike. */
#ifndef LMC_OUTPUT_H
#define LMC_OUTPUT_H

#include <stdbool.h>
#include <stdio.h>

#include "tools/cli/backend.h"

void lmc_out_info(FILE *f, const struct lmc_machine_info *info, bool json);
void lmc_out_list(FILE *f, const struct lmc_list_entry *l, size_t n, bool want_pids, bool json);
void lmc_out_spec(FILE *f, const char *name, const struct lmc_spec *spec,
		  const struct lmc_effective *eff, bool paused, bool json);
/* raw (--bytes): text gives plain bytes and nanoseconds, not 1.5M and 0.250s. */
void lmc_out_stats(FILE *f, const struct lmc_stats_entry *e, size_t n, bool json, bool raw);
/* top --json: one sample, one line: its time and every container's stats. */
void lmc_out_top_sample(FILE *f, const struct lmc_stats_entry *e, size_t n, uint64_t time_ns);
/* Names in `list -r` order (depth first, siblings by name): a strcmp for sorting. */
int lmc_out_name_cmp(const char *a, const char *b);
void lmc_out_event(FILE *f, const struct lmc_event *ev, bool json);
/* A JSON string literal with escapes. */
void lmc_out_json_str(FILE *f, const char *s);

#endif
