/* pids: the process-count limit (pids.max, the same file on v1 and v2) and its usage. */
#include "controllers/controller-internal.h"

static int pids_apply(struct lmc_cgfs *cg, const char *name, const struct lmc_spec *spec,
		      const struct lmc_spec *old, struct lmc_err *err)
{
	if (spec->pids.limit != LMC_UNSET)
		return lmc_controller_set_u64(cg, LMC_CTRL_PIDS, name, "pids.max", spec->pids.limit,
					      err);
	if (old && old->pids.limit != LMC_UNSET)
		return lmc_controller_set(cg, LMC_CTRL_PIDS, name, "pids.max", "max", err);
	return 0;
}

static int pids_stats(struct lmc_cgfs *cg, const char *name, unsigned what, struct lmc_stats *st)
{
	lmc_controller_stat_u64(cg, LMC_CTRL_PIDS, name, "pids.current", &st->pids_current);
	/* "max" reads as LMC_UNSET, which is what the stats call no limit. */
	if (what & LMC_STATS_LIMITS)
		lmc_controller_stat_u64(cg, LMC_CTRL_PIDS, name, "pids.max", &st->pids_limit);
	return 0;
}

static const char *pids_asks(const struct lmc_spec *spec)
{
	return spec->pids.limit != LMC_UNSET ? "pids.limit" : NULL;
}

const struct lmc_controller_ops lmc_controller_pids_ops = {
	.name = "pids",
	.ctrl = LMC_CTRL_PIDS,
	.asks = pids_asks,
	.apply = pids_apply,
	.stats = pids_stats,
};
