/* Parent-bounded admission and effective limits (DESIGN section 3). Pure functions over a
 * struct lmc_tree; no I/O. The root node's spec holds the machine's capacity less the
 * system reserve (memory.limit, cpu.limit_m, pids.limit); it has no reservations. */
#ifndef LMC_POLICY_H
#define LMC_POLICY_H

#include <stdbool.h>
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

#endif
