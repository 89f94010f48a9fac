/* The agent backend: every operation is one Request frame to lmctld and one Response back
 * (proto/api encodes both), so the CLI prints the same core structs as in direct mode. */
#include "tools/cli/backend.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "proto/api.h"

extern char **environ;

struct agent_be {
	struct lmc_backend b;
	int fd;
	uint64_t next_id;
	char eff_from[LMC_API_EFF_N][LMC_NAME_MAX + 1]; /* spec's `from` strings */
};

static struct agent_be *be(struct lmc_backend *b)
{
	return container_of(b, struct agent_be, b);
}

static int lost(struct lmc_err *err, int r)
{
	return lmc_err_set(err, r, "lmctld: connection lost: %s", strerror(-r));
}

/* Receive Responses until the one for id (a subscription's events carry its id too). */
static int recv_resp(struct agent_be *a, uint64_t id, struct lmc_api_resp *resp,
		     struct lmc_err *err)
{
	for (;;) {
		_cleanup_free_ uint8_t *buf = NULL;
		size_t len, nfds = 0;
		int r = lmc_frame_recv(a->fd, &buf, &len, NULL, &nfds, -1);

		if (r < 0)
			return lost(err, r);
		r = lmc_api_resp_decode(buf, len, resp);
		if (r < 0)
			return lmc_err_set(err, r, "lmctld: malformed response");
		if (resp->id == id || resp->id == 0)
			break;
		lmc_api_resp_done(resp);
	}
	if (resp->status < 0) {
		int st = resp->status;

		if (err && !err->code)
			*err = resp->err; /* the message, code and facts as the agent gave them */
		lmc_api_resp_done(resp);
		return st;
	}
	return 0;
}

static int send_req(struct agent_be *a, struct lmc_api_req *rq, const int *fds, size_t nfds,
		    struct lmc_err *err)
{
	_cleanup_free_ uint8_t *buf = NULL;
	size_t len;
	int r;

	rq->id = ++a->next_id;
	r = lmc_api_req_encode(rq, &buf, &len);
	if (r < 0)
		return lmc_err_set(err, r, "cannot encode the request: %s", strerror(-r));
	r = lmc_frame_send(a->fd, buf, len, fds, nfds);
	return r < 0 ? lost(err, r) : 0;
}

static int call_fds(struct agent_be *a, struct lmc_api_req *rq, const int *fds, size_t nfds,
		    struct lmc_api_resp *resp, struct lmc_err *err)
{
	int r = send_req(a, rq, fds, nfds, err);

	return r < 0 ? r : recv_resp(a, rq->id, resp, err);
}

static int call(struct agent_be *a, struct lmc_api_req *rq, struct lmc_api_resp *resp,
		struct lmc_err *err)
{
	return call_fds(a, rq, NULL, 0, resp, err);
}

/* An operation whose answer is only a status. */
static int call_status(struct lmc_backend *b, struct lmc_api_req *rq, struct lmc_err *err)
{
	struct lmc_api_resp resp;
	int r = call(be(b), rq, &resp, err);

	if (r >= 0)
		lmc_api_resp_done(&resp);
	return r;
}

static int a_info(struct lmc_backend *b, struct lmc_machine_info *ret, struct lmc_err *err)
{
	struct lmc_api_req rq = {.op = LMC_API_OP_INFO};
	struct lmc_api_resp resp;
	int r = call(be(b), &rq, &resp, err);

	if (r < 0)
		return r;
	*ret = resp.info;
	lmc_api_resp_done(&resp);
	return 0;
}

static int a_init(struct lmc_backend *b, uint64_t reserve_mem, uint64_t reserve_cpu_m,
		  struct lmc_err *err)
{
	struct lmc_api_req rq = {
		.op = LMC_API_OP_INIT, .reserve_mem = reserve_mem, .reserve_cpu_m = reserve_cpu_m};

	return call_status(b, &rq, err);
}

static int a_create(struct lmc_backend *b, const char *name, const struct lmc_spec *spec,
		    struct lmc_err *err)
{
	struct lmc_api_req rq = {.op = LMC_API_OP_CREATE, .name = name, .spec = spec};

	return call_status(b, &rq, err);
}

static int a_update(struct lmc_backend *b, const char *name, const struct lmc_spec *upd, bool force,
		    struct lmc_err *err)
{
	struct lmc_api_req rq = {
		.op = LMC_API_OP_UPDATE, .name = name, .spec = upd, .force = force};

	return call_status(b, &rq, err);
}

static int a_destroy(struct lmc_backend *b, const char *name, bool recursive, struct lmc_err *err)
{
	struct lmc_api_req rq = {.op = LMC_API_OP_DESTROY, .name = name, .recursive = recursive};

	return call_status(b, &rq, err);
}

static int a_list(struct lmc_backend *b, const char *name, bool recursive, bool want_pids,
		  struct lmc_list_entry **ret, size_t *ret_n, struct lmc_err *err)
{
	struct lmc_api_req rq = {.op = LMC_API_OP_LIST,
				 .name = name,
				 .recursive = recursive,
				 .want_pids = want_pids};
	struct lmc_api_resp resp;
	int r = call(be(b), &rq, &resp, err), base;

	if (r < 0)
		return r;
	/* The wire carries absolute depths; the CLI wants them below the listed container
	 * (direct children of the root are 0, as the manager counts them). */
	base = lmc_name_is_root(name) ? 1 : lmc_name_depth(name);
	for (size_t i = 0; i < resp.n; i++)
		resp.list[i].depth -= base;
	*ret = TAKE_PTR(resp.list);
	*ret_n = resp.n;
	resp.n = 0;
	lmc_api_resp_done(&resp);
	return 0;
}

/* Copy eff with its names pointing at storage that lives as long as the backend. */
static void eff_repoint(struct agent_be *a, const struct lmc_effective *in,
			struct lmc_effective *out)
{
	struct lmc_eff_value *vals[LMC_API_EFF_N] = {
		&out->mem_limit,   &out->mem_reservation,   &out->mem_high,   &out->mem_swap,
		&out->cpu_limit_m, &out->cpu_reservation_m, &out->pids_limit, &out->max_containers,
	};

	*out = *in;
	for (size_t i = 0; i < LMC_API_EFF_N; i++)
		if (vals[i]->from)
			vals[i]->from = a->eff_from[i];
}

static int a_spec(struct lmc_backend *b, const char *name, struct lmc_spec *ret_spec,
		  struct lmc_effective *ret_eff, struct lmc_err *err)
{
	struct agent_be *a = be(b);
	struct lmc_api_req rq = {.op = LMC_API_OP_SPEC, .name = name};
	struct lmc_api_resp *resp = malloc(sizeof(*resp));
	int r;

	if (!resp)
		return lmc_err_set(err, -ENOMEM, "out of memory");
	r = call(a, &rq, resp, err);
	if (r >= 0) {
		if (ret_spec)
			*ret_spec = resp->spec;
		memcpy(a->eff_from, resp->eff_from, sizeof(a->eff_from));
		if (ret_eff)
			eff_repoint(a, &resp->eff, ret_eff);
		lmc_api_resp_done(resp);
	}
	free(resp);
	return r;
}

static int a_stats(struct lmc_backend *b, const char *name, bool recursive, unsigned fields,
		   struct lmc_stats_entry **ret, size_t *ret_n, struct lmc_err *err)
{
	struct lmc_api_req rq = {.op = LMC_API_OP_STATS,
				 .name = name,
				 .recursive = recursive,
				 .stats_fields = fields};
	struct lmc_api_resp resp;
	int r = call(be(b), &rq, &resp, err);

	if (r < 0)
		return r;
	*ret = TAKE_PTR(resp.stats);
	*ret_n = resp.n;
	resp.n = 0;
	lmc_api_resp_done(&resp);
	return 0;
}

/* While a foreground run waits, the signals a terminal sends lmctl go on to the command,
 * as they would reach it in direct mode: one pre-encoded KillRequest{foreground} per signal,
 * sent from the handler (send(2) is async-signal-safe). */
static const int forwarded[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};

static struct {
	int fd;
	uint8_t *frame[ARRAY_SIZE(forwarded)];
	size_t len[ARRAY_SIZE(forwarded)];
} fwd = {.fd = -1};

static void forward_signal(int sig)
{
	int saved = errno;

	for (size_t i = 0; i < ARRAY_SIZE(forwarded); i++)
		if (forwarded[i] == sig && fwd.fd >= 0 && fwd.frame[i])
			(void)!send(fwd.fd, fwd.frame[i], fwd.len[i], MSG_NOSIGNAL);
	errno = saved;
}

static void forward_start(struct agent_be *a)
{
	struct sigaction sa = {.sa_handler = forward_signal, .sa_flags = SA_RESTART};

	for (size_t i = 0; i < ARRAY_SIZE(forwarded); i++) {
		struct lmc_api_req rq = {.op = LMC_API_OP_KILL,
					 .name = "",
					 .sig = forwarded[i],
					 .foreground = true,
					 .id = ++a->next_id};
		uint8_t *body = NULL;
		size_t len;

		if (lmc_api_req_encode(&rq, &body, &len) < 0)
			continue;
		fwd.frame[i] = malloc(len + 4);
		if (fwd.frame[i]) {
			lmc_frame_header(len, fwd.frame[i]);
			memcpy(fwd.frame[i] + 4, body, len);
			fwd.len[i] = len + 4;
		}
		free(body);
	}
	fwd.fd = a->fd;
	for (size_t i = 0; i < ARRAY_SIZE(forwarded); i++)
		sigaction(forwarded[i], &sa, NULL);
}

static void forward_stop(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(forwarded); i++)
		signal(forwarded[i], SIG_DFL);
	fwd.fd = -1;
	for (size_t i = 0; i < ARRAY_SIZE(forwarded); i++) {
		free(fwd.frame[i]);
		fwd.frame[i] = NULL;
	}
}

/* The command gets the caller's stdio (or o->stdio), environment and directory, as it
 * would in direct mode. */
static int a_run(struct lmc_backend *b, const char *name, const struct lmc_run_opts *o,
		 pid_t *ret_pid, int *ret_status, struct lmc_err *err)
{
	struct lmc_run_opts ro = *o;
	struct lmc_api_req rq = {.op = LMC_API_OP_RUN, .name = name, .run = &ro, .n_fds = 3};
	struct lmc_api_resp resp;
	char cwd[4096];
	int fds[3];
	int r;

	for (int i = 0; i < 3; i++)
		fds[i] = o->stdio[i] >= 0 ? o->stdio[i] : i;
	if (!ro.env)
		ro.env = (const char *const *)environ;
	if (!ro.cwd && getcwd(cwd, sizeof(cwd)))
		ro.cwd = cwd;
	if (o->log)
		rq.n_fds = 0; /* the agent gives it /dev/null and its log */
	r = send_req(be(b), &rq, fds, rq.n_fds, err);
	if (r < 0)
		return r;
	if (!o->detach)
		forward_start(be(b));
	r = recv_resp(be(b), rq.id, &resp, err);
	if (!o->detach)
		forward_stop();
	if (r < 0)
		return r;
	*ret_pid = resp.pid;
	if (ret_status)
		*ret_status = resp.exited ? resp.status_code : 0;
	snprintf(b->task_id, sizeof(b->task_id), "%s", resp.task_id);
	b->task_existed = resp.existed;
	lmc_api_resp_done(&resp);
	return 0;
}

static int a_task(struct lmc_backend *b, const struct lmc_task_query *q,
		  struct lmc_task_answer *ret, struct lmc_err *err)
{
	struct agent_be *a = be(b);
	struct lmc_api_task_req rq = {.op = (enum lmc_api_task_op)q->op,
				      .id = ++a->next_id,
				      .name = q->name,
				      .task_id = q->task_id,
				      .recursive = q->recursive,
				      .force = q->force,
				      .sig = q->sig,
				      .offset = q->offset,
				      .max_bytes = q->max_bytes};
	_cleanup_free_ uint8_t *buf = NULL;
	struct lmc_api_resp resp;
	size_t len;
	int r;

	memset(ret, 0, sizeof(*ret));
	r = lmc_api_task_req_encode(&rq, &buf, &len);
	if (r < 0)
		return lmc_err_set(err, r, "cannot encode the request: %s", strerror(-r));
	r = lmc_frame_send(a->fd, buf, len, NULL, 0);
	if (r < 0)
		return lost(err, r);
	r = recv_resp(a, rq.id, &resp, err);
	if (r < 0)
		return r;
	ret->tasks = TAKE_PTR(resp.tasks);
	ret->n = resp.n_tasks;
	resp.n_tasks = 0;
	ret->log = TAKE_PTR(resp.log);
	ret->log_len = resp.log_len;
	ret->log_next = resp.log_next;
	ret->log_rotated = resp.log_rotated;
	ret->log_ended = resp.log_ended;
	lmc_api_resp_done(&resp);
	return 0;
}

static int a_enter(struct lmc_backend *b, const char *name, const pid_t *pids, size_t n,
		   struct lmc_err *err)
{
	struct lmc_api_req rq = {.op = LMC_API_OP_ENTER, .name = name, .pids = pids, .n_pids = n};

	return call_status(b, &rq, err);
}

static int a_kill(struct lmc_backend *b, const char *name, int sig, bool recursive,
		  struct lmc_err *err)
{
	struct lmc_api_req rq = {
		.op = LMC_API_OP_KILL, .name = name, .sig = sig, .recursive = recursive};

	return call_status(b, &rq, err);
}

static int a_pause(struct lmc_backend *b, const char *name, struct lmc_err *err)
{
	struct lmc_api_req rq = {.op = LMC_API_OP_PAUSE, .name = name};

	return call_status(b, &rq, err);
}

static int a_resume(struct lmc_backend *b, const char *name, struct lmc_err *err)
{
	struct lmc_api_req rq = {.op = LMC_API_OP_RESUME, .name = name};

	return call_status(b, &rq, err);
}

static void event_from_api(const struct lmc_evrec *in, struct lmc_event *out)
{
	memset(out, 0, sizeof(*out));
	snprintf(out->name, sizeof(out->name), "%s", in->name);
	out->kind = in->kind;
	out->seq = in->seq;
	out->direction = in->direction;
	out->value = in->value;
	out->pid = in->pid;
	out->timestamp_ns = in->timestamp_ns;
	snprintf(out->detail, sizeof(out->detail), "%s", in->detail);
	snprintf(out->task_id, sizeof(out->task_id), "%s", in->task_id);
	if (in->kind == LMC_EVK_EXIT)
		out->status = WIFSIGNALED(in->wstatus) ? 128 + WTERMSIG(in->wstatus)
						       : WEXITSTATUS(in->wstatus);
}

static int a_events(struct lmc_backend *b, const char *name, const struct lmc_event_filter *f,
		    lmc_event_cb cb, void *userdata, struct lmc_err *err)
{
	struct agent_be *a = be(b);
	struct lmc_api_req rq = {.op = LMC_API_OP_SUBSCRIBE, .name = name};
	struct lmc_api_resp resp;
	struct lmc_event ev;
	char canon[LMC_NAME_MAX + 1] = "";
	int r;

	(void)lmc_name_parse(name, canon, NULL);
	rq.sub = (struct lmc_api_sub){.recursive = true,
				      .oom = f->oom,
				      .empty = f->empty,
				      .exit = f->exit,
				      .lifecycle = f->lifecycle,
				      .started = f->started,
				      .resume = f->resume,
				      .since = f->since,
				      .evicted = f->evicted,
				      .threshold = f->mem_threshold};
	r = call(a, &rq, &resp, err);
	if (r < 0)
		return r;
	lmc_api_resp_done(&resp);
	for (;;) {
		r = recv_resp(a, rq.id, &resp, err);
		if (r < 0)
			return r;
		if (resp.payload != LMC_API_PAY_EVENT) {
			lmc_api_resp_done(&resp);
			continue;
		}
		event_from_api(&resp.event, &ev);
		lmc_api_resp_done(&resp);
		r = cb(&ev, userdata);
		if (r < 0)
			return r;
		/* The agent ends a subscription with its own container's destruction. */
		if (ev.kind == LMC_EVK_DESTROYED && strcmp(ev.name, canon) == 0)
			return 0;
	}
}

static void a_close(struct lmc_backend *b)
{
	struct agent_be *a;

	if (!b)
		return;
	a = be(b);
	if (a->fd >= 0)
		close(a->fd);
	free(a);
}

static const struct lmc_backend_ops agent_ops = {
	.name = "agent",
	.info = a_info,
	.init = a_init,
	.create = a_create,
	.update = a_update,
	.destroy = a_destroy,
	.list = a_list,
	.spec = a_spec,
	.stats = a_stats,
	.run = a_run,
	.enter = a_enter,
	.kill = a_kill,
	.pause = a_pause,
	.resume = a_resume,
	.events = a_events,
	.close = a_close,
	.task = a_task,
};

int lmc_backend_agent_open(const char *socket_path, struct lmc_backend **ret, struct lmc_err *err)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	_cleanup_close_ int fd = -EBADF;
	struct agent_be *a;

	if (!socket_path)
		socket_path = LMC_DEFAULT_SOCKET;
	if (strlen(socket_path) >= sizeof(sa.sun_path))
		return lmc_err_set(err, -ENAMETOOLONG, "socket path too long: %s", socket_path);
	strcpy(sa.sun_path, socket_path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return lmc_err_set(err, lmc_negerrno(), "socket: %m");
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int r = lmc_negerrno();

		/* No agent: the CLI falls back to direct mode without a word. */
		if (r == -ENOENT || r == -ECONNREFUSED)
			return r;
		return lmc_err_set(err, r, "cannot reach lmctld at %s: %s", socket_path,
				   strerror(-r));
	}
	a = calloc(1, sizeof(*a));
	if (!a)
		return lmc_err_set(err, -ENOMEM, "out of memory");
	a->b.ops = &agent_ops;
	a->fd = TAKE_FD(fd);
	*ret = &a->b;
	return 0;
}
