/* One interface for every resource controller (crun's ops-table shape): validate a spec,
 * apply it to a container's cgroup, read its stats; v1 and v2 handled inside each. This
 * module's names are lmc_controller_*; enum lmc_ctrl and lmc_ctrl_name (cgroupfs.h) name the
 * kernel's controllers, the hierarchies cgroupfs serves. */
#ifndef LMC_CONTROLLER_H
#define LMC_CONTROLLER_H

#include "controllers/cgroupfs.h"
#include "base/spec.h"

struct lmc_controller_ops {
	const char *name;
	enum lmc_ctrl ctrl; /* the hierarchy it writes; skipped when !lmc_cgfs_has() */
	/* Reject what this controller cannot express in this mode (e.g. memory-high on v1 is
	 * accepted and ignored? no: refused with a clear message). May be NULL. */
	int (*validate)(struct lmc_cgfs *cg, const char *name, const struct lmc_spec *spec,
			struct lmc_err *err);
	/* The flag of the first field of spec this controller would write, NULL if none: a
	 * spec that asks for a controller lmctl cannot use is refused, never dropped. */
	const char *(*asks)(const struct lmc_spec *spec);
	/* Write every field the spec sets (unset fields: nothing written, except where an
	 * update clears a value: old != NULL holds the previous spec, and a field that was set
	 * and is now unset is written back to the kernel default). */
	int (*apply)(struct lmc_cgfs *cg, const char *name, const struct lmc_spec *spec,
		     const struct lmc_spec *old, struct lmc_err *err);
	/* Fill this controller's part of st; fields it cannot read stay LMC_UNSET, and so do
	 * the limits unless what has LMC_STATS_LIMITS. */
	int (*stats)(struct lmc_cgfs *cg, const char *name, unsigned what, struct lmc_stats *st);
};

/* The table, in apply order; NULL-terminated. */
extern const struct lmc_controller_ops *const lmc_controllers[];

/* Apply for every managed controller; stops at the first failure with err naming the
 * container, the file and the value. Callers validate first (lmc_controller_validate_all), before
 * anything is created: validation reads the parent, and doing it twice cost a create
 * a fifth of its time. */
int lmc_controller_apply_all(struct lmc_cgfs *cg, const char *name, const struct lmc_spec *spec,
			     const struct lmc_spec *old, struct lmc_err *err);
/* A new container: its directories (lmc_cgfs_create_set), then apply_all with no old spec,
 * skipping the cpuset writes the mkdir's fill already made with the spec's values. On a
 * failure of the writes the directories are removed again. */
int lmc_controller_create(struct lmc_cgfs *cg, const char *name, const struct lmc_spec *spec,
			  struct lmc_err *err);
int lmc_controller_validate_all(struct lmc_cgfs *cg, const char *name, const struct lmc_spec *spec,
				struct lmc_err *err);
/* Only the block throttles: b replaces ob (NULL: none before; a rate ob set that b does not
 * goes back to no limit). The manager rewrites a subtree's throttles with it where the
 * hierarchy does not nest them (v1). */
int lmc_controller_apply_throttles(struct lmc_cgfs *cg, const char *name,
				   const struct lmc_spec_blkio *b, const struct lmc_spec_blkio *ob,
				   struct lmc_err *err);
/* Every controller's stats plus PSI. */
int lmc_controller_stats_all(struct lmc_cgfs *cg, const char *name, struct lmc_stats *st);
/* lmc_controller_stats_all reads what; without LMC_STATS_LIMITS, mem_limit and pids_limit
 * (the limits as the kernel holds them) stay unset: a reader that takes limits from the spec
 * (the agent's metrics) skips two files a container. */
#define LMC_STATS_LIMITS 256u
/* what also holds the resources to read (LMC_STATF_*, base/spec.h; none: every one). */
int lmc_controller_stats_read(struct lmc_cgfs *cg, const char *name, unsigned what,
			      struct lmc_stats *st);

/* The limits the kernel holds for a container, read back from its files (controllers/
 * readback.c): memory limit, cpu quota and period, pids limit; every other field unset.
 * What a container whose record was lost is adopted with. */
int lmc_controller_read_spec(struct lmc_cgfs *cg, const char *name, struct lmc_spec *ret);
/* Does the kernel hold the limits spec asks for (those lmc_controller_read_spec reads)? 0 yes;
 * 1 no, with why ("pids.max is 11, the spec says 45"); -errno if they cannot be read.
 * ret_kernel (may be NULL) gets what was read. */
int lmc_controller_diff(struct lmc_cgfs *cg, const char *name, const struct lmc_spec *spec,
			struct lmc_spec *ret_kernel, char *why, size_t size);

/* v1 <-> v2 conversions (the formulas runc and crun use). */
uint64_t lmc_conv_shares_to_weight(uint64_t shares); /* 2..262144 -> 1..10000 */
uint64_t lmc_conv_blkio_to_io_weight(uint64_t weight); /* 10..1000 -> 1..10000 */

#endif
