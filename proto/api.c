/* The agent's request dispatch: decode a Request, ask proto/auth.c whether the peer may do
 * it, call core/manager, encode the Response. Every input is hostile: nothing reaches the
 * manager before it is decoded, validated and authorized. */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "proto/api-internal.h"
#include "proto/auth.h"
#include "nsutil/ns.h"

#define RUN_ARGV_MAX 4096 /* arguments or environment entries */

struct call {
	struct lmc_manager *m; /* NULL: dry run without a manager */
	const struct lmc_api_peer *peer;
	struct lmc_auth auth; /* the peer as proto/auth.c judges it */
	unsigned flags;
	int *fds;
	size_t n_fds;
	struct lmc_api_result *res;
	struct lmc_err err;
};

static bool dry(const struct call *c)
{
	return c->flags & LMC_API_DRY_RUN;
}

static int target(struct call *c, const char *uname, bool allow_root, bool creating, char *ret)
{
	return lmc_auth_target(&c->auth, uname, allow_root, creating, ret, &c->err);
}

static int spec_in(struct call *c, const char *name, const Lmctl__Spec *pb, struct lmc_spec *ret)
{
	if (lmc_record_spec_from_pb_err(pb, ret, lmc_name_display(name), &c->err) < 0)
		return -EINVAL;
	return lmc_auth_owner(&c->auth, name, ret, &c->err);
}

static int op_create(struct call *c, const Lmctl__CreateRequest *rq)
{
	char name[LMC_NAME_MAX + 1];
	struct lmc_spec spec;
	int r;

	r = target(c, rq->name, false, true, name);
	if (r >= 0)
		r = spec_in(c, name, rq->spec, &spec);
	if (r >= 0)
		r = lmc_auth_idmaps(&c->auth, name, &spec, &c->err);
	/* The manager validates the spec (once); without it, here. */
	if (r >= 0 && (!c->m || dry(c)))
		r = lmc_spec_validate(name, &spec, &c->err);
	if (r < 0 || !c->m || dry(c))
		return r;
	if (c->flags & LMC_API_DEFER_SPAWN)
		r = lmc_mgr_create_start(c->m, name, &spec, &c->res->creating, &c->err);
	else
		r = lmc_mgr_create(c->m, name, &spec, &c->err);
	if (r >= 0 && c->res->creating) {
		c->res->action = LMC_API_CREATE_START;
		memcpy(c->res->name, name, sizeof(name));
		return 0;
	}
	if (r == -EEXIST) /* a retry succeeds; another spec is its own refusal */
		return lmc_api_create_existing(c->m, c->res->id, name, &spec, &c->res->reply,
					       &c->res->reply_len, &c->err);
	if (r >= 0) {
		c->res->created = true;
		c->res->lifecycle = LMC_EVK_CREATED;
		memcpy(c->res->name, name, sizeof(name));
	}
	return r;
}

static int op_update(struct call *c, const Lmctl__UpdateRequest *rq)
{
	char name[LMC_NAME_MAX + 1];
	struct lmc_spec upd;
	int r;

	r = lmc_auth_target_below(&c->auth, rq->name, name, &c->err);
	if (r >= 0)
		r = spec_in(c, name, rq->spec, &upd);
	for (size_t i = 0; r >= 0 && i < rq->n_clear; i++)
		r = lmc_codec_spec_clear(&upd, rq->clear[i], lmc_name_display(name), &c->err);
	if (r < 0 || !c->m || dry(c))
		return r;
	r = lmc_mgr_update(c->m, name, &upd, rq->force, &c->err);
	if (r >= 0) {
		c->res->lifecycle = LMC_EVK_UPDATED;
		memcpy(c->res->name, name, sizeof(name));
	}
	return r;
}

/* What a destroy will remove, children first, for its DESTROYED events. */
static int destroy_plan(struct call *c, const char *name, bool recursive)
{
	struct lmc_list_entry *l = NULL;
	size_t n = 0;
	int r = 0;

	if (recursive)
		r = lmc_mgr_list(c->m, name, true, false, &l, &n, NULL);
	if (r < 0 || !n)
		n = 1;
	c->res->gone = calloc(n, sizeof(*c->res->gone));
	if (!c->res->gone) {
		lmc_list_free(l, l ? n : 0);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++) /* pre-order reversed: children first */
		snprintf(c->res->gone[i], sizeof(c->res->gone[i]), "%s",
			 l ? l[n - 1 - i].name : name);
	c->res->n_gone = n;
	lmc_list_free(l, l ? n : 0);
	return 0;
}

static int op_destroy(struct call *c, const Lmctl__DestroyRequest *rq)
{
	char name[LMC_NAME_MAX + 1];
	int r;

	r = lmc_auth_target_below(&c->auth, rq->name, name, &c->err);
	if (r < 0 || !c->m || dry(c))
		return r;
	if (c->flags & LMC_API_DEFER_WAITS) {
		/* the kill and rmdirs by the caller (lmc_mgr_destroy_work), then _finish */
		r = lmc_mgr_destroy_start(c->m, name, rq->recursive, rq->force, &c->res->gone,
					  &c->res->n_gone, &c->err);
		if (r >= 0)
			c->res->action = LMC_API_DESTROY_WAIT;
		return r;
	}
	if (rq->force && !rq->recursive) {
		r = lmc_mgr_kill(c->m, name, SIGKILL, false, &c->err);
		if (r < 0)
			return r;
	}
	r = destroy_plan(c, name, rq->recursive);
	if (r < 0)
		return r;
	r = lmc_mgr_destroy(c->m, name, rq->recursive, &c->err);
	if (r >= 0)
		c->res->lifecycle = LMC_EVK_DESTROYED;
	return r;
}

static int op_list(struct call *c, const Lmctl__ListRequest *rq)
{
	char name[LMC_NAME_MAX + 1];
	struct lmc_list_entry *l = NULL;
	size_t n = 0;
	int r;

	r = target(c, rq->name, true, false, name);
	if (r < 0 || !c->m)
		return r;
	r = lmc_mgr_list(c->m, name, rq->recursive, rq->pids, &l, &n, &c->err);
	if (r < 0)
		return r;
	r = lmc_api_reply_list(c->res->id, l, n, &c->res->reply, &c->res->reply_len);
	lmc_list_free(l, n);
	return r;
}

static int op_spec(struct call *c, const Lmctl__SpecRequest *rq)
{
	char name[LMC_NAME_MAX + 1];
	struct lmc_spec spec;
	struct lmc_effective eff;
	int r;

	r = target(c, rq->name, true, false, name);
	if (r < 0 || !c->m)
		return r;
	r = lmc_mgr_spec(c->m, name, &spec, &eff, &c->err);
	if (r < 0)
		return r;
	return lmc_api_reply_spec(c->res->id, name, &spec, &eff, &c->res->reply,
				  &c->res->reply_len);
}

static int op_stats(struct call *c, const Lmctl__StatsRequest *rq)
{
	char name[LMC_NAME_MAX + 1];
	struct lmc_stats_entry *e = NULL;
	size_t n = 0;
	int r;

	r = target(c, rq->name, true, false, name);
	if (r < 0 || !c->m)
		return r;
	if (c->flags & LMC_API_DEFER_STATS) {
		/* The tree is read here, cgroupfs by the caller, off its event loop. */
		r = lmc_mgr_stats_plan(c->m, name, rq->recursive, &e, &n, &c->err);
		if (r < 0)
			return r;
		c->res->action = LMC_API_STATS;
		c->res->stats = e;
		c->res->n_stats = n;
		c->res->stats_fields = rq->fields & LMC_STATF_ALL;
		return 0;
	}
	r = lmc_mgr_stats_fields(c->m, name, rq->recursive, rq->fields & LMC_STATF_ALL, &e, &n,
				 &c->err);
	if (r < 0)
		return r;
	r = lmc_api_reply_stats(c->res->id, e, n, &c->res->reply, &c->res->reply_len);
	free(e);
	return r;
}

static int op_enter(struct call *c, const Lmctl__EnterRequest *rq)
{
	char name[LMC_NAME_MAX + 1];
	int r;

	r = target(c, rq->name, false, false, name);
	if (r >= 0 && rq->n_pids == 0)
		r = lmc_err_set(&c->err, -EINVAL, "%s: enter: no pids given", name);
	if (r >= 0)
		r = lmc_auth_enter(&c->auth, rq->pids, rq->n_pids, &c->err);
	if (r < 0 || !c->m || dry(c))
		return r;
	return lmc_mgr_enter_checked(c->m, name, (const pid_t *)rq->pids, rq->n_pids,
				     lmc_auth_mover, &c->auth, &c->err);
}

static int op_kill(struct call *c, const Lmctl__KillRequest *rq)
{
	char name[LMC_NAME_MAX + 1];
	int sig = rq->signal ? rq->signal : SIGKILL;
	int r;

	if (rq->foreground) {
		/* The agent knows which process the connection's run started. */
		if (sig < 1 || sig > SIGRTMAX)
			return lmc_err_set(&c->err, -EINVAL, "kill: invalid signal %d", sig);
		c->res->action = LMC_API_SIGNAL_RUN;
		c->res->sig = sig;
		return 0;
	}
	r = target(c, rq->name, false, false, name);
	if (r >= 0 && (sig < 1 || sig > SIGRTMAX))
		r = lmc_err_set(&c->err, -EINVAL, "%s: kill: invalid signal %d", name, sig);
	if (r < 0 || !c->m || dry(c))
		return r;
	if (c->flags & LMC_API_DEFER_WAITS) {
		r = lmc_mgr_kill_start(c->m, name, sig, rq->recursive, c->res->name, &c->err);
		if (r > 0)
			c->res->action = LMC_API_KILL_WAIT;
		return r < 0 ? r : 0;
	}
	return lmc_mgr_kill(c->m, name, sig, rq->recursive, &c->err);
}

static int op_freeze(struct call *c, const char *uname, bool freeze)
{
	char name[LMC_NAME_MAX + 1];
	int r;

	r = target(c, uname, false, false, name);
	if (r < 0 || !c->m || dry(c))
		return r;
	if (freeze && (c->flags & LMC_API_DEFER_WAITS)) {
		r = lmc_mgr_pause_start(c->m, name, c->res->name, &c->err);
		if (r >= 0)
			c->res->action = LMC_API_FREEZE_WAIT;
		return r;
	}
	r = freeze ? lmc_mgr_pause(c->m, name, &c->err) : lmc_mgr_resume(c->m, name, &c->err);
	if (r >= 0) {
		c->res->lifecycle = freeze ? LMC_EVK_PAUSED : LMC_EVK_RESUMED;
		memcpy(c->res->name, name, sizeof(name));
	}
	return r;
}

static int op_init(struct call *c, const Lmctl__InitRequest *rq)
{
	struct lmc_machine_info mi;
	bool set = rq->_reserve_memory_case || rq->_reserve_cpu_m_case;
	int r;

	if (set && lmc_auth_reserve(&c->auth, &c->err) < 0)
		return -EPERM;
	if (!c->m)
		return 0;
	if (set && !dry(c)) {
		r = lmc_mgr_init(c->m, rq->_reserve_memory_case ? rq->reserve_memory : LMC_UNSET,
				 rq->_reserve_cpu_m_case ? rq->reserve_cpu_m : LMC_UNSET, &c->err);
		if (r < 0)
			return r;
	}
	r = lmc_mgr_info(c->m, &mi);
	if (r < 0)
		return lmc_err_set(&c->err, r, "cannot read the machine's facts: %s", strerror(-r));
	return lmc_api_reply_machine(c->res->id, &mi, &c->res->reply, &c->res->reply_len);
}

static int op_subscribe(struct call *c, const Lmctl__SubscribeRequest *rq)
{
	struct lmc_api_sub *s = &c->res->sub;
	int r;

	r = target(c, rq->name, true, false, c->res->name);
	if (r < 0)
		return r;
	s->recursive = rq->recursive;
	s->oom = rq->oom;
	s->empty = rq->empty;
	s->exit = rq->exit;
	s->evicted = rq->evicted;
	s->lifecycle = rq->lifecycle;
	s->started = rq->started;
	s->threshold = rq->_memory_threshold_case ? rq->memory_threshold : LMC_UNSET;
	s->resume = rq->_since_case;
	s->since = rq->since;
	if (!s->oom && !s->empty && !s->exit && !s->evicted && !s->lifecycle && !s->started &&
	    s->threshold == LMC_UNSET)
		return lmc_err_set(&c->err, -EINVAL, "%s: subscribe: no event kind asked for",
				   lmc_name_display(c->res->name));
	if (s->threshold == 0)
		return lmc_err_set(&c->err, -EINVAL, "%s: subscribe: memory threshold 0",
				   lmc_name_display(c->res->name));
	if (c->m) {
		r = lmc_mgr_spec(c->m, c->res->name, NULL, NULL, &c->err);
		if (r < 0)
			return r;
	}
	c->res->action = LMC_API_SUBSCRIBE;
	return 0;
}

/* Run: stdio is the n_fds descriptors that came with the frame, or /dev/null. */
static int run_stdio(struct call *c, const Lmctl__RunRequest *rq, int stdio[3], int *devnull)
{
	if ((rq->n_fds != 0 && rq->n_fds != 3) || rq->n_fds != c->n_fds)
		return lmc_err_set(&c->err, -EINVAL,
				   "run: %u descriptors announced, %zu received (0 or 3 expected)",
				   rq->n_fds, c->n_fds);
	if (c->n_fds == 3) {
		memcpy(stdio, c->fds, 3 * sizeof(int));
		return 0;
	}
	*devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (*devnull < 0)
		return lmc_err_set(&c->err, lmc_negerrno(), "run: /dev/null: %m");
	stdio[0] = stdio[1] = stdio[2] = *devnull;
	return 0;
}

/* The child is released; the caller reads its report when spawn->chan is readable. A task
 * id the container has already answers with that task and starts nothing. */
static int run_start(struct call *c, const struct lmc_run_opts *o)
{
	struct lmc_ns_spawn_wait *w = malloc(sizeof(*w));
	struct lmc_run_opts od = *o;
	struct lmc_task t = {.pidfd = -1};
	bool existed = false;
	int r;

	if (!w)
		return -ENOMEM;
	if (c->flags & LMC_API_DEFER_CLONE)
		od.defer = &c->res->vspawn; /* the clone on the agent's worker, where it can be */
	r = lmc_mgr_task_run_start(c->m, c->res->name, &od, c->peer->uid, &t, &existed, w, &c->err);
	if (r < 0 || existed) {
		free(w);
		if (r >= 0)
			r = lmc_api_reply_run_task(c->res->id, &t, true, &c->res->reply,
						   &c->res->reply_len);
		lmc_task_done(&t);
		return r;
	}
	snprintf(c->res->task_id, sizeof(c->res->task_id), "%s", t.id);
	lmc_task_done(&t);
	c->res->action = LMC_API_RUN_START;
	c->res->spawn = w;
	return 0;
}

/* Run as a task: a task id the container has already answers with that task and starts
 * nothing (a retried request); else the process starts and its task is named. */
static int run_task(struct call *c, const Lmctl__RunRequest *rq, const struct lmc_run_opts *o)
{
	struct lmc_api_result *res = c->res;
	struct lmc_task t = {.pidfd = -1};
	bool existed = false;
	int r;

	r = lmc_mgr_task_run(c->m, res->name, o, c->peer->uid, &t, &existed, &res->pidfd, &c->err);
	if (r < 0)
		return r;
	snprintf(res->task_id, sizeof(res->task_id), "%s", t.id);
	res->pid = t.pid;
	if (!existed) {
		res->action = LMC_API_RUN;
		res->detached = rq->detach;
	}
	if (existed || rq->detach)
		r = lmc_api_reply_run_task(res->id, &t, existed, &res->reply, &res->reply_len);
	lmc_task_done(&t);
	return r;
}

static int op_run(struct call *c, const Lmctl__RunRequest *rq)
{
	static const char *const default_env[] = {
		"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", NULL};
	struct lmc_run_opts o = {.detach = rq->detach};
	_cleanup_free_ const char **argv = NULL, **env = NULL;
	_cleanup_close_ int devnull = -EBADF;
	struct lmc_api_result *res = c->res;
	int r;

	r = target(c, rq->name, false, false, res->name);
	if (r >= 0 && (rq->n_argv == 0 || rq->n_argv > RUN_ARGV_MAX || !rq->argv[0][0]))
		r = lmc_err_set(&c->err, -EINVAL, "%s: run: no command given", res->name);
	if (r >= 0 && rq->n_env > RUN_ARGV_MAX)
		r = lmc_err_set(&c->err, -E2BIG, "%s: run: environment too large", res->name);
	if (r >= 0)
		r = lmc_auth_run_as(&c->auth, rq->_uid_case, rq->uid, rq->_gid_case, rq->gid, &o,
				    &c->err);
	if (r >= 0 && rq->log && (!rq->detach || rq->n_fds))
		r = lmc_err_set(&c->err, -EINVAL, "%s: run: a log is for detached runs without fds",
				res->name);
	if (r >= 0)
		r = run_stdio(c, rq, o.stdio, &devnull);
	if (r < 0 || !c->m || dry(c))
		return r;
	argv = calloc(rq->n_argv + 1, sizeof(*argv));
	env = calloc(rq->n_env + 1, sizeof(*env));
	if (!argv || !env)
		return -ENOMEM;
	memcpy(argv, rq->argv, rq->n_argv * sizeof(*argv));
	memcpy(env, rq->env, rq->n_env * sizeof(*env));
	o.argv = argv;
	o.env = rq->n_env ? env : default_env;
	o.cwd = rq->cwd[0] ? rq->cwd : "/";
	o.task_id = rq->task_id;
	o.log = rq->log;
	res->detached = rq->detach;
	if (!(c->flags & LMC_API_DEFER_SPAWN))
		return run_task(c, rq, &o);
	/* A leaf's new init first: the run is handled again once it is up. */
	r = lmc_mgr_run_init_start(c->m, res->name, &res->init, &c->err);
	if (r == -EINPROGRESS || (r >= 0 && res->init)) {
		res->action = LMC_API_INIT_START;
		return 0;
	}
	return r < 0 ? r : run_start(c, &o);
}

static int op_caps(struct call *c)
{
	struct lmc_machine_info mi;
	int r;

	if (!c->m)
		return 0;
	r = lmc_mgr_info(c->m, &mi);
	if (r < 0)
		return lmc_err_set(&c->err, r, "cannot read the machine's facts: %s", strerror(-r));
	return lmc_api_reply_caps(c->res->id, &mi, c->peer, &c->res->reply, &c->res->reply_len);
}

/* Before anything is done: no field unknown here, no id already in flight on this
 * connection. */
static int admissible(struct call *c, const Lmctl__Request *rq)
{
	int r = lmc_api_check_unknown(rq, &c->err);

	if (r < 0)
		return r;
	if (rq->id && c->peer->id_in_flight && c->peer->id_in_flight(c->peer->conn, rq->id)) {
		lmc_err_set(&c->err, -EBUSY,
			    "request id %llu is already in flight on this connection; nothing "
			    "was done",
			    (unsigned long long)rq->id);
		return lmc_err_facts(&c->err, LMC_EC_BUSY, NULL, NULL, LMC_ERR_NOVAL, LMC_ERR_NOVAL,
				     NULL);
	}
	return 0;
}

static int dispatch(struct call *c, const Lmctl__Request *rq)
{
	int r = admissible(c, rq);

	if (r < 0)
		return r;
	switch (rq->op_case) {
	case LMCTL__REQUEST__OP_CREATE:
		return op_create(c, rq->create);
	case LMCTL__REQUEST__OP_UPDATE:
		return op_update(c, rq->update);
	case LMCTL__REQUEST__OP_DESTROY:
		return op_destroy(c, rq->destroy);
	case LMCTL__REQUEST__OP_LIST:
		return op_list(c, rq->list);
	case LMCTL__REQUEST__OP_SPEC:
		return op_spec(c, rq->spec);
	case LMCTL__REQUEST__OP_STATS:
		return op_stats(c, rq->stats);
	case LMCTL__REQUEST__OP_RUN:
		return op_run(c, rq->run);
	case LMCTL__REQUEST__OP_ENTER:
		return op_enter(c, rq->enter);
	case LMCTL__REQUEST__OP_KILL:
		return op_kill(c, rq->kill);
	case LMCTL__REQUEST__OP_PAUSE:
		return op_freeze(c, rq->pause->name, true);
	case LMCTL__REQUEST__OP_RESUME:
		return op_freeze(c, rq->resume->name, false);
	case LMCTL__REQUEST__OP_INIT:
		return op_init(c, rq->init);
	case LMCTL__REQUEST__OP_VERSION:
		return lmc_api_reply_version(c->res->id, &c->res->reply, &c->res->reply_len);
	case LMCTL__REQUEST__OP_SUBSCRIBE:
		return op_subscribe(c, rq->subscribe);
	case LMCTL__REQUEST__OP_TASK_GET:
	case LMCTL__REQUEST__OP_TASK_LIST:
	case LMCTL__REQUEST__OP_TASK_WAIT:
	case LMCTL__REQUEST__OP_TASK_DELETE:
	case LMCTL__REQUEST__OP_TASK_SIGNAL:
	case LMCTL__REQUEST__OP_TASK_LOG: {
		struct lmc_api_task_call tc = {c->m, &c->auth, c->res, &c->err, dry(c)};

		return lmc_api_task_dispatch(&tc, rq);
	}
	case LMCTL__REQUEST__OP_CAPABILITIES:
		return op_caps(c);
	default:
		return lmc_err_set(&c->err, -EOPNOTSUPP, "unknown operation (field %d)",
				   (int)rq->op_case);
	}
}

/* What a state-changing request asks, in one line for the agent's log ("" for reads). */
static void audit_what(const Lmctl__Request *rq, char *buf, size_t size)
{
	const char *op = NULL, *name = "", *flags = "";

	switch (rq->op_case) {
	case LMCTL__REQUEST__OP_CREATE:
		op = "create", name = rq->create->name;
		break;
	case LMCTL__REQUEST__OP_UPDATE:
		op = "update", name = rq->update->name, flags = rq->update->force ? "--force " : "";
		break;
	case LMCTL__REQUEST__OP_DESTROY:
		op = "destroy", name = rq->destroy->name,
		flags = rq->destroy->recursive ? "-r " : "";
		break;
	case LMCTL__REQUEST__OP_RUN:
		op = "run", name = rq->run->name;
		break;
	case LMCTL__REQUEST__OP_ENTER:
		op = "enter", name = rq->enter->name;
		break;
	case LMCTL__REQUEST__OP_KILL:
		op = "kill", name = rq->kill->name, flags = rq->kill->recursive ? "-r " : "";
		if (rq->kill->foreground)
			flags = "(its foreground run) ";
		break;
	case LMCTL__REQUEST__OP_PAUSE:
		op = "pause", name = rq->pause->name;
		break;
	case LMCTL__REQUEST__OP_RESUME:
		op = "resume", name = rq->resume->name;
		break;
	case LMCTL__REQUEST__OP_TASK_DELETE:
		op = "task rm", name = rq->task_delete->name,
		flags = rq->task_delete->force ? "-f " : "";
		break;
	case LMCTL__REQUEST__OP_TASK_SIGNAL:
		op = "task kill", name = rq->task_signal->name;
		break;
	case LMCTL__REQUEST__OP_INIT:
		if (rq->init->_reserve_memory_case || rq->init->_reserve_cpu_m_case)
			op = "init";
		break;
	default:
		break;
	}
	if (op)
		snprintf(buf, size, "%s %s%s", op, flags, name ? name : "");
}

/* The request's kind as the client names it (enum lmc_api_op); 0 if none. */
static int op_of(const Lmctl__Request *rq)
{
	static const int ops[] = {
		[LMCTL__REQUEST__OP_CREATE] = LMC_API_OP_CREATE,
		[LMCTL__REQUEST__OP_UPDATE] = LMC_API_OP_UPDATE,
		[LMCTL__REQUEST__OP_DESTROY] = LMC_API_OP_DESTROY,
		[LMCTL__REQUEST__OP_LIST] = LMC_API_OP_LIST,
		[LMCTL__REQUEST__OP_SPEC] = LMC_API_OP_SPEC,
		[LMCTL__REQUEST__OP_STATS] = LMC_API_OP_STATS,
		[LMCTL__REQUEST__OP_RUN] = LMC_API_OP_RUN,
		[LMCTL__REQUEST__OP_ENTER] = LMC_API_OP_ENTER,
		[LMCTL__REQUEST__OP_KILL] = LMC_API_OP_KILL,
		[LMCTL__REQUEST__OP_PAUSE] = LMC_API_OP_PAUSE,
		[LMCTL__REQUEST__OP_RESUME] = LMC_API_OP_RESUME,
		[LMCTL__REQUEST__OP_INIT] = LMC_API_OP_INIT,
		[LMCTL__REQUEST__OP_VERSION] = LMC_API_OP_VERSION,
		[LMCTL__REQUEST__OP_SUBSCRIBE] = LMC_API_OP_SUBSCRIBE,
	};

	if ((size_t)rq->op_case >= ARRAY_SIZE(ops))
		return 0;
	if (rq->op_case == LMCTL__REQUEST__OP_INIT && !rq->init->_reserve_memory_case &&
	    !rq->init->_reserve_cpu_m_case)
		return LMC_API_OP_INFO;
	return ops[rq->op_case];
}

static void close_fds(int *fds, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (fds[i] >= 0) {
			close(fds[i]);
			fds[i] = -1;
		}
}

int lmc_api_handle(struct lmc_manager *m, const struct lmc_api_peer *peer, const uint8_t *buf,
		   size_t len, int *fds, size_t n_fds, unsigned flags, struct lmc_api_result *ret)
{
	struct call c = {.m = m,
			 .peer = peer,
			 .auth = {m, peer->uid, peer->gid},
			 .flags = flags,
			 .fds = fds,
			 .n_fds = n_fds};
	Lmctl__Request *rq;
	int r;

	memset(ret, 0, sizeof(*ret));
	ret->pidfd = -1;
	c.res = ret;
	rq = lmctl__request__unpack(NULL, len, buf);
	if (!rq)
		r = lmc_err_set(&c.err, -EBADMSG, "malformed request");
	else {
		ret->id = rq->id;
		ret->op = op_of(rq);
		audit_what(rq, ret->audit, sizeof(ret->audit));
		r = dispatch(&c, rq);
		lmctl__request__free_unpacked(rq, NULL);
	}
	if (ret->action != LMC_API_INIT_START) /* else the caller hands them in again */
		close_fds(fds, n_fds);
	if (r < 0) {
		free(ret->reply);
		ret->reply = NULL;
		ret->action = LMC_API_REPLY;
		ret->lifecycle = 0;
		if (ret->pidfd >= 0)
			close(ret->pidfd);
		ret->pidfd = -1;
		lmc_err_set(&c.err, r, "%s", strerror(-r));
		c.err.code = r;
		ret->status = r;
		snprintf(ret->why, sizeof(ret->why), "%s", lmc_err_str(&c.err));
		return lmc_api_reply_err(ret->id, &c.err, &ret->reply, &ret->reply_len);
	}
	if (ret->reply || ret->action == LMC_API_RUN_START || ret->action == LMC_API_TASK_WAIT ||
	    ret->action == LMC_API_CREATE_START || ret->action == LMC_API_INIT_START ||
	    (ret->action == LMC_API_RUN && !ret->detached))
		return 0;
	return lmc_api_reply_error(ret->id, 0, NULL, &ret->reply, &ret->reply_len);
}

void lmc_api_result_done(struct lmc_api_result *r)
{
	if (!r)
		return;
	free(r->reply);
	r->reply = NULL;
	free(r->stats);
	r->stats = NULL;
	free(r->gone);
	r->gone = NULL;
	r->n_gone = 0;
	r->n_stats = 0;
	if (r->pidfd >= 0)
		close(r->pidfd);
	r->pidfd = -1;
	lmc_ns_vspawn_free(r->vspawn);
	r->vspawn = NULL;
	if (r->spawn) {
		lmc_ns_spawn_cancel(r->spawn);
		free(r->spawn);
		r->spawn = NULL;
	}
}
