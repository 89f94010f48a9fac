/* The body of lmctld's GET /metrics: what is read on the loop (the containers, their limits
 * and effective limits from the tree), what a worker reads and writes (the kernel's figures,
 * through the same lmc_mgr_stats_fill that `lmctl stats` uses, then the text), and the
 * metric families: cAdvisor's names where cAdvisor has the figure, lmctl_* for the rest. */
#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "proto/api.h"
#include "tools/agent/lmctld-metrics-int.h"
#include "tools/agent/lmctld.h"

#define READ_NICE 5

/* ---------------- families ---------------- */

#define ST(f) offsetof(struct lmc_stats, f)

struct stat_family {
	const char *name, *type, *help;
	size_t off; /* a uint64_t in struct lmc_stats */
	unsigned decimals; /* 9: ns as seconds, 6: us as seconds */
};

static const struct stat_family stat_families[] = {
	{"container_cpu_usage_seconds_total", "counter", "Cumulative CPU time consumed.",
	 ST(cpu_usage_ns), 9},
	{"container_cpu_user_seconds_total", "counter", "Cumulative user CPU time consumed.",
	 ST(cpu_user_ns), 9},
	{"container_cpu_system_seconds_total", "counter", "Cumulative system CPU time consumed.",
	 ST(cpu_system_ns), 9},
	{"container_cpu_cfs_periods_total", "counter", "Enforcement periods elapsed.",
	 ST(cpu_nr_periods), 0},
	{"container_cpu_cfs_throttled_periods_total", "counter",
	 "Enforcement periods in which the container was throttled.", ST(cpu_nr_throttled), 0},
	{"container_cpu_cfs_throttled_seconds_total", "counter",
	 "Total time the container was throttled.", ST(cpu_throttled_ns), 9},
	{"container_memory_usage_bytes", "gauge", "Current memory usage, page cache included.",
	 ST(mem_usage), 0},
	{"container_memory_max_usage_bytes", "gauge", "Highest memory usage recorded.",
	 ST(mem_peak), 0},
	{"container_memory_rss", "gauge", "Anonymous memory (v1 rss, v2 anon).", ST(mem_rss), 0},
	{"container_memory_cache", "gauge", "Page cache (v1 cache, v2 file).", ST(mem_cache), 0},
	{"container_memory_swap", "gauge", "Swap in use.", ST(mem_swap), 0},
	{"lmctl_container_memory_limit_hits_total", "counter",
	 "Times usage hit the limit (v1 failcnt, v2 memory.events max).", ST(mem_failcnt), 0},
	{"container_oom_events_total", "counter", "Processes killed by the kernel's OOM killer.",
	 ST(mem_oom_kills), 0},
	{"lmctl_container_memory_oom_total", "counter",
	 "Times the limit was hit and reclaim failed (v2 memory.events oom).", ST(mem_oom_events),
	 0},
	{"container_fs_reads_bytes_total", "counter", "Bytes read from block devices.",
	 ST(io_read_bytes), 0},
	{"container_fs_writes_bytes_total", "counter", "Bytes written to block devices.",
	 ST(io_write_bytes), 0},
	{"container_fs_reads_total", "counter", "Read operations on block devices.",
	 ST(io_read_ops), 0},
	{"container_fs_writes_total", "counter", "Write operations on block devices.",
	 ST(io_write_ops), 0},
	{"container_processes", "gauge", "Tasks (processes and threads) in the container.",
	 ST(pids_current), 0},
};

struct psi_family {
	const char *waiting, *stalled, *what;
	size_t off; /* a struct lmc_psi in struct lmc_stats */
};

static const struct psi_family psi_families[] = {
	{"container_pressure_cpu_waiting_seconds_total",
	 "container_pressure_cpu_stalled_seconds_total", "CPU", ST(psi_cpu)},
	{"container_pressure_memory_waiting_seconds_total",
	 "container_pressure_memory_stalled_seconds_total", "memory", ST(psi_memory)},
	{"container_pressure_io_waiting_seconds_total",
	 "container_pressure_io_stalled_seconds_total", "IO", ST(psi_io)},
};

#define SP(f) offsetof(struct lmc_spec, f)
#define EF(f) offsetof(struct lmc_effective, f)
#define NO_EFF SIZE_MAX

/* What a container asks for (its own spec) and, for limits, what binds it (the smallest
 * along its ancestors: policy's effective value, and who sets it). */
struct spec_family {
	const char *name, *help;
	size_t off; /* a uint64_t in struct lmc_spec */
	size_t eff; /* a struct lmc_eff_value in struct lmc_effective, or NO_EFF */
	unsigned decimals; /* 3: millicores as cores */
};

static const struct spec_family spec_families[MROW_ASKED] = {
	{"memory_bytes", "memory limit", SP(memory.limit), EF(mem_limit), 0},
	{"memory_high_bytes", "memory high (throttling) limit", SP(memory.high), EF(mem_high), 0},
	{"memory_swap_bytes", "memory plus swap limit", SP(memory.swap), EF(mem_swap), 0},
	{"cpu_cores", "CPU limit in cores", SP(cpu.limit_m), EF(cpu_limit_m), 3},
	{"pids", "tasks limit", SP(pids.limit), EF(pids_limit), 0},
	{"containers", "containers it may hold below it", SP(max_containers), EF(max_containers),
	 0},
	{"memory_bytes", "memory reservation", SP(memory.reservation), NO_EFF, 0},
	{"cpu_cores", "CPU reservation in cores", SP(cpu.reservation_m), NO_EFF, 3},
};
#define N_LIMITS 6 /* spec_families[0..N_LIMITS) are limits, the rest reservations */

/* ---------------- on the loop ---------------- */

static uint32_t pool_add(struct lmc_mtext *pool, const char *name)
{
	uint32_t at = (uint32_t)pool->len;
	const char *d = lmc_name_display(name);

	lmc_mtext_append(pool, d, strlen(d) + 1);
	return pool->err ? 0 : at;
}

/* One container's asked and effective values; -errno if it is not in the tree. */
static int row_fill(struct lmc_manager *m, const char *name, struct mrow *row,
		    struct lmc_mtext *pool)
{
	struct lmc_spec spec;
	struct lmc_effective eff;
	struct lmc_err err = {0};
	int r;

	r = lmc_mgr_spec(m, name, &spec, &eff, &err);
	if (r < 0)
		return r;
	for (unsigned k = 0; k < MROW_ASKED; k++) {
		const struct spec_family *f = &spec_families[k];
		const struct lmc_eff_value *ev;

		row->asked[k] = *(const uint64_t *)((const char *)&spec + f->off);
		if (f->eff == NO_EFF)
			continue;
		ev = (const void *)((const char *)&eff + f->eff);
		row->eff[k] = ev->value;
		row->from[k] = pool_add(pool, ev->from ? ev->from : "");
	}
	return 0;
}

int lmc_metrics_build_plan(struct mbuild *b, struct lmc_manager *m)
{
	struct lmc_err err = {0};
	int r;

	r = lmc_mgr_stats_plan(m, "/", true, &b->e, &b->n, &err);
	if (r < 0)
		return r;
	b->rows = calloc(b->n ? b->n : 1, sizeof(*b->rows));
	if (!b->rows)
		return -ENOMEM;
	for (size_t i = 0; i < b->n; i++)
		if (row_fill(m, b->e[i].name, &b->rows[i], &b->pool) < 0)
			b->e[i].gone = true;
	return b->pool.err;
}

/* ---------------- on the worker ---------------- */

static void sample(struct lmc_mtext *t, const char *name, const char *container, uint64_t v,
		   unsigned decimals)
{
	const char *labels[] = {"container", container};
	char val[32];

	lmc_mtext_fixed(v, decimals, val, sizeof(val));
	lmc_mtext_sample(t, name, labels, 1, val);
}

static void write_stats(struct mbuild *b, struct lmc_mtext *t)
{
	for (size_t k = 0; k < ARRAY_SIZE(stat_families); k++) {
		const struct stat_family *f = &stat_families[k];

		lmc_mtext_family(t, f->name, f->type, f->help);
		for (size_t i = 0; i < b->n; i++) {
			uint64_t v = *(const uint64_t *)((const char *)&b->e[i].stats + f->off);

			if (!b->e[i].gone && v != LMC_UNSET)
				sample(t, f->name, b->e[i].name, v, f->decimals);
		}
	}
	/* cAdvisor's working set: usage less the inactive page cache, which reclaim takes
	 * first (what the OOM killer is closest to). */
	lmc_mtext_family(t, "container_memory_working_set_bytes", "gauge",
			 "Current working set: usage less inactive file cache.");
	for (size_t i = 0; i < b->n; i++) {
		const struct lmc_stats *s = &b->e[i].stats;
		uint64_t ws = s->mem_usage;

		if (b->e[i].gone || ws == LMC_UNSET)
			continue;
		if (s->mem_inactive_file != LMC_UNSET)
			ws = ws > s->mem_inactive_file ? ws - s->mem_inactive_file : 0;
		sample(t, "container_memory_working_set_bytes", b->e[i].name, ws, 0);
	}
}

static void write_psi(struct mbuild *b, struct lmc_mtext *t)
{
	char help[128];

	for (size_t k = 0; k < ARRAY_SIZE(psi_families); k++) {
		const struct psi_family *f = &psi_families[k];

		for (int full = 0; full < 2; full++) {
			const char *name = full ? f->stalled : f->waiting;

			snprintf(help, sizeof(help), "Total time %s on %s (PSI %s).",
				 full ? "all non-idle tasks were stalled" : "some task waited",
				 f->what, full ? "full" : "some");
			lmc_mtext_family(t, name, "counter", help);
			for (size_t i = 0; i < b->n; i++) {
				const struct lmc_psi *p =
					(const void *)((const char *)&b->e[i].stats + f->off);
				uint64_t v = full ? p->full_total_us : p->some_total_us;

				if (!b->e[i].gone && p->present && v != LMC_UNSET)
					sample(t, name, b->e[i].name, v, 6);
			}
		}
	}
}

static void write_spec_family(struct mbuild *b, struct lmc_mtext *t, size_t k, bool effective)
{
	const struct spec_family *f = &spec_families[k];
	char name[96], help[160], val[32];

	snprintf(name, sizeof(name), "lmctl_container_%s%s_%s", effective ? "effective_" : "",
		 k < N_LIMITS ? "limit" : "reservation", f->name);
	snprintf(help, sizeof(help), "%s%s%s.", effective ? "Effective " : "Own ", f->help,
		 effective ? ": the smallest along the ancestors, set by bounded_by" : "");
	lmc_mtext_family(t, name, "gauge", help);
	for (size_t i = 0; i < b->n; i++) {
		const struct mrow *row = &b->rows[i];
		uint64_t v = effective ? row->eff[k] : row->asked[k];
		const char *labels[] = {"container", b->e[i].name, "bounded_by",
					effective ? b->pool.buf + row->from[k] : ""};

		if (b->e[i].gone || v == LMC_UNSET)
			continue;
		lmc_mtext_fixed(v, f->decimals, val, sizeof(val));
		lmc_mtext_sample(t, name, labels, effective ? 2 : 1, val);
	}
}

static void write_spec(struct mbuild *b, struct lmc_mtext *t)
{
	char val[32];

	for (size_t k = 0; k < MROW_ASKED; k++)
		write_spec_family(b, t, k, false);
	for (size_t k = 0; k < N_LIMITS; k++)
		write_spec_family(b, t, k, true);
	lmc_mtext_family(t, "lmctl_container_eviction_priority", "gauge",
			 "Eviction priority, own or inherited (lower is evicted first).");
	for (size_t i = 0; i < b->n; i++) {
		const char *labels[] = {"container", b->e[i].name};

		if (b->e[i].gone)
			continue;
		snprintf(val, sizeof(val), "%" PRId64, b->e[i].priority);
		lmc_mtext_sample(t, "lmctl_container_eviction_priority", labels, 1, val);
	}
}

static const double bucket_le[MHIST_BUCKETS] = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
						0.01,	0.025,	 0.05,	 0.1,	0.25,	0.5,
						1,	2.5,	 5,	 10};

static const char *const op_names[MHIST_OPS] = {
	[0] = "invalid",
	[LMC_API_OP_INFO] = "info",
	[LMC_API_OP_INIT] = "init",
	[LMC_API_OP_CREATE] = "create",
	[LMC_API_OP_UPDATE] = "update",
	[LMC_API_OP_DESTROY] = "destroy",
	[LMC_API_OP_LIST] = "list",
	[LMC_API_OP_SPEC] = "spec",
	[LMC_API_OP_STATS] = "stats",
	[LMC_API_OP_RUN] = "run",
	[LMC_API_OP_ENTER] = "enter",
	[LMC_API_OP_KILL] = "kill",
	[LMC_API_OP_PAUSE] = "pause",
	[LMC_API_OP_RESUME] = "resume",
	[LMC_API_OP_VERSION] = "version",
	[LMC_API_OP_SUBSCRIBE] = "subscribe",
};

unsigned lmc_metrics_bucket_of(uint64_t ns)
{
	unsigned k = 0;

	while (k < MHIST_BUCKETS && (double)ns > bucket_le[k] * 1e9)
		k++;
	return k; /* MHIST_BUCKETS: above the last bound (+Inf only) */
}

static void write_hist(struct mbuild *b, struct lmc_mtext *t)
{
	static const char *const name = "lmctl_agent_request_duration_seconds";
	char val[32], le[32], full[64];

	lmc_mtext_family(t, name, "histogram",
			 "Time from a request's arrival to its answer being queued, by type "
			 "(a run: until its start is under way).");
	for (int op = 0; op < MHIST_OPS; op++) {
		const struct mhist *h = &b->hist[op];
		uint64_t cum = 0;
		const char *labels[] = {"type", op_names[op] ? op_names[op] : "other", "le", le};

		if (!h->count)
			continue;
		snprintf(full, sizeof(full), "%s_bucket", name);
		for (unsigned k = 0; k <= MHIST_BUCKETS; k++) {
			cum += h->buckets[k];
			if (k < MHIST_BUCKETS)
				snprintf(le, sizeof(le), "%g", bucket_le[k]);
			else
				snprintf(le, sizeof(le), "+Inf");
			snprintf(val, sizeof(val), "%" PRIu64, cum);
			lmc_mtext_sample(t, full, labels, 2, val);
		}
		snprintf(full, sizeof(full), "%s_sum", name);
		lmc_mtext_fixed(h->sum_ns, 9, val, sizeof(val));
		lmc_mtext_sample(t, full, labels, 1, val);
		snprintf(full, sizeof(full), "%s_count", name);
		snprintf(val, sizeof(val), "%" PRIu64, h->count);
		lmc_mtext_sample(t, full, labels, 1, val);
	}
}

static void gauge(struct lmc_mtext *t, const char *name, const char *type, const char *help,
		  uint64_t v, unsigned decimals)
{
	char val[32];

	lmc_mtext_family(t, name, type, help);
	lmc_mtext_fixed(v, decimals, val, sizeof(val));
	lmc_mtext_sample(t, name, NULL, 0, val);
}

static void write_agent(struct mbuild *b, struct lmc_mtext *t, size_t live)
{
	const char *ver[] = {"version", LMC_API_VERSION_STRING};

	lmc_mtext_family(t, "lmctl_build_info", "gauge", "The agent's version (always 1).");
	lmc_mtext_sample(t, "lmctl_build_info", ver, 1, "1");
	gauge(t, "lmctl_containers", "gauge", "Containers the agent manages.", live, 0);
	gauge(t, "lmctl_evictions_total", "counter",
	      "Containers whose processes the agent killed to relieve memory pressure.",
	      b->evictions, 0);
	gauge(t, "lmctl_eviction_watched_containers", "gauge",
	      "Containers watched for memory pressure (with the machine root).", b->watched, 0);
	gauge(t, "lmctl_agent_connections", "gauge", "Admin API connections open.", b->clients, 0);
	gauge(t, "lmctl_metrics_previous_build_seconds", "gauge",
	      "How long the previous scrape's body took to read and write.", b->prev_build_ns, 9);
	write_hist(b, t);
}

/* Monitoring yields to the admin API: the worker reading (and the readers it starts) runs at
 * READ_NICE below the loop's priority, so a reading on a busy machine slows itself rather than
 * the agent's answers; back to the loop's after, since workers are kept for the next job
 * (raised from its own each time, a kept worker reached nice 15 by the third scrape). */
static void reader_nice(bool reading)
{
	int loop;

	errno = 0;
	loop = getpriority(PRIO_PROCESS, (id_t)getpid()); /* the main thread: the loop */
	if (errno == 0 && loop + READ_NICE <= 19)
		(void)setpriority(PRIO_PROCESS, (id_t)gettid(), reading ? loop + READ_NICE : loop);
}

static int build_text(struct mbuild *b)
{
	struct lmc_mtext *t = &b->body->t;
	size_t live = 0;

	for (size_t i = 0; i < b->n; i++)
		live += !b->e[i].gone;
	write_stats(b, t);
	write_psi(b, t);
	write_spec(b, t);
	write_agent(b, t, live);
	if (t->err < 0)
		snprintf(b->why, sizeof(b->why), "out of memory");
	return t->err;
}

void lmc_metrics_build_work(void *arg)
{
	struct mbuild *b = arg;
	struct lmc_err err = {0};
	uint64_t t0 = lmc_metrics_clock();

	reader_nice(true);
	b->r = lmc_mgr_stats_fill_live(b->m, b->e, b->n, &err);
	if (b->r < 0)
		snprintf(b->why, sizeof(b->why), "%s", lmc_err_str(&err));
	else
		b->r = build_text(b);
	reader_nice(false);
	b->build_ns = lmc_metrics_clock() - t0;
}

void lmc_metrics_prime_work(void *arg)
{
	struct mprime *p = arg;
	struct lmc_err err = {0};

	reader_nice(true);
	(void)lmc_mgr_stats_fill_live(p->m, p->e, p->n, &err); /* a failure: the scrape's */
	reader_nice(false);
}
