/* cpu: weight (v1 cpu.shares / v2 cpu.weight) and the CFS bandwidth limit (v1
 * cpu.cfs_quota_us + cpu.cfs_period_us / v2 cpu.max); throttling statistics. */
#include <stdio.h>
#include <string.h>

#include "controllers/controller-internal.h"
#include "base/name.h"

#define SHARES_DEFAULT 1024
#define WEIGHT_DEFAULT 100

/* The quota cpu.c writes: the spec's, at least the kernel's floor (a spec read back from the
 * kernel with an odd period may round below it); LMC_UNSET for none. */
uint64_t lmc_controller_cpu_quota(const struct lmc_spec_cpu *c)
{
	uint64_t q = lmc_spec_cpu_quota(c);

	return q < LMC_SPEC_CPU_QUOTA_MIN_US ? LMC_SPEC_CPU_QUOTA_MIN_US : q;
}

static int cpu_validate(struct lmc_cgfs *cg, const char *name, const struct lmc_spec *spec,
			struct lmc_err *err)
{
	const struct lmc_spec_cpu *c = &spec->cpu;
	char v[32];

	(void)cg;
	if (c->limit_m == LMC_UNSET || c->limit_m <= UINT64_MAX / lmc_spec_cpu_period(c))
		return 0;
	lmc_format_cpus(c->limit_m, v, sizeof(v));
	return lmc_err_set(err, -ERANGE, "%s: cpu.limit_m %s is out of range",
			   lmc_name_display(name), v);
}

static int apply_weight(struct lmc_cgfs *cg, const char *name, const struct lmc_spec *spec,
			const struct lmc_spec *old, struct lmc_err *err)
{
	uint64_t shares = lmc_spec_cpu_shares(&spec->cpu);
	bool v2 = lmc_controller_is_v2(cg);

	if (shares == LMC_UNSET) {
		/* Nothing asked now: undo a weight an earlier spec gave. */
		if (!old || lmc_spec_cpu_shares(&old->cpu) == LMC_UNSET)
			return 0;
		shares = SHARES_DEFAULT;
		if (v2)
			return lmc_controller_set_u64(cg, LMC_CTRL_CPU, name, "cpu.weight",
						      WEIGHT_DEFAULT, err);
	}
	if (v2)
		return lmc_controller_set_u64(cg, LMC_CTRL_CPU, name, "cpu.weight",
					      lmc_conv_shares_to_weight(shares), err);
	return lmc_controller_set_u64(cg, LMC_CTRL_CPU, name, "cpu.shares", shares, err);
}

/* v1: a quota with a new period would briefly mean another rate, which the kernel may refuse
 * against the parent's; lift the quota first, set the period, then the quota. had_quota: an
 * earlier spec set one, to be lifted if none is asked now. */
static int apply_v1_limit(struct lmc_cgfs *cg, const char *name, uint64_t quota, uint64_t period,
			  bool had_quota, struct lmc_err *err)
{
	bool lifted = false;
	uint64_t cur;
	int r;

	if (lmc_cgfs_read_u64(cg, LMC_CTRL_CPU, name, "cpu.cfs_period_us", &cur) < 0 ||
	    cur != period) {
		r = lmc_controller_set(cg, LMC_CTRL_CPU, name, "cpu.cfs_quota_us",
				       LMC_CONTROLLER_V1_UNLIMITED, err);
		if (r < 0)
			return r;
		lifted = true;
		r = lmc_controller_set_u64(cg, LMC_CTRL_CPU, name, "cpu.cfs_period_us", period,
					   err);
		if (r < 0)
			return r;
	}
	if (quota != LMC_UNSET)
		return lmc_controller_set_u64(cg, LMC_CTRL_CPU, name, "cpu.cfs_quota_us", quota,
					      err);
	if (had_quota && !lifted)
		return lmc_controller_set(cg, LMC_CTRL_CPU, name, "cpu.cfs_quota_us",
					  LMC_CONTROLLER_V1_UNLIMITED, err);
	return 0;
}

static int apply_limit(struct lmc_cgfs *cg, const char *name, const struct lmc_spec *spec,
		       const struct lmc_spec *old, struct lmc_err *err)
{
	const struct lmc_spec_cpu *c = &spec->cpu;
	bool had_quota = old && old->cpu.limit_m != LMC_UNSET;
	bool had = had_quota || (old && old->cpu.period_us != LMC_UNSET);
	uint64_t quota = lmc_controller_cpu_quota(c);
	char buf[64];

	if (c->limit_m == LMC_UNSET && c->period_us == LMC_UNSET && !had)
		return 0;
	if (!lmc_controller_is_v2(cg))
		return apply_v1_limit(cg, name, quota, lmc_spec_cpu_period(c), had_quota, err);
	if (quota == LMC_UNSET)
		snprintf(buf, sizeof(buf), "max %llu", (unsigned long long)lmc_spec_cpu_period(c));
	else
		snprintf(buf, sizeof(buf), "%llu %llu", (unsigned long long)quota,
			 (unsigned long long)lmc_spec_cpu_period(c));
	return lmc_controller_set(cg, LMC_CTRL_CPU, name, "cpu.max", buf, err);
}

static int set_burst(struct lmc_cgfs *cg, const char *name, uint64_t us, struct lmc_err *err)
{
	return lmc_controller_set_u64(
		cg, LMC_CTRL_CPU, name,
		lmc_controller_is_v2(cg) ? "cpu.max.burst" : "cpu.cfs_burst_us", us, err);
}

/* The kernel refuses a burst above the quota: an old burst goes to 0 before the quota
 * changes, the new one is written after it. */
static int cpu_apply(struct lmc_cgfs *cg, const char *name, const struct lmc_spec *spec,
		     const struct lmc_spec *old, struct lmc_err *err)
{
	uint64_t burst = spec->cpu.burst_us;
	int r = apply_weight(cg, name, spec, old, err);

	if (r >= 0 && old && old->cpu.burst_us != LMC_UNSET && old->cpu.burst_us != 0)
		r = set_burst(cg, name, 0, err);
	if (r >= 0)
		r = apply_limit(cg, name, spec, old, err);
	if (r >= 0 && burst != LMC_UNSET && burst != 0)
		r = set_burst(cg, name, burst, err);
	return r;
}

/* v1 cpu.stat: nr_periods, nr_throttled, throttled_time (ns). v2 cpu.stat: the same counts,
 * throttled_usec, and usage/user/system in usec (v2 has no cpuacct). */
static int cpu_stats(struct lmc_cgfs *cg, const char *name, unsigned what, struct lmc_stats *st)
{
	(void)what;
	_cleanup_free_ char *buf = NULL;
	uint64_t us;

	if (lmc_cgfs_read_all(cg, LMC_CTRL_CPU, name, "cpu.stat", &buf) < 0)
		return 0;
	lmc_controller_stat_key(buf, "nr_periods", &st->cpu_nr_periods);
	lmc_controller_stat_key(buf, "nr_throttled", &st->cpu_nr_throttled);
	if (!lmc_controller_is_v2(cg)) {
		lmc_controller_stat_key(buf, "throttled_time", &st->cpu_throttled_ns);
		return 0;
	}
	if (lmc_cgfs_parse_key(buf, "throttled_usec", &us) >= 0)
		st->cpu_throttled_ns = us * 1000;
	if (lmc_cgfs_parse_key(buf, "usage_usec", &us) >= 0)
		st->cpu_usage_ns = us * 1000;
	if (lmc_cgfs_parse_key(buf, "user_usec", &us) >= 0)
		st->cpu_user_ns = us * 1000;
	if (lmc_cgfs_parse_key(buf, "system_usec", &us) >= 0)
		st->cpu_system_ns = us * 1000;
	return 0;
}

static const char *cpu_asks(const struct lmc_spec *spec)
{
	const struct lmc_spec_cpu *c = &spec->cpu;

	if (c->limit_m != LMC_UNSET)
		return "cpu.limit_m";
	if (c->reservation_m != LMC_UNSET)
		return "cpu.reservation_m";
	if (c->shares != LMC_UNSET)
		return "cpu.shares";
	if (c->period_us != LMC_UNSET)
		return "cpu.period_us";
	if (c->burst_us != LMC_UNSET)
		return "cpu.burst_us";
	return c->latency != LMC_LATENCY_UNSET ? "cpu.latency" : NULL;
}

const struct lmc_controller_ops lmc_controller_cpu_ops = {
	.name = "cpu",
	.ctrl = LMC_CTRL_CPU,
	.asks = cpu_asks,
	.validate = cpu_validate,
	.apply = cpu_apply,
	.stats = cpu_stats,
};
