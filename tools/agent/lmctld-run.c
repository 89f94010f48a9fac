/* lmctld: the processes it started (their exits), runs whose start-up is under way, and
 * the order of a connection's replies.
 *
 * A run's child is cloned, placed and released on the loop (lmc_mgr_run_start: no
 * waiting); its report (exec reached, or which step failed) is read when its channel
 * becomes readable, and a child that says nothing within LMC_NS_HANDSHAKE_MS (frozen from
 * outside, stuck in a path look-up) is killed and the run refused. Meanwhile every other
 * client is served. A connection with such a request (or a deferred stats or pause) is
 * held: its later frames wait, so a pipelining client gets its replies in order.
 *
 * A create with namespaces goes the same way (lmc_mgr_create_start on the loop: checks,
 * CREATING record, cgroups, limits, the init released), its init's report read when its
 * channel becomes readable (lmc_mgr_create_finish: READY record); a failure or a silent
 * init is undone on a worker (kill, wait, rmdir), then refused. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "nsutil/ns.h"
#include "tools/agent/lmctld-metrics.h"
#include "base/crashpoint.h"
#include "tools/agent/lmctld.h"

/* ---------------- processes the agent started ---------------- */

void lmc_agent_proc_free(struct proc *p)
{
	struct agent *a = p->a;

	ev_io_stop(a->loop, &p->io);
	if (p->pidfd >= 0)
		close(p->pidfd);
	if (p->prev)
		p->prev->next = p->next;
	else
		a->procs = p->next;
	if (p->next)
		p->next->prev = p->prev;
	free(p);
}

/* A run's STARTED or EXIT event: its container, pid and task. */
static void proc_event(struct agent *a, const struct proc *p, enum lmc_events_kind kind,
		       int wstatus)
{
	struct lmc_evrec ev = {.kind = kind, .pid = p->pid, .wstatus = wstatus};

	snprintf(ev.name, sizeof(ev.name), "%s", p->name);
	snprintf(ev.detail, sizeof(ev.detail), "%s", kind == LMC_EVK_EXIT ? p->reason : "");
	snprintf(ev.task_id, sizeof(ev.task_id), "%s", p->task_id);
	lmc_agent_event(a, &ev);
}

static void on_proc_exit(struct ev_loop *loop, ev_io *w, int revents)
{
	struct proc *p = container_of(w, struct proc, io);
	int wstatus, ws, r;
	uint8_t *buf;
	size_t len;

	(void)loop;
	(void)revents;
	/* waitid for our children; what the kernel kept for one adopted after a restart */
	r = lmc_agent_proc_status(p->a, p, &wstatus);
	if (r == -EAGAIN)
		return; /* not yet */
	/* Who waits hears first (the attached caller, subscribers: the event is journaled as it
	 * goes out); the record, TaskWait answers and the log line follow in this same
	 * callback, before any other request is read. An agent killed in between finds the
	 * record running at its restart and the end in the journal: the record takes that
	 * status, and no second event goes out (lmctld-tasks.c, outage_events). */
	ws = wstatus < 0 ? 255 << 8 : wstatus; /* as before tasks: reaped elsewhere, unknown */
	if (p->c && lmc_api_reply_exit_task(p->id, p->pid, ws, p->task_id, &buf, &len) >= 0)
		lmc_agent_send(p->c, buf, len);
	proc_event(p->a, p, LMC_EVK_EXIT, ws);
	lmc_crash_point("exit-after-event");
	lmc_agent_task_ended(p->a, p, wstatus);
	if (wstatus >= 0)
		lmc_agent_log("%s: pid %d ended (%s %d)%s%s", lmc_name_display(p->name),
			      (int)p->pid, WIFEXITED(wstatus) ? "exit" : "signal",
			      WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : WTERMSIG(wstatus),
			      p->reason[0] ? ": " : "", p->reason);
	else
		lmc_agent_log("%s: pid %d ended, status unknown", lmc_name_display(p->name),
			      (int)p->pid);
	lmc_agent_proc_free(p);
}

struct proc *lmc_agent_proc_add(struct agent *a, const char *name, const char *task_id, pid_t pid,
				int pidfd, bool child, struct client *c, uint64_t id)
{
	struct proc *p = calloc(1, sizeof(*p));

	if (!p) {
		if (pidfd >= 0)
			close(pidfd);
		return NULL;
	}
	p->a = a;
	p->pid = pid;
	p->pidfd = pidfd >= 0 ? pidfd : lmc_ns_pidfd_open(pid);
	p->id = id;
	p->c = c;
	p->child = child;
	snprintf(p->name, sizeof(p->name), "%s", name);
	snprintf(p->task_id, sizeof(p->task_id), "%s", task_id ? task_id : "");
	p->next = a->procs;
	if (a->procs)
		a->procs->prev = p;
	a->procs = p;
	ev_io_init(&p->io, on_proc_exit, p->pidfd, EV_READ);
	if (p->pidfd >= 0)
		ev_io_start(a->loop, &p->io);
	return p;
}

struct proc *lmc_agent_run_started(struct agent *a, struct client *c,
				   const struct lmc_api_peer *peer, struct lmc_api_result *res)
{
	struct proc *p;

	p = lmc_agent_proc_add(a, res->name, res->task_id, res->pid,
			       res->pidfd >= 0 ? TAKE_FD(res->pidfd) : -1, true,
			       res->detached ? NULL : c, res->id);
	if (!p) {
		/* Cannot watch it: it still runs; answer what we know. */
		if (c)
			lmc_agent_send_error(c, res->id, -ENOMEM, "started but cannot be watched");
		return NULL;
	}
	/* The caller first, then the log line and the STARTED event. */
	if (res->detached && c && res->reply)
		lmc_agent_send(c, TAKE_PTR(res->reply), res->reply_len);
	lmc_agent_log("%s: uid %u started pid %d, task %s%s", lmc_name_display(p->name),
		      (unsigned)peer->uid, (int)p->pid, p->task_id,
		      res->detached ? " (detached)" : "");
	/* Its container and those above it hold a process now, seen by a sample or not; kept
	 * for a restart before anyone hears of it (the v1 guest's agent was killed between
	 * the STARTED event and a later save, and its restart missed the emptying). */
	for (struct src *x = a->srcs; x; x = x->next)
		if (lmc_events_kind(x->s) == LMC_EVK_EMPTY &&
		    lmc_name_is_under(p->name, lmc_events_name(x->s))) {
			lmc_events_note_populated(x->s);
			lmc_agent_watch_seen(a, LMC_EVK_EMPTY, lmc_events_name(x->s), 1);
		}
	lmc_agent_watch_flush(a);
	proc_event(a, p, LMC_EVK_STARTED, 0);
	return p;
}

/* ---------------- runs starting ---------------- */

static void create_start_free(struct create_start *q);
static void init_start_end(struct init_start *q, int r, const struct lmc_err *err);

void lmc_agent_client_hold(struct client *c)
{
	if (c->held++ == 0)
		ev_io_stop(c->a->loop, &c->rio);
}

/* The held request is answered: read on, starting with frames already buffered. */
void lmc_agent_client_release(struct client *c)
{
	struct agent *a = c->a;

	if (--c->held > 0 || c->dead)
		return;
	/* The time held is not the client's: a frame begun meanwhile gets its whole bound. */
	if (c->frame_start)
		c->frame_start = ev_now(a->loop);
	if (c->out_len - c->out_off > OUT_PAUSE)
		return; /* back-pressure: the write side starts reading again */
	ev_io_start(a->loop, &c->rio);
	/* Frames read with the held one wait in the reader: the socket will not say so. What
	 * came meanwhile the socket says (level-triggered), and the reader must look then
	 * (outside the read callback; inside it, its last read was just now). */
	if (!c->busy)
		c->rd.drained = false;
	if (lmc_frame_reader_pending(&c->rd))
		ev_feed_event(a->loop, &c->rio, EV_READ);
}

static void run_start_free(struct run_start *q)
{
	struct agent *a = q->a;

	ev_io_stop(a->loop, &q->io);
	ev_timer_stop(a->loop, &q->timer);
	lmc_ns_spawn_cancel(&q->w); /* nothing left to cancel once finished */
	if (q->prev)
		q->prev->next = q->next;
	else
		a->run_starts = q->next;
	if (q->next)
		q->next->prev = q->prev;
	free(q);
}

/* The report is in (r: lmc_ns_spawn_finish's result) or the bound passed. */
static void run_start_done(struct run_start *q, int r, pid_t pid, int pidfd,
			   const struct lmc_err *err)
{
	struct lmc_api_result res = {.action = LMC_API_RUN,
				     .id = q->id,
				     .pid = pid,
				     .pidfd = pidfd,
				     .detached = q->detached};
	struct lmc_api_peer peer = q->peer;
	struct agent *a = q->a;
	struct client *c = q->c;

	snprintf(res.name, sizeof(res.name), "%s", q->name);
	snprintf(res.task_id, sizeof(res.task_id), "%s", q->task_id);
	if (r < 0)
		lmc_agent_log("uid %u (pid %d): run %s: failed: %s", (unsigned)peer.uid,
			      (int)peer.pid, q->name, lmc_err_str(err));
	/* Its task: started (stored before anyone hears of it: a client told the task id and
	 * pid finds the task after a kill -9 of the agent, and a retry of the same run gets it
	 * instead of a second process), or forgotten. */
	if (r < 0)
		lmc_mgr_task_start_failed(a->m, q->name, q->task_id);
	else
		lmc_mgr_task_started(a->m, q->name, q->task_id, pid, pidfd);
	run_start_free(q);
	if (c)
		lmc_agent_client_release(c);
	if (r < 0) {
		if (c)
			lmc_agent_send_error(c, res.id, r, lmc_err_str(err));
		return;
	}
	struct lmc_task started = {.pid = pid, .pidfd = -1};

	snprintf(started.id, sizeof(started.id), "%s", res.task_id);
	if (res.detached &&
	    lmc_api_reply_run_task(res.id, &started, false, &res.reply, &res.reply_len) < 0)
		res.reply = NULL;
	lmc_agent_run_started(a, c, &peer, &res);
	lmc_api_result_done(&res);
}

static void on_run_report(struct ev_loop *loop, ev_io *w, int revents)
{
	struct run_start *q = container_of(w, struct run_start, io);
	struct lmc_err err = {0};
	int pidfd = -1, r;
	pid_t pid = 0;

	(void)loop;
	(void)revents;
	r = lmc_ns_spawn_finish(&q->w, &pid, &pidfd, &err);
	if (r != -EAGAIN)
		run_start_done(q, r, pid, pidfd, &err);
}

static void on_run_timeout(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct run_start *q = container_of(w, struct run_start, timer);
	struct lmc_err err = {0};
	int r;

	(void)loop;
	(void)revents;
	r = lmc_ns_spawn_timeout(&q->w, &err);
	run_start_done(q, r, 0, -1, &err);
}

struct vspawn_job {
	struct agent *a;
	struct lmc_ns_vspawn *v;
};

static void vspawn_work(void *arg)
{
	struct vspawn_job *j = arg;

	lmc_ns_vspawn_exec(TAKE_PTR(j->v)); /* frees it; the outcome goes to the run's channel */
}

static void vspawn_done(void *arg)
{
	struct vspawn_job *j = arg;

	j->a->vspawns--;
	free(j);
}

/* The clone on a worker (the loop never waits for a child's exec); its report comes on the
 * run's channel as for a start released here. No worker to be had: v goes, and the run
 * reports that its start was abandoned. */
static void vspawn_begin(struct agent *a, struct lmc_ns_vspawn *v)
{
	struct vspawn_job *j = malloc(sizeof(*j));

	if (j)
		*j = (struct vspawn_job){.a = a, .v = v};
	if (!j || lmc_jobs_start_unbounded(&a->jobs, vspawn_work, vspawn_done, j) < 0) {
		free(j);
		lmc_ns_vspawn_free(v);
		return;
	}
	a->vspawns++;
}

void lmc_agent_run_begin(struct client *c, struct lmc_api_result *res)
{
	struct agent *a = c->a;
	struct run_start *q = calloc(1, sizeof(*q));

	if (!q) {
		lmc_agent_send_error(c, res->id, -ENOMEM, "out of memory");
		return; /* res->spawn is cancelled with res */
	}
	*q = (struct run_start){.a = a,
				.c = c,
				.peer = c->peer,
				.id = res->id,
				.detached = res->detached,
				.next = a->run_starts};
	q->w = *res->spawn;
	res->spawn->pidfd = res->spawn->chan = -1; /* moved into q */
	snprintf(q->name, sizeof(q->name), "%s", res->name);
	snprintf(q->task_id, sizeof(q->task_id), "%s", res->task_id);
	if (a->run_starts)
		a->run_starts->prev = q;
	a->run_starts = q;
	lmc_agent_client_hold(c);
	if (res->vspawn)
		vspawn_begin(a, TAKE_PTR(res->vspawn));
	ev_io_init(&q->io, on_run_report, q->w.chan, EV_READ);
	ev_io_start(a->loop, &q->io);
	ev_timer_init(&q->timer, on_run_timeout, LMC_NS_HANDSHAKE_MS / 1000.0, 0);
	ev_timer_start(a->loop, &q->timer);
}

void lmc_agent_runs_client_gone(struct client *c)
{
	for (struct run_start *q = c->a->run_starts; q; q = q->next)
		if (q->c == c)
			q->c = NULL; /* its start finishes; a started process is still watched */
	for (struct create_start *q = c->a->create_starts; q; q = q->next)
		if (q->c == c)
			q->c = NULL; /* it finishes (or is undone) all the same */
	for (struct init_start *q = c->a->init_starts; q; q = q->next)
		for (struct parked_req *p = q->parked; p; p = p->next)
			if (p->c == c)
				p->c = NULL; /* the init starts all the same; the run does not */
}

bool lmc_agent_start_in_flight(const struct client *c, uint64_t id)
{
	for (const struct run_start *q = c->a->run_starts; q; q = q->next)
		if (q->c == c && q->id == id)
			return true;
	for (const struct create_start *q = c->a->create_starts; q; q = q->next)
		if (q->c == c && q->id == id)
			return true;
	for (const struct init_start *q = c->a->init_starts; q; q = q->next)
		for (const struct parked_req *p = q->parked; p; p = p->next)
			if (p->c == c && p->id == id)
				return true;
	return false;
}

bool lmc_agent_run_starting(const struct agent *a, pid_t pid)
{
	for (const struct run_start *q = a->run_starts; q; q = q->next)
		if (q->w.pid == pid)
			return true;
	return false;
}

void lmc_agent_runs_stop(struct agent *a)
{
	while (a->run_starts)
		run_start_free(a->run_starts);
	/* A create still waiting: its init is killed, its CREATING record and cgroups left for
	 * the next open to undo (as after a crash). Undos under way were completed with the
	 * workers. */
	while (a->create_starts) {
		if (a->create_starts->mc)
			lmc_mgr_create_abandon(a->m, TAKE_PTR(a->create_starts->mc));
		create_start_free(a->create_starts);
	}
	while (a->init_starts)
		init_start_end(a->init_starts, -ESHUTDOWN, NULL);
}

/* ---------------- creates waiting for their init ---------------- */

static void create_start_free(struct create_start *q)
{
	struct agent *a = q->a;

	ev_io_stop(a->loop, &q->io);
	ev_timer_stop(a->loop, &q->timer);
	if (q->prev)
		q->prev->next = q->next;
	else
		a->create_starts = q->next;
	if (q->next)
		q->next->prev = q->prev;
	free(q);
}

/* It ended (r: 0 created, else why not, undone): the log line, the event, the reply. */
static void create_done(struct create_start *q, int r, const struct lmc_err *err)
{
	struct agent *a = q->a;
	struct client *c = q->c;
	uint64_t id = q->id;
	uint8_t *buf = NULL;
	size_t len = 0;

	if (r < 0)
		lmc_agent_log("uid %u (pid %d): %s: failed: %s", (unsigned)q->peer.uid,
			      (int)q->peer.pid, q->audit, lmc_err_str(err));
	else
		lmc_agent_log("uid %u (pid %d): %s: ok", (unsigned)q->peer.uid, (int)q->peer.pid,
			      q->audit);
	if (r >= 0) {
		lmc_agent_event_simple(a, LMC_EVK_CREATED, q->name, 0);
		lmc_agent_subs_created(a, q->name);
		lmc_metrics_created(a->metrics, q->name);
	}
	lmc_agent_evict_created(a, q->name); /* its parent's watch (created or undone) */
	lmc_metrics_observe(a->metrics, q->op, q->t0);
	create_start_free(q);
	if (!c)
		return;
	lmc_agent_client_release(c);
	if ((r < 0 ? lmc_api_reply_err(id, err, &buf, &len)
		   : lmc_api_reply_error(id, 0, NULL, &buf, &len)) < 0)
		lmc_agent_send_error(c, id, -ENOMEM, "out of memory");
	else
		lmc_agent_send(c, buf, len);
}

/* A failed create's kill, wait and rmdirs (cgroupfs only). */
static void create_undo_work(void *arg)
{
	struct create_start *q = arg;

	lmc_mgr_create_undo(q->a->m, q->mc);
}

/* Back on the loop: its node and record go, then the refusal. */
static void create_undo_done(void *arg)
{
	struct create_start *q = arg;

	lmc_mgr_create_abandon(q->a->m, TAKE_PTR(q->mc));
	create_done(q, q->r, &q->err);
}

static void create_failed(struct create_start *q, int r, const struct lmc_err *err)
{
	struct agent *a = q->a;

	ev_io_stop(a->loop, &q->io);
	ev_timer_stop(a->loop, &q->timer);
	q->r = r;
	q->err = *err;
	/* Its init may be frozen with a SIGKILL pending: the wait for it is a worker's. */
	if (a->jobs.n >= WAIT_JOBS_MAX ||
	    lmc_jobs_start(&a->jobs, create_undo_work, create_undo_done, q) < 0) {
		create_undo_work(q);
		create_undo_done(q);
	}
}

static void on_create_report(struct ev_loop *loop, ev_io *w, int revents);
static void on_create_timeout(struct ev_loop *loop, ev_timer *w, int revents);

/* Wait for fd, the report channel of an attempt, and give it its own bound. */
static void create_watch(struct create_start *q, int fd)
{
	struct agent *a = q->a;

	ev_io_stop(a->loop, &q->io);
	ev_timer_stop(a->loop, &q->timer);
	q->fd = fd;
	ev_io_init(&q->io, on_create_report, fd, EV_READ);
	ev_io_start(a->loop, &q->io);
	ev_timer_init(&q->timer, on_create_timeout, LMC_NS_HANDSHAKE_MS / 1000.0, 0);
	ev_timer_start(a->loop, &q->timer);
}

static void create_step(struct create_start *q)
{
	struct lmc_err err = {0};
	int r = lmc_mgr_create_finish(q->a->m, q->mc, &err);

	if (r == -EAGAIN) {
		if (lmc_mgr_creating_fd(q->mc) != q->fd) /* a second attempt */
			create_watch(q, lmc_mgr_creating_fd(q->mc));
		return;
	}
	if (r < 0) {
		create_failed(q, r, &err);
		return;
	}
	q->mc = NULL; /* created: freed by _finish */
	create_done(q, 0, NULL);
}

static void on_create_report(struct ev_loop *loop, ev_io *w, int revents)
{
	(void)loop;
	(void)revents;
	create_step(container_of(w, struct create_start, io));
}

static void on_create_timeout(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct create_start *q = container_of(w, struct create_start, timer);
	struct lmc_err err = {0};
	int r = lmc_mgr_create_timeout(q->a->m, q->mc, &err);

	(void)loop;
	(void)revents;
	create_failed(q, r, &err);
}

void lmc_agent_create_begin(struct client *c, struct lmc_api_result *res)
{
	struct agent *a = c->a;
	struct lmc_mgr_creating *mc = TAKE_PTR(res->creating);
	struct create_start *q = calloc(1, sizeof(*q));
	struct lmc_err err = {0};
	int r;

	if (!q) { /* the rest here, bounded, as direct mode does it */
		r = lmc_mgr_create_run(a->m, mc, &err);
		lmc_agent_send_error(c, res->id, r, r < 0 ? lmc_err_str(&err) : NULL);
		return;
	}
	*q = (struct create_start){.a = a,
				   .c = c,
				   .peer = c->peer,
				   .id = res->id,
				   .op = res->op,
				   .t0 = a->req_t0,
				   .mc = mc,
				   .fd = -2,
				   .next = a->create_starts};
	snprintf(q->audit, sizeof(q->audit), "%s", res->audit);
	snprintf(q->name, sizeof(q->name), "%s", res->name);
	if (a->create_starts)
		a->create_starts->prev = q;
	a->create_starts = q;
	lmc_agent_client_hold(c); /* its next requests wait for this answer */
	create_step(q);
}

/* ---------------- runs waiting for their leaf's new init ---------------- */

static void parked_free(struct parked_req *p)
{
	for (size_t i = 0; i < p->nfds; i++)
		close(p->fds[i]);
	free(p->buf);
	free(p);
}

/* The init is up (r 0): every run waiting is handled again, in the order they came; or it is
 * not (r < 0): each is refused with its failure (-ESHUTDOWN: the agent stops, no answer). */
static void init_start_end(struct init_start *q, int r, const struct lmc_err *err)
{
	struct agent *a = q->a;
	struct parked_req *p;

	ev_io_stop(a->loop, &q->io);
	ev_timer_stop(a->loop, &q->timer);
	if (q->iw)
		lmc_mgr_run_init_cancel(a->m, TAKE_PTR(q->iw));
	if (q->prev)
		q->prev->next = q->next;
	else
		a->init_starts = q->next;
	if (q->next)
		q->next->prev = q->prev;
	while ((p = q->parked)) {
		q->parked = p->next;
		if (p->c && r < 0 && r != -ESHUTDOWN) {
			lmc_agent_log("uid %u (pid %d): %s: failed: %s", (unsigned)p->c->peer.uid,
				      (int)p->c->peer.pid, p->audit, lmc_err_str(err));
			lmc_agent_client_release(p->c);
			lmc_agent_send_error(p->c, p->id, r, lmc_err_str(err));
		} else if (p->c && r >= 0) {
			/* released first: a hold the run takes again stops the read it restarts */
			lmc_agent_client_release(p->c);
			lmc_agent_request_again(p->c, TAKE_PTR(p->buf), p->len, p->fds, p->nfds);
			p->nfds = 0; /* consumed */
		}
		parked_free(p);
	}
	free(q);
}

static void on_init_report(struct ev_loop *loop, ev_io *w, int revents);
static void on_init_timeout(struct ev_loop *loop, ev_timer *w, int revents);

static void init_watch(struct init_start *q)
{
	struct agent *a = q->a;

	ev_io_stop(a->loop, &q->io);
	ev_timer_stop(a->loop, &q->timer);
	q->fd = lmc_mgr_init_wait_fd(q->iw);
	ev_io_init(&q->io, on_init_report, q->fd, EV_READ);
	ev_io_start(a->loop, &q->io);
	ev_timer_init(&q->timer, on_init_timeout, LMC_NS_HANDSHAKE_MS / 1000.0, 0);
	ev_timer_start(a->loop, &q->timer);
}

static void on_init_report(struct ev_loop *loop, ev_io *w, int revents)
{
	struct init_start *q = container_of(w, struct init_start, io);
	struct lmc_err err = {0};
	int r = lmc_mgr_run_init_finish(q->a->m, q->iw, &err);

	(void)loop;
	(void)revents;
	if (r == -EAGAIN) {
		if (lmc_mgr_init_wait_fd(q->iw) != q->fd) /* a second attempt */
			init_watch(q);
		return;
	}
	q->iw = NULL; /* freed by _finish */
	init_start_end(q, r, &err);
}

static void on_init_timeout(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct init_start *q = container_of(w, struct init_start, timer);
	struct lmc_err err = {0};
	int r = lmc_mgr_run_init_timeout(q->a->m, TAKE_PTR(q->iw), &err);

	(void)loop;
	(void)revents;
	init_start_end(q, r, &err);
}

/* The leaf's init start under way (res->init) or begun now. */
static struct init_start *init_start_get(struct agent *a, struct lmc_api_result *res)
{
	struct init_start *q;

	for (q = a->init_starts; q && !res->init; q = q->next)
		if (strcmp(q->name, res->name) == 0)
			return q;
	if (!res->init || !(q = calloc(1, sizeof(*q))))
		return NULL;
	q->a = a;
	q->iw = TAKE_PTR(res->init);
	snprintf(q->name, sizeof(q->name), "%s", lmc_mgr_init_wait_name(q->iw));
	q->next = a->init_starts;
	if (a->init_starts)
		a->init_starts->prev = q;
	a->init_starts = q;
	init_watch(q);
	return q;
}

void lmc_agent_init_park(struct client *c, struct lmc_api_result *res, uint8_t *buf, size_t len,
			 const int *fds, size_t nfds)
{
	struct init_start *q = init_start_get(c->a, res);
	struct parked_req *p = q ? calloc(1, sizeof(*p)) : NULL, **end;

	if (!p) {
		bool oom = q || res->init; /* else: no init start to wait for (cannot happen) */

		for (size_t i = 0; i < nfds; i++)
			close(fds[i]);
		free(buf);
		if (res->init)
			lmc_mgr_run_init_cancel(c->a->m, TAKE_PTR(res->init));
		lmc_agent_send_error(c, res->id, oom ? -ENOMEM : -EBUSY,
				     oom ? "out of memory" : "its namespace init is starting");
		return;
	}
	*p = (struct parked_req){.c = c, .id = res->id, .buf = buf, .len = len, .nfds = nfds};
	memcpy(p->fds, fds, nfds * sizeof(*fds));
	snprintf(p->audit, sizeof(p->audit), "%s", res->audit);
	for (end = &q->parked; *end; end = &(*end)->next)
		;
	*end = p;
	lmc_agent_client_hold(c); /* its next requests wait for this run */
}
