/* Parent-bounded admission and effective limits (DESIGN section 3). Pure functions over a
 * struct lmc_tree; no I/O. The root node's spec holds the machine's capacity less the
 * system reserve (memory.limit, cpu.limit_m, pids.limit); it has no reservations. */
#ifndef LMC_POLICY_H
#define LMC_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "base/spec.h"
#include "base/tree.h"

/* Admit creating `name` (not yet in the tree; its parent is) with spec. Checks that every
 * ancestor's max_containers has room for one more (-EDQUOT), every hard
 * limit against the parent's effective one, the container's reservations against its own
 * limits, and the siblings' reservations plus this one against the parent's reservation
 * (or effective limit). On refusal fills err with one line naming the container, the
 * resource, both values and the ancestor/children that bound it. Returns -EINVAL for a
 * self-inconsistent spec (reservation above its own limit), -ERANGE for a bound violated. */
int lmc_policy_admit_create(const struct lmc_tree *t, const char *name, const struct lmc_spec *spec,
			    struct lmc_err *err);

/* Admit replacing node's spec with newspec (already merged). Checks as for create against
 * the parent, plus against the children (and max_containers against what it holds): a new limit below a child's (effective) limit, or
 * below the children's summed reservations, is refused naming the children. mem_usage is
 * the container's current memory usage (LMC_UNSET if unknown): a memory limit below it is
 * refused unless force. */
int lmc_policy_admit_update(const struct lmc_tree *t, const struct lmc_node *node,
			    const struct lmc_spec *newspec, uint64_t mem_usage, bool force,
			    struct lmc_err *err);

/* Effective values (struct lmc_effective, base/spec.h): the minimum over the node and its
 * ancestors, with the name of the node that sets it. */
int lmc_policy_effective(const struct lmc_tree *t, const struct lmc_node *node,
			 struct lmc_effective *ret);

/* A container given to a non-root owner holds at most LMC_OWNER_MAX_CONTAINERS below it
 * unless it, or an ancestor (from parent up), sets max_containers: fills that default into
 * spec. Nothing for root's own containers or an unowned one. */
void lmc_policy_owner_default(const struct lmc_node *parent, struct lmc_spec *spec);

/* Throttles for a hierarchy that does not nest them (cgroup v1 blkio): per device, each rate
 * the minimum of own and every ancestor's from `above` (the parent) up, so that what a
 * container's own files say is what binds it. Where `at` is met its throttles are taken
 * from `as` instead (an update not yet in the tree); at may be NULL. The weight is own's.
 * -E2BIG if the chain names more than LMC_THROTTLE_MAX devices. */
int lmc_policy_flat_throttles(const struct lmc_spec_blkio *own, const struct lmc_node *above,
			      const struct lmc_node *at, const struct lmc_spec_blkio *as,
			      struct lmc_spec_blkio *ret);

/* The root's capacity: machine less reserve. Fills spec (memory.limit, cpu.limit_m,
 * pids.limit); -EINVAL via err if the reserve exceeds the machine. */
int lmc_policy_root_capacity(uint64_t mem_total, unsigned ncpus, uint64_t pid_max,
			     uint64_t reserve_mem, uint64_t reserve_cpu_m, struct lmc_spec *ret,
			     struct lmc_err *err);

/* ---- priority eviction (issue 14, policy/evict.c): which container the agent evicts when
 * a container (or the machine) runs short of memory; pure functions over the tree and
 * figures the caller read ---- */

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
