/* cpuset: the cpus and memory nodes a container may use (cpuset.cpus / cpuset.mems, the
 * same files on v1 and v2), each a subset of what its parent has. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controllers/controller-internal.h"
#include "base/name.h"

#define C LMC_CTRL_CPUSET
#define BITS 8192

struct bitmap {
	uint64_t w[BITS / 64];
};

/* "0-3,5\n" -> bits; -ERANGE past BITS, -EINVAL if malformed. "" is the empty set. */
static int list_parse(const char *s, struct bitmap *bm)
{
	memset(bm, 0, sizeof(*bm));
	while (*s && *s != '\n') {
		char *end;
		unsigned long a = strtoul(s, &end, 10), b = a;

		if (end == s)
			return -EINVAL;
		if (*end == '-') {
			s = end + 1;
			b = strtoul(s, &end, 10);
			if (end == s || b < a)
				return -EINVAL;
		}
		if (b >= BITS)
			return -ERANGE;
		for (unsigned long i = a; i <= b; i++)
			bm->w[i / 64] |= UINT64_C(1) << (i % 64);
		s = *end == ',' ? end + 1 : end;
		if (*end != ',' && *end && *end != '\n')
			return -EINVAL;
	}
	return 0;
}

/* The parent's effective set (what it may really hand out), else its configured one. */
static int parent_set(struct lmc_cgfs *cg, const char *parent, const char *what, char *buf,
		      size_t size)
{
	char file[64];
	int r;

	/* v2 names it cpuset.<what>.effective, v1 cpuset.effective_<what> (asked by the mode:
	 * trying the other name first cost each create two failed opens); a v2
	 * cpuset.<what> is empty (inherit), so it is only the last resort. */
	if (lmc_controller_is_v2(cg))
		snprintf(file, sizeof(file), "cpuset.%s.effective", what);
	else
		snprintf(file, sizeof(file), "cpuset.effective_%s", what);
	r = lmc_cgfs_read(cg, C, parent, file, buf, size);
	if (r >= 0)
		return r;
	snprintf(file, sizeof(file), "cpuset.%s", what);
	return lmc_cgfs_read(cg, C, parent, file, buf, size);
}

static int check_subset(struct lmc_cgfs *cg, const char *name, const char *flag, const char *what,
			const char *want, struct lmc_err *err)
{
	char parent[LMC_NAME_MAX + 1], have[LMC_CPUSET_MAX * 4];
	struct bitmap w, h;
	int r;

	if (!want[0] || lmc_name_parent(name, parent, sizeof(parent)) < 0)
		return 0;
	r = parent_set(cg, parent, what, have, sizeof(have));
	if (r == -ENOENT)
		return 0; /* no cpuset files to compare with: the kernel decides */
	if (r < 0)
		return lmc_err_set(err, r, "%s: cannot read the cpuset of %s: %s",
				   lmc_name_display(name), lmc_name_display(parent), strerror(-r));
	have[strcspn(have, "\n")] = '\0';
	if (list_parse(want, &w) < 0)
		return lmc_err_set(err, -EINVAL, "%s: %s '%s' is not a valid list",
				   lmc_name_display(name), flag, want);
	if (list_parse(have, &h) < 0)
		return 0;
	for (size_t i = 0; i < ARRAY_SIZE(w.w); i++)
		if (w.w[i] & ~h.w[i])
			return lmc_err_set(err, -EINVAL,
					   "%s: %s %s is not a subset of %s's %s '%s'",
					   lmc_name_display(name), flag, want,
					   lmc_name_display(parent), what, have);
	return 0;
}

static int cpuset_validate(struct lmc_cgfs *cg, const char *name, const struct lmc_spec *spec,
			   struct lmc_err *err)
{
	int r = check_subset(cg, name, "cpu.cpus", "cpus", spec->cpu.cpus, err);

	if (r < 0)
		return r;
	return check_subset(cg, name, "cpu.mems", "mems", spec->cpu.mems, err);
}

/* Clearing a set: v2 takes an empty value (inherit the parent's); v1 cannot be empty while
 * tasks run, so it gets the parent's set back. */
static int set_one(struct lmc_cgfs *cg, const char *name, const char *what, const char *want,
		   bool had, struct lmc_err *err)
{
	char file[32], parent[LMC_NAME_MAX + 1], buf[LMC_CPUSET_MAX * 4];
	int r;

	snprintf(file, sizeof(file), "cpuset.%s", what);
	if (want[0])
		return lmc_controller_set(cg, C, name, file, want, err);
	if (!had)
		return 0;
	if (lmc_controller_is_v2(cg))
		return lmc_controller_set(cg, C, name, file, "\n", err);
	if (lmc_name_parent(name, parent, sizeof(parent)) < 0)
		return 0;
	r = parent_set(cg, parent, what, buf, sizeof(buf));
	if (r < 0)
		return lmc_err_set(err, r, "%s: cannot read the cpuset of %s: %s",
				   lmc_name_display(name), lmc_name_display(parent), strerror(-r));
	buf[strcspn(buf, "\n")] = '\0';
	return lmc_controller_set(cg, C, name, file, buf, err);
}

static int cpuset_apply(struct lmc_cgfs *cg, const char *name, const struct lmc_spec *spec,
			const struct lmc_spec *old, struct lmc_err *err)
{
	int r = set_one(cg, name, "cpus", spec->cpu.cpus, old && old->cpu.cpus[0], err);

	if (r < 0)
		return r;
	return set_one(cg, name, "mems", spec->cpu.mems, old && old->cpu.mems[0], err);
}

static const char *cpuset_asks(const struct lmc_spec *spec)
{
	if (spec->cpu.cpus[0])
		return "cpu.cpus";
	return spec->cpu.mems[0] ? "cpu.mems" : NULL;
}

const struct lmc_controller_ops lmc_controller_cpuset_ops = {
	.name = "cpuset",
	.ctrl = LMC_CTRL_CPUSET,
	.asks = cpuset_asks,
	.validate = cpuset_validate,
	.apply = cpuset_apply,
};
