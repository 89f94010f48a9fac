/* The controller table and what runs over it (validate, apply, stats, PSI), the v1 <-> v2
 * value conversions, and the helpers the controllers share. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "controllers/controller-internal.h"
#include "base/name.h"

/* Apply order; the entries are independent of one another, so any order is correct. */
const struct lmc_controller_ops *const lmc_controllers[] = {
	&lmc_controller_cpu_ops,	 &lmc_controller_cpuacct_ops,
	&lmc_controller_cpuset_ops,	 &lmc_controller_memory_ops,
	&lmc_controller_blkio_ops,	 &lmc_controller_pids_ops,
	&lmc_controller_descendants_ops, NULL,
};

bool lmc_controller_is_v2(const struct lmc_cgfs *cg)
{
	return lmc_cgfs_mode(cg) == LMC_CG_V2;
}

/* An update writes only the files whose values change (as systemd re-applies only what
 * changed): apply_all first runs the controllers over the old spec with writes recorded, not
 * made, then over the new one skipping every write that repeats a recorded one. Per thread:
 * the agent's workers and its loop apply independently. */
#define SETLOG_MAX 48

struct setlog {
	size_t n;
	bool overflow;
	struct {
		enum lmc_ctrl c;
		char file[48];
		char val[80];
	} e[SETLOG_MAX];
};

static __thread struct setlog *recording;
static __thread struct setlog *unchanged;

static bool setlog_has(const struct setlog *l, enum lmc_ctrl c, const char *file, const char *val)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->e[i].c == c && strcmp(l->e[i].file, file) == 0 &&
		    strcmp(l->e[i].val, val) == 0)
			return true;
	return false;
}

static void setlog_forget(struct setlog *l, enum lmc_ctrl c, const char *file)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->e[i].c == c && strcmp(l->e[i].file, file) == 0)
			l->e[i].file[0] = '\0';
}

static void setlog_add(struct setlog *l, enum lmc_ctrl c, const char *file, const char *val)
{
	if (l->n == SETLOG_MAX || strlen(file) >= sizeof(l->e[0].file) ||
	    strlen(val) >= sizeof(l->e[0].val)) {
		l->overflow = true;
		return;
	}
	l->e[l->n].c = c;
	strcpy(l->e[l->n].file, file);
	strcpy(l->e[l->n].val, val);
	l->n++;
}

int lmc_controller_write(struct lmc_cgfs *cg, enum lmc_ctrl c, const char *name, const char *file,
			 const char *val)
{
	if (recording) {
		setlog_add(recording, c, file, val);
		return 0;
	}
	if (unchanged && setlog_has(unchanged, c, file, val))
		return 0;
	/* a file written in this pass (v1's quota lifted before a new period) holds no longer
	 * what the old spec left: none of its later writes is skipped */
	if (unchanged)
		setlog_forget(unchanged, c, file);
	return lmc_cgfs_write(cg, c, name, file, val);
}

int lmc_controller_set(struct lmc_cgfs *cg, enum lmc_ctrl c, const char *name, const char *file,
		       const char *val, struct lmc_err *err)
{
	int r = lmc_controller_write(cg, c, name, file, val);
	/* v1 refuses a memory limit it cannot reclaim down to with EBUSY (v2 OOM-kills). */
	bool unreclaimable = r == -EBUSY && c == LMC_CTRL_MEMORY && strstr(file, "limit_in_bytes");

	if (r < 0)
		return lmc_err_set(err, r, "%s: cannot set %s to %s: %s%s", lmc_name_display(name),
				   file, val, strerror(-r),
				   unreclaimable
					   ? " (the kernel cannot reclaim that much of its memory)"
					   : "");
	return 0;
}

int lmc_controller_set_u64(struct lmc_cgfs *cg, enum lmc_ctrl c, const char *name, const char *file,
			   uint64_t v, struct lmc_err *err)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%llu", (unsigned long long)v);
	return lmc_controller_set(cg, c, name, file, buf, err);
}

void lmc_controller_stat_u64(struct lmc_cgfs *cg, enum lmc_ctrl c, const char *name,
			     const char *file, uint64_t *dst)
{
	uint64_t v;

	if (lmc_cgfs_read_u64(cg, c, name, file, &v) >= 0)
		*dst = v;
}

void lmc_controller_stat_key(const char *buf, const char *key, uint64_t *dst)
{
	uint64_t v;

	if (buf && lmc_cgfs_parse_key(buf, key, &v) >= 0)
		*dst = v;
}

int lmc_controller_validate_all(struct lmc_cgfs *cg, const char *name, const struct lmc_spec *spec,
				struct lmc_err *err)
{
	for (const struct lmc_controller_ops *const *o = lmc_controllers; *o; o++) {
		const char *flag = (*o)->asks ? (*o)->asks(spec) : NULL;
		int r;

		if (flag && !lmc_cgfs_has(cg, (*o)->ctrl))
			return lmc_err_set(
				err, -EOPNOTSUPP,
				"%s: %s needs the '%s' controller, which lmctl cannot use "
				"here: %s",
				lmc_name_display(name), flag,
				lmc_cgfs_ctrl_kernel_name(cg, (*o)->ctrl),
				lmc_cgfs_why(cg, (*o)->ctrl));
		if (!(*o)->validate || !lmc_cgfs_has(cg, (*o)->ctrl))
			continue;
		r = (*o)->validate(cg, name, spec, err);
		if (r < 0)
			return r;
	}
	return 0;
}

static int apply_each(struct lmc_cgfs *cg, const char *name, const struct lmc_spec *spec,
		      const struct lmc_spec *old, struct lmc_err *err)
{
	int r;

	for (const struct lmc_controller_ops *const *o = lmc_controllers; *o; o++) {
		if (!(*o)->apply || !lmc_cgfs_has(cg, (*o)->ctrl))
			continue;
		r = (*o)->apply(cg, name, spec, old, err);
		if (r < 0)
			return r;
	}
	return 0;
}

int lmc_controller_apply_all(struct lmc_cgfs *cg, const char *name, const struct lmc_spec *spec,
			     const struct lmc_spec *old, struct lmc_err *err)
{
	struct setlog log = {0};
	int r;

	if (!old || recording || unchanged)
		return apply_each(cg, name, spec, old, err);
	/* what the old spec wrote; a controller that cannot say (it fails) skips nothing */
	recording = &log;
	r = apply_each(cg, name, old, NULL, NULL);
	recording = NULL;
	if (r < 0 || log.overflow)
		return apply_each(cg, name, spec, old, err);
	unchanged = &log;
	r = apply_each(cg, name, spec, old, err);
	unchanged = NULL;
	return r;
}

int lmc_controller_create(struct lmc_cgfs *cg, const char *name, const struct lmc_spec *spec,
			  struct lmc_err *err)
{
	struct lmc_cgfs_newset set = {.cpus = spec->cpu.cpus, .mems = spec->cpu.mems};
	struct setlog log = {0};
	int r = lmc_cgfs_create_set(cg, name, &set, err);

	if (r < 0)
		return r;
	if (set.wrote_cpus)
		setlog_add(&log, LMC_CTRL_CPUSET, "cpuset.cpus", spec->cpu.cpus);
	if (set.wrote_mems)
		setlog_add(&log, LMC_CTRL_CPUSET, "cpuset.mems", spec->cpu.mems);
	unchanged = &log;
	r = apply_each(cg, name, spec, NULL, err);
	unchanged = NULL;
	if (r < 0)
		lmc_cgfs_remove(cg, name, NULL);
	return r;
}

static int stats_psi(struct lmc_cgfs *cg, const char *name, struct lmc_stats *st)
{
	static const char *const res[] = {"cpu", "memory", "io"};
	struct lmc_psi *dst[] = {&st->psi_cpu, &st->psi_memory, &st->psi_io};

	for (size_t i = 0; i < ARRAY_SIZE(res); i++) {
		struct lmc_psi p = {0};
		int r = lmc_cgfs_read_psi(cg, name, res[i], &p);

		/* No PSI (v1 only, or a kernel without it) is "not available", not a failure. */
		if (r == -ENOENT || r == -EOPNOTSUPP || r == -ENODEV)
			continue;
		if (r < 0)
			return r;
		*dst[i] = p;
		dst[i]->present = true;
	}
	return 0;
}

static bool dir_exists(struct lmc_cgfs *cg, const char *name)
{
	for (int c = 0; c < LMC_CTRL__MAX; c++)
		if (lmc_cgfs_has(cg, c))
			return lmc_cgfs_dir_exists(cg, c, name);
	return false;
}

int lmc_controller_stats_all(struct lmc_cgfs *cg, const char *name, struct lmc_stats *st)
{
	return lmc_controller_stats_read(cg, name, LMC_STATS_LIMITS, st);
}

/* The resource whose figures a controller's stats fill. */
static unsigned stat_field(enum lmc_ctrl c)
{
	switch (c) {
	case LMC_CTRL_CPU:
	case LMC_CTRL_CPUACCT:
		return LMC_STATF_CPU;
	case LMC_CTRL_MEMORY:
		return LMC_STATF_MEMORY;
	case LMC_CTRL_BLKIO:
		return LMC_STATF_IO;
	case LMC_CTRL_PIDS:
		return LMC_STATF_PIDS;
	default:
		return LMC_STATF_ALL;
	}
}

int lmc_controller_stats_read(struct lmc_cgfs *cg, const char *name, unsigned what,
			      struct lmc_stats *st)
{
	lmc_stats_init(st);
	if (!(what & LMC_STATF_ALL))
		what |= LMC_STATF_ALL;
	/* One directory checked, not every hierarchy's (8 fstatat a container were a third of
	 * `stats -r`): a container that is gone is gone everywhere. Its kept fd answers
	 * without a system call. */
	int r = 0;

	lmc_cgfs_pin(cg, name);
	if (!dir_exists(cg, name))
		r = -ENOENT;
	for (const struct lmc_controller_ops *const *o = lmc_controllers; r >= 0 && *o; o++) {
		if (!(*o)->stats || !lmc_cgfs_has(cg, (*o)->ctrl) ||
		    !(what & stat_field((*o)->ctrl)))
			continue;
		r = (*o)->stats(cg, name, what, st);
	}
	if (r >= 0 && (what & LMC_STATF_PRESSURE) &&
	    (lmc_cgfs_has(cg, LMC_CTRL_UNIFIED) || lmc_controller_is_v2(cg)))
		r = stats_psi(cg, name, st);
	lmc_cgfs_unpin(cg);
	return r;
}

/* ---- conversions, without libm (the build does not link it) ---- */

/* log2 of an integer: the exponent, then the fraction bit by bit by repeated squaring. */
static double log2_u64(uint64_t x)
{
	int n = 63 - __builtin_clzll(x);
	double y = (double)x / (double)(UINT64_C(1) << n), r = n, bit = 0.5;

	for (int i = 0; i < 53 && y != 1.0; i++, bit /= 2) {
		y *= y;
		if (y >= 2.0) {
			y /= 2.0;
			r += bit;
		}
	}
	return r;
}

/* 10^e for e >= 0: 10^int times exp(frac * ln 10) by its Taylor series (frac * ln 10 < 2.31,
 * so 40 terms are far past double precision). */
static double pow10_pos(double e)
{
	int k = (int)e;
	double x = (e - k) * 2.302585092994045684, term = 1.0, sum = 1.0;

	for (int i = 1; i < 40; i++) {
		term *= x / i;
		sum += term;
	}
	while (k-- > 0)
		sum *= 10.0;
	return sum;
}

/* crun's mapping: weight = ceil(10^((l^2 + 125 l) / 612 - 7/34)), l = log2(shares); the same
 * exponent factors as (l - 1)(l + 126) / 612, which is exact at the powers of two the
 * known points use (2 -> 1, 1024 -> 100, 262144 -> 10000). */
uint64_t lmc_conv_shares_to_weight(uint64_t shares)
{
	double l, v;
	uint64_t w;

	if (shares <= 2)
		return 1;
	if (shares >= 262144)
		return 10000;
	l = log2_u64(shares);
	v = pow10_pos((l - 1.0) * (l + 126.0) / 612.0);
	w = (uint64_t)v;
	/* ceil, tolerant of the last bits of rounding in our own log and exp */
	if ((double)w < v - 1e-9)
		w++;
	return w < 1 ? 1 : (w > 10000 ? 10000 : w);
}

/* runc/crun: io.weight = 1 + (blkio.weight - 10) * 9999 / 990. */
uint64_t lmc_conv_blkio_to_io_weight(uint64_t weight)
{
	if (weight <= 10)
		return 1;
	if (weight >= 1000)
		return 10000;
	return 1 + (weight - 10) * 9999 / 990;
}
