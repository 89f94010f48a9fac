/* Specs and tasks <-> their messages of core/record.proto (core/record-pb.h), for the
 * records on disk (core/record.c) and for the same messages on the wire (proto/). Decoding
 * treats every input as hostile: protobuf-c bounds the parse, then every string, count and
 * enum is checked against the core structs before anything is copied out. */
#include <stdlib.h>
#include <string.h>

#include "base/macro.h"
#include "base/util.h"
#include "core/record-pb.h"

#define OPT LMC_PB_OPT

static const struct lmc_pb_opt cpu_opts[] = {
	OPT(Lmctl__CpuSpec, reservation_m, struct lmc_spec_cpu, reservation_m, 1),
	OPT(Lmctl__CpuSpec, limit_m, struct lmc_spec_cpu, limit_m, 2),
	OPT(Lmctl__CpuSpec, shares, struct lmc_spec_cpu, shares, 3),
	OPT(Lmctl__CpuSpec, period_us, struct lmc_spec_cpu, period_us, 4),
	OPT(Lmctl__CpuSpec, burst_us, struct lmc_spec_cpu, burst_us, 8),
};

static const struct lmc_pb_opt mem_opts[] = {
	OPT(Lmctl__MemorySpec, limit, struct lmc_spec_memory, limit, 1),
	OPT(Lmctl__MemorySpec, reservation, struct lmc_spec_memory, reservation, 2),
	OPT(Lmctl__MemorySpec, high, struct lmc_spec_memory, high, 3),
	OPT(Lmctl__MemorySpec, swap, struct lmc_spec_memory, swap, 4),
};

static const struct lmc_pb_opt thr_opts[] = {
	OPT(Lmctl__Throttle, read_bps, struct lmc_throttle, read_bps, 4),
	OPT(Lmctl__Throttle, write_bps, struct lmc_throttle, write_bps, 5),
	OPT(Lmctl__Throttle, read_iops, struct lmc_throttle, read_iops, 6),
	OPT(Lmctl__Throttle, write_iops, struct lmc_throttle, write_iops, 7),
};

static const struct lmc_pb_opt blkio_opts[] = {
	OPT(Lmctl__BlkioSpec, weight, struct lmc_spec_blkio, weight, 1),
};

static const struct lmc_pb_opt pids_opts[] = {
	OPT(Lmctl__PidsSpec, limit, struct lmc_spec_pids, limit, 1),
};

static const struct lmc_pb_opt spec_opts[] = {
	OPT(Lmctl__Spec, max_containers, struct lmc_spec, max_containers, 7),
};

void lmc_record_opts_to_pb(void *pb, const void *c, const struct lmc_pb_opt *t, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint64_t v;
		uint32_t id = t[i].id;

		memcpy(&v, (const char *)c + t[i].c_off, sizeof(v));
		/* LMC_CLEAR travels as UpdateRequest.clear, never as a value */
		if (v == LMC_UNSET || v == LMC_CLEAR)
			continue;
		memcpy((char *)pb + t[i].pb_off, &v, sizeof(v));
		/* protobuf-c forces its case enums to int size */
		memcpy((char *)pb + t[i].case_off, &id, sizeof(id));
	}
}

void lmc_record_opts_from_pb(void *c, const void *pb, const struct lmc_pb_opt *t, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint64_t v = LMC_UNSET;
		uint32_t id;

		memcpy(&id, (const char *)pb + t[i].case_off, sizeof(id));
		if (id == t[i].id)
			memcpy(&v, (const char *)pb + t[i].pb_off, sizeof(v));
		memcpy((char *)c + t[i].c_off, &v, sizeof(v));
	}
}

/* A C string from a fixed buffer, or NULL if it is not terminated inside it. */
static char *cstr(const char *s, size_t size)
{
	return strnlen(s, size) < size ? (char *)s : NULL;
}

static int cpu_to_pb(const struct lmc_spec_cpu *cpu, Lmctl__CpuSpec *pb)
{
	lmctl__cpu_spec__init(pb);
	lmc_record_opts_to_pb(pb, cpu, cpu_opts, ARRAY_SIZE(cpu_opts));
	pb->cpus = cstr(cpu->cpus, sizeof(cpu->cpus));
	pb->mems = cstr(cpu->mems, sizeof(cpu->mems));
	if (!pb->cpus || !pb->mems || (unsigned)cpu->latency > LMC_LATENCY_BATCH)
		return -EINVAL;
	pb->latency = (Lmctl__Latency)cpu->latency;
	return 0;
}

static int memory_to_pb(const struct lmc_spec_memory *m, Lmctl__MemorySpec *pb)
{
	/* only -1/0/1 survive a bool on the wire */
	if (m->oom_group < -1 || m->oom_group > 1)
		return -EINVAL;
	lmctl__memory_spec__init(pb);
	lmc_record_opts_to_pb(pb, m, mem_opts, ARRAY_SIZE(mem_opts));
	if (m->oom_group >= 0) {
		pb->_oom_group_case = LMCTL__MEMORY_SPEC___OOM_GROUP_OOM_GROUP;
		pb->oom_group = m->oom_group != 0;
	}
	if (m->eviction_priority != INT64_MIN) {
		pb->_eviction_priority_case =
			LMCTL__MEMORY_SPEC___EVICTION_PRIORITY_EVICTION_PRIORITY;
		pb->eviction_priority = m->eviction_priority;
	}
	return 0;
}

static int blkio_to_pb(const struct lmc_spec_blkio *bl, struct lmc_pb_spec *b)
{
	lmctl__blkio_spec__init(&b->blkio);
	lmc_record_opts_to_pb(&b->blkio, bl, blkio_opts, ARRAY_SIZE(blkio_opts));
	if (bl->n_throttles > LMC_THROTTLE_MAX)
		return -EINVAL;
	for (unsigned i = 0; i < bl->n_throttles; i++) {
		const struct lmc_throttle *t = &bl->throttles[i];
		Lmctl__Throttle *pt = &b->thr[i];

		lmctl__throttle__init(pt);
		pt->major = t->major;
		pt->minor = t->minor;
		pt->path = cstr(t->path, sizeof(t->path));
		if (!pt->path)
			return -EINVAL;
		lmc_record_opts_to_pb(pt, t, thr_opts, ARRAY_SIZE(thr_opts));
		b->thrp[i] = pt;
	}
	b->blkio.n_throttles = bl->n_throttles;
	b->blkio.throttles = b->thrp;
	return 0;
}

static int idmaps_to_pb(const struct lmc_idmap *maps, unsigned n, Lmctl__IdMap *pb,
			Lmctl__IdMap **ptrs)
{
	if (n > LMC_IDMAP_MAX)
		return -EINVAL;
	for (unsigned i = 0; i < n; i++) {
		lmctl__id_map__init(&pb[i]);
		pb[i].inside = maps[i].inside;
		pb[i].outside = maps[i].outside;
		pb[i].count = maps[i].count;
		ptrs[i] = &pb[i];
	}
	return 0;
}

static int ns_to_pb(const struct lmc_spec_ns *ns, struct lmc_pb_spec *b)
{
	Lmctl__Namespaces *pb = &b->ns;

	lmctl__namespaces__init(pb);
	pb->pid = !!(ns->mask & LMC_NS_PID);
	pb->mnt = !!(ns->mask & LMC_NS_MNT);
	pb->uts = !!(ns->mask & LMC_NS_UTS);
	pb->ipc = !!(ns->mask & LMC_NS_IPC);
	pb->net = !!(ns->mask & LMC_NS_NET);
	pb->user = !!(ns->mask & LMC_NS_USER);
	pb->cgroup = !!(ns->mask & LMC_NS_CGROUP);
	pb->hostname = cstr(ns->hostname, sizeof(ns->hostname));
	if (!pb->hostname || (ns->mask & ~(uint32_t)LMC_NS_ALL))
		return -EINVAL;
	if (idmaps_to_pb(ns->uid_map, ns->n_uid_map, b->uid, b->uidp) < 0 ||
	    idmaps_to_pb(ns->gid_map, ns->n_gid_map, b->gid, b->gidp) < 0)
		return -EINVAL;
	pb->n_uid_map = ns->n_uid_map;
	pb->uid_map = b->uidp;
	pb->n_gid_map = ns->n_gid_map;
	pb->gid_map = b->gidp;
	return 0;
}

int lmc_record_spec_to_pb(const struct lmc_spec *spec, struct lmc_pb_spec *b)
{
	int r;

	lmctl__spec__init(&b->spec);
	r = cpu_to_pb(&spec->cpu, &b->cpu);
	if (r < 0)
		return r;
	r = memory_to_pb(&spec->memory, &b->memory);
	if (r < 0)
		return r;
	r = blkio_to_pb(&spec->blkio, b);
	if (r < 0)
		return r;
	lmctl__pids_spec__init(&b->pids);
	lmc_record_opts_to_pb(&b->pids, &spec->pids, pids_opts, ARRAY_SIZE(pids_opts));
	r = ns_to_pb(&spec->ns, b);
	if (r < 0)
		return r;
	b->spec.cpu = &b->cpu;
	b->spec.memory = &b->memory;
	b->spec.blkio = &b->blkio;
	b->spec.pids = &b->pids;
	b->spec.namespaces = &b->ns;
	if (spec->owner != LMC_OWNER_UNSET) {
		b->spec._owner_case = LMCTL__SPEC___OWNER_OWNER;
		b->spec.owner = spec->owner;
	}
	lmc_record_opts_to_pb(&b->spec, spec, spec_opts, ARRAY_SIZE(spec_opts));
	return 0;
}

static int cpu_from_pb(const Lmctl__CpuSpec *pb, struct lmc_spec_cpu *cpu)
{
	if (!pb)
		return 0;
	lmc_record_opts_from_pb(cpu, pb, cpu_opts, ARRAY_SIZE(cpu_opts));
	if (lmc_util_copy_str(cpu->cpus, sizeof(cpu->cpus), pb->cpus) < 0 ||
	    lmc_util_copy_str(cpu->mems, sizeof(cpu->mems), pb->mems) < 0)
		return -EBADMSG;
	switch (pb->latency) {
	case LMCTL__LATENCY__LATENCY_UNSET:
		cpu->latency = LMC_LATENCY_UNSET;
		return 0;
	case LMCTL__LATENCY__LATENCY_SENSITIVE:
		cpu->latency = LMC_LATENCY_SENSITIVE;
		return 0;
	case LMCTL__LATENCY__LATENCY_BATCH:
		cpu->latency = LMC_LATENCY_BATCH;
		return 0;
	default:
		return -EBADMSG;
	}
}

static void memory_from_pb(const Lmctl__MemorySpec *pb, struct lmc_spec_memory *m)
{
	if (!pb)
		return;
	lmc_record_opts_from_pb(m, pb, mem_opts, ARRAY_SIZE(mem_opts));
	if (pb->_oom_group_case == LMCTL__MEMORY_SPEC___OOM_GROUP_OOM_GROUP)
		m->oom_group = pb->oom_group ? 1 : 0;
	if (pb->_eviction_priority_case == LMCTL__MEMORY_SPEC___EVICTION_PRIORITY_EVICTION_PRIORITY)
		m->eviction_priority = pb->eviction_priority;
}

/* The first entry naming a device an earlier entry names, or NULL. One entry per device:
 * the policy would check the first, the kernel keep the last written. */
static const Lmctl__Throttle *dup_throttle(const Lmctl__BlkioSpec *pb)
{
	for (size_t i = 0; pb && i < pb->n_throttles && i < LMC_THROTTLE_MAX; i++)
		for (size_t j = 0; j < i; j++)
			if (pb->throttles[j]->major == pb->throttles[i]->major &&
			    pb->throttles[j]->minor == pb->throttles[i]->minor)
				return pb->throttles[i];
	return NULL;
}

static int blkio_from_pb(const Lmctl__BlkioSpec *pb, struct lmc_spec_blkio *bl)
{
	if (!pb)
		return 0;
	lmc_record_opts_from_pb(bl, pb, blkio_opts, ARRAY_SIZE(blkio_opts));
	if (pb->n_throttles > LMC_THROTTLE_MAX || dup_throttle(pb))
		return -EBADMSG;
	for (size_t i = 0; i < pb->n_throttles; i++) {
		const Lmctl__Throttle *pt = pb->throttles[i];
		struct lmc_throttle *t = &bl->throttles[i];

		t->major = pt->major;
		t->minor = pt->minor;
		if (lmc_util_copy_str(t->path, sizeof(t->path), pt->path) < 0)
			return -EBADMSG;
		lmc_record_opts_from_pb(t, pt, thr_opts, ARRAY_SIZE(thr_opts));
	}
	bl->n_throttles = pb->n_throttles;
	return 0;
}

static int idmaps_from_pb(Lmctl__IdMap *const *pb, size_t n, struct lmc_idmap *maps,
			  unsigned *ret_n)
{
	if (n > LMC_IDMAP_MAX)
		return -EBADMSG;
	for (size_t i = 0; i < n; i++) {
		maps[i].inside = pb[i]->inside;
		maps[i].outside = pb[i]->outside;
		maps[i].count = pb[i]->count;
	}
	*ret_n = n;
	return 0;
}

static int ns_from_pb(const Lmctl__Namespaces *pb, struct lmc_spec_ns *ns)
{
	if (!pb)
		return 0;
	ns->mask = (pb->pid ? LMC_NS_PID : 0) | (pb->mnt ? LMC_NS_MNT : 0) |
		   (pb->uts ? LMC_NS_UTS : 0) | (pb->ipc ? LMC_NS_IPC : 0) |
		   (pb->net ? LMC_NS_NET : 0) | (pb->user ? LMC_NS_USER : 0) |
		   (pb->cgroup ? LMC_NS_CGROUP : 0);
	if (lmc_util_copy_str(ns->hostname, sizeof(ns->hostname), pb->hostname) < 0)
		return -EBADMSG;
	if (idmaps_from_pb(pb->uid_map, pb->n_uid_map, ns->uid_map, &ns->n_uid_map) < 0 ||
	    idmaps_from_pb(pb->gid_map, pb->n_gid_map, ns->gid_map, &ns->n_gid_map) < 0)
		return -EBADMSG;
	return 0;
}

int lmc_record_spec_from_pb(const Lmctl__Spec *pb, struct lmc_spec *ret)
{
	struct lmc_spec s;

	/* zeroed first so unused array slots and string tails compare equal */
	memset(&s, 0, sizeof(s));
	lmc_spec_init(&s);
	if (pb) {
		if (cpu_from_pb(pb->cpu, &s.cpu) < 0)
			return -EBADMSG;
		memory_from_pb(pb->memory, &s.memory);
		if (blkio_from_pb(pb->blkio, &s.blkio) < 0)
			return -EBADMSG;
		if (pb->pids)
			lmc_record_opts_from_pb(&s.pids, pb->pids, pids_opts,
						ARRAY_SIZE(pids_opts));
		if (ns_from_pb(pb->namespaces, &s.ns) < 0)
			return -EBADMSG;
		if (pb->_owner_case == LMCTL__SPEC___OWNER_OWNER)
			s.owner = pb->owner;
		lmc_record_opts_from_pb(&s, pb, spec_opts, ARRAY_SIZE(spec_opts));
	}
	*ret = s;
	return 0;
}

/* The API paths of the optional numbers, in the order of the tables above. */
static const char *const cpu_paths[] = {"cpu.reservation_m", "cpu.limit_m", "cpu.shares",
					"cpu.period_us", "cpu.burst_us"};
static const char *const mem_paths[] = {"memory.limit", "memory.reservation", "memory.high",
					"memory.swap"};
static const char *const thr_paths[] = {"blkio.throttles.read_bps", "blkio.throttles.write_bps",
					"blkio.throttles.read_iops", "blkio.throttles.write_iops"};
static const char *const blkio_paths[] = {"blkio.weight"};
static const char *const pids_paths[] = {"pids.limit"};
static const char *const spec_paths[] = {"max_containers"};

/* The path of a set number in pb that no kernel file can hold (2^64-2 and up: those values
 * mean "unset" and "clear" inside lmctl), or NULL. */
static const char *opts_unrepresentable(const void *pb, const struct lmc_pb_opt *t, size_t n,
					const char *const *paths, uint64_t *ret)
{
	for (size_t i = 0; pb && i < n; i++) {
		uint32_t id;

		memcpy(&id, (const char *)pb + t[i].case_off, sizeof(id));
		if (id != t[i].id)
			continue;
		memcpy(ret, (const char *)pb + t[i].pb_off, sizeof(*ret));
		if (*ret >= LMC_CLEAR)
			return paths[i];
	}
	return NULL;
}

static const char *spec_unrepresentable(const Lmctl__Spec *pb, uint64_t *v)
{
	const char *p = NULL;

	if (!pb)
		return NULL;
	p = opts_unrepresentable(pb->cpu, cpu_opts, ARRAY_SIZE(cpu_opts), cpu_paths, v);
	if (!p)
		p = opts_unrepresentable(pb->memory, mem_opts, ARRAY_SIZE(mem_opts), mem_paths, v);
	if (!p)
		p = opts_unrepresentable(pb->pids, pids_opts, ARRAY_SIZE(pids_opts), pids_paths, v);
	if (!p)
		p = opts_unrepresentable(pb, spec_opts, ARRAY_SIZE(spec_opts), spec_paths, v);
	if (!p && pb->blkio)
		p = opts_unrepresentable(pb->blkio, blkio_opts, ARRAY_SIZE(blkio_opts), blkio_paths,
					 v);
	for (size_t i = 0; !p && pb->blkio && i < pb->blkio->n_throttles; i++)
		p = opts_unrepresentable(pb->blkio->throttles[i], thr_opts, ARRAY_SIZE(thr_opts),
					 thr_paths, v);
	return p;
}

int lmc_record_spec_from_pb_err(const Lmctl__Spec *pb, struct lmc_spec *ret, const char *name,
				struct lmc_err *err)
{
	const Lmctl__Throttle *dup = pb ? dup_throttle(pb->blkio) : NULL;
	uint64_t v = 0;
	const char *big = spec_unrepresentable(pb, &v);

	if (big) {
		lmc_err_set(err, -EINVAL,
			    "%s: %s %llu cannot be represented (at most 2^64-3; to remove a limit, "
			    "clear it: UpdateRequest.clear)",
			    name, big, (unsigned long long)v);
		return lmc_err_facts(err, LMC_EC_INVALID_ARGUMENT, name, big, v, LMC_CLEAR - 1,
				     NULL);
	}
	if (lmc_record_spec_from_pb(pb, ret) >= 0)
		return 0;
	if (dup)
		return lmc_err_set(err, -EINVAL,
				   "%s: device %u:%u has two throttle entries; give each device "
				   "once",
				   name, dup->major, dup->minor);
	return lmc_err_set(err, -EINVAL, "%s: malformed spec", name);
}

int lmc_record_pack(const ProtobufCMessage *msg, uint8_t **ret_buf, size_t *ret_len)
{
	size_t len = protobuf_c_message_get_packed_size(msg);
	uint8_t *buf = malloc(len ? len : 1);

	if (!buf)
		return -ENOMEM;
	if (protobuf_c_message_pack(msg, buf) != len) {
		free(buf);
		return -EIO;
	}
	*ret_buf = buf;
	*ret_len = len;
	return 0;
}

/* ---- tasks ---- */

#define TASK_ARGV_MAX 4096

void lmc_record_task_to_pb(const struct lmc_task *t, Lmctl__Task *m)
{
	size_t n = 0;

	while (t->argv && t->argv[n])
		n++;
	lmctl__task__init(m);
	m->container = (char *)t->container;
	m->task_id = (char *)t->id;
	m->n_argv = n;
	m->argv = t->argv;
	m->pid = t->pid;
	m->pid_start = t->pid_start;
	m->state = (Lmctl__TaskState)t->state;
	m->exit_code = t->exit_code;
	m->signal = t->signal;
	m->started_ns = t->started_ns;
	m->finished_ns = t->finished_ns;
	m->oom_kills = t->oom_kills;
	m->reason = (char *)t->reason;
	m->log = t->log;
	m->uid = t->uid;
}

int lmc_record_task_from_pb(const Lmctl__Task *m, struct lmc_task *ret)
{
	struct lmc_task t = {.pidfd = -1};

	if (lmc_util_copy_str(t.container, sizeof(t.container), m->container) < 0 ||
	    lmc_util_copy_str(t.id, sizeof(t.id), m->task_id) < 0 ||
	    lmc_util_copy_str(t.reason, sizeof(t.reason), m->reason) < 0 ||
	    m->n_argv > TASK_ARGV_MAX || (unsigned)m->state > LMC_TASK_LOST)
		return -EBADMSG;
	t.argv = calloc(m->n_argv + 1, sizeof(char *));
	if (!t.argv)
		return -ENOMEM;
	for (size_t i = 0; i < m->n_argv; i++) {
		t.argv[i] = strdup(m->argv[i]);
		if (!t.argv[i]) {
			lmc_task_done(&t);
			return -ENOMEM;
		}
	}
	t.pid = m->pid;
	t.pid_start = m->pid_start;
	t.state = (enum lmc_task_state)m->state;
	t.exit_code = m->exit_code;
	t.signal = m->signal;
	t.started_ns = m->started_ns;
	t.finished_ns = m->finished_ns;
	t.oom_kills = m->oom_kills;
	t.log = m->log;
	t.uid = m->uid;
	*ret = t;
	return 0;
}
