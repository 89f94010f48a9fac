/* The container spec (what the user asked for), usage stats, and the unit parsers. */
#ifndef LMC_SPEC_H
#define LMC_SPEC_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "base/err.h"

/* Any numeric field equal to LMC_UNSET was not asked for: it inherits and nothing is
 * written to the kernel for it. */
#define LMC_UNSET UINT64_MAX
/* In an update only (lmctl update --memory=max): the limit is cleared, back to unset, and
 * the kernel's file back to its default. A merge turns it into LMC_UNSET; validation refuses
 * it anywhere else. */
#define LMC_CLEAR (UINT64_MAX - 1)

#define LMC_CPUSET_MAX 256
#define LMC_THROTTLE_MAX 16
#define LMC_IDMAP_MAX 8
#define LMC_HOSTNAME_MAX 64
#define LMC_DEVPATH_MAX 108

enum lmc_latency {
	LMC_LATENCY_UNSET = 0,
	LMC_LATENCY_SENSITIVE,
	LMC_LATENCY_BATCH,
};

enum lmc_ns {
	LMC_NS_PID = 1u << 0,
	LMC_NS_MNT = 1u << 1,
	LMC_NS_UTS = 1u << 2,
	LMC_NS_IPC = 1u << 3,
	LMC_NS_NET = 1u << 4,
	LMC_NS_USER = 1u << 5,
	LMC_NS_CGROUP = 1u << 6,
	LMC_NS_ALL = (1u << 7) - 1,
};

struct lmc_spec_cpu {
	uint64_t reservation_m; /* millicores guaranteed -> weight/shares */
	uint64_t limit_m; /* millicores hard cap -> CFS quota/period */
	uint64_t shares; /* explicit v1 shares (2..262144), converted to weight on v2 */
	uint64_t period_us; /* CFS period; LMC_UNSET = 100000 */
	uint64_t burst_us; /* CFS burst above the quota (cpu.max.burst); needs a limit */
	char cpus[LMC_CPUSET_MAX]; /* cpuset list, "" unset; canonical "0-3,5" */
	char mems[LMC_CPUSET_MAX];
	enum lmc_latency latency;
};

struct lmc_spec_memory {
	uint64_t limit; /* bytes */
	uint64_t reservation; /* bytes: memory.low / soft_limit_in_bytes */
	uint64_t high; /* bytes: memory.high (v2 only; v1 has no equivalent) */
	uint64_t swap; /* docker --memory-swap: memory+swap total bytes */
	int oom_group; /* -1 unset, 0/1 */
	int64_t eviction_priority; /* INT64_MIN unset */
};

/* One device's throttles; the four rates are LMC_UNSET where not given. */
struct lmc_throttle {
	uint32_t major, minor;
	char path[LMC_DEVPATH_MAX]; /* as the user named it, for display; may be "8:0" */
	uint64_t read_bps, write_bps, read_iops, write_iops;
};

struct lmc_spec_blkio {
	uint64_t weight; /* 10..1000 (docker --blkio-weight) */
	unsigned n_throttles;
	struct lmc_throttle throttles[LMC_THROTTLE_MAX];
};

struct lmc_spec_pids {
	uint64_t limit;
};

struct lmc_idmap {
	uint32_t inside, outside, count;
};

struct lmc_spec_ns {
	uint32_t mask; /* enum lmc_ns bits */
	char hostname[LMC_HOSTNAME_MAX + 1];
	unsigned n_uid_map, n_gid_map;
	struct lmc_idmap uid_map[LMC_IDMAP_MAX];
	struct lmc_idmap gid_map[LMC_IDMAP_MAX];
};

struct lmc_spec {
	struct lmc_spec_cpu cpu;
	struct lmc_spec_memory memory;
	struct lmc_spec_blkio blkio;
	struct lmc_spec_pids pids;
	struct lmc_spec_ns ns;
	uint32_t owner; /* uid that may manage this subtree; LMC_OWNER_UNSET none */
	uint64_t max_containers; /* descendants it may hold (cgroup.max.descendants) */
};
#define LMC_OWNER_UNSET UINT32_MAX
#define LMC_MAX_CONTAINERS_MAX 1048576ULL
/* What a container given to a non-root owner may hold when nothing above it bounds it: the
 * kernel's cgroup ids are finite (memory's run out at 65,535), and each container is a
 * cgroup in every hierarchy. */
#define LMC_OWNER_MAX_CONTAINERS 64ULL

/* Every field unset. */
void lmc_spec_init(struct lmc_spec *spec);
/* Overlay every field set in upd onto spec (an update). Throttles merge per device;
 * namespaces may not change (-EINVAL via err) once a container exists. */
int lmc_spec_merge(struct lmc_spec *spec, const struct lmc_spec *upd, struct lmc_err *err);
/* Self-consistency of one spec, no tree: ranges, reservation <= limit, swap >= limit,
 * hostname needs uts, maps need user. */
int lmc_spec_validate(const char *name, const struct lmc_spec *spec, struct lmc_err *err);

/* Rules the spec's checks and the controllers share, defined once here. The CFS period (us)
 * when a spec sets none, and the smallest quota the kernel takes (1 ms). */
#define LMC_SPEC_CPU_PERIOD_DEFAULT_US 100000ULL
#define LMC_SPEC_CPU_QUOTA_MIN_US 1000ULL
/* The smallest memory limit: one page; anything smaller is a typo. */
#define LMC_SPEC_MEMORY_MIN 4096ULL
/* The CFS period of a cpu spec (the default when unset), and its quota:
 * limit_m * period / 1000 us, LMC_UNSET without a limit. */
uint64_t lmc_spec_cpu_period(const struct lmc_spec_cpu *cpu);
uint64_t lmc_spec_cpu_quota(const struct lmc_spec_cpu *cpu);
/* The throttles of device major:minor, NULL if b (may be NULL) has none for it. */
const struct lmc_throttle *lmc_spec_throttle_find(const struct lmc_spec_blkio *b, uint32_t major,
						  uint32_t minor);

/* CPU shares a spec gives the kernel (issue 4 rule 6): explicit shares win; latency batch
 * -> 2 (the minimum); else the reservation (1000m = 1024 shares, at least 2); LMC_UNSET when
 * none applies. Controllers convert to cpu.weight on v2. */
uint64_t lmc_spec_cpu_shares(const struct lmc_spec_cpu *cpu);

/* Unit parsers. Each fills err naming the flag and the value:
 * "--memory: invalid size '12Q'". flag may be NULL. */
int lmc_parse_size(const char *flag, const char *s, uint64_t *ret, struct lmc_err *err);
/* "1.5" cores, "1500m" millicores -> millicores (> 0). */
int lmc_parse_cpus(const char *flag, const char *s, uint64_t *ret_millicores, struct lmc_err *err);
/* "0-3,5" -> canonical list in ret (size LMC_CPUSET_MAX). */
int lmc_parse_cpulist(const char *flag, const char *s, char *ret, struct lmc_err *err);
/* Positive integer within [min, max]. */
int lmc_parse_u64(const char *flag, const char *s, uint64_t min, uint64_t max, uint64_t *ret,
		  struct lmc_err *err);
/* "/dev/vda:10M" or "8:0:10M" -> device numbers and rate (size units; iops plain numbers
 * also accept K/M). Merges into blkio->throttles; which: 0 read_bps, 1 write_bps,
 * 2 read_iops, 3 write_iops. */
int lmc_parse_throttle(const char *flag, const char *s, int which, struct lmc_spec_blkio *blkio,
		       struct lmc_err *err);
/* "pid,mnt,uts" -> mask. */
int lmc_parse_ns(const char *flag, const char *s, uint32_t *ret_mask, struct lmc_err *err);
/* "0:100000:65536[,...]" -> maps. */
int lmc_parse_idmap(const char *flag, const char *s, struct lmc_idmap *maps, unsigned *n,
		    struct lmc_err *err);
/* Formatting: 1073741824 -> "1G" (exact units only, else bytes). */
void lmc_format_size(uint64_t v, char *buf, size_t size);
/* 1500 -> "1.5", 200 -> "0.2" */
void lmc_format_cpus(uint64_t millicores, char *buf, size_t size);
const char *lmc_ns_name(enum lmc_ns ns);

/* ---- usage statistics ---- */

struct lmc_psi {
	bool present;
	double some_avg10, some_avg60, some_avg300;
	uint64_t some_total_us;
	double full_avg10, full_avg60, full_avg300;
	uint64_t full_total_us;
};

struct lmc_stats {
	/* cpu */
	uint64_t cpu_usage_ns, cpu_user_ns, cpu_system_ns;
	uint64_t cpu_nr_periods, cpu_nr_throttled, cpu_throttled_ns;
	/* memory */
	uint64_t mem_usage, mem_peak, mem_limit, mem_rss, mem_cache, mem_swap;
	uint64_t mem_failcnt, mem_oom_kills, mem_oom_events;
	uint64_t mem_inactive_file; /* memory.stat: usage less it is the working set */
	/* blkio */
	uint64_t io_read_bytes, io_write_bytes, io_read_ops, io_write_ops;
	/* pids */
	uint64_t pids_current, pids_limit; /* LMC_UNSET limit = max */
	/* pressure */
	struct lmc_psi psi_cpu, psi_memory, psi_io;
};

/* Every counter LMC_UNSET ("not available here"), psi not present. */
void lmc_stats_init(struct lmc_stats *st);

/* What a reading reads, by resource (the wire's StatsRequest.fields, bit for bit; `lmctl
 * stats --fields`): the files of the others are not read and their figures stay unset. 0 is
 * every one. */
#define LMC_STATF_CPU 1u /* cpu_* */
#define LMC_STATF_MEMORY 2u /* mem_* */
#define LMC_STATF_IO 4u /* io_* */
#define LMC_STATF_PIDS 8u /* pids_* */
#define LMC_STATF_PRESSURE 16u /* psi_* */
#define LMC_STATF_ALL 31u

/* Effective values (policy/policy.h computes them): the minimum over a container and its
 * ancestors, with the name of the container that sets it (its own name if its own value
 * binds; "" the machine root). LMC_UNSET where nothing in the chain sets one. */
struct lmc_eff_value {
	uint64_t value;
	const char *from; /* points into the tree; valid while the tree is */
};

struct lmc_effective {
	struct lmc_eff_value mem_limit, mem_reservation, mem_high, mem_swap;
	struct lmc_eff_value cpu_limit_m, cpu_reservation_m;
	struct lmc_eff_value pids_limit;
	struct lmc_eff_value max_containers;
	uint64_t cpu_shares; /* what the kernel is given: lmc_spec_cpu_shares() */
	int64_t priority; /* eviction priority, own or inherited (policy/policy.h) */
};

/* Eviction priorities (memory.eviction_priority; policy/policy.h orders by them). */
#define LMC_PRIORITY_DEFAULT 100
#define LMC_PRIORITY_MAX 10000

#endif
