/* cpuacct: CPU usage statistics (total, user, system). v1 cpuacct.usage and cpuacct.stat;
 * where a cgroup2 tree exists (v2, and hybrid without controllers) its cpu.stat usage is
 * the same kernel accounting in finer units and is preferred. */
#include <unistd.h>

#include "controllers/controller-internal.h"

/* cgroup2 cpu.stat usage_usec/user_usec/system_usec; false if the file is not there. */
static bool unified_usage(struct lmc_cgfs *cg, const char *name, struct lmc_stats *st)
{
	_cleanup_free_ char *buf = NULL;
	uint64_t us;

	if (lmc_cgfs_read_all(cg, LMC_CTRL_UNIFIED, name, "cpu.stat", &buf) < 0 ||
	    lmc_cgfs_parse_key(buf, "usage_usec", &us) < 0)
		return false;
	st->cpu_usage_ns = us * 1000;
	if (lmc_cgfs_parse_key(buf, "user_usec", &us) >= 0)
		st->cpu_user_ns = us * 1000;
	if (lmc_cgfs_parse_key(buf, "system_usec", &us) >= 0)
		st->cpu_system_ns = us * 1000;
	return true;
}

/* cpuacct.stat counts USER_HZ ticks. */
static void v1_usage(struct lmc_cgfs *cg, const char *name, struct lmc_stats *st)
{
	_cleanup_free_ char *buf = NULL;
	long hz = sysconf(_SC_CLK_TCK);
	uint64_t ticks, ns_per_tick = hz > 0 ? 1000000000ull / (uint64_t)hz : 10000000ull;

	lmc_controller_stat_u64(cg, LMC_CTRL_CPUACCT, name, "cpuacct.usage", &st->cpu_usage_ns);
	if (lmc_cgfs_read_all(cg, LMC_CTRL_CPUACCT, name, "cpuacct.stat", &buf) < 0)
		return;
	if (lmc_cgfs_parse_key(buf, "user", &ticks) >= 0)
		st->cpu_user_ns = ticks * ns_per_tick;
	if (lmc_cgfs_parse_key(buf, "system", &ticks) >= 0)
		st->cpu_system_ns = ticks * ns_per_tick;
}

static int cpuacct_stats(struct lmc_cgfs *cg, const char *name, unsigned what, struct lmc_stats *st)
{
	(void)what;
	/* On v2 cpu's stats read the one cpu.stat. */
	if (lmc_controller_is_v2(cg))
		return 0;
	if (lmc_cgfs_has(cg, LMC_CTRL_UNIFIED) && unified_usage(cg, name, st))
		return 0;
	v1_usage(cg, name, st);
	return 0;
}

const struct lmc_controller_ops lmc_controller_cpuacct_ops = {
	.name = "cpuacct",
	.ctrl = LMC_CTRL_CPUACCT,
	.stats = cpuacct_stats,
};
