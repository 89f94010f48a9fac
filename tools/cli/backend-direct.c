/* The direct backend: the CLI works alone through core/manager, serialised with the agent
 * and other lmctl processes by the state directory lock. */
#include "tools/cli/backend.h"
#include "tools/cli/cli.h"

#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/manager.h"
#include "nsutil/ns.h"
#include "proto/api.h"

struct direct {
	struct lmc_backend b;
	struct lmc_manager *m;
	struct lmc_manager_opts opts;
};

static struct lmc_manager *mgr(struct lmc_backend *b)
{
	return container_of(b, struct direct, b)->m;
}

static int d_info(struct lmc_backend *b, struct lmc_machine_info *ret, struct lmc_err *err)
{
	int r = lmc_mgr_info(mgr(b), ret);

	return r < 0 ? lmc_err_set(err, r, "cannot read machine facts: %s", strerror(-r)) : 0;
}

static int d_init(struct lmc_backend *b, uint64_t reserve_mem, uint64_t reserve_cpu_m,
		  struct lmc_err *err)
{
	return lmc_mgr_init(mgr(b), reserve_mem, reserve_cpu_m, err);
}

/* As the agent: a create that finds its very spec succeeds (a retry), another is refused. */
static int d_create(struct lmc_backend *b, const char *name, const struct lmc_spec *spec,
		    struct lmc_err *err)
{
	struct lmc_spec have;
	int r = lmc_mgr_create(mgr(b), name, spec, err);

	if (r != -EEXIST)
		return r;
	if (lmc_mgr_spec(mgr(b), name, &have, NULL, NULL) >= 0 &&
	    lmc_codec_spec_same(spec, &have)) {
		lmc_err_clear(err);
		return 0;
	}
	lmc_err_reset(err, -EEXIST,
		      "%s: already exists with a different spec (an identical create succeeds)",
		      lmc_name_display(name));
	return lmc_err_facts(err, LMC_EC_ALREADY_EXISTS, name, NULL, LMC_ERR_NOVAL, LMC_ERR_NOVAL,
			     NULL);
}

static int d_update(struct lmc_backend *b, const char *name, const struct lmc_spec *upd, bool force,
		    struct lmc_err *err)
{
	return lmc_mgr_update(mgr(b), name, upd, force, err);
}

static int d_destroy(struct lmc_backend *b, const char *name, bool recursive, struct lmc_err *err)
{
	return lmc_mgr_destroy(mgr(b), name, recursive, err);
}

static int d_list(struct lmc_backend *b, const char *name, bool recursive, bool want_pids,
		  struct lmc_list_entry **ret, size_t *ret_n, struct lmc_err *err)
{
	return lmc_mgr_list(mgr(b), name, recursive, want_pids, ret, ret_n, err);
}

static int d_spec(struct lmc_backend *b, const char *name, struct lmc_spec *ret_spec,
		  struct lmc_effective *ret_eff, struct lmc_err *err)
{
	return lmc_mgr_spec(mgr(b), name, ret_spec, ret_eff, err);
}

static int d_stats(struct lmc_backend *b, const char *name, bool recursive, unsigned fields,
		   struct lmc_stats_entry **ret, size_t *ret_n, struct lmc_err *err)
{
	return lmc_mgr_stats_fields(mgr(b), name, recursive, fields, ret, ret_n, err);
}

/* Start, then let go of the manager (and so of the state lock) while the command runs:
 * a long foreground run must not block every other lmctl. */
static int d_run(struct lmc_backend *b, const char *name, const struct lmc_run_opts *o,
		 pid_t *ret_pid, int *ret_status, struct lmc_err *err)
{
	struct direct *d = container_of(b, struct direct, b);
	_cleanup_close_ int pidfd = -EBADF;
	struct lmc_task t = {.pidfd = -1};
	bool existed = false;
	int r;

	if (o->set_ids)
		lmc_cli_nss_files(); /* the user's groups (core/manager-ids.c) */
	r = lmc_mgr_task_run(d->m, name, o, getuid(), &t, &existed, &pidfd, err);
	if (r < 0)
		return r;
	*ret_pid = t.pid;
	snprintf(b->task_id, sizeof(b->task_id), "%s", t.id);
	b->task_existed = existed;
	if (existed) {
		/* Nothing started: the task's own status, as a shell would give it. */
		if (ret_status)
			*ret_status = t.state == LMC_TASK_EXITED ? t.exit_code
				      : t.signal		 ? 128 + t.signal
								 : 0;
		lmc_task_done(&t);
		return 0;
	}
	lmc_task_done(&t);
	if (o->detach)
		return 0;
	lmc_mgr_free(d->m);
	d->m = NULL;
	/* The terminal's signals reach the command itself (same process group); lmctl stays
	 * to report its status. */
	signal(SIGINT, SIG_IGN);
	signal(SIGQUIT, SIG_IGN);
	r = lmc_ns_wait(t.pid, pidfd, -1, ret_status);
	if (r < 0)
		return lmc_err_set(err, r, "run: waiting for pid %d: %s", t.pid, strerror(-r));
	/* Its record gets its end (best effort: the next reader would find it ended anyway). */
	lmc_mgr_task_end_unheld(&d->opts, name, b->task_id, *ret_pid,
				*ret_status > 128 ? *ret_status - 128 : (*ret_status & 0xff) << 8);
	return 0;
}

static int d_enter(struct lmc_backend *b, const char *name, const pid_t *pids, size_t n,
		   struct lmc_err *err)
{
	return lmc_mgr_enter(mgr(b), name, pids, n, err);
}

static int d_kill(struct lmc_backend *b, const char *name, int sig, bool recursive,
		  struct lmc_err *err)
{
	return lmc_mgr_kill(mgr(b), name, sig, recursive, err);
}

static int d_pause(struct lmc_backend *b, const char *name, struct lmc_err *err)
{
	return lmc_mgr_pause(mgr(b), name, err);
}

static int d_resume(struct lmc_backend *b, const char *name, struct lmc_err *err)
{
	return lmc_mgr_resume(mgr(b), name, err);
}

#define MAX_SOURCES 3

static int add_source(struct lmc_evsrc **srcs, size_t *n, int r, struct lmc_evsrc *s,
		      struct lmc_err *err)
{
	if (r < 0)
		return r;
	srcs[(*n)++] = s;
	(void)err;
	return 0;
}

static int open_sources(struct lmc_manager *m, const char *name, const struct lmc_event_filter *f,
			struct lmc_evsrc **srcs, size_t *n, struct lmc_err *err)
{
	struct lmc_evsrc *s = NULL;
	int r;

	if (f->oom) {
		r = lmc_mgr_events_open(m, name, LMC_EVK_OOM, 0, &s, err);
		if (add_source(srcs, n, r, s, err) < 0)
			return r;
	}
	if (f->mem_threshold != LMC_UNSET) {
		r = lmc_mgr_events_open(m, name, LMC_EVK_THRESHOLD, f->mem_threshold, &s, err);
		if (add_source(srcs, n, r, s, err) < 0)
			return r;
	}
	if (f->empty) {
		r = lmc_mgr_events_open(m, name, LMC_EVK_EMPTY, 0, &s, err);
		if (add_source(srcs, n, r, s, err) < 0)
			return r;
	}
	if (f->evicted && !*n)
		return lmc_err_set(err, -EOPNOTSUPP,
				   "events --evicted: eviction is done by the agent (lmctld) only; "
				   "direct mode does not evict");
	if ((f->lifecycle || f->started || f->resume) && !*n)
		return lmc_err_set(err, -EOPNOTSUPP,
				   "events --lifecycle, --started, --since: the agent (lmctld) "
				   "numbers and keeps events; direct mode does not");
	if (f->exit && !*n)
		return lmc_err_set(
			err, -EOPNOTSUPP,
			"events --exit: process exits are reported by the agent (lmctld) only");
	return 0;
}

static int poll_sources(struct lmc_evsrc **srcs, size_t n, lmc_event_cb cb, void *userdata)
{
	struct pollfd pfd[MAX_SOURCES];

	for (size_t i = 0; i < n; i++)
		pfd[i] = (struct pollfd){.fd = lmc_events_fd(srcs[i]), .events = POLLIN};
	for (;;) {
		if (poll(pfd, n, -1) < 0) {
			if (errno == EINTR)
				continue;
			return lmc_negerrno();
		}
		for (size_t i = 0; i < n; i++) {
			struct lmc_event ev = {0};
			struct timespec ts;
			bool fired = false;
			int r;

			if (!pfd[i].revents)
				continue;
			r = lmc_events_read(srcs[i], &fired, &ev.value);
			/* v1: the OOM is counted a little after its notification (2 ms steps). */
			for (int k = 1; r >= 0 && !fired && lmc_events_oom_pending(srcs[i]); k++) {
				usleep(2000);
				r = lmc_events_oom_recheck(srcs[i], k >= 250, &fired, &ev.value);
			}
			if (r < 0)
				return r;
			if (!fired)
				continue;
			snprintf(ev.name, sizeof(ev.name), "%s", lmc_events_name(srcs[i]));
			ev.kind = lmc_events_kind(srcs[i]);
			clock_gettime(CLOCK_REALTIME, &ts);
			ev.timestamp_ns = ts.tv_sec * 1000000000ULL + ts.tv_nsec;
			do {
				if (ev.kind == LMC_EVK_THRESHOLD)
					ev.direction = lmc_events_direction(srcs[i]);
				r = cb(&ev, userdata);
			} while (r >= 0 && lmc_events_more(srcs[i]));
			if (r < 0)
				return r;
		}
	}
}

/* Direct mode watches the kernel itself. The CLI opens the backend without the state lock
 * for this (a reader), so a long watch blocks no other lmctl. */
static int d_events(struct lmc_backend *b, const char *name, const struct lmc_event_filter *f,
		    lmc_event_cb cb, void *userdata, struct lmc_err *err)
{
	struct lmc_evsrc *srcs[MAX_SOURCES];
	char canon[LMC_NAME_MAX + 1];
	size_t n = 0;
	int r;

	r = lmc_mgr_find(mgr(b), name, canon, err);
	if (r < 0)
		return r;
	r = open_sources(mgr(b), canon, f, srcs, &n, err);
	if (r >= 0)
		r = poll_sources(srcs, n, cb, userdata);
	for (size_t i = 0; i < n; i++)
		lmc_events_free(srcs[i]);
	return r;
}

static void d_close(struct lmc_backend *b)
{
	struct direct *d = container_of(b, struct direct, b);

	lmc_mgr_free(d->m);
	free(d);
}

/* Wait for a task's end without holding the state directory lock. */
static int d_task_wait(struct direct *d, const struct lmc_task_query *q,
		       struct lmc_task_answer *ret, struct lmc_err *err)
{
	struct lmc_task t = {.pidfd = -1};
	int r, ws;

	for (;;) {
		r = lmc_mgr_task_get(d->m, q->name, q->task_id, &t, err);
		if (r < 0)
			return r;
		if (t.state != LMC_TASK_RUNNING || t.pid <= 0) /* ended, or a start under way */
			break;
		lmc_mgr_free(d->m);
		d->m = NULL;
		/* Still running: until it ends. Ended (and maybe reaped) since the look above:
		 * look again at once, which records its end (it answered "running" here). */
		if (lmc_task_probe(&t, &ws) == 0)
			lmc_ns_wait_readable(t.pidfd, -1);
		lmc_task_done(&t);
		r = lmc_mgr_open(&d->opts, &d->m, err);
		if (r < 0)
			return r;
	}
	ret->tasks = malloc(sizeof(*ret->tasks));
	if (!ret->tasks) {
		lmc_task_done(&t);
		return lmc_err_set(err, -ENOMEM, "out of memory");
	}
	ret->tasks[0] = t;
	ret->n = 1;
	return 0;
}

static int d_task(struct lmc_backend *b, const struct lmc_task_query *q,
		  struct lmc_task_answer *ret, struct lmc_err *err)
{
	struct direct *d = container_of(b, struct direct, b);
	size_t max = q->max_bytes ? q->max_bytes : (1u << 20);
	int r;

	memset(ret, 0, sizeof(*ret));
	switch (q->op) {
	case LMC_TASK_OP_GET:
		ret->tasks = calloc(1, sizeof(*ret->tasks));
		if (!ret->tasks)
			return lmc_err_set(err, -ENOMEM, "out of memory");
		r = lmc_mgr_task_get(d->m, q->name, q->task_id, ret->tasks, err);
		ret->n = r < 0 ? 0 : 1;
		return r;
	case LMC_TASK_OP_LIST:
		return lmc_mgr_task_list(d->m, q->name, q->recursive, &ret->tasks, &ret->n, err);
	case LMC_TASK_OP_WAIT:
		return d_task_wait(d, q, ret, err);
	case LMC_TASK_OP_DELETE:
		return lmc_mgr_task_delete(d->m, q->name, q->task_id, q->force, err);
	case LMC_TASK_OP_SIGNAL:
		return lmc_mgr_task_signal(d->m, q->name, q->task_id, q->sig, err);
	case LMC_TASK_OP_LOG:
		return lmc_mgr_task_log(d->m, q->name, q->task_id, q->offset, max, &ret->log,
					&ret->log_len, &ret->log_next, &ret->log_rotated,
					&ret->log_ended, err);
	}
	return lmc_err_set(err, -EINVAL, "unknown task operation");
}

void lmc_task_answer_done(struct lmc_task_answer *a)
{
	lmc_tasks_list_free(a->tasks, a->n);
	a->tasks = NULL;
	a->n = 0;
	free(a->log);
	a->log = NULL;
}

static const struct lmc_backend_ops direct_ops = {
	.name = "direct",
	.info = d_info,
	.init = d_init,
	.create = d_create,
	.update = d_update,
	.destroy = d_destroy,
	.list = d_list,
	.spec = d_spec,
	.stats = d_stats,
	.run = d_run,
	.enter = d_enter,
	.kill = d_kill,
	.pause = d_pause,
	.resume = d_resume,
	.events = d_events,
	.close = d_close,
	.task = d_task,
};

/* Direct mode has no log: what opening the state recovered is said on stderr, once. */
static void warn_note(const char *name, const char *what, void *userdata)
{
	(void)userdata;
	fprintf(stderr, "lmctl: warning: %s%s%s\n", name, name[0] ? ": " : "", what);
}

int lmc_backend_direct_open(const struct lmc_manager_opts *opts, struct lmc_backend **ret,
			    struct lmc_err *err)
{
	struct direct *d = calloc(1, sizeof(*d));
	int r;

	if (!d)
		return lmc_err_set(err, -ENOMEM, "out of memory");
	d->b.ops = &direct_ops;
	d->opts = *opts;
	r = lmc_mgr_open(opts, &d->m, err);
	if (r < 0) {
		free(d);
		return r;
	}
	lmc_mgr_notes(d->m, warn_note, NULL);
	*ret = &d->b;
	return 0;
}
