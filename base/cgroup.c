/* The names of the cgroup modes and controllers (base/cgroup.h). */
#include "base/cgroup.h"

/* v1 controller name of each enum lmc_ctrl ("unified" for the cgroup2 tree). */
static const char *const v1_names[LMC_CTRL__MAX] = {
	[LMC_CTRL_CPU] = "cpu",		[LMC_CTRL_CPUACCT] = "cpuacct",
	[LMC_CTRL_CPUSET] = "cpuset",	[LMC_CTRL_MEMORY] = "memory",
	[LMC_CTRL_BLKIO] = "blkio",	[LMC_CTRL_PIDS] = "pids",
	[LMC_CTRL_FREEZER] = "freezer", [LMC_CTRL_UNIFIED] = "unified",
};

const char *lmc_ctrl_name(enum lmc_ctrl c)
{
	return c < LMC_CTRL__MAX ? v1_names[c] : "?";
}

const char *lmc_cg_mode_name(enum lmc_cg_mode m)
{
	switch (m) {
	case LMC_CG_V1:
		return "v1";
	case LMC_CG_HYBRID:
		return "hybrid";
	case LMC_CG_V2:
		return "v2";
	}
	return "?";
}
