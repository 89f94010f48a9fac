/* Internal to controllers/: the per-resource ops tables and the small helpers they share
 * (one-line errors for failed writes, keyed-file parsing). Not for other modules. */
#ifndef LMC_CONTROLLER_INTERNAL_H
#define LMC_CONTROLLER_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "controllers/controller.h"

/* The kernel default we write back when an update clears a field. */
#define LMC_CONTROLLER_V1_UNLIMITED "-1"
/* v1 reports "unlimited" as PAGE_COUNTER_MAX pages; anything this large means no limit. */
#define LMC_CONTROLLER_V1_HUGE (UINT64_C(1) << 62)

extern const struct lmc_controller_ops lmc_controller_cpu_ops;
extern const struct lmc_controller_ops lmc_controller_cpuacct_ops;
extern const struct lmc_controller_ops lmc_controller_cpuset_ops;
extern const struct lmc_controller_ops lmc_controller_memory_ops;
extern const struct lmc_controller_ops lmc_controller_blkio_ops;
extern const struct lmc_controller_ops lmc_controller_pids_ops;
extern const struct lmc_controller_ops lmc_controller_descendants_ops;

bool lmc_controller_is_v2(const struct lmc_cgfs *cg);
/* Write val to file, unless an update's apply found the old spec wrote the same (see
 * controller.c); -errno as lmc_cgfs_write. */
int lmc_controller_write(struct lmc_cgfs *cg, enum lmc_ctrl c, const char *name, const char *file,
			 const char *val);
/* Write val to file (lmc_controller_write); on failure err reads "<name>: cannot set <file> to <val>: <reason>". */
int lmc_controller_set(struct lmc_cgfs *cg, enum lmc_ctrl c, const char *name, const char *file,
		       const char *val, struct lmc_err *err);
int lmc_controller_set_u64(struct lmc_cgfs *cg, enum lmc_ctrl c, const char *name, const char *file,
			   uint64_t v, struct lmc_err *err);

/* The CFS quota (us) cpu.c writes for a spec; LMC_UNSET for none. */
uint64_t lmc_controller_cpu_quota(const struct lmc_spec_cpu *c);

/* Stats: store the number read into *dst where the file has one; leave *dst otherwise. */
void lmc_controller_stat_u64(struct lmc_cgfs *cg, enum lmc_ctrl c, const char *name,
			     const char *file, uint64_t *dst);
void lmc_controller_stat_key(const char *buf, const char *key, uint64_t *dst);

#endif
