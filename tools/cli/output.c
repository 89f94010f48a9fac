/* Text and JSON renderings of what the operations return. */
#include "tools/cli/output.h"

#include <inttypes.h>
#include <string.h>
#include <time.h>

#include "tools/cli/json.h"

void lmc_out_json_str(FILE *f, const char *s)
{
	lmc_json_write_str(f, s);
}

static void text_u64(FILE *f, const char *key, uint64_t v)
{
	if (v != LMC_UNSET)
		fprintf(f, "%-28s %" PRIu64 "\n", key, v);
}

/* One object per controller-keyed string table (hierarchies, unavailable). */
static void ctrl_strings(struct lmc_json *j, const char *key, const char *v, size_t size)
{
	lmc_json_open(j, key, '{');
	for (int c = 0; c < LMC_CTRL__MAX; c++)
		lmc_json_str(j, lmc_ctrl_name(c), v + (size_t)c * size);
	lmc_json_close(j);
}

static void info_json(FILE *f, const struct lmc_machine_info *info)
{
	struct lmc_json j;

	lmc_json_begin(&j, f);
	lmc_json_str(&j, "mode", lmc_cg_mode_name(info->mode));
	ctrl_strings(&j, "hierarchies", (const void *)info->paths, sizeof(info->paths[0]));
	lmc_json_str(&j, "placement", info->placement);
	ctrl_strings(&j, "unavailable", (const void *)info->why, sizeof(info->why[0]));
	lmc_json_open(&j, "machine", '{');
	lmc_json_u64(&j, "memory_bytes", info->mem_total);
	lmc_json_u64(&j, "cpus", info->ncpus);
	lmc_json_u64(&j, "pid_max", info->pid_max);
	lmc_json_close(&j);
	lmc_json_open(&j, "reserve", '{');
	lmc_json_u64(&j, "memory_bytes", info->reserve_mem);
	lmc_json_u64(&j, "cpu_millicores", info->reserve_cpu_m);
	lmc_json_close(&j);
	lmc_json_open(&j, "capacity", '{');
	lmc_json_open(&j, "memory", '{');
	lmc_json_u64(&j, "limit_bytes", info->capacity.memory.limit);
	lmc_json_close(&j);
	lmc_json_open(&j, "cpu", '{');
	lmc_json_u64(&j, "limit_millicores", info->capacity.cpu.limit_m);
	lmc_json_close(&j);
	lmc_json_open(&j, "pids", '{');
	lmc_json_u64(&j, "limit", info->capacity.pids.limit);
	lmc_json_close(&j);
	lmc_json_close(&j);
	lmc_json_u64(&j, "containers", info->n_containers);
	lmc_json_end(&j);
}

/* Bytes for people: 1023, 1.5K, 11.8M (powers of 1024, one decimal). */
static void human_bytes(uint64_t v, char *buf, size_t size)
{
	static const char units[] = "KMGTPE";
	double x = (double)v;
	unsigned u = 0;

	if (v < 1024) {
		snprintf(buf, size, "%" PRIu64, v);
		return;
	}
	for (x /= 1024; x >= 1024 && u + 1 < sizeof(units) - 1; u++)
		x /= 1024;
	snprintf(buf, size, "%.1f%c", x, units[u]);
}

void lmc_out_info(FILE *f, const struct lmc_machine_info *info, bool json)
{
	char mem[32], res[32], cap[32], cpus[32], rcpus[32];

	/* figures the machine has, for people (spec shows what was asked, exactly) */
	human_bytes(info->mem_total, mem, sizeof(mem));
	human_bytes(info->reserve_mem, res, sizeof(res));
	human_bytes(info->capacity.memory.limit, cap, sizeof(cap));
	lmc_format_cpus(info->capacity.cpu.limit_m, cpus, sizeof(cpus));
	lmc_format_cpus(info->reserve_cpu_m, rcpus, sizeof(rcpus));
	if (json) {
		info_json(f, info);
		return;
	}
	fprintf(f, "cgroup mode: %s\n", lmc_cg_mode_name(info->mode));
	if (info->placement[0])
		fprintf(f, "lmctl root:  %s\n", info->placement);
	fprintf(f, "usable:\n");
	for (int c = 0; c < LMC_CTRL__MAX; c++)
		if (info->paths[c][0])
			fprintf(f, "  %-9s %s\n", lmc_ctrl_name(c), info->paths[c]);
	for (int c = 0; c < LMC_CTRL__MAX; c++)
		if (info->why[c][0])
			fprintf(f, "not usable: %-9s %s\n", lmc_ctrl_name(c), info->why[c]);
	fprintf(f, "machine:     memory %s, %u cpus, pid_max %" PRIu64 "\n", mem, info->ncpus,
		info->pid_max);
	fprintf(f, "reserve:     memory %s, cpus %s\n", res, rcpus);
	fprintf(f, "capacity:    memory %s, cpus %s, pids %" PRIu64 "\n", cap, cpus,
		info->capacity.pids.limit);
	fprintf(f, "containers:  %zu\n", info->n_containers);
}

static void list_json(FILE *f, const struct lmc_list_entry *e, bool want_pids)
{
	struct lmc_json j;

	lmc_json_begin(&j, f);
	lmc_json_str(&j, "name", lmc_name_display(e->name));
	lmc_json_i64(&j, "depth", e->depth);
	lmc_json_bool(&j, "paused", e->paused);
	lmc_json_i64(&j, "priority", e->priority);
	if (want_pids) {
		lmc_json_open_always(&j, "processes", '[');
		for (size_t k = 0; k < e->n_pids; k++)
			lmc_json_i64(&j, NULL, e->pids[k]);
		lmc_json_close(&j);
	}
	lmc_json_end(&j);
}

/* '/' sorts before every other character, so "a/b" comes right after "a" and before "a-b". */
static int name_key(unsigned char ch)
{
	return ch == '\0' ? 0 : ch == '/' ? 1 : ch + 1;
}

int lmc_out_name_cmp(const char *pa, const char *pb)
{
	const unsigned char *a = (const void *)pa, *b = (const void *)pb;

	for (; *a && *a == *b; a++, b++)
		;
	return name_key(*a) - name_key(*b);
}

void lmc_out_list(FILE *f, const struct lmc_list_entry *l, size_t n, bool want_pids, bool json)
{
	if (json) {
		for (size_t i = 0; i < n; i++)
			list_json(f, &l[i], want_pids);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		fprintf(f, "%*s%s%s", 2 * l[i].depth, "", l[i].name,
			l[i].paused ? " (paused)" : "");
		/* The default priority is not repeated on every line (scripts read names). */
		if (l[i].priority != LMC_PRIORITY_DEFAULT)
			fprintf(f, "  priority=%" PRId64, l[i].priority);
		if (want_pids) {
			fputs(l[i].n_pids ? "  pids:" : "  pids: -", f);
			for (size_t k = 0; k < l[i].n_pids; k++)
				fprintf(f, " %d", l[i].pids[k]);
		}
		fputc('\n', f);
	}
}

/* ---- spec ---- */

enum fmt { F_SIZE, F_CPU, F_NUM, F_BYTES, F_NSEC };

/* One limit with an effective value: its text name, and its JSON object and key (object
 * NULL: a member of the spec's asked/effective/set_by objects themselves). */
struct eff_row {
	const char *key;
	const char *obj, *jkey;
	enum fmt fmt;
	size_t spec_off; /* offset of the asked value in struct lmc_spec */
	size_t eff_off; /* offset of the lmc_eff_value in lmc_effective */
};

#define SPEC_U64(f) offsetof(struct lmc_spec, f)
#define EFF(f) offsetof(struct lmc_effective, f)

static const struct eff_row eff_rows[] = {
	{"memory.limit", "memory", "limit_bytes", F_SIZE, SPEC_U64(memory.limit), EFF(mem_limit)},
	{"memory.reservation", "memory", "reservation_bytes", F_SIZE, SPEC_U64(memory.reservation),
	 EFF(mem_reservation)},
	{"memory.high", "memory", "high_bytes", F_SIZE, SPEC_U64(memory.high), EFF(mem_high)},
	{"memory.swap", "memory", "swap_bytes", F_SIZE, SPEC_U64(memory.swap), EFF(mem_swap)},
	{"cpu.limit", "cpu", "limit_millicores", F_CPU, SPEC_U64(cpu.limit_m), EFF(cpu_limit_m)},
	{"cpu.reservation", "cpu", "reservation_millicores", F_CPU, SPEC_U64(cpu.reservation_m),
	 EFF(cpu_reservation_m)},
	{"pids.limit", "pids", "limit", F_NUM, SPEC_U64(pids.limit), EFF(pids_limit)},
	{"max_containers", NULL, "max_containers", F_NUM, SPEC_U64(max_containers),
	 EFF(max_containers)},
};

static void fmt_value(enum fmt fmt, uint64_t v, char *buf, size_t size)
{
	if (v == LMC_UNSET)
		snprintf(buf, size, "-");
	else if (fmt == F_SIZE)
		lmc_format_size(v, buf, size);
	else if (fmt == F_CPU)
		lmc_format_cpus(v, buf, size);
	else
		snprintf(buf, size, "%" PRIu64, v);
}

static void ns_list(const struct lmc_spec_ns *ns, char *buf, size_t size)
{
	size_t off = 0;

	buf[0] = '\0';
	for (unsigned bit = 1; bit & LMC_NS_ALL; bit <<= 1)
		if (ns->mask & bit)
			off += snprintf(buf + off, off < size ? size - off : 0, "%s%s",
					off ? "," : "", lmc_ns_name(bit));
}

static const char *latency_name(enum lmc_latency l)
{
	return l == LMC_LATENCY_BATCH	    ? "batch"
	       : l == LMC_LATENCY_SENSITIVE ? "latency-sensitive"
					    : "";
}

/* A user namespace's maps as --uid-map takes them: "0:1073741824:65536,...". */
static void idmaps_text(FILE *f, const char *key, const struct lmc_idmap *m, unsigned n)
{
	fprintf(f, "  %-20s ", key);
	for (unsigned i = 0; i < n; i++)
		fprintf(f, "%s%u:%u:%u", i ? "," : "", m[i].inside, m[i].outside, m[i].count);
	fputc('\n', f);
}

static void idmaps_json(struct lmc_json *j, const char *key, const struct lmc_idmap *m, unsigned n)
{
	lmc_json_open(j, key, '[');
	for (unsigned i = 0; i < n; i++) {
		lmc_json_open(j, NULL, '{');
		lmc_json_u64(j, "inside", m[i].inside);
		lmc_json_u64(j, "outside", m[i].outside);
		lmc_json_u64(j, "count", m[i].count);
		lmc_json_close(j);
	}
	lmc_json_close(j);
}

/* The rows of eff_rows whose object is obj, from base (a struct lmc_spec, or the
 * lmc_effective's values or their setters). */
enum eff_part { ASKED, EFFECTIVE, SET_BY };

static void eff_members(struct lmc_json *j, const char *obj, enum eff_part part,
			const struct lmc_spec *spec, const struct lmc_effective *eff)
{
	for (size_t i = 0; i < ARRAY_SIZE(eff_rows); i++) {
		const struct eff_row *r = &eff_rows[i];
		const struct lmc_eff_value *e = (const void *)((const char *)eff + r->eff_off);

		if ((r->obj && !obj) || (!r->obj && obj) || (obj && strcmp(r->obj, obj) != 0))
			continue;
		if (part == ASKED)
			lmc_json_u64(j, r->jkey,
				     *(const uint64_t *)((const char *)spec + r->spec_off));
		else if (part == EFFECTIVE)
			lmc_json_u64(j, r->jkey, e->value);
		else if (e->value != LMC_UNSET && e->from)
			lmc_json_str(j, r->jkey, lmc_name_display(e->from));
	}
}

/* One of the three views of the limits: asked, effective, set_by. */
static void eff_object(struct lmc_json *j, const char *key, enum eff_part part,
		       const struct lmc_spec *spec, const struct lmc_effective *eff)
{
	static const char *const objs[] = {"memory", "cpu", "pids"};

	lmc_json_open(j, key, '{');
	for (size_t i = 0; i < ARRAY_SIZE(objs); i++) {
		lmc_json_open(j, objs[i], '{');
		eff_members(j, objs[i], part, spec, eff);
		if (part == EFFECTIVE && strcmp(objs[i], "cpu") == 0)
			lmc_json_u64(j, "shares", eff->cpu_shares);
		lmc_json_close(j);
	}
	eff_members(j, NULL, part, spec, eff);
	if (part == EFFECTIVE)
		lmc_json_i64(j, "priority", eff->priority);
	lmc_json_close(j);
}

static void throttles_json(struct lmc_json *j, const struct lmc_spec_blkio *b)
{
	char dev[32];

	lmc_json_open(j, "throttles", '[');
	for (unsigned i = 0; i < b->n_throttles; i++) {
		const struct lmc_throttle *t = &b->throttles[i];

		snprintf(dev, sizeof(dev), "%u:%u", t->major, t->minor);
		lmc_json_open(j, NULL, '{');
		lmc_json_str(j, "device", dev);
		lmc_json_str(j, "path", t->path);
		lmc_json_u64(j, "read_bps", t->read_bps);
		lmc_json_u64(j, "write_bps", t->write_bps);
		lmc_json_u64(j, "read_iops", t->read_iops);
		lmc_json_u64(j, "write_iops", t->write_iops);
		lmc_json_close(j);
	}
	lmc_json_close(j);
}

/* What was asked for, in the shape of the effective values, plus what has no effective
 * value of its own (cpu shares, period, burst, cpuset, blkio, namespaces, owner). */
static void asked_json(struct lmc_json *j, const struct lmc_spec *spec,
		       const struct lmc_effective *eff)
{
	const struct lmc_spec_ns *ns = &spec->ns;

	lmc_json_open(j, "asked", '{');
	lmc_json_open(j, "memory", '{');
	eff_members(j, "memory", ASKED, spec, eff);
	if (spec->memory.oom_group >= 0)
		lmc_json_bool(j, "oom_group", spec->memory.oom_group);
	lmc_json_close(j);
	lmc_json_open(j, "cpu", '{');
	eff_members(j, "cpu", ASKED, spec, eff);
	lmc_json_u64(j, "shares", spec->cpu.shares);
	lmc_json_u64(j, "period_us", spec->cpu.period_us);
	lmc_json_u64(j, "burst_us", spec->cpu.burst_us);
	lmc_json_str(j, "latency", latency_name(spec->cpu.latency));
	lmc_json_close(j);
	lmc_json_open(j, "cpuset", '{');
	lmc_json_str(j, "cpus", spec->cpu.cpus);
	lmc_json_str(j, "mems", spec->cpu.mems);
	lmc_json_close(j);
	lmc_json_open(j, "blkio", '{');
	lmc_json_u64(j, "weight", spec->blkio.weight);
	throttles_json(j, &spec->blkio);
	lmc_json_close(j);
	lmc_json_open(j, "pids", '{');
	eff_members(j, "pids", ASKED, spec, eff);
	lmc_json_close(j);
	lmc_json_open(j, "namespaces", '{');
	lmc_json_open(j, "types", '[');
	for (unsigned bit = 1; bit & LMC_NS_ALL; bit <<= 1)
		if (ns->mask & bit)
			lmc_json_str(j, NULL, lmc_ns_name(bit));
	lmc_json_close(j);
	lmc_json_str(j, "hostname", ns->hostname);
	idmaps_json(j, "uid_map", ns->uid_map, ns->n_uid_map);
	idmaps_json(j, "gid_map", ns->gid_map, ns->n_gid_map);
	lmc_json_close(j);
	eff_members(j, NULL, ASKED, spec, eff);
	if (spec->owner != LMC_OWNER_UNSET)
		lmc_json_u64(j, "owner_uid", spec->owner);
	if (spec->memory.eviction_priority != INT64_MIN)
		lmc_json_i64(j, "priority", spec->memory.eviction_priority);
	lmc_json_close(j);
}

static void spec_json(FILE *f, const char *name, const struct lmc_spec *spec,
		      const struct lmc_effective *eff, bool paused)
{
	struct lmc_json j;

	lmc_json_begin(&j, f);
	lmc_json_str(&j, "name", lmc_name_display(name));
	lmc_json_bool(&j, "paused", paused);
	lmc_json_i64(&j, "priority", eff->priority);
	asked_json(&j, spec, eff);
	eff_object(&j, "effective", EFFECTIVE, spec, eff);
	eff_object(&j, "set_by", SET_BY, spec, eff);
	lmc_json_end(&j);
}

static void spec_text(FILE *f, const char *name, const struct lmc_spec *spec,
		      const struct lmc_effective *eff, bool paused)
{
	char a[32], e[32], nsbuf[128];

	fprintf(f, "%s%s\n", lmc_name_display(name), paused ? " (paused)" : "");
	fprintf(f, "  %-20s %-10s %-10s %s\n", "resource", "asked", "effective", "set by");
	for (size_t i = 0; i < ARRAY_SIZE(eff_rows); i++) {
		const struct eff_row *r = &eff_rows[i];
		const struct lmc_eff_value *ev = (const void *)((const char *)eff + r->eff_off);

		fmt_value(r->fmt, *(const uint64_t *)((const char *)spec + r->spec_off), a,
			  sizeof(a));
		fmt_value(r->fmt, ev->value, e, sizeof(e));
		fprintf(f, "  %-20s %-10s %-10s %s\n", r->key, a, e,
			ev->value == LMC_UNSET || !ev->from ? "-"
			: ev->from[0]			    ? ev->from
							    : "machine");
	}
	if (spec->memory.eviction_priority != INT64_MIN)
		snprintf(a, sizeof(a), "%" PRId64, spec->memory.eviction_priority);
	else
		snprintf(a, sizeof(a), "-");
	fprintf(f, "  %-20s %-10s %-10" PRId64 " %s\n", "priority", a, eff->priority,
		spec->memory.eviction_priority != INT64_MIN ? name : "inherited or default");
	if (eff->cpu_shares != LMC_UNSET)
		fprintf(f, "  %-20s %" PRIu64 "\n", "cpu.shares", eff->cpu_shares);
	if (spec->cpu.period_us != LMC_UNSET)
		fprintf(f, "  %-20s %" PRIu64 " us\n", "cpu.period", spec->cpu.period_us);
	if (spec->cpu.burst_us != LMC_UNSET)
		fprintf(f, "  %-20s %" PRIu64 " us\n", "cpu.burst", spec->cpu.burst_us);
	if (spec->cpu.latency)
		fprintf(f, "  %-20s %s\n", "cpu.latency", latency_name(spec->cpu.latency));
	if (spec->cpu.cpus[0])
		fprintf(f, "  %-20s %s\n", "cpuset.cpus", spec->cpu.cpus);
	if (spec->cpu.mems[0])
		fprintf(f, "  %-20s %s\n", "cpuset.mems", spec->cpu.mems);
	if (spec->blkio.weight != LMC_UNSET)
		fprintf(f, "  %-20s %" PRIu64 "\n", "blkio.weight", spec->blkio.weight);
	for (unsigned i = 0; i < spec->blkio.n_throttles; i++) {
		const struct lmc_throttle *t = &spec->blkio.throttles[i];
		char rb[32], wb[32], ri[32], wi[32];

		fmt_value(F_SIZE, t->read_bps, rb, sizeof(rb));
		fmt_value(F_SIZE, t->write_bps, wb, sizeof(wb));
		fmt_value(F_NUM, t->read_iops, ri, sizeof(ri));
		fmt_value(F_NUM, t->write_iops, wi, sizeof(wi));
		fprintf(f, "  %-20s %s (%u:%u) read %s/s write %s/s, %s/%s iops\n",
			"blkio.throttle", t->path, t->major, t->minor, rb, wb, ri, wi);
	}
	ns_list(&spec->ns, nsbuf, sizeof(nsbuf));
	if (nsbuf[0])
		fprintf(f, "  %-20s %s\n", "namespaces", nsbuf);
	if (spec->ns.hostname[0])
		fprintf(f, "  %-20s %s\n", "hostname", spec->ns.hostname);
	if (spec->ns.n_uid_map)
		idmaps_text(f, "uid_map", spec->ns.uid_map, spec->ns.n_uid_map);
	if (spec->ns.n_gid_map)
		idmaps_text(f, "gid_map", spec->ns.gid_map, spec->ns.n_gid_map);
	if (spec->owner != LMC_OWNER_UNSET)
		fprintf(f, "  %-20s %u\n", "owner", spec->owner);
}

void lmc_out_spec(FILE *f, const char *name, const struct lmc_spec *spec,
		  const struct lmc_effective *eff, bool paused, bool json)
{
	if (json)
		spec_json(f, name, spec, eff, paused);
	else
		spec_text(f, name, spec, eff, paused);
}

/* ---- stats ---- */

/* One counter: its object and key in JSON ("memory", "usage_bytes"); in text the two
 * joined by a dot, the unit suffix left out where the value is shown with its unit. */
struct stat_row {
	const char *obj, *key;
	enum fmt fmt;
	size_t off;
};

#define ST(f) offsetof(struct lmc_stats, f)

static const struct stat_row stat_rows[] = {
	{"cpu", "usage_ns", F_NSEC, ST(cpu_usage_ns)},
	{"cpu", "user_ns", F_NSEC, ST(cpu_user_ns)},
	{"cpu", "system_ns", F_NSEC, ST(cpu_system_ns)},
	{"cpu", "nr_periods", F_NUM, ST(cpu_nr_periods)},
	{"cpu", "nr_throttled", F_NUM, ST(cpu_nr_throttled)},
	{"cpu", "throttled_ns", F_NSEC, ST(cpu_throttled_ns)},
	{"memory", "usage_bytes", F_BYTES, ST(mem_usage)},
	{"memory", "peak_bytes", F_BYTES, ST(mem_peak)},
	{"memory", "limit_bytes", F_BYTES, ST(mem_limit)},
	{"memory", "rss_bytes", F_BYTES, ST(mem_rss)},
	{"memory", "cache_bytes", F_BYTES, ST(mem_cache)},
	{"memory", "swap_bytes", F_BYTES, ST(mem_swap)},
	{"memory", "failcnt", F_NUM, ST(mem_failcnt)},
	{"memory", "oom_kills", F_NUM, ST(mem_oom_kills)},
	{"memory", "oom_events", F_NUM, ST(mem_oom_events)},
	{"io", "read_bytes", F_BYTES, ST(io_read_bytes)},
	{"io", "write_bytes", F_BYTES, ST(io_write_bytes)},
	{"io", "read_ops", F_NUM, ST(io_read_ops)},
	{"io", "write_ops", F_NUM, ST(io_write_ops)},
	{"pids", "current", F_NUM, ST(pids_current)},
	{"pids", "limit", F_NUM, ST(pids_limit)},
};

static const struct {
	const char *name;
	size_t off;
} psi_rows[] = {
	{"cpu", ST(psi_cpu)},
	{"memory", ST(psi_memory)},
	{"io", ST(psi_io)},
};

static uint64_t stat_value(const struct lmc_stats *st, const struct stat_row *r)
{
	return *(const uint64_t *)((const char *)st + r->off);
}

static void psi_half(struct lmc_json *j, const char *key, double a10, double a60, double a300,
		     uint64_t total)
{
	lmc_json_open(j, key, '{');
	lmc_json_double(j, "avg10", a10);
	lmc_json_double(j, "avg60", a60);
	lmc_json_double(j, "avg300", a300);
	lmc_json_u64(j, "total_us", total);
	lmc_json_close(j);
}

static void stats_one_json(struct lmc_json *j, const struct lmc_stats_entry *e)
{
	const char *obj = NULL;

	lmc_json_str(j, "name", lmc_name_display(e->name));
	lmc_json_bool(j, "paused", e->paused);
	lmc_json_i64(j, "priority", e->priority);
	for (size_t i = 0; i < ARRAY_SIZE(stat_rows); i++) {
		if (!obj || strcmp(obj, stat_rows[i].obj) != 0) {
			if (obj)
				lmc_json_close(j);
			obj = stat_rows[i].obj;
			lmc_json_open(j, obj, '{');
		}
		lmc_json_u64(j, stat_rows[i].key, stat_value(&e->stats, &stat_rows[i]));
	}
	lmc_json_close(j);
	lmc_json_open(j, "pressure", '{');
	for (size_t i = 0; i < ARRAY_SIZE(psi_rows); i++) {
		const struct lmc_psi *p = (const void *)((const char *)&e->stats + psi_rows[i].off);

		if (!p->present)
			continue;
		lmc_json_open(j, psi_rows[i].name, '{');
		psi_half(j, "some", p->some_avg10, p->some_avg60, p->some_avg300, p->some_total_us);
		psi_half(j, "full", p->full_avg10, p->full_avg60, p->full_avg300, p->full_total_us);
		lmc_json_close(j);
	}
	lmc_json_close(j);
}

/* A row of `stats` text: human units (the key without its _ns/_bytes suffix), or with
 * --bytes the raw number under the JSON key. */
static void stat_text(FILE *f, const struct stat_row *row, uint64_t v, bool raw)
{
	char key[48], val[32];
	size_t n = strlen(row->key);

	if (v == LMC_UNSET)
		return;
	if (raw || row->fmt == F_NUM) {
		snprintf(key, sizeof(key), "  %s.%s", row->obj, row->key);
		text_u64(f, key, v);
		return;
	}
	if (row->fmt == F_NSEC && n > 3 && strcmp(row->key + n - 3, "_ns") == 0)
		n -= 3;
	else if (row->fmt == F_BYTES && n > 6 && strcmp(row->key + n - 6, "_bytes") == 0)
		n -= 6;
	snprintf(key, sizeof(key), "  %s.%.*s", row->obj, (int)n, row->key);
	if (row->fmt == F_NSEC)
		snprintf(val, sizeof(val), "%.3fs", (double)v / 1e9);
	else
		human_bytes(v, val, sizeof(val));
	fprintf(f, "%-28s %s\n", key, val);
}

static void stats_one_text(FILE *f, const struct lmc_stats_entry *e, bool raw)
{
	fprintf(f, "%s%s\n", lmc_name_display(e->name), e->paused ? " (paused)" : "");
	fprintf(f, "%-28s %" PRId64 "\n", "  priority", e->priority);
	for (size_t i = 0; i < ARRAY_SIZE(stat_rows); i++)
		stat_text(f, &stat_rows[i], stat_value(&e->stats, &stat_rows[i]), raw);
	for (size_t i = 0; i < ARRAY_SIZE(psi_rows); i++) {
		const struct lmc_psi *p = (const void *)((const char *)&e->stats + psi_rows[i].off);

		if (p->present)
			fprintf(f,
				"  %-26s some avg10=%.2f avg60=%.2f avg300=%.2f total=%" PRIu64
				"us; full avg10=%.2f total=%" PRIu64 "us\n",
				psi_rows[i].name, p->some_avg10, p->some_avg60, p->some_avg300,
				p->some_total_us, p->full_avg10, p->full_total_us);
	}
}

void lmc_out_stats(FILE *f, const struct lmc_stats_entry *e, size_t n, bool json, bool raw)
{
	for (size_t i = 0; i < n; i++) {
		struct lmc_json j;

		if (e[i].gone) {
			fprintf(stderr, "lmctl: %s: destroyed while being read, skipped\n",
				lmc_name_display(e[i].name));
			continue;
		}
		if (!json) {
			stats_one_text(f, &e[i], raw);
			continue;
		}
		lmc_json_begin(&j, f);
		stats_one_json(&j, &e[i]);
		lmc_json_end(&j);
	}
}

void lmc_out_top_sample(FILE *f, const struct lmc_stats_entry *e, size_t n, uint64_t time_ns)
{
	struct lmc_json j;

	lmc_json_begin(&j, f);
	lmc_json_u64(&j, "timestamp_ns", time_ns);
	lmc_json_open_always(&j, "containers", '[');
	for (size_t i = 0; i < n; i++) {
		lmc_json_open_always(&j, NULL, '{');
		stats_one_json(&j, &e[i]);
		lmc_json_close(&j);
	}
	lmc_json_close(&j);
	lmc_json_end(&j);
}

static const char *event_kind_name(enum lmc_events_kind k)
{
	static const char *const names[] = {
		[LMC_EVK_OOM] = "oom",	       [LMC_EVK_THRESHOLD] = "memory-threshold",
		[LMC_EVK_EMPTY] = "empty",     [LMC_EVK_EXIT] = "exit",
		[LMC_EVK_EVICTED] = "evicted", [LMC_EVK_RECLAIM] = "reclaim",
		[LMC_EVK_STARTED] = "started", [LMC_EVK_CREATED] = "created",
		[LMC_EVK_UPDATED] = "updated", [LMC_EVK_DESTROYED] = "destroyed",
		[LMC_EVK_PAUSED] = "paused",   [LMC_EVK_RESUMED] = "resumed",
		[LMC_EVK_GAP] = "gap",
	};
	_Static_assert(ARRAY_SIZE(names) == LMC_EVK_MAX + 1, "every event kind has a name");

	if ((unsigned)k < ARRAY_SIZE(names) && names[k])
		return names[k];
	return "unknown";
}

/* The tail of an event's text line: its task, direction and sequence number where it has
 * them. */
static void event_tail(FILE *f, const struct lmc_event *ev)
{
	if (ev->task_id[0])
		fprintf(f, " task=%s", ev->task_id);
	if (ev->kind == LMC_EVK_THRESHOLD && ev->direction)
		fprintf(f, " direction=%s", ev->direction > 0 ? "up" : "down");
	if (ev->seq)
		fprintf(f, " seq=%" PRIu64, ev->seq);
	fputc('\n', f);
}

/* An event's time for people: 2026-11-30T01:02:03.456Z (UTC). */
static void event_time(FILE *f, uint64_t ns)
{
	time_t s = (time_t)(ns / 1000000000ULL);
	struct tm tm;
	char buf[32];

	if (!ns || !gmtime_r(&s, &tm) || !strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm))
		snprintf(buf, sizeof(buf), "-");
	fprintf(f, "%s.%03uZ ", buf, (unsigned)(ns / 1000000ULL % 1000));
}

/* What an event's value is depends on its kind: the OOM kill count, the memory usage. */
static void event_json(FILE *f, const struct lmc_event *ev)
{
	struct lmc_json j;

	lmc_json_begin(&j, f);
	lmc_json_str(&j, "name", lmc_name_display(ev->name));
	lmc_json_str(&j, "event", event_kind_name(ev->kind));
	lmc_json_u64(&j, "timestamp_ns", ev->timestamp_ns);
	if (ev->seq)
		lmc_json_u64(&j, "seq", ev->seq);
	if (ev->kind == LMC_EVK_EXIT || ev->kind == LMC_EVK_STARTED) {
		lmc_json_i64(&j, "pid", ev->pid);
		if (ev->kind == LMC_EVK_EXIT)
			lmc_json_i64(&j, "status", ev->status);
		lmc_json_str(&j, "task_id", ev->task_id);
	} else if (ev->kind == LMC_EVK_OOM || ev->kind == LMC_EVK_THRESHOLD ||
		   ev->kind == LMC_EVK_EVICTED || ev->kind == LMC_EVK_RECLAIM) {
		lmc_json_open(&j, "memory", '{');
		lmc_json_u64(&j, ev->kind == LMC_EVK_OOM ? "oom_kills" : "usage_bytes", ev->value);
		lmc_json_close(&j);
	} else if (ev->kind == LMC_EVK_GAP) {
		lmc_json_u64(&j, "oldest_seq", ev->value);
	}
	if (ev->direction)
		lmc_json_str(&j, "direction", ev->direction > 0 ? "up" : "down");
	lmc_json_str(&j, "detail", ev->detail);
	lmc_json_end(&j);
}

void lmc_out_event(FILE *f, const struct lmc_event *ev, bool json)
{
	if (json) {
		event_json(f, ev);
		fflush(f);
		return;
	}
	event_time(f, ev->timestamp_ns);
	if (ev->kind == LMC_EVK_EXIT) {
		fprintf(f, "%s exit pid=%d status=%d%s%s", lmc_name_display(ev->name), ev->pid,
			ev->status, ev->detail[0] ? " " : "", ev->detail);
		event_tail(f, ev);
	} else if (ev->kind == LMC_EVK_STARTED) {
		fprintf(f, "%s started pid=%d", lmc_name_display(ev->name), ev->pid);
		event_tail(f, ev);
	} else if (ev->detail[0]) {
		fprintf(f, "%s %s value=%" PRIu64 " %s", lmc_name_display(ev->name),
			event_kind_name(ev->kind), ev->value, ev->detail);
		event_tail(f, ev);
	} else {
		fprintf(f, "%s %s value=%" PRIu64, lmc_name_display(ev->name),
			event_kind_name(ev->kind), ev->value);
		event_tail(f, ev);
	}
	fflush(f);
}
