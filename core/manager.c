/* The container lifecycle: open and recover, init, create, update, destroy. Every change is
 * checked in full before anything is written, is written ahead to the store (a CREATING or
 * DESTROYING record) so a crash at any point is finished or undone by the next open, and is
 * rolled back on failure so the tree, the store and the kernel stay as they were. */
#include "core/manager-internal.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "controllers/controller.h"
#include "base/crashpoint.h"
#include "nsutil/ns.h"

int lmc_mgr_lookup(struct lmc_manager *m, const char *name, bool allow_root, struct lmc_node **ret,
		   struct lmc_err *err)
{
	char canon[LMC_NAME_MAX + 1];
	struct lmc_node *n;
	int r;

	r = lmc_name_parse(name, canon, err);
	if (r < 0)
		return r;
	if (!allow_root && lmc_name_is_root(canon))
		return lmc_err_set(err, -EINVAL,
				   "/: the root container cannot be changed this way");
	n = lmc_tree_find(m->tree, canon);
	if (!n)
		return lmc_err_set(err, -ENOENT, "%s: no such container", canon);
	*ret = n;
	return 0;
}

int lmc_mgr_put(struct lmc_manager *m, const char *name, const struct lmc_spec *spec,
		enum lmc_rec_state st, const struct lmc_init_id *init, struct lmc_err *err)
{
	struct lmc_record rec = {.state = st};

	if (init) {
		rec.init_pid = init->pid;
		rec.init_start = init->start;
		rec.init_ns = init->ns;
	}

	if (!m->locked)
		return lmc_err_set(err, -EROFS, "%s: the state was opened read-only",
				   lmc_name_display(name));
	snprintf(rec.name, sizeof(rec.name), "%s", name);
	rec.spec = *spec;
	return lmc_store_put(m->store, &rec, err);
}

int lmc_mgr_has_procs(struct lmc_manager *m, const char *name, bool *ret)
{
	_cleanup_free_ pid_t *pids = NULL;
	size_t n = 0;
	int r;

	r = lmc_cgfs_procs(m->cg, name, &pids, &n);
	if (r == -ENOENT) {
		*ret = false;
		return 0;
	}
	if (r < 0)
		return r;
	*ret = n > 0;
	return 0;
}

/* ---- open and recovery ---- */

static int record_depth_cmp(const void *a, const void *b)
{
	const struct lmc_record *ra = a, *rb = b;

	return lmc_name_depth(ra->name) - lmc_name_depth(rb->name);
}

/* Undo a create that was never acknowledged: kill what it started, remove its cgroups
 * and its record. */
static void recover_creating(struct lmc_manager *m, const struct lmc_record *rec)
{
	lmc_cgfs_kill(m->cg, rec->name, KILL_TIMEOUT_MS, NULL);
	lmc_cgfs_remove(m->cg, rec->name, NULL);
	lmc_store_del(m->store, rec->name, NULL);
}

static bool under_any_destroying(const struct lmc_record *recs, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (recs[i].state == LMC_REC_DESTROYING && lmc_name_is_under(name, recs[i].name))
			return true;
	return false;
}

/* Finish a destroy that a crash interrupted: every record at or under a DESTROYING one
 * goes, deepest first, with its processes and cgroups. */
static void recover_destroying(struct lmc_manager *m, struct lmc_record *recs, size_t n)
{
	for (size_t i = n; i-- > 0;) {
		if (!under_any_destroying(recs, n, recs[i].name))
			continue;
		lmc_cgfs_kill(m->cg, recs[i].name, KILL_TIMEOUT_MS, NULL);
		lmc_cgfs_remove(m->cg, recs[i].name, NULL);
		lmc_store_del(m->store, recs[i].name, NULL);
		recs[i].name[0] = '\0';
		recs[i].state = LMC_REC_CREATING; /* consumed: skipped below */
	}
}

static int load_records(struct lmc_manager *m, struct lmc_err *err)
{
	_cleanup_free_ struct lmc_record *recs = NULL;
	_cleanup_free_ struct lmc_store_bad *bad = NULL;
	size_t n = 0, nbad = 0;
	int r;

	r = lmc_store_load(m->store, &recs, &n, &bad, &nbad);
	if (r < 0)
		return lmc_err_set(err, r, "cannot load the state store %s: %s",
				   lmc_store_dir(m->store), strerror(-r));
	if (n)
		qsort(recs, n, sizeof(*recs), record_depth_cmp);
	/* Only the lock holder finishes or undoes what a crash interrupted; a lock-less reader
	 * just leaves out what is in flight. */
	if (m->locked)
		recover_destroying(m, recs, n);
	for (size_t i = 0; i < n; i++) {
		struct lmc_node *node;

		if (recs[i].state == LMC_REC_CREATING) {
			if (recs[i].name[0] && m->locked)
				recover_creating(m, &recs[i]);
			continue;
		}
		if (lmc_name_is_root(recs[i].name)) {
			lmc_tree_root(m->tree)->spec = recs[i].spec;
			continue;
		}
		/* A record whose parent is missing waits for lmc_mgr_recover_lost. */
		if (lmc_tree_add(m->tree, recs[i].name, &recs[i].spec, &node) < 0)
			continue;
		/* Only pid, start time and namespaces: lmc_mgr_init_fd checks it is still that
		 * process. */
		if (lmc_mgr_set_init(node,
				     &(struct lmc_init_id){recs[i].init_pid, recs[i].init_start,
							   recs[i].init_ns},
				     -1) < 0)
			return lmc_err_set(err, -ENOMEM, "out of memory");
	}
	if (lmc_mgr_recover_lost(m, recs, n, bad, nbad) < 0 ||
	    (m->locked && lmc_mgr_finish_updates(m, recs, n) < 0))
		return lmc_err_set(err, -ENOMEM, "out of memory");
	return 0;
}

/* Before `lmctl init` the root is the whole machine, no reserve. */
static int default_root_capacity(struct lmc_manager *m, struct lmc_err *err)
{
	uint64_t mem, pid_max;
	unsigned ncpus;
	int r;

	r = lmc_cgfs_machine(&mem, &ncpus, &pid_max);
	if (r < 0)
		return lmc_err_set(err, r, "cannot read the machine's capacity: %s", strerror(-r));
	return lmc_policy_root_capacity(mem, ncpus, pid_max, 0, 0, &lmc_tree_root(m->tree)->spec,
					err);
}

#define ROOTS_META "cgroup-roots"
#define ROOTS_META_MAX 4096

/* Every caller of one state directory must find the same cgroup tree, wherever it runs (the
 * agent in its service cgroup, lmctl from a login shell): the roots are recorded at the first
 * open that may write, and later opens without --cgroup-root use them. A different
 * --cgroup-root for a state directory that manages containers elsewhere is refused. */
static int record_roots(struct lmc_manager *m, struct lmc_err *err)
{
	char now[ROOTS_META_MAX], was[ROOTS_META_MAX];
	int had = lmc_store_meta_get(m->store, ROOTS_META, was, sizeof(was));
	int r = lmc_cgfs_roots_text(m->cg, now, sizeof(now));

	if (r < 0)
		return lmc_err_set(err, r, "cgroup roots: %s", strerror(-r));
	if (had >= 0 && strcmp(now, was) == 0)
		return 0;
	if (had >= 0 && lmc_tree_count(m->tree) > 0) {
		char *tab = strchr(was, '\t');

		was[strcspn(was, "\n")] = '\0';
		if (tab)
			memmove(tab, tab + 1, strlen(tab));
		return lmc_err_set(
			err, -EEXIST,
			"state directory %s manages containers under another cgroup root "
			"(%s): use that --cgroup-root, or another --state-dir",
			lmc_store_dir(m->store), was);
	}
	r = lmc_store_meta_put(m->store, ROOTS_META, now);
	if (r < 0)
		return lmc_err_set(err, r, "state directory %s: cannot record the cgroup root: %s",
				   lmc_store_dir(m->store), strerror(-r));
	return 0;
}

static bool env_true(const char *var)
{
	const char *v = getenv(var);

	return v && (strcmp(v, "1") == 0 || strcmp(v, "yes") == 0 || strcmp(v, "true") == 0);
}

void lmc_mgr_store_opts(const struct lmc_manager_opts *opts, struct lmc_store_opts *so)
{
	*so = (struct lmc_store_opts){.lock = !opts->no_lock};
	so->dir = opts->state_dir ? opts->state_dir : getenv("LMCTL_STATE_DIR");
	if (!so->dir || !so->dir[0])
		so->dir = LMC_DEFAULT_STATE_DIR;
	so->lock_timeout_ms = opts->lock_timeout_ms;
	so->durable = opts->fsync || env_true("LMCTL_FSYNC");
	/* the default directory also holds the agent's socket, which owners must reach; the
	 * records themselves stay in containers/ (0700) */
	so->dir_mode = strcmp(so->dir, LMC_DEFAULT_STATE_DIR) == 0 ? 0755 : 0700;
}

int lmc_mgr_open(const struct lmc_manager_opts *opts, struct lmc_manager **ret, struct lmc_err *err)
{
	struct lmc_manager *m;
	struct lmc_cgfs_opts co = opts->cgfs ? *opts->cgfs : (struct lmc_cgfs_opts){0};
	struct lmc_store_opts so;
	char recorded[ROOTS_META_MAX];
	int r;

	/* A reader (no lock) never creates lmctl's root: reading makes no cgroups. */
	co.create_root = !opts->no_lock;
	co.recorded = NULL;
	co.root = opts->cgroup_root ? opts->cgroup_root : getenv("LMCTL_CGROUP_ROOT");
	if (co.root && !co.root[0])
		co.root = NULL;
	lmc_mgr_store_opts(opts, &so);

	m = calloc(1, sizeof(*m));
	if (!m)
		return lmc_err_set(err, -ENOMEM, "out of memory");
	m->locked = so.lock;
	r = lmc_tree_new(&m->tree);
	if (r < 0) {
		lmc_err_set(err, r, "out of memory");
		goto fail;
	}
	/* The lock first: the cgroup root is shared state too. */
	r = lmc_store_open(&so, &m->store, err);
	if (r < 0)
		goto fail;
	if (!co.root && lmc_store_meta_get(m->store, ROOTS_META, recorded, sizeof(recorded)) >= 0)
		co.recorded = recorded;
	r = lmc_cgfs_open(&co, &m->cg, err);
	if (r < 0)
		goto fail;
	r = default_root_capacity(m, err);
	if (r < 0)
		goto fail;
	r = opts->scope ? lmc_mgr_load_path(m, opts->scope, err) : 0;
	if (r == 0)
		r = load_records(m, err);
	if (r >= 0 && m->locked)
		r = record_roots(m, err);
	if (r < 0)
		goto fail;
	*ret = m;
	return 0;
fail:
	lmc_mgr_free(m);
	return r;
}

void lmc_mgr_free(struct lmc_manager *m)
{
	if (!m)
		return;
	lmc_mgr_tasks_join(m);
	if (m->tree) {
		struct lmc_node *top = lmc_tree_root(m->tree);

		for (struct lmc_node *n = top; n; n = lmc_tree_next(top, n))
			lmc_mgr_rt_free(n);
		lmc_tree_free(m->tree);
	}
	lmc_tasks_free(m->tasks);
	lmc_cgfs_free(m->cg);
	lmc_store_free(m->store);
	free(m->notes);
	free(m);
}

int lmc_mgr_memcg_path(struct lmc_manager *m, const char *name, char *buf, size_t size)
{
	return lmc_cgfs_cgroup_path(m->cg, LMC_CTRL_MEMORY, name, buf, size);
}

const char *lmc_mgr_state_dir(struct lmc_manager *m)
{
	return lmc_store_dir(m->store);
}

size_t lmc_mgr_count(struct lmc_manager *m)
{
	return lmc_tree_count(m->tree);
}

int lmc_mgr_find(struct lmc_manager *m, const char *name, char *ret_canon, struct lmc_err *err)
{
	struct lmc_node *node;
	int r = lmc_mgr_lookup(m, name, true, &node, err);

	if (r >= 0)
		snprintf(ret_canon, LMC_NAME_MAX + 1, "%s", node->name);
	return r;
}

/* ---- machine ---- */

int lmc_mgr_info(struct lmc_manager *m, struct lmc_machine_info *ret)
{
	const struct lmc_spec *cap = &lmc_tree_root(m->tree)->spec;
	int r;

	memset(ret, 0, sizeof(*ret));
	ret->mode = lmc_cgfs_mode(m->cg);
	for (int c = 0; c < LMC_CTRL__MAX; c++)
		if (lmc_cgfs_has(m->cg, c))
			lmc_cgfs_path(m->cg, c, "", ret->paths[c], sizeof(ret->paths[c]));
		else
			snprintf(ret->why[c], sizeof(ret->why[c]), "%s", lmc_cgfs_why(m->cg, c));
	snprintf(ret->placement, sizeof(ret->placement), "%s", lmc_cgfs_placement(m->cg));
	r = lmc_cgfs_machine(&ret->mem_total, &ret->ncpus, &ret->pid_max);
	if (r < 0)
		return r;
	ret->capacity = *cap;
	ret->reserve_mem = cap->memory.limit < ret->mem_total ? ret->mem_total - cap->memory.limit
							      : 0;
	ret->reserve_cpu_m = cap->cpu.limit_m < ret->ncpus * 1000ULL
				     ? ret->ncpus * 1000ULL - cap->cpu.limit_m
				     : 0;
	ret->n_containers = lmc_tree_count(m->tree);
	return 0;
}

int lmc_mgr_init(struct lmc_manager *m, uint64_t reserve_mem, uint64_t reserve_cpu_m,
		 struct lmc_err *err)
{
	struct lmc_node *root = lmc_tree_root(m->tree);
	struct lmc_machine_info info;
	struct lmc_spec cap, newroot;
	int r;

	r = lmc_mgr_info(m, &info);
	if (r < 0)
		return lmc_err_set(err, r, "cannot read the machine's capacity: %s", strerror(-r));
	if (reserve_mem == LMC_UNSET)
		reserve_mem = info.reserve_mem;
	if (reserve_cpu_m == LMC_UNSET)
		reserve_cpu_m = info.reserve_cpu_m;
	lmc_spec_init(&cap);
	r = lmc_policy_root_capacity(info.mem_total, info.ncpus, info.pid_max, reserve_mem,
				     reserve_cpu_m, &cap, err);
	if (r < 0)
		return r;
	/* The new capacity must still hold what is already there: check it as an update of
	 * the root against its children. */
	newroot = root->spec;
	newroot.memory.limit = cap.memory.limit;
	newroot.cpu.limit_m = cap.cpu.limit_m;
	newroot.pids.limit = cap.pids.limit;
	r = lmc_policy_admit_update(m->tree, root, &newroot, LMC_UNSET, true, err);
	if (r < 0)
		return r;
	r = lmc_mgr_put(m, "", &newroot, LMC_REC_READY, NULL, err);
	if (r < 0)
		return r;
	root->spec = newroot;
	return 0;
}

/* ---- create ---- */

static int create_check(struct lmc_manager *m, const char *name, const struct lmc_spec *spec,
			struct lmc_err *err)
{
	char parent[LMC_NAME_MAX + 1];
	struct lmc_node *p;
	bool busy;
	int r;

	/* The spec's own consistency first, as a dry run sees it (the one validation a create
	 * gets: proto/api.c leaves it to here). */
	r = lmc_spec_validate(name, spec, err);
	if (r < 0)
		return r;
	p = lmc_tree_find(m->tree, name);
	if (p && lmc_mgr_creating(p)) /* not yet: a retry must not be told it exists */
		return lmc_err_set(err, -EBUSY, "%s: is being created", name);
	if (p)
		return lmc_err_set(err, -EEXIST, "%s: container already exists", name);
	r = lmc_name_parent(name, parent, sizeof(parent));
	if (r < 0)
		return lmc_err_set(err, r, "%s: invalid container name", name);
	p = lmc_tree_find(m->tree, parent);
	if (!p)
		return lmc_err_set(err, -ENOENT, "%s: parent %s does not exist", name, parent);
	if (lmc_mgr_destroying(p) || lmc_mgr_creating(p))
		return lmc_err_set(err, -EBUSY, "%s: parent %s is being %s", name, parent,
				   lmc_mgr_creating(p) ? "created" : "destroyed");
	if (!lmc_name_is_root(parent)) {
		r = lmc_mgr_has_procs(m, parent, &busy);
		if (r < 0)
			return lmc_err_set(err, r, "%s: cannot read the processes of %s: %s", name,
					   parent, strerror(-r));
		if (busy || lmc_mgr_init_pid(p))
			return lmc_err_set(
				err, -EBUSY,
				"%s: parent %s holds processes; only a container that runs nothing may have children",
				name, parent);
	}
	r = lmc_policy_admit_create(m->tree, name, spec, err);
	if (r < 0)
		return r;
	return lmc_controller_validate_all(m->cg, name, spec, err);
}

/* Name and spec as they will be stored, checked and admitted; kspec: what the kernel gets. */
static int create_prepare(struct lmc_manager *m, const char *uname, char *name,
			  struct lmc_spec *spec, struct lmc_spec *kspec, struct lmc_err *err)
{
	int r = lmc_name_parse(uname, name, err);

	if (r < 0)
		return r;
	if (lmc_name_is_root(name))
		return lmc_err_set(err, -EEXIST, "/: the root always exists");
	if ((spec->ns.mask & LMC_NS_UTS) && !spec->ns.hostname[0])
		snprintf(spec->ns.hostname, sizeof(spec->ns.hostname), "%s",
			 lmc_name_basename(name));
	lmc_mgr_owner_default(m, name, spec);
	r = create_check(m, name, spec, err);
	if (r >= 0)
		r = lmc_mgr_idmaps_assign(m, name, spec, err);
	if (r >= 0)
		r = lmc_mgr_create_limits(m, name, spec, kspec, err);
	return r;
}

int lmc_mgr_create_start(struct lmc_manager *m, const char *uname, const struct lmc_spec *uspec,
			 struct lmc_mgr_creating **ret, struct lmc_err *err)
{
	char name[LMC_NAME_MAX + 1];
	struct lmc_spec spec = *uspec, kspec;
	struct lmc_node *node;
	int r;

	*ret = NULL;
	r = create_prepare(m, uname, name, &spec, &kspec, err);
	if (r < 0)
		return r;
	r = lmc_mgr_put(m, name, &spec, LMC_REC_CREATING, NULL, err);
	if (r < 0)
		return r;
	r = lmc_controller_create(m->cg, name, &kspec, err);
	if (r < 0)
		goto out_unstore;
	/* With namespaces the READY record waits for the init (lmc_mgr_create_finish). */
	if (spec.ns.mask)
		r = lmc_mgr_create_wait(m, name, &spec, ret, err);
	else if ((r = lmc_mgr_put(m, name, &spec, LMC_REC_READY, NULL, err)) >= 0 &&
		 (r = lmc_tree_add(m->tree, name, &spec, &node)) < 0)
		lmc_err_set(err, r, "%s: out of memory", name);
	if (r >= 0)
		return 0;
	lmc_cgfs_remove(m->cg, name, NULL);
out_unstore:
	lmc_store_del(m->store, name, NULL);
	return r;
}

int lmc_mgr_create(struct lmc_manager *m, const char *uname, const struct lmc_spec *uspec,
		   struct lmc_err *err)
{
	struct lmc_mgr_creating *c;
	int r = lmc_mgr_create_start(m, uname, uspec, &c, err);

	return r < 0 || !c ? r : lmc_mgr_create_run(m, c, err);
}

/* ---- update ---- */

static uint64_t memory_usage(struct lmc_manager *m, const char *name)
{
	struct lmc_stats st;

	lmc_stats_init(&st);
	if (lmc_controller_stats_all(m->cg, name, &st) < 0)
		return LMC_UNSET;
	return st.mem_usage;
}

int lmc_mgr_update(struct lmc_manager *m, const char *uname, const struct lmc_spec *upd, bool force,
		   struct lmc_err *err)
{
	struct lmc_node *node;
	struct lmc_spec newspec, knew, kold;
	uint64_t usage = LMC_UNSET;
	int r;

	r = lmc_mgr_lookup(m, uname, false, &node, err);
	if (r >= 0)
		r = lmc_mgr_refuse_busy(node, err);
	if (r < 0)
		return r;
	newspec = node->spec;
	r = lmc_spec_merge(&newspec, upd, err);
	if (r < 0)
		return r;
	if (newspec.owner != node->spec.owner)
		lmc_policy_owner_default(node->parent, &newspec);
	r = lmc_spec_validate(node->name, &newspec, err);
	if (r < 0)
		return r;
	if (newspec.memory.limit != LMC_UNSET && newspec.memory.limit != node->spec.memory.limit)
		usage = memory_usage(m, node->name);
	r = lmc_policy_admit_update(m->tree, node, &newspec, usage, force, err);
	if (r < 0)
		return r;
	r = lmc_controller_validate_all(m->cg, node->name, &newspec, err);
	if (r >= 0)
		r = lmc_mgr_update_limits(m, node, &newspec, &knew, &kold, err);
	if (r < 0)
		return r;
	/* Write-ahead: the new spec is stored as UPDATING first, so that a crash before the
	 * kernel has all of it is finished by the next open (lmc_mgr_finish_updates); the
	 * other order left the kernel holding a limit no record knew. */
	r = lmc_mgr_put(m, node->name, &newspec, LMC_REC_UPDATING, lmc_mgr_init_id(node), err);
	if (r < 0)
		return r;
	lmc_crash_point("update-after-record");
	r = lmc_controller_apply_all(m->cg, node->name, &knew, &kold, err);
	if (r < 0)
		goto out_restore;
	/* A failure part way puts back the descendants it had rewritten. */
	r = lmc_mgr_subtree_throttles(m, node, &newspec, true, err);
	if (r < 0)
		goto out_restore;
	r = lmc_mgr_put(m, node->name, &newspec, LMC_REC_READY, lmc_mgr_init_id(node), err);
	if (r < 0) {
		lmc_mgr_subtree_throttles(m, node, &node->spec, true, NULL);
		goto out_restore;
	}
	node->spec = newspec;
	return 0;

out_restore:
	/* Put back what the kernel and the store had; the first error is the one the user
	 * sees. */
	lmc_controller_apply_all(m->cg, node->name, &kold, &knew, NULL);
	lmc_mgr_put(m, node->name, &node->spec, LMC_REC_READY, lmc_mgr_init_id(node), NULL);
	return r;
}

/* ---- destroy ---- */

static int destroy_check(struct lmc_manager *m, struct lmc_node *node, bool recursive,
			 struct lmc_err *err)
{
	bool populated = false;
	int r;

	if (recursive)
		return 0;
	if (node->n_children)
		return lmc_err_set(err, -ENOTEMPTY,
				   "%s: has %u child container%s; use -r to destroy the subtree",
				   node->name, node->n_children, node->n_children == 1 ? "" : "s");
	r = lmc_cgfs_populated(m->cg, node->name, &populated);
	if (r < 0 && r != -ENOENT)
		return lmc_err_set(err, r, "%s: cannot read its processes: %s", node->name,
				   strerror(-r));
	if (populated || lmc_mgr_init_pid(node))
		return lmc_err_set(
			err, -EBUSY,
			"%s: holds processes; use -r/--force to kill them and destroy it",
			node->name);
	return 0;
}

int lmc_mgr_refuse_busy(const struct lmc_node *n, struct lmc_err *err)
{
	if (lmc_mgr_destroying(n))
		return lmc_err_set(err, -EBUSY, "%s: is being destroyed", n->name);
	if (lmc_mgr_creating(n))
		return lmc_err_set(err, -EBUSY, "%s: is being created", n->name);
	return 0;
}

bool lmc_mgr_destroying(const struct lmc_node *n)
{
	for (; n; n = n->parent) {
		const struct lmc_node_rt *rt = n->user;

		if (rt && rt->destroying)
			return true;
	}
	return false;
}

static int set_destroying(struct lmc_node *n, bool on)
{
	struct lmc_node_rt *rt = on ? lmc_mgr_rt(n) : n->user;

	if (!rt)
		return on ? -ENOMEM : 0;
	rt->destroying = on;
	return 0;
}

/* The subtree's names, children before parents (the order the rmdirs need). */
static int destroy_names(struct lmc_node *top, char (**ret)[LMC_NAME_MAX + 1], size_t *ret_n)
{
	struct lmc_node *n;
	size_t cnt = 0, i = 0;

	for (n = lmc_tree_post_first(top); n; n = lmc_tree_post_next(top, n))
		cnt++;
	*ret = calloc(cnt, sizeof(**ret));
	if (!*ret)
		return -ENOMEM;
	for (n = lmc_tree_post_first(top); n; n = lmc_tree_post_next(top, n))
		memcpy((*ret)[i++], n->name, sizeof(n->name));
	*ret_n = cnt;
	return 0;
}

int lmc_mgr_destroy_start(struct lmc_manager *m, const char *uname, bool recursive, bool force,
			  char (**ret_names)[LMC_NAME_MAX + 1], size_t *ret_n, struct lmc_err *err)
{
	struct lmc_node *node;
	int r;

	r = lmc_mgr_lookup(m, uname, false, &node, err);
	if (r < 0)
		return r;
	r = lmc_mgr_refuse_busy(node, err);
	if (r < 0)
		return r;
	r = destroy_check(m, node, recursive || (force && !node->n_children), err);
	if (r < 0)
		return r;
	/* From here on the destroy is committed: a crash is finished by the next open. */
	r = lmc_mgr_put(m, node->name, &node->spec, LMC_REC_DESTROYING, lmc_mgr_init_id(node), err);
	if (r < 0)
		return r;
	r = destroy_names(node, ret_names, ret_n);
	if (r >= 0)
		r = set_destroying(node, true);
	if (r < 0) {
		free(*ret_names);
		*ret_names = NULL;
		return lmc_err_set(err, r, "out of memory");
	}
	return 0;
}

bool lmc_mgr_destroy_quick(struct lmc_manager *m, char (*names)[LMC_NAME_MAX + 1], size_t n)
{
	bool pop = true;

	return n && n <= LMC_MGR_DESTROY_QUICK_MAX &&
	       lmc_cgfs_populated(m->cg, names[n - 1], &pop) == 0 && !pop;
}

int lmc_mgr_destroy_rmdirs(struct lmc_manager *m, char (*names)[LMC_NAME_MAX + 1], size_t n,
			   size_t *ret_done, struct lmc_err *err)
{
	const char *small[LMC_MGR_DESTROY_QUICK_MAX];
	_cleanup_free_ const char **big = NULL;
	const char **v = small;

	*ret_done = 0;
	if (n > ARRAY_SIZE(small) && !(v = big = malloc(n * sizeof(*v))))
		return lmc_err_set(err, -ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++)
		v[i] = names[i];
	/* bottom-up, every hierarchy at once */
	return lmc_cgfs_remove_many(m->cg, v, n, ret_done, err);
}

int lmc_mgr_destroy_work(struct lmc_manager *m, char (*names)[LMC_NAME_MAX + 1], size_t n,
			 size_t *ret_done, struct lmc_err *err)
{
	int r;

	*ret_done = 0;
	/* the whole subtree killed once at its top (cgroup.kill, else freeze-kill-thaw) */
	r = lmc_cgfs_kill(m->cg, names[n - 1], KILL_TIMEOUT_MS, err);
	if (r < 0)
		return r;
	return lmc_mgr_destroy_rmdirs(m, names, n, ret_done, err);
}

int lmc_mgr_destroy_finish(struct lmc_manager *m, char (*names)[LMC_NAME_MAX + 1], size_t n,
			   size_t done, int r, struct lmc_err *err)
{
	struct lmc_node *node;
	int rr;

	for (size_t i = 0; i < n; i++) {
		node = lmc_tree_find(m->tree, names[i]);
		if (!node)
			continue;
		if (i >= done || node->first_child) {
			set_destroying(node, false); /* still there: a destroy may be retried */
			continue;
		}
		lmc_mgr_rt_free(node);
		lmc_tree_remove(m->tree, node);
		rr = lmc_store_del_nosync(m->store, names[i], r < 0 ? NULL : err);
		if (rr < 0 && r >= 0)
			r = rr;
	}
	if (r < 0)
		return r;
	lmc_mgr_tasks_forget(m, names[n - 1]); /* their records and logs go with them */
	/* One directory sync for the whole subtree: durable once acknowledged. */
	return lmc_store_sync(m->store, err);
}

int lmc_mgr_destroy(struct lmc_manager *m, const char *uname, bool recursive, struct lmc_err *err)
{
	_cleanup_free_ char(*names)[LMC_NAME_MAX + 1] = NULL;
	size_t n = 0, done = 0;
	int r;

	r = lmc_mgr_destroy_start(m, uname, recursive, false, &names, &n, err);
	if (r < 0)
		return r;
	r = lmc_mgr_destroy_work(m, names, n, &done, err);
	return lmc_mgr_destroy_finish(m, names, n, done, r, err);
}
