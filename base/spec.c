/* Container specs (init, merge, validate), the CPU shares rule, and the unit parsers and
 * formatters behind every resource flag. A little over 800 lines: every flag's parser and
 * its validation stay side by side, which splitting would separate. */
#include "base/spec.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "base/name.h"

#define KIB 1024ULL
#define SHARES_MIN 2ULL
#define SHARES_MAX 262144ULL
#define CPU_MAX_M 1000000000ULL /* one million cores: anything above is a typo */
#define PIDS_MAX 4194304ULL /* PID_MAX_LIMIT */
#define CPU_ID_MAX 4096

/* err with "FLAG: " in front when there is a flag; always -EINVAL. */
static int _printf_(3, 4) flag_err(struct lmc_err *err, const char *flag, const char *fmt, ...)
{
	char msg[LMC_ERR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (flag)
		return lmc_err_set(err, -EINVAL, "%s: %s", flag, msg);
	return lmc_err_set(err, -EINVAL, "%s", msg);
}

/* ---- spec ---- */

void lmc_spec_init(struct lmc_spec *spec)
{
	memset(spec, 0, sizeof(*spec));
	spec->cpu.reservation_m = LMC_UNSET;
	spec->cpu.limit_m = LMC_UNSET;
	spec->cpu.shares = LMC_UNSET;
	spec->cpu.period_us = LMC_UNSET;
	spec->cpu.burst_us = LMC_UNSET;
	spec->cpu.latency = LMC_LATENCY_UNSET;
	spec->memory.limit = LMC_UNSET;
	spec->memory.reservation = LMC_UNSET;
	spec->memory.high = LMC_UNSET;
	spec->memory.swap = LMC_UNSET;
	spec->memory.oom_group = -1;
	spec->memory.eviction_priority = INT64_MIN;
	spec->blkio.weight = LMC_UNSET;
	spec->pids.limit = LMC_UNSET;
	spec->owner = LMC_OWNER_UNSET;
	spec->max_containers = LMC_UNSET;
}

static void set_u64(uint64_t *dst, uint64_t v)
{
	if (v == LMC_CLEAR)
		*dst = LMC_UNSET;
	else if (v != LMC_UNSET)
		*dst = v;
}

const struct lmc_throttle *lmc_spec_throttle_find(const struct lmc_spec_blkio *b, uint32_t major,
						  uint32_t minor)
{
	for (unsigned i = 0; b && i < b->n_throttles && i < LMC_THROTTLE_MAX; i++)
		if (b->throttles[i].major == major && b->throttles[i].minor == minor)
			return &b->throttles[i];
	return NULL;
}

/* The entry for major:minor, appended with every rate unset if new; NULL when full. */
static struct lmc_throttle *throttle_get(struct lmc_spec_blkio *b, uint32_t major, uint32_t minor)
{
	/* b is the caller's to change: the entry found is too */
	struct lmc_throttle *t = (struct lmc_throttle *)lmc_spec_throttle_find(b, major, minor);

	if (t)
		return t;
	if (b->n_throttles >= LMC_THROTTLE_MAX)
		return NULL;
	t = &b->throttles[b->n_throttles++];
	memset(t, 0, sizeof(*t));
	t->major = major;
	t->minor = minor;
	t->read_bps = t->write_bps = t->read_iops = t->write_iops = LMC_UNSET;
	return t;
}

static int merge_throttles(struct lmc_spec_blkio *b, const struct lmc_spec_blkio *upd,
			   struct lmc_err *err)
{
	for (unsigned i = 0; i < upd->n_throttles && i < LMC_THROTTLE_MAX; i++) {
		const struct lmc_throttle *u = &upd->throttles[i];
		struct lmc_throttle *t = throttle_get(b, u->major, u->minor);

		if (!t)
			return lmc_err_set(
				err, -E2BIG,
				"device throttles: at most %d devices, %u:%u is one more",
				LMC_THROTTLE_MAX, u->major, u->minor);
		if (u->path[0])
			snprintf(t->path, sizeof(t->path), "%.*s", (int)sizeof(t->path) - 1,
				 u->path);
		set_u64(&t->read_bps, u->read_bps);
		set_u64(&t->write_bps, u->write_bps);
		set_u64(&t->read_iops, u->read_iops);
		set_u64(&t->write_iops, u->write_iops);
	}
	return 0;
}

static bool ns_is_set(const struct lmc_spec_ns *ns)
{
	return ns->mask || ns->hostname[0] || ns->n_uid_map || ns->n_gid_map;
}

static bool ns_equal(const struct lmc_spec_ns *a, const struct lmc_spec_ns *b)
{
	return a->mask == b->mask && strncmp(a->hostname, b->hostname, sizeof(a->hostname)) == 0 &&
	       a->n_uid_map == b->n_uid_map && a->n_gid_map == b->n_gid_map &&
	       a->n_uid_map <= LMC_IDMAP_MAX && a->n_gid_map <= LMC_IDMAP_MAX &&
	       memcmp(a->uid_map, b->uid_map, a->n_uid_map * sizeof(a->uid_map[0])) == 0 &&
	       memcmp(a->gid_map, b->gid_map, a->n_gid_map * sizeof(a->gid_map[0])) == 0;
}

static void merge_cpu_memory(struct lmc_spec *s, const struct lmc_spec *upd)
{
	set_u64(&s->cpu.reservation_m, upd->cpu.reservation_m);
	set_u64(&s->cpu.limit_m, upd->cpu.limit_m);
	set_u64(&s->cpu.shares, upd->cpu.shares);
	set_u64(&s->cpu.period_us, upd->cpu.period_us);
	set_u64(&s->cpu.burst_us, upd->cpu.burst_us);
	if (upd->cpu.cpus[0])
		memcpy(s->cpu.cpus, upd->cpu.cpus, sizeof(s->cpu.cpus));
	if (upd->cpu.mems[0])
		memcpy(s->cpu.mems, upd->cpu.mems, sizeof(s->cpu.mems));
	if (upd->cpu.latency != LMC_LATENCY_UNSET)
		s->cpu.latency = upd->cpu.latency;
	set_u64(&s->memory.limit, upd->memory.limit);
	set_u64(&s->memory.reservation, upd->memory.reservation);
	set_u64(&s->memory.high, upd->memory.high);
	set_u64(&s->memory.swap, upd->memory.swap);
	if (upd->memory.oom_group >= 0)
		s->memory.oom_group = upd->memory.oom_group;
	if (upd->memory.eviction_priority != INT64_MIN)
		s->memory.eviction_priority = upd->memory.eviction_priority;
}

int lmc_spec_merge(struct lmc_spec *spec, const struct lmc_spec *upd, struct lmc_err *err)
{
	struct lmc_spec s = *spec;
	int r;

	/* Namespaces are fixed when the first process starts; an update that restates
	 * them unchanged is harmless, any other is refused. */
	if (ns_is_set(&upd->ns) && !ns_equal(&spec->ns, &upd->ns))
		return lmc_err_set(err, -EINVAL,
				   "namespaces of an "
				   "existing container cannot be changed");
	merge_cpu_memory(&s, upd);
	set_u64(&s.blkio.weight, upd->blkio.weight);
	r = merge_throttles(&s.blkio, &upd->blkio, err);
	if (r < 0)
		return r;
	set_u64(&s.pids.limit, upd->pids.limit);
	if (upd->owner != LMC_OWNER_UNSET)
		s.owner = upd->owner;
	set_u64(&s.max_containers, upd->max_containers);
	*spec = s;
	return 0;
}

/* "NAME: FLAG VALUE is out of range LO..HI" for a u64 field that is set. */
static int check_range(const char *name, const char *flag, uint64_t v, uint64_t lo, uint64_t hi,
		       struct lmc_err *err)
{
	if (v == LMC_UNSET || (v >= lo && v <= hi))
		return 0;
	return lmc_err_set(err, -EINVAL, "%s: %s %llu is out of range %llu..%llu", name, flag,
			   (unsigned long long)v, (unsigned long long)lo, (unsigned long long)hi);
}

/* Specs also arrive decoded from the wire: a set list must be terminated and canonical-able. */
static int validate_cpuset(const char *name, const char *flag, const char *list,
			   struct lmc_err *err)
{
	char canon[LMC_CPUSET_MAX];

	if (!memchr(list, '\0', LMC_CPUSET_MAX))
		return lmc_err_set(err, -EINVAL, "%s: %s: list is not terminated", name, flag);
	if (list[0] && lmc_parse_cpulist(flag, list, canon, NULL) < 0)
		return lmc_err_set(err, -EINVAL, "%s: %s: invalid list '%s'", name, flag, list);
	return 0;
}

static int validate_cpu(const char *name, const struct lmc_spec_cpu *c, struct lmc_err *err)
{
	char a[32], b[32];
	uint64_t period = lmc_spec_cpu_period(c), quota = lmc_spec_cpu_quota(c);
	int r;

	if ((r = check_range(name, "cpu.shares", c->shares, SHARES_MIN, SHARES_MAX, err)) < 0 ||
	    (r = check_range(name, "cpu.period_us", c->period_us, 1000, 1000000, err)) < 0)
		return r;
	if ((c->limit_m == 0 || c->limit_m > CPU_MAX_M) && c->limit_m != LMC_UNSET)
		return check_range(name, "cpu.limit_m (millicores)", c->limit_m, 1, CPU_MAX_M, err);
	if (c->reservation_m > CPU_MAX_M && c->reservation_m != LMC_UNSET)
		return check_range(name, "cpu.reservation_m (millicores)", c->reservation_m, 0,
				   CPU_MAX_M, err);
	if (c->limit_m != LMC_UNSET && quota < LMC_SPEC_CPU_QUOTA_MIN_US) {
		lmc_format_cpus(c->limit_m, a, sizeof(a));
		lmc_format_cpus(LMC_SPEC_CPU_QUOTA_MIN_US * 1000 / period, b, sizeof(b));
		return lmc_err_set(
			err, -EINVAL,
			"%s: cpu.limit_m %s is below the minimum %s for a %llu us period", name, a,
			b, (unsigned long long)period);
	}
	if (c->reservation_m != LMC_UNSET && c->limit_m != LMC_UNSET &&
	    c->reservation_m > c->limit_m) {
		lmc_format_cpus(c->reservation_m, a, sizeof(a));
		lmc_format_cpus(c->limit_m, b, sizeof(b));
		return lmc_err_set(err, -EINVAL, "%s: cpu.reservation_m %s exceeds cpu.limit_m %s",
				   name, a, b);
	}
	/* The kernel takes a burst of at most the quota, and only with one. */
	if (c->burst_us != LMC_UNSET && (quota == LMC_UNSET || c->burst_us > quota))
		return lmc_err_set(
			err, -EINVAL,
			"%s: cpu.burst_us %llu us needs cpu.limit_m with a quota of at least that (%s)",
			name, (unsigned long long)c->burst_us,
			c->limit_m == LMC_UNSET ? "no cpu.limit_m" : "quota too small");
	if (c->latency > LMC_LATENCY_BATCH)
		return lmc_err_set(err, -EINVAL, "%s: cpu.latency: unknown value %d", name,
				   (int)c->latency);
	if ((r = validate_cpuset(name, "cpu.cpus", c->cpus, err)) < 0 ||
	    (r = validate_cpuset(name, "cpu.mems", c->mems, err)) < 0)
		return r;
	return 0;
}

/* "NAME: FLAG_A SIZE_A <verb> FLAG_B SIZE_B" */
static int size_pair_err(const char *name, const char *fa, uint64_t a, const char *verb,
			 const char *fb, uint64_t b, struct lmc_err *err)
{
	char sa[32], sb[32];

	lmc_format_size(a, sa, sizeof(sa));
	lmc_format_size(b, sb, sizeof(sb));
	return lmc_err_set(err, -EINVAL, "%s: %s %s %s %s %s", name, fa, sa, verb, fb, sb);
}

static int validate_memory(const char *name, const struct lmc_spec_memory *m, struct lmc_err *err)
{
	char v[32];

	if (m->limit == LMC_CLEAR || m->reservation == LMC_CLEAR || m->high == LMC_CLEAR ||
	    m->swap == LMC_CLEAR)
		return lmc_err_set(err, -EINVAL,
				   "%s: 'max' (no limit) clears a memory limit in an "
				   "update; a new container simply leaves it out",
				   name);
	if (m->limit != LMC_UNSET && m->limit < LMC_SPEC_MEMORY_MIN) {
		lmc_format_size(m->limit, v, sizeof(v));
		return lmc_err_set(err, -EINVAL, "%s: memory.limit %s is below the minimum 4K",
				   name, v);
	}
	if (m->reservation != LMC_UNSET && m->limit != LMC_UNSET && m->reservation > m->limit)
		return size_pair_err(name, "memory.reservation", m->reservation, "exceeds",
				     "memory.limit", m->limit, err);
	if (m->swap != LMC_UNSET && m->limit == LMC_UNSET) {
		lmc_format_size(m->swap, v, sizeof(v));
		return lmc_err_set(err, -EINVAL, "%s: memory.swap %s requires memory.limit", name,
				   v);
	}
	if (m->swap != LMC_UNSET && m->swap < m->limit)
		return size_pair_err(name, "memory.swap", m->swap, "(memory plus swap) is below",
				     "memory.limit", m->limit, err);
	if (m->oom_group < -1 || m->oom_group > 1)
		return lmc_err_set(err, -EINVAL, "%s: memory.oom_group %d must be 0 or 1", name,
				   m->oom_group);
	return 0;
}

static int validate_blkio(const char *name, const struct lmc_spec_blkio *b, struct lmc_err *err)
{
	static const char *const flags[] = {"blkio.throttles.read_bps", "blkio.throttles.write_bps",
					    "blkio.throttles.read_iops",
					    "blkio.throttles.write_iops"};
	int r = check_range(name, "blkio.weight", b->weight, 10, 1000, err);

	if (r < 0)
		return r;
	if (b->n_throttles > LMC_THROTTLE_MAX)
		return lmc_err_set(err, -EINVAL, "%s: %u device throttles, at most %d", name,
				   b->n_throttles, LMC_THROTTLE_MAX);
	for (unsigned i = 0; i < b->n_throttles; i++) {
		const struct lmc_throttle *t = &b->throttles[i];
		const uint64_t rates[] = {t->read_bps, t->write_bps, t->read_iops, t->write_iops};

		/* Policy reads the first entry of a device, the kernel keeps the last written:
		 * two entries would let the second slip past the parent's bound. */
		for (unsigned j = 0; j < i; j++)
			if (b->throttles[j].major == t->major && b->throttles[j].minor == t->minor)
				return lmc_err_set(err, -EINVAL,
						   "%s: device %u:%u has two throttle entries; "
						   "give each device once",
						   name, t->major, t->minor);

		for (unsigned k = 0; k < ARRAY_SIZE(rates); k++)
			if (rates[k] == 0)
				return lmc_err_set(err, -EINVAL,
						   "%s: %s: rate for %u:%u must be greater than 0",
						   name, flags[k], t->major, t->minor);
	}
	return 0;
}

static bool hostname_ok(const char *h)
{
	size_t len = strnlen(h, LMC_HOSTNAME_MAX + 1);

	if (len > LMC_HOSTNAME_MAX || h[0] == '-' || h[0] == '.')
		return false;
	for (size_t i = 0; i < len; i++)
		if (!((h[i] >= 'a' && h[i] <= 'z') || (h[i] >= 'A' && h[i] <= 'Z') ||
		      (h[i] >= '0' && h[i] <= '9') || h[i] == '-' || h[i] == '.'))
			return false;
	return true;
}

/* Each range non-empty, inside 32 bits on both sides, no two overlapping inside. */
static int idmaps_check(const char *flag, const struct lmc_idmap *m, unsigned n,
			struct lmc_err *err)
{
	if (n > LMC_IDMAP_MAX)
		return flag_err(err, flag, "%u ranges, at most %d", n, LMC_IDMAP_MAX);
	for (unsigned i = 0; i < n; i++) {
		if (m[i].count == 0)
			return flag_err(err, flag, "range %u:%u:%u is empty", m[i].inside,
					m[i].outside, m[i].count);
		if ((uint64_t)m[i].inside + m[i].count > (1ULL << 32) ||
		    (uint64_t)m[i].outside + m[i].count > (1ULL << 32))
			return flag_err(err, flag, "range %u:%u:%u goes past id 4294967295",
					m[i].inside, m[i].outside, m[i].count);
		for (unsigned j = 0; j < i; j++)
			if ((uint64_t)m[i].inside < (uint64_t)m[j].inside + m[j].count &&
			    (uint64_t)m[j].inside < (uint64_t)m[i].inside + m[i].count)
				return flag_err(err, flag, "ranges starting at %u and %u overlap",
						m[j].inside, m[i].inside);
	}
	return 0;
}

static int validate_ns(const char *name, const struct lmc_spec_ns *ns, struct lmc_err *err)
{
	int r;

	if (ns->mask & ~(uint32_t)LMC_NS_ALL)
		return lmc_err_set(err, -EINVAL, "%s: namespaces: unknown namespace bits 0x%x",
				   name, ns->mask & ~(uint32_t)LMC_NS_ALL);
	if (!hostname_ok(ns->hostname))
		return lmc_err_set(err, -EINVAL,
				   "%s: namespaces.hostname '%.*s' is not a valid hostname", name,
				   LMC_HOSTNAME_MAX, ns->hostname);
	if (ns->hostname[0] && !(ns->mask & LMC_NS_UTS))
		return lmc_err_set(
			err, -EINVAL,
			"%s: namespaces.hostname %s requires the uts namespace (namespaces.uts)",
			name, ns->hostname);
	if ((ns->n_uid_map || ns->n_gid_map) && !(ns->mask & LMC_NS_USER))
		return lmc_err_set(
			err, -EINVAL,
			"%s: namespaces.%s_map requires the user namespace (namespaces.user)", name,
			ns->n_uid_map ? "uid" : "gid");
	r = idmaps_check("namespaces.uid_map", ns->uid_map, ns->n_uid_map, err);
	if (r >= 0)
		r = idmaps_check("namespaces.gid_map", ns->gid_map, ns->n_gid_map, err);
	if (r < 0 && err) {
		char msg[LMC_ERR_MSG_MAX];

		/* Put the container in front of the flag's own message. */
		snprintf(msg, sizeof(msg), "%s", err->msg);
		lmc_err_reset(err, r, "%s: %s", name, msg);
	}
	return r < 0 ? r : 0;
}

int lmc_spec_validate(const char *name, const struct lmc_spec *spec, struct lmc_err *err)
{
	const char *n = name ? lmc_name_display(name) : "(unnamed)";
	int r;

	if ((r = validate_cpu(n, &spec->cpu, err)) < 0 ||
	    (r = validate_memory(n, &spec->memory, err)) < 0 ||
	    (r = validate_blkio(n, &spec->blkio, err)) < 0 ||
	    (r = check_range(n, "pids.limit", spec->pids.limit, 1, PIDS_MAX, err)) < 0 ||
	    (r = check_range(n, "max_containers", spec->max_containers, 0, LMC_MAX_CONTAINERS_MAX,
			     err)) < 0 ||
	    (r = validate_ns(n, &spec->ns, err)) < 0)
		return r;
	return 0;
}

uint64_t lmc_spec_cpu_period(const struct lmc_spec_cpu *cpu)
{
	return cpu->period_us == LMC_UNSET ? LMC_SPEC_CPU_PERIOD_DEFAULT_US : cpu->period_us;
}

uint64_t lmc_spec_cpu_quota(const struct lmc_spec_cpu *cpu)
{
	if (cpu->limit_m == LMC_UNSET)
		return LMC_UNSET;
	return cpu->limit_m * lmc_spec_cpu_period(cpu) / 1000;
}

uint64_t lmc_spec_cpu_shares(const struct lmc_spec_cpu *cpu)
{
	uint64_t s;

	if (cpu->shares != LMC_UNSET)
		return cpu->shares;
	if (cpu->latency == LMC_LATENCY_BATCH)
		return SHARES_MIN;
	if (cpu->reservation_m == LMC_UNSET)
		return LMC_UNSET;
	/* 1000 millicores = 1024 shares; 256000m already reaches the maximum. */
	if (cpu->reservation_m >= SHARES_MAX * 1000 / 1024)
		return SHARES_MAX;
	s = cpu->reservation_m * 1024 / 1000;
	return s < SHARES_MIN ? SHARES_MIN : s;
}

void lmc_stats_init(struct lmc_stats *st)
{
	struct lmc_psi *psi[] = {&st->psi_cpu, &st->psi_memory, &st->psi_io};

	/* Every counter is a uint64_t: all-ones bytes are LMC_UNSET. */
	memset(st, 0xff, sizeof(*st));
	for (unsigned i = 0; i < ARRAY_SIZE(psi); i++) {
		memset(psi[i], 0, sizeof(*psi[i]));
		psi[i]->some_total_us = LMC_UNSET;
		psi[i]->full_total_us = LMC_UNSET;
	}
}

/* ---- numbers ---- */

/* A decimal "DIGITS[.DIGITS]" (or ".DIGITS") at the start of s: integer part, and the
 * fraction as frac / 10^fdigits with trailing zeros dropped. */
struct decimal {
	uint64_t ip, frac;
	unsigned fdigits;
	const char *end;
};

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int parse_decimal(const char *s, bool allow_fraction, struct decimal *d)
{
	const char *p = s;
	unsigned zeros = 0;

	*d = (struct decimal){0};
	for (; is_digit(*p); p++)
		if (__builtin_mul_overflow(d->ip, 10, &d->ip) ||
		    __builtin_add_overflow(d->ip, (uint64_t)(*p - '0'), &d->ip))
			return -ERANGE;
	if (allow_fraction && *p == '.' && is_digit(p[1])) {
		for (p++; is_digit(*p); p++) {
			if (*p == '0') {
				zeros++;
				continue;
			}
			/* 18 digits keep frac * 10 inside 64 bits; more is finer than
			 * any unit here can hold. */
			if (d->fdigits + zeros + 1 > 18)
				return -EDOM;
			for (; zeros; zeros--)
				d->frac *= 10;
			d->frac = d->frac * 10 + (uint64_t)(*p - '0');
			d->fdigits = (unsigned)(p - s) - (unsigned)(strchr(s, '.') - s);
		}
	}
	if (p == s)
		return -EINVAL;
	d->end = p;
	return 0;
}

/* d * mult as a whole number: -ERANGE on overflow (or the LMC_UNSET sentinel), -EDOM
 * if the fraction does not come out whole. */
static int decimal_scale(const struct decimal *d, uint64_t mult, uint64_t *ret)
{
	unsigned __int128 f = (unsigned __int128)d->frac * mult, p10 = 1;
	uint64_t v;

	for (unsigned i = 0; i < d->fdigits; i++)
		p10 *= 10;
	if (f % p10)
		return -EDOM;
	if (__builtin_mul_overflow(d->ip, mult, &v) ||
	    __builtin_add_overflow(v, (uint64_t)(f / p10), &v) || v == LMC_UNSET)
		return -ERANGE;
	*ret = v;
	return 0;
}

/* K/M/G/T (any case) and an optional b/B after it: the power of 1024, or 0 if the
 * suffix is not one. */
static uint64_t size_suffix(const char *p, uint64_t unit)
{
	static const char units[] = "kmgt";
	const char *u = p[0] ? strchr(units, p[0] | 0x20) : NULL;
	uint64_t m = 1;

	if (u) {
		for (const char *q = units; q <= u; q++)
			m *= unit;
		p++;
	}
	if (*p == 'b' || *p == 'B')
		p++;
	return *p ? 0 : m;
}

static int parse_scaled(const char *flag, const char *what, const char *s, uint64_t unit,
			uint64_t *ret, struct lmc_err *err)
{
	struct decimal d;
	uint64_t mult, v = 0;
	int r;

	s = s ?: ""; /* "" fails as "invalid ... ''" like any other garbage */
	if (*s == '-')
		return flag_err(err, flag, "invalid %s '%s': must not be negative", what, s);
	r = parse_decimal(s, true, &d);
	mult = r == -EINVAL ? 0 : r < 0 ? 1 : size_suffix(d.end, unit);
	if (mult == 0)
		return flag_err(err, flag, "invalid %s '%s'", what, s);
	if (r == 0)
		r = decimal_scale(&d, mult, &v);
	if (r == -ERANGE)
		return flag_err(err, flag, "invalid %s '%s': too large", what, s);
	if (r < 0)
		return flag_err(err, flag, "invalid %s '%s': not a whole number", what, s);
	*ret = v;
	return 0;
}

int lmc_parse_size(const char *flag, const char *s, uint64_t *ret, struct lmc_err *err)
{
	return parse_scaled(flag, "size", s, 1024, ret, err);
}

int lmc_parse_cpus(const char *flag, const char *s, uint64_t *ret_millicores, struct lmc_err *err)
{
	struct decimal d;
	uint64_t v = 0;
	bool milli;
	int r;

	s = s ?: "";
	r = parse_decimal(s, true, &d);
	milli = r == 0 && d.end[0] == 'm' && d.end[1] == '\0';
	if (r == -EINVAL || (r == 0 && !milli && d.end[0] != '\0'))
		return flag_err(err, flag, "invalid cpu count '%s'", s);
	if (r == 0)
		r = decimal_scale(&d, milli ? 1 : 1000, &v);
	/* parse_decimal's -EDOM (too many digits) and decimal_scale's mean the same. */
	if (r == -EDOM)
		return flag_err(err, flag, "invalid cpu count '%s': finer than a millicore", s);
	if (r < 0 || v > CPU_MAX_M)
		return flag_err(err, flag, "invalid cpu count '%s': more than 1000000 cores", s);
	if (v == 0)
		return flag_err(err, flag, "invalid cpu count '%s': must be greater than 0", s);
	*ret_millicores = v;
	return 0;
}

int lmc_parse_u64(const char *flag, const char *s, uint64_t min, uint64_t max, uint64_t *ret,
		  struct lmc_err *err)
{
	struct decimal d;
	int r;

	s = s ?: "";
	r = parse_decimal(s, false, &d);
	if (r == -EINVAL || (r == 0 && *d.end))
		return flag_err(err, flag, "invalid number '%s'", s);
	if (r < 0 || d.ip < min || d.ip > max)
		return flag_err(err, flag, "%s is out of range %llu..%llu", s,
				(unsigned long long)min, (unsigned long long)max);
	*ret = d.ip;
	return 0;
}

/* ---- cpu lists ---- */

static int cpulist_item(const char *flag, const char *s, const char **p, uint8_t *set,
			struct lmc_err *err)
{
	struct decimal lo, hi;

	int r = parse_decimal(*p, false, &lo);

	hi = lo;
	if (r == 0 && *lo.end == '-')
		r = parse_decimal(lo.end + 1, false, &hi);
	if (r < 0 || (*hi.end != ',' && *hi.end != '\0'))
		return flag_err(err, flag, "invalid list '%s'", s);
	if (hi.ip < lo.ip)
		return flag_err(err, flag, "invalid list '%s': range %llu-%llu is reversed", s,
				(unsigned long long)lo.ip, (unsigned long long)hi.ip);
	if (hi.ip >= CPU_ID_MAX)
		return flag_err(err, flag, "invalid list '%s': %llu is above the maximum id %d", s,
				(unsigned long long)hi.ip, CPU_ID_MAX - 1);
	for (uint64_t i = lo.ip; i <= hi.ip; i++)
		set[i / 8] |= (uint8_t)(1u << (i % 8));
	*p = hi.end;
	return 0;
}

static bool bit(const uint8_t *set, unsigned i)
{
	return i < CPU_ID_MAX && (set[i / 8] >> (i % 8)) & 1;
}

int lmc_parse_cpulist(const char *flag, const char *s, char *ret, struct lmc_err *err)
{
	uint8_t set[CPU_ID_MAX / 8] = {0};
	char out[LMC_CPUSET_MAX];
	const char *p;
	size_t len = 0, top = sizeof(set);
	int r;

	p = s = s ?: "";
	do {
		r = cpulist_item(flag, s, &p, set, err);
		if (r < 0)
			return r;
	} while (*p++ == ',');
	/* up to the highest id set only: walking all 4,096 ids cost each create 30 us (perf,
	 * the library's lifecycle) for two lists a validation */
	while (top > 0 && !set[top - 1])
		top--;
	out[0] = '\0';
	for (unsigned i = 0; i < top * 8; i++) {
		unsigned j = i;
		int n;

		if (!bit(set, i))
			continue;
		while (bit(set, j + 1))
			j++;
		n = j == i ? snprintf(out + len, sizeof(out) - len, "%s%u", len ? "," : "", i)
			   : snprintf(out + len, sizeof(out) - len, "%s%u-%u", len ? "," : "", i,
				      j);
		if (n < 0 || (size_t)n >= sizeof(out) - len)
			return flag_err(err, flag, "list '%.64s...' is too long", s);
		len += (size_t)n;
		i = j;
	}
	memcpy(ret, out, len + 1);
	return 0;
}

/* ---- device throttles ---- */

static int throttle_device(const char *flag, const char *dev, uint32_t *major, uint32_t *minor,
			   struct lmc_err *err)
{
	struct decimal a, b;
	struct stat st;

	if (dev[0] == '/') {
		if (stat(dev, &st) < 0)
			return lmc_err_set(err, lmc_negerrno(), "%s%scannot stat '%s': %m",
					   flag ?: "", flag ? ": " : "", dev);
		if (!S_ISBLK(st.st_mode))
			return flag_err(err, flag, "%s is not a block device", dev);
		*major = major(st.st_rdev);
		*minor = minor(st.st_rdev);
		return 0;
	}
	if (parse_decimal(dev, false, &a) < 0 || *a.end != ':' ||
	    parse_decimal(a.end + 1, false, &b) < 0 || *b.end || a.ip > UINT32_MAX ||
	    b.ip > UINT32_MAX)
		return flag_err(err, flag, "invalid device '%s': expected a path or MAJOR:MINOR",
				dev);
	*major = (uint32_t)a.ip;
	*minor = (uint32_t)b.ip;
	return 0;
}

static uint64_t *throttle_rate(struct lmc_throttle *t, int which)
{
	return (uint64_t *[]){&t->read_bps, &t->write_bps, &t->read_iops, &t->write_iops}[which];
}

/* One rate per device: the same device named twice (by path or number) is refused rather
 * than silently replaced, so what the user reads on the command line is what applies. */
static int throttle_once(const char *flag, int which, struct lmc_throttle *t, uint64_t rate,
			 struct lmc_err *err)
{
	char a[32], b[32];
	uint64_t had = *throttle_rate(t, which);

	if (had == LMC_UNSET)
		return 0;
	if (which < 2) {
		lmc_format_size(had, a, sizeof(a));
		lmc_format_size(rate, b, sizeof(b));
	} else {
		snprintf(a, sizeof(a), "%llu", (unsigned long long)had);
		snprintf(b, sizeof(b), "%llu", (unsigned long long)rate);
	}
	return flag_err(err, flag,
			"device %u:%u is given twice (%s, then %s); give each device once",
			t->major, t->minor, a, b);
}

int lmc_parse_throttle(const char *flag, const char *s, int which, struct lmc_spec_blkio *blkio,
		       struct lmc_err *err)
{
	char dev[LMC_DEVPATH_MAX];
	const char *colon = s ? strrchr(s, ':') : NULL;
	struct lmc_throttle *t;
	uint32_t major = 0, minor = 0;
	uint64_t rate;
	int r;

	if (which < 0 || which > 3)
		return -EINVAL;
	if (!colon || colon == s)
		return flag_err(err, flag, "invalid throttle '%s': expected DEVICE:RATE",
				s ? s : "");
	if ((size_t)(colon - s) >= sizeof(dev))
		return flag_err(err, flag, "invalid throttle '%s': device name too long", s);
	memcpy(dev, s, (size_t)(colon - s));
	dev[colon - s] = '\0';
	r = throttle_device(flag, dev, &major, &minor, err);
	if (r < 0)
		return r;
	/* Rates: bps are sizes (1024s), iops are counts (K = 1000). */
	r = parse_scaled(flag, which < 2 ? "rate" : "iops", colon + 1, which < 2 ? 1024 : 1000,
			 &rate, err);
	if (r < 0)
		return r;
	if (rate == 0)
		return flag_err(err, flag, "invalid rate in '%s': must be greater than 0", s);
	t = throttle_get(blkio, major, minor);
	if (!t)
		return flag_err(err, flag, "%s: at most %d devices", dev, LMC_THROTTLE_MAX);
	r = throttle_once(flag, which, t, rate, err);
	if (r < 0)
		return r;
	snprintf(t->path, sizeof(t->path), "%s", dev);
	*throttle_rate(t, which) = rate;
	return 0;
}

/* ---- namespaces and id maps ---- */

static const struct {
	enum lmc_ns ns;
	const char *name;
} ns_names[] = {
	{LMC_NS_PID, "pid"}, {LMC_NS_MNT, "mnt"},   {LMC_NS_UTS, "uts"},       {LMC_NS_IPC, "ipc"},
	{LMC_NS_NET, "net"}, {LMC_NS_USER, "user"}, {LMC_NS_CGROUP, "cgroup"},
};

const char *lmc_ns_name(enum lmc_ns ns)
{
	for (unsigned i = 0; i < ARRAY_SIZE(ns_names); i++)
		if (ns_names[i].ns == ns)
			return ns_names[i].name;
	return "unknown";
}

int lmc_parse_ns(const char *flag, const char *s, uint32_t *ret_mask, struct lmc_err *err)
{
	uint32_t mask = 0;
	const char *p = s ?: "";

	do {
		size_t len = strcspn(p, ",");
		unsigned i;

		for (i = 0; i < ARRAY_SIZE(ns_names); i++)
			if (strlen(ns_names[i].name) == len && !strncmp(p, ns_names[i].name, len))
				break;
		if (i == ARRAY_SIZE(ns_names))
			return flag_err(err, flag, "unknown namespace '%.*s'", (int)len, p);
		mask |= (uint32_t)ns_names[i].ns;
		p += len;
	} while (*p++ == ',');
	*ret_mask = mask;
	return 0;
}

static int idmap_item(const char *flag, const char *s, const char **p, struct lmc_idmap *m,
		      struct lmc_err *err)
{
	uint64_t v[3];
	struct decimal d;
	const char *q = *p;

	for (unsigned k = 0; k < 3; k++) {
		if (parse_decimal(q, false, &d) < 0 || d.ip > UINT32_MAX ||
		    (k < 2 && *d.end != ':') || (k == 2 && *d.end != ',' && *d.end))
			return flag_err(err, flag,
					"invalid id map '%s': expected INSIDE:OUTSIDE:COUNT", s);
		v[k] = d.ip;
		q = k < 2 ? d.end + 1 : d.end;
	}
	m->inside = (uint32_t)v[0];
	m->outside = (uint32_t)v[1];
	m->count = (uint32_t)v[2];
	*p = q;
	return 0;
}

int lmc_parse_idmap(const char *flag, const char *s, struct lmc_idmap *maps, unsigned *n,
		    struct lmc_err *err)
{
	struct lmc_idmap m[LMC_IDMAP_MAX];
	const char *p;
	unsigned count = 0;
	int r;

	p = s = s ?: "";
	do {
		if (count == LMC_IDMAP_MAX)
			return flag_err(err, flag, "invalid id map '%s': at most %d ranges", s,
					LMC_IDMAP_MAX);
		r = idmap_item(flag, s, &p, &m[count++], err);
		if (r < 0)
			return r;
	} while (*p++ == ',');
	r = idmaps_check(flag, m, count, err);
	if (r < 0)
		return r;
	memcpy(maps, m, count * sizeof(m[0]));
	*n = count;
	return 0;
}

/* ---- formatting ---- */

void lmc_format_size(uint64_t v, char *buf, size_t size)
{
	static const char units[] = "TGMK";
	uint64_t mult = 1ULL << 40;

	for (unsigned i = 0; v && i < 4; i++, mult >>= 10)
		if (v % mult == 0) {
			snprintf(buf, size, "%llu%c", (unsigned long long)(v / mult), units[i]);
			return;
		}
	snprintf(buf, size, "%llu", (unsigned long long)v);
}

void lmc_format_cpus(uint64_t millicores, char *buf, size_t size)
{
	unsigned frac = (unsigned)(millicores % 1000), digits = 3;

	/* Shortest exact decimal: 1500 -> "1.5", 1000 -> "1". */
	for (; frac && frac % 10 == 0; frac /= 10)
		digits--;
	if (frac)
		snprintf(buf, size, "%llu.%0*u", (unsigned long long)(millicores / 1000),
			 (int)digits, frac);
	else
		snprintf(buf, size, "%llu", (unsigned long long)(millicores / 1000));
}
