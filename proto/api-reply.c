/* The agent's Response builders: one function per payload, each packing a whole Response
 * through lmc_api_reply_payload. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

#include "proto/api-internal.h"

const char *const lmc_api_eff_fields[LMC_API_EFF_N] = {
	"memory.limit", "memory.reservation", "memory.high", "memory.swap",
	"cpu.limit_m",	"cpu.reservation_m",  "pids.limit",  "max_containers",
};

/* Where each effective value lives in a struct lmc_spec (for the `effective` Spec). */
static const size_t eff_spec_off[LMC_API_EFF_N] = {
	offsetof(struct lmc_spec, memory.limit), offsetof(struct lmc_spec, memory.reservation),
	offsetof(struct lmc_spec, memory.high),	 offsetof(struct lmc_spec, memory.swap),
	offsetof(struct lmc_spec, cpu.limit_m),	 offsetof(struct lmc_spec, cpu.reservation_m),
	offsetof(struct lmc_spec, pids.limit),	 offsetof(struct lmc_spec, max_containers),
};

struct lmc_eff_value *lmc_api_eff_at(struct lmc_effective *e, size_t i)
{
	struct lmc_eff_value *v[LMC_API_EFF_N] = {
		&e->mem_limit,	 &e->mem_reservation,	&e->mem_high,	&e->mem_swap,
		&e->cpu_limit_m, &e->cpu_reservation_m, &e->pids_limit, &e->max_containers,
	};

	return v[i];
}

int lmc_api_pack(Lmctl__Response *resp, uint8_t **ret_buf, size_t *ret_len)
{
	return lmc_record_pack(&resp->base, ret_buf, ret_len);
}

int lmc_api_reply_payload(uint64_t id, Lmctl__Response__PayloadCase c, const void *msg,
			  uint8_t **ret_buf, size_t *ret_len)
{
	Lmctl__Response resp = LMCTL__RESPONSE__INIT;

	resp.id = id;
	resp.payload_case = c;
	/* Every member of the payload union points to a message; pointers to structures
	 * share one representation (C11 6.2.5), so the one the case names reads msg. */
	memcpy(&resp.spec, &msg, sizeof(msg));
	return lmc_api_pack(&resp, ret_buf, ret_len);
}

int lmc_api_reply_error(uint64_t id, int status, const char *msg, uint8_t **ret_buf,
			size_t *ret_len)
{
	Lmctl__Response resp = LMCTL__RESPONSE__INIT;

	resp.id = id;
	resp.status = status;
	resp.error = (char *)(msg ? msg : "");
	resp.code = (Lmctl__ErrorCode)lmc_errc_from_errno(status);
	return lmc_api_pack(&resp, ret_buf, ret_len);
}

int lmc_api_reply_err(uint64_t id, const struct lmc_err *err, uint8_t **ret_buf, size_t *ret_len)
{
	Lmctl__Response resp = LMCTL__RESPONSE__INIT;
	Lmctl__ErrorDetail d = LMCTL__ERROR_DETAIL__INIT;

	resp.id = id;
	resp.status = err->code;
	resp.error = (char *)lmc_err_str(err);
	resp.code = (Lmctl__ErrorCode)lmc_err_kind(err);
	if (err->has_detail) {
		d.container = (char *)err->d.container;
		d.resource = (char *)err->d.resource;
		if (err->d.asked != LMC_ERR_NOVAL) {
			d._asked_case = LMCTL__ERROR_DETAIL___ASKED_ASKED;
			d.asked = err->d.asked;
		}
		if (err->d.bound != LMC_ERR_NOVAL) {
			d._bound_case = LMCTL__ERROR_DETAIL___BOUND_BOUND;
			d.bound = err->d.bound;
		}
		d.bounded_by = (char *)err->d.bounded_by;
		resp.detail = &d;
	}
	return lmc_api_pack(&resp, ret_buf, ret_len);
}

static void effective_spec(const struct lmc_effective *eff, struct lmc_spec *ret)
{
	struct lmc_effective e = *eff;

	lmc_spec_init(ret);
	for (size_t i = 0; i < LMC_API_EFF_N; i++)
		memcpy((char *)ret + eff_spec_off[i], &lmc_api_eff_at(&e, i)->value,
		       sizeof(uint64_t));
	ret->memory.eviction_priority = eff->priority;
}

int lmc_api_reply_spec(uint64_t id, const char *name, const struct lmc_spec *spec,
		       const struct lmc_effective *eff, uint8_t **ret_buf, size_t *ret_len)
{
	Lmctl__SpecReply rep = LMCTL__SPEC_REPLY__INIT;
	Lmctl__EffectiveSource src[LMC_API_EFF_N], *srcp[LMC_API_EFF_N];
	struct lmc_pb_spec asked, effective;
	struct lmc_spec effspec;
	struct lmc_effective e = *eff;
	int r;

	effective_spec(eff, &effspec);
	r = lmc_record_spec_to_pb(spec, &asked);
	if (r >= 0)
		r = lmc_record_spec_to_pb(&effspec, &effective);
	if (r < 0)
		return r;
	for (size_t i = 0; i < LMC_API_EFF_N; i++) {
		const struct lmc_eff_value *v = lmc_api_eff_at(&e, i);

		if (v->value == LMC_UNSET || !v->from)
			continue;
		lmctl__effective_source__init(&src[rep.n_sources]);
		src[rep.n_sources].field = (char *)lmc_api_eff_fields[i];
		src[rep.n_sources].container = (char *)v->from;
		srcp[rep.n_sources] = &src[rep.n_sources];
		rep.n_sources++;
	}
	rep.name = (char *)name;
	rep.asked = &asked.spec;
	rep.effective = &effective.spec;
	rep.sources = srcp;
	rep.cpu_shares = eff->cpu_shares == LMC_UNSET ? 0 : eff->cpu_shares;
	return lmc_api_reply_payload(id, LMCTL__RESPONSE__PAYLOAD_SPEC, &rep, ret_buf, ret_len);
}

int lmc_api_reply_stats(uint64_t id, const struct lmc_stats_entry *e, size_t n, uint8_t **ret_buf,
			size_t *ret_len)
{
	Lmctl__StatsReply rep = LMCTL__STATS_REPLY__INIT;
	_cleanup_free_ Lmctl__ContainerStats *cs = calloc(n ? n : 1, sizeof(*cs));
	_cleanup_free_ Lmctl__ContainerStats **csp = calloc(n ? n : 1, sizeof(*csp));
	_cleanup_free_ struct lmc_pb_stats *st = calloc(n ? n : 1, sizeof(*st));
	_cleanup_free_ char **skipped = calloc(n ? n : 1, sizeof(*skipped));

	if (!cs || !csp || !st || !skipped)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		size_t k = rep.n_containers;

		if (e[i].gone) {
			skipped[rep.n_skipped++] = (char *)e[i].name;
			continue;
		}
		lmctl__container_stats__init(&cs[k]);
		lmc_codec_stats_to_pb(&e[i].stats, &st[k]);
		cs[k].name = (char *)e[i].name;
		cs[k].stats = &st[k].stats;
		cs[k].priority = e[i].priority;
		cs[k].read_realtime_ns = e[i].read_realtime_ns;
		cs[k].read_monotonic_ns = e[i].read_monotonic_ns;
		csp[k] = &cs[k];
		rep.n_containers++;
	}
	rep.containers = csp;
	rep.skipped = skipped;
	return lmc_api_reply_payload(id, LMCTL__RESPONSE__PAYLOAD_STATS, &rep, ret_buf, ret_len);
}

int lmc_api_reply_list(uint64_t id, const struct lmc_list_entry *e, size_t n, uint8_t **ret_buf,
		       size_t *ret_len)
{
	Lmctl__ListReply rep = LMCTL__LIST_REPLY__INIT;
	_cleanup_free_ Lmctl__ContainerEntry *ce = calloc(n ? n : 1, sizeof(*ce));
	_cleanup_free_ Lmctl__ContainerEntry **cep = calloc(n ? n : 1, sizeof(*cep));

	if (!ce || !cep)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		lmctl__container_entry__init(&ce[i]);
		ce[i].name = (char *)e[i].name;
		ce[i].depth = lmc_name_depth(e[i].name);
		ce[i].priority = e[i].priority;
		/* pid_t is int32_t on Linux: the array goes out as it is. */
		ce[i].n_pids = e[i].n_pids;
		ce[i].pids = (int32_t *)e[i].pids;
		ce[i].paused = e[i].paused;
		cep[i] = &ce[i];
	}
	rep.n_containers = n;
	rep.containers = cep;
	return lmc_api_reply_payload(id, LMCTL__RESPONSE__PAYLOAD_LIST, &rep, ret_buf, ret_len);
}

int lmc_api_reply_machine(uint64_t id, const struct lmc_machine_info *mi, uint8_t **ret_buf,
			  size_t *ret_len)
{
	Lmctl__MachineInfo rep = LMCTL__MACHINE_INFO__INIT;
	Lmctl__Hierarchy h[LMC_CTRL__MAX], *hp[LMC_CTRL__MAX];
	Lmctl__Unavailable u[LMC_CTRL__MAX], *up[LMC_CTRL__MAX];

	for (int c = 0; c < LMC_CTRL__MAX; c++) {
		if (!mi->paths[c][0])
			continue;
		lmctl__hierarchy__init(&h[rep.n_hierarchies]);
		h[rep.n_hierarchies].controller = (char *)lmc_ctrl_name(c);
		h[rep.n_hierarchies].path = (char *)mi->paths[c];
		hp[rep.n_hierarchies] = &h[rep.n_hierarchies];
		rep.n_hierarchies++;
	}
	rep.hierarchies = hp;
	for (int c = 0; c < LMC_CTRL__MAX; c++) {
		if (!mi->why[c][0])
			continue;
		lmctl__unavailable__init(&u[rep.n_unavailable]);
		u[rep.n_unavailable].controller = (char *)lmc_ctrl_name(c);
		u[rep.n_unavailable].reason = (char *)mi->why[c];
		up[rep.n_unavailable] = &u[rep.n_unavailable];
		rep.n_unavailable++;
	}
	rep.unavailable = up;
	rep.placement = (char *)mi->placement;
	rep.mode = (Lmctl__CgroupMode)mi->mode;
	rep.memory_bytes = mi->mem_total;
	rep.cpus = mi->ncpus;
	rep.pid_max = mi->pid_max;
	rep.reserve_memory = mi->reserve_mem;
	rep.reserve_cpu_m = mi->reserve_cpu_m;
	rep.capacity_memory = mi->capacity.memory.limit;
	rep.capacity_cpu_m = mi->capacity.cpu.limit_m;
	rep.capacity_pids = mi->capacity.pids.limit;
	rep.containers = mi->n_containers;
	return lmc_api_reply_payload(id, LMCTL__RESPONSE__PAYLOAD_MACHINE, &rep, ret_buf, ret_len);
}

int lmc_api_reply_version(uint64_t id, uint8_t **ret_buf, size_t *ret_len)
{
	Lmctl__VersionReply rep = LMCTL__VERSION_REPLY__INIT;

	rep.version = (char *)LMC_API_VERSION_STRING;
	rep.api_version = LMC_API_VERSION;
	return lmc_api_reply_payload(id, LMCTL__RESPONSE__PAYLOAD_VERSION, &rep, ret_buf, ret_len);
}

/* The one map between the event kinds (core/events.h, from the kernel source up) and the
 * wire's EventKind: the same numbers, so a cast, checked here kind by kind when built (a
 * kind the wire has and core has not is caught by tests/unit/test_evkind.c). */
#define SAME_KIND(k) \
	_Static_assert((int)LMC_EVK_##k == (int)LMCTL__EVENT_KIND__EVENT_##k, "EventKind " #k)
SAME_KIND(OOM);
SAME_KIND(THRESHOLD);
SAME_KIND(EMPTY);
SAME_KIND(EXIT);
SAME_KIND(EVICTED);
SAME_KIND(RECLAIM);
SAME_KIND(STARTED);
SAME_KIND(CREATED);
SAME_KIND(UPDATED);
SAME_KIND(DESTROYED);
SAME_KIND(PAUSED);
SAME_KIND(RESUMED);
SAME_KIND(GAP);
_Static_assert(LMC_EVK_MAX == LMC_EVK_GAP, "a kind after GAP: add its SAME_KIND line");

Lmctl__EventKind lmc_api_kind_to_wire(enum lmc_events_kind k)
{
	return (Lmctl__EventKind)k;
}

int lmc_api_kind_from_wire(Lmctl__EventKind w, enum lmc_events_kind *ret)
{
	if ((int)w < (int)LMC_EVK_OOM || (int)w > (int)LMC_EVK_MAX)
		return -EBADMSG;
	*ret = (enum lmc_events_kind)w;
	return 0;
}

int lmc_api_reply_event(uint64_t id, const struct lmc_evrec *ev, uint8_t **ret_buf, size_t *ret_len)
{
	Lmctl__Event rep = LMCTL__EVENT__INIT;

	rep.container = (char *)ev->name;
	rep.kind = lmc_api_kind_to_wire(ev->kind);
	rep.value = ev->value;
	rep.pid = ev->pid;
	rep.status = ev->wstatus;
	rep.timestamp_ns = ev->timestamp_ns;
	rep.detail = (char *)ev->detail;
	rep.seq = ev->seq;
	rep.direction = ev->direction;
	rep.threshold = ev->threshold;
	rep.task_id = (char *)ev->task_id;
	return lmc_api_reply_payload(id, LMCTL__RESPONSE__PAYLOAD_EVENT, &rep, ret_buf, ret_len);
}

/* ---- runs and tasks ---- */

int lmc_api_reply_task(uint64_t id, const struct lmc_task *t, uint8_t **ret_buf, size_t *ret_len)
{
	Lmctl__Task m;

	lmc_record_task_to_pb(t, &m);
	return lmc_api_reply_payload(id, LMCTL__RESPONSE__PAYLOAD_TASK, &m, ret_buf, ret_len);
}

int lmc_api_reply_tasks(uint64_t id, const struct lmc_task *l, size_t n, uint8_t **ret_buf,
			size_t *ret_len)
{
	Lmctl__TaskListReply rep = LMCTL__TASK_LIST_REPLY__INIT;
	_cleanup_free_ Lmctl__Task *m = calloc(n ? n : 1, sizeof(*m));
	_cleanup_free_ Lmctl__Task **mp = calloc(n ? n : 1, sizeof(*mp));

	if (!m || !mp)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		lmc_record_task_to_pb(&l[i], &m[i]);
		mp[i] = &m[i];
	}
	rep.n_tasks = n;
	rep.tasks = mp;
	return lmc_api_reply_payload(id, LMCTL__RESPONSE__PAYLOAD_TASKS, &rep, ret_buf, ret_len);
}

int lmc_api_reply_run_task(uint64_t id, const struct lmc_task *t, bool existed, uint8_t **ret_buf,
			   size_t *ret_len)
{
	Lmctl__RunReply rep = LMCTL__RUN_REPLY__INIT;
	Lmctl__Task m;

	rep.pid = t->pid;
	rep.task_id = (char *)t->id;
	rep.exit_code = -1;
	rep.existed = existed;
	if (existed) {
		lmc_record_task_to_pb(t, &m);
		rep.task = &m;
		rep.exited = t->state != LMC_TASK_RUNNING;
		rep.exit_code = t->state == LMC_TASK_EXITED ? t->exit_code : -1;
		rep.signal = t->signal;
	}
	return lmc_api_reply_payload(id, LMCTL__RESPONSE__PAYLOAD_RUN, &rep, ret_buf, ret_len);
}

int lmc_api_reply_exit_task(uint64_t id, pid_t pid, int wstatus, const char *task_id,
			    uint8_t **ret_buf, size_t *ret_len)
{
	Lmctl__RunReply rep = LMCTL__RUN_REPLY__INIT;

	rep.pid = pid;
	rep.exited = true;
	rep.exit_code = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : -1;
	rep.signal = WIFSIGNALED(wstatus) ? WTERMSIG(wstatus) : 0;
	rep.task_id = (char *)(task_id ? task_id : "");
	return lmc_api_reply_payload(id, LMCTL__RESPONSE__PAYLOAD_RUN, &rep, ret_buf, ret_len);
}
