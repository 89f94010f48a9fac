/* lmctld: the node agent. One libev loop serves the admin socket (one watcher per client,
 * embedded in its struct), watches the processes it started through their pidfds and the
 * kernel event sources of subscriptions. Requests are dispatched by proto/api over
 * core/manager; the agent holds the state directory lock for its whole life.
 */
#include <errno.h>
#include <ev.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <malloc.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/util.h"
#include "core/manager.h"
#include "nsutil/ns.h"
#include "tools/agent/jobs.h"
#include "proto/api.h"

#include "tools/agent/lmctld-metrics.h"
#include "tools/agent/lmctld.h"
#include "tools/agent/metrics-text.h"

void lmc_agent_log(const char *fmt, ...)
{
	char line[4096];
	va_list ap;
	int n;

	/* One write per line (stderr is unbuffered: three before, on every request), and
	 * lines of two threads never interleave. */
	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n >= (int)sizeof(line))
		n = (int)sizeof(line) - 1;
	fprintf(stderr, "lmctld: %.*s\n", n < 0 ? 0 : n, line);
}

uint64_t lmc_agent_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* ---------------- clients: output ---------------- */

static void client_close(struct client *c)
{
	lmc_agent_client_close(c);
}

static int client_flush(struct client *c)
{
	while (c->out_off < c->out_len) {
		ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off,
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n < 0)
			return lmc_negerrno();
		c->out_off += (size_t)n;
		c->last_active = ev_now(c->a->loop);
	}
	if (c->out_off == c->out_len) {
		c->out_off = c->out_len = 0;
		/* A replay with more to send goes on at the next write readiness, whoever
		 * emptied the buffer: the chunk's own send, or the batch's at the end of a read
		 * callback (a stopped watcher there stalled a resume for good after its first
		 * chunk: test_replay_large in the v2 guest). */
		if (lmc_agent_replay_pending(c))
			ev_io_start(c->a->loop, &c->wio);
		else
			ev_io_stop(c->a->loop, &c->wio);
	} else {
		ev_io_start(c->a->loop, &c->wio);
	}
	/* Back-pressure: a client that does not read its answers stops being read. */
	if (c->out_len - c->out_off > OUT_PAUSE)
		ev_io_stop(c->a->loop, &c->rio);
	else if (!c->held && !ev_is_active(&c->rio)) {
		ev_io_start(c->a->loop, &c->rio);
		ev_feed_event(c->a->loop, &c->rio, EV_READ); /* frames may wait in the buffer */
	}
	return 0;
}

/* Queue one frame; takes buf. On failure the client is closed: the caller must not use c. */
int lmc_agent_send(struct client *c, uint8_t *buf, size_t len)
{
	size_t need = c->out_len + LMC_FRAME_HDR + len;
	int r;

	if (c->dead) {
		free(buf);
		return -EPIPE;
	}
	if (need - c->out_off > OUT_MAX) {
		free(buf);
		lmc_agent_log("client pid %d: %zu bytes unread, dropping it", (int)c->peer.pid,
			      need);
		client_close(c);
		return -ENOBUFS;
	}
	if (need > c->out_cap) {
		size_t cap = need < 4096 ? 4096 : need * 2;
		uint8_t *p = realloc(c->out, cap);

		if (!p) {
			free(buf);
			client_close(c);
			return -ENOMEM;
		}
		c->out = p;
		c->out_cap = cap;
	}
	lmc_frame_header((uint32_t)len, c->out + c->out_len);
	memcpy(c->out + c->out_len + LMC_FRAME_HDR, buf, len);
	c->out_len = need;
	free(buf);
	if (c->corked)
		return 0; /* a replay sends its chunk at once (lmc_agent_uncork) */
	/* Inside its read callback, the answers to a pipelined batch of frames go in one send
	 * at its end (unless they pile up past OUT_PAUSE): one system call where there was one
	 * per frame. The answer to a lone frame goes at once: the client reads it while the
	 * agent does what need not come before it (after_reply, the log line). */
	if (c->busy && lmc_frame_reader_more(&c->rd) && c->out_len - c->out_off <= OUT_PAUSE)
		return 0;
	r = client_flush(c);
	if (r < 0)
		client_close(c);
	return r;
}

void lmc_agent_uncork(struct client *c)
{
	c->corked = false;
	if (!c->dead && client_flush(c) < 0)
		client_close(c);
}

void lmc_agent_send_error(struct client *c, uint64_t id, int status, const char *msg)
{
	uint8_t *buf;
	size_t len;

	if (lmc_api_reply_error(id, status, msg, &buf, &len) >= 0)
		lmc_agent_send(c, buf, len);
}

void lmc_agent_on_client_write(struct ev_loop *loop, ev_io *w, int revents)
{
	struct client *c = container_of(w, struct client, wio);

	(void)loop;
	(void)revents;
	if (client_flush(c) < 0)
		client_close(c);
	else if (c->subs)
		lmc_agent_replay_pump(c);
}

/* ---------------- clients: input ---------------- */

bool lmc_agent_client_waiting(const struct client *c)
{
	if (c->subs || lmc_agent_tasks_client_waiting(c))
		return true;
	for (const struct proc *p = c->a->procs; p; p = p->next)
		if (p->c == c)
			return true;
	for (const struct stats_req *q = c->a->stats_reqs; q; q = q->next)
		if (q->c == c)
			return true;
	return c->held > 0;
}

void lmc_agent_client_close(struct client *c)
{
	struct agent *a = c->a;
	struct sub *s, *next;

	if (c->busy || a->emitting) {
		c->dead = true;
		a->sweep = a->sweep || !c->busy;
		ev_io_stop(a->loop, &c->rio);
		ev_io_stop(a->loop, &c->wio);
		return;
	}
	ev_io_stop(a->loop, &c->rio);
	ev_io_stop(a->loop, &c->wio);
	ev_timer_stop(a->loop, &c->idle);
	for (s = c->subs; s; s = next) {
		next = s->next;
		lmc_agent_sub_free(a, s);
	}
	for (struct proc *p = a->procs; p; p = p->next)
		if (p->c == c)
			p->c = NULL; /* it keeps running; its exit is still reaped */
	lmc_agent_tasks_client_gone(c);
	for (struct stats_req *q = a->stats_reqs; q; q = q->next)
		if (q->c == c)
			q->c = NULL; /* its reading finishes; the answer goes nowhere */
	lmc_agent_runs_client_gone(c);
	lmc_frame_reader_done(&c->rd);
	close(c->fd);
	free(c->out);
	if (c->prev)
		c->prev->next = c->next;
	else
		a->clients = c->next;
	if (c->next)
		c->next->prev = c->prev;
	a->n_clients--;
	free(c);
	/* Idle again: hand back what a burst of clients left free in the heap, so the agent's
	 * footprint follows its load instead of its peak. */
	if (!a->n_clients)
		malloc_trim(0);
}

/* One line per state-changing request: who (uid, pid), what, and how it ended. A run that
 * started is told by its own "started pid" line. */
static void audit(const struct client *c, const struct lmc_api_result *res)
{
	if (!res->audit[0] || res->action == LMC_API_RUN_START ||
	    res->action == LMC_API_CREATE_START || res->action == LMC_API_INIT_START ||
	    res->action == LMC_API_DESTROY_WAIT || /* logged at its end */
	    (res->action == LMC_API_RUN && !res->status))
		return;
	if (res->status < 0)
		lmc_agent_log("uid %u (pid %d): %s: failed: %s", (unsigned)c->peer.uid,
			      (int)c->peer.pid, res->audit, res->why);
	else
		lmc_agent_log("uid %u (pid %d): %s: ok", (unsigned)c->peer.uid, (int)c->peer.pid,
			      res->audit);
}

/* A successful create, update, destroy, pause or resume is recorded as an event. */
static void lifecycle_events(struct agent *a, const struct lmc_api_result *res)
{
	if (res->lifecycle == LMC_EVK_DESTROYED)
		for (size_t i = 0; i < res->n_gone; i++)
			lmc_agent_event_simple(a, LMC_EVK_DESTROYED, res->gone[i], 0);
	else if (res->lifecycle)
		lmc_agent_event_simple(a, res->lifecycle, res->name, 0);
}

/* A request with this id is still being served on the connection (a run waiting for its
 * process, a stats reading or freeze, a subscription). */
static bool id_in_flight(const void *conn, uint64_t id)
{
	const struct client *c = conn;

	for (const struct sub *s = c->subs; s; s = s->next)
		if (s->id == id && !s->dropped)
			return true;
	for (const struct proc *p = c->a->procs; p; p = p->next)
		if (p->c == c && p->id == id)
			return true;
	for (const struct stats_req *q = c->a->stats_reqs; q; q = q->next)
		if (q->c == c && q->id == id)
			return true;
	return lmc_agent_start_in_flight(c, id);
}

/* What an answer need not wait for: the new container's event sources for subscriptions
 * that want it, and the one eviction watch the change concerns (not a walk of the tree,
 * which every list and spec paid for before). */
static void after_reply(struct agent *a, const struct lmc_api_result *res)
{
	if (res->created) {
		lmc_agent_subs_created(a, res->name);
		lmc_agent_evict_created(a, res->name);
		lmc_metrics_created(a->metrics, res->name);
	} else if (res->lifecycle == LMC_EVK_UPDATED) {
		lmc_agent_evict_recheck(a, res->name); /* its limit */
	} else if (res->op == LMC_API_OP_INIT && res->status >= 0) {
		lmc_agent_evict_recheck(a, ""); /* the root's capacity */
	} else if (res->lifecycle == LMC_EVK_DESTROYED) {
		lmc_agent_evict_sync(a);
	}
}

/* What the request's result asks for: a reply, or the start of what answers later. */
static void client_act(struct client *c, struct lmc_api_result *res)
{
	struct agent *a = c->a;

	switch (res->action) {
	case LMC_API_RUN:
		lmc_agent_run_started(c->a, c, &c->peer, res);
		break;
	case LMC_API_RUN_START:
		lmc_agent_run_begin(c, res);
		break;
	case LMC_API_CREATE_START:
		lmc_agent_create_begin(c, res);
		break;
	case LMC_API_SUBSCRIBE:
		lmc_agent_subscribe(c, res);
		break;
	case LMC_API_STATS:
		lmc_agent_stats_begin(c, res);
		break;
	case LMC_API_FREEZE_WAIT:
	case LMC_API_KILL_WAIT:
	case LMC_API_DESTROY_WAIT:
		lmc_agent_wait_begin(c, res);
		break;
	case LMC_API_TASK_WAIT:
		lmc_agent_task_wait(c, res);
		break;
	case LMC_API_SIGNAL_RUN:
		for (struct proc *p = c->a->procs; p; p = p->next)
			if (p->c == c)
				kill(p->pid, res->sig);
		lmc_agent_send(c, TAKE_PTR(res->reply), res->reply_len);
		break;
	default:
		/* Journaled before the answer: what a client was told happened is in the
		 * stream a restarted agent replays. The rest waits until it has gone. */
		lifecycle_events(a, res);
		lmc_agent_send(c, TAKE_PTR(res->reply), res->reply_len);
		after_reply(a, res);
	}
}

/* Handle one request frame (in c's read callback: c stays allocated). */
static void client_request(struct client *c, uint8_t *buf, size_t len, int *fds, size_t nfds)
{
	struct lmc_api_result res;
	int r;

	c->a->req_t0 = lmc_metrics_clock();
	c->peer.conn = c;
	c->peer.id_in_flight = id_in_flight;
	c->peer.event_history = c->a->event_history;
	c->peer.event_seq = c->a->evlog ? lmc_evlog_last(c->a->evlog) : 0;
	r = lmc_api_handle(c->a->m, &c->peer, buf, len, fds, nfds,
			   LMC_API_DEFER_STATS | LMC_API_DEFER_WAITS | LMC_API_DEFER_SPAWN |
				   (c->a->vspawns < VSPAWN_MAX ? LMC_API_DEFER_CLONE : 0),
			   &res);
	if (r >= 0 && res.action == LMC_API_INIT_START) {
		lmc_agent_init_park(c, &res, buf, len, fds, nfds); /* handled again later */
		lmc_api_result_done(&res);
		return;
	}
	free(buf);
	if (r < 0) {
		client_close(c);
		return;
	}
	client_act(c, &res);
	audit(c, &res); /* after the answer has gone (c stays allocated while busy) */
	/* A deferred reading is timed when its answer goes (stats_done). */
	if (res.action != LMC_API_STATS && res.action != LMC_API_FREEZE_WAIT &&
	    res.action != LMC_API_DESTROY_WAIT && res.action != LMC_API_CREATE_START)
		lmc_metrics_observe(c->a->metrics, res.op, c->a->req_t0);
	lmc_api_result_done(&res);
}

void lmc_agent_request_again(struct client *c, uint8_t *buf, size_t len, int *fds, size_t nfds)
{
	bool busy = c->busy;

	c->busy = true; /* a close meanwhile is deferred to the end */
	client_request(c, buf, len, fds, nfds);
	c->busy = busy;
	if (!busy && c->dead)
		client_close(c);
}

/* Free what was left for later: clients closed while busy or during an event's delivery,
 * subscriptions dropped for not reading. */
void lmc_agent_sweep(struct agent *a)
{
	struct client *c, *next;

	if (!a->sweep || a->emitting)
		return;
	a->sweep = false;
	for (c = a->clients; c; c = next) {
		next = c->next;
		if (c->busy)
			continue;
		if (c->dead) {
			lmc_agent_client_close(c);
			continue;
		}
		for (struct sub **pp = &c->subs; *pp;) {
			struct sub *s = *pp;

			if (!s->dropped) {
				pp = &s->next;
				continue;
			}
			*pp = s->next;
			lmc_agent_sub_free(a, s);
		}
	}
}

/* Track where the frame being read began: its deadline does not move with each byte. */
static void client_frame_clock(struct client *c, bool was_in_frame, bool completed)
{
	bool in_frame = c->rd.hdr_got != 0;

	c->last_active = ev_now(c->a->loop);
	if (in_frame && (!was_in_frame || completed))
		c->frame_start = ev_now(c->a->loop);
	else if (!in_frame)
		c->frame_start = 0;
	if (in_frame != was_in_frame || completed)
		lmc_agent_client_arm(c);
}

void lmc_agent_on_client_read(struct ev_loop *loop, ev_io *w, int revents)
{
	struct client *c = container_of(w, struct client, rio);
	int fds[LMC_FRAME_FDS_MAX];
	bool was_in_frame = c->rd.hdr_got != 0, completed = false;

	(void)loop;
	(void)revents;
	c->busy = true;
	for (int i = 0; i < FRAMES_PER_WAKEUP && !c->dead && ev_is_active(&c->rio); i++) {
		uint8_t *buf;
		size_t len, nfds = 0;
		int r = lmc_frame_reader_recv(&c->rd, c->fd, &buf, &len, fds, ARRAY_SIZE(fds),
					      &nfds);

		if (r == 0)
			break;
		if (r < 0) {
			if (r == -EMSGSIZE) {
				lmc_agent_log("client pid %d: frame over %u bytes refused, closing",
					      (int)c->peer.pid, LMC_FRAME_MAX);
				lmc_agent_send_error(c, 0, -EMSGSIZE, "frame too large");
			} else if (r != -EPIPE) {
				lmc_agent_log("client pid %d: %s, closing", (int)c->peer.pid,
					      strerror(-r));
			}
			client_close(c);
			break;
		}
		completed = true;
		client_request(c, buf, len, fds, nfds);
	}
	c->busy = false;
	if (!c->dead && c->out_len > c->out_off && !c->corked && client_flush(c) < 0)
		c->dead = true;
	if (c->dead) {
		client_close(c);
		return;
	}
	/* Frames read with the last ones wait in the reader: the socket will not wake us. */
	if (ev_is_active(&c->rio) && lmc_frame_reader_pending(&c->rd))
		ev_feed_event(c->a->loop, &c->rio, EV_READ);
	client_frame_clock(c, was_in_frame, completed);
}

/* ---------------- start and stop ---------------- */

int lmc_agent_listen_unix(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	_cleanup_close_ int fd = -EBADF, probe = -EBADF;
	char dir[sizeof(sa.sun_path)];

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	strcpy(dir, path);
	if (lmc_util_mkdir_p(dirname(dir), 0755) < 0)
		return lmc_negerrno();
	probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (probe >= 0 && connect(probe, (struct sockaddr *)&sa, sizeof(sa)) == 0)
		return -EADDRINUSE;
	if (unlink(path) < 0 && errno != ENOENT)
		return lmc_negerrno();
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || chmod(path, 0660) < 0 ||
	    listen(fd, 512) < 0)
		return lmc_negerrno();
	return TAKE_FD(fd);
}

static void on_signal(struct ev_loop *loop, ev_signal *w, int revents)
{
	(void)revents;
	lmc_agent_log("signal %d: stopping (containers and their processes keep running)",
		      w->signum);
	ev_break(loop, EVBREAK_ALL);
}

static bool tracked(const struct agent *a, pid_t pid)
{
	for (const struct proc *p = a->procs; p; p = p->next)
		if (p->pid == pid)
			return true;
	return lmc_agent_run_starting(a, pid); /* its status goes to its pidfd watcher */
}

/* The leaves' namespace inits are children of the agent too (the manager starts them) but
 * no watcher of ours waits for them: reap those that have exited. Processes started by
 * `run` are left to their pidfd watchers, which report their status. */
static void on_sigchld(struct ev_loop *loop, ev_signal *w, int revents)
{
	struct agent *a = container_of(w, struct agent, sigchld);
	char path[64], buf[4096];
	ssize_t n;
	int fd;

	(void)loop;
	(void)revents;
	snprintf(path, sizeof(path), "/proc/self/task/%d/children", (int)gettid());
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	for (char *tok = strtok(buf, " \n"); tok; tok = strtok(NULL, " \n")) {
		pid_t pid = (pid_t)atoi(tok);
		siginfo_t si = {0};

		if (pid <= 0 || tracked(a, pid))
			continue;
		if (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG) == 0 && si.si_pid == pid)
			lmc_agent_log("reaped pid %d (a container's init, or a run that "
				      "did not start)",
				      (int)pid);
	}
}

static void on_report(const char *name, const char *what, void *userdata)
{
	(void)userdata;
	lmc_agent_log("reconcile: %s: %s", lmc_name_display(name), what);
}

static void agent_stop(struct agent *a)
{
	lmc_agent_evict_stop(a);
	lmc_metrics_stop(a);
	lmc_agent_stats_flush(a);
	if (a->jobs.loop)
		lmc_jobs_stop(&a->jobs); /* the readers use the manager: finish them first */
	lmc_agent_evict_free(a);
	lmc_metrics_free(a);
	lmc_agent_tasks_stop(a);
	while (a->clients)
		client_close(a->clients);
	lmc_agent_runs_stop(a);
	while (a->procs)
		lmc_agent_proc_free(a->procs);
	lmc_agent_conn_stop(a);
	if (a->lfd >= 0) {
		ev_io_stop(a->loop, &a->lio);
		close(a->lfd);
		unlink(a->socket_path);
	}
	lmc_agent_watch_free(a);
	lmc_mgr_free(a->m);
	lmc_evlog_free(a->evlog);
	lmc_oomlog_free(a->oomlog);
	ev_loop_destroy(a->loop);
}

static int agent_start(struct agent *a, const struct lmc_manager_opts *o)
{
	struct lmc_err err = {0};
	int r;

	r = lmc_mgr_open(o, &a->m, &err);
	if (r < 0) {
		lmc_agent_log("cannot open the manager: %s", lmc_err_str(&err));
		return r;
	}
	r = lmc_mgr_reconcile(a->m, on_report, NULL, &err);
	if (r < 0)
		lmc_agent_log("reconcile: %s", lmc_err_str(&err));
	lmc_agent_tasks_start(a);
	/* Metrics first: once the admin socket answers, the endpoint does too. */
	if (a->metrics_addr) {
		r = lmc_metrics_start(a, a->metrics_addr);
		if (r < 0)
			return r;
	}
	lmc_err_clear(&err);
	r = lmc_evlog_open(lmc_mgr_state_dir(a->m), a->event_history, &a->evlog, &err);
	if (r < 0)
		lmc_agent_log("events are not journaled (no resume): %s", lmc_err_str(&err));
	lmc_err_clear(&err);
	if (lmc_oomlog_open(&a->oomlog, &err) < 0)
		lmc_agent_log("%s", lmc_err_str(&err));
	lmc_agent_watch_start(a);
	a->lfd = lmc_agent_listen_unix(a->socket_path);
	if (a->lfd < 0) {
		lmc_agent_log("cannot listen on %s: %s", a->socket_path, strerror(-a->lfd));
		return a->lfd;
	}
	lmc_jobs_init(&a->jobs, a->loop);
	ev_io_init(&a->lio, lmc_agent_on_accept, a->lfd, EV_READ);
	ev_io_start(a->loop, &a->lio);
	ev_signal_init(&a->sigterm, on_signal, SIGTERM);
	ev_signal_init(&a->sigint, on_signal, SIGINT);
	ev_signal_start(a->loop, &a->sigterm);
	ev_signal_start(a->loop, &a->sigint);
	ev_signal_init(&a->sigchld, on_sigchld, SIGCHLD);
	ev_signal_start(a->loop, &a->sigchld);
	r = lmc_agent_evict_start(a, &a->evict_opts);
	if (r < 0)
		lmc_agent_log("eviction: cannot start: %s", strerror(-r));
	lmc_agent_log("listening on %s (%zu containers, up to %u connections)", a->socket_path,
		      lmc_mgr_count(a->m), a->max_clients);
	return 0;
}

int main(int argc, char **argv)
{
	struct agent a = {.lfd = -1,
			  .spare_fd = -1,
			  .socket_path = getenv("LMCTL_SOCKET"),
			  .idle_timeout = 10.0,
			  .conn_timeout = 300.0,
			  .sub_queue_max = SUB_QUEUE_MAX,
			  .metrics_max_age = 1.0,
			  .event_history = LMC_EVLOG_CAP_DEFAULT,
			  .evict_opts = {.enabled = true,
					 .pct = EVICT_PCT_DEFAULT,
					 .min_bytes = EVICT_MIN_DEFAULT,
					 .psi_stall_us = EVICT_PSI_STALL_DEFAULT,
					 .psi_window_us = EVICT_PSI_WINDOW_DEFAULT,
					 .reclaim = true,
					 .hold_oom = true}};
	struct lmc_manager_opts o = {.lock_timeout_ms = 5000};
	int r;

	/* First, while the low numbers are free: runs' children then copy none of the
	 * thousands of descriptors the agent keeps (nsutil/spawn.c). Without: as before. */
	(void)lmc_ns_vspawn_reserve();
	if (!a.socket_path || !a.socket_path[0])
		a.socket_path = LMC_DEFAULT_SOCKET;
	r = lmc_agent_parse_args(argc, argv, &a, &o);
	if (r != 0)
		return r < 0 ? 2 : 0;
	signal(SIGPIPE, SIG_IGN);
	/* Never wait for a killed child on the loop: on_sigchld reaps it when it has gone. */
	lmc_ns_set_reap_wait(0);
	/* Not the default loop: that one reaps every child through SIGCHLD, and the agent
	 * reaps only the processes it started, through their pidfds. */
	a.loop = ev_loop_new(EVFLAG_AUTO | EVFLAG_NOSIGMASK);
	if (!a.loop) {
		lmc_agent_log("cannot create the event loop");
		return 1;
	}
	lmc_agent_conn_init(&a);
	r = agent_start(&a, &o);
	if (r >= 0)
		ev_run(a.loop, 0);
	agent_stop(&a);
	if (r >= 0)
		lmc_agent_log("stopped");
	return r < 0 ? 1 : 0;
}
