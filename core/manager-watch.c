/* What callers of the manager watch and wait on, so that they never hold cgroupfs
 * themselves (docs/design.md, "Layers"): a container's kernel event sources, and the waits
 * the agent runs on a worker thread (a kill's, a freeze's). The waits touch cgroupfs alone,
 * never the tree, so they may run while the loop changes it. */
#include "core/manager-internal.h"

#include <errno.h>

int lmc_mgr_events_open(struct lmc_manager *m, const char *uname, enum lmc_events_kind kind,
			uint64_t threshold, struct lmc_evsrc **ret, struct lmc_err *err)
{
	struct lmc_node *node;
	int r = lmc_mgr_lookup(m, uname, true, &node, err);

	if (r < 0)
		return r;
	switch (kind) {
	case LMC_EVK_OOM:
		return lmc_events_oom_open(m->cg, node->name, ret, err);
	case LMC_EVK_THRESHOLD:
		return lmc_events_threshold_open(m->cg, node->name, threshold, ret, err);
	case LMC_EVK_EMPTY:
		return lmc_events_empty_open(m->cg, node->name, ret, err);
	default:
		return lmc_err_set(err, -EINVAL, "%s: no kernel source for event kind %d",
				   lmc_name_display(node->name), (int)kind);
	}
}

int lmc_mgr_kill_wait(struct lmc_manager *m, const char *name, struct lmc_err *err)
{
	return lmc_cgfs_kill(m->cg, name, KILL_TIMEOUT_MS, err);
}

int lmc_mgr_freeze_wait(struct lmc_manager *m, const char *name, struct lmc_err *err)
{
	return lmc_cgfs_freeze_wait(m->cg, name, err);
}
