/* lmctld's priority eviction (issue 14). Every container that has a memory limit and
 * children, and lmctl's root where `init` gave it a capacity (the machine less the system
 * reserve), is watched through the kernel's own signals: usage crossing limit - headroom
 * (v1: an eventfd on memory.usage_in_bytes; v2: memory.events, made to fire there by a
 * memory.high the agent sets at the same level where the user set none) and a PSI trigger
 * on memory.pressure. The machine itself is watched too: its available memory
 * (/proc/meminfo MemAvailable) against a floor of the same headroom, for which the kernel
 * has no notification, so it is sampled, more often the closer it is (see machine_sample),
 * with a PSI trigger on /proc/pressure/memory beside it. A signal re-reads the figure; while
 * it stays short one victim at a time is chosen (policy/evict.c) among the leaves below,
 * reclaimed from first where the kernel offers memory.reclaim, and killed if that was not
 * enough. The kill (cgroup.kill, or freeze-kill-thaw) and its wait run on a worker thread
 * (tools/agent/jobs.c): the loop never blocks. Each step is an event to subscribers of --evicted.
 * What touches a container's cgroup (the signals, what they set, usage, reclaim, kill) is
 * core/evict-watch.c's; this file has the loop, the choice and the task records. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "base/bg.h"
#include "base/util.h"
#include "core/manager.h"
#include "policy/policy.h"
#include "tools/agent/lmctld.h"

#define EVICT_BUCKETS 1024
#define KILL_TIMEOUT_MS 5000
/* A new watch's usage signal and PSI trigger wait this long (on_arm). */
#define EVICT_ARM_S 0.5
/* The machine's sampling: the next sample comes before a grower at this rate could use up
 * what is left above the floor, at most a second and at least 10 ms away; 500 ms while
 * short with nothing left to evict. */
#define MACHINE_RATE (1ULL << 30)
#define MACHINE_MIN_MS 10
#define MACHINE_MAX_MS 1000
#define MACHINE_IDLE_MS 500

struct ewatch {
	struct lmc_evict *e;
	struct ewatch *hnext;
	char name[LMC_NAME_MAX + 1];
	uint64_t limit, threshold; /* the machine: its memory and the floor of MemAvailable */
	bool machine; /* MemAvailable (sampled), not a container's usage */
	struct lmc_evwatch *kw; /* a container's signals (NULL: the machine) */
	ev_io io;
	ev_io oom_io; /* v1: the OOM notification, where the watch has one */
	ev_timer arm_timer; /* EVICT_ARM_S after the watch opened: its other signals */
	bool seen; /* during a sync */
	bool again; /* a signal came while an eviction was under way */
	uint64_t signalled_ns; /* when the pending signal was read */
	const char *signal;
};

/* One eviction under way: the worker's input and output. */
struct ejob {
	struct lmc_evict *e;
	char victim[LMC_NAME_MAX + 1], under[LMC_NAME_MAX + 1];
	int64_t priority;
	uint64_t usage, need, reclaimed;
	uint64_t at; /* the pressured container is relieved below this (the machine: above) */
	bool machine;
	const char *signal;
	uint64_t signalled_ns, dead_ns;
	bool killed;
	int r;
	char err[200];
};

struct lmc_evict {
	struct agent *a;
	struct lmc_evict_opts o;
	struct ewatch *buckets[EVICT_BUCKETS];
	size_t n_watches;
	int psi_epfd;
	ev_io psi_io;
	struct ewatch *machine; /* NULL where /proc/meminfo cannot be read */
	ev_timer machine_timer;
	int meminfo_fd;
	int machine_psi_fd; /* /proc/pressure/memory's trigger; -1: none */
	bool busy; /* one eviction at a time */
	bool stopping; /* the agent is going: start nothing */
	bool psi_refused_logged;
	uint64_t evicted; /* victims killed (lmctl_evictions_total) */
};

static unsigned bucket_of(const char *name)
{
	return (unsigned)(lmc_util_hash(name) % EVICT_BUCKETS);
}

/* A figure of /proc/meminfo in bytes (key "MemAvailable", "MemTotal"), read at offset 0 of
 * an open /proc/meminfo, or of a fresh one where fd < 0 (the worker thread). */
static int meminfo(int fd, const char *key, uint64_t *ret)
{
	_cleanup_close_ int own = -EBADF;
	char buf[512], k[32];
	const char *p;
	ssize_t n;
	int kn = snprintf(k, sizeof(k), "\n%s:", key);

	if (fd < 0) {
		own = open("/proc/meminfo", O_RDONLY | O_CLOEXEC);
		if (own < 0)
			return -errno;
		fd = own;
	}
	/* A newline before the first line too, so that every key is found after one. */
	buf[0] = '\n';
	n = pread(fd, buf + 1, sizeof(buf) - 2, 0);
	if (n < 0)
		return -errno;
	buf[n + 1] = '\0';
	p = strstr(buf, k);
	if (!p || sscanf(p + kn, "%" SCNu64, ret) != 1)
		return -EIO;
	*ret *= 1024;
	return 0;
}

static int mem_available(int fd, uint64_t *ret)
{
	return meminfo(fd, "MemAvailable", ret);
}

/* ---------------- events ---------------- */

static void emit(struct agent *a, enum lmc_events_kind kind, const struct ejob *j)
{
	struct lmc_evrec ev = {.kind = kind, .value = j->usage, .timestamp_ns = lmc_agent_now_ns()};

	snprintf(ev.name, sizeof(ev.name), "%s", j->victim);
	snprintf(ev.detail, sizeof(ev.detail),
		 "under=%s priority=%" PRId64 " usage=%" PRIu64 " signal=%s reclaimed=%" PRIu64
		 " latency_us=%" PRIu64,
		 lmc_name_display(j->under), j->priority, j->usage, j->signal, j->reclaimed,
		 kind == LMC_EVK_EVICTED ? (j->dead_ns - j->signalled_ns) / 1000 : 0);
	lmc_agent_event(a, &ev);
}

/* ---------------- the eviction itself (worker thread) ---------------- */

/* Is what j was started for over: the pressured container back under j->at, the machine's
 * available memory back at j->at or above? */
static bool relieved(struct lmc_manager *m, const struct ejob *j)
{
	uint64_t v = 0;

	if (j->machine)
		return mem_available(-1, &v) >= 0 && v >= j->at;
	return lmc_evwatch_usage(m, j->under, &v) >= 0 && v < j->at;
}

/* Reclaim where the kernel offers it (memory.reclaim, v2); the pressured container's usage
 * (the machine's available memory) decides whether that was enough. */
static bool try_reclaim(struct lmc_manager *m, struct ejob *j)
{
	if (lmc_evwatch_reclaim(m, j->victim, j->need, &j->reclaimed) < 0)
		return false;
	return relieved(m, j);
}

static void ejob_work(void *arg)
{
	struct ejob *j = arg;
	struct lmc_manager *m = j->e->a->m;
	struct lmc_err err = {0};

	if (j->e->o.reclaim && try_reclaim(m, j))
		return;
	j->r = lmc_evwatch_kill(m, j->victim, KILL_TIMEOUT_MS, &err);
	j->dead_ns = lmc_util_now_ns();
	j->killed = j->r >= 0;
	if (j->r < 0)
		snprintf(j->err, sizeof(j->err), "%s", lmc_err_str(&err));
}

static int check(struct ewatch *w, const char *signal, uint64_t signalled_ns);

static void ejob_done(void *arg)
{
	struct ejob *j = arg;
	struct lmc_evict *e = j->e;
	struct agent *a = e->a;

	e->busy = false;
	if (j->reclaimed)
		emit(a, LMC_EVK_RECLAIM, j);
	if (j->killed) {
		e->evicted++;
		lmc_agent_log("evicted %s (priority %" PRId64 ", %" PRIu64
			      " bytes) for %s on %s; dead %.1f ms after the signal",
			      lmc_name_display(j->victim), j->priority, j->usage,
			      lmc_name_display(j->under), j->signal,
			      (double)(j->dead_ns - j->signalled_ns) / 1e6);
		emit(a, LMC_EVK_EVICTED, j);
	} else if (j->r < 0) {
		lmc_agent_log("evicting %s for %s: %s", lmc_name_display(j->victim),
			      lmc_name_display(j->under), j->err);
	}
	/* Still short? The next victim; and whatever else signalled meanwhile. */
	for (unsigned b = 0; b < EVICT_BUCKETS; b++)
		for (struct ewatch *w = e->buckets[b]; w; w = w->hnext)
			if (w->again || strcmp(w->name, j->under) == 0) {
				w->again = false;
				check(w, w->signal ? w->signal : "recheck",
				      w->signalled_ns ? w->signalled_ns : lmc_util_now_ns());
			}
	if (e->machine && (e->machine->again || j->machine)) {
		struct ewatch *w = e->machine;

		w->again = false;
		check(w, w->signal ? w->signal : "recheck",
		      w->signalled_ns ? w->signalled_ns : lmc_util_now_ns());
	}
	free(j);
}

/* ---------------- choosing and starting ---------------- */

/* The victim below w (leaf candidates with their usage read now); -ENOENT if none. */
static int choose(struct ewatch *w, struct ejob *j)
{
	struct lmc_evict_cand *c;
	size_t n;
	int k, r;

	r = lmc_evwatch_candidates(w->e->a->m, w->name, &c, &n);
	if (r < 0)
		return r;
	k = lmc_policy_evict_pick(c, n);
	if (k >= 0) {
		snprintf(j->victim, sizeof(j->victim), "%s", c[k].name);
		j->priority = c[k].priority;
		j->usage = c[k].usage;
	}
	free(c);
	return k >= 0 ? 0 : -ENOENT;
}

/* The processes the agent started in the victim: their exit says why (set before the kill,
 * whose exits may be seen before its completion). */
static void mark_tasks(struct agent *a, const struct ejob *j)
{
	struct lmc_tasks *ts = lmc_mgr_tasks(a->m);
	char why[128];

	snprintf(why, sizeof(why), "evicted under=%s priority=%" PRId64 " signal=%s",
		 lmc_name_display(j->under), j->priority, j->signal);
	for (struct proc *p = a->procs; p; p = p->next)
		if (strcmp(p->name, j->victim) == 0 || lmc_name_is_under(p->name, j->victim))
			snprintf(p->reason, sizeof(p->reason), "%s", why);
	/* Every running task of the victim (also those found again after a restart, which no
	 * proc watches) ends as evicted, with the reason (issue 13's task records). */
	if (ts)
		(void)lmc_tasks_mark_evicted(ts, j->victim, why);
}

/* Is w short of memory now? If so, fill j's need (what to reclaim) and at (its relief). */
static bool short_now(struct ewatch *w, const char *signal, struct ejob *j)
{
	bool psi = strcmp(signal, "psi") == 0;
	uint64_t v = 0, at = w->threshold;

	if (w->machine) {
		/* PSI says memory is stalling: act within twice the floor. */
		at = psi ? 2 * at : at;
		if (mem_available(w->e->meminfo_fd, &v) < 0 || v >= at)
			return false;
		j->machine = true;
		j->need = at - v;
		j->at = at;
		return true;
	}
	/* PSI says memory is stalling: act within twice the headroom of the limit. */
	if (psi)
		at -= (w->limit - w->threshold) < at ? (w->limit - w->threshold) : 0;
	if (lmc_evwatch_usage(w->e->a->m, w->name, &v) < 0)
		return false;
	if (v < at && strcmp(signal, "oom") != 0)
		return false;
	if (v < at)
		at = v; /* at its limit (v1 OOM) */
	j->need = v - at + 1;
	j->at = at;
	return true;
}

/* Act on a signal: 1 when an eviction is under way (this one, or another first), 0 when w is
 * not short, -ENOENT when it is short and nothing below it holds memory. */
static int check(struct ewatch *w, const char *signal, uint64_t signalled_ns)
{
	struct lmc_evict *e = w->e;
	struct ejob *j;

	if (e->stopping)
		return 0;
	if (e->busy) {
		w->again = true;
		w->signal = signal;
		w->signalled_ns = signalled_ns;
		return 1;
	}
	w->signal = NULL;
	w->signalled_ns = 0;
	j = calloc(1, sizeof(*j));
	if (!j)
		return 0;
	*j = (struct ejob){.e = e, .signal = signal, .signalled_ns = signalled_ns};
	if (!short_now(w, signal, j)) {
		free(j);
		return 0;
	}
	snprintf(j->under, sizeof(j->under), "%s", w->name);
	if (choose(w, j) < 0) {
		free(j);
		/* Nothing of ours to evict: the kernel's own OOM killer again, or its tasks
		 * would wait at the limit for ever. */
		if (w->kw && lmc_evwatch_oom_release(w->kw))
			lmc_agent_log("eviction: %s: nothing to evict; the kernel's OOM killer "
				      "acts there again",
				      lmc_name_display(w->name));
		return -ENOENT;
	}
	e->busy = true;
	if (lmc_jobs_start(&e->a->jobs, ejob_work, ejob_done, j) < 0) {
		lmc_agent_log("evicting %s: no worker thread; retried at the next signal",
			      lmc_name_display(j->victim));
		e->busy = false;
		free(j);
		return 0;
	}
	mark_tasks(e->a, j);
	return 1;
}

/* ---------------- signals ---------------- */

static void on_signal_src(struct ev_loop *loop, ev_io *io, int revents)
{
	struct ewatch *w = container_of(io, struct ewatch, io);
	uint64_t t = lmc_util_now_ns();
	bool fired;

	(void)revents;
	if (lmc_evwatch_read(w->kw, false, &fired) < 0) {
		ev_io_stop(loop, io); /* gone; the next sync drops it */
		return;
	}
	if (fired)
		check(w, lmc_evwatch_signal(w->kw), t);
}

static void on_oom(struct ev_loop *loop, ev_io *io, int revents)
{
	struct ewatch *w = container_of(io, struct ewatch, oom_io);
	uint64_t t = lmc_util_now_ns();
	bool fired;

	(void)revents;
	if (lmc_evwatch_read(w->kw, true, &fired) < 0) {
		ev_io_stop(loop, io);
		return;
	}
	if (fired)
		check(w, "oom", t);
}

/* A PSI trigger out of the set before it is closed: the close happens later, on a
 * background thread (its release waits for an RCU grace period, base/bg.h), and a trigger
 * still in the set meanwhile could report a watch already freed. */
static void psi_unwatch(struct lmc_evict *e, int fd)
{
	if (fd >= 0 && e->psi_epfd >= 0)
		(void)epoll_ctl(e->psi_epfd, EPOLL_CTL_DEL, fd, NULL);
}

static void on_psi(struct ev_loop *loop, ev_io *io, int revents)
{
	struct lmc_evict *e = container_of(io, struct lmc_evict, psi_io);
	struct epoll_event evs[32];
	uint64_t t = lmc_util_now_ns();
	int n = epoll_wait(e->psi_epfd, evs, ARRAY_SIZE(evs), 0);

	(void)loop;
	(void)revents;
	for (int i = 0; i < n; i++) {
		struct ewatch *w = evs[i].data.ptr;

		/* Its cgroup is gone (the error stays readable): out of the set, or it spins. */
		if (evs[i].events & EPOLLERR) {
			if (w->kw) {
				psi_unwatch(e, lmc_evwatch_psi_fd(w->kw));
				lmc_evwatch_psi_close(w->kw);
			} else if (e->machine_psi_fd >= 0) {
				psi_unwatch(e, e->machine_psi_fd);
				lmc_bg_close(e->machine_psi_fd);
				e->machine_psi_fd = -1;
			}
			continue;
		}
		check(w, "psi", t);
	}
}

/* ---------------- the set of watches ---------------- */

static void watch_free(struct lmc_evict *e, struct ewatch *w)
{
	ev_timer_stop(e->a->loop, &w->arm_timer);
	ev_io_stop(e->a->loop, &w->io);
	ev_io_stop(e->a->loop, &w->oom_io);
	/* Its fds, and what it set in the kernel given back (the PSI trigger out of the
	 * epoll set first: it is closed later). */
	if (w->kw)
		psi_unwatch(e, lmc_evwatch_psi_fd(w->kw));
	lmc_evwatch_free(w->kw);
	free(w);
	e->n_watches--;
}

/* A trigger that fired is read through the one epoll set libev watches (libev has no
 * POLLPRI). */
static void watch_psi(struct lmc_evict *e, struct ewatch *w, const struct lmc_err *perr)
{
	struct epoll_event ev = {.events = EPOLLPRI, .data.ptr = w};

	if (lmc_evwatch_psi_fd(w->kw) >= 0) {
		if (epoll_ctl(e->psi_epfd, EPOLL_CTL_ADD, lmc_evwatch_psi_fd(w->kw), &ev) < 0)
			lmc_evwatch_psi_close(w->kw);
	} else if (perr->code && !e->psi_refused_logged) {
		e->psi_refused_logged = true; /* once: the other signals still watch */
		lmc_agent_log("eviction: no PSI trigger: %s", lmc_err_str(perr));
	}
}

/* The usage signal and the PSI trigger, EVICT_ARM_S after the watch opened. Each costs an
 * RCU grace period in the kernel (a v1 threshold's registration, a trigger's release: 6-21
 * ms on an idle host), which the cgroup's removal waits for when it comes within that time:
 * a parent created and destroyed within milliseconds (a short job, a test) paid up to two on
 * its destroy. What held the kernel's OOM killer off (v1) and the memory.high (v2) were set
 * at the open. The usage is checked once now: what crossed before is not missed. */
static void on_arm(struct ev_loop *loop, ev_timer *t, int revents)
{
	struct ewatch *w = container_of(t, struct ewatch, arm_timer);
	struct lmc_evict *e = w->e;
	struct lmc_err perr = {0}, err = {0};

	(void)loop;
	(void)revents;
	if (lmc_evwatch_arm(w->kw, &perr, &err) < 0) {
		lmc_agent_log("eviction: cannot watch %s: %s", lmc_name_display(w->name),
			      lmc_err_str(&err));
		return; /* its OOM signal (v1) stays; a new limit opens the watch again */
	}
	ev_io_init(&w->io, on_signal_src, lmc_evwatch_fd(w->kw), EV_READ);
	ev_io_start(e->a->loop, &w->io);
	watch_psi(e, w, &perr);
	check(w, lmc_evwatch_signal(w->kw), lmc_util_now_ns());
}

static int watch_signals(struct lmc_evict *e, struct ewatch *w, struct lmc_err *err)
{
	struct lmc_evwatch_opts o = {
		.threshold = w->threshold,
		.hold_oom = e->o.hold_oom,
		.psi_stall_us = e->psi_epfd >= 0 ? e->o.psi_stall_us : 0,
		.psi_window_us = e->o.psi_window_us,
	};
	int r;

	r = lmc_evwatch_open(e->a->m, w->name, &o, &w->kw, err);
	if (r < 0)
		return r;
	if (lmc_evwatch_oom_fd(w->kw) >= 0) {
		ev_io_init(&w->oom_io, on_oom, lmc_evwatch_oom_fd(w->kw), EV_READ);
		ev_io_start(e->a->loop, &w->oom_io);
	}
	ev_timer_init(&w->arm_timer, on_arm, EVICT_ARM_S, 0);
	ev_timer_start(e->a->loop, &w->arm_timer);
	return 0;
}

static struct ewatch *find_watch(struct lmc_evict *e, const char *name)
{
	struct ewatch *w;

	for (w = e->buckets[bucket_of(name)]; w; w = w->hnext)
		if (strcmp(w->name, name) == 0)
			break;
	return w;
}

/* Watch (or keep watching) name under limit; a changed limit re-opens the signals. */
static void watch_node(const char *name, uint64_t limit, void *userdata)
{
	struct lmc_evict *e = userdata;
	unsigned b = bucket_of(name);
	uint64_t th = lmc_policy_evict_threshold(limit, e->o.pct, e->o.min_bytes);
	struct lmc_err err = {0};
	struct ewatch *w = find_watch(e, name);
	if (w && w->limit == limit) {
		w->seen = true;
		return;
	}
	if (!th)
		return; /* too small to leave headroom in: the kernel's */
	if (w) /* dropped at the end of the sync; replaced here */
		w->seen = false;
	w = calloc(1, sizeof(*w));
	if (!w)
		return;
	*w = (struct ewatch){.e = e, .limit = limit, .threshold = th, .seen = true};
	snprintf(w->name, sizeof(w->name), "%s", name);
	e->n_watches++;
	if (watch_signals(e, w, &err) < 0) {
		lmc_agent_log("eviction: cannot watch %s: %s", lmc_name_display(name),
			      lmc_err_str(&err));
		watch_free(e, w);
		return;
	}
	w->hnext = e->buckets[b];
	e->buckets[b] = w;
}

/* ---------------- the machine ---------------- */

/* One sample: the machine's available memory against its floor, and lmctl's root against
 * its capacity (v1 signals that by eventfd; v2, where the agent sets no memory.high on the
 * root, would otherwise have only PSI). The next sample comes sooner the closer either is. */
static void on_machine_sample(struct ev_loop *loop, ev_timer *t, int revents)
{
	struct lmc_evict *e = container_of(t, struct lmc_evict, machine_timer);
	struct ewatch *w = e->machine, *root = find_watch(e, "");
	uint64_t now = lmc_util_now_ns(), avail = 0, usage = 0, room = 0;
	unsigned ms;
	int r = 0;

	(void)revents;
	if (mem_available(e->meminfo_fd, &avail) >= 0 && avail > w->threshold)
		room = avail - w->threshold;
	else
		r = check(w, "available", now);
	if (root && r == 0 && lmc_evwatch_usage(e->a->m, "", &usage) >= 0) {
		if (usage < root->threshold)
			room = room < root->threshold - usage ? room : root->threshold - usage;
		else
			r = check(root, "usage", now);
	}
	ms = r < 0 ? MACHINE_IDLE_MS
		   : lmc_policy_evict_sample_ms(room, MACHINE_RATE, MACHINE_MIN_MS, MACHINE_MAX_MS);
	t->repeat = ms / 1000.0;
	ev_timer_again(loop, t);
}

/* A PSI trigger on the whole machine's memory stalls, beside the sampling; -1 where the
 * kernel has no PSI (Debian's kernels boot with it off unless given psi=1). */
static int machine_psi(const struct lmc_evict *e)
{
	char buf[64];
	int fd, n;

	if (!e->o.psi_stall_us || e->psi_epfd < 0)
		return -1;
	fd = open("/proc/pressure/memory", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = snprintf(buf, sizeof(buf), "full %u %u", e->o.psi_stall_us, e->o.psi_window_us);
	if (write(fd, buf, (size_t)n + 1) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static void machine_start(struct lmc_evict *e)
{
	struct epoll_event ev = {.events = EPOLLPRI};
	uint64_t total = 0, avail = 0;
	int psi_fd;
	struct ewatch *w;

	e->meminfo_fd = open("/proc/meminfo", O_RDONLY | O_CLOEXEC);
	if (e->meminfo_fd < 0 || meminfo(e->meminfo_fd, "MemTotal", &total) < 0 ||
	    mem_available(e->meminfo_fd, &avail) < 0 || !(w = calloc(1, sizeof(*w)))) {
		lmc_agent_log("eviction: the machine is not watched (no MemAvailable in "
			      "/proc/meminfo)");
		return;
	}
	*w = (struct ewatch){.e = e,
			     .machine = true,
			     .limit = total,
			     .threshold =
				     lmc_policy_evict_headroom(total, e->o.pct, e->o.min_bytes)};
	ev.data.ptr = w;
	psi_fd = machine_psi(e);
	if (psi_fd >= 0 && epoll_ctl(e->psi_epfd, EPOLL_CTL_ADD, psi_fd, &ev) < 0) {
		close(psi_fd);
		psi_fd = -1;
	}
	e->machine_psi_fd = psi_fd;
	e->machine = w;
	ev_init(&e->machine_timer, on_machine_sample);
	e->machine_timer.repeat = MACHINE_MIN_MS / 1000.0;
	ev_timer_again(e->a->loop, &e->machine_timer);
	lmc_agent_log("eviction: watching the machine: MemAvailable %" PRIu64 " of %" PRIu64
		      " bytes, floor %" PRIu64 ", PSI trigger on /proc/pressure/memory: %s",
		      avail, total, w->threshold, psi_fd >= 0 ? "yes" : "no");
}

static void machine_stop(struct lmc_evict *e)
{
	if (e->machine) {
		ev_timer_stop(e->a->loop, &e->machine_timer);
		psi_unwatch(e, e->machine_psi_fd);
		lmc_bg_close(e->machine_psi_fd);
		e->machine_psi_fd = -1;
		free(e->machine);
		e->machine = NULL;
	}
	if (e->meminfo_fd >= 0)
		close(e->meminfo_fd);
	e->meminfo_fd = -1;
}

void lmc_agent_evict_sync(struct agent *a)
{
	struct lmc_evict *e = a->evict;

	if (!e || e->stopping) /* a destroy completed as the workers are joined */
		return;
	lmc_evwatch_each(a->m, watch_node, e);
	for (unsigned b = 0; b < EVICT_BUCKETS; b++)
		for (struct ewatch **pp = &e->buckets[b]; *pp;) {
			struct ewatch *w = *pp;

			if (w->seen) {
				w->seen = false;
				pp = &w->hnext;
				continue;
			}
			*pp = w->hnext;
			watch_free(e, w);
		}
}

/* Free name's watches that the walk just made did not mark seen (its old one after a new
 * limit, or one it no longer needs), and clear the mark of the rest. */
static void drop_unseen(struct lmc_evict *e, const char *name)
{
	for (struct ewatch **pp = &e->buckets[bucket_of(name)]; *pp;) {
		struct ewatch *w = *pp;

		if (strcmp(w->name, name) != 0 || w->seen) {
			w->seen = false;
			pp = &w->hnext;
			continue;
		}
		*pp = w->hnext;
		watch_free(e, w);
	}
}

/* One container's watch made to match the tree: opened, kept, re-opened for a new limit, or
 * dropped where it needs none now (gone, no limit, no children). A create, an update or a
 * destroy changes that for one node only: that node, not a walk of the whole tree per
 * request (a 10,000-container build spent a tenth of the agent's time in those walks). */
void lmc_agent_evict_recheck(struct agent *a, const char *name)
{
	struct lmc_evict *e = a->evict;

	if (!e || e->stopping)
		return;
	lmc_evwatch_one(a->m, name, watch_node, e);
	drop_unseen(e, name);
}

/* A create changes whether its parent is to be watched, nothing else. */
void lmc_agent_evict_created(struct agent *a, const char *name)
{
	char parent[LMC_NAME_MAX + 1];

	if (lmc_name_parent(name, parent, sizeof(parent)) >= 0)
		lmc_agent_evict_recheck(a, parent);
}

/* A destroy is about to remove these containers: their watches go first. Left open, a
 * PSI trigger reports its cgroup's removal as an error that stays readable, which spun the
 * loop (an openat2 and two epoll_waits each turn) until the destroy had completed. */
bool lmc_agent_evict_gone(struct agent *a, char (*names)[LMC_NAME_MAX + 1], size_t n)
{
	struct lmc_evict *e = a->evict;
	bool armed = false; /* a PSI trigger of theirs closed */

	if (!e || e->stopping || !e->n_watches)
		return false;
	for (size_t i = 0; i < n; i++) {
		struct ewatch *w = find_watch(e, names[i]);

		if (w) {
			armed = armed || (w->kw && lmc_evwatch_psi_fd(w->kw) >= 0);
			w->seen = false;
			drop_unseen(e, names[i]);
		}
	}
	return armed;
}

size_t lmc_agent_evict_watched(const struct agent *a)
{
	return a->evict ? a->evict->n_watches : 0;
}

uint64_t lmc_agent_evict_count(const struct agent *a)
{
	return a->evict ? a->evict->evicted : 0;
}

int lmc_agent_evict_start(struct agent *a, const struct lmc_evict_opts *o)
{
	struct lmc_evict *e;

	if (!o->enabled) {
		lmc_agent_log("eviction by priority is off (--no-eviction)");
		return 0;
	}
	if (!lmc_evwatch_supported(a->m)) {
		lmc_agent_log("eviction: the memory controller is not managed here: off");
		return 0;
	}
	e = calloc(1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	e->a = a;
	e->o = *o;
	e->meminfo_fd = -1;
	e->machine_psi_fd = -1;
	e->psi_epfd = epoll_create1(EPOLL_CLOEXEC);
	if (e->psi_epfd >= 0) {
		ev_io_init(&e->psi_io, on_psi, e->psi_epfd, EV_READ);
		ev_io_start(a->loop, &e->psi_io);
	}
	a->evict = e;
	machine_start(e);
	lmc_agent_evict_sync(a);
	lmc_agent_log("eviction: watching %zu containers (headroom max(%u%%, %" PRIu64
		      " bytes), PSI full %u/%u us)",
		      e->n_watches, o->pct, o->min_bytes, o->psi_stall_us, o->psi_window_us);
	return 0;
}

void lmc_agent_evict_stop(struct agent *a)
{
	struct lmc_evict *e = a->evict;

	if (!e)
		return;
	e->stopping = true;
	machine_stop(e);
	for (unsigned b = 0; b < EVICT_BUCKETS; b++)
		while (e->buckets[b]) {
			struct ewatch *w = e->buckets[b];

			e->buckets[b] = w->hnext;
			watch_free(e, w);
		}
	if (e->psi_epfd >= 0) {
		ev_io_stop(a->loop, &e->psi_io);
		close(e->psi_epfd);
		e->psi_epfd = -1;
	}
}

void lmc_agent_evict_free(struct agent *a)
{
	free(a->evict);
	a->evict = NULL;
}
