/* Records, specs and stats <-> protobuf (proto/lmctl.proto). Decoding treats every input
 * as hostile: protobuf-c bounds the parse, then every string, count and enum is checked
 * against the core structs before anything is copied out. */
#include <string.h>

#include "proto/codec.h"
#include "proto/codec-pb.h"

/* An optional uint64: a single-member oneof in the message, LMC_UNSET in the struct. The
 * case value of a set member is its field number. */
struct opt_u64 {
	size_t case_off, pb_off, c_off;
	uint32_t id;
};

#define OPT(pbtype, pbfield, ctype, cfield, fid)                                \
	{                                                                       \
		offsetof(pbtype, _##pbfield##_case), offsetof(pbtype, pbfield), \
			offsetof(ctype, cfield), fid                            \
	}

static const struct opt_u64 cpu_opts[] = {
	OPT(Lmctl__CpuSpec, reservation_m, struct lmc_spec_cpu, reservation_m, 1),
	OPT(Lmctl__CpuSpec, limit_m, struct lmc_spec_cpu, limit_m, 2),
	OPT(Lmctl__CpuSpec, shares, struct lmc_spec_cpu, shares, 3),
	OPT(Lmctl__CpuSpec, period_us, struct lmc_spec_cpu, period_us, 4),
	OPT(Lmctl__CpuSpec, burst_us, struct lmc_spec_cpu, burst_us, 8),
};

static const struct opt_u64 mem_opts[] = {
	OPT(Lmctl__MemorySpec, limit, struct lmc_spec_memory, limit, 1),
	OPT(Lmctl__MemorySpec, reservation, struct lmc_spec_memory, reservation, 2),
	OPT(Lmctl__MemorySpec, high, struct lmc_spec_memory, high, 3),
	OPT(Lmctl__MemorySpec, swap, struct lmc_spec_memory, swap, 4),
};

static const struct opt_u64 thr_opts[] = {
	OPT(Lmctl__Throttle, read_bps, struct lmc_throttle, read_bps, 4),
	OPT(Lmctl__Throttle, write_bps, struct lmc_throttle, write_bps, 5),
	OPT(Lmctl__Throttle, read_iops, struct lmc_throttle, read_iops, 6),
	OPT(Lmctl__Throttle, write_iops, struct lmc_throttle, write_iops, 7),
};

static const struct opt_u64 blkio_opts[] = {
	OPT(Lmctl__BlkioSpec, weight, struct lmc_spec_blkio, weight, 1),
};

static const struct opt_u64 pids_opts[] = {
	OPT(Lmctl__PidsSpec, limit, struct lmc_spec_pids, limit, 1),
};

static const struct opt_u64 spec_opts[] = {
	OPT(Lmctl__Spec, max_containers, struct lmc_spec, max_containers, 7),
};

#define SOPT(f, id) OPT(Lmctl__Stats, f, struct lmc_stats, f, id)
static const struct opt_u64 stats_opts[] = {
	SOPT(cpu_usage_ns, 1),	     SOPT(cpu_user_ns, 2),	SOPT(cpu_system_ns, 3),
	SOPT(cpu_nr_periods, 4),     SOPT(cpu_nr_throttled, 5), SOPT(cpu_throttled_ns, 6),
	SOPT(mem_usage, 7),	     SOPT(mem_peak, 8),		SOPT(mem_limit, 9),
	SOPT(mem_rss, 10),	     SOPT(mem_cache, 11),	SOPT(mem_swap, 12),
	SOPT(mem_failcnt, 13),	     SOPT(mem_oom_kills, 14),	SOPT(mem_oom_events, 15),
	SOPT(io_read_bytes, 16),     SOPT(io_write_bytes, 17),	SOPT(io_read_ops, 18),
	SOPT(io_write_ops, 19),	     SOPT(pids_current, 20),	SOPT(pids_limit, 21),
	SOPT(mem_inactive_file, 25),
};

static void opts_to_pb(void *pb, const void *c, const struct opt_u64 *t, size_t n)
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

static void opts_from_pb(void *c, const void *pb, const struct opt_u64 *t, size_t n)
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

/* Copy a decoded string into a fixed buffer; -EBADMSG if it does not fit. */
static int copy_str(char *dst, size_t size, const char *src)
{
	size_t len;

	if (!src)
		src = "";
	len = strlen(src);
	if (len >= size)
		return -EBADMSG;
	memcpy(dst, src, len + 1);
	return 0;
}

static int cpu_to_pb(const struct lmc_spec_cpu *cpu, Lmctl__CpuSpec *pb)
{
	lmctl__cpu_spec__init(pb);
	opts_to_pb(pb, cpu, cpu_opts, ARRAY_SIZE(cpu_opts));
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
	opts_to_pb(pb, m, mem_opts, ARRAY_SIZE(mem_opts));
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
	opts_to_pb(&b->blkio, bl, blkio_opts, ARRAY_SIZE(blkio_opts));
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
		opts_to_pb(pt, t, thr_opts, ARRAY_SIZE(thr_opts));
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

int lmc_codec_spec_to_pb(const struct lmc_spec *spec, struct lmc_pb_spec *b)
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
	opts_to_pb(&b->pids, &spec->pids, pids_opts, ARRAY_SIZE(pids_opts));
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
	opts_to_pb(&b->spec, spec, spec_opts, ARRAY_SIZE(spec_opts));
	return 0;
}

static int cpu_from_pb(const Lmctl__CpuSpec *pb, struct lmc_spec_cpu *cpu)
{
	if (!pb)
		return 0;
	opts_from_pb(cpu, pb, cpu_opts, ARRAY_SIZE(cpu_opts));
	if (copy_str(cpu->cpus, sizeof(cpu->cpus), pb->cpus) < 0 ||
	    copy_str(cpu->mems, sizeof(cpu->mems), pb->mems) < 0)
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
	opts_from_pb(m, pb, mem_opts, ARRAY_SIZE(mem_opts));
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
	opts_from_pb(bl, pb, blkio_opts, ARRAY_SIZE(blkio_opts));
	if (pb->n_throttles > LMC_THROTTLE_MAX || dup_throttle(pb))
		return -EBADMSG;
	for (size_t i = 0; i < pb->n_throttles; i++) {
		const Lmctl__Throttle *pt = pb->throttles[i];
		struct lmc_throttle *t = &bl->throttles[i];

		t->major = pt->major;
		t->minor = pt->minor;
		if (copy_str(t->path, sizeof(t->path), pt->path) < 0)
			return -EBADMSG;
		opts_from_pb(t, pt, thr_opts, ARRAY_SIZE(thr_opts));
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
	if (copy_str(ns->hostname, sizeof(ns->hostname), pb->hostname) < 0)
		return -EBADMSG;
	if (idmaps_from_pb(pb->uid_map, pb->n_uid_map, ns->uid_map, &ns->n_uid_map) < 0 ||
	    idmaps_from_pb(pb->gid_map, pb->n_gid_map, ns->gid_map, &ns->n_gid_map) < 0)
		return -EBADMSG;
	return 0;
}

int lmc_codec_spec_from_pb(const Lmctl__Spec *pb, struct lmc_spec *ret)
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
			opts_from_pb(&s.pids, pb->pids, pids_opts, ARRAY_SIZE(pids_opts));
		if (ns_from_pb(pb->namespaces, &s.ns) < 0)
			return -EBADMSG;
		if (pb->_owner_case == LMCTL__SPEC___OWNER_OWNER)
			s.owner = pb->owner;
		opts_from_pb(&s, pb, spec_opts, ARRAY_SIZE(spec_opts));
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
static const char *opts_unrepresentable(const void *pb, const struct opt_u64 *t, size_t n,
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

int lmc_codec_spec_from_pb_err(const Lmctl__Spec *pb, struct lmc_spec *ret, const char *name,
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
	if (lmc_codec_spec_from_pb(pb, ret) >= 0)
		return 0;
	if (dup)
		return lmc_err_set(err, -EINVAL,
				   "%s: device %u:%u has two throttle entries; give each device "
				   "once",
				   name, dup->major, dup->minor);
	return lmc_err_set(err, -EINVAL, "%s: malformed spec", name);
}

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
	opts_to_pb(&b->stats, st, stats_opts, ARRAY_SIZE(stats_opts));
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
		opts_from_pb(&st, pb, stats_opts, ARRAY_SIZE(stats_opts));
		psi_from_pb(pb->psi_cpu, &st.psi_cpu);
		psi_from_pb(pb->psi_memory, &st.psi_memory);
		psi_from_pb(pb->psi_io, &st.psi_io);
	}
	*ret = st;
	return 0;
}

int lmc_codec_pack(const ProtobufCMessage *msg, uint8_t **ret_buf, size_t *ret_len)
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

/* ---- the public codec (proto/codec.h) ---- */

static void record_free_unpacked(Lmctl__Record **m)
{
	if (*m)
		lmctl__record__free_unpacked(*m, NULL);
}

static void spec_free_unpacked(Lmctl__Spec **m)
{
	if (*m)
		lmctl__spec__free_unpacked(*m, NULL);
}

static void stats_free_unpacked(Lmctl__Stats **m)
{
	if (*m)
		lmctl__stats__free_unpacked(*m, NULL);
}

int lmc_codec_record_encode(const struct lmc_record *rec, uint8_t **ret_buf, size_t *ret_len)
{
	struct lmc_pb_spec b;
	Lmctl__Record m = LMCTL__RECORD__INIT;
	int r;

	r = lmc_codec_spec_to_pb(&rec->spec, &b);
	if (r < 0)
		return r;
	m.name = cstr(rec->name, sizeof(rec->name));
	if (!m.name || (unsigned)rec->state > LMC_REC_UPDATING)
		return -EINVAL;
	m.spec = &b.spec;
	m.state = (Lmctl__RecordState)rec->state;
	m.init_pid = rec->init_pid;
	m.init_start = rec->init_start;
	return lmc_codec_pack(&m.base, ret_buf, ret_len);
}

int lmc_codec_record_decode(const uint8_t *buf, size_t len, struct lmc_record *ret)
{
	_cleanup_(record_free_unpacked) Lmctl__Record *m = NULL;
	struct lmc_record rec;

	m = lmctl__record__unpack(NULL, len, buf);
	if (!m)
		return -EBADMSG;
	memset(&rec, 0, sizeof(rec));
	if (copy_str(rec.name, sizeof(rec.name), m->name) < 0)
		return -EBADMSG;
	switch (m->state) {
	case LMCTL__RECORD_STATE__RECORD_READY:
		rec.state = LMC_REC_READY;
		break;
	case LMCTL__RECORD_STATE__RECORD_CREATING:
		rec.state = LMC_REC_CREATING;
		break;
	case LMCTL__RECORD_STATE__RECORD_DESTROYING:
		rec.state = LMC_REC_DESTROYING;
		break;
	case LMCTL__RECORD_STATE__RECORD_UPDATING:
		rec.state = LMC_REC_UPDATING;
		break;
	default:
		return -EBADMSG;
	}
	if (lmc_codec_spec_from_pb(m->spec, &rec.spec) < 0)
		return -EBADMSG;
	rec.init_pid = m->init_pid;
	rec.init_start = m->init_start;
	*ret = rec;
	return 0;
}

int lmc_codec_spec_encode(const struct lmc_spec *spec, uint8_t **ret_buf, size_t *ret_len)
{
	struct lmc_pb_spec b;
	int r;

	r = lmc_codec_spec_to_pb(spec, &b);
	if (r < 0)
		return r;
	return lmc_codec_pack(&b.spec.base, ret_buf, ret_len);
}

int lmc_codec_spec_decode(const uint8_t *buf, size_t len, struct lmc_spec *ret)
{
	_cleanup_(spec_free_unpacked) Lmctl__Spec *m = NULL;

	m = lmctl__spec__unpack(NULL, len, buf);
	if (!m)
		return -EBADMSG;
	return lmc_codec_spec_from_pb(m, ret);
}

int lmc_codec_stats_encode(const struct lmc_stats *st, uint8_t **ret_buf, size_t *ret_len)
{
	struct lmc_pb_stats b;

	lmc_codec_stats_to_pb(st, &b);
	return lmc_codec_pack(&b.stats.base, ret_buf, ret_len);
}

int lmc_codec_stats_decode(const uint8_t *buf, size_t len, struct lmc_stats *ret)
{
	_cleanup_(stats_free_unpacked) Lmctl__Stats *m = NULL;

	m = lmctl__stats__unpack(NULL, len, buf);
	if (!m)
		return -EBADMSG;
	return lmc_codec_stats_from_pb(m, ret);
}

bool lmc_codec_spec_same(const struct lmc_spec *asked, const struct lmc_spec *have)
{
	struct lmc_spec a = *asked;
	_cleanup_free_ uint8_t *x = NULL, *y = NULL;
	size_t xl, yl;

	if (a.max_containers == LMC_UNSET && a.owner != LMC_OWNER_UNSET &&
	    have->max_containers == LMC_OWNER_MAX_CONTAINERS)
		a.max_containers = have->max_containers;
	if (lmc_codec_spec_encode(&a, &x, &xl) < 0 || lmc_codec_spec_encode(have, &y, &yl) < 0)
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
