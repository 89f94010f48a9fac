/* Shared by tools/agent/lmctld-metrics.c (the server) and tools/agent/lmctld-metrics-body.c (what a scrape
 * reads and writes). Not for any other module. */
#ifndef LMC_LMCTLD_METRICS_INT_H
#define LMC_LMCTLD_METRICS_INT_H

#include <stdint.h>

#include "core/manager.h"
#include "tools/agent/lmctld-metrics.h"
#include "tools/agent/metrics-text.h"

/* Request latency: bounds 100 us .. 10 s, then +Inf; per request kind (enum lmc_api_op). */
#define MHIST_BUCKETS 16
#define MHIST_OPS 16

struct mhist {
	uint64_t count, sum_ns;
	uint64_t buckets[MHIST_BUCKETS + 1]; /* per bucket, not cumulative; last: above all */
};

/* A body shared by every connection that asked while it was built. */
struct mbody {
	unsigned refs;
	struct lmc_mtext t;
};

/* Per container, read from the tree on the loop: its own limits and reservations, and for
 * the limits the effective value and who sets it (an offset into the build's name pool). */
#define MROW_ASKED 8
struct mrow {
	uint64_t asked[MROW_ASKED];
	uint64_t eff[MROW_ASKED];
	uint32_t from[MROW_ASKED];
};

/* One scrape's body being built: planned on the loop, read and written on a worker. */
struct mbuild {
	struct lmc_metrics *mx;
	struct lmc_manager *m; /* the worker calls only lmc_mgr_stats_fill_live: cgroupfs alone */
	struct lmc_stats_entry *e;
	size_t n;
	struct mrow *rows;
	struct lmc_mtext pool; /* NUL-terminated names of bounding ancestors */
	struct mhist hist[MHIST_OPS]; /* snapshots of the agent's own figures */
	uint64_t evictions, watched, clients, prev_build_ns;
	struct mbody *body;
	uint64_t start_ns; /* when it was planned: the figures are no older */
	uint64_t build_ns;
	int r;
	char why[256];
};

/* New containers read once ahead of the first scrape (lmctld-metrics.c, PRIME_QUIET). */
struct mprime {
	struct lmc_metrics *mx;
	struct lmc_manager *m;
	struct lmc_stats_entry *e;
	size_t n;
};
/* On a worker: read p's containers' figures, to be thrown away. */
void lmc_metrics_prime_work(void *arg);

/* On the loop: the containers and their tree-side figures into b. */
int lmc_metrics_build_plan(struct mbuild *b, struct lmc_manager *m);
/* On a worker: the kernel's figures, then the text into b->body (b->r, b->why on failure). */
void lmc_metrics_build_work(void *arg);
/* The histogram bucket of a latency. */
unsigned lmc_metrics_bucket_of(uint64_t ns);

#endif
