/* Task records (core/task.h) <-> the Task message: the on-disk record and the API's reply. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/macro.h"
#include "proto/codec-pb.h"
#include "proto/codec.h"

#define TASK_ARGV_MAX 4096

int lmc_codec_task_to_pb(const struct lmc_task *t, Lmctl__Task *m)
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
	return 0;
}

static int fixed(char *dst, size_t size, const char *src)
{
	if (!src)
		src = "";
	if (strlen(src) >= size)
		return -EBADMSG;
	strcpy(dst, src);
	return 0;
}

int lmc_codec_task_from_pb(const Lmctl__Task *m, struct lmc_task *ret)
{
	struct lmc_task t = {.pidfd = -1};

	if (fixed(t.container, sizeof(t.container), m->container) < 0 ||
	    fixed(t.id, sizeof(t.id), m->task_id) < 0 ||
	    fixed(t.reason, sizeof(t.reason), m->reason) < 0 || m->n_argv > TASK_ARGV_MAX ||
	    (unsigned)m->state > LMC_TASK_LOST)
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

int lmc_codec_task_encode(const struct lmc_task *t, uint8_t **ret_buf, size_t *ret_len)
{
	Lmctl__Task m;

	lmc_codec_task_to_pb(t, &m);
	return lmc_codec_pack(&m.base, ret_buf, ret_len);
}

int lmc_codec_task_decode(const uint8_t *buf, size_t len, struct lmc_task *ret)
{
	Lmctl__Task *m = lmctl__task__unpack(NULL, len, buf);
	int r;

	if (!m)
		return -EBADMSG;
	r = lmc_codec_task_from_pb(m, ret);
	lmctl__task__free_unpacked(m, NULL);
	return r;
}
