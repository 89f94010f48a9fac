/* The manager's tasks (core/manager.h): run as a task (retry-safe by task id), a task's
 * end with its final state, reading, signalling and deleting tasks, and finding them again
 * after a restart. The table and its files are core/task.[ch]. */
#include "core/manager-internal.h"

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/safedir.h"
#include "nsutil/ns.h"

#define TASK_KILL_WAIT_MS 10000
#define LOADER_NICE 10

struct lmc_mgr_tasks_loader {
	pthread_t tid;
	int dfd;
	struct lmc_tasks *ts; /* the thread's result: NULL if it could not open them */
	void (*done)(void *userdata);
	void *userdata;
};

static void *loader_main(void *arg)
{
	struct lmc_mgr_tasks_loader *l = arg;

	/* behind the loop: on a busy machine serving comes first (this thread's own nice) */
	setpriority(PRIO_PROCESS, (id_t)gettid(), LOADER_NICE);
	lmc_tasks_open(l->dfd, &l->ts, NULL);
	l->done(l->userdata);
	return NULL;
}

int lmc_mgr_tasks_load_start(struct lmc_manager *m, void (*done)(void *userdata),
			     void (*ready)(void *userdata), void *userdata)
{
	struct lmc_mgr_tasks_loader *l;
	int r;

	if (m->tasks || m->loader)
		return -EALREADY;
	l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	*l = (struct lmc_mgr_tasks_loader){.done = done, .userdata = userdata};
	l->dfd = lmc_safedir_open("state directory", lmc_store_dir(m->store), 0700, NULL);
	r = l->dfd < 0 ? l->dfd : -pthread_create(&l->tid, NULL, loader_main, l);
	if (r < 0) {
		if (l->dfd >= 0)
			close(l->dfd);
		free(l);
		return r;
	}
	m->loader = l;
	m->tasks_ready = ready;
	m->tasks_ready_data = userdata;
	m->tasks_owner = pthread_self();
	return 0;
}

void lmc_mgr_tasks_join(struct lmc_manager *m)
{
	struct lmc_mgr_tasks_loader *l = m->loader;

	if (!l)
		return;
	pthread_join(l->tid, NULL);
	close(l->dfd);
	m->tasks = l->ts;
	m->loader = NULL;
	free(l);
}

/* The task records of a store: a scope's (a leaf's) only, or all ("" scope). */
static int tasks_open_in(struct lmc_store *st, const char *scope, struct lmc_tasks **ret)
{
	_cleanup_close_ int dfd =
		lmc_safedir_open("state directory", lmc_store_dir(st), 0700, NULL);

	if (dfd < 0)
		return dfd;
	return scope[0] ? lmc_tasks_open_for(dfd, scope, ret, NULL)
			: lmc_tasks_open(dfd, ret, NULL);
}

struct lmc_tasks *lmc_mgr_tasks(struct lmc_manager *m)
{
	lmc_mgr_tasks_join(m);
	if (m->tasks_ready && pthread_equal(pthread_self(), m->tasks_owner)) {
		void (*ready)(void *userdata) = m->tasks_ready;

		m->tasks_ready = NULL; /* before: ready uses the table too */
		ready(m->tasks_ready_data);
	}
	if (m->tasks)
		return m->tasks;
	tasks_open_in(m->store, m->scope, &m->tasks);
	return m->tasks;
}

static int tasks_or_fail(struct lmc_manager *m, struct lmc_tasks **ret, struct lmc_err *err)
{
	*ret = lmc_mgr_tasks(m);
	if (!*ret)
		return lmc_err_set(err, -EIO, "state directory %s: cannot open its task records",
				   lmc_store_dir(m->store));
	return 0;
}

/* The container's OOM kill count (UINT64_MAX where there is no memory controller). */
static uint64_t oom_kills(struct lmc_manager *m, const char *name)
{
	uint64_t v;

	if (!lmc_cgfs_has(m->cg, LMC_CTRL_MEMORY) || lmc_events_oom_kills(m->cg, name, &v) < 0)
		return UINT64_MAX;
	return v;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int new_record(const char *name, const char *id, const struct lmc_run_opts *o, uid_t uid,
		      struct lmc_task *t)
{
	size_t n = 0;

	*t = (struct lmc_task){.exit_code = -1, .pidfd = -1, .log = o->log, .uid = uid};
	snprintf(t->container, sizeof(t->container), "%s", name);
	snprintf(t->id, sizeof(t->id), "%s", id);
	while (o->argv[n])
		n++;
	t->argv = calloc(n + 1, sizeof(char *));
	if (!t->argv)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		if (!(t->argv[i] = strdup(o->argv[i])))
			return -ENOMEM;
	t->started_ns = now_ns();
	return 0;
}

/* Its stdio: with a log, stdin /dev/null and stdout and stderr the log (fds[] closed by the
 * caller once the child has them). */
static int log_stdio(struct lmc_tasks *ts, const char *name, const char *id,
		     struct lmc_run_opts *oo, int fds[2], struct lmc_err *err)
{
	fds[0] = lmc_tasks_log_open(ts, name, id);
	fds[1] = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (fds[0] < 0 || fds[1] < 0)
		return lmc_err_set(err, fds[0] < 0 ? fds[0] : lmc_negerrno(),
				   "%s: task %s: cannot open its log", name, id);
	oo->stdio[0] = fds[1];
	oo->stdio[1] = oo->stdio[2] = fds[0];
	return 0;
}

static void refresh(struct lmc_manager *m, struct lmc_tasks *ts, struct lmc_task *t);

/* A container at the cap whose records all say running may hold ones whose processes are
 * gone unseen (direct mode: nobody watches a detached run): the oldest such is settled,
 * so the cap has an ended record to let go instead of refusing every run for good. */
static void settle_for_room(struct lmc_manager *m, struct lmc_tasks *ts, const char *container)
{
	if (lmc_tasks_count(ts, container) < LMC_TASKS_PER_CONTAINER)
		return;
	for (struct lmc_task *t = lmc_tasks_oldest(ts, container); t; t = lmc_tasks_newer(t)) {
		if (t->state != LMC_TASK_RUNNING)
			return; /* there is one to let go */
		refresh(m, ts, t);
		if (t->state != LMC_TASK_RUNNING)
			return;
	}
}

/* The task's record: the container's task of that id (*ret_existed, copied to ret), or a
 * new one entered as starting (pid 0), whose id goes to ret. */
static int task_begin(struct lmc_manager *m, const char *uname, const struct lmc_run_opts *o,
		      uid_t uid, struct lmc_task *ret, bool *ret_existed, struct lmc_err *err)
{
	const char *want = o->task_id && o->task_id[0] ? o->task_id : NULL;
	struct lmc_node *node;
	struct lmc_tasks *ts;
	struct lmc_task t = {.pidfd = -1}, *old;
	char id[LMC_TASK_ID_MAX + 1];
	int r = lmc_mgr_lookup(m, uname, false, &node, err);

	if (r >= 0)
		r = tasks_or_fail(m, &ts, err);
	if (r < 0)
		return r;
	if (want && !lmc_task_id_valid(want))
		return lmc_err_set(err, -EINVAL,
				   "%s: task id '%.64s' is not 1-64 of [A-Za-z0-9_.-]", node->name,
				   want);
	old = want ? lmc_tasks_find(ts, node->name, want) : NULL;
	*ret_existed = old != NULL;
	if (old)
		return lmc_task_copy(old, ret) < 0 ? lmc_err_set(err, -ENOMEM, "out of memory") : 0;
	if (want)
		snprintf(id, sizeof(id), "%s", want);
	else
		lmc_tasks_new_id(ts, node->name, id);
	r = new_record(node->name, id, o, uid, &t);
	if (r >= 0)
		r = lmc_task_copy(&t, ret);
	if (r < 0) {
		lmc_task_done(&t);
		return lmc_err_set(err, -ENOMEM, "out of memory");
	}
	t.oom_kills = oom_kills(m, node->name);
	settle_for_room(m, ts, node->name);
	r = lmc_tasks_add(ts, &t, err);
	lmc_task_done(&t);
	if (r < 0)
		lmc_task_done(ret);
	return r;
}

void lmc_mgr_task_started(struct lmc_manager *m, const char *container, const char *id, pid_t pid,
			  int pidfd)
{
	struct lmc_tasks *ts = lmc_mgr_tasks(m);
	struct lmc_task *t = ts ? lmc_tasks_find(ts, container, id) : NULL;

	if (!t)
		return;
	t->pid = pid;
	if (lmc_ns_proc_start(pid, &t->pid_start) < 0)
		t->pid_start = 0; /* exited already: its status comes through the pidfd */
	t->pidfd = pidfd >= 0 ? fcntl(pidfd, F_DUPFD_CLOEXEC, 3) : -1;
	lmc_tasks_started(ts, t);
}

void lmc_mgr_task_start_failed(struct lmc_manager *m, const char *container, const char *id)
{
	struct lmc_tasks *ts = lmc_mgr_tasks(m);

	if (ts)
		lmc_tasks_delete(ts, container, id);
}

/* The record, its stdio logs, then the process: the agent's asynchronous start where w is
 * given (lmc_mgr_run_start; the record says started when the start completes), else the
 * whole start here (lmc_mgr_run). A failure leaves the record failed. */
static int task_launch(struct lmc_manager *m, const char *uname, const struct lmc_run_opts *o,
		       uid_t uid, struct lmc_task *ret, bool *ret_existed,
		       struct lmc_ns_spawn_wait *w, int *ret_pidfd, struct lmc_err *err)
{
	struct lmc_run_opts oo = *o;
	int fds[2] = {-1, -1}, r;

	r = task_begin(m, uname, o, uid, ret, ret_existed, err);
	if (r < 0 || *ret_existed)
		return r;
	if (o->log)
		r = log_stdio(m->tasks, ret->container, ret->id, &oo, fds, err);
	if (r >= 0)
		r = w ? lmc_mgr_run_start(m, ret->container, &oo, w, err)
		      : lmc_mgr_run(m, ret->container, &oo, &ret->pid, ret_pidfd, err);
	for (int i = 0; i < 2; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	if (r < 0) {
		lmc_mgr_task_start_failed(m, ret->container, ret->id);
		lmc_task_done(ret);
		return r;
	}
	if (!w)
		lmc_mgr_task_started(m, ret->container, ret->id, ret->pid, *ret_pidfd);
	return 0;
}

int lmc_mgr_task_run_start(struct lmc_manager *m, const char *uname, const struct lmc_run_opts *o,
			   uid_t uid, struct lmc_task *ret, bool *ret_existed,
			   struct lmc_ns_spawn_wait *w, struct lmc_err *err)
{
	return task_launch(m, uname, o, uid, ret, ret_existed, w, NULL, err);
}

int lmc_mgr_task_run(struct lmc_manager *m, const char *uname, const struct lmc_run_opts *o,
		     uid_t uid, struct lmc_task *ret, bool *ret_existed, int *ret_pidfd,
		     struct lmc_err *err)
{
	*ret_pidfd = -1;
	return task_launch(m, uname, o, uid, ret, ret_existed, NULL, ret_pidfd, err);
}

void lmc_mgr_task_ended(struct lmc_manager *m, const char *container, const char *id, int wstatus,
			const char *why)
{
	struct lmc_tasks *ts = lmc_mgr_tasks(m);
	struct lmc_task *t = ts ? lmc_tasks_find(ts, container, id) : NULL;

	/* The OOM count tells only a SIGKILL apart (oom_killed or signaled): not read else. */
	bool killed = wstatus >= 0 && WIFSIGNALED(wstatus) && WTERMSIG(wstatus) == SIGKILL;

	if (t && t->state == LMC_TASK_RUNNING)
		lmc_tasks_ended(ts, t, wstatus, killed ? oom_kills(m, container) : UINT64_MAX, why);
}

void lmc_mgr_task_end_unheld(const struct lmc_manager_opts *opts, const char *container,
			     const char *id, pid_t pid, int wstatus)
{
	char name[LMC_NAME_MAX + 1];
	struct lmc_store_opts so;
	struct lmc_store *st = NULL;
	struct lmc_tasks *ts = NULL;
	struct lmc_manager *m = NULL;
	struct lmc_task *t;

	if (WIFSIGNALED(wstatus) && WTERMSIG(wstatus) == SIGKILL) {
		if (lmc_mgr_open(opts, &m, NULL) >= 0)
			lmc_mgr_task_ended(m, container, id, wstatus, NULL);
		lmc_mgr_free(m);
		return;
	}
	/* an open's state lock and the leaf's records (as lmc_mgr_tasks for a scope), no more:
	 * the cgroups, the machine and the container records cost a direct run 0.2 ms again */
	lmc_mgr_store_opts(opts, &so);
	if (lmc_name_parse(container, name, NULL) < 0 || !name[0] ||
	    lmc_store_open(&so, &st, NULL) < 0)
		return;
	if (tasks_open_in(st, name, &ts) >= 0) {
		t = lmc_tasks_find(ts, name, id);
		/* the pid too: a task of the same id in a container made again meanwhile */
		if (t && t->state == LMC_TASK_RUNNING && t->pid == pid)
			lmc_tasks_ended(ts, t, wstatus, UINT64_MAX, NULL);
		lmc_tasks_free(ts);
	}
	lmc_store_free(st);
}

/* A process found again by pid and start time (lmc_task_probe) is the task's only if it is
 * in the task's container (or below): a pid recycled within the clock tick of its start
 * (10 ms) passes both, and the task's signal would then reach it. The pidfd was opened
 * before the start time was checked, so the /proc entry read here is that process's (unless
 * it died and its pid was taken again in between). False: it is not (its pidfd closed). */
static bool task_in_place(struct lmc_manager *m, struct lmc_task *t)
{
	bool in = true;

	if (lmc_cgfs_pid_under(m->cg, t->pid, t->container, &in) < 0 || in)
		return true; /* in place, or gone meanwhile: the next look says how it ended */
	close(t->pidfd);
	t->pidfd = -1;
	return false;
}

/* A running record nobody has seen end: is its process still there? (Direct mode, or an
 * agent that has not watched it yet.) */
static void refresh(struct lmc_manager *m, struct lmc_tasks *ts, struct lmc_task *t)
{
	int ws, r;

	if (t->state != LMC_TASK_RUNNING || t->pid <= 0)
		return; /* ended, or starting */
	if (t->pidfd >= 0) {
		if (lmc_ns_pidfd_alive(t->pidfd))
			return;
		r = lmc_task_exit_status(t, &ws) < 0 ? -ESRCH : 1;
	} else {
		r = lmc_task_probe(t, &ws);
		if (r == 0 && !task_in_place(m, t)) {
			lmc_tasks_ended(ts, t, -1, UINT64_MAX,
					"ended while no agent watched it; its pid is now a process "
					"outside the container");
			return;
		}
	}
	if (r == 1)
		lmc_tasks_ended(ts, t, ws, oom_kills(m, t->container), NULL);
	else if (r < 0)
		lmc_tasks_ended(ts, t, -1, UINT64_MAX,
				"ended while no agent watched it; the kernel kept no status");
}

static int find(struct lmc_manager *m, const char *uname, const char *id, struct lmc_tasks **ts,
		struct lmc_task **ret, struct lmc_err *err)
{
	struct lmc_node *node;
	int r = lmc_mgr_lookup(m, uname, false, &node, err);

	if (r >= 0)
		r = tasks_or_fail(m, ts, err);
	if (r < 0)
		return r;
	*ret = lmc_tasks_find(*ts, node->name, id);
	if (!*ret)
		return lmc_err_set(err, -ENOENT, "%s: no task '%.64s'", node->name, id);
	refresh(m, *ts, *ret);
	return 0;
}

int lmc_mgr_task_get(struct lmc_manager *m, const char *uname, const char *id, struct lmc_task *ret,
		     struct lmc_err *err)
{
	struct lmc_tasks *ts;
	struct lmc_task *t;
	int r = find(m, uname, id, &ts, &t, err);

	if (r < 0)
		return r;
	return lmc_task_copy(t, ret) < 0 ? lmc_err_set(err, -ENOMEM, "out of memory") : 0;
}

int lmc_mgr_task_list(struct lmc_manager *m, const char *uname, bool recursive,
		      struct lmc_task **ret, size_t *ret_n, struct lmc_err *err)
{
	struct lmc_node *node;
	struct lmc_tasks *ts;
	struct lmc_task *t;
	int r = lmc_mgr_lookup(m, uname, true, &node, err);

	if (r >= 0)
		r = tasks_or_fail(m, &ts, err);
	if (r < 0)
		return r;
	if (!node->parent)
		recursive = true; /* the root runs nothing: all of it */
	/* Refresh what is running in scope (copies are taken after). */
	r = lmc_tasks_list(ts, node->name, recursive, &t, ret_n);
	if (r < 0)
		return lmc_err_set(err, r, "out of memory");
	for (size_t i = 0; i < *ret_n; i++) {
		struct lmc_task *x = lmc_tasks_find(ts, t[i].container, t[i].id);

		if (x && x->state == LMC_TASK_RUNNING)
			refresh(m, ts, x);
	}
	lmc_tasks_list_free(t, *ret_n);
	r = lmc_tasks_list(ts, node->name, recursive, ret, ret_n);
	return r < 0 ? lmc_err_set(err, r, "out of memory") : 0;
}

int lmc_mgr_task_signal(struct lmc_manager *m, const char *uname, const char *id, int sig,
			struct lmc_err *err)
{
	struct lmc_tasks *ts;
	struct lmc_task *t;
	int r = find(m, uname, id, &ts, &t, err);

	if (r < 0)
		return r;
	if (sig < 0 || sig > SIGRTMAX)
		return lmc_err_set(err, -EINVAL, "%s: task %s: invalid signal %d", t->container, id,
				   sig);
	if (t->state == LMC_TASK_RUNNING && t->pid <= 0)
		return lmc_err_set(err, -EAGAIN, "%s: task %s is starting", t->container, id);
	if (t->state != LMC_TASK_RUNNING || t->pidfd < 0)
		return lmc_err_set(err, -ESRCH, "%s: task %s has ended (%s)", t->container, id,
				   lmc_task_state_str(t->state));
	if (syscall(SYS_pidfd_send_signal, t->pidfd, sig ? sig : SIGKILL, NULL, 0) < 0)
		return lmc_err_set(err, lmc_negerrno(), "%s: task %s: signal: %m", t->container,
				   id);
	return 0;
}

int lmc_mgr_task_delete(struct lmc_manager *m, const char *uname, const char *id, bool force,
			struct lmc_err *err)
{
	struct lmc_tasks *ts;
	struct lmc_task *t;
	char name[LMC_NAME_MAX + 1];
	int r = find(m, uname, id, &ts, &t, err);

	if (r < 0)
		return r;
	snprintf(name, sizeof(name), "%s", t->container);
	if (t->state == LMC_TASK_RUNNING && t->pid <= 0)
		return lmc_err_set(err, -EBUSY, "%s: task %s is starting", name, id);
	if (t->state == LMC_TASK_RUNNING && !force)
		return lmc_err_set(err, -EBUSY, "%s: task %s is running (kill it first, or force)",
				   name, id);
	if (t->state == LMC_TASK_RUNNING && t->pidfd >= 0) {
		syscall(SYS_pidfd_send_signal, t->pidfd, SIGKILL, NULL, 0);
		if (lmc_ns_wait_readable(t->pidfd, TASK_KILL_WAIT_MS) < 0)
			return lmc_err_set(err, -EBUSY, "%s: task %s: still running after SIGKILL",
					   name, id);
	}
	return lmc_tasks_delete(ts, name, id);
}

int lmc_mgr_task_log(struct lmc_manager *m, const char *uname, const char *id, uint64_t offset,
		     size_t max, uint8_t **ret_buf, size_t *ret_len, uint64_t *ret_next,
		     bool *ret_rotated, bool *ret_ended, struct lmc_err *err)
{
	struct lmc_tasks *ts;
	struct lmc_task *t;
	int r = find(m, uname, id, &ts, &t, err);

	if (r < 0)
		return r;
	if (!t->log)
		return lmc_err_set(err, -ENODATA,
				   "%s: task %s has no log (it was not started detached)",
				   t->container, id);
	*ret_ended = t->state != LMC_TASK_RUNNING; /* before the read: nothing comes after */
	r = lmc_tasks_log_read(ts, t->container, id, offset, max, ret_buf, ret_len, ret_next,
			       ret_rotated);
	if (r < 0)
		return lmc_err_set(err, r, "%s: task %s: cannot read its log: %s", t->container, id,
				   strerror(-r));
	return 0;
}

void lmc_mgr_tasks_recover(struct lmc_manager *m,
			   void (*watch)(const struct lmc_task *t, void *userdata),
			   void (*ended)(struct lmc_task *t, void *userdata),
			   void (*report)(const char *name, const char *what, void *userdata),
			   void *userdata)
{
	struct lmc_tasks *ts = lmc_mgr_tasks(m);
	_cleanup_free_ struct lmc_task **l = NULL;
	size_t n;
	char msg[128];

	/* Only the running records, found once each (a restart with 10,000 records kept must
	 * not look each of them up in the table). */
	if (!ts || lmc_tasks_running(ts, &l, &n) < 0)
		return;
	for (size_t i = 0; i < n; i++) {
		struct lmc_task *t = l[i];

		refresh(m, ts, t);
		if (t->state == LMC_TASK_RUNNING) {
			watch(t, userdata);
			continue;
		}
		snprintf(msg, sizeof(msg), "task %s (pid %d) ended while the agent was down: %s",
			 t->id, (int)t->pid, lmc_task_state_str(t->state));
		report(t->container, msg, userdata);
		if (t->state != LMC_TASK_RUNNING)
			ended(t, userdata);
	}
}

void lmc_mgr_tasks_forget(struct lmc_manager *m, const char *name)
{
	struct lmc_tasks *ts = lmc_mgr_tasks(m);

	if (ts)
		lmc_tasks_drop_container(ts, name);
}
