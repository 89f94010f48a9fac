/* blkio: proportional weight (v1 blkio.bfq.weight or blkio.weight / v2 io.weight) and
 * per-device throttles (v1 blkio.throttle.*_device / v2 io.max); I/O statistics. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controllers/controller-internal.h"
#include "base/name.h"

#define B LMC_CTRL_BLKIO

/* The four throttles, in struct lmc_throttle order. */
static const struct {
	const char *flag, *v1_file, *v2_key;
	size_t off;
} rates[] = {
	{"blkio.throttles.read_bps", "blkio.throttle.read_bps_device", "rbps",
	 offsetof(struct lmc_throttle, read_bps)},
	{"blkio.throttles.write_bps", "blkio.throttle.write_bps_device", "wbps",
	 offsetof(struct lmc_throttle, write_bps)},
	{"blkio.throttles.read_iops", "blkio.throttle.read_iops_device", "riops",
	 offsetof(struct lmc_throttle, read_iops)},
	{"blkio.throttles.write_iops", "blkio.throttle.write_iops_device", "wiops",
	 offsetof(struct lmc_throttle, write_iops)},
};

static uint64_t rate(const struct lmc_throttle *t, size_t i)
{
	return t ? *(const uint64_t *)((const char *)t + rates[i].off) : LMC_UNSET;
}

static int apply_weight(struct lmc_cgfs *cg, const char *name, uint64_t w, bool had,
			struct lmc_err *err)
{
	const char *file = "blkio.weight";
	uint64_t dflt = 500;
	char buf[32];

	if (w == LMC_UNSET && !had)
		return 0;
	if (lmc_controller_is_v2(cg)) {
		snprintf(buf, sizeof(buf), "default %llu",
			 (unsigned long long)(w == LMC_UNSET ? 100
							     : lmc_conv_blkio_to_io_weight(w)));
		return lmc_controller_set(cg, B, name, "io.weight", buf, err);
	}
	/* Kernels without CFQ have only BFQ's weight file (default 100). */
	if (lmc_cgfs_file_exists(cg, B, name, "blkio.bfq.weight")) {
		file = "blkio.bfq.weight";
		dflt = 100;
	}
	return lmc_controller_set_u64(cg, B, name, file, w == LMC_UNSET ? dflt : w, err);
}

/* The kernel refuses a device that does not exist (or has no queue) with its own errno. */
static int throttle_err(const char *name, const char *flags, const struct lmc_throttle *t,
			const char *file, const char *val, int r, struct lmc_err *err)
{
	return lmc_err_set(err, r, "%s: %s for device %s: cannot set %s to '%s': %s",
			   lmc_name_display(name), flags, t->path[0] ? t->path : "?", file, val,
			   strerror(-r));
}

/* v1: one file per rate; a rate an earlier spec set and this one does not goes back to 0
 * (no limit). cur may be NULL (the device is gone from the spec). */
static int v1_device(struct lmc_cgfs *cg, const char *name, const struct lmc_throttle *cur,
		     const struct lmc_throttle *prev, struct lmc_err *err)
{
	const struct lmc_throttle *t = cur ? cur : prev;

	for (size_t i = 0; i < ARRAY_SIZE(rates); i++) {
		uint64_t v = rate(cur, i);
		char val[64];
		int r;

		if (v == LMC_UNSET && rate(prev, i) == LMC_UNSET)
			continue;
		snprintf(val, sizeof(val), "%u:%u %llu", t->major, t->minor,
			 (unsigned long long)(v == LMC_UNSET ? 0 : v));
		r = lmc_controller_write(cg, B, name, rates[i].v1_file, val);
		if (r < 0)
			return throttle_err(name, rates[i].flag, t, rates[i].v1_file, val, r, err);
	}
	return 0;
}

/* v2: one io.max line per device with only the keys to change. */
static int v2_device(struct lmc_cgfs *cg, const char *name, const struct lmc_throttle *cur,
		     const struct lmc_throttle *prev, struct lmc_err *err)
{
	const struct lmc_throttle *t = cur ? cur : prev;
	char val[256], flags[128] = "";
	size_t n;
	int r;

	n = (size_t)snprintf(val, sizeof(val), "%u:%u", t->major, t->minor);
	for (size_t i = 0; i < ARRAY_SIZE(rates); i++) {
		uint64_t v = rate(cur, i);

		if (v == LMC_UNSET && rate(prev, i) == LMC_UNSET)
			continue;
		if (v == LMC_UNSET)
			n += (size_t)snprintf(val + n, sizeof(val) - n, " %s=max", rates[i].v2_key);
		else
			n += (size_t)snprintf(val + n, sizeof(val) - n, " %s=%llu", rates[i].v2_key,
					      (unsigned long long)v);
		snprintf(flags + strlen(flags), sizeof(flags) - strlen(flags), "%s%s",
			 flags[0] ? "," : "", rates[i].flag);
	}
	if (!flags[0])
		return 0;
	r = lmc_controller_write(cg, B, name, "io.max", val);
	if (r < 0)
		return throttle_err(name, flags, t, "io.max", val, r, err);
	return 0;
}

int lmc_controller_apply_throttles(struct lmc_cgfs *cg, const char *name,
				   const struct lmc_spec_blkio *b, const struct lmc_spec_blkio *ob,
				   struct lmc_err *err)
{
	int (*dev)(struct lmc_cgfs *, const char *, const struct lmc_throttle *,
		   const struct lmc_throttle *,
		   struct lmc_err *) = lmc_controller_is_v2(cg) ? v2_device : v1_device;
	int r = 0;

	if (!lmc_cgfs_has(cg, B))
		return 0;
	for (unsigned i = 0; r >= 0 && i < b->n_throttles; i++) {
		const struct lmc_throttle *t = &b->throttles[i];

		r = dev(cg, name, t, lmc_spec_throttle_find(ob, t->major, t->minor), err);
	}
	/* Devices an earlier spec throttled and this one no longer names. */
	for (unsigned i = 0; r >= 0 && ob && i < ob->n_throttles; i++) {
		const struct lmc_throttle *t = &ob->throttles[i];

		if (!lmc_spec_throttle_find(b, t->major, t->minor))
			r = dev(cg, name, NULL, t, err);
	}
	return r < 0 ? r : 0;
}

static int blkio_apply(struct lmc_cgfs *cg, const char *name, const struct lmc_spec *spec,
		       const struct lmc_spec *old, struct lmc_err *err)
{
	const struct lmc_spec_blkio *b = &spec->blkio, *ob = old ? &old->blkio : NULL;
	int r = apply_weight(cg, name, b->weight, ob && ob->weight != LMC_UNSET, err);

	return r < 0 ? r : lmc_controller_apply_throttles(cg, name, b, ob, err);
}

/* v1 "maj:min Read N" lines, summed over devices (the "Total" lines have no device). */
static void sum_v1(const char *buf, uint64_t *rd, uint64_t *wr)
{
	uint64_t r = 0, w = 0;

	for (const char *p = buf; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		unsigned maj, min;
		unsigned long long v;
		char op[16];

		if (sscanf(p, "%u:%u %15s %llu", &maj, &min, op, &v) != 4)
			continue;
		if (strcmp(op, "Read") == 0)
			r += v;
		else if (strcmp(op, "Write") == 0)
			w += v;
	}
	*rd = r;
	*wr = w;
}

static void stats_v1_file(struct lmc_cgfs *cg, const char *name, const char *file, uint64_t *rd,
			  uint64_t *wr)
{
	_cleanup_free_ char *buf = NULL;
	char rec[96];

	/* The recursive files count the whole subtree; older kernels have only the others. */
	snprintf(rec, sizeof(rec), "%s_recursive", file);
	if (lmc_cgfs_read_all(cg, B, name, rec, &buf) < 0 &&
	    lmc_cgfs_read_all(cg, B, name, file, &buf) < 0)
		return;
	sum_v1(buf, rd, wr);
}

/* v2 io.stat: "maj:min rbytes=N wbytes=N rios=N wios=N dbytes=N dios=N" per device. */
static void sum_v2(char *buf, struct lmc_stats *st)
{
	uint64_t *dst[] = {&st->io_read_bytes, &st->io_write_bytes, &st->io_read_ops,
			   &st->io_write_ops};
	static const char *const keys[] = {"rbytes", "wbytes", "rios", "wios"};
	uint64_t sum[4] = {0};
	char *sl, *sw;

	for (char *line = strtok_r(buf, "\n", &sl); line; line = strtok_r(NULL, "\n", &sl)) {
		for (char *tok = strtok_r(line, " ", &sw); tok; tok = strtok_r(NULL, " ", &sw)) {
			char *eq = strchr(tok, '=');

			if (!eq)
				continue;
			*eq = '\0';
			for (size_t i = 0; i < ARRAY_SIZE(keys); i++)
				if (strcmp(tok, keys[i]) == 0)
					sum[i] += strtoull(eq + 1, NULL, 10);
		}
	}
	for (size_t i = 0; i < ARRAY_SIZE(keys); i++)
		*dst[i] = sum[i];
}

static int blkio_stats(struct lmc_cgfs *cg, const char *name, unsigned what, struct lmc_stats *st)
{
	_cleanup_free_ char *buf = NULL;

	(void)what;
	if (!lmc_controller_is_v2(cg)) {
		stats_v1_file(cg, name, "blkio.throttle.io_service_bytes", &st->io_read_bytes,
			      &st->io_write_bytes);
		stats_v1_file(cg, name, "blkio.throttle.io_serviced", &st->io_read_ops,
			      &st->io_write_ops);
		return 0;
	}
	if (lmc_cgfs_read_all(cg, B, name, "io.stat", &buf) >= 0)
		sum_v2(buf, st);
	return 0;
}

static const char *blkio_asks(const struct lmc_spec *spec)
{
	static const char *const flags[] = {"blkio.throttles.read_bps", "blkio.throttles.write_bps",
					    "blkio.throttles.read_iops",
					    "blkio.throttles.write_iops"};

	if (spec->blkio.weight != LMC_UNSET)
		return "blkio.weight";
	for (unsigned i = 0; i < spec->blkio.n_throttles; i++) {
		const struct lmc_throttle *t = &spec->blkio.throttles[i];
		const uint64_t v[] = {t->read_bps, t->write_bps, t->read_iops, t->write_iops};

		for (size_t k = 0; k < ARRAY_SIZE(v); k++)
			if (v[k] != LMC_UNSET)
				return flags[k];
	}
	return NULL;
}

/* A weight needs a proportional I/O policy: CFQ's blkio.weight or BFQ's blkio.bfq.weight on
 * v1, io.weight on v2 (iocost or BFQ). Without one the kernel has no file to write, and a
 * weight that cannot be enforced is refused rather than dropped. lmctl's root has the same
 * files as every container below it. */
static int blkio_validate(struct lmc_cgfs *cg, const char *name, const struct lmc_spec *spec,
			  struct lmc_err *err)
{
	bool v2 = lmc_controller_is_v2(cg);

	if (spec->blkio.weight == LMC_UNSET)
		return 0;
	if (v2 ? lmc_cgfs_file_exists(cg, B, "", "io.weight")
	       : lmc_cgfs_file_exists(cg, B, "", "blkio.bfq.weight") ||
			    lmc_cgfs_file_exists(cg, B, "", "blkio.weight"))
		return 0;
	return lmc_err_set(err, -EOPNOTSUPP,
			   "%s: blkio.weight needs a proportional I/O policy, and this kernel "
			   "offers none (no %s)",
			   lmc_name_display(name),
			   v2 ? "io.weight" : "blkio.weight or blkio.bfq.weight: no CFQ or BFQ");
}

const struct lmc_controller_ops lmc_controller_blkio_ops = {
	.name = "blkio",
	.ctrl = LMC_CTRL_BLKIO,
	.asks = blkio_asks,
	.validate = blkio_validate,
	.apply = blkio_apply,
	.stats = blkio_stats,
};
