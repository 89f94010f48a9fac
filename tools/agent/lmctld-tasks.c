/* The agent's tasks: their ends (status from waitid for its own children, from what the
 * kernel kept for processes adopted after a restart), TaskWait requests answered at a
 * task's end, the recovery of tasks after a restart, and the rotation of detached tasks'
 * logs. The records themselves are core/task.[ch]; events about tasks hang off its hook
 * (lmc_tasks_set_hook on lmc_mgr_tasks(a->m)). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "nsutil/ns.h"
#include "tools/agent/lmctld.h"

#define LOG_ROTATE_PERIOD 1.0 /* seconds between checks of the logs' sizes */

static int child_status(const struct proc *p, int *ret_wstatus)
{
	siginfo_t si = {0};

	if (waitid(P_PIDFD, p->pidfd, &si, WEXITED | WNOHANG) < 0)
		return -errno;
	if (si.si_pid == 0)
		return -EAGAIN;
	if (si.si_code == CLD_EXITED)
		*ret_wstatus = (si.si_status & 0xff) << 8;
	else
		*ret_wstatus = (si.si_status & 0x7f) | (si.si_code == CLD_DUMPED ? 0x80 : 0);
	return 0;
}

int lmc_agent_proc_status(struct agent *a, const struct proc *p, int *ret_wstatus)
{
	struct lmc_tasks *ts = lmc_mgr_tasks(a->m);
	struct lmc_task *t;
	int r = -ECHILD;

	*ret_wstatus = -1;
	if (p->child) {
		r = child_status(p, ret_wstatus);
		if (r != -ECHILD)
			return r;
	}
	/* Not (or no longer) our child: the kernel's record of its end, while the task's own
	 * pidfd holds it. */
	t = ts ? lmc_tasks_find(ts, p->name, p->task_id) : NULL;
	if (t && lmc_task_exit_status(t, ret_wstatus) == 0)
		return 0;
	if (lmc_ns_pidfd_alive(p->pidfd))
		return -EAGAIN;
	*ret_wstatus = -1;
	return 0;
}

static void answer_waits(struct agent *a, const char *name, const char *task_id)
{
	struct task_wait **pp = &a->task_waits;

	while (*pp) {
		struct task_wait *w = *pp;
		struct lmc_task t = {.pidfd = -1};
		uint8_t *buf;
		size_t len;

		if (strcmp(w->name, name) != 0 || strcmp(w->task_id, task_id) != 0) {
			pp = &w->next;
			continue;
		}
		*pp = w->next;
		if (lmc_mgr_task_get(a->m, name, task_id, &t, NULL) < 0)
			lmc_agent_send_error(w->c, w->id, -ENOENT, "the task is gone");
		else if (lmc_api_reply_task(w->id, &t, &buf, &len) >= 0)
			lmc_agent_send(w->c, buf, len);
		lmc_task_done(&t);
		free(w);
	}
}

void lmc_agent_task_ended(struct agent *a, const struct proc *p, int wstatus)
{
	struct lmc_tasks *ts = lmc_mgr_tasks(a->m);

	if (!p->task_id[0])
		return;
	/* The agent ended it (eviction): its record says so. */
	if (ts && p->reason[0] && strncmp(p->reason, "evicted", 7) == 0) {
		struct lmc_task *t = lmc_tasks_find(ts, p->name, p->task_id);

		if (t && t->state == LMC_TASK_RUNNING && !t->evicting[0])
			snprintf(t->evicting, sizeof(t->evicting), "%s", p->reason);
	}
	lmc_mgr_task_ended(a->m, p->name, p->task_id, wstatus,
			   "its status was not kept by the kernel");
	a->emitting++; /* a failed send only marks a client dead until the sweep */
	answer_waits(a, p->name, p->task_id);
	a->emitting--;
	lmc_agent_sweep(a);
}

void lmc_agent_task_wait(struct client *c, struct lmc_api_result *res)
{
	struct task_wait *w = calloc(1, sizeof(*w));

	if (!w) {
		lmc_agent_send_error(c, res->id, -ENOMEM, "out of memory");
		return;
	}
	w->c = c;
	w->id = res->id;
	snprintf(w->name, sizeof(w->name), "%s", res->name);
	snprintf(w->task_id, sizeof(w->task_id), "%s", res->task_id);
	w->next = c->a->task_waits;
	c->a->task_waits = w;
}

void lmc_agent_tasks_client_gone(struct client *c)
{
	struct task_wait **pp = &c->a->task_waits;

	while (*pp) {
		struct task_wait *w = *pp;

		if (w->c != c) {
			pp = &w->next;
			continue;
		}
		*pp = w->next;
		free(w);
	}
}

bool lmc_agent_tasks_client_waiting(const struct client *c)
{
	for (const struct task_wait *w = c->a->task_waits; w; w = w->next)
		if (w->c == c)
			return true;
	return false;
}

/* Tasks found ended at a restart, and what the journal says of their ends. */
struct outage {
	struct agent *a;
	struct lmc_task **t; /* by pid */
	int *journaled; /* the wait status of an EXIT event journaled for it; -1: none */
	size_t n, cap;
};

/* A task still running after a restart: watched through a pidfd of its own. */
static void watch(const struct lmc_task *t, void *userdata)
{
	struct agent *a = ((struct outage *)userdata)->a;
	int fd = fcntl(t->pidfd, F_DUPFD_CLOEXEC, 3);

	if (fd < 0 || !lmc_agent_proc_add(a, t->container, t->id, t->pid, fd, false, NULL, 0))
		lmc_agent_log("%s: task %s (pid %d): cannot watch it: %m",
			      lmc_name_display(t->container), t->id, (int)t->pid);
	else
		lmc_agent_log("%s: task %s (pid %d) still runs: watched again",
			      lmc_name_display(t->container), t->id, (int)t->pid);
}

static void report(const char *name, const char *what, void *userdata)
{
	(void)userdata;
	lmc_agent_log("tasks: %s: %s", lmc_name_display(name), what);
}

static void on_log_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct agent *a = container_of(w, struct agent, log_timer);
	struct lmc_tasks *ts = lmc_mgr_tasks(a->m);

	(void)loop;
	(void)revents;
	if (ts)
		lmc_tasks_log_rotate(ts);
}

static void outage_add(struct lmc_task *t, void *userdata)
{
	struct outage *o = userdata;

	if (o->n == o->cap) {
		size_t cap = o->cap ? o->cap * 2 : 16;
		struct lmc_task **x = realloc(o->t, cap * sizeof(*x));

		if (!x)
			return; /* its end is reported as the record says, without an event */
		o->t = x;
		o->cap = cap;
	}
	o->t[o->n++] = t;
}

static int by_pid(const void *x, const void *y)
{
	pid_t p = (*(struct lmc_task *const *)x)->pid, q = (*(struct lmc_task *const *)y)->pid;

	return (p > q) - (p < q);
}

/* An EXIT event journaled for one of them: a process of that pid in that container, seen
 * after the task started. */
static int outage_journaled(const struct lmc_evrec *ev, void *userdata)
{
	struct outage *o = userdata;
	size_t lo = 0, hi = o->n;

	if (ev->kind != LMC_EVK_EXIT)
		return 0;
	while (lo < hi) { /* the first with pid >= ev->pid */
		size_t mid = (lo + hi) / 2;

		if (o->t[mid]->pid < ev->pid)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (size_t i = lo; i < o->n && o->t[i]->pid == ev->pid; i++)
		if (strcmp(o->t[i]->container, ev->name) == 0 &&
		    ev->timestamp_ns >= o->t[i]->started_ns &&
		    (!ev->task_id[0] || strcmp(o->t[i]->id, ev->task_id) == 0))
			o->journaled[i] = ev->wstatus;
	return 0;
}

static int task_wstatus(const struct lmc_task *t)
{
	if (t->state == LMC_TASK_EXITED)
		return (t->exit_code & 0xff) << 8;
	if (t->state == LMC_TASK_LOST || t->signal <= 0)
		return 255 << 8; /* as a live end whose status is unknown */
	return t->signal & 0x7f;
}

/* Every task that ended while the agent was down gets its EXIT event now, so that a
 * subscriber resuming from before the outage learns of it: unless the journal already has
 * it (the agent was killed after the event, before the record was written: the record
 * said running). Then that status is the record's, where the kernel kept none. */
static void outage_events(struct outage *o)
{
	struct lmc_tasks *ts = lmc_mgr_tasks(o->a->m);

	o->journaled = malloc(o->n * sizeof(*o->journaled));
	if (!o->journaled)
		return;
	qsort(o->t, o->n, sizeof(*o->t), by_pid);
	for (size_t i = 0; i < o->n; i++)
		o->journaled[i] = -1;
	if (o->a->evlog)
		lmc_evlog_replay(o->a->evlog, 0, outage_journaled, o);
	for (size_t i = 0; i < o->n; i++) {
		struct lmc_task *t = o->t[i];
		struct lmc_evrec ev = {.kind = LMC_EVK_EXIT, .pid = t->pid};

		if (o->journaled[i] >= 0) {
			if (t->state == LMC_TASK_LOST && ts)
				lmc_tasks_ended(ts, t, o->journaled[i], UINT64_MAX, NULL);
			continue;
		}
		ev.wstatus = task_wstatus(t);
		snprintf(ev.name, sizeof(ev.name), "%s", t->container);
		snprintf(ev.task_id, sizeof(ev.task_id), "%s", t->id);
		snprintf(ev.detail, sizeof(ev.detail), "task %s ended while the agent was down: %s",
			 t->id, lmc_task_state_str(t->state));
		lmc_agent_event(o->a, &ev);
	}
}

static void tasks_recover(struct agent *a)
{
	struct outage o = {.a = a};

	if (!lmc_mgr_tasks(a->m)) {
		lmc_agent_log("tasks: cannot open the task records: runs are refused");
		return;
	}
	lmc_mgr_tasks_recover(a->m, watch, outage_add, report, &o);
	if (o.n)
		outage_events(&o);
	free(o.t);
	free(o.journaled);
	ev_timer_start(a->loop, &a->log_timer);
}

/* The table taken by the loop's first lmc_mgr_tasks: the recovery runs there, whether a
 * request needed the table first or the loader's wake-up came first. */
static void tasks_ready(void *userdata)
{
	tasks_recover(userdata);
}

static void on_tasks_loaded(struct ev_loop *loop, ev_async *w, int revents)
{
	struct agent *a = container_of(w, struct agent, tasks_loaded);

	(void)revents;
	ev_async_stop(loop, w);
	lmc_mgr_tasks(a->m); /* recovers (tasks_ready), unless a request did already */
}

/* In the loader thread: only wakes the loop. */
static void tasks_loaded(void *userdata)
{
	struct agent *a = userdata;

	ev_async_send(a->loop, &a->tasks_loaded);
}

void lmc_agent_tasks_start(struct agent *a)
{
	ev_timer_init(&a->log_timer, on_log_timer, LOG_ROTATE_PERIOD, LOG_ROTATE_PERIOD);
	ev_async_init(&a->tasks_loaded, on_tasks_loaded);
	/* Serving does not wait for the records: a request that needs them before the loop
	 * has recovered them waits for the thread (lmc_mgr_tasks), and recovery follows. */
	ev_async_start(a->loop, &a->tasks_loaded);
	if (lmc_mgr_tasks_load_start(a->m, tasks_loaded, tasks_ready, a) < 0) {
		ev_async_stop(a->loop, &a->tasks_loaded);
		tasks_recover(a);
	}
}

void lmc_agent_tasks_stop(struct agent *a)
{
	struct task_wait *w, *next;

	ev_async_stop(a->loop, &a->tasks_loaded);
	ev_timer_stop(a->loop, &a->log_timer);
	for (w = a->task_waits; w; w = next) {
		next = w->next;
		free(w);
	}
	a->task_waits = NULL;
}
