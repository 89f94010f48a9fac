/* Text and JSON renderings of what the operations return. */
#include "tools/output.h"

#include <inttypes.h>
#include <string.h>
#include <time.h>

#include "policy/evict.h"

void lmc_out_json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

/* A number or null for "not available"/"unset". */
static void json_u64(FILE *f, const char *key, uint64_t v, bool *first)
{
	fprintf(f, "%s\"%s\":", *first ? "" : ",", key);
	*first = false;
	if (v == LMC_UNSET)
		fputs("null", f);
	else
		fprintf(f, "%" PRIu64, v);
}

static void text_u64(FILE *f, const char *key, uint64_t v)
{
	if (v != LMC_UNSET)
		fprintf(f, "%-28s %" PRIu64 "\n", key, v);
}

void lmc_out_info(FILE *f, const struct lmc_machine_info *info, bool json)
{
	char mem[32], res[32], cap[32], cpus[32], rcpus[32];

	lmc_format_size(info->mem_total, mem, sizeof(mem));
	lmc_format_size(info->reserve_mem, res, sizeof(res));
	lmc_format_size(info->capacity.memory.limit, cap, sizeof(cap));
	lmc_format_cpus(info->capacity.cpu.limit_m, cpus, sizeof(cpus));
	lmc_format_cpus(info->reserve_cpu_m, rcpus, sizeof(rcpus));
	if (json) {
		bool first = true;

		fprintf(f, "{\"mode\":\"%s\",", lmc_cgfs_mode_name(info->mode));
		fputs("\"hierarchies\":{", f);
		for (int c = 0; c < LMC_CTRL__MAX; c++) {
			if (!info->paths[c][0])
				continue;
			fprintf(f, "%s\"%s\":", first ? "" : ",", lmc_ctrl_name(c));
			lmc_out_json_str(f, info->paths[c]);
			first = false;
		}
		fputs("},\"placement\":", f);
		lmc_out_json_str(f, info->placement);
		fputs(",\"unavailable\":{", f);
		first = true;
		for (int c = 0; c < LMC_CTRL__MAX; c++) {
			if (!info->why[c][0])
				continue;
			fprintf(f, "%s\"%s\":", first ? "" : ",", lmc_ctrl_name(c));
			lmc_out_json_str(f, info->why[c]);
			first = false;
		}
		first = true;
		fputs("},", f);
		fputs("\"machine\":{", f);
		json_u64(f, "memory", info->mem_total, &first);
		json_u64(f, "cpus", info->ncpus, &first);
		json_u64(f, "pid_max", info->pid_max, &first);
		fputs("},\"reserve\":{", f);
		first = true;
		json_u64(f, "memory", info->reserve_mem, &first);
		json_u64(f, "cpu_millicores", info->reserve_cpu_m, &first);
		fputs("},\"capacity\":{", f);
		first = true;
		json_u64(f, "memory", info->capacity.memory.limit, &first);
		json_u64(f, "cpu_millicores", info->capacity.cpu.limit_m, &first);
		json_u64(f, "pids", info->capacity.pids.limit, &first);
		fprintf(f, "},\"containers\":%zu}\n", info->n_containers);
		return;
	}
	fprintf(f, "cgroup mode: %s\n", lmc_cgfs_mode_name(info->mode));
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

void lmc_out_list(FILE *f, const struct lmc_list_entry *l, size_t n, bool want_pids, bool json)
{
	if (json) {
		fputc('[', f);
		for (size_t i = 0; i < n; i++) {
			fprintf(f, "%s{\"name\":", i ? "," : "");
			lmc_out_json_str(f, l[i].name);
			fprintf(f, ",\"depth\":%d,\"paused\":%s,\"priority\":%" PRId64, l[i].depth,
				l[i].paused ? "true" : "false", l[i].priority);
			if (want_pids) {
				fputs(",\"pids\":[", f);
				for (size_t k = 0; k < l[i].n_pids; k++)
					fprintf(f, "%s%d", k ? "," : "", l[i].pids[k]);
				fputc(']', f);
			}
			fputc('}', f);
		}
		fputs("]\n", f);
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

struct eff_row {
	const char *key;
	enum fmt fmt;
	size_t spec_off; /* offset of the asked value in struct lmc_spec */
	size_t eff_off; /* offset of the lmc_eff_value in lmc_effective */
};

#define SPEC_U64(f) offsetof(struct lmc_spec, f)
#define EFF(f) offsetof(struct lmc_effective, f)

static const struct eff_row eff_rows[] = {
	{"memory.limit", F_SIZE, SPEC_U64(memory.limit), EFF(mem_limit)},
	{"memory.reservation", F_SIZE, SPEC_U64(memory.reservation), EFF(mem_reservation)},
	{"memory.high", F_SIZE, SPEC_U64(memory.high), EFF(mem_high)},
	{"memory.swap", F_SIZE, SPEC_U64(memory.swap), EFF(mem_swap)},
	{"cpu.limit", F_CPU, SPEC_U64(cpu.limit_m), EFF(cpu_limit_m)},
	{"cpu.reservation", F_CPU, SPEC_U64(cpu.reservation_m), EFF(cpu_reservation_m)},
	{"pids.limit", F_NUM, SPEC_U64(pids.limit), EFF(pids_limit)},
	{"max_containers", F_NUM, SPEC_U64(max_containers), EFF(max_containers)},
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

static void idmaps_json(FILE *f, const char *key, const struct lmc_idmap *m, unsigned n)
{
	fprintf(f, ",\"%s\":[", key);
	for (unsigned i = 0; i < n; i++)
		fprintf(f, "%s{\"inside\":%u,\"outside\":%u,\"count\":%u}", i ? "," : "",
			m[i].inside, m[i].outside, m[i].count);
	fputc(']', f);
}

static void spec_json(FILE *f, const char *name, const struct lmc_spec *spec,
		      const struct lmc_effective *eff, bool paused)
{
	char nsbuf[128];
	bool first = true;

	fputs("{\"name\":", f);
	lmc_out_json_str(f, lmc_name_display(name));
	fprintf(f, ",\"paused\":%s", paused ? "true" : "false");
	fputs(",\"resources\":{", f);
	for (size_t i = 0; i < ARRAY_SIZE(eff_rows); i++) {
		const struct eff_row *r = &eff_rows[i];
		const struct lmc_eff_value *e = (const void *)((const char *)eff + r->eff_off);

		fprintf(f, "%s\"%s\":{", i ? "," : "", r->key);
		first = true;
		json_u64(f, "asked", *(const uint64_t *)((const char *)spec + r->spec_off), &first);
		json_u64(f, "effective", e->value, &first);
		fputs(",\"set_by\":", f);
		if (e->value == LMC_UNSET || !e->from)
			fputs("null", f);
		else
			lmc_out_json_str(f, lmc_name_display(e->from));
		fputc('}', f);
	}
	fputs("}", f);
	first = false;
	fprintf(f, ",\"priority\":{\"asked\":");
	if (spec->memory.eviction_priority != INT64_MIN)
		fprintf(f, "%" PRId64, spec->memory.eviction_priority);
	else
		fputs("null", f);
	fprintf(f, ",\"effective\":%" PRId64 "}", eff->priority);
	json_u64(f, "cpu_shares", eff->cpu_shares, &first);
	json_u64(f, "cpu_period_us", spec->cpu.period_us, &first);
	json_u64(f, "cpu_burst_us", spec->cpu.burst_us, &first);
	json_u64(f, "blkio_weight", spec->blkio.weight, &first);
	fputs(",\"cpuset_cpus\":", f);
	lmc_out_json_str(f, spec->cpu.cpus);
	fputs(",\"cpuset_mems\":", f);
	lmc_out_json_str(f, spec->cpu.mems);
	fputs(",\"latency\":", f);
	lmc_out_json_str(f, latency_name(spec->cpu.latency));
	fputs(",\"throttles\":[", f);
	for (unsigned i = 0; i < spec->blkio.n_throttles; i++) {
		const struct lmc_throttle *t = &spec->blkio.throttles[i];

		first = true;
		fprintf(f, "%s{\"device\":\"%u:%u\",", i ? "," : "", t->major, t->minor);
		json_u64(f, "read_bps", t->read_bps, &first);
		json_u64(f, "write_bps", t->write_bps, &first);
		json_u64(f, "read_iops", t->read_iops, &first);
		json_u64(f, "write_iops", t->write_iops, &first);
		fputc('}', f);
	}
	ns_list(&spec->ns, nsbuf, sizeof(nsbuf));
	fputs("],\"namespaces\":", f);
	lmc_out_json_str(f, nsbuf);
	fputs(",\"hostname\":", f);
	lmc_out_json_str(f, spec->ns.hostname);
	idmaps_json(f, "uid_map", spec->ns.uid_map, spec->ns.n_uid_map);
	idmaps_json(f, "gid_map", spec->ns.gid_map, spec->ns.n_gid_map);
	first = false;
	json_u64(f, "owner", spec->owner == LMC_OWNER_UNSET ? LMC_UNSET : spec->owner, &first);
	fputs("}\n", f);
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

struct stat_row {
	const char *key;
	enum fmt fmt;
	size_t off;
};

#define ST(f) offsetof(struct lmc_stats, f)

static const struct stat_row stat_rows[] = {
	{"cpu.usage_ns", F_NSEC, ST(cpu_usage_ns)},
	{"cpu.user_ns", F_NSEC, ST(cpu_user_ns)},
	{"cpu.system_ns", F_NSEC, ST(cpu_system_ns)},
	{"cpu.nr_periods", F_NUM, ST(cpu_nr_periods)},
	{"cpu.nr_throttled", F_NUM, ST(cpu_nr_throttled)},
	{"cpu.throttled_ns", F_NSEC, ST(cpu_throttled_ns)},
	{"memory.usage", F_BYTES, ST(mem_usage)},
	{"memory.peak", F_BYTES, ST(mem_peak)},
	{"memory.limit", F_BYTES, ST(mem_limit)},
	{"memory.rss", F_BYTES, ST(mem_rss)},
	{"memory.cache", F_BYTES, ST(mem_cache)},
	{"memory.swap", F_BYTES, ST(mem_swap)},
	{"memory.failcnt", F_NUM, ST(mem_failcnt)},
	{"memory.oom_kills", F_NUM, ST(mem_oom_kills)},
	{"memory.oom_events", F_NUM, ST(mem_oom_events)},
	{"io.read_bytes", F_BYTES, ST(io_read_bytes)},
	{"io.write_bytes", F_BYTES, ST(io_write_bytes)},
	{"io.read_ops", F_NUM, ST(io_read_ops)},
	{"io.write_ops", F_NUM, ST(io_write_ops)},
	{"pids.current", F_NUM, ST(pids_current)},
	{"pids.limit", F_NUM, ST(pids_limit)},
};

static const struct {
	const char *name;
	size_t off;
} psi_rows[] = {
	{"cpu", ST(psi_cpu)},
	{"memory", ST(psi_memory)},
	{"io", ST(psi_io)},
};

static void psi_json(FILE *f, const struct lmc_psi *p)
{
	if (!p->present) {
		fputs("null", f);
		return;
	}
	fprintf(f,
		"{\"some\":{\"avg10\":%.2f,\"avg60\":%.2f,\"avg300\":%.2f,\"total_us\":%" PRIu64
		"},\"full\":{\"avg10\":%.2f,\"avg60\":%.2f,\"avg300\":%.2f,\"total_us\":%" PRIu64
		"}}",
		p->some_avg10, p->some_avg60, p->some_avg300, p->some_total_us, p->full_avg10,
		p->full_avg60, p->full_avg300, p->full_total_us);
}

static void stats_one_json(FILE *f, const struct lmc_stats_entry *e)
{
	bool first = false;

	fputs("{\"name\":", f);
	lmc_out_json_str(f, lmc_name_display(e->name));
	fprintf(f, ",\"paused\":%s", e->paused ? "true" : "false");
	fprintf(f, ",\"priority\":%" PRId64, e->priority);
	for (size_t i = 0; i < ARRAY_SIZE(stat_rows); i++)
		json_u64(f, stat_rows[i].key,
			 *(const uint64_t *)((const char *)&e->stats + stat_rows[i].off), &first);
	fputs(",\"pressure\":{", f);
	for (size_t i = 0; i < ARRAY_SIZE(psi_rows); i++) {
		fprintf(f, "%s\"%s\":", i ? "," : "", psi_rows[i].name);
		psi_json(f, (const void *)((const char *)&e->stats + psi_rows[i].off));
	}
	fputs("}}", f);
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

/* A row of `stats` text: human units (the key without its _ns/_bytes suffix), or with
 * --bytes the raw number under the JSON key. */
static void stat_text(FILE *f, const struct stat_row *row, uint64_t v, bool raw)
{
	char key[40], val[32];
	size_t n = strlen(row->key);

	if (v == LMC_UNSET)
		return;
	if (raw || row->fmt == F_NUM) {
		snprintf(key, sizeof(key), "  %s", row->key);
		text_u64(f, key, v);
		return;
	}
	if (row->fmt == F_NSEC && n > 3 && strcmp(row->key + n - 3, "_ns") == 0)
		n -= 3;
	else if (row->fmt == F_BYTES && n > 6 && strcmp(row->key + n - 6, "_bytes") == 0)
		n -= 6;
	snprintf(key, sizeof(key), "  %.*s", (int)n, row->key);
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
		stat_text(f, &stat_rows[i],
			  *(const uint64_t *)((const char *)&e->stats + stat_rows[i].off), raw);
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
	if (json) {
		fputc('[', f);
		for (size_t i = 0; i < n; i++) {
			if (i)
				fputc(',', f);
			stats_one_json(f, &e[i]);
		}
		fputs("]\n", f);
		return;
	}
	for (size_t i = 0; i < n; i++)
		stats_one_text(f, &e[i], raw);
}

static const char *event_kind_name(enum lmc_event_kind k)
{
	switch (k) {
	case LMC_EVENT_OOM:
		return "oom";
	case LMC_EVENT_THRESHOLD:
		return "memory-threshold";
	case LMC_EVENT_EMPTY:
		return "empty";
	case LMC_EVENT_EXIT:
		return "exit";
	case LMC_EVENT_EVICTED:
		return "evicted";
	case LMC_EVENT_RECLAIM:
		return "reclaim";
	}
	return "unknown";
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

void lmc_out_event(FILE *f, const struct lmc_event *ev, bool json)
{
	if (!json)
		event_time(f, ev->timestamp_ns);
	if (json) {
		fputs("{\"container\":", f);
		lmc_out_json_str(f, lmc_name_display(ev->name));
		fprintf(f,
			",\"event\":\"%s\",\"value\":%" PRIu64
			",\"pid\":%d,\"status\":%d,\"timestamp_ns\":%" PRIu64,
			event_kind_name(ev->kind), ev->value, ev->pid, ev->status,
			ev->timestamp_ns);
		if (ev->detail[0]) {
			fputs(",\"detail\":", f);
			lmc_out_json_str(f, ev->detail);
		}
		fputs("}\n", f);
	} else if (ev->kind == LMC_EVENT_EXIT) {
		fprintf(f, "%s exit pid=%d status=%d%s%s\n", lmc_name_display(ev->name), ev->pid,
			ev->status, ev->detail[0] ? " " : "", ev->detail);
	} else if (ev->detail[0]) {
		fprintf(f, "%s %s value=%" PRIu64 " %s\n", lmc_name_display(ev->name),
			event_kind_name(ev->kind), ev->value, ev->detail);
	} else {
		fprintf(f, "%s %s value=%" PRIu64 "\n", lmc_name_display(ev->name),
			event_kind_name(ev->kind), ev->value);
	}
	fflush(f);
}
