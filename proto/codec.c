/* Stats <-> protobuf (proto/lmctl.proto), and the spec comparisons and clears of the API.
 * Specs and tasks convert in core/record-pb.c, once for the records on disk and the wire. */
#include <string.h>

#include "proto/codec-pb.h"
#include "proto/codec.h"

#define SOPT(f, id) LMC_PB_OPT(Lmctl__Stats, f, struct lmc_stats, f, id)
static const struct lmc_pb_opt stats_opts[] = {
	SOPT(cpu_usage_ns, 1),	     SOPT(cpu_user_ns, 2),	SOPT(cpu_system_ns, 3),
	SOPT(cpu_nr_periods, 4),     SOPT(cpu_nr_throttled, 5), SOPT(cpu_throttled_ns, 6),
	SOPT(mem_usage, 7),	     SOPT(mem_peak, 8),		SOPT(mem_limit, 9),
	SOPT(mem_rss, 10),	     SOPT(mem_cache, 11),	SOPT(mem_swap, 12),
	SOPT(mem_failcnt, 13),	     SOPT(mem_oom_kills, 14),	SOPT(mem_oom_events, 15),
	SOPT(io_read_bytes, 16),     SOPT(io_write_bytes, 17),	SOPT(io_read_ops, 18),
	SOPT(io_write_ops, 19),	     SOPT(pids_current, 20),	SOPT(pids_limit, 21),
	SOPT(mem_inactive_file, 25),
};

static void psi_to_pb(const struct lmc_psi *p, Lmctl__Psi *pb, Lmctl__Psi **ret)
{
	if (!p->present) {
		*ret = NULL;
		return;
	}
	lmctl__psi__init(pb);
	pb->some_avg10 = p->some_avg10;
	pb->some_avg60 = p->some_avg60;
	pb->some_avg300 = p->some_avg300;
	pb->some_total_us = p->some_total_us;
	pb->full_avg10 = p->full_avg10;
	pb->full_avg60 = p->full_avg60;
	pb->full_avg300 = p->full_avg300;
	pb->full_total_us = p->full_total_us;
	*ret = pb;
}

static void psi_from_pb(const Lmctl__Psi *pb, struct lmc_psi *p)
{
	if (!pb)
		return;
	p->present = true;
	p->some_avg10 = pb->some_avg10;
	p->some_avg60 = pb->some_avg60;
	p->some_avg300 = pb->some_avg300;
	p->some_total_us = pb->some_total_us;
	p->full_avg10 = pb->full_avg10;
	p->full_avg60 = pb->full_avg60;
	p->full_avg300 = pb->full_avg300;
	p->full_total_us = pb->full_total_us;
}

void lmc_codec_stats_to_pb(const struct lmc_stats *st, struct lmc_pb_stats *b)
{
	lmctl__stats__init(&b->stats);
	lmc_record_opts_to_pb(&b->stats, st, stats_opts, ARRAY_SIZE(stats_opts));
	psi_to_pb(&st->psi_cpu, &b->psi[0], &b->stats.psi_cpu);
	psi_to_pb(&st->psi_memory, &b->psi[1], &b->stats.psi_memory);
	psi_to_pb(&st->psi_io, &b->psi[2], &b->stats.psi_io);
}

int lmc_codec_stats_from_pb(const Lmctl__Stats *pb, struct lmc_stats *ret)
{
	struct lmc_stats st;

	memset(&st, 0, sizeof(st));
	lmc_stats_init(&st);
	if (pb) {
		lmc_record_opts_from_pb(&st, pb, stats_opts, ARRAY_SIZE(stats_opts));
		psi_from_pb(pb->psi_cpu, &st.psi_cpu);
		psi_from_pb(pb->psi_memory, &st.psi_memory);
		psi_from_pb(pb->psi_io, &st.psi_io);
	}
	*ret = st;
	return 0;
}

static int spec_encode(const struct lmc_spec *spec, uint8_t **ret_buf, size_t *ret_len)
{
	struct lmc_pb_spec b;
	int r;

	r = lmc_record_spec_to_pb(spec, &b);
	if (r < 0)
		return r;
	return lmc_record_pack(&b.spec.base, ret_buf, ret_len);
}

bool lmc_codec_spec_same(const struct lmc_spec *asked, const struct lmc_spec *have)
{
	struct lmc_spec a = *asked;
	_cleanup_free_ uint8_t *x = NULL, *y = NULL;
	size_t xl, yl;

	if (a.max_containers == LMC_UNSET && a.owner != LMC_OWNER_UNSET &&
	    have->max_containers == LMC_OWNER_MAX_CONTAINERS)
		a.max_containers = have->max_containers;
	if (spec_encode(&a, &x, &xl) < 0 || spec_encode(have, &y, &yl) < 0)
		return false;
	return xl == yl && memcmp(x, y, xl) == 0;
}

/* The numbers an update may clear, by API path. */
static const struct {
	const char *path;
	size_t off;
} clearable[] = {
	{"memory.limit", offsetof(struct lmc_spec, memory.limit)},
	{"memory.reservation", offsetof(struct lmc_spec, memory.reservation)},
	{"memory.high", offsetof(struct lmc_spec, memory.high)},
	{"memory.swap", offsetof(struct lmc_spec, memory.swap)},
	{"cpu.limit_m", offsetof(struct lmc_spec, cpu.limit_m)},
	{"cpu.reservation_m", offsetof(struct lmc_spec, cpu.reservation_m)},
	{"cpu.shares", offsetof(struct lmc_spec, cpu.shares)},
	{"cpu.burst_us", offsetof(struct lmc_spec, cpu.burst_us)},
	{"pids.limit", offsetof(struct lmc_spec, pids.limit)},
	{"blkio.weight", offsetof(struct lmc_spec, blkio.weight)},
	{"max_containers", offsetof(struct lmc_spec, max_containers)},
};

int lmc_codec_spec_clear(struct lmc_spec *s, const char *path, const char *name,
			 struct lmc_err *err)
{
	for (size_t i = 0; i < ARRAY_SIZE(clearable); i++) {
		uint64_t *f = (uint64_t *)((char *)s + clearable[i].off);

		if (strcmp(path, clearable[i].path) != 0)
			continue;
		if (*f != LMC_UNSET && *f != LMC_CLEAR)
			return lmc_err_set(err, -EINVAL, "%s: %s is both set and cleared", name,
					   path);
		*f = LMC_CLEAR;
		return 0;
	}
	return lmc_err_set(err, -EINVAL, "%s: update: '%.64s' cannot be cleared (not a limit)",
			   name, path);
}

size_t lmc_codec_spec_cleared(const struct lmc_spec *s, const char **ret, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < ARRAY_SIZE(clearable) && n < max; i++)
		if (*(const uint64_t *)((const char *)s + clearable[i].off) == LMC_CLEAR)
			ret[n++] = clearable[i].path;
	return n;
}
