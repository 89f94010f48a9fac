/* A leaf's namespace init started in steps, and the create that waits for one: for the
 * agent's loop, which must not wait for the init's hand-shake (up to LMC_NS_HANDSHAKE_MS
 * when something froze it). The init is cloned, placed and released (lmc_mgr_init_begin);
 * its report is read once its channel is readable (lmc_mgr_init_end). Direct mode runs the
 * same steps with a bounded wait between them. */
#include "core/manager-internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controllers/controller.h"

/* One attempt: into the cgroup2 leaf by clone3 (into), else placed by attach alone. */
static int init_attempt(struct lmc_manager *m, struct lmc_mgr_init_wait *iw, bool into,
			struct lmc_err *err)
{
	_cleanup_close_ int cgfd = into ? lmc_cgfs_unified_fd(m->cg, iw->name) : -EBADF;
	struct lmc_mgr_attach a = {.m = m, .name = iw->name, .skip_unified = cgfd >= 0};
	struct lmc_ns_init_opts o = {
		.ns = &iw->ns,
		.cgroup_fd = cgfd >= 0 ? cgfd : -1,
		.attach = lmc_mgr_attach_cb,
		.userdata = &a,
	};
	int place[LMC_CTRL__MAX];
	size_t n = 0;
	int r;

	/* It places itself where the files open (v1's tasks: no global lock, as a run's
	 * child, lmc_cgfs_procs_fds); else attach does. */
	if (lmc_cgfs_procs_fds(m->cg, iw->name, place, &n, NULL) >= 0 && n) {
		o.place_fds = place;
		o.n_place = n;
	}
	iw->placed = cgfd >= 0;
	r = lmc_ns_init_start(&o, &iw->w, err);
	for (size_t i = 0; i < n; i++)
		close(place[i]);
	return r;
}

/* After an attempt that gave r: if the kernel killed the child at birth (see
 * lmc_mgr_clone_into_refused), a second attempt, unplaced until attach has put it
 * everywhere (*retried); else r. */
static int retry_unplaced(struct lmc_manager *m, struct lmc_mgr_init_wait *iw, int r, bool *retried,
			  struct lmc_err *err)
{
	*retried = r < 0 && lmc_mgr_clone_into_refused(r, iw->placed ? 0 : -1);
	if (!*retried)
		return r;
	lmc_err_clear(err);
	return init_attempt(m, iw, false, err);
}

int lmc_mgr_init_begin(struct lmc_manager *m, const char *name, const struct lmc_spec *spec,
		       struct lmc_mgr_init_wait *iw, struct lmc_err *err)
{
	bool retried;
	int r;

	*iw = (struct lmc_mgr_init_wait){.w = {.pidfd = -1, .chan = -1}, .ns = spec->ns};
	snprintf(iw->name, sizeof(iw->name), "%s", name);
	r = lmc_mgr_refuse_frozen(m, name, "starting its namespace init", err);
	if (r >= 0)
		r = init_attempt(m, iw, true, err);
	return retry_unplaced(m, iw, r, &retried, err);
}

int lmc_mgr_init_end(struct lmc_manager *m, struct lmc_mgr_init_wait *iw,
		     struct lmc_init_id *ret_id, int *ret_pidfd, struct lmc_err *err)
{
	int r = lmc_ns_init_finish(&iw->w, &ret_id->pid, ret_pidfd, err);
	bool retried;

	if (r == -EAGAIN)
		return r;
	/* a second attempt's report is awaited as the first's was */
	r = retry_unplaced(m, iw, r, &retried, err);
	if (retried)
		return r < 0 ? r : -EAGAIN;
	if (r < 0)
		return r;
	/* With the pid, what the store knows it by. */
	r = lmc_ns_proc_start(ret_id->pid, &ret_id->start);
	if (r >= 0)
		r = lmc_ns_proc_nskey(ret_id->pid, &ret_id->ns);
	if (r < 0) {
		lmc_ns_kill_reap(*ret_pidfd);
		close(*ret_pidfd);
		return lmc_err_set(err, r,
				   "init: pid %d: cannot read its start time or namespaces: %s",
				   (int)ret_id->pid, strerror(-r));
	}
	return 0;
}

/* Wait (bounded) for the report of an init begun: what direct mode does between the steps. */
static int init_wait(struct lmc_manager *m, struct lmc_mgr_init_wait *iw,
		     struct lmc_init_id *ret_id, int *ret_pidfd, struct lmc_err *err)
{
	int r = -EAGAIN;

	/* a first attempt and a retry; a readable channel with nothing on it ends it too */
	for (int i = 0; i < 3 && r == -EAGAIN; i++) {
		if (lmc_ns_wait_readable(iw->w.chan, LMC_NS_HANDSHAKE_MS) < 0)
			return lmc_ns_init_timeout(&iw->w, err);
		r = lmc_mgr_init_end(m, iw, ret_id, ret_pidfd, err);
	}
	return r == -EAGAIN ? lmc_ns_init_timeout(&iw->w, err) : r;
}

int lmc_mgr_start_init(struct lmc_manager *m, const char *name, const struct lmc_spec *spec,
		       struct lmc_init_id *ret_id, int *ret_pidfd, struct lmc_err *err)
{
	struct lmc_mgr_init_wait iw;
	int r = lmc_mgr_init_begin(m, name, spec, &iw, err);

	return r < 0 ? r : init_wait(m, &iw, ret_id, ret_pidfd, err);
}

/* ---- a run's new init (the leaf's was gone) ---- */

int lmc_mgr_run_init_begin(struct lmc_manager *m, struct lmc_node *node,
			   struct lmc_mgr_init_wait **ret, struct lmc_err *err)
{
	struct lmc_mgr_init_wait *iw = malloc(sizeof(*iw));
	struct lmc_node_rt *rt = lmc_mgr_rt(node);
	int r;

	if (!iw || !rt) {
		free(iw);
		return lmc_err_set(err, -ENOMEM, "out of memory");
	}
	r = lmc_mgr_init_begin(m, node->name, &node->spec, iw, err);
	if (r < 0) {
		free(iw);
		return r;
	}
	rt->init_starting = true; /* the runs that come meanwhile wait for this one */
	*ret = iw;
	return 0;
}

int lmc_mgr_init_wait_fd(const struct lmc_mgr_init_wait *iw)
{
	return iw->w.chan;
}

const char *lmc_mgr_init_wait_name(const struct lmc_mgr_init_wait *iw)
{
	return iw->name;
}

void lmc_mgr_run_init_cancel(struct lmc_manager *m, struct lmc_mgr_init_wait *iw)
{
	struct lmc_node *node = lmc_tree_find(m->tree, iw->name);

	if (node && node->user)
		((struct lmc_node_rt *)node->user)->init_starting = false;
	lmc_ns_init_cancel(&iw->w);
	free(iw);
}

int lmc_mgr_run_init_finish(struct lmc_manager *m, struct lmc_mgr_init_wait *iw,
			    struct lmc_err *err)
{
	struct lmc_node *node = lmc_tree_find(m->tree, iw->name);
	struct lmc_init_id id = {0};
	int pidfd = -1, r = lmc_mgr_init_end(m, iw, &id, &pidfd, err);

	if (r == -EAGAIN)
		return r;
	if (r >= 0 && !node) { /* destroyed meanwhile */
		lmc_ns_kill_reap(pidfd);
		close(pidfd);
		r = lmc_err_set(err, -ENOENT, "%s: no such container", iw->name);
	} else if (r >= 0) {
		/* its rt is there (init_starting): nothing to allocate, nothing to fail */
		lmc_mgr_set_init(node, &id, pidfd);
		/* Best effort: a record naming a gone init is found out by its start time. */
		lmc_mgr_put(m, node->name, &node->spec, LMC_REC_READY, &id, NULL);
	}
	lmc_mgr_run_init_cancel(m, iw);
	return r;
}

int lmc_mgr_run_init_timeout(struct lmc_manager *m, struct lmc_mgr_init_wait *iw,
			     struct lmc_err *err)
{
	int r = lmc_ns_init_timeout(&iw->w, err);

	lmc_mgr_run_init_cancel(m, iw);
	return r;
}

/* ---- a create that waits for its init ---- */

struct lmc_mgr_creating {
	struct lmc_mgr_init_wait iw;
	struct lmc_spec spec; /* as it is stored */
	int r; /* a failure before the wait (lmc_mgr_create_finish returns it) */
	struct lmc_err err;
	bool undone; /* its processes and cgroups are gone (lmc_mgr_create_undo) */
};

struct lmc_node_rt *lmc_mgr_rt(struct lmc_node *n)
{
	struct lmc_node_rt *rt = n->user;

	if (!rt) {
		rt = calloc(1, sizeof(*rt));
		if (!rt)
			return NULL;
		rt->init_pidfd = -1;
		n->user = rt;
	}
	return rt;
}

bool lmc_mgr_creating(const struct lmc_node *n)
{
	const struct lmc_node_rt *rt = n->user;

	return rt && rt->creating;
}

/* In the tree from now on, so that what is admitted next counts it, and marked: nothing
 * else may run in it, create under it, change or destroy it until it is done. */
static int creating_add(struct lmc_manager *m, struct lmc_mgr_creating *c)
{
	struct lmc_node *node;
	struct lmc_node_rt *rt;
	int r = lmc_tree_add(m->tree, c->iw.name, &c->spec, &node);

	if (r < 0)
		return r;
	rt = lmc_mgr_rt(node);
	if (!rt) {
		lmc_tree_remove(m->tree, node);
		return -ENOMEM;
	}
	rt->creating = true;
	return 0;
}

int lmc_mgr_create_wait(struct lmc_manager *m, const char *name, const struct lmc_spec *spec,
			struct lmc_mgr_creating **ret, struct lmc_err *err)
{
	struct lmc_mgr_creating *c = calloc(1, sizeof(*c));
	int r;

	if (!c)
		return lmc_err_set(err, -ENOMEM, "%s: out of memory", name);
	c->spec = *spec;
	c->iw.w.pidfd = c->iw.w.chan = -1;
	snprintf(c->iw.name, sizeof(c->iw.name), "%s", name);
	r = creating_add(m, c);
	if (r < 0) {
		free(c);
		return lmc_err_set(err, r, "%s: out of memory", name);
	}
	/* A failure from here on is undone as a late one is (lmc_mgr_create_undo): a dying
	 * init may still hold the cgroup. */
	c->r = lmc_mgr_init_begin(m, name, &c->spec, &c->iw, &c->err);
	*ret = c;
	return 0;
}

int lmc_mgr_creating_fd(const struct lmc_mgr_creating *c)
{
	return c->r < 0 ? -1 : c->iw.w.chan;
}

const char *lmc_mgr_creating_name(const struct lmc_mgr_creating *c)
{
	return c->iw.name;
}

int lmc_mgr_create_finish(struct lmc_manager *m, struct lmc_mgr_creating *c, struct lmc_err *err)
{
	struct lmc_node *node = lmc_tree_find(m->tree, c->iw.name);
	struct lmc_init_id id = {0};
	int r = c->r, pidfd = -1;

	if (r >= 0)
		r = lmc_mgr_init_end(m, &c->iw, &id, &pidfd, &c->err);
	if (r == -EAGAIN)
		return r;
	if (r >= 0)
		r = lmc_mgr_put(m, c->iw.name, &c->spec, LMC_REC_READY, &id, &c->err);
	if (r >= 0 && !node)
		r = lmc_err_set(&c->err, -ENOENT, "%s: gone from the tree", c->iw.name);
	if (r >= 0) {
		lmc_mgr_rt(node)->creating = false; /* the node has its rt (creating_add) */
		r = lmc_mgr_set_init(node, &id, pidfd);
		if (r >= 0) {
			free(c);
			return 0;
		}
		lmc_err_set(&c->err, r, "%s: out of memory", c->iw.name);
	} else if (pidfd >= 0)
		close(pidfd); /* the undo kills it with the cgroup */
	c->r = r;
	if (err)
		*err = c->err;
	return c->r;
}

int lmc_mgr_create_timeout(struct lmc_manager *m, struct lmc_mgr_creating *c, struct lmc_err *err)
{
	(void)m;
	if (c->r >= 0)
		c->r = lmc_ns_init_timeout(&c->iw.w, &c->err);
	if (err)
		*err = c->err;
	return c->r;
}

void lmc_mgr_create_undo(struct lmc_manager *m, struct lmc_mgr_creating *c)
{
	lmc_ns_init_cancel(&c->iw.w);
	c->undone = lmc_cgfs_kill(m->cg, c->iw.name, KILL_TIMEOUT_MS, NULL) >= 0 &&
		    lmc_cgfs_remove(m->cg, c->iw.name, NULL) >= 0;
}

void lmc_mgr_create_abandon(struct lmc_manager *m, struct lmc_mgr_creating *c)
{
	struct lmc_node *node = lmc_tree_find(m->tree, c->iw.name);

	lmc_ns_init_cancel(&c->iw.w);
	/* Cgroups that would not go stay a container (its record CREATING: the next open
	 * undoes it, a destroy may go first), as what a failed destroy leaves. */
	if (node && c->undone) {
		lmc_mgr_rt_free(node);
		lmc_tree_remove(m->tree, node);
	} else if (node && node->user)
		((struct lmc_node_rt *)node->user)->creating = false;
	if (c->undone)
		lmc_store_del(m->store, c->iw.name, NULL);
	free(c);
}

int lmc_mgr_create_run(struct lmc_manager *m, struct lmc_mgr_creating *c, struct lmc_err *err)
{
	int r = -EAGAIN;

	for (int i = 0; i < 3 && r == -EAGAIN; i++) {
		int fd = lmc_mgr_creating_fd(c);

		if (fd >= 0 && lmc_ns_wait_readable(fd, LMC_NS_HANDSHAKE_MS) < 0)
			r = lmc_mgr_create_timeout(m, c, err);
		else
			r = lmc_mgr_create_finish(m, c, err);
	}
	if (r == -EAGAIN)
		r = lmc_mgr_create_timeout(m, c, err);
	if (r >= 0)
		return r;
	lmc_mgr_create_undo(m, c);
	lmc_mgr_create_abandon(m, c);
	return r;
}
