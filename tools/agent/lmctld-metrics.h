/* lmctld's Prometheus endpoint (--metrics=ADDR, tools/agent/lmctld-metrics.c): a small HTTP/1.1
 * server on the agent's loop serving GET /metrics, the body built on a worker thread from the
 * figures `lmctl stats` shows; and the agent's own request latencies it reports. */
#ifndef LMC_LMCTLD_METRICS_H
#define LMC_LMCTLD_METRICS_H

#include <stdint.h>

struct agent;
struct lmc_metrics;

/* Listen on addr (validated by lmc_metrics_addr_parse) and serve; logs where, or why not. */
int lmc_metrics_start(struct agent *a, const char *addr);
/* Stop listening and close every connection (before the agent's workers are joined); free
 * after them. Both do nothing when metrics are off. */
void lmc_metrics_stop(struct agent *a);
void lmc_metrics_free(struct agent *a);

/* name was created: read its figures once when creates pause (the kernel makes each file's
 * dentry at its first lookup), ahead of the next scrape. Nothing when mx is NULL. */
void lmc_metrics_created(struct lmc_metrics *mx, const char *name);
/* CLOCK_MONOTONIC in ns: when a request arrived. */
uint64_t lmc_metrics_clock(void);
/* A request of kind op (enum lmc_api_op; 0 undecodable) that arrived at t0 was answered now.
 * Nothing when mx is NULL (metrics off). */
void lmc_metrics_observe(struct lmc_metrics *mx, int op, uint64_t t0);

#endif
