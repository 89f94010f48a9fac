/* Priority eviction (issue 14): which container the agent evicts when a container (or the
 * machine) runs short of memory. Pure functions over a struct lmc_tree and figures the
 * caller read; no I/O. */
#ifndef LMC_POLICY_EVICT_H
#define LMC_POLICY_EVICT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/tree.h"

/* The container's eviction priority: its own if set, else the nearest ancestor's, else
 * LMC_PRIORITY_DEFAULT (base/spec.h). */
int64_t lmc_policy_priority(const struct lmc_node *n);

/* One container that may be evicted, as the caller saw it. */
struct lmc_evict_cand {
	const char *name;
	int64_t priority; /* lmc_policy_priority */
	uint64_t usage; /* bytes charged to it now; 0: holds nothing, never picked */
	uint64_t reservation; /* its own memory reservation; LMC_UNSET or 0: none */
	bool busy; /* already being evicted: not picked again */
};

/* The victim among n candidates (the leaves below the container under pressure), or -1.
 * Containers over their reservation go before any within it; among those, the lowest
 * priority first, and among equal priorities the one furthest over its reservation
 * (kubelet's rule). A container within its reservation is picked only when none is over
 * its reservation, and then also lowest priority first, then the largest. */
int lmc_policy_evict_pick(const struct lmc_evict_cand *c, size_t n);

/* The headroom the agent keeps under a limit (or of a machine's memory): max(limit * pct /
 * 100, min_bytes), at most limit; 0 for no limit. */
uint64_t lmc_policy_evict_headroom(uint64_t limit, unsigned pct, uint64_t min_bytes);

/* The memory a container under watch may still take before the agent acts: the threshold
 * is limit - max(limit * pct / 100, min_bytes) (0 if that is not positive). */
uint64_t lmc_policy_evict_threshold(uint64_t limit, unsigned pct, uint64_t min_bytes);

/* Where the kernel gives no notification (the machine's available memory), the agent
 * samples: the next sample in room / rate (the time a grower at rate bytes/s needs to use
 * up room bytes), within [min_ms, max_ms]. */
unsigned lmc_policy_evict_sample_ms(uint64_t room, uint64_t rate, unsigned min_ms, unsigned max_ms);

/* Fill out (capacity max) with the leaves below top (not top itself unless it is a leaf
 * other than the root), names and priorities and reservations set, usage 0; returns how many
 * there are (which may exceed max: call again with more room). */
size_t lmc_policy_evict_leaves(const struct lmc_node *top, struct lmc_evict_cand *out, size_t max);

#endif
