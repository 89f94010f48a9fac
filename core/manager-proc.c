/* The manager's process operations (run, enter, kill, pause, resume) and its readers
 * (list, spec, stats), authorization and reconciliation. */
#include "core/manager-internal.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "controllers/controller.h"
#include "nsutil/ns.h"
#include "policy/policy.h"

/* nsutil calls this while the new process waits, before it runs anything of its own. */
int lmc_mgr_attach_cb(pid_t pid, void *userdata, struct lmc_err *err)
{
	struct lmc_mgr_attach *a = userdata;

	return lmc_cgfs_attach(a->m->cg, a->name, pid, a->skip_unified, err);
}

/* Kernel 6.18 (seen here): once a cgroup has been through cgroup.kill, clone3 with
 * CLONE_INTO_CGROUP into it (or below it) SIGKILLs the child at birth, because the kill
 * sequence compared is the parent's cgroup's, not the target's. The child then vanishes
 * before the hand-shake. Such a spawn is retried once without CLONE_INTO_CGROUP: the child
 * is held on its pipe until attach_cb has placed it, so it still runs nothing unplaced. */
bool lmc_mgr_clone_into_refused(int r, int cgroup_fd)
{
	return cgroup_fd >= 0 && (r == -EPIPE || r == -ECONNRESET || r == -ESRCH);
}

/* A process started in a frozen cgroup is frozen before its first instruction: its start-up
 * hand-shake would wait for a resume (holding the agent, or the state lock in direct mode).
 * Refuse up front when the container or one above it is paused (or being paused). */
int lmc_mgr_refuse_frozen(struct lmc_manager *m, const char *name, const char *what,
			  struct lmc_err *err)
{
	char cur[LMC_NAME_MAX + 1], up[LMC_NAME_MAX + 1];

	snprintf(cur, sizeof(cur), "%s", name);
	while (!lmc_name_is_root(cur)) {
		bool frozen = false;

		if (lmc_cgfs_frozen(m->cg, cur, &frozen) >= 0 && frozen)
			return lmc_err_set(err, -EBUSY, "%s: %s: %s is paused (resume it first)",
					   lmc_name_display(name), what, lmc_name_display(cur));
		if (lmc_name_parent(cur, up, sizeof(up)) < 0)
			break;
		memcpy(cur, up, sizeof(cur));
	}
	return 0;
}

/* A leaf with namespaces needs its init alive; one that is gone (or that the record's pid
 * and start time no longer name) is started again. *ret_fd stays the node's. */
static int ensure_init(struct lmc_manager *m, struct lmc_node *node, int *ret_fd,
		       struct lmc_err *err)
{
	struct lmc_init_id id;
	int fd = lmc_mgr_init_fd(node), r;

	if (fd >= 0) {
		*ret_fd = fd;
		return 0;
	}
	/* A record from before ranges were assigned gets its own now. */
	r = lmc_mgr_idmaps_assign(m, node->name, &node->spec, err);
	if (r >= 0)
		r = lmc_mgr_start_init(m, node->name, &node->spec, &id, &fd, err);
	if (r < 0)
		return r;
	r = lmc_mgr_set_init(node, &id, fd);
	if (r < 0) {
		lmc_ns_kill_reap(fd);
		close(fd);
		return lmc_err_set(err, r, "out of memory");
	}
	/* Best effort: a record naming a gone init is found out by its start time anyway. */
	lmc_mgr_put(m, node->name, &node->spec, LMC_REC_READY, &id, NULL);
	*ret_fd = fd;
	return 0;
}

static int leaf_lookup(struct lmc_manager *m, const char *uname, struct lmc_node **ret,
		       struct lmc_err *err)
{
	int r = lmc_mgr_lookup(m, uname, false, ret, err);

	if (r < 0)
		return r;
	r = lmc_mgr_refuse_busy(*ret, err);
	if (r < 0)
		return r;
	if ((*ret)->n_children)
		return lmc_err_set(
			err, -EISDIR,
			"%s: has child containers; processes run only in leaf containers",
			(*ret)->name);
	return 0;
}

/* The process, and the init if one must start first, fit the pids limits. */
static int run_pids_room(struct lmc_manager *m, struct lmc_node *node, struct lmc_err *err)
{
	bool new_init = node->spec.ns.mask && lmc_mgr_init_fd(node) < 0;
	struct lmc_pids_incoming in = {NULL, new_init ? 2 : 1};

	return lmc_mgr_pids_room(m, node->name, node, &in, 1,
				 new_init ? "run (with its namespace init)" : "run", err);
}

int lmc_mgr_run_init_start(struct lmc_manager *m, const char *uname, struct lmc_mgr_init_wait **ret,
			   struct lmc_err *err)
{
	const struct lmc_node_rt *rt;
	struct lmc_node *node;
	int r;

	*ret = NULL;
	r = leaf_lookup(m, uname, &node, err);
	if (r < 0)
		return r;
	rt = node->user;
	if (rt && rt->init_starting)
		return -EINPROGRESS;
	if (!node->spec.ns.mask || lmc_mgr_init_fd(node) >= 0)
		return 0;
	r = run_pids_room(m, node, err);
	/* A record from before ranges were assigned gets its own now. */
	if (r >= 0)
		r = lmc_mgr_idmaps_assign(m, node->name, &node->spec, err);
	return r < 0 ? r : lmc_mgr_run_init_begin(m, node, ret, err);
}

/* Everything a run needs before its clone: the leaf, its room, its groups, its init. */
struct run_prep {
	struct lmc_ns_spawn_opts so;
	struct lmc_mgr_attach a;
	gid_t *groups;
	int cgfd;
	int place[LMC_CTRL__MAX]; /* a copying clone's placing files (run_place) */
	size_t n_place;
};

static void run_prep_done(struct run_prep *p)
{
	free(p->groups);
	if (p->cgfd >= 0)
		close(p->cgfd);
	for (size_t i = 0; i < p->n_place; i++)
		close(p->place[i]);
}

static int run_prepare(struct lmc_manager *m, const char *uname, const struct lmc_run_opts *o,
		       struct run_prep *p, struct lmc_err *err)
{
	struct lmc_node *node;
	int r;

	*p = (struct run_prep){.a = {.m = m}, .cgfd = -1};
	p->so = (struct lmc_ns_spawn_opts){.argv = o->argv,
					   .env = o->env,
					   .cwd = o->cwd,
					   .set_ids = o->set_ids,
					   .uid = o->uid,
					   .gid = o->gid,
					   .attach = lmc_mgr_attach_cb,
					   .userdata = &p->a,
					   .join_pidfd = -1,
					   .new_session = o->detach};
	if (!o->argv || !o->argv[0] || !o->argv[0][0])
		return lmc_err_set(err, -EINVAL, "run: no command given");
	r = leaf_lookup(m, uname, &node, err);
	if (r >= 0)
		r = lmc_mgr_refuse_frozen(m, node->name, "run", err);
	if (r >= 0)
		r = run_pids_room(m, node, err);
	if (r < 0)
		return r;
	memcpy(p->so.stdio, o->stdio, sizeof(p->so.stdio));
	if (o->set_ids && o->gid_from_user) {
		r = lmc_mgr_run_groups(o, &p->so.gid, &p->groups, &p->so.n_groups, err);
		if (r < 0)
			return r;
		p->so.groups = p->groups;
	}
	if (node->spec.ns.mask) {
		/* Joined through the pidfd: if the init dies meanwhile, setns fails (ESRCH)
		 * rather than reach whatever has its pid next. */
		r = ensure_init(m, node, &p->so.join_pidfd, err);
		if (r < 0)
			return r;
		p->so.join_mask = node->spec.ns.mask;
	}
	p->so.cgroup_fd = -1;
	p->a.name = node->name;
	return 0;
}

/* A clone here: into the cgroup2 leaf where it can be (CLONE_INTO_CGROUP), attach the rest. */
static void run_clone_into(struct lmc_manager *m, struct run_prep *p)
{
	if (p->cgfd < 0)
		p->cgfd = lmc_cgfs_unified_fd(m->cg, p->a.name);
	p->so.cgroup_fd = p->cgfd >= 0 ? p->cgfd : -1;
	p->a.skip_unified = p->cgfd >= 0;
}

/* A copying clone's child places itself too, through the files a vfork'd one writes (v1's
 * tasks: no global lock, lmc_cgfs_procs_fds), where they can be opened; else attach does. */
static void run_place(struct lmc_manager *m, struct run_prep *p)
{
	if (p->n_place == 0 &&
	    lmc_cgfs_procs_fds(m->cg, p->a.name, p->place, &p->n_place, NULL) < 0)
		p->n_place = 0;
	p->so.place_fds = p->n_place ? p->place : NULL;
	p->so.n_place = p->n_place;
}

static void run_unplaced(struct run_prep *p, struct lmc_err *err)
{
	lmc_err_clear(err);
	p->so.cgroup_fd = -1;
	p->a.skip_unified = false;
}

int lmc_mgr_run(struct lmc_manager *m, const char *uname, const struct lmc_run_opts *o,
		pid_t *ret_pid, int *ret_pidfd, struct lmc_err *err)
{
	struct lmc_ns_vspawn *v = NULL;
	struct lmc_run_opts od = *o;
	struct lmc_ns_spawn_wait w;
	int r;

	od.defer = &v; /* a vfork'd child where it can be (run_defer), on a thread of its own */
	r = lmc_mgr_run_start(m, uname, &od, &w, err);
	if (r >= 0 && v)
		lmc_ns_vspawn_detach(v);
	return r < 0 ? r : lmc_ns_spawn_await(&w, ret_pid, ret_pidfd, err);
}

/* The clone left to the agent's worker (see lmc_run_opts.defer): 1 when prepared so. */
static int run_defer(struct lmc_manager *m, const struct lmc_run_opts *o, struct run_prep *p,
		     struct lmc_ns_spawn_wait *ret, struct lmc_err *err)
{
	int place[LMC_CTRL__MAX];
	size_t n = 0;
	int r;

	_Static_assert(LMC_CTRL__MAX <= LMC_NS_PLACE_MAX, "a fd per hierarchy");
	*o->defer = NULL;
	/* Where there is a cgroup2 tree, clone3 places the child there (CLONE_INTO_CGROUP), and
	 * on v2 the fork is checked against pids.max; a move through cgroup.procs is not: the
	 * vfork'd child is cloned into the leaf (lmc_ns_clone_fn), its cgroup.procs kept for
	 * a clone the kernel kills at birth. It joins the v1 hierarchies itself, through
	 * their tasks files (no global lock: lmc_cgfs_procs_fds). In hybrid mode this also
	 * spares it the cgroup2 cgroup.procs write, the one that took that lock. */
	run_clone_into(m, p);
	if (!lmc_ns_vspawn_possible(&p->so) ||
	    lmc_cgfs_procs_fds(m->cg, p->a.name, place, &n, NULL) < 0) {
		run_unplaced(p, NULL);
		return 0;
	}
	r = lmc_ns_vspawn_prepare(&p->so, place, n, ret, o->defer, err);
	return r < 0 ? r : 1;
}

int lmc_mgr_run_start(struct lmc_manager *m, const char *uname, const struct lmc_run_opts *o,
		      struct lmc_ns_spawn_wait *ret, struct lmc_err *err)
{
	struct run_prep p;
	int r = run_prepare(m, uname, o, &p, err);

	if (r >= 0 && o->defer) {
		r = run_defer(m, o, &p, ret, err);
		if (r != 0) {
			run_prep_done(&p);
			return r < 0 ? r : 0;
		}
	}
	if (r >= 0) {
		run_clone_into(m, &p);
		run_place(m, &p);
		r = lmc_ns_spawn_start(&p.so, ret, err);
	}
	/* A child killed at birth shows here, at its release (see lmc_mgr_clone_into_refused). */
	if (r < 0 && lmc_mgr_clone_into_refused(r, p.so.cgroup_fd)) {
		run_unplaced(&p, err);
		r = lmc_ns_spawn_start(&p.so, ret, err);
	}
	run_prep_done(&p);
	return r;
}

static void close_all(int *fds, size_t n)
{
	for (size_t i = 0; fds && i < n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	free(fds);
}

int lmc_mgr_enter_checked(struct lmc_manager *m, const char *uname, const pid_t *pids, size_t n,
			  lmc_mgr_mover_fn check, void *userdata, struct lmc_err *err)
{
	struct lmc_node *node;
	int *fds, r;

	r = leaf_lookup(m, uname, &node, err);
	if (r < 0)
		return r;
	fds = malloc((n ? n : 1) * sizeof(*fds));
	if (!fds)
		return lmc_err_set(err, -ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++)
		fds[i] = -1;
	/* All or nothing as far as we can tell beforehand: every pid exists and may move. */
	r = lmc_mgr_enter_check(m, node, pids, n, fds, check, userdata, err);
	for (size_t i = 0; r >= 0 && i < n; i++) {
		/* A pid whose process ended may name another one by now: not moved. */
		if (!lmc_mgr_pidfd_alive(fds[i]))
			r = lmc_err_set(err, -ESRCH, "enter: pid %d ended", pids[i]);
		else
			r = lmc_cgfs_attach(m->cg, node->name, pids[i], false, err);
	}
	close_all(fds, n);
	return r < 0 ? r : 0;
}

int lmc_mgr_enter(struct lmc_manager *m, const char *uname, const pid_t *pids, size_t n,
		  struct lmc_err *err)
{
	return lmc_mgr_enter_checked(m, uname, pids, n, NULL, NULL, err);
}

int lmc_mgr_kill(struct lmc_manager *m, const char *uname, int sig, bool recursive,
		 struct lmc_err *err)
{
	_cleanup_free_ pid_t *pids = NULL;
	struct lmc_node *node;
	size_t n = 0;
	int r;

	r = lmc_mgr_lookup(m, uname, false, &node, err);
	if (r < 0)
		return r;
	if (sig < 0 || sig > SIGRTMAX)
		return lmc_err_set(err, -EINVAL, "kill: invalid signal %d", sig);
	if (recursive || !node->n_children) {
		if (sig == SIGKILL)
			return lmc_cgfs_kill(m->cg, node->name, KILL_TIMEOUT_MS, err);
		return lmc_cgfs_signal(m->cg, node->name, sig, err);
	}
	/* Not recursive and it has children: it holds no process of its own (leaf rule),
	 * but signal whatever cgroup.procs lists, in case something was put there by hand. */
	r = lmc_cgfs_procs(m->cg, node->name, &pids, &n);
	if (r < 0)
		return lmc_err_set(err, r, "%s: cannot list its processes: %s", node->name,
				   strerror(-r));
	for (size_t i = 0; i < n; i++)
		kill(pids[i], sig);
	return 0;
}

int lmc_mgr_kill_start(struct lmc_manager *m, const char *uname, int sig, bool recursive,
		       char *ret_name, struct lmc_err *err)
{
	struct lmc_node *node;
	int r = lmc_mgr_lookup(m, uname, false, &node, err);

	if (r < 0)
		return r;
	if (sig == SIGKILL && (recursive || !node->n_children)) {
		snprintf(ret_name, LMC_NAME_MAX + 1, "%s", node->name);
		return 1; /* lmc_mgr_kill_wait(name): cgroupfs only, any thread */
	}
	return lmc_mgr_kill(m, uname, sig, recursive, err);
}

int lmc_mgr_pause(struct lmc_manager *m, const char *uname, struct lmc_err *err)
{
	struct lmc_node *node;
	int r = lmc_mgr_lookup(m, uname, false, &node, err);

	return r < 0 ? r : lmc_cgfs_freeze(m->cg, node->name, true, err);
}

int lmc_mgr_pause_start(struct lmc_manager *m, const char *uname, char *ret_name,
			struct lmc_err *err)
{
	struct lmc_node *node;
	int r = lmc_mgr_lookup(m, uname, false, &node, err);

	if (r >= 0)
		r = lmc_cgfs_freeze_start(m->cg, node->name, true, false, err);
	if (r >= 0)
		snprintf(ret_name, LMC_NAME_MAX + 1, "%s", node->name);
	return r;
}

int lmc_mgr_resume(struct lmc_manager *m, const char *uname, struct lmc_err *err)
{
	struct lmc_node *node;
	int r = lmc_mgr_lookup(m, uname, false, &node, err);

	return r < 0 ? r : lmc_cgfs_freeze(m->cg, node->name, false, err);
}

/* ---- readers ---- */

static size_t subtree_size(const struct lmc_node *top, bool recursive)
{
	size_t n = 0;

	if (!recursive)
		return 1 + top->n_children;
	for (const struct lmc_node *x = top; x; x = lmc_tree_next(top, x))
		n++;
	return n;
}

void lmc_list_free(struct lmc_list_entry *l, size_t n)
{
	if (!l)
		return;
	for (size_t i = 0; i < n; i++)
		free(l[i].pids);
	free(l);
}

/* The nodes a listing covers: the container and its children (like ls), or with -r its
 * whole subtree. */
static const struct lmc_node *reader_next(const struct lmc_node *top, const struct lmc_node *x,
					  bool recursive)
{
	if (recursive)
		return lmc_tree_next(top, x);
	return x == top ? top->first_child : x->next_sibling;
}

int lmc_mgr_list(struct lmc_manager *m, const char *uname, bool recursive, bool want_pids,
		 struct lmc_list_entry **ret, size_t *ret_n, struct lmc_err *err)
{
	struct lmc_node *top;
	struct lmc_list_entry *l;
	size_t n = 0;
	int r, d0;

	r = lmc_mgr_lookup(m, uname, true, &top, err);
	if (r < 0)
		return r;
	l = calloc(subtree_size(top, recursive), sizeof(*l));
	if (!l)
		return lmc_err_set(err, -ENOMEM, "out of memory");
	d0 = lmc_node_depth(top);
	for (const struct lmc_node *x = top; x; x = reader_next(top, x, recursive)) {
		if (!x->parent)
			continue; /* the root is not a container to list */
		snprintf(l[n].name, sizeof(l[n].name), "%s", x->name);
		l[n].depth = lmc_node_depth(x) - d0 - (top->parent ? 0 : 1);
		if (lmc_cgfs_frozen(m->cg, x->name, &l[n].paused) < 0)
			l[n].paused = false; /* no freezer: nothing can be paused */
		l[n].priority = lmc_policy_priority(x);
		if (want_pids) {
			r = lmc_cgfs_procs(m->cg, x->name, &l[n].pids, &l[n].n_pids);
			if (r < 0 && r != -ENOENT) {
				lmc_list_free(l, n + 1);
				return lmc_err_set(err, r, "%s: cannot list its processes: %s",
						   x->name, strerror(-r));
			}
		}
		n++;
	}
	*ret = l;
	*ret_n = n;
	return 0;
}

int lmc_mgr_spec(struct lmc_manager *m, const char *uname, struct lmc_spec *ret_spec,
		 struct lmc_effective *ret_eff, struct lmc_err *err)
{
	struct lmc_node *node;
	int r;

	r = lmc_mgr_lookup(m, uname, true, &node, err);
	if (r < 0)
		return r;
	if (ret_spec)
		*ret_spec = node->spec;
	if (ret_eff) {
		r = lmc_policy_effective(m->tree, node, ret_eff);
		if (r < 0)
			return lmc_err_set(err, r, "%s: %s", node->name, strerror(-r));
	}
	return 0;
}

int lmc_mgr_stats_plan(struct lmc_manager *m, const char *uname, bool recursive,
		       struct lmc_stats_entry **ret, size_t *ret_n, struct lmc_err *err)
{
	struct lmc_node *top;
	struct lmc_stats_entry *e;
	size_t n = 0;
	int r;

	r = lmc_mgr_lookup(m, uname, true, &top, err);
	if (r < 0)
		return r;
	e = calloc(subtree_size(top, recursive), sizeof(*e));
	if (!e)
		return lmc_err_set(err, -ENOMEM, "out of memory");
	for (const struct lmc_node *x = top; x; x = recursive ? lmc_tree_next(top, x) : NULL) {
		if (!x->parent && recursive)
			continue; /* the root's own figures only when asked for alone */
		snprintf(e[n].name, sizeof(e[n].name), "%s", x->name);
		e[n].priority = lmc_policy_priority(x);
		lmc_stats_init(&e[n].stats);
		n++;
	}
	*ret = e;
	*ret_n = n;
	return 0;
}

/* Reading is all system calls on cgroupfs (15 files a container, 13 for a scrape), which
 * run in parallel, and part of each waits in the kernel: `stats -r` of 10,000 containers on
 * this 2-CPU machine took 1.5 s on one thread, 1.1 s on two, 0.78 s on four. From 128
 * containers a thread. A scrape's reading (skip_gone) takes one a CPU: since a reading pins
 * its containers (lmc_cgfs_pin) its threads no longer wait on the directory table's lock,
 * and two a CPU took more CPU (70-80 ms against 60-70 ms for 1,000 containers), were no
 * faster (a fresh scrape 39-43 ms against 38-41 ms) and slowed the loop's answers meanwhile
 * (`lmctl version` median 2.3 ms against 1.1-1.7 ms; bench/metrics.sh, quiet host). */
#define FILL_PER_THREAD_MIN 128
#define FILL_THREADS_MAX 8

/* Containers are handed out FILL_CHUNK at a time from one counter, not in one range a
 * thread: a thread that the scheduler runs less (the machine's other work, the parent whose
 * files cost more) takes fewer, and the reading ends when the CPUs' work does. */
#define FILL_CHUNK 16

struct fill_work {
	struct lmc_cgfs *cg;
	struct lmc_stats_entry *e;
	size_t n, next; /* next: the first container not yet taken (atomic) */
	size_t failed; /* the first container that failed, or n (under lock) */
	int r;
	bool skip_gone;
	unsigned what; /* LMC_STATS_LIMITS: lmctl stats shows the kernel's limits */
	pthread_mutex_t lock;
};

static uint64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static int fill_one(struct fill_work *w, size_t i)
{
	struct lmc_stats_entry *x = &w->e[i];
	int r;

	x->read_realtime_ns = clock_ns(CLOCK_REALTIME);
	x->read_monotonic_ns = clock_ns(CLOCK_MONOTONIC);
	r = lmc_controller_stats_read(w->cg, x->name, w->what, &x->stats);
	/* Destroyed since the plan: a scrape skips any, stats one below the asked one. */
	if ((r == -ENOENT || r == -ENODEV) && (w->skip_gone || i > 0)) {
		x->gone = true;
		lmc_stats_init(&x->stats);
		r = 0;
	}
	return r;
}

static void *fill_worker(void *arg)
{
	struct fill_work *w = arg;
	size_t from, to;
	int r;

	while ((from = __atomic_fetch_add(&w->next, FILL_CHUNK, __ATOMIC_RELAXED)) < w->n) {
		to = from + FILL_CHUNK < w->n ? from + FILL_CHUNK : w->n;
		for (size_t i = from; i < to; i++) {
			r = fill_one(w, i);
			if (r >= 0)
				continue;
			pthread_mutex_lock(&w->lock);
			if (i < w->failed) {
				w->failed = i;
				w->r = r;
			}
			pthread_mutex_unlock(&w->lock);
			__atomic_store_n(&w->next, w->n, __ATOMIC_RELAXED); /* the others stop */
			return NULL;
		}
	}
	return NULL;
}

static size_t fill_threads(size_t n, long per_cpu)
{
	size_t t = n / FILL_PER_THREAD_MIN;
	long cpus;

	if (t <= 1) /* sysconf opens, reads and closes a sysfs file: not for one container */
		return 1;
	cpus = per_cpu * sysconf(_SC_NPROCESSORS_ONLN);
	if (cpus < 1)
		cpus = 1;
	if (t > (size_t)cpus)
		t = (size_t)cpus;
	if (t > FILL_THREADS_MAX)
		t = FILL_THREADS_MAX;
	return t ? t : 1;
}

static int stats_fill(struct lmc_cgfs *cg, struct lmc_stats_entry *e, size_t n, bool skip_gone,
		      unsigned fields, struct lmc_err *err)
{
	struct fill_work w = {.cg = cg,
			      .e = e,
			      .n = n,
			      .failed = n,
			      .skip_gone = skip_gone,
			      .what = (fields & LMC_STATF_ALL) |
				      (skip_gone ? 0 : LMC_STATS_LIMITS)};
	pthread_t tids[FILL_THREADS_MAX];
	size_t nt = fill_threads(n, skip_gone ? 1 : 2), started = 1;

	pthread_mutex_init(&w.lock, NULL);
	/* This thread reads too, whatever number of the others could start. */
	while (started < nt && pthread_create(&tids[started], NULL, fill_worker, &w) == 0)
		started++;
	fill_worker(&w);
	for (size_t t = 1; t < started; t++)
		pthread_join(tids[t], NULL);
	pthread_mutex_destroy(&w.lock);
	if (w.failed < n)
		return lmc_err_set(err, w.r, "%s: cannot read its stats: %s",
				   lmc_name_display(e[w.failed].name), strerror(-w.r));
	return 0;
}

int lmc_mgr_stats_fill(struct lmc_manager *m, struct lmc_stats_entry *e, size_t n,
		       struct lmc_err *err)
{
	return stats_fill(m->cg, e, n, false, 0, err);
}

int lmc_mgr_stats_fill_fields(struct lmc_manager *m, struct lmc_stats_entry *e, size_t n,
			      unsigned fields, struct lmc_err *err)
{
	return stats_fill(m->cg, e, n, false, fields, err);
}

int lmc_mgr_stats_fill_live(struct lmc_manager *m, struct lmc_stats_entry *e, size_t n,
			    struct lmc_err *err)
{
	return stats_fill(m->cg, e, n, true, 0, err);
}

int lmc_mgr_stats(struct lmc_manager *m, const char *uname, bool recursive,
		  struct lmc_stats_entry **ret, size_t *ret_n, struct lmc_err *err)
{
	return lmc_mgr_stats_fields(m, uname, recursive, 0, ret, ret_n, err);
}

int lmc_mgr_stats_fields(struct lmc_manager *m, const char *uname, bool recursive, unsigned fields,
			 struct lmc_stats_entry **ret, size_t *ret_n, struct lmc_err *err)
{
	struct lmc_stats_entry *e = NULL;
	size_t n = 0;
	int r;

	r = lmc_mgr_stats_plan(m, uname, recursive, &e, &n, err);
	if (r < 0)
		return r;
	r = lmc_mgr_stats_fill_fields(m, e, n, fields, err);
	if (r < 0) {
		free(e);
		return r;
	}
	*ret = e;
	*ret_n = n;
	return 0;
}

/* ---- facts for the agent's authorization (proto/auth.c) ---- */

int lmc_mgr_owner(struct lmc_manager *m, const char *name, uid_t *ret)
{
	const struct lmc_node *n = lmc_tree_find(m->tree, name);

	if (!n)
		return -ENOENT;
	*ret = n->spec.owner;
	return 0;
}

/* ---- reconciliation ---- */

/* The stored spec is the truth (an update stores it before it writes the kernel): where the
 * kernel holds other limits, apply it again. */
static void reconcile_limits(struct lmc_manager *m, struct lmc_node *n, lmc_mgr_report_fn report,
			     void *userdata)
{
	char why[256], msg[LMC_ERR_MSG_MAX];
	struct lmc_err e = {0};
	struct lmc_spec kernel, k;
	int r = lmc_controller_diff(m->cg, n->name, &n->spec, &kernel, why, sizeof(why));

	/* v1 throttles are not read back: each container's are written again as they must
	 * be, so a crash between an ancestor's record and its subtree's files is undone. */
	lmc_mgr_reconcile_throttles(m, n);
	if (r == 0)
		return;
	if (r < 0) {
		snprintf(msg, sizeof(msg), "cannot read its limits back: %s", strerror(-r));
		report(n->name, msg, userdata);
		return;
	}
	/* the kernel's values as the old spec: a limit the spec no longer sets is lifted */
	r = lmc_mgr_kernel_spec(m, n->name, n->parent, &n->spec, NULL, NULL, &k, &e);
	if (r >= 0)
		r = lmc_controller_apply_all(m->cg, n->name, &k, &kernel, &e);
	snprintf(msg, sizeof(msg), "the kernel did not hold the stored spec (%s): %s", why,
		 r < 0 ? lmc_err_str(&e) : "re-applied");
	report(n->name, msg, userdata);
}

static int reconcile_node(struct lmc_manager *m, struct lmc_node *n, lmc_mgr_report_fn report,
			  void *userdata)
{
	struct lmc_err e = {0};
	pid_t pid = lmc_mgr_init_pid(n);
	struct lmc_spec k;
	int r;

	/* the directory fds opened here serve the reads of its limits that follow */
	if (!lmc_cgfs_exists_kept(m->cg, n->name)) {
		lmc_cgfs_remove(m->cg, n->name, NULL); /* partial remains, if any */
		r = lmc_mgr_kernel_spec(m, n->name, n->parent, &n->spec, NULL, NULL, &k, &e);
		if (r >= 0)
			r = lmc_controller_create(m->cg, n->name, &k, &e);
		report(n->name, r < 0 ? lmc_err_str(&e) : "cgroups were missing: recreated",
		       userdata);
		pid = 0;
	} else {
		reconcile_limits(m, n, report, userdata);
	}
	/* Known again by pid and start time (and held by a pidfd from now on), or gone. */
	if (n->spec.ns.mask && pid && lmc_mgr_init_fd(n) < 0)
		report(n->name, "namespace init is gone: a new one starts with the next run",
		       userdata);
	return 0;
}

static void reconcile_orphans(struct lmc_manager *m, const char *name, lmc_mgr_report_fn report,
			      void *userdata, int depth)
{
	char **kids = NULL;
	size_t nk = 0;

	if (depth > LMC_NAME_DEPTH_MAX || lmc_cgfs_children(m->cg, name, &kids, &nk) < 0)
		return;
	for (size_t i = 0; i < nk; i++) {
		char child[LMC_NAME_MAX + 1];

		if (lmc_name_join(name, kids[i], child, sizeof(child)) < 0)
			report(kids[i], "cgroup under the root with an invalid name: left alone",
			       userdata);
		else if (!lmc_tree_find(m->tree, child))
			report(child, "cgroup has no stored spec: left alone", userdata);
		else
			reconcile_orphans(m, child, report, userdata, depth + 1);
		free(kids[i]);
	}
	free(kids);
}

int lmc_mgr_reconcile(struct lmc_manager *m, lmc_mgr_report_fn report, void *userdata,
		      struct lmc_err *err)
{
	struct lmc_node *top = lmc_tree_root(m->tree);

	(void)err;
	lmc_mgr_notes(m, report, userdata);
	for (struct lmc_node *n = top->first_child; n; n = lmc_tree_next(top, n))
		reconcile_node(m, n, report, userdata);
	reconcile_orphans(m, "", report, userdata, 0);
	return 0;
}
