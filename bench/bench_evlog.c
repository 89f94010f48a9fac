/* Seed an agent's event journal (issue 13's replay benchmark, bench/events.sh): append N
 * lifecycle events to DIR/events.log through core/evlog, as the agent would have, so that a
 * reconnecting subscriber has N events to replay. Usage: bench_evlog STATE_DIR N. */
#include <stdio.h>
#include <stdlib.h>

#include "core/evlog.h"

int main(int argc, char **argv)
{
	struct lmc_evlog *l = NULL;
	struct lmc_err err = {0};
	long n;

	if (argc != 3 || (n = atol(argv[2])) <= 0) {
		fprintf(stderr, "usage: bench_evlog STATE_DIR N\n");
		return 2;
	}
	if (lmc_evlog_open(argv[1], (size_t)n, &l, &err) < 0) {
		fprintf(stderr, "bench_evlog: %s\n", lmc_err_str(&err));
		return 1;
	}
	for (long i = 0; i < n; i++) {
		struct lmc_evrec ev = {.kind = i % 2 ? LMC_EVK_DESTROYED : LMC_EVK_CREATED};

		snprintf(ev.name, sizeof(ev.name), "seed/c%ld", i / 2);
		if (lmc_evlog_append(l, &ev) < 0) {
			fprintf(stderr, "bench_evlog: append failed\n");
			lmc_evlog_free(l);
			return 1;
		}
	}
	printf("%llu\n", (unsigned long long)lmc_evlog_last(l));
	lmc_evlog_free(l);
	return 0;
}
