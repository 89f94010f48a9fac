/* The client's half of the admin API: encode a Request from core structs, decode a Response
 * back into them (what tools/cli/backend-agent.c needs). */
#include <stdio.h>
#include <string.h>

#include "base/util.h"
#include "proto/api-internal.h"

/* One sub-message per operation; only the one named by op is used. */
union req_body {
	Lmctl__CreateRequest create;
	Lmctl__UpdateRequest update;
	Lmctl__DestroyRequest destroy;
	Lmctl__ListRequest list;
	Lmctl__SpecRequest spec;
	Lmctl__StatsRequest stats;
	Lmctl__RunRequest run;
	Lmctl__EnterRequest enter;
	Lmctl__KillRequest kill;
	Lmctl__PauseRequest pause;
	Lmctl__ResumeRequest resume;
	Lmctl__InitRequest init;
	Lmctl__VersionRequest version;
	Lmctl__CapabilitiesRequest caps;
	Lmctl__SubscribeRequest subscribe;
};

static size_t strv_len(const char *const *v)
{
	size_t n = 0;

	while (v && v[n])
		n++;
	return n;
}

static void enc_run(const struct lmc_api_req *r, char *name, Lmctl__Request *rq, union req_body *u)
{
	const struct lmc_run_opts *o = r->run;

	lmctl__run_request__init(&u->run);
	u->run.name = name;
	u->run.n_argv = strv_len(o->argv);
	u->run.argv = (char **)o->argv;
	u->run.n_env = strv_len(o->env);
	u->run.env = (char **)o->env;
	u->run.cwd = (char *)(o->cwd ? o->cwd : "");
	if (o->set_ids) {
		u->run._uid_case = LMCTL__RUN_REQUEST___UID_UID;
		u->run.uid = o->uid;
		if (!o->gid_from_user) {
			u->run._gid_case = LMCTL__RUN_REQUEST___GID_GID;
			u->run.gid = o->gid;
		}
	}
	u->run.detach = o->detach;
	u->run.n_fds = r->n_fds;
	u->run.task_id = (char *)(o->task_id ? o->task_id : "");
	u->run.log = o->log;
	rq->op_case = LMCTL__REQUEST__OP_RUN;
	rq->run = &u->run;
}

static void enc_subscribe(const struct lmc_api_req *r, char *name, Lmctl__Request *rq,
			  union req_body *u)
{
	lmctl__subscribe_request__init(&u->subscribe);
	u->subscribe.name = name;
	u->subscribe.recursive = r->sub.recursive;
	u->subscribe.oom = r->sub.oom;
	u->subscribe.empty = r->sub.empty;
	u->subscribe.exit = r->sub.exit;
	u->subscribe.evicted = r->sub.evicted;
	u->subscribe.lifecycle = r->sub.lifecycle;
	u->subscribe.started = r->sub.started;
	if (r->sub.resume) {
		u->subscribe._since_case = LMCTL__SUBSCRIBE_REQUEST___SINCE_SINCE;
		u->subscribe.since = r->sub.since;
	}
	if (r->sub.threshold != LMC_UNSET) {
		u->subscribe._memory_threshold_case =
			LMCTL__SUBSCRIBE_REQUEST___MEMORY_THRESHOLD_MEMORY_THRESHOLD;
		u->subscribe.memory_threshold = r->sub.threshold;
	}
	rq->op_case = LMCTL__REQUEST__OP_SUBSCRIBE;
	rq->subscribe = &u->subscribe;
}

static void enc_init(const struct lmc_api_req *r, Lmctl__Request *rq, union req_body *u)
{
	lmctl__init_request__init(&u->init);
	if (r->op == LMC_API_OP_INIT && r->reserve_mem != LMC_UNSET) {
		u->init._reserve_memory_case = LMCTL__INIT_REQUEST___RESERVE_MEMORY_RESERVE_MEMORY;
		u->init.reserve_memory = r->reserve_mem;
	}
	if (r->op == LMC_API_OP_INIT && r->reserve_cpu_m != LMC_UNSET) {
		u->init._reserve_cpu_m_case = LMCTL__INIT_REQUEST___RESERVE_CPU_M_RESERVE_CPU_M;
		u->init.reserve_cpu_m = r->reserve_cpu_m;
	}
	rq->op_case = LMCTL__REQUEST__OP_INIT;
	rq->init = &u->init;
}

/* The operations that carry a name and flags only. */
static int enc_simple(const struct lmc_api_req *r, char *name, Lmctl__Request *rq,
		      union req_body *u)
{
#define SIMPLE(op, field, initfn, CASE) \
	case op:                        \
		initfn(&u->field);      \
		u->field.name = name;   \
		rq->op_case = CASE;     \
		rq->field = &u->field;  \
		break
	switch (r->op) {
		SIMPLE(LMC_API_OP_DESTROY, destroy, lmctl__destroy_request__init,
		       LMCTL__REQUEST__OP_DESTROY);
		SIMPLE(LMC_API_OP_LIST, list, lmctl__list_request__init, LMCTL__REQUEST__OP_LIST);
		SIMPLE(LMC_API_OP_SPEC, spec, lmctl__spec_request__init, LMCTL__REQUEST__OP_SPEC);
		SIMPLE(LMC_API_OP_STATS, stats, lmctl__stats_request__init,
		       LMCTL__REQUEST__OP_STATS);
		SIMPLE(LMC_API_OP_ENTER, enter, lmctl__enter_request__init,
		       LMCTL__REQUEST__OP_ENTER);
		SIMPLE(LMC_API_OP_KILL, kill, lmctl__kill_request__init, LMCTL__REQUEST__OP_KILL);
		SIMPLE(LMC_API_OP_PAUSE, pause, lmctl__pause_request__init,
		       LMCTL__REQUEST__OP_PAUSE);
		SIMPLE(LMC_API_OP_RESUME, resume, lmctl__resume_request__init,
		       LMCTL__REQUEST__OP_RESUME);
	default:
		return -EINVAL;
	}
#undef SIMPLE
	switch (r->op) {
	case LMC_API_OP_DESTROY:
		u->destroy.recursive = r->recursive;
		u->destroy.force = r->force;
		break;
	case LMC_API_OP_LIST:
		u->list.recursive = r->recursive;
		u->list.pids = r->want_pids;
		break;
	case LMC_API_OP_STATS:
		u->stats.recursive = r->recursive;
		u->stats.fields = r->stats_fields & LMC_STATF_ALL;
		break;
	case LMC_API_OP_ENTER:
		u->enter.n_pids = r->n_pids;
		u->enter.pids = (int32_t *)r->pids;
		break;
	case LMC_API_OP_KILL:
		u->kill.signal = r->sig;
		u->kill.recursive = r->recursive;
		u->kill.foreground = r->foreground;
		break;
	default:
		break;
	}
	return 0;
}

/* A create or an update: the spec, and an update's limits set to LMC_CLEAR ("max" on the
 * command line) as clear paths. spec and clear hold what rq points to until it is packed. */
static int enc_spec(const struct lmc_api_req *r, char *name, Lmctl__Request *rq, union req_body *u,
		    struct lmc_pb_spec *spec, const char **clear, size_t n_clear)
{
	int ret = r->spec ? lmc_record_spec_to_pb(r->spec, spec) : 0;

	if (ret < 0)
		return ret;
	if (r->op == LMC_API_OP_CREATE) {
		lmctl__create_request__init(&u->create);
		u->create.name = name;
		u->create.spec = r->spec ? &spec->spec : NULL;
		rq->op_case = LMCTL__REQUEST__OP_CREATE;
		rq->create = &u->create;
		return 0;
	}
	lmctl__update_request__init(&u->update);
	u->update.name = name;
	u->update.spec = r->spec ? &spec->spec : NULL;
	u->update.force = r->force;
	u->update.clear = (char **)clear;
	u->update.n_clear = r->spec ? lmc_codec_spec_cleared(r->spec, clear, n_clear) : 0;
	rq->op_case = LMCTL__REQUEST__OP_UPDATE;
	rq->update = &u->update;
	return 0;
}

int lmc_api_req_encode(const struct lmc_api_req *r, uint8_t **ret_buf, size_t *ret_len)
{
	Lmctl__Request rq = LMCTL__REQUEST__INIT;
	union req_body u;
	struct lmc_pb_spec spec;
	const char *clear[LMC_CODEC_CLEARABLE_MAX];
	char *name = (char *)(r->name ? r->name : "");
	int ret;

	rq.id = r->id;
	switch (r->op) {
	case LMC_API_OP_CREATE:
	case LMC_API_OP_UPDATE:
		ret = enc_spec(r, name, &rq, &u, &spec, clear, ARRAY_SIZE(clear));
		if (ret < 0)
			return ret;
		break;
	case LMC_API_OP_RUN:
		if (!r->run)
			return -EINVAL;
		enc_run(r, name, &rq, &u);
		break;
	case LMC_API_OP_INFO:
	case LMC_API_OP_INIT:
		enc_init(r, &rq, &u);
		break;
	case LMC_API_OP_VERSION:
		lmctl__version_request__init(&u.version);
		rq.op_case = LMCTL__REQUEST__OP_VERSION;
		rq.version = &u.version;
		break;
	case LMC_API_OP_SUBSCRIBE:
		enc_subscribe(r, name, &rq, &u);
		break;
	case LMC_API_OP_CAPABILITIES:
		lmctl__capabilities_request__init(&u.caps);
		rq.op_case = LMCTL__REQUEST__OP_CAPABILITIES;
		rq.capabilities = &u.caps;
		break;
	default:
		ret = enc_simple(r, name, &rq, &u);
		if (ret < 0)
			return ret;
	}
	return lmc_record_pack(&rq.base, ret_buf, ret_len);
}

/* ---- responses ---- */

static int dec_spec(const Lmctl__SpecReply *rep, struct lmc_api_resp *ret)
{
	struct lmc_spec eff;

	if (lmc_record_spec_from_pb(rep->asked, &ret->spec) < 0 ||
	    lmc_record_spec_from_pb(rep->effective, &eff) < 0)
		return -EBADMSG;
	ret->eff.mem_limit.value = eff.memory.limit;
	ret->eff.mem_reservation.value = eff.memory.reservation;
	ret->eff.mem_high.value = eff.memory.high;
	ret->eff.mem_swap.value = eff.memory.swap;
	ret->eff.cpu_limit_m.value = eff.cpu.limit_m;
	ret->eff.cpu_reservation_m.value = eff.cpu.reservation_m;
	ret->eff.pids_limit.value = eff.pids.limit;
	ret->eff.max_containers.value = eff.max_containers;
	ret->eff.cpu_shares = rep->cpu_shares ? rep->cpu_shares : LMC_UNSET;
	ret->eff.priority = eff.memory.eviction_priority;
	for (size_t i = 0; i < rep->n_sources; i++)
		for (size_t f = 0; f < LMC_API_EFF_N; f++) {
			if (strcmp(rep->sources[i]->field, lmc_api_eff_fields[f]) != 0)
				continue;
			if (lmc_util_copy_str(ret->eff_from[f], sizeof(ret->eff_from[f]),
					      rep->sources[i]->container) < 0)
				return -EBADMSG;
			lmc_api_eff_at(&ret->eff, f)->from = ret->eff_from[f];
		}
	return 0;
}

/* The containers read, then those skipped (gone = true, no figures). */
static int dec_stats(const Lmctl__StatsReply *rep, struct lmc_api_resp *ret)
{
	size_t n = rep->n_containers + rep->n_skipped;

	ret->stats = calloc(n ? n : 1, sizeof(*ret->stats));
	if (!ret->stats)
		return -ENOMEM;
	for (size_t i = 0; i < rep->n_containers; i++) {
		struct lmc_stats_entry *x = &ret->stats[i];

		if (lmc_util_copy_str(x->name, sizeof(x->name), rep->containers[i]->name) < 0 ||
		    lmc_codec_stats_from_pb(rep->containers[i]->stats, &x->stats) < 0)
			return -EBADMSG;
		x->priority = rep->containers[i]->priority;
		x->read_realtime_ns = rep->containers[i]->read_realtime_ns;
		x->read_monotonic_ns = rep->containers[i]->read_monotonic_ns;
		ret->n = i + 1;
	}
	for (size_t i = 0; i < rep->n_skipped; i++) {
		struct lmc_stats_entry *x = &ret->stats[ret->n];

		if (lmc_util_copy_str(x->name, sizeof(x->name), rep->skipped[i]) < 0)
			return -EBADMSG;
		lmc_stats_init(&x->stats);
		x->gone = true;
		ret->n++;
	}
	return 0;
}

static int dec_list(const Lmctl__ListReply *rep, struct lmc_api_resp *ret)
{
	ret->list = calloc(rep->n_containers ? rep->n_containers : 1, sizeof(*ret->list));
	if (!ret->list)
		return -ENOMEM;
	for (size_t i = 0; i < rep->n_containers; i++) {
		const Lmctl__ContainerEntry *ce = rep->containers[i];
		struct lmc_list_entry *e = &ret->list[i];

		ret->n = i + 1;
		if (lmc_util_copy_str(e->name, sizeof(e->name), ce->name) < 0)
			return -EBADMSG;
		e->depth = (int)ce->depth;
		e->paused = ce->paused;
		e->priority = ce->priority;
		if (!ce->n_pids)
			continue;
		e->pids = malloc(ce->n_pids * sizeof(pid_t));
		if (!e->pids)
			return -ENOMEM;
		memcpy(e->pids, ce->pids, ce->n_pids * sizeof(pid_t));
		e->n_pids = ce->n_pids;
	}
	return 0;
}

static int dec_machine(const Lmctl__MachineInfo *rep, struct lmc_machine_info *mi)
{
	if ((unsigned)rep->mode > LMC_CG_V2)
		return -EBADMSG;
	mi->mode = (enum lmc_cg_mode)rep->mode;
	for (size_t i = 0; i < rep->n_hierarchies; i++)
		for (int c = 0; c < LMC_CTRL__MAX; c++)
			if (strcmp(rep->hierarchies[i]->controller, lmc_ctrl_name(c)) == 0 &&
			    lmc_util_copy_str(mi->paths[c], sizeof(mi->paths[c]),
					      rep->hierarchies[i]->path) < 0)
				return -EBADMSG;
	for (size_t i = 0; i < rep->n_unavailable; i++)
		for (int c = 0; c < LMC_CTRL__MAX; c++)
			if (strcmp(rep->unavailable[i]->controller, lmc_ctrl_name(c)) == 0 &&
			    lmc_util_copy_str(mi->why[c], sizeof(mi->why[c]),
					      rep->unavailable[i]->reason) < 0)
				return -EBADMSG;
	if (lmc_util_copy_str(mi->placement, sizeof(mi->placement), rep->placement) < 0)
		return -EBADMSG;
	mi->mem_total = rep->memory_bytes;
	mi->ncpus = rep->cpus;
	mi->pid_max = rep->pid_max;
	mi->reserve_mem = rep->reserve_memory;
	mi->reserve_cpu_m = rep->reserve_cpu_m;
	lmc_spec_init(&mi->capacity);
	mi->capacity.memory.limit = rep->capacity_memory;
	mi->capacity.cpu.limit_m = rep->capacity_cpu_m;
	mi->capacity.pids.limit = rep->capacity_pids;
	mi->n_containers = rep->containers;
	return 0;
}

static int dec_event(const Lmctl__Event *rep, struct lmc_evrec *ev)
{
	if (lmc_api_kind_from_wire(rep->kind, &ev->kind) < 0)
		return -EBADMSG;
	ev->seq = rep->seq;
	ev->direction = rep->direction;
	ev->threshold = rep->threshold;
	ev->value = rep->value;
	ev->pid = rep->pid;
	ev->wstatus = rep->status;
	ev->timestamp_ns = rep->timestamp_ns;
	if (rep->detail && lmc_util_copy_str(ev->detail, sizeof(ev->detail), rep->detail) < 0)
		return -EBADMSG;
	if (rep->task_id && lmc_util_copy_str(ev->task_id, sizeof(ev->task_id), rep->task_id) < 0)
		return -EBADMSG;
	return lmc_util_copy_str(ev->name, sizeof(ev->name), rep->container);
}

static void join(char *buf, size_t size, char **items, size_t n)
{
	size_t o = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < n && o < size; i++)
		o += (size_t)snprintf(buf + o, size - o, "%s%s", i ? " " : "", items[i]);
}

static int dec_caps(const Lmctl__CapabilitiesReply *c, struct lmc_api_caps *ret)
{
	ret->api_version = c->api_version;
	ret->mode = (int)c->mode;
	ret->event_history = c->event_history;
	ret->event_seq = c->event_seq;
	join(ret->controllers, sizeof(ret->controllers), c->controllers, c->n_controllers);
	join(ret->features, sizeof(ret->features), c->features, c->n_features);
	return lmc_util_copy_str(ret->agent_version, sizeof(ret->agent_version), c->agent_version);
}

static int dec_payload(const Lmctl__Response *m, struct lmc_api_resp *ret)
{
	switch (m->payload_case) {
	case LMCTL__RESPONSE__PAYLOAD__NOT_SET:
		return 0;
	case LMCTL__RESPONSE__PAYLOAD_SPEC:
		ret->payload = LMC_API_PAY_SPEC;
		return dec_spec(m->spec, ret);
	case LMCTL__RESPONSE__PAYLOAD_STATS:
		ret->payload = LMC_API_PAY_STATS;
		return dec_stats(m->stats, ret);
	case LMCTL__RESPONSE__PAYLOAD_LIST:
		ret->payload = LMC_API_PAY_LIST;
		return dec_list(m->list, ret);
	case LMCTL__RESPONSE__PAYLOAD_RUN:
		ret->payload = LMC_API_PAY_RUN;
		ret->pid = m->run->pid;
		ret->exited = m->run->exited;
		ret->status_code = m->run->signal ? 128 + m->run->signal : m->run->exit_code;
		ret->existed = m->run->existed;
		return lmc_util_copy_str(ret->task_id, sizeof(ret->task_id), m->run->task_id);
	case LMCTL__RESPONSE__PAYLOAD_MACHINE:
		ret->payload = LMC_API_PAY_MACHINE;
		return dec_machine(m->machine, &ret->info);
	case LMCTL__RESPONSE__PAYLOAD_VERSION:
		ret->payload = LMC_API_PAY_VERSION;
		return lmc_util_copy_str(ret->version, sizeof(ret->version), m->version->version);
	case LMCTL__RESPONSE__PAYLOAD_EVENT:
		ret->payload = LMC_API_PAY_EVENT;
		return dec_event(m->event, &ret->event);
	case LMCTL__RESPONSE__PAYLOAD_CAPABILITIES:
		ret->payload = LMC_API_PAY_CAPABILITIES;
		return dec_caps(m->capabilities, &ret->caps);
	case LMCTL__RESPONSE__PAYLOAD_CREATE:
		ret->payload = LMC_API_PAY_CREATE;
		ret->existed = m->create->existed;
		return 0;
	default:
		return lmc_api_task_dec(m, ret);
	}
}

static void response_free_unpacked(Lmctl__Response **m)
{
	if (*m)
		lmctl__response__free_unpacked(*m, NULL);
}

static void dec_err(const Lmctl__Response *m, struct lmc_api_resp *ret)
{
	const Lmctl__ErrorDetail *d = m->detail;
	struct lmc_err *e = &ret->err;

	if (!ret->status)
		return;
	lmc_err_set(e, ret->status, "%s", ret->msg[0] ? ret->msg : strerror(-ret->status));
	e->kind = (unsigned)m->code <= LMC_EC_MAX ? (enum lmc_errc)m->code : LMC_EC_INTERNAL;
	if (!d)
		return;
	lmc_err_facts(e, e->kind, d->container, d->resource,
		      d->_asked_case ? d->asked : LMC_ERR_NOVAL,
		      d->_bound_case ? d->bound : LMC_ERR_NOVAL, d->bounded_by);
}

int lmc_api_resp_decode(const uint8_t *buf, size_t len, struct lmc_api_resp *ret)
{
	_cleanup_(response_free_unpacked) Lmctl__Response *m = NULL;
	int r;

	memset(ret, 0, sizeof(*ret));
	lmc_spec_init(&ret->spec);
	m = lmctl__response__unpack(NULL, len, buf);
	if (!m)
		return -EBADMSG;
	ret->id = m->id;
	ret->status = m->status > 0 ? -EIO : m->status;
	snprintf(ret->msg, sizeof(ret->msg), "%s", m->error);
	dec_err(m, ret);
	r = dec_payload(m, ret);
	if (r < 0)
		lmc_api_resp_done(ret);
	return r;
}

void lmc_api_resp_done(struct lmc_api_resp *r)
{
	if (!r)
		return;
	free(r->stats);
	r->stats = NULL;
	lmc_list_free(r->list, r->n);
	r->list = NULL;
	r->n = 0;
	lmc_tasks_list_free(r->tasks, r->n_tasks);
	r->tasks = NULL;
	r->n_tasks = 0;
	free(r->log);
	r->log = NULL;
}
