/* The words every layer uses for the kernel's cgroup model: the mode lmctl runs in and the
 * controllers it uses, and their names. No I/O: controllers/cgroupfs is what talks to the
 * kernel. */
#ifndef LMC_CGROUP_H
#define LMC_CGROUP_H

enum lmc_cg_mode {
	LMC_CG_V1, /* v1 controllers only */
	LMC_CG_HYBRID, /* v1 controllers + a cgroup2 mount with none */
	LMC_CG_V2, /* unified */
};

/* A controller lmctl uses, or the cgroup2 "core" tree (kill, freeze, events, PSI). */
enum lmc_ctrl {
	LMC_CTRL_CPU,
	LMC_CTRL_CPUACCT,
	LMC_CTRL_CPUSET,
	LMC_CTRL_MEMORY,
	LMC_CTRL_BLKIO, /* "io" on v2 */
	LMC_CTRL_PIDS,
	LMC_CTRL_FREEZER,
	LMC_CTRL_UNIFIED, /* the cgroup2 tree; absent in pure v1 mode */
	LMC_CTRL__MAX,
};

/* "v1", "hybrid", "v2". */
const char *lmc_cg_mode_name(enum lmc_cg_mode m);
/* The v1 name of controller c ("unified" for the cgroup2 tree, "?" for none): how the wire,
 * the CLI and the v1 mounts name it. */
const char *lmc_ctrl_name(enum lmc_ctrl c);

#endif
