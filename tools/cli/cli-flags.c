/* The resource flags `create` and `update` share (docker run's names plus lmctl's own),
 * parsed into a struct lmc_spec with a one-line error naming the flag and the value. */
#include "tools/cli/cli-flags.h"
#include "tools/cli/cli.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

enum {
	F_MEMORY = 1000,
	F_MEMORY_RESERVATION,
	F_MEMORY_SWAP,
	F_MEMORY_HIGH,
	F_OOM_GROUP,
	F_EVICTION_PRIORITY,
	F_CPUS,
	F_CPU_RESERVATION,
	F_CPU_SHARES,
	F_CPU_PERIOD,
	F_CPU_BURST,
	F_CPUSET_CPUS,
	F_CPUSET_MEMS,
	F_LATENCY,
	F_PIDS_LIMIT,
	F_MAX_CONTAINERS,
	F_BLKIO_WEIGHT,
	F_READ_BPS,
	F_WRITE_BPS,
	F_READ_IOPS,
	F_WRITE_IOPS,
	F_NS,
	F_HOSTNAME,
	F_UID_MAP,
	F_GID_MAP,
	F_OWNER,
	F_FORCE,
	F_JSON,
	F_HELP,
};

static const struct option spec_options[] = {
	{"memory", required_argument, NULL, F_MEMORY},
	{"memory-reservation", required_argument, NULL, F_MEMORY_RESERVATION},
	{"memory-swap", required_argument, NULL, F_MEMORY_SWAP},
	{"memory-high", required_argument, NULL, F_MEMORY_HIGH},
	{"oom-group", no_argument, NULL, F_OOM_GROUP},
	{"priority", required_argument, NULL, F_EVICTION_PRIORITY},
	{"eviction-priority", required_argument, NULL, F_EVICTION_PRIORITY},
	{"cpus", required_argument, NULL, F_CPUS},
	{"cpu-reservation", required_argument, NULL, F_CPU_RESERVATION},
	{"cpu-shares", required_argument, NULL, F_CPU_SHARES},
	{"cpu-period", required_argument, NULL, F_CPU_PERIOD},
	{"cpu-burst", required_argument, NULL, F_CPU_BURST},
	{"cpuset-cpus", required_argument, NULL, F_CPUSET_CPUS},
	{"cpuset-mems", required_argument, NULL, F_CPUSET_MEMS},
	{"latency", required_argument, NULL, F_LATENCY},
	{"pids-limit", required_argument, NULL, F_PIDS_LIMIT},
	{"max-containers", required_argument, NULL, F_MAX_CONTAINERS},
	{"blkio-weight", required_argument, NULL, F_BLKIO_WEIGHT},
	{"device-read-bps", required_argument, NULL, F_READ_BPS},
	{"device-write-bps", required_argument, NULL, F_WRITE_BPS},
	{"device-read-iops", required_argument, NULL, F_READ_IOPS},
	{"device-write-iops", required_argument, NULL, F_WRITE_IOPS},
	{"ns", required_argument, NULL, F_NS},
	{"hostname", required_argument, NULL, F_HOSTNAME},
	{"uid-map", required_argument, NULL, F_UID_MAP},
	{"gid-map", required_argument, NULL, F_GID_MAP},
	{"owner", required_argument, NULL, F_OWNER},
	{"force", no_argument, NULL, F_FORCE},
	{"json", no_argument, NULL, F_JSON},
	{"help", no_argument, NULL, F_HELP},
	{NULL, 0, NULL, 0},
};

static int parse_owner(const char *s, uint32_t *ret, struct lmc_err *err)
{
	uint64_t v;

	if (s[0] >= '0' && s[0] <= '9') {
		if (lmc_parse_u64("--owner", s, 0, UINT32_MAX - 1, &v, err) < 0)
			return err->code;
		*ret = (uint32_t)v;
		return 0;
	}
	if (lmc_cli_user_id(s, ret) < 0)
		return lmc_err_set(err, -EINVAL, "--owner: no such user '%s'", s);
	return 0;
}

static int parse_latency(const char *s, enum lmc_latency *ret, struct lmc_err *err)
{
	if (strcmp(s, "batch") == 0)
		*ret = LMC_LATENCY_BATCH;
	else if (strcmp(s, "latency-sensitive") == 0)
		*ret = LMC_LATENCY_SENSITIVE;
	else
		return lmc_err_set(err, -EINVAL,
				   "--latency: '%s' is not one of latency-sensitive, batch", s);
	return 0;
}

/* "max", "unlimited" or "-1": clear the limit (update), as LMC_CLEAR. */
static bool is_clear(const char *v)
{
	return strcmp(v, "max") == 0 || strcmp(v, "unlimited") == 0 || strcmp(v, "-1") == 0;
}

/* A memory or cpu flag's value into spec; 1 when opt is neither. */
static int resource_flag(int opt, const char *v, struct lmc_spec *s, struct lmc_err *err)
{
	uint64_t x;

	switch (opt) {
	case F_MEMORY:
		if (lmc_parse_size("--memory", v, &s->memory.limit, err) < 0)
			return err->code;
		/* The kernel rounds to pages; a limit below one page is a typo. */
		if (s->memory.limit < LMC_SPEC_MEMORY_MIN)
			return lmc_err_set(err, -EINVAL,
					   "--memory: '%s' is below the minimum of 4K", v);
		return 0;
	case F_MEMORY_RESERVATION:
		return lmc_parse_size("--memory-reservation", v, &s->memory.reservation, err);
	case F_MEMORY_SWAP:
		return lmc_parse_size("--memory-swap", v, &s->memory.swap, err);
	case F_MEMORY_HIGH:
		return lmc_parse_size("--memory-high", v, &s->memory.high, err);
	case F_OOM_GROUP:
		s->memory.oom_group = 1;
		return 0;
	case F_EVICTION_PRIORITY:
		if (lmc_parse_u64("--priority", v, 0, 10000, &x, err) < 0)
			return err->code;
		s->memory.eviction_priority = (int64_t)x;
		return 0;
	case F_CPUS:
		return lmc_parse_cpus("--cpus", v, &s->cpu.limit_m, err);
	case F_CPU_RESERVATION:
		return lmc_parse_cpus("--cpu-reservation", v, &s->cpu.reservation_m, err);
	case F_CPU_SHARES:
		return lmc_parse_u64("--cpu-shares", v, 2, 262144, &s->cpu.shares, err);
	case F_CPU_PERIOD:
		return lmc_parse_u64("--cpu-period", v, 1000, 1000000, &s->cpu.period_us, err);
	case F_CPU_BURST:
		return lmc_parse_u64("--cpu-burst", v, 0, 1000000, &s->cpu.burst_us, err);
	case F_CPUSET_CPUS:
		return lmc_parse_cpulist("--cpuset-cpus", v, s->cpu.cpus, err);
	case F_CPUSET_MEMS:
		return lmc_parse_cpulist("--cpuset-mems", v, s->cpu.mems, err);
	case F_LATENCY:
		return parse_latency(v, &s->cpu.latency, err);
	}
	return 1;
}

/* One flag's value into spec. */
static int spec_flag(int opt, const char *v, struct lmc_spec *s, struct lmc_err *err)
{
	int r;

	if (is_clear(v) && (opt == F_MEMORY || opt == F_MEMORY_SWAP || opt == F_MEMORY_HIGH ||
			    opt == F_CPUS || opt == F_PIDS_LIMIT)) {
		uint64_t *f = opt == F_MEMORY	     ? &s->memory.limit
			      : opt == F_MEMORY_SWAP ? &s->memory.swap
			      : opt == F_MEMORY_HIGH ? &s->memory.high
			      : opt == F_CPUS	     ? &s->cpu.limit_m
						     : &s->pids.limit;

		*f = LMC_CLEAR;
		return 0;
	}
	r = resource_flag(opt, v, s, err);
	if (r <= 0)
		return r;
	switch (opt) {
	case F_PIDS_LIMIT:
		return lmc_parse_u64("--pids-limit", v, 1, 4194304, &s->pids.limit, err);
	case F_MAX_CONTAINERS:
		return lmc_parse_u64("--max-containers", v, 0, LMC_MAX_CONTAINERS_MAX,
				     &s->max_containers, err);
	case F_BLKIO_WEIGHT:
		return lmc_parse_u64("--blkio-weight", v, 10, 1000, &s->blkio.weight, err);
	case F_READ_BPS:
		return lmc_parse_throttle("--device-read-bps", v, 0, &s->blkio, err);
	case F_WRITE_BPS:
		return lmc_parse_throttle("--device-write-bps", v, 1, &s->blkio, err);
	case F_READ_IOPS:
		return lmc_parse_throttle("--device-read-iops", v, 2, &s->blkio, err);
	case F_WRITE_IOPS:
		return lmc_parse_throttle("--device-write-iops", v, 3, &s->blkio, err);
	case F_NS:
		return lmc_parse_ns("--ns", v, &s->ns.mask, err);
	case F_HOSTNAME:
		if (!v[0] || strlen(v) > LMC_HOSTNAME_MAX || strpbrk(v, "/ \t\n"))
			return lmc_err_set(err, -EINVAL, "--hostname: invalid hostname '%s'", v);
		snprintf(s->ns.hostname, sizeof(s->ns.hostname), "%s", v);
		return 0;
	case F_UID_MAP:
		return lmc_parse_idmap("--uid-map", v, s->ns.uid_map, &s->ns.n_uid_map, err);
	case F_GID_MAP:
		return lmc_parse_idmap("--gid-map", v, s->ns.gid_map, &s->ns.n_gid_map, err);
	case F_OWNER:
		return parse_owner(v, &s->owner, err);
	}
	return lmc_err_set(err, -EINVAL, "unknown option");
}

int lmc_cli_parse_spec(int argc, char **argv, const char *cmd, struct lmc_cli_spec *ret,
		       struct lmc_err *err)
{
	int opt, r;

	memset(ret, 0, sizeof(*ret));
	lmc_spec_init(&ret->spec);
	optind = 0; /* 0: glibc re-initialises getopt (it ran already for the global options) */
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "h", spec_options, NULL)) != -1) {
		switch (opt) {
		case F_FORCE:
			ret->force = true;
			break;
		case F_JSON:
			ret->json = true;
			break;
		case 'h':
		case F_HELP:
			ret->help = true;
			return 0;
		case '?':
			return lmc_cli_bad_option(cmd, argv[optind - 1], spec_options, err);
		default:
			r = spec_flag(opt, optarg, &ret->spec, err);
			if (r < 0)
				return r;
		}
	}
	if (optind != argc - 1)
		return lmc_err_set(err, -EINVAL,
				   "%s: expected exactly one container name (see 'lmctl help %s')",
				   cmd, cmd);
	/* create: no limit is what leaving the flag out gives. */
	if (strcmp(cmd, "create") == 0) {
		uint64_t *f[] = {&ret->spec.memory.limit, &ret->spec.memory.swap,
				 &ret->spec.memory.high, &ret->spec.cpu.limit_m,
				 &ret->spec.pids.limit};

		for (size_t i = 0; i < ARRAY_SIZE(f); i++)
			if (*f[i] == LMC_CLEAR)
				*f[i] = LMC_UNSET;
	}
	ret->name = argv[optind];
	return 0;
}
