/* The client's half of the task operations: encode a task request, decode the payloads
 * that carry tasks. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/api-internal.h"

static char *s_or_empty(const char *s)
{
	return (char *)(s ? s : "");
}

int lmc_api_task_req_encode(const struct lmc_api_task_req *r, uint8_t **ret_buf, size_t *ret_len)
{
	Lmctl__Request rq = LMCTL__REQUEST__INIT;
	Lmctl__TaskGetRequest get = LMCTL__TASK_GET_REQUEST__INIT;
	Lmctl__TaskListRequest list = LMCTL__TASK_LIST_REQUEST__INIT;
	Lmctl__TaskWaitRequest wait = LMCTL__TASK_WAIT_REQUEST__INIT;
	Lmctl__TaskDeleteRequest del = LMCTL__TASK_DELETE_REQUEST__INIT;
	Lmctl__TaskSignalRequest sig = LMCTL__TASK_SIGNAL_REQUEST__INIT;
	Lmctl__TaskLogRequest log = LMCTL__TASK_LOG_REQUEST__INIT;
	char *name = s_or_empty(r->name), *id = s_or_empty(r->task_id);

	rq.id = r->id;
	switch (r->op) {
	case LMC_API_TASK_GET:
		get.name = name, get.task_id = id;
		rq.op_case = LMCTL__REQUEST__OP_TASK_GET, rq.task_get = &get;
		break;
	case LMC_API_TASK_LIST:
		list.name = name, list.recursive = r->recursive;
		rq.op_case = LMCTL__REQUEST__OP_TASK_LIST, rq.task_list = &list;
		break;
	case LMC_API_TASK_WAIT_OP:
		wait.name = name, wait.task_id = id;
		rq.op_case = LMCTL__REQUEST__OP_TASK_WAIT, rq.task_wait = &wait;
		break;
	case LMC_API_TASK_DELETE:
		del.name = name, del.task_id = id, del.force = r->force;
		rq.op_case = LMCTL__REQUEST__OP_TASK_DELETE, rq.task_delete = &del;
		break;
	case LMC_API_TASK_SIGNAL:
		sig.name = name, sig.task_id = id, sig.signal = r->sig;
		rq.op_case = LMCTL__REQUEST__OP_TASK_SIGNAL, rq.task_signal = &sig;
		break;
	case LMC_API_TASK_LOG:
		log.name = name, log.task_id = id, log.offset = r->offset;
		log.max_bytes = r->max_bytes;
		rq.op_case = LMCTL__REQUEST__OP_TASK_LOG, rq.task_log = &log;
		break;
	default:
		return -EINVAL;
	}
	return lmc_record_pack(&rq.base, ret_buf, ret_len);
}

static int dec_tasks(Lmctl__Task *const *v, size_t n, struct lmc_api_resp *ret)
{
	ret->tasks = calloc(n ? n : 1, sizeof(*ret->tasks));
	if (!ret->tasks)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		int r = lmc_record_task_from_pb(v[i], &ret->tasks[i]);

		if (r < 0)
			return r;
		ret->n_tasks++;
	}
	return 0;
}

static int dec_log(const Lmctl__TaskLogReply *rep, struct lmc_api_resp *ret)
{
	ret->log = malloc(rep->data.len ? rep->data.len : 1);
	if (!ret->log)
		return -ENOMEM;
	if (rep->data.len) /* an empty bytes field has no data pointer */
		memcpy(ret->log, rep->data.data, rep->data.len);
	ret->log_len = rep->data.len;
	ret->log_next = rep->next_offset;
	ret->log_rotated = rep->rotated;
	ret->log_ended = rep->ended;
	return 0;
}

int lmc_api_task_dec(const Lmctl__Response *m, struct lmc_api_resp *ret)
{
	switch (m->payload_case) {
	case LMCTL__RESPONSE__PAYLOAD_TASK:
		ret->payload = LMC_API_PAY_TASK;
		return dec_tasks(&m->task, 1, ret);
	case LMCTL__RESPONSE__PAYLOAD_TASKS:
		ret->payload = LMC_API_PAY_TASKS;
		return dec_tasks(m->tasks->tasks, m->tasks->n_tasks, ret);
	case LMCTL__RESPONSE__PAYLOAD_TASK_LOG:
		ret->payload = LMC_API_PAY_TASK_LOG;
		return dec_log(m->task_log, ret);
	default:
		return -EBADMSG;
	}
}
