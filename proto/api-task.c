/* The agent's task operations (TaskGet, TaskList, TaskWait, TaskDelete, TaskSignal, TaskLog;
 * their replies are built in proto/api-reply.c). The container is authorized as for any other operation
 * on it (proto/auth.c). */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "proto/api-internal.h"

#define TASK_LOG_CHUNK (1u << 20)

static int task_get(struct lmc_api_task_call *c, const char *name, const char *id, bool wait)
{
	struct lmc_task t = {.pidfd = -1};
	int r;

	if (!id || !id[0])
		return lmc_err_set(c->err, -EINVAL, "%s: no task id given", name);
	if (!c->m)
		return 0;
	r = lmc_mgr_task_get(c->m, name, id, &t, c->err);
	if (r < 0)
		return r;
	if (wait && t.state == LMC_TASK_RUNNING) {
		c->res->action = LMC_API_TASK_WAIT;
		snprintf(c->res->task_id, sizeof(c->res->task_id), "%s", t.id);
		snprintf(c->res->name, sizeof(c->res->name), "%s", t.container);
		lmc_task_done(&t);
		return 0;
	}
	r = lmc_api_reply_task(c->res->id, &t, &c->res->reply, &c->res->reply_len);
	lmc_task_done(&t);
	return r;
}

static int task_list(struct lmc_api_task_call *c, const char *name, bool recursive)
{
	struct lmc_task *l = NULL;
	size_t n = 0;
	int r;

	if (!c->m)
		return 0;
	r = lmc_mgr_task_list(c->m, name, recursive, &l, &n, c->err);
	if (r < 0)
		return r;
	r = lmc_api_reply_tasks(c->res->id, l, n, &c->res->reply, &c->res->reply_len);
	lmc_tasks_list_free(l, n);
	return r;
}

static int task_log(struct lmc_api_task_call *c, const char *name, const Lmctl__TaskLogRequest *rq)
{
	Lmctl__TaskLogReply rep = LMCTL__TASK_LOG_REPLY__INIT;
	size_t max = rq->max_bytes && rq->max_bytes < TASK_LOG_CHUNK ? rq->max_bytes
								     : TASK_LOG_CHUNK;
	_cleanup_free_ uint8_t *data = NULL;
	size_t len = 0;
	bool rotated = false, ended = false;
	int r;

	if (!c->m)
		return 0;
	r = lmc_mgr_task_log(c->m, name, rq->task_id, rq->offset, max, &data, &len,
			     &rep.next_offset, &rotated, &ended, c->err);
	if (r < 0)
		return r;
	rep.rotated = rotated;
	rep.ended = ended && len < max;
	rep.data.data = data;
	rep.data.len = len;
	return lmc_api_reply_payload(c->res->id, LMCTL__RESPONSE__PAYLOAD_TASK_LOG, &rep,
				     &c->res->reply, &c->res->reply_len);
}

static const char *op_name(const Lmctl__Request *rq)
{
	switch (rq->op_case) {
	case LMCTL__REQUEST__OP_TASK_GET:
		return rq->task_get->name;
	case LMCTL__REQUEST__OP_TASK_LIST:
		return rq->task_list->name;
	case LMCTL__REQUEST__OP_TASK_WAIT:
		return rq->task_wait->name;
	case LMCTL__REQUEST__OP_TASK_DELETE:
		return rq->task_delete->name;
	case LMCTL__REQUEST__OP_TASK_SIGNAL:
		return rq->task_signal->name;
	case LMCTL__REQUEST__OP_TASK_LOG:
		return rq->task_log->name;
	default:
		return "";
	}
}

int lmc_api_task_dispatch(struct lmc_api_task_call *c, const Lmctl__Request *rq)
{
	char name[LMC_NAME_MAX + 1];
	bool list = rq->op_case == LMCTL__REQUEST__OP_TASK_LIST;
	int r = lmc_auth_target(c->auth, op_name(rq), list, false, name, c->err);

	if (r < 0)
		return r;
	switch (rq->op_case) {
	case LMCTL__REQUEST__OP_TASK_GET:
		return task_get(c, name, rq->task_get->task_id, false);
	case LMCTL__REQUEST__OP_TASK_WAIT:
		return task_get(c, name, rq->task_wait->task_id, true);
	case LMCTL__REQUEST__OP_TASK_LIST:
		return task_list(c, name, rq->task_list->recursive);
	case LMCTL__REQUEST__OP_TASK_DELETE:
		if (!c->m || c->dry)
			return 0;
		return lmc_mgr_task_delete(c->m, name, rq->task_delete->task_id,
					   rq->task_delete->force, c->err);
	case LMCTL__REQUEST__OP_TASK_SIGNAL:
		if (!c->m || c->dry)
			return 0;
		return lmc_mgr_task_signal(c->m, name, rq->task_signal->task_id,
					   rq->task_signal->signal, c->err);
	case LMCTL__REQUEST__OP_TASK_LOG:
		return task_log(c, name, rq->task_log);
	default:
		return -EOPNOTSUPP;
	}
}
