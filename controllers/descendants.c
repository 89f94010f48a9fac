/* max_containers: the kernel's own bound on a container's subtree (cgroup.max.descendants,
 * a core file of every cgroup2 directory, with or without controllers), so that the
 * cgroup2 tree holds the policy's limit even against a mkdir that does not go through
 * lmctl. v1 has no such file: there the policy alone holds it. */
#include "controllers/controller-internal.h"

static int descendants_apply(struct lmc_cgfs *cg, const char *name, const struct lmc_spec *spec,
			     const struct lmc_spec *old, struct lmc_err *err)
{
	const char *file = "cgroup.max.descendants";

	if (spec->max_containers != LMC_UNSET)
		return lmc_controller_set_u64(cg, LMC_CTRL_UNIFIED, name, file,
					      spec->max_containers, err);
	if (old && old->max_containers != LMC_UNSET)
		return lmc_controller_set(cg, LMC_CTRL_UNIFIED, name, file, "max", err);
	return 0;
}

const struct lmc_controller_ops lmc_controller_descendants_ops = {
	.name = "descendants",
	.ctrl = LMC_CTRL_UNIFIED,
	.apply = descendants_apply,
};
