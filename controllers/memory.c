/* memory: hard limit, reservation (v1 soft limit / v2 memory.low), high, swap and oom group;
 * usage statistics. v1 keeps memory.limit_in_bytes <= memory.memsw.limit_in_bytes at every
 * write, so the two are written in the order that holds it. */
#include <stdio.h>
#include <string.h>

#include "controllers/controller-internal.h"
#include "base/name.h"

#define M LMC_CTRL_MEMORY
#define MEMSW "memory.memsw.limit_in_bytes"

/* Does file exist for name, or (not created yet) for its nearest existing ancestor? */
static bool file_here_or_above(struct lmc_cgfs *cg, const char *name, const char *file)
{
	char cur[LMC_NAME_MAX + 1], up[LMC_NAME_MAX + 1];

	snprintf(cur, sizeof(cur), "%s", name);
	for (;;) {
		if (lmc_cgfs_file_exists(cg, M, cur, file))
			return true;
		if (lmc_cgfs_exists(cg, cur) || cur[0] == '\0' ||
		    lmc_name_parent(cur, up, sizeof(up)) < 0)
			return false;
		memcpy(cur, up, sizeof(cur));
	}
}

static int memory_validate(struct lmc_cgfs *cg, const char *name, const struct lmc_spec *spec,
			   struct lmc_err *err)
{
	const struct lmc_spec_memory *m = &spec->memory;
	const char *n = lmc_name_display(name), *mode = lmc_cg_mode_name(lmc_cgfs_mode(cg));
	bool v2 = lmc_controller_is_v2(cg);

	if (!v2 && m->high != LMC_UNSET)
		return lmc_err_set(
			err, -EOPNOTSUPP,
			"%s: memory.high needs cgroup v2 (this host's memory controller is %s)", n,
			mode);
	if (!v2 && m->oom_group == 1)
		return lmc_err_set(
			err, -EOPNOTSUPP,
			"%s: memory.oom_group needs cgroup v2 (this host's memory controller is %s)",
			n, mode);
	/* swap without a limit is lmc_spec_validate's refusal, made before this one */
	if (m->swap == LMC_UNSET)
		return 0;
	if (!file_here_or_above(cg, name, v2 ? "memory.swap.max" : MEMSW))
		return lmc_err_set(err, -EOPNOTSUPP,
				   "%s: memory.swap: swap accounting is not enabled on this kernel",
				   n);
	return 0;
}

/* The value to write for a field: the new one, the kernel default where an earlier spec set
 * it and this one does not, or NULL for nothing to write. */
static const char *target(uint64_t now, bool had, const char *dflt, char *buf, size_t size)
{
	if (now != LMC_UNSET) {
		snprintf(buf, size, "%llu", (unsigned long long)now);
		return buf;
	}
	return had ? dflt : NULL;
}

static int set_opt(struct lmc_cgfs *cg, const char *name, const char *file, const char *val,
		   struct lmc_err *err)
{
	return val ? lmc_controller_set(cg, M, name, file, val, err) : 0;
}

/* Raising memsw (to at least its current value) goes first, lowering goes last, so that
 * limit <= memsw holds before, between and after the two writes. */
static bool memsw_first(struct lmc_cgfs *cg, const char *name, uint64_t swap,
			const struct lmc_spec *old)
{
	uint64_t cur;

	if (lmc_cgfs_read_u64(cg, M, name, MEMSW, &cur) < 0)
		cur = old ? old->memory.swap : LMC_UNSET;
	if (cur >= LMC_CONTROLLER_V1_HUGE)
		cur = LMC_UNSET;
	return swap >= cur; /* LMC_UNSET (-1) is the largest of all */
}

static int apply_v1(struct lmc_cgfs *cg, const char *name, const struct lmc_spec *spec,
		    const struct lmc_spec *old, struct lmc_err *err)
{
	const struct lmc_spec_memory *m = &spec->memory;
	const char *lim, *sw, *soft, *minus1 = LMC_CONTROLLER_V1_UNLIMITED;
	char b1[32], b2[32], b3[32];
	int r;

	lim = target(m->limit, old && old->memory.limit != LMC_UNSET, minus1, b1, sizeof(b1));
	sw = target(m->swap, old && old->memory.swap != LMC_UNSET, minus1, b2, sizeof(b2));
	soft = target(m->reservation, old && old->memory.reservation != LMC_UNSET, minus1, b3,
		      sizeof(b3));
	if (sw && memsw_first(cg, name, m->swap, old)) {
		if ((r = set_opt(cg, name, MEMSW, sw, err)) < 0 ||
		    (r = set_opt(cg, name, "memory.limit_in_bytes", lim, err)) < 0)
			return r;
	} else {
		if ((r = set_opt(cg, name, "memory.limit_in_bytes", lim, err)) < 0 ||
		    (r = set_opt(cg, name, MEMSW, sw, err)) < 0)
			return r;
	}
	return set_opt(cg, name, "memory.soft_limit_in_bytes", soft, err);
}

static int apply_v2(struct lmc_cgfs *cg, const char *name, const struct lmc_spec *spec,
		    const struct lmc_spec *old, struct lmc_err *err)
{
	const struct lmc_spec_memory *m = &spec->memory;
	const struct lmc_spec_memory *o = old ? &old->memory : NULL;
	char b[4][32];
	struct {
		const char *file, *val;
	} w[] = {
		{"memory.max", target(m->limit, o && o->limit != LMC_UNSET, "max", b[0], 32)},
		{"memory.low",
		 target(m->reservation, o && o->reservation != LMC_UNSET, "0", b[1], 32)},
		{"memory.high", target(m->high, o && o->high != LMC_UNSET, "max", b[2], 32)},
		{"memory.swap.max", NULL},
		{"memory.oom.group", NULL},
	};

	/* docker's --memory-swap is memory plus swap; memory.swap.max is the swap alone. */
	if (m->swap != LMC_UNSET && m->limit != LMC_UNSET)
		w[3].val = target(m->swap - m->limit, false, NULL, b[3], 32);
	else if (o && o->swap != LMC_UNSET)
		w[3].val = "max";
	if (m->oom_group >= 0)
		w[4].val = m->oom_group ? "1" : "0";
	else if (o && o->oom_group >= 0)
		w[4].val = "0";
	for (size_t i = 0; i < ARRAY_SIZE(w); i++) {
		int r = set_opt(cg, name, w[i].file, w[i].val, err);

		if (r < 0)
			return r;
	}
	return 0;
}

static int memory_apply(struct lmc_cgfs *cg, const char *name, const struct lmc_spec *spec,
			const struct lmc_spec *old, struct lmc_err *err)
{
	if (lmc_controller_is_v2(cg))
		return apply_v2(cg, name, spec, old, err);
	return apply_v1(cg, name, spec, old, err);
}

/* The first of two keys that is present (v1 memory.stat: total_* are hierarchical). */
static void stat_key2(const char *buf, const char *k1, const char *k2, uint64_t *dst)
{
	uint64_t v;

	if (lmc_cgfs_parse_key(buf, k1, &v) >= 0 || lmc_cgfs_parse_key(buf, k2, &v) >= 0)
		*dst = v;
}

static void stats_v1(struct lmc_cgfs *cg, const char *name, unsigned what, struct lmc_stats *st)
{
	_cleanup_free_ char *stat = NULL, *oom = NULL;
	uint64_t lim = LMC_UNSET;

	lmc_controller_stat_u64(cg, M, name, "memory.usage_in_bytes", &st->mem_usage);
	lmc_controller_stat_u64(cg, M, name, "memory.max_usage_in_bytes", &st->mem_peak);
	if (what & LMC_STATS_LIMITS) {
		lmc_controller_stat_u64(cg, M, name, "memory.limit_in_bytes", &lim);
		st->mem_limit = lim >= LMC_CONTROLLER_V1_HUGE ? LMC_UNSET : lim;
	}
	lmc_controller_stat_u64(cg, M, name, "memory.failcnt", &st->mem_failcnt);
	if (lmc_cgfs_read_all(cg, M, name, "memory.stat", &stat) >= 0) {
		stat_key2(stat, "total_rss", "rss", &st->mem_rss);
		stat_key2(stat, "total_cache", "cache", &st->mem_cache);
		stat_key2(stat, "total_swap", "swap", &st->mem_swap);
		stat_key2(stat, "total_inactive_file", "inactive_file", &st->mem_inactive_file);
	}
	if (lmc_cgfs_read_all(cg, M, name, "memory.oom_control", &oom) >= 0)
		lmc_controller_stat_key(oom, "oom_kill", &st->mem_oom_kills);
}

static void stats_v2(struct lmc_cgfs *cg, const char *name, unsigned what, struct lmc_stats *st)
{
	_cleanup_free_ char *stat = NULL, *ev = NULL;

	lmc_controller_stat_u64(cg, M, name, "memory.current", &st->mem_usage);
	lmc_controller_stat_u64(cg, M, name, "memory.peak", &st->mem_peak);
	if (what & LMC_STATS_LIMITS)
		lmc_controller_stat_u64(cg, M, name, "memory.max", &st->mem_limit);
	lmc_controller_stat_u64(cg, M, name, "memory.swap.current", &st->mem_swap);
	if (lmc_cgfs_read_all(cg, M, name, "memory.stat", &stat) >= 0) {
		lmc_controller_stat_key(stat, "anon", &st->mem_rss);
		lmc_controller_stat_key(stat, "file", &st->mem_cache);
		lmc_controller_stat_key(stat, "inactive_file", &st->mem_inactive_file);
	}
	/* "max": times usage hit memory.max, the closest thing to v1's failcnt. */
	if (lmc_cgfs_read_all(cg, M, name, "memory.events", &ev) >= 0) {
		lmc_controller_stat_key(ev, "max", &st->mem_failcnt);
		lmc_controller_stat_key(ev, "oom", &st->mem_oom_events);
		lmc_controller_stat_key(ev, "oom_kill", &st->mem_oom_kills);
	}
}

static int memory_stats(struct lmc_cgfs *cg, const char *name, unsigned what, struct lmc_stats *st)
{
	if (lmc_controller_is_v2(cg))
		stats_v2(cg, name, what, st);
	else
		stats_v1(cg, name, what, st);
	return 0;
}

static const char *memory_asks(const struct lmc_spec *spec)
{
	const struct lmc_spec_memory *m = &spec->memory;

	if (m->limit != LMC_UNSET)
		return "memory.limit";
	if (m->reservation != LMC_UNSET)
		return "memory.reservation";
	if (m->high != LMC_UNSET)
		return "memory.high";
	if (m->swap != LMC_UNSET)
		return "memory.swap";
	return m->oom_group >= 0 ? "memory.oom_group" : NULL;
}

const struct lmc_controller_ops lmc_controller_memory_ops = {
	.name = "memory",
	.ctrl = LMC_CTRL_MEMORY,
	.asks = memory_asks,
	.validate = memory_validate,
	.apply = memory_apply,
	.stats = memory_stats,
};
