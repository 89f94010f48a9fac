/* A container's limits read back from the kernel's files: is a stored spec in force (start-up
 * reconciliation after a crash between a record and its kernel write), and what does a
 * container hold whose record was lost (adoption). Only the limits are read: weights,
 * cpusets, throttles and the memory extras are re-applied from the spec, not compared. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "controllers/controller-internal.h"

struct limits {
	bool has_mem, has_pids, has_cpu;
	bool no_period; /* v1's period not read (read_limits with want_period false) */
	uint64_t mem, pids, quota, period; /* LMC_UNSET: no limit */
};

static int read_memory(struct lmc_cgfs *cg, const char *name, uint64_t *ret)
{
	bool v2 = lmc_controller_is_v2(cg);
	uint64_t v;
	int r = lmc_cgfs_read_u64(cg, LMC_CTRL_MEMORY, name,
				  v2 ? "memory.max" : "memory.limit_in_bytes", &v);

	if (r < 0)
		return r;
	*ret = !v2 && v >= LMC_CONTROLLER_V1_HUGE ? LMC_UNSET : v;
	return 0;
}

static int read_period_v1(struct lmc_cgfs *cg, const char *name, struct limits *k)
{
	int r = lmc_cgfs_read_u64(cg, LMC_CTRL_CPU, name, "cpu.cfs_period_us", &k->period);

	if (r >= 0 && k->period == 0)
		r = -EBADMSG;
	if (r >= 0)
		k->no_period = false;
	return r;
}

/* want_period false: v1's cpu.cfs_period_us is read only if a quota is set (it is
 * compared then); a start's reconciliation reads one file less per container. */
static int read_cpu(struct lmc_cgfs *cg, const char *name, bool want_period, struct limits *k)
{
	char buf[64], q[32];
	unsigned long long p;
	int r;

	if (lmc_controller_is_v2(cg)) {
		r = lmc_cgfs_read(cg, LMC_CTRL_CPU, name, "cpu.max", buf, sizeof(buf));
		if (r < 0)
			return r;
		if (sscanf(buf, "%31s %llu", q, &p) != 2)
			return -EBADMSG;
		k->period = p;
	} else {
		r = lmc_cgfs_read(cg, LMC_CTRL_CPU, name, "cpu.cfs_quota_us", q, sizeof(q));
		if (r < 0)
			return r;
		k->no_period = true;
	}
	/* "max" on v2, -1 on v1: no quota */
	k->quota = q[0] == 'm' || q[0] == '-' ? LMC_UNSET : strtoull(q, NULL, 10);
	if (k->no_period && (want_period || k->quota != LMC_UNSET))
		return read_period_v1(cg, name, k);
	if (k->no_period)
		k->period = LMC_SPEC_CPU_PERIOD_DEFAULT_US; /* not compared: no quota either side */
	return 0;
}

static int read_limits(struct lmc_cgfs *cg, const char *name, bool want_period, struct limits *k)
{
	int r = 0;

	memset(k, 0, sizeof(*k));
	k->has_mem = lmc_cgfs_has(cg, LMC_CTRL_MEMORY);
	k->has_pids = lmc_cgfs_has(cg, LMC_CTRL_PIDS);
	k->has_cpu = lmc_cgfs_has(cg, LMC_CTRL_CPU);
	if (k->has_mem)
		r = read_memory(cg, name, &k->mem);
	if (r >= 0 && k->has_pids)
		r = lmc_cgfs_read_u64(cg, LMC_CTRL_PIDS, name, "pids.max", &k->pids);
	if (r >= 0 && k->has_cpu)
		r = read_cpu(cg, name, want_period, k);
	if (r >= 0 && k->has_cpu && k->period == 0)
		r = -EBADMSG;
	return r;
}

static void spec_of(const struct limits *k, struct lmc_spec *ret)
{
	lmc_spec_init(ret);
	if (k->has_mem)
		ret->memory.limit = k->mem;
	if (k->has_pids)
		ret->pids.limit = k->pids;
	if (k->has_cpu && k->period != LMC_SPEC_CPU_PERIOD_DEFAULT_US)
		ret->cpu.period_us = k->period;
	if (k->has_cpu && k->quota != LMC_UNSET)
		ret->cpu.limit_m = k->quota * 1000 / k->period;
}

int lmc_controller_read_spec(struct lmc_cgfs *cg, const char *name, struct lmc_spec *ret)
{
	struct limits k;
	int r = read_limits(cg, name, true, &k);

	if (r < 0)
		return r;
	spec_of(&k, ret);
	return 0;
}

/* The kernel keeps memory limits in whole pages: compare what it can hold. */
static uint64_t pages(uint64_t bytes)
{
	long ps = sysconf(_SC_PAGESIZE);

	return bytes == LMC_UNSET ? LMC_UNSET : bytes / (uint64_t)(ps > 0 ? ps : 4096);
}

static void say(char *why, size_t size, size_t *len, const char *file, uint64_t is, uint64_t want)
{
	char a[24] = "max", b[24] = "max";

	if (is != LMC_UNSET)
		snprintf(a, sizeof(a), "%llu", (unsigned long long)is);
	if (want != LMC_UNSET)
		snprintf(b, sizeof(b), "%llu", (unsigned long long)want);
	if (*len < size)
		*len += (size_t)snprintf(why + *len, size - *len, "%s%s is %s, the spec says %s",
					 *len ? ", " : "", file, a, b);
}

int lmc_controller_diff(struct lmc_cgfs *cg, const char *name, const struct lmc_spec *spec,
			struct lmc_spec *ret_kernel, char *why, size_t size)
{
	const struct lmc_spec_cpu *c = &spec->cpu;
	uint64_t quota = lmc_controller_cpu_quota(c);
	uint64_t period = lmc_spec_cpu_period(c);
	bool v2 = lmc_controller_is_v2(cg);
	size_t len = 0;
	struct limits k;
	bool want_period = quota != LMC_UNSET || c->period_us != LMC_UNSET;
	int r = read_limits(cg, name, want_period, &k);

	if (r < 0)
		return r;
	if (size)
		why[0] = '\0';
	if (k.has_mem && pages(k.mem) != pages(spec->memory.limit))
		say(why, size, &len, v2 ? "memory.max" : "memory.limit_in_bytes", k.mem,
		    spec->memory.limit);
	if (k.has_pids && k.pids != spec->pids.limit)
		say(why, size, &len, "pids.max", k.pids, spec->pids.limit);
	if (k.has_cpu && k.quota != quota)
		say(why, size, &len, v2 ? "cpu.max quota" : "cpu.cfs_quota_us", k.quota, quota);
	if (k.has_cpu && (quota != LMC_UNSET || c->period_us != LMC_UNSET) && k.period != period)
		say(why, size, &len, v2 ? "cpu.max period" : "cpu.cfs_period_us", k.period, period);
	/* the kernel's values in full for a re-apply (the period too where it was not read) */
	if (ret_kernel && len && k.has_cpu && k.no_period) {
		r = read_period_v1(cg, name, &k);
		if (r < 0)
			return r;
	}
	if (ret_kernel)
		spec_of(&k, ret_kernel);
	return len ? 1 : 0;
}
